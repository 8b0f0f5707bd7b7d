/* it_interval.c -- --interval through the real binary: the soak test of
 * issue 13 (a live capture on the loopback with --interval 1 for about 20
 * seconds under generated traffic: every interval's report complete,
 * valid against the schema, contiguous with the last; every flow judged
 * exactly once, a connection held open across boundaries too; memory
 * flat), the names (inserted stamp, strftime pattern) and the refusals.
 * Traffic goes to 127.0.0.1 only; the capture's filter keeps it to the
 * test's own ports, so other tests on the loopback change nothing. */
#include "harness.h"
#include "test_report_fixture.h" /* sch_check */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	return ntohs(a.sin_port);
}

static int listener(void)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 64), 0);
	return fd;
}

/* A port nothing listens on (bound and closed at once). */
static uint16_t closed_port(void)
{
	int fd = listener();
	uint16_t p = bound_port(fd);
	close(fd);
	return p;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		return -1;
	if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
		close(c);
		return -1;
	}
	return c;
}

/* In a child, for `secs`: a connection held open from the start to
 * `hold` seconds with a byte every 200 ms (it spans boundaries), and every
 * 50 ms a short exchange with the listener and an attempt on the closed
 * port. Exits with the number of short exchanges (capped at 250). */
static pid_t traffic(int lfd, uint16_t open_port, uint16_t shut_port,
                     double secs, double hold)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	double t0 = now_s(), last_keep = t0;
	int keep = connect_to(open_port), kacc = accept(lfd, NULL, NULL);
	if (keep < 0 || kacc < 0)
		_exit(255);
	unsigned n = 0;
	char b[16];
	while (now_s() - t0 < secs) {
		int c = connect_to(open_port);
		if (c >= 0) {
			int a = accept(lfd, NULL, NULL);
			if (a >= 0) {
				if (write(c, "hi", 2) == 2 && read(a, b, sizeof b) > 0 &&
				    write(a, "ok", 2) == 2 && read(c, b, sizeof b) > 0)
					n++;
				close(a);
			}
			close(c);
		}
		int s = connect_to(shut_port); /* refused: RST */
		if (s >= 0)
			close(s);
		if (keep >= 0 && now_s() - last_keep >= 0.2) {
			if (write(keep, "k", 1) != 1 || read(kacc, b, 1) != 1)
				_exit(254);
			last_keep = now_s();
		}
		if (keep >= 0 && now_s() - t0 >= hold) {
			close(keep);
			close(kacc);
			keep = -1;
		}
		sleep_s(0.05);
	}
	_exit(n > 250 ? 250 : (int)n);
}

static long rss_kib(pid_t pid)
{
	char v[128];
	if (!pa_proc_status(pid, "VmRSS", v, sizeof v))
		return -1;
	return strtol(v, NULL, 10);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir starting with prefix and ending with suffix, sorted
 * (the stamps sort by time). */
static unsigned list(const char *dir, const char *prefix, const char *suffix,
                     char **names, unsigned max)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *de;
	size_t pl = strlen(prefix), sl = strlen(suffix);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < pl + sl || strncmp(de->d_name, prefix, pl) != 0 ||
		    strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		if (n < max)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	return n;
}

static bool need_root(void)
{
	if (geteuid() != 0) {
		printf("skip: live capture on lo needs root\n");
		return false;
	}
	return true;
}

/* The soak: --interval 1 for 20 s on lo (10 s under the sanitizers,
 * whose memory is not checked: as many boundaries as it takes to see
 * them contiguous, at half the time). */
/* portaudit -i lo --interval 1 --server 127.0.0.1 -Z root -q ARGS...
 * in the background, its output to the file err. */
static pid_t spawn_intervals(const char *err, const char *const *args)
{
	const char *argv[32] = { "portaudit", "-i", "lo", "--interval", "1",
		"--server", "127.0.0.1", "-Z", "root", "-q" };
	size_t n = 10;
	for (size_t i = 0; args[i]; i++) {
		assert_true(n + 1 < sizeof argv / sizeof argv[0]);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	argv[0] = getenv("PORTAUDIT");
	return pa_spawn(err, argv);
}

static void test_soak(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	const char *variant = getenv("PA_VARIANT");
	bool rel = !variant || strcmp(variant, "rel") == 0;
	int secs = rel ? 20 : 10;
	char dur[16];
	snprintf(dur, sizeof dur, "%d", secs);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/soak", pa_tmpdir());
	assert_int_equal(mkdir(dir, 0755), 0);
	int lfd = listener();
	uint16_t open_port = bound_port(lfd), shut_port = closed_port();
	char filter[128], json[600], jsonl[600], fcsv[600];
	snprintf(filter, sizeof filter, "tcp port %u or tcp port %u",
	         open_port, shut_port);
	snprintf(json, sizeof json, "%s/audit.json", dir);
	snprintf(jsonl, sizeof jsonl, "%s/audit.jsonl", dir);
	snprintf(fcsv, sizeof fcsv, "%s/flows.csv", dir);
	const char *err = pa_tmp("soak.err");
	const char *args[] = { "--duration", dur, "--max-flows", "8192",
		"--json", json, "--jsonl", jsonl, "--flows-csv", fcsv, filter,
		NULL };
	pid_t pa = spawn_intervals(err, args);
	sleep_s(1.0); /* the capture is open */
	pid_t tr = traffic(lfd, open_port, shut_port, secs - 2.5, 6.5);
	/* Memory: sampled every second once the traffic runs. */
	long rss[24];
	unsigned nrss = 0;
	for (int i = 0; i < secs - 1 && nrss < 24; i++) {
		sleep_s(1.0);
		long k = rss_kib(pa);
		if (k > 0)
			rss[nrss++] = k;
	}
	int st;
	assert_int_equal(waitpid(tr, &st, 0), tr);
	assert_true(WIFEXITED(st));
	int exchanges = WEXITSTATUS(st);
	if (exchanges == 255 || exchanges == 254)
		fail_msg("the traffic failed (%d)", exchanges);
	assert_int_equal(waitpid(pa, &st, 0), pa);
	char *e = pa_read_file(err, NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1) /* the refused port */
		fail_msg("portaudit: status %d: %s", st, e ? e : "");
	free(e);
	printf("soak: %d exchanges; RSS", exchanges);
	for (unsigned i = 0; i < nrss; i++)
		printf(" %ld", rss[i]);
	printf(" KiB\n");
	/* Flat: the peak of the later half of the samples is less than 2 MiB
	 * over the peak of the third and fourth (the tables warm; the flow
	 * table and the ring are allocated at the start). Peaks, since a
	 * sample may catch the process at its end, the ring unmapped (8.6 MiB
	 * against 44 once on a loaded machine): a drop is no leak. A
	 * sanitizer's own memory grows as it runs (ASan's quarantine, TSan's
	 * history): there the leak checker is LeakSanitizer's. */
	assert_true(nrss >= (unsigned)secs / 2);
	if (rel) {
		long early = rss[2] > rss[3] ? rss[2] : rss[3], late = 0;
		for (unsigned i = nrss / 2; i < nrss; i++)
			if (rss[i] > late)
				late = rss[i];
		if (late - early > 2048)
			fail_msg("RSS grew from %ld to %ld KiB", early, late);
	} else {
		printf("soak: RSS not checked in the %s build\n", variant);
	}

	/* Every interval: a JSON report valid against the schema, its
	 * interval the next after the last's, with its flows CSV. */
	char *jn[64], *fn[64];
	unsigned nj = list(dir, "audit-", ".json", jn, 64);
	unsigned nf = list(dir, "flows-", ".csv", fn, 64);
	printf("soak: %u JSON reports, %u flows CSV\n", nj, nf);
	assert_true(nj >= (unsigned)secs - 1 && nj <= (unsigned)secs + 2);
	assert_int_equal(nf, nj);
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	char prev_end[64] = "";
	uint64_t flows = 0, csv_rows = 0, packets = 0;
	char path[1200];
	for (unsigned i = 0; i < nj; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, jn[i]);
		json_t *j = pa_load_json(path);
		char where[512] = "";
		if (sch_check(schema, schema, j, where, sizeof where) != 0)
			fail_msg("%s: %s", jn[i], where);
		json_t *c = json_object_get(j, "capture");
		json_t *iv = json_object_get(c, "interval");
		assert_int_equal(json_integer_value(json_object_get(iv, "seq")),
		                 i + 1);
		assert_int_equal(json_integer_value(json_object_get(iv,
		                 "seconds")), 1);
		assert_true(json_is_true(json_object_get(iv, "last")) ==
		            (i + 1 == nj));
		const char *s0 = json_string_value(json_object_get(iv, "start"));
		const char *s1 = json_string_value(json_object_get(iv, "end"));
		assert_non_null(s0);
		assert_non_null(s1);
		if (i)
			assert_string_equal(s0, prev_end); /* no gap */
		snprintf(prev_end, sizeof prev_end, "%s", s1);
		/* The name carries the start: audit-YYYYmmddTHHMMSSZ.json. */
		char stamp[32];
		snprintf(stamp, sizeof stamp, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", s0,
		         s0 + 5, s0 + 8, s0 + 11, s0 + 14, s0 + 17);
		assert_true(strstr(jn[i], stamp) != NULL);
		uint64_t f = (uint64_t)json_integer_value(json_object_get(c,
		                                                          "flows"));
		flows += f;
		packets += (uint64_t)json_integer_value(json_object_get(c,
		                                                 "packets"));
		/* Its packets are its own: none from before its start (a
		 * ring block read after the boundary), none after its end. */
		const char *p0 = json_string_value(json_object_get(c, "start"));
		const char *p1 = json_string_value(json_object_get(c, "end"));
		if (p0 && p1 && (strcmp(p0, s0) < 0 || strcmp(p1, s1) > 0))
			fail_msg("%s: packets from %s to %s in the interval %s to "
			         "%s", jn[i], p0, p1, s0, s1);
		/* While the traffic ran (intervals 3 to secs - 3), each
		 * interval judged flows and found the refused port. */
		if (i >= 2 && (int)i <= secs - 4) {
			assert_true(f > 0);
			assert_true(json_array_size(json_object_get(j,
			            "findings")) > 0);
		}
		json_decref(j);
		snprintf(path, sizeof path, "%s/%s", dir, fn[i]);
		char *csv = pa_read_file(path, NULL);
		assert_non_null(csv);
		uint64_t rows = 0;
		for (const char *p = csv; (p = strchr(p, '\n')); p++)
			rows++;
		assert_true(rows >= 1);
		assert_int_equal(rows - 1, f); /* header + one row per flow */
		csv_rows += rows - 1;
		free(csv);
		free(jn[i]);
		free(fn[i]);
	}
	json_decref(schema);
	/* Each exchange and each refused attempt is a flow, plus the held
	 * connection: judged once each, over all intervals. */
	printf("soak: %llu flows, %llu packets over the intervals\n",
	       (unsigned long long)flows, (unsigned long long)packets);
	assert_int_equal(csv_rows, flows);
	assert_true(flows >= 2u * (unsigned)exchanges);

	/* The JSON-lines stream: one file, an interval line per interval,
	 * flow ids never repeated, the held connection once. */
	size_t len;
	char *l = pa_read_file(jsonl, &len);
	assert_non_null(l);
	unsigned intervals = 0, flow_lines = 0, held = 0;
	uint64_t *ids = calloc(flows + 1, sizeof *ids);
	assert_non_null(ids);
	for (char *line = l, *next; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (!*line)
			continue;
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		assert_non_null(o);
		const char *ev = json_string_value(json_object_get(o,
		                                                   "event_type"));
		assert_non_null(ev);
		if (strcmp(ev, "interval") == 0) {
			intervals++;
			assert_int_equal(json_integer_value(json_object_get(
				json_object_get(o, "interval"), "seq")), intervals);
		} else if (strcmp(ev, "flow") == 0) {
			uint64_t id = (uint64_t)json_integer_value(
				json_object_get(o, "flow_id"));
			for (unsigned k = 0; k < flow_lines && k < flows; k++)
				if (ids[k] == id)
					fail_msg("flow_id %llu twice",
					         (unsigned long long)id);
			if (flow_lines < flows)
				ids[flow_lines] = id;
			flow_lines++;
			/* The held connection: its packets span > 5 s. */
			json_t *fl = json_object_get(o, "flow");
			if (json_integer_value(json_object_get(fl,
			    "pkts_toserver")) + json_integer_value(
			    json_object_get(fl, "pkts_toclient")) > 40)
				held++;
		}
		json_decref(o);
	}
	free(ids);
	free(l);
	assert_int_equal(intervals, nj);
	assert_int_equal(flow_lines, flows);
	assert_int_equal(held, 1);
}

/* Names: a strftime pattern, and the refusals. */
static void test_names_and_refusals(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "-r", pa_src("pcaps/demo.pcap"), "--interval", "60", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--interval applies to live capture"));
	pa_result_free(&r);
	pa_runl(&r, "-i", "lo", "--interval", "60", "--json", "-", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "give --json a file name, not -"));
	pa_result_free(&r);
	pa_runl(&r, "-i", "lo", "--interval", "0", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--interval: '0' is not a whole number"));
	pa_result_free(&r);
	if (!need_root())
		skip();
	char dir[512], pat[600], csv[600];
	snprintf(dir, sizeof dir, "%s/names", pa_tmpdir());
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(pat, sizeof pat, "%s/site-%%Y%%m%%d-%%H%%M%%S.json", dir);
	snprintf(csv, sizeof csv, "%s/findings", dir); /* no extension */
	uint16_t port = closed_port();
	char filter[64];
	snprintf(filter, sizeof filter, "tcp port %u", port);
	double t0 = now_s();
	pa_runl(&r, "-i", "lo", "--interval", "1", "--duration", "2.5", "-Z",
	        "root", "-q", "--server", "127.0.0.1", "--json", pat, "--csv",
	        csv, filter, NULL);
	double took = now_s() - t0;
	assert_true(took < 6);
	if (r.status != 3)
		fail_msg("status %d: %s", r.status, r.err);
	pa_result_free(&r);
	char *n[16];
	unsigned k = list(dir, "site-", ".json", n, 16);
	assert_true(k >= 3 && k <= 4);
	for (unsigned i = 0; i < k; i++) {
		/* site-YYYYmmdd-HHMMSS.json */
		assert_int_equal(strlen(n[i]), strlen("site-20261205-130000.json"));
		assert_true(n[i][13] == '-');
		snprintf(pat, sizeof pat, "%s/%s", dir, n[i]);
		json_t *j = pa_load_json(pat);
		/* Nothing came: each interval says it was not audited. */
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(j, "summary"), "verdict")), "not-audited");
		json_decref(j);
		free(n[i]);
	}
	k = list(dir, "findings-", "Z", n, 16);
	assert_true(k >= 3 && k <= 4);
	for (unsigned i = 0; i < k; i++)
		free(n[i]);
}

/* The reports' directory disappears during the run, then comes back: the
 * capture goes on for its whole --duration (it runs unattended), the
 * intervals without a directory say so, the later ones are written again
 * with their own numbers, and the run ends with exit 2. */
static void test_dir_gone(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	char dir[512], other[512], json[600], jsonl[600];
	snprintf(dir, sizeof dir, "%s/gone", pa_tmpdir());
	snprintf(other, sizeof other, "%s/stays", pa_tmpdir());
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(other, 0755), 0);
	snprintf(json, sizeof json, "%s/audit.json", dir);
	snprintf(jsonl, sizeof jsonl, "%s/audit.jsonl", other);
	int lfd = listener();
	uint16_t open_port = bound_port(lfd), shut_port = closed_port();
	char filter[128];
	snprintf(filter, sizeof filter, "tcp port %u or tcp port %u",
	         open_port, shut_port);
	const char *err = pa_tmp("gone.err");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *args[] = { "--duration", "6", "--json", json, "--jsonl",
		jsonl, filter, NULL };
	pid_t pa = spawn_intervals(err, args);
	sleep_s(0.8);
	pid_t tr = traffic(lfd, open_port, shut_port, 4.5, 4.0);
	sleep_s(1.0);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	sleep_s(2.0);
	assert_int_equal(mkdir(dir, 0755), 0);
	int st;
	assert_int_equal(waitpid(tr, &st, 0), tr);
	assert_int_equal(waitpid(pa, &st, 0), pa);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double el = (double)(t1.tv_sec - t0.tv_sec) +
	            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	char *e = pa_read_file(err, NULL);
	assert_non_null(e);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 ||
	    !strstr(e, "the capture goes on"))
		fail_msg("portaudit: status %d after %.1f s: %s", st, el, e);
	free(e);
	assert_true(el >= 5.5); /* its whole --duration */
	/* The intervals after the directory came back: written, each with
	 * its own flows (the traffic ran to the end). */
	char *jn[64];
	unsigned nj = list(dir, "audit-", ".json", jn, 64);
	assert_true(nj >= 1);
	char path[1200];
	snprintf(path, sizeof path, "%s/%s", dir, jn[nj - 1]);
	json_t *j = pa_load_json(path);
	json_t *iv = json_object_get(json_object_get(j, "capture"), "interval");
	assert_true(json_is_true(json_object_get(iv, "last")));
	json_decref(j);
	uint64_t judged = 0;
	for (unsigned i = 0; i < nj; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, jn[i]);
		j = pa_load_json(path);
		judged += (uint64_t)json_integer_value(json_object_get(
		          json_object_get(j, "summary"), "flows"));
		json_decref(j);
		free(jn[i]);
	}
	assert_true(judged > 0);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_refusals),
		cmocka_unit_test(test_soak),
		cmocka_unit_test(test_dir_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
