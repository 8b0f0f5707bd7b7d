/*
 * pairing.c -- uniflow records to flows (records.h; docs/flows.md, "Flow
 * records: pairing, nfdump and the collector").
 *
 * Design. NetFlow and most IPFIX exporters (routers, softflowd, pmacct)
 * send one record per direction. A tuple -- protocol and the unordered
 * pair of endpoints; for ICMP the host pair and the type pair (echo
 * request 8 with reply 0, 128 with 129, timestamp, information and mask
 * request with their replies) -- is one entry of an open-addressing table
 * sized up front (max_tuples entries, an index of twice as many slots at
 * most load 0.5, backward-shift deletion: no tombstones). An entry has two
 * sides, one per sender; a record fills its sender's side:
 *
 *   - the first record of a side makes the entry (waiting for its
 *     reverse: the short list);
 *   - a record of the other side pairs it (rs->paired);
 *   - a record of a side already filled is a duplicate when it comes from
 *     another exporter and its times overlap the side's (rs->duplicates,
 *     dropped: two routers on one path export the same packets), else a
 *     further piece of the flow (rs->merged: an exporter cuts a long flow
 *     at its active timeout, and only the first piece has the SYN);
 *   - a record whose times lie more than active_ns from the entry's, or
 *     a SYN on a TCP side that already had one (a new connection on a
 *     reused port), ends the entry and starts a new one.
 *
 * RFC 5103 biflows (reverse elements) fill both sides at once and are
 * taken as such; their forward side is the exporter's choice (softflowd:
 * the lower address), not necessarily the initiator.
 *
 * Time is the pairer's clock: what cap_pairer_tick() was last given
 * (record time offline, the wall clock for the collector). An entry is
 * held for a window after it was last touched: hold_ns while one side
 * waits for the other, and for a closed TCP flow (both sides, a FIN or
 * RST: nothing more to join but late duplicates); active_ns for a paired
 * flow that may still continue (its next piece comes up to an active
 * timeout later); 2 * hold_ns for an ICMP unreachable record, so that
 * the flows it may answer are judged before it. Three FIFO lists, one per
 * window, ordered by touch time, so a tick pops expired heads in O(1)
 * each. When the table is full the least recently touched entry is judged
 * at once (rs->evicted).
 *
 * Judging an entry (initiator, then outcome; docs/flows.md):
 *   initiator: the biflow's biflowDirection; for TCP, the only side that
 *   set SYN, or with SYN on both sides the only one without ACK (a client
 *   whose handshake did not complete); the sender of an echo request;
 *   a strictly earlier start from the same exporter; then
 *   cap_orient_guess() (the packet path's rule: group addresses, port 0,
 *   the port model, the lower port), marked initiator_inferred. One side
 *   alone: a bare SYN's sender; else (a SYN with ACK may be the
 *   responder's SYN-ACK or the whole of the initiator's side) the rules
 *   above, inferred; UDP: its sender, unless they say it came from the
 *   service port (turned round, inferred).
 *   outcome: from the OR of the TCP flags each way: SYN both ways
 *   established (closed with a FIN or RST); a SYN answered by a RST
 *   without SYN rejected; a SYN and nothing back unanswered (syn_retries:
 *   the packets after the first when the side is SYN-only) -- unless the
 *   initiator also ACKed, which it only does after a SYN-ACK: the answer
 *   went another way (asymmetric routing), established; no SYN midstream.
 *   UDP and other protocols both ways replied, one way oneway; ICMP echo
 *   replied or unanswered, other ICMP replied or oneway.
 *
 * ICMP unreachable. A flow record carries no quoted header, so an ICMP
 * destination unreachable record (type 3, ICMPv6 type 1) is matched by
 * hosts and time: its destination is the initiator of an unanswered TCP
 * flow, a one-way UDP flow or an unanswered echo; its source is the
 * flow's responder (always required for port and protocol unreachable,
 * which only the destination host sends) or, for the other codes (net,
 * host, administratively prohibited...), any router on the path; its
 * time lies within CAP_PAIR_ICMP_WINDOW_NS of the flow's. The flow becomes
 * unreachable with the error's type and code (rs->unreachable_inferred),
 * and the error record is not a flow of its own; an error that answers no
 * flow is judged as an ICMP flow (oneway). The error records are chained
 * per destination host (a bucket array beside the index), so a flow looks
 * at its initiator's errors only, CAP_PAIR_ICMP_WALK at most.
 *
 * Costs. Per record: one hash of the 38-byte key, ~1.5 probes, a few
 * compares, no allocation. Memory, allocated at cap_pairer_new and
 * touched only as tuples appear: max_tuples * sizeof(struct pent) (160
 * bytes), the index (16 to 32 bytes per entry: 8-byte slots, a power of
 * two at least twice max_tuples), the error buckets (at most 1 byte per
 * entry) and PARK_SLOTS flows waiting on an ICMP error (104 KiB). 100,000
 * tuples held at once cost about 16 MB of entries plus the index pages
 * their hashes touch (at most 16 MiB at the default 2^20 tuples); what is
 * held at once is what the clock's window covers: the tuples touched in
 * the last hold_ns (60 s) plus the paired, still open ones of the last
 * active_ns (30 min).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "capture.h"
#include "flow.h"
#include "rec_int.h"
#include "records.h"

#define NIL UINT32_MAX

enum { L_SHORT = 0, L_LONG, L_ERR, L_COUNT };

struct side {
	uint64_t pkts, bytes;
	uint64_t first_ns, last_ns;
	uint32_t exporter;
	uint8_t flags;
	uint8_t icmp_type, icmp_code;
	bool seen : 1;   /* a record (or a biflow's reverse) filled it */
	bool uni : 1;    /* filled by a uniflow record */
};

/* The key: family, protocol, the two endpoints (addr[0], port[0] the
 * lower), for ICMP the type class in both ports; an ICMP error's key is
 * directional (addr[0] the sender, port[0] DIRECTED). */
struct pkey {
	uint8_t family, proto;
	uint16_t port[2];
	uint8_t addr[2][16];
};

#define DIRECTED 0xffffu

/* 160 bytes: every entry of a full table is touched, and with a
 * million records of one minute (half a million tuples held at once) the
 * kernel's zeroing of the pages they take was a quarter of the nfdump
 * path's time at 208. */
struct pent {
	struct pkey k;
	uint16_t vlan;
	struct side s[2];     /* s[d]: sent by k.addr[d] */
	uint64_t touch;       /* the clock when last touched */
	uint32_t hash;        /* the key's hash (its low half: the index
	                       * slot's tag) */
	uint32_t prev, next;  /* its list */
	uint32_t eprev, enext;/* ICMP errors: the chain of its destination
	                       * (the bucket: host_bucket of k.addr[1]) */
	uint32_t answered;    /* flows it made unreachable */
	uint32_t parked;      /* a flow waiting for it: a slot of p->park,
	                       * its distance in p->park_dist */
	int8_t init_side;     /* from a biflow's biflowDirection, -1 none */
	uint8_t list;
	bool biflow : 1;
	bool error : 1;       /* an ICMP unreachable record */
	bool matched : 1;     /* ... that answered a flow */
};
_Static_assert(sizeof(struct pent) <= 160, "struct pent grew");

struct plist {
	uint32_t head, tail;
	uint64_t window;
};

struct cap_pairer {
	cap_flow_fn fn;
	void *ctx;
	const struct cap_portmap *pm;
	struct cap_rec_stats *rs;
	uint64_t hold_ns, active_ns;
	uint64_t now;
	uint64_t seed;
	struct pent *e;       /* the mapping: entries, slots, ebuckets */
	size_t mapped;
	uint32_t max, hwm, nfree, live;
	uint32_t free_head;
	struct cap_islot *slots;
	uint64_t mask;
	uint32_t *ebuckets;   /* entry + 1, 0 none */
	uint64_t emask;
	struct plist l[L_COUNT];
	/* Flows that an ICMP error of one packet may answer, each waiting on
	 * that error until a closer flow takes its place or it is judged. */
	struct cap_flow *park;
	uint64_t *park_dist;  /* |the error's time - the flow's last| */
	uint32_t *park_free;
	uint32_t npark_free;
	/* Records given to cap_pairer_add_ahead(), not yet added: a ring in
	 * arrival order, each with its key, side and hash made and its
	 * index slot prefetched. */
	struct ahead {
		struct cap_record r;
		struct pkey k;
		uint64_t h;
		uint64_t now;   /* the clock to tick to before adding it */
		int d;
	} q[CAP_PAIR_AHEAD];
	uint32_t qhead, qlen;
};

#define PARK_SLOTS 1024u

/* ---- keys --------------------------------------------------------------- */

static bool is_icmp(uint8_t family, uint8_t proto)
{
	return (family == 4 && proto == 1) || (family == 6 && proto == 58);
}

static bool is_unreach(uint8_t family, uint8_t type)
{
	return family == 4 ? type == 3 : type == 1;
}

/* The type a request/reply pair is known by (the request's); others are
 * their own class. */
static uint8_t icmp_class(uint8_t family, uint8_t type)
{
	if (family == 4) {
		switch (type) {
		case 0: return 8;
		case 14: return 13;
		case 16: return 15;
		case 18: return 17;
		default: return type;
		}
	}
	return type == 129 ? 128 : type;
}

static bool icmp_request(uint8_t family, uint8_t type)
{
	return family == 4 ? (type == 8 || type == 13 || type == 15 ||
	                      type == 17)
	                   : type == 128;
}

static bool icmp_echo_class(uint8_t family, uint8_t cls)
{
	return family == 4 ? cls == 8 : cls == 128;
}

/* A biflow's reverse type: the reply to a request, the request of a
 * reply (type << 8, code 0); 0 for others. */
static uint16_t icmp_counterpart(uint8_t family, uint16_t tc)
{
	uint8_t type = (uint8_t)(tc >> 8);
	uint8_t cls = icmp_class(family, type);
	if (cls == type && !icmp_request(family, type))
		return 0;
	uint8_t other = type == cls ? (uint8_t)(family == 4 ? (cls == 8 ? 0 :
	                cls + 1) : 129) : cls;
	return (uint16_t)(other << 8);
}

/* The key of a record and the side its sender fills. */
static int make_key(const struct cap_record *r, struct pkey *k)
{
	memset(k, 0, sizeof *k);
	k->family = r->family;
	k->proto = r->proto;
	uint16_t sp = r->sport, dp = r->dport;
	if (is_icmp(r->family, r->proto)) {
		uint8_t type = (uint8_t)(r->dport >> 8);
		uint16_t cls = (uint16_t)(icmp_class(r->family, type) << 8);
		if (is_unreach(r->family, type)) {
			/* Each code its own record, as exporters key them. */
			memcpy(k->addr[0], r->src, 16);
			memcpy(k->addr[1], r->dst, 16);
			k->port[0] = DIRECTED;
			k->port[1] = r->dport;
			return 0;
		}
		sp = dp = cls;
	}
	int c = memcmp(r->src, r->dst, 16);
	int d = (c > 0 || (c == 0 && sp > dp)) ? 1 : 0;
	memcpy(k->addr[d], r->src, 16);
	memcpy(k->addr[1 - d], r->dst, 16);
	k->port[d] = sp;
	k->port[1 - d] = dp;
	return d;
}

static bool key_eq(const struct pkey *a, const struct pkey *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->port[0] == b->port[0] && a->port[1] == b->port[1] &&
	       memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

static uint64_t key_hash(const struct cap_pairer *p, const struct pkey *k)
{
	return cap_hash(p->seed, k, sizeof *k);
}

static uint64_t host_bucket(const struct cap_pairer *p, uint8_t family,
                            const uint8_t *addr)
{
	uint8_t b[17];
	b[0] = family;
	memcpy(b + 1, addr, 16);
	return cap_hash(p->seed ^ 0x5bd1e995u, b, sizeof b) & p->emask;
}

/* ---- lists -------------------------------------------------------------- */

static void list_unlink(struct cap_pairer *p, uint32_t i)
{
	struct pent *e = &p->e[i];
	struct plist *l = &p->l[e->list];
	if (e->prev != NIL)
		p->e[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NIL)
		p->e[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NIL;
}

static void list_append(struct cap_pairer *p, uint32_t i, uint8_t which)
{
	struct pent *e = &p->e[i];
	struct plist *l = &p->l[which];
	e->list = which;
	e->prev = l->tail;
	e->next = NIL;
	if (l->tail != NIL)
		p->e[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static bool tcp_closed(const struct pent *e)
{
	return e->k.proto == 6 && e->s[0].seen && e->s[1].seen &&
	       ((e->s[0].flags | e->s[1].flags) &
	        (CAP_TH_FIN | CAP_TH_RST)) != 0;
}

/* Which window an entry waits in, and touch it now. */
static void touch(struct cap_pairer *p, uint32_t i)
{
	struct pent *e = &p->e[i];
	uint8_t which = e->error ? L_ERR
	              : (e->s[0].seen && e->s[1].seen && !tcp_closed(e))
	                ? L_LONG : L_SHORT;
	list_unlink(p, i);
	e->touch = p->now;
	list_append(p, i, which);
}

/* ---- the table ---------------------------------------------------------- */

/* The index slot where a key of hash h (its tag: the low half) starts
 * its probe: find(), index_put() and the prefetches ahead of them. */
static inline uint64_t home(const struct cap_pairer *p, uint64_t h)
{
	return (uint32_t)h & p->mask;
}

static uint32_t find(const struct cap_pairer *p, const struct pkey *k,
                     uint64_t h)
{
	uint32_t tag = (uint32_t)h;
	for (uint64_t pos = home(p, h);; pos = (pos + 1) & p->mask) {
		const struct cap_islot *s = &p->slots[pos];
		if (!s->idx)
			return NIL;
		if (s->tag == tag && key_eq(&p->e[s->idx - 1].k, k))
			return s->idx - 1;
	}
}

static void index_put(struct cap_pairer *p, uint32_t i)
{
	uint32_t tag = p->e[i].hash;
	uint64_t pos = home(p, tag);
	while (p->slots[pos].idx)
		pos = (pos + 1) & p->mask;
	p->slots[pos].tag = tag;
	p->slots[pos].idx = i + 1;
}

static void err_link(struct cap_pairer *p, uint32_t i)
{
	struct pent *e = &p->e[i];
	uint64_t b = host_bucket(p, e->k.family, e->k.addr[1]);
	e->eprev = NIL;
	e->enext = p->ebuckets[b] ? p->ebuckets[b] - 1 : NIL;
	if (e->enext != NIL)
		p->e[e->enext].eprev = i;
	p->ebuckets[b] = i + 1;
}

static void err_unlink(struct cap_pairer *p, uint32_t i)
{
	struct pent *e = &p->e[i];
	if (e->eprev != NIL)
		p->e[e->eprev].enext = e->enext;
	else
		p->ebuckets[host_bucket(p, e->k.family, e->k.addr[1])] =
			e->enext == NIL ? 0 : e->enext + 1;
	if (e->enext != NIL)
		p->e[e->enext].eprev = e->eprev;
	e->eprev = e->enext = NIL;
}

static void release(struct cap_pairer *p, uint32_t i)
{
	struct pent *e = &p->e[i];
	list_unlink(p, i);
	if (e->error)
		err_unlink(p, i);
	cap_islot_remove(p->slots, p->mask, e->hash, i);
	e->next = p->free_head;
	p->free_head = i;
	p->nfree++;
	p->live--;
}

/* ---- judging ------------------------------------------------------------ */

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static bool router_code(uint8_t family, uint8_t code)
{
	/* Port and protocol unreachable come from the destination host. */
	if (family == 4)
		return code != 2 && code != 3;
	return code != 4;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* The unreachable records sent to the flow's initiator (a) by its
 * responder (b) or a router, close in time, that can still answer it:
 * the closest. NIL when none. */
static uint32_t find_unreachable(const struct cap_pairer *p,
                                 const struct cap_flow *f)
{
	uint64_t b = host_bucket(p, f->family, f->addr_a);
	uint32_t i = p->ebuckets[b] ? p->ebuckets[b] - 1 : NIL;
	uint64_t w = CAP_PAIR_ICMP_WINDOW_NS;
	uint32_t best = NIL;
	uint64_t best_d = UINT64_MAX;
	for (unsigned n = 0; i != NIL && n < CAP_PAIR_ICMP_WALK;
	     i = p->e[i].enext, n++) {
		const struct pent *e = &p->e[i];
		const struct side *s = &e->s[0];
		if (e->k.family != f->family ||
		    memcmp(e->k.addr[1], f->addr_a, 16) != 0)
			continue;
		bool from_b = memcmp(e->k.addr[0], f->addr_b, 16) == 0;
		if (!from_b && !router_code(e->k.family, s->icmp_code))
			continue;
		if (s->last_ns + w < f->first_ns || s->first_ns > f->last_ns + w)
			continue;
		uint64_t d = absdiff(s->first_ns, f->last_ns);
		bool room = s->pkts > 1 ? e->answered < s->pkts
		          : e->answered == 0 &&
		            (e->parked == NIL || d < p->park_dist[e->parked]);
		if (room && d < best_d) {
			best = i;
			best_d = d;
		}
	}
	return best;
}

static void mark_unreachable(struct cap_pairer *p, struct pent *u,
                             struct cap_flow *f)
{
	u->matched = true;
	u->answered++;
	f->outcome = CAP_OUT_UNREACHABLE;
	f->icmp_type = u->s[0].icmp_type;
	f->icmp_code = u->s[0].icmp_code;
	p->rs->unreachable_inferred = true;
}

/* A flow out of the pairer. Under sampling a reply may not have been
 * sampled: a flow without one is marked so (classify). */
static void hand(struct cap_pairer *p, struct cap_flow *f)
{
	if (p->rs->sampling > 1 && (f->outcome == CAP_OUT_UNANSWERED ||
	                            f->outcome == CAP_OUT_ONEWAY))
		f->reply_unsure = CAP_UNSURE_SAMPLED;
	p->fn(f, p->ctx);
}

/* Flow f may be answered by an ICMP error: an error of several packets
 * answers the first flows that fit, as many as its packets; an error of
 * one packet answers the closest in time of the flows that fit, so the
 * flow waits on it (parked) until a closer one comes or the error is
 * judged. Returns true when f was parked (not to be handed on now). */
static bool try_unreachable(struct cap_pairer *p, struct cap_flow *f)
{
	uint32_t u = find_unreachable(p, f);
	if (u == NIL)
		return false;
	struct pent *e = &p->e[u];
	if (e->s[0].pkts > 1) {
		mark_unreachable(p, e, f);
		return false;
	}
	uint64_t d = absdiff(e->s[0].first_ns, f->last_ns);
	if (e->parked != NIL) {
		/* A closer flow: the one waiting goes on unanswered. */
		struct cap_flow old = p->park[e->parked];
		p->park[e->parked] = *f;
		p->park_dist[e->parked] = d;
		hand(p, &old);
		return true;
	}
	if (p->npark_free == 0) {
		mark_unreachable(p, e, f); /* no room to wait: first come */
		return false;
	}
	e->parked = p->park_free[--p->npark_free];
	p->park_dist[e->parked] = d;
	p->park[e->parked] = *f;
	return true;
}

/* An error is judged: the flow waiting on it is answered by it. */
static void unpark(struct cap_pairer *p, struct pent *e)
{
	if (e->parked == NIL)
		return;
	struct cap_flow f = p->park[e->parked];
	p->park_free[p->npark_free++] = e->parked;
	e->parked = NIL;
	mark_unreachable(p, e, &f);
	hand(p, &f);
}

static void emit(struct cap_pairer *p, uint32_t i)
{
	struct pent *e = &p->e[i];
	struct side *s = e->s;
	const struct pkey *k = &e->k;
	struct cap_flow f;
	memset(&f, 0, sizeof f);
	f.family = k->family;
	f.proto = k->proto;
	f.vlan = e->vlan;
	bool icmp = is_icmp(k->family, k->proto);
	bool both = s[0].seen && s[1].seen;

	if (e->error) {
		unpark(p, e);
		if (e->matched)
			return; /* it answered a flow: not a flow of its own */
		memcpy(f.addr_a, k->addr[0], 16);
		memcpy(f.addr_b, k->addr[1], 16);
		f.port_b = (uint16_t)(s[0].icmp_type << 8 | s[0].icmp_code);
		f.outcome = CAP_OUT_ONEWAY;
		f.pkts[0] = clamp32(s[0].pkts);
		f.bytes[0] = s[0].bytes;
		f.first_ns = s[0].first_ns;
		f.last_ns = s[0].last_ns;
		hand(p, &f);
		return;
	}

	/* The initiator's side. */
	int ini = -1;
	bool inferred = false;
	if (e->init_side >= 0) {
		ini = e->init_side;
	} else if (!both) {
		int d = s[0].seen ? 0 : 1;
		ini = d;
		uint8_t fl = s[d].flags;
		if (k->proto == 6 && (fl & CAP_TH_SYN) && !(fl & CAP_TH_ACK)) {
			/* a bare SYN's sender */
		} else if (icmp) {
			if (!icmp_request(k->family, s[d].icmp_type) &&
			    icmp_echo_class(k->family, (uint8_t)(k->port[0] >> 8)))
				ini = 1 - d; /* a reply: the other side asked */
		} else {
			int g = cap_orient_guess(p->pm, k->family, k->proto,
			                         k->addr[d], k->addr[1 - d],
			                         k->port[d], k->port[1 - d]);
			if (g == 1)
				ini = 1 - d;
			inferred = k->proto == 6 || g == 1;
		}
	} else {
		bool syn0 = s[0].flags & CAP_TH_SYN, syn1 = s[1].flags & CAP_TH_SYN;
		bool ack0 = s[0].flags & CAP_TH_ACK, ack1 = s[1].flags & CAP_TH_ACK;
		bool req0 = icmp && icmp_request(k->family, s[0].icmp_type);
		bool req1 = icmp && icmp_request(k->family, s[1].icmp_type);
		bool one_clock = s[0].exporter == s[1].exporter &&
		                 s[0].first_ns != s[1].first_ns;
		int earlier = s[0].first_ns < s[1].first_ns ? 0 : 1;
		if (k->proto == 6 && syn0 != syn1) {
			/* The SYN's sender, unless the other side answered
			 * with neither SYN nor RST: then that SYN came with
			 * the ACK of a SYN-ACK, and the initiator's SYN was
			 * missed (the packet path's SYN-ACK-first rule). */
			int sd = syn0 ? 0 : 1;
			uint8_t other = s[1 - sd].flags;
			bool synack = (s[sd].flags & CAP_TH_ACK) &&
			              s[1 - sd].pkts > 0 && (other & CAP_TH_ACK) &&
			              !(other & CAP_TH_RST);
			ini = synack ? 1 - sd : sd;
		} else if (k->proto == 6 && syn0 && syn1 && ack0 != ack1) {
			ini = ack0 ? 1 : 0;
		} else if (req0 != req1) {
			ini = req0 ? 0 : 1;
		} else if (one_clock && (k->proto != 6 || syn0)) {
			/* The SYN before the SYN-ACK; for UDP the first sender,
			 * unless the port rules say it answered (as the packet
			 * path turns a reply seen first round). */
			ini = earlier;
			if (k->proto != 6 && !icmp &&
			    cap_orient_guess(p->pm, k->family, k->proto,
			                     k->addr[ini], k->addr[1 - ini],
			                     k->port[ini], k->port[1 - ini]) == 1) {
				ini = 1 - ini;
				inferred = true;
			}
		}
		/* TCP without a SYN (midstream): the port rules, as the packet
		 * path orients it. */
		if (ini < 0) {
			int g = cap_orient_guess(p->pm, k->family, k->proto,
			                         k->addr[0], k->addr[1],
			                         k->port[0], k->port[1]);
			if (g >= 0)
				ini = g == 1 ? 1 : 0;
			else
				ini = earlier;
			inferred = true;
		}
	}
	int rsp = 1 - ini;
	const struct side *a = &s[ini], *b = &s[rsp];
	memcpy(f.addr_a, k->addr[ini], 16);
	memcpy(f.addr_b, k->addr[rsp], 16);
	f.initiator_inferred = inferred ? 1 : 0;
	f.flags[0] = a->flags;
	f.flags[1] = b->flags;
	f.pkts[0] = clamp32(a->pkts);
	f.pkts[1] = clamp32(b->pkts);
	f.bytes[0] = a->bytes;
	f.bytes[1] = b->bytes;
	f.first_ns = UINT64_MAX;
	for (int d = 0; d < 2; d++) {
		if (!s[d].seen)
			continue;
		if (s[d].first_ns < f.first_ns)
			f.first_ns = s[d].first_ns;
		if (s[d].last_ns > f.last_ns)
			f.last_ns = s[d].last_ns;
	}
	bool answered = b->seen && b->pkts > 0;
	if (icmp) {
		f.port_a = 0;
		uint8_t type = a->seen ? a->icmp_type
		             : (uint8_t)(k->port[0] >> 8);
		uint8_t code = a->seen ? a->icmp_code : 0;
		f.port_b = (uint16_t)(type << 8 | code);
		if (icmp_echo_class(k->family, (uint8_t)(k->port[0] >> 8)))
			f.outcome = answered ? CAP_OUT_REPLIED
			                     : CAP_OUT_UNANSWERED;
		else
			f.outcome = both && answered ? CAP_OUT_REPLIED
			                             : CAP_OUT_ONEWAY;
	} else {
		f.port_a = k->port[ini];
		f.port_b = k->port[rsp];
		if (k->proto == 6) {
			uint8_t fa = a->flags, fb = b->flags;
			uint8_t end = (uint8_t)((fa | fb) & (CAP_TH_FIN | CAP_TH_RST));
			if ((fb & CAP_TH_SYN) ||
			    ((fa & CAP_TH_SYN) && !answered && (fa & CAP_TH_ACK)))
				f.outcome = end ? CAP_OUT_CLOSED : CAP_OUT_ESTABLISHED;
			else if ((fa & CAP_TH_SYN) && !answered)
				f.outcome = CAP_OUT_UNANSWERED;
			else if ((fa & CAP_TH_SYN) && (fb & CAP_TH_RST))
				f.outcome = CAP_OUT_REJECTED;
			else
				f.outcome = CAP_OUT_MIDSTREAM;
			if (f.outcome == CAP_OUT_UNANSWERED && fa == CAP_TH_SYN &&
			    a->pkts > 1)
				f.syn_retries = (uint8_t)(a->pkts - 1 > 255
				                          ? 255 : a->pkts - 1);
		} else {
			f.outcome = answered ? CAP_OUT_REPLIED : CAP_OUT_ONEWAY;
		}
	}
	if (inferred)
		p->rs->initiators_guessed = true;
	if ((f.outcome == CAP_OUT_UNANSWERED ||
	     (f.outcome == CAP_OUT_ONEWAY && !icmp)) &&
	    try_unreachable(p, &f))
		return;
	hand(p, &f);
}

/* Judge entry i and free it. `why`: 0 its window passed (or the end),
 * 1 evicted (table full), 2 ended by a new piece that does not join. */
static void finish(struct cap_pairer *p, uint32_t i, int why)
{
	struct pent *e = &p->e[i];
	if (why == 1)
		p->rs->evicted++;
	else if (!e->error && !e->biflow && (e->s[0].seen != e->s[1].seen))
		p->rs->unpaired++;
	emit(p, i);
	release(p, i);
}

/* ---- the API ------------------------------------------------------------ */

struct cap_pairer *cap_pairer_new(cap_flow_fn fn, void *ctx,
                                  const struct cap_portmap *pm,
                                  struct cap_rec_stats *rs,
                                  uint32_t max_tuples, uint64_t hold_ns,
                                  uint64_t active_ns)
{
	if (!fn || !rs || max_tuples == 0 || max_tuples > (1u << 30))
		return NULL;
	struct cap_pairer *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fn = fn;
	p->ctx = ctx;
	p->pm = pm;
	p->rs = rs;
	p->hold_ns = hold_ns;
	p->active_ns = active_ns > hold_ns ? active_ns : hold_ns;
	p->max = max_tuples;
	uint64_t n = 16;
	while (n < (uint64_t)max_tuples * 2)
		n <<= 1;
	p->mask = n - 1;
	uint64_t nb = 16;
	while (nb < max_tuples / 8)
		nb <<= 1;
	p->emask = nb - 1;
	/* The entries, the index and the error buckets in one anonymous
	 * mapping: zero, committed as tuples appear, in transparent huge
	 * pages where the kernel gives them. With 4 KiB pages every 20th
	 * new tuple took a page fault (30,000 for a million records, a
	 * third of the nfdump path's time) and every index probe a TLB
	 * miss. */
	size_t ebytes = ((size_t)max_tuples * sizeof *p->e + 63) & ~(size_t)63;
	size_t sbytes = (size_t)n * sizeof *p->slots;
	p->mapped = ebytes + sbytes + (size_t)nb * sizeof *p->ebuckets;
	void *vm = mmap(NULL, p->mapped, PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm == MAP_FAILED) {
		free(p);
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	(void)madvise(vm, p->mapped, MADV_HUGEPAGE);
#endif
	p->e = vm;
	p->slots = (struct cap_islot *)(void *)((char *)vm + ebytes);
	p->ebuckets = (uint32_t *)(void *)((char *)vm + ebytes + sbytes);
	p->park = calloc(PARK_SLOTS, sizeof *p->park);
	p->park_dist = calloc(PARK_SLOTS, sizeof *p->park_dist);
	p->park_free = calloc(PARK_SLOTS, sizeof *p->park_free);
	if (!p->park || !p->park_dist || !p->park_free) {
		cap_pairer_free(p);
		return NULL;
	}
	cap_random(&p->seed, sizeof p->seed);
	p->free_head = NIL;
	for (uint32_t k = 0; k < PARK_SLOTS; k++)
		p->park_free[k] = PARK_SLOTS - 1 - k;
	p->npark_free = PARK_SLOTS;
	p->l[L_SHORT].window = hold_ns;
	p->l[L_LONG].window = p->active_ns;
	p->l[L_ERR].window = hold_ns * 2;
	for (int l = 0; l < L_COUNT; l++)
		p->l[l].head = p->l[l].tail = NIL;
	return p;
}

void cap_pairer_free(struct cap_pairer *p)
{
	if (!p)
		return;
	if (p->e)
		munmap(p->e, p->mapped);
	free(p->park);
	free(p->park_dist);
	free(p->park_free);
	free(p);
}

/* The least recently touched entry (every list is in touch order). */
static uint32_t oldest(const struct cap_pairer *p)
{
	uint32_t best = NIL;
	for (int l = 0; l < L_COUNT; l++) {
		uint32_t h = p->l[l].head;
		if (h != NIL && (best == NIL || p->e[h].touch < p->e[best].touch))
			best = h;
	}
	return best;
}

static uint32_t take(struct cap_pairer *p)
{
	if (p->live >= p->max) {
		uint32_t o = oldest(p);
		if (o == NIL)
			return NIL;
		finish(p, o, 1);
	}
	uint32_t i;
	if (p->free_head != NIL) {
		i = p->free_head;
		p->free_head = p->e[i].next;
		p->nfree--;
	} else {
		i = p->hwm++;
	}
	p->live++;
	return i;
}

static void side_add(struct side *s, uint64_t pkts, uint64_t bytes,
                     uint64_t first, uint64_t last, uint8_t flags,
                     uint32_t exporter, uint16_t icmp, bool uni)
{
	if (!s->seen) {
		s->first_ns = first;
		s->last_ns = last;
		s->exporter = exporter;
		s->icmp_type = (uint8_t)(icmp >> 8);
		s->icmp_code = (uint8_t)icmp;
	} else {
		if (first < s->first_ns)
			s->first_ns = first;
		if (last > s->last_ns)
			s->last_ns = last;
	}
	s->seen = true;
	s->uni |= uni;
	s->pkts += pkts;
	s->bytes += bytes;
	s->flags |= flags;
}

/* Does side s, filled by another exporter, overlap [first, last]? */
static bool duplicate(const struct side *s, uint32_t exporter,
                      uint64_t first, uint64_t last)
{
	return s->seen && s->exporter != exporter && first <= s->last_ns &&
	       s->first_ns <= last;
}

static uint32_t create(struct cap_pairer *p, const struct pkey *k,
                       uint64_t h)
{
	uint32_t i = take(p);
	if (i == NIL)
		return NIL;
	struct pent *e = &p->e[i];
	memset(e, 0, sizeof *e);
	e->k = *k;
	e->hash = (uint32_t)h;
	e->prev = e->next = e->eprev = e->enext = NIL;
	e->parked = NIL;
	e->init_side = -1;
	index_put(p, i);
	list_append(p, i, L_SHORT); /* touch() puts it where it waits */
	return i;
}

/* Should record r start a new flow instead of joining entry e? */
static bool starts_new(const struct cap_pairer *p, const struct pent *e,
                       const struct cap_record *r, int d)
{
	uint64_t first = UINT64_MAX, last = 0;
	for (int x = 0; x < 2; x++) {
		if (!e->s[x].seen)
			continue;
		if (e->s[x].first_ns < first)
			first = e->s[x].first_ns;
		if (e->s[x].last_ns > last)
			last = e->s[x].last_ns;
	}
	if (r->first_ns > last + p->active_ns ||
	    r->last_ns + p->active_ns < first)
		return true;
	const struct side *s = &e->s[d];
	return e->k.proto == 6 && (r->tcp_flags & CAP_TH_SYN) && s->seen &&
	       (s->flags & CAP_TH_SYN) && r->first_ns > s->last_ns &&
	       !duplicate(s, r->exporter, r->first_ns, r->last_ns);
}

/* Add record r, its key k (side d, hash h) made. */
static void add(struct cap_pairer *p, const struct cap_record *r,
                const struct pkey *k, int d, uint64_t h)
{
	if (r->sampling > p->rs->sampling)
		p->rs->sampling = r->sampling;
	if (p->now == 0)
		p->now = r->last_ns; /* no tick yet: the first record's time */
	uint32_t i = find(p, k, h);
	if (i != NIL && starts_new(p, &p->e[i], r, d)) {
		finish(p, i, 2);
		i = NIL;
	}
	bool fresh = i == NIL;
	if (fresh) {
		i = create(p, k, h);
		if (i == NIL)
			return;
	}
	struct pent *e = &p->e[i];
	uint16_t icmp = is_icmp(r->family, r->proto) ? r->dport : 0;
	if (fresh && k->port[0] == DIRECTED && is_icmp(k->family, k->proto)) {
		e->error = true;
		err_link(p, i);
	}
	if (!e->vlan && r->vlan)
		e->vlan = r->vlan;
	if (r->biflow) {
		/* Both sides at once. A piece that overlaps either side as
		 * another exporter saw it is that exporter's copy. */
		if (!fresh &&
		    (duplicate(&e->s[d], r->exporter, r->first_ns, r->last_ns) ||
		     duplicate(&e->s[1 - d], r->exporter, r->first_ns,
		               r->last_ns))) {
			p->rs->duplicates++;
			touch(p, i);
			return;
		}
		if (!fresh)
			p->rs->merged++;
		e->biflow = true;
		if (r->pkts || r->bytes || r->tcp_flags)
			side_add(&e->s[d], r->pkts, r->bytes, r->first_ns,
			         r->last_ns, r->tcp_flags, r->exporter, icmp, false);
		if (r->rev_pkts || r->rev_bytes || r->rev_tcp_flags)
			side_add(&e->s[1 - d], r->rev_pkts, r->rev_bytes,
			         r->first_ns, r->last_ns, r->rev_tcp_flags,
			         r->exporter, icmp_counterpart(r->family, icmp),
			         false);
		if (r->direction == 1)
			e->init_side = (int8_t)d;
		else if (r->direction == 2)
			e->init_side = (int8_t)(1 - d);
		touch(p, i);
		return;
	}
	struct side *s = &e->s[d];
	if (duplicate(s, r->exporter, r->first_ns, r->last_ns)) {
		p->rs->duplicates++;
		touch(p, i);
		return;
	}
	if (s->seen)
		p->rs->merged++;
	else if (e->s[1 - d].seen && e->s[1 - d].uni)
		p->rs->paired++;
	side_add(s, r->pkts, r->bytes, r->first_ns, r->last_ns, r->tcp_flags,
	         r->exporter, icmp, true);
	touch(p, i);
}

/* Load what judging entry i (the head of a list, about to be judged)
 * will read of the entry after it, and that entry's index slot: entries
 * judged in touch order were made at random places of the index, and
 * release() probes there. */
static inline __attribute__((always_inline)) void
prefetch_next(const struct cap_pairer *p, uint32_t i)
{
	/* Inlined where it is used: a function of loads and prefetches
	 * alone is pure to GCC, and a call to it, returning nothing, is
	 * removed. */
	uint32_t n = p->e[i].next;
	if (n != NIL) {
		__builtin_prefetch(&p->slots[home(p, p->e[n].hash)]);
		uint32_t nn = p->e[n].next;
		if (nn != NIL)
			__builtin_prefetch(&p->e[nn]);
	}
}

static void tick(struct cap_pairer *p, uint64_t now_ns)
{
	if (now_ns > p->now)
		p->now = now_ns;
	/* Flows before the errors that may answer them: the error list's
	 * window is the longest of the short ones, so an error is judged
	 * after the flows touched up to hold_ns after it. */
	for (int l = 0; l < L_COUNT; l++) {
		struct plist *pl = &p->l[l];
		while (pl->head != NIL &&
		       p->e[pl->head].touch + pl->window < p->now) {
			prefetch_next(p, pl->head);
			finish(p, pl->head, 0);
		}
	}
}

/* The oldest record waiting in the ring: its tick, then it. */
static void add_oldest(struct cap_pairer *p)
{
	struct ahead *a = &p->q[p->qhead];
	if (a->now)
		tick(p, a->now);
	if (a->r.family != 4 && a->r.family != 6)
		p->rs->malformed++;
	else
		add(p, &a->r, &a->k, a->d, a->h);
	p->qhead = (p->qhead + 1) % CAP_PAIR_AHEAD;
	p->qlen--;
}

static void drain(struct cap_pairer *p)
{
	while (p->qlen)
		add_oldest(p);
}

void cap_pairer_add_ahead(struct cap_pairer *p, const struct cap_record *r,
                          uint64_t now_ns)
{
	if (!p || !r)
		return;
	if (p->qlen == CAP_PAIR_AHEAD)
		add_oldest(p);
	struct ahead *a = &p->q[(p->qhead + p->qlen) % CAP_PAIR_AHEAD];
	a->r = *r;
	a->now = now_ns;
	p->qlen++;
	if (r->family != 4 && r->family != 6)
		return; /* counted malformed in its turn, after its tick */
	a->d = make_key(r, &a->k);
	a->h = key_hash(p, &a->k);
	__builtin_prefetch(&p->slots[home(p, a->h)]);
}

/* What is waiting, then r: at once. */
void cap_pairer_add(struct cap_pairer *p, const struct cap_record *r)
{
	if (!p || !r)
		return;
	cap_pairer_add_ahead(p, r, 0);
	drain(p);
}

void cap_pairer_tick(struct cap_pairer *p, uint64_t now_ns)
{
	if (!p)
		return;
	drain(p);
	tick(p, now_ns);
}

void cap_pairer_flush(struct cap_pairer *p)
{
	if (!p)
		return;
	drain(p);
	/* Oldest first, flows before the errors that may answer them. */
	for (;;) {
		uint32_t best = NIL;
		for (int l = 0; l < L_ERR; l++) {
			uint32_t h = p->l[l].head;
			if (h != NIL &&
			    (best == NIL || p->e[h].touch < p->e[best].touch))
				best = h;
		}
		if (best == NIL)
			break;
		prefetch_next(p, best);
		finish(p, best, 0);
	}
	while (p->l[L_ERR].head != NIL)
		finish(p, p->l[L_ERR].head, 0);
}
