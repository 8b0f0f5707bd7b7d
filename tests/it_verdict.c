/*
 * it_verdict.c -- the verdict an auditor signs, and outputs that do not
 * collide, through the real binary.
 *
 * A verdict never claims more than was checked: NOT AUDITED (exit 3) when
 * no packet was read or no flow of a server was judged, with why; caveats
 * named under the verdict; --fail-on kinds said in the banner; at
 * --max-findings the least severe give way and the verdict still counts
 * them; the JSON summary, the terminal line, the HTML banner and the exit
 * status always agree. Outputs: a report on standard output keeps it clean
 * (the summary goes to standard error); two outputs to one file or to
 * standard output are refused; -Z is checked before the capture; JSON
 * lines are a stream under their final name, each flow with a flow_id that
 * findings refer to; -F FILE reads the filter as tcpdump does.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The text with every run of blanks and line breaks made one space: the
 * terminal summary wraps long lines at its width. Static rotating. */
static const char *flat(const char *t)
{
	static char buf[4][65536];
	static unsigned k;
	char *b = buf[k++ & 3];
	size_t n = 0;
	bool blank = false;
	for (; *t && n + 2 < sizeof buf[0]; t++) {
		if (*t == ' ' || *t == '\n' || *t == '\t') {
			blank = true;
			continue;
		}
		if (blank && n)
			b[n++] = ' ';
		blank = false;
		b[n++] = *t;
	}
	b[n] = '\0';
	return b;
}

static const json_t *summary(const json_t *rep)
{
	return json_object_get(rep, "summary");
}

static const char *verdict(const json_t *rep)
{
	return json_string_value(json_object_get(summary(rep), "verdict"));
}

/* Run an audit writing JSON and HTML next to the terminal summary; the
 * report is returned, r keeps the output. */
static json_t *audit(struct pa_result *r, const char *const *args)
{
	const char *argv[32];
	unsigned n = 0;
	argv[n++] = "--json";
	argv[n++] = pa_tmp("v.json");
	argv[n++] = "--html";
	argv[n++] = pa_tmp("v.html");
	for (unsigned i = 0; args[i] && n < 30; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	unlink(pa_tmp("v.json"));
	pa_run(r, NULL, argv);
	return pa_load_json(pa_tmp("v.json"));
}

/* The verdict, four ways: JSON summary, exit status, terminal line, HTML
 * banner. They must agree. */
static void check_agree(const struct pa_result *r, const json_t *rep)
{
	const char *v = verdict(rep);
	assert_non_null(v);
	bool compliant = json_is_true(json_object_get(summary(rep),
	                                              "compliant"));
	char *html = pa_read_file(pa_tmp("v.html"), NULL);
	assert_non_null(html);
	if (strcmp(v, "compliant") == 0) {
		assert_true(compliant);
		assert_int_equal(r->status, 0);
		assert_true(strstr(r->out, "\nCOMPLIANT") != NULL);
		assert_null(strstr(r->out, "NOT COMPLIANT"));
		assert_true(strstr(html, "banner ok") != NULL);
	} else if (strcmp(v, "not-compliant") == 0) {
		assert_false(compliant);
		assert_int_equal(r->status, 1);
		assert_true(strstr(r->out, "\nNOT COMPLIANT") != NULL);
		assert_true(strstr(html, "banner bad") != NULL);
	} else {
		assert_string_equal(v, "not-audited");
		assert_false(compliant);
		assert_int_equal(r->status, 3);
		assert_true(strstr(r->out, "\nNOT AUDITED: ") != NULL);
		assert_true(strstr(html, "banner na") != NULL);
		assert_null(strstr(html, "banner ok"));
		const char *why = json_string_value(json_object_get(
		                  summary(rep), "not_audited_reason"));
		assert_non_null(why);
		assert_true(strstr(flat(r->out), flat(why)) != NULL);
	}
	free(html);
}

static void not_audited(const char *const *args, const char *why_part)
{
	struct pa_result r;
	json_t *rep = audit(&r, args);
	assert_string_equal(verdict(rep), "not-audited");
	const char *why = json_string_value(json_object_get(summary(rep),
	                                    "not_audited_reason"));
	if (!why || !strstr(why, why_part))
		fail_msg("why \"%s\" lacks \"%s\"", why ? why : "(null)",
		         why_part);
	check_agree(&r, rep);
	/* Nothing was checked: no missing finding is claimed either. */
	assert_int_equal(json_integer_value(json_object_get(summary(rep),
	                 "missing")), 0);
	json_decref(rep);
	pa_result_free(&r);
}

static void test_not_audited(void **state)
{
	(void)state;
	char demo[1100];
	snprintf(demo, sizeof demo, "%s", pa_src("pcaps/demo.pcap"));
	/* A mistyped server: the capture never shows it. */
	const char *a1[] = { "-r", demo, "--server", "10.9.9.9", NULL };
	not_audited(a1, "10.9.9.9");
	/* No server given, none inferred. */
	const char *a2[] = { "-r", pa_src("pcaps/link_null.pcap"), NULL };
	not_audited(a2, "none was inferred");
	/* A file cut inside its first record. */
	size_t len;
	char *d = pa_read_file(demo, &len);
	assert_non_null(d);
	FILE *fp = fopen(pa_tmp("cut.pcap"), "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(d, 1, 30, fp), 30);
	fclose(fp);
	const char *a3[] = { "-r", pa_tmp("cut.pcap"), NULL };
	not_audited(a3, "No packet was read");
	/* A first record that claims 300000 bytes: nothing after it read. */
	d[24 + 8] = (char)0xe0;
	d[24 + 9] = (char)0x93;
	d[24 + 10] = 0x04;
	d[24 + 11] = 0;
	fp = fopen(pa_tmp("huge.pcap"), "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(d, 1, len, fp), len);
	fclose(fp);
	free(d);
	const char *a4[] = { "-r", pa_tmp("huge.pcap"), "--server", "10.0.0.5",
	                     NULL };
	not_audited(a4, "No packet was read");
	/* A profile whose required services never appear, for a server that
	 * never appears: not audited, not a page of "missing". */
	pa_write_file(pa_tmp("p.yaml"), "servers:\n  - name: mon\n    "
	              "addresses: [10.9.9.9]\nrequire:\n  services: "
	              "[cucm-snmp, base-router]\n");
	const char *a5[] = { "-r", demo, "--profile", pa_tmp("p.yaml"), NULL };
	not_audited(a5, "the profile");
}

/* A caveat that makes the result doubtful keeps the verdict, says "with
 * caveats", and lists the caveats first under it. */
static void test_with_caveats(void **state)
{
	(void)state;
	struct pa_result r;
	const char *a[] = { "-r", pa_src("pcaps/demo.pcap"), "--server",
	                    "10.0.0.5", "tcp", NULL };
	json_t *rep = audit(&r, a);
	assert_string_equal(verdict(rep), "not-compliant");
	assert_true(json_is_true(json_object_get(summary(rep), "with_caveats")));
	check_agree(&r, rep);
	const char *line = strstr(flat(r.out), "NOT COMPLIANT with caveats: ");
	assert_non_null(line);
	const char *cav = strstr(line, "The capture filter 'tcp'");
	assert_non_null(cav);
	/* Listed before what was judged. */
	assert_true(cav < strstr(line, "flows judged"));
	char *html = pa_read_file(pa_tmp("v.html"), NULL);
	assert_non_null(html);
	const char *b = strstr(html, "NOT COMPLIANT with caveats");
	assert_non_null(b);
	assert_true(strstr(b, "The capture filter") != NULL);
	free(html);
	json_decref(rep);
	pa_result_free(&r);
}

/* --fail-on: the banner says which kinds fail the run and which were only
 * reported; exit status and JSON agree. */
static void test_fail_on_banner(void **state)
{
	(void)state;
	struct pa_result r;
	const char *a[] = { "-r", pa_src("pcaps/demo.pcap"), "--fail-on",
	                    "missing", NULL };
	json_t *rep = audit(&r, a);
	assert_string_equal(verdict(rep), "compliant");
	check_agree(&r, rep);
	assert_true(pa_contains(flat(r.out), "COMPLIANT (--fail-on missing: none "
	                               "found)"));
	assert_true(pa_contains(flat(r.out), "Reported only, not failing the run "
	                               "(--fail-on missing): 3 violations, 3 "
	                               "blocked, 1 unexpected."));
	const json_t *fo = json_object_get(summary(rep), "fail_on");
	assert_int_equal(json_array_size(fo), 1);
	assert_string_equal(json_string_value(json_array_get(fo, 0)), "missing");
	json_decref(rep);
	pa_result_free(&r);

	const char *b[] = { "-r", pa_src("pcaps/demo.pcap"), "--fail-on",
	                    "blocked,violation", NULL };
	rep = audit(&r, b);
	assert_string_equal(verdict(rep), "not-compliant");
	check_agree(&r, rep);
	assert_true(pa_contains(flat(r.out), "NOT COMPLIANT: 3 violations, 3 "
	                               "blocked Reported only"));
	assert_true(pa_contains(flat(r.out), "(--fail-on violation,blocked): 1 "
	                               "unexpected."));
	assert_int_equal(json_integer_value(json_object_get(summary(rep),
	                 "failing")), 6);
	json_decref(rep);
	pa_result_free(&r);
}

/* --max-findings 1 keeps the worst finding, and the verdict still counts
 * every kind. */
static void test_max_findings_worst(void **state)
{
	(void)state;
	struct pa_result r;
	const char *a[] = { "-r", pa_src("pcaps/demo.pcap"), "--max-findings",
	                    "1", NULL };
	json_t *rep = audit(&r, a);
	const json_t *fs = json_object_get(rep, "findings");
	assert_int_equal(json_array_size(fs), 1);
	assert_string_equal(json_string_value(json_object_get(
	                    json_array_get(fs, 0), "kind")), "violation");
	const json_t *k = json_object_get(summary(rep), "kinds");
	assert_int_equal(json_integer_value(json_object_get(k, "violation")), 3);
	assert_int_equal(json_integer_value(json_object_get(k, "blocked")), 3);
	assert_int_equal(json_integer_value(json_object_get(k, "unexpected")),
	                 1);
	const json_t *kd = json_object_get(summary(rep), "kinds_dropped");
	assert_int_equal(json_integer_value(json_object_get(kd, "violation")),
	                 2);
	assert_int_equal(json_integer_value(json_object_get(kd, "unexpected")),
	                 1);
	assert_true(pa_contains(flat(r.out), "NOT COMPLIANT: 3 violations, 3 "
	                               "blocked, 1 unexpected "));
	assert_true(pa_contains(flat(r.out), "6 of the findings were counted but not "
	                               "kept (--max-findings), the least "
	                               "severe first."));
	check_agree(&r, rep);
	json_decref(rep);
	pa_result_free(&r);
}

/* SNMP without a reply is unanswered (blocked), not one-way. */
static void test_udp_unanswered(void **state)
{
	(void)state;
	struct pa_result r;
	const char *a[] = { "-r", pa_src("pcaps/cls_blocked.pcap"), "--server",
	                    "10.0.0.5", "--jsonl", pa_tmp("b.jsonl"), NULL };
	json_t *rep = audit(&r, a);
	size_t i;
	const json_t *f;
	bool seen = false;
	json_array_foreach(json_object_get(rep, "findings"), i, f)
		if (json_integer_value(json_object_get(f, "port")) == 161) {
			seen = true;
			assert_string_equal(json_string_value(json_object_get(f,
			                    "kind")), "blocked");
			assert_string_equal(json_string_value(json_object_get(f,
			                    "outcome")), "unanswered");
		}
	assert_true(seen);
	char *l = pa_read_file(pa_tmp("b.jsonl"), NULL);
	assert_non_null(l);
	assert_true(pa_contains(l, "\"dest_port\":161,"));
	const char *p = strstr(l, "\"dest_port\":161,");
	const char *eol = strchr(p, '\n');
	const char *o = strstr(p, "\"outcome\":\"unanswered\"");
	assert_true(o && o < eol);
	free(l);
	json_decref(rep);
	pa_result_free(&r);
}

/* The server's side alone (tshark keeps the demo capture's packets from
 * 10.0.0.5, as a SPAN port of one direction would): the attempts whose
 * SYN-ACK went uncaptured are not blocked, the caveats say the capture
 * sees one side; only what the server's own packets prove stays blocked
 * (SYNs never acknowledged, an ICMP prohibition to it). Before, 6 blocked
 * and no caveat. */
static void test_one_side(void **state)
{
	(void)state;
	if (!pa_have("tshark"))
		pa_skip("tshark is not installed (tests/install_tools.sh)");
	const char *one = pa_tmp("oneside.pcap");
	const char *argv[] = { "/bin/sh", "-c", "exec tshark \"$@\"", "tshark", "-r", pa_src("pcaps/demo.pcap"), "-F",
	                       "pcap", "-w", one, "-Y", "ip.src==10.0.0.5", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	const char *a[] = { "-r", one, "--server", "10.0.0.5", NULL };
	json_t *rep = audit(&r, a);
	check_agree(&r, rep);
	assert_true(json_is_true(json_object_get(summary(rep), "with_caveats")));
	assert_true(pa_has_caveat(rep, "4 TCP attempt(s) had their replies go "
	                               "uncaptured"));
	assert_true(pa_has_caveat(rep, "Every TCP flow has packets in one "
	                               "direction"));
	size_t i;
	const json_t *f;
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		           "blocked") != 0 ||
		    strcmp(json_string_value(json_object_get(f, "protocol")),
		           "tcp") != 0)
			continue;
		/* 636: 3 SYNs; 443: ICMP 3/13 */
		json_int_t port = json_integer_value(json_object_get(f, "port"));
		assert_true(port == 636 || port == 443);
	}
	json_decref(rep);
	pa_result_free(&r);

	/* The server's RST alone (refusing 5432, a tie of two rows): it
	 * proves nothing and credits nothing, and its flow event names the
	 * tie's group, as every flow of that port is named. */
	const char *rst = pa_tmp("rst.pcap");
	const char *argv2[] = { "/bin/sh", "-c", "exec tshark \"$@\"", "tshark",
	                        "-r", pa_src("pcaps/demo.pcap"), "-F", "pcap",
	                        "-w", rst, "-Y",
	                        "ip.src==10.0.0.5 && tcp.flags.reset==1", NULL };
	pa_exec(&r, NULL, argv2);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	const char *b[] = { "-r", rst, "--server", "10.0.0.5", "--jsonl",
	                    pa_tmp("rst.jsonl"), NULL };
	rep = audit(&r, b);
	char *l = pa_read_file(pa_tmp("rst.jsonl"), NULL);
	assert_non_null(l);
	assert_true(pa_contains(l, "\"service\":\"shared-tcp-5432-inbound\""));
	free(l);
	assert_int_equal(json_integer_value(json_object_get(summary(rep),
	                                                    "flows")), 1);
	json_decref(rep);
	pa_result_free(&r);
}

/* Every bundled capture: the four ways of saying the verdict agree. */
static void test_agree_everywhere(void **state)
{
	(void)state;
	static const char *const caps[] = {
		"demo", "cls_clean", "cls_blocked", "cls_missing", "cls_scan",
		"cls_ipv6", "link_null", "link_raw", "frag",
	};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		char p[200];
		snprintf(p, sizeof p, "pcaps/%s.pcap", caps[i]);
		struct pa_result r;
		const char *a[] = { "-r", pa_src(p), NULL };
		json_t *rep = audit(&r, a);
		check_agree(&r, rep);
		json_decref(rep);
		pa_result_free(&r);
	}
}

/* A report on standard output stays clean: the summary goes to standard
 * error. Two outputs to one file, or two to standard output: refused. */
static void test_outputs_collide(void **state)
{
	(void)state;
	const char *demo = pa_src("pcaps/demo.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", demo, "--json", "-", NULL);
	assert_int_equal(r.status, 1);
	json_error_t je;
	json_t *j = json_loads(r.out, 0, &je);
	if (!j)
		fail_msg("stdout is not JSON: %s", je.text);
	json_decref(j);
	assert_true(pa_contains(flat(r.err), "NOT COMPLIANT: "));
	pa_result_free(&r);

	pa_runl(&r, "-r", demo, "--json", "-", "--csv", "-", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--json and --csv both write to "
	                               "standard output"));
	assert_int_equal(r.outlen, 0);
	pa_result_free(&r);

	char dir[1100];
	snprintf(dir, sizeof dir, "%s", pa_tmpdir());
	char same[1200], other[1300];
	snprintf(same, sizeof same, "%s/same.out", dir);
	snprintf(other, sizeof other, "%s/../%s/same.out", dir,
	         strrchr(dir, '/') + 1);
	pa_runl(&r, "-q", "-r", demo, "--json", same, "--html", other, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--json and --html both write to"));
	assert_int_equal(access(same, F_OK), -1);
	pa_result_free(&r);
}

/* -Z: an output the user could not publish fails before the capture, and
 * leaves nothing behind. */
static void test_drop_user_checked_first(void **state)
{
	(void)state;
	if (geteuid() != 0)
		pa_skip("not root: -Z needs root");
	char dir[1100];
	snprintf(dir, sizeof dir, "%s/rootonly", pa_tmpdir());
	assert_int_equal(mkdir(dir, 0700), 0);
	char out[1200];
	snprintf(out, sizeof out, "%s/x.json", dir);
	struct pa_result r;
	/* A 30 s live capture: the error must come at once. */
	pa_runl(&r, "-i", "lo", "--duration", "30", "-Z", "nobody", "-q",
	        "--json", out, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "user 'nobody', who parses the packets "
	                               "(-Z), cannot write in"));
	pa_result_free(&r);
	char cmd[1300];
	snprintf(cmd, sizeof cmd, "%s", dir);
	const char *ls[] = { "/bin/ls", "-A", cmd, NULL };
	pa_exec(&r, NULL, ls);
	assert_string_equal(r.out, ""); /* no temporary file left */
	pa_result_free(&r);
}

/* JSON lines: flow events carry unique flow_ids, and every finding lists
 * flow_ids of flow events with its verdict. */
static void test_flow_ids_join(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "--jsonl",
	        pa_tmp("d.jsonl"), NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	char *s = pa_read_file(pa_tmp("d.jsonl"), NULL);
	assert_non_null(s);
	json_t *verdict_of = json_object();
	unsigned nflows = 0, nfind = 0;
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		assert_non_null(e);
		const char *t = json_string_value(json_object_get(e,
		                                  "event_type"));
		if (strcmp(t, "flow") == 0) {
			char id[32];
			snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
			         json_integer_value(json_object_get(e, "flow_id")));
			assert_null(json_object_get(verdict_of, id));
			json_object_set(verdict_of, id, json_object_get(e,
			                "verdict"));
			nflows++;
		} else {
			const json_t *ids = json_object_get(e, "flow_ids");
			assert_true(json_array_size(ids) >= 1);
			size_t i;
			const json_t *v;
			json_array_foreach(ids, i, v) {
				char id[32];
				snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
				         json_integer_value(v));
				const char *fv = json_string_value(
				        json_object_get(verdict_of, id));
				assert_non_null(fv);
				assert_string_equal(fv, json_string_value(
				        json_object_get(e, "kind")));
			}
			nfind++;
		}
		json_decref(e);
	}
	assert_int_equal(nflows, 16);
	assert_int_equal(nfind, 7);
	json_decref(verdict_of);
	free(s);
}

/* -F FILE: the filter from a file, comments dropped; with a command-line
 * filter too it is a usage error. */
static void test_filter_file(void **state)
{
	(void)state;
	pa_write_file(pa_tmp("f.bpf"), "# only TCP\ntcp\n  and not port 3389\n");
	struct pa_result r, q;
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "-F", pa_tmp("f.bpf"),
	        "--json", pa_tmp("f1.json"), NULL);
	pa_runl(&q, "-q", "-r", pa_src("pcaps/demo.pcap"), "--json",
	        pa_tmp("f2.json"), "tcp", "and", "not", "port", "3389", NULL);
	assert_int_equal(r.status, q.status);
	json_t *a = pa_load_json(pa_tmp("f1.json"));
	json_t *b = pa_load_json(pa_tmp("f2.json"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(a,
	                    "capture"), "filter")), "tcp and not port 3389");
	assert_true(json_equal(json_object_get(a, "findings"),
	                       json_object_get(b, "findings")));
	json_decref(a);
	json_decref(b);
	pa_result_free(&r);
	pa_result_free(&q);
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "-F", pa_tmp("f.bpf"),
	        "udp", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "not both"));
	pa_result_free(&r);
}

/* Every bad number is worded the same way. */
static void test_number_words(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "--base-port", "0" }, { "--base-port", "70000" },
		{ "-c", "-5" }, { "-c", "abc" }, { "--max-findings", "0" },
		{ "--max-flows", "8" }, { "-s", "1e3" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct pa_result r;
		pa_runl(&r, bad[i][0], bad[i][1], "-r",
		        pa_src("pcaps/demo.pcap"), NULL);
		assert_int_equal(r.status, 2);
		char want[200];
		snprintf(want, sizeof want, "portaudit: %s: '%s' is not a whole "
		         "number from ", bad[i][0], bad[i][1]);
		assert_true(pa_contains(r.err, want));
		pa_result_free(&r);
	}
}

/* diff says the three-way verdict and the groups whose status changed. */
static void test_diff_verdict(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pa_src("pcaps/cls_clean.pcap"), "--server",
	        "10.0.0.5", "--json", pa_tmp("old.json"), NULL);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	pa_runl(&r, "-q", "-r", pa_src("pcaps/cls_blocked.pcap"), "--server",
	        "10.0.0.5", "--json", pa_tmp("new.json"), NULL);
	pa_result_free(&r);
	pa_runl(&r, "diff", pa_tmp("old.json"), pa_tmp("new.json"), "--json",
	        pa_tmp("diff.json"), NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "verdict   compliant -> not-compliant"));
	assert_true(pa_contains(r.out, "shared-udp-161-outbound"));
	pa_result_free(&r);
	json_t *d = pa_load_json(pa_tmp("diff.json"));
	assert_string_equal(json_string_value(json_object_get(d, "new_verdict")),
	                    "not-compliant");
	json_decref(d);
	pa_runl(&r, "-q", "-r", pa_src("pcaps/cls_clean.pcap"), "--server",
	        "10.9.9.9", "--json", pa_tmp("na.json"), NULL);
	assert_int_equal(r.status, 3);
	pa_result_free(&r);
	pa_runl(&r, "diff", pa_tmp("old.json"), pa_tmp("na.json"), NULL);
	assert_true(pa_contains(r.out, "verdict   compliant -> not-audited"));
	pa_result_free(&r);
}

/* A missing finding of a listed prefix keeps its length everywhere, and a
 * host listed inside it is its member: one finding, not two. */
static void test_missing_prefix(void **state)
{
	(void)state;
	pa_write_file(pa_tmp("d.yaml"), "servers:\n  - name: mon\n    "
	              "addresses: [10.0.0.5]\nproducts:\n  - id: cisco-cucm\n"
	              "    devices: [10.1.0.0/28, 10.1.0.11]\nrequire:\n  "
	              "services: [cucm-snmp]\n");
	struct pa_result r;
	const char *a[] = { "-r", pa_src("pcaps/demo.pcap"), "--profile",
	                    pa_tmp("d.yaml"), "--csv", pa_tmp("d.csv"), NULL };
	json_t *rep = audit(&r, a);
	unsigned n = 0;
	size_t i;
	const json_t *f;
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		           "missing") != 0)
			continue;
		n++;
		assert_string_equal(json_string_value(json_object_get(f, "peer")),
		                    "10.1.0.0/28");
		assert_non_null(strstr(json_string_value(json_object_get(f,
		                "reason")), "(with the listed 10.1.0.11)"));
	}
	assert_int_equal(n, 1);
	assert_true(pa_contains(r.out, "10.1.0.0/28"));
	char *csv = pa_read_file(pa_tmp("d.csv"), NULL);
	assert_non_null(csv);
	assert_true(pa_contains(csv, ",10.1.0.0/28,"));
	free(csv);
	char *html = pa_read_file(pa_tmp("v.html"), NULL);
	assert_non_null(html);
	assert_true(pa_contains(html, "10.1.0.0/28"));
	free(html);
	check_agree(&r, rep);
	json_decref(rep);
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_audited),
		cmocka_unit_test(test_with_caveats),
		cmocka_unit_test(test_fail_on_banner),
		cmocka_unit_test(test_max_findings_worst),
		cmocka_unit_test(test_udp_unanswered),
		cmocka_unit_test(test_one_side),
		cmocka_unit_test(test_agree_everywhere),
		cmocka_unit_test(test_outputs_collide),
		cmocka_unit_test(test_drop_user_checked_first),
		cmocka_unit_test(test_flow_ids_join),
		cmocka_unit_test(test_filter_file),
		cmocka_unit_test(test_number_words),
		cmocka_unit_test(test_diff_verdict),
		cmocka_unit_test(test_missing_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
