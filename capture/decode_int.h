/*
 * decode_int.h -- capture/ internal: the per-layer decoders' prototypes.
 *
 * Design. cap_decode() (decode.c) switches once on the link type and calls
 * one link decoder; each decoder reads its header through the cursor,
 * checks every length field both ways, and tail-calls the next layer with
 * the cursor advanced past its header. A failure is counted once, as a
 * named anomaly (cap_dec_fail), and makes the chain return false.
 *
 * struct cap_dstate is the state of one decode in progress, on the caller's
 * stack: the output packet, the frame's start and its on-the-wire length
 * (so that a layer can tell "cut by caplen" from "announced longer than the
 * wire"), the count of encapsulation layers, and the fragment facts that
 * the IP layer hands to the transport layer.
 */
#ifndef PORTAUDIT_CAPTURE_DECODE_INT_H
#define PORTAUDIT_CAPTURE_DECODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/cursor.h"
#include "capture/decode.h"

/* libpcap link types handled (numbers as pcap_datalink() returns them). */
#define CAP_DLT_NULL 0
#define CAP_DLT_EN10MB 1
#define CAP_DLT_RAW 12          /* DLT_RAW on most systems */
#define CAP_DLT_RAW_OPENBSD 14  /* DLT_RAW on OpenBSD */
#define CAP_LINKTYPE_RAW 101    /* the file's LINKTYPE_RAW */
#define CAP_DLT_LOOP 108
#define CAP_DLT_LINUX_SLL 113
#define CAP_DLT_IPV4 228
#define CAP_DLT_IPV6 229
#define CAP_DLT_LINUX_SLL2 276

/* Ethertypes. */
#define CAP_ETH_IP4 0x0800
#define CAP_ETH_IP6 0x86dd
#define CAP_ETH_VLAN 0x8100
#define CAP_ETH_QINQ 0x88a8
#define CAP_ETH_QINQ_9100 0x9100
#define CAP_ETH_QINQ_9200 0x9200
#define CAP_ETH_MPLS 0x8847
#define CAP_ETH_MPLS_MC 0x8848
#define CAP_ETH_PPPOE_SES 0x8864

enum cap_frag_kind {
	CAP_FRAG_NONE = 0,
	CAP_FRAG_FIRST,  /* offset 0, more fragments follow */
	CAP_FRAG_LATER,  /* offset > 0 */
};

/* Key of the fragment table: one original datagram. */
struct cap_frag_key {
	uint8_t src[16], dst[16];
	uint32_t id;     /* IPv4: 16-bit id; IPv6: fragment header id */
	uint8_t family;
	uint8_t proto;   /* IPv4 protocol / IPv6 fragment header's next header */
};

struct cap_dstate {
	struct cap_decoder *d;
	struct cap_packet *pkt;
	uint64_t ts_ns;
	const uint8_t *frame;
	uint32_t wirelen;        /* max(wirelen, caplen) */
	unsigned layers;         /* VLAN/MPLS/PPPoE layers so far */
	bool vlan_seen;          /* the outermost tag is in pkt->vlan */
	/* Tunnels (decode_tunnel.c). The frame's packets lie one after the
	 * other in the caller's array: the packet inside a tunnel is written
	 * at pkt + 1. tun_kind, set by the transport of the packet just
	 * decoded, says its payload is a tunnel (CAP_TUN_*, 0 none);
	 * tun_depth counts the tunnels entered, inner the packets that came
	 * out of them. Beside vlan_seen: cleared with it in one store. */
	uint8_t tun_kind;
	bool tun_sport_only;     /* tun_kind from the UDP source port alone
	                          * (cap_tun_udp_kind): maybe ordinary UDP */
	uint8_t tun_depth;
	uint8_t inner;
	enum cap_frag_kind frag;
	bool frag_last;          /* the fragment with MF = 0 */
	struct cap_frag_key fkey;
};

/* Count an anomaly; returns false so that a decoder can `return` it. */
static inline bool cap_dec_fail(struct cap_dstate *st, enum cap_anomaly a)
{
	st->d->anomalies[a]++;
	return false;
}

/* Bytes of the frame on the wire from the cursor's position on. */
static inline uint32_t cap_dec_wire_left(const struct cap_dstate *st,
                                         const struct cap_cursor *c)
{
	size_t off = (size_t)(c->p - st->frame);
	return off >= st->wirelen ? 0 : (uint32_t)(st->wirelen - off);
}

/* Narrow the window to n bytes from the cursor, both the captured bytes
 * and the wire length (a length field of an outer layer bounds the inner). */
static inline void cap_dec_narrow(struct cap_dstate *st, struct cap_cursor *c,
                                  uint32_t n)
{
	size_t off = (size_t)(c->p - st->frame);

	cur_narrow(c, n);
	if (off + n < st->wirelen)
		st->wirelen = (uint32_t)(off + n);
}

/* decode.c: the link layer of a frame, by link type (also the frame inside
 * a PKTAP or PPI pseudo-header). */
bool cap_dec_link(struct cap_dstate *st, struct cap_cursor *c, int linktype);

/* decode_eth.c */
bool cap_dec_eth(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_ethertype(struct cap_dstate *st, struct cap_cursor *c,
                       uint16_t type);
/* decode_vlan.c */
bool cap_dec_vlan(struct cap_dstate *st, struct cap_cursor *c, uint16_t *type);
bool cap_dec_mpls(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_pppoe(struct cap_dstate *st, struct cap_cursor *c);
/* decode_sll.c */
bool cap_dec_sll(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_sll2(struct cap_dstate *st, struct cap_cursor *c);
/* decode_null.c: DLT_NULL (host order) and DLT_LOOP (network order) */
bool cap_dec_null(struct cap_dstate *st, struct cap_cursor *c, bool loop);
/* raw IP: family 4 or 6 fixed, 0 = from the version nibble */
bool cap_dec_raw(struct cap_dstate *st, struct cap_cursor *c, int family);
/* decode_ip4.c, decode_ip6.c */
bool cap_dec_ip4(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_ip6(struct cap_dstate *st, struct cap_cursor *c);

/* decode_ppp.c, decode_llc.c: link layers */
#define CAP_DLT_PPP 9
#define CAP_DLT_FDDI 10
#define CAP_DLT_PPP_SERIAL 50
#define CAP_DLT_C_HDLC 104
#define CAP_ETH_PBB 0x88e7        /* 802.1ah I-TAG, then the customer frame */
#define CAP_ETH_FABRICPATH 0x8903 /* Cisco FabricPath (FTag/TTL, frame) */
#define CAP_ETH_VNTAG 0x8926      /* Cisco VN-Tag (4 bytes, EtherType) */
/* PPP, PPP in HDLC-like framing, Cisco HDLC in either (DLT 9 and 50). */
bool cap_dec_ppp(struct cap_dstate *st, struct cap_cursor *c);
/* Cisco HDLC: address, control, EtherType (DLT 104). */
bool cap_dec_chdlc(struct cap_dstate *st, struct cap_cursor *c);
/* The PPP protocol field (2 bytes, or 1 when compressed) and what follows:
 * shared by PPP and PPPoE. */
#define CAP_PPP_IP4 0x0021 /* PPP protocol numbers */
#define CAP_PPP_IP6 0x0057
bool cap_dec_ppp_proto(struct cap_dstate *st, struct cap_cursor *c);
/* 802.2 LLC (and SNAP) at the cursor, on any link type; the caller has
 * narrowed the window to the LLC PDU when its header has a length. */
bool cap_dec_llc(struct cap_dstate *st, struct cap_cursor *c);
/* FDDI: frame control, addresses, then LLC (DLT 10). */
bool cap_dec_fddi(struct cap_dstate *st, struct cap_cursor *c);
/* decode_vlan.c: one more layer each, as an 802.1Q tag. */
bool cap_dec_vntag(struct cap_dstate *st, struct cap_cursor *c,
                   uint16_t *type);
bool cap_dec_pbb(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_fabricpath(struct cap_dstate *st, struct cap_cursor *c);

/* n bytes of a link header are not all there: cut by the caplen
 * (trunc_link), or the frame on the wire, or an outer length field that
 * narrowed the window, ends first (bad_link_hlen). */
static inline bool cap_dec_link_short(struct cap_dstate *st,
                                      const struct cap_cursor *c, uint32_t n)
{
	if (cap_dec_wire_left(st, c) < n)
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
}

/* IPv6 extension header chain walk, shared by decode_ip6.c and the ICMP
 * error quote. On entry *nh is the IPv6 header's next header and c sits
 * after the fixed header; *wire_left is the payload length on the wire.
 * Walks at most CAP_MAX_LAYERS headers (hop-by-hop, routing, destination
 * options, fragment, AH). Stops at the first other header, or after a
 * fragment header whose offset is not 0 (the rest is fragment data).
 * dst holds the IPv6 header's destination; a routing header with Segments
 * Left > 0 (types 0, 2 and 4) replaces it with the route's final
 * destination, and is CAP_EXT_BAD when too short to hold it. */
struct cap_ip6_frag {
	bool present;
	bool more;
	uint16_t offset;  /* in 8-byte units */
	uint32_t id;
	uint8_t nh;       /* the fragment header's next header */
};
enum cap_ext_rc {
	CAP_EXT_OK = 0,
	CAP_EXT_CUT,      /* a header past the captured bytes */
	CAP_EXT_BAD,      /* a header longer than the payload, or too many */
};
enum cap_ext_rc cap_ip6_ext_walk(struct cap_cursor *c, uint8_t *nh,
                                 uint32_t *wire_left, struct cap_ip6_frag *fr,
                                 uint8_t dst[16]);

/* decode_wlan.c, decode_radiotap.c, decode_nflog.c, decode_pktap.c: link layers */
#define CAP_DLT_IEEE802_11 105       /* 802.11 MAC frames, no pseudo-header */
#define CAP_DLT_IEEE802_11_RADIO 127 /* radiotap header, then 802.11 */
#define CAP_DLT_USER2_PKTAP 149      /* DLT_PKTAP as macOS writes it (USER2) */
#define CAP_DLT_PPI 192              /* PPI header, then its own DLT */
#define CAP_DLT_NFLOG 239            /* Linux NFLOG: header, then TLVs */
#define CAP_DLT_PKTAP 258            /* LINKTYPE_PKTAP */
#define CAP_WLAN_FCS 0x1u            /* the 802.11 frame ends in a 4-byte FCS */
#define CAP_WLAN_DATAPAD 0x2u        /* MAC header padded to 32 bits */
/* 802.11 frame at c; flags CAP_WLAN_*. Data frames go on through LLC/SNAP;
 * management, control and data frames without payload count
 * CAP_AN_WLAN_NON_DATA, protected data frames CAP_AN_WLAN_PROTECTED. */
bool cap_dec_wlan(struct cap_dstate *st, struct cap_cursor *c, unsigned flags);
bool cap_dec_radiotap(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_ppi(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_nflog(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_pktap(struct cap_dstate *st, struct cap_cursor *c);
/* The frame of another link type that a pseudo-header (PKTAP, PPI) names,
 * decoded by cap_decode()'s own switch; PKTAP and PPI inside are not. */
bool cap_dec_inner_link(struct cap_dstate *st, struct cap_cursor *c,
                        uint32_t dlt);

/* decode.c: the transport layer behind IPv4 and IPv6. c holds the captured
 * part of the IP payload, seg_len its length on the wire. Handles later
 * fragments (ports from the fragment table) and the payload bookkeeping. */
bool cap_dec_l4(struct cap_dstate *st, struct cap_cursor *c, uint8_t proto,
                uint32_t seg_len);
/* decode_tcp.c, decode_udp.c, decode_icmp.c: fill the packet's L4 fields
 * and payload/payload_caplen/payload_len. */
bool cap_dec_tcp(struct cap_dstate *st, struct cap_cursor *c, uint32_t seg_len);
bool cap_dec_udp(struct cap_dstate *st, struct cap_cursor *c, uint32_t seg_len);
bool cap_dec_icmp(struct cap_dstate *st, struct cap_cursor *c, uint32_t seg_len);
bool cap_dec_icmp6(struct cap_dstate *st, struct cap_cursor *c,
                   uint32_t seg_len);
/* decode_dcerpc.c: the TCP port of an ept_map response PDU, or 0. */
uint16_t cap_dec_dcerpc_epm(const uint8_t *p, size_t len);

/* ---- tunnels (decode_tunnel.c, decode_gre.c, decode_vxlan.c,
 * decode_gtp.c, decode_teredo.c, tunnel.c) ---------------------------- */

/* UDP ports that carry a tunnel: the kind, or 0. VXLAN and Geneve by the
 * destination port (the source port is a hash of the inner flow); GTP-U,
 * Teredo and AYIYA by either port, the destination first. A few compares
 * per UDP packet. A datagram matched by its source port alone may as well
 * be ordinary UDP from a client that drew that port (a DNS query from
 * port 3544): st->tun_sport_only, and cap_dec_tunnel counts nothing when
 * it does not parse as the tunnel. */
static inline uint8_t cap_tun_udp_kind(uint16_t sport, uint16_t dport)
{
	switch (dport) {
	case 4789: return CAP_TUN_VXLAN;
	case 6081: return CAP_TUN_GENEVE;
	case 2152: return CAP_TUN_GTPU;
	case 3544: return CAP_TUN_TEREDO;
	case 5072: return CAP_TUN_AYIYA;
	default: break;
	}
	switch (sport) {
	case 2152: return CAP_TUN_GTPU;
	case 3544: return CAP_TUN_TEREDO;
	case 5072: return CAP_TUN_AYIYA;
	default: return 0;
	}
}

/* The payload of st->pkt, just completed, is a tunnel of kind
 * st->tun_kind: decode it and the packet inside (at st->pkt + 1, counted
 * in st->inner when it decodes). Called by cap_dec_l4 as its last step;
 * returns true (the outer packet stands whatever happens inside). */
bool cap_dec_tunnel(struct cap_dstate *st);
/* Enter a tunnel of `kind` whose header the cursor is now past: intern
 * its descriptor (outer addresses of st->pkt, id when has_id, the
 * enclosing tunnel) and start the packet inside at st->pkt + 1. False
 * (the inner packet not to be decoded) when the table is full (counted). */
bool cap_tun_enter(struct cap_dstate *st, const struct cap_cursor *c,
                   uint8_t kind, bool has_id, uint32_t id);
/* Take a tunnel header of n bytes whole: it must be on the wire (else
 * CAP_AN_BAD_TUNNEL) and captured (else CAP_AN_TRUNC_LINK). */
bool cap_tun_take(struct cap_dstate *st, struct cap_cursor *c, size_t n,
                  const uint8_t **h);
/* An ERSPAN frame cut by the switch (its T bit): the inner lengths may
 * exceed the bytes, which is then a cut, not a malformed packet. */
void cap_tun_cut_inner(struct cap_dstate *st, const struct cap_cursor *c);
/* decode_gre.c: GRE (versions 0 and 1) and ERSPAN I, II, III. */
bool cap_dec_gre(struct cap_dstate *st, struct cap_cursor *c);
/* decode_vxlan.c: VXLAN and Geneve. */
bool cap_dec_vxlan(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_geneve(struct cap_dstate *st, struct cap_cursor *c);
/* decode_gtp.c: GTPv1-U. */
bool cap_dec_gtpu(struct cap_dstate *st, struct cap_cursor *c);
/* decode_teredo.c: Teredo and AYIYA. */
bool cap_dec_teredo(struct cap_dstate *st, struct cap_cursor *c);
bool cap_dec_ayiya(struct cap_dstate *st, struct cap_cursor *c);
/* Is k the same tunnel as e (addresses in either order)? */
bool cap_tunnel_same(const struct cap_tunnel *e, const struct cap_tunnel *k);

/* frag.c: bounded table (src, dst, proto, id) -> ports of the first
 * fragment. One allocation; no allocation per packet. */
struct cap_frag_info {
	uint8_t proto;           /* the transport protocol */
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
};
/* no_first: the counter (CAP_AN_FRAG_NO_FIRST) of later fragments whose
 * first never came, counted when their datagram is forgotten. */
struct cap_frag_table *cap_frag_new(uint32_t slots, uint64_t *no_first);
void cap_frag_delete(struct cap_frag_table *t);
/* Later fragments that came before their first (reordered on the way):
 * what the first fragment's flow is owed. */
struct cap_frag_early {
	uint32_t bytes;          /* their bytes on the wire */
	uint64_t first_ns;       /* the earliest one's time, 0 none */
};
/* Remember a first fragment. Returns false when a live entry had to be
 * overwritten (the table is full: the caller counts it). *early gets the
 * later fragments of its datagram that came before it (cap_frag_hold). */
bool cap_frag_put(struct cap_frag_table *t, const struct cap_frag_key *k,
                  const struct cap_frag_info *info, uint64_t ts_ns,
                  struct cap_frag_early *early);
/* A later fragment whose first has not come (yet): held for its bytes,
 * in a free or expired entry only (a flood of lone fragments pushes no
 * datagram out). false: no room, the caller counts it now. */
bool cap_frag_hold(struct cap_frag_table *t, const struct cap_frag_key *k,
                   uint64_t ts_ns, uint32_t bytes);
/* The end: held fragments whose first never came are counted. */
void cap_frag_settle(struct cap_frag_table *t);
/* Find the first fragment of k's datagram; `last` marks the datagram
 * complete (its slot may be reused first). false when its first has not
 * been seen (held fragments only, or none). */
bool cap_frag_get(struct cap_frag_table *t, const struct cap_frag_key *k,
                  uint64_t ts_ns, bool last, struct cap_frag_info *info);
/* Entries in the table, and entries not expired at now_ns (tests). */
uint32_t cap_frag_capacity(const struct cap_frag_table *t);
uint32_t cap_frag_live(const struct cap_frag_table *t, uint64_t now_ns);

#endif
