/*
 * pipe.c -- the reader/flow-table hand-off (see pipe.h).
 *
 * Design. A ring of CAP_PIPE_SLOTS batches. The reader owns batch `wr`
 * and fills it in place (cap_pipe_next/cap_pipe_push: the decoder writes
 * straight into it, nothing is copied); a flush hands it over (count++)
 * and takes the next one, waiting while every batch is handed over. The
 * flow-table thread takes batch `rd` once count > 0, applies it outside
 * the lock, then frees it (count--). Batches rd .. rd+count-1 are the
 * table's and `wr` is the reader's; they never overlap because the reader
 * waits for count < CAP_PIPE_SLOTS before it moves to the next batch.
 * One mutex and two condition variables; a hand-off costs a lock per 256
 * packets. SIGINT and SIGTERM are blocked in the thread, so the capture's
 * handler runs on the reader's thread, which stops reading.
 *
 * Why: reading (the kernel's copy, stdio, libpcap) and decoding take about
 * as long as the flow table and classification together; on two CPUs they
 * overlap (docs/flows.md, "Speed", has the figures). The thread is made
 * only when the process may run on two CPUs (its affinity mask); else, or
 * when pthread_create fails, a flush applies the batch on the spot.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "pipe.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void apply(struct cap_pipe *pp, struct cap_pipe_batch *b)
{
	if (b->n)
		cap_flowtab_batch(pp->ft, b->pkt, b->ts, b->n);
	if (b->tick_ns)
		cap_flowtab_tick(pp->ft, b->tick_ns);
	uint64_t flows = (pp->st ? pp->st->flows : 0) + cap_flowtab_live(pp->ft);
	atomic_store_explicit(&pp->flows, flows, memory_order_relaxed);
}

static void *table_thread(void *arg)
{
	struct cap_pipe *pp = arg;
	for (;;) {
		pthread_mutex_lock(&pp->mu);
		while (pp->count == 0 && !pp->done)
			pthread_cond_wait(&pp->ready, &pp->mu);
		if (pp->count == 0) { /* done, and nothing left */
			pthread_mutex_unlock(&pp->mu);
			return NULL;
		}
		pthread_mutex_unlock(&pp->mu);
		apply(pp, &pp->b[pp->rd]);
		pp->rd = (pp->rd + 1) % CAP_PIPE_SLOTS;
		pthread_mutex_lock(&pp->mu);
		pp->count--;
		pthread_cond_signal(&pp->room);
		pthread_mutex_unlock(&pp->mu);
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
                  struct cap_stats *st, bool threads)
{
	memset(pp, 0, sizeof *pp);
	pp->ft = ft;
	pp->st = st;
	pp->b = calloc(CAP_PIPE_SLOTS, sizeof *pp->b);
	if (!pp->b)
		return -1;
	atomic_init(&pp->flows, 0);
	pp->want_thread = threads && usable_cpus() >= 2;
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
		return;
	}
	pp->threaded = true;
}

void cap_pipe_flush(struct cap_pipe *pp)
{
	struct cap_pipe_batch *b = &pp->b[pp->wr];
	if (b->n == 0 && b->tick_ns == 0)
		return;
	if (pp->want_thread)
		start_thread(pp);
	if (!pp->threaded) {
		apply(pp, b);
	} else {
		pthread_mutex_lock(&pp->mu);
		pp->count++;
		pthread_cond_signal(&pp->ready);
		while (pp->count == CAP_PIPE_SLOTS)
			pthread_cond_wait(&pp->room, &pp->mu);
		pthread_mutex_unlock(&pp->mu);
		pp->wr = (pp->wr + 1) % CAP_PIPE_SLOTS;
		b = &pp->b[pp->wr];
	}
	b->n = 0;
	b->tick_ns = 0;
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
	free(pp->b);
	pp->b = NULL;
}
