/*
 * it_catalog.c -- `portaudit catalog show|check` and profile errors through
 * the real binary: exit codes, messages with file:line:col, the table, the
 * JSON.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text line of service `id` in a `catalog show` table, or NULL. */
static char *line_of(const char *out, const char *id)
{
	static char line[1024];
	size_t n = strlen(id);
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p + 2, id, n) == 0 && p[2 + n] == ' ') {
			const char *e = strchr(p, '\n');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			if (len >= sizeof line)
				len = sizeof line - 1;
			memcpy(line, p, len);
			line[len] = '\0';
			return line;
		}
	}
	return NULL;
}

static void test_show_text(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "catalog", "show", NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "\nBase Ports  [base]\n"));
	assert_true(pa_contains(r.out, "\nCommon Ports  [common]\n"));
	assert_true(pa_contains(r.out, "\nCisco Unified Communications Manager  [cisco-cucm]\n"));
	assert_true(pa_contains(r.out, "base port 1960"));
	char *l = line_of(r.out, "base-router");
	assert_non_null(l);
	assert_true(pa_contains(l, " tcp "));
	assert_true(pa_contains(l, " 1960 "));
	assert_true(pa_contains(l, "inbound"));
	assert_non_null(l = line_of(r.out, "base-jvm"));
	assert_true(pa_contains(l, " 1966 "));
	assert_non_null(l = line_of(r.out, "cm-wmi"));
	assert_true(pa_contains(l, "135 + 49152-65535 (dynamic)"));
	pa_result_free(&r);

	pa_runl(&r, "catalog", "show", "--base-port", "3000", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(l = line_of(r.out, "base-router"));
	assert_true(pa_contains(l, " 3000 "));
	assert_non_null(l = line_of(r.out, "base-reserved-3"));
	assert_true(pa_contains(l, " 3003 "));
	assert_non_null(l = line_of(r.out, "base-jvm"));
	assert_true(pa_contains(l, " 3006 "));
	assert_null(line_of(r.out, "nonexistent-service"));
	pa_result_free(&r);

	/* With a profile: disabled services are marked and explained. */
	pa_runl(&r, "catalog", "show", "--profile", pa_src("catalog/site-example.yaml"), NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "- common-ldap "));
	assert_true(pa_contains(r.out, "common-ldap: condition 'ldap' is off in the profile"));
	assert_true(pa_contains(r.out, "* base-router "));
	assert_true(pa_contains(r.out, "is not listed in the profile"));
	pa_result_free(&r);
}

static void test_show_json(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "catalog", "show", "--json", NULL);
	assert_int_equal(r.status, 0);
	json_error_t je;
	json_t *root = json_loads(r.out, 0, &je);
	assert_non_null(root);
	json_t *c = json_object_get(root, "catalog");
	assert_string_equal(json_string_value(json_object_get(c, "name")), "prognosis");
	assert_int_equal(json_integer_value(json_object_get(c, "base_port")), 1960);
	assert_int_equal(strlen(json_string_value(json_object_get(c, "sha256"))), 64);
	assert_true(json_is_null(json_object_get(root, "profile")));
	json_t *svcs = json_object_get(root, "services");
	assert_true(json_array_size(svcs) > 100);
	static const char *const fields[] = {
		"id", "group", "product", "protocol", "ports", "dynamic", "direction",
		"oneway", "conditions", "enabled", "disabled_reason", "required",
		"process", "purpose", "vendor", "note",
	};
	size_t i;
	json_t *s;
	int seen_router = 0, seen_any = 0, seen_dyn = 0;
	json_array_foreach(svcs, i, s) {
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
			if (!json_object_get(s, fields[f]))
				fail_msg("service %zu lacks %s", i, fields[f]);
		assert_true(json_is_string(json_object_get(s, "purpose")));
		assert_true(json_array_size(json_object_get(s, "ports")) > 0);
		const char *id = json_string_value(json_object_get(s, "id"));
		if (strcmp(id, "base-router") == 0) {
			seen_router = 1;
			assert_int_equal(json_integer_value(json_array_get(json_object_get(s, "ports"), 0)), 1960);
			assert_string_equal(json_string_value(json_object_get(s, "group")), "Base Ports");
		}
		json_t *p0 = json_array_get(json_object_get(s, "ports"), 0);
		if (json_is_object(p0) && json_is_array(json_object_get(p0, "any")))
			seen_any = 1;
		if (json_is_object(json_object_get(s, "dynamic")))
			seen_dyn = 1;
	}
	assert_true(seen_router && seen_any && seen_dyn);
	json_decref(root);
	pa_result_free(&r);

	pa_runl(&r, "catalog", "show", "--json", "--base-port=2500", "--profile",
	        pa_src("catalog/site-example.yaml"), NULL);
	assert_int_equal(r.status, 0);
	root = json_loads(r.out, 0, &je);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "catalog"), "base_port")), 2500);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "profile"), "site")),
	                    "Example Corp DC1");
	json_decref(root);
	pa_result_free(&r);
}

static const char LINT[] =
	"catalog: {name: lint, max_offset: 6}\n"
	"conditions: []\n"
	"products: [{id: p, name: P}]\n"
	"services:\n"
	"  - {id: in, product: p, protocol: tcp, ports: [5000], direction: inbound, purpose: a}\n"
	"  - {id: out, product: p, protocol: tcp, ports: [\"4000-6000\"], direction: outbound, purpose: b}\n"
	"  - {id: loc, product: p, protocol: tcp, ports: [base+1], direction: local, purpose: c}\n"
	"  - {id: open, product: p, protocol: tcp, ports: [1961], direction: both, purpose: d}\n"
	"  - {id: alt, product: p, protocol: udp, ports: [{any: [1812, \"1800-1900\"]}], direction: inbound, purpose: e}\n"
	"  - {id: dyn, product: p, protocol: tcp, ports: [135, 50000], dynamic: 49152-65535, direction: outbound, purpose: f}\n";

static void test_check(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "catalog", "check", pa_src("catalog/prognosis.yaml"), NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "ok: catalog prognosis, "));
	assert_true(pa_contains(r.out, " services, 31 products"));
	pa_result_free(&r);

	pa_runl(&r, "catalog", "check", pa_src("catalog/site-example.yaml"), NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "ok: profile "));
	assert_true(pa_contains(r.out, "2 servers, 3 products"));
	pa_result_free(&r);

	/* A device inside another device of the same product, either order;
	 * a prefix inside a prefix; a device listed twice. Not across
	 * products, not across families. */
	char dev[1024];
	snprintf(dev, sizeof dev, "%s", pa_tmp("devices.yaml"));
	pa_write_file(dev, "products:\n"
	              "  - id: cisco-cucm\n"
	              "    devices: [10.1.0.0/28, 10.1.0.11, \"2001:db8::11\"]\n"
	              "  - id: avaya-cm\n"
	              "    devices: [10.2.0.20, 10.2.0.0/16, 10.2.0.0/24, 10.1.0.11]\n"
	              "  - id: avaya-aes\n"
	              "    devices: [10.3.0.1, 10.3.0.2, 10.3.0.1]\n");
	pa_runl(&r, "catalog", "check", dev, NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "devices.yaml:3:28: warning: device 10.1.0.11 of "
	                        "product 'cisco-cucm' lies inside 10.1.0.0/28 listed "
	                        "before it; a host inside a listed prefix is that "
	                        "prefix's member\n"));
	assert_true(pa_contains(r.out, "devices.yaml:5:15: warning: device 10.2.0.20 of "
	                        "product 'avaya-cm' lies inside 10.2.0.0/16 listed "
	                        "after it; a host inside a listed prefix is that "
	                        "prefix's member\n"));
	assert_true(pa_contains(r.out, "devices.yaml:5:39: warning: device 10.2.0.0/24 of "
	                        "product 'avaya-cm' lies inside 10.2.0.0/16 listed "
	                        "before it; a prefix inside a listed prefix adds "
	                        "nothing to it\n"));
	assert_true(pa_contains(r.out, "devices.yaml:7:35: warning: device 10.3.0.1 of "
	                        "product 'avaya-aes' is listed twice (first at line 7, "
	                        "column 15)\n"));
	unsigned nwarn = 0;
	for (const char *w = r.out; (w = strstr(w, ": warning: ")) != NULL; w++)
		nwarn++;
	assert_int_equal(nwarn, 4);
	assert_false(pa_contains(r.out, "2001:db8::11 of"));
	assert_false(pa_contains(r.out, "10.2.0.0/16 of"));
	assert_false(pa_contains(r.out, ":5:52: "));
	assert_false(pa_contains(r.out, "ok:"));
	pa_result_free(&r);

	/* A base port whose reserved offset lands on a documented port. */
	char b5[1024];
	snprintf(b5, sizeof b5, "%s", pa_tmp("base5429.yaml"));
	pa_write_file(b5, "base_port: 5429\nservers:\n  - name: mon\n"
	              "    addresses: [10.0.0.5]\n");
	pa_runl(&r, "catalog", "check", b5, NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "base5429.yaml:1:12: warning: base port "
	                        "5429 puts 'base-reserved-3' (reserved) on 5432, "
	                        "which 'common-postgresql' documents too: the "
	                        "documented use wins; choose a base port whose "
	                        "offsets are free\n"));
	pa_result_free(&r);

	char lint[1024];
	snprintf(lint, sizeof lint, "%s", pa_tmp("lint.yaml"));
	pa_write_file(lint, LINT);
	pa_runl(&r, "catalog", "check", lint, NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "lint.yaml:6:5: warning: services 'in' (line 5) and "
	                        "'out' overlap on tcp 5000 with conflicting directions "
	                        "inbound and outbound"));
	assert_true(pa_contains(r.out, "lint.yaml:8:5: warning: port tcp 1961 is local-only "
	                        "in 'loc' but 'open' has it both"));
	assert_true(pa_contains(r.out, "lint.yaml:9:5: warning: service 'alt': ports 1812 "
	                        "and 1800-1900 overlap"));
	assert_true(pa_contains(r.out, "lint.yaml:10:5: warning: service 'dyn': dynamic "
	                        "range 49152-65535 contains its port 50000"));
	assert_false(pa_contains(r.out, "ok:"));
	pa_result_free(&r);

	/* A profile with lints: required but disabled; checked against --catalog. */
	char prof[1024];
	snprintf(prof, sizeof prof, "%s", pa_tmp("lintprof.yaml"));
	pa_write_file(prof, "products: []\nrequire:\n  services: [in, dyn]\n"
	              "servers:\n  - {name: a, addresses: [10.0.0.5, 10.0.0.0/24]}\n"
	              "  - {name: b, addresses: [10.0.1.1]}\n");
	pa_runl(&r, "catalog", "check", prof, "--catalog", lint, NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "lintprof.yaml:3:14: warning: required service 'in' "
	                        "is disabled: product 'P' is not listed in the profile"));
	assert_true(pa_contains(r.out, "lintprof.yaml:5:37: warning: address 10.0.0.0/24 of "
	                        "server 'a' overlaps '10.0.0.5' of server 'a'"));
	assert_false(pa_contains(r.out, "10.0.1.1 of"));
	pa_result_free(&r);

	/* A server that is also a device of a listed product. */
	pa_write_file(prof, "products:\n  - {id: p, devices: [10.9.0.0/16]}\n"
	              "servers:\n  - {name: a, addresses: [10.9.3.4]}\n");
	pa_runl(&r, "catalog", "check", prof, "--catalog", lint, NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "lintprof.yaml:4:27: warning: address 10.9.3.4 of "
	                        "server 'a' is also a device of product 'p' (10.9.0.0/16)"));
	pa_result_free(&r);

	/* Load errors exit 2 with file:line:col. */
	char bad[1024];
	snprintf(bad, sizeof bad, "%s", pa_tmp("bad.yaml"));
	pa_write_file(bad, "catalog: {name: b}\nconditions: []\nproducts: []\nservices:\n"
	              "  - {id: x, product: nope, protocol: tcp, ports: [1], direction: inbound, purpose: p}\n");
	pa_runl(&r, "catalog", "check", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: "));
	assert_true(pa_contains(r.err, "bad.yaml:5:22: unknown product 'nope'"));
	pa_result_free(&r);

	pa_write_file(bad, "servers:\n  - name: m\n    addresses: [10.0.0.300]\n");
	pa_runl(&r, "catalog", "check", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "bad.yaml:3:17: '10.0.0.300' is not an IPv4/IPv6 address or prefix"));
	pa_result_free(&r);

	pa_write_file(bad, "products: []\nservices: []\n"); /* no header */
	pa_runl(&r, "catalog", "check", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "bad.yaml:1:1: missing required key 'catalog' in the catalog"));
	pa_result_free(&r);

	pa_write_file(bad, "servers: [\n");
	pa_runl(&r, "catalog", "check", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "bad.yaml:2:1: invalid YAML"));
	pa_result_free(&r);

	pa_runl(&r, "catalog", "check", pa_tmp("missing.yaml"), NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "missing.yaml: cannot read: No such file or directory"));
	pa_result_free(&r);

	pa_write_file(bad, "");
	pa_runl(&r, "catalog", "check", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "bad.yaml: empty file"));
	pa_result_free(&r);
}

/* ---- a tab where YAML wants spaces -------------------------------------- */

/* The message says "tab", for a profile or a catalog, in catalog check
 * and in the audit alike. */
static void test_tab(void **state)
{
	(void)state;
	struct pa_result r;
	char site[1024], cat[1024];
	snprintf(site, sizeof site, "%s", pa_tmp("site.yaml"));
	snprintf(cat, sizeof cat, "%s", pa_tmp("tabcat.yaml"));
	pa_write_file(site, "site: x\nservers:\n  - name: a\n\taddresses: [10.0.0.5]\n");
	pa_runl(&r, "catalog", "check", site, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: "));
	assert_true(pa_contains(r.err, "site.yaml:4:1: a tab character: YAML indents "
	                        "with spaces, not tabs\n"));
	pa_result_free(&r);
	pa_runl(&r, "--profile", site, "-r", "x", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "site.yaml:4:1: a tab character: YAML indents "
	                        "with spaces, not tabs\n"));
	pa_result_free(&r);

	/* catalog check reads past it, as a profile: its other mistakes too. */
	pa_write_file(site, "site: x\nservers:\n  - name: a\n\taddresses: [10.0.0.300]\n"
	              "products: [cisco-cucmm]\n");
	pa_runl(&r, "catalog", "check", site, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "site.yaml:4:1: a tab character"));
	assert_true(pa_contains(r.err, "site.yaml:4:14: '10.0.0.300' is not an IPv4/IPv6 "
	                        "address or prefix\n"));
	assert_true(pa_contains(r.err, "site.yaml:5:12: unknown product 'cisco-cucmm'"));
	assert_true(pa_contains(r.err, "site.yaml: 3 errors\n"));
	pa_result_free(&r);

	pa_write_file(cat, "catalog:\n  name: c\n  \ttitle: T\nconditions: []\n"
	              "products: []\nservices: []\n");
	pa_runl(&r, "catalog", "show", "--catalog", cat, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "tabcat.yaml:3:3: a tab character: YAML "
	                        "indents with spaces, not tabs\n"));
	pa_result_free(&r);
}

/* ---- catalog check: every error of the file ----------------------------- */

/* Eight independent mistakes; each one is an error of its own, and
 * nothing else is reported (no echo of an earlier mistake). */
static const char MANY[] =
	"catalog: {name: many, max_offset: 6}\n"          /* 1 */
	"conditions: [{id: ldap}]\n"
	"products:\n"
	"  - {id: p, name: P}\n"
	"services:\n"                                     /* 5 */
	"  - id: one\n"
	"    product: p\n"
	"    protocl: tcp\n"                              /* unknown key */
	"    ports: [22]\n"
	"    direction: inbound\n"                        /* 10 */
	"    purpose: a\n"
	"  - id: two\n"
	"    product: p\n"
	"    protocol: tcp\n"
	"    ports: [70000]\n"                            /* 15: bad port */
	"    direction: inbound\n"
	"    purpose: b\n"
	"  - id: three\n"
	"    product: p\n"
	"    protocol: sctp\n"                            /* 20: bad protocol */
	"    ports: [23]\n"
	"    direction: inbound\n"
	"    purpose: c\n"
	"  - id: two\n"                                   /* duplicate id */
	"    product: p\n"                                /* 25 */
	"    protocol: udp\n"
	"    ports: [24]\n"
	"    direction: inbound\n"
	"    purpose: d\n"
	"  - id: five\n"                                  /* 30 */
	"    product: p\n"
	"    protocol: tcp\n"
	"    ports: [25]\n"
	"    direction: sideways\n"                       /* bad direction */
	"    purpose: e\n"                                /* 35 */
	"  - id: six\n"
	"\tproduct: p\n"                                  /* a tab */
	"    protocol: tcp\n"
	"    ports: [26]\n"
	"    direction: inbound\n"                        /* 40 */
	"    purpose: f\n"
	"  - id: seven\n"
	"    product: nope\n"                             /* unknown product */
	"    protocol: tcp\n"
	"    ports: [27]\n"                               /* 45 */
	"    direction: inbound\n"
	"    purpose: g\n"
	"    conditions: [ldapp]\n";                      /* unknown condition */

/* How many lines of `text` start with `prefix` and then a digit (the
 * lines "FILE:LINE:COL: ..." when prefix is "portaudit: FILE:"). */
static unsigned lines_starting(const char *text, const char *prefix)
{
	unsigned n = 0;
	size_t k = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, k) == 0 && p[k] >= '0' && p[k] <= '9';
	return n;
}

static void test_check_all_errors(void **state)
{
	(void)state;
	struct pa_result r;
	char f[1024];
	snprintf(f, sizeof f, "%s", pa_tmp("many.yaml"));
	pa_write_file(f, MANY);
	pa_runl(&r, "catalog", "check", f, NULL);
	assert_int_equal(r.status, 2);
	static const char *const want[] = {
		"many.yaml:8:5: unknown key 'protocl' (did you mean 'protocol'?)\n",
		"many.yaml:15:13: port 70000 is outside 0-65535\n",
		"many.yaml:20:15: unknown protocol 'sctp' (expected tcp, udp or none)\n",
		"many.yaml:24:9: duplicate service id 'two' (first at line 12)\n",
		"many.yaml:34:16: unknown direction 'sideways' (expected inbound, "
		"outbound, both, internal, local or reserved)\n",
		"many.yaml:37:1: a tab character: YAML indents with spaces, not tabs\n",
		"many.yaml:43:14: unknown product 'nope'\n",
		"many.yaml:48:18: unknown condition 'ldapp' (did you mean 'ldap'?)\n",
	};
	const char *at = r.err;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *hit = strstr(r.err, want[i]);
		if (!hit)
			fail_msg("missing: %s in:\n%s", want[i], r.err);
		assert_true(hit >= at); /* in the file's order */
		at = hit;
	}
	char pre[1100];
	snprintf(pre, sizeof pre, "portaudit: %s:", f);
	assert_int_equal(lines_starting(r.err, pre), 8);
	assert_true(pa_contains(r.err, "many.yaml: 8 errors\n"));
	assert_string_equal(r.out, "");
	pa_result_free(&r);

	/* The audit still stops at the first one (the YAML is read before
	 * its meaning), with one message. */
	pa_runl(&r, "--catalog", f, "-r", "x", NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(lines_starting(r.err, pre), 1);
	assert_true(pa_contains(r.err, "many.yaml:37:1: a tab character"));
	assert_false(pa_contains(r.err, "errors"));
	pa_result_free(&r);

	/* A profile: servers, features, products, require and overrides each
	 * with their own mistakes. */
	pa_write_file(f, "sever: 1\n"
	              "servers:\n"
	              "  - name: a\n"
	              "    addresses: [10.0.0.300, 10.0.0.0/33]\n"
	              "  - role: x\n"
	              "features: {ldapp: true, ldap: maybe}\n"
	              "products: [cisco-cucmm, cisco-cucm, cisco-cucm]\n"
	              "require: {services: [xx]}\n"
	              "overrides:\n"
	              "  - {service: zz, ports: [base+9]}\n"
	              "  - {service: cucm-snmp, dynamic: 50000-50100}\n");
	pa_runl(&r, "catalog", "check", f, NULL);
	assert_int_equal(r.status, 2);
	static const char *const pwant[] = {
		"many.yaml:1:1: unknown key 'sever' (did you mean 'servers'?)\n",
		"many.yaml:4:17: '10.0.0.300' is not an IPv4/IPv6 address or prefix\n",
		"many.yaml:4:29: '10.0.0.0/33': /33 is too long for IPv4 (at most /32)\n",
		"many.yaml:5:5: missing required key 'name' in a server\n",
		"many.yaml:5:5: missing required key 'addresses' in a server\n",
		"many.yaml:6:12: unknown condition 'ldapp' (did you mean 'ldap'?)\n",
		"many.yaml:6:31: 'ldap' must be true or false, not 'maybe'\n",
		"many.yaml:7:12: unknown product 'cisco-cucmm' (did you mean 'cisco-cucm'?)\n",
		"many.yaml:7:37: product 'cisco-cucm' is listed twice\n",
		"many.yaml:8:22: unknown service 'xx'\n",
		"many.yaml:10:15: unknown service 'zz'\n",
		"many.yaml:10:27: base+9: offset outside 0..6\n",
		"many.yaml:11:35: 'dynamic' needs the control port 135 among the "
		"service's ports\n",
	};
	for (size_t i = 0; i < sizeof pwant / sizeof pwant[0]; i++)
		if (!strstr(r.err, pwant[i]))
			fail_msg("missing: %s in:\n%s", pwant[i], r.err);
	assert_int_equal(lines_starting(r.err, pre), 13);
	assert_true(pa_contains(r.err, "many.yaml: 13 errors\n"));
	pa_result_free(&r);

	/* Above the limit: 20 listed, the rest counted. */
	char big[16384];
	size_t off = (size_t)snprintf(big, sizeof big, "catalog: {name: big}\n"
	                              "conditions: []\nproducts: [{id: p, name: P}]\n"
	                              "services:\n");
	for (int i = 0; i < 25; i++)
		off += (size_t)snprintf(big + off, sizeof big - off,
		                        "  - {id: s%d, product: p, protocol: tcp, "
		                        "ports: [7%04d0], direction: inbound, "
		                        "purpose: x}\n", i, i);
	pa_write_file(f, big);
	pa_runl(&r, "catalog", "check", f, NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(lines_starting(r.err, pre), 20);
	assert_true(pa_contains(r.err, "many.yaml:5:49: port 700000 is outside 0-65535\n"));
	assert_true(pa_contains(r.err, "many.yaml:24:50: port 700190 is outside 0-65535\n"));
	assert_false(pa_contains(r.err, "many.yaml:25:"));
	assert_true(pa_contains(r.err, "portaudit: ... and 5 more errors\n"));
	assert_true(pa_contains(r.err, "many.yaml: 25 errors\n"));
	assert_null(strstr(r.err, "not checked past"));
	pa_result_free(&r);

	/* Too many tabs to read past: where the check stopped is said. */
	off = (size_t)snprintf(big, sizeof big, "servers:\n");
	for (int i = 0; i < 70; i++)
		off += (size_t)snprintf(big + off, sizeof big - off,
		                        "  - name: s%d\n\taddresses: [10.0.0.1]\n", i);
	pa_write_file(f, big);
	pa_runl(&r, "catalog", "check", f, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "many.yaml:41:1: a tab character"));
	assert_true(pa_contains(r.err, "portaudit: ... and 45 more errors\n"));
	assert_true(pa_contains(r.err, "many.yaml: not checked past line 131: the tab "
	                        "there could not be read past (too many tabs, or no "
	                        "indentation fits); fix it and check again\n"));
	assert_true(pa_contains(r.err, "many.yaml: 65 errors\n"));
	pa_result_free(&r);
}

/* ---- a single port where a list is expected ----------------------------- */

static void test_scalar_ports(void **state)
{
	(void)state;
	struct pa_result r;
	char f[1024];
	snprintf(f, sizeof f, "%s", pa_tmp("scalar.yaml"));
	pa_write_file(f, "overrides:\n  - service: common-ssh-smarts\n    ports: 2222\n"
	              "  - service: cube-radius\n    ports: {any: [1812, 1645]}\n");
	pa_runl(&r, "catalog", "check", f, NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "ok: profile "));
	assert_true(pa_contains(r.out, "2 overrides"));
	pa_result_free(&r);
	pa_runl(&r, "catalog", "show", "--json", "--profile", f, NULL);
	assert_int_equal(r.status, 0);
	json_error_t je;
	json_t *root = json_loads(r.out, 0, &je);
	assert_non_null(root);
	size_t i;
	json_t *s;
	int seen = 0;
	json_array_foreach(json_object_get(root, "services"), i, s) {
		const char *id = json_string_value(json_object_get(s, "id"));
		json_t *ports = json_object_get(s, "ports");
		if (strcmp(id, "common-ssh-smarts") == 0) {
			assert_int_equal(json_array_size(ports), 1);
			assert_int_equal(json_integer_value(json_array_get(ports, 0)), 2222);
			seen++;
		} else if (strcmp(id, "cube-radius") == 0) {
			assert_int_equal(json_array_size(ports), 1);
			json_t *any = json_object_get(json_array_get(ports, 0), "any");
			assert_int_equal(json_array_size(any), 2);
			assert_int_equal(json_integer_value(json_array_get(any, 1)), 1645);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	json_decref(root);
	pa_result_free(&r);

	/* The same in a catalog. */
	pa_write_file(f, "catalog: {name: c}\nconditions: []\nproducts: [{id: p, name: P}]\n"
	              "services:\n  - {id: ssh, product: p, protocol: tcp, ports: 22, "
	              "direction: inbound, purpose: x}\n");
	pa_runl(&r, "catalog", "check", f, NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "ok: catalog c, 1 services"));
	pa_result_free(&r);
}

/* ---- a base port too high for the offsets ------------------------------- */

/* Said at the profile's base_port, wherever the profile is used. */
static void test_base_overflow(void **state)
{
	(void)state;
	struct pa_result r;
	char f[1024];
	snprintf(f, sizeof f, "%s", pa_tmp("site.yaml"));
	pa_write_file(f, "site: x\nbase_port: 65533\nservers:\n  - {name: m, "
	              "addresses: [10.0.0.5]}\n");
	static const char want[] = "site.yaml:2:12: base_port 65533 is too high: "
		"base+3 of service 'base-reserved-3' (<built-in>:";
	static const char tail[] = ") would be port 65536, above 65535; the highest "
		"base port that fits every offset in use (up to base+6) is 65529\n";
	const char *const runs[][8] = {
		{ "catalog", "check", f, NULL },
		{ "catalog", "show", "--profile", f, NULL },
		{ "rules", "--profile", f, NULL },
	};
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		pa_run(&r, NULL, runs[i]);
		if (r.status != 2 || !strstr(r.err, want) || !strstr(r.err, tail))
			fail_msg("run %zu: status %d, stderr: %s", i, r.status, r.err);
		pa_result_free(&r);
	}
	/* --base-port wins over the profile: then the argument is wrong. */
	pa_runl(&r, "catalog", "show", "--profile", f, "--base-port", "65531", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: base port 65531 is too high: base+5 "
	                        "of service 'base-reserved-5' (<built-in>:"));
	pa_result_free(&r);
	pa_runl(&r, "catalog", "show", "--profile", f, "--base-port", "65529", NULL);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);

	/* An offset the profile's own override brings in. */
	char cat[1024];
	snprintf(cat, sizeof cat, "%s", pa_tmp("cat.yaml"));
	pa_write_file(cat, "catalog: {name: c, max_offset: 6}\nconditions: []\n"
	              "products: [{id: p, name: P}]\nservices:\n"
	              "  - {id: r, product: p, protocol: tcp, ports: [base+0], "
	              "direction: inbound, purpose: x}\n");
	pa_write_file(f, "overrides:\n  - service: r\n    ports: [base+0, base+6]\n"
	              "base_port: 65533\n");
	pa_runl(&r, "catalog", "check", f, "--catalog", cat, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "site.yaml:4:12: base_port 65533 is too high: "
	                        "base+6 of the override of service 'r' ("));
	assert_true(pa_contains(r.err, "site.yaml:3:12) would be port 65539, above "
	                        "65535; the highest base port that fits every offset "
	                        "in use (up to base+6) is 65529\n"));
	pa_result_free(&r);
}

/* ---- catalog show fits the terminal ------------------------------------- */

/* The longest line of `text`, in characters (UTF-8 code points). */
static size_t widest(const char *text)
{
	size_t best = 0, n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n') {
			n = 0;
			continue;
		}
		if ((*p & 0xc0) != 0x80 && ++n > best)
			best = n;
	}
	return best;
}

/* The lines of service `id` in a `catalog show` table: from its row to
 * the next row, product title or blank line. Malloc'ed. */
static char *block_of(const char *out, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p + 2, id, n) != 0 || (p[2 + n] != ' ' && p[2 + n] != '\n'))
			continue;
		const char *e = strchr(p, '\n');
		/* continuation lines start with at least 3 spaces */
		while (e && strncmp(e + 1, "   ", 3) == 0)
			e = strchr(e + 1, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *b = malloc(len + 1);
		assert_non_null(b);
		memcpy(b, p, len);
		b[len] = '\0';
		return b;
	}
	return NULL;
}

/* Every word of `text` is in `block`, in order: nothing was cut. */
static void words_in_order(const char *block, const char *text, const char *id)
{
	char word[256];
	const char *at = block;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		snprintf(word, sizeof word, "%.*s", (int)n, p);
		const char *hit = strstr(at, word);
		if (!hit)
			fail_msg("%s: '%s' of \"%s\" is missing in:\n%s", id, word, text, block);
		at = hit + n;
		p += n;
	}
}

static void show_at(struct pa_result *r, const char *columns, const char *profile)
{
	setenv("COLUMNS", columns, 1);
	if (profile)
		pa_runl(r, "catalog", "show", "--profile", profile, NULL);
	else
		pa_runl(r, "catalog", "show", NULL);
	setenv("COLUMNS", "80", 1);
	assert_int_equal(r->status, 0);
}

static void test_show_width(void **state)
{
	(void)state;
	struct pa_result r, j;
	pa_runl(&j, "catalog", "show", "--json", NULL);
	assert_int_equal(j.status, 0);
	json_error_t je;
	json_t *root = json_loads(j.out, 0, &je);
	assert_non_null(root);
	json_t *svcs = json_object_get(root, "services");
	static const char *const widths[] = { "80", "60", "132", "40" };
	for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
		size_t cols = strtoul(widths[w], NULL, 10);
		for (int prof = 0; prof < 2; prof++) {
			show_at(&r, widths[w], prof ? pa_src("catalog/site-example.yaml") : NULL);
			if (widest(r.out) > cols)
				fail_msg("COLUMNS=%zu%s: a line of %zu characters", cols,
				         prof ? " --profile" : "", widest(r.out));
			/* Nothing cut: every word of every purpose and port list is
			 * there, in order, in the service's lines. */
			assert_null(strstr(r.out, "..."));
			size_t i;
			json_t *s;
			json_array_foreach(svcs, i, s) {
				const char *id = json_string_value(json_object_get(s, "id"));
				char *b = block_of(r.out, id);
				if (!b)
					fail_msg("COLUMNS=%zu: no row for %s", cols, id);
				words_in_order(b, json_string_value(json_object_get(s, "purpose")), id);
				free(b);
			}
			if (cols == 132)
				assert_true(widest(r.out) > 100); /* the width is used */
			pa_result_free(&r);
		}
	}
	json_decref(root);
	pa_result_free(&j);

	/* A catalog in UTF-8: characters are counted, not bytes, and a
	 * character is never split. */
	char cat[1024];
	snprintf(cat, sizeof cat, "%s", pa_tmp("utf8.yaml"));
	pa_write_file(cat, "catalog: {name: u, title: \"Überwachung der Zähler\"}\n"
	              "conditions: []\nproducts: [{id: p, name: \"Gerät ü\"}]\nservices:\n"
	              "  - {id: a, product: p, protocol: tcp, ports: [22], direction: inbound, "
	              "purpose: \"Sichere Übertragung – für Prüfungen größerer Dateien über SSH "
	              "und äöüßéèêàç€ ohne Zeilenumbrüche ÄÖÜ\"}\n");
	static const char *const uw[] = { "40", "60", "80" };
	for (size_t w = 0; w < sizeof uw / sizeof uw[0]; w++) {
		setenv("COLUMNS", uw[w], 1);
		pa_runl(&r, "catalog", "show", "--catalog", cat, NULL);
		setenv("COLUMNS", "80", 1);
		assert_int_equal(r.status, 0);
		assert_true(widest(r.out) <= strtoul(uw[w], NULL, 10));
		char *ub = block_of(r.out, "a");
		assert_non_null(ub);
		words_in_order(ub, "Sichere Übertragung – für Prüfungen größerer Dateien über "
		               "SSH und äöüßéèêàç€ ohne Zeilenumbrüche ÄÖÜ", "a");
		free(ub);
		pa_result_free(&r);
	}

	/* The dynamic range wraps under PORTS, not into PURPOSE. */
	show_at(&r, "132", NULL);
	char *b = block_of(r.out, "tms-eventlog");
	assert_non_null(b);
	words_in_order(b, "135, 445 + 49152-65535 (dynamic)", "tms-eventlog");
	free(b);
	pa_result_free(&r);
}

/* ---- catalog show names the products and, with a profile, their devices - */

static void test_show_products(void **state)
{
	(void)state;
	struct pa_result r;
	show_at(&r, "132", pa_src("catalog/site-example.yaml"));
	assert_true(pa_contains(r.out, "\nCisco Unified Communications Manager  [cisco-cucm]  "
	                        "devices: 10.1.0.0/28, 10.1.1.11\n"));
	assert_true(pa_contains(r.out, "\nAvaya Aura Communication Manager  [avaya-cm]  "
	                        "devices: 10.2.0.20\n"));
	assert_true(pa_contains(r.out, "\nAvaya Aura Application Enablement Services  "
	                        "[avaya-aes]  devices: any peer\n"));
	assert_true(pa_contains(r.out, "\nAvaya IP Office  [avaya-ipo]  not listed in the "
	                        "profile\n"));
	assert_true(pa_contains(r.out, "\nBase Ports  [base]\n"));
	pa_result_free(&r);
	/* Narrow: the device list wraps, indented. */
	show_at(&r, "60", pa_src("catalog/site-example.yaml"));
	assert_true(pa_contains(r.out, "\nCisco Unified Communications Manager  [cisco-cucm]\n"
	                        "    devices: 10.1.0.0/28, 10.1.1.11\n"));
	pa_result_free(&r);

	/* The same in JSON: the profile's products and devices. */
	pa_runl(&r, "catalog", "show", "--json", "--profile",
	        pa_src("catalog/site-example.yaml"), NULL);
	assert_int_equal(r.status, 0);
	json_error_t je;
	json_t *root = json_loads(r.out, 0, &je);
	assert_non_null(root);
	json_t *prods = json_object_get(json_object_get(root, "profile"), "products");
	assert_int_equal(json_array_size(prods), 3);
	json_t *p0 = json_array_get(prods, 0);
	assert_string_equal(json_string_value(json_object_get(p0, "id")), "cisco-cucm");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p0, "devices"), 1)),
	                    "10.1.1.11");
	assert_int_equal(json_array_size(json_object_get(json_array_get(prods, 2), "devices")), 0);
	json_decref(root);
	pa_result_free(&r);
}

/* ---- the man page says what catalog and rules take and print ----------- */

/* The man page from `from` to `to` with the font escapes dropped, "\-"
 * read as "-" and lines joined by spaces. Malloc'ed. */
static char *man_part(const char *from, const char *to)
{
	char *man = pa_read_file(pa_src("docs/portaudit.1"), NULL);
	assert_non_null(man);
	char *a = strstr(man, from);
	assert_non_null(a);
	char *b = strstr(a + strlen(from), to);
	assert_non_null(b);
	char *t = malloc((size_t)(b - a) + 1);
	assert_non_null(t);
	size_t n = 0;
	for (const char *p = a; p < b; p++) {
		if (p[0] == '\\' && p[1] == 'f' && p + 2 < b) {
			p += 2; /* \fB \fI \fR \fP */
			continue;
		}
		if (p[0] == '\\' && p[1] == '-') {
			t[n++] = '-';
			p++;
			continue;
		}
		t[n++] = *p == '\n' ? ' ' : *p;
	}
	t[n] = '\0';
	free(man);
	return t;
}

/* `word` stands in `text` as a word (not inside a longer name). */
static int has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = text; (p = strstr(p, word)) != NULL; p++) {
		char before = p == text ? ' ' : p[-1], after = p[n];
		int inner = (before >= 'a' && before <= 'z') || before == '_' ||
		            (after >= 'a' && after <= 'z') || after == '_';
		if (!inner)
			return 1;
	}
	return 0;
}

static void want_keys(const char *entry, json_t *obj, const char *what)
{
	const char *k;
	json_t *v;
	assert_true(json_is_object(obj));
	json_object_foreach(obj, k, v) {
		(void)v;
		if (!has_word(entry, k))
			fail_msg("the man page's catalog show entry does not name %s key '%s'",
			         what, k);
	}
}

static void test_man_page(void **state)
{
	(void)state;
	char *sub = man_part("\n.SH SUBCOMMANDS\n", "\n.B merge\n");
	char *show = man_part("\n.B catalog show", "\n.BI \"catalog check");
	char *check = man_part("\n.BI \"catalog check", "\n.B rules");
	char *rls = man_part("\n.B rules", "\n.B merge\n");

	/* Every option the subcommands' usage names. */
	struct pa_result r;
	static const char *const helps[][3] = {
		{ "catalog", "--help", NULL }, { "rules", "--help", NULL },
	};
	unsigned opts = 0;
	for (size_t h = 0; h < 2; h++) {
		pa_run(&r, NULL, helps[h]);
		assert_int_equal(r.status, 0);
		for (const char *p = r.out; (p = strstr(p, "--")) != NULL; p += 2) {
			char opt[40];
			size_t n = 0;
			opt[n++] = '-';
			opt[n++] = '-';
			for (const char *q = p + 2; n < sizeof opt - 1 &&
			     ((*q >= 'a' && *q <= 'z') || *q == '-'); q++)
				opt[n++] = *q;
			opt[n] = '\0';
			const char *entry = h ? rls : strstr(r.out, "check") &&
			                    p > strstr(r.out, "catalog check") ? check : show;
			if (!strstr(entry, opt))
				fail_msg("the man page's %s entry lacks %s", helps[h][0], opt);
			opts++;
		}
		pa_result_free(&r);
	}
	assert_true(opts >= 9);
	assert_true(pa_contains(sub, "--server ADDR[/LEN]"));

	/* Every key `catalog show --json` prints, at every level. */
	pa_runl(&r, "catalog", "show", "--json", "--profile",
	        pa_src("catalog/site-example.yaml"), NULL);
	assert_int_equal(r.status, 0);
	json_error_t je;
	json_t *root = json_loads(r.out, 0, &je);
	assert_non_null(root);
	assert_int_equal(json_object_size(root), 3);
	want_keys(show, root, "a top-level");
	want_keys(show, json_object_get(root, "catalog"), "a catalog");
	want_keys(show, json_object_get(root, "profile"), "a profile");
	want_keys(show, json_array_get(json_object_get(json_object_get(root, "profile"),
	                                               "products"), 0), "a product");
	want_keys(show, json_array_get(json_object_get(root, "services"), 0), "a service");
	json_decref(root);
	pa_result_free(&r);
	assert_null(strstr(show, "{\"services\": [...]}"));

	/* catalog check's exit statuses. */
	assert_true(pa_contains(check, "exit status 2"));
	assert_true(pa_contains(check, "exit status 1"));
	assert_true(pa_contains(check, "exit status 0"));
	free(sub);
	free(show);
	free(check);
	free(rls);
}

static void test_usage(void **state)
{
	(void)state;
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ { "catalog", NULL }, "portaudit: catalog: expected 'show' or 'check'" },
		{ { "catalog", "list", NULL }, "portaudit: catalog: unknown subcommand 'list'" },
		{ { "catalog", "show", "--bogus", NULL }, "portaudit: catalog: unknown option '--bogus'" },
		{ { "catalog", "show", "--catalog", NULL }, "option --catalog needs a FILE" },
		{ { "catalog", "show", "--base-port", "0", NULL }, "--base-port: '0' is not a port" },
		{ { "catalog", "show", "--base-port", "70000", NULL }, "--base-port: '70000'" },
		{ { "catalog", "show", "--base-port", "-5", NULL }, "--base-port: '-5'" },
		{ { "catalog", "show", "extra", NULL }, "unexpected argument 'extra'" },
		{ { "catalog", "check", NULL }, "portaudit: catalog: check needs a FILE" },
		{ { "catalog", "check", "a.yaml", "b.yaml", NULL }, "unexpected argument 'b.yaml'" },
		{ { "catalog", "check", "a.yaml", "--json", NULL }, "unknown option '--json'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pa_result r;
		pa_run(&r, NULL, cases[i].args);
		if (r.status != 2 || !strstr(r.err, cases[i].msg))
			fail_msg("case %zu: status %d, stderr: %s", i, r.status, r.err);
		pa_result_free(&r);
	}
}

/* A broken profile or catalog stops the audit before any capture. */
static void test_audit_path(void **state)
{
	(void)state;
	struct pa_result r;
	char bad[1024];
	snprintf(bad, sizeof bad, "%s", pa_tmp("site.yaml"));
	pa_write_file(bad, "site: x\nservers:\n  - name: m\n    addresses: [10.0.0.5]\nsever: []\n");
	pa_runl(&r, "--profile", bad, "-r", "x", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "site.yaml:5:1: unknown key 'sever' (did you mean 'servers'?)"));
	pa_result_free(&r);

	pa_runl(&r, "catalog", "show", "--profile", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "site.yaml:5:1: unknown key 'sever'"));
	pa_result_free(&r);

	pa_write_file(bad, "catalog: {name: c}\nconditions: []\nproducts: []\nservices: 7\n");
	pa_runl(&r, "--catalog", bad, "-r", "x", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "site.yaml:4:11: wrong type: 'services' must be a list"));
	pa_result_free(&r);

	pa_runl(&r, "--profile", pa_tmp("none.yaml"), "-r", "x", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "none.yaml: cannot read: No such file or directory"));
	pa_result_free(&r);
}

int main(void)
{
	/* catalog show lays its table out for $COLUMNS (not a terminal). */
	setenv("COLUMNS", "80", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_text),
		cmocka_unit_test(test_show_json),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_audit_path),
		cmocka_unit_test(test_tab),
		cmocka_unit_test(test_check_all_errors),
		cmocka_unit_test(test_scalar_ports),
		cmocka_unit_test(test_base_overflow),
		cmocka_unit_test(test_show_width),
		cmocka_unit_test(test_show_products),
		cmocka_unit_test(test_man_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
