/*
 * records.h -- capture/ internal: flow records in, flows out.
 *
 * Design. A site that outgrows one sensor already has engines that see
 * every segment: a Zeek cluster writing conn.log, routers and probes
 * exporting NetFlow/IPFIX to nfcapd. portaudit audits from their records
 * with the same classification as from packets: every record becomes the
 * struct cap_flow that classify already judges, so nothing past capture/
 * learns where a flow came from beyond the source facts the report prints
 * (struct cap_rec_stats in struct cap_stats, capture.h).
 *
 * Three sources, one file each, all behind cap_run_records() (records.c):
 *   zeek.c     Zeek conn.log (TSV or JSON lines, gzip): one record is a
 *              whole bidirectional connection, so it becomes a cap_flow
 *              directly (no pairing);
 *   nfdump.c   nfcapd files through the real `nfdump -o json`: uniflow
 *              (or biflow) records, paired by pairing.c;
 *   netflow.c  NetFlow v5, v9 and IPFIX datagrams (a UDP collector, or a
 *              file of export packets): decoded through the bounds-checked
 *              cursor of cursor.h into struct cap_record, paired by
 *              pairing.c.
 * pairing.c turns uniflow records into flows: it pairs the two directions
 * of a tuple, merges the pieces of a long flow, drops duplicates from
 * several exporters, holds an unpaired record for a bounded window, and
 * decides initiator and outcome (docs/flows.md, "Flow records"). Every
 * table has a cap; what it drops is counted in struct cap_rec_stats.
 */
#ifndef PORTAUDIT_CAPTURE_RECORDS_H
#define PORTAUDIT_CAPTURE_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"

/* One flow record as an exporter reported it: one direction (a uniflow),
 * or both (an RFC 5103 biflow: the rev_* fields). Times are UNIX ns at
 * the exporter's resolution; bytes are layer 3 (the IP total lengths). */
struct cap_record {
	uint8_t family;            /* 4 or 6 */
	uint8_t proto;             /* IP protocol */
	uint8_t src[16], dst[16];  /* IPv4: first 4 bytes, the rest zero */
	uint16_t sport, dport;     /* ICMP: sport 0, dport = type << 8 | code
	                            * (NetFlow's convention) */
	uint64_t pkts, bytes;
	uint64_t first_ns, last_ns;
	uint8_t tcp_flags;         /* OR of the flags seen (CAP_TH_*) */
	uint16_t vlan;             /* 0 none */
	bool biflow;               /* the rev_ fields are the reverse side */
	uint64_t rev_pkts, rev_bytes;
	uint8_t rev_tcp_flags;
	int8_t direction;          /* biflowDirection (IE 239): -1 absent,
	                            * 0 arbitrary, 1 initiator, 2 reverse
	                            * initiator, 3 perimeter */
	uint32_t exporter;         /* index of the exporter (its address and
	                            * observation domain), for duplicates */
	uint32_t sampling;         /* 1 in N packets sampled; 0 or 1: none */
};

/* ---- pairing.c: uniflow records to flows -------------------------------- */

struct cap_pairer;

/* fn gets each finished flow once (as cap_run's callback does); pm orients
 * flows whose initiator the records cannot tell (the packet path's own
 * rules, flow.h: cap_orient_guess, shared); rs counts. max_tuples bounds
 * the table; hold_ns is how long an unpaired record waits for its
 * reverse; active_ns is the exporters' active timeout (pieces of one flow
 * closer than this are merged). NULL when out of memory. */
struct cap_pairer *cap_pairer_new(cap_flow_fn fn, void *ctx,
                                  const struct cap_portmap *pm,
                                  struct cap_rec_stats *rs,
                                  uint32_t max_tuples, uint64_t hold_ns,
                                  uint64_t active_ns);
void cap_pairer_add(struct cap_pairer *p, const struct cap_record *r);
/* Judge what the clock (record time, or the wall clock live) has passed. */
void cap_pairer_tick(struct cap_pairer *p, uint64_t now_ns);
/* cap_pairer_tick(p, now_ns) (none when 0), then cap_pairer_add(p, r),
 * done up to CAP_PAIR_AHEAD records later: the record's key is made and
 * its index slot loaded now, so that a stream of records does not wait
 * on a cache miss for each new tuple. The same flows and counters as the
 * two calls at once; cap_pairer_add, _tick and _flush first do what is
 * waiting, cap_pairer_free drops it. */
#define CAP_PAIR_AHEAD 8
void cap_pairer_add_ahead(struct cap_pairer *p, const struct cap_record *r,
                          uint64_t now_ns);
/* Judge everything still held (end of input). */
void cap_pairer_flush(struct cap_pairer *p);
void cap_pairer_free(struct cap_pairer *p);

/* ---- the sources ------------------------------------------------------- */

/* zeek.c: read one conn.log (TSV or JSON lines, gzip by its magic bytes;
 * "-" = standard input) and hand each connection to fn as a flow.
 * skip_bad: a record that does not parse is counted and skipped instead
 * of being an error, and so is a file of a directory that cannot be read
 * (empty, corrupt gzip data, a bad header: cap_rec_skip; the records read
 * before are kept), unless no file of it can be. 0, or -1 with
 * "FILE:LINE:COL: what" in err. */
int cap_zeek_read(const char *path, cap_flow_fn fn, void *ctx,
                  struct cap_rec_stats *rs, bool skip_bad, char *err,
                  size_t errlen);

/* records.c: with --skip-bad-records, a source (or the rest of one) that
 * cannot be read is skipped: `what` ("FILE: why") goes to standard error
 * as a warning, and into rs (skipped, skipped_what) for the report. */
void cap_rec_skip(struct cap_rec_stats *rs, const char *what);

/* netflow.c: decode one export datagram from exporter `from` (an address
 * of family 4 or 6, and the UDP source port) into records handed to the
 * pairer. Templates are kept per (exporter, observation domain, template
 * id) in a bounded cache inside struct cap_netflow. */
struct cap_netflow;
struct cap_netflow *cap_netflow_new(struct cap_pairer *p,
                                    struct cap_rec_stats *rs,
                                    uint32_t max_templates,
                                    uint32_t max_exporters);
void cap_netflow_datagram(struct cap_netflow *nf, uint8_t family,
                          const uint8_t *from, uint16_t from_port,
                          const uint8_t *data, size_t len,
                          uint64_t now_ns);
void cap_netflow_free(struct cap_netflow *nf);

#endif
