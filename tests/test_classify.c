/*
 * test_classify.c -- the classification rules, one test per rule.
 *
 * A small catalog (YAML through cat_load_buffer), an optional profile,
 * cat_apply, then hand-made struct cap_flow records fed to cls_flow. A sink
 * records every classified flow (verdict, service id, reason) and the tests
 * assert on them and on the findings and statuses after cls_finish.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/classify.h"
#include "../classify/cls_int.h" /* CLS_CTRL_MAX */

static const char cat_yaml[] =
	"catalog:\n"
	"  name: test\n"
	"  title: Test catalog\n"
	"  base_port: 1960\n"
	"  max_offset: 6\n"
	"conditions:\n"
	"  - id: auto-discovery\n"
	"    default: true\n"
	"    description: auto-discovery\n"
	"  - id: ldap\n"
	"    default: true\n"
	"    description: plain LDAP\n"
	"  - id: amqp-plain\n"
	"    default: true\n"
	"    description: plain AMQP\n"
	"products:\n"
	"  - id: base\n"
	"    name: Base Ports\n"
	"    always: true\n"
	"  - id: common\n"
	"    name: Common Ports\n"
	"    always: true\n"
	"  - id: cucm\n"
	"    name: Cisco Unified Communications Manager\n"
	"  - id: cube\n"
	"    name: Cisco Unified Border Element\n"
	"services:\n"
	"  - id: base-router\n"
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [base+0]\n"
	"    direction: inbound\n"
	"    purpose: base port\n"
	"  - id: base-promgr\n"
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [base+1]\n"
	"    direction: local\n"
	"    purpose: process manager\n"
	"  - id: base-autodisc\n"
	"    product: base\n"
	"    protocol: udp\n"
	"    ports: [base+2]\n"
	"    direction: both\n"
	"    oneway: true\n"
	"    conditions: [auto-discovery]\n"
	"    purpose: auto-discovery\n"
	"  - id: base-reserved-3\n"
	"    product: base\n"
	"    protocol: none\n"
	"    ports: [base+3]\n"
	"    direction: reserved\n"
	"    purpose: reserved\n"
	"  - id: base-reserved-5\n"
	"    product: base\n"
	"    protocol: none\n"
	"    ports: [base+5]\n"
	"    direction: reserved\n"
	"    purpose: reserved\n"
	"  - id: common-smtp\n"
	"    product: common\n"
	"    protocol: tcp\n"
	"    ports: [25]\n"
	"    direction: outbound\n"
	"    purpose: mail\n"
	"  - id: common-ldap\n"
	"    product: common\n"
	"    protocol: tcp\n"
	"    ports: [389]\n"
	"    direction: outbound\n"
	"    conditions: [ldap]\n"
	"    purpose: ldap\n"
	"  - id: common-amqp\n"
	"    product: common\n"
	"    protocol: tcp\n"
	"    ports: [5672]\n"
	"    direction: outbound\n"
	"    conditions: [amqp-plain]\n"
	"    purpose: amqp\n"
	"  - id: common-https\n"
	"    product: common\n"
	"    protocol: tcp\n"
	"    ports: [{any: [443, 8443]}]\n"
	"    direction: inbound\n"
	"    purpose: web\n"
	"  - id: common-syslog\n"
	"    product: common\n"
	"    protocol: udp\n"
	"    ports: [514]\n"
	"    direction: inbound\n"
	"    oneway: true\n"
	"    purpose: syslog\n"
	"  - id: cucm-snmp\n"
	"    product: cucm\n"
	"    protocol: udp\n"
	"    ports: [161]\n"
	"    direction: outbound\n"
	"    purpose: snmp\n"
	"  - id: cucm-wmi\n"
	"    product: cucm\n"
	"    protocol: tcp\n"
	"    ports: [135]\n"
	"    dynamic: \"49152-65535\"\n"
	"    direction: outbound\n"
	"    purpose: wmi\n"
	"  - id: cucm-cdr\n"
	"    product: cucm\n"
	"    protocol: tcp\n"
	"    ports: [\"50000-50002\"]\n"
	"    direction: inbound\n"
	"    purpose: cdr\n"
	"  - id: cucm-internal\n"
	"    product: cucm\n"
	"    protocol: tcp\n"
	"    ports: [4000]\n"
	"    direction: internal\n"
	"    purpose: internal\n"
	"  - id: cube-snmp\n"
	"    product: cube\n"
	"    protocol: udp\n"
	"    ports: [161]\n"
	"    direction: outbound\n"
	"    purpose: snmp\n"
	"  - id: cube-radius\n"
	"    product: cube\n"
	"    protocol: udp\n"
	"    ports: [{any: [1812, 1645]}, {any: [1813, 1646]}]\n"
	"    direction: outbound\n"
	"    purpose: radius\n";

/* Rows a test appends to the catalog's services (NULL: none). */
static const char *cat_extra;

#define SRV "10.0.0.1"
#define SRV2 "10.0.0.2"
#define PEER "10.9.0.5"
#define MAXREC 64

struct rec {
	enum cls_verdict verdict;
	uint8_t outcome;
	uint64_t flow_id;
	char group[CAT_ID_MAX];    /* "" when attributed to one row */
	char service[CAT_ID_MAX];
	char reason[400];
	bool server_is_initiator;
};

struct env {
	struct catalog cat;
	struct cat_profile prof;
	bool has_prof;
	struct cat_model model;
	struct cls *cls;
	struct cls_server servers[4];
	struct rec rec[MAXREC];
	unsigned nrec;
	unsigned nsunk; /* every flow the sink got */
	const struct cls_result *res;
	uint64_t t;   /* the next flow's start, ns */
};

static void sink(const struct cls_flow *cf, void *ctx)
{
	struct env *e = ctx;
	e->nsunk++;
	if (e->nrec >= MAXREC)
		return;
	struct rec *r = &e->rec[e->nrec++];
	r->verdict = cf->verdict;
	r->outcome = cf->outcome;
	r->flow_id = cf->flow_id;
	snprintf(r->group, sizeof r->group, "%s",
	         cf->group ? e->cls->res.groups[cf->group - 1].id : "");
	snprintf(r->service, sizeof r->service, "%s",
	         cf->service >= 0 ? e->cat.services[cf->service].id : "-");
	snprintf(r->reason, sizeof r->reason, "%s", cf->reason ? cf->reason : "");
	r->server_is_initiator = cf->server_is_initiator;
}

/* A model from the test catalog and an optional profile; `servers` is a
 * NULL-terminated list of addresses (NULL: infer). */
static struct env *env_new(const char *profile, uint16_t base,
                           const char *const *servers, uint32_t max_findings,
                           const char *filter)
{
	struct env *e = calloc(1, sizeof *e);
	assert_non_null(e);
	struct cat_error err;
	size_t ylen = sizeof cat_yaml + (cat_extra ? strlen(cat_extra) : 0);
	char *yaml = malloc(ylen);
	assert_non_null(yaml);
	snprintf(yaml, ylen, "%s%s", cat_yaml, cat_extra ? cat_extra : "");
	int rc = cat_load_buffer(&e->cat, "test.yaml",
	                         (const unsigned char *)yaml, strlen(yaml), &err);
	free(yaml);
	if (rc != 0)
		fail_msg("%s", err.msg);
	if (profile) {
		rc = cat_profile_load_buffer(&e->prof, &e->cat, "site.yaml",
		                             (const unsigned char *)profile,
		                             strlen(profile), &err);
		if (rc != 0)
			fail_msg("%s", err.msg);
		e->has_prof = true;
	}
	rc = cat_apply(&e->model, &e->cat, profile ? &e->prof : NULL, base, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	uint32_t n = 0;
	for (; servers && servers[n]; n++) {
		struct cat_prefix p;
		assert_int_equal(cat_prefix_parse(&p, servers[n]), 0);
		e->servers[n].family = p.family;
		memcpy(e->servers[n].addr, p.addr, 16);
		e->servers[n].len = p.len;
		snprintf(e->servers[n].how, sizeof e->servers[n].how, "--server");
	}
	struct cls_options o = {
		.servers = n ? e->servers : NULL, .nservers = n,
		.max_findings = max_findings, .sink = sink, .sink_ctx = e,
		.fail_on = (1 << CLS_K_COUNT) - 1,
		.filter = filter,
	};
	e->cls = cls_new(&e->model, &o);
	assert_non_null(e->cls);
	e->t = 1700000000ull * 1000000000ull;
	return e;
}

static struct env *env_srv(void)
{
	static const char *const s[] = { SRV, NULL };
	return env_new(NULL, 0, s, 0, NULL);
}

static void env_free(struct env *e)
{
	cls_free(e->cls);
	cat_model_free(&e->model);
	if (e->has_prof)
		cat_profile_free(&e->prof);
	cat_free(&e->cat);
	free(e);
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

static struct cap_flow mk(struct env *e, uint8_t proto, const char *a,
                          uint16_t pa, const char *b, uint16_t pb,
                          enum cap_outcome out)
{
	struct cap_flow f;
	memset(&f, 0, sizeof f);
	addr(f.addr_a, &f.family, a);
	addr(f.addr_b, &f.family, b);
	f.port_a = pa;
	f.port_b = pb;
	f.proto = proto;
	f.outcome = (uint8_t)out;
	f.pkts[0] = 3;
	f.bytes[0] = 300;
	if (out == CAP_OUT_ESTABLISHED || out == CAP_OUT_CLOSED ||
	    out == CAP_OUT_REPLIED || out == CAP_OUT_MIDSTREAM) {
		f.pkts[1] = 2;
		f.bytes[1] = 200;
	}
	if (out == CAP_OUT_REJECTED) {
		f.pkts[0] = 1;
		f.pkts[1] = 1;
	}
	f.first_ns = e->t;
	f.last_ns = e->t + 1000000000ull;
	e->t += 2000000000ull;
	return f;
}

/* Feed a flow; return the record the sink got for it. */
static const struct rec *feed(struct env *e, const struct cap_flow *f)
{
	unsigned before = e->nrec;
	cls_flow(f, e->cls);
	if (e->nrec == before)
		return NULL;
	return &e->rec[e->nrec - 1];
}

static const struct rec *one(struct env *e, uint8_t proto, const char *a,
                             uint16_t pa, const char *b, uint16_t pb,
                             enum cap_outcome out)
{
	struct cap_flow f = mk(e, proto, a, pa, b, pb, out);
	const struct rec *r = feed(e, &f);
	assert_non_null(r);
	return r;
}

static void finish(struct env *e)
{
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.packets = 1000; /* a capture was read: the verdict is not "not audited" */
	e->res = cls_finish(e->cls, &st);
	assert_non_null(e->res);
}

static int svc_index(const struct env *e, const char *id)
{
	for (uint32_t i = 0; i < e->cat.nservices; i++)
		if (strcmp(e->cat.services[i].id, id) == 0)
			return (int)i;
	fail_msg("no service %s", id);
	return -1;
}

static enum cls_status status_of(const struct env *e, const char *id)
{
	return e->res->services[svc_index(e, id)].status;
}

static unsigned count_kind(const struct env *e, enum cls_kind k)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < e->res->nfindings; i++)
		n += e->res->findings[i].kind == k;
	return n;
}

#define EXPECT(r, v, svc, text) do { \
	const struct rec *r_ = (r); \
	if (r_->verdict != (v) || strcmp(r_->service, (svc)) != 0 || \
	    !strstr(r_->reason, (text))) \
		fail_msg("got %s %s \"%s\", wanted %s %s \"%s\"", \
		         cls_verdict_name(r_->verdict), r_->service, r_->reason, \
		         cls_verdict_name(v), (svc), (text)); \
} while (0)

/* ---- directions ----------------------------------------------------- */

static void test_expected_inbound_outbound(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "base-router", "expected, base-router (inbound)");
	EXPECT(one(e, 6, SRV, 40001, PEER, 25, CAP_OUT_ESTABLISHED),
	       CLS_V_EXPECTED, "common-smtp", "from the server 10.0.0.1 to 10.9.0.5");
	assert_true(e->rec[1].server_is_initiator);
	assert_false(e->rec[0].server_is_initiator);
	/* A flow not touching the server. */
	EXPECT(one(e, 6, PEER, 40002, "10.9.0.6", 80, CAP_OUT_CLOSED),
	       CLS_V_NONE, "-", "No monitored server");
	finish(e);
	assert_true(e->res->summary.compliant);
	assert_int_equal(e->res->summary.flows, 2);
	assert_int_equal(e->res->summary.expected, 2);
	assert_int_equal(e->res->summary.other_flows, 1);
	assert_int_equal(e->res->nfindings, 0);
	assert_int_equal(status_of(e, "base-router"), CLS_S_OBSERVED);
	assert_int_equal(status_of(e, "cucm-snmp"),
	                 CLS_S_NOT_SEEN);
	const struct cls_service_stat *st =
		&e->res->services[svc_index(e, "base-router")];
	assert_int_equal(st->flows, 1);
	assert_int_equal(st->bytes, 500);
	assert_int_equal(st->req_seen, 1);
	env_free(e);
}

static void test_wrong_direction(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 6, PEER, 40000, SRV, 25, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "common-smtp",
	       "wrong direction, common-smtp is outbound only");
	EXPECT(one(e, 6, SRV, 40000, PEER, 1960, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "base-router",
	       "wrong direction, base-router is inbound only");
	finish(e);
	assert_false(e->res->summary.compliant);
	assert_int_equal(e->res->summary.violation, 2);
	assert_int_equal(count_kind(e, CLS_K_VIOLATION), 2);
	const struct cls_finding *f = &e->res->findings[0];
	assert_int_equal(f->kind, CLS_K_VIOLATION);
	assert_int_equal(f->flows, 1);
	env_free(e);
}

static void test_wrong_direction_status(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	/* Only a wrong-way flow: the service was seen only in violation of
	 * its rule (violated), and its requirement is still missing. */
	struct env *e = env_new("require:\n  services: [common-smtp]\n", 0, s,
	                        0, NULL);
	one(e, 6, PEER, 40000, SRV, 25, CAP_OUT_CLOSED);
	one(e, 6, SRV, 40000, PEER, 1960, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(status_of(e, "common-smtp"), CLS_S_VIOLATED);
	assert_int_equal(e->res->services[svc_index(e, "common-smtp")]
	                 .by[CLS_V_VIOLATION].flows, 1);
	assert_int_equal(e->res->services[svc_index(e, "common-smtp")]
	                 .by[CLS_V_EXPECTED].flows, 0);
	assert_int_equal(status_of(e, "base-router"), CLS_S_VIOLATED);
	assert_int_equal(e->res->services[svc_index(e, "common-smtp")].flows, 1);
	assert_int_equal(count_kind(e, CLS_K_VIOLATION), 2);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	assert_int_equal(e->res->findings[0].kind, CLS_K_VIOLATION);
	assert_int_equal(e->res->findings[2].kind, CLS_K_MISSING);
	env_free(e);
}

static void test_local_only(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 6, PEER, 40000, SRV, 1961, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "base-promgr",
	       "port base+1 (1961) (base-promgr) is local-only and must never "
	       "cross the wire");
	EXPECT(one(e, 6, SRV, 40000, SRV, 1961, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "base-promgr", "on 10.0.0.1 to itself");
	EXPECT(one(e, 6, SRV, 40001, SRV, 1961, CAP_OUT_REJECTED),
	       CLS_V_BLOCKED, "base-promgr", "rejected");
	finish(e);
	assert_int_equal(e->res->summary.violation, 1);
	assert_int_equal(e->res->summary.expected, 1);
	assert_int_equal(e->res->summary.blocked, 1);
	env_free(e);
}

static void test_reserved_offsets(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 6, PEER, 40000, SRV, 1963, CAP_OUT_REJECTED),
	       CLS_V_VIOLATION, "base-reserved-3",
	       "port base+3 (1963) is reserved (base-reserved-3)");
	EXPECT(one(e, 17, PEER, 40000, SRV, 1965, CAP_OUT_ONEWAY),
	       CLS_V_VIOLATION, "base-reserved-5", "is reserved");
	EXPECT(one(e, 17, SRV, 40000, PEER, 1965, CAP_OUT_ONEWAY),
	       CLS_V_VIOLATION, "base-reserved-5", "must carry no traffic");
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_VIOLATION), 3);
	env_free(e);
}

static void test_disabled_conditions(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new("features:\n  ldap: false\n  amqp-plain: false\n",
	                        0, s, 0, NULL);
	EXPECT(one(e, 6, SRV, 40000, PEER, 389, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "common-ldap",
	       "common-ldap is disabled (condition 'ldap' is off in the profile)");
	EXPECT(one(e, 6, SRV, 40000, PEER, 5672, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "common-amqp", "amqp-plain");
	finish(e);
	assert_int_equal(status_of(e, "common-ldap"), CLS_S_DISABLED);
	assert_int_equal(status_of(e, "common-amqp"), CLS_S_DISABLED);
	assert_int_equal(status_of(e, "common-smtp"), CLS_S_NOT_SEEN);
	env_free(e);
}

/* ---- blocked -------------------------------------------------------- */

static void test_blocked_outcomes(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow f = mk(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_UNANSWERED);
	f.syn_retries = 2;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "base-router",
	       "blocked, unanswered: 3 SYN(s) got no reply");
	EXPECT(one(e, 6, PEER, 40001, SRV, 443, CAP_OUT_REJECTED),
	       CLS_V_BLOCKED, "common-https",
	       "rejected: the SYN was answered with a RST");
	f = mk(e, 6, SRV, 40002, PEER, 25, CAP_OUT_UNREACHABLE);
	f.icmp_type = 3;
	f.icmp_code = 13;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-smtp",
	       "ICMP 3/13 administratively prohibited: a firewall");
	f = mk(e, 17, PEER, 40003, SRV, 514, CAP_OUT_UNREACHABLE);
	f.icmp_type = 3;
	f.icmp_code = 3;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-syslog",
	       "ICMP 3/3 port unreachable: nothing listens on UDP 514");
	EXPECT(one(e, 17, SRV, 40004, PEER, 161, CAP_OUT_ONEWAY),
	       CLS_V_BLOCKED, "cucm-snmp",
	       "3 request(s) got no reply from a request/response service");
	EXPECT(one(e, 17, SRV, 40005, PEER, 161, CAP_OUT_UNANSWERED),
	       CLS_V_BLOCKED, "cucm-snmp", "got no reply");
	/* One-way syslog without reply is fine. */
	EXPECT(one(e, 17, PEER, 40006, SRV, 514, CAP_OUT_ONEWAY),
	       CLS_V_EXPECTED, "common-syslog", "oneway");
	finish(e);
	assert_int_equal(e->res->summary.blocked, 6);
	/* Both SNMP flows fold into one finding. */
	assert_int_equal(count_kind(e, CLS_K_BLOCKED), 5);
	bool admin = false;
	for (uint32_t i = 0; i < e->res->nfindings; i++) {
		const struct cls_finding *fd = &e->res->findings[i];
		if (fd->port == 25) {
			admin = true;
			assert_true(fd->has_icmp);
			assert_int_equal(fd->icmp_type, 3);
			assert_int_equal(fd->icmp_code, 13);
			assert_int_equal(fd->outcome, CAP_OUT_UNREACHABLE);
			assert_true(fd->server_initiated);
		}
		if (fd->port == 161)
			assert_int_equal(fd->flows, 2);
	}
	assert_true(admin);
	/* UDP 161 fits cucm-snmp and cube-snmp alike: their group is
	 * blocked, each row on its own was not seen. */
	assert_int_equal(e->res->ngroups, 1);
	assert_int_equal(e->res->groups[0].st.status, CLS_S_BLOCKED);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_NOT_SEEN);
	assert_int_equal(status_of(e, "common-syslog"), CLS_S_OBSERVED);
	env_free(e);
}

/* Time exceeded is no unreachable destination; and a finding whose flows
 * met different ICMP errors says the last one in its reason as in its
 * icmp fields. */
static void test_icmp_time_exceeded(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow f = mk(e, 6, SRV, 40000, PEER, 25, CAP_OUT_UNREACHABLE);
	f.icmp_type = 3;
	f.icmp_code = 13;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-smtp",
	       "ICMP 3/13 administratively prohibited");
	f = mk(e, 6, SRV, 40001, PEER, 25, CAP_OUT_UNREACHABLE);
	f.icmp_type = 11;
	f.icmp_code = 0;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-smtp",
	       "ICMP 11/0 time exceeded: the TTL ran out in transit");
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_BLOCKED), 1);
	const struct cls_finding *fd = NULL;
	for (uint32_t i = 0; i < e->res->nfindings; i++)
		if (e->res->findings[i].kind == CLS_K_BLOCKED)
			fd = &e->res->findings[i];
	assert_non_null(fd);
	assert_int_equal(fd->flows, 2);
	assert_int_equal(fd->icmp_type, 11);
	assert_non_null(strstr(fd->reason, "ICMP 11/0 time exceeded"));
	assert_null(strstr(fd->reason, "prohibited"));
	env_free(e);
	static const char *const s6[] = { "2001:db8::1", NULL };
	e = env_new(NULL, 0, s6, 0, NULL);
	f = mk(e, 6, "2001:db8::1", 40000, "2001:db8::9", 25,
	       CAP_OUT_UNREACHABLE);
	f.icmp_type = 3;
	f.icmp_code = 0;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-smtp",
	       "ICMPv6 3/0 time exceeded: the hop limit ran out");
	finish(e);
	env_free(e);
}

/* A flow of resets alone (a SPAN duplicate of the RST that refused a SYN)
 * proves nothing: judged expected, it leaves the refused service blocked,
 * not observed, and adds no finding. */
static void test_reset_only(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 6, PEER, 40001, SRV, 443, CAP_OUT_REJECTED),
	       CLS_V_BLOCKED, "common-https",
	       "rejected: the SYN was answered with a RST");
	struct cap_flow f = mk(e, 6, PEER, 40001, SRV, 443, CAP_OUT_MIDSTREAM);
	f.pkts[0] = 0;
	f.bytes[0] = 0;
	f.pkts[1] = 1;
	f.bytes[1] = 60;
	f.flags[1] = CAP_TH_RST | CAP_TH_ACK;
	f.initiator_inferred = 1;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "common-https",
	       "but only resets were seen");
	/* A midstream flow with data is another matter: it succeeded. */
	f = mk(e, 6, PEER, 40002, SRV, 1960, CAP_OUT_MIDSTREAM);
	f.flags[0] = CAP_TH_ACK | CAP_TH_PSH;
	f.flags[1] = CAP_TH_ACK | CAP_TH_RST;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "base-router", "midstream");
	finish(e);
	assert_int_equal(status_of(e, "common-https"), CLS_S_BLOCKED);
	assert_int_equal(status_of(e, "base-router"), CLS_S_OBSERVED);
	assert_int_equal(count_kind(e, CLS_K_BLOCKED), 1);
	const struct cls_service_stat *st =
		&e->res->services[svc_index(e, "common-https")];
	assert_int_equal(st->flows, 1);
	assert_int_equal(st->ok_flows, 0);
	env_free(e);
}

static bool has_caveat(const struct env *e, const char *text);

/* No reply, but one could have gone unseen (cap_flow.reply_unsure): the
 * capture ended less than 1 s after the attempt began, or the records are
 * sampled. Expected, not blocked; no finding; the service credited with
 * nothing; a caveat counts them. A rejected attempt stays blocked. */
static void test_reply_unsure(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow f = mk(e, 6, SRV, 40000, PEER, 25, CAP_OUT_UNANSWERED);
	f.reply_unsure = CAP_UNSURE_END;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "common-smtp",
	       "no reply yet when the capture ended, less than 1 s after it "
	       "began: not judged blocked");
	f = mk(e, 17, SRV, 40001, PEER, 161, CAP_OUT_ONEWAY);
	f.reply_unsure = CAP_UNSURE_SAMPLED;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "cucm-snmp",
	       "a reply may go unsampled: not judged blocked");
	f = mk(e, 6, PEER, 40002, SRV, 443, CAP_OUT_REJECTED);
	f.reply_unsure = 0;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-https", "rejected");
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_BLOCKED), 1);
	assert_int_equal(e->res->summary.blocked, 1);
	assert_int_equal(status_of(e, "common-smtp"), CLS_S_NOT_SEEN);
	assert_true(has_caveat(e, "1 attempt(s) had no reply yet when the "
	                       "capture ended"));
	assert_true(has_caveat(e, "1 attempt(s) without a sampled reply"));
	env_free(e);

	/* The initiator's packets alone, but it acknowledged a SYN-ACK the
	 * capture missed (one direction of a tap): not blocked, no credit;
	 * its 135 still opens the dynamic range. SYNs alone stay blocked. */
	e = env_srv();
	f = mk(e, 6, SRV, 40000, PEER, 25, CAP_OUT_UNANSWERED);
	f.flags[0] = CAP_TH_SYN | CAP_TH_ACK | CAP_TH_PSH | CAP_TH_FIN;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "common-smtp",
	       "its reply was not captured: the initiator acknowledged a "
	       "SYN-ACK the capture never saw");
	f = mk(e, 6, SRV, 40001, PEER, 135, CAP_OUT_UNANSWERED);
	f.flags[0] = CAP_TH_SYN | CAP_TH_ACK;
	feed(e, &f);
	f = mk(e, 6, SRV, 40002, PEER, 49700, CAP_OUT_UNANSWERED);
	f.flags[0] = CAP_TH_SYN | CAP_TH_ACK;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "cucm-wmi", "not captured");
	f = mk(e, 6, SRV, 40003, PEER, 25, CAP_OUT_UNANSWERED);
	f.flags[0] = CAP_TH_SYN;
	f.syn_retries = 2;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-smtp", "3 SYN(s)");
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_BLOCKED), 1);
	assert_true(has_caveat(e, "3 TCP attempt(s) had their replies go "
	                       "uncaptured"));
	/* every TCP flow one-way: the capture sees one side */
	assert_true(has_caveat(e, "Every TCP flow has packets in one "
	                       "direction only"));
	env_free(e);

	/* Sampled records: a required service never seen is not missing
	 * (a short flow may not have been sampled); unsampled, it is. */
	static const char *const sv[] = { SRV, NULL };
	for (int sampled = 0; sampled < 2; sampled++) {
		e = env_new("require:\n  services: [common-smtp]\n", 0, sv, 0,
		            NULL);
		one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
		struct cap_stats st;
		memset(&st, 0, sizeof st);
		st.kind = CAP_SRC_NFDUMP;
		st.flows = 1;
		st.rec.records = 1;
		st.rec.sampling = sampled ? 100 : 0;
		e->res = cls_finish(e->cls, &st);
		assert_non_null(e->res);
		assert_int_equal(count_kind(e, CLS_K_MISSING), sampled ? 0 : 1);
		const struct cls_service_stat *ss =
			&e->res->services[svc_index(e, "common-smtp")];
		assert_int_equal(ss->status,
		                 sampled ? CLS_S_NOT_SEEN : CLS_S_MISSING);
		if (sampled) {
			assert_non_null(strstr(ss->caveat, "sampled"));
			assert_true(has_caveat(e, "The exporters sampled 1 in 100 "
			                       "packets:"));
		}
		env_free(e);
	}
	/* Zeek records sampled by --sampling: no exporter said it. */
	e = env_new(NULL, 0, sv, 0, NULL);
	one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	struct cap_stats zs;
	memset(&zs, 0, sizeof zs);
	zs.kind = CAP_SRC_ZEEK;
	zs.flows = 1;
	zs.rec.records = 1;
	zs.rec.sampling = 10;
	e->res = cls_finish(e->cls, &zs);
	assert_true(has_caveat(e, "The records were sampled 1 in 10 packets "
	                       "(--sampling):"));
	env_free(e);
}

/* Records all from exporters outside --exporter: not audited, and the
 * reason says so (not "the source holds none"). */
static void test_not_audited_exporters(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.kind = CAP_SRC_NFDUMP;
	st.rec.ignored_exporters = 44;
	e->res = cls_finish(e->cls, &st);
	assert_int_equal(e->res->summary.verdict, CLS_NOT_AUDITED);
	assert_non_null(strstr(e->res->summary.why, "Every flow record (44) "
	                       "came from an exporter outside --exporter"));
	env_free(e);
}

/* The server given never ended a flow among the packets read: the reason
 * says "ended" (an --interval's flows still open are judged later). */
static void test_not_audited_server_absent(void **state)
{
	(void)state;
	struct env *e = env_srv();
	one(e, 6, PEER, 40000, "10.9.0.6", 22, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(e->res->summary.verdict, CLS_NOT_AUDITED);
	assert_non_null(strstr(e->res->summary.why, "No flow of the server "
	                       "given with --server (10.0.0.1) ended among the "
	                       "1000 packets read (a flow is judged when it "
	                       "ends)"));
	env_free(e);
}

static void test_icmpv6_admin(void **state)
{
	(void)state;
	static const char *const s[] = { "2001:db8::1", NULL };
	struct env *e = env_new(NULL, 0, s, 0, NULL);
	struct cap_flow f = mk(e, 6, "2001:db8::1", 40000, "2001:db8::9", 25,
	                       CAP_OUT_UNREACHABLE);
	f.icmp_type = 1;
	f.icmp_code = 1;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-smtp",
	       "ICMPv6 1/1 administratively prohibited: a firewall");
	f = mk(e, 17, "2001:db8::9", 40000, "2001:db8::1", 514,
	       CAP_OUT_UNREACHABLE);
	f.icmp_type = 1;
	f.icmp_code = 4;
	EXPECT(feed(e, &f), CLS_V_BLOCKED, "common-syslog",
	       "port unreachable: nothing listens");
	EXPECT(one(e, 6, "2001:db8::9", 40000, "2001:db8::1", 1960,
	           CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "base-router", "from 2001:db8::9 to the server");
	finish(e);
	env_free(e);
}

/* ---- ports: alternatives, ranges, changed base ---------------------- */

static void test_alternatives_and_ranges(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 17, SRV, 40000, PEER, 1645, CAP_OUT_REPLIED),
	       CLS_V_EXPECTED, "cube-radius", "expected");
	EXPECT(one(e, 6, PEER, 40001, SRV, 8443, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "common-https", "expected");
	EXPECT(one(e, 6, PEER, 40002, SRV, 50002, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-cdr", "expected");
	EXPECT(one(e, 6, PEER, 40003, SRV, 50003, CAP_OUT_CLOSED),
	       CLS_V_UNEXPECTED, "-", "no catalog service uses TCP 50003 inbound");
	finish(e);
	const struct cls_service_stat *r =
		&e->res->services[svc_index(e, "cube-radius")];
	assert_int_equal(r->req_seen, 1); /* 1645 satisfies the first */
	assert_int_equal(r->status, CLS_S_OBSERVED);
	env_free(e);
}

static void test_radius_required(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new("require:\n  services: [cube-radius, base-router]\n"
	                        "products: [cube]\n", 0, s, 0, NULL);
	one(e, 17, SRV, 40000, PEER, 1645, CAP_OUT_REPLIED);
	one(e, 17, SRV, 40000, PEER, 1646, CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(status_of(e, "cube-radius"), CLS_S_OBSERVED);
	assert_int_equal(status_of(e, "base-router"), CLS_S_MISSING);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_DISABLED);
	assert_int_equal(e->res->summary.missing, 1);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	assert_true(strstr(e->res->findings[0].reason,
	                   "TCP 1960 (base-router, inbound) is required"));
	env_free(e);
	/* Only the first requirement seen: the second is missing. */
	e = env_new("require:\n  services: [cube-radius]\n", 0, s, 0, NULL);
	one(e, 17, SRV, 40000, PEER, 1812, CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	assert_true(strstr(e->res->findings[0].reason, "UDP 1813|1646"));
	assert_int_equal(status_of(e, "cube-radius"), CLS_S_MISSING);
	env_free(e);
}

static void test_changed_base(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new(NULL, 5000, s, 0, NULL);
	EXPECT(one(e, 6, PEER, 40000, SRV, 5000, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "base-router", "expected");
	EXPECT(one(e, 6, PEER, 40000, SRV, 5003, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "base-reserved-3", "base+3 (5003)");
	EXPECT(one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED),
	       CLS_V_UNEXPECTED, "-", "TCP 1960");
	finish(e);
	env_free(e);
}

/* ---- dynamic ports --------------------------------------------------- */

static void test_wmi_window(void **state)
{
	(void)state;
	struct env *e = env_srv();
	EXPECT(one(e, 6, SRV, 40000, PEER, 135, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-wmi", "expected");
	EXPECT(one(e, 6, SRV, 40001, PEER, 49700, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-wmi", "dynamic port of cucm-wmi within 120 s");
	/* Another peer never asked on 135: held, then unexpected at the end. */
	struct cap_flow f = mk(e, 6, SRV, 40002, "10.9.0.7", 49701,
	                       CAP_OUT_CLOSED);
	assert_null(feed(e, &f));
	/* Out of the window. */
	e->t += 400ull * 1000000000ull;
	f = mk(e, 6, SRV, 40003, PEER, 49702, CAP_OUT_CLOSED);
	assert_null(feed(e, &f));
	finish(e);
	assert_int_equal(e->nrec, 4);
	EXPECT(&e->rec[2], CLS_V_UNEXPECTED, "-", "TCP 49701");
	EXPECT(&e->rec[3], CLS_V_UNEXPECTED, "-", "TCP 49702");
	assert_int_equal(e->res->summary.expected, 2);
	assert_int_equal(e->res->summary.unexpected, 2);
	env_free(e);
}

/* Two products' WMI rows (cucm: 49152-65535, cube: 1024-65535), each
 * with its devices. A contact on 135 makes a dynamic port expected only
 * for a service the peer is a device of: not cube's 1024-65535 for a
 * cucm device, which stays unexpected as without the contact. */
static void test_dynamic_device_of(void **state)
{
	(void)state;
	cat_extra = "  - id: cube-wmi\n"
	            "    product: cube\n"
	            "    protocol: tcp\n"
	            "    ports: [135]\n"
	            "    dynamic: \"1024-65535\"\n"
	            "    direction: outbound\n"
	            "    purpose: wmi\n";
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new("products:\n"
	                        "  - id: cucm\n    devices: [10.9.0.0/24]\n"
	                        "  - id: cube\n    devices: [10.8.0.1]\n",
	                        0, s, 0, NULL);
	cat_extra = NULL;
	EXPECT(one(e, 6, SRV, 40000, PEER, 135, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-wmi", "expected");
	/* In cucm's range: its dynamic port. */
	EXPECT(one(e, 6, SRV, 40001, PEER, 49700, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-wmi", "dynamic port of cucm-wmi");
	/* Only in cube's range, and the peer is no cube device. */
	EXPECT(one(e, 6, SRV, 40002, PEER, 3000, CAP_OUT_CLOSED),
	       CLS_V_UNEXPECTED, "-", "TCP 3000");
	/* The endpoint mapper named a port outside cucm's range: still
	 * cucm's, its contact's service. */
	struct cap_flow c = mk(e, 6, SRV, 40003, PEER, 135, CAP_OUT_CLOSED);
	c.epm_port = 5000;
	feed(e, &c);
	EXPECT(one(e, 6, SRV, 40004, PEER, 5000, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-wmi", "endpoint mapper");
	/* cube's device: its 135, then its dynamic port. */
	EXPECT(one(e, 6, SRV, 40005, "10.8.0.1", 135, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cube-wmi", "expected");
	EXPECT(one(e, 6, SRV, 40006, "10.8.0.1", 3000, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cube-wmi", "dynamic port of cube-wmi");
	env_free(e);
}

static void test_wmi_epm_port(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow c = mk(e, 6, SRV, 40000, PEER, 135, CAP_OUT_CLOSED);
	c.epm_port = 49999;
	feed(e, &c);
	e->t += 3600ull * 1000000000ull; /* far outside the window */
	EXPECT(one(e, 6, SRV, 40001, PEER, 49999, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-wmi", "on the port the endpoint mapper");
	struct cap_flow f = mk(e, 6, SRV, 40002, PEER, 49998, CAP_OUT_CLOSED);
	assert_null(feed(e, &f)); /* held: not the named port, out of window */
	finish(e);
	EXPECT(&e->rec[e->nrec - 1], CLS_V_UNEXPECTED, "-", "TCP 49998");
	env_free(e);
}

/* --interval: the next interval's classifier takes over the mapper's
 * answer (a dynamic port opened in one interval is expected in the next)
 * and the flow ids, which go on rising; a fresh one without cls_carry
 * knows neither. */
static void test_carry_to_next_interval(void **state)
{
	(void)state;
	for (int carry = 0; carry < 2; carry++) {
		struct env *e = env_srv();
		struct cap_flow c = mk(e, 6, SRV, 40000, PEER, 135, CAP_OUT_CLOSED);
		c.epm_port = 49999;
		feed(e, &c);
		EXPECT(one(e, 6, PEER, 40009, SRV, 1960, CAP_OUT_CLOSED),
		       CLS_V_EXPECTED, "base-router", "expected");
		uint64_t last_id = e->rec[e->nrec - 1].flow_id;
		finish(e);
		/* The next interval. */
		struct cls_server srv = e->servers[0];
		struct cls_options o = {
			.servers = &srv, .nservers = 1, .sink = sink,
			.sink_ctx = e, .fail_on = (1 << CLS_K_COUNT) - 1,
		};
		struct cls *next = cls_new(&e->model, &o);
		assert_non_null(next);
		if (carry)
			cls_carry(next, e->cls);
		cls_free(e->cls);
		e->cls = next;
		e->t += 600ull * 1000000000ull; /* outside the 120 s window */
		struct cap_flow f = mk(e, 6, SRV, 40001, PEER, 49999,
		                       CAP_OUT_CLOSED);
		const struct rec *r = feed(e, &f);
		if (carry) {
			assert_non_null(r);
			EXPECT(r, CLS_V_EXPECTED, "cucm-wmi",
			       "on the port the endpoint mapper");
			assert_true(r->flow_id > last_id);
		} else {
			assert_null(r); /* held: no contact known */
			finish(e);
			EXPECT(&e->rec[e->nrec - 1], CLS_V_UNEXPECTED, "-",
			       "TCP 49999");
			assert_true(e->rec[e->nrec - 1].flow_id <= last_id);
		}
		env_free(e);
	}
}

static void test_pending_expires(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow f = mk(e, 6, SRV, 40000, PEER, 50123, CAP_OUT_CLOSED);
	assert_null(feed(e, &f));
	/* Two hours later in the capture, no 135 came: judged then. */
	e->t += 7200ull * 1000000000ull;
	f = mk(e, 6, PEER, 40001, SRV, 1960, CAP_OUT_CLOSED);
	feed(e, &f);
	EXPECT(&e->rec[0], CLS_V_EXPECTED, "base-router", "expected");
	assert_int_equal(e->nrec, 2);
	EXPECT(&e->rec[1], CLS_V_UNEXPECTED, "-", "TCP 50123");
	finish(e);
	assert_int_equal(e->nrec, 2);
	env_free(e);
}

static void test_dynamic_before_control(void **state)
{
	(void)state;
	struct env *e = env_srv();
	/* The 135 connection stays open longer: its flow ends last. */
	struct cap_flow ctl = mk(e, 6, SRV, 40000, PEER, 135, CAP_OUT_CLOSED);
	ctl.last_ns += 30ull * 1000000000ull;
	struct cap_flow dyn = mk(e, 6, SRV, 40001, PEER, 50123, CAP_OUT_CLOSED);
	assert_null(feed(e, &dyn));
	feed(e, &ctl);
	assert_int_equal(e->nrec, 2);
	EXPECT(&e->rec[0], CLS_V_EXPECTED, "cucm-wmi", "TCP 135");
	EXPECT(&e->rec[1], CLS_V_EXPECTED, "cucm-wmi", "dynamic port");
	/* And by EPM port, the dynamic flow first: the 135 connection
	 * stays open ten minutes. */
	ctl = mk(e, 6, SRV, 40003, "10.9.0.8", 135, CAP_OUT_CLOSED);
	ctl.epm_port = 60001;
	ctl.last_ns += 600ull * 1000000000ull;
	dyn = mk(e, 6, SRV, 40002, "10.9.0.8", 60001, CAP_OUT_CLOSED);
	assert_null(feed(e, &dyn));
	feed(e, &ctl);
	EXPECT(&e->rec[e->nrec - 1], CLS_V_EXPECTED, "cucm-wmi",
	       "endpoint mapper");
	finish(e);
	assert_int_equal(e->res->summary.expected, 4);
	assert_true(e->res->summary.compliant);
	env_free(e);
}

/* Many held flows of other pairs: each pair's control flow releases
 * exactly its own held flows (the pair filter must neither miss one nor
 * release another pair's), both orientations of the pair. */
static void test_dynamic_many_pairs_held(void **state)
{
	(void)state;
	struct env *e = env_srv();
	char peer[32];
	/* All at one time, so that no held flow goes stale meanwhile. */
	uint64_t t0 = e->t + 10ull * 1000000000ull;
	for (unsigned i = 0; i < 3000; i++) {
		e->t = t0;
		snprintf(peer, sizeof peer, "10.%u.%u.%u", 20 + i / 65536,
		         (i / 256) % 256, i % 256);
		struct cap_flow d = mk(e, 6, SRV, (uint16_t)(30000 + i % 1000),
		                       peer, (uint16_t)(51000 + i % 1000),
		                       CAP_OUT_CLOSED);
		assert_null(feed(e, &d));
	}
	unsigned before = e->nrec;
	/* The control flows of three of those pairs, from both sides. */
	static const unsigned pick[] = { 0, 1777, 2999 };
	for (unsigned k = 0; k < 3; k++) {
		unsigned i = pick[k];
		snprintf(peer, sizeof peer, "10.%u.%u.%u", 20 + i / 65536,
		         (i / 256) % 256, i % 256);
		struct cap_flow ctl = mk(e, 6, SRV, 40000, peer, 135,
		                         CAP_OUT_CLOSED);
		ctl.first_ns = t0 - 1000000000ull;
		ctl.last_ns = t0 + 30ull * 1000000000ull;
		feed(e, &ctl);
		assert_int_equal(e->nrec, before + 2 * (k + 1));
		EXPECT(&e->rec[e->nrec - 2], CLS_V_EXPECTED, "cucm-wmi",
		       "TCP 135");
		EXPECT(&e->rec[e->nrec - 1], CLS_V_EXPECTED, "cucm-wmi",
		       "dynamic port");
	}
	finish(e);
	/* Every other held flow is judged at the end, without a 135. */
	assert_int_equal(e->res->summary.flows, 3000 + 3);
	assert_int_equal(e->res->summary.expected, 6);
	assert_int_equal(e->res->summary.unexpected, 3000 - 3);
	env_free(e);
}

/* Many held flows of one pair among those of other pairs: the pair's
 * control flow releases every one of them (the held list is reordered
 * under the walk: each release moves the last held flow into the hole),
 * and no other pair's. */
static void test_dynamic_one_pair_many_held(void **state)
{
	(void)state;
	struct env *e = env_srv();
	char peer[32];
	uint64_t t0 = e->t + 10ull * 1000000000ull;
	unsigned mine = 0;
	for (unsigned i = 0; i < 90; i++) {
		e->t = t0;
		if (i % 3 == 1) {
			snprintf(peer, sizeof peer, "10.9.9.9");
			mine++;
		} else {
			snprintf(peer, sizeof peer, "10.30.%u.%u", i / 256,
			         i % 256);
		}
		struct cap_flow d = mk(e, 6, SRV, (uint16_t)(30000 + i),
		                       peer, (uint16_t)(51000 + i),
		                       CAP_OUT_CLOSED);
		assert_null(feed(e, &d));
	}
	unsigned before = e->nrec;
	struct cap_flow ctl = mk(e, 6, SRV, 40000, "10.9.9.9", 135,
	                         CAP_OUT_CLOSED);
	ctl.first_ns = t0 - 1000000000ull;
	ctl.last_ns = t0 + 30ull * 1000000000ull;
	feed(e, &ctl);
	assert_int_equal(e->nrec, before + 1 + mine);
	EXPECT(&e->rec[before], CLS_V_EXPECTED, "cucm-wmi", "TCP 135");
	for (unsigned k = 1; k <= mine; k++)
		EXPECT(&e->rec[before + k], CLS_V_EXPECTED, "cucm-wmi",
		       "dynamic port");
	finish(e);
	assert_int_equal(e->res->summary.flows, 90 + 1);
	assert_int_equal(e->res->summary.expected, 1 + mine);
	assert_int_equal(e->res->summary.unexpected, 90 - mine);
	env_free(e);
}

/* The smallest reordering under the walk: held P, X, Y, P. Releasing the
 * first P moves the second (the last held flow) into its place, where
 * the walk must still find it: each flow is judged exactly once. */
static void test_dynamic_release_moves_last(void **state)
{
	(void)state;
	struct env *e = env_srv();
	static const char *const peers[] = {
		"10.9.9.9", "10.30.0.1", "10.30.0.2", "10.9.9.9",
	};
	uint64_t t0 = e->t + 10ull * 1000000000ull;
	for (unsigned i = 0; i < 4; i++) {
		e->t = t0;
		struct cap_flow d = mk(e, 6, SRV, (uint16_t)(30000 + i),
		                       peers[i], (uint16_t)(51000 + i),
		                       CAP_OUT_CLOSED);
		assert_null(feed(e, &d));
	}
	struct cap_flow ctl = mk(e, 6, SRV, 40000, "10.9.9.9", 135,
	                         CAP_OUT_CLOSED);
	ctl.first_ns = t0 - 1000000000ull;
	ctl.last_ns = t0 + 30ull * 1000000000ull;
	feed(e, &ctl);
	assert_int_equal(e->nrec, 3);
	EXPECT(&e->rec[1], CLS_V_EXPECTED, "cucm-wmi", "dynamic port");
	EXPECT(&e->rec[2], CLS_V_EXPECTED, "cucm-wmi", "dynamic port");
	finish(e);
	assert_int_equal(e->nsunk, 5);
	assert_int_equal(e->res->summary.flows, 5);
	assert_int_equal(e->res->summary.expected, 3);
	assert_int_equal(e->res->summary.unexpected, 2);
	env_free(e);
}

/* Control-port contacts of many pairs, then a dynamic flow of each: up to
 * CLS_CTRL_MAX contacts are all kept (an 8-way probe window used to drop
 * some well before), so every dynamic flow finds its contact. */
/* A closed TCP flow from the server to peer i's port, starting at `at`:
 * port 135 is the control contact, 51000 a dynamic-range port. */
static void peer_flow(struct env *e, unsigned i, uint16_t port, uint64_t at)
{
	char peer[32];
	snprintf(peer, sizeof peer, "10.%u.%u.%u", 40 + i / 65536,
	         (i / 256) % 256, i % 256);
	struct cap_flow f = mk(e, 6, SRV, port == 135 ? 40000 : 30000, peer,
	                       port, CAP_OUT_CLOSED);
	f.first_ns = at;
	f.last_ns = at + 1000000000ull;
	feed(e, &f);
}

static void ctrl_flow(struct env *e, unsigned i, uint64_t at)
{
	peer_flow(e, i, 135, at);
}

static void dyn_flow(struct env *e, unsigned i, uint64_t at)
{
	peer_flow(e, i, 51000, at);
}

static void test_ctrl_contacts_kept(void **state)
{
	(void)state;
	struct env *e = env_srv();
	uint64_t t0 = e->t + 10ull * 1000000000ull;
	for (unsigned i = 0; i < CLS_CTRL_MAX; i++)
		ctrl_flow(e, i, t0);
	for (unsigned i = 0; i < CLS_CTRL_MAX; i++)
		dyn_flow(e, i, t0 + 5ull * 1000000000ull);
	finish(e);
	assert_int_equal(e->res->summary.flows, 2 * CLS_CTRL_MAX);
	assert_int_equal(e->res->summary.expected, 2 * CLS_CTRL_MAX);
	assert_int_equal(e->res->ncaveats, 0);
	env_free(e);
}

/* One contact more than the table holds: the least recently UPDATED one is
 * forgotten (contact 0 was refreshed, so contact 1 goes), and a caveat
 * says so. */
static void test_ctrl_contacts_evict_lru(void **state)
{
	(void)state;
	struct env *e = env_srv();
	uint64_t t0 = e->t + 10ull * 1000000000ull;
	for (unsigned i = 0; i < CLS_CTRL_MAX; i++)
		ctrl_flow(e, i, t0);
	ctrl_flow(e, 0, t0 + 1000000000ull);           /* refresh contact 0 */
	ctrl_flow(e, CLS_CTRL_MAX, t0 + 2000000000ull); /* one too many */
	dyn_flow(e, 0, t0 + 5ull * 1000000000ull);
	dyn_flow(e, 1, t0 + 5ull * 1000000000ull);
	dyn_flow(e, CLS_CTRL_MAX, t0 + 5ull * 1000000000ull);
	finish(e);
	/* The control flows and dynamic flows 0 and 4096 are expected;
	 * dynamic flow 1 lost its contact: held, then unexpected. */
	assert_int_equal(e->res->summary.flows, CLS_CTRL_MAX + 2 + 3);
	assert_int_equal(e->res->summary.expected, CLS_CTRL_MAX + 2 + 2);
	assert_int_equal(e->res->summary.unexpected, 1);
	bool said = false;
	for (uint32_t k = 0; k < e->res->ncaveats; k++)
		if (strstr(e->res->caveats[k], "control-port contacts were "
		           "forgotten"))
			said = true;
	assert_true(said);
	env_free(e);
}

/* ---- auto-discovery -------------------------------------------------- */

static void test_autodiscovery(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, SRV2, NULL };
	struct env *e = env_new(NULL, 0, s, 0, NULL);
	EXPECT(one(e, 17, SRV, 1962, SRV2, 1962, CAP_OUT_REPLIED),
	       CLS_V_EXPECTED, "base-autodisc", "expected");
	EXPECT(one(e, 17, SRV, 1962, "224.0.1.40", 1962, CAP_OUT_ONEWAY),
	       CLS_V_EXPECTED, "base-autodisc", "expected");
	/* To a peer that is not a server: the catalog says "both". */
	EXPECT(one(e, 17, SRV, 1962, "10.9.0.5", 1962, CAP_OUT_ONEWAY),
	       CLS_V_EXPECTED, "base-autodisc", "expected");
	finish(e);
	env_free(e);
	e = env_new("features:\n  auto-discovery: false\n", 0, s, 0, NULL);
	EXPECT(one(e, 17, SRV, 1962, "224.0.1.40", 1962, CAP_OUT_ONEWAY),
	       CLS_V_VIOLATION, "base-autodisc",
	       "condition 'auto-discovery' is off");
	finish(e);
	assert_int_equal(status_of(e, "base-autodisc"), CLS_S_DISABLED);
	env_free(e);
	static const char *const s6[] = { "2001:db8::1", NULL };
	e = env_new(NULL, 0, s6, 0, NULL);
	EXPECT(one(e, 17, "2001:db8::1", 1962, "ff02::1:3", 1962,
	           CAP_OUT_ONEWAY),
	       CLS_V_EXPECTED, "base-autodisc", "expected");
	finish(e);
	env_free(e);
}

/* ---- devices --------------------------------------------------------- */

static const char dev_profile[] =
	"products:\n"
	"  - id: cucm\n"
	"    devices: [10.1.0.11, 10.1.0.12, 10.1.1.0/24]\n"
	"require:\n"
	"  services: [cucm-snmp]\n";

static void test_devices(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new(dev_profile, 0, s, 0, NULL);
	EXPECT(one(e, 17, SRV, 40000, "10.1.0.11", 161, CAP_OUT_REPLIED),
	       CLS_V_EXPECTED, "cucm-snmp", "expected");
	EXPECT(one(e, 17, SRV, 40000, "10.1.1.77", 161, CAP_OUT_REPLIED),
	       CLS_V_EXPECTED, "cucm-snmp", "expected");
	EXPECT(one(e, 17, SRV, 40000, "10.1.0.99", 161, CAP_OUT_REPLIED),
	       CLS_V_UNEXPECTED, "cucm-snmp",
	       "only with the devices the profile lists for cucm, and "
	       "10.1.0.99 is not one of them");
	finish(e);
	/* 10.1.0.12 never seen: missing, per device. */
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	assert_int_equal(e->res->summary.missing, 1);
	const struct cls_finding *m = NULL;
	for (uint32_t i = 0; i < e->res->nfindings; i++)
		if (e->res->findings[i].kind == CLS_K_MISSING)
			m = &e->res->findings[i];
	assert_non_null(m);
	assert_true(m->has_peer);
	assert_int_equal(m->peer[3], 12);
	assert_int_equal(m->flows, 0);
	assert_true(strstr(m->reason, "UDP 161 (cucm-snmp) from the server to "
	                              "10.1.0.12 was never seen"));
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_MISSING);
	/* Missing sorts after violation/blocked, before unexpected. */
	assert_int_equal(e->res->findings[0].kind, CLS_K_MISSING);
	assert_int_equal(e->res->findings[1].kind, CLS_K_UNEXPECTED);
	env_free(e);
}

static void test_shared_port(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new("require:\n  services: [cube-snmp]\n", 0, s, 0,
	                        NULL);
	/* Both products use UDP 161 and no profile names the products
	 * present: the flow is attributed once, to their group; the required
	 * row is credited with it (observed, not missing), the other is not
	 * seen on its own; both point at the group. */
	const struct rec *r = one(e, 17, SRV, 40000, PEER, 161,
	                          CAP_OUT_REPLIED);
	EXPECT(r, CLS_V_EXPECTED, "cube-snmp", "expected, shared-udp-161-"
	       "outbound");
	assert_string_equal(r->group, "shared-udp-161-outbound");
	finish(e);
	assert_int_equal(status_of(e, "cube-snmp"), CLS_S_OBSERVED);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_NOT_SEEN);
	assert_int_equal(e->res->services[svc_index(e, "cucm-snmp")].group, 1);
	assert_int_equal(e->res->services[svc_index(e, "cube-snmp")].group, 1);
	assert_int_equal(e->res->services[svc_index(e, "cube-snmp")].flows, 0);
	assert_int_equal(e->res->groups[0].st.flows, 1);
	assert_int_equal(e->res->groups[0].st.status, CLS_S_OBSERVED);
	assert_string_equal(e->res->groups[0].name, "snmp (2 products)");
	assert_int_equal(e->res->summary.missing, 0);
	assert_true(e->res->summary.compliant);
	env_free(e);
}

static void test_internal(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, SRV2, NULL };
	struct env *e = env_new(NULL, 0, s, 0, NULL);
	/* No device list: the product's hosts cannot be told apart. */
	EXPECT(one(e, 6, PEER, 40000, SRV, 4000, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-internal", "(internal)");
	finish(e);
	env_free(e);
	e = env_new(dev_profile, 0, s, 0, NULL);
	EXPECT(one(e, 6, "10.1.0.11", 40000, SRV, 4000, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-internal", "expected");
	EXPECT(one(e, 6, SRV2, 40000, SRV, 4000, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "cucm-internal", "expected");
	EXPECT(one(e, 6, PEER, 40000, SRV, 4000, CAP_OUT_CLOSED),
	       CLS_V_UNEXPECTED, "cucm-internal", "is not one of them");
	finish(e);
	env_free(e);
}

/* ---- outcomes, IPv6, midstream --------------------------------------- */

static void test_midstream_ipv6(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, "2001:db8::/64", NULL };
	struct env *e = env_new(NULL, 0, s, 0, NULL);
	struct cap_flow f = mk(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_MIDSTREAM);
	f.initiator_inferred = 1;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "base-router", "midstream");
	EXPECT(one(e, 6, "2001:db8::5", 40000, "2001:db9::9", 25,
	           CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "common-smtp", "from the server 2001:db8::5");
	EXPECT(one(e, 6, "2001:db9::9", 40000, "2001:db8::5", 22,
	           CAP_OUT_CLOSED),
	       CLS_V_UNEXPECTED, "-", "TCP 22 from 2001:db9::9 to the server "
	       "2001:db8::5: no catalog service uses TCP 22 inbound");
	finish(e);
	assert_int_equal(e->res->nfindings, 1);
	assert_int_equal(e->res->findings[0].family, 6);
	env_free(e);
}

static void test_long_reason(void **state)
{
	(void)state;
	static const char *const s[] = {
		"2001:db8:1234:5678:9abc:def0:1234:5678", NULL };
	struct env *e = env_new(NULL, 0, s, 0, NULL);
	struct cap_flow f = mk(e, 6, "2001:db8:1234:5678:9abc:def0:1234:5678",
	                       40000, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
	                       25, CAP_OUT_UNANSWERED);
	f.syn_retries = 5;
	const struct rec *r = feed(e, &f);
	assert_non_null(r);
	finish(e);
	/* The whole sentence fits in the finding. */
	assert_string_equal(e->res->findings[0].reason, r->reason);
	assert_true(strstr(r->reason, "6 SYN(s) got no reply"));
	env_free(e);
}

static void test_inferred_orientation(void **state)
{
	(void)state;
	struct env *e = env_srv();
	/* Capture guessed the peer initiated (both ports are RADIUS ports,
	 * the lower one taken as the service); only the other way round is
	 * expected, so that is the reading. */
	struct cap_flow f = mk(e, 17, PEER, 1813, SRV, 1646, CAP_OUT_REPLIED);
	f.initiator_inferred = 1;
	f.pkts[0] = 1;
	f.pkts[1] = 4;
	EXPECT(feed(e, &f), CLS_V_EXPECTED, "cube-radius",
	       "UDP 1813 from the server 10.0.0.1 to 10.9.0.5");
	assert_true(e->rec[0].server_is_initiator);
	/* A SYN was seen: the orientation is a fact, not a guess. */
	f = mk(e, 6, SRV, 1960, PEER, 40000, CAP_OUT_CLOSED);
	EXPECT(feed(e, &f), CLS_V_UNEXPECTED, "-", "TCP 40000");
	finish(e);
	env_free(e);
}

static void test_icmp_unexpected(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow f = mk(e, 1, PEER, 7, SRV, 8 << 8, CAP_OUT_REPLIED);
	EXPECT(feed(e, &f), CLS_V_UNEXPECTED, "-",
	       "ICMP type 8 code 0 from 10.9.0.5 to the server 10.0.0.1");
	finish(e);
	env_free(e);
}

/* ---- server inference ------------------------------------------------- */

static void test_infer_servers(void **state)
{
	(void)state;
	struct env *e = env_new(NULL, 0, NULL, 0, NULL);
	/* Flows before the server is known are held, judged at the end. */
	struct cap_flow f = mk(e, 6, "10.1.2.3", 40000, "10.5.5.5", 22,
	                       CAP_OUT_CLOSED);
	assert_null(feed(e, &f));
	f = mk(e, 6, "10.1.2.3", 40001, "10.5.5.5", 1960, CAP_OUT_CLOSED);
	assert_null(feed(e, &f));
	f = mk(e, 6, "10.1.2.4", 40001, "10.5.5.6", 1960, CAP_OUT_REJECTED);
	assert_null(feed(e, &f));
	finish(e);
	assert_int_equal(e->res->nservers, 1);
	assert_true(e->res->servers[0].inferred);
	assert_string_equal(e->res->servers[0].how, "accepted TCP 1960 from 10.1.2.3");
	assert_true(strstr(e->res->servers_how, "base port 1960"));
	assert_int_equal(e->nrec, 3);
	EXPECT(&e->rec[0], CLS_V_UNEXPECTED, "-", "TCP 22");
	EXPECT(&e->rec[1], CLS_V_EXPECTED, "base-router", "expected");
	EXPECT(&e->rec[2], CLS_V_NONE, "-", "No monitored server");
	assert_int_equal(e->res->summary.flows, 2);
	env_free(e);

	/* Live: the interface's addresses. */
	e = env_new(NULL, 0, NULL, 0, NULL);
	f = mk(e, 6, "10.1.2.3", 40000, "10.7.7.7", 25, CAP_OUT_CLOSED);
	feed(e, &f);
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.packets = 1000; /* a capture was read: the verdict is not "not audited" */
	st.has_dropped = true;
	st.nlocal = 1;
	st.local_family[0] = 4;
	uint8_t fam;
	addr(st.local_addrs[0], &fam, "10.7.7.7");
	e->res = cls_finish(e->cls, &st);
	assert_int_equal(e->res->nservers, 1);
	assert_string_equal(e->res->servers[0].how,
	                    "address of the capture interface");
	EXPECT(&e->rec[0], CLS_V_VIOLATION, "common-smtp", "wrong direction");
	env_free(e);
}

/* ---- aggregation ------------------------------------------------------ */

static void test_scan(void **state)
{
	(void)state;
	struct env *e = env_srv();
	for (unsigned p = 1; p <= 10000; p++) {
		if (p == 25 || p == 1960 || p == 1961 || p == 1963 ||
		    p == 1965 || p == 443 || p == 8443 || p == 135 || p == 389 ||
		    p == 5672 || p == 4000)
			continue;
		struct cap_flow f = mk(e, 6, "10.66.0.1", 50000, SRV,
		                       (uint16_t)p, CAP_OUT_REJECTED);
		cls_flow(&f, e->cls);
	}
	finish(e);
	assert_int_equal(e->res->nfindings, 1);
	const struct cls_finding *f = &e->res->findings[0];
	assert_int_equal(f->kind, CLS_K_UNEXPECTED);
	assert_int_equal(f->port, 1);
	assert_int_equal(f->port_hi, 10000);
	assert_int_equal(f->nports, 9989);
	assert_int_equal(f->flows, 9989);
	assert_true(strstr(f->reason, "9989 ports (1-10000)"));
	assert_true(strstr(f->reason, "port scan"));
	assert_int_equal(e->res->summary.unexpected, 9989);
	/* its first flows (flow ids 1..16), not those judged as it became
	 * a scan */
	assert_int_equal(f->nflow_ids, CLS_FLOW_IDS);
	for (unsigned i = 0; i < CLS_FLOW_IDS; i++)
		assert_int_equal(f->flow_ids[i], i + 1);
	env_free(e);
}

/* The device index (devices.c) answers as a scan of the list does: which
 * listed entries hold an address, and each device's owner (the first
 * listed entry holding it, shorter or a duplicate listed before it), on
 * 3,000 random hosts and prefixes of two families with duplicates. */
static uint32_t scan_owner(const struct cat_profile_product *pp, uint32_t j)
{
	const struct cat_prefix *d = &pp->devices[j];
	for (uint32_t k = 0; k < pp->ndevices; k++) {
		const struct cat_prefix *o = &pp->devices[k];
		if (k == j || o->family != d->family || o->len > d->len ||
		    (o->len == d->len && k > j))
			continue;
		if (cls_addr_in(o->family, o->addr, o->len, d->family, d->addr))
			return k;
	}
	return j;
}

static void count_match(void *ctx, uint32_t j)
{
	(void)j;
	(*(uint32_t *)ctx)++;
}

static void test_device_index(void **state)
{
	(void)state;
	enum { N = 3000 };
	static struct cat_prefix dev[N];
	uint64_t r = 88172645463325252ull;
	for (uint32_t j = 0; j < N; j++) {
		r ^= r << 13; r ^= r >> 7; r ^= r << 17;
		struct cat_prefix *d = &dev[j];
		memset(d, 0, sizeof *d);
		d->family = (r & 7) == 0 ? 6 : 4;
		unsigned host = d->family == 4 ? 32 : 128;
		static const uint8_t lens4[] = { 32, 32, 32, 24, 28, 16 };
		d->len = d->family == 4 ? lens4[(r >> 8) % 6] :
		         ((r >> 8) & 1 ? 128 : 64);
		/* a small space, so that prefixes hold hosts and repeat */
		d->addr[0] = 10;
		d->addr[1] = (uint8_t)((r >> 16) & 3);
		d->addr[2] = (uint8_t)((r >> 24) & 15);
		d->addr[3] = (uint8_t)((r >> 32) & 63);
		if (d->family == 6) {
			d->addr[0] = 0x20;
			d->addr[15] = (uint8_t)((r >> 40) & 31);
		}
		(void)host;
	}
	struct cat_profile_product pp = { 0, dev, N };
	struct cls_devidx x;
	assert_int_equal(cls_devidx_build(&x, &pp), 0);
	for (uint32_t j = 0; j < N; j++)
		if (x.owner[j] != scan_owner(&pp, j))
			fail_msg("device %u: owner %u, the scan says %u", j,
			         x.owner[j], scan_owner(&pp, j));
	for (unsigned t = 0; t < 2000; t++) {
		r ^= r << 13; r ^= r >> 7; r ^= r << 17;
		uint8_t a[16] = { 10, (uint8_t)(r & 3), (uint8_t)((r >> 8) & 15),
		                  (uint8_t)((r >> 16) & 63) };
		uint8_t fam = 4;
		if ((r >> 30) % 5 == 0) {
			memset(a, 0, sizeof a);
			a[0] = 0x20;
			a[15] = (uint8_t)((r >> 40) & 31);
			fam = 6;
		}
		uint32_t want = 0, got = 0;
		for (uint32_t j = 0; j < N; j++)
			want += cls_addr_in(dev[j].family, dev[j].addr, dev[j].len,
			                    fam, a);
		(void)cls_devidx_match(&x, fam, a, count_match, &got);
		assert_int_equal(got, want);
		assert_int_equal(cls_devidx_match(&x, fam, a, NULL, NULL) > 0,
		                 want > 0);
	}
	cls_devidx_free(&x);
}

/* Link infrastructure is not judged: IPv6 neighbour discovery and MLD
 * between the server and its neighbours, IGMP (the server joining the
 * auto-discovery group). An echo is unexpected as ever. */
static void test_link_infrastructure(void **state)
{
	(void)state;
	static const char *const s[] = { "2001:db8::5", SRV, NULL };
	struct env *e = env_new(NULL, 0, s, 0, NULL);
	struct cap_flow f = mk(e, 58, "2001:db8::5", 0, "2001:db8::99",
	                       136 << 8, CAP_OUT_ONEWAY);
	EXPECT(feed(e, &f), CLS_V_NONE, "-", "Link infrastructure");
	f = mk(e, 58, "2001:db8::99", 0, "2001:db8::5", 135 << 8,
	       CAP_OUT_ONEWAY);
	EXPECT(feed(e, &f), CLS_V_NONE, "-", "not judged");
	f = mk(e, 58, "2001:db8::5", 0, "ff02::16", 143 << 8, CAP_OUT_ONEWAY);
	EXPECT(feed(e, &f), CLS_V_NONE, "-", "not judged");
	f = mk(e, 2, SRV, 0, "224.0.0.22", 0, CAP_OUT_ONEWAY);
	EXPECT(feed(e, &f), CLS_V_NONE, "-", "IGMP");
	f = mk(e, 58, "2001:db8::99", 1, "2001:db8::5", 128 << 8,
	       CAP_OUT_REPLIED);
	EXPECT(feed(e, &f), CLS_V_UNEXPECTED, "-", "no catalog service covers");
	finish(e);
	assert_int_equal(e->res->summary.flows, 1);
	assert_int_equal(e->res->summary.other_flows, 4);
	env_free(e);
}

/* A base port whose reserved offset lands on a documented port (base 22:
 * base+3 is SMTP's 25): the documented use wins the tie, as the rules
 * allow it; on its own the reserved offset is still a violation. */
static void test_base_collision(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new(NULL, 22, s, 0, NULL);
	EXPECT(one(e, 6, SRV, 40000, PEER, 25, CAP_OUT_CLOSED),
	       CLS_V_EXPECTED, "common-smtp", "expected");
	EXPECT(one(e, 6, PEER, 40001, SRV, 27, CAP_OUT_CLOSED),
	       CLS_V_VIOLATION, "base-reserved-5", "reserved");
	env_free(e);
}

/* A finding's outcome (and its reason) is the flow that ended last's,
 * whatever order the flows are judged in: a rejected attempt that ended
 * after an unanswered one, judged first. */
static void test_outcome_latest(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow late = mk(e, 6, PEER, 40000, SRV, 8080, CAP_OUT_REJECTED);
	struct cap_flow early = mk(e, 6, PEER, 40001, SRV, 8080,
	                           CAP_OUT_UNANSWERED);
	early.first_ns = late.first_ns - 10000000000ull;
	early.last_ns = late.first_ns - 5000000000ull;
	feed(e, &late);
	feed(e, &early);
	finish(e);
	assert_int_equal(e->res->nfindings, 1);
	const struct cls_finding *f = &e->res->findings[0];
	assert_int_equal(f->flows, 2);
	assert_int_equal(f->outcome, CAP_OUT_REJECTED);
	assert_int_equal(f->last_ns, late.last_ns);
	env_free(e);
}

static void test_findings_cap(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new(NULL, 0, s, 5, NULL);
	/* 8 peers, 2 unexpected ports each, no port shared: 16 findings,
	 * 5 kept. */
	for (unsigned i = 0; i < 8; i++)
		for (unsigned k = 0; k < 2; k++) {
			char peer[32];
			snprintf(peer, sizeof peer, "10.8.0.%u", i + 1);
			struct cap_flow f = mk(e, 6, peer, 50000, SRV,
			                       (uint16_t)(2200 + 2 * i + k),
			                       CAP_OUT_CLOSED);
			cls_flow(&f, e->cls);
			cls_flow(&f, e->cls); /* twice: still one finding */
		}
	finish(e);
	assert_int_equal(e->res->nfindings, 5);
	assert_int_equal(e->res->summary.findings_dropped, 11);
	assert_int_equal(e->res->summary.findings, 16);
	assert_int_equal(e->res->summary.unexpected, 32);
	assert_false(e->res->summary.compliant);
	env_free(e);
	/* The same peers on two shared ports: at the cap, the peers of a
	 * port fold into one flood finding instead of being dropped. */
	e = env_new(NULL, 0, s, 5, NULL);
	for (unsigned i = 0; i < 8; i++)
		for (unsigned k = 0; k < 2; k++) {
			char peer[32];
			snprintf(peer, sizeof peer, "10.8.0.%u", i + 1);
			struct cap_flow f = mk(e, 6, peer, 50000, SRV,
			                       (uint16_t)(22 + k), CAP_OUT_CLOSED);
			cls_flow(&f, e->cls);
		}
	finish(e);
	assert_int_equal(e->res->summary.findings_dropped, 0);
	uint64_t flows = 0;
	for (uint32_t i = 0; i < e->res->nfindings; i++)
		flows += e->res->findings[i].flows;
	assert_int_equal(flows, 16);
	assert_true(e->res->nfindings <= 5);
	env_free(e);
	/* A scan at the cap: five blocked findings fill it, then one peer
	 * tries 1000 unexpected ports. The scan is one dropped finding, not
	 * a thousand (nor 17 before it is seen to be a scan). */
	e = env_new(NULL, 0, s, 5, NULL);
	for (unsigned i = 0; i < 5; i++) {
		char peer[32];
		snprintf(peer, sizeof peer, "10.8.0.%u", i + 1);
		struct cap_flow f = mk(e, 6, peer, 50000, SRV, 1960,
		                       CAP_OUT_REJECTED);
		cls_flow(&f, e->cls);
	}
	for (unsigned k = 0; k < 1000; k++) {
		struct cap_flow f = mk(e, 6, "10.9.0.1", 50000, SRV,
		                       (uint16_t)(20000 + k), CAP_OUT_REJECTED);
		cls_flow(&f, e->cls);
	}
	finish(e);
	assert_int_equal(e->res->nfindings, 5);
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(e->res->findings[i].kind, CLS_K_BLOCKED);
	assert_int_equal(e->res->summary.findings_dropped, 1);
	assert_int_equal(e->res->summary.kinds_dropped[CLS_K_UNEXPECTED], 1);
	assert_int_equal(e->res->summary.findings, 6);
	assert_int_equal(e->res->summary.unexpected, 1000);
	env_free(e);
}

static void test_filter_caveat(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	static const char req[] = "require:\n  services: [base-router]\n";
	/* The filter drops TCP 1960: not-seen, not missing. */
	struct env *e = env_new(req, 0, s, 0, "tcp port 22");
	one(e, 6, PEER, 40000, SRV, 22, CAP_OUT_CLOSED); /* audited */
	finish(e);
	assert_int_equal(status_of(e, "base-router"), CLS_S_NOT_SEEN);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 0);
	assert_true(strstr(e->res->services[svc_index(e, "base-router")].caveat,
	                   "The capture filter excludes TCP 1960"));
	assert_true(e->res->ncaveats >= 1);
	env_free(e);
	/* The filter keeps the server's traffic: missing is sound. */
	e = env_new(req, 0, s, 0, "host 10.0.0.1");
	one(e, 6, PEER, 40000, SRV, 22, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(status_of(e, "base-router"), CLS_S_MISSING);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	assert_string_equal(
		e->res->services[svc_index(e, "base-router")].caveat, "");
	env_free(e);
	/* Not a filter for Ethernet: it may exclude it. */
	e = env_new(req, 0, s, 0, "((");
	one(e, 6, PEER, 40000, SRV, 22, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(status_of(e, "base-router"), CLS_S_NOT_SEEN);
	assert_true(strstr(e->res->services[svc_index(e, "base-router")].caveat,
	                   "may exclude"));
	env_free(e);
	/* Per listed device: the filter keeps one device, drops the other. */
	e = env_new("products:\n  - id: cucm\n    devices: [10.1.0.11, "
	            "10.2.0.12]\nrequire:\n  services: [cucm-snmp]\n", 0, s, 0,
	            "udp and net 10.1.0.0/16");
	one(e, 6, PEER, 40000, SRV, 22, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	assert_int_equal(e->res->findings[0].peer[1], 1);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_MISSING);
	assert_true(strstr(e->res->services[svc_index(e, "cucm-snmp")].caveat,
	                   "excludes UDP 161"));
	env_free(e);
}

static bool has_caveat(const struct env *e, const char *text)
{
	for (uint32_t i = 0; i < e->res->ncaveats; i++)
		if (strstr(e->res->caveats[i], text))
			return true;
	return false;
}

static void test_caveats(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	/* Drops: missing stays, with the caveat. */
	struct env *e = env_new("require:\n  services: [base-router]\n", 0, s, 0,
	                        NULL);
	one(e, 6, SRV, 40000, PEER, 25, CAP_OUT_CLOSED);
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.packets = 1000; /* a capture was read: the verdict is not "not audited" */
	st.has_dropped = true;
	st.dropped = 42;
	e->res = cls_finish(e->cls, &st);
	assert_true(has_caveat(e, "42 packets were dropped"));
	assert_int_equal(status_of(e, "base-router"), CLS_S_MISSING);
	assert_int_equal(e->res->summary.missing, 1);
	assert_true(strstr(e->res->services[svc_index(e, "base-router")].caveat,
	                   "dropped"));
	assert_false(has_caveat(e, "one direction"));
	assert_false(has_caveat(e, "fragment table"));
	/* cls_finish twice gives the same result; later flows are ignored. */
	struct cap_flow f = mk(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	cls_flow(&f, e->cls);
	assert_ptr_equal(cls_finish(e->cls, &st), e->res);
	assert_int_equal(e->res->summary.flows, 1);
	env_free(e);

	/* The fragment table was full (a flood of fragments): the count,
	 * the cap, what it cost. */
	e = env_new(NULL, 0, s, 0, NULL);
	one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	memset(&st, 0, sizeof st);
	st.packets = 1000;
	st.anomalies[CAP_AN_FRAG_TABLE_FULL] = 171808;
	e->res = cls_finish(e->cls, &st);
	assert_true(has_caveat(e, "171808 fragmented datagrams were "
	                          "forgotten"));
	assert_true(has_caveat(e, "the fragment table (8192 datagrams) was "
	                          "full"));
	env_free(e);

	/* A SYN flood from more distinct sources than the peer set keeps
	 * exactly (CLS_PEERSET / 2): one flood finding, its peers counted
	 * exactly up to there and unchecked beyond, and a caveat saying the
	 * count is an upper bound (it was silent before). */
	e = env_new(NULL, 0, s, 0, NULL);
	one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	finish(e);
	assert_false(has_caveat(e, "upper bounds"));
	env_free(e);
	e = env_new(NULL, 0, s, 0, NULL);
	const unsigned nsyn = 70000;
	for (unsigned i = 0; i < nsyn; i++) {
		char peer[32];
		snprintf(peer, sizeof peer, "10.%u.%u.%u", 64 + i / 65536,
		         i / 256 % 256, i % 256);
		struct cap_flow fl = mk(e, 6, peer, 50000, SRV, 1960,
		                        CAP_OUT_UNANSWERED);
		cls_flow(&fl, e->cls);
	}
	finish(e);
	uint64_t peers = 0, fflows = 0;
	for (uint32_t i = 0; i < e->res->nfindings; i++) {
		peers += e->res->findings[i].npeers;
		fflows += e->res->findings[i].flows;
	}
	assert_int_equal(fflows, nsyn);
	assert_int_equal(peers, nsyn); /* distinct here: the bound is met */
	assert_true(e->res->nfindings <= 2);
	assert_true(has_caveat(e, "Counts are upper bounds"));
	assert_true(has_caveat(e, "(65536 peers, 256 scanners, 32768 keys)"));
	env_free(e);

	/* Only one direction captured. */
	e = env_new("require:\n  services: [common-smtp]\n", 0, s, 0, NULL);
	one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_UNANSWERED);
	f = mk(e, 6, PEER, 40001, SRV, 1960, CAP_OUT_MIDSTREAM);
	f.pkts[1] = 0;
	feed(e, &f);
	finish(e);
	assert_true(has_caveat(e, "one direction only"));
	assert_true(strstr(e->res->services[svc_index(e, "common-smtp")].caveat,
	                   "one direction"));
	assert_int_equal(status_of(e, "common-smtp"), CLS_S_MISSING);
	env_free(e);

	/* Records without packet counts (a Zeek log without orig_pkts and
	 * resp_pkts): closed flows were answered, whatever the counters. */
	e = env_srv();
	f = mk(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	f.pkts[0] = f.pkts[1] = 0;
	feed(e, &f);
	finish(e);
	assert_false(has_caveat(e, "one direction only"));
	env_free(e);

	/* No server at all. */
	e = env_new(NULL, 0, NULL, 0, NULL);
	f = mk(e, 6, PEER, 40000, SRV, 22, CAP_OUT_CLOSED);
	assert_null(feed(e, &f)); /* held until the end, then no server */
	finish(e);
	EXPECT(&e->rec[0], CLS_V_NONE, "-", "No monitored server");
	/* Nothing was checked: not audited, and why, not a caveat. */
	assert_int_equal(e->res->summary.verdict, CLS_NOT_AUDITED);
	assert_false(e->res->summary.compliant);
	assert_non_null(strstr(e->res->summary.why, "none was inferred"));
	assert_false(has_caveat(e, "No monitored server"));
	assert_int_equal(cls_exit_status(&e->res->summary), 3);
	assert_int_equal(e->res->summary.other_flows, 1);
	env_free(e);
}

static void test_buffer_settles(void **state)
{
	(void)state;
	/* Without servers, flows wait; once the buffer is full and a server
	 * is known, judging streams on. */
	struct env *e = env_new(NULL, 0, NULL, 0, NULL);
	struct cap_flow f = mk(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	assert_null(feed(e, &f));
	for (unsigned i = 1; i < (1u << 18); i++)
		cls_flow(&f, e->cls);
	assert_int_equal(e->nrec, 0);
	f = mk(e, 6, PEER, 40000, SRV, 22, CAP_OUT_CLOSED);
	const struct rec *r = feed(e, &f);
	assert_non_null(r);
	EXPECT(&e->rec[0], CLS_V_EXPECTED, "base-router", "expected");
	finish(e);
	assert_int_equal(e->res->summary.expected, 1u << 18);
	assert_int_equal(e->res->summary.unexpected, 1);
	assert_true(has_caveat(e, "inferred from the first 262144 flows"));
	env_free(e);
}

static void test_pending_overflow(void **state)
{
	(void)state;
	struct env *e = env_srv();
	/* 5000 dynamic-range flows without any 135: 4096 wait, the rest are
	 * judged at once; all end unexpected, all reach the sink. */
	unsigned sunk = 0;
	for (unsigned i = 0; i < 5000; i++) {
		char peer[32];
		snprintf(peer, sizeof peer, "10.50.%u.%u", i / 250, i % 250 + 1);
		e->t = 1700000000ull * 1000000000ull; /* all at once */
		struct cap_flow f = mk(e, 6, SRV, 40000, peer, 50123,
		                       CAP_OUT_CLOSED);
		unsigned before = e->nsunk;
		cls_flow(&f, e->cls);
		sunk += e->nsunk != before;
	}
	assert_int_equal(sunk, 5000 - 4096);
	finish(e);
	assert_int_equal(e->nsunk, 5000);
	assert_int_equal(e->res->summary.unexpected, 5000);
	assert_true(has_caveat(e, "904 flows in a dynamic port range"));
	env_free(e);
}

static void test_many_devices_missing(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	char prof[1024] = "products:\n  - id: cucm\n    devices: [";
	for (unsigned i = 1; i <= 12; i++) {
		char d[24];
		snprintf(d, sizeof d, "%s10.1.0.%u", i > 1 ? ", " : "", i);
		strncat(prof, d, sizeof prof - strlen(prof) - 1);
	}
	strncat(prof, "]\nrequire:\n  services: [cucm-snmp]\n",
	        sizeof prof - strlen(prof) - 1);
	struct env *e = env_new(prof, 0, s, 0, NULL);
	one(e, 17, SRV, 40000, "10.1.0.5", 161, CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(e->res->summary.missing, 11);
	for (uint32_t i = 0; i < e->res->nfindings; i++) {
		const struct cls_finding *m = &e->res->findings[i];
		char want[64];
		snprintf(want, sizeof want, "to 10.1.0.%u was never seen",
		         (unsigned)m->peer[3]);
		assert_true(strstr(m->reason, want));
		assert_int_not_equal(m->peer[3], 5);
	}
	env_free(e);
}

/* Random flows (fixed seed): every flow reaches the sink once, the
 * verdict counts add up, findings stay within the cap, nothing crashes. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static void random_run(const char *const *servers, const char *profile)
{
	struct env *e = env_new(profile, 0, servers, 64, NULL);
	static const uint16_t ports[] = { 25, 135, 161, 389, 443, 514, 1645,
	                                  1812, 1960, 1961, 1962, 1963, 1965,
	                                  4000, 5672, 8443, 50001, 50003,
	                                  49999, 60000, 22, 0, 65535 };
	static const char *const hosts[] = { SRV, SRV2, PEER, "10.9.0.6",
	                                     "10.1.0.11", "224.0.1.40",
	                                     "255.255.255.255", "0.0.0.0" };
	const unsigned n = 20000;
	for (unsigned i = 0; i < n; i++) {
		const char *a = hosts[rnd() % 8], *b = hosts[rnd() % 8];
		uint8_t proto = (uint8_t[]){ 6, 17, 1, 6, 17 }[rnd() % 5];
		uint16_t pb = rnd() % 4 ? ports[rnd() % 23] : (uint16_t)rnd();
		struct cap_flow f = mk(e, proto, a, (uint16_t)rnd(), b, pb,
		                       (enum cap_outcome)(rnd() % 8));
		f.initiator_inferred = (uint8_t)(rnd() % 2);
		f.syn_retries = (uint8_t)rnd();
		f.icmp_type = (uint8_t)(rnd() % 4);
		f.icmp_code = (uint8_t)(rnd() % 16);
		f.epm_port = rnd() % 3 ? 0 : (uint16_t)(49152 + rnd() % 16);
		f.pkts[rnd() % 2] = rnd() % 3;
		if (rnd() % 16 == 0)
			e->t -= 100ull * 1000000000ull; /* out of order */
		cls_flow(&f, e->cls);
	}
	finish(e);
	const struct cls_summary *sm = &e->res->summary;
	assert_int_equal(e->nsunk, n);
	assert_int_equal(sm->flows + sm->other_flows, n);
	assert_int_equal(sm->expected + sm->unexpected + sm->violation +
	                 sm->blocked, sm->flows);
	assert_true(e->res->nfindings <= 64);
	assert_int_equal(sm->findings, e->res->nfindings + sm->findings_dropped);
	/* Worst first: violation, blocked, missing, unexpected. */
	static const int sev[CLS_K_COUNT] = { [CLS_K_VIOLATION] = 0,
	                                      [CLS_K_BLOCKED] = 1,
	                                      [CLS_K_MISSING] = 2,
	                                      [CLS_K_UNEXPECTED] = 3 };
	for (uint32_t i = 1; i < e->res->nfindings; i++)
		assert_true(sev[e->res->findings[i - 1].kind] <=
		            sev[e->res->findings[i].kind]);
	for (uint32_t i = 0; i < e->res->nfindings; i++) {
		const struct cls_finding *fd = &e->res->findings[i];
		assert_true(fd->port <= fd->port_hi);
		assert_true(strlen(fd->reason) > 0);
		assert_true(fd->kind == CLS_K_MISSING || fd->flows > 0);
	}
	env_free(e);
}

static void test_random_flows(void **state)
{
	(void)state;
	static const char *const two[] = { SRV, SRV2, NULL };
	random_run(two, NULL);
	random_run(two, dev_profile);
	random_run(NULL, NULL);
	static const char *const pfx[] = { "10.0.0.0/8", NULL };
	random_run(pfx, "features:\n  auto-discovery: false\n");
}

static void test_portmap(void **state)
{
	(void)state;
	struct env *e = env_srv();
	static struct cap_portmap pm;
	cls_portmap(&e->model, &pm);
#define BIT(m, p) (((m)[(p) >> 3] >> ((p) & 7)) & 1)
	assert_true(BIT(pm.tcp, 1960));
	assert_true(BIT(pm.tcp, 135));
	assert_true(BIT(pm.tcp, 50001));
	assert_true(BIT(pm.udp, 1812) && BIT(pm.udp, 1646));
	assert_true(BIT(pm.tcp, 1963) && BIT(pm.udp, 1963));
	assert_false(BIT(pm.tcp, 49200)); /* dynamic range: not a server port */
	assert_false(BIT(pm.udp, 1960));
	env_free(e);
}

/* ---- groups, statuses by verdict, outcomes as judged ------------------ */

/* A profile that names the products present narrows a tie to them: one
 * product, one row, no group. */
static void test_group_narrowed_by_profile(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new("products:\n  - id: cucm\n", 0, s, 0, NULL);
	const struct rec *r = one(e, 17, SRV, 40000, PEER, 161,
	                          CAP_OUT_REPLIED);
	EXPECT(r, CLS_V_EXPECTED, "cucm-snmp", "expected, cucm-snmp");
	assert_string_equal(r->group, "");
	finish(e);
	assert_int_equal(e->res->ngroups, 0);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_OBSERVED);
	assert_int_equal(e->res->services[svc_index(e, "cucm-snmp")].flows, 1);
	env_free(e);
	/* Both named: the tie stays, one group of the two, counted once
	 * however many flows. */
	e = env_new("products:\n  - id: cucm\n  - id: cube\n", 0, s, 0, NULL);
	for (int i = 0; i < 3; i++)
		one(e, 17, SRV, (uint16_t)(40000 + i), PEER, 161,
		    CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(e->res->ngroups, 1);
	assert_int_equal(e->res->groups[0].nmembers, 2);
	assert_int_equal(e->res->groups[0].st.flows, 3);
	assert_int_equal(e->res->groups[0].st.by[CLS_V_EXPECTED].flows, 3);
	assert_int_equal(e->res->services[svc_index(e, "cucm-snmp")].flows, 0);
	assert_int_equal(e->res->services[svc_index(e, "cube-snmp")].flows, 0);
	env_free(e);
}

/* A wrong-way SNMP poll fits both rows as badly: one violation finding
 * named after the group, and the group is violated. */
static void test_group_violation(void **state)
{
	(void)state;
	struct env *e = env_srv();
	const struct rec *r = one(e, 17, PEER, 40000, SRV, 161,
	                          CAP_OUT_REPLIED);
	EXPECT(r, CLS_V_VIOLATION, "cucm-snmp", "shared-udp-161-outbound is "
	       "outbound only");
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_VIOLATION), 1);
	assert_int_equal(e->res->findings[0].group, 1);
	assert_int_equal(e->res->groups[0].st.status, CLS_S_VIOLATED);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_NOT_SEEN);
	env_free(e);
}

/* A request/response UDP service without reply is unanswered; one-way
 * syslog stays one-way; UDP to a port no row uses stays one-way. */
static void test_udp_unanswered(void **state)
{
	(void)state;
	struct env *e = env_srv();
	struct cap_flow f = mk(e, 17, SRV, 40000, PEER, 161, CAP_OUT_ONEWAY);
	f.pkts[0] = 3;
	f.pkts[1] = 0;
	const struct rec *r = feed(e, &f);
	assert_non_null(r);
	assert_int_equal(r->verdict, CLS_V_BLOCKED);
	assert_int_equal(r->outcome, CAP_OUT_UNANSWERED);
	assert_non_null(strstr(r->reason, "3 request(s) got no reply"));
	r = one(e, 17, PEER, 514, SRV, 514, CAP_OUT_ONEWAY);
	assert_int_equal(r->verdict, CLS_V_EXPECTED);
	assert_int_equal(r->outcome, CAP_OUT_ONEWAY);
	r = one(e, 17, PEER, 40001, SRV, 7777, CAP_OUT_ONEWAY);
	assert_int_equal(r->verdict, CLS_V_UNEXPECTED);
	assert_int_equal(r->outcome, CAP_OUT_ONEWAY);
	finish(e);
	const struct cls_finding *b = NULL;
	for (uint32_t i = 0; i < e->res->nfindings; i++)
		if (e->res->findings[i].kind == CLS_K_BLOCKED)
			b = &e->res->findings[i];
	assert_non_null(b);
	assert_int_equal(b->outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(b->port, 161);
	env_free(e);

	/* The reply alone (its request came before the capture began): no
	 * request went unanswered, and the service answered. */
	e = env_srv();
	f = mk(e, 17, SRV, 40001, PEER, 161, CAP_OUT_ONEWAY);
	f.pkts[0] = 0;
	f.bytes[0] = 0;
	f.pkts[1] = 1;
	f.bytes[1] = 142;
	r = feed(e, &f);
	assert_non_null(r);
	assert_int_equal(r->verdict, CLS_V_EXPECTED);
	assert_int_equal(r->outcome, CAP_OUT_ONEWAY);
	finish(e);
	for (uint32_t i = 0; i < e->res->nfindings; i++)
		assert_int_not_equal(e->res->findings[i].kind, CLS_K_BLOCKED);
	env_free(e);
}

/* Local-only across the wire and a reserved offset: violated, never
 * observed; local-only on its own host: observed. */
static void test_violated_status(void **state)
{
	(void)state;
	struct env *e = env_srv();
	one(e, 6, PEER, 40000, SRV, 1961, CAP_OUT_CLOSED);
	one(e, 6, PEER, 40001, SRV, 1963, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(status_of(e, "base-promgr"), CLS_S_VIOLATED);
	assert_int_equal(status_of(e, "base-reserved-3"), CLS_S_VIOLATED);
	const struct cls_service_stat *st =
		&e->res->services[svc_index(e, "base-promgr")];
	assert_int_equal(st->by[CLS_V_VIOLATION].flows, 1);
	assert_int_equal(st->by[CLS_V_VIOLATION].bytes, st->bytes);
	assert_int_equal(st->ok_flows, 0);
	env_free(e);
	e = env_srv();
	one(e, 6, SRV, 40000, SRV, 1961, CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(status_of(e, "base-promgr"), CLS_S_OBSERVED);
	env_free(e);
}

/* Every requirement of a service, for every listed device: RADIUS
 * accounting seen with one device does not hide its missing
 * authentication, and the silent device misses both. */
static void test_device_requirements(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	struct env *e = env_new("products:\n  - id: cube\n    devices: "
	                        "[10.10.0.20, 10.10.0.21]\nrequire:\n  "
	                        "services: [cube-radius]\n", 0, s, 0, NULL);
	one(e, 17, SRV, 40000, "10.10.0.20", 1813, CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(status_of(e, "cube-radius"), CLS_S_MISSING);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 3);
	unsigned auth20 = 0, auth21 = 0, acct21 = 0, acct20 = 0;
	for (uint32_t i = 0; i < e->res->nfindings; i++) {
		const struct cls_finding *m = &e->res->findings[i];
		if (m->kind != CLS_K_MISSING)
			continue;
		bool d20 = m->peer[3] == 20;
		if (m->port == 1812)
			d20 ? auth20++ : auth21++;
		else if (m->port == 1813)
			d20 ? acct20++ : acct21++;
		if (m->port == 1812)
			assert_non_null(strstr(m->reason, "1812|1645"));
	}
	assert_int_equal(auth20, 1);
	assert_int_equal(auth21, 1);
	assert_int_equal(acct21, 1);
	assert_int_equal(acct20, 0);
	env_free(e);
}

/* A host listed inside a listed prefix is the prefix's member: silent
 * together, one finding for the prefix (naming the host, keeping /28);
 * the prefix heard from another host but not the listed one: one finding
 * for the host. */
static void test_device_overlap(void **state)
{
	(void)state;
	static const char *const s[] = { SRV, NULL };
	static const char prof[] = "products:\n  - id: cucm\n    devices: "
	                           "[10.1.0.0/28, 10.1.0.11]\nrequire:\n  "
	                           "services: [cucm-snmp]\n";
	struct env *e = env_new(prof, 0, s, 0, NULL);
	one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED); /* audited */
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	const struct cls_finding *m = &e->res->findings[0];
	assert_int_equal(m->kind, CLS_K_MISSING);
	assert_int_equal(m->peer_len, 28);
	assert_non_null(strstr(m->reason, "10.1.0.0/28 (with the listed "
	                                  "10.1.0.11)"));
	env_free(e);
	e = env_new(prof, 0, s, 0, NULL);
	one(e, 17, SRV, 40000, "10.1.0.3", 161, CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 1);
	m = &e->res->findings[0];
	assert_int_equal(m->peer_len, 0);
	assert_int_equal(m->peer[3], 11);
	env_free(e);
	e = env_new(prof, 0, s, 0, NULL);
	one(e, 17, SRV, 40000, "10.1.0.11", 161, CAP_OUT_REPLIED);
	finish(e);
	assert_int_equal(count_kind(e, CLS_K_MISSING), 0);
	assert_int_equal(status_of(e, "cucm-snmp"), CLS_S_OBSERVED);
	env_free(e);
}

/* Flow ids: one per flow, in order; a finding keeps its first ones. */
static void test_flow_ids(void **state)
{
	(void)state;
	struct env *e = env_srv();
	const struct rec *a = one(e, 6, PEER, 40000, SRV, 1960, CAP_OUT_CLOSED);
	uint64_t first = a->flow_id;
	for (int i = 0; i < 20; i++)
		one(e, 6, PEER, (uint16_t)(41000 + i), SRV, 1963,
		    CAP_OUT_CLOSED);
	finish(e);
	assert_int_equal(first, 1);
	assert_int_equal(e->rec[20].flow_id, 21);
	assert_int_equal(e->res->nfindings, 1);
	assert_int_equal(e->res->findings[0].nflow_ids, CLS_FLOW_IDS);
	assert_int_equal(e->res->findings[0].flow_ids[0], 2);
	assert_int_equal(e->res->findings[0].flow_ids[CLS_FLOW_IDS - 1],
	                 CLS_FLOW_IDS + 1);
	env_free(e);
}

/* The port tables (match.c, built by runs between range ends) against a
 * reference computed port by port: for every port, both protocols, the
 * static and the dynamic table, the candidates are the services (in the
 * catalog's order, each once) with a range holding the port. On the
 * built-in catalog, then with services changed to ranges that overlap,
 * touch, repeat a port and reach 0 and 65535. */
static bool in_ranges(const struct cat_service *s, bool dynamic, uint32_t p)
{
	if (dynamic)
		return s->has_dynamic && s->dynamic.lo <= p && p <= s->dynamic.hi;
	for (unsigned r = 0; r < s->nreq && r < CAT_MAX_REQ; r++)
		for (unsigned a = 0; a < s->req[r].nalt && a < CAT_MAX_ALT; a++)
			if (s->req[r].alt[a].lo <= p && p <= s->req[r].alt[a].hi)
				return true;
	return false;
}

static void check_tables(const struct cat_model *m)
{
	struct cls_options o;
	memset(&o, 0, sizeof o);
	struct cls *c = cls_new(m, &o);
	assert_non_null(c);
	const struct catalog *cat = m->cat;
	uint16_t want[512];
	uint64_t total = 0;
	for (int pi = 0; pi < 2; pi++) {
		uint8_t proto = pi ? 17 : 6;
		for (int dyn = 0; dyn < 2; dyn++) {
			for (uint32_t p = 0; p < 65536; p++) {
				uint32_t nw = 0;
				for (uint32_t i = 0; i < cat->nservices; i++) {
					const struct cat_service *s = &cat->services[i];
					bool mine = s->proto == CAT_PROTO_NONE ||
					            (s->proto == CAT_PROTO_TCP && !pi) ||
					            (s->proto == CAT_PROTO_UDP && pi);
					if (mine && in_ranges(s, dyn, p)) {
						assert_true(nw < 512);
						want[nw++] = (uint16_t)i;
					}
				}
				const uint16_t *l;
				uint32_t n = cls_candidates(c, proto, (uint16_t)p,
				                            dyn != 0, &l);
				if (n != nw || (n && memcmp(l, want, n * 2) != 0))
					fail_msg("proto %u port %u %s: %u candidates, "
					         "want %u", proto, p,
					         dyn ? "dynamic" : "static", n, nw);
				total += n;
			}
		}
	}
	assert_true(total > 0);
	cls_free(c);
}

static void test_port_tables(void **state)
{
	(void)state;
	struct catalog cat;
	struct cat_model model;
	struct cat_error err;
	memset(&cat, 0, sizeof cat);
	memset(&model, 0, sizeof model);
	if (cat_load_file(&cat, NULL, &err) != 0)
		fail_msg("built-in catalog: %s", err.msg);
	if (cat_apply(&model, &cat, NULL, 0, &err) != 0)
		fail_msg("apply: %s", err.msg);
	check_tables(&model);
	assert_true(cat.nservices >= 4);
	/* overlapping, touching, repeated, and the ends of the port space */
	static const uint16_t r0[][2] = { { 1000, 2000 }, { 1500, 2500 },
	                                  { 1999, 1999 }, { 2501, 2600 },
	                                  { 65535, 65535 }, { 0, 0 },
	                                  { 1000, 1000 }, { 2600, 2700 } };
	struct cat_service *s = &cat.services[0];
	s->proto = CAT_PROTO_TCP;
	s->nreq = 2;
	s->req[0].nalt = 4;
	s->req[1].nalt = 4;
	for (unsigned k = 0; k < 8; k++) {
		s->req[k / 4].alt[k % 4].lo = r0[k][0];
		s->req[k / 4].alt[k % 4].hi = r0[k][1];
	}
	s = &cat.services[1];
	s->proto = CAT_PROTO_NONE;
	s->nreq = 1;
	s->req[0].nalt = 2;
	s->req[0].alt[0].lo = 0;
	s->req[0].alt[0].hi = 65535;
	s->req[0].alt[1].lo = 1960;
	s->req[0].alt[1].hi = 1960;
	s = &cat.services[2];
	s->has_dynamic = true;
	s->dynamic.lo = 1024;
	s->dynamic.hi = 65535;
	s = &cat.services[3];
	s->proto = CAT_PROTO_UDP;
	s->nreq = 1;
	s->req[0].nalt = 1;
	s->req[0].alt[0].lo = 7; /* an empty range: lo > hi */
	s->req[0].alt[0].hi = 6;
	check_tables(&model);
	cat_model_free(&model);
	cat_free(&cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_inbound_outbound),
		cmocka_unit_test(test_wrong_direction),
		cmocka_unit_test(test_wrong_direction_status),
		cmocka_unit_test(test_local_only),
		cmocka_unit_test(test_reserved_offsets),
		cmocka_unit_test(test_disabled_conditions),
		cmocka_unit_test(test_blocked_outcomes),
		cmocka_unit_test(test_icmpv6_admin),
		cmocka_unit_test(test_alternatives_and_ranges),
		cmocka_unit_test(test_radius_required),
		cmocka_unit_test(test_changed_base),
		cmocka_unit_test(test_wmi_window),
		cmocka_unit_test(test_wmi_epm_port),
		cmocka_unit_test(test_dynamic_device_of),
		cmocka_unit_test(test_carry_to_next_interval),
		cmocka_unit_test(test_dynamic_before_control),
		cmocka_unit_test(test_dynamic_many_pairs_held),
		cmocka_unit_test(test_dynamic_one_pair_many_held),
		cmocka_unit_test(test_dynamic_release_moves_last),
		cmocka_unit_test(test_ctrl_contacts_kept),
		cmocka_unit_test(test_ctrl_contacts_evict_lru),
		cmocka_unit_test(test_pending_expires),
		cmocka_unit_test(test_autodiscovery),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_shared_port),
		cmocka_unit_test(test_internal),
		cmocka_unit_test(test_midstream_ipv6),
		cmocka_unit_test(test_long_reason),
		cmocka_unit_test(test_inferred_orientation),
		cmocka_unit_test(test_icmp_unexpected),
		cmocka_unit_test(test_infer_servers),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_outcome_latest),
		cmocka_unit_test(test_base_collision),
		cmocka_unit_test(test_link_infrastructure),
		cmocka_unit_test(test_device_index),
		cmocka_unit_test(test_findings_cap),
		cmocka_unit_test(test_filter_caveat),
		cmocka_unit_test(test_caveats),
		cmocka_unit_test(test_buffer_settles),
		cmocka_unit_test(test_pending_overflow),
		cmocka_unit_test(test_many_devices_missing),
		cmocka_unit_test(test_group_narrowed_by_profile),
		cmocka_unit_test(test_group_violation),
		cmocka_unit_test(test_udp_unanswered),
		cmocka_unit_test(test_icmp_time_exceeded),
		cmocka_unit_test(test_reset_only),
		cmocka_unit_test(test_reply_unsure),
		cmocka_unit_test(test_not_audited_exporters),
		cmocka_unit_test(test_not_audited_server_absent),
		cmocka_unit_test(test_violated_status),
		cmocka_unit_test(test_device_requirements),
		cmocka_unit_test(test_device_overlap),
		cmocka_unit_test(test_flow_ids),
		cmocka_unit_test(test_random_flows),
		cmocka_unit_test(test_portmap),
		cmocka_unit_test(test_port_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
