/*
 * evidence.c -- --evidence FILE.pcap: the packets of the flagged flows, so
 * that an auditor can open exactly the offending traffic in Wireshark.
 *
 * Design. Which flows are flagged is known only after classify judged them,
 * and packets are gone by then, so the writer works in two passes without
 * keeping packets in memory. During the capture, flow() records each flow
 * whose verdict is unexpected, violation or blocked: its bidirectional
 * tuple in canonical order (lower address/port first, as capture/flow.c
 * keys flows: ICMP echo by its identifier, other ICMP by the addresses
 * alone) and its first..last packet times. At report time, report()
 * re-reads the capture sources through cap_replay() (capture/replay.c:
 * same files, order, BPF filter, -c count and decoders as the first pass)
 * and dumps with libpcap every packet whose tuple is a flagged flow's and
 * whose time lies in that flow's window, up to --evidence-packets per
 * flow. A flow inside a tunnel is keyed with its tunnel's id as capture
 * keyed it (the second pass interns into the first pass's table, so the
 * ids agree), and its frames are written whole, outer headers and all;
 * a frame that is evidence for two flows (the outer and the inner) is
 * written once. The windows keep apart flows that reuse a tuple (a port reused an
 * hour later, an expected flow before a flagged one). An ICMP error counts
 * for the flow it quotes: its quoted tuple is looked up, within the flow's
 * window plus the longest idle timeout of the flow table (300 s), since the
 * flow table does not move a flow's last time for the error; when several
 * flows of that tuple fit, the one that started last wins.
 *
 * Output: a classic pcap file with the nanosecond magic (timestamps are
 * kept to the nanosecond whatever the source's precision), snaplen 262144,
 * the frames byte for byte with their captured and wire lengths, written
 * with pcap_dump_fopen() on the report's temporary FILE (reports/io.c then
 * publishes it by rename, so a failed run never leaves half a file). The
 * dumper is flushed, never pcap_dump_close()d: that would fclose() the FILE
 * that rep_close() owns. Packets are in the sources' order (the order of
 * the files on the command line, then of their records).
 *
 * Link types. A pcap file has one link type, and rewriting frames to
 * another link layer would not be the evidence any more. So the file takes
 * the link type of the first source read; packets of flagged flows in
 * sources of another link type are skipped, counted and reported on stderr
 * once (convert those files with editcap, or run portaudit on them alone).
 *
 * Live capture (-i) and standard input (-r -) cannot be read again; report()
 * refuses them with a message (exit 2) and publishes no file.
 *
 * Memory and costs. The flagged flows live in ONE allocation in o->state
 * (so rep_abort()'s free() releases it whatever happened): a header, the
 * entries (64 bytes each) and an index of 2^k slots (4 bytes each, load
 * <= 0.5), allocated at the first flagged flow and doubled as needed up to
 * EV_MAX_FLOWS flows (about 9 MiB); flagged flows beyond that are counted
 * and reported on stderr, their packets not written. During the capture a
 * flagged flow is only appended (amortised O(1)). Before the second pass
 * the entries are sorted by (tuple, start) once, O(n log n), so the flows
 * of one tuple form a run, and the index gets one slot per distinct tuple,
 * probed linearly with a hash keyed by a random seed (the keys come from
 * the network). Per replayed packet: one or two hashes, a probe run of ~1.5
 * slots and a binary search among the flows of its tuple (a syslog flow
 * that timed out every minute for a week is 10000 flows of one tuple: 14
 * steps, not 10000); no allocation. The second pass costs one more read of
 * the sources, paid only when some flow was flagged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "rep_int.h"

#define EV_MAX_FLOWS 100000u
#define EV_FIRST_CAP 1024u
#define EV_SNAPLEN 262144
#define EV_NS 1000000000ull
/* The flow table's longest idle timeout (CAP_TO_TCP_EST): an ICMP error
 * can quote a flow at most that long after its last packet. */
#define EV_ERROR_SLACK_NS (300 * EV_NS)

/* A bidirectional tuple, canonical: (lo, plo) <= (hi, phi). */
struct ev_key {
	uint8_t lo[16], hi[16];
	uint16_t plo, phi;
	uint8_t family, proto, kind; /* kind 1: ICMP echo */
	uint16_t tunnel;             /* as capture keyed it (cap_flow.tunnel) */
};

struct ev_flow {
	struct ev_key k;
	uint32_t dumped;             /* packets written */
	uint32_t run;                /* first of a key's run: its length */
	uint64_t first_ns, last_ns;
};

struct ev_state {
	uint64_t seed;
	uint32_t cap;                /* entries */
	uint32_t n;                  /* entries used */
	uint32_t mask;               /* slots - 1; slots = 2 * cap */
	uint64_t dropped;            /* flagged flows not recorded */
	struct ev_flow *e;           /* inside this block */
	uint32_t *slot;              /* entry index + 1; 0 = empty */
};

/* ---- keys ---------------------------------------------------------------- */

static bool is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static bool echo_type(uint8_t proto, uint8_t type)
{
	if (proto == 1)
		return type == 8 || type == 0;
	return proto == 58 && (type == 128 || type == 129);
}

static void make_key(struct ev_key *k, uint16_t tunnel, uint8_t family,
                     uint8_t proto, uint8_t kind, const uint8_t *a,
                     uint16_t pa, const uint8_t *b, uint16_t pb)
{
	size_t alen = family == 4 ? 4 : 16;
	memset(k, 0, sizeof *k);
	k->tunnel = tunnel;
	int c = memcmp(a, b, alen);
	bool a_lo = c < 0 || (c == 0 && pa <= pb);
	memcpy(k->lo, a_lo ? a : b, alen);
	memcpy(k->hi, a_lo ? b : a, alen);
	k->plo = a_lo ? pa : pb;
	k->phi = a_lo ? pb : pa;
	k->family = family;
	k->proto = proto;
	k->kind = kind;
}

/* The key of a flow, as capture/flow.c keyed it. */
static void flow_key(struct ev_key *k, const struct cap_flow *f)
{
	if (is_icmp(f->proto)) {
		uint8_t type = (uint8_t)(f->port_b >> 8);
		bool echo = type == (f->proto == 1 ? 8 : 128);
		uint16_t id = echo ? f->port_a : 0;
		make_key(k, f->tunnel, f->family, f->proto, echo, f->addr_a,
		         id, f->addr_b, id);
		return;
	}
	make_key(k, f->tunnel, f->family, f->proto, 0, f->addr_a, f->port_a,
	         f->addr_b, f->port_b);
}

static void packet_key(struct ev_key *k, const struct cap_packet_view *v)
{
	if (is_icmp(v->proto)) {
		bool echo = echo_type(v->proto, v->icmp_type);
		make_key(k, v->tunnel, v->family, v->proto, echo, v->src,
		         echo ? v->sport : 0, v->dst, echo ? v->dport : 0);
		return;
	}
	make_key(k, v->tunnel, v->family, v->proto, 0, v->src, v->sport,
	         v->dst, v->dport);
}

/* The key of the flow an ICMP error quotes; false when it quotes none. */
static bool quoted_key(struct ev_key *k, const struct cap_packet_view *v)
{
	const struct cap_view_tuple *q = &v->quoted;
	if (!v->icmp_error || (q->family != 4 && q->family != 6))
		return false;
	make_key(k, v->tunnel, q->family, q->proto, is_icmp(q->proto), q->src,
	         q->sport, q->dst, q->dport);
	return true;
}

static uint64_t key_hash(uint64_t seed, const struct ev_key *k)
{
	uint8_t b[42];
	memcpy(b, k->lo, 16);
	memcpy(b + 16, k->hi, 16);
	uint64_t w = (uint64_t)k->family | (uint64_t)k->proto << 8 |
	             (uint64_t)k->kind << 16 | (uint64_t)k->plo << 24 |
	             (uint64_t)k->phi << 40;
	memcpy(b + 32, &w, 8);
	memcpy(b + 40, &k->tunnel, 2);
	return cap_hash(seed, b, sizeof b);
}

static bool key_eq(const struct ev_key *a, const struct ev_key *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->kind == b->kind && a->plo == b->plo && a->phi == b->phi &&
	       a->tunnel == b->tunnel &&
	       memcmp(a->lo, b->lo, 16) == 0 && memcmp(a->hi, b->hi, 16) == 0;
}

/* ---- the table of flagged flows ------------------------------------------ */

static uint64_t random_seed(void)
{
	uint64_t s;
	cap_random(&s, sizeof s);
	return s;
}

static size_t block_size(uint32_t cap)
{
	size_t head = (sizeof(struct ev_state) + 15) & ~(size_t)15;
	return head + (size_t)cap * sizeof(struct ev_flow) +
	       (size_t)cap * 2 * sizeof(uint32_t);
}

static struct ev_state *block_new(uint32_t cap, uint64_t seed)
{
	char *mem = calloc(1, block_size(cap));
	if (!mem)
		return NULL;
	size_t head = (sizeof(struct ev_state) + 15) & ~(size_t)15;
	struct ev_state *s = (struct ev_state *)(void *)mem;
	s->seed = seed;
	s->cap = cap;
	s->mask = cap * 2 - 1;
	s->e = (struct ev_flow *)(void *)(mem + head);
	s->slot = (uint32_t *)(void *)(mem + head +
	                               (size_t)cap * sizeof(struct ev_flow));
	return s;
}

static void slot_insert(struct ev_state *s, uint32_t i)
{
	uint32_t pos = (uint32_t)key_hash(s->seed, &s->e[i].k) & s->mask;
	while (s->slot[pos])
		pos = (pos + 1) & s->mask;
	s->slot[pos] = i + 1;
}

/* Room for one more flow: the table, allocated or doubled. NULL when full
 * or out of memory (o->state unchanged then). */
static struct ev_state *room(struct rep_out *o)
{
	struct ev_state *s = o->state;
	if (s && s->n >= EV_MAX_FLOWS)
		return NULL;
	if (s && s->n < s->cap)
		return s;
	uint32_t cap = s ? s->cap * 2 : EV_FIRST_CAP;
	struct ev_state *t = block_new(cap, s ? s->seed : random_seed());
	if (!t)
		return NULL;
	if (s) {
		t->dropped = s->dropped;
		memcpy(t->e, s->e, (size_t)s->n * sizeof *s->e);
		t->n = s->n;
		free(s);
	}
	o->state = t;
	return t;
}

static void ev_flow(struct rep_out *o, const struct rep_input *in,
                    const struct cls_flow *cf)
{
	(void)in;
	if (cf->verdict != CLS_V_UNEXPECTED && cf->verdict != CLS_V_VIOLATION &&
	    cf->verdict != CLS_V_BLOCKED)
		return;
	const struct cap_flow *f = cf->flow;
	if (f->family != 4 && f->family != 6)
		return;
	struct ev_state *s = room(o);
	if (!s) {
		/* Full (or out of memory): counted when there is a table to
		 * count in; report() says so. */
		if (o->state)
			((struct ev_state *)o->state)->dropped++;
		return;
	}
	struct ev_flow *e = &s->e[s->n];
	memset(e, 0, sizeof *e);
	flow_key(&e->k, f);
	e->first_ns = f->first_ns;
	e->last_ns = f->last_ns;
	s->n++;
}

static int key_cmp(const struct ev_key *a, const struct ev_key *b)
{
	int c = memcmp(a->lo, b->lo, 16);
	if (!c)
		c = memcmp(a->hi, b->hi, 16);
	if (!c)
		c = (int)a->plo - (int)b->plo;
	if (!c)
		c = (int)a->phi - (int)b->phi;
	if (!c)
		c = (int)a->family - (int)b->family;
	if (!c)
		c = (int)a->proto - (int)b->proto;
	if (!c)
		c = (int)a->kind - (int)b->kind;
	if (!c)
		c = (int)a->tunnel - (int)b->tunnel;
	return c;
}

static int flow_cmp(const void *pa, const void *pb)
{
	const struct ev_flow *a = pa, *b = pb;
	int c = key_cmp(&a->k, &b->k);
	if (c)
		return c;
	return a->first_ns < b->first_ns ? -1 : a->first_ns > b->first_ns;
}

/* Before the second pass: the flows sorted by (tuple, start), so that the
 * flows of one tuple form a run, and one index slot per run. */
static void build_index(struct ev_state *s)
{
	qsort(s->e, s->n, sizeof *s->e, flow_cmp);
	memset(s->slot, 0, (size_t)(s->mask + 1) * sizeof *s->slot);
	for (uint32_t i = 0; i < s->n; ) {
		uint32_t j = i + 1;
		while (j < s->n && key_eq(&s->e[j].k, &s->e[i].k))
			j++;
		s->e[i].run = j - i;
		slot_insert(s, i);
		i = j;
	}
}

/* The flagged flow of key k that started last at or before ts, if ts lies
 * in its window (slack added to its end). A probe run of distinct tuples,
 * then a binary search among the flows of the tuple. */
static struct ev_flow *lookup(struct ev_state *s, const struct ev_key *k,
                              uint64_t ts, uint64_t slack)
{
	uint32_t pos = (uint32_t)key_hash(s->seed, k) & s->mask;
	for (; s->slot[pos]; pos = (pos + 1) & s->mask) {
		struct ev_flow *run = &s->e[s->slot[pos] - 1];
		if (!key_eq(&run->k, k))
			continue;
		uint32_t lo = 0, hi = run->run; /* first index with start > ts */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (run[mid].first_ns <= ts)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			return NULL;
		struct ev_flow *e = &run[lo - 1];
		if (ts - e->first_ns > e->last_ns - e->first_ns + slack)
			return NULL;
		return e;
	}
	return NULL;
}

/* ---- the second pass -------------------------------------------------- */

struct ev_run {
	struct ev_state *s;
	pcap_dumper_t *d;
	int linktype;
	uint32_t limit;          /* --evidence-packets */
	uint64_t written;
	uint64_t other_linktype; /* packets of flagged flows not written */
	int other_dlt;           /* the first such link type */
	uint64_t last_frame;     /* the frame written last (cap_packet_view
	                          * .frame): a tunnel's frame is written once
	                          * even when its outer and inner flows are
	                          * both flagged */
};

static void on_packet(const struct cap_packet_view *v, void *ctx)
{
	struct ev_run *r = ctx;
	struct ev_key k;
	struct ev_flow *e = NULL;
	if (quoted_key(&k, v))
		e = lookup(r->s, &k, v->ts_ns, EV_ERROR_SLACK_NS);
	if (!e) {
		packet_key(&k, v);
		e = lookup(r->s, &k, v->ts_ns, 0);
	}
	if (!e || e->dumped >= r->limit)
		return;
	if (v->linktype != r->linktype) {
		/* Counted as the flow's packet all the same: the message
		 * then says how many the file would have held. */
		if (!r->other_linktype)
			r->other_dlt = v->linktype;
		r->other_linktype++;
		e->dumped++;
		return;
	}
	if (v->frame && v->frame == r->last_frame) {
		e->dumped++; /* in the file already, for another of its flows */
		return;
	}
	r->last_frame = v->frame;
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(v->ts_ns / EV_NS);
	h.ts.tv_usec = (suseconds_t)(v->ts_ns % EV_NS); /* ns: nano dumper */
	h.caplen = v->caplen;
	h.len = v->wirelen;
	pcap_dump((u_char *)r->d, &h, v->data);
	e->dumped++;
	r->written++;
}

/* The link type of the first source the capture read, else Ethernet. */
static int first_linktype(const struct rep_input *in)
{
	const struct cap_stats *st = in->cap;
	unsigned n = in->capopt ? in->capopt->nsources : 0;
	if (st && n > CAP_MAX_SOURCES)
		n = CAP_MAX_SOURCES;
	for (unsigned i = 0; st && i < n; i++)
		if (!st->skipped[i][0])
			return st->linktypes[i];
	return DLT_EN10MB;
}

static const char *shown(const struct rep_out *o)
{
	return o->path ? o->path : "standard output";
}

/* Refuse: say why, and make rep_close() drop the temporary file. */
static int refuse(struct rep_out *o)
{
	o->failed = true;
	if (!o->err)
		o->err = ENOTSUP;
	return -1;
}

static int ev_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cap_options *co = in->capopt;
	if (!co) {
		fprintf(stderr, "portaudit: %s: evidence: no capture sources\n",
		        shown(o));
		return refuse(o);
	}
	if (co->iface) {
		fprintf(stderr, "portaudit: %s: --evidence needs -r FILE: the "
		        "packets of a live capture (-i %s) cannot be read again; "
		        "save them first (tcpdump -w), then audit the file\n",
		        shown(o), co->iface);
		return refuse(o);
	}
	for (unsigned i = 0; i < co->nsources && i < CAP_MAX_SOURCES; i++)
		if (strcmp(co->sources[i], "-") == 0) {
			fprintf(stderr, "portaudit: %s: --evidence needs -r FILE: "
			        "standard input (-r -) cannot be read again; save "
			        "the capture to a file first\n", shown(o));
			return refuse(o);
		}

	struct ev_state *s = o->state;
	struct ev_run r;
	memset(&r, 0, sizeof r);
	r.s = s;
	r.linktype = first_linktype(in);
	r.limit = in->evidence_packets ? in->evidence_packets : 20;

	pcap_t *dead = pcap_open_dead_with_tstamp_precision(
		r.linktype, EV_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		fprintf(stderr, "portaudit: %s: out of memory\n", shown(o));
		return refuse(o);
	}
	r.d = pcap_dump_fopen(dead, o->fp);
	if (!r.d) {
		fprintf(stderr, "portaudit: %s: cannot write a pcap file: %s\n",
		        shown(o), pcap_geterr(dead));
		pcap_close(dead);
		return refuse(o);
	}
	int rc = 0;
	if (s && s->n) {
		char err[512];
		build_index(s);
		if (cap_replay(co, on_packet, &r, NULL, err, sizeof err) != 0) {
			fprintf(stderr, "portaudit: %s: evidence: %s\n", shown(o),
			        err);
			rc = refuse(o);
		}
	}
	if (pcap_dump_flush(r.d) != 0 && !o->failed) {
		o->failed = true;
		o->err = errno ? errno : EIO;
	}
	pcap_close(dead); /* not the dumper: rep_close() owns the FILE */
	if (rc != 0)
		return rc;
	if (s && s->dropped)
		fprintf(stderr, "portaudit: %s: evidence kept for the first %u "
		        "flagged flows only; %llu other flagged flow%s no "
		        "packets in it\n", shown(o), s->n,
		        (unsigned long long)s->dropped,
		        s->dropped == 1 ? " has" : "s have");
	if (r.other_linktype) {
		char a[64], b[64];
		fprintf(stderr, "portaudit: %s: %llu packets of flagged flows "
		        "not written: their file's link type %s differs from the "
		        "evidence file's %s (a pcap file has one link type)\n",
		        shown(o), (unsigned long long)r.other_linktype,
		        cap_linktype_name(r.other_dlt, a, sizeof a),
		        cap_linktype_name(r.linktype, b, sizeof b));
	}
	return 0;
}

const struct rep_writer rep_evidence = { "evidence", ev_flow, ev_report };
