/*
 * test_decode_ip4.c -- IPv4 header: version, IHL and total length both ways,
 * options, TSO total length 0, snaplen cut, other protocols.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"

/* Ethernet + IPv4 (14 + 20) + UDP 53 with 12 payload bytes. */
static void build(struct pb *p)
{
	size_t ip, u;
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x0800);
	ip = pb_ip4(p, 17, "172.16.0.1", "172.16.0.2");
	u = pb_udp(p, 33000, 53);
	pb_fill(p, 'q', 12);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
}

static void expect_bad(struct pb *p, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, p, &pk));
	assert_only_anomaly(&d, a);
}

static void test_good(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	build(&p);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_addr(4, pk.src, "172.16.0.1");
	assert_addr(4, pk.dst, "172.16.0.2");
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 33000);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(pk.payload_len, 12);
	assert_int_equal(pk.payload_caplen, 12);
	assert_false(pk.later_fragment);
	assert_int_equal(an_total(&d), 0);
}

static void test_version(void **state)
{
	struct pb p;
	(void)state;
	build(&p);
	p.b[14] = 0x55;
	expect_bad(&p, CAP_AN_BAD_IP4_VERSION);
	/* too short to hold a header, but the version is already wrong */
	p.n = 20;
	expect_bad(&p, CAP_AN_BAD_IP4_VERSION);
}

static void test_ihl(void **state)
{
	struct pb p;
	(void)state;
	build(&p);
	p.b[14] = 0x44; /* IHL 4 < 5 */
	expect_bad(&p, CAP_AN_BAD_IP4_HLEN);
	build(&p);
	p.b[14] = 0x4f; /* 60 bytes > total length 40 */
	expect_bad(&p, CAP_AN_BAD_IP4_HLEN);
}

static void test_totlen(void **state)
{
	struct pb p;
	(void)state;
	build(&p);
	pb_put16(&p, 16, 19); /* < 20 */
	expect_bad(&p, CAP_AN_BAD_IP4_TOTLEN);
	build(&p);
	pb_put16(&p, 16, (unsigned)(p.n - 14 + 1)); /* > the wire */
	expect_bad(&p, CAP_AN_BAD_IP4_TOTLEN);
}

/* A total length longer than captured (but not than the wire): headers
 * kept, truncated, one SNAPLEN_CUT. */
static void test_snaplen_cut(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	build(&p);
	reset_anomalies(&d);
	assert_true(cap_decode(&d, DLT_T_EN10MB, p.b, (uint32_t)p.n - 5,
	                       (uint32_t)p.n, 0, &pk));
	assert_true(pk.truncated);
	assert_int_equal(pk.payload_len, 12);
	assert_int_equal(pk.payload_caplen, 7);
	assert_int_equal(pk.dport, 53);
	assert_only_anomaly(&d, CAP_AN_SNAPLEN_CUT);
}

/* Options (IHL 6, one NOP word) are skipped. */
static void test_options(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 6, "10.9.9.9", "10.8.8.8");
	pb_be32(&p, 0x01010100);
	p.b[ip] = 0x46;
	pb_tcp(&p, 50000, 22, CAP_TH_SYN | CAP_TH_ACK);
	pb_ip4_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.sport, 50000);
	assert_int_equal(pk.dport, 22);
	assert_int_equal(pk.tcp_flags, CAP_TH_SYN | CAP_TH_ACK);
	/* options cut by the caplen */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 22, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_IP4);
}

/* Total length 0: a TSO send captured before segmentation. */
static void test_tso(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	memset(&p, 0, sizeof(p));
	pb_eth_tcp4(&p, "10.0.0.1", "10.0.0.2", 1234, 8080, CAP_TH_ACK, 100);
	pb_put16(&p, 16, 0);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.payload_len, 100);
	assert_int_equal(an_total(&d), 0);
}

static void test_other_l4(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 50, "10.0.0.1", "10.0.0.2"); /* ESP */
	pb_fill(&p, 0, 8);
	pb_ip4_end(&p, ip);
	expect_bad(&p, CAP_AN_OTHER_L4);
	p.b[ip + 9] = 89; /* OSPF */
	expect_bad(&p, CAP_AN_OTHER_L4);
	/* The carriers of tunnels (GRE, IP-in-IP, 6in4) are packets of
	 * their own, without ports, their payload the tunnel. */
	static const uint8_t carriers[] = { 47, 4, 41 };
	for (size_t i = 0; i < sizeof carriers; i++) {
		p.b[ip + 9] = carriers[i];
		reset_anomalies(&d);
		assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
		assert_int_equal(pk.proto, carriers[i]);
		assert_int_equal(pk.sport, 0);
		assert_int_equal(pk.dport, 0);
		assert_int_equal(pk.payload_len, 8);
		assert_int_equal(pk.tunnel, 0);
		assert_int_equal(an_total(&d), 0);
	}
}

/* IPv4 AH (RFC 4302) before TCP: stepped over to the ports; cut or
 * longer than the datagram: counted, not read past. */
static void test_ah(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 51, "10.0.0.1", "10.0.0.2");
	pb_u8(&p, 6);    /* next header: TCP */
	pb_u8(&p, 4);    /* (4 + 2) * 4 = 24 bytes */
	pb_fill(&p, 0, 22);
	pb_tcp(&p, 40000, 1960, CAP_TH_SYN);
	pb_ip4_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.sport, 40000);
	assert_int_equal(pk.dport, 1960);
	assert_int_equal(pk.tcp_flags, CAP_TH_SYN);
	assert_int_equal(pk.payload_len, 0);
	assert_int_equal(an_total(&d), 0);
	/* an AH longer than the datagram */
	p.b[ip + 21] = 200;
	expect_bad(&p, CAP_AN_BAD_IP4_TOTLEN);
	/* the AH cut by the caplen */
	p.b[ip + 21] = 4;
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, (uint32_t)ip + 20 + 10,
	                        (uint32_t)p.n, 0, &pk));
	assert_int_equal(d.anomalies[CAP_AN_TRUNC_IP4], 1);
}

static void test_truncated(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	build(&p);
	for (size_t n = 14; n < 34; n++) {
		reset_anomalies(&d);
		assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, (uint32_t)n,
		                        (uint32_t)p.n, 0, &pk));
		assert_only_anomaly(&d, CAP_AN_TRUNC_IP4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_ihl),
		cmocka_unit_test(test_totlen),
		cmocka_unit_test(test_snaplen_cut),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_tso),
		cmocka_unit_test(test_other_l4),
		cmocka_unit_test(test_ah),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
