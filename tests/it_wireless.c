/* it_wireless.c -- the real binary on the wireless and firewall link layers
 * (802.11 105, radiotap 127, PPI 192, NFLOG 239, PKTAP 258 and 149),
 * checked against tshark:
 *
 * - every capture of those link types in the shared corpus (tcpdump's and
 *   libpcap's test files) is read, none is skipped, and the TCP/UDP flows
 *   are tshark's conversations (`-z conv,tcp -z conv,udp`): the same
 *   endpoints, the same packets each way. tshark runs once, on the files
 *   concatenated by mergecap (a pcapng with one interface per file; libpcap
 *   cannot read such a file, so portaudit reads the files themselves, 64 to
 *   a run). As in it_tshark.c, flows are summed per tuple.
 * - the 802.11 frames tshark calls management, control or data without
 *   payload are the ones counted wlan_non_data, those it calls protected
 *   data the ones counted wlan_protected.
 * - a radiotap capture written here with every kind of data frame (To DS,
 *   From DS, WDS, QoS, +HTC, FCS, data pad), a TCP connection, UDP both
 *   ways and IPv6, between beacons, ACKs, null frames and encrypted frames,
 *   since the corpus holds only one radiotap frame with IP in it. */
#include "harness.h"
#include "frames.h"
#include "tshark_conv.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXC 1024
#define MAXFILES 1024
#define BATCH 64

/* ---- conversations ------------------------------------------------------- */

static struct ts_conv ours_v[MAXC], theirs_v[MAXC];
static struct ts_convs ours = { ours_v, 0, MAXC };
static struct ts_convs theirs = { theirs_v, 0, MAXC };

/* --flows-csv: protocol, src_ip, src_port, dest_ip, dest_port are columns
 * 4-8, pkts_toserver and pkts_toclient 14 and 15 (before any quoted one). */
static void parse_flows_csv(const char *text)
{
	const char *line = strchr(text, '\n'); /* after the header */
	while (line && *++line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024], *col[16];
		unsigned ncol = 0;
		snprintf(buf, sizeof buf, "%.*s", (int)(len < 1023 ? len : 1023), line);
		char *p = buf;
		while (ncol < 16) {
			col[ncol++] = p;
			char *comma = strchr(p, ',');
			if (!comma)
				break;
			*comma = 0;
			p = comma + 1;
		}
		line = nl;
		if (ncol < 16)
			continue;
		struct ts_conv c;
		memset(&c, 0, sizeof c);
		if (strcmp(col[3], "tcp") == 0)
			c.proto = 6;
		else if (strcmp(col[3], "udp") == 0)
			c.proto = 17;
		else
			continue;
		snprintf(c.a, sizeof c.a, "%s", col[4]);
		snprintf(c.b, sizeof c.b, "%s", col[6]);
		assert_true(ts_norm_addr(c.a, sizeof c.a) &&
		            ts_norm_addr(c.b, sizeof c.b));
		assert_true(ts_parse_port(col[5], &c.pa) &&
		            ts_parse_port(col[7], &c.pb));
		c.n[0] = strtoull(col[13], NULL, 10);
		c.n[1] = strtoull(col[14], NULL, 10);
		ts_conv_add(&ours, &c);
	}
}

/* ---- running the tools --------------------------------------------------- */

/* The path of `name` on PATH, in buf, or NULL. */
static const char *tool(const char *name, char *path, size_t len)
{
	const char *p = getenv("PATH");
	while (p && *p) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(path, len, "%.*s/%s", (int)n, p, name);
		if (access(path, X_OK) == 0)
			return path;
		p += n + (c ? 1 : 0);
	}
	return NULL;
}

/* The anomaly counts and packets of one run, added up. */
struct totals {
	unsigned long long packets, ip_packets, non_data, protected_, bad_hlen;
	unsigned runs;
};

/* portaudit -q --json J --flows-csv C -r F...: exit 0, 1 or 3 (no file
 * refused), no file skipped; flows into ours[], counts into *t. */
static void run_ours(char **files, unsigned n, struct totals *t)
{
	const char *argv[2 * BATCH + 16];
	unsigned a = 0;
	char json[256], csv[256];
	snprintf(json, sizeof json, "%s", pa_tmp("w.json"));
	snprintf(csv, sizeof csv, "%s", pa_tmp("w.csv"));
	argv[a++] = getenv("PORTAUDIT");
	argv[a++] = "-q";
	argv[a++] = "--max-flows";
	argv[a++] = "65536";
	argv[a++] = "--json";
	argv[a++] = json;
	argv[a++] = "--flows-csv";
	argv[a++] = csv;
	assert_true(n <= BATCH);
	for (unsigned i = 0; i < n; i++) {
		argv[a++] = "-r";
		argv[a++] = files[i];
	}
	argv[a] = NULL;
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0 && r.status != 1 && r.status != 3)
		fail_msg("portaudit on %u files from %s: status %d: %s", n, files[0],
		         r.status, r.err);
	if (strstr(r.err, "not supported"))
		fail_msg("a file was skipped: %s", r.err);
	pa_result_free(&r);
	json_t *j = pa_load_json(json);
	json_t *cap = json_object_get(j, "capture");
	json_t *an = json_object_get(cap, "anomalies");
	assert_int_equal(json_array_size(json_object_get(cap, "skipped")), 0);
	t->packets += (unsigned long long)json_integer_value(
		json_object_get(cap, "packets"));
	t->ip_packets += (unsigned long long)json_integer_value(
		json_object_get(cap, "ip_packets"));
	t->non_data += (unsigned long long)json_integer_value(
		json_object_get(an, "wlan_non_data"));
	t->protected_ += (unsigned long long)json_integer_value(
		json_object_get(an, "wlan_protected"));
	t->bad_hlen += (unsigned long long)json_integer_value(
		json_object_get(an, "bad_link_hlen"));
	t->runs++;
	json_decref(j);
	char *text = pa_read_file(csv, NULL);
	assert_non_null(text);
	parse_flows_csv(text);
	free(text);
}

static void run_tshark(const char *ts, const char *path)
{
	const char *argv[] = { ts, "-n", "-r", path, "-q", "-z", "conv,tcp",
	                       "-z", "conv,udp", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("tshark on %s: status %d: %s", path, r.status, r.err);
	ts_parse_conv(r.out, &theirs);
	pa_result_free(&r);
}

/* ---- the corpus ---------------------------------------------------------- */

static const int wireless_dlts[] = {105, 127, 149, 192, 239, 258};
#define NDLT (sizeof(wireless_dlts) / sizeof(wireless_dlts[0]))

static char *files[MAXFILES];
static unsigned nfiles, per_dlt[NDLT];

static void collect(const char *rel)
{
	char dir[1024], err[PCAP_ERRBUF_SIZE];
	snprintf(dir, sizeof dir, "%s", pa_src(rel));
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && nfiles < MAXFILES) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 ||
		    (strcmp(de->d_name + l - 5, ".pcap") != 0 &&
		     strcmp(de->d_name + l - 7, ".pcapng") != 0))
			continue;
		char path[1024 + 256 + 2];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		pcap_t *p = pcap_open_offline(path, err);
		if (!p)
			continue;
		int dlt = pcap_datalink(p);
		pcap_close(p);
		for (unsigned i = 0; i < NDLT; i++)
			if (dlt == wireless_dlts[i]) {
				per_dlt[i]++;
				files[nfiles] = strdup(path);
				assert_non_null(files[nfiles]);
				nfiles++;
			}
	}
	closedir(d);
}

/* tshark's view of every 802.11 frame: radiotap version, protocol
 * version, type, subtype, protected flag. A radiotap header of another
 * version than 0 tshark dissects on regardless ("invalid"); portaudit
 * counts it bad_link_hlen and reads no further: those frames are counted
 * apart (*bad_rt). */
static void tshark_frame_kinds(const char *ts, const char *path,
                               unsigned long long *non_data,
                               unsigned long long *prot,
                               unsigned long long *bad_rt)
{
	const char *argv[] = { ts, "-n", "-r", path, "-T", "fields",
	                       "-e", "radiotap.version", "-e", "wlan.fc.version",
	                       "-e", "wlan.fc.type", "-e", "wlan.fc.subtype",
	                       "-e", "wlan.fc.protected", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("tshark on %s: status %d: %s", path, r.status, r.err);
	*non_data = *prot = *bad_rt = 0;
	for (const char *line = r.out; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256], *f[5];
		unsigned nf = 0;
		snprintf(buf, sizeof buf, "%.*s", (int)(len < 255 ? len : 255), line);
		for (char *p = buf; nf < 5;) {
			f[nf++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = 0;
			p = tab + 1;
		}
		line = nl ? nl + 1 : NULL;
		if (nf < 5 || !*f[2])
			continue; /* no 802.11 header dissected */
		if (*f[0] && strcmp(f[0], "0") != 0) {
			(*bad_rt)++;
			continue;
		}
		unsigned long pv = strtoul(f[1], NULL, 0);
		unsigned long type = strtoul(f[2], NULL, 0);
		unsigned long subtype = strtoul(f[3], NULL, 0);
		bool p = strcmp(f[4], "1") == 0 || strcmp(f[4], "True") == 0;
		if (pv != 0 || type != 2 || (subtype & 4))
			(*non_data)++;
		else if (p)
			(*prot)++;
	}
	pa_result_free(&r);
}

static void test_corpus_vs_tshark(void **state)
{
	(void)state;
	char tsbuf[512], mcbuf[512];
	const char *ts = tool("tshark", tsbuf, sizeof tsbuf);
	const char *mc = tool("mergecap", mcbuf, sizeof mcbuf);
	if (!getenv("PORTAUDIT"))
		pa_skip("PORTAUDIT not set");
	if (!ts)
		pa_skip("tshark not installed (tests/install_tools.sh installs it)");
	collect("../shared/corpus/tcpdump");
	collect("../shared/corpus/libpcap");
	if (nfiles == 0)
		pa_skip("no shared corpus (../shared/corpus/{tcpdump,libpcap})");
	for (unsigned i = 0; i < NDLT; i++) {
		printf("corpus: link type %d: %u files\n", wireless_dlts[i],
		       per_dlt[i]);
		assert_true(per_dlt[i] > 0);
	}
	struct totals t = {0};
	ours.n = theirs.n = 0;
	for (unsigned i = 0; i < nfiles; i += BATCH)
		run_ours(files + i, nfiles - i < BATCH ? nfiles - i : BATCH, &t);

	if (!mc)
		fail_msg("mergecap missing (it comes with tshark)");
	char merged[256];
	snprintf(merged, sizeof merged, "%s", pa_tmp("merged.pcapng"));
	{
		const char **argv = calloc(nfiles + 8, sizeof(*argv));
		unsigned a = 0;
		assert_non_null(argv);
		argv[a++] = mc;
		argv[a++] = "-a";
		argv[a++] = "-w";
		argv[a++] = merged;
		for (unsigned i = 0; i < nfiles; i++)
			argv[a++] = files[i];
		argv[a] = NULL;
		struct pa_result r;
		pa_exec(&r, NULL, argv);
		if (r.status != 0)
			fail_msg("mergecap: status %d: %s", r.status, r.err);
		pa_result_free(&r);
		free(argv);
	}
	run_tshark(ts, merged);
	unsigned bad = ts_compare(&ours, &theirs, "corpus");
	printf("corpus: %u files, %llu packets (%llu IP), %u TCP/UDP tuples, "
	       "tshark %u conversations, %u differences\n", nfiles, t.packets,
	       t.ip_packets, ours.n, theirs.n, bad);
	printf("corpus: wlan_non_data %llu, wlan_protected %llu, "
	       "bad_link_hlen %llu\n", t.non_data, t.protected_, t.bad_hlen);
	assert_int_equal(bad, 0);
	/* a flow of each kind of file that has IP (radiotap, PPI, NFLOG, PKTAP
	 * 258 and 149): the DNS, DHCP and HTTP conversations of those files */
	assert_true(theirs.n >= 8);

	unsigned long long nd, pr, bad_rt;
	tshark_frame_kinds(ts, merged, &nd, &pr, &bad_rt);
	printf("corpus: tshark: %llu non-data 802.11 frames, %llu protected, "
	       "%llu behind a radiotap header of another version\n", nd, pr,
	       bad_rt);
	assert_true(nd > 100 && pr > 0);
	assert_int_equal(t.non_data, nd);
	assert_int_equal(t.protected_, pr);
	assert_true(t.bad_hlen >= bad_rt);
	for (unsigned i = 0; i < nfiles; i++)
		free(files[i]);
}

/* ---- a radiotap capture written here ------------------------------------- */

static uint32_t crc32_le(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

enum kind { K_DATA, K_QOS_HTC, K_WDS, K_FCS, K_PAD, K_NKINDS };

/* radiotap + 802.11 data frame of `kind` around the IP packet of an
 * Ethernet frame (its EtherType in the SNAP header). up: to the AP. */
static struct frame wrap(const struct frame *eth_f, enum kind kind, bool up)
{
	struct frame f;
	uint8_t rtflags = kind == K_FCS ? 0x10 : kind == K_PAD ? 0x20 : 0;
	unsigned o = 0;
	memset(&f, 0, sizeof f);
	/* radiotap: TSFT, Flags, Rate */
	memcpy(f.b, "\x00\x00\x12\x00\x07\x00\x00\x00", 8);
	o = 8 + 8;
	f.b[o++] = rtflags;
	f.b[o++] = 0x6c;
	unsigned mac = o;
	bool qos = kind != K_DATA && kind != K_FCS;
	f.b[o++] = qos ? 0x88 : 0x08;
	f.b[o++] = (uint8_t)((kind == K_WDS ? 0x03 : up ? 0x01 : 0x02) |
	                     (kind == K_QOS_HTC ? 0x80 : 0));
	o += 2;                                       /* duration */
	memcpy(f.b + o, up ? "\x02\x00\x00\x00\x00\xaa" : "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(f.b + o + 6, up ? "\x02\x00\x00\x00\x00\x01" : "\x02\x00\x00\x00\x00\xaa", 6);
	memcpy(f.b + o + 12, "\x02\x00\x00\x00\x00\xaa", 6);
	o += 18 + 2;                                  /* addresses, sequence */
	if (kind == K_WDS)
		o += 6;                               /* address 4 */
	if (qos)
		o += 2;                               /* QoS control: TID 0 */
	if (kind == K_QOS_HTC)
		o += 4;                               /* HT control */
	if (kind == K_PAD)
		o = mac + ((o - mac + 3u) & ~3u);
	memcpy(f.b + o, "\xaa\xaa\x03\x00\x00\x00", 6);
	f.b[o + 6] = eth_f->b[12];
	f.b[o + 7] = eth_f->b[13];
	o += 8;
	assert_true(o + eth_f->len - 14 + 4 <= sizeof f.b);
	memcpy(f.b + o, eth_f->b + 14, eth_f->len - 14);
	o += eth_f->len - 14;
	if (kind == K_FCS) {
		uint32_t fcs = crc32_le(f.b + mac, o - mac);
		for (int i = 0; i < 4; i++)
			f.b[o++] = (uint8_t)(fcs >> (8 * i));
	}
	f.len = o;
	return f;
}

/* A frame from raw bytes after a radiotap header without fields. */
static struct frame rt_raw(const uint8_t *b, unsigned n)
{
	struct frame f;
	memset(&f, 0, sizeof f);
	memcpy(f.b, "\x00\x00\x08\x00\x00\x00\x00\x00", 8);
	memcpy(f.b + 8, b, n);
	f.len = 8 + n;
	return f;
}

static void test_generated_radiotap(void **state)
{
	(void)state;
	char tsbuf[512];
	const char *ts = tool("tshark", tsbuf, sizeof tsbuf);
	if (!getenv("PORTAUDIT"))
		pa_skip("PORTAUDIT not set");
	if (!ts)
		pa_skip("tshark not installed (tests/install_tools.sh installs it)");
	const uint32_t C = 0x0a000001u, S = 0x0a000005u;
	struct frame eths[16];
	bool up[16];
	unsigned ne = 0;
	/* TCP 10.0.0.1:40000 -> 10.0.0.5:1960: handshake, data, close */
	static const struct { bool up; uint8_t flags; unsigned pay; } tcp[] = {
		{true, 0x02, 0}, {false, 0x12, 0}, {true, 0x10, 0},
		{true, 0x18, 20}, {false, 0x18, 40}, {true, 0x11, 0},
		{false, 0x11, 0}, {true, 0x10, 0},
	};
	for (unsigned i = 0; i < sizeof tcp / sizeof tcp[0]; i++) {
		eths[ne] = tcp[i].up ? mk4(6, C, 40000, S, 1960, tcp[i].flags,
		                           tcp[i].pay)
		                     : mk4(6, S, 1960, C, 40000, tcp[i].flags,
		                           tcp[i].pay);
		up[ne++] = tcp[i].up;
	}
	/* UDP both ways, and IPv6 UDP one way */
	eths[ne] = mk4(17, C, 5353, S, 161, 0, 12);
	up[ne++] = true;
	eths[ne] = mk4(17, S, 161, C, 5353, 0, 30);
	up[ne++] = false;
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 5};
	eths[ne] = mk6(a6, 50000, b6, 514, 16);
	up[ne++] = true;

	/* frames without IP: beacon, ACK, null function, QoS null, and an
	 * encrypted data frame (CCMP) */
	static const uint8_t beacon[36] = {0x80, 0, 0, 0, 0xff, 0xff, 0xff,
	                                   0xff, 0xff, 0xff, 2, 0, 0, 0, 0,
	                                   0xaa, 2, 0, 0, 0, 0, 0xaa};
	static const uint8_t ack[10] = {0xd4, 0, 0, 0, 2, 0, 0, 0, 0, 1};
	static const uint8_t null_f[24] = {0x48, 0x11, 0, 0, 2, 0, 0, 0, 0,
	                                   0xaa, 2, 0, 0, 0, 0, 1, 2, 0, 0,
	                                   0, 0, 0xaa};
	static const uint8_t qos_null[26] = {0xc8, 0x01, 0, 0, 2, 0, 0, 0, 0,
	                                     0xaa, 2, 0, 0, 0, 0, 1, 2, 0, 0,
	                                     0, 0, 0xaa};
	uint8_t prot[64] = {0x88, 0x41, 0, 0, 2, 0, 0, 0, 0, 0xaa, 2, 0, 0, 0,
	                    0, 1, 2, 0, 0, 0, 0, 0xaa, 0x10, 0, 0, 0,
	                    1, 0, 0, 0x20, 0, 0, 0, 0};
	memset(prot + 34, 0x5a, 30);

	struct writer w;
	const char *path = pa_tmp("radiotap.pcap");
	w_open(&w, path, 127, false);
	unsigned sent = 0, nd = 0, np = 0;
	for (unsigned i = 0; i < ne; i++) {
		struct frame f = wrap(&eths[i], (enum kind)(i % K_NKINDS), up[i]);
		w_put(&w, &f, T0, sent++ * 1000);
		struct frame x;
		switch (i % 4) {
		case 0:
			x = rt_raw(beacon, sizeof beacon);
			nd++;
			break;
		case 1:
			x = rt_raw(ack, sizeof ack);
			nd++;
			break;
		case 2:
			x = rt_raw(i % 8 == 2 ? null_f : qos_null,
			           i % 8 == 2 ? sizeof null_f : sizeof qos_null);
			nd++;
			break;
		default:
			x = rt_raw(prot, sizeof prot);
			np++;
			break;
		}
		w_put(&w, &x, T0, sent++ * 1000);
	}
	w_close(&w);

	ours.n = theirs.n = 0;
	struct totals t = {0};
	char *one[1] = { (char *)path };
	run_ours(one, 1, &t);
	run_tshark(ts, path);
	unsigned bad = ts_compare(&ours, &theirs, "radiotap.pcap");
	printf("radiotap.pcap: %u frames, %u flows, tshark %u conversations, "
	       "%u differences\n", sent, ours.n, theirs.n, bad);
	assert_int_equal(bad, 0);
	assert_int_equal(ours.n, 3);
	assert_int_equal(t.packets, sent);
	assert_int_equal(t.ip_packets, ne);
	assert_int_equal(t.non_data, nd);
	assert_int_equal(t.protected_, np);
	assert_int_equal(t.bad_hlen, 0);
	unsigned long long tnd, tpr, tbad;
	tshark_frame_kinds(ts, path, &tnd, &tpr, &tbad);
	assert_int_equal(tnd, nd);
	assert_int_equal(tpr, np);
	assert_int_equal(tbad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_vs_tshark),
		cmocka_unit_test(test_generated_radiotap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
