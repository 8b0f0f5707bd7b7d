/*
 * benchgen.c -- fast, deterministic generator of the benchmark captures.
 *
 *   benchgen mixed N OUT.pcap   N packets of mixed traffic around 10.0.0.5
 *   benchgen servers N OUT.pcap N packets over ten minutes around 10,000
 *                               servers to infer (base port 1960), 10% VLAN
 *   benchgen scan  N OUT.pcap   N SYNs from one peer to one server, each
 *                               answered by a RST-ACK (2N packets)
 *
 * pcaps/pcapgen.c writes small readable samples; this writes millions of
 * packets in seconds. Design: a fixed-seed xorshift generator drives
 * everything, so the output is the same on every run. The mixed capture
 * keeps ACTIVE conversations open at once and emits the next packet of a
 * randomly chosen one, so flows interleave as on a real link; a finished
 * conversation is replaced by a new one. About half of them involve the
 * server 10.0.0.5 on its documented ports (and a few undocumented ones),
 * the rest are between other hosts; 10% are IPv6; TCP conversations are
 * mostly complete (handshake, request, response segmented at 1448 bytes
 * with an ACK every two segments, FIN close), with some rejected and
 * unanswered SYNs; UDP ones are request/response or one-way. Payload bytes
 * come from one fixed pattern whose 16-bit prefix sums are precomputed, so
 * every checksum is exact yet costs only the header. Records go through a
 * 4 MiB buffer to one fwrite.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTIVE 2048
#define MSS 1448
#define PATTERN 65536
#define T0_SEC 1767607200u      /* 2026-01-05T10:00:00Z */

static uint8_t pattern[PATTERN];
static uint64_t prefix[PATTERN / 2 + 1];        /* word sums of pattern */
static uint64_t rng = 0x5eed1960c0ffee01ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* ---- output ------------------------------------------------------------- */

static FILE *out;
static uint8_t obuf[4 << 20];
static size_t olen;
static uint64_t now_ns = (uint64_t)T0_SEC * 1000000000ull;
static unsigned long long npkts, nbytes;

static void flush_out(void)
{
	if (olen && fwrite(obuf, 1, olen, out) != olen) {
		perror("benchgen: write");
		exit(1);
	}
	olen = 0;
}

static void put(const void *p, size_t n)
{
	if (olen + n > sizeof obuf)
		flush_out();
	memcpy(obuf + olen, p, n);
	olen += n;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

/* One record: headers `h` (hlen bytes) then `plen` payload bytes. */
static void record(const uint8_t *h, size_t hlen, size_t plen)
{
	static const uint8_t zero[64];
	size_t len = hlen + plen;
	size_t pad = len < 60 ? 60 - len : 0;
	uint8_t rh[16];
	le32(rh, (uint32_t)(now_ns / 1000000000ull));
	le32(rh + 4, (uint32_t)(now_ns % 1000000000ull / 1000));
	le32(rh + 8, (uint32_t)(len + pad));
	le32(rh + 12, (uint32_t)(len + pad));
	put(rh, 16);
	put(h, hlen);
	put(pattern, plen);
	put(zero, pad);
	npkts++;
	nbytes += len + pad;
}

/* ---- checksums ---------------------------------------------------------- */

static uint64_t sum16(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint64_t payload_sum(size_t n)
{
	uint64_t s = prefix[n / 2];
	if (n & 1)
		s += (uint32_t)pattern[n - 1] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ---- hosts and packets -------------------------------------------------- */

struct ep {
	bool v6;
	uint32_t id;            /* IPv4 address, or the low 32 bits in 2001:db8::/64 */
};

static void ip6_of(uint32_t id, uint8_t *a)
{
	static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0 };
	memcpy(a, pfx, 8);
	memset(a + 8, 0, 4);
	wr32(a + 12, id);
}

static void mac_of(uint32_t id, uint8_t *m)
{
	m[0] = 0x02;
	m[1] = 0x42;
	wr32(m + 2, id * 2654435761u);
}

/* The VLAN of the conversation being written, 0 for none. */
static uint16_t cur_vlan;

/* Build Ethernet (802.1Q tagged when cur_vlan) + IP + transport for one
 * packet and write it. */
static void emit(const struct ep *src, const struct ep *dst, uint8_t proto,
		 const uint8_t *l4, size_t l4hlen, size_t plen, uint16_t ipid,
		 uint8_t ttl)
{
	uint8_t h[18 + 40 + 60];
	size_t o = 14;
	mac_of(dst->id, h);
	mac_of(src->id, h + 6);
	if (cur_vlan) {         /* 802.1Q: the tag, then the real type */
		wr16(h + 12, 0x8100);
		wr16(h + 14, cur_vlan);
		o = 18;
	}
	uint8_t sa[16], da[16];
	size_t al;
	if (!src->v6) {
		wr16(h + o - 2, 0x0800);
		h[o] = 0x45;
		h[o + 1] = 0;
		wr16(h + o + 2, (uint32_t)(20 + l4hlen + plen));
		wr16(h + o + 4, ipid);
		wr16(h + o + 6, proto == 6 ? 0x4000 : 0);
		h[o + 8] = ttl;
		h[o + 9] = proto;
		wr16(h + o + 10, 0);
		wr32(h + o + 12, src->id);
		wr32(h + o + 16, dst->id);
		wr16(h + o + 10, fold(sum16(h + o, 20)));
		memcpy(sa, h + o + 12, 4);
		memcpy(da, h + o + 16, 4);
		al = 4;
		o += 20;
	} else {
		wr16(h + o - 2, 0x86dd);
		wr32(h + o, 0x60000000u);
		wr16(h + o + 4, (uint32_t)(l4hlen + plen));
		h[o + 6] = proto;
		h[o + 7] = ttl;
		ip6_of(src->id, h + o + 8);
		ip6_of(dst->id, h + o + 24);
		memcpy(sa, h + o + 8, 16);
		memcpy(da, h + o + 24, 16);
		al = 16;
		o += 40;
	}
	memcpy(h + o, l4, l4hlen);
	size_t ck = proto == 6 ? 16 : 6;
	wr16(h + o + ck, 0);
	uint64_t s = sum16(sa, al) + sum16(da, al) + proto + l4hlen + plen +
		sum16(h + o, l4hlen) + payload_sum(plen);
	uint16_t c = fold(s);
	if (proto == 17 && c == 0)
		c = 0xffff;
	wr16(h + o + ck, c);
	record(h, o + l4hlen, plen);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void tcp(const struct ep *src, const struct ep *dst, uint16_t sp,
		uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags,
		size_t plen, uint16_t ipid, uint8_t ttl)
{
	uint8_t t[32];
	size_t hl = 20;
	wr16(t, sp);
	wr16(t + 2, dp);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	wr16(t + 14, flags & F_SYN ? 64240 : flags & F_RST ? 0 : 502);
	wr16(t + 16, 0);
	wr16(t + 18, 0);
	if (flags & F_SYN) {
		static const uint8_t opt[12] = { 2, 4, 5, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2 };
		memcpy(t + 20, opt, 12);
		hl = 32;
	}
	t[12] = (uint8_t)(hl / 4 << 4);
	t[13] = flags;
	emit(src, dst, 6, t, hl, plen, ipid, ttl);
}

static void udp(const struct ep *src, const struct ep *dst, uint16_t sp,
		uint16_t dp, size_t plen, uint16_t ipid, uint8_t ttl)
{
	uint8_t u[8];
	wr16(u, sp);
	wr16(u + 2, dp);
	wr16(u + 4, (uint32_t)(8 + plen));
	wr16(u + 6, 0);
	emit(src, dst, 17, u, 8, plen, ipid, ttl);
}

/* ---- the mixed capture -------------------------------------------------- */

enum kind { K_TCP, K_TCP_REJ, K_TCP_SYN, K_UDP_RR, K_UDP_ONE };

struct conv {
	uint8_t kind, step;
	struct ep a, b;         /* initiator, responder */
	uint16_t ap, bp;
	uint32_t aseq, bseq;
	uint16_t aid, bid;      /* IPv4 ids */
	uint8_t attl, bttl;
	uint16_t rounds;        /* request/response rounds left */
	uint32_t req, resp;     /* sizes of the current round */
	uint32_t sent;          /* response bytes sent in this round */
	uint8_t unacked;        /* response segments since the last ACK */
	uint16_t left;          /* datagrams left (UDP), SYN retries left */
	uint16_t vlan;          /* 802.1Q id, 0 untagged */
};

static const uint32_t SERVER = 0x0a000005;     /* 10.0.0.5 */

/* Services around the server: port, UDP?, server is the responder? */
static const struct { uint16_t port; bool udp; bool inbound; } svc[] = {
	{ 1960, false, true }, { 1960, false, true }, { 1960, false, true },
	{ 161, true, false }, { 161, true, false }, { 8443, false, false },
	{ 1813, true, true }, { 514, true, true }, { 25, false, false },
	{ 135, false, false }, { 49667, false, false }, { 50001, false, true },
	{ 443, false, false }, { 162, true, true }, { 3389, false, true },
	{ 22, false, true },
};
/* Other traffic on the link. */
static const struct { uint16_t port; bool udp; } other[] = {
	{ 443, false }, { 443, false }, { 443, false }, { 80, false },
	{ 445, false }, { 53, true }, { 53, true }, { 123, true },
	{ 389, false }, { 3306, false },
};

static void conv_rest(struct conv *c, bool is_udp);

static void new_conv(struct conv *c)
{
	memset(c, 0, sizeof *c);
	bool v6 = rnd() % 10 == 0;
	bool server = rnd() % 2 == 0;
	bool is_udp;
	uint32_t peer = 0x0a010000u | rnd_range(1, 4000);       /* 10.1.x.x */
	if (server) {
		unsigned i = rnd() % (sizeof svc / sizeof svc[0]);
		is_udp = svc[i].udp;
		c->bp = svc[i].port;
		if (svc[i].inbound) {
			c->a.id = peer;
			c->b.id = SERVER;
		} else {
			c->a.id = SERVER;
			c->b.id = peer;
		}
	} else {
		unsigned i = rnd() % (sizeof other / sizeof other[0]);
		is_udp = other[i].udp;
		c->bp = other[i].port;
		c->a.id = 0x0a020000u | rnd_range(1, 8000);     /* 10.2.x.x */
		c->b.id = 0xc6336400u | rnd_range(1, 250);      /* 198.51.100.x */
	}
	if (v6) {
		c->a.id &= 0xffffff;
		c->b.id &= 0xffffff;
	}
	c->a.v6 = c->b.v6 = v6;
	conv_rest(c, is_udp);
}

/* The rest of a new conversation, once its hosts and port are chosen. */
static void conv_rest(struct conv *c, bool is_udp)
{
	c->ap = (uint16_t)rnd_range(49152, 65535);
	c->aseq = rnd();
	c->bseq = rnd();
	c->aid = (uint16_t)rnd();
	c->bid = (uint16_t)rnd();
	c->attl = rnd() % 3 == 0 ? 128 : 64;
	c->bttl = rnd() % 3 == 0 ? 128 : 64;
	uint32_t r = rnd() % 100;
	if (is_udp) {
		c->kind = c->bp == 514 || c->bp == 162 ? K_UDP_ONE : K_UDP_RR;
		c->left = (uint16_t)rnd_range(1, 6);
		c->req = rnd_range(40, 300);
		c->resp = rnd_range(60, 600);
		return;
	}
	c->kind = r < 92 ? K_TCP : r < 96 ? K_TCP_REJ : K_TCP_SYN;
	c->left = (uint16_t)rnd_range(0, 2);
	c->rounds = (uint16_t)rnd_range(1, 6);
}

static void new_round(struct conv *c)
{
	c->req = rnd_range(40, 700);
	uint32_t r = rnd() % 100;
	c->resp = r < 65 ? rnd_range(60, 1400) : r < 95 ? rnd_range(1500, 12000)
		: rnd_range(12000, 48000);
	c->sent = 0;
	c->unacked = 0;
}

/* Emit the next packet of a conversation; false when it has ended. */
static bool step(struct conv *c)
{
	const struct ep *a = &c->a, *b = &c->b;
	switch (c->kind) {
	case K_UDP_RR:
		if (c->step == 0) {
			udp(a, b, c->ap, c->bp, c->req, c->aid++, c->attl);
			c->step = 1;
			return true;
		}
		udp(b, a, c->bp, c->ap, c->resp, c->bid++, c->bttl);
		c->step = 0;
		return --c->left > 0;
	case K_UDP_ONE:
		udp(a, b, c->ap, c->bp, c->req, c->aid++, c->attl);
		return --c->left > 0;
	case K_TCP_SYN:
		tcp(a, b, c->ap, c->bp, c->aseq, 0, F_SYN, 0, c->aid++, c->attl);
		return c->left-- > 0;
	case K_TCP_REJ:
		if (c->step++ == 0) {
			tcp(a, b, c->ap, c->bp, c->aseq, 0, F_SYN, 0, c->aid++, c->attl);
			return true;
		}
		tcp(b, a, c->bp, c->ap, 0, c->aseq + 1, F_RST | F_ACK, 0, c->bid++, c->bttl);
		return false;
	default:
		break;
	}
	switch (c->step) {
	case 0:
		tcp(a, b, c->ap, c->bp, c->aseq++, 0, F_SYN, 0, c->aid++, c->attl);
		c->step = 1;
		return true;
	case 1:
		tcp(b, a, c->bp, c->ap, c->bseq++, c->aseq, F_SYN | F_ACK, 0, c->bid++, c->bttl);
		c->step = 2;
		return true;
	case 2:
		tcp(a, b, c->ap, c->bp, c->aseq, c->bseq, F_ACK, 0, c->aid++, c->attl);
		new_round(c);
		c->step = 3;
		return true;
	case 3:                 /* request */
		tcp(a, b, c->ap, c->bp, c->aseq, c->bseq, F_PSH | F_ACK, c->req,
		    c->aid++, c->attl);
		c->aseq += c->req;
		c->step = 4;
		return true;
	case 4: {               /* response segments, ACK every second one */
		if (c->unacked == 2) {
			tcp(a, b, c->ap, c->bp, c->aseq, c->bseq, F_ACK, 0, c->aid++, c->attl);
			c->unacked = 0;
			return true;
		}
		uint32_t n = c->resp - c->sent < MSS ? c->resp - c->sent : MSS;
		bool last = c->sent + n == c->resp;
		tcp(b, a, c->bp, c->ap, c->bseq, c->aseq, last ? F_PSH | F_ACK : F_ACK,
		    n, c->bid++, c->bttl);
		c->bseq += n;
		c->sent += n;
		c->unacked++;
		if (last)
			c->step = 5;
		return true;
	}
	case 5:                 /* final ACK of the response */
		tcp(a, b, c->ap, c->bp, c->aseq, c->bseq, F_ACK, 0, c->aid++, c->attl);
		if (--c->rounds > 0) {
			new_round(c);
			c->step = 3;
		} else {
			c->step = 6;
		}
		return true;
	case 6:
		tcp(a, b, c->ap, c->bp, c->aseq++, c->bseq, F_FIN | F_ACK, 0, c->aid++, c->attl);
		c->step = 7;
		return true;
	case 7:
		tcp(b, a, c->bp, c->ap, c->bseq++, c->aseq, F_FIN | F_ACK, 0, c->bid++, c->bttl);
		c->step = 8;
		return true;
	default:
		tcp(a, b, c->ap, c->bp, c->aseq, c->bseq, F_ACK, 0, c->aid++, c->attl);
		return false;
	}
}

static void mixed(unsigned long long n)
{
	static struct conv act[ACTIVE];
	for (int i = 0; i < ACTIVE; i++)
		new_conv(&act[i]);
	while (npkts < n) {
		struct conv *c = &act[rnd() % ACTIVE];
		if (!step(c))
			new_conv(c);
		now_ns += 1000 + rnd() % 38000;         /* ~20 us apart */
	}
}

/* ---- the many-servers capture ------------------------------------------- */

/* SRV_HOSTS hosts of 10.128.0.0/9 (and 2001:db8::/64 for a tenth of the
 * conversations) serve the catalogued ports; half of the conversations
 * are peers opening the base port 1960 on one of them, so every host is
 * seen accepting it and is inferred a server; 10% are 802.1Q tagged;
 * fewer open at once, fewer rounds, and packets spread over ten minutes,
 * so that flows start and end (and time out) all along the capture. */
#define SRV_HOSTS 10000
#define SRV_ACTIVE 512
#define SRV_SPAN_NS (600ull * 1000000000ull)

static void new_conv_srv(struct conv *c)
{
	memset(c, 0, sizeof *c);
	bool v6 = rnd() % 10 == 0;
	uint32_t host = 0x0a800000u | rnd_range(1, SRV_HOSTS);
	uint32_t peer = 0x0a010000u | rnd_range(1, 4000);
	bool is_udp = false;
	if (rnd() % 2 == 0) {
		c->bp = 1960;
		c->a.id = peer;
		c->b.id = host;
	} else {
		unsigned i = rnd() % (sizeof svc / sizeof svc[0]);
		is_udp = svc[i].udp;
		c->bp = svc[i].port;
		c->a.id = svc[i].inbound ? peer : host;
		c->b.id = svc[i].inbound ? host : peer;
	}
	if (v6) {
		c->a.id &= 0xffffff;
		c->b.id &= 0xffffff;
	}
	c->a.v6 = c->b.v6 = v6;
	c->vlan = rnd() % 10 == 0 ? (uint16_t)rnd_range(100, 149) : 0;
	conv_rest(c, is_udp);
	c->rounds = (uint16_t)rnd_range(1, 2);
}

static void servers(unsigned long long n)
{
	static struct conv act[SRV_ACTIVE];
	uint64_t gap = SRV_SPAN_NS / n;         /* ten minutes in all */
	for (int i = 0; i < SRV_ACTIVE; i++)
		new_conv_srv(&act[i]);
	while (npkts < n) {
		struct conv *c = &act[rnd() % SRV_ACTIVE];
		cur_vlan = c->vlan;
		if (!step(c))
			new_conv_srv(c);
		now_ns += gap / 2 + rnd() % (gap + 1);
	}
	cur_vlan = 0;
}

/* ---- the SYN scan ------------------------------------------------------- */

static void scan(unsigned long long n)
{
	const struct ep peer = { false, 0xc0000242 };   /* 192.0.2.66 */
	const struct ep srv = { false, SERVER };
	enum { LAG = 8 };
	uint16_t id = 0x2000, sid = 0x7000;
	uint32_t isn = rnd();
	for (unsigned long long i = 0; i < n + LAG; i++) {
		if (i < n) {
			uint16_t sp = (uint16_t)(40000 + i / 65535);
			uint16_t dp = (uint16_t)(1 + i % 65535);
			tcp(&peer, &srv, sp, dp, isn + (uint32_t)i, 0, F_SYN, 0, id++, 52);
			now_ns += 2000;
		}
		if (i >= LAG) {
			unsigned long long j = i - LAG;
			uint16_t sp = (uint16_t)(40000 + j / 65535);
			uint16_t dp = (uint16_t)(1 + j % 65535);
			tcp(&srv, &peer, dp, sp, 0, isn + (uint32_t)j + 1, F_RST | F_ACK, 0,
			    sid++, 64);
			now_ns += 500;
		}
	}
}

int main(int argc, char **argv)
{
	char *end;
	if (argc != 4 || (strcmp(argv[1], "mixed") && strcmp(argv[1], "scan") &&
	                  strcmp(argv[1], "servers"))) {
		fputs("usage: benchgen mixed|servers|scan N OUT.pcap\n", stderr);
		return 2;
	}
	unsigned long long n = strtoull(argv[2], &end, 10);
	if (*end || n == 0 || n > 1000000000ull) {
		fputs("benchgen: N must be 1 to 1000000000\n", stderr);
		return 2;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < PATTERN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pattern[i] = (uint8_t)(x >> 32);
	}
	for (size_t i = 0; i < PATTERN / 2; i++)
		prefix[i + 1] = prefix[i] + ((uint32_t)pattern[2 * i] << 8 | pattern[2 * i + 1]);
	out = fopen(argv[3], "wb");
	if (!out) {
		perror(argv[3]);
		return 1;
	}
	uint8_t fh[24];
	le32(fh, 0xa1b2c3d4u);
	fh[4] = 2;
	fh[5] = 0;
	fh[6] = 4;
	fh[7] = 0;
	le32(fh + 8, 0);
	le32(fh + 12, 0);
	le32(fh + 16, 262144);
	le32(fh + 20, 1);
	put(fh, 24);
	if (!strcmp(argv[1], "mixed"))
		mixed(n);
	else if (!strcmp(argv[1], "servers"))
		servers(n);
	else
		scan(n);
	flush_out();
	if (fclose(out) != 0) {
		perror(argv[3]);
		return 1;
	}
	fprintf(stderr, "benchgen: %s: %llu packets, %llu bytes\n", argv[3], npkts, nbytes);
	return 0;
}
