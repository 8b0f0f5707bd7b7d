/*
 * test_classify_lazy.c -- reasons worded only when read, scans folded
 * without a finding lookup, the reason formatter.
 *
 * Classification words a flow's reason only when someone reads it (the
 * flow sink, or a finding taking a first reason or a new outcome), keeps
 * the last address texts per side, and sends the flows of a pair already
 * collapsed into a scan straight to the scan finding. None of that may
 * change a byte of what is decided: the same flows fed to a classifier
 * with a sink and to one without must give identical findings, every
 * sunk reason must name the flow's own addresses and port, and
 * interleaved scans must each count their ports exactly. cls_fmt must
 * truncate exactly as snprintf does.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../classify/cls_int.h"

static const char cat_yaml[] =
	"catalog:\n"
	"  name: test\n"
	"  title: Test catalog\n"
	"  base_port: 1960\n"
	"  max_offset: 6\n"
	"conditions:\n"
	"  - id: ldap\n"
	"    default: true\n"
	"    description: plain LDAP\n"
	"products:\n"
	"  - id: base\n"
	"    name: Base Ports\n"
	"    always: true\n"
	"  - id: common\n"
	"    name: Common Ports\n"
	"    always: true\n"
	"services:\n"
	"  - id: base-router\n"
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [base+0]\n"
	"    direction: inbound\n"
	"    purpose: base port\n"
	"  - id: base-reserved-3\n"
	"    product: base\n"
	"    protocol: none\n"
	"    ports: [base+3]\n"
	"    direction: reserved\n"
	"    purpose: reserved\n"
	"  - id: common-smtp\n"
	"    product: common\n"
	"    protocol: tcp\n"
	"    ports: [25]\n"
	"    direction: outbound\n"
	"    purpose: mail\n"
	"  - id: common-snmp\n"
	"    product: common\n"
	"    protocol: udp\n"
	"    ports: [161]\n"
	"    direction: outbound\n"
	"    purpose: snmp\n";

#define NREC 4096

struct rec {
	enum cls_verdict verdict;
	char reason[400];
};

struct env {
	struct catalog cat;
	struct cat_model model;
	struct cls_server servers[3];
	struct cls *cls;
	struct rec *rec; /* NULL: no sink */
	unsigned nrec;
};

static void sink(const struct cls_flow *cf, void *ctx)
{
	struct env *e = ctx;
	assert_non_null(cf->reason);
	if (e->nrec < NREC) {
		e->rec[e->nrec].verdict = cf->verdict;
		snprintf(e->rec[e->nrec].reason, sizeof e->rec[0].reason, "%s",
		         cf->reason);
	}
	e->nrec++;
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

static struct env *env_new(bool with_sink, uint32_t max_findings)
{
	struct env *e = calloc(1, sizeof *e);
	assert_non_null(e);
	struct cat_error err;
	if (cat_load_buffer(&e->cat, "test.yaml",
	                    (const unsigned char *)cat_yaml, strlen(cat_yaml),
	                    &err) != 0)
		fail_msg("%s", err.msg);
	if (cat_apply(&e->model, &e->cat, NULL, 0, &err) != 0)
		fail_msg("%s", err.msg);
	static const char *const srv[] = { "10.0.0.1", "2001:db8::1",
	                                   "10.0.0.2" };
	for (int i = 0; i < 3; i++) {
		addr(e->servers[i].addr, &e->servers[i].family, srv[i]);
		e->servers[i].len = e->servers[i].family == 4 ? 32 : 128;
		snprintf(e->servers[i].how, sizeof e->servers[i].how,
		         "--server");
	}
	if (with_sink) {
		e->rec = calloc(NREC, sizeof *e->rec);
		assert_non_null(e->rec);
	}
	struct cls_options o = {
		.servers = e->servers, .nservers = 3,
		.max_findings = max_findings,
		.sink = with_sink ? sink : NULL, .sink_ctx = e,
		.fail_on = (1 << CLS_K_COUNT) - 1,
	};
	e->cls = cls_new(&e->model, &o);
	assert_non_null(e->cls);
	return e;
}

static void env_free(struct env *e)
{
	cls_free(e->cls);
	cat_model_free(&e->model);
	cat_free(&e->cat);
	free(e->rec);
	free(e);
}

static struct cap_flow mk(uint8_t proto, const char *a, uint16_t pa,
                          const char *b, uint16_t pb, enum cap_outcome out,
                          uint64_t t)
{
	struct cap_flow f;
	memset(&f, 0, sizeof f);
	addr(f.addr_a, &f.family, a);
	addr(f.addr_b, &f.family, b);
	f.port_a = pa;
	f.port_b = pb;
	f.proto = proto;
	f.outcome = (uint8_t)out;
	f.pkts[0] = 1;
	f.bytes[0] = 60;
	if (out != CAP_OUT_UNANSWERED && out != CAP_OUT_ONEWAY) {
		f.pkts[1] = 1;
		f.bytes[1] = 54;
	}
	if (proto == 1 || proto == 58) {
		f.port_a = 0;
		f.port_b = pb;
	}
	f.first_ns = t;
	f.last_ns = t + 1000;
	return f;
}

static void finish(struct env *e)
{
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	st.packets = 1000; /* a capture was read: the verdict is not "not audited" */
	assert_non_null(cls_finish(e->cls, &st));
}

/* A varied capture: every kind of finding, outcome changes on one key,
 * IPv4 and IPv6, ICMP, and two scanners interleaved flow by flow. */
static unsigned feed_mix(struct env *e)
{
	static const char *const peers[] = { "10.9.0.5", "10.9.0.6",
	                                     "192.0.2.77" };
	uint64_t t = 1700000000ull * 1000000000ull;
	unsigned n = 0;
	struct cap_flow f;
#define FEED(...) do { f = mk(__VA_ARGS__, t += 1000000); \
	cls_flow(&f, e->cls); n++; } while (0)
	for (int round = 0; round < 3; round++) {
		for (unsigned p = 0; p < 3; p++) {
			const char *pe = peers[p];
			FEED(6, pe, 40000, "10.0.0.1", 1960, CAP_OUT_CLOSED);
			FEED(6, pe, 40001, "10.0.0.1", 1960, CAP_OUT_REJECTED);
			FEED(6, pe, 40001, "10.0.0.1", 1960, CAP_OUT_UNANSWERED);
			FEED(6, pe, 40002, "10.0.0.1", 1963, CAP_OUT_CLOSED);
			FEED(17, pe, 40003, "10.0.0.1", 1963, CAP_OUT_ONEWAY);
			FEED(6, pe, 40004, "10.0.0.1", 25, CAP_OUT_CLOSED);
			FEED(6, "10.0.0.1", 40005, pe, 25, round == 1 ?
			     CAP_OUT_REJECTED : CAP_OUT_CLOSED);
			FEED(17, "10.0.0.1", 40006, pe, 161, CAP_OUT_UNANSWERED);
			FEED(6, pe, 40007, "10.0.0.1", 8080, round == 2 ?
			     CAP_OUT_CLOSED : CAP_OUT_REJECTED);
			FEED(1, pe, 0, "10.0.0.1", 0x0800, CAP_OUT_REPLIED);
			FEED(6, pe, 40008, "10.1.1.1", 80, CAP_OUT_CLOSED);
		}
		FEED(6, "2001:db8::99", 40000, "2001:db8::1", 8443,
		     CAP_OUT_REJECTED);
		FEED(6, "2001:db8::1", 40000, "2001:db8::99", 25,
		     CAP_OUT_CLOSED);
	}
	/* Two scanners interleaved, then the server scanning one of them,
	 * and a scanner hitting every port twice. */
	for (unsigned port = 1; port <= 300; port++) {
		FEED(6, "198.51.100.1", 50000, "10.0.0.1", (uint16_t)(port + 2000),
		     CAP_OUT_REJECTED);
		FEED(6, "198.51.100.2", 50001, "10.0.0.1", (uint16_t)(port + 3000),
		     port % 7 ? CAP_OUT_REJECTED : CAP_OUT_UNANSWERED);
		if (port <= 40)
			FEED(6, "10.0.0.1", 50002, "198.51.100.1",
			     (uint16_t)(port + 9000), CAP_OUT_REJECTED);
		FEED(17, "2001:db8::66", 50003, "2001:db8::1",
		     (uint16_t)(port % 50 + 10000), CAP_OUT_UNANSWERED);
	}
#undef FEED
	return n;
}

static void test_same_without_sink(void **state)
{
	(void)state;
	struct env *a = env_new(true, 0), *b = env_new(false, 0);
	unsigned na = feed_mix(a), nb = feed_mix(b);
	assert_int_equal(na, nb);
	assert_int_equal(a->nrec, na); /* every flow sunk once */
	finish(a);
	finish(b);
	const struct cls_result *ra = &a->cls->res, *rb = &b->cls->res;
	assert_int_equal(ra->nfindings, rb->nfindings);
	assert_true(ra->nfindings > 10);
	assert_memory_equal(&ra->summary, &rb->summary, sizeof ra->summary);
	for (uint32_t i = 0; i < ra->nfindings; i++) {
		const struct cls_finding *x = &ra->findings[i],
		                         *y = &rb->findings[i];
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->service, y->service);
		assert_int_equal(x->port, y->port);
		assert_int_equal(x->port_hi, y->port_hi);
		assert_int_equal(x->nports, y->nports);
		assert_int_equal(x->flows, y->flows);
		assert_int_equal(x->packets, y->packets);
		assert_int_equal(x->outcome, y->outcome);
		assert_memory_equal(x->server, y->server, 16);
		assert_memory_equal(x->peer, y->peer, 16);
		assert_string_equal(x->reason, y->reason);
		assert_true(x->reason[0] != '\0');
	}
	for (uint32_t i = 0; i < a->cat.nservices; i++)
		assert_memory_equal(&ra->services[i], &rb->services[i],
		                    sizeof ra->services[i]);
	env_free(a);
	env_free(b);
}

/* The reason of each flow names its own addresses and port, though the
 * address texts are remembered between flows. */
static void test_reasons_name_own_flow(void **state)
{
	(void)state;
	struct env *e = env_new(true, 0);
	static const char *const peers[] = { "10.9.0.5", "10.9.0.55",
	                                     "10.9.0.5", "2001:db8::5",
	                                     "10.9.0.50", "10.9.0.5" };
	uint64_t t = 1;
	for (unsigned i = 0; i < 6; i++) {
		bool v6 = strchr(peers[i], ':') != NULL;
		const char *srv = v6 ? "2001:db8::1" : "10.0.0.1";
		/* one inbound and one outbound, so both sides change */
		struct cap_flow f = mk(6, peers[i], 40000, srv,
		                       (uint16_t)(7000 + i), CAP_OUT_REJECTED,
		                       t += 10);
		cls_flow(&f, e->cls);
		f = mk(6, srv, 40000, peers[i], (uint16_t)(8000 + i),
		       CAP_OUT_CLOSED, t += 10);
		cls_flow(&f, e->cls);
		char want[200];
		snprintf(want, sizeof want, "TCP %u from %s to the server %s: "
		         "no catalog service uses TCP %u inbound.", 7000 + i,
		         peers[i], srv, 7000 + i);
		assert_string_equal(e->rec[2 * i].reason, want);
		snprintf(want, sizeof want, "TCP %u from the server %s to %s: "
		         "no catalog service uses TCP %u outbound.", 8000 + i,
		         srv, peers[i], 8000 + i);
		assert_string_equal(e->rec[2 * i + 1].reason, want);
	}
	/* A flow touching no server: the fixed sentence. */
	struct cap_flow f = mk(6, "10.9.0.5", 1, "10.9.0.6", 2,
	                       CAP_OUT_CLOSED, t += 10);
	cls_flow(&f, e->cls);
	assert_int_equal(e->rec[12].verdict, CLS_V_NONE);
	assert_string_equal(e->rec[12].reason,
	                    "No monitored server is involved.");
	/* Between two servers, an expected flow, blocked ones, ICMP. */
	f = mk(6, "10.0.0.1", 1, "10.0.0.2", 7777, CAP_OUT_CLOSED, t += 10);
	cls_flow(&f, e->cls);
	assert_string_equal(e->rec[13].reason, "TCP 7777 from the server "
	                    "10.0.0.1 to the server 10.0.0.2: no catalog "
	                    "service uses TCP 7777 between servers.");
	f = mk(6, "10.9.0.5", 1, "10.0.0.1", 1960, CAP_OUT_CLOSED, t += 10);
	cls_flow(&f, e->cls);
	assert_string_equal(e->rec[14].reason, "TCP 1960 from 10.9.0.5 to the "
	                    "server 10.0.0.1: expected, base-router (inbound), "
	                    "closed.");
	f = mk(6, "10.9.0.5", 1, "10.0.0.1", 1960, CAP_OUT_UNANSWERED,
	       t += 10);
	f.syn_retries = 2;
	cls_flow(&f, e->cls);
	assert_string_equal(e->rec[15].reason, "TCP 1960 from 10.9.0.5 to the "
	                    "server 10.0.0.1 (base-router): blocked, "
	                    "unanswered: 3 SYN(s) got no reply (dropped by a "
	                    "firewall, or the host is down).");
	f = mk(17, "10.0.0.1", 1, "10.9.0.5", 161, CAP_OUT_UNANSWERED,
	       t += 10);
	f.pkts[0] = 4;
	cls_flow(&f, e->cls);
	assert_string_equal(e->rec[16].reason, "UDP 161 from the server "
	                    "10.0.0.1 to 10.9.0.5 (common-snmp): blocked, 4 "
	                    "request(s) got no reply from a request/response "
	                    "service.");
	f = mk(1, "10.9.0.5", 0, "10.0.0.1", 0x0d07, CAP_OUT_REPLIED,
	       t += 10);
	cls_flow(&f, e->cls);
	assert_string_equal(e->rec[17].reason, "ICMP type 13 code 7 from "
	                    "10.9.0.5 to the server 10.0.0.1: no catalog "
	                    "service covers ICMP.");
	env_free(e);
}

static const struct cls_finding *scan_of(const struct cls_result *r,
                                         const char *peer)
{
	uint8_t a[16], fam;
	addr(a, &fam, peer);
	for (uint32_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].nports > 1 &&
		    memcmp(r->findings[i].peer, a, 16) == 0)
			return &r->findings[i];
	fail_msg("no scan finding for %s", peer);
	return NULL;
}

/* Interleaved scanners defeat the last-pair shortcut every flow: each
 * scan still counts its ports exactly, repeated ports once. */
static void test_interleaved_scans(void **state)
{
	(void)state;
	struct env *e = env_new(false, 0);
	uint64_t t = 1;
	for (int pass = 0; pass < 2; pass++)
		for (unsigned port = 100; port < 1100; port++) {
			struct cap_flow f = mk(6, "198.51.100.1", 1, "10.0.0.1",
			                       (uint16_t)port, CAP_OUT_REJECTED,
			                       t += 10);
			cls_flow(&f, e->cls);
			f = mk(6, "198.51.100.2", 1, "10.0.0.1",
			       (uint16_t)(port + 20000), CAP_OUT_REJECTED,
			       t += 10);
			cls_flow(&f, e->cls);
			if (port < 150) {
				f = mk(6, "10.0.0.1", 1, "198.51.100.1",
				       (uint16_t)(port * 3), CAP_OUT_REJECTED,
				       t += 10);
				cls_flow(&f, e->cls);
			}
		}
	finish(e);
	const struct cls_result *r = &e->cls->res;
	assert_int_equal(r->nfindings, 3);
	const struct cls_finding *s1 = NULL, *s2 = scan_of(r, "198.51.100.2");
	for (uint32_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].peer[3] == 1 &&
		    !r->findings[i].server_initiated)
			s1 = &r->findings[i];
	assert_non_null(s1);
	assert_int_equal(s1->nports, 1000);
	assert_int_equal(s1->flows, 2000);
	assert_int_equal(s1->port, 100);
	assert_int_equal(s1->port_hi, 1099);
	assert_string_equal(s1->reason, "198.51.100.1 sent TCP to 1000 ports "
	                    "(100-1099) of the server 10.0.0.1 that no catalog "
	                    "service uses inbound: a port scan.");
	assert_int_equal(s2->nports, 1000);
	assert_int_equal(s2->flows, 2000);
	assert_int_equal(s2->port, 20100);
	assert_int_equal(s2->port_hi, 21099);
	for (uint32_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].server_initiated) {
			assert_int_equal(r->findings[i].nports, 50);
			assert_int_equal(r->findings[i].flows, 100);
			assert_int_equal(r->findings[i].port, 300);
			assert_int_equal(r->findings[i].port_hi, 447);
		}
	assert_int_equal(r->summary.unexpected, 4100);
	env_free(e);
}

/* A full findings table: flows of new keys are dropped and counted, a
 * scan that began before still takes its flows. */
static void test_scan_with_full_table(void **state)
{
	(void)state;
	struct env *e = env_new(false, 20);
	uint64_t t = 1;
	for (unsigned port = 1; port <= 30; port++) {
		struct cap_flow f = mk(6, "198.51.100.9", 1, "10.0.0.1",
		                       (uint16_t)(port + 5000), CAP_OUT_REJECTED,
		                       t += 10);
		cls_flow(&f, e->cls);
	}
	/* 40 violations, at most 16 peers on one port (more would fold
	 * into one flood finding): 16 peers on TCP 1963 (reserved), 16 on
	 * TCP 25 inbound (outbound only), 8 on UDP 1963. */
	for (unsigned i = 0; i < 40; i++) {
		char peer[32];
		snprintf(peer, sizeof peer, "10.9.1.%u", i + 1);
		struct cap_flow f = mk(i < 32 ? 6 : 17, peer, 1, "10.0.0.1",
		                       i >= 16 && i < 32 ? 25 : 1963,
		                       CAP_OUT_CLOSED, t += 10);
		cls_flow(&f, e->cls);
	}
	for (unsigned port = 31; port <= 60; port++) {
		struct cap_flow f = mk(6, "198.51.100.9", 1, "10.0.0.1",
		                       (uint16_t)(port + 5000), CAP_OUT_REJECTED,
		                       t += 10);
		cls_flow(&f, e->cls);
	}
	finish(e);
	const struct cls_result *r = &e->cls->res;
	/* The least severe finding gives way: the 20th finding, a
	 * violation, evicted the scan (unexpected); after it only violations
	 * were kept, and the next new one folded the peers of its port into
	 * a flood finding (TCP 25: 16 peers) instead of being dropped, as did
	 * UDP 1963's: 16 + 1 + 1 findings, every violating flow kept. The
	 * scan's later flows joined the dropped scan instead of making new
	 * findings. */
	assert_int_equal(r->nfindings, 18);
	uint64_t flows = 0;
	for (uint32_t i = 0; i < r->nfindings; i++) {
		assert_int_equal(r->findings[i].kind, CLS_K_VIOLATION);
		flows += r->findings[i].flows;
	}
	assert_int_equal(flows, 40);
	assert_int_equal(r->summary.findings_dropped, 1);
	assert_int_equal(r->summary.kinds_dropped[CLS_K_UNEXPECTED], 1);
	assert_int_equal(r->summary.kinds_dropped[CLS_K_VIOLATION], 0);
	assert_int_equal(r->summary.kinds[CLS_K_VIOLATION], 18);
	assert_int_equal(r->summary.kinds[CLS_K_UNEXPECTED], 1);
	assert_int_equal(r->summary.findings, 19);
	assert_int_equal(r->summary.verdict, CLS_NOT_COMPLIANT);
	env_free(e);
}

/* cls_fmt writes what snprintf writes, for every buffer size. */
static void test_fmt_like_snprintf(void **state)
{
	(void)state;
	char a[128], b[128];
	for (size_t len = 1; len <= sizeof a; len++) {
		memset(a, 'x', sizeof a);
		memset(b, 'x', sizeof b);
		cls_fmt(a, len, "%s %u from %s%s to %s%s", "TCP", 65535u,
		        "the server ", "10.0.0.1", "", "2001:db8::1234:5678");
		snprintf(b, len, "%s %u from %s%s to %s%s", "TCP", 65535u,
		         "the server ", "10.0.0.1", "", "2001:db8::1234:5678");
		assert_memory_equal(a, b, sizeof a);
		memset(a, 'x', sizeof a);
		memset(b, 'x', sizeof b);
		cls_fmt(a, len, "%llu packets, %lu%% and %.5s|%u|%s.",
		        18446744073709551615ull, 0ul, "truncated", 0u, "");
		snprintf(b, len, "%llu packets, %lu%% and %.5s|%u|%s.",
		         18446744073709551615ull, 0ul, "truncated", 0u, "");
		assert_memory_equal(a, b, sizeof a);
		memset(a, 'x', sizeof a);
		memset(b, 'x', sizeof b);
		cls_fmt(a, len, "no conversion at all, only a literal run");
		snprintf(b, len, "no conversion at all, only a literal run");
		assert_memory_equal(a, b, sizeof a);
	}
	cls_fmt(a, sizeof a, "%.3s%s", "ab", "cd");
	assert_string_equal(a, "abcd");
	cls_fmt(a, sizeof a, "stop %d here", 5);
	assert_string_equal(a, "stop ");
	cls_fmt(a, 0, "untouched");
	assert_string_equal(a, "stop ");
}

/* Many peers on one port of a server fold into one flood finding, as
 * many ports of one peer fold into a scan: a SYN flood from random
 * sources is one finding per targeted port, its distinct peers counted
 * (repeats once), its flows all kept. */
static void test_flood_folds(void **state)
{
	(void)state;
	struct env *e = env_new(false, 0);
	uint64_t t = 1;
	for (unsigned round = 0; round < 2; round++)
		for (unsigned i = 0; i < 3000; i++) {
			char peer[32];
			snprintf(peer, sizeof peer, "10.%u.%u.%u", 100 + i / 65536,
			         i / 256 % 256, i % 256 + (round ? 0 : 0));
			struct cap_flow f = mk(6, peer, (uint16_t)(1024 + round),
			                       "10.0.0.1", 80, CAP_OUT_UNANSWERED,
			                       t += 10);
			cls_flow(&f, e->cls);
			/* and the base port, blocked */
			f = mk(6, peer, (uint16_t)(2048 + round), "10.0.0.1", 1960,
			       CAP_OUT_UNANSWERED, t += 10);
			cls_flow(&f, e->cls);
		}
	finish(e);
	const struct cls_result *r = &e->cls->res;
	assert_int_equal(r->nfindings, 2);
	for (uint32_t i = 0; i < 2; i++) {
		const struct cls_finding *fd = &r->findings[i];
		assert_false(fd->has_peer);
		assert_int_equal(fd->npeers, 3000);
		assert_int_equal(fd->flows, 6000);
		assert_int_equal(fd->nflow_ids, CLS_FLOW_IDS);
		assert_non_null(strstr(fd->reason, "3000 peers sent TCP to port"));
	}
	assert_int_equal(r->findings[0].kind, CLS_K_BLOCKED);
	assert_int_equal(r->findings[0].port, 1960);
	assert_int_equal(r->findings[1].kind, CLS_K_UNEXPECTED);
	assert_int_equal(r->findings[1].port, 80);
	assert_int_equal(r->summary.findings_dropped, 0);
	env_free(e);

	/* 16 peers stay 16 findings; the 17th folds them. */
	e = env_new(false, 0);
	for (unsigned i = 0; i < 16; i++) {
		char peer[32];
		snprintf(peer, sizeof peer, "10.8.0.%u", i + 1);
		struct cap_flow f = mk(6, peer, 1, "10.0.0.1", 80,
		                       CAP_OUT_REJECTED, t += 10);
		cls_flow(&f, e->cls);
	}
	assert_int_equal(e->cls->nlive, 16);
	struct cap_flow f = mk(6, "10.8.0.99", 1, "10.0.0.1", 80,
	                       CAP_OUT_REJECTED, t += 10);
	cls_flow(&f, e->cls);
	assert_int_equal(e->cls->nlive, 1);
	finish(e);
	assert_int_equal(e->cls->res.nfindings, 1);
	assert_int_equal(e->cls->res.findings[0].npeers, 17);
	env_free(e);
}

/* A peer that scans and floods: its scan keeps its flows; the flood of
 * the other peers on one port keeps theirs; every flow counted once. */
static void test_flood_and_scan(void **state)
{
	(void)state;
	struct env *e = env_new(false, 0);
	uint64_t t = 1;
	for (unsigned p = 0; p < 40; p++) { /* one scanner, 40 ports */
		struct cap_flow f = mk(6, "198.51.100.7", 1, "10.0.0.1",
		                       (uint16_t)(7000 + p), CAP_OUT_REJECTED,
		                       t += 10);
		cls_flow(&f, e->cls);
	}
	for (unsigned i = 0; i < 40; i++) { /* 40 peers on port 7000 */
		char peer[32];
		snprintf(peer, sizeof peer, "10.7.0.%u", i + 1);
		struct cap_flow f = mk(6, peer, 1, "10.0.0.1", 7000,
		                       CAP_OUT_REJECTED, t += 10);
		cls_flow(&f, e->cls);
	}
	finish(e);
	const struct cls_result *r = &e->cls->res;
	uint64_t flows = 0;
	unsigned scans = 0, floods = 0;
	for (uint32_t i = 0; i < r->nfindings; i++) {
		flows += r->findings[i].flows;
		scans += r->findings[i].nports > 1;
		floods += r->findings[i].npeers > 1;
	}
	assert_int_equal(flows, 80);
	assert_int_equal(scans, 1);
	assert_int_equal(floods, 1);
	env_free(e);
}

/* A flood finding evicted at the cap stays dropped: its later flows make
 * no new finding, the drop is counted once. */
static void test_flood_evicted(void **state)
{
	(void)state;
	struct env *e = env_new(false, 3);
	uint64_t t = 1;
	for (unsigned i = 0; i < 20; i++) { /* a flood: one finding */
		char peer[32];
		snprintf(peer, sizeof peer, "10.6.0.%u", i + 1);
		struct cap_flow f = mk(6, peer, 1, "10.0.0.1", 8080,
		                       CAP_OUT_REJECTED, t += 10);
		cls_flow(&f, e->cls);
	}
	for (unsigned i = 0; i < 3; i++) { /* three violations fill the cap */
		char peer[32];
		snprintf(peer, sizeof peer, "10.5.0.%u", i + 1);
		struct cap_flow f = mk(6, peer, 1, "10.0.0.1", 1963,
		                       CAP_OUT_CLOSED, t += 10);
		cls_flow(&f, e->cls);
	}
	for (unsigned i = 20; i < 60; i++) { /* more of the flood */
		char peer[32];
		snprintf(peer, sizeof peer, "10.6.0.%u", i + 1);
		struct cap_flow f = mk(6, peer, 1, "10.0.0.1", 8080,
		                       CAP_OUT_REJECTED, t += 10);
		cls_flow(&f, e->cls);
	}
	finish(e);
	const struct cls_result *r = &e->cls->res;
	assert_int_equal(r->nfindings, 3);
	assert_int_equal(r->summary.kinds_dropped[CLS_K_UNEXPECTED], 1);
	assert_int_equal(r->summary.findings_dropped, 1);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_without_sink),
		cmocka_unit_test(test_reasons_name_own_flow),
		cmocka_unit_test(test_interleaved_scans),
		cmocka_unit_test(test_scan_with_full_table),
		cmocka_unit_test(test_flood_folds),
		cmocka_unit_test(test_flood_and_scan),
		cmocka_unit_test(test_flood_evicted),
		cmocka_unit_test(test_fmt_like_snprintf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
