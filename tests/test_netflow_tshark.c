/*
 * test_netflow_tshark.c -- the NetFlow/IPFIX decoder on real exports,
 * checked against Wireshark's cflow dissector.
 *
 * tests/data/netflow/NAME.pcap hold what the real softflowd exported for the
 * bundled captures (NetFlow v5 with sampling, v9 and IPFIX with IPv4 and
 * IPv6 templates and options records, IPFIX with absolute times, IPFIX
 * RFC 5103 biflows, and 20 IPFIX messages of a port scan);
 * tests/make_netflow_pcaps.sh made them and says how. Every datagram is
 * fed to the decoder, then:
 *
 *   - without tshark: the counts this test knows (records, no malformed
 *     datagram, no template missing, no sequence gap, the sampling);
 *   - with tshark: `tshark -T json --no-duplicate-keys` decodes the same
 *     capture (-d udp.port==PORT,cflow), and every flow record tshark shows
 *     must be the record we handed on in the same place, field by field:
 *     addresses, ports (ICMP: type and code), protocol, packets, octets,
 *     TCP flags, the reverse side of a biflow, start and end in UNIX ns
 *     (tshark's relative sysUptime values turned absolute with the
 *     header's sysUptime and export time, or with the options record's
 *     systemInitTimeMilliseconds), and the sampling its header or options
 *     record announced.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tests/netflow_test.h"

#define MAXDG 256

/* the records each datagram gave: [first, first + n) of nt_recs */
static unsigned span_first[MAXDG], span_n[MAXDG], ndg;

static unsigned capture_port(void)
{
	char *t = pa_read_file(pa_src("tests/data/netflow/PORT"), NULL);
	assert_non_null(t);
	unsigned long p = strtoul(t, NULL, 10);
	free(t);
	assert_true(p > 0 && p < 65536);
	return (unsigned)p;
}

/* Feed every UDP datagram to `port` of the capture (the sink's frames:
 * Ethernet, IPv4, UDP). */
static void feed_pcap(struct cap_netflow *nf, const char *path, unsigned port)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	if (!pc)
		fail_msg("%s: %s", path, err);
	struct pcap_pkthdr *h;
	const u_char *b;
	ndg = 0;
	while (pcap_next_ex(pc, &h, &b) == 1) {
		assert_true(h->caplen == h->len && h->caplen >= 14 + 20 + 8);
		const u_char *ip = b + 14;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		const u_char *udp = ip + ihl;
		assert_int_equal(ip[9], 17);
		assert_int_equal(udp[2] << 8 | udp[3], port);
		size_t off = 14 + ihl + 8;
		size_t n = h->caplen - off;
		uint8_t from[16] = { 0 };
		memcpy(from, ip + 12, 4);
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, b + off, n);
		assert_true(ndg < MAXDG);
		span_first[ndg] = nt_nrecs;
		cap_netflow_datagram(nf, 4, from, (uint16_t)(udp[0] << 8 | udp[1]),
		                     copy, n,
		                     (uint64_t)h->ts.tv_sec * 1000000000ull);
		span_n[ndg] = nt_nrecs - span_first[ndg];
		ndg++;
		free(copy);
	}
	pcap_close(pc);
}

/* ---- tshark's JSON ------------------------------------------------------ */

static const char *tool(const char *name)
{
	static char path[512];
	const char *p = getenv("PATH");
	while (p && *p) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(path, sizeof path, "%.*s/%s", (int)n, p, name);
		if (access(path, X_OK) == 0)
			return path;
		p += n + (c ? 1 : 0);
	}
	return NULL;
}

/* The value of key (the idx-th when tshark merged duplicates into an
 * array), or NULL. */
static const char *jstr(json_t *o, const char *key, size_t idx)
{
	json_t *v = json_object_get(o, key);
	if (json_is_array(v))
		v = json_array_get(v, idx);
	else if (idx > 0)
		v = NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool jhas2(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_array(v) && json_array_size(v) == 2;
}

static uint64_t num(const char *s, int base)
{
	assert_non_null(s);
	char *end;
	unsigned long long v = strtoull(s, &end, base);
	if (end == s || *end)
		fail_msg("not a number: '%s'", s);
	return v;
}

/* "10.051000000" seconds in ns. */
static uint64_t rel_ns(const char *s)
{
	unsigned long long sec;
	char frac[16];
	if (sscanf(s, "%llu.%9[0-9]", &sec, frac) != 2)
		fail_msg("not a relative time: '%s'", s);
	size_t n = strlen(frac);
	uint64_t f = num(frac, 10);
	for (; n < 9; n++)
		f *= 10;
	return sec * 1000000000ull + f;
}

/* "Jan  5, 2026 10:00:10.051000000 UTC" in UNIX ns. */
static uint64_t abs_ns(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4], frac[16];
	int day, year, hh, mm, ss;
	if (sscanf(s, "%3s %d, %d %d:%d:%d.%9[0-9] UTC", mon, &day, &year, &hh,
	           &mm, &ss, frac) != 7)
		fail_msg("not an absolute time: '%s'", s);
	const char *m = strstr(months, mon);
	assert_non_null(m);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	uint64_t f = num(frac, 10);
	for (size_t n = strlen(frac); n < 9; n++)
		f *= 10;
	return (uint64_t)timegm(&tm) * 1000000000ull + f;
}

/* What one export message's header and options said. */
struct hdr {
	unsigned version;
	uint64_t export_ns, uptime_ns;
	uint64_t init_ns;   /* systemInitTimeMilliseconds, 0 none */
	bool has_init;
	uint32_t sampling;  /* announced, 0 none */
};

/* A flow time as tshark shows it: absolute, or relative to sysUptime. */
static uint64_t flow_time(const struct hdr *h, json_t *tree, const char *abs,
                          const char *rel)
{
	const char *a = jstr(tree, abs, 0), *r = jstr(tree, rel, 0);
	uint64_t up;
	if (a) {
		uint64_t t = abs_ns(a);
		if (t >= 1000000000ull)
			return t;
		/* tshark shows a sysUptime of 0 as 1970-01-01 00:00:00 */
		up = t;
	} else {
		assert_non_null(r);
		up = rel_ns(r);
	}
	if (h->version == 10) {
		assert_true(h->has_init);
		return h->init_ns + up;
	}
	return h->export_ns - (h->uptime_ns - up);
}

static void check_addr(const struct cap_record *r, json_t *f)
{
	const char *s = jstr(f, "cflow.srcaddr", 0), *d;
	if (s) {
		d = jstr(f, "cflow.dstaddr", 0);
		assert_int_equal(r->family, 4);
	} else {
		s = jstr(f, "cflow.srcaddrv6", 0);
		d = jstr(f, "cflow.dstaddrv6", 0);
		assert_int_equal(r->family, 6);
	}
	assert_non_null(d);
	assert_addr_is(r->family, r->src, s);
	assert_addr_is(r->family, r->dst, d);
}

/* One flow tshark shows against our record. */
static void check_flow(const struct cap_record *r, const struct hdr *h,
                       json_t *f)
{
	check_addr(r, f);
	unsigned proto = (unsigned)num(jstr(f, "cflow.protocol", 0), 10);
	assert_int_equal(r->proto, proto);
	if (proto == 1 || proto == 58) {
		const char *tc = jstr(f, "cflow.icmp_type_code_ipv4", 0);
		const char *t6 = jstr(f, "cflow.icmp_ipv6_type", 0);
		uint64_t want;
		if (tc)
			want = num(tc, 16);
		else if (t6)
			want = num(t6, 10) << 8 |
			       num(jstr(f, "cflow.icmp_ipv6_code", 0), 10);
		else /* v5: in the destination port */
			want = num(jstr(f, "cflow.dstport", 0), 10);
		assert_int_equal(r->sport, 0);
		assert_int_equal(r->dport, want);
	} else {
		assert_int_equal(r->sport, num(jstr(f, "cflow.srcport", 0), 10));
		assert_int_equal(r->dport, num(jstr(f, "cflow.dstport", 0), 10));
	}
	assert_int_equal(r->pkts, num(jstr(f, "cflow.packets", 0), 10));
	assert_int_equal(r->bytes, num(jstr(f, "cflow.octets", 0), 10));
	const char *fl = jstr(f, "cflow.tcpflags", 0);
	assert_int_equal(r->tcp_flags, fl ? num(fl, 16) : 0);
	bool bi = jhas2(f, "cflow.octets");
	assert_int_equal(r->biflow, bi);
	if (bi) {
		assert_int_equal(r->rev_pkts, num(jstr(f, "cflow.packets", 1), 10));
		assert_int_equal(r->rev_bytes, num(jstr(f, "cflow.octets", 1), 10));
		fl = jstr(f, "cflow.tcpflags", 1);
		assert_int_equal(r->rev_tcp_flags, fl ? num(fl, 16) : 0);
	}
	json_t *tree = json_object_get(f, "cflow.timedelta_tree");
	assert_non_null(tree);
	uint64_t first = flow_time(h, tree, "cflow.abstimestart",
	                           "cflow.timestart");
	uint64_t last = flow_time(h, tree, "cflow.abstimeend", "cflow.timeend");
	if (r->first_ns != first || r->last_ns != last)
		fail_msg("times %llu..%llu, tshark's %llu..%llu",
		         (unsigned long long)r->first_ns,
		         (unsigned long long)r->last_ns,
		         (unsigned long long)first, (unsigned long long)last);
	assert_int_equal(r->sampling, h->sampling);
	assert_int_equal(r->direction, -1);
	assert_int_equal(r->vlan, 0);
}

/* An options record: what it announces. */
static void options_record(struct hdr *h, json_t *f)
{
	const char *s = jstr(f, "cflow.sys_init_time", 0);
	if (s) {
		h->init_ns = abs_ns(s);
		h->has_init = true;
	}
	if ((s = jstr(f, "cflow.sampling_interval", 0)))
		h->sampling = (uint32_t)num(s, 10);
	if ((s = jstr(f, "cflow.sampling_packet_interval", 0))) {
		uint64_t n = num(s, 10);
		uint64_t m = num(jstr(f, "cflow.sampling_packet_space", 0), 10);
		h->sampling = (uint32_t)((n + m) / n);
	}
}

/* Every flow of every message tshark decoded, against ours; returns the
 * number compared. */
static unsigned compare_tshark(const char *ts, const char *pcap,
                               unsigned port)
{
	char dec[64];
	snprintf(dec, sizeof dec, "udp.port==%u,cflow", port);
	const char *argv[] = { ts, "-n", "-r", pcap, "-d", dec, "-T", "json",
	                       "--no-duplicate-keys", NULL };
	struct pa_result res;
	pa_exec(&res, NULL, argv);
	if (res.status != 0)
		fail_msg("tshark on %s: status %d: %s", pcap, res.status, res.err);
	json_error_t jerr;
	json_t *all = json_loads(res.out, 0, &jerr);
	if (!all)
		fail_msg("tshark's JSON: %s", jerr.text);
	pa_result_free(&res);
	assert_int_equal(json_array_size(all), ndg);

	struct hdr h;
	memset(&h, 0, sizeof h);
	unsigned compared = 0;
	for (size_t i = 0; i < ndg; i++) {
		json_t *c = json_object_get(json_object_get(json_object_get(
		        json_array_get(all, i), "_source"), "layers"), "cflow");
		assert_non_null(c);
		h.version = (unsigned)num(jstr(c, "cflow.version", 0), 10);
		json_t *ts_tree = json_object_get(c, "cflow.timestamp_tree");
		const char *up = jstr(c, "cflow.sysuptime", 0);
		h.uptime_ns = up ? rel_ns(up) : 0;
		const char *secs = jstr(ts_tree, "cflow.unix_secs", 0);
		if (!secs)
			secs = jstr(ts_tree, "cflow.exporttime", 0);
		const char *nsecs = jstr(ts_tree, "cflow.unix_nsecs", 0);
		h.export_ns = num(secs, 10) * 1000000000ull +
		              (nsecs ? num(nsecs, 10) : 0);
		if (h.version == 5) {
			const char *rate = jstr(c, "cflow.samplerate", 0);
			h.sampling = rate ? (uint32_t)num(rate, 10) : 0;
		}
		unsigned k = 0;
		const char *key;
		json_t *v;
		json_object_foreach(c, key, v) {
			json_t *flows[1024];
			size_t nflows = 0;
			if (strncmp(key, "pdu ", 4) == 0) {
				flows[nflows++] = v;
			} else if (strncmp(key, "FlowSet ", 8) == 0 ||
			           strncmp(key, "Set ", 4) == 0) {
				const char *fk;
				json_t *fv;
				json_object_foreach(v, fk, fv)
					if (strncmp(fk, "Flow ", 5) == 0) {
						assert_true(nflows < 1024);
						flows[nflows++] = fv;
					}
			}
			for (size_t j = 0; j < nflows; j++) {
				json_t *f = flows[j];
				if (!jstr(f, "cflow.srcaddr", 0) &&
				    !jstr(f, "cflow.srcaddrv6", 0)) {
					options_record(&h, f);
					continue;
				}
				if (k >= span_n[i])
					fail_msg("%s message %zu: tshark shows more than "
					         "our %u records", pcap, i + 1, span_n[i]);
				check_flow(&nt_recs[span_first[i] + k], &h, f);
				k++;
				compared++;
			}
		}
		if (k != span_n[i])
			fail_msg("%s message %zu: tshark shows %u records, we %u",
			         pcap, i + 1, k, span_n[i]);
	}
	json_decref(all);
	return compared;
}

/* ---- the captures ------------------------------------------------------- */

struct netflow_capture {
	const char *name;
	unsigned messages, records;
	uint32_t sampling;     /* rs->sampling */
	bool biflow;
};

static void run_capture(const struct netflow_capture *k)
{
	char path[256];
	snprintf(path, sizeof path, "tests/data/netflow/%s.pcap", k->name);
	const char *pcap = pa_src(path);
	unsigned port = capture_port();
	nt_reset();
	struct cap_netflow *nf = cap_netflow_new(nt_pairer(), &nt_rs, 64, 4);
	assert_non_null(nf);
	feed_pcap(nf, pcap, port);
	cap_netflow_free(nf);

	assert_int_equal(ndg, k->messages);
	assert_int_equal(nt_rs.records, k->records);
	assert_int_equal(nt_nrecs, k->records);
	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.templates_missing, 0);
	assert_int_equal(nt_rs.sequence_gaps, 0);
	assert_int_equal(nt_rs.exporters, 1);
	assert_int_equal(nt_rs.sampling, k->sampling);
	unsigned bi = 0;
	for (unsigned i = 0; i < nt_nrecs; i++) {
		const struct cap_record *r = &nt_recs[i];
		bi += r->biflow;
		assert_true(r->first_ns <= r->last_ns);
		/* the captures start at 10:00:00; v9's export time is whole
		 * seconds, so its times may be up to 1 s early */
		assert_true(r->first_ns >= 1767607199ull * 1000000000ull);
		assert_true(r->last_ns < 1767607300ull * 1000000000ull);
	}
	assert_int_equal(bi, k->biflow ? k->records : 0);

	const char *ts = tool("tshark");
	if (!ts) {
		printf("%-18s %3u messages, %4u records (tshark not installed: "
		       "counts only)\n", k->name, ndg, nt_nrecs);
		return;
	}
	unsigned n = compare_tshark(ts, pcap, port);
	assert_int_equal(n, k->records);
	printf("%-18s %3u messages, %4u records: every field equal to "
	       "tshark's\n", k->name, ndg, n);
}

static const struct netflow_capture caps[] = {
	{ "nf5", 1, 17, 3, false },
	{ "nf9", 2, 44, 0, false },
	{ "ipfix", 3, 44, 0, false },
	{ "ipfix_biflow", 1, 17, 0, true },
	{ "ipfix_scan", 20, 600, 0, false },
};

static void test_nf5(void **state)
{
	(void)state;
	run_capture(&caps[0]);
}
static void test_nf9(void **state)
{
	(void)state;
	run_capture(&caps[1]);
}
static void test_ipfix(void **state)
{
	(void)state;
	run_capture(&caps[2]);
}
static void test_ipfix_biflow(void **state)
{
	(void)state;
	run_capture(&caps[3]);
}
static void test_ipfix_scan(void **state)
{
	(void)state;
	run_capture(&caps[4]);
}

/* The next datagram of pc, as if from 192.0.2.N; false at the end. */
static bool feed_next(struct cap_netflow *nf, pcap_t *pc, uint8_t n,
                      unsigned port)
{
	struct pcap_pkthdr *h;
	const u_char *p;
	if (pcap_next_ex(pc, &h, &p) != 1)
		return false;
	uint8_t from[16] = { 192, 0, 2, n };
	assert_true(h->caplen > 42);
	cap_netflow_datagram(nf, 4, from, (uint16_t)port, p + 42, h->caplen - 42,
	                     0);
	return true;
}

/* The same exports from two exporters at once, interleaved: nothing
 * mixes, each keeps its numbering. */
static void test_two_exporters(void **state)
{
	(void)state;
	unsigned port = capture_port();
	nt_reset();
	struct cap_netflow *nf = cap_netflow_new(nt_pairer(), &nt_rs, 64, 4);
	assert_non_null(nf);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *a = pcap_open_offline(pa_src("tests/data/netflow/ipfix_scan.pcap"),
	                              err);
	pcap_t *b = pcap_open_offline(pa_src("tests/data/netflow/ipfix.pcap"),
	                              err);
	assert_non_null(a);
	assert_non_null(b);
	bool more_a = true, more_b = true;
	while (more_a || more_b) {
		if (more_a)
			more_a = feed_next(nf, a, 1, port);
		if (more_b)
			more_b = feed_next(nf, b, 2, port);
	}
	pcap_close(a);
	pcap_close(b);
	cap_netflow_free(nf);
	assert_int_equal(nt_rs.records, 644);
	assert_int_equal(nt_rs.exporters, 2);
	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.sequence_gaps, 0);
	assert_int_equal(nt_rs.templates_missing, 0);
	unsigned per[2] = { 0, 0 };
	for (unsigned i = 0; i < nt_nrecs; i++)
		per[nt_recs[i].exporter]++;
	assert_int_equal(per[0] + per[1], 644);
	assert_true((per[0] == 600 && per[1] == 44) ||
	            (per[0] == 44 && per[1] == 600));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nf5),
		cmocka_unit_test(test_nf9),
		cmocka_unit_test(test_ipfix),
		cmocka_unit_test(test_ipfix_biflow),
		cmocka_unit_test(test_ipfix_scan),
		cmocka_unit_test(test_two_exporters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
