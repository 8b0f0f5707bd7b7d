/*
 * test_decode_eth.c -- Ethernet II, 802.3 LLC/SNAP, non-IP frames, padding.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"

static void test_eth_tcp(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	pb_eth_tcp4(&p, "10.0.0.1", "192.168.7.9", 40000, 443, CAP_TH_SYN, 0);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.family, 4);
	assert_int_equal(pk.proto, 6);
	assert_addr(4, pk.src, "10.0.0.1");
	assert_addr(4, pk.dst, "192.168.7.9");
	assert_int_equal(pk.sport, 40000);
	assert_int_equal(pk.dport, 443);
	assert_int_equal(pk.tcp_flags, CAP_TH_SYN);
	assert_int_equal(pk.vlan, 0);
	assert_int_equal(pk.payload_len, 0);
	assert_int_equal(pk.wirelen, p.n);
	assert_false(pk.truncated);
	assert_int_equal(an_total(&d), 0);
}

/* A 60-byte minimum frame: the padding after the IP datagram is ignored. */
static void test_eth_padding(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	pb_eth_tcp4(&p, "10.0.0.1", "10.0.0.2", 1025, 80, CAP_TH_ACK, 2);
	pb_fill(&p, 0, 60 - p.n + 4); /* padding and an FCS */
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.payload_len, 2);
	assert_int_equal(pk.payload_caplen, 2);
	assert_memory_equal(pk.payload, "aa", 2);
	assert_false(pk.truncated);
	assert_int_equal(an_total(&d), 0);
}

static void test_non_ip(void **state)
{
	struct pb arp = {0}, stp = {0}, lldp = {0};
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	pb_eth(&arp, 0x0806);
	pb_fill(&arp, 0, 28);
	assert_false(decp(&d, DLT_T_EN10MB, &arp, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
	/* 802.3 length + LLC 42 42 03: spanning tree */
	reset_anomalies(&d);
	pb_eth(&stp, 38);
	pb_u8(&stp, 0x42);
	pb_u8(&stp, 0x42);
	pb_u8(&stp, 0x03);
	pb_fill(&stp, 0, 35);
	assert_false(decp(&d, DLT_T_EN10MB, &stp, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
	reset_anomalies(&d);
	pb_eth(&lldp, 0x88cc);
	pb_fill(&lldp, 0, 30);
	assert_false(decp(&d, DLT_T_EN10MB, &lldp, &pk));
	assert_only_anomaly(&d, CAP_AN_NON_IP);
}

/* 802.3 + LLC/SNAP (AA AA 03, OUI 0) carrying IPv4. */
static void test_snap_ip(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	reset_anomalies(&d);
	pb_eth(&p, 0);
	pb_u8(&p, 0xaa);
	pb_u8(&p, 0xaa);
	pb_u8(&p, 0x03);
	pb_fill(&p, 0, 3);
	pb_be16(&p, 0x0800);
	ip = pb_ip4(&p, 17, "10.1.1.1", "10.1.1.2");
	size_t u = pb_udp(&p, 5000, 514);
	pb_fill(&p, 'x', 10);
	pb_udp_end(&p, u);
	pb_ip4_end(&p, ip);
	pb_put16(&p, 12, (unsigned)(p.n - 14));
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.dport, 514);
	assert_int_equal(pk.payload_len, 10);
}

static void test_eth_truncated(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	(void)state;
	pb_eth_tcp4(&p, "10.0.0.1", "10.0.0.2", 1025, 80, CAP_TH_ACK, 0);
	for (size_t n = 0; n < 14; n++) {
		reset_anomalies(&d);
		assert_false(dec(&d, DLT_T_EN10MB, p.b, n, &pk));
		assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
	}
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, NULL, 0, 0, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
}

static void test_linktypes(void **state)
{
	(void)state;
	int yes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(cap_linktype_supported(yes[i]));
	/* 802.11, radiotap, DLT 149 (PKTAP), PPI, NFLOG, PKTAP */
	int wireless[] = {105, 127, 149, 192, 239, 258};
	for (size_t i = 0; i < sizeof(wireless) / sizeof(wireless[0]); i++)
		assert_true(cap_linktype_supported(wireless[i]));
	assert_false(cap_linktype_supported(231)); /* D-Bus */
	assert_false(cap_linktype_supported(195)); /* 802.15.4 */
	assert_false(cap_linktype_supported(-1));
}

static void test_names(void **state)
{
	char buf[64];
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t a4[4] = {192, 0, 2, 33};
	(void)state;
	assert_string_equal(cap_anomaly_name(CAP_AN_BAD_TCP_HLEN), "bad_tcp_hlen");
	assert_string_equal(cap_anomaly_name(CAP_AN_TRUNC_LINK), "trunc_link");
	assert_string_equal(cap_anomaly_name(CAP_AN_OTHER_L4), "other_l4");
	assert_string_equal(cap_anomaly_name(CAP_AN_COUNT), "unknown");
	for (int i = 0; i < CAP_AN_COUNT; i++)
		assert_string_not_equal(cap_anomaly_name((enum cap_anomaly)i), "unknown");
	assert_string_equal(cap_outcome_name(CAP_OUT_ESTABLISHED), "established");
	assert_string_equal(cap_outcome_name(CAP_OUT_CLOSED), "closed");
	assert_string_equal(cap_outcome_name(CAP_OUT_REJECTED), "rejected");
	assert_string_equal(cap_outcome_name(CAP_OUT_UNANSWERED), "unanswered");
	assert_string_equal(cap_outcome_name(CAP_OUT_UNREACHABLE), "unreachable");
	assert_string_equal(cap_outcome_name(CAP_OUT_MIDSTREAM), "midstream");
	assert_string_equal(cap_outcome_name(CAP_OUT_ONEWAY), "oneway");
	assert_string_equal(cap_outcome_name(CAP_OUT_REPLIED), "replied");
	cap_addr_format(4, a4, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.33");
	cap_addr_format(6, a6, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	cap_time_format(1795933644123456789ull, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T06:27:24.123456Z");
	cap_time_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_tcp),
		cmocka_unit_test(test_eth_padding),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_snap_ip),
		cmocka_unit_test(test_eth_truncated),
		cmocka_unit_test(test_linktypes),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
