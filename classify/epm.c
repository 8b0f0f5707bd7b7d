/*
 * epm.c -- DCE/RPC dynamic ports: a control-port contact, then a range.
 *
 * Design. WMI, the remote event log and similar services first talk to the
 * peer's endpoint mapper (TCP 135, the service's `control` port), then open
 * a connection to the SAME peer on a port of the dynamic range. Such a
 * dynamic flow belongs to the service when (a) the control flow's
 * endpoint-mapper reply named exactly its port (cap_flow.epm_port, parsed
 * by capture from the ept_map reply), whatever the time, or (b) it started
 * within the window (cls_options.dynamic_window_s, 120 s by default) after
 * the control contact began and before it ended plus the window.
 *
 * Flows are handed on when they END, so the control flow (a long-lived
 * connection) often arrives after its dynamic flows. Two bounded tables
 * handle that: the contacts, (server, peer) -> first/last time and up to
 * CLS_CTRL_EPM learned ports, CLS_CTRL_SLOTS slots with 8-way probing that
 * evicts the oldest contact; and the pending flows, up to CLS_PENDING_MAX
 * copies of dynamic-range candidates still without a contact. A control
 * flow arriving re-judges the pending flows of its (server, peer); the rest
 * are judged without the dynamic rule at cls_finish, or once the capture's
 * clock is CLS_PENDING_GRACE_S past their window (a long live capture).
 * When the pending list is full a flow is judged at once (a caveat). Cost: a contact
 * lookup is a hash and at most 8 probes. A counting filter over the held
 * flows' address pairs (CLS_PEND_BUCKETS counters) tells a control flow
 * whether any flow of its pair is held: only then is the list scanned, and
 * the scan stops once it has met as many flows of the bucket as it holds.
 * So a control flow whose pair holds nothing costs O(1), whatever the list.
 */
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

#define PROBES 8
#define EARLY_NS 1000000000ull /* a dynamic flow may start 1 s before */

int cls_epm_init(struct cls *c)
{
	if (!c->has_dyn)
		return 0;
	c->ctrl = calloc(CLS_CTRL_SLOTS, sizeof *c->ctrl);
	c->pending = calloc(CLS_PENDING_MAX, sizeof *c->pending);
	c->pend_count = calloc(CLS_PEND_BUCKETS, sizeof *c->pend_count);
	return c->ctrl && c->pending && c->pend_count ? 0 : -1;
}

void cls_epm_free(struct cls *c)
{
	free(c->ctrl);
	free(c->pending);
	free(c->pend_count);
	c->ctrl = NULL;
	c->pending = NULL;
	c->pend_count = NULL;
}

static uint32_t ctrl_hash(const struct cls *c, uint8_t family,
                          const uint8_t *server, const uint8_t *peer)
{
	uint8_t k[36];
	memcpy(k, server, 16);
	memcpy(k + 16, peer, 16);
	k[32] = family;
	k[33] = k[34] = k[35] = 0x5a;
	return (uint32_t)cls_hash(c->seed, k, sizeof k);
}

static struct cls_ctrl *ctrl_find(const struct cls *c, uint8_t family,
                                  const uint8_t *server, const uint8_t *peer)
{
	if (!c->ctrl || !c->nctrl)
		return NULL;
	uint32_t h = ctrl_hash(c, family, server, peer);
	for (uint32_t k = 0; k < PROBES; k++) {
		struct cls_ctrl *e = &c->ctrl[(h + k) & (CLS_CTRL_SLOTS - 1)];
		if (e->used && e->family == family &&
		    memcmp(e->server, server, 16) == 0 &&
		    memcmp(e->peer, peer, 16) == 0)
			return e;
	}
	return NULL;
}

static bool pair_is(const struct cap_flow *f, uint8_t family,
                    const uint8_t *server, const uint8_t *peer)
{
	if (f->family != family)
		return false;
	return (memcmp(f->addr_a, server, 16) == 0 &&
	        memcmp(f->addr_b, peer, 16) == 0) ||
	       (memcmp(f->addr_b, server, 16) == 0 &&
	        memcmp(f->addr_a, peer, 16) == 0);
}

/* The filter bucket of an unordered address pair (cheap, seeded). */
static uint32_t addr_mix(uint64_t seed, const uint8_t *a)
{
	uint64_t lo, hi;
	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	uint64_t h = (lo ^ seed) * 0x9e3779b97f4a7c15ull;
	h ^= (hi + seed) * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static uint32_t pend_bucket(const struct cls *c, const uint8_t *x,
                            const uint8_t *y)
{
	uint64_t h = (uint64_t)addr_mix(c->seed, x) + addr_mix(c->seed, y);
	return (uint32_t)((h * 0xff51afd7ed558ccdull) >> 40) &
	       (CLS_PEND_BUCKETS - 1);
}

static void pend_remove(struct cls *c, uint32_t i)
{
	struct cap_flow *p = &c->pending[i];
	c->pend_count[pend_bucket(c, p->addr_a, p->addr_b)]--;
	c->pending[i] = c->pending[--c->npending];
}

void cls_epm_control(struct cls *c, const struct cap_flow *f, int32_t service,
                     const uint8_t *server, const uint8_t *peer)
{
	if (!c->ctrl)
		return;
	struct cls_ctrl *e = ctrl_find(c, f->family, server, peer);
	if (!e) {
		uint32_t h = ctrl_hash(c, f->family, server, peer);
		struct cls_ctrl *old = NULL;
		for (uint32_t k = 0; k < PROBES; k++) {
			struct cls_ctrl *s = &c->ctrl[(h + k) & (CLS_CTRL_SLOTS - 1)];
			if (!s->used) {
				old = s;
				break;
			}
			if (!old || s->last_ns < old->last_ns)
				old = s;
		}
		e = old;
		if (!e->used)
			c->nctrl++;
		memset(e, 0, sizeof *e);
		e->used = true;
		e->family = f->family;
		memcpy(e->server, server, 16);
		memcpy(e->peer, peer, 16);
		e->first_ns = f->first_ns;
		e->last_ns = f->last_ns;
	}
	if (f->first_ns < e->first_ns)
		e->first_ns = f->first_ns;
	if (f->last_ns > e->last_ns)
		e->last_ns = f->last_ns;
	e->control = f->port_b;
	e->service = service;
	if (f->epm_port) {
		bool have = false;
		for (unsigned i = 0; i < e->nepm; i++)
			if (e->epm[i] == f->epm_port)
				have = true;
		if (!have) {
			if (e->nepm < CLS_CTRL_EPM)
				e->epm[e->nepm++] = f->epm_port;
			else {
				memmove(e->epm, e->epm + 1,
				        (CLS_CTRL_EPM - 1) * sizeof e->epm[0]);
				e->epm[CLS_CTRL_EPM - 1] = f->epm_port;
			}
		}
	}

	/* Flows of this pair that waited for their control contact. */
	uint8_t fam = f->family;
	uint8_t srv[16], pr[16];
	memcpy(srv, server, 16);
	memcpy(pr, peer, 16);
	uint32_t bucket = pend_bucket(c, srv, pr);
	uint32_t left = c->pend_count[bucket]; /* held flows of this bucket */
	for (uint32_t i = 0; i < c->npending && left > 0;) {
		struct cap_flow *p = &c->pending[i];
		bool by_epm;
		if (pend_bucket(c, p->addr_a, p->addr_b) == bucket)
			left--;
		if (pair_is(p, fam, srv, pr) &&
		    cls_epm_lookup(c, p, srv, pr, &by_epm) >= 0) {
			struct cap_flow copy = *p;
			pend_remove(c, i);
			cls_judge(c, &copy, false);
			continue;
		}
		i++;
	}
}

int32_t cls_epm_lookup(const struct cls *c, const struct cap_flow *f,
                       const uint8_t *server, const uint8_t *peer,
                       bool *by_epm)
{
	*by_epm = false;
	const struct cls_ctrl *e = ctrl_find(c, f->family, server, peer);
	if (!e)
		return -1;
	for (unsigned i = 0; i < e->nepm; i++)
		if (e->epm[i] == f->port_b && f->proto == 6) {
			*by_epm = true;
			return e->service;
		}
	if (f->first_ns + EARLY_NS >= e->first_ns &&
	    f->first_ns <= e->last_ns + c->window_ns)
		return e->service;
	return -1;
}

bool cls_epm_hold(struct cls *c, const struct cap_flow *f)
{
	if (!c->pending || c->finished)
		return false;
	if (c->npending >= CLS_PENDING_MAX) {
		c->pending_dropped++;
		return false;
	}
	c->pending[c->npending++] = *f;
	c->pend_count[pend_bucket(c, f->addr_a, f->addr_b)]++;
	return true;
}

/* Judge, without the dynamic rule, the held flows whose control flow is
 * long overdue (the capture's clock passed their end + the window +
 * CLS_PENDING_GRACE_S), so that a long live capture hands them on. At most
 * one scan of the list per second of capture time. */
void cls_epm_expire(struct cls *c)
{
	if (c->now_ns < c->pending_check_ns)
		return;
	c->pending_check_ns = c->now_ns + 1000000000ull;
	uint64_t grace = c->window_ns + CLS_PENDING_GRACE_S * 1000000000ull;
	for (uint32_t i = 0; i < c->npending;) {
		if (c->pending[i].last_ns + grace < c->now_ns) {
			struct cap_flow copy = c->pending[i];
			pend_remove(c, i);
			cls_judge(c, &copy, false);
			continue;
		}
		i++;
	}
}

void cls_epm_flush(struct cls *c)
{
	uint32_t n = c->npending;
	c->npending = 0;
	if (c->pend_count)
		memset(c->pend_count, 0, CLS_PEND_BUCKETS * sizeof *c->pend_count);
	for (uint32_t i = 0; i < n; i++)
		cls_judge(c, &c->pending[i], false);
}
