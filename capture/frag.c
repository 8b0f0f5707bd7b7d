/*
 * frag.c -- bounded fragment table: (src, dst, proto, id) -> first fragment's ports.
 *
 * Design. Only the first fragment of a datagram carries the transport
 * header; the later ones are attributed to its flow by looking up the
 * datagram's key here. The table is allocated once in cap_decoder_init
 * (a power of two of entries, at most FRAG_MAX_SLOTS), never grown, never
 * allocated per packet: the entries, and an index of twice as many slots
 * (load <= 0.5) with open addressing, linear probing from a seeded hash of
 * the key (the keys come from the network) and backward-shift removal. An
 * entry expires FRAG_TIMEOUT_NS after it was last used, by the packets'
 * own timestamps (an offline file is replayed at its own pace). Entries
 * sit on one of two lists in order of last use: live datagrams, and done
 * ones (the last fragment, MF = 0, was seen: they still answer lookups
 * for reordered middle fragments but are reused first). A new datagram
 * takes a free entry; when there is none, the least recently used entry
 * that has expired, else the least recently used done one, else the least
 * recently used live one, and only then does put() return false so that
 * the caller counts CAP_AN_FRAG_TABLE_FULL: the table degrades visibly, it
 * never grows. Which entry goes depends on the packets alone, never on
 * the hash seed, so a capture decodes the same way on every run.
 *
 * Reordered fragments. A later fragment that comes before its first (two
 * paths of a LAG or ECMP) is held (cap_frag_hold): an entry without ports
 * that adds up its bytes and keeps the earliest time, taken only from the
 * free entries or an expired one, so that lone fragments never push a
 * datagram out. Its first fragment takes the entry over and hands the
 * bytes and time to its packet (cap_frag_put), so the flow counts every
 * fragment's bytes from its real start. Held fragments whose first never
 * comes are counted in CAP_AN_FRAG_NO_FIRST when their entry is forgotten
 * (expired, reused) or at the end (cap_frag_settle).
 */
#include <stdlib.h>
#include <string.h>

#include "capture/decode_int.h"

#define FRAG_MIN_SLOTS 16u
#define FRAG_MAX_SLOTS (1u << 20)
#define FRAG_TIMEOUT_NS (30ull * 1000000000ull)
#define NIL UINT32_MAX

enum { L_LIVE, L_DONE };

struct frag_entry {
	struct cap_frag_key key;
	struct cap_frag_info info; /* info.proto 0: held fragments only */
	uint32_t early_bytes;      /* held: their bytes */
	uint32_t early_frags;      /* held: how many */
	uint64_t early_ns;         /* held: the earliest one's time */
	uint64_t ts_ns;    /* last use */
	uint32_t hash;
	uint32_t prev, next; /* on its list (or next: the free list) */
	uint8_t list;      /* L_LIVE, L_DONE */
};

struct cap_frag_table {
	struct frag_entry *e;
	uint32_t cap;      /* entries */
	uint32_t hw;       /* entries ever handed out */
	uint32_t free_head;
	struct cap_islot *index; /* [2 * cap] */
	uint32_t mask;     /* 2 * cap - 1 */
	uint32_t head[2], tail[2]; /* least / most recently used */
	uint64_t seed;
	uint64_t *no_first;        /* CAP_AN_FRAG_NO_FIRST */
};

struct cap_frag_table *cap_frag_new(uint32_t slots, uint64_t *no_first)
{
	struct cap_frag_table *t;
	uint32_t n = FRAG_MIN_SLOTS;

	while (n < slots && n < FRAG_MAX_SLOTS)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->e = calloc(n, sizeof(*t->e));
	t->index = calloc(2 * (size_t)n, sizeof(*t->index));
	if (!t->e || !t->index) {
		free(t->e);
		free(t->index);
		free(t);
		return NULL;
	}
	t->cap = n;
	t->no_first = no_first;
	t->mask = 2 * n - 1;
	t->free_head = NIL;
	for (unsigned l = 0; l < 2; l++)
		t->head[l] = t->tail[l] = NIL;
	cap_random(&t->seed, sizeof t->seed);
	return t;
}

void cap_frag_delete(struct cap_frag_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->index);
	free(t);
}

static uint32_t key_hash(const struct cap_frag_table *t,
                         const struct cap_frag_key *k)
{
	uint8_t b[40];

	memcpy(b, k->src, 16);
	memcpy(b + 16, k->dst, 16);
	uint64_t w = (uint64_t)k->id << 16 | (uint64_t)k->family << 8 | k->proto;
	memcpy(b + 32, &w, 8);
	return (uint32_t)cap_hash(t->seed, b, sizeof b);
}

static bool key_eq(const struct cap_frag_key *a, const struct cap_frag_key *b)
{
	return a->id == b->id && a->proto == b->proto &&
	       a->family == b->family &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static bool expired(const struct frag_entry *s, uint64_t now)
{
	uint64_t age = now >= s->ts_ns ? now - s->ts_ns : s->ts_ns - now;

	return age > FRAG_TIMEOUT_NS;
}

/* An entry of held fragments only: no first fragment (no ports) yet. */
static bool held(const struct frag_entry *e)
{
	return e->info.proto == 0;
}

/* The index position of key k (hash h), or of the empty slot where it
 * would go; *found = its entry or NIL. */
static uint32_t probe(const struct cap_frag_table *t, uint32_t h,
                      const struct cap_frag_key *k, uint32_t *found)
{
	uint32_t pos = h & t->mask;

	for (;;) {
		const struct cap_islot *s = &t->index[pos];
		if (s->idx == 0) {
			*found = NIL;
			return pos;
		}
		if (s->tag == h && key_eq(&t->e[s->idx - 1].key, k)) {
			*found = s->idx - 1;
			return pos;
		}
		pos = (pos + 1) & t->mask;
	}
}

static void list_unlink(struct cap_frag_table *t, uint32_t i)
{
	struct frag_entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->head[e->list] = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->tail[e->list] = e->prev;
}

static void list_append(struct cap_frag_table *t, uint32_t i, uint8_t list)
{
	struct frag_entry *e = &t->e[i];

	e->list = list;
	e->next = NIL;
	e->prev = t->tail[list];
	if (e->prev != NIL)
		t->e[e->prev].next = i;
	else
		t->head[list] = i;
	t->tail[list] = i;
}

/* Entry i leaves the table (index and list) for the free list; held
 * fragments in it never met their first. */
static void entry_free(struct cap_frag_table *t, uint32_t i)
{
	if (held(&t->e[i]) && t->no_first)
		*t->no_first += t->e[i].early_frags;
	cap_islot_remove(t->index, t->mask, t->e[i].hash, i);
	list_unlink(t, i);
	t->e[i].next = t->free_head;
	t->free_head = i;
}

/* An entry for a new datagram at `now`; *full when a live, unexpired
 * datagram's had to go. With `spare` (held fragments), only a free or an
 * expired entry: NIL when there is none. */
static uint32_t entry_take(struct cap_frag_table *t, uint64_t now,
                           bool spare, bool *full)
{
	uint32_t i;

	*full = false;
	if (t->free_head == NIL && t->hw < t->cap) {
		i = t->hw++;
		t->e[i].next = NIL;
		return i;
	}
	if (t->free_head == NIL) {
		uint32_t live = t->head[L_LIVE], done = t->head[L_DONE];
		if (live != NIL && expired(&t->e[live], now))
			i = live;
		else if (done != NIL && (!spare || expired(&t->e[done], now)))
			i = done;
		else if (spare)
			return NIL;
		else {
			i = live;
			/* a datagram lost; held fragments are counted as
			 * fragments without their first (entry_free) */
			*full = !held(&t->e[live]);
		}
		entry_free(t, i);
	}
	i = t->free_head;
	t->free_head = t->e[i].next;
	return i;
}

/* Entry i takes key k (hash h) in the index, nothing held in it. */
static void entry_place(struct cap_frag_table *t, uint32_t i,
                        const struct cap_frag_key *k, uint32_t h)
{
	uint32_t none, pos = probe(t, h, k, &none);
	struct frag_entry *e = &t->e[i];
	e->key = *k;
	e->hash = h;
	e->early_bytes = e->early_frags = 0;
	t->index[pos].tag = h;
	t->index[pos].idx = i + 1;
}

bool cap_frag_put(struct cap_frag_table *t, const struct cap_frag_key *k,
                  const struct cap_frag_info *info, uint64_t ts_ns,
                  struct cap_frag_early *early)
{
	uint32_t h = key_hash(t, k), i;
	bool full = false;

	early->bytes = 0;
	early->first_ns = 0;
	probe(t, h, k, &i);
	if (i != NIL) {
		struct frag_entry *e = &t->e[i];
		if (held(e) && !expired(e, ts_ns)) {
			/* its later fragments that came first */
			early->bytes = e->early_bytes;
			early->first_ns = e->early_ns;
		} else if (held(e) && t->no_first) {
			*t->no_first += e->early_frags; /* too long ago */
		}
		e->early_bytes = e->early_frags = 0;
		list_unlink(t, i); /* the same datagram again: renewed */
	} else {
		i = entry_take(t, ts_ns, false, &full);
		entry_place(t, i, k, h); /* after a removal moved slots */
	}
	t->e[i].info = *info;
	t->e[i].ts_ns = ts_ns;
	list_append(t, i, L_LIVE);
	return !full;
}

bool cap_frag_get(struct cap_frag_table *t, const struct cap_frag_key *k,
                  uint64_t ts_ns, bool last, struct cap_frag_info *info)
{
	uint32_t i;

	probe(t, key_hash(t, k), k, &i);
	if (i == NIL)
		return false;
	struct frag_entry *e = &t->e[i];
	if (expired(e, ts_ns)) {
		entry_free(t, i);
		return false;
	}
	if (held(e))
		return false; /* held fragments: its first is still to come */
	*info = e->info;
	e->ts_ns = ts_ns;
	list_unlink(t, i);
	list_append(t, i, last || e->list == L_DONE ? L_DONE : L_LIVE);
	return true;
}

bool cap_frag_hold(struct cap_frag_table *t, const struct cap_frag_key *k,
                   uint64_t ts_ns, uint32_t bytes)
{
	uint32_t h = key_hash(t, k), i;

	probe(t, h, k, &i);
	if (i == NIL) {
		bool full;
		i = entry_take(t, ts_ns, true, &full);
		if (i == NIL)
			return false; /* never a datagram's entry */
		entry_place(t, i, k, h);
		memset(&t->e[i].info, 0, sizeof t->e[i].info); /* held */
		t->e[i].early_ns = ts_ns;
	} else {
		if (!held(&t->e[i]))
			return false; /* not ours to hold (cap_frag_get said) */
		list_unlink(t, i);
	}
	struct frag_entry *e = &t->e[i];
	e->early_bytes = e->early_bytes + bytes < e->early_bytes
	                 ? UINT32_MAX : e->early_bytes + bytes;
	e->early_frags++;
	if (ts_ns < e->early_ns)
		e->early_ns = ts_ns;
	e->ts_ns = ts_ns;
	list_append(t, i, L_LIVE);
	return true;
}

void cap_frag_settle(struct cap_frag_table *t)
{
	uint32_t i = t->head[L_LIVE];
	while (i != NIL) {
		uint32_t next = t->e[i].next;
		if (held(&t->e[i]))
			entry_free(t, i); /* counted there */
		i = next;
	}
}

uint32_t cap_frag_capacity(const struct cap_frag_table *t)
{
	return t->cap;
}

uint32_t cap_frag_live(const struct cap_frag_table *t, uint64_t now_ns)
{
	uint32_t n = 0;

	for (unsigned l = 0; l < 2; l++)
		for (uint32_t i = t->head[l]; i != NIL; i = t->e[i].next)
			if (!expired(&t->e[i], now_ns))
				n++;
	return n;
}
