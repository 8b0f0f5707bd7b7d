/*
 * util.c -- the words and number formats every report format shares.
 *
 * Design. One spelling per thing, whatever the format: protocol names
 * ("tcp" in the report, "TCP" in EVE events), outcome words (the names of
 * enum cap_outcome; reports/ keeps its own table because merge and diff
 * must also parse them back), RFC 3339 UTC times with microseconds taken
 * from packet timestamps (never the wall clock, so reports are
 * reproducible), addresses with inet_ntop, byte counts in binary units for
 * people. All functions write into the caller's buffer and never allocate.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "rep_int.h"

const char *rep_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "ipv6-icmp";
	case 47: return "gre";
	case 4: return "ipip";
	case 41: return "ipv6";
	default:
		snprintf(buf, len, "%u", (unsigned)proto);
		return buf;
	}
}

const char *rep_proto_eve(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "IPv6-ICMP";
	case 47: return "GRE";
	case 4: return "IPIP";
	case 41: return "IPv6";
	default:
		snprintf(buf, len, "%u", (unsigned)proto);
		return buf;
	}
}

int rep_proto_parse(const char *s)
{
	static const struct { const char *n; int p; } t[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "ipv6-icmp", 58 },
		{ "gre", 47 }, { "ipip", 4 }, { "ipv6", 41 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].p;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !*end && v < 256)
		return (int)v;
	return -1;
}

static const char *const outcome_names[] = {
	"established", "closed", "rejected", "unanswered", "unreachable",
	"midstream", "oneway", "replied",
};

const char *rep_outcome_name(unsigned outcome)
{
	return outcome < sizeof outcome_names / sizeof outcome_names[0]
	       ? outcome_names[outcome] : "unknown";
}

int rep_outcome_parse(const char *s)
{
	for (size_t i = 0; i < sizeof outcome_names / sizeof outcome_names[0];
	     i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return (int)i;
	return -1;
}

bool rep_zero_addr(const uint8_t *a)
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return false;
	return true;
}

void rep_addr(uint8_t family, const uint8_t *addr, unsigned plen, char *buf,
              size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned host = family == 6 ? 128 : 32;
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, a, sizeof a))
		snprintf(a, sizeof a, "?");
	if (plen < host)
		snprintf(buf, len, "%s/%u", a, plen);
	else
		snprintf(buf, len, "%s", a);
}

void rep_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000u / 1000u));
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char **p, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (unsigned)(**p - '0');
	}
	return 0;
}

int rep_time_parse(const char *s, uint64_t *ns)
{
	unsigned y, mo, d, h, mi, se;
	const char *p = s;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60 || y < 1970)
		return -1;
	uint64_t frac = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		while (*p >= '0' && *p <= '9') {
			if (n < 9)
				frac = frac * 10 + (uint64_t)(*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return -1;
		for (; n < 9; n++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0 &&
	    strcmp(p, "+00:00") != 0)
		return -1;
	int64_t days = days_from_civil(y, mo, d);
	*ns = ((uint64_t)days * 86400u + h * 3600u + mi * 60u + se) *
	      1000000000u + frac;
	return 0;
}

void rep_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return;
	}
	double v = (double)n / 1024.0;
	unsigned u = 0;
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void rep_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t ms = ns / 1000000u;
	uint64_t s = ms / 1000u;
	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 " s", s, ms % 1000u);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 " min %" PRIu64 " s", s / 60,
		         s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 " h %" PRIu64 " min", s / 3600,
		         s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 " d %" PRIu64 " h", s / 86400,
		         s % 86400 / 3600);
}

const char *rep_linktype_name(int dlt, char *buf, size_t len)
{
	const char *n = pcap_datalink_val_to_name(dlt);
	if (n)
		return n;
	snprintf(buf, len, "%d", dlt);
	return buf;
}

const char *rep_kind_plural(enum cls_kind k, uint64_t n)
{
	switch (k) {
	case CLS_K_UNEXPECTED: return "unexpected";
	case CLS_K_VIOLATION: return n == 1 ? "violation" : "violations";
	case CLS_K_BLOCKED: return "blocked";
	case CLS_K_MISSING: return "missing";
	default: return "?";
	}
}

void rep_count_kinds(const struct cls_result *res, uint64_t n[CLS_K_COUNT])
{
	for (int k = 0; k < CLS_K_COUNT; k++)
		n[k] = 0;
	for (uint32_t i = 0; i < res->nfindings; i++)
		if ((unsigned)res->findings[i].kind < CLS_K_COUNT)
			n[res->findings[i].kind]++;
}

size_t rep_kinds_words(const uint64_t n[CLS_K_COUNT], int mask, char *buf,
                       size_t len, size_t off)
{
	const char *sep = "";
	if (!len)
		return 0;
	if (off < len)
		buf[off] = '\0';
	for (size_t i = 0; i < CLS_K_COUNT && off < len; i++) {
		enum cls_kind k = cls_kinds_worst_first[i];
		if (!(mask & (1 << k)) || !n[k])
			continue;
		int w = snprintf(buf + off, len - off, "%s%" PRIu64 " %s", sep,
		                 n[k], rep_kind_plural(k, n[k]));
		if (w < 0)
			break;
		off += (size_t)w;
		sep = ", ";
	}
	return off < len ? off : len - 1;
}

/* The --fail-on words: "all", "none", "violation,blocked". */
static void fail_on_words(int mask, char *buf, size_t len)
{
	if (mask == (1 << CLS_K_COUNT) - 1) {
		snprintf(buf, len, "all");
		return;
	}
	if (!mask) {
		snprintf(buf, len, "none");
		return;
	}
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < CLS_K_COUNT && off < len; i++) {
		enum cls_kind k = cls_kinds_worst_first[i];
		if (!(mask & (1 << k)))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
		                 cls_kind_name(k));
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void rep_verdict_line(const struct cls_result *res, char *buf, size_t len)
{
	const struct cls_summary *s = &res->summary;
	if (!len)
		return;
	if (s->verdict == CLS_NOT_AUDITED) {
		snprintf(buf, len, "NOT AUDITED: %s", s->why);
		return;
	}
	size_t off = (size_t)snprintf(buf, len, "%s%s",
	                              s->compliant ? "COMPLIANT" : "NOT COMPLIANT",
	                              s->with_caveats ? " with caveats" : "");
	if (off >= len)
		return;
	if (s->compliant) {
		/* Compliant against fewer kinds than all: say against which. */
		char fo[64];
		fail_on_words(s->fail_on, fo, sizeof fo);
		if (!s->fail_on)
			snprintf(buf + off, len - off, " (--fail-on none: no kind "
			         "of finding fails the run)");
		else if (s->fail_on != (1 << CLS_K_COUNT) - 1)
			snprintf(buf + off, len - off, " (--fail-on %s: none "
			         "found)", fo);
		return;
	}
	off += (size_t)snprintf(buf + off, len - off, ": ");
	if (off < len)
		rep_kinds_words(s->kinds, s->fail_on, buf, len, off);
}

void rep_verdict_scope(const struct cls_result *res, char *buf, size_t len)
{
	const struct cls_summary *s = &res->summary;
	int all = (1 << CLS_K_COUNT) - 1;
	char fo[64];
	size_t off = 0;
	if (!len)
		return;
	buf[0] = '\0';
	if (s->verdict == CLS_NOT_AUDITED)
		return;
	int reported = all & ~s->fail_on;
	uint64_t nrep = 0;
	for (int k = 0; k < CLS_K_COUNT; k++)
		if (reported & (1 << k))
			nrep += s->kinds[k];
	if (nrep) {
		fail_on_words(s->fail_on, fo, sizeof fo);
		off = (size_t)snprintf(buf, len, "Reported only, not failing the "
		                       "run (--fail-on %s): ", fo);
		if (off < len)
			off = rep_kinds_words(s->kinds, reported, buf, len, off);
		if (off + 1 < len) {
			buf[off++] = '.';
			buf[off] = '\0';
		}
	}
	if (s->findings_dropped && off < len)
		snprintf(buf + off, len - off, "%s%" PRIu64 " of the findings %s "
		         "counted but not kept (--max-findings), the least severe "
		         "first.", off ? " " : "", s->findings_dropped,
		         s->findings_dropped == 1 ? "was" : "were");
}

void rep_verdict_judged(const struct cls_result *res, char *buf, size_t len)
{
	const struct cls_summary *s = &res->summary;
	snprintf(buf, len, "%" PRIu64 " flow%s judged: %" PRIu64 " expected, %"
	         PRIu64 " unexpected, %" PRIu64 " violation%s, %" PRIu64
	         " blocked", s->flows, s->flows == 1 ? "" : "s", s->expected,
	         s->unexpected, s->violation, s->violation == 1 ? "" : "s",
	         s->blocked);
}

json_t *rep_jstr(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	/* Not valid UTF-8: keep the ASCII, replace every other byte. */
	size_t n = strlen(s);
	char *c = malloc(n + 1);
	if (!c)
		return json_null();
	for (size_t i = 0; i <= n; i++)
		c[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	j = json_string(c);
	free(c);
	return j ? j : json_null();
}

const char *rep_service_id(const struct rep_input *in, int32_t service)
{
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	if (!cat || service < 0 || (uint32_t)service >= cat->nservices)
		return NULL;
	return cat->services[service].id;
}

const char *rep_attrib_id(const struct rep_input *in, int32_t service,
                          uint32_t group)
{
	const struct cls_result *res = in->res;
	if (group && res && group <= res->ngroups)
		return res->groups[group - 1].id;
	return rep_service_id(in, service);
}

const char *rep_flow_service(const struct rep_input *in,
                             const struct cls_flow *cf)
{
	return cf->group_id ? cf->group_id : rep_service_id(in, cf->service);
}

const char *rep_no_packets_words(const struct cap_stats *st,
                                 const struct cap_options *co)
{
	return co && co->filter ? "none read matched the filter" :
	       st->kind != CAP_SRC_PACKETS ? "the records count no packets" :
	       "the capture holds no packets";
}

bool rep_more_linktypes_words(const struct cap_stats *st, char *buf,
                              size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < st->nmore_linktypes && o + 1 < len; i++) {
		char lt[16];
		int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		                 rep_linktype_name(st->more_linktypes[i], lt,
		                                   sizeof lt));
		o += n > 0 ? (size_t)n : 0;
	}
	return st->nmore_linktypes > 0;
}

const char *rep_truncated_words(const struct cap_stats *st)
{
	return st->kind == CAP_SRC_PACKETS ?
	       "yes: a file ended inside a packet record" :
	       "yes: a source ended inside a flow record";
}

/* Suricata's flow states: "new" (no reply seen), "established", "closed".
 * A TCP flow seen midstream is closed once a FIN went each way, or a RST
 * either way, as the classifier's own closed outcome needs. */
const char *rep_eve_state(const struct cls_flow *cf)
{
	const struct cap_flow *f = cf->flow;
	const uint8_t fin = CAP_TH_FIN, rst = CAP_TH_RST;
	switch (cf->outcome) {
	case CAP_OUT_MIDSTREAM:
		if (((f->flags[0] & fin) && (f->flags[1] & fin)) ||
		    ((f->flags[0] | f->flags[1]) & rst))
			return "closed";
		return "established";
	case CAP_OUT_ESTABLISHED:
	case CAP_OUT_REPLIED:
		return "established";
	case CAP_OUT_CLOSED:
	case CAP_OUT_REJECTED:
		return "closed";
	default:
		return "new";
	}
}

void rep_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- line building for the streaming writers --------------------------- */

void rl_raw(struct rep_line *l, const char *s, size_t n)
{
	if (n > sizeof l->b - l->n) {
		n = sizeof l->b - l->n;
		l->over = true;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

void rl_lit(struct rep_line *l, const char *s)
{
	rl_raw(l, s, strlen(s));
}

void rl_jstr(struct rep_line *l, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (!s) {
		rl_raw(l, "null", 4);
		return;
	}
	rl_raw(l, "\"", 1);
	const char *run = s;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		rl_raw(l, run, (size_t)(p - run));
		char e[6] = { '\\', (char)c, 0, 0, 0, 0 };
		size_t k = 2;
		if (c == '\n')
			e[1] = 'n';
		else if (c == '\t')
			e[1] = 't';
		else if (c == '\r')
			e[1] = 'r';
		else if (c < 0x20 || c == 0x7f) {
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			k = 6;
		}
		rl_raw(l, e, k);
		run = p + 1;
	}
	rl_lit(l, run);
	rl_raw(l, "\"", 1);
}

/* RFC 4180: quote a field holding a comma, a quote or a line break; also
 * one with spaces at either end, which spreadsheets would trim. */
bool rep_csv_needs_quotes(const char *s, size_t n)
{
	if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	          s[n - 1] == '\t'))
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return true;
	return false;
}

void rl_csv(struct rep_line *l, const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	if (!rep_csv_needs_quotes(s, n)) {
		rl_raw(l, s, n);
		return;
	}
	rl_raw(l, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			rl_raw(l, "\"", 1);
		rl_raw(l, p, 1);
	}
	rl_raw(l, "\"", 1);
}

void rl_u64(struct rep_line *l, uint64_t v)
{
	char t[24];
	size_t k = sizeof t;
	do {
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rl_raw(l, t + k, sizeof t - k);
}

static void two(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void rl_time(struct rep_line *l, uint64_t ns)
{
	/* The date and time of day change rarely between flows: cache them. */
	static uint64_t cached_s = UINT64_MAX;
	static char prefix[24];
	uint64_t sec = ns / 1000000000u;
	if (sec != cached_s) {
		char t[REP_TIME_MAX];
		rep_time(ns, t, sizeof t);
		if (strlen(t) < 20) {
			rl_lit(l, t);
			return;
		}
		memcpy(prefix, t, 20); /* "2026-01-05T10:00:00." */
		prefix[20] = 0;
		cached_s = sec;
	}
	char frac[8];
	unsigned us = (unsigned)(ns % 1000000000u / 1000u);
	two(frac, us / 10000);
	two(frac + 2, us / 100 % 100);
	two(frac + 4, us % 100);
	frac[6] = 'Z';
	rl_raw(l, prefix, 20);
	rl_raw(l, frac, 7);
}

void rl_addr(struct rep_line *l, uint8_t family, const uint8_t *a)
{
	if (family == 6) {
		char b[REP_ADDR_MAX];
		rep_addr(family, a, REP_HOST, b, sizeof b);
		rl_lit(l, b);
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (i)
			rl_raw(l, ".", 1);
		rl_u64(l, a[i]);
	}
}

/* ---- tunnels ------------------------------------------------------------ */

/* The descriptor of a flow's or finding's tunnel id, or NULL: none, or a
 * report without a tunnel table (decapsulation off, a merged report). */
const struct cap_tunnel *rep_tunnel(const struct rep_input *in, uint16_t id)
{
	if (!id || !in || !in->capopt)
		return NULL;
	return cap_tunnel_get(in->capopt->tunnels, id);
}

json_t *rep_tunnel_json(const struct rep_input *in, uint16_t id)
{
	const struct cap_tunnel *t = rep_tunnel(in, id);
	if (!t)
		return NULL;
	json_t *o = json_object();
	if (!o)
		return NULL;
	char a[REP_ADDR_MAX];
	json_object_set_new(o, "kind",
	                    json_string(cap_tunnel_kind_name(t->kind)));
	rep_addr(t->family, t->src, REP_HOST, a, sizeof a);
	json_object_set_new(o, "src_ip", json_string(a));
	rep_addr(t->family, t->dst, REP_HOST, a, sizeof a);
	json_object_set_new(o, "dest_ip", json_string(a));
	const char *idn = cap_tunnel_id_name(t->kind);
	if (t->has_id && idn)
		json_object_set_new(o, idn, json_integer((json_int_t)t->id));
	json_object_set_new(o, "depth", json_integer(t->depth));
	/* A parent's depth is smaller: the recursion ends within
	 * CAP_MAX_TUNNELS steps whatever the table holds. */
	const struct cap_tunnel *p = rep_tunnel(in, t->parent);
	if (p && p->depth < t->depth) {
		json_t *po = rep_tunnel_json(in, t->parent);
		if (po)
			json_object_set_new(o, "parent", po);
	}
	return o;
}

void rl_tunnel(struct rep_line *l, const struct rep_input *in, uint16_t id)
{
	const struct cap_tunnel *t = rep_tunnel(in, id);
	if (!t)
		return;
	rl_lit(l, "{\"kind\":");
	rl_jstr(l, cap_tunnel_kind_name(t->kind));
	rl_lit(l, ",\"src_ip\":\"");
	rl_addr(l, t->family, t->src);
	rl_lit(l, "\",\"dest_ip\":\"");
	rl_addr(l, t->family, t->dst);
	rl_raw(l, "\"", 1);
	const char *idn = cap_tunnel_id_name(t->kind);
	if (t->has_id && idn) {
		rl_lit(l, ",\"");
		rl_lit(l, idn);
		rl_lit(l, "\":");
		rl_u64(l, t->id);
	}
	rl_lit(l, ",\"depth\":");
	rl_u64(l, t->depth);
	const struct cap_tunnel *p = rep_tunnel(in, t->parent);
	if (p && p->depth < t->depth) {
		rl_lit(l, ",\"parent\":");
		rl_tunnel(l, in, t->parent);
	}
	rl_raw(l, "}", 1);
}
