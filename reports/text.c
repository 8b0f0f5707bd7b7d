/*
 * text.c -- the terminal summary.
 *
 * Design. Four short sections a firewall engineer reads top to bottom:
 * capture health (could we see enough to judge?), the servers judged (given
 * or inferred, and how), the per-service status table grouped by product
 * (only the rows that say something: observed, blocked, missing or with
 * flows; every row with --all), the findings worst first as classify sorted
 * them, then one verdict line. Tables are laid out in two passes: cells are
 * formatted into a small table first, column widths are computed (in
 * characters, UTF-8 aware), then printed; numbers are right-aligned. ANSI
 * colour only when o->color (rep_open: a terminal and no NO_COLOR), never in
 * a file. The text holds no wall-clock time, so it can be compared with a
 * golden file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

#define TEXT_MAX_FINDINGS 100 /* findings listed without --all */
#define TCOLS 10

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_MAGENTA "\033[35m"
#define C_CYAN "\033[36m"

struct tcell {
	char *s;
	const char *color; /* or NULL */
};

struct trow {
	struct tcell c[TCOLS];
	char *group;       /* a group header row instead of cells */
	char *note;        /* a line under the row, from column 1 (not sized) */
};

struct table {
	unsigned ncols;
	bool right[TCOLS];
	struct trow *rows;
	size_t n, cap;
	bool oom;
};

static size_t u8len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static struct trow *t_row(struct table *t)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		struct trow *r = realloc(t->rows, nc * sizeof *r);
		if (!r) {
			t->oom = true;
			return NULL;
		}
		t->rows = r;
		t->cap = nc;
	}
	struct trow *r = &t->rows[t->n++];
	memset(r, 0, sizeof *r);
	return r;
}

static void t_group(struct table *t, const char *name)
{
	struct trow *r = t_row(t);
	if (r && !(r->group = strdup(name)))
		t->oom = true;
}

static void t_cell(struct table *t, struct trow *r, unsigned col,
                   const char *s, const char *color)
{
	if (!r || col >= TCOLS)
		return;
	r->c[col].s = strdup(s ? s : "");
	r->c[col].color = color;
	if (!r->c[col].s) {
		t->oom = true;
		return;
	}
	/* One line per row, and no terminal control sequences from data. */
	for (char *p = r->c[col].s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void t_note(struct table *t, struct trow *r, const char *s)
{
	if (!r)
		return;
	if (!(r->note = strdup(s))) {
		t->oom = true;
		return;
	}
	for (char *p = r->note; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void t_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].group);
		free(t->rows[i].note);
		for (unsigned c = 0; c < TCOLS; c++)
			free(t->rows[i].c[c].s);
	}
	free(t->rows);
}

static void paint(struct rep_out *o, const char *color, const char *s)
{
	if (o->color && color)
		rep_printf(o, "%s%s%s", color, s, C_RESET);
	else
		rep_puts(o, s);
}

static void pad(struct rep_out *o, size_t n)
{
	static const char sp[] = "                                ";
	while (n > 0) {
		size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
		rep_write(o, sp, k);
		n -= k;
	}
}

/* Print with header row 0; the last column is never padded. */
static void t_print(struct rep_out *o, struct table *t, const char *indent)
{
	size_t w[TCOLS] = { 0 };
	for (size_t i = 0; i < t->n; i++)
		for (unsigned c = 0; c < t->ncols && !t->rows[i].group; c++)
			if (t->rows[i].c[c].s && u8len(t->rows[i].c[c].s) > w[c])
				w[c] = u8len(t->rows[i].c[c].s);
	for (size_t i = 0; i < t->n; i++) {
		const struct trow *r = &t->rows[i];
		if (r->group) {
			rep_puts(o, indent);
			paint(o, C_BOLD, r->group);
			rep_puts(o, "\n");
			continue;
		}
		rep_puts(o, indent);
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = r->c[c].s ? r->c[c].s : "";
			size_t gap = w[c] - u8len(s);
			bool last = c + 1 == t->ncols;
			const char *color = i == 0 ? C_DIM : r->c[c].color;
			if (t->right[c])
				pad(o, gap);
			paint(o, color, s);
			if (!last) {
				if (!t->right[c])
					pad(o, gap);
				rep_puts(o, "  ");
			}
		}
		rep_puts(o, "\n");
		if (r->note) {
			rep_puts(o, indent);
			pad(o, w[0] + 2);
			paint(o, C_DIM, r->note);
			rep_puts(o, "\n");
		}
	}
}

static const char *status_color(enum cls_status s)
{
	switch (s) {
	case CLS_S_OBSERVED: return C_GREEN;
	case CLS_S_MISSING: return C_YELLOW;
	case CLS_S_BLOCKED: return C_RED;
	case CLS_S_DISABLED: return C_DIM;
	default: return NULL;
	}
}

static const char *kind_color(enum cls_kind k)
{
	switch (k) {
	case CLS_K_VIOLATION: return C_RED C_BOLD;
	case CLS_K_BLOCKED: return C_RED;
	case CLS_K_MISSING: return C_YELLOW;
	case CLS_K_UNEXPECTED: return C_MAGENTA;
	default: return NULL;
	}
}

static void heading(struct rep_out *o, const char *title, const char *note)
{
	rep_puts(o, "\n");
	paint(o, C_BOLD C_CYAN, title);
	if (note && *note)
		rep_printf(o, "  (%s)", note);
	rep_puts(o, "\n");
}

static void fact(struct rep_out *o, const char *label, const char *color,
                 const char *value)
{
	rep_printf(o, "  %-11s ", label);
	paint(o, color, value);
	rep_puts(o, "\n");
}

static void capture_section(struct rep_out *o, const struct rep_input *in)
{
	const struct cap_stats *st = in->cap;
	const struct cap_options *co = in->capopt;
	char buf[1024], a[REP_TIME_MAX], b[REP_TIME_MAX], d[48], by[32];

	heading(o, "Capture", NULL);
	if (co && co->iface) {
		snprintf(buf, sizeof buf, "interface %s%s%s", co->iface,
		         co->filter ? ", filter: " : "",
		         co->filter ? co->filter : "");
		fact(o, "source", NULL, buf);
	} else if (co) {
		for (unsigned i = 0; i < co->nsources && i < CAP_MAX_SOURCES; i++) {
			char lt[16] = "";
			if (st->skipped[i][0])
				snprintf(buf, sizeof buf, "%s  SKIPPED: %s",
				         co->sources[i], st->skipped[i]);
			else if (i < st->nsources)
				snprintf(buf, sizeof buf, "%s  [%s]", co->sources[i],
				         rep_linktype_name(st->linktypes[i], lt,
				                           sizeof lt));
			else
				snprintf(buf, sizeof buf, "%s", co->sources[i]);
			fact(o, i == 0 ? (co->nsources > 1 ? "sources" : "source")
			               : "", st->skipped[i][0] ? C_YELLOW : NULL,
			     buf);
		}
		if (co->filter)
			fact(o, "filter", NULL, co->filter);
	}
	rep_bytes(st->bytes, by, sizeof by);
	if (st->packets) {
		rep_time(st->first_ns, a, sizeof a);
		rep_time(st->last_ns, b, sizeof b);
		rep_duration(st->last_ns > st->first_ns
		             ? st->last_ns - st->first_ns : 0, d, sizeof d);
		/* The end without its date when it is the start's day. */
		const char *e = strncmp(a, b, 11) == 0 ? b + 11 : b;
		snprintf(buf, sizeof buf, "%" PRIu64 " (%s)", st->packets, by);
		fact(o, "packets", NULL, buf);
		snprintf(buf, sizeof buf, "%s .. %s (%s)", a, e, d);
		fact(o, "period", NULL, buf);
	} else {
		fact(o, "packets", C_YELLOW, "0: the capture holds no packets");
	}
	snprintf(buf, sizeof buf, "%" PRIu64 " (peak %" PRIu32 " live of %"
	         PRIu32 "; %" PRIu64 " timed out, %" PRIu64 " evicted)",
	         st->flows, st->peak_flows, st->max_flows, st->timed_out,
	         st->evicted);
	fact(o, "flows", st->evicted ? C_YELLOW : NULL, buf);
	if (st->has_dropped) {
		snprintf(buf, sizeof buf, "%" PRIu64 "%s", st->dropped,
		         st->dropped ? " packets dropped by the kernel or interface"
		                     : "");
		fact(o, "dropped", st->dropped ? C_RED : C_GREEN, buf);
	}
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < CAP_AN_COUNT && off < sizeof buf; i++) {
		if (!st->anomalies[i])
			continue;
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s %" PRIu64,
		                        off ? ", " : "",
		                        cap_anomaly_name((enum cap_anomaly)i),
		                        st->anomalies[i]);
	}
	fact(o, "anomalies", NULL, off ? buf : "none");
	if (st->truncated)
		fact(o, "truncated", C_YELLOW,
		     "yes: a file ended inside a packet record");
	if (st->interrupted)
		fact(o, "interrupted", C_YELLOW,
		     "yes: stopped by a signal before its end");
}

static void servers_section(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	heading(o, "Servers", res->servers_how);
	if (res->nservers == 0) {
		rep_puts(o, "  ");
		paint(o, C_YELLOW, "none: no flow could be judged");
		rep_puts(o, "\n");
		return;
	}
	struct table t = { .ncols = 3 };
	for (uint32_t i = 0; i < res->nservers; i++) {
		const struct cls_server *s = &res->servers[i];
		char a[REP_ADDR_MAX], how[128];
		rep_addr(s->family, s->addr, s->len, a, sizeof a);
		snprintf(how, sizeof how, "%s%s", s->inferred ? "inferred: " : "",
		         s->how);
		struct trow *r = t_row(&t);
		if (i == 0) {
			t_cell(&t, r, 0, "ADDRESS", NULL);
			t_cell(&t, r, 1, "NAME", NULL);
			t_cell(&t, r, 2, "HOW", NULL);
			r = t_row(&t);
		}
		t_cell(&t, r, 0, a, C_BOLD);
		t_cell(&t, r, 1, s->name[0] ? s->name : "-", NULL);
		t_cell(&t, r, 2, how, NULL);
	}
	t_print(o, &t, "  ");
	if (t.oom)
		rep_fail(o, ENOMEM);
	t_free(&t);
}

static bool relevant(const struct cls_service_stat *st)
{
	return st->status == CLS_S_OBSERVED || st->status == CLS_S_BLOCKED ||
	       st->status == CLS_S_MISSING || st->flows > 0;
}

static void services_section(struct rep_out *o, const struct rep_input *in)
{
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	const struct cls_result *res = in->res;
	if (!cat)
		return;
	uint32_t shown = 0;
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (in->all_services || relevant(&res->services[i]))
			shown++;
	char note[128];
	if (in->all_services)
		snprintf(note, sizeof note, "all %" PRIu32 " catalog services",
		         cat->nservices);
	else
		snprintf(note, sizeof note, "%" PRIu32 " of %" PRIu32
		         " shown; --all lists every one", shown, cat->nservices);
	heading(o, "Services", note);
	if (!shown) {
		rep_puts(o, "  no catalog service was seen\n");
		return;
	}
	struct table t = { .ncols = 7 };
	t.right[5] = t.right[6] = true;
	struct trow *r = t_row(&t);
	static const char *const head[] = { "STATUS", "SERVICE", "PROTO",
		"PORTS", "DIRECTION", "FLOWS", "BYTES" };
	for (unsigned c = 0; c < 7; c++)
		t_cell(&t, r, c, head[c], NULL);
	/* Grouped by product, in catalog order of the products. */
	for (uint32_t p = 0; p < cat->nproducts; p++) {
		bool first = true;
		for (uint32_t i = 0; i < cat->nservices; i++) {
			const struct cat_service *s = &cat->services[i];
			const struct cls_service_stat *st = &res->services[i];
			if (s->product != p ||
			    !(in->all_services || relevant(st)))
				continue;
			if (first) {
				const struct cat_product *pr = &cat->products[p];
				t_group(&t, pr->name ? pr->name : pr->id);
				first = false;
			}
			char ports[256], n[32], by[32];
			cat_service_ports_format(s, ports, sizeof ports);
			r = t_row(&t);
			t_cell(&t, r, 0, cls_status_name(st->status),
			       status_color(st->status));
			t_cell(&t, r, 1, s->id, NULL);
			t_cell(&t, r, 2, cat_proto_name(s->proto), NULL);
			t_cell(&t, r, 3, ports, NULL);
			t_cell(&t, r, 4, cat_dir_name(s->dir), NULL);
			snprintf(n, sizeof n, "%" PRIu64, st->flows);
			t_cell(&t, r, 5, n, NULL);
			rep_bytes(st->bytes, by, sizeof by);
			t_cell(&t, r, 6, st->flows ? by : "-", NULL);
		}
	}
	t_print(o, &t, "  ");
	if (t.oom)
		rep_fail(o, ENOMEM);
	t_free(&t);
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cls_service_stat *st = &res->services[i];
		if (st->caveat[0] && (in->all_services || relevant(st)))
			rep_printf(o, "  note: %s: %s\n", cat->services[i].id,
			           st->caveat);
	}
}

static void findings_section(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	char note[128];
	uint32_t limit = in->all_services ? res->nfindings
	                 : (res->nfindings < TEXT_MAX_FINDINGS
	                    ? res->nfindings : TEXT_MAX_FINDINGS);
	snprintf(note, sizeof note, "%" PRIu32 ", worst first", res->nfindings);
	heading(o, "Findings", res->nfindings ? note : NULL);
	if (!res->nfindings) {
		rep_puts(o, "  ");
		paint(o, C_GREEN, "none");
		rep_puts(o, "\n");
	} else {
		struct table t = { .ncols = 7 };
		t.right[6] = true;
		static const char *const head[] = { "KIND", "SERVICE", "PROTO",
			"PORT", "FROM -> TO", "OUTCOME", "FLOWS" };
		struct trow *r = t_row(&t);
		for (unsigned c = 0; c < 7; c++)
			t_cell(&t, r, c, head[c], NULL);
		for (uint32_t i = 0; i < limit; i++) {
			const struct cls_finding *f = &res->findings[i];
			char pb[8], port[24], sa[REP_ADDR_MAX], pa[REP_ADDR_MAX],
			     n[32], oc[64], conn[2 * REP_ADDR_MAX + 16];
			r = t_row(&t);
			t_cell(&t, r, 0, cls_kind_name(f->kind), kind_color(f->kind));
			t_cell(&t, r, 1, cat && f->service >= 0 &&
			       (uint32_t)f->service < cat->nservices
			       ? cat->services[f->service].id : "-", NULL);
			t_cell(&t, r, 2, rep_proto_name(f->proto, pb, sizeof pb),
			       NULL);
			if (f->port_hi != f->port)
				snprintf(port, sizeof port, "%u-%u (%" PRIu32 ")",
				         (unsigned)f->port, (unsigned)f->port_hi,
				         f->nports);
			else
				snprintf(port, sizeof port, "%u", (unsigned)f->port);
			t_cell(&t, r, 3, port, NULL);
			sa[0] = pa[0] = 0;
			if (!rep_zero_addr(f->server))
				rep_addr(f->family, f->server, 0, sa, sizeof sa);
			if (f->has_peer)
				rep_addr(f->family, f->peer, 0, pa, sizeof pa);
			if (f->flows && sa[0] && pa[0])
				snprintf(conn, sizeof conn, "%s -> %s",
				         f->server_initiated ? sa : pa,
				         f->server_initiated ? pa : sa);
			else
				snprintf(conn, sizeof conn, "%s%s%s", sa[0] ? sa : "-",
				         pa[0] ? " / " : "", pa);
			t_cell(&t, r, 4, conn, NULL);
			if (!f->flows)
				snprintf(oc, sizeof oc, "-");
			else if (f->has_icmp)
				snprintf(oc, sizeof oc, "%s (icmp %u/%u)",
				         rep_outcome_name(f->outcome),
				         (unsigned)f->icmp_type, (unsigned)f->icmp_code);
			else
				snprintf(oc, sizeof oc, "%s",
				         rep_outcome_name(f->outcome));
			t_cell(&t, r, 5, oc, NULL);
			snprintf(n, sizeof n, "%" PRIu64, f->flows);
			t_cell(&t, r, 6, n, NULL);
			t_note(&t, r, f->reason);
		}
		t_print(o, &t, "  ");
		if (t.oom)
			rep_fail(o, ENOMEM);
		t_free(&t);
		if (limit < res->nfindings)
			rep_printf(o, "  ... and %" PRIu32 " more (--all lists them; "
			           "--json/--csv/--html hold them all)\n",
			           res->nfindings - limit);
	}
	if (res->summary.findings_dropped)
		rep_printf(o, "  %" PRIu64 " more findings were counted but not "
		           "kept (--max-findings)\n",
		           res->summary.findings_dropped);
}

static int text_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	const struct cat_model *m = in->model;
	char buf[512];

	paint(o, C_BOLD, "portaudit " PORTAUDIT_VERSION);
	if (m && m->cat) {
		rep_printf(o, "  %s catalog", m->cat->name);
		if (m->cat->title)
			rep_printf(o, " (%s)", m->cat->title);
		rep_printf(o, ", base port %u", (unsigned)m->base);
	}
	rep_puts(o, "\n");
	if (m && m->prof)
		rep_printf(o, "profile %s%s%s%s\n",
		           m->prof->source ? m->prof->source : "?",
		           m->prof->site ? " (site " : "",
		           m->prof->site ? m->prof->site : "",
		           m->prof->site ? ")" : "");
	else
		rep_puts(o, "no profile: the whole catalog applies, nothing is "
		         "required\n");
	if (in->cap)
		capture_section(o, in);
	servers_section(o, in);
	services_section(o, in);
	findings_section(o, in);
	/* The verdict block: the headline, the caveats that qualify it,
	 * what the headline leaves out, and what was judged. */
	rep_puts(o, "\n");
	rep_verdict_line(res, buf, sizeof buf);
	paint(o, res->summary.compliant ? C_BOLD C_GREEN :
	         res->summary.verdict == CLS_NOT_AUDITED ? C_BOLD C_YELLOW :
	         C_BOLD C_RED, buf);
	rep_puts(o, "\n");
	for (uint32_t i = 0; i < res->ncaveats && i < 8; i++)
		rep_printf(o, "  caveat: %s\n", res->caveats[i]);
	rep_verdict_scope(res, buf, sizeof buf);
	if (buf[0])
		rep_printf(o, "  %s\n", buf);
	rep_verdict_judged(res, buf, sizeof buf);
	rep_printf(o, "  %s\n", buf);
	return rep_done(o);
}

const struct rep_writer rep_text = { "text", NULL, text_report };
