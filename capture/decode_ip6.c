/*
 * decode_ip6.c -- IPv6 header and its extension header chain.
 *
 * Design. The fixed 40 bytes must be captured (else CAP_AN_TRUNC_IP6); the
 * payload length must fit in what the frame has on the wire
 * (CAP_AN_BAD_IP6_PLEN). A payload length of 0 is a jumbogram or a GSO
 * send captured before segmentation: the frame's length stands in. The
 * window is narrowed to the payload length, as for IPv4. The extension
 * header chain (hop-by-hop, routing, destination options, fragment, AH) is
 * walked to the transport header, at most CAP_MAX_LAYERS headers, each
 * bounded both by the captured bytes and by the payload length; a chain
 * cut or too long is CAP_AN_IP6_EXT_TRUNC. ESP, no-next-header, mobility
 * and anything else end the walk and are "other" transport protocols.
 * After a fragment header with a non-zero offset the rest is fragment data:
 * the walk stops and the ports come from the fragment table.
 *
 * A routing header with Segments Left > 0 means the IPv6 header's
 * destination is only the next hop of a source route: the packet's
 * destination, for the flow key, is the route's final one (as tshark keys
 * its conversations and computes the transport checksum): the last address
 * of a type 0 header (RFC 5095 deprecated it; RFC 2460 3.3), Segment
 * List[0] of a Segment Routing Header (type 4, RFC 8754 2), the home
 * address of a type 2 header (Mobile IPv6, RFC 6275 6.4). A header of one
 * of these types too short for the address it must hold is malformed
 * (CAP_EXT_BAD, as any extension header longer than the payload); other
 * types (RPL's compressed type 3...) leave the destination as it is.
 */
#include <string.h>

#include "capture/decode_int.h"

#define IP6_HDR_LEN 40
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_DSTOPTS 60
#define RH_TYPE0 0
#define RH_TYPE2 2
#define RH_SRH 4

static bool is_ext(uint8_t nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT ||
	       nh == NH_AH || nh == NH_DSTOPTS;
}

/* The final destination of routing header rh (hl bytes, all captured)
 * into dst when its Segments Left is not 0; false: too short for it. */
static bool routing_final(const uint8_t *rh, uint32_t hl, uint8_t dst[16])
{
	/* next header 0, length 1, type 2, segments left 3, then by type */
	uint32_t at;

	if (rh[3] == 0)
		return true; /* the IPv6 destination is the final one */
	switch (rh[2]) {
	case RH_TYPE0: /* 4 reserved, addresses 8.. (as many as fit) */
		if (hl < 8 + 16)
			return false;
		at = 8 + (hl - 8) / 16 * 16 - 16;
		break;
	case RH_TYPE2: /* 4 reserved, the home address at 8 */
		at = 8;
		break;
	case RH_SRH:   /* last entry 4, flags 5, tag 6-7, segments 8.. */
		if ((uint32_t)rh[4] * 16 + 16 + 8 > hl)
			return false; /* Segment List[last entry] past its end */
		at = 8;
		break;
	default:
		return true;
	}
	if (at + 16 > hl)
		return false;
	memcpy(dst, rh + at, 16);
	return true;
}

enum cap_ext_rc cap_ip6_ext_walk(struct cap_cursor *c, uint8_t *nh,
                                 uint32_t *wire_left, struct cap_ip6_frag *fr,
                                 uint8_t dst[16])
{
	for (unsigned n = 0; is_ext(*nh); n++) {
		uint8_t next, len;
		uint32_t hl;

		if (n >= CAP_MAX_LAYERS)
			return CAP_EXT_BAD;
		if (*nh == NH_FRAGMENT) {
			uint8_t res;
			uint16_t offlg;
			uint32_t id;

			if (*wire_left < 8)
				return CAP_EXT_BAD;
			if (!cur_u8(c, &next) || !cur_u8(c, &res) ||
			    !cur_be16(c, &offlg) || !cur_be32(c, &id))
				return CAP_EXT_CUT;
			(void)res;
			*wire_left -= 8;
			fr->present = true;
			fr->nh = next;
			fr->offset = (uint16_t)(offlg >> 3);
			fr->more = (offlg & 1u) != 0;
			fr->id = id;
			*nh = next;
			if (fr->offset)
				return CAP_EXT_OK;
			continue;
		}
		if (*wire_left < 2)
			return CAP_EXT_BAD;
		if (!cur_peek_u8(c, 0, &next) || !cur_peek_u8(c, 1, &len))
			return CAP_EXT_CUT;
		hl = *nh == NH_AH ? ((uint32_t)len + 2u) * 4u
		                  : ((uint32_t)len + 1u) * 8u;
		if (hl > *wire_left)
			return CAP_EXT_BAD;
		if (!cur_has(c, hl))
			return CAP_EXT_CUT;
		if (*nh == NH_ROUTING && !routing_final(c->p, hl, dst))
			return CAP_EXT_BAD;
		(void)cur_skip(c, hl);
		*wire_left -= hl;
		*nh = next;
	}
	return CAP_EXT_OK;
}

bool cap_dec_ip6(struct cap_dstate *st, struct cap_cursor *c)
{
	struct cap_packet *pkt = st->pkt;
	struct cap_ip6_frag fr = {0};
	uint32_t seg, wire_left = cap_dec_wire_left(st, c);
	const uint8_t *h = cur_take(c, IP6_HDR_LEN);

	if (!h) {
		uint8_t v;
		if (cur_peek_u8(c, 0, &v) && (v >> 4) != 6)
			return cap_dec_fail(st, CAP_AN_BAD_IP6_VERSION);
		return cap_dec_fail(st, CAP_AN_TRUNC_IP6);
	}
	/* version+class+label 0-3, payload length 4-5, next header 6, hop
	 * limit 7, addresses 8-39 */
	uint16_t plen = rd_be16(h + 4);
	uint8_t nh = h[6];
	memcpy(pkt->src, h + 8, 16);
	memcpy(pkt->dst, h + 24, 16);
	if ((h[0] >> 4) != 6)
		return cap_dec_fail(st, CAP_AN_BAD_IP6_VERSION);
	pkt->family = 6;
	/* wire_left >= 40: the wire length is at least the captured length */
	seg = plen ? plen : wire_left - IP6_HDR_LEN;
	if (seg > wire_left - IP6_HDR_LEN)
		return cap_dec_fail(st, CAP_AN_BAD_IP6_PLEN);
	cur_narrow(c, seg);

	if (cap_ip6_ext_walk(c, &nh, &seg, &fr, pkt->dst) != CAP_EXT_OK)
		return cap_dec_fail(st, CAP_AN_IP6_EXT_TRUNC);
	if (fr.present && (fr.offset || fr.more)) {
		st->frag = fr.offset ? CAP_FRAG_LATER : CAP_FRAG_FIRST;
		st->frag_last = !fr.more;
		memset(&st->fkey, 0, sizeof(st->fkey));
		memcpy(st->fkey.src, pkt->src, 16);
		/* the header's destination, as reassembly keys it (RFC 8200
		 * 4.5), whatever a routing header said */
		memcpy(st->fkey.dst, h + 24, 16);
		st->fkey.id = fr.id;
		st->fkey.family = 6;
		st->fkey.proto = fr.nh;
	}
	return cap_dec_l4(st, c, nh, seg);
}
