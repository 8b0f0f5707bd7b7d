/*
 * nfdump.c -- --flows nfdump:PATH: nfcapd files (or a directory of them)
 * read through the real `nfdump -o json`, each record mapped to struct
 * cap_record and handed to the pairer (pairing.c).
 *
 * Design. nfcapd's file format changes between nfdump versions (LZO, LZ4,
 * bz2, ZSTD blocks, V3 records), so portaudit does not read it: it runs
 * the nfdump binary that wrote it, `nfdump -r FILE -o json` or `nfdump -R
 * DIR -o json` (every file of the directory, in name order, so a day of
 * rotated files is read as one stream), with TZ=UTC0 in its environment:
 * nfdump 1.7 prints times in local time without a zone ("first" :
 * "2026-01-05T10:00:00.005"), so UTC is the only zone that reads back
 * right. Its standard error goes to an unlinked temporary file: nfdump
 * 1.7.1 exits 0 on a file that is not an nfcapd file ("bad magic") or a
 * directory without one ("Empty file list"), so any message there is an
 * error (a warning with --skip-bad-records), and the message is quoted.
 *
 * Reading. nfdump is the slow half of this path (about 4 to 6 us of CPU
 * per record to print its JSON), and portaudit's own share must stay a
 * small fraction of it (issue 12). Parsing each record into a jansson
 * tree cost 3.5 to 4.5 times nfdump's time (the tree, its malloc/free, a
 * getc per byte), so nothing of that remains: the standard output is
 * read with read(2) into one NF_BUF buffer (allocated once per run; nfdump
 * writes 4 KiB at a time, more slowly than it is read, so after a read
 * of less than NF_READ_MIN from a pipe the next waits NF_READ_WAIT_NS:
 * 5,290 reads instead of 88,516 for 1M records, portaudit's own CPU
 * 1.1 s instead of 1.9, nfdump's system time a third of what it was --
 * docs/flows.md), and
 * each top-level object is scanned in place by nf_scan (nfjson.c): one
 * pass, JSON's grammar checked as strictly as jansson checked it (the
 * same records refused: "not JSON", with what and where), the values of
 * the keys map_record reads noted as slices (no copy, no allocation; a
 * duplicate key keeps its last value as jansson did), everything else
 * validated and skipped. A record that straddles the end of the buffer
 * is moved to its front and more is read; one that is not complete, or
 * not JSON, is delimited as before by its brackets outside strings
 * (split()), over as many reads as it takes, so that the same bytes make
 * one record; one longer than NF_RECORD_MAX is counted but not kept.
 * map_record reads integers (JSON integers only), strings (decoded into
 * a small stack buffer only when they hold an escape), IPv4 addresses by
 * glibc's inet_pton4 rules on the slice, times by fixed columns with the
 * day kept from the record before. The output as a whole is never in
 * memory. About 6,200 instructions per record in all (callgrind, pairing
 * and classification included), against 91,500 with jansson.
 *
 * Fields read (nfdump 1.7's JSON, output_json.c): type ("FLOW"; NSEL/NEL
 * events are skipped), first, last, proto, src4_addr/dst4_addr or
 * src6_addr/dst6_addr, src_port/dst_port (icmp_type/icmp_code for ICMP),
 * in_packets, in_bytes, out_packets/out_bytes (present for biflows and
 * aggregated records), tcp_flags ("...AP.SF": CWR ECE URG ACK PSH RST SYN
 * FIN, one column each), src_vlan, sampled, export_sysid, ip4_router or
 * ip6_router. nfdump's "direction" is flowDirection (ingress/egress), not
 * biflowDirection, which its JSON does not print.
 *
 * Biflows. nfcapd 1.7.1 maps RFC 5103's reverse counters to out_packets
 * and out_bytes, but its reverse map stops there: a reverse
 * tcpControlBits is stored over the forward one (the last in the
 * template wins). For a biflow with packets both ways (out_packets > 0)
 * the flags nfdump prints are therefore taken as the reverse side's (RFC
 * 5103 exporters -- softflowd -b, YAF, nProbe -- all send them), and the
 * forward side's are reconstructed from what TCP allows: when the reverse
 * side sent SYN and ACK a handshake completed, so the forward side sent
 * SYN and ACK too; when it sent a bare SYN and the forward side answered
 * without accepting, the answer was a RST; otherwise the forward flags
 * are unknown and taken as the reverse's without SYN (midstream).
 *
 * Sampling: nfcapd scales the counters of sampled records by the rate it
 * knows and marks them ("sampled" : 1) without printing the rate, so the
 * report says the records were sampled (CAP_SAMPLING_UNKNOWN) unless
 * --sampling gives the rate.
 *
 * Exporters are (router address, export_sysid); the first NF_EXPORTERS
 * get their own index for the pairer's duplicate test, later ones share
 * the last index.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "capture.h"
#include "nfjson.h"
#include "rec_int.h"
#include "records.h"

#define NF_RECORD_MAX (64u * 1024u)  /* bytes of one JSON record */
#define NF_BUF (256u * 1024u)        /* the read buffer, > NF_RECORD_MAX */
#define NF_READ_MIN (64u * 1024u)    /* a shorter read from a pipe ... */
#define NF_READ_WAIT_NS 1000000L     /* ... waits this long before the next */
#define NF_STR_MAX 64 /* a string value decoded: more than any value read
                       * (a time is 23 bytes, an IPv6 address <= 45) */
#define NF_EXPORTERS 256u
#define NF_STDERR_SHOWN 300

struct nf_exporter {
	uint8_t family;
	uint8_t addr[16];
	uint32_t sysid;
};

struct nfd {
	const char *path;
	struct cap_pairer *p;
	struct cap_rec_stats *rs;
	const struct cap_prefix_opt *allow;
	unsigned nallow;
	bool skip_bad;
	struct nf_exporter ex[NF_EXPORTERS];
	uint32_t nex, last_ex;
	uint64_t clock;
	uint64_t nrec;        /* records in nfdump's output, from 1 */
	char *buf;            /* the read buffer, NF_BUF bytes */
	struct nf_layout layout; /* nfdump's record layouts (nf_scan_layout) */
	char rtext[INET_ADDRSTRLEN]; /* the last ip4_router read ... */
	uint8_t rlen;                /* ... its length (0: none yet) */
	uint8_t raddr[16];           /* ... and its address */
	char day[10];         /* the last date parse_time read ... */
	int64_t day_n;        /* ... in days since 1970-01-01 */
};

const char *cap_nfdump_program(void)
{
	const char *e = getenv("PORTAUDIT_NFDUMP");
	return e && *e ? e : "nfdump";
}

/* The program's path: as given when it holds a '/', else the first
 * executable of that name in $PATH. */
static bool find_program(const char *prog, char *out, size_t len)
{
	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && n < len) {
			int w = snprintf(out, len, "%.*s/%s", (int)n, path, prog);
			struct stat sb;
			if (w > 0 && (size_t)w < len && stat(out, &sb) == 0 &&
			    S_ISREG(sb.st_mode) && access(out, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* ---- values ------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (int64_t)m + (m > 2 ? -3 : 9);
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char *s, unsigned n, unsigned *v)
{
	unsigned x = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return true;
}

/* "2026-01-05T10:00:00.005" (UTC: nfdump ran with TZ=UTC0), n bytes, to
 * ns: fixed columns, days_from_civil (no sscanf, no mktime); the date of
 * the last time read is kept (n->day: a day of records has one). */
static bool parse_time(struct nfd *n, const char *s, size_t len,
                       uint64_t *ns)
{
	unsigned y, mo, d, h, mi, se, ms = 0;
	if (len < 19 || (s[10] != 'T' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &se))
		return false;
	if (len != 19 && (len != 23 || s[19] != '.' || !digits(s + 20, 3, &ms)))
		return false;
	if (h > 23 || mi > 59 || se > 60)
		return false;
	if (memcmp(s, n->day, 10) != 0) {
		if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
		    s[7] != '-' || !digits(s + 8, 2, &d) || y < 1970 || mo < 1 ||
		    mo > 12 || d < 1 || d > 31)
			return false;
		n->day_n = days_from_civil((int64_t)y, mo, d);
		memcpy(n->day, s, 10);
	}
	int64_t secs = n->day_n * 86400 + (int64_t)h * 3600 +
	               (int64_t)mi * 60 + (int64_t)se;
	if (secs < 0)
		return false;
	*ns = (uint64_t)secs * CAP_NS_PER_S + (uint64_t)ms * 1000000u;
	return true;
}

/* "CEUAPRSF" with '.' for a clear flag, n bytes. */
static bool parse_flags(const char *s, size_t n, uint8_t *out)
{
	static const char names[] = "CEUAPRSF";
	if (n != 8)
		return false;
	unsigned v = 0;
	for (unsigned i = 0; i < 8; i++) {
		if (s[i] == names[i])
			v |= 1u << (7 - i);
		else if (s[i] != '.')
			return false;
	}
	*out = (uint8_t)v;
	return true;
}

/* glibc's inet_pton4, on a slice: four decimal octets <= 255, no
 * leading zero, nothing else. One octet at a time: one to three digits,
 * then a dot (after the first three) or the end. */
static bool ipv4(const char *s, size_t len, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	uint8_t a[4];
	for (unsigned i = 0; i < 4; i++) {
		if (p >= e || (unsigned)(*p - '0') > 9)
			return false;
		unsigned v = (unsigned)(*p++ - '0');
		if (p < e && (unsigned)(*p - '0') <= 9) {
			if (v == 0)
				return false; /* a leading zero */
			v = v * 10 + (unsigned)(*p++ - '0');
			if (p < e && (unsigned)(*p - '0') <= 9) {
				v = v * 10 + (unsigned)(*p++ - '0');
				if (v > 255 ||
				    (p < e && (unsigned)(*p - '0') <= 9))
					return false;
			}
		}
		a[i] = (uint8_t)v;
		if (i < 3) {
			if (p >= e || *p != '.')
				return false;
			p++;
		}
	}
	if (p != e)
		return false;
	memcpy(out, a, 4);
	return true;
}

/* An address string to out (zeroed first): IPv4 by ipv4() on the slice,
 * IPv6 by inet_pton on a NUL-terminated copy. */
static bool get_addr(const struct nf_fields *f, enum nf_key k, int af,
                     uint8_t *out)
{
	char tmp[NF_STR_MAX], z[NF_STR_MAX];
	const char *s;
	size_t len;
	memset(out, 0, 16);
	if (!nf_str(f, k, tmp, sizeof tmp, &s, &len))
		return false;
	if (af == AF_INET)
		return ipv4(s, len, out);
	if (len >= sizeof z)
		return false;
	memcpy(z, s, len);
	z[len] = 0;
	return inet_pton(af, z, out) == 1;
}

static uint32_t exporter_index(struct nfd *n, uint8_t family,
                               const uint8_t *addr, uint32_t sysid)
{
	if (n->nex && n->ex[n->last_ex].family == family &&
	    n->ex[n->last_ex].sysid == sysid &&
	    memcmp(n->ex[n->last_ex].addr, addr, 16) == 0)
		return n->last_ex;
	for (uint32_t i = 0; i < n->nex; i++)
		if (n->ex[i].family == family && n->ex[i].sysid == sysid &&
		    memcmp(n->ex[i].addr, addr, 16) == 0)
			return n->last_ex = i;
	if (n->nex == NF_EXPORTERS)
		return NF_EXPORTERS - 1;
	struct nf_exporter *e = &n->ex[n->nex];
	e->family = family;
	memcpy(e->addr, addr, 16);
	e->sysid = sysid;
	n->rs->exporters++;
	if (family)
		cap_rec_exporter_seen(n->rs, family, addr);
	return n->last_ex = n->nex++;
}

/* The exporter's address (ra) and family (4, 6, or 0 with ra zeroed):
 * ip4_router, else ip6_router. One exporter prints the same ip4_router
 * in every record: the last one read is kept, and the same bytes are not
 * parsed again. */
static uint8_t router(struct nfd *n, const struct nf_fields *f, uint8_t *ra)
{
	const struct nf_val *x = &f->v[NF_K_IP4_ROUTER];
	bool plain = x->kind == NF_STRING && !x->esc;
	if (plain && n->rlen && x->len == n->rlen &&
	    memcmp(x->p, n->rtext, n->rlen) == 0) {
		memcpy(ra, n->raddr, 16);
		return 4;
	}
	if (get_addr(f, NF_K_IP4_ROUTER, AF_INET, ra)) {
		if (plain && x->len < sizeof n->rtext) {
			memcpy(n->rtext, x->p, x->len);
			n->rlen = (uint8_t)x->len;
			memcpy(n->raddr, ra, 16);
		}
		return 4;
	}
	if (get_addr(f, NF_K_IP6_ROUTER, AF_INET6, ra))
		return 6;
	memset(ra, 0, 16);
	return 0;
}

/* One record of nfdump's JSON (its fields, nf_scan) to r. 1 mapped, 0
 * skipped (not a flow, an exporter outside --exporter), -1 malformed with
 * why. */
static int map_record(struct nfd *n, const struct nf_fields *f,
                      struct cap_record *r, char *why, size_t wlen)
{
	char tmp[NF_STR_MAX];
	const char *s;
	size_t sl;
	memset(r, 0, sizeof *r);
	r->direction = -1;
	if (!nf_str(f, NF_K_TYPE, tmp, sizeof tmp, &s, &sl)) {
		snprintf(why, wlen, "no \"type\"");
		return -1;
	}
	if (sl != 4 || memcmp(s, "FLOW", 4) != 0)
		return 0;
	if (!nf_str(f, NF_K_FIRST, tmp, sizeof tmp, &s, &sl) ||
	    !parse_time(n, s, sl, &r->first_ns) ||
	    !nf_str(f, NF_K_LAST, tmp, sizeof tmp, &s, &sl) ||
	    !parse_time(n, s, sl, &r->last_ns)) {
		snprintf(why, wlen, "bad or missing \"first\"/\"last\" time");
		return -1;
	}
	if (r->last_ns < r->first_ns) {
		/* softflowd's -a replay writes ends before starts. */
		r->last_ns = r->first_ns;
	}
	uint64_t v;
	if (!nf_u64(f, NF_K_PROTO, 255, &v)) {
		snprintf(why, wlen, "bad or missing \"proto\"");
		return -1;
	}
	r->proto = (uint8_t)v;
	if (nf_has(f, NF_K_SRC4_ADDR)) {
		r->family = 4;
		if (!get_addr(f, NF_K_SRC4_ADDR, AF_INET, r->src) ||
		    !get_addr(f, NF_K_DST4_ADDR, AF_INET, r->dst)) {
			snprintf(why, wlen, "bad src4_addr/dst4_addr");
			return -1;
		}
	} else if (nf_has(f, NF_K_SRC6_ADDR)) {
		r->family = 6;
		if (!get_addr(f, NF_K_SRC6_ADDR, AF_INET6, r->src) ||
		    !get_addr(f, NF_K_DST6_ADDR, AF_INET6, r->dst)) {
			snprintf(why, wlen, "bad src6_addr/dst6_addr");
			return -1;
		}
	} else {
		snprintf(why, wlen, "no source and destination address");
		return -1;
	}
	bool icmp = (r->family == 4 && r->proto == 1) ||
	            (r->family == 6 && r->proto == 58);
	if (icmp) {
		uint64_t t, c;
		if (!nf_u64(f, NF_K_ICMP_TYPE, 255, &t) ||
		    !nf_u64(f, NF_K_ICMP_CODE, 255, &c)) {
			snprintf(why, wlen, "bad icmp_type/icmp_code");
			return -1;
		}
		r->dport = (uint16_t)(t << 8 | c);
	} else if (nf_has(f, NF_K_SRC_PORT)) {
		uint64_t a, b;
		if (!nf_u64(f, NF_K_SRC_PORT, 65535, &a) ||
		    !nf_u64(f, NF_K_DST_PORT, 65535, &b)) {
			snprintf(why, wlen, "bad src_port/dst_port");
			return -1;
		}
		r->sport = (uint16_t)a;
		r->dport = (uint16_t)b;
	}
	if (!nf_u64(f, NF_K_IN_PACKETS, UINT64_MAX / 2, &r->pkts) ||
	    !nf_u64(f, NF_K_IN_BYTES, UINT64_MAX / 2, &r->bytes)) {
		snprintf(why, wlen, "bad or missing in_packets/in_bytes");
		return -1;
	}
	uint8_t flags = 0;
	if (nf_str(f, NF_K_TCP_FLAGS, tmp, sizeof tmp, &s, &sl) &&
	    !parse_flags(s, sl, &flags)) {
		snprintf(why, wlen, "bad tcp_flags \"%.*s\"",
		         (int)(sl < 16 ? sl : 16), s);
		return -1;
	}
	if (r->proto != 6)
		flags = 0;
	uint64_t op = 0, ob = 0;
	bool out = nf_has(f, NF_K_OUT_PACKETS);
	if (out && (!nf_u64(f, NF_K_OUT_PACKETS, UINT64_MAX / 2, &op) ||
	            !nf_u64(f, NF_K_OUT_BYTES, UINT64_MAX / 2, &ob))) {
		snprintf(why, wlen, "bad out_packets/out_bytes");
		return -1;
	}
	r->tcp_flags = flags;
	if (r->proto == 6 && out)
		n->rs->biflow_flags_guessed = true; /* a biflow template */
	if (op > 0) {
		/* A biflow: the flags printed are the reverse side's. */
		r->biflow = true;
		r->rev_pkts = op;
		r->rev_bytes = ob;
		r->rev_tcp_flags = flags;
		uint8_t sa = CAP_TH_SYN | CAP_TH_ACK;
		if ((flags & sa) == sa)
			r->tcp_flags = sa;
		else if (flags & CAP_TH_SYN)
			r->tcp_flags = CAP_TH_RST | CAP_TH_ACK;
		else
			r->tcp_flags = flags;
	}
	if (nf_u64(f, NF_K_SRC_VLAN, 4095, &v))
		r->vlan = (uint16_t)v;
	if (nf_u64(f, NF_K_SAMPLED, 1, &v) && v == 1 && n->rs->sampling <= 1)
		n->rs->sampling = CAP_SAMPLING_UNKNOWN;
	uint8_t ra[16];
	uint8_t rf = router(n, f, ra);
	if (rf && n->nallow && !cap_prefix_match(n->allow, n->nallow, rf, ra)) {
		n->rs->ignored_exporters++;
		return 0;
	}
	uint64_t sysid = 0;
	(void)nf_u64(f, NF_K_EXPORT_SYSID, UINT32_MAX, &sysid);
	r->exporter = exporter_index(n, rf, ra, (uint32_t)sysid);
	return 1;
}

/* One record: its fields (f), or a record that is not one (f NULL, bad
 * says why). 0, or -1 with err. */
static int on_record(struct nfd *n, const struct nf_fields *f,
                     const char *bad, char *err, size_t errlen)
{
	n->nrec++;
	char why[160];
	int rc = -1;
	if (!f) {
		snprintf(why, sizeof why, "%s", bad);
	} else {
		struct cap_record r;
		rc = map_record(n, f, &r, why, sizeof why);
		if (rc == 1) {
			n->rs->records++;
			if (r.last_ns > n->clock)
				n->clock = r.last_ns;
			cap_pairer_add_ahead(n->p, &r, n->clock);
		}
	}
	if (rc >= 0)
		return 0;
	n->rs->malformed++;
	if (n->skip_bad)
		return 0;
	snprintf(err, errlen, "nfdump:%s: record %llu of nfdump's output: %s "
	         "(--skip-bad-records skips such records)", n->path,
	         (unsigned long long)n->nrec, why);
	return -1;
}

/* nfdump's standard output in the read buffer: b[pos, end) not yet
 * judged, base the output's offset of b[0]. */
struct nf_in {
	int fd;
	char *b;
	size_t pos, end;
	uint64_t base;
	bool (*stop)(void);
	bool pipe;  /* fd is a pipe (nfdump's): short reads are waited out */
	bool short_read; /* the last read gave less than NF_READ_MIN */
};

/* Drop b[0, pos) and read once more after end. 1 read, 0 the end of the
 * output (or a read error: what was read is judged), 2 stop. A signal
 * while nfdump is quiet: SIGINT/SIGTERM stop (a partial record is
 * dropped), SIGUSR1 prints the counters and reading goes on. */
static int nf_fill(struct nf_in *in)
{
	if (in->pos > 0) {
		memmove(in->b, in->b + in->pos, in->end - in->pos);
		in->base += in->pos;
		in->end -= in->pos;
		in->pos = 0;
	}
	for (;;) {
		if (in->short_read) {
			/* nfdump writes 4 KiB at a time, slower than it is read:
			 * reading as soon as anything is there took a read and a
			 * wake-up every 4.7 KiB (88,516 reads for 1M records).
			 * Let its output gather for a moment instead. */
			struct timespec ts = { 0, NF_READ_WAIT_NS };
			(void)nanosleep(&ts, NULL);
		}
		ssize_t r = read(in->fd, in->b + in->end, NF_BUF - in->end);
		if (r > 0) {
			in->end += (size_t)r;
			in->short_read = in->pipe && (size_t)r < NF_READ_MIN &&
			                 in->end < NF_BUF;
			return 1;
		}
		if (in->stop && in->stop())
			return 2;
		if (r < 0 && errno == EINTR) {
			cap_rec_counters();
			continue;
		}
		return 0;
	}
}

/* Where a record ends, by its brackets outside strings (what the reader
 * did before nf_scan, so that a record that is not JSON is skipped over
 * the same bytes as then). */
struct nf_split {
	unsigned depth;
	bool in_str, esc, closed;
};

static size_t split(const char *s, size_t len, struct nf_split *st)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (st->in_str) {
			if (st->esc)
				st->esc = false;
			else if (c == '\\')
				st->esc = true;
			else if (c == '"')
				st->in_str = false;
			continue;
		}
		if (c == '"') {
			st->in_str = true;
		} else if (c == '{' || c == '[') {
			st->depth++;
		} else if ((c == '}' || c == ']') && --st->depth == 0) {
			st->closed = true;
			return i + 1;
		}
	}
	return len;
}

/* The record at in->pos ('{'): scanned in place when it is whole in the
 * buffer (nearly always), or once more is read (a record cut by a read);
 * else (not JSON, or longer than NF_RECORD_MAX) its end is found by
 * split() over as many reads as it takes, keeping at most NF_RECORD_MAX
 * bytes of it, and then it is scanned. 0 judged, 1 stop, -1 error. */
static int one_record(struct nfd *n, struct nf_in *in, char *err,
                      size_t errlen)
{
	struct nf_fields f;
	char jwhy[120], why[160];
	long len;
	for (;;) {
		size_t avail = in->end - in->pos;
		len = nf_scan_layout(&n->layout, in->b + in->pos,
		                     avail < NF_RECORD_MAX ? avail : NF_RECORD_MAX,
		                     &f, jwhy, sizeof jwhy);
		if (len != NF_SCAN_INCOMPLETE || avail >= NF_RECORD_MAX)
			break;
		/* The record goes on past what was read (a pipe gives what
		 * nfdump has written, 4 KiB at a time): read on, the record
		 * kept whole at the start of the buffer, and scan it again. */
		int r = nf_fill(in);
		if (r == 2)
			return 1;
		if (r == 0)
			break; /* below: "ends inside a record" */
	}
	if (len > 0) {
		in->pos += (size_t)len;
		return on_record(n, &f, NULL, err, errlen);
	}
	struct nf_split st = { 0 };
	size_t done = 0;
	bool too_long = false;
	for (;;) {
		done += split(in->b + in->pos + done, in->end - in->pos - done,
		              &st);
		if (st.closed)
			break;
		if (done > NF_RECORD_MAX) {
			too_long = true; /* its bytes are no longer kept */
			in->pos = in->end;
			done = 0;
		}
		int r = nf_fill(in);
		if (r == 2)
			return 1;
		if (r == 0) {
			snprintf(err, errlen, "nfdump:%s: nfdump's output ends "
			         "inside a record", n->path);
			return -1;
		}
	}
	size_t start = in->pos;
	in->pos += done;
	if (too_long || done > NF_RECORD_MAX) {
		snprintf(why, sizeof why, "longer than %u bytes", NF_RECORD_MAX);
		return on_record(n, NULL, why, err, errlen);
	}
	if (len == NF_SCAN_INCOMPLETE)
		len = nf_scan_layout(&n->layout, in->b + start, done, &f,
		                     jwhy, sizeof jwhy);
	if (len > 0)
		return on_record(n, &f, NULL, err, errlen);
	if (len == NF_SCAN_INCOMPLETE) /* not after split(): defensive */
		snprintf(jwhy, sizeof jwhy, "unbalanced brackets");
	snprintf(why, sizeof why, "not JSON: %.100s", jwhy);
	return on_record(n, NULL, why, err, errlen);
}

/* Walk nfdump's output: '[', objects separated by ',', ']'; nfdump 1.7.1
 * prints "No matching flows" inside the brackets when there is none. */
static int read_stream(struct nfd *n, int fd, bool (*stop)(void),
                       void (*progress)(void *, uint64_t), void *pctx,
                       char *err, size_t errlen)
{
	struct nf_in in = { fd, n->buf, 0, 0, 0, stop, false, false };
	struct stat sb;
	in.pipe = fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode);
	bool opened = false;
	char word[32];
	size_t wlen = 0;
	for (;;) {
		if (in.pos == in.end) {
			if (nf_fill(&in) != 1)
				return 0; /* the end between records, or stop */
			continue;
		}
		unsigned char c = (unsigned char)in.b[in.pos];
		if (c == '{') {
			wlen = 0;
			int rc = one_record(n, &in, err, errlen);
			if (rc != 0)
				return rc > 0 ? 0 : -1;
			if ((n->nrec & 4095) == 0) {
				if (stop && stop())
					return 0;
				if (progress)
					progress(pctx, in.base + in.pos);
			}
			continue;
		}
		in.pos++;
		if (c == '[' && !opened) {
			opened = true;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           c == ' ') {
			if (wlen < sizeof word - 1)
				word[wlen++] = (char)c;
		} else if (c == ',' || c == ']' || c == '\n' || c == '\r' ||
		           c == '\t') {
			if (wlen) {
				word[wlen] = 0;
				if (strcmp(word, "No matching flows") != 0) {
					snprintf(err, errlen, "nfdump:%s: unexpected "
					         "output from nfdump: \"%s\"", n->path,
					         word);
					return -1;
				}
				wlen = 0;
			}
		} else {
			snprintf(err, errlen, "nfdump:%s: unexpected output from "
			         "nfdump (byte 0x%02x at %llu)", n->path,
			         (unsigned)c, (unsigned long long)(in.base + in.pos));
			return -1;
		}
	}
}

static struct nfd *nfd_new(const char *path, struct cap_pairer *p,
                           struct cap_rec_stats *rs,
                           const struct cap_prefix_opt *allow,
                           unsigned nallow, bool skip_bad)
{
	struct nfd *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	if (!(n->buf = malloc(NF_BUF))) {
		free(n);
		return NULL;
	}
	n->path = path;
	n->p = p;
	n->rs = rs;
	n->allow = allow;
	n->nallow = nallow;
	n->skip_bad = skip_bad;
	return n;
}

static void nfd_free(struct nfd *n)
{
	if (n)
		free(n->buf);
	free(n);
}

/* The first line(s) of what nfdump wrote on standard error, on one line. */
static void stderr_text(FILE *f, char *out, size_t len)
{
	out[0] = 0;
	if (!f || fseek(f, 0, SEEK_SET) != 0)
		return;
	char b[NF_STDERR_SHOWN + 1];
	size_t n = fread(b, 1, NF_STDERR_SHOWN, f);
	b[n] = 0;
	while (n && (b[n - 1] == '\n' || b[n - 1] == ' ' || b[n - 1] == '\r'))
		b[--n] = 0;
	for (size_t i = 0; i < n; i++)
		if (b[i] == '\n' || b[i] == '\r' || b[i] == '\t')
			b[i] = i + 1 < n && b[i] == '\n' ? ';' : ' ';
	snprintf(out, len, "%s", b);
}

int cap_nfdump_read(const char *path, struct cap_pairer *p,
                    struct cap_rec_stats *rs,
                    const struct cap_prefix_opt *allow, unsigned nallow,
                    bool skip_bad, bool (*stop)(void),
                    void (*progress)(void *ctx, uint64_t bytes),
                    void *progress_ctx, char *err, size_t errlen)
{
	struct stat sb;
	if (strcmp(path, "-") == 0) {
		snprintf(err, errlen, "nfdump:-: nfdump reads nfcapd files from "
		         "a file or a directory, not from standard input");
		return -1;
	}
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "nfdump:%s: %s", path, strerror(errno));
		return -1;
	}
	bool dir = S_ISDIR(sb.st_mode);
	if (!dir && !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "nfdump:%s: not a file or a directory",
		         path);
		return -1;
	}
	if (!dir && sb.st_size == 0) {
		snprintf(err, errlen, "nfdump:%s: the file is empty", path);
		return -1;
	}
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "nfdump:%s: %s", path, strerror(errno));
		return -1;
	}
	char prog[4096];
	const char *name = cap_nfdump_program();
	errno = 0;
	if (!find_program(name, prog, sizeof prog)) {
		snprintf(err, errlen, "nfdump:%s: the nfdump program (%s) is not "
		         "installed or not executable (%s): install nfdump "
		         "(Debian: apt-get install nfdump) to read nfcapd files",
		         path, name, errno ? strerror(errno) : "not in PATH");
		return -1;
	}
	struct nfd *n = nfd_new(path, p, rs, allow, nallow, skip_bad);
	FILE *errf = tmpfile();
	int fds[2] = { -1, -1 };
	if (!n || !errf || pipe(fds) != 0) {
		snprintf(err, errlen, "nfdump:%s: cannot start nfdump: %s", path,
		         strerror(errno ? errno : ENOMEM));
		nfd_free(n);
		if (errf)
			fclose(errf);
		return -1;
	}
#ifdef F_SETPIPE_SZ
	/* nfdump writes hundreds of MB: a 1 MiB pipe (Linux's default limit
	 * for a user) instead of 64 KiB wakes the reader and the writer a
	 * sixteenth as often. Refused (a lower limit): the default stays. */
	(void)fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
#endif
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* nfdump prints local time without a zone: make it UTC. */
		setenv("TZ", "UTC0", 1);
		dup2(fds[1], 1);
		dup2(fileno(errf), 2);
		close(fds[0]);
		close(fds[1]);
		char *argv[] = { prog, dir ? (char *)"-R" : (char *)"-r",
		                 (char *)path, (char *)"-o", (char *)"json", NULL };
		execv(prog, argv);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		snprintf(err, errlen, "nfdump:%s: cannot start nfdump: %s", path,
		         strerror(errno));
		close(fds[0]);
		fclose(errf);
		nfd_free(n);
		return -1;
	}
	int rc = read_stream(n, fds[0], stop, progress, progress_ctx, err,
	                     errlen);
	if (rc != 0 || (stop && stop()))
		kill(pid, SIGTERM); /* what it would still print is moot */
	close(fds[0]); /* nfdump gets SIGPIPE if it is still writing */
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char msg[NF_STDERR_SHOWN + 1];
	stderr_text(errf, msg, sizeof msg);
	fclose(errf);
	bool stopped = stop && stop();
	if (rc == 0 && !stopped) {
		bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !msg[0]) {
			snprintf(err, errlen, "nfdump:%s: cannot run %s", path, prog);
			rc = -1;
		} else if (failed || msg[0]) {
			char how[64];
			if (WIFSIGNALED(status))
				snprintf(how, sizeof how, "killed by signal %d",
				         WTERMSIG(status));
			else
				snprintf(how, sizeof how, "exit status %d",
				         WEXITSTATUS(status));
			if (skip_bad && !failed) {
				char what[NF_STDERR_SHOWN + 4200];
				snprintf(what, sizeof what, "nfdump:%s: nfdump "
				         "said: %s", path, msg);
				cap_rec_skip(n->rs, what);
			} else {
				snprintf(err, errlen, "nfdump:%s: nfdump failed (%s)%s%s",
				         path, how, msg[0] ? ": " : "", msg);
				rc = -1;
			}
		}
	}
	nfd_free(n);
	return rc;
}

int cap_nfdump_read_fd(int fd, const char *path, struct cap_pairer *p,
                       struct cap_rec_stats *rs,
                       const struct cap_prefix_opt *allow, unsigned nallow,
                       bool skip_bad, bool (*stop)(void),
                       void (*progress)(void *ctx, uint64_t bytes),
                       void *progress_ctx, char *err, size_t errlen)
{
	struct nfd *n = nfd_new(path, p, rs, allow, nallow, skip_bad);
	if (!n) {
		snprintf(err, errlen, "nfdump:%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	int rc = read_stream(n, fd, stop, progress, progress_ctx, err, errlen);
	nfd_free(n);
	return rc;
}
