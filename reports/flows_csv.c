/*
 * flows_csv.c -- every classified flow as one CSV row (--flows-csv FILE).
 *
 * Design. Streaming: each flow is written when classify hands it over (the
 * writer's flow callback) and forgotten; nothing is kept, so memory does not
 * grow with the capture. The header row is written before the first flow
 * (or by the report callback when there was none). Columns follow the EVE
 * names of the JSON-lines writer: src is the initiator, dest the responder;
 * ICMP flows leave the ports empty and fill icmp_type/icmp_code with the
 * request's type and code. Quoting is RFC 4180 (rep_csv_field).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "rep_int.h"

struct fcsv_state {
	bool header;
};

static const char *const columns[] = {
	"start", "end", "protocol", "src_ip", "src_port", "dest_ip",
	"dest_port", "icmp_type", "icmp_code", "vlan", "initiator_inferred",
	"outcome", "pkts_toserver", "pkts_toclient", "bytes_toserver",
	"bytes_toclient", "verdict", "service", "server", "reason",
};

static void header(struct rep_out *o)
{
	struct fcsv_state *s = o->state;
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s) {
			rep_fail(o, ENOMEM);
			return;
		}
		o->state = s;
	}
	if (s->header)
		return;
	for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
		rep_csv_field(o, i ? "," : NULL, columns[i]);
	rep_csv_end(o);
	s->header = true;
}

static void num(struct rep_out *o, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRIu64, v);
	rep_csv_field(o, ",", b);
}

static void fcsv_flow(struct rep_out *o, const struct rep_input *in,
                      const struct cls_flow *cf)
{
	const struct cap_flow *f = cf->flow;
	char t[REP_TIME_MAX], a[REP_ADDR_MAX], pb[8];
	header(o);
	if (o->failed)
		return;
	rep_time(f->first_ns, t, sizeof t);
	rep_csv_field(o, NULL, t);
	rep_time(f->last_ns, t, sizeof t);
	rep_csv_field(o, ",", t);
	rep_csv_field(o, ",", rep_proto_name(f->proto, pb, sizeof pb));
	bool icmp = f->proto == 1 || f->proto == 58;
	rep_addr(f->family, f->addr_a, 0, a, sizeof a);
	rep_csv_field(o, ",", a);
	if (icmp)
		rep_csv_field(o, ",", NULL);
	else
		num(o, f->port_a);
	rep_addr(f->family, f->addr_b, 0, a, sizeof a);
	rep_csv_field(o, ",", a);
	if (icmp) {
		rep_csv_field(o, ",", NULL);
		num(o, f->port_b >> 8);
		num(o, f->port_b & 0xff);
	} else {
		num(o, f->port_b);
		rep_csv_field(o, ",", NULL);
		rep_csv_field(o, ",", NULL);
	}
	if (f->vlan)
		num(o, f->vlan);
	else
		rep_csv_field(o, ",", NULL);
	rep_csv_field(o, ",", f->initiator_inferred ? "true" : "false");
	rep_csv_field(o, ",", rep_outcome_name(f->outcome));
	num(o, f->pkts[0]);
	num(o, f->pkts[1]);
	num(o, f->bytes[0]);
	num(o, f->bytes[1]);
	rep_csv_field(o, ",", cls_verdict_name(cf->verdict));
	rep_csv_field(o, ",", rep_service_id(in, cf->service));
	if (cf->server >= 0) {
		rep_addr(f->family, cf->server_is_initiator ? f->addr_a
		                                             : f->addr_b, 0, a,
		         sizeof a);
		rep_csv_field(o, ",", a);
	} else {
		rep_csv_field(o, ",", NULL);
	}
	rep_csv_field(o, ",", cf->reason);
	rep_csv_end(o);
}

static int fcsv_report(struct rep_out *o, const struct rep_input *in)
{
	(void)in;
	header(o);
	return rep_done(o);
}

const struct rep_writer rep_flows_csv = { "flows-csv", fcsv_flow, fcsv_report,
                                          NULL };
