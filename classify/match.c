/*
 * match.c -- port tables: responder port -> candidate services, in O(1).
 *
 * Design. For each of TCP and UDP, one compressed table (CSR) is built once
 * in cls_new(): start[65537] offsets into a list of service indexes, so the
 * candidates of a port are list[start[p] .. start[p+1]). Every resolved
 * alternative of every requirement (single ports, lists, ranges) goes in;
 * services of protocol `none` (reserved offsets) go in both tables. The
 * dynamic ranges of DCE/RPC services (49152-65535, 1024-65535) go in a
 * separate pair of tables, consulted only when the static candidates do not
 * explain a flow, so that a dynamic range never hides a documented port.
 * Cost: 2 x 2 x 65537 x 4 bytes of offsets plus one uint16 per (port,
 * service) pair: a few MiB at most for the full catalog; lookup is two
 * array reads.
 *
 * cls_portmap() gives capture the responder ports for initiator inference:
 * every documented port of every service (enabled or not: a disabled
 * service's port is still a server port), but NOT the dynamic ranges, which
 * overlap the ephemeral ports clients use and would turn flows around.
 */
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

static int pidx(uint8_t proto)
{
	return proto == 6 ? 0 : proto == 17 ? 1 : -1;
}

/* Call fn(port) for each port of the service (static or dynamic part). */
static void service_ranges(const struct cat_service *s, bool dynamic,
                           void (*fn)(void *, uint16_t, uint16_t), void *ctx)
{
	if (dynamic) {
		if (s->has_dynamic && s->dynamic.lo <= s->dynamic.hi)
			fn(ctx, s->dynamic.lo, s->dynamic.hi);
		return;
	}
	for (unsigned r = 0; r < s->nreq && r < CAT_MAX_REQ; r++)
		for (unsigned a = 0; a < s->req[r].nalt && a < CAT_MAX_ALT; a++)
			if (s->req[r].alt[a].lo <= s->req[r].alt[a].hi)
				fn(ctx, s->req[r].alt[a].lo, s->req[r].alt[a].hi);
}

struct build {
	struct cls_ptab *t;
	uint32_t *count;    /* [65536] per pass */
	uint16_t svc;
	bool fill;
};

static void add_range(void *ctx, uint16_t lo, uint16_t hi)
{
	struct build *b = ctx;
	for (uint32_t p = lo; p <= hi; p++) {
		if (!b->fill) {
			b->count[p]++;
			continue;
		}
		/* De-duplicate a port listed twice by the same service. */
		uint32_t base = b->t->start[p];
		bool dup = false;
		for (uint32_t k = base; k < base + b->count[p]; k++)
			if (b->t->list[k] == b->svc)
				dup = true;
		if (!dup)
			b->t->list[base + b->count[p]++] = b->svc;
	}
}

static bool svc_in_proto(const struct cat_service *s, int pi)
{
	if (s->proto == CAT_PROTO_NONE)
		return true;
	return pidx((uint8_t)s->proto) == pi;
}

static int build_one(const struct catalog *cat, struct cls_ptab *t, int pi,
                     bool dynamic)
{
	uint32_t *count = calloc(65536, sizeof *count);
	t->start = calloc(65537, sizeof *t->start);
	if (!count || !t->start) {
		free(count);
		return -1;
	}
	struct build b = { .t = t, .count = count };
	for (uint32_t i = 0; i < cat->nservices && i < 65535; i++) {
		if (!svc_in_proto(&cat->services[i], pi))
			continue;
		b.svc = (uint16_t)i;
		service_ranges(&cat->services[i], dynamic, add_range, &b);
	}
	uint32_t total = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		t->start[p] = total;
		total += count[p];
	}
	t->start[65536] = total;
	t->list = calloc(total ? total : 1, sizeof *t->list);
	if (!t->list) {
		free(count);
		return -1;
	}
	memset(count, 0, 65536 * sizeof *count);
	b.fill = true;
	for (uint32_t i = 0; i < cat->nservices && i < 65535; i++) {
		if (!svc_in_proto(&cat->services[i], pi))
			continue;
		b.svc = (uint16_t)i;
		service_ranges(&cat->services[i], dynamic, add_range, &b);
	}
	/* Duplicates left holes at the end of a port's run: close them by
	 * rewriting the offsets (stable, one pass). */
	uint32_t w = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t from = t->start[p];
		t->start[p] = w;
		for (uint32_t k = 0; k < count[p]; k++)
			t->list[w++] = t->list[from + k];
	}
	t->start[65536] = w;
	free(count);
	return 0;
}

int cls_tables_build(struct cls *c)
{
	for (int pi = 0; pi < 2; pi++) {
		if (build_one(c->cat, &c->tab[pi], pi, false) != 0 ||
		    build_one(c->cat, &c->dyn[pi], pi, true) != 0)
			return -1;
		if (c->dyn[pi].start[65536] > 0)
			c->has_dyn = true;
	}
	return 0;
}

void cls_tables_free(struct cls *c)
{
	for (int pi = 0; pi < 2; pi++) {
		free(c->tab[pi].start);
		free(c->tab[pi].list);
		free(c->dyn[pi].start);
		free(c->dyn[pi].list);
		c->tab[pi].start = c->dyn[pi].start = NULL;
		c->tab[pi].list = c->dyn[pi].list = NULL;
	}
}

uint32_t cls_candidates(const struct cls *c, uint8_t proto, uint16_t port,
                        bool dynamic, const uint16_t **list)
{
	int pi = pidx(proto);
	*list = NULL;
	if (pi < 0)
		return 0;
	const struct cls_ptab *t = dynamic ? &c->dyn[pi] : &c->tab[pi];
	if (!t->start)
		return 0;
	*list = t->list + t->start[port];
	return t->start[port + 1] - t->start[port];
}

static void set_bit(uint8_t *map, uint32_t p)
{
	map[p >> 3] = (uint8_t)(map[p >> 3] | (1u << (p & 7)));
}

struct pm_ctx {
	struct cap_portmap *pm;
	enum cat_proto proto;
};

static void pm_range(void *ctx, uint16_t lo, uint16_t hi)
{
	struct pm_ctx *p = ctx;
	for (uint32_t port = lo; port <= hi; port++) {
		if (p->proto == CAT_PROTO_TCP || p->proto == CAT_PROTO_NONE)
			set_bit(p->pm->tcp, port);
		if (p->proto == CAT_PROTO_UDP || p->proto == CAT_PROTO_NONE)
			set_bit(p->pm->udp, port);
	}
}

void cls_portmap(const struct cat_model *m, struct cap_portmap *pm)
{
	memset(pm, 0, sizeof *pm);
	if (!m || !m->cat)
		return;
	for (uint32_t i = 0; i < m->cat->nservices; i++) {
		const struct cat_service *s = &m->cat->services[i];
		struct pm_ctx p = { pm, s->proto };
		service_ranges(s, false, pm_range, &p);
		if (s->has_dynamic && s->control)
			pm_range(&p, s->control, s->control);
	}
}
