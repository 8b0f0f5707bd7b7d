/*
 * test_catalog_model.c -- cat_apply: base port precedence, offsets that
 * overflow, conditions, products, devices, overrides, required services,
 * and the service JSON.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

static const char CAT[] =
	"catalog: {name: m, base_port: 1960, max_offset: 6}\n"
	"conditions:\n"
	"  - {id: auto-discovery, default: true}\n"
	"  - {id: ldap, default: false}\n"
	"products:\n"
	"  - {id: base, name: Base Ports, always: true}\n"
	"  - {id: cisco-cucm, name: Cisco Unified Communications Manager}\n"
	"  - {id: avaya-ipo, name: Avaya IP Office}\n"
	"services:\n"
	"  - {id: base-router, product: base, protocol: tcp, ports: [base+0], direction: inbound, purpose: router}\n"
	"  - {id: base-jvm, product: base, protocol: tcp, ports: [base+6], direction: inbound, purpose: jvm}\n"
	"  - {id: discovery, product: base, protocol: udp, ports: [base+2], direction: both, oneway: true, conditions: [auto-discovery], purpose: disc}\n"
	"  - {id: ldap-query, product: base, protocol: tcp, ports: [389], direction: outbound, conditions: [ldap], purpose: ldap}\n"
	"  - {id: cucm-snmp, product: cisco-cucm, protocol: udp, ports: [161], direction: outbound, purpose: snmp}\n"
	"  - {id: cucm-wmi, product: cisco-cucm, protocol: tcp, ports: [135], dynamic: 49152-65535, direction: outbound, purpose: wmi, process: WMI}\n"
	"  - {id: ipo-radius, product: avaya-ipo, protocol: udp, ports: [{any: [1812, 1645]}, \"50000-50002\"], direction: inbound, purpose: radius, vendor: CRA}\n";

static struct catalog cat;

static int setup(void **state)
{
	(void)state;
	struct cat_error err;
	if (cat_load_buffer(&cat, "m.yaml", (const unsigned char *)CAT,
	                    sizeof CAT - 1, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cat_free(&cat);
	return 0;
}

static uint32_t idx(const char *id)
{
	for (uint32_t i = 0; i < cat.nservices; i++)
		if (strcmp(cat.services[i].id, id) == 0)
			return i;
	fail_msg("no service %s", id);
	return 0;
}

static const struct cat_service *svc(const char *id)
{
	return &cat.services[idx(id)];
}

static void load_prof(struct cat_profile *p, const char *yaml)
{
	struct cat_error err;
	if (cat_profile_load_buffer(p, &cat, "p.yaml", (const unsigned char *)yaml,
	                            strlen(yaml), &err) != 0)
		fail_msg("profile: %s", err.msg);
}

static void test_base(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	struct cat_profile p;
	assert_int_equal(cat_apply(&m, &cat, NULL, 0, &err), 0);
	assert_int_equal(m.base, 1960);
	assert_int_equal(svc("base-router")->req[0].alt[0].lo, 1960);
	assert_int_equal(svc("base-jvm")->req[0].alt[0].lo, 1966);
	assert_int_equal(svc("cucm-snmp")->req[0].alt[0].lo, 161);
	cat_model_free(&m);

	assert_int_equal(cat_apply(&m, &cat, NULL, 3000, &err), 0);
	assert_int_equal(m.base, 3000);
	assert_int_equal(svc("base-jvm")->req[0].alt[0].lo, 3006);
	assert_int_equal(svc("base-jvm")->req[0].alt[0].hi, 3006);
	cat_model_free(&m);

	load_prof(&p, "base_port: 2100\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_int_equal(m.base, 2100);
	assert_int_equal(svc("discovery")->req[0].alt[0].lo, 2102);
	cat_model_free(&m);
	assert_int_equal(cat_apply(&m, &cat, &p, 4000, &err), 0); /* argument wins */
	assert_int_equal(svc("discovery")->req[0].alt[0].lo, 4002);
	cat_model_free(&m);
	cat_profile_free(&p);
}

static void test_overflow(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	assert_int_equal(cat_apply(&m, &cat, NULL, 65529, &err), 0);
	assert_int_equal(svc("base-jvm")->req[0].alt[0].lo, 65535);
	cat_model_free(&m);
	/* The base given as an argument: no file to point at. */
	assert_int_equal(cat_apply(&m, &cat, NULL, 65530, &err), -1);
	assert_string_equal(err.msg, "base port 65530 is too high: base+6 of service "
	                    "'base-jvm' (m.yaml:11:5) would be port 65536, above "
	                    "65535; the highest base port that fits every offset in "
	                    "use (up to base+6) is 65529");
	cat_model_free(&m);
	/* A later apply starts again from the catalog as loaded. */
	assert_int_equal(cat_apply(&m, &cat, NULL, 0, &err), 0);
	assert_int_equal(svc("base-jvm")->req[0].alt[0].lo, 1966);
	cat_model_free(&m);

	/* The profile's base_port: said at its line, in the profile. */
	struct cat_profile p;
	load_prof(&p, "site: x\nbase_port: 65531\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), -1);
	assert_string_equal(err.msg, "p.yaml:2:12: base_port 65531 is too high: "
	                    "base+6 of service 'base-jvm' (m.yaml:11:5) would be "
	                    "port 65537, above 65535; the highest base port that fits "
	                    "every offset in use (up to base+6) is 65529");
	cat_model_free(&m);
	assert_int_equal(cat_apply(&m, &cat, &p, 2000, &err), 0); /* argument wins */
	cat_model_free(&m);
	cat_profile_free(&p);

	/* An override's base+N: named with its place in the profile. */
	load_prof(&p, "base_port: 65533\noverrides:\n  - service: base-router\n"
	          "    ports: [base+6]\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), -1);
	assert_string_equal(err.msg, "p.yaml:1:12: base_port 65533 is too high: "
	                    "base+6 of the override of service 'base-router' "
	                    "(p.yaml:4:12) would be port 65539, above 65535; the "
	                    "highest base port that fits every offset in use (up to "
	                    "base+6) is 65529");
	cat_model_free(&m);
	cat_profile_free(&p);

	/* The catalog's own base_port, and the default base with a big offset. */
	static const char c1[] = "catalog: {name: c, base_port: 65533, max_offset: 6}\n"
		"conditions: []\nproducts: [{id: p, name: P}]\nservices:\n"
		"  - {id: a, product: p, protocol: tcp, ports: [base+3], direction: inbound, purpose: x}\n";
	static const char c2[] = "catalog: {name: c, max_offset: 65000}\n"
		"conditions: []\nproducts: [{id: p, name: P}]\nservices:\n"
		"  - {id: a, product: p, protocol: tcp, ports: [base+64000], direction: inbound, purpose: x}\n";
	struct catalog c;
	assert_int_equal(cat_load_buffer(&c, "c.yaml", (const unsigned char *)c1,
	                                 sizeof c1 - 1, &err), 0);
	assert_int_equal(cat_apply(&m, &c, NULL, 0, &err), -1);
	assert_string_equal(err.msg, "c.yaml:1:31: base_port 65533 is too high: "
	                    "base+3 of service 'a' (c.yaml:5:5) would be port 65536, "
	                    "above 65535; the highest base port that fits every "
	                    "offset in use (up to base+3) is 65532");
	cat_model_free(&m);
	cat_free(&c);
	assert_int_equal(cat_load_buffer(&c, "c.yaml", (const unsigned char *)c2,
	                                 sizeof c2 - 1, &err), 0);
	assert_int_equal(cat_apply(&m, &c, NULL, 0, &err), -1);
	assert_string_equal(err.msg, "c.yaml:5:5: service 'a': base+64000 with the "
	                    "default base port 1960 would be port 65960, above 65535 "
	                    "(give base_port 1535 or lower, or a smaller offset)");
	cat_model_free(&m);
	cat_free(&c);
}

static void test_conditions(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	struct cat_profile p;
	assert_int_equal(cat_apply(&m, &cat, NULL, 0, &err), 0);
	assert_int_equal(m.cond_on, 1u);
	assert_true(svc("discovery")->enabled);
	assert_false(svc("ldap-query")->enabled);
	assert_string_equal(svc("ldap-query")->disabled_reason,
	                    "condition 'ldap' is off by default");
	assert_true(svc("ipo-radius")->enabled); /* no profile: all products */
	cat_model_free(&m);

	load_prof(&p, "features:\n  auto-discovery: false\n  ldap: true\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_int_equal(m.cond_on, 2u);
	assert_false(svc("discovery")->enabled);
	assert_string_equal(svc("discovery")->disabled_reason,
	                    "condition 'auto-discovery' is off in the profile");
	assert_true(svc("ldap-query")->enabled);
	assert_null(svc("ldap-query")->disabled_reason);
	cat_model_free(&m);
	cat_profile_free(&p);
}

static void test_products(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	struct cat_profile p;
	load_prof(&p, "products:\n  - id: cisco-cucm\n    devices: [10.1.0.11, 10.1.0.0/28, \"2001:db8::/64\"]\n");
	assert_true(p.has_products);
	assert_int_equal(p.nproducts, 1);
	assert_int_equal(p.products[0].ndevices, 3);
	uint8_t a[16] = { 10, 1, 0, 14 };
	assert_true(cat_prefix_contains(&p.products[0].devices[1], 4, a));
	a[3] = 16;
	assert_false(cat_prefix_contains(&p.products[0].devices[1], 4, a));
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_true(svc("cucm-snmp")->enabled);
	assert_true(svc("base-router")->enabled); /* always */
	assert_false(svc("ipo-radius")->enabled);
	assert_string_equal(svc("ipo-radius")->disabled_reason,
	                    "product 'Avaya IP Office' is not listed in the profile");
	cat_model_free(&m);
	cat_profile_free(&p);

	load_prof(&p, "products: []\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_false(svc("cucm-snmp")->enabled);
	assert_true(svc("base-jvm")->enabled);
	cat_model_free(&m);
	cat_profile_free(&p);

	load_prof(&p, "products: [avaya-ipo, cisco-cucm]\n");
	assert_int_equal(p.products[0].ndevices, 0);
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_true(svc("cucm-snmp")->enabled);
	assert_true(svc("ipo-radius")->enabled);
	cat_model_free(&m);
	cat_profile_free(&p);
}

static void test_servers(void **state)
{
	(void)state;
	struct cat_profile p;
	load_prof(&p, "site: DC1\nservers:\n  - name: mon1\n    role: monitoring\n"
	          "    addresses: [10.0.0.5, \"2001:db8::5\", 10.0.9.0/24]\n"
	          "  - {name: mon2, addresses: [10.0.0.6]}\n");
	assert_string_equal(p.site, "DC1");
	assert_string_equal(p.source, "p.yaml");
	assert_int_equal(strlen(p.sha256), 64);
	assert_int_equal(p.nservers, 2);
	assert_string_equal(p.servers[0].name, "mon1");
	assert_string_equal(p.servers[0].role, "monitoring");
	assert_int_equal(p.servers[0].naddrs, 3);
	assert_int_equal(p.servers[0].addrs[1].family, 6);
	assert_int_equal(p.servers[0].addrs[2].len, 24);
	assert_string_equal(p.servers[1].role, "");
	assert_false(p.has_base);
	assert_false(p.has_products);
	cat_profile_free(&p);
}

static void test_overrides(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	struct cat_profile p;
	load_prof(&p, "overrides:\n"
	          "  - service: cucm-wmi\n    dynamic: 50000-50100\n"
	          "  - service: cucm-snmp\n    ports: [base+1, {any: [1161, 2161]}]\n");
	assert_int_equal(p.noverrides, 2);
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	const struct cat_service *s = svc("cucm-wmi");
	assert_true(cat_service_has_port(s, 50050, true));
	assert_false(cat_service_has_port(s, 49152, true));
	assert_true(cat_service_has_port(s, 135, false));
	s = svc("cucm-snmp");
	assert_int_equal(s->nreq, 2);
	assert_int_equal(s->req[0].alt[0].lo, 1961);
	assert_false(cat_service_has_port(s, 161, true));
	assert_true(cat_service_has_port(s, 2161, false));
	cat_model_free(&m);
	/* Without the profile the catalog's ports come back. */
	assert_int_equal(cat_apply(&m, &cat, NULL, 0, &err), 0);
	assert_true(cat_service_has_port(svc("cucm-snmp"), 161, false));
	assert_true(cat_service_has_port(svc("cucm-wmi"), 49152, true));
	cat_model_free(&m);
	cat_profile_free(&p);

	/* A dynamic range on a service that had none (control 135 given). */
	load_prof(&p, "overrides:\n  - service: cucm-snmp\n    ports: [135]\n"
	          "    dynamic: 1024-65535\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_true(svc("cucm-snmp")->has_dynamic);
	assert_int_equal(svc("cucm-snmp")->control, 135);
	cat_model_free(&m);
	cat_profile_free(&p);
}

static void test_required(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	struct cat_profile p;
	assert_int_equal(cat_apply(&m, &cat, NULL, 0, &err), 0);
	for (uint32_t i = 0; i < cat.nservices; i++)
		assert_false(m.required[i]);
	cat_model_free(&m);

	load_prof(&p, "products: [cisco-cucm]\nrequire:\n"
	          "  services: [base-router, ldap-query, ipo-radius]\n"
	          "  products: [cisco-cucm]\n");
	assert_int_equal(p.nrequired, 5);
	assert_int_equal(cat_apply(&m, &cat, &p, 0, &err), 0);
	assert_true(m.required[idx("base-router")]);
	assert_true(m.required[idx("cucm-snmp")]);
	assert_true(m.required[idx("cucm-wmi")]);
	assert_false(m.required[idx("ldap-query")]); /* disabled: ldap off */
	assert_false(m.required[idx("ipo-radius")]); /* product not listed */
	assert_false(m.required[idx("base-jvm")]);
	cat_model_free(&m);
	cat_profile_free(&p);
}

static void test_json(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	struct cat_profile p;
	load_prof(&p, "products: [cisco-cucm]\nrequire: {services: [cucm-wmi]}\n");
	assert_int_equal(cat_apply(&m, &cat, &p, 2000, &err), 0);
	json_t *o = cat_service_json(&m, idx("cucm-wmi"));
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "id")), "cucm-wmi");
	assert_string_equal(json_string_value(json_object_get(o, "group")),
	                    "Cisco Unified Communications Manager");
	assert_string_equal(json_string_value(json_object_get(o, "product")), "cisco-cucm");
	assert_string_equal(json_string_value(json_object_get(o, "protocol")), "tcp");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "ports"), 0)), 135);
	json_t *d = json_object_get(o, "dynamic");
	assert_int_equal(json_integer_value(json_object_get(d, "control")), 135);
	assert_string_equal(json_string_value(json_object_get(d, "range")), "49152-65535");
	assert_string_equal(json_string_value(json_object_get(o, "direction")), "outbound");
	assert_true(json_is_false(json_object_get(o, "oneway")));
	assert_true(json_is_true(json_object_get(o, "enabled")));
	assert_true(json_is_null(json_object_get(o, "disabled_reason")));
	assert_true(json_is_true(json_object_get(o, "required")));
	assert_string_equal(json_string_value(json_object_get(o, "process")), "WMI");
	assert_string_equal(json_string_value(json_object_get(o, "purpose")), "wmi");
	assert_true(json_is_null(json_object_get(o, "vendor")));
	assert_true(json_is_null(json_object_get(o, "note")));
	assert_int_equal(json_array_size(json_object_get(o, "conditions")), 0);
	json_decref(o);

	o = cat_service_json(&m, idx("ipo-radius"));
	json_t *ports = json_object_get(o, "ports");
	json_t *any = json_object_get(json_array_get(ports, 0), "any");
	assert_int_equal(json_array_size(any), 2);
	assert_int_equal(json_integer_value(json_array_get(any, 1)), 1645);
	assert_string_equal(json_string_value(json_array_get(ports, 1)), "50000-50002");
	assert_true(json_is_false(json_object_get(o, "enabled")));
	assert_string_equal(json_string_value(json_object_get(o, "disabled_reason")),
	                    "product 'Avaya IP Office' is not listed in the profile");
	assert_string_equal(json_string_value(json_object_get(o, "vendor")), "CRA");
	assert_true(json_is_null(json_object_get(o, "dynamic")));
	json_decref(o);

	o = cat_service_json(&m, idx("discovery"));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "ports"), 0)), 2002);
	assert_true(json_is_true(json_object_get(o, "oneway")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "conditions"), 0)),
	                    "auto-discovery");
	json_decref(o);
	cat_model_free(&m);
	cat_profile_free(&p);
}

/* A catalog built by hand (no `loaded` copy) is resolved in place. */
static void test_hand_built(void **state)
{
	(void)state;
	struct cat_product prod = { "base", (char *)"Base", true };
	struct cat_service sv[2];
	memset(sv, 0, sizeof sv);
	snprintf(sv[0].id, sizeof sv[0].id, "abs");
	sv[0].nreq = 1;
	sv[0].req[0].nalt = 1;
	sv[0].req[0].alt[0].lo = sv[0].req[0].alt[0].hi = 22;
	sv[0].purpose = (char *)"p";
	snprintf(sv[1].id, sizeof sv[1].id, "rel");
	sv[1].nreq = 1;
	sv[1].req[0].nalt = 1;
	sv[1].req[0].alt[0].base_rel = true;
	sv[1].req[0].alt[0].raw_lo = sv[1].req[0].alt[0].raw_hi = 2;
	sv[1].purpose = (char *)"p";
	struct catalog hc;
	memset(&hc, 0, sizeof hc);
	hc.products = &prod;
	hc.nproducts = 1;
	hc.services = sv;
	hc.nservices = 2;
	hc.default_base = 1960;
	struct cat_model m;
	struct cat_error err;
	assert_int_equal(cat_apply(&m, &hc, NULL, 0, &err), 0);
	assert_int_equal(sv[0].req[0].alt[0].lo, 22);
	assert_int_equal(sv[1].req[0].alt[0].lo, 1962);
	assert_true(sv[0].enabled && sv[1].enabled);
	cat_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_products),
		cmocka_unit_test(test_servers),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_hand_built),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
