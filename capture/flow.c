/*
 * flow.c -- the flow table: decoded packets in, finished flows out.
 *
 * Design. The table is ONE allocation (an anonymous mapping, with
 * transparent huge pages asked for) made at start from max_flows: the
 * table header, an array of max_flows entries (struct flow_entry, at most
 * 128 bytes: the public struct cap_flow plus the 64-bit hash, two list links
 * and the TCP state) and room for an index of 2^k slots, 2^k >= 2 *
 * max_flows. Only the first 2^j slots are in use, 2^j the least power of
 * two (>= INDEX_START) that keeps the load factor <= 0.5 for the flows
 * live so far (index_grow doubles it and reinserts): the index read at
 * random per packet spans twice the peak of live flows, not twice
 * --max-flows, so it stays in the caches. A slot is 8 bytes: the lower
 * half of the entry's hash (a tag that spares most key comparisons, and
 * whose low bits are the slot's home position, so that moving slots
 * around never reads an entry) and the entry's index + 1 (0 = empty).
 * Lookup is open addressing with linear probing; removal is backward-shift
 * deletion, so there are no tombstones and a probe run never grows with
 * churn. Entries never move, so list links stay valid.
 * Entries are taken from a free list, else from a high-water mark (so the
 * calloc'ed memory is touched only as flows appear: RSS follows the number
 * of live flows, not max_flows).
 *
 * Keys come from the network, so the hash is keyed: NH, a universal hash,
 * with random key words drawn at init (cap_random), see key_hash: an
 * attacker cannot aim packets at one probe run. The key is the flow's two
 * ends in canonical order (lower (address, port) first) so both
 * directions of a flow hash alike; for ICMP echo the "port" of both ends
 * is the identifier; a packet from inside a tunnel adds the tunnel's id
 * (cap_packet.tunnel), so the same addresses in two tunnels (two tenants'
 * VNIs) are two flows, and the outer packet (UDP 4789, GRE: protocol 47,
 * IP-in-IP: 4, 41, without ports) is a flow of its own between the tunnel
 * ends, as datagrams are (first sender initiates, UDP timeouts).
 * Nothing the table hands on depends on the hash: the
 * order of flows comes from the lists below, and eviction takes the head
 * of a list, so a capture gives the same flows on every run.
 *
 * Expiry is by packet time (offline time flows with the packets; live it is
 * wall time, and cap_flowtab_tick() lets it pass while the link is quiet).
 * Every entry is on exactly one of four doubly linked lists, one per timeout
 * class (TCP SYN-only, TCP established/midstream, UDP+ICMP, linger after a
 * close), in order of last activity: a new flow joins the tail of its
 * class after its first packet, and a packet moves its flow to the tail
 * of its class (at most once per ~1 s of packet time, see the end of
 * packet_keyed). All flows of a class share one timeout, so the head
 * of each list is the next to expire, and each packet checks only the
 * heads.
 *
 * Costs. Per packet: one hash of the key (two multiplies for IPv4, five
 * for IPv6; see key_hash), an expected probe of ~1.5 slots at load 0.5,
 * one key comparison (the tag filters the rest), O(1) list relinking, and
 * the expiry check (one comparison while no list head can have expired,
 * see expire()): at most EXPIRE_BUDGET flows handed
 * on per call (each flow expires once, so this is amortised O(1) too; a
 * burst is spread over the next packets, and a lookup that finds an expired
 * flow ends it itself, so correctness never waits for the sweep). Removal
 * shifts back at most the length of the probe run. No allocation and no
 * system call after cap_flowtab_new(). Memory: 128 bytes per flow + 16 bytes
 * per flow of index (8 bytes * 2 slots): 144 MiB for the default 2^20.
 *
 * Full table (Suricata's "emergency"). When a new flow finds no free entry,
 * the table enters emergency mode: the timeouts drop to the CAP_TO_EMERG_*
 * values so that idle flows leave sooner, and the new flow takes the entry
 * of the flow that has been idle longest: a lingering (already closed) flow
 * first, handed on as usual; else the least recently active flow of the
 * other three lists, handed on and counted in stats->evicted (a list head
 * active since it was put there gets a second chance first, see
 * second_chance: the lists are ordered only to within a second). Emergency
 * mode ends when the table is below 70% full again. So a port scan or a
 * flood costs evictions that are counted and reported, never memory.
 */
#include "flow.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline)) /* per packet */
#else
#define HOT_INLINE inline
#endif

#define NIL UINT32_MAX
#define EXPIRE_BUDGET 16
#define INDEX_START 4096 /* slots in use at first (32 KiB) */
#define NH_WORDS 10       /* words of a key, and of the hash key (key_hash) */

enum { L_SYN = 0, L_EST, L_DGRAM, L_LINGER, L_COUNT };

/* TCP and ICMP state bits. */
#define S_SYN     0x0001 /* the initiator sent a bare SYN */
#define S_SYNACK  0x0002 /* the responder sent SYN+ACK */
#define S_ACK3    0x0004 /* the initiator acknowledged the SYN+ACK */
#define S_FIN0    0x0008
#define S_FIN1    0x0010
#define S_RST     0x0020
#define S_REJ     0x0040 /* RST from the responder answering the SYN */
#define S_ICMPERR 0x0080 /* an ICMP error quoted the flow */
#define S_ECHO    0x0100 /* ICMP echo flow (else other ICMP) */
#define S_ENDAFTER 0x0200 /* FIN or RST after the handshake */

struct flow_entry {
	struct cap_flow f;
	uint64_t hash;
	uint32_t prev, next;  /* list links; next is the free-list link too */
	uint32_t moved;       /* packet time of the last relink, ~1 s units */
	uint16_t st;          /* S_* */
	uint8_t list;         /* L_* */
};

_Static_assert(sizeof(struct flow_entry) <= 128,
               "a flow entry must fit in 128 bytes");

struct flist {
	uint32_t head, tail;
};

struct cap_flowtab {
	struct flow_entry *e;
	struct cap_islot *slots;
	uint64_t mask;        /* slots in use - 1 (grows, see index_grow) */
	uint64_t max_slots;   /* slots reserved: 2^k >= 2 * cap */
	uint64_t exp_next;    /* no list head expires at or before this packet
	                       * time (0: unknown, recompute); see expire() */
	uint32_t cap;         /* entries */
	uint32_t used;        /* live flows */
	uint32_t hw;          /* entries ever handed out (high-water mark) */
	uint32_t free_head;
	uint64_t end_ns;      /* cap_flowtab_end: the capture's end, else 0 */
	struct flist lists[L_COUNT];
	uint32_t nh[NH_WORDS]; /* the hash key (random per run) */
	uint64_t nh_v4;       /* the IPv4 keys' constant part, see key_hash */
	bool emergency;
	size_t mapped;        /* bytes of the one mapping */
	const struct cap_portmap *ports;
	cap_flow_fn fn;
	void *ctx;
	struct cap_stats *st;
};

/* ---- the hash ----------------------------------------------------------- */

/* NH (Black, Halevi, Krawczyk, Krovetz, Rogaway: "UMAC: fast and secure
 * message authentication", CRYPTO 1999), the universal hash at the heart
 * of UMAC and VMAC: the key is read as 32-bit words m[0..2n), the hash key
 * is 2n random 32-bit words k[], and
 *
 *     NH(m) = sum over i < n of ((m[2i] + k[2i]) mod 2^32)
 *                             * ((m[2i+1] + k[2i+1]) mod 2^32)   mod 2^64
 *
 * For any two distinct keys of the same length, chosen without knowing
 * k[], the probability that their NH values collide is at most 2^-32: a
 * sender cannot aim flows at one 64-bit value, so no probe run grows
 * longer than chance makes it. A fixed bijection (the 64-bit finaliser of
 * MurmurHash3, cap_fmix64) then spreads every bit of the sum into the low
 * bits (the home slot and the tag); being a bijection it adds no
 * collision. One product costs a multiply and two adds: the IPv4 key costs
 * two, against six SipHash-1-3 rounds (~150 instructions) before.
 *
 * Every key is hashed as the same ten words (see key_hash), so the bound
 * holds between IPv4 and IPv6 keys too; for IPv4 the six address words
 * that are always zero contribute a constant, computed once (t->nh_v4). */
static inline uint64_t nh_pair(uint32_t a, uint32_t ka, uint32_t b,
                               uint32_t kb)
{
	return (uint64_t)(uint32_t)(a + ka) * (uint64_t)(uint32_t)(b + kb);
}

/* ---- keys --------------------------------------------------------------- */

/* A 16-byte address as two 64-bit words: no libc memcmp call per
 * packet. */
static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline bool addr_eq(const uint8_t *a, const uint8_t *b)
{
	return ld64(a) == ld64(b) && ld64(a + 8) == ld64(b + 8);
}

/* A packet's ends, normalised: ICMP ports the echo identifier (or 0),
 * kind 1 for ICMP echo. The addresses point into the decoded packet (16
 * bytes each, IPv4 zero-padded: the decoder clears the packet first), so
 * building a key copies nothing. */
struct pkey {
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint8_t family, proto, kind;
	uint16_t tunnel;      /* the tunnel carrying it: part of the key */
};

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The hash of the flow's two ends in canonical order, so that both
 * directions hash alike: the end with the lower (address, port) first,
 * in any fixed total order (here the address words as the host reads
 * them). The NH words are the ends' addresses interleaved word by word,
 * then both ports, then the tunnel, protocol, family and kind (one word:
 * tunnel << 16 | proto << 8 | family << 1 | kind):
 *
 *     lo.a0 hi.a0 lo.a1 hi.a1 lo.a2 hi.a2 lo.a3 hi.a3 ports meta
 *
 * An IPv4 key's a1..a3 are zero (make_key pads), so its hash is two
 * products plus the constant nh_v4. */
static uint64_t key_hash(const struct cap_flowtab *t, const struct pkey *k)
{
	const uint32_t *kw = t->nh;
	uint32_t meta = (uint32_t)k->tunnel << 16 | (uint32_t)k->proto << 8 |
	                (uint32_t)k->family << 1 | k->kind;
	if (k->family == 4) {
		uint64_t s = (uint64_t)ld32(k->src) << 16 | k->sport;
		uint64_t d = (uint64_t)ld32(k->dst) << 16 | k->dport;
		uint64_t lo = s < d ? s : d, hi = s < d ? d : s;
		uint32_t ports = (uint32_t)(lo & 0xffff) << 16 |
		                 (uint32_t)(hi & 0xffff);
		uint64_t h = t->nh_v4 +
		             nh_pair((uint32_t)(lo >> 16), kw[0],
		                     (uint32_t)(hi >> 16), kw[1]) +
		             nh_pair(ports, kw[8], meta, kw[9]);
		return cap_fmix64(h);
	}
	uint64_t s0 = ld64(k->src), s1 = ld64(k->src + 8);
	uint64_t d0 = ld64(k->dst), d1 = ld64(k->dst + 8);
	bool src_lo = s0 < d0 ||
	              (s0 == d0 && (s1 < d1 ||
	                            (s1 == d1 && k->sport <= k->dport)));
	const uint8_t *lo = src_lo ? k->src : k->dst;
	const uint8_t *hi = src_lo ? k->dst : k->src;
	uint32_t plo = src_lo ? k->sport : k->dport;
	uint32_t phi = src_lo ? k->dport : k->sport;
	uint64_t h = 0;
	for (unsigned w = 0; w < 4; w++)
		h += nh_pair(ld32(lo + 4 * w), kw[2 * w],
		             ld32(hi + 4 * w), kw[2 * w + 1]);
	h += nh_pair(plo << 16 | phi, kw[8], meta, kw[9]);
	return cap_fmix64(h);
}

static bool is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/* Ports of the key as stored in the entry (ICMP: both the identifier). */
static uint16_t key_port_b(const struct cap_flow *f)
{
	return is_icmp(f->proto) ? f->port_a : f->port_b;
}

/* Does entry e hold key k? *dir = 0 when k's source is the initiator. */
static HOT_INLINE bool key_match(const struct flow_entry *e,
                                 const struct pkey *k, int *dir)
{
	const struct cap_flow *f = &e->f;
	if (f->family != k->family || f->proto != k->proto ||
	    f->tunnel != k->tunnel || ((e->st & S_ECHO) ? 1 : 0) != k->kind)
		return false;
	uint16_t pb = key_port_b(f);
	if (f->port_a == k->sport && pb == k->dport &&
	    addr_eq(f->addr_a, k->src) && addr_eq(f->addr_b, k->dst)) {
		*dir = 0;
		return true;
	}
	if (f->port_a == k->dport && pb == k->sport &&
	    addr_eq(f->addr_a, k->dst) && addr_eq(f->addr_b, k->src)) {
		*dir = 1;
		return true;
	}
	return false;
}

/* Find the slot holding entry `idx` with hash h, or the flow of key k.
 * Returns the slot position; *found = entry index or NIL. */
static HOT_INLINE uint64_t probe(const struct cap_flowtab *t, uint64_t h,
                                 const struct pkey *k, uint32_t *found,
                                 int *dir)
{
	uint64_t pos = h & t->mask;
	uint32_t tag = (uint32_t)h;
	for (;;) {
		const struct cap_islot *s = &t->slots[pos];
		if (s->idx == 0) {
			*found = NIL;
			return pos;
		}
		if (s->tag == tag && t->e[s->idx - 1].hash == h &&
		    key_match(&t->e[s->idx - 1], k, dir)) {
			*found = s->idx - 1;
			return pos;
		}
		pos = (pos + 1) & t->mask;
	}
}

static void slot_remove(struct cap_flowtab *t, uint32_t idx)
{
	cap_islot_remove(t->slots, t->mask, (uint32_t)t->e[idx].hash, idx);
}

/* Double the slots in use and put every live entry back (each is on
 * exactly one list). The index starts at INDEX_START slots and grows so
 * that it stays at load <= 0.5, up to the 2^k >= 2 * max_flows reserved at
 * start: the slots read at random per packet span 2 * peak_flows * 8
 * bytes (a megabyte for 64k live flows, which caches hold) rather than
 * 16 MiB for the default --max-flows. Amortised O(1) per flow created. */
static void index_grow(struct cap_flowtab *t)
{
	uint64_t n = (t->mask + 1) * 2;
	memset(t->slots, 0, (size_t)n * sizeof *t->slots);
	t->mask = n - 1;
	for (unsigned l = 0; l < L_COUNT; l++) {
		for (uint32_t i = t->lists[l].head; i != NIL; i = t->e[i].next) {
			uint64_t pos = t->e[i].hash & t->mask;
			while (t->slots[pos].idx != 0)
				pos = (pos + 1) & t->mask;
			t->slots[pos].tag = (uint32_t)t->e[i].hash;
			t->slots[pos].idx = i + 1;
		}
	}
}

/* ---- lists -------------------------------------------------------------- */

static void list_unlink(struct cap_flowtab *t, uint32_t i)
{
	struct flow_entry *e = &t->e[i];
	struct flist *l = &t->lists[e->list];
	if (e->prev != NIL) {
		t->e[e->prev].next = e->next;
	} else {
		l->head = e->next;
		t->exp_next = 0; /* a new head: see expire() */
	}
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NIL;
}

static void list_append(struct cap_flowtab *t, uint32_t i, uint8_t list)
{
	struct flow_entry *e = &t->e[i];
	struct flist *l = &t->lists[list];
	e->list = list;
	e->next = NIL;
	e->prev = l->tail;
	if (l->tail != NIL) {
		t->e[l->tail].next = i;
	} else {
		l->head = i;
		t->exp_next = 0;
	}
	l->tail = i;
}

static uint64_t timeout_of(const struct cap_flowtab *t, unsigned list)
{
	static const uint64_t normal[L_COUNT] = {
		CAP_TO_TCP_SYN, CAP_TO_TCP_EST, CAP_TO_DGRAM, CAP_TO_LINGER,
	};
	static const uint64_t emerg[L_COUNT] = {
		CAP_TO_EMERG_TCP_SYN, CAP_TO_EMERG_TCP_EST, CAP_TO_EMERG_DGRAM,
		CAP_TO_EMERG_LINGER,
	};
	return t->emergency ? emerg[list] : normal[list];
}

static uint8_t class_of(const struct flow_entry *e)
{
	if (e->f.proto != 6)
		return L_DGRAM;
	if ((e->st & (S_RST | S_REJ)) ||
	    ((e->st & S_FIN0) && (e->st & S_FIN1)))
		return L_LINGER;
	if ((e->st & S_SYN) && !(e->st & S_SYNACK) && e->f.pkts[1] == 0)
		return L_SYN;
	return L_EST;
}

static bool expired(const struct cap_flowtab *t, const struct flow_entry *e,
                    uint64_t now)
{
	return now > e->f.last_ns &&
	       now - e->f.last_ns > timeout_of(t, e->list);
}

/* ---- hand-off ----------------------------------------------------------- */

static uint8_t outcome_of(const struct flow_entry *e)
{
	const struct cap_flow *f = &e->f;
	uint16_t st = e->st;
	bool unreach = (st & S_ICMPERR) && f->pkts[1] == 0;
	if (f->proto == 6) {
		if (st & S_REJ)
			return CAP_OUT_REJECTED;
		if (st & S_SYNACK)
			return (st & S_ENDAFTER) ? CAP_OUT_CLOSED
			                         : CAP_OUT_ESTABLISHED;
		if (unreach)
			return CAP_OUT_UNREACHABLE;
		if ((st & S_SYN) && f->pkts[1] == 0)
			return CAP_OUT_UNANSWERED;
		return CAP_OUT_MIDSTREAM;
	}
	if (unreach)
		return CAP_OUT_UNREACHABLE;
	if (is_icmp(f->proto) && (st & S_ECHO)) /* a reply is an answer */
		return f->pkts[1] > 0 ? CAP_OUT_REPLIED : CAP_OUT_UNANSWERED;
	if (f->pkts[0] > 0 && f->pkts[1] > 0)
		return CAP_OUT_REPLIED;
	return CAP_OUT_ONEWAY;
}

/* Give flow e its outcome, count it and pass it to the callback. why: 0
 * ended, 1 timed out, 2 evicted. */
static void hand_on(struct cap_flowtab *t, struct flow_entry *e, int why)
{
	e->f.outcome = outcome_of(e);
	/* Ended by the capture's end before a reply to its first packet had
	 * time to come: the missing reply is not a fact (classify). A SYN
	 * sent again is a reply that did not come in time; a timed out or
	 * evicted flow was watched for its whole timeout. */
	if (why == 0 && t->end_ns &&
	    t->end_ns < e->f.first_ns + CAP_REPLY_WAIT_NS &&
	    (e->f.outcome == CAP_OUT_UNANSWERED ||
	     e->f.outcome == CAP_OUT_ONEWAY))
		e->f.reply_unsure = CAP_UNSURE_END;
	if (t->st) {
		t->st->flows++;
		if (why == 1)
			t->st->timed_out++;
		else if (why == 2)
			t->st->evicted++;
	}
	if (t->fn)
		t->fn(&e->f, t->ctx);
}

/* Take entry i out of the table, hand it on and free it. */
static void finish(struct cap_flowtab *t, uint32_t i, int why)
{
	struct flow_entry *e = &t->e[i];
	list_unlink(t, i);
	slot_remove(t, i);
	t->used--;
	hand_on(t, e, why);
	e->next = t->free_head;
	t->free_head = i;
}

/* The sweep. Most packets expire nothing, so the time before which no
 * list head can expire is kept (exp_next: the least of head.last_ns +
 * timeout over the four heads) and the heads are looked at only once
 * packet time passes it. A head's last_ns only grows, so the value stays a
 * lower bound until a list gets a new head (list_unlink, list_append) or
 * the timeouts shrink (emergency), which reset it to 0 (recompute). A head
 * is expired exactly when now > last_ns + timeout (expired()). */
static void expire_heads(struct cap_flowtab *t, uint64_t now, unsigned budget)
{
	for (unsigned l = 0; l < L_COUNT && budget; l++) {
		while (budget && t->lists[l].head != NIL) {
			uint32_t i = t->lists[l].head;
			if (!expired(t, &t->e[i], now))
				break;
			finish(t, i, l == L_LINGER ? 0 : 1);
			budget--;
		}
	}
	if (budget) {
		/* Every head is alive at `now`: note when one may not be. */
		uint64_t next = UINT64_MAX;
		for (unsigned l = 0; l < L_COUNT; l++) {
			uint32_t h = t->lists[l].head;
			if (h == NIL)
				continue;
			uint64_t last = t->e[h].f.last_ns;
			uint64_t to = timeout_of(t, l);
			uint64_t at = last > UINT64_MAX - to ? UINT64_MAX
			                                     : last + to;
			if (at < next)
				next = at;
		}
		t->exp_next = next;
	} else {
		t->exp_next = 0;
	}
}

/* The per-packet part of the sweep, inline: one comparison while no list
 * head can have expired. */
static inline void expire(struct cap_flowtab *t, uint64_t now, unsigned budget)
{
	if (now > t->exp_next)
		expire_heads(t, now, budget);
	if (t->emergency && (uint64_t)t->used * 10 < (uint64_t)t->cap * 7)
		t->emergency = false;
}

/* A flow moves to the tail of its list at most once per ~1 s of packet
 * time (packet_keyed), so when a flood fills the table within that second
 * the head of a list may be its busiest flow (the router's errors to the
 * server among a million quoted sources, a connection that began just
 * before a SYN flood): evicting it would split the one flow that is alive.
 * A head more recently active than the flow after it was active since it
 * was put there: it goes to the tail, at most SECOND_CHANCES heads per
 * eviction (O(1)). */
#define SECOND_CHANCES 8

static void second_chance(struct cap_flowtab *t, unsigned l)
{
	for (unsigned k = 0; k < SECOND_CHANCES; k++) {
		uint32_t h = t->lists[l].head;
		if (h == NIL || t->e[h].next == NIL ||
		    t->e[h].f.last_ns <= t->e[t->e[h].next].f.last_ns)
			return;
		t->e[h].moved = (uint32_t)(t->e[h].f.last_ns >> 30);
		list_unlink(t, h);
		list_append(t, h, (uint8_t)l);
	}
}

/* A free entry, evicting when full. */
static uint32_t take_entry(struct cap_flowtab *t)
{
	if (t->free_head != NIL) {
		uint32_t i = t->free_head;
		t->free_head = t->e[i].next;
		return i;
	}
	if (t->hw < t->cap)
		return t->hw++;
	t->emergency = true;
	t->exp_next = 0; /* shorter timeouts */
	if (t->lists[L_LINGER].head != NIL) {
		finish(t, t->lists[L_LINGER].head, 0);
	} else {
		uint32_t victim = NIL;
		for (unsigned l = 0; l < L_COUNT; l++) {
			second_chance(t, l);
			uint32_t h = t->lists[l].head;
			if (h != NIL && (victim == NIL ||
			                 t->e[h].f.last_ns < t->e[victim].f.last_ns))
				victim = h;
		}
		finish(t, victim, 2);
	}
	uint32_t i = t->free_head;
	t->free_head = t->e[i].next;
	return i;
}

/* ---- orientation -------------------------------------------------------- */

static bool service_port(const struct cap_portmap *pm, uint8_t proto,
                         uint16_t port)
{
	if (!pm || port == 0) /* port 0 never serves */
		return false;
	if (proto == 6)
		return cap_portmap_test(pm->tcp, port);
	if (proto == 17)
		return cap_portmap_test(pm->udp, port);
	return false;
}

/* A group address: IPv4 multicast (224.0.0.0/4) or the limited broadcast
 * 255.255.255.255, IPv6 multicast (ff00::/8). It receives; it never opens
 * a flow. */
static bool group_addr(uint8_t family, const uint8_t *a)
{
	if (family == 4)
		return (a[0] & 0xf0) == 0xe0 || ld32(a) == 0xffffffffu;
	return a[0] == 0xff;
}

int cap_orient_guess(const struct cap_portmap *pm, uint8_t family,
                     uint8_t proto, const uint8_t *src, const uint8_t *dst,
                     uint16_t sport, uint16_t dport)
{
	bool sg = group_addr(family, src);
	bool dg = group_addr(family, dst);
	if (sg != dg)
		return dg ? 0 : 1;
	if ((sport == 0) != (dport == 0))
		return sport == 0 ? 0 : 1;
	bool s = service_port(pm, proto, sport);
	bool d = service_port(pm, proto, dport);
	if (s != d)
		return s ? 1 : 0;
	/* Two ports in the ephemeral range (>= 32768: Linux 32768-60999,
	 * Windows 49152-65535) say nothing about who serves. */
	if (sport >= 32768 && dport >= 32768)
		return -1;
	if (sport < dport)
		return 1;
	if (dport < sport)
		return 0;
	return -1;
}

static int responder_guess(const struct cap_flowtab *t, const struct pkey *k)
{
	return cap_orient_guess(t->ports, k->family, k->proto, k->src, k->dst,
	                        k->sport, k->dport);
}

static bool echo_request(const struct cap_packet *p)
{
	return (p->proto == 1 && p->icmp_type == 8) ||
	       (p->proto == 58 && p->icmp_type == 128);
}

static bool echo_reply(const struct cap_packet *p)
{
	return (p->proto == 1 && p->icmp_type == 0) ||
	       (p->proto == 58 && p->icmp_type == 129);
}

/* Create a flow for key k; returns the entry and the packet's direction. */
static uint32_t create(struct cap_flowtab *t, const struct cap_packet *p,
                       const struct pkey *k, uint64_t h, uint64_t ts,
                       int *dir)
{
	uint32_t i = take_entry(t);
	if ((uint64_t)(t->used + 1) * 2 > t->mask + 1 &&
	    t->mask + 1 < t->max_slots)
		index_grow(t);
	/* take_entry may have removed slots (and index_grow moved them):
	 * probe again for the free one. */
	uint32_t none;
	int d0;
	uint64_t pos = probe(t, h, k, &none, &d0);
	struct flow_entry *e = &t->e[i];
	memset(e, 0, sizeof *e);
	e->hash = h;
	e->prev = e->next = NIL;
	if (k->kind)
		e->st |= S_ECHO;

	bool turn = false;
	uint8_t inferred = 0;
	if (p->proto == 6) {
		uint8_t fl = p->tcp_flags;
		if ((fl & CAP_TH_SYN) && !(fl & CAP_TH_ACK) && !(fl & CAP_TH_RST)) {
			turn = false;
		} else if ((fl & CAP_TH_SYN) && (fl & CAP_TH_ACK) &&
		           !(fl & CAP_TH_RST)) {
			turn = true;
		} else {
			turn = responder_guess(t, k) == 1;
			inferred = 1;
		}
	} else if (p->proto == 17) {
		/* The first sender opens, unless the port model says the
		 * other side serves; with service ports on both sides (RADIUS
		 * 1813 and 1646, SNMP 161 and 162) the port order decided,
		 * and a reply whose request came before the capture (or went
		 * uncaptured) may be first: a guess either way, which classify
		 * may turn (docs/classify.md). */
		int g = responder_guess(t, k);
		if (g == 1) {
			turn = true;
			inferred = 1;
		} else if (g == 0 && service_port(t->ports, 17, k->sport) &&
		           service_port(t->ports, 17, k->dport)) {
			inferred = 1;
		}
	} else if (k->kind) {
		turn = echo_reply(p);
	}
	const uint8_t *a = turn ? k->dst : k->src;
	const uint8_t *b = turn ? k->src : k->dst;
	memcpy(e->f.addr_a, a, 16);
	memcpy(e->f.addr_b, b, 16);
	e->f.port_a = turn ? k->dport : k->sport;
	e->f.port_b = turn ? k->sport : k->dport;
	e->f.proto = p->proto;
	e->f.family = p->family;
	e->f.initiator_inferred = inferred;
	e->f.vlan = p->vlan;
	e->f.tunnel = k->tunnel;
	e->f.first_ns = e->f.last_ns = ts;
	if (is_icmp(p->proto)) {
		uint8_t type = p->icmp_type;
		if (k->kind)
			type = p->proto == 1 ? 8 : 128; /* the request's type */
		e->f.port_a = k->sport;
		e->f.port_b = (uint16_t)(type << 8 | (k->kind ? 0 : p->icmp_code));
	}
	t->slots[pos].tag = (uint32_t)h;
	t->slots[pos].idx = i + 1;
	t->used++;
	if (t->st && t->used > t->st->peak_flows)
		t->st->peak_flows = t->used;
	e->list = L_COUNT; /* on no list yet: the caller appends it to its
	                    * class once the packet is applied */
	e->moved = (uint32_t)(ts >> 30);
	*dir = turn ? 1 : 0;
	return i;
}

/* ---- packets ------------------------------------------------------------ */

static void make_key(struct pkey *k, uint8_t family, uint8_t proto,
                     const uint8_t *src, const uint8_t *dst, uint16_t sport,
                     uint16_t dport, uint8_t kind, uint16_t tunnel)
{
	k->tunnel = tunnel;
	k->family = family;
	k->proto = proto;
	k->kind = kind;
	k->src = src;
	k->dst = dst;
	k->sport = sport;
	k->dport = dport;
}

/* An ICMP error quoting a flow we hold: mark it; true when found. */
static bool icmp_error(struct cap_flowtab *t, const struct cap_packet *p,
                       uint64_t ts)
{
	struct pkey k;
	uint8_t qp = p->quoted.proto;
	if (p->quoted.family != 4 && p->quoted.family != 6)
		return false;
	uint8_t kind = 0;
	if (is_icmp(qp))
		kind = 1; /* only echo requests are worth quoting back */
	/* The quoted packet travelled in the same tunnel as the error. */
	make_key(&k, p->quoted.family, qp, p->quoted.src, p->quoted.dst,
	         p->quoted.sport, p->quoted.dport, kind, p->tunnel);
	uint64_t h = key_hash(t, &k);
	uint32_t i;
	int dir;
	probe(t, h, &k, &i, &dir);
	if (i == NIL)
		return false;
	struct flow_entry *e = &t->e[i];
	if (expired(t, e, ts))
		return false;
	e->st |= S_ICMPERR;
	e->f.icmp_type = p->icmp_type;
	e->f.icmp_code = p->icmp_code;
	return true;
}

static void tcp_update(struct flow_entry *e, uint8_t fl, int dir)
{
	bool syn = fl & CAP_TH_SYN, ack = fl & CAP_TH_ACK;
	bool rst = fl & CAP_TH_RST, fin = fl & CAP_TH_FIN;
	if (syn && !ack && !rst && dir == 0) {
		if (e->st & S_SYN) {
			if (!(e->st & S_SYNACK) && e->f.syn_retries < 255)
				e->f.syn_retries++;
		} else if (e->f.pkts[0] == 0 && e->f.pkts[1] == 0) {
			e->st |= S_SYN;
		}
	}
	if (syn && ack && !rst && dir == 1)
		e->st |= S_SYNACK;
	if (ack && !syn && !rst && dir == 0 && (e->st & S_SYNACK))
		e->st |= S_ACK3;
	if (rst) {
		if (dir == 1 && (e->st & S_SYN) && !(e->st & S_SYNACK))
			e->st |= S_REJ;
		e->st |= S_RST;
	}
	if (fin)
		e->st |= dir == 0 ? S_FIN0 : S_FIN1;
	if ((rst || fin) && (e->st & S_SYNACK))
		e->st |= S_ENDAFTER;
}

/* The packet's key: ICMP echo keyed by the identifier, other ICMP by the
 * two hosts only. */
static void packet_key(struct pkey *k, const struct cap_packet *p)
{
	uint8_t kind = 0;
	uint16_t sport = p->sport, dport = p->dport;
	if (is_icmp(p->proto)) {
		if (echo_request(p) || echo_reply(p))
			kind = 1;
		else
			sport = dport = 0;
	}
	make_key(k, p->family, p->proto, p->src, p->dst, sport, dport, kind,
	         p->tunnel);
}

/* One packet whose key and hash are known. */
static void packet_keyed(struct cap_flowtab *t, const struct cap_packet *p,
                         uint64_t ts, const struct pkey *kp, uint64_t h)
{
	expire(t, ts, EXPIRE_BUDGET);
	if (is_icmp(p->proto) && p->icmp_error && icmp_error(t, p, ts))
		return;
	const struct pkey *k = kp;
	uint8_t kind = k->kind;
	uint32_t i;
	int dir = 0;
	probe(t, h, k, &i, &dir);
	if (i != NIL) {
		struct flow_entry *e = &t->e[i];
		bool bare_syn = p->proto == 6 &&
		                (p->tcp_flags & (CAP_TH_SYN | CAP_TH_ACK |
		                                 CAP_TH_RST)) == CAP_TH_SYN;
		if (expired(t, e, ts)) {
			finish(t, i, e->list == L_LINGER ? 0 : 1);
			i = NIL;
		} else if (bare_syn && e->list == L_LINGER) {
			/* A new connection reusing the tuple of a closed one. */
			finish(t, i, 0);
			i = NIL;
		} else if (bare_syn && ts >= e->f.last_ns &&
		           ((dir == 0 && (e->st & S_ACK3)) ||
		            !(e->st & S_SYN))) {
			/* A bare SYN after a connection whose end was not
			 * seen (a host restarted, a capture begun midstream):
			 * no SYN follows the initiator's ACK of a SYN+ACK, nor
			 * a connection seen without its SYN, so it opens a new
			 * one (folded in, a refused retry would read as the
			 * old connection). One older than the flow's last
			 * packet is its own SYN, read late (files given back
			 * to front). */
			finish(t, i, 0);
			i = NIL;
		}
	}
	if (i == NIL)
		i = create(t, p, k, h, ts, &dir);
	/* A flow whose both ends are the same (address, port): the ICMP type
	 * tells the direction, else it is the initiator's. */
	if (k->sport == k->dport && addr_eq(k->src, k->dst))
		dir = (kind && echo_reply(p)) ? 1 : 0;

	struct flow_entry *e = &t->e[i];
	struct cap_flow *f = &e->f;
	if (p->proto == 6)
		tcp_update(e, p->tcp_flags, dir);
	/* A datagram counts once (its first fragment); every fragment's
	 * bytes count, as they crossed the wire. */
	if (f->pkts[dir] < UINT32_MAX &&
	    (!p->later_fragment || f->pkts[dir] == 0))
		f->pkts[dir]++;
	f->bytes[dir] += p->wirelen;
	if (p->early_bytes) {
		/* later fragments of this datagram that came before it */
		f->bytes[dir] += p->early_bytes;
		if (p->early_ns < f->first_ns) /* set with early_bytes */
			f->first_ns = p->early_ns;
	}
	if (p->proto == 6)
		f->flags[dir] = (uint8_t)(f->flags[dir] | p->tcp_flags);
	if (ts > f->last_ns)
		f->last_ns = ts;
	else if (ts < f->first_ns)
		f->first_ns = ts; /* out of order (files read back to front) */
	if (p->truncated && f->truncated < UINT32_MAX)
		f->truncated++;
	if (p->epm_port)
		f->epm_port = p->epm_port;
	if (!f->vlan && p->vlan)
		f->vlan = p->vlan;
	if (is_icmp(p->proto) && p->icmp_error) {
		/* An error that quoted no flow of ours: its own flow. */
		e->st |= S_ICMPERR;
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
	}
	/* Move to the tail of its class at most once per ~1 s of packet time
	 * (2^30 ns), or when the class changes: relinking touches the list
	 * neighbours, two cache misses a packet on a busy table. The lists
	 * stay ordered to within that second, so a flow expires at most ~1 s
	 * late in the sweep (a lookup checks the exact time). */
	uint8_t cls = class_of(e);
	uint32_t unit = (uint32_t)(ts >> 30);
	if (e->list == L_COUNT) {
		list_append(t, i, cls); /* a new flow */
	} else if (cls != e->list || unit != e->moved) {
		e->moved = unit;
		list_unlink(t, i);
		list_append(t, i, cls);
	}
	/* A SYN refused by a RST is over: nothing follows a refusal (the
	 * initiator does not retry a reset attempt), so it is handed on at
	 * once instead of lingering; a port scan then holds one flow at a
	 * time, not every port it tried in the last linger. */
	if ((e->st & S_REJ) && !(e->st & S_SYNACK))
		finish(t, i, 0);
}

void cap_flowtab_packet(struct cap_flowtab *t, const struct cap_packet *p,
                        uint64_t ts)
{
	if (p->family != 4 && p->family != 6)
		return;
	struct pkey k;
	packet_key(&k, p);
	packet_keyed(t, p, ts, &k, key_hash(t, &k));
}

void cap_flowtab_batch_hashed(struct cap_flowtab *t,
                              const struct cap_packet *p, const uint64_t *ts,
                              const uint64_t *hash, unsigned n)
{
	struct pkey k[CAP_FLOW_BATCH];
	uint64_t h[CAP_FLOW_BATCH];
	while (n > 0) {
		unsigned m = n < CAP_FLOW_BATCH ? n : CAP_FLOW_BATCH;
		/* Stage 1: hash every key and start loading its slot. */
		for (unsigned i = 0; i < m; i++) {
			packet_key(&k[i], &p[i]);
			h[i] = hash ? hash[i] : key_hash(t, &k[i]);
			__builtin_prefetch(&t->slots[h[i] & t->mask]);
		}
		/* Stage 2: start loading the entry the slot names (a hint: the
		 * table may change before the packet is processed): both of
		 * its cache lines, since a packet reads the key in the first
		 * and the hash, counters and times in the second. Also the
		 * free entry that a new flow would take (a cold one, freed by
		 * an expiry long ago). */
		for (unsigned i = 0; i < m; i++) {
			/* The entry whose tag matches in the probe run (at load
			 * up to 0.5 the home slot is often another flow's). */
			uint64_t pos = h[i] & t->mask;
			uint32_t tag = (uint32_t)h[i];
			for (unsigned step = 0; step < 8; step++) {
				const struct cap_islot *sl = &t->slots[pos];
				if (sl->idx == 0)
					break;
				if (sl->tag == tag) {
					const char *ep =
						(const char *)&t->e[sl->idx - 1];
					__builtin_prefetch(ep, 1);
					__builtin_prefetch(ep + 64, 1);
					break;
				}
				pos = (pos + 1) & t->mask;
			}
		}
		if (t->free_head != NIL) {
			const char *ep = (const char *)&t->e[t->free_head];
			__builtin_prefetch(ep, 1);
			__builtin_prefetch(ep + 64, 1);
		}
		/* Stage 3: in order, exactly as cap_flowtab_packet would. */
		for (unsigned i = 0; i < m; i++)
			if (p[i].family == 4 || p[i].family == 6)
				packet_keyed(t, &p[i], ts[i], &k[i], h[i]);
		p += m;
		ts += m;
		if (hash)
			hash += m;
		n -= m;
	}
}

void cap_flowtab_batch(struct cap_flowtab *t, const struct cap_packet *p,
                       const uint64_t *ts, unsigned n)
{
	cap_flowtab_batch_hashed(t, p, ts, NULL, n);
}

uint64_t cap_flowtab_hash(const struct cap_flowtab *t,
                          const struct cap_packet *p)
{
	struct pkey k;
	packet_key(&k, p);
	return key_hash(t, &k);
}

void cap_flowtab_end(struct cap_flowtab *t, uint64_t end_ns)
{
	t->end_ns = end_ns;
	cap_flowtab_flush(t);
	t->end_ns = 0;
}

void cap_flowtab_tick(struct cap_flowtab *t, uint64_t now_ns)
{
	expire(t, now_ns, 4 * EXPIRE_BUDGET);
}

/* Every flow is handed on in the order finish() would hand them on one by
 * one (list by list, oldest first), but the index is cleared at once
 * instead of slot by slot: with the million flows of a port scan, those
 * removals (random reads of a 16 MiB index) were a fifth of the run. The
 * table is then empty and usable again. */
void cap_flowtab_flush(struct cap_flowtab *t)
{
	for (unsigned l = 0; l < L_COUNT; l++) {
		uint32_t i = t->lists[l].head;
		while (i != NIL) {
			uint32_t next = t->e[i].next;
			if (next != NIL) {
				/* loaded while this one is judged: a list is a
				 * chain of cache misses otherwise (a tenth of
				 * the mixed capture's end, judging 40,000
				 * flows left in the table) */
				const char *ep = (const char *)&t->e[next];
				__builtin_prefetch(ep);
				__builtin_prefetch(ep + 64);
			}
			hand_on(t, &t->e[i], 0);
			i = next;
		}
		t->lists[l].head = t->lists[l].tail = NIL;
	}
	memset(t->slots, 0, (size_t)(t->mask + 1) * sizeof *t->slots);
	t->used = 0;
	t->hw = 0; /* every entry is free: hand them out from the start */
	t->free_head = NIL;
	t->exp_next = 0;
	t->emergency = false;
}

uint32_t cap_flowtab_live(const struct cap_flowtab *t)
{
	return t->used;
}

struct cap_flowtab *cap_flowtab_new(uint32_t max_flows,
                                    const struct cap_portmap *ports,
                                    cap_flow_fn fn, void *ctx,
                                    struct cap_stats *st)
{
	if (max_flows == 0)
		max_flows = CAP_DEFAULT_MAX_FLOWS;
	if (max_flows > (1u << 30)) /* slots <= 2^31: a tag holds a position */
		return NULL;
	uint64_t nslots = 16;
	while (nslots < 2 * (uint64_t)max_flows)
		nslots <<= 1;
	size_t head = (sizeof(struct cap_flowtab) + 63) & ~(size_t)63;
	size_t ebytes = (size_t)max_flows * sizeof(struct flow_entry);
	size_t sbytes = (size_t)nslots * sizeof(struct cap_islot);
	size_t total = head + ebytes + sbytes;
	/* Anonymous memory is zero and committed page by page as flows
	 * appear; transparent huge pages spare the TLB a miss per lookup
	 * (the index is read at random). */
	void *vm = mmap(NULL, total, PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(vm, total, MADV_HUGEPAGE);
#endif
	char *mem = vm;
	struct cap_flowtab *t = (struct cap_flowtab *)(void *)mem;
	t->mapped = total;
	t->e = (struct flow_entry *)(void *)(mem + head);
	t->slots = (struct cap_islot *)(void *)(mem + head + ebytes);
	t->max_slots = nslots;
	t->mask = (nslots < INDEX_START ? nslots : INDEX_START) - 1;
	t->cap = max_flows;
	t->free_head = NIL;
	for (unsigned l = 0; l < L_COUNT; l++)
		t->lists[l].head = t->lists[l].tail = NIL;
	cap_random(t->nh, sizeof t->nh);
	t->nh_v4 = nh_pair(0, t->nh[2], 0, t->nh[3]) +
	           nh_pair(0, t->nh[4], 0, t->nh[5]) +
	           nh_pair(0, t->nh[6], 0, t->nh[7]);
	t->ports = ports;
	t->fn = fn;
	t->ctx = ctx;
	t->st = st;
	if (st)
		st->max_flows = max_flows;
	return t;
}

void cap_flowtab_free(struct cap_flowtab *t)
{
	if (t)
		munmap(t, t->mapped);
}
