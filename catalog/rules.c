/*
 * rules.c -- `portaudit rules`: the allow-list a site profile implies, as
 * CSV, an nftables ruleset, iptables-restore / ip6tables-restore input, or
 * one BPF capture filter.
 *
 * Design. The command loads the catalog and the profile, applies them
 * (cat_apply: enabled services, resolved base offsets), then builds one flat
 * list of rules in the catalog's service order, and each format is a
 * printer over that list. A rule is: a service, a protocol, a direction
 * relative to one server address (in = a peer opens to the server, out =
 * the server opens to a peer), the peers (the product's devices of the
 * same address family, or any), and the merged destination port set (every
 * alternative of every requirement, plus the dynamic range of a DCE/RPC
 * service). Local and reserved services give marker rules that the
 * printers turn into comments (or CSV rows that allow nothing). Keeping
 * the address family of the server and of its peers equal is the one
 * invariant every printer relies on: a rule never mixes IPv4 and IPv6.
 *
 * The rulesets are host firewalls for the monitoring servers (input and
 * output chains, policy drop, conntrack for replies): each rule names the
 * server address, so one file serves every server of the profile. The BPF
 * filter matches both directions of each expected flow (only the sending
 * direction for one-way UDP) and merges the services' ports, since the
 * filter language has no comments anyway.
 *
 * Cost: O(services x server addresses x devices) rules, built once; the
 * BPF merge is quadratic in the number of terms (a few hundred at most).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"

#define RULES_USAGE \
	"Usage: portaudit rules --profile FILE [--format csv|nft|iptables|ip6tables|bpf]\n" \
	"                       [--catalog FILE] [--base-port N] [--server ADDR[/LEN]]...\n"

#define MAX_PORTS (CAT_MAX_REQ * CAT_MAX_ALT + 2) /* + control + dynamic */
#define NFT_COMMENT_MAX 128  /* nft refuses longer comments */
#define IPT_COMMENT_MAX 255  /* xt_comment: 256 bytes with the NUL */
#define MULTIPORT_MAX 15     /* xt_multiport: a range counts twice */

enum rules_format { FMT_CSV, FMT_NFT, FMT_IPT, FMT_IP6T, FMT_BPF };

enum rule_kind {
	RK_ALLOW,    /* traffic allowed on the wire */
	RK_LOCAL,    /* loopback only: a comment */
	RK_RESERVED, /* reserved offset: nothing allowed, a comment */
	RK_NONE,     /* an enabled service that yields no rule: a comment */
};

struct portset {
	struct cat_range r[MAX_PORTS]; /* lo/hi only, sorted, disjoint */
	uint32_t n;
};

struct rule {
	uint32_t svc;
	enum rule_kind kind;
	uint8_t proto;                  /* 6 or 17 (RK_ALLOW) */
	bool in;                        /* in: peers -> server; else server -> peers */
	const struct cat_prefix *server;
	struct cat_prefix *peers;       /* owned; NULL/0 = any peer */
	uint32_t npeers;
	const char *why;                /* RK_NONE: the reason */
	struct portset ports;
};

struct ruleset {
	struct rule *r;
	uint32_t n, cap;
	bool has4, has6; /* rules of each family */
};

/* ---- small helpers ------------------------------------------------------ */

static void die_oom(void)
{
	fputs("portaudit: rules: out of memory\n", stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom();
	return q;
}

/* Zero the host bits so that nft, iptables and pcap accept the prefix. */
static struct cat_prefix prefix_masked(const struct cat_prefix *p)
{
	struct cat_prefix q = *p;
	unsigned bytes = q.family == 6 ? 16 : 4;
	unsigned len = q.len > bytes * 8 ? bytes * 8 : q.len;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = len >= (i + 1) * 8 ? 8 : len > i * 8 ? len - i * 8 : 0;
		q.addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	for (unsigned i = bytes; i < 16; i++)
		q.addr[i] = 0;
	q.len = (uint8_t)len;
	return q;
}

static bool prefix_is_host(const struct cat_prefix *p)
{
	return p->len >= (p->family == 6 ? 128 : 32);
}

/* "10.0.0.5", "10.1.0.0/16", "2001:db8::/32" (host bits cleared). */
static void prefix_str(const struct cat_prefix *p, char *buf, size_t len)
{
	struct cat_prefix q = prefix_masked(p);
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(q.family == 6 ? AF_INET6 : AF_INET, q.addr, a, sizeof a))
		snprintf(a, sizeof a, "?");
	if (prefix_is_host(&q))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, q.len);
}

/* Is b inside a (same family)? */
static bool prefix_covers(const struct cat_prefix *a, const struct cat_prefix *b)
{
	if (a->family != b->family || a->len > b->len)
		return false;
	struct cat_prefix ma = prefix_masked(a), mb = *b;
	mb.len = a->len;
	mb = prefix_masked(&mb);
	return memcmp(ma.addr, mb.addr, 16) == 0;
}

static bool prefix_equal(const struct cat_prefix *a, const struct cat_prefix *b)
{
	struct cat_prefix ma = prefix_masked(a), mb = prefix_masked(b);
	return ma.family == mb.family && ma.len == mb.len &&
	       memcmp(ma.addr, mb.addr, 16) == 0;
}

/* Text for a comment in nft, iptables or shell: printable ASCII only, no
 * double quote or backslash, at most cap-1 bytes (cut with "..."). Common
 * typographic UTF-8 (dashes, quotes) becomes its ASCII look-alike. */
static void clean_text(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	bool cut = false;
	for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
		char c;
		if (s[0] == 0xe2 && s[1] == 0x80 && s[2]) {
			unsigned char t = s[2];
			c = (t == 0x93 || t == 0x94 || t == 0x90 || t == 0x91) ? '-' :
			    (t >= 0x98 && t <= 0x9f) ? '\'' : '?';
			s += 2;
		} else if (*s >= 0x80) {
			c = '?';
			while ((s[1] & 0xc0) == 0x80)
				s++;
		} else if (*s == '"') {
			c = '\'';
		} else if (*s == '\\') {
			c = '/';
		} else if (*s < 0x20 || *s == 0x7f) {
			c = ' ';
		} else {
			c = (char)*s;
		}
		if (n + 1 >= cap) {
			cut = true;
			break;
		}
		dst[n++] = c;
	}
	dst[n] = 0;
	if (cut && cap > 4) {
		n = cap - 4 < n ? cap - 4 : n;
		memcpy(dst + n, "...", 4);
	}
}

/* ---- port sets ---------------------------------------------------------- */

static int range_cmp(const void *a, const void *b)
{
	const struct cat_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* Sort and merge overlapping or adjacent ranges (nft refuses overlaps). */
static void portset_normalize(struct portset *ps)
{
	if (ps->n == 0)
		return;
	qsort(ps->r, ps->n, sizeof ps->r[0], range_cmp);
	uint32_t w = 0;
	for (uint32_t i = 1; i < ps->n; i++) {
		struct cat_range *last = &ps->r[w];
		if ((uint32_t)ps->r[i].lo <= (uint32_t)last->hi + 1) {
			if (ps->r[i].hi > last->hi)
				last->hi = ps->r[i].hi;
		} else {
			ps->r[++w] = ps->r[i];
		}
	}
	ps->n = w + 1;
}

static void portset_add(struct portset *ps, uint16_t lo, uint16_t hi)
{
	if (ps->n == MAX_PORTS)
		portset_normalize(ps);
	if (ps->n == MAX_PORTS)
		return; /* cannot happen: MAX_PORTS covers every alternative */
	ps->r[ps->n].lo = lo < hi ? lo : hi;
	ps->r[ps->n].hi = lo < hi ? hi : lo;
	ps->n++;
}

static void portset_of_service(struct portset *ps, const struct cat_service *s)
{
	memset(ps, 0, sizeof *ps);
	for (unsigned i = 0; i < s->nreq && i < CAT_MAX_REQ; i++)
		for (unsigned j = 0; j < s->req[i].nalt && j < CAT_MAX_ALT; j++)
			portset_add(ps, s->req[i].alt[j].lo, s->req[i].alt[j].hi);
	if (s->has_dynamic) {
		portset_add(ps, s->control, s->control);
		portset_add(ps, s->dynamic.lo, s->dynamic.hi);
	}
	portset_normalize(ps);
}

/* "135 49152-65535" with `sep` between elements and `dash` in ranges. */
static void portset_str(const struct portset *ps, uint32_t from, uint32_t to,
                        const char *sep, char dash, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (uint32_t i = from; i < to && n < len; i++) {
		int k;
		if (ps->r[i].lo == ps->r[i].hi)
			k = snprintf(buf + n, len - n, "%s%u", i > from ? sep : "",
			             ps->r[i].lo);
		else
			k = snprintf(buf + n, len - n, "%s%u%c%u", i > from ? sep : "",
			             ps->r[i].lo, dash, ps->r[i].hi);
		if (k < 0)
			break;
		n += (size_t)k;
	}
}

/* ---- building the rule list --------------------------------------------- */

static struct rule *rule_new(struct ruleset *rs, uint32_t svc, enum rule_kind k)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->r = xrealloc(rs->r, rs->cap * sizeof rs->r[0]);
	}
	struct rule *r = &rs->r[rs->n++];
	memset(r, 0, sizeof *r);
	r->svc = svc;
	r->kind = k;
	return r;
}

static void ruleset_free(struct ruleset *rs)
{
	for (uint32_t i = 0; i < rs->n; i++)
		free(rs->r[i].peers);
	free(rs->r);
	memset(rs, 0, sizeof *rs);
}

/* The peers of `family` among `cand`, without `self`, and without any
 * prefix covered by another one (nft refuses overlapping set elements).
 * Returns a malloc'ed array (count in *n). */
static struct cat_prefix *peers_for(const struct cat_prefix *cand, uint32_t ncand,
                                    uint8_t family, const struct cat_prefix *self,
                                    uint32_t *n)
{
	struct cat_prefix *out = xrealloc(NULL, (ncand ? ncand : 1) * sizeof *out);
	uint32_t k = 0;
	for (uint32_t i = 0; i < ncand; i++) {
		const struct cat_prefix *c = &cand[i];
		if (c->family != family || (self && prefix_equal(c, self)))
			continue;
		bool covered = false;
		for (uint32_t j = 0; j < ncand && !covered; j++) {
			if (j == i || cand[j].family != family ||
			    (self && prefix_equal(&cand[j], self)))
				continue;
			if (prefix_covers(&cand[j], c) &&
			    (!prefix_equal(&cand[j], c) || j < i))
				covered = true;
		}
		if (!covered)
			out[k++] = prefix_masked(c);
	}
	*n = k;
	return out;
}

static const struct cat_prefix mcast4 = { 4, 4, { 224 } };
static const struct cat_prefix mcast6 = { 6, 8, { 0xff } };

static bool mentions_multicast(const char *s)
{
	for (; s && *s; s++)
		if (strncasecmp(s, "multicast", 9) == 0)
			return true;
	return false;
}

static const struct cat_profile_product *
profile_product(const struct cat_profile *prof, uint32_t product)
{
	if (!prof)
		return NULL;
	for (uint32_t i = 0; i < prof->nproducts; i++)
		if (prof->products[i].product == product)
			return &prof->products[i];
	return NULL;
}

static void build_service(struct ruleset *rs, const struct catalog *cat,
                          const struct cat_profile *prof, uint32_t si,
                          const struct cat_prefix *srv, uint32_t nsrv)
{
	const struct cat_service *s = &cat->services[si];
	if (s->dir == CAT_DIR_RESERVED || s->dir == CAT_DIR_LOCAL) {
		struct rule *r = rule_new(rs, si, s->dir == CAT_DIR_LOCAL ?
		                          RK_LOCAL : RK_RESERVED);
		portset_of_service(&r->ports, s);
		return;
	}
	struct portset ps;
	portset_of_service(&ps, s);

	/* The peers the audit expects (classify.c, evaluate): the product's
	 * devices and the other servers, or any address when the product
	 * lists no devices; `internal` alike (the product's own hosts). */
	struct cat_prefix *cand = NULL;
	uint32_t ncand = 0;
	const struct cat_profile_product *pp = profile_product(prof, s->product);
	bool any = !(pp && pp->ndevices);
	if (!any) {
		ncand = pp->ndevices + nsrv;
		cand = xrealloc(NULL, ncand * sizeof *cand);
		memcpy(cand, pp->devices, pp->ndevices * sizeof *cand);
		memcpy(cand + pp->ndevices, srv, nsrv * sizeof *cand);
	}
	uint8_t protos[2];
	unsigned nproto = 0;
	if (s->proto == CAT_PROTO_TCP || s->proto == CAT_PROTO_NONE)
		protos[nproto++] = CAT_PROTO_TCP;
	if (s->proto == CAT_PROTO_UDP || s->proto == CAT_PROTO_NONE)
		protos[nproto++] = CAT_PROTO_UDP;
	bool dir_in = s->dir != CAT_DIR_OUTBOUND;
	bool dir_out = s->dir != CAT_DIR_INBOUND;

	uint32_t made = 0;
	for (uint32_t a = 0; a < nsrv; a++) {
		const struct cat_prefix *S = &srv[a];
		/* Between two servers any service is expected either way
		 * (classify.c): the other servers get the direction the
		 * service's own does not give them. */
		uint32_t nother = 0;
		struct cat_prefix *other = peers_for(srv, nsrv, S->family, S,
		                                     &nother);
		struct cat_prefix *peers = NULL;
		uint32_t npeers = 0;
		if (!any)
			peers = peers_for(cand, ncand, S->family, S, &npeers);
		for (unsigned d = 0; d < 2; d++) {
			bool own = d == 0 ? dir_in : dir_out;
			const struct cat_prefix *use = own ? peers : other;
			uint32_t nuse = own ? npeers : nother;
			if ((own && !any && nuse == 0) || (!own && nuse == 0))
				continue;
			for (unsigned p = 0; p < nproto; p++) {
				struct rule *r = rule_new(rs, si, RK_ALLOW);
				r->proto = protos[p];
				r->in = d == 0;
				r->server = S;
				r->npeers = nuse;
				if (nuse) {
					r->peers = xrealloc(NULL, nuse * sizeof *use);
					memcpy(r->peers, use, nuse * sizeof *use);
				}
				r->ports = ps;
				if (S->family == 6)
					rs->has6 = true;
				else
					rs->has4 = true;
				made++;
			}
		}
		free(peers);
		free(other);
	}
	/* Multicast (auto-discovery): what arrives is addressed to the group,
	 * not to the server, so the inbound side also accepts the multicast
	 * range of each family the servers use. */
	if (dir_in && s->proto != CAT_PROTO_TCP && mentions_multicast(s->purpose)) {
		for (unsigned f = 0; f < 2; f++) {
			const struct cat_prefix *g = f ? &mcast6 : &mcast4;
			bool fam = false;
			for (uint32_t a = 0; a < nsrv; a++)
				fam |= srv[a].family == g->family;
			struct cat_prefix *peers = NULL;
			uint32_t npeers = 0;
			if (fam && !any) {
				peers = peers_for(cand, ncand, g->family, NULL, &npeers);
				fam = npeers > 0;
			}
			if (fam) {
				struct rule *r = rule_new(rs, si, RK_ALLOW);
				r->proto = CAT_PROTO_UDP;
				r->in = true;
				r->server = g;
				r->peers = peers;
				r->npeers = npeers;
				r->ports = ps;
				peers = NULL;
				made++;
			}
			free(peers);
		}
	}
	if (made == 0) {
		struct rule *r = rule_new(rs, si, RK_NONE);
		r->ports = ps;
		r->why = nsrv > 1 ? "no device of the product and no other server "
		         "has the address family of a server" :
		         "no device of the product has the address family of a "
		         "server";
	}
	free(cand);
}

static void rules_build(struct ruleset *rs, const struct catalog *cat,
                        const struct cat_profile *prof,
                        const struct cat_prefix *srv, uint32_t nsrv)
{
	memset(rs, 0, sizeof *rs);
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (cat->services[i].enabled)
			build_service(rs, cat, prof, i, srv, nsrv);
}

/* ---- shared text -------------------------------------------------------- */

static const char *group_of(const struct catalog *cat, const struct cat_service *s)
{
	if (s->product < cat->nproducts && cat->products[s->product].name)
		return cat->products[s->product].name;
	return "";
}

static const char *proto_str(uint8_t p)
{
	return p == CAT_PROTO_UDP ? "udp" : p == CAT_PROTO_TCP ? "tcp" : "any";
}

static void dynamic_note(const struct cat_service *s, char *buf, size_t len)
{
	snprintf(buf, len, "DCE/RPC: control port %u then dynamic %u-%u to the "
	         "same peer; a DCE/RPC-aware firewall or a fixed WMI port can "
	         "narrow it", s->control, s->dynamic.lo, s->dynamic.hi);
}

/* "base+1" or "1961" for the first port of a local/reserved service. */
static void written_ports(const struct cat_service *s, const struct portset *ps,
                          char *buf, size_t len)
{
	char p[256];
	portset_str(ps, 0, ps->n, ", ", '-', p, sizeof p);
	if (s->nreq && s->req[0].nalt && s->req[0].alt[0].base_rel &&
	    s->req[0].alt[0].raw_lo == s->req[0].alt[0].raw_hi)
		snprintf(buf, len, "%s (base+%u)", p, s->req[0].alt[0].raw_lo);
	else
		snprintf(buf, len, "%s", p);
}

/* The one-line comment for a local, reserved or rule-less service. */
static void marker_text(const struct catalog *cat, const struct rule *r,
                        char *buf, size_t len)
{
	const struct cat_service *s = &cat->services[r->svc];
	char ports[300], purpose[300];
	written_ports(s, &r->ports, ports, sizeof ports);
	clean_text(purpose, sizeof purpose, s->purpose ? s->purpose : "");
	if (r->kind == RK_LOCAL)
		snprintf(buf, len, "%s: %s %s is local only: it stays on loopback "
		         "(the lo rule) and never crosses the wire. %s", s->id,
		         cat_proto_name(s->proto), ports, purpose);
	else if (r->kind == RK_RESERVED)
		snprintf(buf, len, "%s: %s is reserved: nothing allowed "
		         "(the drop policy covers it). %s", s->id, ports, purpose);
	else
		snprintf(buf, len, "%s: %s %s: no rule (%s). %s", s->id,
		         cat_proto_name(s->proto), ports, r->why, purpose);
}

/* "svc-id: purpose", cut to fit `cap` (nft / iptables limits). */
static void rule_comment(const struct cat_service *s, char *buf, size_t cap)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s: %s", s->id, s->purpose ? s->purpose : "");
	clean_text(buf, cap, tmp);
}

/* A '#' line before a service's first rule in a chain: id, group, full
 * purpose, and the dynamic-range note. */
static void service_header(FILE *out, const char *indent,
                           const struct catalog *cat, const struct cat_service *s)
{
	char purpose[1024], group[256], ports[512];
	clean_text(purpose, sizeof purpose, s->purpose ? s->purpose : "");
	clean_text(group, sizeof group, group_of(cat, s));
	cat_service_ports_format(s, ports, sizeof ports);
	fprintf(out, "%s# %s (%s), %s %s %s%s: %s\n", indent, s->id, group,
	        cat_proto_name(s->proto), ports, cat_dir_name(s->dir),
	        s->oneway ? ", one-way" : "", purpose);
	if (s->has_dynamic) {
		char dn[256];
		dynamic_note(s, dn, sizeof dn);
		fprintf(out, "%s#   %s\n", indent, dn);
	}
}

/* ---- CSV ---------------------------------------------------------------- */

static void csv_field(FILE *out, const char *f, bool last)
{
	if (strpbrk(f, ",\"\r\n")) {
		fputc('"', out);
		for (; *f; f++) {
			if (*f == '"')
				fputc('"', out);
			fputc(*f, out);
		}
		fputc('"', out);
	} else {
		fputs(f, out);
	}
	fputc(last ? '\n' : ',', out);
}

static void csv_row(FILE *out, const char *svc, const char *group,
                    const char *proto, const char *dir, const char *src,
                    const char *dst, const char *ports, const char *purpose)
{
	csv_field(out, svc, false);
	csv_field(out, group, false);
	csv_field(out, proto, false);
	csv_field(out, dir, false);
	csv_field(out, src, false);
	csv_field(out, dst, false);
	csv_field(out, ports, false);
	csv_field(out, purpose, true);
}

static void print_csv(FILE *out, const struct catalog *cat, const struct ruleset *rs)
{
	fputs("service,group,protocol,direction,src,dst,dst_ports,purpose\n", out);
	for (uint32_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		const struct cat_service *s = &cat->services[r->svc];
		char ports[512], purpose[2048];
		portset_str(&r->ports, 0, r->ports.n, " ", '-', ports, sizeof ports);
		snprintf(purpose, sizeof purpose, "%s", s->purpose ? s->purpose : "");
		if (s->has_dynamic) {
			char dn[256];
			dynamic_note(s, dn, sizeof dn);
			size_t l = strlen(purpose);
			snprintf(purpose + l, sizeof purpose - l, " (%s)", dn);
		}
		if (r->kind == RK_LOCAL) {
			csv_row(out, s->id, group_of(cat, s), cat_proto_name(s->proto),
			        "local", "loopback", "loopback", ports, purpose);
			continue;
		}
		if (r->kind == RK_RESERVED) {
			csv_row(out, s->id, group_of(cat, s), cat_proto_name(s->proto),
			        "reserved", "none", "none", ports, purpose);
			continue;
		}
		if (r->kind != RK_ALLOW)
			continue;
		char S[64];
		prefix_str(r->server, S, sizeof S);
		uint32_t np = r->npeers ? r->npeers : 1;
		for (uint32_t k = 0; k < np; k++) {
			char P[64] = "any";
			if (r->npeers)
				prefix_str(&r->peers[k], P, sizeof P);
			csv_row(out, s->id, group_of(cat, s), proto_str(r->proto),
			        r->in ? "inbound" : "outbound", r->in ? P : S,
			        r->in ? S : P, ports, purpose);
		}
	}
}

/* ---- nftables ----------------------------------------------------------- */

static void nft_addrs(FILE *out, const struct cat_prefix *p, uint32_t n)
{
	char a[64];
	if (n == 1) {
		prefix_str(p, a, sizeof a);
		fputs(a, out);
		return;
	}
	fputs("{ ", out);
	for (uint32_t i = 0; i < n; i++) {
		prefix_str(&p[i], a, sizeof a);
		fprintf(out, "%s%s", i ? ", " : "", a);
	}
	fputs(" }", out);
}

static void nft_chain(FILE *out, const struct catalog *cat,
                      const struct ruleset *rs, bool in)
{
	fprintf(out, "\tchain %s {\n", in ? "input" : "output");
	fprintf(out, "\t\ttype filter hook %s priority 0; policy drop;\n",
	        in ? "input" : "output");
	fputs("\t\tct state established,related accept\n", out);
	fprintf(out, "\t\t%s lo accept\n", in ? "iif" : "oif");
	fputs("\t\tct state invalid drop\n", out);
	fputs("\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, "
	      "nd-router-solicit, nd-router-advert } accept\n", out);
	uint32_t last = UINT32_MAX;
	for (uint32_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		const struct cat_service *s = &cat->services[r->svc];
		if (r->kind != RK_ALLOW) {
			if (in) {
				char m[1024];
				marker_text(cat, r, m, sizeof m);
				fprintf(out, "\t\t# %s\n", m);
			}
			continue;
		}
		if (r->in != in)
			continue;
		if (last != r->svc) {
			service_header(out, "\t\t", cat, s);
			last = r->svc;
		}
		const char *fam = r->server->family == 6 ? "ip6" : "ip";
		char S[64], ports[1024], c[NFT_COMMENT_MAX];
		prefix_str(r->server, S, sizeof S);
		portset_str(&r->ports, 0, r->ports.n, ", ", '-', ports, sizeof ports);
		rule_comment(s, c, sizeof c);
		fputs("\t\t", out);
		if (in) {
			if (r->npeers) {
				fprintf(out, "%s saddr ", fam);
				nft_addrs(out, r->peers, r->npeers);
				fputc(' ', out);
			}
			fprintf(out, "%s daddr %s ", fam, S);
		} else {
			fprintf(out, "%s saddr %s ", fam, S);
			if (r->npeers) {
				fprintf(out, "%s daddr ", fam);
				nft_addrs(out, r->peers, r->npeers);
				fputc(' ', out);
			}
		}
		fprintf(out, "%s dport %s%s%s accept comment \"%s\"\n",
		        proto_str(r->proto), r->ports.n > 1 ? "{ " : "", ports,
		        r->ports.n > 1 ? " }" : "", c);
	}
	fputs("\t}\n", out);
}

static void print_header(FILE *out, const struct catalog *cat,
                         const struct cat_profile *prof, uint16_t base,
                         const char *what)
{
	char site[256] = "";
	if (prof && prof->site)
		clean_text(site, sizeof site, prof->site);
	char src[512];
	clean_text(src, sizeof src, prof && prof->source ? prof->source : "-");
	fprintf(out, "# portaudit rules (%s): the allow-list implied by profile %s%s%s%s\n",
	        what, src, site[0] ? " (site " : "", site, site[0] ? ")" : "");
	fprintf(out, "# catalog %s sha256:%.12s, base port %u\n",
	        cat->name, cat->sha256, base);
	fputs("# A host firewall for the monitoring servers: each rule names the "
	      "server's\n# address, so one file serves every server. Add the "
	      "host's own needs\n# (DNS, NTP, management access) before loading it.\n",
	      out);
}

static void print_nft(FILE *out, const struct catalog *cat,
                      const struct cat_profile *prof, uint16_t base,
                      const struct ruleset *rs)
{
	fputs("#!/usr/sbin/nft -f\n", out);
	print_header(out, cat, prof, base, "nftables");
	fputs("\n# Replace only this table, atomically: the declaration makes the delete\n"
	      "# succeed when the table does not exist yet.\n"
	      "table inet portaudit\ndelete table inet portaudit\n\n"
	      "table inet portaudit {\n", out);
	nft_chain(out, cat, rs, true);
	fputc('\n', out);
	nft_chain(out, cat, rs, false);
	fputs("}\n", out);
}

/* ---- iptables-restore --------------------------------------------------- */

static void print_ipt(FILE *out, const struct catalog *cat,
                      const struct cat_profile *prof, uint16_t base,
                      const struct ruleset *rs, bool v6)
{
	print_header(out, cat, prof, base, v6 ? "ip6tables-restore" : "iptables-restore");
	uint32_t other = 0;
	for (uint32_t i = 0; i < rs->n; i++)
		if (rs->r[i].kind == RK_ALLOW && (rs->r[i].server->family == 6) != v6)
			other++;
	if (!v6 && other)
		fprintf(out, "# note: %u IPv6 rule(s) not here: iptables-restore takes "
		        "IPv4 only; see --format ip6tables\n", other);
	if (v6 && other)
		fprintf(out, "# note: %u IPv4 rule(s) not here; see --format iptables\n",
		        other);
	fputs("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n"
	      "-A INPUT -i lo -j ACCEPT\n"
	      "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	      "-A INPUT -m conntrack --ctstate INVALID -j DROP\n"
	      "-A OUTPUT -o lo -j ACCEPT\n"
	      "-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	      "-A OUTPUT -m conntrack --ctstate INVALID -j DROP\n", out);
	if (v6) {
		static const char *const nd[] = { "neighbour-solicitation",
			"neighbour-advertisement", "router-solicitation",
			"router-advertisement" };
		for (unsigned c = 0; c < 2; c++)
			for (unsigned k = 0; k < 4; k++)
				fprintf(out, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type %s "
				        "-j ACCEPT\n", c ? "OUTPUT" : "INPUT", nd[k]);
	}
	uint32_t last = UINT32_MAX;
	for (uint32_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		const struct cat_service *s = &cat->services[r->svc];
		if (r->kind != RK_ALLOW) {
			char m[1024];
			marker_text(cat, r, m, sizeof m);
			fprintf(out, "# %s\n", m);
			continue;
		}
		if ((r->server->family == 6) != v6)
			continue;
		if (last != r->svc) {
			service_header(out, "", cat, s);
			last = r->svc;
		}
		char S[64], c[IPT_COMMENT_MAX + 1];
		prefix_str(r->server, S, sizeof S);
		rule_comment(s, c, sizeof c);
		/* Chunks of at most 15 multiport slots (a range takes two). */
		uint32_t from = 0;
		while (from < r->ports.n) {
			uint32_t to = from, w = 0;
			while (to < r->ports.n) {
				unsigned cost = r->ports.r[to].lo == r->ports.r[to].hi ? 1 : 2;
				if (w + cost > MULTIPORT_MAX)
					break;
				w += cost;
				to++;
			}
			char ports[512], match[600];
			portset_str(&r->ports, from, to, ",", ':', ports, sizeof ports);
			if (to - from == 1)
				snprintf(match, sizeof match, "--dport %s", ports);
			else
				snprintf(match, sizeof match, "-m multiport --dports %s", ports);
			uint32_t np = r->npeers ? r->npeers : 1;
			for (uint32_t k = 0; k < np; k++) {
				char P[64] = "";
				if (r->npeers)
					prefix_str(&r->peers[k], P, sizeof P);
				fprintf(out, "-A %s -p %s", r->in ? "INPUT" : "OUTPUT",
				        proto_str(r->proto));
				if (r->in)
					fprintf(out, "%s%s -d %s", P[0] ? " -s " : "", P, S);
				else
					fprintf(out, " -s %s%s%s", S, P[0] ? " -d " : "", P);
				fprintf(out, " %s -m comment --comment \"%s\" -j ACCEPT\n",
				        match, c);
			}
			from = to;
		}
	}
	fputs("COMMIT\n", out);
}

/* ---- BPF ---------------------------------------------------------------- */

/* One term: a server, a protocol, a side, one-way or not, its peers, the
 * union of ports of every service with those same keys. */
struct bpf_term {
	const struct rule *key;
	bool oneway;
	struct portset ports;
};

static bool same_peers(const struct rule *a, const struct rule *b)
{
	if (a->npeers != b->npeers)
		return false;
	for (uint32_t i = 0; i < a->npeers; i++)
		if (!prefix_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

static void bpf_hosts(FILE *out, const char *side, const struct cat_prefix *p,
                      uint32_t n)
{
	char a[64];
	fputs(n > 1 ? "(" : "", out);
	for (uint32_t i = 0; i < n; i++) {
		prefix_str(&p[i], a, sizeof a);
		fprintf(out, "%s%s %s %s", i ? " or " : "", side,
		        prefix_is_host(&p[i]) ? "host" : "net", a);
	}
	fputs(n > 1 ? ")" : "", out);
}

static void bpf_ports(FILE *out, const char *side, const struct portset *ps)
{
	fputs(ps->n > 1 ? "(" : "", out);
	for (uint32_t i = 0; i < ps->n; i++) {
		if (ps->r[i].lo == ps->r[i].hi)
			fprintf(out, "%s%s port %u", i ? " or " : "", side, ps->r[i].lo);
		else
			fprintf(out, "%s%s portrange %u-%u", i ? " or " : "", side,
			        ps->r[i].lo, ps->r[i].hi);
	}
	fputs(ps->n > 1 ? ")" : "", out);
}

/* One direction of a flow: `from` (peers or the server) sends to `to` on
 * the ports (fwd), or the reply from the ports (!fwd). */
static void bpf_half(FILE *out, const struct bpf_term *t, bool fwd)
{
	const struct rule *r = t->key;
	/* The host whose port is in the set: the server when inbound. */
	const struct cat_prefix *owner = r->in ? r->server : NULL;
	const char *oside = fwd ? "dst" : "src", *pside = fwd ? "src" : "dst";
	fputc('(', out);
	if (owner)
		bpf_hosts(out, oside, r->server, 1);
	else
		bpf_hosts(out, pside, r->server, 1);
	fputs(" and ", out);
	bpf_ports(out, oside, &t->ports);
	if (r->npeers) {
		fputs(" and ", out);
		bpf_hosts(out, owner ? pside : oside, r->peers, r->npeers);
	}
	fputc(')', out);
}

static void print_bpf(FILE *out, const struct catalog *cat, const struct ruleset *rs)
{
	struct bpf_term *t = xrealloc(NULL, (rs->n ? rs->n : 1) * sizeof *t);
	uint32_t n = 0;
	for (uint32_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		if (r->kind != RK_ALLOW)
			continue;
		bool ow = cat->services[r->svc].oneway && r->proto == CAT_PROTO_UDP;
		uint32_t j;
		for (j = 0; j < n; j++) {
			const struct rule *k = t[j].key;
			if (k->server == r->server && k->proto == r->proto &&
			    k->in == r->in && t[j].oneway == ow && same_peers(k, r) &&
			    t[j].ports.n + r->ports.n <= MAX_PORTS) /* room: no loss */
				break;
		}
		if (j == n) {
			t[n].key = r;
			t[n].oneway = ow;
			t[n].ports.n = 0;
			n++;
		}
		for (uint32_t p = 0; p < r->ports.n; p++)
			portset_add(&t[j].ports, r->ports.r[p].lo, r->ports.r[p].hi);
		portset_normalize(&t[j].ports);
	}
	if (n == 0) { /* nothing is expected: a filter that matches nothing
	               * ("ip and not ip" is refused by pcap's optimizer) */
		fputs("len = 0\n", out);
		fputs("portaudit: rules: note: no traffic is allowed: the filter "
		      "matches no packet\n", stderr);
	}
	for (uint32_t j = 0; j < n; j++) {
		fprintf(out, "%s(%s and ", j ? " or\n" : "", proto_str(t[j].key->proto));
		if (t[j].oneway) {
			bpf_half(out, &t[j], true);
		} else {
			fputc('(', out);
			bpf_half(out, &t[j], true);
			fputs(" or ", out);
			bpf_half(out, &t[j], false);
			fputc(')', out);
		}
		fputc(')', out);
	}
	if (n)
		fputc('\n', out);
	free(t);
}

/* ---- the command -------------------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static int rules_error(const char *fmt, ...);

static int rules_error(const char *fmt, ...)
{
	va_list ap;
	fputs("portaudit: rules: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* A usage error: the message, then the usage text. */
#define usage_fail(...) (rules_error(__VA_ARGS__), fputs(RULES_USAGE, stderr), 2)

static int parse_format(const char *s, enum rules_format *f)
{
	static const struct { const char *name; enum rules_format f; } t[] = {
		{ "csv", FMT_CSV }, { "nft", FMT_NFT }, { "nftables", FMT_NFT },
		{ "iptables", FMT_IPT }, { "ip6tables", FMT_IP6T }, { "bpf", FMT_BPF },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].name) == 0) {
			*f = t[i].f;
			return 0;
		}
	return -1;
}

static int parse_base(const char *s, uint16_t *base)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*base = (uint16_t)v;
	return 0;
}

struct rules_opts {
	const char *profile, *catalog;
	uint16_t base;
	enum rules_format format;
	struct cat_prefix *servers;
	uint32_t nservers;
};

/* Returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, struct rules_opts *o)
{
	static const char *const with_arg[] = { "--profile", "--catalog",
		"--base-port", "--format", "--server" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(RULES_USAGE, stdout);
			return 0;
		}
		size_t k, nk = sizeof with_arg / sizeof with_arg[0];
		for (k = 0; k < nk; k++) {
			size_t l = strlen(with_arg[k]);
			if (strncmp(a, with_arg[k], l) == 0 && (a[l] == 0 || a[l] == '=')) {
				if (a[l] == '=')
					val = a + l + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
					return usage_fail("%s needs an argument", with_arg[k]);
				break;
			}
		}
		if (k == nk) {
			if (a[0] == '-')
				return usage_fail("unknown option '%s'", a);
			return usage_fail("unexpected argument '%s'", a);
		}
		switch (k) {
		case 0: o->profile = val; break;
		case 1: o->catalog = val; break;
		case 2:
			if (parse_base(val, &o->base) < 0)
				return rules_error("--base-port: '%s' is not a number from 1 "
				                   "to 65535", val);
			break;
		case 3:
			if (parse_format(val, &o->format) < 0)
				return rules_error("--format: '%s' is not one of csv, nft, "
				                   "iptables, ip6tables, bpf", val);
			break;
		default:
			o->servers = xrealloc(o->servers, (o->nservers + 1) *
			                      sizeof o->servers[0]);
			if (cat_prefix_parse(&o->servers[o->nservers], val) < 0)
				return rules_error("--server: '%s' is not an address or "
				                   "prefix", val);
			o->nservers++;
			break;
		}
	}
	if (!o->profile || !*o->profile)
		return usage_fail("--profile FILE is required");
	return -1;
}

/* Print the rules of an applied model for `srv` in format `f`. */
static void rules_print(FILE *out, enum rules_format f, const struct catalog *cat,
                        const struct cat_profile *prof, uint16_t base,
                        const struct cat_prefix *srv, uint32_t nsrv)
{
	struct ruleset rs;
	rules_build(&rs, cat, prof, srv, nsrv);
	switch (f) {
	case FMT_CSV: print_csv(out, cat, &rs); break;
	case FMT_NFT: print_nft(out, cat, prof, base, &rs); break;
	case FMT_IPT: print_ipt(out, cat, prof, base, &rs, false); break;
	case FMT_IP6T: print_ipt(out, cat, prof, base, &rs, true); break;
	case FMT_BPF: print_bpf(out, cat, &rs); break;
	}
	if (f == FMT_IPT && rs.has6)
		fputs("portaudit: rules: note: the profile has IPv6 rules; "
		      "print them with --format ip6tables\n", stderr);
	ruleset_free(&rs);
}

int cat_cmd_rules(int argc, char **argv)
{
	struct rules_opts o = { .format = FMT_CSV };
	int st = parse_args(argc, argv, &o);
	if (st >= 0) {
		free(o.servers);
		return st;
	}
	struct catalog cat;
	struct cat_profile prof;
	struct cat_model m;
	struct cat_error err;
	memset(&m, 0, sizeof m);
	memset(&prof, 0, sizeof prof);
	bool have_prof = false, have_model = false;
	st = 2;
	if (cat_load_file(&cat, o.catalog, &err) < 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		free(o.servers);
		return 2;
	}
	if (cat_profile_load_file(&prof, &cat, o.profile, &err) < 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		goto out;
	}
	have_prof = true;
	if (cat_apply(&m, &cat, &prof, o.base, &err) < 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		goto out;
	}
	have_model = true;

	/* The servers: --server, else every address of the profile's servers. */
	struct cat_prefix *srv = o.servers;
	uint32_t nsrv = o.nservers;
	if (!nsrv) {
		for (uint32_t i = 0; i < prof.nservers; i++)
			nsrv += prof.servers[i].naddrs;
		if (!nsrv) {
			rules_error("%s: the profile names no servers: add `servers:` "
			            "or give --server ADDR", o.profile);
			goto out;
		}
		srv = xrealloc(NULL, nsrv * sizeof *srv);
		nsrv = 0;
		for (uint32_t i = 0; i < prof.nservers; i++)
			for (uint32_t j = 0; j < prof.servers[i].naddrs; j++)
				srv[nsrv++] = prof.servers[i].addrs[j];
		free(o.servers);
		o.servers = srv;
	}
	/* Drop duplicate server addresses (one server listed twice). */
	uint32_t w = 0;
	for (uint32_t i = 0; i < nsrv; i++) {
		uint32_t j;
		for (j = 0; j < w && !prefix_equal(&srv[j], &srv[i]); j++)
			;
		if (j == w)
			srv[w++] = srv[i];
	}
	nsrv = w;

	rules_print(stdout, o.format, &cat, &prof, m.base, srv, nsrv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rules_error("writing the output: %s", strerror(errno));
		goto out;
	}
	st = 0;
out:
	if (have_model)
		cat_model_free(&m);
	if (have_prof)
		cat_profile_free(&prof);
	cat_free(&cat);
	free(o.servers);
	return st;
}
