/*
 * pcapng.h -- capture/ internal: a pcapng reader for the files libpcap
 * 1.10 stops reading, those whose interfaces have different link types
 * (pcapng.c). run.c takes over from libpcap at the interface it refused.
 */
#ifndef PORTAUDIT_CAPTURE_PCAPNG_H
#define PORTAUDIT_CAPTURE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#define CAP_NG_MAX_IFS 256       /* interfaces of one section */
#define CAP_NG_MAX_BLOCK (16u << 20) /* a block longer is refused */

struct cap_ng_if {
	int linktype;            /* canonical (cap_linktype_canonical) */
	uint32_t snaplen;
	uint8_t tsresol;         /* if_tsresol: 6 = microseconds */
	int64_t tsoffset;        /* if_tsoffset, seconds */
	bool unsupported;        /* not decoded: its packets are skipped */
	bool has_prog;           /* the filter, compiled for its link type */
	bool no_filter;          /* the filter does not compile for it */
	struct bpf_program prog;
};

struct cap_pcapng {
	FILE *f;
	const char *name;        /* for messages */
	const char *filter;      /* NULL or "" = none */
	uint8_t *buf;            /* one block's body */
	size_t cap;
	bool swap;               /* the section's byte order is not ours */
	bool in_section;
	struct cap_ng_if ifs[CAP_NG_MAX_IFS];
	unsigned nifs;
	int first_link;          /* the file's first interface's link type */
	bool deliver;            /* past the interface libpcap refused */
	uint64_t last_ns;        /* for a simple packet block (no time) */
	uint64_t skipped;        /* packets of interfaces not decoded */
	uint64_t unfiltered;     /* packets whose filter did not compile */
	char errbuf[256];
};

/* Open `path` to be read from its start, delivering packets only from the
 * first interface whose link type differs from the first interface's on
 * (libpcap read those before it). 0, or -1 with errbuf set. */
int cap_pcapng_open(struct cap_pcapng *g, const char *path,
                    const char *filter, char *errbuf, size_t errlen);
/* The next packet that passes the filter: 1 (h, *data, *linktype set;
 * the time in h->ts is seconds and nanoseconds), 0 at the end, -1 on a
 * bad or cut block (g->errbuf). *data is valid until the next call. */
int cap_pcapng_next(struct cap_pcapng *g, struct pcap_pkthdr *h,
                    const uint8_t **data, int *linktype);
void cap_pcapng_close(struct cap_pcapng *g);

#endif
