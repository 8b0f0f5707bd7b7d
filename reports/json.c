/*
 * json.c -- the versioned JSON report (docs/report-format.md).
 *
 * Design. The report is built as one jansson tree by rep_report_json() and
 * dumped at the end with two-space indentation, keys in the order they were
 * set (jansson keeps insertion order). Every value comes from what capture
 * counted and classify decided; nothing is recomputed here. The report holds
 * no wall-clock time, so the same capture and options give the same bytes
 * (golden tests rely on it); times are the packets' own. Memory: the tree
 * is proportional to the findings (bounded by --max-findings) and the
 * catalog; flows are never part of it.
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
	if (rep_zero_addr(f->server)) {
		json_object_set_new(o, "server", json_null());
	} else {
		rep_addr(f->family, f->server, 0, a, sizeof a);
		json_object_set_new(o, "server", json_string(a));
	}
	if (f->has_peer) {
		rep_addr(f->family, f->peer, f->peer_len, a, sizeof a);
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
	for (int i = 0; i < CAP_AN_COUNT; i++)
		json_object_set_new(an, cap_anomaly_name((enum cap_anomaly)i),
		                    u64(st->anomalies[i]));
	json_object_set_new(c, "sources", src);
	json_object_set_new(c, "live", json_boolean(rep_live_input(in)));
	json_object_set_new(c, "filter", str_or_null(co ? co->filter : NULL));
	json_object_set_new(c, "snaplen", json_integer(co && co->snaplen
	                    ? co->snaplen : CAP_DEFAULT_SNAPLEN));
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

json_t *rep_report_json(const struct rep_input *in)
{
	const struct cls_result *res = in->res;
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
	rep_identity_json(r, cap, in);
	json_object_set_new(r, "capture", cap);

	json_t *sv = json_array();
	for (uint32_t i = 0; sv && i < res->nservers; i++) {
		const struct cls_server *s = &res->servers[i];
		char a[REP_ADDR_MAX];
		rep_addr(s->family, s->addr, s->len, a, sizeof a);
		json_t *by = json_object(), *kinds = kinds_json(s->kinds);
		for (int v = 0; by && v < CLS_V_NONE; v++)
			json_object_set_new(by, cls_verdict_name((enum cls_verdict)v),
			                    u64(s->by[v]));
		json_array_append_new(sv, json_pack("{s:s, s:b, s:o, s:o, s:o, s:o}",
		                      "address", a, "inferred", (int)s->inferred,
		                      "name", s->name[0] ? rep_jstr(s->name)
		                                         : json_null(),
		                      "how", rep_jstr(s->how),
		                      "flows_by_verdict", by ? by : json_null(),
		                      "findings_by_kind",
		                      kinds ? kinds : json_null()));
	}
	json_object_set_new(r, "servers", sv ? sv : json_null());
	json_object_set_new(r, "servers_how", rep_jstr(res->servers_how));
	json_object_set_new(r, "summary", summary_json(&res->summary));

	json_t *svc = json_array();
	for (uint32_t i = 0; svc && cat && i < cat->nservices; i++) {
		json_t *o = cat_service_json(m, i);
		if (!o)
			continue;
		const struct cls_service_stat *st = &res->services[i];
		json_object_set_new(o, "status",
		                    json_string(cls_status_name(st->status)));
		json_object_set_new(o, "flows", u64(st->flows));
		json_object_set_new(o, "ok_flows", u64(st->ok_flows));
		json_object_set_new(o, "bytes", u64(st->bytes));
		json_object_set_new(o, "by_verdict", by_verdict_json(st));
		json_object_set_new(o, "service_group",
		                    str_or_null(rep_attrib_id(in, -1, st->group)));
		json_object_set_new(o, "caveat", st->caveat[0]
		                    ? rep_jstr(st->caveat) : json_null());
		json_array_append_new(svc, o);
	}
	json_object_set_new(r, "services", svc ? svc : json_null());

	json_t *gr = json_array();
	for (uint32_t i = 0; gr && cat && i < res->ngroups; i++) {
		json_t *g = group_json(in, &res->groups[i]);
		if (g)
			json_array_append_new(gr, g);
	}
	json_object_set_new(r, "groups", gr ? gr : json_null());

	json_t *fs = json_array();
	for (uint32_t i = 0; fs && i < res->nfindings; i++)
		json_array_append_new(fs, rep_finding_json(in, &res->findings[i]));
	json_object_set_new(r, "findings", fs ? fs : json_null());

	json_t *cv = json_array();
	for (uint32_t i = 0; cv && i < res->ncaveats && i < 8; i++)
		json_array_append_new(cv, rep_jstr(res->caveats[i]));
	json_object_set_new(r, "caveats", cv ? cv : json_null());
	return r;
}

static int json_report(struct rep_out *o, const struct rep_input *in)
{
	json_t *r = rep_report_json(in);
	if (!r) {
		rep_fail(o, ENOMEM);
		return rep_done(o);
	}
	errno = 0;
	if (json_dumpf(r, o->fp, JSON_INDENT(2)) != 0)
		rep_fail(o, errno ? errno : EIO);
	rep_puts(o, "\n");
	json_decref(r);
	return rep_done(o);
}

const struct rep_writer rep_json = { "json", NULL, json_report };
