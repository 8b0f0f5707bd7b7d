/* test_report.c -- report plumbing (atomic files, write errors) and the
 * JSON and text writers, on a hand-made classification result. */
#include "test_report_fixture.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

static unsigned count_entries(const char *dir, const char *prefix)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '^%s' || true", dir,
	         prefix);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	unsigned n = 0;
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	return n;
}

/* The final name appears only at rep_close; rep_abort leaves nothing. */
static void test_atomic(void **state)
{
	(void)state;
	char err[512];
	const char *path = pa_tmp("atomic.json");
	struct rep_out *o = rep_open(&rep_json, path, err, sizeof err);
	assert_non_null(o);
	assert_non_null(o->tmp);
	assert_true(exists(o->tmp));
	rep_puts(o, "{}\n");
	assert_false(exists(path));
	assert_int_equal(count_entries(pa_tmpdir(), "atomic.json."), 1);
	assert_int_equal(rep_close(o, err, sizeof err), 0);
	assert_true(exists(path));
	assert_int_equal(count_entries(pa_tmpdir(), "atomic.json."), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	mode_t um = umask(0);
	umask(um);
	assert_int_equal(sb.st_mode & 0777, 0666 & ~um);

	/* Abort: the temporary goes away, the old file stays as it was. */
	o = rep_open(&rep_json, path, err, sizeof err);
	assert_non_null(o);
	char *tmp = strdup(o->tmp);
	rep_puts(o, "half a report");
	rep_abort(o);
	assert_false(exists(tmp));
	free(tmp);
	char *s = pa_read_file(path, NULL);
	assert_string_equal(s, "{}\n");
	free(s);

	const char *fresh = pa_tmp("never.json");
	o = rep_open(&rep_text, fresh, err, sizeof err);
	assert_non_null(o);
	rep_abort(o);
	assert_false(exists(fresh));
	assert_int_equal(count_entries(pa_tmpdir(), "never.json"), 0);
}

static void test_write_errors(void **state)
{
	(void)state;
	char err[512];
	/* No such directory: rep_open fails and names the file. */
	struct rep_out *o = rep_open(&rep_json, "/nonexistent-dir/r.json", err,
	                             sizeof err);
	assert_null(o);
	assert_true(pa_contains(err, "/nonexistent-dir/r.json"));
	assert_true(pa_contains(err, "No such file or directory"));
	/* A directory we may not write into (root may write anywhere). */
	if (geteuid() != 0) {
		const char *ro = pa_tmp("readonly");
		assert_int_equal(mkdir(ro, 0500), 0);
		char p[1100];
		snprintf(p, sizeof p, "%s/r.json", ro);
		o = rep_open(&rep_json, p, err, sizeof err);
		assert_null(o);
		assert_true(pa_contains(err, p));
		assert_true(pa_contains(err, "Permission denied"));
	}
	/* A directory is not a report file. */
	o = rep_open(&rep_json, pa_tmpdir(), err, sizeof err);
	assert_null(o);
	assert_true(pa_contains(err, "is a directory"));
	/* A device is written in place; /dev/full fails at close. */
	if (access("/dev/full", W_OK) != 0) {
		pa_skip("/dev/full is not writable here");
		return;
	}
	struct fx *x = fx_new();
	o = rep_open(&rep_json, "/dev/full", err, sizeof err);
	assert_non_null(o);
	assert_null(o->tmp);
	int rc = rep_json.report(o, &x->in);
	int rc2 = rep_close(o, err, sizeof err);
	assert_true(rc == -1 || rc2 == -1);
	assert_int_equal(rc2, -1);
	assert_true(pa_contains(err, "/dev/full"));
	assert_true(pa_contains(err, "No space left on device"));
	fx_free(x);
}

static void test_json(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char *s = fx_write(x, &rep_json, "r.json", 0);
	free(s);
	const char *path = pa_tmp("r.json");
	fx_validate(path);
	json_t *j = pa_load_json(path);

	assert_int_equal(json_integer_value(json_object_get(j, "version")),
	                 REP_FORMAT_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "portaudit")),
	                    PORTAUDIT_VERSION);
	assert_null(json_object_get(j, "generated"));
	json_t *cat = json_object_get(j, "catalog");
	assert_string_equal(json_string_value(json_object_get(cat, "name")),
	                    x->cat.name);
	assert_int_equal(strlen(json_string_value(json_object_get(cat,
	                 "sha256"))), 64);
	assert_true(json_is_null(json_object_get(j, "profile")));
	assert_int_equal(json_integer_value(json_object_get(j, "base_port")),
	                 1960);

	json_t *c = json_object_get(j, "capture");
	assert_int_equal(json_array_size(json_object_get(c, "sources")), 2);
	assert_int_equal(json_integer_value(json_object_get(c, "packets")), 1234);
	assert_int_equal(json_integer_value(json_object_get(c, "bytes")), 567890);
	assert_true(json_is_null(json_object_get(c, "dropped")));
	assert_string_equal(json_string_value(json_object_get(c, "start")),
	                    "2026-01-05T10:00:00.000000Z");
	assert_string_equal(json_string_value(json_object_get(c, "end")),
	                    "2026-01-05T10:00:09.500000Z");
	assert_int_equal(json_integer_value(json_object_get(c, "duration_ms")),
	                 9500);
	assert_true(json_is_false(json_object_get(c, "truncated")));
	json_t *sk = json_object_get(c, "skipped");
	assert_int_equal(json_array_size(sk), 1);
	assert_string_equal(json_string_value(json_object_get(
	                    json_array_get(sk, 0), "source")), "missing.pcap");
	assert_string_equal(json_string_value(json_array_get(
	                    json_object_get(c, "linktypes"), 0)), "EN10MB");
	json_t *an = json_object_get(c, "anomalies");
	assert_string_equal(cap_anomaly_name(CAP_AN_NON_IP), "non_ip");
	assert_int_equal(json_object_size(an), CAP_AN_COUNT);
	assert_int_equal(json_integer_value(json_object_get(an,
	                 cap_anomaly_name(CAP_AN_NON_IP))), 34);
	assert_int_equal(json_integer_value(json_object_get(c, "peak_flows")), 12);

	json_t *sv = json_array_get(json_object_get(j, "servers"), 0);
	assert_string_equal(json_string_value(json_object_get(sv, "address")),
	                    "10.0.0.5");
	assert_true(json_is_true(json_object_get(sv, "inferred")));
	assert_string_equal(json_string_value(json_object_get(sv, "how")),
	                    "accepts base port 1960");

	json_t *sum = json_object_get(j, "summary");
	assert_true(json_is_false(json_object_get(sum, "compliant")));
	assert_int_equal(json_integer_value(json_object_get(sum, "flows")), 60);
	assert_int_equal(json_integer_value(json_object_get(sum, "expected")), 55);
	assert_int_equal(json_integer_value(json_object_get(sum, "findings")), 4);

	json_t *svcs = json_object_get(j, "services");
	assert_int_equal(json_array_size(svcs), x->cat.nservices);
	int32_t s0 = fx_service(&x->cat, 0);
	json_t *o0 = json_array_get(svcs, (size_t)s0);
	assert_string_equal(json_string_value(json_object_get(o0, "id")),
	                    x->cat.services[s0].id);
	assert_string_equal(json_string_value(json_object_get(o0, "status")),
	                    "observed");
	assert_int_equal(json_integer_value(json_object_get(o0, "flows")), 7);
	assert_int_equal(json_integer_value(json_object_get(o0, "bytes")), 12345);
	assert_true(json_is_null(json_object_get(o0, "caveat")));
	json_t *o2 = json_array_get(svcs, (size_t)fx_service(&x->cat, 2));
	assert_string_equal(json_string_value(json_object_get(o2, "status")),
	                    "missing");
	assert_true(json_is_string(json_object_get(o2, "caveat")));

	json_t *fs = json_object_get(j, "findings");
	assert_int_equal(json_array_size(fs), 4);
	json_t *f0 = json_array_get(fs, 0);
	assert_string_equal(json_string_value(json_object_get(f0, "kind")),
	                    "violation");
	assert_string_equal(json_string_value(json_object_get(f0, "protocol")),
	                    "tcp");
	assert_int_equal(json_integer_value(json_object_get(f0, "port")), 1961);
	assert_null(json_object_get(f0, "ports"));
	assert_string_equal(json_string_value(json_object_get(f0, "server")),
	                    "10.0.0.5");
	assert_string_equal(json_string_value(json_object_get(f0, "peer")),
	                    "10.0.0.6");
	assert_string_equal(json_string_value(json_object_get(f0, "initiator")),
	                    "server");
	assert_string_equal(json_string_value(json_object_get(f0, "outcome")),
	                    "closed");
	assert_null(json_object_get(f0, "icmp"));
	assert_string_equal(json_string_value(json_object_get(f0, "first_seen")),
	                    "2026-01-05T10:00:01.000000Z");
	assert_string_equal(json_string_value(json_object_get(f0, "reason")),
	                    x->f[0].reason);
	json_t *f1 = json_array_get(fs, 1);
	json_t *icmp = json_object_get(f1, "icmp");
	assert_int_equal(json_integer_value(json_object_get(icmp, "type")), 3);
	assert_int_equal(json_integer_value(json_object_get(icmp, "code")), 13);
	assert_string_equal(json_string_value(json_object_get(f1, "outcome")),
	                    "unreachable");
	json_t *f2 = json_array_get(fs, 2);
	assert_true(json_is_null(json_object_get(f2, "server")));
	assert_true(json_is_null(json_object_get(f2, "peer")));
	assert_true(json_is_null(json_object_get(f2, "outcome")));
	assert_true(json_is_null(json_object_get(f2, "first_seen")));
	json_t *f3 = json_array_get(fs, 3);
	assert_string_equal(json_string_value(json_object_get(f3, "ports")),
	                    "1000-2000");
	assert_int_equal(json_integer_value(json_object_get(f3, "nports")), 50);
	assert_true(json_is_null(json_object_get(f3, "service")));
	assert_string_equal(json_string_value(json_object_get(f3, "initiator")),
	                    "peer");
	assert_int_equal(json_array_size(json_object_get(j, "caveats")), 1);
	json_decref(j);

	/* Reproducible: the same input gives the same bytes. */
	char *a = fx_write(x, &rep_json, "a.json", 0);
	char *b = fx_write(x, &rep_json, "b.json", 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	fx_free(x);
}

/* The schema rejects what it should: the checker is not a rubber stamp. */
static void test_schema_rejects(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	free(fx_write(x, &rep_json, "good.json", 0));
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	static const char *const breakers[] = {
		"summary.compliant", "findings.0.kind", "capture.packets",
		"services.0.status", "version",
	};
	for (size_t i = 0; i < sizeof breakers / sizeof breakers[0]; i++) {
		json_t *j = pa_load_json(pa_tmp("good.json"));
		json_t *parent = j;
		char path[64];
		snprintf(path, sizeof path, "%s", breakers[i]);
		char *dot, *key = path;
		while ((dot = strchr(key, '.')) != NULL) {
			*dot = 0;
			parent = json_is_array(parent)
			         ? json_array_get(parent, strtoul(key, NULL, 10))
			         : json_object_get(parent, key);
			key = dot + 1;
		}
		json_object_set_new(parent, key, json_string("bogus"));
		char where[512] = "report";
		assert_int_equal(sch_check(schema, schema, j, where, sizeof where),
		                 -1);
		json_decref(j);
	}
	json_t *j = pa_load_json(pa_tmp("good.json"));
	json_object_del(json_object_get(j, "summary"), "findings");
	char where[512] = "report";
	assert_int_equal(sch_check(schema, schema, j, where, sizeof where), -1);
	assert_true(pa_contains(where, "findings"));
	json_decref(j);
	json_decref(schema);
	fx_free(x);
}

/* ---- text ---------------------------------------------------------------- */

/* The text report of the fixture laid out for `cols` columns (through
 * $COLUMNS, as a file has no terminal size). */
static char *text_at(struct fx *x, unsigned cols, const char *name)
{
	char c[16];
	snprintf(c, sizeof c, "%u", cols);
	setenv("COLUMNS", c, 1);
	char *s = fx_write(x, &rep_text, name, 0);
	unsetenv("COLUMNS");
	if (getenv("PA_SHOW"))
		fputs(s, stdout);
	return s;
}

/* Characters (UTF-8 code points) of the widest line; *bytes: its bytes. */
static size_t widest(const char *s, size_t *bytes)
{
	size_t best = 0, n = 0, b = 0, bb = 0;
	for (const char *p = s;; p++) {
		if (*p == '\n' || !*p) {
			if (n > best)
				best = n;
			if (b > bb)
				bb = b;
			n = b = 0;
			if (!*p)
				break;
			continue;
		}
		b++;
		if (((unsigned char)*p & 0xC0) != 0x80)
			n++;
	}
	if (bytes)
		*bytes = bb;
	return best;
}

/* The line of `s` that contains `a` and then `b`, or NULL. */
static const char *line_with(const char *s, const char *a, const char *b)
{
	for (const char *p = s; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)len, p);
		const char *ia = strstr(line, a);
		if (ia && strstr(ia + strlen(a), b))
			return p;
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

static void test_text(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	/* The violation is carried by the SNMP group. */
	x->f[0].group = 1;
	char *s = text_at(x, 200, "r.txt");
	assert_null(strchr(s, '\033')); /* no colour in a file */
	assert_true(pa_contains(s, "\nCapture\n"));
	assert_true(pa_contains(s, "pcaps/demo.pcap  [EN10MB]"));
	assert_true(pa_contains(s, "missing.pcap  SKIPPED: cannot open"));
	assert_true(pa_contains(s, "1234 (555 KiB)\n"));
	assert_true(pa_contains(s, "2026-01-05T10:00:00.000000Z .. "
	                           "10:00:09.500000Z (9.500 s)\n"));
	/* A newline inside a reason does not break the row. */
	assert_true(pa_contains(s, "on the wire, yet seen <here>"));
	assert_true(pa_contains(s, "\nServers  (inferred: hosts that accept"));
	/* Per server: the flows judged and the findings by kind. */
	assert_non_null(line_with(s, "10.0.0.5", " 108  1 violation, 1 blocked, "
	                          "1 unexpected  inferred: accepts base port"));
	assert_true(pa_contains(s, "\nServices  (1 shared group, 4 of "));
	assert_true(pa_contains(s, "\nFindings  (4, worst first)\n"));
	assert_true(pa_contains(s, "1000-2000 (50)"));
	assert_true(pa_contains(s, "unreachable (icmp 3/13)"));
	/* The group: a row of its own before the products, its flows once. */
	const struct cls_group *g = &x->res.groups[0];
	const char *shared = strstr(s, "\n  Shared by several products\n");
	const char *base = strstr(s, "\n  Base Ports\n");
	assert_non_null(shared);
	assert_non_null(base);
	assert_true(shared < base);
	const char *grow = line_with(s, "observed  shared-udp-161-outbound",
	                             "udp    161    outbound       3  2.8 KiB");
	assert_non_null(grow);
	assert_true(grow > shared && grow < base);
	assert_true(pa_contains(grow, "SNMP queries from the Monitoring "
	                              "Server"));
	/* Its members have no row of their own: no flow of theirs. */
	const char *last = x->cat.services[g->members[g->nmembers - 1]].id;
	const char *first = x->cat.services[g->members[0]].id;
	assert_true(pa_contains(s, first));
	assert_null(strstr(s, "not-seen"));
	/* At 80 columns its member list is cut at two lines (the JSON and
	 * --all hold it whole). */
	char *s80 = text_at(x, 80, "r80.txt");
	const char *gn = strstr(s80, "\n            SNMP queries from the");
	assert_non_null(gn);
	gn = strchr(gn + 1, '\n');
	assert_non_null(gn);
	const char *eol = strchr(gn + 1, '\n');
	assert_non_null(eol);
	assert_memory_equal(eol - 4, " ...", 4);
	assert_true(pa_contains(s80, first));
	assert_null(strstr(s80, last));
	free(s80);
	/* The findings name the group that carried the flows. */
	assert_non_null(line_with(s, "violation", "shared-udp-161-outbound  "
	                          "tcp    1961"));
	/* Violated: seen only in violation of its rule, a row like blocked. */
	int32_t s3 = fx_service(&x->cat, 3);
	assert_non_null(line_with(s, "violated", x->cat.services[s3].id));
	assert_non_null(line_with(s, "blocked", x->cat.services[
	                          fx_service(&x->cat, 1)].id));
	/* The verdict says it has caveats, and lists them under it. */
	assert_true(pa_contains(s, "NOT COMPLIANT with caveats: 1 violation, "
	                           "1 blocked, 1 missing, 1 unexpected\n"
	                           "  caveat: the capture is 9 seconds long"));
	/* Aligned: the header's columns start where the rows' columns do. */
	const char *h = strstr(s, "  KIND ");
	assert_non_null(h);
	const char *hp = strstr(h, "PROTO");
	const char *row = strstr(h, "\n  violation") + 1;
	const char *rp = strstr(row, "tcp");
	assert_int_equal(hp - h, rp - row);
	/* Only the relevant service rows by default, every row with --all,
	 * and the whole member list. */
	x->in.all_services = true;
	char *all = text_at(x, 200, "all.txt");
	assert_true(strlen(all) > strlen(s) + 1000);
	assert_true(pa_contains(all, "all "));
	assert_true(pa_contains(all, last));
	assert_non_null(line_with(all, "not-seen", first));
	free(all);
	free(s);
	x->in.all_services = false;
	fx_free(x);
}

/* The width: every line fits the columns asked for, counted in
 * characters; long text wraps under its row, a long address goes on a
 * line of its own instead of widening the table; nothing is lost. */
static void test_text_width(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	/* An IPv6 pair, too wide for its column at 80 columns. */
	struct cls_finding *f = &x->f[3];
	f->family = 6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:"
	                           "eeee:ffff", f->peer), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::5", f->server), 1);
	/* A reason of two-byte characters: wrapped by characters, not bytes. */
	size_t off = 0;
	for (int i = 0; i < 40; i++)
		off += (size_t)snprintf(f->reason + off, sizeof f->reason - off,
		                        "%s\xc3\xa9t\xc3\xa9", i ? " " : "");
	static const unsigned cols[] = { 80, 60, 40, 132 };
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		char *s = text_at(x, cols[i], "w.txt");
		size_t bytes;
		size_t w = widest(s, &bytes);
		if (w > cols[i])
			fail_msg("a line of %zu characters at %u columns:\n%s", w,
			         cols[i], s);
		/* The full width is used (in characters). */
		assert_true(w >= cols[i] - 8 || cols[i] == 132);
		if (cols[i] <= 80)
			assert_true(bytes > cols[i]);
		/* The address is whole, on one line. */
		assert_true(pa_contains(s, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"));
		/* The reason is whole: its words in order, one blank between
		 * them once the hanging indents are taken out. */
		char *flat = strdup(s);
		assert_non_null(flat);
		size_t n = 0;
		for (size_t k = 0; flat[k]; k++) {
			bool blank = flat[k] == ' ' || flat[k] == '\n';
			if (blank && n && flat[n - 1] == ' ')
				continue;
			flat[n++] = blank ? ' ' : flat[k];
		}
		flat[n] = 0;
		assert_true(pa_contains(flat, f->reason));
		assert_true(pa_contains(flat, x->f[1].reason));
		free(flat);
		free(s);
	}
	/* At 80 the IPv4 rows keep a narrow FROM -> TO column: the IPv6
	 * pair goes under its row rather than widening every row. */
	char *s = text_at(x, 80, "w80.txt");
	const char *v6 = strstr(s, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
	assert_non_null(v6);
	const char *bol = v6;
	while (bol > s && bol[-1] != '\n')
		bol--;
	const char *t = bol;
	while (*t == ' ')
		t++;
	assert_true(t - bol > 2); /* under the row, not a row */
	assert_true(strncmp(t, "2001:db8", 8) == 0);
	free(s);
	fx_free(x);
}

/* The verdict block at a narrow width: the headline hangs after its
 * "VERDICT: ", the caveats after "caveat: ", the other lines by four. */
static void test_text_verdict(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	snprintf(x->res.caveats[1], sizeof x->res.caveats[1], "a second caveat "
	         "long enough to wrap at fifty columns, at a word");
	x->res.ncaveats = 2;
	x->res.summary.findings_dropped = 1;
	x->res.summary.kinds_dropped[CLS_K_UNEXPECTED] = 1;
	x->res.summary.kinds[CLS_K_UNEXPECTED]++;
	x->res.summary.fail_on = 1 << CLS_K_MISSING;
	cls_decide(&x->res, &x->st);
	char *s = text_at(x, 50, "v.txt");
	assert_true(widest(s, NULL) <= 50);
	assert_true(pa_contains(s, "\nNOT COMPLIANT with caveats: 1 missing\n"
	                           "  caveat: the capture is 9 seconds long; "
	                           "periodic\n"
	                           "          services may not show\n"
	                           "  caveat: a second caveat long enough to "
	                           "wrap at\n"
	                           "          fifty columns, at a word\n"
	                           "  Reported only, not failing the run "
	                           "(--fail-on\n"
	                           "    missing): 1 violation, 1 blocked, 2\n"));
	assert_true(pa_contains(s, "\n  60 flows judged: 55 expected, 50 "
	                           "unexpected, 1\n"
	                           "    violation, 2 blocked\n"));
	/* One thing is one thing. */
	assert_true(pa_contains(s, "\n  1 more finding was counted but not "
	                           "kept\n    (--max-findings)\n"));
	free(s);
	/* A long headline hangs after its colon (when that leaves room). */
	x->res.summary.fail_on = (1 << CLS_K_COUNT) - 1;
	cls_decide(&x->res, &x->st);
	s = text_at(x, 60, "v2.txt");
	assert_true(widest(s, NULL) <= 60);
	assert_true(pa_contains(s, "\nNOT COMPLIANT with caveats: 1 violation, "
	                           "1 blocked, 1\n"
	                           "                            missing, 2 "
	                           "unexpected\n"));
	free(s);
	/* Compliant: the verdict line says so; one flow is a flow. */
	x->res.nfindings = 0;
	memset(x->res.summary.kinds, 0, sizeof x->res.summary.kinds);
	memset(x->res.summary.kinds_dropped, 0,
	       sizeof x->res.summary.kinds_dropped);
	x->res.summary.findings_dropped = 0;
	x->res.ncaveats = 0;
	x->res.summary.flows = 1;
	x->res.summary.expected = 1;
	x->res.summary.unexpected = x->res.summary.violation =
		x->res.summary.blocked = 0;
	cls_decide(&x->res, &x->st);
	s = text_at(x, 80, "ok.txt");
	assert_true(pa_contains(s, "\nCOMPLIANT\n  1 flow judged: 1 expected"));
	free(s);
	/* Nothing read: not audited, and why, wrapped under its colon. */
	x->st.packets = 0;
	x->st.flows = 0; /* nothing read: no packet and no flow */
	cls_decide(&x->res, &x->st);
	s = text_at(x, 40, "na.txt");
	assert_true(widest(s, NULL) <= 40);
	assert_true(pa_contains(s, "\nNOT AUDITED: No packet was read"));
	assert_true(pa_contains(s, "\n             "));
	free(s);
	fx_free(x);
}


/* ---- CSV ----------------------------------------------------------------- */

struct csv {
	char *cell[64][32];
	unsigned ncols[64];
	unsigned nrows;
};

/* A strict RFC 4180 reader: CRLF rows, quoted fields with doubled quotes. */
static void csv_parse(const char *s, struct csv *c)
{
	memset(c, 0, sizeof *c);
	const char *p = s;
	while (*p) {
		assert_true(c->nrows < 64);
		unsigned col = 0;
		for (;;) {
			char buf[1024];
			size_t n = 0;
			if (*p == '"') {
				p++;
				for (;;) {
					assert_true(*p != 0);
					if (*p == '"' && p[1] == '"') {
						buf[n++] = '"';
						p += 2;
					} else if (*p == '"') {
						p++;
						break;
					} else {
						buf[n++] = *p++;
					}
					assert_true(n < sizeof buf - 1);
				}
			} else {
				while (*p && *p != ',' && *p != '\r' && *p != '\n') {
					assert_true(*p != '"');
					buf[n++] = *p++;
				}
			}
			buf[n] = 0;
			assert_true(col < 32);
			c->cell[c->nrows][col++] = strdup(buf);
			if (*p == ',') {
				p++;
				continue;
			}
			assert_true(p[0] == '\r' && p[1] == '\n');
			p += 2;
			break;
		}
		c->ncols[c->nrows++] = col;
	}
}

static void csv_free(struct csv *c)
{
	for (unsigned r = 0; r < c->nrows; r++)
		for (unsigned k = 0; k < c->ncols[r]; k++)
			free(c->cell[r][k]);
}

static int csv_col(const struct csv *c, const char *name)
{
	for (unsigned k = 0; k < c->ncols[0]; k++)
		if (strcmp(c->cell[0][k], name) == 0)
			return (int)k;
	fail_msg("no column %s", name);
	return -1;
}

static void test_csv(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char *s = fx_write(x, &rep_csv, "f.csv", 0);
	/* Quoting as RFC 4180 says, seen in the raw bytes. */
	assert_true(pa_contains(s, ",\"base+1 is local-only, \"\"never\"\" on "
	                           "the wire,\nyet seen <here> & there\"\r\n"));
	struct csv c;
	csv_parse(s, &c);
	assert_int_equal(c.nrows, 5);
	for (unsigned r = 0; r < c.nrows; r++)
		assert_int_equal(c.ncols[r], 18);
	assert_string_equal(c.cell[0][0], "kind");
	assert_string_equal(c.cell[1][csv_col(&c, "reason")], x->f[0].reason);
	assert_string_equal(c.cell[1][csv_col(&c, "kind")], "violation");
	assert_string_equal(c.cell[1][csv_col(&c, "server")], "10.0.0.5");
	assert_string_equal(c.cell[1][csv_col(&c, "first_seen")],
	                    "2026-01-05T10:00:01.000000Z");
	assert_string_equal(c.cell[2][csv_col(&c, "icmp_type")], "3");
	assert_string_equal(c.cell[2][csv_col(&c, "icmp_code")], "13");
	assert_string_equal(c.cell[3][csv_col(&c, "server")], "");
	assert_string_equal(c.cell[3][csv_col(&c, "outcome")], "");
	assert_string_equal(c.cell[4][csv_col(&c, "ports")], "1000-2000");
	assert_string_equal(c.cell[4][csv_col(&c, "nports")], "50");
	assert_string_equal(c.cell[4][csv_col(&c, "service")], "");
	csv_free(&c);
	free(s);

	/* No findings: the header row alone. */
	x->res.nfindings = 0;
	s = fx_write(x, &rep_csv, "empty.csv", 0);
	csv_parse(s, &c);
	assert_int_equal(c.nrows, 1);
	csv_free(&c);
	free(s);
	fx_free(x);
}

static void test_flows_csv(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char *s = fx_write(x, &rep_flows_csv, "flows.csv", 3);
	struct csv c;
	csv_parse(s, &c);
	assert_int_equal(c.nrows, 4);
	for (unsigned r = 0; r < c.nrows; r++)
		assert_int_equal(c.ncols[r], c.ncols[0]);
	assert_string_equal(c.cell[1][csv_col(&c, "src_ip")], "10.0.1.20");
	assert_string_equal(c.cell[1][csv_col(&c, "src_port")], "51000");
	assert_string_equal(c.cell[1][csv_col(&c, "dest_ip")], "10.0.0.5");
	assert_string_equal(c.cell[1][csv_col(&c, "dest_port")], "1960");
	assert_string_equal(c.cell[1][csv_col(&c, "vlan")], "100");
	assert_string_equal(c.cell[1][csv_col(&c, "verdict")], "expected");
	assert_string_equal(c.cell[1][csv_col(&c, "service")],
	                    x->cat.services[x->cf.service].id);
	assert_string_equal(c.cell[1][csv_col(&c, "server")], "10.0.0.5");
	assert_string_equal(c.cell[1][csv_col(&c, "outcome")], "closed");
	assert_string_equal(c.cell[1][csv_col(&c, "bytes_toclient")], "1500");
	assert_string_equal(c.cell[1][csv_col(&c, "reason")], x->cf.reason);
	assert_string_equal(c.cell[1][csv_col(&c, "flow_id")], "7");
	/* A flow outside any tunnel leaves the tunnel columns empty. */
	assert_string_equal(c.cell[1][csv_col(&c, "tunnel_kind")], "");
	assert_string_equal(c.cell[1][csv_col(&c, "tunnel_depth")], "");
	csv_free(&c);
	free(s);
	/* No flow at all: still a header. */
	s = fx_write(x, &rep_flows_csv, "noflows.csv", 0);
	csv_parse(s, &c);
	assert_int_equal(c.nrows, 1);
	assert_string_equal(c.cell[0][0], "flow_id");
	csv_free(&c);
	free(s);
	fx_free(x);
}

/* ---- JSON lines -------------------------------------------------------- */

/* EVE's flow.state: a flow seen midstream is closed by a FIN each way or
 * a RST, established otherwise; no reply is "new". */
static void test_eve_state(void **state)
{
	(void)state;
	struct cap_flow f;
	memset(&f, 0, sizeof f);
	struct cls_flow cf = { .flow = &f, .outcome = CAP_OUT_MIDSTREAM };
	f.flags[0] = f.flags[1] = CAP_TH_ACK;
	assert_string_equal(rep_eve_state(&cf), "established");
	f.flags[0] |= CAP_TH_FIN;
	assert_string_equal(rep_eve_state(&cf), "established");
	f.flags[1] |= CAP_TH_FIN;
	assert_string_equal(rep_eve_state(&cf), "closed");
	f.flags[0] = f.flags[1] = CAP_TH_ACK;
	f.flags[1] |= CAP_TH_RST;
	assert_string_equal(rep_eve_state(&cf), "closed");
	cf.outcome = CAP_OUT_ESTABLISHED;
	assert_string_equal(rep_eve_state(&cf), "established");
	cf.outcome = CAP_OUT_REJECTED;
	assert_string_equal(rep_eve_state(&cf), "closed");
	cf.outcome = CAP_OUT_UNANSWERED;
	assert_string_equal(rep_eve_state(&cf), "new");
}

static void test_jsonl(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char *s = fx_write(x, &rep_jsonl, "e.jsonl", 2);
	unsigned nflow = 0, nfinding = 0;
	char *save = NULL;
	for (char *line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *e = json_loads(line, 0, &je);
		if (!e)
			fail_msg("not JSON: %s: %s", je.text, line);
		assert_true(json_is_object(e));
		const char *type = json_string_value(json_object_get(e,
		                                     "event_type"));
		assert_non_null(type);
		if (strcmp(type, "flow") == 0) {
			nflow++;
			assert_int_equal(nfinding, 0); /* flows come first */
			assert_string_equal(json_string_value(json_object_get(e,
			                    "timestamp")), "2026-01-05T10:00:00.000000Z");
			assert_string_equal(json_string_value(json_object_get(e,
			                    "src_ip")), "10.0.1.20");
			assert_int_equal(json_integer_value(json_object_get(e,
			                 "src_port")), 51000);
			assert_string_equal(json_string_value(json_object_get(e,
			                    "dest_ip")), "10.0.0.5");
			assert_int_equal(json_integer_value(json_object_get(e,
			                 "dest_port")), 1960);
			assert_string_equal(json_string_value(json_object_get(e,
			                    "proto")), "TCP");
			json_t *v = json_object_get(e, "vlan");
			assert_true(json_is_array(v));
			assert_int_equal(json_integer_value(json_array_get(v, 0)), 100);
			json_t *fl = json_object_get(e, "flow");
			assert_int_equal(json_integer_value(json_object_get(fl,
			                 "pkts_toserver")), 6);
			assert_int_equal(json_integer_value(json_object_get(fl,
			                 "pkts_toclient")), 5);
			assert_int_equal(json_integer_value(json_object_get(fl,
			                 "bytes_toserver")), 600);
			assert_int_equal(json_integer_value(json_object_get(fl,
			                 "bytes_toclient")), 1500);
			assert_string_equal(json_string_value(json_object_get(fl,
			                    "end")), "2026-01-05T10:00:00.004000Z");
			assert_string_equal(json_string_value(json_object_get(fl,
			                    "state")), "closed");
			assert_true(json_is_false(json_object_get(fl,
			            "initiator_inferred")));
			assert_string_equal(json_string_value(json_object_get(e,
			                    "verdict")), "expected");
			assert_string_equal(json_string_value(json_object_get(e,
			                    "outcome")), "closed");
			assert_string_equal(json_string_value(json_object_get(e,
			                    "reason")), x->cf.reason);
			assert_true(json_is_string(json_object_get(e, "service")));
		} else {
			assert_string_equal(type, "finding");
			nfinding++;
			assert_true(json_is_string(json_object_get(e, "kind")));
			assert_true(json_is_string(json_object_get(e, "reason")));
			assert_true(json_is_integer(json_object_get(e, "flows")));
			assert_true(json_is_string(json_object_get(e, "timestamp")));
		}
		json_decref(e);
	}
	assert_int_equal(nflow, 2);
	assert_int_equal(nfinding, 4);
	free(s);

	/* ICMP: type and code instead of ports, EVE's protocol name. */
	x->flow.proto = 1;
	x->flow.port_b = 8 << 8;
	x->flow.vlan = 0;
	x->res.nfindings = 0;
	s = fx_write(x, &rep_jsonl, "icmp.jsonl", 1);
	json_t *e = json_loads(s, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "proto")),
	                    "ICMP");
	assert_null(json_object_get(e, "src_port"));
	assert_null(json_object_get(e, "vlan"));
	assert_int_equal(json_integer_value(json_object_get(e, "icmp_type")), 8);
	json_decref(e);
	free(s);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_schema_rejects),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_width),
		cmocka_unit_test(test_text_verdict),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_flows_csv),
		cmocka_unit_test(test_eve_state),
		cmocka_unit_test(test_jsonl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
