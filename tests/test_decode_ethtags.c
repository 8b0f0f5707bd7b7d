/*
 * test_decode_ethtags.c -- decode_vlan.c's data-centre tags: Cisco
 * FabricPath (0x8903, with and without an 802.1Q/802.1ad tag in front, an
 * inner tag, a kept FCS), 802.1ah PBB (0x88e7 behind an 802.1ad B-TAG or
 * not), VN-Tag (0x8926); each one layer under CAP_MAX_LAYERS whatever the
 * mix; 802.1Q inside 802.1ad as before; every cut length.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"
#include "tests/decode_links.h"

/* IPv4 + UDP 1.1.1.1:1000 -> 2.2.2.2:2000 with 4 payload bytes. */
static void ip_udp(struct pb *p)
{
	size_t ip = pb_ip4(p, 17, "1.1.1.1", "2.2.2.2");
	size_t u = pb_udp(p, 1000, 2000);
	pb_fill(p, 9, 4);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
}

static void check_udp(const struct pb *p, unsigned vlan)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, p, &pk));
	assert_int_equal(pk.family, 4);
	assert_addr(4, pk.src, "1.1.1.1");
	assert_addr(4, pk.dst, "2.2.2.2");
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.dport, 2000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(pk.vlan, vlan);
	assert_int_equal(an_total(&d), 0);
}

static void check_fail(const struct pb *p, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, p, &pk));
	assert_only_anomaly(&d, a);
}

static void test_fabricpath(void **state)
{
	struct pb p = {0};
	(void)state;
	pb_fabricpath(&p);
	pb_eth(&p, 0x0800);
	ip_udp(&p);
	check_udp(&p, 0);
	/* FabricPath keeps its own FCS after the frame: padding for IP */
	pb_be32(&p, 0xdeadbeef);
	check_udp(&p, 0);
	/* the classic frame has an 802.1Q tag: its VLAN */
	memset(&p, 0, sizeof(p));
	pb_fabricpath(&p);
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 30, 0x0800);
	ip_udp(&p);
	check_udp(&p, 30);
	/* 20-byte header: an 802.1ad tag in front of 0x8903 (the outer VLAN
	 * is the one reported, as for QinQ) */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 10, 0x8903);
	pb_be16(&p, (1u << 6) | 32);
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 30, 0x0800);
	ip_udp(&p);
	check_udp(&p, 10);
	/* IPv6 inside */
	memset(&p, 0, sizeof(p));
	pb_fabricpath(&p);
	pb_eth(&p, 0x86dd);
	pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.family, 6);
	assert_int_equal(pk.dport, 53);
	/* ARP, and FabricPath IS-IS (an 802.3 LLC frame), inside: non-IP */
	memset(&p, 0, sizeof(p));
	pb_fabricpath(&p);
	pb_eth(&p, 0x0806);
	pb_fill(&p, 0, 28);
	check_fail(&p, CAP_AN_NON_IP);
	memset(&p, 0, sizeof(p));
	pb_fabricpath(&p);
	size_t len = pb_8023(&p);
	pb_u8(&p, 0xfe);
	pb_u8(&p, 0xfe);
	pb_u8(&p, 0x03);
	pb_fill(&p, 0, 30);
	pb_8023_end(&p, len);
	check_fail(&p, CAP_AN_NON_IP);
}

static void test_pbb(void **state)
{
	struct pb p = {0};
	(void)state;
	/* B-TAG (VLAN 100), I-TAG, customer frame with a C-TAG (200) */
	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 100, 0x88e7);
	pb_be32(&p, 0x00010001);
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 200, 0x0800);
	ip_udp(&p);
	check_udp(&p, 100);
	/* no B-TAG: the customer's tag is the first met */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x88e7);
	pb_be32(&p, 0x00fffffe);
	pb_eth(&p, 0x8100);
	pb_vlan(&p, 200, 0x0800);
	ip_udp(&p);
	check_udp(&p, 200);
	/* an untagged customer frame that is 802.3 + SNAP */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x88e7);
	pb_be32(&p, 5);
	size_t len = pb_8023(&p);
	pb_snap(&p, 0, 0x0800);
	ip_udp(&p);
	pb_8023_end(&p, len);
	check_udp(&p, 0);
	/* customer ARP */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x88e7);
	pb_be32(&p, 5);
	pb_eth(&p, 0x0806);
	pb_fill(&p, 0, 28);
	check_fail(&p, CAP_AN_NON_IP);
}

static void test_vntag(void **state)
{
	struct pb p = {0};
	(void)state;
	pb_eth(&p, 0x8926);
	pb_be32(&p, 0x00050009);
	pb_be16(&p, 0x0800);
	ip_udp(&p);
	check_udp(&p, 0);
	/* then an 802.1Q tag */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8926);
	pb_be32(&p, 0x80050009);
	pb_be16(&p, 0x8100);
	pb_vlan(&p, 12, 0x0800);
	ip_udp(&p);
	check_udp(&p, 12);
	/* and ARP */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x8926);
	pb_be32(&p, 0);
	pb_be16(&p, 0x0806);
	pb_fill(&p, 0, 28);
	check_fail(&p, CAP_AN_NON_IP);
}

/* 802.1Q inside 802.1ad: the outer id, as before. */
static void test_qinq_kept(void **state)
{
	struct pb p = {0};
	(void)state;
	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 300, 0x8100);
	pb_vlan(&p, 301, 0x0800);
	ip_udp(&p);
	check_udp(&p, 300);
}

/* The tags of one frame, outermost first, then IPv4 + UDP. */
enum tag { T_VLAN, T_VNTAG, T_PBB, T_FP };
static void tagged(struct pb *p, const enum tag *tags, size_t n)
{
	memset(p, 0, sizeof(*p));
	pb_raw(p, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);
	for (size_t i = 0; i < n; i++) {
		switch (tags[i]) {
		case T_VLAN:
			pb_be16(p, 0x8100);
			pb_be16(p, (unsigned)(i + 1));
			break;
		case T_VNTAG:
			pb_be16(p, 0x8926);
			pb_be32(p, 0);
			break;
		case T_PBB:
			pb_be16(p, 0x88e7);
			pb_be32(p, 1);
			pb_fill(p, 0x22, 12);
			break;
		case T_FP:
			pb_be16(p, 0x8903);
			pb_be16(p, 32);
			pb_fill(p, 0x33, 12);
			break;
		}
	}
	pb_be16(p, 0x0800);
	ip_udp(p);
}

/* CAP_MAX_LAYERS layers of any mix pass; one more is vlan_depth. */
static void test_depth(void **state)
{
	enum tag tags[CAP_MAX_LAYERS + 1];
	struct pb p;
	(void)state;
	for (int kind = 0; kind < 5; kind++) {
		for (size_t i = 0; i < CAP_MAX_LAYERS + 1; i++)
			tags[i] = kind < 4 ? (enum tag)kind : (enum tag)(i % 4);
		tagged(&p, tags, CAP_MAX_LAYERS);
		struct cap_packet pk;
		reset_anomalies(&d);
		assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
		assert_int_equal(pk.dport, 2000);
		assert_int_equal(an_total(&d), 0);
		tagged(&p, tags, CAP_MAX_LAYERS + 1);
		check_fail(&p, CAP_AN_VLAN_DEPTH);
	}
	/* a hundred nested FabricPath frames (recursion) cost the cap, once */
	memset(&p, 0, sizeof(p));
	for (int i = 0; i < 100; i++)
		pb_fabricpath(&p);
	pb_eth(&p, 0x0800);
	ip_udp(&p);
	check_fail(&p, CAP_AN_VLAN_DEPTH);
}

/* Every cut: inside the tags trunc_link, then trunc_ip4, trunc_udp, then
 * a kept packet cut by the snaplen. A frame that ends on the wire inside
 * a tag: bad_link_hlen. */
static void test_tag_cuts(void **state)
{
	static const enum tag one[][2] = {
		{T_FP, T_VLAN}, {T_PBB, T_VLAN}, {T_VNTAG, T_VLAN},
		{T_VLAN, T_FP}, {T_VLAN, T_PBB}, {T_VNTAG, T_FP},
	};
	struct pb p;
	(void)state;
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		tagged(&p, one[i], 2);
		size_t l = p.n - 28 - 4; /* the link headers end there */
		const struct cut_step steps[] = {
			{l, CAP_AN_TRUNC_LINK},
			{l + 20, CAP_AN_TRUNC_IP4},
			{l + 28, CAP_AN_TRUNC_UDP},
		};
		check_cuts(&d, DLT_T_EN10MB, &p, steps, 3);
	}
	/* frames ending inside a FabricPath, PBB or VN-Tag header */
	static const enum tag solo[] = {T_FP, T_PBB, T_VNTAG};
	static const size_t hdr[] = {16, 18, 20};
	for (size_t i = 0; i < 3; i++) {
		tagged(&p, &solo[i], 1);
		check_short(&d, DLT_T_EN10MB, &p, 14, hdr[i], CAP_AN_BAD_LINK_HLEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fabricpath),
		cmocka_unit_test(test_pbb),
		cmocka_unit_test(test_vntag),
		cmocka_unit_test(test_qinq_kept),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_tag_cuts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
