/*
 * internal.h -- what the files of catalog/ share and nobody else needs.
 *
 * The loaders keep a pristine copy of every service in catalog.loaded;
 * cat_apply() starts from that copy each time, so that applying a profile's
 * overrides, or another base port, never depends on an earlier call.
 */
#ifndef PORTAUDIT_CATALOG_INTERNAL_H
#define PORTAUDIT_CATALOG_INTERNAL_H

#include <stddef.h>

#include "catalog.h"

/* Levenshtein distance, capped: returns at most `cap` + 1. */
unsigned cat_edit_distance(const char *a, const char *b, unsigned cap);
/* Is `cand` close enough to `word` to be suggested as "did you mean"? */
int cat_is_near(const char *word, const char *cand);

/* cat_prefix_parse with the reason of a failure in `why`:
 * "'10.0.0.300' is not an IPv4/IPv6 address or prefix". */
int cat_prefix_parse_why(struct cat_prefix *p, const char *s, char *why,
                         size_t whylen);

/* A whole file (malloc'ed), or NULL with err = "PATH: cannot read: ...",
 * "PATH: empty file: expected `what`" or "PATH: file too large ...". */
unsigned char *cat_read_file(const char *path, size_t *len,
                             struct cat_error *err, const char *what);

/* The service as loaded (before cat_apply; the live one for a catalog
 * built by hand). */
const struct cat_service *cat_service_orig(const struct catalog *cat,
                                           uint32_t i);

#endif
