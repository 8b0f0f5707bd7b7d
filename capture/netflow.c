/*
 * netflow.c -- NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011,
 * 7012, RFC 5103 biflows) export datagrams into struct cap_record, handed
 * to the pairer (records.h).
 *
 * Design. One datagram is one call (cap_netflow_datagram), told apart by
 * its version field (5, 9, 10) and read only through the bounds-checked
 * cursor of cursor.h: a length field is checked against what is left
 * before its window is taken, so nothing here can read past the datagram.
 * A datagram, set or record that does not parse is skipped and the
 * datagram counted once in rs->malformed; nothing is fatal.
 *
 *   v5     a 24-byte header and `count` 48-byte records; times are the
 *          header's sysUptime and UNIX secs/nsecs; the header's sampling
 *          interval (low 14 bits) is the exporter's sampling.
 *   v9     a 20-byte header, then flowsets: 0 templates, 1 options
 *          templates (scope fields skipped whatever their type), >= 256
 *          data; flow times are sysUptime values (IEs 21/22).
 *   IPFIX  a 16-byte header whose length bounds the message, then sets: 2
 *          templates, 3 options templates, >= 256 data; enterprise field
 *          specifiers (PEN 29305: RFC 5103's reverse elements), variable-
 *          length fields, template withdrawal (field count 0; template id
 *          2 or 3: all of that kind), redefinition by a new template.
 *
 * Templates are compiled once into a short program (struct nf_op): each
 * field becomes either the record field it fills or a skip, adjacent
 * skips merged, so that decoding a record is one pass over a few ops with
 * one bounds check each. A template is kept per (exporter, version,
 * template id), where an exporter is (address, observation domain / source
 * id / v5 engine type and id); the UDP source port is not part of it (an
 * exporter keeps its templates over a restart on another port). The cache
 * holds max_templates compiled templates in one allocation, indexed by a
 * seeded open-addressing hash; when it is full the least recently used
 * template (CLOCK: one reference bit, a hand that clears it) is dropped and
 * counted (rs->templates_evicted). Options records are not flows: their
 * sampling elements (34/35, 50, 305/306, 309/310) set the exporter's
 * announced sampling, and systemInitTimeMilliseconds (160) its boot time.
 *
 * Data before its template is counted (rs->templates_missing) and kept in
 * a small ring of NF_PEND_SLOTS data sets of at most NF_PEND_BYTES each:
 * when the template arrives (in a later datagram, or later in the same
 * one), the kept sets are decoded and taken off templates_missing again,
 * so that the counter says how many data sets never found their template.
 * A set that does not fit, or is pushed out of the ring by newer ones,
 * stays counted.
 *
 * Exporters are kept in a table of max_exporters entries (one allocation,
 * seeded hash index); an entry is never reused, so record->exporter (its
 * index) names one exporter for the whole run, which the pairer's
 * duplicate test needs. A datagram from a new exporter once the table is
 * full is dropped and counted (rs->exporters_full).
 *
 * Sequence numbers are checked per exporter: v5 counts flows, v9 export
 * packets, IPFIX data records. A forward jump is one gap
 * (rs->sequence_gaps), whatever its size; a backward one (a reordered
 * datagram, an exporter restart) is not counted. IPFIX exporters disagree
 * on the count (softflowd numbers a message by the records *after* it and
 * leaves options records out), so the four readings (before/after, with
 * or without options records) are tried and those that keep matching are
 * kept per exporter; a gap is a jump ahead of every reading still in use.
 *
 * Times. The finest absolute time a record carries wins (IEs 156/157 ns,
 * 154/155 us, 152/153 ms, 150/151 s), then sysUptime values (21/22: from
 * systemInitTimeMilliseconds when the record or an options record gave
 * it, else from the header's sysUptime and export time, v9 only), then
 * 158/159 (microseconds before the export time); a duration (161/162)
 * fills the missing end; a record without any time is put at the export
 * time. A biflow's times span both directions.
 *
 * Costs. Per record: one memset of the decoded values, one op per field
 * run, no allocation. Per data set: one template lookup (a hash of 8
 * bytes, ~1.5 probes). Memory: max_templates * sizeof(struct nf_tmpl)
 * (~400 bytes) + max_exporters * ~64 bytes + indexes of twice as many
 * 8-byte slots + 16 * 2 KiB for the pending ring, all at cap_netflow_new.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/cursor.h"
#include "capture/records.h"

#define NF_V5_HDR 24
#define NF_V5_REC 48
#define NF_V9_HDR 20
#define NF_IPFIX_HDR 16
#define NF_SET_HDR 4

#define NF_MAX_OPS 96            /* compiled ops per template */
#define NF_PEND_SLOTS 16         /* data sets kept before their template */
#define NF_PEND_BYTES 2048       /* the largest data set kept */
#define NF_DEFAULT_TEMPLATES 4096u
#define NF_DEFAULT_EXPORTERS 1024u
#define NF_MAX_TABLE (1u << 22)  /* a bound on either table's size */

#define NF_PEN_REVERSE 29305u    /* RFC 5103 reverse information elements */
#define NF_VARLEN 0xffffu
#define NF_NTP_UNIX 2208988800ull /* 1900-01-01 to 1970-01-01 in seconds */
#define NF_NS_MS 1000000ull
#define NF_NS_US 1000ull

/* ---- compiled templates ------------------------------------------------- */

enum nf_code {
	OP_SKIP = 0, /* len bytes */
	OP_VAR,      /* a variable-length field: skipped */
	OP_SRC4,
	OP_DST4,
	OP_SRC6,
	OP_DST6,
	OP_SPORT,    /* arg: rank (0 IE 7, 1 IE 180/182) */
	OP_DPORT,    /* arg: rank (0 IE 11, 1 IE 181/183) */
	OP_PROTO,
	OP_FLAGS,    /* arg: 1 reverse */
	OP_CNT,      /* arg: rev << 3 | bytes << 2 | rank */
	OP_TIME,     /* arg: rev << 4 | end << 3 | unit */
	OP_DUR,      /* arg: 0 ms (161), 1 us (162) */
	OP_ICMP,     /* type << 8 | code (32, 139) */
	OP_ICMP_TYPE,
	OP_ICMP_CODE,
	OP_VLAN,     /* arg: rank (0 IE 58, 1 IE 243) */
	OP_DIR,      /* biflowDirection (239) */
	OP_SYSINIT,  /* systemInitTimeMilliseconds (160) */
	OP_SAMP,     /* arg: enum nf_samp */
};

/* Time units, finest first: a record's time of each kind comes from the
 * lowest unit it carries. */
enum nf_unit { T_NS = 0, T_US, T_MS, T_S, T_UPTIME, T_DELTA, T_NONE = 0xff };

enum nf_samp {
	S_INTERVAL = 0, /* 34 samplingInterval: 1 in N */
	S_RANDOM,       /* 50 samplerRandomInterval: 1 in N */
	S_PKT_INTERVAL, /* 305 samplingPacketInterval: N taken ... */
	S_PKT_SPACE,    /* 306 samplingPacketSpace: ... then M skipped */
	S_SIZE,         /* 309 samplingSize: N of ... */
	S_POPULATION,   /* 310 samplingPopulation: ... M */
	S_COUNT
};

struct nf_op {
	uint8_t code;   /* enum nf_code */
	uint8_t arg;
	uint16_t len;   /* bytes (OP_VAR: unused) */
};

#define NF_T_OPTIONS 0x01u /* an options template: records set state */
#define NF_T_BIFLOW 0x02u  /* carries reverse counters (RFC 5103) */
#define NF_T_REF 0x04u     /* CLOCK's reference bit */

struct nf_tmpl {
	uint32_t exporter;  /* index + 1; 0: a free entry */
	uint32_t tag;       /* low half of the key's hash (index removal) */
	uint16_t id;
	uint8_t version;    /* 9 or 10 */
	uint8_t flags;
	uint32_t min_len;   /* the shortest record (a varlen field is 1) */
	uint16_t nops;
	struct nf_op ops[NF_MAX_OPS];
};

/* ---- exporters ---------------------------------------------------------- */

enum nf_seq_reading {
	SQ_BEFORE_ALL = 1,   /* RFC: records before this message */
	SQ_BEFORE_FLOWS = 2, /* the same, options records left out */
	SQ_AFTER_ALL = 4,    /* records up to and with this message */
	SQ_AFTER_FLOWS = 8,
	SQ_IPFIX = 15,
};

struct nf_exporter {
	uint8_t family;        /* key: family, address, domain */
	uint8_t addr[16];
	uint32_t domain;
	uint32_t tag;
	uint8_t version;       /* of the last datagram */
	bool seq_ok;           /* seq_last and the counts are usable */
	uint8_t seq_readings;  /* enum nf_seq_reading still matching */
	bool has_init;
	uint32_t ntemplates[2]; /* in the cache: [0] data, [1] options */
	uint32_t seq_last, all_last, flows_last;
	uint32_t sampling;     /* announced (options records, v5 header) */
	uint64_t init_ms;      /* systemInitTimeMilliseconds announced */
};

/* What a data set needs of its datagram (kept with a pending set). */
struct nf_ctx {
	uint32_t exporter;     /* index */
	uint8_t version;
	bool has_uptime;       /* v9: the header's sysUptime */
	uint32_t uptime_ms;
	uint64_t export_ns;
};

struct nf_pend {
	uint32_t exporter;     /* index + 1; 0: free */
	uint16_t id;
	uint16_t len;
	uint8_t version;
	struct nf_ctx cx;
	uint8_t data[NF_PEND_BYTES];
};

struct cap_netflow {
	struct cap_pairer *pairer;
	struct cap_rec_stats *rs;
	uint64_t seed;

	struct nf_exporter *ex;    /* [max_ex] */
	struct cap_islot *ex_slots;
	uint64_t ex_mask;
	uint32_t nex, max_ex;
	uint32_t ex_last;          /* the last exporter found, + 1 */

	struct nf_tmpl *tp;        /* [max_tp] */
	struct cap_islot *tp_slots;
	uint64_t tp_mask;
	uint32_t *tp_free;         /* stack of free entries */
	uint32_t ntp_free;
	uint32_t ntp, max_tp;      /* entries in use (ever handed out) */
	uint32_t hand;             /* CLOCK */

	struct nf_pend *pend;      /* [NF_PEND_SLOTS], a ring */
	uint32_t npend, pend_next;
};

/* One datagram's state. */
struct nf_dg {
	struct nf_ctx cx;
	bool bad;              /* something was skipped as malformed */
	bool count_known;      /* IPFIX: every data set was decoded */
	uint32_t nall, nflows; /* data records (all, flows only) */
};

/* The values one data record carried. */
#define H_SRC4 0x0001u
#define H_DST4 0x0002u
#define H_SRC6 0x0004u
#define H_DST6 0x0008u
#define H_ICMP 0x0010u
#define H_ICMP_T 0x0020u
#define H_ICMP_C 0x0040u
#define H_DUR 0x0080u
#define H_SYSINIT 0x0100u
#define H_SAMP 0x0200u /* samp_has says which */

struct nf_vals {
	uint32_t has;
	uint8_t src4[4], dst4[4];
	uint8_t src6[16], dst6[16];
	uint16_t port[2];          /* sport, dport */
	uint8_t port_rank[2];
	uint8_t proto;
	uint8_t flags[2];          /* forward, reverse */
	uint8_t cnt_rank[2][2];    /* [rev][bytes] */
	uint8_t t_unit[2][2];      /* [rev][end] */
	uint8_t icmp_type, icmp_code;
	uint8_t vlan_rank;
	uint8_t samp_has;          /* bits of enum nf_samp */
	int8_t dir;
	uint16_t icmp;
	uint16_t vlan;
	uint64_t cnt[2][2];
	uint64_t t[2][2];          /* ns, or ms of sysUptime (T_UPTIME) */
	uint64_t dur_ns;
	uint64_t sysinit_ms;
	uint64_t samp[S_COUNT];
};

/* ---- small helpers ------------------------------------------------------ */

/* An unsigned integer of n (1..8) bytes, big-endian: the common sizes
 * without a loop (reduced-size encoding, RFC 7011 6.2, allows any). */
static uint64_t rd_uint(const uint8_t *p, size_t n)
{
	switch (n) {
	case 1:
		return p[0];
	case 2:
		return rd_be16(p);
	case 4:
		return rd_be32(p);
	case 8:
		return (uint64_t)rd_be32(p) << 32 | rd_be32(p + 4);
	default: {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v = v << 8 | p[i];
		return v;
	}
	}
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* An NTP timestamp (dateTimeMicroseconds/Nanoseconds) in UNIX ns; seconds
 * below 1970 are NTP era 1 (after 2036). Microseconds ignore the low 11
 * bits of the fraction (RFC 7011, 6.1.9). */
static uint64_t ntp_ns(const uint8_t *p, bool micro)
{
	uint64_t secs = rd_be32(p), frac = rd_be32(p + 4);
	if (micro)
		frac &= ~(uint64_t)0x7ff;
	if (secs >= NF_NTP_UNIX)
		secs -= NF_NTP_UNIX;
	else
		secs += (1ull << 32) - NF_NTP_UNIX;
	return secs * CAP_NS_PER_S + ((frac * CAP_NS_PER_S) >> 32);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Is the rest of the window zeros (padding)? */
static bool rest_zero(const struct cap_cursor *c)
{
	uint8_t b;
	for (size_t i = 0; cur_peek_u8(c, i, &b); i++)
		if (b)
			return false;
	return true;
}

static bool is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/* ---- exporters ---------------------------------------------------------- */

struct nf_ex_key {
	uint8_t family;
	uint8_t addr[16];
	uint8_t pad[3];
	uint32_t domain;
};

/* The exporter of a datagram, created when new; NULL when the table is
 * full (counted). */
static struct nf_exporter *ex_get(struct cap_netflow *nf, uint8_t family,
                                  const uint8_t *from, uint32_t domain)
{
	struct nf_ex_key k;
	memset(&k, 0, sizeof k);
	k.family = family;
	memcpy(k.addr, from, family == 4 ? 4 : 16);
	k.domain = domain;

	if (nf->ex_last) {
		struct nf_exporter *e = &nf->ex[nf->ex_last - 1];
		if (e->family == family && e->domain == domain &&
		    memcmp(e->addr, k.addr, 16) == 0)
			return e;
	}
	uint64_t h = cap_hash(nf->seed, &k, sizeof k);
	uint32_t tag = (uint32_t)h;
	uint64_t i = tag & nf->ex_mask;
	for (;; i = (i + 1) & nf->ex_mask) {
		struct cap_islot *s = &nf->ex_slots[i];
		if (s->idx == 0)
			break;
		struct nf_exporter *e = &nf->ex[s->idx - 1];
		if (s->tag == tag && e->family == family && e->domain == domain &&
		    memcmp(e->addr, k.addr, 16) == 0) {
			nf->ex_last = s->idx;
			return e;
		}
	}
	if (nf->nex >= nf->max_ex) {
		nf->rs->exporters_full++;
		return NULL;
	}
	struct nf_exporter *e = &nf->ex[nf->nex];
	memset(e, 0, sizeof *e);
	e->family = family;
	memcpy(e->addr, k.addr, 16);
	e->domain = domain;
	e->tag = tag;
	nf->nex++;
	nf->ex_slots[i].tag = tag;
	nf->ex_slots[i].idx = nf->nex;
	nf->ex_last = nf->nex;
	nf->rs->exporters = nf->nex;
	return e;
}

static uint32_t ex_index(const struct cap_netflow *nf,
                         const struct nf_exporter *e)
{
	return (uint32_t)(e - nf->ex);
}

static void announce_sampling(struct cap_netflow *nf, uint32_t rate)
{
	if (rate > 1 && rate > nf->rs->sampling)
		nf->rs->sampling = rate;
}

/* A datagram's sequence number, once its records are counted. */
static void sequence(struct cap_netflow *nf, struct nf_exporter *e,
                     uint8_t version, uint32_t seq, uint32_t all,
                     uint32_t flows, bool known)
{
	if (e->version != version) {
		e->version = version;
		e->seq_ok = false;
		e->seq_readings = version == 10 ? SQ_IPFIX : SQ_BEFORE_ALL;
	}
	if (!known) {
		e->seq_ok = false;
		return;
	}
	if (e->seq_ok) {
		uint32_t expect[4] = {
			e->seq_last + e->all_last, e->seq_last + e->flows_last,
			e->seq_last + all, e->seq_last + flows,
		};
		unsigned match = 0;
		bool ahead = true;
		for (unsigned i = 0; i < 4; i++) {
			if (!(e->seq_readings & (1u << i)))
				continue;
			if (seq == expect[i])
				match |= 1u << i;
			if ((int32_t)(seq - expect[i]) <= 0)
				ahead = false;
		}
		if (match)
			e->seq_readings = (uint8_t)match;
		else if (ahead)
			nf->rs->sequence_gaps++;
	}
	e->seq_ok = true;
	e->seq_last = seq;
	e->all_last = all;
	e->flows_last = flows;
}

/* ---- the template cache ------------------------------------------------- */

struct nf_tp_key {
	uint32_t exporter;
	uint16_t id;
	uint8_t version;
	uint8_t pad;
};

static uint32_t tp_tag(const struct cap_netflow *nf, uint32_t exporter,
                       uint16_t id, uint8_t version)
{
	struct nf_tp_key k;
	memset(&k, 0, sizeof k);
	k.exporter = exporter;
	k.id = id;
	k.version = version;
	return (uint32_t)cap_hash(nf->seed, &k, sizeof k);
}

/* The slot holding (exporter + 1, id, version), or the empty slot that
 * ends its probe run. */
static uint64_t tp_slot(const struct cap_netflow *nf, uint32_t exp1,
                        uint16_t id, uint8_t version, uint32_t tag)
{
	uint64_t i = tag & nf->tp_mask;
	for (;; i = (i + 1) & nf->tp_mask) {
		const struct cap_islot *s = &nf->tp_slots[i];
		if (s->idx == 0)
			return i;
		const struct nf_tmpl *t = &nf->tp[s->idx - 1];
		if (s->tag == tag && t->exporter == exp1 && t->id == id &&
		    t->version == version)
			return i;
	}
}

static struct nf_tmpl *tp_find(struct cap_netflow *nf, uint32_t exporter,
                               uint16_t id, uint8_t version)
{
	uint32_t tag = tp_tag(nf, exporter, id, version);
	uint64_t i = tp_slot(nf, exporter + 1, id, version, tag);
	uint32_t idx = nf->tp_slots[i].idx;
	return idx ? &nf->tp[idx - 1] : NULL;
}

static void tp_remove(struct cap_netflow *nf, struct nf_tmpl *t)
{
	uint32_t idx = (uint32_t)(t - nf->tp);
	cap_islot_remove(nf->tp_slots, nf->tp_mask, t->tag, idx);
	nf->ex[t->exporter - 1].ntemplates[t->flags & NF_T_OPTIONS]--;
	t->exporter = 0;
	nf->tp_free[nf->ntp_free++] = idx;
}

/* A free entry: a never used one, a freed one, or CLOCK's victim. */
static struct nf_tmpl *tp_alloc(struct cap_netflow *nf)
{
	if (nf->ntp_free)
		return &nf->tp[nf->tp_free[--nf->ntp_free]];
	if (nf->ntp < nf->max_tp)
		return &nf->tp[nf->ntp++];
	/* Full: every entry is in use. Two turns at most: the first clears
	 * every reference bit it passes. */
	for (;;) {
		struct nf_tmpl *t = &nf->tp[nf->hand];
		nf->hand = nf->hand + 1 == nf->max_tp ? 0 : nf->hand + 1;
		if (t->flags & NF_T_REF) {
			t->flags = (uint8_t)(t->flags & ~NF_T_REF);
			continue;
		}
		tp_remove(nf, t);
		nf->rs->templates_evicted++;
		return &nf->tp[nf->tp_free[--nf->ntp_free]];
	}
}

/* Withdraw one template (id >= 256) or all of a kind of an exporter: a
 * scan of the cache, skipped when the exporter has none of that kind (so
 * that a set of many withdraw-all records costs one scan). */
static void tp_withdraw(struct cap_netflow *nf, uint32_t exporter,
                        uint8_t version, uint16_t id, bool all,
                        bool options)
{
	if (!all) {
		struct nf_tmpl *t = tp_find(nf, exporter, id, version);
		if (t)
			tp_remove(nf, t);
		return;
	}
	uint32_t *left = &nf->ex[exporter].ntemplates[options];
	for (uint32_t i = 0; i < nf->ntp && *left; i++) {
		struct nf_tmpl *t = &nf->tp[i];
		if (t->exporter == exporter + 1 && t->version == version &&
		    !!(t->flags & NF_T_OPTIONS) == options)
			tp_remove(nf, t);
	}
}

/* ---- records ------------------------------------------------------------ */

/* Decode one record of template t from the front of c into v. False when
 * the record does not fit (c is then left somewhere inside it). */
static bool decode_record(const struct nf_tmpl *t, const struct nf_ctx *cx,
                          struct cap_cursor *c, struct nf_vals *v)
{
	memset(v, 0, sizeof *v);
	memset(v->port_rank, 0xff, sizeof v->port_rank);
	memset(v->cnt_rank, 0xff, sizeof v->cnt_rank);
	memset(v->t_unit, 0xff, sizeof v->t_unit);
	v->vlan_rank = 0xff;
	v->dir = -1;

	for (unsigned i = 0; i < t->nops; i++) {
		const struct nf_op *op = &t->ops[i];
		const uint8_t *p;
		if (op->code == OP_VAR) {
			uint8_t l8;
			uint16_t l16;
			if (!cur_u8(c, &l8))
				return false;
			l16 = l8;
			if (l8 == 255 && !cur_be16(c, &l16))
				return false;
			if (!cur_skip(c, l16))
				return false;
			continue;
		}
		if (!(p = cur_take(c, op->len)))
			return false;
		uint64_t x;
		unsigned a = op->arg;
		switch ((enum nf_code)op->code) {
		case OP_SKIP:
		case OP_VAR:
			break;
		case OP_SRC4:
			memcpy(v->src4, p, 4);
			v->has |= H_SRC4;
			break;
		case OP_DST4:
			memcpy(v->dst4, p, 4);
			v->has |= H_DST4;
			break;
		case OP_SRC6:
			memcpy(v->src6, p, 16);
			v->has |= H_SRC6;
			break;
		case OP_DST6:
			memcpy(v->dst6, p, 16);
			v->has |= H_DST6;
			break;
		case OP_SPORT:
		case OP_DPORT: {
			unsigned k = op->code == OP_DPORT;
			if (a < v->port_rank[k]) {
				v->port_rank[k] = (uint8_t)a;
				v->port[k] = (uint16_t)rd_uint(p, op->len);
			}
			break;
		}
		case OP_PROTO:
			v->proto = (uint8_t)rd_uint(p, op->len);
			break;
		case OP_FLAGS: /* tcpControlBits: the flags are the low byte */
			v->flags[a & 1] |= (uint8_t)rd_uint(p, op->len);
			break;
		case OP_CNT: {
			unsigned rev = a >> 3 & 1, bytes = a >> 2 & 1, rank = a & 3;
			if (rank < v->cnt_rank[rev][bytes]) {
				v->cnt_rank[rev][bytes] = (uint8_t)rank;
				v->cnt[rev][bytes] = rd_uint(p, op->len);
			}
			break;
		}
		case OP_TIME: {
			unsigned rev = a >> 4 & 1, end = a >> 3 & 1, unit = a & 7;
			if (unit >= v->t_unit[rev][end])
				break;
			switch (unit) {
			case T_NS:
				x = ntp_ns(p, false);
				break;
			case T_US:
				x = ntp_ns(p, true);
				break;
			case T_MS:
				x = mul_sat(rd_uint(p, op->len), NF_NS_MS);
				break;
			case T_S:
				x = mul_sat(rd_uint(p, op->len), CAP_NS_PER_S);
				break;
			case T_UPTIME: /* resolved once the record is read */
				x = rd_uint(p, op->len);
				break;
			default: { /* T_DELTA: microseconds before the export */
				uint64_t d = mul_sat(rd_uint(p, op->len), NF_NS_US);
				x = d < cx->export_ns ? cx->export_ns - d : 0;
				break;
			}
			}
			v->t_unit[rev][end] = (uint8_t)unit;
			v->t[rev][end] = x;
			break;
		}
		case OP_DUR:
			v->dur_ns = mul_sat(rd_uint(p, op->len),
			                    a ? NF_NS_US : NF_NS_MS);
			v->has |= H_DUR;
			break;
		case OP_ICMP:
			v->icmp = (uint16_t)rd_uint(p, op->len);
			v->has |= H_ICMP;
			break;
		case OP_ICMP_TYPE:
			v->icmp_type = (uint8_t)rd_uint(p, op->len);
			v->has |= H_ICMP_T;
			break;
		case OP_ICMP_CODE:
			v->icmp_code = (uint8_t)rd_uint(p, op->len);
			v->has |= H_ICMP_C;
			break;
		case OP_VLAN:
			if (a < v->vlan_rank) {
				v->vlan_rank = (uint8_t)a;
				v->vlan = (uint16_t)(rd_uint(p, op->len) & 0x0fff);
			}
			break;
		case OP_DIR:
			x = rd_uint(p, op->len);
			v->dir = x <= 3 ? (int8_t)x : -1;
			break;
		case OP_SYSINIT:
			v->sysinit_ms = rd_uint(p, op->len);
			v->has |= H_SYSINIT;
			break;
		case OP_SAMP:
			v->samp[a] = rd_uint(p, op->len);
			v->samp_has = (uint8_t)(v->samp_has | 1u << a);
			v->has |= H_SAMP;
			break;
		}
	}
	return true;
}

static uint64_t cap32(uint64_t x)
{
	return x > UINT32_MAX ? UINT32_MAX : x;
}

/* The 1-in-N sampling a record states, 0 when it states none. The
 * elements are 32-bit (wider ones, which reduced-size encoding does not
 * allow but a datagram may carry, are capped), so the sums cannot wrap. */
static uint32_t samp_rate(const struct nf_vals *v)
{
	uint64_t r = 0;
	if (!(v->has & H_SAMP))
		return 0;
	if (v->samp_has & 1u << S_INTERVAL)
		r = v->samp[S_INTERVAL];
	else if (v->samp_has & 1u << S_RANDOM)
		r = v->samp[S_RANDOM];
	else if ((v->samp_has & 1u << S_PKT_INTERVAL) &&
	         v->samp[S_PKT_INTERVAL] > 0) {
		uint64_t n = cap32(v->samp[S_PKT_INTERVAL]);
		uint64_t m = cap32(v->samp[S_PKT_SPACE]);
		r = (n + m + n / 2) / n;
	} else if ((v->samp_has & 1u << S_SIZE) && v->samp[S_SIZE] > 0) {
		uint64_t n = cap32(v->samp[S_SIZE]);
		uint64_t m = cap32(v->samp[S_POPULATION]);
		r = m > n ? (m + n / 2) / n : 1;
	}
	if (r == 0)
		r = 1; /* announced, but "every packet" */
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* A sysUptime value in ms as UNIX ns. */
static uint64_t uptime_ns(const struct nf_ctx *cx, const struct nf_exporter *e,
                          const struct nf_vals *v, uint64_t up_ms)
{
	if (v->has & H_SYSINIT)
		return add_sat(mul_sat(v->sysinit_ms, NF_NS_MS),
		               mul_sat(up_ms, NF_NS_MS));
	if (e->has_init)
		return add_sat(mul_sat(e->init_ms, NF_NS_MS),
		               mul_sat(up_ms, NF_NS_MS));
	if (!cx->has_uptime)
		return cx->export_ns; /* IPFIX without its boot time */
	/* ms before the export, modulo 2^32 (sysUptime wraps at 49.7 days),
	 * a few ms after it allowed */
	int64_t before = (int32_t)(cx->uptime_ms - (uint32_t)up_ms);
	int64_t ns = (int64_t)(cx->export_ns > INT64_MAX ? INT64_MAX
	                                                   : cx->export_ns);
	ns -= before * (int64_t)NF_NS_MS;
	return ns < 0 ? 0 : (uint64_t)ns;
}

/* One direction's start and end; false when the record has neither. */
static bool dir_times(const struct nf_ctx *cx, const struct nf_exporter *e,
                      const struct nf_vals *v, unsigned rev, uint64_t *first,
                      uint64_t *last)
{
	bool has[2];
	uint64_t t[2];
	for (unsigned k = 0; k < 2; k++) {
		has[k] = v->t_unit[rev][k] != T_NONE;
		t[k] = v->t[rev][k];
		if (has[k] && v->t_unit[rev][k] == T_UPTIME)
			t[k] = uptime_ns(cx, e, v, t[k]);
	}
	if (!has[0] && !has[1])
		return false;
	if (!has[1])
		t[1] = v->has & H_DUR ? add_sat(t[0], v->dur_ns) : t[0];
	if (!has[0])
		t[0] = v->has & H_DUR && v->dur_ns <= t[1] ? t[1] - v->dur_ns
		                                           : t[1];
	*first = t[0];
	*last = t[1];
	return true;
}

/* A flow record from the values; false when it has no address pair. */
static bool make_record(const struct cap_netflow *nf, const struct nf_ctx *cx,
                        const struct nf_exporter *e, uint8_t tflags,
                        const struct nf_vals *v, struct cap_record *r)
{
	memset(r, 0, sizeof *r);
	bool v6 = (v->has & (H_SRC6 | H_DST6)) == (H_SRC6 | H_DST6);
	bool v4 = (v->has & (H_SRC4 | H_DST4)) == (H_SRC4 | H_DST4);
	/* a template with both families fills the unused one with zeros */
	if (v6 && v4 && all_zero(v->src6, 16) && all_zero(v->dst6, 16))
		v6 = false;
	if (v6) {
		r->family = 6;
		memcpy(r->src, v->src6, 16);
		memcpy(r->dst, v->dst6, 16);
	} else if (v4) {
		r->family = 4;
		memcpy(r->src, v->src4, 4);
		memcpy(r->dst, v->dst4, 4);
	} else {
		return false;
	}
	r->proto = v->proto;
	r->sport = v->port[0];
	r->dport = v->port[1];
	if (is_icmp(r->proto)) {
		r->sport = 0;
		if (v->has & H_ICMP)
			r->dport = v->icmp;
		else if (v->has & (H_ICMP_T | H_ICMP_C))
			r->dport = (uint16_t)(v->icmp_type << 8 | v->icmp_code);
	}
	r->pkts = v->cnt[0][0];
	r->bytes = v->cnt[0][1];
	r->tcp_flags = v->flags[0];
	r->vlan = v->vlan;
	r->direction = v->dir;
	r->exporter = ex_index(nf, e);
	uint32_t rate = samp_rate(v);
	r->sampling = rate ? rate : e->sampling;
	if (tflags & NF_T_BIFLOW) {
		r->biflow = true;
		r->rev_pkts = v->cnt[1][0];
		r->rev_bytes = v->cnt[1][1];
		r->rev_tcp_flags = v->flags[1];
	}
	uint64_t f0, l0, f1, l1;
	bool fwd = dir_times(cx, e, v, 0, &f0, &l0);
	bool rev = dir_times(cx, e, v, 1, &f1, &l1);
	if (fwd && rev) {
		r->first_ns = f0 < f1 ? f0 : f1;
		r->last_ns = l0 > l1 ? l0 : l1;
	} else if (fwd || rev) {
		r->first_ns = fwd ? f0 : f1;
		r->last_ns = fwd ? l0 : l1;
	} else {
		r->first_ns = r->last_ns = cx->export_ns;
	}
	return true;
}

static void emit(struct cap_netflow *nf, const struct cap_record *r)
{
	nf->rs->records++;
	announce_sampling(nf, r->sampling);
	cap_pairer_add_ahead(nf->pairer, r, 0);
}

/* An options record: what it announces about its exporter. */
static void apply_options(struct cap_netflow *nf, struct nf_exporter *e,
                          const struct nf_vals *v)
{
	uint32_t rate = samp_rate(v);
	if (rate) {
		e->sampling = rate;
		announce_sampling(nf, rate);
	}
	if (v->has & H_SYSINIT) {
		e->has_init = true;
		e->init_ms = v->sysinit_ms;
	}
}

/* Every record of a data set; padding (fewer bytes than the shortest
 * record) ends it. False when a record does not fit. */
static bool data_records(struct cap_netflow *nf, const struct nf_ctx *cx,
                         struct nf_tmpl *t, struct cap_cursor *c,
                         uint32_t *nall, uint32_t *nflows, bool *noaddr)
{
	struct nf_exporter *e = &nf->ex[cx->exporter];
	struct nf_vals v;
	struct cap_record r;
	t->flags |= NF_T_REF;
	while (cur_has(c, t->min_len)) {
		if (!decode_record(t, cx, c, &v))
			return false;
		(*nall)++;
		if (t->flags & NF_T_OPTIONS) {
			apply_options(nf, e, &v);
			continue;
		}
		(*nflows)++;
		if (make_record(nf, cx, e, t->flags, &v, &r))
			emit(nf, &r);
		else
			*noaddr = true;
	}
	return true;
}

/* ---- data before its template ------------------------------------------- */

static void pend_keep(struct cap_netflow *nf, const struct nf_ctx *cx,
                      uint16_t id, const struct cap_cursor *body)
{
	if (body->len > NF_PEND_BYTES)
		return; /* stays counted */
	struct nf_pend *s = &nf->pend[nf->pend_next];
	nf->pend_next = (nf->pend_next + 1) % NF_PEND_SLOTS;
	if (!s->exporter)
		nf->npend++;
	s->exporter = cx->exporter + 1;
	s->id = id;
	s->version = cx->version;
	s->cx = *cx;
	struct cap_cursor b = *body;
	s->len = (uint16_t)b.len;
	if (!cur_bytes(&b, s->data, b.len))
		s->len = 0; /* not reached: len bytes are there */
}

/* The kept sets of a template just defined, oldest first. */
static void pend_replay(struct cap_netflow *nf, uint32_t exporter,
                        uint8_t version, uint16_t id, struct nf_tmpl *t)
{
	for (uint32_t k = 0; k < NF_PEND_SLOTS && nf->npend; k++) {
		struct nf_pend *s = &nf->pend[(nf->pend_next + k) % NF_PEND_SLOTS];
		if (s->exporter != exporter + 1 || s->id != id ||
		    s->version != version)
			continue;
		struct cap_cursor c;
		uint32_t nall = 0, nflows = 0;
		bool noaddr = false;
		cur_init(&c, s->data, s->len);
		s->exporter = 0;
		nf->npend--;
		if (nf->rs->templates_missing)
			nf->rs->templates_missing--;
		if (!data_records(nf, &s->cx, t, &c, &nall, &nflows, &noaddr) ||
		    noaddr)
			nf->rs->malformed++;
	}
}

/* ---- templates ---------------------------------------------------------- */

enum nf_class { C_UINT, C_ADDR4, C_ADDR6, C_NTP };

/* What a field fills: code, arg and the length class it needs. */
static void field_op(uint16_t ie, bool reverse, struct nf_op *op,
                     enum nf_class *cl)
{
	op->code = OP_SKIP;
	op->arg = 0;
	*cl = C_UINT;
	unsigned rev = reverse ? 1 : 0;
	switch (ie) {
	case 1: /* octetDeltaCount */
	case 2: /* packetDeltaCount */
	case 85: /* octetTotalCount */
	case 86: /* packetTotalCount */
	case 23: /* postOctetDeltaCount */
	case 24: { /* postPacketDeltaCount */
		unsigned bytes = ie == 1 || ie == 85 || ie == 23;
		unsigned rank = ie <= 2 ? 0 : ie >= 85 ? 1 : 2;
		op->code = OP_CNT;
		op->arg = (uint8_t)(rev << 3 | bytes << 2 | rank);
		return;
	}
	case 6: /* tcpControlBits */
		op->code = OP_FLAGS;
		op->arg = (uint8_t)rev;
		return;
	case 21: /* flowEndSysUpTime */
	case 22: /* flowStartSysUpTime */
		op->code = OP_TIME;
		op->arg = (uint8_t)(rev << 4 | (ie == 21 ? 8u : 0u) | T_UPTIME);
		return;
	case 150: case 151: /* flowStart/EndSeconds */
	case 152: case 153: /* Milliseconds */
	case 154: case 155: /* Microseconds */
	case 156: case 157: { /* Nanoseconds */
		static const uint8_t unit[4] = { T_S, T_MS, T_US, T_NS };
		unsigned u = unit[(ie - 150) / 2];
		op->code = OP_TIME;
		op->arg = (uint8_t)(rev << 4 | (ie & 1u) << 3 | u);
		if (u == T_US || u == T_NS)
			*cl = C_NTP;
		return;
	}
	case 158: /* flowStartDeltaMicroseconds */
	case 159: /* flowEndDeltaMicroseconds */
		op->code = OP_TIME;
		op->arg = (uint8_t)(rev << 4 | (ie == 159 ? 8u : 0u) | T_DELTA);
		return;
	default:
		break;
	}
	if (reverse)
		return; /* other reverse elements: not used */
	switch (ie) {
	case 4:
		op->code = OP_PROTO;
		break;
	case 7:
	case 180: /* udpSourcePort */
	case 182: /* tcpSourcePort */
		op->code = OP_SPORT;
		op->arg = ie != 7;
		break;
	case 11:
	case 181:
	case 183:
		op->code = OP_DPORT;
		op->arg = ie != 11;
		break;
	case 8:
		op->code = OP_SRC4;
		*cl = C_ADDR4;
		break;
	case 12:
		op->code = OP_DST4;
		*cl = C_ADDR4;
		break;
	case 27:
		op->code = OP_SRC6;
		*cl = C_ADDR6;
		break;
	case 28:
		op->code = OP_DST6;
		*cl = C_ADDR6;
		break;
	case 32: /* icmpTypeCodeIPv4 */
	case 139: /* icmpTypeCodeIPv6 */
		op->code = OP_ICMP;
		break;
	case 176: /* icmpTypeIPv4 */
	case 178:
		op->code = OP_ICMP_TYPE;
		break;
	case 177: /* icmpCodeIPv4 */
	case 179:
		op->code = OP_ICMP_CODE;
		break;
	case 58: /* vlanId */
	case 243: /* dot1qVlanId */
		op->code = OP_VLAN;
		op->arg = ie == 243;
		break;
	case 239: /* biflowDirection */
		op->code = OP_DIR;
		break;
	case 160: /* systemInitTimeMilliseconds */
		op->code = OP_SYSINIT;
		break;
	case 161: /* flowDurationMilliseconds */
	case 162: /* flowDurationMicroseconds */
		op->code = OP_DUR;
		op->arg = ie == 162;
		break;
	case 34:
		op->code = OP_SAMP;
		op->arg = S_INTERVAL;
		break;
	case 50:
		op->code = OP_SAMP;
		op->arg = S_RANDOM;
		break;
	case 305:
		op->code = OP_SAMP;
		op->arg = S_PKT_INTERVAL;
		break;
	case 306:
		op->code = OP_SAMP;
		op->arg = S_PKT_SPACE;
		break;
	case 309:
		op->code = OP_SAMP;
		op->arg = S_SIZE;
		break;
	case 310:
		op->code = OP_SAMP;
		op->arg = S_POPULATION;
		break;
	default:
		break;
	}
}

static bool class_fits(enum nf_class cl, uint16_t len)
{
	switch (cl) {
	case C_ADDR4:
		return len == 4;
	case C_ADDR6:
		return len == 16;
	case C_NTP:
		return len == 8;
	default:
		return len >= 1 && len <= 8;
	}
}

/* Append one field to t. False when t has no room. */
static bool compile_field(struct nf_tmpl *t, uint16_t ie, uint32_t pen,
                          bool enterprise, bool scope_v9, uint16_t len,
                          bool *odd)
{
	struct nf_op op;
	enum nf_class cl;
	if (len == NF_VARLEN) {
		if (t->nops >= NF_MAX_OPS)
			return false;
		t->ops[t->nops].code = OP_VAR;
		t->ops[t->nops].arg = 0;
		t->ops[t->nops].len = 0;
		t->nops++;
		t->min_len += 1;
		return true;
	}
	t->min_len += len;
	if (scope_v9 || (enterprise && pen != NF_PEN_REVERSE)) {
		op.code = OP_SKIP;
	} else {
		field_op(ie, enterprise, &op, &cl);
		if (op.code != OP_SKIP && !class_fits(cl, len)) {
			*odd = true; /* e.g. a 16-byte IPv4 address: ignored */
			op.code = OP_SKIP;
		}
		if (op.code == OP_CNT && (op.arg & 8))
			t->flags |= NF_T_BIFLOW;
	}
	if (len == 0)
		return true;
	if (op.code == OP_SKIP && t->nops > 0) {
		struct nf_op *prev = &t->ops[t->nops - 1];
		if (prev->code == OP_SKIP && (uint32_t)prev->len + len <= 0xffffu) {
			prev->len = (uint16_t)(prev->len + len);
			return true;
		}
	}
	if (t->nops >= NF_MAX_OPS)
		return false;
	op.len = len;
	if (op.code == OP_SKIP)
		op.arg = 0;
	t->ops[t->nops++] = op;
	return true;
}

/* Store a compiled template (replacing one of the same key), then decode
 * the data kept for it. */
static void tp_store(struct cap_netflow *nf, const struct nf_ctx *cx,
                     const struct nf_tmpl *src)
{
	uint32_t tag = tp_tag(nf, cx->exporter, src->id, cx->version);
	uint64_t i = tp_slot(nf, cx->exporter + 1, src->id, cx->version, tag);
	struct nf_tmpl *t;
	if (nf->tp_slots[i].idx) {
		t = &nf->tp[nf->tp_slots[i].idx - 1];
		nf->ex[cx->exporter].ntemplates[t->flags & NF_T_OPTIONS]--;
	} else {
		t = tp_alloc(nf);
		/* an eviction may have moved slots: probe again */
		i = tp_slot(nf, cx->exporter + 1, src->id, cx->version, tag);
		nf->tp_slots[i].tag = tag;
		nf->tp_slots[i].idx = (uint32_t)(t - nf->tp) + 1;
	}
	*t = *src;
	t->exporter = cx->exporter + 1;
	t->version = cx->version;
	t->tag = tag;
	t->flags |= NF_T_REF;
	nf->ex[cx->exporter].ntemplates[t->flags & NF_T_OPTIONS]++;
	if (nf->npend)
		pend_replay(nf, cx->exporter, cx->version, t->id, t);
}

/* A template set (v9 flowset 0, IPFIX set 2) or an IPFIX options template
 * set (3). False when it does not parse (the rest of it is skipped). */
static bool template_set(struct cap_netflow *nf, struct nf_dg *dg,
                         struct cap_cursor *c, bool options)
{
	bool ipfix = dg->cx.version == 10;
	struct nf_tmpl t;
	while (c->len >= 4) {
		if (rest_zero(c))
			return true; /* padding */
		const uint8_t *h = cur_take(c, 4);
		uint16_t id = rd_be16(h), count = rd_be16(h + 2), scope = 0;
		if (count == 0) {
			/* IPFIX withdrawal: one template, or all of the kind
			 * (template id = the set id) */
			if (!ipfix)
				return false;
			uint16_t kind = options ? 3 : 2;
			if (id != kind && id < 256)
				return false;
			tp_withdraw(nf, dg->cx.exporter, 10, id, id == kind,
			            options);
			continue;
		}
		if (id < 256)
			return false;
		if (options) {
			if (!cur_be16(c, &scope))
				return false;
			if (scope == 0 || scope > count)
				return false;
		}
		memset(&t, 0, sizeof t);
		t.id = id;
		t.flags = options ? NF_T_OPTIONS : 0;
		bool odd = false;
		for (uint16_t k = 0; k < count; k++) {
			uint16_t ie, len;
			uint32_t pen = 0;
			if (!cur_be16(c, &ie) || !cur_be16(c, &len))
				return false;
			bool ent = ipfix && (ie & 0x8000u);
			if (ent && !cur_be32(c, &pen))
				return false;
			if (ent)
				ie &= 0x7fff;
			if (!compile_field(&t, ie, pen, ent, false, len, &odd))
				return false;
		}
		if (odd)
			dg->bad = true;
		if (t.min_len == 0)
			return false; /* no record could ever be read */
		tp_store(nf, &dg->cx, &t);
	}
	return true; /* fewer than 4 bytes left: padding */
}

/* A v9 options template flowset (1): scope and option fields given by
 * their lengths in bytes; scope types (system, interface...) are not
 * information elements, so their fields are skipped. */
static bool options_set_v9(struct cap_netflow *nf, struct nf_dg *dg,
                           struct cap_cursor *c)
{
	struct nf_tmpl t;
	while (c->len >= 6) {
		if (rest_zero(c))
			return true; /* padding */
		const uint8_t *h = cur_take(c, 6);
		uint16_t id = rd_be16(h), slen = rd_be16(h + 2),
		         olen = rd_be16(h + 4);
		if (id < 256 || slen % 4 || olen % 4 || slen + olen == 0)
			return false;
		memset(&t, 0, sizeof t);
		t.id = id;
		t.flags = NF_T_OPTIONS;
		bool odd = false;
		unsigned nscope = slen / 4u, n = nscope + olen / 4u;
		for (unsigned k = 0; k < n; k++) {
			uint16_t ie, len;
			if (!cur_be16(c, &ie) || !cur_be16(c, &len))
				return false;
			if (!compile_field(&t, ie, 0, false, k < nscope, len, &odd))
				return false;
		}
		if (odd)
			dg->bad = true;
		if (t.min_len == 0)
			return false;
		tp_store(nf, &dg->cx, &t);
	}
	return true;
}

static void data_set(struct cap_netflow *nf, struct nf_dg *dg, uint16_t id,
                     struct cap_cursor *c)
{
	struct nf_tmpl *t = tp_find(nf, dg->cx.exporter, id, dg->cx.version);
	if (!t) {
		nf->rs->templates_missing++;
		dg->count_known = false;
		pend_keep(nf, &dg->cx, id, c);
		return;
	}
	bool noaddr = false;
	if (!data_records(nf, &dg->cx, t, c, &dg->nall, &dg->nflows, &noaddr)) {
		dg->bad = true;
		dg->count_known = false;
	}
	if (noaddr)
		dg->bad = true;
}

/* The sets of a v9 or IPFIX message after its header. */
static void sets(struct cap_netflow *nf, struct nf_dg *dg, struct cap_cursor *c)
{
	bool ipfix = dg->cx.version == 10;
	while (c->len > 0) {
		const uint8_t *h = cur_take(c, NF_SET_HDR);
		if (!h)
			goto bad; /* 1-3 trailing bytes */
		uint16_t id = rd_be16(h), len = rd_be16(h + 2);
		struct cap_cursor body;
		if (len < NF_SET_HDR || !cur_sub(c, len - NF_SET_HDR, &body))
			goto bad; /* the rest cannot be found */
		bool ok = true;
		if (id >= 256)
			data_set(nf, dg, id, &body);
		else if (id == (ipfix ? 2 : 0))
			ok = template_set(nf, dg, &body, false);
		else if (ipfix && id == 3)
			ok = template_set(nf, dg, &body, true);
		else if (!ipfix && id == 1)
			ok = options_set_v9(nf, dg, &body);
		else
			ok = false; /* a reserved set id */
		if (!ok)
			dg->bad = true;
	}
	return;
bad:
	dg->bad = true;
	dg->count_known = false;
}

/* ---- the three versions ------------------------------------------------- */

static uint64_t export_ns(uint32_t secs, uint32_t nsecs, uint64_t now_ns)
{
	if (secs == 0)
		return now_ns; /* an exporter without a clock */
	if (nsecs >= CAP_NS_PER_S)
		nsecs = (uint32_t)(CAP_NS_PER_S - 1);
	return (uint64_t)secs * CAP_NS_PER_S + nsecs;
}

static bool v5(struct cap_netflow *nf, uint8_t family, const uint8_t *from,
               struct cap_cursor *c, uint64_t now_ns)
{
	const uint8_t *h = cur_take(c, NF_V5_HDR);
	if (!h)
		return false;
	uint16_t count = rd_be16(h + 2);
	if (c->len / NF_V5_REC < count)
		return false;
	uint32_t domain = (uint32_t)h[20] << 8 | h[21]; /* engine type, id */
	struct nf_exporter *e = ex_get(nf, family, from, domain);
	if (!e)
		return true;
	struct nf_ctx cx = {
		.exporter = ex_index(nf, e),
		.version = 5,
		.has_uptime = true,
		.uptime_ms = rd_be32(h + 4),
		.export_ns = export_ns(rd_be32(h + 8), rd_be32(h + 12), now_ns),
	};
	uint32_t rate = rd_be16(h + 22) & 0x3fffu;
	e->sampling = rate;
	struct nf_vals none;
	memset(&none, 0, sizeof none);
	for (uint16_t i = 0; i < count; i++) {
		const uint8_t *p = cur_take(c, NF_V5_REC);
		struct cap_record r;
		if (!p)
			return false; /* not reached: the count was checked */
		memset(&r, 0, sizeof r);
		r.family = 4;
		memcpy(r.src, p, 4);
		memcpy(r.dst, p + 4, 4);
		r.pkts = rd_be32(p + 16);
		r.bytes = rd_be32(p + 20);
		r.first_ns = uptime_ns(&cx, e, &none, rd_be32(p + 24));
		r.last_ns = uptime_ns(&cx, e, &none, rd_be32(p + 28));
		r.proto = p[38];
		r.sport = is_icmp(r.proto) ? 0 : rd_be16(p + 32);
		r.dport = rd_be16(p + 34);
		r.tcp_flags = p[37];
		r.direction = -1;
		r.exporter = cx.exporter;
		r.sampling = rate;
		emit(nf, &r);
	}
	sequence(nf, e, 5, rd_be32(h + 16), count, count, true);
	return true;
}

static bool v9(struct cap_netflow *nf, uint8_t family, const uint8_t *from,
               struct cap_cursor *c, uint64_t now_ns)
{
	const uint8_t *h = cur_take(c, NF_V9_HDR);
	if (!h)
		return false;
	struct nf_exporter *e = ex_get(nf, family, from, rd_be32(h + 16));
	if (!e)
		return true;
	struct nf_dg dg = {
		.cx = {
			.exporter = ex_index(nf, e),
			.version = 9,
			.has_uptime = true,
			.uptime_ms = rd_be32(h + 4),
			.export_ns = export_ns(rd_be32(h + 8), 0, now_ns),
		},
		.count_known = true,
	};
	sets(nf, &dg, c);
	/* v9 numbers export packets: one, whatever was in it */
	sequence(nf, e, 9, rd_be32(h + 12), 1, 1, true);
	return !dg.bad;
}

static bool ipfix(struct cap_netflow *nf, uint8_t family, const uint8_t *from,
                  struct cap_cursor *c, uint64_t now_ns)
{
	const uint8_t *h = cur_take(c, NF_IPFIX_HDR);
	if (!h)
		return false;
	uint16_t len = rd_be16(h + 2);
	if (len < NF_IPFIX_HDR || (size_t)(len - NF_IPFIX_HDR) > c->len)
		return false;
	cur_narrow(c, len - NF_IPFIX_HDR);
	struct nf_exporter *e = ex_get(nf, family, from, rd_be32(h + 12));
	if (!e)
		return true;
	struct nf_dg dg = {
		.cx = {
			.exporter = ex_index(nf, e),
			.version = 10,
			.export_ns = export_ns(rd_be32(h + 4), 0, now_ns),
		},
		.count_known = true,
	};
	sets(nf, &dg, c);
	sequence(nf, e, 10, rd_be32(h + 8), dg.nall, dg.nflows,
	         dg.count_known);
	return !dg.bad;
}

/* ---- the interface ------------------------------------------------------ */

static uint64_t slots_for(uint32_t n)
{
	uint64_t s = 16;
	while (s < 2ull * n)
		s <<= 1;
	return s;
}

struct cap_netflow *cap_netflow_new(struct cap_pairer *p,
                                    struct cap_rec_stats *rs,
                                    uint32_t max_templates,
                                    uint32_t max_exporters)
{
	if (!rs)
		return NULL;
	if (max_templates == 0)
		max_templates = NF_DEFAULT_TEMPLATES;
	if (max_exporters == 0)
		max_exporters = NF_DEFAULT_EXPORTERS;
	if (max_templates > NF_MAX_TABLE)
		max_templates = NF_MAX_TABLE;
	if (max_exporters > NF_MAX_TABLE)
		max_exporters = NF_MAX_TABLE;
	struct cap_netflow *nf = calloc(1, sizeof *nf);
	if (!nf)
		return NULL;
	nf->pairer = p;
	nf->rs = rs;
	nf->max_ex = max_exporters;
	nf->max_tp = max_templates;
	uint64_t exs = slots_for(max_exporters), tps = slots_for(max_templates);
	nf->ex_mask = exs - 1;
	nf->tp_mask = tps - 1;
	nf->ex = calloc(max_exporters, sizeof *nf->ex);
	nf->ex_slots = calloc(exs, sizeof *nf->ex_slots);
	nf->tp = calloc(max_templates, sizeof *nf->tp);
	nf->tp_slots = calloc(tps, sizeof *nf->tp_slots);
	nf->tp_free = calloc(max_templates, sizeof *nf->tp_free);
	nf->pend = calloc(NF_PEND_SLOTS, sizeof *nf->pend);
	if (!nf->ex || !nf->ex_slots || !nf->tp || !nf->tp_slots ||
	    !nf->tp_free || !nf->pend) {
		cap_netflow_free(nf);
		return NULL;
	}
	cap_random(&nf->seed, sizeof nf->seed);
	return nf;
}

void cap_netflow_datagram(struct cap_netflow *nf, uint8_t family,
                          const uint8_t *from, uint16_t from_port,
                          const uint8_t *data, size_t len, uint64_t now_ns)
{
	(void)from_port; /* not part of an exporter's identity */
	if (!nf)
		return;
	struct cap_cursor c;
	uint8_t v[2];
	bool ok = false;
	cur_init(&c, data, len);
	if ((family == 4 || family == 6) && from && cur_peek_u8(&c, 0, &v[0]) &&
	    cur_peek_u8(&c, 1, &v[1])) {
		switch (v[0] << 8 | v[1]) {
		case 5:
			ok = v5(nf, family, from, &c, now_ns);
			break;
		case 9:
			ok = v9(nf, family, from, &c, now_ns);
			break;
		case 10:
			ok = ipfix(nf, family, from, &c, now_ns);
			break;
		default:
			break;
		}
	}
	if (!ok)
		nf->rs->malformed++;
}

void cap_netflow_free(struct cap_netflow *nf)
{
	if (!nf)
		return;
	free(nf->ex);
	free(nf->ex_slots);
	free(nf->tp);
	free(nf->tp_slots);
	free(nf->tp_free);
	free(nf->pend);
	free(nf);
}
