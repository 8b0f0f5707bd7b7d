/*
 * merge.c -- `portaudit merge A.json B.json ... [--json F] [--html F] ...`
 *
 * Design. Reports of the same site (several capture points, several days)
 * are read back with jansson and rebuilt into the structures the writers
 * already print: a struct cls_result, a struct cap_stats and cap_options,
 * and the model of the catalog the reports name (the built-in one, or
 * --catalog FILE, checked by sha256). Every writer then prints the merged
 * report exactly as it prints a capture's, so a merged report has every
 * format and the same layout. Nothing is counted twice: every report has
 * an identity (report_id, the hash of its capture facts, and covers, the
 * capture reports it stands for; computed on loading for reports older
 * than ids), and two inputs that cover one capture are refused, both
 * named, before anything is written. Two different captures of one source
 * (a file's basename, or a live host and interface) whose windows overlap
 * may share flows: merged, with a warning each pair and a caveat. Nothing
 * is judged again: verdicts are the reports' own, and only counters are
 * combined:
 *   capture   counters summed, start = min, end = max, flags OR-ed, sources
 *             listed one after the other;
 *   servers   the union (inferred only if inferred in every report);
 *   services  flows/bytes (also by verdict) summed; status: missing while
 *             a missing finding of it survives (below), else observed if
 *             observed anywhere or any flow succeeded, else blocked if it
 *             had attempts (expected or blocked flows), else violated if
 *             it had flows (all breaking its rule), else disabled if
 *             disabled everywhere, else not-seen;
 *   groups    the service groups of the reports, one per member set (the
 *             same rows share flows alike in every report made with the
 *             same catalog), counted and settled like services; a finding
 *             or service naming a report's group names the merged one;
 *   findings  same key (kind, service, protocol, port, server, peer,
 *             initiator; a flood has no peer) merged (a flood's peers
 *             summed: a peer in two reports counts twice): flows/packets/bytes summed, first/last
 *             widened, outcome, ICMP and reason of the latest; range (scan)
 *             findings of one pair merge into one range, and that pair's
 *             single-port unexpected findings fold into it, as they do when
 *             a pair has more than classify's scan threshold of them; a
 *             missing finding survives only if every report has it;
 *   summary   flow counts summed, finding counts recounted;
 *   identity  covers the union of the reports' covers, report_id its hash.
 * What a merged report cannot carry: flows (no --flows-csv; --jsonl has
 * finding events only), flow_ids (unique within one run only), the exact distinct-port count of a scan seen in
 * several reports as ranges (nports is summed, capped by the range's
 * width), profile overrides of ports when the profile file cannot be read
 * again (enabled/required are then taken from the reports), and its parts'
 * own windows and live hosts (a merged report overlaps by its whole window
 * and its sources' names). A merged report older than ids is one capture
 * to a later merge: its parts are not recorded. docs/report-format.md says
 * so too. Memory: the parsed reports, one array of all findings, one of
 * all covers (sorted once).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "rep_int.h"

#define MERGE_MAX_REPORTS 256
/* More single-port unexpected findings than CLS_SCAN_PORTS for one
 * (server, peer, protocol, side) make a scan, worded by cls_scan_reason and
 * sorted by cls_sort_findings: classify's own threshold, words and order, so
 * that reports merged from parts of a capture read as the whole capture's. */

/* Was report r not audited (it checked nothing: cls_decide)? */
static bool not_audited(const json_t *rep)
{
	const char *v = json_string_value(
		json_object_get(json_object_get(rep, "summary"), "verdict"));
	return v && strcmp(v, "not-audited") == 0;
}

/* ---- reading values ---------------------------------------------------- */

static uint64_t ju64(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
	return n > 0 ? (uint64_t)n : 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool jtrue(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static uint64_t jtime(const json_t *o, const char *k)
{
	uint64_t ns = 0;
	const char *s = jstr(o, k);
	if (s && rep_time_parse(s, &ns) != 0)
		ns = 0;
	return ns;
}

/* ---- report identity ----------------------------------------------------
 *
 * A capture's report is named by the SHA-256 of its capture facts, one per
 * line: every source's identity (a file's basename; a live capture's host
 * and interface), start and end in ns, packets, bytes, dropped, every link
 * type. Nothing else: not the command line, the output paths or the time
 * the report was written, so the same capture analysed twice, or its
 * report copied, has the same id. The facts are read from the report's own
 * `capture` object, as written or as read back, so that a report written
 * before ids existed gets, when loaded, the id it would have had. A merged
 * report stands for the union of its inputs' `covers`; its id is the hash
 * of that sorted union (the one id itself when the union has one). */

/* "file\tdemo.pcap" or "live\tHOST\teth0": what the id hashes and merge
 * compares; `human`: "demo.pcap", "eth0 on HOST". */
static void source_ident(const json_t *capture, const char *src, bool human,
                         char *buf, size_t len)
{
	if (jtrue(capture, "live")) {
		const char *host = jstr(capture, "host");
		if (human)
			snprintf(buf, len, "%s on %s", src,
			         host ? host : "an unnamed host");
		else
			snprintf(buf, len, "live\t%s\t%s", host ? host : "", src);
		return;
	}
	const char *b = strrchr(src, '/');
	b = b && b[1] ? b + 1 : src;
	snprintf(buf, len, "%s%s", human ? "" : "file\t", b);
}

static bool is_id(const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != REP_ID_LEN - 1)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* The id of a capture's report from its `capture` object; -1 when out of
 * memory. */
static int capture_id(const json_t *c, char id[REP_ID_LEN])
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -1;
	fputs("portaudit capture 1\n", f);
	size_t k;
	const json_t *s;
	json_array_foreach(json_object_get(c, "sources"), k, s) {
		char b[600];
		if (!json_is_string(s))
			continue;
		source_ident(c, json_string_value(s), false, b, sizeof b);
		fprintf(f, "source\t%s\n", b);
	}
	static const char *const when[] = { "start", "end" };
	for (unsigned i = 0; i < 2; i++) {
		uint64_t ns;
		const char *t = jstr(c, when[i]);
		if (t && rep_time_parse(t, &ns) == 0)
			fprintf(f, "%s\t%" PRIu64 "\n", when[i], ns);
		else
			fprintf(f, "%s\t-\n", when[i]);
	}
	fprintf(f, "packets\t%" PRIu64 "\nbytes\t%" PRIu64 "\n",
	        ju64(c, "packets"), ju64(c, "bytes"));
	if (json_is_integer(json_object_get(c, "dropped")))
		fprintf(f, "dropped\t%" PRIu64 "\n", ju64(c, "dropped"));
	else
		fputs("dropped\t-\n", f);
	json_array_foreach(json_object_get(c, "linktypes"), k, s)
		if (json_is_string(s))
			fprintf(f, "linktype\t%s\n", json_string_value(s));
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	cat_sha256_hex((const unsigned char *)text, len, id);
	free(text);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The id of a merged report, from its covers (sorted, unique, n >= 1);
 * -1 when out of memory. */
static int covers_id(const char *const *ids, size_t n, char id[REP_ID_LEN])
{
	if (n == 1) {
		snprintf(id, REP_ID_LEN, "%s", ids[0]);
		return 0;
	}
	static const char head[] = "portaudit merge 1\n";
	size_t len = sizeof head + n * REP_ID_LEN;
	char *text = malloc(len);
	if (!text)
		return -1;
	memcpy(text, head, sizeof head - 1);
	char *p = text + sizeof head - 1;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, ids[i], REP_ID_LEN - 1);
		p[REP_ID_LEN - 1] = '\n';
		p += REP_ID_LEN;
	}
	cat_sha256_hex((const unsigned char *)text, (size_t)(p - text), id);
	free(text);
	return 0;
}

int rep_identity_json(json_t *r, json_t *capture, const struct rep_input *in)
{
	if (!r || !capture)
		return -1;
	if (rep_live_input(in)) {
		char host[256];
		if (gethostname(host, sizeof host) == 0) {
			host[sizeof host - 1] = 0;
			json_object_set_new(capture, "host", rep_jstr(host));
		} else {
			json_object_set_new(capture, "host", json_null());
		}
	}
	char id[REP_ID_LEN];
	json_t *cv = json_array();
	int rc = cv ? 0 : -1;
	if (rc == 0 && in->ncovers == 0) {
		rc = capture_id(capture, id);
		if (rc == 0)
			json_array_append_new(cv, json_string(id));
	} else if (rc == 0) {
		rc = covers_id(in->covers, in->ncovers, id);
		for (unsigned i = 0; rc == 0 && i < in->ncovers; i++)
			json_array_append_new(cv, json_string(in->covers[i]));
	}
	if (rc != 0) {
		json_decref(cv);
		return -1;
	}
	json_object_set_new(r, "report_id", json_string(id));
	json_object_set_new(r, "covers", cv);
	return 0;
}

/* A report as loaded: report_id and covers checked when present, else
 * given the values they would have had (a report older than ids). */
static int identity_load(json_t *j, const char *path, char *err,
                         size_t errlen)
{
	json_t *id = json_object_get(j, "report_id");
	json_t *cv = json_object_get(j, "covers");
	if (id && !is_id(id)) {
		snprintf(err, errlen, "%s: \"report_id\" is not a report id (64 "
		         "lowercase hex digits)", path);
		return -1;
	}
	size_t k;
	json_t *v;
	if (cv) {
		bool ok = json_is_array(cv) && json_array_size(cv) > 0;
		json_array_foreach(cv, k, v)
			ok = ok && is_id(v);
		if (!ok) {
			snprintf(err, errlen, "%s: \"covers\" is not a list of report "
			         "ids", path);
			return -1;
		}
	}
	if (!id) {
		char hex[REP_ID_LEN];
		int rc;
		if (cv) {
			size_t n = json_array_size(cv), u = 0;
			const char **ids = calloc(n, sizeof *ids);
			if (!ids) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			json_array_foreach(cv, k, v)
				ids[k] = json_string_value(v);
			qsort(ids, n, sizeof *ids, str_cmp);
			for (size_t i = 0; i < n; i++)
				if (u == 0 || strcmp(ids[u - 1], ids[i]) != 0)
					ids[u++] = ids[i];
			rc = covers_id(ids, u, hex);
			free(ids);
		} else {
			rc = capture_id(json_object_get(j, "capture"), hex);
		}
		if (rc != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		json_object_set_new(j, "report_id", json_string(hex));
		id = json_object_get(j, "report_id");
	}
	if (!cv)
		json_object_set_new(j, "covers", json_pack("[O]", id));
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

int rep_load_report(const char *path, json_t **out, char *err, size_t errlen)
{
	struct stat sb;
	*out = NULL;
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a report", path);
		return -1;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
		snprintf(err, errlen, "%s: empty file, not a report", path);
		return -1;
	}
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		if (je.line > 0)
			snprintf(err, errlen, "%s:%d:%d: not JSON: %s", path, je.line,
			         je.column, je.text);
		else
			snprintf(err, errlen, "%s: %s", path, je.text);
		return -1;
	}
	static const struct { const char *key; json_type t; } need[] = {
		{ "capture", JSON_OBJECT }, { "servers", JSON_ARRAY },
		{ "summary", JSON_OBJECT }, { "services", JSON_ARRAY },
		{ "findings", JSON_ARRAY },
	};
	json_t *v = json_object_get(j, "version");
	if (!json_is_object(j) || !json_is_integer(v)) {
		snprintf(err, errlen, "%s: not a portaudit JSON report (no "
		         "\"version\")", path);
		json_decref(j);
		return -1;
	}
	if (json_integer_value(v) != REP_FORMAT_VERSION) {
		snprintf(err, errlen, "%s: report format version %" JSON_INTEGER_FORMAT
		         " is not %d, the one this portaudit reads", path,
		         json_integer_value(v), REP_FORMAT_VERSION);
		json_decref(j);
		return -1;
	}
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		json_t *x = json_object_get(j, need[i].key);
		if (!x || json_typeof(x) != need[i].t) {
			snprintf(err, errlen, "%s: not a portaudit JSON report (no "
			         "\"%s\")", path, need[i].key);
			json_decref(j);
			return -1;
		}
	}
	/* A value of the wrong type or out of range would be read as 0 and
	 * give a merged report that contradicts itself (schema.c). */
	const json_t *sch = rep_report_schema();
	char where[256] = "report";
	if (!sch || rep_schema_check_values(sch, sch, j, where,
	                                    sizeof where) != 0) {
		snprintf(err, errlen, "%s: not a valid portaudit report: %s",
		         path, sch ? where : "the built-in schema does not parse");
		json_decref(j);
		return -1;
	}
	if (identity_load(j, path, err, errlen) != 0) {
		json_decref(j);
		return -1;
	}
	*out = j;
	return 0;
}

/* ---- reading findings ------------------------------------------------- */

static bool parse_addr(const char *s, uint8_t *family, uint8_t *a)
{
	memset(a, 0, 16);
	if (!s)
		return false;
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

static int32_t service_index(const struct catalog *cat, const char *id)
{
	if (!id)
		return -1;
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (strcmp(cat->services[i].id, id) == 0)
			return (int32_t)i;
	return -1;
}

static enum cls_kind kind_parse(const char *s)
{
	for (int k = 0; k < CLS_K_COUNT; k++)
		if (s && strcmp(s, cls_kind_name((enum cls_kind)k)) == 0)
			return (enum cls_kind)k;
	return CLS_K_COUNT;
}

static enum cls_status status_parse(const char *s)
{
	for (int k = CLS_S_OBSERVED; k <= CLS_S_VIOLATED; k++)
		if (s && strcmp(s, cls_status_name((enum cls_status)k)) == 0)
			return (enum cls_status)k;
	return CLS_S_NOT_SEEN;
}

struct merge {
	const char *paths[MERGE_MAX_REPORTS];
	json_t *rep[MERGE_MAX_REPORTS];
	unsigned n;
	struct catalog cat;
	bool cat_loaded;
	struct cat_profile prof;      /* loaded again, or only described */
	bool prof_loaded, prof_fake;
	struct cat_model model;
	bool model_ok;
	struct cap_stats st;
	struct cap_options co;
	struct cls_result res;
	uint64_t servers_over;        /* server entries past CLS_MAX_SERVERS */
	char *cmdline;
	const char **covers;          /* the union of the reports' covers */
	unsigned ncovers;
	/* Per report, its groups' ids and the merged group of each. */
	struct mgroup {
		const char *id;
		uint32_t merged; /* 1-based */
	} *gmap[MERGE_MAX_REPORTS];
	size_t ngmap[MERGE_MAX_REPORTS];
};

/* The merged group (1-based) of a group id of report r, or 0. */
static uint32_t group_map(const struct merge *m, unsigned r, const char *id)
{
	for (size_t i = 0; id && i < m->ngmap[r]; i++)
		if (strcmp(m->gmap[r][i].id, id) == 0)
			return m->gmap[r][i].merged;
	return 0;
}


/* A finding's "tunnel" object (rep_tunnel_json) back into the merged
 * tunnel table, its parents first: its id there, 0 when it cannot be
 * (an unknown kind, a bad address, the table full: the finding then names
 * no tunnel). The same tunnel in two reports gets one id. */
static uint16_t tunnel_parse(const struct merge *m, const json_t *o,
                             unsigned depth)
{
	if (!json_is_object(o) || !m->co.tunnels || depth >= CAP_MAX_TUNNELS)
		return 0;
	struct cap_tunnel t;
	memset(&t, 0, sizeof t);
	const char *kind = jstr(o, "kind");
	for (unsigned k = 1; kind && k < CAP_TUN_KIND_COUNT && !t.kind; k++)
		if (strcmp(kind, cap_tunnel_kind_name(k)) == 0)
			t.kind = (uint8_t)k;
	uint8_t f1 = 0, f2 = 0;
	if (!t.kind || !jstr(o, "src_ip") || !jstr(o, "dest_ip") ||
	    !parse_addr(jstr(o, "src_ip"), &f1, t.src) ||
	    !parse_addr(jstr(o, "dest_ip"), &f2, t.dst) || f1 != f2)
		return 0;
	t.family = f1;
	const char *idn = cap_tunnel_id_name(t.kind);
	const json_t *id = idn ? json_object_get(o, idn) : NULL;
	if (json_is_integer(id) && json_integer_value(id) >= 0 &&
	    json_integer_value(id) <= (json_int_t)UINT32_MAX) {
		t.has_id = true;
		t.id = (uint32_t)json_integer_value(id);
	}
	uint64_t d = ju64(o, "depth");
	t.depth = (uint8_t)(d >= 1 && d <= CAP_MAX_TUNNELS ? d : 1);
	const json_t *parent = json_object_get(o, "parent");
	if (parent) {
		t.parent = tunnel_parse(m, parent, depth + 1);
		if (!t.parent)
			return 0;
	}
	return cap_tunnels_intern(m->co.tunnels, &t);
}

/* One finding of a report as classify's struct; -1 on a bad one. */
static int finding_parse(const json_t *o, const struct merge *m, unsigned r,
                         struct cls_finding *f, char *why, size_t whylen)
{
	const struct catalog *cat = &m->cat;
	memset(f, 0, sizeof *f);
	f->kind = kind_parse(jstr(o, "kind"));
	if (f->kind == CLS_K_COUNT) {
		snprintf(why, whylen, "unknown kind");
		return -1;
	}
	const char *sid = jstr(o, "service");
	f->service = service_index(cat, sid);
	if (sid && f->service < 0) {
		/* A service group of that report: its first row stands for
		 * it, as in classify. */
		f->group = group_map(m, r, sid);
		if (!f->group) {
			snprintf(why, whylen, "service '%s' is not in the "
			         "catalog nor a group of the report", sid);
			return -1;
		}
		f->service = m->res.groups[f->group - 1].members[0];
	}
	const char *proto = jstr(o, "protocol");
	int p = proto ? rep_proto_parse(proto) : -1;
	if (p < 0) {
		snprintf(why, whylen, "bad protocol");
		return -1;
	}
	f->proto = (uint8_t)p;
	uint64_t port = ju64(o, "port");
	if (port > 65535) {
		snprintf(why, whylen, "bad port");
		return -1;
	}
	f->port = f->port_hi = (uint16_t)port;
	const char *range = jstr(o, "ports");
	if (range) {
		unsigned lo, hi;
		if (sscanf(range, "%u-%u", &lo, &hi) != 2 || lo > hi || hi > 65535) {
			snprintf(why, whylen, "bad ports '%s'", range);
			return -1;
		}
		f->port = (uint16_t)lo;
		f->port_hi = (uint16_t)hi;
	}
	uint64_t npe = ju64(o, "npeers");
	if (!jstr(o, "peer") && npe)
		f->npeers = (uint32_t)(npe > UINT32_MAX ? UINT32_MAX : npe);
	uint64_t np = ju64(o, "nports");
	f->nports = np ? (uint32_t)(np > UINT32_MAX ? UINT32_MAX : np) : 1;
	uint8_t fam = 4;
	f->family = 4;
	if (jstr(o, "server")) {
		if (!parse_addr(jstr(o, "server"), &fam, f->server)) {
			snprintf(why, whylen, "bad server address");
			return -1;
		}
		f->family = fam;
	}
	if (jstr(o, "peer")) {
		/* A listed device prefix of a missing finding: "10.1.0.0/28". */
		struct cat_prefix pp;
		if (cat_prefix_parse(&pp, jstr(o, "peer")) != 0) {
			snprintf(why, whylen, "bad peer address");
			return -1;
		}
		memcpy(f->peer, pp.addr, 16);
		fam = pp.family;
		if (pp.len < (fam == 4 ? 32 : 128))
			f->peer_len = pp.len;
		f->family = fam;
		f->has_peer = true;
	}
	const char *ini = jstr(o, "initiator");
	f->server_initiated = ini && strcmp(ini, "server") == 0;
	const char *oc = jstr(o, "outcome");
	int out = oc ? rep_outcome_parse(oc) : 0;
	f->outcome = (uint8_t)(out < 0 ? 0 : out);
	json_t *icmp = json_object_get(o, "icmp");
	if (json_is_object(icmp)) {
		f->has_icmp = true;
		f->icmp_type = (uint8_t)ju64(icmp, "type");
		f->icmp_code = (uint8_t)ju64(icmp, "code");
	}
	f->tunnel = tunnel_parse(m, json_object_get(o, "tunnel"), 0);
	f->flows = ju64(o, "flows");
	f->packets = ju64(o, "packets");
	f->bytes = ju64(o, "bytes");
	f->first_ns = jtime(o, "first_seen");
	f->last_ns = jtime(o, "last_seen");
	snprintf(f->reason, sizeof f->reason, "%s",
	         jstr(o, "reason") ? jstr(o, "reason") : "");
	/* Flow ids name flows of one run: kept while the finding is one
	 * report's, dropped when findings of several are folded (fold). */
	size_t q;
	const json_t *id;
	json_array_foreach(json_object_get(o, "flow_ids"), q, id)
		if (f->nflow_ids < CLS_FLOW_IDS && json_is_integer(id))
			f->flow_ids[f->nflow_ids++] =
				(uint64_t)json_integer_value(id);
	return 0;
}

/* ---- merging findings -------------------------------------------------- */

struct mf {
	struct cls_finding f;
	unsigned report;   /* index of the report it came from */
	unsigned nreports; /* reports that had this key (after merging) */
};

static bool is_range(const struct cls_finding *f)
{
	return f->port_hi != f->port;
}

/* The pair part of the key: everything but the port. */
static int pair_cmp(const struct cls_finding *a, const struct cls_finding *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->service != b->service)
		return a->service < b->service ? -1 : 1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->peer_len != b->peer_len)
		return a->peer_len < b->peer_len ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int m = memcmp(a->server, b->server, 16);
	if (m)
		return m < 0 ? -1 : 1;
	if (a->has_peer != b->has_peer)
		return a->has_peer ? 1 : -1;
	m = memcmp(a->peer, b->peer, 16);
	if (m)
		return m < 0 ? -1 : 1;
	if (a->server_initiated != b->server_initiated)
		return a->server_initiated ? 1 : -1;
	return 0;
}

/* Full key: a range sorts after the single ports of its pair. */
static int key_cmp(const void *pa, const void *pb)
{
	const struct mf *a = pa, *b = pb;
	int c = pair_cmp(&a->f, &b->f);
	if (c)
		return c;
	bool ra = is_range(&a->f), rb = is_range(&b->f);
	if (ra != rb)
		return ra ? 1 : -1;
	if (!ra && a->f.port != b->f.port)
		return a->f.port < b->f.port ? -1 : 1;
	if (a->report != b->report)
		return a->report < b->report ? -1 : 1;
	return 0;
}

static bool same_key(const struct cls_finding *a, const struct cls_finding *b)
{
	return pair_cmp(a, b) == 0 && is_range(a) == is_range(b) &&
	       (is_range(a) || a->port == b->port);
}

static void fold(struct cls_finding *into, const struct cls_finding *f,
                 bool distinct_port)
{
	if (f->flows && (!into->flows || f->first_ns < into->first_ns))
		into->first_ns = f->first_ns;
	bool later = f->flows && (!into->flows || f->last_ns >= into->last_ns);
	if (later) {
		into->last_ns = f->last_ns;
		into->outcome = f->outcome;
		into->has_icmp = f->has_icmp;
		into->icmp_type = f->icmp_type;
		into->icmp_code = f->icmp_code;
		memcpy(into->reason, f->reason, sizeof into->reason);
	}
	if (f->tunnel_mixed || f->tunnel != into->tunnel)
		into->tunnel_mixed = true; /* as classify folds flows */
	into->flows += f->flows;
	into->packets += f->packets;
	into->bytes += f->bytes;
	into->nflow_ids = 0; /* ids of several runs would not name one flow */
	if (f->npeers) { /* floods: peers of both reports (one seen in both
	                  * counts twice: merged floods say "up to") */
		uint64_t np = (uint64_t)into->npeers + f->npeers;
		into->npeers = (uint32_t)(np > UINT32_MAX ? UINT32_MAX : np);
	}
	if (is_range(into) || is_range(f) || distinct_port) {
		if (f->port < into->port)
			into->port = f->port;
		if (f->port_hi > into->port_hi)
			into->port_hi = f->port_hi;
		uint64_t n = (uint64_t)into->nports + f->nports;
		uint64_t width = (uint64_t)into->port_hi - into->port + 1;
		into->nports = (uint32_t)(n < width ? n : width);
	}
}

/* Merge the findings in v[0..n) (sorted by key_cmp) in place; returns the
 * number kept. nrep: reports merged (missing findings need all of them). */
static uint32_t merge_findings(struct mf *v, uint32_t n, unsigned nrep)
{
	uint32_t w = 0;
	for (uint32_t i = 0; i < n; ) {
		/* One group: the same pair. */
		uint32_t g = i;
		while (g < n && pair_cmp(&v[g].f, &v[i].f) == 0)
			g++;
		/* Equal keys inside the group merge. */
		uint32_t gw = w;
		for (uint32_t k = i; k < g; ) {
			uint32_t e = k + 1;
			unsigned reps = 1;
			struct mf acc = v[k];
			while (e < g && same_key(&v[e].f, &v[k].f)) {
				if (v[e].report != v[e - 1].report)
					reps++;
				fold(&acc.f, &v[e].f, false);
				e++;
			}
			acc.nreports = reps;
			if (acc.f.kind != CLS_K_MISSING || reps >= nrep)
				v[w++] = acc;
			k = e;
		}
		/* A scan range of the pair absorbs its single-port findings;
		 * more single ports than a scan's threshold become one. */
		if (v[i].f.kind == CLS_K_UNEXPECTED && w > gw &&
		    (is_range(&v[w - 1].f) || w - gw > CLS_SCAN_PORTS)) {
			struct mf range = v[w - 1];
			for (uint32_t k = gw; k + 1 < w; k++)
				fold(&range.f, &v[k].f, true);
			cls_scan_reason(&range.f);
			v[gw] = range;
			w = gw + 1;
		}
		i = g;
	}
	return w;
}

/* ---- the merged result ------------------------------------------------- */

static void merge_free(struct merge *m)
{
	for (uint32_t i = 0; m->res.groups && i < m->res.ngroups; i++)
		free(m->res.groups[i].members);
	free(m->res.groups);
	for (unsigned r = 0; r < m->n; r++)
		free(m->gmap[r]);
	free(m->res.services);
	free(m->res.findings);
	free(m->res.servers);
	if (m->model_ok)
		cat_model_free(&m->model);
	if (m->prof_loaded)
		cat_profile_free(&m->prof);
	if (m->cat_loaded)
		cat_free(&m->cat);
	for (unsigned i = 0; i < m->n; i++)
		json_decref(m->rep[i]);
	free(m->cmdline);
	free(m->covers);
	cap_tunnels_free(m->co.tunnels);
}

/* The catalog and profile the reports were made with. */
static int merge_model(struct merge *m, const char *catalog_path,
                       const char *profile_path, char *err, size_t errlen)
{
	const json_t *c0 = json_object_get(m->rep[0], "catalog");
	const json_t *p0 = json_object_get(m->rep[0], "profile");
	uint64_t base = ju64(m->rep[0], "base_port");
	for (unsigned i = 1; i < m->n; i++) {
		const json_t *ci = json_object_get(m->rep[i], "catalog");
		const json_t *pi = json_object_get(m->rep[i], "profile");
		const char *s0 = jstr(c0, "sha256"), *si = jstr(ci, "sha256");
		if (!s0 || !si || strcmp(s0, si) != 0) {
			snprintf(err, errlen, "%s and %s were made with different "
			         "catalogs: they cannot be merged", m->paths[0],
			         m->paths[i]);
			return -1;
		}
		const char *q0 = jstr(p0, "sha256"), *qi = jstr(pi, "sha256");
		if ((q0 == NULL) != (qi == NULL) || (q0 && strcmp(q0, qi) != 0)) {
			snprintf(err, errlen, "%s and %s were made with different "
			         "site profiles: they cannot be merged", m->paths[0],
			         m->paths[i]);
			return -1;
		}
		if (ju64(m->rep[i], "base_port") != base) {
			snprintf(err, errlen, "%s and %s use different base ports: "
			         "they cannot be merged", m->paths[0], m->paths[i]);
			return -1;
		}
	}
	struct cat_error ce;
	const char *want = jstr(c0, "sha256");
	const char *src = jstr(c0, "source");
	if (cat_load_file(&m->cat, catalog_path, &ce) != 0) {
		snprintf(err, errlen, "%s", ce.msg);
		return -1;
	}
	m->cat_loaded = true;
	if (!catalog_path && want && strcmp(m->cat.sha256, want) != 0 && src &&
	    strcmp(src, "<built-in>") != 0) {
		/* Not the built-in one: the file the report names, if it is. */
		struct catalog alt;
		if (cat_load_file(&alt, src, &ce) == 0) {
			if (strcmp(alt.sha256, want) == 0) {
				cat_free(&m->cat);
				m->cat = alt;
			} else {
				cat_free(&alt);
			}
		}
	}
	if (!want || strcmp(m->cat.sha256, want) != 0) {
		snprintf(err, errlen, "%s: made with catalog %s (sha256 %.12s...), "
		         "which is not %s; give that catalog with --catalog FILE",
		         m->paths[0], jstr(c0, "name") ? jstr(c0, "name") : "?",
		         want ? want : "?", catalog_path ? catalog_path
		                                         : "the built-in one");
		return -1;
	}
	const char *pwant = jstr(p0, "sha256");
	const char *ppath = profile_path ? profile_path : jstr(p0, "source");
	if (pwant && ppath) {
		if (cat_profile_load_file(&m->prof, &m->cat, ppath, &ce) == 0) {
			m->prof_loaded = true;
			if (strcmp(m->prof.sha256, pwant) != 0) {
				cat_profile_free(&m->prof);
				m->prof_loaded = false;
			}
		}
		if (!m->prof_loaded && profile_path) {
			snprintf(err, errlen, "%s: not the profile the reports were "
			         "made with (sha256 differs)", profile_path);
			return -1;
		}
	}
	if (cat_apply(&m->model, &m->cat, m->prof_loaded ? &m->prof : NULL,
	              (uint16_t)base, &ce) != 0) {
		snprintf(err, errlen, "%s", ce.msg);
		return -1;
	}
	m->model_ok = true;
	if (pwant && !m->prof_loaded) {
		/* Describe the profile; take enabled/required from the report. */
		memset(&m->prof, 0, sizeof m->prof);
		m->prof.source = (char *)jstr(p0, "source");
		snprintf(m->prof.sha256, sizeof m->prof.sha256, "%s", pwant);
		m->prof.site = (char *)jstr(p0, "site");
		m->prof_fake = true;
		m->model.prof = &m->prof;
		const json_t *svcs = json_object_get(m->rep[0], "services");
		size_t k;
		const json_t *s;
		json_array_foreach(svcs, k, s) {
			int32_t i = service_index(&m->cat, jstr(s, "id"));
			if (i < 0)
				continue;
			m->cat.services[i].enabled = jtrue(s, "enabled");
			m->cat.services[i].disabled_reason = jstr(s, "disabled_reason");
			if (m->model.required)
				m->model.required[i] = jtrue(s, "required");
		}
	}
	return 0;
}

/* A report of flow records (capture.records): its counters summed into
 * st->rec, the flags OR-ed, the largest sampling, the exporters' union;
 * the merged report is of flow records when any input is. */
static void merge_records(struct cap_stats *st, const json_t *r)
{
	static const char *const kinds[] = { "packets", "zeek", "nfdump",
	                                     "netflow" };
	struct cap_rec_stats *rs = &st->rec;
	const char *k = jstr(r, "kind");
	for (unsigned i = 1; k && i < 4; i++) {
		if (strcmp(k, kinds[i]) != 0)
			continue;
		if (st->kind == CAP_SRC_PACKETS)
			st->kind = (enum cap_source_kind)i;
		else if (st->kind != (enum cap_source_kind)i)
			rs->kinds_mixed = true;
	}
	if (k && strcmp(k, "mixed") == 0)
		rs->kinds_mixed = true;
	rs->records += ju64(r, "records");
	rs->paired += ju64(r, "paired");
	rs->merged += ju64(r, "merged");
	rs->duplicates += ju64(r, "duplicates");
	rs->unpaired += ju64(r, "unpaired");
	rs->malformed += ju64(r, "malformed");
	rs->evicted += ju64(r, "evicted");
	rs->templates_missing += ju64(r, "templates_missing");
	rs->templates_evicted += ju64(r, "templates_evicted");
	rs->exporters_full += ju64(r, "exporters_full");
	rs->sequence_gaps += ju64(r, "sequence_gaps");
	rs->tunneled += ju64(r, "tunneled");
	rs->ignored_exporters += ju64(r, "ignored_exporters");
	uint64_t ex = rs->exporters + ju64(r, "exporters");
	rs->exporters = ex > UINT32_MAX ? UINT32_MAX : (uint32_t)ex;
	const json_t *sm = json_object_get(r, "sampling");
	if (jtrue(r, "sampled") && !json_is_integer(sm))
		rs->sampling = CAP_SAMPLING_UNKNOWN;
	else if (rs->sampling != CAP_SAMPLING_UNKNOWN &&
	         json_is_integer(sm) && ju64(r, "sampling") > rs->sampling &&
	         ju64(r, "sampling") < CAP_SAMPLING_UNKNOWN)
		rs->sampling = (uint32_t)ju64(r, "sampling");
	rs->initiators_guessed |= jtrue(r, "initiators_guessed");
	rs->unreachable_inferred |= jtrue(r, "unreachable_inferred");
	rs->missed_bytes |= jtrue(r, "missed_bytes");
	rs->biflow_flags_guessed |= jtrue(r, "biflow_flags_guessed");
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(r, "exporter_addresses"), i, a) {
		uint8_t addr[16] = { 0 };
		const char *txt = json_string_value(a);
		uint8_t fam = !txt ? 0 : inet_pton(AF_INET, txt, addr) == 1 ? 4
		            : inet_pton(AF_INET6, txt, addr) == 1 ? 6 : 0;
		uint32_t n = rs->nexporter_addrs, e = 0;
		while (fam && e < n && !(rs->exporter_family[e] == fam &&
		                         memcmp(rs->exporter_addrs[e], addr,
		                                16) == 0))
			e++;
		if (fam && e == n && n < CAP_REC_EXPORTERS_SHOWN) {
			rs->exporter_family[n] = fam;
			memcpy(rs->exporter_addrs[n], addr, 16);
			rs->nexporter_addrs = n + 1;
		}
	}
}

static void merge_capture(struct merge *m)
{
	struct cap_stats *st = &m->st;
	struct cap_options *co = &m->co;
	const char *filter = NULL;
	bool same_filter = true;
	st->max_flows = 0;
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *c = json_object_get(m->rep[r], "capture");
		st->packets += ju64(c, "packets");
		st->bytes += ju64(c, "bytes");
		st->ip_packets += ju64(c, "ip_packets");
		if (json_is_integer(json_object_get(c, "dropped"))) {
			st->has_dropped = true;
			st->dropped += ju64(c, "dropped");
		}
		uint64_t a = jtime(c, "start"), b = jtime(c, "end");
		if (ju64(c, "packets") && a) {
			if (!st->first_ns || a < st->first_ns)
				st->first_ns = a;
			if (b > st->last_ns)
				st->last_ns = b;
		}
		st->truncated |= jtrue(c, "truncated");
		st->interrupted |= jtrue(c, "interrupted");
		if (!st->unread[0] && jstr(c, "unread"))
			snprintf(st->unread, sizeof st->unread, "%s",
			         jstr(c, "unread"));
		if (!st->stopped[0] && jstr(c, "stopped"))
			snprintf(st->stopped, sizeof st->stopped, "%s",
			         jstr(c, "stopped"));
		if (json_is_object(json_object_get(c, "records")))
			merge_records(st, json_object_get(c, "records"));
		st->flows += ju64(c, "flows");
		st->evicted += ju64(c, "evicted");
		st->timed_out += ju64(c, "timed_out");
		st->frag_tracked += ju64(c, "frag_tracked");
		uint64_t mf = ju64(c, "max_flows"), pf = ju64(c, "peak_flows");
		if (mf > st->max_flows)
			st->max_flows = (uint32_t)(mf > UINT32_MAX ? UINT32_MAX : mf);
		if (pf > st->peak_flows)
			st->peak_flows = (uint32_t)(pf > UINT32_MAX ? UINT32_MAX : pf);
		const json_t *an = json_object_get(c, "anomalies");
		for (int i = 0; i < CAP_AN_COUNT; i++)
			st->anomalies[i] += ju64(an, cap_anomaly_name(
			                             (enum cap_anomaly)i));
		/* Sources, with their skip reasons, one report after another. */
		const json_t *src = json_object_get(c, "sources");
		const json_t *sk = json_object_get(c, "skipped");
		size_t k;
		const json_t *s;
		json_array_foreach(src, k, s) {
			if (co->nsources >= CAP_MAX_SOURCES || !json_is_string(s))
				break;
			unsigned at = co->nsources++;
			co->sources[at] = json_string_value(s);
			size_t q;
			const json_t *e;
			json_array_foreach(sk, q, e)
				if (jstr(e, "source") && jstr(e, "reason") &&
				    strcmp(jstr(e, "source"), co->sources[at]) == 0)
					snprintf(st->skipped[at], sizeof st->skipped[at],
					         "%s", jstr(e, "reason"));
		}
		const json_t *lt = json_object_get(c, "linktypes");
		/* A flow-record report's sources have no link type: -1 keeps
		 * the others in line with their sources. */
		if (json_is_object(json_object_get(c, "records")))
			json_array_foreach(src, k, s)
				if (st->nsources < CAP_MAX_SOURCES)
					st->linktypes[st->nsources++] = -1;
		/* One per source, then those of packets decoded besides
		 * (a pcapng whose interfaces differ), kept apart. */
		json_array_foreach(lt, k, s) {
			if (!json_is_string(s))
				break;
			int dlt = pcap_datalink_name_to_val(json_string_value(s));
			dlt = dlt < 0 ? 0 : dlt;
			if (k >= json_array_size(src)) {
				bool seen = false;
				for (unsigned x = 0; x < st->nmore_linktypes; x++)
					seen |= st->more_linktypes[x] == dlt;
				if (!seen &&
				    st->nmore_linktypes < CAP_MORE_LINKTYPES)
					st->more_linktypes[st->nmore_linktypes++] = dlt;
				continue;
			}
			if (st->nsources >= CAP_MAX_SOURCES)
				break;
			st->linktypes[st->nsources++] = dlt;
		}
		const char *f = jstr(c, "filter");
		if (r == 0)
			filter = f;
		else if ((f == NULL) != (filter == NULL) ||
		         (f && strcmp(f, filter) != 0))
			same_filter = false;
		uint64_t sl = ju64(c, "snaplen");
		if (sl > st->snaplen && sl < 1u << 30)
			st->snaplen = (uint32_t)sl;
	}
	/* Sources and link types line up only when no source was skipped. */
	co->filter = same_filter ? filter : NULL;
	m->res.filter = co->filter;
}

static void merge_servers(struct merge *m)
{
	struct cls_result *res = &m->res;
	const char *how = NULL;
	bool same_how = true;
	for (unsigned r = 0; r < m->n; r++) {
		const char *h = jstr(m->rep[r], "servers_how");
		if (r == 0)
			how = h;
		else if (!h || !how || strcmp(h, how) != 0)
			same_how = false;
		size_t k;
		const json_t *s;
		json_array_foreach(json_object_get(m->rep[r], "servers"), k, s) {
			struct cat_prefix p;
			const char *a = jstr(s, "address");
			if (!a || cat_prefix_parse(&p, a) != 0)
				continue;
			uint32_t i;
			for (i = 0; i < res->nservers; i++)
				if (res->servers[i].family == p.family &&
				    res->servers[i].len == p.len &&
				    memcmp(res->servers[i].addr, p.addr, 16) == 0)
					break;
			if (i == res->nservers) {
				struct cls_server *n = cls_server_add(res);
				if (!n) {
					m->servers_over++;
					continue;
				}
				n->family = p.family;
				memcpy(n->addr, p.addr, 16);
				n->len = p.len;
				n->inferred = true;
				snprintf(n->name, sizeof n->name, "%s",
				         jstr(s, "name") ? jstr(s, "name") : "");
				snprintf(n->how, sizeof n->how, "%s",
				         jstr(s, "how") ? jstr(s, "how") : "");
			}
			if (!jtrue(s, "inferred")) {
				res->servers[i].inferred = false;
				snprintf(res->servers[i].how, sizeof res->servers[i].how,
				         "%s", jstr(s, "how") ? jstr(s, "how") : "");
			}
			/* Flows by verdict add up. */
			const json_t *by = json_object_get(s, "flows_by_verdict");
			for (int v = 0; v < CLS_V_NONE; v++)
				res->servers[i].by[v] += ju64(by,
				        cls_verdict_name((enum cls_verdict)v));
		}
	}
	/* Findings by kind are those merged. */
	for (uint32_t f = 0; f < res->nfindings; f++) {
		const struct cls_finding *fd = &res->findings[f];
		if (rep_zero_addr(fd->server))
			continue;
		for (uint32_t i = 0; i < res->nservers; i++) {
			const struct cls_server *sv = &res->servers[i];
			struct cat_prefix p = { .family = sv->family,
			                        .len = sv->len };
			memcpy(p.addr, sv->addr, 16);
			if (cat_prefix_contains(&p, fd->family, fd->server)) {
				res->servers[i].kinds[fd->kind]++;
				break;
			}
		}
	}
	if (same_how && how)
		snprintf(res->servers_how, sizeof res->servers_how, "%s", how);
	else
		snprintf(res->servers_how, sizeof res->servers_how,
		         "The union of the servers of %u merged reports.", m->n);
}

static int dir_parse(const char *s, enum cat_dir *d)
{
	for (int k = CAT_DIR_INBOUND; k <= CAT_DIR_RESERVED; k++)
		if (s && strcmp(s, cat_dir_name((enum cat_dir)k)) == 0) {
			*d = (enum cat_dir)k;
			return 0;
		}
	return -1;
}

/* Flows and bytes by verdict of a report's service or group: added to st;
 * the attempts (expected and blocked flows), or -1 for a report older than
 * by_verdict. */
static int64_t by_verdict_add(struct cls_service_stat *st, const json_t *o)
{
	const json_t *by = json_object_get(o, "by_verdict");
	if (!json_is_object(by))
		return -1;
	for (int v = 0; v < CLS_V_NONE; v++) {
		const json_t *x = json_object_get(by,
		                  cls_verdict_name((enum cls_verdict)v));
		st->by[v].flows += ju64(x, "flows");
		st->by[v].bytes += ju64(x, "bytes");
	}
	return (int64_t)(ju64(json_object_get(by, "expected"), "flows") +
	                 ju64(json_object_get(by, "blocked"), "flows"));
}

/* A status from counts, as classify settles it. */
static enum cls_status settled(const struct cls_service_stat *st,
                               uint64_t attempts)
{
	return st->ok_flows ? CLS_S_OBSERVED :
	       attempts ? CLS_S_BLOCKED :
	       st->flows ? CLS_S_VIOLATED : CLS_S_NOT_SEEN;
}

/* The service groups of every report, one merged group per member set. */
static int merge_groups(struct merge *m, char *err, size_t errlen)
{
	const struct catalog *cat = &m->cat;
	uint32_t cap = 0;
	uint64_t *attempts = NULL;
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *gs = json_object_get(m->rep[r], "groups");
		size_t ng = json_is_array(gs) ? json_array_size(gs) : 0;
		m->gmap[r] = calloc(ng ? ng : 1, sizeof *m->gmap[r]);
		if (!m->gmap[r])
			goto oom;
		size_t k;
		const json_t *g;
		json_array_foreach(gs, k, g) {
			const json_t *mem = json_object_get(g, "members");
			size_t nm = json_is_array(mem) ? json_array_size(mem) : 0;
			const char *id = jstr(g, "id");
			int proto = jstr(g, "protocol") ?
			            rep_proto_parse(jstr(g, "protocol")) : -1;
			enum cat_dir dir;
			if (!id || nm < 2 || nm > 65535 || proto < 0 ||
			    dir_parse(jstr(g, "direction"), &dir) != 0) {
				snprintf(err, errlen, "%s: group %zu: not a service "
				         "group (id, members, protocol, direction)",
				         m->paths[r], k + 1);
				goto fail;
			}
			uint16_t *idx = malloc(nm * sizeof *idx);
			if (!idx)
				goto oom;
			for (size_t i = 0; i < nm; i++) {
				const char *sid = json_string_value(
				                  json_array_get(mem, i));
				int32_t si = service_index(cat, sid);
				if (si < 0) {
					snprintf(err, errlen, "%s: group %s: member "
					         "'%s' is not in the catalog",
					         m->paths[r], id, sid ? sid : "?");
					free(idx);
					goto fail;
				}
				idx[i] = (uint16_t)si;
			}
			uint32_t mg;
			for (mg = 0; mg < m->res.ngroups; mg++)
				if (m->res.groups[mg].nmembers == nm &&
				    memcmp(m->res.groups[mg].members, idx,
				           nm * sizeof *idx) == 0)
					break;
			if (mg == m->res.ngroups) {
				if (m->res.ngroups == cap) {
					uint32_t nc = cap ? cap * 2 : 16;
					struct cls_group *v = realloc(m->res.groups,
					                      nc * sizeof *v);
					uint64_t *a = realloc(attempts,
					                      nc * sizeof *a);
					if (v)
						m->res.groups = v;
					if (a)
						attempts = a;
					if (!v || !a) {
						free(idx);
						goto oom;
					}
					cap = nc;
				}
				struct cls_group *ng_ = &m->res.groups[mg];
				memset(ng_, 0, sizeof *ng_);
				attempts[mg] = 0;
				ng_->members = idx;
				ng_->nmembers = (uint32_t)nm;
				ng_->proto = (uint8_t)proto;
				ng_->dir = dir;
				snprintf(ng_->id, sizeof ng_->id, "%s", id);
				for (unsigned q = 2;; q++) {
					uint32_t t;
					for (t = 0; t < mg; t++)
						if (!strcmp(m->res.groups[t].id,
						            ng_->id))
							break;
					if (t == mg)
						break;
					snprintf(ng_->id, sizeof ng_->id, "%.50s-%u",
					         id, q);
				}
				snprintf(ng_->name, sizeof ng_->name, "%s",
				         jstr(g, "name") ? jstr(g, "name") : id);
				snprintf(ng_->ports, sizeof ng_->ports, "%s",
				         jstr(g, "ports") ? jstr(g, "ports") : "");
				m->res.ngroups++;
			} else {
				free(idx);
			}
			struct cls_group *mgp = &m->res.groups[mg];
			mgp->st.flows += ju64(g, "flows");
			mgp->st.bytes += ju64(g, "bytes");
			mgp->st.ok_flows += ju64(g, "ok_flows");
			int64_t at = by_verdict_add(&mgp->st, g);
			attempts[mg] += at < 0 ? ju64(g, "flows") : (uint64_t)at;
			if (!mgp->st.caveat[0] && jstr(g, "caveat"))
				snprintf(mgp->st.caveat, sizeof mgp->st.caveat,
				         "%s", jstr(g, "caveat"));
			m->gmap[r][m->ngmap[r]].id = id;
			m->gmap[r][m->ngmap[r]++].merged = mg + 1;
		}
	}
	for (uint32_t g = 0; g < m->res.ngroups; g++)
		m->res.groups[g].st.status = settled(&m->res.groups[g].st,
		                                     attempts[g]);
	free(attempts);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(attempts);
	return -1;
}

static int merge_findings_all(struct merge *m, char *err, size_t errlen)
{
	size_t total = 0;
	for (unsigned r = 0; r < m->n; r++)
		total += json_array_size(json_object_get(m->rep[r], "findings"));
	struct mf *v = calloc(total ? total : 1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint32_t n = 0;
	uint64_t dropped = 0;
	for (unsigned r = 0; r < m->n; r++) {
		size_t k;
		const json_t *o;
		json_array_foreach(json_object_get(m->rep[r], "findings"), k, o) {
			char why[160];
			if (finding_parse(o, m, r, &v[n].f, why, sizeof why) != 0) {
				snprintf(err, errlen, "%s: finding %zu: %s", m->paths[r],
				         k + 1, why);
				free(v);
				return -1;
			}
			v[n++].report = r;
		}
		const json_t *sm = json_object_get(m->rep[r], "summary");
		uint64_t d = ju64(sm, "findings_dropped");
		dropped += d;
		/* Dropped findings by kind; a report older than kinds_dropped
		 * had only the total: counted as unexpected, the least severe. */
		const json_t *kd = json_object_get(sm, "kinds_dropped");
		if (json_is_object(kd))
			for (int q = 0; q < CLS_K_COUNT; q++)
				m->res.summary.kinds_dropped[q] +=
					ju64(kd, cls_kind_name((enum cls_kind)q));
		else
			m->res.summary.kinds_dropped[CLS_K_UNEXPECTED] += d;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, key_cmp);
	n = merge_findings(v, n, m->n);
	struct cls_finding *fs = calloc(n ? n : 1, sizeof *fs);
	if (!fs) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		fs[i] = v[i].f;
	free(v);
	cls_sort_findings(fs, n);
	m->res.findings = fs;
	m->res.nfindings = n;
	struct cls_summary *s = &m->res.summary;
	for (unsigned r = 0; r < m->n; r++) {
		const json_t *o = json_object_get(m->rep[r], "summary");
		s->flows += ju64(o, "flows");
		/* A report that was not audited judged none of its flows:
		 * they are not "flows that touch no monitored server" of the
		 * merged servers (merge_caveats says so instead). */
		if (!not_audited(m->rep[r]))
			s->other_flows += ju64(o, "other_flows");
		s->expected += ju64(o, "expected");
		s->unexpected += ju64(o, "unexpected");
		s->violation += ju64(o, "violation");
		s->blocked += ju64(o, "blocked");
	}
	for (uint32_t i = 0; i < n; i++)
		if (fs[i].kind == CLS_K_MISSING)
			s->missing++;
	s->findings_dropped = dropped;
	s->findings = n + dropped;
	for (int k = 0; k < CLS_K_COUNT; k++)
		s->kinds[k] = s->kinds_dropped[k];
	for (uint32_t i = 0; i < n; i++)
		s->kinds[fs[i].kind]++;
	return 0;
}

static int merge_services(struct merge *m, char *err, size_t errlen)
{
	const struct catalog *cat = &m->cat;
	struct cls_service_stat *sv = calloc(cat->nservices ? cat->nservices : 1,
	                                     sizeof *sv);
	bool *observed = calloc(cat->nservices + 1, sizeof *observed);
	unsigned *disabled = calloc(cat->nservices + 1, sizeof *disabled);
	uint64_t *attempts = calloc(cat->nservices + 1, sizeof *attempts);
	if (!sv || !observed || !disabled || !attempts) {
		free(sv);
		free(observed);
		free(disabled);
		free(attempts);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned r = 0; r < m->n; r++) {
		size_t k;
		const json_t *s;
		json_array_foreach(json_object_get(m->rep[r], "services"), k, s) {
			int32_t i = service_index(cat, jstr(s, "id"));
			if (i < 0)
				continue;
			sv[i].flows += ju64(s, "flows");
			sv[i].bytes += ju64(s, "bytes");
			sv[i].ok_flows += ju64(s, "ok_flows");
			int64_t at = by_verdict_add(&sv[i], s);
			attempts[i] += at < 0 ? ju64(s, "flows") : (uint64_t)at;
			uint32_t g = group_map(m, r, jstr(s, "service_group"));
			if (g)
				sv[i].group = g;
			enum cls_status st = status_parse(jstr(s, "status"));
			if (st == CLS_S_OBSERVED)
				observed[i] = true;
			if (st == CLS_S_DISABLED)
				disabled[i]++;
			if (!sv[i].caveat[0] && jstr(s, "caveat"))
				snprintf(sv[i].caveat, sizeof sv[i].caveat, "%s",
				         jstr(s, "caveat"));
		}
	}
	for (uint32_t i = 0; i < cat->nservices; i++) {
		bool missing = false;
		for (uint32_t k = 0; k < m->res.nfindings; k++)
			if (m->res.findings[k].kind == CLS_K_MISSING &&
			    m->res.findings[k].service == (int32_t)i)
				missing = true;
		if (missing)
			sv[i].status = CLS_S_MISSING;
		else if (observed[i])
			sv[i].status = CLS_S_OBSERVED;
		else if (sv[i].flows || sv[i].ok_flows || attempts[i])
			sv[i].status = settled(&sv[i], attempts[i]);
		else if (disabled[i] == m->n)
			sv[i].status = CLS_S_DISABLED;
		else
			sv[i].status = CLS_S_NOT_SEEN;
	}
	free(observed);
	free(disabled);
	free(attempts);
	m->res.services = sv;
	return 0;
}

static void merge_caveats(struct merge *m)
{
	struct cls_result *res = &m->res;
	/* A report that checked nothing is part of the merge, and the merged
	 * verdict does not cover its flows: said first, and on standard
	 * error. One that saw no flow (an --interval without packets) leaves
	 * nothing out. */
	for (unsigned r = 0; r < m->n; r++) {
		if (!not_audited(m->rep[r]))
			continue;
		const json_t *o = json_object_get(m->rep[r], "summary");
		unsigned long long nf = (unsigned long long)ju64(o, "other_flows");
		if (nf == 0)
			continue;
		fprintf(stderr, "portaudit: merge: warning: %s was not audited: "
		        "its %llu flow(s) were not judged\n", m->paths[r], nf);
		if (res->ncaveats < CLS_MAX_CAVEATS)
			rep_fmt(res->caveats[res->ncaveats++],
			        sizeof res->caveats[0], "Merged report %s was not "
			        "audited: its %llu flow(s) were not judged, and the "
			        "merged verdict does not cover them.", m->paths[r], nf);
	}
	if (m->servers_over)
		rep_fmt(res->caveats[res->ncaveats++], sizeof res->caveats[0],
		        "%llu server entries of the merged reports past the first "
		        "%u servers were left out: at most %u servers can be "
		        "merged.", (unsigned long long)m->servers_over,
		        (unsigned)res->nservers, CLS_MAX_SERVERS);
	for (unsigned r = 0; r < m->n; r++) {
		size_t k;
		const json_t *c;
		json_array_foreach(json_object_get(m->rep[r], "caveats"), k, c) {
			const char *s = json_string_value(c);
			if (!s)
				continue;
			uint32_t i;
			for (i = 0; i < res->ncaveats; i++)
				if (strncmp(res->caveats[i], s, sizeof res->caveats[i] - 1)
				    == 0)
					break;
			if (i == res->ncaveats && res->ncaveats < CLS_MAX_CAVEATS)
				snprintf(res->caveats[res->ncaveats++],
				         sizeof res->caveats[0], "%s", s);
		}
	}
}

/* ---- identity: nothing counted twice ----------------------------------- */

struct cover {
	const char *id;
	unsigned report;
};

static int cover_cmp(const void *pa, const void *pb)
{
	const struct cover *a = pa, *b = pb;
	int c = strcmp(a->id, b->id);
	if (c)
		return c;
	return a->report < b->report ? -1 : a->report > b->report;
}

/* The first two reports that cover the same capture, said the way their
 * covers relate: the same capture, a part of the other, or sharing one. */
static void twice_msg(const struct merge *m, const struct cover *v, size_t n,
                      unsigned a, unsigned b, const char *id, char *err,
                      size_t errlen)
{
	size_t na = 0, nb = 0, both = 0;
	for (size_t i = 0; i < n; ) {
		bool ia = false, ib = false;
		size_t e = i;
		for (; e < n && strcmp(v[e].id, v[i].id) == 0; e++) {
			ia |= v[e].report == a;
			ib |= v[e].report == b;
		}
		na += ia;
		nb += ib;
		both += ia && ib;
		i = e;
	}
	const char *pa = m->paths[a], *pb = m->paths[b];
	if (both == na && both == nb)
		snprintf(err, errlen, "merge: %s is the same capture as %s (report "
		         "%.12s...): it would be counted twice", pb, pa, id);
	else if (both == nb)
		snprintf(err, errlen, "merge: %s is already part of %s (report "
		         "%.12s...): it would be counted twice", pb, pa, id);
	else if (both == na)
		snprintf(err, errlen, "merge: %s already holds %s (report "
		         "%.12s...): it would be counted twice", pb, pa, id);
	else
		snprintf(err, errlen, "merge: %s and %s both hold the capture of "
		         "report %.12s...: it would be counted twice", pb, pa, id);
}

/* Refuse two reports that cover the same capture; else the union of the
 * covers, sorted, for the merged report. Cost: one sort of all covers. */
static int merge_identity(struct merge *m, char *err, size_t errlen)
{
	size_t total = 0;
	for (unsigned r = 0; r < m->n; r++)
		total += json_array_size(json_object_get(m->rep[r], "covers"));
	struct cover *v = calloc(total ? total : 1, sizeof *v);
	m->covers = calloc(total ? total : 1, sizeof *m->covers);
	if (!v || !m->covers) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t n = 0;
	for (unsigned r = 0; r < m->n; r++) {
		size_t k;
		const json_t *s;
		json_array_foreach(json_object_get(m->rep[r], "covers"), k, s)
			v[n++] = (struct cover){ json_string_value(s), r };
	}
	qsort(v, n, sizeof *v, cover_cmp);
	/* The first clash in argument order: the pair (a, b), b > a,
	 * smallest b, then smallest a. */
	unsigned ba = 0, bb = 0;
	const char *bid = NULL;
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i].id, v[i - 1].id) == 0 &&
		    v[i].report != v[i - 1].report &&
		    (!bid || v[i].report < bb ||
		     (v[i].report == bb && v[i - 1].report < ba))) {
			ba = v[i - 1].report;
			bb = v[i].report;
			bid = v[i].id;
		}
	if (bid) {
		twice_msg(m, v, n, ba, bb, bid, err, errlen);
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (m->ncovers == 0 ||
		    strcmp(m->covers[m->ncovers - 1], v[i].id) != 0)
			m->covers[m->ncovers++] = v[i].id;
	free(v);
	return 0;
}

/* Do reports a and b hold one source (source_ident) over windows [start,
 * end] that overlap? Then `who` names the source and t0..t1 the overlap. */
static bool overlap(const struct merge *m, unsigned a, unsigned b, char *who,
                    size_t wholen, char t0[REP_TIME_MAX],
                    char t1[REP_TIME_MAX])
{
	const json_t *ca = json_object_get(m->rep[a], "capture");
	const json_t *cb = json_object_get(m->rep[b], "capture");
	uint64_t sa = jtime(ca, "start"), ea = jtime(ca, "end");
	uint64_t sb = jtime(cb, "start"), eb = jtime(cb, "end");
	if (!ju64(ca, "packets") || !ju64(cb, "packets") || !sa || !sb)
		return false;
	uint64_t from = sa > sb ? sa : sb, to = ea < eb ? ea : eb;
	if (from > to)
		return false;
	size_t i, k;
	const json_t *x, *y;
	char ia[600], ib[600];
	json_array_foreach(json_object_get(ca, "sources"), i, x) {
		if (!json_is_string(x))
			continue;
		source_ident(ca, json_string_value(x), false, ia, sizeof ia);
		json_array_foreach(json_object_get(cb, "sources"), k, y) {
			if (!json_is_string(y))
				continue;
			source_ident(cb, json_string_value(y), false, ib, sizeof ib);
			if (strcmp(ia, ib) == 0) {
				source_ident(ca, json_string_value(x), true, who, wholen);
				rep_time(from, t0, REP_TIME_MAX);
				rep_time(to, t1, REP_TIME_MAX);
				return true;
			}
		}
	}
	return false;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b && b[1] ? b + 1 : path;
}

/* Reports of one source whose windows overlap may hold the same flows:
 * one warning line on stderr each pair, and a caveat in the merged report
 * (one each while there is room, the rest counted in the last one). Call
 * after merge_caveats. Cost: reports^2 * sources^2 comparisons, all small
 * (MERGE_MAX_REPORTS, CAP_MAX_SOURCES). */
static void merge_overlaps(struct merge *m)
{
	struct cls_result *res = &m->res;
	const unsigned cap = sizeof res->caveats / sizeof res->caveats[0];
	char who[600], t0[REP_TIME_MAX], t1[REP_TIME_MAX];
	unsigned pairs = 0;
	for (unsigned b = 1; b < m->n; b++)
		for (unsigned a = 0; a < b; a++)
			if (overlap(m, a, b, who, sizeof who, t0, t1)) {
				fprintf(stderr, "portaudit: merge: warning: %s and %s "
				        "overlap: both captured %s from %s to %s; flows of "
				        "that window may be counted twice\n", m->paths[a],
				        m->paths[b], who, t0, t1);
				pairs++;
			}
	if (!pairs)
		return;
	unsigned room = cap - res->ncaveats;
	unsigned each = pairs <= room ? pairs : room ? room - 1 : 0;
	unsigned done = 0;
	for (unsigned b = 1; b < m->n && done < each; b++)
		for (unsigned a = 0; a < b && done < each; a++)
			if (overlap(m, a, b, who, sizeof who, t0, t1)) {
				rep_fmt(res->caveats[res->ncaveats++],
				        sizeof res->caveats[0], "Merged reports %s and %s "
				        "overlap: both captured %s from %s to %s, so flows "
				        "of that window may be counted twice.",
				        base_name(m->paths[a]), base_name(m->paths[b]), who,
				        t0, t1);
				done++;
			}
	if (done < pairs) {
		unsigned at = res->ncaveats < cap ? res->ncaveats++ : cap - 1;
		rep_fmt(res->caveats[at], sizeof res->caveats[0], "%u%s pairs of "
		        "merged reports captured one source over overlapping "
		        "windows (portaudit merge warned of each), so their flows "
		        "may be counted twice.", pairs - done, done ? " more" : "");
	}
}

/* ---- the command ------------------------------------------------------- */

static const char merge_usage[] =
	"Usage: portaudit merge REPORT.json... [--json FILE] [--html FILE]\n"
	"                       [--csv FILE] [--jsonl FILE] [--all] [-q]\n"
	"                       [--fail-on KINDS] [--catalog FILE] "
	"[--profile FILE]\n";

static char *join(int argc, char **argv)
{
	size_t len = 16;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t off = (size_t)snprintf(s, len, "portaudit");
	for (int i = 0; i < argc && off < len; i++)
		off += (size_t)snprintf(s + off, len - off, " %s", argv[i]);
	return s;
}

int rep_cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "csv", required_argument, NULL, 'C' },
		{ "jsonl", required_argument, NULL, 'L' },
		{ "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path[4] = { NULL, NULL, NULL, NULL }; /* json html csv jsonl */
	static const char *const opt_name[4] = {
		"--json", "--html", "--csv", "--jsonl",
	};
	static const struct rep_writer *const writers[4] = {
		&rep_json, &rep_html, &rep_csv, &rep_jsonl,
	};
	const char *catalog_path = NULL, *profile_path = NULL;
	bool quiet = false, all = false;
	int fail_on = (1 << CLS_K_COUNT) - 1;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		int k = c == 'j' ? 0 : c == 'H' ? 1 : c == 'C' ? 2 : c == 'L' ? 3
		                                                        : -1;
		if (k >= 0) {
			if (path[k]) {
				fprintf(stderr, "portaudit: merge: %s given twice "
				        "('%s', then '%s'): give it once\n",
				        opt_name[k], path[k], optarg);
				return 2;
			}
			path[k] = optarg;
			continue;
		}
		switch (c) {
		case 'a': all = true; break;
		case 'q': quiet = true; break;
		case 'c': catalog_path = optarg; break;
		case 'p': profile_path = optarg; break;
		case 'f':
			fail_on = cls_parse_fail_on(optarg);
			if (fail_on < 0) {
				fprintf(stderr, "portaudit: merge: --fail-on: '%s': expected "
				        "all, none or a list of unexpected,violation,"
				        "blocked,missing\n", optarg);
				return 2;
			}
			break;
		case 'h': fputs(merge_usage, stdout); return 0;
		case ':':
			fprintf(stderr, "portaudit: merge: option %s needs an argument\n"
			        "%s", argv[optind - 1], merge_usage);
			return 2;
		default:
			fprintf(stderr, "portaudit: merge: unknown option '%s'\n%s",
			        argv[optind - 1], merge_usage);
			return 2;
		}
	}
	bool to_stdout = false;
	{
		char why[PATH_MAX + 100];
		if (rep_check_outputs(path, opt_name, 4, &to_stdout, why,
		                      sizeof why) != 0) {
			fprintf(stderr, "portaudit: merge: %s\n%s", why,
			        merge_usage);
			return 2;
		}
	}
	struct merge *m = calloc(1, sizeof *m);
	if (!m || !(m->co.tunnels = cap_tunnels_new())) {
		free(m);
		fputs("portaudit: out of memory\n", stderr);
		return 2;
	}
	char err[600];
	int status = 2;
	struct rep_out *outs[5] = { NULL };
	unsigned nouts = 0;
	for (int i = optind; i < argc; i++) {
		if (m->n >= MERGE_MAX_REPORTS) {
			fprintf(stderr, "portaudit: merge: at most %d reports\n",
			        MERGE_MAX_REPORTS);
			goto out;
		}
		m->paths[m->n] = argv[i];
		if (rep_load_report(argv[i], &m->rep[m->n], err, sizeof err) != 0) {
			fprintf(stderr, "portaudit: %s\n", err);
			goto out;
		}
		m->n++;
	}
	if (m->n == 0) {
		fprintf(stderr, "portaudit: merge: no report given\n%s", merge_usage);
		goto out;
	}
	if (merge_identity(m, err, sizeof err) != 0 ||
	    merge_model(m, catalog_path, profile_path, err, sizeof err) != 0 ||
	    merge_groups(m, err, sizeof err) != 0 ||
	    merge_findings_all(m, err, sizeof err) != 0 ||
	    merge_services(m, err, sizeof err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err);
		goto out;
	}
	merge_capture(m);
	merge_servers(m);
	merge_caveats(m);
	merge_overlaps(m);
	m->cmdline = join(argc, argv);

	struct rep_input in;
	memset(&in, 0, sizeof in);
	in.model = &m->model;
	in.cap = &m->st;
	in.capopt = &m->co;
	in.res = &m->res;
	/* The verdict of the merged result, decided as classify decides a
	 * capture's (cls_decide), for every writer and the exit status. */
	m->res.summary.fail_on = fail_on;
	cls_decide(&m->res, &m->st);
	in.command_line = m->cmdline;
	in.all_services = all;
	in.merged_from = m->paths;
	in.nmerged = m->n;
	in.covers = m->covers;
	in.ncovers = m->ncovers;

	if (!quiet) {
		/* On standard error when a report holds standard output. */
		outs[nouts] = to_stdout ? rep_open_stderr(&rep_text)
		                        : rep_open(&rep_text, "-", err, sizeof err);
		if (!outs[nouts]) {
			if (to_stdout)
				snprintf(err, sizeof err, "out of memory");
			fprintf(stderr, "portaudit: %s\n", err);
			goto out;
		}
		nouts++;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (!path[i])
			continue;
		outs[nouts] = rep_open(writers[i], path[i], err, sizeof err);
		if (!outs[nouts]) {
			fprintf(stderr, "portaudit: %s\n", err);
			goto out;
		}
		nouts++;
	}
	status = 0;
	for (unsigned i = 0; i < nouts; i++)
		if (outs[i]->w->report(outs[i], &in) != 0)
			status = 2;
	for (unsigned i = 0; i < nouts; i++) {
		if (status == 0) {
			if (rep_close(outs[i], err, sizeof err) != 0) {
				fprintf(stderr, "portaudit: %s\n", err);
				status = 2;
			}
		} else {
			rep_abort(outs[i]);
		}
		outs[i] = NULL;
	}
	nouts = 0;
	if (status == 0)
		status = cls_exit_status(&m->res.summary);
out:
	for (unsigned i = 0; i < nouts; i++)
		rep_abort(outs[i]);
	merge_free(m);
	free(m);
	return status;
}
