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

#define MAXC 4096

/* One conversation, endpoints as text. n[0] = a->b, n[1] = b->a. */
struct conv {
	uint8_t proto;
	char a[64], b[64];
	unsigned pa, pb;
	uint64_t n[2];
	bool matched;
};

static struct conv ours[MAXC], theirs[MAXC];
static unsigned nours, ntheirs;

static void add(struct conv *tab, unsigned *n, const struct conv *c)
{
	for (unsigned i = 0; i < *n; i++) {
		struct conv *t = &tab[i];
		if (t->proto != c->proto)
			continue;
		if (strcmp(t->a, c->a) == 0 && t->pa == c->pa &&
		    strcmp(t->b, c->b) == 0 && t->pb == c->pb) {
			t->n[0] += c->n[0];
			t->n[1] += c->n[1];
			return;
		}
		if (strcmp(t->a, c->b) == 0 && t->pa == c->pb &&
		    strcmp(t->b, c->a) == 0 && t->pb == c->pa) {
			t->n[0] += c->n[1];
			t->n[1] += c->n[0];
			return;
		}
	}
	assert_true(*n < MAXC);
	tab[(*n)++] = *c;
}

static void on_flow(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	if (f->proto != 6 && f->proto != 17)
		return;
	struct conv c;
	memset(&c, 0, sizeof c);
	c.proto = f->proto;
	int af = f->family == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, f->addr_a, c.a, sizeof c.a);
	inet_ntop(af, f->addr_b, c.b, sizeof c.b);
	c.pa = f->port_a;
	c.pb = f->port_b;
	c.n[0] = f->pkts[0];
	c.n[1] = f->pkts[1];
	add(ours, &nours, &c);
}

/* "10.0.0.1:50000" or "2001:db8::1:50000": the port after the last ':' */
static bool endpoint(const char *tok, char *addr, size_t alen, unsigned *port)
{
	const char *c = strrchr(tok, ':');
	if (!c || (size_t)(c - tok) >= alen)
		return false;
	memcpy(addr, tok, (size_t)(c - tok));
	addr[c - tok] = 0;
	char *end;
	unsigned long p = strtoul(c + 1, &end, 10);
	if (*end || p > 65535)
		return false;
	*port = (unsigned)p;
	/* normalise the address text as inet_ntop writes it */
	uint8_t bin[16];
	char norm[64];
	if (inet_pton(AF_INET, addr, bin) == 1)
		inet_ntop(AF_INET, bin, norm, sizeof norm);
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		inet_ntop(AF_INET6, bin, norm, sizeof norm);
	else
		return false;
	snprintf(addr, alen, "%s", norm);
	return true;
}

static void parse_tshark(const char *out)
{
	uint8_t proto = 0;
	const char *line = out;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		snprintf(buf, sizeof buf, "%.*s", (int)(len < 511 ? len : 511), line);
		if (strncmp(buf, "TCP Conversations", 17) == 0)
			proto = 6;
		else if (strncmp(buf, "UDP Conversations", 17) == 0)
			proto = 17;
		else if (proto && strstr(buf, "<->")) {
			char e1[128], e2[128], u1[16];
			unsigned long long n_ba, n_ab;
			char b1[32];
			if (sscanf(buf, "%127s <-> %127s %llu %31s %15s %llu", e1, e2,
			           &n_ba, b1, u1, &n_ab) == 6) {
				struct conv c;
				memset(&c, 0, sizeof c);
				c.proto = proto;
				if (endpoint(e1, c.a, sizeof c.a, &c.pa) &&
				    endpoint(e2, c.b, sizeof c.b, &c.pb)) {
					c.n[0] = n_ab;
					c.n[1] = n_ba;
					add(theirs, &ntheirs, &c);
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
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

static unsigned compare(const char *name)
{
	unsigned bad = 0;
	for (unsigned i = 0; i < ntheirs; i++) {
		struct conv *t = &theirs[i];
		struct conv *o = NULL;
		for (unsigned k = 0; k < nours && !o; k++) {
			struct conv *c = &ours[k];
			if (c->proto != t->proto)
				continue;
			if (strcmp(c->a, t->a) == 0 && c->pa == t->pa &&
			    strcmp(c->b, t->b) == 0 && c->pb == t->pb)
				o = c;
			else if (strcmp(c->a, t->b) == 0 && c->pa == t->pb &&
			         strcmp(c->b, t->a) == 0 && c->pb == t->pa) {
				/* compare in our orientation */
				uint64_t x = t->n[0];
				t->n[0] = t->n[1];
				t->n[1] = x;
				o = c;
			}
		}
		if (!o) {
			fprintf(stderr, "%s: tshark %s %s:%u <-> %s:%u not in our flows\n",
			        name, t->proto == 6 ? "tcp" : "udp", t->a, t->pa, t->b,
			        t->pb);
			bad++;
			continue;
		}
		o->matched = true;
		for (int d = 0; d < 2; d++) {
			bool ok = o->n[d] == t->n[d];
			if (!ok) {
				fprintf(stderr, "%s: %s:%u -> %s:%u direction %d: ours %llu,"
				        " tshark %llu\n", name, o->a, o->pa, o->b, o->pb, d,
				        (unsigned long long)o->n[d],
				        (unsigned long long)t->n[d]);
				bad++;
			}
		}
	}
	for (unsigned k = 0; k < nours; k++)
		if (!ours[k].matched) {
			fprintf(stderr, "%s: our %s flow %s:%u -> %s:%u not in tshark's\n",
			        name, ours[k].proto == 6 ? "tcp" : "udp", ours[k].a,
			        ours[k].pa, ours[k].b, ours[k].pb);
			bad++;
		}
	return bad;
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
		nours = ntheirs = 0;
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
		parse_tshark(r.out);
		pa_result_free(&r);
		unsigned b = compare(de->d_name);
		printf("%s: %u flows (tcp/udp tuples), tshark %u conversations, "
		       "%u differences\n", de->d_name, nours, ntheirs, b);
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
