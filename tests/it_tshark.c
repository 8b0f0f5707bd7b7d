/* it_tshark.c -- the flows of cap_run() against tshark's conversations
 * (`tshark -q -z conv,tcp -z conv,udp`) on every committed capture in pcaps/:
 * the same endpoints, the same packets each way. Known differences (see
 * docs/flows.md): tshark's conversations never time out (we may split one
 * tuple into several flows: compared summed per tuple). A fragmented
 * datagram is one packet in both: tshark counts the reassembled datagram,
 * we count its first fragment (and every fragment's bytes). */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "tshark_conv.h"

#define MAXC 4096

static struct ts_conv ours_v[MAXC], theirs_v[MAXC];
static struct ts_convs ours = { ours_v, 0, MAXC };
static struct ts_convs theirs = { theirs_v, 0, MAXC };

static void on_flow(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	if (f->proto != 6 && f->proto != 17)
		return;
	struct ts_conv c;
	memset(&c, 0, sizeof c);
	c.proto = f->proto;
	int af = f->family == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, f->addr_a, c.a, sizeof c.a);
	inet_ntop(af, f->addr_b, c.b, sizeof c.b);
	c.pa = f->port_a;
	c.pb = f->port_b;
	c.n[0] = f->pkts[0];
	c.n[1] = f->pkts[1];
	ts_conv_add(&ours, &c);
}

static const char *tshark_path(void)
{
	static char path[512];
	const char *p = getenv("PATH");
	while (p && *p) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(path, sizeof path, "%.*s/tshark", (int)n, p);
		if (access(path, X_OK) == 0)
			return path;
		p += n + (c ? 1 : 0);
	}
	return NULL;
}

static void test_tshark(void **state)
{
	(void)state;
	const char *ts = tshark_path();
	if (!ts)
		pa_skip("tshark not installed (tests/install_tools.sh installs it)");
	DIR *d = opendir(pa_src("pcaps"));
	if (!d)
		fail_msg("no pcaps/ directory in %s", pa_src(""));
	struct dirent *de;
	unsigned files = 0, bad = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".pcap") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", pa_src("pcaps"), de->d_name);
		ours.n = theirs.n = 0;
		struct cap_options o;
		memset(&o, 0, sizeof o);
		o.sources[0] = path;
		o.nsources = 1;
		o.quiet = true;
		o.max_flows = 65536;
		struct cap_stats st;
		char err[512];
		if (cap_run(&o, on_flow, NULL, &st, err, sizeof err) != 0)
			fail_msg("%s: %s", de->d_name, err);
		const char *argv[] = { ts, "-n", "-r", path, "-q", "-z", "conv,tcp",
		                       "-z", "conv,udp", NULL };
		struct pa_result r;
		pa_exec(&r, NULL, argv);
		if (r.status != 0)
			fail_msg("tshark on %s: status %d: %s", de->d_name, r.status,
			         r.err);
		ts_parse_conv(r.out, &theirs);
		pa_result_free(&r);
		unsigned b = ts_compare(&ours, &theirs, de->d_name);
		printf("%s: %u flows (tcp/udp tuples), tshark %u conversations, "
		       "%u differences\n", de->d_name, ours.n, theirs.n, b);
		bad += b;
		files++;
	}
	closedir(d);
	assert_true(files > 0); /* the sample captures are part of the tree */
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
