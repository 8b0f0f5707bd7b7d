/* test_flow.c -- the flow table on synthesized packets (no pcap). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/flow.h"

#define S (1000000000ull)
#define MS (1000000ull)
#define MAXGOT 4096

static struct cap_flow got[MAXGOT];
static unsigned ngot;
static struct cap_stats st;

static void collect(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	assert_true(ngot < MAXGOT);
	got[ngot++] = *f;
}

static struct cap_flowtab *fresh(uint32_t max, const struct cap_portmap *pm)
{
	ngot = 0;
	memset(&st, 0, sizeof st);
	struct cap_flowtab *t = cap_flowtab_new(max, pm, collect, NULL, &st);
	assert_non_null(t);
	return t;
}

static void ip4(uint8_t *a, const char *s)
{
	unsigned x[4];
	assert_int_equal(sscanf(s, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]), 4);
	memset(a, 0, 16);
	for (int i = 0; i < 4; i++)
		a[i] = (uint8_t)x[i];
}

static struct cap_packet pk(const char *src, uint16_t sport, const char *dst,
                            uint16_t dport, uint8_t proto, uint8_t flags,
                            uint32_t len)
{
	struct cap_packet p;
	memset(&p, 0, sizeof p);
	p.family = 4;
	p.proto = proto;
	ip4(p.src, src);
	ip4(p.dst, dst);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.wirelen = len;
	return p;
}

static void feed(struct cap_flowtab *t, struct cap_packet p, uint64_t ts)
{
	cap_flowtab_packet(t, &p, ts);
}

static bool addr_is(const uint8_t *a, const char *s)
{
	uint8_t b[16];
	ip4(b, s);
	return memcmp(a, b, 16) == 0;
}

#define SYN CAP_TH_SYN
#define ACK CAP_TH_ACK
#define FIN CAP_TH_FIN
#define RST CAP_TH_RST
#define PSH CAP_TH_PSH
#define C "10.0.0.1"
#define SV "10.0.0.2"
#define T0 (1700000000ull * S)

/* The capture's end (cap_flowtab_end): a flow without a reply whose first
 * packet came less than 1 s before the end may yet have had one, and is
 * marked so; one that began earlier, or was answered, or a plain flush,
 * is not. */
static void test_end_unsure(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	uint64_t end = T0 + 10 * S;
	/* a SYN 0.5 s before the end; three SYNs from 3 s before it */
	feed(t, pk(C, 40000, SV, 443, 6, SYN, 60), end - 500 * MS);
	feed(t, pk(C, 40001, SV, 636, 6, SYN, 60), end - 3 * S);
	feed(t, pk(C, 40001, SV, 636, 6, SYN, 60), end - 2 * S);
	feed(t, pk(C, 40001, SV, 636, 6, SYN, 60), end - 10 * MS);
	/* a UDP request 0.2 s before the end, and one answered */
	feed(t, pk(C, 40002, SV, 161, 17, 0, 80), end - 200 * MS);
	feed(t, pk(C, 40003, SV, 161, 17, 0, 80), end - 200 * MS);
	feed(t, pk(SV, 161, C, 40003, 17, 0, 80), end - 100 * MS);
	cap_flowtab_end(t, end);
	assert_int_equal(ngot, 4);
	unsigned unsure = 0;
	for (unsigned i = 0; i < ngot; i++) {
		bool want = got[i].port_b == 443 ||
		            (got[i].port_b == 161 && got[i].port_a == 40002);
		assert_int_equal(got[i].reply_unsure,
		                 want ? CAP_UNSURE_END : 0);
		unsure += got[i].reply_unsure != 0;
	}
	assert_int_equal(unsure, 2);
	/* a flush is not the end: nothing marked */
	ngot = 0;
	feed(t, pk(C, 40004, SV, 443, 6, SYN, 60), end + S);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].reply_unsure, 0);
	cap_flowtab_free(t);
}

/* The flush hands on every flow once, in list order, and leaves an empty
 * table that works again: the same tuples are new flows, found both
 * ways, and a full table after the flush evicts as before. */
static void test_flush_then_reuse(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	char a[32];
	for (unsigned i = 0; i < 40; i++) {
		snprintf(a, sizeof a, "10.5.0.%u", i);
		feed(t, pk(a, 1000, SV, 53, 17, 0, 80), T0 + i * MS);
	}
	assert_int_equal(cap_flowtab_live(t), 40);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 40);
	assert_int_equal(st.flows, 40);
	assert_int_equal(cap_flowtab_live(t), 0);
	for (unsigned i = 0; i < 40; i++) { /* oldest first */
		snprintf(a, sizeof a, "10.5.0.%u", i);
		assert_true(addr_is(got[i].addr_a, a));
	}
	/* Again, now with answers: one flow each, both directions. */
	for (unsigned i = 0; i < 64; i++) {
		snprintf(a, sizeof a, "10.5.0.%u", i);
		feed(t, pk(a, 1000, SV, 53, 17, 0, 80), T0 + S + i * MS);
		feed(t, pk(SV, 53, a, 1000, 17, 0, 120), T0 + S + i * MS + 1);
	}
	assert_int_equal(cap_flowtab_live(t), 64);
	assert_int_equal(ngot, 40);
	/* Full: one more evicts the least recently active. */
	feed(t, pk("10.6.0.1", 1000, SV, 53, 17, 0, 80), T0 + 2 * S);
	assert_int_equal(ngot, 41);
	assert_int_equal(st.evicted, 1);
	assert_true(addr_is(got[40].addr_a, "10.5.0.0"));
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 40 + 1 + 64);
	for (unsigned i = 41; i < ngot - 1; i++)
		assert_int_equal(got[i].pkts[1], 1);
	cap_flowtab_free(t);
}

static void test_handshake_closed(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	uint64_t ts = T0;
	feed(t, pk(C, 40000, SV, 1960, 6, SYN, 74), ts);
	feed(t, pk(SV, 1960, C, 40000, 6, SYN | ACK, 74), ts + 1 * MS);
	feed(t, pk(C, 40000, SV, 1960, 6, ACK, 66), ts + 2 * MS);
	feed(t, pk(C, 40000, SV, 1960, 6, ACK | PSH, 166), ts + 3 * MS);
	feed(t, pk(SV, 1960, C, 40000, 6, ACK | PSH, 1066), ts + 4 * MS);
	assert_int_equal(cap_flowtab_live(t), 1);
	feed(t, pk(C, 40000, SV, 1960, 6, FIN | ACK, 66), ts + 5 * MS);
	feed(t, pk(SV, 1960, C, 40000, 6, FIN | ACK, 66), ts + 6 * MS);
	feed(t, pk(C, 40000, SV, 1960, 6, ACK, 66), ts + 7 * MS);
	assert_int_equal(ngot, 0); /* lingering */
	/* Another flow's packet after the linger hands the closed one on. */
	feed(t, pk("10.9.9.9", 1, "10.9.9.8", 2, 17, 0, 60), ts + 7 * MS + CAP_TO_LINGER + S);
	assert_int_equal(ngot, 1);
	struct cap_flow *f = &got[0];
	assert_int_equal(f->outcome, CAP_OUT_CLOSED);
	assert_true(addr_is(f->addr_a, C));
	assert_true(addr_is(f->addr_b, SV));
	assert_int_equal(f->port_a, 40000);
	assert_int_equal(f->port_b, 1960);
	assert_int_equal(f->initiator_inferred, 0);
	assert_int_equal(f->pkts[0], 5);
	assert_int_equal(f->pkts[1], 3);
	assert_int_equal(f->bytes[0], 74 + 66 + 166 + 66 + 66);
	assert_int_equal(f->bytes[1], 74 + 1066 + 66);
	assert_int_equal(f->flags[0], SYN | ACK | PSH | FIN);
	assert_int_equal(f->flags[1], SYN | ACK | PSH | FIN);
	assert_int_equal(f->first_ns, ts);
	assert_int_equal(f->last_ns, ts + 7 * MS);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->family, 4);
	assert_int_equal(st.timed_out, 0); /* a close is not a timeout */
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 2);
	assert_int_equal(st.flows, 2);
	assert_int_equal(cap_flowtab_live(t), 0);
	cap_flowtab_free(t);
}

static void test_established_at_end(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40000, SV, 22, 6, SYN, 74), T0);
	feed(t, pk(SV, 22, C, 40000, 6, SYN | ACK, 74), T0 + MS);
	feed(t, pk(C, 40000, SV, 22, 6, ACK, 66), T0 + 2 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_ESTABLISHED);
	cap_flowtab_free(t);
}

/* A bare SYN on a tuple whose connection's end was not seen: after the
 * initiator's ACK of a SYN+ACK, or on a connection seen midstream, it is a
 * new connection (its refusal is not folded into the old one); before
 * that ACK it is a retransmission of the same attempt. */
static void test_syn_on_open_tuple(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40000, SV, 5432, 6, SYN, 74), T0);
	feed(t, pk(SV, 5432, C, 40000, 6, SYN | ACK, 74), T0 + MS);
	feed(t, pk(C, 40000, SV, 5432, 6, ACK, 66), T0 + 2 * MS);
	feed(t, pk(C, 40000, SV, 5432, 6, ACK | PSH, 166), T0 + 3 * MS);
	/* the client restarted; its new attempt on the same port refused */
	feed(t, pk(C, 40000, SV, 5432, 6, SYN, 74), T0 + 60 * S);
	feed(t, pk(SV, 5432, C, 40000, 6, RST | ACK, 60), T0 + 60 * S + MS);
	/* a connection seen midstream, then a new one on its tuple */
	feed(t, pk(C, 40001, SV, 22, 6, ACK | PSH, 166), T0 + 61 * S);
	feed(t, pk(SV, 22, C, 40001, 6, ACK, 66), T0 + 61 * S + MS);
	feed(t, pk(C, 40001, SV, 22, 6, SYN, 74), T0 + 62 * S);
	/* a SYN sent again before the ACK: the same attempt */
	feed(t, pk(C, 40002, SV, 443, 6, SYN, 74), T0 + 63 * S);
	feed(t, pk(SV, 443, C, 40002, 6, SYN | ACK, 74), T0 + 63 * S + MS);
	feed(t, pk(C, 40002, SV, 443, 6, SYN, 74), T0 + 64 * S);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 5);
	unsigned seen = 0;
	for (unsigned i = 0; i < ngot; i++) {
		const struct cap_flow *f = &got[i];
		if (f->port_b == 5432 && f->outcome == CAP_OUT_ESTABLISHED) {
			assert_int_equal(f->pkts[0], 3);
			seen |= 1;
		} else if (f->port_b == 5432 && f->outcome == CAP_OUT_REJECTED) {
			assert_int_equal(f->pkts[0], 1);
			assert_int_equal(f->first_ns, T0 + 60 * S);
			seen |= 2;
		} else if (f->port_b == 22 && f->outcome == CAP_OUT_MIDSTREAM) {
			seen |= 4;
		} else if (f->port_b == 22 && f->outcome == CAP_OUT_UNANSWERED) {
			seen |= 8;
		} else if (f->port_b == 443) {
			assert_int_equal(f->pkts[0], 2);
			seen |= 16;
		}
	}
	assert_int_equal(seen, 31);
	cap_flowtab_free(t);
}

static void test_syn_retries_unanswered(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40001, SV, 1961, 6, SYN, 74), T0);
	feed(t, pk(C, 40001, SV, 1961, 6, SYN, 74), T0 + 1 * S);
	feed(t, pk(C, 40001, SV, 1961, 6, SYN, 74), T0 + 3 * S);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(got[0].syn_retries, 2);
	assert_int_equal(got[0].pkts[0], 3);
	assert_int_equal(got[0].pkts[1], 0);
	assert_int_equal(got[0].port_b, 1961);
	cap_flowtab_free(t);
}

static void test_syn_timeout(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40001, SV, 1961, 6, SYN, 74), T0);
	feed(t, pk(C, 40001, SV, 1961, 6, SYN, 74), T0 + 20 * S);
	/* 30 s after the last retry, not the first. */
	feed(t, pk(C, 1, C, 2, 17, 0, 60), T0 + 45 * S);
	assert_int_equal(ngot, 0);
	feed(t, pk(C, 1, C, 2, 17, 0, 60), T0 + 51 * S);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(got[0].syn_retries, 1);
	assert_int_equal(st.timed_out, 1);
	cap_flowtab_free(t);
}

static void test_rejected(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40002, SV, 1962, 6, SYN, 74), T0);
	feed(t, pk(SV, 1962, C, 40002, 6, RST | ACK, 60), T0 + MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_REJECTED);
	assert_true(addr_is(got[0].addr_a, C));
	assert_int_equal(got[0].flags[1], RST | ACK);
	cap_flowtab_free(t);
}

static void test_rst_after_established_closed(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40003, SV, 443, 6, SYN, 74), T0);
	feed(t, pk(SV, 443, C, 40003, 6, SYN | ACK, 74), T0 + MS);
	feed(t, pk(C, 40003, SV, 443, 6, ACK, 66), T0 + 2 * MS);
	feed(t, pk(SV, 443, C, 40003, 6, RST, 60), T0 + 3 * MS);
	/* A new SYN on the same tuple after the reset is a new flow. */
	feed(t, pk(C, 40003, SV, 443, 6, SYN, 74), T0 + 4 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].outcome, CAP_OUT_CLOSED);
	assert_int_equal(got[1].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(got[1].pkts[0], 1);
	cap_flowtab_free(t);
}

static struct cap_packet icmp_err4(const char *from, const char *to,
                                   uint8_t type, uint8_t code,
                                   const struct cap_packet *q)
{
	struct cap_packet p = pk(from, 0, to, 0, 1, 0, 70);
	p.icmp_type = type;
	p.icmp_code = code;
	p.icmp_error = true;
	p.quoted.family = q->family;
	p.quoted.proto = q->proto;
	memcpy(p.quoted.src, q->src, 16);
	memcpy(p.quoted.dst, q->dst, 16);
	p.quoted.sport = q->sport;
	p.quoted.dport = q->dport;
	return p;
}

static void test_unreachable(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	struct cap_packet syn = pk(C, 40004, SV, 1964, 6, SYN, 74);
	feed(t, syn, T0);
	feed(t, icmp_err4("10.0.0.254", C, 3, 13, &syn), T0 + MS);
	feed(t, syn, T0 + S);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1); /* the ICMP error is not a flow of its own */
	assert_int_equal(got[0].outcome, CAP_OUT_UNREACHABLE);
	assert_int_equal(got[0].icmp_type, 3);
	assert_int_equal(got[0].icmp_code, 13);
	assert_int_equal(got[0].syn_retries, 1);
	assert_int_equal(got[0].port_b, 1964);

	/* UDP: port unreachable from the responder itself. */
	t = (cap_flowtab_free(t), fresh(64, NULL));
	struct cap_packet u = pk(C, 50000, SV, 162, 17, 0, 80);
	feed(t, u, T0);
	feed(t, icmp_err4(SV, C, 3, 3, &u), T0 + MS);
	/* An error quoting nothing we know is an ICMP flow of its own. */
	struct cap_packet other = pk("1.2.3.4", 5, "5.6.7.8", 6, 17, 0, 80);
	feed(t, icmp_err4("10.0.0.254", "1.2.3.4", 11, 0, &other), T0 + 2 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 2);
	const struct cap_flow *fu = got[0].proto == 17 ? &got[0] : &got[1];
	const struct cap_flow *fi = got[0].proto == 17 ? &got[1] : &got[0];
	assert_int_equal(fu->outcome, CAP_OUT_UNREACHABLE);
	assert_int_equal(fu->icmp_type, 3);
	assert_int_equal(fu->icmp_code, 3);
	assert_int_equal(fi->proto, 1);
	assert_int_equal(fi->icmp_type, 11);
	assert_int_equal(fi->port_b, 11 << 8);
	assert_int_equal(fi->outcome, CAP_OUT_UNREACHABLE);
	cap_flowtab_free(t);
}

static void test_midstream_portmap(void **state)
{
	(void)state;
	static struct cap_portmap pm;
	memset(&pm, 0, sizeof pm);
	cap_portmap_set(pm.tcp, 50001);
	struct cap_flowtab *t = fresh(64, &pm);
	/* First packet from the service port (the higher one): portmap wins
	 * over the lower-port rule. */
	feed(t, pk(SV, 50001, C, 2000, 6, ACK | PSH, 100), T0);
	feed(t, pk(C, 2000, SV, 50001, 6, ACK, 66), T0 + MS);
	/* Without a catalog port: the lower port is the responder. */
	feed(t, pk(C, 3000, SV, 45000, 6, ACK, 66), T0 + 2 * MS);
	/* A tie: the first sender initiates. */
	feed(t, pk(SV, 7000, C, 7000, 6, ACK, 66), T0 + 3 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 3);
	for (unsigned i = 0; i < ngot; i++) {
		const struct cap_flow *f = &got[i];
		assert_int_equal(f->outcome, CAP_OUT_MIDSTREAM);
		assert_int_equal(f->initiator_inferred, 1);
		if (f->port_a == 2000 || f->port_b == 2000) {
			assert_true(addr_is(f->addr_a, C));
			assert_int_equal(f->port_a, 2000);
			assert_int_equal(f->port_b, 50001);
			assert_int_equal(f->pkts[0], 1);
			assert_int_equal(f->pkts[1], 1);
			assert_int_equal(f->bytes[1], 100);
		} else if (f->port_a == 3000 || f->port_b == 3000) {
			assert_true(addr_is(f->addr_a, SV));
			assert_int_equal(f->port_a, 45000);
			assert_int_equal(f->port_b, 3000);
			assert_int_equal(f->pkts[1], 1);
		} else {
			assert_true(addr_is(f->addr_a, SV));
			assert_int_equal(f->pkts[0], 1);
		}
	}
	cap_flowtab_free(t);
}

static void test_synack_first(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(SV, 60000, C, 40005, 6, SYN | ACK, 74), T0);
	feed(t, pk(C, 40005, SV, 60000, 6, ACK, 66), T0 + MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1);
	assert_true(addr_is(got[0].addr_a, C));
	assert_int_equal(got[0].port_a, 40005);
	assert_int_equal(got[0].port_b, 60000);
	assert_int_equal(got[0].initiator_inferred, 0);
	assert_int_equal(got[0].pkts[0], 1);
	assert_int_equal(got[0].pkts[1], 1);
	assert_int_equal(got[0].outcome, CAP_OUT_ESTABLISHED);
	cap_flowtab_free(t);
}

static void test_udp(void **state)
{
	(void)state;
	static struct cap_portmap pm;
	memset(&pm, 0, sizeof pm);
	cap_portmap_set(pm.udp, 50002);
	cap_portmap_set(pm.udp, 1813);
	cap_portmap_set(pm.udp, 1646);
	struct cap_flowtab *t = fresh(64, &pm);
	/* request/response */
	feed(t, pk(C, 33333, SV, 53, 17, 0, 80), T0);
	feed(t, pk(SV, 53, C, 33333, 17, 0, 200), T0 + MS);
	/* one-way (syslog) */
	feed(t, pk(C, 514, SV, 514, 17, 0, 120), T0 + 2 * MS);
	feed(t, pk(C, 514, SV, 514, 17, 0, 130), T0 + 3 * MS);
	/* a reply seen first, from the service port (the higher one) */
	feed(t, pk(SV, 50002, C, 1500, 17, 0, 90), T0 + 4 * MS);
	/* two ephemeral ports: the first sender initiates, not inferred */
	feed(t, pk(SV, 40000, C, 50000, 17, 0, 70), T0 + 5 * MS);
	feed(t, pk(C, 50000, SV, 40000, 17, 0, 70), T0 + 6 * MS);
	/* service ports both sides (RADIUS accounting 1813, 1646): the port
	 * order keeps the first sender, a guess: inferred */
	feed(t, pk(SV, 1813, C, 1646, 17, 0, 62), T0 + 7 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 5);
	int seen = 0;
	for (unsigned i = 0; i < ngot; i++) {
		const struct cap_flow *f = &got[i];
		if (f->port_b == 53) {
			seen |= 1;
			assert_int_equal(f->outcome, CAP_OUT_REPLIED);
			assert_int_equal(f->initiator_inferred, 0);
			assert_true(addr_is(f->addr_a, C));
			assert_int_equal(f->bytes[0], 80);
			assert_int_equal(f->bytes[1], 200);
		} else if (f->port_b == 514) {
			seen |= 2;
			assert_int_equal(f->outcome, CAP_OUT_ONEWAY);
			assert_int_equal(f->pkts[0], 2);
			assert_int_equal(f->bytes[0], 250);
		} else if (f->port_a == 1813) {
			seen |= 16;
			assert_true(addr_is(f->addr_a, SV));
			assert_int_equal(f->port_b, 1646);
			assert_int_equal(f->initiator_inferred, 1);
		} else if (f->port_a == 40000) {
			seen |= 8;
			assert_true(addr_is(f->addr_a, SV));
			assert_int_equal(f->port_b, 50000);
			assert_int_equal(f->initiator_inferred, 0);
			assert_int_equal(f->outcome, CAP_OUT_REPLIED);
		} else {
			seen |= 4;
			assert_int_equal(f->port_b, 50002);
			assert_int_equal(f->port_a, 1500);
			assert_true(addr_is(f->addr_a, C));
			assert_int_equal(f->initiator_inferred, 1);
			assert_int_equal(f->pkts[1], 1);
			assert_int_equal(f->pkts[0], 0);
			assert_int_equal(f->outcome, CAP_OUT_ONEWAY);
		}
	}
	assert_int_equal(seen, 31);
	cap_flowtab_free(t);
}

/* A group address never initiates; port 0 never serves; a later fragment
 * adds bytes but not a packet. */
static void test_group_port0_fragments(void **state)
{
	(void)state;
	static struct cap_portmap pm;
	memset(&pm, 0, sizeof pm);
	cap_portmap_set(pm.udp, 67);
	cap_portmap_set(pm.udp, 68);
	struct cap_flowtab *t = fresh(64, &pm);
	/* DHCP offer broadcast from the server's port 67 to 68: the lower
	 * port would make 67 the responder; the broadcast cannot initiate. */
	feed(t, pk("128.2.6.152", 67, "255.255.255.255", 68, 17, 0, 342), T0);
	/* multicast from the higher port */
	feed(t, pk("10.0.0.9", 5353, "224.0.0.251", 53, 17, 0, 100), T0 + MS);
	/* a TCP segment midstream from port 0 */
	feed(t, pk("10.0.0.7", 0, "10.0.0.8", 4444, 6, ACK, 60), T0 + 2 * MS);
	/* UDP, a first fragment then a later one (same datagram) */
	struct cap_packet a = pk(C, 40000, SV, 2049, 17, 0, 1514);
	struct cap_packet b = a;
	b.later_fragment = true;
	b.wirelen = 600;
	feed(t, a, T0 + 3 * MS);
	feed(t, b, T0 + 3 * MS + 10);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 4);
	int seen = 0;
	for (unsigned i = 0; i < ngot; i++) {
		const struct cap_flow *f = &got[i];
		if (addr_is(f->addr_b, "255.255.255.255")) {
			seen |= 1;
			assert_true(addr_is(f->addr_a, "128.2.6.152"));
			assert_int_equal(f->port_b, 68);
		} else if (addr_is(f->addr_b, "224.0.0.251")) {
			seen |= 2;
			assert_int_equal(f->port_a, 5353);
		} else if (f->proto == 6) {
			seen |= 4;
			assert_int_equal(f->port_a, 0);
			assert_int_equal(f->port_b, 4444);
		} else {
			seen |= 8;
			assert_int_equal(f->pkts[0], 1);
			assert_int_equal(f->bytes[0], 2114);
		}
	}
	assert_int_equal(seen, 15);
	cap_flowtab_free(t);
}

static void test_udp_timeout(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40000, SV, 161, 17, 0, 80), T0);
	feed(t, pk(C, 40000, SV, 161, 17, 0, 80), T0 + 59 * S);
	assert_int_equal(ngot, 0);
	feed(t, pk(C, 40000, SV, 161, 17, 0, 80), T0 + 59 * S + 61 * S);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].pkts[0], 2);
	assert_int_equal(st.timed_out, 1);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[1].pkts[0], 1);
	assert_int_equal(got[1].first_ns, T0 + 120 * S);
	cap_flowtab_free(t);
}

static void test_tcp_est_timeout(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40000, SV, 22, 6, SYN, 74), T0);
	feed(t, pk(SV, 22, C, 40000, 6, SYN | ACK, 74), T0 + MS);
	feed(t, pk(C, 40000, SV, 22, 6, ACK, 66), T0 + 2 * MS);
	/* 4 minutes idle: still the same flow. */
	feed(t, pk(C, 40000, SV, 22, 6, ACK, 66), T0 + 240 * S);
	/* 5 minutes idle with another flow's packets: handed on by the sweep. */
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 541 * S);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(got[0].pkts[0], 3);
	assert_int_equal(st.timed_out, 1);
	cap_flowtab_free(t);
}

static void test_eviction(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(16, NULL);
	for (unsigned i = 0; i < 100; i++)
		feed(t, pk(C, (uint16_t)(10000 + i), SV, 161, 17, 0, 80),
		     T0 + i * MS);
	assert_true(cap_flowtab_live(t) <= 16);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 100);
	assert_int_equal(st.flows, 100);
	assert_int_equal(st.evicted, 84);
	assert_int_equal(st.peak_flows, 16);
	assert_int_equal(st.max_flows, 16);
	static unsigned char seen[100];
	memset(seen, 0, sizeof seen);
	for (unsigned i = 0; i < ngot; i++) {
		unsigned port = got[i].port_a;
		assert_true(port >= 10000 && port < 10100);
		assert_int_equal(seen[port - 10000], 0);
		seen[port - 10000] = 1;
		assert_int_equal(got[i].pkts[0], 1);
	}
	/* The oldest went first. */
	assert_int_equal(got[0].port_a, 10000);
	assert_int_equal(got[83].port_a, 10083);
	cap_flowtab_free(t);
}

static void test_ipv6(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	struct cap_packet a, b;
	memset(&a, 0, sizeof a);
	a.family = 6;
	a.proto = 6;
	a.src[0] = 0x20; a.src[1] = 0x01; a.src[2] = 0x0d; a.src[3] = 0xb8; a.src[15] = 1;
	a.dst[0] = 0x20; a.dst[1] = 0x01; a.dst[2] = 0x0d; a.dst[3] = 0xb8; a.dst[15] = 2;
	a.sport = 40000;
	a.dport = 1960;
	a.tcp_flags = SYN;
	a.wirelen = 94;
	b = a;
	memcpy(b.src, a.dst, 16);
	memcpy(b.dst, a.src, 16);
	b.sport = a.dport;
	b.dport = a.sport;
	b.tcp_flags = SYN | ACK;
	feed(t, a, T0);
	feed(t, b, T0 + MS);
	a.tcp_flags = ACK;
	feed(t, a, T0 + 2 * MS);
	/* Same ports, other addresses in IPv4: another flow. */
	feed(t, pk("32.1.13.184", 40000, "32.1.13.184", 1960, 6, SYN, 60), T0 + 3 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 2);
	const struct cap_flow *f = got[0].family == 6 ? &got[0] : &got[1];
	assert_int_equal(f->family, 6);
	assert_memory_equal(f->addr_a, a.src, 16);
	assert_memory_equal(f->addr_b, a.dst, 16);
	assert_int_equal(f->outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->bytes[0], 188);
	cap_flowtab_free(t);
}

static void test_truncated_epm_vlan(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	struct cap_packet p = pk(C, 40000, SV, 135, 6, SYN, 74);
	p.vlan = 100;
	feed(t, p, T0);
	p = pk(SV, 135, C, 40000, 6, SYN | ACK, 74);
	p.vlan = 100;
	feed(t, p, T0 + MS);
	p = pk(C, 40000, SV, 135, 6, ACK | PSH, 1500);
	p.truncated = true;
	feed(t, p, T0 + 2 * MS);
	p = pk(SV, 135, C, 40000, 6, ACK | PSH, 1500);
	p.truncated = true;
	p.epm_port = 49667;
	feed(t, p, T0 + 3 * MS);
	feed(t, pk(SV, 135, C, 40000, 6, ACK, 66), T0 + 4 * MS);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].truncated, 2);
	assert_int_equal(got[0].epm_port, 49667);
	assert_int_equal(got[0].vlan, 100);
	cap_flowtab_free(t);
}

static struct cap_packet echo(const char *src, const char *dst, uint8_t type,
                              uint16_t id)
{
	struct cap_packet p = pk(src, id, dst, id, 1, 0, 98);
	p.icmp_type = type;
	return p;
}

static void test_icmp_echo(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, echo(C, SV, 8, 7), T0);
	feed(t, echo(SV, C, 0, 7), T0 + MS);
	feed(t, echo(C, SV, 8, 7), T0 + S);
	feed(t, echo(SV, C, 0, 7), T0 + S + MS);
	feed(t, echo(C, SV, 8, 8), T0 + 2 * S);            /* no reply */
	feed(t, echo("10.0.0.3", C, 0, 9), T0 + 3 * S);    /* reply first */
	/* the echo request of id 8 gets a host-unreachable */
	struct cap_packet q = echo(C, SV, 8, 8);
	feed(t, icmp_err4("10.0.0.254", C, 3, 1, &q), T0 + 4 * S);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 3);
	int seen = 0;
	for (unsigned i = 0; i < ngot; i++) {
		const struct cap_flow *f = &got[i];
		assert_int_equal(f->proto, 1);
		assert_int_equal(f->port_b, 8 << 8);
		if (f->port_a == 7) {
			seen |= 1;
			assert_int_equal(f->outcome, CAP_OUT_REPLIED);
			assert_int_equal(f->pkts[0], 2);
			assert_int_equal(f->pkts[1], 2);
			assert_true(addr_is(f->addr_a, C));
		} else if (f->port_a == 8) {
			seen |= 2;
			assert_int_equal(f->outcome, CAP_OUT_UNREACHABLE);
			assert_int_equal(f->icmp_type, 3);
			assert_int_equal(f->icmp_code, 1);
		} else {
			seen |= 4;
			assert_int_equal(f->port_a, 9);
			assert_true(addr_is(f->addr_a, C));
			assert_int_equal(f->pkts[1], 1);
			assert_int_equal(f->outcome, CAP_OUT_REPLIED);
		}
	}
	assert_int_equal(seen, 7);
	cap_flowtab_free(t);
}

/* Many flows with churn, evictions and timeouts: the open-addressing
 * index (backward-shift deletion) must keep every flow findable, and every
 * packet is counted in exactly one flow handed on. */
static uint64_t churn_pkts;
static void count_pkts(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	churn_pkts += f->pkts[0] + f->pkts[1];
	assert_true(f->pkts[0] + f->pkts[1] > 0);
}

static void test_churn_counts(void **state)
{
	(void)state;
	memset(&st, 0, sizeof st);
	churn_pkts = 0;
	struct cap_flowtab *t = cap_flowtab_new(256, NULL, count_pkts, NULL, &st);
	assert_non_null(t);
	uint64_t ts = T0, fed = 0;
	uint32_t x = 99;
	for (unsigned i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		uint16_t port = (uint16_t)(1024 + (x >> 16) % 2000);
		uint8_t proto = (x & 0x80) ? 6 : 17;
		struct cap_packet p = (x & 0x100) ? pk(SV, 53, C, port, proto, ACK, 100)
		                                  : pk(C, port, SV, 53, proto, ACK, 100);
		feed(t, p, ts);
		fed++;
		ts += (x & 0x7) * 100 * MS;
	}
	cap_flowtab_flush(t);
	assert_int_equal(churn_pkts, fed);
	assert_true(st.evicted > 0);
	assert_true(st.timed_out > 0);
	assert_true(st.peak_flows <= 256);
	assert_int_equal(cap_flowtab_live(t), 0);
	cap_flowtab_free(t);
}

/* cap_flowtab_batch() is cap_flowtab_packet() in order: the same flows,
 * handed on in the same order, whatever the batch sizes. */
static struct cap_flow single[MAXGOT];
static unsigned nsingle;

static void test_batch_equals_single(void **state)
{
	(void)state;
	static struct cap_packet pk_[3000];
	static uint64_t ts_[3000];
	uint32_t x = 7;
	uint64_t ts = T0;
	for (unsigned i = 0; i < 3000; i++) {
		x = x * 1103515245u + 12345u;
		uint16_t port = (uint16_t)(1024 + (x >> 16) % 300);
		uint8_t fl = (uint8_t)((x >> 8) & (SYN | ACK | FIN | RST));
		pk_[i] = (x & 0x100) ? pk(SV, 80, C, port, (x & 0x200) ? 6 : 17, fl, 90)
		                     : pk(C, port, SV, 80, (x & 0x200) ? 6 : 17, fl, 60);
		ts += (x & 0xf) * 50 * MS;
		ts_[i] = ts;
	}
	struct cap_flowtab *t = fresh(64, NULL);
	for (unsigned i = 0; i < 3000; i++)
		cap_flowtab_packet(t, &pk_[i], ts_[i]);
	cap_flowtab_flush(t);
	cap_flowtab_free(t);
	assert_true(ngot > 100);
	assert_true(st.evicted > 0);
	nsingle = ngot;
	memcpy(single, got, sizeof(struct cap_flow) * ngot);
	t = fresh(64, NULL);
	for (unsigned i = 0; i < 3000;) {
		x = x * 1103515245u + 12345u;
		unsigned n = 1 + (x >> 16) % 40;
		if (n > 3000 - i)
			n = 3000 - i;
		cap_flowtab_batch(t, &pk_[i], &ts_[i], n);
		i += n;
	}
	cap_flowtab_flush(t);
	cap_flowtab_free(t);
	assert_int_equal(ngot, nsingle);
	for (unsigned i = 0; i < ngot; i++)
		assert_memory_equal(&got[i], &single[i], sizeof(struct cap_flow));
}

/* The index starts small and grows with the live flows (flow.c,
 * index_grow): every flow stays found across the growth, in both
 * directions, and each is handed on once with both its packets. */
static unsigned grow_flows, grow_bad;

static void count_grow(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	grow_flows++;
	if (f->pkts[0] != 1 || f->pkts[1] != 1 ||
	    f->outcome != CAP_OUT_REPLIED)
		grow_bad++;
}

static struct cap_packet grow_pk(unsigned i, bool reply, bool v6)
{
	char a[32];
	snprintf(a, sizeof a, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255,
	         i & 255);
	struct cap_packet p = reply ? pk(SV, 53, a, 40000, 17, 0, 90)
	                            : pk(a, 40000, SV, 53, 17, 0, 60);
	if (v6) {
		p.family = 6;
		p.src[15] = 1;
		p.dst[15] = 1;
	}
	return p;
}

static void test_index_grows(void **state)
{
	(void)state;
	for (unsigned max = 0; max <= 50000; max += 50000) {
		memset(&st, 0, sizeof st);
		grow_flows = grow_bad = 0;
		struct cap_flowtab *t = cap_flowtab_new(max, NULL, count_grow,
		                                        NULL, &st);
		assert_non_null(t);
		const unsigned n = 40000; /* > INDEX_START / 2 many times over */
		for (unsigned i = 0; i < n; i++) {
			struct cap_packet p = grow_pk(i, false, i & 1);
			cap_flowtab_packet(t, &p, T0 + i * 1000);
		}
		assert_int_equal(cap_flowtab_live(t), n);
		for (unsigned i = 0; i < n; i++) {
			struct cap_packet p = grow_pk(i, true, i & 1);
			cap_flowtab_packet(t, &p, T0 + n * 1000 + i * 1000);
		}
		assert_int_equal(cap_flowtab_live(t), n);
		assert_int_equal(st.peak_flows, n);
		cap_flowtab_flush(t);
		assert_int_equal(grow_flows, n);
		assert_int_equal(grow_bad, 0);
		assert_int_equal(st.evicted, 0);
		assert_int_equal(cap_flowtab_live(t), 0);
		cap_flowtab_free(t);
	}
}

/* The sweep skips the list heads until packet time passes the earliest
 * time one can expire (flow.c, expire): a flow is still handed on by
 * another flow's packet exactly when its timeout has passed, not a
 * nanosecond earlier, also after the head changed or the timeouts shrank
 * (emergency). */
/* A flood that fills the table within a second (a flow moves in its
 * list at most once a second) does not evict the busiest flow, which
 * would then be the head of its list: the head more recently active than
 * the flow after it gets a second chance. A connection set up just before
 * a flood and busy throughout stays one flow. */
static void test_eviction_spares_busy_flow(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(16, NULL);
	feed(t, pk(C, 40000, SV, 5000, 17, 0, 80), T0);
	feed(t, pk(SV, 5000, C, 40000, 17, 0, 80), T0 + 1000);
	for (unsigned i = 0; i < 100; i++) {
		feed(t, pk("10.7.0.1", (uint16_t)(10000 + i), SV, 161, 17, 0,
		           80), T0 + 2000 + i * 1000);
		feed(t, pk(C, 40000, SV, 5000, 17, 0, 80),
		     T0 + 2500 + i * 1000);
	}
	/* 1 busy + 100 flood flows in 16 entries: 85 evicted, none the busy
	 * one, oldest first. */
	assert_int_equal(st.evicted, 85);
	for (unsigned i = 0; i < ngot; i++) {
		assert_int_not_equal(got[i].port_a, 40000);
		assert_int_equal(got[i].port_a, 10000 + i);
	}
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 101);
	unsigned busy = 0;
	for (unsigned i = 0; i < ngot; i++)
		if (got[i].port_a == 40000) {
			busy++;
			assert_int_equal(got[i].pkts[0], 101);
			assert_int_equal(got[i].pkts[1], 1);
			assert_int_equal(got[i].outcome, CAP_OUT_REPLIED);
		}
	assert_int_equal(busy, 1);
	cap_flowtab_free(t);
}

static void test_sweep_exact(void **state)
{
	(void)state;
	struct cap_flowtab *t = fresh(64, NULL);
	feed(t, pk(C, 40000, SV, 161, 17, 0, 80), T0);
	feed(t, pk(C, 40001, SV, 161, 17, 0, 80), T0 + 10 * S);
	/* Another class's flow (SYN only, 30 s): its head expires between
	 * the two UDP flows. */
	feed(t, pk(C, 40002, SV, 22, 6, SYN, 74), T0 + 35 * S);
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 60 * S);
	assert_int_equal(ngot, 0);
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 60 * S + 1);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].port_a, 40000);
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 65 * S);
	assert_int_equal(ngot, 1);
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 65 * S + 1);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[1].port_a, 40002);
	assert_int_equal(got[1].outcome, CAP_OUT_UNANSWERED);
	/* The next UDP head (40001) expires at T0 + 70 s. */
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 70 * S);
	assert_int_equal(ngot, 2);
	feed(t, pk(C, 1, SV, 2, 17, 0, 60), T0 + 70 * S + 1);
	assert_int_equal(ngot, 3);
	assert_int_equal(got[2].port_a, 40001);
	assert_int_equal(st.timed_out, 3);
	cap_flowtab_free(t);

	/* Emergency: a full table drops the timeouts at once. */
	t = fresh(4, NULL);
	for (unsigned i = 0; i < 4; i++)
		feed(t, pk(C, (uint16_t)(30000 + i), SV, 161, 17, 0, 80),
		     T0 + i * MS);
	assert_int_equal(ngot, 0);
	/* A fifth flow evicts the oldest and enters emergency mode. */
	feed(t, pk(C, 30010, SV, 161, 17, 0, 80), T0 + 5 * S);
	assert_int_equal(ngot, 1);
	assert_int_equal(st.evicted, 1);
	/* UDP's emergency timeout is 10 s: the three left from T0 go
	 * (the new one, from T0 + 5 s, stays). */
	feed(t, pk(C, 30010, SV, 161, 17, 0, 80), T0 + 10 * S + 3 * MS + 1);
	assert_int_equal(ngot, 4);
	assert_int_equal(st.timed_out, 3);
	cap_flowtab_flush(t);
	assert_int_equal(ngot, 5);
	cap_flowtab_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_closed),
		cmocka_unit_test(test_flush_then_reuse),
		cmocka_unit_test(test_end_unsure),
		cmocka_unit_test(test_syn_on_open_tuple),
		cmocka_unit_test(test_established_at_end),
		cmocka_unit_test(test_syn_retries_unanswered),
		cmocka_unit_test(test_syn_timeout),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_rst_after_established_closed),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_midstream_portmap),
		cmocka_unit_test(test_synack_first),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_group_port0_fragments),
		cmocka_unit_test(test_udp_timeout),
		cmocka_unit_test(test_tcp_est_timeout),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_truncated_epm_vlan),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_churn_counts),
		cmocka_unit_test(test_batch_equals_single),
		cmocka_unit_test(test_index_grows),
		cmocka_unit_test(test_sweep_exact),
		cmocka_unit_test(test_eviction_spares_busy_flow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
