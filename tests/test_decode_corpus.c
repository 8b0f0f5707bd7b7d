/*
 * test_decode_corpus.c -- every packet of ../shared/corpus/ through cap_decode.
 *
 * The corpus is tcpdump's and libpcap's test captures: fuzzer finds, CVE
 * reproducers, odd link types. Each file is opened with pcap_open_offline
 * and every packet is decoded with the file's link type, under ASan/UBSan
 * in test-san. Besides "no crash", every packet handed on must be
 * self-consistent: a known family and protocol, the payload inside the
 * captured bytes, payload_caplen <= payload_len, truncated exactly when the
 * payload was cut (or a TCP segment's options, no payload captured).
 * Frames are decoded whole (cap_decode_frame, with a
 * tunnel table): the packet at index k of a frame is inside k tunnels,
 * its tunnel a child of the previous packet's. Skips with a message when
 * the corpus is absent.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "tests/harness.h"

struct totals {
	unsigned files, opened, packets, decoded, unsupported;
	uint64_t anomalies[CAP_AN_COUNT];
	uint64_t inner;          /* packets taken out of a tunnel */
};

static void check_packet(const struct cap_packet *pk, const uint8_t *data,
                         uint32_t caplen, const char *file, unsigned n)
{
	if (pk->family != 4 && pk->family != 6)
		fail_msg("%s #%u: family %u", file, n, pk->family);
	if (pk->proto != 6 && pk->proto != 17 && pk->proto != 1 &&
	    pk->proto != 58 && pk->proto != 47 && pk->proto != 4 &&
	    pk->proto != 41)
		fail_msg("%s #%u: proto %u", file, n, pk->proto);
	if (pk->payload_caplen > pk->payload_len)
		fail_msg("%s #%u: payload_caplen %u > payload_len %u", file, n,
		         pk->payload_caplen, pk->payload_len);
	/* Truncated: the payload cut, or (no payload captured) the TCP
	 * options before it. */
	if (pk->truncated != (pk->payload_caplen < pk->payload_len) &&
	    !(pk->truncated && pk->payload_caplen == 0 && pk->proto == 6))
		fail_msg("%s #%u: truncated flag wrong", file, n);
	if (pk->payload_caplen) {
		if (!pk->payload || pk->payload < data ||
		    pk->payload + pk->payload_caplen > data + caplen)
			fail_msg("%s #%u: payload outside the captured bytes", file, n);
	}
	if (pk->wirelen == 0 && caplen)
		fail_msg("%s #%u: wirelen 0", file, n);
}

static void run_dir(const char *dir, struct totals *t)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[1024], errbuf[PCAP_ERRBUF_SIZE];
		struct pcap_pkthdr *h;
		const u_char *data;
		struct cap_decoder dec;
		pcap_t *p;
		int lt, rc;
		unsigned n = 0;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".md") ||
		    strncmp(e->d_name, "LICENSE", 7) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		t->files++;
		p = pcap_open_offline(path, errbuf);
		if (!p)
			continue;
		t->opened++;
		lt = pcap_datalink(p);
		if (!cap_linktype_supported(lt))
			t->unsupported++;
		assert_int_equal(cap_decoder_init(&dec, 64), 0);
		dec.tunnels = cap_tunnels_new();
		assert_non_null(dec.tunnels);
		while ((rc = pcap_next_ex(p, &h, &data)) >= 0) {
			struct cap_packet pk[CAP_DECODE_MAX];
			uint64_t ts;

			if (rc == 0)
				continue;
			n++;
			t->packets++;
			ts = (uint64_t)h->ts.tv_sec * 1000000000u +
			     (uint64_t)h->ts.tv_usec * 1000u;
			unsigned np = cap_decode_frame(&dec, lt, data, h->caplen,
			                               h->len, ts, pk);
			if (np)
				t->decoded++;
			for (unsigned k = 0; k < np; k++) {
				check_packet(&pk[k], data, h->caplen, e->d_name, n);
				const struct cap_tunnel *tu =
					cap_tunnel_get(dec.tunnels, pk[k].tunnel);
				if (k == 0 ? pk[k].tunnel != 0
				           : !tu || tu->depth != k ||
				             tu->parent != pk[k - 1].tunnel)
					fail_msg("%s #%u: packet %u: wrong tunnel",
					         e->d_name, n, k);
			}
			if (np > 1)
				t->inner += np - 1;
		}
		for (int i = 0; i < CAP_AN_COUNT; i++)
			t->anomalies[i] += dec.anomalies[i];
		cap_tunnels_free(dec.tunnels);
		cap_decoder_free(&dec);
		pcap_close(p);
	}
	closedir(d);
}

static void test_corpus(void **state)
{
	struct totals t = {0};
	DIR *d = opendir(pa_src("../shared/corpus/tcpdump"));
	(void)state;

	if (!d)
		pa_skip("../shared/corpus/ not found");
	closedir(d);
	run_dir(pa_src("../shared/corpus/tcpdump"), &t);
	run_dir(pa_src("../shared/corpus/libpcap"), &t);
	printf("corpus: %u files, %u opened (%u of unsupported link types), "
	       "%u packets, %u decoded, %llu packets out of tunnels\n",
	       t.files, t.opened, t.unsupported, t.packets, t.decoded,
	       (unsigned long long)t.inner);
	for (int i = 0; i < CAP_AN_COUNT; i++)
		if (t.anomalies[i])
			printf("  %-18s %llu\n", cap_anomaly_name((enum cap_anomaly)i),
			       (unsigned long long)t.anomalies[i]);
	/* The corpus is mostly real traffic: most of it must decode. */
	assert_true(t.opened > 800);
	assert_true(t.decoded > t.packets / 4);
	/* It holds VXLAN, Geneve, GRE and ERSPAN captures. */
	assert_true(t.inner > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
