/*
 * pipe.h -- capture/ internal: decoded packets from the reader to the flow
 * table, on a second thread when the machine has a second CPU and that is
 * measured faster (pipe.c).
 *
 * The reader (libpcap, the decoders) fills batches of CAP_PIPE_BATCH
 * decoded packets in place (the packets of one frame, an outer packet
 * and those inside its tunnels, go into one batch, in order); a full batch, or one flushed early (the end
 * of a pcap_dispatch call, a live tick), goes to the flow-table thread,
 * which applies the packets in order with cap_flowtab_batch(), so that
 * flows, their order and every counter are those of a single thread. Work
 * either side can do goes to the one with time to spare (pipe.c,
 * "Balance"): the flow keys' hashes, and letting go of the pages of a
 * mapped file the reader has read past (cap_pipe_release). The
 * flow table's callback (classification, streamed reports) runs on that
 * thread. Memory is CAP_PIPE_SLOTS batches, allocated at start; when they
 * are all waiting the reader waits. Without a second CPU, when the thread
 * cannot be made, or while the path measured faster is the reader's own,
 * every hand-off applies the batch at once, on the reader's thread.
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
#define CAP_PIPE_SLOTS 16  /* batches in flight (a power of two) */
#define CAP_PIPE_WAKE 8    /* batches waiting that wake the table thread */
#define CAP_PIPE_EPOCH 65536 /* packets timed on one path (CAP_PIPE_AUTO) */

/* Where the flow table runs (cap_pipe_init, pipe.c). */
enum cap_pipe_mode {
	CAP_PIPE_INLINE = 0, /* on the reader's thread */
	CAP_PIPE_AUTO,       /* with two usable CPUs, the path measured faster */
	CAP_PIPE_TWO_CPUS,   /* on a second thread when two CPUs are usable */
	CAP_PIPE_THREAD,     /* on a second thread */
};

/* A batch holds CAP_PIPE_BATCH packets and room for the other packets of
 * the frame that fills it (a tunnel's: cap_decode_frame writes up to
 * CAP_DECODE_MAX from cap_pipe_next on), so a frame never straddles two
 * batches and the decoder always writes in place. */
#define CAP_PIPE_ROOM (CAP_PIPE_BATCH + CAP_DECODE_MAX - 1)

struct cap_pipe_batch {
	struct cap_packet pkt[CAP_PIPE_ROOM];
	uint64_t ts[CAP_PIPE_ROOM];
	uint64_t hash[CAP_PIPE_ROOM]; /* cap_flowtab_hash(), when hashed */
	bool hashed;      /* the reader hashed the keys (the table behind) */
	unsigned n;
	char *rel;        /* after the packets, let go of these mapped */
	size_t rel_len;   /* pages (cap_pipe_release); 0 none */
	uint64_t tick_ns; /* after the packets, let the table's clock pass to
	                   * this (a quiet live link); 0 none */
};

struct cap_pipe {
	struct cap_flowtab *ft;
	struct cap_stats *st;
	struct cap_pipe_batch *b; /* [CAP_PIPE_SLOTS] */
	unsigned wr;              /* the batch the reader fills (reader's) */
	unsigned head_mine;       /* batches handed over (reader's copy) */
	bool want_thread;         /* start one at the first hand-off */
	bool threaded;            /* the thread runs */
	bool on_thread;           /* batches go to it (else applied here) */
	/* CAP_PIPE_AUTO: the path measured (reader's, see pipe.c). */
	bool measure, chosen;     /* measuring; the path chosen (thread) */
	unsigned phase;           /* 0 chosen, 1 trying the other, 2 after */
	double before;            /* the chosen path's epoch before a trial */
	uint32_t epoch_pkts;      /* CAP_PIPE_EPOCH (tests make it small) */
	uint32_t epoch_n;         /* packets handed over in this epoch */
	uint64_t carry;           /* packets in the ring when it began */
	uint64_t epoch_start;     /* cap_mono_ns() */
	double ns_per_pkt[2];     /* last measure: [0] inline, [1] thread */
	unsigned epochs, since_probe, probe_every, switches;
	uint64_t wakes, waits;    /* the table woken, the reader waiting */
	uint64_t reader_asleep_ns; /* the reader waiting for room */
	uint64_t table_asleep_ns;  /* the table thread waiting for batches */
	uint64_t table_cpu_ns;     /* its CPU time, when it ended */
	pthread_t th;
	pthread_mutex_t mu;       /* guards done, and the sleeps */
	pthread_cond_t ready;     /* batches were handed over, or done */
	pthread_cond_t room;      /* the reader may go on */
	bool done;
	/* Written by one thread each, read by the other: one cache line
	 * each, so that a store does not take the other's line away. */
	_Alignas(64) _Atomic unsigned head;  /* batches handed over */
	_Alignas(64) _Atomic unsigned tail;  /* batches applied */
	_Alignas(64) _Atomic bool table_waits; /* asleep on ready */
	_Atomic bool reader_waits;           /* asleep on room */
	_Atomic unsigned room_at;  /* ... until at most this many are used */
	_Atomic uint64_t flows;   /* flows seen (handed on + live) after the
	                           * last batch applied: for the progress line */
};

/* Set up (no thread yet: it starts at the first hand-off, so after -Z has
 * dropped privileges). -1 when out of memory. */
int cap_pipe_init(struct cap_pipe *pp, struct cap_flowtab *ft,
                  struct cap_stats *st, enum cap_pipe_mode mode);

/* The packet the reader decodes into next (it stays the next one until
 * cap_pipe_push); CAP_DECODE_MAX packets from there are free. */
static inline struct cap_packet *cap_pipe_next(struct cap_pipe *pp)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	return &b->pkt[b->n];
}

/* Hand the batch over now, and let the table have it at once (the end
 * of a live dispatch: a packet waits for no more). */
void cap_pipe_flush(struct cap_pipe *pp);
/* Hand a full batch over (the table is woken when enough wait). */
void cap_pipe_full(struct cap_pipe *pp);

/* Keep the packet cap_pipe_next returned, seen at ts. Its pointers into
 * libpcap's buffer must be cleared: the table reads it later. */
static inline void cap_pipe_push(struct cap_pipe *pp, uint64_t ts)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	if (b->hashed)
		b->hash[b->n] = cap_flowtab_hash(pp->ft, &b->pkt[b->n]);
	b->ts[b->n++] = ts;
	if (b->n >= CAP_PIPE_BATCH)
		cap_pipe_full(pp);
}

/* Keep the n packets (1..CAP_DECODE_MAX) of one frame that the decoder
 * wrote from cap_pipe_next on, all seen at ts. */
static inline void cap_pipe_push_n(struct cap_pipe *pp, uint64_t ts,
                                   unsigned n)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	for (unsigned i = 0; i < n; i++) {
		if (b->hashed)
			b->hash[b->n] = cap_flowtab_hash(pp->ft, &b->pkt[b->n]);
		b->ts[b->n++] = ts;
	}
	if (b->n >= CAP_PIPE_BATCH)
		cap_pipe_full(pp);
}

/* Let go of [addr, addr + len), pages of a file mapping the reader has
 * read past (madvise MADV_DONTNEED), once the packets pushed so far are
 * applied, on the thread that applies them. The mapping must stay until
 * then: cap_pipe_sync() before unmapping it. */
void cap_pipe_release(struct cap_pipe *pp, void *addr, size_t len);

/* Let the table's clock pass to now_ns (cap_flowtab_tick), after the
 * packets pushed so far. */
void cap_pipe_tick(struct cap_pipe *pp, uint64_t now_ns);

/* Flows handed on plus flows in the table, as of the last batch applied. */
uint64_t cap_pipe_flows(struct cap_pipe *pp);

/* Apply everything pushed, stop the thread, free the batches. The table
 * may then be used (flushed) by the caller's thread. */
void cap_pipe_finish(struct cap_pipe *pp);

/* CAP_PIPE_AUTO's choice (pipe.c "Path"), apart from the clock so that
 * tests can give it figures: the path after an epoch of ns nanoseconds
 * per packet on pp->on_thread (set to it, and returned), and the packets
 * the epoch now beginning lasts (half CAP_PIPE_EPOCH for the first four, a
 * quarter for a trial of the other path). */
bool cap_pipe_choose(struct cap_pipe *pp, double ns);
uint32_t cap_pipe_epoch_len(const struct cap_pipe *pp);
/* Hand over what the reader holds and wait until the table has applied
 * every batch (the thread, if any, then idle until the next hand-over):
 * what the table did is visible to the reader (--interval). */
void cap_pipe_sync(struct cap_pipe *pp);

#endif
