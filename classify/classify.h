/*
 * classify.h -- flows judged against the port model.
 *
 * Design. cls_new() precomputes, from the applied model, per-protocol port
 * tables (65536 entries each, a small index list per port) so that matching
 * a flow costs O(1) whatever the catalog size. cls_flow() takes each finished
 * flow from capture, decides its verdict and reason, folds it into the
 * aggregated findings (a fixed-size table: overflow is counted, never
 * allocated) and the per-service counters, and hands the classified flow to
 * an optional sink (the JSON-lines and flows-CSV writers) so that every flow
 * is reported once as the flow table saw it. cls_finish() decides the
 * per-service status (observed, missing, blocked, not-seen, disabled) and
 * the missing findings, and returns the result that reports/ prints.
 * Reports never re-decide anything decided here.
 */
#ifndef PORTAUDIT_CLASSIFY_H
#define PORTAUDIT_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/capture.h"
#include "../catalog/catalog.h"

#define CLS_DEFAULT_MAX_FINDINGS 10000
#define CLS_SCAN_PORTS 16 /* > this many unexpected ports of one pair: a scan */
/* Servers given or inferred, at most: a site with more has its further
 * hosts unjudged and a caveat saying so (servers.c). */
#define CLS_MAX_SERVERS (1u << 17)
#define CLS_MAX_CAVEATS 12 /* capture-wide caveats of a result */
#define CLS_CAVEAT_LEN 320 /* bytes of one, its NUL included: room for the
                            * longest words and what they quote (cap_stats
                            * unread, stopped) */
#define CLS_FLOW_IDS 16   /* flow_ids kept per finding (its first flows) */

enum cls_verdict {
	CLS_V_EXPECTED = 0,
	CLS_V_UNEXPECTED,
	CLS_V_VIOLATION,
	CLS_V_BLOCKED,
	CLS_V_NONE,      /* the flow touches no monitored server */
};

enum cls_kind { /* finding kinds; also the --fail-on bits (1 << kind) */
	CLS_K_UNEXPECTED = 0,
	CLS_K_VIOLATION,
	CLS_K_BLOCKED,
	CLS_K_MISSING,
	CLS_K_COUNT
};

enum cls_status {
	CLS_S_OBSERVED = 0,
	CLS_S_MISSING,   /* required, no flow */
	CLS_S_BLOCKED,   /* flows seen, none succeeded */
	CLS_S_NOT_SEEN,  /* not required, no flow */
	CLS_S_DISABLED,  /* its condition or product is off in the profile */
	CLS_S_VIOLATED,  /* seen only in violation of its rule */
};

/* The verdict of the whole audit: what the banner, the terminal line, the
 * JSON summary and the exit status say. cls_decide() decides it. */
enum cls_overall {
	CLS_COMPLIANT = 0,
	CLS_NOT_COMPLIANT,
	CLS_NOT_AUDITED,   /* nothing was checked: no packet, no server flow */
};

/* Exit statuses of an audit (and of merge). 2 is a usage, input or system
 * error, decided before any verdict. */
#define CLS_EXIT_COMPLIANT 0
#define CLS_EXIT_FINDINGS 1
#define CLS_EXIT_ERROR 2
#define CLS_EXIT_NOT_AUDITED 3

const char *cls_verdict_name(enum cls_verdict v); /* "expected" ... */
/* "compliant", "not-compliant", "not-audited" */
const char *cls_overall_name(enum cls_overall v);
const char *cls_kind_name(enum cls_kind k);       /* "unexpected" ... */
const char *cls_status_name(enum cls_status s);   /* "observed" ... */
/* Parse "--fail-on" ("all", "none", "blocked,missing"): bit mask of
 * 1 << kind, or -1 on an unknown word. */
int cls_parse_fail_on(const char *s);

struct cls_server {
	uint8_t family;
	uint8_t addr[16];
	uint8_t len;         /* prefix length; a host is 32 or 128 */
	bool inferred;
	char name[CAT_ID_MAX];
	char how[96];        /* "--server", "profile", "accepts base port 1960" */
	/* Filled by classify: the flows judged for this server, by verdict,
	 * and its findings by kind (kept ones; missing findings without a
	 * server address count for none). */
	uint64_t by[CLS_V_NONE];
	uint64_t kinds[CLS_K_COUNT];
};

/* One classified flow, as given to the sink. */
struct cls_flow {
	const struct cap_flow *flow;
	enum cls_verdict verdict;
	uint8_t outcome;     /* enum cap_outcome as judged: a request/response
	                      * UDP service without reply is unanswered */
	uint64_t flow_id;    /* unique in the run, as in EVE */
	uint32_t group;      /* 1 + index into result.groups, 0 none */
	const char *group_id;/* that group's id ("shared-tcp-443-both"),
	                      * NULL none; valid during the call (the result
	                      * is not the writers' while flows stream) */
	int32_t service;     /* catalog index, -1 none */
	int32_t server;      /* index into result.servers, -1 none */
	bool server_is_initiator;
	const char *reason;  /* one sentence; valid during the call */
};

typedef void (*cls_flow_fn)(const struct cls_flow *cf, void *ctx);

struct cls_finding {
	enum cls_kind kind;
	int32_t service;     /* -1: none */
	uint8_t proto;
	uint8_t family;
	uint16_t port;       /* the responder's port (lowest for a range) */
	uint16_t port_hi;    /* == port unless a range (a scan) */
	uint32_t nports;     /* distinct responder ports folded in */
	uint32_t npeers;     /* a flood: distinct peers folded in (has_peer
	                      * false); 0 otherwise */
	uint8_t server[16];  /* all zero for a missing finding without flows */
	uint8_t peer[16];
	bool has_peer;
	bool server_initiated;
	uint8_t outcome;     /* enum cap_outcome of the last flow folded */
	uint8_t icmp_type, icmp_code;
	bool has_icmp;
	uint32_t group;      /* 1 + index into result.groups when the flows
	                      * fit several catalog rows equally; 0 none */
	uint8_t peer_len;    /* a missing finding of a listed prefix: its
	                      * length; 0 for a host */
	uint8_t nflow_ids;
	uint16_t tunnel;     /* the tunnel all its flows came through (an id
	                      * of cap_options.tunnels), 0 none ... */
	bool tunnel_mixed;   /* ... unless they came through several (or
	                      * some through none): then tunnel is the first
	                      * flow's and reports name no tunnel */
	uint64_t flow_ids[CLS_FLOW_IDS]; /* the first flows folded in */
	uint64_t flows, packets, bytes;
	uint64_t first_ns, last_ns;
	char reason[256];    /* one sentence; cut at a word with "..." */
};

/* Flows and bytes of one verdict. */
struct cls_vcount {
	uint64_t flows, bytes;
};

struct cls_service_stat {
	enum cls_status status;
	uint64_t flows, bytes;
	uint64_t ok_flows;   /* flows that succeeded */
	struct cls_vcount by[CLS_V_NONE]; /* flows, bytes by enum cls_verdict */
	uint32_t group;      /* 1 + index of the group that carried flows
	                      * fitting it (and other rows) equally; 0 none */
	uint32_t req_seen;   /* bit i: requirement i observed */
	char caveat[160];    /* why the status may not be observable, or "" */
};

struct cls_summary {
	enum cls_overall verdict; /* cls_decide() */
	bool compliant;      /* verdict == CLS_COMPLIANT */
	bool with_caveats;   /* capture-wide caveats: the banner lists them */
	int fail_on;         /* the kinds (1 << kind) that fail the run */
	char why[256];       /* not audited: why, one sentence; else "" */
	uint64_t flows;      /* flows that involve a server */
	uint64_t other_flows;/* flows that touch no server */
	uint64_t expected, unexpected, violation, blocked;
	uint64_t missing;    /* missing findings */
	uint64_t findings;   /* all findings (including those dropped) */
	uint64_t findings_dropped; /* over the cap, folded into nothing */
	uint64_t kinds[CLS_K_COUNT];   /* findings of each kind, kept or not */
	uint64_t kinds_dropped[CLS_K_COUNT]; /* of those, dropped at the cap */
	uint64_t failing;    /* findings of a fail_on kind, kept or not */
};

/* A service group: catalog rows that fit the same flows equally well
 * (an SNMP poll to 161 fits the SNMP row of 25 products when no profile
 * names the products present). Such a flow is attributed once, to the
 * group, never to each row; the group has a status, flows and bytes as a
 * service has. */
struct cls_group {
	char id[CAT_ID_MAX];     /* "shared-udp-161-outbound" */
	char name[160];          /* "SNMP queries from the Monitoring Server
	                          * (25 products)" */
	uint16_t *members;       /* catalog indexes, in catalog order */
	uint32_t nmembers;
	uint8_t proto;           /* 6, 17 */
	enum cat_dir dir;        /* of its first member */
	char ports[96];          /* the ports its members share, as printed */
	struct cls_service_stat st;
};

struct cls_result {
	struct cls_server *servers;        /* [nservers], grown by
	                                    * cls_server_add(); free()d by its
	                                    * owner (cls_free, merge) */
	uint32_t nservers;
	uint32_t servers_cap;              /* entries allocated */
	char servers_how[160]; /* how the servers were chosen, one sentence */
	struct cls_summary summary;
	struct cls_service_stat *services; /* [model->cat->nservices] */
	struct cls_group *groups;          /* [ngroups], in order of creation */
	uint32_t ngroups;
	struct cls_finding *findings;      /* worst first after cls_finish */
	uint32_t nfindings;
	char caveats[CLS_MAX_CAVEATS][CLS_CAVEAT_LEN]; /* capture-wide */
	uint32_t ncaveats;
	const char *filter;                /* the capture filter, NULL none
	                                    * (the not-audited reason) */
};

struct cls_options {
	const struct cls_server *servers; /* from --server or the profile */
	uint32_t nservers;
	int fail_on;                      /* 1 << kind; 0 = none fail */
	uint32_t max_findings;            /* 0 = default */
	uint32_t dynamic_window_s;        /* 135 -> dynamic window; 0 = 120 */
	cls_flow_fn sink;                 /* may be NULL */
	void *sink_ctx;
	const char *filter;               /* the BPF filter, for caveats */
};

struct cls;

struct cls *cls_new(const struct cat_model *m, const struct cls_options *o);
/* Feed a finished flow (the cap_flow_fn of cap_run). */
void cls_flow(const struct cap_flow *f, void *cls);
/* After the capture: statuses, missing findings, sort, caveats. The
 * result is owned by the cls and valid until cls_free(). */
const struct cls_result *cls_finish(struct cls *c, const struct cap_stats *st);
void cls_free(struct cls *c);
/* --interval: a fresh classifier for the next interval takes over what
 * `prev` learnt that outlives a flow: the control-port contacts (a
 * dynamic port an endpoint mapper gave in one interval is expected in the
 * next) and the flow_id sequence (ids stay unique in one JSON-lines
 * stream). Call before `next` sees a flow, after prev's cls_finish. */
void cls_carry(struct cls *next, const struct cls *prev);
/* "12 findings so far", while the capture runs (any thread: SIGUSR1). */
void cls_status(void *cls, char *buf, size_t len);

/* The verdict, from the summary's counts (kinds, flows, fail_on), the
 * servers and the capture: not audited when no packet was read or no flow
 * involving a server was judged (why says which), else not compliant when
 * a finding of a fail_on kind exists (kept or dropped at the cap), else
 * compliant; with_caveats when the result carries capture-wide caveats.
 * cls_finish() calls it; merge calls it on the merged result. */
void cls_decide(struct cls_result *res, const struct cap_stats *st);
/* The exit status of a decided summary: 0, 1 or 3. */
int cls_exit_status(const struct cls_summary *s);

/* Shared with `portaudit merge`, so that a merged report reads exactly as
 * classify would have decided on the whole capture: */
/* The finding kinds, worst first: the order of cls_sort_findings. */
extern const enum cls_kind cls_kinds_worst_first[CLS_K_COUNT];
/* Word the reason of a scan finding (nports, port..port_hi) anew. */
void cls_scan_reason(struct cls_finding *f);
/* Sort findings worst first: violation, blocked, missing, unexpected; then
 * more flows first; then port, service, server, peer. */
void cls_sort_findings(struct cls_finding *f, uint32_t n);

/* A new server at the end of res->servers, zeroed; NULL when
 * CLS_MAX_SERVERS are there or memory runs out (the caller says so). The
 * array grows by doubling; its owner free()s res->servers. Classify's own
 * set is indexed (servers.c): add to it only through classify. */
struct cls_server *cls_server_add(struct cls_result *res);

/* Portmap for capture's initiator inference. */
void cls_portmap(const struct cat_model *m, struct cap_portmap *pm);

#endif
