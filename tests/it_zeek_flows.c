/*
 * it_zeek_flows.c -- the real binary on Zeek's conn.logs: `portaudit
 * --flows zeek:PATH` (PRODUCT.md) against `portaudit -r TRACE` on the
 * traces Zeek wrote them from (../shared/zeek), and the reader's inputs and
 * errors through the command line.
 *
 * The differences it allows are those of
 * test_zeek_traces.c, which compares cap_zeek_read with cap_run directly:
 * on these traces only the half-duplex one's summary differs (Zeek split 5
 * connections after 5 s without an answer).
 */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

static bool have_traces(void)
{
	return access(pa_src("../shared/zeek/get.conn.log"), R_OK) == 0;
}

/* Every address a server, so that every flow is judged. */
#define SERVERS "--server", "0.0.0.0/0", "--server", "::/0"

#define MAXK 64

struct report {
	char f[MAXK][200];
	unsigned n;
	int status;
};

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The findings (and the summary's counts) of a JSON report, one line each,
 * sorted. */
static void load_report(struct report *rep, const char *path, int status)
{
	json_t *j = pa_load_json(path);
	rep->n = 0;
	rep->status = status;
	json_t *fs = json_object_get(j, "findings");
	assert_true(json_is_array(fs));
	size_t i;
	json_t *f;
	json_array_foreach(fs, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "kind")),
		           "missing") == 0)
			continue;
		assert_true(rep->n < MAXK);
		snprintf(rep->f[rep->n++], 200, "%s %s %lld %s %s init=%s %s "
		         "flows=%lld packets=%lld",
		         json_string_value(json_object_get(f, "kind")),
		         json_string_value(json_object_get(f, "protocol")),
		         json_integer_value(json_object_get(f, "port")),
		         json_string_value(json_object_get(f, "server")),
		         json_string_value(json_object_get(f, "peer")),
		         json_string_value(json_object_get(f, "initiator")),
		         json_string_value(json_object_get(f, "outcome")),
		         json_integer_value(json_object_get(f, "flows")),
		         json_integer_value(json_object_get(f, "packets")));
	}
	json_t *s = json_object_get(j, "summary");
	assert_true(rep->n < MAXK);
	snprintf(rep->f[rep->n++], 200, "summary: %s flows=%lld expected=%lld "
	         "unexpected=%lld violation=%lld blocked=%lld",
	         json_string_value(json_object_get(s, "verdict")),
	         json_integer_value(json_object_get(s, "flows")),
	         json_integer_value(json_object_get(s, "expected")),
	         json_integer_value(json_object_get(s, "unexpected")),
	         json_integer_value(json_object_get(s, "violation")),
	         json_integer_value(json_object_get(s, "blocked")));
	qsort(rep->f, rep->n, sizeof rep->f[0], cmp);
	json_decref(j);
}

/* Run portaudit with args then "--json tmp/out" and load the report. */
static void run_report(struct report *rep, const char *input,
                       const char *const *args, const char *out)
{
	const char *argv[32];
	size_t n = 0;
	for (; args[n]; n++)
		argv[n] = args[n];
	argv[n++] = "--json";
	argv[n++] = pa_tmp(out);
	argv[n] = NULL;
	struct pa_result r;
	pa_run(&r, input, argv);
	if (r.status != 0 && r.status != 1 && r.status != 3)
		fail_msg("status %d: %s", r.status, r.err);
	load_report(rep, pa_tmp(out), r.status);
	pa_result_free(&r);
}

/* The lines only in a (or only in b), as "only from conn.log: ..." and
 * "only from packets: ...", into out; their number. */
static unsigned report_diff(const struct report *z, const struct report *p,
                            char out[][240])
{
	unsigned i = 0, k = 0, n = 0;
	while (i < z->n || k < p->n) {
		int c = i == z->n ? 1 : k == p->n ? -1 : strcmp(z->f[i], p->f[k]);
		if (c == 0) {
			i++;
			k++;
			continue;
		}
		assert_true(n < 2 * MAXK);
		if (c < 0)
			snprintf(out[n++], 240, "only from conn.log: %s", z->f[i++]);
		else
			snprintf(out[n++], 240, "only from packets: %s", p->f[k++]);
	}
	return n;
}

struct trace {
	const char *name;
	const char *diff[8]; /* the allowed differences (test_zeek_traces) */
};

static const struct trace traces[] = {
	{ "dhcp", { NULL } },
	{ "get", { NULL } },
	{ "ipv6", { NULL } },
	{ "missing-syn", { NULL } },
	{ "mpls-in-vlan", { NULL } },
	{ "pop3", { NULL } },
	{ "pppoe", { NULL } },
	{ "q-in-q", { NULL } },
	{ "ssh", { NULL } },
	{ "ssh.client-side-half-duplex", {
		/* Zeek split 5 unanswered connections 5 s after their SYN
		 * (tcp_attempt_delay): 5 more records. The trace holds the
		 * client side only: every SYN-ACK went uncaptured, so no
		 * attempt is blocked either way (with caveats). */
		"only from conn.log: summary: compliant flows=25 "
		"expected=25 unexpected=0 violation=0 blocked=0",
		"only from packets: summary: compliant flows=20 "
		"expected=20 unexpected=0 violation=0 blocked=0" } },
	{ "vxlan", { NULL } },
	{ "wikipedia", { NULL } },
};

/* The same findings from the conn.log as from the trace. */
static void traces_match(void **state)
{
	(void)state;
	if (!have_traces())
		pa_skip("../shared/zeek is absent");
	unsigned bad = 0;
	for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++) {
		char rel[256], flows[600];
		snprintf(rel, sizeof rel, "../shared/zeek/%s.conn.log",
		         traces[t].name);
		snprintf(flows, sizeof flows, "zeek:%s", pa_src(rel));
		snprintf(rel, sizeof rel, "../shared/zeek/%s.pcap",
		         traces[t].name);
		static struct report z, p;
		const char *za[] = { "-q", "--flows", flows, SERVERS, NULL };
		run_report(&z, NULL, za, "z.json");
		const char *pa[] = { "-q", "-r", pa_src(rel), SERVERS, NULL };
		run_report(&p, NULL, pa, "p.json");
		static char d[2 * MAXK][240];
		unsigned nd = report_diff(&z, &p, d), nallowed = 0;
		while (nallowed < 8 && traces[t].diff[nallowed])
			nallowed++;
		for (unsigned i = 0; i < nd; i++) {
			bool ok = false;
			for (unsigned k = 0; k < nallowed; k++)
				ok |= strcmp(d[i], traces[t].diff[k]) == 0;
			printf("%s: %s%s\n", traces[t].name, ok ? "" : "NEW: ",
			       d[i]);
			bad += !ok;
		}
		if (nd != nallowed) {
			printf("%s: %u differences, %u listed\n", traces[t].name,
			       nd, nallowed);
			bad++;
		}
		if (nallowed == 0 && z.status != p.status) {
			printf("%s: exit status %d, from packets %d\n",
			       traces[t].name, z.status, p.status);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Rows of a CSV file, header excluded. */
static unsigned csv_rows(const char *path)
{
	char *s = pa_read_file(path, NULL);
	assert_non_null(s);
	unsigned n = 0;
	for (char *p = s; *p; p++)
		n += *p == '\n';
	free(s);
	assert_true(n >= 1);
	return n - 1;
}

/* One flow per conn.log record: the flows CSV has as many rows. */
static void one_flow_per_record(void **state)
{
	(void)state;
	if (!have_traces())
		pa_skip("../shared/zeek is absent");
	static const struct { const char *name; unsigned records; } c[] = {
		{ "wikipedia", 34 }, { "ssh", 25 }, { "pppoe", 7 },
		{ "vxlan", 5 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char rel[256], flows[600];
		snprintf(rel, sizeof rel, "../shared/zeek/%s.conn.log", c[i].name);
		snprintf(flows, sizeof flows, "zeek:%s", pa_src(rel));
		struct pa_result r;
		pa_runl(&r, "-q", "--flows", flows, SERVERS, "--flows-csv",
		        pa_tmp("f.csv"), NULL);
		if (r.status != 0 && r.status != 1)
			fail_msg("%s: status %d: %s", c[i].name, r.status, r.err);
		pa_result_free(&r);
		assert_int_equal(csv_rows(pa_tmp("f.csv")), c[i].records);
	}
}

/* The shared wikipedia conn.log (malloc'ed, *len set). */
static char *wikipedia_log(size_t *len)
{
	char *log = pa_read_file(pa_src("../shared/zeek/wikipedia.conn.log"),
	                         len);
	assert_non_null(log);
	return log;
}

/* path: data gzip'ed, one member. */
static void write_gz(const char *path, const char *data, size_t len)
{
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(g), Z_OK);
}

/* The same log as a file, gzip'ed in a directory of rotated logs, and on
 * standard input: the same report. */
static void inputs(void **state)
{
	(void)state;
	if (!have_traces())
		pa_skip("../shared/zeek is absent");
	size_t len;
	char *log = wikipedia_log(&len);
	const char *dir = pa_tmp("rotated");
	assert_int_equal(mkdir(dir, 0755), 0);
	char path[1024];
	snprintf(path, sizeof path, "%s/conn.19:00:00-20:00:00.log.gz", dir);
	write_gz(path, log, len);
	snprintf(path, sizeof path, "%s/dns.19:00:00-20:00:00.log", dir);
	pa_write_file(path, "not a conn log\n");

	static struct report a, b, c;
	char flows[1200];
	snprintf(flows, sizeof flows, "zeek:%s",
	         pa_src("../shared/zeek/wikipedia.conn.log"));
	const char *aa[] = { "-q", "--flows", flows, SERVERS, NULL };
	run_report(&a, NULL, aa, "a.json");
	snprintf(flows, sizeof flows, "zeek:%s", dir);
	const char *ba[] = { "-q", "--flows", flows, SERVERS, NULL };
	run_report(&b, NULL, ba, "b.json");
	const char *ca[] = { "-q", "--flows", "zeek:-", SERVERS, NULL };
	run_report(&c, log, ca, "c.json");
	free(log);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.n, c.n);
	for (unsigned i = 0; i < a.n; i++) {
		assert_string_equal(a.f[i], b.f[i]);
		assert_string_equal(a.f[i], c.f[i]);
	}
	assert_true(a.n > 1); /* findings, not only the summary */
}

/* A log cut inside a line, plain or in a gzip stream cut short: the lines
 * before are judged and capture.truncated says so; the whole log is not
 * truncated. */
static void cut_logs(void **state)
{
	(void)state;
	if (!have_traces())
		pa_skip("../shared/zeek is absent");
	size_t len;
	char *log = wikipedia_log(&len);
	char plain[1024], gz[1024], full[1024];
	snprintf(plain, sizeof plain, "%s", pa_tmp("cut.log"));
	snprintf(gz, sizeof gz, "%s", pa_tmp("cut.log.gz"));
	snprintf(full, sizeof full, "%s", pa_tmp("full.log.gz"));
	/* the middle of a line, past the header */
	size_t at = len / 2;
	while (at < len && log[at] == '\n')
		at++;
	FILE *f = fopen(plain, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(log, 1, at, f), at);
	assert_int_equal(fclose(f), 0);
	write_gz(full, log, len);
	size_t zlen;
	char *z = pa_read_file(full, &zlen);
	assert_non_null(z);
	f = fopen(gz, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(z, 1, zlen / 2, f), zlen / 2);
	assert_int_equal(fclose(f), 0);
	free(z);
	free(log);
	const char *paths[3] = { plain, gz, full };
	for (int i = 0; i < 3; i++) {
		char flows[1100];
		snprintf(flows, sizeof flows, "zeek:%s", paths[i]);
		struct pa_result r;
		pa_runl(&r, "-q", "--json", "-", "--flows", flows, SERVERS, NULL);
		if (r.status != 0 && r.status != 1)
			fail_msg("%s: status %d: %s", paths[i], r.status, r.err);
		json_t *j = json_loads(r.out, 0, NULL);
		assert_non_null(j);
		json_t *t = json_object_get(json_object_get(j, "capture"),
		                            "truncated");
		if (i < 2 ? !json_is_true(t) : !json_is_false(t))
			fail_msg("%s: truncated should be %s", paths[i],
			         i < 2 ? "true" : "false");
		json_decref(j);
		pa_result_free(&r);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A conn.log arriving through a pipe that stays open (`tail -F conn.log |
 * portaudit --flows zeek:-`): its lines are read as they come, SIGUSR1
 * prints how many while the pipe is idle and the reading goes on, SIGINT
 * ends it with a report of every line so far; plain and gzip'ed. */
/* Does pid catch sig (its SigCgt in /proc/PID/status)? */
static bool catches(pid_t pid, int sig)
{
	char v[128];
	if (!pa_proc_status(pid, "SigCgt", v, sizeof v))
		return false;
	return (strtoull(v, NULL, 16) >> (sig - 1)) & 1u;
}

static void idle_pipe(void **state)
{
	(void)state;
	if (!have_traces())
		pa_skip("../shared/zeek is absent");
	size_t len;
	char *log = pa_read_file(pa_src("../shared/zeek/wikipedia.conn.log"),
	                         &len);
	assert_non_null(log);
	unsigned records = 0;
	for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (*l != '#' && *l != '\n')
			records++;
	for (int gz = 0; gz < 2; gz++) {
		char *data = log;
		size_t dlen = len;
		char *zbuf = NULL;
		if (gz) {
			/* One gzip member, flushed so that it can be inflated
			 * before the stream ends (as `gzip` on a pipe would
			 * only do at its end: the same bytes, sooner). */
			uLongf zl = compressBound((uLong)len) + 64;
			zbuf = malloc(zl);
			assert_non_null(zbuf);
			z_stream zs;
			memset(&zs, 0, sizeof zs);
			assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
			                              Z_DEFAULT_STRATEGY), Z_OK);
			zs.next_in = (Bytef *)log;
			zs.avail_in = (uInt)len;
			zs.next_out = (Bytef *)zbuf;
			zs.avail_out = (uInt)zl;
			assert_int_equal(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
			dlen = zl - zs.avail_out;
			deflateEnd(&zs);
			data = zbuf;
		}
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		const char *out = pa_tmp(gz ? "pipe-gz.json" : "pipe.json");
		const char *err = pa_tmp(gz ? "pipe-gz.err" : "pipe.err");
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			dup2(fds[0], 0);
			close(fds[0]);
			close(fds[1]);
			int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (e >= 0)
				dup2(e, 2);
			execl(getenv("PORTAUDIT"), "portaudit", "--flows", "zeek:-",
			      "-q", "--json", out, SERVERS, (char *)NULL);
			_exit(127);
		}
		close(fds[0]);
		assert_int_equal(write(fds[1], data, dlen), (ssize_t)dlen);
		/* Wait (up to 30 s: valgrind, a loaded machine) until the child
		 * has read everything written and catches SIGUSR1, instead of
		 * a fixed time a slow start overran. */
		for (unsigned t = 0; t < 30000; t += 20) {
			int left = -1;
			if (ioctl(fds[1], FIONREAD, &left) == 0 && left == 0 &&
			    catches(pid, SIGUSR1))
				break;
			sleep_ms(20);
		}
		sleep_ms(300);
		kill(pid, SIGUSR1);
		sleep_ms(300);
		kill(pid, SIGINT);
		int st = 0;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		close(fds[1]);
		char *e = pa_read_file(err, NULL);
		char want[64];
		snprintf(want, sizeof want, "portaudit: %u records, ", records);
		if (!e || !strstr(e, want))
			fail_msg("stderr lacks \"%s\": %s", want, e ? e : "");
		free(e);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 1)
			fail_msg("status %d", WEXITSTATUS(st));
		json_t *j = pa_load_json(out);
		json_t *c = json_object_get(j, "capture");
		assert_true(json_is_true(json_object_get(c, "interrupted")));
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(c, "records"), "records")), records);
		json_decref(j);
		free(zbuf);
	}
	free(log);
}

/* A record that does not parse: exit 2 naming FILE:LINE:COL, or counted
 * and skipped with --skip-bad-records. */
static void bad_records(void **state)
{
	(void)state;
	const char *p = pa_tmp("bad.conn.log");
	pa_write_file(p,
	              "#separator \\x09\n"
	              "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
	              "proto\tconn_state\thistory\torig_pkts\tresp_pkts\n"
	              "1370200442.1\t10.0.0.1\t40000\t10.0.0.5\t22\ttcp\tSF\t"
	              "ShADadFf\t5\t4\n"
	              "XXXXXXXXXX.XXXXXX\t10.0.0.1\t40001\t10.0.0.5\t22\ttcp\tSF\t"
	              "ShADadFf\t5\t4\n");
	char flows[600], want[800];
	snprintf(flows, sizeof flows, "zeek:%s", p);
	struct pa_result r;
	pa_runl(&r, "-q", "--flows", flows, "--server", "10.0.0.5", NULL);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof want, "%s:4:1: ts: 'XXXXXXXXXX.XXXXXX' is not "
	         "a time", p);
	assert_true(pa_contains(r.err, want));
	pa_result_free(&r);

	pa_runl(&r, "-q", "--flows", flows, "--server", "10.0.0.5",
	        "--skip-bad-records", "--json", pa_tmp("skip.json"), NULL);
	if (r.status != 0 && r.status != 1)
		fail_msg("status %d: %s", r.status, r.err);
	pa_result_free(&r);
	json_t *j = pa_load_json(pa_tmp("skip.json"));
	json_t *s = json_object_get(j, "summary");
	assert_int_equal(json_integer_value(json_object_get(s, "flows")), 1);
	json_decref(j);

	/* A file that is not there, and one that is not a conn.log. */
	pa_runl(&r, "-q", "--flows", "zeek:/nonexistent/conn.log", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "/nonexistent/conn.log: cannot open"));
	pa_result_free(&r);
	snprintf(flows, sizeof flows, "zeek:%s", pa_src("pcaps/demo.pcap"));
	pa_runl(&r, "-q", "--flows", flows, NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "demo.pcap:1:1: not a Zeek conn.log"));
	pa_result_free(&r);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(traces_match),
		cmocka_unit_test(one_flow_per_record),
		cmocka_unit_test(inputs),
		cmocka_unit_test(cut_logs),
		cmocka_unit_test(bad_records),
		cmocka_unit_test(idle_pipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
