/*
 * cls_int.h -- classify/ internal: the state shared by classify's files.
 *
 * Design. struct cls holds everything one classification run needs, sized
 * in cls_new(): the port tables (match.c), the server set and the flow
 * buffer used while servers are still being inferred (servers.c), the
 * aggregated findings and their hash index (findings.c), and the DCE/RPC
 * control-port contacts and pending dynamic-port flows (epm.c). Nothing
 * outside classify/ includes this header, except classify's unit tests.
 */
#ifndef PORTAUDIT_CLASSIFY_INT_H
#define PORTAUDIT_CLASSIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

#define CLS_BUFFER_MAX (1u << 18) /* flows held while servers are inferred */
#define CLS_PENDING_MAX 4096      /* dynamic-port flows awaiting their 135 */
#define CLS_PEND_BUCKETS 4096     /* counting filter over their (server, peer) */
#define CLS_PENDING_GRACE_S 3600  /* held flows expire past window + this */
#define CLS_PEND_NIL UINT32_MAX

/* The held flows of one (server, peer) bucket (epm.c): first and last. */
struct cls_pchain {
	uint32_t head, tail;     /* indexes into pending, CLS_PEND_NIL */
};

/* A held flow's place in the chain of its (server, peer) bucket. */
struct cls_plink {
	uint32_t prev, next;     /* indexes into pending, CLS_PEND_NIL */
	uint32_t bucket;
};
#define CLS_CTRL_MAX 4096         /* (server, peer) control-port contacts */
#define CLS_CTRL_INDEX (2 * CLS_CTRL_MAX) /* their index's slots (load <= .5) */
#define CLS_CTRL_EPM 4            /* endpoint-mapper ports kept per contact */
#define CLS_SCAN_BITMAPS 256      /* exact distinct-port sets for scans */
#define CLS_DROPPED_KEYS 65536    /* keys of dropped findings (findings.c) */
#define CLS_SCAN_DROPPED (-2)     /* a pair's scan finding was evicted */
#define CLS_FLOOD_PEERS 16        /* > this many peers of one server port:
                                   * a flood, one finding */
#define CLS_PEERSET (1u << 17)    /* (flood, peer) keys remembered: the
                                   * peers of floods are exact up to half
                                   * this many keys, then every flow counts */
#define CLS_GROUPS_MAX 256        /* service groups (groups.c) */
#define CLS_GROUP_INDEX 512       /* their index's slots (load <= .5) */
#define CLS_TIE_MAX 128           /* rows of one tie considered */

struct cls_gslot {               /* one slot of the group index */
	uint64_t hash;               /* of the member list; 0 empty */
	uint32_t group;              /* 1 + index into res.groups */
};

/* Port table: for each port, the list of candidate service indexes,
 * list[start[p] .. start[p] + count[p]). Ports whose candidates are the
 * same (a run between two range ends) share one list (match.c). */
struct cls_ptab {
	uint32_t *start; /* [65536] */
	uint16_t *count; /* [65536] */
	uint16_t *list;
	uint32_t total;  /* entries in list; 0: no port has a candidate */
};

/* One aggregated finding under construction (findings.c). */
struct cls_fslot {
	uint64_t hash;
	int32_t next;       /* hash chain */
	int32_t pair_next;  /* list of the pair's individual findings */
	int32_t pair;       /* index into pairs, -1 none */
	int32_t kprev, knext; /* the live findings of its kind, oldest first */
	int32_t target;     /* index into targets, -1 none */
	int32_t target_next;/* list of the target's individual findings */
	bool dead;          /* folded into a scan or flood finding, or evicted */
	bool is_scan;
	bool is_flood;
};

/* (kind, service or group, server, proto, port, side): the peers that one
 * port of a server sees, for floods (findings.c). */
struct cls_target {
	uint64_t hash;
	int32_t next;
	uint8_t kind, family, proto;
	bool server_initiated;
	int32_t service;
	uint32_t group;
	uint8_t server[16];
	uint16_t port;
	uint32_t nindividual; /* live individual findings, one peer each */
	int32_t head;         /* first individual finding */
	int32_t flood;        /* the flood finding, -1 none, CLS_SCAN_DROPPED */
};

/* (server, peer, proto, side): counts the distinct unexpected ports. */
struct cls_pair {
	uint64_t hash;
	int32_t next;
	uint8_t family, proto;
	bool server_initiated;
	uint8_t server[16], peer[16];
	uint32_t nindividual; /* live individual unexpected findings */
	uint32_t ndropped;    /* its individual findings counted as dropped */
	int32_t head;         /* first individual finding */
	int32_t scan;         /* the scan finding, -1 none, CLS_SCAN_DROPPED */
	uint8_t *bitmap;      /* distinct ports of the scan, or NULL */
};

struct cls_ctrl { /* one (server, peer) contact with a control port */
	uint32_t hash;    /* of (family, server, peer): its index position */
	int32_t older, newer; /* contacts by last update (eviction order) */
	uint8_t family;
	uint8_t server[16], peer[16];
	uint16_t control;
	int32_t service;  /* service of the control flow */
	uint64_t first_ns, last_ns;
	uint16_t epm[CLS_CTRL_EPM];
	uint8_t nepm;
};

/* The server set's index (servers.c): each server's prefix, masked to its
 * length, hashed with the length into an open-addressing table of
 * cap_islot (load <= 0.5, grown by doubling); per family, the prefix
 * lengths present, longest first. A lookup hashes the address once per
 * length present -- once when every server is a host -- whatever the
 * number of servers. */
struct cls_sindex {
	struct cap_islot *slot;  /* [mask + 1], or NULL before the first */
	uint32_t mask;
	uint32_t n;              /* prefixes indexed (duplicates are not) */
	uint32_t nlen[2][129];   /* [family 4, 6][len]: prefixes indexed */
	uint8_t lens[2][129];    /* the lengths present, longest first */
	uint8_t nlens[2];
};

struct cls_dev { /* a device listed for a product in the profile */
	const struct cat_prefix *pfx;
};

/* devices.c: a product's listed devices, indexed for lookups that do not
 * grow with the list. */
struct cls_dent {
	uint8_t family, len;
	uint8_t addr[16];     /* masked to len */
	uint32_t j;           /* its position in the profile's list */
};
struct cls_devidx {
	struct cls_dent *e;   /* sorted by family, len, addr, j */
	uint32_t n;
	uint8_t lens[2][129]; /* the lengths present, longest first */
	uint8_t nlens[2];
	uint32_t *owner;      /* [ndevices]: the first listed device whose
	                       * prefix holds it (itself when none) */
};
int cls_devidx_build(struct cls_devidx *x, const struct cat_profile_product *pp);
void cls_devidx_free(struct cls_devidx *x);
/* The listed devices holding address a, each given to fn (its position
 * in the list); with fn NULL, stops at the first. Returns how many. */
uint32_t cls_devidx_match(const struct cls_devidx *x, uint8_t family,
                          const uint8_t *a, void (*fn)(void *, uint32_t),
                          void *ctx);

struct cls {
	uint64_t unsure[3];      /* flows judged W_UNSURE, by cls_unsure_of:
	                          * capture end, sampled, reply not captured */
	bool sampled;            /* sampled records (cls_finish): no missing */
	const struct cat_model *m;
	const struct catalog *cat;
	struct cls_options opt;
	uint32_t nsvc;
	uint64_t window_ns;
	uint32_t max_findings;

	struct cls_ptab tab[2];  /* [0] TCP, [1] UDP */
	struct cls_ptab dyn[2];  /* dynamic ranges */
	bool has_dyn;

	/* Per service: the profile product entry listing devices, or NULL,
	 * and its index (devices.c); one index per profile product. */
	const struct cat_profile_product **devs;
	const struct cls_devidx **dix;
	struct cls_devidx *didx;   /* [prof->nproducts] */
	uint32_t ndidx;
	/* Per service with listed devices: for device j, the requirements
	 * (bit r) attempted with it. */
	uint32_t *dev_off;       /* [nsvc]: offset into dev_req */
	uint32_t *dev_req;
	uint32_t *req_tried;     /* [nsvc]: requirement bits with an attempt */
	uint64_t *attempts;      /* [nsvc]: flows judged expected or blocked */

	/* Servers. */
	bool servers_known;      /* given, or settled by inference */
	bool given;
	uint32_t settled_early;  /* servers settled after this many flows */
	struct cls_sindex sidx;  /* res.servers by prefix (servers.c) */
	uint32_t given_over;     /* servers given past CLS_MAX_SERVERS */
	uint64_t infer_over;     /* base-port acceptances and interface
	                          * addresses of hosts not taken: the limit */
	bool servers_nomem;      /* a server was not taken: out of memory */
	struct cls_flow_buf {
		struct cap_flow *v;
		uint32_t n, cap;
		uint64_t dropped;
	} buf;

	/* Findings. */
	struct cls_fslot *fs;
	uint32_t fcap;           /* allocated slots (grows up to max) */
	int32_t *fbucket;
	uint32_t fbuckets;       /* power of two */
	struct cls_pair *pairs;
	uint32_t npairs, pcap;
	int32_t *pbucket;
	uint32_t pbuckets;
	int32_t khead[CLS_K_COUNT], ktail[CLS_K_COUNT]; /* live, per kind */
	struct cls_target *targets;
	uint32_t ntargets, tcap;
	int32_t *tbucket;        /* [pbuckets] */
	bool target_failed;      /* a target could not be stored (memory) */
	uint64_t *peerset;       /* [CLS_PEERSET]: (flood, peer) hashes */
	uint32_t npeerset;
	uint32_t nbitmaps;
	int32_t ffree;           /* free list of folded slots */
	uint32_t nlive;          /* findings stored and not folded */
	uint64_t *dropped;       /* keys of dropped findings */
	uint32_t ndropped_keys;  /* keys in it */
	uint64_t scan_flows;
	uint64_t flood_flows;    /* flows folded into a flood finding */
	/* Counted per flow because a table of distinct keys was full, so the
	 * count is an upper bound (a caveat says so): flood peers past
	 * CLS_PEERSET / 2, ports of scans past the first CLS_SCAN_BITMAPS
	 * scanning pairs, dropped findings past CLS_DROPPED_KEYS / 2 keys. */
	uint64_t approx_peers, approx_ports, approx_dropped;
	int32_t last_pair;       /* pair of the last unexpected flow, -1 */
	bool pair_failed;        /* a pair could not be stored (memory) */

	/* Dynamic ports. */
	struct cls_ctrl *ctrl;   /* [CLS_CTRL_MAX] */
	struct cap_islot *ctrl_index; /* [CLS_CTRL_INDEX] */
	int32_t ctrl_oldest, ctrl_newest; /* least/most recently updated */
	uint64_t ctrl_evicted;   /* contacts dropped when the table was full */
	struct cap_flow *pending;/* [CLS_PENDING_MAX] */
	struct cls_plink *plink; /* [CLS_PENDING_MAX]: each held flow's chain */
	struct cls_pchain *pend_chain; /* [CLS_PEND_BUCKETS]: held flows of a
	                          * pair bucket, oldest first */
	uint32_t npending;
	uint64_t pend_gen;       /* bumped by every hold and removal */
	uint32_t nctrl;          /* contacts recorded */
	uint64_t now_ns;         /* latest flow end seen */
	uint64_t flow_ids;       /* the last flow_id given (emit) */
	uint64_t pending_check_ns;
	uint64_t pending_dropped;

	/* Capture-wide observations. */
	uint64_t tcp_flows, tcp_oneside, other_twoway;
	uint64_t dropped_pkts;
	bool finished;

	struct cls_filter *filter; /* the compiled capture filter, or NULL */

	struct cls_gslot *gindex;  /* [CLS_GROUP_INDEX] (groups.c) */
	uint64_t groups_full;      /* ties attributed alone: no group left */

	/* The last address written for each side of a flow's reason: a scan
	 * or a busy client repeats them flow after flow. */
	struct cls_addr_memo {
		uint8_t family;  /* 0: empty */
		uint8_t addr[16];
		uint8_t len;     /* strlen(s) */
		char s[64];
	} memo[2];

	struct cls_result res;
	_Atomic uint64_t found;  /* findings kept and dropped so far, for
	                          * cls_status on another thread */
	uint64_t seed;           /* of cap_hash, random per run (cap_random) */
};

/* words.c */
void cls_addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len);
/* snprintf for reasons: %s, %.Ns, %u, %lu, %llu only; may truncate. */
__attribute__((format(printf, 3, 4)))
void cls_fmt(char *buf, size_t len, const char *fmt, ...);

/* The sentence of a missing finding: requirement q of s, for the listed
 * device dev (or any peer when NULL), naming the n listed hosts inside a
 * listed prefix that are silent with it. */
void cls_words_missing(char *buf, size_t len, const struct cat_service *s,
                       const struct cat_req *q, const struct cat_prefix *dev,
                       const struct cat_prefix *const *inside, unsigned n);

/* Why nothing was audited (cls_decide): no packet, no server, or the
 * servers never appear. */
void cls_words_not_audited(const struct cls_result *res,
                           const struct cap_stats *st, char *buf,
                           size_t len);

/* words.c: the sentence of a flood finding (npeers peers, one port). */
void cls_flood_reason(const struct cls *c, struct cls_finding *fd);

/* groups.c */
int cls_groups_init(struct cls *c);
void cls_groups_free(struct cls *c);
/* The group of exactly these rows (catalog order, n >= 2), made if new:
 * 1 + its index, or 0 when n < 2 or no group can be made. */
uint32_t cls_group_get(struct cls *c, const uint16_t *m, uint32_t n,
                       const struct cap_flow *f);

/* match.c */
int cls_tables_build(struct cls *c);
void cls_tables_free(struct cls *c);
/* Candidates for (proto 6/17, port); returns the count, sets *list. */
uint32_t cls_candidates(const struct cls *c, uint8_t proto, uint16_t port,
                        bool dynamic, const uint16_t **list);

/* servers.c */
/* Take the servers given (cls_options), up to CLS_MAX_SERVERS. 0, or -1
 * when out of memory. */
int cls_servers_given(struct cls *c, const struct cls_server *v, uint32_t n);
void cls_servers_free(struct cls *c);
void cls_servers_caveats(struct cls *c);
bool cls_addr_in(uint8_t family, const uint8_t *pfx, uint8_t len,
                 uint8_t afamily, const uint8_t *a);
int32_t cls_server_of(const struct cls *c, uint8_t family, const uint8_t *a);
bool cls_is_multicast(uint8_t family, const uint8_t *a);
/* Multicast, or the IPv4 limited broadcast: receives, never initiates. */
bool cls_is_group(uint8_t family, const uint8_t *a);
int cls_buffer_flow(struct cls *c, const struct cap_flow *f);
void cls_infer_servers(struct cls *c, const struct cap_stats *st);
void cls_flow_classify(struct cls *c, const struct cap_flow *f);

/* What a flow's reason says (struct cls_reason.why): words.c words it. */
enum cls_why {
	W_FIXED = 0,     /* reason.text is the sentence */
	W_NOT_L4,        /* neither TCP nor UDP */
	W_NO_SERVICE,    /* no catalog service uses the port */
	W_RESERVED,
	W_LOCAL_OK,
	W_LOCAL_CROSS,
	W_DISABLED,
	W_WRONG_OUT,
	W_WRONG_IN,
	W_NOT_DEVICE,
	W_EXPECTED,
	W_BLOCKED,
	W_DYN_DISABLED,
	W_DYN_EPM,
	W_DYN_WINDOW,
	W_RESET_ONLY,    /* expected, but resets alone: proves nothing */
	W_UNSURE,        /* expected, no reply, but one may have gone unseen
	                  * (cls_unsure_of says why) */
};

/* A flow's reason, worded only when someone reads it (cls_reason_text):
 * the flow sink, or a finding taking its first reason or a new outcome.
 * Most flows of a flood fold into a finding that has its reason already,
 * and without a sink no one reads an expected flow's reason. */
struct cls_reason {
	struct cls *c;
	const struct cap_flow *f;    /* as judged (maybe turned round) */
	const struct cat_service *s; /* the service the reason names */
	const struct cls_group *g;   /* its group, named instead, or NULL */
	enum cls_why why;            /* what to say (words.c) */
	bool a_srv, b_srv;           /* initiator / responder is a server */
	bool srv_init;               /* the server initiated */
	const char *text;            /* the sentence once worded, or fixed */
	char buf[400];
};

/* words.c: the reason's sentence, worded at the first call. */
const char *cls_reason_text(struct cls_reason *r);

/* findings.c */
int cls_findings_init(struct cls *c);
void cls_findings_free(struct cls *c);
/* Fold one flow of a non-expected verdict into its finding. The reason
 * is worded only if the finding needs it. */
void cls_finding_add(struct cls *c, enum cls_kind kind, int32_t service,
                     uint32_t group, const struct cap_flow *f,
                     int32_t server, bool server_is_initiator,
                     uint64_t flow_id, struct cls_reason *reason);
/* A missing finding (no flow). peer may be NULL. */
void cls_finding_missing(struct cls *c, int32_t service, uint8_t family,
                         const uint8_t *peer, uint8_t peer_len,
                         uint16_t port, const char *reason);
void cls_findings_sort(struct cls *c);

/* filter.c */
enum cls_filter_answer {
	CLS_FILTER_UNKNOWN = 0,
	CLS_FILTER_PASSES,
	CLS_FILTER_EXCLUDES,
};
struct cls_filter;
/* NULL when there is no filter or it does not compile for Ethernet. */
struct cls_filter *cls_filter_new(const char *expr);
void cls_filter_free(struct cls_filter *f);
/* Would the filter keep the first packet of this flow? */
enum cls_filter_answer cls_filter_test(const struct cls_filter *f,
                                       uint8_t family, uint8_t proto,
                                       const uint8_t *src, const uint8_t *dst,
                                       uint16_t sport, uint16_t dport);

/* epm.c */
int cls_epm_init(struct cls *c);
void cls_epm_free(struct cls *c);
/* Record a control-port flow (server, peer); resolves pending flows. */
void cls_epm_control(struct cls *c, const struct cap_flow *f, int32_t service,
                     const uint8_t *server, const uint8_t *peer);
/* Service owning a dynamic-port flow by window or exact EPM port, or -1.
 * *by_epm tells which. */
int32_t cls_epm_lookup(const struct cls *c, const struct cap_flow *f,
                       const uint8_t *server, const uint8_t *peer,
                       bool *by_epm);
/* Hold a flow until its control flow arrives; false when full. */
bool cls_epm_hold(struct cls *c, const struct cap_flow *f);
/* Judge held flows whose control flow is long overdue. */
void cls_epm_expire(struct cls *c);
/* Classify every flow still held (at cls_finish). */
void cls_epm_flush(struct cls *c);

/* classify.c: decide and account one flow whose servers are known.
 * allow_hold: a dynamic-range candidate without its control contact may
 * be held back (false when resolving held flows). */
void cls_judge(struct cls *c, const struct cap_flow *f, bool allow_hold);

/* Why a flow without a reply may have had one (classify.c): the
 * capture's own word (cap_flow.reply_unsure: CAP_UNSURE_END, _SAMPLED),
 * else CLS_UNSURE_UNSEEN for a TCP attempt whose initiator acknowledged a
 * reply the capture never saw; 0 when none could have gone unseen. */
#define CLS_UNSURE_UNSEEN 3
unsigned cls_unsure_of(const struct cap_flow *f);

#endif
