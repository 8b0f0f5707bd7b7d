/* it_cli.c -- the command line contract: help, version, usage errors. */
#include "harness.h"

#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static void test_help(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "portaudit [options] -r FILE"));
	assert_true(pa_contains(r.out, "--fail-on"));
	pa_result_free(&r);
	pa_runl(&r, "--version", NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "portaudit "));
	pa_result_free(&r);
}

static void test_usage_errors(void **state)
{
	(void)state;
	static const struct {
		const char *args[8];
		const char *msg;
	} cases[] = {
		{ { "--bogus", NULL }, "unknown option '--bogus'" },
		{ { "--quiet=1", "-r", "x", NULL }, "option '--quiet' takes no value" },
		{ { "-r", "same.pcap", "-r", "same.pcap", NULL }, "are the same file: its packets would be counted twice" },
		{ { "--json", "a.json", "-r", "x", "--json", "b.json", NULL }, "--json given twice ('a.json', then 'b.json')" },
		{ { "--profile", "a.yaml", "--profile", "b.yaml", "-r", "x", NULL }, "--profile given twice" },
		{ { "-r", NULL }, "needs an argument" },
		{ { "--fail-on", "nope", "-r", "x", NULL }, "--fail-on: 'nope'" },
		{ { "-c", "12x", "-r", "x", NULL }, "-c: '12x' is not a whole number from 1 to " },
		{ { "-c", "-5", "-r", "x", NULL }, "-c: '-5' is not a whole number from 1 to " },
		{ { "--base-port", "70000", "-r", "x", NULL }, "--base-port: '70000' is not a whole number from 1 to 65535" },
		{ { "--base-port", "0", "-r", "x", NULL }, "--base-port: '0' is not a whole number from 1 to 65535" },
		{ { "--duration", "abc", "-i", "lo", NULL }, "--duration: 'abc' is not a number of seconds" },
		{ { "--duration", "5", "-r", "x", NULL }, "applies to live capture" },
		{ { "-s", "68", "-r", "x", NULL }, "-s applies to live capture (-i), not to -r FILE" },
		{ { "-p", "-r", "x", NULL }, "-p applies to live capture (-i), not to -r FILE" },
		{ { "-B", "4096", "-r", "x", NULL }, "-B applies to live capture (-i) and --collect" },
		{ { "-B", "4096", "--flows", "zeek:x", NULL }, "-B applies to live capture (-i) and --collect" },
		{ { "-i", "lo", "-r", "x", NULL }, "not both" },
		{ { "-q", NULL }, "nothing to read" },
		{ { "--max-flows", "3", "-r", "x", NULL }, "--max-flows: '3' is not a whole number from 16 to " },
		{ { "--evidence", "e.pcap", "-i", "lo", NULL }, "--evidence needs -r FILE: a live" },
		{ { "--evidence", "e.pcap", "-r", "-", NULL }, "--evidence needs -r FILE: standard input" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pa_result r;
		pa_run(&r, NULL, cases[i].args);
		assert_int_equal(r.status, 2);
		assert_true(pa_contains(r.err, cases[i].msg));
		assert_true(pa_contains(r.err, "portaudit: "));
		pa_result_free(&r);
	}
}

static void test_no_args(void **state)
{
	(void)state;
	struct pa_result r;
	const char *none[] = { NULL };
	pa_run(&r, NULL, none);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "Usage:"));
	pa_result_free(&r);
}

/* Every option --help names is documented in the man page. */
static void test_help_matches_man(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "--help", NULL);
	assert_int_equal(r.status, 0);
	char *man = pa_read_file(pa_src("docs/portaudit.1"), NULL);
	assert_non_null(man);
	unsigned checked = 0;
	for (const char *p = r.out; (p = strstr(p, "--")) != NULL; p += 2) {
		char opt[40];
		size_t n = 0;
		const char *q = p + 2;
		while (n < sizeof opt - 1 && ((*q >= 'a' && *q <= 'z') || *q == '-'))
			opt[n++] = *q++;
		opt[n] = 0;
		if (n < 2)
			continue;
		/* groff writes "--x-y" as "\-\-x\-y". */
		char esc[100];
		size_t k = 0;
		k += (size_t)snprintf(esc, sizeof esc, "\\-\\-");
		for (size_t i = 0; i < n && k < sizeof esc - 3; i++) {
			if (opt[i] == '-') {
				esc[k++] = '\\';
				esc[k++] = '-';
			} else {
				esc[k++] = opt[i];
			}
		}
		esc[k] = 0;
		assert_true(pa_contains(man, esc));
		checked++;
	}
	assert_true(checked >= 20);
	free(man);
	pa_result_free(&r);
}

/* -Z USER: reports are published after root is dropped, so they end up
 * owned by USER; an unknown user is an error that leaves no file. */
static void test_drop_user_reports(void **state)
{
	(void)state;
	struct passwd *pw = getpwnam("nobody");
	if (geteuid() != 0 || !pw)
		pa_skip("-Z needs root and the user 'nobody'");
	char dir[1024], json[1100], bad[1100];
	snprintf(dir, sizeof dir, "%s", pa_tmp("z"));
	assert_int_equal(mkdir(dir, 01777), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(chmod(pa_tmpdir(), 0755), 0);
	snprintf(json, sizeof json, "%s/r.json", dir);
	snprintf(bad, sizeof bad, "%s/bad.json", dir);
	struct pa_result r;
	pa_runl(&r, "-r", pa_src("pcaps/demo.pcap"), "-Z", "nobody", "-q",
	        "--json", json, NULL);
	assert_int_equal(r.status, 1); /* the demo has findings */
	struct stat sb;
	assert_int_equal(stat(json, &sb), 0);
	assert_int_equal(sb.st_uid, pw->pw_uid);
	json_decref(pa_load_json(json));
	pa_result_free(&r);
	pa_runl(&r, "-r", pa_src("pcaps/demo.pcap"), "-Z", "no-such-user-x",
	        "-q", "--json", bad, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "no-such-user-x"));
	assert_int_not_equal(stat(bad, &sb), 0);
	pa_result_free(&r);
}

/* The systemd unit in docs/ is one systemd accepts (with the binary under
 * test in place of the installed one). */
static void test_systemd_unit(void **state)
{
	(void)state;
	if (!pa_have("systemd-analyze"))
		pa_skip("no systemd-analyze on this machine");
	char *u = pa_read_file(pa_src("docs/portaudit@.service"), NULL);
	assert_non_null(u);
	assert_true(pa_contains(u, "NoNewPrivileges=yes"));
	assert_true(pa_contains(u, "ProtectSystem=strict"));
	assert_true(pa_contains(u, "PrivateTmp=yes"));
	assert_true(pa_contains(u, "CapabilityBoundingSet=CAP_NET_RAW "
	                           "CAP_NET_ADMIN"));
	/* the binary under test instead of /usr/local/bin/portaudit */
	const char *bin = getenv("PORTAUDIT");
	size_t cap = strlen(u) + 4096, n = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	for (const char *p = u; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p + 1) : strlen(p);
		if (strncmp(p, "Documentation=", 14) != 0) {
			const char *at = strstr(p, "/usr/local/bin/portaudit");
			if (at && at < p + len) {
				size_t pre = (size_t)(at - p);
				n += (size_t)snprintf(out + n, cap - n, "%.*s%s%.*s",
				        (int)pre, p, bin,
				        (int)(len - pre - 24), at + 24);
			} else {
				n += (size_t)snprintf(out + n, cap - n, "%.*s",
				                      (int)len, p);
			}
		}
		p += len;
	}
	char path[1100];
	snprintf(path, sizeof path, "%s", pa_tmp("portaudit@.service"));
	pa_write_file(path, out);
	free(out);
	free(u);
	const char *argv[] = { "/usr/bin/env", "systemd-analyze", "verify",
	                       path, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("systemd-analyze verify: %s%s", r.out, r.err);
	pa_result_free(&r);
}

/* What a command prints must reach standard output: to a full disk it is
 * exit 2 with the reason, not 0 with an "ok:" nobody saw. */
static void test_stdout_full(void **state)
{
	(void)state;
	const char *bin = getenv("PORTAUDIT");
	assert_non_null(bin);
	char site[1100];
	snprintf(site, sizeof site, "%s", pa_src("catalog/site-example.yaml"));
	static const char *const cmds[] = {
		"--help", "--version", "catalog show", "catalog show --json",
		"catalog check \"$1\"", "rules --profile \"$1\"",
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char script[200];
		snprintf(script, sizeof script, "exec \"$0\" %s >/dev/full",
		         cmds[i]);
		const char *argv[] = { "/bin/sh", "-c", script, bin, site, NULL };
		struct pa_result r;
		pa_exec(&r, NULL, argv);
		if (r.status != 2 || !pa_contains(r.err, "No space left on device"))
			fail_msg("portaudit %s >/dev/full: status %d, stderr: %s",
			         cmds[i], r.status, r.err);
		pa_result_free(&r);
	}
}

/* --server: the same server twice is one; a /0 prefix is printed as one
 * ("0.0.0.0/0"), not as the host 0.0.0.0. */
static void test_servers_given(void **state)
{
	(void)state;
	char demo[1100];
	snprintf(demo, sizeof demo, "%s", pa_src("pcaps/demo.pcap"));
	static const struct {
		const char *a, *b;
		const char *want;
	} cases[] = {
		{ "10.0.0.5", "10.0.0.5/32", "10.0.0.5" },
		{ "0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0" },
		{ "::/0", "::/0", "::/0" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pa_result r;
		pa_runl(&r, "-q", "--json", "-", "--server", cases[i].a,
		        "--server", cases[i].b, "-r", demo, NULL);
		json_t *j = json_loads(r.out, 0, NULL);
		assert_non_null(j);
		json_t *sv = json_object_get(j, "servers");
		assert_int_equal(json_array_size(sv), 1);
		assert_string_equal(json_string_value(json_object_get(
		        json_array_get(sv, 0), "address")), cases[i].want);
		json_decref(j);
		pa_result_free(&r);
	}
}

/* A filter that keeps no packet of a capture that has some: not audited,
 * and the reason is the filter, not an empty capture. */
static void test_filter_keeps_nothing(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "--json", "-", "-r", pa_src("pcaps/demo.pcap"), "host",
	        "192.0.2.99", NULL);
	assert_int_equal(r.status, 3);
	json_t *j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	const char *why = json_string_value(json_object_get(
	        json_object_get(j, "summary"), "not_audited_reason"));
	assert_non_null(why);
	assert_true(pa_contains(why, "No packet read matched the capture "
	                        "filter 'host 192.0.2.99'"));
	assert_true(pa_contains(r.err, "0: none read matched the filter"));
	assert_false(pa_contains(r.err, "holds no packets"));
	json_decref(j);
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_unit),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_no_args),
		cmocka_unit_test(test_help_matches_man),
		cmocka_unit_test(test_drop_user_reports),
		cmocka_unit_test(test_stdout_full),
		cmocka_unit_test(test_servers_given),
		cmocka_unit_test(test_filter_keeps_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
