/*
 * devices.c -- the devices a profile lists for a product, indexed.
 *
 * Design. Every flow of a product's service asks whether its peer is one
 * of the product's devices (evaluate), and every attempt which devices it
 * was (credit); the end of the run asks, per device, which listed prefix
 * holds it (missing parts). A scan of the list for each made the cost per
 * flow grow with the site: 82,000 instructions a packet with 10,000
 * devices against 2,000 with none, and the missing parts cubic (days at
 * 10,000). So each product's list is indexed once, as the servers are
 * (servers.c): its entries masked to their own length and sorted by
 * (family, length, address, position in the list), with the lengths
 * present; a lookup masks the address to each length present, longest
 * first, and binary-searches it: at most 33 (IPv4) or 129 (IPv6) probes
 * of log2(n) steps, in practice one or two lengths. The owner of each
 * device (the first listed device whose prefix holds it, shorter or listed
 * before it: cls_devidx.owner[]) is computed once from the same index.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/cls_int.h"

static void mask_to(uint8_t *out, const uint8_t *a, unsigned len,
                    unsigned nbytes)
{
	memset(out, 0, 16);
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits >= 8)
			out[i] = a[i];
		else if (bits)
			out[i] = (uint8_t)(a[i] & (0xffu << (8 - bits)));
	}
}

static int cmp_key(uint8_t fa, uint8_t la, const uint8_t *aa, uint8_t fb,
                   uint8_t lb, const uint8_t *ab)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(aa, ab, 16);
}

static int cmp_ent(const void *pa, const void *pb)
{
	const struct cls_dent *a = pa, *b = pb;
	int k = cmp_key(a->family, a->len, a->addr, b->family, b->len, b->addr);
	if (k)
		return k;
	return a->j < b->j ? -1 : a->j > b->j;
}

/* The first entry of key (family, len, m), or x->n. */
static uint32_t first_of(const struct cls_devidx *x, uint8_t family,
                         uint8_t len, const uint8_t *m)
{
	uint32_t lo = 0, hi = x->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct cls_dent *e = &x->e[mid];
		if (cmp_key(e->family, e->len, e->addr, family, len, m) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->n && cmp_key(x->e[lo].family, x->e[lo].len, x->e[lo].addr,
	                         family, len, m) == 0)
		return lo;
	return x->n;
}

uint32_t cls_devidx_match(const struct cls_devidx *x, uint8_t family,
                          const uint8_t *a, void (*fn)(void *, uint32_t),
                          void *ctx)
{
	if (!x || !x->n || (family != 4 && family != 6))
		return 0;
	unsigned fi = family == 6, nb = fi ? 16 : 4;
	uint32_t found = 0;
	for (unsigned k = 0; k < x->nlens[fi]; k++) {
		uint8_t len = x->lens[fi][k], m[16];
		mask_to(m, a, len, nb);
		for (uint32_t i = first_of(x, family, len, m);
		     i < x->n && cmp_key(x->e[i].family, x->e[i].len,
		                         x->e[i].addr, family, len, m) == 0; i++) {
			found++;
			if (!fn)
				return found;
			fn(ctx, x->e[i].j);
		}
	}
	return found;
}

int cls_devidx_build(struct cls_devidx *x, const struct cat_profile_product *pp)
{
	memset(x, 0, sizeof *x);
	uint32_t n = pp->ndevices;
	x->e = calloc(n ? n : 1, sizeof *x->e);
	x->owner = calloc(n ? n : 1, sizeof *x->owner);
	if (!x->e || !x->owner)
		return -1;
	bool seen[2][129];
	memset(seen, 0, sizeof seen);
	for (uint32_t j = 0; j < n; j++) {
		const struct cat_prefix *d = &pp->devices[j];
		if (d->family != 4 && d->family != 6)
			continue;
		unsigned fi = d->family == 6, host = fi ? 128 : 32;
		uint8_t len = d->len > host ? (uint8_t)host : d->len;
		struct cls_dent *e = &x->e[x->n++];
		e->family = d->family;
		e->len = len;
		e->j = j;
		mask_to(e->addr, d->addr, len, fi ? 16 : 4);
		seen[fi][len] = true;
	}
	qsort(x->e, x->n, sizeof *x->e, cmp_ent);
	for (unsigned fi = 0; fi < 2; fi++)
		for (int len = 128; len >= 0; len--)
			if (seen[fi][len])
				x->lens[fi][x->nlens[fi]++] = (uint8_t)len;
	/* The owner of device j: the first listed device k whose prefix
	 * holds it, shorter than it or as long and listed before it (a
	 * duplicate); j itself when none. */
	for (uint32_t i = 0; i < x->n; i++) {
		const struct cls_dent *d = &x->e[i];
		unsigned fi = d->family == 6, nb = fi ? 16 : 4;
		uint32_t best = UINT32_MAX;
		for (unsigned k = 0; k < x->nlens[fi]; k++) {
			uint8_t len = x->lens[fi][k], m[16];
			if (len > d->len)
				continue;
			mask_to(m, d->addr, len, nb);
			uint32_t at = first_of(x, d->family, len, m);
			if (at < x->n && x->e[at].j < best &&
			    (len < d->len || x->e[at].j < d->j))
				best = x->e[at].j;
		}
		x->owner[d->j] = best == UINT32_MAX ? d->j : best;
	}
	for (uint32_t j = 0; j < n; j++) /* unknown families own themselves */
		if (pp->devices[j].family != 4 && pp->devices[j].family != 6)
			x->owner[j] = j;
	return 0;
}

void cls_devidx_free(struct cls_devidx *x)
{
	if (!x)
		return;
	free(x->e);
	free(x->owner);
	memset(x, 0, sizeof *x);
}
