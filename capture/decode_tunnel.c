/*
 * decode_tunnel.c -- into a tunnel: the common step of every kind, and
 * IP-in-IP (IPv4 in IPv4, 6in4, 4in6, IPv6 in IPv6).
 *
 * Design. cap_dec_l4 completes a packet (st->pkt) and, when its
 * transport marked the payload as a tunnel (st->tun_kind), calls
 * cap_dec_tunnel last. Here the outer packet's payload becomes the cursor
 * (the captured bytes) and the wire bound (its length on the wire: a
 * tunnel never reads its carrier's padding), and the kind's decoder reads
 * its header (decode_gre.c, decode_vxlan.c, decode_gtp.c,
 * decode_teredo.c; IP-in-IP has none), then calls cap_tun_enter, which
 * interns the tunnel's descriptor (tunnel.c) and starts the inner packet
 * at st->pkt + 1 (the caller's array has room for CAP_DECODE_MAX),
 * carrying the descriptor's id. The inner packet then runs the
 * ordinary chain (Ethernet, VLAN, MPLS, IP, transport), so it is checked
 * exactly as an outer one, and cap_dec_l4 completes it in turn, which may
 * enter a tunnel inside it. Nothing is copied and nothing allocated.
 *
 * Limits and failures. At most CAP_MAX_TUNNELS tunnels per frame: one more
 * is CAP_AN_TUNNEL_DEPTH. A tunnel header that does not parse (a length
 * past its carrier's, a bad version or flag) is CAP_AN_BAD_TUNNEL; one
 * cut by the caplen is CAP_AN_TRUNC_LINK, as for any encapsulation
 * header; inner packets count their own anomalies. A UDP datagram whose
 * source port alone named the tunnel (st->tun_sport_only: a DNS query
 * from port 3544) and that does not parse as one, never entering it, is
 * ordinary UDP: what its attempt counted (bad_tunnel, trunc_link,
 * other_l4) is taken back. In every case the
 * outer packets stay as decoded. An outer datagram that is a fragment is
 * not decapsulated (no reassembly: the inner lengths would not fit), and
 * neither is a tunnel that finds the descriptor table full; both are
 * counted (cap_decoder.tunnel_frag, tunnel_full). The inner packet
 * inherits the outer packet's VLAN id (the frame's outermost tag); its
 * wire length is the inner frame's, from its first byte to the end of the
 * tunnel payload.
 */
#include <string.h>

#include "capture/decode_int.h"

bool cap_tun_enter(struct cap_dstate *st, const struct cap_cursor *c,
                   uint8_t kind, bool has_id, uint32_t id)
{
	struct cap_decoder *d = st->d;
	const struct cap_packet *outer = st->pkt;
	struct cap_tunnel k;
	uint16_t tid;

	memset(&k, 0, sizeof k);
	k.kind = kind;
	k.family = outer->family;
	k.depth = (uint8_t)(st->tun_depth + 1);
	k.has_id = has_id;
	k.id = has_id ? id : 0;
	k.parent = outer->tunnel;
	memcpy(k.src, outer->src, 16);
	memcpy(k.dst, outer->dst, 16);
	if (d->last_id && cap_tunnel_same(&d->last_tun, &k)) {
		tid = d->last_id;
	} else {
		tid = cap_tunnels_intern(d->tunnels, &k);
		if (!tid) {
			d->tunnel_full++;
			return false;
		}
		d->last_tun = k;
		d->last_id = tid;
	}

	struct cap_packet *in = st->pkt + 1;
	static const struct cap_packet zero;
	*in = zero;
	in->tunnel = tid;
	in->vlan = outer->vlan;
	in->wirelen = cap_dec_wire_left(st, c);
	st->pkt = in;
	st->frag = CAP_FRAG_NONE;
	st->frag_last = false;
	st->tun_depth++;
	return true;
}

bool cap_tun_take(struct cap_dstate *st, struct cap_cursor *c, size_t n,
                  const uint8_t **h)
{
	if (cap_dec_wire_left(st, c) < n)
		return cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	*h = cur_take(c, n);
	if (!*h)
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	return true;
}

void cap_tun_cut_inner(struct cap_dstate *st, const struct cap_cursor *c)
{
	/* Room for the longest IP packet and its link header. */
	size_t off = (size_t)(c->p - st->frame);
	st->wirelen = (uint32_t)(off + 65535u + 64u);
}

/* Decode the tunnel in the payload of st->pkt (below). */
static bool dec_tunnel(struct cap_dstate *st, uint8_t kind)
{
	const struct cap_packet *outer = st->pkt;
	struct cap_cursor c;
	bool ok = false;

	if (st->tun_depth >= CAP_MAX_TUNNELS)
		return !cap_dec_fail(st, CAP_AN_TUNNEL_DEPTH);
	if (st->frag != CAP_FRAG_NONE) {
		st->d->tunnel_frag++;
		return true;
	}
	if (outer->payload_len == 0)
		return !cap_dec_fail(st, CAP_AN_BAD_TUNNEL);
	if (!outer->payload)
		return !cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	cur_init(&c, outer->payload, outer->payload_caplen);
	/* The tunnel ends where its carrier's payload ends on the wire. */
	size_t end = (size_t)(outer->payload - st->frame) + outer->payload_len;
	if (end < st->wirelen)
		st->wirelen = (uint32_t)end;

	/* Each decoder is true when the packet inside was completed. */
	switch (kind) {
	case CAP_TUN_VXLAN:
		ok = cap_dec_vxlan(st, &c);
		break;
	case CAP_TUN_GENEVE:
		ok = cap_dec_geneve(st, &c);
		break;
	case CAP_TUN_GRE:
		ok = cap_dec_gre(st, &c);
		break;
	case CAP_TUN_GTPU:
		ok = cap_dec_gtpu(st, &c);
		break;
	case CAP_TUN_TEREDO:
		ok = cap_dec_teredo(st, &c);
		break;
	case CAP_TUN_AYIYA:
		ok = cap_dec_ayiya(st, &c);
		break;
	case CAP_TUN_IPIP:
	case CAP_TUN_4IN6:
		ok = cap_tun_enter(st, &c, kind, false, 0) &&
		     cap_dec_ip4(st, &c);
		break;
	case CAP_TUN_6IN4:
	case CAP_TUN_6IN6:
		ok = cap_tun_enter(st, &c, kind, false, 0) &&
		     cap_dec_ip6(st, &c);
		break;
	default:
		break;
	}
	if (ok) {
		st->inner++;
		st->d->tunnel_packets++;
	}
	return true;
}

bool cap_dec_tunnel(struct cap_dstate *st)
{
	uint8_t kind = st->tun_kind;
	uint64_t keep[CAP_AN_COUNT];

	st->tun_kind = 0;
	if (!st->tun_sport_only)
		return dec_tunnel(st, kind);
	/* Perhaps no tunnel at all: taken back unless it was entered. */
	st->tun_sport_only = false;
	uint8_t depth = st->tun_depth;
	memcpy(keep, st->d->anomalies, sizeof keep);
	bool rc = dec_tunnel(st, kind);
	if (st->tun_depth == depth)
		memcpy(st->d->anomalies, keep, sizeof keep);
	return rc;
}
