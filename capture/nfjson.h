/*
 * nfjson.h -- capture/ internal: the scanner nfdump.c reads nfdump's JSON
 * records with (nfjson.c), and the reader of the whole output stream.
 * Tests include it (test_nfdump_json.c); nothing outside capture/ does.
 *
 * One record of `nfdump -o json` is a flat JSON object, one field a line.
 * nf_scan() checks one object against JSON's grammar as strictly as
 * jansson's json_loadb() did (what jansson refuses, it refuses: bad
 * escapes, lone surrogates, \u0000, invalid UTF-8, control characters,
 * integers outside int64, reals that overflow a double, nesting deeper
 * than 2048) and notes where the values of the keys map_record() reads
 * are, as slices of the input: no tree, no allocation, no copy.
 */
#ifndef PORTAUDIT_CAPTURE_NFJSON_H
#define PORTAUDIT_CAPTURE_NFJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records.h"

/* The keys map_record() reads (nfdump 1.7's output_json.c names). */
enum nf_key {
	NF_K_TYPE, NF_K_FIRST, NF_K_LAST, NF_K_PROTO,
	NF_K_SRC4_ADDR, NF_K_DST4_ADDR, NF_K_SRC6_ADDR, NF_K_DST6_ADDR,
	NF_K_SRC_PORT, NF_K_DST_PORT, NF_K_ICMP_TYPE, NF_K_ICMP_CODE,
	NF_K_IN_PACKETS, NF_K_IN_BYTES, NF_K_OUT_PACKETS, NF_K_OUT_BYTES,
	NF_K_TCP_FLAGS, NF_K_SRC_VLAN, NF_K_SAMPLED, NF_K_EXPORT_SYSID,
	NF_K_IP4_ROUTER, NF_K_IP6_ROUTER,
	NF_NKEYS
};

/* Their names, in that order ("type", "first", ...). */
extern const char *const nf_key_names[NF_NKEYS];

enum nf_kind {
	NF_ABSENT = 0,
	NF_STRING,   /* p, len: the bytes between the quotes, undecoded */
	NF_INTEGER,  /* p, len: the number's text (no fraction, no exponent) */
	NF_REAL,     /* a number with a fraction or an exponent */
	NF_TRUE, NF_FALSE, NF_NULL,
	NF_OBJECT, NF_ARRAY  /* validated and skipped: p, len span it */
};

struct nf_val {
	const char *p;
	uint32_t len;
	uint8_t kind;   /* enum nf_kind */
	bool esc;       /* a string with a backslash in it */
};

struct nf_fields {
	struct nf_val v[NF_NKEYS]; /* a duplicate key: the last value, as
	                            * jansson keeps it */
};

/* nf_scan's results other than a length. */
#define NF_SCAN_INVALID (-1)    /* not JSON; why says what and where */
#define NF_SCAN_INCOMPLETE (-2) /* valid so far, the input ends first */

/* One JSON object at s[0] (which is '{'), at most len bytes: its length
 * through the closing '}' with f filled, or NF_SCAN_INVALID (why: what,
 * and the byte offset in the record, one line, fits 100 bytes), or
 * NF_SCAN_INCOMPLETE. */
long nf_scan(const char *s, size_t len, struct nf_fields *f, char *why,
             size_t wlen);

/* nfdump's own layout, learned: every record of `nfdump -o json` is
 *   {\n \t"KEY" : VALUE ,\n ... \t"KEY" : VALUE \n}
 * with the same keys in the same order for records of one kind (IPv4
 * flows, IPv6 flows, ...). struct nf_layout keeps the key lines of up to
 * NF_LAYOUTS such records; nf_scan_layout() then reads a record that has
 * one of them by comparing each key line as bytes (one compare of words
 * instead of scanning the key, finding its slot and checking the
 * separators) and scanning the values only. Anything else -- a key line
 * that differs, a value with an escape, a byte outside printable ASCII, a
 * number that is not a plain integer, other white space -- and the record
 * is read by nf_scan() from its first byte, whose result stands; a record
 * nf_scan() accepts is then learned. The result is always nf_scan()'s:
 * a learned key line was a plain key in nfdump's layout when it was
 * learned, and the same bytes scan the same way. */
#define NF_LAYOUTS 4        /* record kinds remembered */
#define NF_LAYOUT_KEYS 96   /* key lines of one */
#define NF_LAYOUT_TEXT 2048 /* their bytes, all kinds together */

struct nf_layout {
	struct {
		uint16_t nkeys;
		uint16_t off[NF_LAYOUT_KEYS]; /* the key line in text[] */
		uint8_t len[NF_LAYOUT_KEYS];  /* its length (>= 8) */
		int8_t slot[NF_LAYOUT_KEYS];  /* its nf_key, or -1 */
	} k[NF_LAYOUTS];
	uint32_t n;        /* kinds learned */
	uint32_t last;     /* the kind the last record had */
	uint32_t next;     /* the kind a new one replaces when all are used */
	char text[NF_LAYOUTS][NF_LAYOUT_TEXT / NF_LAYOUTS];
	uint64_t fast, slow; /* records read each way (tests) */
};

/* nf_scan(s, len, f, why, wlen), the same result in every case, faster on
 * records in a learned layout (l zeroed before the first record). */
long nf_scan_layout(struct nf_layout *l, const char *s, size_t len,
                    struct nf_fields *f, char *why, size_t wlen);

/* Is the key there, with any value (json_object_get() != NULL)? */
static inline bool nf_has(const struct nf_fields *f, enum nf_key k)
{
	return f->v[k].kind != NF_ABSENT;
}

/* A JSON integer (no fraction, no exponent), 0 <= value <= max. */
static inline bool nf_u64(const struct nf_fields *f, enum nf_key k,
                          uint64_t max, uint64_t *v)
{
	const struct nf_val *x = &f->v[k];
	if (x->kind != NF_INTEGER)
		return false;
	const char *p = x->p, *e = p + x->len;
	bool neg = *p == '-';
	p += neg;
	uint64_t n = 0; /* at most 19 digits, <= INT64_MAX (nf_scan) */
	for (; p < e; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if ((neg && n != 0) || n > max)
		return false; /* "-0" is 0 to jansson too */
	*v = n;
	return true;
}

/* A string value with a backslash, decoded into tmp (nf_str). */
size_t nf_unescape(const struct nf_val *x, char *tmp, size_t tmplen);

/* A string value: *s and *n its decoded bytes (not NUL-terminated).
 * Without a backslash the slice of the input; with one, decoded into
 * tmp (UTF-8, as jansson decodes it; nf_scan has checked the escapes)
 * -- a decoded string longer than tmplen comes back cut to its first
 * tmplen bytes: with tmplen above the length of any value map_record()
 * accepts, the cut string fails its check as the whole one would. false:
 * absent or not a string. */
static inline bool nf_str(const struct nf_fields *f, enum nf_key k,
                          char *tmp, size_t tmplen, const char **s,
                          size_t *n)
{
	const struct nf_val *x = &f->v[k];
	if (x->kind != NF_STRING)
		return false;
	if (!x->esc) {
		*s = x->p;
		*n = x->len;
	} else {
		*n = nf_unescape(x, tmp, tmplen);
		*s = tmp;
	}
	return true;
}

/* nfdump.c: the reader of cap_nfdump_read() (rec_int.h) on nfdump's
 * standard output already open as fd (tests feed it from a pipe); path
 * only names the source in messages. fd is read to its end, not closed. */
int cap_nfdump_read_fd(int fd, const char *path, struct cap_pairer *p,
                       struct cap_rec_stats *rs,
                       const struct cap_prefix_opt *allow, unsigned nallow,
                       bool skip_bad, bool (*stop)(void),
                       void (*progress)(void *ctx, uint64_t bytes),
                       void *progress_ctx, char *err, size_t errlen);

#endif
