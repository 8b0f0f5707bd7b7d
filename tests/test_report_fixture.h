/*
 * test_report_fixture.h -- a hand-made classification result for the
 * report writers' unit tests (included by tests/test_report*.c only).
 *
 * The model is the built-in catalog applied without a profile; the result
 * is filled by hand so that every field a writer prints has a known value:
 * one server, four services with flows (one seen only in violation), a
 * service group of the SNMP rows, four findings (a violation, a
 * blocked flow with an ICMP error, a port scan range, a missing service
 * without a server) and a reason full of CSV and HTML special characters.
 * Also: a tiny JSON Schema checker (type, required, properties, items,
 * enum, $ref, anyOf, minimum, maximum, additionalProperties), enough for
 * docs/report.schema.json.
 */
#ifndef PORTAUDIT_TEST_REPORT_FIXTURE_H
#define PORTAUDIT_TEST_REPORT_FIXTURE_H

#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../reports/rep_int.h"

#define FX_FN static __attribute__((unused))
#define FX_T0 1767607200000000000ull /* 2026-01-05T10:00:00Z */

struct fx {
	struct catalog cat;
	struct cat_model model;
	struct cap_stats st;
	struct cap_options co;
	struct cls_result res;
	struct rep_input in;
	struct cls_finding f[4];
	struct cap_flow flow;
	struct cls_flow cf;
};

FX_FN int32_t fx_service(const struct catalog *cat, uint32_t skip)
{
	/* The skip-th enabled TCP service. */
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (cat->services[i].proto == CAT_PROTO_TCP &&
		    cat->services[i].enabled && skip-- == 0)
			return (int32_t)i;
	return -1;
}

FX_FN void fx_addr(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

FX_FN struct fx *fx_new(void)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	struct cat_error err;
	if (cat_load_file(&x->cat, NULL, &err) != 0)
		fail_msg("built-in catalog: %s", err.msg);
	if (cat_apply(&x->model, &x->cat, NULL, 0, &err) != 0)
		fail_msg("apply: %s", err.msg);

	x->co.sources[0] = "pcaps/demo.pcap";
	x->co.sources[1] = "missing.pcap";
	x->co.nsources = 2;
	x->st.packets = 1234;
	x->st.bytes = 567890;
	x->st.ip_packets = 1200;
	x->st.first_ns = FX_T0;
	x->st.last_ns = FX_T0 + 9500000000ull;
	x->st.anomalies[CAP_AN_NON_IP] = 34;
	x->st.flows = 40;
	x->st.timed_out = 2;
	x->st.max_flows = 1u << 20;
	x->st.peak_flows = 12;
	x->st.linktypes[0] = 1;
	x->st.nsources = 1;
	snprintf(x->st.skipped[1], sizeof x->st.skipped[1],
	         "cannot open: No such file or directory");

	struct cls_result *r = &x->res;
	assert_non_null(cls_server_add(r));
	r->servers[0].family = 4;
	fx_addr(r->servers[0].addr, "10.0.0.5");
	r->servers[0].len = 32;
	r->servers[0].inferred = true;
	snprintf(r->servers[0].how, sizeof r->servers[0].how,
	         "accepts base port 1960");
	snprintf(r->servers_how, sizeof r->servers_how,
	         "inferred: hosts that accept the base port");
	r->services = calloc(x->cat.nservices, sizeof *r->services);
	assert_non_null(r->services);
	for (uint32_t i = 0; i < x->cat.nservices; i++)
		r->services[i].status = x->cat.services[i].enabled
		                        ? CLS_S_NOT_SEEN : CLS_S_DISABLED;
	int32_t s0 = fx_service(&x->cat, 0), s1 = fx_service(&x->cat, 1),
	        s2 = fx_service(&x->cat, 2);
	assert_true(s0 >= 0 && s1 >= 0 && s2 >= 0);
	r->services[s0] = (struct cls_service_stat){
		.status = CLS_S_OBSERVED, .flows = 7, .bytes = 12345,
		.ok_flows = 7, .req_seen = 1,
		.by[CLS_V_EXPECTED] = { 6, 11445 },
		.by[CLS_V_VIOLATION] = { 1, 900 },
	};
	r->services[s1] = (struct cls_service_stat){
		.status = CLS_S_BLOCKED, .flows = 2, .bytes = 180,
		.by[CLS_V_BLOCKED] = { 2, 180 },
	};
	r->services[s2] = (struct cls_service_stat){
		.status = CLS_S_MISSING,
		.caveat = "seen only if <the> filter lets it & through",
	};
	/* A service seen only in violation of its rule. */
	int32_t s3 = fx_service(&x->cat, 3);
	assert_true(s3 >= 0);
	r->services[s3] = (struct cls_service_stat){
		.status = CLS_S_VIOLATED, .flows = 1, .bytes = 60,
		.by[CLS_V_VIOLATION] = { 1, 60 },
	};
	/* A group: the SNMP rows of every product, one flow, once. */
	static uint16_t members[64];
	uint32_t nm = 0;
	for (uint32_t i = 0; i < x->cat.nservices && nm < 64; i++)
		if (x->cat.services[i].proto == CAT_PROTO_UDP &&
		    cat_service_has_port(&x->cat.services[i], 161, false) &&
		    x->cat.services[i].dir == CAT_DIR_OUTBOUND)
			members[nm++] = (uint16_t)i;
	assert_true(nm > 2);
	static struct cls_group grp;
	memset(&grp, 0, sizeof grp);
	snprintf(grp.id, sizeof grp.id, "shared-udp-161-outbound");
	snprintf(grp.name, sizeof grp.name, "SNMP queries from the "
	         "Monitoring Server (%u products)", nm);
	grp.members = members;
	grp.nmembers = nm;
	grp.proto = 17;
	grp.dir = CAT_DIR_OUTBOUND;
	snprintf(grp.ports, sizeof grp.ports, "161");
	grp.st = (struct cls_service_stat){
		.status = CLS_S_OBSERVED, .flows = 3, .bytes = 2916,
		.ok_flows = 3, .by[CLS_V_EXPECTED] = { 3, 2916 },
	};
	r->groups = &grp;
	r->ngroups = 1;
	for (uint32_t i = 0; i < nm; i++)
		r->services[members[i]].group = 1;
	r->servers[0].by[CLS_V_EXPECTED] = 55;
	r->servers[0].by[CLS_V_UNEXPECTED] = 50;
	r->servers[0].by[CLS_V_VIOLATION] = 1;
	r->servers[0].by[CLS_V_BLOCKED] = 2;
	r->servers[0].kinds[CLS_K_VIOLATION] = 1;
	r->servers[0].kinds[CLS_K_BLOCKED] = 1;
	r->servers[0].kinds[CLS_K_UNEXPECTED] = 1;

	struct cls_finding *f = x->f;
	f[0].kind = CLS_K_VIOLATION;
	f[0].service = s0;
	f[0].proto = 6;
	f[0].family = 4;
	f[0].port = 1961;
	f[0].port_hi = 1961;
	f[0].nports = 1;
	fx_addr(f[0].server, "10.0.0.5");
	fx_addr(f[0].peer, "10.0.0.6");
	f[0].has_peer = true;
	f[0].server_initiated = true;
	f[0].outcome = CAP_OUT_CLOSED;
	f[0].flows = 1;
	f[0].packets = 10;
	f[0].bytes = 900;
	f[0].first_ns = FX_T0 + 1000000000ull;
	f[0].last_ns = FX_T0 + 1200000000ull;
	snprintf(f[0].reason, sizeof f[0].reason,
	         "base+1 is local-only, \"never\" on the wire,\nyet seen <here> & there");

	f[1].kind = CLS_K_BLOCKED;
	f[1].service = s1;
	f[1].proto = 6;
	f[1].family = 4;
	f[1].port = 443;
	f[1].port_hi = 443;
	f[1].nports = 1;
	fx_addr(f[1].server, "10.0.0.5");
	fx_addr(f[1].peer, "10.0.3.9");
	f[1].has_peer = true;
	f[1].server_initiated = true;
	f[1].outcome = CAP_OUT_UNREACHABLE;
	f[1].icmp_type = 3;
	f[1].icmp_code = 13;
	f[1].has_icmp = true;
	f[1].flows = 2;
	f[1].packets = 4;
	f[1].bytes = 180;
	f[1].first_ns = FX_T0 + 2000000000ull;
	f[1].last_ns = FX_T0 + 3000000000ull;
	snprintf(f[1].reason, sizeof f[1].reason,
	         "an ICMP error (administratively prohibited) answered the attempt");

	f[2].kind = CLS_K_MISSING;
	f[2].service = s2;
	f[2].proto = 6;
	f[2].family = 4;
	f[2].port = 8443;
	f[2].port_hi = 8443;
	f[2].nports = 1;
	snprintf(f[2].reason, sizeof f[2].reason,
	         "a required service was not seen");

	f[3].kind = CLS_K_UNEXPECTED;
	f[3].service = -1;
	f[3].proto = 6;
	f[3].family = 4;
	f[3].port = 1000;
	f[3].port_hi = 2000;
	f[3].nports = 50;
	fx_addr(f[3].server, "10.0.0.5");
	fx_addr(f[3].peer, "10.0.1.99");
	f[3].has_peer = true;
	f[3].outcome = CAP_OUT_REJECTED;
	f[3].flows = 50;
	f[3].packets = 100;
	f[3].bytes = 6000;
	f[3].first_ns = FX_T0 + 5000000000ull;
	f[3].last_ns = FX_T0 + 9000000000ull;
	snprintf(f[3].reason, sizeof f[3].reason,
	         "a peer tried 50 ports of the server that no service uses: a scan");
	r->findings = f;
	r->nfindings = 4;
	r->summary = (struct cls_summary){
		.flows = 60, .other_flows = 3, .expected = 55, .unexpected = 50,
		.violation = 1, .blocked = 2, .missing = 1, .findings = 4,
		.fail_on = (1 << CLS_K_COUNT) - 1,
	};
	for (uint32_t i = 0; i < r->nfindings; i++)
		r->summary.kinds[f[i].kind]++;
	snprintf(r->caveats[0], sizeof r->caveats[0],
	         "the capture is 9 seconds long; periodic services may not show");
	r->ncaveats = 1;
	cls_decide(r, &x->st);

	x->in.model = &x->model;
	x->in.cap = &x->st;
	x->in.capopt = &x->co;
	x->in.res = r;
	x->in.command_line = "portaudit -r pcaps/demo.pcap --json x.json";

	/* One flow for the streaming writers. */
	struct cap_flow *fl = &x->flow;
	fl->family = 4;
	fl->proto = 6;
	fx_addr(fl->addr_a, "10.0.1.20");
	fx_addr(fl->addr_b, "10.0.0.5");
	fl->port_a = 51000;
	fl->port_b = 1960;
	fl->outcome = CAP_OUT_CLOSED;
	fl->pkts[0] = 6;
	fl->pkts[1] = 5;
	fl->bytes[0] = 600;
	fl->bytes[1] = 1500;
	fl->vlan = 100;
	fl->first_ns = FX_T0;
	fl->last_ns = FX_T0 + 4000000ull;
	x->cf.flow = fl;
	x->cf.outcome = fl->outcome;
	x->cf.flow_id = 7;
	x->cf.verdict = CLS_V_EXPECTED;
	x->cf.service = s0;
	x->cf.server = 0;
	x->cf.reason = "base port, \"client\" connection,\ninbound \\ \x01 ok";
	return x;
}

FX_FN void fx_free(struct fx *x)
{
	free(x->res.services);
	free(x->res.servers);
	cat_model_free(&x->model);
	cat_free(&x->cat);
	free(x);
}

/* Write one report with `w` into the test's temporary directory; returns
 * the file's contents (malloc'ed). Flows are streamed first (nflows of
 * them). */
FX_FN char *fx_write(struct fx *x, const struct rep_writer *w,
                      const char *name, unsigned nflows)
{
	char err[512];
	const char *path = pa_tmp(name);
	struct rep_out *o = rep_open(w, path, err, sizeof err);
	if (!o)
		fail_msg("rep_open: %s", err);
	assert_false(o->color);
	for (unsigned i = 0; i < nflows && w->flow; i++)
		w->flow(o, &x->in, &x->cf);
	assert_int_equal(w->report(o, &x->in), 0);
	if (rep_close(o, err, sizeof err) != 0)
		fail_msg("rep_close: %s", err);
	char *s = pa_read_file(path, NULL);
	assert_non_null(s);
	return s;
}

/* ---- the JSON Schema checker: the product's own (reports/schema.c) ----- */

FX_FN int sch_check(const json_t *root, const json_t *schema,
                     const json_t *v, char *where, size_t wlen)
{
	return rep_schema_check(root, schema, v, where, wlen);
}

/* Validate a report against docs/report.schema.json: with the C checker
 * always, and with python3's jsonschema too when it is installed. */
FX_FN void fx_validate(const char *report_path)
{
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	json_t *doc = pa_load_json(report_path);
	char where[512] = "report";
	if (sch_check(schema, schema, doc, where, sizeof where) != 0)
		fail_msg("%s: schema: %s", report_path, where);
	json_decref(doc);
	json_decref(schema);

	struct pa_result r;
	const char *probe[] = { "/usr/bin/env", "python3", "-c", "import jsonschema", NULL };
	if (!pa_have("python3"))
		return;
	pa_exec(&r, NULL, probe);
	int have = r.status == 0;
	pa_result_free(&r);
	if (!have)
		return;
	const char *argv[] = { "/usr/bin/env", "python3", "-c",
		"import json,sys,jsonschema\n"
		"s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n"
		"jsonschema.Draft202012Validator.check_schema(s)\n"
		"jsonschema.Draft202012Validator(s).validate(d)\n",
		pa_src("docs/report.schema.json"), report_path, NULL };
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("jsonschema on %s: %s", report_path, r.err);
	pa_result_free(&r);
}

#endif
