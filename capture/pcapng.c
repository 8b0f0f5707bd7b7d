/*
 * pcapng.c -- a pcapng reader for files whose interfaces have different
 * link types.
 *
 * Why. libpcap 1.10's pcapng reader takes the first interface's link type
 * for the whole file and stops at an interface of another ("an interface
 * has a type 101 different from the type of the first interface"), which
 * a capture of `dumpcap -i eth0 -i any` (Ethernet and Linux cooked) or of
 * a Wi-Fi and a wired interface is. run.c lets libpcap read such a file
 * up to that interface, then reads the rest here: this reader goes
 * through the file from its start, keeps every interface's link type,
 * time resolution and offset, and hands on the packets from that
 * interface's description on (libpcap has handed on those before it).
 *
 * The format (the pcapng draft, as libpcap's sf-pcapng.c reads it): blocks
 * of a type and a total length (a multiple of 4, at least 12), the body,
 * the total length again. A section header block (type 0x0A0D0D0A) starts
 * a section with its byte order (the magic 0x1A2B3C4D) and forgets the
 * interfaces of the last; an interface description block (1) adds an
 * interface: its link type, its snaplen and the options if_tsresol (9: a
 * power of 10, or of 2 with the high bit) and if_tsoffset (14: seconds);
 * an enhanced packet block (6) is a packet of an interface, with a 64-bit
 * time in its unit; a simple packet block (3) a packet of interface 0
 * without a time (the last time read stands in); an obsolete packet block
 * (2) as an enhanced one with 16-bit interface ids. Every other block is
 * skipped. Every length is checked against the block before anything is
 * read: a block longer than CAP_NG_MAX_BLOCK, or one whose parts do not
 * fit, or a file that ends inside a block, ends the reading with a
 * message (the packets before are kept, as for a cut file).
 *
 * The capture filter is compiled for each interface's link type
 * (pcap_open_dead) and applied with pcap_offline_filter, as libpcap
 * applies it; a filter that does not compile for a link type (`ether
 * host` on raw IP) drops that interface's packets, counted. Packets of a
 * link type portaudit does not decode are skipped, counted.
 *
 * Pseudo-headers in the writer's byte order. libpcap swaps, in a section
 * of the other byte order, the fields of a link type's pseudo-header that
 * the capturing host wrote in its own order (pcap-common.c,
 * swap_pseudo_headers), before the filter and the decoders see them. Of
 * the link types decoded here that is NFLOG, whose TLV lengths and types
 * are host-order (swap_nflog_header): they are swapped the same way, in
 * this reader's copy of the block, within the captured bytes.
 */
#include "pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_OPB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define BO_MAGIC 0x1A2B3C4Du
#define LT_NFLOG 239

static uint32_t u32(const struct cap_pcapng *g, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return g->swap ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct cap_pcapng *g, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return g->swap ? __builtin_bswap16(v) : v;
}

static void forget_ifs(struct cap_pcapng *g)
{
	for (unsigned i = 0; i < g->nifs; i++)
		if (g->ifs[i].has_prog)
			pcap_freecode(&g->ifs[i].prog);
	g->nifs = 0;
}

int cap_pcapng_open(struct cap_pcapng *g, const char *path,
                    const char *filter, char *errbuf, size_t errlen)
{
	memset(g, 0, sizeof *g);
	g->name = path;
	g->filter = filter;
	g->first_link = -1;
	g->f = fopen(path, "rb");
	if (!g->f) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void cap_pcapng_close(struct cap_pcapng *g)
{
	forget_ifs(g);
	if (g->f)
		fclose(g->f);
	g->f = NULL;
	free(g->buf);
	g->buf = NULL;
}

__attribute__((format(printf, 2, 3)))
static int bad(struct cap_pcapng *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->errbuf, sizeof g->errbuf, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read n bytes: 1, 0 at a clean end (nothing read and `may_end`), or -1. */
static int get(struct cap_pcapng *g, void *p, size_t n, bool may_end)
{
	size_t got = fread(p, 1, n, g->f);
	if (got == n)
		return 1;
	if (got == 0 && may_end && feof(g->f))
		return 0;
	if (ferror(g->f))
		return bad(g, "read error: %s", strerror(errno));
	return bad(g, "truncated pcapng file: a block ends past the end of "
	           "the file");
}

/* The block buffer holds n bytes (at most CAP_NG_MAX_BLOCK). */
static int room(struct cap_pcapng *g, size_t n)
{
	if (n <= g->cap)
		return 0;
	uint8_t *nb = realloc(g->buf, n);
	if (!nb)
		return bad(g, "out of memory");
	g->buf = nb;
	g->cap = n;
	return 0;
}

static int add_if(struct cap_pcapng *g, const uint8_t *b, size_t n)
{
	if (n < 8)
		return bad(g, "an interface description block is too short");
	if (g->nifs == CAP_NG_MAX_IFS)
		return bad(g, "more than %u interfaces in a section",
		           CAP_NG_MAX_IFS);
	struct cap_ng_if *x = &g->ifs[g->nifs];
	memset(x, 0, sizeof *x);
	/* A file holds LINKTYPE_ values: the decoders take them (raw IP is
	 * 101 there), libpcap's compiler wants the DLT_ (raw IP: 12). */
	int lt = u16(g, b);
	int dlt = lt == 101 ? DLT_RAW : lt;
	x->linktype = cap_linktype_canonical(lt);
	x->snaplen = u32(g, b + 4);
	x->tsresol = 6;
	/* options: code, length, value padded to 4 bytes */
	for (size_t o = 8; o + 4 <= n;) {
		uint16_t code = u16(g, b + o), len = u16(g, b + o + 2);
		size_t pad = ((size_t)len + 3) & ~(size_t)3;
		if (code == 0 || o + 4 + pad > n)
			break;
		if (code == 9 && len == 1)
			x->tsresol = b[o + 4];
		if (code == 14 && len == 8) {
			uint64_t v;
			memcpy(&v, b + o + 4, 8);
			x->tsoffset = (int64_t)(g->swap ? __builtin_bswap64(v) : v);
		}
		o += 4 + pad;
	}
	x->unsupported = !cap_linktype_supported(x->linktype);
	if (g->first_link < 0)
		g->first_link = x->linktype;
	else if (x->linktype != g->first_link)
		g->deliver = true; /* libpcap stopped here */
	if (!x->unsupported && g->filter && *g->filter) {
		pcap_t *dead = pcap_open_dead(dlt, x->snaplen ? (int)x->snaplen
		                                              : 262144);
		if (dead && pcap_compile(dead, &x->prog, g->filter, 1,
		                         PCAP_NETMASK_UNKNOWN) == 0)
			x->has_prog = true;
		else
			x->no_filter = true;
		if (dead)
			pcap_close(dead);
	}
	g->nifs++;
	return 0;
}

/* Units of 10^-r or 2^-(r & 0x7f) seconds to nanoseconds. */
static uint64_t to_ns(uint64_t t, uint8_t r)
{
	if (r & 0x80) {
		unsigned s = r & 0x7f;
		if (s > 63)
			return 0;
		__uint128_t x = (__uint128_t)t * 1000000000u;
		return (uint64_t)(x >> s);
	}
	if (r <= 9) {
		uint64_t m = 1;
		for (unsigned i = r; i < 9; i++)
			m *= 10;
		return t * m;
	}
	for (unsigned i = 9; i < r && t; i++)
		t /= 10;
	return t;
}

/* NFLOG's TLV headers (length, type: 16 bits each, the writer's order)
 * of a packet of a section in the other byte order, into ours, as
 * libpcap's swap_nflog_header: after the 4-byte header, version 0 only,
 * TLV by TLV while the captured bytes and the wire length hold it, the
 * walk ending at a TLV shorter than its header. */
static void swap_nflog(uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
	if (caplen < 4 || wirelen < 4 || p[1] != 0)
		return;
	caplen -= 4;
	wirelen -= 4;
	p += 4;
	while (caplen >= 4) {
		uint16_t len, type;
		memcpy(&len, p, 2);
		memcpy(&type, p + 2, 2);
		len = __builtin_bswap16(len);
		type = __builtin_bswap16(type);
		memcpy(p, &len, 2);
		memcpy(p + 2, &type, 2);
		uint32_t size = ((uint32_t)len + 3u) & ~3u;
		if (size < 4 || caplen < size || wirelen < size)
			return;
		caplen -= size;
		wirelen -= size;
		p += size;
	}
}

int cap_pcapng_next(struct cap_pcapng *g, struct pcap_pkthdr *h,
                    const uint8_t **data, int *linktype)
{
	for (;;) {
		uint8_t hd[8];
		int rc = get(g, hd, 8, true);
		if (rc <= 0)
			return rc;
		uint32_t type, len;
		memcpy(&type, hd, 4);
		if (type == BT_SHB) {
			/* its byte order is in its body: read it first */
			uint8_t m[4];
			if (get(g, m, 4, false) < 0)
				return -1;
			uint32_t magic;
			memcpy(&magic, m, 4);
			if (magic == BO_MAGIC)
				g->swap = false;
			else if (magic == __builtin_bswap32(BO_MAGIC))
				g->swap = true;
			else
				return bad(g, "a section header with a bad "
				           "byte-order magic");
			len = u32(g, hd + 4);
			if (len < 28 || len % 4 || len > CAP_NG_MAX_BLOCK)
				return bad(g, "a section header of %u bytes", len);
			forget_ifs(g);
			g->in_section = true;
			/* the rest of it, its trailing length included */
			size_t rest = len - 12;
			if (room(g, rest) != 0 || get(g, g->buf, rest, false) < 0)
				return -1;
			if (u32(g, g->buf + rest - 4) != len)
				return bad(g, "a section header's lengths differ");
			continue;
		}
		if (!g->in_section)
			return bad(g, "not a pcapng file (no section header)");
		type = u32(g, hd);
		len = u32(g, hd + 4);
		if (len < 12 || len % 4 || len > CAP_NG_MAX_BLOCK)
			return bad(g, "a block of type %u and %u bytes", type, len);
		size_t body = len - 8; /* with the trailing length */
		if (room(g, body) != 0 || get(g, g->buf, body, false) < 0)
			return -1;
		const uint8_t *b = g->buf;
		size_t n = body - 4;
		if (u32(g, b + n) != len)
			return bad(g, "a block of type %u whose lengths differ",
			           type);
		uint32_t ifid, caplen, wirelen;
		uint64_t units;
		size_t off;
		if (type == BT_IDB) {
			if (add_if(g, b, n) != 0)
				return -1;
			continue;
		} else if (type == BT_EPB || type == BT_OPB) {
			if (n < 20)
				return bad(g, "a packet block is too short");
			ifid = type == BT_EPB ? u32(g, b) : u16(g, b);
			units = (uint64_t)u32(g, b + 4) << 32 | u32(g, b + 8);
			caplen = u32(g, b + 12);
			wirelen = u32(g, b + 16);
			off = 20;
		} else if (type == BT_SPB) {
			if (n < 4)
				return bad(g, "a simple packet block is too short");
			ifid = 0;
			units = 0;
			wirelen = u32(g, b);
			caplen = wirelen;
			if (caplen > n - 4)
				caplen = (uint32_t)(n - 4);
			off = 4;
		} else {
			continue; /* statistics, names, custom blocks */
		}
		if (ifid >= g->nifs)
			return bad(g, "a packet of interface %u, which was not "
			           "described", ifid);
		const struct cap_ng_if *x = &g->ifs[ifid];
		if (type == BT_SPB && x->snaplen && caplen > x->snaplen)
			caplen = x->snaplen;
		if (caplen > n - off)
			return bad(g, "a packet of %u bytes in a block of %zu",
			           caplen, n - off);
		uint64_t ns = type == BT_SPB ? g->last_ns
		                             : to_ns(units, x->tsresol);
		if (type != BT_SPB) {
			int64_t o = x->tsoffset;
			if (o > 0)
				ns += (uint64_t)o * 1000000000u;
			else if (o < 0 && ns >= (uint64_t)(-o) * 1000000000u)
				ns -= (uint64_t)(-o) * 1000000000u;
			g->last_ns = ns;
		}
		if (!g->deliver)
			continue; /* libpcap read it */
		if (x->unsupported) {
			g->skipped++;
			continue;
		}
		if (x->no_filter) {
			g->unfiltered++;
			continue;
		}
		h->ts.tv_sec = (time_t)(ns / 1000000000u);
		h->ts.tv_usec = (suseconds_t)(ns % 1000000000u);
		h->caplen = caplen;
		h->len = wirelen < caplen ? caplen : wirelen;
		if (g->swap && x->linktype == LT_NFLOG)
			swap_nflog(g->buf + off, caplen, h->len);
		if (x->has_prog &&
		    !pcap_offline_filter(&x->prog, h, b + off))
			continue;
		*data = b + off;
		*linktype = x->linktype;
		return 1;
	}
}
