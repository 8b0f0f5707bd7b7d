/*
 * test_decode_sweep.c -- every sample packet at every caplen (tcpdump's habit).
 *
 * For each sample of each link type and protocol, the frame is decoded at
 * its full length (the reference), then at every caplen from 0 to its
 * length - 1 with the wire length unchanged, from a heap copy of exactly
 * caplen bytes so that ASan (test-san) catches a read one byte past. Each
 * result must be false with only truncation anomalies counted, or true
 * with the reference's fields (a cut payload marked truncated, a cut ICMP
 * quote counted and dropped, an ept_map port found or 0).
 */
#include <stdlib.h>

#include "tests/decode_test.h"
#include "tests/decode_links.h"

/* link types of decode_wlan.c, decode_radiotap.c, decode_nflog.c,
 * decode_pktap.c */
#define DLT_T_IEEE802_11 105
#define DLT_T_RADIOTAP 127
#define DLT_T_PPI 192
#define DLT_T_NFLOG 239
#define DLT_T_PKTAP 258

struct sample {
	const char *name;
	int lt;
	struct pb p;
};

#define MAX_SAMPLES 48
static struct sample samples[MAX_SAMPLES];
static unsigned nsamples;

static struct pb *add(const char *name, int lt)
{
	struct sample *s;
	assert_true(nsamples < MAX_SAMPLES);
	s = &samples[nsamples++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->lt = lt;
	return &s->p;
}
static void add_raw(const char *name, int lt, const uint8_t *b, size_t n)
{
	pb_raw(add(name, lt), b, n);
}

static void ip4_udp(struct pb *p, size_t plen)
{
	size_t ip = pb_ip4(p, 17, "10.1.0.1", "10.1.0.2");
	size_t u = pb_udp(p, 40000, 161);
	pb_fill(p, 's', plen);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
}
static void ip6_tcp_ext(struct pb *p)
{
	size_t ip = pb_ip6(p, 0, "2001:db8::1", "2001:db8::2");
	pb_u8(p, 60);
	pb_u8(p, 0);
	pb_fill(p, 1, 6);
	pb_u8(p, 51);
	pb_u8(p, 0);
	pb_fill(p, 1, 6);
	pb_u8(p, 6);
	pb_u8(p, 1); /* AH (1 + 2) * 4 = 12 */
	pb_fill(p, 0, 10);
	pb_tcp(p, 5000, 443, CAP_TH_SYN);
	pb_fill(p, 'x', 12);
	pb_ip6_end(p, ip);
}
static void icmp4_err(struct pb *p, unsigned code)
{
	size_t ip = pb_ip4(p, 1, "192.0.2.1", "10.1.0.1");
	pb_icmp(p, 3, code, 0, 0);
	size_t q = pb_ip4(p, 6, "10.1.0.1", "10.1.0.2");
	pb_put16(p, q + 2, 40);
	pb_tcp(p, 40001, 5985, CAP_TH_SYN);
	p->n -= 12;
	pb_ip4_end(p, ip);
}
static void icmp6_err(struct pb *p)
{
	size_t ip = pb_ip6(p, 58, "2001:db8::fe", "2001:db8::1");
	pb_icmp(p, 1, 1, 0, 0);
	size_t q = pb_ip6(p, 60, "2001:db8::1", "2001:db8::2");
	pb_u8(p, 17);
	pb_u8(p, 0);
	pb_fill(p, 0, 6);
	pb_udp(p, 40002, 514);
	pb_put16(p, q + 4, 100);
	pb_ip6_end(p, ip);
}
static void epm_resp(struct pb *p)
{
	/* the ept_map response of test_decode_dcerpc.c, shortened to the
	 * parts the decoder reads: one tower with the TCP floor only */
	static const uint8_t pdu_hdr[] = {5, 0, 2, 3, 0x10, 0, 0, 0};
	size_t ip = pb_ip4(p, 6, "10.1.0.5", "10.1.0.9");
	size_t start;
	pb_tcp(p, 135, 50001, CAP_TH_PSH | CAP_TH_ACK);
	start = p->n;
	pb_raw(p, pdu_hdr, sizeof(pdu_hdr));
	pb_le16(p, 0);
	pb_le16(p, 0);
	pb_le32(p, 1);
	pb_le32(p, 0);
	pb_le32(p, 0);
	pb_fill(p, 0, 20);
	pb_le32(p, 1);
	pb_le32(p, 1);
	pb_le32(p, 0);
	pb_le32(p, 1);
	pb_le32(p, 3);
	pb_le32(p, 9);
	pb_le32(p, 9);
	pb_le16(p, 1);
	pb_le16(p, 1);
	pb_u8(p, 7);
	pb_le16(p, 2);
	pb_be16(p, 49200);
	pb_fill(p, 0, 3);
	pb_le32(p, 0);
	p->b[start + 8] = (uint8_t)(p->n - start);
	pb_ip4_end(p, ip);
}

static void make_samples(void)
{
	struct pb *p;
	size_t ip;

	nsamples = 0;
	pb_eth_tcp4(add("eth tcp", DLT_T_EN10MB), "10.1.0.1", "10.1.0.2",
	            40000, 80, CAP_TH_ACK | CAP_TH_PSH, 20);
	p = add("eth udp", DLT_T_EN10MB);
	pb_eth(p, 0x0800);
	ip4_udp(p, 10);
	p = add("eth ip4 options tcp", DLT_T_EN10MB);
	pb_eth(p, 0x0800);
	ip = pb_ip4(p, 6, "10.1.0.1", "10.1.0.2");
	p->b[ip] = 0x47;
	pb_fill(p, 1, 8);
	pb_tcp(p, 1, 2, CAP_TH_RST);
	pb_ip4_end(p, ip);
	p = add("eth icmp echo", DLT_T_EN10MB);
	pb_eth(p, 0x0800);
	ip = pb_ip4(p, 1, "10.1.0.1", "10.1.0.2");
	pb_icmp(p, 8, 0, 77, 1);
	pb_fill(p, 0, 16);
	pb_ip4_end(p, ip);
	p = add("eth icmp admin-prohibited", DLT_T_EN10MB);
	pb_eth(p, 0x0800);
	icmp4_err(p, 13);
	p = add("eth icmp6 admin-prohibited", DLT_T_EN10MB);
	pb_eth(p, 0x86dd);
	icmp6_err(p);
	p = add("eth ip6 ext tcp", DLT_T_EN10MB);
	pb_eth(p, 0x86dd);
	ip6_tcp_ext(p);
	p = add("eth padded", DLT_T_EN10MB);
	pb_eth_tcp4(p, "10.1.0.1", "10.1.0.2", 9, 10, CAP_TH_SYN, 0);
	pb_fill(p, 0, 10);
	p = add("vlan", DLT_T_EN10MB);
	pb_eth(p, 0x8100);
	pb_vlan(p, 100, 0x0800);
	ip4_udp(p, 3);
	p = add("qinq", DLT_T_EN10MB);
	pb_eth(p, 0x88a8);
	pb_vlan(p, 10, 0x8100);
	pb_vlan(p, 20, 0x86dd);
	ip6_tcp_ext(p);
	p = add("mpls", DLT_T_EN10MB);
	pb_eth(p, 0x8847);
	pb_be32(p, 16 << 12);
	pb_be32(p, (17 << 12) | 0x100);
	ip4_udp(p, 5);
	p = add("mpls pw", DLT_T_EN10MB);
	pb_eth(p, 0x8847);
	pb_be32(p, (18 << 12) | 0x100);
	pb_be32(p, 0);
	pb_eth(p, 0x0800);
	ip4_udp(p, 5);
	p = add("pppoe", DLT_T_EN10MB);
	pb_eth(p, 0x8864);
	pb_u8(p, 0x11);
	pb_u8(p, 0);
	pb_be16(p, 1);
	size_t len = p->n;
	pb_be16(p, 0);
	pb_be16(p, 0x0021);
	ip4_udp(p, 7);
	pb_put16(p, len, (unsigned)(p->n - len - 2));
	p = add("sll", DLT_T_SLL);
	pb_be16(p, 0);
	pb_be16(p, 1);
	pb_be16(p, 6);
	pb_fill(p, 0, 8);
	pb_be16(p, 0x86dd);
	icmp6_err(p);
	p = add("sll2", DLT_T_SLL2);
	pb_be16(p, 0x0800);
	pb_be16(p, 0);
	pb_be32(p, 2);
	pb_be16(p, 1);
	pb_u8(p, 0);
	pb_u8(p, 6);
	pb_fill(p, 0, 8);
	icmp4_err(p, 3);
	p = add("null", DLT_T_NULL);
	pb_le32(p, 2);
	ip4_udp(p, 9);
	p = add("loop", DLT_T_LOOP);
	pb_be32(p, 24);
	ip6_tcp_ext(p);
	p = add("raw4", DLT_T_RAW);
	ip4_udp(p, 1);
	p = add("raw6", DLT_T_IPV6);
	ip6_tcp_ext(p);
	p = add("epm response", DLT_T_RAW);
	epm_resp(p);
	p = add("ip4 first fragment", DLT_T_RAW);
	ip = pb_ip4f(p, 17, "10.1.0.1", "10.1.0.2", 99, 0x2000);
	pb_udp(p, 7777, 8888);
	pb_put16(p, ip + 24, 100);
	pb_fill(p, 0, 16);
	pb_ip4_end(p, ip);
	p = add("ip4 later fragment", DLT_T_RAW);
	ip = pb_ip4f(p, 17, "10.1.0.1", "10.1.0.2", 99, 3);
	pb_fill(p, 0, 76);
	pb_ip4_end(p, ip);
	/* decode_ppp.c, decode_llc.c and the Ethernet tags */
	p = add("ppp", DLT_T_PPP);
	pb_u8(p, 0xff);
	pb_u8(p, 0x03);
	pb_be16(p, 0x0021);
	ip4_udp(p, 6);
	p = add("ppp pfc ip6", DLT_T_PPP);
	pb_u8(p, 0x57);
	ip6_tcp_ext(p);
	p = add("ppp mpls", DLT_T_PPP_SERIAL);
	pb_u8(p, 0xff);
	pb_u8(p, 0x03);
	pb_be16(p, 0x0281);
	pb_be32(p, (16 << 12) | 0x100);
	ip4_udp(p, 4);
	p = add("chdlc admin-prohibited", DLT_T_C_HDLC);
	pb_u8(p, 0x0f);
	pb_u8(p, 0);
	pb_be16(p, 0x0800);
	icmp4_err(p, 13);
	p = add("ppp serial chdlc", DLT_T_PPP_SERIAL);
	pb_u8(p, 0x8f);
	pb_u8(p, 0);
	pb_be16(p, 0x86dd);
	ip6_tcp_ext(p);
	p = add("fddi snap", DLT_T_FDDI);
	pb_fddi(p, 0x50);
	pb_snap(p, 0, 0x0800);
	ip4_udp(p, 5);
	p = add("802.3 snap", DLT_T_EN10MB);
	len = pb_8023(p);
	pb_snap(p, 0, 0x8100);
	pb_vlan(p, 5, 0x0800);
	ip4_udp(p, 5);
	pb_8023_end(p, len);
	p = add("fabricpath", DLT_T_EN10MB);
	pb_fabricpath(p);
	pb_eth(p, 0x8100);
	pb_vlan(p, 6, 0x0800);
	ip4_udp(p, 8);
	p = add("pbb", DLT_T_EN10MB);
	pb_eth(p, 0x88a8);
	pb_vlan(p, 7, 0x88e7);
	pb_be32(p, 0x10001);
	pb_eth(p, 0x0800);
	ip4_udp(p, 3);
	p = add("vntag", DLT_T_EN10MB);
	pb_eth(p, 0x8926);
	pb_be32(p, 0x00050009);
	pb_be16(p, 0x86dd);
	icmp6_err(p);
	/* the wireless and firewall link layers */
	p = add("radiotap qos +htc fcs", DLT_T_RADIOTAP);
	pb_raw(p, "\x00\x00\x12\x00\x03\x00\x00\x00", 8); /* TSFT, Flags */
	pb_fill(p, 0, 8);
	pb_u8(p, 0x10); /* FCS at end */
	pb_u8(p, 0);
	pb_u8(p, 0x88); /* QoS data */
	pb_u8(p, 0x82); /* From DS, Order */
	pb_fill(p, 0x11, 22 + 2 + 4);
	pb_raw(p, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	ip4_udp(p, 6);
	pb_le32(p, 0x12345678);
	p = add("802.11 wds ipv6", DLT_T_IEEE802_11);
	pb_u8(p, 0x08);
	pb_u8(p, 0x03); /* To DS and From DS: four addresses */
	pb_fill(p, 0x22, 28);
	pb_raw(p, "\xaa\xaa\x03\x00\x00\x00\x86\xdd", 8);
	ip6_tcp_ext(p);
	p = add("ppi 802.11", DLT_T_PPI);
	pb_raw(p, "\x00\x00\x08\x00\x69\x00\x00\x00", 8); /* DLT 105 */
	pb_u8(p, 0x08);
	pb_u8(p, 0x01);
	pb_fill(p, 0x33, 22);
	pb_raw(p, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	icmp4_err(p, 13);
	p = add("nflog", DLT_T_NFLOG);
	pb_raw(p, "\x0a\x00\x00\x01", 4); /* AF_INET6, group 1 */
	{
		uint16_t tl[2] = {8, 1}; /* PACKET_HDR, host order */
		pb_raw(p, tl, sizeof(tl));
		pb_raw(p, "\x86\xdd\x01\x00", 4);
		size_t at = p->n;
		tl[1] = 9; /* PAYLOAD */
		pb_raw(p, tl, sizeof(tl));
		ip6_tcp_ext(p);
		tl[0] = (uint16_t)(p->n - at);
		memcpy(p->b + at, &tl[0], sizeof(tl[0]));
	}
	p = add("pktap ethernet", DLT_T_PKTAP);
	pb_le32(p, 108);
	pb_le32(p, 1);  /* a packet */
	pb_le32(p, 1);  /* DLT_EN10MB */
	pb_fill(p, 0, 96);
	pb_eth(p, 0x0800);
	ip4_udp(p, 4);
	add_raw("real null", DLT_T_NULL, real_null_udp, sizeof(real_null_udp));
	add_raw("real sll", DLT_T_SLL, real_sll_udp, sizeof(real_sll_udp));
	add_raw("real vlan", DLT_T_EN10MB, real_vlan_udp, sizeof(real_vlan_udp));
	add_raw("real ipv6", DLT_T_IPV6, real_ipv6_udp, sizeof(real_ipv6_udp));
}

static void same_fields(const struct cap_packet *a, const struct cap_packet *b,
                        const char *name, size_t n)
{
	if (a->family != b->family || a->proto != b->proto ||
	    memcmp(a->src, b->src, 16) || memcmp(a->dst, b->dst, 16) ||
	    a->sport != b->sport || a->dport != b->dport ||
	    a->tcp_flags != b->tcp_flags || a->icmp_type != b->icmp_type ||
	    a->icmp_code != b->icmp_code || a->vlan != b->vlan ||
	    a->payload_len != b->payload_len ||
	    a->later_fragment != b->later_fragment || a->wirelen != b->wirelen)
		fail_msg("%s at caplen %zu: fields differ from the full packet",
		         name, n);
}

static void test_sweep(void **state)
{
	struct cap_decoder d;
	unsigned decoded_short = 0;
	(void)state;

	make_samples();
	assert_int_equal(cap_decoder_init(&d, 64), 0);
	for (unsigned i = 0; i < nsamples; i++) {
		const struct sample *s = &samples[i];
		struct cap_packet ref, pk;
		size_t full = s->p.n;

		reset_anomalies(&d);
		if (!cap_decode(&d, s->lt, s->p.b, (uint32_t)full, (uint32_t)full,
		                0, &ref))
			fail_msg("%s: the full packet does not decode", s->name);
		if (an_total(&d) != 0)
			fail_msg("%s: the full packet counts an anomaly", s->name);
		assert_false(ref.truncated);
		if (strstr(s->name, "epm"))
			assert_int_equal(ref.epm_port, 49200);
		if ((strstr(s->name, "admin") || strstr(s->name, "sll")) &&
		    !strstr(s->name, "real") && !ref.icmp_error)
			fail_msg("%s: no icmp_error", s->name);

		for (size_t n = 0; n < full; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			bool ok;

			memcpy(copy, s->p.b, n);
			reset_anomalies(&d);
			ok = cap_decode(&d, s->lt, n ? copy : NULL, (uint32_t)n,
			                (uint32_t)full, 0, &pk);
			for (int a = 0; a < CAP_AN_COUNT; a++)
				if (d.anomalies[a] && !is_trunc_anomaly(a))
					fail_msg("%s at caplen %zu: counted %s", s->name,
					         n, cap_anomaly_name((enum cap_anomaly)a));
			if (!ok) {
				if (an_total(&d) == 0)
					fail_msg("%s at caplen %zu: false, nothing counted",
					         s->name, n);
				free(copy);
				continue;
			}
			decoded_short++;
			same_fields(&pk, &ref, s->name, n);
			if (pk.payload_caplen > pk.payload_len ||
			    (pk.payload_caplen &&
			     (pk.payload < copy || pk.payload + pk.payload_caplen > copy + n)))
				fail_msg("%s at caplen %zu: payload outside", s->name, n);
			if (pk.truncated != (pk.payload_caplen < pk.payload_len))
				fail_msg("%s at caplen %zu: truncated flag", s->name, n);
			if (pk.truncated && d.anomalies[CAP_AN_SNAPLEN_CUT] != 1)
				fail_msg("%s at caplen %zu: cut not counted once", s->name, n);
			if (ref.icmp_error && !pk.icmp_error &&
			    d.anomalies[CAP_AN_ICMP_QUOTE_TRUNC] != 1)
				fail_msg("%s at caplen %zu: quote lost, not counted",
				         s->name, n);
			if (pk.icmp_error &&
			    memcmp(&pk.quoted, &ref.quoted, sizeof(pk.quoted)))
				fail_msg("%s at caplen %zu: quote differs", s->name, n);
			if (pk.epm_port != 0 && pk.epm_port != ref.epm_port)
				fail_msg("%s at caplen %zu: epm port", s->name, n);
			free(copy);
		}
	}
	printf("sweep: %u samples, %u decodes of cut packets handed on\n",
	       nsamples, decoded_short);
	assert_true(decoded_short > 100);
	cap_decoder_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
