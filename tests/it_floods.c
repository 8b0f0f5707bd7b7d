/*
 * it_floods.c -- safe to run unattended (issue 13): a flood of any one
 * kind keeps memory under a stated bound, and the report says which cap
 * was reached and what it dropped.
 *
 * Each case writes a flood with $FLOODGEN (tests/floodgen.c: fixed seed,
 * a background of 3 complete connections to the server first), runs the
 * real binary on it (`-q -r FILE --server 10.0.0.5 --json OUT`, small caps
 * where an option sets one), measures the child's peak RSS (wait4's
 * ru_maxrss, which also counts the few MiB of this test process forked
 * before exec), and checks the exit status, the counter or caveat that
 * names the cap, the count in it, and the findings.
 *
 * The bounds are the peak RSS measured on the 2-core development machine,
 * times 1.5 or so, rounded up, plus what transparent huge pages can add
 * (THP_KIB; docs/flows.md, "Caps under floods", has the same table):
 * they are flat in N, since every table is capped, so the flood sizes
 * only need to reach the caps. The ASan build (PA_VARIANT=san
 * or tsan) has shadow memory and quarantine on top: its own bounds, the
 * same floods (about 18 s there, 6 s in rel), plus an eighth of the
 * capture's size: the shadow of the mapped capture, which on some
 * machines becomes resident as the reader goes (the 161 MiB scan capture
 * took 57 MiB under ASan on one, 38 MiB read in blocks, 27 MiB mapped on
 * another; 12 MiB in rel on both).
 */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool san(void)
{
	const char *v = getenv("PA_VARIANT");
	return v && strcmp(v, "rel") != 0;
}

/* The size of the capture audit() read last, KiB. */
static long capture_kib;

/* What transparent huge pages can add to a peak, KiB: three 2 MiB pages
 * where 4 KiB ones would have been touched (the flow table's first
 * entries and the start of its index, MADV_HUGEPAGE; the mapped capture
 * when the page cache holds it in 2 MiB folios, let go 2 MiB at a time).
 * Whether the kernel finds them depends on the machine's memory: the
 * fragment flood peaked at 9.7 MiB with THP disabled (prctl), 11.9 MiB
 * on the development machine and 15.8 MiB in one CI run. */
#define THP_KIB (6 * 1024)

/* The peak RSS bound of a case, KiB: rel, else the sanitizer build's with
 * the shadow of the capture audit() last read; either with THP_KIB. */
static long bound_kib(long rel_kib, long san_kib)
{
	return (san() ? san_kib + capture_kib / 8 : rel_kib) + THP_KIB;
}

struct counts { /* what floodgen printed */
	unsigned long long packets, flows, a, b;
};

/* floodgen KIND N into tmp/KIND.pcap; its line's counts: `a` and `b` are
 * the kind's own (sources, first/later fragments, contacts/lone...). */
static void gen(const char *kind, unsigned long long n, struct counts *ct)
{
	const char *fg = getenv("FLOODGEN");
	if (!fg)
		fail_msg("FLOODGEN is not set (tests/run.sh sets it)");
	char nbuf[32], path[1100];
	snprintf(nbuf, sizeof nbuf, "%llu", n);
	snprintf(path, sizeof path, "%s/%s.pcap", pa_tmpdir(), kind);
	const char *argv[] = { fg, kind, nbuf, path, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("floodgen %s %s: %d: %s", kind, nbuf, r.status, r.err);
	memset(ct, 0, sizeof *ct);
	const char *p = strstr(r.out, "packets=");
	assert_non_null(p);
	char *end;
	ct->packets = strtoull(p + 8, &end, 10);
	p = strstr(end, "flows=");
	assert_non_null(p);
	ct->flows = strtoull(p + 6, &end, 10);
	p = strchr(end, '=');
	if (p) {
		ct->a = strtoull(p + 1, &end, 10);
		p = strchr(end, '=');
		if (p)
			ct->b = strtoull(p + 1, &end, 10);
	}
	pa_result_free(&r);
}

/* Run portaudit on tmp/KIND.pcap with the extra arguments; the report.
 * The capture is removed afterwards (they are tens of MB). */
static json_t *audit(const char *kind, const char *const *extra,
                     struct pa_result *r)
{
	char path[1100], json[1100];
	snprintf(path, sizeof path, "%s/%s.pcap", pa_tmpdir(), kind);
	snprintf(json, sizeof json, "%s/%s.json", pa_tmpdir(), kind);
	const char *args[32] = { "-q", "-r", path, "--server", "10.0.0.5",
	                         "--json", json };
	unsigned n = 7;
	for (unsigned i = 0; extra && extra[i] && n < 31; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	unlink(json);
	struct stat sb;
	capture_kib = stat(path, &sb) == 0 ? (long)(sb.st_size / 1024) : 0;
	pa_run(r, NULL, args);
	if (r->status != 0 && r->status != 1 && r->status != 3)
		fail_msg("portaudit on %s: status %d: %s", kind, r->status,
		         r->err);
	json_t *rep = pa_load_json(json);
	printf("%s: status %d, peak RSS %ld KiB\n", kind, r->status,
	       r->maxrss_kib);
	return rep;
}

static void drop(const char *kind)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/%s.pcap", pa_tmpdir(), kind);
	unlink(path);
}

static unsigned long long u(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	if (!json_is_integer(v))
		fail_msg("%s%s%s is not an integer", a, b ? "." : "",
		         b ? b : "");
	return (unsigned long long)json_integer_value(v);
}

static const json_t *cap(const json_t *rep)
{
	return json_object_get(rep, "capture");
}

static const json_t *summ(const json_t *rep)
{
	return json_object_get(rep, "summary");
}

/* The caveat containing `part`, or NULL. */
static const char *caveat(const json_t *rep, const char *part)
{
	const json_t *cv = json_object_get(rep, "caveats");
	size_t i;
	const json_t *v;
	json_array_foreach(cv, i, v) {
		const char *s = json_string_value(v);
		if (s && strstr(s, part))
			return s;
	}
	return NULL;
}

/* The caveat containing `part` starts with this count. */
static void caveat_count(const json_t *rep, const char *part,
                         unsigned long long n)
{
	const char *s = caveat(rep, part);
	if (!s) {
		char *all = json_dumps(json_object_get(rep, "caveats"), 0);
		fail_msg("no caveat with \"%s\" in %s", part, all);
	}
	char *end;
	unsigned long long got = strtoull(s, &end, 10);
	if (end == s || got != n)
		fail_msg("caveat \"%s\": expected %llu", s, n);
}

static void check_rss(const char *kind, const struct pa_result *r,
                      long bound)
{
	printf("%s: peak RSS %ld KiB, bound %ld KiB (%s)\n", kind,
	       r->maxrss_kib, bound, san() ? "sanitizers" : "rel");
	if (r->maxrss_kib <= 0 || r->maxrss_kib > bound)
		fail_msg("%s: peak RSS %ld KiB, bound %ld KiB", kind,
		         r->maxrss_kib, bound);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- SYN flood from random sources --------------------------------- */

/* 200,000 SYNs with --max-flows 65536. Every SYN is a flow of its own, never answered and never timed
 * out (1 us apart), so exactly N - cap flows are evicted; the findings
 * fold into one blocked flood per targeted port (1960, 443), not one per
 * source. Peak RSS measured 16.7 MiB rel, 30.4 MiB ASan; bounds 26 and
 * 46 MiB. */
static void test_synflood(void **state)
{
	(void)state;
	unsigned long long n = 200000;
	const char *maxf = "65536";
	struct counts ct;
	gen("synflood", n, &ct);
	struct pa_result r;
	const char *extra[] = { "--max-flows", maxf, NULL };
	json_t *rep = audit("synflood", extra, &r);
	drop("synflood");
	assert_int_equal(r.status, 1);
	assert_string_equal(str(summ(rep), "verdict"), "not-compliant");
	assert_int_equal(u(cap(rep), "packets", NULL), ct.packets);
	assert_int_equal(u(cap(rep), "flows", NULL), ct.flows);
	/* The background's 3 flows timed out long before the flood. */
	unsigned long long cap_n = strtoull(maxf, NULL, 10);
	assert_int_equal(u(cap(rep), "evicted", NULL), n - cap_n);
	char part[128];
	snprintf(part, sizeof part, "flow table was full (%s flows)", maxf);
	caveat_count(rep, part, n - cap_n);
	/* The flood lasts less than a second: the flows still in the table
	 * at the end had no time to be answered, so they are not judged
	 * blocked (docs/classify.md, rule 7); the caveat counts them. */
	caveat_count(rep, "attempt(s) had no reply yet when the capture ended",
	             cap_n);
	/* Folded: one finding per targeted port, every evicted source
	 * counted. */
	assert_int_equal(u(summ(rep), "findings", NULL), 2);
	assert_int_equal(u(summ(rep), "findings_dropped", NULL), 0);
	const json_t *fs = json_object_get(rep, "findings");
	assert_int_equal(json_array_size(fs), 2);
	bool seen[2] = { false, false };
	size_t i;
	const json_t *f;
	json_array_foreach(fs, i, f) {
		assert_string_equal(str(f, "kind"), "blocked");
		unsigned long long port = u(f, "port", NULL);
		assert_true(port == 1960 || port == 443);
		seen[port == 443] = true;
		assert_int_equal(u(f, "flows", NULL), (n - cap_n) / 2);
		assert_int_equal(u(f, "npeers", NULL), (n - cap_n) / 2);
		assert_true(json_is_null(json_object_get(f, "peer")));
		assert_non_null(strstr(str(f, "reason"), "a flood"));
	}
	assert_true(seen[0] && seen[1]);
	check_rss("synflood", &r, bound_kib(26 * 1024, 46 * 1024));
	json_decref(rep);
	pa_result_free(&r);
}

/* The same flood past the default table (2^20 flows, 144 MiB when every
 * entry is used): 1.1 M SYNs. Peak RSS measured 152 MiB rel, 165 MiB
 * ASan; bounds 230 and 250 MiB. */
static void test_synflood_default_cap(void **state)
{
	(void)state;
	unsigned long long n = 1100000, cap_n = 1u << 20;
	struct counts ct;
	gen("synflood", n, &ct);
	struct pa_result r;
	json_t *rep = audit("synflood", NULL, &r);
	drop("synflood");
	assert_int_equal(r.status, 1);
	assert_int_equal(u(cap(rep), "evicted", NULL), n - cap_n);
	caveat_count(rep, "flow table was full (1048576 flows)", n - cap_n);
	assert_int_equal(u(summ(rep), "findings", NULL), 2);
	check_rss("synflood (default cap)", &r,
	          bound_kib(230 * 1024, 250 * 1024));
	json_decref(rep);
	pa_result_free(&r);
}

/* ---- incomplete fragments ------------------------------------------- */

/* 200,000 packets: first fragments of UDP datagrams from 64
 * sources whose rest never comes, and every 10th a lone later fragment.
 * The fragment table (8192 datagrams, 30 s) is full after 8192 of them:
 * each later one pushes out the least recently used live datagram, counted
 * in frag_table_full, and the caveat says so; the lone ones count in
 * frag_no_first. 64 flows, one flood finding for port 5000. Peak RSS
 * measured 9.2 MiB rel, 24.2 MiB ASan; bounds 14 and 37 MiB. */
static void test_frags(void **state)
{
	(void)state;
	unsigned long long n = 200000;
	struct counts ct;
	gen("frags", n, &ct);
	unsigned long long first = ct.a, later = ct.b;
	assert_int_equal(first + later, n);
	struct pa_result r;
	json_t *rep = audit("frags", NULL, &r);
	drop("frags");
	assert_int_equal(r.status, 1);
	const json_t *an = json_object_get(cap(rep), "anomalies");
	assert_int_equal(u(an, "frag_table_full", NULL), first - 8192);
	assert_int_equal(u(an, "frag_no_first", NULL), later);
	assert_int_equal(u(cap(rep), "flows", NULL), ct.flows);
	assert_int_equal(u(cap(rep), "evicted", NULL), 0);
	caveat_count(rep, "fragment table", first - 8192);
	assert_int_equal(u(summ(rep), "findings", NULL), 1);
	const json_t *f = json_array_get(json_object_get(rep, "findings"), 0);
	assert_string_equal(str(f, "kind"), "unexpected");
	assert_int_equal(u(f, "port", NULL), 5000);
	assert_int_equal(u(f, "npeers", NULL), 64);
	check_rss("frags", &r, bound_kib(14 * 1024, 37 * 1024));
	json_decref(rep);
	pa_result_free(&r);
}

/* ---- ICMP errors quoting flows that never existed -------------------- */

/* 200,000 ICMP unreachables from a router (--max-flows 65536): half sent to the server, quoting its flows to random hosts (one
 * ICMP flow: router, server), half to distinct sources quoting their
 * flows to the server (one ICMP flow each, past the cap: evicted). The
 * router's flow to the server is the busiest of the table and is never
 * the one evicted (capture/flow.c, second_chance). Peak RSS measured
 * 15.7 MiB rel, 29.5 MiB ASan; bounds 24 and 45 MiB. */
static void test_icmpquotes(void **state)
{
	(void)state;
	unsigned long long n = 200000;
	const char *maxf = "65536";
	unsigned long long cap_n = strtoull(maxf, NULL, 10);
	struct counts ct;
	gen("icmpquotes", n, &ct);
	struct pa_result r;
	const char *extra[] = { "--max-flows", maxf, NULL };
	json_t *rep = audit("icmpquotes", extra, &r);
	drop("icmpquotes");
	assert_int_equal(r.status, 1);
	assert_int_equal(u(cap(rep), "flows", NULL), ct.flows);
	/* In the table at the end: the router's flow to the server and the
	 * last cap - 1 sources; every other source's flow was evicted. */
	unsigned long long ev = ct.a - (cap_n - 1);
	assert_int_equal(u(cap(rep), "evicted", NULL), ev);
	char part[128];
	snprintf(part, sizeof part, "flow table was full (%s flows)", maxf);
	caveat_count(rep, part, ev);
	/* One finding: ICMP to the server, one flow of n/2 errors. */
	assert_int_equal(u(summ(rep), "findings", NULL), 1);
	const json_t *f = json_array_get(json_object_get(rep, "findings"), 0);
	assert_string_equal(str(f, "kind"), "unexpected");
	assert_string_equal(str(f, "peer"), "10.0.0.1");
	assert_int_equal(u(f, "flows", NULL), 1);
	assert_int_equal(u(f, "packets", NULL), n / 2);
	check_rss("icmpquotes", &r, bound_kib(24 * 1024, 45 * 1024));
	json_decref(rep);
	pa_result_free(&r);
}

/* ---- a scan of every port ------------------------------------------- */

/* Peers that each SYN every port 1..65535 of the server, answered by
 * RST: 18 peers, 2.36 M packets (165 MB, removed after). A refused SYN is handed
 * on at once, so the table holds a flow or two. Each peer is one scan
 * finding (its unexpected ports), the catalog ports it hit are blocked or
 * violations; past 16 peers, those of one port fold into one flood
 * finding. With --max-findings 40, the least severe give way and are
 * counted (findings_dropped, kinds_dropped): each scan that could not be
 * kept is one dropped finding. Peak RSS measured 10.8 MiB rel, 27 MiB
 * ASan; bounds 16 and 41 MiB. */
static void test_scan(void **state)
{
	(void)state;
	unsigned long long peers = 18;
	unsigned long long n = peers * 65535 * 2;
	struct counts ct;
	gen("scan", n, &ct);
	assert_int_equal(ct.a, peers);
	struct pa_result r;
	json_t *rep = audit("scan", NULL, &r);
	assert_int_equal(r.status, 1);
	assert_int_equal(u(cap(rep), "flows", NULL), ct.flows);
	assert_int_equal(u(cap(rep), "evicted", NULL), 0);
	assert_int_equal(u(summ(rep), "findings_dropped", NULL), 0);
	const json_t *fs = json_object_get(rep, "findings");
	size_t i, nscan = 0, nflood = 0;
	unsigned long long flows = 0, nports = 0;
	const json_t *f;
	json_array_foreach(fs, i, f) {
		flows += u(f, "flows", NULL);
		if (strcmp(str(f, "kind"), "unexpected") == 0) {
			/* one scan per peer: its ports no catalog row has */
			nscan++;
			assert_non_null(strstr(str(f, "reason"), "a port scan"));
			assert_false(json_is_null(json_object_get(f, "peer")));
			if (nports)
				assert_int_equal(u(f, "nports", NULL), nports);
			nports = u(f, "nports", NULL);
			assert_int_equal(u(f, "flows", NULL), nports);
		} else {
			/* a catalog port: past 16 peers, one flood finding */
			nflood++;
			assert_true(json_is_null(json_object_get(f, "peer")));
			assert_int_equal(u(f, "npeers", NULL), peers);
			assert_int_equal(u(f, "flows", NULL), peers);
		}
	}
	assert_int_equal(nscan, peers);
	/* every flow in a finding; the ports a scan's finding has not are
	 * the flood findings' */
	assert_int_equal(flows, peers * 65535);
	assert_int_equal(nports + nflood, 65535);
	check_rss("scan", &r, bound_kib(16 * 1024, 41 * 1024));
	json_decref(rep);
	pa_result_free(&r);

	/* The findings cap. */
	const char *extra[] = { "--max-findings", "40", NULL };
	rep = audit("scan", extra, &r);
	drop("scan");
	assert_int_equal(r.status, 1);
	fs = json_object_get(rep, "findings");
	assert_int_equal(json_array_size(fs), 40);
	unsigned long long dropped = u(summ(rep), "findings_dropped", NULL);
	assert_true(dropped > 0);
	assert_int_equal(u(summ(rep), "findings", NULL), 40 + dropped);
	/* The scans (unexpected, least severe) gave way first, and each
	 * is one dropped finding, not one per port. */
	assert_int_equal(u(summ(rep), "kinds_dropped", "unexpected"), peers);
	json_array_foreach(fs, i, f)
		assert_string_not_equal(str(f, "kind"), "unexpected");
	check_rss("scan --max-findings 40", &r,
	          bound_kib(16 * 1024, 41 * 1024));
	json_decref(rep);
	pa_result_free(&r);
}

/* ---- DCE/RPC endpoint-mapper contacts ------------------------------- */

/* 200,000 packets: the server contacts TCP 135 of 8,333
 * peers (an ept_map reply naming a dynamic port, then a connection to
 * it), then connects to port 55000 of as many other peers with no 135
 * contact. The contacts table holds 4096 (the least recently updated
 * are forgotten, counted in a caveat), the dynamic flows waiting for a
 * contact 4096 (the rest are judged at once, counted in a caveat). The
 * contacted peers' dynamic flows are expected (WMI); port 55000 is one
 * flood finding. Peak RSS measured 13.2 MiB rel, 27 MiB ASan; bounds
 * 20 and 41 MiB. */
static void test_epm(void **state)
{
	(void)state;
	unsigned long long n = 200000;
	struct counts ct;
	gen("epm", n, &ct);
	unsigned long long contacts = ct.a, lone = ct.b;
	assert_true(contacts > 4096 && lone > 4096);
	struct pa_result r;
	json_t *rep = audit("epm", NULL, &r);
	drop("epm");
	assert_int_equal(r.status, 1);
	assert_int_equal(u(cap(rep), "flows", NULL), ct.flows);
	caveat_count(rep, "control-port contacts were forgotten",
	             contacts - 4096);
	caveat_count(rep, "could not wait for their control-port flow",
	             lone - 4096);
	assert_int_equal(u(summ(rep), "findings", NULL), 1);
	const json_t *f = json_array_get(json_object_get(rep, "findings"), 0);
	assert_string_equal(str(f, "kind"), "unexpected");
	assert_int_equal(u(f, "port", NULL), 55000);
	assert_int_equal(u(f, "npeers", NULL), lone);
	check_rss("epm", &r, bound_kib(20 * 1024, 41 * 1024));
	json_decref(rep);
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synflood),
		cmocka_unit_test(test_synflood_default_cap),
		cmocka_unit_test(test_frags),
		cmocka_unit_test(test_icmpquotes),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_epm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
