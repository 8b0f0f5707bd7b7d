/*
 * html.c -- one self-contained HTML page for people (--html FILE).
 *
 * Design. A page to attach to a change ticket: nothing external (no script,
 * no font, no stylesheet, no image URL; the CSS is inline and the charts are
 * inline SVG), so it opens the same offline, in a mail client or in ten
 * years. Top to bottom: a verdict banner with the counts by kind, summary
 * cards, the capture facts (can the capture be trusted?), the servers
 * judged, two charts (flows per service as horizontal bars coloured by
 * status; findings over the capture window, one lane per kind), the service
 * status table (the relevant rows, and the whole catalog folded in a
 * <details>), the findings worst first with their reasons (the first
 * HTML_OPEN_FINDINGS open, the rest folded), caveats. Flows are never
 * embedded, so the page stays small whatever the capture. Every piece of
 * text goes through esc(), attributes included. The SVG uses percentage
 * coordinates so the charts reflow with the page width (desktop and phone)
 * while the text keeps its size. Print CSS drops colours' backgrounds only
 * where they waste ink and keeps table rows whole.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

#define HTML_OPEN_FINDINGS 500  /* findings listed before the fold */
#define HTML_CHART_SERVICES 15  /* bars in the flows-per-service chart */
#define HTML_CHART_FINDINGS 2000 /* marks drawn in the timeline */

static void esc(struct rep_out *o, const char *s)
{
	if (!s)
		return;
	const char *run = s;
	for (const char *p = s; *p; p++) {
		const char *r = NULL;
		switch (*p) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default:
			if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
				r = " ";
		}
		if (!r)
			continue;
		rep_write(o, run, (size_t)(p - run));
		rep_puts(o, r);
		run = p + 1;
	}
	rep_puts(o, run);
}

/* 1234567 -> "1,234,567" */
static const char *num(uint64_t v, char *buf, size_t len)
{
	char t[32];
	int n = snprintf(t, sizeof t, "%" PRIu64, v);
	size_t k = 0;
	for (int i = 0; i < n && k + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = t[i];
	}
	buf[k] = 0;
	return buf;
}

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--panel:#f6f8fa;"
	"--line:#d1d9e0;--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;"
	"--bad-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--vio:#a40e26;"
	"--vio-bg:#ffd8d3;--unx:#8250df;--unx-bg:#fbefff;--dim:#818b98}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\","
	"Roboto,\"Helvetica Neue\",Arial,sans-serif;color:var(--fg);"
	"background:var(--bg)}\n"
	"main{max-width:1240px;margin:0 auto;padding:24px 20px 48px}\n"
	"h1{font-size:22px;margin:0 0 2px}\n"
	"h2{font-size:17px;margin:32px 0 10px;padding-bottom:6px;"
	"border-bottom:1px solid var(--line)}\n"
	".sub{color:var(--muted);margin:0}\n"
	"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
	"monospace;font-size:13px}\n"
	".cmd{display:block;margin-top:6px;color:var(--muted);"
	"overflow-wrap:anywhere}\n"
	".banner{margin:18px 0 8px;padding:16px 20px;border-radius:10px;"
	"display:flex;flex-wrap:wrap;align-items:center;gap:10px 18px}\n"
	".banner.ok{background:var(--ok-bg);border:1px solid var(--ok)}\n"
	".banner.bad{background:var(--bad-bg);border:1px solid var(--bad)}\n"
	".banner.na{background:var(--warn-bg);border:1px solid var(--warn)}\n"
	".verdict{font-size:24px;font-weight:700;letter-spacing:.02em}\n"
	".ok .verdict{color:var(--ok)}.bad .verdict{color:var(--bad)}"
	".na .verdict{color:var(--warn)}\n"
	".banner .caveats,.banner .scope{flex-basis:100%;margin:0}\n"
	".chips{display:flex;flex-wrap:wrap;gap:6px}\n"
	".badge{display:inline-block;padding:1px 8px;border-radius:999px;"
	"font-size:12.5px;font-weight:600;white-space:nowrap;"
	"border:1px solid transparent}\n"
	".s-observed,.k-expected{color:var(--ok);background:var(--ok-bg);"
	"border-color:#aceebb}\n"
	".s-blocked,.k-blocked{color:var(--bad);background:var(--bad-bg);"
	"border-color:#ffcecb}\n"
	".s-missing,.k-missing{color:var(--warn);background:var(--warn-bg);"
	"border-color:#f5e0a0}\n"
	".k-violation{color:var(--vio);background:var(--vio-bg);"
	"border-color:#ffb3aa}\n"
	".k-unexpected{color:var(--unx);background:var(--unx-bg);"
	"border-color:#ecd8ff}\n"
	".s-not-seen{color:var(--muted);background:var(--panel);"
	"border-color:var(--line)}\n"
	".s-disabled{color:var(--dim);background:transparent;"
	"border-color:var(--line);font-style:italic}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(130px,1fr));gap:10px;margin:14px 0}\n"
	".card{background:var(--panel);border:1px solid var(--line);"
	"border-radius:8px;padding:10px 14px}\n"
	".card .n{font-size:22px;font-weight:700}\n"
	".card .l{color:var(--muted);font-size:13px}\n"
	".card.alert .n{color:var(--bad)}\n"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;"
	"gap:4px 18px;margin:0}\n"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;"
	"overflow-wrap:anywhere}\n"
	".warn{color:var(--warn);font-weight:600}\n"
	".scroll{overflow-x:auto;border:1px solid var(--line);"
	"border-radius:8px}\n"
	"table{border-collapse:collapse;width:100%;font-size:13.5px}\n"
	"th,td{padding:6px 10px;text-align:left;vertical-align:top;"
	"border-bottom:1px solid var(--line)}\n"
	"th{background:var(--panel);font-weight:600;white-space:nowrap;"
	"position:sticky;top:0}\n"
	"tr:last-child td{border-bottom:0}\n"
	"td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.nw{white-space:nowrap}\n"
	"tr.group td{background:#eef1f4;font-weight:600}\n"
	"td.reason{min-width:240px}\n"
	"td.conn{white-space:nowrap}.arrow{color:var(--muted);padding:0 4px}\n"
	"details{margin:10px 0}\n"
	"summary{cursor:pointer;color:var(--muted);font-weight:600}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(360px,1fr));gap:18px}\n"
	".chart{border:1px solid var(--line);border-radius:8px;"
	"padding:12px 14px}\n"
	".chart h3{font-size:14px;margin:0 0 8px}\n"
	"svg text{font:12px system-ui,sans-serif;fill:var(--fg)}\n"
	"svg .lbl{fill:var(--muted)}\n"
	".empty{color:var(--muted);font-style:italic}\n"
	"ul.caveats{margin:0;padding-left:20px}\n"
	"footer{margin-top:40px;color:var(--muted);font-size:12.5px}\n"
	"@media (max-width:600px){main{padding:14px 10px 32px}"
	".cards{grid-template-columns:repeat(auto-fit,minmax(96px,1fr))}"
	".card .n{font-size:19px}td.reason{min-width:300px}"
	".verdict{font-size:20px}.charts{grid-template-columns:1fr}"
	"h2{margin-top:24px}}\n"
	"@media print{body{font-size:11px}main{max-width:none;padding:0}"
	".scroll{overflow:visible;border:0}th{position:static}"
	"tr{break-inside:avoid}.chart,.card{break-inside:avoid}"
	"h2{break-after:avoid}details>summary{display:none}"
	"a{color:inherit;text-decoration:none}}\n";

static const char *status_fill(enum cls_status s)
{
	switch (s) {
	case CLS_S_OBSERVED: return "#2da44e";
	case CLS_S_BLOCKED: return "#cf222e";
	case CLS_S_MISSING: return "#bf8700";
	default: return "#8c959f";
	}
}

static const char *kind_fill(enum cls_kind k)
{
	switch (k) {
	case CLS_K_VIOLATION: return "#a40e26";
	case CLS_K_BLOCKED: return "#cf222e";
	case CLS_K_MISSING: return "#bf8700";
	default: return "#8250df";
	}
}

static void badge(struct rep_out *o, const char *cls, const char *text)
{
	rep_printf(o, "<span class=\"badge %s\">", cls);
	esc(o, text);
	rep_puts(o, "</span>");
}

static void status_badge(struct rep_out *o, enum cls_status s)
{
	char c[32];
	snprintf(c, sizeof c, "s-%s", cls_status_name(s));
	badge(o, c, cls_status_name(s));
}

static void kind_badge(struct rep_out *o, enum cls_kind k)
{
	char c[32];
	snprintf(c, sizeof c, "k-%s", cls_kind_name(k));
	badge(o, c, cls_kind_name(k));
}

static void card(struct rep_out *o, const char *label, uint64_t n, bool alert)
{
	char b[32];
	rep_printf(o, "<div class=\"card%s\"><div class=\"n\">%s</div>"
	           "<div class=\"l\">", alert && n ? " alert" : "",
	           num(n, b, sizeof b));
	esc(o, label);
	rep_puts(o, "</div></div>\n");
}

static void fact(struct rep_out *o, const char *label, const char *value,
                 bool warn)
{
	rep_puts(o, "<dt>");
	esc(o, label);
	rep_puts(o, warn ? "</dt><dd class=\"warn\">" : "</dt><dd>");
	esc(o, value);
	rep_puts(o, "</dd>\n");
}

static void head(struct rep_out *o, const struct rep_input *in,
                 const char *verdict)
{
	const struct cap_options *co = in->capopt;
	rep_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	         "<meta charset=\"utf-8\">\n"
	         "<meta name=\"viewport\" content=\"width=device-width, "
	         "initial-scale=1\">\n"
	         "<meta name=\"generator\" content=\"portaudit "
	         PORTAUDIT_VERSION "\">\n<title>portaudit: ");
	esc(o, verdict);
	if (co && co->iface) {
		rep_puts(o, " \xe2\x80\x94 ");
		esc(o, co->iface);
	} else if (co && co->nsources) {
		rep_puts(o, " \xe2\x80\x94 ");
		esc(o, co->sources[0]);
		if (co->nsources > 1)
			rep_printf(o, " and %u more", co->nsources - 1);
	}
	rep_puts(o, "</title>\n<style>\n");
	rep_puts(o, css);
	rep_puts(o, "</style>\n</head>\n<body>\n<main>\n");
}

static void banner(struct rep_out *o, const struct cls_result *res,
                   const char *verdict)
{
	const enum cls_kind *order = cls_kinds_worst_first;
	uint64_t n[CLS_K_COUNT];
	rep_count_kinds(res, n);
	bool ok = res->summary.compliant;
	bool na = res->summary.verdict == CLS_NOT_AUDITED;
	char scope[512];
	rep_printf(o, "<section class=\"banner %s\" aria-label=\"verdict\">"
	           "<div class=\"verdict\">", ok ? "ok" : na ? "na" : "bad");
	esc(o, verdict);
	rep_puts(o, "</div>");
	if (res->summary.with_caveats) {
		rep_puts(o, "<ul class=\"caveats\">");
		for (uint32_t i = 0; i < res->ncaveats && i < 8; i++) {
			rep_puts(o, "<li>");
			esc(o, res->caveats[i]);
			rep_puts(o, "</li>");
		}
		rep_puts(o, "</ul>");
	}
	rep_verdict_scope(res, scope, sizeof scope);
	if (scope[0]) {
		rep_puts(o, "<p class=\"scope\">");
		esc(o, scope);
		rep_puts(o, "</p>");
	}
	rep_puts(o, "<div class=\"chips\">");
	for (size_t i = 0; i < CLS_K_COUNT; i++) {
		if (!n[order[i]])
			continue;
		char t[64], c[32];
		snprintf(t, sizeof t, "%" PRIu64 " %s", n[order[i]],
		         rep_kind_plural(order[i], n[order[i]]));
		snprintf(c, sizeof c, "k-%s", cls_kind_name(order[i]));
		badge(o, c, t);
	}
	if (res->summary.findings_dropped) {
		char t[64];
		snprintf(t, sizeof t, "%" PRIu64 " more not kept",
		         res->summary.findings_dropped);
		badge(o, "s-not-seen", t);
	}
	if (ok && !res->nfindings)
		badge(o, "s-observed", "no findings");
	rep_puts(o, "</div></section>\n");
}

static void capture_facts(struct rep_out *o, const struct rep_input *in)
{
	const struct cap_stats *st = in->cap;
	const struct cap_options *co = in->capopt;
	char b[1024], t1[REP_TIME_MAX], t2[REP_TIME_MAX], d[48], by[32], n1[32];
	rep_puts(o, "<h2 id=\"capture\">Capture</h2>\n<dl class=\"facts\">\n");
	if (co && co->iface) {
		fact(o, "Interface", co->iface, false);
	} else if (co) {
		for (unsigned i = 0; i < co->nsources && i < CAP_MAX_SOURCES; i++) {
			char lt[16];
			if (st->skipped[i][0])
				snprintf(b, sizeof b, "%s \xe2\x80\x94 skipped: %s",
				         co->sources[i], st->skipped[i]);
			else if (i < st->nsources)
				snprintf(b, sizeof b, "%s (%s)", co->sources[i],
				         rep_linktype_name(st->linktypes[i], lt,
				                           sizeof lt));
			else
				snprintf(b, sizeof b, "%s", co->sources[i]);
			fact(o, i ? "" : (co->nsources > 1 ? "Sources" : "Source"), b,
			     st->skipped[i][0] != 0);
		}
	}
	if (co && co->filter)
		fact(o, "Filter", co->filter, false);
	rep_bytes(st->bytes, by, sizeof by);
	snprintf(b, sizeof b, "%s (%s)", num(st->packets, n1, sizeof n1), by);
	fact(o, "Packets", st->packets ? b : "none: the capture holds no packets",
	     st->packets == 0);
	if (st->packets) {
		rep_time(st->first_ns, t1, sizeof t1);
		rep_time(st->last_ns, t2, sizeof t2);
		rep_duration(st->last_ns > st->first_ns
		             ? st->last_ns - st->first_ns : 0, d, sizeof d);
		snprintf(b, sizeof b, "%s to %s (%s)", t1, t2, d);
		fact(o, "Period", b, false);
	}
	snprintf(b, sizeof b, "%" PRIu64 " (peak %" PRIu32 " live of %" PRIu32
	         "; %" PRIu64 " timed out, %" PRIu64 " evicted)", st->flows,
	         st->peak_flows, st->max_flows, st->timed_out, st->evicted);
	fact(o, "Flows", b, st->evicted > 0);
	if (st->has_dropped) {
		snprintf(b, sizeof b, "%" PRIu64 " packets", st->dropped);
		fact(o, "Dropped", b, st->dropped > 0);
	} else {
		fact(o, "Dropped", "n/a (read from a file)", false);
	}
	size_t off = 0;
	b[0] = 0;
	for (int i = 0; i < CAP_AN_COUNT && off < sizeof b; i++)
		if (st->anomalies[i])
			off += (size_t)snprintf(b + off, sizeof b - off,
			                        "%s%s %" PRIu64, off ? ", " : "",
			                        cap_anomaly_name((enum cap_anomaly)i),
			                        st->anomalies[i]);
	fact(o, "Anomalies", off ? b : "none", false);
	if (st->truncated)
		fact(o, "Truncated", "yes: a file ended inside a packet record",
		     true);
	if (st->interrupted)
		fact(o, "Interrupted", "yes: stopped by a signal before its end",
		     true);
	rep_puts(o, "</dl>\n");
}

static void servers_table(struct rep_out *o, const struct cls_result *res)
{
	rep_puts(o, "<h2 id=\"servers\">Servers</h2>\n<p class=\"sub\">");
	esc(o, res->servers_how);
	rep_puts(o, "</p>\n");
	if (!res->nservers) {
		rep_puts(o, "<p class=\"empty\">No server: no flow could be "
		         "judged.</p>\n");
		return;
	}
	rep_puts(o, "<div class=\"scroll\"><table>\n<thead><tr><th>Address</th>"
	         "<th>Name</th><th>How</th></tr></thead>\n<tbody>\n");
	for (uint32_t i = 0; i < res->nservers; i++) {
		const struct cls_server *s = &res->servers[i];
		char a[REP_ADDR_MAX];
		rep_addr(s->family, s->addr, s->len, a, sizeof a);
		rep_puts(o, "<tr><td class=\"mono\">");
		esc(o, a);
		rep_puts(o, "</td><td>");
		esc(o, s->name[0] ? s->name : "\xe2\x80\x94");
		rep_puts(o, "</td><td>");
		if (s->inferred)
			rep_puts(o, "inferred: ");
		esc(o, s->how);
		rep_puts(o, "</td></tr>\n");
	}
	rep_puts(o, "</tbody></table></div>\n");
}

/* Horizontal bars, one per service with flows, the largest first. */
static void chart_services(struct rep_out *o, const struct rep_input *in)
{
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	const struct cls_result *res = in->res;
	uint32_t idx[HTML_CHART_SERVICES];
	uint32_t n = 0, with = 0;
	rep_puts(o, "<div class=\"chart\"><h3>Flows per service</h3>\n");
	for (uint32_t i = 0; cat && i < cat->nservices; i++) {
		if (!res->services[i].flows)
			continue;
		with++;
		/* insertion into the top list, flows descending, index ascending */
		uint32_t pos = n;
		while (pos > 0 && res->services[idx[pos - 1]].flows <
		                  res->services[i].flows)
			pos--;
		if (pos >= HTML_CHART_SERVICES)
			continue;
		if (n < HTML_CHART_SERVICES)
			n++;
		memmove(&idx[pos + 1], &idx[pos], (n - 1 - pos) * sizeof idx[0]);
		idx[pos] = i;
	}
	if (!n) {
		rep_puts(o, "<p class=\"empty\">No flow matched a catalog service."
		         "</p></div>\n");
		return;
	}
	uint64_t max = res->services[idx[0]].flows;
	unsigned row = 38;
	rep_printf(o, "<svg width=\"100%%\" height=\"%u\" role=\"img\" "
	           "aria-label=\"flows per service\">\n", n * row + 4);
	for (uint32_t k = 0; k < n; k++) {
		const struct cls_service_stat *st = &res->services[idx[k]];
		double pct = 100.0 * (double)st->flows / (double)max;
		if (pct < 0.5)
			pct = 0.5;
		unsigned y = k * row;
		char b[32];
		rep_printf(o, "<g><title>");
		esc(o, cat->services[idx[k]].id);
		rep_printf(o, ": %s flows, %s</title>", num(st->flows, b, sizeof b),
		           cls_status_name(st->status));
		rep_printf(o, "<text x=\"0\" y=\"%u\">", y + 12);
		esc(o, cat->services[idx[k]].id);
		rep_printf(o, " <tspan class=\"lbl\">(%s)</tspan></text>",
		           cls_status_name(st->status));
		rep_printf(o, "<rect x=\"0\" y=\"%u\" width=\"%.1f%%\" height=\"14\" "
		           "rx=\"3\" fill=\"%s\"></rect>", y + 17, pct * 0.88,
		           status_fill(st->status));
		rep_printf(o, "<text x=\"%.1f%%\" y=\"%u\" dx=\"6\">%s</text></g>\n",
		           pct * 0.88, y + 29, num(st->flows, b, sizeof b));
	}
	rep_puts(o, "</svg>\n");
	if (with > n)
		rep_printf(o, "<p class=\"sub\">%" PRIu32 " more services with "
		           "fewer flows are in the table below.</p>\n", with - n);
	rep_puts(o, "</div>\n");
}

/* One lane per kind; each finding a mark from first to last seen. */
static void chart_timeline(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	const struct cap_stats *st = in->cap;
	static const enum cls_kind lanes[] = {
		CLS_K_VIOLATION, CLS_K_BLOCKED, CLS_K_UNEXPECTED,
	};
	rep_puts(o, "<div class=\"chart\"><h3>Findings over time</h3>\n");
	uint64_t t0 = st ? st->first_ns : 0, t1 = st ? st->last_ns : 0;
	uint32_t timed = 0;
	for (uint32_t i = 0; i < res->nfindings; i++)
		if (res->findings[i].flows) {
			const struct cls_finding *f = &res->findings[i];
			if (!timed && !(st && st->packets)) {
				t0 = f->first_ns;
				t1 = f->last_ns;
			}
			if (f->first_ns < t0)
				t0 = f->first_ns;
			if (f->last_ns > t1)
				t1 = f->last_ns;
			timed++;
		}
	if (!timed) {
		rep_puts(o, "<p class=\"empty\">No finding with flows.</p></div>\n");
		return;
	}
	double span = t1 > t0 ? (double)(t1 - t0) : 1.0;
	unsigned lane_h = 46, top = 4;
	unsigned h = top + 3 * lane_h + 22;
	rep_printf(o, "<svg width=\"100%%\" height=\"%u\" role=\"img\" "
	           "aria-label=\"findings over the capture window\">\n", h);
	uint32_t drawn = 0;
	for (size_t l = 0; l < sizeof lanes / sizeof lanes[0]; l++) {
		unsigned y = top + (unsigned)l * lane_h;
		uint32_t cnt = 0;
		for (uint32_t i = 0; i < res->nfindings; i++)
			if (res->findings[i].kind == lanes[l] && res->findings[i].flows)
				cnt++;
		rep_printf(o, "<text x=\"0\" y=\"%u\" class=\"lbl\">%s (%" PRIu32
		           ")</text>", y + 11, cls_kind_name(lanes[l]), cnt);
		rep_printf(o, "<rect x=\"0\" y=\"%u\" width=\"100%%\" height=\"20\" "
		           "fill=\"#f6f8fa\" stroke=\"#d1d9e0\"></rect>\n", y + 16);
		for (uint32_t i = 0; i < res->nfindings &&
		                     drawn < HTML_CHART_FINDINGS; i++) {
			const struct cls_finding *f = &res->findings[i];
			if (f->kind != lanes[l] || !f->flows)
				continue;
			double x = 100.0 * (double)(f->first_ns - t0) / span;
			double w = 100.0 * (double)(f->last_ns - f->first_ns) / span;
			if (w < 0.6)
				w = 0.6;
			if (x + w > 100.0)
				x = 100.0 - w;
			char pb[8], a[REP_ADDR_MAX];
			rep_printf(o, "<rect x=\"%.2f%%\" y=\"%u\" width=\"%.2f%%\" "
			           "height=\"20\" fill=\"%s\" fill-opacity=\"0.75\">"
			           "<title>", x, y + 16, w, kind_fill(f->kind));
			esc(o, cls_kind_name(f->kind));
			rep_printf(o, " %s/%u", rep_proto_name(f->proto, pb, sizeof pb),
			           (unsigned)f->port);
			if (f->has_peer) {
				rep_addr(f->family, f->peer, 0, a, sizeof a);
				rep_puts(o, " peer ");
				esc(o, a);
			}
			rep_puts(o, ": ");
			esc(o, f->reason);
			rep_puts(o, "</title></rect>\n");
			drawn++;
		}
	}
	char a[REP_TIME_MAX], b[REP_TIME_MAX];
	rep_time(t0, a, sizeof a);
	rep_time(t1, b, sizeof b);
	unsigned ya = top + 3 * lane_h + 14;
	rep_printf(o, "<text x=\"0\" y=\"%u\" class=\"lbl\">", ya);
	esc(o, strlen(a) > 11 ? a + 11 : a);
	rep_printf(o, "</text><text x=\"100%%\" y=\"%u\" text-anchor=\"end\" "
	           "class=\"lbl\">", ya);
	esc(o, strlen(b) > 11 ? b + 11 : b);
	rep_puts(o, "</text>\n</svg>\n");
	uint32_t missing = 0;
	for (uint32_t i = 0; i < res->nfindings; i++)
		if (!res->findings[i].flows)
			missing++;
	if (missing)
		rep_printf(o, "<p class=\"sub\">%" PRIu32 " finding%s without flows "
		           "(missing) %s no place in time.</p>\n", missing,
		           missing == 1 ? "" : "s", missing == 1 ? "has" : "have");
	rep_puts(o, "</div>\n");
}

static bool relevant(const struct cls_service_stat *st)
{
	return st->status == CLS_S_OBSERVED || st->status == CLS_S_BLOCKED ||
	       st->status == CLS_S_MISSING || st->flows > 0;
}

static void services_rows(struct rep_out *o, const struct rep_input *in,
                          bool all)
{
	const struct catalog *cat = in->model->cat;
	const struct cls_result *res = in->res;
	rep_puts(o, "<div class=\"scroll\"><table>\n<thead><tr><th>Status</th>"
	         "<th>Service</th><th>Proto</th><th>Ports</th><th>Direction</th>"
	         "<th class=\"r\">Flows</th><th class=\"r\">Bytes</th>"
	         "<th>Purpose</th></tr></thead>\n<tbody>\n");
	for (uint32_t p = 0; p < cat->nproducts; p++) {
		bool first = true;
		for (uint32_t i = 0; i < cat->nservices; i++) {
			const struct cat_service *s = &cat->services[i];
			const struct cls_service_stat *st = &res->services[i];
			if (s->product != p || !(all || relevant(st)))
				continue;
			if (first) {
				const struct cat_product *pr = &cat->products[p];
				rep_puts(o, "<tr class=\"group\"><td colspan=\"8\">");
				esc(o, pr->name ? pr->name : pr->id);
				rep_puts(o, "</td></tr>\n");
				first = false;
			}
			char ports[256], n1[32], by[32];
			cat_service_ports_format(s, ports, sizeof ports);
			rep_puts(o, "<tr><td>");
			status_badge(o, st->status);
			rep_puts(o, "</td><td class=\"mono nw\">");
			esc(o, s->id);
			rep_puts(o, "</td><td>");
			esc(o, cat_proto_name(s->proto));
			rep_puts(o, "</td><td class=\"mono\">");
			esc(o, ports);
			rep_puts(o, "</td><td>");
			esc(o, cat_dir_name(s->dir));
			rep_printf(o, "</td><td class=\"r\">%s</td><td class=\"r nw\">",
			           num(st->flows, n1, sizeof n1));
			if (st->flows) {
				rep_bytes(st->bytes, by, sizeof by);
				esc(o, by);
			}
			rep_puts(o, "</td><td class=\"reason\">");
			esc(o, s->purpose);
			if (st->caveat[0]) {
				rep_puts(o, "<br><span class=\"warn\">");
				esc(o, st->caveat);
				rep_puts(o, "</span>");
			}
			if (st->status == CLS_S_DISABLED && s->disabled_reason) {
				rep_puts(o, "<br><span class=\"sub\">");
				esc(o, s->disabled_reason);
				rep_puts(o, "</span>");
			}
			rep_puts(o, "</td></tr>\n");
		}
	}
	rep_puts(o, "</tbody></table></div>\n");
}

static void services_section(struct rep_out *o, const struct rep_input *in)
{
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	if (!cat)
		return;
	uint32_t shown = 0;
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (relevant(&in->res->services[i]))
			shown++;
	rep_printf(o, "<h2 id=\"services\">Services</h2>\n<p class=\"sub\">"
	           "%" PRIu32 " of the catalog's %" PRIu32 " services were seen, "
	           "blocked or missing.</p>\n", shown, cat->nservices);
	if (shown)
		services_rows(o, in, false);
	rep_printf(o, "<details><summary>Every catalog service (%" PRIu32
	           ")</summary>\n", cat->nservices);
	services_rows(o, in, true);
	rep_puts(o, "</details>\n");
}

static void finding_row(struct rep_out *o, const struct rep_input *in,
                        const struct cls_finding *f)
{
	char pb[8], t[REP_TIME_MAX], n1[32], by[32];
	const char *sid = rep_service_id(in, f->service);
	rep_puts(o, "<tr><td>");
	kind_badge(o, f->kind);
	rep_puts(o, "</td><td class=\"mono nw\">");
	esc(o, sid ? sid : "\xe2\x80\x94");
	rep_puts(o, "</td><td class=\"mono nw\">");
	esc(o, rep_proto_name(f->proto, pb, sizeof pb));
	if (f->port_hi != f->port)
		rep_printf(o, " %u&#8211;%u<br><span class=\"sub\">%" PRIu32
		           " ports</span>", (unsigned)f->port,
		           (unsigned)f->port_hi, f->nports);
	else
		rep_printf(o, " %u", (unsigned)f->port);
	rep_puts(o, "</td><td class=\"mono conn\">");
	/* initiator -> responder; a missing finding may have neither. */
	char sa[REP_ADDR_MAX] = "", pa[REP_ADDR_MAX] = "";
	if (!rep_zero_addr(f->server))
		rep_addr(f->family, f->server, 0, sa, sizeof sa);
	if (f->has_peer)
		rep_addr(f->family, f->peer, 0, pa, sizeof pa);
	if (f->flows && sa[0] && pa[0]) {
		esc(o, f->server_initiated ? sa : pa);
		rep_puts(o, "<span class=\"arrow\">&#8594;</span>");
		esc(o, f->server_initiated ? pa : sa);
		rep_printf(o, "<br><span class=\"sub\">opened by the %s</span>",
		           f->server_initiated ? "server" : "peer");
	} else {
		esc(o, sa[0] ? sa : "");
		if (sa[0] && pa[0])
			rep_puts(o, " / ");
		esc(o, pa);
	}
	rep_puts(o, "</td><td>");
	if (f->flows) {
		esc(o, rep_outcome_name(f->outcome));
		if (f->has_icmp)
			rep_printf(o, " (ICMP %u/%u)", (unsigned)f->icmp_type,
			           (unsigned)f->icmp_code);
	}
	rep_printf(o, "</td><td class=\"r\">%s</td>",
	           num(f->flows, n1, sizeof n1));
	rep_bytes(f->bytes, by, sizeof by);
	rep_puts(o, "<td class=\"r nw\">");
	if (f->flows)
		esc(o, by);
	rep_puts(o, "</td><td class=\"mono nw\">");
	if (f->flows) {
		rep_time(f->first_ns, t, sizeof t);
		esc(o, strlen(t) > 11 ? t + 11 : t);
	}
	rep_puts(o, "</td><td class=\"reason\">");
	esc(o, f->reason);
	rep_puts(o, "</td></tr>\n");
}

static void findings_head(struct rep_out *o)
{
	rep_puts(o, "<div class=\"scroll\"><table>\n<thead><tr><th>Kind</th>"
	         "<th>Service</th><th>Port</th><th>Connection</th>"
	         "<th>Outcome</th><th class=\"r\">Flows</th>"
	         "<th class=\"r\">Bytes</th><th>First seen</th><th>Reason</th>"
	         "</tr></thead>\n<tbody>\n");
}

static void findings_section(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	rep_printf(o, "<h2 id=\"findings\">Findings</h2>\n");
	if (!res->nfindings) {
		rep_puts(o, "<p class=\"empty\">None.</p>\n");
	} else {
		rep_printf(o, "<p class=\"sub\">%" PRIu32 " finding%s, worst first."
		           "</p>\n", res->nfindings, res->nfindings == 1 ? "" : "s");
		uint32_t open = res->nfindings < HTML_OPEN_FINDINGS
		                ? res->nfindings : HTML_OPEN_FINDINGS;
		findings_head(o);
		for (uint32_t i = 0; i < open && !o->failed; i++)
			finding_row(o, in, &res->findings[i]);
		rep_puts(o, "</tbody></table></div>\n");
		if (open < res->nfindings) {
			rep_printf(o, "<details><summary>%" PRIu32 " more findings"
			           "</summary>\n", res->nfindings - open);
			findings_head(o);
			for (uint32_t i = open; i < res->nfindings && !o->failed; i++)
				finding_row(o, in, &res->findings[i]);
			rep_puts(o, "</tbody></table></div>\n</details>\n");
		}
	}
	if (res->summary.findings_dropped)
		rep_printf(o, "<p class=\"warn\">%" PRIu64 " more findings were "
		           "counted but not kept (--max-findings).</p>\n",
		           res->summary.findings_dropped);
}

static int html_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	const struct cat_model *m = in->model;
	char verdict[512];
	rep_verdict_line(res, verdict, sizeof verdict);
	head(o, in, verdict);

	rep_puts(o, "<header>\n<h1>portaudit report</h1>\n<p class=\"sub\">");
	if (m && m->cat) {
		esc(o, m->cat->title ? m->cat->title : m->cat->name);
		rep_printf(o, " \xc2\xb7 base port %u", (unsigned)m->base);
	}
	if (m && m->prof) {
		rep_puts(o, " \xc2\xb7 profile ");
		esc(o, m->prof->source);
		if (m->prof->site) {
			rep_puts(o, " (site ");
			esc(o, m->prof->site);
			rep_puts(o, ")");
		}
	} else {
		rep_puts(o, " \xc2\xb7 no profile: the whole catalog applies");
	}
	rep_puts(o, "</p>\n");
	if (in->command_line) {
		rep_puts(o, "<code class=\"cmd\">");
		esc(o, in->command_line);
		rep_puts(o, "</code>\n");
	}
	rep_puts(o, "</header>\n");

	banner(o, res, verdict);
	const struct cls_summary *s = &res->summary;
	rep_puts(o, "<section class=\"cards\" aria-label=\"summary\">\n");
	card(o, "flows judged", s->flows, false);
	card(o, "expected", s->expected, false);
	card(o, "unexpected", s->unexpected, true);
	card(o, "violation", s->violation, true);
	card(o, "blocked", s->blocked, true);
	card(o, "missing", s->missing, true);
	card(o, "other flows", s->other_flows, false);
	rep_puts(o, "</section>\n");

	if (in->cap)
		capture_facts(o, in);
	servers_table(o, res);
	rep_puts(o, "<h2 id=\"charts\">At a glance</h2>\n<div class=\"charts\">\n");
	chart_services(o, in);
	chart_timeline(o, in);
	rep_puts(o, "</div>\n");
	services_section(o, in);
	findings_section(o, in);
	if (res->ncaveats) {
		rep_puts(o, "<h2 id=\"caveats\">Caveats</h2>\n<ul class=\"caveats\">\n");
		for (uint32_t i = 0; i < res->ncaveats && i < 8; i++) {
			rep_puts(o, "<li>");
			esc(o, res->caveats[i]);
			rep_puts(o, "</li>\n");
		}
		rep_puts(o, "</ul>\n");
	}
	rep_printf(o, "<footer>portaudit %s \xc2\xb7 report format %d \xc2\xb7 "
	           "times are UTC, from the packets' timestamps</footer>\n",
	           PORTAUDIT_VERSION, REP_FORMAT_VERSION);
	rep_puts(o, "</main>\n</body>\n</html>\n");
	return rep_done(o);
}

const struct rep_writer rep_html = { "html", NULL, html_report, NULL };
