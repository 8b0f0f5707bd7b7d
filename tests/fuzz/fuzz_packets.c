/*
 * fuzz_packets.c -- libFuzzer target for the packet path: frames of any
 * link type this build decodes go through cap_decode(), the flow table
 * and classify (cls_flow), then cls_finish() and every report writer, so
 * that whatever a packet can reach is reached. Never a crash, a leak, a
 * read past the frame, a flow table that loses a packet or holds too many
 * flows (packets.h), or a report that is not what its format says (the
 * JSON report and each JSON line must parse; the JSON summary's verdict
 * is classify's). The input format (link type, two option bytes, frames)
 * is described in packets.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/packets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const filters[4] = {
	NULL, "tcp", "not port 22", "udp or icmp or icmp6",
};

/* The writers that stream flows get each classified flow (portaudit.c). */
#define NWRITERS 6
struct outs {
	struct rep_out *o[NWRITERS];
	struct rep_input in;
};

static void flow_sink(const struct cls_flow *cf, void *ctx)
{
	struct outs *outs = ctx;
	for (unsigned i = 0; i < NWRITERS; i++)
		if (outs->o[i] && outs->o[i]->w->flow)
			outs->o[i]->w->flow(outs->o[i], &outs->in, cf);
}

static struct fzp_input fi;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Decode every frame first: the servers may come from the first. */
	if (!fzp_decode(&fi, data, size))
		return 0;
	uint8_t o0 = fi.o0, o1 = fi.o1;
	unsigned server_mode = o0 & 3;
	bool live = (o1 & 2) != 0;
	bool fast = (o1 & 128) != 0;
	struct cap_stats *st = &fi.st; /* the flow table keeps it too */
	unsigned npkt = fi.npkt;
	const struct cap_packet *pkts = fi.pkt;
	const char *name = fi.name;

	/* The run's options and facts, as cap_run would have them. */
	struct cap_options copt;
	memset(&copt, 0, sizeof copt);
	if (live) {
		copt.iface = name;
		st->has_dropped = true;
		st->dropped = o1;
		if (npkt > 0) {
			memcpy(st->local_addrs[0], pkts[0].dst, 16);
			st->local_family[0] = pkts[0].family;
			st->nlocal = 1;
		}
	} else {
		copt.sources[copt.nsources++] = name;
		if (o1 & 16)
			copt.sources[copt.nsources++] = "other.pcap";
	}
	st->linktypes[0] = fi.linktype;
	st->nsources = 1;
	if (copt.nsources > 1) {
		st->linktypes[1] = 147; /* USER0 */
		snprintf(st->skipped[1], sizeof st->skipped[1],
		         "link type USER0 (147) not supported");
	}
	st->truncated = (o1 & 16) != 0;
	st->interrupted = (o1 & 16) != 0;
	copt.quiet = true;
	copt.filter = filters[(o0 >> 5) & 3];
	copt.max_flows = (o0 & 8) ? 16 : 4096;
	const struct cat_model *model = fzp_model(o0, o1, &copt.ports);

	static struct cls_server servers[CLS_MAX_SERVERS];
	uint32_t nservers = 0;
	if (server_mode == 1) {
		nservers = fz_all_servers(servers);
	} else if (server_mode == 2 && npkt > 0) {
		memset(servers, 0, sizeof servers[0]);
		servers[0].family = pkts[0].family;
		memcpy(servers[0].addr, pkts[0].dst, 16);
		servers[0].len = pkts[0].family == 4 ? 32 : 128;
		snprintf(servers[0].how, sizeof servers[0].how, "--server");
		nservers = 1;
	} else if (server_mode == 3) {
		for (uint32_t i = 0; i < fzp_prof.nservers; i++)
			for (uint32_t k = 0; k < fzp_prof.servers[i].naddrs &&
			                     nservers < CLS_MAX_SERVERS; k++) {
				const struct cat_prefix *p = &fzp_prof.servers[i].addrs[k];
				struct cls_server *s = &servers[nservers++];
				memset(s, 0, sizeof *s);
				s->family = p->family;
				memcpy(s->addr, p->addr, 16);
				s->len = p->len;
				snprintf(s->name, sizeof s->name, "%s",
				         fzp_prof.servers[i].name);
				snprintf(s->how, sizeof s->how, "profile site.yaml");
			}
	}

	/* Every writer; JSON and JSON lines to files that are read back. */
	char json_path[512], jsonl_path[512], errbuf[512];
	fz_path(json_path, sizeof json_path, "report.json");
	fz_path(jsonl_path, sizeof jsonl_path, "flows.jsonl");
	static const struct rep_writer *const ws[NWRITERS] = {
		&rep_text, &rep_json, &rep_csv, &rep_jsonl, &rep_html,
		&rep_flows_csv,
	};
	struct outs outs;
	memset(&outs, 0, sizeof outs);
	for (unsigned i = 0; i < NWRITERS; i++) {
		if (fast && !ws[i]->flow)
			continue;
		const char *path = ws[i] == &rep_json ? json_path :
		                   ws[i] == &rep_jsonl ? jsonl_path : "/dev/null";
		outs.o[i] = rep_open(ws[i], path, errbuf, sizeof errbuf);
		if (!outs.o[i]) {
			fprintf(stderr, "fuzz: %s\n", errbuf);
			abort();
		}
	}
	char cmdline[128];
	snprintf(cmdline, sizeof cmdline, "portaudit %s %s", live ? "-i" : "-r",
	         name);
	outs.in.model = model;
	outs.in.cap = st;
	outs.in.capopt = &copt;
	outs.in.command_line = cmdline;
	outs.in.all_services = (o1 & 32) != 0;
	outs.in.evidence_packets = (o1 & 32) ? 1 : 20;

	struct cls_options clo;
	memset(&clo, 0, sizeof clo);
	clo.servers = servers;
	clo.nservers = nservers;
	clo.fail_on = (o0 & 128) ? 0 : (1 << CLS_K_COUNT) - 1;
	clo.max_findings = (o0 & 16) ? 4 : 0;
	clo.sink = flow_sink;
	clo.sink_ctx = &outs;
	clo.filter = copt.filter;
	struct cls *cl = cls_new(model, &clo);
	if (!cl)
		abort();

	fzp_feed(&fi, cls_flow, cl);

	const struct cls_result *res = cls_finish(cl, st);
	outs.in.res = res;
	for (unsigned i = 0; i < NWRITERS; i++) {
		if (!outs.o[i])
			continue;
		if (outs.o[i]->w->report(outs.o[i], &outs.in) != 0)
			__builtin_trap(); /* /dev/null and a tmpfs never fail */
		if (rep_close(outs.o[i], errbuf, sizeof errbuf) != 0) {
			fprintf(stderr, "fuzz: %s\n", errbuf);
			__builtin_trap();
		}
		outs.o[i] = NULL;
	}
	if (!fast)
		fz_check_json(json_path, res);
	fz_check_jsonl(jsonl_path);
	unlink(json_path);
	unlink(jsonl_path);
	cls_free(cl);
	return 0;
}
