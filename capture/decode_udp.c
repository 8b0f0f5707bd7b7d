/*
 * decode_udp.c -- UDP header: ports and the length field checked three ways.
 *
 * Design. The segment must hold the 8-byte header, the UDP length must be
 * >= 8 and no longer than the IP payload (CAP_AN_BAD_UDP_LEN; a first
 * fragment holds only part of the datagram, so there it may be longer).
 * A UDP length shorter than the IP payload is a datagram followed by
 * bytes that are not its own: Linux delivers it trimmed to the UDP length
 * (udp_rcv's pskb_trim_rcsum), and tshark decodes it so; so does this
 * decoder, its payload narrowed to the UDP length (Suricata drops it).
 * A length of 0 is allowed for an IPv6 jumbogram (RFC 2675),
 * where the IP payload length stands in. A header cut by the caplen is
 * CAP_AN_TRUNC_UDP. The ports of a tunnel (VXLAN, Geneve, GTP-U, Teredo,
 * AYIYA: cap_tun_udp_kind) mark the payload for decode_tunnel.c.
 */
#include "capture/decode_int.h"

#define UDP_HDR_LEN 8

bool cap_dec_udp(struct cap_dstate *st, struct cap_cursor *c, uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	const uint8_t *h;
	uint32_t len;

	if (seg_len < UDP_HDR_LEN)
		return cap_dec_fail(st, CAP_AN_BAD_UDP_LEN);
	h = cur_take(c, UDP_HDR_LEN);
	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_UDP);
	/* ports 0-3, length 4-5, checksum 6-7 */
	uint16_t sport = rd_be16(h), dport = rd_be16(h + 2);
	len = rd_be16(h + 4);
	if (len == 0 && pkt->family == 6 && seg_len > 0xffffu)
		len = seg_len;
	if (len < UDP_HDR_LEN)
		return cap_dec_fail(st, CAP_AN_BAD_UDP_LEN);
	if (len > seg_len && st->frag != CAP_FRAG_FIRST)
		return cap_dec_fail(st, CAP_AN_BAD_UDP_LEN);
	if (len < seg_len) { /* bytes after the datagram: not its payload */
		seg_len = len;
		cur_narrow(c, len - UDP_HDR_LEN);
	}
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->payload = c->len ? c->p : NULL;
	pkt->payload_caplen = (uint32_t)c->len;
	pkt->payload_len = seg_len - UDP_HDR_LEN;
	if (st->d->tunnels) { /* decapsulating: is the payload a tunnel? */
		st->tun_kind = cap_tun_udp_kind(sport, dport);
		st->tun_sport_only = st->tun_kind && !cap_tun_udp_kind(0, dport);
	}
	return true;
}
