/*
 * pcapfile.h -- capture/ internal: a reader of classic pcap files that
 * parses the records straight out of a large read buffer, for the capture
 * loop (run.c). See pcapfile.c for when it takes over from libpcap and how
 * it stays record for record what libpcap 1.10's pcap_next_packet() gives.
 */
#ifndef PORTAUDIT_CAPTURE_PCAPFILE_H
#define PORTAUDIT_CAPTURE_PCAPFILE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

/* libpcap's MAXIMUM_SNAPLEN, its max_snaplen_for_dlt() for every link type
 * the fast reader takes: a record whose caplen is larger is an error. */
#define CAP_PCAPFILE_MAXCAP 262144u
/* Bytes read at a time, into a page-aligned block. */
#define CAP_PCAPFILE_BLOCK (1024u * 1024u)

struct cap_pcapfile {
	int fd;
	unsigned char *mem;        /* room for a partial record, then the block */
	unsigned char *block;      /* mem + the room: page-aligned, where reads go */
	const unsigned char *p;    /* next unread byte */
	const unsigned char *end;  /* end of what was read */
	uint32_t snaplen;          /* pcap_snapshot() */
	bool swapped;              /* the file's byte order is not ours */
	bool micro;                /* microsecond timestamps (scaled to ns) */
	bool eof;                  /* read() returned 0 */
	uint64_t pos;              /* bytes of the stream read so far (progress;
	                            * cap_pcapfile_pos) */
	unsigned char *map;        /* the whole file mapped, or NULL */
	size_t maplen;             /* its size when it was opened */
	bool map_done;             /* past the mapping: read(2) from maplen on */
	size_t map_dropped;        /* its pages before this were let go */
	/* Who lets them go: NULL, the reader itself (madvise MADV_DONTNEED);
	 * else release(release_ctx, addr, len) is handed each range, which
	 * must stay mapped until the reader is closed (run.c hands them to
	 * the pipe: cap_pipe_release, pipe.h). */
	void (*release)(void *ctx, void *addr, size_t len);
	void *release_ctx;
	const struct bpf_program *filter; /* NULL: every packet */
	volatile sig_atomic_t break_loop;
	char errbuf[PCAP_ERRBUF_SIZE];
};

/* Take over the reading of `p`, an offline source just opened by
 * cap_source_open (not one record read yet), if the fast reader reproduces
 * libpcap on it: a classic pcap file, version 2.4, magic 0xa1b2c3d4 or
 * 0xa1b23c4d in either byte order, read through glibc stdio, of a link type
 * libpcap does not post-process (see pcapfile.c). `filter` (may be NULL) is
 * the compiled program set on `p`, kept by the caller while the reader
 * lives. With `map`, a regular file is mapped into memory and its records
 * read there (no copy; what is appended after it was opened is then read
 * with read(2)); else, and for pipes, it is read in blocks. Returns 1
 * (the reader owns the reading of p's stream from now on;
 * libpcap must not read it any more), 0 (libpcap must read it: nothing was
 * touched), or -1 (out of memory; nothing touched either). */
int cap_pcapfile_open(struct cap_pcapfile *f, pcap_t *p,
                      const struct bpf_program *filter, bool map);
void cap_pcapfile_close(struct cap_pcapfile *f);

/* pcap_dispatch() on the file: up to `cnt` packets that pass the filter
 * (cnt <= 0: all) to `cb`; returns how many, 0 at the end of the file,
 * -1 on an error (message in f->errbuf, libpcap's words), -2 when
 * cap_pcapfile_breakloop() was called before any packet. */
int cap_pcapfile_dispatch(struct cap_pcapfile *f, int cnt, pcap_handler cb,
                          u_char *user);

/* Bytes of the stream taken so far (the progress line). */
static inline uint64_t cap_pcapfile_pos(const struct cap_pcapfile *f)
{
	return f->map && !f->map_done ? (uint64_t)(f->p - f->map) : f->pos;
}

/* pcap_breakloop(): async-signal-safe. */
static inline void cap_pcapfile_breakloop(struct cap_pcapfile *f)
{
	f->break_loop = 1;
}

#endif
