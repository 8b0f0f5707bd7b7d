/*
 * fuzz_pcap.c -- libFuzzer target for whole capture files: the input is
 * written to a file and read by cap_run() as `portaudit -r FILE` reads it
 * (libpcap's pcap and pcapng readers, the link-type check, the decoders,
 * the flow table on its thread), every flow is classified with every
 * address a server (so that each one is judged), and the JSON report and
 * the evidence file (reports/evidence.c, which reads the file a second
 * time through cap_replay) are written. The catalog is the built-in one
 * cut to the base and common ports and two products (fz_small_model):
 * with all 115 services, writing and re-reading the report took four
 * fifths of the time of an input. A file libpcap refuses must give
 * an error message; one it reads must give a JSON report that parses, and
 * evidence that libpcap reads back with no more packets than the file had.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Packets in a capture file that libpcap reads, or -1. */
static long count_packets(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	if (!p)
		return -1;
	long n = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(p, &h, &d) == 1)
		n++;
	pcap_close(p);
	return n;
}

/* The evidence writer records the flagged flows as they are classified. */
struct sink {
	struct rep_out *o;
	struct rep_input *in;
};

static void flow_sink(const struct cls_flow *cf, void *ctx)
{
	struct sink *s = ctx;
	s->o->w->flow(s->o, s->in, cf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cat_model *model = fz_small_model();
	char in_path[512], json_path[512], ev_path[512], errbuf[512];
	fz_path(in_path, sizeof in_path, "input.pcap");
	fz_path(json_path, sizeof json_path, "report.json");
	fz_path(ev_path, sizeof ev_path, "evidence.pcap");
	FILE *f = fopen(in_path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(in_path);
		abort();
	}

	struct cap_options copt;
	memset(&copt, 0, sizeof copt);
	copt.sources[copt.nsources++] = in_path;
	copt.quiet = true;
	/* Small caps: quick to set up for every input, and an input of up
	 * to 64 KiB (make fuzz's -max_len) can reach them, so that eviction
	 * and dropped findings are tried too. */
	copt.max_flows = 256;
	copt.ports = &fz_small_pm;

	struct rep_out *outs[2];
	outs[0] = rep_open(&rep_json, json_path, errbuf, sizeof errbuf);
	outs[1] = rep_open(&rep_evidence, ev_path, errbuf, sizeof errbuf);
	if (!outs[0] || !outs[1]) {
		fprintf(stderr, "fuzz: %s\n", errbuf);
		abort();
	}
	static struct cls_server servers[2];
	struct cls_options clo;
	memset(&clo, 0, sizeof clo);
	clo.servers = servers;
	clo.nservers = fz_all_servers(servers);
	clo.fail_on = (1 << CLS_K_COUNT) - 1;
	clo.max_findings = 256;
	struct rep_input rin;
	memset(&rin, 0, sizeof rin);
	rin.model = model;
	rin.capopt = &copt;
	rin.evidence_packets = 20;
	struct sink sink = { outs[1], &rin };
	clo.sink = flow_sink;
	clo.sink_ctx = &sink;
	struct cls *cl = cls_new(model, &clo);
	if (!cl)
		abort();

	struct cap_stats st;
	if (cap_run(&copt, cls_flow, cl, &st, errbuf, sizeof errbuf) != 0) {
		if (!errbuf[0])
			__builtin_trap(); /* every refusal says why */
		rep_abort(outs[0]);
		rep_abort(outs[1]);
		cls_free(cl);
		unlink(in_path);
		return 0;
	}
	const struct cls_result *res = cls_finish(cl, &st);
	rin.cap = &st;
	rin.res = res;
	rin.command_line = "portaudit -r input.pcap --server 0.0.0.0/0 "
	                   "--server ::/0 --json report.json --evidence "
	                   "evidence.pcap";
	/* Neither writer may fail: the file is still there to read again,
	 * and a memory file system has room. */
	for (unsigned i = 0; i < 2; i++) {
		if (outs[i]->w->report(outs[i], &rin) != 0)
			__builtin_trap();
		if (rep_close(outs[i], errbuf, sizeof errbuf) != 0) {
			fprintf(stderr, "fuzz: %s\n", errbuf);
			__builtin_trap();
		}
	}
	fz_check_json(json_path, res);
	long ev = count_packets(ev_path);
	if (ev < 0 || (uint64_t)ev > st.packets)
		__builtin_trap(); /* evidence unreadable, or made up */
	unlink(json_path);
	unlink(ev_path);
	unlink(in_path);
	cls_free(cl);
	return 0;
}
