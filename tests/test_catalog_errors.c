/*
 * test_catalog_errors.c -- every loader error, table-driven: a broken
 * catalog or profile in, the exact message (with file:line:column) out.
 *
 * Catalog cases are HEAD (4 lines) followed by services, so that line 5 is
 * the first service; profile cases are loaded against TINY below.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

#define HEAD \
	"catalog: {name: t, max_offset: 6}\n" \
	"conditions: [{id: ldap}]\n" \
	"products: [{id: base, name: Base, always: true}, {id: cisco-cucm, name: CUCM}]\n" \
	"services:\n"

/* One good service, lines 5..10; cases replace one line of it. */
#define L5 "  - id: a\n"
#define L6 "    product: base\n"
#define L7 "    protocol: tcp\n"
#define L8 "    ports: [22]\n"
#define L9 "    direction: inbound\n"
#define L10 "    purpose: x\n"

static const char TINY[] =
	"catalog:\n"
	"  name: tiny\n"
	"  title: Tiny\n"
	"  base_port: 1960\n"
	"  max_offset: 6\n"
	"conditions:\n"
	"  - {id: auto-discovery, default: true}\n"
	"  - {id: ldap, default: false}\n"
	"products:\n"
	"  - {id: base, name: Base Ports, always: true}\n"
	"  - {id: cisco-cucm, name: Cisco Unified Communications Manager}\n"
	"  - {id: avaya-ipo, name: Avaya IP Office}\n"
	"services:\n"
	"  - {id: base-router, product: base, protocol: tcp, ports: [base+0], direction: inbound, purpose: router}\n"
	"  - {id: cucm-snmp, product: cisco-cucm, protocol: udp, ports: [161], direction: outbound, purpose: snmp}\n"
	"  - {id: cucm-wmi, product: cisco-cucm, protocol: tcp, ports: [135], dynamic: 49152-65535, direction: outbound, purpose: wmi}\n"
	"  - {id: ipo-radius, product: avaya-ipo, protocol: udp, ports: [{any: [1812, 1645]}], direction: inbound, purpose: radius}\n";

struct ecase {
	bool profile;
	const char *yaml;
	const char *msg; /* expected substring, with file:line:col */
};

static const struct ecase cases[] = {
	/* ---- catalogs ---- */
	{ false, HEAD L5 L6 "    protocl: tcp\n" L8 L9 L10,
	  "t.yaml:7:5: unknown key 'protocl' (did you mean 'protocol'?)" },
	/* an escape sequence for the terminal of whoever runs catalog show */
	{ false, HEAD L5 L6 L7 L8 L9 "    purpose: \"x\\e]0;pwned\\ay\"\n",
	  "t.yaml:10:14: 'purpose' holds a control character (byte 0x1b at "
	  "offset 1): it is text" },
	{ false, HEAD L5 L6 L7 "    ports: {any: 22}\n" L9 L10,
	  "t.yaml:8:18: wrong type: 'any' must be a list, not a string" },
	{ false, HEAD L5 L6 L7 "    ports: [70000]\n" L9 L10,
	  "t.yaml:8:13: port 70000 is outside 0-65535" },
	{ false, HEAD L5 L6 L7 "    ports: [\"50002-50000\"]\n" L9 L10,
	  "t.yaml:8:13: empty range '50002-50000': lo > hi" },
	{ false, HEAD L5 L6 L7 "    ports: [base+9]\n" L9 L10,
	  "t.yaml:8:13: base+9: offset outside 0..6" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 L5 L6 L7 L8 L9 L10,
	  "t.yaml:11:9: duplicate service id 'a' (first at line 5)" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 "    conditions: [ldapp]\n",
	  "t.yaml:11:18: unknown condition 'ldapp' (did you mean 'ldap'?)" },
	{ false, HEAD L5 "    product: cisco-cucmm\n" L7 L8 L9 L10,
	  "t.yaml:6:14: unknown product 'cisco-cucmm' (did you mean 'cisco-cucm'?)" },
	{ false, HEAD L5 L6 L7 "    ports: [22\n" L9 L10,
	  "t.yaml:9:14: invalid YAML: did not find expected ',' or ']' while "
	  "parsing a flow sequence (started at line 8, column 12)" },
	{ false, HEAD L5 L6 L7 L8 L9,
	  "t.yaml:5:5: missing required key 'purpose' in a service" },
	{ false, HEAD L5 L6 L7 L8 "    direction: inbond\n" L10,
	  "t.yaml:9:16: unknown direction 'inbond' (did you mean 'inbound'?)" },
	{ false, HEAD L5 L6 L7 L8 "    direction: sideways\n" L10,
	  "t.yaml:9:16: unknown direction 'sideways' (expected inbound, outbound, "
	  "both, internal, local or reserved)" },
	{ false, HEAD L5 L6 "    protocol: tvp\n" L8 L9 L10,
	  "t.yaml:7:15: unknown protocol 'tvp' (did you mean 'tcp'?)" },
	{ false, HEAD L5 L6 "    protocol: sctp\n" L8 L9 L10,
	  "t.yaml:7:15: unknown protocol 'sctp' (expected tcp, udp or none)" },
	{ false, HEAD L5 L6 L7 "    ports: [445]\n" L9 L10 "    dynamic: 49152-65535\n",
	  "t.yaml:11:14: 'dynamic' needs the control port 135 among the service's 'ports'" },
	{ false, HEAD L5 L6 L7 "    ports: [135]\n" L9 L10 "    dynamic: 49152-65535\n    control: 593\n",
	  "t.yaml:11:14: 'dynamic' needs the control port 593" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 "    control: 135\n",
	  "t.yaml:11:14: 'control' is only meaningful with 'dynamic'" },
	{ false, HEAD L5 L6 L7 L8 L9 L10
	  "    note: [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]\n",
	  "t.yaml:11:24: nesting too deep: more than 16 levels" },
	{ false, HEAD L5 L6 L7 L8 L9 "    purpose: &p x\n    note: *p\n",
	  "t.yaml:10:14: anchor '&p' is not supported" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 "    note: *p\n",
	  "t.yaml:11:11: alias '*p' is not supported" },
	{ false, HEAD L5 L6 L7 "    ports: [ssh]\n" L9 L10,
	  "t.yaml:8:13: 'ssh' is not a port (0-65535), a range 'lo-hi' or base+N" },
	{ false, HEAD L5 L6 L7 "    ports: [99999999999999999999999]\n" L9 L10,
	  "t.yaml:8:13: port 99999999999999999999999 is outside 0-65535" },
	{ false, HEAD L5 L6 L7 "    ports: [\"1000-70000\"]\n" L9 L10,
	  "t.yaml:8:13: port 70000 is outside 0-65535" },
	{ false, HEAD L5 L6 L7 "    ports: [-1]\n" L9 L10,
	  "t.yaml:8:13: '-1' is not a port" },
	{ false, HEAD L5 L6 L7 "    ports: [{any: []}]\n" L9 L10,
	  "t.yaml:8:19: 'any' must list at least one alternative" },
	{ false, HEAD L5 L6 L7 "    ports: [{any: [1, 2, 3, 4, 5, 6, 7, 8, 9]}]\n" L9 L10,
	  "t.yaml:8:44: too many alternatives: at most 8" },
	{ false, HEAD L5 L6 L7 "    ports: [{one: [1]}]\n" L9 L10,
	  "t.yaml:8:14: unknown key 'one' in a port alternative (expected any)" },
	{ false, HEAD L5 L6 L7 "    ports: []\n" L9 L10,
	  "t.yaml:8:12: 'ports' must list at least one port" },
	{ false, HEAD L5 L6 L7 "    ports: [[22]]\n" L9 L10,
	  "t.yaml:8:13: wrong type: a port must be a number" },
	{ false, HEAD L5 L6 "    protocol: none\n" L8 L9 L10,
	  "t.yaml:7:15: protocol 'none' is only for direction 'reserved'" },
	{ false, "catalog: {name: t}\nconditions: []\nproducts: []\n",
	  "t.yaml:1:1: missing required key 'services' in the catalog" },
	{ false, "- a\n- b\n",
	  "t.yaml:1:1: wrong type: a catalog must be a mapping" },
	{ false, "# nothing\n",
	  "t.yaml:1:1: empty document: expected a catalog" },
	{ false, HEAD "  - id: Foo\n" L6 L7 L8 L9 L10,
	  "t.yaml:5:9: 'Foo' is not a valid service id" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 "    oneway: maybe\n",
	  "t.yaml:11:13: 'oneway' must be true or false, not 'maybe'" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 "    oneway: [true]\n",
	  "t.yaml:11:13: wrong type: 'oneway' must be true or false, not a list" },
	{ false, HEAD L5 L6 L7 L8 L9 L10 "    ports: [23]\n",
	  "t.yaml:11:5: duplicate key 'ports' (first at line 8)" },
	{ false, "catalog: {name: t, base_port: 0}\nconditions: []\nproducts: []\nservices: []\n",
	  "t.yaml:1:31: base_port 0 is outside 1-65535" },
	{ false, "catalog: {name: t}\nconditions: []\nproducts: []\n\tservices: []\n",
	  "t.yaml:4:1: a tab character: YAML indents with spaces, not tabs" },
	{ false, HEAD L5 L6 "  \t  protocol: tcp\n" L8 L9 L10,
	  "t.yaml:7:3: a tab character: YAML indents with spaces, not tabs" },
	{ false, HEAD L5 L6 L7 L8 L9 "    purpose: >\n      folded\n\tline\n",
	  "t.yaml:12:1: a tab character: YAML indents with spaces, not tabs" },
	{ false, "catalog: {name: t}\n---\ncatalog: {name: u}\n",
	  "t.yaml:2:1: only one YAML document is allowed" },
	{ false, "catalog: {name: t}\nconditions: []\nproducts: [{id: p, name: P}, {id: p, name: Q}]\nservices: []\n",
	  "t.yaml:3:35: duplicate product id 'p' (first at line 3)" },
	{ false, "catalog: {name: t}\nconditions: ldap\nproducts: []\nservices: []\n",
	  "t.yaml:2:13: wrong type: 'conditions' must be a list, not a string" },
	{ false, HEAD L5 L6 L7 "    ports: [135]\n" L9 L10 "    dynamic: base+2\n",
	  "t.yaml:11:14: 'base+2': base+N is not allowed here" },
	{ false, "? [a]\n: b\n",
	  "t.yaml:1:3: a mapping key must be a plain string, not a list" },
	{ false, HEAD L5 L6 L7 L8 L9 "    purpose:\n",
	  "t.yaml:10:13: 'purpose' needs a value" },
	{ false, "catalog: {name: t}\nconditions: []\nproducts: []\nservices: []\nextra: 1\n",
	  "t.yaml:5:1: unknown key 'extra' in the catalog (expected catalog, "
	  "conditions, products, services)" },
	{ false, "catalog: {name: t}\nconditions: []\nproducts: []\nservices: []\nx: \"\\0\"\n",
	  "t.yaml:5:4: a string contains a NUL character" },
	{ false, "catalog: {name: t}\nconditions: []\nproducts: []\nservices: []\n\xff\n",
	  "t.yaml:5:1: invalid YAML: invalid leading UTF-8 octet" },

	/* ---- profiles (against TINY) ---- */
	{ true, "site: DC1\nsever: []\n",
	  "site.yaml:2:1: unknown key 'sever' (did you mean 'servers'?)" },
	{ true, "site: \"DC\\a1\"\n",
	  "site.yaml:1:7: 'site' holds a control character (byte 0x07 at "
	  "offset 2): it is text" },
	{ true, "servers:\n  - name: mon1\n    addresses: [10.0.0.5, 10.0.0.300]\n",
	  "site.yaml:3:27: '10.0.0.300' is not an IPv4/IPv6 address or prefix" },
	{ true, "servers:\n  - name: mon1\n    addresses: [10.0.0.0/33]\n",
	  "site.yaml:3:17: '10.0.0.0/33': /33 is too long for IPv4 (at most /32)" },
	{ true, "servers:\n  - name: mon1\n    addresses: [\"2001:db8::/129\"]\n",
	  "site.yaml:3:17: '2001:db8::/129': /129 is too long for IPv6" },
	{ true, "servers:\n  - name: mon1\n    addresses: [10.0.0.0/x]\n",
	  "site.yaml:3:17: '10.0.0.0/x': '/x' is not a prefix length" },
	{ true, "features:\n  auto-discovery: false\n  ldapp: true\n",
	  "site.yaml:3:3: unknown condition 'ldapp' (did you mean 'ldap'?)" },
	{ true, "features:\n  ldap: sometimes\n",
	  "site.yaml:2:9: 'ldap' must be true or false, not 'sometimes'" },
	{ true, "features:\n  ldap: true\n  ldap: false\n",
	  "site.yaml:3:3: duplicate key 'ldap' (first at line 2)" },
	{ true, "features: [ldap]\n",
	  "site.yaml:1:11: wrong type: 'features' must be a mapping" },
	{ true, "products:\n  - id: cisco-cucmm\n",
	  "site.yaml:2:9: unknown product 'cisco-cucmm' (did you mean 'cisco-cucm'?)" },
	{ true, "products: [cisco-cucm, avaya-ipo, cisco-cucm]\n",
	  "site.yaml:1:35: product 'cisco-cucm' is listed twice" },
	{ true, "products:\n  - [cisco-cucm]\n",
	  "site.yaml:2:5: wrong type: a product must be an id or a mapping" },
	{ true, "products:\n  - id: cisco-cucm\n    devices: [10.1.0.0/28, nope]\n",
	  "site.yaml:3:28: 'nope' is not an IPv4/IPv6 address or prefix" },
	{ true, "require:\n  services: [base-router, cucm-snmpp]\n",
	  "site.yaml:2:27: unknown service 'cucm-snmpp' (did you mean 'cucm-snmp'?)" },
	{ true, "require:\n  products: [avaya]\n",
	  "site.yaml:2:14: unknown product 'avaya'" },
	{ true, "require:\n  service: [base-router]\n",
	  "site.yaml:2:3: unknown key 'service' (did you mean 'services'?)" },
	{ true, "base_port: 70000\n",
	  "site.yaml:1:12: base_port 70000 is outside 1-65535" },
	{ true, "base_port: 19x0\n",
	  "site.yaml:1:12: 'base_port' must be a port number, not '19x0'" },
	{ true, "overrides:\n  - service: cucm-wmi\n",
	  "site.yaml:2:5: an override of 'cucm-wmi' needs 'ports' and/or 'dynamic'" },
	{ true, "overrides:\n  - service: cucm-snmp\n    dynamic: 50000-50100\n",
	  "site.yaml:3:14: 'dynamic' needs the control port 135 among the service's ports" },
	{ true, "overrides:\n  - service: cucm-wmi\n    ports: [base+9]\n",
	  "site.yaml:3:13: base+9: offset outside 0..6" },
	{ true, "overrides:\n  - service: cucm-wmi\n    dynamic: \"50100-50000\"\n",
	  "site.yaml:3:14: empty range '50100-50000': lo > hi" },
	{ true, "overrides:\n  - {service: cucm-wmi, dynamic: 50000-50100}\n  - {service: cucm-wmi, dynamic: 50000-50200}\n",
	  "site.yaml:3:15: service 'cucm-wmi' is overridden twice" },
	{ true, "servers:\n  - name: mon1\n    role: monitoring\n",
	  "site.yaml:2:5: missing required key 'addresses' in a server" },
	{ true, "servers:\n  - name: mon1\n    addresses: []\n",
	  "site.yaml:3:16: 'addresses' must list at least one address or prefix" },
	{ true, "servers: {mon1: 10.0.0.5}\n",
	  "site.yaml:1:10: wrong type: 'servers' must be a list, not a mapping" },
	{ true, "catalog: {name: x}\n",
	  "site.yaml:1:1: this is a catalog, not a site profile" },
	{ true, "servers:\n  - name: mon1\n    addresses: [10.0.0.5]\n  -\n",
	  "site.yaml:4:4: wrong type: 'servers[]' must be a mapping, not empty" },
	{ true, "site: [a]\n",
	  "site.yaml:1:7: wrong type: 'site' must be a string, not a list" },
	{ true, "site: x\nservers:\n  - name: a\n\taddresses: [10.0.0.5]\n",
	  "site.yaml:4:1: a tab character: YAML indents with spaces, not tabs" },
	{ true, "site: x\n\t# a comment\n",
	  "site.yaml:2:1: a tab character: YAML indents with spaces, not tabs" },
	{ true, "servers:\n  - name: a\n    addresses:\n\t- 10.0.0.5\n",
	  "site.yaml:4:1: a tab character: YAML indents with spaces, not tabs" },
	{ true, "servers:\n- name: mon1\n  addresses: [10.0.0.5]\n   role: x\n",
	  "site.yaml:4:4: invalid YAML: did not find expected key while parsing "
	  "a block mapping (started at line 2, column 3)" },
};

static struct catalog tiny;

static int setup(void **state)
{
	(void)state;
	struct cat_error err;
	if (cat_load_buffer(&tiny, "tiny.yaml", (const unsigned char *)TINY,
	                    sizeof TINY - 1, &err) != 0) {
		fprintf(stderr, "tiny catalog: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cat_free(&tiny);
	return 0;
}

static void test_table(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct ecase *c = &cases[i];
		struct cat_error err;
		memset(&err, 0, sizeof err);
		int rc;
		if (c->profile) {
			struct cat_profile prof;
			rc = cat_profile_load_buffer(&prof, &tiny, "site.yaml",
			                             (const unsigned char *)c->yaml,
			                             strlen(c->yaml), &err);
			if (rc == 0)
				cat_profile_free(&prof);
		} else {
			struct catalog cat;
			rc = cat_load_buffer(&cat, "t.yaml",
			                     (const unsigned char *)c->yaml,
			                     strlen(c->yaml), &err);
			if (rc == 0)
				cat_free(&cat);
		}
		if (rc != -1 || !strstr(err.msg, c->msg)) {
			printf("case %zu: rc %d\n  want: %s\n  got:  %s\n", i, rc,
			       c->msg, rc ? err.msg : "(loaded)");
			bad++;
		}
	}
	printf("%zu error cases\n", sizeof cases / sizeof cases[0]);
	assert_int_equal(bad, 0);
}

/* The collecting loaders (catalog check) find the same first error for
 * every case, and no error where the normal ones find none. */
static void test_table_collect(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct ecase *c = &cases[i];
		struct cat_errors errs;
		memset(&errs, 0, sizeof errs);
		int rc;
		if (c->profile) {
			struct cat_profile prof;
			rc = cat_profile_load_buffer_all(&prof, &tiny, "site.yaml",
			                                 (const unsigned char *)c->yaml,
			                                 strlen(c->yaml), &errs);
			if (rc == 0)
				cat_profile_free(&prof);
		} else {
			struct catalog cat;
			rc = cat_load_buffer_all(&cat, "t.yaml",
			                         (const unsigned char *)c->yaml,
			                         strlen(c->yaml), &errs);
			if (rc == 0)
				cat_free(&cat);
		}
		if (rc != -1 || errs.n == 0 || !strstr(errs.e[0].msg, c->msg)) {
			printf("case %zu: rc %d, %u errors\n  want: %s\n  got:  %s\n",
			       i, rc, errs.n, c->msg, errs.n ? errs.e[0].msg : "-");
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* The loaders leave nothing behind on error: a free after a failed load is
 * harmless (the audit path frees unconditionally). */
static void test_free_after_error(void **state)
{
	(void)state;
	struct cat_error err;
	struct catalog cat;
	static const char y[] = HEAD L5 L6 L7 "    ports: [70000]\n" L9 L10;
	assert_int_equal(cat_load_buffer(&cat, "t.yaml", (const unsigned char *)y,
	                                 sizeof y - 1, &err), -1);
	assert_int_equal(cat.nservices, 0);
	cat_free(&cat);
	struct cat_profile prof;
	static const char p[] = "servers:\n  - name: a\n    addresses: [1.2.3.4]\nx: 1\n";
	assert_int_equal(cat_profile_load_buffer(&prof, &tiny, "p.yaml",
	                                         (const unsigned char *)p,
	                                         sizeof p - 1, &err), -1);
	assert_int_equal(prof.nservers, 0);
	cat_profile_free(&prof);
}

/* Files: missing, empty, a directory; each names the file. */
static void test_files(void **state)
{
	(void)state;
	struct cat_error err;
	struct catalog cat;
	struct cat_profile prof;
	const char *missing = pa_tmp("nope.yaml");
	assert_int_equal(cat_load_file(&cat, missing, &err), -1);
	assert_true(pa_contains(err.msg, "nope.yaml: cannot read: No such file or directory"));
	const char *empty = pa_tmp("empty.yaml");
	pa_write_file(empty, "");
	assert_int_equal(cat_load_file(&cat, empty, &err), -1);
	assert_true(pa_contains(err.msg, "empty.yaml: empty file: expected a catalog"));
	assert_int_equal(cat_profile_load_file(&prof, &tiny, empty, &err), -1);
	assert_true(pa_contains(err.msg, "empty.yaml: empty file: expected a site profile"));
	assert_int_equal(cat_load_file(&cat, pa_tmpdir(), &err), -1);
	assert_true(pa_contains(err.msg, "cannot read: Is a directory"));
	const char *bad = pa_tmp("bad.yaml");
	pa_write_file(bad, "servers:\n  - name: x\n    addresses: [1.2.3.999]\n");
	assert_int_equal(cat_profile_load_file(&prof, &tiny, bad, &err), -1);
	assert_true(pa_contains(err.msg, "bad.yaml:3:17: '1.2.3.999' is not"));
	/* No buffer at all is an empty document, not a crash. */
	assert_int_equal(cat_load_buffer(&cat, "null.yaml", NULL, 0, &err), -1);
	assert_true(pa_contains(err.msg, "null.yaml:1:1: empty document"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_collect),
		cmocka_unit_test(test_free_after_error),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
