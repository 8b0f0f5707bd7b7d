/*
 * zeekgen.c -- write a Zeek conn.log of N records, deterministically (a
 * fixed seed), for timing cap_zeek_read (bench/zeekread.c):
 *
 *   zeekgen N [tsv|json] > conn.log
 *
 * The records have Zeek's default conn.log fields (the 22 columns of the
 * shared logs): 70% TCP (SF, S1, S0 with retries, REJ, RSTR, OTH with a
 * flipped history), 25% UDP (SF, S0), 5% ICMP (echo, unreachable); 10%
 * IPv6; 2000 clients and 50 servers; times rising from 2024-01-01.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint32_t)(seed % n);
}

static void host(char *b, size_t n, int v6, unsigned id, int server)
{
	if (v6)
		snprintf(b, n, "2001:db8:%x::%x", server ? 5 : 1, id + 1);
	else
		snprintf(b, n, "10.%u.%u.%u", server ? 0 : 1 + id / 65536,
		         (id / 256) % 256, id % 256 + (server ? 5 : 0));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: zeekgen N [tsv|json]\n");
		return 2;
	}
	char *end;
	unsigned long long n = strtoull(argv[1], &end, 10);
	if (*end || n == 0) {
		fprintf(stderr, "zeekgen: N: a whole number above 0\n");
		return 2;
	}
	int json = argc > 2 && strcmp(argv[2], "json") == 0;
	static const uint16_t ports[] = { 22, 80, 443, 1960, 1961, 135, 445,
		                          3389, 5985, 8443 };
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	if (!json)
		fputs("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
		      "#unset_field\t-\n#path\tconn\n#open\t2024-01-01-00-00-00\n"
		      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
		      "id.resp_p\tproto\tservice\tduration\torig_bytes\t"
		      "resp_bytes\tconn_state\tlocal_orig\tlocal_resp\t"
		      "missed_bytes\thistory\torig_pkts\torig_ip_bytes\t"
		      "resp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n"
		      "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\t"
		      "interval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\t"
		      "count\tcount\tcount\tcount\tset[string]\tcount\n", stdout);
	uint64_t t_us = 1704067200ull * 1000000ull;
	for (unsigned long long i = 0; i < n; i++) {
		t_us += rnd(2000);
		int v6 = rnd(10) == 0;
		char a[64], b[64];
		host(a, sizeof a, v6, rnd(2000), 0);
		host(b, sizeof b, v6, rnd(50), 1);
		unsigned kind = rnd(100), sp = 32768 + rnd(28000);
		unsigned dp = ports[rnd(sizeof ports / sizeof ports[0])];
		const char *proto = "tcp", *state, *hist;
		unsigned op, rp, ob, rb, ipp = 6;
		if (kind < 70) {
			unsigned k = rnd(100);
			if (k < 60) {
				state = "SF"; hist = "ShADadFf";
				op = 5 + rnd(40); rp = 4 + rnd(60);
			} else if (k < 70) {
				state = "S1"; hist = "ShADad";
				op = 3 + rnd(10); rp = 2 + rnd(10);
			} else if (k < 80) {
				state = "S0"; hist = "S"; op = 1 + rnd(3); rp = 0;
			} else if (k < 88) {
				state = "REJ"; hist = "Sr"; op = 1; rp = 1;
			} else if (k < 95) {
				state = "RSTR"; hist = "ShADadr";
				op = 4 + rnd(8); rp = 3 + rnd(8);
			} else {
				state = "OTH"; hist = "^dA"; op = 1; rp = 2;
			}
			ob = op * (52 + rnd(400));
			rb = rp * (52 + rnd(1400));
		} else if (kind < 95) {
			proto = "udp";
			ipp = 17;
			dp = rnd(2) ? 53 : 161;
			if (rnd(4)) {
				state = "SF"; hist = "Dd"; op = 1; rp = 1;
			} else {
				state = "S0"; hist = "D"; op = 1 + rnd(3); rp = 0;
			}
			ob = op * (60 + rnd(100));
			rb = rp * (80 + rnd(400));
		} else {
			proto = "icmp";
			ipp = v6 ? 58 : 1;
			if (rnd(2)) {
				sp = v6 ? 128 : 8; dp = v6 ? 129 : 0;
				op = 1 + rnd(4); rp = op;
			} else {
				sp = v6 ? 1 : 3; dp = 3; op = 1; rp = 0;
			}
			state = "OTH"; hist = "-";
			ob = op * 84;
			rb = rp * 84;
		}
		unsigned dur_us = rp || op > 1 ? rnd(5000000) : 0;
		if (json)
			printf("{\"ts\":%" PRIu64 ".%06" PRIu64 ",\"uid\":"
			       "\"C%011llx\",\"id.orig_h\":\"%s\",\"id.orig_p\":%u,"
			       "\"id.resp_h\":\"%s\",\"id.resp_p\":%u,\"proto\":"
			       "\"%s\",\"duration\":%u.%06u,\"orig_bytes\":%u,"
			       "\"resp_bytes\":%u,\"conn_state\":\"%s\","
			       "\"local_orig\":true,\"local_resp\":true,"
			       "\"missed_bytes\":0,\"history\":\"%s\",\"orig_pkts\""
			       ":%u,\"orig_ip_bytes\":%u,\"resp_pkts\":%u,"
			       "\"resp_ip_bytes\":%u,\"ip_proto\":%u}\n",
			       t_us / 1000000, t_us % 1000000, i, a, sp, b, dp,
			       proto, dur_us / 1000000, dur_us % 1000000,
			       ob > 40 * op ? ob - 40 * op : 0,
			       rb > 40 * rp ? rb - 40 * rp : 0, state, hist, op, ob,
			       rp, rb, ipp);
		else
			printf("%" PRIu64 ".%06" PRIu64 "\tC%011llx\t%s\t%u\t%s\t%u\t"
			       "%s\t-\t%u.%06u\t%u\t%u\t%s\tT\tT\t0\t%s\t%u\t%u\t%u\t"
			       "%u\t-\t%u\n", t_us / 1000000, t_us % 1000000, i, a,
			       sp, b, dp, proto, dur_us / 1000000, dur_us % 1000000,
			       ob > 40 * op ? ob - 40 * op : 0,
			       rb > 40 * rp ? rb - 40 * rp : 0, state, hist, op, ob,
			       rp, rb, ipp);
	}
	if (!json)
		fputs("#close\t2024-01-01-01-00-00\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
