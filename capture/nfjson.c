/*
 * nfjson.c -- one record of nfdump's JSON output, scanned in place
 * (nfjson.h). Used by nfdump.c; the grammar is JSON's (RFC 8259) with
 * jansson's limits, so that a record jansson's json_loadb() refused is
 * still refused ("not JSON") and one it read still reads the same.
 */
#include "nfjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NF_DEPTH_MAX 2048u /* jansson's JSON_PARSER_MAX_DEPTH: the record
                            * itself is level 1, its values level 2 */

/* Bytes a string runs over without a second look: printable ASCII but
 * '"' and '\\'. Control characters end the fast run (an error), bytes
 * >= 0x80 too (a UTF-8 sequence, checked). */
static const uint8_t plain[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	/* 0x60 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x80 .. 0xff: 0 */
};

const char *const nf_key_names[NF_NKEYS] = {
	"type", "first", "last", "proto",
	"src4_addr", "dst4_addr", "src6_addr", "dst6_addr",
	"src_port", "dst_port", "icmp_type", "icmp_code",
	"in_packets", "in_bytes", "out_packets", "out_bytes",
	"tcp_flags", "src_vlan", "sampled", "export_sysid",
	"ip4_router", "ip6_router",
};

enum { OK = 0, BAD = NF_SCAN_INVALID, MORE = NF_SCAN_INCOMPLETE };

/* Four bytes as a little-endian word (one load where that is native). */
static inline uint32_t ld32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

#define LE3(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)

/* Past the plain bytes from q: sixteen at a time with SSE2 (x86-64 has
 * it: a byte equal to '"' or '\\', or below 0x20 as a signed byte, which
 * takes in every byte >= 0x80), else eight at a time while eight are
 * there (one mask: a '"', a '\\', a byte < 0x20 or >= 0x80 in the word;
 * the lowest flagged byte is exact), then one at a time. */
static inline const unsigned char *plain_run(const unsigned char *q,
                                             const unsigned char *e)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	              space = _mm_set1_epi8(0x20);
	while (e - q >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote),
		                                      _mm_cmpeq_epi8(x, bslash)),
		                         _mm_cmplt_epi8(x, space));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits)
			return q + __builtin_ctz(bits);
		q += 16;
	}
#endif
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	while (e - q >= 8) {
		uint64_t x, t, u;
		memcpy(&x, q, 8);
		t = x ^ (ones * '"');
		u = x ^ (ones * '\\');
		uint64_t m = (((t - ones) & ~t) | ((u - ones) & ~u) |
		              ((x - ones * 0x20) & ~x) | x) & high;
		if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return q + (unsigned)__builtin_ctzll(m) / 8;
#else
			break;
#endif
		}
		q += 8;
	}
	while (q < e && plain[*q])
		q++;
	return q;
}

struct sc {
	const unsigned char *b, *e; /* the record's first byte, the end */
	char *why;
	size_t wlen;
};

static int bad(const struct sc *c, const unsigned char *p, const char *what)
{
	snprintf(c->why, c->wlen, "%s at offset %lu", what,
	         (unsigned long)(p - c->b));
	return BAD;
}

static const unsigned char *ws(const unsigned char *p, const unsigned char *e)
{
	while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static bool is_hex(unsigned c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int hex4(const unsigned char *p, unsigned *v)
{
	unsigned x = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

/* One escape at p ('\\'): its length, or BAD/MORE. Refused as jansson
 * refuses: an unknown escape, \u without four hex digits, \u0000 (NUL is
 * not allowed), a lone or misordered surrogate. */
static long escape_len(const struct sc *c, const unsigned char *p)
{
	const unsigned char *e = c->e;
	if (p + 1 >= e)
		return MORE;
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		return 2;
	case 'u':
		break;
	default:
		return bad(c, p, "invalid escape");
	}
	unsigned v = 0, w = 0;
	for (int i = 2; i < 6; i++) {
		if (p + i >= e)
			return MORE;
		if (!is_hex(p[i]))
			return bad(c, p, "invalid \\u escape");
	}
	(void)hex4(p + 2, &v);
	if (v == 0)
		return bad(c, p, "\\u0000 in a string");
	if (v >= 0xDC00 && v <= 0xDFFF)
		return bad(c, p, "lone low surrogate");
	if (v < 0xD800 || v > 0xDBFF)
		return 6;
	/* A high surrogate: "\\uDC00".."\\uDFFF" must follow, refused at
	 * the first byte that cannot be part of it. */
	for (int i = 6; i < 12; i++) {
		if (p + i >= e)
			return MORE;
		bool ok = i == 6 ? p[i] == '\\' : i == 7 ? p[i] == 'u' :
		          is_hex(p[i]);
		if (!ok)
			return bad(c, p, "lone high surrogate");
	}
	(void)hex4(p + 8, &w);
	if (w < 0xDC00 || w > 0xDFFF)
		return bad(c, p, "lone high surrogate");
	return 12;
}

/* One UTF-8 sequence at p (*p >= 0x80): its length, or BAD/MORE. Refused
 * as jansson refuses: a stray continuation byte, overlong forms,
 * surrogates, beyond U+10FFFF. */
static long utf8_len(const struct sc *c, const unsigned char *p)
{
	unsigned b0 = *p, n, v;
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		n = 2;
		v = b0 & 0x1F;
	} else if (b0 >= 0xE0 && b0 <= 0xEF) {
		n = 3;
		v = b0 & 0x0F;
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		n = 4;
		v = b0 & 0x07;
	} else {
		return bad(c, p, "invalid UTF-8");
	}
	for (unsigned i = 1; i < n; i++) {
		if (p + i >= c->e)
			return MORE;
		if ((p[i] & 0xC0) != 0x80)
			return bad(c, p, "invalid UTF-8");
		v = v << 6 | (p[i] & 0x3Fu);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return bad(c, p, "invalid UTF-8");
	return n;
}

/* A string at *pp ('"'): *pp past its closing quote, v its bytes. */
static int scan_string(const struct sc *c, const unsigned char **pp,
                       struct nf_val *v)
{
	const unsigned char *p = *pp + 1, *e = c->e, *start = p;
	bool esc = false;
	for (;;) {
		p = plain_run(p, e);
		if (p >= e)
			return MORE;
		if (*p == '"')
			break;
		long n;
		if (*p == '\\') {
			esc = true;
			n = escape_len(c, p);
		} else if (*p < 0x20) {
			return bad(c, p, "control character in a string");
		} else {
			n = utf8_len(c, p);
		}
		if (n < 0)
			return (int)n;
		p += n;
	}
	if (v) {
		v->p = (const char *)start;
		v->len = (uint32_t)(p - start);
		v->kind = NF_STRING;
		v->esc = esc;
	}
	*pp = p + 1;
	return OK;
}

/* A number at *pp: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and
 * then not a digit (so the input must go on past it). An integer outside
 * int64 and a real beyond a double are refused, as jansson refuses them
 * ("too big integer", "real number overflow"). */
static int scan_number(const struct sc *c, const unsigned char **pp,
                       struct nf_val *v)
{
	const unsigned char *p = *pp, *e = c->e, *start = p;
	bool neg = false, real = false;
	if (*p == '-') {
		neg = true;
		if (++p >= e)
			return MORE;
	}
	const unsigned char *d0 = p;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	} else {
		return bad(c, p, "invalid number");
	}
	if (p >= e)
		return MORE;
	size_t ndig = (size_t)(p - d0);
	if (*p >= '0' && *p <= '9')
		return bad(c, p, "leading zero in a number");
	if (*p == '.') {
		real = true;
		if (++p >= e)
			return MORE;
		if (*p < '0' || *p > '9')
			return bad(c, p, "invalid number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p >= e)
			return MORE;
	}
	if (*p == 'e' || *p == 'E') {
		real = true;
		if (++p >= e)
			return MORE;
		if (*p == '+' || *p == '-')
			if (++p >= e)
				return MORE;
		if (*p < '0' || *p > '9')
			return bad(c, p, "invalid number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p >= e)
			return MORE;
	}
	if (real) {
		/* Rare: strtod on the text in place stops at the byte after
		 * the number, which exists (p < e) and is not part of one. */
		errno = 0;
		double x = strtod((const char *)start, NULL);
		if ((x == HUGE_VAL || x == -HUGE_VAL) && errno == ERANGE)
			return bad(c, start, "real number overflow");
	} else if (ndig > 19 ||
	           (ndig == 19 && memcmp(d0, neg ? "9223372036854775808" :
	                                 "9223372036854775807", 19) > 0)) {
		return bad(c, start, "integer too big");
	}
	if (v) {
		v->p = (const char *)start;
		v->len = (uint32_t)(p - start);
		v->kind = real ? NF_REAL : NF_INTEGER;
		v->esc = false;
	}
	*pp = p;
	return OK;
}

static int scan_word(const struct sc *c, const unsigned char **pp,
                     struct nf_val *v)
{
	static const char *const words[] = { "true", "false", "null" };
	static const uint8_t kinds[] = { NF_TRUE, NF_FALSE, NF_NULL };
	const unsigned char *p = *pp;
	unsigned i = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
	size_t n = strlen(words[i]), have = (size_t)(c->e - p);
	if (memcmp(p, words[i], have < n ? have : n) != 0)
		return bad(c, p, "invalid literal");
	if (have <= n) /* the record goes on after the word */
		return MORE;
	if (v) {
		v->p = (const char *)p;
		v->len = (uint32_t)n;
		v->kind = kinds[i];
		v->esc = false;
	}
	*pp = p + n;
	return OK;
}

static int scan_scalar(const struct sc *c, const unsigned char **pp,
                       struct nf_val *v)
{
	switch (**pp) {
	case '"':
		return scan_string(c, pp, v);
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		return scan_number(c, pp, v);
	case 't': case 'f': case 'n':
		return scan_word(c, pp, v);
	default:
		return bad(c, *pp, "invalid value");
	}
}

/* A nested object or array at *pp, a value at level lvl (2: a value of
 * the record): validated to its end, nothing kept. Iterative, with one
 * bit per open container. */
static int skip_nested(const struct sc *c, const unsigned char **pp,
                       unsigned lvl)
{
	uint8_t isobj[NF_DEPTH_MAX / 8 + 1] = { 0 };
	unsigned d = 0; /* containers open */
	const unsigned char *p = *pp, *e = c->e;
	int rc;
open:
	/* p at '{' or '[': a container at level lvl + d */
	if (lvl + d > NF_DEPTH_MAX)
		return bad(c, p, "nested too deep");
	if (*p == '{')
		isobj[d / 8] = (uint8_t)(isobj[d / 8] | 1u << (d % 8));
	else
		isobj[d / 8] = (uint8_t)(isobj[d / 8] & ~(1u << (d % 8)));
	d++;
	p = ws(p + 1, e);
	if (p >= e)
		return MORE;
	if (*p == (isobj[(d - 1) / 8] >> ((d - 1) % 8) & 1 ? '}' : ']')) {
		p++;
		goto closed;
	}
elem:
	/* p at a member (object) or an element (array) */
	if (isobj[(d - 1) / 8] >> ((d - 1) % 8) & 1) {
		if (*p != '"')
			return bad(c, p, "expected a key");
		if ((rc = scan_string(c, &p, NULL)) != OK)
			return rc;
		p = ws(p, e);
		if (p >= e)
			return MORE;
		if (*p != ':')
			return bad(c, p, "expected ':'");
		p = ws(p + 1, e);
		if (p >= e)
			return MORE;
	}
	if (lvl + d > NF_DEPTH_MAX)
		return bad(c, p, "nested too deep");
	if (*p == '{' || *p == '[')
		goto open;
	if ((rc = scan_scalar(c, &p, NULL)) != OK)
		return rc;
after:
	p = ws(p, e);
	if (p >= e)
		return MORE;
	if (*p == ',') {
		p = ws(p + 1, e);
		if (p >= e)
			return MORE;
		goto elem;
	}
	if (*p != (isobj[(d - 1) / 8] >> ((d - 1) % 8) & 1 ? '}' : ']'))
		return bad(c, p, "expected ',' or a closing bracket");
	p++;
closed:
	if (--d > 0)
		goto after;
	*pp = p;
	return OK;
}

/* The key's slot, or -1 for a key map_record() does not read: one
 * candidate by the length and a byte, then one memcmp of a constant size
 * (inlined). */
static int key_slot(const char *k, size_t n)
{
#define IS(s, slot) return memcmp(k, s, sizeof s - 1) == 0 ? (slot) : -1
	switch (n) {
	case 4:
		if (k[0] == 't')
			IS("type", NF_K_TYPE);
		IS("last", NF_K_LAST);
	case 5:
		if (k[0] == 'f')
			IS("first", NF_K_FIRST);
		IS("proto", NF_K_PROTO);
	case 7:
		IS("sampled", NF_K_SAMPLED);
	case 8:
		if (k[0] == 'd')
			IS("dst_port", NF_K_DST_PORT);
		if (k[0] == 'i')
			IS("in_bytes", NF_K_IN_BYTES);
		if (k[4] == 'p')
			IS("src_port", NF_K_SRC_PORT);
		IS("src_vlan", NF_K_SRC_VLAN);
	case 9:
		switch (k[0]) {
		case 's':
			if (k[3] == '4')
				IS("src4_addr", NF_K_SRC4_ADDR);
			IS("src6_addr", NF_K_SRC6_ADDR);
		case 'd':
			if (k[3] == '4')
				IS("dst4_addr", NF_K_DST4_ADDR);
			IS("dst6_addr", NF_K_DST6_ADDR);
		case 't':
			IS("tcp_flags", NF_K_TCP_FLAGS);
		case 'o':
			IS("out_bytes", NF_K_OUT_BYTES);
		default:
			if (k[5] == 't')
				IS("icmp_type", NF_K_ICMP_TYPE);
			IS("icmp_code", NF_K_ICMP_CODE);
		}
	case 10:
		if (k[2] == '_')
			IS("in_packets", NF_K_IN_PACKETS);
		if (k[2] == '4')
			IS("ip4_router", NF_K_IP4_ROUTER);
		IS("ip6_router", NF_K_IP6_ROUTER);
	case 11:
		IS("out_packets", NF_K_OUT_PACKETS);
	case 12:
		IS("export_sysid", NF_K_EXPORT_SYSID);
	default:
		return -1;
	}
#undef IS
}

/* Decode a string known to be valid (scan_string) into out, at most cap
 * bytes; its decoded length, cut to cap. */
static size_t decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e && o < cap) {
		if (*p != '\\') {
			out[o++] = (char)*p++;
			continue;
		}
		unsigned char x = p[1];
		p += 2;
		unsigned v = 0;
		switch (x) {
		case 'b': out[o++] = '\b'; continue;
		case 'f': out[o++] = '\f'; continue;
		case 'n': out[o++] = '\n'; continue;
		case 'r': out[o++] = '\r'; continue;
		case 't': out[o++] = '\t'; continue;
		case 'u': break;
		default: out[o++] = (char)x; continue;
		}
		(void)hex4(p, &v);
		p += 4;
		if (v >= 0xD800 && v <= 0xDBFF) {
			unsigned w = 0;
			(void)hex4(p + 2, &w);
			p += 6;
			v = ((v - 0xD800) << 10) + (w - 0xDC00) + 0x10000;
		}
		unsigned char u[4];
		size_t k;
		if (v < 0x80) {
			u[0] = (unsigned char)v;
			k = 1;
		} else if (v < 0x800) {
			u[0] = (unsigned char)(0xC0 | v >> 6);
			u[1] = (unsigned char)(0x80 | (v & 0x3F));
			k = 2;
		} else if (v < 0x10000) {
			u[0] = (unsigned char)(0xE0 | v >> 12);
			u[1] = (unsigned char)(0x80 | (v >> 6 & 0x3F));
			u[2] = (unsigned char)(0x80 | (v & 0x3F));
			k = 3;
		} else {
			u[0] = (unsigned char)(0xF0 | v >> 18);
			u[1] = (unsigned char)(0x80 | (v >> 12 & 0x3F));
			u[2] = (unsigned char)(0x80 | (v >> 6 & 0x3F));
			u[3] = (unsigned char)(0x80 | (v & 0x3F));
			k = 4;
		}
		for (size_t i = 0; i < k && o < cap; i++)
			out[o++] = (char)u[i];
	}
	return o;
}

/* The value at *pp in the common cases, read without the full checks: a
 * string of plain bytes, or an integer of at most 18 digits (in int64)
 * without a leading zero, a fraction or an exponent. false, *pp as it
 * was: anything else (scan_scalar and skip_nested decide). nf_scan reads
 * its values through it first, and so does the layout reader. */
static inline bool plain_value(const unsigned char **pp, const unsigned char *e,
                               struct nf_val *v)
{
	const unsigned char *p = *pp, *q;
	if (p >= e)
		return false;
	if (*p == '"') {
		q = plain_run(p + 1, e);
		if (q >= e || *q != '"')
			return false;
		v->p = (const char *)p + 1;
		v->len = (uint32_t)(q - p - 1);
		v->kind = NF_STRING;
		v->esc = false;
		*pp = q + 1;
		return true;
	}
	if (*p < '0' || *p > '9')
		return false;
	q = p + 1;
	while (q < e && *q >= '0' && *q <= '9')
		q++;
	if (q >= e || q - p > 18 || (*p == '0' && q != p + 1) || *q == '.' ||
	    *q == 'e' || *q == 'E')
		return false;
	v->p = (const char *)p;
	v->len = (uint32_t)(q - p);
	v->kind = NF_INTEGER;
	v->esc = false;
	*pp = q;
	return true;
}

long nf_scan(const char *s, size_t len, struct nf_fields *f, char *why,
             size_t wlen)
{
	const struct sc c = { (const unsigned char *)s,
	                      (const unsigned char *)s + len, why, wlen };
	const unsigned char *p, *e = c.e;
	int rc;
	memset(f, 0, sizeof *f);
	if (len == 0)
		return MORE;
	if (*c.b != '{')
		return bad(&c, c.b, "not an object");
	p = ws(c.b + 1, e);
	if (p >= e)
		return MORE;
	if (*p == '}')
		return 1 + (long)(p - c.b);
	for (;;) {
		struct nf_val key, val;
		if (*p != '"')
			return bad(&c, p, "expected a key");
		/* The common case inline: a string of plain bytes. */
		const unsigned char *q = plain_run(p + 1, e);
		if (q < e && *q == '"') {
			key.p = (const char *)p + 1;
			key.len = (uint32_t)(q - p - 1);
			key.esc = false;
			p = q + 1;
		} else if ((rc = scan_string(&c, &p, &key)) != OK) {
			return rc;
		}
		if (e - p >= 4 && (ld32(p) & 0xFFFFFFu) == LE3(' ', ':', ' ') &&
		    p[3] > ' ') {
			p += 3; /* nfdump's separator, a value after it */
		} else {
			p = ws(p, e);
			if (p >= e)
				return MORE;
			if (*p != ':')
				return bad(&c, p, "expected ':'");
			p = ws(p + 1, e);
		}
		if (p >= e)
			return MORE;
		const unsigned char *v0 = p;
		if (!plain_value(&p, e, &val)) {
			if (*p == '{' || *p == '[') {
				if ((rc = skip_nested(&c, &p, 2)) != OK)
					return rc;
				val.p = (const char *)v0;
				val.len = (uint32_t)(p - v0);
				val.kind = *v0 == '{' ? NF_OBJECT : NF_ARRAY;
				val.esc = false;
			} else if ((rc = scan_scalar(&c, &p, &val)) != OK) {
				return rc;
			}
		}
		int slot;
		if (!key.esc) {
			slot = key_slot(key.p, key.len);
		} else {
			/* A key with an escape: decoded, as jansson compares
			 * keys ("ty\u0070e" is "type"). */
			char k[16];
			size_t kn = decode(key.p, key.len, k, sizeof k);
			slot = kn < sizeof k ? key_slot(k, kn) : -1;
		}
		if (slot >= 0)
			f->v[slot] = val; /* a duplicate: the last one */
		if (e - p >= 4 &&
		    ld32(p) == (LE3(',', '\n', '\t') | (uint32_t)'"' << 24)) {
			p += 3; /* nfdump's separator, a key after it */
			continue;
		}
		p = ws(p, e);
		if (p >= e)
			return MORE;
		if (*p == '}')
			return 1 + (long)(p - c.b);
		if (*p != ',')
			return bad(&c, p, "expected ',' or '}'");
		p = ws(p + 1, e);
		if (p >= e)
			return MORE;
	}
}

size_t nf_unescape(const struct nf_val *x, char *tmp, size_t tmplen)
{
	return decode(x->p, x->len, tmp, tmplen);
}

/* ---- nfdump's layout, learned (nfjson.h) ------------------------------ */

/* a[0, n) == b[0, n), n >= 8: the first and the last eight bytes (a key
 * line of nfdump's is 10 to 22 bytes), then the words between. */
static inline bool same_bytes(const unsigned char *a, const char *b, size_t n)
{
	uint64_t x, y, x2, y2;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	memcpy(&x2, a + n - 8, 8);
	memcpy(&y2, b + n - 8, 8);
	if ((x ^ y) | (x2 ^ y2))
		return false;
	for (size_t i = 8; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	return true;
}

/* The record at s in layout kind: its length, or 0 when it is not one. */
static long layout_read(const struct nf_layout *l, unsigned kind,
                        const unsigned char *s, const unsigned char *e,
                        struct nf_fields *f)
{
	const unsigned char *p = s;
	if (e - p < 2 || p[0] != '{' || p[1] != '\n')
		return 0;
	p += 2;
	unsigned n = l->k[kind].nkeys;
	const char *text = l->text[kind];
	memset(f, 0, sizeof *f);
	for (unsigned i = 0; i < n; i++) {
		size_t kl = l->k[kind].len[i];
		if ((size_t)(e - p) < kl ||
		    !same_bytes(p, text + l->k[kind].off[i], kl))
			return 0;
		p += kl;
		struct nf_val val;
		if (!plain_value(&p, e, &val))
			return 0;
		int slot = l->k[kind].slot[i];
		if (slot >= 0)
			f->v[slot] = val;
		if (e - p < 2)
			return 0;
		if (i + 1 < n ? p[0] != ',' || p[1] != '\n' :
		                p[0] != '\n' || p[1] != '}')
			return 0;
		p += 2;
	}
	return (long)(p - s);
}

/* Learn the layout of s[0, e - s), a record nf_scan() read whole, when it
 * is nfdump's: the key lines of a new kind (replacing the oldest when all
 * NF_LAYOUTS are used). Nothing learned otherwise. */
static void layout_learn(struct nf_layout *l, const unsigned char *s,
                         const unsigned char *e)
{
	char text[sizeof l->text[0]];
	uint16_t off[NF_LAYOUT_KEYS];
	uint8_t len[NF_LAYOUT_KEYS];
	int8_t slot[NF_LAYOUT_KEYS];
	size_t used = 0;
	unsigned nk = 0;
	const unsigned char *p = s;
	if (e - p < 2 || p[0] != '{' || p[1] != '\n')
		return;
	p += 2;
	for (;;) {
		if (e - p < 2 || p[0] != '\t' || p[1] != '"')
			return;
		const unsigned char *q = p + 2;
		while (q < e && plain[*q])
			q++;
		if (e - q < 4 || q[0] != '"' || q[1] != ' ' || q[2] != ':' ||
		    q[3] != ' ')
			return;
		size_t kl = (size_t)(q + 4 - p);
		if (kl < 8 || kl > UINT8_MAX || nk == NF_LAYOUT_KEYS ||
		    used + kl > sizeof text)
			return;
		memcpy(text + used, p, kl);
		off[nk] = (uint16_t)used;
		len[nk] = (uint8_t)kl;
		slot[nk] = (int8_t)key_slot((const char *)p + 2,
		                            (size_t)(q - p - 2));
		used += kl;
		nk++;
		p = q + 4;
		struct nf_val val;
		if (!plain_value(&p, e, &val) || e - p < 2)
			return;
		if (p[0] == ',' && p[1] == '\n') {
			p += 2;
			continue;
		}
		if (p[0] == '\n' && p[1] == '}' && p + 2 == e)
			break;
		return;
	}
	/* nfdump's layout: kept as a new kind, or in place of the oldest */
	unsigned kind = l->n < NF_LAYOUTS ? l->n : l->next;
	memcpy(l->text[kind], text, used);
	memcpy(l->k[kind].off, off, nk * sizeof off[0]);
	memcpy(l->k[kind].len, len, nk * sizeof len[0]);
	memcpy(l->k[kind].slot, slot, nk * sizeof slot[0]);
	l->k[kind].nkeys = (uint16_t)nk;
	l->last = kind;
	if (l->n < NF_LAYOUTS)
		l->n++;
	else
		l->next = (l->next + 1) % NF_LAYOUTS;
}

long nf_scan_layout(struct nf_layout *l, const char *s, size_t len,
                    struct nf_fields *f, char *why, size_t wlen)
{
	const unsigned char *b = (const unsigned char *)s, *e = b + len;
	if (l->n) {
		long r = layout_read(l, l->last, b, e, f);
		for (unsigned i = 0; r == 0 && i < l->n; i++)
			if (i != l->last && (r = layout_read(l, i, b, e, f)) > 0)
				l->last = i;
		if (r > 0) {
			l->fast++;
			return r;
		}
	}
	l->slow++;
	long r = nf_scan(s, len, f, why, wlen);
	if (r > 0)
		layout_learn(l, b, b + r);
	return r;
}
