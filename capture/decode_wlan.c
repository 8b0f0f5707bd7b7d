/*
 * decode_wlan.c -- IEEE 802.11 MAC frames (DLT_IEEE802_11, and behind
 * radiotap and PPI).
 *
 * Design. The frame control field (2 bytes, the first one holding protocol
 * version, type and subtype, the second the flags) decides everything
 * before any other byte is read, so a frame is classified even when the
 * snaplen cut its header:
 *
 * - management (type 0), control (1) and extension (3) frames, and frames
 *   of another protocol version than 0, carry no IP: CAP_AN_WLAN_NON_DATA;
 * - data subtypes with bit 2 set (null function, CF-Ack/CF-Poll without
 *   data, QoS null, QoS CF-Poll) carry no payload: CAP_AN_WLAN_NON_DATA;
 * - a data frame with the Protected flag is encrypted (WEP, TKIP, CCMP,
 *   GCMP): CAP_AN_WLAN_PROTECTED, nothing more can be read.
 *
 * The MAC header of a data frame is 24 bytes, 30 with the fourth address
 * (To DS and From DS both set: WDS, mesh), plus 2 for QoS control in the
 * QoS subtypes (bit 3), plus 4 for HT control when a QoS data frame has
 * the Order flag (+HTC), as Wireshark reads it; a radiotap "data pad" flag
 * rounds it up to 4 bytes. An A-MSDU (QoS control bit 7) holds several
 * subframes, each with its own addresses and length: not decoded, non_ip.
 * The payload is LLC/SNAP (RFC 1042, or 802.1H bridge tunnel) carrying an
 * EtherType. When the capture keeps the frame check sequence (radiotap
 * flag, PPI 802.11-Common flag), the window is narrowed to end before it,
 * on the wire as in the captured bytes.
 */
#include "capture/decode_int.h"

#define WLAN_FCS_LEN 4u
#define WLAN_HDR_LEN 24u
#define WLAN_ADDR4_LEN 6u
#define WLAN_QOS_LEN 2u
#define WLAN_HTC_LEN 4u

#define WLAN_TYPE_DATA 2u
#define WLAN_SUBTYPE_NODATA 0x4u /* null, CF-Ack/Poll only, QoS null... */
#define WLAN_SUBTYPE_QOS 0x8u

#define WLAN_FL_TODS 0x01u
#define WLAN_FL_FROMDS 0x02u
#define WLAN_FL_PROTECTED 0x40u
#define WLAN_FL_ORDER 0x80u

#define WLAN_QOS_AMSDU 0x80u /* first byte of QoS control */

bool cap_dec_wlan(struct cap_dstate *st, struct cap_cursor *c, unsigned flags)
{
	uint8_t fc0, fc1;

	if (flags & CAP_WLAN_FCS) {
		uint32_t wire = cap_dec_wire_left(st, c);
		if (wire < WLAN_FCS_LEN)
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
		cap_dec_narrow(st, c, wire - WLAN_FCS_LEN);
	}
	if (!cur_peek_u8(c, 0, &fc0) || !cur_peek_u8(c, 1, &fc1))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);

	unsigned version = fc0 & 0x3u;
	unsigned type = (fc0 >> 2) & 0x3u;
	unsigned subtype = (unsigned)fc0 >> 4;
	if (version != 0 || type != WLAN_TYPE_DATA ||
	    (subtype & WLAN_SUBTYPE_NODATA))
		return cap_dec_fail(st, CAP_AN_WLAN_NON_DATA);
	if (fc1 & WLAN_FL_PROTECTED)
		return cap_dec_fail(st, CAP_AN_WLAN_PROTECTED);

	size_t hlen = WLAN_HDR_LEN;
	size_t qos_off = 0;
	if ((fc1 & (WLAN_FL_TODS | WLAN_FL_FROMDS)) ==
	    (WLAN_FL_TODS | WLAN_FL_FROMDS))
		hlen += WLAN_ADDR4_LEN;
	if (subtype & WLAN_SUBTYPE_QOS) {
		qos_off = hlen;
		hlen += WLAN_QOS_LEN;
		if (fc1 & WLAN_FL_ORDER)
			hlen += WLAN_HTC_LEN;
	}
	if (flags & CAP_WLAN_DATAPAD)
		hlen = (hlen + 3u) & ~(size_t)3u;

	const uint8_t *h = cur_take(c, hlen);
	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	if (qos_off && (h[qos_off] & WLAN_QOS_AMSDU))
		return cap_dec_fail(st, CAP_AN_NON_IP);
	return cap_dec_llc(st, c);
}
