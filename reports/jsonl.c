/*
 * jsonl.c -- JSON lines in the habit of Suricata's EVE (--jsonl FILE).
 *
 * Design. One compact JSON object per line. While the capture runs, every
 * classified flow becomes an `event_type: "flow"` line the moment classify
 * hands it over (streaming: nothing is kept). EVE's names are used where
 * EVE has them, so SIEM parsers already know them: timestamp (the flow's
 * first packet), src_ip/src_port (the initiator), dest_ip/dest_port (the
 * responder), proto, vlan, tunnel (the tunnel the flow came through, when
 * decapsulated: kind, outer addresses, VNI/key/session id, depth, parent),
 * and flow{pkts_toserver, ...} where "server" is
 * the responder as in EVE (not necessarily the monitored server, which is
 * `server`). ICMP flows carry icmp_type/icmp_code instead of ports, as in
 * EVE. portaudit's own judgement follows: verdict, service (or the service
 * group the flow is attributed to), outcome as judged, reason. Each flow
 * has a flow_id, unique in the run, and each finding lists the flow_ids of
 * its first flows (CLS_FLOW_IDS), so a SIEM can join them.
 * At the end, one `event_type: "finding"` line per finding with the JSON
 * report's finding fields, plus EVE-style src/dest for the flows it folds.
 * Flow lines are built by hand into one buffer and written with one call
 * (about a microsecond a flow); finding lines, few, go through jansson.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "rep_int.h"

static void emit(struct rep_out *o, json_t *e)
{
	if (!e) {
		rep_fail(o, ENOMEM);
		return;
	}
	char *s = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (!s) {
		rep_fail(o, ENOMEM);
		return;
	}
	rep_puts(o, s);
	rep_puts(o, "\n");
	free(s);
}

static void key(struct rep_line *l, const char *k)
{
	rl_raw(l, ",\"", 2);
	rl_lit(l, k);
	rl_raw(l, "\":", 2);
}

/* Built by hand (rep_line), not with jansson: this runs once per flow. */
static void jsonl_flow(struct rep_out *o, const struct rep_input *in,
                       const struct cls_flow *cf)
{
	const struct cap_flow *f = cf->flow;
	struct rep_line l;
	char pb[8];
	rep_stream_check(o);
	if (o->failed)
		return;
	l.n = 0;
	l.over = false;
	bool icmp = f->proto == 1 || f->proto == 58;
	bool ports = rep_has_ports(f->proto);
	rl_lit(&l, "{\"timestamp\":\"");
	rl_time(&l, f->first_ns);
	rl_lit(&l, "\",\"flow_id\":");
	rl_u64(&l, cf->flow_id);
	rl_lit(&l, ",\"event_type\":\"flow\",\"src_ip\":\"");
	rl_addr(&l, f->family, f->addr_a);
	rl_raw(&l, "\"", 1);
	if (ports) {
		key(&l, "src_port");
		rl_u64(&l, f->port_a);
	}
	key(&l, "dest_ip");
	rl_raw(&l, "\"", 1);
	rl_addr(&l, f->family, f->addr_b);
	rl_raw(&l, "\"", 1);
	if (ports) {
		key(&l, "dest_port");
		rl_u64(&l, f->port_b);
	}
	key(&l, "proto");
	rl_jstr(&l, rep_proto_eve(f->proto, pb, sizeof pb));
	if (icmp) {
		key(&l, "icmp_type");
		rl_u64(&l, f->port_b >> 8);
		key(&l, "icmp_code");
		rl_u64(&l, f->port_b & 0xff);
	}
	if (f->vlan) {
		key(&l, "vlan");
		rl_raw(&l, "[", 1);
		rl_u64(&l, f->vlan);
		rl_raw(&l, "]", 1);
	}
	if (rep_tunnel(in, f->tunnel)) { /* as EVE's tunnel, Zeek's parents */
		key(&l, "tunnel");
		rl_tunnel(&l, in, f->tunnel);
	}
	rl_lit(&l, ",\"flow\":{\"pkts_toserver\":");
	rl_u64(&l, f->pkts[0]);
	key(&l, "pkts_toclient");
	rl_u64(&l, f->pkts[1]);
	key(&l, "bytes_toserver");
	rl_u64(&l, f->bytes[0]);
	key(&l, "bytes_toclient");
	rl_u64(&l, f->bytes[1]);
	key(&l, "start");
	rl_raw(&l, "\"", 1);
	rl_time(&l, f->first_ns);
	rl_raw(&l, "\"", 1);
	key(&l, "end");
	rl_raw(&l, "\"", 1);
	rl_time(&l, f->last_ns);
	rl_raw(&l, "\"", 1);
	key(&l, "state");
	rl_jstr(&l, rep_eve_state(cf));
	key(&l, "initiator_inferred");
	rl_lit(&l, f->initiator_inferred ? "true}" : "false}");
	key(&l, "verdict");
	rl_jstr(&l, cls_verdict_name(cf->verdict));
	key(&l, "service");
	rl_jstr(&l, rep_flow_service(in, cf));
	key(&l, "outcome");
	rl_jstr(&l, rep_outcome_name(cf->outcome));
	if (f->outcome == CAP_OUT_UNREACHABLE) {
		rl_lit(&l, ",\"icmp_error\":{\"type\":");
		rl_u64(&l, f->icmp_type);
		key(&l, "code");
		rl_u64(&l, f->icmp_code);
		rl_raw(&l, "}", 1);
	}
	if (cf->server >= 0) {
		key(&l, "server");
		rl_raw(&l, "\"", 1);
		rl_addr(&l, f->family, cf->server_is_initiator ? f->addr_a
		                                                : f->addr_b);
		rl_raw(&l, "\"", 1);
		key(&l, "initiator");
		rl_jstr(&l, cf->server_is_initiator ? "server" : "peer");
	}
	key(&l, "reason");
	rl_jstr(&l, cf->reason);
	rl_raw(&l, "}\n", 2);
	if (l.over) { /* never for these fields; keep the lines valid JSON */
		rep_fail(o, EOVERFLOW);
		return;
	}
	rep_write(o, l.b, l.n);
}

static int jsonl_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	const struct cap_stats *st = in->cap;
	rep_stream_check(o);
	for (uint32_t i = 0; i < res->nfindings && !o->failed; i++) {
		const struct cls_finding *f = &res->findings[i];
		json_t *body = rep_finding_json(in, f);
		json_t *e = json_object();
		if (!body || !e) {
			json_decref(body);
			json_decref(e);
			rep_fail(o, ENOMEM);
			break;
		}
		char t[REP_TIME_MAX], a[REP_ADDR_MAX], pb[8];
		bool have_t = true;
		if (f->flows)
			rep_time(f->first_ns, t, sizeof t);
		else if (st && st->packets)
			rep_time(st->last_ns, t, sizeof t);
		else
			have_t = false;
		if (have_t)
			json_object_set_new(e, "timestamp", json_string(t));
		json_object_set_new(e, "event_type", json_string("finding"));
		if (f->flows && f->has_peer && !rep_zero_addr(f->server)) {
			const uint8_t *src = f->server_initiated ? f->server : f->peer;
			const uint8_t *dst = f->server_initiated ? f->peer : f->server;
			rep_addr(f->family, src, REP_HOST, a, sizeof a);
			json_object_set_new(e, "src_ip", json_string(a));
			rep_addr(f->family, dst, REP_HOST, a, sizeof a);
			json_object_set_new(e, "dest_ip", json_string(a));
			json_object_set_new(e, "dest_port", json_integer(f->port));
			json_object_set_new(e, "proto", json_string(
			                    rep_proto_eve(f->proto, pb, sizeof pb)));
		}
		json_object_update(e, body);
		json_decref(body);
		emit(o, e);
	}
	/* --interval: the stream stays one; each interval ends with a line
	 * saying which it was and its verdict. */
	if (in->interval && !o->failed) {
		const struct rep_interval *iv = in->interval;
		const struct cls_summary *s = &res->summary;
		char t0[REP_TIME_MAX], t1[REP_TIME_MAX];
		rep_time(iv->start_ns, t0, sizeof t0);
		rep_time(iv->end_ns, t1, sizeof t1);
		json_t *e = json_pack("{s:s, s:s, s:{s:i, s:i, s:s, s:s, s:b}, "
		                      "s:s, s:o, s:o}",
		                      "timestamp", t1, "event_type", "interval",
		                      "interval", "seq", (json_int_t)iv->seq,
		                      "seconds", (json_int_t)iv->seconds,
		                      "start", t0, "end", t1, "last", iv->final,
		                      "verdict", cls_overall_name(s->verdict),
		                      "flows", json_integer((json_int_t)s->flows),
		                      "findings", json_integer(
		                              (json_int_t)res->nfindings));
		if (!e)
			rep_fail(o, ENOMEM);
		else
			emit(o, e);
	}
	return rep_done(o);
}

const struct rep_writer rep_jsonl = { "jsonl", jsonl_flow, jsonl_report, NULL,
                                      true };
