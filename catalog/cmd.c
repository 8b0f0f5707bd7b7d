/*
 * cmd.c -- `portaudit catalog show|check`.
 *
 * Design. Both subcommands go through the same loaders and cat_apply() as
 * the audit itself, so what `catalog show` prints is exactly the model the
 * audit will use (same base port, same profile, same disabled services).
 * show prints a table grouped by product (the vendor document's tables),
 * each product titled with its id and, with a profile, its devices; the
 * table is laid out for cat_term_width(): cells that do not fit wrap onto
 * continuation lines under their column (or, on a narrow terminal, the
 * purpose goes below the row), so that no line is wider than the terminal
 * and nothing is cut. With --json: {"catalog", "profile", "services"}
 * where every service is cat_service_json(), the object the report's
 * `services` share.
 * check decides catalog vs profile by the top-level `catalog:` key, loads
 * it with the collecting loaders (every error of the file, in the file's
 * order, at most CAT_MAX_ERRORS lines and a count of the rest; exit 2),
 * then lints what the schema cannot express: conflicting
 * directions on overlapping ports, local-only ports that something also
 * opens from outside, overlapping alternatives, dynamic ranges that swallow
 * fixed ports, and for profiles requirements and overrides that cannot take
 * effect, server addresses listed twice or also listed as devices, and
 * devices of a product that lie inside another of its devices. Lints
 * print "FILE:LINE:COL: warning: ..." and exit 1.
 * Options are parsed by hand (no getopt state shared with main); numbers
 * are bounded (strtoul with checks), usage errors exit 2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "yaml_tree.h"

#define EXIT_LINT 1
#define EXIT_USAGE 2

struct opts {
	const char *catalog, *profile, *file;
	unsigned long base;
	bool json;
};

__attribute__((format(printf, 1, 2)))
static int usage(const char *fmt, ...)
{
	va_list ap;
	fputs("portaudit: catalog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nUsage: portaudit catalog show [--catalog FILE] [--profile FILE] "
	      "[--base-port N] [--json]\n"
	      "       portaudit catalog check FILE [--catalog FILE]\n", stderr);
	return EXIT_USAGE;
}

/* "--name VALUE" or "--name=VALUE": 1 matched (value set), 0 not this
 * option, -1 missing value. */
static int opt_value(int argc, char **argv, int *i, const char *name,
                     const char **val)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int parse_opts(int argc, char **argv, struct opts *o, bool check)
{
	memset(o, 0, sizeof o[0]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int r;
		if ((r = opt_value(argc, argv, &i, "--catalog", &v)) != 0) {
			if (r < 0)
				return usage("option --catalog needs a FILE");
			o->catalog = v;
		} else if (!check && (r = opt_value(argc, argv, &i, "--profile", &v)) != 0) {
			if (r < 0)
				return usage("option --profile needs a FILE");
			o->profile = v;
		} else if (!check && (r = opt_value(argc, argv, &i, "--base-port", &v)) != 0) {
			if (r < 0)
				return usage("option --base-port needs a number");
			char *end;
			errno = 0;
			o->base = strtoul(v, &end, 10);
			if (!*v || *v < '0' || *v > '9' || errno || *end ||
			    o->base < 1 || o->base > 65535)
				return usage("--base-port: '%s' is not a port from 1 to "
				             "65535", v);
		} else if (!check && strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage("unknown option '%s'", a);
		} else if (check && !o->file) {
			o->file = a;
		} else {
			return usage("unexpected argument '%s'", a);
		}
	}
	if (check && !o->file)
		return usage("check needs a FILE");
	return 0;
}

/* ---- laying text out for a width -------------------------------------- */

/* Bytes of the UTF-8 character at s (1 for a stray byte; never past NUL). */
static size_t u8_len(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 1;
	for (size_t k = 1; k < n; k++)
		if (((unsigned char)s[k] & 0xc0) != 0x80)
			return k;
	return n;
}

/* Characters (code points) in s[0..n). */
static size_t u8_chars(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i += u8_len(s + i))
		chars++;
	return chars;
}

/* The next line of at most `width` characters of the text at *p: it ends
 * at a space, else after a ',' or '|' (port lists), else a word longer
 * than the width is split; spaces at its ends are dropped. *start is set
 * to it, *p moves past it. Returns its length in bytes, 0 at the end. */
static size_t next_piece(const char **p, size_t width, const char **start)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	*start = s;
	if (width == 0)
		width = 1;
	size_t i = 0, chars = 0, brk = 0;
	while (s[i] && chars < width) {
		size_t cl = u8_len(s + i);
		if (s[i] == ' ')
			brk = i;
		else if (s[i] == ',' || s[i] == '|')
			brk = i + 1;
		i += cl;
		chars++;
	}
	size_t len = !s[i] || s[i] == ' ' ? i : brk ? brk : i;
	*p = s + len;
	while (len && s[len - 1] == ' ')
		len--;
	return len;
}

static void spaces(size_t n)
{
	while (n--)
		putchar(' ');
}

/* `text` wrapped to `width` characters: the first line after `first`, the
 * others after `rest` (both counted in the width). */
static void print_wrapped(const char *text, size_t width, const char *first,
                          const char *rest)
{
	const char *p = text, *st;
	for (bool one = true;; one = false) {
		const char *lead = one ? first : rest;
		size_t room = width > strlen(lead) ? width - strlen(lead) : 1;
		size_t len = next_piece(&p, room, &st);
		if (!len && !one)
			return;
		fputs(len ? lead : "", stdout); /* no trailing blanks */
		fwrite(st, 1, len, stdout);
		putchar('\n');
		if (!len)
			return;
	}
}

/* One table row: cells side by side, each wrapped onto continuation lines
 * under its own column; `mark` (2 characters) starts the first line. */
#define MAX_CELLS 5
struct cell {
	const char *text;
	size_t width;
};

static void print_row(const char *mark, struct cell *c, unsigned n)
{
	const char *p[MAX_CELLS];
	for (unsigned k = 0; k < n; k++)
		p[k] = c[k].text;
	for (bool first = true;; first = false) {
		const char *st[MAX_CELLS];
		size_t len[MAX_CELLS];
		unsigned last = 0;
		bool any = false;
		for (unsigned k = 0; k < n; k++) {
			len[k] = next_piece(&p[k], c[k].width, &st[k]);
			if (len[k]) {
				any = true;
				last = k;
			}
		}
		if (!any && !first)
			return;
		fputs(first ? mark : "  ", stdout);
		for (unsigned k = 0; any && k <= last; k++) {
			if (k)
				fputs("  ", stdout);
			fwrite(st[k], 1, len[k], stdout);
			if (k < last)
				spaces(c[k].width - u8_chars(st[k], len[k]));
		}
		putchar('\n');
		if (!any)
			return;
	}
}

/* ---- show -------------------------------------------------------------- */

static void dir_column(const struct cat_service *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", cat_dir_name(s->dir),
	         s->oneway ? " 1-way" : "");
}

#define PORTS_MIN 11    /* "49152-65535", the longest unbreakable port text */
#define PORTS_WIDE 20   /* "1812|1645, 1813|1646" */
#define PURPOSE_MIN 30  /* narrower, the purpose goes on the lines below */
#define BELOW "      "  /* the indent of those lines */

enum shape {
	SHAPE_TABLE, /* every field in its column */
	SHAPE_BELOW, /* ID, PROTO, PORTS, DIRECTION in columns, purpose below */
	SHAPE_TEXT,  /* too narrow for columns: each service as wrapped text */
};

struct layout {
	size_t width; /* of the terminal */
	enum shape shape;
	size_t wid, wproto, wports, wdir, wpurpose;
};

/* Column widths for the terminal. ID and PROTO are as wide as their
 * longest value; PORTS and DIRECTION get at least PORTS_MIN and 9 (their
 * values wrap: "135 +" / "49152-65535", "both" / "1-way"); PURPOSE gets a
 * column of its own when at least PURPOSE_MIN are left, else its own lines
 * below the row. The room left widens DIRECTION, then PORTS, up to their
 * longest values (PORTS up to PORTS_WIDE when PURPOSE has a column), then
 * PURPOSE. Nothing is cut: what does not fit a cell continues on the next
 * line under it. */
static void plan(struct layout *L, const struct catalog *cat)
{
	char ports[256], dir[32];
	size_t maxports = 5, maxdir = 9;
	memset(L, 0, sizeof *L);
	L->width = cat_term_width(STDOUT_FILENO);
	L->wid = 2;
	L->wproto = 5;
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cat_service *s = &cat->services[i];
		cat_service_ports_format(s, ports, sizeof ports);
		dir_column(s, dir, sizeof dir);
		size_t n = u8_chars(s->id, strlen(s->id));
		if (n > L->wid)
			L->wid = n;
		if (strlen(ports) > maxports)
			maxports = strlen(ports);
		if (strlen(dir) > maxdir)
			maxdir = strlen(dir);
	}
	L->wports = PORTS_MIN;
	L->wdir = 9; /* "DIRECTION" */
	size_t cols = 2 + L->wid + 2 + L->wproto + 2 + L->wports + 2 + L->wdir;
	if (L->width < cols) {
		L->shape = SHAPE_TEXT;
		return;
	}
	size_t extra = L->width - cols, give;
	L->shape = extra >= 2 + PURPOSE_MIN ? SHAPE_TABLE : SHAPE_BELOW;
	if (L->shape == SHAPE_TABLE)
		extra -= 2 + PURPOSE_MIN;
	give = maxdir - L->wdir < extra ? maxdir - L->wdir : extra;
	L->wdir += give;
	extra -= give;
	/* With a purpose column, PORTS grows to PORTS_WIDE (most port lists
	 * fit; the few longer ones wrap) and PURPOSE takes the rest. */
	size_t upto = L->shape == SHAPE_TABLE && maxports > PORTS_WIDE ? PORTS_WIDE
	                                                               : maxports;
	give = upto > L->wports ? upto - L->wports : 0;
	give = give < extra ? give : extra;
	L->wports += give;
	extra -= give;
	if (L->shape == SHAPE_TABLE)
		L->wpurpose = PURPOSE_MIN + extra;
}

static void show_header(const struct layout *L)
{
	struct cell h[] = {
		{ "ID", L->wid }, { "PROTO", L->wproto }, { "PORTS", L->wports },
		{ "DIRECTION", L->wdir }, { "PURPOSE", L->wpurpose },
	};
	if (L->shape == SHAPE_TABLE) {
		print_row("  ", h, 5);
	} else if (L->shape == SHAPE_BELOW) {
		print_row("  ", h, 4);
		print_wrapped("PURPOSE", L->width, BELOW, BELOW);
	} else {
		print_wrapped("ID  PROTO  PORTS  DIRECTION", L->width, "  ", BELOW);
		print_wrapped("PURPOSE", L->width, BELOW, BELOW);
	}
}

static void show_service(const struct layout *L, const struct cat_model *m,
                         uint32_t i)
{
	const struct cat_service *s = &m->cat->services[i];
	char ports[256], dir[32];
	cat_service_ports_format(s, ports, sizeof ports);
	dir_column(s, dir, sizeof dir);
	const char *mark = !s->enabled ? "- " : m->required[i] ? "* " : "  ";
	const char *purpose = s->purpose ? s->purpose : "";
	struct cell c[] = {
		{ s->id, L->wid }, { cat_proto_name(s->proto), L->wproto },
		{ ports, L->wports }, { dir, L->wdir }, { purpose, L->wpurpose },
	};
	if (L->shape == SHAPE_TABLE) {
		print_row(mark, c, 5);
		return;
	}
	if (L->shape == SHAPE_BELOW) {
		print_row(mark, c, 4);
	} else {
		char line[400];
		snprintf(line, sizeof line, "%s  %s  %s  %s", s->id,
		         cat_proto_name(s->proto), ports, dir);
		print_wrapped(line, L->width, mark, BELOW);
	}
	print_wrapped(purpose, L->width, BELOW, BELOW);
}

/* The product's title: name and [id], and with a profile what it says of
 * the product (its devices, any peer, or not listed), on the same line
 * when it fits, else on its own lines below, indented. */
static void show_product(const struct layout *L, const struct cat_model *m,
                         uint32_t p)
{
	const struct catalog *cat = m->cat;
	const struct cat_product *pr = &cat->products[p];
	const struct cat_profile *prof = m->prof;
	const struct cat_profile_product *pp = NULL;
	for (uint32_t k = 0; prof && k < prof->nproducts; k++)
		if (prof->products[k].product == p)
			pp = &prof->products[k];
	size_t cap = 256 + (pp ? (size_t)pp->ndevices * 48 : 0), off = 0;
	char title[256];
	char *t = malloc(cap);
	if (!t)
		return;
	snprintf(title, sizeof title, "%s  [%s]", pr->name ? pr->name : pr->id,
	         pr->id);
	t[0] = '\0';
	if (pp && pp->ndevices) {
		off = (size_t)snprintf(t, cap, "devices:");
		for (uint32_t d = 0; d < pp->ndevices && off < cap; d++) {
			char a[64];
			cat_prefix_format(&pp->devices[d], a, sizeof a);
			off += (size_t)snprintf(t + off, cap - off, "%s %s",
			                        d ? "," : "", a);
		}
	} else if (pp) {
		snprintf(t, cap, "devices: any peer");
	} else if (prof && prof->has_products && !pr->always) {
		snprintf(t, cap, "not listed in the profile");
	}
	size_t tl = u8_chars(title, strlen(title)), dl = u8_chars(t, strlen(t));
	if (!*t) {
		print_wrapped(title, L->width, "", "    ");
	} else if (tl + 2 + dl <= L->width) {
		printf("%s  %s\n", title, t);
	} else {
		print_wrapped(title, L->width, "", "    ");
		print_wrapped(t, L->width, "    ", "      ");
	}
	free(t);
}

static void show_text(const struct cat_model *m, const struct catalog *cat)
{
	struct layout L;
	uint32_t ndisabled = 0, nrequired = 0;
	char line[1024];
	plan(&L, cat);
	for (uint32_t i = 0; i < cat->nservices; i++) {
		ndisabled += !cat->services[i].enabled;
		nrequired += m->required[i];
	}
	snprintf(line, sizeof line, "Catalog %s: %s", cat->name, cat->title);
	print_wrapped(line, L.width, "", "  ");
	int n = snprintf(line, sizeof line, "Source %s, base port %u, %u services "
	                 "in %u groups", cat->source, (unsigned)m->base,
	                 cat->nservices, cat->nproducts);
	if (m->prof && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, ", profile %s",
		         m->prof->source);
	print_wrapped(line, L.width, "", "  ");
	for (uint32_t p = 0; p < cat->nproducts; p++) {
		bool any = false;
		for (uint32_t i = 0; i < cat->nservices; i++) {
			if (cat->services[i].product != p)
				continue;
			if (!any) {
				printf("\n");
				show_product(&L, m, p);
				show_header(&L);
				any = true;
			}
			show_service(&L, m, i);
		}
	}
	printf("\n");
	if (ndisabled || nrequired) {
		snprintf(line, sizeof line, "- disabled (%u), * required (%u)",
		         ndisabled, nrequired);
		print_wrapped(line, L.width, "", "  ");
	}
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (!cat->services[i].enabled) {
			snprintf(line, sizeof line, "- %s: %s", cat->services[i].id,
			         cat->services[i].disabled_reason);
			print_wrapped(line, L.width, "  ", "    ");
		}
}

static int show_json(const struct cat_model *m, const struct catalog *cat)
{
	json_t *root = json_object(), *svcs = json_array();
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i}",
	                      "name", cat->name, "title", cat->title,
	                      "source", cat->source, "sha256", cat->sha256,
	                      "base_port", (int)m->base,
	                      "default_base_port", (int)cat->default_base,
	                      "services", (int)cat->nservices,
	                      "products", (int)cat->nproducts);
	if (!root || !svcs || !c) {
		json_decref(root);
		json_decref(svcs);
		json_decref(c);
		fputs("portaudit: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	json_t *conds = json_object();
	for (uint32_t i = 0; i < cat->ncond; i++)
		json_object_set_new(conds, cat->cond[i].id,
		                    json_boolean(m->cond_on & (1u << i)));
	json_object_set_new(c, "conditions", conds);
	json_object_set_new(root, "catalog", c);
	if (m->prof) {
		/* The products the profile names, with their devices (an empty
		 * list: any peer); null without a `products:` key. */
		const struct cat_profile *pf = m->prof;
		json_t *prods = pf->has_products ? json_array() : json_null();
		for (uint32_t k = 0; pf->has_products && k < pf->nproducts; k++) {
			const struct cat_profile_product *pp = &pf->products[k];
			json_t *dev = json_array();
			for (uint32_t d = 0; d < pp->ndevices; d++) {
				char a[64];
				cat_prefix_format(&pp->devices[d], a, sizeof a);
				json_array_append_new(dev, json_string(a));
			}
			json_array_append_new(prods, json_pack("{s:s, s:o}", "id",
			                      cat->products[pp->product].id,
			                      "devices", dev));
		}
		json_object_set_new(root, "profile",
		                    json_pack("{s:s, s:s, s:s?, s:o}", "source",
		                              pf->source, "sha256", pf->sha256,
		                              "site", pf->site, "products", prods));
	} else
		json_object_set_new(root, "profile", json_null());
	for (uint32_t i = 0; i < cat->nservices; i++)
		json_array_append_new(svcs, cat_service_json(m, i));
	json_object_set_new(root, "services", svcs);
	int rc = json_dumpf(root, stdout, JSON_INDENT(2));
	json_decref(root);
	fputs("\n", stdout);
	if (rc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "portaudit: catalog: cannot write: %s\n",
		        strerror(errno));
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, false);
	if (rc)
		return rc;
	struct catalog cat;
	struct cat_profile prof;
	struct cat_model m;
	struct cat_error err;
	if (cat_load_file(&cat, o.catalog, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (o.profile && cat_profile_load_file(&prof, &cat, o.profile, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		cat_free(&cat);
		return EXIT_USAGE;
	}
	rc = 0;
	if (cat_apply(&m, &cat, o.profile ? &prof : NULL, (uint16_t)o.base,
	              &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		rc = EXIT_USAGE;
	} else if (o.json) {
		rc = show_json(&m, &cat);
	} else {
		show_text(&m, &cat); /* its write errors: cat_cmd_catalog */
	}
	cat_model_free(&m);
	if (o.profile)
		cat_profile_free(&prof);
	cat_free(&cat);
	return rc;
}

/* ---- check ------------------------------------------------------------- */

struct lint {
	const char *file;
	unsigned warnings;
};

__attribute__((format(printf, 4, 5)))
static void warn(struct lint *l, uint32_t line, uint32_t col,
                 const char *fmt, ...)
{
	va_list ap;
	printf("%s:%u:%u: warning: ", l->file, line, col);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	l->warnings++;
}

static bool overlap(const struct cat_range *a, const struct cat_range *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

static void fmt_range(char *b, size_t n, const struct cat_range *r)
{
	if (r->lo == r->hi)
		snprintf(b, n, "%u", (unsigned)r->lo);
	else
		snprintf(b, n, "%u-%u", (unsigned)r->lo, (unsigned)r->hi);
}

/* The first overlap of two services' fixed ports, or false. */
static bool services_overlap(const struct cat_service *a,
                             const struct cat_service *b,
                             const struct cat_range **ra,
                             const struct cat_range **rb)
{
	for (uint8_t q = 0; q < a->nreq; q++)
		for (uint8_t x = 0; x < a->req[q].nalt; x++)
			for (uint8_t r = 0; r < b->nreq; r++)
				for (uint8_t y = 0; y < b->req[r].nalt; y++)
					if (overlap(&a->req[q].alt[x], &b->req[r].alt[y])) {
						*ra = &a->req[q].alt[x];
						*rb = &b->req[r].alt[y];
						return true;
					}
	return false;
}

static bool same_proto(const struct cat_service *a, const struct cat_service *b)
{
	return a->proto == b->proto || a->proto == CAT_PROTO_NONE ||
	       b->proto == CAT_PROTO_NONE;
}

static void lint_catalog(struct lint *l, const struct catalog *cat)
{
	char t1[16], t2[16];
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cat_service *s = &cat->services[i];
		/* Ranges of one service that overlap each other. */
		const struct cat_range *all[CAT_MAX_REQ * CAT_MAX_ALT];
		unsigned n = 0;
		for (uint8_t q = 0; q < s->nreq; q++)
			for (uint8_t a = 0; a < s->req[q].nalt; a++)
				all[n++] = &s->req[q].alt[a];
		bool found = false;
		for (unsigned x = 0; x < n && !found; x++)
			for (unsigned y = x + 1; y < n && !found; y++)
				if (overlap(all[x], all[y])) {
					fmt_range(t1, sizeof t1, all[x]);
					fmt_range(t2, sizeof t2, all[y]);
					warn(l, s->line, s->col, "service '%s': ports %s and "
					     "%s overlap", s->id, t1, t2);
					found = true;
				}
		/* A dynamic range that contains a fixed port. */
		for (unsigned x = 0; s->has_dynamic && x < n; x++)
			if (overlap(all[x], &s->dynamic)) {
				fmt_range(t1, sizeof t1, &s->dynamic);
				fmt_range(t2, sizeof t2, all[x]);
				warn(l, s->line, s->col, "service '%s': dynamic range %s "
				     "contains its port %s", s->id, t1, t2);
				break;
			}
		for (uint32_t j = i + 1; j < cat->nservices; j++) {
			const struct cat_service *o = &cat->services[j];
			const struct cat_range *ra, *rb;
			if (!same_proto(s, o))
				continue;
			bool conflict = s->product == o->product &&
			                ((s->dir == CAT_DIR_INBOUND && o->dir == CAT_DIR_OUTBOUND) ||
			                 (s->dir == CAT_DIR_OUTBOUND && o->dir == CAT_DIR_INBOUND));
			bool local = (s->dir == CAT_DIR_LOCAL &&
			              (o->dir == CAT_DIR_INBOUND || o->dir == CAT_DIR_BOTH)) ||
			             (o->dir == CAT_DIR_LOCAL &&
			              (s->dir == CAT_DIR_INBOUND || s->dir == CAT_DIR_BOTH));
			if (!(conflict || local) || !services_overlap(s, o, &ra, &rb))
				continue;
			fmt_range(t1, sizeof t1, ra);
			if (conflict)
				warn(l, o->line, o->col, "services '%s' (line %u) and '%s' "
				     "overlap on %s %s with conflicting directions %s and %s",
				     s->id, s->line, o->id, cat_proto_name(o->proto), t1,
				     cat_dir_name(s->dir), cat_dir_name(o->dir));
			else
				warn(l, o->line, o->col, "port %s %s is local-only in '%s' "
				     "but '%s' has it %s", cat_proto_name(o->proto), t1,
				     s->dir == CAT_DIR_LOCAL ? s->id : o->id,
				     s->dir == CAT_DIR_LOCAL ? o->id : s->id,
				     cat_dir_name(s->dir == CAT_DIR_LOCAL ? o->dir : s->dir));
		}
	}
}

static const struct yt_node *seq_at(const struct yt_node *map, const char *key)
{
	const struct yt_node *v = yt_get(map, key);
	return v && v->type == YT_SEQ ? v : NULL;
}

static int find_id(const struct catalog *cat, const char *id, bool service)
{
	if (service) {
		for (uint32_t i = 0; i < cat->nservices; i++)
			if (strcmp(cat->services[i].id, id) == 0)
				return (int)i;
	} else {
		for (uint32_t i = 0; i < cat->nproducts; i++)
			if (strcmp(cat->products[i].id, id) == 0)
				return (int)i;
	}
	return -1;
}

/* Do two prefixes share an address? (one contains the other) */
static bool prefix_overlap(const struct cat_prefix *a,
                           const struct cat_prefix *b)
{
	if (a->family != b->family)
		return false;
	return a->len <= b->len ? cat_prefix_contains(a, b->family, b->addr)
	                        : cat_prefix_contains(b, a->family, a->addr);
}

/* A device of a product that lies inside another device of the same
 * product (or is listed twice): it adds nothing, and the author may have
 * meant another address. Said at the contained one. Pairwise within each
 * product, so bounded like the server lint below: a product with
 * thousands of devices skips it. */
static void lint_devices(struct lint *l, const struct catalog *cat,
                         const struct cat_profile *prof,
                         const struct yt_node *root)
{
	const struct yt_node *pl = seq_at(root, "products");
	for (uint32_t p = 0; pl && p < prof->nproducts && p < pl->n; p++) {
		const struct cat_profile_product *pp = &prof->products[p];
		const struct yt_node *e = yt_item(pl, p);
		const struct yt_node *dl = e->type == YT_MAP ? seq_at(e, "devices")
		                                             : NULL;
		if (!dl || dl->n != pp->ndevices ||
		    (uint64_t)pp->ndevices * pp->ndevices > 50000000u)
			continue;
		const char *id = cat->products[pp->product].id;
		for (uint32_t k = 0; k < pp->ndevices; k++) {
			const struct cat_prefix *b = &pp->devices[k];
			const struct yt_node *bn = yt_item(dl, k);
			for (uint32_t j = 0; j < pp->ndevices; j++) {
				const struct cat_prefix *a = &pp->devices[j];
				const struct yt_node *an = yt_item(dl, j);
				if (j == k || a->family != b->family || a->len > b->len ||
				    !cat_prefix_contains(a, b->family, b->addr))
					continue;
				if (a->len == b->len) {
					if (j > k)
						continue; /* said at the second one */
					warn(l, bn->line, bn->col, "device %s of product '%s' "
					     "is listed twice (first at line %u, column %u)",
					     bn->str, id, an->line, an->col);
				} else {
					bool host = b->len == (b->family == 6 ? 128 : 32);
					warn(l, bn->line, bn->col, "device %s of product '%s' "
					     "lies inside %s listed %s it; %s", bn->str, id,
					     an->str, j < k ? "before" : "after",
					     host ? "a host inside a listed prefix is that "
					            "prefix's member"
					          : "a prefix inside a listed prefix adds "
					            "nothing to it");
				}
				break;
			}
		}
	}
}

/* Profile lints, positioned from the (already validated) tree. */
/* A base port whose offsets land on a port another row documents (base
 * 5429: base+3, reserved, is PostgreSQL's 5432): said at base_port. The
 * documented use wins a tie in the audit and the rules, but the author
 * most likely meant a base whose offsets are free. cat_apply has resolved
 * the ports with the profile's base. */
static void lint_base_collisions(struct lint *l, const struct catalog *cat,
                                 const struct yt_node *root, uint16_t base)
{
	const struct yt_node *b = yt_get(root, "base_port");
	uint32_t line = b ? b->line : 1, col = b ? b->col : 1;
	char t[16];
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cat_service *s = &cat->services[i];
		bool rel = false;
		for (uint8_t q = 0; q < s->nreq && !rel; q++)
			for (uint8_t a = 0; a < s->req[q].nalt; a++)
				rel |= s->req[q].alt[a].base_rel;
		if (!rel)
			continue;
		for (uint32_t j = 0; j < cat->nservices; j++) {
			const struct cat_service *o = &cat->services[j];
			const struct cat_range *ra, *rb;
			if (j == i || o->product == s->product || !same_proto(s, o) ||
			    !services_overlap(s, o, &ra, &rb))
				continue;
			fmt_range(t, sizeof t, ra);
			warn(l, line, col, "base port %u puts '%s' (%s) on %s, "
			     "which '%s' documents too%s; choose a base port whose "
			     "offsets are free", (unsigned)base, s->id,
			     cat_dir_name(s->dir), t, o->id,
			     s->dir == CAT_DIR_LOCAL || s->dir == CAT_DIR_RESERVED ?
			     ": the documented use wins" :
			     "");
			break;
		}
	}
}

static void lint_profile(struct lint *l, const struct catalog *cat,
                         const struct cat_profile *prof,
                         const struct yt_node *root)
{
	const struct yt_node *req = yt_get(root, "require"), *v;
	if (req && req->type == YT_MAP && (v = seq_at(req, "services")))
		for (uint32_t i = 0; i < v->n; i++) {
			int s = find_id(cat, yt_item(v, i)->str, true);
			if (s >= 0 && !cat->services[s].enabled)
				warn(l, yt_item(v, i)->line, yt_item(v, i)->col,
				     "required service '%s' is disabled: %s",
				     cat->services[s].id, cat->services[s].disabled_reason);
		}
	if (req && req->type == YT_MAP && (v = seq_at(req, "products")))
		for (uint32_t i = 0; i < v->n; i++) {
			int p = find_id(cat, yt_item(v, i)->str, false);
			uint32_t on = 0, first = 0;
			const char *why = NULL;
			for (uint32_t s = 0; p >= 0 && s < cat->nservices; s++)
				if (cat->services[s].product == (uint32_t)p) {
					if (cat->services[s].enabled)
						on++;
					else if (!why) {
						why = cat->services[s].disabled_reason;
						first = s;
					}
				}
			if (p >= 0 && on == 0)
				warn(l, yt_item(v, i)->line, yt_item(v, i)->col,
				     "required product '%s' has no enabled service "
				     "('%s': %s)", cat->products[p].id,
				     why ? cat->services[first].id : "-", why ? why : "none");
		}
	/* A server address that is also a device, or listed twice: pairwise,
	 * so bounded (a profile has a handful of servers; a generated one with
	 * thousands of addresses skips this lint rather than take minutes). */
	const struct yt_node *srv = seq_at(root, "servers");
	uint64_t naddr = 0, ndev = 0;
	for (uint32_t i = 0; i < prof->nservers; i++)
		naddr += prof->servers[i].naddrs;
	for (uint32_t p = 0; p < prof->nproducts; p++)
		ndev += prof->products[p].ndevices;
	if (naddr * (naddr + ndev) > 50000000u)
		srv = NULL;
	for (uint32_t i = 0; srv && i < srv->n && i < prof->nservers; i++) {
		const struct yt_node *al = seq_at(yt_item(srv, i), "addresses");
		const struct cat_server *s = &prof->servers[i];
		for (uint32_t k = 0; al && k < al->n && k < s->naddrs; k++) {
			const struct cat_prefix *a = &s->addrs[k];
			const struct yt_node *an = yt_item(al, k);
			bool dup = false;
			for (uint32_t j = 0; j <= i && !dup; j++)
				for (uint32_t q = 0; q < prof->servers[j].naddrs &&
				                     (j < i || q < k); q++)
					if (prefix_overlap(a, &prof->servers[j].addrs[q])) {
						warn(l, an->line, an->col, "address %s of server "
						     "'%s' overlaps '%s' of server '%s'", an->str,
						     s->name, yt_item(seq_at(yt_item(srv, j),
						     "addresses"), q)->str, prof->servers[j].name);
						dup = true;
						break;
					}
			for (uint32_t p = 0; p < prof->nproducts && !dup; p++) {
				const struct cat_profile_product *pp = &prof->products[p];
				for (uint32_t d = 0; d < pp->ndevices; d++)
					if (prefix_overlap(a, &pp->devices[d])) {
						char t[64];
						cat_prefix_format(&pp->devices[d], t, sizeof t);
						warn(l, an->line, an->col, "address %s of server "
						     "'%s' is also a device of product '%s' (%s)",
						     an->str, s->name,
						     cat->products[pp->product].id, t);
						dup = true;
						break;
					}
			}
		}
	}
	lint_devices(l, cat, prof, root);
	if ((v = seq_at(root, "overrides")))
		for (uint32_t i = 0; i < v->n; i++) {
			const struct yt_node *sn = yt_get(yt_item(v, i), "service");
			int s = sn ? find_id(cat, sn->str, true) : -1;
			if (s >= 0 && !cat->services[s].enabled)
				warn(l, sn->line, sn->col, "override of '%s' has no effect: "
				     "the service is disabled (%s)", cat->services[s].id,
				     cat->services[s].disabled_reason);
			if (s >= 0 && cat->services[s].has_dynamic) {
				const struct cat_service *sv = &cat->services[s];
				for (uint8_t q = 0; q < sv->nreq; q++)
					for (uint8_t a = 0; a < sv->req[q].nalt; a++)
						if (overlap(&sv->req[q].alt[a], &sv->dynamic)) {
							char t[16];
							fmt_range(t, sizeof t, &sv->req[q].alt[a]);
							warn(l, sn->line, sn->col, "override of '%s': "
							     "the dynamic range contains its port %s",
							     sv->id, t);
							q = sv->nreq - 1;
							break;
						}
			}
		}
}

/* Print the errors of a check, in the file's order: one line each, the
 * rest counted; returns EXIT_USAGE. */
static int print_errors(const char *file, struct cat_errors *errs)
{
	unsigned shown = errs->n < CAT_MAX_ERRORS ? errs->n : CAT_MAX_ERRORS;
	/* Insertion sort by line, column: at most CAT_MAX_ERRORS entries. */
	for (unsigned i = 1; i < shown; i++) {
		struct cat_error e = errs->e[i];
		unsigned j = i;
		while (j > 0 && (errs->e[j - 1].line > e.line ||
		                 (errs->e[j - 1].line == e.line &&
		                  errs->e[j - 1].col > e.col))) {
			errs->e[j] = errs->e[j - 1];
			j--;
		}
		errs->e[j] = e;
	}
	for (unsigned i = 0; i < shown; i++)
		fprintf(stderr, "portaudit: %s\n", errs->e[i].msg);
	if (errs->n > shown)
		fprintf(stderr, "portaudit: ... and %u more error%s\n",
		        errs->n - shown, errs->n - shown == 1 ? "" : "s");
	if (errs->tab_stop)
		fprintf(stderr, "portaudit: %s: not checked past line %u: the tab "
		        "there could not be read past (too many tabs, or no "
		        "indentation fits); fix it and check again\n", file,
		        (unsigned)errs->tab_stop);
	if (errs->n > 1)
		fprintf(stderr, "portaudit: %s: %u errors\n", file, errs->n);
	return EXIT_USAGE;
}

static int check_catalog(const char *file, const unsigned char *buf,
                         size_t len)
{
	struct cat_errors errs;
	struct cat_error err;
	struct catalog cat;
	struct cat_model m;
	struct lint l = { file, 0 };
	memset(&errs, 0, sizeof errs);
	if (cat_load_buffer_all(&cat, file, buf, len, &errs) != 0)
		return print_errors(file, &errs);
	if (cat_apply(&m, &cat, NULL, 0, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		cat_free(&cat);
		return EXIT_USAGE;
	}
	lint_catalog(&l, &cat);
	if (!l.warnings)
		printf("ok: catalog %s, %u services, %u products\n", cat.name,
		       cat.nservices, cat.nproducts);
	cat_model_free(&m);
	cat_free(&cat);
	return l.warnings ? EXIT_LINT : 0;
}

static int check_profile(const char *file, const char *catalog,
                         const unsigned char *buf, size_t len,
                         const struct yt_node *root)
{
	struct cat_errors errs;
	struct cat_error err;
	struct catalog cat;
	struct cat_profile prof;
	struct cat_model m;
	struct lint l = { file, 0 };
	memset(&errs, 0, sizeof errs);
	if (cat_load_file(&cat, catalog, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (cat_profile_load_buffer_all(&prof, &cat, file, buf, len, &errs) != 0) {
		cat_free(&cat);
		return print_errors(file, &errs);
	}
	int rc = 0;
	if (cat_apply(&m, &cat, &prof, 0, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		rc = EXIT_USAGE;
	} else {
		lint_profile(&l, &cat, &prof, root);
		lint_base_collisions(&l, &cat, root, m.base);
		uint32_t req = 0;
		for (uint32_t i = 0; i < cat.nservices; i++)
			req += m.required[i];
		if (l.warnings)
			rc = EXIT_LINT;
		else
			printf("ok: profile %s, %u servers, %u products, %u required "
			       "services, %u overrides (catalog %s, base port %u)\n",
			       file, prof.nservers, prof.nproducts, req,
			       prof.noverrides, cat.name, (unsigned)m.base);
		cat_model_free(&m);
	}
	cat_profile_free(&prof);
	cat_free(&cat);
	return rc;
}

/* Does a line of buf start with `key:` (a top-level key in block style)? */
static bool top_key(const unsigned char *buf, size_t len, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < len;) {
		if (len - i > n && memcmp(buf + i, key, n) == 0 && buf[i + n] == ':')
			return true;
		const unsigned char *nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - buf) + 1;
	}
	return false;
}

static int cmd_check(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o, true);
	if (rc)
		return rc;
	struct cat_error err;
	size_t len = 0;
	unsigned char *buf = cat_read_file(o.file, &len, &err, "a catalog or "
	                                   "a site profile");
	if (!buf) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		return EXIT_USAGE;
	}
	/* Which kind of file? The top-level keys say (`catalog:`, or
	 * `services:` in a catalog whose header is missing). When the YAML
	 * cannot be read as it is (a tab, a syntax error), a line that starts
	 * with one of those keys says it; the loader then reports what is
	 * wrong. The tree also positions the profile's lints. */
	struct cat_error scratch;
	struct yt_node *root = NULL;
	bool is_catalog = true;
	if (yt_parse(&root, o.file, buf, len, &scratch) == 0)
		is_catalog = !root || root->type != YT_MAP ||
		             yt_get(root, "catalog") || yt_get(root, "services");
	else
		is_catalog = top_key(buf, len, "catalog") ||
		             top_key(buf, len, "services");
	if (is_catalog)
		rc = check_catalog(o.file, buf, len);
	else
		rc = check_profile(o.file, o.catalog, buf, len, root);
	yt_free(root);
	free(buf);
	return rc;
}

/* What a command printed must have reached standard output: a full disk
 * or a closed pipe is an error (exit 2), not an "ok" nobody saw. A
 * command that failed has said why already. */
static int stdout_written(int rc)
{
	if (rc == EXIT_USAGE)
		return rc;
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "portaudit: catalog: cannot write to standard "
		        "output: %s\n", errno ? strerror(errno) : "write error");
		return EXIT_USAGE;
	}
	return rc;
}

int cat_cmd_catalog(int argc, char **argv)
{
	if (argc < 2)
		return usage("expected 'show' or 'check'");
	if (strcmp(argv[1], "show") == 0)
		return stdout_written(cmd_show(argc, argv));
	if (strcmp(argv[1], "check") == 0)
		return stdout_written(cmd_check(argc, argv));
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: portaudit catalog show [--catalog FILE] [--profile "
		       "FILE] [--base-port N] [--json]\n"
		       "       portaudit catalog check FILE [--catalog FILE]\n");
		return stdout_written(0);
	}
	return usage("unknown subcommand '%s' (expected 'show' or 'check')",
	             argv[1]);
}
