/*
 * decode_vlan.c -- 802.1Q / 802.1ad (QinQ) tags, MPLS label stacks, PPPoE.
 *
 * Design. Each tag, label or PPPoE header is one encapsulation layer; the
 * layers of a frame are counted in st->layers and capped at CAP_MAX_LAYERS
 * (Suricata's PKT_DEFAULT_MAX_DECODED_LAYERS): one more is
 * CAP_AN_VLAN_DEPTH, so a frame of a thousand tags costs nine reads. Tags
 * are walked in a loop by cap_dec_ethertype(), never by recursion. The
 * outermost VLAN id is the one reported (the first tag met). After the
 * bottom MPLS label the payload has no type field: IPv4 and IPv6 are told
 * by the version nibble, and a first nibble of 0 is taken as a pseudowire
 * control word followed by Ethernet (RFC 4385), as tcpdump guesses too.
 * A PPPoE session header narrows the window to its length field, or to
 * the IP packet's own length when that is longer and the frame holds it
 * (CAP_AN_PPPOE_LEN: Zeek and tshark follow the IP length too); its PPP
 * protocol field is read by cap_dec_ppp_proto() (decode_ppp.c).
 *
 * Data-centre tags, one layer each like a VLAN tag (so a frame nested
 * deeper than CAP_MAX_LAYERS is vlan_depth whatever the mix):
 *   - VN-Tag (0x8926, Cisco/IEEE 802.1Qbh): 4 bytes, then the next
 *     EtherType, walked in cap_dec_ethertype()'s loop like an 802.1Q tag;
 *   - 802.1ah PBB (0x88e7): a 4-byte I-TAG (priority, flags, 24-bit I-SID),
 *     then the customer's whole Ethernet frame (addresses, type);
 *   - Cisco FabricPath (0x8903): the outer "Ethernet" header is FabricPath's
 *     own (hierarchical outer DA, SA, this EtherType), then 2 bytes of FTag
 *     and TTL, then the classic Ethernet frame, as Wireshark's
 *     packet-cisco-fp-mim.c reads it (16 bytes in all; 20 with an 802.1Q or
 *     802.1ad tag in front of 0x8903, which the tag loop handles).
 * Nested frames (PBB, FabricPath, a pseudowire) go back to cap_dec_eth():
 * recursion, bounded by the same layer cap.
 */
#include "capture/decode_int.h"

#define MPLS_BOS 0x100u      /* bottom-of-stack bit of a label entry */
#define PPPOE_VER_TYPE 0x11
#define VNTAG_LEN 4
#define PBB_ITAG_LEN 4
#define FABRICPATH_FTAG_LEN 2   /* FTag (10 bits) and TTL (6 bits) */

static bool one_more_layer(struct cap_dstate *st)
{
	if (st->layers >= CAP_MAX_LAYERS)
		return cap_dec_fail(st, CAP_AN_VLAN_DEPTH);
	st->layers++;
	return true;
}

bool cap_dec_vlan(struct cap_dstate *st, struct cap_cursor *c, uint16_t *type)
{
	uint16_t tci;

	if (!one_more_layer(st))
		return false;
	if (!cur_be16(c, &tci) || !cur_be16(c, type))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	if (!st->vlan_seen) {
		st->pkt->vlan = (uint16_t)(tci & 0x0fffu);
		st->vlan_seen = true;
	}
	return true;
}

bool cap_dec_mpls(struct cap_dstate *st, struct cap_cursor *c)
{
	uint32_t entry;
	uint8_t first;

	do {
		if (!one_more_layer(st))
			return false;
		if (!cur_be32(c, &entry))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	} while (!(entry & MPLS_BOS));

	if (!cur_peek_u8(c, 0, &first))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	switch (first >> 4) {
	case 4:
		return cap_dec_ip4(st, c);
	case 6:
		return cap_dec_ip6(st, c);
	case 0:
		/* pseudowire control word, then an Ethernet frame */
		if (!one_more_layer(st))
			return false;
		if (!cur_skip(c, 4))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		return cap_dec_eth(st, c);
	default:
		return cap_dec_fail(st, CAP_AN_NON_IP);
	}
}

bool cap_dec_pppoe(struct cap_dstate *st, struct cap_cursor *c)
{
	uint8_t vt, code;
	uint16_t session, len;

	if (!one_more_layer(st))
		return false;
	if (!cur_u8(c, &vt) || !cur_u8(c, &code) || !cur_be16(c, &session) ||
	    !cur_be16(c, &len))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	(void)session;
	if (vt != PPPOE_VER_TYPE || code != 0)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	/* len counts the PPP protocol field and the payload. */
	if (len < 2)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	/* Some access concentrators write a PPPoE length a few bytes short
	 * of the IP packet it carries; Zeek and tshark follow the IP length.
	 * So do we, when the frame holds it, and count the mismatch. The
	 * PPP protocol field is 1 byte when compressed (an odd first byte). */
	uint32_t plen = len, iplen = 0;
	uint8_t b0, b1 = 0, h0, h1;
	if (cur_peek_u8(c, 0, &b0) && ((b0 & 1) || cur_peek_u8(c, 1, &b1))) {
		uint16_t pp = (uint16_t)((b0 & 1) ? b0 : (b0 << 8 | b1));
		size_t ip = (b0 & 1) ? 1 : 2;
		if (pp == CAP_PPP_IP4 && cur_peek_u8(c, ip + 2, &h0) &&
		    cur_peek_u8(c, ip + 3, &h1))
			iplen = (uint32_t)ip + ((uint32_t)h0 << 8 | h1);
		else if (pp == CAP_PPP_IP6 && cur_peek_u8(c, ip + 4, &h0) &&
		         cur_peek_u8(c, ip + 5, &h1))
			iplen = (uint32_t)ip + 40u + ((uint32_t)h0 << 8 | h1);
	}
	if (iplen > plen && iplen <= cap_dec_wire_left(st, c)) {
		cap_dec_fail(st, CAP_AN_PPPOE_LEN);
		plen = iplen;
	}
	cap_dec_narrow(st, c, plen);
	return cap_dec_ppp_proto(st, c);
}

bool cap_dec_vntag(struct cap_dstate *st, struct cap_cursor *c, uint16_t *type)
{
	if (!one_more_layer(st))
		return false;
	const uint8_t *h = cur_take(c, VNTAG_LEN + 2);
	if (!h)
		return cap_dec_link_short(st, c, VNTAG_LEN + 2);
	*type = rd_be16(h + VNTAG_LEN);
	return true;
}

bool cap_dec_pbb(struct cap_dstate *st, struct cap_cursor *c)
{
	if (!one_more_layer(st))
		return false;
	if (!cur_skip(c, PBB_ITAG_LEN))
		return cap_dec_link_short(st, c, PBB_ITAG_LEN);
	return cap_dec_eth(st, c);
}

bool cap_dec_fabricpath(struct cap_dstate *st, struct cap_cursor *c)
{
	if (!one_more_layer(st))
		return false;
	if (!cur_skip(c, FABRICPATH_FTAG_LEN))
		return cap_dec_link_short(st, c, FABRICPATH_FTAG_LEN);
	return cap_dec_eth(st, c);
}
