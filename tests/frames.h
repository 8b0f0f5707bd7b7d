/*
 * frames.h -- test frames built byte by byte (Ethernet, IPv4, IPv6, TCP,
 * UDP, ICMP echo and unreachable, ARP) and a pcap writer (pcap_dump with
 * a chosen link type, micro- or nanosecond stamps, optional cut), for the
 * tests that build whole captures (test_capture_run.c, test_replay.c).
 * decode_test.h's builder appends headers for the decoder tests instead.
 */
#ifndef PORTAUDIT_TESTS_FRAMES_H
#define PORTAUDIT_TESTS_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "harness.h"

/* ---- frames ---------------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline void put_addr4(uint8_t *p, uint32_t a)
{
	p[0] = (uint8_t)(a >> 24);
	p[1] = (uint8_t)(a >> 16);
	p[2] = (uint8_t)(a >> 8);
	p[3] = (uint8_t)a;
}

/* IPv4 header at ip; returns its length (20). */
static inline unsigned ip4(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst,
                    unsigned l4len)
{
	ip[0] = 0x45;
	put16(ip + 2, 20 + l4len);
	put16(ip + 4, 7);
	ip[8] = 64;
	ip[9] = proto;
	put_addr4(ip + 12, src);
	put_addr4(ip + 16, dst);
	put16(ip + 10, csum(ip, 20));
	return 20;
}

/* L4 header + payload at l: TCP (20 bytes) or UDP (8). Returns its length. */
static inline unsigned l4(uint8_t *l, uint8_t proto, uint16_t sport, uint16_t dport,
                   uint8_t flags, unsigned pay)
{
	unsigned h = proto == 6 ? 20 : 8;
	put16(l, sport);
	put16(l + 2, dport);
	if (proto == 6) {
		l[12] = 5 << 4;
		l[13] = flags;
		put16(l + 14, 65535);
	} else {
		put16(l + 4, h + pay);
	}
	for (unsigned i = 0; i < pay; i++)
		l[h + i] = (uint8_t)('a' + i % 26);
	return h + pay;
}

static inline unsigned eth(uint8_t *e, unsigned type)
{
	memcpy(e, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(e + 12, type);
	return 14;
}

/* Ethernet + IPv4 + TCP/UDP. */
static inline struct frame mk4(uint8_t proto, uint32_t src, uint16_t sport,
                        uint32_t dst, uint16_t dport, uint8_t flags,
                        unsigned pay)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	unsigned o = eth(f.b, 0x0800);
	unsigned n = l4(f.b + o + 20, proto, sport, dport, flags, pay);
	ip4(f.b + o, proto, src, dst, n);
	f.len = o + 20 + n;
	return f;
}

/* Raw IPv4 (DLT_RAW) + UDP. */
static inline struct frame mkraw(uint32_t src, uint16_t sport, uint32_t dst,
                          uint16_t dport, unsigned pay)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	unsigned n = l4(f.b + 20, 17, sport, dport, 0, pay);
	ip4(f.b, 17, src, dst, n);
	f.len = 20 + n;
	return f;
}

/* Ethernet + IPv4 + ICMP echo request/reply (type 8 / 0). */
static inline struct frame mkecho(uint32_t src, uint32_t dst, uint8_t type,
                           uint16_t id)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	unsigned o = eth(f.b, 0x0800);
	uint8_t *ic = f.b + o + 20;
	ic[0] = type;
	put16(ic + 4, id);
	put16(ic + 6, 1);
	memset(ic + 8, 'x', 16);
	put16(ic + 2, csum(ic, 24));
	ip4(f.b + o, 1, src, dst, 24);
	f.len = o + 20 + 24;
	return f;
}

/* Ethernet + IPv4 ICMP 3/code from `from` to the sender of `orig`, quoting
 * orig's IP header and 8 bytes. */
static inline struct frame mkunreach(uint32_t from, const struct frame *orig,
                              uint8_t code)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	unsigned o = eth(f.b, 0x0800);
	const uint8_t *oip = orig->b + 14;
	uint32_t to = (uint32_t)oip[12] << 24 | (uint32_t)oip[13] << 16 |
	              (uint32_t)oip[14] << 8 | oip[15];
	uint8_t *ic = f.b + o + 20;
	ic[0] = 3;
	ic[1] = code;
	memcpy(ic + 8, oip, 28);
	put16(ic + 2, csum(ic, 36));
	ip4(f.b + o, 1, from, to, 36);
	f.len = o + 20 + 36;
	return f;
}

/* Ethernet + IPv6 + UDP. */
static inline struct frame mk6(const uint8_t *src, uint16_t sport,
                        const uint8_t *dst, uint16_t dport, unsigned pay)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	unsigned o = eth(f.b, 0x86dd);
	uint8_t *ip = f.b + o;
	unsigned n = l4(ip + 40, 17, sport, dport, 0, pay);
	ip[0] = 0x60;
	put16(ip + 4, n);
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	f.len = o + 40 + n;
	return f;
}

static inline struct frame mkarp(void)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	unsigned o = eth(f.b, 0x0806);
	put16(f.b + o, 1);
	put16(f.b + o + 2, 0x0800);
	f.b[o + 4] = 6;
	f.b[o + 5] = 4;
	put16(f.b + o + 6, 1);
	f.len = o + 28;
	return f;
}

#define A 0x0a000001u /* 10.0.0.1 */
#define B 0x0a000002u /* 10.0.0.2 */
#define T0 1767607200ull /* 2026-01-05T10:00:00Z */

/* ---- writing captures ------------------------------------------------------ */

struct writer {
	pcap_t *dead;
	pcap_dumper_t *d;
	bool nano;
};

static inline void w_open(struct writer *w, const char *path, int dlt, bool nano)
{
	w->nano = nano;
	w->dead = pcap_open_dead_with_tstamp_precision(
		dlt, 65535,
		nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	assert_non_null(w->dead);
	w->d = pcap_dump_open(w->dead, path);
	assert_non_null(w->d);
}

/* sub: ns in a nano file, us otherwise; caplen < len cuts the frame. */
static inline void w_put_cut(struct writer *w, const struct frame *f, uint64_t sec,
                      uint32_t sub, uint32_t caplen)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)sec;
	h.ts.tv_usec = (suseconds_t)sub;
	h.caplen = caplen;
	h.len = f->len;
	pcap_dump((u_char *)w->d, &h, f->b);
}

static inline void w_put(struct writer *w, const struct frame *f, uint64_t sec,
                  uint32_t sub)
{
	w_put_cut(w, f, sec, sub, f->len);
}

static inline void w_close(struct writer *w)
{
	pcap_dump_close(w->d);
	pcap_close(w->dead);
}

#endif
