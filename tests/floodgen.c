/*
 * floodgen.c -- a deterministic flood, one kind at a time, as a classic
 * pcap file (Ethernet, microsecond timestamps), for tests/it_floods.c.
 *
 *   floodgen KIND N OUT.pcap
 *
 * Every capture starts with a legitimate background at T0 (three complete
 * TCP connections from 10.0.0.100 to the server 10.0.0.5 port 1960, each
 * closed by a FIN each way), then, 60 s later, the flood of about N
 * packets, 1 microsecond apart (so no flow of the flood times out before
 * the capture ends, even at the emergency timeouts, and the counts a test
 * checks are exact). The random numbers come from a fixed seed: the same
 * arguments always write the same bytes. Addresses that must be distinct
 * (one flow each) are a bijection of the packet's number, not drawn.
 *
 * KIND:
 *   synflood    TCP SYNs from N distinct IPv4 sources (random ports) to
 *               10.0.0.5, ports 1960 and 443 alternately; never answered.
 *               N flows.
 *   frags       UDP first fragments (MF, offset 0) from 64 sources
 *               (10.1.0.1-64, port 40000 + source) to 10.0.0.5:5000, each
 *               with its own IP id (at most 64 * 65536), whose rest never
 *               comes; every 10th packet is instead a lone later fragment
 *               (offset 185, from 10.2.0.1-64) of a datagram never seen.
 *               64 flows; N - N/10 first fragments, N/10 later ones.
 *   icmpquotes  ICMP destination unreachable (codes 1, 3, 13 in turn)
 *               from the router 10.0.0.1 quoting flows that never
 *               existed: even packets quote TCP/UDP from 10.0.0.5 to a
 *               random outside host (sent to 10.0.0.5: one ICMP flow in
 *               all), odd packets quote TCP/UDP from a distinct source
 *               to 10.0.0.5 (sent to that source: one ICMP flow each).
 *               1 + N/2 flows.
 *   scan        SYN from a peer (10.3.0.1, .2, ...) to every port
 *               1..65535 of 10.0.0.5 in turn, each answered by RST/ACK;
 *               the next peer starts over when one is done. N/2 flows.
 *   epm         DCE/RPC endpoint-mapper contacts, as WMI makes them: the
 *               server 10.0.0.5 connects to TCP 135 of N/24 distinct peers
 *               (172.16.0.1 up), the peer answers an ept_map response
 *               naming a port of 49152-65535, and the server connects to
 *               that port (each connection: handshake, FIN each way); then
 *               as many connections again from the server to port 55000 of
 *               other peers (172.24.0.1 up) with no 135 contact at all,
 *               dynamic-range flows waiting for a control flow that never
 *               comes. 12 packets a contact, 6 a lone dynamic flow; peers
 *               1 ms apart.
 *
 * It prints one line to standard output: "KIND packets=P flows=F" and the
 * kind's own counts, which the test compares with the report.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0_S 1700000000u
#define FLOOD_S 60u
#define SERVER 0x0a000005u /* 10.0.0.5 */
#define CLIENT 0x0a000064u /* 10.0.0.100 */
#define ROUTER 0x0a000001u /* 10.0.0.1 */

static FILE *out;
static uint64_t rng = 0x9e3779b97f4a7c15ull; /* the fixed seed */
static uint64_t npkts;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static void put16be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
	put16be(p, v >> 16);
	put16be(p + 2, v & 0xffffu);
}

static void put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		fprintf(stderr, "floodgen: write: %s\n", strerror(errno));
		exit(1);
	}
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold16(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)~s;
}

/* One record: Ethernet + the IPv4 packet ip[0..len), at t microseconds
 * after T0. */
static void record(uint64_t t_us, const uint8_t *ip, size_t len)
{
	static const uint8_t eth[14] = {
		0x00, 0x1b, 0x21, 0x0a, 0x00, 0x05, /* dst */
		0x00, 0x1b, 0x21, 0x0a, 0x00, 0x01, /* src */
		0x08, 0x00,
	};
	uint8_t h[16];
	uint64_t us = (uint64_t)T0_S * 1000000u + t_us;
	put32le(h, (uint32_t)(us / 1000000u));
	put32le(h + 4, (uint32_t)(us % 1000000u));
	put32le(h + 8, (uint32_t)(len + sizeof eth));
	put32le(h + 12, (uint32_t)(len + sizeof eth));
	wr(h, sizeof h);
	wr(eth, sizeof eth);
	wr(ip, len);
	npkts++;
}

/* An IPv4 header at ip (20 bytes) for a payload of plen bytes. */
static void ip4(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto,
                size_t plen, uint16_t id, uint16_t frag)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16be(ip + 2, (uint32_t)(20 + plen));
	put16be(ip + 4, id);
	put16be(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put32be(ip + 12, src);
	put32be(ip + 16, dst);
	put16be(ip + 10, fold16(sum16(ip, 20, 0)));
}

/* The TCP or UDP checksum of l4[0..len) (its checksum field zero). */
static uint16_t l4sum(uint32_t src, uint32_t dst, uint8_t proto,
                      const uint8_t *l4, size_t len)
{
	uint32_t s = (src >> 16) + (src & 0xffffu) + (dst >> 16) +
	             (dst & 0xffffu) + proto + (uint32_t)len;
	return fold16(sum16(l4, len, s));
}

/* A TCP segment (20-byte header) with a payload. */
static void tcp(uint64_t t_us, uint32_t src, uint16_t sport, uint32_t dst,
                uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                const uint8_t *data, size_t dlen)
{
	uint8_t p[20 + 20 + 256];
	uint8_t *t = p + 20;
	if (dlen > 256)
		abort();
	memset(t, 0, 20);
	put16be(t, sport);
	put16be(t + 2, dport);
	put32be(t + 4, seq);
	put32be(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16be(t + 14, 64240);
	if (dlen)
		memcpy(t + 20, data, dlen);
	put16be(t + 16, l4sum(src, dst, 6, t, 20 + dlen));
	ip4(p, src, dst, 6, 20 + dlen, (uint16_t)rnd(), 0x4000);
	record(t_us, p, 40 + dlen);
}

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

/* A whole connection: handshake, data from the responder (if any), a FIN
 * each way, the last ACK. Packets 10 us apart from t_us. */
static void conn(uint64_t t_us, uint32_t a, uint16_t ap, uint32_t b,
                 uint16_t bp, const uint8_t *reply, size_t rlen)
{
	uint32_t sa = rnd(), sb = rnd();
	tcp(t_us, a, ap, b, bp, sa, 0, SYN, NULL, 0);
	tcp(t_us + 10, b, bp, a, ap, sb, sa + 1, SYN | ACK, NULL, 0);
	tcp(t_us + 20, a, ap, b, bp, sa + 1, sb + 1, ACK, NULL, 0);
	if (rlen) {
		tcp(t_us + 30, b, bp, a, ap, sb + 1, sa + 1, PSH | ACK, reply,
		    rlen);
		sb += (uint32_t)rlen;
	}
	tcp(t_us + 40, a, ap, b, bp, sa + 1, sb + 1, FIN | ACK, NULL, 0);
	tcp(t_us + 50, b, bp, a, ap, sb + 1, sa + 2, FIN | ACK, NULL, 0);
	tcp(t_us + 60, a, ap, b, bp, sa + 2, sb + 2, ACK, NULL, 0);
}

/* A distinct, random-looking 24-bit number for each i < 2^24. */
static uint32_t perm24(uint32_t i)
{
	uint32_t x = i & 0xffffffu;
	x = (x * 0x9e3779u + 0x5bd1e9u) & 0xffffffu;  /* odd multiplier */
	x ^= x >> 12;
	x = (x * 0x2c1b3du) & 0xffffffu;
	return x;
}

/* A distinct outside IPv4 address for each i < 2^24: 11.0.0.0/8 on,
 * never the server's /24. */
static uint32_t outside(uint32_t i)
{
	return 0x0b000000u + perm24(i);
}

static void background(void)
{
	static const uint8_t hello[] = "HELLO";
	for (uint32_t k = 0; k < 3; k++)
		conn((uint64_t)k * 100000u, CLIENT, (uint16_t)(50000 + k), SERVER,
		     1960, hello, 5);
}

static uint64_t flood_us(uint64_t i)
{
	return (uint64_t)FLOOD_S * 1000000u + i;
}

static void synflood(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		tcp(flood_us(i), outside((uint32_t)i),
		    (uint16_t)(1024 + rnd() % 64000), SERVER,
		    (i & 1) ? 443 : 1960, rnd(), 0, SYN, NULL, 0);
	printf("synflood packets=%llu flows=%llu sources=%llu\n",
	       (unsigned long long)npkts, (unsigned long long)(n + 3),
	       (unsigned long long)n);
}

static void frags(uint64_t n)
{
	uint64_t nfirst = 0, nlater = 0;
	uint8_t p[20 + 8 + 64];
	if (n > 64ull * 65536u)
		n = 64ull * 65536u;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t s = (uint32_t)(i % 64);
		/* ids of one source: an odd multiple, so distinct */
		uint16_t id = (uint16_t)((i / 64) * 40503u + s);
		if (i % 10 == 9) {
			/* a lone later fragment: offset 185 (1480 bytes) */
			memset(p + 20, 0xab, 64);
			ip4(p, 0x0a020001u + s, SERVER, 17, 64,
			    (uint16_t)rnd(), 185);
			record(flood_us(i), p, 20 + 64);
			nlater++;
			continue;
		}
		uint8_t *u = p + 20;
		put16be(u, 40000 + s);
		put16be(u + 2, 5000);
		put16be(u + 4, 1480); /* the whole datagram's length */
		put16be(u + 6, 0);    /* no checksum: it covers the whole */
		memset(u + 8, 0xcd, 56);
		ip4(p, 0x0a010001u + s, SERVER, 17, 64, id, 0x2000 /* MF */);
		record(flood_us(i), p, sizeof p);
		nfirst++;
	}
	printf("frags packets=%llu flows=%u first=%llu later=%llu\n",
	       (unsigned long long)npkts, 3 + 64, (unsigned long long)nfirst,
	       (unsigned long long)nlater);
}

static void icmpquotes(uint64_t n)
{
	static const uint8_t codes[3] = { 1, 3, 13 };
	uint64_t nsrc = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t p[20 + 8 + 20 + 8];
		uint8_t *ic = p + 20, *q = ic + 8, *ql4 = q + 20;
		uint8_t proto = (rnd() & 1) ? 6 : 17;
		uint32_t qsrc, qdst, to;
		if (i & 1) {
			qsrc = outside((uint32_t)(i / 2));
			qdst = SERVER;
			to = qsrc;
			nsrc++;
		} else {
			qsrc = SERVER;
			qdst = 0x0c000000u + (rnd() & 0xffffffu);
			to = SERVER;
		}
		ip4(q, qsrc, qdst, proto, proto == 6 ? 40 : 36, (uint16_t)rnd(),
		    0x4000);
		put16be(ql4, 1024 + rnd() % 64000);
		put16be(ql4 + 2, 1 + rnd() % 65535);
		put32be(ql4 + 4, rnd()); /* TCP seq, or UDP length + sum */
		if (proto == 17)
			put16be(ql4 + 4, 16);
		memset(ic, 0, 8);
		ic[0] = 3;
		ic[1] = codes[i % 3];
		put16be(ic + 2, fold16(sum16(ic, 8 + 28, 0)));
		ip4(p, ROUTER, to, 1, 8 + 28, (uint16_t)rnd(), 0);
		record(flood_us(i), p, sizeof p);
	}
	printf("icmpquotes packets=%llu flows=%llu sources=%llu\n",
	       (unsigned long long)npkts, (unsigned long long)(3 + 1 + nsrc),
	       (unsigned long long)nsrc);
}

static void scan(uint64_t n)
{
	uint64_t flows = 0;
	uint32_t peer = 0x0a030001u;
	uint32_t port = 1;
	for (uint64_t i = 0; i + 2 <= n; i += 2) {
		uint32_t seq = rnd();
		uint16_t sport = (uint16_t)(40000 + (port & 0x3fff));
		tcp(flood_us(i), peer, sport, SERVER, (uint16_t)port, seq, 0, SYN,
		    NULL, 0);
		tcp(flood_us(i + 1), SERVER, (uint16_t)port, peer, sport, 0,
		    seq + 1, RST | ACK, NULL, 0);
		flows++;
		if (++port > 65535) {
			port = 1;
			peer++;
		}
	}
	printf("scan packets=%llu flows=%llu peers=%u\n",
	       (unsigned long long)npkts, (unsigned long long)(3 + flows),
	       (unsigned)(peer - 0x0a030001u + (port > 1)));
}

/* An ept_map response (little-endian NDR) naming TCP port `port`: the
 * 16-byte PDU header, the 8-byte response header, the stub (entry handle,
 * one tower with one floor: DOD TCP and the port), as
 * capture/decode_dcerpc.c reads it. */
static size_t ept_map_reply(uint8_t *b, uint16_t port)
{
	size_t n = 0;
	memset(b, 0, 128);
	b[n++] = 5; b[n++] = 0; b[n++] = 2; b[n++] = 3; /* response, first+last */
	b[n++] = 0x10; n += 3;                           /* drep: little-endian */
	size_t fl = n;
	n += 2;                                          /* frag_length */
	n += 2;                                          /* auth_length */
	put32le(b + n, 1); n += 4;                       /* call_id */
	n += 4;                                          /* alloc_hint */
	n += 2; n += 1; n += 1;                          /* ctx, cancel, pad */
	n += 20;                                         /* entry handle */
	put32le(b + n, 1); n += 4;                       /* num_towers */
	put32le(b + n, 1); n += 4;                       /* max_count */
	put32le(b + n, 0); n += 4;                       /* offset */
	put32le(b + n, 1); n += 4;                       /* actual_count */
	put32le(b + n, 2); n += 4;                       /* referent id */
	put32le(b + n, 9); n += 4;                       /* tower max_count */
	put32le(b + n, 9); n += 4;                       /* tower_length */
	b[n++] = 1; b[n++] = 0;                          /* floor count */
	b[n++] = 1; b[n++] = 0; b[n++] = 0x07;           /* lhs: DOD TCP */
	b[n++] = 2; b[n++] = 0;                          /* rhs_len */
	b[n++] = (uint8_t)(port >> 8); b[n++] = (uint8_t)port;
	n = (n + 3) & ~(size_t)3;
	n += 4;                                          /* status */
	b[fl] = (uint8_t)n;
	b[fl + 1] = (uint8_t)(n >> 8);
	return n;
}

static void epm(uint64_t n)
{
	uint64_t npeers = n / 24, ndyn = 0;
	if (npeers > 500000)
		npeers = 500000; /* 172.16.0.0/13 each */
	uint8_t reply[128];
	uint64_t t = flood_us(0);
	for (uint64_t k = 0; k < npeers; k++, t += 1000) {
		uint32_t peer = 0xac100001u + (uint32_t)k;
		uint16_t dport = (uint16_t)(49152 + rnd() % 16384);
		size_t rl = ept_map_reply(reply, dport);
		conn(t, SERVER, (uint16_t)(10000 + k % 50000), peer, 135,
		     reply, rl);
		conn(t + 100, SERVER, (uint16_t)(10001 + k % 50000), peer, dport,
		     NULL, 0);
	}
	for (uint64_t k = 0; k < npeers; k++, t += 1000) {
		uint32_t peer = 0xac180001u + (uint32_t)k;
		conn(t, SERVER, (uint16_t)(20000 + k % 40000), peer, 55000, NULL,
		     0);
		ndyn++;
	}
	printf("epm packets=%llu flows=%llu contacts=%llu lone=%llu\n",
	       (unsigned long long)npkts,
	       (unsigned long long)(3 + 2 * npeers + ndyn),
	       (unsigned long long)npeers, (unsigned long long)ndyn);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: floodgen synflood|frags|icmpquotes|scan|"
		        "epm N OUT.pcap\n");
		return 2;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || n == 0 || n > 100000000ull) {
		fprintf(stderr, "floodgen: bad N '%s'\n", argv[2]);
		return 2;
	}
	void (*gen)(uint64_t) =
		strcmp(argv[1], "synflood") == 0 ? synflood :
		strcmp(argv[1], "frags") == 0 ? frags :
		strcmp(argv[1], "icmpquotes") == 0 ? icmpquotes :
		strcmp(argv[1], "scan") == 0 ? scan :
		strcmp(argv[1], "epm") == 0 ? epm : NULL;
	if (!gen) {
		fprintf(stderr, "floodgen: unknown kind '%s'\n", argv[1]);
		return 2;
	}
	out = fopen(argv[3], "wb");
	if (!out) {
		fprintf(stderr, "floodgen: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	uint8_t gh[24];
	put32le(gh, 0xa1b2c3d4u);
	gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0; /* version 2.4 */
	memset(gh + 8, 0, 8);                        /* thiszone, sigfigs */
	put32le(gh + 16, 65535);                     /* snaplen */
	put32le(gh + 20, 1);                         /* LINKTYPE_ETHERNET */
	wr(gh, sizeof gh);
	background();
	gen(n);
	if (fclose(out) != 0) {
		fprintf(stderr, "floodgen: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	return 0;
}
