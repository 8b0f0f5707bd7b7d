/*
 * zeekread.c -- time cap_zeek_read alone (no classification, no report):
 *
 *   zeekread PATH [--skip-bad]
 *
 * Reads PATH (a conn.log, gzip'ed or not, a directory, or -) with a
 * callback that only sums the packets, and prints the records, flows,
 * malformed records, the wall and CPU seconds and the records per second.
 * Built with the library: cc -O2 -I. bench/zeekread.c build/rel/libportaudit.a
 * $(pkg-config --libs libpcap yaml-0.1 jansson zlib) -pthread -lm
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "capture/records.h"

struct count {
	unsigned long long flows, pkts;
};

static void count(const struct cap_flow *f, void *ctx)
{
	struct count *c = ctx;
	c->flows++;
	c->pkts += f->pkts[0] + f->pkts[1];
}

static double secs(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: zeekread PATH [--skip-bad]\n");
		return 2;
	}
	struct cap_rec_stats rs;
	struct count c = { 0, 0 };
	char err[512];
	memset(&rs, 0, sizeof rs);
	double w0 = secs(CLOCK_MONOTONIC), c0 = secs(CLOCK_PROCESS_CPUTIME_ID);
	int rc = cap_zeek_read(argv[1], count, &c, &rs,
	                       argc > 2 && strcmp(argv[2], "--skip-bad") == 0,
	                       err, sizeof err);
	double w = secs(CLOCK_MONOTONIC) - w0;
	double cpu = secs(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (rc != 0) {
		fprintf(stderr, "zeekread: %s\n", err);
		return 2;
	}
	printf("records %llu flows %llu malformed %llu packets %llu: "
	       "%.3f s wall, %.3f s CPU, %.0f records/s\n",
	       (unsigned long long)rs.records, c.flows,
	       (unsigned long long)rs.malformed, c.pkts, w, cpu,
	       w > 0 ? (double)rs.records / w : 0.0);
	return 0;
}
