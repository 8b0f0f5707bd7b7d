/*
 * test_decode_nflog.c -- Linux NFLOG (DLT 239): the 4-byte header, TLVs in
 * host order padded to 4 bytes, the payload TLV to IPv4 or IPv6 by the
 * header's family; frames without a payload, other families and versions
 * counted; TLV lengths below 4 or past the frame; every cut length; a real
 * frame from the shared corpus.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/cut_sweep.h"

#define LT_NFLOG 239
#define NFULA_PACKET_HDR 1
#define NFULA_PAYLOAD 9
#define NFULA_PREFIX 10

/* TLV length and type are in the capturing host's order (pcap/nflog.h) */
static void pb_host16(struct pb *p, unsigned v)
{
	uint16_t x = (uint16_t)v;
	pb_raw(p, &x, sizeof(x));
}
static void put_host16(struct pb *p, size_t off, unsigned v)
{
	uint16_t x = (uint16_t)v;
	memcpy(p->b + off, &x, sizeof(x));
}

static void nflog_hdr(struct pb *p, unsigned family)
{
	pb_u8(p, family);
	pb_u8(p, 0);        /* version */
	pb_be16(p, 20);     /* resource id: the nflog group */
}
/* A TLV with n value bytes, padded to 4. */
static void tlv(struct pb *p, unsigned type, const void *val, size_t n)
{
	pb_host16(p, (unsigned)(4 + n));
	pb_host16(p, type);
	pb_raw(p, val, n);
	while (p->n % 4)
		pb_u8(p, 0);
}
/* The attributes the kernel puts before the payload: PACKET_HDR (8 bytes)
 * and a PREFIX of 5 bytes (9, padded to 12). */
static void before_payload(struct pb *p)
{
	static const uint8_t hdr[4] = {0x08, 0x00, 0x01, 0x00};
	tlv(p, NFULA_PACKET_HDR, hdr, sizeof(hdr));
	tlv(p, NFULA_PREFIX, "drop", 5);
}
/* The payload TLV around an IPv4/UDP datagram (32 bytes); returns the
 * offset of its length field. */
static size_t payload_udp(struct pb *p)
{
	size_t at = p->n;
	pb_host16(p, 0);
	pb_host16(p, NFULA_PAYLOAD);
	size_t ip = pb_ip4(p, 17, "1.1.1.1", "2.2.2.2");
	size_t u = pb_udp(p, 1000, 2000);
	pb_fill(p, 9, 4);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
	put_host16(p, at, (unsigned)(p->n - at));
	return at;
}

static void check_udp(const struct pb *p)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_true(decp(&d, LT_NFLOG, p, &pk));
	assert_int_equal(pk.family, 4);
	assert_addr(4, pk.src, "1.1.1.1");
	assert_addr(4, pk.dst, "2.2.2.2");
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.dport, 2000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(an_total(&d), 0);
}
static void check_counted(const struct pb *p, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, LT_NFLOG, p, &pk));
	assert_only_anomaly(&d, a);
}

static void test_ipv4(void **state)
{
	struct pb p = {0};
	(void)state;
	nflog_hdr(&p, 2);
	before_payload(&p);
	assert_int_equal(p.n, 24);
	size_t at = payload_udp(&p);
	check_udp(&p);
	const struct cut cuts[] = {
		{28, CAP_AN_TRUNC_LINK},  /* header, TLVs, the payload's header */
		{48, CAP_AN_TRUNC_IP4},
		{56, CAP_AN_TRUNC_UDP},
		{60, CUT_SNAP},
		{61, CUT_OK},
	};
	sweep_cuts(&d, "nflog ipv4", LT_NFLOG, &p, cuts, 5);
	/* the payload first, and an attribute after it: the TLV's length
	 * bounds the datagram */
	struct pb q = {0};
	nflog_hdr(&q, 2);
	payload_udp(&q);
	tlv(&q, NFULA_PREFIX, "after", 6);
	check_udp(&q);
	put_host16(&q, 4, 4 + 32 - 1); /* one byte short of the IP length */
	check_counted(&q, CAP_AN_BAD_IP4_TOTLEN);
	/* the netlink flag bits of the type are not part of it */
	put_host16(&p, at + 2, 0x4000 | NFULA_PAYLOAD);
	check_udp(&p);
}

static void test_ipv6_and_others(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	nflog_hdr(&p, 10);
	before_payload(&p);
	pb_host16(&p, (unsigned)(4 + sizeof(real_ipv6_udp)));
	pb_host16(&p, NFULA_PAYLOAD);
	pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
	reset_anomalies(&d);
	assert_true(decp(&d, LT_NFLOG, &p, &pk));
	assert_int_equal(pk.family, 6);
	assert_addr(6, pk.dst, "2620:fe::9");
	assert_int_equal(pk.dport, 53);
	assert_int_equal(an_total(&d), 0);
	/* the bridge family (7), and a version this reader does not know */
	p.b[0] = 7;
	check_counted(&p, CAP_AN_NON_IP);
	p.b[0] = 10;
	p.b[1] = 1;
	check_counted(&p, CAP_AN_NON_IP);
	/* AF_INET with an IPv6 packet: the family decides */
	p.b[0] = 2;
	p.b[1] = 0;
	check_counted(&p, CAP_AN_BAD_IP4_VERSION);
	/* no payload TLV: with and without the last TLV's padding */
	memset(&p, 0, sizeof(p));
	nflog_hdr(&p, 2);
	before_payload(&p);
	check_counted(&p, CAP_AN_NON_IP);
	p.n -= 3; /* the prefix's padding is not in the frame */
	check_counted(&p, CAP_AN_NON_IP);
	p.n = 4;
	check_counted(&p, CAP_AN_NON_IP); /* the header alone */
}

static void test_bad_tlv(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	nflog_hdr(&p, 2);
	before_payload(&p);
	payload_udp(&p);
	check_udp(&p);
	/* a TLV length below its own header, 0 included (no endless walk) */
	for (unsigned len = 0; len < 4; len++) {
		put_host16(&p, 12, len);
		check_counted(&p, CAP_AN_BAD_LINK_HLEN);
	}
	/* past the frame, by one and by far, for an attribute and the payload */
	put_host16(&p, 12, (unsigned)(p.n - 12 + 1));
	check_counted(&p, CAP_AN_BAD_LINK_HLEN);
	put_host16(&p, 12, 0xffff);
	check_counted(&p, CAP_AN_BAD_LINK_HLEN);
	put_host16(&p, 12, 9);
	check_udp(&p);
	put_host16(&p, 24, (unsigned)(p.n - 24 + 1));
	check_counted(&p, CAP_AN_BAD_LINK_HLEN);
	put_host16(&p, 24, (unsigned)(p.n - 24));
	check_udp(&p);
	/* within the wire, past the captured bytes: a cut */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, LT_NFLOG, p.b, 14, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
	/* a TLV header cut by the end of the frame on the wire */
	memset(&p, 0, sizeof(p));
	nflog_hdr(&p, 2);
	before_payload(&p);
	pb_u8(&p, 8);
	pb_u8(&p, 0);
	check_counted(&p, CAP_AN_BAD_LINK_HLEN);
}

/* nflog.pcap packet 1 (written on a little-endian host): AF_INET, group
 * 20; PACKET_HDR, PREFIX, IFINDEX_INDEV, HWADDR, HWTYPE, HWLEN, HWHEADER,
 * TIMESTAMP, then PAYLOAD (77 bytes): 74.82.42.42:53 -> 10.0.0.20:42585,
 * UDP length 53. */
static const uint8_t real_nflog_udp[] = {
	0x02, 0x00, 0x00, 0x14, 0x08, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x27,
	0x05, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x08, 0x00, 0x00, 0x06, 0xff, 0xff,
	0xb8, 0xa3, 0x86, 0xb9, 0xc3, 0xd6, 0x00, 0x00, 0x06, 0x00, 0x0f, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x06, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x00, 0x00,
	0x12, 0x00, 0x10, 0x00, 0x08, 0x11, 0x96, 0x1c, 0x10, 0xc8, 0xb8, 0xa3,
	0x86, 0xb9, 0xc3, 0xd6, 0x08, 0x00, 0x00, 0x00, 0x14, 0x00, 0x03, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x52, 0x2a, 0x1f, 0x9e, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x09, 0x60, 0xfc, 0x4d, 0x00, 0x09, 0x00, 0x45, 0x00, 0x00, 0x49,
	0x00, 0x00, 0x40, 0x00, 0x37, 0x11, 0xc5, 0x14, 0x4a, 0x52, 0x2a, 0x2a,
	0x0a, 0x00, 0x00, 0x14, 0x00, 0x35, 0xa6, 0x59, 0x00, 0x35, 0x6d, 0xdf,
	0x43, 0x71, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x2f, 0x96, 0x00, 0x04, 0x5d, 0xb8, 0xd8, 0x77, 0x00, 0x00, 0x00,
};

static void test_real_frame(void **state)
{
	static const uint16_t one = 1;
	struct cap_packet pk;
	struct pb p = {0};
	(void)state;
	if (*(const uint8_t *)&one != 1)
		pa_skip("the real frame's TLVs are little-endian, this host is not");
	reset_anomalies(&d);
	assert_true(dec(&d, LT_NFLOG, real_nflog_udp, sizeof(real_nflog_udp), &pk));
	assert_addr(4, pk.src, "74.82.42.42");
	assert_addr(4, pk.dst, "10.0.0.20");
	assert_int_equal(pk.sport, 53);
	assert_int_equal(pk.dport, 42585);
	assert_int_equal(pk.payload_len, 53 - 8);
	assert_int_equal(an_total(&d), 0);
	pb_raw(&p, real_nflog_udp, sizeof(real_nflog_udp));
	const struct cut cuts[] = {
		{104, CAP_AN_TRUNC_LINK}, /* 4 + eight TLVs (96) + payload's 4 */
		{124, CAP_AN_TRUNC_IP4},
		{132, CAP_AN_TRUNC_UDP},
		{177, CUT_SNAP},          /* the datagram's 73 bytes, 3 of padding */
		{181, CUT_OK},
	};
	assert_int_equal(sizeof(real_nflog_udp), 180);
	sweep_cuts(&d, "real nflog", LT_NFLOG, &p, cuts, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6_and_others),
		cmocka_unit_test(test_bad_tlv),
		cmocka_unit_test(test_real_frame),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
