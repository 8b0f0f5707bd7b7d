/*
 * test_zeek_traces.c -- cap_zeek_read() on Zeek's own conn.logs against
 * cap_run() on the traces Zeek wrote them from (../shared/zeek: NAME.pcap
 * and NAME.conn.log, see its README), and classify on both.
 *
 * Per trace, every flow of the conn.log is matched with a flow of the
 * packet path (same protocol, the same two ends, the same first packet
 * when Zeek's ts is known) and compared: initiator (which end is a),
 * packets each way, outcome, whether the initiator is a guess. Then both
 * flow sets go through classify (the built-in catalog, every address a
 * server, so that every flow is judged) and the findings are compared:
 * kind, protocol, port, server, peer, initiator, outcome, flows, packets.
 *
 * Where the mapping loses something the flows differ; each such
 * difference is listed below in `expected` with why, and the test fails
 * on any difference not listed and on any listed one that no longer
 * happens. Bytes are not compared: Zeek's are layer 3 (orig_ip_bytes),
 * the packet path's on the wire. Skips when ../shared/zeek is absent.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/records.h"
#include "catalog/catalog.h"
#include "classify/classify.h"

#define MAXF 512
#define MAXD 64

struct set {
	struct cap_flow f[MAXF];
	unsigned n;
};

static void collect(const struct cap_flow *f, void *ctx)
{
	struct set *s = ctx;
	assert_true(s->n < MAXF);
	s->f[s->n++] = *f;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmp6";
	default: return "ip";
	}
}

static bool is_icmp(uint8_t p)
{
	return p == 1 || p == 58;
}

/* "tcp 10.0.0.1:40000>10.0.0.2:22" (ICMP: "icmp 10.0.0.1>10.0.0.2 8/0"). */
static void tuple(const struct cap_flow *f, char *buf, size_t len)
{
	char a[64], b[64];
	cap_addr_format(f->family, f->addr_a, a, sizeof a);
	cap_addr_format(f->family, f->addr_b, b, sizeof b);
	if (is_icmp(f->proto))
		snprintf(buf, len, "%s %s>%s %u/%u", proto_name(f->proto), a, b,
		         f->port_b >> 8, f->port_b & 0xff);
	else
		snprintf(buf, len, "%s %s:%u>%s:%u", proto_name(f->proto), a,
		         f->port_a, b, f->port_b);
}

/* Same two ends (either way round)? ICMP: the two hosts and the type. */
static int same_ends(const struct cap_flow *z, const struct cap_flow *p)
{
	if (z->proto != p->proto || z->family != p->family)
		return 0;
	if (is_icmp(z->proto)) {
		if (z->port_b != p->port_b)
			return 0;
		if (!memcmp(z->addr_a, p->addr_a, 16) &&
		    !memcmp(z->addr_b, p->addr_b, 16))
			return 1;
		if (!memcmp(z->addr_a, p->addr_b, 16) &&
		    !memcmp(z->addr_b, p->addr_a, 16))
			return -1;
		return 0;
	}
	if (!memcmp(z->addr_a, p->addr_a, 16) && z->port_a == p->port_a &&
	    !memcmp(z->addr_b, p->addr_b, 16) && z->port_b == p->port_b)
		return 1;
	if (!memcmp(z->addr_a, p->addr_b, 16) && z->port_a == p->port_b &&
	    !memcmp(z->addr_b, p->addr_a, 16) && z->port_b == p->port_a)
		return -1;
	return 0;
}

static unsigned long long secs(uint64_t ns)
{
	return (unsigned long long)(ns / 1000000000u);
}

static unsigned long long usecs(uint64_t ns)
{
	return (unsigned long long)(ns % 1000000000u / 1000u);
}

struct diffs {
	char d[MAXD][200];
	unsigned n;
};

static void add(struct diffs *d, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static void add(struct diffs *d, const char *fmt, ...)
{
	assert_true(d->n < MAXD);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->d[d->n++], sizeof d->d[0], fmt, ap);
	va_end(ap);
}

/* Match every Zeek flow with a packet flow and list what differs. */
static void compare_flows(const struct set *zs, const struct set *ps,
                          struct diffs *d)
{
	bool used[MAXF] = { false };
	bool zdone[MAXF] = { false };
	/* Two passes: the same ends and the same first packet (to the
	 * microsecond, Zeek's resolution) first, then the same ends alone:
	 * a row whose ts the shared logs' README could not restore. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < zs->n; i++) {
			if (zdone[i])
				continue;
			const struct cap_flow *z = &zs->f[i];
			for (unsigned k = 0; k < ps->n; k++) {
				const struct cap_flow *p = &ps->f[k];
				if (used[k] || !same_ends(z, p))
					continue;
				if (pass == 0 &&
				    z->first_ns / 1000 != p->first_ns / 1000)
					continue;
				used[k] = zdone[i] = true;
				char t[160];
				tuple(z, t, sizeof t);
				if (z->first_ns / 1000 != p->first_ns / 1000)
					add(d, "%s: ts %llu.%06llu, first packet "
					    "%llu.%06llu", t, secs(z->first_ns),
					    usecs(z->first_ns), secs(p->first_ns),
					    usecs(p->first_ns));

				if (same_ends(z, p) < 0)
					add(d, "%s: initiator: packets say the "
					    "other end", t);
				int rev = same_ends(z, p) < 0;
				if (z->pkts[0] != p->pkts[rev] ||
				    z->pkts[1] != p->pkts[!rev])
					add(d, "%s: packets %u/%u, from packets "
					    "%u/%u", t, z->pkts[0], z->pkts[1],
					    p->pkts[rev], p->pkts[!rev]);
				if (z->outcome != p->outcome)
					add(d, "%s: outcome %s, from packets %s",
					    t, cap_outcome_name(z->outcome),
					    cap_outcome_name(p->outcome));
				if (z->initiator_inferred != p->initiator_inferred)
					add(d, "%s: initiator_inferred %u, from "
					    "packets %u", t, z->initiator_inferred,
					    p->initiator_inferred);
				if ((z->tunnel != 0) != (p->tunnel != 0))
					add(d, "%s: tunnel %s, from packets %s",
					    t, z->tunnel ? "yes" : "none",
					    p->tunnel ? "yes" : "none");
				break;
			}
		}
	}
	for (unsigned i = 0; i < zs->n; i++)
		if (!zdone[i]) {
			char t[160];
			tuple(&zs->f[i], t, sizeof t);
			add(d, "%s: only in conn.log", t);
		}
	for (unsigned k = 0; k < ps->n; k++)
		if (!used[k]) {
			char t[160];
			tuple(&ps->f[k], t, sizeof t);
			add(d, "%s: only from packets", t);
		}
}

/* ---- classification ------------------------------------------------------ */

struct model {
	struct catalog cat;
	struct cat_model m;
	struct cap_portmap pm;
};

static struct model *model_new(void)
{
	struct model *m = calloc(1, sizeof *m);
	assert_non_null(m);
	struct cat_error err;
	assert_int_equal(cat_load_file(&m->cat, NULL, &err), 0);
	assert_int_equal(cat_apply(&m->m, &m->cat, NULL, 0, &err), 0);
	cls_portmap(&m->m, &m->pm);
	return m;
}

static void model_free(struct model *m)
{
	cat_model_free(&m->m);
	cat_free(&m->cat);
	free(m);
}

#define MAXK 128

/* The findings of a flow set, one line each, sorted. */
static unsigned findings(const struct model *m, const struct set *s,
                         char out[][200])
{
	static struct cls_server srv[2];
	memset(srv, 0, sizeof srv);
	srv[0].family = 4; /* 0.0.0.0/0 */
	srv[1].family = 6; /* ::/0 */
	snprintf(srv[0].how, sizeof srv[0].how, "test");
	snprintf(srv[1].how, sizeof srv[1].how, "test");
	struct cls_options o;
	memset(&o, 0, sizeof o);
	o.servers = srv;
	o.nservers = 2;
	o.fail_on = (1 << CLS_K_COUNT) - 1;
	struct cls *c = cls_new(&m->m, &o);
	assert_non_null(c);
	for (unsigned i = 0; i < s->n; i++)
		cls_flow(&s->f[i], c);
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.packets = 1;
	const struct cls_result *r = cls_finish(c, &st);
	unsigned n = 0;
	for (uint32_t i = 0; i < r->nfindings; i++) {
		const struct cls_finding *f = &r->findings[i];
		if (f->kind == CLS_K_MISSING)
			continue;
		assert_true(n < MAXK);
		char sv[64], pe[64];
		cap_addr_format(f->family, f->server, sv, sizeof sv);
		cap_addr_format(f->family, f->peer, pe, sizeof pe);
		snprintf(out[n++], 200, "%s %s %u %s %s init=%s %s flows=%llu "
		         "packets=%llu", cls_kind_name(f->kind),
		         proto_name(f->proto), f->port, sv, pe,
		         f->server_initiated ? "server" : "peer",
		         cap_outcome_name(f->outcome),
		         (unsigned long long)f->flows,
		         (unsigned long long)f->packets);
	}
	/* And the summary's counts, as one more line. */
	const struct cls_summary *su = &r->summary;
	assert_true(n < MAXK);
	snprintf(out[n++], 200, "summary: flows=%llu expected=%llu "
	         "unexpected=%llu violation=%llu blocked=%llu",
	         (unsigned long long)su->flows,
	         (unsigned long long)su->expected,
	         (unsigned long long)su->unexpected,
	         (unsigned long long)su->violation,
	         (unsigned long long)su->blocked);
	/* Every flow was judged (every address is a server), but link
	 * infrastructure (pppoe's ICMPv6 neighbour discovery). */
	assert_int_equal(su->flows + su->other_flows, s->n);
	cls_free(c);
	qsort(out, n, 200, (int (*)(const void *, const void *))strcmp);
	return n;
}

static void compare_findings(const struct model *m, const struct set *zs,
                             const struct set *ps, struct diffs *d)
{
	static char zf[MAXK][200], pf[MAXK][200];
	unsigned nz = findings(m, zs, zf), np = findings(m, ps, pf);
	unsigned i = 0, k = 0;
	while (i < nz || k < np) {
		int c = i == nz ? 1 : k == np ? -1 : strcmp(zf[i], pf[k]);
		if (c == 0) {
			i++;
			k++;
		} else if (c < 0) {
			add(d, "finding only from conn.log: %s", zf[i++]);
		} else {
			add(d, "finding only from packets: %s", pf[k++]);
		}
	}
}

/* ---- the traces ---------------------------------------------------------- */

struct trace {
	const char *name;
	unsigned records;        /* conn.log records */
	const char *expected[MAXD]; /* the differences, each with why */
};

#define RESTORED "-- the shared log's ts, masked in Zeek's test suite, " \
	"was restored (../shared/zeek/README.md) from another packet or " \
	"left 0: not this row's first packet"
#define SPLIT "-- Zeek gave up the attempt 5 s after the unanswered SYN " \
	"(tcp_attempt_delay) and logged the later packets as a new " \
	"connection (SH, no SYN); the packet path keeps one flow (an " \
	"unanswered SYN waits 30 s)"
#define SPLIT_FINDING "-- the same split: the first record alone is " \
	"unanswered, so the blocked finding counts fewer packets"

static const struct trace traces[] = {
	{ "dhcp", 4, { NULL } },
	{ "get", 1, { NULL } },
	{ "ipv6", 6, { NULL } },
	{ "missing-syn", 1, { NULL } },
	{ "mpls-in-vlan", 3, { NULL } },
	{ "pop3", 11, { NULL } },
	{ "pppoe", 7, {
		"icmp6 fc00:0:2:100::1:1>fc00::1 128/0: ts 0.000000, first "
		"packet 1284385451.658560 " RESTORED,
		"icmp6 fe80::c801:eff:fe88:8>fe80::ce05:eff:fe88:0 134/0: ts "
		"0.000000, first packet 1284385413.027560 " RESTORED,
		"icmp6 fe80::c801:eff:fe88:8>ff02::1 136/0: ts "
		"1284385418.014560, first packet 1284385411.091560 " RESTORED,
		"icmp6 fe80::ce05:eff:fe88:0>ff02::2 133/0: ts "
		"1284385411.035560, first packet 1284385412.963560 " RESTORED,
		NULL } },
	{ "q-in-q", 2, { NULL } },
	{ "ssh", 25, { NULL } },
	{ "ssh.client-side-half-duplex", 25, {
		"tcp 192.168.1.79:51880>131.159.21.1:22: packets 19/0, from "
		"packets 25/0 " SPLIT,
		"tcp 192.168.1.79:51880>131.159.21.1:22: only in conn.log "
		SPLIT,
		"tcp 192.168.2.1:57189>192.168.2.158:22: packets 21/0, from "
		"packets 38/0 " SPLIT,
		"tcp 192.168.2.1:57189>192.168.2.158:22: only in conn.log "
		SPLIT,
		"tcp 192.168.2.1:56594>192.168.2.158:22: packets 13/0, from "
		"packets 17/0 " SPLIT,
		"tcp 192.168.2.1:56594>192.168.2.158:22: only in conn.log "
		SPLIT,
		"tcp 192.168.2.1:56875>192.168.2.158:22: packets 12/0, from "
		"packets 19/0 " SPLIT,
		"tcp 192.168.2.1:56875>192.168.2.158:22: only in conn.log "
		SPLIT,
		"tcp 192.168.1.32:41164>128.2.10.238:22: packets 20/0, from "
		"packets 32/0 " SPLIT,
		"tcp 192.168.1.32:41164>128.2.10.238:22: only in conn.log "
		SPLIT,
		"finding only from conn.log: summary: flows=25 expected=25 "
		"unexpected=0 violation=0 blocked=0 -- the same split: 5 more "
		"records; a client-side half-duplex trace, so every attempt's "
		"SYN-ACK went uncaptured and none is judged blocked",
		"finding only from packets: summary: flows=20 expected=20 "
		"unexpected=0 violation=0 blocked=0 -- the same split, seen "
		"from the packets",
		NULL } },
	{ "vxlan", 5, {
		"icmp 10.0.0.1>10.0.0.2 8/0: ts 0.000000, first packet "
		"1467818432.676047 " RESTORED,
		"icmp 10.0.0.1>10.0.0.2 8/0: tunnel none, from packets yes -- "
		"conn.log names the tunnel only by its connection's uid "
		"(tunnel_parents): the flow carries no tunnel id, counted in "
		"rec.tunneled instead",
		"udp 192.168.56.12:38071>192.168.56.11:4789: ts 0.000000, "
		"first packet 1467818432.676385 " RESTORED,
		"udp 192.168.56.11:48134>192.168.56.12:4789: ts "
		"1467818432.675392, first packet 1467818432.676047 " RESTORED,
		NULL } },
	{ "wikipedia", 34, { NULL } },
};

/* Is the difference d the one listed as "d -- why"? */
static bool listed(const char *d, const char *exp)
{
	size_t n = strlen(d);
	return strncmp(d, exp, n) == 0 && strncmp(exp + n, " -- ", 4) == 0;
}

static void run_trace(void **state)
{
	const struct trace *t = *state;
	char rel[256], pcap[512], log[512];
	snprintf(pcap, sizeof pcap, "%s", pa_src("../shared/zeek"));
	if (access(pcap, R_OK) != 0)
		pa_skip("../shared/zeek is absent");
	snprintf(rel, sizeof rel, "../shared/zeek/%s.pcap", t->name);
	snprintf(pcap, sizeof pcap, "%s", pa_src(rel));
	snprintf(rel, sizeof rel, "../shared/zeek/%s.conn.log", t->name);
	snprintf(log, sizeof log, "%s", pa_src(rel));

	struct model *m = model_new();
	static struct set zs, ps;
	zs.n = ps.n = 0;

	struct cap_rec_stats rs;
	memset(&rs, 0, sizeof rs);
	char err[512];
	int rc = cap_zeek_read(log, collect, &zs, &rs, false, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(rs.records, t->records);
	assert_int_equal(rs.malformed, 0);
	assert_int_equal(zs.n, t->records);

	struct cap_options o;
	memset(&o, 0, sizeof o);
	o.sources[0] = pcap;
	o.nsources = 1;
	o.quiet = true;
	o.max_flows = 4096;
	o.ports = &m->pm;
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	rc = cap_run(&o, collect, &ps, &st, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);

	static struct diffs d;
	d.n = 0;
	compare_flows(&zs, &ps, &d);
	compare_findings(m, &zs, &ps, &d);
	model_free(m);

	unsigned bad = 0, nexp = 0;
	while (t->expected[nexp])
		nexp++;
	for (unsigned i = 0; i < d.n; i++) {
		bool known = false;
		for (unsigned k = 0; k < nexp; k++)
			known |= listed(d.d[i], t->expected[k]);
		printf("%s: %s%s\n", t->name, known ? "" : "NEW: ", d.d[i]);
		bad += !known;
	}
	for (unsigned k = 0; k < nexp; k++) {
		bool seen = false;
		for (unsigned i = 0; i < d.n; i++)
			seen |= listed(d.d[i], t->expected[k]);
		if (!seen) {
			printf("%s: GONE: %s\n", t->name, t->expected[k]);
			bad++;
		}
	}
	printf("%s: %u conn.log records, %u packet flows, %u differences "
	       "(all listed)\n", t->name, zs.n, ps.n, d.n);
	assert_int_equal(bad, 0);
}

int main(void)
{
	struct CMUnitTest tests[sizeof traces / sizeof traces[0]];
	for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
		struct CMUnitTest u = { traces[i].name, run_trace, NULL, NULL,
		                        (void *)&traces[i] };
		tests[i] = u;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
