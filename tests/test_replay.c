/* test_replay.c -- cap_replay() (capture/replay.c) on captures written here
 * with pcap_dump: every decoded packet handed over with its tuple, quoted
 * tuple, timestamp, lengths and raw bytes; filter, -c, several sources and
 * link types; errors before any callback. Then the evidence writer
 * (reports/evidence.c) driven directly, without the classifier: flagged
 * flows in, a pcap file out, read back with libpcap. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/capture.h"
#include "reports/reports.h"
#include "frames.h"

#define C 0x0a000003u /* 10.0.0.3 */
#define R 0x0a0000feu /* 10.0.0.254, a router */
#define NS 1000000000ull

static const uint8_t V6A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* ---- collecting views ------------------------------------------------------ */

struct seen {
	struct cap_packet_view v;
	uint8_t data[256];
};

#define MAXSEEN 64
static struct seen seen[MAXSEEN];
static unsigned nseen;

static void collect(const struct cap_packet_view *v, void *ctx)
{
	unsigned *calls = ctx;
	if (calls)
		(*calls)++;
	if (nseen < MAXSEEN) {
		seen[nseen].v = *v;
		size_t n = v->caplen;
		if (n > sizeof seen[nseen].data)
			n = sizeof seen[nseen].data; /* big frames: not compared */
		memcpy(seen[nseen].data, v->data, n);
		seen[nseen].v.data = seen[nseen].data;
	}
	nseen++;
}

static void opts(struct cap_options *o, const char *src)
{
	memset(o, 0, sizeof *o);
	if (src)
		o->sources[o->nsources++] = src;
	o->quiet = true;
	o->max_flows = 4096;
}

static int replay(const struct cap_options *o, int *lt, char *err)
{
	nseen = 0;
	return cap_replay(o, collect, NULL, lt, err, 512);
}

static void assert_v4(const uint8_t *a, uint32_t want)
{
	uint8_t w[16] = { 0 };
	put_addr4(w, want);
	assert_memory_equal(a, w, 16);
}

/* The mixed capture: what is written, in order. */
static struct frame mixed[8];
static const char *write_mixed(void)
{
	const char *p = pa_tmp("mixed.pcap");
	struct writer w;
	w_open(&w, p, DLT_EN10MB, true);
	mixed[0] = mk4(6, A, 50000, B, 3389, CAP_TH_SYN, 0);
	mixed[1] = mkarp();
	mixed[2] = mk4(6, B, 3389, A, 50000, CAP_TH_SYN | CAP_TH_ACK, 0);
	mixed[3] = mk4(17, A, 40000, C, 161, 0, 30);
	mixed[4] = mkunreach(R, &mixed[3], 3);
	mixed[5] = mkecho(A, B, 8, 0x1234);
	mixed[6] = mk6(V6A, 5000, V6B, 514, 40);
	mixed[7] = mk4(17, A, 40001, C, 514, 0, 100);
	w_put(&w, &mixed[0], T0, 1);
	w_put(&w, &mixed[1], T0, 2);
	w_put(&w, &mixed[2], T0, 123456789);
	w_put(&w, &mixed[3], T0 + 1, 0);
	w_put(&w, &mixed[4], T0 + 1, 500);
	w_put(&w, &mixed[5], T0 + 2, 999999999);
	w_put(&w, &mixed[6], T0 + 3, 3);
	w_put_cut(&w, &mixed[7], T0 + 4, 4, 14 + 20 + 8 + 10); /* snaplen cut */
	w_close(&w);
	return p;
}

/* ---- cap_replay ------------------------------------------------------------ */

static void test_every_packet(void **state)
{
	(void)state;
	const char *p = write_mixed();
	struct cap_options o;
	opts(&o, p);
	char err[512];
	int lt = 0;
	assert_int_equal(replay(&o, &lt, err), 0);
	assert_int_equal(lt, DLT_EN10MB);
	/* The ARP frame is not IP: not handed over. */
	assert_int_equal(nseen, 7);
	static const unsigned idx[7] = { 0, 2, 3, 4, 5, 6, 7 };
	static const uint64_t ts[7] = {
		T0 * NS + 1, T0 * NS + 123456789, (T0 + 1) * NS,
		(T0 + 1) * NS + 500, (T0 + 2) * NS + 999999999,
		(T0 + 3) * NS + 3, (T0 + 4) * NS + 4,
	};
	for (unsigned i = 0; i < 7; i++) {
		const struct cap_packet_view *v = &seen[i].v;
		const struct frame *f = &mixed[idx[i]];
		assert_int_equal(v->linktype, DLT_EN10MB);
		assert_int_equal(v->source, 0);
		assert_int_equal(v->ts_ns, ts[i]);
		assert_int_equal(v->wirelen, f->len);
		uint32_t cap = i == 6 ? 14 + 20 + 8 + 10 : f->len;
		assert_int_equal(v->caplen, cap);
		assert_memory_equal(v->data, f->b, cap);
	}
	/* TCP SYN A:50000 -> B:3389 */
	assert_int_equal(seen[0].v.family, 4);
	assert_int_equal(seen[0].v.proto, 6);
	assert_v4(seen[0].v.src, A);
	assert_v4(seen[0].v.dst, B);
	assert_int_equal(seen[0].v.sport, 50000);
	assert_int_equal(seen[0].v.dport, 3389);
	assert_int_equal(seen[0].v.tcp_flags, CAP_TH_SYN);
	assert_false(seen[0].v.icmp_error);
	assert_int_equal(seen[0].v.quoted.family, 0);
	/* SYN-ACK back */
	assert_v4(seen[1].v.src, B);
	assert_int_equal(seen[1].v.sport, 3389);
	assert_int_equal(seen[1].v.tcp_flags, CAP_TH_SYN | CAP_TH_ACK);
	/* UDP A:40000 -> C:161 */
	assert_int_equal(seen[2].v.proto, 17);
	assert_v4(seen[2].v.dst, C);
	assert_int_equal(seen[2].v.dport, 161);
	/* ICMP 3/3 from the router, quoting the UDP datagram */
	const struct cap_packet_view *u = &seen[3].v;
	assert_int_equal(u->proto, 1);
	assert_v4(u->src, R);
	assert_v4(u->dst, A);
	assert_true(u->icmp_error);
	assert_int_equal(u->icmp_type, 3);
	assert_int_equal(u->icmp_code, 3);
	assert_int_equal(u->quoted.family, 4);
	assert_int_equal(u->quoted.proto, 17);
	assert_v4(u->quoted.src, A);
	assert_v4(u->quoted.dst, C);
	assert_int_equal(u->quoted.sport, 40000);
	assert_int_equal(u->quoted.dport, 161);
	/* ICMP echo: both "ports" are the identifier */
	assert_int_equal(seen[4].v.proto, 1);
	assert_int_equal(seen[4].v.icmp_type, 8);
	assert_int_equal(seen[4].v.sport, 0x1234);
	assert_int_equal(seen[4].v.dport, 0x1234);
	assert_false(seen[4].v.icmp_error);
	/* IPv6 UDP */
	assert_int_equal(seen[5].v.family, 6);
	assert_memory_equal(seen[5].v.src, V6A, 16);
	assert_memory_equal(seen[5].v.dst, V6B, 16);
	assert_int_equal(seen[5].v.sport, 5000);
	assert_int_equal(seen[5].v.dport, 514);
	/* Cut by the snaplen: headers complete, still handed over */
	assert_int_equal(seen[6].v.dport, 514);
}

static void test_filter_and_count(void **state)
{
	(void)state;
	const char *p = write_mixed();
	struct cap_options o;
	char err[512];
	opts(&o, p);
	o.filter = "udp and not ip6";
	assert_int_equal(replay(&o, NULL, err), 0);
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[0].v.dport, 161);
	assert_int_equal(seen[1].v.dport, 514);

	/* -c counts every packet read, as cap_run does: the ARP frame too. */
	opts(&o, p);
	o.count = 3;
	assert_int_equal(replay(&o, NULL, err), 0);
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[1].v.tcp_flags, CAP_TH_SYN | CAP_TH_ACK);
	o.count = 1;
	assert_int_equal(replay(&o, NULL, err), 0);
	assert_int_equal(nseen, 1);
}

static void test_microseconds(void **state)
{
	(void)state;
	const char *p = pa_tmp("micro.pcap");
	struct writer w;
	w_open(&w, p, DLT_EN10MB, false);
	struct frame f = mk4(17, A, 1, B, 2, 0, 4);
	w_put(&w, &f, T0, 654321);
	w_close(&w);
	struct cap_options o;
	char err[512];
	opts(&o, p);
	assert_int_equal(replay(&o, NULL, err), 0);
	assert_int_equal(nseen, 1);
	assert_int_equal(seen[0].v.ts_ns, T0 * NS + 654321000ull);
}

static void test_sources_and_linktypes(void **state)
{
	(void)state;
	const char *p1 = pa_tmp("s1.pcap"), *p2 = pa_tmp("s2.pcap");
	const char *p3 = pa_tmp("s3.pcap");
	struct writer w;
	struct frame f;
	w_open(&w, p1, 231 /* D-Bus: not decoded */, true);
	f = mk4(17, A, 1, B, 2, 0, 4);
	w_put(&w, &f, T0, 0);
	w_close(&w);
	w_open(&w, p2, DLT_RAW, true);
	f = mkraw(A, 7, B, 8, 4);
	w_put(&w, &f, T0, 1);
	w_close(&w);
	w_open(&w, p3, DLT_EN10MB, true);
	f = mk4(17, B, 9, A, 10, 0, 4);
	w_put(&w, &f, T0, 2);
	w_close(&w);
	struct cap_options o;
	char err[512];
	opts(&o, p1);
	o.sources[o.nsources++] = p2;
	o.sources[o.nsources++] = p3;
	int lt = 0;
	assert_int_equal(replay(&o, &lt, err), 0);
	assert_int_equal(lt, DLT_RAW); /* the first source read */
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[0].v.source, 1);
	assert_int_equal(seen[0].v.linktype, DLT_RAW);
	assert_int_equal(seen[0].v.sport, 7);
	assert_int_equal(seen[0].v.caplen, 20 + 8 + 4);
	assert_int_equal(seen[1].v.source, 2);
	assert_int_equal(seen[1].v.linktype, DLT_EN10MB);
	assert_int_equal(seen[1].v.sport, 9);

	/* Only a skipped source: nothing, link type -1. */
	opts(&o, p1);
	assert_int_equal(replay(&o, &lt, err), 0);
	assert_int_equal(nseen, 0);
	assert_int_equal(lt, -1);
}

static void test_truncated_file(void **state)
{
	(void)state;
	const char *p = write_mixed();
	size_t len;
	char *all = pa_read_file(p, &len);
	assert_non_null(all);
	const char *q = pa_tmp("cut.pcap");
	/* Keep the header, the first two records and half of the third. */
	size_t keep = 24 + (16 + mixed[0].len) + (16 + mixed[1].len) + 30;
	FILE *f = fopen(q, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(all, 1, keep, f), keep);
	fclose(f);
	free(all);
	struct cap_options o;
	char err[512];
	opts(&o, q);
	assert_int_equal(replay(&o, NULL, err), 0);
	assert_int_equal(nseen, 1);
	assert_int_equal(seen[0].v.dport, 3389);
}

static void test_errors(void **state)
{
	(void)state;
	const char *good = write_mixed();
	struct cap_options o;
	char err[512];
	unsigned calls = 0;

	opts(&o, NULL);
	o.iface = "eth0";
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(pa_contains(err, "live capture"));
	assert_true(pa_contains(err, "eth0"));

	opts(&o, good);
	o.sources[o.nsources++] = "-";
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(pa_contains(err, "standard input"));

	opts(&o, NULL);
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(err[0] != 0);

	/* A file gone since the first pass: an error naming it, before any
	 * packet of the good first file is handed over. */
	const char *gone = pa_tmp("gone.pcap");
	opts(&o, good);
	o.sources[o.nsources++] = gone;
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(pa_contains(err, gone));
	assert_true(pa_contains(err, "No such file"));

	const char *junk = pa_tmp("junk.pcap");
	pa_write_file(junk, "this is not a capture file at all\n");
	opts(&o, junk);
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(pa_contains(err, junk));
	assert_true(pa_contains(err, "not a pcap"));

	opts(&o, pa_tmpdir());
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(pa_contains(err, "directory"));

	opts(&o, good);
	o.filter = "tcp port";
	assert_int_equal(cap_replay(&o, collect, &calls, NULL, err, sizeof err), -1);
	assert_true(pa_contains(err, "bad filter"));

	assert_int_equal(calls, 0);
}

static void flow_noop(const struct cap_flow *f, void *ctx)
{
	(void)f;
	(void)ctx;
}

/* The second pass sees exactly what the first pass decoded. */
static void test_same_as_cap_run(void **state)
{
	(void)state;
	static const char *const caps[] = {
		"pcaps/demo.pcap", "pcaps/frag.pcap", "pcaps/ipv6.pcap",
		"pcaps/link_sll2.pcap", "pcaps/link_vlan.pcap", "pcaps/pcapng.pcap",
	};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		struct cap_options o;
		struct cap_stats st;
		char err[512];
		opts(&o, pa_src(caps[i]));
		int rc = cap_run(&o, flow_noop, NULL, &st, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: %s", caps[i], err);
		unsigned calls = 0;
		nseen = 0;
		assert_int_equal(cap_replay(&o, collect, &calls, NULL, err,
		                            sizeof err), 0);
		if (calls != st.ip_packets)
			fail_msg("%s: replay %u packets, cap_run %llu", caps[i],
			         calls, (unsigned long long)st.ip_packets);
		assert_true(calls > 0);
	}
}

/* Later fragments get their ports from the fragment table, as in cap_run. */
static void test_fragments_keep_ports(void **state)
{
	(void)state;
	struct cap_options o;
	char err[512];
	struct cap_stats st;
	opts(&o, pa_src("pcaps/frag.pcap"));
	assert_int_equal(cap_run(&o, flow_noop, NULL, &st, err, sizeof err), 0);
	assert_int_equal(replay(&o, NULL, err), 0);
	assert_true(nseen > 0 && nseen <= MAXSEEN);
	unsigned udp = 0;
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].v.proto == 17) {
			udp++;
			assert_true(seen[i].v.sport == 161 || seen[i].v.dport == 161);
		}
	assert_true(udp >= 6);
}

/* ---- the evidence writer, driven directly ------------------------------------ */

static struct cap_flow mkflow(uint8_t proto, uint32_t a, uint16_t pa,
                              uint32_t b, uint16_t pb, uint64_t first,
                              uint64_t last)
{
	struct cap_flow f;
	memset(&f, 0, sizeof f);
	f.family = 4;
	f.proto = proto;
	put_addr4(f.addr_a, a);
	put_addr4(f.addr_b, b);
	f.port_a = pa;
	f.port_b = pb;
	f.first_ns = first;
	f.last_ns = last;
	return f;
}

static void feed(struct rep_out *o, const struct rep_input *in,
                 const struct cap_flow *f, enum cls_verdict v)
{
	struct cls_flow cf;
	memset(&cf, 0, sizeof cf);
	cf.flow = f;
	cf.verdict = v;
	cf.service = -1;
	cf.server = -1;
	cf.reason = "test";
	rep_evidence.flow(o, in, &cf);
}

/* The evidence writer over source `src` (one Ethernet file), opened on
 * `out`, at most `npackets` packets a flow: what each writer test sets up. */
struct ev_run {
	struct cap_options o;
	struct cap_stats st;
	struct rep_input in;
	struct rep_out *ro;
	char err[512];
};

static void ev_begin(struct ev_run *e, const char *src, const char *out,
                     unsigned npackets)
{
	memset(e, 0, sizeof *e);
	opts(&e->o, src);
	e->st.linktypes[0] = DLT_EN10MB;
	e->st.nsources = 1;
	e->in.capopt = &e->o;
	e->in.cap = &e->st;
	e->in.evidence_packets = npackets;
	e->ro = rep_open(&rep_evidence, out, e->err, sizeof e->err);
	assert_non_null(e->ro);
}

/* Write the evidence and close: both must succeed. */
static void ev_end(struct ev_run *e)
{
	assert_int_equal(rep_evidence.report(e->ro, &e->in), 0);
	assert_int_equal(rep_close(e->ro, e->err, sizeof e->err), 0);
}

struct rec {
	uint64_t ts;
	uint32_t caplen, len;
	uint8_t data[256];
};

/* Read a pcap back: link type, nanosecond magic, records. */
static unsigned read_back(const char *path, int *dlt, struct rec *r,
                          unsigned max)
{
	size_t len;
	char *raw = pa_read_file(path, &len);
	assert_non_null(raw);
	assert_true(len >= 24);
	uint32_t magic;
	memcpy(&magic, raw, 4);
	assert_int_equal(magic, 0xa1b23c4du); /* nanosecond pcap */
	free(raw);
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, eb);
	assert_non_null(p);
	*dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (n < max) {
			r[n].ts = (uint64_t)h->ts.tv_sec * NS +
			          (uint64_t)h->ts.tv_usec;
			r[n].caplen = h->caplen;
			r[n].len = h->len;
			assert_true(h->caplen <= sizeof r[n].data);
			memcpy(r[n].data, d, h->caplen);
		}
		n++;
	}
	pcap_close(p);
	return n;
}

static void test_writer(void **state)
{
	(void)state;
	/* A flagged TCP flow with 5 packets, an expected UDP flow, a blocked
	 * UDP flow answered by an ICMP error from a router, a reused tuple
	 * outside the flagged window, a flagged echo. */
	const char *p = pa_tmp("ev-src.pcap");
	struct writer w;
	w_open(&w, p, DLT_EN10MB, false); /* microseconds in, ns out */
	struct frame f[12];
	f[0] = mk4(6, C, 52000, A, 3389, CAP_TH_SYN, 0);
	f[1] = mk4(6, A, 3389, C, 52000, CAP_TH_SYN | CAP_TH_ACK, 0);
	f[2] = mk4(17, A, 40001, B, 161, 0, 20);   /* expected */
	f[3] = mk4(6, C, 52000, A, 3389, CAP_TH_ACK, 0);
	f[4] = mk4(17, B, 161, A, 40001, 0, 60);   /* expected */
	f[5] = mk4(6, C, 52000, A, 3389, CAP_TH_ACK, 50);
	f[6] = mk4(6, A, 3389, C, 52000, CAP_TH_ACK, 70);
	f[7] = mk4(17, A, 40002, C, 514, 0, 30);   /* blocked */
	f[8] = mkunreach(R, &f[7], 13);            /* ... by the router */
	f[9] = mk4(6, C, 52000, A, 3389, CAP_TH_SYN, 0); /* same tuple, later */
	f[10] = mkecho(C, A, 8, 77);
	f[11] = mkecho(A, C, 0, 77);
	for (unsigned i = 0; i < 12; i++)
		w_put(&w, &f[i], T0 + (i == 9 ? 1000 : i), 100 + i);
	w_close(&w);

	const char *out = pa_tmp("ev.pcap");
	struct ev_run e;
	ev_begin(&e, p, out, 3);
	uint64_t us = 1000;
	struct cap_flow tcp = mkflow(6, C, 52000, A, 3389, T0 * NS + 100 * us,
	                             (T0 + 6) * NS + 106 * us);
	struct cap_flow exp = mkflow(17, A, 40001, B, 161, (T0 + 2) * NS,
	                             (T0 + 4) * NS + 104 * us);
	struct cap_flow blk = mkflow(17, A, 40002, C, 514, (T0 + 7) * NS + 107 * us,
	                             (T0 + 7) * NS + 107 * us);
	struct cap_flow later = mkflow(6, C, 52000, A, 3389,
	                               (T0 + 1000) * NS + 109 * us,
	                               (T0 + 1000) * NS + 109 * us);
	struct cap_flow echo = mkflow(1, C, 77, A, 8 << 8,
	                              (T0 + 10) * NS + 110 * us,
	                              (T0 + 11) * NS + 111 * us);
	feed(e.ro, &e.in, &tcp, CLS_V_UNEXPECTED);
	feed(e.ro, &e.in, &exp, CLS_V_EXPECTED);
	feed(e.ro, &e.in, &blk, CLS_V_BLOCKED);
	feed(e.ro, &e.in, &later, CLS_V_EXPECTED);
	feed(e.ro, &e.in, &echo, CLS_V_VIOLATION);
	ev_end(&e);

	struct rec r[16];
	int dlt;
	unsigned n = read_back(out, &dlt, r, 16);
	assert_int_equal(dlt, DLT_EN10MB);
	/* TCP: 3 of its 5 packets (the limit); blocked UDP and its ICMP
	 * error; the echo pair. Not the expected flow, not the later reuse. */
	static const unsigned want[7] = { 0, 1, 3, 7, 8, 10, 11 };
	assert_int_equal(n, 7);
	for (unsigned i = 0; i < 7; i++) {
		unsigned k = want[i];
		assert_int_equal(r[i].ts, (T0 + k) * NS + (100 + k) * us);
		assert_int_equal(r[i].caplen, f[k].len);
		assert_int_equal(r[i].len, f[k].len);
		assert_memory_equal(r[i].data, f[k].b, f[k].len);
	}
}

static void test_writer_nothing_flagged(void **state)
{
	(void)state;
	const char *out = pa_tmp("empty-ev.pcap");
	struct ev_run e;
	ev_begin(&e, write_mixed(), out, 20);
	struct cap_flow fl = mkflow(6, A, 50000, B, 3389, 0, UINT64_MAX / 2);
	feed(e.ro, &e.in, &fl, CLS_V_EXPECTED);
	ev_end(&e);
	struct rec r[4];
	int dlt;
	assert_int_equal(read_back(out, &dlt, r, 4), 0);
	assert_int_equal(dlt, DLT_EN10MB);
}

static void test_writer_refuses_live_and_stdin(void **state)
{
	(void)state;
	struct cap_options o;
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	struct rep_input in;
	memset(&in, 0, sizeof in);
	in.capopt = &o;
	in.cap = &st;
	in.evidence_packets = 20;
	char err[512];
	for (int k = 0; k < 2; k++) {
		opts(&o, k ? "-" : NULL);
		if (!k)
			o.iface = "lo";
		const char *out = pa_tmp(k ? "stdin-ev.pcap" : "live-ev.pcap");
		struct rep_out *ro = rep_open(&rep_evidence, out, err, sizeof err);
		assert_non_null(ro);
		struct cap_flow fl = mkflow(6, A, 1, B, 2, 0, 10);
		feed(ro, &in, &fl, CLS_V_VIOLATION);
		assert_int_equal(rep_evidence.report(ro, &in), -1);
		assert_int_equal(rep_close(ro, err, sizeof err), -1);
		struct stat sb;
		assert_int_not_equal(stat(out, &sb), 0); /* nothing published */
	}
}

/* More flagged flows than the table holds (100000): the first ones keep
 * their packets, the others are counted (stderr) and have none. */
static void test_writer_table_full(void **state)
{
	(void)state;
	const char *p = pa_tmp("full-src.pcap");
	struct writer w;
	w_open(&w, p, DLT_EN10MB, true);
	struct frame first = mk4(17, A, 1, B, 80, 0, 4);
	struct frame last = mk4(17, C, 1, B, 80, 0, 4);
	w_put(&w, &first, T0, 0);
	w_put(&w, &last, T0, 1);
	w_close(&w);
	const char *out = pa_tmp("full-ev.pcap");
	struct ev_run e;
	ev_begin(&e, p, out, 5);
	/* Flow 0 is A:1 -> B:80; flows 1..99999 other addresses; the last
	 * one, C:1 -> B:80, is beyond the table. */
	for (uint32_t i = 0; i <= 100000; i++) {
		uint32_t src = i == 0 ? A : i == 100000 ? C
		               : 0x0b000000u + (i >> 16);
		uint16_t port = (uint16_t)(i == 0 || i == 100000 ? 1 : (i & 0xffff));
		struct cap_flow fl = mkflow(17, src, port, B, 80, T0 * NS,
		                            T0 * NS + 10);
		feed(e.ro, &e.in, &fl, CLS_V_UNEXPECTED);
	}
	ev_end(&e);
	struct rec r[4];
	int dlt;
	assert_int_equal(read_back(out, &dlt, r, 4), 1);
	assert_memory_equal(r[0].data, first.b, first.len);
}

/* Many flagged flows of one tuple (a syslog flow that times out and comes
 * back): each packet goes to the flow whose window holds it, the packets
 * between the windows to none, whatever the order the flows ended in. */
static void test_writer_one_tuple_many_windows(void **state)
{
	(void)state;
	const char *p = pa_tmp("tuple-src.pcap");
	struct writer w;
	w_open(&w, p, DLT_EN10MB, true);
	struct frame f = mk4(17, A, 514, B, 514, 0, 8);
	w_put(&w, &f, T0 + 0, 500);               /* flow 0 */
	w_put(&w, &f, T0 + 500 * 100 + 50, 0);    /* between 500 and 501 */
	w_put(&w, &f, T0 + 500 * 100, 999999999); /* flow 500, 2nd packet */
	w_put(&w, &f, T0 + 999 * 100 + 1, 0);     /* flow 999, its last */
	w_put(&w, &f, T0 + 999 * 100 + 2, 0);     /* after every window */
	w_close(&w);
	const char *out = pa_tmp("tuple-ev.pcap");
	struct ev_run e;
	ev_begin(&e, p, out, 20);
	for (uint32_t k = 0; k < 1000; k++) {
		uint32_t i = (k * 7919u) % 1000; /* not in time order */
		struct cap_flow fl = mkflow(17, i & 1 ? B : A, 514, i & 1 ? A : B,
		                            514, (T0 + i * 100) * NS,
		                            (T0 + i * 100 + 1) * NS);
		feed(e.ro, &e.in, &fl, CLS_V_UNEXPECTED);
	}
	ev_end(&e);
	struct rec r[8];
	int dlt;
	assert_int_equal(read_back(out, &dlt, r, 8), 3);
	assert_int_equal(r[0].ts, T0 * NS + 500);
	assert_int_equal(r[1].ts, (T0 + 500 * 100) * NS + 999999999);
	assert_int_equal(r[2].ts, (T0 + 999 * 100 + 1) * NS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_packet),
		cmocka_unit_test(test_filter_and_count),
		cmocka_unit_test(test_microseconds),
		cmocka_unit_test(test_sources_and_linktypes),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_same_as_cap_run),
		cmocka_unit_test(test_fragments_keep_ports),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_nothing_flagged),
		cmocka_unit_test(test_writer_refuses_live_and_stdin),
		cmocka_unit_test(test_writer_table_full),
		cmocka_unit_test(test_writer_one_tuple_many_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
