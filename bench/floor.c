/*
 * floor.c -- the speed floor: how fast libpcap alone reads a capture.
 *
 *   floor FILE           prints "PACKETS BYTES" (bytes = on-the-wire lengths)
 *   floor -b BYTES FILE  the same, reading through a stdio buffer of BYTES
 *   floor -c N ...       stop after N packets (as portaudit -c N), for the
 *                        instruction counts on a cut of a capture
 *   floor -m FILE        no libpcap: the file mapped and its records walked
 *                        (classic pcap only)
 *
 * pcap_open_offline and a pcap_next_ex loop that touches nothing but the
 * record header: what any libpcap-based tool pays before doing any work.
 * bench/run.sh divides portaudit's time by this one. With -b the file is
 * opened with fopen, given a BYTES-long buffer (setvbuf) and handed to
 * pcap_fopen_offline: how portaudit itself reads (capture/source.c,
 * CAP_READ_BUF), so that run.sh can also show portaudit's time over the
 * reading it actually does.
 *
 * -m is the floor under portaudit's own reader (capture/pcapfile.c): the
 * file mapped (mmap, MADV_SEQUENTIAL, MADV_HUGEPAGE), each record's header
 * read and two bytes of its packet touched, one in the first cache line
 * and one at byte 53 (where an Ethernet/IPv4/TCP header ends), the pages
 * behind let go in 2 MiB-aligned steps as portaudit does. What one thread pays to bring the
 * packets' headers from the page cache into the CPU, with no work on them:
 * a bound for any reader of a file on one CPU (bench/run.sh, "floor-map").
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t rd32(const unsigned char *p, int swapped)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/* floor -m: walk the records of a mapped classic pcap file */
static int walk(const char *path, unsigned long long max)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size < 24) {
		perror(path);
		return 2;
	}
	size_t len = (size_t)sb.st_size;
	unsigned char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		perror(path);
		return 2;
	}
	(void)madvise(m, len, MADV_SEQUENTIAL);
	(void)madvise(m, len, MADV_HUGEPAGE);
	uint32_t magic = rd32(m, 0);
	int swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	if (!swapped && magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
		fprintf(stderr, "floor: %s: not a classic pcap file\n", path);
		return 2;
	}
	const uintptr_t align = 2u << 20;
	const size_t keep = 1u << 18;
	size_t dropped = 0;
	const unsigned char *p = m + 24, *end = m + len;
	unsigned long long n = 0, bytes = 0;
	unsigned touched = 0;
	while ((!max || n < max) && end - p >= 16) {
		uint32_t cap = rd32(p + 8, swapped);
		if ((size_t)(end - p) - 16 < cap)
			break;
		bytes += rd32(p + 12, swapped);
		if (cap > 53)
			touched += p[16 + 12] + p[16 + 53];
		p += 16 + cap;
		n++;
		size_t at = (size_t)(p - m);
		uintptr_t to_va = at < keep ? 0
		                  : ((uintptr_t)m + at - keep) & ~(align - 1);
		if (to_va > (uintptr_t)m + dropped) {
			size_t to = (size_t)(to_va - (uintptr_t)m);
			(void)madvise(m + dropped, to - dropped, MADV_DONTNEED);
			dropped = to;
		}
	}
	munmap(m, len);
	close(fd);
	volatile unsigned sink = touched; /* the loads are kept */
	(void)sink;
	printf("%llu %llu\n", n, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	size_t bufsize = 0;
	unsigned long long max = 0;
	int mapped = 0;
	for (;;) {
		if (argc >= 3 && strcmp(argv[1], "-m") == 0) {
			mapped = 1;
			argv++;
			argc--;
			continue;
		}
		if (argc >= 4 && strcmp(argv[1], "-b") == 0)
			bufsize = (size_t)strtoul(argv[2], NULL, 10);
		else if (argc >= 4 && strcmp(argv[1], "-c") == 0)
			max = strtoull(argv[2], NULL, 10);
		else
			break;
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fputs("usage: floor [-m | -b BYTES] [-c N] FILE\n", stderr);
		return 2;
	}
	if (mapped)
		return walk(argv[1], max);
	pcap_t *p;
	if (bufsize) {
		FILE *f = fopen(argv[1], "rb");
		/* page-aligned, as portaudit's (capture/source.c) */
		char *vb = aligned_alloc(4096, (bufsize + 4095) & ~(size_t)4095);
		if (!f || !vb) {
			perror(argv[1]);
			return 2;
		}
		setvbuf(f, vb, _IOFBF, bufsize);
		p = pcap_fopen_offline(f, err);
	} else {
		p = pcap_open_offline(argv[1], err);
	}
	if (!p) {
		fprintf(stderr, "floor: %s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0;
	int rc = 1;
	while ((!max || n < max) && (rc = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		bytes += h->len;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "floor: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	pcap_close(p);
	printf("%llu %llu\n", n, bytes);
	return 0;
}
