/*
 * test_decode_ppp.c -- decode_ppp.c: PPP (DLT 9) and PPP in HDLC-like
 * framing (DLT 50), with and without address/control, with a 2-byte and a
 * compressed protocol field; IPv4, IPv6, MPLS and the non-IP protocols;
 * Cisco HDLC (DLT 104, and inside DLT 9/50); PPPoE through the same
 * protocol dispatch; every cut length; real frames of tcpdump's captures.
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

static void check_udp(const struct pb *p, int lt)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_true(decp(&d, lt, p, &pk));
	assert_int_equal(pk.family, 4);
	assert_addr(4, pk.src, "1.1.1.1");
	assert_addr(4, pk.dst, "2.2.2.2");
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.dport, 2000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(an_total(&d), 0);
}

static void check_non_ip(const struct pb *p, int lt)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, lt, p, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
}

/* The PPP header `h` (n bytes), then IPv4 + UDP. */
static void ppp_frame(struct pb *p, const uint8_t *h, size_t n)
{
	memset(p, 0, sizeof(*p));
	pb_raw(p, h, n);
	ip_udp(p);
}

static void test_ppp_framings(void **state)
{
	static const struct {
		uint8_t h[4];
		size_t n;
	} hdrs[] = {
		{{0xff, 0x03, 0x00, 0x21}, 4}, /* RFC 1662 framing */
		{{0xff, 0x03, 0x21}, 3},       /* ... protocol field compressed */
		{{0x00, 0x21}, 2},             /* address/control compressed */
		{{0x21}, 1},                   /* both */
		{{0x0f, 0x00, 0x08, 0x00}, 4}, /* Cisco HDLC unicast */
		{{0x8f, 0x00, 0x08, 0x00}, 4}, /* Cisco HDLC broadcast */
	};
	struct pb p;
	(void)state;
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		ppp_frame(&p, hdrs[i].h, hdrs[i].n);
		check_udp(&p, DLT_T_PPP);
		check_udp(&p, DLT_T_PPP_SERIAL);
	}
}

static void test_ppp_protocols(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	/* IPv6, 2-byte and compressed */
	for (int pfc = 0; pfc < 2; pfc++) {
		memset(&p, 0, sizeof(p));
		pb_u8(&p, 0xff);
		pb_u8(&p, 0x03);
		if (pfc)
			pb_u8(&p, 0x57);
		else
			pb_be16(&p, 0x0057);
		pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
		reset_anomalies(&d);
		assert_true(decp(&d, DLT_T_PPP, &p, &pk));
		assert_int_equal(pk.family, 6);
		assert_addr(6, pk.dst, "2620:fe::9");
		assert_int_equal(pk.sport, 12345);
		assert_int_equal(pk.dport, 53);
		assert_int_equal(an_total(&d), 0);
	}
	/* MPLS unicast and multicast: a two-label stack, then IPv4 */
	static const unsigned mpls[] = {0x0281, 0x0283};
	for (int i = 0; i < 2; i++) {
		memset(&p, 0, sizeof(p));
		pb_be16(&p, mpls[i]);
		pb_be32(&p, (16 << 12) | 64);
		pb_be32(&p, (17 << 12) | 0x100 | 64);
		ip_udp(&p);
		check_udp(&p, DLT_T_PPP_SERIAL);
	}
	/* LCP, IPCP, PAP, CHAP, CCP, multilink, VJ compressed TCP, IPX: non-IP;
	 * 0x0020 is not a PPP protocol (even last byte) */
	static const unsigned other[] = {0xc021, 0x8021, 0xc023, 0xc223, 0x80fd,
	                                 0x003d, 0x002d, 0x002f, 0x002b, 0x0020};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		memset(&p, 0, sizeof(p));
		pb_u8(&p, 0xff);
		pb_u8(&p, 0x03);
		pb_be16(&p, other[i]);
		ip_udp(&p);
		check_non_ip(&p, DLT_T_PPP);
		check_non_ip(&p, DLT_T_PPP_SERIAL);
	}
	/* compressed protocol fields other than IPv4/IPv6 */
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0x3d);
	ip_udp(&p);
	check_non_ip(&p, DLT_T_PPP);
	/* address 0xff with a control field other than UI: not a frame we
	 * read (RFC 1662: discarded) */
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0xff);
	pb_u8(&p, 0x5f);
	pb_be16(&p, 0x0021);
	ip_udp(&p);
	check_non_ip(&p, DLT_T_PPP_SERIAL);
	/* HDLC flag and byte stuffing are not unescaped: 0x7e... is non-IP */
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0x7e);
	pb_u8(&p, 0xff);
	pb_u8(&p, 0x7d);
	pb_u8(&p, 0x23);
	ip_udp(&p);
	check_non_ip(&p, DLT_T_PPP);
}

static void test_chdlc(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	/* IPv4, unicast and broadcast address, control 0 or not */
	static const uint8_t addr[] = {0x0f, 0x8f};
	for (int i = 0; i < 2; i++) {
		for (unsigned ctl = 0; ctl < 2; ctl++) {
			memset(&p, 0, sizeof(p));
			pb_u8(&p, addr[i]);
			pb_u8(&p, ctl);
			pb_be16(&p, 0x0800);
			ip_udp(&p);
			check_udp(&p, DLT_T_C_HDLC);
		}
	}
	/* IPv6 */
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	pb_be16(&p, 0x86dd);
	pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_C_HDLC, &p, &pk));
	assert_int_equal(pk.family, 6);
	assert_int_equal(pk.dport, 53);
	/* whatever cap_dec_ethertype knows: MPLS, a VLAN tag */
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	pb_be16(&p, 0x8847);
	pb_be32(&p, (20 << 12) | 0x100 | 64);
	ip_udp(&p);
	check_udp(&p, DLT_T_C_HDLC);
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	pb_be16(&p, 0x8100);
	pb_vlan(&p, 77, 0x0800);
	ip_udp(&p);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_C_HDLC, &p, &pk));
	assert_int_equal(pk.vlan, 77);
	/* SLARP, CDP, ISO CLNS: non-IP; another address: not Cisco HDLC */
	static const unsigned other[] = {0x8035, 0x2000, 0xfefe, 0x0000};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		memset(&p, 0, sizeof(p));
		pb_u8(&p, 0x8f);
		pb_u8(&p, 0);
		pb_be16(&p, other[i]);
		ip_udp(&p);
		check_non_ip(&p, DLT_T_C_HDLC);
	}
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 0xff);
	pb_u8(&p, 0x03);
	pb_be16(&p, 0x0800);
	ip_udp(&p);
	check_non_ip(&p, DLT_T_C_HDLC);
}

/* Every cut: inside the link header trunc_link, inside IPv4 trunc_ip4,
 * inside UDP trunc_udp, in the payload a kept packet cut by the snaplen.
 * A frame that ends (on the wire) inside its link header: bad_link_hlen. */
static void test_ppp_cuts(void **state)
{
	static const struct {
		int lt;
		uint8_t h[4];
		size_t n;
	} hdrs[] = {
		{DLT_T_PPP, {0xff, 0x03, 0x00, 0x21}, 4},
		{DLT_T_PPP, {0xff, 0x03, 0x21}, 3},
		{DLT_T_PPP, {0x00, 0x21}, 2},
		{DLT_T_PPP, {0x21}, 1},
		{DLT_T_PPP_SERIAL, {0xff, 0x03, 0x00, 0x21}, 4},
		{DLT_T_PPP_SERIAL, {0x8f, 0x00, 0x08, 0x00}, 4},
		{DLT_T_C_HDLC, {0x0f, 0x00, 0x08, 0x00}, 4},
	};
	struct pb p;
	struct cap_packet pk;
	(void)state;
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		size_t l = hdrs[i].n;
		const struct cut_step steps[] = {
			{l, CAP_AN_TRUNC_LINK},
			{l + 20, CAP_AN_TRUNC_IP4},
			{l + 28, CAP_AN_TRUNC_UDP},
		};
		ppp_frame(&p, hdrs[i].h, l);
		check_cuts(&d, hdrs[i].lt, &p, steps, 3);
		check_short(&d, hdrs[i].lt, &p, 0, l, CAP_AN_BAD_LINK_HLEN);
	}
	/* no data at all */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_PPP, NULL, 0, 0, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

/* PPPoE session frames go through the same protocol dispatch: a
 * compressed protocol field, MPLS. */
static void test_pppoe_dispatch(void **state)
{
	struct pb p;
	size_t len;
	(void)state;
	for (int i = 0; i < 3; i++) {
		memset(&p, 0, sizeof(p));
		pb_eth(&p, 0x8864);
		pb_u8(&p, 0x11);
		pb_u8(&p, 0);
		pb_be16(&p, 7);
		len = p.n;
		pb_be16(&p, 0);
		if (i == 0) {
			pb_be16(&p, 0x0021);
		} else if (i == 1) {
			pb_u8(&p, 0x21);
		} else {
			pb_be16(&p, 0x0281);
			pb_be32(&p, (30 << 12) | 0x100 | 64);
		}
		ip_udp(&p);
		pb_put16(&p, len, (unsigned)(p.n - len - 2));
		check_udp(&p, DLT_T_EN10MB);
	}
}

/* mpls-traceroute.pcap packet 1 (DLT_PPP): PPP, MPLS label 100704, IPv4
 * 12.4.4.4:42315 -> 12.1.1.1:33435, UDP length 20. */
static const uint8_t real_ppp_mpls_udp[] = {
	0xff, 0x03, 0x02, 0x81, 0x18, 0x96, 0x01, 0x01, 0x45, 0x00, 0x00, 0x28,
	0xa5, 0x4c, 0x00, 0x00, 0x01, 0x11, 0xf7, 0x6f, 0x0c, 0x04, 0x04, 0x04,
	0x0c, 0x01, 0x01, 0x01, 0xa5, 0x4b, 0x82, 0x9b, 0x00, 0x14, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* HDLC.pcap packet 7 (DLT_C_HDLC): ICMP echo request id 0, seq 0,
 * 10.0.0.1 -> 10.0.0.2, IP total length 100. */
static const uint8_t real_chdlc_icmp[] = {
	0x0f, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00,
	0xff, 0x01, 0xa7, 0x96, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
	0x08, 0x00, 0x32, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x03, 0x4c, 0x3c, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
	0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
	0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
	0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
	0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
	0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
};

static void test_real_frames(void **state)
{
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_true(dec(&d, DLT_T_PPP, real_ppp_mpls_udp,
	                sizeof(real_ppp_mpls_udp), &pk));
	assert_int_equal(pk.proto, 17);
	assert_addr(4, pk.src, "12.4.4.4");
	assert_addr(4, pk.dst, "12.1.1.1");
	assert_int_equal(pk.sport, 42315);
	assert_int_equal(pk.dport, 33435);
	assert_int_equal(pk.payload_len, 20 - 8);
	assert_true(dec(&d, DLT_T_C_HDLC, real_chdlc_icmp,
	                sizeof(real_chdlc_icmp), &pk));
	assert_int_equal(pk.proto, 1);
	assert_addr(4, pk.src, "10.0.0.1");
	assert_addr(4, pk.dst, "10.0.0.2");
	assert_int_equal(pk.icmp_type, 8);
	assert_int_equal(pk.sport, 0);
	assert_int_equal(an_total(&d), 0);
}

static void test_supported(void **state)
{
	(void)state;
	assert_true(cap_linktype_supported(DLT_T_PPP));
	assert_true(cap_linktype_supported(DLT_T_PPP_SERIAL));
	assert_true(cap_linktype_supported(DLT_T_C_HDLC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ppp_framings),
		cmocka_unit_test(test_ppp_protocols),
		cmocka_unit_test(test_chdlc),
		cmocka_unit_test(test_ppp_cuts),
		cmocka_unit_test(test_pppoe_dispatch),
		cmocka_unit_test(test_real_frames),
		cmocka_unit_test(test_supported),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
