/*
 * decode_gre.c -- GRE (RFC 2784, 2890; version 1 of RFC 2637) and the
 * ERSPAN mirror sessions it carries (types I, II and III).
 *
 * Design. The 4-byte GRE header must be on the wire (else
 * CAP_AN_BAD_TUNNEL) and captured (else CAP_AN_TRUNC_LINK); its flags give
 * the optional fields (checksum and offset, key, sequence number, and for
 * version 1 the acknowledgement), whose total must fit in the payload. A
 * version other than 0 or 1, the routing bit (RFC 1701 source routes, no
 * longer in use), or a version 1 header that is not PPTP's (key bit and
 * protocol PPP) is CAP_AN_BAD_TUNNEL. The protocol type then says what is
 * inside: an EtherType (IPv4, IPv6, MPLS, VLAN...) continues in
 * cap_dec_ethertype, 0x6558 (transparent Ethernet bridging) is a whole
 * Ethernet frame, 0x883e is a WCCP redirect (an IP packet, after a 4-byte
 * redirect header unless it starts at once with one), 0x880b is PPP
 * (PPTP, version 1), and 0x88be/0x22eb are ERSPAN:
 *
 *   type I    0x88be, GRE without any flag: the mirrored Ethernet frame
 *             follows at once;
 *   type II   ERSPAN version 1, an 8-byte header (session id, the T bit
 *             that says the switch cut the frame);
 *   type III  ERSPAN version 2, a 12-byte header, plus 8 bytes of
 *             platform-specific subheader when its O bit is set; frame
 *             type 0 is Ethernet, 2 an IP packet, others are not decoded.
 *
 * A frame the switch cut (T) may announce longer inner lengths than it
 * has: the inner packet is then kept as cut by a snaplen, not malformed.
 * The tunnel's id is the GRE key (version 0, when present) or the ERSPAN
 * session id. A PPTP call id is not: each direction carries the other
 * end's, so it would split every flow in two. Packets without a payload
 * after the header (a PPTP acknowledgement) are the outer flow's only.
 */
#include "capture/decode_int.h"

#define GRE_C 0x8000u
#define GRE_R 0x4000u
#define GRE_K 0x2000u
#define GRE_S 0x1000u
#define GRE_A 0x0080u  /* version 1: acknowledgement number present */
#define GRE_VER 0x0007u

#define GRE_ETH 0x6558u
#define GRE_ERSPAN_I_II 0x88beu
#define GRE_ERSPAN_III 0x22ebu
#define GRE_WCCP 0x883eu
#define GRE_PPP 0x880bu

#define PPP_IP4 0x0021u
#define PPP_IP6 0x0057u

static bool dec_erspan(struct cap_dstate *st, struct cap_cursor *c,
                       uint16_t proto, uint16_t flags)
{
	const uint8_t *h;

	if (proto == GRE_ERSPAN_I_II && flags == 0) {
		if (!cap_tun_enter(st, c, CAP_TUN_ERSPAN1, false, 0))
			return false;
		return cap_dec_eth(st, c);
	}
	uint8_t first;
	if (cap_dec_wire_left(st, c) < 1)
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (!cur_peek_u8(c, 0, &first))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	switch (first >> 4) {
	case 1: /* type II: version, VLAN | COS, En, T, session | index */
		if (!cap_tun_take(st, c, 8, &h))
			return false;
		if (!cap_tun_enter(st, c, CAP_TUN_ERSPAN2, true,
		                   rd_be16(h + 2) & 0x3ffu))
			return false;
		if (h[2] & 0x04u)
			cap_tun_cut_inner(st, c);
		return cap_dec_eth(st, c);
	case 2: { /* type III: ... | timestamp | SGT | P, FT, HW, D, Gra, O */
		if (!cap_tun_take(st, c, 12, &h))
			return false;
		unsigned ft = (rd_be16(h + 10) >> 10) & 0x1fu;
		bool cut = (h[2] & 0x04u) != 0;
		uint16_t session = rd_be16(h + 2) & 0x3ffu;
		if ((h[11] & 0x01u) && !cap_tun_take(st, c, 8, &h))
			return false; /* the platform-specific subheader */
		if (ft != 0 && ft != 2)
			return cap_dec_fail(st, CAP_AN_NON_IP);
		if (!cap_tun_enter(st, c, CAP_TUN_ERSPAN3, true, session))
			return false;
		if (cut)
			cap_tun_cut_inner(st, c);
		return ft == 0 ? cap_dec_eth(st, c) : cap_dec_raw(st, c, 0);
	}
	default:
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	}
}

/* PPTP's PPP: address and control (ff 03) unless compressed away, then a
 * protocol of one byte (odd) or two. */
static bool dec_ppp(struct cap_dstate *st, struct cap_cursor *c)
{
	uint8_t b;
	uint16_t proto;

	if (cur_peek_u8(c, 0, &b) && b == 0xff) {
		uint8_t ctl;
		if (!cur_peek_u8(c, 1, &ctl))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		if (ctl != 0x03)
			return cap_dec_fail(st, CAP_AN_NON_IP);
		(void)cur_skip(c, 2);
	}
	if (!cur_u8(c, &b))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	if (b & 1u) {
		proto = b;
	} else {
		uint8_t lo;
		if (!cur_u8(c, &lo))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		proto = (uint16_t)(b << 8 | lo);
	}
	switch (proto) {
	case PPP_IP4:
		return cap_dec_ip4(st, c);
	case PPP_IP6:
		return cap_dec_ip6(st, c);
	default:
		return cap_dec_fail(st, CAP_AN_NON_IP);
	}
}

bool cap_dec_gre(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h, *opt = NULL;

	if (!cap_tun_take(st, c, 4, &h))
		return false;
	uint16_t flags = rd_be16(h), proto = rd_be16(h + 2);
	unsigned ver = flags & GRE_VER;
	if (ver > 1 || (flags & GRE_R))
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (ver == 1 && (!(flags & GRE_K) || (flags & GRE_C) ||
	                 proto != GRE_PPP))
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	size_t olen = ((flags & GRE_C) ? 4u : 0u) + ((flags & GRE_K) ? 4u : 0u) +
	              ((flags & GRE_S) ? 4u : 0u) +
	              ((ver == 1 && (flags & GRE_A)) ? 4u : 0u);
	if (olen && !cap_tun_take(st, c, olen, &opt))
		return false;
	if (cap_dec_wire_left(st, c) == 0)
		return false; /* nothing inside (a PPTP acknowledgement) */
	if (ver == 1) {
		if (!cap_tun_enter(st, c, CAP_TUN_GRE, false, 0))
			return false;
		return dec_ppp(st, c);
	}
	bool has_key = (flags & GRE_K) != 0;
	uint32_t key = has_key ? rd_be32(opt + ((flags & GRE_C) ? 4 : 0)) : 0;
	switch (proto) {
	case GRE_ERSPAN_I_II:
	case GRE_ERSPAN_III:
		return dec_erspan(st, c, proto, flags);
	case GRE_ETH:
		if (!cap_tun_enter(st, c, CAP_TUN_GRE, has_key, key))
			return false;
		return cap_dec_eth(st, c);
	case GRE_WCCP: {
		uint8_t first;
		if (!cur_peek_u8(c, 0, &first))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		if ((first >> 4) != 4 && !cap_tun_take(st, c, 4, &h))
			return false; /* the WCCP v2 redirect header */
		if (!cap_tun_enter(st, c, CAP_TUN_GRE, has_key, key))
			return false;
		return cap_dec_raw(st, c, 0);
	}
	default:
		if (!cap_tun_enter(st, c, CAP_TUN_GRE, has_key, key))
			return false;
		return cap_dec_ethertype(st, c, proto);
	}
}
