/*
 * test_decode_l4.c -- TCP, UDP, ICMP and ICMPv6: ports, flags, length
 * fields both ways, echo identifiers, and ICMP errors with their quotes
 * (port unreachable, admin-prohibited, time exceeded, quote cut).
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"

static void expect_bad(struct pb *p, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, p, &pk));
	assert_only_anomaly(&d, a);
}

static void test_tcp(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	pb_eth_tcp4(&p, "10.0.0.5", "10.0.0.6", 3389, 61000,
	            CAP_TH_PSH | CAP_TH_ACK | CAP_TH_FIN, 33);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.sport, 3389);
	assert_int_equal(pk.dport, 61000);
	assert_int_equal(pk.tcp_flags, CAP_TH_PSH | CAP_TH_ACK | CAP_TH_FIN);
	assert_int_equal(pk.payload_len, 33);
	assert_int_equal(pk.payload_caplen, 33);
	assert_ptr_equal(pk.payload, p.b + 54);
	assert_int_equal(pk.epm_port, 0);
	/* data offset < 5 */
	p.b[46] = 4 << 4;
	expect_bad(&p, CAP_AN_BAD_TCP_HLEN);
	/* data offset past the segment (60 > 53) */
	p.b[46] = 15 << 4;
	expect_bad(&p, CAP_AN_BAD_TCP_HLEN);
	/* options cut by the caplen: 8 << 4 = 32-byte header; ports and
	 * flags are there, so the segment is kept, truncated */
	p.b[46] = 8 << 4;
	reset_anomalies(&d);
	assert_true(cap_decode(&d, DLT_T_EN10MB, p.b, 34 + 25, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_SNAPLEN_CUT);
	assert_int_equal(pk.sport, 3389);
	assert_int_equal(pk.dport, 61000);
	assert_int_equal(pk.tcp_flags, CAP_TH_PSH | CAP_TH_ACK | CAP_TH_FIN);
	assert_true(pk.truncated);
	assert_null(pk.payload);
	assert_int_equal(pk.payload_caplen, 0);
	assert_int_equal(pk.payload_len, 53 - 32);
	/* the fixed header itself cut: nothing to keep */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 34 + 19, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_TCP);
	/* a segment shorter than 20 bytes on the wire */
	memset(&p, 0, sizeof(p));
	pb_eth_tcp4(&p, "10.0.0.5", "10.0.0.6", 1, 2, 0, 0);
	pb_put16(&p, 16, 20 + 12);
	expect_bad(&p, CAP_AN_BAD_TCP_HLEN);
}

static void build_udp(struct pb *p, size_t plen)
{
	size_t ip, u;
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x0800);
	ip = pb_ip4(p, 17, "10.2.2.2", "10.3.3.3");
	u = pb_udp(p, 161, 40001);
	pb_fill(p, 7, plen);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
}

static void test_udp(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	build_udp(&p, 5);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.sport, 161);
	assert_int_equal(pk.dport, 40001);
	assert_int_equal(pk.payload_len, 5);
	pb_put16(&p, 38, 7); /* < 8 */
	expect_bad(&p, CAP_AN_BAD_UDP_LEN);
	pb_put16(&p, 38, 14); /* longer than the IP payload */
	expect_bad(&p, CAP_AN_BAD_UDP_LEN);
	build_udp(&p, 5);
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 34 + 7, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_UDP);
}

/* A UDP length shorter than the IP payload (>= 8): the datagram is
 * decoded, its payload the UDP length's (as Linux delivers it, trimmed,
 * and tshark shows it: udp_len_short.pcap); longer stays malformed. */
static void test_udp_short(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	build_udp(&p, 20);
	pb_put16(&p, 38, 8 + 16); /* 4 bytes short of the IP payload */
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 161);
	assert_int_equal(pk.dport, 40001);
	assert_int_equal(pk.payload_len, 16);
	assert_int_equal(pk.payload_caplen, 16);
	assert_ptr_equal(pk.payload, p.b + 42);
	assert_false(pk.truncated);
	/* a header alone */
	pb_put16(&p, 38, 8);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_int_equal(pk.payload_len, 0);
	assert_int_equal(pk.payload_caplen, 0);
	/* cut by the snaplen inside the datagram: kept, truncated */
	pb_put16(&p, 38, 8 + 16);
	reset_anomalies(&d);
	assert_true(cap_decode(&d, DLT_T_EN10MB, p.b, 42 + 10, (uint32_t)p.n,
	                       0, &pk));
	assert_only_anomaly(&d, CAP_AN_SNAPLEN_CUT);
	assert_int_equal(pk.payload_len, 16);
	assert_int_equal(pk.payload_caplen, 10);
	assert_true(pk.truncated);
	/* cut after the datagram, in the bytes that are not its own: whole */
	reset_anomalies(&d);
	assert_true(cap_decode(&d, DLT_T_EN10MB, p.b, 42 + 18, (uint32_t)p.n,
	                       0, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_int_equal(pk.payload_caplen, 16);
	assert_false(pk.truncated);
	/* one byte longer than the IP payload: malformed */
	pb_put16(&p, 38, 8 + 21);
	expect_bad(&p, CAP_AN_BAD_UDP_LEN);
	/* IPv6 the same */
	size_t ip, u;
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 17, "2001:db8::1", "2001:db8::2");
	u = pb_udp(&p, 5353, 53);
	pb_fill(&p, 7, 20);
	pb_ip6_end(&p, ip);
	pb_put16(&p, u + 4, 8 + 12);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(pk.payload_len, 12);
	assert_int_equal(pk.payload_caplen, 12);
}

static void test_echo(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 1, "10.0.0.1", "10.0.0.2");
	pb_icmp(&p, 8, 0, 0x4242, 1);
	pb_fill(&p, 0, 56);
	pb_ip4_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.proto, 1);
	assert_int_equal(pk.icmp_type, 8);
	assert_int_equal(pk.sport, 0x4242);
	assert_int_equal(pk.dport, 0x4242);
	assert_false(pk.icmp_error);
	assert_int_equal(pk.payload_len, 56);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 58, "2001:db8::1", "2001:db8::2");
	pb_icmp(&p, 129, 0, 0x0102, 9);
	pb_ip6_end(&p, ip);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.proto, 58);
	assert_int_equal(pk.icmp_type, 129);
	assert_int_equal(pk.sport, 0x0102);
	assert_int_equal(pk.dport, 0x0102);
	assert_int_equal(an_total(&d), 0);
	/* an ICMP header cut */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 40 + 5, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_ICMP);
}

/* ICMP error from 10.9.9.1 quoting proto/sport/dport from 10.0.0.1 to
 * 10.0.0.2 (the quote as the original sender sent it). */
static size_t build_err4(struct pb *p, unsigned type, unsigned code,
                         unsigned qproto)
{
	size_t ip, q;
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x0800);
	ip = pb_ip4(p, 1, "10.9.9.1", "10.0.0.1");
	pb_icmp(p, type, code, 0, 0);
	q = pb_ip4(p, qproto, "10.0.0.1", "10.0.0.2");
	pb_put16(p, q + 2, 60); /* the original's length, longer than the quote */
	if (qproto == 6) {
		pb_tcp(p, 41000, 5986, CAP_TH_SYN);
		p->n -= 12;   /* routers quote 8 bytes */
	} else {
		size_t u = pb_udp(p, 41001, 162);
		pb_put16(p, u + 4, 40);
	}
	pb_ip4_end(p, ip);
	return q;
}

static void check_quote4(const struct cap_packet *pk, unsigned qproto)
{
	assert_true(pk->icmp_error);
	assert_int_equal(pk->quoted.family, 4);
	assert_int_equal(pk->quoted.proto, qproto);
	assert_addr(4, pk->quoted.src, "10.0.0.1");
	assert_addr(4, pk->quoted.dst, "10.0.0.2");
	assert_int_equal(pk->quoted.sport, qproto == 6 ? 41000 : 41001);
	assert_int_equal(pk->quoted.dport, qproto == 6 ? 5986 : 162);
}

static void test_icmp4_errors(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	/* port unreachable, UDP */
	build_err4(&p, 3, 3, 17);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.icmp_type, 3);
	assert_int_equal(pk.icmp_code, 3);
	assert_addr(4, pk.src, "10.9.9.1");
	check_quote4(&pk, 17);
	/* administratively prohibited (code 13), TCP */
	build_err4(&p, 3, 13, 6);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.icmp_code, 13);
	check_quote4(&pk, 6);
	/* host prohibited (code 10) */
	build_err4(&p, 3, 10, 6);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	check_quote4(&pk, 6);
	/* time exceeded */
	build_err4(&p, 11, 0, 17);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.icmp_type, 11);
	check_quote4(&pk, 17);
	assert_int_equal(an_total(&d), 0);
	/* quoted IPv4 with options (IHL 6) */
	{
		size_t q = build_err4(&p, 3, 1, 17);
		memmove(p.b + q + 24, p.b + q + 20, 8);
		memset(p.b + q + 20, 1, 4);
		p.b[q] = 0x46;
		p.n += 4;
		pb_put16(&p, 16, (unsigned)(p.n - 14));
		assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
		check_quote4(&pk, 17);
	}
	/* a redirect is not an error about a flow */
	build_err4(&p, 5, 1, 17);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_false(pk.icmp_error);
	assert_int_equal(an_total(&d), 0);
}

static void test_icmp4_quote_cut(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	/* the router quoted only 2 bytes of the UDP header */
	build_err4(&p, 3, 3, 17);
	p.n -= 6;
	pb_put16(&p, 16, (unsigned)(p.n - 14));
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_false(pk.icmp_error);
	assert_int_equal(pk.icmp_type, 3);
	assert_only_anomaly(&d, CAP_AN_ICMP_QUOTE_TRUNC);
	/* the caplen cut the quoted IP header */
	build_err4(&p, 3, 13, 6);
	reset_anomalies(&d);
	assert_true(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 20 + 8 + 12,
	                       (uint32_t)p.n, 0, &pk));
	assert_false(pk.icmp_error);
	assert_true(pk.truncated);
	assert_int_equal(d.anomalies[CAP_AN_ICMP_QUOTE_TRUNC], 1);
	assert_int_equal(d.anomalies[CAP_AN_SNAPLEN_CUT], 1);
	/* a quote whose version is not 4 */
	build_err4(&p, 3, 3, 17);
	p.b[14 + 20 + 8] = 0x65;
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_false(pk.icmp_error);
	assert_only_anomaly(&d, CAP_AN_ICMP_QUOTE_TRUNC);
}

static void build_err6(struct pb *p, unsigned type, unsigned code, bool ext)
{
	size_t ip, q, u;
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x86dd);
	ip = pb_ip6(p, 58, "2001:db8::fe", "2001:db8::1");
	pb_icmp(p, type, code, 0, 0);
	q = pb_ip6(p, ext ? 60 : 17, "2001:db8::1", "2001:db8:1::2");
	if (ext) {
		pb_u8(p, 17);
		pb_u8(p, 0);
		pb_fill(p, 0, 6);
	}
	u = pb_udp(p, 50123, 514);
	pb_put16(p, u + 4, 100);
	pb_put16(p, q + 4, ext ? 108 : 100);
	pb_ip6_end(p, ip);
}

static void test_icmp6_errors(void **state)
{
	struct pb p;
	struct cap_packet pk;
	static const unsigned cases[][2] = {{1, 1}, {1, 4}, {2, 0}, {3, 0}};
	(void)state;
	reset_anomalies(&d);
	for (size_t i = 0; i < 4; i++) {
		for (int ext = 0; ext < 2; ext++) {
			build_err6(&p, cases[i][0], cases[i][1], ext);
			assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
			assert_int_equal(pk.proto, 58);
			assert_int_equal(pk.icmp_type, cases[i][0]);
			assert_int_equal(pk.icmp_code, cases[i][1]);
			assert_true(pk.icmp_error);
			assert_int_equal(pk.quoted.family, 6);
			assert_int_equal(pk.quoted.proto, 17);
			assert_addr(6, pk.quoted.src, "2001:db8::1");
			assert_addr(6, pk.quoted.dst, "2001:db8:1::2");
			assert_int_equal(pk.quoted.sport, 50123);
			assert_int_equal(pk.quoted.dport, 514);
		}
	}
	assert_int_equal(an_total(&d), 0);
	/* quote cut inside the quoted UDP header */
	build_err6(&p, 1, 1, false);
	p.n -= 5;
	pb_put16(&p, 14 + 4, (unsigned)(p.n - 54));
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_false(pk.icmp_error);
	assert_only_anomaly(&d, CAP_AN_ICMP_QUOTE_TRUNC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_short),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_icmp4_errors),
		cmocka_unit_test(test_icmp4_quote_cut),
		cmocka_unit_test(test_icmp6_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
