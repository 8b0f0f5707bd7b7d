/*
 * test_decode_tunnel.c -- tunnels: every kind decoded from generated frames
 * (the outer packet, the packet inside, the tunnel's descriptor), every
 * caplen of each frame, bad lengths, flags and versions, the nesting limit,
 * a full tunnel table, fragments, --no-decap, and the flow table keeping
 * two tunnels' flows apart.
 */
#include <stdlib.h>

#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/decode_test.h"
#include "capture/decode_int.h"
#include "capture/flow.h"

static struct cap_tunnels *tt;

static int tsetup(void **state)
{
	if (setup(state) != 0)
		return -1;
	tt = cap_tunnels_new();
	d.tunnels = tt;
	return tt ? 0 : -1;
}

static int tteardown(void **state)
{
	cap_tunnels_free(tt);
	tt = NULL;
	d.tunnels = NULL;
	return teardown(state);
}

/* ---- frames ---------------------------------------------------------------- */

/* The inner packet of most tests: IPv4 TCP 10.9.0.1:40000 -> 10.9.0.2:443,
 * SYN, 5 payload bytes (45 bytes). */
static void in_tcp4(struct pb *p)
{
	size_t ip = pb_ip4(p, 6, "10.9.0.1", "10.9.0.2");
	pb_tcp(p, 40000, 443, CAP_TH_SYN);
	pb_fill(p, 'i', 5);
	pb_ip4_end(p, ip);
}

/* IPv6 UDP [2001:db8:9::1]:5353 -> [2001:db8:9::2]:53, 4 bytes. */
static void in_udp6(struct pb *p)
{
	size_t ip = pb_ip6(p, 17, "2001:db8:9::1", "2001:db8:9::2");
	size_t u = pb_udp(p, 5353, 53);
	pb_fill(p, 'q', 4);
	pb_udp_end(p, u);
	pb_ip6_end(p, ip);
}

static void in_eth_tcp4(struct pb *p)
{
	pb_eth(p, 0x0800);
	in_tcp4(p);
}

/* Outer Ethernet + IPv4 + UDP sport -> dport, around `body`. */
struct outer {
	size_t ip, udp;
};

static struct outer udp4_open(struct pb *p, const char *src, const char *dst,
                              unsigned sport, unsigned dport)
{
	struct outer o;
	pb_eth(p, 0x0800);
	o.ip = pb_ip4(p, 17, src, dst);
	o.udp = pb_udp(p, sport, dport);
	return o;
}

static void udp4_close(struct pb *p, struct outer o)
{
	pb_udp_end(p, o.udp);
	pb_ip4_end(p, o.ip);
}

static void vxlan(struct pb *p, uint32_t vni, const char *src,
                  const char *dst)
{
	struct outer o = udp4_open(p, src, dst, 51000, 4789);
	pb_u8(p, 0x08);
	pb_fill(p, 0, 3);
	pb_be32(p, vni << 8);
	in_eth_tcp4(p);
	udp4_close(p, o);
}

/* Geneve over IPv6 with two options (4 + 8 bytes), IPv4 inside. */
static void geneve6(struct pb *p, uint32_t vni)
{
	pb_eth(p, 0x86dd);
	size_t ip = pb_ip6(p, 17, "2001:db8::a", "2001:db8::b");
	size_t u = pb_udp(p, 40001, 6081);
	pb_u8(p, 3);          /* version 0, 3 words of options */
	pb_u8(p, 0);
	pb_be16(p, 0x0800);   /* an IPv4 packet, no Ethernet */
	pb_be32(p, vni << 8);
	pb_be16(p, 0x0102);   /* option 1: class, type, length 0 */
	pb_u8(p, 1);
	pb_u8(p, 0);
	pb_be16(p, 0x0103);   /* option 2: one word of data */
	pb_u8(p, 2);
	pb_u8(p, 1);
	pb_be32(p, 0xdeadbeef);
	in_tcp4(p);
	pb_udp_end(p, u);
	pb_ip6_end(p, ip);
}

/* GRE (version 0) with the given flags and protocol; key and sequence
 * when K and S. Returns the IP header's offset; the caller appends the
 * payload and calls pb_ip4_end. */
static size_t gre_open(struct pb *p, unsigned flags, unsigned proto,
                       uint32_t key)
{
	pb_eth(p, 0x0800);
	size_t ip = pb_ip4(p, 47, "192.0.2.1", "192.0.2.2");
	pb_be16(p, flags);
	pb_be16(p, proto);
	if (flags & 0x8000) {
		pb_be16(p, 0); /* checksum */
		pb_be16(p, 0);
	}
	if (flags & 0x2000)
		pb_be32(p, key);
	if (flags & 0x1000)
		pb_be32(p, 77); /* sequence */
	return ip;
}

static void gre_ip(struct pb *p, unsigned flags, uint32_t key)
{
	size_t ip = gre_open(p, flags, 0x0800, key);
	in_tcp4(p);
	pb_ip4_end(p, ip);
}

static void gre_eth(struct pb *p)
{
	size_t ip = gre_open(p, 0x2000, 0x6558, 4242);
	in_eth_tcp4(p);
	pb_ip4_end(p, ip);
}

static void erspan1(struct pb *p)
{
	size_t ip = gre_open(p, 0, 0x88be, 0);
	in_eth_tcp4(p);
	pb_ip4_end(p, ip);
}

static void erspan2(struct pb *p, unsigned session, bool cut)
{
	size_t ip = gre_open(p, 0x1000, 0x88be, 0);
	pb_be16(p, 0x1000 | 100);                       /* version 1, VLAN */
	pb_be16(p, (cut ? 0x0400u : 0u) | session);     /* T, session */
	pb_be32(p, 7);                                  /* index */
	in_eth_tcp4(p);
	pb_ip4_end(p, ip);
}

static void erspan3(struct pb *p, unsigned session, bool sub, unsigned ft)
{
	size_t ip = gre_open(p, 0x1000, 0x22eb, 0);
	pb_be16(p, 0x2000 | 100);       /* version 2, VLAN */
	pb_be16(p, session);
	pb_be32(p, 123456);             /* timestamp */
	pb_be16(p, 0);                  /* SGT */
	pb_be16(p, (ft << 10) | (sub ? 1u : 0u));
	if (sub)
		pb_fill(p, 0x55, 8);
	if (ft == 0)
		in_eth_tcp4(p);
	else
		in_tcp4(p);
	pb_ip4_end(p, ip);
}

/* PPTP's enhanced GRE: version 1, key (payload length, call id), PPP. */
static void pptp(struct pb *p)
{
	pb_eth(p, 0x0800);
	size_t ip = pb_ip4(p, 47, "192.0.2.1", "192.0.2.2");
	pb_be16(p, 0x3001);  /* K, S, version 1 */
	pb_be16(p, 0x880b);
	pb_be16(p, 49);      /* payload length */
	pb_be16(p, 9);       /* call id */
	pb_be32(p, 1);       /* sequence */
	pb_u8(p, 0xff);
	pb_u8(p, 0x03);
	pb_be16(p, 0x0021);
	in_tcp4(p);
	pb_ip4_end(p, ip);
}

/* IP-in-IP of every family: outer family `of`, inner `inf`. */
static void ipip(struct pb *p, int of, int inf)
{
	size_t ip;
	unsigned proto = inf == 4 ? 4 : 41;
	if (of == 4) {
		pb_eth(p, 0x0800);
		ip = pb_ip4(p, proto, "198.51.100.1", "198.51.100.2");
	} else {
		pb_eth(p, 0x86dd);
		ip = pb_ip6(p, proto, "2001:db8:1::1", "2001:db8:1::2");
	}
	if (inf == 4)
		in_tcp4(p);
	else
		in_udp6(p);
	if (of == 4)
		pb_ip4_end(p, ip);
	else
		pb_ip6_end(p, ip);
}

/* GTP-U G-PDU with S and E: a sequence number and one extension header
 * (PDU session container, 1 word), then IPv4. */
static void gtpu(struct pb *p, bool ext)
{
	struct outer o = udp4_open(p, "203.0.113.1", "203.0.113.2", 2152, 2152);
	size_t g = p->n;
	pb_u8(p, ext ? 0x36 : 0x30); /* version 1, PT, E and S when ext */
	pb_u8(p, 0xff);
	pb_be16(p, 0);               /* length, patched below */
	pb_be32(p, 0x11223344);      /* TEID */
	if (ext) {
		pb_be16(p, 5);       /* sequence */
		pb_u8(p, 0);         /* N-PDU */
		pb_u8(p, 0x85);      /* next: PDU session container */
		pb_u8(p, 1);         /* 1 word */
		pb_u8(p, 0x10);
		pb_u8(p, 0x09);
		pb_u8(p, 0);         /* no next extension */
	}
	in_tcp4(p);
	pb_put16(p, g + 2, (unsigned)(p->n - g - 8));
	udp4_close(p, o);
}

/* Teredo with an authentication indicator (id 2, auth 3 bytes) and an
 * origin indication, then IPv6. */
static void teredo(struct pb *p, bool auth, bool origin)
{
	struct outer o = udp4_open(p, "192.0.2.50", "192.0.2.60", 3544, 40500);
	if (auth) {
		pb_be16(p, 1);
		pb_u8(p, 2);
		pb_u8(p, 3);
		pb_fill(p, 0xaa, 2 + 3 + 8 + 1);
	}
	if (origin) {
		pb_be16(p, 0);
		pb_be16(p, 0xffff ^ 40500);
		pb_be32(p, 0xffffffffu ^ 0xc0000232u);
	}
	in_udp6(p);
	udp4_close(p, o);
}

/* AYIYA: identity 2^4 = 16 bytes, signature 5 words (SHA-1), forward. */
static void ayiya(struct pb *p, unsigned opcode, unsigned nh)
{
	struct outer o = udp4_open(p, "192.0.2.70", "192.0.2.80", 45000, 5072);
	pb_u8(p, 0x41);      /* identity length 4 (16 bytes), type 1 */
	pb_u8(p, 0x52);      /* signature 5 words, hash SHA-1 */
	pb_u8(p, 0x10 | opcode);
	pb_u8(p, nh);
	pb_be32(p, 1700000000);
	pb_fill(p, 0x11, 16);
	pb_fill(p, 0x22, 20);
	if (nh == 41)
		in_udp6(p);
	else
		in_tcp4(p);
	udp4_close(p, o);
}

/* ---- checks ------------------------------------------------------------------ */

static unsigned decf(const struct pb *p, struct cap_packet *out)
{
	return cap_decode_frame(&d, DLT_T_EN10MB, p->b, (uint32_t)p->n,
	                        (uint32_t)p->n, 1000000000u, out);
}

static void assert_inner_tcp4(const struct cap_packet *pk)
{
	assert_int_equal(pk->family, 4);
	assert_int_equal(pk->proto, 6);
	assert_addr(4, pk->src, "10.9.0.1");
	assert_addr(4, pk->dst, "10.9.0.2");
	assert_int_equal(pk->sport, 40000);
	assert_int_equal(pk->dport, 443);
	assert_int_equal(pk->tcp_flags, CAP_TH_SYN);
	assert_int_equal(pk->payload_len, 5);
	assert_false(pk->truncated);
}

static void assert_inner_udp6(const struct cap_packet *pk)
{
	assert_int_equal(pk->family, 6);
	assert_int_equal(pk->proto, 17);
	assert_addr(6, pk->src, "2001:db8:9::1");
	assert_addr(6, pk->dst, "2001:db8:9::2");
	assert_int_equal(pk->sport, 5353);
	assert_int_equal(pk->dport, 53);
	assert_int_equal(pk->payload_len, 4);
}

/* The frame decodes into the outer packet and one inside a tunnel of
 * `kind`; returns the tunnel. */
static const struct cap_tunnel *two(const struct pb *p, struct cap_packet *out,
                                    uint8_t kind)
{
	reset_anomalies(&d);
	unsigned n = decf(p, out);
	if (n != 2 || an_total(&d) != 0) {
		for (int i = 0; i < CAP_AN_COUNT; i++)
			if (d.anomalies[i])
				print_error("counted %s\n",
				            cap_anomaly_name((enum cap_anomaly)i));
		fail_msg("%u packets, %llu anomalies", n,
		         (unsigned long long)an_total(&d));
	}
	assert_int_equal(out[0].tunnel, 0);
	assert_int_not_equal(out[1].tunnel, 0);
	const struct cap_tunnel *t = cap_tunnel_get(tt, out[1].tunnel);
	assert_non_null(t);
	assert_int_equal(t->kind, kind);
	assert_int_equal(t->depth, 1);
	assert_int_equal(t->parent, 0);
	assert_int_equal(t->family, out[0].family);
	assert_memory_equal(t->src, out[0].src, 16);
	assert_memory_equal(t->dst, out[0].dst, 16);
	return t;
}

/* Exactly one anomaly, `a`, and n packets. */
static void expect(const struct pb *p, unsigned n, int a)
{
	struct cap_packet out[CAP_DECODE_MAX];
	reset_anomalies(&d);
	assert_int_equal(decf(p, out), n);
	if (a < 0)
		assert_int_equal(an_total(&d), 0);
	else
		assert_only_anomaly(&d, (enum cap_anomaly)a);
}

/* Every caplen from 0 to the length - 1, from a heap copy of exactly that
 * many bytes (ASan sees a read one past), wire length unchanged: only
 * truncation is counted, and the packets that come out are the full
 * frame's, in order, with the same tunnels. */
static void sweep(const struct pb *p)
{
	struct cap_packet ref[CAP_DECODE_MAX], out[CAP_DECODE_MAX];
	unsigned nref = decf(p, ref);
	assert_true(nref >= 2);
	for (size_t cut = 0; cut < p->n; cut++) {
		uint8_t *b = malloc(cut ? cut : 1);
		assert_non_null(b);
		memcpy(b, p->b, cut);
		reset_anomalies(&d);
		unsigned n = cap_decode_frame(&d, DLT_T_EN10MB, cut ? b : NULL,
		                              (uint32_t)cut, (uint32_t)p->n,
		                              1000000000u, out);
		assert_true(n <= nref);
		for (int i = 0; i < CAP_AN_COUNT; i++)
			if (d.anomalies[i] && !is_trunc_anomaly(i))
				fail_msg("caplen %zu: %s", cut,
				         cap_anomaly_name((enum cap_anomaly)i));
		for (unsigned k = 0; k < n; k++) {
			assert_int_equal(out[k].family, ref[k].family);
			assert_int_equal(out[k].proto, ref[k].proto);
			assert_memory_equal(out[k].src, ref[k].src, 16);
			assert_memory_equal(out[k].dst, ref[k].dst, 16);
			assert_int_equal(out[k].sport, ref[k].sport);
			assert_int_equal(out[k].dport, ref[k].dport);
			assert_int_equal(out[k].tunnel, ref[k].tunnel);
			assert_int_equal(out[k].payload_len, ref[k].payload_len);
			assert_true(out[k].payload_caplen <= out[k].payload_len);
			if (out[k].payload_caplen)
				assert_true(out[k].payload >= b &&
				            out[k].payload + out[k].payload_caplen <=
				            b + cut);
		}
		/* A cut frame loses the inner packet before the outer. */
		if (n < nref && cut > 0 && n > 0)
			assert_true(an_total(&d) > 0);
		free(b);
	}
}

/* ---- every kind ------------------------------------------------------------ */

static void test_vxlan(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	(void)state;
	vxlan(&p, 5001, "172.16.0.1", "172.16.0.2");
	const struct cap_tunnel *t = two(&p, out, CAP_TUN_VXLAN);
	assert_int_equal(out[0].proto, 17);
	assert_int_equal(out[0].dport, 4789);
	assert_addr(4, out[0].src, "172.16.0.1");
	assert_inner_tcp4(&out[1]);
	assert_true(t->has_id);
	assert_int_equal(t->id, 5001);
	/* the inner frame's own length: Ethernet 14 + IP 45 */
	assert_int_equal(out[1].wirelen, 14 + 45);
	assert_int_equal(out[0].wirelen, p.n);
	sweep(&p);

	/* The I flag says the VNI is valid: without it, not VXLAN. */
	p.b[14 + 20 + 8] = 0;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* Shorter on the wire than its header. */
	memset(&p, 0, sizeof p);
	struct outer o = udp4_open(&p, "172.16.0.1", "172.16.0.2", 1, 4789);
	pb_u8(&p, 0x08);
	pb_fill(&p, 0, 4);
	udp4_close(&p, o);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* An empty datagram to 4789. */
	memset(&p, 0, sizeof p);
	o = udp4_open(&p, "172.16.0.1", "172.16.0.2", 1, 4789);
	udp4_close(&p, o);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* ARP inside: the outer flow only, the ARP counted as non-IP. */
	memset(&p, 0, sizeof p);
	o = udp4_open(&p, "172.16.0.1", "172.16.0.2", 1, 4789);
	pb_u8(&p, 0x08);
	pb_fill(&p, 0, 7);
	pb_eth(&p, 0x0806);
	pb_fill(&p, 0, 28);
	udp4_close(&p, o);
	expect(&p, 1, CAP_AN_NON_IP);
}

static void test_geneve(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	(void)state;
	geneve6(&p, 77);
	const struct cap_tunnel *t = two(&p, out, CAP_TUN_GENEVE);
	assert_int_equal(t->family, 6);
	assert_addr(6, t->src, "2001:db8::a");
	assert_int_equal(t->id, 77);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	size_t g = 14 + 40 + 8;
	/* version 1 */
	p.b[g] = 0x43;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* options that do not add up: the second claims 2 words */
	p.b[g] = 3;
	p.b[g + 8 + 4 + 3] = 2;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* option length past the payload */
	p.b[g + 8 + 4 + 3] = 1;
	p.b[g] = 0x3f;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
}

static void test_gre(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	const struct cap_tunnel *t;
	(void)state;
	/* plain: no key, no id */
	gre_ip(&p, 0, 0);
	t = two(&p, out, CAP_TUN_GRE);
	assert_int_equal(out[0].proto, 47);
	assert_int_equal(out[0].sport, 0);
	assert_false(t->has_id);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	/* checksum, key and sequence: the key is the id */
	memset(&p, 0, sizeof p);
	gre_ip(&p, 0xb000, 0xabcdef01u);
	t = two(&p, out, CAP_TUN_GRE);
	assert_true(t->has_id);
	assert_int_equal(t->id, 0xabcdef01u);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	/* transparent Ethernet bridging */
	memset(&p, 0, sizeof p);
	gre_eth(&p);
	t = two(&p, out, CAP_TUN_GRE);
	assert_int_equal(t->id, 4242);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	/* PPTP */
	memset(&p, 0, sizeof p);
	pptp(&p);
	t = two(&p, out, CAP_TUN_GRE);
	assert_false(t->has_id);
	assert_inner_tcp4(&out[1]);
	sweep(&p);

	size_t g = 14 + 20;
	/* version 1 without PPTP's key bit */
	p.b[g] = 0x10;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* version 2 */
	memset(&p, 0, sizeof p);
	gre_ip(&p, 0x0002, 0);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* routing present (RFC 1701) */
	memset(&p, 0, sizeof p);
	gre_ip(&p, 0x4000, 0);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* key announced, payload too short for it */
	memset(&p, 0, sizeof p);
	pb_eth(&p, 0x0800);
	size_t ip = pb_ip4(&p, 47, "192.0.2.1", "192.0.2.2");
	pb_be16(&p, 0x2000);
	pb_be16(&p, 0x0800);
	pb_be16(&p, 1);
	pb_ip4_end(&p, ip);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* a GRE header of 2 bytes */
	memset(&p, 0, sizeof p);
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 47, "192.0.2.1", "192.0.2.2");
	pb_be16(&p, 0);
	pb_ip4_end(&p, ip);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* a keepalive-like GRE header with nothing inside: outer only */
	memset(&p, 0, sizeof p);
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 47, "192.0.2.1", "192.0.2.2");
	pb_be16(&p, 0);
	pb_be16(&p, 0x0800);
	pb_ip4_end(&p, ip);
	expect(&p, 1, -1);
	/* an inner packet that is malformed counts its own anomaly */
	memset(&p, 0, sizeof p);
	gre_ip(&p, 0, 0);
	p.b[14 + 20 + 4] = 0x55; /* inner IPv4 version 5 */
	expect(&p, 1, CAP_AN_BAD_IP4_VERSION);
}

static void test_erspan(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	const struct cap_tunnel *t;
	(void)state;
	erspan1(&p);
	t = two(&p, out, CAP_TUN_ERSPAN1);
	assert_false(t->has_id);
	assert_inner_tcp4(&out[1]);
	sweep(&p);

	memset(&p, 0, sizeof p);
	erspan2(&p, 300, false);
	t = two(&p, out, CAP_TUN_ERSPAN2);
	assert_true(t->has_id);
	assert_int_equal(t->id, 300);
	assert_inner_tcp4(&out[1]);
	sweep(&p);

	memset(&p, 0, sizeof p);
	erspan3(&p, 1023, false, 0);
	t = two(&p, out, CAP_TUN_ERSPAN3);
	assert_int_equal(t->id, 1023);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	/* with the platform-specific subheader, frame type 2 (IP) */
	memset(&p, 0, sizeof p);
	erspan3(&p, 5, true, 2);
	t = two(&p, out, CAP_TUN_ERSPAN3);
	assert_int_equal(t->id, 5);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	/* frame type 7: not decoded, counted */
	memset(&p, 0, sizeof p);
	erspan3(&p, 5, false, 7);
	expect(&p, 1, CAP_AN_NON_IP);
	/* ERSPAN version 3 */
	memset(&p, 0, sizeof p);
	erspan2(&p, 1, false);
	p.b[14 + 20 + 8] = 0x30;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* The switch cut the frame (T): an inner IP length past the bytes
	 * is a cut (truncated, counted as such), not a malformed packet. */
	memset(&p, 0, sizeof p);
	erspan2(&p, 1, true);
	size_t inner_ip = 14 + 20 + 8 + 8 + 14;
	pb_put16(&p, inner_ip + 2, 1000);
	reset_anomalies(&d);
	assert_int_equal(decf(&p, out), 2);
	assert_only_anomaly(&d, CAP_AN_SNAPLEN_CUT);
	assert_true(out[1].truncated);
	assert_int_equal(out[1].payload_len, 1000 - 40);
	/* without T the same frame is malformed */
	p.b[14 + 20 + 8 + 2] = 0;
	expect(&p, 1, CAP_AN_BAD_IP4_TOTLEN);
}

static void test_ipip(void **state)
{
	static const struct { int of, inf; uint8_t kind; } v[] = {
		{ 4, 4, CAP_TUN_IPIP }, { 4, 6, CAP_TUN_6IN4 },
		{ 6, 4, CAP_TUN_4IN6 }, { 6, 6, CAP_TUN_6IN6 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct pb p = {0};
		struct cap_packet out[CAP_DECODE_MAX];
		ipip(&p, v[i].of, v[i].inf);
		const struct cap_tunnel *t = two(&p, out, v[i].kind);
		assert_false(t->has_id);
		assert_int_equal(out[0].proto, v[i].inf == 4 ? 4 : 41);
		if (v[i].inf == 4)
			assert_inner_tcp4(&out[1]);
		else
			assert_inner_udp6(&out[1]);
		sweep(&p);
		/* the wrong version inside */
		size_t inner = 14 + (v[i].of == 4 ? 20u : 40u);
		p.b[inner] = (uint8_t)(v[i].inf == 4 ? 0x65 : 0x45);
		expect(&p, 1, v[i].inf == 4 ? CAP_AN_BAD_IP4_VERSION
		                            : CAP_AN_BAD_IP6_VERSION);
	}
}

static void test_gtpu(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	const struct cap_tunnel *t;
	(void)state;
	gtpu(&p, false);
	t = two(&p, out, CAP_TUN_GTPU);
	assert_false(t->has_id); /* not the TEID: see decode_gtp.c */
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	memset(&p, 0, sizeof p);
	gtpu(&p, true);
	two(&p, out, CAP_TUN_GTPU);
	assert_inner_tcp4(&out[1]);
	sweep(&p);

	size_t g = 14 + 20 + 8;
	/* an extension header of 0 words */
	p.b[g + 12] = 0;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	p.b[g + 12] = 1;
	/* an extension chain that runs past the GTP length */
	p.b[g + 15] = 0x85;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	p.b[g + 15] = 0;
	/* GTP length past the UDP payload */
	pb_put16(&p, g + 2, 500);
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* version 2 (GTPv2-C is not a tunnel) */
	memset(&p, 0, sizeof p);
	gtpu(&p, false);
	p.b[g] = 0x48;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* GTP' (protocol type 0) */
	p.b[g] = 0x20;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
	/* an echo request on the user plane: the outer flow only */
	p.b[g] = 0x30;
	p.b[g + 1] = 1;
	expect(&p, 1, -1);
}

/* The UDP ports of a frame of udp4_open swapped: a Teredo server's
 * packet (from 3544) becomes one to 3544. */
static void swap_ports(struct pb *p)
{
	uint8_t sp[2];
	memcpy(sp, p->b + 14 + 20, 2);
	memcpy(p->b + 14 + 20, p->b + 14 + 20 + 2, 2);
	memcpy(p->b + 14 + 20 + 2, sp, 2);
}

/* Malformed as a tunnel: to the tunnel's port, `a` is counted; from it
 * (the source port alone named the tunnel), it is ordinary UDP, nothing
 * counted. The outer packet stands either way. */
static void expect_both_ways(struct pb *p, int a)
{
	expect(p, 1, -1);
	swap_ports(p);
	expect(p, 1, a);
	swap_ports(p);
}

static void test_teredo(void **state)
{
	(void)state;
	for (int v = 0; v < 4; v++) {
		struct pb p = {0};
		struct cap_packet out[CAP_DECODE_MAX];
		teredo(&p, v & 1, v & 2);
		const struct cap_tunnel *t = two(&p, out, CAP_TUN_TEREDO);
		assert_false(t->has_id);
		assert_int_equal(out[0].sport, 3544);
		assert_inner_udp6(&out[1]);
		sweep(&p);
	}
	struct pb p = {0};
	size_t t0 = 14 + 20 + 8;
	/* origin indication twice */
	teredo(&p, false, true);
	memmove(p.b + t0 + 8, p.b + t0, p.n - t0);
	p.n += 8;
	pb_put16(&p, 14 + 2, (unsigned)(p.n - 14));
	pb_put16(&p, 14 + 20 + 4, (unsigned)(p.n - 14 - 20));
	expect_both_ways(&p, CAP_AN_BAD_TUNNEL);
	/* authentication after an origin indication */
	memset(&p, 0, sizeof p);
	teredo(&p, false, true);
	p.b[t0 + 8] = 0;
	p.b[t0 + 9] = 1;
	expect_both_ways(&p, CAP_AN_BAD_TUNNEL);
	/* not IPv6 on port 3544 */
	memset(&p, 0, sizeof p);
	teredo(&p, false, false);
	p.b[t0] = 0x45;
	expect_both_ways(&p, CAP_AN_BAD_TUNNEL);
	/* authentication lengths past the payload */
	memset(&p, 0, sizeof p);
	teredo(&p, true, false);
	p.b[t0 + 2] = 200;
	expect_both_ways(&p, CAP_AN_BAD_TUNNEL);
	/* nothing after the UDP header */
	memset(&p, 0, sizeof p);
	struct outer o = udp4_open(&p, "192.0.2.50", "192.0.2.60", 3544, 40500);
	udp4_close(&p, o);
	expect_both_ways(&p, CAP_AN_BAD_TUNNEL);
}

/* Ordinary UDP from a client that drew a tunnel's port as its source
 * port (a DNS query from 3544, 2152, 5072: dns_sport3544.pcap) is not a
 * malformed tunnel; the reply, to that port, is still taken for one. */
static void test_tunnel_sport_only(void **state)
{
	static const unsigned ports[] = {3544, 2152, 5072};
	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct pb p = {0};
		struct outer o = udp4_open(&p, "10.1.1.1", "10.2.2.2", ports[i],
		                           53);
		static const uint8_t q[] = {
			0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x03, 'w', 'w', 'w', 0x00, 0x00, 0x01, 0x00, 0x01,
		};
		pb_raw(&p, q, sizeof q);
		udp4_close(&p, o);
		struct cap_packet out[CAP_DECODE_MAX];
		reset_anomalies(&d);
		assert_int_equal(decf(&p, out), 1);
		assert_int_equal(an_total(&d), 0);
		assert_int_equal(out[0].sport, ports[i]);
		assert_int_equal(out[0].dport, 53);
		assert_int_equal(out[0].payload_len, sizeof q);
		/* cut by the snaplen inside what would be the tunnel's header:
		 * a cut payload, no more */
		reset_anomalies(&d);
		assert_int_equal(cap_decode_frame(&d, DLT_T_EN10MB, p.b, 14 + 28 + 1,
		                                  (uint32_t)p.n, 0, out), 1);
		assert_only_anomaly(&d, CAP_AN_SNAPLEN_CUT);
		/* the answer, to the tunnel's port: taken for the tunnel */
		swap_ports(&p);
		reset_anomalies(&d);
		assert_int_equal(decf(&p, out), 1);
		assert_int_equal(an_total(&d), 1);
	}
}

static void test_ayiya(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	(void)state;
	ayiya(&p, 1, 41);
	const struct cap_tunnel *t = two(&p, out, CAP_TUN_AYIYA);
	assert_false(t->has_id);
	assert_inner_udp6(&out[1]);
	sweep(&p);
	memset(&p, 0, sizeof p);
	ayiya(&p, 1, 4);
	two(&p, out, CAP_TUN_AYIYA);
	assert_inner_tcp4(&out[1]);
	sweep(&p);
	/* a heartbeat (opcode 0): the outer flow only */
	memset(&p, 0, sizeof p);
	ayiya(&p, 0, 41);
	expect(&p, 1, -1);
	/* next header 6: not a tunnel of IP */
	memset(&p, 0, sizeof p);
	ayiya(&p, 1, 6);
	expect(&p, 1, CAP_AN_OTHER_L4);
	swap_ports(&p); /* from port 5072 alone: perhaps no AYIYA at all */
	expect(&p, 1, -1);
	/* identity of 2^15 bytes: past the payload */
	memset(&p, 0, sizeof p);
	ayiya(&p, 1, 41);
	p.b[14 + 20 + 8] = 0xf1;
	expect(&p, 1, CAP_AN_BAD_TUNNEL);
}

/* ---- limits --------------------------------------------------------------- */

/* IPv4 in IPv4, `levels` IP headers deep, then TCP. */
static void nest(struct pb *p, unsigned levels)
{
	size_t ip[128];
	pb_eth(p, 0x0800);
	for (unsigned i = 0; i < levels; i++) {
		char a[32], b[32];
		snprintf(a, sizeof a, "10.%u.0.1", i & 0xffu);
		snprintf(b, sizeof b, "10.%u.0.2", i & 0xffu);
		ip[i] = pb_ip4(p, i + 1 < levels ? 4 : 6, a, b);
	}
	pb_tcp(p, 1234, 80, CAP_TH_SYN);
	for (unsigned i = levels; i-- > 0;)
		pb_ip4_end(p, ip[i]);
}

static void test_depth(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	(void)state;
	/* 4 tunnels (5 IP headers): every packet, no anomaly */
	nest(&p, 5);
	reset_anomalies(&d);
	assert_int_equal(decf(&p, out), 5);
	assert_int_equal(an_total(&d), 0);
	for (unsigned k = 1; k < 5; k++) {
		const struct cap_tunnel *t = cap_tunnel_get(tt, out[k].tunnel);
		assert_non_null(t);
		assert_int_equal(t->depth, k);
		assert_int_equal(t->parent, out[k - 1].tunnel);
		assert_int_equal(t->kind, CAP_TUN_IPIP);
	}
	assert_int_equal(out[4].proto, 6);
	assert_int_equal(out[4].dport, 80);
	/* a fifth tunnel is not entered: counted once */
	memset(&p, 0, sizeof p);
	nest(&p, 6);
	reset_anomalies(&d);
	assert_int_equal(decf(&p, out), 5);
	assert_only_anomaly(&d, CAP_AN_TUNNEL_DEPTH);
	assert_int_equal(out[4].proto, 4);
	/* a thousand levels cost the same */
	struct pb *big = calloc(1, sizeof *big);
	assert_non_null(big);
	nest(big, 100);
	reset_anomalies(&d);
	assert_int_equal(decf(big, out), 5);
	assert_only_anomaly(&d, CAP_AN_TUNNEL_DEPTH);
	free(big);

	/* Mixed nesting: TCP in VXLAN in GRE in IPv6-in-IPv4. */
	memset(&p, 0, sizeof p);
	pb_eth(&p, 0x0800);
	size_t o4 = pb_ip4(&p, 41, "192.0.2.10", "192.0.2.20");
	size_t i6 = pb_ip6(&p, 47, "2001:db8::10", "2001:db8::20");
	pb_be16(&p, 0);
	pb_be16(&p, 0x0800);
	size_t i4 = pb_ip4(&p, 17, "172.16.1.1", "172.16.1.2");
	size_t u = pb_udp(&p, 1000, 4789);
	pb_u8(&p, 0x08);
	pb_fill(&p, 0, 3);
	pb_be32(&p, 9u << 8);
	in_eth_tcp4(&p);
	pb_udp_end(&p, u);
	pb_ip4_end(&p, i4);
	pb_ip6_end(&p, i6);
	pb_ip4_end(&p, o4);
	reset_anomalies(&d);
	assert_int_equal(decf(&p, out), 4);
	assert_int_equal(an_total(&d), 0);
	static const uint8_t kinds[] = { 0, CAP_TUN_6IN4, CAP_TUN_GRE,
	                                 CAP_TUN_VXLAN };
	static const uint8_t protos[] = { 41, 47, 17, 6 };
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(out[k].proto, protos[k]);
		if (k) {
			const struct cap_tunnel *t =
				cap_tunnel_get(tt, out[k].tunnel);
			assert_int_equal(t->kind, kinds[k]);
			assert_int_equal(t->depth, k);
		}
	}
	assert_inner_tcp4(&out[3]);
	sweep(&p);
}

static void test_off_and_frag(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	(void)state;
	vxlan(&p, 1, "172.16.0.1", "172.16.0.2");
	/* --no-decap: no table, the outer packet only, nothing counted */
	d.tunnels = NULL;
	expect(&p, 1, -1);
	d.tunnels = tt;
	/* cap_decode: the outermost packet only */
	reset_anomalies(&d);
	assert_true(dec(&d, DLT_T_EN10MB, p.b, p.n, &out[0]));
	assert_int_equal(out[0].dport, 4789);
	assert_int_equal(an_total(&d), 0);
	/* a first fragment is not decapsulated (no reassembly): counted */
	uint64_t before = d.tunnel_frag;
	pb_put16(&p, 14 + 6, 0x2000); /* MF */
	pb_put16(&p, 14 + 20 + 4, 2000);     /* UDP length: the whole */
	reset_anomalies(&d);
	assert_int_equal(decf(&p, out), 1);
	assert_int_equal(d.tunnel_frag, before + 1);
	assert_int_equal(an_total(&d), 0);
}

/* The same tunnel both ways is one descriptor; another VNI, another pair
 * of ends, another kind, or another enclosing tunnel is another. */
static void test_table(void **state)
{
	struct pb p = {0};
	struct cap_packet out[CAP_DECODE_MAX];
	(void)state;
	vxlan(&p, 10, "172.16.9.1", "172.16.9.2");
	assert_int_equal(decf(&p, out), 2);
	uint16_t a = out[1].tunnel;
	memset(&p, 0, sizeof p);
	vxlan(&p, 10, "172.16.9.2", "172.16.9.1");
	assert_int_equal(decf(&p, out), 2);
	assert_int_equal(out[1].tunnel, a);
	const struct cap_tunnel *t = cap_tunnel_get(tt, a);
	assert_addr(4, t->src, "172.16.9.1"); /* as first seen */
	memset(&p, 0, sizeof p);
	vxlan(&p, 11, "172.16.9.1", "172.16.9.2");
	assert_int_equal(decf(&p, out), 2);
	assert_int_not_equal(out[1].tunnel, a);
	memset(&p, 0, sizeof p);
	vxlan(&p, 10, "172.16.9.1", "172.16.9.3");
	assert_int_equal(decf(&p, out), 2);
	assert_int_not_equal(out[1].tunnel, a);
	assert_string_equal(cap_tunnel_kind_name(CAP_TUN_ERSPAN3),
	                    "erspan-iii");
	assert_string_equal(cap_tunnel_id_name(CAP_TUN_VXLAN), "vni");
	assert_null(cap_tunnel_id_name(CAP_TUN_GTPU));
	assert_string_equal(cap_tunnel_kind_name(200), "unknown");
	assert_null(cap_tunnel_get(tt, 0));
	assert_null(cap_tunnel_get(tt, 65000));
}

/* A full table: new tunnels' packets stay outer packets, counted; known
 * tunnels still work. */
static void test_table_full(void **state)
{
	struct cap_packet out[CAP_DECODE_MAX];
	struct pb p = {0};
	(void)state;
	struct cap_tunnels *full = cap_tunnels_new();
	assert_non_null(full);
	struct cap_tunnel k;
	memset(&k, 0, sizeof k);
	k.kind = CAP_TUN_GRE;
	k.family = 4;
	k.depth = 1;
	k.has_id = true;
	k.src[0] = 1;
	k.dst[0] = 2;
	for (uint32_t i = 1; i <= CAP_TUNNELS_MAX; i++) {
		k.id = i;
		assert_int_equal(cap_tunnels_intern(full, &k), i);
	}
	assert_int_equal(cap_tunnels_count(full), CAP_TUNNELS_MAX);
	k.id = 17;
	assert_int_equal(cap_tunnels_intern(full, &k), 17); /* found */
	k.id = 0;
	assert_int_equal(cap_tunnels_intern(full, &k), 0);  /* no room */
	d.tunnels = full;
	d.last_id = 0;
	uint64_t before = d.tunnel_full;
	vxlan(&p, 3, "172.16.0.1", "172.16.0.2");
	reset_anomalies(&d);
	assert_int_equal(decf(&p, out), 1);
	assert_int_equal(d.tunnel_full, before + 1);
	assert_int_equal(an_total(&d), 0);
	d.tunnels = tt;
	d.last_id = 0;
	cap_tunnels_free(full);
}

/* ---- the flow table ----------------------------------------------------- */

static struct cap_flow got[16];
static unsigned ngot;

static void on_flow(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	assert_true(ngot < 16);
	got[ngot++] = *f;
}

static const struct cap_flow *find_flow(uint8_t proto, uint16_t tunnel)
{
	for (unsigned i = 0; i < ngot; i++)
		if (got[i].proto == proto && got[i].tunnel == tunnel)
			return &got[i];
	return NULL;
}

/* Two VNIs carry the same inner tuple: two flows, and the outer VXLAN
 * flows besides; the reply comes back the other way through the same
 * tunnel and joins its flow. An ICMP error inside a tunnel finds the
 * flow of that tunnel. */
static void test_flows(void **state)
{
	struct cap_packet out[CAP_DECODE_MAX];
	struct pb p;
	struct cap_stats st;
	(void)state;
	memset(&st, 0, sizeof st);
	ngot = 0;
	struct cap_flowtab *ft = cap_flowtab_new(64, NULL, on_flow, NULL, &st);
	assert_non_null(ft);
	uint16_t ids[2];
	for (unsigned v = 0; v < 2; v++) {
		memset(&p, 0, sizeof p);
		vxlan(&p, 100 + v, "172.16.5.1", "172.16.5.2");
		assert_int_equal(decf(&p, out), 2);
		ids[v] = out[1].tunnel;
		for (unsigned k = 0; k < 2; k++)
			cap_flowtab_packet(ft, &out[k], 1000 + v);
	}
	assert_int_not_equal(ids[0], ids[1]);
	/* the SYN-ACK of VNI 100, from the other VTEP */
	memset(&p, 0, sizeof p);
	struct outer o = udp4_open(&p, "172.16.5.2", "172.16.5.1", 51001, 4789);
	pb_u8(&p, 0x08);
	pb_fill(&p, 0, 3);
	pb_be32(&p, 100u << 8);
	pb_eth(&p, 0x0800);
	size_t ip = pb_ip4(&p, 6, "10.9.0.2", "10.9.0.1");
	pb_tcp(&p, 443, 40000, CAP_TH_SYN | CAP_TH_ACK);
	pb_ip4_end(&p, ip);
	udp4_close(&p, o);
	assert_int_equal(decf(&p, out), 2);
	assert_int_equal(out[1].tunnel, ids[0]);
	cap_flowtab_packet(ft, &out[0], 2000);
	cap_flowtab_packet(ft, &out[1], 2000);
	/* port unreachable inside VNI 101 quoting its SYN */
	memset(&p, 0, sizeof p);
	o = udp4_open(&p, "172.16.5.2", "172.16.5.1", 51002, 4789);
	pb_u8(&p, 0x08);
	pb_fill(&p, 0, 3);
	pb_be32(&p, 101u << 8);
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 1, "10.9.0.2", "10.9.0.1");
	pb_icmp(&p, 3, 13, 0, 0);
	size_t q = pb_ip4(&p, 6, "10.9.0.1", "10.9.0.2");
	pb_put16(&p, q + 2, 40);
	pb_tcp(&p, 40000, 443, CAP_TH_SYN);
	p.n -= 12;
	pb_ip4_end(&p, ip);
	udp4_close(&p, o);
	assert_int_equal(decf(&p, out), 2);
	assert_true(out[1].icmp_error);
	cap_flowtab_packet(ft, &out[0], 2001);
	cap_flowtab_packet(ft, &out[1], 2001);
	cap_flowtab_flush(ft);

	const struct cap_flow *a = find_flow(6, ids[0]);
	const struct cap_flow *b = find_flow(6, ids[1]);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->pkts[0], 1);
	assert_int_equal(a->pkts[1], 1);
	assert_int_equal(a->outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(b->pkts[0], 1);
	assert_int_equal(b->pkts[1], 0);
	assert_int_equal(b->outcome, CAP_OUT_UNREACHABLE);
	assert_int_equal(b->icmp_code, 13);
	assert_null(find_flow(1, ids[1])); /* the error joined its flow */
	/* outer flows: UDP 4789, no tunnel, one per source port */
	unsigned outer = 0;
	for (unsigned i = 0; i < ngot; i++)
		if (got[i].proto == 17 && got[i].tunnel == 0) {
			assert_int_equal(got[i].port_b, 4789);
			outer++;
		}
	assert_int_equal(outer, 3); /* 51000 (both VNIs), 51001, 51002 */
	assert_int_equal(ngot, 5);
	cap_flowtab_free(ft);
}

/* GRE between two routers is a flow of protocol 47 without ports; the
 * first sender initiates. */
static void test_carrier_flow(void **state)
{
	struct cap_packet out[CAP_DECODE_MAX];
	struct pb p = {0};
	struct cap_stats st;
	(void)state;
	memset(&st, 0, sizeof st);
	ngot = 0;
	struct cap_flowtab *ft = cap_flowtab_new(64, NULL, on_flow, NULL, &st);
	assert_non_null(ft);
	gre_ip(&p, 0, 0);
	assert_int_equal(decf(&p, out), 2);
	cap_flowtab_packet(ft, &out[0], 5);
	cap_flowtab_packet(ft, &out[1], 5);
	memset(&p, 0, sizeof p);
	pb_eth(&p, 0x0800);
	size_t ip = pb_ip4(&p, 47, "192.0.2.2", "192.0.2.1");
	pb_be16(&p, 0);
	pb_be16(&p, 0x0800);
	size_t i4 = pb_ip4(&p, 6, "10.9.0.2", "10.9.0.1");
	pb_tcp(&p, 443, 40000, CAP_TH_RST | CAP_TH_ACK);
	pb_ip4_end(&p, i4);
	pb_ip4_end(&p, ip);
	assert_int_equal(decf(&p, out), 2);
	cap_flowtab_packet(ft, &out[0], 6);
	cap_flowtab_packet(ft, &out[1], 6);
	cap_flowtab_flush(ft);
	const struct cap_flow *g = find_flow(47, 0);
	assert_non_null(g);
	assert_addr(4, g->addr_a, "192.0.2.1");
	assert_int_equal(g->port_a, 0);
	assert_int_equal(g->port_b, 0);
	assert_int_equal(g->pkts[0], 1);
	assert_int_equal(g->pkts[1], 1);
	assert_int_equal(g->outcome, CAP_OUT_REPLIED);
	assert_false(g->initiator_inferred);
	const struct cap_flow *t = find_flow(6, out[1].tunnel);
	assert_non_null(t);
	assert_int_equal(t->outcome, CAP_OUT_REJECTED);
	assert_int_equal(ngot, 2);
	cap_flowtab_free(ft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_geneve),
		cmocka_unit_test(test_gre),
		cmocka_unit_test(test_erspan),
		cmocka_unit_test(test_ipip),
		cmocka_unit_test(test_gtpu),
		cmocka_unit_test(test_teredo),
		cmocka_unit_test(test_ayiya),
		cmocka_unit_test(test_tunnel_sport_only),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_off_and_frag),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_carrier_flow),
	};
	return cmocka_run_group_tests(tests, tsetup, tteardown);
}
