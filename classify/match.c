/*
 * match.c -- port tables: responder port -> candidate services, in O(1).
 *
 * Design. For each of TCP and UDP, one table is built once in cls_new():
 * for each port an offset and a count into a list of service indexes, so
 * the candidates of a port are list[start[p] .. start[p] + count[p]), in
 * the catalog's order. Every resolved alternative of every requirement
 * (single ports, lists, ranges) goes in; services of protocol `none`
 * (reserved offsets) go in both tables. The dynamic ranges of DCE/RPC
 * services (49152-65535, 1024-65535) go in a separate pair of tables,
 * consulted only when the static candidates do not explain a flow, so that
 * a dynamic range never hides a documented port.
 *
 * Building. The candidates change only where a range begins or ends, so
 * the ports between two such places share one list: each service's ranges
 * are merged (a port listed twice by a service is one candidate), their
 * ends sorted, and one sweep over them keeps the services covering the
 * current run (in catalog order) and writes that list once per run. Cost:
 * the ranges sorted, and two stores per port; the list holds a few entries
 * per run -- where one uint16 per (port, service) pair was written before,
 * a million for the full catalog's dynamic ranges, which made building the
 * tables most of cls_new(). Memory: 2 x 2 x 65536 x 6 bytes of offsets
 * and counts; lookup is two array reads.
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

static bool svc_in_proto(const struct cat_service *s, int pi)
{
	if (s->proto == CAT_PROTO_NONE)
		return true;
	return pidx((uint8_t)s->proto) == pi;
}

/* One merged range of one service, and its ends as sweep events. */
struct srange {
	uint32_t lo, hi; /* hi inclusive */
};

struct ranges {
	struct srange v[CAT_MAX_REQ * CAT_MAX_ALT + 1];
	unsigned n;
};

static void collect(void *ctx, uint16_t lo, uint16_t hi)
{
	struct ranges *r = ctx;
	if (r->n < sizeof r->v / sizeof r->v[0])
		r->v[r->n++] = (struct srange){ lo, hi };
}

static int by_lo(const void *a, const void *b)
{
	const struct srange *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

struct event {
	uint32_t at;   /* the port where the service starts or stops */
	uint16_t svc;
	bool start;
};

static int by_at(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int build_one(const struct catalog *cat, struct cls_ptab *t, int pi,
                     bool dynamic)
{
	memset(t, 0, sizeof *t);
	t->start = calloc(65536, sizeof *t->start);
	t->count = calloc(65536, sizeof *t->count);
	uint32_t nsvc = cat->nservices < 65535 ? cat->nservices : 65535;
	size_t cap = 2 * (size_t)nsvc * (CAT_MAX_REQ * CAT_MAX_ALT + 1);
	struct event *ev = malloc((cap ? cap : 1) * sizeof *ev);
	uint16_t *active = malloc((nsvc ? nsvc : 1) * sizeof *active);
	size_t nev = 0;
	int rc = -1;
	if (!t->start || !t->count || !ev || !active)
		goto out;
	for (uint32_t i = 0; i < nsvc; i++) {
		if (!svc_in_proto(&cat->services[i], pi))
			continue;
		struct ranges r;
		r.n = 0;
		service_ranges(&cat->services[i], dynamic, collect, &r);
		qsort(r.v, r.n, sizeof r.v[0], by_lo);
		for (unsigned k = 0; k < r.n;) {
			/* merge what overlaps or touches */
			uint32_t lo = r.v[k].lo, hi = r.v[k].hi;
			for (k++; k < r.n && r.v[k].lo <= hi + 1; k++)
				if (r.v[k].hi > hi)
					hi = r.v[k].hi;
			ev[nev++] = (struct event){ lo, (uint16_t)i, true };
			ev[nev++] = (struct event){ hi + 1, (uint16_t)i, false };
		}
	}
	/* every event at one port (stops and starts, in any order: a
	 * service's merged ranges neither overlap nor touch) is applied
	 * before the run from there is written */
	qsort(ev, nev, sizeof *ev, by_at);
	size_t lcap = 64, nlist = 0;
	t->list = malloc(lcap * sizeof *t->list);
	if (!t->list)
		goto out;
	unsigned nact = 0;
	for (size_t e = 0; e < nev;) {
		uint32_t at = ev[e].at;
		for (; e < nev && ev[e].at == at; e++) {
			uint16_t s = ev[e].svc;
			unsigned j = 0;
			while (j < nact && active[j] < s)
				j++;
			if (ev[e].start) {
				memmove(active + j + 1, active + j,
				        (nact - j) * sizeof *active);
				active[j] = s;
				nact++;
			} else if (j < nact && active[j] == s) {
				memmove(active + j, active + j + 1,
				        (nact - j - 1) * sizeof *active);
				nact--;
			}
		}
		uint32_t end = e < nev ? ev[e].at : 65536;
		if (nact == 0 || at >= 65536)
			continue;
		if (nlist + nact > lcap) {
			while (nlist + nact > lcap)
				lcap *= 2;
			uint16_t *nl = realloc(t->list, lcap * sizeof *nl);
			if (!nl)
				goto out;
			t->list = nl;
		}
		memcpy(t->list + nlist, active, nact * sizeof *active);
		for (uint32_t p = at; p < end; p++) {
			t->start[p] = (uint32_t)nlist;
			t->count[p] = (uint16_t)nact;
		}
		nlist += nact;
	}
	t->total = (uint32_t)nlist;
	rc = 0;
out:
	free(ev);
	free(active);
	return rc;
}

int cls_tables_build(struct cls *c)
{
	for (int pi = 0; pi < 2; pi++) {
		if (build_one(c->cat, &c->tab[pi], pi, false) != 0 ||
		    build_one(c->cat, &c->dyn[pi], pi, true) != 0)
			return -1;
		if (c->dyn[pi].total > 0)
			c->has_dyn = true;
	}
	return 0;
}

void cls_tables_free(struct cls *c)
{
	for (int pi = 0; pi < 2; pi++) {
		struct cls_ptab *t[2] = { &c->tab[pi], &c->dyn[pi] };
		for (int k = 0; k < 2; k++) {
			free(t[k]->start);
			free(t[k]->count);
			free(t[k]->list);
			memset(t[k], 0, sizeof *t[k]);
		}
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
	if (!t->count[port])
		return 0;
	*list = t->list + t->start[port];
	return t->count[port];
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
