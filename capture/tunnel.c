/*
 * tunnel.c -- the table of tunnel descriptors: interned once, referred to
 * by a 16-bit id from packets and flows.
 *
 * Design. A flow inside a tunnel must carry the tunnel (outer addresses,
 * kind, VNI/key/session, the tunnel around it), but struct cap_flow has
 * 128 bytes per flow in all: it keeps a 16-bit id, and the descriptors
 * live here, each stored once. The table is ONE allocation made before the
 * capture (cap_tunnels_new): CAP_TUNNELS_MAX + 1 descriptors (index = id,
 * 0 unused) and an index of TUN_SLOTS slots (struct cap_islot: the hash's
 * low half and the id), open addressing with linear probing at load <=
 * 0.5. Descriptors are never removed: a flow handed on hours later, or a
 * finding printed at the end, still finds its tunnel. When the table is
 * full, cap_tunnels_intern returns 0 and the decoder leaves that tunnel's
 * packets undecapsulated, counting them (cap_stats.tunnel_full), so memory
 * stays bounded whatever the traffic.
 *
 * Keys come from the network, so the hash is keyed (cap_hash with a random
 * seed). A tunnel is the same whichever way its packets go: the key puts
 * the lower address first. Ids are handed out in order of first sight, so
 * a second pass over the same packets (replay.c) finds the same ids.
 *
 * Threads. Only the reading thread interns (decoder), and a descriptor is
 * written before any packet carrying its id is handed to the flow-table
 * thread (pipe.c's lock orders the two), and never written again; the
 * flow-table thread only reads descriptors of ids it received. The count
 * is the reader's alone: cap_tunnel_get tells an unused id by its kind 0.
 *
 * Costs. Interning: a hash of 44 bytes and a probe of ~1.5 slots, paid
 * only for a packet whose tunnel differs from the previous tunnel packet's
 * (the decoder remembers the last one). Memory: 44 bytes per descriptor +
 * 16 per descriptor of index, ~4 MiB of address space, touched as tunnels
 * appear.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/decode_int.h"

#define TUN_SLOTS (1u << 17) /* >= 2 * (CAP_TUNNELS_MAX + 1): load <= 0.5 */

struct cap_tunnels {
	struct cap_tunnel *e;      /* [CAP_TUNNELS_MAX + 1]; e[0] unused */
	struct cap_islot *slots;   /* [TUN_SLOTS] */
	uint32_t n;                /* descriptors: ids 1..n */
	uint64_t seed;
};

static const char *const kind_names[CAP_TUN_KIND_COUNT] = {
	[CAP_TUN_NONE] = "none",
	[CAP_TUN_VXLAN] = "vxlan",
	[CAP_TUN_GENEVE] = "geneve",
	[CAP_TUN_GRE] = "gre",
	[CAP_TUN_ERSPAN1] = "erspan-i",
	[CAP_TUN_ERSPAN2] = "erspan-ii",
	[CAP_TUN_ERSPAN3] = "erspan-iii",
	[CAP_TUN_IPIP] = "ipip",
	[CAP_TUN_6IN4] = "6in4",
	[CAP_TUN_4IN6] = "4in6",
	[CAP_TUN_6IN6] = "6in6",
	[CAP_TUN_GTPU] = "gtp-u",
	[CAP_TUN_TEREDO] = "teredo",
	[CAP_TUN_AYIYA] = "ayiya",
};

const char *cap_tunnel_kind_name(unsigned kind)
{
	return kind < CAP_TUN_KIND_COUNT && kind_names[kind] ? kind_names[kind]
	                                                     : "unknown";
}

const char *cap_tunnel_id_name(unsigned kind)
{
	switch (kind) {
	case CAP_TUN_VXLAN:
	case CAP_TUN_GENEVE:
		return "vni";
	case CAP_TUN_GRE:
		return "key";
	case CAP_TUN_ERSPAN2:
	case CAP_TUN_ERSPAN3:
		return "session_id";
	default:
		return NULL;
	}
}

struct cap_tunnels *cap_tunnels_new(void)
{
	struct cap_tunnels *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	/* calloc of this size is fresh anonymous memory: pages are touched
	 * only as descriptors arrive. */
	t->e = calloc((size_t)CAP_TUNNELS_MAX + 1, sizeof *t->e);
	t->slots = calloc(TUN_SLOTS, sizeof *t->slots);
	if (!t->e || !t->slots) {
		cap_tunnels_free(t);
		return NULL;
	}
	cap_random(&t->seed, sizeof t->seed);
	return t;
}

void cap_tunnels_free(struct cap_tunnels *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->slots);
	free(t);
}

const struct cap_tunnel *cap_tunnel_get(const struct cap_tunnels *t,
                                        uint16_t id)
{
	if (!t || id == 0)
		return NULL;
	const struct cap_tunnel *e = &t->e[id];
	return e->kind ? e : NULL;
}

uint32_t cap_tunnels_count(const struct cap_tunnels *t)
{
	return t ? t->n : 0;
}

static size_t alen(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

bool cap_tunnel_same(const struct cap_tunnel *e, const struct cap_tunnel *k)
{
	if (e->kind != k->kind || e->family != k->family ||
	    e->parent != k->parent || e->has_id != k->has_id || e->id != k->id)
		return false;
	size_t n = alen(k->family);
	if (memcmp(e->src, k->src, n) == 0 && memcmp(e->dst, k->dst, n) == 0)
		return true;
	return memcmp(e->src, k->dst, n) == 0 && memcmp(e->dst, k->src, n) == 0;
}

/* The hash of k with its addresses in canonical order (lower first). */
static uint64_t tun_hash(const struct cap_tunnels *t, const struct cap_tunnel *k)
{
	uint8_t b[44];
	size_t n = alen(k->family);
	bool src_lo = memcmp(k->src, k->dst, n) <= 0;
	memset(b, 0, sizeof b);
	memcpy(b, src_lo ? k->src : k->dst, n);
	memcpy(b + 16, src_lo ? k->dst : k->src, n);
	b[32] = k->kind;
	b[33] = k->family;
	b[34] = k->has_id;
	b[35] = (uint8_t)(k->parent >> 8);
	b[36] = (uint8_t)k->parent;
	b[37] = (uint8_t)(k->id >> 24);
	b[38] = (uint8_t)(k->id >> 16);
	b[39] = (uint8_t)(k->id >> 8);
	b[40] = (uint8_t)k->id;
	return cap_hash(t->seed, b, sizeof b);
}

uint16_t cap_tunnels_intern(struct cap_tunnels *t, const struct cap_tunnel *k)
{
	uint64_t h = tun_hash(t, k);
	uint32_t tag = (uint32_t)h, mask = TUN_SLOTS - 1;
	for (uint32_t pos = tag & mask;; pos = (pos + 1) & mask) {
		struct cap_islot *s = &t->slots[pos];
		if (s->idx == 0) {
			if (t->n >= CAP_TUNNELS_MAX)
				return 0; /* full: the caller counts it */
			uint32_t id = ++t->n;
			t->e[id] = *k;
			s->tag = tag;
			s->idx = id;
			return (uint16_t)id;
		}
		if (s->tag == tag && cap_tunnel_same(&t->e[s->idx], k))
			return (uint16_t)s->idx;
	}
}
