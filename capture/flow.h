/*
 * flow.h -- capture/ internal: the flow table (flow.c) and the progress line
 * (progress.c). Tests include this header; nothing outside capture/ does.
 *
 * The table turns decoded packets (struct cap_packet) into bidirectional
 * flows (struct cap_flow) and hands each flow to a callback exactly once:
 * when it ends (TCP closed/reset, after a short linger), when it is idle
 * longer than its timeout (judged by packet time), when it is evicted because
 * the table is full, or at cap_flowtab_flush(). See flow.c for the design
 * and docs/flows.md for the rules (timeouts, initiator, outcome).
 */
#ifndef PORTAUDIT_CAPTURE_FLOW_H
#define PORTAUDIT_CAPTURE_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "capture.h"
#include "decode.h"


/* Idle timeouts, in nanoseconds of packet time. */
#define CAP_TO_TCP_SYN (30 * CAP_NS_PER_S)   /* SYN(s), no answer yet */
#define CAP_TO_TCP_EST (300 * CAP_NS_PER_S)  /* established, midstream */
#define CAP_TO_DGRAM (60 * CAP_NS_PER_S)     /* UDP, ICMP */
#define CAP_TO_LINGER (5 * CAP_NS_PER_S)     /* after RST or both FINs */
/* Emergency timeouts, used while the table is (nearly) full. */
#define CAP_TO_EMERG_TCP_SYN (5 * CAP_NS_PER_S)
#define CAP_TO_EMERG_TCP_EST (60 * CAP_NS_PER_S)
#define CAP_TO_EMERG_DGRAM (10 * CAP_NS_PER_S)
#define CAP_TO_EMERG_LINGER (1 * CAP_NS_PER_S)

struct cap_flowtab;

/* Is the packet's source the responder? A group address (multicast, the
 * IPv4 broadcast) is never the initiator, port 0 never a service port;
 * then the port model pm (may be NULL), then the lower-port rule (unless
 * both ports are ephemeral). 0 = dst is the responder, 1 = src is, -1 =
 * no idea (the first sender initiates). The flow table orients flows
 * without a handshake with it, and the flow-record sources (pairing.c)
 * uniflows whose records tell nothing better. */
int cap_orient_guess(const struct cap_portmap *pm, uint8_t family,
                     uint8_t proto, const uint8_t *src, const uint8_t *dst,
                     uint16_t sport, uint16_t dport);

/* One allocation for max_flows flows (0 = CAP_DEFAULT_MAX_FLOWS). `ports`
 * may be NULL. Finished flows go to fn(flow, ctx); st->flows, evicted,
 * timed_out, max_flows and peak_flows are kept up to date. NULL when out
 * of memory. */
struct cap_flowtab *cap_flowtab_new(uint32_t max_flows,
                                    const struct cap_portmap *ports,
                                    cap_flow_fn fn, void *ctx,
                                    struct cap_stats *st);
void cap_flowtab_free(struct cap_flowtab *t);

/* One decoded packet at time ts_ns. No allocation, no system call. The
 * packet is as cap_decode() leaves it: an IPv4 address (also a quoted
 * one) in the first 4 bytes of its 16, the other 12 zero. */
void cap_flowtab_packet(struct cap_flowtab *t, const struct cap_packet *p,
                        uint64_t ts_ns);
/* The same for n packets in order, with the memory loads of their table
 * lookups overlapped (software prefetch): what cap_run uses. */
#define CAP_FLOW_BATCH 16
void cap_flowtab_batch(struct cap_flowtab *t, const struct cap_packet *p,
                       const uint64_t *ts, unsigned n);
/* The hash cap_flowtab_batch() computes for a packet, on any thread (it
 * reads only what cap_flowtab_new() set): the reader computes it while the
 * flow-table thread is behind (pipe.h), which then applies the packets
 * with cap_flowtab_batch_hashed(), the same otherwise (hash NULL: the
 * hashes are computed there, as cap_flowtab_batch does). */
uint64_t cap_flowtab_hash(const struct cap_flowtab *t,
                          const struct cap_packet *p);
void cap_flowtab_batch_hashed(struct cap_flowtab *t,
                              const struct cap_packet *p, const uint64_t *ts,
                              const uint64_t *hash, unsigned n);
/* Let time pass without a packet (live capture, quiet link): flows idle
 * longer than their timeout at now_ns are handed on (a bounded number). */
void cap_flowtab_tick(struct cap_flowtab *t, uint64_t now_ns);
/* Hand on every flow still in the table (end of capture). */
void cap_flowtab_flush(struct cap_flowtab *t);
/* The capture ended at end_ns (its last packet's time offline, the clock
 * at the stop live): every flow is handed on as by cap_flowtab_flush, and
 * one without a reply whose first packet came less than CAP_REPLY_WAIT_NS
 * before the end is marked reply_unsure (CAP_UNSURE_END). */
void cap_flowtab_end(struct cap_flowtab *t, uint64_t end_ns);
/* Flows in the table now. */
uint32_t cap_flowtab_live(const struct cap_flowtab *t);

/* Progress line on stderr (progress.c): ~4 updates per second, only when
 * enabled (stderr a terminal and not --quiet), erased by cap_progress_end. */
struct cap_progress {
	bool on;
	bool live;
	bool drawn;
	double duration;       /* live: --duration, 0 none */
	uint64_t total_bytes;  /* offline: sum of the file sizes, 0 unknown */
	uint64_t start_ns;     /* CLOCK_MONOTONIC */
	uint64_t next_ns;      /* next update due */
	FILE *out;
};

uint64_t cap_mono_ns(void);
void cap_progress_start(struct cap_progress *pr, bool on, bool live,
                        double duration, uint64_t total_bytes, FILE *out);
/* Redraw if due; `now` from cap_mono_ns(). */
void cap_progress_update(struct cap_progress *pr, uint64_t now,
                         uint64_t bytes_read, uint64_t packets,
                         uint64_t flows, uint64_t drops);
void cap_progress_end(struct cap_progress *pr);

#endif
