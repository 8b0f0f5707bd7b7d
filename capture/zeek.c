/*
 * zeek.c -- Zeek conn.log in, flows out (cap_zeek_read, records.h).
 *
 * Design. One conn.log record is one whole bidirectional connection, so
 * it becomes one struct cap_flow at once: no table, no pairing, nothing
 * held between records. The input is read with read(2), whatever has
 * come, never waiting for a full buffer (a pipe from `tail -F conn.log`
 * is judged line by line as it arrives); a gzip stream, recognised by its
 * magic bytes, goes through zlib's inflate (concatenated members one
 * after the other). A signal interrupting a read loses nothing: SIGINT
 * and SIGTERM end the reading with the lines so far, SIGUSR1 prints the
 * counters and the reading goes on. The bytes land in one read buffer of
 * ZK_BUF bytes, allocated once per call and cut into lines with memchr. A line longer than ZK_MAX_LINE is malformed.
 * Each line is, by its first byte: a TSV header line ('#separator',
 * '#fields', ...: the header in force changes, so rotated files
 * concatenated into one stream each bring their own), a JSON object
 * ('{': LogAscii::use_json, dotted or nested keys), the plain one-line
 * header of LogAscii::tsv=T (field names, no '#'), or a TSV record. The
 * format is therefore decided line by line and never configured.
 *
 * A record's fields are located in place (pointers into the line): TSV
 * by the header's separator, JSON by a small bounded parser (depth
 * ZK_MAX_DEPTH, every byte checked, keys of nested objects joined with
 * '.'). Only the fields portaudit uses are decoded, each with a bounded
 * parser (no atoi/strtod: ports <= 65535, counts <= 2^64 - 1, times to the
 * nanosecond without floating point); a value with escapes (TSV "\xNN",
 * JSON "\uXXXX") is decoded into a ZK_MAX_VAL stack buffer first. A value
 * that does not parse names FILE:LINE:COLUMN (the column of the field's
 * first byte); with skip_bad the record is counted in rs->malformed and
 * skipped instead. How a record maps to a flow (outcome, initiator, ICMP,
 * flags) is in docs/flows.md, "Flow records: Zeek conn.log".
 *
 * Cost. Per record: one pass over its bytes to split it (eight bytes at
 * a time, one mask), the decoding of at most ZF_COUNT fields (an IPv6 address by
 * inet_pton, the rest by hand), one callback: about 4,100 instructions
 * for a default TSV conn.log line (bench/zeekread). No allocation after
 * the read buffer (and, for a directory, its sorted list of names).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "rec_int.h"
#include "records.h"

#define ZK_MAX_LINE 65536u   /* longest line, without its newline */
#define ZK_BUF (4u * ZK_MAX_LINE)
#define ZK_MAX_COLS 512u     /* columns of a #fields line */
#define ZK_MAX_FILES 100000u /* conn logs in one directory */
#define ZK_MAX_MARK 32u      /* separator, set separator, empty, unset */
#define ZK_MAX_VAL 64u       /* a decoded value we parse */
#define ZK_MAX_KEY 128u      /* a JSON key, with its parents' names */
#define ZK_MAX_DEPTH 8u      /* nested JSON objects and arrays */

/* ---- the fields we read -------------------------------------------------- */

enum zf {
	ZF_NONE = 0,
	ZF_TS,
	ZF_ORIG_H,
	ZF_ORIG_P,
	ZF_RESP_H,
	ZF_RESP_P,
	ZF_PROTO,
	ZF_DURATION,
	ZF_STATE,
	ZF_HISTORY,
	ZF_ORIG_PKTS,
	ZF_RESP_PKTS,
	ZF_ORIG_IPB,
	ZF_RESP_IPB,
	ZF_MISSED,
	ZF_TUNNEL,
	ZF_VLAN,
	ZF_CTX_VLAN,
	ZF_IP_PROTO,
	ZF_COUNT
};

#define ZF_NAMES(X) \
	X("") X("ts") X("id.orig_h") X("id.orig_p") X("id.resp_h") \
	X("id.resp_p") X("proto") X("duration") X("conn_state") X("history") \
	X("orig_pkts") X("resp_pkts") X("orig_ip_bytes") X("resp_ip_bytes") \
	X("missed_bytes") X("tunnel_parents") X("vlan") X("id.ctx.vlan") \
	X("ip_proto")
#define ZF_STR(s) s,
#define ZF_LEN(s) (uint8_t)(sizeof s - 1),
static const char *const zf_name[ZF_COUNT] = { ZF_NAMES(ZF_STR) };
static const uint8_t zf_len[ZF_COUNT] = { ZF_NAMES(ZF_LEN) };

/* Without these a line is not a conn.log record (dns.log has the first
 * six too: conn_state tells them apart). */
static const enum zf zf_required[] = {
	ZF_TS, ZF_ORIG_H, ZF_ORIG_P, ZF_RESP_H, ZF_RESP_P, ZF_PROTO, ZF_STATE,
};

/* The fields of each name length (zf_lookup then compares the bytes). */
static const uint8_t zf_by_len[15][7] = {
	[2] = { ZF_TS },
	[4] = { ZF_VLAN },
	[5] = { ZF_PROTO },
	[7] = { ZF_HISTORY },
	[8] = { ZF_DURATION, ZF_IP_PROTO },
	[9] = { ZF_ORIG_H, ZF_ORIG_P, ZF_RESP_H, ZF_RESP_P, ZF_ORIG_PKTS,
	        ZF_RESP_PKTS },
	[10] = { ZF_STATE },
	[11] = { ZF_CTX_VLAN },
	[12] = { ZF_MISSED },
	[13] = { ZF_ORIG_IPB, ZF_RESP_IPB },
	[14] = { ZF_TUNNEL },
};

static enum zf zf_lookup(const char *s, size_t n)
{
	if (n >= sizeof zf_by_len / sizeof zf_by_len[0])
		return ZF_NONE;
	for (const uint8_t *f = zf_by_len[n]; *f; f++)
		if (zf_len[*f] == n && memcmp(zf_name[*f], s, n) == 0)
			return (enum zf)*f;
	return ZF_NONE;
}

enum zv {
	ZV_ABSENT = 0, /* no such column or key */
	ZV_UNSET,      /* TSV unset_field ("-"), JSON null */
	ZV_EMPTY,      /* TSV empty_field ("(empty)") */
	ZV_TEXT,       /* TSV text, escapes "\xNN" */
	ZV_JSTR,       /* JSON string (between the quotes), JSON escapes */
	ZV_JNUM,       /* JSON number */
	ZV_JARR,       /* JSON array: len is its number of elements */
	ZV_JOTHER,     /* JSON true, false or object */
};

struct zval {
	const char *p;
	uint32_t len;
	uint32_t col;  /* 1-based column of its first byte */
	uint8_t kind;  /* enum zv */
	bool esc;      /* holds a backslash */
};

struct zctx {
	const char *name;          /* the file as messages name it */
	uint64_t line;
	cap_flow_fn fn;
	void *fnctx;
	struct cap_rec_stats *rs;
	bool skip_bad;
	char *err;
	size_t errlen;
	/* The TSV header in force. */
	char sep[ZK_MAX_MARK], setsep[ZK_MAX_MARK];
	char empty[ZK_MAX_MARK], unset[ZK_MAX_MARK];
	size_t seplen, setseplen, emptylen, unsetlen;
	uint8_t cols[ZK_MAX_COLS]; /* enum zf of each column */
	uint32_t ncols;
	bool have_fields;
	bool plain;                /* from a LogAscii::tsv=T header line */
	/* The record being read. */
	struct zval v[ZF_COUNT];
	bool v_json;               /* v holds a JSON record's values */
	char *buf;                 /* ZK_BUF bytes */
};

/* ---- messages ------------------------------------------------------------ */

/* A value as a message shows it: printable ASCII, at most 40 bytes. */
static const char *shown(const char *p, size_t n, char *out, size_t outsz)
{
	size_t k = 0, max = n > 40 ? 40 : n;
	for (size_t i = 0; i < max && k + 4 < outsz; i++)
		out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (max < n && k + 4 < outsz) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

/* An error that ends the read: "FILE:LINE:COL: what". -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct zctx *z, size_t col, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(z->err, z->errlen, "%s:%llu:%zu: %s", z->name,
	         (unsigned long long)z->line, col, msg);
	return -1;
}

/* A record that does not parse: counted; skipped (1) with skip_bad, else
 * the error (-1). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int bad(struct zctx *z, size_t col, const char *fmt, ...)
{
	z->rs->malformed++;
	if (z->skip_bad)
		return 1;
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(z->err, z->errlen, "%s:%llu:%zu: %s", z->name,
	         (unsigned long long)z->line, col, msg);
	return -1;
}

/* ---- bounded number parsing ---------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A whole number of at most max. */
static bool parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return false;
	if (n <= 19) { /* < 10^19: no overflow to check on the way */
		for (size_t i = 0; i < n; i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (d > 9)
				return false;
			v = v * 10 + d;
		}
	} else {
		uint64_t lim = max / 10;
		unsigned rem = (unsigned)(max % 10);
		for (size_t i = 0; i < n; i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (d > 9 || v > lim || (v == lim && d > rem))
				return false;
			v = v * 10 + d;
		}
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* A non-negative decimal "123", "0.25", "1.5e-05" as mant * 10^exp10:
 * the first 19 significant digits count, the rest only move the point. */
static bool parse_dec(const char *s, size_t n, uint64_t *mant, int *exp10)
{
	uint64_t m = 0;
	int e = 0, sig = 0;
	size_t i = 0;
	bool digits = false;
	for (; i < n && is_digit(s[i]); i++) {
		digits = true;
		if (m == 0 && s[i] == '0')
			continue;
		if (sig < 19) {
			m = m * 10 + (uint64_t)(s[i] - '0');
			sig++;
		} else {
			e++;
		}
	}
	if (i < n && s[i] == '.') {
		i++;
		bool frac = false;
		for (; i < n && is_digit(s[i]); i++) {
			frac = true;
			if (m == 0 && s[i] == '0') {
				e--;
				continue;
			}
			if (sig < 19) {
				m = m * 10 + (uint64_t)(s[i] - '0');
				sig++;
				e--;
			}
		}
		if (!frac)
			return false;
		digits = true;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool neg = false;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
		uint64_t x;
		size_t st = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (!parse_uint(s + st, i - st, 400, &x))
			return false;
		e += neg ? -(int)x : (int)x;
	}
	if (i != n)
		return false;
	*mant = m;
	*exp10 = e;
	return true;
}

/* mant * 10^exp10 as a whole number (truncated), false on overflow. */
static bool dec_scale(uint64_t mant, int exp10, uint64_t *out)
{
	if (mant == 0) {
		*out = 0;
		return true;
	}
	for (; exp10 < 0; exp10++) {
		mant /= 10;
		if (mant == 0)
			break;
	}
	for (; exp10 > 0; exp10--) {
		if (mant > UINT64_MAX / 10)
			return false;
		mant *= 10;
	}
	*out = mant;
	return true;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool take_num(const char *s, size_t n, size_t *i, size_t digits,
                     uint64_t max, uint64_t *out)
{
	if (*i + digits > n || !parse_uint(s + *i, digits, max, out))
		return false;
	*i += digits;
	return true;
}

/* ISO 8601 "2013-06-02T19:14:02.323173Z" (or a space for the T; Z, +HH:MM,
 * +HHMM or nothing (UTC) for the zone) to ns since the epoch. */
static bool parse_iso(const char *s, size_t n, uint64_t *ns)
{
	uint64_t y, mo, d, h, mi, sec, frac = 0;
	size_t i = 0;
	if (!take_num(s, n, &i, 4, 9999, &y) || y < 1970 || i >= n ||
	    s[i++] != '-' || !take_num(s, n, &i, 2, 12, &mo) || mo < 1 ||
	    i >= n || s[i++] != '-' || !take_num(s, n, &i, 2, 31, &d) ||
	    d < 1 || i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return false;
	i++;
	if (!take_num(s, n, &i, 2, 23, &h) || i >= n || s[i++] != ':' ||
	    !take_num(s, n, &i, 2, 59, &mi) || i >= n || s[i++] != ':' ||
	    !take_num(s, n, &i, 2, 60, &sec))
		return false;
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30,
		                            31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
		return false;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		i++;
		unsigned k = 0;
		if (i >= n || !is_digit(s[i]))
			return false;
		for (; i < n && is_digit(s[i]); i++, k++)
			if (k < 9)
				frac = frac * 10 + (uint64_t)(s[i] - '0');
		for (; k < 9; k++)
			frac *= 10;
	}
	int64_t off = 0; /* seconds east of UTC */
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i++] == '-' ? -1 : 1;
		uint64_t oh, om = 0;
		if (!take_num(s, n, &i, 2, 23, &oh))
			return false;
		if (i < n && s[i] == ':')
			i++;
		if (i < n && !take_num(s, n, &i, 2, 59, &om))
			return false;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	}
	if (i != n)
		return false;
	int64_t t = days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d) *
	            86400 + (int64_t)(h * 3600 + mi * 60 + sec) - off;
	if (t < 0)
		return false;
	*ns = (uint64_t)t * CAP_NS_PER_S + frac;
	return true;
}

/* Zeek's ts: epoch seconds ("1370200442.323173", also in JSON's exponent
 * form), epoch milliseconds (JSON::TS_MILLIS: a value of 10^11 or more
 * cannot be seconds before the year 5138), or ISO 8601. */
/* The common form, "1370200442.323173" (at most 11 digits before the
 * point, 9 after) to ns: true when s has it. parse_dec does the rest. */
static bool sec_ns(const char *s, size_t n, uint64_t *ns)
{
	static const uint32_t scale[10] = { 1000000000, 100000000, 10000000,
		                            1000000, 100000, 10000, 1000, 100,
		                            10, 1 };
	const char *p = s, *e = s + n;
	uint64_t sec = 0, frac = 0;
	unsigned d;
	while (p < e && (d = (unsigned)(*p - '0')) <= 9) {
		sec = sec * 10 + d; /* wraps past 20 digits: refused below */
		p++;
	}
	if (p == s || p - s > 11 || sec > UINT64_MAX / CAP_NS_PER_S - 1)
		return false; /* none, ms, or near 2^64 ns: parse_dec decides */
	size_t k = 0;
	if (p < e) {
		k = (size_t)(e - p) - 1;
		if (*p != '.' || k == 0 || k > 9)
			return false;
		for (p++; p < e; p++) {
			if ((d = (unsigned)(*p - '0')) > 9)
				return false;
			frac = frac * 10 + d;
		}
	}
	*ns = sec * CAP_NS_PER_S + frac * scale[k];
	return true;
}

static bool parse_time(const char *s, size_t n, uint64_t *ns)
{
	if (sec_ns(s, n, ns))
		return true;
	if (n > 4 && s[4] == '-')
		return parse_iso(s, n, ns);
	uint64_t m;
	int e;
	if (!parse_dec(s, n, &m, &e))
		return false;
	/* Digits before the point: the digits of m, plus e. */
	int idigits = e;
	for (uint64_t t = m; t; t /= 10)
		idigits++;
	bool millis = m != 0 && idigits >= 12;
	return dec_scale(m, e + (millis ? 6 : 9), ns);
}

static bool parse_addr(const char *s, size_t n, uint8_t *family,
                       uint8_t *addr)
{
	char tmp[48];
	if (n == 0 || n >= sizeof tmp)
		return false;
	memset(addr, 0, 16);
	if (memchr(s, ':', n)) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		*family = 6;
		return inet_pton(AF_INET6, tmp, addr) == 1;
	}
	/* Dotted quad, as inet_pton takes it (no leading zeros), inline:
	 * it is most of the addresses of a log. */
	*family = 4;
	const char *p = s, *e = s + n;
	for (int part = 0; part < 4; part++) {
		if (part && (p == e || *p++ != '.'))
			return false;
		unsigned v, d;
		if (p == e || (v = (unsigned)(*p - '0')) > 9)
			return false;
		p++;
		/* "0" stands alone: "01" is refused by the '.' expected next */
		for (int k = 0; v && k < 2 && p < e &&
		                (d = (unsigned)(*p - '0')) <= 9; k++, p++)
			v = v * 10 + d;
		if (v > 255)
			return false;
		addr[part] = (uint8_t)v;
	}
	return p == e;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Zeek's TSV escapes: "\xNN" and "\\". The decoded length, or -1 (a bad
 * escape, or more than outsz bytes). */
static long tsv_unescape(const char *s, size_t n, char *out, size_t outsz)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 1 < n && s[i + 1] == '\\') {
				i++;
			} else if (i + 3 < n && s[i + 1] == 'x' &&
			           hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
				c = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
				i += 3;
			} else {
				return -1;
			}
		}
		if (k >= outsz)
			return -1;
		out[k++] = c;
	}
	return (long)k;
}

/* JSON string escapes (the string was checked when the line was parsed).
 * A \u escape beyond ASCII becomes '?', which no field we parse holds. */
static long json_unescape(const char *s, size_t n, char *out, size_t outsz)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			char e = s[++i];
			switch (e) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned u = 0;
				for (unsigned j = 0; j < 4 && i + 1 < n; j++) {
					int h = hexval(s[++i]);
					u = u * 16 + (unsigned)(h < 0 ? 0 : h);
				}
				c = u < 0x80 ? (char)u : '?';
				break;
			}
			default: c = e; break; /* " \ / */
			}
		}
		if (k >= outsz)
			return -1;
		out[k++] = c;
	}
	return (long)k;
}

/* ---- the header ---------------------------------------------------------- */

static void header_reset(struct zctx *z)
{
	z->sep[0] = '\t';
	z->seplen = 1;
	z->setsep[0] = ',';
	z->setseplen = 1;
	memcpy(z->empty, "(empty)", 7);
	z->emptylen = 7;
	z->unset[0] = '-';
	z->unsetlen = 1;
	z->ncols = 0;
	z->have_fields = false;
	z->plain = false;
}

/* The next separator in [p, end), or end. */
static const char *next_sep(const struct zctx *z, const char *p,
                            const char *end)
{
	if (z->seplen == 1) {
		const char *q = memchr(p, z->sep[0], (size_t)(end - p));
		return q ? q : end;
	}
	for (; (size_t)(end - p) >= z->seplen; p++)
		if (*p == z->sep[0] && memcmp(p, z->sep, z->seplen) == 0)
			return p;
	return end;
}

/* A header value with its escapes decoded into out (1 to ZK_MAX_MARK - 1
 * bytes). */
static int header_mark(struct zctx *z, const char *what, const char *p,
                       size_t n, size_t col, char *out, size_t *outlen)
{
	long k = tsv_unescape(p, n, out, ZK_MAX_MARK - 1);
	if (k <= 0)
		return fail(z, col, "%s: expected 1 to %u bytes (escapes \\xNN), "
		            "got '%s'", what, ZK_MAX_MARK - 1,
		            shown(p, n, (char[64]){0}, 64));
	*outlen = (size_t)k;
	return 0;
}

/* The column names of a #fields line (or of a plain header line) from p
 * on: the conn.log fields we use, each required one present. */
static int set_fields(struct zctx *z, const char *line, const char *p,
                      const char *end)
{
	bool seen[ZF_COUNT] = { false };
	uint32_t n = 0;
	for (;;) {
		const char *q = next_sep(z, p, end);
		if (n >= ZK_MAX_COLS)
			return fail(z, (size_t)(p - line) + 1,
			            "more than %u fields", ZK_MAX_COLS);
		enum zf f = zf_lookup(p, (size_t)(q - p));
		z->cols[n++] = (uint8_t)f;
		seen[f] = true;
		if (q == end)
			break;
		p = q + z->seplen;
	}
	for (size_t i = 0; i < sizeof zf_required / sizeof zf_required[0]; i++)
		if (!seen[zf_required[i]])
			return fail(z, 1, "the fields lack %s: not a Zeek conn.log",
			            zf_name[zf_required[i]]);
	z->ncols = n;
	z->have_fields = true;
	memset(z->v, 0, sizeof z->v); /* the columns changed */
	return 0;
}

static bool starts(const char *p, size_t n, const char *word)
{
	size_t k = strlen(word);
	return n >= k && memcmp(p, word, k) == 0;
}

/* A line starting with '#'. */
static int header_line(struct zctx *z, const char *line, size_t len)
{
	const char *end = line + len;
	if (starts(line, len, "#separator")) {
		/* "#separator \x09": a space, then the separator escaped. */
		if (len < 12 || (line[10] != ' ' && line[10] != '\t'))
			return fail(z, 11, "#separator: expected a space and the "
			            "separator (\\x09 for a tab)");
		header_reset(z);
		return header_mark(z, "#separator", line + 11, len - 11, 12,
		                   z->sep, &z->seplen);
	}
	const char *q = next_sep(z, line + 1, end);
	if (q == end)
		return 0; /* "#close" cut short, a comment: nothing we use */
	const char *name = line + 1;
	size_t nlen = (size_t)(q - name);
	const char *val = q + z->seplen;
	size_t vlen = (size_t)(end - val), col = (size_t)(val - line) + 1;
	if (nlen == 13 && memcmp(name, "set_separator", 13) == 0)
		return header_mark(z, "#set_separator", val, vlen, col,
		                   z->setsep, &z->setseplen);
	if (nlen == 11 && memcmp(name, "empty_field", 11) == 0)
		return header_mark(z, "#empty_field", val, vlen, col,
		                   z->empty, &z->emptylen);
	if (nlen == 11 && memcmp(name, "unset_field", 11) == 0)
		return header_mark(z, "#unset_field", val, vlen, col,
		                   z->unset, &z->unsetlen);
	if (nlen == 6 && memcmp(name, "fields", 6) == 0) {
		z->plain = false;
		return set_fields(z, line, val, end);
	}
	return 0; /* #path, #open, #types, #close */
}

/* LogAscii::tsv=T writes one header line of field names, without '#':
 * a line that starts with a letter (a record starts with its ts, a
 * digit) and names id.orig_h. */
static bool plain_header(const struct zctx *z, const char *line, size_t len)
{
	char c = line[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return false;
	const char *p = line, *end = line + len;
	for (;;) {
		const char *q = next_sep(z, p, end);
		if (q - p == 9 && memcmp(p, "id.orig_h", 9) == 0)
			return true;
		if (q == end)
			return false;
		p = q + z->seplen;
	}
}

/* ---- a TSV record -------------------------------------------------------- */

static void tsv_value(const struct zctx *z, struct zval *v, const char *line,
                      const char *p, size_t n, bool esc)
{
	v->p = p;
	v->len = (uint32_t)n;
	v->col = (uint32_t)(p - line) + 1;
	if (n == z->unsetlen && p[0] == z->unset[0] &&
	    memcmp(p, z->unset, n) == 0)
		v->kind = ZV_UNSET;
	else if (n == z->emptylen && p[0] == z->empty[0] &&
	         memcmp(p, z->empty, n) == 0)
		v->kind = ZV_EMPTY;
	else
		v->kind = ZV_TEXT;
	v->esc = esc;
}

/* Field i of a record ends: [p, q), with a backslash in it (esc). */
static void tsv_field(struct zctx *z, const char *line, uint32_t i,
                      const char *p, const char *q, bool esc,
                      const char **extra)
{
	if (i < z->ncols) {
		if (z->cols[i])
			tsv_value(z, &z->v[z->cols[i]], line, p, (size_t)(q - p),
			          esc);
	} else if (!*extra) {
		*extra = p;
	}
}

/* The fields of a record, located in one pass over its bytes, noting the
 * backslashes on the way. A one-byte separator (Zeek's tab) is found
 * eight bytes at a time: a word's separators and backslashes as a mask
 * of exact bits, taken lowest first. */
static int tsv_record(struct zctx *z, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *extra = NULL;
	uint32_t i = 0;
	bool esc = false;
	if (z->seplen == 1) {
		char c0 = z->sep[0];
		size_t off = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
		const uint64_t cs = 0x0101010101010101ull * (uint8_t)c0;
		const uint64_t bs = 0x0101010101010101ull * (uint8_t)'\\';
		for (; off + 8 <= len; off += 8) {
			uint64_t w, x, y, m;
			memcpy(&w, line + off, 8);
			x = w ^ cs;
			y = w ^ bs;
			/* The high bit of each zero byte of x, of y. */
			m = ~(((x & lo7) + lo7) | x | lo7) |
			    ~(((y & lo7) + lo7) | y | lo7);
			while (m) {
				const char *at = line + off +
				                 (__builtin_ctzll(m) >> 3);
				m &= m - 1;
				if (*at != c0) {
					esc = true;
					continue;
				}
				tsv_field(z, line, i++, p, at, esc, &extra);
				esc = false;
				p = at + 1;
			}
		}
#endif
		for (; off < len; off++) {
			if (line[off] == '\\') {
				esc = true;
			} else if (line[off] == c0) {
				tsv_field(z, line, i++, p, line + off, esc, &extra);
				esc = false;
				p = line + off + 1;
			}
		}
	} else {
		for (;;) {
			const char *q = next_sep(z, p, end);
			if (q == end)
				break;
			esc = memchr(p, '\\', (size_t)(q - p)) != NULL;
			tsv_field(z, line, i++, p, q, esc, &extra);
			p = q + z->seplen;
		}
		esc = memchr(p, '\\', (size_t)(end - p)) != NULL;
	}
	tsv_field(z, line, i++, p, end, esc, &extra); /* the last one */
	if (i != z->ncols)
		return bad(z, extra ? (size_t)(extra - line) + 1 : len + 1,
		           "%u fields where #fields names %u", i, z->ncols);
	return 0;
}

/* ---- a JSON record ------------------------------------------------------- */

struct jp {
	const char *s, *p, *e; /* the line, the position, its end */
	const char *what;      /* the syntax error, or NULL */
	const char *at;
};

static bool j_err(struct jp *j, const char *what)
{
	if (!j->what) {
		j->what = what;
		j->at = j->p;
	}
	return false;
}

static void j_ws(struct jp *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' ||
	                       *j->p == '\n'))
		j->p++;
}

/* The next '"', backslash or control character in [q, end), or end:
 * eight bytes at a time, as next_stop. */
static const char *j_plain(const char *q, const char *end)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = ones << 7;
	const uint64_t qs = ones * (uint8_t)'"', bs = ones * (uint8_t)'\\';
	while (end - q >= 8) {
		uint64_t w, x, y;
		memcpy(&w, q, 8);
		x = w ^ qs;
		y = w ^ bs;
		/* The lowest flagged byte is exact in each term, so in all. */
		uint64_t m = ((x - ones) & ~x & highs) |
		             ((y - ones) & ~y & highs) |
		             ((w - ones * 0x20) & ~w & highs);
		if (m)
			return q + (__builtin_ctzll(m) >> 3);
		q += 8;
	}
#endif
	while (q < end && *q != '"' && *q != '\\' &&
	       (unsigned char)*q >= 0x20)
		q++;
	return q;
}

/* A string at j->p (its opening quote): the bytes between the quotes. */
static bool j_string(struct jp *j, const char **s, size_t *n, bool *esc)
{
	j->p++;
	const char *st = j->p;
	*esc = false;
	while (j->p < j->e) {
		j->p = j_plain(j->p, j->e);
		if (j->p == j->e)
			break;
		unsigned char c = (unsigned char)*j->p;
		if (c == '"') {
			*s = st;
			*n = (size_t)(j->p - st);
			j->p++;
			return true;
		}
		if (c < 0x20)
			return j_err(j, "a control character in a string");
		if (c == '\\') {
			*esc = true;
			if (j->p + 1 >= j->e)
				break;
			char e = j->p[1];
			if (e == 'u') {
				if (j->e - j->p < 6)
					break;
				for (int k = 2; k < 6; k++)
					if (hexval(j->p[k]) < 0) {
						j->p += k;
						return j_err(j, "a bad \\u escape");
					}
				j->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == '\0') {
				j->p++;
				return j_err(j, "a bad escape in a string");
			}
			j->p += 2;
			continue;
		}
		j->p++;
	}
	return j_err(j, "a string without its closing quote");
}

static bool j_number(struct jp *j)
{
	const char *p = j->p;
	if (p < j->e && *p == '-')
		p++;
	if (p >= j->e || !is_digit(*p))
		return j_err(j, "expected a value");
	if (*p == '0')
		p++;
	else
		while (p < j->e && is_digit(*p))
			p++;
	if (p < j->e && *p == '.') {
		p++;
		if (p >= j->e || !is_digit(*p)) {
			j->p = p;
			return j_err(j, "a number without digits after its point");
		}
		while (p < j->e && is_digit(*p))
			p++;
	}
	if (p < j->e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->e && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->e || !is_digit(*p)) {
			j->p = p;
			return j_err(j, "a number without its exponent");
		}
		while (p < j->e && is_digit(*p))
			p++;
	}
	j->p = p;
	return true;
}

static bool j_object(struct zctx *z, struct jp *j, char *key, size_t klen,
                     unsigned depth);

/* A value at j->p; when v is not NULL it gets where it is. Objects are
 * read by j_object (key: the name so far, for nested keys). */
static bool j_value(struct zctx *z, struct jp *j, struct zval *v, char *key,
                    size_t klen, unsigned depth)
{
	if (depth > ZK_MAX_DEPTH)
		return j_err(j, "nested too deep");
	j_ws(j);
	if (j->p >= j->e)
		return j_err(j, "expected a value");
	const char *st = j->p, *at = j->p;
	uint8_t kind;
	uint32_t len = 0;
	bool esc = false;
	char c = *j->p;
	if (c == '"') {
		const char *s;
		size_t n;
		if (!j_string(j, &s, &n, &esc))
			return false;
		st = s;
		len = (uint32_t)n;
		kind = ZV_JSTR;
	} else if (c == '{') {
		if (!j_object(z, j, key, klen, depth + 1))
			return false;
		kind = ZV_JOTHER;
	} else if (c == '[') {
		j->p++;
		j_ws(j);
		if (j->p < j->e && *j->p == ']') {
			j->p++;
		} else {
			for (;;) {
				if (!j_value(z, j, NULL, NULL, 0, depth + 1))
					return false;
				len++;
				j_ws(j);
				if (j->p < j->e && *j->p == ',') {
					j->p++;
					continue;
				}
				if (j->p < j->e && *j->p == ']') {
					j->p++;
					break;
				}
				return j_err(j, "expected ',' or ']'");
			}
		}
		kind = ZV_JARR;
	} else if (j->e - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
		j->p += 4;
		kind = ZV_UNSET;
	} else if (j->e - j->p >= 4 && memcmp(j->p, "true", 4) == 0) {
		j->p += 4;
		kind = ZV_JOTHER;
	} else if (j->e - j->p >= 5 && memcmp(j->p, "false", 5) == 0) {
		j->p += 5;
		kind = ZV_JOTHER;
	} else {
		if (!j_number(j))
			return false;
		len = (uint32_t)(j->p - st);
		kind = ZV_JNUM;
	}
	if (v) {
		v->p = st;
		v->len = len;
		v->col = (uint32_t)(at - j->s) + 1;
		v->kind = kind;
		v->esc = esc;
	}
	return true;
}

/* An object at j->p: each member's key is key[0..klen) + "." + its name
 * (klen 0: its name); a member that names a field we use fills z->v. A
 * key longer than ZK_MAX_KEY names none. */
static bool j_object(struct zctx *z, struct jp *j, char *key, size_t klen,
                     unsigned depth)
{
	if (depth > ZK_MAX_DEPTH)
		return j_err(j, "nested too deep");
	j->p++;
	j_ws(j);
	if (j->p < j->e && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		j_ws(j);
		if (j->p >= j->e || *j->p != '"')
			return j_err(j, "expected a key (a string)");
		const char *s;
		size_t n;
		bool esc;
		if (!j_string(j, &s, &n, &esc))
			return false;
		j_ws(j);
		if (j->p >= j->e || *j->p != ':')
			return j_err(j, "expected ':' after a key");
		j->p++;
		j_ws(j);
		bool obj = j->p < j->e && *j->p == '{';
		/* The whole name: the key itself at the top level (no copy),
		 * else the parents' names, '.', the key, in key[]. */
		size_t kl = klen, room = ZK_MAX_KEY - 1;
		const char *name = s;
		bool fits = key != NULL;
		if (fits && (kl || esc || obj)) {
			if (kl) {
				if (kl + 1 > room)
					fits = false;
				else
					key[kl++] = '.';
			}
			long k = !fits ? -1
			         : esc ? json_unescape(s, n, key + kl, room - kl)
			               : (n <= room - kl ? (long)n : -1);
			if (k < 0) {
				fits = false;
			} else {
				if (!esc)
					memcpy(key + kl, s, n);
				kl += (size_t)k;
				name = key;
			}
		} else {
			kl = n;
		}
		enum zf f = fits ? zf_lookup(name, kl) : ZF_NONE;
		if (!j_value(z, j, f && !obj ? &z->v[f] : NULL,
		             fits && obj ? key : NULL, fits && obj ? kl : 0,
		             depth))
			return false;
		j_ws(j);
		if (j->p < j->e && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->e && *j->p == '}') {
			j->p++;
			return true;
		}
		return j_err(j, "expected ',' or '}'");
	}
}

static int json_record(struct zctx *z, const char *line, size_t len,
                       size_t at)
{
	struct jp j = { line, line + at, line + len, NULL, NULL };
	char key[ZK_MAX_KEY];
	if (j_object(z, &j, key, 0, 1)) {
		j_ws(&j);
		if (j.p == j.e)
			return 0;
		j_err(&j, "more after the JSON object");
	}
	return bad(z, (size_t)(j.at - line) + 1, "JSON: %s", j.what);
}

/* ---- values -------------------------------------------------------------- */

/* A field that must be there and set. 0, or the bad() status. */
static int need(struct zctx *z, enum zf f)
{
	const struct zval *v = &z->v[f];
	if (v->kind == ZV_ABSENT)
		return bad(z, 1, "no %s: not a Zeek conn.log record", zf_name[f]);
	if (v->kind == ZV_UNSET || v->kind == ZV_EMPTY)
		return bad(z, v->col, "%s is unset", zf_name[f]);
	return 0;
}

/* Is a field there with a value? */
static bool has(const struct zctx *z, enum zf f)
{
	uint8_t k = z->v[f].kind;
	return k != ZV_ABSENT && k != ZV_UNSET && k != ZV_EMPTY;
}

/* The text of field f, escapes decoded (into tmp if it has any). 0, or the
 * bad() status. */
static int text(struct zctx *z, enum zf f, char *tmp, const char **s,
                size_t *n)
{
	const struct zval *v = &z->v[f];
	if (v->kind != ZV_TEXT && v->kind != ZV_JSTR && v->kind != ZV_JNUM)
		return bad(z, v->col, "%s: expected a string or number",
		           zf_name[f]);
	*s = v->p;
	*n = v->len;
	if (!v->esc)
		return 0;
	long k = v->kind == ZV_TEXT ? tsv_unescape(v->p, v->len, tmp, ZK_MAX_VAL)
	                            : json_unescape(v->p, v->len, tmp,
	                                            ZK_MAX_VAL);
	if (k < 0)
		return bad(z, v->col, "%s: a bad escape or too long: '%s'",
		           zf_name[f], shown(v->p, v->len, (char[64]){0}, 64));
	*s = tmp;
	*n = (size_t)k;
	return 0;
}

/* A whole number field of at most max; 0 (and *out 0) when unset or
 * absent. */
static int number(struct zctx *z, enum zf f, uint64_t max, uint64_t *out)
{
	char tmp[ZK_MAX_VAL];
	const char *s;
	size_t n;
	int rc;
	const struct zval *v = &z->v[f];
	if (v->kind == ZV_TEXT && !v->esc && parse_uint(v->p, v->len, max, out))
		return 0; /* the common case, at once */
	*out = 0;
	if (!has(z, f))
		return 0;
	if ((rc = text(z, f, tmp, &s, &n)) != 0)
		return rc;
	if (!parse_uint(s, n, max, out) && max == UINT64_MAX)
		return bad(z, z->v[f].col, "%s: '%s' is not a whole number",
		           zf_name[f], shown(s, n, (char[64]){0}, 64));
	if (!parse_uint(s, n, max, out))
		return bad(z, z->v[f].col, "%s: '%s' is not a whole number from 0 "
		           "to %llu", zf_name[f], shown(s, n, (char[64]){0}, 64),
		           (unsigned long long)max);
	return 0;
}

static int address(struct zctx *z, enum zf f, uint8_t *family,
                   uint8_t *addr)
{
	char tmp[ZK_MAX_VAL];
	const char *s;
	size_t n;
	int rc;
	if ((rc = need(z, f)) != 0 || (rc = text(z, f, tmp, &s, &n)) != 0)
		return rc;
	if (!parse_addr(s, n, family, addr))
		return bad(z, z->v[f].col, "%s: '%s' is not an IP address",
		           zf_name[f], shown(s, n, (char[64]){0}, 64));
	return 0;
}

/* ---- the flow ------------------------------------------------------------ */

/* What a history string says (uppercase: the originator, lowercase: the
 * responder; '^': Zeek flipped the roles, the letters are already
 * relative to the flipped ones). */
struct hist {
	bool known, flip;
	bool syn[2], synack[2];
	bool orig_other;  /* an originator letter other than S */
	bool resp_any;    /* a responder letter */
	uint8_t flags[2]; /* CAP_TH_* */
};

static void hist_scan(const char *s, size_t n, struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->known = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '^') {
			h->flip = true;
			continue;
		}
		int d;
		if (c >= 'A' && c <= 'Z')
			d = 0;
		else if (c >= 'a' && c <= 'z')
			d = 1;
		else
			continue;
		char u = (char)(c & ~0x20);
		switch (u) {
		case 'S': h->flags[d] |= CAP_TH_SYN; h->syn[d] = true; break;
		case 'H':
			h->flags[d] |= CAP_TH_SYN | CAP_TH_ACK;
			h->synack[d] = true;
			break;
		case 'A': h->flags[d] |= CAP_TH_ACK; break;
		case 'D': h->flags[d] |= CAP_TH_PSH; break;
		case 'F': h->flags[d] |= CAP_TH_FIN; break;
		case 'R': h->flags[d] |= CAP_TH_RST; break;
		default: break;
		}
		if (d == 0 && u != 'S')
			h->orig_other = true;
		if (d == 1)
			h->resp_any = true;
	}
}

/* Zeek's conn_state values, the outcome each means before the history
 * refines it, and whether the initiator is only a guess. */
static const struct {
	const char *name;
	uint8_t len;
	uint8_t outcome;
	bool inferred;
} states[] = {
	{ "S0", 2, CAP_OUT_UNANSWERED, false },  /* SYN, no reply */
	{ "RSTOS0", 6, CAP_OUT_UNANSWERED, false }, /* SYN then RST, no reply */
	{ "SH", 2, CAP_OUT_UNANSWERED, false },  /* SYN then FIN, no reply */
	{ "REJ", 3, CAP_OUT_REJECTED, false },
	{ "S1", 2, CAP_OUT_ESTABLISHED, false },
	{ "SF", 2, CAP_OUT_CLOSED, false },
	{ "S2", 2, CAP_OUT_CLOSED, false },
	{ "S3", 2, CAP_OUT_CLOSED, false },
	{ "RSTO", 4, CAP_OUT_CLOSED, false },
	{ "RSTR", 4, CAP_OUT_CLOSED, false },
	{ "RSTRH", 5, CAP_OUT_MIDSTREAM, true }, /* responder only, then RST */
	{ "SHR", 3, CAP_OUT_MIDSTREAM, true },   /* responder only, then FIN */
	{ "OTH", 3, CAP_OUT_MIDSTREAM, true },   /* no SYN seen */
};

/* ICMP types that Zeek pairs (ICMP4_counterpart/ICMP6_counterpart): its
 * resp_p is then the other type, not a code. The request of each pair
 * first. */
static const uint8_t icmp4_pairs[][2] = {
	{ 8, 0 }, { 13, 14 }, { 15, 16 }, { 10, 9 }, { 17, 18 },
};
static const uint8_t icmp6_pairs[][2] = {
	{ 128, 129 }, { 133, 134 }, { 135, 136 }, { 130, 131 }, { 139, 140 },
	{ 144, 145 },
};

static bool icmp_paired(uint8_t proto, uint8_t type)
{
	const uint8_t(*t)[2] = proto == 1 ? icmp4_pairs : icmp6_pairs;
	size_t n = proto == 1 ? sizeof icmp4_pairs / sizeof icmp4_pairs[0]
	                      : sizeof icmp6_pairs / sizeof icmp6_pairs[0];
	for (size_t i = 0; i < n; i++)
		if (t[i][0] == type || t[i][1] == type)
			return true;
	return false;
}

static bool icmp_err_type(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 3 || type == 11;
	return type == 1 || type == 2 || type == 3;
}

static void swap_sides(struct cap_flow *f)
{
	uint8_t a[16];
	memcpy(a, f->addr_a, 16);
	memcpy(f->addr_a, f->addr_b, 16);
	memcpy(f->addr_b, a, 16);
	uint16_t p = f->port_a;
	f->port_a = f->port_b;
	f->port_b = p;
	uint32_t k = f->pkts[0];
	f->pkts[0] = f->pkts[1];
	f->pkts[1] = k;
	uint64_t b = f->bytes[0];
	f->bytes[0] = f->bytes[1];
	f->bytes[1] = b;
	uint8_t fl = f->flags[0];
	f->flags[0] = f->flags[1];
	f->flags[1] = fl;
}

/* The record in z->v as a flow, handed on. 0, or the bad() status. */
static int record_flow(struct zctx *z)
{
	struct cap_flow f;
	char tmp[ZK_MAX_VAL];
	const char *s;
	size_t n;
	int rc;
	memset(&f, 0, sizeof f);
	for (size_t i = 0; i < sizeof zf_required / sizeof zf_required[0]; i++)
		if ((rc = need(z, zf_required[i])) != 0)
			return rc;

	/* Time: ts and duration. */
	if ((rc = text(z, ZF_TS, tmp, &s, &n)) != 0)
		return rc;
	if (!parse_time(s, n, &f.first_ns))
		return bad(z, z->v[ZF_TS].col, "ts: '%s' is not a time (epoch "
		           "seconds, milliseconds or ISO 8601)",
		           shown(s, n, (char[64]){0}, 64));
	f.last_ns = f.first_ns;
	if (has(z, ZF_DURATION)) {
		uint64_t m, d;
		int e;
		if ((rc = text(z, ZF_DURATION, tmp, &s, &n)) != 0)
			return rc;
		if ((!sec_ns(s, n, &d) && (!parse_dec(s, n, &m, &e) ||
		                           !dec_scale(m, e + 9, &d))) ||
		    d > UINT64_MAX - f.first_ns)
			return bad(z, z->v[ZF_DURATION].col, "duration: '%s' is "
			           "not a number of seconds",
			           shown(s, n, (char[64]){0}, 64));
		f.last_ns = f.first_ns + d;
	}

	/* Addresses and protocol. */
	uint8_t fam_b;
	if ((rc = address(z, ZF_ORIG_H, &f.family, f.addr_a)) != 0 ||
	    (rc = address(z, ZF_RESP_H, &fam_b, f.addr_b)) != 0)
		return rc;
	if (fam_b != f.family)
		return bad(z, z->v[ZF_RESP_H].col, "id.resp_h is IPv%u but "
		           "id.orig_h IPv%u", fam_b, f.family);
	if ((rc = text(z, ZF_PROTO, tmp, &s, &n)) != 0)
		return rc;
	if (n == 3 && memcmp(s, "tcp", 3) == 0) {
		f.proto = 6;
	} else if (n == 3 && memcmp(s, "udp", 3) == 0) {
		f.proto = 17;
	} else if (n == 4 && memcmp(s, "icmp", 4) == 0) {
		f.proto = f.family == 4 ? 1 : 58;
	} else if (n == 17 && memcmp(s, "unknown_transport", 17) == 0 &&
	           has(z, ZF_IP_PROTO)) {
		uint64_t ipp;
		if ((rc = number(z, ZF_IP_PROTO, 255, &ipp)) != 0)
			return rc;
		f.proto = (uint8_t)ipp;
	} else {
		return bad(z, z->v[ZF_PROTO].col, "proto: '%s' is not tcp, udp, "
		           "icmp, or unknown_transport with an ip_proto",
		           shown(s, n, (char[64]){0}, 64));
	}
	bool icmp = f.proto == 1 || f.proto == 58;
	bool ported = f.proto == 6 || f.proto == 17 || icmp;
	uint64_t op = 0, rp = 0;
	if ((rc = number(z, ZF_ORIG_P, ported ? (icmp ? 255 : 65535) : 65535,
	                 &op)) != 0 ||
	    (rc = number(z, ZF_RESP_P, ported ? (icmp ? 255 : 65535) : 65535,
	                 &rp)) != 0)
		return rc;
	if (ported && !icmp) {
		f.port_a = (uint16_t)op;
		f.port_b = (uint16_t)rp;
	}

	/* Packets and layer-3 bytes each way. */
	uint64_t opk, rpk, ob, rb, missed, vlan = 0;
	if ((rc = number(z, ZF_ORIG_PKTS, UINT64_MAX, &opk)) != 0 ||
	    (rc = number(z, ZF_RESP_PKTS, UINT64_MAX, &rpk)) != 0 ||
	    (rc = number(z, ZF_ORIG_IPB, UINT64_MAX, &ob)) != 0 ||
	    (rc = number(z, ZF_RESP_IPB, UINT64_MAX, &rb)) != 0 ||
	    (rc = number(z, ZF_MISSED, UINT64_MAX, &missed)) != 0)
		return rc;
	bool pkts_known = has(z, ZF_ORIG_PKTS) && has(z, ZF_RESP_PKTS);
	f.pkts[0] = opk > UINT32_MAX ? UINT32_MAX : (uint32_t)opk;
	f.pkts[1] = rpk > UINT32_MAX ? UINT32_MAX : (uint32_t)rpk;
	f.bytes[0] = ob;
	f.bytes[1] = rb;
	enum zf vf = has(z, ZF_VLAN) ? ZF_VLAN : ZF_CTX_VLAN;
	if ((rc = number(z, vf, 4095, &vlan)) != 0)
		return rc;
	f.vlan = (uint16_t)vlan;

	/* conn_state and history. */
	if ((rc = text(z, ZF_STATE, tmp, &s, &n)) != 0)
		return rc;
	size_t st = 0, nst = sizeof states / sizeof states[0];
	while (st < nst && !(states[st].len == n &&
	                     memcmp(states[st].name, s, n) == 0))
		st++;
	if (st == nst)
		return bad(z, z->v[ZF_STATE].col, "conn_state: '%s' is not one "
		           "of Zeek's states (S0, S1, SF, REJ, S2, S3, RSTO, "
		           "RSTR, RSTOS0, RSTRH, SH, SHR, OTH)",
		           shown(s, n, (char[64]){0}, 64));
	struct hist h;
	memset(&h, 0, sizeof h);
	if (has(z, ZF_HISTORY)) {
		if ((rc = text(z, ZF_HISTORY, tmp, &s, &n)) != 0)
			return rc;
		hist_scan(s, n, &h);
	}

	uint8_t outcome;
	bool inferred = false;
	if (f.proto == 6) {
		if (h.known) {
			f.flags[0] = h.flags[0];
			f.flags[1] = h.flags[1];
			/* A Zeek that did not flip: the only handshake the
			 * history shows points the other way (the responder
			 * sent the bare SYN, or the originator the SYN-ACK). */
			if (!h.flip && !h.syn[0] && !h.synack[1] &&
			    (h.syn[1] || h.synack[0])) {
				swap_sides(&f);
				bool t = h.syn[0];
				h.syn[0] = h.syn[1];
				h.syn[1] = t;
				t = h.synack[0];
				h.synack[0] = h.synack[1];
				h.synack[1] = t;
				h.orig_other = true; /* unknown: no SYN count */
				h.resp_any = true;
			}
		}
		outcome = states[st].outcome;
		inferred = states[st].inferred;
		if (h.known && outcome != CAP_OUT_REJECTED) {
			/* The history says what the packet path decides on
			 * (docs/flows.md, "Outcome"): the responder's SYN-ACK
			 * is its acceptance, and names the initiator; then a
			 * FIN or RST either way closed it. A SYN that nothing
			 * answered is unanswered; anything else midstream. */
			bool ended = ((h.flags[0] | h.flags[1]) &
			              (CAP_TH_FIN | CAP_TH_RST)) != 0;
			bool replied = pkts_known ? f.pkts[1] > 0 : h.resp_any;
			if (h.synack[1])
				outcome = ended ? CAP_OUT_CLOSED
				                : CAP_OUT_ESTABLISHED;
			else if (h.syn[0] && !replied)
				outcome = CAP_OUT_UNANSWERED;
			else
				outcome = CAP_OUT_MIDSTREAM;
		}
		if (h.known) {
			inferred = !h.syn[0] && !h.synack[1];
			/* Every originator packet a SYN: the retries. */
			if (h.syn[0] && !h.orig_other && !h.synack[1] &&
			    f.pkts[0] > 1)
				f.syn_retries = f.pkts[0] - 1 > 255
				                        ? 255
				                        : (uint8_t)(f.pkts[0] - 1);
		}
	} else if (icmp) {
		/* Zeek: orig_p the type, resp_p the paired type or the code.
		 * portaudit: port_a the echo id (Zeek has none: 0), port_b
		 * type << 8 | code, the request's type for echo. */
		uint8_t type = (uint8_t)op, code = 0;
		uint8_t req = f.proto == 1 ? 8 : 128, rep = f.proto == 1 ? 0 : 129;
		bool echo = type == req || type == rep;
		if (!icmp_paired(f.proto, type))
			code = (uint8_t)rp;
		if (type == rep) {
			swap_sides(&f); /* the reply's sender is the responder */
			type = req;
		}
		f.port_a = 0;
		f.port_b = (uint16_t)(type << 8 | code);
		if (icmp_err_type(f.proto, type)) {
			f.icmp_type = type;
			f.icmp_code = code;
		}
		if (f.icmp_type && f.pkts[1] == 0)
			outcome = CAP_OUT_UNREACHABLE;
		else if (echo)
			outcome = f.pkts[1] > 0 ? CAP_OUT_REPLIED
			                        : CAP_OUT_UNANSWERED;
		else
			outcome = f.pkts[0] > 0 && f.pkts[1] > 0
			                  ? CAP_OUT_REPLIED : CAP_OUT_ONEWAY;
	} else {
		if (pkts_known)
			outcome = f.pkts[0] > 0 && f.pkts[1] > 0
			                  ? CAP_OUT_REPLIED : CAP_OUT_ONEWAY;
		else
			outcome = strcmp(states[st].name, "SF") == 0
			                  ? CAP_OUT_REPLIED : CAP_OUT_ONEWAY;
		inferred = h.flip;
	}
	f.outcome = outcome;
	f.initiator_inferred = inferred ? 1 : 0;

	/* What the flow cannot carry, counted for the report. */
	if (missed > 0)
		z->rs->missed_bytes = true;
	const struct zval *tp = &z->v[ZF_TUNNEL];
	if ((tp->kind == ZV_TEXT && tp->len > 0) ||
	    (tp->kind == ZV_JARR && tp->len > 0) ||
	    (tp->kind == ZV_JSTR && tp->len > 0))
		z->rs->tunneled++;
	if (inferred)
		z->rs->initiators_guessed = true;
	if (z->rs->sampling > 1 && (f.outcome == CAP_OUT_UNANSWERED ||
	                            f.outcome == CAP_OUT_ONEWAY))
		f.reply_unsure = CAP_UNSURE_SAMPLED; /* --sampling N */
	if (z->fn)
		z->fn(&f, z->fnctx);
	return 0;
}

/* ---- lines and files ----------------------------------------------------- */

/* One line (without its newline). 0, or -1 with z->err (a record that
 * does not parse, with skip_bad, is counted and gives 0). */
static int do_line(struct zctx *z, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	if (line[0] == '#')
		return header_line(z, line, len);
	size_t at = 0;
	while (at < len && (line[at] == ' ' || line[at] == '\t'))
		at++;
	int rc;
	if (at < len && line[at] == '{') {
		memset(z->v, 0, sizeof z->v);
		z->v_json = true;
		rc = json_record(z, line, len, at);
	} else {
		if ((!z->have_fields || z->plain) && plain_header(z, line, len)) {
			header_reset(z);
			rc = set_fields(z, line, line, line + len);
			z->plain = true;
			return rc;
		}
		if (!z->have_fields)
			return fail(z, 1, "not a Zeek conn.log: a record before "
			            "any #fields header (and not a JSON object)");
		/* Each TSV record sets every column the header names, and
		 * only those: clear what a JSON record left. */
		if (z->v_json) {
			memset(z->v, 0, sizeof z->v);
			z->v_json = false;
		}
		rc = tsv_record(z, line, len);
	}
	if (rc == 0)
		rc = record_flow(z);
	if (rc == 0)
		z->rs->records++; /* handed on; a malformed one is counted in
		                   * rs->malformed alone (bad) */
	return rc < 0 ? -1 : 0;
}

static void warn_last(const struct zctx *z, const char *why)
{
	fprintf(stderr, "portaudit: %s:%llu: warning: %s\n", z->name,
	        (unsigned long long)z->line, why);
}

/* Read one stream (a file, or standard input when path is "-") to its
 * end. 0, or -1 with z->err. */
/* ---- the byte source: plain or gzip, read as it comes ------------------ */

#define ZIN_BUF (128u * 1024)

struct zin {
	int fd;
	bool gz;                   /* a gzip stream (magic 1f 8b) */
	bool zinit;                /* zs initialised */
	bool member_open;          /* inside a gzip member (not at its end) */
	bool cut;                  /* EOF inside a gzip member */
	bool eof;
	z_stream zs;
	unsigned char *in;         /* ZIN_BUF bytes read but not yet used */
	size_t ipos, ilen;
};

/* Fill z->in from the file when it is empty: > 0 bytes, 0 at the end,
 * -1 on an error (errno; EINTR loses nothing). */
static ssize_t zin_fill(struct zin *r)
{
	if (r->ipos < r->ilen)
		return (ssize_t)(r->ilen - r->ipos);
	if (r->eof)
		return 0;
	ssize_t n = read(r->fd, r->in, ZIN_BUF);
	if (n < 0)
		return -1;
	r->ipos = 0;
	r->ilen = (size_t)n;
	if (n == 0)
		r->eof = true;
	return n;
}

/* Up to `len` bytes of the (decompressed) stream into dst, as soon as
 * some are there: > 0, 0 at its end, -1 with errno set (or, for a gzip
 * error, errno 0 and *msg set). */
static ssize_t zin_read(struct zin *r, char *dst, size_t len,
                        const char **msg)
{
	*msg = NULL;
	for (;;) {
		ssize_t n = zin_fill(r);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (r->gz && r->member_open)
				r->cut = true;
			return 0;
		}
		if (!r->gz) {
			size_t k = r->ilen - r->ipos < len ? r->ilen - r->ipos : len;
			memcpy(dst, r->in + r->ipos, k);
			r->ipos += k;
			return (ssize_t)k;
		}
		if (!r->member_open) {
			/* A member ends; another may follow (a rotated log
			 * concatenated): it starts with the magic, or the rest
			 * is trailing bytes gzip itself would ignore. */
			if (r->in[r->ipos] != 0x1f) {
				r->ipos = r->ilen;
				r->eof = true;
				return 0;
			}
			if (inflateReset(&r->zs) != Z_OK) {
				*msg = "cannot restart inflate";
				errno = 0;
				return -1;
			}
			r->member_open = true;
		}
		r->zs.next_in = r->in + r->ipos;
		r->zs.avail_in = (uInt)(r->ilen - r->ipos);
		r->zs.next_out = (Bytef *)dst;
		r->zs.avail_out = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
		int zr = inflate(&r->zs, Z_NO_FLUSH);
		r->ipos = r->ilen - r->zs.avail_in;
		size_t out = len - r->zs.avail_out;
		if (zr == Z_STREAM_END)
			r->member_open = false;
		else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			*msg = r->zs.msg ? r->zs.msg : "corrupt data";
			errno = 0;
			return -1;
		}
		if (out)
			return (ssize_t)out;
	}
}

/* Open the source: decide plain or gzip from its first two bytes. */
static int zin_open(struct zin *r, int fd, const char **msg)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	*msg = NULL;
	if (!(r->in = malloc(ZIN_BUF))) {
		*msg = "out of memory";
		errno = 0;
		return -1;
	}
	/* Two bytes decide; a pipe may bring them one read at a time. */
	while (r->ilen < 2 && !r->eof) {
		ssize_t n = read(fd, r->in + r->ilen, ZIN_BUF - r->ilen);
		if (n < 0) {
			if (errno == EINTR && !cap_signal_seen())
				continue;
			return -1;
		}
		if (n == 0)
			r->eof = true;
		r->ilen += (size_t)n;
	}
	if (r->ilen >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
		if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
			*msg = "out of memory";
			errno = 0;
			return -1;
		}
		r->gz = r->zinit = r->member_open = true;
	}
	return 0;
}

static void zin_close(struct zin *r)
{
	if (r->zinit)
		inflateEnd(&r->zs);
	free(r->in);
	close(r->fd);
}

static int read_stream(struct zctx *z, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	z->name = is_stdin ? "stdin" : path;
	z->line = 0;
	header_reset(z);
	int fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(z->err, z->errlen, "%s: cannot open: %s", z->name,
		         strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
		close(fd);
		snprintf(z->err, z->errlen, "%s: empty file (0 bytes), not a "
		         "Zeek conn.log", z->name);
		return -1;
	}
	struct zin in;
	const char *zmsg;
	if (zin_open(&in, fd, &zmsg) != 0) {
		if (!zmsg && cap_signal_seen()) {
			zin_close(&in);
			return 0;
		}
		snprintf(z->err, z->errlen, "%s: %s", z->name,
		         zmsg ? zmsg : strerror(errno));
		zin_close(&in);
		return -1;
	}

	char *buf = z->buf;
	size_t start = 0, end = 0;
	uint64_t total = 0;
	bool eof = false, discard = false;
	int rc = 0;
	while (rc == 0) {
		char *nl = memchr(buf + start, '\n', end - start);
		if (nl) {
			size_t len = (size_t)(nl - (buf + start));
			if (discard) {
				discard = false; /* the end of a long line */
			} else if (len > ZK_MAX_LINE) {
				z->line++;
				rc = bad(z, ZK_MAX_LINE + 1, "a line longer than "
				         "%u bytes", ZK_MAX_LINE) < 0 ? -1 : 0;
			} else {
				z->line++;
				rc = do_line(z, buf + start, len);
			}
			start += len + 1;
			continue;
		}
		if (discard) {
			start = end = 0;
		} else if (end - start > ZK_MAX_LINE) {
			z->line++;
			if (bad(z, ZK_MAX_LINE + 1, "a line longer than %u bytes",
			        ZK_MAX_LINE) < 0) {
				rc = -1;
				break;
			}
			discard = true;
			start = end = 0;
			continue;
		}
		if (eof) {
			if (end > start && !discard) {
				/* A last line without its newline: a file
				 * still being written, or cut. */
				z->line++;
				uint64_t before = z->rs->malformed;
				bool skip = z->skip_bad;
				z->skip_bad = true;
				rc = do_line(z, buf + start, end - start);
				z->skip_bad = skip;
				if (rc == 0 && z->rs->malformed > before)
					z->rs->cut = true;
				if (rc == 0 && z->rs->malformed > before)
					warn_last(z, "the last line is incomplete "
					          "(the file is still being "
					          "written, or was cut): skipped");
			}
			break;
		}
		if (start > 0) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if (cap_signal_seen())
			break; /* SIGINT/SIGTERM: the lines so far are judged */
		ssize_t got = zin_read(&in, buf + end, ZK_BUF - end, &zmsg);
		if (got < 0) {
			if (!zmsg && errno == EINTR) {
				/* A signal while the source was quiet: SIGUSR1
				 * prints the counters and the reading goes on;
				 * SIGINT/SIGTERM end it (checked above; a partial
				 * line is dropped). Nothing read is lost. */
				cap_rec_counters();
				continue;
			}
			snprintf(z->err, z->errlen, "%s:%llu: %s: %s", z->name,
			         (unsigned long long)z->line + 1,
			         zmsg ? "gzip data" : "read error",
			         zmsg ? zmsg : strerror(errno));
			rc = -1;
			break;
		}
		if (got == 0) {
			eof = true;
			if (in.cut)
				z->rs->cut = true;
			if (in.cut)
				warn_last(z, "the gzip stream ends early (cut "
				          "short): the records before are kept");
		}
		end += (size_t)got;
		total += (uint64_t)got;
	}
	zin_close(&in);
	if (rc == 0 && total == 0 && !cap_signal_seen()) {
		snprintf(z->err, z->errlen, "%s: empty, not a Zeek conn.log",
		         z->name);
		rc = -1;
	}
	return rc;
}

/* Conn logs of a directory: names starting with "conn" (conn.log,
 * conn.log.gz, conn.00:00:00-01:00:00.log.gz, ...), not zeekctl's
 * conn-summary reports, not hidden. */
static bool conn_name(const char *n)
{
	return strncmp(n, "conn", 4) == 0 && strncmp(n, "conn-summary", 12) != 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_dir(struct zctx *z, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(z->err, z->errlen, "%s: cannot open: %s", dir,
		         strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!conn_name(de->d_name))
			continue;
		if (n == ZK_MAX_FILES) {
			snprintf(z->err, z->errlen, "%s: more than %u conn logs",
			         dir, ZK_MAX_FILES);
			rc = -1;
			break;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **nn = realloc(names, nc * sizeof *nn);
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
			cap = nc;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc != 0 && !z->err[0])
		snprintf(z->err, z->errlen, "%s: out of memory", dir);
	if (rc == 0 && n)
		qsort(names, n, sizeof *names, cmp_name);
	size_t read = 0, skipped = 0;
	uint64_t records = z->rs->records;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char path[4096];
		int k = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (k < 0 || (size_t)k >= sizeof path) {
			snprintf(z->err, z->errlen, "%s/%s: path too long", dir,
			         names[i]);
			rc = -1;
			break;
		}
		struct stat sb;
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue; /* a subdirectory, a dangling link */
		rc = read_stream(z, path);
		if (rc != 0 && z->skip_bad) {
			/* the rest of this file is skipped, the records read
			 * before are kept, and the report says so */
			cap_rec_skip(z->rs, z->err);
			z->err[0] = '\0';
			rc = 0;
			skipped++;
			continue;
		}
		read++;
	}
	if (rc == 0 && read == 0 && skipped && z->rs->records == records) {
		snprintf(z->err, z->errlen, "%s: no conn log in the directory "
		         "could be read (%s)", dir, z->rs->skipped_what);
		rc = -1;
	} else if (rc == 0 && read == 0 && !skipped) {
		snprintf(z->err, z->errlen, "%s: no conn log in the directory "
		         "(a file whose name starts with 'conn')", dir);
		rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int cap_zeek_read(const char *path, cap_flow_fn fn, void *ctx,
                  struct cap_rec_stats *rs, bool skip_bad, char *err,
                  size_t errlen)
{
	struct zctx *z = calloc(1, sizeof *z);
	char *buf = malloc(ZK_BUF);
	if (!z || !buf) {
		free(z);
		free(buf);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (errlen)
		err[0] = '\0';
	static struct cap_rec_stats none;
	z->fn = fn;
	z->fnctx = ctx;
	z->rs = rs ? rs : &none;
	z->skip_bad = skip_bad;
	z->err = err;
	z->errlen = errlen;
	z->buf = buf;
	struct stat sb;
	int rc;
	if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 &&
	    S_ISDIR(sb.st_mode))
		rc = read_dir(z, path);
	else
		rc = read_stream(z, path);
	free(buf);
	free(z);
	return rc;
}
