/*
 * decode_gtp.c -- GTPv1-U (3GPP TS 29.281, UDP 2152): the user plane of a
 * mobile core, IP packets of the subscribers between eNodeB/gNB and the
 * gateways.
 *
 * Design. The 8-byte mandatory header must be on the wire (else
 * CAP_AN_BAD_TUNNEL) and captured (else CAP_AN_TRUNC_LINK), with version 1
 * and protocol type 1 (GTP' is not a tunnel); its length field counts the
 * bytes after those 8 and must fit in the UDP payload (the window is then
 * narrowed to it, so trailing bytes are never read as the inner packet).
 * When any of the E, S, PN flags is set, 4 more bytes follow (sequence,
 * N-PDU number, next extension type), then the extension headers, each
 * a multiple of 4 bytes given by its first byte and ending with the next
 * type (0: none), at most CAP_MAX_LAYERS of them; a zero or overlong
 * extension is CAP_AN_BAD_TUNNEL. Only a G-PDU (message type 255) carries
 * a packet: echo, error indication and end marker messages are the outer
 * flow's alone. The payload is IPv4 or IPv6 by its version nibble.
 *
 * The tunnel's id is not the TEID: the two directions of a bearer use two
 * different TEIDs, so keying inner flows by it would split each one in
 * two (Zeek keys GTP-U tunnels by the outer connection too).
 */
#include "capture/decode_int.h"

#define GTP_HDR 8
#define GTP_OPT 4
#define GTP_GPDU 0xffu
#define GTP_E 0x04u
#define GTP_S 0x02u
#define GTP_PN 0x01u

bool cap_dec_gtpu(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h, *o;

	/* flags 0 (version 3 bits, PT, reserved, E, S, PN), message type 1,
	 * length 2-3, TEID 4-7 */
	if (!cap_tun_take(st, c, GTP_HDR, &h))
		return false;
	uint8_t flags = h[0], type = h[1];
	uint16_t len = rd_be16(h + 2);
	if ((flags >> 5) != 1 || !(flags & 0x10u))
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (len > cap_dec_wire_left(st, c))
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	cap_dec_narrow(st, c, len);
	if (type != GTP_GPDU)
		return false; /* signalling on the user plane: no packet */
	if (flags & (GTP_E | GTP_S | GTP_PN)) {
		if (!cap_tun_take(st, c, GTP_OPT, &o))
			return false;
		uint8_t next = (flags & GTP_E) ? o[3] : 0;
		for (unsigned n = 0; next != 0; n++) {
			uint8_t words;
			if (n >= CAP_MAX_LAYERS)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			if (cap_dec_wire_left(st, c) < 1)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			if (!cur_peek_u8(c, 0, &words))
				return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
			if (words == 0)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			if (!cap_tun_take(st, c, (size_t)words * 4u, &o))
				return false;
			next = o[(size_t)words * 4u - 1];
		}
	}
	if (cap_dec_wire_left(st, c) == 0)
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (!cap_tun_enter(st, c, CAP_TUN_GTPU, false, 0))
		return false;
	return cap_dec_raw(st, c, 0);
}
