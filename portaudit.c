/*
 * portaudit.c -- main and option parsing only.
 *
 * The data flows one way: capture (packets -> flows) -> classify (flows ->
 * verdicts, findings, service statuses) -> reports (text, JSON, CSV, JSON
 * lines, HTML). This file wires them: it parses the command line, loads the
 * catalog and the profile, opens every output before the capture starts (a
 * bad output path is an error before minutes of capture, not after), runs
 * the capture, and turns classify's verdict into the exit status:
 *   0 compliant, 1 findings of a --fail-on kind, 2 usage/input/system error,
 *   3 not audited (nothing was checked: no packet, no server flow).
 * Outputs never collide: two to one file, or two to standard output, is a
 * usage error, and when a report goes to standard output the terminal
 * summary goes to standard error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "catalog/catalog.h"
#include "classify/classify.h"
#include "reports/reports.h"

/* The users a live capture started as root drops to without -Z. */
#define DEFAULT_USERS "portaudit", "nobody"
#define DEFAULT_USERS_TEXT "portaudit, nobody"

#define EXIT_FINDINGS 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"Usage: portaudit [options] -i IFACE [--duration SECONDS] [FILTER...]\n"
	"       portaudit [options] -r FILE [-r FILE...] [FILTER...]   (FILE may be -)\n"
	"       portaudit [options] --flows zeek:PATH|nfdump:PATH [--flows ...]\n"
	"       portaudit [options] --collect netflow:[ADDR:]PORT [--duration SECONDS]\n"
	"       portaudit catalog show [--catalog FILE] [--profile FILE] [--base-port N] [--json]\n"
	"       portaudit catalog check FILE [--catalog FILE]\n"
	"       portaudit rules --profile FILE [--format csv|nft|iptables|ip6tables|bpf]\n"
	"       portaudit merge REPORT.json... [output options]\n"
	"       portaudit diff OLD.json NEW.json\n"
	"\n"
	"Capture:\n"
	"  -i IFACE            capture live on IFACE\n"
	"  -r FILE             read a pcap/pcapng file (repeatable; - = stdin)\n"
	"  --duration SECONDS  stop a live capture (or --collect) after SECONDS\n"
	"  --interval SECONDS  live: a complete report every SECONDS (wall clock,\n"
	"                      on its multiples), in files named by the start\n"
	"                      (audit.json -> audit-20261205T1300Z.json, or a\n"
	"                      strftime %-pattern); JSON lines stay one stream\n"
	"  -c COUNT            stop after COUNT packets\n"
	"  -B KIB              kernel capture buffer size in KiB\n"
	"  -s SNAPLEN          bytes captured per packet (default 1024; 0: all)\n"
	"  -p                  do not put the interface in promiscuous mode\n"
	"  -F FILE             read the capture filter from FILE (as tcpdump)\n"
	"  -Z USER             drop root privileges to USER after opening (live\n"
	"                      default: portaudit or nobody; -Z root keeps root)\n"
	"  --max-flows N       flow table capacity (default 1048576)\n"
	"  --no-decap          do not look inside tunnels (VXLAN, Geneve, GRE,\n"
	"                      ERSPAN, IP-in-IP, GTP-U, Teredo, AYIYA)\n"
	"Flow records (instead of packets):\n"
	"  --flows zeek:PATH   a Zeek conn.log (TSV or JSON, gzip; - = stdin; repeatable)\n"
	"  --flows nfdump:PATH nfcapd files or a directory of them, read through\n"
	"                      nfdump (repeatable; one kind per run)\n"
	"  --collect netflow:[ADDR:]PORT\n"
	"                      receive NetFlow v5/v9/IPFIX on UDP PORT (ADDR:\n"
	"                      default 0.0.0.0; [::] for both families)\n"
	"  --exporter ADDR[/LEN]  only records from these exporters (repeatable)\n"
	"  --sampling N        the exporters sample 1 in N packets\n"
	"  --skip-bad-records  count and skip records that do not parse\n"
	"Model:\n"
	"  --catalog FILE      port catalog (default: the built-in Prognosis one)\n"
	"  --profile FILE      site profile: servers, base port, features, devices\n"
	"  --server ADDR[/LEN] a monitored server (repeatable; overrides profile)\n"
	"  --base-port N       base port (default: profile's, else 1960)\n"
	"Reports:\n"
	"  --json FILE  --html FILE  --csv FILE  --jsonl FILE  --flows-csv FILE\n"
	"                      write that format to FILE (- = stdout)\n"
	"  --evidence FILE     the packets of flagged flows, as a pcap file\n"
	"  --evidence-packets N  at most N packets per flagged flow (default 20)\n"
	"  --all               terminal summary: list every catalog service\n"
	"  -q, --quiet         no terminal summary, no progress\n"
	"  --fail-on KINDS     exit 1 on findings of these kinds: all (default),\n"
	"                      none, or a list of unexpected,violation,blocked,missing\n"
	"  --max-findings N    findings kept (default 10000; the rest are counted)\n"
	"  -h, --help          this help;  -V, --version  the version\n"
	"\n"
	"Exit status: 0 compliant, 1 findings of a --fail-on kind, 2 usage or\n"
	"input error, 3 not audited (no packet, or no flow of a server).\n"
	"See portaudit(1).\n";

__attribute__((format(printf, 1, 2), noreturn))
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("portaudit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'portaudit --help'.\n", stderr);
	exit(EXIT_USAGE);
}

/* An option that names one file, given twice: the first would be lost
 * without a word (a report not written, another profile than meant). */
static void once(const char *opt, const char *before, const char *now)
{
	if (before)
		usage_error("%s given twice ('%s', then '%s'): give it once",
		            opt, before, now);
}

/* The outputs, by their index in out_path (0 is the terminal's). */
static const char *const out_opt[7] = {
	"", "--json", "--html", "--csv", "--jsonl", "--flows-csv", "--evidence",
};

static void set_out(const char **out_path, unsigned k, const char *path)
{
	once(out_opt[k], out_path[k], path);
	out_path[k] = path;
}

/* --help and --version: what they printed must have reached standard
 * output (a full disk is exit 2, not 0). */
static int stdout_written(void)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "portaudit: cannot write to standard output: %s\n",
		        errno ? strerror(errno) : "write error");
		return EXIT_USAGE;
	}
	return 0;
}

/* Bounded number parsing (no atoi): decimal digits only, min..max. Every
 * bad number is worded the same way, whatever is wrong with it. */
static unsigned long long parse_num(const char *opt, const char *s,
                                    unsigned long long min,
                                    unsigned long long max)
{
	char *end = NULL;
	unsigned long long v = 0;
	errno = 0;
	if (s && *s >= '0' && *s <= '9')
		v = strtoull(s, &end, 10);
	if (!end || *end || errno || v < min || v > max)
		usage_error("%s: '%s' is not a whole number from %llu to %llu",
		            opt, s ? s : "", min, max);
	return v;
}

static double parse_seconds(const char *opt, const char *s)
{
	char *end = NULL;
	double v = -1;
	errno = 0;
	if (s && ((*s >= '0' && *s <= '9') || *s == '.'))
		v = strtod(s, &end);
	if (!end || *end || errno || !(v > 0) || v > 365.0 * 86400)
		usage_error("%s: '%s' is not a number of seconds above 0 and at "
		            "most 31536000", opt, s ? s : "");
	return v;
}

/* tcpdump's -F: the filter expression from a file, '#' comments dropped,
 * lines joined with blanks. Bounded: a filter is text, 64 KiB at most. */
static char *read_filter_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr, "portaudit: -F %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1), line[4096];
	if (!buf) {
		fputs("portaudit: out of memory\n", stderr);
		exit(EXIT_USAGE);
	}
	while (fgets(line, sizeof line, fp)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *t = line + strspn(line, " \t");
		size_t len = strcspn(t, "\r\n");
		while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
			len--;
		if (n + len + 1 > cap) {
			fprintf(stderr, "portaudit: -F %s: the filter is longer "
			        "than 64 KiB\n", path);
			exit(EXIT_USAGE);
		}
		if (n && len)
			buf[n++] = ' ';
		memcpy(buf + n, t, len);
		n += len;
	}
	bool bad = ferror(fp) != 0;
	fclose(fp);
	buf[n] = '\0';
	if (bad) {
		fprintf(stderr, "portaudit: -F %s: read error\n", path);
		exit(EXIT_USAGE);
	}
	if (strspn(buf, " \t") == n) {
		fprintf(stderr, "portaudit: -F %s: the file holds no filter "
		        "expression\n", path);
		exit(EXIT_USAGE);
	}
	return buf;
}

enum {
	OPT_DURATION = 256, OPT_CATALOG, OPT_PROFILE, OPT_SERVER, OPT_BASE,
	OPT_JSON, OPT_HTML, OPT_CSV, OPT_JSONL, OPT_FLOWS_CSV, OPT_FAIL_ON,
	OPT_MAX_FLOWS, OPT_MAX_FINDINGS, OPT_ALL, OPT_EVIDENCE, OPT_EVIDENCE_N,
	OPT_NO_DECAP, OPT_FLOWS, OPT_COLLECT, OPT_EXPORTER, OPT_SAMPLING,
	OPT_SKIP_BAD, OPT_INTERVAL,
};

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "catalog", required_argument, NULL, OPT_CATALOG },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "base-port", required_argument, NULL, OPT_BASE },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "jsonl", required_argument, NULL, OPT_JSONL },
	{ "flows-csv", required_argument, NULL, OPT_FLOWS_CSV },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "max-findings", required_argument, NULL, OPT_MAX_FINDINGS },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "evidence", required_argument, NULL, OPT_EVIDENCE },
	{ "evidence-packets", required_argument, NULL, OPT_EVIDENCE_N },
	{ "no-decap", no_argument, NULL, OPT_NO_DECAP },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "collect", required_argument, NULL, OPT_COLLECT },
	{ "exporter", required_argument, NULL, OPT_EXPORTER },
	{ "sampling", required_argument, NULL, OPT_SAMPLING },
	{ "skip-bad-records", no_argument, NULL, OPT_SKIP_BAD },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_OUTPUTS 8

struct outputs {
	struct rep_out *o[MAX_OUTPUTS];
	unsigned n;
	struct rep_input in;
};

/* Every classified flow goes to the writers that stream flows. */
static void flow_sink(const struct cls_flow *cf, void *ctx)
{
	struct outputs *outs = ctx;
	for (unsigned i = 0; i < outs->n; i++)
		if (outs->o[i] && outs->o[i]->w->flow)
			outs->o[i]->w->flow(outs->o[i], &outs->in, cf);
}

/* ---- --interval -----------------------------------------------------------
 * A report per interval: cap_run calls iv_report at each boundary (the
 * flow table idle); the interval's classifier is finished, every output
 * gets its report, the files are published and the next interval's opened
 * under names from its start (rep_interval_name); a fresh classifier takes
 * over what outlives a flow (cls_carry). Standard output (the terminal
 * summary) and the JSON-lines stream stay open for the whole run. */
struct ivrun {
	struct cls *cl;              /* the current interval's */
	const struct cat_model *model;
	const struct cls_options *clo;
	struct outputs *outs;
	const char *base[MAX_OUTPUTS]; /* each output's path as given */
	const struct rep_writer *w[MAX_OUTPUTS];
	const struct cap_stats *total; /* outs->in.cap between intervals */
	struct rep_interval iv;
	bool failing, not_audited, error;
};

static void iv_flow(const struct cap_flow *f, void *ctx)
{
	cls_flow(f, ((struct ivrun *)ctx)->cl);
}

static void iv_status(void *ctx, char *buf, size_t len)
{
	cls_status(((struct ivrun *)ctx)->cl, buf, len);
}

/* A file published per interval (not standard output, not a stream). */
static bool iv_rotates(const struct rep_out *o)
{
	return o && o->path && !o->w->stream;
}

static int iv_report(void *ctx, const struct cap_stats *ist,
                     uint64_t start_ns, uint64_t end_ns, bool final)
{
	struct ivrun *v = ctx;
	struct outputs *outs = v->outs;
	char errbuf[512];
	const struct cls_result *res = cls_finish(v->cl, ist);
	v->iv.seq++;
	v->iv.start_ns = start_ns;
	v->iv.end_ns = end_ns;
	v->iv.final = final;
	outs->in.res = res;
	outs->in.cap = ist;
	outs->in.interval = &v->iv;
	for (unsigned i = 0; i < outs->n; i++) {
		struct rep_out *o = outs->o[i];
		if (!o)
			continue;
		if (o->w->report(o, &outs->in) != 0) {
			v->error = true;
			if (iv_rotates(o)) {
				rep_abort(o);
				outs->o[i] = NULL;
			}
			continue;
		}
		if (iv_rotates(o)) {
			outs->o[i] = NULL;
			if (rep_close(o, errbuf, sizeof errbuf) != 0) {
				fprintf(stderr, "portaudit: %s\n", errbuf);
				v->error = true;
			}
		}
	}
	int st = cls_exit_status(&res->summary);
	v->failing |= st == 1;
	v->not_audited |= st == 3;
	outs->in.cap = v->total;
	outs->in.res = NULL;
	if (final)
		return 0;
	/* The next interval: its files, its classifier. */
	for (unsigned i = 0; i < outs->n; i++) {
		if (!v->base[i] || outs->o[i] || !strcmp(v->base[i], "-"))
			continue;
		const struct rep_writer *w = v->w[i];
		if (w->stream)
			continue;
		char *name = rep_interval_name(v->base[i], end_ns, v->iv.seconds);
		if (!name) {
			fprintf(stderr, "portaudit: %s: the name pattern expands to "
			        "nothing or too long\n", v->base[i]);
			v->error = true;
			return -1;
		}
		outs->o[i] = rep_open(w, name, errbuf, sizeof errbuf);
		free(name);
		if (!outs->o[i]) {
			/* The capture goes on (it runs unattended): this
			 * interval has no such file, the next boundary tries
			 * again, and the run ends with exit 2. */
			fprintf(stderr, "portaudit: %s; the capture goes on, "
			        "and the next interval tries again\n", errbuf);
			v->error = true;
		}
	}
	struct cls *next = cls_new(v->model, v->clo);
	if (!next) {
		fputs("portaudit: out of memory (the next interval)\n", stderr);
		v->error = true;
		return -1;
	}
	cls_carry(next, v->cl);
	cls_free(v->cl);
	v->cl = next;
	return 0;
}

static volatile sig_atomic_t g_report_signal;

static void on_report_signal(int sig)
{
	g_report_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	rep_request_reopen();
}

static char *join_args(int argc, char **argv, int from)
{
	size_t len = 1;
	for (int i = from; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = calloc(1, len);
	if (!s) {
		fputs("portaudit: out of memory\n", stderr);
		exit(EXIT_USAGE);
	}
	for (int i = from; i < argc; i++) {
		if (i > from)
			strncat(s, " ", len - strlen(s) - 1);
		strncat(s, argv[i], len - strlen(s) - 1);
	}
	return s;
}

static int audit(int argc, char **argv)
{
	struct cap_options copt;
	memset(&copt, 0, sizeof copt);
	const char *catalog_path = NULL, *profile_path = NULL;
	/* text, json, html, csv, jsonl, flows-csv, evidence */
	const char *out_path[7] = { 0 };
	unsigned long long evidence_n = 20;
	/* --server values: at most one per argument (classify keeps
	 * CLS_MAX_SERVERS of them and says so in a caveat past that). */
	const char **server_arg = calloc((size_t)argc, sizeof *server_arg);
	unsigned nserver = 0;
	if (!server_arg) {
		fputs("portaudit: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	unsigned long long base = 0;
	int fail_on = (1 << CLS_K_COUNT) - 1;
	uint32_t max_findings = 0;
	bool all = false;
	const char *filter_file = NULL;
	bool zflag_given = false;
	/* Flow records: each option's first use, for the mixing errors. */
	const char *flows_arg = NULL;
	bool r_given = false;
	bool packet_only_opt = false; /* -c -s -p -F: packets only */
	const char *packet_only_name = NULL;
	const char *live_only_name = NULL; /* -s -p: an interface only */

	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:i:r:c:B:s:pZ:F:qhV", long_opts,
	                        NULL)) != -1) {
		switch (c) {
		case 'i':
			if (copt.iface)
				usage_error("only one -i interface");
			copt.iface = optarg;
			break;
		case 'r':
			if (copt.nsources >= CAP_MAX_SOURCES)
				usage_error("too many -r files (at most 64)");
			copt.sources[copt.nsources++] = optarg;
			r_given = true;
			break;
		case 'c':
			copt.count = parse_num("-c", optarg, 1, UINT64_MAX / 2);
			packet_only_opt = true;
			packet_only_name = "-c";
			break;
		case 'B': copt.buffer_kib = (int)parse_num("-B", optarg, 1, 4u << 20); break;
		case 's':
			copt.snaplen = (int)parse_num("-s", optarg, 0, 262144);
			if (copt.snaplen == 0)
				copt.snaplen = 262144; /* tcpdump's -s 0: all */
			packet_only_opt = true;
			packet_only_name = live_only_name = "-s";
			break;
		case 'p':
			copt.no_promisc = true;
			packet_only_opt = true;
			packet_only_name = live_only_name = "-p";
			break;
		case 'F': filter_file = optarg; break;
		case 'Z':
			copt.drop_user = optarg;
			zflag_given = true;
			break;
		case 'q': copt.quiet = true; break;
		case OPT_DURATION: copt.duration = parse_seconds("--duration", optarg); break;
		case OPT_CATALOG:
			once("--catalog", catalog_path, optarg);
			catalog_path = optarg;
			break;
		case OPT_PROFILE:
			once("--profile", profile_path, optarg);
			profile_path = optarg;
			break;
		case OPT_SERVER:
			server_arg[nserver++] = optarg;
			break;
		case OPT_BASE: base = parse_num("--base-port", optarg, 1, 65535); break;
		case OPT_JSON: set_out(out_path, 1, optarg); break;
		case OPT_HTML: set_out(out_path, 2, optarg); break;
		case OPT_CSV: set_out(out_path, 3, optarg); break;
		case OPT_JSONL: set_out(out_path, 4, optarg); break;
		case OPT_FLOWS_CSV: set_out(out_path, 5, optarg); break;
		case OPT_EVIDENCE: set_out(out_path, 6, optarg); break;
		case OPT_EVIDENCE_N:
			evidence_n = parse_num("--evidence-packets", optarg, 1,
			                       1000000);
			break;
		case OPT_FAIL_ON:
			fail_on = cls_parse_fail_on(optarg);
			if (fail_on < 0)
				usage_error("--fail-on: '%s': expected all, none or a "
				            "list of unexpected,violation,blocked,missing",
				            optarg);
			break;
		case OPT_MAX_FLOWS:
			copt.max_flows = (uint32_t)parse_num("--max-flows", optarg,
			                                     16, 1u << 28);
			break;
		case OPT_MAX_FINDINGS:
			max_findings = (uint32_t)parse_num("--max-findings", optarg,
			                                   1, 10000000);
			break;
		case OPT_ALL: all = true; break;
		case OPT_NO_DECAP: copt.no_decap = true; break;
		case OPT_FLOWS: {
			enum cap_source_kind k;
			const char *path;
			if (strncmp(optarg, "zeek:", 5) == 0) {
				k = CAP_SRC_ZEEK;
				path = optarg + 5;
			} else if (strncmp(optarg, "nfdump:", 7) == 0) {
				k = CAP_SRC_NFDUMP;
				path = optarg + 7;
			} else {
				usage_error("--flows: '%s': expected zeek:PATH or "
				            "nfdump:PATH", optarg);
			}
			if (!*path)
				usage_error("--flows %s: the path is missing", optarg);
			if (flows_arg && copt.kind != k)
				usage_error("--flows %s and --flows %s: one kind of flow "
				            "record per run (merge the reports with "
				            "'portaudit merge')", flows_arg, optarg);
			if (copt.nsources >= CAP_MAX_SOURCES)
				usage_error("too many --flows (at most 64)");
			if (!flows_arg)
				flows_arg = optarg;
			copt.kind = k;
			copt.sources[copt.nsources++] = path;
			break;
		}
		case OPT_COLLECT:
			if (copt.collect)
				usage_error("only one --collect");
			if (strncmp(optarg, "netflow:", 8) != 0 || !optarg[8])
				usage_error("--collect: '%s': expected "
				            "netflow:[ADDR:]PORT", optarg);
			copt.collect = optarg + 8;
			break;
		case OPT_EXPORTER: {
			struct cat_prefix p;
			if (copt.nexporters >= CAP_MAX_EXPORTERS)
				usage_error("too many --exporter options (at most %d)",
				            CAP_MAX_EXPORTERS);
			if (cat_prefix_parse(&p, optarg) != 0)
				usage_error("--exporter: '%s' is not an address or "
				            "prefix", optarg);
			struct cap_prefix_opt *e = &copt.exporters[copt.nexporters++];
			e->family = p.family;
			e->len = p.len;
			memcpy(e->addr, p.addr, 16);
			break;
		}
		case OPT_SAMPLING:
			copt.sampling = (uint32_t)parse_num("--sampling", optarg, 1,
			                                    1000000000);
			break;
		case OPT_SKIP_BAD: copt.skip_bad_records = true; break;
		case OPT_INTERVAL:
			copt.interval = (uint32_t)parse_num("--interval", optarg, 1,
			                                    31u * 86400);
			break;
		case 'h':
			fputs(usage_text, stdout);
			free(server_arg);
			return stdout_written();
		case 'V':
			printf("portaudit %s\n", PORTAUDIT_VERSION);
			free(server_arg);
			return stdout_written();
		case ':':
			usage_error("option %s needs an argument", argv[optind - 1]);
			break;
		default: {
			/* getopt_long sets optopt to a long option's letter
			 * when it was given a value it takes none of
			 * ("--quiet=1"): name what was typed. */
			const char *a = argv[optind - 1];
			const char *eq = strchr(a, '=');
			if (strncmp(a, "--", 2) == 0 && optopt && eq)
				usage_error("option '%.*s' takes no value",
				            (int)(eq - a), a);
			if (strncmp(a, "--", 2) == 0)
				usage_error("unknown option '%s'", a);
			if (optopt && optopt < 256)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", a);
		}
		}
	}
	if (filter_file && optind < argc)
		usage_error("give the filter with -F FILE or on the command line, "
		            "not both");
	/* Flow records or packets: one kind of source per run. */
	bool records = flows_arg || copt.collect;
	if (flows_arg && copt.collect)
		usage_error("give --flows or --collect, not both (one kind of "
		            "source per run)");
	if (records) {
		const char *what = flows_arg ? "--flows" : "--collect";
		if (copt.iface)
			usage_error("give -i or %s, not both (one kind of source "
			            "per run)", what);
		if (r_given)
			usage_error("give -r or %s, not both (one kind of source "
			            "per run)", what);
		if (filter_file || optind < argc)
			usage_error("a capture filter applies to packets; %s "
			            "takes none", what);
		if (packet_only_opt)
			usage_error("%s applies to packets, not to %s",
			            packet_only_name, what);
		if (out_path[6])
			usage_error("--evidence needs packets (-r FILE): flow "
			            "records carry none");
		if (copt.collect)
			copt.kind = CAP_SRC_NETFLOW;
	} else {
		if (copt.nexporters)
			usage_error("--exporter applies to --collect and --flows "
			            "nfdump:PATH");
		if (copt.sampling)
			usage_error("--sampling applies to --flows and --collect");
		if (copt.skip_bad_records)
			usage_error("--skip-bad-records applies to --flows and "
			            "--collect");
	}
	if (copt.nexporters && copt.kind == CAP_SRC_ZEEK)
		usage_error("--exporter applies to --collect and --flows "
		            "nfdump:PATH (a conn.log names no exporter)");
	if (filter_file)
		copt.filter = read_filter_file(filter_file);
	else if (optind < argc)
		copt.filter = join_args(argc, argv, optind);
	if (!copt.iface && copt.nsources == 0 && !copt.collect)
		usage_error("nothing to read: give -i IFACE, -r FILE, --flows "
		            "KIND:PATH or --collect netflow:[ADDR:]PORT");
	if (copt.iface && copt.nsources)
		usage_error("give -i or -r, not both");
	if (copt.duration > 0 && !copt.iface && !copt.collect)
		usage_error("--duration applies to live capture (-i) and "
		            "--collect");
	/* A file keeps the snaplen it was captured with, and has no
	 * interface or kernel buffer: said, not silently ignored. */
	if (live_only_name && !copt.iface)
		usage_error("%s applies to live capture (-i), not to -r FILE",
		            live_only_name);
	if (copt.buffer_kib && !copt.iface && !copt.collect)
		usage_error("-B applies to live capture (-i) and --collect");
	if (copt.interval && !copt.iface)
		usage_error("--interval applies to live capture (-i)");
	if (copt.interval) {
		/* A file per interval: each report needs a name. */
		static const char *const per_iv[] = { "", "--json", "--html",
		                                      "--csv", "", "--flows-csv" };
		for (unsigned i = 1; i < 6; i++)
			if (per_iv[i][0] && out_path[i] &&
			    strcmp(out_path[i], "-") == 0)
				usage_error("--interval writes a file per interval: "
				            "give %s a file name, not -", per_iv[i]);
		for (unsigned i = 1; i < 6; i++) {
			if (!per_iv[i][0] || !out_path[i])
				continue;
			char *n = rep_interval_name(out_path[i], 0, copt.interval);
			if (!n)
				usage_error("%s %s: the name pattern expands to "
				            "nothing or to more than 4095 bytes",
				            per_iv[i], out_path[i]);
			free(n);
		}
	}
	/* One capture file given twice would count each packet twice (merge
	 * refuses a capture given twice too). */
	for (unsigned i = 0; r_given && i < copt.nsources; i++)
		for (unsigned j = i + 1; j < copt.nsources; j++)
			if (strcmp(copt.sources[i], "-") != 0 &&
			    rep_same_path(copt.sources[i], copt.sources[j]))
				usage_error("-r %s and -r %s are the same file: "
				            "its packets would be counted twice",
				            copt.sources[i], copt.sources[j]);
	if (out_path[6]) {
		/* Evidence is collected by reading the sources a second time. */
		if (copt.iface)
			usage_error("--evidence needs -r FILE: a live capture cannot "
			            "be read twice");
		for (unsigned i = 0; i < copt.nsources; i++) {
			struct stat sb;
			if (strcmp(copt.sources[i], "-") == 0)
				usage_error("--evidence needs -r FILE: standard input "
				            "cannot be read twice");
			if (stat(copt.sources[i], &sb) == 0 && !S_ISREG(sb.st_mode))
				usage_error("--evidence needs -r FILE: %s is not a "
				            "regular file (a FIFO or a device cannot "
				            "be read twice)", copt.sources[i]);
		}
	}

	/* The model. */
	struct cat_error err;
	struct catalog cat;
	struct cat_profile prof;
	struct cat_model model;
	memset(&prof, 0, sizeof prof);
	if (cat_load_file(&cat, catalog_path, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		free((char *)copt.filter);
		free(server_arg);
		return EXIT_USAGE;
	}
	if (profile_path &&
	    cat_profile_load_file(&prof, &cat, profile_path, &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		cat_free(&cat);
		free((char *)copt.filter);
		free(server_arg);
		return EXIT_USAGE;
	}
	if (cat_apply(&model, &cat, profile_path ? &prof : NULL, (uint16_t)base,
	              &err) != 0) {
		fprintf(stderr, "portaudit: %s\n", err.msg);
		if (profile_path)
			cat_profile_free(&prof);
		cat_free(&cat);
		free((char *)copt.filter);
		free(server_arg);
		return EXIT_USAGE;
	}

	/* The servers: --server, else the profile's, else inferred (classify). */
	size_t nalloc = nserver;
	if (nserver == 0 && profile_path)
		for (uint32_t i = 0; i < prof.nservers; i++)
			nalloc += prof.servers[i].naddrs;
	struct cls_server *servers = calloc(nalloc ? nalloc : 1, sizeof *servers);
	if (!servers) {
		fputs("portaudit: out of memory\n", stderr);
		exit(EXIT_USAGE);
	}
	uint32_t nservers = 0;
	for (unsigned i = 0; i < nserver; i++) {
		struct cat_prefix p;
		if (cat_prefix_parse(&p, server_arg[i]) != 0)
			usage_error("--server: '%s' is not an address or prefix",
			            server_arg[i]);
		/* The same server given twice is one server ("10.0.0.5"
		 * and "10.0.0.5/32" too), not a second that never appears. */
		uint32_t k = 0;
		while (k < nservers && !(servers[k].family == p.family &&
		       servers[k].len == p.len &&
		       memcmp(servers[k].addr, p.addr, 16) == 0))
			k++;
		if (k < nservers)
			continue;
		struct cls_server *s = &servers[nservers++];
		s->family = p.family;
		memcpy(s->addr, p.addr, 16);
		s->len = p.len;
		snprintf(s->how, sizeof s->how, "--server");
	}
	free(server_arg);
	if (nservers == 0 && profile_path) {
		for (uint32_t i = 0; i < prof.nservers; i++)
			for (uint32_t k = 0; k < prof.servers[i].naddrs; k++) {
				const struct cat_prefix *p = &prof.servers[i].addrs[k];
				struct cls_server *s = &servers[nservers++];
				s->family = p->family;
				memcpy(s->addr, p->addr, 16);
				s->len = p->len;
				snprintf(s->name, sizeof s->name, "%s", prof.servers[i].name);
				snprintf(s->how, sizeof s->how, "profile %s", profile_path);
			}
	}

	static struct cap_portmap pm;
	cls_portmap(&model, &pm);
	copt.ports = &pm;

	/* Open every output before the capture. */
	static const struct rep_writer *const writers[7] = {
		NULL, &rep_json, &rep_html, &rep_csv, &rep_jsonl, &rep_flows_csv,
		&rep_evidence,
	};
	/* Outputs never collide: one file or standard output each. */
	bool to_stdout = false;
	{
		char why[PATH_MAX + 100];
		if (rep_check_outputs(out_path + 1, out_opt + 1, 6, &to_stdout,
		                      why, sizeof why) != 0)
			usage_error("%s", why);
	}
	struct outputs outs;
	memset(&outs, 0, sizeof outs);
	static struct ivrun iv; /* --interval */
	memset(&iv, 0, sizeof iv);
	char errbuf[512];
	int status = EXIT_USAGE;
	/* --interval: the first interval starts now; its files are named
	 * from it and opened (and checked) like any output. */
	struct timespec now_ts;
	clock_gettime(CLOCK_REALTIME, &now_ts);
	copt.interval_start_ns = (uint64_t)now_ts.tv_sec * 1000000000u +
	                         (uint64_t)now_ts.tv_nsec;
	/* From the first temporary file on, a SIGINT or SIGTERM only sets
	 * g_report_signal (the capture installs its own handlers for its
	 * time and puts these back): every exit path removes what it created,
	 * a signal before the capture or between it and the reports too. */
	struct sigaction rs;
	memset(&rs, 0, sizeof rs);
	rs.sa_handler = on_report_signal;
	sigemptyset(&rs.sa_mask);
	sigaction(SIGINT, &rs, NULL);
	sigaction(SIGTERM, &rs, NULL);
	cap_set_fatal_hook(rep_unlink_temps);
	if (!copt.quiet) {
		/* The terminal summary: on standard error when a report
		 * holds standard output, so that the report stays clean. */
		struct rep_out *o = to_stdout ? rep_open_stderr(&rep_text) :
		                    rep_open(&rep_text, "-", errbuf, sizeof errbuf);
		if (!o) {
			fputs("portaudit: out of memory\n", stderr);
			goto out;
		}
		outs.o[outs.n++] = o;
	}
	for (unsigned i = 1; i < 7; i++) {
		if (!out_path[i])
			continue;
		char *name = NULL;
		if (copt.interval && !writers[i]->stream &&
		    strcmp(out_path[i], "-") != 0 &&
		    !(name = rep_interval_name(out_path[i],
		                               copt.interval_start_ns,
		                               copt.interval))) {
			fprintf(stderr, "portaudit: %s: the name pattern expands "
			        "to nothing\n", out_path[i]);
			goto out;
		}
		struct rep_out *o = rep_open(writers[i], name ? name : out_path[i],
		                             errbuf, sizeof errbuf);
		free(name);
		if (!o) {
			fprintf(stderr, "portaudit: %s\n", errbuf);
			goto out;
		}
		iv.base[outs.n] = out_path[i];
		iv.w[outs.n] = writers[i];
		outs.o[outs.n++] = o;
	}
	/* Who parses the packets: a live capture (or a collector) started
	 * as root drops to
	 * -Z USER, or by default to the first of DEFAULT_USERS that exists
	 * (as tcpdump drops to its own user); -Z root keeps root on purpose.
	 * Offline, only -Z drops (the files and outputs are the caller's). */
	if (copt.drop_user && strcmp(copt.drop_user, "root") == 0)
		copt.drop_user = NULL;
	else if (!copt.drop_user && (copt.iface || copt.collect) &&
	         geteuid() == 0 &&
	         !zflag_given) {
		static const char *const users[] = { DEFAULT_USERS };
		for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
			if (getpwnam(users[i])) {
				copt.drop_user = users[i];
				break;
			}
		if (!copt.drop_user)
			fputs("portaudit: warning: no unprivileged user to drop "
			      "to (" DEFAULT_USERS_TEXT "): capturing as root; "
			      "give -Z USER\n", stderr);
	}
	/* -Z: the reports are published (renamed into place) after root is
	 * dropped, so their files must belong to that user, and the user
	 * must be able to rename them there: checked now, not after the
	 * capture. */
	if (copt.drop_user) {
		struct passwd *pw = getpwnam(copt.drop_user);
		if (!pw) {
			fprintf(stderr, "portaudit: -Z: no such user '%s'\n",
			        copt.drop_user);
			goto out;
		}
		for (unsigned i = 0; i < outs.n; i++) {
			const struct rep_out *o = outs.o[i];
			const char *f = o->tmp ? o->tmp :
			                o->streamed ? o->path : NULL;
			if (f && chown(f, pw->pw_uid, pw->pw_gid) != 0) {
				fprintf(stderr, "portaudit: %s: cannot give it to "
				        "user '%s': %s\n", f, copt.drop_user,
				        strerror(errno));
				goto out;
			}
			if (geteuid() == 0 &&
			    rep_check_user(o, copt.drop_user, pw->pw_uid,
			                   pw->pw_gid, errbuf, sizeof errbuf) != 0) {
				fprintf(stderr, "portaudit: %s\n", errbuf);
				goto out;
			}
		}
	}

	struct cap_stats st;
	memset(&st, 0, sizeof st);
	char *cmdline = join_args(argc, argv, 0);
	outs.in.model = &model;
	outs.in.cap = &st;
	outs.in.capopt = &copt;
	outs.in.command_line = cmdline;
	outs.in.all_services = all;
	outs.in.evidence_packets = (unsigned)evidence_n;

	struct cls_options clo;
	memset(&clo, 0, sizeof clo);
	clo.servers = servers;
	clo.nservers = nservers;
	clo.max_findings = max_findings;
	clo.fail_on = fail_on;
	/* Only a writer that streams flows needs them (and their reasons). */
	for (unsigned i = 0; i < outs.n; i++)
		if (outs.o[i]->w->flow)
			clo.sink = flow_sink;
	clo.sink_ctx = &outs;
	clo.filter = copt.filter;
	struct cls *cl = cls_new(&model, &clo);
	if (!cl) {
		fputs("portaudit: out of memory\n", stderr);
		free(cmdline);
		goto out;
	}
	/* The tunnels the flows' ids refer to, kept for the reports. */
	if (!copt.no_decap && !(copt.tunnels = cap_tunnels_new())) {
		fputs("portaudit: out of memory\n", stderr);
		cls_free(cl);
		free(cmdline);
		goto out;
	}
	copt.status = cls_status;
	copt.status_ctx = cl;
	cap_flow_fn on_flow = cls_flow;
	void *flow_ctx = cl;
	if (copt.interval) {
		iv.cl = cl;
		iv.model = &model;
		iv.clo = &clo;
		iv.outs = &outs;
		iv.total = &st;
		iv.iv.seconds = copt.interval;
		copt.on_interval = iv_report;
		copt.interval_ctx = &iv;
		copt.status = iv_status;
		copt.status_ctx = flow_ctx = &iv;
		on_flow = iv_flow;
	}
	/* SIGHUP reopens the JSON-lines file (log rotation). */
	struct sigaction hup, old_hup;
	memset(&hup, 0, sizeof hup);
	hup.sa_handler = on_hup;
	sigemptyset(&hup.sa_mask);
	hup.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &hup, &old_hup);
	(void)old_hup; /* kept to the end: a rotation during the report */
	if (g_report_signal) {
		fprintf(stderr, "portaudit: %s before the capture began: "
		        "nothing was read\n", g_report_signal == SIGINT ?
		        "interrupted (SIGINT)" : "terminated (SIGTERM)");
		status = 128 + g_report_signal;
		cls_free(cl);
		free(cmdline);
		goto out;
	}
	int crc = records ? cap_run_records(&copt, on_flow, flow_ctx, &st,
	                                    errbuf, sizeof errbuf)
	                  : cap_run(&copt, on_flow, flow_ctx, &st, errbuf,
	                            sizeof errbuf);
	if (copt.interval)
		cl = iv.cl; /* the last interval's (each report is written) */
	if (crc != 0) {
		fprintf(stderr, "portaudit: %s\n", errbuf);
		cls_free(cl);
		free(cmdline);
		goto out;
	}
	if (copt.interval) {
		/* Every interval has had its report: close what stays open
		 * (the terminal, the JSON-lines stream). The status: an error
		 * (2), else non-compliant in some interval (1), else some
		 * interval not audited (3), else compliant (0). */
		status = iv.error ? EXIT_USAGE : iv.failing ? 1
		       : iv.not_audited || iv.iv.seq == 0 ? 3 : 0;
		for (unsigned i = 0; i < outs.n; i++) {
			if (!outs.o[i])
				continue;
			if (rep_close(outs.o[i], errbuf, sizeof errbuf) != 0) {
				fprintf(stderr, "portaudit: %s\n", errbuf);
				status = EXIT_USAGE;
			}
			outs.o[i] = NULL;
		}
		outs.n = 0;
		cls_free(cl);
		free(cmdline);
		goto out;
	}
	const struct cls_result *res = cls_finish(cl, &st);
	outs.in.res = res;

	/* Writing the reports (the evidence pass reads the files again) can
	 * take a while: a SIGINT or SIGTERM now stops it, removes every
	 * temporary file and says so, instead of killing the process with
	 * half-written files left behind (the handlers installed before the
	 * outputs were opened are back since the capture ended). */
	copt.stop = &g_report_signal;
	status = 0;
	for (unsigned i = 0; i < outs.n && !g_report_signal; i++) {
		if (outs.o[i]->w->report(outs.o[i], &outs.in) != 0 &&
		    !g_report_signal) {
			/* The writer said why; publish nothing half-written. */
			rep_abort(outs.o[i]);
			outs.o[i] = NULL;
			status = EXIT_USAGE;
		}
	}
	if (g_report_signal) {
		int sig = g_report_signal;
		for (unsigned i = 0; i < outs.n; i++)
			if (outs.o[i]) {
				rep_abort(outs.o[i]);
				outs.o[i] = NULL;
			}
		fprintf(stderr, "portaudit: %s while writing the reports: no "
		        "report was published\n",
		        sig == SIGINT ? "interrupted (SIGINT)" :
		        "terminated (SIGTERM)");
		status = 128 + sig;
	}
	for (unsigned i = 0; i < outs.n; i++) {
		if (!outs.o[i])
			continue;
		if (rep_close(outs.o[i], errbuf, sizeof errbuf) != 0) {
			fprintf(stderr, "portaudit: %s\n", errbuf);
			status = EXIT_USAGE;
		}
		outs.o[i] = NULL;
	}
	outs.n = 0;
	if (status == 0)
		status = cls_exit_status(&res->summary);
	/* A live capture that failed (its interface gone) is a system error
	 * whatever the reports say of what it saw: exit 2, so that a service
	 * manager restarts it (docs/portaudit@.service). */
	if (st.stopped[0] && status >= 0 && status <= 3)
		status = EXIT_USAGE;
	cls_free(cl);
	free(cmdline);
out:
	for (unsigned i = 0; i < outs.n; i++)
		if (outs.o[i])
			rep_abort(outs.o[i]);
	cap_tunnels_free(copt.tunnels);
	free(servers);
	cat_model_free(&model);
	if (profile_path)
		cat_profile_free(&prof);
	cat_free(&cat);
	free((char *)copt.filter);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		if (strcmp(argv[1], "catalog") == 0)
			return cat_cmd_catalog(argc - 1, argv + 1);
		if (strcmp(argv[1], "rules") == 0)
			return cat_cmd_rules(argc - 1, argv + 1);
		if (strcmp(argv[1], "merge") == 0)
			return rep_cmd_merge(argc - 1, argv + 1);
		if (strcmp(argv[1], "diff") == 0)
			return rep_cmd_diff(argc - 1, argv + 1);
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	return audit(argc, argv);
}
