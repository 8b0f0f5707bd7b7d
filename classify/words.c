/*
 * words.c -- every sentence classify writes: the reason of a flow, of a
 * missing finding, and why nothing was audited.
 *
 * Design. classify.c decides; this file only words what it decided, so
 * that the judge reads as a judge and a reason can be reworded without
 * touching a verdict. A flow's reason is recorded as what to say (struct
 * cls_reason: enum cls_why and the facts) and worded here by
 * cls_reason_text() only when someone reads it: the flow sink, or a finding
 * taking its first reason or a new outcome. The sentences made per flow are
 * built with a small string builder (struct sb) that copies literals of
 * known length and parses no format; the rest use cls_fmt, a formatter for
 * %s, %.Ns and %u only. Every sentence is cut quietly at its buffer.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

void cls_addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (family == 4 && len >= 16) {
		size_t o = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = a[i];
			if (i)
				buf[o++] = '.';
			if (v >= 100)
				buf[o++] = (char)('0' + v / 100);
			if (v >= 10)
				buf[o++] = (char)('0' + v / 10 % 10);
			buf[o++] = (char)('0' + v % 10);
		}
		buf[o] = '\0';
		return;
	}
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf,
	               (socklen_t)len))
		cls_fmt(buf, len, "?");
}

/* Append n bytes of s at buf[o], cut at room; the new offset. */
static size_t put(char *buf, size_t o, size_t room, const char *s, size_t n)
{
	if (n > room - o)
		n = room - o;
	memcpy(buf + o, s, n);
	return o + n;
}

/* A string builder for the sentences made per flow: literals are copied
 * with their length known at compile time, no format is parsed. Text past
 * room is cut, as cls_fmt and snprintf cut it. */
struct sb {
	char *b;
	size_t o, room; /* written, and the most that may be (size - 1) */
};

static inline void sb_put(struct sb *s, const char *p, size_t n)
{
	size_t avail = s->room - s->o;
	if (n <= avail) {
		memcpy(s->b + s->o, p, n);
		s->o += n;
	} else {
		memcpy(s->b + s->o, p, avail);
		s->o = s->room;
	}
}

#define SB_LIT(s, lit) sb_put((s), "" lit, sizeof(lit) - 1)

static void sb_str(struct sb *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

static void sb_uint(struct sb *s, unsigned v)
{
	char d[12];
	int n = 12;
	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_put(s, d + n, (size_t)(12 - n));
}

/* A small formatter for reasons: %s, %.Ns, %u, %lu and %llu only, always
 * NUL-terminated, truncating quietly. glibc's vfprintf was the largest
 * cost of classifying a port scan; here literal runs and strings are
 * copied whole (strchr, strlen, memcpy) rather than a byte at a time. */
void cls_fmt(char *buf, size_t len, const char *fmt, ...)
{
	if (!len)
		return;
	va_list ap;
	va_start(ap, fmt);
	size_t o = 0, room = len - 1;
	for (const char *p = fmt; *p && o < room; p++) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			o = put(buf, o, room, p, n);
			p += n - 1;
			continue;
		}
		p++;
		size_t prec = (size_t)-1;
		if (*p == '.') {
			prec = 0;
			for (p++; *p >= '0' && *p <= '9'; p++)
				prec = prec * 10 + (size_t)(*p - '0');
		}
		int longs = 0;
		while (*p == 'l') {
			longs++;
			p++;
		}
		if (*p == 's') {
			const char *a = va_arg(ap, const char *);
			if (!a)
				a = "(null)";
			size_t n = prec == (size_t)-1 ? strlen(a) : strnlen(a, prec);
			o = put(buf, o, room, a, n);
		} else if (*p == 'u') {
			unsigned long long v = longs == 2 ? va_arg(ap, unsigned long long)
			                     : longs == 1 ? va_arg(ap, unsigned long)
			                     : va_arg(ap, unsigned);
			char d[24];
			int n = 24;
			do {
				d[--n] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			o = put(buf, o, room, d + n, (size_t)(24 - n));
		} else if (*p == '%') {
			buf[o++] = '%';
		} else {
			break; /* not supported: stop here rather than misread */
		}
		if (!*p)
			break;
	}
	buf[o] = '\0';
	va_end(ap);
}

static const char *outcome_word(uint8_t o)
{
	static const char *const n[] = { "established", "closed", "rejected",
	                                 "unanswered", "unreachable",
	                                 "midstream", "oneway", "replied" };
	return o < sizeof n / sizeof n[0] ? n[o] : "unknown";
}

static const char *proto_word(uint8_t p, uint8_t family)
{
	switch (p) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "ICMPv6";
	case 47: return "GRE";                  /* tunnels' outer flows */
	case 4: return "IP-in-IP";
	case 41: return "IPv6-in-IP";
	default: return family == 6 ? "IPv6" : "IP";
	}
}

static const char *dir_word(enum cat_dir d)
{
	static const char *const n[] = { "inbound", "outbound", "both ways",
	                                 "internal", "local-only",
	                                 "reserved" };
	return (unsigned)d < sizeof n / sizeof n[0] ? n[d] : "?";
}

static bool same_host(const struct cap_flow *f)
{
	return memcmp(f->addr_a, f->addr_b, 16) == 0;
}

/* The text of an address, remembered per side (struct cls_addr_memo). */
static const struct cls_addr_memo *addr_memo(struct cls *c, int side,
                                             uint8_t family, const uint8_t *a)
{
	struct cls_addr_memo *m = &c->memo[side];
	if (m->family != family || memcmp(m->addr, a, 16) != 0) {
		cls_addr_str(family, a, m->s, sizeof m->s);
		m->len = (uint8_t)strlen(m->s);
		m->family = family;
		memcpy(m->addr, a, 16);
	}
	return m;
}

static void sb_host(struct sb *s, bool server, const struct cls_addr_memo *m)
{
	if (server)
		SB_LIT(s, "the server ");
	sb_put(s, m->s, m->len);
}

/* "TCP 1960 from 10.0.0.5 to the server 10.0.0.1" */
static void describe(struct cls *c, struct sb *s, const struct cap_flow *f,
                     bool a_srv, bool b_srv)
{
	const struct cls_addr_memo *a = addr_memo(c, 0, f->family, f->addr_a);
	const struct cls_addr_memo *b = addr_memo(c, 1, f->family, f->addr_b);
	sb_str(s, proto_word(f->proto, f->family));
	if (f->proto == 1 || f->proto == 58) {
		SB_LIT(s, " type ");
		sb_uint(s, (unsigned)(f->port_b >> 8));
		SB_LIT(s, " code ");
		sb_uint(s, (unsigned)(f->port_b & 0xff));
		SB_LIT(s, " from ");
		sb_host(s, a_srv, a);
		SB_LIT(s, " to ");
		sb_host(s, b_srv, b);
		return;
	}
	if (f->proto != 6 && f->proto != 17) { /* a tunnel: no ports */
		SB_LIT(s, " from ");
		sb_host(s, a_srv, a);
		SB_LIT(s, " to ");
		sb_host(s, b_srv, b);
		return;
	}
	SB_LIT(s, " ");
	sb_uint(s, (unsigned)f->port_b);
	if (same_host(f)) {
		SB_LIT(s, " on ");
		sb_put(s, a->s, a->len);
		SB_LIT(s, " to itself");
		return;
	}
	SB_LIT(s, " from ");
	sb_host(s, a_srv, a);
	SB_LIT(s, " to ");
	sb_host(s, b_srv, b);
}

/* "base+3 (1963)" or "1963": how the catalog wrote the port. */
static void port_words(char *buf, size_t len, const struct cat_service *s,
                       uint16_t port)
{
	for (unsigned r = 0; r < s->nreq; r++)
		for (unsigned k = 0; k < s->req[r].nalt; k++) {
			const struct cat_range *a = &s->req[r].alt[k];
			if (port >= a->lo && port <= a->hi && a->base_rel &&
			    a->lo == a->hi) {
				cls_fmt(buf, len, "base+%u (%u)",
				         (unsigned)a->raw_lo, (unsigned)port);
				return;
			}
		}
	cls_fmt(buf, len, "%u", (unsigned)port);
}

/* The requirement's alternatives: "1812|1645", "50000-50002". */
static void req_words(char *buf, size_t len, const struct cat_req *q)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned k = 0; k < q->nalt && used < len; k++) {
		int n;
		if (q->alt[k].lo == q->alt[k].hi)
			n = snprintf(buf + used, len - used, "%s%u", k ? "|" : "",
			             (unsigned)q->alt[k].lo);
		else
			n = snprintf(buf + used, len - used, "%s%u-%u",
			             k ? "|" : "", (unsigned)q->alt[k].lo,
			             (unsigned)q->alt[k].hi);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void prefix_words(char *buf, size_t len, const struct cat_prefix *p)
{
	char a[64];
	cls_addr_str(p->family, p->addr, a, sizeof a);
	if (p->len == (p->family == 4 ? 32 : 128))
		cls_fmt(buf, len, "%s", a);
	else
		cls_fmt(buf, len, "%s/%u", a, (unsigned)p->len);
}

/* The words of the ICMP error that quoted a flow: admin-prohibited means
 * a firewall; time exceeded a routing loop or too few hops, not an
 * unreachable destination. */
static void icmp_words(char *buf, size_t len, const struct cap_flow *f)
{
	unsigned t = f->icmp_type, code = f->icmp_code;
	bool v6 = f->family == 6;
	const char *pn = proto_word(f->proto, f->family);
	const char *what = "destination unreachable";
	bool admin = false, port = false;
	if (!v6 && t == 3) {
		switch (code) {
		case 0: what = "network unreachable"; break;
		case 1: what = "host unreachable"; break;
		case 2: what = "protocol unreachable"; break;
		case 3: port = true; break;
		case 4: what = "fragmentation needed"; break;
		case 9: case 10: case 13: admin = true; break;
		default: break;
		}
	} else if ((!v6 && t == 11) || (v6 && t == 3)) {
		what = code == 1 ? "time exceeded: fragment reassembly timed out"
		       : v6 ? "time exceeded: the hop limit ran out in transit "
		              "(a routing loop, or too many hops)"
		            : "time exceeded: the TTL ran out in transit (a "
		              "routing loop, or too many hops)";
	} else if ((!v6 && t == 12) || (v6 && t == 4)) {
		what = "parameter problem";
	} else if (v6 && t == 2) {
		what = "packet too big";
	} else if (v6 && t == 1) {
		switch (code) {
		case 0: what = "no route to destination"; break;
		case 1: case 5: case 6: admin = true; break;
		case 3: what = "address unreachable"; break;
		case 4: port = true; break;
		default: break;
		}
	}
	const char *ip = v6 ? "ICMPv6" : "ICMP";
	if (admin)
		cls_fmt(buf, len, "%s %u/%u administratively prohibited: a "
		         "firewall refused it", ip, t, code);
	else if (port)
		cls_fmt(buf, len, "%s %u/%u port unreachable: nothing listens "
		         "on %s %u", ip, t, code, pn, (unsigned)f->port_b);
	else
		cls_fmt(buf, len, "%s %u/%u %s", ip, t, code, what);
}

/* After the flow's description: " (svc): blocked, how." */
static void blocked_words(struct sb *sb, const char *id,
                          const struct cap_flow *f)
{
	char icmp[120];
	SB_LIT(sb, " (");
	sb_str(sb, id);
	SB_LIT(sb, "): blocked, ");
	switch (f->outcome) {
	case CAP_OUT_REJECTED:
		SB_LIT(sb, "rejected: the SYN was answered with a RST (nothing "
		       "listens, or a firewall rejects).");
		break;
	case CAP_OUT_UNREACHABLE:
		icmp_words(icmp, sizeof icmp, f);
		sb_str(sb, icmp);
		SB_LIT(sb, ".");
		break;
	default:
		if (f->proto == 6) {
			SB_LIT(sb, "unanswered: ");
			sb_uint(sb, 1u + (unsigned)f->syn_retries);
			SB_LIT(sb, " SYN(s) got no reply (dropped by a firewall, "
			       "or the host is down).");
		} else {
			sb_uint(sb, (unsigned)f->pkts[0]);
			SB_LIT(sb, " request(s) got no reply from a "
			       "request/response service.");
		}
		break;
	}
}
const char *cls_reason_text(struct cls_reason *r)
{
	if (!r)
		return NULL;
	if (r->text || r->why == W_FIXED)
		return r->text;
	struct cls *c = r->c;
	const struct cap_flow *f = r->f;
	const struct cat_service *s = r->s;
	/* A flow attributed to a group is named after the group. */
	const char *id = r->g ? r->g->id : s ? s->id : "?";
	char pw[48], peer[64];
	/* The description first, cut at 159 bytes as it always was, then
	 * the rest of the sentence after it, cut at the buffer's end. */
	struct sb sb = { r->buf, 0, 159 };
	describe(c, &sb, f, r->a_srv, r->b_srv);
	sb.room = sizeof r->buf - 1;
	char *reason = r->buf + sb.o;
	size_t rlen = sizeof r->buf - sb.o;
	switch (r->why) {
	case W_NOT_L4:
		cls_fmt(reason, rlen, ": no catalog service covers %s.",
		        proto_word(f->proto, f->family));
		break;
	case W_NO_SERVICE: /* every flow of a scan, with a sink */
		SB_LIT(&sb, ": no catalog service uses ");
		sb_str(&sb, proto_word(f->proto, f->family));
		SB_LIT(&sb, " ");
		sb_uint(&sb, (unsigned)f->port_b);
		if (r->a_srv && r->b_srv)
			SB_LIT(&sb, " between servers.");
		else if (r->srv_init)
			SB_LIT(&sb, " outbound.");
		else
			SB_LIT(&sb, " inbound.");
		sb.b[sb.o] = '\0';
		break;
	case W_RESERVED:
		port_words(pw, sizeof pw, s, f->port_b);
		cls_fmt(reason, rlen, ": port %s is reserved (%s) and must "
		         "carry no traffic.", pw, id);
		break;
	case W_LOCAL_OK:
		port_words(pw, sizeof pw, s, f->port_b);
		cls_fmt(reason, rlen, ": expected, %s (%s) is local-only "
		         "and stays on the host.", id, pw);
		break;
	case W_LOCAL_CROSS:
		port_words(pw, sizeof pw, s, f->port_b);
		cls_fmt(reason, rlen, ": port %s (%s) is local-only and must "
		         "never cross the wire between two hosts.", pw,
		         id);
		break;
	case W_DISABLED:
		cls_fmt(reason, rlen, ": %s is disabled (%s), so its traffic "
		         "is not allowed.", id,
		         s->disabled_reason ? s->disabled_reason :
		         "off in the profile");
		break;
	case W_WRONG_OUT:
		cls_fmt(reason, rlen, ": wrong direction, %s is outbound "
		         "only (the server opens it to peers), but the "
		         "peer opened it.", id);
		break;
	case W_WRONG_IN:
		cls_fmt(reason, rlen, ": wrong direction, %s is inbound "
		         "only (peers open it to the server), but the "
		         "server opened it.", id);
		break;
	case W_NOT_DEVICE:
		cls_addr_str(f->family, r->srv_init ? f->addr_b : f->addr_a,
		             peer, sizeof peer);
		cls_fmt(reason, rlen, ": %s is expected only with the devices "
		         "the profile lists for %s, and %s is not one of them.",
		         id, c->cat->products[s->product].id, peer);
		break;
	case W_EXPECTED: /* most flows, with a sink */
		SB_LIT(&sb, ": expected, ");
		sb_str(&sb, id);
		SB_LIT(&sb, " (");
		sb_str(&sb, dir_word(s->dir));
		SB_LIT(&sb, "), ");
		sb_str(&sb, outcome_word(f->outcome));
		SB_LIT(&sb, ".");
		sb.b[sb.o] = '\0';
		break;
	case W_BLOCKED:
		blocked_words(&sb, id, f);
		sb.b[sb.o] = '\0';
		break;
	case W_UNSURE:
		if (cls_unsure_of(f) == CLS_UNSURE_UNSEEN)
			cls_fmt(reason, rlen, ": expected, %s (%s), but its reply "
			        "was not captured: the initiator acknowledged a "
			        "SYN-ACK the capture never saw, so not judged "
			        "blocked.", id, dir_word(s->dir));
		else if (f->reply_unsure == CAP_UNSURE_END)
			cls_fmt(reason, rlen, ": expected, %s (%s), no reply yet "
			        "when the capture ended, less than 1 s after it "
			        "began: not judged blocked.", id,
			        dir_word(s->dir));
		else
			cls_fmt(reason, rlen, ": expected, %s (%s), no reply "
			        "among the sampled records, and a reply may go "
			        "unsampled: not judged blocked.", id,
			        dir_word(s->dir));
		break;
	case W_RESET_ONLY:
		cls_fmt(reason, rlen, ": expected, %s (%s), but only resets were "
		        "seen (no SYN, no data): it shows neither that the service "
		        "works nor that it fails.", id, dir_word(s->dir));
		break;
	case W_DYN_DISABLED:
		cls_fmt(reason, rlen, ": dynamic port of %s, which is disabled "
		        "(%s).", id,
		        s->disabled_reason ? s->disabled_reason :
		        "off in the profile");
		break;
	case W_DYN_EPM:
		cls_fmt(reason, rlen, ": expected, %s on the port the endpoint "
		        "mapper (TCP %u) of the peer named, %s.", id,
		        (unsigned)s->control, outcome_word(f->outcome));
		break;
	case W_DYN_WINDOW:
		cls_fmt(reason, rlen, ": expected, dynamic port of %s within "
		        "%u s of TCP %u to the same peer, %s.", id,
		        (unsigned)(c->window_ns / 1000000000ull),
		        (unsigned)s->control, outcome_word(f->outcome));
		break;
	default:
		cls_fmt(reason, rlen, ".");
		break;
	}
	r->text = r->buf;
	return r->buf;
}

void cls_words_missing(char *buf, size_t len, const struct cat_service *s,
                       const struct cat_req *q, const struct cat_prefix *dev,
                       const struct cat_prefix *const *inside, unsigned n)
{
	const char *pn = s->proto == CAT_PROTO_TCP ? "TCP" :
	                 s->proto == CAT_PROTO_UDP ? "UDP" : "IP";
	char ports[64];
	req_words(ports, sizeof ports, q);
	if (!dev) {
		cls_fmt(buf, len, "%s %s (%s, %s) is required by the profile but "
		        "no flow was seen.", pn, ports, s->id, dir_word(s->dir));
		return;
	}
	char d[200];
	prefix_words(d, sizeof d, dev);
	for (unsigned i = 0; i < n; i++) {
		size_t o = strlen(d);
		char h[64];
		prefix_words(h, sizeof h, inside[i]);
		cls_fmt(d + o, sizeof d - o, "%s%s", i ? ", " : " (with the "
		        "listed ", h);
	}
	if (n) {
		size_t o = strlen(d);
		cls_fmt(d + o, sizeof d - o, ")");
	}
	if (s->dir == CAT_DIR_OUTBOUND)
		cls_fmt(buf, len, "%s %s (%s) from the server to %s was never "
		        "seen, though the profile requires it.", pn, ports,
		        s->id, d);
	else
		cls_fmt(buf, len, "%s %s (%s) between %s and the server was "
		        "never seen, though the profile requires it.", pn,
		        ports, s->id, d);
}

void cls_words_not_audited(const struct cls_result *res,
                           const struct cap_stats *st, char *buf, size_t len)
{
	if (st && st->packets == 0 && st->flows == 0 &&
	    st->kind != CAP_SRC_PACKETS) {
		if (st->kind == CAP_SRC_NETFLOW && st->rec.records == 0)
			cls_fmt(buf, len, "No flow record was received during the "
			        "collection, so nothing was checked.");
		else if (st->rec.records == 0 && st->rec.ignored_exporters)
			cls_fmt(buf, len, "Every flow record (%llu) came from an "
			        "exporter outside --exporter and was ignored, so "
			        "nothing was checked.",
			        (unsigned long long)st->rec.ignored_exporters);
		else if (st->rec.records == 0 && st->rec.malformed)
			cls_fmt(buf, len, "Every flow record read (%llu) was "
			        "malformed and skipped, so nothing was checked.",
			        (unsigned long long)st->rec.malformed);
		else if (st->rec.records == 0 && st->unread[0])
			cls_fmt(buf, len, "No flow record could be read (%.195s), "
			        "so nothing was checked.", st->unread);
		else if (st->rec.records == 0)
			cls_fmt(buf, len, "No flow record was read: the source "
			        "holds none, so nothing was checked.");
		else
			cls_fmt(buf, len, "The flow records count no packet, so "
			        "nothing was checked.");
		return;
	}
	if (!st || (st->packets == 0 && st->flows == 0)) {
		if (st && st->unread[0])
			cls_fmt(buf, len, "No packet could be read (%.195s), so "
			        "nothing was checked.", st->unread);
		else if (st && st->truncated)
			cls_fmt(buf, len, "No packet was read: the file is cut or "
			        "corrupt at its first record, so nothing was "
			        "checked.");
		else if (res->filter)
			/* not "the capture is empty": the filter kept none */
			cls_fmt(buf, len, "No packet read matched the capture "
			        "filter '%s', so nothing was checked.",
			        res->filter);
		else if (st && st->has_dropped)
			cls_fmt(buf, len, "No packet was captured on the interface "
			        "in the time this report covers, so nothing was "
			        "checked.");
		else
			cls_fmt(buf, len, "No packet was read: the capture is "
			        "empty, so nothing was checked.");
		return;
	}
	if (res->nservers == 0) {
		cls_fmt(buf, len, "%s No flow was judged: give the servers with "
		        "--server or a profile.", res->servers_how);
		return;
	}
	/* The servers were given (inferred ones have flows by definition). */
	char list[120];
	size_t o = 0;
	list[0] = '\0';
	for (uint32_t i = 0; i < res->nservers && i < 3; i++) {
		char a[64];
		const struct cls_server *sv = &res->servers[i];
		cls_addr_str(sv->family, sv->addr, a, sizeof a);
		if (sv->len != (sv->family == 4 ? 32 : 128)) {
			size_t n = strlen(a);
			cls_fmt(a + n, sizeof a - n, "/%u", (unsigned)sv->len);
		}
		cls_fmt(list + o, sizeof list - o, "%s%s", i ? ", " : "", a);
		o = strlen(list);
	}
	if (res->nservers > 3)
		cls_fmt(list + o, sizeof list - o, " and %u more",
		        (unsigned)(res->nservers - 3));
	const char *how = res->servers[0].how;
	/* "ended": a flow still open at an --interval boundary is judged
	 * in the interval it ends in, not before. */
	bool rec = st->kind != CAP_SRC_PACKETS;
	cls_fmt(buf, len, "No flow of the %s given with %s (%s) ended among "
	        "the %llu %s read (a flow is judged when it ends), so "
	        "nothing was checked.",
	        res->nservers > 1 ? "servers" : "server",
	        strncmp(how, "profile", 7) == 0 ? "the profile" :
	        how[0] ? how : "--server", list,
	        (unsigned long long)(rec ? st->rec.records : st->packets),
	        rec ? "flow records" : "packets");
}

void cls_flood_reason(const struct cls *c, struct cls_finding *fd)
{
	char srv[64], svc[CAT_ID_MAX + 8] = "";
	cls_addr_str(fd->family, fd->server, srv, sizeof srv);
	const char *pn = proto_word(fd->proto, fd->family);
	const char *id = fd->group && fd->group <= c->res.ngroups ?
	                 c->res.groups[fd->group - 1].id :
	                 fd->service >= 0 ? c->cat->services[fd->service].id :
	                 NULL;
	if (id)
		cls_fmt(svc, sizeof svc, " (%s)", id);
	const char *what;
	switch (fd->kind) {
	case CLS_K_BLOCKED: what = "its attempts were blocked"; break;
	case CLS_K_VIOLATION: what = "each one a violation"; break;
	default: what = "no catalog service uses it that way"; break;
	}
	if (fd->server_initiated)
		cls_fmt(fd->reason, sizeof fd->reason, "The server %s sent %s to "
		        "port %u%s of %u peers, %s (last outcome %s): a flood or "
		        "a sweep.", srv, pn, (unsigned)fd->port, svc,
		        (unsigned)fd->npeers, what, outcome_word(fd->outcome));
	else
		cls_fmt(fd->reason, sizeof fd->reason, "%u peers sent %s to port "
		        "%u%s of the server %s, %s (last outcome %s): a flood.",
		        (unsigned)fd->npeers, pn, (unsigned)fd->port, svc, srv,
		        what, outcome_word(fd->outcome));
}
