/*
 * netflow_sink.c -- a UDP collector that writes what it receives into a
 * pcap, for tests/make_netflow_pcaps.sh: each datagram becomes one
 * Ethernet/IPv4/UDP frame from 127.0.0.1:its source port to
 * 127.0.0.1:PORT, stamped with the time it arrived, its bytes exactly as
 * the exporter sent them. Not part of the build or of the tests.
 *
 *   netflow_sink PORT OUT.pcap IDLE_MS
 *
 * Binds 127.0.0.1:PORT, creates OUT.pcap.ready once bound, and ends after
 * IDLE_MS milliseconds without a datagram once one has arrived (or 30 s
 * without any).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > max) {
		fprintf(stderr, "netflow_sink: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: netflow_sink PORT OUT.pcap IDLE_MS\n");
		return 2;
	}
	unsigned port = (unsigned)num(argv[1], 65535);
	int idle = (int)num(argv[3], 600000);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("netflow_sink: bind");
		return 1;
	}
	int rcvbuf = 8 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = dead ? pcap_dump_open(dead, argv[2]) : NULL;
	if (!d) {
		fprintf(stderr, "netflow_sink: cannot write %s\n", argv[2]);
		return 1;
	}
	char ready[4096];
	snprintf(ready, sizeof ready, "%s.ready", argv[2]);
	FILE *r = fopen(ready, "w");
	if (r)
		fclose(r);

	static uint8_t frame[14 + 20 + 8 + 65536];
	unsigned n = 0;
	for (;;) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		if (poll(&pfd, 1, n ? idle : 30000) <= 0)
			break;
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		uint8_t *data = frame + 14 + 20 + 8;
		ssize_t got = recvfrom(s, data, 65536, 0, (struct sockaddr *)&from,
		                       &fl);
		if (got < 0)
			continue;
		size_t len = (size_t)got;
		memset(frame, 0, 14 + 20 + 8);
		frame[12] = 0x08; /* IPv4 */
		uint8_t *ip = frame + 14;
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + 8 + len));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &from.sin_addr, 4);
		memcpy(ip + 16, &a.sin_addr, 4);
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, ~sum & 0xffff);
		uint8_t *udp = ip + 20;
		put16(udp, ntohs(from.sin_port));
		put16(udp + 2, port);
		put16(udp + 4, (unsigned)(8 + len));
		struct pcap_pkthdr h;
		gettimeofday(&h.ts, NULL);
		h.caplen = h.len = (bpf_u_int32)(14 + 20 + 8 + len);
		pcap_dump((u_char *)d, &h, frame);
		n++;
	}
	pcap_dump_close(d);
	pcap_close(dead);
	unlink(ready);
	printf("netflow_sink: %u datagrams into %s\n", n, argv[2]);
	return 0;
}
