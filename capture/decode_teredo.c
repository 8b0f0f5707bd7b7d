/*
 * decode_teredo.c -- IPv6 over UDP over IPv4: Teredo (RFC 4380, UDP 3544)
 * and AYIYA ("anything in anything", UDP 5072, the SixXS tunnels).
 *
 * Design. Teredo: before the IPv6 packet there may be an authentication
 * indicator (00 01, client id and authentication value of the lengths it
 * states, an 8-byte nonce and a confirmation byte) and then an origin
 * indication (00 00, 8 bytes), each at most once and in that order, as
 * Zeek reads them; each must fit on the wire (else CAP_AN_BAD_TUNNEL) and
 * be captured (else CAP_AN_TRUNC_LINK). What follows must be an IPv6
 * packet (version 6, at least its 40-byte header on the wire): anything
 * else on port 3544 is CAP_AN_BAD_TUNNEL. A bubble (an IPv6 header with no
 * next header) is decoded like any IPv6 packet, and is "other_l4".
 *
 * AYIYA: 8 bytes (identity length as a power of two and its type,
 * signature length in 4-byte words and hash method, authentication method
 * and opcode, next header, epoch time), then the identity and the
 * signature, which must fit in the payload. Only opcode 1 (forward)
 * carries a packet; its next header says IPv4 (4) or IPv6 (41), any other
 * is "other_l4".
 */
#include "capture/decode_int.h"

#define TEREDO_AUTH_FIXED 4   /* indicator, client id length, auth length */
#define TEREDO_AUTH_TAIL 9    /* nonce, confirmation */
#define TEREDO_ORIGIN 8
#define IP6_HDR 40

#define AYIYA_HDR 8
#define AYIYA_FORWARD 1

bool cap_dec_teredo(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h;
	bool auth = false, origin = false;
	uint8_t b0, b1;

	for (;;) {
		if (cap_dec_wire_left(st, c) < 2)
			return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
		if (!cur_peek_u8(c, 0, &b0) || !cur_peek_u8(c, 1, &b1))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		if (b0 != 0 || b1 > 1)
			break;
		if (b1 == 1) { /* authentication: never twice, never after */
			if (auth || origin)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			auth = true;
			if (!cap_tun_take(st, c, TEREDO_AUTH_FIXED, &h))
				return false;
			size_t rest = (size_t)h[2] + h[3] + TEREDO_AUTH_TAIL;
			if (!cap_tun_take(st, c, rest, &h))
				return false;
		} else { /* origin indication */
			if (origin)
				return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
			origin = true;
			if (!cap_tun_take(st, c, TEREDO_ORIGIN, &h))
				return false;
		}
	}
	if ((b0 >> 4) != 6 || cap_dec_wire_left(st, c) < IP6_HDR)
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (!cap_tun_enter(st, c, CAP_TUN_TEREDO, false, 0))
		return false;
	return cap_dec_ip6(st, c);
}

bool cap_dec_ayiya(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h, *skip;

	if (!cap_tun_take(st, c, AYIYA_HDR, &h))
		return false;
	size_t idlen = (size_t)1 << (h[0] >> 4);
	size_t siglen = (size_t)(h[1] >> 4) * 4u;
	unsigned opcode = h[2] & 0x0fu;
	uint8_t nh = h[3];
	if (!cap_tun_take(st, c, idlen + siglen, &skip))
		return false;
	if (opcode != AYIYA_FORWARD)
		return false; /* a heartbeat, a query: no packet */
	if (nh != 4 && nh != 41)
		return cap_dec_fail(st, CAP_AN_OTHER_L4);
	if (cap_dec_wire_left(st, c) == 0)
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (!cap_tun_enter(st, c, CAP_TUN_AYIYA, false, 0))
		return false;
	return nh == 4 ? cap_dec_ip4(st, c) : cap_dec_ip6(st, c);
}
