/*
 * pipe.c -- the reader/flow-table hand-off (see pipe.h).
 *
 * Design. A ring of CAP_PIPE_SLOTS batches between two counters: `head`,
 * the batches the reader has handed over, and `tail`, the batches the
 * flow-table thread has applied, each alone on its cache line and written
 * by one thread only. The reader fills batch head % SLOTS in place
 * (cap_pipe_next/cap_pipe_push: the decoder writes straight into it,
 * nothing is copied), then publishes it by storing head + 1; the table
 * thread applies batches tail .. head - 1 outside any lock and stores the
 * new tail after each. No lock is taken while both are busy.
 *
 * Sleeping. A thread with nothing to do sleeps on a condition variable
 * after saying so in a flag (table_waits, reader_waits); the other wakes
 * it only when the flag is set, so a hand-off between two busy threads is
 * two atomic stores and a load. The flag is set and the counter re-read
 * under the mutex, and the other side stores its counter before reading
 * the flag (both sequentially consistent), so no wake-up is lost. Wake-ups
 * are batched: the table thread is woken when CAP_PIPE_WAKE batches wait
 * (or at once for a flush: end of capture, a live dispatch, a tick), the
 * reader when half the ring is free again (or all of it, to drain). On a
 * virtual machine a wake-up is a trip through the hypervisor; one per
 * batch of 256 packets, as before, cost more than the second thread saved
 * (docs/flows.md, "Speed").
 *
 * Path. The second thread pays only when it has a CPU of its own and the
 * hand-off costs less than the work it takes away, which depends on the
 * machine, its load and the traffic. CAP_PIPE_AUTO (reading files) measures
 * it: the run is cut in epochs of CAP_PIPE_EPOCH packets, each timed
 * (CLOCK_MONOTONIC, once an epoch) on one path. The first four, half
 * epochs, run thread, inline, inline, thread; then the faster path
 * (nanoseconds per packet, the faster of each path's two epochs: other
 * work on the machine only ever slows an epoch) runs on, and the other is
 * tried again for a quarter epoch after 4 epochs, then 8, 16 ... up to
 * 256 while the choice holds (x4 instead of x2 when the trial lost by a
 * quarter or more; 2 again after a change, so that a change made on a
 * noisy epoch is soon undone). A machine that gets busy or quiet is
 * followed at a cost of at most a quarter epoch in 4 at first, one in 256
 * at length (epoch_end). A thread epoch
 * ends when its batches are applied: switching to inline first drains the
 * ring (the table thread then sleeps, idle), and switching back hands
 * batches over again; the flow table is used by one thread at a time, and
 * the counters' stores and loads order its use. Without two usable CPUs
 * (its affinity mask) AUTO and CAP_PIPE_TWO_CPUS stay inline;
 * CAP_PIPE_TWO_CPUS (live capture, whose pace is the network's) runs the
 * thread whenever there are two; CAP_PIPE_INLINE and CAP_PIPE_THREAD force
 * a path (cap_run takes them from PORTAUDIT_PIPE, for the benchmark).
 * When pthread_create fails, a hand-off applies the batch on the spot.
 * SIGINT and SIGTERM are blocked in the thread, so the capture's handler
 * runs on the reader's thread, which stops reading.
 *
 * Balance. On a capture of many small flows the table thread is the
 * slower (a port scan); on one of long conversations (the mixed capture
 * of `make bench`) either can be: the reader when the file is cached in
 * 4 KiB pages (a fault and a TLB miss every few packets), the table when
 * in 2 MiB pages. Two pieces of work can go either way, and go to the
 * side with time to spare: while the table is behind (table_behind), the
 * reader hashes the flow keys of the batch it begins (cap_flowtab_hash,
 * about 6% of the work) and lets go of the pages it has read past itself;
 * otherwise the table thread does both. PORTAUDIT_PIPE_DEBUG prints each
 * thread's CPU and sleep: the faster one sleeps.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "pipe.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void apply(struct cap_pipe *pp, struct cap_pipe_batch *b)
{
	if (b->n)
		cap_flowtab_batch_hashed(pp->ft, b->pkt, b->ts,
		                         b->hashed ? b->hash : NULL, b->n);
	if (b->rel_len) {
		(void)madvise(b->rel, b->rel_len, MADV_DONTNEED);
		b->rel_len = 0;
	}
	if (b->tick_ns)
		cap_flowtab_tick(pp->ft, b->tick_ns);
	uint64_t flows = (pp->st ? pp->st->flows : 0) + cap_flowtab_live(pp->ft);
	atomic_store_explicit(&pp->flows, flows, memory_order_relaxed);
	b->n = 0;
	b->tick_ns = 0;
}

/* CPU time of the calling thread (PORTAUDIT_PIPE_DEBUG). */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Batches handed over and not yet applied. */
static unsigned used(unsigned head, unsigned tail)
{
	return head - tail;
}

static void *table_thread(void *arg)
{
	struct cap_pipe *pp = arg;
	unsigned t = 0;
	for (;;) {
		unsigned h = atomic_load_explicit(&pp->head, memory_order_acquire);
		if (h == t) {
			pthread_mutex_lock(&pp->mu);
			atomic_store(&pp->table_waits, true);
			uint64_t w0 = cap_mono_ns();
			while ((h = atomic_load(&pp->head)) == t && !pp->done)
				pthread_cond_wait(&pp->ready, &pp->mu);
			pp->table_asleep_ns += cap_mono_ns() - w0;
			atomic_store(&pp->table_waits, false);
			pthread_mutex_unlock(&pp->mu);
			if (h == t) { /* done, and nothing left */
				pp->table_cpu_ns = thread_cpu_ns();
				return NULL;
			}
		}
		while (t != h) {
			apply(pp, &pp->b[t % CAP_PIPE_SLOTS]);
			t++;
			atomic_store(&pp->tail, t);
			if (atomic_load(&pp->reader_waits) &&
			    used(atomic_load(&pp->head), t) <=
			    atomic_load_explicit(&pp->room_at,
			                         memory_order_relaxed)) {
				pthread_mutex_lock(&pp->mu);
				pthread_cond_signal(&pp->room);
				pthread_mutex_unlock(&pp->mu);
			}
		}
	}
}

/* CPUs this process may run on (taskset, a container's cpuset), else the
 * CPUs online. */
static long usable_cpus(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

int cap_pipe_init(struct cap_pipe *pp, struct cap_flowtab *ft,
                  struct cap_stats *st, enum cap_pipe_mode mode)
{
	memset(pp, 0, sizeof *pp);
	pp->ft = ft;
	pp->st = st;
	pp->b = calloc(CAP_PIPE_SLOTS, sizeof *pp->b);
	if (!pp->b)
		return -1;
	atomic_init(&pp->flows, 0);
	atomic_init(&pp->head, 0);
	atomic_init(&pp->tail, 0);
	atomic_init(&pp->room_at, CAP_PIPE_SLOTS / 2);
	atomic_init(&pp->table_waits, false);
	atomic_init(&pp->reader_waits, false);
	bool two = mode != CAP_PIPE_INLINE && mode != CAP_PIPE_THREAD &&
	           usable_cpus() >= 2;
	pp->want_thread = mode == CAP_PIPE_THREAD || two;
	pp->measure = mode == CAP_PIPE_AUTO && two;
	pp->on_thread = pp->want_thread;
	pp->epoch_pkts = CAP_PIPE_EPOCH;
	pp->probe_every = 4; /* the first choice is confirmed soon */
	return 0;
}

static void start_thread(struct cap_pipe *pp)
{
	pp->want_thread = false; /* one attempt */
	if (pthread_mutex_init(&pp->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&pp->ready, NULL) != 0) {
		pthread_mutex_destroy(&pp->mu);
		return;
	}
	if (pthread_cond_init(&pp->room, NULL) != 0) {
		pthread_cond_destroy(&pp->ready);
		pthread_mutex_destroy(&pp->mu);
		return;
	}
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = pthread_create(&pp->th, NULL, table_thread, pp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&pp->room);
		pthread_cond_destroy(&pp->ready);
		pthread_mutex_destroy(&pp->mu);
		pp->on_thread = pp->measure = false;
		return;
	}
	pp->threaded = true;
}

/* The reader waits until at most `left` batches are the table's. */
static void wait_room(struct cap_pipe *pp, unsigned left)
{
	unsigned h = pp->head_mine;
	if (used(h, atomic_load(&pp->tail)) <= left)
		return;
	pthread_mutex_lock(&pp->mu);
	/* The table thread may sleep with fewer than CAP_PIPE_WAKE batches
	 * waiting (a drain): wake it, or no one would. */
	if (atomic_load(&pp->table_waits))
		pthread_cond_signal(&pp->ready);
	atomic_store_explicit(&pp->room_at, left, memory_order_relaxed);
	atomic_store(&pp->reader_waits, true);
	uint64_t w0 = cap_mono_ns();
	while (used(h, atomic_load(&pp->tail)) > left)
		pthread_cond_wait(&pp->room, &pp->mu);
	pp->reader_asleep_ns += cap_mono_ns() - w0;
	atomic_store(&pp->reader_waits, false);
	pthread_mutex_unlock(&pp->mu);
	pp->waits++;
}

/* The table thread is behind the reader: more than CAP_PIPE_WAKE batches
 * wait (a reader ahead of it keeps the ring under that: the table sleeps
 * until CAP_PIPE_WAKE wait, then empties it). See "Balance". */
static bool table_behind(struct cap_pipe *pp)
{
	return used(pp->head_mine, atomic_load_explicit(&pp->tail,
	            memory_order_relaxed)) > CAP_PIPE_WAKE;
}

/* Give the reader's batch to the table thread; `now`: wake it whatever
 * the number of batches waiting. Then take the next free batch. */
static void give(struct cap_pipe *pp, bool now)
{
	unsigned h = ++pp->head_mine;
	atomic_store(&pp->head, h);
	if (atomic_load(&pp->table_waits) &&
	    (now || used(h, atomic_load_explicit(&pp->tail,
	                 memory_order_relaxed)) >= CAP_PIPE_WAKE)) {
		pthread_mutex_lock(&pp->mu);
		pthread_cond_signal(&pp->ready);
		pthread_mutex_unlock(&pp->mu);
		pp->wakes++;
	}
	if (used(h, atomic_load_explicit(&pp->tail, memory_order_acquire)) >=
	    CAP_PIPE_SLOTS)
		wait_room(pp, CAP_PIPE_SLOTS / 2); /* every batch is the table's */
	pp->wr = h % CAP_PIPE_SLOTS;
	pp->b[pp->wr].hashed = table_behind(pp);
}

/* The path after an epoch of `ns` nanoseconds per packet on the path
 * pp->on_thread (CAP_PIPE_AUTO): pure bookkeeping, no clock, so that tests
 * can give it figures. Comparisons are symmetric in time, so that a
 * capture whose packets cost more as it goes (a fuller table) favours
 * neither: the first four epochs run thread, inline, inline, thread; a
 * later trial of the other path is compared with the chosen path's epochs
 * just before and just after it. A busy machine only ever makes an epoch
 * slower, so a path's figure is the faster of its epochs. */
bool cap_pipe_choose(struct cap_pipe *pp, double ns)
{
	bool was = pp->on_thread, next;
	unsigned k = pp->epochs++;
	if (k < 4) {
		if (k < 2 || ns < pp->ns_per_pkt[was])
			pp->ns_per_pkt[was] = ns;
		next = k == 1 ? was : !was;
		if (k == 3)
			next = pp->chosen = pp->ns_per_pkt[1] < pp->ns_per_pkt[0];
	} else if (pp->phase == 1) {             /* the trial just ended */
		pp->ns_per_pkt[was] = ns;
		next = pp->chosen;
		pp->phase = 2;
	} else if (pp->phase == 2) {             /* the chosen path, after */
		pp->ns_per_pkt[was] = pp->before < ns ? pp->before : ns;
		bool other = pp->ns_per_pkt[!was] < pp->ns_per_pkt[was];
		/* A trial costs what the other path loses on it: when it lost
		 * by a quarter or more, wait four times longer for the next
		 * one, else twice. A change is checked again after two
		 * epochs: on a noisy machine a wrong change costs the gap on
		 * every epoch until the next trial. */
		unsigned grow = pp->ns_per_pkt[!was] >=
		                1.25 * pp->ns_per_pkt[was] ? 4 : 2;
		pp->probe_every = other ? 2 : pp->probe_every * grow < 256
		                              ? pp->probe_every * grow : 256;
		if (other)
			pp->chosen = !was;
		next = pp->chosen;
		pp->phase = 0;
		pp->since_probe = 0;
	} else if (++pp->since_probe >= pp->probe_every) {
		pp->before = ns;                     /* the chosen path, before */
		next = !pp->chosen;
		pp->phase = 1;
	} else {
		next = pp->chosen;
	}
	pp->switches += next != was;
	pp->on_thread = next;
	return next;
}

uint32_t cap_pipe_epoch_len(const struct cap_pipe *pp)
{
	uint32_t d = pp->epochs < 4 ? 2 : pp->phase == 1 ? 4 : 1;
	uint32_t n = pp->epoch_pkts / d;
	return n ? n : 1;
}

/* The end of an epoch (CAP_PIPE_AUTO): its nanoseconds per packet, and
 * the path of the next one. An epoch is charged with the packets it
 * completed: on the thread, those handed over less those still in the
 * ring at its end (plus those in it at its start), so that the ring's
 * slack favours neither path. */
static void epoch_end(struct cap_pipe *pp)
{
	uint64_t t = cap_mono_ns();
	bool was = pp->on_thread;
	uint64_t pending = was ? (uint64_t)used(pp->head_mine,
	                          atomic_load(&pp->tail)) * CAP_PIPE_BATCH : 0;
	uint64_t done = pp->epoch_n + pp->carry;
	done = done > pending ? done - pending : 1;
	bool next = cap_pipe_choose(pp, (double)(t - pp->epoch_start) /
	                                (double)done);
	pp->carry = pending;
	pp->epoch_start = t;
	pp->epoch_n = 0;
	if (was && !next)
		wait_room(pp, 0); /* drained: in the next epoch's time */
}

/* Hand the reader's batch over (`now`: the table must have it without
 * delay), or apply it here. */
static void hand_over(struct cap_pipe *pp, bool now)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	if (b->n == 0 && b->tick_ns == 0 && b->rel_len == 0)
		return;
	if (pp->want_thread) {
		start_thread(pp);
		pp->epoch_start = cap_mono_ns();
	}
	unsigned n = b->n;
	if (pp->threaded && pp->on_thread) {
		give(pp, now);
	} else {
		apply(pp, b);
		b->hashed = false; /* refilled here: no table to be behind */
	}
	if (pp->measure) {
		pp->epoch_n += n;
		if (pp->epoch_n >= cap_pipe_epoch_len(pp))
			epoch_end(pp);
	}
}

void cap_pipe_full(struct cap_pipe *pp)
{
	hand_over(pp, false);
}

void cap_pipe_flush(struct cap_pipe *pp)
{
	hand_over(pp, true);
}

/* The table behind, the reader lets go of the pages now; else they go
 * with the batch, to the table thread. Inline, apply() runs here anyway. */
void cap_pipe_release(struct cap_pipe *pp, void *addr, size_t len)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	if (!(pp->threaded && pp->on_thread) || table_behind(pp)) {
		(void)madvise(addr, len, MADV_DONTNEED);
		return;
	}
	if (b->rel_len && b->rel + b->rel_len != (char *)addr) {
		/* not after the range held (another file): that one now */
		(void)madvise(b->rel, b->rel_len, MADV_DONTNEED);
		b->rel_len = 0;
	}
	if (b->rel_len == 0)
		b->rel = addr;
	b->rel_len += len;
}

void cap_pipe_tick(struct cap_pipe *pp, uint64_t now_ns)
{
	pp->b[pp->wr].tick_ns = now_ns ? now_ns : 1;
	cap_pipe_flush(pp);
}

uint64_t cap_pipe_flows(struct cap_pipe *pp)
{
	return atomic_load_explicit(&pp->flows, memory_order_relaxed);
}

void cap_pipe_sync(struct cap_pipe *pp)
{
	if (!pp->b)
		return;
	cap_pipe_flush(pp);
	if (pp->threaded)
		wait_room(pp, 0);
}

void cap_pipe_finish(struct cap_pipe *pp)
{
	if (!pp->b)
		return;
	cap_pipe_flush(pp);
	if (pp->threaded) {
		pthread_mutex_lock(&pp->mu);
		pp->done = true;
		pthread_cond_signal(&pp->ready);
		pthread_mutex_unlock(&pp->mu);
		pthread_join(pp->th, NULL);
		pthread_cond_destroy(&pp->room);
		pthread_cond_destroy(&pp->ready);
		pthread_mutex_destroy(&pp->mu);
		pp->threaded = false;
	}
	if (getenv("PORTAUDIT_PIPE_DEBUG")) {
		/* which side was the slower: the other one slept */
		fprintf(stderr, "pipe: epochs %u switches %u thread %.1f ns/pkt "
		        "inline %.1f ns/pkt on_thread %d wakes %llu waits %llu\n",
		        pp->epochs, pp->switches, pp->ns_per_pkt[1],
		        pp->ns_per_pkt[0], pp->on_thread,
		        (unsigned long long)pp->wakes,
		        (unsigned long long)pp->waits);
		fprintf(stderr, "pipe: reader CPU %.3f s asleep %.3f s; table "
		        "thread CPU %.3f s asleep %.3f s\n",
		        (double)thread_cpu_ns() / 1e9,
		        (double)pp->reader_asleep_ns / 1e9,
		        (double)pp->table_cpu_ns / 1e9,
		        (double)pp->table_asleep_ns / 1e9);
	}
	free(pp->b);
	pp->b = NULL;
}
