/*
 * decode_ppp.c -- PPP (DLT 9), PPP in HDLC-like framing (DLT 50) and
 * Cisco HDLC (DLT 104): the framings of serial router uplinks.
 *
 * Design. A PPP frame (RFC 1661) is a protocol field and its payload; on
 * a serial line it is framed as in RFC 1662, with the address 0xFF and
 * the control 0x03 in front, unless Address-and-Control-Field-Compression
 * was negotiated. libpcap's DLT_PPP and DLT_PPP_SERIAL hold either form
 * (RFC 1662 or bare), and DLT_PPP_SERIAL also holds Cisco HDLC frames
 * (RFC 1547 4.3.1): cap_dec_ppp() tells the three apart by the first byte,
 * as tcpdump's ppp_hdlc_if_print() and Wireshark's dissect_ppp_hdlc() do:
 *
 *   0xFF        address, then control 0x03 (any other control: not a frame
 *               we can read, counted non_ip, as RFC 1662 says to discard);
 *   0x0F, 0x8F  Cisco HDLC unicast / broadcast address: cap_dec_chdlc();
 *   else        a bare protocol field.
 *
 * The protocol field is 2 bytes, or 1 with Protocol-Field-Compression: a
 * PPP protocol number has an even first byte and an odd last byte, so an
 * odd first byte is a compressed (1-byte) field. cap_dec_ppp_proto() reads
 * it and dispatches, for these link types and for PPPoE (decode_vlan.c):
 * IPv4 0x0021, IPv6 0x0057, MPLS 0x0281/0x0283 (unicast/multicast, the
 * label stack of decode_vlan.c); LCP, IPCP, PAP, CHAP, CCP, multilink
 * fragments, VJ-compressed TCP and the rest are counted non_ip.
 *
 * Cisco HDLC (DLT_C_HDLC): address 0x0F or 0x8F, control (0, not checked,
 * as neither tcpdump nor Wireshark does), then an EtherType: IPv4, IPv6 and
 * whatever cap_dec_ethertype() knows go on; SLARP, CDP, ISO CLNS (0xFEFE)
 * are non_ip. A frame with another address is not Cisco HDLC: non_ip.
 * No header here has a length field; a header cut by the caplen is
 * trunc_link, one the frame itself ends in is bad_link_hlen.
 */
#include "capture/decode_int.h"

#define PPP_ADDRESS 0xff
#define PPP_CONTROL 0x03
#define PPP_MPLS_UC 0x0281
#define PPP_MPLS_MC 0x0283
#define CHDLC_UNICAST 0x0f
#define CHDLC_BCAST 0x8f
#define CHDLC_HDR_LEN 4

bool cap_dec_ppp_proto(struct cap_dstate *st, struct cap_cursor *c)
{
	uint8_t first;
	uint16_t proto;

	if (!cur_peek_u8(c, 0, &first))
		return cap_dec_link_short(st, c, 1);
	if (first & 1) {
		proto = first; /* compressed: 0x21 is IPv4, 0x57 IPv6 */
		(void)cur_skip(c, 1);
	} else if (!cur_be16(c, &proto)) {
		return cap_dec_link_short(st, c, 2);
	}
	switch (proto) {
	case CAP_PPP_IP4:
		return cap_dec_ip4(st, c);
	case CAP_PPP_IP6:
		return cap_dec_ip6(st, c);
	case PPP_MPLS_UC:
	case PPP_MPLS_MC:
		return cap_dec_mpls(st, c);
	default:
		return cap_dec_fail(st, CAP_AN_NON_IP);
	}
}

bool cap_dec_chdlc(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h = cur_take(c, CHDLC_HDR_LEN);

	if (!h)
		return cap_dec_link_short(st, c, CHDLC_HDR_LEN);
	if (h[0] != CHDLC_UNICAST && h[0] != CHDLC_BCAST)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_ethertype(st, c, rd_be16(h + 2));
}

bool cap_dec_ppp(struct cap_dstate *st, struct cap_cursor *c)
{
	uint8_t first, control;

	if (!cur_peek_u8(c, 0, &first))
		return cap_dec_link_short(st, c, 1);
	switch (first) {
	case CHDLC_UNICAST:
	case CHDLC_BCAST:
		return cap_dec_chdlc(st, c);
	case PPP_ADDRESS:
		if (!cur_peek_u8(c, 1, &control))
			return cap_dec_link_short(st, c, 2);
		if (control != PPP_CONTROL)
			return cap_dec_fail(st, CAP_AN_NON_IP);
		(void)cur_skip(c, 2);
		return cap_dec_ppp_proto(st, c);
	default:
		return cap_dec_ppp_proto(st, c);
	}
}
