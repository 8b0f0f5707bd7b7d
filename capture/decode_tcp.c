/*
 * decode_tcp.c -- TCP header: ports, flags, data offset both ways.
 *
 * Design. seg_len is the segment's length on the wire (from the IP
 * header), the cursor holds its captured part. A segment shorter than 20
 * bytes, a data offset < 5 or a header longer than the segment is
 * CAP_AN_BAD_TCP_HLEN (masscan forgets the first check); a fixed header
 * (20 bytes) that the caplen cuts is CAP_AN_TRUNC_TCP. Options are
 * skipped, not read: an auditor needs ports and flags, so a segment whose
 * options the caplen cuts (a SYN of 74 bytes captured with tcpdump's old
 * -s 68) is kept, truncated (CAP_AN_SNAPLEN_CUT, as a cut payload), with
 * no payload captured. Segments from port 135 carrying data are
 * offered to the DCE/RPC endpoint mapper decoder (decode_dcerpc.c).
 *
 * A first fragment with less than the 20 bytes of the fixed header (a
 * "tiny fragment", RFC 1858: 8 bytes of TCP, the flags in the next
 * fragment, a way past filters that look at the first fragment alone) is
 * CAP_AN_FRAG_TINY, not malformed: with the ports (4 bytes) it is kept,
 * so that its flow exists and the fragment table gives its later
 * fragments their ports; its flags when they are in it (14 bytes), else
 * none (they are not taken from the later fragment). Fewer than 4 bytes:
 * no ports, the packet is not kept.
 */
#include "capture/decode_int.h"

#define TCP_HDR_MIN 20
#define TCP_EPM_PORT 135
#define TCP_PORTS 4
#define TCP_FLAGS_END 14  /* through the flags byte */

/* A first fragment of seg_len < 20 bytes of TCP (RFC 1858). */
static bool dec_tiny_first(struct cap_dstate *st, struct cap_cursor *c,
                           uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	const uint8_t *h;

	st->d->anomalies[CAP_AN_FRAG_TINY]++;
	if (seg_len < TCP_PORTS)
		return false; /* no ports: nothing to key it by */
	h = cur_take(c, seg_len >= TCP_FLAGS_END ? TCP_FLAGS_END : TCP_PORTS);
	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_TCP);
	pkt->sport = rd_be16(h);
	pkt->dport = rd_be16(h + 2);
	pkt->tcp_flags = seg_len >= TCP_FLAGS_END ? h[13] : 0;
	pkt->payload = NULL;
	pkt->payload_caplen = 0;
	pkt->payload_len = 0; /* all of it is header */
	return true;
}

bool cap_dec_tcp(struct cap_dstate *st, struct cap_cursor *c, uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	const uint8_t *h;
	uint32_t hlen;

	if (seg_len < TCP_HDR_MIN && st->frag == CAP_FRAG_FIRST)
		return dec_tiny_first(st, c, seg_len);
	if (seg_len < TCP_HDR_MIN)
		return cap_dec_fail(st, CAP_AN_BAD_TCP_HLEN);
	h = cur_take(c, TCP_HDR_MIN);
	if (!h)
		return cap_dec_fail(st, CAP_AN_TRUNC_TCP);
	/* ports 0-3, seq 4-7, ack 8-11, offset 12, flags 13, window,
	 * checksum, urgent pointer */
	uint16_t sport = rd_be16(h), dport = rd_be16(h + 2);
	uint8_t off = h[12], flags = h[13];
	hlen = (uint32_t)(off >> 4) * 4u;
	if (hlen < TCP_HDR_MIN || hlen > seg_len)
		return cap_dec_fail(st, CAP_AN_BAD_TCP_HLEN);
	pkt->sport = sport;
	pkt->dport = dport;
	pkt->tcp_flags = flags;
	if (!cur_skip(c, hlen - TCP_HDR_MIN)) {
		pkt->payload = NULL;
		pkt->payload_caplen = 0;
		pkt->payload_len = seg_len - hlen;
		pkt->truncated = true; /* counted by cap_decode_frame */
		return true;
	}
	pkt->payload = c->len ? c->p : NULL;
	pkt->payload_caplen = (uint32_t)c->len;
	pkt->payload_len = seg_len - hlen;
	if (sport == TCP_EPM_PORT && c->len)
		pkt->epm_port = cap_dec_dcerpc_epm(c->p, c->len);
	return true;
}
