/* test_pcapng.c -- portaudit's own pcapng reader (capture/pcapng.c), for
 * files whose interfaces have different link types, on files written
 * here in either byte order: an NFLOG interface's TLV headers, written in
 * the capturing host's order, come out in ours when the section is of the
 * other order (as libpcap's swap_nflog_header turns them), within the
 * captured bytes; in a section of our order they are left as they are. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/decode.h"
#include "capture/pcapng.h"

/* ---- writing a pcapng of a byte order ------------------------------------ */

struct ng {
	FILE *f;
	bool swap; /* write the other byte order than the host's */
};

static void w32(uint8_t *p, const struct ng *g, uint32_t v)
{
	if (g->swap)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static void w16(uint8_t *p, const struct ng *g, uint16_t v)
{
	if (g->swap)
		v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

static void ng_block(const struct ng *g, uint32_t type, const uint8_t *body,
                     uint32_t n)
{
	uint32_t pad = (4 - n % 4) % 4, total = 12 + n + pad;
	uint8_t h[8], t[4];
	static const uint8_t zero[4];
	w32(h, g, type);
	w32(h + 4, g, total);
	w32(t, g, total);
	assert_int_equal(fwrite(h, 1, 8, g->f), 8);
	assert_int_equal(fwrite(body, 1, n, g->f), n);
	assert_int_equal(fwrite(zero, 1, pad, g->f), pad);
	assert_int_equal(fwrite(t, 1, 4, g->f), 4);
}

static void ng_start(struct ng *g, const char *path, bool swap)
{
	uint8_t shb[16] = {0};
	g->f = fopen(path, "wb");
	assert_non_null(g->f);
	g->swap = swap;
	w32(shb, g, 0x1A2B3C4D);
	w16(shb + 4, g, 1);
	memset(shb + 8, 0xff, 8); /* section length -1 */
	ng_block(g, 0x0A0D0D0A, shb, sizeof shb);
}

static void ng_idb(const struct ng *g, uint16_t link)
{
	uint8_t b[8] = {0};
	w16(b, g, link);
	w32(b + 4, g, 65535);
	ng_block(g, 1, b, sizeof b);
}

static void ng_epb(const struct ng *g, uint32_t ifid, const uint8_t *d,
                   uint32_t caplen, uint32_t wirelen)
{
	uint8_t b[20 + 512];
	assert_true(caplen <= 512);
	w32(b, g, ifid);
	w32(b + 4, g, 0x60000);
	w32(b + 8, g, 0);
	w32(b + 12, g, caplen);
	w32(b + 16, g, wirelen);
	memcpy(b + 20, d, caplen);
	ng_block(g, 6, b, 20 + caplen);
}

/* ---- an NFLOG frame ------------------------------------------------------ */

/* An IPv4 UDP datagram 10.7.7.7:5353 -> 10.8.8.8:53 with 4 payload bytes. */
static size_t udp4(uint8_t *p)
{
	static const uint8_t ip[] = {
		0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0,
		10, 7, 7, 7, 10, 8, 8, 8,
		0x14, 0xe9, 0, 53, 0, 12, 0, 0, 'a', 'b', 'c', 'd',
	};
	memcpy(p, ip, sizeof ip);
	return sizeof ip;
}

/* NFLOG: header (AF_INET, version 0, group 1 big-endian), a prefix TLV
 * (type 10, "fw\0" padded to 4), the payload TLV (type 9): the TLV
 * lengths and types in the writer's byte order. */
static size_t nflog(uint8_t *p, const struct ng *g)
{
	size_t n = 0;
	p[n++] = 2;
	p[n++] = 0;
	p[n++] = 0;
	p[n++] = 1;
	w16(p + n, g, 7);
	w16(p + n + 2, g, 10);
	memcpy(p + n + 4, "fw\0\0", 4);
	n += 8;
	uint8_t ip[64];
	size_t l = udp4(ip);
	w16(p + n, g, (uint16_t)(4 + l));
	w16(p + n + 2, g, 9);
	memcpy(p + n + 4, ip, l);
	return n + 4 + l;
}

/* The file's packets read back: each NFLOG frame, its TLV headers in our
 * order, decodes to the UDP datagram. */
static void read_back(const char *path, unsigned want)
{
	struct cap_pcapng g;
	char err[256];
	struct pcap_pkthdr h;
	const uint8_t *data;
	int lt;
	unsigned n = 0;
	struct cap_decoder d;

	assert_int_equal(cap_decoder_init(&d, 16), 0);
	assert_int_equal(cap_pcapng_open(&g, path, NULL, err, sizeof err), 0);
	while (cap_pcapng_next(&g, &h, &data, &lt) == 1) {
		struct cap_packet pk;
		uint16_t v;
		assert_int_equal(lt, 239);
		memcpy(&v, data + 4, 2);
		assert_int_equal(v, 7);   /* prefix TLV: length, */
		memcpy(&v, data + 6, 2);
		assert_int_equal(v, 10);  /* type */
		memcpy(&v, data + 14, 2);
		assert_int_equal(v, 9);   /* payload TLV's type */
		assert_true(cap_decode(&d, lt, data, h.caplen, h.len, 0, &pk));
		assert_int_equal(pk.proto, 17);
		assert_int_equal(pk.sport, 5353);
		assert_int_equal(pk.dport, 53);
		assert_int_equal(pk.payload_len, 4);
		n++;
	}
	for (int i = 0; i < CAP_AN_COUNT; i++)
		assert_int_equal(d.anomalies[i], 0);
	assert_int_equal(n, want);
	cap_pcapng_close(&g);
	cap_decoder_free(&d);
}

/* Ethernet first, NFLOG second: libpcap reads nothing past the second
 * description, this reader the NFLOG packets; in either byte order. */
static void test_nflog_byte_order(void **state)
{
	(void)state;
	for (int swap = 0; swap < 2; swap++) {
		const char *path = pa_tmp(swap ? "nflog_other.pcapng"
		                                : "nflog_ours.pcapng");
		struct ng g;
		uint8_t f[256];
		ng_start(&g, path, swap);
		ng_idb(&g, 1);
		ng_idb(&g, 239);
		size_t n = nflog(f, &g);
		ng_epb(&g, 1, f, (uint32_t)n, (uint32_t)n);
		ng_epb(&g, 1, f, (uint32_t)n, (uint32_t)n);
		assert_int_equal(fclose(g.f), 0);
		read_back(path, 2);
	}
}

/* The swap stays within the captured bytes: a frame cut inside its
 * payload TLV has the headers before swapped, nothing past the cut read
 * or written; a TLV of length 0 ends the walk. */
static void test_nflog_swap_bounded(void **state)
{
	(void)state;
	const char *path = pa_tmp("nflog_cut.pcapng");
	struct ng g;
	uint8_t f[256];
	ng_start(&g, path, true);
	ng_idb(&g, 1);
	ng_idb(&g, 239);
	size_t n = nflog(f, &g);
	ng_epb(&g, 1, f, 14, (uint32_t)n);   /* cut inside the payload TLV */
	ng_epb(&g, 1, f, 18, (uint32_t)n);   /* cut after its header */
	uint8_t bad[12];
	memcpy(bad, f, 12);
	w16(bad + 4, &g, 0);                 /* a TLV length of 0 */
	ng_epb(&g, 1, bad, 12, 12);
	assert_int_equal(fclose(g.f), 0);

	struct cap_pcapng r;
	char err[256];
	struct pcap_pkthdr h;
	const uint8_t *data;
	int lt;
	uint16_t v;
	assert_int_equal(cap_pcapng_open(&r, path, NULL, err, sizeof err), 0);
	/* 14 bytes: the prefix TLV swapped, the payload TLV's header cut */
	assert_int_equal(cap_pcapng_next(&r, &h, &data, &lt), 1);
	assert_int_equal(h.caplen, 14);
	memcpy(&v, data + 4, 2);
	assert_int_equal(v, 7);
	memcpy(&v, data + 12, 2);
	assert_int_equal(v, __builtin_bswap16((uint16_t)(4 + 32)));
	/* 18 bytes: the payload TLV's header swapped though its value is cut
	 * (libpcap swaps a header it holds, whatever follows) */
	assert_int_equal(cap_pcapng_next(&r, &h, &data, &lt), 1);
	assert_int_equal(h.caplen, 18);
	memcpy(&v, data + 12, 2);
	assert_int_equal(v, 4 + 32);
	memcpy(&v, data + 14, 2);
	assert_int_equal(v, 9);
	/* a TLV length of 0: its header swapped, then the walk ends */
	assert_int_equal(cap_pcapng_next(&r, &h, &data, &lt), 1);
	memcpy(&v, data + 6, 2);
	assert_int_equal(v, 10);
	assert_memory_equal(data + 8, "fw\0\0", 4);
	assert_int_equal(cap_pcapng_next(&r, &h, &data, &lt), 0);
	cap_pcapng_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nflog_byte_order),
		cmocka_unit_test(test_nflog_swap_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
