/* it_netns.c -- live capture on a veth inside network namespaces (root
 * only): the test creates two namespaces joined by a veth pair, runs the
 * real binary inside one (`ip netns exec RX portaudit -i pa-rx --duration
 * ...`), sends the bundled demo capture from the other with tcpreplay at a
 * modest rate, and checks that every packet arrived (captured + dropped =
 * sent), that capture.dropped is a number, and that the flows and the
 * verdicts are those of the same capture read from the file. Nothing is
 * timed. No address is configured and IPv6 is off in both namespaces, so
 * the veth carries only what tcpreplay sends, and nothing leaves them; they
 * are deleted after the test, at exit and on SIGINT/SIGTERM/SIGHUP.
 * Skips without root, ip netns or tcpreplay (tests/install_tools.sh
 * installs it). The load test is bench/live.sh. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char ns_tx[64], ns_rx[64];
static bool ns_made;
static pid_t capture_pid;

/* Run argv (PATH searched) with its output in `out` (or /dev/null); its
 * exit status, or 128+signal, or 127 when it could not be run. Nothing
 * allocated (fork, exec, wait): the signal handler uses it too. */
static int run(const char *const *argv, const char *out)
{
	pid_t pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null",
		              O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void ns_delete(void)
{
	if (capture_pid > 0) {
		kill(capture_pid, SIGTERM);
		waitpid(capture_pid, NULL, 0);
		capture_pid = 0;
	}
	if (!ns_made)
		return;
	const char *a[] = { "ip", "netns", "del", ns_tx, NULL };
	const char *b[] = { "ip", "netns", "del", ns_rx, NULL };
	run(a, NULL);
	run(b, NULL);
	ns_made = false;
}

static void on_signal(int sig)
{
	ns_delete();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Both namespaces, IPv6 off in each (no router solicitation or MLD
 * report of the kernel's own on the veth), the veth pair between them.
 * NULL, or why not. */
static const char *ns_create(void)
{
	snprintf(ns_tx, sizeof ns_tx, "pa-it-%ld-tx", (long)getpid());
	snprintf(ns_rx, sizeof ns_rx, "pa-it-%ld-rx", (long)getpid());
	const char *add_tx[] = { "ip", "netns", "add", ns_tx, NULL };
	const char *add_rx[] = { "ip", "netns", "add", ns_rx, NULL };
	if (run(add_tx, NULL) != 0)
		return "ip netns add is not permitted here";
	ns_made = true;
	atexit(ns_delete);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (run(add_rx, NULL) != 0)
		return "ip netns add is not permitted here";
	const char *ns[2] = { ns_tx, ns_rx };
	for (int i = 0; i < 2; i++) {
		const char *v6[] = { "ip", "netns", "exec", ns[i], "sysctl", "-qw",
		                     "net.ipv6.conf.all.disable_ipv6=1",
		                     "net.ipv6.conf.default.disable_ipv6=1", NULL };
		run(v6, NULL);
	}
	const char *veth[] = { "ip", "link", "add", "pa-tx", "netns", ns_tx,
	                       "type", "veth", "peer", "name", "pa-rx",
	                       "netns", ns_rx, NULL };
	const char *up_tx[] = { "ip", "-n", ns_tx, "link", "set", "pa-tx",
	                        "mtu", "1600", "up", NULL };
	const char *up_rx[] = { "ip", "-n", ns_rx, "link", "set", "pa-rx",
	                        "mtu", "1600", "up", NULL };
	if (run(veth, NULL) != 0 || run(up_tx, NULL) != 0 ||
	    run(up_rx, NULL) != 0)
		return "cannot create a veth pair between the namespaces";
	return NULL;
}

static int teardown(void **state)
{
	(void)state;
	ns_delete();
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static json_int_t num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("%s is not a number", key);
	return json_integer_value(v);
}

/* A directory the user a live capture drops to may write its report in. */
static const char *pub(const char *name)
{
	static char dir[1100], path[1300];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s", pa_tmp("pub"));
		assert_int_equal(mkdir(dir, 0700), 0);
		assert_int_equal(chmod(dir, 01777), 0);
		assert_int_equal(chmod(pa_tmpdir(), 0711), 0);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void test_veth_replay(void **state)
{
	(void)state;
	if (geteuid() != 0)
		pa_skip("not root: network namespaces and live capture need root");
	if (!pa_have("ip"))
		pa_skip("ip (iproute2) is not installed");
	if (!pa_have("tcpreplay"))
		pa_skip("tcpreplay is not installed (tests/install_tools.sh)");
	const char *why = ns_create();
	if (why)
		pa_skip(why);
	const char *bin = getenv("PORTAUDIT");
	char demo[1300];
	snprintf(demo, sizeof demo, "%s", pa_src("pcaps/demo.pcap"));

	/* the same capture read from the file: what must arrive */
	char off[1300];
	snprintf(off, sizeof off, "%s", pa_tmp("offline.json"));
	struct pa_result r;
	pa_runl(&r, "-q", "-r", demo, "--json", off, NULL);
	assert_true(r.status == 0 || r.status == 1);
	pa_result_free(&r);
	json_t *jo = pa_load_json(off);
	json_int_t file_packets = num(json_object_get(jo, "capture"), "packets");

	char json[1300], errf[1300];
	snprintf(json, sizeof json, "%s", pub("live.json"));
	snprintf(errf, sizeof errf, "%s", pa_tmp("live.err"));
	/* ip netns exec runs the command in place: pid is portaudit's */
	const char *argv[] = { "ip", "netns", "exec", ns_rx, bin, "-i", "pa-rx",
		"--duration", "6", "-q", "--json", json, NULL };
	pid_t pid = pa_spawn(errf, argv);
	capture_pid = pid;
	/* Started as root, portaudit drops to portaudit or nobody once the
	 * capture is open and filtered: then it is ready. */
	(void)pa_wait_proc_status(pid, "Uid", "0\t0\t0\t0", 1, 5000);
	sleep_ms(200);

	char out[1300];
	snprintf(out, sizeof out, "%s", pa_tmp("tcpreplay.out"));
	const char *send[] = { "ip", "netns", "exec", ns_tx, "tcpreplay", "-i",
	                       "pa-tx", "--pps", "500", demo, NULL };
	int trc = run(send, out);
	char *txt = pa_read_file(out, NULL);
	assert_non_null(txt);
	if (trc != 0)
		fail_msg("tcpreplay failed (%d): %s", trc, txt);
	const char *a = strstr(txt, "Actual: ");
	assert_non_null(a);
	long sent = strtol(a + 8, NULL, 10);
	free(txt);
	assert_int_equal(sent, file_packets);

	int st;
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	capture_pid = 0;
	int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (status != 0 && status != 1) {
		char *err = pa_read_file(errf, NULL);
		fail_msg("portaudit exited %d: %s", status, err ? err : "");
	}

	json_t *jl = pa_load_json(json);
	json_t *cap = json_object_get(jl, "capture");
	assert_true(json_is_true(json_object_get(cap, "live")));
	json_int_t packets = num(cap, "packets");
	json_int_t dropped = num(cap, "dropped"); /* a number, not null */
	assert_true(dropped >= 0);
	printf("live on pa-rx: %lld packets, %lld dropped, %lld flows; sent %ld\n",
	       (long long)packets, (long long)dropped,
	       (long long)num(json_object_get(jl, "summary"), "flows"), sent);
	/* every packet reached the capture socket: read or counted dropped */
	assert_int_equal(packets + dropped, sent);
	if (dropped == 0) {
		/* and the audit is the file's */
		json_t *so = json_object_get(jo, "summary");
		json_t *sl = json_object_get(jl, "summary");
		static const char *const keys[] = {
			"flows", "expected", "unexpected", "violation",
			"blocked", "missing", "findings",
		};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (num(so, keys[i]) != num(sl, keys[i]))
				fail_msg("summary.%s: %lld live, %lld from the file",
				         keys[i], (long long)num(sl, keys[i]),
				         (long long)num(so, keys[i]));
		assert_string_equal(
			json_string_value(json_object_get(sl, "verdict")),
			json_string_value(json_object_get(so, "verdict")));
		assert_true(num(sl, "flows") > 0);
	} else {
		printf("note: %lld of %ld packets dropped by the kernel\n",
		       (long long)dropped, sent);
	}
	json_decref(jl);
	json_decref(jo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_veth_replay, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
