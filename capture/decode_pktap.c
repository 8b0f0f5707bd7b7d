/*
 * decode_pktap.c -- Apple's PKTAP pseudo-header (LINKTYPE_PKTAP 258, and
 * DLT_USER2 149 as macOS writes it: `tcpdump -i pktap,en0 -k`), and the
 * dispatch of a frame whose link type a pseudo-header names.
 *
 * Design. A PKTAP header starts with three little-endian 32-bit words: its
 * own length, the record type and the DLT of the frame that follows; then
 * the interface name, flags, process id and name and so on (108 bytes in
 * all, as tcpdump's print-pktap.c reads it; a longer header is allowed,
 * its length decides where the frame starts). The length is checked both
 * ways: at least 108, at most the frame on the wire (CAP_AN_BAD_LINK_HLEN);
 * past the captured bytes is CAP_AN_TRUNC_LINK. Record type 1 (a packet)
 * goes on with its DLT; type 0 (no data) and others are non_ip.
 *
 * cap_dec_inner_link() hands the frame to cap_dec_link(), the one switch
 * on the link type (decode.c), in the same decode state: every link type
 * (Ethernet, BSD null and loop, raw IP, 802.11, ...) is reached, tunnels
 * inside are decapsulated as in any frame, and the packet keeps the
 * record's wire length (flows count it). A PKTAP or PPI header inside is
 * not decoded (non_ip), so the nesting is at most one pseudo-header deep.
 */
#include "capture/decode_int.h"

#define PKTAP_MIN_LEN 108u
#define PKTAP_REC_PACKET 1u
#define INNER_DLT_MAX 0xffffu

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

bool cap_dec_pktap(struct cap_dstate *st, struct cap_cursor *c)
{
	struct cap_cursor peek = *c, h;
	const uint8_t *w;
	uint32_t hlen;

	if (!cur_le32(&peek, &hlen))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	if (hlen < PKTAP_MIN_LEN || hlen > cap_dec_wire_left(st, c))
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	if (!cur_sub(c, hlen, &h))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	w = cur_take(&h, 12); /* length, record type, DLT */
	if (!w)
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	if (rd_le32(w + 4) != PKTAP_REC_PACKET)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_inner_link(st, c, rd_le32(w + 8));
}

bool cap_dec_inner_link(struct cap_dstate *st, struct cap_cursor *c,
                        uint32_t dlt)
{
	if (dlt > INNER_DLT_MAX || dlt == CAP_DLT_PKTAP ||
	    dlt == CAP_DLT_USER2_PKTAP || dlt == CAP_DLT_PPI)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_link(st, c, (int)dlt);
}
