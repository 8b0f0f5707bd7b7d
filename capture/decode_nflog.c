/*
 * decode_nflog.c -- Linux NFLOG captures (DLT_NFLOG 239, `tcpdump -i
 * nflog:N`): the packets a firewall rule logged.
 *
 * Design. As libpcap's pcap/nflog.h describes it: a 4-byte header (address
 * family, version 0, resource id big-endian), then netlink attributes
 * (TLVs) to the end of the frame: a 16-bit length that includes the 4-byte
 * TLV header, a 16-bit type, the value, padded to a multiple of 4. The TLV
 * length and type are in the byte order of the host that captured; libpcap
 * turns them into the reading host's order when it reads a file written on
 * another (swap_nflog_header), so they are read here in host order. The
 * type's top two bits are netlink flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER)
 * and are masked off.
 *
 * The payload TLV (type 9, NFULA_PAYLOAD) holds the packet from its network
 * header on: the family decides (AF_INET 2: IPv4, AF_INET6 10: IPv6;
 * others, such as the bridge family, are non_ip), and the window is
 * narrowed to the TLV's length. A TLV length under 4 or past the frame on
 * the wire is CAP_AN_BAD_LINK_HLEN; a TLV before the payload cut by the
 * snaplen is CAP_AN_TRUNC_LINK (a payload cut by it is the IP layer's
 * business); a frame without a payload TLV is non_ip. Every TLV consumes at
 * least 4 bytes, so the walk is bounded by the frame's length.
 */
#include "capture/decode_int.h"

#define NFLOG_HDR_LEN 4u
#define NFLOG_TLV_HDR 4u
#define NFLOG_TYPE_MASK 0x3fffu
#define NFULA_PAYLOAD 9u
#define NFLOG_AF_INET 2u
#define NFLOG_AF_INET6 10u

bool cap_dec_nflog(struct cap_dstate *st, struct cap_cursor *c)
{
	const uint8_t *h = cur_take(c, NFLOG_HDR_LEN);

	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	uint8_t family = h[0];
	if (h[1] != 0) /* an NFLOG version this reader does not know */
		return cap_dec_fail(st, CAP_AN_NON_IP);
	for (;;) {
		uint32_t wire = cap_dec_wire_left(st, c);
		uint16_t tl[2]; /* length, type: host order */

		if (wire == 0)
			return cap_dec_fail(st, CAP_AN_NON_IP); /* no payload */
		if (wire < NFLOG_TLV_HDR)
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
		if (!cur_bytes(c, tl, sizeof(tl)))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		uint16_t len = tl[0];
		unsigned type = tl[1] & NFLOG_TYPE_MASK;
		if (len < NFLOG_TLV_HDR || len > wire)
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
		if (type == NFULA_PAYLOAD) {
			cap_dec_narrow(st, c, (uint32_t)len - NFLOG_TLV_HDR);
			if (family == NFLOG_AF_INET)
				return cap_dec_ip4(st, c);
			if (family == NFLOG_AF_INET6)
				return cap_dec_ip6(st, c);
			return cap_dec_fail(st, CAP_AN_NON_IP);
		}
		if (!cur_skip(c, len - NFLOG_TLV_HDR))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
		/* the padding; the last TLV's may be missing at the frame's end */
		size_t pad = (4u - len % 4u) % 4u;
		if (pad > cap_dec_wire_left(st, c))
			pad = cap_dec_wire_left(st, c);
		if (!cur_skip(c, pad))
			return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	}
}
