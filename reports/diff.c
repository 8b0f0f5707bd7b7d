/*
 * diff.c -- `portaudit diff OLD.json NEW.json [--json FILE] [-q] [--force]`
 *
 * Design. Reports made with different catalogs, profiles (by sha256) or
 * base ports give the same traffic other services and statuses, so they
 * do not compare: refused (exit 2), each difference on its own line, or
 * with --force the same lines as a warning (and in the JSON's caveats)
 * before the diff. Two JSON reports are compared by identity, not by
 * position: findings by their key (kind, service, protocol, port -- or
 * "scan" for a range finding, whose range may grow --, server, peer,
 * initiator), services by id. A finding is new (only in NEW), gone (only
 * in OLD) or changed (its outcome moved, or its scan range grew; a
 * different flow count alone is not a change); a service or a service
 * group changed when its status did. The text lists them, worst first; --json FILE writes the
 * same as an object for automation. Exit status: 1 when NEW brings
 * something non-compliant (a new finding, or a service that became blocked,
 * missing or violated), else 0; 2 on bad input (a missing, empty or non-JSON file,
 * named, or reports that do not compare, without --force). Cost: both
 * reports in memory, sorted keys, O(n log n).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

struct dkey {
	char key[320];
	json_t *f;
};

static const char *s_or(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : dflt;
}

static json_int_t ival(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void finding_key(const json_t *f, char *buf, size_t len)
{
	char port[24];
	if (json_is_string(json_object_get(f, "ports")))
		snprintf(port, sizeof port, "scan");
	else
		snprintf(port, sizeof port, "%" JSON_INTEGER_FORMAT,
		         ival(f, "port"));
	snprintf(buf, len, "%s|%s|%s|%s|%s|%s|%s", s_or(f, "kind", "?"),
	         s_or(f, "service", "-"), s_or(f, "protocol", "?"), port,
	         s_or(f, "server", "-"), s_or(f, "peer", "-"),
	         s_or(f, "initiator", "-"));
}

static int dkey_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dkey *)a)->key, ((const struct dkey *)b)->key);
}

static struct dkey *keys_of(json_t *rep, size_t *n)
{
	json_t *fs = json_object_get(rep, "findings");
	*n = json_array_size(fs);
	struct dkey *k = calloc(*n ? *n : 1, sizeof *k);
	if (!k)
		return NULL;
	for (size_t i = 0; i < *n; i++) {
		k[i].f = json_array_get(fs, i);
		finding_key(k[i].f, k[i].key, sizeof k[i].key);
	}
	qsort(k, *n, sizeof *k, dkey_cmp);
	return k;
}

static int severity(const char *kind)
{
	static const char *const order[] = { "violation", "blocked", "missing",
	                                     "unexpected" };
	for (int i = 0; i < 4; i++)
		if (strcmp(kind, order[i]) == 0)
			return i;
	return 4;
}

struct change {
	const char *what; /* "new", "gone", "changed" */
	json_t *f;        /* the finding (NEW's, or OLD's when gone) */
	json_t *old;      /* OLD's, for changed */
};

static int change_cmp(const void *pa, const void *pb)
{
	const struct change *a = pa, *b = pb;
	static const char *const w[] = { "new", "changed", "gone" };
	int wa = 0, wb = 0;
	for (int i = 0; i < 3; i++) {
		if (strcmp(a->what, w[i]) == 0)
			wa = i;
		if (strcmp(b->what, w[i]) == 0)
			wb = i;
	}
	if (wa != wb)
		return wa - wb;
	int sa = severity(s_or(a->f, "kind", "")),
	    sb = severity(s_or(b->f, "kind", ""));
	if (sa != sb)
		return sa - sb;
	json_int_t fa = ival(a->f, "flows"), fb = ival(b->f, "flows");
	if (fa != fb)
		return fa > fb ? -1 : 1;
	return 0;
}

static void print_finding(FILE *out, const char *what, const json_t *f,
                          const json_t *old)
{
	char port[32];
	const char *range = json_string_value(json_object_get(f, "ports"));
	if (range)
		snprintf(port, sizeof port, "%s", range);
	else
		snprintf(port, sizeof port, "%" JSON_INTEGER_FORMAT,
		         ival(f, "port"));
	const char *srv = s_or(f, "server", "-"), *peer = s_or(f, "peer", "-");
	bool by_server = strcmp(s_or(f, "initiator", ""), "server") == 0;
	fprintf(out, "  %-8s %-10s %-5s %-11s %s -> %s", what,
	        s_or(f, "kind", "?"), s_or(f, "protocol", "?"), port,
	        by_server ? srv : peer, by_server ? peer : srv);
	const char *svc = json_string_value(json_object_get(f, "service"));
	if (svc)
		fprintf(out, "  [%s]", svc);
	if (old)
		fprintf(out, "  flows %" JSON_INTEGER_FORMAT " -> %"
		        JSON_INTEGER_FORMAT ", outcome %s -> %s",
		        ival(old, "flows"), ival(f, "flows"),
		        s_or(old, "outcome", "-"), s_or(f, "outcome", "-"));
	else
		fprintf(out, "  %" JSON_INTEGER_FORMAT " flow%s",
		        ival(f, "flows"), ival(f, "flows") == 1 ? "" : "s");
	fprintf(out, "\n  %-8s %s\n", "", s_or(f, "reason", ""));
}

/* How a report was made, for one line of the refusal: "prognosis (sha256
 * 1a2b3c4d5e6f...)", "site.yaml (sha256 ...)", or "none". */
static void made_with(const json_t *o, const char *name_key, char *buf,
                      size_t len)
{
	if (!json_is_object(o)) {
		snprintf(buf, len, "none");
		return;
	}
	snprintf(buf, len, "%s (sha256 %.12s...)", s_or(o, name_key, "?"),
	         s_or(o, "sha256", "?"));
}

/* What makes OLD and NEW incomparable: a different catalog (sha256),
 * profile (sha256, or one has none) or base port; one line each into
 * `lines`. Returns how many. */
static unsigned incomparable(const json_t *o, const json_t *n,
                             char lines[3][300])
{
	unsigned k = 0;
	static const struct { const char *key, *name, *what; } part[] = {
		{ "catalog", "name", "catalog" },
		{ "profile", "source", "profile" },
	};
	for (unsigned i = 0; i < 2; i++) {
		const json_t *a = json_object_get(o, part[i].key);
		const json_t *b = json_object_get(n, part[i].key);
		const char *sa = json_string_value(json_object_get(a, "sha256"));
		const char *sb = json_string_value(json_object_get(b, "sha256"));
		if ((sa == NULL) == (sb == NULL) && (!sa || strcmp(sa, sb) == 0))
			continue;
		char x[140], y[140];
		made_with(a, part[i].name, x, sizeof x);
		made_with(b, part[i].name, y, sizeof y);
		snprintf(lines[k++], 300, "%s %s -> %s", part[i].what, x, y);
	}
	json_t *pa = json_object_get(o, "base_port"),
	       *pb = json_object_get(n, "base_port");
	if (!json_equal(pa, pb)) {
		char x[24] = "none", y[24] = "none";
		if (json_is_integer(pa))
			snprintf(x, sizeof x, "%" JSON_INTEGER_FORMAT,
			         json_integer_value(pa));
		if (json_is_integer(pb))
			snprintf(y, sizeof y, "%" JSON_INTEGER_FORMAT,
			         json_integer_value(pb));
		snprintf(lines[k++], 300, "base port %s -> %s", x, y);
	}
	return k;
}

static const char diff_usage[] =
	"Usage: portaudit diff OLD.json NEW.json [--json FILE] [-q] [--force]\n"
	"  --force  compare reports made with different catalogs, profiles or\n"
	"           base ports (the differences are printed as a warning)\n";

/* The entries of list ("services" or "groups") whose status changed from
 * o to n, appended to out as {id, old, new}; their number. One that became
 * blocked, missing or violated sets *regressed. */
static unsigned status_changes(const json_t *o, const json_t *n,
                               const char *list, json_t *out, bool *regressed)
{
	const json_t *so = json_object_get(o, list), *sn = json_object_get(n, list);
	unsigned changed = 0;
	size_t q;
	const json_t *s;
	json_array_foreach(sn, q, s) {
		const char *id = s_or(s, "id", NULL);
		if (!id)
			continue;
		const char *was = NULL;
		size_t r;
		const json_t *t;
		json_array_foreach(so, r, t)
			if (strcmp(s_or(t, "id", ""), id) == 0)
				was = s_or(t, "status", "?");
		const char *now = s_or(s, "status", "?");
		if (!was || strcmp(was, now) == 0)
			continue;
		changed++;
		if (strcmp(now, "blocked") == 0 || strcmp(now, "missing") == 0 ||
		    strcmp(now, "violated") == 0)
			*regressed = true;
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "id", id,
		                                     "old", was, "new", now));
	}
	return changed;
}

int rep_cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json_path = NULL;
	bool quiet = false, force = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json_path = optarg; break;
		case 'q': quiet = true; break;
		case 'F': force = true; break;
		case 'h': fputs(diff_usage, stdout); return 0;
		case ':':
			fprintf(stderr, "portaudit: diff: option %s needs an argument\n"
			        "%s", argv[optind - 1], diff_usage);
			return 2;
		default:
			fprintf(stderr, "portaudit: diff: unknown option '%s'\n%s",
			        argv[optind - 1], diff_usage);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "portaudit: diff: give two reports, OLD and NEW\n%s",
		        diff_usage);
		return 2;
	}
	const char *op = argv[optind], *np = argv[optind + 1];
	char err[600];
	json_t *o = NULL, *n = NULL;
	if (rep_load_report(op, &o, err, sizeof err) != 0 ||
	    rep_load_report(np, &n, err, sizeof err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err);
		json_decref(o);
		return 2;
	}
	/* Services and findings of reports made with another catalog,
	 * profile or base port do not compare: refuse, or warn (--force). */
	char why[3][300];
	unsigned nwhy = incomparable(o, n, why);
	if (nwhy) {
		fprintf(stderr, "portaudit: diff: %s%s and %s were made differently"
		        "%s\n", force ? "warning: " : "", op, np, force
		        ? "; comparing them anyway (--force):"
		        : ", so their services and findings do not compare (--force "
		          "compares them anyway):");
		for (unsigned i = 0; i < nwhy; i++)
			fprintf(stderr, "  %s\n", why[i]);
		if (!force) {
			json_decref(o);
			json_decref(n);
			return 2;
		}
	}
	int status = 2;
	size_t no, nn;
	struct dkey *ko = keys_of(o, &no), *kn = keys_of(n, &nn);
	struct change *ch = calloc(no + nn + 1, sizeof *ch);
	json_t *out = json_object();
	json_t *jsvc = json_array();
	if (!ko || !kn || !ch || !out || !jsvc) {
		fputs("portaudit: out of memory\n", stderr);
		json_decref(out);
		json_decref(jsvc);
		goto done;
	}
	size_t nch = 0, i = 0, k = 0;
	unsigned n_new = 0, n_gone = 0, n_changed = 0;
	while (i < no || k < nn) {
		int cmp = i == no ? 1 : k == nn ? -1 : strcmp(ko[i].key, kn[k].key);
		if (cmp < 0) {
			ch[nch++] = (struct change){ "gone", ko[i++].f, NULL };
			n_gone++;
		} else if (cmp > 0) {
			ch[nch++] = (struct change){ "new", kn[k++].f, NULL };
			n_new++;
		} else {
			json_t *a = ko[i++].f, *b = kn[k++].f;
			if (strcmp(s_or(a, "outcome", "-"), s_or(b, "outcome", "-")) ||
			    strcmp(s_or(a, "ports", "-"), s_or(b, "ports", "-"))) {
				ch[nch++] = (struct change){ "changed", b, a };
				n_changed++;
			}
		}
	}
	qsort(ch, nch, sizeof *ch, change_cmp);

	/* Services and service groups whose status changed, by id. */
	bool regressed = n_new > 0;
	unsigned n_svc = status_changes(o, n, "services", jsvc, &regressed) +
	                 status_changes(o, n, "groups", jsvc, &regressed);

	json_t *so_sum = json_object_get(o, "summary"),
	       *sn_sum = json_object_get(n, "summary");
	bool oc = json_is_true(json_object_get(so_sum, "compliant"));
	bool nc = json_is_true(json_object_get(sn_sum, "compliant"));
	/* The three-way verdict (a report older than it: from compliant). */
	const char *ov = s_or(so_sum, "verdict", oc ? "compliant" :
	                      "not-compliant");
	const char *nv = s_or(sn_sum, "verdict", nc ? "compliant" :
	                      "not-compliant");
	bool same_v = strcmp(ov, nv) == 0;
	/* The summary on standard error when the JSON holds standard
	 * output, so that the JSON stays clean (as an audit does). */
	FILE *tf = json_path && strcmp(json_path, "-") == 0 ? stderr : stdout;
	if (!quiet) {
		fprintf(tf, "portaudit diff %s -> %s\n", op, np);
		fprintf(tf, "  verdict   %s%s%s\n", ov,
		        same_v ? " (unchanged)" : " -> ", same_v ? "" : nv);
		fprintf(tf, "  flows     %" JSON_INTEGER_FORMAT " -> %"
		        JSON_INTEGER_FORMAT "\n", ival(so_sum, "flows"),
		        ival(sn_sum, "flows"));
		fprintf(tf, "\nServices: %u changed status\n", n_svc);
		size_t r;
		json_t *t;
		json_array_foreach(jsvc, r, t)
			fprintf(tf, "  %-28s %s -> %s\n", s_or(t, "id", "?"),
			        s_or(t, "old", "?"), s_or(t, "new", "?"));
		fprintf(tf, "\nFindings: %u new, %u gone, %u changed\n",
		        n_new, n_gone, n_changed);
		for (size_t x = 0; x < nch; x++)
			print_finding(tf, ch[x].what, ch[x].f, ch[x].old);
		fprintf(tf, "\n%s\n", regressed ? "REGRESSED: the new report "
		        "brings something non-compliant" :
		        strcmp(nv, "not-audited") == 0 ? "NOT AUDITED: the new "
		        "report checked nothing, so it shows no compliance." :
		        "No new non-compliance.");
	}
	if (json_path) {
		json_t *jn = json_array(), *jg = json_array(), *jc = json_array();
		for (size_t x = 0; x < nch; x++) {
			if (strcmp(ch[x].what, "new") == 0)
				json_array_append(jn, ch[x].f);
			else if (strcmp(ch[x].what, "gone") == 0)
				json_array_append(jg, ch[x].f);
			else
				json_array_append_new(jc, json_pack("{s:O, s:O}", "old",
				                      ch[x].old, "new", ch[x].f));
		}
		json_object_set_new(out, "version", json_integer(REP_FORMAT_VERSION));
		json_object_set_new(out, "old", json_string(op));
		json_object_set_new(out, "new", json_string(np));
		json_object_set_new(out, "old_compliant", json_boolean(oc));
		json_object_set_new(out, "new_compliant", json_boolean(nc));
		json_object_set_new(out, "old_verdict", json_string(ov));
		json_object_set_new(out, "new_verdict", json_string(nv));
		json_object_set_new(out, "regressed", json_boolean(regressed));
		json_object_set_new(out, "services", json_incref(jsvc));
		json_object_set_new(out, "new_findings", jn);
		json_object_set_new(out, "gone_findings", jg);
		json_object_set_new(out, "changed_findings", jc);
		json_t *cv = json_array();
		for (unsigned x = 0; cv && x < nwhy; x++)
			json_array_append_new(cv, json_string(why[x]));
		json_object_set_new(out, "caveats", cv ? cv : json_null());
		struct rep_out *w = rep_open(&rep_json, json_path, err, sizeof err);
		if (!w) {
			fprintf(stderr, "portaudit: %s\n", err);
			json_decref(out);
			json_decref(jsvc);
			goto done;
		}
		if (json_dumpf(out, w->fp, JSON_INDENT(2)) != 0)
			w->failed = true;
		rep_puts(w, "\n");
		if (rep_close(w, err, sizeof err) != 0) {
			fprintf(stderr, "portaudit: %s\n", err);
			json_decref(out);
			json_decref(jsvc);
			goto done;
		}
	}
	json_decref(out);
	json_decref(jsvc);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "portaudit: standard output: write error\n");
		goto done;
	}
	/* NEW checked nothing: not "no new non-compliance" (exit 0), which
	 * automation would take for a clean week; 3, as for the audit. */
	status = regressed ? 1 : strcmp(nv, "not-audited") == 0 ? 3 : 0;
done:
	free(ko);
	free(kn);
	free(ch);
	json_decref(o);
	json_decref(n);
	return status;
}
