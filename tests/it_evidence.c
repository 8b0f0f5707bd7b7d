/*
 * it_evidence.c -- `portaudit --evidence FILE.pcap` on captures made by
 * $PCAPGEN, the evidence read back with libpcap: only packets of flagged
 * flows (the ICMP error that blocked one included), at most N per flow,
 * byte for byte and with the sources' nanosecond timestamps, the source's
 * link type; expected flows absent; exit 1 for the findings. Then the
 * errors: an unwritable or failing evidence path (exit 2, named), standard
 * input and live capture (cannot be read twice: exit 2, no file).
 */
#include "harness.h"
#include "frames.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define NS 1000000000ull

static const char *pcapgen(void)
{
	const char *g = getenv("PCAPGEN");
	return g ? g : "build/rel/pcapgen";
}

/* Write `text` as NAME.flows and generate tmpdir/NAME.pcap; its path. */
static const char *gen(const char *name, const char *text)
{
	char flows[512];
	static char out[4][512];
	static unsigned k;
	char *o = out[k++ % 4];
	snprintf(flows, sizeof flows, "%s/%s.flows", pa_tmpdir(), name);
	snprintf(o, 512, "%s/%s.pcap", pa_tmpdir(), name);
	pa_write_file(flows, text);
	const char *argv[] = { pcapgen(), flows, o, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("pcapgen %s failed (%d): %s", name, r.status, r.err);
	pa_result_free(&r);
	return o;
}

/* ---- reading a capture back ------------------------------------------------- */

struct pk {
	uint64_t ts;
	uint32_t caplen, len;
	uint8_t data[2048];
	uint8_t proto;               /* 6, 17, 1; 0 not IPv4 */
	uint16_t sport, dport;       /* ICMP error: the quoted ports */
	bool icmp_error;
};

struct cap {
	int dlt;
	uint32_t magic;
	unsigned n;
	struct pk p[256];
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void parse(struct pk *k, int dlt)
{
	size_t off;
	if (dlt == DLT_EN10MB)
		off = 14;
	else if (dlt == DLT_LINUX_SLL)
		off = 16;
	else if (dlt == DLT_RAW || dlt == 14) /* 14: raw IP on OpenBSD */
		off = 0;
	else
		return;
	if (k->caplen < off + 20 || (k->data[off] >> 4) != 4)
		return;
	const uint8_t *ip = k->data + off;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	const uint8_t *l = ip + ihl;
	if (k->caplen < off + ihl + 8)
		return;
	k->proto = ip[9];
	if (k->proto == 6 || k->proto == 17) {
		k->sport = be16(l);
		k->dport = be16(l + 2);
	} else if (k->proto == 1 && (l[0] == 3 || l[0] == 11) &&
	           k->caplen >= off + ihl + 8 + 20 + 4) {
		const uint8_t *q = l + 8;
		const uint8_t *ql = q + (size_t)(q[0] & 15) * 4;
		if ((size_t)(ql - k->data) + 4 <= k->caplen) {
			k->icmp_error = true;
			k->sport = be16(ql);
			k->dport = be16(ql + 2);
		}
	}
}

static struct cap *read_cap(const char *path)
{
	struct cap *c = calloc(1, sizeof *c);
	assert_non_null(c);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: cannot open", path);
	assert_int_equal(fread(&c->magic, 1, 4, f), 4);
	fclose(f);
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p)
		fail_msg("%s: %s", path, eb);
	c->dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(p, &h, &d) == 1) {
		assert_true(c->n < 256);
		struct pk *k = &c->p[c->n++];
		k->ts = (uint64_t)h->ts.tv_sec * NS + (uint64_t)h->ts.tv_usec;
		k->caplen = h->caplen;
		k->len = h->len;
		assert_true(h->caplen <= sizeof k->data);
		memcpy(k->data, d, h->caplen);
		parse(k, c->dlt);
	}
	pcap_close(p);
	return c;
}

/* Packets of `c` that belong to the flow with this port (either side, or
 * quoted by an ICMP error). */
static unsigned count_port(const struct cap *c, uint16_t port)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->n; i++)
		if (c->p[i].sport == port || c->p[i].dport == port)
			n++;
	return n;
}

/* Every packet of `ev` is a record of `src`: same time, lengths, bytes. */
static void assert_from_source(const struct cap *ev, const struct cap *src)
{
	for (unsigned i = 0; i < ev->n; i++) {
		const struct pk *e = &ev->p[i];
		bool found = false;
		for (unsigned j = 0; j < src->n && !found; j++) {
			const struct pk *s = &src->p[j];
			found = s->ts == e->ts && s->len == e->len &&
			        s->caplen == e->caplen &&
			        memcmp(s->data, e->data, s->caplen) == 0;
		}
		if (!found)
			fail_msg("evidence packet %u (ts %llu) is not a source "
			         "record", i, (unsigned long long)e->ts);
	}
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* ---- the captures ------------------------------------------------------------ */

/* mon is the server. Expected: 1960 from a client, SNMP polling. Flagged:
 * RDP from a stranger (12 packets), PostgreSQL rejected (2), HTTPS blocked
 * by the firewall's ICMP error (SYN + error), and a long unexpected one
 * (36 packets) for the default limit of 20. Nanosecond pcap whose times
 * end in 234 ns, so a microsecond round trip would show. */
static const char *site_flows =
	"format pcap-ns\n"
	"start 2026-01-05T10:00:00.000001234Z\n"
	"gap 400us\n"
	"host mon      10.0.0.5\n"
	"host win      10.0.1.20\n"
	"host cucm     10.10.0.10\n"
	"host stranger 10.0.1.99\n"
	"host db       10.0.3.8\n"
	"host web      10.0.3.9\n"
	"host fw       10.0.0.1\n"
	"tcp win:51000 > mon:1960 established data 3\n"
	"udp mon:40001 > cucm:161 request-response count 3 size 60/180\n"
	"tcp stranger:52000 > mon:3389 established data 2\n"
	"tcp mon:41700 > db:5432 rejected\n"
	"tcp mon:41800 > web:443 unreachable from fw\n"
	"tcp win:51001 > mon:1960 established data 1\n"
	"tcp stranger:52001 > mon:5900 established data 10\n"
	"udp mon:40002 > cucm:161 request-response count 2\n";

static void check_site_evidence(const struct cap *ev, const struct cap *src,
                                unsigned limit)
{
	assert_int_equal(ev->dlt, DLT_EN10MB);
	assert_int_equal(ev->magic, 0xa1b23c4du); /* nanosecond pcap */
	assert_from_source(ev, src);
	for (unsigned i = 0; i < ev->n; i++) {
		const struct pk *k = &ev->p[i];
		assert_int_equal(k->ts % 1000, 234);
		/* expected flows absent */
		assert_int_not_equal(k->sport, 1960);
		assert_int_not_equal(k->dport, 1960);
		assert_int_not_equal(k->sport, 161);
		assert_int_not_equal(k->dport, 161);
	}
	unsigned rdp = limit < 12 ? limit : 12;
	unsigned vnc = limit < 36 ? limit : 36;
	assert_int_equal(count_port(ev, 3389), rdp);
	assert_int_equal(count_port(ev, 5432), limit < 2 ? limit : 2);
	assert_int_equal(count_port(ev, 443), limit < 2 ? limit : 2);
	assert_int_equal(count_port(ev, 5900), vnc);
	/* The ICMP error that blocked 443 is there, quoting the SYN. */
	bool err = false;
	for (unsigned i = 0; i < ev->n; i++)
		if (ev->p[i].icmp_error && ev->p[i].dport == 443)
			err = true;
	if (limit >= 2)
		assert_true(err);
	/* The first packets of each flow, in capture order: the RDP SYN
	 * comes first and the packets are in time order. */
	for (unsigned i = 1; i < ev->n; i++)
		assert_true(ev->p[i].ts > ev->p[i - 1].ts);
}

static void test_evidence_limit_3(void **state)
{
	(void)state;
	const char *cap = gen("site", site_flows);
	const char *ev = pa_tmp("ev3.pcap");
	const char *js = pa_tmp("ev3.json");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--json", js,
	        "--evidence", ev, "--evidence-packets", "3", NULL);
	if (r.status != 1)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	pa_result_free(&r);
	struct cap *src = read_cap(cap);
	struct cap *e = read_cap(ev);
	check_site_evidence(e, src, 3);
	assert_int_equal(e->n, 3 + 2 + 2 + 3);

	/* As many flows in the evidence as the report flagged. */
	json_t *j = pa_load_json(js);
	json_t *s = json_object_get(j, "summary");
	json_int_t flagged = json_integer_value(json_object_get(s, "unexpected")) +
	                     json_integer_value(json_object_get(s, "violation")) +
	                     json_integer_value(json_object_get(s, "blocked"));
	assert_int_equal(flagged, 4);
	json_decref(j);
	free(src);
	free(e);
}

static void test_evidence_default_20(void **state)
{
	(void)state;
	const char *cap = gen("site20", site_flows);
	const char *ev = pa_tmp("ev20.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev,
	        NULL);
	if (r.status != 1)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	pa_result_free(&r);
	struct cap *src = read_cap(cap);
	struct cap *e = read_cap(ev);
	check_site_evidence(e, src, 20);
	assert_int_equal(e->n, 12 + 2 + 2 + 20);
	free(src);
	free(e);

	/* --evidence-packets 1: the first packet of each flagged flow. */
	const char *ev1 = pa_tmp("ev1.pcap");
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev1,
	        "--evidence-packets", "1", NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	src = read_cap(cap);
	e = read_cap(ev1);
	check_site_evidence(e, src, 1);
	assert_int_equal(e->n, 4);
	free(src);
	free(e);
}

/* The trailing BPF filter applies to both passes. */
static void test_evidence_filter(void **state)
{
	(void)state;
	const char *cap = gen("sitef", site_flows);
	const char *ev = pa_tmp("evf.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev,
	        "--evidence-packets", "3", "not", "port", "5900", NULL);
	if (r.status != 1)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	pa_result_free(&r);
	struct cap *e = read_cap(ev);
	assert_int_equal(count_port(e, 5900), 0);
	assert_int_equal(count_port(e, 3389), 3);
	assert_int_equal(e->n, 3 + 2 + 2);
	free(e);
}

/* Nothing flagged: a valid pcap with no packet, exit 0. */
static void test_evidence_compliant(void **state)
{
	(void)state;
	const char *cap = gen("clean",
		"host mon 10.0.0.5\n"
		"host win 10.0.1.20\n"
		"tcp win:51000 > mon:1960 established data 2\n");
	const char *ev = pa_tmp("evc.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev,
	        NULL);
	if (r.status != 0)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	pa_result_free(&r);
	struct cap *e = read_cap(ev);
	assert_int_equal(e->n, 0);
	assert_int_equal(e->dlt, DLT_EN10MB);
	assert_int_equal(e->magic, 0xa1b23c4du);
	free(e);
}

/* One flagged flow (a stranger to mon:3389, 9 packets) of link type
 * `linktype` (pcapgen's word), its file's header then given link type
 * set_dlt unless -1: the evidence holds all its packets, byte for byte,
 * with link type want_dlt, and the JSON report names the source's link
 * type want_name. */
static void one_flow_evidence(const char *name, const char *linktype,
                              int set_dlt, int want_dlt, const char *want_name)
{
	char text[512], evname[64], jsname[64];
	snprintf(text, sizeof text,
		"linktype %s\n"
		"host mon 10.0.0.5 local\n"
		"host stranger 10.0.1.99\n"
		"tcp stranger:52000 > mon:3389 established data 1\n", linktype);
	const char *cap = gen(name, text);
	if (set_dlt >= 0) {
		FILE *f = fopen(cap, "r+b");
		assert_non_null(f);
		uint32_t magic, dlt = (uint32_t)set_dlt;
		assert_int_equal(fread(&magic, 1, 4, f), 4);
		assert_true(magic == 0xa1b2c3d4u || magic == 0xa1b23c4du);
		assert_int_equal(fseek(f, 20, SEEK_SET), 0);
		assert_int_equal(fwrite(&dlt, 1, 4, f), 4);
		assert_int_equal(fclose(f), 0);
	}
	snprintf(evname, sizeof evname, "ev%s.pcap", name);
	snprintf(jsname, sizeof jsname, "ev%s.json", name);
	const char *ev = pa_tmp(evname);
	char js[1024];
	snprintf(js, sizeof js, "%s", pa_tmp(jsname));
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev,
	        "--json", js, NULL);
	if (r.status != 1)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	pa_result_free(&r);
	json_t *j = pa_load_json(js);
	json_t *lts = json_object_get(json_object_get(j, "capture"), "linktypes");
	assert_int_equal(json_array_size(lts), 1);
	assert_string_equal(json_string_value(json_array_get(lts, 0)), want_name);
	json_decref(j);
	struct cap *src = read_cap(cap);
	struct cap *e = read_cap(ev);
	if (set_dlt >= 0)
		assert_int_equal(src->dlt, set_dlt);
	assert_int_equal(e->dlt, want_dlt);
	assert_int_equal(e->n, src->n);
	assert_int_equal(count_port(e, 3389), 9);
	assert_from_source(e, src);
	free(src);
	free(e);
}

/* The evidence keeps the source's link type (Linux cooked here). */
static void test_evidence_linktype(void **state)
{
	(void)state;
	one_flow_evidence("sll", "sll", -1, DLT_LINUX_SLL, "LINUX_SLL");
}

/* Raw IP as OpenBSD numbers it (DLT 14), which libpcap reads but will not
 * write: portaudit takes it as DLT_RAW (cap_linktype_canonical), so the
 * evidence is written as DLT_RAW, the same packets (the run failed with
 * exit 2 after the capture; found by fuzz_pcap), and the report says RAW,
 * not 14. */
static void test_evidence_raw_openbsd(void **state)
{
	(void)state;
	one_flow_evidence("raw14", "raw", 14, DLT_RAW, "RAW");
}

/* Two files of different link types: the first one's is kept, the other
 * file's flagged packets are skipped and said so on stderr. */
static void test_evidence_mixed_linktypes(void **state)
{
	(void)state;
	const char *eth = gen("m-eth",
		"host mon 10.0.0.5\n"
		"host stranger 10.0.1.99\n"
		"tcp stranger:52000 > mon:3389 established data 1\n");
	const char *raw = gen("m-raw",
		"linktype raw\n"
		"start 2026-01-05T11:00:00Z\n"
		"host mon 10.0.0.5\n"
		"host stranger 10.0.1.99\n"
		"tcp stranger:52001 > mon:5900 established data 1\n");
	const char *ev = pa_tmp("evmix.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", eth, "-r", raw, "--server", "10.0.0.5", "-q",
	        "--evidence", ev, "--evidence-packets", "4", NULL);
	if (r.status != 1)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	assert_true(pa_contains(r.err, "link type"));
	assert_true(pa_contains(r.err, "4 packets"));
	pa_result_free(&r);
	struct cap *e = read_cap(ev);
	assert_int_equal(e->dlt, DLT_EN10MB);
	assert_int_equal(count_port(e, 3389), 4);
	assert_int_equal(count_port(e, 5900), 0);
	assert_int_equal(e->n, 4);
	free(e);
}

/* Packets in a pcap file, and how many distinct lower TCP ports (the
 * responder's in a scan of ports below the scanner's). */
static unsigned count_packets(const char *path, unsigned *pairs)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	if (!p)
		fail_msg("%s: %s", path, eb);
	static uint8_t seen[65536];
	memset(seen, 0, sizeof seen);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0;
	*pairs = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct pk k;
		memset(&k, 0, sizeof k);
		k.caplen = h->caplen < sizeof k.data ? h->caplen
		                                     : (uint32_t)sizeof k.data;
		memcpy(k.data, d, k.caplen);
		parse(&k, pcap_datalink(p));
		uint16_t port = k.sport < k.dport ? k.sport : k.dport;
		if (k.proto == 6 && !seen[port]) {
			seen[port] = 1;
			(*pairs)++;
		}
		n++;
	}
	pcap_close(p);
	return n;
}

/* Thousands of flagged flows: the table grows past its first size and
 * every flow keeps its packets. */
static void test_evidence_many_flows(void **state)
{
	(void)state;
	const char *cap = gen("scan",
		"gap 10us\n"
		"host mon 10.0.0.5\n"
		"host stranger 10.0.1.99\n"
		"tcp stranger:40000 > mon:20000-22999 rejected\n");
	const char *ev = pa_tmp("evscan.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev,
	        NULL);
	if (r.status != 1)
		fail_msg("exit %d, stderr: %s", r.status, r.err);
	pa_result_free(&r);
	unsigned pairs;
	assert_int_equal(count_packets(ev, &pairs), 6000);
	assert_int_equal(pairs, 3000);
}

/* Wireshark's reader agrees: tshark opens the evidence and sees the
 * nanoseconds. */
static void test_evidence_tshark(void **state)
{
	(void)state;
	if (!pa_have("tshark")) {
		pa_skip("tshark not installed");
		return;
	}
	const char *cap = gen("sitets", site_flows);
	const char *ev = pa_tmp("evts.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", ev,
	        "--evidence-packets", "3", NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "tshark -r '%s' -T fields -e frame.time_epoch "
	         "-e tcp.port -e icmp.type 2>/dev/null", ev);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	unsigned lines = 0;
	for (const char *l = r.out; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		const char *tab = memchr(l, '\t', n);
		assert_non_null(tab);
		/* "1767607207.035201234": nine decimals ending in 234 */
		assert_true(tab - l > 4);
		assert_memory_equal(tab - 3, "234", 3);
		lines++;
		l += n + (nl ? 1 : 0);
	}
	assert_int_equal(lines, 10);
	assert_true(pa_contains(r.out, "3389"));
	assert_false(strstr(r.out, "1960") != NULL);
	pa_result_free(&r);
}

static void test_evidence_unwritable(void **state)
{
	(void)state;
	const char *cap = gen("unw", site_flows);
	const char *bad = pa_tmp("no-such-dir/ev.pcap");
	struct pa_result r;
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence", bad,
	        NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, bad));
	pa_result_free(&r);

	/* A device that fails every write: the error names it. */
	if (!exists("/dev/full")) {
		pa_skip("no /dev/full");
		return;
	}
	pa_runl(&r, "-r", cap, "--server", "10.0.0.5", "-q", "--evidence",
	        "/dev/full", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "/dev/full"));
	pa_result_free(&r);
}

/* -r -: standard input cannot be read twice. Exit 2, a message that says
 * --evidence needs -r FILE, and no evidence file. */
static void test_evidence_stdin(void **state)
{
	(void)state;
	const char *cap = gen("stdin", site_flows);
	const char *ev = pa_tmp("evstdin.pcap");
	const char *bin = getenv("PORTAUDIT");
	if (!bin)
		bin = "./portaudit";
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "exec '%s' -r - --server 10.0.0.5 -q "
	         "--evidence '%s' < '%s'", bin, ev, cap);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--evidence"));
	assert_true(pa_contains(r.err, "-r FILE"));
	assert_false(exists(ev));
	pa_result_free(&r);
}

/* -i: a live capture cannot be read twice either. Needs the right to
 * capture on lo; without it the capture's own error comes first. */
static void test_evidence_live(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		pa_skip("live capture on lo needs root");
		return;
	}
	const char *ev = pa_tmp("evlive.pcap");
	struct pa_result r;
	pa_runl(&r, "-i", "lo", "--duration", "0.2", "--server", "127.0.0.1",
	        "-q", "--evidence", ev, NULL);
	if (r.status == 2 && !pa_contains(r.err, "--evidence") &&
	    pa_contains(r.err, "lo:")) {
		pa_result_free(&r);
		pa_skip("cannot capture on lo here");
		return;
	}
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "--evidence"));
	assert_true(pa_contains(r.err, "-r FILE"));
	assert_false(exists(ev));
	pa_result_free(&r);
}

/* --evidence reads the sources twice: a FIFO is refused before anything
 * is read, as standard input is. */
static void test_fifo_refused(void **state)
{
	(void)state;
	char fifo[1100];
	snprintf(fifo, sizeof fifo, "%s", pa_tmp("cap.fifo"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct pa_result r;
	pa_runl(&r, "-q", "-r", fifo, "--evidence", pa_tmp("ev.pcap"), NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "is not a regular file"));
	pa_result_free(&r);
	unlink(fifo);
}

/* A SIGTERM while the reports are written (the evidence pass reads a large
 * capture again) removes every temporary file and says so: no report is
 * published half-written, nothing is left behind, status 128+15. The
 * signal is sent later and later until one lands in that phase (it is
 * said on standard error). */
static void test_term_while_reporting(void **state)
{
	(void)state;
	char dir[1100], big[1200], json[1200], ev[1200];
	snprintf(dir, sizeof dir, "%s", pa_tmp("term"));
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(big, sizeof big, "%s/big.pcap", dir);
	snprintf(json, sizeof json, "%s/r.json", dir);
	snprintf(ev, sizeof ev, "%s/ev.pcap", dir);
	struct writer w;
	w_open(&w, big, 1, false);
	/* 600k packets of one violating flow (reserved base+3), every one
	 * of which the evidence writer keeps. */
	struct frame f = mk4(6, 0x0a000114u, 40000, 0x0a000005u, 1963, 0x18,
	                     200);
	for (unsigned i = 0; i < 600000; i++)
		w_put(&w, &f, 1767607200u + i / 100000, i % 100000 * 10);
	w_close(&w);
	const char *bin = getenv("PORTAUDIT");
	bool landed = false;
	for (unsigned delay_ms = 100; delay_ms <= 8000 && !landed;
	     delay_ms += 100) {
		char errf[1300];
		snprintf(errf, sizeof errf, "%s/err", dir);
		const char *argv[] = { bin, "-q", "-r", big, "--server",
			"10.0.0.5", "--json", json, "--evidence", ev,
			"--evidence-packets", "1000000", NULL };
		pid_t pid = pa_spawn(errf, argv);
		usleep(delay_ms * 1000);
		kill(pid, SIGTERM);
		int st;
		while (waitpid(pid, &st, 0) < 0)
			;
		char *err = pa_read_file(errf, NULL);
		assert_non_null(err);
		if (strstr(err, "while writing the reports")) {
			landed = true;
			assert_true(WIFEXITED(st));
			assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
			assert_true(pa_contains(err, "terminated (SIGTERM) while "
			                        "writing the reports: no report "
			                        "was published"));
			/* nothing but the capture and the log in the directory */
			const char *ls[] = { "/bin/ls", "-A", dir, NULL };
			struct pa_result r;
			pa_exec(&r, NULL, ls);
			assert_string_equal(r.out, "big.pcap\nerr\n");
			pa_result_free(&r);
		}
		free(err);
		/* Not yet (the capture was interrupted and its reports were
		 * written, or it ended first): clean up and go later. */
		unlink(json);
		unlink(ev);
	}
	if (!landed)
		pa_skip("no SIGTERM landed while the reports were written");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_term_while_reporting),
		cmocka_unit_test(test_evidence_limit_3),
		cmocka_unit_test(test_evidence_default_20),
		cmocka_unit_test(test_evidence_filter),
		cmocka_unit_test(test_evidence_compliant),
		cmocka_unit_test(test_evidence_linktype),
		cmocka_unit_test(test_evidence_raw_openbsd),
		cmocka_unit_test(test_evidence_mixed_linktypes),
		cmocka_unit_test(test_evidence_many_flows),
		cmocka_unit_test(test_evidence_tshark),
		cmocka_unit_test(test_evidence_unwritable),
		cmocka_unit_test(test_evidence_stdin),
		cmocka_unit_test(test_evidence_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
