/*
 * csv.c -- the findings as CSV, one row each (--csv FILE).
 *
 * Design. A header row, then one row per finding in classify's order (worst
 * first), with the columns of the JSON report's findings flattened (icmp
 * becomes icmp_type/icmp_code; absent values are empty fields). Quoting
 * follows RFC 4180: a field is quoted when it holds a comma, a double quote,
 * CR or LF (or leading/trailing blanks), quotes inside are doubled, rows end
 * with CRLF. The columns are fixed and documented in docs/report-format.md;
 * new ones are only ever added at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rep_int.h"

void rep_csv_field(struct rep_out *o, const char *sep, const char *s)
{
	if (sep)
		rep_puts(o, sep);
	if (!s)
		return;
	size_t n = strlen(s);
	if (!rep_csv_needs_quotes(s, n)) {
		rep_write(o, s, n);
		return;
	}
	rep_puts(o, "\"");
	for (const char *p = s; *p; ) {
		const char *q = strchr(p, '"');
		size_t k = q ? (size_t)(q - p) + 1 : strlen(p);
		rep_write(o, p, k);
		if (q)
			rep_puts(o, "\"");
		p += k;
	}
	rep_puts(o, "\"");
}

void rep_csv_end(struct rep_out *o)
{
	rep_puts(o, "\r\n");
}

static const char *const columns[] = {
	"kind", "service", "protocol", "port", "ports", "nports", "server",
	"peer", "initiator", "outcome", "icmp_type", "icmp_code", "flows",
	"packets", "bytes", "first_seen", "last_seen", "reason",
};

static void num(struct rep_out *o, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRIu64, v);
	rep_csv_field(o, ",", b);
}

static int csv_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
		rep_csv_field(o, i ? "," : NULL, columns[i]);
	rep_csv_end(o);
	for (uint32_t i = 0; i < res->nfindings && !o->failed; i++) {
		const struct cls_finding *f = &res->findings[i];
		char b[REP_ADDR_MAX], pb[8];
		rep_csv_field(o, NULL, cls_kind_name(f->kind));
		rep_csv_field(o, ",", rep_attrib_id(in, f->service, f->group));
		rep_csv_field(o, ",", rep_proto_name(f->proto, pb, sizeof pb));
		num(o, f->port);
		if (f->port_hi != f->port) {
			snprintf(b, sizeof b, "%u-%u", (unsigned)f->port,
			         (unsigned)f->port_hi);
			rep_csv_field(o, ",", b);
		} else {
			rep_csv_field(o, ",", NULL);
		}
		num(o, f->nports ? f->nports : 1);
		if (rep_zero_addr(f->server)) {
			rep_csv_field(o, ",", NULL);
		} else {
			rep_addr(f->family, f->server, REP_HOST, b, sizeof b);
			rep_csv_field(o, ",", b);
		}
		if (f->has_peer) {
			rep_addr(f->family, f->peer, REP_PEER_LEN(f), b, sizeof b);
			rep_csv_field(o, ",", b);
		} else {
			rep_csv_field(o, ",", NULL);
		}
		rep_csv_field(o, ",", f->server_initiated ? "server" : "peer");
		rep_csv_field(o, ",", f->flows ? rep_outcome_name(f->outcome)
		                               : NULL);
		if (f->has_icmp) {
			num(o, f->icmp_type);
			num(o, f->icmp_code);
		} else {
			rep_csv_field(o, ",", NULL);
			rep_csv_field(o, ",", NULL);
		}
		num(o, f->flows);
		num(o, f->packets);
		num(o, f->bytes);
		char t[REP_TIME_MAX];
		rep_time(f->first_ns, t, sizeof t);
		rep_csv_field(o, ",", f->flows ? t : NULL);
		rep_time(f->last_ns, t, sizeof t);
		rep_csv_field(o, ",", f->flows ? t : NULL);
		rep_csv_field(o, ",", f->reason);
		rep_csv_end(o);
	}
	return rep_done(o);
}

const struct rep_writer rep_csv = { "csv", NULL, csv_report, NULL };
