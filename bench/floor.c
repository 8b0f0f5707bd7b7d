/*
 * floor.c -- the speed floor: how fast libpcap alone reads a capture.
 *
 *   floor FILE      prints "PACKETS BYTES" (bytes = on-the-wire lengths)
 *
 * pcap_open_offline and a pcap_next_ex loop that touches nothing but the
 * record header: what any libpcap-based tool pays before doing any work.
 * bench/run.sh divides portaudit's time by this one.
 */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fputs("usage: floor FILE\n", stderr);
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "floor: %s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
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
