/*
 * filter.c -- would the capture filter have let a required flow in?
 *
 * Design. With a BPF filter (`portaudit -r x.pcap 'not port 22'`), a
 * required service with no flow is missing only if the filter would have
 * captured it. BPF is not re-implemented here: the filter is compiled with
 * libpcap's public API (pcap_open_dead + pcap_compile) for Ethernet, and
 * run (pcap_offline_filter) on the first packet the service's flow would
 * start with, built here: Ethernet, IPv4 or IPv6, then a TCP SYN or a UDP
 * datagram from the initiator to the responder port, between the server
 * and the peer (a listed device, else a documentation address,
 * 192.0.2.1 / 2001:db2::1). The answer is one of:
 *   CLS_FILTER_PASSES   the filter lets that packet in: missing is sound;
 *   CLS_FILTER_EXCLUDES the filter drops it: the service is not-seen;
 *   CLS_FILTER_UNKNOWN  no filter compiled for Ethernet (or another
 *                       error): treated as "may exclude".
 * A filter that depends on the peer's address, VLAN tags or payload can
 * drop the synthetic packet and not the real one: then the service is
 * reported not-seen, the cautious side. Cost: one compile per cls, one
 * filter run per (missing part), at the end only.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

struct cls_filter {
	pcap_t *dead;
	struct bpf_program prog;
};

struct cls_filter *cls_filter_new(const char *expr)
{
	if (!expr || !*expr)
		return NULL;
	struct cls_filter *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (!f->dead ||
	    pcap_compile(f->dead, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		if (f->dead)
			pcap_close(f->dead);
		free(f);
		return NULL;
	}
	return f;
}

void cls_filter_free(struct cls_filter *f)
{
	if (!f)
		return;
	pcap_freecode(&f->prog);
	pcap_close(f->dead);
	free(f);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

enum cls_filter_answer cls_filter_test(const struct cls_filter *f,
                                       uint8_t family, uint8_t proto,
                                       const uint8_t *src, const uint8_t *dst,
                                       uint16_t sport, uint16_t dport)
{
	if (!f)
		return CLS_FILTER_UNKNOWN;
	uint8_t pkt[14 + 40 + 20];
	memset(pkt, 0, sizeof pkt);
	/* Ethernet: locally administered MACs, then the type. */
	pkt[0] = 0x02;
	pkt[5] = 0x01;
	pkt[6] = 0x02;
	pkt[11] = 0x02;
	size_t l4 = proto == 6 ? 20 : 8;
	size_t ip;
	if (family == 4) {
		put16(pkt + 12, 0x0800);
		uint8_t *h = pkt + 14;
		h[0] = 0x45;
		put16(h + 2, (unsigned)(20 + l4));
		h[6] = 0x40; /* DF */
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, src, 4);
		memcpy(h + 16, dst, 4);
		ip = 20;
	} else {
		put16(pkt + 12, 0x86dd);
		uint8_t *h = pkt + 14;
		h[0] = 0x60;
		put16(h + 4, (unsigned)l4);
		h[6] = proto;
		h[7] = 64;
		memcpy(h + 8, src, 16);
		memcpy(h + 24, dst, 16);
		ip = 40;
	}
	uint8_t *t = pkt + 14 + ip;
	put16(t, sport);
	put16(t + 2, dport);
	if (proto == 6) {
		t[12] = 0x50;      /* data offset 5 */
		t[13] = 0x02;      /* SYN */
		put16(t + 14, 64240);
	} else {
		put16(t + 4, 8);
	}
	struct pcap_pkthdr hdr;
	memset(&hdr, 0, sizeof hdr);
	hdr.caplen = hdr.len = (bpf_u_int32)(14 + ip + l4);
	return pcap_offline_filter(&f->prog, &hdr, pkt) ? CLS_FILTER_PASSES
	                                                : CLS_FILTER_EXCLUDES;
}
