/*
 * cmd.c -- `portaudit catalog show|check`.
 *
 * Design. Both subcommands go through the same loaders and cat_apply() as
 * the audit itself, so what `catalog show` prints is exactly the model the
 * audit will use (same base port, same profile, same disabled services).
 * show prints an aligned table grouped by product (the vendor document's
 * tables) or, with --json, {"catalog", "profile", "services"} where every
 * service is cat_service_json(), the object the report's `services` share.
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
#include <sys/ioctl.h>
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

/* ---- show -------------------------------------------------------------- */

static void dir_column(const struct cat_service *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", cat_dir_name(s->dir),
	         s->oneway ? " 1-way" : "");
}

/* Print at most `width` characters (UTF-8 aware), "..." when cut. */
static void print_cut(const char *s, size_t width)
{
	size_t chars = 0, i = 0, cut = 0;
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars == (width > 3 ? width - 3 : width))
			cut = i;
		chars++;
	}
	if (chars <= width) {
		fputs(s, stdout);
		return;
	}
	fwrite(s, 1, cut, stdout);
	fputs("...", stdout);
}

static size_t term_width(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= 40)
		return ws.ws_col;
	return 0;
}

static void show_text(const struct cat_model *m, const struct catalog *cat)
{
	size_t wid = 2, wproto = 5, wports = 5, wdir = 9;
	char ports[256], dir[32];
	uint32_t ndisabled = 0, nrequired = 0;
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cat_service *s = &cat->services[i];
		cat_service_ports_format(s, ports, sizeof ports);
		dir_column(s, dir, sizeof dir);
		if (strlen(s->id) > wid)
			wid = strlen(s->id);
		if (strlen(ports) > wports)
			wports = strlen(ports);
		if (strlen(dir) > wdir)
			wdir = strlen(dir);
		ndisabled += !s->enabled;
		nrequired += m->required[i];
	}
	size_t used = 2 + wid + 2 + wproto + 2 + wports + 2 + wdir + 2;
	size_t tw = term_width();
	size_t wpurpose = tw ? (tw > used + 20 ? tw - used : 20) : 60;

	printf("Catalog %s: %s\n", cat->name, cat->title);
	printf("Source %s, base port %u, %u services in %u groups",
	       cat->source, (unsigned)m->base, cat->nservices, cat->nproducts);
	if (m->prof)
		printf(", profile %s", m->prof->source);
	printf("\n");
	for (uint32_t p = 0; p < cat->nproducts; p++) {
		bool any = false;
		for (uint32_t i = 0; i < cat->nservices; i++) {
			const struct cat_service *s = &cat->services[i];
			if (s->product != p)
				continue;
			if (!any) {
				printf("\n%s\n", cat->products[p].name);
				printf("  %-*s  %-*s  %-*s  %-*s  %s\n", (int)wid, "ID",
				       (int)wproto, "PROTO", (int)wports, "PORTS",
				       (int)wdir, "DIRECTION", "PURPOSE");
				any = true;
			}
			cat_service_ports_format(s, ports, sizeof ports);
			dir_column(s, dir, sizeof dir);
			const char *mark = !s->enabled ? "- " : m->required[i] ? "* "
			                                                        : "  ";
			printf("%s%-*s  %-*s  %-*s  %-*s  ", mark, (int)wid, s->id,
			       (int)wproto, cat_proto_name(s->proto), (int)wports, ports,
			       (int)wdir, dir);
			print_cut(s->purpose ? s->purpose : "", wpurpose);
			printf("\n");
		}
	}
	printf("\n");
	if (ndisabled || nrequired)
		printf("- disabled (%u), * required (%u)\n", ndisabled, nrequired);
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (!cat->services[i].enabled)
			printf("  - %s: %s\n", cat->services[i].id,
			       cat->services[i].disabled_reason);
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
	if (m->prof)
		json_object_set_new(root, "profile",
		                    json_pack("{s:s, s:s, s:s?}", "source",
		                              m->prof->source, "sha256",
		                              m->prof->sha256, "site", m->prof->site));
	else
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
		show_text(&m, &cat);
		if (fflush(stdout) != 0)
			rc = EXIT_USAGE;
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
	errs.n = 0;
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
	errs.n = 0;
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
	 * `services:` in a catalog whose header is missing); a file that
	 * cannot be read as YAML is checked as a catalog, and the loader
	 * reports why. The same tree positions the profile's lints. */
	struct cat_errors scratch;
	struct yt_node *root = NULL;
	scratch.n = 0;
	bool is_catalog = true;
	if (yt_parse_all(&root, o.file, buf, len, &scratch) == 0 && root &&
	    root->type == YT_MAP && !yt_get(root, "catalog") &&
	    !yt_get(root, "services"))
		is_catalog = false;
	if (is_catalog)
		rc = check_catalog(o.file, buf, len);
	else
		rc = check_profile(o.file, o.catalog, buf, len, root);
	yt_free(root);
	free(buf);
	return rc;
}

int cat_cmd_catalog(int argc, char **argv)
{
	if (argc < 2)
		return usage("expected 'show' or 'check'");
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: portaudit catalog show [--catalog FILE] [--profile "
		       "FILE] [--base-port N] [--json]\n"
		       "       portaudit catalog check FILE [--catalog FILE]\n");
		return 0;
	}
	return usage("unknown subcommand '%s' (expected 'show' or 'check')",
	             argv[1]);
}
