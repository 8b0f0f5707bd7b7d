/*
 * load.c -- the catalog and site-profile loaders (YAML -> flat structs).
 *
 * Design. yaml_tree.c turns the text into a positioned tree (libyaml
 * events, depth and size limits, no aliases); this file walks that tree
 * once, checking every key against the schema of docs/catalog.md and
 * docs/profile.md, and fills arrays sized once from the list lengths.
 * Every problem stops the load with "file:line:col: what was wrong, what
 * was expected" (an unknown key or name also gets the nearest known one).
 * Numbers are parsed as curl does: digits only, strtoul, explicit bounds,
 * never atoi. One cleanup path: on any error the partial catalog or profile
 * is freed (and zeroed, so that a later free is harmless) by the same
 * function that frees a good one.
 *
 * Collecting (`catalog check`, the *_all loaders). The same walk records
 * every error in a struct cat_errors and goes on: to the next key of the
 * mapping when a value is wrong, to the next entry when an entry is not
 * even a mapping. Later errors must not be echoes of an earlier one, so a
 * value that depends on a broken one is not checked (the control port
 * against broken `ports`, base+N against a broken `max_offset`), a missing
 * required key is not reported when an unknown key was suggested for it,
 * and a reference to a product or condition whose own entry is broken (or
 * whose list is) is not called unknown. Only running out of memory and an
 * unreadable document stop the walk. The tree, limits and costs are the
 * same as for a normal load.
 *
 * Cost: O(size of the YAML), plus O(n^2) string compares for duplicate ids
 * (n is bounded by CAT_MAX_SERVICES; the real catalog has about 100).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "yaml_tree.h"

#define CAT_MAX_PRODUCTS 1024
#define CAT_MAX_SERVICES 8192
#define PROF_MAX_LIST 65536 /* servers, addresses, devices, overrides ... */

struct lctx {
	const char *src;
	struct cat_error *err;
	uint16_t max_offset;
	struct cat_errors *all; /* collecting: every error goes here */
	bool fatal;             /* out of memory: collecting stops too */
	bool offsets_unknown;   /* max_offset is broken: base+N not checked */
	/* A catalog's lists as written, to tell a reference to a broken entry
	 * from an unknown name (collecting); NULL/false in a profile. */
	const struct yt_node *prod_list, *cond_list;
	bool prod_broken, cond_broken; /* the list itself is broken */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct lctx *c, const struct yt_node *n, const char *fmt, ...)
{
	va_list ap;
	c->err->line = n ? n->line : 1;
	c->err->col = n ? n->col : 1;
	int k = snprintf(c->err->msg, sizeof c->err->msg, "%s:%u:%u: ", c->src,
	                 c->err->line, c->err->col);
	if (k < 0 || (size_t)k >= sizeof c->err->msg)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err->msg + k, sizeof c->err->msg - (size_t)k, fmt, ap);
	va_end(ap);
	if (c->all)
		cat_errors_add(c->all, c->err);
	return -1;
}

static int oom(struct lctx *c, const struct yt_node *n)
{
	c->fatal = true;
	return fail(c, n, "out of memory");
}

/* After an error: true when the walk stops (a normal load, or no memory);
 * when collecting, notes that something was wrong and lets it go on. */
static bool stop(struct lctx *c, int *bad)
{
	*bad = 1;
	return !c->all || c->fatal;
}

/* ---- names and suggestions ------------------------------------------- */

unsigned cat_edit_distance(const char *a, const char *b, unsigned cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 120 || lb > 120)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	unsigned row[128], prev[128];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned del = prev[j] + 1, ins = row[j - 1] + 1;
			unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			unsigned m = del < ins ? del : ins;
			row[j] = m < sub ? m : sub;
		}
		memcpy(prev, row, (lb + 1) * sizeof row[0]);
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

int cat_is_near(const char *word, const char *cand)
{
	size_t lw = strlen(word), lc = strlen(cand);
	if (lw >= 3 && lw < lc && strncmp(word, cand, lw) == 0)
		return 1; /* a prefix: "serv" -> "servers" */
	unsigned d = cat_edit_distance(word, cand, 2);
	return d <= 2 && d * 3 <= lc;
}

/* " (did you mean 'x'?)" or "" for the nearest of names[]; *which is its
 * index (or left alone) when which != NULL. */
static const char *suggest_which(char *buf, size_t len, const char *word,
                                 const char *const *names, size_t n,
                                 size_t *which)
{
	const char *best = NULL;
	unsigned bestd = 99;
	for (size_t i = 0; i < n; i++) {
		if (!cat_is_near(word, names[i]))
			continue;
		unsigned d = cat_edit_distance(word, names[i], 60);
		if (d < bestd) {
			bestd = d;
			best = names[i];
			if (which)
				*which = i;
		}
	}
	if (!best)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", best);
	return buf;
}

static const char *suggest(char *buf, size_t len, const char *word,
                           const char *const *names, size_t n)
{
	return suggest_which(buf, len, word, names, n, NULL);
}

/* The same over an array of structs whose first member is the id. */
static const char *suggest_id(char *buf, size_t len, const char *word,
                              const void *base, size_t n, size_t stride)
{
	const char *best = NULL;
	unsigned bestd = 99;
	for (size_t i = 0; i < n; i++) {
		const char *id = (const char *)base + i * stride;
		if (!cat_is_near(word, id))
			continue;
		unsigned d = cat_edit_distance(word, id, 60);
		if (d < bestd) {
			bestd = d;
			best = id;
		}
	}
	if (!best)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", best);
	return buf;
}

/* ---- typed access -------------------------------------------------------- */

struct keydef {
	const char *name;
	bool required;
};

/* Every key of `map` is known, none twice, every required one present with
 * a value. `what` names the mapping in messages ("a service"). Collecting,
 * every such problem is reported; a required key that an unknown key was
 * suggested for ("protocl") is not reported missing as well. */
static int check_keys(struct lctx *c, const struct yt_node *map,
                      const char *what, const struct keydef *keys, size_t nk)
{
	const struct yt_node *seen[24];
	const char *names[24];
	bool hinted[24];
	char sb[96];
	int bad = 0;
	memset(seen, 0, sizeof seen);
	memset(hinted, 0, sizeof hinted);
	for (size_t j = 0; j < nk && j < 24; j++)
		names[j] = keys[j].name;
	for (uint32_t i = 0; i < map->n; i++) {
		const struct yt_node *k = yt_key(map, i);
		size_t j;
		for (j = 0; j < nk; j++)
			if (strcmp(k->str, keys[j].name) == 0)
				break;
		if (j == nk) {
			size_t h = 0;
			const char *s = suggest_which(sb, sizeof sb, k->str, names, nk,
			                              &h);
			if (*s) {
				hinted[h] = true;
				fail(c, k, "unknown key '%.64s'%s", k->str, s);
				if (stop(c, &bad))
					return -1;
				continue;
			}
			char list[400];
			size_t off = 0;
			list[0] = '\0';
			for (size_t q = 0; q < nk && off < sizeof list; q++) {
				int w = snprintf(list + off, sizeof list - off, "%s%s",
				                 q ? ", " : "", keys[q].name);
				if (w < 0)
					break;
				off += (size_t)w;
			}
			fail(c, k, "unknown key '%.64s' in %s (expected %s)", k->str,
			     what, list);
			if (stop(c, &bad))
				return -1;
			continue;
		}
		if (seen[j]) {
			fail(c, k, "duplicate key '%s' (first at line %u)",
			     keys[j].name, seen[j]->line);
			if (stop(c, &bad))
				return -1;
			continue;
		}
		seen[j] = k;
	}
	for (size_t j = 0; j < nk; j++) {
		if (!keys[j].required)
			continue;
		if (!seen[j]) {
			if (hinted[j]) { /* "unknown key 'protocl'" said it */
				bad = 1;
				continue;
			}
			fail(c, map, "missing required key '%s' in %s", keys[j].name,
			     what);
			if (stop(c, &bad))
				return -1;
			continue;
		}
		const struct yt_node *v = yt_get(map, keys[j].name);
		if (yt_is_null(v)) {
			fail(c, v, "'%s' needs a value", keys[j].name);
			if (stop(c, &bad))
				return -1;
		}
	}
	return bad ? -1 : 0;
}

/* A present, non-null value of `key`, or NULL. */
static const struct yt_node *opt(const struct yt_node *map, const char *key)
{
	const struct yt_node *v = yt_get(map, key);
	return v && !yt_is_null(v) ? v : NULL;
}

/* n has type t. n == NULL (a required key that is missing or empty, said
 * once already by check_keys) fails without a second message. */
static int want(struct lctx *c, const struct yt_node *n, enum yt_type t,
                const char *key)
{
	if (!n)
		return -1;
	if (n->type == t)
		return 0;
	static const char *const tn[] = { "a string", "a list", "a mapping" };
	return fail(c, n, "wrong type: '%s' must be %s, not %s", key, tn[t],
	            yt_type_name(n));
}

/* Free text that reports print: no control character but blanks (an
 * escape sequence would reach the terminal from `catalog show`, a NUL cut
 * the text short). Line breaks and tabs are kept only in a note; one-line
 * text (see one_line) has them as spaces, as a folded YAML block ends with
 * one. */
static int text_ok(struct lctx *c, const struct yt_node *v, const char *key)
{
	for (size_t i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->str[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') ||
		    ch == 0x7f)
			return fail(c, v, "'%s' holds a control character (byte "
			            "0x%02x at offset %zu): it is text", key, ch, i);
	}
	return 0;
}

/* Text that is one line: blanks as spaces, none at the end. */
static void one_line(char *s, const char *key)
{
	if (strcmp(key, "note") == 0)
		return;
	size_t n = 0;
	for (char *p = s; *p; p++, n++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

static int get_str(struct lctx *c, const struct yt_node *map,
                   const char *key, char **out)
{
	const struct yt_node *v = opt(map, key);
	*out = NULL;
	if (!v)
		return 0;
	if (want(c, v, YT_SCALAR, key) != 0 || text_ok(c, v, key) != 0)
		return -1;
	*out = strdup(v->str);
	if (!*out)
		return oom(c, v);
	one_line(*out, key);
	return 0;
}

/* Copy a short free-text value into a fixed buffer. */
static int get_short(struct lctx *c, const struct yt_node *v, const char *key,
                     char out[CAT_ID_MAX])
{
	if (want(c, v, YT_SCALAR, key) != 0 || text_ok(c, v, key) != 0)
		return -1;
	if (v->len >= CAT_ID_MAX)
		return fail(c, v, "'%s' is too long: at most %d characters", key,
		            CAT_ID_MAX - 1);
	memcpy(out, v->str, v->len + 1);
	one_line(out, key);
	return 0;
}

/* An id: [a-z0-9][a-z0-9._-]*, at most 63 characters. */
static int get_id(struct lctx *c, const struct yt_node *v, const char *key,
                  char out[CAT_ID_MAX])
{
	if (want(c, v, YT_SCALAR, key) != 0)
		return -1;
	bool ok = v->len > 0 && v->len < CAT_ID_MAX;
	for (size_t i = 0; ok && i < v->len; i++) {
		char ch = v->str[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			ok = false;
	}
	if (!ok)
		return fail(c, v, "'%.64s' is not a valid %s: use a-z, 0-9, '.', "
		            "'_', '-' (at most %d characters, starting with a "
		            "letter or digit)", v->str, key, CAT_ID_MAX - 1);
	memcpy(out, v->str, v->len + 1);
	return 0;
}

static int get_bool(struct lctx *c, const struct yt_node *v, const char *key,
                    bool *out)
{
	if (!v)
		return -1;
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
	                                   "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
	                                  "NO", "off", "Off", "OFF" };
	if (v->type != YT_SCALAR)
		return fail(c, v, "wrong type: '%s' must be true or false, not %s",
		            key, yt_type_name(v));
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(v->str, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v->str, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return fail(c, v, "'%s' must be true or false, not '%.64s'", key, v->str);
}

/* Decimal digits only, at most `max`. 0 ok, -1 not a number, 1 too big. */
static int num(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (n > 19)
		return 1;
	char buf[24];
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno == ERANGE || *end || v > max)
		return 1;
	*out = v;
	return 0;
}

static int get_port(struct lctx *c, const struct yt_node *v, const char *key,
                    unsigned long min, uint16_t *out)
{
	unsigned long x;
	if (want(c, v, YT_SCALAR, key) != 0)
		return -1;
	int rc = num(v->str, v->len, 65535, &x);
	if (rc < 0)
		return fail(c, v, "'%s' must be a port number, not '%.64s'", key,
		            v->str);
	if (rc > 0 || x < min)
		return fail(c, v, "%s %.24s is outside %lu-65535", key, v->str, min);
	*out = (uint16_t)x;
	return 0;
}

/* ---- ports ---------------------------------------------------------------- */

/* One port, "lo-hi" or base+N (when allow_base). */
static int parse_range(struct lctx *c, const struct yt_node *v,
                       bool allow_base, struct cat_range *r)
{
	static const char what[] =
		"is not a port (0-65535), a range 'lo-hi' or base+N";
	if (!v)
		return -1;
	if (v->type != YT_SCALAR || yt_is_null(v))
		return fail(c, v, "wrong type: a port must be a number, a range "
		            "'lo-hi' or base+N, not %s", yt_type_name(v));
	const char *s = v->str;
	unsigned long lo, hi;
	memset(r, 0, sizeof *r);
	if (strncmp(s, "base+", 5) == 0) {
		if (!allow_base)
			return fail(c, v, "'%.64s': base+N is not allowed here, give "
			            "absolute ports", s);
		int rc = num(s + 5, v->len - 5, 65535, &lo);
		if (rc < 0)
			return fail(c, v, "'%.64s' %s", s, what);
		if (rc > 0 || (lo > c->max_offset && !c->offsets_unknown))
			return fail(c, v, "%.32s: offset outside 0..%u", s,
			            (unsigned)c->max_offset);
		r->base_rel = true;
		r->raw_lo = r->raw_hi = (uint16_t)lo;
		return 0;
	}
	const char *dash = strchr(s, '-');
	if (dash && dash != s) {
		size_t nlo = (size_t)(dash - s);
		int r1 = num(s, nlo, 65535, &lo);
		int r2 = num(dash + 1, v->len - nlo - 1, 65535, &hi);
		if (r1 < 0 || r2 < 0)
			return fail(c, v, "'%.64s' %s", s, what);
		if (r1 > 0)
			return fail(c, v, "port %.*s is outside 0-65535",
			            (int)(nlo > 24 ? 24 : nlo), s);
		if (r2 > 0)
			return fail(c, v, "port %.24s is outside 0-65535", dash + 1);
		if (lo > hi)
			return fail(c, v, "empty range '%.64s': lo > hi", s);
	} else {
		int rc = num(s, v->len, 65535, &lo);
		if (rc < 0)
			return fail(c, v, "'%.64s' %s", s, what);
		if (rc > 0)
			return fail(c, v, "port %.24s is outside 0-65535", s);
		hi = lo;
	}
	r->raw_lo = r->lo = (uint16_t)lo;
	r->raw_hi = r->hi = (uint16_t)hi;
	return 0;
}

struct textbuf {
	char s[1024];
	size_t len;
};

static void tb_add(struct textbuf *t, const char *s)
{
	size_t room = sizeof t->s - t->len;
	int w = snprintf(t->s + t->len, room, "%s", s);
	if (w < 0)
		return;
	t->len = (size_t)w < room ? t->len + (size_t)w : sizeof t->s - 1;
}

/* `ports:` -> requirements (and the text as written, when tb != NULL).
 * A list of requirements, or one requirement alone (`ports: 22`,
 * `ports: {any: [1812, 1645]}`) as docs/catalog.md allows. */
static int parse_ports(struct lctx *c, const struct yt_node *v,
                       bool allow_base, struct cat_req *req, uint8_t *nreq,
                       struct textbuf *tb)
{
	if (!v)
		return -1;
	bool one = v->type != YT_SEQ; /* a single requirement, not a list */
	uint32_t n = one ? 1 : v->n;
	int bad = 0;
	if (n == 0)
		return fail(c, v, "'ports' must list at least one port");
	if (n > CAT_MAX_REQ)
		return fail(c, yt_item(v, CAT_MAX_REQ), "too many ports: at most %d "
		            "elements (use a range 'lo-hi' or {any: [...]})",
		            CAT_MAX_REQ);
	for (uint32_t i = 0; i < n; i++) {
		const struct yt_node *e = one ? v : yt_item(v, i);
		struct cat_req *rq = &req[i];
		memset(rq, 0, sizeof *rq);
		if (tb && i)
			tb_add(tb, ", ");
		if (e->type == YT_MAP) {
			static const struct keydef k[] = { { "any", true } };
			if (check_keys(c, e, "a port alternative", k, 1) != 0) {
				if (stop(c, &bad))
					return -1;
				continue;
			}
			const struct yt_node *a = yt_get(e, "any");
			if (want(c, a, YT_SEQ, "any") != 0) {
				if (stop(c, &bad))
					return -1;
				continue;
			}
			if (a->n == 0) {
				fail(c, a, "'any' must list at least one alternative");
				if (stop(c, &bad))
					return -1;
				continue;
			}
			if (a->n > CAT_MAX_ALT) {
				fail(c, yt_item(a, CAT_MAX_ALT), "too many alternatives: "
				     "at most %d", CAT_MAX_ALT);
				if (stop(c, &bad))
					return -1;
				continue;
			}
			for (uint32_t j = 0; j < a->n; j++) {
				if (parse_range(c, yt_item(a, j), allow_base,
				                &rq->alt[j]) != 0 && stop(c, &bad))
					return -1;
				if (tb) {
					if (j)
						tb_add(tb, "|");
					if (yt_item(a, j)->str)
						tb_add(tb, yt_item(a, j)->str);
				}
			}
			rq->nalt = (uint8_t)a->n;
		} else {
			if (e->type == YT_SEQ) {
				fail(c, e, "wrong type: a port must be a number, a range "
				     "'lo-hi', base+N or {any: [...]}, not a list");
				if (stop(c, &bad))
					return -1;
				continue;
			}
			if (parse_range(c, e, allow_base, &rq->alt[0]) != 0 &&
			    stop(c, &bad))
				return -1;
			rq->nalt = 1;
			if (tb)
				tb_add(tb, e->str);
		}
	}
	if (bad)
		return -1;
	*nreq = (uint8_t)n;
	return 0;
}

static bool reqs_contain(const struct cat_req *req, uint8_t nreq, uint16_t p)
{
	for (uint8_t i = 0; i < nreq; i++)
		for (uint8_t j = 0; j < req[i].nalt; j++)
			if (!req[i].alt[j].base_rel && req[i].alt[j].raw_lo <= p &&
			    p <= req[i].alt[j].raw_hi)
				return true;
	return false;
}

/* ---- the catalog ---------------------------------------------------------- */

static int find_cond(const struct catalog *cat, const char *id)
{
	for (uint32_t i = 0; i < cat->ncond; i++)
		if (cat->cond[i].id[0] && strcmp(cat->cond[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int find_product(const struct catalog *cat, const char *id)
{
	for (uint32_t i = 0; i < cat->nproducts; i++)
		if (cat->products[i].id[0] && strcmp(cat->products[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int find_service(const struct catalog *cat, const char *id)
{
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (cat->services[i].id[0] && strcmp(cat->services[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Collecting: is `name` the id of an entry of `list` as written (an entry
 * that did not load, whose own error was reported), or is the list itself
 * broken? Then a reference to it is not "unknown". */
static bool written(const struct yt_node *list, bool broken, const char *name)
{
	if (broken)
		return true;
	if (!list || list->type != YT_SEQ)
		return false;
	for (uint32_t i = 0; i < list->n; i++) {
		const struct yt_node *e = yt_item(list, i), *id = e;
		if (e->type == YT_MAP)
			id = yt_get(e, "id");
		if (id && id->type == YT_SCALAR && strcmp(id->str, name) == 0)
			return true;
	}
	return false;
}

static int cond_ref(struct lctx *c, const struct catalog *cat,
                    const struct yt_node *v, const char *key)
{
	char sb[96];
	if (want(c, v, YT_SCALAR, key) != 0)
		return -1;
	int k = find_cond(cat, v->str);
	if (k < 0 && c->all && written(c->cond_list, c->cond_broken, v->str))
		return -1;
	if (k < 0)
		return fail(c, v, "unknown condition '%.64s'%s", v->str,
		            suggest_id(sb, sizeof sb, v->str, cat->cond, cat->ncond,
		                       sizeof cat->cond[0]));
	return k;
}

static int product_ref(struct lctx *c, const struct catalog *cat,
                       const struct yt_node *v, const char *key)
{
	char sb[96];
	if (want(c, v, YT_SCALAR, key) != 0)
		return -1;
	int k = find_product(cat, v->str);
	if (k < 0 && c->all && written(c->prod_list, c->prod_broken, v->str))
		return -1;
	if (k < 0)
		return fail(c, v, "unknown product '%.64s'%s", v->str,
		            suggest_id(sb, sizeof sb, v->str, cat->products,
		                       cat->nproducts, sizeof cat->products[0]));
	return k;
}

static int service_ref(struct lctx *c, const struct catalog *cat,
                       const struct yt_node *v, const char *key)
{
	char sb[96];
	if (want(c, v, YT_SCALAR, key) != 0)
		return -1;
	int k = find_service(cat, v->str);
	if (k < 0)
		return fail(c, v, "unknown service '%.64s'%s", v->str,
		            suggest_id(sb, sizeof sb, v->str, cat->services,
		                       cat->nservices, sizeof cat->services[0]));
	return k;
}

static int load_header(struct lctx *c, struct catalog *cat,
                       const struct yt_node *h)
{
	static const struct keydef k[] = {
		{ "name", true }, { "title", false }, { "base_port", false },
		{ "max_offset", false },
	};
	int bad = 0;
	cat->default_base = CAT_DEFAULT_BASE;
	cat->max_offset = 0;
	c->offsets_unknown = true; /* until max_offset is read */
	if (want(c, h, YT_MAP, "catalog") != 0)
		return -1;
	if (check_keys(c, h, "'catalog'", k, 4) != 0 && stop(c, &bad))
		return -1;
	if (get_id(c, opt(h, "name"), "name", cat->name) != 0 && stop(c, &bad))
		return -1;
	if (get_str(c, h, "title", &cat->title) != 0 && stop(c, &bad))
		return -1;
	if (!cat->title && !(cat->title = strdup(cat->name)))
		return oom(c, h);
	const struct yt_node *v;
	if ((v = opt(h, "base_port"))) {
		if (get_port(c, v, "base_port", 1, &cat->default_base) != 0) {
			if (stop(c, &bad))
				return -1;
		} else {
			cat->base_line = v->line;
			cat->base_col = v->col;
		}
	}
	if ((v = opt(h, "max_offset")) &&
	    get_port(c, v, "max_offset", 0, &cat->max_offset) != 0)
		return -1; /* offsets_unknown stays: base+N is not checked */
	c->max_offset = cat->max_offset;
	c->offsets_unknown = false;
	return bad ? -1 : 0;
}

static int load_conditions(struct lctx *c, struct catalog *cat,
                           const struct yt_node *l)
{
	static const struct keydef k[] = {
		{ "id", true }, { "default", false }, { "description", false },
	};
	int bad = 0;
	if (want(c, l, YT_SEQ, "conditions") != 0)
		return -1;
	if (l->n > CAT_MAX_COND)
		return fail(c, yt_item(l, CAT_MAX_COND), "too many conditions: at "
		            "most %d", CAT_MAX_COND);
	for (uint32_t i = 0; i < l->n; i++) {
		const struct yt_node *e = yt_item(l, i);
		struct cat_condition *cd = &cat->cond[i];
		if (want(c, e, YT_MAP, "conditions[]") != 0) {
			if (stop(c, &bad))
				return -1;
			continue;
		}
		if (check_keys(c, e, "a condition", k, 3) != 0 && stop(c, &bad))
			return -1;
		const struct yt_node *idn = opt(e, "id");
		if (get_id(c, idn, "condition id", cd->id) != 0) {
			if (stop(c, &bad))
				return -1;
		} else {
			int prev = find_cond(cat, cd->id);
			if (prev >= 0) {
				fail(c, idn, "duplicate condition id '%s' (first at line "
				     "%u)", cd->id, yt_item(l, (uint32_t)prev)->line);
				if (stop(c, &bad))
					return -1;
			}
		}
		const struct yt_node *v = opt(e, "default");
		cd->dflt = true; /* without a profile, the whole catalog applies */
		if (v && get_bool(c, v, "default", &cd->dflt) != 0 && stop(c, &bad))
			return -1;
		cat->ncond = i + 1;
		if (get_str(c, e, "description", &cd->description) != 0 &&
		    stop(c, &bad))
			return -1;
	}
	return bad ? -1 : 0;
}

static int load_products(struct lctx *c, struct catalog *cat,
                         const struct yt_node *l)
{
	static const struct keydef k[] = {
		{ "id", true }, { "name", true }, { "always", false },
	};
	int bad = 0;
	if (want(c, l, YT_SEQ, "products") != 0)
		return -1;
	if (l->n > CAT_MAX_PRODUCTS)
		return fail(c, yt_item(l, CAT_MAX_PRODUCTS), "too many products: at "
		            "most %d", CAT_MAX_PRODUCTS);
	cat->products = calloc(l->n ? l->n : 1, sizeof *cat->products);
	if (!cat->products)
		return oom(c, l);
	for (uint32_t i = 0; i < l->n; i++) {
		const struct yt_node *e = yt_item(l, i);
		struct cat_product *p = &cat->products[i];
		if (want(c, e, YT_MAP, "products[]") != 0) {
			if (stop(c, &bad))
				return -1;
			continue;
		}
		if (check_keys(c, e, "a product", k, 3) != 0 && stop(c, &bad))
			return -1;
		const struct yt_node *idn = opt(e, "id");
		if (get_id(c, idn, "product id", p->id) != 0) {
			if (stop(c, &bad))
				return -1;
		} else {
			int prev = find_product(cat, p->id);
			if (prev >= 0) {
				fail(c, idn, "duplicate product id '%s' (first at line %u)",
				     p->id, yt_item(l, (uint32_t)prev)->line);
				if (stop(c, &bad))
					return -1;
			}
		}
		cat->nproducts = i + 1;
		const struct yt_node *v = opt(e, "always");
		if (v && get_bool(c, v, "always", &p->always) != 0 && stop(c, &bad))
			return -1;
		if (get_str(c, e, "name", &p->name) != 0 && stop(c, &bad))
			return -1;
	}
	return bad ? -1 : 0;
}

static int load_service(struct lctx *c, struct catalog *cat,
                        const struct yt_node *e, struct cat_service *s)
{
	static const struct keydef k[] = {
		{ "id", true }, { "product", true }, { "protocol", true },
		{ "ports", true }, { "direction", true }, { "process", false },
		{ "purpose", true }, { "oneway", false }, { "conditions", false },
		{ "dynamic", false }, { "control", false }, { "vendor", false },
		{ "note", false },
	};
	static const char *const dirs[] = { "inbound", "outbound", "both",
	                                    "internal", "local", "reserved" };
	static const char *const protos[] = { "tcp", "udp", "none" };
	char sb[96];
	int bad = 0;
	if (want(c, e, YT_MAP, "services[]") != 0)
		return -1;
	s->line = e->line;
	s->col = e->col;
	if (check_keys(c, e, "a service", k, sizeof k / sizeof k[0]) != 0 &&
	    stop(c, &bad))
		return -1;
	if (get_id(c, opt(e, "id"), "service id", s->id) != 0 && stop(c, &bad))
		return -1;
	int p = product_ref(c, cat, opt(e, "product"), "product");
	if (p < 0 && stop(c, &bad))
		return -1;
	s->product = p < 0 ? 0 : (uint32_t)p;

	bool proto_ok = false, dir_ok = false;
	const struct yt_node *v = opt(e, "protocol");
	if (want(c, v, YT_SCALAR, "protocol") != 0) {
		if (stop(c, &bad))
			return -1;
	} else if (strcmp(v->str, "tcp") == 0) {
		s->proto = CAT_PROTO_TCP;
		proto_ok = true;
	} else if (strcmp(v->str, "udp") == 0) {
		s->proto = CAT_PROTO_UDP;
		proto_ok = true;
	} else if (strcmp(v->str, "none") == 0) {
		s->proto = CAT_PROTO_NONE;
		proto_ok = true;
	} else {
		const char *sg = suggest(sb, sizeof sb, v->str, protos, 3);
		fail(c, v, "unknown protocol '%.64s'%s", v->str,
		     *sg ? sg : " (expected tcp, udp or none)");
		if (stop(c, &bad))
			return -1;
	}

	v = opt(e, "direction");
	if (want(c, v, YT_SCALAR, "direction") != 0) {
		if (stop(c, &bad))
			return -1;
	} else {
		size_t d;
		for (d = 0; d < 6; d++)
			if (strcmp(v->str, dirs[d]) == 0)
				break;
		if (d == 6) {
			const char *sg = suggest(sb, sizeof sb, v->str, dirs, 6);
			fail(c, v, "unknown direction '%.64s'%s", v->str,
			     *sg ? sg : " (expected inbound, outbound, both, "
			     "internal, local or reserved)");
			if (stop(c, &bad))
				return -1;
		} else {
			s->dir = (enum cat_dir)d;
			dir_ok = true;
		}
	}
	if (proto_ok && dir_ok && s->proto == CAT_PROTO_NONE &&
	    s->dir != CAT_DIR_RESERVED) {
		fail(c, yt_get(e, "protocol"), "protocol 'none' is only for "
		     "direction 'reserved'");
		if (stop(c, &bad))
			return -1;
	}

	struct textbuf tb;
	tb.len = 0;
	tb.s[0] = '\0';
	bool ports_ok = parse_ports(c, opt(e, "ports"), true, s->req, &s->nreq,
	                            &tb) == 0;
	if (!ports_ok && stop(c, &bad))
		return -1;
	if (!(s->ports_text = strdup(tb.s)))
		return oom(c, e);

	if ((v = opt(e, "oneway")) && get_bool(c, v, "oneway", &s->oneway) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = opt(e, "conditions"))) {
		if (want(c, v, YT_SEQ, "conditions") != 0) {
			if (stop(c, &bad))
				return -1;
		} else {
			for (uint32_t i = 0; i < v->n; i++) {
				int ci = cond_ref(c, cat, yt_item(v, i), "conditions[]");
				if (ci < 0) {
					if (stop(c, &bad))
						return -1;
					continue;
				}
				s->conditions |= 1u << ci;
			}
		}
	}
	const struct yt_node *dyn = opt(e, "dynamic"), *ctl = opt(e, "control");
	if (ctl && !dyn) {
		fail(c, ctl, "'control' is only meaningful with 'dynamic'");
		if (stop(c, &bad))
			return -1;
	}
	if (dyn) {
		bool ok = ports_ok;
		s->has_dynamic = true;
		s->control = 135;
		if (ctl && get_port(c, ctl, "control", 0, &s->control) != 0) {
			if (stop(c, &bad))
				return -1;
			ok = false;
		}
		if (parse_range(c, dyn, false, &s->dynamic) != 0) {
			if (stop(c, &bad))
				return -1;
			ok = false;
		}
		if (ok && !reqs_contain(s->req, s->nreq, s->control)) {
			fail(c, dyn, "'dynamic' needs the control port %u among the "
			     "service's 'ports'", (unsigned)s->control);
			if (stop(c, &bad))
				return -1;
		}
	}
	if ((get_str(c, e, "process", &s->process) != 0 && stop(c, &bad)) ||
	    (get_str(c, e, "purpose", &s->purpose) != 0 && stop(c, &bad)) ||
	    (get_str(c, e, "vendor", &s->vendor) != 0 && stop(c, &bad)) ||
	    (get_str(c, e, "note", &s->note) != 0 && stop(c, &bad)))
		return -1;
	return bad ? -1 : 0;
}

static int load_services(struct lctx *c, struct catalog *cat,
                         const struct yt_node *l)
{
	int bad = 0;
	if (want(c, l, YT_SEQ, "services") != 0)
		return -1;
	if (l->n > CAT_MAX_SERVICES)
		return fail(c, yt_item(l, CAT_MAX_SERVICES), "too many services: "
		            "at most %d", CAT_MAX_SERVICES);
	cat->services = calloc(l->n ? l->n : 1, sizeof *cat->services);
	cat->loaded = calloc(l->n ? l->n : 1, sizeof *cat->loaded);
	if (!cat->services || !cat->loaded)
		return oom(c, l);
	for (uint32_t i = 0; i < l->n; i++) {
		struct cat_service *s = &cat->services[i];
		/* Counted first, so that cat_free sees its strings. */
		cat->nservices = i + 1;
		if (load_service(c, cat, yt_item(l, i), s) != 0 && stop(c, &bad))
			return -1;
		for (uint32_t j = 0; s->id[0] && j < i; j++)
			if (strcmp(cat->services[j].id, s->id) == 0) {
				fail(c, yt_get(yt_item(l, i), "id"), "duplicate service id "
				     "'%s' (first at line %u)", s->id,
				     cat->services[j].line);
				if (stop(c, &bad))
					return -1;
				break;
			}
	}
	if (bad)
		return -1;
	memcpy(cat->loaded, cat->services, cat->nservices * sizeof *cat->loaded);
	return 0;
}

void cat_free(struct catalog *cat)
{
	if (!cat)
		return;
	for (uint32_t i = 0; i < cat->ncond; i++)
		free(cat->cond[i].description);
	for (uint32_t i = 0; i < cat->nproducts; i++)
		free(cat->products[i].name);
	for (uint32_t i = 0; i < cat->nservices && cat->services; i++) {
		struct cat_service *s = &cat->services[i];
		free(s->process);
		free(s->purpose);
		free(s->note);
		free(s->ports_text);
		free(s->vendor);
	}
	free(cat->products);
	free(cat->services);
	free(cat->loaded); /* its strings are the services' */
	free(cat->title);
	free(cat->source);
	memset(cat, 0, sizeof *cat);
}

static int load_catalog_tree(struct lctx *c, struct catalog *cat,
                             const struct yt_node *root)
{
	static const struct keydef k[] = {
		{ "catalog", true }, { "conditions", true }, { "products", true },
		{ "services", true },
	};
	int bad = 0;
	if (!root || yt_is_null(root))
		return fail(c, root, "empty document: expected a catalog with "
		            "catalog, conditions, products and services");
	if (root->type != YT_MAP)
		return fail(c, root, "wrong type: a catalog must be a mapping with "
		            "keys catalog, conditions, products and services, not %s",
		            yt_type_name(root));
	if (check_keys(c, root, "the catalog", k, 4) != 0 && stop(c, &bad))
		return -1;
	c->offsets_unknown = true;
	c->cond_list = opt(root, "conditions");
	c->prod_list = opt(root, "products");
	const struct yt_node *v;
	if ((v = opt(root, "catalog")) && load_header(c, cat, v) != 0 &&
	    stop(c, &bad))
		return -1;
	/* Names of a list that is missing or not a list are unknowable. */
	c->cond_broken = !c->cond_list || c->cond_list->type != YT_SEQ;
	c->prod_broken = !c->prod_list || c->prod_list->type != YT_SEQ;
	if ((v = opt(root, "conditions")) && load_conditions(c, cat, v) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = opt(root, "products")) && load_products(c, cat, v) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = opt(root, "services")) && load_services(c, cat, v) != 0 &&
	    stop(c, &bad))
		return -1;
	return bad ? -1 : 0;
}

/* Load from a parsed tree (root may be NULL: an empty document). */
static int load_catalog_root(struct catalog *cat, struct lctx *c,
                             const struct yt_node *root,
                             const unsigned char *yaml, size_t len)
{
	int rc = load_catalog_tree(c, cat, root);
	if (rc == 0 && !(cat->source = strdup(c->src)))
		rc = oom(c, NULL);
	if (rc != 0) {
		cat_free(cat);
		return -1;
	}
	cat_sha256_hex(yaml, len, cat->sha256);
	return 0;
}

int cat_load_buffer(struct catalog *cat, const char *source,
                    const unsigned char *yaml, size_t len,
                    struct cat_error *err)
{
	memset(cat, 0, sizeof *cat);
	if (!source)
		source = "<catalog>";
	struct lctx c = { .src = source, .err = err };
	struct yt_node *root = NULL;
	if (yt_parse(&root, source, yaml, len, err) != 0)
		return -1;
	int rc = load_catalog_root(cat, &c, root, yaml, len);
	yt_free(root);
	return rc;
}

int cat_load_buffer_all(struct catalog *cat, const char *source,
                        const unsigned char *yaml, size_t len,
                        struct cat_errors *errs)
{
	struct cat_error scratch;
	memset(cat, 0, sizeof *cat);
	if (!source)
		source = "<catalog>";
	struct lctx c = { .src = source, .err = &scratch, .all = errs };
	struct yt_node *root = NULL;
	unsigned before = errs->n;
	if (yt_parse_all(&root, source, yaml, len, errs) != 0)
		return -1;
	int rc = load_catalog_root(cat, &c, root, yaml, len);
	yt_free(root);
	if (rc == 0 && errs->n != before) { /* tabs, reported and read past */
		cat_free(cat);
		rc = -1;
	}
	return rc;
}

/* Read a whole file; errors name it. */
unsigned char *cat_read_file(const char *path, size_t *len,
                             struct cat_error *err, const char *what)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err->msg, sizeof err->msg, "%s: cannot read: %s", path,
		         strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n > YT_MAX_INPUT) {
			snprintf(err->msg, sizeof err->msg, "%s: file too large (at "
			         "most %u bytes)", path, YT_MAX_INPUT);
			fclose(f);
			free(buf);
			return NULL;
		}
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (!buf) {
		snprintf(err->msg, sizeof err->msg, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	if (ferror(f)) {
		snprintf(err->msg, sizeof err->msg, "%s: cannot read: %s", path,
		         strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	if (n == 0) {
		snprintf(err->msg, sizeof err->msg, "%s: empty file: expected %s",
		         path, what);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int cat_load_file(struct catalog *cat, const char *path,
                  struct cat_error *err)
{
	if (!path || !*path)
		return cat_load_buffer(cat, "<built-in>", cat_builtin_yaml,
		                       cat_builtin_yaml_len, err);
	memset(cat, 0, sizeof *cat);
	size_t len;
	unsigned char *buf = cat_read_file(path, &len, err, "a catalog");
	if (!buf)
		return -1;
	int rc = cat_load_buffer(cat, path, buf, len, err);
	free(buf);
	return rc;
}

/* ---- the site profile ---------------------------------------------------- */

struct pctx {
	struct lctx c;
	const struct catalog *cat;
	struct cat_profile *prof;
};

static int prefix_node(struct lctx *c, const struct yt_node *v,
                       const char *key, struct cat_prefix *out)
{
	char why[160];
	if (want(c, v, YT_SCALAR, key) != 0)
		return -1;
	if (cat_prefix_parse_why(out, v->str, why, sizeof why) != 0)
		return fail(c, v, "%s", why);
	return 0;
}

static int prefix_list(struct lctx *c, const struct yt_node *v,
                       const char *key, struct cat_prefix **out, uint32_t *n)
{
	int bad = 0;
	if (want(c, v, YT_SEQ, key) != 0)
		return -1;
	if (v->n == 0)
		return fail(c, v, "'%s' must list at least one address or prefix",
		            key);
	if (v->n > PROF_MAX_LIST)
		return fail(c, v, "too many %s: at most %d", key, PROF_MAX_LIST);
	*out = calloc(v->n, sizeof **out);
	if (!*out)
		return oom(c, v);
	for (uint32_t i = 0; i < v->n; i++)
		if (prefix_node(c, yt_item(v, i), key, &(*out)[i]) != 0 &&
		    stop(c, &bad))
			return -1;
	*n = v->n;
	return bad ? -1 : 0;
}

static int list_len(struct lctx *c, const struct yt_node *v, const char *key)
{
	if (want(c, v, YT_SEQ, key) != 0)
		return -1;
	if (v->n > PROF_MAX_LIST)
		return fail(c, v, "too many %s: at most %d", key, PROF_MAX_LIST);
	return 0;
}

static int prof_servers(struct pctx *pc, const struct yt_node *l)
{
	static const struct keydef k[] = {
		{ "name", true }, { "role", false }, { "addresses", true },
	};
	struct lctx *c = &pc->c;
	struct cat_profile *prof = pc->prof;
	int bad = 0;
	if (list_len(c, l, "servers") != 0)
		return -1;
	prof->servers = calloc(l->n ? l->n : 1, sizeof *prof->servers);
	if (!prof->servers)
		return oom(c, l);
	for (uint32_t i = 0; i < l->n; i++) {
		const struct yt_node *e = yt_item(l, i);
		struct cat_server *s = &prof->servers[i];
		prof->nservers = i + 1;
		if (want(c, e, YT_MAP, "servers[]") != 0) {
			if (stop(c, &bad))
				return -1;
			continue;
		}
		if (check_keys(c, e, "a server", k, 3) != 0 && stop(c, &bad))
			return -1;
		const struct yt_node *v = opt(e, "name");
		if (v && get_short(c, v, "name", s->name) != 0 && stop(c, &bad))
			return -1;
		v = opt(e, "role");
		if (v && get_short(c, v, "role", s->role) != 0 && stop(c, &bad))
			return -1;
		if ((v = opt(e, "addresses")) &&
		    prefix_list(c, v, "addresses", &s->addrs, &s->naddrs) != 0 &&
		    stop(c, &bad))
			return -1;
	}
	return bad ? -1 : 0;
}

static int prof_features(struct pctx *pc, const struct yt_node *m)
{
	struct lctx *c = &pc->c;
	int bad = 0;
	if (m->type != YT_MAP)
		return fail(c, m, "wrong type: 'features' must be a mapping of "
		            "condition: true|false, not %s", yt_type_name(m));
	uint32_t line[CAT_MAX_COND] = { 0 };
	for (uint32_t i = 0; i < m->n; i++) {
		int ci = cond_ref(c, pc->cat, yt_key(m, i), "features");
		if (ci < 0) {
			if (stop(c, &bad))
				return -1;
			continue;
		}
		if (line[ci]) {
			fail(c, yt_key(m, i), "duplicate key '%s' (first at line %u)",
			     yt_key(m, i)->str, line[ci]);
			if (stop(c, &bad))
				return -1;
			continue;
		}
		line[ci] = yt_key(m, i)->line;
		bool on;
		if (get_bool(c, yt_val(m, i), yt_key(m, i)->str, &on) != 0) {
			if (stop(c, &bad))
				return -1;
			continue;
		}
		pc->prof->cond_set |= 1u << ci;
		if (on)
			pc->prof->cond_on |= 1u << ci;
	}
	return bad ? -1 : 0;
}

static int prof_products(struct pctx *pc, const struct yt_node *l)
{
	static const struct keydef k[] = { { "id", true }, { "devices", false } };
	struct lctx *c = &pc->c;
	struct cat_profile *prof = pc->prof;
	int bad = 0;
	prof->has_products = true; /* even empty: no vendor product is present */
	if (yt_is_null(l))
		return 0;
	if (list_len(c, l, "products") != 0)
		return -1;
	prof->products = calloc(l->n ? l->n : 1, sizeof *prof->products);
	bool *ok = calloc(l->n ? l->n : 1, sizeof *ok); /* entry i has a product */
	if (!prof->products || !ok) {
		free(ok);
		return oom(c, l);
	}
	for (uint32_t i = 0; i < l->n; i++) {
		const struct yt_node *e = yt_item(l, i), *idn = e;
		struct cat_profile_product *pp = &prof->products[i];
		prof->nproducts = i + 1; /* counted first: cat_profile_free */
		if (e->type == YT_MAP) {
			if (check_keys(c, e, "a product", k, 2) != 0 && stop(c, &bad))
				break;
			idn = opt(e, "id");
		} else if (e->type != YT_SCALAR) {
			fail(c, e, "wrong type: a product must be an id or a mapping "
			     "with 'id' and 'devices', not %s", yt_type_name(e));
			if (stop(c, &bad))
				break;
			continue;
		}
		int p = product_ref(c, pc->cat, idn, "id");
		if (p < 0 && stop(c, &bad))
			break;
		for (uint32_t j = 0; p >= 0 && j < i; j++)
			if (ok[j] && prof->products[j].product == (uint32_t)p) {
				fail(c, idn, "product '%s' is listed twice", idn->str);
				p = -1;
				break;
			}
		if (p < 0 && stop(c, &bad))
			break;
		if (p >= 0) {
			pp->product = (uint32_t)p;
			ok[i] = true;
		}
		const struct yt_node *d = e->type == YT_MAP ? opt(e, "devices") : NULL;
		if (d && prefix_list(c, d, "devices", &pp->devices,
		                     &pp->ndevices) != 0 && stop(c, &bad))
			break;
	}
	free(ok);
	return bad ? -1 : 0;
}

static int prof_require(struct pctx *pc, const struct yt_node *m)
{
	static const struct keydef k[] = {
		{ "services", false }, { "products", false },
	};
	struct lctx *c = &pc->c;
	const struct catalog *cat = pc->cat;
	struct cat_profile *prof = pc->prof;
	int bad = 0;
	if (want(c, m, YT_MAP, "require") != 0)
		return -1;
	if (check_keys(c, m, "'require'", k, 2) != 0 && stop(c, &bad))
		return -1;
	bool *req = calloc(cat->nservices ? cat->nservices : 1, sizeof *req);
	if (!req)
		return oom(c, m);
	const struct yt_node *v;
	if ((v = opt(m, "services"))) {
		if (list_len(c, v, "services") != 0) {
			if (stop(c, &bad))
				goto out;
		} else {
			for (uint32_t i = 0; i < v->n; i++) {
				int si = service_ref(c, cat, yt_item(v, i), "services");
				if (si >= 0)
					req[si] = true;
				else if (stop(c, &bad))
					goto out;
			}
		}
	}
	if ((v = opt(m, "products"))) {
		if (list_len(c, v, "products") != 0) {
			if (stop(c, &bad))
				goto out;
		} else {
			for (uint32_t i = 0; i < v->n; i++) {
				int pi = product_ref(c, cat, yt_item(v, i), "products");
				if (pi < 0) {
					if (stop(c, &bad))
						goto out;
					continue;
				}
				for (uint32_t s = 0; s < cat->nservices; s++)
					if (cat->services[s].product == (uint32_t)pi)
						req[s] = true;
			}
		}
	}
	uint32_t n = 0;
	for (uint32_t s = 0; !bad && s < cat->nservices; s++)
		n += req[s];
	if (!bad && n) {
		prof->required = calloc(n, sizeof *prof->required);
		if (!prof->required) {
			oom(c, m);
			bad = 1;
		}
		for (uint32_t s = 0; !bad && s < cat->nservices; s++)
			if (req[s])
				prof->required[prof->nrequired++] = s;
	}
out:
	free(req);
	return bad ? -1 : 0;
}

static int prof_overrides(struct pctx *pc, const struct yt_node *l)
{
	static const struct keydef k[] = {
		{ "service", true }, { "ports", false }, { "dynamic", false },
	};
	struct lctx *c = &pc->c;
	struct cat_profile *prof = pc->prof;
	int bad = 0;
	if (list_len(c, l, "overrides") != 0)
		return -1;
	prof->overrides = calloc(l->n ? l->n : 1, sizeof *prof->overrides);
	bool *ok = calloc(l->n ? l->n : 1, sizeof *ok); /* entry i names a service */
	if (!prof->overrides || !ok) {
		free(ok);
		return oom(c, l);
	}
	for (uint32_t i = 0; i < l->n; i++) {
		const struct yt_node *e = yt_item(l, i);
		struct cat_override *o = &prof->overrides[i];
		prof->noverrides = i + 1;
		if (want(c, e, YT_MAP, "overrides[]") != 0) {
			if (stop(c, &bad))
				break;
			continue;
		}
		o->line = e->line;
		o->col = e->col;
		if (check_keys(c, e, "an override", k, 3) != 0 && stop(c, &bad))
			break;
		const struct yt_node *sn = opt(e, "service");
		int si = service_ref(c, pc->cat, sn, "service");
		for (uint32_t j = 0; si >= 0 && j < i; j++)
			if (ok[j] && prof->overrides[j].service == (uint32_t)si) {
				fail(c, sn, "service '%s' is overridden twice", sn->str);
				si = -1;
				break;
			}
		if (si < 0 && stop(c, &bad))
			break;
		if (si >= 0) {
			o->service = (uint32_t)si;
			ok[i] = true;
		}
		const struct yt_node *pv = opt(e, "ports"), *dv = opt(e, "dynamic");
		if (!pv && !dv) {
			fail(c, e, "an override of '%s' needs 'ports' and/or "
			     "'dynamic'", sn ? sn->str : "a service");
			if (stop(c, &bad))
				break;
			continue;
		}
		bool fine = si >= 0;
		if (pv) {
			o->has_ports = true;
			o->line = pv->line;
			o->col = pv->col;
			if (parse_ports(c, pv, true, o->req, &o->nreq, NULL) != 0) {
				if (stop(c, &bad))
					break;
				fine = false;
			}
		}
		if (dv) {
			o->has_dynamic = true;
			if (parse_range(c, dv, false, &o->dynamic) != 0) {
				if (stop(c, &bad))
					break;
				fine = false;
			}
		}
		if (!fine)
			continue;
		const struct cat_service *s = cat_service_orig(pc->cat, (uint32_t)si);
		if (o->has_dynamic || s->has_dynamic) {
			uint16_t ctl = s->has_dynamic ? s->control : 135;
			bool has = o->has_ports ? reqs_contain(o->req, o->nreq, ctl)
			                        : reqs_contain(s->req, s->nreq, ctl);
			if (!has) {
				fail(c, dv ? dv : pv, "'dynamic' needs the control port "
				     "%u among the service's ports", (unsigned)ctl);
				if (stop(c, &bad))
					break;
			}
		}
	}
	free(ok);
	return bad ? -1 : 0;
}

void cat_profile_free(struct cat_profile *prof)
{
	if (!prof)
		return;
	for (uint32_t i = 0; i < prof->nservers && prof->servers; i++)
		free(prof->servers[i].addrs);
	for (uint32_t i = 0; i < prof->nproducts && prof->products; i++)
		free(prof->products[i].devices);
	free(prof->servers);
	free(prof->products);
	free(prof->required);
	free(prof->overrides);
	free(prof->site);
	free(prof->source);
	memset(prof, 0, sizeof *prof);
}

static int load_profile_tree(struct pctx *pc, const struct yt_node *root)
{
	static const struct keydef k[] = {
		{ "site", false }, { "base_port", false }, { "servers", false },
		{ "features", false }, { "products", false }, { "require", false },
		{ "overrides", false },
	};
	struct lctx *c = &pc->c;
	struct cat_profile *prof = pc->prof;
	int bad = 0;
	if (!root || yt_is_null(root))
		return fail(c, root, "empty document: expected a site profile");
	if (root->type != YT_MAP)
		return fail(c, root, "wrong type: a site profile must be a mapping, "
		            "not %s", yt_type_name(root));
	const struct yt_node *v;
	for (uint32_t i = 0; i < root->n; i++)
		if (strcmp(yt_key(root, i)->str, "catalog") == 0)
			return fail(c, yt_key(root, i), "this is a catalog, not a site "
			            "profile (it has a 'catalog' key)");
	if (check_keys(c, root, "the profile", k, sizeof k / sizeof k[0]) != 0 &&
	    stop(c, &bad))
		return -1;
	if (get_str(c, root, "site", &prof->site) != 0 && stop(c, &bad))
		return -1;
	if ((v = opt(root, "base_port"))) {
		if (get_port(c, v, "base_port", 1, &prof->base) != 0) {
			if (stop(c, &bad))
				return -1;
		} else {
			prof->has_base = true;
			prof->base_line = v->line;
			prof->base_col = v->col;
		}
	}
	if ((v = opt(root, "servers")) && prof_servers(pc, v) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = opt(root, "features")) && prof_features(pc, v) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = yt_get(root, "products")) && prof_products(pc, v) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = opt(root, "require")) && prof_require(pc, v) != 0 &&
	    stop(c, &bad))
		return -1;
	if ((v = opt(root, "overrides")) && prof_overrides(pc, v) != 0 &&
	    stop(c, &bad))
		return -1;
	return bad ? -1 : 0;
}

static int load_profile_root(struct pctx *pc, const struct yt_node *root,
                             const unsigned char *yaml, size_t len)
{
	int rc = load_profile_tree(pc, root);
	if (rc == 0 && !(pc->prof->source = strdup(pc->c.src)))
		rc = oom(&pc->c, NULL);
	if (rc != 0) {
		cat_profile_free(pc->prof);
		return -1;
	}
	cat_sha256_hex(yaml, len, pc->prof->sha256);
	return 0;
}

int cat_profile_load_buffer(struct cat_profile *prof,
                            const struct catalog *cat, const char *source,
                            const unsigned char *yaml, size_t len,
                            struct cat_error *err)
{
	memset(prof, 0, sizeof *prof);
	if (!source)
		source = "<profile>";
	struct pctx pc = { { .src = source, .err = err,
	                     .max_offset = cat->max_offset }, cat, prof };
	struct yt_node *root = NULL;
	if (yt_parse(&root, source, yaml, len, err) != 0)
		return -1;
	int rc = load_profile_root(&pc, root, yaml, len);
	yt_free(root);
	return rc;
}

int cat_profile_load_buffer_all(struct cat_profile *prof,
                                const struct catalog *cat, const char *source,
                                const unsigned char *yaml, size_t len,
                                struct cat_errors *errs)
{
	struct cat_error scratch;
	memset(prof, 0, sizeof *prof);
	if (!source)
		source = "<profile>";
	struct pctx pc = { { .src = source, .err = &scratch,
	                     .max_offset = cat->max_offset, .all = errs },
	                   cat, prof };
	struct yt_node *root = NULL;
	unsigned before = errs->n;
	if (yt_parse_all(&root, source, yaml, len, errs) != 0)
		return -1;
	int rc = load_profile_root(&pc, root, yaml, len);
	yt_free(root);
	if (rc == 0 && errs->n != before) { /* tabs, reported and read past */
		cat_profile_free(prof);
		rc = -1;
	}
	return rc;
}

int cat_profile_load_file(struct cat_profile *prof, const struct catalog *cat,
                          const char *path, struct cat_error *err)
{
	memset(prof, 0, sizeof *prof);
	if (!path || !*path) {
		snprintf(err->msg, sizeof err->msg, "no profile file given");
		return -1;
	}
	size_t len;
	unsigned char *buf = cat_read_file(path, &len, err, "a site profile");
	if (!buf)
		return -1;
	int rc = cat_profile_load_buffer(prof, cat, path, buf, len, err);
	free(buf);
	return rc;
}
