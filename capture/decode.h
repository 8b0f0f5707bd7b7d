/*
 * decode.h -- capture/ internal: one flat struct per decoded packet.
 *
 * The per-layer decoders (link layers: decode_eth.c, decode_vlan.c,
 * decode_sll.c, decode_null.c, decode_ppp.c, decode_llc.c, decode_wlan.c,
 * decode_radiotap.c, decode_nflog.c, decode_pktap.c; then decode_ip4.c,
 * decode_ip6.c, decode_tcp.c, decode_udp.c, decode_icmp.c,
 * decode_dcerpc.c) fill struct cap_packet and nothing else leaves them
 * (masscan's PreprocessedInfo). They read packet bytes only through the
 * cursor of cursor.h, never past caplen; a malformed or cut packet is a
 * counted anomaly (enum cap_anomaly in capture.h), never a crash.
 * Tests include this header; nothing outside capture/ does.
 */
#ifndef PORTAUDIT_CAPTURE_DECODE_H
#define PORTAUDIT_CAPTURE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"

#define CAP_MAX_LAYERS 8 /* VLAN/QinQ/MPLS/PPPoE layers before giving up */

struct cap_packet {
	uint8_t family;          /* 4 or 6 */
	uint8_t proto;           /* 6, 17, 1, 58; 47, 4, 41: a tunnel's outer
	                          * packet (no ports); others: counted */
	uint8_t src[16], dst[16]; /* IPv6 dst: a routing header's final one */
	uint16_t sport, dport;   /* ICMP echo: both the identifier; else 0 */
	uint8_t tcp_flags;       /* CAP_TH_* */
	uint8_t icmp_type, icmp_code;
	uint16_t vlan;           /* outer VLAN id, 0 none */
	uint32_t wirelen;        /* the frame's on-the-wire length */
	const uint8_t *payload;  /* L4 payload, captured part (may be NULL) */
	uint32_t payload_caplen; /* bytes of payload captured */
	uint32_t payload_len;    /* L4 payload length the headers announce */
	bool truncated;          /* payload cut by caplen (headers complete) */
	bool later_fragment;     /* a non-first fragment: ports from frag table */
	uint32_t early_bytes;    /* a first fragment: bytes of its later
	                          * fragments that came before it (frag.c) */
	uint64_t early_ns;       /* ... and the earliest one's time, 0 none */
	uint16_t epm_port;       /* TCP from port 135: ept_map reply's port */

	/* ICMP/ICMPv6 error (unreachable, admin-prohibited, time exceeded):
	 * the header it quotes, as the original sender sent it. */
	bool icmp_error;
	struct {
		uint8_t family, proto;
		uint8_t src[16], dst[16];
		uint16_t sport, dport;
	} quoted;
	uint16_t tunnel;         /* the innermost tunnel carrying it, 0 none */
};

/* Packets one frame can give: the outer one and one per tunnel. */
#define CAP_DECODE_MAX (1 + CAP_MAX_TUNNELS)

struct cap_frag_table;

struct cap_decoder {
	uint64_t anomalies[CAP_AN_COUNT];
	uint64_t frag_tracked;       /* later fragments attributed */
	struct cap_frag_table *frag; /* bounded: (src, dst, proto, id) -> ports */
	/* Tunnels: decapsulated only when `tunnels` is set (the caller's
	 * table; NULL = outer packets only, as --no-decap). */
	struct cap_tunnels *tunnels;
	uint64_t tunnel_packets;     /* packets taken out of a tunnel */
	uint64_t tunnel_full;        /* not decapsulated: the table was full */
	uint64_t tunnel_frag;        /* not decapsulated: outer fragmented */
	struct cap_tunnel last_tun;  /* the last descriptor interned ... */
	uint16_t last_id;            /* ... and its id (0 none): one compare
	                              * for a run of one tunnel's packets */
};

/* Returns 0 or -1 (out of memory). frag_slots: capacity of the table. */
int cap_decoder_init(struct cap_decoder *d, uint32_t frag_slots);
void cap_decoder_free(struct cap_decoder *d);
/* The end of the input: fragments held for a first fragment that never
 * came are counted (CAP_AN_FRAG_NO_FIRST). */
void cap_decoder_settle(struct cap_decoder *d);

/* Is this libpcap DLT / LINKTYPE decoded? */
bool cap_linktype_supported(int linktype);

/* The link type portaudit uses for what pcap_datalink() says: the same,
 * but raw IP as OpenBSD numbers it (14) is DLT_RAW, so that the decoder,
 * the reports (a name, not "14") and the evidence file (libpcap refuses
 * to write 14: "isn't supported in savefiles") see one raw IP, and files
 * of both numbers share an evidence file. */
int cap_linktype_canonical(int dlt);

/* Decode one frame into out[], which has room for CAP_DECODE_MAX
 * packets: the packets for the flow table, outermost first. A frame
 * without a tunnel gives one packet (or 0 when it was counted: anomaly,
 * non-IP, other protocol); a tunnel's outer packet is followed by the
 * packet it carries, down to CAP_MAX_TUNNELS tunnels, each with the
 * tunnel's id in `tunnel`. A tunnel or an inner packet that does not
 * decode is counted and leaves the outer packets as they are. With
 * d->tunnels NULL nothing is decapsulated. ts_ns is used by the fragment
 * table's expiry. Returns the number of packets in out. */
unsigned cap_decode_frame(struct cap_decoder *d, int linktype,
                          const uint8_t *data, uint32_t caplen,
                          uint32_t wirelen, uint64_t ts_ns,
                          struct cap_packet *out);
/* The frame's outermost packet only, nothing decapsulated (out has room
 * for one): true when `out` holds a TCP/UDP/ICMP/ICMPv6 (or GRE,
 * IP-in-IP) packet for the flow table. */
bool cap_decode(struct cap_decoder *d, int linktype, const uint8_t *data,
                uint32_t caplen, uint32_t wirelen, uint64_t ts_ns,
                struct cap_packet *out);

#endif
