/*
 * nfsend.c -- a NetFlow exporter for the benchmark: IPFIX (or NetFlow v9)
 * datagrams over UDP, at a given rate or as fast as it can.
 *
 *   nfsend [-v 10|9] [-n RECORDS] [-r RATE] [-k pairs|oneway] [-p PER]
 *          [-D DOMAIN] [-o FIRST] [-T EVERY] HOST PORT
 *
 *   -v   10 IPFIX (default), 9 NetFlow v9
 *   -n   data records to send (default 1000000)
 *   -r   records a second, paced (default 0: as fast as sendmmsg goes)
 *   -k   pairs: each TCP connection as two uniflow records, the client's
 *        then the server's, one after the other (so they pair); oneway:
 *        one SYN-only record per connection whose reverse never comes
 *        (held by the pairer for its hold window)
 *   -p   data records per datagram (default 30: 46-byte records, a
 *        1400-byte IPFIX message)
 *   -D   observation domain (IPFIX) / source id (v9), default 1
 *   -o   index of the first connection (default 0), so that two runs can
 *        send distinct tuples
 *   -T   the template again every EVERY datagrams (default 4096), as
 *        exporters over UDP resend theirs
 *
 * Design. The first datagram is the template (one template set of ten
 * fields: addresses, ports, protocol, TCP flags, packets, octets, start
 * and end in milliseconds -- IPFIX elements 8 12 7 11 4 6 2 1 152 153; v9
 * the same with FIRST/LAST_SWITCHED, 22/21, in sysUptime), then data sets
 * of PER records. Sequence numbers as the RFCs number them: IPFIX the
 * data records sent in the domain before this message (RFC 7011 10.3.3;
 * template-only messages carry the count and do not add to it), v9 every
 * export packet (RFC 3954). Connection j is a function of j alone (a
 * hash): client 10.64.0.0/18 (j mod 16384) with source port 1024 + j /
 * 16384 (distinct tuples for a billion connections), server 10.0.0.5 to
 * 10.0.0.54 on one of ten catalogued ports; 85% complete and closed
 * (SYN ACK PSH FIN both ways), 10% rejected (SYN, RST-ACK back), 5% reset
 * by the client; times around the wall clock: the connection started up
 * to 5 s ago, the server's side 1-20 ms after the client's. Pacing:
 * datagram k is due at t0 + k * PER / RATE; the sender sleeps
 * (clock_nanosleep, absolute) until a burst of at least 200 us worth of
 * datagrams is due, then sends what is due with sendmmsg (64 at most a
 * call): bursts stay small, and a late wake-up is caught up without drift.
 *
 * Prints on standard output: records, datagrams, the seconds taken, the
 * rate reached, and the send errors (a full socket buffer: ENOBUFS).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PER 64
#define REC_LEN 46            /* the data record of the template below */
#define BATCH 64
#define DGRAM_MAX (20 + 4 + MAX_PER * REC_LEN + 4)
#define TMPL_ID 256

static const uint16_t fields[][2] = {
	{ 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 6, 1 },
	{ 2, 8 }, { 1, 8 }, { 152, 8 }, { 153, 8 },
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static const uint16_t ports[] = { 22, 80, 443, 1960, 1961, 135, 445, 3389,
	                          5985, 8443 };

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct opts {
	int version;
	unsigned long long n, first;
	double rate;
	int oneway;
	unsigned per, every;
	uint32_t domain;
};

/* Data record `i` (0-based, of the whole run) at p. */
static void record(const struct opts *o, unsigned long long i, uint64_t now_ms,
                   uint8_t *p, uint64_t *first_ms, uint64_t *last_ms)
{
	unsigned long long j = o->first + (o->oneway ? i : i / 2);
	int rev = !o->oneway && (i & 1);
	uint64_t h = mix(j + 0x9e3779b97f4a7c15ull);
	uint32_t client = 0x0a400000u | (uint32_t)(j % 16384);
	uint16_t sport = (uint16_t)(1024 + (j / 16384) % 64000);
	uint32_t server = 0x0a000005u + (uint32_t)(h % 50);
	uint16_t dport = ports[(h >> 8) % (sizeof ports / sizeof ports[0])];
	unsigned kind = (unsigned)((h >> 16) % 100);
	uint64_t dur = (h >> 24) % 5000, rtt = 1 + (h >> 40) % 20;
	uint64_t t1 = now_ms - dur - 100, t2 = now_ms - (h >> 48) % 100;
	uint8_t flags;
	uint64_t pkts;
	unsigned size;
	if (o->oneway) {
		flags = 0x02;
		pkts = 1;
		size = 60;
		t2 = t1;
	} else if (kind < 85) {
		flags = 0x1b; /* FIN SYN PSH ACK */
		pkts = rev ? 2 + (h >> 52) % 60 : 3 + (h >> 56) % 40;
		size = rev ? 52 + (unsigned)((h >> 4) % 1400)
		           : 52 + (unsigned)((h >> 12) % 400);
	} else if (kind < 95) {
		flags = rev ? 0x14 : 0x02; /* RST-ACK back to a SYN */
		pkts = rev ? 1 : 1 + (h >> 52) % 3;
		size = rev ? 40 : 60;
		t2 = t1 + (rev ? rtt : (pkts - 1) * 1000);
	} else {
		flags = rev ? 0x1a : 0x16; /* the client resets */
		pkts = rev ? 2 + (h >> 52) % 5 : 3 + (h >> 56) % 5;
		size = 52 + (unsigned)((h >> 4) % 200);
	}
	if (rev) {
		t1 += rtt;
		if (t2 < t1)
			t2 = t1;
	}
	be32(p, rev ? server : client);
	be32(p + 4, rev ? client : server);
	be16(p + 8, rev ? dport : sport);
	be16(p + 10, rev ? sport : dport);
	p[12] = 6;
	p[13] = flags;
	be64(p + 14, pkts);
	be64(p + 22, pkts * size);
	be64(p + 30, t1);
	be64(p + 38, t2);
	*first_ms = t1;
	*last_ms = t2;
}

/* The template set (IPFIX set id 2, v9 flowset id 0) at p: its length. */
static size_t template_set(const struct opts *o, uint8_t *p)
{
	size_t len = 4 + 4 + NFIELDS * 4;
	be16(p, o->version == 10 ? 2 : 0);
	be16(p + 2, (uint16_t)len);
	be16(p + 4, TMPL_ID);
	be16(p + 6, (uint16_t)NFIELDS);
	for (size_t f = 0; f < NFIELDS; f++) {
		uint16_t type = fields[f][0];
		if (o->version == 9 && type == 152)
			type = 22;      /* FIRST_SWITCHED */
		else if (o->version == 9 && type == 153)
			type = 21;      /* LAST_SWITCHED */
		be16(p + 8 + f * 4, type);
		be16(p + 10 + f * 4, o->version == 9 && type >= 21 && type <= 22
		                     ? 4 : fields[f][1]);
	}
	return len;
}

/* One datagram: the template when `tmpl`, else `nrec` data records from
 * record `next`. Its length. */
static size_t datagram(const struct opts *o, uint8_t *b, int tmpl,
                       unsigned long long next, unsigned nrec,
                       uint32_t seq, uint64_t boot_ms)
{
	uint64_t now = wall_ms();
	size_t hl = o->version == 10 ? 16 : 20, len = hl;
	unsigned count = 0;
	if (tmpl) {
		len += template_set(o, b + len);
		count = 1;
	} else {
		uint8_t *set = b + len;
		size_t sl = 4;
		for (unsigned r = 0; r < nrec; r++) {
			uint64_t f, l;
			uint8_t *p = set + sl;
			record(o, next + r, now, p, &f, &l);
			if (o->version == 9) {
				/* sysUptime milliseconds, 4 bytes each: the
				 * record is 8 bytes shorter (the next one
				 * overwrites the rest) */
				be32(p + 30, (uint32_t)(f - boot_ms));
				be32(p + 34, (uint32_t)(l - boot_ms));
				sl += REC_LEN - 8;
			} else {
				sl += REC_LEN;
			}
		}
		be16(set, TMPL_ID);
		be16(set + 2, (uint16_t)sl);
		len += sl;
		count = nrec;
	}
	if (o->version == 10) {
		be16(b, 10);
		be16(b + 2, (uint16_t)len);
		be32(b + 4, (uint32_t)(now / 1000));
		be32(b + 8, seq);
		be32(b + 12, o->domain);
	} else {
		be16(b, 9);
		be16(b + 2, (uint16_t)count);
		be32(b + 4, (uint32_t)(now - boot_ms));
		be32(b + 8, (uint32_t)(now / 1000));
		be32(b + 12, seq);
		be32(b + 16, o->domain);
	}
	return len;
}

static int usage(void)
{
	fputs("usage: nfsend [-v 10|9] [-n RECORDS] [-r RATE] [-k pairs|oneway] "
	      "[-p PER] [-D DOMAIN] [-o FIRST] [-T EVERY] HOST PORT\n", stderr);
	return 2;
}

static int number(const char *s, unsigned long long max,
                  unsigned long long *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s && !*end && !errno && *v <= max;
}

int main(int argc, char **argv)
{
	struct opts o = { 10, 1000000, 0, 0, 0, 30, 4096, 1 };
	int c;
	unsigned long long v;
	while ((c = getopt(argc, argv, "v:n:r:k:p:D:o:T:")) != -1) {
		switch (c) {
		case 'v':
			if (!number(optarg, 10, &v) || (v != 9 && v != 10))
				return usage();
			o.version = (int)v;
			break;
		case 'n':
			if (!number(optarg, 1ull << 40, &o.n) || o.n == 0)
				return usage();
			break;
		case 'r':
			if (!number(optarg, 1000000000, &v))
				return usage();
			o.rate = (double)v;
			break;
		case 'k':
			if (strcmp(optarg, "pairs") && strcmp(optarg, "oneway"))
				return usage();
			o.oneway = strcmp(optarg, "oneway") == 0;
			break;
		case 'p':
			if (!number(optarg, MAX_PER, &v) || v == 0)
				return usage();
			o.per = (unsigned)v;
			break;
		case 'D':
			if (!number(optarg, UINT32_MAX, &v))
				return usage();
			o.domain = (uint32_t)v;
			break;
		case 'o':
			if (!number(optarg, 1ull << 40, &o.first))
				return usage();
			break;
		case 'T':
			if (!number(optarg, 1u << 30, &v) || v == 0)
				return usage();
			o.every = (unsigned)v;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	struct sockaddr_in to;
	memset(&to, 0, sizeof to);
	to.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1 ||
	    !number(argv[optind + 1], 65535, &v) || v == 0) {
		fprintf(stderr, "nfsend: HOST: an IPv4 address, PORT: 1-65535\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)v);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
		perror("nfsend: socket");
		return 2;
	}
	int sb = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);

	static uint8_t bufs[BATCH][DGRAM_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t boot_ms = wall_ms() - 3600000; /* "up" for an hour */
	unsigned long long sent = 0, dgrams = 0, tmpls = 0, errors = 0;
	uint32_t seq = 0, pkt_seq = 0;
	unsigned long long total_dg = (o.n + o.per - 1) / o.per;
	/* datagrams in a burst: at least 200 us worth at the rate */
	unsigned burst = 1;
	if (o.rate > 0) {
		double b = o.rate * 200e-6 / o.per;
		burst = b < 1 ? 1 : b > BATCH ? BATCH : (unsigned)b + 1;
	}
	uint64_t t0 = mono_ns();
	unsigned long long k = 0; /* data datagrams built */
	while (k < total_dg) {
		unsigned long long due = total_dg;
		if (o.rate > 0) {
			uint64_t now = mono_ns();
			due = (unsigned long long)((double)(now - t0) * 1e-9 *
			                           o.rate / o.per) + 1;
			if (due > total_dg)
				due = total_dg;
			if (due < k + burst && due < total_dg) {
				unsigned long long until = k + burst;
				if (until > total_dg)
					until = total_dg;
				uint64_t at = t0 + (uint64_t)((double)(until - 1) *
				                              o.per / o.rate * 1e9);
				struct timespec ts = {
					(time_t)(at / 1000000000u),
					(long)(at % 1000000000u)
				};
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				                NULL);
				continue;
			}
		}
		unsigned m = 0;
		while (m < BATCH && k < due) {
			size_t len;
			if (dgrams % o.every == 0) {
				len = datagram(&o, bufs[m], 1, 0, 0,
				               o.version == 10 ? seq : pkt_seq,
				               boot_ms);
				tmpls++;
			} else {
				unsigned long long next = k * o.per;
				unsigned nrec = (unsigned)(o.n - next < o.per
				                           ? o.n - next : o.per);
				len = datagram(&o, bufs[m], 0, next, nrec,
				               o.version == 10 ? seq : pkt_seq,
				               boot_ms);
				seq += nrec;
				k++;
			}
			pkt_seq++;
			dgrams++;
			iov[m].iov_base = bufs[m];
			iov[m].iov_len = len;
			memset(&msgs[m], 0, sizeof msgs[m]);
			msgs[m].msg_hdr.msg_iov = &iov[m];
			msgs[m].msg_hdr.msg_iovlen = 1;
			m++;
		}
		unsigned off = 0;
		while (off < m) {
			int r = sendmmsg(fd, msgs + off, m - off, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				errors++;
				off++; /* that datagram is lost */
				continue;
			}
			off += (unsigned)r;
		}
		sent = k * o.per < o.n ? k * o.per : o.n;
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	printf("nfsend: %llu records in %llu datagrams (%llu templates), "
	       "%.3f s, %.0f records/s (asked %.0f), %llu send errors\n",
	       sent, dgrams, tmpls, secs, secs > 0 ? (double)sent / secs : 0.0,
	       o.rate, errors);
	close(fd);
	return errors ? 1 : 0;
}
