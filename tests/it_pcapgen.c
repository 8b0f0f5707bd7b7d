/*
 * it_pcapgen.c -- the sample capture generator ($PCAPGEN), read back with
 * libpcap.
 *
 * Descriptions are written into the test's private directory, generated,
 * and the result is opened with pcap_open_offline: link type, packet count,
 * timestamps (to the nanosecond), and on every packet an independent check
 * of the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksums (over
 * the reassembled datagram when fragmented), TCP sequence/acknowledgement
 * consistency, Ethernet padding, the ICMP error quote. Syntax errors must
 * say FILE:LINE and exit 2; two runs must give the same bytes. The committed
 * captures get the same checksum walk, and `tshark` (if installed) must read
 * them without errors.
 */
#include "harness.h"

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1767607200ULL        /* 2026-01-05T10:00:00Z */

static const char *pcapgen(void)
{
	const char *g = getenv("PCAPGEN");
	return g ? g : "build/rel/pcapgen";
}

/* Write `text` as NAME.flows, run pcapgen into NAME.pcap; returns status. */
static int gen(const char *name, const char *text, struct pa_result *r)
{
	char flows[512], out[512];
	snprintf(flows, sizeof flows, "%s/%s.flows", pa_tmpdir(), name);
	snprintf(out, sizeof out, "%s/%s.pcap", pa_tmpdir(), name);
	pa_write_file(flows, text);
	const char *argv[] = { pcapgen(), flows, out, NULL };
	pa_exec(r, NULL, argv);
	return r->status;
}

static void gen_ok(const char *name, const char *text)
{
	struct pa_result r;
	if (gen(name, text, &r) != 0)
		fail_msg("pcapgen %s failed: %s", name, r.err);
	pa_result_free(&r);
}

/* Full path of a tool on PATH (pa_exec does not search PATH), or NULL. */
static const char *which(const char *tool)
{
	static char buf[1024];
	const char *path = getenv("PATH");
	while (path && *path) {
		const char *c = strchr(path, ':');
		size_t n = c ? (size_t)(c - path) : strlen(path);
		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, tool);
		if (access(buf, X_OK) == 0)
			return buf;
		path += n + (c ? 1 : 0);
	}
	return NULL;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* What the walk over a capture found. */
struct walk {
	unsigned long pkts, l4_ok, ip4, ip6, frags, tcp, udp, icmp;
	unsigned long short_frames;     /* Ethernet frames under 60 bytes */
	/* fragment reassembly (pcapgen emits fragments back to back) */
	uint8_t re[70000];
	size_t relen;
	bool inre;
};

/* Verify the transport checksum of a complete datagram. */
static void check_l4(struct walk *w, int v, const uint8_t *src, const uint8_t *dst,
		     uint8_t proto, const uint8_t *l4, size_t len)
{
	uint32_t s = 0;
	if (proto != 1) {
		size_t al = v == 4 ? 4 : 16;
		s = csum_add(s, src, al);
		s = csum_add(s, dst, al);
		s += proto;
		s += (uint32_t)len;
	}
	s = csum_add(s, l4, len);
	if (proto == 6 || proto == 17 || proto == 1 || proto == 58) {
		if (csum_fold(s) != 0xffff)
			fail_msg("packet %lu: bad checksum for protocol %u", w->pkts, proto);
		w->l4_ok++;
		w->tcp += proto == 6;
		w->udp += proto == 17;
		w->icmp += proto == 1 || proto == 58;
	}
}

static void check_ip(struct walk *w, const uint8_t *p, size_t n)
{
	assert_true(n >= 20);
	if (p[0] >> 4 == 4) {
		size_t ihl = (size_t)(p[0] & 15) * 4;
		size_t tot = be16(p + 2);
		w->ip4++;
		assert_true(ihl >= 20 && tot >= ihl && tot <= n);
		if (csum_fold(csum_add(0, p, ihl)) != 0xffff)
			fail_msg("packet %lu: bad IPv4 header checksum", w->pkts);
		uint16_t ff = be16(p + 6);
		size_t off = (size_t)(ff & 0x1fff) * 8;
		bool mf = ff & 0x2000;
		if (off || mf) {
			w->frags++;
			if (off == 0)
				w->relen = 0;
			assert_int_equal(off, w->relen);
			memcpy(w->re + off, p + ihl, tot - ihl);
			w->relen = off + tot - ihl;
			if (!mf)
				check_l4(w, 4, p + 12, p + 16, p[9], w->re, w->relen);
			return;
		}
		check_l4(w, 4, p + 12, p + 16, p[9], p + ihl, tot - ihl);
		return;
	}
	assert_int_equal(p[0] >> 4, 6);
	w->ip6++;
	size_t plen = be16(p + 4);
	assert_true(40 + plen <= n);
	uint8_t nh = p[6];
	size_t o = 40, end = 40 + plen;
	while (nh == 0 || nh == 60 || nh == 44) {
		assert_true(o + 8 <= end);
		if (nh == 44) {
			uint16_t fo = be16(p + o + 2);
			size_t off = (size_t)(fo & 0xfff8);
			w->frags++;
			if (off == 0)
				w->relen = 0;
			assert_int_equal(off, w->relen);
			memcpy(w->re + off, p + o + 8, end - o - 8);
			w->relen = off + end - o - 8;
			if (fo & 1)
				return;
			/* reassembled: walk the fragmentable part */
			uint8_t rnh = p[o];
			size_t ro = 0;
			while (rnh == 60) {
				rnh = w->re[ro];
				ro += (size_t)(w->re[ro + 1] + 1) * 8;
			}
			check_l4(w, 6, p + 8, p + 24, rnh, w->re + ro, w->relen - ro);
			return;
		}
		uint8_t next = p[o];
		o += (size_t)(p[o + 1] + 1) * 8;
		nh = next;
	}
	check_l4(w, 6, p + 8, p + 24, nh, p + o, end - o);
}

/* Offset of the IP header in a frame of the given link type. */
static size_t ip_offset(int dlt, const uint8_t *f, size_t n)
{
	switch (dlt) {
	case DLT_EN10MB: {
		size_t o = 12;
		while (be16(f + o) == 0x8100 || be16(f + o) == 0x88a8)
			o += 4;
		uint16_t et = be16(f + o);
		assert_true(et == 0x0800 || et == 0x86dd);
		return o + 2;
	}
	case DLT_LINUX_SLL:
		return 16;
	case DLT_LINUX_SLL2:
		return 20;
	case DLT_NULL:
	case DLT_LOOP:
		return 4;
	case DLT_RAW:
		return 0;
	default:
		fail_msg("unexpected link type %d", dlt);
	}
	(void)n;
	return 0;
}

/* Walk a whole capture, checking every packet; timestamps in ns to `ts`. */
static void walk_file(const char *path, struct walk *w, int *dlt, uint64_t *ts,
		      size_t maxts)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p)
		fail_msg("%s: %s", path, err);
	*dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;
	memset(w, 0, sizeof *w);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		if (ts && w->pkts < maxts)
			ts[w->pkts] = (uint64_t)h->ts.tv_sec * 1000000000ULL +
				(uint64_t)h->ts.tv_usec;
		w->pkts++;
		if (*dlt == DLT_EN10MB && h->len < 60)
			w->short_frames++;
		if (h->caplen < h->len)
			continue;       /* cut by the snaplen */
		size_t o = ip_offset(*dlt, d, h->caplen);
		check_ip(w, d + o, h->caplen - o);
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void test_formats(void **state)
{
	(void)state;
	static const struct {
		const char *fmt;
		uint8_t magic[4];
	} cases[] = {
		{ "pcap", { 0xd4, 0xc3, 0xb2, 0xa1 } },
		{ "pcap-ns", { 0x4d, 0x3c, 0xb2, 0xa1 } },
		{ "pcapng", { 0x0a, 0x0d, 0x0d, 0x0a } },
		{ "pcapng-ns", { 0x0a, 0x0d, 0x0d, 0x0a } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024], name[64];
		bool ns = strstr(cases[i].fmt, "-ns") != NULL;
		snprintf(text, sizeof text,
			 "format %s\n"
			 "start 2026-01-05T10:00:00.000000001Z\n"
			 "gap 1234ns\n"
			 "host a 10.0.0.1\nhost b 10.0.0.2\n"
			 "udp a:40000 > b:161 request-response count 3\n", cases[i].fmt);
		snprintf(name, sizeof name, "fmt%zu", i);
		gen_ok(name, text);
		size_t len;
		char file[80];
		snprintf(file, sizeof file, "%s.pcap", name);
		char *raw = pa_read_file(pa_tmp(file), &len);
		assert_non_null(raw);
		assert_memory_equal(raw, cases[i].magic, 4);
		free(raw);
		struct walk *w = malloc(sizeof *w);
		uint64_t ts[8];
		int dlt;
		walk_file(pa_tmp(file), w, &dlt, ts, 8);
		assert_int_equal(dlt, DLT_EN10MB);
		assert_int_equal(w->pkts, 6);
		assert_int_equal(w->udp, 6);
		/* nanosecond formats keep every nanosecond; others round down */
		for (unsigned k = 0; k < 6; k++) {
			uint64_t want = T0 * 1000000000ULL + 1 + 1234ULL * k;
			if (!ns)
				want -= want % 1000;
			assert_int_equal(ts[k], want);
		}
		free(w);
	}
}

static void test_link_types(void **state)
{
	(void)state;
	static const struct {
		const char *lt;
		int dlt;
		unsigned hdr;
	} cases[] = {
		{ "ethernet", DLT_EN10MB, 14 }, { "sll", DLT_LINUX_SLL, 16 },
		{ "sll2", DLT_LINUX_SLL2, 20 }, { "raw", DLT_RAW, 0 },
		{ "null", DLT_NULL, 4 }, { "loop", DLT_LOOP, 4 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024], name[64];
		snprintf(text, sizeof text,
			 "linktype %s\n"
			 "host a 10.0.0.1 local\nhost b 10.0.0.2\n"
			 "host a6 2001:db8::1\nhost b6 2001:db8::2\n"
			 "tcp a:40000 > b:80 established data 2\n"
			 "udp a6:40000 > b6:53 request-response\n"
			 "icmp a > b echo count 2\n", cases[i].lt);
		snprintf(name, sizeof name, "lt_%s", cases[i].lt);
		gen_ok(name, text);
		struct walk *w = malloc(sizeof *w);
		int dlt;
		char file[80];
		snprintf(file, sizeof file, "%s.pcap", name);
		walk_file(pa_tmp(file), w, &dlt, NULL, 0);
		assert_int_equal(dlt, cases[i].dlt);
		/* 3 + 2*3 + 3 TCP, 2 UDP, 4 ICMP */
		assert_int_equal(w->pkts, 18);
		assert_int_equal(w->l4_ok, 18);
		assert_int_equal(w->tcp, 12);
		assert_int_equal(w->ip6, 2);
		assert_int_equal(w->short_frames, 0);
		free(w);
	}
}

/* Every TCP segment's sequence number is what its side has sent so far,
 * every ACK what the other side has sent. */
static void test_tcp_sequences(void **state)
{
	(void)state;
	gen_ok("seq",
	       "host a 10.0.0.1\nhost b 10.0.0.2\n"
	       "tcp a:40000 > b:80 established data 3 size 100/1000\n"
	       "tcp a:40001 > b:80 synack-first data 1 reset\n"
	       "tcp a:40002 > b:80 midstream data 2 close\n");
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(pa_tmp("seq.pcap"), err);
	assert_non_null(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint32_t next[2] = { 0, 0 };
	bool known[2] = { false, false };
	uint16_t port = 0;
	unsigned n = 0, syn = 0, fin = 0, rst = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		const uint8_t *t = d + 14 + 20;
		uint16_t sp = be16(t), dp = be16(t + 2);
		int dir = dp == 80 ? 0 : 1;
		uint16_t cport = dir == 0 ? sp : dp;
		if (cport != port) {
			port = cport;
			known[0] = known[1] = false;
		}
		uint32_t seq = be32(t + 4), ack = be32(t + 8);
		uint8_t fl = t[13];
		size_t dlen = be16(d + 14 + 2) - 20 - (size_t)(t[12] >> 4) * 4;
		if (known[dir])
			assert_int_equal(seq, next[dir]);
		if ((fl & 0x10) && known[1 - dir])
			assert_int_equal(ack, next[1 - dir]);
		if ((fl & 0x10) && !known[1 - dir]) {
			next[1 - dir] = ack;    /* first sight of the other side */
			known[1 - dir] = true;
		}
		next[dir] = seq + (uint32_t)dlen + ((fl & 0x03) ? 1u : 0u);
		known[dir] = true;
		syn += (fl & 0x02) != 0;
		fin += (fl & 0x01) != 0;
		rst += (fl & 0x04) != 0;
		n++;
	}
	pcap_close(p);
	/* 3 + 9 + 3, 2 + 3 + 1, 6 + 3 */
	assert_int_equal(n, 30);
	assert_int_equal(syn, 3);
	assert_int_equal(fin, 4);
	assert_int_equal(rst, 1);
}

/* Small frames are padded, the ICMP error quotes header + 8 bytes. */
static void test_padding_and_icmp_quote(void **state)
{
	(void)state;
	gen_ok("quote",
	       "host a 10.0.0.1\nhost b 10.0.0.2\nhost gw 10.0.0.254\n"
	       "host a6 2001:db8::1\nhost b6 2001:db8::2\n"
	       "tcp a:40000 > b:443 unreachable from gw\n"
	       "tcp a6:40000 > b6:443 unreachable\n"
	       "tcp a:40001 > b:5432 rejected\n");
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(pa_tmp("quote.pcap"), err);
	assert_non_null(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint8_t syn[128];
	size_t synlen = 0;
	unsigned n = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		assert_true(h->len >= 60);
		const uint8_t *ip = d + 14;
		if (n == 1 || n == 3) {
			synlen = h->caplen - 14;
			memcpy(syn, ip, synlen);
		}
		if (n == 2) {
			/* ICMP 3/13 from the gateway, quoting 20 + 8 bytes */
			assert_int_equal(ip[9], 1);
			assert_int_equal(be32(ip + 12), 0x0a0000fe);
			assert_int_equal(be16(ip + 2), 20 + 8 + 28);
			assert_int_equal(ip[20], 3);
			assert_int_equal(ip[21], 13);
			assert_memory_equal(ip + 28, syn, 28);
		}
		if (n == 4) {
			/* ICMPv6 1/1 quoting the whole SYN */
			assert_int_equal(ip[6], 58);
			assert_int_equal(ip[40], 1);
			assert_int_equal(ip[41], 1);
			assert_int_equal(be16(ip + 4), 8 + synlen);
			assert_memory_equal(ip + 48, syn, synlen);
		}
		if (n == 6) {
			/* RST-ACK answering the SYN: 54 bytes on the wire, padded */
			assert_int_equal(h->len, 60);
			assert_int_equal(ip[33], 0x14);
			assert_int_equal(be32(ip + 24), 0);
			assert_int_equal(d[59], 0);
		}
	}
	pcap_close(p);
	assert_int_equal(n, 6);
}

static void test_vlan_frag_scan_snaplen(void **state)
{
	(void)state;
	gen_ok("misc",
	       "snaplen 200\n"
	       "host a 10.0.0.1\nhost b 10.0.0.2\n"
	       "host a6 2001:db8::1\nhost b6 2001:db8::2\n"
	       "vlan 100 200\n"
	       "udp a:40000 > b:161 request-response size 1000/100 frag 400\n"
	       "vlan none\n"
	       "udp a6:40000 > b6:161 oneway size 1000 frag 400 ext hbh,dst vlan 7\n"
	       "tcp a:40000 > b:1-100 rejected at +10s\n");
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(pa_tmp("misc.pcap"), err);
	assert_non_null(p);
	assert_int_equal(pcap_snapshot(p), 200);
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned n = 0, qinq = 0, dot1q = 0, cut = 0, synports = 0;
	uint32_t portsum = 0;
	time_t first = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (n++ == 0)
			first = h->ts.tv_sec;
		cut += h->caplen < h->len;
		assert_true(h->caplen <= 200);
		if (be16(d + 12) == 0x88a8) {
			assert_int_equal(be16(d + 14) & 0xfff, 100);
			assert_int_equal(be16(d + 16), 0x8100);
			assert_int_equal(be16(d + 18) & 0xfff, 200);
			qinq++;
		} else if (be16(d + 12) == 0x8100) {
			assert_int_equal(be16(d + 14) & 0xfff, 7);
			dot1q++;
		} else if (d[14 + 9] == 6 && d[14 + 33] == 0x02) {
			assert_true(h->ts.tv_sec >= first + 10);
			portsum += be16(d + 14 + 22);
			synports++;
		}
	}
	pcap_close(p);
	/* request: 3 fragments (400+400+208), response 1; v6: 3 fragments */
	assert_int_equal(qinq, 4);
	assert_int_equal(dot1q, 3);
	assert_int_equal(synports, 100);
	assert_int_equal(portsum, 5050);
	assert_int_equal(n, 4 + 3 + 200);
	assert_true(cut >= 5);
	/* the checksums, with a snaplen large enough to see everything */
	gen_ok("misc2",
	       "host a 10.0.0.1\nhost b 10.0.0.2\n"
	       "host a6 2001:db8::1\nhost b6 2001:db8::2\n"
	       "udp a:40000 > b:161 request-response size 1000/100 frag 400 vlan 100 200\n"
	       "udp a6:40000 > b6:161 oneway size 1000 frag 400 ext hbh,dst vlan 7\n"
	       "icmp a6 > b6 echo size 3000 frag 1232\n");
	struct walk *w = malloc(sizeof *w);
	int dlt;
	walk_file(pa_tmp("misc2.pcap"), w, &dlt, NULL, 0);
	assert_int_equal(w->pkts, 4 + 3 + 6);
	assert_int_equal(w->frags, 3 + 3 + 6);
	assert_int_equal(w->l4_ok, 2 + 1 + 2);
	free(w);
}

/* request/payload give the exact bytes of successive rounds, split over
 * words and continuation lines; a comment ends at the end of its line. */
static void test_explicit_payloads(void **state)
{
	(void)state;
	gen_ok("payload",
	       "host a 10.0.0.1\nhost b 10.0.0.2\n"
	       "tcp a:40000 > b:135 established data 3 \\\n"
	       "\trequest 0102 0304 \\  # first request, two words\n"
	       "\tpayload aa:bb:cc \\\n"
	       "\t\tdd \\\n"
	       "\trequest 05 payload 06 size 10/20\n"
	       "udp a:40001 > b:53 request-response count 2 request 11 payload 22 payload 33\n");
	static const struct {
		size_t len;
		const char *hex;
	} want[] = {
		{ 4, "\x01\x02\x03\x04" }, { 4, "\xaa\xbb\xcc\xdd" },
		{ 1, "\x05" }, { 1, "\x06" }, { 10, NULL }, { 20, NULL },
		{ 1, "\x11" }, { 1, "\x22" }, { 120, NULL }, { 1, "\x33" },
	};
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(pa_tmp("payload.pcap"), err);
	assert_non_null(p);
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t k = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		const uint8_t *ip = d + 14;
		size_t tot = be16(ip + 2);
		size_t off = ip[9] == 6 ? 20 + (size_t)(ip[32] >> 4) * 4 : 28;
		if (tot == off)
			continue;       /* no payload */
		assert_true(k < sizeof want / sizeof want[0]);
		assert_int_equal(tot - off, want[k].len);
		if (want[k].hex)
			assert_memory_equal(ip + off, want[k].hex, want[k].len);
		k++;
	}
	pcap_close(p);
	assert_int_equal(k, sizeof want / sizeof want[0]);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "host a 10.0.0.1\nhost b 10.0.0.2\ntcp a:1 > b:2 establshed\n",
		  "bad.flows:3: unknown word 'establshed'" },
		{ "linktype token-ring\n", "bad.flows:1: unknown linktype 'token-ring'" },
		{ "# c\n\nhost a 10.0.0.300\n", "bad.flows:3: bad address '10.0.0.300'" },
		{ "host a 10.0.0.1\ntcp a:1 > nobody:2 rejected\n",
		  "bad.flows:2: unknown host 'nobody'" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\nudp a:1 > b:70000 oneway\n",
		  "bad.flows:3: port: 70000 is more than 65535" },
		{ "host a 10.0.0.1\nhost b 2001:db8::1\nudp a:1 > b:2 oneway\n",
		  "bad.flows:3: a and b are not the same address family" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\ntcp a:1 > b:2 rejected\nformat pcapng\n",
		  "bad.flows:4: 'format' must come before the first flow" },
		{ "start yesterday\n", "bad.flows:1: bad time 'yesterday'" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\nudp a:1 > b:2 oneway payload 0g\n",
		  "bad.flows:3: bad hex digit 'g'" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\ntcp a:1 > b:2 rejected at 1s\n"
		  "tcp a:1 > b:2 rejected at 0s\n", "bad.flows:4: at: time goes backwards" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\nudp a:1 > b:2 oneway frag 7\n",
		  "bad.flows:3: frag: fragment size must be a multiple of 8" },
		{ "linktype raw\nvlan 10\n", "bad.flows:2: vlan needs linktype ethernet" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\ntcp a:1 > b:2\n",
		  "bad.flows:3: tcp flow without a kind" },
		{ "frobnicate\n", "bad.flows:1: unknown directive 'frobnicate'" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\nudp a:1 > b:2 oneway \\\n"
		  "  payload 010 \\\n  count 2\n",
		  "bad.flows:3: odd number of hex digits" },
		{ "host a 10.0.0.1\nhost b 10.0.0.2\nudp a:1 > b:2 oneway request\n",
		  "bad.flows:3: request: expected hex bytes" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pa_result r;
		assert_int_equal(gen("bad", cases[i].text, &r), 2);
		assert_true(pa_contains(r.err, cases[i].msg));
		pa_result_free(&r);
	}
	/* usage */
	struct pa_result r;
	const char *argv[] = { pcapgen(), NULL };
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "usage: pcapgen"));
	pa_result_free(&r);
}

static void test_reproducible(void **state)
{
	(void)state;
	const char *text = "format pcapng\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
		"host a6 2001:db8::1\nhost b6 2001:db8::2\n"
		"tcp a:40000 > b:80 established data 5 repeat 3\n"
		"tcp a:40000 > b:81 syn-only retries 3\n"
		"udp a6:40000 > b6:53 request-response count 4 frag 16\n";
	gen_ok("rep1", text);
	gen_ok("rep2", text);
	size_t l1, l2;
	char *a = pa_read_file(pa_tmp("rep1.pcap"), &l1);
	char *b = pa_read_file(pa_tmp("rep2.pcap"), &l2);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	free(a);
	free(b);
}

/* The committed captures: every checksum right, and tshark happy. */
static void test_committed_captures(void **state)
{
	(void)state;
	DIR *dir = opendir(pa_src("pcaps"));
	assert_non_null(dir);
	struct dirent *e;
	unsigned files = 0;
	const char *tshark = which("tshark");
	struct walk *w = malloc(sizeof *w);
	while ((e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".pcap"))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s", pa_src("pcaps"));
		snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", e->d_name);
		int dlt;
		walk_file(path, w, &dlt, NULL, 0);
		assert_true(w->pkts > 0);
		files++;
		if (!tshark)
			continue;
		struct pa_result r;
		const char *argv[] = { tshark, "-r", path, "-q", "-z", "expert,warn",
			"-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
			"-o", "ip.check_checksum:TRUE", NULL };
		pa_exec(&r, NULL, argv);
		assert_int_equal(r.status, 0);
		if (strstr(r.out, "Malformed") || strstr(r.out, "Errors (") ||
		    strstr(r.err, "appears to be damaged"))
			fail_msg("tshark on %s:\n%s%s", path, r.out, r.err);
		pa_result_free(&r);
	}
	closedir(dir);
	free(w);
	assert_true(files >= 10);
	if (!tshark)
		pa_skip("tshark not installed: committed captures checked by libpcap only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_tcp_sequences),
		cmocka_unit_test(test_padding_and_icmp_quote),
		cmocka_unit_test(test_vlan_frag_scan_snaplen),
		cmocka_unit_test(test_explicit_payloads),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_committed_captures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
