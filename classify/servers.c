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
 * Lookups are linear over at most CLS_MAX_SERVERS prefixes; a site has a
 * handful of servers, so this costs a few comparisons per flow.
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

int32_t cls_server_of(const struct cls *c, uint8_t family, const uint8_t *a)
{
	for (uint32_t i = 0; i < c->res.nservers; i++) {
		const struct cls_server *s = &c->res.servers[i];
		if (cls_addr_in(s->family, s->addr, s->len, family, a))
			return (int32_t)i;
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
	if (c->res.nservers >= CLS_MAX_SERVERS)
		return;
	struct cls_server *s = &c->res.servers[c->res.nservers++];
	memset(s, 0, sizeof *s);
	s->family = f->family;
	memcpy(s->addr, f->addr_b, 16);
	s->len = f->family == 4 ? 32 : 128;
	s->inferred = true;
	char peer[64];
	cls_addr_str(f->family, f->addr_a, peer, sizeof peer);
	cls_fmt(s->how, sizeof s->how, "accepted TCP %u from %s",
	         (unsigned)c->m->base, peer);
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
			if (c->res.nservers >= CLS_MAX_SERVERS)
				break;
			struct cls_server *s = &c->res.servers[c->res.nservers++];
			memset(s, 0, sizeof *s);
			s->family = fam;
			memcpy(s->addr, a, 16);
			s->len = fam == 4 ? 32 : 128;
			s->inferred = true;
			cls_fmt(s->how, sizeof s->how,
			         "address of the capture interface");
			by_iface++;
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
