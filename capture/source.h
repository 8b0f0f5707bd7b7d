/*
 * source.h -- capture/ internal: opening an offline source, shared by the
 * capture loop (run.c) and the second pass (replay.c), so that both read
 * the same files the same way: nanosecond timestamps, the same refusals
 * (missing, directory, empty, not a capture), the same link-type check and
 * the same filter.
 */
#ifndef PORTAUDIT_CAPTURE_SOURCE_H
#define PORTAUDIT_CAPTURE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "capture.h"

struct cap_source {
	const char *name;    /* as given; "-" = stdin */
	const char *shown;   /* for messages: the name, or "stdin" */
	pcap_t *p;
	int linktype;
	uint64_t size;       /* file size when a regular file, else 0 */
	uint64_t ts_mul;     /* 1 for nanosecond timestamps, 1000 for micro */
	bool unsupported;    /* link type not decoded: the file is skipped */
	char *iobuf;         /* the stream's read buffer (CAP_READ_BUF bytes) */
	/* The filter set on p, kept for a reader that applies it itself
	 * (pcapfile.c: pcap_offline_filter). */
	struct bpf_program prog;
	bool has_prog;
};

/* Bytes of stdio buffer an offline source reads through. libpcap reads a
 * record header and then its data with fread(); glibc's default buffer is
 * st_blksize (4 KiB on ext4), so a 3 GB capture costs ~700k read() calls,
 * which took 40% of a bare libpcap read loop's time in `make bench`
 * (docs/flows.md, "Speed"). From 32 KiB to 1 MiB the bare loop is as
 * fast; 128 KiB (32 times fewer calls) leaves the flow table more of the
 * 512 KiB L2 cache than 256 KiB or 1 MiB (portaudit about 5% faster on
 * mixed.pcap, within the noise of one machine). */
#define CAP_READ_BUF (128u * 1024u)

/* Open `name` ("-" = stdin) with nanosecond timestamps and, when its link
 * type is decoded, set `filter` (may be NULL). Returns 0 (s->unsupported
 * tells a file to skip), or -1 with a one-line message in errbuf. */
int cap_source_open(struct cap_source *s, const char *name,
                    const char *filter, char *errbuf, size_t errlen);
void cap_source_close(struct cap_source *s);

/* Compile and set a BPF filter (NULL or "" = none). 0 or -1 with errbuf. */
int cap_filter_set(pcap_t *p, const char *filter, bpf_u_int32 mask,
                   char *errbuf, size_t errlen);

/* A packet header's time in nanoseconds (negative times read as 0). */
static inline uint64_t cap_source_ts(const struct pcap_pkthdr *h,
                                     uint64_t ts_mul)
{
	uint64_t ts = 0;
	if (h->ts.tv_sec > 0)
		ts = (uint64_t)h->ts.tv_sec * CAP_NS_PER_S;
	if (h->ts.tv_usec > 0)
		ts += (uint64_t)h->ts.tv_usec * ts_mul;
	return ts;
}

#endif
