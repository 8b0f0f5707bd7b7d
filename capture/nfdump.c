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
 * right. Its standard output is a pipe read one record at a time: a small
 * splitter walks the bytes (strings, escapes, brace depth) and hands each
 * top-level object, at most NF_RECORD_MAX bytes, to jansson; the output as
 * a whole is never in memory. Its standard error goes to an unlinked
 * temporary file: nfdump 1.7.1 exits 0 on a file that is not an nfcapd
 * file ("bad magic") or a directory without one ("Empty file list"), so
 * any message there is an error (a warning with --skip-bad-records), and
 * the message is quoted.
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
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>

#include "capture.h"
#include "rec_int.h"
#include "records.h"

#define NF_RECORD_MAX (64u * 1024u)  /* bytes of one JSON record */
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
	char *buf;            /* one record's bytes */
	size_t len;
	bool too_long;
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

/* "2026-01-05T10:00:00.005" (UTC: nfdump ran with TZ=UTC0) to ns. */
static bool parse_time(const char *s, uint64_t *ns)
{
	unsigned y, mo, d, h, mi, se, ms = 0;
	size_t n = strlen(s);
	if (n < 19 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		return false;
	if (n != 19 && (n != 23 || s[19] != '.' || !digits(s + 20, 3, &ms)))
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return false;
	int64_t days = days_from_civil((int64_t)y, mo, d);
	int64_t secs = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 +
	               (int64_t)se;
	if (secs < 0)
		return false;
	*ns = (uint64_t)secs * CAP_NS_PER_S + (uint64_t)ms * 1000000u;
	return true;
}

/* "CEUAPRSF" with '.' for a clear flag. */
static bool parse_flags(const char *s, uint8_t *out)
{
	static const char names[] = "CEUAPRSF";
	if (strlen(s) != 8)
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

static bool get_u64(const json_t *o, const char *key, uint64_t max,
                    uint64_t *v)
{
	const json_t *j = json_object_get(o, key);
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    (uint64_t)json_integer_value(j) > max)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

static bool get_addr(const json_t *o, const char *key, int af, uint8_t *out)
{
	const char *s = json_string_value(json_object_get(o, key));
	memset(out, 0, 16);
	return s && inet_pton(af, s, out) == 1;
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

/* One record of nfdump's JSON to r. 1 mapped, 0 skipped (not a flow, an
 * exporter outside --exporter), -1 malformed with why. */
static int map_record(struct nfd *n, const json_t *o, struct cap_record *r,
                      char *why, size_t wlen)
{
	memset(r, 0, sizeof *r);
	r->direction = -1;
	const char *type = json_string_value(json_object_get(o, "type"));
	if (!type) {
		snprintf(why, wlen, "no \"type\"");
		return -1;
	}
	if (strcmp(type, "FLOW") != 0)
		return 0;
	const char *t1 = json_string_value(json_object_get(o, "first"));
	const char *t2 = json_string_value(json_object_get(o, "last"));
	if (!t1 || !parse_time(t1, &r->first_ns) || !t2 ||
	    !parse_time(t2, &r->last_ns)) {
		snprintf(why, wlen, "bad or missing \"first\"/\"last\" time");
		return -1;
	}
	if (r->last_ns < r->first_ns) {
		/* softflowd's -a replay writes ends before starts. */
		r->last_ns = r->first_ns;
	}
	uint64_t v;
	if (!get_u64(o, "proto", 255, &v)) {
		snprintf(why, wlen, "bad or missing \"proto\"");
		return -1;
	}
	r->proto = (uint8_t)v;
	if (json_object_get(o, "src4_addr")) {
		r->family = 4;
		if (!get_addr(o, "src4_addr", AF_INET, r->src) ||
		    !get_addr(o, "dst4_addr", AF_INET, r->dst)) {
			snprintf(why, wlen, "bad src4_addr/dst4_addr");
			return -1;
		}
	} else if (json_object_get(o, "src6_addr")) {
		r->family = 6;
		if (!get_addr(o, "src6_addr", AF_INET6, r->src) ||
		    !get_addr(o, "dst6_addr", AF_INET6, r->dst)) {
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
		if (!get_u64(o, "icmp_type", 255, &t) ||
		    !get_u64(o, "icmp_code", 255, &c)) {
			snprintf(why, wlen, "bad icmp_type/icmp_code");
			return -1;
		}
		r->dport = (uint16_t)(t << 8 | c);
	} else if (json_object_get(o, "src_port")) {
		uint64_t a, b;
		if (!get_u64(o, "src_port", 65535, &a) ||
		    !get_u64(o, "dst_port", 65535, &b)) {
			snprintf(why, wlen, "bad src_port/dst_port");
			return -1;
		}
		r->sport = (uint16_t)a;
		r->dport = (uint16_t)b;
	}
	if (!get_u64(o, "in_packets", UINT64_MAX / 2, &r->pkts) ||
	    !get_u64(o, "in_bytes", UINT64_MAX / 2, &r->bytes)) {
		snprintf(why, wlen, "bad or missing in_packets/in_bytes");
		return -1;
	}
	const char *fl = json_string_value(json_object_get(o, "tcp_flags"));
	uint8_t flags = 0;
	if (fl && !parse_flags(fl, &flags)) {
		snprintf(why, wlen, "bad tcp_flags \"%.16s\"", fl);
		return -1;
	}
	if (r->proto != 6)
		flags = 0;
	uint64_t op = 0, ob = 0;
	if (json_object_get(o, "out_packets") &&
	    (!get_u64(o, "out_packets", UINT64_MAX / 2, &op) ||
	     !get_u64(o, "out_bytes", UINT64_MAX / 2, &ob))) {
		snprintf(why, wlen, "bad out_packets/out_bytes");
		return -1;
	}
	r->tcp_flags = flags;
	if (r->proto == 6 && json_object_get(o, "out_packets"))
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
	if (get_u64(o, "src_vlan", 4095, &v))
		r->vlan = (uint16_t)v;
	if (get_u64(o, "sampled", 1, &v) && v == 1 && n->rs->sampling <= 1)
		n->rs->sampling = CAP_SAMPLING_UNKNOWN;
	uint8_t ra[16];
	uint8_t rf = 0;
	if (get_addr(o, "ip4_router", AF_INET, ra))
		rf = 4;
	else if (get_addr(o, "ip6_router", AF_INET6, ra))
		rf = 6;
	else
		memset(ra, 0, sizeof ra);
	if (rf && n->nallow && !cap_prefix_match(n->allow, n->nallow, rf, ra)) {
		n->rs->ignored_exporters++;
		return 0;
	}
	uint64_t sysid = 0;
	(void)get_u64(o, "export_sysid", UINT32_MAX, &sysid);
	r->exporter = exporter_index(n, rf, ra, (uint32_t)sysid);
	return 1;
}

/* One record's bytes are complete in n->buf. 0, or -1 with err. */
static int on_record(struct nfd *n, char *err, size_t errlen)
{
	n->nrec++;
	char why[160];
	json_error_t je;
	json_t *o = NULL;
	int rc = -1;
	if (n->too_long) {
		snprintf(why, sizeof why, "longer than %u bytes", NF_RECORD_MAX);
	} else if (!(o = json_loadb(n->buf, n->len, 0, &je))) {
		snprintf(why, sizeof why, "not JSON: %.100s", je.text);
	} else if (!json_is_object(o)) {
		snprintf(why, sizeof why, "not a JSON object");
	} else {
		struct cap_record r;
		rc = map_record(n, o, &r, why, sizeof why);
		if (rc == 1) {
			n->rs->records++;
			if (r.last_ns > n->clock)
				n->clock = r.last_ns;
			cap_pairer_tick(n->p, n->clock);
			cap_pairer_add(n->p, &r);
		}
	}
	json_decref(o);
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

static void keep(struct nfd *n, int c)
{
	if (n->len < NF_RECORD_MAX)
		n->buf[n->len++] = (char)c;
	else
		n->too_long = true;
}

/* Walk nfdump's output: '[', objects separated by ',', ']'; nfdump 1.7.1
 * prints "No matching flows" inside the brackets when there is none. */
static int read_stream(struct nfd *n, FILE *in, bool (*stop)(void),
                       void (*progress)(void *, uint64_t), void *pctx,
                       char *err, size_t errlen)
{
	int depth = 0;
	bool in_str = false, esc = false, opened = false;
	uint64_t bytes = 0;
	char word[32];
	size_t wlen = 0;
	int c;
	for (;;) {
		if ((c = getc_unlocked(in)) == EOF) {
			/* A signal while nfdump was quiet: SIGINT/SIGTERM stop
			 * (what was read is judged, a partial record dropped),
			 * SIGUSR1 prints the counters and reading goes on. */
			if (stop && stop())
				return 0;
			if (ferror(in) && errno == EINTR) {
				cap_rec_counters();
				clearerr(in);
				continue;
			}
			break;
		}
		bytes++;
		if (depth > 0) {
			keep(n, c);
			if (in_str) {
				if (esc)
					esc = false;
				else if (c == '\\')
					esc = true;
				else if (c == '"')
					in_str = false;
				continue;
			}
			if (c == '"')
				in_str = true;
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0) {
				if (on_record(n, err, errlen) != 0)
					return -1;
				if ((n->nrec & 4095) == 0) {
					if (stop && stop())
						return 0;
					if (progress)
						progress(pctx, bytes);
				}
			}
			continue;
		}
		if (c == '{') {
			depth = 1;
			n->len = 0;
			n->too_long = false;
			keep(n, c);
			wlen = 0;
		} else if (c == '[' && !opened) {
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
			         (unsigned)c, (unsigned long long)bytes);
			return -1;
		}
	}
	if (depth > 0) {
		snprintf(err, errlen, "nfdump:%s: nfdump's output ends inside a "
		         "record", n->path);
		return -1;
	}
	return 0;
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
	struct nfd *n = calloc(1, sizeof *n);
	char *buf = malloc(NF_RECORD_MAX);
	FILE *errf = tmpfile();
	int fds[2] = { -1, -1 };
	if (!n || !buf || !errf || pipe(fds) != 0) {
		snprintf(err, errlen, "nfdump:%s: cannot start nfdump: %s", path,
		         strerror(errno ? errno : ENOMEM));
		free(n);
		free(buf);
		if (errf)
			fclose(errf);
		return -1;
	}
	n->path = path;
	n->p = p;
	n->rs = rs;
	n->allow = allow;
	n->nallow = nallow;
	n->skip_bad = skip_bad;
	n->buf = buf;
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
		free(buf);
		free(n);
		return -1;
	}
	FILE *in = fdopen(fds[0], "r");
	int rc = -1;
	if (!in) {
		snprintf(err, errlen, "nfdump:%s: %s", path, strerror(errno));
		close(fds[0]);
	} else {
		rc = read_stream(n, in, stop, progress, progress_ctx, err,
		                 errlen);
		if (rc != 0 || (stop && stop()))
			kill(pid, SIGTERM); /* what it would still print is moot */
		fclose(in); /* nfdump gets SIGPIPE if it is still writing */
	}
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
				fprintf(stderr, "portaudit: nfdump:%s: warning: nfdump "
				        "said: %s\n", path, msg);
			} else {
				snprintf(err, errlen, "nfdump:%s: nfdump failed (%s)%s%s",
				         path, how, msg[0] ? ": " : "", msg);
				rc = -1;
			}
		}
	}
	free(buf);
	free(n);
	return rc;
}
