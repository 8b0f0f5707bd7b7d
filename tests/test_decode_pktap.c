/*
 * test_decode_pktap.c -- Apple PKTAP (LINKTYPE_PKTAP 258, DLT_USER2 149):
 * the header's length checked both ways, the record type, and the frame of
 * the DLT it names handed to that link type's decoder (Ethernet, BSD null,
 * raw IP, 802.11), with the outer frame's wire length kept; PKTAP and PPI
 * inside not decoded; every cut length; the real frames of the corpus.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/cut_sweep.h"

#define LT_PKTAP 258
#define LT_USER2 149
#define PKTAP_LEN 108u

/* The PKTAP header (108 bytes unless hlen says more), little-endian. */
static void pktap(struct pb *p, uint32_t hlen, uint32_t rectype, uint32_t dlt)
{
	size_t start = p->n;
	pb_le32(p, hlen);
	pb_le32(p, rectype);
	pb_le32(p, dlt);
	pb_raw(p, "en0", 3);                 /* interface name, 24 bytes */
	pb_fill(p, 0, 21);
	pb_le32(p, 2);                       /* flags */
	pb_le32(p, 2);                       /* protocol family */
	pb_le32(p, 14);                      /* link-layer header length */
	pb_le32(p, 0);                       /* trailer length */
	pb_le32(p, 512);                     /* pid */
	pb_fill(p, 0, hlen - (p->n - start)); /* the rest */
}
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
	assert_addr(4, pk.src, "1.1.1.1");
	assert_addr(4, pk.dst, "2.2.2.2");
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.dport, 2000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(pk.wirelen, p->n); /* the record's, not the inner */
	assert_int_equal(an_total(&d), 0);
}
static void check_counted(const struct pb *p, int lt, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, lt, p, &pk));
	assert_only_anomaly(&d, a);
}
/* Cuts of "PKTAP (hlen), link header (link), IPv4/UDP (32)". */
static void sweep(const char *name, int lt, const struct pb *p, size_t hlen,
                  size_t link)
{
	size_t ip = hlen + link;
	const struct cut cuts[] = {
		/* raw IP: the version nibble is the link layer's to read */
		{link ? ip : ip + 1, CAP_AN_TRUNC_LINK},
		{ip + 20, CAP_AN_TRUNC_IP4},
		{ip + 28, CAP_AN_TRUNC_UDP},
		{ip + 32, CUT_SNAP},
		{ip + 33, CUT_OK},
	};
	assert_int_equal(p->n, ip + 32);
	sweep_cuts(&d, name, lt, p, cuts, 5);
}

static void test_inner_links(void **state)
{
	struct pb p;
	(void)state;
	for (int lt = 0; lt < 2; lt++) {
		int outer = lt ? LT_USER2 : LT_PKTAP;
		/* Ethernet */
		memset(&p, 0, sizeof(p));
		pktap(&p, PKTAP_LEN, 1, 1);
		pb_eth(&p, 0x0800);
		ip_udp(&p);
		check_udp(&p, outer);
		sweep("pktap ethernet", outer, &p, PKTAP_LEN, 14);
		/* BSD null (utun, lo0) */
		memset(&p, 0, sizeof(p));
		pktap(&p, PKTAP_LEN, 1, 0);
		pb_le32(&p, 2);
		ip_udp(&p);
		check_udp(&p, outer);
		sweep("pktap null", outer, &p, PKTAP_LEN, 4);
		/* raw IP, after a longer header than today's */
		memset(&p, 0, sizeof(p));
		pktap(&p, PKTAP_LEN + 20, 1, 12);
		ip_udp(&p);
		check_udp(&p, outer);
		sweep("pktap raw, long header", outer, &p, PKTAP_LEN + 20, 0);
	}
	/* 802.11 (an AirPort capture): a data frame with SNAP */
	memset(&p, 0, sizeof(p));
	pktap(&p, PKTAP_LEN, 1, 105);
	pb_u8(&p, 0x08);
	pb_u8(&p, 0x01);
	pb_fill(&p, 0, 22);
	pb_raw(&p, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	ip_udp(&p);
	check_udp(&p, LT_PKTAP);
	sweep("pktap 802.11", LT_PKTAP, &p, PKTAP_LEN, 24 + 8);
}

static void test_counted(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	pktap(&p, PKTAP_LEN, 1, 1);
	pb_eth(&p, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_PKTAP);
	/* record type 0 (no packet), and an unknown one */
	p.b[4] = 0;
	check_counted(&p, LT_PKTAP, CAP_AN_NON_IP);
	p.b[4] = 2;
	check_counted(&p, LT_PKTAP, CAP_AN_NON_IP);
	p.b[4] = 1;
	/* PKTAP or PPI inside, a DLT nobody decodes, a DLT beyond 16 bits */
	static const uint32_t inner[] = {258, 149, 192, 147, 0x10001};
	for (size_t i = 0; i < sizeof(inner) / sizeof(inner[0]); i++) {
		p.b[8] = (uint8_t)inner[i];
		p.b[9] = (uint8_t)(inner[i] >> 8);
		p.b[10] = (uint8_t)(inner[i] >> 16);
		check_counted(&p, LT_PKTAP, CAP_AN_NON_IP);
	}
	memset(p.b + 8, 0, 4);
	p.b[8] = 1;
	check_udp(&p, LT_PKTAP);
	/* the header length: 0, one short, past the wire; a cut within it */
	static const uint32_t bad[] = {0, 12, PKTAP_LEN - 1};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.b[0] = (uint8_t)bad[i];
		check_counted(&p, LT_PKTAP, CAP_AN_BAD_LINK_HLEN);
	}
	p.b[0] = (uint8_t)(p.n + 1);
	check_counted(&p, LT_PKTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[3] = 0x80;
	check_counted(&p, LT_PKTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[3] = 0;
	p.b[0] = (uint8_t)p.n; /* all header: the Ethernet frame is empty */
	check_counted(&p, LT_PKTAP, CAP_AN_TRUNC_LINK);
	p.b[0] = PKTAP_LEN;
	reset_anomalies(&d);
	assert_false(cap_decode(&d, LT_PKTAP, p.b, 60, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

/* LINKTYPE_PKTAP.pcap packet 1: PKTAP (108 bytes, DLT 1, en0), Ethernet,
 * 10.32.4.27:63538 -> 10.32.100.15:53, UDP length 40.
 * LINKTYPE_USER2_PKTAP.pcap holds the same frame under DLT 149. */
static const uint8_t real_pktap_udp[] = {
	0x6c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x65, 0x6e, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x1e, 0x49, 0x1f, 0xf2, 0xc4, 0x70, 0x73, 0xcb, 0x0b, 0x26, 0x2a,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x2e, 0x03, 0x00, 0x00, 0xff, 0x11,
	0x11, 0x44, 0x0a, 0x20, 0x04, 0x1b, 0x0a, 0x20, 0x64, 0x0f, 0xf8, 0x32,
	0x00, 0x35, 0x00, 0x28, 0x48, 0x14, 0x43, 0x01, 0x01, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x69, 0x6e, 0x01, 0x6d, 0x05,
	0x79, 0x61, 0x68, 0x6f, 0x6f, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01,
	0x00, 0x01,
};

static void test_real_frame(void **state)
{
	struct cap_packet pk;
	struct pb p = {0};
	(void)state;
	for (int lt = 0; lt < 2; lt++) {
		reset_anomalies(&d);
		assert_true(dec(&d, lt ? LT_USER2 : LT_PKTAP, real_pktap_udp,
		                sizeof(real_pktap_udp), &pk));
		assert_addr(4, pk.src, "10.32.4.27");
		assert_addr(4, pk.dst, "10.32.100.15");
		assert_int_equal(pk.sport, 63538);
		assert_int_equal(pk.dport, 53);
		assert_int_equal(pk.payload_len, 40 - 8);
		assert_int_equal(pk.wirelen, sizeof(real_pktap_udp));
		assert_int_equal(an_total(&d), 0);
	}
	pb_raw(&p, real_pktap_udp, sizeof(real_pktap_udp));
	const struct cut cuts[] = {
		{108 + 14, CAP_AN_TRUNC_LINK},
		{108 + 14 + 20, CAP_AN_TRUNC_IP4},
		{108 + 14 + 28, CAP_AN_TRUNC_UDP},
		{108 + 14 + 60, CUT_SNAP},
		{108 + 14 + 61, CUT_OK},
	};
	assert_int_equal(sizeof(real_pktap_udp), 108 + 14 + 60);
	sweep_cuts(&d, "real pktap", LT_PKTAP, &p, cuts, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inner_links),
		cmocka_unit_test(test_counted),
		cmocka_unit_test(test_real_frame),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
