/*
 * it_text.c -- the terminal summary of the real binary fits the terminal:
 * no line wider than the width (the terminal's through a pseudo-terminal
 * from script(1), else $COLUMNS, else 80), on the demo and on captures
 * with IPv6 peers and a scan, with and without --all; a wider terminal is
 * used; every finding's reason is printed whole (compared with the JSON
 * report's); colour on a terminal, never with TERM=dumb or NO_COLOR.
 */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The widest line in characters (UTF-8 code points), a carriage return
 * before a newline (a pseudo-terminal's) and colour sequences left out. */
static size_t widest(const char *s)
{
	size_t best = 0, n = 0;
	for (const char *p = s;; p++) {
		if (*p == '\033' && p[1] == '[') {
			p += 2;
			while (*p && !(*p >= '@' && *p <= '~'))
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p == '\n' || !*p) {
			if (n > best)
				best = n;
			n = 0;
			if (!*p)
				break;
			continue;
		}
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (((unsigned char)*p & 0xC0) != 0x80)
			n++;
	}
	return best;
}

/* Every run of blanks and newlines as one blank. */
static char *flatten(const char *s)
{
	char *f = strdup(s);
	assert_non_null(f);
	size_t n = 0;
	for (size_t k = 0; f[k]; k++) {
		bool blank = f[k] == ' ' || f[k] == '\n' || f[k] == '\r';
		if (blank && n && f[n - 1] == ' ')
			continue;
		f[n++] = blank ? ' ' : f[k];
	}
	f[n] = 0;
	return f;
}

/* portaudit -r PCAP [--server S] [--all] [--json JSON] at $COLUMNS cols
 * (NULL: unset). */
static void run_srv(struct pa_result *r, const char *cols, const char *pcap,
                    const char *server, bool all, const char *json)
{
	if (cols)
		setenv("COLUMNS", cols, 1);
	else
		unsetenv("COLUMNS");
	const char *args[10];
	unsigned n = 0;
	args[n++] = "-r";
	args[n++] = pa_src(pcap);
	if (server) {
		args[n++] = "--server";
		args[n++] = server;
	}
	if (all)
		args[n++] = "--all";
	if (json) {
		args[n++] = "--json";
		args[n++] = json;
	}
	args[n] = NULL;
	pa_run(r, NULL, args);
	unsetenv("COLUMNS");
	if (r->status == 2)
		fail_msg("portaudit -r %s: %s", pcap, r->err);
}

static void run_at(struct pa_result *r, const char *cols, const char *pcap,
                   bool all, const char *json)
{
	run_srv(r, cols, pcap, NULL, all, json);
}

static void check_width(const char *what, const char *out, size_t cols)
{
	size_t w = widest(out);
	if (w > cols)
		fail_msg("%s: a line of %zu characters, wider than %zu:\n%s", what,
		         w, cols, out);
}

/* Every finding's reason, from the JSON report, is in the text whole. */
static void check_reasons(const char *what, const char *out,
                          const char *json)
{
	json_t *j = pa_load_json(json);
	json_t *fs = json_object_get(j, "findings");
	assert_true(json_is_array(fs));
	char *flat = flatten(out);
	size_t i;
	json_t *f;
	json_array_foreach(fs, i, f) {
		if (i >= 100) /* the text lists the first 100 without --all */
			break;
		const char *reason = json_string_value(json_object_get(f,
		                                                       "reason"));
		assert_non_null(reason);
		char *fr = flatten(reason);
		if (!strstr(flat, fr))
			fail_msg("%s: the reason \"%s\" is not whole in:\n%s", what,
			         reason, out);
		free(fr);
	}
	free(flat);
	json_decref(j);
}

/* No terminal: $COLUMNS, else 80. */
static void test_demo_widths(void **state)
{
	(void)state;
	struct pa_result r, r80;
	run_at(&r, NULL, "pcaps/demo.pcap", false, pa_tmp("demo.json"));
	assert_int_equal(r.status, 1);
	check_width("demo, no COLUMNS", r.out, 80);
	/* Laid out for 80, not merely short: a table uses the width. */
	assert_true(widest(r.out) >= 76);
	check_reasons("demo at 80", r.out, pa_tmp("demo.json"));
	run_at(&r80, "80", "pcaps/demo.pcap", false, NULL);
	assert_string_equal(r.out, r80.out);
	pa_result_free(&r80);
	pa_result_free(&r);

	static const char *const cols[] = { "60", "100", "132", "40" };
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		char what[64];
		size_t c = strtoul(cols[i], NULL, 10);
		snprintf(what, sizeof what, "demo at COLUMNS=%s", cols[i]);
		run_at(&r, cols[i], "pcaps/demo.pcap", false, pa_tmp("d.json"));
		check_width(what, r.out, c);
		check_reasons(what, r.out, pa_tmp("d.json"));
		/* A wider terminal is used. */
		if (c > 80)
			assert_true(widest(r.out) > 80);
		pa_result_free(&r);
	}
}

/* --all (every service row, every finding), IPv6 peers, a scan (not
 * audited without a server: the verdict's reason wraps; with the server:
 * a range finding). */
static void test_captures(void **state)
{
	(void)state;
	static const struct {
		const char *pcap, *server;
	} caps[] = {
		{ "pcaps/demo.pcap", NULL },
		{ "pcaps/cls_ipv6.pcap", NULL },
		{ "pcaps/ipv6.pcap", NULL },
		{ "pcaps/cls_scan.pcap", NULL },
		{ "pcaps/cls_scan.pcap", "10.0.0.5" },
	};
	static const char *const cols[] = { NULL, "60", "132" };
	for (size_t p = 0; p < sizeof caps / sizeof caps[0]; p++)
		for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
			for (int all = 0; all < 2; all++) {
				struct pa_result r;
				char what[128];
				snprintf(what, sizeof what, "%s%s at %s%s", caps[p].pcap,
				         caps[p].server ? " --server" : "",
				         cols[c] ? cols[c] : "80", all ? " --all" : "");
				run_srv(&r, cols[c], caps[p].pcap, caps[p].server, all,
				        pa_tmp("c.json"));
				check_width(what, r.out,
				            cols[c] ? strtoul(cols[c], NULL, 10) : 80);
				check_reasons(what, r.out, pa_tmp("c.json"));
				pa_result_free(&r);
			}
	/* The IPv6 addresses are never cut. */
	struct pa_result r;
	run_at(&r, "60", "pcaps/ipv6.pcap", false, NULL);
	assert_true(pa_contains(r.out, "2001:db8::5 ->"));
	assert_true(pa_contains(r.out, " 2001:db8:10::10\n"));
	assert_true(pa_contains(r.out, " 2001:db8:3::7\n"));
	pa_result_free(&r);
}

/* Through a pseudo-terminal: `stty cols N` is obeyed (TIOCGWINSZ), even
 * with $COLUMNS saying otherwise; colour unless TERM=dumb or NO_COLOR. */
static void script_run(struct pa_result *r, const char *stty)
{
	char cmd[3000];
	snprintf(cmd, sizeof cmd, "%s%s%s -r %s", stty ? stty : "",
	         stty ? "; " : "", getenv("PORTAUDIT"),
	         pa_src("pcaps/demo.pcap"));
	const char *argv[] = { "/usr/bin/env", "script", "-qec", cmd,
	                       "/dev/null", NULL };
	pa_exec(r, NULL, argv);
}

static void test_pty(void **state)
{
	(void)state;
	if (!pa_have("script")) {
		pa_skip("script(1) is not installed: no pseudo-terminal to test");
		return;
	}
	struct pa_result r;
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	unsetenv("COLUMNS");
	script_run(&r, "stty cols 80");
	assert_true(pa_contains(r.out, "NOT COMPLIANT"));
	check_width("pty at stty cols 80", r.out, 80);
	assert_true(widest(r.out) >= 76);
	/* A terminal with TERM=xterm: colour. */
	assert_true(pa_contains(r.out, "\033[1m\033[31mNOT COMPLIANT"));
	pa_result_free(&r);

	setenv("COLUMNS", "60", 1);
	script_run(&r, "stty cols 100");
	unsetenv("COLUMNS");
	check_width("pty at stty cols 100", r.out, 100);
	assert_true(widest(r.out) > 80); /* the terminal's 100, not COLUMNS */
	pa_result_free(&r);

	/* TERM=dumb: no colour, no escape at all. */
	setenv("TERM", "dumb", 1);
	script_run(&r, "stty cols 80");
	assert_true(pa_contains(r.out, "NOT COMPLIANT"));
	assert_null(strchr(r.out, '\033'));
	check_width("pty, TERM=dumb", r.out, 80);
	pa_result_free(&r);

	/* NO_COLOR: none either. */
	setenv("TERM", "xterm", 1);
	setenv("NO_COLOR", "1", 1);
	script_run(&r, "stty cols 80");
	assert_true(pa_contains(r.out, "NOT COMPLIANT"));
	assert_null(strchr(r.out, '\033'));
	pa_result_free(&r);
	unsetenv("NO_COLOR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_widths),
		cmocka_unit_test(test_captures),
		cmocka_unit_test(test_pty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
