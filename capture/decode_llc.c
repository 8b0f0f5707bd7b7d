/*
 * decode_llc.c -- IEEE 802.2 LLC and SNAP, on any link type; FDDI (DLT 10).
 *
 * Design. LLC is not a link layer of its own but the header that follows
 * one which has no EtherType: an 802.3 frame (Ethernet type/length field
 * <= 1500, decode_eth.c), FDDI, 802.11 data frames. cap_dec_llc() reads it
 * from the cursor, which the caller has narrowed to the LLC PDU when its
 * link header has a length field. Three cases carry IP, as in tcpdump's
 * llc_print() and Wireshark's packet-llc.c:
 *
 *   - SNAP (DSAP = SSAP = 0xAA, UI): an OUI and a 2-byte protocol id; with
 *     OUI 00-00-00 (RFC 1042) or 00-00-F8 (Cisco's 802.1H-style bridging)
 *     the protocol id is an EtherType, handed to cap_dec_ethertype();
 *   - DSAP = SSAP = 0x06 (the IP SAP, UI): IPv4 with no type field at all
 *     (RFC 948);
 *   - everything else (STP 0x42, NetBIOS 0xF0, IPX 0xE0, ISO CLNS 0xFE,
 *     Novell's raw 802.3 0xFF, SNAP of other OUIs: CDP, VTP, DTP...) is
 *     counted non_ip.
 *
 * The low bits of the SAPs are the individual/group and command/response
 * flags; they are masked before the comparison. A header the captured
 * bytes end in is trunc_link; one that the frame itself (or an outer
 * length field) ends in is bad_link_hlen (see cap_dec_link_short()).
 *
 * FDDI: frame control (1 byte), destination and source (6 each), then LLC
 * for asynchronous LLC frames (frame control 0x50-0x57, the priority in
 * the low bits: the only frames that carry user data, as tcpdump and
 * Wireshark read it); SMT, MAC and token frames are non_ip.
 */
#include "capture/decode_int.h"

#define LLC_HDR_LEN 3
#define SNAP_HDR_LEN 5      /* OUI (3) and protocol id (2) */
#define LLC_SAP_SNAP 0xaa
#define LLC_SAP_IP 0x06
#define LLC_SAP_MASK 0xfe   /* I/G (DSAP) or C/R (SSAP) bit off */
#define LLC_UI 0x03         /* unnumbered information */
#define OUI_ENCAP_ETHER 0x000000u
#define OUI_CISCO_90 0x0000f8u

#define FDDI_HDR_LEN 13
#define FDDI_FC_LLC_MASK 0xf8
#define FDDI_FC_LLC_ASYNC 0x50

bool cap_dec_llc(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h = cur_take(c, LLC_HDR_LEN);

	if (!h)
		return cap_dec_link_short(st, c, LLC_HDR_LEN);
	unsigned dsap = h[0] & LLC_SAP_MASK, ssap = h[1] & LLC_SAP_MASK;
	if (h[2] != LLC_UI)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	if (dsap == LLC_SAP_IP && ssap == LLC_SAP_IP)
		return cap_dec_ip4(st, c);
	if (dsap != LLC_SAP_SNAP || ssap != LLC_SAP_SNAP)
		return cap_dec_fail(st, CAP_AN_NON_IP);

	const uint8_t *s = cur_take(c, SNAP_HDR_LEN);
	if (!s)
		return cap_dec_link_short(st, c, SNAP_HDR_LEN);
	uint32_t oui = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
	if (oui != OUI_ENCAP_ETHER && oui != OUI_CISCO_90)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_ethertype(st, c, rd_be16(s + 3));
}

bool cap_dec_fddi(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h = cur_take(c, FDDI_HDR_LEN);

	if (!h)
		return cap_dec_link_short(st, c, FDDI_HDR_LEN);
	if ((h[0] & FDDI_FC_LLC_MASK) != FDDI_FC_LLC_ASYNC)
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_llc(st, c);
}
