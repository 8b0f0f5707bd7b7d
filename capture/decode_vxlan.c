/*
 * decode_vxlan.c -- VXLAN (RFC 7348, UDP 4789) and Geneve (RFC 8926, UDP
 * 6081): a VNI and the tenant's Ethernet frame (or, for Geneve, any
 * EtherType).
 *
 * Design. VXLAN's 8-byte header must be on the wire (else
 * CAP_AN_BAD_TUNNEL) and captured (else CAP_AN_TRUNC_LINK), with its I
 * flag set (the VNI is valid); other flags (VXLAN-GBP's G, ...) are
 * ignored. The VNI is the tunnel's id: two tenants reusing one address
 * plan make different flows. Geneve's 8-byte header must carry version 0;
 * its options (the option length, in 4-byte words) are walked one by one,
 * each option's own length bounded by what is left of them, so that a
 * header whose options do not add up is CAP_AN_BAD_TUNNEL (at most 63
 * options: the option length is 6 bits). Its protocol type is 0x6558 for
 * an Ethernet frame, else an EtherType (IPv4, IPv6...).
 */
#include "capture/decode_int.h"

#define VXLAN_HDR 8
#define VXLAN_I 0x08u
#define GENEVE_HDR 8
#define GENEVE_ETH 0x6558u

bool cap_dec_vxlan(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h;

	/* flags 0, reserved 1-3, VNI 4-6, reserved 7 */
	if (!cap_tun_take(st, c, VXLAN_HDR, &h))
		return false;
	if (!(h[0] & VXLAN_I))
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (!cap_tun_enter(st, c, CAP_TUN_VXLAN, true, rd_be32(h + 4) >> 8))
		return false;
	return cap_dec_eth(st, c);
}

bool cap_dec_geneve(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h, *opt;

	/* version (2 bits) and option length (6) 0, flags 1, protocol 2-3,
	 * VNI 4-6, reserved 7, then the options */
	if (!cap_tun_take(st, c, GENEVE_HDR, &h))
		return false;
	if ((h[0] >> 6) != 0)
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	size_t olen = (size_t)(h[0] & 0x3fu) * 4u;
	uint16_t proto = rd_be16(h + 2);
	uint32_t vni = rd_be32(h + 4) >> 8;
	if (olen) {
		if (!cap_tun_take(st, c, olen, &opt))
			return false;
		/* each option: class 0-1, type 2, reserved and length (5
		 * bits, 4-byte words) 3, then its data */
		for (size_t off = 0; off < olen;) {
			if (olen - off < 4)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			size_t len = 4u + (size_t)(opt[off + 3] & 0x1fu) * 4u;
			if (len > olen - off)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			off += len;
		}
	}
	if (!cap_tun_enter(st, c, CAP_TUN_GENEVE, true, vni))
		return false;
	if (proto == GENEVE_ETH)
		return cap_dec_eth(st, c);
	return cap_dec_ethertype(st, c, proto);
}
