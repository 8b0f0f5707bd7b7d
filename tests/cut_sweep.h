/*
 * cut_sweep.h -- one frame at every caplen from 0 to its length, with the
 * anomaly each cut must count (tcpdump's habit of testing at every
 * snaplen, made exact for the link-layer decoder tests).
 *
 * A test lists where each layer ends: a cut below `below` must return
 * false and count only `an`. CUT_SNAP means the cut must still decode,
 * with the full frame's fields and one snaplen_cut; CUT_OK that it decodes
 * with nothing counted. Each cut is decoded from a heap copy of exactly
 * caplen bytes with the wire length unchanged, so that ASan (test-san)
 * sees a read one byte past the captured part.
 */
#ifndef PORTAUDIT_TESTS_CUT_SWEEP_H
#define PORTAUDIT_TESTS_CUT_SWEEP_H

#include <stdio.h>
#include <stdlib.h>

#include "tests/decode_test.h"

#define CUT_SNAP (-1)
#define CUT_OK (-2)

struct cut {
	size_t below;
	int an; /* enum cap_anomaly, CUT_SNAP or CUT_OK */
};

static inline void cut_same(const struct cap_packet *a,
                            const struct cap_packet *b, const char *name,
                            size_t n)
{
	if (a->family != b->family || a->proto != b->proto ||
	    memcmp(a->src, b->src, 16) || memcmp(a->dst, b->dst, 16) ||
	    a->sport != b->sport || a->dport != b->dport ||
	    a->payload_len != b->payload_len || a->wirelen != b->wirelen)
		fail_msg("%s at caplen %zu: fields differ from the full frame",
		         name, n);
}

/* The rules must cover every caplen up to the frame's length (a frame that
 * is only counted, a beacon say, has anomaly rules only). Returns the
 * number of caplens checked. */
static inline size_t sweep_cuts(struct cap_decoder *dd, const char *name,
                                int lt, const struct pb *p,
                                const struct cut *rules, size_t nrules)
{
	struct cap_packet ref, pk;
	size_t full = p->n, r = 0;

	/* the reference: the full frame, when it is to decode at all */
	reset_anomalies(dd);
	bool ref_ok = cap_decode(dd, lt, p->b, (uint32_t)full, (uint32_t)full,
	                         0, &ref);
	if (ref_ok && an_total(dd))
		fail_msg("%s: the full frame counts an anomaly", name);
	for (size_t n = 0; n <= full; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, p->b, n);
		while (r < nrules && n >= rules[r].below)
			r++;
		if (r == nrules)
			fail_msg("%s: no rule for caplen %zu", name, n);
		reset_anomalies(dd);
		bool ok = cap_decode(dd, lt, n ? copy : NULL, (uint32_t)n,
		                     (uint32_t)full, 0, &pk);
		int want = rules[r].an;
		if (want >= 0) {
			if (ok || an_total(dd) != 1 || dd->anomalies[want] != 1) {
				for (int i = 0; i < CAP_AN_COUNT; i++)
					if (dd->anomalies[i])
						print_error("counted %s\n", cap_anomaly_name(
						            (enum cap_anomaly)i));
				fail_msg("%s at caplen %zu: want false and only %s, got "
				         "%s", name, n,
				         cap_anomaly_name((enum cap_anomaly)want),
				         ok ? "true" : "false");
			}
		} else {
			if (!ref_ok)
				fail_msg("%s: the full frame does not decode", name);
			if (!ok)
				fail_msg("%s at caplen %zu: does not decode", name, n);
			cut_same(&pk, &ref, name, n);
			uint64_t cut = dd->anomalies[CAP_AN_SNAPLEN_CUT];
			if (an_total(dd) != cut ||
			    cut != (want == CUT_SNAP ? 1u : 0u) ||
			    pk.truncated != (want == CUT_SNAP))
				fail_msg("%s at caplen %zu: want %s", name, n,
				         want == CUT_SNAP ? "one snaplen_cut"
				                          : "no anomaly");
			if (pk.payload_caplen &&
			    (pk.payload < copy ||
			     pk.payload + pk.payload_caplen > copy + n))
				fail_msg("%s at caplen %zu: payload outside", name, n);
		}
		free(copy);
	}
	return full + 1;
}

#endif
