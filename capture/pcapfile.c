/*
 * pcapfile.c -- a reader of classic pcap files for the capture loop: the
 * records are parsed straight out of a large read buffer.
 *
 * Why. libpcap reads a record with two fread() calls (its header, then its
 * data into libpcap's own buffer) through stdio, then calls the callback
 * through pcap_offline_read(): about 490 instructions a packet of the
 * mixed bench capture, as much as the rest of capture (docs/flows.md,
 * "Speed (measured)"). Here a record costs a bounds check, four loads (and
 * byte swaps), the filter if any, and the callback: no copy, no call per
 * record but the callback's.
 *
 * When. cap_pcapfile_open() takes a source libpcap has just opened (its file
 * header read, not one record) only when all of these hold; anything else,
 * pcapng included, stays with libpcap:
 *  - a classic pcap file, version 2.4 (older versions and DG/UX's 543.0
 *    have caplen and len swapped in some records: libpcap guesses), magic
 *    0xa1b2c3d4 (us) or 0xa1b23c4d (ns) in either byte order -- not
 *    Kuznetzov's 0xa1b2cd34, whose record header is 24 bytes. The magic is
 *    not in libpcap's API: it is read in the stream's stdio buffer, where
 *    libpcap's fread() of the file header left it (the 24 bytes just before
 *    the read pointer), and the fields after it are checked against what
 *    libpcap says (version, byte order);
 *  - the stream is glibc stdio with nothing pushed back, so that the bytes
 *    it buffered past the header are known (_IO_read_ptr.._IO_read_end):
 *    those are copied out once, then the file descriptor is read directly;
 *  - a link type whose records libpcap 1.10 passes through untouched.
 *    pcap_next_packet() (sf-pcap.c) ends with pcap_post_process() (pcap-
 *    util.c in 1.10.3, the version built here): for a byte-swapped file,
 *    swap_pseudo_headers() rewrites PFLOG, LINUX_SLL and LINUX_SLL2 (the
 *    CAN id of a SocketCAN frame), USB_LINUX, USB_LINUX_MMAPPED and NFLOG
 *    headers; for any file, fixup_pcap_pkthdr() may change the length of a
 *    USB_LINUX_MMAPPED record. So: EN10MB, RAW, IPV4, IPV6, NULL and LOOP
 *    always, LINUX_SLL and LINUX_SLL2 in the host's byte order only. For
 *    all of them max_snaplen_for_dlt() is MAXIMUM_SNAPLEN, 262144.
 *
 * What libpcap does, and so this reader (pcap_next_packet, 1.10.3): a
 * header cut short at the end of the file is "truncated dump file; tried
 * to read 16 header bytes, only got N", none at all is the end; caplen
 * above 262144 is "invalid packet capture length C, bigger than snaplen of
 * S" (when above the file's snaplen too) or "... bigger than maximum of
 * 262144"; a caplen above the file's snaplen (not above 262144) is read
 * whole and cut to the snaplen; data cut short is "truncated dump file;
 * tried to read C captured bytes, only got N" (S instead of C when the cut
 * is within the first snaplen bytes of an oversized record). Timestamps:
 * the header's 32-bit seconds and fraction, signed (bpf_int32) in a file
 * of the host's byte order but unsigned in a swapped one (SWAPLONG gives
 * an unsigned int: 0x80000000 seconds is 2038, not 1901), a microsecond
 * fraction times 1000 (portaudit opens every file in nanoseconds). The
 * filter is applied as pcap_offline_read() does, and counts the same way:
 * a dispatch of N returns after N packets that passed it. A read error is
 * "error reading dump file: " and the system's words.
 *
 * Mapping. A regular file (cap_run asks for it unless PORTAUDIT_READER=
 * read) is mapped whole, read-only, and its records are parsed where the
 * page cache holds them: read(2)'s copy of every byte into the block was
 * half of the reading thread's time (sys), more than the parsing and
 * decoding of the packets together (docs/flows.md, "Speed"). At the end
 * of the mapping the reader goes on with read(2) from there, so that what
 * was appended after the file was opened (a capture still being written)
 * is read as libpcap would read it. The pages read are let go in 2 MiB
 * steps (drop_behind), so that the process's resident memory stays what
 * it was with a read buffer. A file that shrinks while it is read
 * would end the process with SIGBUS at the first page past its new end:
 * while a mapped dispatch runs, a SIGBUS on its thread returns from the
 * dispatch instead (sigsetjmp; the handler is installed with the mapping,
 * and a SIGBUS elsewhere, or on another thread, is taken as it would have
 * been), with "truncated dump file: it shrank while it was read", the
 * packets before kept as for any truncated file. The pages a SIGBUS can
 * come from are touched only on the reading thread, by this parser and by
 * the decoders it calls (pointers into them are cleared before packets go
 * to the flow table: run.c).
 *
 * Reading. A block of 1 MiB, page-aligned (a misaligned read() made the
 * kernel's copy four times slower, see source.c), is read with read(2);
 * the record cut by its end is moved to just before it, into a room as
 * large as the largest record (16 + 262144 bytes), so the next read goes
 * to the aligned block again and a record is always contiguous. A pipe's
 * short reads are taken as they come. EINTR: read again, unless the loop
 * was told to stop (a signal), then the dispatch returns as
 * pcap_breakloop() makes it, the partial record kept for a next call
 * (libpcap's fread() would have failed with "Interrupted system call").
 */
#include "pcapfile.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_HDR 16u
/* Room for the part of a record read before the end of a block. */
#define ROOM ((REC_HDR + CAP_PCAPFILE_MAXCAP + 4095u) & ~4095u)

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du

static inline uint32_t get32(const unsigned char *b, bool swapped)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static bool link_taken(int dlt, bool swapped)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return !swapped;
	default:
		return false;
	}
}

/* The SIGBUS guard of a mapped dispatch (see "Mapping"): armed on the
 * reading thread only, while cap_pcapfile_dispatch() runs. */
static _Thread_local sigjmp_buf *bus_jmp;

static struct sigaction bus_before; /* the action before ours (zeroed:
                                     * SIG_DFL) */

static void on_sigbus(int sig)
{
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	/* Not a mapped read: what was there before ours takes it (the
	 * default: the process ends with SIGBUS). */
	sigaction(sig, &bus_before, NULL);
	raise(sig);
}

/* Installed with each mapping (whatever was there before -- a test
 * harness's or a fuzzer's handler -- takes the SIGBUS that is not ours). */
static void install_bus_handler(void)
{
	struct sigaction sa, prev;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigbus;
	sa.sa_flags = SA_NODEFER; /* siglongjmp leaves it unblocked */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &prev) != 0)
		return;
	bool ours = !(prev.sa_flags & SA_SIGINFO) &&
	            prev.sa_handler == on_sigbus;
	if (!ours)
		bus_before = prev;
}

/* Map the file of fp when it is a regular file whose header (24 bytes at
 * fh, in stdio's buffer) is found in it where the stream says (ftello,
 * just past it): the records are then read from the mapping, from just
 * after the header. */
static void try_map(struct cap_pcapfile *f, FILE *fp, const unsigned char *fh)
{
	int fd = fileno(fp);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > SIZE_MAX)
		return;
	off_t hoff = ftello(fp) - 24;
	if (hoff < 0 || sb.st_size - hoff < 24)
		return;
	size_t len = (size_t)sb.st_size;
	void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return;
	unsigned char *mb = m;
	if (memcmp(mb + hoff, fh, 24) != 0) {
		munmap(m, len);
		return;
	}
	(void)madvise(m, len, MADV_SEQUENTIAL);
	/* A file read from disk through this mapping comes into the page
	 * cache in 2 MiB folios (the kernel's read-ahead for a VM_HUGEPAGE
	 * mapping), mapped one PMD each: no page fault and no TLB miss per
	 * 4 KiB. Pages already cached stay as they are. */
#ifdef MADV_HUGEPAGE
	(void)madvise(m, len, MADV_HUGEPAGE);
#endif
	install_bus_handler();
	f->map = mb;
	f->maplen = len;
	f->p = mb + hoff + 24;
	f->end = mb + len;
	f->pos = len; /* once past the mapping */
}

int cap_pcapfile_open(struct cap_pcapfile *f, pcap_t *p,
                      const struct bpf_program *filter, bool map)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
#ifndef __GLIBC__
	(void)p;
	(void)filter;
	(void)map;
	return 0;
#else
	FILE *fp = pcap_file(p);
	if (!fp || ferror(fp) || fp->_IO_save_base)
		return 0;
	if (pcap_major_version(p) != 2 || pcap_minor_version(p) != 4)
		return 0;
	bool swapped = pcap_is_swapped(p) != 0;
	if (!link_taken(pcap_datalink(p), swapped))
		return 0;
	int snap = pcap_snapshot(p);
	if (snap <= 0)
		return 0;
	const unsigned char *rb = (const unsigned char *)fp->_IO_read_base;
	const unsigned char *rp = (const unsigned char *)fp->_IO_read_ptr;
	const unsigned char *re = (const unsigned char *)fp->_IO_read_end;
	if (!rb || !rp || !re || rp < rb || re < rp || rp - rb < 24)
		return 0;
	const unsigned char *fh = rp - 24; /* the file header */
	uint32_t magic;
	memcpy(&magic, fh, 4);
	bool sw = false, micro;
	if (magic == MAGIC_US || magic == MAGIC_NS) {
		micro = magic == MAGIC_US;
	} else {
		magic = __builtin_bswap32(magic);
		if (magic != MAGIC_US && magic != MAGIC_NS)
			return 0;
		micro = magic == MAGIC_US;
		sw = true;
	}
	uint16_t vmaj, vmin;
	memcpy(&vmaj, fh + 4, 2);
	memcpy(&vmin, fh + 6, 2);
	if (sw) {
		vmaj = __builtin_bswap16(vmaj);
		vmin = __builtin_bswap16(vmin);
	}
	if (sw != swapped || vmaj != 2 || vmin != 4)
		return 0;
	f->mem = aligned_alloc(4096, ROOM + CAP_PCAPFILE_BLOCK);
	if (!f->mem)
		return -1;
	f->block = f->mem + ROOM;
	f->fd = fileno(fp);
	f->snaplen = (uint32_t)snap;
	f->swapped = swapped;
	f->micro = micro;
	f->filter = filter;
	size_t n0 = (size_t)(re - rp);
	if (map)
		try_map(f, fp, fh);
	if (f->map) {
		/* stdio's buffer is not read: the same bytes are mapped */
		return 1;
	}
	size_t got = n0 ? fread(f->block, 1, n0, fp) : 0;
	f->p = f->block;
	f->end = f->block + got;
	f->eof = feof(fp) != 0;
	f->pos = 24 + got;
	return 1;
#endif
}

void cap_pcapfile_close(struct cap_pcapfile *f)
{
	if (f->map)
		munmap(f->map, f->maplen);
	f->map = NULL;
	free(f->mem);
	f->mem = NULL;
	f->block = NULL;
	f->p = f->end = NULL;
}

/* Make `need` bytes from f->p available. 1: done; 0: the end of the
 * stream came first (f->end - f->p bytes are there); -1: a read error
 * (errbuf set); -2: interrupted while the loop was told to stop. */
static int fill(struct cap_pcapfile *f, size_t need)
{
	size_t have = (size_t)(f->end - f->p);
	if (have >= need)
		return 1;
	if (f->map && !f->map_done) {
		/* The end of the mapping: what is left of it goes to the
		 * room like any partial record, and what was appended since
		 * the file was opened is read from there. */
		f->map_done = true;
		if (lseek(f->fd, (off_t)f->maplen, SEEK_SET) < 0)
			f->eof = true;
	}
	unsigned char *to = f->block - have;
	if (f->p != to) {
		memmove(to, f->p, have);
		f->p = to;
		f->end = f->block;
	}
	unsigned char *w = f->block + (f->end - f->block);
	while (have < need) {
		if (f->eof)
			return 0;
		size_t room = (size_t)(f->block + CAP_PCAPFILE_BLOCK - w);
		ssize_t n = read(f->fd, w, room);
		if (n < 0) {
			if (errno == EINTR) {
				if (f->break_loop)
					return -2;
				continue;
			}
			snprintf(f->errbuf, sizeof f->errbuf,
			         "error reading dump file: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			f->eof = true;
			return 0;
		}
		w += n;
		f->end = w;
		f->pos += (uint64_t)n;
		have += (size_t)n;
	}
	return 1;
}

static int stopped(struct cap_pcapfile *f, int n)
{
	if (n == 0) {
		f->break_loop = 0;
		return -2;
	}
	return n;
}

static int dispatch(struct cap_pcapfile *f, int cnt, pcap_handler cb,
                    u_char *user)
{
	if (cnt <= 0)
		cnt = INT_MAX;
	const bool swapped = f->swapped;
	const long scale = f->micro ? 1000 : 1;
	const uint32_t snap = f->snaplen;
	int n = 0;
	for (;;) {
		if (f->break_loop)
			return stopped(f, n);
		if ((size_t)(f->end - f->p) < REC_HDR) {
			int rc = fill(f, REC_HDR);
			if (rc == -2)
				return stopped(f, n);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				size_t have = (size_t)(f->end - f->p);
				if (have == 0)
					return n; /* the end */
				snprintf(f->errbuf, sizeof f->errbuf,
				         "truncated dump file; tried to read %zu "
				         "header bytes, only got %zu",
				         (size_t)REC_HDR, have);
				return -1;
			}
		}
		const unsigned char *rec = f->p;
		struct pcap_pkthdr h;
		if (swapped) { /* SWAPLONG() is unsigned */
			h.ts.tv_sec = (time_t)get32(rec, true);
			h.ts.tv_usec = (suseconds_t)((long)get32(rec + 4, true) *
			                             scale);
		} else { /* bpf_int32 */
			h.ts.tv_sec = (time_t)(int32_t)get32(rec, false);
			h.ts.tv_usec = (suseconds_t)((long)(int32_t)get32(rec + 4,
			                             false) * scale);
		}
		h.caplen = get32(rec + 8, swapped);
		h.len = get32(rec + 12, swapped);
		if (h.caplen > CAP_PCAPFILE_MAXCAP) {
			if (h.caplen > snap)
				snprintf(f->errbuf, sizeof f->errbuf,
				         "invalid packet capture length %u, bigger "
				         "than snaplen of %d", h.caplen, (int)snap);
			else
				snprintf(f->errbuf, sizeof f->errbuf,
				         "invalid packet capture length %u, bigger "
				         "than maximum of %u", h.caplen,
				         CAP_PCAPFILE_MAXCAP);
			return -1;
		}
		size_t need = REC_HDR + h.caplen;
		if ((size_t)(f->end - rec) < need) {
			int rc = fill(f, need);
			if (rc == -2)
				return stopped(f, n);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				size_t got = (size_t)(f->end - f->p) - REC_HDR;
				if (h.caplen > snap && got < snap)
					snprintf(f->errbuf, sizeof f->errbuf,
					         "truncated dump file; tried to "
					         "read %d captured bytes, only got "
					         "%zu", (int)snap, got);
				else
					snprintf(f->errbuf, sizeof f->errbuf,
					         "truncated dump file; tried to "
					         "read %u captured bytes, only got "
					         "%zu", h.caplen, got);
				return -1;
			}
			rec = f->p; /* moved */
		}
		f->p = rec + need;
		if (f->map && (size_t)(f->end - f->p) >= REC_HDR) {
			/* The record after the next one: its header and the
			 * packet headers after it, fetched while this one is
			 * decoded (in a mapping they are not in the CPU's cache:
			 * no copy brought them there). The next one's header,
			 * which says where, was fetched one record ago. */
			uint32_t nc = get32(f->p + 8, swapped);
			if (nc <= CAP_PCAPFILE_MAXCAP &&
			    (size_t)(f->end - f->p) >= 2 * REC_HDR + nc + 128) {
				const unsigned char *nn = f->p + REC_HDR + nc;
				__builtin_prefetch(nn);
				__builtin_prefetch(nn + 64);
			}
		}
		if (h.caplen > snap)
			h.caplen = snap;
		const u_char *data = rec + REC_HDR;
		if (f->filter && !pcap_offline_filter(f->filter, &h, data))
			continue;
		cb(user, &h, data);
		if (++n >= cnt)
			return n;
	}
}

/* Let go of the mapped pages well behind the reader (MADV_DONTNEED: they
 * stay in the page cache, but no longer count in this process's resident
 * memory), so that reading a file of any size keeps a few MiB of it
 * mapped, not all of it. Unmapping them is a fifth of the reading
 * thread's system time; f->release, when set, is handed each range
 * instead (run.c: to the pipe, whose thread with time to spare does it,
 * pipe.c "Balance"). */
#define DROP_ALIGN (2048u * 1024u) /* a PMD: see below */
#define DROP_KEEP (256u * 1024u)   /* behind the current record */

static void drop_behind(struct cap_pcapfile *f)
{
	/* In whole 2 MiB-aligned steps: a range the kernel mapped with one
	 * PMD (the page cache holding the file in 2 MiB folios, which
	 * MADV_HUGEPAGE asks for, see try_map) is then let go as one entry;
	 * a part of it would make the kernel split it into 512 first. */
	uintptr_t base = (uintptr_t)f->map;
	size_t at = (size_t)(f->p - f->map);
	if (at < DROP_KEEP)
		return;
	uintptr_t to_va = (base + at - DROP_KEEP) & ~(uintptr_t)(DROP_ALIGN - 1);
	if (to_va <= base + f->map_dropped)
		return;
	size_t to = (size_t)(to_va - base);
	if (f->release)
		f->release(f->release_ctx, f->map + f->map_dropped,
		           to - f->map_dropped);
	else
		(void)madvise(f->map + f->map_dropped, to - f->map_dropped,
		              MADV_DONTNEED);
	f->map_dropped = to;
}

int cap_pcapfile_dispatch(struct cap_pcapfile *f, int cnt, pcap_handler cb,
                          u_char *user)
{
	if (!f->map || f->map_done)
		return dispatch(f, cnt, cb, user);
	drop_behind(f);
	sigjmp_buf jb;
	if (sigsetjmp(jb, 0) != 0) {
		/* SIGBUS: a page of the mapping past the file's end now */
		bus_jmp = NULL;
		snprintf(f->errbuf, sizeof f->errbuf, "truncated dump file: it "
		         "shrank while it was read (SIGBUS past byte %llu of "
		         "%zu)", (unsigned long long)(f->p - f->map), f->maplen);
		f->map_done = true;
		f->eof = true;
		f->p = f->end = f->block; /* nothing more from the mapping */
		return -1;
	}
	bus_jmp = &jb;
	int n = dispatch(f, cnt, cb, user);
	bus_jmp = NULL;
	return n;
}
