/*
 * decode_ip4.c -- IPv4 header: version, lengths both ways, options, fragments.
 *
 * Design. The fixed 20 bytes must be captured (else CAP_AN_TRUNC_IP4). The
 * header length must be >= 20 and <= the total length (CAP_AN_BAD_IP4_HLEN),
 * the total length >= the header and <= what the frame has on the wire
 * (CAP_AN_BAD_IP4_TOTLEN). A total length of 0 is a TSO/GSO send captured
 * before segmentation (tcpdump's guess too): the frame's length stands in.
 * The window is then narrowed to the total length (tcpdump's
 * nd_push_snaplen, masscan's offset + total_length): bytes beyond are
 * Ethernet padding or an FCS; bytes missing are a snaplen cut, which the
 * transport layer counts once. Options are skipped, not read. Fragments:
 * offset 0 with MF is a first fragment, decoded as usual and remembered;
 * a later fragment (offset > 0) gets its ports from the fragment table.
 * An IPsec Authentication Header (protocol 51, RFC 4302: next header,
 * length in 4-byte words less 2) is stepped over, as the IPv6 chain
 * steps over it, to the transport header it authenticates; a later
 * fragment keeps protocol 51 in its key, as its first fragment did. ESP
 * hides its transport header and stays CAP_AN_OTHER_L4.
 */
#include <string.h>

#include "capture/decode_int.h"

#define IP4_HDR_MIN 20
#define IP4_MF 0x2000u
#define IP4_OFFMASK 0x1fffu
#define IP_AH 51

bool cap_dec_ip4(struct cap_dstate *st, struct cap_cursor *c)
{
	struct cap_packet *pkt = st->pkt;
	uint32_t hlen, totlen, wire_left = cap_dec_wire_left(st, c);
	const uint8_t *h = cur_take(c, IP4_HDR_MIN);

	if (!h) {
		uint8_t v;
		if (cur_peek_u8(c, 0, &v) && (v >> 4) != 4)
			return cap_dec_fail(st, CAP_AN_BAD_IP4_VERSION);
		return cap_dec_fail(st, CAP_AN_TRUNC_IP4);
	}
	/* version+hlen 0, tos 1, total length 2-3, id 4-5, flags+offset
	 * 6-7, ttl 8, protocol 9, checksum 10-11, addresses 12-19 */
	uint8_t vhl = h[0], proto = h[9];
	uint16_t tot = rd_be16(h + 2), id = rd_be16(h + 4),
	         frag = rd_be16(h + 6);
	memcpy(pkt->src, h + 12, 4);
	memcpy(pkt->dst, h + 16, 4);
	if ((vhl >> 4) != 4)
		return cap_dec_fail(st, CAP_AN_BAD_IP4_VERSION);
	pkt->family = 4;
	hlen = (uint32_t)(vhl & 0x0fu) * 4u;
	if (hlen < IP4_HDR_MIN)
		return cap_dec_fail(st, CAP_AN_BAD_IP4_HLEN);
	totlen = tot ? tot : wire_left;
	if (totlen < IP4_HDR_MIN || totlen > wire_left)
		return cap_dec_fail(st, CAP_AN_BAD_IP4_TOTLEN);
	if (hlen > totlen)
		return cap_dec_fail(st, CAP_AN_BAD_IP4_HLEN);
	/* The window now starts after the fixed header: narrow to the rest. */
	cur_narrow(c, (size_t)totlen - IP4_HDR_MIN);
	if (!cur_skip(c, hlen - IP4_HDR_MIN))
		return cap_dec_fail(st, CAP_AN_TRUNC_IP4);

	if ((frag & (IP4_MF | IP4_OFFMASK)) != 0) {
		st->frag = (frag & IP4_OFFMASK) ? CAP_FRAG_LATER : CAP_FRAG_FIRST;
		st->frag_last = (frag & IP4_MF) == 0;
		memset(&st->fkey, 0, sizeof(st->fkey));
		memcpy(st->fkey.src, pkt->src, 4);
		memcpy(st->fkey.dst, pkt->dst, 4);
		st->fkey.id = id;
		st->fkey.family = 4;
		st->fkey.proto = proto;
	}
	if (proto == IP_AH && st->frag != CAP_FRAG_LATER) {
		uint8_t next, len;
		if (!cur_peek_u8(c, 0, &next) || !cur_peek_u8(c, 1, &len))
			return cap_dec_fail(st, CAP_AN_TRUNC_IP4);
		uint32_t ah = ((uint32_t)len + 2u) * 4u;
		if (ah > totlen - hlen)
			return cap_dec_fail(st, CAP_AN_BAD_IP4_TOTLEN);
		if (!cur_skip(c, ah))
			return cap_dec_fail(st, CAP_AN_TRUNC_IP4);
		proto = next;
		hlen += ah;
	}
	return cap_dec_l4(st, c, proto, totlen - hlen);
}
