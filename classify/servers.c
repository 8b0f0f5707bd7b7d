/*
 * servers.c -- which hosts are the monitored servers.
 *
 * Design. Servers come from --server or the profile (cls_options.servers):
 * then every flow is judged the moment it arrives and handed on (streaming,
 * memory bounded for days of live capture). Without them, the servers are
 * inferred at the end of the capture: the hosts seen accepting TCP on the
 * base port (the responder of an established or closed flow to base+0), and
 * in a live capture the addresses of the capturing interface. Until then
 * flows are copied into a bounded buffer (CLS_BUFFER_MAX flows, about 30
 * MiB). When it fills and the base port has already shown a server, the
 * servers are settled then (a caveat says so) and judging streams from
 * there; otherwise flows beyond it are still handed to the sink, with
 * verdict none and a reason, and counted in a caveat. Inference candidates are collected
 * from every flow, buffered or not, so the server set does not depend on
 * the buffer size.
 *
 * Membership. Every flow asks for both of its addresses which server they
 * belong to, so the set is indexed (struct cls_sindex): each server's
 * prefix, masked to its length, is hashed with that length (cap_hash,
 * seeded per run: inferred servers come from the network) into an
 * open-addressing table kept at load <= 0.5. A lookup masks and hashes the
 * address once per prefix length present in its family, longest first,
 * and the first hit is the longest prefix that holds it: one hash and
 * about one probe when every server is a host, at most 33 (IPv4) or 129
 * (IPv6) whatever the number of servers. The same prefix given twice is
 * indexed once (the first one names it).
 *
 * Limit. At most CLS_MAX_SERVERS (131,072; about 250 bytes each, 32 MiB
 * at most, grown by doubling). Servers given past it, and hosts that
 * accept the base port once it is reached, are not servers: cls_finish
 * says so in a caveat, with the count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

bool cls_addr_in(uint8_t family, const uint8_t *pfx, uint8_t len,
                 uint8_t afamily, const uint8_t *a)
{
	if (family != afamily)
		return false;
	unsigned max = family == 4 ? 32 : 128;
	unsigned bits = len > max ? max : len;
	unsigned full = bits / 8, rest = bits % 8;
	/* A byte loop: 4 bytes for an IPv4 host cost less than a call. */
	for (unsigned i = 0; i < full; i++)
		if (pfx[i] != a[i])
			return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));
		if ((pfx[full] & mask) != (a[full] & mask))
			return false;
	}
	return true;
}

struct cls_server *cls_server_add(struct cls_result *res)
{
	if (res->nservers >= CLS_MAX_SERVERS)
		return NULL;
	if (res->nservers == res->servers_cap) {
		uint32_t ncap = res->servers_cap ? res->servers_cap * 2 : 16;
		if (ncap > CLS_MAX_SERVERS)
			ncap = CLS_MAX_SERVERS;
		struct cls_server *v = realloc(res->servers, ncap * sizeof *v);
		if (!v)
			return NULL;
		res->servers = v;
		res->servers_cap = ncap;
	}
	struct cls_server *s = &res->servers[res->nservers++];
	memset(s, 0, sizeof *s);
	return s;
}

/* The first `len` bits of a (family's 4 or 16 bytes), the rest zero:
 * fixed-size copies, so that a host (len = 32 or 128) costs no call. */
static inline void masked(const uint8_t *a, unsigned len, unsigned nbytes,
                          uint8_t *m)
{
	if (nbytes == 4)
		memcpy(m, a, 4);
	else
		memcpy(m, a, 16);
	unsigned full = len / 8;
	if (full < nbytes) {
		m[full] = (uint8_t)(m[full] & (0xff00u >> (len % 8)));
		for (unsigned i = full + 1; i < nbytes; i++)
			m[i] = 0;
	}
}

static uint32_t prefix_tag(const struct cls *c, unsigned len,
                           const uint8_t *m, unsigned nbytes)
{
	return (uint32_t)cap_hash(c->seed + len * 0x9e3779b97f4a7c15ull, m,
	                          nbytes);
}

static unsigned host_len(uint8_t family)
{
	return family == 6 ? 128 : 32;
}

/* Put entry i (a server) at its tag's place in slots of `mask`. */
static void slot_put(struct cap_islot *slot, uint32_t mask, uint32_t tag,
                     uint32_t i)
{
	uint32_t pos = tag & mask;
	while (slot[pos].idx)
		pos = (pos + 1) & mask;
	slot[pos].tag = tag;
	slot[pos].idx = i + 1;
}

/* Index server i. 0 (also when the same prefix is there already), or -1
 * when out of memory. */
static int sindex_add(struct cls *c, uint32_t i)
{
	struct cls_sindex *x = &c->sidx;
	struct cls_server *s = &c->res.servers[i];
	if (s->family != 4 && s->family != 6)
		return 0; /* never matches an address */
	unsigned fi = s->family == 6, nb = fi ? 16 : 4;
	if (s->len > host_len(s->family))
		s->len = (uint8_t)host_len(s->family);
	unsigned len = s->len;
	uint8_t m[16];
	masked(s->addr, len, nb, m);
	uint32_t tag = prefix_tag(c, len, m, nb);
	if (x->slot) {
		for (uint32_t pos = tag & x->mask; x->slot[pos].idx;
		     pos = (pos + 1) & x->mask) {
			const struct cap_islot *sl = &x->slot[pos];
			const struct cls_server *o = &c->res.servers[sl->idx - 1];
			if (sl->tag == tag && o->family == s->family &&
			    o->len == len &&
			    cls_addr_in(o->family, o->addr, o->len, s->family,
			                m))
				return 0; /* the same prefix: the first names it */
		}
	}
	if (!x->slot || (uint64_t)(x->n + 1) * 2 > (uint64_t)x->mask + 1) {
		uint32_t nslots = x->slot ? (x->mask + 1) * 2 : 64;
		struct cap_islot *ns = calloc(nslots, sizeof *ns);
		if (!ns)
			return -1;
		for (uint32_t k = 0; x->slot && k <= x->mask; k++)
			if (x->slot[k].idx)
				slot_put(ns, nslots - 1, x->slot[k].tag,
				         x->slot[k].idx - 1);
		free(x->slot);
		x->slot = ns;
		x->mask = nslots - 1;
	}
	slot_put(x->slot, x->mask, tag, i);
	x->n++;
	if (x->nlen[fi][len]++ == 0) {
		/* A new length: keep the list longest first. */
		unsigned k = x->nlens[fi]++;
		while (k > 0 && x->lens[fi][k - 1] < len) {
			x->lens[fi][k] = x->lens[fi][k - 1];
			k--;
		}
		x->lens[fi][k] = (uint8_t)len;
	}
	return 0;
}

/* A new server of classify's set, indexed once the caller has filled it
 * (server_index). NULL past the limit or out of memory, counted. */
static struct cls_server *server_new(struct cls *c)
{
	struct cls_server *s = cls_server_add(&c->res);
	if (!s && c->res.nservers < CLS_MAX_SERVERS)
		c->servers_nomem = true;
	return s;
}

static bool server_index(struct cls *c)
{
	if (sindex_add(c, c->res.nservers - 1) == 0)
		return true;
	c->res.nservers--; /* not findable: not a server */
	c->servers_nomem = true;
	return false;
}

int cls_servers_given(struct cls *c, const struct cls_server *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (c->res.nservers >= CLS_MAX_SERVERS) {
			c->given_over = n - i;
			break;
		}
		struct cls_server *s = server_new(c);
		if (!s)
			return -1;
		*s = v[i];
		if (!server_index(c))
			return -1;
	}
	return 0;
}

void cls_servers_free(struct cls *c)
{
	free(c->sidx.slot);
	c->sidx.slot = NULL;
	free(c->res.servers);
	c->res.servers = NULL;
	c->res.nservers = c->res.servers_cap = 0;
}

int32_t cls_server_of(const struct cls *c, uint8_t family, const uint8_t *a)
{
	const struct cls_sindex *x = &c->sidx;
	if (!x->n || (family != 4 && family != 6))
		return -1;
	unsigned fi = family == 6, nb = fi ? 16 : 4;
	for (unsigned k = 0; k < x->nlens[fi]; k++) {
		unsigned len = x->lens[fi][k];
		uint8_t m[16];
		masked(a, len, nb, m);
		uint32_t tag = prefix_tag(c, len, m, nb);
		for (uint32_t pos = tag & x->mask; x->slot[pos].idx;
		     pos = (pos + 1) & x->mask) {
			const struct cap_islot *sl = &x->slot[pos];
			if (sl->tag != tag)
				continue;
			const struct cls_server *s = &c->res.servers[sl->idx - 1];
			if (s->family == family && s->len == len &&
			    cls_addr_in(s->family, s->addr, s->len, family, a))
				return (int32_t)(sl->idx - 1);
		}
	}
	return -1;
}

bool cls_is_multicast(uint8_t family, const uint8_t *a)
{
	if (family == 4)
		return (a[0] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
	return a[0] == 0xff;                  /* ff00::/8 */
}

bool cls_is_group(uint8_t family, const uint8_t *a)
{
	return cls_is_multicast(family, a) ||
	       (family == 4 && a[0] == 255 && a[1] == 255 && a[2] == 255 &&
	        a[3] == 255);
}

static bool is_zero(const uint8_t *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

/* A host accepted TCP on the base port: remember it (and who it served). */
static void note_candidate(struct cls *c, const struct cap_flow *f)
{
	if (f->proto != 6 || f->port_b != c->m->base)
		return;
	if (f->outcome != CAP_OUT_ESTABLISHED && f->outcome != CAP_OUT_CLOSED)
		return;
	if (cls_server_of(c, f->family, f->addr_b) >= 0)
		return;
	struct cls_server *s = server_new(c);
	if (!s) {
		c->infer_over++;
		return;
	}
	s->family = f->family;
	memcpy(s->addr, f->addr_b, 16);
	s->len = f->family == 4 ? 32 : 128;
	s->inferred = true;
	char peer[64];
	cls_addr_str(f->family, f->addr_a, peer, sizeof peer);
	cls_fmt(s->how, sizeof s->how, "accepted TCP %u from %s",
	         (unsigned)c->m->base, peer);
	if (!server_index(c))
		c->infer_over++;
}

/* Without given servers: note candidates, keep a copy for cls_finish. */
int cls_buffer_flow(struct cls *c, const struct cap_flow *f)
{
	note_candidate(c, f);
	if (c->buf.n >= CLS_BUFFER_MAX) {
		c->buf.dropped++;
		return -1;
	}
	if (c->buf.n == c->buf.cap) {
		uint32_t ncap = c->buf.cap ? c->buf.cap * 2 : 1024;
		if (ncap > CLS_BUFFER_MAX)
			ncap = CLS_BUFFER_MAX;
		struct cap_flow *v = realloc(c->buf.v, ncap * sizeof *v);
		if (!v) {
			c->buf.dropped++;
			return -1;
		}
		c->buf.v = v;
		c->buf.cap = ncap;
	}
	c->buf.v[c->buf.n++] = *f;
	return 0;
}

/* Settle the server set at the end of a capture without given servers,
 * then judge the buffered flows. */
void cls_infer_servers(struct cls *c, const struct cap_stats *st)
{
	uint32_t by_port = c->res.nservers;
	uint32_t by_iface = 0;
	if (st && st->has_dropped) {
		for (unsigned i = 0; i < st->nlocal && i < 32; i++) {
			uint8_t fam = st->local_family[i];
			const uint8_t *a = st->local_addrs[i];
			if ((fam != 4 && fam != 6) || is_zero(a, fam == 4 ? 4 : 16))
				continue;
			if (cls_server_of(c, fam, a) >= 0)
				continue;
			struct cls_server *s = server_new(c);
			if (!s) {
				c->infer_over++;
				continue;
			}
			s->family = fam;
			memcpy(s->addr, a, 16);
			s->len = fam == 4 ? 32 : 128;
			s->inferred = true;
			cls_fmt(s->how, sizeof s->how,
			         "address of the capture interface");
			if (server_index(c))
				by_iface++;
			else
				c->infer_over++;
		}
	}
	c->servers_known = true;
	if (by_port && by_iface)
		cls_fmt(c->res.servers_how, sizeof c->res.servers_how,
		         "No server was given: inferred %u host(s) that accepted "
		         "TCP connections on the base port %u and %u address(es) "
		         "of the capture interface.", by_port,
		         (unsigned)c->m->base, by_iface);
	else if (by_port)
		cls_fmt(c->res.servers_how, sizeof c->res.servers_how,
		         "No server was given: inferred %u host(s) that accepted "
		         "TCP connections on the base port %u.", by_port,
		         (unsigned)c->m->base);
	else if (by_iface)
		cls_fmt(c->res.servers_how, sizeof c->res.servers_how,
		         "No server was given: the %u address(es) of the capture "
		         "interface.", by_iface);
	else
		cls_fmt(c->res.servers_how, sizeof c->res.servers_how,
		         "No server was given and none was inferred: no host "
		         "accepted TCP connections on the base port %u.",
		         (unsigned)c->m->base);
	for (uint32_t i = 0; i < c->buf.n; i++)
		cls_judge(c, &c->buf.v[i], true);
	free(c->buf.v);
	c->buf.v = NULL;
	c->buf.n = c->buf.cap = 0;
}

void cls_flow_classify(struct cls *c, const struct cap_flow *f)
{
	if (!c->servers_known && c->buf.n >= CLS_BUFFER_MAX &&
	    c->res.nservers > 0) {
		/* The buffer is full and servers are known by now: settle
		 * them and stream from here on. */
		c->settled_early = c->buf.n;
		cls_infer_servers(c, NULL);
	}
	if (c->servers_known) {
		cls_judge(c, f, true);
		return;
	}
	if (cls_buffer_flow(c, f) != 0 && c->opt.sink) {
		struct cls_flow cf = {
			.flow = f, .verdict = CLS_V_NONE, .service = -1,
			.server = -1,
			.reason = "Not classified: the buffer that holds flows "
			          "while the servers are inferred was full.",
		};
		c->opt.sink(&cf, c->opt.sink_ctx);
	}
}
