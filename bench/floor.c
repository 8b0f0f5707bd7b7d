/*
 * floor.c -- the speed floor: how fast libpcap alone reads a capture.
 *
 *   floor FILE           prints "PACKETS BYTES" (bytes = on-the-wire lengths)
 *   floor -b BYTES FILE  the same, reading through a stdio buffer of BYTES
 *   floor -c N ...       stop after N packets (as portaudit -c N), for the
 *                        instruction counts on a cut of a capture
 *
 * pcap_open_offline and a pcap_next_ex loop that touches nothing but the
 * record header: what any libpcap-based tool pays before doing any work.
 * bench/run.sh divides portaudit's time by this one. With -b the file is
 * opened with fopen, given a BYTES-long buffer (setvbuf) and handed to
 * pcap_fopen_offline: how portaudit itself reads (capture/source.c,
 * CAP_READ_BUF), so that run.sh can also show portaudit's time over the
 * reading it actually does.
 */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	size_t bufsize = 0;
	unsigned long long max = 0;
	for (;;) {
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
		fputs("usage: floor [-b BYTES] [-c N] FILE\n", stderr);
		return 2;
	}
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
