/*
 * yaml_tree.c -- libyaml events into a small positioned tree.
 *
 * Design. One loop over yaml_parser_parse() events (Suricata's
 * conf-yaml-loader habit) keeps a stack of the open collections, at most
 * CAT_MAX_DEPTH deep; every node is attached to its parent (or becomes the
 * root) as soon as it is made, so that one yt_free(root) on the single
 * cleanup path releases everything whatever the point of failure. Children
 * arrays grow by doubling; a map stores key, value, key, value. Anchors and
 * aliases are refused (an alias bomb needs them, and a catalog has no use
 * for them), as are non-scalar keys, a second document, NUL bytes inside
 * scalars, and inputs or trees above the limits in yaml_tree.h.
 *
 * Tabs. libyaml says "found character that cannot start any token" (or
 * "found a tab character that violates indentation") for a tab where YAML
 * wants indentation; when the character at the error is a tab, the message
 * says so plainly. For `catalog check`, yt_parse_all() then goes on: it
 * re-indents that line with spaces (the candidates are the indentations the
 * lines above suggest: a sibling of the previous line, its child after a
 * `key:` or a block scalar's indicator, an ancestor), keeps the candidate
 * with which libyaml reads furthest, and parses again, so that one run
 * reports every tab and every later mistake. Columns on a re-indented line
 * are mapped back to the file as written. Bounded: at most YT_MAX_REPAIRS
 * lines, files up to YT_REPAIR_INPUT bytes, a handful of candidates each
 * (one full parse per candidate), YT_REPAIR_BUDGET bytes parsed in all
 * (a few hundred parses of a catalog, a dozen of a 1 MiB file); past
 * that the check stops at the tab.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_tree.h"

/* A line re-indented by yt_parse_all(): its first `was` characters
 * (spaces and tabs) became `spaces` spaces. */
struct repair {
	size_t line;
	size_t spaces, was;
};

struct builder {
	const char *source;
	struct cat_error *err;
	struct yt_node *root;
	struct yt_node *stack[CAT_MAX_DEPTH];
	unsigned depth;
	uint32_t nodes;
	const struct repair *rep; /* lines re-indented so far (positions map back) */
	size_t nrep;
	size_t fail_line;         /* line of the error, in the text parsed */
	bool tab;                 /* the error is a tab ... */
	size_t tab_line, tab_col; /* ... here, in the text parsed (1-based) */
};

/* A position in the text parsed -> the same position in the file. */
static size_t map_col(const struct builder *b, size_t line, size_t col)
{
	for (size_t i = 0; i < b->nrep; i++)
		if (b->rep[i].line == line)
			return col > b->rep[i].spaces ? col - b->rep[i].spaces +
			                                b->rep[i].was
			                              : 1;
	return col;
}

__attribute__((format(printf, 5, 6)))
static int bfail(struct builder *b, size_t line, size_t col, struct cat_error *err,
                 const char *fmt, ...)
{
	va_list ap;
	b->fail_line = line;
	err->line = (uint32_t)line;
	err->col = (uint32_t)map_col(b, line, col);
	int n = snprintf(err->msg, sizeof err->msg, "%s:%u:%u: ", b->source,
	                 err->line, err->col);
	if (n < 0 || (size_t)n >= sizeof err->msg)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void yt_free(struct yt_node *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nkids; i++)
		yt_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

/* Attach `n` to the open collection (or make it the root); n->n is set
 * when the collection closes (pairs for a map). */
static int attach(struct builder *b, struct yt_node *n)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	struct yt_node *p = b->stack[b->depth - 1];
	if (p->type == YT_MAP && p->nkids % 2 == 0 && n->type != YT_SCALAR) {
		bfail(b, n->line, n->col, b->err,
		      "a mapping key must be a plain string, not %s",
		      n->type == YT_MAP ? "a mapping" : "a list");
		yt_free(n);
		return -1;
	}
	if (p->nkids == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 4;
		struct yt_node **k = realloc(p->kids, cap * sizeof *k);
		if (!k) {
			bfail(b, n->line, n->col, b->err, "out of memory");
			yt_free(n);
			return -1;
		}
		p->kids = k;
		p->cap = cap;
	}
	p->kids[p->nkids++] = n;
	return 0;
}

static struct yt_node *new_node(struct builder *b, enum yt_type t,
                                const yaml_mark_t *m)
{
	if (++b->nodes > YT_MAX_NODES) {
		bfail(b, m->line + 1, m->column + 1, b->err,
		      "document too large: more than %u YAML nodes", YT_MAX_NODES);
		return NULL;
	}
	struct yt_node *n = calloc(1, sizeof *n);
	if (!n) {
		bfail(b, m->line + 1, m->column + 1, b->err, "out of memory");
		return NULL;
	}
	n->type = t;
	n->line = (uint32_t)(m->line + 1);
	n->col = (uint32_t)map_col(b, m->line + 1, m->column + 1);
	return n;
}

/* Line and column of a byte offset (reader errors carry only the offset). */
static void offset_pos(const unsigned char *buf, size_t len, size_t off,
                       size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if ((buf[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* The byte at 1-based (line, col) (columns count characters), or NULL. */
static const unsigned char *char_at(const unsigned char *buf, size_t len,
                                    size_t line, size_t col)
{
	size_t i = 0, l = 1, c = 1;
	while (i < len && l < line)
		if (buf[i++] == '\n')
			l++;
	if (l != line)
		return NULL;
	for (; i < len && buf[i] != '\n'; i++) {
		if ((buf[i] & 0xc0) == 0x80)
			continue;
		if (c++ == col)
			return buf + i;
	}
	return NULL;
}

/* Is the scanner's error a tab? libyaml's mark is at the tab for "found
 * character that cannot start any token"; its messages that name a tab
 * may point elsewhere on the line, then the line's first tab is meant. */
static bool find_tab(const yaml_parser_t *p, const unsigned char *buf,
                     size_t len, size_t *line, size_t *col)
{
	size_t l = p->problem_mark.line + 1, c = p->problem_mark.column + 1;
	const unsigned char *at = char_at(buf, len, l, c);
	if (at && *at == '\t') {
		*line = l;
		*col = c;
		return true;
	}
	if (!p->problem || !strstr(p->problem, "tab") ||
	    !(at = char_at(buf, len, l, 1)))
		return false;
	size_t k = 0; /* the column: characters, not bytes */
	for (const unsigned char *end = buf + len; at < end && *at != '\n'; at++) {
		if ((*at & 0xc0) != 0x80)
			k++;
		if (*at == '\t') {
			*line = l;
			*col = k;
			return true;
		}
	}
	return false;
}

static void parser_error(struct builder *b, const yaml_parser_t *p,
                         const unsigned char *buf, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	size_t tl, tc;
	if ((p->error == YAML_SCANNER_ERROR || p->error == YAML_PARSER_ERROR) &&
	    find_tab(p, buf, len, &tl, &tc)) {
		b->tab = true;
		b->tab_line = tl;
		b->tab_col = tc;
		bfail(b, tl, tc, b->err, "a tab character: YAML indents with "
		      "spaces, not tabs");
	} else if (p->error == YAML_MEMORY_ERROR) {
		bfail(b, 1, 1, b->err, "out of memory while parsing YAML");
	} else if (p->error == YAML_READER_ERROR) {
		size_t line, col;
		offset_pos(buf, len, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			bfail(b, line, col, b->err, "invalid YAML: %s (byte 0x%02x)",
			      problem, (unsigned)p->problem_value & 0xffu);
		else
			bfail(b, line, col, b->err, "invalid YAML: %s", problem);
	} else if (p->context) {
		bfail(b, p->problem_mark.line + 1, p->problem_mark.column + 1,
		      b->err, "invalid YAML: %s %s (started at line %zu, column %zu)",
		      problem, p->context, p->context_mark.line + 1,
		      p->context_mark.column + 1);
	} else {
		bfail(b, p->problem_mark.line + 1, p->problem_mark.column + 1,
		      b->err, "invalid YAML: %s", problem);
	}
}

static int refuse_anchor(struct builder *b, const yaml_char_t *anchor,
                         const yaml_mark_t *m)
{
	if (!anchor)
		return 0;
	return bfail(b, m->line + 1, m->column + 1, b->err,
	             "anchor '&%s' is not supported: anchors and aliases are "
	             "not allowed, write the value out", (const char *)anchor);
}

static int open_coll(struct builder *b, enum yt_type t, const yaml_mark_t *m)
{
	if (b->depth >= CAT_MAX_DEPTH)
		return bfail(b, m->line + 1, m->column + 1, b->err,
		             "nesting too deep: more than %d levels", CAT_MAX_DEPTH);
	struct yt_node *n = new_node(b, t, m);
	if (!n || attach(b, n) != 0)
		return -1;
	b->stack[b->depth++] = n;
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev, int *docs,
                    bool *done)
{
	const yaml_mark_t *m = &ev->start_mark;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return bfail(b, m->line + 1, m->column + 1, b->err,
			             "only one YAML document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return bfail(b, m->line + 1, m->column + 1, b->err,
		             "alias '*%s' is not supported: anchors and aliases are "
		             "not allowed, write the value out",
		             (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT: {
		if (refuse_anchor(b, ev->data.scalar.anchor, m) != 0)
			return -1;
		size_t len = ev->data.scalar.length;
		if (memchr(ev->data.scalar.value, 0, len))
			return bfail(b, m->line + 1, m->column + 1, b->err,
			             "a string contains a NUL character");
		struct yt_node *n = new_node(b, YT_SCALAR, m);
		if (!n)
			return -1;
		n->str = malloc(len + 1);
		if (!n->str) {
			yt_free(n);
			return bfail(b, m->line + 1, m->column + 1, b->err,
			             "out of memory");
		}
		memcpy(n->str, ev->data.scalar.value, len);
		n->str[len] = '\0';
		n->len = len;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return attach(b, n);
	}
	case YAML_SEQUENCE_START_EVENT:
		if (refuse_anchor(b, ev->data.sequence_start.anchor, m) != 0)
			return -1;
		return open_coll(b, YT_SEQ, m);
	case YAML_MAPPING_START_EVENT:
		if (refuse_anchor(b, ev->data.mapping_start.anchor, m) != 0)
			return -1;
		return open_coll(b, YT_MAP, m);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0) {
			struct yt_node *n = b->stack[--b->depth];
			n->n = n->type == YT_MAP ? n->nkids / 2 : n->nkids;
		}
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	default:
		return 0;
	}
}

/* One parse of buf into b->root (NULL for an empty document); on error
 * the partial tree is freed and b->err says why. */
static int parse_into(struct builder *b, const unsigned char *buf, size_t len)
{
	static const unsigned char nothing[1];
	if (!buf) /* libyaml asserts a non-NULL input */
		buf = nothing, len = 0;
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return bfail(b, 1, 1, b->err, "out of memory");
	yaml_parser_set_input_string(&p, buf, len);
	int docs = 0, rc = 0;
	bool done = false;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(b, &p, buf, len);
			rc = -1;
			break;
		}
		rc = on_event(b, &ev, &docs, &done);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&p);
	if (rc != 0) {
		yt_free(b->root); /* visits nkids: open collections too */
		b->root = NULL;
		return -1;
	}
	return 0;
}

int yt_parse(struct yt_node **root, const char *source,
             const unsigned char *buf, size_t len, struct cat_error *err)
{
	struct builder b;
	memset(&b, 0, sizeof b);
	b.source = source;
	b.err = err;
	*root = NULL;
	if (len > YT_MAX_INPUT)
		return bfail(&b, 1, 1, err, "file too large: %zu bytes (at most %u)",
		             len, YT_MAX_INPUT);
	if (parse_into(&b, buf, len) != 0)
		return -1;
	*root = b.root;
	return 0;
}

/* ---- going on after a tab (catalog check) ------------------------------- */

/* The line [s, e) around byte i: e is the '\n' or len. */
static void line_bounds(const unsigned char *buf, size_t len, size_t i,
                        size_t *s, size_t *e)
{
	*s = i;
	while (*s > 0 && buf[*s - 1] != '\n')
		(*s)--;
	*e = i;
	while (*e < len && buf[*e] != '\n')
		(*e)++;
}

/* The indentations worth trying for the line starting at byte `ls`, most
 * likely first; returns how many (at most YT_MAX_CANDIDATES). */
#define YT_MAX_CANDIDATES 6
static unsigned indent_candidates(const unsigned char *buf, size_t len,
                                  size_t ls, size_t out[YT_MAX_CANDIDATES])
{
	unsigned n = 0;
	size_t last = (size_t)-1; /* smallest indentation seen so far */
	bool first = true;
	for (size_t end = ls; end > 0 && n < YT_MAX_CANDIDATES;) {
		size_t s, e;
		line_bounds(buf, len, end - 1, &s, &e);
		end = s;
		size_t ind = 0;
		while (s + ind < e && buf[s + ind] == ' ')
			ind++;
		if (s + ind == e || buf[s + ind] == '#' || buf[s + ind] == '\r' ||
		    buf[s + ind] == '\t')
			continue; /* blank, a comment, or itself indented by tabs */
		if (first) {
			/* The previous line: its deepest content (after "- "), a
			 * child of it when it opens a block, and its own indent. */
			size_t deep = ind;
			while (s + deep + 1 < e && buf[s + deep] == '-' &&
			       buf[s + deep + 1] == ' ') {
				deep += 2;
				while (s + deep < e && buf[s + deep] == ' ')
					deep++;
			}
			size_t t = e;
			while (t > s + deep && (buf[t - 1] == ' ' || buf[t - 1] == '\r'))
				t--;
			size_t tl = t - (s + deep);
			const unsigned char *tail = buf + t;
			bool opens = tl >= 1 && (tail[-1] == ':' || tail[-1] == '|' ||
			                         tail[-1] == '>');
			if (!opens && tl >= 2 && (tail[-1] == '-' || tail[-1] == '+') &&
			    (tail[-2] == '|' || tail[-2] == '>'))
				opens = true;
			if (opens)
				out[n++] = deep + 2;
			out[n++] = deep;
			if (ind != deep)
				out[n++] = ind;
			last = ind;
			first = false;
			continue;
		}
		if (ind < last) { /* an ancestor */
			out[n++] = ind;
			last = ind;
			if (ind == 0)
				break;
		}
	}
	if (first) /* no line above: the top level */
		out[n++] = 0;
	return n;
}

/* buf with [from, to) replaced by `spaces` spaces (malloc'ed). */
static unsigned char *respace(const unsigned char *buf, size_t len,
                              size_t from, size_t to, size_t spaces,
                              size_t *nlen)
{
	*nlen = len - (to - from) + spaces;
	unsigned char *nb = malloc(*nlen ? *nlen : 1);
	if (!nb)
		return NULL;
	memcpy(nb, buf, from);
	memset(nb + from, ' ', spaces);
	memcpy(nb + from + spaces, buf + to, len - to);
	return nb;
}

/* How far libyaml reads `buf`: the line of its error, or SIZE_MAX. */
static size_t reach(const char *source, const unsigned char *buf, size_t len)
{
	struct cat_error scratch;
	struct builder b;
	memset(&b, 0, sizeof b);
	b.source = source;
	b.err = &scratch;
	if (parse_into(&b, buf, len) == 0) {
		yt_free(b.root);
		return (size_t)-1;
	}
	return b.fail_line;
}

void cat_errors_add(struct cat_errors *l, const struct cat_error *e)
{
	if (l->n < CAT_MAX_ERRORS)
		l->e[l->n] = *e;
	l->n++;
}

int yt_parse_all(struct yt_node **root, const char *source,
                 const unsigned char *buf, size_t len, struct cat_errors *errs)
{
	struct cat_error err;
	struct repair rep[YT_MAX_REPAIRS];
	size_t nrep = 0, clen = len, parsed = 0;
	unsigned char *work = NULL; /* buf with the lines re-indented so far */
	const unsigned char *cur = buf;
	*root = NULL;
	if (len > YT_MAX_INPUT || !buf)
		goto once;
	for (unsigned tries = 0; tries <= YT_MAX_REPAIRS; tries++) {
		struct builder b;
		memset(&b, 0, sizeof b);
		b.source = source;
		b.err = &err;
		b.rep = rep;
		b.nrep = nrep;
		if (parse_into(&b, cur, clen) == 0) {
			*root = b.root;
			free(work);
			return 0;
		}
		cat_errors_add(errs, &err);
		parsed += clen;
		if (!b.tab)
			break;
		errs->tab_stop = (uint32_t)b.tab_line; /* unless read past below */
		if (tries == YT_MAX_REPAIRS || len > YT_REPAIR_INPUT)
			break;
		/* The tab's byte, its line, the line's leading whitespace. */
		const unsigned char *at = char_at(cur, clen, b.tab_line, b.tab_col);
		if (!at)
			break;
		size_t ti = (size_t)(at - cur), ls, le, ws = 0;
		line_bounds(cur, clen, ti, &ls, &le);
		while (ls + ws < le && (cur[ls + ws] == ' ' || cur[ls + ws] == '\t'))
			ws++;
		size_t cand[YT_MAX_CANDIDATES], from = ti, to = ti + 1;
		unsigned nc;
		if (ti < ls + ws) { /* in the indentation: re-indent the line */
			bool again = false;
			for (size_t i = 0; i < nrep; i++)
				again |= rep[i].line == b.tab_line;
			if (again || nrep == YT_MAX_REPAIRS)
				break;
			nc = indent_candidates(cur, clen, ls, cand);
			from = ls;
			to = ls + ws;
		} else { /* after the indentation: one space for the tab */
			cand[0] = 1;
			nc = 1;
		}
		unsigned char *best = NULL;
		size_t bestlen = 0, bestreach = 0, bestspaces = 0;
		for (unsigned k = 0; k < nc; k++) {
			size_t nlen;
			if (parsed + 2 * clen + 64 > YT_REPAIR_BUDGET)
				break; /* this try and the parse after it */
			unsigned char *nb = respace(cur, clen, from, to, cand[k], &nlen);
			if (!nb)
				break;
			parsed += nlen;
			size_t r = reach(source, nb, nlen);
			if (r > b.tab_line && r > bestreach) {
				free(best);
				best = nb;
				bestlen = nlen;
				bestreach = r;
				bestspaces = cand[k];
			} else {
				free(nb);
			}
		}
		if (!best)
			break; /* no indentation reads on: stop at the tab */
		if (from == ls) {
			rep[nrep].line = b.tab_line;
			rep[nrep].spaces = bestspaces;
			rep[nrep].was = ws;
			nrep++;
		}
		free(work);
		work = best;
		cur = work;
		clen = bestlen;
		errs->tab_stop = 0;
	}
	free(work);
	return -1;
once:
	if (yt_parse(root, source, buf, len, &err) == 0)
		return 0;
	cat_errors_add(errs, &err);
	return -1;
}

const struct yt_node *yt_key(const struct yt_node *map, uint32_t i)
{
	return map->kids[2 * i];
}

const struct yt_node *yt_val(const struct yt_node *map, uint32_t i)
{
	return map->kids[2 * i + 1];
}

const struct yt_node *yt_get(const struct yt_node *map, const char *key)
{
	if (!map || map->type != YT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->n; i++)
		if (strcmp(map->kids[2 * i]->str, key) == 0)
			return map->kids[2 * i + 1];
	return NULL;
}

const struct yt_node *yt_item(const struct yt_node *seq, uint32_t i)
{
	return seq->kids[i];
}

bool yt_is_null(const struct yt_node *n)
{
	return n->type == YT_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 ||
	        strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	        strcmp(n->str, "NULL") == 0);
}

const char *yt_type_name(const struct yt_node *n)
{
	switch (n->type) {
	case YT_SCALAR: return yt_is_null(n) ? "empty" : "a string";
	case YT_SEQ: return "a list";
	case YT_MAP: return "a mapping";
	}
	return "?";
}
