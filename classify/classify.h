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
#define CLS_MAX_SERVERS 256

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
};

const char *cls_verdict_name(enum cls_verdict v); /* "expected" ... */
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
};

/* One classified flow, as given to the sink. */
struct cls_flow {
	const struct cap_flow *flow;
	enum cls_verdict verdict;
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
	uint8_t server[16];  /* all zero for a missing finding without flows */
	uint8_t peer[16];
	bool has_peer;
	bool server_initiated;
	uint8_t outcome;     /* enum cap_outcome of the last flow folded */
	uint8_t icmp_type, icmp_code;
	bool has_icmp;
	uint64_t flows, packets, bytes;
	uint64_t first_ns, last_ns;
	char reason[256];    /* one sentence; cut at a word with "..." */
};

struct cls_service_stat {
	enum cls_status status;
	uint64_t flows, bytes;
	uint64_t ok_flows;   /* flows that succeeded */
	uint32_t req_seen;   /* bit i: requirement i observed */
	char caveat[160];    /* why the status may not be observable, or "" */
};

struct cls_summary {
	bool compliant;
	uint64_t flows;      /* flows that involve a server */
	uint64_t other_flows;/* flows that touch no server */
	uint64_t expected, unexpected, violation, blocked;
	uint64_t missing;    /* missing findings */
	uint64_t findings;   /* all findings (including those dropped) */
	uint64_t findings_dropped; /* over the cap, folded into nothing */
};

struct cls_result {
	struct cls_server servers[CLS_MAX_SERVERS];
	uint32_t nservers;
	char servers_how[160]; /* how the servers were chosen, one sentence */
	struct cls_summary summary;
	struct cls_service_stat *services; /* [model->cat->nservices] */
	struct cls_finding *findings;      /* worst first after cls_finish */
	uint32_t nfindings;
	char caveats[8][200];              /* capture-wide caveats */
	uint32_t ncaveats;
};

struct cls_options {
	const struct cls_server *servers; /* from --server or the profile */
	uint32_t nservers;
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

/* Shared with `portaudit merge`, so that a merged report reads exactly as
 * classify would have decided on the whole capture: */
/* The finding kinds, worst first: the order of cls_sort_findings. */
extern const enum cls_kind cls_kinds_worst_first[CLS_K_COUNT];
/* Word the reason of a scan finding (nports, port..port_hi) anew. */
void cls_scan_reason(struct cls_finding *f);
/* Sort findings worst first: violation, blocked, missing, unexpected; then
 * more flows first; then port, service, server, peer. */
void cls_sort_findings(struct cls_finding *f, uint32_t n);

/* Portmap for capture's initiator inference. */
void cls_portmap(const struct cat_model *m, struct cap_portmap *pm);

#endif
