/*
 * pcapgen.c -- deterministic generator of small sample captures.
 *
 *   pcapgen DESCRIPTION.flows OUTPUT.pcap      (DESCRIPTION may be -)
 *
 * Reads a line-oriented description of hosts and flows (the format is
 * documented in pcaps/README.md) and writes a capture whose every byte is a
 * function of the description alone: no clock, no randomness except a
 * fixed-seed generator for TCP initial sequence numbers, IPv4 ids taken from
 * per-host counters, MAC addresses derived from IP addresses. Two runs give
 * identical files, which is what tests/check_pcaps.sh relies on.
 *
 * Design: one pass. Each line is parsed and, if it is a flow, generated at
 * once at the current clock; the clock then advances. Packets are built
 * innermost first (payload, transport header with its pseudo-header
 * checksum, IP header(s) with fragmentation, link header with VLAN tags and
 * Ethernet padding to 60 bytes) into fixed buffers, and appended to one
 * growable output buffer that is written to the file at the end, so a
 * syntax error leaves no half-written capture behind. The pcap and pcapng
 * writers are written by hand (little-endian; pcap with the microsecond or
 * nanosecond magic, pcapng as SHB + IDB (+ if_tsresol for ns) + EPBs).
 *
 * Errors in the description print "FILE:LINE: message" and exit 2; I/O
 * errors exit 1. It is a small tool for sample captures: sizes are bounded
 * (one datagram <= 65000 bytes, 256 hosts) and checked.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOSTS 256
#define MAX_TOKENS 64
#define MAX_L4 65000
#define MAX_GIVEN 16             /* request/payload options per flow */
#define MAX_FRAME (MAX_L4 + 256)
#define NS_PER_S 1000000000ULL

enum linktype { LT_ETHERNET = 1, LT_NULL = 0, LT_RAW = 101, LT_LOOP = 108,
	LT_SLL = 113, LT_SLL2 = 276 };
enum format { FMT_PCAP, FMT_PCAP_NS, FMT_PCAPNG, FMT_PCAPNG_NS };
enum proto { P_TCP, P_UDP, P_ICMP };
enum kind { K_NONE, K_ESTABLISHED, K_SYN_ONLY, K_REJECTED, K_MIDSTREAM,
	K_SYNACK_FIRST, K_HALF_OPEN, K_UNREACHABLE, K_REQRESP, K_ONEWAY,
	K_UNANSWERED, K_ECHO };
enum closing { CL_DEFAULT, CL_OPEN, CL_CLOSE, CL_RESET };

#define EXT_HBH 1u
#define EXT_DST 2u

struct host {
	char name[48];
	int af;                 /* 4 or 6 */
	uint8_t addr[16];
	uint8_t mac[6];
	int ttl;
	bool local;
	uint16_t ipid;
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct gen {
	const char *file;
	unsigned line;
	int linktype;
	int format;
	uint32_t snaplen;
	uint64_t start_ns, now_ns, gap_ns;
	bool started;           /* a flow was generated: file settings frozen */
	struct host hosts[MAX_HOSTS];
	size_t nhosts;
	uint16_t vlan[2];
	int nvlan;
	uint32_t rng;           /* fixed-seed xorshift for ISNs */
	uint32_t ip6_fragid;
	uint16_t icmp_id;
	unsigned long npkts;
	struct buf out;
};

struct flow {
	int proto;
	int kind;
	struct host *a, *b;     /* initiator, responder */
	uint16_t aport, bport;
	uint16_t port_lo, port_hi;
	bool has_range;
	unsigned long repeat;
	unsigned long data, retries, count;
	int closing;
	int icmp_type, icmp_code;
	struct host *from;
	uint8_t *req[MAX_GIVEN], *resp[MAX_GIVEN];     /* explicit payloads */
	size_t reqlen[MAX_GIVEN], resplen[MAX_GIVEN];
	unsigned nreq, nresp;
	size_t reqsize, respsize;
	bool frag;
	size_t fragsize;
	uint16_t vlan[2];
	int nvlan;
	int ttl;
	unsigned ext;
	uint64_t gap_ns;
};

/* One conversation of a flow line (a flow with repeat/ports makes many). */
struct conv {
	const struct flow *f;
	uint16_t aport, bport;
	uint32_t aseq, bseq;    /* next sequence number each side sends */
};

/* ---- errors ------------------------------------------------------------- */

static void die_io(const char *what, const char *path)
{
	fprintf(stderr, "pcapgen: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

__attribute__((format(printf, 2, 3), noreturn))
static void syntax(const struct gen *g, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%u: ", g->file, g->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- output buffer ------------------------------------------------------ */

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			fputs("pcapgen: out of memory\n", stderr);
			exit(1);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_le16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	buf_put(b, x, 2);
}

static void put_le32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
		(uint8_t)(v >> 24) };
	buf_put(b, x, 4);
}

static void put_le64(struct buf *b, uint64_t v)
{
	put_le32(b, (uint32_t)v);
	put_le32(b, (uint32_t)(v >> 32));
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- capture file writers ----------------------------------------------- */

static void write_file_header(struct gen *g)
{
	struct buf *b = &g->out;
	if (g->format == FMT_PCAP || g->format == FMT_PCAP_NS) {
		put_le32(b, g->format == FMT_PCAP_NS ? 0xa1b23c4du : 0xa1b2c3d4u);
		put_le16(b, 2);
		put_le16(b, 4);
		put_le32(b, 0);                 /* thiszone */
		put_le32(b, 0);                 /* sigfigs */
		put_le32(b, g->snaplen);
		put_le32(b, (uint32_t)g->linktype);
		return;
	}
	/* Section Header Block with shb_userappl */
	static const char app[] = "portaudit pcapgen";     /* 17 bytes -> 20 */
	uint32_t shb_len = 28 + 4 + 20 + 4;
	put_le32(b, 0x0a0d0d0au);
	put_le32(b, shb_len);
	put_le32(b, 0x1a2b3c4du);
	put_le16(b, 1);
	put_le16(b, 0);
	put_le64(b, UINT64_MAX);                /* section length unknown */
	put_le16(b, 4);                         /* shb_userappl */
	put_le16(b, (uint16_t)(sizeof app - 1));
	uint8_t pad[20] = { 0 };
	memcpy(pad, app, sizeof app - 1);
	buf_put(b, pad, 20);
	put_le32(b, 0);                         /* opt_endofopt */
	put_le32(b, shb_len);
	/* Interface Description Block; if_tsresol only for nanoseconds */
	bool ns = g->format == FMT_PCAPNG_NS;
	uint32_t idb_len = 20 + (ns ? 8 : 0) + 4;
	put_le32(b, 1);
	put_le32(b, idb_len);
	put_le16(b, (uint16_t)g->linktype);
	put_le16(b, 0);
	put_le32(b, g->snaplen);
	if (ns) {
		uint8_t opt[8] = { 9, 0, 1, 0, 9, 0, 0, 0 };   /* if_tsresol = 9 */
		buf_put(b, opt, 8);
	}
	put_le32(b, 0);
	put_le32(b, idb_len);
}

static void write_record(struct gen *g, const uint8_t *frame, size_t len)
{
	struct buf *b = &g->out;
	uint64_t ns = g->now_ns;
	uint32_t caplen = (uint32_t)(len < g->snaplen ? len : g->snaplen);
	g->npkts++;
	if (g->format == FMT_PCAP || g->format == FMT_PCAP_NS) {
		put_le32(b, (uint32_t)(ns / NS_PER_S));
		put_le32(b, (uint32_t)(g->format == FMT_PCAP_NS ? ns % NS_PER_S
				: ns % NS_PER_S / 1000));
		put_le32(b, caplen);
		put_le32(b, (uint32_t)len);
		buf_put(b, frame, caplen);
		return;
	}
	uint64_t ts = g->format == FMT_PCAPNG_NS ? ns : ns / 1000;
	uint32_t padded = (caplen + 3) & ~3u;
	uint32_t blen = 28 + padded + 4;
	static const uint8_t zero[4];
	put_le32(b, 6);
	put_le32(b, blen);
	put_le32(b, 0);                         /* interface 0 */
	put_le32(b, (uint32_t)(ts >> 32));
	put_le32(b, (uint32_t)ts);
	put_le32(b, caplen);
	put_le32(b, (uint32_t)len);
	buf_put(b, frame, caplen);
	buf_put(b, zero, padded - caplen);
	put_le32(b, blen);
}

/* ---- checksums ---------------------------------------------------------- */

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Transport checksum with the IPv4 or IPv6 pseudo-header. */
static uint16_t l4_checksum(const struct host *src, const struct host *dst,
			    uint8_t proto, const uint8_t *l4, size_t len)
{
	uint32_t sum = 0;
	size_t alen = src->af == 4 ? 4 : 16;
	sum = sum_bytes(sum, src->addr, alen);
	sum = sum_bytes(sum, dst->addr, alen);
	sum += proto;
	sum += (uint32_t)len & 0xffff;
	sum += (uint32_t)(len >> 16);
	sum = sum_bytes(sum, l4, len);
	uint16_t c = sum_fold(sum);
	return proto == 17 && c == 0 ? 0xffff : c;
}

/* The last IP packet emitted (for ICMP errors that quote it). */
static uint8_t last_ip_pkt[MAX_FRAME];
static size_t last_ip_len;

/* ---- link layer --------------------------------------------------------- */

static uint8_t sll_pkttype(const struct host *src, const struct host *dst)
{
	if (dst->local)
		return 0;       /* PACKET_HOST */
	if (src->local)
		return 4;       /* PACKET_OUTGOING */
	return 3;               /* PACKET_OTHERHOST */
}

static void emit_frame(struct gen *g, const struct conv *c,
		       const struct host *src, const struct host *dst,
		       const uint8_t *ip, size_t iplen)
{
	static uint8_t fr[MAX_FRAME];
	size_t n = 0;
	uint16_t etype = src->af == 4 ? 0x0800 : 0x86dd;
	uint32_t af = src->af == 4 ? 2 : 24;
	const struct flow *f = c->f;
	switch (g->linktype) {
	case LT_ETHERNET:
		memcpy(fr, dst->mac, 6);
		memcpy(fr + 6, src->mac, 6);
		n = 12;
		for (int i = 0; i < f->nvlan; i++) {
			uint16_t tpid = f->nvlan == 2 && i == 0 ? 0x88a8 : 0x8100;
			wr16(fr + n, tpid);
			wr16(fr + n + 2, f->vlan[i]);
			n += 4;
		}
		wr16(fr + n, etype);
		n += 2;
		break;
	case LT_SLL:
		wr16(fr, sll_pkttype(src, dst));
		wr16(fr + 2, 1);                /* ARPHRD_ETHER */
		wr16(fr + 4, 6);
		memcpy(fr + 6, src->mac, 6);
		fr[12] = fr[13] = 0;
		wr16(fr + 14, etype);
		n = 16;
		break;
	case LT_SLL2:
		wr16(fr, etype);
		wr16(fr + 2, 0);
		wr32(fr + 4, 2);                /* interface index */
		wr16(fr + 8, 1);                /* ARPHRD_ETHER */
		fr[10] = sll_pkttype(src, dst);
		fr[11] = 6;
		memcpy(fr + 12, src->mac, 6);
		fr[18] = fr[19] = 0;
		n = 20;
		break;
	case LT_NULL:                           /* host order: little-endian file */
		fr[0] = (uint8_t)af;
		fr[1] = fr[2] = fr[3] = 0;
		n = 4;
		break;
	case LT_LOOP:
		wr32(fr, af);
		n = 4;
		break;
	default:                                /* raw IP */
		break;
	}
	memcpy(fr + n, ip, iplen);
	n += iplen;
	memcpy(last_ip_pkt, ip, iplen);
	last_ip_len = iplen;
	if (g->linktype == LT_ETHERNET && n < 60) {
		memset(fr + n, 0, 60 - n);
		n = 60;
	}
	write_record(g, fr, n);
	g->now_ns += f->gap_ns;
}

/* ---- network layer ------------------------------------------------------ */

static void ext_header(uint8_t *p, uint8_t next)
{
	/* 8 bytes: next header, length 0, PadN option of 4 data bytes */
	p[0] = next;
	p[1] = 0;
	p[2] = 1;
	p[3] = 4;
	memset(p + 4, 0, 4);
}

static size_t frag_unit(const struct flow *f, size_t len)
{
	size_t fs = f->fragsize;
	if (!fs)
		fs = (len / 2 + 7) & ~(size_t)7;
	if (fs < 8)
		fs = 8;
	return fs;
}

/* Send one transport datagram (checksum already set) from src to dst,
 * fragmented if the flow asks for it and `may_frag`. */
static void emit_ip(struct gen *g, const struct conv *c, struct host *src,
		    const struct host *dst, int ttl, uint8_t proto,
		    const uint8_t *l4, size_t l4len, bool may_frag)
{
	static uint8_t ip[MAX_FRAME];
	const struct flow *f = c->f;
	bool frag = f->frag && may_frag && l4len > 8;
	if (src->af == 4) {
		uint16_t id = src->ipid++;
		size_t unit = frag ? frag_unit(f, l4len) : l4len;
		if (unit >= l4len)
			frag = false;
		for (size_t off = 0; off < l4len;) {     /* l4len >= 8 */
			size_t chunk = frag ? (l4len - off < unit ? l4len - off : unit) : l4len;
			bool more = frag && off + chunk < l4len;
			ip[0] = 0x45;
			ip[1] = 0;
			wr16(ip + 2, (uint32_t)(20 + chunk));
			wr16(ip + 4, id);
			uint32_t ff = (uint32_t)(off / 8);
			if (more)
				ff |= 0x2000;
			if (!frag && proto == 6)
				ff |= 0x4000;   /* DF, as TCP stacks do */
			wr16(ip + 6, ff);
			ip[8] = (uint8_t)ttl;
			ip[9] = proto;
			wr16(ip + 10, 0);
			memcpy(ip + 12, src->addr, 4);
			memcpy(ip + 16, dst->addr, 4);
			wr16(ip + 10, sum_fold(sum_bytes(0, ip, 20)));
			memcpy(ip + 20, l4 + off, chunk);
			emit_frame(g, c, src, dst, ip, 20 + chunk);
			off += chunk;
		}
		return;
	}
	/* IPv6: [hop-by-hop] [fragment] [destination options] upper layer */
	static uint8_t part[MAX_FRAME];
	size_t plen = 0;
	uint8_t first_in_part = proto;
	if (f->ext & EXT_DST) {
		ext_header(part, proto);
		plen = 8;
		first_in_part = 60;
	}
	memcpy(part + plen, l4, l4len);
	plen += l4len;
	size_t unit = frag ? frag_unit(f, plen) : plen;
	if (unit >= plen)
		frag = false;
	uint32_t fragid = frag ? ++g->ip6_fragid : 0;
	for (size_t off = 0; off < plen;) {
		size_t chunk = frag ? (plen - off < unit ? plen - off : unit) : plen;
		bool more = frag && off + chunk < plen;
		size_t n = 40;
		uint8_t *nh = ip + 6;
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		ip[7] = (uint8_t)ttl;
		memcpy(ip + 8, src->addr, 16);
		memcpy(ip + 24, dst->addr, 16);
		if (f->ext & EXT_HBH) {
			*nh = 0;
			nh = ip + n;
			ext_header(ip + n, 0);
			n += 8;
		}
		if (frag) {
			*nh = 44;
			nh = ip + n;
			ip[n + 1] = 0;
			wr16(ip + n + 2, (uint32_t)off | (more ? 1u : 0u));
			wr32(ip + n + 4, fragid);
			n += 8;
		}
		*nh = first_in_part;
		memcpy(ip + n, part + off, chunk);
		n += chunk;
		wr16(ip + 4, (uint32_t)(n - 40));
		emit_frame(g, c, src, dst, ip, n);
		off += chunk;
	}
}

/* ---- transport ---------------------------------------------------------- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static uint32_t rng_next(struct gen *g)
{
	uint32_t x = g->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	g->rng = x;
	return x;
}

static void fill_payload(uint8_t *p, size_t n, unsigned salt)
{
	static const char text[] = "portaudit sample payload, generated by pcapgen. ";
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)text[(i + salt) % (sizeof text - 1)];
}

/* One TCP segment. from_a: initiator to responder. */
static void tcp_send(struct gen *g, struct conv *c, bool from_a, uint8_t flags,
		     const uint8_t *data, size_t dlen)
{
	static uint8_t seg[MAX_L4 + 64];
	const struct flow *f = c->f;
	struct host *src = from_a ? f->a : f->b;
	struct host *dst = from_a ? f->b : f->a;
	uint32_t *seq = from_a ? &c->aseq : &c->bseq;
	uint32_t ack = from_a ? c->bseq : c->aseq;
	size_t hl = 20;
	wr16(seg, from_a ? c->aport : c->bport);
	wr16(seg + 2, from_a ? c->bport : c->aport);
	wr32(seg + 4, *seq);
	wr32(seg + 8, flags & TH_ACK ? ack : 0);
	if (flags & TH_SYN) {
		/* MSS, NOP, window scale 7, NOP, NOP, SACK permitted */
		static const uint8_t opt[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7,
			1, 1, 4, 2 };
		memcpy(seg + 20, opt, 12);
		if (src->af == 6)
			seg[23] = 0xa0;         /* MSS 1440 */
		hl = 32;
	}
	seg[12] = (uint8_t)(hl / 4 << 4);
	seg[13] = flags;
	wr16(seg + 14, flags & TH_SYN ? 64240 : flags & TH_RST ? 0 : 502);
	wr16(seg + 16, 0);
	wr16(seg + 18, 0);
	if (dlen)
		memcpy(seg + hl, data, dlen);
	wr16(seg + 16, l4_checksum(src, dst, 6, seg, hl + dlen));
	int ttl = from_a && f->ttl ? f->ttl : src->ttl;
	emit_ip(g, c, src, dst, ttl, 6, seg, hl + dlen, dlen > 0);
	*seq += (uint32_t)dlen + ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
}

static void udp_send(struct gen *g, struct conv *c, bool from_a,
		     const uint8_t *data, size_t dlen)
{
	static uint8_t dg[MAX_L4 + 8];
	const struct flow *f = c->f;
	struct host *src = from_a ? f->a : f->b;
	struct host *dst = from_a ? f->b : f->a;
	wr16(dg, from_a ? c->aport : c->bport);
	wr16(dg + 2, from_a ? c->bport : c->aport);
	wr16(dg + 4, (uint32_t)(8 + dlen));
	wr16(dg + 6, 0);
	memcpy(dg + 8, data, dlen);
	wr16(dg + 6, l4_checksum(src, dst, 17, dg, 8 + dlen));
	int ttl = from_a && f->ttl ? f->ttl : src->ttl;
	emit_ip(g, c, src, dst, ttl, 17, dg, 8 + dlen, true);
}

static void icmp_echo(struct gen *g, struct conv *c, bool from_a, uint16_t id,
		      uint16_t seqno, const uint8_t *data, size_t dlen)
{
	static uint8_t m[MAX_L4 + 8];
	const struct flow *f = c->f;
	struct host *src = from_a ? f->a : f->b;
	struct host *dst = from_a ? f->b : f->a;
	bool v6 = src->af == 6;
	m[0] = v6 ? (from_a ? 128 : 129) : (from_a ? 8 : 0);
	m[1] = 0;
	wr16(m + 2, 0);
	wr16(m + 4, id);
	wr16(m + 6, seqno);
	memcpy(m + 8, data, dlen);
	uint16_t ck = v6 ? l4_checksum(src, dst, 58, m, 8 + dlen)
		: sum_fold(sum_bytes(0, m, 8 + dlen));
	wr16(m + 2, ck);
	int ttl = from_a && f->ttl ? f->ttl : src->ttl;
	emit_ip(g, c, src, dst, ttl, v6 ? 58 : 1, m, 8 + dlen, true);
}

/* The ICMP error quoting `orig`, the IP packet the initiator just sent:
 * from f->from (default: the responder) to the initiator. */
static void icmp_error(struct gen *g, struct conv *c, const uint8_t *orig,
		       size_t olen)
{
	static uint8_t m[1280];
	const struct flow *f = c->f;
	struct host *src = f->from ? f->from : f->b;
	struct host *dst = f->a;
	bool v6 = dst->af == 6;
	size_t q = olen;
	if (!v6) {
		size_t ihl = (size_t)(orig[0] & 0x0f) * 4;
		if (q > ihl + 8)
			q = ihl + 8;
	} else if (q > 1280 - 48) {
		q = 1280 - 48;
	}
	m[0] = (uint8_t)f->icmp_type;
	m[1] = (uint8_t)f->icmp_code;
	wr16(m + 2, 0);
	wr32(m + 4, 0);
	memcpy(m + 8, orig, q);
	uint16_t ck = v6 ? l4_checksum(src, dst, 58, m, 8 + q)
		: sum_fold(sum_bytes(0, m, 8 + q));
	wr16(m + 2, ck);
	struct conv ec = *c;
	struct flow ef = *f;
	ef.frag = false;
	ec.f = &ef;
	emit_ip(g, &ec, src, dst, src->ttl, v6 ? 58 : 1, m, 8 + q, false);
}

/* ---- flows -------------------------------------------------------------- */

/* The payload of round (or datagram) i: the i-th `request`/`payload`
 * option when there is one, else `size` bytes of filler text. */
static size_t payload_of(uint8_t *p, const struct flow *f, bool resp,
			 unsigned long i)
{
	unsigned n = resp ? f->nresp : f->nreq;
	if (i < n) {
		size_t len = resp ? f->resplen[i] : f->reqlen[i];
		memcpy(p, resp ? f->resp[i] : f->req[i], len);
		return len;
	}
	size_t size = resp ? f->respsize : f->reqsize;
	fill_payload(p, size, (unsigned)i + (resp ? 7u : 0u));
	return size;
}

static void tcp_close(struct gen *g, struct conv *c, int closing)
{
	if (closing == CL_CLOSE) {
		tcp_send(g, c, true, TH_FIN | TH_ACK, NULL, 0);
		tcp_send(g, c, false, TH_FIN | TH_ACK, NULL, 0);
		tcp_send(g, c, true, TH_ACK, NULL, 0);
	} else if (closing == CL_RESET) {
		tcp_send(g, c, true, TH_RST | TH_ACK, NULL, 0);
	}
}

static void tcp_data(struct gen *g, struct conv *c)
{
	static uint8_t p[MAX_L4];
	const struct flow *f = c->f;
	for (unsigned long i = 0; i < f->data; i++) {
		size_t n = payload_of(p, f, false, i);
		tcp_send(g, c, true, TH_PSH | TH_ACK, p, n);
		n = payload_of(p, f, true, i);
		tcp_send(g, c, false, TH_PSH | TH_ACK, p, n);
		tcp_send(g, c, true, TH_ACK, NULL, 0);
	}
}

static void run_tcp(struct gen *g, struct conv *c)
{
	const struct flow *f = c->f;
	c->aseq = rng_next(g);
	c->bseq = rng_next(g);
	int closing = f->closing;
	switch (f->kind) {
	case K_ESTABLISHED:
		tcp_send(g, c, true, TH_SYN, NULL, 0);
		tcp_send(g, c, false, TH_SYN | TH_ACK, NULL, 0);
		tcp_send(g, c, true, TH_ACK, NULL, 0);
		tcp_data(g, c);
		tcp_close(g, c, closing == CL_DEFAULT ? CL_CLOSE : closing);
		break;
	case K_SYNACK_FIRST:
		c->aseq++;              /* the SYN was sent before the capture */
		tcp_send(g, c, false, TH_SYN | TH_ACK, NULL, 0);
		tcp_send(g, c, true, TH_ACK, NULL, 0);
		tcp_data(g, c);
		tcp_close(g, c, closing == CL_DEFAULT ? CL_CLOSE : closing);
		break;
	case K_MIDSTREAM:
		tcp_data(g, c);
		tcp_close(g, c, closing == CL_DEFAULT ? CL_OPEN : closing);
		break;
	case K_SYN_ONLY: {
		uint64_t t0 = g->now_ns;
		uint32_t isn = c->aseq;
		for (unsigned long i = 0; i <= f->retries; i++) {
			c->aseq = isn;
			tcp_send(g, c, true, TH_SYN, NULL, 0);
			if (i < f->retries)
				g->now_ns = t0 + ((2ULL << i) - 1) * NS_PER_S;
		}
		break;
	}
	case K_REJECTED:
		c->bseq = 0;            /* a RST answering a SYN has sequence 0 */
		tcp_send(g, c, true, TH_SYN, NULL, 0);
		tcp_send(g, c, false, TH_RST | TH_ACK, NULL, 0);
		break;
	case K_HALF_OPEN:
		tcp_send(g, c, true, TH_SYN, NULL, 0);
		tcp_send(g, c, false, TH_SYN | TH_ACK, NULL, 0);
		tcp_send(g, c, true, TH_RST, NULL, 0);
		break;
	case K_UNREACHABLE:
		tcp_send(g, c, true, TH_SYN, NULL, 0);
		icmp_error(g, c, last_ip_pkt, last_ip_len);
		break;
	default:
		break;
	}
}

static void run_udp(struct gen *g, struct conv *c)
{
	static uint8_t p[MAX_L4];
	const struct flow *f = c->f;
	unsigned long count = f->count ? f->count : 1;
	size_t n;
	switch (f->kind) {
	case K_REQRESP:
		for (unsigned long i = 0; i < count; i++) {
			n = payload_of(p, f, false, i);
			udp_send(g, c, true, p, n);
			n = payload_of(p, f, true, i);
			udp_send(g, c, false, p, n);
		}
		break;
	case K_ONEWAY:
		for (unsigned long i = 0; i < count; i++) {
			n = payload_of(p, f, false, i);
			udp_send(g, c, true, p, n);
		}
		break;
	case K_UNANSWERED: {
		/* the same request retried every second, no answer */
		uint64_t t0 = g->now_ns;
		for (unsigned long i = 0; i < count; i++) {
			g->now_ns = t0 + i * NS_PER_S;
			n = payload_of(p, f, false, 0);
			udp_send(g, c, true, p, n);
		}
		break;
	}
	case K_UNREACHABLE:
		n = payload_of(p, f, false, 0);
		udp_send(g, c, true, p, n);
		icmp_error(g, c, last_ip_pkt, last_ip_len);
		break;
	default:
		break;
	}
}

static void run_icmp(struct gen *g, struct conv *c)
{
	static uint8_t p[MAX_L4];
	const struct flow *f = c->f;
	unsigned long count = f->count ? f->count : 1;
	uint16_t id = ++g->icmp_id;
	uint64_t t0 = g->now_ns;
	for (unsigned long i = 0; i < count; i++) {
		g->now_ns = t0 + i * NS_PER_S;
		size_t n = payload_of(p, f, false, 0);
		icmp_echo(g, c, true, id, (uint16_t)(i + 1), p, n);
		if (f->kind == K_ECHO) {
			n = payload_of(p, f, f->nresp > 0, 0);
			icmp_echo(g, c, false, id, (uint16_t)(i + 1), p, n);
		}
	}
}

static void run_flow(struct gen *g, const struct flow *f)
{
	unsigned long reps = f->repeat ? f->repeat : 1;
	uint32_t lo = f->has_range ? f->port_lo : f->bport;
	uint32_t hi = f->has_range ? f->port_hi : f->bport;
	for (unsigned long r = 0; r < reps; r++) {
		for (uint32_t port = lo; port <= hi; port++) {
			struct conv c = { .f = f, .aport = (uint16_t)(f->aport + r),
				.bport = (uint16_t)port };
			if (f->proto == P_TCP)
				run_tcp(g, &c);
			else if (f->proto == P_UDP)
				run_udp(g, &c);
			else
				run_icmp(g, &c);
		}
	}
}

/* ---- parsing ------------------------------------------------------------ */

static unsigned long parse_num(const struct gen *g, const char *s,
			       unsigned long max, const char *what)
{
	char *end;
	if (!s)
		syntax(g, "%s: missing number", what);
	if (!isdigit((unsigned char)s[0]))
		syntax(g, "%s: '%s' is not a number", what, s);
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end)
		syntax(g, "%s: '%s' is not a number", what, s);
	if (v > max)
		syntax(g, "%s: %s is more than %lu", what, s, max);
	return v;
}

/* 1.5s, 200ms, 100us, 1234ns, 2m, 1h; a bare number means seconds. */
static uint64_t parse_dur(const struct gen *g, const char *s)
{
	if (!s || !isdigit((unsigned char)s[0]))
		syntax(g, "bad duration '%s' (e.g. 5s, 200ms, 100us)", s ? s : "");
	uint64_t ip = 0, frac = 0, fdiv = 1;
	const char *p = s;
	while (isdigit((unsigned char)*p)) {
		ip = ip * 10 + (uint64_t)(*p++ - '0');
		if (ip > 100000000ULL)
			syntax(g, "duration '%s' too long", s);
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fdiv < NS_PER_S) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdiv *= 10;
			}
			p++;
		}
	}
	uint64_t unit;
	if (!*p || !strcmp(p, "s"))
		unit = NS_PER_S;
	else if (!strcmp(p, "ms"))
		unit = 1000000;
	else if (!strcmp(p, "us"))
		unit = 1000;
	else if (!strcmp(p, "ns"))
		unit = 1;
	else if (!strcmp(p, "m"))
		unit = 60 * NS_PER_S;
	else if (!strcmp(p, "h"))
		unit = 3600 * NS_PER_S;
	else
		syntax(g, "bad duration unit in '%s' (s, ms, us, ns, m, h)", s);
	return ip * unit + frac * unit / fdiv;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* 2026-01-05T10:00:00Z, optionally with a fraction: 10:00:00.250Z */
static uint64_t parse_time(const struct gen *g, const char *s)
{
	unsigned y, mo, d, h, mi, se;
	int n = 0;
	if (!s || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi,
			 &se, &n) != 6)
		syntax(g, "bad time '%s' (use 2026-01-05T10:00:00Z)", s ? s : "");
	if (y < 1970 || y > 2105 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || se > 60)
		syntax(g, "time '%s' out of range", s);
	const char *p = s + n;
	uint64_t frac = 0, fdiv = 1;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fdiv < NS_PER_S) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdiv *= 10;
			}
			p++;
		}
	}
	if (strcmp(p, "Z"))
		syntax(g, "time '%s' must be UTC, ending in Z", s);
	int64_t days = days_from_civil(y, mo, d);
	uint64_t secs = (uint64_t)days * 86400 + h * 3600u + mi * 60u + se;
	return secs * NS_PER_S + frac * (NS_PER_S / fdiv);
}

static void derive_mac(struct host *h)
{
	/* locally administered unicast, FNV-1a of the address */
	uint32_t x = 2166136261u;
	for (int i = 0; i < 16; i++)
		x = (x ^ h->addr[i]) * 16777619u;
	h->mac[0] = 0x02;
	h->mac[1] = (uint8_t)h->af;
	h->mac[2] = (uint8_t)(x >> 24);
	h->mac[3] = (uint8_t)(x >> 16);
	h->mac[4] = (uint8_t)(x >> 8);
	h->mac[5] = (uint8_t)x;
}

static void parse_mac(const struct gen *g, const char *s, uint8_t *mac)
{
	unsigned v[6];
	int n = 0;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2],
			 &v[3], &v[4], &v[5], &n) != 6 || s[n])
		syntax(g, "bad MAC address '%s'", s ? s : "");
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

static struct host *new_host(struct gen *g, const char *name, const char *addr)
{
	if (g->nhosts == MAX_HOSTS)
		syntax(g, "too many hosts (at most %d)", MAX_HOSTS);
	struct host *h = &g->hosts[g->nhosts];
	memset(h, 0, sizeof *h);
	if (strlen(name) >= sizeof h->name)
		syntax(g, "host name '%s' too long", name);
	memcpy(h->name, name, strlen(name) + 1);
	if (inet_pton(AF_INET, addr, h->addr) == 1)
		h->af = 4;
	else if (inet_pton(AF_INET6, addr, h->addr) == 1)
		h->af = 6;
	else
		syntax(g, "bad address '%s' for host %s", addr, name);
	h->ttl = 64;
	/* deterministic, distinct IPv4 id sequences per host */
	h->ipid = (uint16_t)(0x1000 + 0x0800 * (g->nhosts % 30));
	derive_mac(h);
	g->nhosts++;
	return h;
}

static struct host *find_host(struct gen *g, const char *name)
{
	for (size_t i = 0; i < g->nhosts; i++)
		if (!strcmp(g->hosts[i].name, name))
			return &g->hosts[i];
	/* a literal address: 10.0.0.9 or [2001:db8::9] */
	char lit[64];
	size_t n = strlen(name);
	if (n >= sizeof lit)
		return NULL;
	if (name[0] == '[' && n > 2 && name[n - 1] == ']') {
		memcpy(lit, name + 1, n - 2);
		lit[n - 2] = 0;
	} else {
		memcpy(lit, name, n + 1);
	}
	uint8_t tmp[16];
	if (inet_pton(AF_INET, lit, tmp) != 1 && inet_pton(AF_INET6, lit, tmp) != 1)
		return NULL;
	struct host *h = new_host(g, name, lit);
	return h;
}

static void cmd_host(struct gen *g, char **t, int nt)
{
	if (nt < 3)
		syntax(g, "usage: host NAME ADDRESS [mac XX:XX:XX:XX:XX:XX] [ttl N] [local]");
	if (strchr(t[1], ':') || strchr(t[1], '[') || isdigit((unsigned char)t[1][0]))
		syntax(g, "host name '%s' must start with a letter and have no ':'", t[1]);
	for (size_t i = 0; i < g->nhosts; i++)
		if (!strcmp(g->hosts[i].name, t[1]))
			syntax(g, "host '%s' defined twice", t[1]);
	struct host *h = new_host(g, t[1], t[2]);
	for (int i = 3; i < nt; i++) {
		if (!strcmp(t[i], "mac") && i + 1 < nt)
			parse_mac(g, t[++i], h->mac);
		else if (!strcmp(t[i], "ttl"))
			h->ttl = (int)parse_num(g, i + 1 < nt ? t[++i] : NULL, 255, "ttl");
		else if (!strcmp(t[i], "local"))
			h->local = true;
		else
			syntax(g, "unknown host option '%s'", t[i]);
	}
}

static int parse_vlans(struct gen *g, char **t, int nt, int i, uint16_t *v,
		       int *nv)
{
	*nv = 0;
	while (i < nt && *nv < 2 && isdigit((unsigned char)t[i][0])) {
		v[*nv] = (uint16_t)parse_num(g, t[i], 4094, "vlan");
		if (v[*nv] == 0)
			syntax(g, "vlan: 0 is not a VLAN id (1-4094)");
		(*nv)++;
		i++;
	}
	if (*nv == 0)
		syntax(g, "vlan: expected 1 or 2 VLAN ids (802.1Q, QinQ) or 'none'");
	if (g->linktype != LT_ETHERNET)
		syntax(g, "vlan needs linktype ethernet");
	return i;
}

static void parse_endpoint(struct gen *g, char *s, struct host **h,
			   uint16_t *port, bool want_port, struct flow *f)
{
	char *colon = NULL;
	if (s[0] == '[') {
		char *rb = strchr(s, ']');
		if (rb && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = strchr(s, ':');
	}
	if (want_port && !colon)
		syntax(g, "'%s': expected HOST:PORT", s);
	if (!want_port && colon)
		syntax(g, "'%s': icmp takes hosts, not ports", s);
	if (colon)
		*colon = 0;
	*h = find_host(g, s);
	if (!*h)
		syntax(g, "unknown host '%s' (declare it with: host NAME ADDRESS)", s);
	if (!colon)
		return;
	char *ps = colon + 1;
	char *dash = strchr(ps, '-');
	if (dash && f) {
		*dash = 0;
		f->port_lo = (uint16_t)parse_num(g, ps, 65535, "port");
		f->port_hi = (uint16_t)parse_num(g, dash + 1, 65535, "port");
		if (f->port_lo > f->port_hi)
			syntax(g, "port range %u-%u is backwards", f->port_lo, f->port_hi);
		f->has_range = true;
		*port = f->port_lo;
		return;
	}
	*port = (uint16_t)parse_num(g, ps, 65535, "port");
}

static bool is_hex_word(const char *w)
{
	for (; *w; w++)
		if (!isxdigit((unsigned char)*w) && *w != ':' && *w != '.' && *w != '_')
			return false;
	return true;
}

/* Hex bytes into a fresh buffer: the word t[*i + 1] and the words after it
 * that are hex too (a long payload may go on over continuation lines);
 * ":" "." "_" between digits are ignored. *i ends on the last word used. */
static uint8_t *parse_hex(const struct gen *g, char **t, int nt, int *i,
			  size_t *len)
{
	static uint8_t tmp[MAX_L4];
	if (*i + 1 >= nt)
		syntax(g, "%s: expected hex bytes", t[*i]);
	size_t k = 0;
	int half = -1;
	int j = *i + 1;
	for (const char *c = t[j];; c++) {
		if (!*c) {
			if (j + 1 < nt && is_hex_word(t[j + 1]))
				c = t[++j];     /* words are never empty */
			else
				break;
		}
		int v;
		if (*c == ':' || *c == '.' || *c == '_')
			continue;
		if (*c >= '0' && *c <= '9')
			v = *c - '0';
		else if (*c >= 'a' && *c <= 'f')
			v = *c - 'a' + 10;
		else if (*c >= 'A' && *c <= 'F')
			v = *c - 'A' + 10;
		else
			syntax(g, "bad hex digit '%c' in payload", *c);
		if (half < 0) {
			half = v;
		} else {
			if (k == sizeof tmp)
				syntax(g, "payload longer than %zu bytes", sizeof tmp);
			tmp[k++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	*i = j;
	if (half >= 0)
		syntax(g, "odd number of hex digits in payload");
	if (k == 0)
		syntax(g, "empty payload");
	uint8_t *p = malloc(k);
	if (!p) {
		fputs("pcapgen: out of memory\n", stderr);
		exit(1);
	}
	memcpy(p, tmp, k);
	*len = k;
	return p;
}

static const struct { const char *name; int proto; int kind; } kinds[] = {
	{ "established", P_TCP, K_ESTABLISHED },
	{ "syn-only", P_TCP, K_SYN_ONLY },
	{ "rejected", P_TCP, K_REJECTED },
	{ "midstream", P_TCP, K_MIDSTREAM },
	{ "synack-first", P_TCP, K_SYNACK_FIRST },
	{ "half-open", P_TCP, K_HALF_OPEN },
	{ "unreachable", P_TCP, K_UNREACHABLE },
	{ "unreachable", P_UDP, K_UNREACHABLE },
	{ "request-response", P_UDP, K_REQRESP },
	{ "oneway", P_UDP, K_ONEWAY },
	{ "unanswered", P_UDP, K_UNANSWERED },
	{ "echo", P_ICMP, K_ECHO },
	{ "unanswered", P_ICMP, K_UNANSWERED },
};

static void cmd_flow(struct gen *g, char **t, int nt)
{
	/* static: payloads stay reachable if a syntax error exits */
	static struct flow f;
	for (unsigned k = 0; k < f.nreq; k++)
		free(f.req[k]);
	for (unsigned k = 0; k < f.nresp; k++)
		free(f.resp[k]);
	memset(&f, 0, sizeof f);
	f.proto = !strcmp(t[0], "tcp") ? P_TCP : !strcmp(t[0], "udp") ? P_UDP : P_ICMP;
	if (nt < 4 || strcmp(t[2], ">"))
		syntax(g, "usage: %s %s > %s KIND [options]", t[0],
		       f.proto == P_ICMP ? "HOST" : "HOST:PORT",
		       f.proto == P_ICMP ? "HOST" : "HOST:PORT");
	bool ports = f.proto != P_ICMP;
	parse_endpoint(g, t[1], &f.a, &f.aport, ports, NULL);
	parse_endpoint(g, t[3], &f.b, &f.bport, ports, &f);
	if (f.a->af != f.b->af)
		syntax(g, "%s and %s are not the same address family", f.a->name, f.b->name);
	f.reqsize = f.proto == P_ICMP ? 56 : 120;
	f.respsize = 480;
	f.data = f.proto == P_TCP ? 1 : 0;
	f.gap_ns = g->gap_ns;
	f.nvlan = g->nvlan;
	memcpy(f.vlan, g->vlan, sizeof f.vlan);
	f.icmp_type = -1;
	f.icmp_code = -1;
	bool have_at = false, at_rel = false;
	uint64_t at = 0;
	for (int i = 4; i < nt; i++) {
		const char *w = t[i];
		const char *arg = i + 1 < nt ? t[i + 1] : NULL;
		bool known = false;
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
			if (kinds[k].proto == f.proto && !strcmp(kinds[k].name, w)) {
				if (f.kind)
					syntax(g, "two kinds of flow ('%s')", w);
				f.kind = kinds[k].kind;
				known = true;
			}
		if (known)
			continue;
		if (!strcmp(w, "data") && f.proto == P_TCP) {
			f.data = parse_num(g, arg, 100000, "data");
			i++;
		} else if (!strcmp(w, "close") || !strcmp(w, "reset") || !strcmp(w, "open")) {
			if (f.proto != P_TCP)
				syntax(g, "'%s' is for tcp flows", w);
			f.closing = w[0] == 'c' ? CL_CLOSE : w[0] == 'r' ? CL_RESET : CL_OPEN;
		} else if (!strcmp(w, "retries")) {
			f.retries = parse_num(g, arg, 10, "retries");
			i++;
		} else if (!strcmp(w, "count")) {
			f.count = parse_num(g, arg, 1000000, "count");
			if (!f.count)
				syntax(g, "count must be at least 1");
			i++;
		} else if (!strcmp(w, "type")) {
			f.icmp_type = (int)parse_num(g, arg, 255, "type");
			i++;
		} else if (!strcmp(w, "code")) {
			f.icmp_code = (int)parse_num(g, arg, 255, "code");
			i++;
		} else if (!strcmp(w, "from")) {
			if (!arg || !(f.from = find_host(g, arg)))
				syntax(g, "from: unknown host '%s'", arg ? arg : "");
			i++;
		} else if (!strcmp(w, "at")) {
			if (!arg)
				syntax(g, "at: expected a time offset (at 5s, at +5s)");
			at_rel = arg[0] == '+';
			at = parse_dur(g, arg + at_rel);
			have_at = true;
			i++;
		} else if (!strcmp(w, "payload") || !strcmp(w, "response")) {
			if (f.nresp == MAX_GIVEN)
				syntax(g, "at most %d payloads per flow", MAX_GIVEN);
			f.resp[f.nresp] = parse_hex(g, t, nt, &i, &f.resplen[f.nresp]);
			f.nresp++;
		} else if (!strcmp(w, "request")) {
			if (f.nreq == MAX_GIVEN)
				syntax(g, "at most %d requests per flow", MAX_GIVEN);
			f.req[f.nreq] = parse_hex(g, t, nt, &i, &f.reqlen[f.nreq]);
			f.nreq++;
		} else if (!strcmp(w, "size")) {
			/* size N or size REQ/RESP */
			char sb[64];
			if (!arg || strlen(arg) >= sizeof sb)
				syntax(g, "size: expected N or REQUEST/RESPONSE");
			memcpy(sb, arg, strlen(arg) + 1);
			char *slash = strchr(sb, '/');
			if (slash)
				*slash = 0;
			f.reqsize = parse_num(g, sb, MAX_L4 - 128, "size");
			f.respsize = slash ? parse_num(g, slash + 1, MAX_L4 - 128, "size")
				: f.reqsize;
			i++;
		} else if (!strcmp(w, "frag")) {
			f.frag = true;
			if (arg && isdigit((unsigned char)arg[0])) {
				f.fragsize = parse_num(g, arg, 65000, "frag");
				if (f.fragsize < 8 || f.fragsize % 8)
					syntax(g, "frag: fragment size must be a multiple of 8");
				i++;
			}
		} else if (!strcmp(w, "vlan")) {
			if (arg && !strcmp(arg, "none")) {
				f.nvlan = 0;
				i++;
			} else {
				i = parse_vlans(g, t, nt, i + 1, f.vlan, &f.nvlan) - 1;
			}
		} else if (!strcmp(w, "ttl")) {
			f.ttl = (int)parse_num(g, arg, 255, "ttl");
			if (!f.ttl)
				syntax(g, "ttl must be 1-255");
			i++;
		} else if (!strcmp(w, "repeat")) {
			f.repeat = parse_num(g, arg, 65535, "repeat");
			i++;
		} else if (!strcmp(w, "ports")) {
			char sb[32];
			if (!arg || strlen(arg) >= sizeof sb || !strchr(arg, '-'))
				syntax(g, "ports: expected a range A-B");
			memcpy(sb, arg, strlen(arg) + 1);
			char *dash = strchr(sb, '-');
			*dash = 0;
			f.port_lo = (uint16_t)parse_num(g, sb, 65535, "ports");
			f.port_hi = (uint16_t)parse_num(g, dash + 1, 65535, "ports");
			if (f.port_lo > f.port_hi)
				syntax(g, "port range %s is backwards", arg);
			f.has_range = true;
			i++;
		} else if (!strcmp(w, "ext")) {
			if (!arg)
				syntax(g, "ext: expected hbh, dst or hbh,dst");
			char sb[32];
			if (strlen(arg) >= sizeof sb)
				syntax(g, "ext: expected hbh, dst or hbh,dst");
			memcpy(sb, arg, strlen(arg) + 1);
			for (char *p = sb, *e; p; p = e) {
				e = strchr(p, ',');
				if (e)
					*e++ = 0;
				if (!strcmp(p, "hbh"))
					f.ext |= EXT_HBH;
				else if (!strcmp(p, "dst"))
					f.ext |= EXT_DST;
				else
					syntax(g, "ext: unknown extension header '%s' (hbh, dst)", p);
			}
			if (f.a->af != 6)
				syntax(g, "ext: extension headers are IPv6 only");
			i++;
		} else if (!strcmp(w, "gap")) {
			f.gap_ns = parse_dur(g, arg);
			i++;
		} else {
			syntax(g, "unknown word '%s' in a %s flow", w, t[0]);
		}
	}
	if (!f.kind)
		syntax(g, "%s flow without a kind (%s)", t[0],
		       f.proto == P_TCP ? "established, syn-only, rejected, midstream, "
		       "synack-first, half-open, unreachable"
		       : f.proto == P_UDP ? "request-response, oneway, unanswered, unreachable"
		       : "echo, unanswered");
	if (f.repeat && (unsigned long)f.aport + f.repeat - 1 > 65535)
		syntax(g, "repeat %lu from port %u goes past 65535", f.repeat, f.aport);
	if (f.icmp_type < 0)
		f.icmp_type = f.a->af == 4 ? 3 : 1;
	if (f.icmp_code < 0)
		f.icmp_code = f.a->af == 4 ? (f.proto == P_UDP ? 3 : 13)
			: (f.proto == P_UDP ? 4 : 1);
	if (f.from && f.from->af != f.a->af)
		syntax(g, "from %s: not the flow's address family", f.from->name);
	if (have_at) {
		uint64_t when = at_rel ? g->now_ns + at : g->start_ns + at;
		if (when < g->now_ns)
			syntax(g, "at: time goes backwards (the clock is already past it)");
		g->now_ns = when;
	}
	if (!g->started) {
		g->started = true;
		write_file_header(g);
	}
	run_flow(g, &f);
}

static void cmd_file(struct gen *g, char **t, int nt)
{
	if (nt != 2)
		syntax(g, "usage: %s VALUE", t[0]);
	if (g->started)
		syntax(g, "'%s' must come before the first flow", t[0]);
	const char *v = t[1];
	if (!strcmp(t[0], "linktype")) {
		static const struct { const char *n; int lt; } lts[] = {
			{ "ethernet", LT_ETHERNET }, { "sll", LT_SLL }, { "sll2", LT_SLL2 },
			{ "raw", LT_RAW }, { "null", LT_NULL }, { "loop", LT_LOOP } };
		for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++)
			if (!strcmp(lts[i].n, v)) {
				if (g->nvlan && lts[i].lt != LT_ETHERNET)
					syntax(g, "vlan needs linktype ethernet");
				g->linktype = lts[i].lt;
				return;
			}
		syntax(g, "unknown linktype '%s' (ethernet, sll, sll2, raw, null, loop)", v);
	} else if (!strcmp(t[0], "format")) {
		if (!strcmp(v, "pcap"))
			g->format = FMT_PCAP;
		else if (!strcmp(v, "pcap-ns"))
			g->format = FMT_PCAP_NS;
		else if (!strcmp(v, "pcapng"))
			g->format = FMT_PCAPNG;
		else if (!strcmp(v, "pcapng-ns"))
			g->format = FMT_PCAPNG_NS;
		else
			syntax(g, "unknown format '%s' (pcap, pcap-ns, pcapng, pcapng-ns)", v);
	} else if (!strcmp(t[0], "snaplen")) {
		g->snaplen = (uint32_t)parse_num(g, v, 262144, "snaplen");
		if (g->snaplen < 14)
			syntax(g, "snaplen %u is too small", g->snaplen);
	} else {
		g->start_ns = g->now_ns = parse_time(g, v);
	}
}

static void parse_line(struct gen *g, char *line)
{
	char *t[MAX_TOKENS];
	int nt = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	for (char *p = line; *p;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (nt == MAX_TOKENS)
			syntax(g, "too many words on one line");
		t[nt++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = 0;
	}
	if (!nt)
		return;
	const char *w = t[0];
	if (!strcmp(w, "linktype") || !strcmp(w, "format") || !strcmp(w, "snaplen") ||
	    !strcmp(w, "start")) {
		cmd_file(g, t, nt);
	} else if (!strcmp(w, "host")) {
		cmd_host(g, t, nt);
	} else if (!strcmp(w, "vlan")) {
		if (nt == 2 && !strcmp(t[1], "none"))
			g->nvlan = 0;
		else if (parse_vlans(g, t, nt, 1, g->vlan, &g->nvlan) != nt)
			syntax(g, "usage: vlan ID [INNER-ID] | vlan none");
	} else if (!strcmp(w, "gap")) {
		if (nt != 2)
			syntax(g, "usage: gap DURATION");
		g->gap_ns = parse_dur(g, t[1]);
	} else if (!strcmp(w, "wait")) {
		if (nt != 2)
			syntax(g, "usage: wait DURATION");
		g->now_ns += parse_dur(g, t[1]);
	} else if (!strcmp(w, "tcp") || !strcmp(w, "udp") || !strcmp(w, "icmp")) {
		cmd_flow(g, t, nt);
	} else {
		syntax(g, "unknown directive '%s' (linktype, format, snaplen, start, "
		       "gap, host, vlan, wait, tcp, udp, icmp)", w);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fputs("usage: pcapgen DESCRIPTION.flows OUTPUT.pcap\n"
		      "  writes the capture described (format: pcaps/README.md)\n", stderr);
		return 2;
	}
	static struct gen g;
	g.file = argv[1];
	g.linktype = LT_ETHERNET;
	g.format = FMT_PCAP;
	g.snaplen = 262144;
	g.gap_ns = 500000;                      /* 0.5 ms between packets */
	g.rng = 0x5eed1960u;
	g.ip6_fragid = 0x1960;
	g.start_ns = g.now_ns = 1767607200ULL * NS_PER_S;  /* 2026-01-05T10:00:00Z */
	FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (!in)
		die_io("cannot open", argv[1]);
	/* a statement may go on over several lines ending in '\\'; comments
	 * end at the end of each line; errors name the statement's first line */
	static char line[4096], stmt[65536];
	size_t sl = 0;
	unsigned first = 0;
	while (fgets(line, sizeof line, in)) {
		g.line++;
		size_t n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n')
			syntax(&g, "line too long");
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		n = strlen(line);
		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = 0;
		bool cont = n && line[n - 1] == '\\';
		if (cont)
			line[--n] = 0;
		if (sl == 0)
			first = g.line;
		if (sl + n + 2 > sizeof stmt)
			syntax(&g, "statement too long");
		memcpy(stmt + sl, line, n);
		sl += n;
		stmt[sl++] = ' ';
		stmt[sl] = 0;
		if (cont)
			continue;
		unsigned last = g.line;
		g.line = first;
		parse_line(&g, stmt);
		g.line = last;
		sl = 0;
	}
	if (sl) {
		g.line = first;
		parse_line(&g, stmt);
	}
	if (ferror(in))
		die_io("cannot read", argv[1]);
	if (in != stdin)
		fclose(in);
	if (!g.started)
		write_file_header(&g);
	FILE *out = fopen(argv[2], "wb");
	if (!out)
		die_io("cannot create", argv[2]);
	if (fwrite(g.out.p, 1, g.out.len, out) != g.out.len || fclose(out) != 0)
		die_io("cannot write", argv[2]);
	free(g.out.p);
	return 0;
}
