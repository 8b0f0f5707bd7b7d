/*
 * decode_test.h -- packet building and checking helpers for the decoder tests.
 *
 * Packets are byte arrays built field by field (struct pb), with the IP,
 * IPv6 and UDP length fields patched once the payload is in, so that a test
 * states only what it is about. A few real frames copied from tcpdump's
 * test captures (../shared/corpus/) sit beside them, with the fields
 * tshark shows for them, so that the decoders are not only checked against
 * packets built by the same hands.
 */
#ifndef PORTAUDIT_TESTS_DECODE_TEST_H
#define PORTAUDIT_TESTS_DECODE_TEST_H

#include <arpa/inet.h>
#include <string.h>

#include "capture/decode.h"
#include "tests/harness.h"

#define DLT_T_NULL 0
#define DLT_T_EN10MB 1
#define DLT_T_RAW 12
#define DLT_T_RAW_OPENBSD 14
#define DLT_T_LINKTYPE_RAW 101
#define DLT_T_LOOP 108
#define DLT_T_SLL 113
#define DLT_T_IPV4 228
#define DLT_T_IPV6 229
#define DLT_T_SLL2 276

struct pb {
	uint8_t b[4096];
	size_t n;
};

static inline void pb_u8(struct pb *p, unsigned v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = (uint8_t)v;
}
static inline void pb_be16(struct pb *p, unsigned v)
{
	pb_u8(p, v >> 8);
	pb_u8(p, v & 0xff);
}
static inline void pb_be32(struct pb *p, uint32_t v)
{
	pb_be16(p, v >> 16);
	pb_be16(p, v & 0xffff);
}
static inline void pb_le16(struct pb *p, unsigned v)
{
	pb_u8(p, v & 0xff);
	pb_u8(p, v >> 8);
}
static inline void pb_le32(struct pb *p, uint32_t v)
{
	pb_le16(p, v & 0xffff);
	pb_le16(p, v >> 16);
}
static inline void pb_raw(struct pb *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}
static inline void pb_fill(struct pb *p, unsigned v, size_t n)
{
	while (n--)
		pb_u8(p, v);
}
static inline void pb_put16(struct pb *p, size_t off, unsigned v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}
static inline void pb_addr(struct pb *p, int family, const char *s)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, s, a), 1);
	pb_raw(p, a, family == 4 ? 4 : 16);
}

/* Ethernet II header with the given EtherType. */
static inline void pb_eth(struct pb *p, unsigned type)
{
	static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	                                 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
	pb_raw(p, macs, sizeof(macs));
	pb_be16(p, type);
}
static inline void pb_vlan(struct pb *p, unsigned tci, unsigned type)
{
	pb_be16(p, tci);
	pb_be16(p, type);
}

/* IPv4 header without options; total length patched by pb_ip4_end. */
static inline size_t pb_ip4f(struct pb *p, unsigned proto, const char *src,
                             const char *dst, unsigned id, unsigned frag)
{
	size_t off = p->n;
	pb_u8(p, 0x45);
	pb_u8(p, 0);
	pb_be16(p, 0);
	pb_be16(p, id);
	pb_be16(p, frag);
	pb_u8(p, 64);
	pb_u8(p, proto);
	pb_be16(p, 0);
	pb_addr(p, 4, src);
	pb_addr(p, 4, dst);
	return off;
}
static inline size_t pb_ip4(struct pb *p, unsigned proto, const char *src,
                            const char *dst)
{
	return pb_ip4f(p, proto, src, dst, 0x1234, 0x4000);
}
static inline void pb_ip4_end(struct pb *p, size_t off)
{
	pb_put16(p, off + 2, (unsigned)(p->n - off));
}

static inline size_t pb_ip6(struct pb *p, unsigned nh, const char *src,
                            const char *dst)
{
	size_t off = p->n;
	pb_be32(p, 0x60000000u);
	pb_be16(p, 0);
	pb_u8(p, nh);
	pb_u8(p, 64);
	pb_addr(p, 6, src);
	pb_addr(p, 6, dst);
	return off;
}
static inline void pb_ip6_end(struct pb *p, size_t off)
{
	pb_put16(p, off + 4, (unsigned)(p->n - off - 40));
}

static inline size_t pb_tcp(struct pb *p, unsigned sport, unsigned dport,
                            unsigned flags)
{
	size_t off = p->n;
	pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be32(p, 1000);
	pb_be32(p, flags & CAP_TH_ACK ? 2000 : 0);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_be16(p, 65535);
	pb_be16(p, 0);
	pb_be16(p, 0);
	return off;
}
static inline size_t pb_udp(struct pb *p, unsigned sport, unsigned dport)
{
	size_t off = p->n;
	pb_be16(p, sport);
	pb_be16(p, dport);
	pb_be16(p, 0);
	pb_be16(p, 0);
	return off;
}
static inline void pb_udp_end(struct pb *p, size_t off)
{
	pb_put16(p, off + 4, (unsigned)(p->n - off));
}
static inline void pb_icmp(struct pb *p, unsigned type, unsigned code,
                           unsigned id, unsigned seq)
{
	pb_u8(p, type);
	pb_u8(p, code);
	pb_be16(p, 0);
	pb_be16(p, id);
	pb_be16(p, seq);
}

/* Ethernet + IPv4 + TCP with `plen` payload bytes. */
static inline void pb_eth_tcp4(struct pb *p, const char *src, const char *dst,
                               unsigned sport, unsigned dport, unsigned flags,
                               size_t plen)
{
	size_t ip;
	pb_eth(p, 0x0800);
	ip = pb_ip4(p, 6, src, dst);
	pb_tcp(p, sport, dport, flags);
	pb_fill(p, 0x61, plen);
	pb_ip4_end(p, ip);
}

static inline bool dec(struct cap_decoder *d, int lt, const uint8_t *b,
                       size_t n, struct cap_packet *pk)
{
	return cap_decode(d, lt, b, (uint32_t)n, (uint32_t)n, 1000000000u, pk);
}
static inline bool decp(struct cap_decoder *d, int lt, const struct pb *p,
                        struct cap_packet *pk)
{
	return dec(d, lt, p->b, p->n, pk);
}

static inline uint64_t an_total(const struct cap_decoder *d)
{
	uint64_t t = 0;
	for (int i = 0; i < CAP_AN_COUNT; i++)
		t += d->anomalies[i];
	return t;
}
/* Exactly one anomaly counted so far, and it is `a`. */
static inline void assert_only_anomaly(const struct cap_decoder *d,
                                       enum cap_anomaly a)
{
	if (an_total(d) != 1 || d->anomalies[a] != 1) {
		for (int i = 0; i < CAP_AN_COUNT; i++)
			if (d->anomalies[i])
				print_error("counted %s=%llu\n",
				            cap_anomaly_name((enum cap_anomaly)i),
				            (unsigned long long)d->anomalies[i]);
		fail_msg("expected only %s", cap_anomaly_name(a));
	}
}
static inline void reset_anomalies(struct cap_decoder *d)
{
	memset(d->anomalies, 0, sizeof(d->anomalies));
}

static inline void assert_addr(uint8_t family, const uint8_t *addr,
                               const char *want)
{
	char buf[64];
	cap_addr_format(family, addr, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static inline bool is_trunc_anomaly(int a)
{
	switch (a) {
	case CAP_AN_TRUNC_LINK:
	case CAP_AN_TRUNC_IP4:
	case CAP_AN_TRUNC_IP6:
	case CAP_AN_IP6_EXT_TRUNC:
	case CAP_AN_TRUNC_TCP:
	case CAP_AN_TRUNC_UDP:
	case CAP_AN_TRUNC_ICMP:
	case CAP_AN_ICMP_QUOTE_TRUNC:
	case CAP_AN_SNAPLEN_CUT:
		return true;
	default:
		return false;
	}
}

/* Real frames from tcpdump's test captures (fields as tshark shows them). */

/* dns-badcookie.pcap packet 1, DLT_NULL: 127.0.0.1:54954 -> 127.0.0.1:53,
 * UDP length 48. */
static const uint8_t real_null_udp[] = {
	0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x44, 0x00, 0x0f, 0x00, 0x00,
	0x40, 0x11, 0x00, 0x00, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
	0xd6, 0xaa, 0x00, 0x35, 0x00, 0x30, 0xfe, 0x43, 0xf6, 0xab, 0x01, 0x20,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06, 0x00,
	0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
	0x00, 0x0a, 0x00, 0x08, 0x36, 0xbf, 0x11, 0x1f, 0xef, 0x2e, 0x01, 0x09,
};
/* RADIUS-RFC4675.pcap packet 1, Linux SLL: 127.0.0.1:53334 -> 127.0.0.1:1812,
 * UDP length 88. */
static const uint8_t real_sll_udp[] = {
	0x00, 0x00, 0x03, 0x04, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x6c, 0x51, 0x54, 0x00, 0x00,
	0x40, 0x11, 0x2b, 0x2b, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
	0xd0, 0x56, 0x07, 0x14, 0x00, 0x58, 0xfe, 0x6b, 0x01, 0x46, 0x00, 0x50,
	0xf4, 0x47, 0x57, 0xbc, 0x49, 0x8c, 0x33, 0x93, 0x76, 0x3a, 0x27, 0xd0,
	0xb2, 0x39, 0x37, 0x02, 0x01, 0x0c, 0x62, 0x6f, 0x62, 0x2d, 0x74, 0x61,
	0x67, 0x67, 0x65, 0x64, 0x02, 0x12, 0xa3, 0x0e, 0x22, 0xb0, 0x36, 0x9e,
	0x89, 0xf8, 0x9e, 0xb6, 0xe0, 0x61, 0x2c, 0x2c, 0x3c, 0x23, 0x04, 0x06,
	0x7f, 0x00, 0x00, 0x01, 0x05, 0x06, 0x00, 0x00, 0x00, 0x01, 0x50, 0x12,
	0xff, 0xb1, 0x9e, 0x8e, 0xa9, 0x62, 0x0a, 0xec, 0x37, 0x2d, 0x7f, 0xa3,
	0xb2, 0xc7, 0x62, 0x87,
};
/* bfd_source_port_49152.pcap packet 1, Ethernet + 802.1Q VLAN 11:
 * 11.11.11.2:49152 -> 11.11.11.1:3784, UDP length 32. */
static const uint8_t real_vlan_udp[] = {
	0xe4, 0x6d, 0x7f, 0x54, 0xb9, 0x08, 0x94, 0x43, 0x4d, 0xc0, 0x17, 0x85,
	0x81, 0x00, 0xe0, 0x0b, 0x08, 0x00, 0x45, 0xe0, 0x00, 0x34, 0x9d, 0x41,
	0x40, 0x00, 0xff, 0x11, 0xb1, 0x7e, 0x0b, 0x0b, 0x0b, 0x02, 0x0b, 0x0b,
	0x0b, 0x01, 0xc0, 0x00, 0x0e, 0xc8, 0x00, 0x20, 0x00, 0x00, 0x20, 0xc8,
	0x03, 0x18, 0x80, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, 0x00, 0x00, 0x00, 0x00,
};
/* LINKTYPE_IPV6.pcap packet 1 (LINKTYPE_IPV6):
 * [2001:db8::1]:12345 -> [2620:fe::9]:53, UDP length 37. */
static const uint8_t real_ipv6_udp[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x26, 0x20, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x09, 0x30, 0x39, 0x00, 0x35, 0x00, 0x25, 0x98, 0xb3,
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	0x00, 0x00, 0x01, 0x00, 0x01,
};

#ifdef DECODE_TEST_DECODER
/* The decoder the tests of a file share, made by the group's setup and
 * freed by its teardown; a file asks for it by defining
 * DECODE_TEST_DECODER (its fragment-table slots) before this header. */
static struct cap_decoder d;

static int setup(void **state)
{
	(void)state;
	return cap_decoder_init(&d, DECODE_TEST_DECODER);
}

static int teardown(void **state)
{
	(void)state;
	cap_decoder_free(&d);
	return 0;
}
#endif

#endif
