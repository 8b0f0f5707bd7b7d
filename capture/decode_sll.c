/*
 * decode_sll.c -- Linux "cooked" captures: SLL (DLT 113) and SLL2 (DLT 276).
 *
 * Design. `tcpdump -i any` writes one of these pseudo-headers instead of the
 * link header. SLL is 16 bytes (packet type, ARPHRD type, address length,
 * 8 address bytes, protocol); SLL2 is 20 bytes with the protocol first and
 * the interface index added. The protocol field is an EtherType for every
 * ARPHRD type that carries IP, so both hand on to cap_dec_ethertype().
 * Values below 0x0600 are Linux's pseudo-protocols: 802.2 LLC (0x0004) is
 * handed to cap_dec_llc() (SNAP may carry IP); the others (802.3, CAN,
 * ...) and netlink captures (ARPHRD_NETLINK, a netlink family in that
 * field) are non-IP.
 */
#include "capture/decode_int.h"

#define ARPHRD_NETLINK 824
#define SLL_MIN_TYPE 0x0600
#define SLL_P_802_2 0x0004 /* Linux ETH_P_802_2: an 802.2 LLC frame */

static bool dec_proto(struct cap_dstate *st, struct cap_cursor *c,
                      uint16_t hatype, uint16_t proto)
{
	if (hatype == ARPHRD_NETLINK)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	if (proto == SLL_P_802_2)
		return cap_dec_llc(st, c);
	if (proto < SLL_MIN_TYPE)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_ethertype(st, c, proto);
}

bool cap_dec_sll(struct cap_dstate *st, struct cap_cursor *c)
{
	uint16_t pkttype, hatype, halen, proto;

	if (!cur_be16(c, &pkttype) || !cur_be16(c, &hatype) ||
	    !cur_be16(c, &halen) || !cur_skip(c, 8) || !cur_be16(c, &proto))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	(void)pkttype;
	(void)halen;
	return dec_proto(st, c, hatype, proto);
}

bool cap_dec_sll2(struct cap_dstate *st, struct cap_cursor *c)
{
	uint16_t proto, reserved, hatype;
	uint32_t ifindex;
	uint8_t pkttype, halen;

	if (!cur_be16(c, &proto) || !cur_be16(c, &reserved) ||
	    !cur_be32(c, &ifindex) || !cur_be16(c, &hatype) ||
	    !cur_u8(c, &pkttype) || !cur_u8(c, &halen) || !cur_skip(c, 8))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	(void)reserved;
	(void)ifindex;
	(void)pkttype;
	(void)halen;
	return dec_proto(st, c, hatype, proto);
}
