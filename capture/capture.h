/*
 * capture.h -- packets in, flows out.
 *
 * Design. cap_run() opens each source (offline files in the order given, or
 * one live interface), decodes every packet with the per-layer decoders
 * (capture/decode_*.c, each reading only through the bounds-checked cursor
 * of capture/cursor.h) into one flat struct cap_packet, and feeds it to the
 * flow table (capture/flow.c). The flow table is allocated once from
 * --max-flows; it never allocates per packet. A flow is handed to the
 * caller's callback exactly once: when it ends (TCP close/reset seen and a
 * short linger passed), when it times out idle, when it is evicted because
 * the table is full, or when the capture ends. Nothing else leaves capture/.
 *
 * Addresses are stored in 16 bytes; IPv4 uses the first 4 (family 4).
 */
#ifndef PORTAUDIT_CAPTURE_H
#define PORTAUDIT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CAP_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CAP_MUST_CHECK
#endif

#define CAP_MAX_SOURCES 64
#define CAP_MORE_LINKTYPES 32 /* cap_stats.more_linktypes */
#define CAP_NS_PER_S 1000000000ull
#define CAP_DEFAULT_SNAPLEN 1024 /* headers + a DCE/RPC ept_map reply */
#define CAP_DEFAULT_MAX_FLOWS (1u << 20)
/* Fragment-table slots of a run's decoder (run.c and replay.c alike): IP
 * datagrams whose first fragment is remembered for their later ones. */
#define CAP_FRAG_SLOTS 8192

/* Outcome of a flow, in the spirit of Zeek's conn_state. */
enum cap_outcome {
	CAP_OUT_ESTABLISHED = 0, /* handshake completed, still open at the end */
	CAP_OUT_CLOSED,          /* handshake completed, closed by FIN or RST */
	CAP_OUT_REJECTED,        /* RST answering a SYN */
	CAP_OUT_UNANSWERED,      /* SYN(s) or UDP/ICMP request with no reply */
	CAP_OUT_UNREACHABLE,     /* an ICMP error quoted this flow */
	CAP_OUT_MIDSTREAM,       /* TCP without a handshake seen */
	CAP_OUT_ONEWAY,          /* UDP in one direction only */
	CAP_OUT_REPLIED,         /* UDP/ICMP with traffic both ways */
};

/* Decode anomalies: each a named, counted event. */
enum cap_anomaly {
	CAP_AN_TRUNC_LINK = 0,   /* link header cut by caplen */
	CAP_AN_VLAN_DEPTH,       /* too many VLAN/MPLS layers */
	CAP_AN_TRUNC_IP4,
	CAP_AN_BAD_IP4_VERSION,
	CAP_AN_BAD_IP4_HLEN,     /* IHL < 5 or past the captured bytes */
	CAP_AN_BAD_IP4_TOTLEN,   /* total length < header or > wire */
	CAP_AN_TRUNC_IP6,
	CAP_AN_BAD_IP6_VERSION,
	CAP_AN_BAD_IP6_PLEN,
	CAP_AN_IP6_EXT_TRUNC,    /* extension header chain cut or too long */
	CAP_AN_TRUNC_TCP,
	CAP_AN_BAD_TCP_HLEN,     /* data offset < 5 or past the segment */
	CAP_AN_TRUNC_UDP,
	CAP_AN_BAD_UDP_LEN,
	CAP_AN_TRUNC_ICMP,
	CAP_AN_ICMP_QUOTE_TRUNC, /* an ICMP error whose quoted header is cut */
	CAP_AN_FRAG_NO_FIRST,    /* a later fragment whose first was not seen */
	CAP_AN_FRAG_TABLE_FULL,
	CAP_AN_SNAPLEN_CUT,      /* payload cut by snaplen (headers kept) */
	CAP_AN_NON_IP,           /* ARP, LLDP, ... not an error; counted */
	CAP_AN_OTHER_L4,         /* IP protocol other than TCP/UDP/ICMP */
	CAP_AN_BAD_LINK_HLEN,    /* a link header's own length field is bad
	                          * (radiotap, PPI, NFLOG TLVs, PKTAP...) */
	CAP_AN_WLAN_NON_DATA,    /* 802.11 management/control: counted */
	CAP_AN_WLAN_PROTECTED,   /* 802.11 data frame encrypted: counted */
	CAP_AN_PPPOE_LEN,        /* PPPoE length short of the IP length */
	CAP_AN_BAD_TUNNEL,       /* a tunnel header that does not parse */
	CAP_AN_TUNNEL_DEPTH,     /* more nested tunnels than decoded */
	CAP_AN_FRAG_TINY,        /* an IPv4/IPv6 first fragment with less than
	                          * 20 bytes of TCP (RFC 1858): its ports
	                          * kept when it holds them */
	CAP_AN_COUNT
};

const char *cap_anomaly_name(enum cap_anomaly a); /* "bad_tcp_hlen" ... */
const char *cap_outcome_name(enum cap_outcome o); /* "established" ... */

/* TCP flag bits as on the wire. */
#define CAP_TH_FIN 0x01
#define CAP_TH_SYN 0x02
#define CAP_TH_RST 0x04
#define CAP_TH_PSH 0x08
#define CAP_TH_ACK 0x10

/* One flow, oriented: "a" is the initiator, "b" the responder.
 * Index [0] counts initiator->responder, [1] responder->initiator. */
/* cap_flow.reply_unsure (classify judges such a flow without a reply
 * neither answered nor blocked). */
#define CAP_UNSURE_END 1
#define CAP_UNSURE_SAMPLED 2
/* How long after a flow's first packet a capture must go on for a missing
 * reply to count: a SYN-ACK or a UDP answer comes within a round trip,
 * and TCP's first retransmission after 1 s (RFC 6298). */
#define CAP_REPLY_WAIT_NS 1000000000ull

struct cap_flow {
	uint8_t addr_a[16], addr_b[16];
	uint16_t port_a, port_b;   /* ICMP: port_a = id, port_b = type<<8|code */
	uint8_t proto;             /* 6, 17, 1, 58 */
	uint8_t family;            /* 4 or 6 */
	uint8_t outcome;           /* enum cap_outcome */
	uint8_t initiator_inferred;/* 1: no SYN seen, guessed (see flow.c) */
	uint8_t flags[2];          /* TCP flags seen each way (OR) */
	uint8_t syn_retries;       /* SYNs after the first, capped at 255 */
	uint8_t icmp_type, icmp_code; /* the ICMP error that quoted it */
	uint8_t reply_unsure;      /* no reply seen, but one could have gone
	                            * unseen: CAP_UNSURE_END (the capture
	                            * ended within CAP_REPLY_WAIT_NS of its
	                            * first packet) or CAP_UNSURE_SAMPLED
	                            * (sampled records); 0: it was watched */
	uint16_t vlan;             /* outer VLAN id, 0 none */
	uint16_t epm_port;         /* port learned from a DCE/RPC ept_map reply */
	uint16_t tunnel;           /* the innermost tunnel it travels in: an id
	                            * of cap_options.tunnels, 0 none; part of
	                            * the flow's key (cap_tunnel_get) */
	uint32_t pkts[2];
	uint64_t bytes[2];         /* on-the-wire lengths */
	uint64_t first_ns, last_ns;/* UNIX time, nanoseconds */
	uint32_t truncated;        /* packets of this flow cut by caplen */
};

/* Bitmap of ports that the port model expects a responder on; capture uses
 * it to orient flows whose handshake it did not see. */
struct cap_portmap {
	uint8_t tcp[65536 / 8];
	uint8_t udp[65536 / 8];
};

/* Bit order of a portmap: port P is bit (P & 7) of byte P >> 3. */
static inline void cap_portmap_set(uint8_t *bits, uint16_t port)
{
	bits[port >> 3] = (uint8_t)(bits[port >> 3] | (1u << (port & 7)));
}
static inline bool cap_portmap_test(const uint8_t *bits, uint16_t port)
{
	return (((unsigned)bits[port >> 3] >> (port & 7u)) & 1u) != 0;
}

/* Keyed hashing for the bounded tables of every folder (flows, fragments,
 * findings, contacts, evidence), whose keys come from the network
 * (hash.c). cap_random fills buf from getrandom(), or from the clock and
 * the pid when that fails; cap_hash is a seeded hash of n bytes; cap_fmix64
 * is MurmurHash3's 64-bit finaliser, a bijection that spreads every bit. */
void cap_random(void *buf, size_t n);
uint64_t cap_hash(uint64_t seed, const void *p, size_t n);
static inline uint64_t cap_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* A slot of an open-addressing index with linear probing (the flow table,
 * the fragment table, classify's contacts): the low half of its key's
 * hash, whose low bits are its home position (tag & mask), and its entry's
 * number + 1 (0 = empty). An index has a power-of-two count of slots,
 * mask = count - 1 < 2^32, and is kept at load <= 0.5 by its owner. */
struct cap_islot {
	uint32_t tag;
	uint32_t idx;
};

/* Remove entry idx, whose hash's low half is tag, from the index:
 * backward-shift deletion (later members of the probe run move into the
 * hole when their home allows), so there are no tombstones and no probe
 * run grows with churn. Reads slots only, never entries. */
void cap_islot_remove(struct cap_islot *slots, uint64_t mask, uint32_t tag,
                      uint32_t idx);

/* ---- tunnels (capture/tunnel.c, decode_tunnel.c and the decoders of each
 * family; docs/flows.md, "Tunnels") ---------------------------------------
 *
 * A frame whose IP packet carries a tunnel yields several packets for the
 * flow table: the outer one (UDP 4789 between two VTEPs, GRE between two
 * routers), then the packet inside, and so on down to CAP_MAX_TUNNELS
 * nested tunnels. Every packet inside a tunnel carries the id of a tunnel
 * descriptor, interned once per (kind, outer addresses, VNI/key/session,
 * enclosing tunnel) in a bounded table made by the caller before cap_run
 * and kept until its reports are written. The id is part of the flow's
 * key, so two VNIs that both use 10.0.0.0/8 make different flows. */
enum cap_tunnel_kind {
	CAP_TUN_NONE = 0,
	CAP_TUN_VXLAN,      /* UDP 4789, id: VNI */
	CAP_TUN_GENEVE,     /* UDP 6081, id: VNI */
	CAP_TUN_GRE,        /* IP protocol 47 (IPv4, IPv6, MPLS, Ethernet
	                     * 0x6558 inside), id: the key when present */
	CAP_TUN_ERSPAN1,    /* GRE 0x88be without a sequence number: no id */
	CAP_TUN_ERSPAN2,    /* GRE 0x88be, ERSPAN version 1, id: session */
	CAP_TUN_ERSPAN3,    /* GRE 0x22eb, ERSPAN version 2, id: session */
	CAP_TUN_IPIP,       /* IPv4 in IPv4 (protocol 4) */
	CAP_TUN_6IN4,       /* IPv6 in IPv4 (protocol 41) */
	CAP_TUN_4IN6,       /* IPv4 in IPv6 (next header 4) */
	CAP_TUN_6IN6,       /* IPv6 in IPv6 (next header 41) */
	CAP_TUN_GTPU,       /* UDP 2152, GTPv1-U G-PDU (no id: see below) */
	CAP_TUN_TEREDO,     /* UDP 3544, IPv6 inside */
	CAP_TUN_AYIYA,      /* UDP 5072, IPv4 or IPv6 inside */
	CAP_TUN_KIND_COUNT
};

/* "vxlan", "geneve", "gre", "erspan-i", ... ("unknown" out of range). */
const char *cap_tunnel_kind_name(unsigned kind);
/* What the kind's id is called in reports: "vni", "key", "session_id",
 * or NULL when the kind has none. */
const char *cap_tunnel_id_name(unsigned kind);

/* One tunnel. Its outer addresses are those of the IP packet that
 * carries it, in the order of the first packet seen (src sent it); the
 * same tunnel seen the other way round is the same descriptor. A GTP-U
 * TEID is not part of it: each direction of a bearer has its own TEID,
 * so keying by it would split every inner flow in two. */
struct cap_tunnel {
	uint8_t kind;              /* enum cap_tunnel_kind */
	uint8_t family;            /* of the outer addresses, 4 or 6 */
	uint8_t depth;             /* 1 in the frame's outermost IP packet,
	                            * 2 inside one other tunnel, ... */
	bool has_id;
	uint16_t parent;           /* the tunnel this one travels in, 0 none */
	uint32_t id;               /* VNI, GRE key, ERSPAN session id */
	uint8_t src[16], dst[16];  /* IPv4: first 4 bytes, the rest zero */
};

#define CAP_MAX_TUNNELS 4          /* nested tunnels decoded per frame */
#define CAP_TUNNELS_MAX 65535u     /* descriptors: ids 1..65535 */

struct cap_tunnels;

/* The table: one allocation for CAP_TUNNELS_MAX descriptors (~4 MiB of
 * address space, touched only as tunnels appear). NULL when out of
 * memory. */
struct cap_tunnels *cap_tunnels_new(void);
void cap_tunnels_free(struct cap_tunnels *t);
/* The descriptor of id, or NULL (0, or an id not handed out). Reading is
 * safe from the flow table's thread for an id it got with a packet. */
const struct cap_tunnel *cap_tunnel_get(const struct cap_tunnels *t,
                                        uint16_t id);
/* Descriptors in the table. */
uint32_t cap_tunnels_count(const struct cap_tunnels *t);
/* Intern a descriptor (family, kind, addresses, id, parent, depth set):
 * its id, or 0 when the table is full. One thread at a time (the reader;
 * portaudit merge, rebuilding the tunnels its reports name). */
uint16_t cap_tunnels_intern(struct cap_tunnels *t, const struct cap_tunnel *k);

#define CAP_SAMPLING_UNKNOWN UINT32_MAX

/* What the record sources counted: the report's source facts. */
struct cap_rec_stats {
	uint64_t records;          /* read */
	uint64_t malformed;        /* did not parse (skipped, or an error) */
	uint64_t paired;           /* uniflows joined with their reverse */
	uint64_t merged;           /* pieces of one long flow joined */
	uint64_t duplicates;       /* same direction from another exporter */
	uint64_t unpaired;         /* judged one-way after the hold window */
	uint64_t evicted;          /* pairing table full: judged early */
	uint64_t templates_missing;/* v9/IPFIX data sets without their
	                            * template (those decoded when it came
	                            * later are taken off again) */
	uint64_t templates_evicted;/* template cache full: the least recently
	                            * used template dropped */
	uint64_t exporters_full;   /* datagrams from a new exporter dropped:
	                            * the exporter table was full */
	uint64_t sequence_gaps;    /* export packets lost (sequence numbers) */
	uint64_t ignored_exporters;/* datagrams from outside --exporter */
	uint64_t tunneled;         /* Zeek records inside a tunnel
	                            * (tunnel_parents set): their flows carry
	                            * no tunnel id (docs/flows.md) */
	uint32_t exporters;        /* distinct exporters seen */
	uint32_t sampling;         /* the largest 1:N sampling announced or
	                            * given (--sampling), 0 or 1: none,
	                            * CAP_SAMPLING_UNKNOWN: sampled at a rate
	                            * the records do not state */
	bool initiators_guessed;   /* some flow's initiator was inferred */
	bool unreachable_inferred; /* an ICMP record marked a flow */
	bool missed_bytes;         /* Zeek's missed_bytes > 0 somewhere */
	bool cut;                  /* a source ended inside a record (a gzip
	                            * stream cut short, a last line without
	                            * its end): cap_stats.truncated */
	bool biflow_flags_guessed; /* nfdump: TCP biflows whose one flags
	                            * field was split between the sides */
	bool kinds_mixed;          /* merge: reports of records of different
	                            * kinds (cap_stats.kind is the first's) */
	/* --skip-bad-records: sources skipped whole or in part (a file of a
	 * Zeek directory that cannot be read, what nfdump said it could not
	 * read), and the first one's words ("FILE: why"); records.c makes
	 * them cap_stats.unread, so the report says so (cap_rec_skip). */
	uint32_t skipped;
	char skipped_what[160];
	/* The first distinct exporters seen (addresses), for the report. */
#define CAP_REC_EXPORTERS_SHOWN 16
	uint8_t exporter_family[CAP_REC_EXPORTERS_SHOWN];
	uint8_t exporter_addrs[CAP_REC_EXPORTERS_SHOWN][16];
	uint32_t nexporter_addrs;
};

/* What cap_run_records() reads instead of packets (--flows, --collect). */
enum cap_source_kind {
	CAP_SRC_PACKETS = 0,       /* -r / -i: cap_run() */
	CAP_SRC_ZEEK,              /* --flows zeek:PATH */
	CAP_SRC_NFDUMP,            /* --flows nfdump:PATH */
	CAP_SRC_NETFLOW,           /* --collect netflow:[ADDR:]PORT */
};

#define CAP_MAX_EXPORTERS 64

struct cap_prefix_opt {            /* an address or prefix (--exporter) */
	uint8_t family, len;
	uint8_t addr[16];
};

struct cap_stats;

struct cap_options {
	const char *sources[CAP_MAX_SOURCES]; /* -r FILE..., "-" = stdin */
	unsigned nsources;
	const char *iface;         /* -i */
	double duration;           /* --duration seconds, 0 = none */
	uint64_t count;            /* -c, 0 = none */
	int buffer_kib;            /* -B, 0 = sized from the snaplen (run.c) */
	int snaplen;               /* -s, 0 = CAP_DEFAULT_SNAPLEN */
	bool no_promisc;           /* -p */
	const char *filter;        /* BPF expression or NULL */
	const char *drop_user;     /* -Z */
	uint32_t max_flows;        /* 0 = CAP_DEFAULT_MAX_FLOWS */
	bool quiet;                /* no progress on stderr */
	const struct cap_portmap *ports; /* may be NULL */
	bool no_decap;             /* --no-decap: outer packets only */
	/* Flow records instead of packets (cap_run_records): the kind, the
	 * paths in sources[] (zeek, nfdump: a file, a directory, "-"), or
	 * the collector's "[ADDR:]PORT" (netflow), with duration above. */
	enum cap_source_kind kind;
	const char *collect;
	struct cap_prefix_opt exporters[CAP_MAX_EXPORTERS]; /* allow-list */
	unsigned nexporters;       /* 0: every exporter */
	uint32_t sampling;         /* --sampling N, 0 = as announced */
	bool skip_bad_records;     /* count and skip, instead of an error */
	/* SIGUSR1 prints capture's counters on standard error, and this
	 * (may be NULL) adds the caller's ("12 findings so far"); called on
	 * the reader's thread while the capture runs. */
	void (*status)(void *ctx, char *buf, size_t len);
	void *status_ctx;
	/* cap_replay stops (an error, "interrupted") as soon as this is set
	 * (a signal while the reports are written); may be NULL. */
	const volatile int *stop;
	struct cap_tunnels *tunnels; /* the tunnel table the flows' ids refer
	                            * to (cap_tunnels_new); NULL: cap_run
	                            * makes one of its own for the run, and
	                            * frees it before it returns */
	/* --interval (live capture): every `interval` seconds of the wall
	 * clock (boundaries at its multiples, as Zeek rotates its logs; the
	 * first interval starts at interval_start_ns, 0 = when the capture
	 * starts), on_interval is called on the reading thread with the
	 * interval's own counters (cap_stats whose counts are the interval's,
	 * first_ns/last_ns its packets' times) and its wall-clock bounds,
	 * after flows idle at the boundary have timed out and every packet
	 * read has been applied: the flows handed on since the last call are
	 * the interval's, and no flow is handed on during the call. The last
	 * call (final) comes after the end-of-capture flush, before cap_run
	 * returns its totals. A non-zero return ends the capture. */
	uint32_t interval;
	uint64_t interval_start_ns;
	int (*on_interval)(void *ctx, const struct cap_stats *ist,
	                   uint64_t start_ns, uint64_t end_ns, bool final);
	void *interval_ctx;
};

struct cap_stats {
	uint64_t packets;          /* packets read */
	uint64_t bytes;            /* on-the-wire bytes */
	uint64_t ip_packets;       /* frames that reached the flow table (with
	                            * a tunnel, + tunnel_packets inside) */
	bool has_dropped;          /* live only */
	uint64_t dropped;          /* kernel + interface (pcap_stats) */
	uint64_t first_ns, last_ns;/* timestamps of first and last packet */
	bool truncated;            /* a file ended inside a record */
	uint64_t anomalies[CAP_AN_COUNT];
	uint64_t flows;            /* flows handed on */
	uint64_t evicted;          /* flows ended early because the table was full */
	uint64_t timed_out;        /* flows ended by idle timeout */
	uint32_t max_flows;        /* table capacity */
	uint32_t peak_flows;       /* highest number of live flows */
	uint64_t frag_tracked;     /* later fragments attributed to a flow */
	enum cap_source_kind kind; /* what was read */
	struct cap_rec_stats rec;  /* flow-record sources only */
	uint64_t tunnel_packets;   /* packets taken out of a tunnel */
	uint32_t tunnels;          /* tunnel descriptors in the table */
	uint64_t tunnel_full;      /* packets whose tunnel found the table
	                            * full: not decapsulated (outer only) */
	uint64_t tunnel_frag;      /* tunnel packets in a fragmented outer
	                            * datagram: not decapsulated (outer only) */
	bool interrupted;          /* SIGINT/SIGTERM ended the capture */
	uint32_t snaplen;          /* bytes captured per packet: live, the
	                            * snaplen asked for; offline, the largest
	                            * of the files' (their headers); 0 for
	                            * flow records */
	char unread[200];          /* an offline source that libpcap cannot
	                            * read on, though not cut: "FILE: words"
	                            * (a pcapng whose interfaces have
	                            * different link types), "" if none */
	char stopped[160];         /* a live capture that failed and ended
	                            * early ("The interface disappeared"),
	                            * "" if it did not */
	int linktypes[CAP_MAX_SOURCES];
	unsigned nsources;         /* sources actually opened */
	/* Link types of packets decoded besides the sources' own
	 * (linktypes[]): the other interfaces of a pcapng whose interfaces
	 * have different link types (pcapng.c), each once, in the order met;
	 * more are not listed. */
	int more_linktypes[CAP_MORE_LINKTYPES];
	unsigned nmore_linktypes;
	char skipped[CAP_MAX_SOURCES][96]; /* why a source was skipped, "" if not */
	/* Live-capture facts for server inference. */
	uint8_t local_addrs[32][16];
	uint8_t local_family[32];
	unsigned nlocal;
};

/* Called once per finished flow. The pointer is valid only for the call. */
typedef void (*cap_flow_fn)(const struct cap_flow *f, void *ctx);

/* Run a flow-record source (opt->kind, records.c) to its end: Zeek
 * conn.log, nfdump's files, or a NetFlow/IPFIX collector. Every record
 * becomes a flow handed to fn, as cap_run() hands packet flows; st gets
 * the source facts (st->kind, st->rec, first/last record time). Returns 0,
 * or -1 with a one-line message in errbuf (a file that cannot be read, a
 * record that does not parse without --skip-bad-records, nfdump missing or
 * failing, a port that cannot be bound). */
CAP_MUST_CHECK int cap_run_records(const struct cap_options *opt,
                                   cap_flow_fn fn, void *ctx,
                                   struct cap_stats *st, char *errbuf,
                                   size_t errlen);

/* A SIGINT or SIGTERM during a capture stops it (the reports are then
 * written); a second one ends the process at once, after calling fn, which
 * must be async-signal-safe (portaudit.c: rep_unlink_temps, so no
 * temporary output file outlives the process). NULL: none. */
void cap_set_fatal_hook(void (*fn)(void));

/* Run the capture to its end. Returns 0, or -1 with a one-line message in
 * errbuf (bad file, bad filter, missing interface, permission...). */
CAP_MUST_CHECK int cap_run(const struct cap_options *opt, cap_flow_fn fn,
                           void *ctx, struct cap_stats *st, char *errbuf,
                           size_t errlen);

/* Format an address ("10.0.0.1", "2001:db8::1"). */
void cap_addr_format(uint8_t family, const uint8_t *addr, char *buf,
                     size_t len);
/* "EN10MB (1)", or the number when libpcap has no name for it. */
const char *cap_linktype_name(int dlt, char *buf, size_t len);
/* RFC 3339 UTC with microseconds: "2026-11-29T06:27:24.123456Z". */
void cap_time_format(uint64_t ns, char *buf, size_t len);

/* ---- second pass over offline sources (capture/replay.c) ---------------- */

/* The 5-tuple an ICMP error quotes (the original sender's view). */
struct cap_view_tuple {
	uint8_t family, proto;     /* 0 when the packet quotes nothing */
	uint8_t src[16], dst[16];  /* IPv4: first 4 bytes, the rest zero */
	uint16_t sport, dport;
};

/* One decoded packet of a second pass, with its raw bytes. The same
 * decoders as cap_run(), so the same packets reach the same flows. */
struct cap_packet_view {
	uint8_t family;            /* 4 or 6 */
	uint8_t proto;             /* 6, 17, 1, 58 */
	uint8_t src[16], dst[16];  /* IPv4: first 4 bytes, the rest zero */
	uint16_t sport, dport;     /* TCP/UDP ports; ICMP echo: both the
	                            * identifier; other ICMP: 0 */
	uint8_t tcp_flags;         /* CAP_TH_* */
	uint8_t icmp_type, icmp_code;
	bool icmp_error;           /* an ICMP error: see quoted */
	struct cap_view_tuple quoted;
	uint64_t ts_ns;            /* UNIX time, nanoseconds */
	uint32_t caplen, wirelen;  /* as struct pcap_pkthdr's caplen and len */
	const uint8_t *data;       /* the frame, caplen bytes; valid in the call */
	int linktype;              /* DLT of the source it came from */
	unsigned source;           /* index into cap_options.sources */
	uint16_t tunnel;           /* as cap_flow.tunnel (same table, ids) */
	uint8_t layer;             /* 0 the frame's outermost packet, 1 the
	                            * one inside its tunnel, ... */
	uint64_t frame;            /* the frame's number in the pass, from 1:
	                            * the packets of one frame share it */
};

typedef void (*cap_replay_fn)(const struct cap_packet_view *pv, void *ctx);

/* Read the offline sources of `opt` again (in order, with opt->filter and
 * opt->count, files of an unsupported link type skipped as cap_run skips
 * them) and hand every decoded packet, with its raw bytes, to fn: a frame
 * with a tunnel gives one call per packet, outermost first (layer 0), the
 * tunnel ids looked up in opt->tunnels, the table cap_run filled. For
 * evidence and other second passes. *linktype_out (may be NULL): the link
 * type of the first source read, -1 if none. Returns 0, or -1 with a
 * one-line message in errbuf: live capture (-i) and standard input (-r -)
 * cannot be read twice; a file that can no longer be opened. A file cut
 * inside a record ends quietly (cap_run reported it). */
CAP_MUST_CHECK int cap_replay(const struct cap_options *opt, cap_replay_fn fn,
                              void *ctx, int *linktype_out, char *errbuf,
                              size_t errlen);

#endif
