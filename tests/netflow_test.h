/*
 * netflow_test.h -- helpers for the NetFlow/IPFIX decoder tests: a test-only
 * pairer that records every struct cap_record it is handed (the library's
 * cap_pairer_add_ahead is not linked: this program defines it, and
 * netflow.c calls nothing else of the pairer), and a builder of export datagrams,
 * field by field, with set and message lengths patched at the end.
 *
 * Every datagram is fed from a heap copy of exactly its length, so that
 * the sanitizer build (test-san) sees a read one byte past it.
 */
#ifndef PORTAUDIT_TESTS_NETFLOW_TEST_H
#define PORTAUDIT_TESTS_NETFLOW_TEST_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "capture/records.h"
#include "tests/harness.h"

/* ---- the pairer stand-in ------------------------------------------------ */

#define NT_MAXREC 8192
static struct cap_record nt_recs[NT_MAXREC];
static unsigned nt_nrecs;

void cap_pairer_add_ahead(struct cap_pairer *p, const struct cap_record *r,
                          uint64_t now_ns)
{
	(void)p;
	assert_true(now_ns == 0); /* the collector ticks by the wall clock */
	assert_true(nt_nrecs < NT_MAXREC);
	nt_recs[nt_nrecs++] = *r;
}

/* A pairer pointer for cap_netflow_new: never dereferenced. */
static struct cap_pairer *nt_pairer(void)
{
	static int dummy;
	return (struct cap_pairer *)(void *)&dummy;
}

/* ---- datagrams ---------------------------------------------------------- */

struct nb {
	uint8_t b[70000];
	size_t n;
};

static inline void nb_u8(struct nb *p, unsigned v)
{
	assert_true(p->n < sizeof(p->b));
	p->b[p->n++] = (uint8_t)v;
}
static inline void nb_be16(struct nb *p, unsigned v)
{
	nb_u8(p, (v >> 8) & 0xff);
	nb_u8(p, v & 0xff);
}
static inline void nb_be32(struct nb *p, uint32_t v)
{
	nb_be16(p, v >> 16);
	nb_be16(p, v & 0xffff);
}
static inline void nb_be64(struct nb *p, uint64_t v)
{
	nb_be32(p, (uint32_t)(v >> 32));
	nb_be32(p, (uint32_t)v);
}
static inline void nb_raw(struct nb *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}
static inline void nb_fill(struct nb *p, unsigned v, size_t n)
{
	while (n--)
		nb_u8(p, v);
}
static inline void nb_put16(struct nb *p, size_t off, size_t v)
{
	assert_true(v <= 0xffff);
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}
static inline void nb_addr(struct nb *p, const char *s)
{
	uint8_t a[16];
	int v6 = strchr(s, ':') != NULL;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, s, a), 1);
	nb_raw(p, a, v6 ? 16 : 4);
}

/* NetFlow v5: header (24 bytes), then 48-byte records. */
static inline void v5_hdr(struct nb *p, unsigned count, uint32_t uptime,
                          uint32_t secs, uint32_t nsecs, uint32_t seq,
                          unsigned engine_type, unsigned engine_id,
                          unsigned sampling)
{
	nb_be16(p, 5);
	nb_be16(p, count);
	nb_be32(p, uptime);
	nb_be32(p, secs);
	nb_be32(p, nsecs);
	nb_be32(p, seq);
	nb_u8(p, engine_type);
	nb_u8(p, engine_id);
	nb_be16(p, sampling);
}
static inline void v5_rec(struct nb *p, const char *src, const char *dst,
                          unsigned sport, unsigned dport, unsigned proto,
                          unsigned flags, uint32_t pkts, uint32_t bytes,
                          uint32_t first, uint32_t last)
{
	nb_addr(p, src);
	nb_addr(p, dst);
	nb_addr(p, "10.255.255.254"); /* next hop */
	nb_be16(p, 3);                /* input, output */
	nb_be16(p, 4);
	nb_be32(p, pkts);
	nb_be32(p, bytes);
	nb_be32(p, first);
	nb_be32(p, last);
	nb_be16(p, sport);
	nb_be16(p, dport);
	nb_u8(p, 0);
	nb_u8(p, flags);
	nb_u8(p, proto);
	nb_u8(p, 0);      /* tos */
	nb_be16(p, 65001); /* src, dst AS */
	nb_be16(p, 65002);
	nb_u8(p, 24);     /* masks */
	nb_u8(p, 16);
	nb_be16(p, 0);
}

/* NetFlow v9 header (20 bytes). */
static inline void v9_hdr(struct nb *p, unsigned count, uint32_t uptime,
                          uint32_t secs, uint32_t seq, uint32_t source_id)
{
	nb_be16(p, 9);
	nb_be16(p, count);
	nb_be32(p, uptime);
	nb_be32(p, secs);
	nb_be32(p, seq);
	nb_be32(p, source_id);
}

/* IPFIX header (16 bytes); ipfix_end() patches the length. */
static inline void ipfix_hdr(struct nb *p, uint32_t secs, uint32_t seq,
                             uint32_t odid)
{
	nb_be16(p, 10);
	nb_be16(p, 0);
	nb_be32(p, secs);
	nb_be32(p, seq);
	nb_be32(p, odid);
}
static inline void ipfix_end(struct nb *p)
{
	nb_put16(p, 2, p->n);
}

/* A set (flowset): its header now, its length at set_end(). */
static inline size_t set_begin(struct nb *p, unsigned id)
{
	size_t at = p->n;
	nb_be16(p, id);
	nb_be16(p, 0);
	return at;
}
static inline void set_end(struct nb *p, size_t at)
{
	nb_put16(p, at + 2, p->n - at);
}
/* Pad the set to a multiple of 4 bytes, as exporters do. */
static inline void set_pad_end(struct nb *p, size_t at)
{
	while ((p->n - at) % 4)
		nb_u8(p, 0);
	set_end(p, at);
}

/* A field specifier; pen != 0 sets the enterprise bit (IPFIX). */
struct fs {
	uint16_t ie, len;
	uint32_t pen;
};
#define NT_VARLEN 0xffff
#define NT_PEN_REV 29305u

static inline void nb_fields(struct nb *p, const struct fs *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		nb_be16(p, f[i].pen ? (f[i].ie | 0x8000u) : f[i].ie);
		nb_be16(p, f[i].len);
		if (f[i].pen)
			nb_be32(p, f[i].pen);
	}
}
/* A template record (v9 or IPFIX). */
static inline void tmpl_rec(struct nb *p, unsigned id, const struct fs *f,
                            size_t n)
{
	nb_be16(p, id);
	nb_be16(p, (unsigned)n);
	nb_fields(p, f, n);
}
/* An IPFIX options template record: the first `scope` fields are scope. */
static inline void opt_tmpl_rec(struct nb *p, unsigned id, const struct fs *f,
                                size_t n, unsigned scope)
{
	nb_be16(p, id);
	nb_be16(p, (unsigned)n);
	nb_be16(p, scope);
	nb_fields(p, f, n);
}
#define NFS(a) (a), (sizeof(a) / sizeof((a)[0]))

/* ---- feeding ------------------------------------------------------------ */

static struct cap_rec_stats nt_rs;

static inline void nt_feed_n(struct cap_netflow *nf, const char *from,
                             const uint8_t *b, size_t n)
{
	uint8_t a[16];
	memset(a, 0, sizeof a);
	int v6 = strchr(from, ':') != NULL;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, from, a), 1);
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, b, n);
	cap_netflow_datagram(nf, v6 ? 6 : 4, a, 2055, copy, n,
	                     1700000000ull * 1000000000ull);
	free(copy);
}
static inline void nt_feed(struct cap_netflow *nf, const char *from,
                           const struct nb *p)
{
	nt_feed_n(nf, from, p->b, p->n);
}

static inline void nt_reset(void)
{
	memset(&nt_rs, 0, sizeof nt_rs);
	nt_nrecs = 0;
}

static inline void assert_addr_is(uint8_t family, const uint8_t *addr,
                                  const char *text)
{
	uint8_t a[16];
	memset(a, 0, sizeof a);
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, text, a),
	                 1);
	if (memcmp(a, addr, 16) != 0) {
		char buf[64];
		inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, sizeof buf);
		fail_msg("address %s, expected %s", buf, text);
	}
}

#endif
