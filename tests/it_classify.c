/*
 * it_classify.c -- classification through the real binary, on captures
 * generated from pcaps/cls_*.flows (make pcaps), checked in the JSON report:
 * summary counts, findings (kind, service, port, outcome, icmp, reason) and
 * service statuses.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXARGS 24

/* Run portaudit on pcaps/NAME.pcap with --json; extra args end with NULL.
 * Returns the report (caller decrefs) and the exit status in *status. */
static json_t *audit(const char *name, int *status, ...)
{
	const char *args[MAXARGS];
	char pcap[256], json[256];
	snprintf(pcap, sizeof pcap, "pcaps/%s.pcap", name);
	snprintf(json, sizeof json, "%s.json", name);
	char jpath[512];
	snprintf(jpath, sizeof jpath, "%s", pa_tmp(json));
	unsigned n = 0;
	args[n++] = "-q";
	args[n++] = "-r";
	args[n++] = pa_src(pcap);
	args[n++] = "--json";
	args[n++] = jpath;
	va_list ap;
	va_start(ap, status);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && n < MAXARGS - 1)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	struct pa_result r;
	pa_run(&r, NULL, args);
	if (r.status != 0 && r.status != 1)
		fail_msg("portaudit %s: status %d: %s", name, r.status, r.err);
	*status = r.status;
	pa_result_free(&r);
	return pa_load_json(jpath);
}

static json_int_t summary(const json_t *rep, const char *key)
{
	json_t *v = json_object_get(json_object_get(rep, "summary"), key);
	if (!json_is_integer(v))
		fail_msg("summary.%s is not an integer", key);
	return json_integer_value(v);
}

static const char *str(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *status_of(const json_t *rep, const char *id)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(rep, "services"), i, s)
		if (str(s, "id") && strcmp(str(s, "id"), id) == 0)
			return str(s, "status");
	fail_msg("no service %s in the report", id);
	return NULL;
}

static const json_t *service_of(const json_t *rep, const char *id)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(rep, "services"), i, s)
		if (str(s, "id") && strcmp(str(s, "id"), id) == 0)
			return s;
	fail_msg("no service %s in the report", id);
	return NULL;
}

static const json_t *group_of(const json_t *rep, const char *id)
{
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(rep, "groups"), i, g)
		if (str(g, "id") && strcmp(str(g, "id"), id) == 0)
			return g;
	fail_msg("no group %s in the report", id);
	return NULL;
}

/* The finding of that kind on that responder port (and peer, if given). */
static json_t *finding(const json_t *rep, const char *kind, int port,
                       const char *peer)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		if (strcmp(str(f, "kind"), kind) != 0)
			continue;
		if (port >= 0 &&
		    json_integer_value(json_object_get(f, "port")) != port)
			continue;
		if (peer && (!str(f, "peer") || strcmp(str(f, "peer"), peer) != 0))
			continue;
		return f;
	}
	fail_msg("no %s finding on port %d (peer %s)", kind, port,
	         peer ? peer : "any");
	return NULL;
}

static size_t nfindings(const json_t *rep)
{
	return json_array_size(json_object_get(rep, "findings"));
}

static void has_reason(const json_t *f, const char *text)
{
	const char *r = str(f, "reason");
	if (!r || !strstr(r, text))
		fail_msg("reason \"%s\" lacks \"%s\"", r ? r : "(null)", text);
}

static void test_clean(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_clean", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(st, 0);
	assert_true(json_is_true(json_object_get(json_object_get(rep, "summary"),
	                                         "compliant")));
	assert_int_equal(summary(rep, "flows"), 6);
	assert_int_equal(summary(rep, "expected"), 6);
	assert_int_equal(summary(rep, "findings"), 0);
	assert_string_equal(status_of(rep, "base-router"), "observed");
	assert_string_equal(status_of(rep, "common-smtp"), "observed");
	assert_string_equal(status_of(rep, "common-https"), "observed");
	/* UDP 161 fits the SNMP row of every product alike (no profile
	 * names the products): the poll is attributed once, to their group;
	 * no row claims it on its own. */
	const json_t *g = group_of(rep, "shared-udp-161-outbound");
	assert_string_equal(json_string_value(json_object_get(g, "status")),
	                    "observed");
	assert_int_equal(json_integer_value(json_object_get(g, "flows")), 1);
	assert_true(json_array_size(json_object_get(g, "members")) > 20);
	assert_string_equal(status_of(rep, "cucm-snmp"), "not-seen");
	assert_string_equal(json_string_value(json_object_get(
	                    service_of(rep, "cucm-snmp"), "service_group")),
	                    "shared-udp-161-outbound");
	assert_string_equal(status_of(rep, "common-ldaps"), "not-seen");
	/* Every flow is counted once, in a row or in a group. */
	uint64_t sum = 0;
	const json_t *v;
	size_t i;
	json_array_foreach(json_object_get(rep, "services"), i, v)
		sum += (uint64_t)json_integer_value(json_object_get(v, "flows"));
	json_array_foreach(json_object_get(rep, "groups"), i, v)
		sum += (uint64_t)json_integer_value(json_object_get(v, "flows"));
	assert_int_equal(sum, 6);
	json_decref(rep);
}

static void test_inferred_server(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_clean", &st, NULL);
	json_t *srv = json_object_get(rep, "servers");
	assert_int_equal(json_array_size(srv), 1);
	assert_string_equal(str(json_array_get(srv, 0), "address"), "10.0.0.5");
	assert_true(json_is_true(json_object_get(json_array_get(srv, 0),
	                                         "inferred")));
	assert_int_equal(summary(rep, "expected"), 6);
	json_decref(rep);
}

static void test_base_port(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_base", &st, "--server", "10.0.0.5",
	                    "--base-port", "5000", NULL);
	assert_int_equal(st, 1);
	assert_int_equal(summary(rep, "expected"), 1);
	json_t *f = finding(rep, "violation", 5003, NULL);
	assert_string_equal(str(f, "service"), "base-reserved-3");
	has_reason(f, "base+3 (5003)");
	f = finding(rep, "unexpected", 1960, NULL);
	assert_true(json_is_null(json_object_get(f, "service")));
	json_decref(rep);
}

static void test_local_only(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_local", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "violation"), 1);
	assert_int_equal(summary(rep, "expected"), 1);
	json_t *f = finding(rep, "violation", 1961, "10.0.0.9");
	assert_string_equal(str(f, "service"), "base-promgr");
	has_reason(f, "local-only and must never cross the wire");
	assert_int_equal(nfindings(rep), 1);
	json_decref(rep);
}

static void test_reserved(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_reserved", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "violation"), 2);
	json_t *f = finding(rep, "violation", 1963, NULL);
	assert_string_equal(str(f, "protocol"), "tcp");
	has_reason(f, "is reserved");
	f = finding(rep, "violation", 1965, NULL);
	assert_string_equal(str(f, "protocol"), "udp");
	assert_string_equal(str(f, "service"), "base-reserved-5");
	json_decref(rep);
}

static void test_direction(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_direction", &st, "--server", "10.0.0.5", NULL);
	json_t *f = finding(rep, "violation", 25, NULL);
	assert_string_equal(str(f, "service"), "common-smtp");
	assert_string_equal(str(f, "initiator"), "peer");
	has_reason(f, "outbound only");
	f = finding(rep, "violation", 1960, NULL);
	assert_string_equal(str(f, "initiator"), "server");
	has_reason(f, "inbound only");
	json_decref(rep);
}

static void test_blocked(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_blocked", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "blocked"), 6);
	json_t *f = finding(rep, "blocked", 1960, "10.0.1.20");
	assert_string_equal(str(f, "outcome"), "unanswered");
	has_reason(f, "3 SYN(s) got no reply");
	f = finding(rep, "blocked", 1960, "10.0.1.21");
	assert_string_equal(str(f, "outcome"), "rejected");
	has_reason(f, "answered with a RST");
	f = finding(rep, "blocked", 25, NULL);
	assert_string_equal(str(f, "outcome"), "unreachable");
	json_t *icmp = json_object_get(f, "icmp");
	assert_int_equal(json_integer_value(json_object_get(icmp, "type")), 3);
	assert_int_equal(json_integer_value(json_object_get(icmp, "code")), 13);
	has_reason(f, "administratively prohibited: a firewall");
	f = finding(rep, "blocked", 514, NULL);
	has_reason(f, "port unreachable: nothing listens on UDP 514");
	f = finding(rep, "blocked", 161, NULL);
	assert_string_equal(str(f, "initiator"), "server");
	has_reason(f, "got no reply from a request/response service");
	f = finding(rep, "blocked", 636, NULL);
	has_reason(f, "host unreachable");
	json_decref(rep);
}

static void test_radius(void **state)
{
	(void)state;
	char prof[512];
	snprintf(prof, sizeof prof, "%s", pa_tmp("radius.yaml"));
	pa_write_file(prof, "products: [cisco-cube]\n"
	                    "require:\n  services: [cube-radius]\n");
	int st;
	json_t *rep = audit("cls_radius", &st, "--server", "10.0.0.5",
	                    "--profile", prof, NULL);
	assert_int_equal(st, 0);
	assert_string_equal(status_of(rep, "cube-radius"), "observed");
	assert_int_equal(summary(rep, "missing"), 0);
	assert_int_equal(summary(rep, "expected"), 2);
	json_decref(rep);
}

static void test_wmi(void **state)
{
	(void)state;
	int st;
	char jl[512];
	snprintf(jl, sizeof jl, "%s", pa_tmp("wmi.jsonl"));
	json_t *rep = audit("cls_wmi", &st, "--server", "10.0.0.5", "--jsonl",
	                    jl, NULL);
	/* 135 twice, 49712 in the window, 55555 named by the endpoint
	 * mapper; 49713 without a 135 before it. */
	assert_int_equal(summary(rep, "expected"), 4);
	assert_int_equal(summary(rep, "unexpected"), 1);
	json_t *f = finding(rep, "unexpected", 49713, "10.10.0.32");
	assert_string_equal(str(f, "initiator"), "server");
	assert_int_equal(nfindings(rep), 1);
	json_decref(rep);
	/* Every flow once in the JSON lines, with its verdict and reason. */
	char *text = pa_read_file(jl, NULL);
	assert_non_null(text);
	unsigned flows = 0;
	bool window = false, epm = false;
	for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		json_error_t err;
		json_t *ev = json_loads(p, 0, &err);
		assert_non_null(ev);
		if (strcmp(str(ev, "event_type"), "flow") == 0) {
			flows++;
			json_int_t port = json_integer_value(
				json_object_get(ev, "dest_port"));
			if (port == 49712) {
				assert_string_equal(str(ev, "verdict"), "expected");
				window = strstr(str(ev, "reason"), "dynamic port of") != NULL;
			}
			if (port == 55555) {
				assert_string_equal(str(ev, "verdict"), "expected");
				epm = strstr(str(ev, "reason"), "endpoint mapper") != NULL;
			}
		}
		json_decref(ev);
	}
	free(text);
	assert_int_equal(flows, 5);
	assert_true(window);
	assert_true(epm);
}

static void test_cdr(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_cdr", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "expected"), 2);
	assert_string_equal(status_of(rep, "cm-cdr"), "observed");
	json_t *f = finding(rep, "unexpected", 50003, NULL);
	has_reason(f, "no catalog service uses TCP 50003 inbound");
	json_decref(rep);
}

static void test_autodiscovery(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_autodisc", &st, "--server", "10.0.0.5",
	                    "--server", "10.0.0.6", "--server", "2001:db8::5",
	                    NULL);
	assert_int_equal(st, 0);
	assert_int_equal(summary(rep, "expected"), 3);
	assert_string_equal(status_of(rep, "base-autodiscovery"), "observed");
	json_decref(rep);
	char prof[512];
	snprintf(prof, sizeof prof, "%s", pa_tmp("noad.yaml"));
	pa_write_file(prof, "features:\n  auto-discovery: false\n");
	rep = audit("cls_autodisc", &st, "--server", "10.0.0.5", "--server",
	            "10.0.0.6", "--server", "2001:db8::5", "--profile", prof,
	            NULL);
	assert_int_equal(st, 1);
	assert_int_equal(summary(rep, "violation"), 3);
	assert_string_equal(status_of(rep, "base-autodiscovery"), "disabled");
	json_t *f = finding(rep, "violation", 1962, "224.0.1.40");
	has_reason(f, "auto-discovery");
	json_decref(rep);
}

static const char devices_profile[] =
	"products:\n"
	"  - id: cisco-cucm\n"
	"    devices: [10.1.0.11, 10.1.0.12]\n"
	"require:\n"
	"  services: [base-router, cucm-snmp]\n";

static void test_devices(void **state)
{
	(void)state;
	char prof[512];
	snprintf(prof, sizeof prof, "%s", pa_tmp("devices.yaml"));
	pa_write_file(prof, devices_profile);
	int st;
	json_t *rep = audit("cls_devices", &st, "--server", "10.0.0.5",
	                    "--profile", prof, NULL);
	assert_int_equal(summary(rep, "expected"), 1);
	json_t *f = finding(rep, "unexpected", 161, "10.1.0.99");
	assert_string_equal(str(f, "service"), "cucm-snmp");
	has_reason(f, "10.1.0.99 is not one of them");
	f = finding(rep, "missing", 161, "10.1.0.12");
	assert_string_equal(str(f, "service"), "cucm-snmp");
	has_reason(f, "to 10.1.0.12 was never seen");
	assert_true(json_is_null(json_object_get(f, "outcome")));
	f = finding(rep, "missing", 1960, NULL);
	assert_string_equal(str(f, "service"), "base-router");
	assert_int_equal(summary(rep, "missing"), 2);
	assert_string_equal(status_of(rep, "base-router"), "missing");
	assert_string_equal(status_of(rep, "cucm-snmp"), "missing");
	assert_string_equal(status_of(rep, "cm-snmp"), "disabled");
	json_decref(rep);
}

static void test_missing_fail_on(void **state)
{
	(void)state;
	char prof[512];
	snprintf(prof, sizeof prof, "%s", pa_tmp("missing.yaml"));
	pa_write_file(prof, devices_profile);
	int st;
	json_t *rep = audit("cls_missing", &st, "--server", "10.0.0.5",
	                    "--profile", prof, NULL);
	assert_int_equal(st, 1);
	assert_int_equal(summary(rep, "missing"), 2);
	/* Worst first: violation, blocked, missing, unexpected. */
	assert_string_equal(str(json_array_get(json_object_get(rep, "findings"),
	                                       0), "kind"), "missing");
	json_decref(rep);
	rep = audit("cls_missing", &st, "--server", "10.0.0.5", "--profile", prof,
	            "--fail-on", "unexpected,violation", NULL);
	assert_int_equal(st, 0);
	json_decref(rep);
	/* A filter that keeps the server's traffic: missing stands. */
	rep = audit("cls_missing", &st, "--server", "10.0.0.5", "--profile", prof,
	            "host", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "missing"), 2);
	json_decref(rep);
	/* A filter that drops TCP: base-router is not-seen, with a caveat. */
	rep = audit("cls_missing", &st, "--server", "10.0.0.5", "--profile", prof,
	            "udp", NULL);
	assert_int_equal(summary(rep, "missing"), 1);
	assert_string_equal(status_of(rep, "base-router"), "not-seen");
	size_t i;
	json_t *sv, *caveat = NULL;
	json_array_foreach(json_object_get(rep, "services"), i, sv)
		if (strcmp(str(sv, "id"), "base-router") == 0)
			caveat = json_object_get(sv, "caveat");
	assert_true(json_is_string(caveat));
	assert_non_null(strstr(json_string_value(caveat),
	                       "The capture filter excludes TCP 1960"));
	json_decref(rep);
}

static void test_midstream(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_midstream", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(st, 0);
	assert_int_equal(summary(rep, "expected"), 2);
	json_decref(rep);
}

static void test_ipv6(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_ipv6", &st, "--server", "2001:db8::5", NULL);
	assert_int_equal(summary(rep, "expected"), 1);
	json_t *f = finding(rep, "unexpected", 2222, "2001:db8:1::20");
	assert_string_equal(str(f, "server"), "2001:db8::5");
	has_reason(f, "from 2001:db8:1::20 to the server 2001:db8::5");
	json_decref(rep);
}

static void test_vlan(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_vlan", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "expected"), 1);
	finding(rep, "unexpected", 8000, "10.0.1.20");
	json_decref(rep);
}

static void test_fragments(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_frag", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(summary(rep, "expected"), 1);
	json_t *f = finding(rep, "unexpected", 7777, NULL);
	assert_string_equal(str(f, "protocol"), "udp");
	json_decref(rep);
}

static void test_scan(void **state)
{
	(void)state;
	int st;
	json_t *rep = audit("cls_scan", &st, "--server", "10.0.0.5", NULL);
	assert_int_equal(st, 1);
	assert_true(summary(rep, "flows") == 1050);
	assert_true(nfindings(rep) <= 16);
	size_t i;
	json_t *f, *scan = NULL;
	json_array_foreach(json_object_get(rep, "findings"), i, f)
		if (json_integer_value(json_object_get(f, "nports")) > 1)
			scan = f;
	assert_non_null(scan);
	assert_string_equal(str(scan, "kind"), "unexpected");
	assert_string_equal(str(scan, "ports"), "1950-2999");
	assert_true(json_integer_value(json_object_get(scan, "nports")) > 1000);
	has_reason(scan, "port scan");
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_inferred_server),
		cmocka_unit_test(test_base_port),
		cmocka_unit_test(test_local_only),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_blocked),
		cmocka_unit_test(test_radius),
		cmocka_unit_test(test_wmi),
		cmocka_unit_test(test_cdr),
		cmocka_unit_test(test_autodiscovery),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_missing_fail_on),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
