/*
 * test_decode_frag.c -- fragments: later fragments get the first one's
 * ports (IPv4 and IPv6), a later fragment alone is counted, expiry, and the
 * table stays bounded under a flood of distinct datagrams.
 */
#define DECODE_TEST_DECODER 1024 /* its fragment slots */
#include "tests/decode_test.h"
#include "capture/decode_int.h"

#define SEC 1000000000ull

/* IPv4 fragment of a UDP datagram 10.0.0.1:5353 -> 10.0.0.2:9999 of 2008
 * bytes (8 header + 2000 data): first carries 8 + 1472, the second 528. */
static void frag4(struct pb *p, unsigned id, bool first, unsigned proto)
{
	size_t ip;
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x0800);
	if (first) {
		ip = pb_ip4f(p, proto, "10.0.0.1", "10.0.0.2", id, 0x2000);
		if (proto == 17) {
			pb_be16(p, 5353);
			pb_be16(p, 9999);
			pb_be16(p, 2008);
			pb_be16(p, 0);
		} else {
			pb_tcp(p, 5353, 9999, CAP_TH_ACK);
		}
		pb_fill(p, 1, 1472);
	} else {
		ip = pb_ip4f(p, proto, "10.0.0.1", "10.0.0.2", id, 1480 / 8);
		pb_fill(p, 2, 528);
	}
	pb_ip4_end(p, ip);
}

static bool dec_at(struct pb *p, uint64_t ts, struct cap_packet *pk)
{
	return cap_decode(&d, DLT_T_EN10MB, p->b, (uint32_t)p->n, (uint32_t)p->n, ts, pk);
}

static void test_ip4(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	uint64_t tracked = d.frag_tracked;
	frag4(&p, 0x77, true, 17);
	assert_true(dec_at(&p, 10 * SEC, &pk));
	assert_int_equal(pk.sport, 5353);
	assert_int_equal(pk.dport, 9999);
	assert_false(pk.later_fragment);
	assert_false(pk.truncated);
	frag4(&p, 0x77, false, 17);
	assert_true(dec_at(&p, 10 * SEC + 1000, &pk));
	assert_true(pk.later_fragment);
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 5353);
	assert_int_equal(pk.dport, 9999);
	assert_int_equal(pk.payload_len, 528);
	assert_int_equal(d.frag_tracked, tracked + 1);
	assert_int_equal(an_total(&d), 0);
	/* TCP as well */
	frag4(&p, 0x78, true, 6);
	assert_true(dec_at(&p, 11 * SEC, &pk));
	frag4(&p, 0x78, false, 6);
	assert_true(dec_at(&p, 11 * SEC, &pk));
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.dport, 9999);
	assert_int_equal(pk.tcp_flags, 0);
	/* another id, same addresses: unknown */
	frag4(&p, 0x79, false, 17);
	assert_false(dec_at(&p, 11 * SEC, &pk));
	assert_int_equal(an_total(&d), 0); /* held: its first may come */
	cap_decoder_settle(&d);           /* it never did */
	assert_only_anomaly(&d, CAP_AN_FRAG_NO_FIRST);
	/* expired after ~30 s without use */
	reset_anomalies(&d);
	frag4(&p, 0x77, false, 17);
	assert_false(dec_at(&p, 60 * SEC, &pk));
	cap_decoder_settle(&d);
	assert_only_anomaly(&d, CAP_AN_FRAG_NO_FIRST);
	/* a later fragment of another protocol is just another protocol */
	reset_anomalies(&d);
	frag4(&p, 0x80, false, 50);
	assert_false(dec_at(&p, 60 * SEC, &pk));
	assert_only_anomaly(&d, CAP_AN_OTHER_L4);
	/* a later fragment of GRE belongs to its first, like TCP's */
	reset_anomalies(&d);
	frag4(&p, 0x81, false, 47);
	assert_false(dec_at(&p, 60 * SEC, &pk));
	cap_decoder_settle(&d);
	assert_only_anomaly(&d, CAP_AN_FRAG_NO_FIRST);
}

/* Fragments reordered on the way: the later ones before the first are
 * held, and the first fragment's packet carries their bytes and the
 * earliest time; nothing is counted as an anomaly. */
static void test_reordered(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	frag4(&p, 0x90, false, 17);
	size_t later = p.n;
	assert_false(dec_at(&p, 20 * SEC, &pk));
	assert_false(dec_at(&p, 20 * SEC + 5, &pk)); /* a second one */
	assert_int_equal(an_total(&d), 0);
	frag4(&p, 0x90, true, 17);
	assert_true(dec_at(&p, 20 * SEC + 10, &pk));
	assert_int_equal(pk.dport, 9999);
	assert_int_equal(pk.early_bytes, 2 * later);
	assert_int_equal(pk.early_ns, 20 * SEC);
	/* a later one after it: as usual, nothing early any more */
	frag4(&p, 0x90, false, 17);
	assert_true(dec_at(&p, 20 * SEC + 20, &pk));
	assert_true(pk.later_fragment);
	frag4(&p, 0x91, true, 17);
	assert_true(dec_at(&p, 21 * SEC, &pk));
	assert_int_equal(pk.early_bytes, 0);
	cap_decoder_settle(&d);
	assert_int_equal(an_total(&d), 0);
}

/* IPv6: fragment header (+ a destination options header before it). */
static void frag6(struct pb *p, uint32_t id, bool first)
{
	size_t ip;
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x86dd);
	ip = pb_ip6(p, 60, "2001:db8::a", "2001:db8::b");
	pb_u8(p, 44);
	pb_u8(p, 0);
	pb_fill(p, 0, 6);
	pb_u8(p, 17);
	pb_u8(p, 0);
	pb_be16(p, first ? 1 : (1232 / 8) << 3);
	pb_be32(p, id);
	if (first) {
		pb_be16(p, 6000);
		pb_be16(p, 7000);
		pb_be16(p, 3000);
		pb_be16(p, 0);
		pb_fill(p, 3, 1224);
	} else {
		pb_fill(p, 4, 300);
	}
	pb_ip6_end(p, ip);
}

static void test_ip6(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	frag6(&p, 0xdeadbeef, true);
	assert_true(dec_at(&p, 5 * SEC, &pk));
	assert_int_equal(pk.sport, 6000);
	assert_int_equal(pk.dport, 7000);
	frag6(&p, 0xdeadbeef, false);
	assert_true(dec_at(&p, 5 * SEC, &pk));
	assert_true(pk.later_fragment);
	assert_int_equal(pk.family, 6);
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 6000);
	assert_int_equal(pk.dport, 7000);
	assert_int_equal(pk.payload_len, 300);
	assert_int_equal(an_total(&d), 0);
	frag6(&p, 0xdeadbeee, false);
	assert_false(dec_at(&p, 5 * SEC, &pk));
	cap_decoder_settle(&d);
	assert_only_anomaly(&d, CAP_AN_FRAG_NO_FIRST);
}

/* 100000 distinct datagrams through a 1024-slot table: memory is fixed,
 * full windows are counted, recent datagrams still resolve. */
static void test_flood(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_int_equal(cap_frag_capacity(d.frag), 1024);
	for (unsigned i = 0; i < 100000; i++) {
		frag4(&p, i & 0xffff, true, 17);
		p.b[14 + 15] = (uint8_t)(i >> 16); /* vary the source too */
		assert_true(dec_at(&p, 100 * SEC + i, &pk));
	}
	assert_true(cap_frag_live(d.frag, 100 * SEC + 100000) <= 1024);
	assert_true(d.anomalies[CAP_AN_FRAG_TABLE_FULL] > 90000);
	/* the last datagram is still known */
	frag4(&p, 99999 & 0xffff, false, 17);
	p.b[14 + 15] = (uint8_t)(99999 >> 16);
	assert_true(dec_at(&p, 100 * SEC + 100001, &pk));
	assert_int_equal(pk.dport, 9999);
}

/* Completed datagrams (last fragment seen) make room without counting. */
static void test_done_reused(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	cap_decoder_free(&d);
	assert_int_equal(cap_decoder_init(&d, 16), 0);
	for (unsigned i = 0; i < 1000; i++) {
		frag4(&p, i, true, 17);
		assert_true(dec_at(&p, 200 * SEC + i, &pk));
		frag4(&p, i, false, 17);
		assert_true(dec_at(&p, 200 * SEC + i, &pk));
		assert_int_equal(pk.sport, 5353);
	}
	assert_int_equal(d.anomalies[CAP_AN_FRAG_TABLE_FULL], 0);
	assert_int_equal(cap_frag_capacity(d.frag), 16);
}

/* Full of live datagrams: the least recently USED goes (datagram 0 was
 * looked up again, so 1 goes), counted once; an expired entry is reused
 * without counting. */
static void test_lru_eviction(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	cap_decoder_free(&d);
	assert_int_equal(cap_decoder_init(&d, 16), 0);
	uint64_t t0 = 300 * SEC;
	for (unsigned i = 0; i < 16; i++) {
		frag4(&p, 100 + i, true, 17);
		assert_true(dec_at(&p, t0 + i, &pk));
	}
	frag4(&p, 100, false, 17);           /* a middle fragment of 0 */
	p.b[14 + 6] |= 0x20;                 /* MF: not the last */
	assert_true(dec_at(&p, t0 + 20, &pk));
	frag4(&p, 200, true, 17);            /* one datagram too many */
	assert_true(dec_at(&p, t0 + 21, &pk));
	assert_int_equal(d.anomalies[CAP_AN_FRAG_TABLE_FULL], 1);
	frag4(&p, 101, false, 17);           /* 1 was forgotten */
	assert_false(dec_at(&p, t0 + 22, &pk));
	/* no room to hold it (a live datagram's entry is never taken) */
	assert_int_equal(d.anomalies[CAP_AN_FRAG_NO_FIRST], 1);
	frag4(&p, 100, false, 17);           /* 0 was kept */
	assert_true(dec_at(&p, t0 + 23, &pk));
	assert_int_equal(pk.dport, 9999);
	frag4(&p, 200, false, 17);
	assert_true(dec_at(&p, t0 + 24, &pk));
	/* 40 s later every entry has expired: new datagrams reuse them
	 * without counting the table full. */
	for (unsigned i = 0; i < 16; i++) {
		frag4(&p, 300 + i, true, 17);
		assert_true(dec_at(&p, t0 + 40 * SEC + i, &pk));
	}
	assert_int_equal(d.anomalies[CAP_AN_FRAG_TABLE_FULL], 1);
	assert_int_equal(cap_frag_live(d.frag, t0 + 40 * SEC + 16), 16);
}

/* A SYN 10.1.1.1:40010 -> 10.2.2.2:445 (20 bytes) fragmented after its
 * first `cut` bytes (a multiple of 8): the first fragment's TCP bytes,
 * or the later one's (offset cut / 8). */
static void tiny4(struct pb *p, unsigned id, unsigned cut, bool first)
{
	struct pb t = {0};
	size_t ip;
	pb_tcp(&t, 40010, 445, CAP_TH_SYN);
	memset(p, 0, sizeof(*p));
	pb_eth(p, 0x0800);
	ip = pb_ip4f(p, 6, "10.1.1.1", "10.2.2.2", id,
	             first ? 0x2000 : cut / 8);
	if (first)
		pb_raw(p, t.b, cut);
	else
		pb_raw(p, t.b + cut, t.n - cut);
	pb_ip4_end(p, ip);
}

/* RFC 1858 tiny fragments: a first fragment with 8 bytes of TCP keeps
 * its ports (frag_tiny, not bad_tcp_hlen), and its later fragment finds
 * them (no frag_no_first); with 16 bytes the flags are in it too; with
 * fewer than 4 there are no ports to keep. */
static void test_tiny_first(void **state)
{
	struct pb p;
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	uint64_t tracked = d.frag_tracked;
	tiny4(&p, 21, 8, true);
	assert_true(dec_at(&p, 20 * SEC, &pk));
	assert_only_anomaly(&d, CAP_AN_FRAG_TINY);
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.sport, 40010);
	assert_int_equal(pk.dport, 445);
	assert_int_equal(pk.tcp_flags, 0); /* in the next fragment */
	assert_int_equal(pk.payload_len, 0);
	assert_false(pk.truncated);
	tiny4(&p, 21, 8, false);
	assert_true(dec_at(&p, 20 * SEC + 1000, &pk));
	assert_true(pk.later_fragment);
	assert_int_equal(pk.sport, 40010);
	assert_int_equal(pk.dport, 445);
	assert_int_equal(d.frag_tracked, tracked + 1);
	cap_decoder_settle(&d);
	assert_only_anomaly(&d, CAP_AN_FRAG_TINY);
	/* 16 bytes: the flags are there */
	reset_anomalies(&d);
	tiny4(&p, 22, 16, true);
	assert_true(dec_at(&p, 21 * SEC, &pk));
	assert_only_anomaly(&d, CAP_AN_FRAG_TINY);
	assert_int_equal(pk.dport, 445);
	assert_int_equal(pk.tcp_flags, CAP_TH_SYN);
	/* its ports cut by the snaplen: nothing to keep */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 20 + 2,
	                        (uint32_t)p.n, 21 * SEC, &pk));
	assert_int_equal(d.anomalies[CAP_AN_TRUNC_TCP], 1);
	/* 0 bytes of TCP (an IPv4 header alone, MF set) */
	reset_anomalies(&d);
	tiny4(&p, 23, 0, true);
	assert_false(dec_at(&p, 22 * SEC, &pk));
	assert_only_anomaly(&d, CAP_AN_FRAG_TINY);
	/* not a fragment: a TCP segment of 8 bytes is malformed */
	reset_anomalies(&d);
	tiny4(&p, 24, 8, true);
	pb_put16(&p, 14 + 6, 0x4000);
	assert_false(dec_at(&p, 23 * SEC, &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_TCP_HLEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4),
		cmocka_unit_test(test_tiny_first),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_ip6),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_done_reused),
		cmocka_unit_test(test_lru_eviction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
