/* test_capture_run.c -- cap_run() on captures built here (pcap_dump, a
 * hand-written pcapng), on the committed pcaps/ and on the shared corpus. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/capture.h"
#include "capture/flow.h"
#include "frames.h"

#define MAXF 256
static struct cap_flow flows[MAXF];
static unsigned nflows;

static void collect(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	if (nflows < MAXF)
		flows[nflows] = *f;
	nflows++;
}

/* ---- building captures -------------------------------------------------- */

#define SYN CAP_TH_SYN
#define ACK CAP_TH_ACK
#define FIN CAP_TH_FIN

/* A TCP handshake + data + close, and a UDP request/response. */
static void write_basic(const char *path, uint64_t t, uint16_t cport)
{
	struct writer w;
	w_open(&w, path, DLT_EN10MB, false);
	struct frame f;
	f = mk4(6, A, cport, B, 1960, SYN, 0);              w_put(&w, &f, t, 0);
	f = mk4(6, B, 1960, A, cport, SYN | ACK, 0);        w_put(&w, &f, t, 100);
	f = mk4(6, A, cport, B, 1960, ACK, 0);              w_put(&w, &f, t, 200);
	f = mk4(6, A, cport, B, 1960, ACK, 100);            w_put(&w, &f, t, 300);
	f = mk4(6, B, 1960, A, cport, FIN | ACK, 0);        w_put(&w, &f, t, 400);
	f = mk4(6, A, cport, B, 1960, FIN | ACK, 0);        w_put(&w, &f, t, 500);
	f = mk4(17, A, 40000, B, 53, 0, 30);                w_put(&w, &f, t + 1, 0);
	f = mk4(17, B, 53, A, 40000, 0, 60);                w_put(&w, &f, t + 1, 900);
	w_close(&w);
}

static void opts(struct cap_options *o, const char *src)
{
	memset(o, 0, sizeof *o);
	o->sources[0] = src;
	o->nsources = src ? 1 : 0;
	o->quiet = true;
	o->max_flows = 4096;
}

static int run(const struct cap_options *o, struct cap_stats *st, char *err)
{
	nflows = 0;
	return cap_run(o, collect, NULL, st, err, 512);
}

static const struct cap_flow *find_port(uint16_t port_b)
{
	for (unsigned i = 0; i < nflows && i < MAXF; i++)
		if (flows[i].port_b == port_b)
			return &flows[i];
	return NULL;
}

/* ---- tests -------------------------------------------------------------- */

static void test_basic(void **state)
{
	(void)state;
	const char *p = pa_tmp("basic.pcap");
	write_basic(p, T0, 50000);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(st.packets, 8);
	assert_int_equal(st.ip_packets, 8);
	assert_int_equal(st.bytes, 6 * 54 + 100 + 30 + 60 + 2 * 42);
	assert_int_equal(st.first_ns, T0 * 1000000000ull);
	assert_int_equal(st.last_ns, (T0 + 1) * 1000000000ull + 900000);
	assert_int_equal(st.nsources, 1);
	assert_int_equal(st.linktypes[0], DLT_EN10MB);
	assert_false(st.truncated);
	assert_false(st.interrupted);
	assert_int_equal(st.skipped[0][0], 0);
	assert_int_equal(nflows, 2);
	assert_int_equal(st.flows, 2);
	const struct cap_flow *t = find_port(1960), *u = find_port(53);
	assert_non_null(t);
	assert_non_null(u);
	assert_int_equal(t->outcome, CAP_OUT_CLOSED);
	assert_int_equal(t->port_a, 50000);
	assert_int_equal(t->pkts[0], 4);
	assert_int_equal(t->pkts[1], 2);
	assert_int_equal(t->bytes[0], 3 * 54 + 154);
	assert_int_equal(u->outcome, CAP_OUT_REPLIED);
	assert_int_equal(u->bytes[0], 72);
	assert_int_equal(u->bytes[1], 102);
	assert_int_equal(u->first_ns, (T0 + 1) * 1000000000ull);
}

static void test_two_files(void **state)
{
	(void)state;
	/* The handshake starts in one file and completes in the next: one
	 * table across the files, read in the order given. */
	const char *p1 = pa_tmp("part1.pcap"), *p2 = pa_tmp("part2.pcap");
	struct writer w;
	struct frame f;
	w_open(&w, p1, DLT_EN10MB, false);
	f = mk4(6, A, 50001, B, 22, SYN, 0);         w_put(&w, &f, T0, 0);
	w_close(&w);
	w_open(&w, p2, DLT_EN10MB, false);
	f = mk4(6, B, 22, A, 50001, SYN | ACK, 0);   w_put(&w, &f, T0, 10);
	f = mk4(6, A, 50001, B, 22, ACK, 0);         w_put(&w, &f, T0, 20);
	w_close(&w);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p1);
	o.sources[1] = p2;
	o.nsources = 2;
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(st.nsources, 2);
	assert_int_equal(st.packets, 3);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(flows[0].port_a, 50001);
	assert_int_equal(flows[0].initiator_inferred, 0);
	/* In the other order the SYN-ACK comes first: turned around, and the
	 * late SYN is then the initiator's. */
	o.sources[0] = p2;
	o.sources[1] = p1;
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].port_a, 50001);
	assert_int_equal(flows[0].first_ns, T0 * 1000000000ull);
	assert_int_equal(flows[0].last_ns, T0 * 1000000000ull + 20000);
	assert_int_equal(st.first_ns, T0 * 1000000000ull);
	assert_int_equal(st.last_ns, T0 * 1000000000ull + 20000);
}

static void test_truncated(void **state)
{
	(void)state;
	const char *p = pa_tmp("cut.pcap");
	write_basic(p, T0, 50002);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(truncate(p, sb.st_size - 20), 0); /* inside the last */
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	assert_int_equal(run(&o, &st, err), 0);
	assert_true(st.truncated);
	assert_int_equal(st.packets, 7);
	assert_int_equal(nflows, 2);
	const struct cap_flow *u = find_port(53);
	assert_non_null(u);
	assert_int_equal(u->outcome, CAP_OUT_ONEWAY);
}

static void expect_error(const char *src, const char *filter, const char *msg)
{
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, src);
	o.filter = filter;
	assert_int_equal(run(&o, &st, err), -1);
	assert_true(pa_contains(err, msg));
	assert_int_equal(nflows, 0);
}

static void test_errors(void **state)
{
	(void)state;
	const char *txt = pa_tmp("notes.txt");
	pa_write_file(txt, "this is not a capture, just some text\n");
	expect_error(txt, NULL, "notes.txt: not a pcap or pcapng file (");
	const char *empty = pa_tmp("empty.pcap");
	pa_write_file(empty, "");
	expect_error(empty, NULL, "empty.pcap: empty file (0 bytes)");
	expect_error(pa_tmp("missing.pcap"), NULL,
	             "missing.pcap: cannot open: No such file or directory");
	expect_error(pa_tmpdir(), NULL, "is a directory");
	/* A short file: the header itself is cut. */
	const char *shortf = pa_tmp("short.pcap");
	pa_write_file(shortf, "\xd4\xc3\xb2\xa1\x02");
	expect_error(shortf, NULL, "short.pcap: not a pcap or pcapng file (");

	const char *p = pa_tmp("f.pcap");
	write_basic(p, T0, 50003);
	expect_error(p, "tcp port", "bad filter 'tcp port': ");
	expect_error(p, "xyz", "bad filter 'xyz'");
	/* A missing second file fails before the first is read. */
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	o.sources[1] = pa_tmp("nope.pcap");
	o.nsources = 2;
	assert_int_equal(run(&o, &st, err), -1);
	assert_true(pa_contains(err, "nope.pcap: cannot open"));
	assert_int_equal(nflows, 0);
	assert_int_equal(st.packets, 0);
}

static void test_filter(void **state)
{
	(void)state;
	const char *p = pa_tmp("filt.pcap");
	write_basic(p, T0, 50004);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	o.filter = "port 9";
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(nflows, 0);
	assert_int_equal(st.packets, 0);
	o.filter = "udp";
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].proto, 17);
	assert_int_equal(st.packets, 2);
}

static void test_count(void **state)
{
	(void)state;
	const char *p = pa_tmp("count.pcap");
	write_basic(p, T0, 50005);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	o.count = 3;
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(st.packets, 3);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].outcome, CAP_OUT_ESTABLISHED);
}

static void test_nanosecond(void **state)
{
	(void)state;
	const char *p = pa_tmp("nano.pcap");
	struct writer w;
	struct frame f = mk4(17, A, 1000, B, 2000, 0, 4);
	w_open(&w, p, DLT_EN10MB, true);
	w_put(&w, &f, T0, 123456789);
	w_close(&w);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].first_ns, T0 * 1000000000ull + 123456789);
	assert_int_equal(st.first_ns, T0 * 1000000000ull + 123456789);
	/* The same in a microsecond file: scaled to ns. */
	w_open(&w, p, DLT_EN10MB, false);
	w_put(&w, &f, T0, 123456);
	w_close(&w);
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(flows[0].first_ns, T0 * 1000000000ull + 123456000);
}

/* pcapng written by hand: SHB, IDB (if_tsresol 9: nanoseconds), EPBs. */
static void le32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	                 (uint8_t)(v >> 24) };
	assert_int_equal(fwrite(b, 1, 4, f), 4);
}

static void le16(FILE *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	assert_int_equal(fwrite(b, 1, 2, f), 2);
}

static void epb(FILE *f, const struct frame *fr, uint64_t ts)
{
	uint32_t pad = (4 - fr->len % 4) % 4;
	uint32_t tot = 32 + fr->len + pad;
	le32(f, 6);
	le32(f, tot);
	le32(f, 0);
	le32(f, (uint32_t)(ts >> 32));
	le32(f, (uint32_t)ts);
	le32(f, fr->len);
	le32(f, fr->len);
	assert_int_equal(fwrite(fr->b, 1, fr->len, f), fr->len);
	for (uint32_t i = 0; i < pad; i++)
		fputc(0, f);
	le32(f, tot);
}

static void test_pcapng(void **state)
{
	(void)state;
	const char *p = pa_tmp("hand.pcapng");
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	/* SHB */
	le32(f, 0x0a0d0d0a);
	le32(f, 28);
	le32(f, 0x1a2b3c4d);
	le16(f, 1);
	le16(f, 0);
	le32(f, 0xffffffff);
	le32(f, 0xffffffff);
	le32(f, 28);
	/* IDB with if_tsresol = 9 and opt_endofopt */
	le32(f, 1);
	le32(f, 32);
	le16(f, DLT_EN10MB);
	le16(f, 0);
	le32(f, 65535);
	le16(f, 9);
	le16(f, 1);
	fputc(9, f); fputc(0, f); fputc(0, f); fputc(0, f);
	le16(f, 0);
	le16(f, 0);
	le32(f, 32);
	uint64_t ts = T0 * 1000000000ull + 5;
	struct frame a = mk4(6, A, 50006, B, 443, SYN, 0);
	struct frame b = mk4(6, B, 443, A, 50006, SYN | ACK, 0);
	struct frame c = mk4(6, A, 50006, B, 443, ACK, 0);
	epb(f, &a, ts);
	epb(f, &b, ts + 1000);
	epb(f, &c, ts + 2000);
	assert_int_equal(fclose(f), 0);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	int rc = run(&o, &st, err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(st.packets, 3);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(flows[0].first_ns, ts);
	assert_int_equal(flows[0].last_ns, ts + 2000);
}

static void test_unsupported_linktype(void **state)
{
	(void)state;
	const char *p = pa_tmp("dbus.pcap");
	pcap_t *dead = pcap_open_dead(231 /* D-Bus */, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, p);
	assert_non_null(d);
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	uint8_t junk[40] = { 0 };
	h.caplen = h.len = sizeof junk;
	pcap_dump((u_char *)d, &h, junk);
	pcap_dump_close(d);
	pcap_close(dead);
	const char *good = pa_tmp("good.pcap");
	write_basic(good, T0, 50007);
	struct cap_options o;
	struct cap_stats st;
	char err[512];
	opts(&o, p);
	assert_int_equal(run(&o, &st, err), 0); /* a report, 0 packets */
	assert_int_equal(st.packets, 0);
	assert_true(pa_contains(st.skipped[0], "link type"));
	assert_true(pa_contains(st.skipped[0], "DBUS"));
	assert_int_equal(st.nsources, 0);
	o.sources[1] = good;
	o.nsources = 2;
	assert_int_equal(run(&o, &st, err), 0);
	assert_int_equal(st.packets, 8);
	assert_int_equal(nflows, 2);
	assert_true(st.skipped[0][0] != 0);
	assert_int_equal(st.skipped[1][0], 0);
	assert_int_equal(st.nsources, 1);
}

/* The forked child pid ran its checks and exited 0. */
static void child_ok(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_stdin(void **state)
{
	(void)state;
	const char *p = pa_tmp("stdin.pcap");
	write_basic(p, T0, 50008);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(p, O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(10);
		struct cap_options o;
		struct cap_stats st;
		char err[512];
		opts(&o, "-");
		if (run(&o, &st, err) != 0) {
			fprintf(stderr, "%s\n", err);
			_exit(11);
		}
		_exit(st.packets == 8 && nflows == 2 ? 0 : 12);
	}
	child_ok(pid);
}

static void test_drop_privileges(void **state)
{
	(void)state;
	if (geteuid() != 0)
		pa_skip("not root: -Z cannot be tested");
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		pa_skip("no user 'nobody'");
	const char *p = pa_tmp("priv.pcap");
	write_basic(p, T0, 50009);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct cap_options o;
		struct cap_stats st;
		char err[512];
		opts(&o, p);
		o.drop_user = "no-such-user-here";
		if (run(&o, &st, err) != -1 ||
		    !strstr(err, "cannot drop privileges to no-such-user-here"))
			_exit(20);
		o.drop_user = "nobody";
		if (run(&o, &st, err) != 0) {
			fprintf(stderr, "%s\n", err);
			_exit(21);
		}
		if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
		    setuid(0) == 0)
			_exit(22);
		_exit(st.packets == 8 && nflows == 2 ? 0 : 23);
	}
	child_ok(pid);
}

static void test_committed_pcaps(void **state)
{
	(void)state;
	DIR *d = opendir(pa_src("pcaps"));
	if (!d)
		fail_msg("no pcaps/ directory in %s", pa_src(""));
	struct dirent *de;
	unsigned n = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".pcap") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", pa_src("pcaps"), de->d_name);
		struct cap_options o;
		struct cap_stats st;
		char err[512];
		opts(&o, path);
		int rc = run(&o, &st, err);
		if (rc != 0)
			fail_msg("%s: %s", de->d_name, err);
		if (st.packets == 0 || nflows == 0 || st.ip_packets == 0)
			fail_msg("%s: %llu packets, %u flows", de->d_name,
			         (unsigned long long)st.packets, nflows);
		uint64_t in_flows = 0;
		for (unsigned i = 0; i < nflows && i < MAXF; i++)
			in_flows += flows[i].pkts[0] + flows[i].pkts[1];
		if (nflows <= MAXF && in_flows > st.ip_packets)
			fail_msg("%s: flows count more packets than read", de->d_name);
		n++;
	}
	closedir(d);
	assert_true(n > 0); /* the sample captures are part of the tree */
}

/* Every file of the shared corpus through cap_run: 0 or -1 with a message,
 * never a crash (under test-san, never a sanitizer report). */
static void test_corpus(void **state)
{
	(void)state;
	static const char *const dirs[] = { "../shared/corpus/tcpdump",
	                                    "../shared/corpus/libpcap" };
	unsigned files = 0, ok = 0;
	for (unsigned k = 0; k < 2; k++) {
		char dir[1024];
		snprintf(dir, sizeof dir, "%s", pa_src(dirs[k]));
		DIR *d = opendir(dir);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char path[2048];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			struct cap_options o;
			struct cap_stats st;
			char err[512];
			opts(&o, path);
			o.max_flows = 1024;
			err[0] = 0;
			int rc = run(&o, &st, err);
			if (rc == 0)
				ok++;
			else if (rc != -1 || !err[0])
				fail_msg("%s: rc %d, no message", path, rc);
			files++;
		}
		closedir(d);
	}
	if (files == 0)
		pa_skip("no shared corpus (../shared/corpus)");
	printf("corpus: %u files, %u read\n", files, ok);
	assert_true(ok > files / 2);
}

/* SIGINT while cap_run is working (here: from the flow callback, during the
 * final flush, where the handler is installed): the first one ends the
 * capture and cap_run still returns 0 with stats->interrupted; a second one
 * kills the process with the default action. In forked children. */
static int raises;
static void raise_cb(const struct cap_flow *f, void *ctx)
{
	(void)f;
	(void)ctx;
	for (int i = 0; i < raises; i++)
		raise(SIGINT);
	raises = 0;
}

static void test_sigint(void **state)
{
	(void)state;
	const char *p = pa_tmp("sig.pcap");
	write_basic(p, T0, 50010);
	for (int n = 1; n <= 2; n++) {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct cap_options o;
			struct cap_stats st;
			char err[512];
			opts(&o, p);
			raises = n;
			/* A shell that starts a job in the background sets
			 * SIGINT to ignored, which the capture would restore:
			 * start from the default, as at a terminal. */
			signal(SIGINT, SIG_DFL);
			if (cap_run(&o, raise_cb, NULL, &st, err, sizeof err) != 0)
				_exit(30);
			/* the handler is gone: the default action is back */
			struct sigaction sa;
			sigaction(SIGINT, NULL, &sa);
			_exit(st.interrupted && sa.sa_handler == SIG_DFL ? 0 : 31);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (n == 1) {
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		} else {
			assert_true(WIFSIGNALED(status));
			assert_int_equal(WTERMSIG(status), SIGINT);
		}
	}
}

static void test_progress(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	struct cap_progress pr;
	cap_progress_start(&pr, true, false, 0, 1000000, f);
	uint64_t now = cap_mono_ns();
	cap_progress_update(&pr, now, 10, 1, 1, 0); /* too soon: nothing */
	cap_progress_update(&pr, now + 1000000000ull, 500000, 1234, 7, 0);
	cap_progress_end(&pr);
	cap_progress_start(&pr, true, true, 10, 0, f);
	cap_progress_update(&pr, cap_mono_ns() + 2000000000ull, 0, 99, 5, 3);
	cap_progress_end(&pr);
	cap_progress_start(&pr, false, true, 10, 0, f); /* off: nothing */
	cap_progress_update(&pr, cap_mono_ns() + 2000000000ull, 0, 77777, 5, 3);
	cap_progress_end(&pr);
	fflush(f);
	rewind(f);
	char buf[2048];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	assert_true(pa_contains(buf, "\r\033[K["));
	assert_true(pa_contains(buf, " 50% "));
	assert_true(pa_contains(buf, "1234 pkts"));
	assert_true(pa_contains(buf, "ETA"));
	assert_true(pa_contains(buf, "live "));
	assert_true(pa_contains(buf, "99 pkts  5 flows  3 dropped"));
	assert_null(strstr(buf, "77777"));
	/* erased at the end */
	assert_int_equal(strcmp(buf + n - 4, "\r\033[K"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_two_files),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_nanosecond),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_unsupported_linktype),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_drop_privileges),
		cmocka_unit_test(test_committed_pcaps),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_sigint),
		cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
