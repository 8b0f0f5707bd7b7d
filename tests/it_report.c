/*
 * it_report.c -- the reports of the real binary on the bundled demo capture:
 * golden files (text without colour, JSON, CSV, JSON lines, flows CSV), the
 * JSON against docs/report.schema.json, merge of two halves of a capture
 * equal to the whole, diff exit codes, bad inputs and outputs. (The HTML
 * rendered by headless Chromium, on screen and in print, is it_html.c.)
 *
 * Golden files live in tests/golden/. Paths that depend on the machine (the
 * source and temporary directories) are replaced by $SRC and $TMP first.
 * After an intended change of the output, regenerate them with
 *   PA_UPDATE_GOLDEN=1 make test-rel
 * and review `git diff tests/golden/` before committing.
 */
#include "test_report_fixture.h"

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

/* Replace every occurrence of `from` by `to` (returns a new string). */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	char *out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
	assert_non_null(out);
	char *w = out;
	for (const char *p = s;;) {
		const char *q = strstr(p, from);
		if (!q) {
			memcpy(w, p, strlen(p) + 1);
			break;
		}
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		memcpy(w, to, tl);
		w += tl;
		p = q + fl;
	}
	return out;
}

static char *normalize(const char *s)
{
	char src[1100];
	snprintf(src, sizeof src, "%s", pa_src(""));
	const char *bin = getenv("PORTAUDIT");
	char *a = replace_all(s, bin && *bin ? bin : "\001", "portaudit");
	/* make valgrind: $PORTAUDIT is tests/valgrind.sh, and the command
	 * line the binary reports starts with the real binary's path. */
	const char *vg = getenv("VALGRIND_BINARY");
	if (vg && *vg) {
		char *v = replace_all(a, vg, "portaudit");
		free(a);
		a = v;
	}
	char *b = replace_all(a, pa_tmpdir(), "$TMP");
	char *c = replace_all(b, src, "$SRC/");
	free(a);
	free(b);
	return c;
}

/* The JSON golden keeps what the report decides, not the catalog's text:
 * catalog edits (its sha256, a purpose, a note) must not break it. Services
 * keep id, status and counters, and only those with something to say. */
static char *json_for_golden(const char *path)
{
	json_t *j = pa_load_json(path);
	json_object_set_new(json_object_get(j, "catalog"), "sha256",
	                    json_string("$SHA256"));
	json_t *keep = json_array();
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(j, "services"), i, s) {
		const char *st = json_string_value(json_object_get(s, "status"));
		if (json_integer_value(json_object_get(s, "flows")) == 0 &&
		    (strcmp(st, "not-seen") == 0 || strcmp(st, "disabled") == 0))
			continue;
		json_array_append_new(keep, json_pack("{s:O, s:O, s:O, s:O, s:O, "
		                      "s:O}", "id", json_object_get(s, "id"),
		                      "status", json_object_get(s, "status"),
		                      "flows", json_object_get(s, "flows"),
		                      "ok_flows", json_object_get(s, "ok_flows"),
		                      "bytes", json_object_get(s, "bytes"),
		                      "caveat", json_object_get(s, "caveat")));
	}
	json_object_set_new(j, "services", keep);
	char *d = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	char *n = normalize(d);
	free(d);
	size_t len = strlen(n);
	char *out = malloc(len + 2);
	memcpy(out, n, len);
	out[len] = '\n';
	out[len + 1] = 0;
	free(n);
	return out;
}

/* Compare `text` (already normalized) with tests/golden/NAME, or write it
 * there when PA_UPDATE_GOLDEN is set. */
static void golden(const char *name, const char *text)
{
	char rel[256];
	snprintf(rel, sizeof rel, "tests/golden/%s", name);
	const char *path = pa_src(rel);
	const char *upd = getenv("PA_UPDATE_GOLDEN");
	if (upd && *upd && strcmp(upd, "0") != 0) {
		mkdir(pa_src("tests/golden"), 0777);
		pa_write_file(path, text);
		printf("golden: updated %s\n", rel);
		return;
	}
	char *want = pa_read_file(path, NULL);
	if (!want)
		fail_msg("%s is missing: run with PA_UPDATE_GOLDEN=1 to create it",
		         rel);
	if (strcmp(want, text) != 0) {
		/* Show the first difference. */
		size_t i = 0, line = 1;
		while (want[i] && want[i] == text[i]) {
			if (want[i] == '\n')
				line++;
			i++;
		}
		size_t from = i > 60 ? i - 60 : 0;
		fail_msg("%s differs at line %zu:\n  golden: %.120s\n  now:    "
		         "%.120s\n(PA_UPDATE_GOLDEN=1 regenerates it after an "
		         "intended change)", rel, line, want + from, text + from);
	}
	free(want);
}

static char *golden_file(const char *tmpname)
{
	char *s = pa_read_file(pa_tmp(tmpname), NULL);
	assert_non_null(s);
	char *n = normalize(s);
	free(s);
	return n;
}

static void test_golden_demo(void **state)
{
	(void)state;
	struct pa_result r;
	char demo[1100];
	snprintf(demo, sizeof demo, "%s", pa_src("pcaps/demo.pcap"));
	pa_runl(&r, "-r", demo, "--json", pa_tmp("demo.json"), "--csv",
	        pa_tmp("demo.csv"), "--jsonl", pa_tmp("demo.jsonl"),
	        "--flows-csv", pa_tmp("demo-flows.csv"), NULL);
	if (r.status == 2)
		fail_msg("portaudit failed: %s", r.err);
	assert_int_equal(r.status, 1); /* the demo has findings */
	assert_null(strchr(r.out, '\033')); /* not a terminal: no colour */
	char *t = normalize(r.out);
	golden("demo.txt", t);
	free(t);
	pa_result_free(&r);
	static const char *const files[] = { "demo.csv", "demo.jsonl",
	                                     "demo-flows.csv" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *s = golden_file(files[i]);
		golden(files[i], s);
		free(s);
	}
	char *js = json_for_golden(pa_tmp("demo.json"));
	golden("demo.json", js);
	free(js);
	fx_validate(pa_tmp("demo.json"));

	/* Reproducible: a second run gives the same bytes. */
	pa_runl(&r, "-q", "-r", demo, "--json", pa_tmp("again.json"), NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, ""); /* -q: no summary */
	pa_result_free(&r);
	char *a = pa_read_file(pa_tmp("demo.json"), NULL);
	char *b = pa_read_file(pa_tmp("again.json"), NULL);
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	assert_non_null(ja);
	assert_non_null(jb);
	json_object_del(ja, "command_line");
	json_object_del(jb, "command_line");
	assert_true(json_equal(ja, jb));
	json_decref(ja);
	json_decref(jb);
	free(a);
	free(b);
}

/* The JSON lines hold one flow event per flow of the JSON report. */
static void test_jsonl_counts(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "--json",
	        pa_tmp("c.json"), "--jsonl", pa_tmp("c.jsonl"), NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	json_t *j = pa_load_json(pa_tmp("c.json"));
	json_t *sum = json_object_get(j, "summary");
	json_int_t flows = json_integer_value(json_object_get(
	                   json_object_get(j, "capture"), "flows"));
	json_int_t findings = json_integer_value(json_object_get(sum,
	                      "findings"));
	char *s = pa_read_file(pa_tmp("c.jsonl"), NULL);
	json_int_t nflow = 0, nfinding = 0;
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		assert_non_null(e);
		const char *type = json_string_value(json_object_get(e,
		                                     "event_type"));
		assert_non_null(type);
		if (strcmp(type, "flow") == 0)
			nflow++;
		else if (strcmp(type, "finding") == 0)
			nfinding++;
		else
			fail_msg("event_type %s", type);
		json_decref(e);
	}
	assert_int_equal(nflow, flows);
	assert_int_equal(nfinding, findings);
	free(s);
	json_decref(j);
}

/* A flow event names what its finding names: the service group its flow
 * was attributed to (shared-tcp-443-both), not one member row of it. */
static void test_jsonl_group_names(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "--jsonl", "-",
	        NULL);
	assert_int_equal(r.status, 1);
	const char *svc_of[64] = { NULL };
	json_t *ev[256];
	size_t nev = 0, checked = 0, grouped = 0;
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_true(nev < 256);
		json_t *e = ev[nev++] = json_loads(line, 0, NULL);
		assert_non_null(e);
		json_int_t id = json_integer_value(json_object_get(e, "flow_id"));
		if (id > 0 && id < 64)
			svc_of[id] = json_string_value(json_object_get(e, "service"));
	}
	for (size_t i = 0; i < nev; i++) {
		const char *type = json_string_value(json_object_get(ev[i],
		                                     "event_type"));
		const char *svc = json_string_value(json_object_get(ev[i],
		                                    "service"));
		if (strcmp(type, "finding") != 0 || !svc)
			continue;
		size_t k;
		json_t *id;
		json_array_foreach(json_object_get(ev[i], "flow_ids"), k, id) {
			json_int_t n = json_integer_value(id);
			assert_true(n > 0 && n < 64);
			assert_non_null(svc_of[n]);
			assert_string_equal(svc_of[n], svc);
			checked++;
			grouped += strncmp(svc, "shared-", 7) == 0;
		}
	}
	assert_true(checked >= 5);
	assert_true(grouped >= 3);
	for (size_t i = 0; i < nev; i++)
		json_decref(ev[i]);
	pa_result_free(&r);
}

/* Split a capture at its largest gap between packets in the middle third
 * (the demo generates each flow whole, so no flow straddles it). */
static void split_capture(const char *in, const char *a, const char *b)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(in, err);
	if (!p)
		fail_msg("%s: %s", in, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t *ts = NULL;
	size_t n = 0, cap = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			ts = realloc(ts, cap * sizeof *ts);
			assert_non_null(ts);
		}
		ts[n++] = (uint64_t)h->ts.tv_sec * 1000000u +
		          (uint64_t)h->ts.tv_usec;
	}
	pcap_close(p);
	assert_true(n > 10);
	size_t cut = n / 3;
	for (size_t i = n / 3; i < 2 * n / 3; i++)
		if (ts[i + 1] - ts[i] > ts[cut + 1] - ts[cut])
			cut = i;
	free(ts);
	p = pcap_open_offline(in, err);
	assert_non_null(p);
	pcap_dumper_t *da = pcap_dump_open(p, a), *db = pcap_dump_open(p, b);
	assert_non_null(da);
	assert_non_null(db);
	for (size_t i = 0; pcap_next_ex(p, &h, &d) == 1; i++)
		pcap_dump((u_char *)(i <= cut ? da : db), h, d);
	pcap_dump_close(da);
	pcap_dump_close(db);
	pcap_close(p);
}

static json_t *finding_set(json_t *rep)
{
	json_t *set = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		char key[400];
		snprintf(key, sizeof key, "%s|%s|%s|%lld|%s|%s|%s",
		         json_string_value(json_object_get(f, "kind")),
		         json_is_string(json_object_get(f, "service"))
		         ? json_string_value(json_object_get(f, "service")) : "-",
		         json_string_value(json_object_get(f, "protocol")),
		         (long long)json_integer_value(json_object_get(f, "port")),
		         json_is_string(json_object_get(f, "server"))
		         ? json_string_value(json_object_get(f, "server")) : "-",
		         json_is_string(json_object_get(f, "peer"))
		         ? json_string_value(json_object_get(f, "peer")) : "-",
		         json_string_value(json_object_get(f, "initiator")));
		json_t *v = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
		                      "flows", json_object_get(f, "flows"),
		                      "packets", json_object_get(f, "packets"),
		                      "bytes", json_object_get(f, "bytes"),
		                      "first_seen", json_object_get(f, "first_seen"),
		                      "last_seen", json_object_get(f, "last_seen"),
		                      "outcome", json_object_get(f, "outcome"),
		                      "reason", json_object_get(f, "reason"));
		assert_non_null(v);
		assert_null(json_object_get(set, key));
		json_object_set_new(set, key, v);
	}
	return set;
}

static void same_field(json_t *a, json_t *b, const char *obj, const char *k)
{
	json_t *x = json_object_get(json_object_get(a, obj), k);
	json_t *y = json_object_get(json_object_get(b, obj), k);
	if (!x || !json_equal(x, y)) {
		char *sx = x ? json_dumps(x, JSON_ENCODE_ANY) : NULL;
		char *sy = y ? json_dumps(y, JSON_ENCODE_ANY) : NULL;
		fail_msg("%s.%s: whole %s, merged %s", obj, k, sx ? sx : "(none)",
		         sy ? sy : "(none)");
	}
}

/* Run portaudit -q OPT1 OPT2 -r PCAP --json OUT. */
static void audit_json(const char *o1, const char *o2, const char *pcap,
                       const char *out)
{
	struct pa_result r;
	const char *args[] = { "-q", o1, o2, "-r", pcap, "--json", out, NULL };
	pa_run(&r, NULL, args);
	if (r.status != 0 && r.status != 1)
		fail_msg("portaudit -r %s: %s", pcap, r.err);
	pa_result_free(&r);
}

/* The capture's report equals the merge of its two halves' reports. */
static void check_merge(const char *pcap, const char *o1, const char *o2)
{
	char src[1100];
	snprintf(src, sizeof src, "%s", pa_src(pcap));
	split_capture(src, pa_tmp("h1.pcap"), pa_tmp("h2.pcap"));
	audit_json(o1, o2, src, pa_tmp("whole.json"));
	audit_json(o1, o2, pa_tmp("h1.pcap"), pa_tmp("h1.json"));
	audit_json(o1, o2, pa_tmp("h2.pcap"), pa_tmp("h2.json"));
	struct pa_result r;
	pa_runl(&r, "merge", pa_tmp("h1.json"), pa_tmp("h2.json"), "--json",
	        pa_tmp("merged.json"), "--html", pa_tmp("merged.html"), "--csv",
	        pa_tmp("merged.csv"), NULL);
	json_t *w = pa_load_json(pa_tmp("whole.json"));
	json_t *m = pa_load_json(pa_tmp("merged.json"));
	bool compliant = json_is_true(json_object_get(json_object_get(w,
	                              "summary"), "compliant"));
	assert_int_equal(r.status, compliant ? 0 : 1);
	assert_true(pa_contains(r.out, compliant ? "COMPLIANT"
	                                         : "NOT COMPLIANT"));
	pa_result_free(&r);
	fx_validate(pa_tmp("merged.json"));

	/* Both halves hold flows, or the test proves nothing. */
	json_t *h1 = pa_load_json(pa_tmp("h1.json"));
	json_t *h2 = pa_load_json(pa_tmp("h2.json"));
	assert_true(json_integer_value(json_object_get(json_object_get(h1,
	            "summary"), "flows")) > 0);
	assert_true(json_integer_value(json_object_get(json_object_get(h2,
	            "summary"), "flows")) > 0);
	assert_true(json_array_size(json_object_get(w, "findings")) > 0);
	json_decref(h1);
	json_decref(h2);

	static const char *const sum[] = { "compliant", "flows", "other_flows",
		"expected", "unexpected", "violation", "blocked", "missing",
		"findings", "findings_dropped" };
	for (size_t i = 0; i < sizeof sum / sizeof sum[0]; i++)
		same_field(w, m, "summary", sum[i]);
	static const char *const cap[] = { "packets", "bytes", "ip_packets",
		"flows", "start", "end", "truncated", "evicted", "anomalies" };
	for (size_t i = 0; i < sizeof cap / sizeof cap[0]; i++)
		same_field(w, m, "capture", cap[i]);
	assert_int_equal(json_array_size(json_object_get(json_object_get(m,
	                 "capture"), "sources")), 2);
	assert_int_equal(json_array_size(json_object_get(m, "merged_from")), 2);
	assert_true(json_equal(json_object_get(w, "servers"),
	                       json_object_get(m, "servers")));
	assert_true(json_equal(json_object_get(w, "profile"),
	                       json_object_get(m, "profile")));

	json_t *ws = json_object_get(w, "services");
	json_t *ms = json_object_get(m, "services");
	assert_int_equal(json_array_size(ws), json_array_size(ms));
	for (size_t i = 0; i < json_array_size(ws); i++) {
		json_t *a = json_array_get(ws, i), *b = json_array_get(ms, i);
		static const char *const k[] = { "id", "status", "flows", "bytes",
		                                 "ok_flows", "enabled", "required",
		                                 "ports" };
		for (size_t q = 0; q < sizeof k / sizeof k[0]; q++)
			if (!json_equal(json_object_get(a, k[q]),
			                json_object_get(b, k[q])))
				fail_msg("service %s: %s differs",
				         json_string_value(json_object_get(a, "id")),
				         k[q]);
	}
	json_t *fw = finding_set(w), *fm = finding_set(m);
	if (!json_equal(fw, fm)) {
		char *x = json_dumps(fw, JSON_INDENT(1)),
		     *y = json_dumps(fm, JSON_INDENT(1));
		fail_msg("findings differ:\nwhole %s\nmerged %s", x, y);
	}
	json_decref(fw);
	json_decref(fm);
	/* And in the same order (classify's worst first). */
	json_t *wf = json_object_get(w, "findings"), *mf = json_object_get(m,
	                                                                "findings");
	for (size_t i = 0; i < json_array_size(wf); i++) {
		json_t *a = json_array_get(wf, i), *b = json_array_get(mf, i);
		static const char *const k[] = { "kind", "port", "ports", "nports",
		                                 "peer" };
		for (size_t q = 0; q < sizeof k / sizeof k[0]; q++)
			if (!json_equal(json_object_get(a, k[q]),
			                json_object_get(b, k[q])) &&
			    (json_object_get(a, k[q]) || json_object_get(b, k[q])))
				fail_msg("finding %zu: %s differs", i, k[q]);
	}

	/* The merged HTML and CSV exist and are what the writers make. */
	char *html = pa_read_file(pa_tmp("merged.html"), NULL);
	assert_non_null(html);
	assert_true(pa_contains(html, "</html>"));
	free(html);
	char *csv = pa_read_file(pa_tmp("merged.csv"), NULL);
	assert_non_null(csv);
	assert_true(strncmp(csv, "kind,service,", 13) == 0);
	free(csv);

	/* One report merged alone is that report again (re-rendering). */
	pa_runl(&r, "merge", "-q", pa_tmp("whole.json"), "--json",
	        pa_tmp("self.json"), NULL);
	assert_int_equal(r.status, compliant ? 0 : 1);
	pa_result_free(&r);
	json_t *self = pa_load_json(pa_tmp("self.json"));
	static const char *const top[] = { "summary", "services", "findings",
	                                   "servers", "caveats", "catalog",
	                                   "profile", "base_port" };
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
		if (!json_equal(json_object_get(w, top[i]),
		                json_object_get(self, top[i])))
			fail_msg("merging one report changed its %s", top[i]);
	json_decref(self);
	json_decref(w);
	json_decref(m);
}

/* The demo, split between its expected traffic and its trouble. */
static void test_merge_halves(void **state)
{
	(void)state;
	check_merge("pcaps/demo.pcap", "--server", "10.0.0.5");
}

/* With a profile: a required service whose two ports are seen one in each
 * half (missing in each half, observed merged), one never seen (missing
 * everywhere), a port scan whose halves are single ports each (one scan
 * merged), a blocked flow in both halves. */
static void test_merge_profile_scan(void **state)
{
	(void)state;
	char prof[1100];
	snprintf(prof, sizeof prof, "%s", pa_tmp("site.yaml"));
	pa_write_file(prof, "site: merge test\n"
	              "servers:\n"
	              "  - name: mon\n"
	              "    addresses: [10.0.0.5]\n"
	              "require:\n"
	              "  services: [cube-radius, cucm-snmp]\n");
	check_merge("pcaps/rep_split.pcap", "--profile", prof);
	json_t *h1 = pa_load_json(pa_tmp("h1.json"));
	json_t *w = pa_load_json(pa_tmp("whole.json"));
	/* The halves differ from the whole, or the test proves nothing. */
	assert_true(json_integer_value(json_object_get(json_object_get(h1,
	            "summary"), "missing")) >
	            json_integer_value(json_object_get(json_object_get(w,
	            "summary"), "missing")));
	size_t i;
	json_t *f;
	bool scan = false;
	json_array_foreach(json_object_get(w, "findings"), i, f)
		if (json_is_string(json_object_get(f, "ports")))
			scan = true;
	assert_true(scan);
	json_array_foreach(json_object_get(h1, "findings"), i, f)
		assert_false(json_is_string(json_object_get(f, "ports")));
	json_decref(h1);
	json_decref(w);
}

static void test_diff(void **state)
{
	(void)state;
	struct pa_result r;
	/* whole.json, h1.json from test_merge_halves may not exist when run
	 * alone: make them here. */
	split_capture(pa_src("pcaps/demo.pcap"), pa_tmp("d1.pcap"),
	              pa_tmp("d2.pcap"));
	pa_runl(&r, "-q", "--server", "10.0.0.5", "-r",
	        pa_src("pcaps/demo.pcap"), "--json", pa_tmp("dwhole.json"), NULL);
	pa_result_free(&r);
	pa_runl(&r, "-q", "--server", "10.0.0.5", "-r", pa_tmp("d1.pcap"),
	        "--json", pa_tmp("d1.json"), NULL);
	pa_result_free(&r);
	json_t *d1 = pa_load_json(pa_tmp("d1.json"));
	json_t *dw = pa_load_json(pa_tmp("dwhole.json"));
	size_t n1 = json_array_size(json_object_get(d1, "findings"));
	size_t nw = json_array_size(json_object_get(dw, "findings"));
	assert_true(nw > n1); /* the second half brings trouble */
	json_decref(d1);
	json_decref(dw);

	/* Findings appear: exit 1, and they are listed as new. */
	pa_runl(&r, "diff", pa_tmp("d1.json"), pa_tmp("dwhole.json"), "--json",
	        pa_tmp("diff.json"), NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "REGRESSED"));
	assert_true(pa_contains(r.out, "  new      violation"));
	pa_result_free(&r);
	json_t *dj = pa_load_json(pa_tmp("diff.json"));
	assert_true(json_is_true(json_object_get(dj, "regressed")));
	assert_int_equal(json_array_size(json_object_get(dj, "new_findings")),
	                 nw - n1);
	assert_int_equal(json_array_size(json_object_get(dj, "gone_findings")),
	                 0);
	json_decref(dj);
	/* They go away: exit 0. */
	pa_runl(&r, "diff", pa_tmp("dwhole.json"), pa_tmp("d1.json"), NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "  gone     "));
	assert_true(pa_contains(r.out, "No new non-compliance."));
	pa_result_free(&r);
	/* Same report: nothing. */
	pa_runl(&r, "diff", pa_tmp("dwhole.json"), pa_tmp("dwhole.json"), NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "Findings: 0 new, 0 gone, 0 changed"));
	pa_result_free(&r);
	/* A service that becomes blocked is a regression even without a new
	 * finding key. */
	json_t *j = pa_load_json(pa_tmp("dwhole.json"));
	json_t *svc = json_array_get(json_object_get(j, "services"), 0);
	const char *was = json_string_value(json_object_get(svc, "status"));
	json_object_set_new(svc, "status", json_string(
	                    strcmp(was, "blocked") ? "blocked" : "missing"));
	json_dump_file(j, pa_tmp("worse.json"), 0);
	json_decref(j);
	pa_runl(&r, "diff", pa_tmp("dwhole.json"), pa_tmp("worse.json"), NULL);
	assert_int_equal(r.status, 1);
	assert_true(pa_contains(r.out, "Services: 1 changed status"));
	pa_result_free(&r);

	/* Bad input: exit 2, the file named. */
	pa_write_file(pa_tmp("empty.json"), "");
	pa_write_file(pa_tmp("junk.json"), "{\"version\": 1,\n  oops}");
	pa_write_file(pa_tmp("other.json"), "{\"hello\": 1}");
	static const char *const bad[][2] = {
		{ "nope.json", "nope.json: No such file or directory" },
		{ "empty.json", "empty.json: empty file" },
		{ "junk.json", "junk.json:2:" },
		{ "other.json", "other.json: not a portaudit JSON report" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char p[1100];
		snprintf(p, sizeof p, "%s", pa_tmp(bad[i][0]));
		pa_runl(&r, "diff", pa_tmp("dwhole.json"), p, NULL);
		assert_int_equal(r.status, 2);
		assert_true(pa_contains(r.err, bad[i][1]));
		pa_result_free(&r);
		pa_runl(&r, "merge", "-q", p, pa_tmp("dwhole.json"), NULL);
		assert_int_equal(r.status, 2);
		assert_true(pa_contains(r.err, bad[i][1]));
		pa_result_free(&r);
	}
	pa_runl(&r, "diff", pa_tmp("dwhole.json"), NULL);
	assert_int_equal(r.status, 2);
	pa_result_free(&r);
	pa_runl(&r, "merge", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "no report given"));
	pa_result_free(&r);
}

/* Output errors: before the capture for a bad path, at the end for a full
 * disk; never a half-written report. */
static void test_output_errors(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "--json",
	        "/nonexistent-dir/r.json", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "/nonexistent-dir/r.json"));
	pa_result_free(&r);
	if (access("/dev/full", W_OK) == 0) {
		pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "--json",
		        "/dev/full", NULL);
		assert_int_equal(r.status, 2);
		assert_true(pa_contains(r.err, "/dev/full: write error"));
		pa_result_free(&r);
	}
	/* No temporary file left next to the report. */
	pa_runl(&r, "-q", "-r", pa_src("pcaps/demo.pcap"), "--json",
	        pa_tmp("ok.json"), NULL);
	pa_result_free(&r);
	struct pa_result ls;
	const char *argv[] = { "/bin/ls", pa_tmpdir(), NULL };
	pa_exec(&ls, NULL, argv);
	assert_true(pa_contains(ls.out, "ok.json\n"));
	for (const char *p = ls.out; (p = strstr(p, "ok.json")) != NULL; p++)
		assert_true(p[7] == '\n' || p[7] == 0);
	pa_result_free(&ls);
}


/* Colour on a terminal (a pseudo-terminal from script(1)), never with
 * NO_COLOR, never in a pipe (the golden test checks that). */
static void test_color_tty(void **state)
{
	(void)state;
	if (!pa_have("script")) {
		pa_skip("script(1) is not installed: no pseudo-terminal to test");
		return;
	}
	char cmd[3000];
	snprintf(cmd, sizeof cmd, "%s -r %s", getenv("PORTAUDIT"),
	         pa_src("pcaps/demo.pcap"));
	const char *argv[] = { "/usr/bin/env", "script", "-qec", cmd,
	                       "/dev/null", NULL };
	struct pa_result r;
	unsetenv("NO_COLOR");
	pa_exec(&r, NULL, argv);
	assert_true(pa_contains(r.out, "\033[1m\033[31mNOT COMPLIANT"));
	assert_true(pa_contains(r.out, "\033[32mobserved\033[0m"));
	pa_result_free(&r);
	setenv("NO_COLOR", "1", 1);
	pa_exec(&r, NULL, argv);
	assert_true(pa_contains(r.out, "NOT COMPLIANT"));
	assert_null(strchr(r.out, '\033'));
	pa_result_free(&r);
	unsetenv("NO_COLOR");
}

int main(void)
{
	/* The golden text is laid out for 80 columns: not a caller's width. */
	unsetenv("COLUMNS");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_demo),
		cmocka_unit_test(test_jsonl_counts),
		cmocka_unit_test(test_jsonl_group_names),
		cmocka_unit_test(test_merge_halves),
		cmocka_unit_test(test_merge_profile_scan),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_output_errors),
		cmocka_unit_test(test_color_tty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
