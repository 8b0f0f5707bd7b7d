/*
 * it_merge.c -- report identity, and what `portaudit merge` and `portaudit
 * diff` refuse, through the real binary (docs/report-format.md):
 *   - every JSON report carries report_id (the SHA-256 of its capture
 *     facts: not the command line, not the output paths) and covers; a
 *     live capture's also capture.host; a report written before ids gets
 *     the same id when it is read back;
 *   - merge refuses a capture given twice (the same file, a copy, a merged
 *     report with one of its parts), naming both files, and writes nothing;
 *   - merge warns, once per pair, of reports of one source whose capture
 *     windows overlap, and says so in the merged report's caveats;
 *   - diff refuses reports made with different catalogs, profiles or base
 *     ports, one line per difference, unless --force;
 *   - merge and diff keep standard output for a report written there (the
 *     summary goes to standard error), and merge refuses two outputs to
 *     one file or both to standard output, as an audit does;
 *   - a merged report that includes a report that was not audited says so
 *     (a caveat, a warning) and does not count that report's unjudged
 *     flows as flows that touch no server.
 */
#include "test_report_fixture.h"

#include <errno.h>
#include <stdarg.h>

#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path in a buffer of the caller's (pa_tmp/pa_src rotate 8 buffers). */
struct path {
	char p[1100];
};

static struct path tmp(const char *name)
{
	struct path x;
	snprintf(x.p, sizeof x.p, "%s", pa_tmp(name));
	return x;
}

static struct path src(const char *rel)
{
	struct path x;
	snprintf(x.p, sizeof x.p, "%s", pa_src(rel));
	return x;
}

static void copy_file(const char *from, const char *to)
{
	struct pa_result r;
	const char *argv[] = { "/bin/cp", from, to, NULL };
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("cp %s %s: %s", from, to, r.err);
	pa_result_free(&r);
}

static void make_dir(const char *name)
{
	if (mkdir(pa_tmp(name), 0777) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", name, strerror(errno));
}

/* portaudit -q --json OUT ARGS... (NULL-terminated): an audit that must
 * succeed (status 0 or 1). */
static void audit(const char *out, ...)
{
	const char *args[24] = { "-q", "--json", out };
	size_t n = 3;
	va_list ap;
	va_start(ap, out);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		assert_true(n + 1 < sizeof args / sizeof args[0]);
		args[n++] = a;
	}
	va_end(ap);
	args[n] = NULL;
	struct pa_result r;
	pa_run(&r, NULL, args);
	if (r.status != 0 && r.status != 1)
		fail_msg("portaudit ... --json %s: status %d: %s", out, r.status,
		         r.err);
	pa_result_free(&r);
}

/* The report's report_id (malloc'ed). */
static char *report_id(const char *path)
{
	json_t *j = pa_load_json(path);
	const char *id = json_string_value(json_object_get(j, "report_id"));
	if (!id)
		fail_msg("%s: no report_id", path);
	char *s = strdup(id);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

/* How many lines of `s` contain `needle`. */
static unsigned lines_with(const char *s, const char *needle)
{
	unsigned n = 0;
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		char *line = strndup(s, len);
		assert_non_null(line);
		if (strstr(line, needle))
			n++;
		free(line);
		s = e ? e + 1 : NULL;
	}
	return n;
}

/* Write `in` as JSON to `out` without report_id and covers: a report as
 * portaudit wrote it before report ids existed. Optionally change the
 * capture: live on `iface` at `host` (NULL: leave), packets + `more`. */
static void rewrite(const char *in, const char *out, const char *iface,
                    const char *host, json_int_t more)
{
	json_t *j = pa_load_json(in);
	json_object_del(j, "report_id");
	json_object_del(j, "covers");
	json_t *c = json_object_get(j, "capture");
	if (iface) {
		json_object_set_new(c, "live", json_true());
		json_object_set_new(c, "sources", json_pack("[s]", iface));
		json_object_set_new(c, "host", json_string(host));
	}
	json_object_set_new(c, "packets", json_integer(json_integer_value(
	                    json_object_get(c, "packets")) + more));
	assert_int_equal(json_dump_file(j, out, JSON_INDENT(2)), 0);
	json_decref(j);
}

/* Split a capture into its first `first` packets and the rest. */
static void split_pcap(const char *in, unsigned first, const char *a,
                       const char *b)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(in, err);
	if (!p)
		fail_msg("%s: %s", in, err);
	pcap_dumper_t *da = pcap_dump_open(p, a), *db = pcap_dump_open(p, b);
	assert_non_null(da);
	assert_non_null(db);
	struct pcap_pkthdr *h;
	const u_char *d;
	for (unsigned i = 0; pcap_next_ex(p, &h, &d) == 1; i++)
		pcap_dump((u_char *)(i < first ? da : db), h, d);
	pcap_dump_close(da);
	pcap_dump_close(db);
	pcap_close(p);
}

/* ---- report identity --------------------------------------------------- */

static void test_identity(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap");
	struct path a = tmp("id-a.json"), b = tmp("id-b.json"),
	            c = tmp("id-c.json"), d = tmp("id-d.json"),
	            e = tmp("id-e.json"), csv = tmp("id-b.csv");
	audit(a.p, "--server", "10.0.0.5", "-r", demo.p, NULL);
	json_t *j = pa_load_json(a.p);
	const char *id = json_string_value(json_object_get(j, "report_id"));
	assert_non_null(id);
	assert_true(is_hex64(id));
	json_t *cv = json_object_get(j, "covers");
	assert_int_equal(json_array_size(cv), 1);
	assert_string_equal(json_string_value(json_array_get(cv, 0)), id);
	/* An offline capture names no host. */
	assert_null(json_object_get(json_object_get(j, "capture"), "host"));
	fx_validate(a.p);

	/* The same capture, from another directory, with another command
	 * line, other outputs and another server: the same id. */
	make_dir("elsewhere");
	struct path moved = tmp("elsewhere/demo.pcap");
	copy_file(demo.p, moved.p);
	audit(b.p, "--server", "10.0.0.6", "--csv", csv.p, "-r", moved.p, NULL);
	char *idb = report_id(b.p);
	assert_string_equal(idb, id);

	/* Other facts, another id: fewer packets; the same packets under
	 * another file name; another capture. */
	audit(c.p, "-c", "60", "-r", demo.p, NULL);
	char *idc = report_id(c.p);
	assert_string_not_equal(idc, id);
	struct path renamed = tmp("elsewhere/other.pcap");
	copy_file(demo.p, renamed.p);
	audit(d.p, "-r", renamed.p, NULL);
	char *idd = report_id(d.p);
	assert_string_not_equal(idd, id);
	struct path split = src("pcaps/rep_split.pcap");
	audit(e.p, "-r", split.p, NULL);
	char *ide = report_id(e.p);
	assert_string_not_equal(ide, id);
	assert_string_not_equal(ide, idc);
	free(idb);
	free(idc);
	free(idd);
	free(ide);
	json_decref(j);
}

/* A report written before ids (no report_id, no covers) gets on loading
 * the id it would have had: merged with the same capture's new report it
 * is refused, re-rendered alone it gets that id. Bad ids are refused. */
/* A report with a value of the wrong type or out of range (edited, or
 * written by something else) is refused by merge and diff alike, naming
 * the value: before, a count given as a string or a negative one was read
 * as 0, a time that is not one ignored, and the merged report
 * contradicted itself without a word. */
static void test_bad_values(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap"), a = tmp("val-a.json");
	audit(a.p, "--server", "10.0.0.5", "-r", demo.p, NULL);
	static const struct {
		const char *obj, *key, *value, *says;
	} cases[] = {
		{ "summary", "flows", "\"12\"",
		  "report.summary.flows: string where the format has integer" },
		{ "capture", "packets", "-5", "report.capture.packets: below the "
		  "minimum" },
		{ "capture", "start", "\"yesterday\"", "report.capture.start: "
		  "'yesterday' is not of the form" },
		{ "summary", "verdict", "\"great\"", "report.summary.verdict: "
		  "'great' is not one of the values the format allows" },
		{ "finding", "flows", "1.5", "report.findings[0].flows: number "
		  "where the format has integer" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = pa_load_json(a.p);
		json_t *o = strcmp(cases[i].obj, "finding") == 0 ?
		            json_array_get(json_object_get(j, "findings"), 0) :
		            json_object_get(j, cases[i].obj);
		json_error_t je;
		json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, &je);
		assert_non_null(o);
		assert_non_null(v);
		json_object_set_new(o, cases[i].key, v);
		const char *bad = pa_tmp("val-bad.json");
		assert_int_equal(json_dump_file(j, bad, 0), 0);
		json_decref(j);
		struct pa_result r;
		pa_runl(&r, "merge", "-q", bad, a.p, "--json",
		        pa_tmp("val-m.json"), NULL);
		assert_int_equal(r.status, 2);
		assert_true(pa_contains(r.err, "val-bad.json: not a valid "
		                        "portaudit report: "));
		assert_true(pa_contains(r.err, cases[i].says));
		pa_result_free(&r);
		pa_runl(&r, "diff", a.p, bad, NULL);
		assert_int_equal(r.status, 2);
		assert_true(pa_contains(r.err, cases[i].says));
		pa_result_free(&r);
	}
	/* A field added to the format since a report was written (here
	 * capture.unread and capture.stopped) is not asked of it. */
	json_t *j = pa_load_json(a.p);
	json_t *cap = json_object_get(j, "capture");
	assert_int_equal(json_object_del(cap, "unread"), 0);
	assert_int_equal(json_object_del(cap, "stopped"), 0);
	const char *older = pa_tmp("val-older.json");
	assert_int_equal(json_dump_file(j, older, 0), 0);
	json_decref(j);
	struct pa_result r;
	pa_runl(&r, "merge", "-q", older, "--json", pa_tmp("val-m.json"), NULL);
	if (r.status != 1)
		fail_msg("status %d: %s", r.status, r.err);
	pa_result_free(&r);
}

static void test_identity_old_report(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap");
	struct path a = tmp("old-a.json"), old = tmp("old.json"),
	            re = tmp("old-re.json");
	audit(a.p, "--server", "10.0.0.5", "-r", demo.p, NULL);
	rewrite(a.p, old.p, NULL, NULL, 0);
	char *id = report_id(a.p);
	struct pa_result r;
	pa_runl(&r, "merge", "-q", old.p, "--json", re.p, NULL);
	assert_int_equal(r.status, 1); /* the demo's findings */
	pa_result_free(&r);
	char *idre = report_id(re.p);
	assert_string_equal(idre, id);
	fx_validate(re.p);
	pa_runl(&r, "merge", "-q", old.p, a.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "is the same capture as"));
	pa_result_free(&r);

	json_t *j = pa_load_json(a.p);
	json_object_set_new(j, "report_id", json_string("3f2a"));
	assert_int_equal(json_dump_file(j, pa_tmp("badid.json"), 0), 0);
	json_object_set_new(j, "report_id", json_string(id));
	json_object_set_new(j, "covers", json_pack("[s]", "not-an-id"));
	assert_int_equal(json_dump_file(j, pa_tmp("badcovers.json"), 0), 0);
	json_decref(j);
	pa_runl(&r, "merge", "-q", pa_tmp("badid.json"), NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "badid.json: not a valid portaudit "
	                        "report: report.report_id: '3f2a' is not of "
	                        "the form"));
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", pa_tmp("badcovers.json"), NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "badcovers.json: not a valid portaudit "
	                        "report: report.covers[0]: 'not-an-id' is not "
	                        "of the form"));
	pa_result_free(&r);
	free(id);
	free(idre);
}

/* A live capture's report names the host; the host is part of the id. */
static void test_identity_live(void **state)
{
	(void)state;
	struct path a = tmp("demo-for-live.json"), la = tmp("live-a.json"),
	            lb = tmp("live-b.json"), la2 = tmp("live-a2.json");
	struct path demo = src("pcaps/demo.pcap");
	audit(a.p, "--server", "10.0.0.5", "-r", demo.p, NULL);
	/* The same live facts from two sensors: two ids, and no overlap, as
	 * the sources differ. From one sensor: the same id, refused. */
	rewrite(a.p, la.p, "eth0", "sensor-a", 0);
	rewrite(a.p, lb.p, "eth0", "sensor-b", 0);
	rewrite(a.p, la2.p, "eth0", "sensor-a", 0);
	struct pa_result r;
	pa_runl(&r, "merge", "-q", la.p, lb.p, NULL);
	assert_int_equal(r.status, 1);
	assert_false(pa_contains(r.err, "warning"));
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", la.p, la2.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "is the same capture as"));
	pa_result_free(&r);

	/* A real live capture on lo (root only). */
	if (geteuid() != 0)
		pa_skip("not root: live capture on lo needs root");
	struct path live = tmp("live.json");
	pa_runl(&r, "-i", "lo", "--duration", "1", "-q", "--fail-on", "none",
	        "-Z", "root", "--json", live.p, NULL);
	if (r.status == 2 && strstr(r.err, "permission"))
		pa_skip(r.err);
	if (access(live.p, F_OK) != 0)
		fail_msg("no live report (status %d): %s", r.status, r.err);
	pa_result_free(&r);
	json_t *j = pa_load_json(live.p);
	json_t *c = json_object_get(j, "capture");
	char host[256];
	assert_int_equal(gethostname(host, sizeof host), 0);
	host[sizeof host - 1] = 0;
	assert_true(json_is_true(json_object_get(c, "live")));
	assert_string_equal(json_string_value(json_object_get(c, "host")),
	                    host);
	assert_true(is_hex64(json_string_value(json_object_get(j,
	                                                       "report_id"))));
	json_decref(j);
	fx_validate(live.p);
}

/* ---- merge refuses a capture given twice ------------------------------- */

static void test_merge_twice(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap"),
	            split = src("pcaps/rep_split.pcap");
	struct path a = tmp("tw-a.json"), b = tmp("tw-b.json"),
	            copy = tmp("tw-copy.json"), m = tmp("tw-m.json"),
	            m2 = tmp("tw-m2.json"), out = tmp("tw-out.json");
	audit(a.p, "--server", "10.0.0.5", "-r", demo.p, NULL);
	audit(b.p, "--server", "10.0.0.5", "-r", split.p, NULL);
	char *ida = report_id(a.p), *idb = report_id(b.p);
	struct pa_result r;

	/* The same file twice: refused, both named, nothing written. */
	pa_runl(&r, "merge", "-q", a.p, a.p, "--json", out.p, NULL);
	assert_int_equal(r.status, 2);
	char want[3000];
	snprintf(want, sizeof want, "portaudit: merge: %s is the same capture "
	         "as %s (report %.12s", a.p, a.p, ida);
	assert_true(pa_contains(r.err, want));
	assert_true(pa_contains(r.err, "it would be counted twice"));
	assert_int_equal(lines_with(r.err, "portaudit:"), 1);
	assert_string_equal(r.out, "");
	assert_int_not_equal(access(out.p, F_OK), 0);
	pa_result_free(&r);

	/* A copy under another name; six copies. */
	copy_file(a.p, copy.p);
	pa_runl(&r, "merge", "-q", a.p, b.p, copy.p, NULL);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof want, "%s is the same capture as %s", copy.p,
	         a.p);
	assert_true(pa_contains(r.err, want));
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", a.p, a.p, a.p, a.p, a.p, a.p, NULL);
	assert_int_equal(r.status, 2);
	pa_result_free(&r);

	/* Two captures merge; the merged report covers both, its id is
	 * neither's and does not depend on the order. */
	pa_runl(&r, "merge", "-q", a.p, b.p, "--json", m.p, NULL);
	assert_int_equal(r.status, 1);
	assert_false(pa_contains(r.err, "warning"));
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", b.p, a.p, "--json", m2.p, NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	fx_validate(m.p);
	json_t *jm = pa_load_json(m.p);
	json_t *cv = json_object_get(jm, "covers");
	assert_int_equal(json_array_size(cv), 2);
	const char *lo = strcmp(ida, idb) < 0 ? ida : idb,
	           *hi = strcmp(ida, idb) < 0 ? idb : ida;
	assert_string_equal(json_string_value(json_array_get(cv, 0)), lo);
	assert_string_equal(json_string_value(json_array_get(cv, 1)), hi);
	char *idm = report_id(m.p), *idm2 = report_id(m2.p);
	assert_true(is_hex64(idm));
	assert_string_not_equal(idm, ida);
	assert_string_not_equal(idm, idb);
	assert_string_equal(idm, idm2);
	json_decref(jm);

	/* A merged report again with one of its parts, either order. */
	pa_runl(&r, "merge", "-q", m.p, a.p, NULL);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof want, "%s is already part of %s", a.p, m.p);
	assert_true(pa_contains(r.err, want));
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", b.p, m.p, NULL);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof want, "%s already holds %s (report %.12s", m.p,
	         b.p, idb);
	assert_true(pa_contains(r.err, want));
	pa_result_free(&r);
	/* Two merged reports that share a part. */
	pa_runl(&r, "merge", "-q", m.p, m2.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "is the same capture as"));
	pa_result_free(&r);

	/* A merged report re-rendered alone keeps its id. */
	pa_runl(&r, "merge", "-q", m.p, "--json", out.p, NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	char *idout = report_id(out.p);
	assert_string_equal(idout, idm);
	free(idout);
	free(idm);
	free(idm2);
	free(ida);
	free(idb);
}

/* ---- merge warns of overlapping captures of one source ----------------- */

static void test_merge_overlap(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap");
	/* One capture file under one name in three directories: whole, its
	 * first 60 packets, its first 30; and the two halves of it. */
	make_dir("ov1");
	make_dir("ov2");
	struct path whole = tmp("ov1/cap.pcap"), h1 = tmp("ov2/cap.pcap"),
	            h2 = tmp("ov2/h2.pcap");
	copy_file(demo.p, whole.p);
	struct path rw = tmp("ov-whole.json"), r60 = tmp("ov-60.json"),
	            r30 = tmp("ov-30.json"), rh1 = tmp("ov-h1.json"),
	            rh2 = tmp("ov-h2.json"), m = tmp("ov-m.json");
	audit(rw.p, "--server", "10.0.0.5", "-r", whole.p, NULL);
	audit(r60.p, "--server", "10.0.0.5", "-c", "60", "-r", whole.p, NULL);
	audit(r30.p, "--server", "10.0.0.5", "-c", "30", "-r", whole.p, NULL);
	struct pa_result r;

	/* Two overlapping: one warning naming both files, the source and the
	 * overlap (the shorter one's window); merged, status as usual; the
	 * caveat in the merged report. */
	json_t *j60 = pa_load_json(r60.p);
	json_t *c60 = json_object_get(j60, "capture");
	char win[200];
	snprintf(win, sizeof win, "from %s to %s",
	         json_string_value(json_object_get(c60, "start")),
	         json_string_value(json_object_get(c60, "end")));
	json_decref(j60);
	pa_runl(&r, "merge", "-q", rw.p, r60.p, "--json", m.p, NULL);
	assert_int_equal(r.status, 1); /* the demo's findings, as usual */
	assert_int_equal(lines_with(r.err, "warning"), 1);
	char want[3000];
	snprintf(want, sizeof want, "portaudit: merge: warning: %s and %s "
	         "overlap: both captured cap.pcap %s", rw.p, r60.p, win);
	assert_true(pa_contains(r.err, want));
	pa_result_free(&r);
	fx_validate(m.p);
	json_t *jm = pa_load_json(m.p);
	size_t i;
	json_t *cv;
	unsigned found = 0;
	json_array_foreach(json_object_get(jm, "caveats"), i, cv)
		if (strstr(json_string_value(cv), "ov-whole.json and ov-60.json "
		           "overlap: both captured cap.pcap") &&
		    strstr(json_string_value(cv), win))
			found++;
	assert_int_equal(found, 1);
	json_decref(jm);

	/* Three reports, three overlapping pairs: three lines. */
	pa_runl(&r, "merge", "-q", rw.p, r60.p, r30.p, NULL);
	assert_int_equal(r.status, 1);
	assert_int_equal(lines_with(r.err, "warning"), 3);
	pa_result_free(&r);

	/* Ten overlapping reports, 45 pairs: 45 warning lines; the merged
	 * report's twelve caveats (CLS_MAX_CAVEATS) hold eleven pairs and
	 * count the other 34. */
	const char *args[16] = { "merge", "-q", "--json", NULL };
	struct path many[10], mm = tmp("ov-many.json");
	args[3] = mm.p;
	for (unsigned k = 0; k < 10; k++) {
		char name[32], count[16];
		snprintf(name, sizeof name, "ov-many-%u.json", k);
		snprintf(count, sizeof count, "%u", 20 + 10 * k);
		many[k] = tmp(name);
		audit(many[k].p, "--server", "10.0.0.5", "-c", count, "-r",
		      whole.p, NULL);
		args[4 + k] = many[k].p;
	}
	args[14] = NULL;
	pa_run(&r, NULL, args);
	assert_int_equal(r.status, 1);
	assert_int_equal(lines_with(r.err, "portaudit: merge: warning: "), 45);
	pa_result_free(&r);
	jm = pa_load_json(mm.p);
	json_t *cvs = json_object_get(jm, "caveats");
	assert_int_equal(json_array_size(cvs), 12);
	for (i = 0; i < 11; i++)
		assert_non_null(strstr(json_string_value(json_array_get(cvs, i)),
		                       "overlap: both captured cap.pcap from"));
	assert_non_null(strstr(json_string_value(json_array_get(cvs, 11)),
	                       "34 more pairs of merged reports captured one "
	                       "source over overlapping windows"));
	json_decref(jm);

	/* The two halves of the capture, under one name: the same source,
	 * windows apart: no warning, no caveat. */
	split_pcap(demo.p, 67, h1.p, h2.p);
	struct path h2same = tmp("ov1/h2/cap.pcap");
	make_dir("ov1/h2");
	copy_file(h2.p, h2same.p);
	audit(rh1.p, "--server", "10.0.0.5", "-r", h1.p, NULL);
	audit(rh2.p, "--server", "10.0.0.5", "-r", h2same.p, NULL);
	json_t *a = pa_load_json(rh1.p), *b = pa_load_json(rh2.p);
	const char *enda = json_string_value(json_object_get(
	                   json_object_get(a, "capture"), "end"));
	const char *startb = json_string_value(json_object_get(
	                     json_object_get(b, "capture"), "start"));
	assert_non_null(enda);
	assert_non_null(startb);
	assert_true(strcmp(enda, startb) < 0); /* or the test proves nothing */
	json_decref(a);
	json_decref(b);
	pa_runl(&r, "merge", "-q", rh1.p, rh2.p, "--json", m.p, NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "");
	pa_result_free(&r);
	jm = pa_load_json(m.p);
	json_array_foreach(json_object_get(jm, "caveats"), i, cv)
		assert_null(strstr(json_string_value(cv), "overlap"));
	json_decref(jm);

	/* Overlapping windows of different sources (another file name): no
	 * warning. */
	struct path other = tmp("ov2/other.pcap"), ro = tmp("ov-other.json");
	copy_file(demo.p, other.p);
	audit(ro.p, "--server", "10.0.0.5", "-c", "60", "-r", other.p, NULL);
	pa_runl(&r, "merge", "-q", rw.p, ro.p, NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "");
	pa_result_free(&r);

	/* Live: one sensor's interface twice over one window (other facts,
	 * so other ids) overlaps; the warning names the host. */
	struct path la = tmp("ov-live-a.json"), lb = tmp("ov-live-b.json");
	rewrite(rw.p, la.p, "eth0", "sensor-a", 0);
	rewrite(rw.p, lb.p, "eth0", "sensor-a", 5);
	pa_runl(&r, "merge", "-q", la.p, lb.p, NULL);
	assert_int_equal(r.status, 1);
	assert_int_equal(lines_with(r.err, "warning"), 1);
	assert_true(pa_contains(r.err, "both captured eth0 on sensor-a from"));
	pa_result_free(&r);
}

/* ---- diff refuses what it cannot compare ------------------------------- */

static void test_diff_refuses(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap");
	struct path base = tmp("df-base.json"), port = tmp("df-port.json"),
	            prof = tmp("df-prof.json"), cat = tmp("df-cat.json"),
	            all = tmp("df-all.json"), dj = tmp("df-diff.json"),
	            site = tmp("df-site.yaml"), catf = tmp("df-cat.yaml");
	audit(base.p, "--server", "10.0.0.5", "-r", demo.p, NULL);
	audit(port.p, "--server", "10.0.0.5", "--base-port", "2000", "-r",
	      demo.p, NULL);
	pa_write_file(site.p, "site: diff test\n"
	              "servers:\n"
	              "  - name: mon\n"
	              "    addresses: [10.0.0.5]\n");
	audit(prof.p, "--profile", site.p, "-r", demo.p, NULL);
	char *yaml = pa_read_file(pa_src("catalog/prognosis.yaml"), NULL);
	assert_non_null(yaml);
	size_t len = strlen(yaml);
	char *edited = malloc(len + 40);
	assert_non_null(edited);
	memcpy(edited, yaml, len);
	memcpy(edited + len, "# a site's copy\n", 17);
	pa_write_file(catf.p, edited);
	free(edited);
	free(yaml);
	audit(cat.p, "--catalog", catf.p, "--server", "10.0.0.5", "-r", demo.p,
	      NULL);
	audit(all.p, "--catalog", catf.p, "--server", "10.0.0.5",
	      "--base-port", "2000", "-r", demo.p, NULL);
	struct pa_result r;

	json_t *jb = pa_load_json(base.p), *jp = pa_load_json(prof.p),
	       *jc = pa_load_json(cat.p);
	char csha[13], ksha[13], psha[13];
	snprintf(csha, sizeof csha, "%s", json_string_value(json_object_get(
	         json_object_get(jb, "catalog"), "sha256")));
	snprintf(ksha, sizeof ksha, "%s", json_string_value(json_object_get(
	         json_object_get(jc, "catalog"), "sha256")));
	snprintf(psha, sizeof psha, "%s", json_string_value(json_object_get(
	         json_object_get(jp, "profile"), "sha256")));
	const char *psrc = json_string_value(json_object_get(
	                   json_object_get(jp, "profile"), "source"));
	assert_string_not_equal(csha, ksha);
	char want_cat[200], want_prof[1300], want_prof_back[1300];
	snprintf(want_cat, sizeof want_cat, "\n  catalog prognosis (sha256 "
	         "%s...) -> prognosis (sha256 %s...)\n", csha, ksha);
	snprintf(want_prof, sizeof want_prof, "\n  profile none -> %s (sha256 "
	         "%s...)\n", psrc, psha);
	snprintf(want_prof_back, sizeof want_prof_back, "\n  profile %s "
	         "(sha256 %s...) -> none\n", psrc, psha);
	json_decref(jb);
	json_decref(jp);
	json_decref(jc);

	/* Each difference refused, said on its own line, nothing diffed. */
	pa_runl(&r, "diff", base.p, port.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "\n  base port 1960 -> 2000\n"));
	assert_true(pa_contains(r.err, "--force"));
	assert_string_equal(r.out, "");
	pa_result_free(&r);
	pa_runl(&r, "diff", base.p, prof.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, want_prof));
	pa_result_free(&r);
	pa_runl(&r, "diff", prof.p, base.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, want_prof_back));
	pa_result_free(&r);
	pa_runl(&r, "diff", base.p, cat.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, want_cat));
	assert_false(pa_contains(r.err, "base port"));
	pa_result_free(&r);
	/* All three at once: three lines. */
	pa_runl(&r, "diff", prof.p, all.p, "--json", dj.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, want_cat));
	assert_true(pa_contains(r.err, want_prof_back));
	assert_true(pa_contains(r.err, "\n  base port 1960 -> 2000\n"));
	assert_int_equal(lines_with(r.err, "  "), 3);
	assert_int_not_equal(access(dj.p, F_OK), 0);
	pa_result_free(&r);

	/* --force: the same lines as a warning, then the diff. */
	pa_runl(&r, "diff", "--force", base.p, port.p, "--json", dj.p, NULL);
	assert_true(r.status == 0 || r.status == 1);
	assert_true(pa_contains(r.err, "portaudit: diff: warning: "));
	assert_true(pa_contains(r.err, "\n  base port 1960 -> 2000\n"));
	assert_true(pa_contains(r.out, "portaudit diff "));
	assert_true(pa_contains(r.out, "Services: "));
	pa_result_free(&r);
	json_t *d = pa_load_json(dj.p);
	json_t *cv = json_object_get(d, "caveats");
	assert_int_equal(json_array_size(cv), 1);
	assert_string_equal(json_string_value(json_array_get(cv, 0)),
	                    "base port 1960 -> 2000");
	json_decref(d);

	/* Comparable reports: no word on stderr, no caveat. */
	pa_runl(&r, "diff", base.p, base.p, "--json", dj.p, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	pa_result_free(&r);
	d = pa_load_json(dj.p);
	assert_int_equal(json_array_size(json_object_get(d, "caveats")), 0);
	json_decref(d);

	pa_runl(&r, "diff", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "--force"));
	pa_result_free(&r);
}

/* merge and diff with a report on standard output: the JSON alone there,
 * the summary on standard error; two outputs to one place refused. */
static void test_merge_stdout(void **state)
{
	(void)state;
	struct path demo = src("pcaps/demo.pcap"), clean = src("pcaps/cls_clean.pcap");
	struct path a = tmp("so-demo.json"), b = tmp("so-clean.json"),
	            same = tmp("so-same.json");
	audit(a.p, "-r", demo.p, NULL);
	audit(b.p, "-r", clean.p, NULL);
	struct pa_result r;
	pa_runl(&r, "merge", b.p, a.p, "--json", "-", NULL);
	assert_int_equal(r.status, 1);
	json_error_t je;
	json_t *j = json_loads(r.out, 0, &je);
	if (!j)
		fail_msg("merge --json -: not JSON at line %d: %s", je.line, je.text);
	assert_string_equal(json_string_value(json_object_get(
	        json_object_get(j, "summary"), "verdict")), "not-compliant");
	json_decref(j);
	assert_true(pa_contains(r.err, "NOT COMPLIANT"));
	pa_result_free(&r);

	pa_runl(&r, "diff", b.p, a.p, "--json", "-", NULL);
	assert_int_equal(r.status, 1);
	j = json_loads(r.out, 0, &je);
	if (!j)
		fail_msg("diff --json -: not JSON at line %d: %s", je.line, je.text);
	assert_true(json_is_true(json_object_get(j, "regressed")));
	json_decref(j);
	assert_true(pa_contains(r.err, "REGRESSED"));
	pa_result_free(&r);

	/* One output given twice: the first would be lost. */
	pa_runl(&r, "merge", "-q", b.p, a.p, "--json", same.p, "--json",
	        same.p, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--json given twice"));
	pa_result_free(&r);

	/* Two outputs to one file (spelled two ways), or to stdout. */
	make_dir("so-dir");
	char other[1200];
	snprintf(other, sizeof other, "%s/../so-same.json", pa_tmp("so-dir"));
	pa_runl(&r, "merge", "-q", b.p, a.p, "--json", same.p, "--csv", other,
	        NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--json and --csv both write to"));
	assert_int_equal(access(same.p, F_OK), -1);
	pa_result_free(&r);
	pa_runl(&r, "merge", b.p, a.p, "--jsonl", "-", "--csv", "-", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--csv and --jsonl both write to "
	                        "standard output"));
	assert_int_equal(r.outlen, 0);
	pa_result_free(&r);
}

/* A report that checked nothing (no server given or inferred) merged with
 * an audited one: the merged verdict covers only what was judged, and
 * says so. */
static void test_merge_not_audited(void **state)
{
	(void)state;
	struct path clean = src("pcaps/cls_clean.pcap"),
	            blocked = src("pcaps/cls_blocked.pcap");
	struct path a = tmp("na-clean.json"), b = tmp("na-blocked.json"),
	            m = tmp("na-merged.json");
	audit(a.p, "-r", clean.p, NULL);
	struct pa_result r;
	pa_runl(&r, "-q", "--json", b.p, "-r", blocked.p, NULL);
	assert_int_equal(r.status, 3); /* no server inferred there */
	pa_result_free(&r);
	json_t *jb = pa_load_json(b.p);
	json_int_t unjudged = json_integer_value(json_object_get(
	        json_object_get(jb, "summary"), "other_flows"));
	assert_true(unjudged > 0);
	json_decref(jb);

	/* diff from an audited report to one that checked nothing: 3, not
	 * "no new non-compliance" */
	pa_runl(&r, "diff", a.p, b.p, NULL);
	assert_int_equal(r.status, 3);
	assert_true(pa_contains(r.out, "NOT AUDITED: the new report checked "
	                        "nothing"));
	pa_result_free(&r);

	pa_runl(&r, "merge", "-q", a.p, b.p, "--json", m.p, NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.err, "was not audited"));
	json_t *j = pa_load_json(m.p);
	json_t *sum = json_object_get(j, "summary");
	assert_string_equal(json_string_value(json_object_get(sum, "verdict")),
	                    "compliant");
	assert_true(json_is_true(json_object_get(sum, "with_caveats")));
	/* Not "flows that touch no monitored server": never judged. */
	assert_int_equal(json_integer_value(json_object_get(sum, "other_flows")),
	                 0);
	char want[200];
	snprintf(want, sizeof want, "was not audited: its %lld flow(s) were "
	         "not judged", (long long)unjudged);
	bool found = false;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "caveats"), i, c)
		found |= pa_contains(json_string_value(c), want) &&
		         pa_contains(json_string_value(c), "na-blocked.json");
	assert_true(found);
	json_decref(j);
	pa_result_free(&r);

	/* One that saw no flow at all (an --interval without packets; here
	 * a filter that keeps nothing) leaves nothing out: no warning, no
	 * caveat. */
	struct path e = tmp("na-empty.json");
	pa_runl(&r, "-q", "--json", e.p, "-r", clean.p, "--server", "10.0.0.5",
	        "tcp port 9", NULL);
	assert_int_equal(r.status, 3);
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", a.p, e.p, "--json", m.p, NULL);
	assert_int_equal(r.status, 0);
	assert_false(pa_contains(r.err, "was not audited"));
	j = pa_load_json(m.p);
	assert_false(pa_has_caveat(j, "was not audited"));
	json_decref(j);
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_identity_old_report),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_merge_twice),
		cmocka_unit_test(test_merge_overlap),
		cmocka_unit_test(test_diff_refuses),
		cmocka_unit_test(test_identity_live),
		cmocka_unit_test(test_merge_stdout),
		cmocka_unit_test(test_merge_not_audited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
