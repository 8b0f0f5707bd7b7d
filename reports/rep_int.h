/*
 * rep_int.h -- reports/ internal: helpers shared by the writers.
 *
 * Design. Every writer prints through rep_printf()/rep_write(), which
 * remember a write error in o->failed (so one check at the end of a report
 * is enough, and rep_close() reports the error naming the file). Names and
 * formats that every format must spell the same way live here once: the
 * protocol and outcome words, RFC 3339 times from packet timestamps,
 * addresses, the byte counts humans read. json.c describes each object
 * of the JSON report once (a jansson object per finding, server, service,
 * group) and streams the report one object at a time; rep_report_json()
 * assembles the same objects into one tree; merge.c/diff.c read reports
 * back. Nothing outside reports/ includes this header, except the report
 * tests.
 */
#ifndef PORTAUDIT_REP_INT_H
#define PORTAUDIT_REP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reports.h"

#define REP_ADDR_MAX 64  /* an IPv6 address with /len */
#define REP_TIME_MAX 40  /* "2026-11-29T06:27:24.123456Z" */

__attribute__((format(printf, 2, 3)))
void rep_printf(struct rep_out *o, const char *fmt, ...);
void rep_write(struct rep_out *o, const char *s, size_t n);
void rep_puts(struct rep_out *o, const char *s);
/* A stream asked to reopen (SIGHUP) does it now, before its next line. */
void rep_stream_check(struct rep_out *o);
/* Remember a failure (an errno value) if none was seen yet. */
void rep_fail(struct rep_out *o, int err);
/* End of a report callback: 0, or -1 after printing "portaudit: FILE:
 * write error: why" on stderr (the caller then aborts the output). */
int rep_done(struct rep_out *o);
/* snprintf that may cut (a reason in a fixed buffer). */
__attribute__((format(printf, 3, 4)))
void rep_fmt(char *buf, size_t len, const char *fmt, ...);

/* "tcp", "udp", "icmp", "ipv6-icmp", "gre", "ipip", "ipv6" (the outer
 * flows of tunnels), or the number. buf >= 8. */
const char *rep_proto_name(uint8_t proto, char *buf, size_t len);
/* Upper-case EVE spelling: "TCP", "UDP", "ICMP", "IPv6-ICMP", "GRE",
 * "IPIP", "IPv6". */
const char *rep_proto_eve(uint8_t proto, char *buf, size_t len);
/* The outcome word of enum cap_outcome ("established" ... "replied"). */
const char *rep_outcome_name(unsigned outcome);
/* Reverse: the enum value, or -1. */
int rep_outcome_parse(const char *s);
int rep_proto_parse(const char *s); /* "tcp" -> 6 ..., or -1 */

/* An address (family 4 or 6); with `plen` < the host length, "/plen"
 * ("0.0.0.0/0" too). REP_HOST: the address alone. */
#define REP_HOST 128u
/* A finding's peer: its prefix length, 0 for a host (cls_finding). */
#define REP_PEER_LEN(f) ((f)->peer_len ? (unsigned)(f)->peer_len : REP_HOST)
void rep_addr(uint8_t family, const uint8_t *addr, unsigned plen, char *buf,
              size_t len);
/* RFC 3339 UTC with microseconds. */
void rep_time(uint64_t ns, char *buf, size_t len);
/* Parse rep_time()'s format back (fractions of any length). 0 or -1. */
int rep_time_parse(const char *s, uint64_t *ns);
/* "1.2 KiB", "512 B". */
void rep_bytes(uint64_t n, char *buf, size_t len);
/* Duration in seconds for people: "8.2 s", "12 min 3 s", "2 h 5 min". */
void rep_duration(uint64_t ns, char *buf, size_t len);
/* The link type's libpcap name ("EN10MB") or its number. */
const char *rep_linktype_name(int dlt, char *buf, size_t len);

/* Write "3 violations, 1 blocked" at buf+off for the kinds in mask (bits
 * 1 << kind), worst first, skipping zeros; the new offset (cut at len). */
size_t rep_kinds_words(const uint64_t n[CLS_K_COUNT], int mask, char *buf,
                       size_t len, size_t off);
/* The finding's kind in the plural for the verdict line ("violations"). */
const char *rep_kind_plural(enum cls_kind k, uint64_t n);

/* A JSON string of `s` (NULL -> null); invalid UTF-8 bytes become '?'. */
json_t *rep_jstr(const char *s);

/* One CSV field, RFC 4180: quoted when it holds a comma, a quote, CR or LF
 * (or starts/ends with a blank), quotes doubled. `sep` is written first
 * (NULL for the first field of a row). */
void rep_csv_field(struct rep_out *o, const char *sep, const char *s);
bool rep_csv_needs_quotes(const char *s, size_t n);
/* Findings per kind (n indexed by enum cls_kind). */
void rep_count_kinds(const struct cls_result *res, uint64_t n[CLS_K_COUNT]);
/* End a CSV row (CRLF, as RFC 4180 says). */
void rep_csv_end(struct rep_out *o);

/* The catalog id of a service index, or NULL (-1, out of range). */
const char *rep_service_id(const struct rep_input *in, int32_t service);
/* What a flow or finding is attributed to: its service group's id
 * (group: 1 + index into res->groups) when it has one, else its service's
 * catalog id, else NULL. Writers print this wherever they name a service. */
const char *rep_attrib_id(const struct rep_input *in, int32_t service,
                          uint32_t group);
/* The same for a streamed flow (cls_flow): the group it was attributed
 * to, else its row (the result is not the writers' while flows stream). */
const char *rep_flow_service(const struct rep_input *in,
                             const struct cls_flow *cf);
/* Why a capture has no packet, and what "truncated" means for its kind
 * ("none read matched the filter", "a source ended inside a flow
 * record"): the terminal's and the HTML page's words alike. */
const char *rep_no_packets_words(const struct cap_stats *st,
                                 const struct cap_options *co);
const char *rep_truncated_words(const struct cap_stats *st);
/* The link types decoded besides the sources' own (the other interfaces
 * of a pcapng: cap_stats.more_linktypes), "RAW, NFLOG": the terminal's
 * and the HTML page's words alike, as JSON's capture.linktypes lists
 * them. False when there is none. */
bool rep_more_linktypes_words(const struct cap_stats *st, char *buf,
                              size_t len);
/* Does a flow of this IP protocol have ports (TCP, UDP; not ICMP, nor a
 * tunnel's outer flow: GRE, IPIP, IPv6)? */
static inline bool rep_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17;
}
/* EVE's flow.state of a judged flow: "new", "established" or "closed". */
const char *rep_eve_state(const struct cls_flow *cf);

/* Read a JSON report for merge/diff: a missing, empty, non-JSON or
 * non-report file is an error naming the file. 0, or -1 with err. The
 * report comes back with "report_id" and "covers" (computed from its
 * capture facts when it was written before report ids). */
int rep_load_report(const char *path, json_t **out, char *err, size_t errlen);

/* schema.c: docs/report.schema.json as built into the binary, parsed once
 * (NULL if it does not parse), and a check of v against schema (root:
 * the document whose "$defs" a "$ref" names). 0, or -1 with ": why"
 * appended to where (which names the path: "report.summary.flows"). */
const json_t *rep_report_schema(void);
int rep_schema_check(const json_t *root, const json_t *schema,
                     const json_t *v, char *where, size_t wlen);
/* The same for the values present only: what an older report of the same
 * format version lacks (a field added since, such as capture.unread) is
 * not asked for; merge and diff read it as absent. */
int rep_schema_check_values(const json_t *root, const json_t *schema,
                            const json_t *v, char *where, size_t wlen);

/* A report id: SHA-256 in lowercase hex, with its NUL. */
#define REP_ID_LEN 65
/* The report's identity (merge.c, docs/report-format.md): sets `report_id`
 * and `covers` in `r` from the `capture` object about to be written (a
 * capture's report), or from in->covers (a merged report); adds
 * capture.host to a live capture's. 0, or -1 when out of memory. */
int rep_identity_json(json_t *r, json_t *capture, const struct rep_input *in);

/* A line built in memory and written with one call: the streaming writers
 * (JSON lines, flows CSV) format a flow in about a microsecond this way,
 * without jansson or printf. A line longer than the buffer is cut (and
 * flagged); no field here comes near it. */
struct rep_line {
	char b[4096];
	size_t n;
	bool over;
};
void rl_raw(struct rep_line *l, const char *s, size_t n);
void rl_lit(struct rep_line *l, const char *s);      /* as is */
void rl_jstr(struct rep_line *l, const char *s);     /* JSON string or null */
void rl_csv(struct rep_line *l, const char *s);      /* RFC 4180 field */
void rl_u64(struct rep_line *l, uint64_t v);
void rl_time(struct rep_line *l, uint64_t ns);       /* RFC 3339, bare */
void rl_addr(struct rep_line *l, uint8_t family, const uint8_t *a);

/* A flow's or finding's tunnel (cap_flow.tunnel, cls_finding.tunnel) in
 * the run's table (in->capopt->tunnels), or NULL: none, or no table. */
const struct cap_tunnel *rep_tunnel(const struct rep_input *in, uint16_t id);
/* The tunnel as reports print it: {"kind", "src_ip", "dest_ip", its id
 * ("vni", "key", "session_id") when it has one, "depth", and "parent"
 * (the same object) when it travels in another}; NULL when none. */
json_t *rep_tunnel_json(const struct rep_input *in, uint16_t id);
/* The same object appended to a line (nothing when none). */
void rl_tunnel(struct rep_line *l, const struct rep_input *in, uint16_t id);

/* Whole report as one jansson tree (new reference; NULL when out of
 * memory): what the --json writer streams, object by object. */
json_t *rep_report_json(const struct rep_input *in);
/* One finding as the report's JSON object: the one place a finding's
 * fields are listed (the report, the JSON-lines finding events). */
json_t *rep_finding_json(const struct rep_input *in,
                         const struct cls_finding *f);

/* Is this finding without a server address (a missing finding)? */
bool rep_zero_addr(const uint8_t *a);

/* The verdict as every writer prints it; classify decided it
 * (cls_decide), these only word it. The headline: "COMPLIANT", "COMPLIANT
 * with caveats", "NOT COMPLIANT: 3 violations, 3 blocked" (the kinds that
 * fail the run, kept or not), "NOT AUDITED: why". */
void rep_verdict_line(const struct cls_result *res, char *buf, size_t len);
/* What the headline leaves out, or "": the kinds found but not failing
 * the run ("Reported only, not failing the run (--fail-on missing): 3
 * violations, 1 unexpected."), and findings not kept at the cap. */
void rep_verdict_scope(const struct cls_result *res, char *buf, size_t len);
/* "16 flows judged: 9 expected, 1 unexpected, 3 violation, 3 blocked" */
void rep_verdict_judged(const struct cls_result *res, char *buf, size_t len);

/* ---- flow-record input (sources.c) ------------------------------------
 * A report of --flows or --collect names its sources with their kind
 * ("nfdump:/var/cache/nfdump", "netflow:0.0.0.0:2055" then each exporter
 * seen, "exporter:10.1.1.1"); a merged report keeps the labels its inputs
 * wrote. */
bool rep_flow_input(const struct rep_input *in);
bool rep_live_input(const struct rep_input *in);
unsigned rep_nsources(const struct rep_input *in);
void rep_source_label(const struct rep_input *in, unsigned i, char *buf,
                      size_t len);
/* "1 in 100", "sampled at a rate the records do not state", "none". */
void rep_sampling_words(uint32_t sampling, char *buf, size_t len);
/* "12 read, 10 paired, 0 merged, ..." on one line. */
void rep_records_words(const struct cap_stats *st, char *buf,
                       size_t len);
/* The capture.records object of the JSON report. */
json_t *rep_records_json(const struct cap_stats *st);

#endif
