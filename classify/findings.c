/*
 * findings.c -- flows folded into a bounded number of findings.
 *
 * Design. A finding is the aggregate of every flow with the same (kind,
 * service, server, peer, protocol, responder port, initiator side): flows,
 * packets and bytes are summed, first/last seen widened, the last outcome,
 * ICMP error and reason kept, and the tunnel its flows came through (the
 * first flow's; tunnel_mixed once another flow came through another). Findings live in one array that grows
 * geometrically up to max_findings and never beyond; a chained hash index
 * (seeded, since keys come from the network) finds a flow's finding in O(1).
 * Once the array is full, the least severe finding gives way: a new
 * finding of a kind worse than some kept one evicts the newest finding of
 * the least severe kind present (unexpected, then missing, then blocked;
 * each kind's live findings are a list, so this is O(1)); a new finding
 * that is not worse than any kept one is not stored. Either way the one
 * not kept is counted in findings_dropped and in kinds_dropped of its kind,
 * so the verdict counts every kind, kept or not. A set of the dropped keys
 * keeps those counts to distinct findings rather than flows, and keeps a
 * dropped finding dropped (its later flows are not stored as a new
 * finding); exact up to CLS_DROPPED_KEYS / 2 distinct keys, beyond that
 * every flow of a dropped finding counts. A pair whose dropped and kept
 * individual unexpected ports pass CLS_SCAN_PORTS is a scan dropped
 * whole: one dropped finding (scan_dropped), so a scan of every port at
 * the cap does not count 65,000 of them.
 *
 * Scans. Unexpected findings are also grouped by (server, peer, protocol,
 * side). When one pair reaches more than CLS_SCAN_PORTS distinct responder
 * ports, its individual findings are folded into ONE scan finding covering
 * port..port_hi with nports distinct ports, and every later unexpected flow
 * of the pair joins it. Distinct ports of a scan are counted exactly with a
 * 8 KiB bitmap for the first CLS_SCAN_BITMAPS scanning pairs, and by flows
 * after that. So a scan of every port of a server is one finding and a few
 * KiB, whatever its size.
 *
 * cls_findings_sort() compacts the array and orders it worst first: kind
 * by severity (violation, blocked, missing, unexpected), then flows
 * descending, then port.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

/* The seeded hash of a key; never 0, which marks an empty place. */
static uint64_t hash_nz(const struct cls *c, const void *k, size_t n)
{
	uint64_t h = cap_hash(c->seed, k, n);
	return h ? h : 1;
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1024;
	while (p < n && p < (1u << 22))
		p <<= 1;
	return p;
}

int cls_findings_init(struct cls *c)
{
	c->fbuckets = pow2_at_least(c->max_findings);
	c->fbucket = malloc(c->fbuckets * sizeof *c->fbucket);
	c->pbuckets = c->fbuckets;
	c->pbucket = malloc(c->pbuckets * sizeof *c->pbucket);
	if (!c->fbucket || !c->pbucket)
		return -1;
	for (uint32_t i = 0; i < c->fbuckets; i++)
		c->fbucket[i] = -1;
	for (uint32_t i = 0; i < c->pbuckets; i++)
		c->pbucket[i] = -1;
	for (int k = 0; k < CLS_K_COUNT; k++)
		c->khead[k] = c->ktail[k] = -1;
	c->tbucket = malloc(c->pbuckets * sizeof *c->tbucket);
	if (!c->tbucket)
		return -1;
	for (uint32_t i = 0; i < c->pbuckets; i++)
		c->tbucket[i] = -1;
	c->ffree = -1;
	c->last_pair = -1;
	return 0;
}

void cls_findings_free(struct cls *c)
{
	for (uint32_t i = 0; i < c->npairs; i++)
		free(c->pairs[i].bitmap);
	free(c->pairs);
	free(c->pbucket);
	free(c->targets);
	free(c->tbucket);
	free(c->peerset);
	c->targets = NULL;
	c->tbucket = NULL;
	c->peerset = NULL;
	free(c->fbucket);
	free(c->fs);
	free(c->res.findings);
	free(c->dropped);
	c->pairs = NULL;
	c->fs = NULL;
	c->res.findings = NULL;
	c->dropped = NULL;
}

/* Remember a dropped key; true when it was new (count it). The set is
 * open addressing filled to half (CLS_DROPPED_KEYS / 2 keys), probed to
 * an empty slot: up to there the count is exact (64-bit keys, never 0,
 * which marks an empty slot), beyond it every dropped flow counts. */
static bool dropped_new(struct cls *c, uint64_t h)
{
	if (!c->dropped) {
		c->dropped = calloc(CLS_DROPPED_KEYS, sizeof *c->dropped);
		if (!c->dropped)
			return true;
	}
	uint32_t mask = CLS_DROPPED_KEYS - 1;
	for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
		if (c->dropped[i] == h)
			return false;
		if (c->dropped[i] == 0) {
			if (c->ndropped_keys >= CLS_DROPPED_KEYS / 2) {
				c->approx_dropped++;
				return true; /* full: count, do not remember */
			}
			c->dropped[i] = h;
			c->ndropped_keys++;
			return true;
		}
	}
}

/* Is h a dropped key? */
static bool dropped_has(const struct cls *c, uint64_t h)
{
	if (!c->dropped || !c->ndropped_keys)
		return false;
	uint32_t mask = CLS_DROPPED_KEYS - 1;
	for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
		if (c->dropped[i] == h)
			return true;
		if (c->dropped[i] == 0)
			return false;
	}
}

static void count_dropped(struct cls *c, enum cls_kind kind)
{
	c->res.summary.findings_dropped++;
	c->res.summary.kinds_dropped[kind]++;
}

/* The live findings of a kind: append, remove. */
static void klist_append(struct cls *c, int32_t i, enum cls_kind k)
{
	c->fs[i].kprev = c->ktail[k];
	c->fs[i].knext = -1;
	if (c->ktail[k] >= 0)
		c->fs[c->ktail[k]].knext = i;
	else
		c->khead[k] = i;
	c->ktail[k] = i;
}

static void klist_remove(struct cls *c, int32_t i, enum cls_kind k)
{
	struct cls_fslot *s = &c->fs[i];
	if (s->kprev >= 0)
		c->fs[s->kprev].knext = s->knext;
	else
		c->khead[k] = s->knext;
	if (s->knext >= 0)
		c->fs[s->knext].kprev = s->kprev;
	else
		c->ktail[k] = s->kprev;
	s->kprev = s->knext = -1;
}

static int severity(enum cls_kind k);
static void unlink_hash(struct cls *c, int32_t i);

/* Take individual finding i out of a singly linked list at *head. */
static void list_remove(struct cls *c, int32_t *head, int32_t i, bool pair)
{
	int32_t *pp = head;
	while (*pp >= 0 && *pp != i)
		pp = pair ? &c->fs[*pp].pair_next : &c->fs[*pp].target_next;
	if (*pp == i)
		*pp = pair ? c->fs[i].pair_next : c->fs[i].target_next;
}

/* Individual finding i leaves its pair's and its target's lists. */
static void unlink_groups(struct cls *c, int32_t i)
{
	struct cls_fslot *s = &c->fs[i];
	if (s->pair >= 0 && !s->is_scan) {
		struct cls_pair *p = &c->pairs[s->pair];
		list_remove(c, &p->head, i, true);
		p->nindividual--;
		s->pair = -1;
	}
	if (s->target >= 0 && !s->is_flood) {
		struct cls_target *t = &c->targets[s->target];
		list_remove(c, &t->head, i, false);
		t->nindividual--;
		s->target = -1;
	}
}

/* The table is full and a finding of `kind` wants in: evict the newest
 * finding of the least severe kind below it; its slot, or -1 when every
 * kept finding is at least as severe. */
static int32_t evict_for(struct cls *c, enum cls_kind kind)
{
	int32_t v = -1;
	for (int r = CLS_K_COUNT - 1; r > severity(kind) && v < 0; r--)
		v = c->ktail[cls_kinds_worst_first[r]];
	if (v < 0)
		return -1;
	struct cls_finding *fd = &c->res.findings[v];
	struct cls_fslot *s = &c->fs[v];
	klist_remove(c, v, fd->kind);
	if (s->is_scan)
		c->pairs[s->pair].scan = CLS_SCAN_DROPPED;
	if (s->is_flood)
		c->targets[s->target].flood = CLS_SCAN_DROPPED;
	if (s->pair >= 0 && !s->is_scan)
		c->pairs[s->pair].ndropped++;
	unlink_groups(c, v);
	if (s->hash && !s->is_scan && !s->is_flood) {
		unlink_hash(c, v);
		dropped_new(c, s->hash);
	}
	count_dropped(c, fd->kind);
	return v;
}

/* A free slot (reusing one folded into a scan, or evicting a less severe
 * finding when full), or -1 when the finding is not kept. */
static int32_t slot_new(struct cls *c, enum cls_kind kind)
{
	if (c->ffree >= 0) {
		int32_t i = c->ffree;
		c->ffree = c->fs[i].next;
		c->nlive++;
		return i;
	}
	if (c->res.nfindings >= c->max_findings)
		return evict_for(c, kind);
	if (c->res.nfindings == c->fcap) {
		uint32_t ncap = c->fcap ? c->fcap * 2 : 64;
		if (ncap > c->max_findings)
			ncap = c->max_findings;
		struct cls_finding *f = realloc(c->res.findings,
		                                ncap * sizeof *f);
		if (!f)
			return -1;
		c->res.findings = f;
		struct cls_fslot *s = realloc(c->fs, ncap * sizeof *s);
		if (!s)
			return -1;
		c->fs = s;
		c->fcap = ncap;
	}
	c->nlive++;
	return (int32_t)c->res.nfindings++;
}

static void finding_init(struct cls *c, int32_t i, enum cls_kind kind,
                         int32_t service, uint32_t group, uint8_t proto,
                         uint8_t family,
                         const uint8_t *server, const uint8_t *peer,
                         uint16_t port, bool server_init)
{
	struct cls_finding *fd = &c->res.findings[i];
	memset(fd, 0, sizeof *fd);
	fd->kind = kind;
	fd->service = service;
	fd->group = group;
	fd->proto = proto;
	fd->family = family;
	fd->port = fd->port_hi = port;
	fd->nports = 1;
	if (server)
		memcpy(fd->server, server, 16);
	if (peer) {
		memcpy(fd->peer, peer, 16);
		fd->has_peer = true;
	}
	fd->server_initiated = server_init;
	struct cls_fslot *s = &c->fs[i];
	memset(s, 0, sizeof *s);
	s->next = s->pair_next = s->pair = -1;
	s->target = s->target_next = -1;
	klist_append(c, i, kind);
}

/* Copy a reason; one too long is cut at a word and ends with "...". */
static void copy_reason(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len < n) {
		memcpy(dst, src, len + 1);
		return;
	}
	size_t cut = n - 4;
	while (cut > n / 2 && src[cut] != ' ')
		cut--;
	memcpy(dst, src, cut);
	memcpy(dst + cut, "...", 4);
}

static void fold(struct cls_finding *fd, const struct cap_flow *f,
                 uint64_t flow_id, struct cls_reason *reason)
{
	if (flow_id && fd->nflow_ids < CLS_FLOW_IDS)
		fd->flow_ids[fd->nflow_ids++] = flow_id;
	/* The outcome (and its reason, and the ICMP error) is the latest
	 * flow's, by its end, whatever order flows are judged in: merge_into
	 * and `portaudit merge` go by the same rule. The reason follows the
	 * outcome; wording and copying it for every flow of a flood costs
	 * more than the rest of the fold, so it is worded only here, when
	 * the finding takes it. */
	bool latest = fd->flows == 0 || f->last_ns >= fd->last_ns;
	bool new_reason = reason && latest &&
	                  (fd->flows == 0 || fd->outcome != f->outcome ||
	                   (f->outcome == CAP_OUT_UNREACHABLE &&
	                    (fd->icmp_type != f->icmp_type ||
	                     fd->icmp_code != f->icmp_code)));
	if (fd->flows == 0)
		fd->tunnel = f->tunnel;
	else if (f->tunnel != fd->tunnel)
		fd->tunnel_mixed = true;
	if (fd->flows == 0 || f->first_ns < fd->first_ns)
		fd->first_ns = f->first_ns;
	if (f->last_ns > fd->last_ns)
		fd->last_ns = f->last_ns;
	fd->flows++;
	fd->packets += (uint64_t)f->pkts[0] + f->pkts[1];
	fd->bytes += f->bytes[0] + f->bytes[1];
	if (latest)
		fd->outcome = f->outcome;
	if (f->outcome == CAP_OUT_UNREACHABLE && (latest || !fd->has_icmp)) {
		fd->has_icmp = true;
		fd->icmp_type = f->icmp_type;
		fd->icmp_code = f->icmp_code;
	}
	if (new_reason)
		copy_reason(fd->reason, sizeof fd->reason,
		            cls_reason_text(reason));
}

static uint64_t key_hash(const struct cls *c, enum cls_kind kind,
                         int32_t service, uint32_t group, uint8_t proto,
                         uint8_t family, const uint8_t *server,
                         const uint8_t *peer, uint16_t port, bool server_init)
{
	uint8_t k[40];
	int32_t who = group ? -(int32_t)group - 1 : service;
	memcpy(k, server, 16);
	memcpy(k + 16, peer, 16);
	memcpy(k + 32, &who, 4);
	k[36] = (uint8_t)((kind << 2) | (server_init ? 2 : 0) |
	                  (family == 6 ? 1 : 0));
	k[37] = proto;
	k[38] = (uint8_t)(port >> 8);
	k[39] = (uint8_t)port;
	return hash_nz(c, k, sizeof k);
}

static bool same_key(const struct cls_finding *fd, enum cls_kind kind,
                     int32_t service, uint32_t group, uint8_t proto,
                     uint8_t family, const uint8_t *server,
                     const uint8_t *peer, uint16_t port, bool server_init)
{
	return fd->kind == kind && fd->service == service &&
	       fd->group == group &&
	       fd->proto == proto && fd->family == family &&
	       fd->port == port && fd->server_initiated == server_init &&
	       memcmp(fd->server, server, 16) == 0 &&
	       memcmp(fd->peer, peer, 16) == 0;
}

static void bit_set(uint8_t *map, uint16_t p, uint32_t *count)
{
	uint8_t m = (uint8_t)(1u << (p & 7));
	if (!(map[p >> 3] & m)) {
		map[p >> 3] |= m;
		(*count)++;
	}
}

static bool pair_is(const struct cls_pair *p, uint8_t proto, uint8_t family,
                    const uint8_t *server, const uint8_t *peer,
                    bool server_init)
{
	return p->proto == proto && p->family == family &&
	       p->server_initiated == server_init &&
	       memcmp(p->server, server, 16) == 0 &&
	       memcmp(p->peer, peer, 16) == 0;
}

/* The pair's entry, made if new; NULL when the pairs are full. The last
 * pair found is tried first: a scan is one pair flow after flow. */
static struct cls_pair *pair_get(struct cls *c, uint8_t proto, uint8_t family,
                                 const uint8_t *server, const uint8_t *peer,
                                 bool server_init)
{
	if (c->last_pair >= 0 &&
	    pair_is(&c->pairs[c->last_pair], proto, family, server, peer,
	            server_init))
		return &c->pairs[c->last_pair];
	uint8_t k[36];
	memcpy(k, server, 16);
	memcpy(k + 16, peer, 16);
	k[32] = proto;
	k[33] = family;
	k[34] = server_init;
	k[35] = 0xa5;
	uint64_t h = hash_nz(c, k, sizeof k);
	uint32_t b = (uint32_t)h & (c->pbuckets - 1);
	for (int32_t i = c->pbucket[b]; i >= 0; i = c->pairs[i].next) {
		struct cls_pair *p = &c->pairs[i];
		if (p->hash == h &&
		    pair_is(p, proto, family, server, peer, server_init)) {
			c->last_pair = i;
			return p;
		}
	}
	if (c->npairs >= c->max_findings)
		return NULL;
	if (c->npairs == c->pcap) {
		uint32_t ncap = c->pcap ? c->pcap * 2 : 64;
		if (ncap > c->max_findings)
			ncap = c->max_findings;
		struct cls_pair *v = realloc(c->pairs, ncap * sizeof *v);
		if (!v) {
			c->pair_failed = true;
			return NULL;
		}
		c->pairs = v;
		c->pcap = ncap;
	}
	struct cls_pair *p = &c->pairs[c->npairs];
	memset(p, 0, sizeof *p);
	p->hash = h;
	p->proto = proto;
	p->family = family;
	p->server_initiated = server_init;
	memcpy(p->server, server, 16);
	memcpy(p->peer, peer, 16);
	p->head = p->scan = -1;
	p->next = c->pbucket[b];
	c->pbucket[b] = (int32_t)c->npairs;
	c->last_pair = (int32_t)c->npairs;
	c->npairs++;
	return p;
}

static void unlink_hash(struct cls *c, int32_t i)
{
	uint32_t b = (uint32_t)c->fs[i].hash & (c->fbuckets - 1);
	int32_t *pp = &c->fbucket[b];
	while (*pp >= 0 && *pp != i)
		pp = &c->fs[*pp].next;
	if (*pp == i)
		*pp = c->fs[i].next;
}

/* The first (lowest) flow ids of dst and src together, at most
 * CLS_FLOW_IDS: each list is ascending (ids grow as flows are judged). */
static void merge_flow_ids(struct cls_finding *dst,
                           const struct cls_finding *src)
{
	uint64_t ids[CLS_FLOW_IDS];
	uint32_t i = 0, j = 0, n = 0;
	while (n < CLS_FLOW_IDS && (i < dst->nflow_ids || j < src->nflow_ids)) {
		if (j >= src->nflow_ids ||
		    (i < dst->nflow_ids && dst->flow_ids[i] < src->flow_ids[j]))
			ids[n++] = dst->flow_ids[i++];
		else
			ids[n++] = src->flow_ids[j++];
	}
	memcpy(dst->flow_ids, ids, n * sizeof ids[0]);
	dst->nflow_ids = (uint8_t)n;
}

/* Merge finding src into scan finding dst. */
static void merge_into(struct cls_finding *dst, const struct cls_finding *src)
{
	merge_flow_ids(dst, src);
	if (src->tunnel_mixed || src->tunnel != dst->tunnel)
		dst->tunnel_mixed = true;
	if (dst->flows == 0 || src->first_ns < dst->first_ns)
		dst->first_ns = src->first_ns;
	if (src->last_ns > dst->last_ns) {
		dst->last_ns = src->last_ns;
		dst->outcome = src->outcome;
	}
	dst->flows += src->flows;
	dst->packets += src->packets;
	dst->bytes += src->bytes;
	if (src->port < dst->port)
		dst->port = src->port;
	if (src->port > dst->port_hi)
		dst->port_hi = src->port;
}

/* The pair crossed the scan threshold: one finding for all its ports. */
static int32_t collapse(struct cls *c, struct cls_pair *p, int32_t pidx)
{
	int32_t first = p->head;
	if (first < 0)
		return -1;
	/* Reuse the first individual finding as the scan finding. */
	struct cls_finding *sf = &c->res.findings[first];
	unlink_hash(c, first);
	if (c->fs[first].target >= 0) {
		struct cls_target *t = &c->targets[c->fs[first].target];
		list_remove(c, &t->head, first, false);
		t->nindividual--;
		c->fs[first].target = -1;
	}
	c->fs[first].is_scan = true;
	uint32_t nports = 1;
	if (c->nbitmaps < CLS_SCAN_BITMAPS) {
		p->bitmap = calloc(8192, 1);
		if (p->bitmap)
			c->nbitmaps++;
	}
	if (p->bitmap) {
		nports = 0;
		bit_set(p->bitmap, sf->port, &nports);
	}
	sf->service = -1;
	for (int32_t i = c->fs[first].pair_next; i >= 0;) {
		int32_t nx = c->fs[i].pair_next;
		merge_into(sf, &c->res.findings[i]);
		if (p->bitmap) {
			bit_set(p->bitmap, c->res.findings[i].port, &nports);
		} else {
			nports++;
			c->approx_ports++;
		}
		unlink_hash(c, i);
		klist_remove(c, i, CLS_K_UNEXPECTED);
		if (c->fs[i].target >= 0) {
			struct cls_target *t = &c->targets[c->fs[i].target];
			list_remove(c, &t->head, i, false);
			t->nindividual--;
			c->fs[i].target = -1;
		}
		c->fs[i].dead = true;
		c->fs[i].next = c->ffree;
		c->ffree = i;
		c->nlive--;
		i = nx;
	}
	sf->nports = nports;
	c->fs[first].pair_next = -1;
	c->fs[first].pair = pidx;
	p->scan = first;
	p->head = -1;
	p->nindividual = 0;
	return first;
}

/* One more unexpected flow of a pair that scans. */
static void scan_join(struct cls *c, struct cls_pair *p,
                      const struct cap_flow *f, uint16_t port,
                      uint64_t flow_id)
{
	struct cls_finding *sf = &c->res.findings[p->scan];
	fold(sf, f, flow_id, NULL);
	if (port < sf->port)
		sf->port = port;
	if (port > sf->port_hi)
		sf->port_hi = port;
	if (p->bitmap) {
		bit_set(p->bitmap, port, &sf->nports);
	} else {
		sf->nports++;
		c->approx_ports++;
	}
	c->scan_flows++;
}

/* One more individual unexpected finding of pair p was counted as
 * dropped (no room at the cap). Past CLS_SCAN_PORTS of them the pair is a
 * scan whose finding could not be kept: it counts as ONE dropped finding
 * (its individual drops are taken back), and its later flows count
 * nothing more, as when a kept scan finding is evicted. Without this, a
 * scan at the cap counted every port it tried as a dropped finding once
 * the set of dropped keys was full. */
static void scan_dropped(struct cls *c, struct cls_pair *p)
{
	p->ndropped++;
	if (p->scan != -1 || p->nindividual + p->ndropped <= CLS_SCAN_PORTS)
		return;
	uint32_t back = p->ndropped - 1;
	c->res.summary.findings_dropped -= back;
	c->res.summary.kinds_dropped[CLS_K_UNEXPECTED] -= back;
	p->scan = CLS_SCAN_DROPPED;
}

/* ---- floods: many peers, one port of a server ------------------------ */

static bool target_is(const struct cls_target *t, enum cls_kind kind,
                      int32_t service, uint32_t group, uint8_t proto,
                      uint8_t family, const uint8_t *server, uint16_t port,
                      bool server_init)
{
	return t->kind == (uint8_t)kind && t->service == service &&
	       t->group == group && t->proto == proto &&
	       t->family == family && t->port == port &&
	       t->server_initiated == server_init &&
	       memcmp(t->server, server, 16) == 0;
}

/* The target's entry (its index in *idx), made if new; NULL when the
 * targets are full (a target per finding at most: max_findings). */
static struct cls_target *target_get(struct cls *c, enum cls_kind kind,
                                     int32_t service, uint32_t group,
                                     uint8_t proto, uint8_t family,
                                     const uint8_t *server, uint16_t port,
                                     bool server_init, int32_t *idx)
{
	uint8_t k[32];
	int32_t who = group ? -(int32_t)group - 1 : service;
	memcpy(k, server, 16);
	memcpy(k + 16, &who, 4);
	k[20] = (uint8_t)kind;
	k[21] = proto;
	k[22] = family;
	k[23] = server_init;
	k[24] = (uint8_t)(port >> 8);
	k[25] = (uint8_t)port;
	memset(k + 26, 0x5c, 6);
	uint64_t h = hash_nz(c, k, sizeof k);
	uint32_t b = (uint32_t)h & (c->pbuckets - 1);
	for (int32_t i = c->tbucket[b]; i >= 0; i = c->targets[i].next) {
		struct cls_target *t = &c->targets[i];
		if (t->hash == h && target_is(t, kind, service, group, proto,
		                              family, server, port, server_init)) {
			*idx = i;
			return t;
		}
	}
	if (c->ntargets >= c->max_findings)
		return NULL;
	if (c->ntargets == c->tcap) {
		uint32_t ncap = c->tcap ? c->tcap * 2 : 64;
		if (ncap > c->max_findings)
			ncap = c->max_findings;
		struct cls_target *v = realloc(c->targets, ncap * sizeof *v);
		if (!v) {
			c->target_failed = true;
			return NULL;
		}
		c->targets = v;
		c->tcap = ncap;
	}
	struct cls_target *t = &c->targets[c->ntargets];
	memset(t, 0, sizeof *t);
	t->hash = h;
	t->kind = (uint8_t)kind;
	t->service = service;
	t->group = group;
	t->proto = proto;
	t->family = family;
	t->port = port;
	t->server_initiated = server_init;
	memcpy(t->server, server, 16);
	t->head = t->flood = -1;
	t->next = c->tbucket[b];
	c->tbucket[b] = (int32_t)c->ntargets;
	*idx = (int32_t)c->ntargets++;
	return t;
}

/* Is this peer new to flood `tidx`? Exact while the set is at most half
 * full; beyond, every flow counts as a new peer. */
static bool peer_new(struct cls *c, int32_t tidx, const uint8_t *peer)
{
	if (!c->peerset) {
		c->peerset = calloc(CLS_PEERSET, sizeof *c->peerset);
		if (!c->peerset)
			return true;
	}
	uint8_t k[20];
	memcpy(k, peer, 16);
	memcpy(k + 16, &tidx, 4);
	uint64_t h = hash_nz(c, k, sizeof k);
	uint32_t mask = CLS_PEERSET - 1;
	for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
		if (c->peerset[i] == h)
			return false;
		if (c->peerset[i] == 0) {
			if (c->npeerset >= CLS_PEERSET / 2) {
				c->approx_peers++;
				return true;
			}
			c->peerset[i] = h;
			c->npeerset++;
			return true;
		}
	}
}

/* The target crossed the flood threshold: one finding for all its peers,
 * the first individual one reused. */
static void flood_collapse(struct cls *c, struct cls_target *t, int32_t tidx)
{
	int32_t first = t->head;
	if (first < 0)
		return;
	struct cls_finding *ff = &c->res.findings[first];
	unlink_hash(c, first);
	c->fs[first].target = -1; /* set again below, as the flood */
	t->head = c->fs[first].target_next;
	t->nindividual--;
	if (c->fs[first].pair >= 0) { /* no longer one peer's finding */
		struct cls_pair *p = &c->pairs[c->fs[first].pair];
		list_remove(c, &p->head, first, true);
		p->nindividual--;
		c->fs[first].pair = -1;
	}
	peer_new(c, tidx, ff->peer);
	ff->npeers = 1;
	for (int32_t i = t->head; i >= 0;) {
		int32_t nx = c->fs[i].target_next;
		struct cls_finding *src = &c->res.findings[i];
		merge_into(ff, src);
		if (peer_new(c, tidx, src->peer))
			ff->npeers++;
		unlink_hash(c, i);
		klist_remove(c, i, src->kind);
		c->fs[i].target = -1;
		if (c->fs[i].pair >= 0) {
			struct cls_pair *p = &c->pairs[c->fs[i].pair];
			list_remove(c, &p->head, i, true);
			p->nindividual--;
			c->fs[i].pair = -1;
		}
		c->fs[i].dead = true;
		c->fs[i].next = c->ffree;
		c->ffree = i;
		c->nlive--;
		i = nx;
	}
	memset(ff->peer, 0, 16);
	ff->has_peer = false;
	c->fs[first].is_flood = true;
	c->fs[first].target = tidx;
	c->fs[first].target_next = -1;
	t->flood = first;
	t->head = -1;
	t->nindividual = 0;
}

/* One more flow of a flood. */
static void flood_join(struct cls *c, struct cls_target *t, int32_t tidx,
                       const struct cap_flow *f, const uint8_t *peer,
                       uint64_t flow_id)
{
	struct cls_finding *ff = &c->res.findings[t->flood];
	if (peer_new(c, tidx, peer))
		ff->npeers++;
	fold(ff, f, flow_id, NULL);
	c->flood_flows++;
}

/* What cls_status prints: kept and dropped findings (relaxed: a count). */
static void note_found(struct cls *c)
{
	atomic_store_explicit(&c->found, (uint64_t)c->nlive +
	                      c->res.summary.findings_dropped,
	                      memory_order_relaxed);
}

static void finding_add(struct cls *c, enum cls_kind kind, int32_t service,
                        uint32_t group, const struct cap_flow *f,
                        int32_t server, bool server_is_initiator,
                        uint64_t flow_id, struct cls_reason *reason);

void cls_finding_add(struct cls *c, enum cls_kind kind, int32_t service,
                     uint32_t group, const struct cap_flow *f,
                     int32_t server, bool server_is_initiator,
                     uint64_t flow_id, struct cls_reason *reason)
{
	finding_add(c, kind, service, group, f, server, server_is_initiator,
	            flow_id, reason);
	note_found(c);
}

static void finding_add(struct cls *c, enum cls_kind kind, int32_t service,
                        uint32_t group, const struct cap_flow *f,
                        int32_t server, bool server_is_initiator,
                        uint64_t flow_id, struct cls_reason *reason)
{
	(void)server;
	const uint8_t *srv = server_is_initiator ? f->addr_a : f->addr_b;
	const uint8_t *peer = server_is_initiator ? f->addr_b : f->addr_a;
	bool l4 = f->proto == 6 || f->proto == 17;
	uint16_t port = l4 ? f->port_b : 0;
	bool grouped = kind == CLS_K_UNEXPECTED && l4;
	struct cls_pair *p = NULL;
	int32_t pidx = -1;
	/* A pair already collapsed into a scan has no individual unexpected
	 * finding left (collapse folded them all, and later ones join the
	 * scan): its flows go to the scan without a finding lookup. Unless a
	 * pair once failed to be stored, an existing finding of a grouped
	 * kind implies its pair exists, so looking the pair up first makes
	 * no pair that the finding lookup below would not have made. */
	if (grouped && !c->pair_failed) {
		p = pair_get(c, f->proto, f->family, srv, peer,
		             server_is_initiator);
		if (p && p->scan >= 0) {
			scan_join(c, p, f, port, flow_id);
			return;
		}
		if (p && p->scan == CLS_SCAN_DROPPED)
			return; /* its scan finding was dropped at the cap */
	}
	uint64_t h = key_hash(c, kind, service, group, f->proto, f->family, srv,
	                      peer, port, server_is_initiator);
	uint32_t b = (uint32_t)h & (c->fbuckets - 1);
	for (int32_t i = c->fbucket[b]; i >= 0; i = c->fs[i].next) {
		if (c->fs[i].hash == h &&
		    same_key(&c->res.findings[i], kind, service, group,
		             f->proto, f->family, srv, peer, port,
		             server_is_initiator)) {
			fold(&c->res.findings[i], f, flow_id, reason);
			return;
		}
	}
	if (grouped) {
		if (!p)
			p = pair_get(c, f->proto, f->family, srv, peer,
			             server_is_initiator);
		if (p)
			pidx = (int32_t)(p - c->pairs);
		if (p && p->scan == -1 && p->nindividual >= CLS_SCAN_PORTS)
			collapse(c, p, pidx);
		if (p && p->scan >= 0) {
			scan_join(c, p, f, port, flow_id);
			return;
		}
	}
	/* Many peers on one port of a server (a SYN flood from random
	 * sources): one flood finding, as many ports of one peer are one
	 * scan. */
	int32_t tidx = -1;
	struct cls_target *t = NULL;
	if (l4 && !c->target_failed)
		t = target_get(c, kind, service, group, f->proto, f->family, srv,
		               port, server_is_initiator, &tidx);
	if (t && t->flood == CLS_SCAN_DROPPED)
		return; /* its flood finding was dropped at the cap */
	if (t && t->flood == -1 && t->nindividual >= CLS_FLOOD_PEERS)
		flood_collapse(c, t, tidx);
	if (t && t->flood >= 0) {
		flood_join(c, t, tidx, f, peer, flow_id);
		return;
	}
	if (dropped_has(c, h))
		return; /* a finding dropped at the cap: counted once */
	int32_t i = slot_new(c, kind);
	if (i < 0 && t && t->flood == -1 && t->nindividual > 0) {
		/* Full, and other peers of this port are kept one by one:
		 * fold them into a flood now rather than drop this one. */
		flood_collapse(c, t, tidx);
		flood_join(c, t, tidx, f, peer, flow_id);
		return;
	}
	if (i < 0) {
		if (dropped_new(c, h)) {
			count_dropped(c, kind);
			if (p)
				scan_dropped(c, p);
		}
		return;
	}
	finding_init(c, i, kind, service, group, f->proto, f->family, srv, peer,
	             port, server_is_initiator);
	c->fs[i].hash = h;
	c->fs[i].next = c->fbucket[b];
	c->fbucket[b] = i;
	if (p) {
		c->fs[i].pair = pidx;
		c->fs[i].pair_next = p->head;
		p->head = i;
		p->nindividual++;
	}
	if (t) {
		/* slot_new may have evicted a finding of this target: t is
		 * still valid (targets only grow), its list already fixed. */
		c->fs[i].target = tidx;
		c->fs[i].target_next = t->head;
		t->head = i;
		t->nindividual++;
	}
	fold(&c->res.findings[i], f, flow_id, reason);
}

void cls_finding_missing(struct cls *c, int32_t service, uint8_t family,
                         const uint8_t *peer, uint8_t peer_len,
                         uint16_t port, const char *reason)
{
	int32_t i = slot_new(c, CLS_K_MISSING);
	if (i < 0) {
		count_dropped(c, CLS_K_MISSING);
		c->res.summary.missing++;
		return;
	}
	const struct cat_service *s = &c->cat->services[service];
	static const uint8_t zero[16];
	const uint8_t *srv = zero;
	if (c->res.nservers == 1 &&
	    (c->res.servers[0].len == 32 || c->res.servers[0].len == 128) &&
	    (family == 0 || family == c->res.servers[0].family)) {
		srv = c->res.servers[0].addr;
		family = c->res.servers[0].family;
	}
	finding_init(c, i, CLS_K_MISSING, service, 0,
	             s->proto == CAT_PROTO_NONE ? 0 : (uint8_t)s->proto, family,
	             srv, peer, port, s->dir == CAT_DIR_OUTBOUND);
	c->fs[i].hash = 0;
	c->res.findings[i].peer_len = peer_len;
	copy_reason(c->res.findings[i].reason,
	            sizeof c->res.findings[i].reason, reason);
	c->res.summary.missing++;
}

const enum cls_kind cls_kinds_worst_first[CLS_K_COUNT] = {
	CLS_K_VIOLATION, CLS_K_BLOCKED, CLS_K_MISSING, CLS_K_UNEXPECTED,
};

static int severity(enum cls_kind k)
{
	for (int i = 0; i < CLS_K_COUNT; i++)
		if (cls_kinds_worst_first[i] == k)
			return i;
	return CLS_K_COUNT;
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct cls_finding *a = pa, *b = pb;
	int sa = severity(a->kind), sb = severity(b->kind);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->service != b->service)
		return a->service < b->service ? -1 : 1;
	int m = memcmp(a->server, b->server, 16);
	if (m)
		return m;
	return memcmp(a->peer, b->peer, 16);
}

/* Describe scan findings now that they are complete. */
void cls_scan_reason(struct cls_finding *fd)
{
	char srv[64], peer[64];
	cls_addr_str(fd->family, fd->server, srv, sizeof srv);
	cls_addr_str(fd->family, fd->peer, peer, sizeof peer);
	const char *pn = fd->proto == 6 ? "TCP" : "UDP";
	if (fd->server_initiated)
		cls_fmt(fd->reason, sizeof fd->reason,
		         "The server %s sent %s to %u ports (%u-%u) of %s that no "
		         "catalog service uses outbound: a port scan or sweep.",
		         srv, pn, fd->nports, fd->port, fd->port_hi, peer);
	else
		cls_fmt(fd->reason, sizeof fd->reason,
		         "%s sent %s to %u ports (%u-%u) of the server %s that no "
		         "catalog service uses inbound: a port scan.",
		         peer, pn, fd->nports, fd->port, fd->port_hi, srv);
}

void cls_findings_sort(struct cls *c)
{
	uint32_t w = 0;
	for (uint32_t i = 0; i < c->res.nfindings; i++) {
		if (c->fs && c->fs[i].dead)
			continue;
		if (c->fs && c->fs[i].is_scan)
			cls_scan_reason(&c->res.findings[i]);
		if (c->fs && c->fs[i].is_flood)
			cls_flood_reason(c, &c->res.findings[i]);
		if (w != i)
			c->res.findings[w] = c->res.findings[i];
		w++;
	}
	c->res.nfindings = w;
	/* The hash index no longer matches: nothing is added after this. */
	free(c->fs);
	c->fs = NULL;
	c->ffree = -1;
	cls_sort_findings(c->res.findings, w);
}

void cls_sort_findings(struct cls_finding *f, uint32_t n)
{
	if (n > 1)
		qsort(f, n, sizeof *f, cmp_finding);
}
