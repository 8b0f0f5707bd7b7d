/* it_live.c -- live capture on the loopback interface (root only): cap_run
 * directly with a callback (proves flows), then the real binary with
 * --duration and with SIGINT. Traffic goes to 127.0.0.1 only. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/flow.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TCP listener and a UDP echo socket on 127.0.0.1, ephemeral ports. */
struct servers {
	int tl, us;
	uint16_t tport, uport;
};

static void servers_open(struct servers *s)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->tl = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->tl >= 0);
	assert_int_equal(bind(s->tl, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->tl, 8), 0);
	assert_int_equal(getsockname(s->tl, (struct sockaddr *)&a, &al), 0);
	s->tport = ntohs(a.sin_port);
	a.sin_port = 0;
	s->us = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s->us >= 0);
	assert_int_equal(bind(s->us, (struct sockaddr *)&a, sizeof a), 0);
	al = sizeof a;
	assert_int_equal(getsockname(s->us, (struct sockaddr *)&a, &al), 0);
	s->uport = ntohs(a.sin_port);
}

/* In a child: after `delay` s, one TCP exchange and one UDP exchange. */
static pid_t traffic(const struct servers *s, double delay)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	usleep((useconds_t)(delay * 1e6));
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(s->tport);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		_exit(1);
	int acc = accept(s->tl, NULL, NULL);
	if (acc < 0)
		_exit(2);
	if (write(c, "hello", 5) != 5 || write(acc, "world!", 6) != 6)
		_exit(3);
	char buf[64];
	if (read(acc, buf, sizeof buf) <= 0 || read(c, buf, sizeof buf) <= 0)
		_exit(4);
	close(c);
	close(acc);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons(s->uport);
	if (u < 0 || sendto(u, "ping", 4, 0, (struct sockaddr *)&a, sizeof a) != 4)
		_exit(5);
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	if (recvfrom(s->us, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) != 4 ||
	    sendto(s->us, "pong", 4, 0, (struct sockaddr *)&from, fl) != 4 ||
	    recv(u, buf, sizeof buf, 0) != 4)
		_exit(6);
	close(u);
	_exit(0);
}

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define MAXF 64
static struct cap_flow got[MAXF];
static unsigned ngot;

static void collect(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	if (ngot < MAXF)
		got[ngot++] = *f;
}

static void test_cap_run_live(void **state)
{
	(void)state;
	if (geteuid() != 0)
		pa_skip("not root: live capture on lo needs root");
	struct servers s;
	servers_open(&s);
	char filter[128];
	snprintf(filter, sizeof filter, "host 127.0.0.1 and (port %u or port %u)",
	         s.tport, s.uport);
	struct cap_options o;
	memset(&o, 0, sizeof o);
	o.iface = "lo";
	o.duration = 1.5;
	o.quiet = true;
	o.max_flows = 1024;
	o.filter = filter;
	struct cap_stats st;
	char err[512];
	pid_t child = traffic(&s, 0.4);
	double t0 = now_s();
	ngot = 0;
	int rc = cap_run(&o, collect, NULL, &st, err, sizeof err);
	double el = now_s() - t0;
	int cst = wait_child(child);
	close(s.tl);
	close(s.us);
	if (rc != 0 && (strstr(err, "permission") || strstr(err, "Operation not permitted")))
		pa_skip(err);
	if (rc != 0)
		fail_msg("cap_run: %s", err);
	assert_int_equal(cst, 0);
	assert_true(el >= 1.4 && el < 3.0);
	assert_true(st.packets >= 10);
	assert_true(st.has_dropped);
	assert_int_equal(st.nsources, 1);
	assert_true(st.nlocal >= 1); /* lo has 127.0.0.1 */
	bool tcp = false, udp = false;
	for (unsigned i = 0; i < ngot; i++) {
		const struct cap_flow *f = &got[i];
		if (f->proto == 6 && f->port_b == s.tport) {
			tcp = true;
			assert_int_equal(f->initiator_inferred, 0);
			assert_true(f->outcome == CAP_OUT_CLOSED ||
			            f->outcome == CAP_OUT_ESTABLISHED);
			assert_true(f->pkts[0] >= 3 && f->pkts[1] >= 2);
		}
		if (f->proto == 17 && f->port_b == s.uport) {
			udp = true;
			assert_int_equal(f->outcome, CAP_OUT_REPLIED);
			assert_int_equal(f->pkts[0], 1);
			assert_int_equal(f->pkts[1], 1);
		}
	}
	assert_true(tcp);
	assert_true(udp);
}

static void test_binary_duration(void **state)
{
	(void)state;
	if (geteuid() != 0)
		pa_skip("not root: live capture on lo needs root");
	struct servers s;
	servers_open(&s);
	const char *json = pa_tmp("live.json");
	pid_t child = traffic(&s, 0.6);
	double t0 = now_s();
	struct pa_result r;
	pa_runl(&r, "-i", "lo", "--duration", "2", "-q", "--fail-on", "none",
	        "--json", json, NULL);
	double el = now_s() - t0;
	int cst = wait_child(child);
	close(s.tl);
	close(s.us);
	if (r.status != 0 && strstr(r.err, "permission"))
		pa_skip(r.err);
	if (r.status != 0)
		fprintf(stderr, "%s", r.err);
	assert_int_equal(r.status, 0);
	assert_int_equal(cst, 0);
	assert_true(el >= 1.9 && el < 4.0);
	pa_result_free(&r);
	json_t *j = pa_load_json(json);
	json_t *cap = json_object_get(j, "capture");
	assert_true(json_integer_value(json_object_get(cap, "packets")) >= 10);
	assert_true(json_is_false(json_object_get(cap, "truncated")));
	/* the servers are the interface's own addresses (127.0.0.1): our TCP
	 * and UDP exchanges involve them */
	json_t *sum = json_object_get(j, "summary");
	assert_true(json_integer_value(json_object_get(sum, "flows")) >= 2);
	json_decref(j);
}

static void test_binary_sigint(void **state)
{
	(void)state;
	if (geteuid() != 0)
		pa_skip("not root: live capture on lo needs root");
	const char *bin = getenv("PORTAUDIT");
	assert_non_null(bin);
	const char *json = pa_tmp("int.json");
	fflush(NULL);
	double t0 = now_s();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A filter nothing on lo matches: no packet, whatever else
		 * runs on this machine. */
		execl(bin, bin, "-i", "lo", "--duration", "30", "-q", "--fail-on",
		      "none", "--json", json, "udp", "port", "9", "and", "host",
		      "127.0.0.254", (char *)NULL);
		_exit(127);
	}
	usleep(800000);
	kill(pid, SIGINT);
	int st = wait_child(pid);
	double el = now_s() - t0;
	/* The report is still produced; lo carried no packet, so nothing was
	 * checked: not audited, exit 3, whatever --fail-on says. */
	assert_int_equal(st, 3);
	assert_true(el < 5.0);
	json_t *j = pa_load_json(json);
	assert_string_equal(json_string_value(json_object_get(
	        json_object_get(j, "summary"), "verdict")), "not-audited");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_run_live),
		cmocka_unit_test(test_binary_duration),
		cmocka_unit_test(test_binary_sigint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
