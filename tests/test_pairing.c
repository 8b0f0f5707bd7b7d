/* test_pairing.c -- the pairer (capture/pairing.c) on written records:
 * pairing, initiator and outcome rules, merge, duplicates, the hold and
 * active windows, biflows, ICMP unreachable inference, the table's cap. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/rec_int.h"
#include "capture/records.h"

#define S (1000000000ull)
#define MS (1000000ull)
#define T0 (1767607200ull * S) /* 2026-01-05T10:00:00Z */
#define HOLD (60 * S)
#define ACTIVE (1800 * S)
#define MAXGOT 256

static struct cap_flow got[MAXGOT];
static unsigned ngot;
static struct cap_rec_stats rs;

static void collect(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	if (ngot < MAXGOT)
		got[ngot] = *f;
	ngot++;
}

static struct cap_pairer *fresh_pm(uint32_t max, const struct cap_portmap *pm)
{
	ngot = 0;
	memset(&rs, 0, sizeof rs);
	struct cap_pairer *p = cap_pairer_new(collect, NULL, pm, &rs, max, HOLD,
	                                      ACTIVE);
	assert_non_null(p);
	return p;
}

static struct cap_pairer *fresh(void)
{
	return fresh_pm(1024, NULL);
}

static void addr(uint8_t *a, uint8_t family, const char *s)
{
	memset(a, 0, 16);
	if (family == 4) {
		unsigned x[4];
		assert_int_equal(sscanf(s, "%u.%u.%u.%u", &x[0], &x[1], &x[2],
		                        &x[3]), 4);
		for (int i = 0; i < 4; i++)
			a[i] = (uint8_t)x[i];
	} else {
		/* "2001:db8::N" only */
		unsigned n;
		assert_int_equal(sscanf(s, "2001:db8::%x", &n), 1);
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[15] = (uint8_t)n;
	}
}

/* A uniflow record: src:sport -> dst:dport, times relative to T0 (ms). */
static struct cap_record rec(const char *src, uint16_t sport, const char *dst,
                             uint16_t dport, uint8_t proto, uint8_t flags,
                             uint64_t pkts, uint64_t t1_ms, uint64_t t2_ms,
                             uint32_t exporter)
{
	struct cap_record r;
	memset(&r, 0, sizeof r);
	r.family = strchr(src, ':') ? 6 : 4;
	r.proto = proto;
	addr(r.src, r.family, src);
	addr(r.dst, r.family, dst);
	r.sport = sport;
	r.dport = dport;
	r.pkts = pkts;
	r.bytes = pkts * 100;
	r.first_ns = T0 + t1_ms * MS;
	r.last_ns = T0 + t2_ms * MS;
	r.tcp_flags = flags;
	r.direction = -1;
	r.exporter = exporter;
	return r;
}

static struct cap_record icmp(const char *src, const char *dst, uint8_t type,
                              uint8_t code, uint64_t pkts, uint64_t t1_ms,
                              uint64_t t2_ms)
{
	bool v6 = strchr(src, ':') != NULL;
	return rec(src, 0, dst, (uint16_t)(type << 8 | code), v6 ? 58 : 1, 0,
	           pkts, t1_ms, t2_ms, 0);
}

static void add(struct cap_pairer *p, struct cap_record r)
{
	cap_pairer_add(p, &r);
}

static bool is_addr(const uint8_t *a, const char *s)
{
	uint8_t b[16];
	addr(b, strchr(s, ':') ? 6 : 4, s);
	return memcmp(a, b, 16) == 0;
}

#define SYN CAP_TH_SYN
#define ACK CAP_TH_ACK
#define FIN CAP_TH_FIN
#define RST CAP_TH_RST
#define PSH CAP_TH_PSH

/* ---- pairing and the initiator ------------------------------------------ */

static void test_pair_handshake(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	/* The client's record starts 1 ms before the server's answer. */
	add(p, rec("10.0.0.5", 1960, "10.0.1.20", 51000, 6,
	           SYN | ACK | PSH | FIN, 5, 1, 5, 0));
	add(p, rec("10.0.1.20", 51000, "10.0.0.5", 1960, 6,
	           SYN | ACK | PSH | FIN, 10, 0, 5, 0));
	assert_int_equal(ngot, 0); /* held: more pieces may come */
	assert_int_equal(rs.paired, 1);
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	const struct cap_flow *f = &got[0];
	assert_true(is_addr(f->addr_a, "10.0.1.20"));
	assert_int_equal(f->port_a, 51000);
	assert_int_equal(f->port_b, 1960);
	assert_int_equal(f->outcome, CAP_OUT_CLOSED);
	assert_int_equal(f->initiator_inferred, 0);
	assert_int_equal(f->pkts[0], 10);
	assert_int_equal(f->pkts[1], 5);
	assert_int_equal(f->bytes[0], 1000);
	assert_int_equal(f->first_ns, T0);
	assert_int_equal(f->last_ns, T0 + 5 * MS);
	assert_int_equal(rs.unpaired, 0);
	assert_false(rs.initiators_guessed);
	cap_pairer_free(p);
}

/* Sampled records: a flow without a reply is marked so (an answer may go
 * unsampled: classify does not judge it blocked); an answered one, or one
 * from unsampled records, is not. */
static void test_sampled_unsure(void **state)
{
	(void)state;
	for (int sampled = 0; sampled < 2; sampled++) {
		struct cap_pairer *p = fresh();
		rs.sampling = sampled ? 10 : 0;
		add(p, rec("10.0.0.5", 40000, "10.0.3.7", 636, 6, SYN, 3, 0, 10,
		           0));
		add(p, rec("10.0.1.20", 51000, "10.0.0.5", 1960, 6,
		           SYN | ACK | FIN, 10, 0, 5, 0));
		add(p, rec("10.0.0.5", 1960, "10.0.1.20", 51000, 6,
		           SYN | ACK | FIN, 5, 1, 5, 0));
		cap_pairer_flush(p);
		assert_int_equal(ngot, 2);
		for (unsigned i = 0; i < 2; i++) {
			bool lone = got[i].port_b == 636;
			assert_int_equal(got[i].outcome, lone ? CAP_OUT_UNANSWERED
			                                      : CAP_OUT_CLOSED);
			assert_int_equal(got[i].reply_unsure,
			                 lone && sampled ? CAP_UNSURE_SAMPLED : 0);
		}
		cap_pairer_free(p);
	}
}

/* Equal starts (millisecond exporters): the port model, then the lower
 * port, marked inferred. */
static void test_equal_start_guessed(void **state)
{
	(void)state;
	static struct cap_portmap pm;
	memset(&pm, 0, sizeof pm);
	cap_portmap_set(pm.tcp, 40400);
	struct cap_pairer *p = fresh_pm(64, &pm);
	add(p, rec("10.0.0.5", 50001, "10.10.0.10", 40400, 6,
	           SYN | ACK | FIN, 4, 0, 4, 0));
	add(p, rec("10.10.0.10", 40400, "10.0.0.5", 50001, 6,
	           SYN | ACK | FIN, 8, 0, 4, 0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	/* The port model says 40400 serves, though 50001 is lower. */
	assert_true(is_addr(got[0].addr_a, "10.0.0.5"));
	assert_int_equal(got[0].port_b, 40400);
	assert_int_equal(got[0].initiator_inferred, 1);
	assert_true(rs.initiators_guessed);
	cap_pairer_free(p);

	p = fresh();
	add(p, rec("10.0.0.5", 50001, "10.10.0.10", 8443, 6,
	           SYN | ACK | FIN, 4, 0, 4, 0));
	add(p, rec("10.10.0.10", 8443, "10.0.0.5", 50001, 6,
	           SYN | ACK | FIN, 8, 0, 4, 0));
	cap_pairer_flush(p);
	assert_int_equal(got[0].port_b, 8443); /* the lower port serves */
	assert_int_equal(got[0].initiator_inferred, 1);
	cap_pairer_free(p);

	/* Midstream: the port rules even when one side started earlier
	 * (the packet path orients a flow without a handshake so). */
	p = fresh();
	add(p, rec("10.0.0.5", 40200, "10.0.2.25", 25, 6, ACK | PSH, 4, 0, 4,
	           0));
	add(p, rec("10.0.2.25", 25, "10.0.0.5", 40200, 6, ACK | PSH, 4, 1, 4,
	           0));
	add(p, rec("10.0.2.25", 25, "10.0.0.5", 40201, 6, ACK | PSH, 4, 0, 4,
	           0));
	add(p, rec("10.0.0.5", 40201, "10.0.2.25", 25, 6, ACK | PSH, 4, 1, 4,
	           0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(got[i].port_b, 25);
		assert_int_equal(got[i].outcome, CAP_OUT_MIDSTREAM);
		assert_int_equal(got[i].initiator_inferred, 1);
	}
	cap_pairer_free(p);

	/* UDP: the first sender, unless it sent from the service port. */
	p = fresh();
	add(p, rec("10.0.0.9", 161, "10.0.0.5", 40001, 17, 0, 1, 0, 0, 0));
	add(p, rec("10.0.0.5", 40001, "10.0.0.9", 161, 17, 0, 1, 1, 1, 0));
	add(p, rec("10.0.0.5", 40002, "10.0.0.7", 5060, 17, 0, 1, 0, 0, 0));
	add(p, rec("10.0.0.7", 5060, "10.0.0.5", 40002, 17, 0, 1, 1, 1, 0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].port_b, 161);
	assert_int_equal(got[0].initiator_inferred, 1);
	assert_int_equal(got[1].port_b, 5060);
	assert_int_equal(got[1].initiator_inferred, 0);
	cap_pairer_free(p);
}

/* A strictly earlier start counts only when one exporter saw both. */
static void test_earlier_start_other_exporter(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.5", 1960, "10.0.1.20", 51000, 6, SYN | ACK | FIN, 5,
	           0, 5, 1));
	add(p, rec("10.0.1.20", 51000, "10.0.0.5", 1960, 6, SYN | ACK | FIN, 5,
	           3, 5, 2));
	cap_pairer_flush(p);
	/* Exporter 2's clock may differ: the guess, not the times. */
	assert_int_equal(got[0].port_b, 1960);
	assert_int_equal(got[0].initiator_inferred, 1);
	cap_pairer_free(p);
}

static void test_rejected(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.5", 5432, "10.0.3.8", 41700, 6, RST | ACK, 1, 51, 51,
	           0));
	add(p, rec("10.0.3.8", 41700, "10.0.0.5", 5432, 6, SYN, 1, 51, 51, 0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_true(is_addr(got[0].addr_a, "10.0.3.8"));
	assert_int_equal(got[0].outcome, CAP_OUT_REJECTED);
	assert_int_equal(got[0].initiator_inferred, 0);
	assert_int_equal(got[0].flags[0], SYN);
	assert_int_equal(got[0].flags[1], RST | ACK);
	cap_pairer_free(p);
}

/* SYN on both sides but one never ACKed: that client initiated. */
static void test_syn_both_one_without_ack(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.1", 80, "10.0.0.9", 40000, 6, SYN | ACK, 2, 0, 3, 0));
	add(p, rec("10.0.0.9", 40000, "10.0.0.1", 80, 6, SYN, 1, 0, 0, 0));
	cap_pairer_flush(p);
	assert_true(is_addr(got[0].addr_a, "10.0.0.9"));
	assert_int_equal(got[0].outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(got[0].initiator_inferred, 0);
	cap_pairer_free(p);
}

/* ---- one side: the hold window ------------------------------------------ */

static void test_unanswered_after_hold(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	cap_pairer_tick(p, T0);
	add(p, rec("10.0.0.5", 41600, "10.0.3.7", 636, 6, SYN, 3, 0, 3000, 0));
	cap_pairer_tick(p, T0 + HOLD); /* not yet past the window */
	assert_int_equal(ngot, 0);
	cap_pairer_tick(p, T0 + HOLD + 1);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(got[0].syn_retries, 2);
	assert_int_equal(got[0].pkts[1], 0);
	assert_true(is_addr(got[0].addr_a, "10.0.0.5"));
	assert_int_equal(got[0].initiator_inferred, 0);
	assert_int_equal(rs.unpaired, 1);
	cap_pairer_free(p);
}

/* The reverse within the hold window pairs; after it, it is a flow of its
 * own and both are unpaired. */
static void test_hold_window(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	cap_pairer_tick(p, T0);
	add(p, rec("10.0.0.5", 40001, "10.10.0.10", 161, 17, 0, 3, 0, 2, 0));
	cap_pairer_tick(p, T0 + HOLD - S);
	add(p, rec("10.10.0.10", 161, "10.0.0.5", 40001, 17, 0, 3, 1, 2, 0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_REPLIED);
	assert_int_equal(got[0].port_b, 161);
	assert_int_equal(rs.paired, 1);
	assert_int_equal(rs.unpaired, 0);
	cap_pairer_free(p);

	p = fresh();
	cap_pairer_tick(p, T0);
	add(p, rec("10.0.0.5", 40001, "10.10.0.10", 161, 17, 0, 3, 0, 2, 0));
	cap_pairer_tick(p, T0 + HOLD + S);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_ONEWAY);
	add(p, rec("10.10.0.10", 161, "10.0.0.5", 40001, 17, 0, 3, 1, 2, 0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	/* The late reply alone: it came from the service port, so it is
	 * turned round (the other side initiated), marked inferred. */
	assert_true(is_addr(got[1].addr_a, "10.0.0.5"));
	assert_int_equal(got[1].port_b, 161);
	assert_int_equal(got[1].initiator_inferred, 1);
	assert_int_equal(got[1].pkts[0], 0);
	assert_int_equal(got[1].pkts[1], 3);
	assert_int_equal(rs.unpaired, 2);
	assert_int_equal(rs.paired, 0);
	cap_pairer_free(p);
}

static void test_oneway_udp(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.10.0.10", 514, "10.0.0.5", 514, 17, 0, 3, 0, 1, 0));
	cap_pairer_flush(p);
	assert_int_equal(got[0].outcome, CAP_OUT_ONEWAY);
	assert_true(is_addr(got[0].addr_a, "10.10.0.10"));
	assert_int_equal(got[0].initiator_inferred, 0);
	assert_int_equal(rs.unpaired, 1);
	cap_pairer_free(p);
}

static void test_midstream_and_synack(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.9", 44000, "10.0.0.1", 22, 6, ACK | PSH, 9, 0, 9, 0));
	add(p, rec("10.0.0.1", 22, "10.0.0.9", 44000, 6, ACK | PSH, 9, 0, 9, 0));
	cap_pairer_flush(p);
	assert_int_equal(got[0].outcome, CAP_OUT_MIDSTREAM);
	assert_int_equal(got[0].port_b, 22);
	assert_int_equal(got[0].initiator_inferred, 1);
	cap_pairer_free(p);

	/* Only the responder's side, with its SYN-ACK: a SYN with ACK may
	 * be either side's, so the port says who serves (inferred). */
	p = fresh();
	add(p, rec("10.0.0.1", 22, "10.0.0.9", 44000, 6, SYN | ACK | PSH, 4, 0,
	           9, 0));
	cap_pairer_flush(p);
	assert_true(is_addr(got[0].addr_a, "10.0.0.9"));
	assert_int_equal(got[0].port_b, 22);
	assert_int_equal(got[0].outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(got[0].initiator_inferred, 1);
	cap_pairer_free(p);
}

/* The initiator's side only, but it ACKed after its SYN: the SYN-ACK went
 * another way (asymmetric routing), so the handshake completed. */
static void test_asymmetric_route(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.9", 44000, "10.0.0.1", 443, 6, SYN | ACK | PSH | FIN,
	           9, 0, 9, 0));
	cap_pairer_flush(p);
	assert_int_equal(got[0].outcome, CAP_OUT_CLOSED);
	assert_true(is_addr(got[0].addr_a, "10.0.0.9"));
	assert_int_equal(rs.unpaired, 1);
	cap_pairer_free(p);
}

/* ---- merge, duplicates, new flows ---------------------------------------- */

static void test_merge_pieces(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	/* A long flow cut at an active timeout of 30 minutes: only the
	 * first piece has the SYN. */
	add(p, rec("10.0.1.20", 51000, "10.0.0.5", 1960, 6, SYN | ACK | PSH,
	           100, 0, 1800000, 0));
	add(p, rec("10.0.0.5", 1960, "10.0.1.20", 51000, 6, SYN | ACK | PSH,
	           90, 1, 1800000, 0));
	/* The second piece is exported when it ends, 15 minutes later. */
	cap_pairer_tick(p, T0 + 2700 * S);
	assert_int_equal(ngot, 0);
	add(p, rec("10.0.1.20", 51000, "10.0.0.5", 1960, 6, ACK | PSH | FIN,
	           50, 1800001, 2700000, 0));
	add(p, rec("10.0.0.5", 1960, "10.0.1.20", 51000, 6, ACK | PSH | FIN,
	           40, 1800001, 2700000, 0));
	assert_int_equal(ngot, 0);
	assert_int_equal(rs.merged, 2);
	cap_pairer_tick(p, T0 + 2700 * S + HOLD + 1); /* closed: hold only */
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].pkts[0], 150);
	assert_int_equal(got[0].pkts[1], 130);
	assert_int_equal(got[0].outcome, CAP_OUT_CLOSED);
	assert_int_equal(got[0].last_ns, T0 + 2700 * S);
	assert_true(is_addr(got[0].addr_a, "10.0.1.20"));
	cap_pairer_free(p);
}

/* A paired flow that may continue waits the active window, not hold. */
static void test_open_flow_waits_active(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	cap_pairer_tick(p, T0);
	add(p, rec("10.0.0.1", 5000, "10.0.0.2", 53, 17, 0, 1, 0, 0, 0));
	add(p, rec("10.0.0.2", 53, "10.0.0.1", 5000, 17, 0, 1, 0, 0, 0));
	cap_pairer_tick(p, T0 + 10 * HOLD);
	assert_int_equal(ngot, 0);
	cap_pairer_tick(p, T0 + ACTIVE + 1);
	assert_int_equal(ngot, 1);
	cap_pairer_free(p);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	/* Two routers on the path export the same direction. */
	add(p, rec("10.0.0.5", 40100, "10.10.0.10", 8443, 6, SYN | ACK | FIN, 8,
	           8, 12, 1));
	add(p, rec("10.0.0.5", 40100, "10.10.0.10", 8443, 6, SYN | ACK | FIN, 8,
	           8, 12, 2));
	add(p, rec("10.10.0.10", 8443, "10.0.0.5", 40100, 6, SYN | ACK | FIN, 4,
	           9, 12, 2));
	add(p, rec("10.10.0.10", 8443, "10.0.0.5", 40100, 6, SYN | ACK | FIN, 4,
	           9, 12, 1));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_int_equal(rs.duplicates, 2);
	assert_int_equal(rs.paired, 1);
	assert_int_equal(got[0].pkts[0], 8);
	assert_int_equal(got[0].pkts[1], 4);
	cap_pairer_free(p);

	/* Another exporter, not overlapping: a later piece, merged. */
	p = fresh();
	add(p, rec("10.0.0.5", 40100, "10.10.0.10", 8443, 6, SYN | ACK, 8, 0,
	           100, 1));
	add(p, rec("10.0.0.5", 40100, "10.10.0.10", 8443, 6, ACK | FIN, 3, 200,
	           300, 2));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_int_equal(rs.duplicates, 0);
	assert_int_equal(rs.merged, 1);
	assert_int_equal(got[0].pkts[0], 11);
	cap_pairer_free(p);
}

/* A new SYN on a side that had one: a new connection (port reuse); times
 * further apart than the active timeout: a new flow. */
static void test_new_flow_on_same_tuple(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.9", 40000, "10.0.0.1", 80, 6, SYN | ACK | FIN, 5, 0,
	           10, 0));
	add(p, rec("10.0.0.1", 80, "10.0.0.9", 40000, 6, SYN | ACK | FIN, 5, 1,
	           10, 0));
	add(p, rec("10.0.0.9", 40000, "10.0.0.1", 80, 6, SYN, 1, 20, 20, 0));
	assert_int_equal(ngot, 1); /* the first one, judged at once */
	assert_int_equal(got[0].outcome, CAP_OUT_CLOSED);
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[1].outcome, CAP_OUT_UNANSWERED);
	cap_pairer_free(p);

	p = fresh();
	add(p, rec("10.0.0.1", 5000, "10.0.0.2", 53, 17, 0, 1, 0, 0, 0));
	add(p, rec("10.0.0.1", 5000, "10.0.0.2", 53, 17, 0, 1,
	           (ACTIVE + S) / MS, (ACTIVE + S) / MS, 0));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	assert_int_equal(rs.merged, 0);
	cap_pairer_free(p);
}

/* ---- biflows ------------------------------------------------------------ */

static void test_biflow(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	/* softflowd -b: the forward side is the lower address, here the
	 * responder; biflowDirection 2 says the reverse side initiated. */
	struct cap_record r = rec("10.0.0.5", 1960, "10.0.1.20", 51000, 6,
	                          SYN | ACK | FIN, 5, 0, 5, 0);
	r.biflow = true;
	r.rev_pkts = 10;
	r.rev_bytes = 808;
	r.rev_tcp_flags = SYN | ACK | FIN;
	r.direction = 2;
	add(p, r);
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_true(is_addr(got[0].addr_a, "10.0.1.20"));
	assert_int_equal(got[0].pkts[0], 10);
	assert_int_equal(got[0].bytes[0], 808);
	assert_int_equal(got[0].pkts[1], 5);
	assert_int_equal(got[0].outcome, CAP_OUT_CLOSED);
	assert_int_equal(got[0].initiator_inferred, 0);
	assert_int_equal(rs.paired, 0);
	assert_int_equal(rs.unpaired, 0);
	cap_pairer_free(p);

	/* Without biflowDirection: the SYN-only side (the reverse) opened. */
	p = fresh();
	r = rec("10.0.0.5", 5432, "10.0.3.8", 41700, 6, RST | ACK, 1, 0, 0, 0);
	r.biflow = true;
	r.rev_pkts = 1;
	r.rev_tcp_flags = SYN;
	add(p, r);
	/* The same biflow from another exporter: a duplicate. */
	r.exporter = 7;
	add(p, r);
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_int_equal(rs.duplicates, 1);
	assert_true(is_addr(got[0].addr_a, "10.0.3.8"));
	assert_int_equal(got[0].outcome, CAP_OUT_REJECTED);
	cap_pairer_free(p);

	/* A biflow with nothing back and direction 1: the forward opened. */
	p = fresh();
	r = rec("10.0.0.1", 40000, "10.0.0.2", 443, 6, SYN, 2, 0, 1000, 0);
	r.biflow = true;
	r.direction = 1;
	add(p, r);
	cap_pairer_flush(p);
	assert_int_equal(got[0].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(got[0].syn_retries, 1);
	assert_int_equal(rs.unpaired, 0);
	cap_pairer_free(p);
}

/* ---- ICMP ---------------------------------------------------------------- */

static void test_icmp_echo(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, icmp("10.0.0.9", "10.0.0.1", 0, 0, 2, 1, 1001));
	add(p, icmp("10.0.0.1", "10.0.0.9", 8, 0, 2, 0, 1000));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_true(is_addr(got[0].addr_a, "10.0.0.1"));
	assert_int_equal(got[0].port_b, 8 << 8);
	assert_int_equal(got[0].outcome, CAP_OUT_REPLIED);
	assert_int_equal(rs.paired, 1);
	cap_pairer_free(p);

	p = fresh();
	add(p, icmp("2001:db8::1", "2001:db8::9", 128, 0, 3, 0, 2000));
	cap_pairer_flush(p);
	assert_int_equal(got[0].family, 6);
	assert_int_equal(got[0].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(got[0].port_b, 128 << 8);
	cap_pairer_free(p);

	/* A reply alone: the other side asked. */
	p = fresh();
	add(p, icmp("10.0.0.9", "10.0.0.1", 0, 0, 1, 0, 0));
	cap_pairer_flush(p);
	assert_true(is_addr(got[0].addr_a, "10.0.0.1"));
	assert_int_equal(got[0].outcome, CAP_OUT_REPLIED);
	assert_int_equal(got[0].port_b, 8 << 8);
	cap_pairer_free(p);
}

/* A router's administratively-prohibited answers the unanswered SYN of
 * the host it is sent to; it is not a flow of its own. */
static void test_unreachable_from_router(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	cap_pairer_tick(p, T0);
	add(p, rec("10.0.0.5", 41800, "10.0.3.9", 443, 6, SYN, 1, 52, 52, 0));
	add(p, icmp("10.0.0.1", "10.0.0.5", 3, 13, 1, 52, 52));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_UNREACHABLE);
	assert_int_equal(got[0].icmp_type, 3);
	assert_int_equal(got[0].icmp_code, 13);
	assert_int_equal(got[0].port_b, 443);
	assert_true(rs.unreachable_inferred);
	cap_pairer_free(p);

	/* The error first, and judged by ticks: the same. */
	p = fresh();
	cap_pairer_tick(p, T0);
	add(p, icmp("10.0.0.1", "10.0.0.5", 3, 13, 1, 52, 52));
	cap_pairer_tick(p, T0 + S);
	add(p, rec("10.0.0.5", 41800, "10.0.3.9", 443, 6, SYN, 1, 52, 52, 0));
	for (uint64_t t = 2; t < 200; t++)
		cap_pairer_tick(p, T0 + t * S);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_UNREACHABLE);
	cap_pairer_free(p);
}

/* Port unreachable comes from the destination host only; too late or
 * to another host, an error answers nothing and is an ICMP flow. */
static void test_unreachable_rules(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.5", 40000, "10.0.0.7", 514, 17, 0, 1, 0, 0, 0));
	add(p, icmp("10.0.0.1", "10.0.0.5", 3, 3, 1, 1, 1)); /* a router */
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].outcome, CAP_OUT_ONEWAY);
	assert_int_equal(got[1].proto, 1);
	assert_int_equal(got[1].port_b, 3 << 8 | 3);
	assert_int_equal(got[1].outcome, CAP_OUT_ONEWAY);
	assert_false(rs.unreachable_inferred);
	cap_pairer_free(p);

	p = fresh();
	add(p, rec("10.0.0.5", 40000, "10.0.0.7", 514, 17, 0, 1, 0, 0, 0));
	add(p, icmp("10.0.0.7", "10.0.0.5", 3, 3, 1, 1, 1)); /* the host */
	cap_pairer_flush(p);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_UNREACHABLE);
	assert_int_equal(got[0].icmp_code, 3);
	cap_pairer_free(p);

	p = fresh();
	add(p, rec("10.0.0.5", 41800, "10.0.3.9", 443, 6, SYN, 1, 0, 0, 0));
	add(p, icmp("10.0.0.1", "10.0.0.5", 3, 13, 1, 5000, 5000)); /* late */
	add(p, icmp("10.0.0.1", "10.0.0.6", 3, 13, 1, 0, 0)); /* elsewhere */
	cap_pairer_flush(p);
	assert_int_equal(ngot, 3);
	assert_int_equal(got[0].outcome, CAP_OUT_UNANSWERED);
	cap_pairer_free(p);

	/* An answered flow is never unreachable. */
	p = fresh();
	add(p, rec("10.0.0.5", 40000, "10.0.0.7", 53, 17, 0, 1, 0, 0, 0));
	add(p, rec("10.0.0.7", 53, "10.0.0.5", 40000, 17, 0, 1, 0, 0, 0));
	add(p, icmp("10.0.0.7", "10.0.0.5", 3, 3, 1, 1, 1));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].outcome, CAP_OUT_REPLIED);
	cap_pairer_free(p);
}

/* An error of one packet answers one flow: the closest in time. An error
 * of several packets answers as many flows. */
static void test_unreachable_closest(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	add(p, rec("10.0.0.5", 41600, "10.0.3.7", 636, 6, SYN, 3, 7050,
	           10050, 0));
	add(p, rec("10.0.0.5", 41800, "10.0.3.9", 443, 6, SYN, 1, 10052,
	           10052, 0));
	add(p, icmp("10.0.0.1", "10.0.0.5", 3, 13, 1, 10052, 10052));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 2);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(got[i].outcome, got[i].port_b == 443
		                 ? CAP_OUT_UNREACHABLE : CAP_OUT_UNANSWERED);
	cap_pairer_free(p);

	p = fresh();
	for (uint16_t port = 1; port <= 5; port++)
		add(p, rec("10.0.0.9", (uint16_t)(40000 + port), "10.0.0.5", port,
		           6, SYN, 1, 0, 0, 0));
	add(p, icmp("10.0.0.1", "10.0.0.9", 3, 13, 3, 0, 1));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 5);
	unsigned unreach = 0;
	for (unsigned i = 0; i < ngot; i++)
		unreach += got[i].outcome == CAP_OUT_UNREACHABLE;
	assert_int_equal(unreach, 3);
	cap_pairer_free(p);
}

/* ---- the cap -------------------------------------------------------------- */

static void test_cap_evicts_oldest(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh_pm(4, NULL);
	for (unsigned i = 0; i < 6; i++) {
		cap_pairer_tick(p, T0 + i * S);
		char a[16];
		snprintf(a, sizeof a, "10.0.0.%u", 10 + i);
		add(p, rec(a, 40000, "10.0.0.1", 53, 17, 0, 1, i * 1000, i * 1000,
		           0));
	}
	assert_int_equal(rs.evicted, 2);
	assert_int_equal(ngot, 2);
	assert_true(is_addr(got[0].addr_a, "10.0.0.10"));
	assert_true(is_addr(got[1].addr_a, "10.0.0.11"));
	cap_pairer_flush(p);
	assert_int_equal(ngot, 6);
	assert_int_equal(rs.unpaired, 4);
	cap_pairer_free(p);
}

/* A table that turns over many times keeps finding its entries (the
 * index's backward-shift deletion leaves no holes in probe runs). */
static void test_churn(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh_pm(64, NULL);
	for (unsigned i = 0; i < 5000; i++) {
		char a[16];
		snprintf(a, sizeof a, "10.%u.%u.%u", (i >> 16) & 255,
		         (i >> 8) & 255, i & 255);
		cap_pairer_tick(p, T0 + i * S);
		add(p, rec(a, 40000, "10.0.0.1", 53, 17, 0, 1, i * 1000,
		           i * 1000, 0));
		add(p, rec("10.0.0.1", 53, a, 40000, 17, 0, 1, i * 1000,
		           i * 1000, 0));
	}
	cap_pairer_flush(p);
	assert_int_equal(rs.paired, 5000);
	assert_int_equal(ngot, 5000);
	for (unsigned i = 0; i < ngot && i < MAXGOT; i++)
		assert_int_equal(got[i].outcome, CAP_OUT_REPLIED);
	cap_pairer_free(p);
}

static void test_bad_family(void **state)
{
	(void)state;
	struct cap_pairer *p = fresh();
	struct cap_record r = rec("10.0.0.1", 1, "10.0.0.2", 2, 17, 0, 1, 0, 0,
	                          0);
	r.family = 5;
	add(p, r);
	cap_pairer_flush(p);
	assert_int_equal(ngot, 0);
	assert_int_equal(rs.malformed, 1);
	cap_pairer_free(p);
	assert_null(cap_pairer_new(collect, NULL, NULL, &rs, 0, HOLD, ACTIVE));
}

/* ---- cap_pairer_add_ahead: the same as tick and add at once ------------- */

/* Every flow handed on, folded in order into one hash (FNV-1a of the
 * whole struct: emit() zeroes it first). */
struct fold {
	uint64_t h;
	unsigned n;
};

static void fold_flow(const struct cap_flow *f, void *ctx)
{
	struct fold *x = ctx;
	const unsigned char *b = (const unsigned char *)f;
	for (size_t i = 0; i < sizeof *f; i++)
		x->h = (x->h ^ b[i]) * 0x100000001b3ull;
	x->n++;
}

/* One stream of records from a small world (so that tuples come back:
 * pairs, pieces, duplicates from a second exporter, new connections on a
 * reused port, ICMP echoes and unreachables, a bad family now and then),
 * the clock jumping past the hold window at times, a table of 64 so
 * that entries are evicted; fed either way, with a lone tick (as the
 * collector's) every 500 records. */
static void run_stream(bool ahead, struct fold *x, struct cap_rec_stats *st)
{
	memset(x, 0, sizeof *x);
	x->h = 0xcbf29ce484222325ull;
	memset(st, 0, sizeof *st);
	struct cap_pairer *p = cap_pairer_new(fold_flow, x, NULL, st, 64, HOLD,
	                                      ACTIVE);
	assert_non_null(p);
	uint64_t seed = 12345, clock = T0;
	struct cap_record last;
	memset(&last, 0, sizeof last);
	for (unsigned i = 0; i < 20000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t v = (uint32_t)(seed >> 33);
		clock += (v % 97 == 0) ? HOLD + S : (v % 7) * MS;
		char a[16], b[16];
		snprintf(a, sizeof a, "10.0.0.%u", 1 + (v >> 8) % 12);
		snprintf(b, sizeof b, "10.0.1.%u", 1 + (v >> 12) % 5);
		uint16_t sport = (uint16_t)(40000 + (v >> 16) % 6);
		uint64_t t = (clock - T0) / MS;
		struct cap_record r;
		switch ((v >> 4) % 8) {
		case 0: case 1: case 2:
			r = rec(a, sport, b, 443, 6, (uint8_t)((v >> 20) & 0x3f),
			        1 + v % 5, t, t + v % 3, (v >> 24) & 1);
			break;
		case 3: case 4:
			r = rec(b, 443, a, sport, 6, (uint8_t)((v >> 21) & 0x3f),
			        1 + v % 4, t, t + v % 2, (v >> 25) & 1);
			break;
		case 5:
			r = rec((v & 1) ? a : b, 53, (v & 1) ? b : a, 53, 17, 0, 1, t,
			        t, 0);
			break;
		case 6:
			r = icmp((v & 1) ? a : b, (v & 1) ? b : a,
			         (v & 2) ? 8 : 0, 0, 1, t, t);
			break;
		default:
			r = icmp(b, a, 3, (uint8_t)(v % 4), 1 + (v >> 9) % 2, t, t);
			break;
		}
		if (v % 11 == 0 && i > 0) {
			r = last; /* another exporter's copy */
			r.exporter ^= 1;
		}
		last = r;
		if (v % 1009 == 0)
			r.family = 5;
		if (ahead) {
			cap_pairer_add_ahead(p, &r, clock);
		} else {
			cap_pairer_tick(p, clock);
			cap_pairer_add(p, &r);
		}
		if (i % 500 == 499)
			cap_pairer_tick(p, clock);
	}
	cap_pairer_flush(p);
	cap_pairer_free(p);
}

static void test_add_ahead_same(void **state)
{
	(void)state;
	struct fold a, b;
	struct cap_rec_stats sa, sb;
	run_stream(false, &a, &sa);
	run_stream(true, &b, &sb);
	/* The stream reaches every case it is meant to. */
	assert_true(a.n > 5000);
	assert_true(sa.paired > 100 && sa.merged > 100 && sa.duplicates > 10);
	assert_true(sa.evicted > 100 && sa.unpaired > 100);
	assert_true(sa.malformed > 5);
	assert_true(sa.unreachable_inferred);
	/* The same flows in the same order, the same counters. */
	assert_int_equal(b.n, a.n);
	assert_true(b.h == a.h);
	assert_memory_equal(&sb, &sa, sizeof sa);

	/* Records still waiting are added before a tick, an add or a
	 * flush, and dropped by free. */
	struct cap_pairer *p = fresh();
	struct cap_record r = rec("10.0.0.5", 40000, "10.0.0.1", 53, 17, 0, 1,
	                          0, 0, 0);
	cap_pairer_add_ahead(p, &r, T0);
	cap_pairer_tick(p, T0 + HOLD + S);
	assert_int_equal(ngot, 1); /* added, then judged by the tick */
	cap_pairer_add_ahead(p, &r, T0 + HOLD + S);
	r.sport = 40001;
	cap_pairer_add(p, &r);
	cap_pairer_flush(p);
	assert_int_equal(ngot, 3);
	cap_pairer_add_ahead(p, &r, 0);
	cap_pairer_free(p);
	assert_int_equal(ngot, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_handshake),
		cmocka_unit_test(test_sampled_unsure),
		cmocka_unit_test(test_equal_start_guessed),
		cmocka_unit_test(test_earlier_start_other_exporter),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_syn_both_one_without_ack),
		cmocka_unit_test(test_unanswered_after_hold),
		cmocka_unit_test(test_hold_window),
		cmocka_unit_test(test_oneway_udp),
		cmocka_unit_test(test_midstream_and_synack),
		cmocka_unit_test(test_asymmetric_route),
		cmocka_unit_test(test_merge_pieces),
		cmocka_unit_test(test_open_flow_waits_active),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_new_flow_on_same_tuple),
		cmocka_unit_test(test_biflow),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_unreachable_from_router),
		cmocka_unit_test(test_unreachable_rules),
		cmocka_unit_test(test_unreachable_closest),
		cmocka_unit_test(test_cap_evicts_oldest),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_bad_family),
		cmocka_unit_test(test_add_ahead_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
