/*
 * test_rules.c -- unit tests of the helpers of catalog/rules.c: prefix
 * masking and containment, port-set merging, comment cleaning, peer
 * de-duplication, and the rule list built from a catalog made in memory.
 *
 * rules.c keeps its helpers static; this file includes it, so that the
 * test sees them without widening catalog.h (the library's rules.o is then
 * not linked in: nothing else refers to it).
 */
#include "catalog/rules.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static struct cat_prefix P(const char *s)
{
	struct cat_prefix p;
	assert_int_equal(cat_prefix_parse(&p, s), 0);
	return p;
}

static void test_prefix(void **state)
{
	(void)state;
	char b[64];
	struct cat_prefix p = P("10.1.2.3/16");
	prefix_str(&p, b, sizeof b);
	assert_string_equal(b, "10.1.0.0/16");
	p = P("10.0.0.5");
	prefix_str(&p, b, sizeof b);
	assert_string_equal(b, "10.0.0.5");
	assert_true(prefix_is_host(&p));
	p = P("2001:db8::1/32");
	prefix_str(&p, b, sizeof b);
	assert_string_equal(b, "2001:db8::/32");
	p = P("10.0.0.77/25");
	prefix_str(&p, b, sizeof b);
	assert_string_equal(b, "10.0.0.0/25");
	p = P("0.0.0.0/0");
	prefix_str(&p, b, sizeof b);
	assert_string_equal(b, "0.0.0.0/0");

	struct cat_prefix net = P("10.1.0.0/16"), in = P("10.1.200.9"),
	                  out = P("10.2.0.1"), v6 = P("::ffff:10.1.0.1");
	assert_true(prefix_covers(&net, &in));
	assert_false(prefix_covers(&net, &out));
	assert_false(prefix_covers(&in, &net));
	assert_false(prefix_covers(&net, &v6));
	assert_true(prefix_covers(&net, &net));
	struct cat_prefix a = P("10.1.2.3/16");
	assert_true(prefix_equal(&a, &net));
}

static void test_portset(void **state)
{
	(void)state;
	struct portset ps;
	memset(&ps, 0, sizeof ps);
	portset_add(&ps, 8443, 8443);
	portset_add(&ps, 443, 443);
	portset_add(&ps, 440, 445);
	portset_add(&ps, 446, 446);     /* adjacent: merged */
	portset_add(&ps, 65535, 65535);
	portset_add(&ps, 65535, 65530); /* reversed, overlapping, at the top */
	portset_add(&ps, 0, 0);
	portset_normalize(&ps);
	char b[256];
	portset_str(&ps, 0, ps.n, ", ", '-', b, sizeof b);
	assert_string_equal(b, "0, 440-446, 8443, 65530-65535");
	portset_str(&ps, 1, 3, ",", ':', b, sizeof b);
	assert_string_equal(b, "440:446,8443");
}

static void test_clean_text(void **state)
{
	(void)state;
	char b[64];
	clean_text(b, sizeof b, "a \"q\" b\\c\td \xe2\x80\x93 e \xe2\x80\x99s \xc3\xa9!");
	assert_string_equal(b, "a 'q' b/c d - e 's ?!");
	char s[10];
	clean_text(s, sizeof s, "0123456789abcdef");
	assert_string_equal(s, "012345...");
	clean_text(s, sizeof s, "012345678");
	assert_string_equal(s, "012345678");
	/* A cut UTF-8 sequence at the end does not read past the string. */
	clean_text(b, sizeof b, "x\xe2\x80");
	assert_string_equal(b, "x?");
}

static void test_peers(void **state)
{
	(void)state;
	struct cat_prefix c[] = { P("10.1.0.11"), P("10.1.0.0/28"), P("2001:db8::1"),
	                          P("10.1.0.0/28"), P("10.9.0.1"), P("10.0.0.5") };
	uint32_t n;
	struct cat_prefix *p = peers_for(c, 6, 4, NULL, &n);
	char b[64];
	assert_int_equal(n, 3);
	prefix_str(&p[0], b, sizeof b);
	assert_string_equal(b, "10.1.0.0/28");
	prefix_str(&p[1], b, sizeof b);
	assert_string_equal(b, "10.9.0.1");
	free(p);
	struct cat_prefix self = P("10.0.0.5");
	p = peers_for(c, 6, 4, &self, &n);
	assert_int_equal(n, 2);
	free(p);
	p = peers_for(c, 6, 6, NULL, &n);
	assert_int_equal(n, 1);
	free(p);
}

/* A catalog in memory: the rules follow directions, devices, families. */
static void test_build(void **state)
{
	(void)state;
	struct cat_product prods[2] = { { "base", "Base Ports", true },
	                                { "vend", "Vendor", false } };
	struct cat_service sv[4];
	memset(sv, 0, sizeof sv);
	const char *ids[4] = { "s-in", "s-out", "s-int", "s-local" };
	enum cat_dir dirs[4] = { CAT_DIR_INBOUND, CAT_DIR_OUTBOUND,
	                         CAT_DIR_INTERNAL, CAT_DIR_LOCAL };
	for (int i = 0; i < 4; i++) {
		snprintf(sv[i].id, sizeof sv[i].id, "%s", ids[i]);
		sv[i].product = i == 1;
		sv[i].proto = CAT_PROTO_TCP;
		sv[i].dir = dirs[i];
		sv[i].nreq = 1;
		sv[i].req[0].nalt = 2;
		sv[i].req[0].alt[0].lo = sv[i].req[0].alt[0].hi = (uint16_t)(1000 + i);
		sv[i].req[0].alt[1].lo = sv[i].req[0].alt[1].hi = (uint16_t)(2000 + i);
		sv[i].purpose = (char *)"p";
		sv[i].enabled = true;
	}
	sv[1].has_dynamic = true;
	sv[1].control = 1001;
	sv[1].dynamic.lo = 49152;
	sv[1].dynamic.hi = 65535;
	struct catalog cat;
	memset(&cat, 0, sizeof cat);
	cat.products = prods;
	cat.nproducts = 2;
	cat.services = sv;
	cat.nservices = 4;
	struct cat_prefix dev[2] = { P("192.0.2.1"), P("2001:db8:9::1") };
	struct cat_profile_product pp = { 1, dev, 2 };
	struct cat_profile prof;
	memset(&prof, 0, sizeof prof);
	prof.products = &pp;
	prof.nproducts = 1;
	struct cat_prefix srv[3] = { P("10.0.0.5"), P("2001:db8::5"), P("10.0.0.6") };

	struct ruleset rs;
	rules_build(&rs, &cat, &prof, srv, 3);
	/* s-in: 3 servers, any peer in, and out to the other IPv4 server
	 * (between servers any service goes either way, as the audit
	 * judges); s-out: out to the device of each family and the other
	 * server, in from the other server; s-int (base: no devices, so
	 * any peer, as the audit judges) both ways on 3 servers; s-local:
	 * one marker. */
	unsigned per[4] = { 0, 0, 0, 0 };
	for (uint32_t i = 0; i < rs.n; i++)
		per[rs.r[i].svc]++;
	assert_int_equal(per[0], 3 + 2);
	assert_int_equal(per[1], 3 + 2);
	assert_int_equal(per[2], 3 * 2);
	assert_int_equal(per[3], 1);
	char b[64];
	for (uint32_t i = 0; i < rs.n; i++) {
		const struct rule *r = &rs.r[i];
		if (r->kind != RK_ALLOW)
			continue;
		for (uint32_t k = 0; k < r->npeers; k++)
			assert_int_equal(r->peers[k].family, r->server->family);
		if (r->server != &srv[0])
			continue;
		if (r->svc == 0 && !r->in) { /* 10.0.0.5 -> 10.0.0.6 */
			assert_int_equal(r->npeers, 1);
			prefix_str(&r->peers[0], b, sizeof b);
			assert_string_equal(b, "10.0.0.6");
		}
		if (r->svc == 1 && !r->in) { /* the device and the server */
			assert_int_equal(r->npeers, 2);
			prefix_str(&r->peers[0], b, sizeof b);
			assert_string_equal(b, "192.0.2.1");
			prefix_str(&r->peers[1], b, sizeof b);
			assert_string_equal(b, "10.0.0.6");
			assert_int_equal(r->ports.n, 3); /* 1001, 2001, 49152-65535 */
		}
		if (r->svc == 1 && r->in) { /* from the other server only */
			assert_int_equal(r->npeers, 1);
			prefix_str(&r->peers[0], b, sizeof b);
			assert_string_equal(b, "10.0.0.6");
		}
		if (r->svc == 2)
			assert_int_equal(r->npeers, 0);
	}
	assert_int_equal(rs.r[rs.n - 1].kind, RK_LOCAL);
	ruleset_free(&rs);

	/* Devices of one family only: the other server gets a note. */
	pp.ndevices = 1;
	struct cat_prefix only6 = P("2001:db8::5");
	rules_build(&rs, &cat, &prof, &only6, 1);
	bool note = false;
	for (uint32_t i = 0; i < rs.n; i++)
		note |= rs.r[i].kind == RK_NONE && rs.r[i].svc == 1;
	assert_true(note);
	ruleset_free(&rs);
}

/* The BPF printer merges services per server and side, never beyond what
 * a port set holds: 12 services of 8 distinct ports each all appear. */
static void test_bpf_merge_no_loss(void **state)
{
	(void)state;
	struct cat_product prod = { "base", "Base Ports", true };
	struct cat_service sv[12];
	memset(sv, 0, sizeof sv);
	for (int i = 0; i < 12; i++) {
		snprintf(sv[i].id, sizeof sv[i].id, "s%d", i);
		sv[i].proto = CAT_PROTO_TCP;
		sv[i].dir = CAT_DIR_INBOUND;
		sv[i].nreq = 8;
		for (int k = 0; k < 8; k++) {
			sv[i].req[k].nalt = 1;
			sv[i].req[k].alt[0].lo = sv[i].req[k].alt[0].hi =
				(uint16_t)(10000 + i * 100 + k * 2);
		}
		sv[i].purpose = (char *)"p";
		sv[i].enabled = true;
	}
	struct catalog cat;
	memset(&cat, 0, sizeof cat);
	cat.products = &prod;
	cat.nproducts = 1;
	cat.services = sv;
	cat.nservices = 12;
	struct cat_prefix srv = P("10.0.0.5");
	struct ruleset rs;
	rules_build(&rs, &cat, NULL, &srv, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	print_bpf(f, &cat, &rs);
	assert_int_equal(fclose(f), 0);
	for (int i = 0; i < 12; i++)
		for (int k = 0; k < 8; k++) {
			char w[40];
			snprintf(w, sizeof w, "dst port %d)", 10000 + i * 100 + k * 2);
			char w2[40];
			snprintf(w2, sizeof w2, "dst port %d ", 10000 + i * 100 + k * 2);
			assert_true(strstr(buf, w) || strstr(buf, w2));
		}
	/* 96 ports do not fit one term: at least two. */
	assert_non_null(strstr(buf, ") or\n("));
	free(buf);
	ruleset_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_portset),
		cmocka_unit_test(test_clean_text),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_bpf_merge_no_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
