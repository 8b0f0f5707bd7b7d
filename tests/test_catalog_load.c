/*
 * test_catalog_load.c -- good catalogs in every schema form, SHA-256
 * vectors, prefixes, port sets and their text.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/internal.h"

static const char GOOD[] =
	"# every form of docs/catalog.md\n"
	"catalog:\n"
	"  name: demo-1.0_x\n"
	"  title: Demo catalog\n"
	"  base_port: 2000\n"
	"  max_offset: 6\n"
	"conditions:\n"
	"  - id: auto-discovery\n"
	"    default: true\n"
	"    description: multicast discovery\n"
	"  - id: ldap\n"
	"    default: no\n"
	"  - {id: tls}\n"
	"products:\n"
	"  - id: base\n"
	"    name: Base Ports\n"
	"    always: yes\n"
	"  - {id: vendor-a, name: Vendor A}\n"
	"services:\n"
	"  - id: router\n"                                    /* line 20 */
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [base+0]\n"
	"    direction: inbound\n"
	"    process: IRNETRTR\n"
	"    purpose: >\n"
	"      Default base port,\n"
	"      folded.\n"
	"  - id: local-only\n"
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [\"base+1\"]\n"
	"    direction: local\n"
	"    purpose: local\n"
	"  - {id: reserved-3, product: base, protocol: none, ports: [base+3], direction: reserved, purpose: reserved}\n"
	"  - id: radius\n"
	"    product: vendor-a\n"
	"    protocol: udp\n"
	"    ports: [{any: [1812, 1645]}, {any: [1813, \"1646\"]}]\n"
	"    direction: inbound\n"
	"    oneway: false\n"
	"    purpose: RADIUS\n"
	"    vendor: CRA\n"
	"    note: \"two requirements, two alternatives each\"\n"
	"  - id: cdr\n"
	"    product: vendor-a\n"
	"    protocol: tcp\n"
	"    ports: [\"50000-50002\", 22, {any: [base+6, 8080-8089]}]\n"
	"    direction: both\n"
	"    oneway: true\n"
	"    conditions: [ldap, tls]\n"
	"    purpose: CDR push\n"
	"  - id: wmi\n"
	"    product: vendor-a\n"
	"    protocol: tcp\n"
	"    ports: [135]\n"
	"    dynamic: \"49152-65535\"\n"
	"    direction: outbound\n"
	"    purpose: WMI\n"
	"  - id: rpc\n"
	"    product: vendor-a\n"
	"    protocol: tcp\n"
	"    ports: [593, 0]\n"
	"    dynamic: 1024-65535\n"
	"    control: 593\n"
	"    direction: internal\n"
	"    purpose: RPC over HTTP\n"
	"    note:\n";

static struct catalog cat;

static int setup(void **state)
{
	(void)state;
	struct cat_error err;
	if (cat_load_buffer(&cat, "good.yaml", (const unsigned char *)GOOD,
	                    sizeof GOOD - 1, &err) != 0) {
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

static const struct cat_service *svc(const char *id)
{
	for (uint32_t i = 0; i < cat.nservices; i++)
		if (strcmp(cat.services[i].id, id) == 0)
			return &cat.services[i];
	fail_msg("no service %s", id);
	return NULL;
}

static void test_header(void **state)
{
	(void)state;
	assert_string_equal(cat.name, "demo-1.0_x");
	assert_string_equal(cat.title, "Demo catalog");
	assert_string_equal(cat.source, "good.yaml");
	assert_int_equal(cat.default_base, 2000);
	assert_int_equal(cat.max_offset, 6);
	assert_int_equal(cat.ncond, 3);
	assert_true(cat.cond[0].dflt);
	assert_false(cat.cond[1].dflt);
	assert_true(cat.cond[2].dflt); /* default: true when absent */
	assert_string_equal(cat.cond[0].description, "multicast discovery");
	assert_null(cat.cond[2].description);
	assert_int_equal(cat.nproducts, 2);
	assert_true(cat.products[0].always);
	assert_false(cat.products[1].always);
	assert_string_equal(cat.products[1].name, "Vendor A");
	assert_int_equal(cat.nservices, 7);
}

static void test_services(void **state)
{
	(void)state;
	const struct cat_service *s = svc("router");
	assert_int_equal(s->line, 20);
	assert_int_equal(s->col, 5);
	assert_int_equal(s->proto, CAT_PROTO_TCP);
	assert_int_equal(s->dir, CAT_DIR_INBOUND);
	assert_int_equal(s->nreq, 1);
	assert_true(s->req[0].alt[0].base_rel);
	assert_int_equal(s->req[0].alt[0].raw_lo, 0);
	assert_string_equal(s->process, "IRNETRTR");
	/* one line: the folded block's final line break dropped */
	assert_string_equal(s->purpose, "Default base port, folded.");
	assert_string_equal(s->ports_text, "base+0");
	assert_null(s->note);
	assert_null(s->vendor);

	s = svc("local-only");
	assert_int_equal(s->dir, CAT_DIR_LOCAL);
	assert_int_equal(s->req[0].alt[0].raw_lo, 1);

	s = svc("reserved-3");
	assert_int_equal(s->proto, CAT_PROTO_NONE);
	assert_int_equal(s->dir, CAT_DIR_RESERVED);

	s = svc("radius");
	assert_int_equal(s->nreq, 2);
	assert_int_equal(s->req[0].nalt, 2);
	assert_int_equal(s->req[0].alt[0].raw_lo, 1812);
	assert_int_equal(s->req[0].alt[1].raw_lo, 1645);
	assert_int_equal(s->req[1].alt[1].raw_hi, 1646);
	assert_false(s->req[1].alt[1].base_rel);
	assert_string_equal(s->ports_text, "1812|1645, 1813|1646");
	assert_string_equal(s->vendor, "CRA");
	assert_string_equal(s->note, "two requirements, two alternatives each");
	assert_false(s->oneway);

	s = svc("cdr");
	assert_int_equal(s->nreq, 3);
	assert_int_equal(s->req[0].alt[0].raw_lo, 50000);
	assert_int_equal(s->req[0].alt[0].raw_hi, 50002);
	assert_int_equal(s->req[1].alt[0].raw_lo, 22);
	assert_true(s->req[2].alt[0].base_rel);
	assert_int_equal(s->req[2].alt[0].raw_lo, 6);
	assert_int_equal(s->req[2].alt[1].raw_lo, 8080);
	assert_int_equal(s->req[2].alt[1].raw_hi, 8089);
	assert_true(s->oneway);
	assert_int_equal(s->conditions, (1u << 1) | (1u << 2));
	assert_int_equal(s->dir, CAT_DIR_BOTH);
	assert_int_equal(s->product, 1);

	s = svc("wmi");
	assert_true(s->has_dynamic);
	assert_int_equal(s->control, 135);
	assert_int_equal(s->dynamic.raw_lo, 49152);
	assert_int_equal(s->dynamic.raw_hi, 65535);

	s = svc("rpc");
	assert_int_equal(s->control, 593);
	assert_int_equal(s->dir, CAT_DIR_INTERNAL);
	assert_int_equal(s->req[1].alt[0].raw_lo, 0);
	assert_null(s->note); /* "note:" with no value */
}

static void test_builtin(void **state)
{
	(void)state;
	struct catalog b;
	struct cat_error err;
	assert_int_equal(cat_load_file(&b, NULL, &err), 0);
	assert_string_equal(b.source, "<built-in>");
	assert_true(b.nservices > 0);
	char hex[65];
	cat_sha256_hex(cat_builtin_yaml, cat_builtin_yaml_len, hex);
	assert_string_equal(b.sha256, hex);
	cat_free(&b);
	assert_int_equal(cat_load_file(&b, "", &err), 0);
	assert_string_equal(b.name, "prognosis");
	cat_free(&b);
	/* The same text from a file gives the same digest. */
	const char *p = pa_tmp("copy.yaml");
	pa_write_file(p, GOOD);
	assert_int_equal(cat_load_file(&b, p, &err), 0);
	assert_string_equal(b.sha256, cat.sha256);
	assert_string_equal(b.source, p);
	cat_free(&b);
}

static void test_sha256(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
		{ "The quick brown fox jumps over the lazy dog",
		  "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592" },
	};
	char hex[65];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		cat_sha256_hex((const unsigned char *)v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].hex);
	}
	/* One million 'a' (FIPS 180-2 appendix B.3). */
	unsigned char *m = malloc(1000000);
	assert_non_null(m);
	memset(m, 'a', 1000000);
	cat_sha256_hex(m, 1000000, hex);
	free(m);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_prefix(void **state)
{
	(void)state;
	struct cat_prefix p;
	char buf[64];
	assert_int_equal(cat_prefix_parse(&p, "10.0.0.5"), 0);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.len, 32);
	cat_prefix_format(&p, buf, sizeof buf);
	assert_string_equal(buf, "10.0.0.5");

	assert_int_equal(cat_prefix_parse(&p, "10.0.9.7/23"), 0);
	cat_prefix_format(&p, buf, sizeof buf);
	assert_string_equal(buf, "10.0.8.0/23");
	uint8_t a[16] = { 10, 0, 9, 200 };
	assert_true(cat_prefix_contains(&p, 4, a));
	a[2] = 8;
	assert_true(cat_prefix_contains(&p, 4, a));
	a[2] = 10;
	assert_false(cat_prefix_contains(&p, 4, a));
	assert_false(cat_prefix_contains(&p, 6, a));

	assert_int_equal(cat_prefix_parse(&p, "0.0.0.0/0"), 0);
	assert_true(cat_prefix_contains(&p, 4, a));

	assert_int_equal(cat_prefix_parse(&p, "2001:db8::5"), 0);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.len, 128);
	cat_prefix_format(&p, buf, sizeof buf);
	assert_string_equal(buf, "2001:db8::5");
	assert_int_equal(cat_prefix_parse(&p, "2001:db8:ff::1/40"), 0);
	cat_prefix_format(&p, buf, sizeof buf);
	assert_string_equal(buf, "2001:db8::/40");
	uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x7f };
	assert_true(cat_prefix_contains(&p, 6, b6));
	b6[4] = 0x01; /* bits 32..39 differ */
	assert_false(cat_prefix_contains(&p, 6, b6));

	static const char *const bad[] = {
		"", "10.0.0", "10.0.0.1/", "10.0.0.1/33", "::/129", "1.2.3.4/-1",
		"1.2.3.4/ 8", "abc", "10.0.0.256", "1.2.3.4/0008", "/24",
		"fe80::1%eth0", "1.2.3.4/99999999999999999999",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cat_prefix_parse(&p, bad[i]), -1);
	char why[160];
	assert_int_equal(cat_prefix_parse_why(&p, "10.0.0.1/33", why, sizeof why), -1);
	assert_string_equal(why, "'10.0.0.1/33': /33 is too long for IPv4 (at most /32)");
}

static void test_ports(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	char buf[128];
	assert_int_equal(cat_apply(&m, &cat, NULL, 0, &err), 0);
	const struct cat_service *s = svc("radius");
	cat_service_ports_format(s, buf, sizeof buf);
	assert_string_equal(buf, "1812|1645, 1813|1646");
	assert_true(cat_service_has_port(s, 1645, false));
	assert_true(cat_service_has_port(s, 1813, false));
	assert_false(cat_service_has_port(s, 1814, true));
	s = svc("cdr");
	cat_service_ports_format(s, buf, sizeof buf);
	assert_string_equal(buf, "50000-50002, 22, 2006|8080-8089");
	assert_true(cat_service_has_port(s, 50001, false));
	assert_true(cat_service_has_port(s, 2006, false));
	assert_false(cat_service_has_port(s, 2005, false));
	s = svc("wmi");
	cat_service_ports_format(s, buf, sizeof buf);
	assert_string_equal(buf, "135 + 49152-65535 (dynamic)");
	assert_true(cat_service_has_port(s, 135, false));
	assert_false(cat_service_has_port(s, 50000, false));
	assert_true(cat_service_has_port(s, 50000, true));
	assert_true(cat_service_has_port(s, 65535, true));
	/* Truncation stays NUL-terminated. */
	cat_service_ports_format(s, buf, 6);
	assert_string_equal(buf, "135 +");
	assert_string_equal(cat_proto_name(CAT_PROTO_TCP), "tcp");
	assert_string_equal(cat_proto_name(CAT_PROTO_UDP), "udp");
	assert_string_equal(cat_proto_name(CAT_PROTO_NONE), "any");
	assert_string_equal(cat_dir_name(CAT_DIR_INBOUND), "inbound");
	assert_string_equal(cat_dir_name(CAT_DIR_LOCAL), "local");
	assert_string_equal(cat_dir_name(CAT_DIR_RESERVED), "reserved");
	cat_model_free(&m);
}

/* One requirement may stand without its list: `ports: 22` is
 * `ports: [22]`, `ports: {any: [...]}` is `ports: [{any: [...]}]`, in a
 * catalog and in a profile's override. */
static void test_single_port(void **state)
{
	(void)state;
	static const char y[] =
		"catalog: {name: s, max_offset: 6}\nconditions: []\n"
		"products: [{id: p, name: P}]\nservices:\n"
		"  - {id: a, product: p, protocol: tcp, ports: 22, direction: inbound, purpose: x}\n"
		"  - {id: b, product: p, protocol: udp, ports: {any: [1812, \"1645-1646\"]}, "
		"direction: inbound, purpose: y}\n"
		"  - {id: c, product: p, protocol: tcp, ports: base+2, direction: inbound, purpose: z}\n"
		"  - {id: d, product: p, protocol: tcp, ports: 135, dynamic: 5000-5100, "
		"direction: outbound, purpose: w}\n";
	struct catalog c;
	struct cat_error err;
	if (cat_load_buffer(&c, "s.yaml", (const unsigned char *)y, sizeof y - 1,
	                    &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.services[0].nreq, 1);
	assert_int_equal(c.services[0].req[0].nalt, 1);
	assert_int_equal(c.services[0].req[0].alt[0].lo, 22);
	assert_string_equal(c.services[0].ports_text, "22");
	assert_int_equal(c.services[1].nreq, 1);
	assert_int_equal(c.services[1].req[0].nalt, 2);
	assert_int_equal(c.services[1].req[0].alt[1].lo, 1645);
	assert_int_equal(c.services[1].req[0].alt[1].hi, 1646);
	assert_string_equal(c.services[1].ports_text, "1812|1645-1646");
	assert_true(c.services[2].req[0].alt[0].base_rel);
	assert_int_equal(c.services[2].req[0].alt[0].raw_lo, 2);
	assert_true(c.services[3].has_dynamic);

	struct cat_profile p;
	static const char py[] = "overrides:\n  - {service: a, ports: 2222}\n"
	                         "  - {service: d, ports: 135, dynamic: 6000-6001}\n";
	if (cat_profile_load_buffer(&p, &c, "p.yaml", (const unsigned char *)py,
	                            sizeof py - 1, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p.noverrides, 2);
	assert_true(p.overrides[0].has_ports);
	assert_int_equal(p.overrides[0].nreq, 1);
	assert_int_equal(p.overrides[0].req[0].alt[0].lo, 2222);
	cat_profile_free(&p);
	cat_free(&c);
}

static void test_suggest(void **state)
{
	(void)state;
	assert_int_equal(cat_edit_distance("sever", "servers", 5), 2);
	assert_int_equal(cat_edit_distance("kitten", "sitting", 5), 3);
	assert_true(cat_is_near("ldapp", "ldap"));
	assert_true(cat_is_near("serv", "servers"));
	assert_false(cat_is_near("x", "id"));
	assert_false(cat_is_near("purpose", "ports"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_single_port),
		cmocka_unit_test(test_suggest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
