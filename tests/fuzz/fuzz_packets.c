/*
 * fuzz_packets.c -- libFuzzer target for the packet path: frames of any
 * link type this build decodes go through cap_decode(), the flow table
 * and classify (cls_flow), then cls_finish() and every report writer, so
 * that whatever a packet can reach is reached. Never a crash, a leak, a
 * read past the frame, or a report that is not what its format says (the
 * JSON report and each JSON line must parse).
 *
 * Input (all numbers big-endian):
 *   u16  link type: used as is when cap_linktype_supported(), else the
 *        (value mod n)-th supported one, so that every value decodes
 *   u8   opt0  bits 0-1 servers: 0 inferred, 1 every address (/0),
 *                       2 the first decoded packet's destination,
 *                       3 the site profile's (implies bit 2)
 *              bit 2    the site profile (catalog/site-example.yaml)
 *              bit 3    a flow table of 16 flows (eviction, emergency)
 *              bit 4    at most 4 findings (the findings cap)
 *              bits 5-6 classify's filter: none, "tcp", "not port 22",
 *                       "udp or icmp or icmp6"
 *              bit 7    --fail-on none (else all)
 *   u8   opt1  bit 0    packets in batches (cap_flowtab_batch, as cap_run)
 *              bit 1    live: an interface, drops counted, the first
 *                       packet's destination a local address, and the
 *                       clock ticks (cap_flowtab_tick) on long steps
 *              bit 2    a u64 base time follows (else 2026-01-01)
 *              bit 3    a source name follows: u8 length (<= 64), bytes
 *              bit 4    caveats: the file ended inside a record
 *                       (truncated), a second source was skipped (a link
 *                       type not decoded), the capture was interrupted
 *              bit 5    --all (every catalog row in the text report)
 *              bit 6    a u8 --evidence-packets follows (reports print it)
 *              bit 7    fast: only the writers that stream flows (JSON
 *                       lines, flows CSV), not the whole reports (text,
 *                       JSON, CSV, HTML), which cost the most per input
 *   then frames, each: u16 caplen, u8 time step, u8 extra wire length,
 *        caplen bytes (fewer if the input ends first).
 *        time step: low 4 bits pick a step from steps[] (some go back),
 *        times (high 4 bits + 1). extra: wirelen = caplen + extra, except
 *        255: wirelen = caplen / 2 (a record whose caplen exceeds len).
 * tests/fuzz/pcap2packets.c turns a pcap file into this format (seeds).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/decode.h"
#include "capture/flow.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 2048
#define BASE_TS (1767225600ull * CAP_NS_PER_S) /* 2026-01-01T00:00:00Z */

/* catalog/site-example.yaml without its comments: servers 10.0.0.5,
 * 2001:db8::5 and 10.0.0.6 (those of pcaps/), products with devices,
 * required services and products, an override. */
static const char site_profile[] =
	"site: Example Corp DC1\n"
	"base_port: 1960\n"
	"servers:\n"
	"  - name: prognosis-mon1\n"
	"    role: monitoring\n"
	"    addresses: [10.0.0.5, \"2001:db8::5\"]\n"
	"  - name: prognosis-mgmt\n"
	"    role: management\n"
	"    addresses: [10.0.0.6]\n"
	"features:\n"
	"  auto-discovery: false\n"
	"  ldap: false\n"
	"  amqp-plain: false\n"
	"  telnet-sat: false\n"
	"products:\n"
	"  - id: cisco-cucm\n"
	"    devices: [10.1.0.11, 10.1.0.0/28]\n"
	"  - id: avaya-cm\n"
	"    devices: [10.2.0.20]\n"
	"  - avaya-aes\n"
	"require:\n"
	"  services: [base-router, cucm-snmp]\n"
	"  products: [avaya-cm]\n"
	"overrides:\n"
	"  - service: cucm-wmi\n"
	"    dynamic: 50000-50100\n";

static const char *const filters[4] = {
	NULL, "tcp", "not port 22", "udp or icmp or icmp6",
};

/* Time steps in ns; the sign says back in time. They straddle the flow
 * table's timeouts (flow.h): linger 5 s, emergency 1/5/10/60 s, SYN 30 s,
 * datagrams 60 s, established 300 s. */
static const int64_t steps[16] = {
	0, 1000, 1000000, 100000000, 1000000000, 2000000000, 6000000000,
	11000000000, 31000000000, 61000000000, 301000000000, 3600000000000,
	-1000000000, -3600000000000, INT64_C(1) << 40, INT64_MIN,
};

static int linktypes[512];
static unsigned nlinktypes;

/* The site profile applied to a catalog of its own (cat_apply resolves a
 * catalog in place, so two models need two catalogs). */
static struct catalog prof_cat;
static struct cat_profile prof;
static struct cat_model prof_model;
static struct cap_portmap prof_pm;

static void init_once(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (int lt = 0; lt < 4096 && nlinktypes < 512; lt++)
		if (cap_linktype_supported(lt))
			linktypes[nlinktypes++] = lt;
	if (nlinktypes == 0)
		abort();
	(void)fz_builtin_model();
	struct cat_error err;
	if (cat_load_file(&prof_cat, NULL, &err) != 0 ||
	    cat_profile_load_buffer(&prof, &prof_cat, "site.yaml",
	                            (const unsigned char *)site_profile,
	                            sizeof site_profile - 1, &err) != 0 ||
	    cat_apply(&prof_model, &prof_cat, &prof, 0, &err) != 0) {
		fprintf(stderr, "fuzz: site profile: %s\n", err.msg);
		abort();
	}
	cls_portmap(&prof_model, &prof_pm);
}

struct in {
	const uint8_t *p;
	size_t n;
};

static bool take(struct in *in, void *out, size_t n)
{
	if (in->n < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return true;
}

static uint64_t be(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

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

/* Every line of a JSON-lines file is one JSON object. */
static void fz_check_jsonl(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		__builtin_trap(); /* rep_close published it */
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned no = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		no++;
		json_error_t jerr;
		json_t *o = json_loadb(line, (size_t)n, 0, &jerr);
		if (!o || !json_is_object(o)) {
			fprintf(stderr, "fuzz: %s:%u: not a JSON object: %s\n",
			        path, no, o ? "other JSON" : jerr.text);
			__builtin_trap();
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
}

static struct cap_packet pkts[MAX_FRAMES];
static uint64_t pkt_ts[MAX_FRAMES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	struct in in = { data, size };
	uint8_t hdr[4];
	if (!take(&in, hdr, sizeof hdr))
		return 0;
	int lt = (int)be(hdr, 2);
	if (!cap_linktype_supported(lt))
		lt = linktypes[(unsigned)lt % nlinktypes];
	uint8_t o0 = hdr[2], o1 = hdr[3];
	unsigned server_mode = o0 & 3;
	bool use_prof = (o0 & 4) || server_mode == 3;
	uint64_t ts = BASE_TS;
	uint8_t b8[8];
	if ((o1 & 4) && take(&in, b8, 8))
		ts = be(b8, 8);
	char name[65] = "fuzz.pcap";
	uint8_t nlen;
	if ((o1 & 8) && take(&in, &nlen, 1)) {
		nlen = nlen > 64 ? 64 : nlen;
		nlen = in.n < nlen ? (uint8_t)in.n : nlen;
		memcpy(name, in.p, nlen);
		name[nlen] = '\0'; /* a NUL inside ends it sooner */
		in.p += nlen;
		in.n -= nlen;
	}
	uint8_t evidence_n = 20;
	if ((o1 & 64) && take(&in, &evidence_n, 1) && evidence_n == 0)
		evidence_n = 1;
	bool live = (o1 & 2) != 0;
	bool fast = (o1 & 128) != 0;

	/* Decode every frame first: the servers may come from the first. */
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	struct cap_decoder dec;
	if (cap_decoder_init(&dec, 64) != 0)
		abort();
	unsigned npkt = 0;
	while (npkt < MAX_FRAMES && in.n >= 4) {
		uint8_t fh[4];
		(void)take(&in, fh, 4);
		uint32_t caplen = (uint32_t)be(fh, 2);
		if (caplen > in.n)
			caplen = (uint32_t)in.n;
		int64_t step = steps[fh[2] & 15];
		uint64_t mul = (uint64_t)(fh[2] >> 4) + 1;
		if (step == INT64_MIN)
			ts = 0; /* the epoch */
		else if (step >= 0)
			ts += (uint64_t)step * mul;
		else
			ts -= (uint64_t)(-step) * mul;
		uint32_t wirelen = fh[3] == 255 ? caplen / 2 : caplen + fh[3];
		/* A frame of its own, so that ASan sees a read past it. */
		uint8_t *frame = malloc(caplen ? caplen : 1);
		if (!frame)
			abort();
		memcpy(frame, in.p, caplen);
		in.p += caplen;
		in.n -= caplen;
		st.packets++;
		st.bytes += wirelen;
		if (st.packets == 1 || ts < st.first_ns)
			st.first_ns = ts;
		if (ts > st.last_ns)
			st.last_ns = ts;
		if (cap_decode(&dec, lt, frame, caplen, wirelen, ts,
		               &pkts[npkt])) {
			pkts[npkt].payload = NULL; /* as run.c: not kept */
			pkt_ts[npkt++] = ts;
			st.ip_packets++;
		}
		free(frame);
	}
	memcpy(st.anomalies, dec.anomalies, sizeof st.anomalies);
	st.frag_tracked = dec.frag_tracked;
	cap_decoder_free(&dec);

	/* The run's options and facts, as cap_run would have them. */
	struct cap_options copt;
	memset(&copt, 0, sizeof copt);
	if (live) {
		copt.iface = name;
		st.has_dropped = true;
		st.dropped = hdr[3];
		if (npkt > 0) {
			memcpy(st.local_addrs[0], pkts[0].dst, 16);
			st.local_family[0] = pkts[0].family;
			st.nlocal = 1;
		}
	} else {
		copt.sources[copt.nsources++] = name;
		if (o1 & 16)
			copt.sources[copt.nsources++] = "other.pcap";
	}
	st.linktypes[0] = lt;
	st.nsources = 1;
	if (copt.nsources > 1) {
		st.linktypes[1] = 147; /* USER0 */
		snprintf(st.skipped[1], sizeof st.skipped[1],
		         "link type USER0 (147) not supported");
	}
	st.truncated = (o1 & 16) != 0;
	st.interrupted = (o1 & 16) != 0;
	copt.quiet = true;
	copt.filter = filters[(o0 >> 5) & 3];
	copt.max_flows = (o0 & 8) ? 16 : 4096;
	copt.ports = use_prof ? &prof_pm : &fz_pm;
	const struct cat_model *model = use_prof ? &prof_model : &fz_model;

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
		for (uint32_t i = 0; i < prof.nservers; i++)
			for (uint32_t k = 0; k < prof.servers[i].naddrs &&
			                     nservers < CLS_MAX_SERVERS; k++) {
				const struct cat_prefix *p = &prof.servers[i].addrs[k];
				struct cls_server *s = &servers[nservers++];
				memset(s, 0, sizeof *s);
				s->family = p->family;
				memcpy(s->addr, p->addr, 16);
				s->len = p->len;
				snprintf(s->name, sizeof s->name, "%s",
				         prof.servers[i].name);
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
	outs.in.cap = &st;
	outs.in.capopt = &copt;
	outs.in.command_line = cmdline;
	outs.in.all_services = (o1 & 32) != 0;
	outs.in.evidence_packets = evidence_n;

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

	struct cap_flowtab *ft = cap_flowtab_new(copt.max_flows, copt.ports,
	                                         cls_flow, cl, &st);
	if (!ft)
		abort();
	if (o1 & 1) {
		for (unsigned i = 0; i < npkt; i += CAP_FLOW_BATCH) {
			unsigned n = npkt - i < CAP_FLOW_BATCH ? npkt - i :
			             CAP_FLOW_BATCH;
			cap_flowtab_batch(ft, &pkts[i], &pkt_ts[i], n);
		}
	} else {
		for (unsigned i = 0; i < npkt; i++) {
			if (live && i > 0 && pkt_ts[i] > pkt_ts[i - 1] + CAP_NS_PER_S)
				cap_flowtab_tick(ft, pkt_ts[i] - CAP_NS_PER_S / 2);
			cap_flowtab_packet(ft, &pkts[i], pkt_ts[i]);
		}
	}
	if (cap_flowtab_live(ft) > copt.max_flows)
		__builtin_trap(); /* the table never holds more than it may */
	cap_flowtab_flush(ft);
	if (cap_flowtab_live(ft) != 0)
		__builtin_trap(); /* flushed means empty */
	cap_flowtab_free(ft);

	const struct cls_result *res = cls_finish(cl, &st);
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
