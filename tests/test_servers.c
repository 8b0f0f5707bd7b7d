/*
 * test_servers.c -- the server set (classify/servers.c): which server an
 * address belongs to (hosts and prefixes of both families, the longest
 * prefix naming it), inference of many servers, and the limit, which a
 * caveat reports.
 *
 * The built-in catalog, servers given through cls_options or inferred
 * from flows accepted on the base port, hand-made struct cap_flow records
 * fed to cls_flow; the sink records each flow's server.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/classify.h"
#include "../classify/cls_int.h" /* cls_server_of */

struct env {
	struct catalog cat;
	struct cat_model model;
	struct cls *cls;
	uint64_t flows;          /* flows the sink got */
	uint64_t none;           /* of which with no server */
	int32_t last_server;     /* the server of the last one */
	uint64_t t;
};

static void sink(const struct cls_flow *cf, void *ctx)
{
	struct env *e = ctx;
	e->flows++;
	e->none += cf->verdict == CLS_V_NONE;
	e->last_server = cf->server;
}

static void addr(uint8_t *out, uint8_t *family, const char *s)
{
	memset(out, 0, 16);
	if (strchr(s, ':')) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		*family = 6;
	} else {
		assert_int_equal(inet_pton(AF_INET, s, out), 1);
		*family = 4;
	}
}

static struct cls_server srv(const char *prefix, const char *name)
{
	struct cls_server s;
	memset(&s, 0, sizeof s);
	struct cat_prefix p;
	assert_int_equal(cat_prefix_parse(&p, prefix), 0);
	s.family = p.family;
	memcpy(s.addr, p.addr, 16);
	s.len = p.len;
	snprintf(s.name, sizeof s.name, "%s", name);
	snprintf(s.how, sizeof s.how, "--server");
	return s;
}

static struct env *env_new(const struct cls_server *given, uint32_t n)
{
	struct env *e = calloc(1, sizeof *e);
	assert_non_null(e);
	struct cat_error err;
	if (cat_load_file(&e->cat, NULL, &err) != 0)
		fail_msg("built-in catalog: %s", err.msg);
	if (cat_apply(&e->model, &e->cat, NULL, 0, &err) != 0)
		fail_msg("apply: %s", err.msg);
	struct cls_options o = {
		.servers = n ? given : NULL, .nservers = n, .sink = sink,
		.sink_ctx = e, .fail_on = (1 << CLS_K_COUNT) - 1,
	};
	e->cls = cls_new(&e->model, &o);
	assert_non_null(e->cls);
	e->t = 1700000000ull * 1000000000ull;
	return e;
}

static void env_free(struct env *e)
{
	cls_free(e->cls);
	cat_model_free(&e->model);
	cat_free(&e->cat);
	free(e);
}

/* An established TCP flow from a to b:port. */
static struct cap_flow flow(struct env *e, uint8_t family, const uint8_t *a,
                            const uint8_t *b, uint16_t port)
{
	struct cap_flow f;
	memset(&f, 0, sizeof f);
	f.family = family;
	memcpy(f.addr_a, a, 16);
	memcpy(f.addr_b, b, 16);
	f.port_a = 40000;
	f.port_b = port;
	f.proto = 6;
	f.outcome = CAP_OUT_ESTABLISHED;
	f.pkts[0] = 3;
	f.pkts[1] = 2;
	f.bytes[0] = 300;
	f.bytes[1] = 200;
	f.first_ns = e->t;
	f.last_ns = e->t + 1000000u;
	e->t += 2000000u;
	return f;
}

/* The name of the server that address s belongs to, or "-". */
static const char *server_of(const struct env *e, const char *s)
{
	uint8_t a[16], fam;
	addr(a, &fam, s);
	int32_t k = cls_server_of(e->cls, fam, a);
	if (k < 0)
		return "-";
	assert_true((uint32_t)k < e->cls->res.nservers);
	return e->cls->res.servers[k].name;
}

static void finish(struct env *e, const struct cls_result **res)
{
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.packets = 1000;
	*res = cls_finish(e->cls, &st);
	assert_non_null(*res);
}

static bool has_caveat(const struct cls_result *res, const char *part)
{
	for (uint32_t i = 0; i < res->ncaveats; i++)
		if (strstr(res->caveats[i], part))
			return true;
	return false;
}

/* Hosts and prefixes of both families, given in an order where the first
 * match is not the longest: the longest prefix names the address. */
static void test_longest_prefix(void **state)
{
	(void)state;
	const struct cls_server v[] = {
		srv("10.0.0.0/8", "net8"),
		srv("10.1.2.3", "host4"),
		srv("10.1.0.0/16", "net16"),
		srv("10.1.2.128/25", "half25"),
		srv("10.1.2.0/24", "net24"),
		srv("2001:db8::/32", "net32"),
		srv("2001:db8:1::5", "host6"),
		srv("2001:db8:1::/48", "net48"),
		srv("2001:db8:1:0:8000::/65", "net65"),
		srv("10.1.2.3", "host4-again"),
	};
	struct env *e = env_new(v, sizeof v / sizeof v[0]);
	assert_int_equal(e->cls->res.nservers, 10);
	assert_string_equal(server_of(e, "10.1.2.3"), "host4");
	assert_string_equal(server_of(e, "10.1.2.4"), "net24");
	assert_string_equal(server_of(e, "10.1.2.200"), "half25");
	assert_string_equal(server_of(e, "10.1.2.127"), "net24");
	assert_string_equal(server_of(e, "10.1.9.9"), "net16");
	assert_string_equal(server_of(e, "10.200.0.1"), "net8");
	assert_string_equal(server_of(e, "11.0.0.1"), "-");
	assert_string_equal(server_of(e, "9.255.255.255"), "-");
	assert_string_equal(server_of(e, "2001:db8:1::5"), "host6");
	assert_string_equal(server_of(e, "2001:db8:1::6"), "net48");
	assert_string_equal(server_of(e, "2001:db8:1:0:8000::1"), "net65");
	assert_string_equal(server_of(e, "2001:db8:1:0:7fff::1"), "net48");
	assert_string_equal(server_of(e, "2001:db8:ffff::1"), "net32");
	assert_string_equal(server_of(e, "2001:db9::1"), "-");
	/* The same bytes in the other family belong to no server. */
	assert_string_equal(server_of(e, "a01:203::"), "-");
	assert_string_equal(server_of(e, "32.1.13.184"), "-");

	/* A flow is counted for the server its address names. */
	uint8_t peer[16], host[16], fam;
	addr(peer, &fam, "192.0.2.1");
	addr(host, &fam, "10.1.2.200");
	struct cap_flow f = flow(e, 4, peer, host, 1960);
	cls_flow(&f, e->cls);
	assert_int_equal(e->flows, 1);
	assert_string_equal(e->cls->res.servers[e->last_server].name, "half25");
	const struct cls_result *res;
	finish(e, &res);
	assert_int_equal(res->servers[3].by[CLS_V_EXPECTED], 1);
	assert_int_equal(res->summary.flows, 1);
	assert_int_equal(res->ncaveats, 0);
	env_free(e);
}

/* A whole family as one server, and a host of the other family. */
static void test_default_routes(void **state)
{
	(void)state;
	const struct cls_server v[] = {
		srv("0.0.0.0/0", "all4"),
		srv("2001:db8::1", "one6"),
	};
	struct env *e = env_new(v, 2);
	assert_string_equal(server_of(e, "198.51.100.7"), "all4");
	assert_string_equal(server_of(e, "255.255.255.255"), "all4");
	assert_string_equal(server_of(e, "2001:db8::1"), "one6");
	assert_string_equal(server_of(e, "2001:db8::2"), "-");
	env_free(e);
}

/* Host n of 10.0.0.0/8 (n < 2^24), avoiding .0 and .255 for realism. */
static void host_n(uint32_t n, uint8_t *a)
{
	memset(a, 0, 16);
	uint32_t v = 0x0a000000u | (n / 250 << 8) | (n % 250 + 1);
	a[0] = (uint8_t)(v >> 24);
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

/* n hosts accept TCP on the base port, then (when `twice`) each gets one
 * more flow, on TCP 7 (echo, in no catalog row: unexpected). */
static void infer(struct env *e, uint32_t n, bool twice,
                  const struct cls_result **res)
{
	uint8_t peer[16], a[16], fam;
	addr(peer, &fam, "192.0.2.1");
	for (uint32_t i = 0; i < n; i++) {
		host_n(i, a);
		struct cap_flow f = flow(e, 4, peer, a, 1960);
		cls_flow(&f, e->cls);
	}
	for (uint32_t i = 0; twice && i < n; i++) {
		host_n(i, a);
		struct cap_flow f = flow(e, 4, peer, a, 7);
		cls_flow(&f, e->cls);
	}
	finish(e, res);
}

static void test_70000_inferred(void **state)
{
	(void)state;
	struct env *e = env_new(NULL, 0);
	const struct cls_result *res;
	infer(e, 70000, true, &res);
	assert_int_equal(res->nservers, 70000);
	assert_int_equal(e->flows, 140000);
	assert_int_equal(e->none, 0);
	assert_int_equal(res->summary.flows, 140000);
	assert_int_equal(res->summary.other_flows, 0);
	assert_int_equal(res->summary.expected, 70000);
	assert_int_equal(res->summary.unexpected, 70000);
	for (uint32_t i = 0; i < res->nservers; i++) {
		assert_true(res->servers[i].inferred);
		assert_int_equal(res->servers[i].by[CLS_V_EXPECTED], 1);
		assert_int_equal(res->servers[i].by[CLS_V_UNEXPECTED], 1);
	}
	assert_false(has_caveat(res, "servers"));
	assert_non_null(strstr(res->servers_how, "inferred 70000 host(s)"));
	env_free(e);
}

/* Past CLS_MAX_SERVERS hosts accepting the base port: the rest are not
 * servers, and a caveat counts them. */
static void test_limit_inferred(void **state)
{
	(void)state;
	struct env *e = env_new(NULL, 0);
	const struct cls_result *res;
	infer(e, CLS_MAX_SERVERS + 20, false, &res);
	assert_int_equal(res->nservers, CLS_MAX_SERVERS);
	assert_int_equal(res->summary.flows, CLS_MAX_SERVERS);
	assert_int_equal(res->summary.other_flows, 20);
	assert_int_equal(e->none, 20);
	char want[160];
	snprintf(want, sizeof want, "20 base-port connections (or interface "
	         "addresses) of hosts past the first %u servers inferred were "
	         "not taken as servers", CLS_MAX_SERVERS);
	assert_true(has_caveat(res, want));
	assert_true(res->summary.with_caveats);
	env_free(e);
}

/* More servers given than the limit: the first are kept, a caveat says
 * how many were left out. */
static void test_limit_given(void **state)
{
	(void)state;
	uint32_t n = CLS_MAX_SERVERS + 5;
	struct cls_server *v = calloc(n, sizeof *v);
	assert_non_null(v);
	for (uint32_t i = 0; i < n; i++) {
		v[i].family = 4;
		host_n(i, v[i].addr);
		v[i].len = 32;
		snprintf(v[i].how, sizeof v[i].how, "--server");
	}
	struct env *e = env_new(v, n);
	assert_int_equal(e->cls->res.nservers, CLS_MAX_SERVERS);
	uint8_t a[16];
	host_n(CLS_MAX_SERVERS - 1, a);
	assert_int_equal(cls_server_of(e->cls, 4, a), CLS_MAX_SERVERS - 1);
	host_n(CLS_MAX_SERVERS, a);
	assert_int_equal(cls_server_of(e->cls, 4, a), -1);
	const struct cls_result *res;
	finish(e, &res);
	char want[160];
	snprintf(want, sizeof want, "Only the first %u of the %u servers "
	         "given are audited", CLS_MAX_SERVERS, n);
	assert_true(has_caveat(res, want));
	env_free(e);
	free(v);
}

/* cls_server_add grows the array up to the limit, then says no. */
static void test_server_add(void **state)
{
	(void)state;
	struct cls_result res;
	memset(&res, 0, sizeof res);
	for (uint32_t i = 0; i < CLS_MAX_SERVERS; i++) {
		struct cls_server *s = cls_server_add(&res);
		assert_non_null(s);
		assert_int_equal(s->family, 0);
		s->family = 4;
	}
	assert_int_equal(res.nservers, CLS_MAX_SERVERS);
	assert_null(cls_server_add(&res));
	assert_int_equal(res.nservers, CLS_MAX_SERVERS);
	assert_int_equal(res.servers[CLS_MAX_SERVERS - 1].family, 4);
	free(res.servers);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_prefix),
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test(test_70000_inferred),
		cmocka_unit_test(test_limit_inferred),
		cmocka_unit_test(test_limit_given),
		cmocka_unit_test(test_server_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
