/* it_capture.c -- the real binary's capture errors and stdin input. */
#include "harness.h"

#include <glob.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

static void expect_fail(const char *msg, const char *a1, const char *a2,
                        const char *a3, const char *a4)
{
	struct pa_result r;
	pa_runl(&r, "-q", a1, a2, a3, a4, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: "));
	assert_true(pa_contains(r.err, msg));
	/* one line, no report on stdout */
	assert_int_equal(r.outlen, 0);
	pa_result_free(&r);
}

static void test_file_errors(void **state)
{
	(void)state;
	expect_fail("nosuch.pcap: cannot open: No such file or directory", "-r",
	            pa_tmp("nosuch.pcap"), NULL, NULL);
	const char *txt = pa_tmp("text.pcap");
	pa_write_file(txt, "hello, I am not a capture\n");
	expect_fail("text.pcap: not a pcap or pcapng file (", "-r", txt, NULL,
	            NULL);
	const char *empty = pa_tmp("empty.pcap");
	pa_write_file(empty, "");
	expect_fail("empty.pcap: empty file (0 bytes)", "-r", empty, NULL, NULL);
	/* a good file then a bad one: still an error, not a half report */
	expect_fail("text.pcap: not a pcap", "-r", pa_src("pcaps/demo.pcap"),
	            "-r", txt);
	expect_fail("bad filter 'tcp port': ", "-r", pa_src("pcaps/demo.pcap"),
	            "tcp", "port");
}

static void test_missing_interface(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "-i", "nosuchif0", "--duration", "1", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: nosuchif0: "));
	if (geteuid() == 0)
		assert_true(pa_contains(r.err, "no such interface"));
	/* one line */
	assert_non_null(strchr(r.err, '\n'));
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));
	pa_result_free(&r);
}

static void test_stdin(void **state)
{
	(void)state;
	const char *bin = getenv("PORTAUDIT");
	assert_non_null(bin);
	const char *json = pa_tmp("stdin.json");
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
	         "exec '%s' -q --fail-on none --json '%s' -r - < '%s'", bin, json,
	         pa_src("pcaps/demo.pcap"));
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	/* the same from a pipe (no size: no progress bar, still read) */
	snprintf(cmd, sizeof cmd,
	         "cat '%s' | '%s' -q --fail-on none -r -",
	         pa_src("pcaps/demo.pcap"), bin);
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	/* stdin that is not a capture */
	snprintf(cmd, sizeof cmd, "echo hello | '%s' -q -r -", bin);
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "stdin: not a pcap or pcapng file"));
	pa_result_free(&r);
	json_t *j = pa_load_json(json);
	json_t *cap = json_object_get(j, "capture");
	assert_non_null(cap);
	assert_true(json_integer_value(json_object_get(cap, "packets")) > 0);
	assert_true(json_is_false(json_object_get(cap, "truncated")));
	json_decref(j);
}

static void test_truncated_json(void **state)
{
	(void)state;
	/* demo.pcap cut in the middle of its last record */
	size_t len;
	char *data = pa_read_file(pa_src("pcaps/demo.pcap"), &len);
	assert_non_null(data);
	const char *cut = pa_tmp("cut.pcap");
	FILE *f = fopen(cut, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len - 7, f), len - 7);
	fclose(f);
	free(data);
	const char *json = pa_tmp("cut.json");
	struct pa_result r;
	pa_runl(&r, "-q", "--fail-on", "none", "--json", json, "-r", cut, NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.err, "cut.pcap: truncated"));
	pa_result_free(&r);
	json_t *j = pa_load_json(json);
	json_t *cap = json_object_get(j, "capture");
	assert_true(json_is_true(json_object_get(cap, "truncated")));
	assert_true(json_integer_value(json_object_get(cap, "packets")) > 0);
	json_t *sum = json_object_get(j, "summary");
	assert_non_null(sum);
	assert_true(json_integer_value(json_object_get(sum, "flows")) > 0);
	/* The verdict covers what was read, and says the rest was not. */
	assert_true(json_is_true(json_object_get(sum, "with_caveats")));
	assert_true(pa_has_caveat(j, "ended inside a packet record"));
	json_decref(j);
}

/* The same capture gives the same reports on every run, although every
 * run draws new hash keys (flow table, classification, fragments): no
 * report may depend on them. Every bundled capture, twice, all formats
 * and the terminal summary, byte for byte. */
static void test_reproducible(void **state)
{
	(void)state;
	static const char *const outs[] = { "rep.json", "rep.jsonl", "rep.csv",
	                                    "rep.flows.csv" };
	static const char *const opts[] = { "--json", "--jsonl", "--csv",
	                                    "--flows-csv" };
	glob_t g;
	assert_int_equal(glob(pa_src("pcaps/*.pcap"), 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 20);
	for (size_t k = 0; k < g.gl_pathc; k++) {
		char *first[4];
		size_t firstlen[4];
		char *firstout = NULL;
		for (int run = 0; run < 2; run++) {
			char paths[4][512];
			const char *args[16];
			int n = 0;
			args[n++] = "-r";
			args[n++] = g.gl_pathv[k];
			for (int i = 0; i < 4; i++) {
				snprintf(paths[i], sizeof paths[i], "%s",
				         pa_tmp(outs[i]));
				args[n++] = opts[i];
				args[n++] = paths[i];
			}
			args[n] = NULL;
			struct pa_result r;
			pa_run(&r, NULL, args);
			assert_true(r.status == 0 || r.status == 1 ||
			            r.status == 3);
			for (int i = 0; i < 4; i++) {
				size_t len;
				char *text = pa_read_file(paths[i], &len);
				assert_non_null(text);
				if (run == 0) {
					first[i] = text;
					firstlen[i] = len;
					continue;
				}
				if (len != firstlen[i] ||
				    memcmp(text, first[i], len) != 0)
					fail_msg("%s: %s differs between two runs",
					         g.gl_pathv[k], opts[i]);
				free(text);
				free(first[i]);
			}
			if (run == 0) {
				firstout = strdup(r.out);
			} else {
				if (strcmp(firstout, r.out) != 0)
					fail_msg("%s: the terminal summary differs "
					         "between two runs", g.gl_pathv[k]);
				free(firstout);
			}
			pa_result_free(&r);
		}
	}
	globfree(&g);
}

/* A capture cut by a small snaplen (tcpdump's old -s 68, or less) keeps
 * every TCP segment whose fixed header was captured, options cut or not:
 * the demo's refused and unanswered SYNs are found as in the whole
 * capture. */
static void test_snaplen_options_cut(void **state)
{
	(void)state;
	const char *gen = getenv("PCAPGEN");
	if (!gen)
		gen = "build/rel/pcapgen";
	char *demo = pa_read_file(pa_src("pcaps/demo.flows"), NULL);
	assert_non_null(demo);
	size_t n = strlen(demo) + 32;
	char *text = malloc(n);
	assert_non_null(text);
	snprintf(text, n, "snaplen 62\n%s", demo);
	free(demo);
	const char *flows = pa_tmp("snap62.flows");
	pa_write_file(flows, text);
	free(text);
	char pcap[1100];
	snprintf(pcap, sizeof pcap, "%s", pa_tmp("snap62.pcap"));
	const char *argv[] = { gen, flows, pcap, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	json_int_t want[2], got[2];
	const char *files[2] = { pa_src("pcaps/demo.pcap"), pcap };
	for (int k = 0; k < 2; k++) {
		char file[1100];
		snprintf(file, sizeof file, "%s", files[k]);
		pa_runl(&r, "-q", "--json", "-", "-r", file, NULL);
		assert_int_equal(r.status, 1);
		json_t *j = json_loads(r.out, 0, NULL);
		assert_non_null(j);
		json_t *sum = json_object_get(j, "summary");
		json_int_t *v = k ? got : want;
		/* the SYNs' findings: refused, unanswered (an ICMP error's
		 * quote is cut at 62 bytes, its flow no longer matched) */
		v[0] = 0;
		size_t x;
		json_t *fd;
		json_array_foreach(json_object_get(j, "findings"), x, fd) {
			const char *oc = json_string_value(json_object_get(fd,
			                                   "outcome"));
			v[0] += strcmp(json_string_value(json_object_get(fd,
			               "kind")), "blocked") == 0 &&
			        (strcmp(oc, "rejected") == 0 ||
			         strcmp(oc, "unanswered") == 0);
		}
		v[1] = json_integer_value(json_object_get(sum, "violation"));
		if (k) {
			json_t *an = json_object_get(json_object_get(j, "capture"),
			                             "anomalies");
			assert_int_equal(json_integer_value(json_object_get(an,
			                 "trunc_tcp")), 0);
			assert_true(json_integer_value(json_object_get(an,
			            "snaplen_cut")) > 0);
		}
		json_decref(j);
		pa_result_free(&r);
	}
	assert_true(want[0] >= 2);
	assert_int_equal(got[0], want[0]);
	assert_int_equal(got[1], want[1]);
}

/* A capture that portaudit itself stops (-c) right after a SYN: the
 * missing answer is no fact, so no blocked finding, and a caveat says
 * why. The same SYN in the whole capture was answered. */
static void test_count_cuts_attempt(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-q", "--json", "-", "--server", "10.0.0.5", "-c", "16",
	        "-r", pa_src("pcaps/cls_clean.pcap"), NULL);
	assert_int_equal(r.status, 0);
	json_t *j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	json_t *sum = json_object_get(j, "summary");
	assert_string_equal(json_string_value(json_object_get(sum, "verdict")),
	                    "compliant");
	assert_int_equal(json_integer_value(json_object_get(sum, "blocked")), 0);
	assert_true(json_is_true(json_object_get(sum, "with_caveats")));
	assert_true(pa_has_caveat(j, "had no reply yet when the capture ended"));
	json_decref(j);
	pa_result_free(&r);
}

/* The JSON-lines stream on a full disk: the error is the disk's (ENOSPC),
 * said when it happens, not an "Input/output error" at the end. */
static void test_jsonl_disk_full(void **state)
{
	(void)state;
	char dir[1100], cmd[2400], out[1200];
	snprintf(dir, sizeof dir, "%s", pa_tmp("small"));
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=64k tmpfs '%s' "
	         "2>/dev/null && head -c 60000 /dev/zero > '%s/fill'", dir, dir);
	if (system(cmd) != 0)
		pa_skip("cannot mount a small tmpfs here (needs root)");
	snprintf(out, sizeof out, "%s/x.jsonl", dir);
	struct pa_result r;
	pa_runl(&r, "-q", "--jsonl", out, "-r", pa_src("pcaps/demo.pcap"), NULL);
	snprintf(cmd, sizeof cmd, "umount '%s'", dir);
	int um = system(cmd);
	assert_int_equal(r.status, 2);
	if (!pa_contains(r.err, "x.jsonl: write error: No space left on device") ||
	    pa_contains(r.err, "Input/output error"))
		fail_msg("not the disk's error: %s", r.err);
	assert_true(pa_contains(r.err, "its lines are lost until a SIGHUP"));
	pa_result_free(&r);
	assert_int_equal(um, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_snaplen_options_cut),
		cmocka_unit_test(test_count_cuts_attempt),
		cmocka_unit_test(test_jsonl_disk_full),
		cmocka_unit_test(test_missing_interface),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_truncated_json),
		cmocka_unit_test(test_reproducible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
