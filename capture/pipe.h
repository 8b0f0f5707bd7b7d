/*
 * pipe.h -- capture/ internal: decoded packets from the reader to the flow
 * table, on a second thread when the machine has a second CPU (pipe.c).
 *
 * The reader (libpcap, the decoders) fills batches of CAP_PIPE_BATCH
 * decoded packets in place (the packets of one frame, an outer packet
 * and those inside its tunnels, go into one batch, in order); a full batch, or one flushed early (the end
 * of a pcap_dispatch call, a live tick), goes to the flow-table thread,
 * which applies the packets in order with cap_flowtab_batch(), so that
 * flows, their order and every counter are those of a single thread. The
 * flow table's callback (classification, streamed reports) runs on that
 * thread. Memory is CAP_PIPE_SLOTS batches, allocated at start; when they
 * are all waiting the reader waits. Without a second CPU, or when the
 * thread cannot be made, every flush applies the batch at once, on the
 * reader's thread.
 */
#ifndef PORTAUDIT_CAPTURE_PIPE_H
#define PORTAUDIT_CAPTURE_PIPE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "flow.h"

#define CAP_PIPE_BATCH 256 /* packets per batch */
#define CAP_PIPE_SLOTS 4   /* batches in flight */

/* A batch holds CAP_PIPE_BATCH packets and room for the other packets of
 * the frame that fills it (a tunnel's: cap_decode_frame writes up to
 * CAP_DECODE_MAX from cap_pipe_next on), so a frame never straddles two
 * batches and the decoder always writes in place. */
#define CAP_PIPE_ROOM (CAP_PIPE_BATCH + CAP_DECODE_MAX - 1)

struct cap_pipe_batch {
	struct cap_packet pkt[CAP_PIPE_ROOM];
	uint64_t ts[CAP_PIPE_ROOM];
	unsigned n;
	uint64_t tick_ns; /* after the packets, let the table's clock pass to
	                   * this (a quiet live link); 0 none */
};

struct cap_pipe {
	struct cap_flowtab *ft;
	struct cap_stats *st;
	struct cap_pipe_batch *b; /* [CAP_PIPE_SLOTS] */
	unsigned wr;              /* the batch the reader fills (reader's) */
	unsigned rd;              /* the next batch to apply (table's) */
	bool want_thread;         /* a second CPU: start one at first flush */
	bool threaded;            /* the thread runs */
	pthread_t th;
	pthread_mutex_t mu;       /* guards count, done */
	pthread_cond_t ready;     /* a batch was handed over, or done */
	pthread_cond_t room;      /* a batch was applied */
	unsigned count;           /* batches handed over, not yet applied */
	bool done;
	_Atomic uint64_t flows;   /* flows seen (handed on + live) after the
	                           * last batch applied: for the progress line */
};

/* Set up (no thread yet: it starts at the first flush, so after -Z has
 * dropped privileges; never when `threads` is false). -1 when out of
 * memory. */
int cap_pipe_init(struct cap_pipe *pp, struct cap_flowtab *ft,
                  struct cap_stats *st, bool threads);

/* The packet the reader decodes into next (it stays the next one until
 * cap_pipe_push); CAP_DECODE_MAX packets from there are free. */
static inline struct cap_packet *cap_pipe_next(struct cap_pipe *pp)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	return &b->pkt[b->n];
}

void cap_pipe_flush(struct cap_pipe *pp);

/* Keep the packet cap_pipe_next returned, seen at ts. Its pointers into
 * libpcap's buffer must be cleared: the table reads it later. */
static inline void cap_pipe_push(struct cap_pipe *pp, uint64_t ts)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	b->ts[b->n++] = ts;
	if (b->n >= CAP_PIPE_BATCH)
		cap_pipe_flush(pp);
}

/* Keep the n packets (1..CAP_DECODE_MAX) of one frame that the decoder
 * wrote from cap_pipe_next on, all seen at ts. */
static inline void cap_pipe_push_n(struct cap_pipe *pp, uint64_t ts,
                                   unsigned n)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	for (unsigned i = 0; i < n; i++)
		b->ts[b->n++] = ts;
	if (b->n >= CAP_PIPE_BATCH)
		cap_pipe_flush(pp);
}

/* Let the table's clock pass to now_ns (cap_flowtab_tick), after the
 * packets pushed so far. */
void cap_pipe_tick(struct cap_pipe *pp, uint64_t now_ns);

/* Flows handed on plus flows in the table, as of the last batch applied. */
uint64_t cap_pipe_flows(struct cap_pipe *pp);

/* Apply everything pushed, stop the thread, free the batches. The table
 * may then be used (flushed) by the caller's thread. */
void cap_pipe_finish(struct cap_pipe *pp);

#endif
