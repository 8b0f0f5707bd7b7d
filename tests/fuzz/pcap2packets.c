/*
 * pcap2packets.c -- turn a pcap or pcapng file into an input of the
 * fuzz_packets target (its format is described in fuzz_packets.c), for
 * seeds: the file's link type, the option bytes given (default opt0 0x01:
 * every address a server; opt1 0: every report written), the packets'
 * own times as the nearest steps at or below each gap, their captured
 * bytes (at most MAXCAP of each) and their extra wire length (capped at
 * 254). At most MAXPKT packets.
 *
 *   pcap2packets [-o OPT0] [-p OPT1] [-n MAXPKT] [-s MAXCAP] IN.pcap OUT
 *
 * Exit status 0, 1 when libpcap cannot read the file (nothing written).
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fuzz_packets.c's steps[] from index 0 to 11, the forward ones. */
static const uint64_t fwd[12] = {
	0, 1000, 1000000, 100000000, 1000000000, 2000000000, 6000000000,
	11000000000, 31000000000, 61000000000, 301000000000, 3600000000000,
};

static unsigned long arg_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (*s == '\0' || *end != '\0' || v > max) {
		fprintf(stderr, "pcap2packets: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* The step code whose step (times a multiplier 1..16) best approaches gap
 * from below; the remainder is carried over to the next packet. */
static uint8_t step_code(uint64_t gap, uint64_t *used)
{
	uint8_t best = 0;
	uint64_t best_v = 0;
	for (unsigned i = 1; i < 12; i++)
		for (uint64_t m = 1; m <= 16; m++) {
			uint64_t v = fwd[i] * m;
			if (v <= gap && v > best_v) {
				best_v = v;
				best = (uint8_t)((m - 1) << 4 | i);
			}
		}
	*used = best_v;
	return best;
}

int main(int argc, char **argv)
{
	unsigned opt0 = 1, opt1 = 0, maxpkt = 64, maxcap = 1600;
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-o") == 0)
			opt0 = (unsigned)arg_num(argv[i + 1], 255);
		else if (strcmp(argv[i], "-p") == 0)
			opt1 = (unsigned)arg_num(argv[i + 1], 255);
		else if (strcmp(argv[i], "-n") == 0)
			maxpkt = (unsigned)arg_num(argv[i + 1], 100000);
		else if (strcmp(argv[i], "-s") == 0)
			maxcap = (unsigned)arg_num(argv[i + 1], 65535);
		else
			break;
	}
	if (argc - i != 2) {
		fputs("usage: pcap2packets [-o OPT0] [-p OPT1] [-n MAXPKT] "
		      "[-s MAXCAP] IN.pcap OUT\n", stderr);
		return 2;
	}
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		argv[i], PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		fprintf(stderr, "pcap2packets: %s: %s\n", argv[i], eb);
		return 1;
	}
	FILE *out = fopen(argv[i + 1], "wb");
	if (!out) {
		perror(argv[i + 1]);
		pcap_close(p);
		return 2;
	}
	int lt = pcap_datalink(p);
	uint8_t hdr[4] = { (uint8_t)(lt >> 8), (uint8_t)lt, (uint8_t)opt0,
	                   (uint8_t)opt1 };
	fwrite(hdr, 1, sizeof hdr, out);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t clock = 0, ts = 0;
	unsigned n = 0;
	while (n < maxpkt && pcap_next_ex(p, &h, &d) == 1) {
		ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		uint64_t used = 0;
		uint8_t code = 0;
		if (n == 0)
			clock = ts; /* the target starts at its own base time */
		else if (ts > clock)
			code = step_code(ts - clock, &used);
		clock += used;
		uint32_t cap = h->caplen < maxcap ? h->caplen : maxcap;
		uint32_t extra = h->len > cap ? h->len - cap : 0;
		uint8_t fh[4] = { (uint8_t)(cap >> 8), (uint8_t)cap, code,
		                  (uint8_t)(extra > 254 ? 254 : extra) };
		fwrite(fh, 1, sizeof fh, out);
		fwrite(d, 1, cap, out);
		n++;
	}
	pcap_close(p);
	if (fclose(out) != 0) {
		perror(argv[i + 1]);
		return 2;
	}
	return 0;
}
