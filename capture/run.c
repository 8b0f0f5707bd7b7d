/*
 * run.c -- cap_run(): open the sources, read every packet, decode it, feed
 * the flow table, and hand finished flows to the caller.
 *
 * Design. Offline, every -r source is opened (and its filter compiled)
 * BEFORE the first packet is read: a missing, empty or non-capture file, or
 * a bad filter, is an error before minutes of work, not after. Files are
 * read in the order given, into ONE flow table (a capture rotated into
 * several files joins up); timestamps are asked of libpcap in nanoseconds
 * (pcap_fopen_offline_with_tstamp_precision), so microsecond and nanosecond
 * pcap and pcapng all come out in ns. A file whose link type the decoders do
 * not know is skipped with a warning (stats->skipped[i]); a file cut inside a
 * record keeps what was read (stats->truncated). Live, one interface is
 * opened with pcap_create/pcap_activate in non-blocking mode and read by
 * pcap_dispatch after a poll() on its selectable fd with a 100 ms timeout,
 * so --duration ends the capture on time on a silent link, and the flow
 * table's clock moves with wall time while no packet comes.
 *
 * Privileges (-Z) are dropped after every source is open and before the
 * first packet is parsed. SIGINT/SIGTERM break the loop (pcap_breakloop)
 * and the report is still produced (stats->interrupted); a second signal
 * restores the default action and re-raises it.
 *
 * Classic pcap files are read by pcapfile.c instead of pcap_dispatch()
 * once libpcap has opened them (the same packets, ends and errors, with
 * the same batches, breakloop and -c checks), unless PORTAUDIT_READER=
 * libpcap; pcapng and the link types libpcap rewrites stay with libpcap.
 *
 * Costs. Per packet: the pcap callback and cap_decode_frame() into a
 * batch of the pipe (pipe.c: a frame with a tunnel gives its outer packet
 * and those inside, written in place one after the other), whose flow-table thread does the lookups (on a second
 * CPU, while this one reads on), CAP_FLOW_BATCH packets at a time so that
 * the cache misses of the lookups overlap; no allocation, no system call.
 * The clock (vDSO, no syscall) is read once per pcap_dispatch() batch of
 * up to 4096 packets for the progress line.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <cap-ng.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "capture.h"
#include "decode.h"
#include "source.h"
#include "pcapfile.h"
#include "pcapng.h"
#include "flow.h"
#include "pipe.h"
#include "rec_int.h"

#define BATCH 4096
#define LIVE_POLL_MS 100

/* The kernel ring of a live capture when -B is not given. libpcap (1.10,
 * Linux) captures into a TPACKET_V3 ring: blocks of 256 KiB, each filled
 * with packets one after the other (each min(length, snaplen) bytes after
 * a header of about 96: tpacket3_hdr, sockaddr_ll, alignment) and handed
 * to the reader when full or LIVE_POLL_MS after its first packet. Its
 * default, 2 MiB, is 8 blocks: some 1,900 packets at the default snaplen,
 * 10 to 30 ms of a busy gigabit link, and a reader kept off its CPU that
 * long (a shared machine, the flow table's thread, a report being written)
 * loses packets. bench/live.sh measured drops from about 100k packets/s
 * with it (docs/flows.md, "Speed"). So the ring holds LIVE_RING_PACKETS
 * packets cut at the snaplen: 35 MiB at the default 1024, several hundred
 * ms of a gigabit link, capped at LIVE_RING_MAX for large snaplens (a
 * packet is seldom as long as a 64 KiB snaplen). The memory is the
 * kernel's, mapped into the process (it counts in its RSS); -B sets it. */
#define LIVE_RING_PACKETS 32768u
#define LIVE_RING_HDR 96u
#define LIVE_RING_MAX (128u << 20)

static int live_buffer_bytes(int buffer_kib, int snaplen)
{
	uint64_t b = (uint64_t)LIVE_RING_PACKETS *
	             ((uint64_t)(unsigned)snaplen + LIVE_RING_HDR);
	if (b > LIVE_RING_MAX)
		b = LIVE_RING_MAX;
	if (buffer_kib > 0)
		b = (uint64_t)(unsigned)buffer_kib * 1024u;
	return b < (uint64_t)INT_MAX ? (int)b : INT_MAX; /* -B 4194304 */
}

struct run {
	const struct cap_options *opt;
	struct cap_stats *st;
	struct cap_decoder dec;
	struct cap_flowtab *ft;
	int linktype;
	uint64_t ts_mul;    /* 1 for ns timestamps, 1000 for us */
	pcap_t *cur;
	struct cap_pcapfile *fast; /* reading cur instead of libpcap, or NULL */
	bool stop;          /* -c reached */
	struct cap_progress pr;
	/* Decoded packets on their way to the flow table. */
	struct cap_pipe pipe;
	/* --interval: the totals at the current interval's start, its first
	 * packet's time, its wall-clock start. */
	struct cap_stats iv_snap;
	uint64_t iv_first_ns;
	uint64_t iv_start_ns;
	uint64_t iv_drops;      /* pcap_stats drops at the last boundary */
	uint64_t iv_ns;         /* --interval in ns, 0 none (live) */
	uint64_t iv_next;       /* the next boundary (wall clock, UTC); 0
	                         * none, or on_interval asked to stop */
};

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t g_signal;
static volatile sig_atomic_t g_usr1;  /* counters asked for (SIGUSR1) */
static pcap_t *volatile g_pcap;
static struct cap_pcapfile *volatile g_fast; /* when it reads, not g_pcap */

static void break_loop(void)
{
	pcap_t *p = g_pcap;
	if (p)
		pcap_breakloop(p);
	struct cap_pcapfile *f = g_fast;
	if (f)
		cap_pcapfile_breakloop(f);
}

/* SIGUSR1 (tcpdump's SIGINFO): the reader prints the counters between
 * two reads and carries on; the handler only notes it. */
static void on_usr1(int sig)
{
	(void)sig;
	g_usr1 = 1;
	break_loop();
}

static void (*volatile g_fatal_hook)(void);

void cap_set_fatal_hook(void (*fn)(void))
{
	g_fatal_hook = fn;
}

static void on_signal(int sig)
{
	if (g_signal) {
		/* The second one: do what the user asked, now, leaving no
		 * temporary file behind (the hook only unlinks). */
		void (*hook)(void) = g_fatal_hook;
		if (hook)
			hook();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	g_signal = sig;
	break_loop();
}

struct sigsave {
	struct sigaction intr, term, usr1;
};

static void signals_install(struct sigsave *s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR */
	g_signal = 0;
	g_usr1 = 0;
	sigaction(SIGINT, &sa, &s->intr);
	sigaction(SIGTERM, &sa, &s->term);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, &s->usr1);
}

static void signals_restore(const struct sigsave *s)
{
	g_pcap = NULL;
	g_fast = NULL;
	sigaction(SIGINT, &s->intr, NULL);
	sigaction(SIGTERM, &s->term, NULL);
	sigaction(SIGUSR1, &s->usr1, NULL);
}

/* The counters, on SIGUSR1: one line on standard error, e.g.
 * "portaudit: 81234 packets, 0 dropped, 5120 flows, 12 findings so far". */
static void print_counters(struct run *r, bool live, uint64_t drops)
{
	g_usr1 = 0;
	char extra[160] = "", dropped[48] = "";
	if (r->opt->status)
		r->opt->status(r->opt->status_ctx, extra, sizeof extra);
	if (live)
		snprintf(dropped, sizeof dropped, ", %llu dropped",
		         (unsigned long long)drops);
	uint64_t pk = r->st->packets, fl = cap_pipe_flows(&r->pipe);
	fprintf(stderr, "portaudit: %llu packet%s%s, %llu flow%s%s%s\n",
	        (unsigned long long)pk, pk == 1 ? "" : "s", dropped,
	        (unsigned long long)fl, fl == 1 ? "" : "s",
	        extra[0] ? ", " : "", extra);
	fflush(stderr);
}

/* ---- per packet --------------------------------------------------------- */

static void interval_cross(struct run *r);

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *data)
{
	struct run *r = (struct run *)(void *)user;
	struct cap_stats *st = r->st;
	uint64_t ts = cap_source_ts(h, r->ts_mul);
	if (r->iv_next && ts >= r->iv_next)
		interval_cross(r); /* this packet is the next interval's */
	st->packets++;
	st->bytes += h->len;
	if (st->packets == 1 || ts < st->first_ns)
		st->first_ns = ts;
	if (st->packets == r->iv_snap.packets + 1)
		r->iv_first_ns = ts; /* the interval's first (--interval) */
	if (ts > st->last_ns)
		st->last_ns = ts;
	struct cap_packet *pkt = cap_pipe_next(&r->pipe);
	unsigned n = cap_decode_frame(&r->dec, r->linktype, data, h->caplen,
	                              h->len, ts, pkt);
	if (n) {
		st->ip_packets++;
		pkt->payload = NULL; /* points into pcap's buffer: not kept */
		if (n == 1) {
			cap_pipe_push(&r->pipe, ts);
		} else { /* a tunnel's packets */
			for (unsigned i = 1; i < n; i++)
				pkt[i].payload = NULL;
			cap_pipe_push_n(&r->pipe, ts, n);
		}
	}
	if (r->opt->count && st->packets >= r->opt->count && !r->stop) {
		r->stop = true;
		if (r->fast)
			cap_pcapfile_breakloop(r->fast);
		else
			pcap_breakloop(r->cur);
	}
}

/* ---- helpers ------------------------------------------------------------ */

/* Not root, or kept root (-Z root), but started with capabilities (a
 * systemd unit's AmbientCapabilities=CAP_NET_RAW): once the capture is
 * open they are needed no more: clear them all, and no_new_privs. Root
 * kept on purpose keeps its capabilities. */
static int drop_capabilities(char *errbuf, size_t errlen)
{
	if (geteuid() == 0)
		return 0;
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return 0;
	/* effective, permitted, inheritable (ambient goes with them); the
	 * bounding set needs CAP_SETPCAP, which a unit does not grant */
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		snprintf(errbuf, errlen, "cannot clear the capabilities the "
		         "capture needed: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(errbuf, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Become `user` for good: its uid and gid, no supplementary group, every
 * capability cleared (effective, permitted, inheritable and the bounding
 * set, through libcap-ng), and no_new_privs, so that no setuid program run
 * later could give any back. Checked afterwards: root cannot be regained.
 * Done after the capture and the outputs are open, before any packet is
 * parsed. */
static int drop_privileges(const char *user, char *errbuf, size_t errlen)
{
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(errbuf, errlen, "cannot drop privileges to %s: %s", user,
		         errno ? strerror(errno) : "no such user");
		return -1;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	capng_clear(CAPNG_SELECT_BOTH);
	int rc = capng_change_id((int)uid, (int)gid,
	                         CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc != 0) {
		snprintf(errbuf, errlen, "cannot drop privileges to %s: "
		         "capng_change_id failed (%d): %s", user, rc,
		         strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(errbuf, errlen, "cannot drop privileges to %s: "
		         "no_new_privs: %s", user, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(errbuf, errlen, "cannot drop privileges to %s: root "
		         "could be regained", user);
		return -1;
	}
	return 0;
}

static void local_addresses(const char *iface, struct cap_stats *st)
{
	pcap_if_t *all = NULL;
	char eb[PCAP_ERRBUF_SIZE];
	if (pcap_findalldevs(&all, eb) != 0)
		return;
	bool any = strcmp(iface, "any") == 0;
	for (pcap_if_t *d = all; d; d = d->next) {
		if (!any && strcmp(d->name, iface) != 0)
			continue;
		for (pcap_addr_t *a = d->addresses; a; a = a->next) {
			if (!a->addr || st->nlocal >= 32)
				continue;
			uint8_t *out = st->local_addrs[st->nlocal];
			memset(out, 0, 16);
			if (a->addr->sa_family == AF_INET) {
				const struct sockaddr_in *s4 =
					(const struct sockaddr_in *)(const void *)a->addr;
				memcpy(out, &s4->sin_addr, 4);
				st->local_family[st->nlocal++] = 4;
			} else if (a->addr->sa_family == AF_INET6) {
				const struct sockaddr_in6 *s6 =
					(const struct sockaddr_in6 *)(const void *)a->addr;
				memcpy(out, &s6->sin6_addr, 16);
				st->local_family[st->nlocal++] = 6;
			}
		}
	}
	pcap_freealldevs(all);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ---- offline ------------------------------------------------------------ */

static void close_sources(struct cap_source *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cap_source_close(&src[i]);
}

static int open_source(struct cap_source *s, const struct cap_options *opt,
                       unsigned i, struct cap_stats *st, char *errbuf,
                       size_t errlen)
{
	if (cap_source_open(s, opt->sources[i], opt->filter, errbuf,
	                    errlen) != 0)
		return -1;
	st->linktypes[i] = s->linktype;
	if (s->p && pcap_snapshot(s->p) > 0 &&
	    (uint32_t)pcap_snapshot(s->p) > st->snaplen)
		st->snaplen = (uint32_t)pcap_snapshot(s->p);
	if (s->unsupported) {
		char lb[64];
		cap_linktype_name(s->linktype, lb, sizeof lb);
		snprintf(st->skipped[i], sizeof st->skipped[i],
		         "link type %s not supported", lb);
		fprintf(stderr, "portaudit: %s: link type %s is not supported; "
		        "file skipped\n", s->shown, lb);
	}
	return 0;
}

static uint64_t file_pos(pcap_t *p)
{
	FILE *f = pcap_file(p);
	if (!f)
		return 0;
	off_t o = ftello(f);
	return o > 0 ? (uint64_t)o : 0;
}

static void progress(struct run *r, uint64_t bytes_read, uint64_t drops)
{
	if (!r->pr.on)
		return;
	cap_progress_update(&r->pr, cap_mono_ns(), bytes_read, r->st->packets,
	                    cap_pipe_flows(&r->pipe), drops);
}

/* PORTAUDIT_READER (tests and benchmarks compare the readers): "libpcap"
 * has libpcap read every file; "read" has ours (pcapfile.c) read classic
 * pcap files in blocks; unset, ours maps them. */
static bool reader_is(const char *name)
{
	const char *e = getenv("PORTAUDIT_READER");
	return e && strcmp(e, name) == 0;
}

/* The mapped reader's pages read past, let go by the thread that applies
 * the packets read before them (pipe.h): the mapping stays until
 * cap_pipe_sync. */
static void release_pages(void *ctx, void *addr, size_t len)
{
	cap_pipe_release(ctx, addr, len);
}

/* A packet of link type lt, not the source's own, is decoded: the report
 * lists its link type (once). */
static void note_linktype(struct cap_stats *st, int own, int lt)
{
	if (lt == 101)
		lt = DLT_RAW; /* the file's LINKTYPE_RAW, named as libpcap does */
	if (lt == own)
		return;
	for (unsigned i = 0; i < st->nmore_linktypes; i++)
		if (st->more_linktypes[i] == lt)
			return;
	if (st->nmore_linktypes < CAP_MORE_LINKTYPES)
		st->more_linktypes[st->nmore_linktypes++] = lt;
}

/* The rest of a pcapng file whose interfaces have different link types,
 * from the interface libpcap refused on (pcapng.c): each packet decoded
 * with its own interface's link type. */
static void read_pcapng_rest(struct run *r, struct cap_source *s,
                             const char *why)
{
	struct cap_pcapng g;
	char err[256];
	if (strcmp(s->name, "-") == 0 ||
	    cap_pcapng_open(&g, s->name, r->opt->filter, err,
	                    sizeof err) != 0) {
		/* standard input cannot be read again */
		if (!r->st->unread[0])
			snprintf(r->st->unread, sizeof r->st->unread,
			         "%.60s: %.120s", s->shown, why);
		return;
	}
	int keep_lt = r->linktype;
	uint64_t keep_mul = r->ts_mul;
	r->ts_mul = 1; /* the reader gives nanoseconds */
	struct pcap_pkthdr h;
	const uint8_t *data;
	int lt, rc = 0;
	while (!g_signal && !r->stop &&
	       (rc = cap_pcapng_next(&g, &h, &data, &lt)) == 1) {
		r->linktype = lt;
		note_linktype(r->st, s->linktype, lt);
		on_packet((u_char *)r, &h, data);
		if (g_usr1)
			print_counters(r, false, 0);
	}
	if (rc < 0) {
		r->st->truncated = true;
		fprintf(stderr, "portaudit: %s: %s; keeping the packets read "
		        "before\n", s->shown, g.errbuf);
	}
	if ((g.skipped || g.unfiltered) && !r->st->unread[0])
		snprintf(r->st->unread, sizeof r->st->unread, "%.60s: %llu "
		         "packets of interfaces whose link type is not decoded, "
		         "%llu the filter does not apply to", s->shown,
		         (unsigned long long)g.skipped,
		         (unsigned long long)g.unfiltered);
	r->linktype = keep_lt;
	r->ts_mul = keep_mul;
	cap_pcapng_close(&g);
}

static void read_source(struct run *r, struct cap_source *s, uint64_t done)
{
	static struct cap_pcapfile fast;
	bool use_fast = !reader_is("libpcap") &&
		cap_pcapfile_open(&fast, s->p, s->has_prog ? &s->prog : NULL,
		                  !reader_is("read")) == 1;
	if (use_fast && fast.map) {
		fast.release = release_pages;
		fast.release_ctx = &r->pipe;
	}
	r->cur = s->p;
	r->fast = use_fast ? &fast : NULL;
	g_pcap = use_fast ? NULL : s->p;
	g_fast = r->fast;
	r->linktype = s->linktype;
	r->ts_mul = s->ts_mul;
	for (;;) {
		if (g_signal || r->stop)
			break;
		int n = use_fast
			? cap_pcapfile_dispatch(&fast, BATCH, on_packet, (u_char *)r)
			: pcap_dispatch(s->p, BATCH, on_packet, (u_char *)r);
		if (n == 0)
			break; /* end of file */
		if (g_usr1)
			print_counters(r, false, 0);
		if (n == PCAP_ERROR_BREAK)
			continue; /* the flags above say why */
		if (n < 0) {
			const char *why = use_fast ? fast.errbuf
			                           : pcap_geterr(s->p);
			/* libpcap 1.10 reads a pcapng of one link type only:
			 * the file is not cut, our reader reads the rest. */
			if (strstr(why, "different from the type of the first "
			           "interface")) {
				read_pcapng_rest(r, s, why);
				break;
			}
			r->st->truncated = true;
			fprintf(stderr, "portaudit: %s: %s; keeping the packets "
			        "read before\n", s->shown, why);
			break;
		}
		progress(r, done + (use_fast ? cap_pcapfile_pos(&fast)
		                                 : file_pos(s->p)), 0);
	}
	g_pcap = NULL;
	g_fast = NULL;
	r->fast = NULL;
	if (use_fast && fast.map)
		cap_pipe_sync(&r->pipe); /* its pages let go (release_pages) */
	if (use_fast)
		cap_pcapfile_close(&fast);
}

static int run_offline(struct run *r, char *errbuf, size_t errlen)
{
	const struct cap_options *opt = r->opt;
	static struct cap_source src[CAP_MAX_SOURCES];
	unsigned n = opt->nsources;
	if (n > CAP_MAX_SOURCES)
		n = CAP_MAX_SOURCES;
	memset(src, 0, sizeof src);
	unsigned nstdin = 0;
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(opt->sources[i], "-") == 0 && ++nstdin > 1) {
			snprintf(errbuf, errlen, "stdin (-r -) can be read only once");
			close_sources(src, n);
			return -1;
		}
		if (open_source(&src[i], opt, i, r->st, errbuf, errlen) != 0) {
			close_sources(src, n);
			return -1;
		}
	}
	if (opt->drop_user &&
	    drop_privileges(opt->drop_user, errbuf, errlen) != 0) {
		close_sources(src, n);
		return -1;
	}
	uint64_t total = 0;
	for (unsigned i = 0; i < n; i++)
		total += src[i].unsupported ? 0 : src[i].size;
	bool unknown_size = false;
	for (unsigned i = 0; i < n; i++)
		if (!src[i].unsupported && src[i].size == 0)
			unknown_size = true;
	cap_progress_start(&r->pr, !opt->quiet && isatty(2), false, 0,
	                   unknown_size ? 0 : total, stderr);
	uint64_t done = 0;
	for (unsigned i = 0; i < n && !g_signal && !r->stop; i++) {
		if (src[i].unsupported)
			continue;
		r->st->nsources++;
		read_source(r, &src[i], done);
		done += src[i].size;
		cap_source_close(&src[i]);
	}
	close_sources(src, n);
	return 0;
}

/* ---- live --------------------------------------------------------------- */

static int activate_error(pcap_t *p, int rc, const char *iface, char *errbuf,
                          size_t errlen)
{
	const char *why = pcap_geterr(p);
	if (!why || !*why)
		why = pcap_statustostr(rc);
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(errbuf, errlen, "%s: no such interface (%s)", iface, why);
		break;
	case PCAP_ERROR_PERM_DENIED:
		snprintf(errbuf, errlen, "%s: permission denied: live capture "
		         "needs root or CAP_NET_RAW (%s)", iface, why);
		break;
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(errbuf, errlen, "%s: not allowed to enter promiscuous "
		         "mode; try -p (%s)", iface, why);
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(errbuf, errlen, "%s: interface is not up (%s)", iface, why);
		break;
	default:
		snprintf(errbuf, errlen, "%s: cannot capture: %s", iface, why);
		break;
	}
	return -1;
}

/* ---- --interval ---------------------------------------------------------- */

/* The run's totals as of now (the table idle: cap_pipe_sync). */
static void totals(const struct run *r, uint64_t drops, struct cap_stats *t)
{
	*t = *r->st;
	memcpy(t->anomalies, r->dec.anomalies, sizeof t->anomalies);
	t->frag_tracked = r->dec.frag_tracked;
	t->tunnel_packets = r->dec.tunnel_packets;
	t->tunnel_full = r->dec.tunnel_full;
	t->tunnel_frag = r->dec.tunnel_frag;
	t->tunnels = cap_tunnels_count(r->dec.tunnels);
	t->has_dropped = r->opt->iface != NULL;
	t->dropped = drops;
}

#define IV_DELTA(f) ist->f = now.f - r->iv_snap.f

/* One interval's report: its counters (now - the snapshot), then the
 * caller's on_interval; the snapshot moves on. */
static int interval_end(struct run *r, uint64_t drops, uint64_t end_ns,
                        bool final)
{
	struct cap_stats now, cur, *ist = &cur;
	totals(r, drops, &now);
	*ist = now;
	IV_DELTA(packets);
	IV_DELTA(bytes);
	IV_DELTA(ip_packets);
	IV_DELTA(dropped);
	IV_DELTA(flows);
	IV_DELTA(evicted);
	IV_DELTA(timed_out);
	IV_DELTA(frag_tracked);
	IV_DELTA(tunnel_packets);
	IV_DELTA(tunnel_full);
	IV_DELTA(tunnel_frag);
	for (unsigned a = 0; a < CAP_AN_COUNT; a++)
		IV_DELTA(anomalies[a]);
	ist->first_ns = ist->packets ? r->iv_first_ns : 0;
	ist->last_ns = ist->packets ? now.last_ns : 0;
	ist->interrupted = final && g_signal != 0;
	int rc = r->opt->on_interval(r->opt->interval_ctx, ist, r->iv_start_ns,
	                             end_ns, final);
	r->iv_snap = now;
	r->iv_start_ns = end_ns;
	return rc;
}

/* The boundary r->iv_next is passed: by a packet's time (the first packet
 * of the next interval, on_packet), or by the wall clock a block's delay
 * later (a quiet link). The packets read before are this interval's, even
 * those that sat in the kernel's ring past the boundary (up to
 * LIVE_POLL_MS): flows idle at the boundary time out in it, every packet
 * read is applied, then its reports; the next boundary follows. */
static void interval_cross(struct run *r)
{
	uint64_t b = r->iv_next;
	cap_pipe_tick(&r->pipe, b);
	cap_pipe_sync(&r->pipe);
	uint64_t drops = 0;
	struct pcap_stat ps;
	if (r->cur && pcap_stats(r->cur, &ps) == 0)
		drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	if (interval_end(r, drops, b, false) != 0) {
		/* on_interval asked to stop: no boundary any more */
		r->iv_next = 0;
		r->stop = true;
		pcap_breakloop(r->cur);
		return;
	}
	/* Late (a long report, a clock step): the next boundary after now;
	 * the interval then runs from this boundary to it (no gap). */
	uint64_t w = wall_ns();
	r->iv_next = b + r->iv_ns > w ? b + r->iv_ns
	                              : (w / r->iv_ns + 1) * r->iv_ns;
}


static int run_live(struct run *r, char *errbuf, size_t errlen)
{
	const struct cap_options *opt = r->opt;
	const char *iface = opt->iface;
	char eb[PCAP_ERRBUF_SIZE];
	eb[0] = 0;
	pcap_t *p = pcap_create(iface, eb);
	if (!p) {
		snprintf(errbuf, errlen, "%s: cannot capture: %s", iface, eb);
		return -1;
	}
	int snaplen = opt->snaplen > 0 ? opt->snaplen : CAP_DEFAULT_SNAPLEN;
	pcap_set_snaplen(p, snaplen);
	r->st->snaplen = (uint32_t)snaplen;
	pcap_set_promisc(p, opt->no_promisc ? 0 : 1);
	/* Immediate mode off: libpcap then uses TPACKET_V3, whose blocks hand
	 * over hundreds of packets per wake-up (immediate mode would make it
	 * fall back to TPACKET_V2, a wake-up per packet). The timeout is the
	 * block's: a partly filled one reaches the reader after LIVE_POLL_MS,
	 * the pace of the loop below, so a quiet link's packets wait no more
	 * than that; shorter would hand over blocks nearly empty, and each
	 * takes 256 KiB of the ring whatever it holds. */
	pcap_set_immediate_mode(p, 0);
	pcap_set_timeout(p, LIVE_POLL_MS);
	pcap_set_buffer_size(p, live_buffer_bytes(opt->buffer_kib, snaplen));
	(void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(p);
	if (rc < 0) {
		activate_error(p, rc, iface, errbuf, errlen);
		pcap_close(p);
		return -1;
	}
	if (rc > 0)
		fprintf(stderr, "portaudit: %s: warning: %s\n", iface,
		        pcap_geterr(p)[0] ? pcap_geterr(p) : pcap_statustostr(rc));
	int lt = cap_linktype_canonical(pcap_datalink(p));
	r->st->linktypes[0] = lt;
	if (!cap_linktype_supported(lt)) {
		char lb[64];
		snprintf(errbuf, errlen, "%s: link type %s is not supported", iface,
		         cap_linktype_name(lt, lb, sizeof lb));
		pcap_close(p);
		return -1;
	}
	bpf_u_int32 net = 0, mask = 0;
	if (pcap_lookupnet(iface, &net, &mask, eb) != 0)
		mask = PCAP_NETMASK_UNKNOWN;
	if (cap_filter_set(p, opt->filter, mask, errbuf, errlen) != 0) {
		pcap_close(p);
		return -1;
	}
	local_addresses(iface, r->st);
	if (opt->drop_user &&
	    drop_privileges(opt->drop_user, errbuf, errlen) != 0) {
		pcap_close(p);
		return -1;
	}
	if (!opt->drop_user && drop_capabilities(errbuf, errlen) != 0) {
		pcap_close(p);
		return -1;
	}
	int fd = -1;
	if (pcap_setnonblock(p, 1, eb) == 0)
		fd = pcap_get_selectable_fd(p);
	if (fd < 0)
		(void)pcap_setnonblock(p, 0, eb); /* pcap's own timeout then */
	r->st->nsources = 1;
	r->cur = p;
	g_pcap = p;
	r->linktype = lt;
	r->ts_mul = pcap_get_tstamp_precision(p) ==
	            PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
	cap_progress_start(&r->pr, !opt->quiet && isatty(2), true,
	                   opt->duration, 0, stderr);
	uint64_t t0 = cap_mono_ns();
	uint64_t deadline = opt->duration > 0
		? t0 + (uint64_t)(opt->duration * 1e9) : 0;
	/* --interval: boundaries at multiples of the interval on the wall
	 * clock (UTC), the first interval from the start on. */
	uint64_t iv_ns = (uint64_t)opt->interval * CAP_NS_PER_S;
	r->iv_ns = 0;
	r->iv_next = 0;
	if (iv_ns && opt->on_interval) {
		r->iv_start_ns = opt->interval_start_ns ? opt->interval_start_ns
		                                        : wall_ns();
		r->iv_ns = iv_ns;
		r->iv_next = (r->iv_start_ns / iv_ns + 1) * iv_ns;
	}
	/* A boundary with no packet after it is crossed by the clock once a
	 * ring block holding packets from before it has surely come. */
	const uint64_t iv_grace = 2ull * LIVE_POLL_MS * 1000000ull;
	struct pcap_stat ps;
	for (;;) {
		if (g_signal || r->stop)
			break;
		uint64_t now = cap_mono_ns();
		if (deadline && now >= deadline)
			break;
		if (r->iv_next && wall_ns() >= r->iv_next + iv_grace) {
			interval_cross(r); /* r->stop when it asks to */
			continue;
		}
		if (fd >= 0) {
			int wait = LIVE_POLL_MS;
			if (deadline && (deadline - now) / 1000000 < (uint64_t)wait)
				wait = (int)((deadline - now) / 1000000) + 1;
			if (r->iv_next) {
				uint64_t w = wall_ns(), at = r->iv_next + iv_grace;
				if (at > w && (at - w) / 1000000 < (uint64_t)wait)
					wait = (int)((at - w) / 1000000) + 1;
			}
			struct pollfd pfd = { fd, POLLIN, 0 };
			if (poll(&pfd, 1, wait) < 0 && errno != EINTR) {
				fprintf(stderr, "portaudit: %s: poll: %s\n", iface,
				        strerror(errno));
				snprintf(r->st->stopped, sizeof r->st->stopped,
				         "poll: %s", strerror(errno));
				break;
			}
		}
		int n = pcap_dispatch(p, -1, on_packet, (u_char *)r);
		cap_pipe_flush(&r->pipe); /* a live packet waits for no more */
		if (n == PCAP_ERROR) {
			fprintf(stderr, "portaudit: %s: capture stopped: %s\n", iface,
			        pcap_geterr(p));
			snprintf(r->st->stopped, sizeof r->st->stopped, "%s",
			         pcap_geterr(p));
			break;
		}
		if (n == 0)
			cap_pipe_tick(&r->pipe, wall_ns());
		if (g_usr1) {
			uint64_t drops = 0;
			if (pcap_stats(p, &ps) == 0)
				drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
			print_counters(r, true, drops);
		}
		if (r->pr.on) {
			uint64_t drops = 0;
			if (pcap_stats(p, &ps) == 0)
				drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
			progress(r, 0, drops);
		}
	}
	/* A boundary passed within the last block's delay: crossed, so the
	 * last interval starts at it. */
	if (r->iv_next && wall_ns() >= r->iv_next)
		interval_cross(r);
	g_pcap = NULL;
	if (pcap_stats(p, &ps) == 0) {
		r->st->has_dropped = true;
		r->st->dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	}
	pcap_close(p);
	return 0;
}

/* ---- entry -------------------------------------------------------------- */

/* Where the flow table runs (pipe.c): reading files, the path measured
 * faster; live, a second thread when there are two CPUs (the network sets
 * the pace, so time says nothing of the path). PORTAUDIT_PIPE=inline or
 * thread forces one (the benchmark measures both). */
static enum cap_pipe_mode pipe_mode(bool live)
{
	const char *e = getenv("PORTAUDIT_PIPE");
	if (e && strcmp(e, "inline") == 0)
		return CAP_PIPE_INLINE;
	if (e && strcmp(e, "thread") == 0)
		return CAP_PIPE_THREAD;
	return live ? CAP_PIPE_TWO_CPUS : CAP_PIPE_AUTO;
}

int cap_run(const struct cap_options *opt, cap_flow_fn fn, void *ctx,
            struct cap_stats *st, char *errbuf, size_t errlen)
{
	memset(st, 0, sizeof *st);
	if (errlen)
		errbuf[0] = 0;
	if (!opt->iface && opt->nsources == 0) {
		snprintf(errbuf, errlen, "nothing to read");
		return -1;
	}
	struct run r;
	memset(&r, 0, sizeof r);
	r.opt = opt;
	r.st = st;
	if (cap_decoder_init(&r.dec, CAP_FRAG_SLOTS) != 0) {
		snprintf(errbuf, errlen, "out of memory (decoder)");
		return -1;
	}
	/* Tunnels: into the caller's table (its ids outlive the run), else
	 * one of the run's own. */
	struct cap_tunnels *own_tunnels = NULL;
	if (!opt->no_decap) {
		r.dec.tunnels = opt->tunnels;
		if (!r.dec.tunnels)
			r.dec.tunnels = own_tunnels = cap_tunnels_new();
		if (!r.dec.tunnels) {
			snprintf(errbuf, errlen, "out of memory (tunnel table)");
			cap_decoder_free(&r.dec);
			return -1;
		}
	}
	r.ft = cap_flowtab_new(opt->max_flows, opt->ports, fn, ctx, st);
	if (!r.ft) {
		snprintf(errbuf, errlen, "out of memory: cannot allocate a flow "
		         "table for %u flows (see --max-flows)",
		         opt->max_flows ? opt->max_flows : CAP_DEFAULT_MAX_FLOWS);
		cap_decoder_free(&r.dec);
		cap_tunnels_free(own_tunnels);
		return -1;
	}
	if (cap_pipe_init(&r.pipe, r.ft, st,
	                  pipe_mode(opt->iface != NULL)) != 0) {
		snprintf(errbuf, errlen, "out of memory (packet batches)");
		cap_flowtab_free(r.ft);
		cap_decoder_free(&r.dec);
		cap_tunnels_free(own_tunnels);
		return -1;
	}
	struct sigsave ss;
	signals_install(&ss);
	int rc = opt->iface ? run_live(&r, errbuf, errlen)
	                    : run_offline(&r, errbuf, errlen);
	cap_progress_end(&r.pr);
	cap_pipe_finish(&r.pipe); /* every packet applied, the thread gone */
	if (rc == 0) {
		/* The end the flows without a reply were watched until: the
		 * last packet offline, the clock at the stop live (a quiet
		 * link is watched too). */
		uint64_t end = st->last_ns;
		if (opt->iface && wall_ns() > end)
			end = wall_ns();
		cap_flowtab_end(r.ft, end);
		cap_decoder_settle(&r.dec);
		memcpy(st->anomalies, r.dec.anomalies, sizeof st->anomalies);
		st->frag_tracked = r.dec.frag_tracked;
		st->tunnel_packets = r.dec.tunnel_packets;
		st->tunnel_full = r.dec.tunnel_full;
		st->tunnel_frag = r.dec.tunnel_frag;
		st->tunnels = cap_tunnels_count(r.dec.tunnels);
		st->interrupted = g_signal != 0;
		/* --interval: the last interval, with the flows the flush
		 * ended. */
		if (opt->iface && opt->interval && opt->on_interval &&
		    r.iv_start_ns)
			interval_end(&r, st->dropped, wall_ns(), true);
	}
	signals_restore(&ss);
	cap_flowtab_free(r.ft);
	cap_decoder_free(&r.dec);
	cap_tunnels_free(own_tunnels);
	return rc;
}

/* ---- shared with the flow-record sources (records.c) -------------------
 * The collector and the record readers stop, drop privileges and show
 * progress exactly as a capture does: the same handler, the same -Z
 * sequence (declared in rec_int.h). */

static struct sigsave g_rec_sigsave;

void cap_signals_begin(void)
{
	signals_install(&g_rec_sigsave);
}

void cap_signals_end(void)
{
	signals_restore(&g_rec_sigsave);
}

bool cap_signal_seen(void)
{
	return g_signal != 0;
}

bool cap_counters_asked(void)
{
	if (!g_usr1)
		return false;
	g_usr1 = 0;
	return true;
}

int cap_drop_privileges(const char *user, char *errbuf, size_t errlen)
{
	return drop_privileges(user, errbuf, errlen);
}
