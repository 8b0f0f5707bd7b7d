/*
 * decode_eth.c -- Ethernet II and IEEE 802.3 (LLC/SNAP) frames.
 *
 * Design. The 14-byte header is read through the cursor; an EtherType
 * (>= 0x0600) goes to cap_dec_ethertype(), the one switch every link layer
 * that carries an EtherType shares (Ethernet, SLL, SLL2, VLAN tags, SNAP,
 * MPLS pseudowires, Cisco HDLC). An 802.3 length field (<= 1500) announces
 * an LLC frame: a length shorter than the LLC header or longer than the
 * rest of the frame is bad_link_hlen; else the window is narrowed to it and
 * cap_dec_llc() (decode_llc.c) reads LLC/SNAP. The frame check sequence,
 * when a capture keeps it, is trailing padding for IP and is dropped when
 * the IP layer narrows the window to its total length.
 */
#include "capture/decode_int.h"

#define ETH_HDR_LEN 14
#define ETH_MAX_LEN 1500
#define ETH_MIN_TYPE 0x0600

#define LLC_MIN_LEN 3      /* DSAP, SSAP, control */

/* An 802.3 frame: `len` bytes of LLC PDU follow the header. */
static bool dec_8023(struct cap_dstate *st, struct cap_cursor *c, uint16_t len)
{
	if (len < LLC_MIN_LEN || len > cap_dec_wire_left(st, c))
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	cap_dec_narrow(st, c, len);
	return cap_dec_llc(st, c);
}

bool cap_dec_eth(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h = cur_take(c, ETH_HDR_LEN);

	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	uint16_t type = rd_be16(h + 12); /* after the two addresses */
	if (type <= ETH_MAX_LEN)
		return dec_8023(st, c, type);
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
		case CAP_ETH_VNTAG:
			if (!cap_dec_vntag(st, c, &type))
				return false;
			continue;
		case CAP_ETH_PBB:
			return cap_dec_pbb(st, c);
		case CAP_ETH_FABRICPATH:
			return cap_dec_fabricpath(st, c);
		default:
			return cap_dec_fail(st, CAP_AN_NON_IP);
		}
	}
}
