/*
 * test_decode_llc.c -- decode_llc.c: 802.2 LLC and SNAP behind an 802.3
 * length field and behind FDDI (DLT 10): SNAP with an EtherType (IPv4,
 * IPv6, a VLAN tag), the IP SAP, the non-IP SAPs and OUIs; the 802.3 length
 * field checked both ways; FDDI frame control; every cut length; a real
 * spanning-tree frame.
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

static void check_udp(const struct pb *p, int lt, unsigned vlan)
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
	assert_int_equal(pk.vlan, vlan);
	assert_int_equal(an_total(&d), 0);
}

static void check_fail(const struct pb *p, int lt, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, lt, p, &pk));
	assert_only_anomaly(&d, a);
}

/* The LLC PDU `llc` (n bytes) then IPv4 + UDP, behind 802.3 (lt 1) or
 * FDDI with frame control fc. */
static void llc_frame(struct pb *p, int lt, unsigned fc, const uint8_t *llc,
                      size_t n)
{
	size_t len = 0;
	memset(p, 0, sizeof(*p));
	if (lt == DLT_T_FDDI)
		pb_fddi(p, fc);
	else
		len = pb_8023(p);
	pb_raw(p, llc, n);
	ip_udp(p);
	if (lt != DLT_T_FDDI)
		pb_8023_end(p, len);
}

static const uint8_t snap_ip4[] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};

static void test_snap(void **state)
{
	static const int lts[] = {DLT_T_EN10MB, DLT_T_FDDI};
	struct pb p;
	struct cap_packet pk;
	(void)state;
	for (int i = 0; i < 2; i++) {
		int lt = lts[i];
		/* RFC 1042 (OUI 0), Cisco's 00-00-F8, the SAPs' low bits set */
		llc_frame(&p, lt, 0x50, snap_ip4, sizeof(snap_ip4));
		check_udp(&p, lt, 0);
		static const uint8_t cisco90[] = {0xaa, 0xaa, 0x03, 0, 0, 0xf8,
		                                  0x08, 0x00};
		llc_frame(&p, lt, 0x57, cisco90, sizeof(cisco90));
		check_udp(&p, lt, 0);
		static const uint8_t bits[] = {0xab, 0xab, 0x03, 0, 0, 0, 0x08, 0};
		llc_frame(&p, lt, 0x50, bits, sizeof(bits));
		check_udp(&p, lt, 0);
		/* the IP SAP (RFC 948): IPv4 with no type field */
		static const uint8_t sap_ip[] = {0x06, 0x06, 0x03};
		llc_frame(&p, lt, 0x50, sap_ip, sizeof(sap_ip));
		check_udp(&p, lt, 0);
		/* an 802.1Q tag inside SNAP */
		static const uint8_t tag[] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x00,
		                              0x00, 0x2a, 0x08, 0x00};
		llc_frame(&p, lt, 0x50, tag, sizeof(tag));
		check_udp(&p, lt, 42);
		/* IPv6 */
		memset(&p, 0, sizeof(p));
		size_t len = 0;
		if (lt == DLT_T_FDDI)
			pb_fddi(&p, 0x50);
		else
			len = pb_8023(&p);
		pb_snap(&p, 0, 0x86dd);
		pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
		if (lt != DLT_T_FDDI)
			pb_8023_end(&p, len);
		reset_anomalies(&d);
		assert_true(decp(&d, lt, &p, &pk));
		assert_int_equal(pk.family, 6);
		assert_int_equal(pk.dport, 53);
		assert_int_equal(an_total(&d), 0);
	}
}

static void test_llc_non_ip(void **state)
{
	static const uint8_t other[][8] = {
		{0x42, 0x42, 0x03},                    /* spanning tree */
		{0xf0, 0xf0, 0x03},                    /* NetBIOS */
		{0xe0, 0xe0, 0x03},                    /* IPX */
		{0xfe, 0xfe, 0x03},                    /* ISO CLNS */
		{0xff, 0xff, 0x00},                    /* Novell raw 802.3 */
		{0x06, 0x06, 0x00},                    /* IP SAP, I-frame */
		{0x06, 0x42, 0x03},                    /* IP SAP one way only */
		{0xaa, 0xaa, 0x13},                    /* SNAP SAPs, not UI */
		{0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0}, /* CDP */
		{0xaa, 0xaa, 0x03, 0, 0x80, 0xc2, 0, 7}, /* 802.1 bridged */
		{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06}, /* ARP */
	};
	static const int lts[] = {DLT_T_EN10MB, DLT_T_FDDI};
	struct pb p;
	(void)state;
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
			llc_frame(&p, lts[i], 0x50, other[k],
			          other[k][0] == 0xaa && other[k][2] == 3 ? 8 : 3);
			check_fail(&p, lts[i], CAP_AN_NON_IP);
		}
}

/* The 802.3 length field, checked both ways. */
static void test_8023_length(void **state)
{
	struct pb p;
	(void)state;
	llc_frame(&p, DLT_T_EN10MB, 0, snap_ip4, sizeof(snap_ip4));
	/* shorter than an LLC header */
	for (unsigned len = 0; len < 3; len++) {
		pb_put16(&p, 12, len);
		check_fail(&p, DLT_T_EN10MB, CAP_AN_BAD_LINK_HLEN);
	}
	/* longer than the frame (by one) */
	pb_put16(&p, 12, (unsigned)(p.n - 14 + 1));
	check_fail(&p, DLT_T_EN10MB, CAP_AN_BAD_LINK_HLEN);
	/* an LLC header, but too short for the SNAP header */
	for (unsigned len = 3; len < 8; len++) {
		pb_put16(&p, 12, len);
		check_fail(&p, DLT_T_EN10MB, CAP_AN_BAD_LINK_HLEN);
	}
	/* SNAP, but shorter than the IP datagram: the IP layer says so */
	pb_put16(&p, 12, (unsigned)(p.n - 14 - 1));
	check_fail(&p, DLT_T_EN10MB, CAP_AN_BAD_IP4_TOTLEN);
	/* exact, and with padding after the LLC PDU (a minimum-size frame
	 * or a kept FCS): the padding is not the datagram's */
	pb_put16(&p, 12, (unsigned)(p.n - 14));
	check_udp(&p, DLT_T_EN10MB, 0);
	pb_fill(&p, 0xee, 12);
	check_udp(&p, DLT_T_EN10MB, 0);
	/* 1501-1535: neither a length nor a type */
	pb_put16(&p, 12, 1501);
	check_fail(&p, DLT_T_EN10MB, CAP_AN_NON_IP);
}

static void test_fddi(void **state)
{
	struct pb p;
	(void)state;
	/* asynchronous LLC frames at each priority */
	for (unsigned fc = 0x50; fc <= 0x57; fc++) {
		llc_frame(&p, DLT_T_FDDI, fc, snap_ip4, sizeof(snap_ip4));
		check_udp(&p, DLT_T_FDDI, 0);
	}
	/* SMT, MAC, tokens, implementer, reserved, synchronous: not decoded */
	static const unsigned other[] = {0x41, 0x4f, 0xc1, 0xc2, 0x80, 0xc0,
	                                 0x60, 0x70, 0xd0, 0x58};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		llc_frame(&p, DLT_T_FDDI, other[i], snap_ip4, sizeof(snap_ip4));
		check_fail(&p, DLT_T_FDDI, CAP_AN_NON_IP);
	}
}

/* Every cut: inside FDDI/802.3 + LLC + SNAP trunc_link, then trunc_ip4,
 * trunc_udp, then a kept packet cut by the snaplen. A frame that ends on
 * the wire inside its FDDI or LLC header: bad_link_hlen (Ethernet's own
 * 14 bytes are trunc_link, as cap_dec_eth always counted them). */
static void test_llc_cuts(void **state)
{
	static const uint8_t sap_ip[] = {0x06, 0x06, 0x03};
	struct pb p;
	struct cap_packet pk;
	(void)state;
	for (int fddi = 0; fddi < 2; fddi++) {
		int lt = fddi ? DLT_T_FDDI : DLT_T_EN10MB;
		size_t l2 = fddi ? 13 : 14;
		for (int snap = 0; snap < 2; snap++) {
			size_t l = l2 + (snap ? 8 : 3);
			const struct cut_step steps[] = {
				{l, CAP_AN_TRUNC_LINK},
				{l + 20, CAP_AN_TRUNC_IP4},
				{l + 28, CAP_AN_TRUNC_UDP},
			};
			llc_frame(&p, lt, 0x50, snap ? snap_ip4 : sap_ip,
			          snap ? 8 : 3);
			check_cuts(&d, lt, &p, steps, 3);
			if (fddi)
				check_short(&d, lt, &p, 0, l, CAP_AN_BAD_LINK_HLEN);
			else
				check_short(&d, lt, &p, 0, 14, CAP_AN_TRUNC_LINK);
		}
	}
	/* an 802.3 frame that ends inside its LLC header: the length field
	 * says more than the frame has */
	llc_frame(&p, DLT_T_EN10MB, 0, snap_ip4, sizeof(snap_ip4));
	for (size_t n = 14; n < 22; n++) {
		reset_anomalies(&d);
		assert_false(dec_cut(&d, DLT_T_EN10MB, p.b, n, n, &pk));
		assert_only_anomaly(&d, CAP_AN_BAD_LINK_HLEN);
	}
}

/* 802.1D_spanning_tree.pcap packet 1: 802.3, length 38, LLC 42 42 03,
 * STP configuration BPDU. */
static const uint8_t real_stp[] = {
	0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0xea, 0xb8, 0x85,
	0x00, 0x26, 0x42, 0x42, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01,
	0x00, 0x19, 0x06, 0xea, 0xb8, 0x80, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01,
	0x00, 0x19, 0x06, 0xea, 0xb8, 0x80, 0x80, 0x05, 0x00, 0x00, 0x14, 0x00,
	0x02, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_real_frames(void **state)
{
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_false(dec(&d, DLT_T_EN10MB, real_stp, sizeof(real_stp), &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
}

static void test_supported(void **state)
{
	(void)state;
	assert_true(cap_linktype_supported(DLT_T_FDDI));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snap),
		cmocka_unit_test(test_llc_non_ip),
		cmocka_unit_test(test_8023_length),
		cmocka_unit_test(test_fddi),
		cmocka_unit_test(test_llc_cuts),
		cmocka_unit_test(test_real_frames),
		cmocka_unit_test(test_supported),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
