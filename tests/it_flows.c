/* it_flows.c -- flow records from the real exporters and collector:
 * every bundled capture (pcaps/NAME.pcap) through softflowd (IPFIX, IPFIX
 * biflows, NetFlow v9, v5) and pmacctd (IPFIX, v9) into nfcapd on the
 * loopback, then `portaudit --flows nfdump:DIR --json`; its findings are
 * compared with `portaudit -r X.pcap --json`. They must be equal except
 * for the differences listed in `expected[]` below, each with why (a
 * caveat of flow records, or a limit of the exporter or of nfcapd); a
 * difference not listed, or a listed one that does not happen, fails.
 *
 * Every pipeline of a variant runs at once (one nfcapd per capture, on a
 * port chosen now), so the whole comparison takes seconds; every process
 * is bounded by a deadline and killed after it. */
#include "harness.h"
#include "test_report_fixture.h" /* sch_check: docs/report.schema.json */

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

#define MAXPCAP 64
#define DEADLINE_MS 30000

/* ---- processes ------------------------------------------------------------ */

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

/* Start argv with stdout and stderr to `log`, in its own process group. */
static pid_t spawn(const char *const *argv, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* Wait for pid until the deadline; then kill its group. Its status. */
static int reap(pid_t pid, uint64_t deadline)
{
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		sleep_ms(20);
	}
}

/* A UDP port on 127.0.0.1 nobody holds now (the socket stays open until
 * close_port, so that the ports of one batch differ). */
static int hold_port(unsigned *port)
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
	*port = ntohs(a.sin_port);
	return fd;
}

/* Is the UDP port bound (by nfcapd)? */
static bool port_taken(unsigned port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	bool taken = bind(fd, (struct sockaddr *)&a, sizeof a) != 0;
	close(fd);
	return taken;
}

/* ---- the captures ----------------------------------------------------------- */

static char *pcaps[MAXPCAP];
static unsigned npcap;
static json_t *packet_report[MAXPCAP];

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < npcap; i++) {
		free(pcaps[i]);
		json_decref(packet_report[i]);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_pcaps(void)
{
	if (npcap)
		return;
	DIR *d = opendir(pa_src("pcaps"));
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL && npcap < MAXPCAP) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".pcap") == 0) {
			pcaps[npcap] = strndup(e->d_name, n - 5);
			assert_non_null(pcaps[npcap]);
			npcap++;
		}
	}
	closedir(d);
	qsort(pcaps, npcap, sizeof pcaps[0], by_name);
	assert_true(npcap >= 20);
}

/* ---- the variants ------------------------------------------------------------- */

enum { V_SF10 = 0, V_SF10B, V_SF9, V_SF5, V_PM10, V_PM9, V_COUNT };

#define B(v) (1u << (v))
#define ALLSF (B(V_SF10) | B(V_SF10B) | B(V_SF9) | B(V_SF5))
#define ALLPM (B(V_PM10) | B(V_PM9))
#define ALL (ALLSF | ALLPM)

static const char *const vname[V_COUNT] = {
	"softflowd -v 10", "softflowd -v 10 -b", "softflowd -v 9",
	"softflowd -v 5", "pmacctd IPFIX", "pmacctd v9",
};

/* Run the variant's exporter on every capture into one nfcapd each; the
 * nfcapd files of capture i end up in DIR/v<variant>/<name>/. */
static void export_all(int v)
{
	unsigned ports[MAXPCAP];
	int held[MAXPCAP];
	pid_t cap[MAXPCAP], exp[MAXPCAP];
	char dir[MAXPCAP][512];
	for (unsigned i = 0; i < npcap; i++) {
		snprintf(dir[i], sizeof dir[i], "%s/v%d", pa_tmpdir(), v);
		mkdir(dir[i], 0755);
		snprintf(dir[i], sizeof dir[i], "%s/v%d/%s", pa_tmpdir(), v,
		         pcaps[i]);
		assert_int_equal(mkdir(dir[i], 0755), 0);
		held[i] = hold_port(&ports[i]);
	}
	for (unsigned i = 0; i < npcap; i++)
		close(held[i]);
	uint64_t deadline = now_ms() + DEADLINE_MS;
	for (unsigned i = 0; i < npcap; i++) {
		char port[16], log[600];
		snprintf(port, sizeof port, "%u", ports[i]);
		snprintf(log, sizeof log, "%.500s.nfcapd.log", dir[i]);
		const char *argv[] = { "nfcapd", "-w", dir[i], "-p", port, "-b",
		                       "127.0.0.1", "-t", "3600", NULL };
		cap[i] = spawn(argv, log);
	}
	for (unsigned i = 0; i < npcap; i++)
		while (!port_taken(ports[i]) && now_ms() < deadline)
			sleep_ms(10);
	for (unsigned i = 0; i < npcap; i++) {
		char pcap[600], to[64], log[600], pid[600], conf[600];
		snprintf(pcap, sizeof pcap, "%s",
		         pa_src("pcaps/"));
		snprintf(pcap + strlen(pcap), sizeof pcap - strlen(pcap), "%s.pcap",
		         pcaps[i]);
		snprintf(to, sizeof to, "127.0.0.1:%u", ports[i]);
		snprintf(log, sizeof log, "%.500s.exporter.log", dir[i]);
		snprintf(pid, sizeof pid, "%.500s.pid", dir[i]);
		if (v == V_PM10 || v == V_PM9) {
			char text[2048];
			snprintf(text, sizeof text,
			         "daemonize: false\n"
			         "pcap_savefile: %s\n"
			         "pcap_savefile_wait: true\n"
			         "plugins: nfprobe\n"
			         "nfprobe_receiver: %s\n"
			         "nfprobe_version: %d\n"
			         "aggregate: src_host, dst_host, src_port, dst_port, "
			         "proto, tos, tcpflags\n", pcap, to,
			         v == V_PM10 ? 10 : 9);
			snprintf(conf, sizeof conf, "%.500s.pmacctd.conf", dir[i]);
			pa_write_file(conf, text);
			const char *argv[] = { "pmacctd", "-f", conf, NULL };
			exp[i] = spawn(argv, log);
			continue;
		}
		/* softflowd: IPFIX with absolute millisecond times (-A milli),
		 * else -a (its times follow the capture's, roughly). */
		const char *argv[16];
		unsigned n = 0;
		argv[n++] = "softflowd";
		argv[n++] = "-d";
		argv[n++] = "-r";
		argv[n++] = pcap;
		argv[n++] = "-n";
		argv[n++] = to;
		argv[n++] = "-p";
		argv[n++] = pid;
		argv[n++] = "-v";
		argv[n++] = v == V_SF9 ? "9" : v == V_SF5 ? "5" : "10";
		if (v == V_SF10 || v == V_SF10B) {
			argv[n++] = "-A";
			argv[n++] = "milli";
		} else {
			argv[n++] = "-a";
		}
		if (v == V_SF10B)
			argv[n++] = "-b";
		argv[n] = NULL;
		exp[i] = spawn(argv, log);
	}
	if (v == V_PM10 || v == V_PM9) {
		/* pmacctd waits after the file (pcap_savefile_wait), so that
		 * its plugin is still there to export: stop it once the core
		 * says it is done; the plugin exports on its way out. */
		bool done[MAXPCAP] = { false };
		unsigned left = npcap;
		while (left && now_ms() < deadline) {
			for (unsigned i = 0; i < npcap; i++) {
				if (done[i])
					continue;
				char log[600];
				snprintf(log, sizeof log, "%.500s.exporter.log", dir[i]);
				char *t = pa_read_file(log, NULL);
				/* Done reading, or gone (a link type it cannot
				 * read: LINUX_SLL2). */
				done[i] = (t && (strstr(t, "finished reading PCAP") ||
				                 strstr(t, "ERROR"))) ||
				          kill(exp[i], 0) != 0;
				free(t);
				if (done[i])
					left--;
			}
			sleep_ms(50);
		}
		/* The core hands packets to its plugin through a buffer:
		 * give the plugin a moment to have them all, then stop the
		 * whole group (the plugin exports what it holds when it gets
		 * the signal itself). */
		sleep_ms(1000);
		for (unsigned i = 0; i < npcap; i++)
			kill(-exp[i], SIGINT);
	}
	deadline = now_ms() + 10000;
	for (unsigned i = 0; i < npcap; i++) {
		reap(exp[i], deadline);
		if (v == V_PM10 || v == V_PM9) {
			/* its plugin, gone once its last export is sent */
			while (kill(-exp[i], 0) == 0 && now_ms() < deadline)
				sleep_ms(20);
			kill(-exp[i], SIGKILL);
		}
	}
	sleep_ms(300); /* the last datagrams into nfcapd */
	deadline = now_ms() + 10000;
	for (unsigned i = 0; i < npcap; i++)
		kill(cap[i], SIGTERM);
	for (unsigned i = 0; i < npcap; i++)
		reap(cap[i], deadline);
}

/* ---- the comparison --------------------------------------------------------- */

/* A finding as compared: what it is, not when or how much. */
static void finding_key(const json_t *f, char *buf, size_t len)
{
	const json_t *svc = json_object_get(f, "service");
	const json_t *peer = json_object_get(f, "peer");
	const json_t *icmp = json_object_get(f, "icmp");
	char ic[32] = "";
	if (icmp)
		snprintf(ic, sizeof ic, " icmp %d/%d",
		         (int)json_integer_value(json_object_get(icmp, "type")),
		         (int)json_integer_value(json_object_get(icmp, "code")));
	snprintf(buf, len, "%s %s %s %d %s %s %s %s%s",
	         json_string_value(json_object_get(f, "kind")),
	         json_is_string(svc) ? json_string_value(svc) : "-",
	         json_string_value(json_object_get(f, "protocol")),
	         (int)json_integer_value(json_object_get(f, "port")),
	         json_is_string(json_object_get(f, "server"))
	         ? json_string_value(json_object_get(f, "server")) : "-",
	         json_is_string(peer) ? json_string_value(peer) : "-",
	         json_string_value(json_object_get(f, "initiator")),
	         json_is_string(json_object_get(f, "outcome"))
	         ? json_string_value(json_object_get(f, "outcome")) : "-", ic);
}

/* A difference the flow records are allowed: in a capture, for some
 * variants, a finding only the packets show ('-') or only the records
 * ('+'), or the verdict ('v'), with why. */
struct diff {
	const char *pcap;
	unsigned variants;
	char side;
	const char *key;
	const char *why;
};

/* Why the records differ from the packets (each a caveat of the report,
 * or a limit of an exporter or of nfcapd 1.7.1, checked by hand on the
 * records nfdump prints): */
#define R_V5_IPV6 "NetFlow v5 has no IPv6: softflowd -v 5 exports no " \
	"IPv6 flow"
#define R_FRAG "the exporter makes a flow of a datagram's later " \
	"fragments, without ports (port 0, IPv6: its Fragment header); the " \
	"packet path counts them in the first fragment's flow"
#define R_QINQ "softflowd 1.1.0 and pmacctd 1.7.7 read one 802.1Q tag: " \
	"the QinQ frames (200, 300) are not IP to them, so that flow is " \
	"never exported"
#define R_SLL2 "softflowd 1.1.0 and pmacctd 1.7.7 do not read " \
	"LINUX_SLL2 captures: no record, not audited"
#define R_MS_TIE "the two uniflow records of the handshake start at the " \
	"same time (softflowd and pmacctd stamp both directions with the " \
	"flow's start; nfcapd keeps milliseconds) and both ports are " \
	"ephemeral (4030x, 49xxx): nothing tells the initiator, the guess " \
	"(marked inferred, caveat) turns the flow round; the WMI dynamic " \
	"port is then judged by time alone (no payload, caveat)"
#define R_BIFLOW "nfcapd 1.7.1 keeps one TCP flags field per biflow (the " \
	"reverse side's; reverse icmpTypeCode likewise): the outcome is " \
	"reconstructed (caveat), a one-way biflow is midstream, an ICMP " \
	"error's type is the reverse's"
#define R_V9_ICMP "the ICMP type and code of pmacctd's v9 records (and " \
	"of softflowd's v9 ICMPv6 ones) are lost on the way through nfcapd " \
	"1.7.1 (nfdump prints 0/0): an unreachable reads as an echo reply " \
	"and answers no flow"

static const struct diff expected[] = {
	{ "cls_blocked", B(V_SF10B), '+',
	  "blocked shared-udp-161-outbound udp 161 10.0.0.5 10.10.0.10 server unreachable icmp 3/1", R_BIFLOW },
	{ "cls_blocked", B(V_SF10B), '+',
	  "unexpected - icmp 0 10.0.0.5 10.0.0.1 peer oneway", R_BIFLOW },
	{ "cls_blocked", B(V_SF10B), '-',
	  "blocked common-smtp tcp 25 10.0.0.5 10.0.2.25 server unreachable icmp 3/13", R_BIFLOW },
	{ "cls_blocked", B(V_SF10B), '-',
	  "blocked shared-tcp-636-outbound tcp 636 10.0.0.5 10.0.3.7 server unreachable icmp 3/1", R_BIFLOW },
	{ "cls_blocked", B(V_SF10B), '-',
	  "blocked shared-udp-161-outbound udp 161 10.0.0.5 10.10.0.10 server unanswered", R_BIFLOW },
	{ "demo", B(V_SF10B), '+',
	  "unexpected - icmp 0 10.0.0.5 10.0.0.1 peer oneway", R_BIFLOW },
	{ "demo", B(V_SF10B), '-',
	  "blocked shared-tcp-443-both tcp 443 10.0.0.5 10.0.3.9 server unreachable icmp 3/13", R_BIFLOW },
	{ "demo", B(V_SF10B), '-',
	  "blocked shared-tcp-636-outbound tcp 636 10.0.0.5 10.0.3.7 server unanswered", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '+',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8:10::10 peer oneway", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '+',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8:10::10 server unanswered", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '+',
	  "violation shared-udp-162-inbound udp 162 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/1", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '-',
	  "blocked shared-tcp-443-both tcp 443 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/1", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '-',
	  "blocked shared-tcp-636-outbound tcp 636 2001:db8::5 2001:db8:3::7 server unanswered", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '-',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8:10::10 server replied", R_BIFLOW },
	{ "ipv6", B(V_SF10B), '-',
	  "violation shared-udp-162-inbound udp 162 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/4", R_BIFLOW },
	{ "link_vlan", B(V_SF10B), '-',
	  "blocked shared-tcp-443-outbound tcp 8443 10.0.0.5 10.10.0.10 server rejected", R_BIFLOW },
	{ "link_vlan", B(V_SF10B), 'v',
	  "not-compliant -> compliant", R_BIFLOW },
	{ "pcapng", B(V_SF10B), '+',
	  "violation shared-tcp-5432-inbound tcp 5432 10.0.0.5 10.10.0.10 server midstream", R_BIFLOW },
	{ "pcapng", B(V_SF10B), '-',
	  "violation shared-tcp-5432-inbound tcp 5432 10.0.0.5 10.10.0.10 server rejected", R_BIFLOW },
	{ "rep_split", B(V_SF10B), '-',
	  "blocked shared-tcp-443-outbound tcp 8443 10.0.0.5 10.10.0.10 server unanswered", R_BIFLOW },
	{ "cls_frag", B(V_SF10) | B(V_SF10B) | B(V_SF9) | B(V_SF5), '+',
	  "unexpected - udp 0 10.0.0.5 10.10.0.40 peer oneway", R_FRAG },
	{ "frag", B(V_SF10) | B(V_SF10B) | B(V_SF9), '+',
	  "unexpected - 0 0 2001:db8::5 2001:db8:10::10 peer replied", R_FRAG },
	{ "frag", B(V_PM10) | B(V_PM9), '+',
	  "unexpected - 0 0 2001:db8::5 2001:db8:10::10 server oneway", R_FRAG },
	{ "frag", B(V_SF10) | B(V_SF10B) | B(V_SF9) | B(V_SF5), '+',
	  "unexpected - tcp 0 10.0.0.5 10.10.0.10 peer midstream", R_FRAG },
	{ "frag", B(V_SF10) | B(V_SF10B) | B(V_SF9) | B(V_SF5), '+',
	  "unexpected - udp 0 10.0.0.5 10.10.0.10 peer oneway", R_FRAG },
	{ "cls_wmi", ALL, '+',
	  "unexpected - tcp 40301 10.0.0.5 10.10.0.31 peer closed", R_MS_TIE },
	{ "cls_wmi", ALL, '+',
	  "unexpected - tcp 40302 10.0.0.5 10.10.0.32 peer closed", R_MS_TIE },
	{ "cls_wmi", ALL, '+',
	  "unexpected - tcp 40304 10.0.0.5 10.10.0.33 peer closed", R_MS_TIE },
	{ "cls_wmi", ALL, '-',
	  "unexpected - tcp 49713 10.0.0.5 10.10.0.32 server closed", R_MS_TIE },
	{ "demo", ALL, '+',
	  "unexpected - tcp 40301 10.0.0.5 10.10.0.30 peer closed", R_MS_TIE },
	{ "cls_vlan", ALL, '-',
	  "unexpected - tcp 8000 10.0.0.5 10.0.1.20 peer closed", R_QINQ },
	{ "cls_vlan", ALL, 'v',
	  "not-compliant -> compliant", R_QINQ },
	{ "link_sll2", ALL, 'v',
	  "compliant -> not-audited", R_SLL2 },
	{ "cls_ipv6", B(V_SF5), '-',
	  "unexpected - tcp 2222 2001:db8::5 2001:db8:1::20 peer closed", R_V5_IPV6 },
	{ "cls_ipv6", B(V_SF5), 'v',
	  "not-compliant -> not-audited", R_V5_IPV6 },
	{ "ipv6", B(V_SF5), '-',
	  "blocked shared-tcp-443-both tcp 443 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/1", R_V5_IPV6 },
	{ "ipv6", B(V_SF5), '-',
	  "blocked shared-tcp-636-outbound tcp 636 2001:db8::5 2001:db8:3::7 server unanswered", R_V5_IPV6 },
	{ "ipv6", B(V_SF5), '-',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8:10::10 server replied", R_V5_IPV6 },
	{ "ipv6", B(V_SF5), '-',
	  "violation shared-udp-162-inbound udp 162 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/4", R_V5_IPV6 },
	{ "ipv6", B(V_SF5), 'v',
	  "not-compliant -> not-audited", R_V5_IPV6 },
	{ "cls_blocked", B(V_PM9), '+',
	  "blocked common-smtp tcp 25 10.0.0.5 10.0.2.25 server unanswered", R_V9_ICMP },
	{ "cls_blocked", B(V_PM9), '+',
	  "blocked shared-tcp-636-outbound tcp 636 10.0.0.5 10.0.3.7 server unanswered", R_V9_ICMP },
	{ "cls_blocked", B(V_PM9), '+',
	  "unexpected - icmp 0 10.0.0.5 10.0.0.1 server replied", R_V9_ICMP },
	{ "cls_blocked", B(V_PM9), '+',
	  "unexpected - icmp 0 10.0.0.5 10.10.0.40 peer replied", R_V9_ICMP },
	{ "cls_blocked", B(V_PM9), '-',
	  "blocked common-smtp tcp 25 10.0.0.5 10.0.2.25 server unreachable icmp 3/13", R_V9_ICMP },
	{ "cls_blocked", B(V_PM9), '-',
	  "blocked shared-tcp-636-outbound tcp 636 10.0.0.5 10.0.3.7 server unreachable icmp 3/1", R_V9_ICMP },
	{ "cls_blocked", B(V_PM9), '-',
	  "blocked shared-udp-514-both udp 514 10.0.0.5 10.10.0.40 peer unreachable icmp 3/3", R_V9_ICMP },
	{ "demo", B(V_PM9), '+',
	  "blocked shared-tcp-443-both tcp 443 10.0.0.5 10.0.3.9 server unanswered", R_V9_ICMP },
	{ "demo", B(V_PM9), '+',
	  "unexpected - icmp 0 10.0.0.5 10.0.0.1 server replied", R_V9_ICMP },
	{ "demo", B(V_PM9), '-',
	  "blocked shared-tcp-443-both tcp 443 10.0.0.5 10.0.3.9 server unreachable icmp 3/13", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '+',
	  "blocked shared-tcp-443-both tcp 443 2001:db8::5 2001:db8:10::10 server unanswered", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '+',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8:10::10 peer replied", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '+',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8::1 peer oneway", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '+',
	  "violation shared-udp-162-inbound udp 162 2001:db8::5 2001:db8:10::10 server oneway", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '-',
	  "blocked shared-tcp-443-both tcp 443 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/1", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '-',
	  "unexpected - ipv6-icmp 0 2001:db8::5 2001:db8:10::10 server replied", R_V9_ICMP },
	{ "ipv6", B(V_SF9) | B(V_PM9), '-',
	  "violation shared-udp-162-inbound udp 162 2001:db8::5 2001:db8:10::10 server unreachable icmp 1/4", R_V9_ICMP },
	{ NULL, 0, 0, NULL, NULL },
};

static bool listed(const char *pcap, int v, char side, const char *key,
                   bool *seen)
{
	for (size_t i = 0; expected[i].pcap; i++) {
		const struct diff *d = &expected[i];
		if (strcmp(d->pcap, pcap) == 0 && (d->variants & B(v)) &&
		    d->side == side && strcmp(d->key, key) == 0) {
			seen[i] = true;
			return true;
		}
	}
	return false;
}

static json_t *audit(const char *what, const char *src, const char *out)
{
	struct pa_result r;
	pa_runl(&r, what, src, "--server", "10.0.0.5", "--server",
	        "2001:db8::5", "-q", "--json", out, NULL);
	if (r.status == 2)
		fail_msg("portaudit %s %s: %s", what, src, r.err);
	pa_result_free(&r);
	return pa_load_json(out);
}

static bool in_list(const json_t *rep, const char *key)
{
	size_t i;
	const json_t *f;
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		char k[512];
		finding_key(f, k, sizeof k);
		if (strcmp(k, key) == 0)
			return true;
	}
	return false;
}

/* Compare capture i's two reports; unexplained differences are printed
 * and counted. */
static unsigned compare(unsigned i, int v, const json_t *pk, const json_t *fl,
                        bool *seen)
{
	unsigned bad = 0;
	const json_t *sides[2] = { pk, fl };
	for (int s = 0; s < 2; s++) {
		size_t k;
		const json_t *f;
		json_array_foreach(json_object_get(sides[s], "findings"), k, f) {
			char key[512];
			finding_key(f, key, sizeof key);
			if (in_list(sides[1 - s], key))
				continue;
			char side = s == 0 ? '-' : '+';
			if (listed(pcaps[i], v, side, key, seen))
				continue;
			printf("%s [%s]: %c \"%s\" not explained\n", pcaps[i],
			       vname[v], side, key);
			bad++;
		}
	}
	const char *a = json_string_value(json_object_get(
		json_object_get(pk, "summary"), "verdict"));
	const char *b = json_string_value(json_object_get(
		json_object_get(fl, "summary"), "verdict"));
	if (a && b && strcmp(a, b) != 0) {
		char key[128];
		snprintf(key, sizeof key, "%s -> %s", a, b);
		if (!listed(pcaps[i], v, 'v', key, seen)) {
			printf("%s [%s]: verdict %s not explained\n", pcaps[i],
			       vname[v], key);
			bad++;
		}
	}
	return bad;
}

static bool has_nfcapd_file(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	bool found = false;
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, "nfcapd.2", 8) == 0;
	closedir(d);
	return found;
}

static void run_variant(int v)
{
	list_pcaps();
	uint64_t t0 = now_ms();
	export_all(v);
	printf("%s: exported in %llu ms\n", vname[v],
	       (unsigned long long)(now_ms() - t0));
	bool seen[sizeof expected / sizeof expected[0]];
	memset(seen, 0, sizeof seen);
	unsigned bad = 0, audited = 0;
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	for (unsigned i = 0; i < npcap; i++) {
		char src[600], dir[600], o1[600], o2[600];
		snprintf(src, sizeof src, "%s", pa_src("pcaps/"));
		snprintf(src + strlen(src), sizeof src - strlen(src), "%s.pcap",
		         pcaps[i]);
		snprintf(dir, sizeof dir, "nfdump:%s/v%d/%s", pa_tmpdir(), v,
		         pcaps[i]);
		snprintf(o1, sizeof o1, "%s/p-%s.json", pa_tmpdir(), pcaps[i]);
		snprintf(o2, sizeof o2, "%s/v%d-%s.json", pa_tmpdir(), v,
		         pcaps[i]);
		if (!has_nfcapd_file(dir + 7)) {
			char log[700];
			snprintf(log, sizeof log, "%.600s.exporter.log", dir + 7);
			char *t = pa_read_file(log, NULL);
			printf("%s [%s]: nfcapd wrote no file; the exporter said:\n%s\n",
			       pcaps[i], vname[v], t ? t : "(nothing)");
			free(t);
			snprintf(log, sizeof log, "%.600s.nfcapd.log", dir + 7);
			t = pa_read_file(log, NULL);
			printf("nfcapd said:\n%s\n", t ? t : "(nothing)");
			free(t);
			bad++;
			continue;
		}
		/* The packets' report is the same for every variant. */
		if (!packet_report[i])
			packet_report[i] = audit("-r", src, o1);
		json_t *pk = json_incref(packet_report[i]);
		json_t *fl = audit("--flows", dir, o2);
		const json_t *rec = json_object_get(json_object_get(fl, "capture"),
		                                    "records");
		assert_non_null(rec);
		if (json_integer_value(json_object_get(rec, "records")) > 0) {
			audited++;
		} else if (strcmp(pcaps[i], "link_sll2") != 0 &&
		           !(v == V_SF5 && strstr(pcaps[i], "ipv6"))) {
			/* only R_SLL2 and R_V5_IPV6 leave a capture without
			 * records */
			printf("%s [%s]: no record\n", pcaps[i], vname[v]);
			bad++;
		}
		char where[512] = "report";
		if (sch_check(schema, schema, fl, where, sizeof where) != 0) {
			printf("%s [%s]: schema: %s\n", pcaps[i], vname[v], where);
			bad++;
		}
		bad += compare(i, v, pk, fl, seen);
		json_decref(pk);
		json_decref(fl);
	}
	json_decref(schema);
	for (size_t k = 0; expected[k].pcap; k++)
		if ((expected[k].variants & B(v)) && !seen[k]) {
			printf("%s [%s]: listed %c \"%s\" did not happen\n",
			       expected[k].pcap, vname[v], expected[k].side,
			       expected[k].key);
			bad++;
		}
	printf("%s: %u captures, %u with records, %u unexplained\n", vname[v],
	       npcap, audited, bad);
	assert_true(audited >= npcap - 3);
	assert_int_equal(bad, 0);
}

static bool have_tools(int v)
{
	if (!pa_have("nfcapd") || !pa_have("nfdump"))
		return false;
	return v >= V_PM10 ? pa_have("pmacctd") : pa_have("softflowd");
}

#define VARIANT_TEST(name, v) \
	static void name(void **state) \
	{ \
		(void)state; \
		const char *only = getenv("IT_FLOWS_ONLY"); /* debugging */ \
		if (only && strcmp(only, #v) != 0) \
			skip(); \
		if (!have_tools(v)) \
			pa_skip("nfcapd, nfdump or the exporter is not installed"); \
		run_variant(v); \
	}

VARIANT_TEST(test_softflowd_ipfix, V_SF10)
VARIANT_TEST(test_softflowd_biflow, V_SF10B)
VARIANT_TEST(test_softflowd_v9, V_SF9)
VARIANT_TEST(test_softflowd_v5, V_SF5)
VARIANT_TEST(test_pmacctd_ipfix, V_PM10)
VARIANT_TEST(test_pmacctd_v9, V_PM9)

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_softflowd_ipfix),
		cmocka_unit_test(test_softflowd_biflow),
		cmocka_unit_test(test_softflowd_v9),
		cmocka_unit_test(test_softflowd_v5),
		cmocka_unit_test(test_pmacctd_ipfix),
		cmocka_unit_test(test_pmacctd_v9),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
