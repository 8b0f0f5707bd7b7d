/*
 * json.c -- the versioned JSON report (docs/report-format.md).
 *
 * Design. The report is written as a stream, object by object, in the
 * order of `sections`: the head (version ... capture), built as one small
 * jansson object; then each server written straight (there may be
 * 100,000); the summary; each service, group and finding built as a
 * jansson object (a finding by rep_finding_json, the one place a finding's
 * fields are listed, which the JSON-lines finding events use too),
 * written and freed at once; the caveats. The writer (jw_*) prints a
 * jansson value byte for byte as json_dumpf(JSON_INDENT(2)) does, so the
 * file is what dumping a whole tree gave before; rep_report_json() reads
 * the stream back into a tree, so that each object has one description.
 * Every value comes from what capture counted and classify decided;
 * nothing is recomputed here. The report holds no wall-clock time, so the
 * same capture and options give the same bytes (golden tests rely on it);
 * times are the packets' own. Memory: the head, one object and a 64 KiB
 * buffer, whatever the number of findings (bounded by --max-findings) or
 * servers; flows are never part of it. Cost (callgrind on make bench's
 * servers.pcap): a finding about 27,000 instructions to build (its two
 * times and two addresses 13,000 of them), then to write and free; a
 * server about 9,000 (docs/flows.md, "Speed").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rep_int.h"

#define str_or_null rep_jstr

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)(v > (uint64_t)INT64_MAX
	                                 ? (uint64_t)INT64_MAX : v));
}

static json_t *time_or_null(uint64_t ns, bool have)
{
	if (!have)
		return json_null();
	char t[REP_TIME_MAX];
	rep_time(ns, t, sizeof t);
	return json_string(t);
}

json_t *rep_finding_json(const struct rep_input *in,
                         const struct cls_finding *f)
{
	char a[REP_ADDR_MAX], pb[8];
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "kind", json_string(cls_kind_name(f->kind)));
	json_object_set_new(o, "service",
	                    str_or_null(rep_attrib_id(in, f->service, f->group)));
	json_object_set_new(o, "protocol",
	                    json_string(rep_proto_name(f->proto, pb, sizeof pb)));
	json_object_set_new(o, "port", json_integer(f->port));
	if (f->port_hi != f->port) {
		char r[16];
		snprintf(r, sizeof r, "%u-%u", (unsigned)f->port,
		         (unsigned)f->port_hi);
		json_object_set_new(o, "ports", json_string(r));
	}
	json_object_set_new(o, "nports", json_integer(f->nports ? f->nports : 1));
	json_object_set_new(o, "npeers", json_integer(f->npeers ? f->npeers :
	                                              f->has_peer ? 1 : 0));
	if (rep_zero_addr(f->server)) {
		json_object_set_new(o, "server", json_null());
	} else {
		rep_addr(f->family, f->server, REP_HOST, a, sizeof a);
		json_object_set_new(o, "server", json_string(a));
	}
	if (f->has_peer) {
		rep_addr(f->family, f->peer, REP_PEER_LEN(f), a, sizeof a);
		json_object_set_new(o, "peer", json_string(a));
	} else {
		json_object_set_new(o, "peer", json_null());
	}
	json_object_set_new(o, "initiator",
	                    json_string(f->server_initiated ? "server" : "peer"));
	json_object_set_new(o, "outcome",
	                    f->flows ? json_string(rep_outcome_name(f->outcome))
	                             : json_null());
	if (f->has_icmp)
		json_object_set_new(o, "icmp", json_pack("{s:i, s:i}", "type",
		                    (int)f->icmp_type, "code", (int)f->icmp_code));
	json_object_set_new(o, "flows", u64(f->flows));
	json_object_set_new(o, "packets", u64(f->packets));
	json_object_set_new(o, "bytes", u64(f->bytes));
	json_object_set_new(o, "first_seen", time_or_null(f->first_ns, f->flows));
	json_object_set_new(o, "last_seen", time_or_null(f->last_ns, f->flows));
	json_object_set_new(o, "reason", rep_jstr(f->reason));
	json_t *ids = json_array();
	for (unsigned i = 0; ids && i < f->nflow_ids && i < CLS_FLOW_IDS; i++)
		json_array_append_new(ids, u64(f->flow_ids[i]));
	json_object_set_new(o, "flow_ids", ids ? ids : json_null());
	/* Tunnels: the one all its flows came through, if they share one. */
	json_t *tun = f->tunnel_mixed ? NULL : rep_tunnel_json(in, f->tunnel);
	if (tun)
		json_object_set_new(o, "tunnel", tun);
	else if (f->tunnel_mixed)
		json_object_set_new(o, "tunnel_mixed", json_true());
	return o;
}

static json_t *capture_json(const struct rep_input *in)
{
	const struct cap_stats *st = in->cap;
	const struct cap_options *co = in->capopt;
	json_t *c = json_object();
	json_t *src = json_array();
	json_t *skipped = json_array();
	json_t *links = json_array();
	json_t *an = json_object();
	if (!c || !src || !skipped || !links || !an) {
		json_decref(c);
		json_decref(src);
		json_decref(skipped);
		json_decref(links);
		json_decref(an);
		return NULL;
	}
	if (co && co->iface) {
		json_array_append_new(src, rep_jstr(co->iface));
	} else if (rep_flow_input(in) && !in->nmerged) {
		for (unsigned i = 0; i < rep_nsources(in); i++) {
			char b[600];
			rep_source_label(in, i, b, sizeof b);
			json_array_append_new(src, rep_jstr(b));
		}
	} else if (co) {
		for (unsigned i = 0; i < co->nsources && i < CAP_MAX_SOURCES; i++) {
			json_array_append_new(src, rep_jstr(co->sources[i]));
			if (st->skipped[i][0])
				json_array_append_new(skipped, json_pack("{s:o, s:o}",
				                      "source", rep_jstr(co->sources[i]),
				                      "reason", rep_jstr(st->skipped[i])));
		}
	}
	for (unsigned i = 0; !(rep_flow_input(in) && !in->nmerged) &&
	                     i < st->nsources && i < CAP_MAX_SOURCES; i++) {
		char b[16];
		if (st->linktypes[i] < 0)
			continue; /* a merged flow-record source: none */
		json_array_append_new(links, json_string(
			rep_linktype_name(st->linktypes[i], b, sizeof b)));
	}
	/* then those of packets decoded besides the sources' own (a pcapng
	 * whose interfaces have different link types), each once */
	for (unsigned i = 0; i < st->nmore_linktypes &&
	                     i < CAP_MORE_LINKTYPES; i++) {
		char b[16];
		const char *name = rep_linktype_name(st->more_linktypes[i], b,
		                                     sizeof b);
		bool listed = false;
		size_t k;
		const json_t *v;
		json_array_foreach(links, k, v)
			listed |= strcmp(json_string_value(v), name) == 0;
		if (!listed)
			json_array_append_new(links, json_string(name));
	}
	for (int i = 0; i < CAP_AN_COUNT; i++)
		json_object_set_new(an, cap_anomaly_name((enum cap_anomaly)i),
		                    u64(st->anomalies[i]));
	json_object_set_new(c, "sources", src);
	json_object_set_new(c, "live", json_boolean(rep_live_input(in)));
	json_object_set_new(c, "filter", str_or_null(co ? co->filter : NULL));
	json_object_set_new(c, "snaplen", st->snaplen ?
	                    json_integer(st->snaplen) : json_null());
	json_object_set_new(c, "packets", u64(st->packets));
	json_object_set_new(c, "bytes", u64(st->bytes));
	json_object_set_new(c, "ip_packets", u64(st->ip_packets));
	json_object_set_new(c, "dropped", st->has_dropped ? u64(st->dropped)
	                                                 : json_null());
	json_object_set_new(c, "start", time_or_null(st->first_ns,
	                                             st->packets > 0));
	json_object_set_new(c, "end", time_or_null(st->last_ns,
	                                           st->packets > 0));
	json_object_set_new(c, "duration_ms", u64(st->packets && st->last_ns >
	                    st->first_ns ? (st->last_ns - st->first_ns) / 1000000u
	                                 : 0));
	json_object_set_new(c, "truncated", json_boolean(st->truncated));
	json_object_set_new(c, "skipped", skipped);
	json_object_set_new(c, "linktypes", links);
	json_object_set_new(c, "anomalies", an);
	json_object_set_new(c, "tunnels", json_pack("{s:b, s:o, s:o, s:o, s:o}",
	                    "decapsulated", !(co && co->no_decap),
	                    "tunnels", u64(st->tunnels),
	                    "packets", u64(st->tunnel_packets),
	                    "table_full", u64(st->tunnel_full),
	                    "fragmented", u64(st->tunnel_frag)));
	json_object_set_new(c, "flows", u64(st->flows));
	json_object_set_new(c, "evicted", u64(st->evicted));
	json_object_set_new(c, "timed_out", u64(st->timed_out));
	json_object_set_new(c, "max_flows", u64(st->max_flows));
	json_object_set_new(c, "peak_flows", u64(st->peak_flows));
	json_object_set_new(c, "frag_tracked", u64(st->frag_tracked));
	json_object_set_new(c, "interrupted", json_boolean(st->interrupted));
	json_object_set_new(c, "stopped", st->stopped[0] ?
	                    json_string(st->stopped) : json_null());
	json_object_set_new(c, "unread", st->unread[0] ?
	                    json_string(st->unread) : json_null());
	if (in->interval) {
		const struct rep_interval *iv = in->interval;
		json_object_set_new(c, "interval", json_pack(
			"{s:i, s:i, s:o, s:o, s:b}", "seq", (json_int_t)iv->seq,
			"seconds", (json_int_t)iv->seconds,
			"start", time_or_null(iv->start_ns, true),
			"end", time_or_null(iv->end_ns, true),
			"last", iv->final));
	}
	if (rep_flow_input(in))
		json_object_set_new(c, "records", rep_records_json(st));
	return c;
}

/* Flows and bytes of a service or group by verdict. */
static json_t *by_verdict_json(const struct cls_service_stat *st)
{
	json_t *o = json_object();
	for (int v = 0; o && v < CLS_V_NONE; v++)
		json_object_set_new(o, cls_verdict_name((enum cls_verdict)v),
		                    json_pack("{s:o, s:o}",
		                              "flows", u64(st->by[v].flows),
		                              "bytes", u64(st->by[v].bytes)));
	return o;
}

static json_t *group_json(const struct rep_input *in, const struct cls_group *g)
{
	const struct catalog *cat = in->model->cat;
	char pb[8];
	json_t *o = json_object();
	json_t *mem = json_array();
	if (!o || !mem) {
		json_decref(o);
		json_decref(mem);
		return NULL;
	}
	for (uint32_t i = 0; i < g->nmembers; i++)
		json_array_append_new(mem, json_string(
		                      cat->services[g->members[i]].id));
	json_object_set_new(o, "id", json_string(g->id));
	json_object_set_new(o, "name", rep_jstr(g->name));
	json_object_set_new(o, "protocol",
	                    json_string(rep_proto_name(g->proto, pb, sizeof pb)));
	json_object_set_new(o, "ports", rep_jstr(g->ports));
	json_object_set_new(o, "direction", json_string(cat_dir_name(g->dir)));
	json_object_set_new(o, "members", mem);
	json_object_set_new(o, "status",
	                    json_string(cls_status_name(g->st.status)));
	json_object_set_new(o, "flows", u64(g->st.flows));
	json_object_set_new(o, "ok_flows", u64(g->st.ok_flows));
	json_object_set_new(o, "bytes", u64(g->st.bytes));
	json_object_set_new(o, "by_verdict", by_verdict_json(&g->st));
	json_object_set_new(o, "caveat", g->st.caveat[0]
	                    ? rep_jstr(g->st.caveat) : json_null());
	return o;
}

static json_t *kinds_json(const uint64_t n[CLS_K_COUNT])
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < CLS_K_COUNT; i++)
		json_object_set_new(o, cls_kind_name(cls_kinds_worst_first[i]),
		                    u64(n[cls_kinds_worst_first[i]]));
	return o;
}

static json_t *summary_json(const struct cls_summary *s)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "verdict",
	                    json_string(cls_overall_name(s->verdict)));
	json_object_set_new(o, "compliant", json_boolean(s->compliant));
	json_object_set_new(o, "not_audited_reason",
	                    s->verdict == CLS_NOT_AUDITED ? rep_jstr(s->why)
	                                                 : json_null());
	json_object_set_new(o, "with_caveats", json_boolean(s->with_caveats));
	json_t *fo = json_array();
	for (size_t i = 0; fo && i < CLS_K_COUNT; i++)
		if (s->fail_on & (1 << cls_kinds_worst_first[i]))
			json_array_append_new(fo, json_string(cls_kind_name(
			                      cls_kinds_worst_first[i])));
	json_object_set_new(o, "fail_on", fo ? fo : json_null());
	json_object_set_new(o, "failing", u64(s->failing));
	json_object_set_new(o, "flows", u64(s->flows));
	json_object_set_new(o, "other_flows", u64(s->other_flows));
	json_object_set_new(o, "expected", u64(s->expected));
	json_object_set_new(o, "unexpected", u64(s->unexpected));
	json_object_set_new(o, "violation", u64(s->violation));
	json_object_set_new(o, "blocked", u64(s->blocked));
	json_object_set_new(o, "missing", u64(s->missing));
	json_object_set_new(o, "findings", u64(s->findings));
	json_object_set_new(o, "findings_dropped", u64(s->findings_dropped));
	json_object_set_new(o, "kinds", kinds_json(s->kinds));
	json_object_set_new(o, "kinds_dropped", kinds_json(s->kinds_dropped));
	return o;
}

/* ---- writing JSON --------------------------------------------------------- */

/* A jansson value written exactly as json_dumpf(JSON_INDENT(2)) writes it
 * (jansson 2.14's dump.c: members in insertion order, ", " never, ",\n"
 * and two spaces a level, "{}" and "[]" when empty, "\"key\": value";
 * strings escaped as jansson does without JSON_ENSURE_ASCII: \" \\ \b \f
 * \n \r \t and \u00XX (upper-case hex) for other bytes below 0x20, the rest
 * -- UTF-8 and DEL included -- as is), through a buffer of JW_BUF bytes
 * written with one rep_write when full. A jansson string is valid UTF-8,
 * so the bytes to escape are found byte by byte. Reals, which the report
 * has none of, go through json_dumps. */
#define JW_BUF (64u * 1024u)

struct jw {
	struct rep_out *o;
	size_t n;
	char b[JW_BUF];
};

static void jw_flush(struct jw *w)
{
	if (w->n)
		rep_write(w->o, w->b, w->n);
	w->n = 0;
}

static inline void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (__builtin_expect(n > JW_BUF - w->n, 0)) {
		jw_flush(w);
		if (n > JW_BUF) {
			rep_write(w->o, s, n);
			return;
		}
	}
	memcpy(w->b + w->n, s, n);
	w->n += n;
}

static void jw_indent(struct jw *w, unsigned depth)
{
	static const char sp[] = "\n                                ";
	size_t n = 1 + 2 * (size_t)depth;
	if (n <= sizeof sp - 1) {
		jw_raw(w, sp, n);
		return;
	}
	jw_raw(w, sp, 1);
	for (n--; n; ) {
		size_t k = n < sizeof sp - 2 ? n : sizeof sp - 2;
		jw_raw(w, sp + 1, k);
		n -= k;
	}
}

/* The bytes a JSON string escapes: below 0x20, '"' and '\\'. */
static const uint8_t jw_esc[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

static void jw_str(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	jw_raw(w, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!jw_esc[c])
			continue;
		jw_raw(w, s + run, i - run);
		run = i + 1;
		char e[6] = { '\\', 0, 0, 0, 0, 0 };
		size_t k = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			k = 6;
		}
		jw_raw(w, e, k);
	}
	jw_raw(w, s + run, n - run);
	jw_raw(w, "\"", 1);
}

static void jw_int(struct jw *w, json_int_t v)
{
	char t[24];
	size_t k = sizeof t;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		t[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--k] = '-';
	jw_raw(w, t + k, sizeof t - k);
}

static void jw_value(struct jw *w, json_t *v, unsigned depth)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		if (json_object_size(v) == 0) {
			jw_raw(w, "{}", 2);
			return;
		}
		jw_raw(w, "{", 1);
		bool first = true;
		for (void *it = json_object_iter(v); it;
		     it = json_object_iter_next(v, it)) {
			if (!first)
				jw_raw(w, ",", 1);
			first = false;
			jw_indent(w, depth + 1);
			jw_str(w, json_object_iter_key(it),
			       json_object_iter_key_len(it));
			jw_raw(w, ": ", 2);
			jw_value(w, json_object_iter_value(it), depth + 1);
		}
		jw_indent(w, depth);
		jw_raw(w, "}", 1);
		return;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (n == 0) {
			jw_raw(w, "[]", 2);
			return;
		}
		jw_raw(w, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				jw_raw(w, ",", 1);
			jw_indent(w, depth + 1);
			jw_value(w, json_array_get(v, i), depth + 1);
		}
		jw_indent(w, depth);
		jw_raw(w, "]", 1);
		return;
	}
	case JSON_STRING:
		jw_str(w, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		jw_int(w, json_integer_value(v));
		return;
	case JSON_TRUE:
		jw_raw(w, "true", 4);
		return;
	case JSON_FALSE:
		jw_raw(w, "false", 5);
		return;
	case JSON_NULL:
		jw_raw(w, "null", 4);
		return;
	case JSON_REAL: {
		char *d = json_dumps(v, JSON_ENCODE_ANY);
		if (d)
			jw_raw(w, d, strlen(d));
		else
			rep_fail(w->o, ENOMEM);
		free(d);
		return;
	}
	}
}

/* ---- the report, object by object ------------------------------------ */

/* Everything before "servers": small, built whole. */
static json_t *report_head(const struct rep_input *in)
{
	const struct cat_model *m = in->model;
	const struct catalog *cat = m ? m->cat : NULL;
	json_t *r = json_object();
	if (!r)
		return NULL;
	json_object_set_new(r, "version", json_integer(REP_FORMAT_VERSION));
	json_object_set_new(r, "portaudit", json_string(PORTAUDIT_VERSION));
	json_object_set_new(r, "command_line", str_or_null(in->command_line));
	if (in->nmerged) {
		json_t *mf = json_array();
		for (unsigned i = 0; mf && i < in->nmerged; i++)
			json_array_append_new(mf, rep_jstr(in->merged_from[i]));
		json_object_set_new(r, "merged_from", mf ? mf : json_null());
	}
	if (cat)
		json_object_set_new(r, "catalog", json_pack("{s:s, s:o, s:s, s:o}",
		                    "name", cat->name,
		                    "title", str_or_null(cat->title),
		                    "sha256", cat->sha256,
		                    "source", str_or_null(cat->source)));
	else
		json_object_set_new(r, "catalog", json_null());
	if (m && m->prof)
		json_object_set_new(r, "profile", json_pack("{s:o, s:s, s:o}",
		                    "source", str_or_null(m->prof->source),
		                    "sha256", m->prof->sha256,
		                    "site", str_or_null(m->prof->site)));
	else
		json_object_set_new(r, "profile", json_null());
	json_object_set_new(r, "base_port", json_integer(m ? m->base : 0));
	/* Identity: report_id and covers (merge.c), capture.host when live. */
	json_t *cap = capture_json(in);
	if (!cap || rep_identity_json(r, cap, in) != 0) {
		json_decref(cap);
		json_decref(r);
		return NULL;
	}
	json_object_set_new(r, "capture", cap);
	return r;
}

/* "key": at depth, after a comma unless first. */
static void jw_member(struct jw *w, unsigned depth, bool first,
                      const char *key)
{
	if (!first)
		jw_raw(w, ",", 1);
	jw_indent(w, depth);
	jw_str(w, key, strlen(key));
	jw_raw(w, ": ", 2);
}

/* A string as rep_jstr() makes it (null, or its UTF-8 with invalid bytes
 * replaced): jansson checks it. */
static void jw_jstr(struct jw *w, const char *s)
{
	json_t *j = rep_jstr(s);
	if (json_is_string(j))
		jw_str(w, json_string_value(j), json_string_length(j));
	else
		jw_raw(w, "null", 4);
	json_decref(j);
}

/* One server, written as it goes: there may be 100,000 of them, and as
 * jansson objects (about 20 values each, built, written and freed) they
 * cost ten times as much. Its one description: rep_report_json() reads
 * the stream back. */
static void server_write(struct jw *w, const struct rep_input *in,
                         uint32_t i, unsigned depth)
{
	const struct cls_server *s = &in->res->servers[i];
	char a[REP_ADDR_MAX];
	rep_addr(s->family, s->addr, s->len, a, sizeof a);
	jw_raw(w, "{", 1);
	jw_member(w, depth + 1, true, "address");
	jw_str(w, a, strlen(a));
	jw_member(w, depth + 1, false, "inferred");
	if (s->inferred)
		jw_raw(w, "true", 4);
	else
		jw_raw(w, "false", 5);
	jw_member(w, depth + 1, false, "name");
	jw_jstr(w, s->name[0] ? s->name : NULL);
	jw_member(w, depth + 1, false, "how");
	jw_jstr(w, s->how);
	jw_member(w, depth + 1, false, "flows_by_verdict");
	jw_raw(w, "{", 1);
	for (int v = 0; v < CLS_V_NONE; v++) {
		jw_member(w, depth + 2, v == 0,
		          cls_verdict_name((enum cls_verdict)v));
		jw_int(w, (json_int_t)(s->by[v] > (uint64_t)INT64_MAX
		                       ? (uint64_t)INT64_MAX : s->by[v]));
	}
	jw_indent(w, depth + 1);
	jw_raw(w, "}", 1);
	jw_member(w, depth + 1, false, "findings_by_kind");
	jw_raw(w, "{", 1);
	for (size_t k = 0; k < CLS_K_COUNT; k++) {
		enum cls_kind kind = cls_kinds_worst_first[k];
		jw_member(w, depth + 2, k == 0, cls_kind_name(kind));
		jw_int(w, (json_int_t)(s->kinds[kind] > (uint64_t)INT64_MAX
		                       ? (uint64_t)INT64_MAX : s->kinds[kind]));
	}
	jw_indent(w, depth + 1);
	jw_raw(w, "}", 1);
	jw_indent(w, depth);
	jw_raw(w, "}", 1);
}

static json_t *service_json(const struct rep_input *in, uint32_t i)
{
	json_t *o = cat_service_json(in->model, i);
	if (!o)
		return NULL;
	const struct cls_service_stat *st = &in->res->services[i];
	json_object_set_new(o, "status", json_string(cls_status_name(st->status)));
	json_object_set_new(o, "flows", u64(st->flows));
	json_object_set_new(o, "ok_flows", u64(st->ok_flows));
	json_object_set_new(o, "bytes", u64(st->bytes));
	json_object_set_new(o, "by_verdict", by_verdict_json(st));
	json_object_set_new(o, "service_group",
	                    str_or_null(rep_attrib_id(in, -1, st->group)));
	json_object_set_new(o, "caveat", st->caveat[0] ? rep_jstr(st->caveat)
	                                               : json_null());
	return o;
}

static json_t *group_item(const struct rep_input *in, uint32_t i)
{
	return group_json(in, &in->res->groups[i]);
}

static json_t *finding_item(const struct rep_input *in, uint32_t i)
{
	return rep_finding_json(in, &in->res->findings[i]);
}

static json_t *caveat_item(const struct rep_input *in, uint32_t i)
{
	return rep_jstr(in->res->caveats[i]);
}

static json_t *servers_how_value(const struct rep_input *in)
{
	return rep_jstr(in->res->servers_how);
}

static json_t *summary_value(const struct rep_input *in)
{
	return summary_json(&in->res->summary);
}

static uint32_t n_servers(const struct rep_input *in)
{
	return in->res->nservers;
}

static uint32_t n_services(const struct rep_input *in)
{
	return in->model && in->model->cat ? in->model->cat->nservices : 0;
}

static uint32_t n_groups(const struct rep_input *in)
{
	return in->model && in->model->cat ? in->res->ngroups : 0;
}

static uint32_t n_findings(const struct rep_input *in)
{
	return in->res->nfindings;
}

static uint32_t n_caveats(const struct rep_input *in)
{
	return in->res->ncaveats < CLS_MAX_CAVEATS ? in->res->ncaveats
	                                           : CLS_MAX_CAVEATS;
}

/* The report after its head, in order: each member one value, or an array
 * made one item at a time (count, then item: a jansson object written
 * and freed, or write: written straight). json_write follows this list. */
static const struct section {
	const char *key;
	json_t *(*value)(const struct rep_input *in);
	uint32_t (*count)(const struct rep_input *in);
	json_t *(*item)(const struct rep_input *in, uint32_t i);
	void (*write)(struct jw *w, const struct rep_input *in, uint32_t i,
	              unsigned depth);
} sections[] = {
	{ "servers", NULL, n_servers, NULL, server_write },
	{ "servers_how", servers_how_value, NULL, NULL, NULL },
	{ "summary", summary_value, NULL, NULL, NULL },
	{ "services", NULL, n_services, service_json, NULL },
	{ "groups", NULL, n_groups, group_item, NULL },
	{ "findings", NULL, n_findings, finding_item, NULL },
	{ "caveats", NULL, n_caveats, caveat_item, NULL },
};

/* A member of the top-level object: "key": then the value. */
static void jw_key(struct jw *w, bool *first, const char *key)
{
	jw_member(w, 1, *first, key);
	*first = false;
}

/* The report, written object by object: the head, then each section's
 * items made, written and freed one at a time. Memory: the head, one item
 * and the buffer, whatever the number of findings and servers. Errors are
 * left in o (rep_fail). */
static void json_write(struct rep_out *o, const struct rep_input *in)
{
	struct jw *w = malloc(sizeof *w);
	json_t *head = w ? report_head(in) : NULL;
	if (!head) {
		free(w);
		rep_fail(o, ENOMEM);
		return;
	}
	w->o = o;
	w->n = 0;
	bool first = true;
	jw_raw(w, "{", 1);
	for (void *it = json_object_iter(head); it;
	     it = json_object_iter_next(head, it)) {
		jw_key(w, &first, json_object_iter_key(it));
		jw_value(w, json_object_iter_value(it), 1);
	}
	json_decref(head);
	for (size_t k = 0; k < sizeof sections / sizeof sections[0] &&
	                   !o->failed; k++) {
		const struct section *sc = &sections[k];
		jw_key(w, &first, sc->key);
		if (sc->value) {
			json_t *v = sc->value(in);
			if (!v)
				rep_fail(o, ENOMEM);
			else
				jw_value(w, v, 1);
			json_decref(v);
			continue;
		}
		uint32_t n = sc->count(in);
		if (n == 0) {
			jw_raw(w, "[]", 2);
			continue;
		}
		jw_raw(w, "[", 1);
		for (uint32_t i = 0; i < n && !o->failed; i++) {
			if (i)
				jw_raw(w, ",", 1);
			jw_indent(w, 2);
			if (sc->write) {
				sc->write(w, in, i, 2);
				continue;
			}
			json_t *v = sc->item(in, i);
			if (!v) {
				rep_fail(o, ENOMEM); /* never a report missing one */
				break;
			}
			jw_value(w, v, 2);
			json_decref(v);
		}
		jw_indent(w, 1);
		jw_raw(w, "]", 1);
	}
	jw_indent(w, 0);
	jw_raw(w, "}\n", 2);
	jw_flush(w);
	free(w);
}

static int json_report(struct rep_out *o, const struct rep_input *in)
{
	json_write(o, in);
	return rep_done(o);
}

/* The tree: the stream, written to memory and read back, so that the
 * report has one description (for tests and any caller that wants to
 * walk it; --json never builds it). */
json_t *rep_report_json(const struct rep_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	struct rep_out o;
	memset(&o, 0, sizeof o);
	o.w = &rep_json;
	o.fp = open_memstream(&buf, &len);
	if (!o.fp)
		return NULL;
	json_write(&o, in);
	bool ok = fclose(o.fp) == 0 && !o.failed;
	json_t *r = ok ? json_loadb(buf, len, 0, NULL) : NULL;
	free(buf);
	return r;
}

const struct rep_writer rep_json = { "json", NULL, json_report };
