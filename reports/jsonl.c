/*
 * jsonl.c -- JSON lines in the habit of Suricata's EVE (--jsonl FILE).
 *
 * Design. One compact JSON object per line. While the capture runs, every
 * classified flow becomes an `event_type: "flow"` line the moment classify
 * hands it over (streaming: nothing is kept). EVE's names are used where
 * EVE has them, so SIEM parsers already know them: timestamp (the flow's
 * first packet), src_ip/src_port (the initiator), dest_ip/dest_port (the
 * responder), proto, vlan, and flow{pkts_toserver, ...} where "server" is
 * the responder as in EVE (not necessarily the monitored server, which is
 * `server`). ICMP flows carry icmp_type/icmp_code instead of ports, as in
 * EVE. portaudit's own judgement follows: verdict, service, outcome, reason.
 * At the end, one `event_type: "finding"` line per finding with the JSON
 * report's finding fields, plus EVE-style src/dest for the flows it folds.
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

static void jsonl_flow(struct rep_out *o, const struct rep_input *in,
                       const struct cls_flow *cf)
{
	const struct cap_flow *f = cf->flow;
	char t[REP_TIME_MAX], a[REP_ADDR_MAX], pb[8];
	if (o->failed)
		return;
	json_t *e = json_object();
	if (!e) {
		rep_fail(o, ENOMEM);
		return;
	}
	bool icmp = f->proto == 1 || f->proto == 58;
	rep_time(f->first_ns, t, sizeof t);
	json_object_set_new(e, "timestamp", json_string(t));
	json_object_set_new(e, "event_type", json_string("flow"));
	rep_addr(f->family, f->addr_a, 0, a, sizeof a);
	json_object_set_new(e, "src_ip", json_string(a));
	if (!icmp)
		json_object_set_new(e, "src_port", json_integer(f->port_a));
	rep_addr(f->family, f->addr_b, 0, a, sizeof a);
	json_object_set_new(e, "dest_ip", json_string(a));
	if (!icmp)
		json_object_set_new(e, "dest_port", json_integer(f->port_b));
	json_object_set_new(e, "proto",
	                    json_string(rep_proto_eve(f->proto, pb, sizeof pb)));
	if (icmp) {
		json_object_set_new(e, "icmp_type", json_integer(f->port_b >> 8));
		json_object_set_new(e, "icmp_code", json_integer(f->port_b & 0xff));
	}
	if (f->vlan)
		json_object_set_new(e, "vlan", json_pack("[i]", (int)f->vlan));
	json_t *fl = json_object();
	if (fl) {
		json_object_set_new(fl, "pkts_toserver", json_integer(f->pkts[0]));
		json_object_set_new(fl, "pkts_toclient", json_integer(f->pkts[1]));
		json_object_set_new(fl, "bytes_toserver",
		                    json_integer((json_int_t)f->bytes[0]));
		json_object_set_new(fl, "bytes_toclient",
		                    json_integer((json_int_t)f->bytes[1]));
		json_object_set_new(fl, "start", json_string(t));
		rep_time(f->last_ns, t, sizeof t);
		json_object_set_new(fl, "end", json_string(t));
		json_object_set_new(fl, "state",
		                    json_string(rep_eve_state(f->outcome)));
		json_object_set_new(fl, "initiator_inferred",
		                    json_boolean(f->initiator_inferred));
		json_object_set_new(e, "flow", fl);
	}
	json_object_set_new(e, "verdict",
	                    json_string(cls_verdict_name(cf->verdict)));
	json_object_set_new(e, "service",
	                    rep_jstr(rep_service_id(in, cf->service)));
	json_object_set_new(e, "outcome",
	                    json_string(rep_outcome_name(f->outcome)));
	if (f->outcome == CAP_OUT_UNREACHABLE)
		json_object_set_new(e, "icmp_error", json_pack("{s:i, s:i}",
		                    "type", (int)f->icmp_type,
		                    "code", (int)f->icmp_code));
	if (cf->server >= 0) {
		rep_addr(f->family, cf->server_is_initiator ? f->addr_a
		                                             : f->addr_b, 0, a,
		         sizeof a);
		json_object_set_new(e, "server", json_string(a));
		json_object_set_new(e, "initiator", json_string(
		                    cf->server_is_initiator ? "server" : "peer"));
	}
	json_object_set_new(e, "reason", rep_jstr(cf->reason));
	emit(o, e);
}

static int jsonl_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	const struct cap_stats *st = in->cap;
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
			rep_addr(f->family, src, 0, a, sizeof a);
			json_object_set_new(e, "src_ip", json_string(a));
			rep_addr(f->family, dst, 0, a, sizeof a);
			json_object_set_new(e, "dest_ip", json_string(a));
			json_object_set_new(e, "dest_port", json_integer(f->port));
			json_object_set_new(e, "proto", json_string(
			                    rep_proto_eve(f->proto, pb, sizeof pb)));
		}
		json_object_update(e, body);
		json_decref(body);
		emit(o, e);
	}
	return rep_done(o);
}

const struct rep_writer rep_jsonl = { "jsonl", jsonl_flow, jsonl_report, NULL };
