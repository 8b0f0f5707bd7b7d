/*
 * decode_eth.c -- Ethernet II and IEEE 802.3 (LLC/SNAP) frames.
 *
 * Design. The 14-byte header is read through the cursor; an EtherType
 * (>= 0x0600) goes to cap_dec_ethertype(), the one switch every link layer
 * that carries an EtherType shares (Ethernet, SLL, SLL2, VLAN tags, SNAP,
 * MPLS pseudowires). An 802.3 length field (<= 1500) announces an LLC frame:
 * the window is narrowed to it, and only SNAP with OUI 00-00-00 carries an
 * EtherType on; everything else (STP, CDP, IPX...) is non-IP. The frame
 * check sequence, when a capture keeps it, is trailing padding for IP and
 * is dropped when the IP layer narrows the window to its total length.
 */
#include "capture/decode_int.h"

#define ETH_HDR_LEN 14
#define ETH_MAX_LEN 1500
#define ETH_MIN_TYPE 0x0600

static bool dec_llc(struct cap_dstate *st, struct cap_cursor *c, uint16_t len)
{
	uint8_t dsap, ssap, ctrl, oui[3];
	uint16_t type;

	cap_dec_narrow(st, c, len);
	if (!cur_u8(c, &dsap) || !cur_u8(c, &ssap) || !cur_u8(c, &ctrl))
		return cap_dec_fail(st, CAP_AN_NON_IP);
	if (dsap != 0xaa || ssap != 0xaa || ctrl != 0x03)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	if (!cur_bytes(c, oui, sizeof(oui)) || !cur_be16(c, &type))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	if (oui[0] || oui[1] || oui[2])
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_ethertype(st, c, type);
}

bool cap_dec_eth(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h = cur_take(c, ETH_HDR_LEN);

	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	uint16_t type = rd_be16(h + 12); /* after the two addresses */
	if (type <= ETH_MAX_LEN)
		return dec_llc(st, c, type);
	if (type < ETH_MIN_TYPE)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_ethertype(st, c, type);
}

bool cap_dec_ethertype(struct cap_dstate *st, struct cap_cursor *c,
                       uint16_t type)
{
	for (;;) {
		switch (type) {
		case CAP_ETH_IP4:
			return cap_dec_ip4(st, c);
		case CAP_ETH_IP6:
			return cap_dec_ip6(st, c);
		case CAP_ETH_VLAN:
		case CAP_ETH_QINQ:
		case CAP_ETH_QINQ_9100:
		case CAP_ETH_QINQ_9200:
			if (!cap_dec_vlan(st, c, &type))
				return false;
			continue;
		case CAP_ETH_MPLS:
		case CAP_ETH_MPLS_MC:
			return cap_dec_mpls(st, c);
		case CAP_ETH_PPPOE_SES:
			return cap_dec_pppoe(st, c);
		default:
			return cap_dec_fail(st, CAP_AN_NON_IP);
		}
	}
}
