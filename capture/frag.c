/*
 * frag.c -- bounded fragment table: (src, dst, proto, id) -> first fragment's ports.
 *
 * Design. Only the first fragment of a datagram carries the transport
 * header; the later ones are attributed to its flow by looking up the
 * datagram's key here. The table is one allocation made in
 * cap_decoder_init (power-of-two slots, at most FRAG_MAX_SLOTS), never
 * grown, never allocated per packet. Open addressing with a bounded probe:
 * a key lives in one of FRAG_PROBE consecutive slots from its seeded hash
 * (the keys come from the network), so put and get cost at most FRAG_PROBE
 * slot compares. An entry expires FRAG_TIMEOUT_NS after it was last used,
 * by the packets' own timestamps (an offline file is replayed at its own
 * pace). When the last fragment (MF = 0) is seen the entry is marked done:
 * it still answers lookups (reordered middle fragments) but is the first
 * to be reused. When every slot of a probe window holds a live entry, the
 * oldest is overwritten and put() returns false so that the caller counts
 * CAP_AN_FRAG_TABLE_FULL: the table degrades visibly, it never grows.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/decode_int.h"

#define FRAG_PROBE 8u
#define FRAG_MIN_SLOTS 16u
#define FRAG_MAX_SLOTS (1u << 20)
#define FRAG_TIMEOUT_NS (30ull * 1000000000ull)

struct frag_slot {
	struct cap_frag_key key;
	struct cap_frag_info info;
	uint64_t ts_ns;    /* last use */
	uint8_t used;
	uint8_t done;      /* last fragment seen */
};

struct cap_frag_table {
	struct frag_slot *slots;
	uint32_t mask;
	uint64_t seed;
};

struct cap_frag_table *cap_frag_new(uint32_t slots)
{
	struct cap_frag_table *t;
	struct timespec now;
	uint32_t n = FRAG_MIN_SLOTS;

	while (n < slots && n < FRAG_MAX_SLOTS)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t->seed = ((uint64_t)now.tv_sec << 30) ^ (uint64_t)now.tv_nsec ^
	          (uint64_t)(uintptr_t)t;
	return t;
}

void cap_frag_delete(struct cap_frag_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t key_hash(const struct cap_frag_table *t,
                         const struct cap_frag_key *k)
{
	uint64_t h = t->seed;

	h = mix(h, load64(k->src));
	h = mix(h, load64(k->src + 8));
	h = mix(h, load64(k->dst));
	h = mix(h, load64(k->dst + 8));
	h = mix(h, (uint64_t)k->id << 16 | (uint64_t)k->family << 8 | k->proto);
	return (uint32_t)(h >> 32);
}

static bool key_eq(const struct cap_frag_key *a, const struct cap_frag_key *b)
{
	return a->id == b->id && a->proto == b->proto &&
	       a->family == b->family &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static bool expired(const struct frag_slot *s, uint64_t now)
{
	uint64_t age = now >= s->ts_ns ? now - s->ts_ns : s->ts_ns - now;

	return age > FRAG_TIMEOUT_NS;
}

bool cap_frag_put(struct cap_frag_table *t, const struct cap_frag_key *k,
                  const struct cap_frag_info *info, uint64_t ts_ns)
{
	uint32_t h = key_hash(t, k);
	struct frag_slot *victim = NULL;
	int victim_rank = 3; /* 0 free/expired, 1 done, 2 live */
	bool live;

	for (uint32_t i = 0; i < FRAG_PROBE; i++) {
		struct frag_slot *s = &t->slots[(h + i) & t->mask];
		int rank;

		if (s->used && key_eq(&s->key, k)) {
			victim = s;
			victim_rank = 0;
			break;
		}
		rank = !s->used || expired(s, ts_ns) ? 0 : s->done ? 1 : 2;
		if (rank < victim_rank ||
		    (rank == victim_rank && rank > 0 && s->ts_ns < victim->ts_ns)) {
			victim = s;
			victim_rank = rank;
		}
	}
	live = victim_rank == 2;
	victim->key = *k;
	victim->info = *info;
	victim->ts_ns = ts_ns;
	victim->used = 1;
	victim->done = 0;
	return !live;
}

bool cap_frag_get(struct cap_frag_table *t, const struct cap_frag_key *k,
                  uint64_t ts_ns, bool last, struct cap_frag_info *info)
{
	uint32_t h = key_hash(t, k);

	for (uint32_t i = 0; i < FRAG_PROBE; i++) {
		struct frag_slot *s = &t->slots[(h + i) & t->mask];

		if (!s->used || !key_eq(&s->key, k))
			continue;
		if (expired(s, ts_ns)) {
			s->used = 0;
			return false;
		}
		*info = s->info;
		s->ts_ns = ts_ns;
		if (last)
			s->done = 1;
		return true;
	}
	return false;
}

uint32_t cap_frag_capacity(const struct cap_frag_table *t)
{
	return t->mask + 1;
}

uint32_t cap_frag_live(const struct cap_frag_table *t, uint64_t now_ns)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i <= t->mask; i++)
		if (t->slots[i].used && !expired(&t->slots[i], now_ns))
			n++;
	return n;
}
