/*
 * flows_csv.c -- every classified flow as one CSV row (--flows-csv FILE).
 *
 * Design. Streaming: each flow is written when classify hands it over (the
 * writer's flow callback) and forgotten; nothing is kept, so memory does not
 * grow with the capture. The header row is written before the first flow
 * (or by the report callback when there was none). Columns follow the EVE
 * names of the JSON-lines writer: src is the initiator, dest the responder;
 * ICMP flows leave the ports empty and fill icmp_type/icmp_code with the
 * request's type and code. The last five columns are the innermost tunnel
 * the flow came through (kind, outer addresses, VNI/key/session id,
 * depth), empty for a flow outside any. Quoting is RFC 4180 (rl_csv). Each row is built
 * by hand into one buffer and written with one call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "rep_int.h"

struct fcsv_state {
	bool header;
};

static const char *const columns[] = {
	"flow_id", "start", "end", "protocol", "src_ip", "src_port", "dest_ip",
	"dest_port", "icmp_type", "icmp_code", "vlan", "initiator_inferred",
	"outcome", "pkts_toserver", "pkts_toclient", "bytes_toserver",
	"bytes_toclient", "verdict", "service", "server", "reason",
	/* the innermost tunnel the flow came through, empty when none */
	"tunnel_kind", "tunnel_src_ip", "tunnel_dest_ip", "tunnel_id",
	"tunnel_depth",
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

/* Built by hand (rep_line): this runs once per flow. */
static void fcsv_flow(struct rep_out *o, const struct rep_input *in,
                      const struct cls_flow *cf)
{
	const struct cap_flow *f = cf->flow;
	struct rep_line l;
	char pb[8];
	header(o);
	if (o->failed)
		return;
	l.n = 0;
	l.over = false;
	bool icmp = f->proto == 1 || f->proto == 58;
	bool ports = rep_has_ports(f->proto);
	rl_u64(&l, cf->flow_id);
	rl_raw(&l, ",", 1);
	rl_time(&l, f->first_ns);
	rl_raw(&l, ",", 1);
	rl_time(&l, f->last_ns);
	rl_raw(&l, ",", 1);
	rl_csv(&l, rep_proto_name(f->proto, pb, sizeof pb));
	rl_raw(&l, ",", 1);
	rl_addr(&l, f->family, f->addr_a);
	rl_raw(&l, ",", 1);
	if (ports)
		rl_u64(&l, f->port_a);
	rl_raw(&l, ",", 1);
	rl_addr(&l, f->family, f->addr_b);
	rl_raw(&l, ",", 1);
	if (icmp) {
		rl_raw(&l, ",", 1);
		rl_u64(&l, f->port_b >> 8);
		rl_raw(&l, ",", 1);
		rl_u64(&l, f->port_b & 0xff);
	} else {
		if (ports)
			rl_u64(&l, f->port_b);
		rl_raw(&l, ",,", 2);
	}
	rl_raw(&l, ",", 1);
	if (f->vlan)
		rl_u64(&l, f->vlan);
	rl_lit(&l, f->initiator_inferred ? ",true," : ",false,");
	rl_csv(&l, rep_outcome_name(cf->outcome));
	for (int i = 0; i < 2; i++) {
		rl_raw(&l, ",", 1);
		rl_u64(&l, f->pkts[i]);
	}
	for (int i = 0; i < 2; i++) {
		rl_raw(&l, ",", 1);
		rl_u64(&l, f->bytes[i]);
	}
	rl_raw(&l, ",", 1);
	rl_csv(&l, cls_verdict_name(cf->verdict));
	rl_raw(&l, ",", 1);
	rl_csv(&l, rep_flow_service(in, cf));
	rl_raw(&l, ",", 1);
	if (cf->server >= 0)
		rl_addr(&l, f->family, cf->server_is_initiator ? f->addr_a
		                                                : f->addr_b);
	rl_raw(&l, ",", 1);
	rl_csv(&l, cf->reason);
	const struct cap_tunnel *t = rep_tunnel(in, f->tunnel);
	if (t) {
		rl_raw(&l, ",", 1);
		rl_csv(&l, cap_tunnel_kind_name(t->kind));
		rl_raw(&l, ",", 1);
		rl_addr(&l, t->family, t->src);
		rl_raw(&l, ",", 1);
		rl_addr(&l, t->family, t->dst);
		rl_raw(&l, ",", 1);
		if (t->has_id)
			rl_u64(&l, t->id);
		rl_raw(&l, ",", 1);
		rl_u64(&l, t->depth);
	} else {
		rl_raw(&l, ",,,,,", 5);
	}
	rl_raw(&l, "\r\n", 2);
	if (l.over) {
		rep_fail(o, EOVERFLOW);
		return;
	}
	rep_write(o, l.b, l.n);
}

static int fcsv_report(struct rep_out *o, const struct rep_input *in)
{
	(void)in;
	header(o);
	return rep_done(o);
}

const struct rep_writer rep_flows_csv = { "flows-csv", fcsv_flow, fcsv_report,
                                          NULL };
