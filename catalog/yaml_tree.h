/*
 * yaml_tree.h -- a small YAML document tree for the catalog loaders
 * (internal to catalog/).
 *
 * Design. libyaml's event parser (yaml_parser_parse) feeds a tree of nodes
 * that keep where they were written (1-based line and column), so that the
 * loaders can walk the document freely and still say "file:12:7: ...".
 * Limits: nesting deeper than CAT_MAX_DEPTH, more than YT_MAX_NODES nodes or
 * an input above YT_MAX_INPUT bytes are errors, as are anchors, aliases and
 * more than one document (a catalog is data, not a program). Every node is
 * freed by yt_free() from the root, on one path.
 */
#ifndef PORTAUDIT_CATALOG_YAML_TREE_H
#define PORTAUDIT_CATALOG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

#define YT_MAX_NODES 1000000u
#define YT_MAX_INPUT (16u << 20)
#define YT_MAX_REPAIRS 64             /* tab lines yt_parse_all() re-indents */
#define YT_REPAIR_INPUT (1u << 20)    /* ... in files up to this size */
#define YT_REPAIR_BUDGET (16u << 20)  /* ... parsing at most this much text */

enum yt_type { YT_SCALAR, YT_SEQ, YT_MAP };

struct yt_node {
	enum yt_type type;
	uint32_t line, col;     /* 1-based */
	bool plain;             /* scalar written without quotes */
	char *str;              /* scalar text, NUL-terminated */
	size_t len;
	struct yt_node **kids;  /* seq: items; map: key0, val0, key1, val1 ... */
	uint32_t n;             /* items (seq) or pairs (map) */
	uint32_t nkids, cap;    /* used and allocated kids */
};

/* Parse `buf` into a tree. Returns 0 with *root set (NULL for an empty
 * document), or -1 with err = "source:line:col: message". */
int yt_parse(struct yt_node **root, const char *source,
             const unsigned char *buf, size_t len, struct cat_error *err);
void yt_free(struct yt_node *n);
/* The same for `catalog check`: every error goes to errs; a tab where YAML
 * wants spaces is reported and its line re-indented, and the parse goes on
 * (yaml_tree.c says how). Returns 0 with *root set (errs may hold tab
 * errors), or -1 when the text cannot be read further. */
int yt_parse_all(struct yt_node **root, const char *source,
                 const unsigned char *buf, size_t len, struct cat_errors *errs);

/* Map access: the i-th key and value; the value of `key` or NULL. */
const struct yt_node *yt_key(const struct yt_node *map, uint32_t i);
const struct yt_node *yt_val(const struct yt_node *map, uint32_t i);
const struct yt_node *yt_get(const struct yt_node *map, const char *key);
/* Seq access. */
const struct yt_node *yt_item(const struct yt_node *seq, uint32_t i);
/* A plain null scalar ("", "~", "null")? */
bool yt_is_null(const struct yt_node *n);
/* "a string", "a list", "a mapping" */
const char *yt_type_name(const struct yt_node *n);

#endif
