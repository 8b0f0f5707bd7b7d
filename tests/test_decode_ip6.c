/*
 * test_decode_ip6.c -- IPv6 header and extension header chain: payload
 * length both ways, hop-by-hop/routing/destination options/AH walked,
 * chain cut or too long, ESP as another protocol, a real frame; the final
 * destination of a routing header (types 0, 2, 4), also in an ICMPv6
 * error's quote.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"

static void ext8(struct pb *p, unsigned nh)
{
	pb_u8(p, nh);
	pb_u8(p, 0);  /* (0 + 1) * 8 bytes */
	pb_fill(p, 0, 6);
}

static void test_real_frame(void **state)
{
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_true(dec(&d, DLT_T_IPV6, real_ipv6_udp, sizeof(real_ipv6_udp), &pk));
	assert_int_equal(pk.family, 6);
	assert_addr(6, pk.src, "2001:db8::1");
	assert_addr(6, pk.dst, "2620:fe::9");
	assert_int_equal(pk.proto, 17);
	assert_int_equal(pk.sport, 12345);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(pk.payload_len, 37 - 8);
	/* the same bytes as raw IP (version nibble) and as LINKTYPE_IPV4 */
	assert_true(dec(&d, DLT_T_RAW, real_ipv6_udp, sizeof(real_ipv6_udp), &pk));
	assert_int_equal(an_total(&d), 0);
	assert_false(dec(&d, DLT_T_IPV4, real_ipv6_udp, sizeof(real_ipv6_udp), &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP4_VERSION);
}

/* hop-by-hop, routing, destination options, AH, then TCP. */
static void test_ext_chain(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 0, "fe80::1", "2001:db8::2");
	ext8(&p, 43);
	ext8(&p, 60);
	ext8(&p, 51);
	pb_u8(&p, 6);   /* AH: next header TCP, */
	pb_u8(&p, 4);   /* (4 + 2) * 4 = 24 bytes */
	pb_fill(&p, 0, 22);
	pb_tcp(&p, 49999, 135, CAP_TH_SYN);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.sport, 49999);
	assert_int_equal(pk.dport, 135);
	assert_int_equal(pk.payload_len, 0);
	assert_int_equal(an_total(&d), 0);
	/* cut inside the AH header */
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 40 + 24 + 10,
	                        (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
	/* an extension header longer than the payload length */
	p.b[14 + 40 + 1] = 200;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
}

static void test_ext_too_many(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 60, "2001:db8::1", "2001:db8::2");
	for (int i = 0; i < 40; i++)
		ext8(&p, 60);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
}

static void test_plen(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip, u;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 17, "2001:db8::1", "2001:db8::2");
	u = pb_udp(&p, 546, 547);
	pb_fill(&p, 1, 20);
	pb_udp_end(&p, u);
	pb_ip6_end(&p, ip);
	/* Ethernet padding after the payload is ignored */
	pb_fill(&p, 0, 6);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.payload_len, 20);
	assert_int_equal(an_total(&d), 0);
	/* longer than the wire */
	pb_put16(&p, ip + 4, 200);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP6_PLEN);
	/* bad version */
	pb_put16(&p, ip + 4, 28);
	p.b[ip] = 0x40;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_BAD_IP6_VERSION);
	/* header cut */
	p.b[ip] = 0x60;
	reset_anomalies(&d);
	assert_false(cap_decode(&d, DLT_T_EN10MB, p.b, 14 + 39, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_IP6);
}

static void test_other(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 60, "2001:db8::1", "2001:db8::2");
	ext8(&p, 50); /* then ESP */
	pb_fill(&p, 0, 16);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_OTHER_L4);
	p.b[ip + 6] = 59; /* no next header */
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_OTHER_L4);
}

/* A routing header of `type` with `segleft` segments left and n
 * addresses, the first at index 0, after the SRH's or type 0/2's 4 bytes
 * (last entry n - 1 for an SRH), then TCP 40020 -> 443 SYN. The IPv6
 * header goes to 2001:db8::99, the next segment. */
static size_t pb_routed6(struct pb *p, unsigned type, unsigned segleft,
                         const char *const *addr, unsigned n)
{
	size_t ip = pb_ip6(p, 43, "2001:db8::1", "2001:db8::99");
	pb_u8(p, 6);
	pb_u8(p, 2 * n);
	pb_u8(p, type);
	pb_u8(p, segleft);
	if (type == 4) {
		pb_u8(p, n - 1); /* last entry */
		pb_u8(p, 0);
		pb_be16(p, 0);
	} else {
		pb_be32(p, 0);
	}
	for (unsigned i = 0; i < n; i++)
		pb_addr(p, 6, addr[i]);
	pb_tcp(p, 40020, 443, CAP_TH_SYN);
	return ip;
}

static void routed_dst(unsigned type, unsigned segleft,
                       const char *const *addr, unsigned n, const char *want)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;

	pb_eth(&p, 0x86dd);
	ip = pb_routed6(&p, type, segleft, addr, n);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_addr(6, pk.src, "2001:db8::1");
	assert_addr(6, pk.dst, want);
	assert_int_equal(pk.proto, 6);
	assert_int_equal(pk.dport, 443);
}

/* The flow goes to the route's final destination, not to the segment the
 * IPv6 header names (tshark's conversation: srh6_slow.pcap). */
static void test_routing_final(void **state)
{
	static const char *const srh[] = {"2001:db8::2", "2001:db8::99"};
	static const char *const rh0[] = {"2001:db8::7", "2001:db8::2"};
	static const char *const rh2[] = {"2001:db8::2"};
	(void)state;
	/* SRH (RFC 8754): Segment List[0] is the last segment */
	routed_dst(4, 1, srh, 2, "2001:db8::2");
	/* type 0: the last address of the list */
	routed_dst(0, 2, rh0, 2, "2001:db8::2");
	routed_dst(0, 1, rh0, 2, "2001:db8::2");
	/* type 2 (Mobile IPv6): the home address */
	routed_dst(2, 1, rh2, 1, "2001:db8::2");
	/* no segment left: the IPv6 destination is the final one */
	routed_dst(4, 0, srh, 2, "2001:db8::99");
	routed_dst(0, 0, rh0, 2, "2001:db8::99");
	/* a type not known (RPL, 3): the destination as it is */
	routed_dst(3, 1, rh0, 2, "2001:db8::99");
}

/* A routing header too short for the address it must hold is malformed. */
static void test_routing_short(void **state)
{
	static const char *const srh[] = {"2001:db8::2", "2001:db8::99"};
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip;
	(void)state;
	/* SRH whose last entry (5) is past its length (2 segments) */
	pb_eth(&p, 0x86dd);
	ip = pb_routed6(&p, 4, 1, srh, 2);
	pb_ip6_end(&p, ip);
	p.b[14 + 40 + 4] = 5;
	reset_anomalies(&d);
	assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
	/* segments left, but the header holds no address (length 0) */
	for (unsigned type = 0; type <= 4; type += 2) {
		p.n = 0;
		pb_eth(&p, 0x86dd);
		ip = pb_routed6(&p, type, 1, srh, 0);
		pb_ip6_end(&p, ip);
		reset_anomalies(&d);
		assert_false(decp(&d, DLT_T_EN10MB, &p, &pk));
		assert_only_anomaly(&d, CAP_AN_IP6_EXT_TRUNC);
	}
	/* the same with no segment left: nothing to read, decoded */
	p.b[14 + 40 + 3] = 0;
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_addr(6, pk.dst, "2001:db8::99");
}

/* An ICMPv6 error quoting a routed packet names the flow that packet
 * made: to the final destination. */
static void test_routing_quoted(void **state)
{
	static const char *const srh[] = {"2001:db8::2", "2001:db8::99"};
	struct pb p = {0};
	struct cap_packet pk;
	size_t ip, q;
	(void)state;
	pb_eth(&p, 0x86dd);
	ip = pb_ip6(&p, 58, "2001:db8::99", "2001:db8::1");
	pb_icmp(&p, 1, 1, 0, 0); /* unreachable, administratively prohibited */
	q = pb_routed6(&p, 4, 1, srh, 2);
	pb_ip6_end(&p, q);
	pb_ip6_end(&p, ip);
	reset_anomalies(&d);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(an_total(&d), 0);
	assert_true(pk.icmp_error);
	assert_int_equal(pk.quoted.family, 6);
	assert_int_equal(pk.quoted.proto, 6);
	assert_addr(6, pk.quoted.src, "2001:db8::1");
	assert_addr(6, pk.quoted.dst, "2001:db8::2");
	assert_int_equal(pk.quoted.sport, 40020);
	assert_int_equal(pk.quoted.dport, 443);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_frame),
		cmocka_unit_test(test_ext_chain),
		cmocka_unit_test(test_ext_too_many),
		cmocka_unit_test(test_plen),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_routing_final),
		cmocka_unit_test(test_routing_short),
		cmocka_unit_test(test_routing_quoted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
