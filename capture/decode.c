/*
 * decode.c -- cap_decode(): one frame to one struct cap_packet.
 *
 * Design. The link type is switched on once per frame; the link decoder
 * then calls the next layer down to the transport (decode_int.h). Before
 * the chain runs only struct cap_packet itself is cleared (about 100
 * bytes); nothing is allocated per packet: the fragment table (frag.c) is
 * allocated once in cap_decoder_init. The transport step (cap_dec_l4) lives
 * here because it is shared by IPv4 and IPv6: it routes later fragments to
 * the fragment table, remembers first fragments, and counts a payload cut
 * by the snaplen once (CAP_AN_SNAPLEN_CUT) while keeping the packet.
 *
 * A frame can give several packets (cap_decode_frame): cap_dec_l4
 * completes each one and, when its transport said the payload is a tunnel
 * (st->tun_kind: a UDP port of decode_udp.c, or IP protocol 47, 4 or 41
 * here), hands over to decode_tunnel.c, which decodes the packet inside
 * into the next element of the caller's array. A frame without a tunnel
 * costs one store and one test more than a one-packet decoder did.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/decode_int.h"

#define CAP_FRAG_DEFAULT_SLOTS 4096u

static void cap_packet_clear(struct cap_packet *out)
{
	static const struct cap_packet zero;

	*out = zero;
}

int cap_decoder_init(struct cap_decoder *d, uint32_t frag_slots)
{
	memset(d, 0, sizeof(*d));
	d->frag = cap_frag_new(frag_slots ? frag_slots : CAP_FRAG_DEFAULT_SLOTS,
	                       &d->anomalies[CAP_AN_FRAG_NO_FIRST]);
	return d->frag ? 0 : -1;
}

void cap_decoder_settle(struct cap_decoder *d)
{
	if (d->frag)
		cap_frag_settle(d->frag);
}

void cap_decoder_free(struct cap_decoder *d)
{
	if (!d)
		return;
	cap_frag_delete(d->frag);
	d->frag = NULL;
}

int cap_linktype_canonical(int dlt)
{
	return dlt == CAP_DLT_RAW_OPENBSD ? CAP_DLT_RAW : dlt;
}

bool cap_linktype_supported(int linktype)
{
	switch (linktype) {
	case CAP_DLT_NULL:
	case CAP_DLT_EN10MB:
	case CAP_DLT_RAW:
	case CAP_DLT_RAW_OPENBSD:
	case CAP_LINKTYPE_RAW:
	case CAP_DLT_LOOP:
	case CAP_DLT_LINUX_SLL:
	case CAP_DLT_IPV4:
	case CAP_DLT_IPV6:
	case CAP_DLT_LINUX_SLL2:
	case CAP_DLT_PPP:
	case CAP_DLT_FDDI:
	case CAP_DLT_PPP_SERIAL:
	case CAP_DLT_C_HDLC:
	case CAP_DLT_IEEE802_11:
	case CAP_DLT_IEEE802_11_RADIO:
	case CAP_DLT_PPI:
	case CAP_DLT_NFLOG:
	case CAP_DLT_PKTAP:
	case CAP_DLT_USER2_PKTAP:
		return true;
	default:
		return false;
	}
}

/* The link layer of a frame (or of the frame inside a PKTAP or PPI
 * pseudo-header, decode_pktap.c): the one switch on the link type. */
bool cap_dec_link(struct cap_dstate *st, struct cap_cursor *c, int linktype)
{
	switch (linktype) {
	case CAP_DLT_EN10MB:
		return cap_dec_eth(st, c);
	case CAP_DLT_LINUX_SLL:
		return cap_dec_sll(st, c);
	case CAP_DLT_LINUX_SLL2:
		return cap_dec_sll2(st, c);
	case CAP_DLT_NULL:
		return cap_dec_null(st, c, false);
	case CAP_DLT_LOOP:
		return cap_dec_null(st, c, true);
	case CAP_DLT_RAW:
	case CAP_DLT_RAW_OPENBSD:
	case CAP_LINKTYPE_RAW:
		return cap_dec_raw(st, c, 0);
	case CAP_DLT_IPV4:
		return cap_dec_raw(st, c, 4);
	case CAP_DLT_IPV6:
		return cap_dec_raw(st, c, 6);
	case CAP_DLT_PPP:
	case CAP_DLT_PPP_SERIAL:
		return cap_dec_ppp(st, c);
	case CAP_DLT_C_HDLC:
		return cap_dec_chdlc(st, c);
	case CAP_DLT_FDDI:
		return cap_dec_fddi(st, c);
	case CAP_DLT_IEEE802_11:
		return cap_dec_wlan(st, c, 0);
	case CAP_DLT_IEEE802_11_RADIO:
		return cap_dec_radiotap(st, c);
	case CAP_DLT_PPI:
		return cap_dec_ppi(st, c);
	case CAP_DLT_NFLOG:
		return cap_dec_nflog(st, c);
	case CAP_DLT_PKTAP:
	case CAP_DLT_USER2_PKTAP:
		return cap_dec_pktap(st, c);
	default:
		return cap_dec_fail(st, CAP_AN_NON_IP);
	}
}

unsigned cap_decode_frame(struct cap_decoder *d, int linktype,
                          const uint8_t *data, uint32_t caplen,
                          uint32_t wirelen, uint64_t ts_ns,
                          struct cap_packet *out)
{
	struct cap_dstate st;
	struct cap_cursor c;
	bool ok;

	/* A copy of a zero struct: gcc turns memset of this size into
	 * `rep stos`, whose start-up cost was half of a whole decode. */
	cap_packet_clear(out);
	out->wirelen = wirelen;
	cur_init(&c, data, caplen);
	st.d = d;
	st.pkt = out;
	st.ts_ns = ts_ns;
	st.frame = c.p;
	st.wirelen = wirelen > caplen ? wirelen : caplen;
	st.layers = 0;
	st.vlan_seen = false;
	st.tun_kind = 0;
	st.tun_sport_only = false;
	st.tun_depth = 0;
	st.inner = 0;
	st.frag = CAP_FRAG_NONE;
	st.frag_last = false;
	if (!c.p)
		return cap_dec_fail(&st, CAP_AN_TRUNC_LINK);

	ok = cap_dec_link(&st, &c, linktype);
	/* The chain is true when the outermost packet was completed; the
	 * packets inside tunnels follow it (none when it was not). */
	return (unsigned)ok + st.inner;
}

bool cap_decode(struct cap_decoder *d, int linktype, const uint8_t *data,
                uint32_t caplen, uint32_t wirelen, uint64_t ts_ns,
                struct cap_packet *out)
{
	struct cap_tunnels *t = d->tunnels;
	d->tunnels = NULL; /* the outermost packet only: out holds one */
	unsigned n = cap_decode_frame(d, linktype, data, caplen, wirelen,
	                              ts_ns, out);
	d->tunnels = t;
	return n == 1;
}

/* The carrier of a tunnel in an IP packet (GRE, IP-in-IP, 6in4, 4in6,
 * 6in6): a flow of its own between the two tunnel ends, without ports;
 * its payload is the tunnel. */
static bool dec_ip_carrier(struct cap_dstate *st, struct cap_cursor *c,
                           uint8_t proto, uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	pkt->payload = c->len ? c->p : NULL;
	pkt->payload_caplen = (uint32_t)c->len;
	pkt->payload_len = seg_len;
	if (st->d->tunnels) {
		bool v4 = pkt->family == 4;
		st->tun_kind = proto == 47 ? CAP_TUN_GRE
		             : proto == 4 ? (v4 ? CAP_TUN_IPIP : CAP_TUN_4IN6)
		                          : (v4 ? CAP_TUN_6IN4 : CAP_TUN_6IN6);
	}
	return true;
}

static bool is_carrier(uint8_t proto)
{
	return proto == 47 || proto == 4 || proto == 41;
}

/* A later fragment: the ports come from its first fragment. */
static bool dec_later_fragment(struct cap_dstate *st, struct cap_cursor *c,
                               uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	struct cap_frag_info fi;

	if (!cap_frag_get(st->d->frag, &st->fkey, st->ts_ns, st->frag_last,
	                  &fi)) {
		/* Before its first (reordered): held for its bytes, handed
		 * to the first fragment's packet; no packet now. */
		if (cap_frag_hold(st->d->frag, &st->fkey, st->ts_ns,
		                  pkt->wirelen))
			return false;
		return cap_dec_fail(st, CAP_AN_FRAG_NO_FIRST);
	}
	pkt->proto = fi.proto;
	pkt->sport = fi.sport;
	pkt->dport = fi.dport;
	pkt->icmp_type = fi.icmp_type;
	pkt->icmp_code = fi.icmp_code;
	pkt->later_fragment = true;
	pkt->payload = c->len ? c->p : NULL;
	pkt->payload_caplen = (uint32_t)c->len;
	pkt->payload_len = seg_len;
	st->d->frag_tracked++;
	return true;
}

bool cap_dec_l4(struct cap_dstate *st, struct cap_cursor *c, uint8_t proto,
                uint32_t seg_len)
{
	struct cap_packet *pkt = st->pkt;
	bool ok;

	if (st->frag == CAP_FRAG_LATER) {
		/* IPv6: proto may be an extension header of the fragmentable
		 * part; the table knows the transport protocol. */
		bool ext = (st->fkey.family == 6 &&
		            (proto == 0 || proto == 43 || proto == 51 ||
		             proto == 60)) ||
		           (st->fkey.family == 4 && proto == 51); /* AH */
		if (!ext && proto != 6 && proto != 17 && proto != 1 &&
		    proto != 58 && !is_carrier(proto))
			return cap_dec_fail(st, CAP_AN_OTHER_L4);
		ok = dec_later_fragment(st, c, seg_len);
	} else {
		switch (proto) {
		case 6:
			ok = cap_dec_tcp(st, c, seg_len);
			break;
		case 17:
			ok = cap_dec_udp(st, c, seg_len);
			break;
		case 1:
			ok = cap_dec_icmp(st, c, seg_len);
			break;
		case 58:
			ok = cap_dec_icmp6(st, c, seg_len);
			break;
		default:
			if (!is_carrier(proto))
				return cap_dec_fail(st, CAP_AN_OTHER_L4);
			ok = dec_ip_carrier(st, c, proto, seg_len);
			break;
		}
		if (!ok)
			return false;
		pkt->proto = proto;
		if (st->frag == CAP_FRAG_FIRST) {
			struct cap_frag_info fi = {
				.proto = proto, .sport = pkt->sport,
				.dport = pkt->dport, .icmp_type = pkt->icmp_type,
				.icmp_code = pkt->icmp_code,
			};
			struct cap_frag_early early;
			if (!cap_frag_put(st->d->frag, &st->fkey, &fi, st->ts_ns,
			                  &early))
				cap_dec_fail(st, CAP_AN_FRAG_TABLE_FULL);
			pkt->early_bytes = early.bytes;
			pkt->early_ns = early.first_ns;
		}
	}
	if (!ok)
		return false;
	if (pkt->truncated || pkt->payload_caplen < pkt->payload_len) {
		pkt->truncated = true;
		cap_dec_fail(st, CAP_AN_SNAPLEN_CUT);
	}
	/* The packet is complete; a tunnel in its payload adds the packets
	 * inside after it (and never touches this one again). */
	return st->tun_kind ? cap_dec_tunnel(st) : true;
}
