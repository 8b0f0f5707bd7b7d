/*
 * test_decode_link.c -- link layers: Linux SLL and SLL2, BSD null/loop in
 * both byte orders, raw IP, 802.1Q, QinQ, depth cap, MPLS, PPPoE.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"

/* IPv4 + UDP 1.1.1.1:1000 -> 2.2.2.2:2000 with 4 payload bytes. */
static void ip_udp(struct pb *p)
{
	size_t ip = pb_ip4(p, 17, "1.1.1.1", "2.2.2.2");
	size_t u = pb_udp(p, 1000, 2000);
	pb_fill(p, 9, 4);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
}

static void check_udp(struct pb *p, int lt, unsigned vlan)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_true(decp(&d, lt, p, &pk));
	assert_addr(4, pk.src, "1.1.1.1");
	assert_addr(4, pk.dst, "2.2.2.2");
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.dport, 2000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(pk.vlan, vlan);
	assert_int_equal(an_total(&d), 0);
}

static void test_real_frames(void **state)
{
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_true(dec(&d, DLT_T_NULL, real_null_udp, sizeof(real_null_udp), &pk));
	assert_addr(4, pk.src, "127.0.0.1");
	assert_int_equal(pk.sport, 54954);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(pk.payload_len, 48 - 8);
	assert_true(dec(&d, DLT_T_SLL, real_sll_udp, sizeof(real_sll_udp), &pk));
	assert_int_equal(pk.sport, 53334);
	assert_int_equal(pk.dport, 1812);
	assert_int_equal(pk.payload_len, 88 - 8);
	assert_true(dec(&d, DLT_T_EN10MB, real_vlan_udp, sizeof(real_vlan_udp), &pk));
	assert_addr(4, pk.src, "11.11.11.2");
	assert_addr(4, pk.dst, "11.11.11.1");
	assert_int_equal(pk.sport, 49152);
	assert_int_equal(pk.dport, 3784);
	assert_int_equal(pk.vlan, 11);
	assert_int_equal(pk.payload_len, 32 - 8);
	assert_int_equal(an_total(&d), 0);
}

static void test_sll(void **state)
{
	struct pb p = {0};
	(void)state;
	pb_be16(&p, 0);      /* to us */
	pb_be16(&p, 1);      /* ARPHRD_ETHER */
	pb_be16(&p, 6);
	pb_fill(&p, 0xab, 8);
	pb_be16(&p, 0x0800);
	ip_udp(&p);
	check_udp(&p, DLT_T_SLL, 0);
	/* an 802.1Q tag left in the packet */
	memset(&p, 0, sizeof(p));
	pb_be16(&p, 4);
	pb_be16(&p, 1);
	pb_be16(&p, 6);
	pb_fill(&p, 0xab, 8);
	pb_be16(&p, 0x8100);
	pb_vlan(&p, 300, 0x0800);
	ip_udp(&p);
	check_udp(&p, DLT_T_SLL, 300);
	/* 802.2 LLC (Linux's ETH_P_802_2): SNAP carrying IPv4 */
	struct pb l = {0};
	pb_be16(&l, 0);
	pb_be16(&l, 1);
	pb_be16(&l, 6);
	pb_fill(&l, 0xab, 8);
	pb_be16(&l, 0x0004);
	pb_u8(&l, 0xaa);
	pb_u8(&l, 0xaa);
	pb_u8(&l, 0x03);
	pb_u8(&l, 0);
	pb_u8(&l, 0);
	pb_u8(&l, 0);
	pb_be16(&l, 0x0800);
	ip_udp(&l);
	check_udp(&l, DLT_T_SLL, 0);
	/* netlink */
	struct cap_packet pk;
	p.b[2] = 0x03;
	p.b[3] = 0x38;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_SLL, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
	reset_anomalies(&d);
	assert_false(dec(&d, DLT_T_SLL, p.b, 15, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

static void test_sll2(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	pb_be16(&p, 0x0800); /* protocol */
	pb_be16(&p, 0);
	pb_be32(&p, 3);      /* ifindex */
	pb_be16(&p, 1);      /* ARPHRD_ETHER */
	pb_u8(&p, 4);        /* outgoing */
	pb_u8(&p, 6);
	pb_fill(&p, 0xcd, 8);
	ip_udp(&p);
	check_udp(&p, DLT_T_SLL2, 0);
	/* 802.2 LLC pseudo-protocol */
	pb_put16(&p, 0, 4);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_SLL2, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
	reset_anomalies(&d);
	assert_false(dec(&d, DLT_T_SLL2, p.b, 19, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

static void test_null_loop(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	/* AF_INET written little-endian and big-endian, DLT_NULL and DLT_LOOP */
	for (int lt = 0; lt < 2; lt++) {
		for (int be = 0; be < 2; be++) {
			memset(&p, 0, sizeof(p));
			if (be)
				pb_be32(&p, 2);
			else
				pb_le32(&p, 2);
			ip_udp(&p);
			check_udp(&p, lt ? DLT_T_LOOP : DLT_T_NULL, 0);
		}
	}
	/* AF_INET6 of each system */
	static const uint32_t af6[] = {10, 24, 28, 30};
	for (size_t i = 0; i < 4; i++) {
		memset(&p, 0, sizeof(p));
		pb_le32(&p, af6[i]);
		pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
		reset_anomalies(&d);
		assert_true(decp(&d, DLT_T_NULL, &p, &pk));
		assert_int_equal(pk.family, 6);
		assert_int_equal(pk.dport, 53);
	}
	memset(&p, 0, sizeof(p));
	pb_le32(&p, 7); /* AF_IMPLINK */
	ip_udp(&p);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_NULL, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
}

static void test_raw(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	ip_udp(&p);
	check_udp(&p, DLT_T_RAW, 0);
	check_udp(&p, DLT_T_RAW_OPENBSD, 0);
	check_udp(&p, DLT_T_LINKTYPE_RAW, 0);
	check_udp(&p, DLT_T_IPV4, 0);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_IPV6, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP6_VERSION);
	p.b[0] = 0x15;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_RAW, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
}

static void test_vlan_qinq(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 0x2000 | 200, 0x8100);
	pb_vlan(&p, 2001, 0x0800);
	ip_udp(&p);
	check_udp(&p, DLT_T_EN10MB, 200); /* the outer id */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x9100);
	pb_vlan(&p, 7, 0x8100);
	pb_vlan(&p, 8, 0x8100);
	pb_vlan(&p, 9, 0x0800);
	ip_udp(&p);
	check_udp(&p, DLT_T_EN10MB, 7);
	/* a priority tag (id 0) outside: the outer id is 0 */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 0xe000, 0x8100);
	pb_vlan(&p, 55, 0x0800);
	ip_udp(&p);
	check_udp(&p, DLT_T_EN10MB, 0);
	/* CAP_MAX_LAYERS tags pass, one more does not */
	for (int extra = 0; extra < 2; extra++) {
		memset(&p, 0, sizeof(p));
		pb_eth(&p, 0x8100);
		for (int i = 1; i < CAP_MAX_LAYERS + extra; i++)
			pb_vlan(&p, (unsigned)i, 0x8100);
		pb_vlan(&p, 99, 0x0800);
		ip_udp(&p);
		if (!extra) {
			check_udp(&p, DLT_T_EN10MB, 1);
		} else {
			reset_anomalies(&d);
			assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
			assert_only_anomaly(&d, CAP_AN_VLAN_DEPTH);
		}
	}
	/* a thousand tags cost no more than the cap */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8100);
	for (int i = 0; i < 1000; i++)
		pb_vlan(&p, 5, 0x8100);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_VLAN_DEPTH);
	/* a tag cut */
	reset_anomalies(&d);
	assert_false(dec(&d, DLT_T_EN10MB, p.b, 16, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

static void test_mpls(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	pb_eth(&p, 0x8847);
	pb_be32(&p, (16 << 12) | 64);            /* label 16 */
	pb_be32(&p, (17 << 12) | 0x100 | 64);    /* label 17, bottom */
	ip_udp(&p);
	check_udp(&p, DLT_T_EN10MB, 0);
	/* IPv6 under one label */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8847);
	pb_be32(&p, (2 << 12) | 0x100 | 64);
	pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.family, 6);
	assert_int_equal(pk.sport, 12345);
	/* pseudowire: control word then Ethernet with a VLAN tag */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8847);
	pb_be32(&p, (100 << 12) | 0x100 | 64);
	pb_be32(&p, 0);
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 42, 0x0800);
	ip_udp(&p);
	check_udp(&p, DLT_T_EN10MB, 42);
	/* a label stack without bottom */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8847);
	for (int i = 0; i < 20; i++)
		pb_be32(&p, (unsigned)(i + 16) << 12);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_VLAN_DEPTH);
	reset_anomalies(&d);
	assert_false(dec(&d, DLT_T_EN10MB, p.b, 20, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

static void test_pppoe(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t len;
	(void)state;
	pb_eth(&p, 0x8864);
	pb_u8(&p, 0x11);
	pb_u8(&p, 0);
	pb_be16(&p, 0x1234);
	len = p.n;
	pb_be16(&p, 0);
	pb_be16(&p, 0x0021);
	ip_udp(&p);
	pb_put16(&p, len, (unsigned)(p.n - len - 2));
	pb_fill(&p, 0, 10); /* padding after the PPPoE payload */
	check_udp(&p, DLT_T_EN10MB, 0);
	/* A PPPoE length 6 bytes short of the IP packet, inside QinQ (as
	 * some access concentrators write it): the IP length is followed
	 * and the mismatch counted. */
	struct pb q = {0};
	pb_eth(&q, 0x88a8);
	pb_vlan(&q, 100, 0x8100);
	pb_vlan(&q, 7, 0x8864);
	pb_u8(&q, 0x11);
	pb_u8(&q, 0);
	pb_be16(&q, 0x1234);
	size_t qlen = q.n;
	pb_be16(&q, 0);
	pb_be16(&q, 0x0021);
	ip_udp(&q);
	pb_put16(&q, qlen, (unsigned)(q.n - qlen - 2 - 6));
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &q, &pk));
	assert_int_equal(pk.vlan, 100);
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(d.anomalies[CAP_AN_PPPOE_LEN], 1);
	assert_int_equal(d.anomalies[CAP_AN_BAD_IP4_TOTLEN], 0);
	/* ... but not past the frame: the IP length is then bad. */
	reset_anomalies(&d);
	assert_false(dec(&d, DLT_T_EN10MB, q.b, q.n - 8, &pk));
	assert_int_equal(d.anomalies[CAP_AN_PPPOE_LEN], 0);
	/* LCP */
	pb_put16(&p, len + 2, 0xc021);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
	/* discovery (0x8863) */
	pb_put16(&p, 12, 0x8863);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_frames),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_null_loop),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_pppoe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
