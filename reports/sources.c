/*
 * sources.c -- what a report says about flow-record input (--flows,
 * --collect): the sources with their kind, the record counters, the
 * sampling (docs/report-format.md, capture.sources and capture.records).
 * The writers call these in their capture sections, so the terminal, the
 * HTML page and the JSON say the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rep_int.h"

bool rep_flow_input(const struct rep_input *in)
{
	return in->cap && in->cap->kind != CAP_SRC_PACKETS;
}

bool rep_live_input(const struct rep_input *in)
{
	const struct cap_options *co = in->capopt;
	return co && (co->iface ||
	              (!in->nmerged && co->kind == CAP_SRC_NETFLOW));
}

unsigned rep_nsources(const struct rep_input *in)
{
	const struct cap_options *co = in->capopt;
	if (!co)
		return 0;
	if (!in->nmerged && co->kind == CAP_SRC_NETFLOW) {
		uint32_t n = in->cap->rec.nexporter_addrs;
		return 1 + (n < CAP_REC_EXPORTERS_SHOWN ? n
		                                        : CAP_REC_EXPORTERS_SHOWN);
	}
	return co->nsources < CAP_MAX_SOURCES ? co->nsources : CAP_MAX_SOURCES;
}

void rep_source_label(const struct rep_input *in, unsigned i, char *buf,
                      size_t len)
{
	const struct cap_options *co = in->capopt;
	buf[0] = 0;
	if (!co)
		return;
	if (!in->nmerged && co->kind == CAP_SRC_NETFLOW) {
		if (i == 0) {
			snprintf(buf, len, "netflow:%s", co->collect ? co->collect
			                                             : "");
		} else {
			const struct cap_rec_stats *rs = &in->cap->rec;
			char a[REP_ADDR_MAX];
			rep_addr(rs->exporter_family[i - 1],
			         rs->exporter_addrs[i - 1], REP_HOST, a, sizeof a);
			snprintf(buf, len, "exporter:%s", a);
		}
		return;
	}
	if (i >= co->nsources || i >= CAP_MAX_SOURCES)
		return;
	const char *kind = in->nmerged ? NULL
	                 : co->kind == CAP_SRC_ZEEK ? "zeek"
	                 : co->kind == CAP_SRC_NFDUMP ? "nfdump" : NULL;
	if (kind)
		snprintf(buf, len, "%s:%s", kind, co->sources[i]);
	else
		snprintf(buf, len, "%s", co->sources[i]);
}

void rep_sampling_words(uint32_t sampling, char *buf, size_t len)
{
	if (sampling == CAP_SAMPLING_UNKNOWN)
		snprintf(buf, len, "sampled at a rate the records do not state");
	else if (sampling > 1)
		snprintf(buf, len, "1 in %" PRIu32 " packets", sampling);
	else
		snprintf(buf, len, "none");
}

void rep_records_words(const struct cap_stats *st, char *buf,
                       size_t len)
{
	const struct cap_rec_stats *rs = &st->rec;
	int n = snprintf(buf, len, "%" PRIu64 " read, %" PRIu64 " paired, %"
	                 PRIu64 " merged, %" PRIu64 " duplicates, %" PRIu64
	                 " unpaired, %" PRIu64 " malformed",
	                 rs->records, rs->paired, rs->merged, rs->duplicates,
	                 rs->unpaired, rs->malformed);
	size_t off = n > 0 ? (size_t)n : 0;
	const struct { const char *what; uint64_t n; } more[] = {
		{ "evicted (pairing table full)", rs->evicted },
		{ "data sets without their template", rs->templates_missing },
		{ "templates dropped (template cache full)",
		  rs->templates_evicted },
		{ "datagrams dropped (exporter table full)", rs->exporters_full },
		{ "sequence gaps", rs->sequence_gaps },
		{ st->kind == CAP_SRC_NETFLOW
		  ? "datagrams from other exporters ignored"
		  : "records from other exporters ignored",
		  rs->ignored_exporters },
		{ "inside a tunnel", rs->tunneled },
	};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
		if (!more[i].n || off >= len)
			continue;
		n = snprintf(buf + off, len - off, ", %" PRIu64 " %s", more[i].n,
		             more[i].what);
		off += n > 0 ? (size_t)n : 0;
	}
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)(v > (uint64_t)INT64_MAX
	                                 ? (uint64_t)INT64_MAX : v));
}

json_t *rep_records_json(const struct cap_stats *st)
{
	const struct cap_rec_stats *rs = &st->rec;
	json_t *o = json_object();
	json_t *ex = json_array();
	if (!o || !ex) {
		json_decref(o);
		json_decref(ex);
		return NULL;
	}
	static const char *const kinds[] = { "packets", "zeek", "nfdump",
	                                     "netflow" };
	json_object_set_new(o, "kind", json_string(
		rs->kinds_mixed ? "mixed" :
		(unsigned)st->kind < 4 ? kinds[st->kind] : "unknown"));
	json_object_set_new(o, "records", u64(rs->records));
	json_object_set_new(o, "paired", u64(rs->paired));
	json_object_set_new(o, "merged", u64(rs->merged));
	json_object_set_new(o, "duplicates", u64(rs->duplicates));
	json_object_set_new(o, "unpaired", u64(rs->unpaired));
	json_object_set_new(o, "malformed", u64(rs->malformed));
	json_object_set_new(o, "evicted", u64(rs->evicted));
	json_object_set_new(o, "templates_missing", u64(rs->templates_missing));
	json_object_set_new(o, "templates_evicted", u64(rs->templates_evicted));
	json_object_set_new(o, "exporters_full", u64(rs->exporters_full));
	json_object_set_new(o, "sequence_gaps", u64(rs->sequence_gaps));
	json_object_set_new(o, "ignored_exporters", u64(rs->ignored_exporters));
	json_object_set_new(o, "tunneled", u64(rs->tunneled));
	json_object_set_new(o, "exporters", u64(rs->exporters));
	uint32_t n = rs->nexporter_addrs < CAP_REC_EXPORTERS_SHOWN
	           ? rs->nexporter_addrs : CAP_REC_EXPORTERS_SHOWN;
	for (uint32_t i = 0; i < n; i++) {
		char a[REP_ADDR_MAX];
		rep_addr(rs->exporter_family[i], rs->exporter_addrs[i], REP_HOST, a,
		         sizeof a);
		json_array_append_new(ex, json_string(a));
	}
	json_object_set_new(o, "exporter_addresses", ex);
	bool sampled = rs->sampling > 1;
	json_object_set_new(o, "sampled", json_boolean(sampled));
	json_object_set_new(o, "sampling",
	                    rs->sampling == CAP_SAMPLING_UNKNOWN ? json_null()
	                    : json_integer(sampled ? rs->sampling : 1));
	json_object_set_new(o, "initiators_guessed",
	                    json_boolean(rs->initiators_guessed));
	json_object_set_new(o, "unreachable_inferred",
	                    json_boolean(rs->unreachable_inferred));
	json_object_set_new(o, "missed_bytes", json_boolean(rs->missed_bytes));
	json_object_set_new(o, "biflow_flags_guessed",
	                    json_boolean(rs->biflow_flags_guessed));
	return o;
}
