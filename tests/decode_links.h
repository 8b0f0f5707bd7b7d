/*
 * decode_links.h -- builders and checks for the link-layer decoder tests
 * (test_decode_ppp.c, test_decode_llc.c, test_decode_ethtags.c) and the
 * caplen sweep: the link types of decode_ppp.c and decode_llc.c, LLC/SNAP
 * and FabricPath headers, and the cut-length checks every decoder gets.
 * Include after decode_test.h.
 */
#ifndef PORTAUDIT_TESTS_DECODE_LINKS_H
#define PORTAUDIT_TESTS_DECODE_LINKS_H

#include <stdlib.h>

#define DLT_T_PPP 9
#define DLT_T_FDDI 10
#define DLT_T_PPP_SERIAL 50
#define DLT_T_C_HDLC 104

/* LLC UI with SNAP: AA AA 03, the OUI, the protocol id (an EtherType). */
static inline void pb_snap(struct pb *p, uint32_t oui, unsigned type)
{
	pb_u8(p, 0xaa);
	pb_u8(p, 0xaa);
	pb_u8(p, 0x03);
	pb_u8(p, oui >> 16);
	pb_u8(p, (oui >> 8) & 0xff);
	pb_u8(p, oui & 0xff);
	pb_be16(p, type);
}

/* An 802.3 header: addresses and a length, patched by pb_8023_end. */
static inline size_t pb_8023(struct pb *p)
{
	pb_eth(p, 0);
	return p->n - 2;
}
static inline void pb_8023_end(struct pb *p, size_t len_off)
{
	pb_put16(p, len_off, (unsigned)(p->n - len_off - 2));
}

/* FDDI: frame control and the two addresses. */
static inline void pb_fddi(struct pb *p, unsigned fc)
{
	pb_u8(p, fc);
	pb_fill(p, 0x5a, 12);
}

/* FabricPath's outer header: hierarchical DA and SA, 0x8903, FTag/TTL. */
static inline void pb_fabricpath(struct pb *p)
{
	static const uint8_t outer[12] = {0x02, 0x00, 0x65, 0, 0, 0,
	                                  0x02, 0x00, 0xc9, 0, 0, 0};
	pb_raw(p, outer, sizeof(outer));
	pb_be16(p, 0x8903);
	pb_be16(p, (1u << 6) | 32); /* FTag 1, TTL 32 */
}

/* Decode b[0..n) from a heap copy of exactly n bytes (so that ASan sees a
 * read one past), the wire length `wire`. */
static inline bool dec_cut(struct cap_decoder *dd, int lt, const uint8_t *b,
                           size_t n, size_t wire, struct cap_packet *pk)
{
	uint8_t *copy = malloc(n ? n : 1);
	bool ok;
	assert_non_null(copy);
	memcpy(copy, b, n);
	ok = cap_decode(dd, lt, copy, (uint32_t)n, (uint32_t)wire, 1000000000u,
	                pk);
	free(copy);
	return ok;
}

/* Where a frame's headers end, and the anomaly a cut before there counts. */
struct cut_step {
	size_t end;
	enum cap_anomaly a;
};

/* The frame p at every caplen from 0 to its length - 1, its wire length
 * whole: a cut before steps[i].end (and after the previous step) counts
 * exactly steps[i].a; a cut after the last step (in the payload) decodes,
 * counted snaplen_cut once. */
static inline void check_cuts(struct cap_decoder *dd, int lt,
                              const struct pb *p,
                              const struct cut_step *steps, size_t nsteps)
{
	struct cap_packet pk;
	for (size_t n = 0; n < p->n; n++) {
		size_t i = 0;
		while (i < nsteps && n >= steps[i].end)
			i++;
		reset_anomalies(dd);
		bool ok = dec_cut(dd, lt, p->b, n, p->n, &pk);
		if (i < nsteps) {
			if (ok)
				fail_msg("caplen %zu of %zu: decoded", n, p->n);
			if (an_total(dd) != 1 || dd->anomalies[steps[i].a] != 1)
				fail_msg("caplen %zu of %zu: not only %s", n, p->n,
				         cap_anomaly_name(steps[i].a));
		} else {
			if (!ok)
				fail_msg("caplen %zu of %zu: not decoded", n, p->n);
			assert_true(pk.truncated);
			assert_only_anomaly(dd, CAP_AN_SNAPLEN_CUT);
		}
	}
}

/* The frame p ended (on the wire too) at every length below hdr: counts
 * exactly `a` (bad_link_hlen where the link header's own bytes are
 * missing from the frame). */
static inline void check_short(struct cap_decoder *dd, int lt,
                               const struct pb *p, size_t from, size_t hdr,
                               enum cap_anomaly a)
{
	struct cap_packet pk;
	for (size_t n = from; n < hdr; n++) {
		reset_anomalies(dd);
		if (dec_cut(dd, lt, p->b, n, n, &pk))
			fail_msg("length %zu: decoded", n);
		if (an_total(dd) != 1 || dd->anomalies[a] != 1)
			fail_msg("length %zu: not only %s", n, cap_anomaly_name(a));
	}
}

#endif
