/*
 * test_decode_ip6.c -- IPv6 header and extension header chain: payload
 * length both ways, hop-by-hop/routing/destination options/AH walked,
 * chain cut or too long, ESP as another protocol, a real frame.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"

static void ext8(struct pb *p, unsigned nh)
{
	pb_u8(p, nh);
	pb_u8(p, 0);  /* (0 + 1) * 8 bytes */
	pb_fill(p, 0, 6);
}

static void test_real_frame(void **state)
{
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_true(dec(&d, DLT_T_IPV6, real_ipv6_udp, sizeof(real_ipv6_udp), &pk));
	assert_int_equal(pk.family, 6);
	assert_addr(6, pk.src, "2001:db8::1");
	assert_addr(6, pk.dst, "2620:fe::9");
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 12345);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(pk.payload_len, 37 - 8);
	/* the same bytes as raw IP (version nibble) and as LINKTYPE_IPV4 */
	assert_true(dec(&d, DLT_T_RAW, real_ipv6_udp, sizeof(real_ipv6_udp), &pk));
	assert_int_equal(an_total(&d), 0);
	assert_false(dec(&d, DLT_T_IPV4, real_ipv6_udp, sizeof(real_ipv6_udp), &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP4_VERSION);
}

/* hop-by-hop, routing, destination options, AH, then TCP. */
static void test_ext_chain(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 0, "fe80::1", "2001:db8::2");
	ext8(&p, 43);
	ext8(&p, 60);
	ext8(&p, 51);
	pb_u8(&p, 6);   /* AH: next header TCP, */
	pb_u8(&p, 4);   /* (4 + 2) * 4 = 24 bytes */
	pb_fill(&p, 0, 22);
	pb_tcp(&p, 49999, 135, CAP_TH_SYN);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.sport, 49999);
	assert_int_equal(pk.dport, 135);
	assert_int_equal(pk.payload_len, 0);
	assert_int_equal(an_total(&d), 0);
	/* cut inside the AH header */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 40 + 24 + 10,
	                        (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
	/* an extension header longer than the payload length */
	p.b[14 + 40 + 1] = 200;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
}

static void test_ext_too_many(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 60, "2001:db8::1", "2001:db8::2");
	for (int i = 0; i < 40; i++)
		ext8(&p, 60);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
}

static void test_plen(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip, u;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 17, "2001:db8::1", "2001:db8::2");
	u = pb_udp(&p, 546, 547);
	pb_fill(&p, 1, 20);
	pb_udp_end(&p, u);
	pb_ip6_end(&p, ip);
	/* Ethernet padding after the payload is ignored */
	pb_fill(&p, 0, 6);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.payload_len, 20);
	assert_int_equal(an_total(&d), 0);
	/* longer than the wire */
	pb_put16(&p, ip + 4, 200);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP6_PLEN);
	/* bad version */
	pb_put16(&p, ip + 4, 28);
	p.b[ip] = 0x40;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP6_VERSION);
	/* header cut */
	p.b[ip] = 0x60;
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 39, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_IP6);
}

static void test_other(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 60, "2001:db8::1", "2001:db8::2");
	ext8(&p, 50); /* then ESP */
	pb_fill(&p, 0, 16);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_OTHER_L4);
	p.b[ip + 6] = 59; /* no next header */
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_OTHER_L4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_frame),
		cmocka_unit_test(test_ext_chain),
		cmocka_unit_test(test_ext_too_many),
		cmocka_unit_test(test_plen),
		cmocka_unit_test(test_other),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
