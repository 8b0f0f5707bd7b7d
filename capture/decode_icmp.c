/*
 * decode_icmp.c -- ICMP and ICMPv6: echo identifiers and quoted error headers.
 *
 * Design. The 8-byte header must be on the wire and captured (else
 * CAP_AN_TRUNC_ICMP). Echo request and reply put their identifier in both
 * sport and dport, so that the two directions meet in one flow. An error
 * that says a flow failed -- destination unreachable (every code, among
 * them the administratively-prohibited ones that mean a firewall: 9, 10,
 * 13 for ICMP, 1 for ICMPv6), time exceeded, and ICMPv6 packet too big --
 * quotes the offending packet's IP header and at least 8 bytes of its
 * transport header (RFC 792, RFC 4443). That quote is parsed into
 * pkt->quoted with its own bounded cursor: the quoted IP header (IPv4
 * options or the IPv6 extension chain skipped; a routing header's final
 * destination is the quoted destination) and the ports of TCP/UDP
 * or the identifier of a quoted echo. A quote that is cut (by the router or
 * by the caplen) or malformed is CAP_AN_ICMP_QUOTE_TRUNC; the packet is
 * still handed on, as a plain ICMP packet with icmp_error false. The
 * quote's lengths are those of the original packet, so they are not
 * checked against the quote.
 */
#include <string.h>

#include "capture/decode_int.h"

#define ICMP_HDR_LEN 8

#define ICMP4_ECHOREPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_ECHO 8
#define ICMP4_TIMXCEED 11

#define ICMP6_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIMXCEED 3
#define ICMP6_ECHO 128
#define ICMP6_ECHOREPLY 129

/* Ports of the quoted transport header, read from q. */
static bool quote_ports(struct cap_cursor *q, uint8_t proto, uint16_t *sport,
                        uint16_t *dport)
{
	uint8_t type, code;
	uint16_t sum, id;

	switch (proto) {
	case 6:
	case 17:
		return cur_be16(q, sport) && cur_be16(q, dport);
	case 1:
	case 58:
		if (!cur_u8(q, &type) || !cur_u8(q, &code) ||
		    !cur_be16(q, &sum) || !cur_be16(q, &id))
			return false;
		if (proto == 1 ? (type == ICMP4_ECHO || type == ICMP4_ECHOREPLY)
		               : (type == ICMP6_ECHO || type == ICMP6_ECHOREPLY))
			*sport = *dport = id;
		return true;
	default:
		return true; /* no ports */
	}
}

static bool quote4(struct cap_cursor *q, struct cap_packet *pkt)
{
	uint8_t vhl, proto;
	uint16_t frag;
	uint32_t hlen;

	if (!cur_u8(q, &vhl) || (vhl >> 4) != 4)
		return false;
	hlen = (uint32_t)(vhl & 0x0fu) * 4u;
	if (hlen < 20 || !cur_skip(q, 5) || !cur_be16(q, &frag) ||
	    !cur_skip(q, 1) || !cur_u8(q, &proto) || !cur_skip(q, 2) ||
	    !cur_bytes(q, pkt->quoted.src, 4) ||
	    !cur_bytes(q, pkt->quoted.dst, 4) || !cur_skip(q, hlen - 20))
		return false;
	pkt->quoted.family = 4;
	pkt->quoted.proto = proto;
	if (frag & 0x1fffu)
		return true; /* a later fragment: no transport header */
	return quote_ports(q, proto, &pkt->quoted.sport, &pkt->quoted.dport);
}

static bool quote6(struct cap_cursor *q, struct cap_packet *pkt)
{
	struct cap_ip6_frag fr = {0};
	uint32_t vtcfl, left;
	uint16_t plen;
	uint8_t nh, hlim;

	if (!cur_be32(q, &vtcfl) || (vtcfl >> 28) != 6 || !cur_be16(q, &plen) ||
	    !cur_u8(q, &nh) || !cur_u8(q, &hlim) ||
	    !cur_bytes(q, pkt->quoted.src, 16) ||
	    !cur_bytes(q, pkt->quoted.dst, 16))
		return false;
	(void)hlim;
	left = plen ? plen : (uint32_t)q->len;
	if (cap_ip6_ext_walk(q, &nh, &left, &fr, pkt->quoted.dst) != CAP_EXT_OK)
		return false;
	pkt->quoted.family = 6;
	pkt->quoted.proto = nh;
	if (fr.present && fr.offset)
		return true;
	return quote_ports(q, nh, &pkt->quoted.sport, &pkt->quoted.dport);
}

static void dec_quote(struct cap_dstate *st, struct cap_cursor q, bool v6)
{
	struct cap_packet *pkt = st->pkt;

	if (v6 ? quote6(&q, pkt) : quote4(&q, pkt)) {
		pkt->icmp_error = true;
		return;
	}
	memset(&pkt->quoted, 0, sizeof(pkt->quoted));
	cap_dec_fail(st, CAP_AN_ICMP_QUOTE_TRUNC);
}

/* The common 8-byte header; fills type, code and the payload. */
static bool dec_header(struct cap_dstate *st, struct cap_cursor *c,
                       uint32_t seg_len, uint16_t *id)
{
	struct cap_packet *pkt = st->pkt;
	uint16_t sum, seq;

	if (seg_len < ICMP_HDR_LEN)
		return cap_dec_fail(st, CAP_AN_TRUNC_ICMP);
	if (!cur_u8(c, &pkt->icmp_type) || !cur_u8(c, &pkt->icmp_code) ||
	    !cur_be16(c, &sum) || !cur_be16(c, id) || !cur_be16(c, &seq))
		return cap_dec_fail(st, CAP_AN_TRUNC_ICMP);
	(void)sum;
	(void)seq;
	pkt->payload = c->len ? c->p : NULL;
	pkt->payload_caplen = (uint32_t)c->len;
	pkt->payload_len = seg_len - ICMP_HDR_LEN;
	return true;
}

bool cap_dec_icmp(struct cap_dstate *st, struct cap_cursor *c, uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	uint16_t id;

	if (!dec_header(st, c, seg_len, &id))
		return false;
	switch (pkt->icmp_type) {
	case ICMP4_ECHO:
	case ICMP4_ECHOREPLY:
		pkt->sport = pkt->dport = id;
		break;
	case ICMP4_UNREACH:
	case ICMP4_TIMXCEED:
		dec_quote(st, *c, false);
		break;
	default:
		break;
	}
	return true;
}

bool cap_dec_icmp6(struct cap_dstate *st, struct cap_cursor *c,
                   uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	uint16_t id;

	if (!dec_header(st, c, seg_len, &id))
		return false;
	switch (pkt->icmp_type) {
	case ICMP6_ECHO:
	case ICMP6_ECHOREPLY:
		pkt->sport = pkt->dport = id;
		break;
	case ICMP6_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIMXCEED:
		dec_quote(st, *c, true);
		break;
	default:
		break;
	}
	return true;
}
