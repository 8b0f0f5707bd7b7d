/*
 * records.c -- cap_run_records(): flow records instead of packets
 * (--flows zeek:PATH, --flows nfdump:PATH, --collect netflow:[ADDR:]PORT).
 *
 * Design. Each source kind has its reader (zeek.c, nfdump.c, netflow.c);
 * this file runs them the way cap_run() runs a capture: every path is
 * checked before the first record is read, SIGINT/SIGTERM end the run and
 * the report is still written (run.c's handler, shared), -Z drops root
 * before any record is parsed (run.c's sequence, shared), a progress line
 * on a terminal, and the flows go to the caller's callback through one
 * wrapper that keeps the report's source facts (flows, the packets and
 * bytes the records count, the first and last record time).
 *
 * The collector binds one UDP socket ([ADDR:]PORT; ADDR defaults to the
 * IPv4 wildcard 0.0.0.0, as nfcapd's -b does; "[::]:PORT" listens on both
 * families), drops privileges, then reads datagrams in batches of
 * RX_BATCH with recvmmsg() after a poll() of at most 100 ms, so that
 * --duration and a signal end it on time on a silent socket. A datagram
 * from outside --exporter is counted (rs->ignored_exporters) and not
 * parsed; one cut by the buffer (larger than RX_MAX) is malformed; every
 * other one goes to cap_netflow_datagram() (netflow.c) with the wall
 * clock, which also ticks the pairer. The socket's receive buffer is -B
 * KiB, else COLLECT_RCVBUF (a burst of export packets must not be dropped
 * by the kernel while the pairer works).
 *
 * Costs. Per datagram: one recvmmsg slot, one prefix test per --exporter
 * entry, the decoder. Memory: RX_BATCH * RX_MAX bytes of receive buffers
 * (2 MiB), the pairer (pairing.c) and the decoder's tables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "capture.h"
#include "flow.h"
#include "rec_int.h"
#include "records.h"

#define RX_BATCH 32
#define RX_MAX 65536
#define POLL_MS 100
#define COLLECT_RCVBUF (8 * 1024 * 1024)
#define NF_MAX_TEMPLATES 4096u
#define NF_MAX_EXPORTERS 1024u

struct rrun {
	const struct cap_options *opt;
	cap_flow_fn fn;
	void *ctx;
	struct cap_stats *st;
	struct cap_progress pr;
};

/* The source running now, for SIGUSR1's counters (one per process). */
static struct rrun *g_running;

/* SIGUSR1: one line on standard error, as a capture prints it, e.g.
 * "portaudit: 81234 records, 5120 flows, 12 findings so far". */
void cap_rec_counters(void)
{
	const struct rrun *r = g_running;
	if (!r || !cap_counters_asked())
		return;
	char extra[160] = "";
	if (r->opt->status)
		r->opt->status(r->opt->status_ctx, extra, sizeof extra);
	unsigned long long n = r->st->rec.records, fl = r->st->flows;
	fprintf(stderr, "portaudit: %llu record%s, %llu flow%s%s%s\n", n,
	        n == 1 ? "" : "s", fl, fl == 1 ? "" : "s", extra[0] ? ", " : "",
	        extra);
	fflush(stderr);
}

/* Every flow, whatever its source: the report's facts, then the caller. */
static void on_flow(const struct cap_flow *f, void *ctx)
{
	struct rrun *r = ctx;
	struct cap_stats *st = r->st;
	cap_rec_counters();
	st->flows++;
	st->packets += (uint64_t)f->pkts[0] + f->pkts[1];
	st->bytes += f->bytes[0] + f->bytes[1];
	if (f->first_ns && (st->first_ns == 0 || f->first_ns < st->first_ns))
		st->first_ns = f->first_ns;
	if (f->last_ns > st->last_ns)
		st->last_ns = f->last_ns;
	r->fn(f, r->ctx);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

bool cap_prefix_match(const struct cap_prefix_opt *list, unsigned n,
                      uint8_t family, const uint8_t *addr)
{
	for (unsigned i = 0; i < n; i++) {
		const struct cap_prefix_opt *p = &list[i];
		if (p->family != family)
			continue;
		unsigned bits = p->len, full = bits / 8, rest = bits % 8;
		if (full > 16)
			continue;
		if (memcmp(p->addr, addr, full) != 0)
			continue;
		if (rest) {
			uint8_t m = (uint8_t)(0xff00u >> rest);
			if ((p->addr[full] & m) != (addr[full] & m))
				continue;
		}
		return true;
	}
	return false;
}

void cap_rec_exporter_seen(struct cap_rec_stats *rs, uint8_t family,
                           const uint8_t *addr)
{
	uint32_t n = rs->nexporter_addrs < CAP_REC_EXPORTERS_SHOWN
	           ? rs->nexporter_addrs : CAP_REC_EXPORTERS_SHOWN;
	for (uint32_t i = 0; i < n; i++)
		if (rs->exporter_family[i] == family &&
		    memcmp(rs->exporter_addrs[i], addr, 16) == 0)
			return;
	if (n == CAP_REC_EXPORTERS_SHOWN)
		return;
	rs->exporter_family[n] = family;
	memcpy(rs->exporter_addrs[n], addr, 16);
	rs->nexporter_addrs = n + 1;
}

static struct cap_pairer *pairer_new(const struct cap_options *opt,
                                     struct rrun *rr, struct cap_stats *st,
                                     char *errbuf, size_t errlen)
{
	uint32_t max = opt->max_flows ? opt->max_flows : CAP_DEFAULT_MAX_FLOWS;
	struct cap_pairer *p = cap_pairer_new(on_flow, rr, opt->ports, &st->rec,
	                                      max, CAP_PAIR_HOLD_NS,
	                                      CAP_PAIR_ACTIVE_NS);
	if (!p)
		snprintf(errbuf, errlen, "out of memory: cannot allocate a pairing "
		         "table for %u flow records (see --max-flows)", max);
	st->max_flows = max;
	return p;
}

/* ---- files: zeek, nfdump ------------------------------------------------ */

static const char *kind_name(enum cap_source_kind k)
{
	return k == CAP_SRC_ZEEK ? "zeek" : k == CAP_SRC_NFDUMP ? "nfdump"
	     : k == CAP_SRC_NETFLOW ? "netflow" : "packets";
}

/* Before any record: every path exists and can be read ("-" for zeek). */
static int check_paths(const struct cap_options *opt, char *errbuf,
                       size_t errlen)
{
	unsigned nstdin = 0;
	for (unsigned i = 0; i < opt->nsources && i < CAP_MAX_SOURCES; i++) {
		const char *s = opt->sources[i];
		if (strcmp(s, "-") == 0) {
			if (opt->kind != CAP_SRC_ZEEK) {
				snprintf(errbuf, errlen, "%s:-: nfdump reads nfcapd "
				         "files from a file or a directory, not from "
				         "standard input", kind_name(opt->kind));
				return -1;
			}
			if (++nstdin > 1) {
				snprintf(errbuf, errlen, "zeek:-: standard input can "
				         "be read only once");
				return -1;
			}
			continue;
		}
		struct stat sb;
		if (stat(s, &sb) != 0 || access(s, R_OK) != 0) {
			snprintf(errbuf, errlen, "%s:%s: cannot open: %s",
			         kind_name(opt->kind), s, strerror(errno));
			return -1;
		}
		if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
			snprintf(errbuf, errlen, "%s:%s: the file is empty",
			         kind_name(opt->kind), s);
			return -1;
		}
	}
	return 0;
}

static void nfd_progress(void *ctx, uint64_t bytes)
{
	struct rrun *r = ctx;
	if (r->pr.on)
		cap_progress_update(&r->pr, cap_mono_ns(), bytes, r->st->packets,
		                    r->st->flows, 0);
}

void cap_rec_skip(struct cap_rec_stats *rs, const char *what)
{
	fprintf(stderr, "portaudit: warning: %s: skipped (--skip-bad-records)\n",
	        what);
	if (rs->skipped++ == 0)
		snprintf(rs->skipped_what, sizeof rs->skipped_what, "%s", what);
}

/* What was skipped, as the report's `unread`: the first source's words,
 * and how many more. */
static void say_skipped(struct cap_stats *st)
{
	const struct cap_rec_stats *rs = &st->rec;
	if (!rs->skipped || st->unread[0])
		return;
	if (rs->skipped == 1)
		snprintf(st->unread, sizeof st->unread, "%.160s", rs->skipped_what);
	else
		snprintf(st->unread, sizeof st->unread, "%.150s; %u more",
		         rs->skipped_what, rs->skipped - 1);
}

static int run_files(struct rrun *rr, char *errbuf, size_t errlen)
{
	const struct cap_options *opt = rr->opt;
	struct cap_stats *st = rr->st;
	if (check_paths(opt, errbuf, errlen) != 0)
		return -1;
	if (opt->drop_user &&
	    cap_drop_privileges(opt->drop_user, errbuf, errlen) != 0)
		return -1;
	cap_progress_start(&rr->pr, !opt->quiet && isatty(2), false, 0, 0,
	                   stderr);
	if (opt->kind == CAP_SRC_ZEEK) {
		for (unsigned i = 0; i < opt->nsources && !cap_signal_seen(); i++) {
			st->nsources++;
			if (cap_zeek_read(opt->sources[i], on_flow, rr, &st->rec,
			                  opt->skip_bad_records, errbuf, errlen) != 0)
				return -1;
		}
		say_skipped(st);
		return 0;
	}
	struct cap_pairer *p = pairer_new(opt, rr, st, errbuf, errlen);
	if (!p)
		return -1;
	int rc = 0;
	for (unsigned i = 0; i < opt->nsources && !cap_signal_seen(); i++) {
		st->nsources++;
		rc = cap_nfdump_read(opt->sources[i], p, &st->rec, opt->exporters,
		                     opt->nexporters, opt->skip_bad_records,
		                     cap_signal_seen, nfd_progress, rr, errbuf,
		                     errlen);
		if (rc != 0)
			break;
	}
	if (rc == 0)
		cap_pairer_flush(p);
	cap_pairer_free(p);
	say_skipped(st);
	return rc;
}

/* ---- the collector ------------------------------------------------------ */

static bool parse_port(const char *s, uint16_t *port)
{
	if (!*s || strlen(s) > 5)
		return false;
	unsigned v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (unsigned)(*c - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "[ADDR:]PORT": PORT, IPv4:PORT or [IPv6]:PORT; numeric addresses only. */
static int parse_collect(const char *s, struct sockaddr_storage *ss,
                         socklen_t *sl, char *errbuf, size_t errlen)
{
	char host[64] = "";
	const char *port;
	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof host)
			goto bad;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = 0;
		port = e + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (c) {
			if ((size_t)(c - s) >= sizeof host || strchr(s, ':') != c)
				goto bad;
			memcpy(host, s, (size_t)(c - s));
			host[c - s] = 0;
			port = c + 1;
		} else {
			port = s;
		}
	}
	uint16_t pn;
	if (!parse_port(port, &pn))
		goto bad;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(pn);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		*sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)(void *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(pn);
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		if (host[0] && inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		*sl = sizeof *a;
	}
	return 0;
bad:
	snprintf(errbuf, errlen, "--collect netflow:%s: expected [ADDR:]PORT: "
	         "a port from 1 to 65535, after an IPv4 address and ':' or an "
	         "IPv6 address in brackets ([::1]:2055)", s);
	return -1;
}

/* The sender of a datagram: family 4 or 6 (v4-mapped IPv6 is 4). */
static void from_addr(const struct sockaddr_storage *ss, uint8_t *family,
                      uint8_t *addr, uint16_t *port)
{
	memset(addr, 0, 16);
	*family = 0;
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		memcpy(addr, &a->sin_addr, 4);
		*family = 4;
		*port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		*port = ntohs(a->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			memcpy(addr, (const uint8_t *)&a->sin6_addr + 12, 4);
			*family = 4;
		} else {
			memcpy(addr, &a->sin6_addr, 16);
			*family = 6;
		}
	}
}

static int open_collector(const struct cap_options *opt, char *errbuf,
                          size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	if (parse_collect(opt->collect, &ss, &sl, errbuf, errlen) != 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(errbuf, errlen, "--collect netflow:%s: socket: %s",
		         opt->collect, strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		int off = 0; /* [::] takes IPv4 exporters too */
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
	}
	/* SO_RCVBUF is capped by net.core.rmem_max (208 KiB by default:
	 * a burst of a few hundred export packets); root may go past it. */
	int rcv = opt->buffer_kib > 0 ? opt->buffer_kib * 1024 : COLLECT_RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
	if (bind(fd, (const struct sockaddr *)&ss, sl) != 0) {
		snprintf(errbuf, errlen, "--collect netflow:%s: cannot bind: %s%s",
		         opt->collect, strerror(errno),
		         errno == EACCES ? " (a port below 1024 needs root or "
		         "CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int run_collector(struct rrun *rr, char *errbuf, size_t errlen)
{
	const struct cap_options *opt = rr->opt;
	struct cap_stats *st = rr->st;
	struct cap_rec_stats *rs = &st->rec;
	int fd = open_collector(opt, errbuf, errlen);
	if (fd < 0)
		return -1;
	if (opt->drop_user &&
	    cap_drop_privileges(opt->drop_user, errbuf, errlen) != 0) {
		close(fd);
		return -1;
	}
	st->nsources = 1;
	struct cap_pairer *p = pairer_new(opt, rr, st, errbuf, errlen);
	struct cap_netflow *nf = p ? cap_netflow_new(p, rs, NF_MAX_TEMPLATES,
	                                             NF_MAX_EXPORTERS) : NULL;
	uint8_t *bufs = malloc((size_t)RX_BATCH * RX_MAX);
	if (!p || !nf || !bufs) {
		if (p && (!nf || !bufs))
			snprintf(errbuf, errlen, "out of memory (collector)");
		cap_netflow_free(nf);
		cap_pairer_free(p);
		free(bufs);
		close(fd);
		return -1;
	}
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage from[RX_BATCH];
	cap_progress_start(&rr->pr, !opt->quiet && isatty(2), true,
	                   opt->duration, 0, stderr);
	uint64_t t0 = cap_mono_ns();
	uint64_t deadline = opt->duration > 0
		? t0 + (uint64_t)(opt->duration * 1e9) : 0;
	int rc = 0;
	for (;;) {
		if (cap_signal_seen())
			break;
		uint64_t now = cap_mono_ns();
		if (deadline && now >= deadline)
			break;
		int wait = POLL_MS;
		if (deadline && (deadline - now) / 1000000 < (uint64_t)wait)
			wait = (int)((deadline - now) / 1000000) + 1;
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
			snprintf(errbuf, errlen, "--collect netflow:%s: poll: %s",
			         opt->collect, strerror(errno));
			rc = -1;
			break;
		}
		for (int round = 0; round < 64 && !cap_signal_seen(); round++) {
			for (int i = 0; i < RX_BATCH; i++) {
				iov[i].iov_base = bufs + (size_t)i * RX_MAX;
				iov[i].iov_len = RX_MAX;
				memset(&msgs[i], 0, sizeof msgs[i]);
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
				msgs[i].msg_hdr.msg_name = &from[i];
				msgs[i].msg_hdr.msg_namelen = sizeof from[i];
			}
			int n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			uint64_t wall = wall_ns();
			for (int i = 0; i < n; i++) {
				uint8_t fam, addr[16];
				uint16_t port;
				from_addr(&from[i], &fam, addr, &port);
				if (!fam)
					continue;
				if (opt->nexporters &&
				    !cap_prefix_match(opt->exporters, opt->nexporters,
				                      fam, addr)) {
					rs->ignored_exporters++;
					continue;
				}
				cap_rec_exporter_seen(rs, fam, addr);
				if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
					rs->malformed++;
					continue;
				}
				cap_netflow_datagram(nf, fam, addr, port, iov[i].iov_base,
				                     msgs[i].msg_len, wall);
			}
			if (n < RX_BATCH)
				break;
		}
		cap_pairer_tick(p, wall_ns());
		cap_rec_counters();
		if (rr->pr.on)
			cap_progress_update(&rr->pr, cap_mono_ns(), 0, st->packets,
			                    st->flows, rs->sequence_gaps);
	}
	close(fd);
	if (rc == 0)
		cap_pairer_flush(p);
	cap_netflow_free(nf);
	cap_pairer_free(p);
	free(bufs);
	return rc;
}

/* ---- entry -------------------------------------------------------------- */

int cap_run_records(const struct cap_options *opt, cap_flow_fn fn,
                    void *ctx, struct cap_stats *st, char *errbuf,
                    size_t errlen)
{
	memset(st, 0, sizeof *st);
	if (errlen)
		errbuf[0] = 0;
	st->kind = opt->kind;
	st->rec.sampling = opt->sampling > 1 ? opt->sampling : 0;
	struct rrun rr;
	memset(&rr, 0, sizeof rr);
	rr.opt = opt;
	rr.fn = fn;
	rr.ctx = ctx;
	rr.st = st;
	int rc;
	cap_signals_begin();
	g_running = &rr;
	switch (opt->kind) {
	case CAP_SRC_ZEEK:
	case CAP_SRC_NFDUMP:
		if (opt->nsources == 0) {
			snprintf(errbuf, errlen, "nothing to read");
			rc = -1;
			break;
		}
		rc = run_files(&rr, errbuf, errlen);
		break;
	case CAP_SRC_NETFLOW:
		if (!opt->collect) {
			snprintf(errbuf, errlen, "nothing to collect");
			rc = -1;
			break;
		}
		rc = run_collector(&rr, errbuf, errlen);
		break;
	default:
		snprintf(errbuf, errlen, "cap_run_records: not a flow-record "
		         "source");
		rc = -1;
		break;
	}
	cap_progress_end(&rr.pr);
	g_running = NULL;
	st->interrupted = cap_signal_seen();
	st->truncated = st->truncated || st->rec.cut;
	st->evicted = st->rec.evicted;
	cap_signals_end();
	return rc;
}
