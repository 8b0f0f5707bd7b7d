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
 * CLS_CTRL_EPM learned ports, at most CLS_CTRL_MAX of them, found through
 * an open-addressing index at load <= 0.5 (struct cap_islot: seeded hash,
 * linear probing, backward-shift removal); only when all CLS_CTRL_MAX are
 * taken is one dropped, the least recently updated (a list in update
 * order), and counted. Which contacts are kept thus depends on the flows
 * alone, never on the hash seed, so the same capture gives the same report
 * on every run. (An 8-way probe window that evicted within itself did
 * depend on it, and dropped contacts with the table three-quarters
 * empty.) And the pending flows, up to CLS_PENDING_MAX copies of
 * dynamic-range candidates still without a contact. A control flow
 * arriving re-judges the pending flows of its (server, peer); the rest are
 * judged without the dynamic rule at cls_finish, or once the capture's
 * clock is CLS_PENDING_GRACE_S past their window (a long live capture).
 * When the pending list is full a flow is judged at once (a caveat).
 * Cost: a contact lookup is a hash and ~1.5 probes. The held flows are
 * chained by a seeded hash of their unordered address pair into
 * CLS_PEND_BUCKETS doubly linked chains (indexes, beside the array): a
 * control flow walks the chain of its pair's bucket only, so it costs O(1)
 * plus the flows held for its bucket, whatever the length of the list;
 * removal (the last held flow moves into the hole) relinks in O(1).
 */
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

#define EARLY_NS 1000000000ull /* a dynamic flow may start 1 s before */

static void pend_chains_clear(struct cls *c)
{
	for (uint32_t b = 0; b < CLS_PEND_BUCKETS; b++)
		c->pend_chain[b].head = c->pend_chain[b].tail = CLS_PEND_NIL;
}

int cls_epm_init(struct cls *c)
{
	if (!c->has_dyn)
		return 0;
	c->ctrl = calloc(CLS_CTRL_MAX, sizeof *c->ctrl);
	c->ctrl_index = calloc(CLS_CTRL_INDEX, sizeof *c->ctrl_index);
	c->ctrl_oldest = c->ctrl_newest = -1;
	c->pending = calloc(CLS_PENDING_MAX, sizeof *c->pending);
	c->plink = calloc(CLS_PENDING_MAX, sizeof *c->plink);
	c->pend_chain = malloc(CLS_PEND_BUCKETS * sizeof *c->pend_chain);
	if (!c->ctrl || !c->ctrl_index || !c->pending || !c->plink ||
	    !c->pend_chain)
		return -1;
	pend_chains_clear(c);
	return 0;
}

void cls_epm_free(struct cls *c)
{
	free(c->ctrl);
	free(c->ctrl_index);
	free(c->pending);
	free(c->plink);
	free(c->pend_chain);
	c->ctrl = NULL;
	c->ctrl_index = NULL;
	c->pending = NULL;
	c->plink = NULL;
	c->pend_chain = NULL;
}

static uint32_t ctrl_hash(const struct cls *c, uint8_t family,
                          const uint8_t *server, const uint8_t *peer)
{
	uint8_t k[36];
	memcpy(k, server, 16);
	memcpy(k + 16, peer, 16);
	k[32] = family;
	k[33] = k[34] = k[35] = 0x5a;
	return (uint32_t)cap_hash(c->seed, k, sizeof k);
}

#define CTRL_MASK (CLS_CTRL_INDEX - 1)

/* The index slot of contact (family, server, peer) with hash h, or of the
 * empty slot where it would go. */
static uint32_t ctrl_slot(const struct cls *c, uint32_t h, uint8_t family,
                          const uint8_t *server, const uint8_t *peer)
{
	uint32_t pos = h & CTRL_MASK;
	for (;;) {
		const struct cap_islot *s = &c->ctrl_index[pos];
		if (s->idx == 0)
			return pos;
		const struct cls_ctrl *e = &c->ctrl[s->idx - 1];
		if (s->tag == h && e->family == family &&
		    memcmp(e->server, server, 16) == 0 &&
		    memcmp(e->peer, peer, 16) == 0)
			return pos;
		pos = (pos + 1) & CTRL_MASK;
	}
}

static struct cls_ctrl *ctrl_find(const struct cls *c, uint8_t family,
                                  const uint8_t *server, const uint8_t *peer)
{
	if (!c->ctrl || !c->nctrl)
		return NULL;
	uint32_t h = ctrl_hash(c, family, server, peer);
	uint32_t x = c->ctrl_index[ctrl_slot(c, h, family, server, peer)].idx;
	return x == 0 ? NULL : &c->ctrl[x - 1];
}

/* Take contact i out of the update-order list. */
static void ctrl_unlink(struct cls *c, int32_t i)
{
	struct cls_ctrl *e = &c->ctrl[i];
	if (e->older >= 0)
		c->ctrl[e->older].newer = e->newer;
	else
		c->ctrl_oldest = e->newer;
	if (e->newer >= 0)
		c->ctrl[e->newer].older = e->older;
	else
		c->ctrl_newest = e->older;
	e->older = e->newer = -1;
}

/* Make contact i the most recently updated. */
static void ctrl_touch(struct cls *c, int32_t i, bool linked)
{
	if (linked) {
		if (c->ctrl_newest == i)
			return;
		ctrl_unlink(c, i);
	}
	struct cls_ctrl *e = &c->ctrl[i];
	e->older = c->ctrl_newest;
	e->newer = -1;
	if (c->ctrl_newest >= 0)
		c->ctrl[c->ctrl_newest].newer = i;
	else
		c->ctrl_oldest = i;
	c->ctrl_newest = i;
}

/* A new contact: a free one, else the least recently updated one. */
static struct cls_ctrl *ctrl_new(struct cls *c, uint8_t family,
                                 const uint8_t *server, const uint8_t *peer)
{
	int32_t i;
	if (c->nctrl < CLS_CTRL_MAX) {
		i = (int32_t)c->nctrl++;
	} else {
		i = c->ctrl_oldest;
		cap_islot_remove(c->ctrl_index, CTRL_MASK, c->ctrl[i].hash,
		                 (uint32_t)i);
		ctrl_unlink(c, i);
		c->ctrl_evicted++;
	}
	struct cls_ctrl *e = &c->ctrl[i];
	memset(e, 0, sizeof *e);
	e->hash = ctrl_hash(c, family, server, peer);
	e->family = family;
	memcpy(e->server, server, 16);
	memcpy(e->peer, peer, 16);
	uint32_t pos = ctrl_slot(c, e->hash, family, server, peer);
	c->ctrl_index[pos].tag = e->hash;
	c->ctrl_index[pos].idx = (uint32_t)i + 1;
	ctrl_touch(c, i, false);
	return e;
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

/* The chain of an unordered address pair: the sum of the two addresses'
 * hashes does not depend on their order. */
static uint32_t pend_bucket(const struct cls *c, const uint8_t *x,
                            const uint8_t *y)
{
	uint64_t h = cap_hash(c->seed, x, 16) + cap_hash(c->seed, y, 16);
	return (uint32_t)(cap_fmix64(h) >> 40) & (CLS_PEND_BUCKETS - 1);
}

/* Held flow `from` moves to index `to`: its neighbours (or its chain's
 * ends) point at the new index. */
static void pend_moved(struct cls *c, uint32_t from, uint32_t to)
{
	struct cls_plink *l = &c->plink[from];
	struct cls_pchain *ch = &c->pend_chain[l->bucket];
	if (l->prev != CLS_PEND_NIL)
		c->plink[l->prev].next = to;
	else
		ch->head = to;
	if (l->next != CLS_PEND_NIL)
		c->plink[l->next].prev = to;
	else
		ch->tail = to;
}

/* Take held flow i out of its chain and the list: the last held flow
 * moves into its place. */
static void pend_remove(struct cls *c, uint32_t i)
{
	struct cls_plink *l = &c->plink[i];
	struct cls_pchain *ch = &c->pend_chain[l->bucket];
	if (l->prev != CLS_PEND_NIL)
		c->plink[l->prev].next = l->next;
	else
		ch->head = l->next;
	if (l->next != CLS_PEND_NIL)
		c->plink[l->next].prev = l->prev;
	else
		ch->tail = l->prev;
	c->pend_gen++;
	uint32_t last = --c->npending;
	if (i != last) {
		pend_moved(c, last, i);
		c->plink[i] = c->plink[last];
		c->pending[i] = c->pending[last];
	}
}

void cls_epm_control(struct cls *c, const struct cap_flow *f, int32_t service,
                     const uint8_t *server, const uint8_t *peer)
{
	if (!c->ctrl)
		return;
	struct cls_ctrl *e = ctrl_find(c, f->family, server, peer);
	if (!e) {
		e = ctrl_new(c, f->family, server, peer);
		e->first_ns = f->first_ns;
		e->last_ns = f->last_ns;
	} else {
		ctrl_touch(c, (int32_t)(e - c->ctrl), true);
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

	/* Flows of this pair that waited for their control contact: the
	 * chain of the pair's bucket, oldest first. */
	uint8_t fam = f->family;
	uint8_t srv[16], pr[16];
	memcpy(srv, server, 16);
	memcpy(pr, peer, 16);
	uint32_t bucket = pend_bucket(c, srv, pr);
	uint32_t i = c->pend_chain[bucket].head;
	while (i != CLS_PEND_NIL) {
		struct cap_flow *p = &c->pending[i];
		uint32_t next = c->plink[i].next;
		bool by_epm;
		if (pair_is(p, fam, srv, pr) &&
		    cls_epm_lookup(c, p, srv, pr, &by_epm) >= 0) {
			struct cap_flow copy = *p;
			uint32_t last = c->npending - 1;
			pend_remove(c, i);
			if (next == last)
				next = i; /* the last held flow moved into i */
			uint64_t gen = c->pend_gen;
			cls_judge(c, &copy, false);
			/* A catalog whose control port lies in another
			 * service's dynamic range makes the judged flow a
			 * control flow too, which may change the list: then
			 * walk the chain again from its head (the flows met
			 * so far did not match and stay). */
			if (c->pend_gen != gen)
				next = c->pend_chain[bucket].head;
		}
		i = next;
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
	c->pend_gen++;
	uint32_t i = c->npending++;
	uint32_t b = pend_bucket(c, f->addr_a, f->addr_b);
	struct cls_pchain *ch = &c->pend_chain[b];
	c->pending[i] = *f;
	c->plink[i].bucket = b;
	c->plink[i].next = CLS_PEND_NIL;
	c->plink[i].prev = ch->tail;
	if (ch->tail != CLS_PEND_NIL)
		c->plink[ch->tail].next = i;
	else
		ch->head = i;
	ch->tail = i;
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
	if (c->pend_chain)
		pend_chains_clear(c);
	for (uint32_t i = 0; i < n; i++)
		cls_judge(c, &c->pending[i], false);
}

void cls_carry(struct cls *next, const struct cls *prev)
{
	if (!next || !prev)
		return;
	next->flow_ids = prev->flow_ids;
	if (!next->ctrl || !prev->ctrl)
		return;
	/* Oldest first, so that the eviction order carries over too. The
	 * index is rebuilt: each classifier hashes with its own seed. */
	for (int32_t i = prev->ctrl_oldest; i >= 0; i = prev->ctrl[i].newer) {
		const struct cls_ctrl *e = &prev->ctrl[i];
		struct cls_ctrl *n = ctrl_new(next, e->family, e->server, e->peer);
		n->control = e->control;
		n->service = e->service;
		n->first_ns = e->first_ns;
		n->last_ns = e->last_ns;
		memcpy(n->epm, e->epm, sizeof n->epm);
		n->nepm = e->nepm;
	}
}
