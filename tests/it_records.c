/* it_records.c -- flow-record input through the real binary: the command
 * line's refusals, nfdump's files and failures (the real nfdump on files
 * softflowd and nfcapd wrote on the loopback; a stand-in nfdump program
 * for the output nfdump itself never prints), what the reports say, merge
 * with a packet report, and the collector (bind, --exporter, --duration,
 * SIGINT, the default privilege drop, and softflowd's records against
 * the capture's own report). */
#include "harness.h"
#include "test_report_fixture.h" /* sch_check */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Wait (up to ms) until a UDP socket is bound to port in this network
 * namespace (/proc/net/udp and udp6: the local port in hex), so that a
 * slow start (valgrind, a loaded machine) does not lose the exporter's
 * first datagrams; then a little longer, for the collector to have set
 * its signal handlers and dropped root after the bind. */
static bool port_bound(unsigned port)
{
	static const char *const files[] = { "/proc/net/udp",
		                             "/proc/net/udp6" };
	char want[16];
	snprintf(want, sizeof want, ":%04X ", port);
	for (unsigned i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		char line[512];
		bool found = false;
		while (f && !found && fgets(line, sizeof line, f)) {
			/* "  sl  local_address rem_address ..." */
			char *colon = strchr(line, ':');
			char *local = colon ? colon + 1 : NULL;
			if (local && (local = strchr(local + 1, ':')) &&
			    strncmp(local, want, strlen(want)) == 0)
				found = true;
		}
		if (f)
			fclose(f);
		if (found)
			return true;
	}
	return false;
}

static void wait_bound(unsigned port, unsigned ms)
{
	for (unsigned t = 0; t < ms && !port_bound(port); t += 20)
		sleep_ms(20);
	sleep_ms(300);
}

static pid_t spawn(const char *const *argv, const char *out, const char *err)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o >= 0)
			dup2(o, 1);
		if (e >= 0)
			dup2(e, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Wait at most ms for pid; -1 when it did not end (then it is killed). */
static int wait_for(pid_t pid, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	int st;
	while (now_ms() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static bool any_caveat(const json_t *rep, const char *text)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(rep, "caveats"), i, c)
		if (json_is_string(c) && strstr(json_string_value(c), text))
			return true;
	printf("no caveat says \"%s\"\n", text);
	return false;
}

static bool have_flow_tools(void)
{
	return pa_have("nfcapd") && pa_have("nfdump") && pa_have("softflowd");
}

/* softflowd -v 10 -A milli over pcaps/NAME.pcap into an nfcapd on the
 * loopback; the directory of its files. */
static const char *export_nfcapd(const char *name)
{
	static char dir[512];
	snprintf(dir, sizeof dir, "%s/nf-%s", pa_tmpdir(), name);
	assert_int_equal(mkdir(dir, 0755), 0);
	unsigned port = free_port();
	char ps[16], to[64], pcap[512], pid[600];
	snprintf(ps, sizeof ps, "%u", port);
	snprintf(to, sizeof to, "127.0.0.1:%u", port);
	snprintf(pcap, sizeof pcap, "%s", pa_src("pcaps/"));
	snprintf(pcap + strlen(pcap), sizeof pcap - strlen(pcap), "%s.pcap",
	         name);
	snprintf(pid, sizeof pid, "%.500s.pid", dir);
	const char *cap[] = { "nfcapd", "-w", dir, "-p", ps, "-b", "127.0.0.1",
	                      "-t", "3600", NULL };
	pid_t c = spawn(cap, pa_tmp("nfcapd.out"), pa_tmp("nfcapd.err"));
	sleep_ms(300);
	const char *sf[] = { "softflowd", "-d", "-r", pcap, "-n", to, "-p", pid,
	                     "-v", "10", "-A", "milli", NULL };
	pid_t s = spawn(sf, pa_tmp("sf.out"), pa_tmp("sf.err"));
	assert_int_equal(wait_for(s, 20000), 0);
	sleep_ms(300);
	kill(c, SIGTERM);
	assert_true(wait_for(c, 10000) >= 0);
	return dir;
}

/* ---- the command line -------------------------------------------------- */

static void usage_refused(const char *const *args, const char *says)
{
	struct pa_result r;
	pa_run(&r, NULL, args);
	if (r.status != 2 || !pa_contains(r.err, says))
		fail_msg("'%s ...': status %d, stderr: %s", args[0], r.status,
		         r.err);
	pa_result_free(&r);
}

static void test_usage(void **state)
{
	(void)state;
	const char *pcap = pa_src("pcaps/demo.pcap");
	const char *d = pa_tmpdir();
	{ const char *a[] = { "-r", pcap, "--flows", "nfdump:/x", NULL };
	  usage_refused(a, "give -r or --flows, not both"); }
	{ const char *a[] = { "--flows", "zeek:/a", "--flows", "nfdump:/b", NULL };
	  usage_refused(a, "one kind of flow record per run"); }
	{ const char *a[] = { "--collect", "netflow:2055", "-r", pcap, NULL };
	  usage_refused(a, "give -r or --collect, not both"); }
	{ const char *a[] = { "--collect", "netflow:2055", "--flows",
	                      "nfdump:/x", NULL };
	  usage_refused(a, "give --flows or --collect, not both"); }
	{ const char *a[] = { "-i", "lo", "--collect", "netflow:2055", NULL };
	  usage_refused(a, "give -i or --collect, not both"); }
	{ const char *a[] = { "--flows", "nfdump:/x", "--evidence", "e.pcap",
	                      NULL };
	  usage_refused(a, "--evidence needs packets"); }
	{ const char *a[] = { "--flows", "nfdump:/x", "tcp", "port", "80", NULL };
	  usage_refused(a, "a capture filter applies to packets"); }
	{ const char *a[] = { "--flows", "nfdump:/x", "-c", "10", NULL };
	  usage_refused(a, "-c applies to packets"); }
	{ const char *a[] = { "--flows", "sflow:/x", NULL };
	  usage_refused(a, "expected zeek:PATH or nfdump:PATH"); }
	{ const char *a[] = { "--flows", "nfdump:", NULL };
	  usage_refused(a, "the path is missing"); }
	{ const char *a[] = { "--collect", "2055", NULL };
	  usage_refused(a, "expected netflow:[ADDR:]PORT"); }
	{ const char *a[] = { "--exporter", "10.0.0.300", "--collect",
	                      "netflow:2055", NULL };
	  usage_refused(a, "--exporter: '10.0.0.300' is not an address"); }
	{ const char *a[] = { "-r", pcap, "--exporter", "10.0.0.1", NULL };
	  usage_refused(a, "--exporter applies to --collect"); }
	{ const char *a[] = { "--flows", "zeek:/x", "--exporter", "10.0.0.1",
	                      NULL };
	  usage_refused(a, "a conn.log names no exporter"); }
	{ const char *a[] = { "-r", pcap, "--sampling", "10", NULL };
	  usage_refused(a, "--sampling applies to --flows"); }
	{ const char *a[] = { "--flows", "nfdump:/x", "--sampling", "0", NULL };
	  usage_refused(a, "--sampling: '0' is not a whole number"); }
	{ const char *a[] = { "-r", pcap, "--skip-bad-records", NULL };
	  usage_refused(a, "--skip-bad-records applies to --flows"); }
	{ const char *a[] = { "--flows", "nfdump:/x", "--duration", "5", NULL };
	  usage_refused(a, "--duration applies to live capture (-i) and "
	                   "--collect"); }
	/* The collector's address, before anything is bound. */
	static const char *const bad[] = { "netflow:0", "netflow:65536",
		"netflow:x", "netflow:1.2.3:80", "netflow:[::1]80",
		"netflow:::1:80", "netflow:localhost:2055" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *a[] = { "--collect", bad[i], "--duration", "1", NULL };
		usage_refused(a, "expected [ADDR:]PORT");
	}
	(void)d;
}

/* ---- nfdump: errors ----------------------------------------------------- */

static void test_nfdump_errors(void **state)
{
	(void)state;
	struct pa_result r;
	/* missing, empty, stdin */
	pa_runl(&r, "--flows", "nfdump:/nonexistent/dir", "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "nfdump:/nonexistent/dir: cannot open: No such file"));
	pa_result_free(&r);
	const char *empty = pa_tmp("empty.nfcapd");
	pa_write_file(empty, "");
	pa_runl(&r, "--flows", "nfdump:-", "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "not from standard input"));
	pa_result_free(&r);
	char arg[600];
	snprintf(arg, sizeof arg, "nfdump:%s", empty);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "the file is empty"));
	pa_result_free(&r);
	if (!pa_have("nfdump"))
		pa_skip("nfdump is not installed");
	/* Not an nfcapd file: nfdump 1.7.1 says so and exits 0; its words
	 * are the error. */
	snprintf(arg, sizeof arg, "nfdump:%s", pa_src("pcaps/demo.pcap"));
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "nfdump failed"));
	assert_true(pa_contains(r.err, "bad magic"));
	pa_result_free(&r);
	/* With --skip-bad-records: a warning, and the report says what was
	 * not read instead of "the source holds none". */
	char out[600];
	snprintf(out, sizeof out, "%s", pa_tmp("badmagic.json"));
	pa_runl(&r, "--flows", arg, "--skip-bad-records", "--server",
	        "10.0.0.5", "--json", out, NULL);
	if (r.status != 3)
		fail_msg("status %d: %s", r.status, r.err);
	assert_true(pa_contains(r.err, "warning: nfdump:"));
	assert_true(pa_contains(r.err, "skipped (--skip-bad-records)"));
	/* (the terminal wraps the reason at its width: the JSON has it
	 * whole) */
	assert_true(pa_contains(r.out, "No flow record could be read"));
	assert_false(pa_contains(r.out, "holds none"));
	pa_result_free(&r);
	json_t *j = pa_load_json(out);
	const char *why = json_string_value(json_object_get(
		json_object_get(j, "summary"), "not_audited_reason"));
	assert_non_null(why);
	assert_true(pa_contains(why, "No flow record could be read (nfdump:"));
	assert_true(pa_contains(why, "bad magic"));
	const char *unread = json_string_value(json_object_get(
		json_object_get(j, "capture"), "unread"));
	assert_non_null(unread);
	assert_true(pa_contains(unread, "nfdump said:"));
	assert_true(pa_contains(unread, "bad magic"));
	json_decref(j);
	/* A directory without nfcapd files. */
	const char *dir = pa_tmp("nofiles");
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(arg, sizeof arg, "nfdump:%s", dir);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "Empty file list"));
	pa_result_free(&r);
	/* nfdump missing. */
	setenv("PORTAUDIT_NFDUMP", "/nonexistent/nfdump", 1);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	unsetenv("PORTAUDIT_NFDUMP");
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "is not installed"));
	assert_true(pa_contains(r.err, "apt-get install nfdump"));
	pa_result_free(&r);
}

/* A stand-in for nfdump (PORTAUDIT_NFDUMP) printing what the real one
 * does not: bad records, sampled ones, a failure with its message. */
static void fake_nfdump(const char *body, int status, const char *err)
{
	size_t len = strlen(body) + 1024;
	char *text = malloc(len);
	assert_non_null(text);
	const char *path = pa_tmp("fake-nfdump");
	snprintf(text, len,
	         "#!/bin/sh\n"
	         "[ \"$TZ\" = UTC0 ] || { echo 'TZ not UTC0' >&2; exit 9; }\n"
	         "cat <<'EOF'\n%sEOF\n"
	         "%s%s%s"
	         "exit %d\n", body, err ? "echo '" : "", err ? err : "",
	         err ? "' >&2\n" : "", status);
	pa_write_file(path, text);
	free(text);
	assert_int_equal(chmod(path, 0755), 0);
	setenv("PORTAUDIT_NFDUMP", path, 1);
}

#define REC(extra) \
	"{\n\t\"type\" : \"FLOW\",\n\t\"sampled\" : 0,\n" \
	"\t\"export_sysid\" : 1,\n" \
	"\t\"first\" : \"2026-01-05T10:00:00.000\",\n" \
	"\t\"last\" : \"2026-01-05T10:00:00.004\",\n" \
	"\t\"in_packets\" : 6,\n\t\"in_bytes\" : 600,\n" \
	"\t\"proto\" : 6,\n\t\"tcp_flags\" : \"...AP.SF\",\n" \
	"\t\"src_port\" : 51000,\n\t\"dst_port\" : 1960,\n" \
	"\t\"src4_addr\" : \"10.0.1.20\",\n\t\"dst4_addr\" : \"10.0.0.5\",\n" \
	extra \
	"\t\"ip4_router\" : \"127.0.0.1\",\n\t\"label\" : \"<none>\"\n}"
#define REV(extra) \
	"{\n\t\"type\" : \"FLOW\",\n\t\"sampled\" : 0,\n" \
	"\t\"export_sysid\" : 1,\n" \
	"\t\"first\" : \"2026-01-05T10:00:00.001\",\n" \
	"\t\"last\" : \"2026-01-05T10:00:00.004\",\n" \
	"\t\"in_packets\" : 3,\n\t\"in_bytes\" : 900,\n" \
	"\t\"proto\" : 6,\n\t\"tcp_flags\" : \"...AP.SF\",\n" \
	"\t\"src_port\" : 1960,\n\t\"dst_port\" : 51000,\n" \
	"\t\"src4_addr\" : \"10.0.0.5\",\n\t\"dst4_addr\" : \"10.0.1.20\",\n" \
	extra \
	"\t\"ip4_router\" : \"127.0.0.1\",\n\t\"label\" : \"<none>\"\n}"

static void test_nfdump_output(void **state)
{
	(void)state;
	char arg[600];
	snprintf(arg, sizeof arg, "nfdump:%s", pa_tmp("fake-dir"));
	mkdir(arg + 7, 0755);
	struct pa_result r;

	/* Two uniflows: one flow, paired; the times read as UTC. */
	fake_nfdump("[\n" REC("") ",\n" REV("") "]\n", 0, NULL);
	char out[600]; /* pa_tmp's buffers rotate */
	snprintf(out, sizeof out, "%s", pa_tmp("fake.json"));
	pa_runl(&r, "--flows", arg, "--json", out, "-q", NULL);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	json_t *j = pa_load_json(out);
	json_t *cap = json_object_get(j, "capture");
	json_t *rec = json_object_get(cap, "records");
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 2);
	assert_int_equal(json_integer_value(json_object_get(rec, "paired")), 1);
	assert_int_equal(json_integer_value(json_object_get(cap, "flows")), 1);
	assert_int_equal(json_integer_value(json_object_get(cap, "packets")), 9);
	assert_string_equal(json_string_value(json_object_get(cap, "start")),
	                    "2026-01-05T10:00:00.000000Z");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(cap, "sources"), 0)), arg);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(rec, "exporter_addresses"), 0)), "127.0.0.1");
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	char where[512] = "report";
	if (sch_check(schema, schema, j, where, sizeof where) != 0)
		fail_msg("schema: %s", where);
	json_decref(j);

	/* A record that does not map: an error naming it, or counted. */
	fake_nfdump("[\n" REC("") ",\n{\n\t\"type\" : \"FLOW\",\n"
	            "\t\"first\" : \"yesterday\"\n},\n" REV("") "]\n", 0, NULL);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "record 2 of nfdump's output"));
	assert_true(pa_contains(r.err, "\"first\"/\"last\""));
	pa_result_free(&r);
	pa_runl(&r, "--flows", arg, "--skip-bad-records", "--json", out, "-q",
	        NULL);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	j = pa_load_json(out);
	rec = json_object_get(json_object_get(j, "capture"), "records");
	assert_int_equal(json_integer_value(json_object_get(rec, "malformed")),
	                 1);
	assert_true(any_caveat(j, "1 malformed"));
	assert_true(json_is_null(json_object_get(json_object_get(j, "capture"),
	                                         "unread")));
	json_decref(j);

	/* nfdump read the records but said it skipped something (a file of
	 * the directory that is not an nfcapd file) and exited 0: an error,
	 * or with --skip-bad-records the records judged and a caveat that the
	 * source was not read whole. */
	fake_nfdump("[\n" REC("") ",\n" REV("") "]\n", 0,
	            "Open file x: bad magic: 0x0A0D");
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "bad magic"));
	pa_result_free(&r);
	pa_runl(&r, "--flows", arg, "--skip-bad-records", "--json", out, "-q",
	        NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.err, "nfdump said: Open file x: bad magic"));
	pa_result_free(&r);
	j = pa_load_json(out);
	cap = json_object_get(j, "capture");
	assert_int_equal(json_integer_value(json_object_get(cap, "flows")), 1);
	assert_true(pa_contains(json_string_value(json_object_get(cap, "unread")),
	                        "nfdump said: Open file x: bad magic"));
	assert_true(any_caveat(j, "A flow-record source was not read whole"));
	assert_true(json_is_true(json_object_get(json_object_get(j, "summary"),
	                                         "with_caveats")));
	json_decref(j);

	/* Not JSON at all, a record over 64 KiB, the output cut. */
	char *big = malloc(80000);
	assert_non_null(big);
	int n = snprintf(big, 80000, "[\n{\n\t\"type\" : \"FLOW\",\n"
	                 "\t\"label\" : \"");
	memset(big + n, 'x', 70000);
	snprintf(big + n + 70000, 80000 - (size_t)n - 70000, "\"\n}\n]\n");
	fake_nfdump(big, 0, NULL);
	free(big);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "longer than 65536 bytes"));
	pa_result_free(&r);
	fake_nfdump("[\n" REC("") ",\n{\n\t\"type\" : \"FLOW\",\n", 0, NULL);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "ends inside a record"));
	pa_result_free(&r);
	fake_nfdump("Segmentation fault\n", 0, NULL);
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "unexpected output from nfdump"));
	pa_result_free(&r);

	/* nfdump fails: its status and its own words. */
	fake_nfdump("[\n", 250, "stat() error /x: No such file");
	pa_runl(&r, "--flows", arg, "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "nfdump failed (exit status 250): "
	                               "stat() error /x: No such file"));
	pa_result_free(&r);

	/* No flow: not audited (3), said as such. */
	fake_nfdump("[\nNo matching flows\n]\n", 0, NULL);
	pa_runl(&r, "--flows", arg, "--server", "10.0.0.5", NULL);
	if (r.status != 3)
		fail_msg("status %d: %s", r.status, r.err);
	assert_true(pa_contains(r.out, "No flow record was read"));
	pa_result_free(&r);

	/* Sampled records: the rate unknown, the caveat. --exporter keeps
	 * only the records of its exporters (nfdump's router). */
	fake_nfdump("[\n" REC("\t\"sampled\" : 1,\n") ",\n" REV("") "]\n", 0,
	            NULL);
	pa_runl(&r, "--flows", arg, "--json", out, "-q", NULL);
	pa_result_free(&r);
	j = pa_load_json(out);
	rec = json_object_get(json_object_get(j, "capture"), "records");
	assert_true(json_is_true(json_object_get(rec, "sampled")));
	assert_true(json_is_null(json_object_get(rec, "sampling")));
	assert_true(any_caveat(j, "were sampled, at a rate they do not state"));
	json_decref(j);
	pa_runl(&r, "--flows", arg, "--exporter", "10.9.0.0/16", "--json", out,
	        "-q", NULL);
	if (r.status != 3)
		fail_msg("status %d: %s", r.status, r.err);
	pa_result_free(&r);
	j = pa_load_json(out);
	rec = json_object_get(json_object_get(j, "capture"), "records");
	assert_int_equal(json_integer_value(json_object_get(rec,
	                 "ignored_exporters")), 2);
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 0);
	json_decref(j);
	pa_runl(&r, "--flows", arg, "--exporter", "127.0.0.0/8", "--sampling",
	        "100", "--json", out, "-q", NULL);
	pa_result_free(&r);
	j = pa_load_json(out);
	rec = json_object_get(json_object_get(j, "capture"), "records");
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 2);
	assert_int_equal(json_integer_value(json_object_get(rec, "sampling")),
	                 100);
	assert_true(any_caveat(j, "sampled 1 in 100 packets"));
	json_decref(j);

	/* A biflow (out_packets): one record, both ways. */
	fake_nfdump("[\n" REC("\t\"out_packets\" : 3,\n\t\"out_bytes\" : 900,\n")
	            "]\n", 0, NULL);
	pa_runl(&r, "--flows", arg, "--json", out, "-q", NULL);
	pa_result_free(&r);
	j = pa_load_json(out);
	cap = json_object_get(j, "capture");
	rec = json_object_get(cap, "records");
	assert_int_equal(json_integer_value(json_object_get(cap, "flows")), 1);
	assert_int_equal(json_integer_value(json_object_get(cap, "packets")), 9);
	assert_true(json_is_true(json_object_get(rec, "biflow_flags_guessed")));
	json_decref(j);
	json_decref(schema);
	unsetenv("PORTAUDIT_NFDUMP");
}

/* ---- nfdump: the real thing -------------------------------------------- */

static void test_nfdump_reports(void **state)
{
	(void)state;
	if (!have_flow_tools())
		pa_skip("nfcapd, nfdump or softflowd is not installed");
	const char *dir = export_nfcapd("demo");
	char arg[600];
	snprintf(arg, sizeof arg, "nfdump:%s", dir);
	const char *js = pa_tmp("demo-flows.json");
	const char *html = pa_tmp("demo-flows.html");
	struct pa_result r;
	pa_runl(&r, "--flows", arg, "--json", js, "--html", html, NULL);
	if (r.status != 1)
		fail_msg("status %d: %s", r.status, r.err);
	/* The terminal: the source with its kind, the records, caveats. */
	assert_true(pa_contains(r.out, arg));
	assert_true(pa_contains(r.out, "records     30 read, 13 paired"));
	assert_true(pa_contains(r.out, "caveat: Audited from nfdump records"));
	assert_true(pa_contains(r.out, "NOT COMPLIANT with caveats: 3 "
	                               "violations, 3 blocked"));
	pa_result_free(&r);
	char *h = pa_read_file(html, NULL);
	assert_non_null(h);
	assert_true(pa_contains(h, "<dt>Records</dt><dd>30 read, 13 paired"));
	free(h);
	json_t *j = pa_load_json(js);
	json_t *rec = json_object_get(json_object_get(j, "capture"), "records");
	assert_string_equal(json_string_value(json_object_get(rec, "kind")),
	                    "nfdump");
	assert_true(json_is_true(json_object_get(rec, "unreachable_inferred")));
	json_decref(j);

	/* merge: the flow report with the capture's own; counters summed,
	 * sources one after the other, the records kept. */
	const char *pk = pa_tmp("demo-packets.json");
	pa_runl(&r, "-r", pa_src("pcaps/demo.pcap"), "--json", pk, "-q", NULL);
	pa_result_free(&r);
	const char *m = pa_tmp("merged.json");
	pa_runl(&r, "merge", js, pk, "--json", m, "-q", NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	j = pa_load_json(m);
	json_t *c = json_object_get(j, "capture");
	json_t *src = json_object_get(c, "sources");
	assert_int_equal(json_array_size(src), 2);
	assert_string_equal(json_string_value(json_array_get(src, 0)), arg);
	assert_int_equal(json_integer_value(json_object_get(c, "flows")), 32);
	rec = json_object_get(c, "records");
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 30);
	assert_int_equal(json_array_size(json_object_get(c, "linktypes")), 1);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(j, "summary"), "flows")), 32);
	assert_string_equal(json_string_value(json_object_get(rec, "kind")),
	                    "nfdump");
	json_decref(j);

	/* With a Zeek report too: the records are of two kinds, and the
	 * merged report does not call them all nfdump's. */
	const char *log = pa_tmp("one.conn.log");
	pa_write_file(log, "#separator \\x09\n#fields\tts\tuid\tid.orig_h\t"
	              "id.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n"
	              "1.0\tC1\t10.0.1.20\t40000\t10.0.0.5\t1960\ttcp\tSF\n");
	char zarg[600];
	snprintf(zarg, sizeof zarg, "zeek:%s", log);
	const char *zj = pa_tmp("zeek.json");
	pa_runl(&r, "--flows", zarg, "--json", zj, "-q", NULL);
	pa_result_free(&r);
	pa_runl(&r, "merge", js, zj, "--json", m, "-q", NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	j = pa_load_json(m);
	rec = json_object_get(json_object_get(j, "capture"), "records");
	assert_string_equal(json_string_value(json_object_get(rec, "kind")),
	                    "mixed");
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 31);
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	char where[512] = "report";
	if (sch_check(schema, schema, j, where, sizeof where) != 0)
		fail_msg("schema: %s", where);
	json_decref(schema);
	json_decref(j);
}

/* ---- the collector ------------------------------------------------------ */

static void test_collect_bind_and_duration(void **state)
{
	(void)state;
	/* A port someone holds: an error before anything else. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &l);
	char arg[64];
	snprintf(arg, sizeof arg, "netflow:127.0.0.1:%u", ntohs(a.sin_port));
	struct pa_result r;
	pa_runl(&r, "--collect", arg, "--duration", "5", "-q", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "cannot bind: Address already in use"));
	pa_result_free(&r);
	close(fd);

	/* Nothing comes: --duration ends it on time; not audited. */
	snprintf(arg, sizeof arg, "netflow:127.0.0.1:%u", free_port());
	uint64_t t0 = now_ms();
	const char *js = pa_tmp("idle.json");
	pa_runl(&r, "--collect", arg, "--duration", "1", "--json", js,
	        "--server", "10.0.0.5", "-Z", "root", NULL);
	uint64_t took = now_ms() - t0;
	assert_int_equal(r.status, 3);
	assert_true(took >= 1000 && took < 4000);
	assert_true(pa_contains(r.out, "No flow record was received"));
	pa_result_free(&r);
	json_t *j = pa_load_json(js);
	json_t *c = json_object_get(j, "capture");
	assert_true(json_is_true(json_object_get(c, "live")));
	assert_true(json_is_string(json_object_get(c, "host")));
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(c, "sources"), 0)), arg);
	json_decref(j);

	/* [::1] and the IPv6 wildcard bind too. */
	snprintf(arg, sizeof arg, "netflow:[::1]:%u", free_port());
	pa_runl(&r, "--collect", arg, "--duration", "0.2", "-q", NULL);
	assert_int_equal(r.status, 3);
	pa_result_free(&r);
}

/* SIGINT ends the collector and the report is written; started as root
 * without -Z, the collector drops to an unprivileged user after the bind
 * (as a live capture does); --exporter keeps softflowd's datagrams (from
 * 127.0.0.1) out. */
static void test_collect_signal_z_exporter(void **state)
{
	(void)state;
	unsigned port = free_port();
	char arg[64], to[64];
	snprintf(arg, sizeof arg, "netflow:127.0.0.1:%u", port);
	snprintf(to, sizeof to, "127.0.0.1:%u", port);
	const char *out = pa_tmp("collect.out"), *err = pa_tmp("collect.err");
	bool root = geteuid() == 0;
	const char *argv[] = { getenv("PORTAUDIT"), "--collect", arg,
	                       "--exporter", "10.9.9.9", "--json", "-", "-q",
	                       NULL };
	pid_t pid = spawn(argv, out, err);
	wait_bound(port, 30000);
	if (root) {
		/* dropped after the bind (soon after: wait for it, up to 30 s
		 * for a slow start) */
		unsigned uid = 0;
		for (unsigned t = 0; t < 30000 && uid == 0; t += 50) {
			char v[128];
			assert_true(pa_proc_status(pid, "Uid", v, sizeof v));
			uid = (unsigned)strtoul(v, NULL, 10);
			if (uid == 0)
				sleep_ms(50);
		}
		assert_true(uid != 0);
	}
	if (pa_have("softflowd")) {
		const char *sf[] = { "softflowd", "-d", "-r",
		                     pa_src("pcaps/demo.pcap"), "-n", to, "-p",
		                     pa_tmp("sf2.pid"), "-v", "10", NULL };
		pid_t s = spawn(sf, pa_tmp("sf2.out"), pa_tmp("sf2.err"));
		assert_int_equal(wait_for(s, 20000), 0);
		sleep_ms(300);
	}
	kill(pid, SIGINT);
	assert_int_equal(wait_for(pid, 10000), 3); /* nothing judged */
	json_t *j = pa_load_json(out);
	json_t *c = json_object_get(j, "capture");
	assert_true(json_is_true(json_object_get(c, "interrupted")));
	json_t *rec = json_object_get(c, "records");
	assert_string_equal(json_string_value(json_object_get(rec, "kind")),
	                    "netflow");
	if (pa_have("softflowd"))
		assert_true(json_integer_value(json_object_get(rec,
		            "ignored_exporters")) >= 1);
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 0);
	json_decref(j);
}

/* softflowd's IPFIX (nanosecond times) straight into the collector: the
 * same findings as the capture's own report. */
static void test_collect_softflowd(void **state)
{
	(void)state;
	if (!pa_have("softflowd"))
		pa_skip("softflowd is not installed");
	unsigned port = free_port();
	char arg[64], to[64];
	snprintf(arg, sizeof arg, "netflow:127.0.0.1:%u", port);
	snprintf(to, sizeof to, "127.0.0.1:%u", port);
	const char *out = pa_tmp("c2.json"), *err = pa_tmp("c2.err");
	const char *argv[] = { getenv("PORTAUDIT"), "--collect", arg,
	                       "--exporter", "127.0.0.1", "--json", out, "-q",
	                       "-Z", "root", NULL };
	pid_t pid = spawn(argv, pa_tmp("c2.out"), err);
	wait_bound(port, 30000);
	const char *sf[] = { "softflowd", "-d", "-r", pa_src("pcaps/demo.pcap"),
	                     "-n", to, "-p", pa_tmp("sf3.pid"), "-v", "10",
	                     "-A", "nano", NULL };
	pid_t s = spawn(sf, pa_tmp("sf3.out"), pa_tmp("sf3.err"));
	assert_int_equal(wait_for(s, 20000), 0);
	sleep_ms(500);
	kill(pid, SIGTERM);
	int st = wait_for(pid, 10000);
	if (st != 1) {
		char *e = pa_read_file(err, NULL);
		fail_msg("collector status %d: %s", st, e ? e : "");
	}
	json_t *fl = pa_load_json(out);
	const char *pk = pa_tmp("c2-packets.json");
	struct pa_result r;
	pa_runl(&r, "-r", pa_src("pcaps/demo.pcap"), "--json", pk, "-q", NULL);
	pa_result_free(&r);
	json_t *p = pa_load_json(pk);
	/* Every finding of the packets, in the same order; and one more:
	 * softflowd stamps both directions of a flow with the flow's own
	 * start, so the WMI dynamic connection between two ephemeral ports
	 * (40301, 49667) has no earlier side and is guessed the wrong way
	 * round (it_flows.c: R_MS_TIE). */
	json_t *ff = json_object_get(fl, "findings");
	json_t *pf = json_object_get(p, "findings");
	assert_int_equal(json_array_size(ff), json_array_size(pf) + 1);
	for (size_t i = 0; i < json_array_size(pf); i++) {
		static const char *const k[] = { "kind", "protocol", "port",
		                                 "server", "peer", "initiator",
		                                 "outcome", "service" };
		for (size_t n = 0; n < 8; n++)
			assert_true(json_equal(
				json_object_get(json_array_get(pf, i), k[n]),
				json_object_get(json_array_get(ff, i), k[n])));
	}
	json_t *extra = json_array_get(ff, json_array_size(pf));
	assert_int_equal(json_integer_value(json_object_get(extra, "port")),
	                 40301);
	assert_string_equal(json_string_value(json_object_get(extra,
	                    "initiator")), "peer");
	json_t *rec = json_object_get(json_object_get(fl, "capture"), "records");
	assert_int_equal(json_integer_value(json_object_get(rec, "records")), 30);
	assert_int_equal(json_integer_value(json_object_get(rec,
	                 "sequence_gaps")), 0);
	json_decref(fl);
	json_decref(p);
}

static int unset_nfdump(void **state)
{
	(void)state;
	unsetenv("PORTAUDIT_NFDUMP");
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test_teardown(test_nfdump_errors, unset_nfdump),
		cmocka_unit_test_teardown(test_nfdump_output, unset_nfdump),
		cmocka_unit_test(test_nfdump_reports),
		cmocka_unit_test(test_collect_bind_and_duration),
		cmocka_unit_test(test_collect_signal_z_exporter),
		cmocka_unit_test(test_collect_softflowd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
