/* test_pipe.c -- the reader/flow-table hand-off (capture/pipe.c): the same
 * packets through the pipe (on its thread, inline, or moving between the
 * two as the measured path choice does) and straight into a table give the
 * same flows in the same order. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "harness.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/pipe.h"

#define S (1000000000ull)
#define T0 (1700000000ull * S)
#define NFLOWS 5000
#define MAXGOT (NFLOWS + 16)

struct got {
	struct cap_flow f[MAXGOT];
	unsigned n;
};

static void collect(const struct cap_flow *f, void *ctx)
{
	struct got *g = ctx;
	assert_true(g->n < MAXGOT);
	g->f[g->n++] = *f;
}

static int cpus_usable(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

/* Packet i of the workload: NFLOWS TCP handshakes + close, interleaved
 * over 64 open at a time, one packet per millisecond, and a UDP flow that
 * a tick must end. */
static unsigned workload(struct cap_packet *out, uint64_t *ts, unsigned cap)
{
	unsigned n = 0;
	static const uint8_t seq[] = {
		CAP_TH_SYN, CAP_TH_SYN | CAP_TH_ACK, CAP_TH_ACK,
		CAP_TH_FIN | CAP_TH_ACK, CAP_TH_FIN | CAP_TH_ACK, CAP_TH_ACK,
	};
	for (unsigned g = 0; g < NFLOWS; g += 64) {
		for (unsigned step = 0; step < 6; step++) {
			for (unsigned k = g; k < g + 64 && k < NFLOWS; k++) {
				assert_true(n < cap);
				struct cap_packet *p = &out[n];
				memset(p, 0, sizeof *p);
				p->family = 4;
				p->proto = 6;
				bool back = step == 1 || step == 4;
				uint8_t *c = back ? p->dst : p->src;
				uint8_t *s = back ? p->src : p->dst;
				c[0] = 10; c[1] = 1; c[2] = (uint8_t)(k >> 8);
				c[3] = (uint8_t)k;
				s[0] = 10; s[1] = 0; s[2] = 0; s[3] = 5;
				p->sport = back ? 443 : (uint16_t)(20000 + k);
				p->dport = back ? (uint16_t)(20000 + k) : 443;
				p->tcp_flags = seq[step];
				p->wirelen = 60 + k % 100;
				ts[n] = T0 + (uint64_t)n * 1000000ull;
				n++;
			}
		}
	}
	return n;
}

static void same(const struct got *a, const struct got *b)
{
	assert_int_equal(a->n, b->n);
	for (unsigned i = 0; i < a->n; i++) {
		const struct cap_flow *x = &a->f[i], *y = &b->f[i];
		assert_memory_equal(x->addr_a, y->addr_a, 16);
		assert_int_equal(x->port_a, y->port_a);
		assert_int_equal(x->port_b, y->port_b);
		assert_int_equal(x->outcome, y->outcome);
		assert_int_equal(x->pkts[0], y->pkts[0]);
		assert_int_equal(x->pkts[1], y->pkts[1]);
		assert_int_equal(x->bytes[0], y->bytes[0]);
		assert_int_equal(x->last_ns, y->last_ns);
	}
}

/* How the pipe is set up for same_flows. */
enum how {
	H_AUTO,     /* its thread with two CPUs, measuring which path is faster */
	H_INLINE,   /* never a thread */
	H_THREAD,   /* a thread, whatever the CPUs */
	H_SWITCH,   /* a thread, measured in epochs of 300 packets: it goes
	             * back and forth between the paths many times */
};

static void same_flows(enum how how)
{
	static struct cap_packet pk[6 * NFLOWS];
	static uint64_t ts[6 * NFLOWS];
	unsigned n = workload(pk, ts, 6 * NFLOWS);

	static struct got direct, piped;
	memset(&direct, 0, sizeof direct);
	memset(&piped, 0, sizeof piped);
	struct cap_stats st1, st2;
	memset(&st1, 0, sizeof st1);
	memset(&st2, 0, sizeof st2);

	struct cap_flowtab *t1 = cap_flowtab_new(0, NULL, collect, &direct, &st1);
	assert_non_null(t1);
	for (unsigned i = 0; i < n; i++)
		cap_flowtab_packet(t1, &pk[i], ts[i]);
	unsigned before_flush1 = direct.n;
	uint32_t live1 = cap_flowtab_live(t1);
	cap_flowtab_flush(t1);

	struct cap_flowtab *t2 = cap_flowtab_new(0, NULL, collect, &piped, &st2);
	assert_non_null(t2);
	struct cap_pipe pp;
	static const enum cap_pipe_mode mode[] = {
		CAP_PIPE_AUTO, CAP_PIPE_INLINE, CAP_PIPE_THREAD, CAP_PIPE_THREAD,
	};
	assert_int_equal(cap_pipe_init(&pp, t2, &st2, mode[how]), 0);
	if (how == H_SWITCH) {
		pp.measure = true;
		pp.epoch_pkts = 300;
	}
	for (unsigned i = 0; i < n; i++) {
		*cap_pipe_next(&pp) = pk[i];
		cap_pipe_push(&pp, ts[i]);
		if (i % 1000 == 999)
			cap_pipe_flush(&pp); /* early flushes, as at a dispatch end */
	}
	/* With two CPUs to run on (or forced), the thread was made. */
	if (how == H_INLINE)
		assert_false(pp.threaded);
	else if (how != H_AUTO || cpus_usable() >= 2)
		assert_true(pp.threaded);
	if (how == H_SWITCH) {
		/* thread, inline, inline, thread, then trials */
		assert_true(pp.epochs >= 40); /* of 75 to 300 packets */
		assert_true(pp.switches >= 4);
	}
	cap_pipe_finish(&pp);
	/* Everything pushed was applied before finish returned. */
	assert_int_equal(piped.n, before_flush1);
	assert_int_equal(cap_flowtab_live(t2), live1);
	cap_flowtab_flush(t2);

	same(&direct, &piped);
	assert_int_equal(piped.n, NFLOWS);
	assert_int_equal(st1.flows, st2.flows);
	assert_int_equal(st1.peak_flows, st2.peak_flows);
	cap_flowtab_free(t1);
	cap_flowtab_free(t2);
}

static void test_pipe_same_flows(void **state)
{
	(void)state;
	same_flows(H_AUTO);
}

/* The same on the reader's thread (one CPU, or no thread could be made). */
static void test_pipe_same_flows_inline(void **state)
{
	(void)state;
	same_flows(H_INLINE);
}

/* The same on the thread, even with one CPU (PORTAUDIT_PIPE=thread). */
static void test_pipe_same_flows_thread(void **state)
{
	(void)state;
	same_flows(H_THREAD);
}

/* The same when the table moves from one thread to the other every few
 * hundred packets: each path drains before the other takes the table. */
static void test_pipe_same_flows_switching(void **state)
{
	(void)state;
	same_flows(H_SWITCH);
}

/* A tick goes through the pipe after the packets pushed before it: a UDP
 * flow idle past its timeout is handed on by the tick, before finish. */
/* One epoch of ns per packet on the current path: the path after it. */
static bool epoch(struct cap_pipe *pp, double ns)
{
	return cap_pipe_choose(pp, ns);
}

/* Epochs on the chosen path until a trial of the other begins; returns
 * how many. */
static unsigned until_trial(struct cap_pipe *pp, double ns)
{
	bool chosen = pp->on_thread;
	for (unsigned n = 1; n <= 1000; n++)
		if (epoch(pp, ns) != chosen)
			return n;
	fail_msg("no trial in 1000 epochs");
	return 0;
}

/* CAP_PIPE_AUTO's choice on given figures: each path's faster epoch counts
 * (noise only slows one), short trials, spaced by how much they lost, and
 * a change checked again soon. */
static void test_pipe_chooser(void **state)
{
	(void)state;
	struct cap_pipe pp;
	memset(&pp, 0, sizeof pp);
	pp.epoch_pkts = 1000;
	pp.probe_every = 4;
	pp.on_thread = true;
	/* T, I, I, T; the second thread epoch noisy: thread's best (100)
	 * beats inline's (180), where averages (200 and 190) would not. */
	assert_int_equal(cap_pipe_epoch_len(&pp), 500);
	assert_false(epoch(&pp, 100));
	assert_false(epoch(&pp, 200));
	assert_true(epoch(&pp, 180));
	assert_true(epoch(&pp, 300));
	assert_int_equal(pp.switches, 2);
	assert_int_equal(cap_pipe_epoch_len(&pp), 1000);
	/* The first trial after 4 epochs, a quarter epoch long. */
	assert_int_equal(until_trial(&pp, 100), 4);
	assert_false(pp.on_thread);
	assert_int_equal(cap_pipe_epoch_len(&pp), 250);
	assert_true(epoch(&pp, 200));            /* the trial: lost by half */
	assert_int_equal(cap_pipe_epoch_len(&pp), 1000);
	assert_true(epoch(&pp, 100));            /* after it */
	assert_int_equal(pp.probe_every, 16);   /* x4: lost by >= a quarter */
	/* A close trial (lost by a tenth): the next after twice as many. */
	assert_int_equal(until_trial(&pp, 100), 16);
	assert_true(epoch(&pp, 110));
	assert_true(epoch(&pp, 100));
	assert_int_equal(pp.probe_every, 32);
	/* A trial between a noisy epoch and a quiet one: the quiet one is
	 * thread's figure (100 < 150), so the path stays; the average (300)
	 * would have sent the run inline. */
	assert_int_equal(until_trial(&pp, 500), 32);
	assert_true(epoch(&pp, 150));
	assert_true(epoch(&pp, 100));
	assert_true(pp.on_thread);
	assert_int_equal(pp.probe_every, 128); /* lost by half: x4 */
	/* A trial inline really faster: the change, checked after 2. */
	assert_int_equal(until_trial(&pp, 100), 128);
	assert_true(epoch(&pp, 60));
	assert_false(epoch(&pp, 100));
	assert_false(pp.chosen);
	assert_int_equal(pp.probe_every, 2);
	assert_int_equal(until_trial(&pp, 60), 2);
	assert_true(pp.on_thread);
	assert_int_equal(cap_pipe_epoch_len(&pp), 250);
}

static void test_pipe_tick(void **state)
{
	(void)state;
	static struct got g;
	memset(&g, 0, sizeof g);
	struct cap_stats st;
	memset(&st, 0, sizeof st);
	struct cap_flowtab *t = cap_flowtab_new(0, NULL, collect, &g, &st);
	assert_non_null(t);
	struct cap_pipe pp;
	assert_int_equal(cap_pipe_init(&pp, t, &st, CAP_PIPE_AUTO), 0);
	struct cap_packet *p = cap_pipe_next(&pp);
	memset(p, 0, sizeof *p);
	p->family = 4;
	p->proto = 17;
	p->src[0] = 10; p->src[3] = 1;
	p->dst[0] = 10; p->dst[3] = 2;
	p->sport = 5000;
	p->dport = 514;
	p->wirelen = 100;
	cap_pipe_push(&pp, T0);
	cap_pipe_tick(&pp, T0 + 10 * S);   /* not yet idle long enough */
	cap_pipe_tick(&pp, T0 + 400 * S);  /* past the UDP timeout */
	cap_pipe_finish(&pp);
	assert_int_equal(g.n, 1);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(cap_flowtab_live(t), 0);
	cap_flowtab_free(t);
}

/* cap_pipe_release: pages of a mapping the reader has read past are let
 * go (MADV_DONTNEED) by the thread that applies the packets pushed before
 * them, or at once when that is the reader itself (inline) or the table
 * is behind. Anonymous private pages read as zeros once let go, which
 * shows when it happened. */
static atomic_bool hold_table, table_held;
static atomic_uint flows_seen;

static void block_once(const struct cap_flow *f, void *ctx)
{
	(void)f;
	(void)ctx;
	atomic_fetch_add(&flows_seen, 1);
	atomic_store(&table_held, true);
	while (atomic_load(&hold_table))
		usleep(1000);
}

static void udp_packet(struct cap_pipe *pp, unsigned k, uint64_t ts)
{
	struct cap_packet *p = cap_pipe_next(pp);
	memset(p, 0, sizeof *p);
	p->family = 4;
	p->proto = 17;
	p->src[0] = 10; p->src[2] = (uint8_t)(k >> 8); p->src[3] = (uint8_t)k;
	p->dst[0] = 10; p->dst[3] = 2;
	p->sport = 5000;
	p->dport = 514;
	p->wirelen = 100;
	cap_pipe_push(pp, ts);
}

static bool zeroed(const unsigned char *m, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (m[i] != 0)
			return false;
	return true;
}

static bool intact(const unsigned char *m, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (m[i] != 0xab)
			return false;
	return true;
}

static void test_pipe_release(void **state)
{
	(void)state;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = 64 * pg;
	for (int how = 0; how < 3; how++) { /* inline, thread, table behind */
		unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(m != MAP_FAILED);
		memset(m, 0xab, len);
		struct cap_stats st;
		memset(&st, 0, sizeof st);
		struct cap_flowtab *t = cap_flowtab_new(0, NULL, block_once,
		                                        NULL, &st);
		assert_non_null(t);
		struct cap_pipe pp;
		assert_int_equal(cap_pipe_init(&pp, t, &st, how == 0
		                 ? CAP_PIPE_INLINE : CAP_PIPE_THREAD), 0);
		atomic_store(&hold_table, how == 2);
		atomic_store(&table_held, false);
		atomic_store(&flows_seen, 0);
		udp_packet(&pp, 0, T0);
		cap_pipe_flush(&pp); /* the thread starts */
		if (how == 2) {
			/* the flow times out and its callback holds the table
			 * thread while ten full batches are handed over */
			udp_packet(&pp, 1, T0 + 400 * S);
			cap_pipe_flush(&pp);
			while (!atomic_load(&table_held))
				usleep(1000);
			for (unsigned i = 0; i < 10 * CAP_PIPE_BATCH; i++)
				udp_packet(&pp, 2 + i % 50, T0 + 401 * S);
			/* the batch begun with the table behind: the reader
			 * hashes its keys (and the table uses them, below) */
			assert_true(pp.b[pp.wr].hashed);
			for (unsigned i = 0; i < CAP_PIPE_BATCH / 2; i++)
				udp_packet(&pp, 2 + i % 50, T0 + 401 * S);
		}
		cap_pipe_release(&pp, m, 8 * pg);
		cap_pipe_release(&pp, m + 8 * pg, 8 * pg);  /* runs on */
		if (how == 1) /* with the batch the reader fills: not yet */
			assert_true(intact(m, 0, 16 * pg));
		cap_pipe_release(&pp, m + 32 * pg, 8 * pg); /* another range */
		if (how == 1) {
			/* not after the range the batch held: that one was
			 * let go now, the new one goes with the batch */
			assert_true(zeroed(m, 0, 16 * pg));
			assert_true(intact(m, 32 * pg, 40 * pg));
		} else {
			/* inline, or the table behind: all at once */
			assert_true(zeroed(m, 0, 16 * pg));
			assert_true(zeroed(m, 32 * pg, 40 * pg));
		}
		atomic_store(&hold_table, false);
		cap_pipe_sync(&pp);
		assert_true(zeroed(m, 0, 16 * pg));
		assert_true(zeroed(m, 32 * pg, 40 * pg));
		assert_true(intact(m, 16 * pg, 32 * pg));
		assert_true(intact(m, 40 * pg, len));
		cap_pipe_finish(&pp);
		cap_flowtab_flush(t);
		/* one flow per source address, hashed by either side */
		assert_int_equal(atomic_load(&flows_seen), how == 2 ? 52 : 1);
		cap_flowtab_free(t);
		munmap(m, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_same_flows),
		cmocka_unit_test(test_pipe_same_flows_inline),
		cmocka_unit_test(test_pipe_same_flows_thread),
		cmocka_unit_test(test_pipe_same_flows_switching),
		cmocka_unit_test(test_pipe_tick),
		cmocka_unit_test(test_pipe_chooser),
		cmocka_unit_test(test_pipe_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
