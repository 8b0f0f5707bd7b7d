/*
 * html.c -- one self-contained HTML page for people (--html FILE).
 *
 * Design. A page to attach to a change ticket: nothing external (no script,
 * no font, no stylesheet, no image URL; the CSS is inline and the charts are
 * inline SVG), so it opens the same offline, in a mail client or in ten
 * years. Top to bottom, in the order a reader asks: the verdict banner (the
 * headline, the caveats first when there are any, what the headline leaves
 * out, the counts by kind) with the counts of flows by verdict, the capture
 * facts (can the capture be trusted?), the FINDINGS worst first, the
 * servers (each with its flows by verdict and its findings by kind), two
 * charts (flows by service, each flow counted once where classify
 * attributed it; findings over the capture window, one lane per kind), and
 * the service status table (service groups first, then the relevant rows
 * per product, and the whole catalog folded in a <details>).
 *
 * Layout. A finding is one <tbody> of two rows: its cells, then its reason
 * as a full-width row under them, so the reason is never a squeezed column
 * and never clipped; addresses may wrap anywhere (IPv6). Nothing scrolls
 * sideways: every table fits its width (no overflow-x anywhere), and below
 * 720 px of screen each table row (each finding) becomes a card. Print CSS:
 * a finding is never split across pages (break-inside: avoid on its tbody),
 * table headers repeat on every page, folded sections print expanded, and
 * colours are kept (print-color-adjust: exact). The first HTML_OPEN_FINDINGS
 * findings are listed open, the rest folded (on screen only).
 *
 * Flows are never embedded, so the page stays small whatever the capture:
 * about 1 KiB per finding. Every piece of text goes through esc(),
 * attributes included. The SVG uses percentage coordinates so the charts
 * reflow with the page width while the text keeps its size.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

#define HTML_OPEN_FINDINGS 500  /* findings listed before the fold */
#define HTML_CHART_SERVICES 15  /* bars in the flows-by-service chart */
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

/* An address, with a break opportunity after each ':' so that a long
 * IPv6 address wraps between its groups. */
static void esc_addr(struct rep_out *o, const char *a)
{
	for (const char *p = a; *p; ) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) + 1 : strlen(p);
		rep_write(o, p, n); /* digits, dots, colons, '/': nothing to escape */
		if (c && c[1])
			rep_puts(o, "<wbr>");
		p += n;
	}
}

/* "flow" or "flows" */
static const char *pl(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--panel:#f6f8fa;"
	"--line:#d1d9e0;--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;"
	"--bad-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--vio:#a40e26;"
	"--vio-bg:#ffd8d3;--unx:#8250df;--unx-bg:#fbefff;--mis:#bf8700;"
	"--dim:#818b98}\n"
	"*{box-sizing:border-box}\n"
	"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\","
	"Roboto,\"Helvetica Neue\",Arial,sans-serif;color:var(--fg);"
	"background:var(--bg)}\n"
	"main{max-width:1240px;margin:0 auto;padding:24px 20px 48px}\n"
	"h1{font-size:22px;margin:0 0 2px}\n"
	"h2{font-size:17px;margin:28px 0 8px;padding-bottom:6px;"
	"border-bottom:1px solid var(--line)}\n"
	".sub{color:var(--muted);margin:0}\n"
	"p.sub{margin:0 0 10px}\n"
	"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
	"monospace;font-size:13px}\n"
	".cmd{display:block;margin-top:6px;color:var(--muted);"
	"overflow-wrap:anywhere}\n"
	".addr,.svc{overflow-wrap:anywhere}\n"
	/* Wrapping anywhere lets a table fit any width; these keep the usual
	 * address or id on one line where there is room. */
	"td.addr{min-width:calc(15ch + 20px)}"
	"td.conn{min-width:calc(22ch + 20px)}"
	"td.svc{min-width:calc(18ch + 20px)}\n"
	"td.conn .sub{font-family:system-ui,sans-serif}\n"
	".banner{margin:18px 0 8px;padding:14px 20px;border-radius:10px;"
	"border:1px solid}\n"
	".banner.ok{background:var(--ok-bg);border-color:var(--ok)}\n"
	".banner.bad{background:var(--bad-bg);border-color:var(--bad)}\n"
	".banner.na{background:var(--warn-bg);border:2px dashed var(--warn)}\n"
	".verdict{font-size:24px;font-weight:700;letter-spacing:.02em;"
	"overflow-wrap:anywhere}\n"
	".ok .verdict{color:var(--ok)}.bad .verdict{color:var(--bad)}"
	".na .verdict{color:var(--warn)}\n"
	".banner .caveats{margin:10px 0 0;padding:8px 12px;"
	"background:var(--warn-bg);border:1px solid #d4a72c;border-radius:6px;"
	"color:#4d3800}\n"
	".banner .caveats strong{display:block;margin-bottom:2px}\n"
	".banner .caveats ul{margin:0;padding-left:20px}\n"
	".banner .scope{margin:10px 0 0}\n"
	".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}\n"
	".badge{display:inline-block;padding:1px 8px;border-radius:999px;"
	"font-size:12.5px;font-weight:600;white-space:nowrap;"
	"border:1px solid transparent}\n"
	".s-observed,.k-expected{color:var(--ok);background:var(--ok-bg);"
	"border-color:#aceebb}\n"
	".s-blocked,.k-blocked{color:var(--bad);background:var(--bad-bg);"
	"border-color:#ffcecb}\n"
	".s-missing,.k-missing{color:var(--warn);background:var(--warn-bg);"
	"border-color:#f5e0a0}\n"
	".s-violated,.k-violation{color:var(--vio);background:var(--vio-bg);"
	"border-color:#ffb3aa}\n"
	".k-unexpected{color:var(--unx);background:var(--unx-bg);"
	"border-color:#ecd8ff}\n"
	".s-not-seen{color:var(--muted);background:var(--panel);"
	"border-color:var(--line)}\n"
	".s-disabled{color:var(--dim);background:transparent;"
	"border-color:var(--line);font-style:italic}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(104px,1fr));gap:8px;margin:10px 0 0}\n"
	".card{background:var(--panel);border:1px solid var(--line);"
	"border-radius:8px;padding:6px 12px}\n"
	".card .n{font-size:20px;font-weight:700}\n"
	".card .l{color:var(--muted);font-size:12.5px}\n"
	".card.alert .n{color:var(--bad)}\n"
	"dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);"
	"gap:3px 18px;margin:0}\n"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0;"
	"overflow-wrap:anywhere}\n"
	".warn{color:var(--warn);font-weight:600}\n"
	"table{border-collapse:separate;border-spacing:0;width:100%;"
	"font-size:13.5px;border:1px solid var(--line);border-radius:8px}\n"
	"th,td{padding:6px 10px;text-align:left;vertical-align:top;"
	"border-bottom:1px solid var(--line)}\n"
	"th{background:var(--panel);font-weight:600;white-space:nowrap}\n"
	"thead th:first-child{border-top-left-radius:8px}"
	"thead th:last-child{border-top-right-radius:8px}\n"
	"tbody:last-child>tr:last-child>td{border-bottom:0}\n"
	"td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\n"
	".nw{white-space:nowrap}\n"
	"tr.group td{background:#eef1f4;font-weight:600}\n"
	"tr.group td .sub{font-weight:400}\n"
	"table.fl tr.cells td{border-bottom:0}\n"
	"table.fl tr.why td{padding:0 10px 9px 16px;overflow-wrap:anywhere}\n"
	"table.fl tbody.f:hover td{background:#fafbfc}\n"
	"tbody.kv td:first-child{border-left:4px solid var(--vio)}"
	"tbody.kb td:first-child{border-left:4px solid var(--bad)}"
	"tbody.km td:first-child{border-left:4px solid var(--mis)}"
	"tbody.ku td:first-child{border-left:4px solid var(--unx)}\n"
	".arrow{color:var(--muted);padding-left:4px}\n"
	"td .chips{margin:0;gap:4px}\n"
	"details{margin:10px 0}\n"
	"summary{cursor:pointer;color:var(--muted);font-weight:600}\n"
	"td details{margin:4px 0 0}td summary{font-weight:400}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(min(100%,360px),1fr));gap:18px;align-items:start}\n"
	".chart{border:1px solid var(--line);border-radius:8px;"
	"padding:12px 14px;min-width:0}\n"
	".chart h3{font-size:14px;margin:0 0 8px}\n"
	"svg{display:block}\n"
	"svg text{font:12px system-ui,sans-serif;fill:var(--fg)}\n"
	"svg .lbl{fill:var(--muted)}\n"
	".empty{color:var(--muted);font-style:italic}\n"
	"footer{margin-top:40px;color:var(--muted);font-size:12.5px}\n"
	/* Phones and narrow windows: every table row becomes a card. */
	"@media screen and (max-width:720px){main{padding:14px 10px 32px}"
	".cards{grid-template-columns:repeat(auto-fit,minmax(84px,1fr))}"
	"td.addr,td.conn,td.svc{min-width:0}"
	"table.rt td.r{text-align:left}"
	".verdict{font-size:20px}h2{margin-top:22px}"
	".banner{padding:12px 14px}"
	"table.rt,table.rt>tbody,table.rt>tbody>tr,table.rt>tbody>tr>td,"
	"table.fl,table.fl>tbody,table.fl>tbody>tr,table.fl>tbody>tr>td"
	"{display:block;width:auto}"
	"table.rt,table.fl{border:0}"
	"table.rt>thead,table.fl>thead{display:none}"
	"table.rt>tbody>tr{border:1px solid var(--line);border-radius:8px;"
	"margin:0 0 8px;padding:6px 10px}"
	"table.rt>tbody>tr>td{border:0;padding:2px 0}"
	"table.rt td[data-l]::before{content:attr(data-l) \": \";"
	"color:var(--muted)}"
	"table.rt>tbody>tr.group{border:0;padding:10px 0 2px}"
	"table.svcs>tbody>tr{display:flex;flex-wrap:wrap;align-items:baseline;"
	"gap:2px 12px}"
	"table.svcs>tbody>tr>td:last-child{flex-basis:100%}"
	"table.svcs>tbody>tr.group{display:block}"
	"table.rt>tbody>tr.group td{background:none}"
	"table.fl>tbody.f{border:1px solid var(--line);border-left-width:4px;"
	"border-radius:8px;margin:0 0 10px;padding:8px 10px}"
	"tbody.kv{border-left-color:var(--vio)!important}"
	"tbody.kb{border-left-color:var(--bad)!important}"
	"tbody.km{border-left-color:var(--mis)!important}"
	"tbody.ku{border-left-color:var(--unx)!important}"
	"table.fl>tbody>tr>td,tbody.f td:first-child{border:0;padding:0}"
	"table.fl tr.cells{display:flex;flex-wrap:wrap;gap:2px 14px;"
	"align-items:baseline}"
	"table.fl td.conn{flex-basis:100%}"
	"table.fl tr.cells td:nth-child(6)::before{content:\"flows \";"
	"color:var(--muted)}"
	"table.fl tr.cells td:nth-child(7)::before{content:\"bytes \";"
	"color:var(--muted)}"
	"table.fl tr.cells td:nth-child(8)::before{content:\"first seen \";"
	"color:var(--muted)}"
	"table.fl tr.why td{padding:6px 0 0}"
	"table.fl tbody.f:hover td{background:none}}\n"
	"@page{margin:12mm}\n"
	"@media print{body{font-size:10.5px}main{max-width:none;padding:0}"
	"table{font-size:10px}code,.mono{font-size:9.5px}h1{font-size:17px}"
	".verdict{font-size:17px}h2{font-size:14px;margin-top:16px;"
	"break-after:avoid}.badge{font-size:9.5px;padding:0 6px}"
	".banner{padding:10px 14px;margin-top:10px}"
	".cards{grid-template-columns:repeat(7,1fr);gap:6px}"
	".card{padding:3px 8px}.card .n{font-size:14px}.card .l{font-size:9.5px}"
	".charts{grid-template-columns:1fr 1fr}"
	"thead{display:table-header-group}"
	"tr,tbody.f,.banner,.card,.chart,dl.facts{break-inside:avoid}"
	"tr.group,h2+p.sub{break-after:avoid}"
	"td details>summary{display:none}"
	"a{color:inherit;text-decoration:none}}\n"
	/* Alone: a browser that does not know ::details-content drops only
	 * this rule. Folded sections print expanded. */
	"@media print{details::details-content{content-visibility:visible}}\n";

static const char *status_fill(enum cls_status s)
{
	switch (s) {
	case CLS_S_OBSERVED: return "#2da44e";
	case CLS_S_BLOCKED: return "#cf222e";
	case CLS_S_MISSING: return "#bf8700";
	case CLS_S_VIOLATED: return "#a40e26";
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

/* "3 violations" in the kind's colours. */
static void kind_count_badge(struct rep_out *o, enum cls_kind k, uint64_t n)
{
	char t[64], c[32];
	snprintf(t, sizeof t, "%" PRIu64 " %s", n, rep_kind_plural(k, n));
	snprintf(c, sizeof c, "k-%s", cls_kind_name(k));
	badge(o, c, t);
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

/* The headline, then the caveats (first: they qualify the headline), then
 * what the headline leaves out, then the counts by kind. */
static void banner(struct rep_out *o, const struct cls_result *res,
                   const char *verdict)
{
	const enum cls_kind *order = cls_kinds_worst_first;
	uint64_t n[CLS_K_COUNT];
	rep_count_kinds(res, n);
	bool ok = res->summary.verdict == CLS_COMPLIANT;
	bool na = res->summary.verdict == CLS_NOT_AUDITED;
	char scope[512];
	rep_printf(o, "<section class=\"banner %s\" aria-label=\"verdict\">"
	           "<div class=\"verdict\">", ok ? "ok" : na ? "na" : "bad");
	esc(o, verdict);
	rep_puts(o, "</div>\n");
	if (res->summary.with_caveats && res->ncaveats) {
		rep_puts(o, "<div class=\"caveats\"><strong>Caveats</strong><ul>");
		for (uint32_t i = 0; i < res->ncaveats && i < CLS_MAX_CAVEATS;
		     i++) {
			rep_puts(o, "<li>");
			esc(o, res->caveats[i]);
			rep_puts(o, "</li>");
		}
		rep_puts(o, "</ul></div>\n");
	}
	rep_verdict_scope(res, scope, sizeof scope);
	if (scope[0]) {
		rep_puts(o, "<p class=\"scope\">");
		esc(o, scope);
		rep_puts(o, "</p>\n");
	}
	rep_puts(o, "<div class=\"chips\">");
	for (size_t i = 0; i < CLS_K_COUNT; i++)
		if (n[order[i]])
			kind_count_badge(o, order[i], n[order[i]]);
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
	if (in->interval) {
		const struct rep_interval *iv = in->interval;
		rep_time(iv->start_ns, t1, sizeof t1);
		rep_time(iv->end_ns, t2, sizeof t2);
		snprintf(b, sizeof b, "%u%s: %s to %s (every %" PRIu32 " s)",
		         iv->seq, iv->final ? " (the last)" : "", t1, t2,
		         iv->seconds);
		fact(o, "Interval", b, false);
	}
	if (co && co->iface) {
		fact(o, "Interface", co->iface, false);
	} else if (rep_flow_input(in) && !in->nmerged) {
		unsigned n = rep_nsources(in);
		for (unsigned i = 0; i < n; i++) {
			rep_source_label(in, i, b, sizeof b);
			fact(o, i ? "" : (n > 1 ? "Sources" : "Source"), b, false);
		}
	} else if (co) {
		for (unsigned i = 0; i < co->nsources && i < CAP_MAX_SOURCES; i++) {
			char lt[16];
			if (st->skipped[i][0])
				snprintf(b, sizeof b, "%s \xe2\x80\x94 skipped: %s",
				         co->sources[i], st->skipped[i]);
			else if (i < st->nsources && st->linktypes[i] >= 0)
				snprintf(b, sizeof b, "%s (%s)", co->sources[i],
				         rep_linktype_name(st->linktypes[i], lt,
				                           sizeof lt));
			else
				snprintf(b, sizeof b, "%s", co->sources[i]);
			fact(o, i ? "" : (co->nsources > 1 ? "Sources" : "Source"), b,
			     st->skipped[i][0] != 0);
		}
		if (rep_more_linktypes_words(st, b, sizeof b))
			fact(o, "Also read", b, false);
	}
	if (co && co->filter)
		fact(o, "Filter", co->filter, false);
	if (rep_flow_input(in)) {
		rep_records_words(st, b, sizeof b);
		fact(o, "Records", b, st->rec.malformed || st->rec.evicted ||
		     st->rec.sequence_gaps);
		rep_sampling_words(st->rec.sampling, b, sizeof b);
		fact(o, "Sampling", b, st->rec.sampling > 1);
	}
	rep_bytes(st->bytes, by, sizeof by);
	snprintf(b, sizeof b, "%s (%s)", num(st->packets, n1, sizeof n1), by);
	char none[64];
	snprintf(none, sizeof none, "none: %s", rep_no_packets_words(st, co));
	fact(o, "Packets", st->packets ? b : none, st->packets == 0);
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
		snprintf(b, sizeof b, "%" PRIu64 " %s", st->dropped,
		         pl(st->dropped, "packet", "packets"));
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
		fact(o, "Truncated", rep_truncated_words(st), true);
	if (st->interrupted)
		fact(o, "Interrupted", "yes: stopped by a signal before its end",
		     true);
	if (st->stopped[0])
		fact(o, "Stopped", st->stopped, true);
	if (st->unread[0])
		fact(o, "Unread", st->unread, true);
	rep_puts(o, "</dl>\n");
}

/* ---- findings ----------------------------------------------------------- */

static char kind_letter(enum cls_kind k)
{
	switch (k) {
	case CLS_K_VIOLATION: return 'v';
	case CLS_K_BLOCKED: return 'b';
	case CLS_K_MISSING: return 'm';
	default: return 'u';
	}
}

/* One finding: a <tbody> of its cells and, under them, its reason across
 * the whole width (so print keeps it whole and it never becomes a
 * squeezed column). */
static void finding_body(struct rep_out *o, const struct rep_input *in,
                         const struct cls_finding *f)
{
	char pb[8], t[REP_TIME_MAX], n1[32], by[32];
	const char *sid = rep_attrib_id(in, f->service, f->group);
	rep_printf(o, "<tbody class=\"f k%c\"><tr class=\"cells\"><td>",
	           kind_letter(f->kind));
	kind_badge(o, f->kind);
	rep_puts(o, "</td><td class=\"mono svc\">");
	esc(o, sid ? sid : "\xe2\x80\x94");
	rep_puts(o, "</td><td class=\"mono nw\">");
	esc(o, rep_proto_name(f->proto, pb, sizeof pb));
	if (f->port_hi != f->port)
		rep_printf(o, " %u&#8211;%u<br><span class=\"sub\">%" PRIu32
		           " %s</span>", (unsigned)f->port, (unsigned)f->port_hi,
		           f->nports, pl(f->nports, "port", "ports"));
	else
		rep_printf(o, " %u", (unsigned)f->port);
	rep_puts(o, "</td><td class=\"mono conn\">");
	/* initiator -> responder; a missing finding may have neither. */
	char sa[REP_ADDR_MAX] = "", pa[REP_ADDR_MAX] = "";
	if (!rep_zero_addr(f->server))
		rep_addr(f->family, f->server, REP_HOST, sa, sizeof sa);
	if (f->has_peer)
		rep_addr(f->family, f->peer, REP_PEER_LEN(f), pa, sizeof pa);
	else if (f->npeers) /* a flood: many peers, one port */
		snprintf(pa, sizeof pa, "%u peers", (unsigned)f->npeers);
	if (f->flows && sa[0] && pa[0]) {
		rep_puts(o, "<span class=\"addr\">");
		esc_addr(o, f->server_initiated ? sa : pa);
		/* the arrow stays with the responder when the line breaks */
		rep_puts(o, "</span> <span class=\"arrow\">&#8594;&#160;</span>"
		         "<span class=\"addr\">");
		esc_addr(o, f->server_initiated ? pa : sa);
		rep_printf(o, "</span><br><span class=\"sub\">opened by the %s"
		           "</span>", f->server_initiated ? "server" : "peer");
	} else if (sa[0] || pa[0]) {
		rep_puts(o, "<span class=\"addr\">");
		esc_addr(o, sa[0] ? sa : pa);
		rep_puts(o, "</span>");
		if (sa[0] && pa[0]) {
			rep_puts(o, " / <span class=\"addr\">");
			esc_addr(o, pa);
			rep_puts(o, "</span>");
		}
	}
	rep_puts(o, "</td><td>");
	if (f->flows) {
		esc(o, rep_outcome_name(f->outcome));
		if (f->has_icmp)
			rep_printf(o, " (ICMP %u/%u)", (unsigned)f->icmp_type,
			           (unsigned)f->icmp_code);
	} else {
		rep_puts(o, "no flow");
	}
	rep_printf(o, "</td><td class=\"r\">%s</td><td class=\"r nw\">",
	           num(f->flows, n1, sizeof n1));
	if (f->flows) {
		rep_bytes(f->bytes, by, sizeof by);
		esc(o, by);
	}
	rep_puts(o, "</td><td class=\"mono nw\">");
	if (f->flows) {
		rep_time(f->first_ns, t, sizeof t);
		esc(o, strlen(t) > 11 ? t + 11 : t);
	}
	rep_puts(o, "</td></tr>\n<tr class=\"why\"><td colspan=\"8\">");
	esc(o, f->reason);
	rep_puts(o, "</td></tr></tbody>\n");
}

static void findings_table(struct rep_out *o, const struct rep_input *in,
                           uint32_t from, uint32_t to)
{
	rep_puts(o, "<table class=\"fl\">\n<thead><tr><th>Kind</th>"
	         "<th>Service</th><th>Port</th><th>Connection</th>"
	         "<th>Outcome</th><th class=\"r\">Flows</th>"
	         "<th class=\"r\">Bytes</th><th>First seen</th>"
	         "</tr></thead>\n");
	for (uint32_t i = from; i < to && !o->failed; i++)
		finding_body(o, in, &in->res->findings[i]);
	rep_puts(o, "</table>\n");
}

static void findings_section(struct rep_out *o, const struct rep_input *in)
{
	const struct cls_result *res = in->res;
	rep_puts(o, "<h2 id=\"findings\">Findings</h2>\n");
	if (!res->nfindings) {
		rep_puts(o, "<p class=\"empty\">None.</p>\n");
	} else {
		uint32_t open = res->nfindings < HTML_OPEN_FINDINGS
		                ? res->nfindings : HTML_OPEN_FINDINGS;
		rep_printf(o, "<p class=\"sub\">%" PRIu32 " %s, worst first; each "
		           "with its reason under it.</p>\n", res->nfindings,
		           pl(res->nfindings, "finding", "findings"));
		findings_table(o, in, 0, open);
		if (open < res->nfindings) {
			uint32_t more = res->nfindings - open;
			rep_printf(o, "<details class=\"more\"><summary>%" PRIu32
			           " more %s</summary>\n", more,
			           pl(more, "finding", "findings"));
			findings_table(o, in, open, res->nfindings);
			rep_puts(o, "</details>\n");
		}
	}
	if (res->summary.findings_dropped)
		rep_printf(o, "<p class=\"warn\">%" PRIu64 " more %s counted but "
		           "not kept (--max-findings).</p>\n",
		           res->summary.findings_dropped,
		           pl(res->summary.findings_dropped, "finding was",
		              "findings were"));
}

/* ---- servers ------------------------------------------------------------ */

static void verdict_count_badge(struct rep_out *o, enum cls_verdict v,
                                uint64_t n)
{
	static const char *const cls[] = {
		[CLS_V_EXPECTED] = "k-expected", [CLS_V_UNEXPECTED] = "k-unexpected",
		[CLS_V_VIOLATION] = "k-violation", [CLS_V_BLOCKED] = "k-blocked",
	};
	char t[64];
	snprintf(t, sizeof t, "%" PRIu64 " %s", n, cls_verdict_name(v));
	badge(o, cls[v], t);
}

/* Each server: how it was chosen, its flows by verdict, its findings by
 * kind (as classify counted them). */
static void servers_section(struct rep_out *o, const struct cls_result *res)
{
	static const enum cls_verdict vorder[] = {
		CLS_V_VIOLATION, CLS_V_BLOCKED, CLS_V_UNEXPECTED, CLS_V_EXPECTED,
	};
	rep_puts(o, "<h2 id=\"servers\">Servers</h2>\n<p class=\"sub\">");
	esc(o, res->servers_how);
	rep_puts(o, "</p>\n");
	if (!res->nservers) {
		rep_puts(o, "<p class=\"empty\">No server: no flow could be "
		         "judged.</p>\n");
		return;
	}
	rep_puts(o, "<table class=\"rt srv\">\n<thead><tr><th>Address</th>"
	         "<th>Name</th><th>How chosen</th><th class=\"r\">Flows</th>"
	         "<th>Flows by verdict</th><th>Findings by kind</th></tr>"
	         "</thead>\n<tbody>\n");
	for (uint32_t i = 0; i < res->nservers && !o->failed; i++) {
		const struct cls_server *s = &res->servers[i];
		char a[REP_ADDR_MAX], n1[32];
		uint64_t total = 0, nk = 0;
		for (int v = 0; v < CLS_V_NONE; v++)
			total += s->by[v];
		for (int k = 0; k < CLS_K_COUNT; k++)
			nk += s->kinds[k];
		rep_addr(s->family, s->addr, s->len, a, sizeof a);
		rep_puts(o, "<tr><td class=\"mono addr\">");
		esc_addr(o, a);
		rep_puts(o, "</td><td data-l=\"Name\">");
		esc(o, s->name[0] ? s->name : "\xe2\x80\x94");
		rep_puts(o, "</td><td data-l=\"How chosen\">");
		if (s->inferred)
			rep_puts(o, "inferred: ");
		esc(o, s->how);
		rep_printf(o, "</td><td class=\"r\" data-l=\"Flows judged\">%s"
		           "</td><td data-l=\"Flows by verdict\"><div "
		           "class=\"chips\">",
		           num(total, n1, sizeof n1));
		for (size_t k = 0; k < sizeof vorder / sizeof vorder[0]; k++)
			if (s->by[vorder[k]])
				verdict_count_badge(o, vorder[k], s->by[vorder[k]]);
		rep_puts(o, "</div></td><td data-l=\"Findings by kind\"><div "
		         "class=\"chips\">");
		for (size_t k = 0; k < CLS_K_COUNT; k++) {
			enum cls_kind kk = cls_kinds_worst_first[k];
			if (s->kinds[kk])
				kind_count_badge(o, kk, s->kinds[kk]);
		}
		if (!nk)
			badge(o, "s-observed", "no findings");
		rep_puts(o, "</div></td></tr>\n");
	}
	rep_puts(o, "</tbody></table>\n");
}

/* ---- charts ------------------------------------------------------------- */

/* The flows-by-service chart counts each flow once, where classify
 * attributed it: a service's own flows, a service group's flows (a flow
 * that several catalog rows fit equally: one bar, not one per row), and
 * the flows no catalog service fits. Items are numbered: services
 * [0, nservices), groups [nservices, nservices + ngroups), then the flows
 * without a service. */
struct chart_src {
	const struct rep_input *in;
	uint32_t nsvc, ngrp;
	uint64_t nosvc;      /* flows judged that no catalog service fits */
	bool nosvc_unx;      /* all of them unexpected */
	bool nosvc_floor;    /* findings were dropped: at least this many */
};

static uint64_t item_flows(const struct chart_src *c, uint32_t k)
{
	if (k < c->nsvc)
		return c->in->res->services[k].flows;
	if (k < c->nsvc + c->ngrp)
		return c->in->res->groups[k - c->nsvc].st.flows;
	return c->nosvc;
}

/* The flows no service fits are in findings without a service or group
 * (an expected or blocked flow always has a service); every such flow is
 * in one unless findings were dropped at the cap: then, when the services
 * and groups account for every other flow judged, the rest is exact. */
static void chart_nosvc(struct chart_src *c)
{
	const struct cls_result *res = c->in->res;
	uint64_t attributed = 0, n = 0;
	bool unx = true;
	for (uint32_t i = 0; i < res->nfindings; i++) {
		const struct cls_finding *f = &res->findings[i];
		if (f->service >= 0 || f->group || !f->flows)
			continue;
		n += f->flows;
		if (f->kind != CLS_K_UNEXPECTED)
			unx = false;
	}
	if (res->summary.findings_dropped) {
		for (uint32_t k = 0; k < c->nsvc + c->ngrp; k++)
			attributed += item_flows(c, k);
		if (attributed <= res->summary.flows &&
		    res->summary.flows - attributed >= n)
			n = res->summary.flows - attributed;
		else
			c->nosvc_floor = true;
	}
	c->nosvc = n;
	c->nosvc_unx = unx;
}

static void chart_services(struct rep_out *o, const struct rep_input *in)
{
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	const struct cls_result *res = in->res;
	struct chart_src c = { .in = in };
	c.nsvc = cat ? cat->nservices : 0;
	c.ngrp = res->groups ? res->ngroups : 0;
	chart_nosvc(&c);
	uint32_t nitems = c.nsvc + c.ngrp + 1;
	uint32_t idx[HTML_CHART_SERVICES];
	uint32_t n = 0, with = 0;
	/* The flows without a service always get a bar: the top list of the
	 * others is one shorter then. */
	uint32_t cap = HTML_CHART_SERVICES - (c.nosvc ? 1 : 0);
	uint64_t rest_max = 0;
	rep_puts(o, "<div class=\"chart\"><h3>Flows by service (each flow "
	         "once)</h3>\n");
	for (uint32_t k = 0; k < nitems - 1; k++) {
		uint64_t fl = item_flows(&c, k);
		if (!fl)
			continue;
		with++;
		/* insertion into the top list, flows descending, index ascending */
		uint32_t pos = n;
		while (pos > 0 && item_flows(&c, idx[pos - 1]) < fl)
			pos--;
		if (pos >= cap) {
			if (fl > rest_max)
				rest_max = fl;
			continue;
		}
		if (n == cap) {
			uint64_t out = item_flows(&c, idx[n - 1]);
			if (out > rest_max)
				rest_max = out;
		} else {
			n++;
		}
		memmove(&idx[pos + 1], &idx[pos], (n - 1 - pos) * sizeof idx[0]);
		idx[pos] = k;
	}
	if (c.nosvc) {
		uint32_t pos = n;
		while (pos > 0 && item_flows(&c, idx[pos - 1]) < c.nosvc)
			pos--;
		memmove(&idx[pos + 1], &idx[pos], (n - pos) * sizeof idx[0]);
		idx[pos] = nitems - 1;
		n++;
	}
	if (!n) {
		rep_puts(o, "<p class=\"empty\">No flow was judged.</p></div>\n");
		return;
	}
	uint64_t max = item_flows(&c, idx[0]);
	unsigned row = 38;
	rep_printf(o, "<svg width=\"100%%\" height=\"%u\" role=\"img\" "
	           "aria-label=\"flows by service\">\n", n * row + 4);
	for (uint32_t j = 0; j < n; j++) {
		uint32_t k = idx[j];
		uint64_t fl = item_flows(&c, k);
		const char *label, *what, *fill, *title;
		if (k < c.nsvc) {
			const struct cls_service_stat *st = &res->services[k];
			label = title = cat->services[k].id;
			what = cls_status_name(st->status);
			fill = status_fill(st->status);
		} else if (k < c.nsvc + c.ngrp) {
			const struct cls_group *g = &res->groups[k - c.nsvc];
			label = g->id;
			title = g->name[0] ? g->name : g->id;
			what = cls_status_name(g->st.status);
			fill = status_fill(g->st.status);
		} else {
			label = title = "no catalog service";
			what = c.nosvc_unx ? "unexpected" : "not in the catalog";
			fill = kind_fill(CLS_K_UNEXPECTED);
		}
		double pct = 100.0 * (double)fl / (double)max;
		if (pct < 0.5)
			pct = 0.5;
		unsigned y = j * row;
		char b[32];
		const char *atleast = k == nitems - 1 && c.nosvc_floor
		                      ? "at least " : "";
		rep_puts(o, "<g><title>");
		esc(o, title);
		rep_printf(o, ": %s%s %s, ", atleast, num(fl, b, sizeof b),
		           pl(fl, "flow", "flows"));
		esc(o, what);
		rep_printf(o, "</title><text x=\"0\" y=\"%u\">", y + 12);
		esc(o, label);
		rep_puts(o, " <tspan class=\"lbl\">(");
		esc(o, what);
		rep_printf(o, ")</tspan></text><rect x=\"0\" y=\"%u\" "
		           "width=\"%.1f%%\" height=\"14\" rx=\"3\" fill=\"%s\">"
		           "</rect>", y + 17, pct * 0.86, fill);
		rep_printf(o, "<text x=\"%.1f%%\" y=\"%u\" dx=\"6\">%s%s</text>"
		           "</g>\n", pct * 0.86, y + 29, *atleast ? "\xe2\x89\xa5" : "",
		           num(fl, b, sizeof b));
	}
	rep_puts(o, "</svg>\n");
	uint32_t shown = n - (c.nosvc ? 1 : 0);
	if (with > shown) {
		uint32_t more = with - shown;
		uint64_t last = UINT64_MAX; /* the smallest service bar shown */
		for (uint32_t j = 0; j < n; j++)
			if (idx[j] != nitems - 1 && item_flows(&c, idx[j]) < last)
				last = item_flows(&c, idx[j]);
		if (rest_max < last)
			rep_printf(o, "<p class=\"sub\">%" PRIu32 " more %s with "
			           "fewer flows %s in the table below.</p>\n", more,
			           pl(more, "service", "services"),
			           pl(more, "is", "are"));
		else
			rep_printf(o, "<p class=\"sub\">%" PRIu32 " more with as many "
			           "or fewer flows %s in the table below.</p>\n",
			           more, pl(more, "is", "are"));
	}
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
			char pb[8], a[REP_ADDR_MAX], b[32];
			rep_printf(o, "<rect x=\"%.2f%%\" y=\"%u\" width=\"%.2f%%\" "
			           "height=\"20\" fill=\"%s\" fill-opacity=\"0.75\">"
			           "<title>", x, y + 16, w, kind_fill(f->kind));
			esc(o, cls_kind_name(f->kind));
			rep_printf(o, " %s/%u", rep_proto_name(f->proto, pb, sizeof pb),
			           (unsigned)f->port);
			if (f->has_peer) {
				rep_addr(f->family, f->peer, REP_PEER_LEN(f), a, sizeof a);
				rep_puts(o, " peer ");
				esc(o, a);
			}
			rep_printf(o, ", %s %s: ", num(f->flows, b, sizeof b),
			           pl(f->flows, "flow", "flows"));
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
		rep_printf(o, "<p class=\"sub\">%" PRIu32 " %s without flows "
		           "(missing) %s no place in time.</p>\n", missing,
		           pl(missing, "finding", "findings"),
		           pl(missing, "has", "have"));
	rep_puts(o, "</div>\n");
}

/* ---- services ----------------------------------------------------------- */

static bool relevant(const struct cls_service_stat *st)
{
	return st->status == CLS_S_OBSERVED || st->status == CLS_S_BLOCKED ||
	       st->status == CLS_S_MISSING || st->status == CLS_S_VIOLATED ||
	       st->flows > 0;
}

/* A member of a service group whose flows all went to the group: its row
 * is in the group's folded member list, not among the relevant rows. */
static bool folded_member(const struct cls_result *res,
                          const struct cls_service_stat *st)
{
	return st->group && st->group <= res->ngroups && !st->flows &&
	       st->status != CLS_S_MISSING && st->status != CLS_S_BLOCKED &&
	       st->status != CLS_S_VIOLATED;
}

static bool group_relevant(const struct cls_group *g)
{
	return relevant(&g->st);
}

static void flows_bytes_cells(struct rep_out *o,
                              const struct cls_service_stat *st)
{
	char n1[32], by[32];
	rep_printf(o, "<td class=\"r\" data-l=\"Flows\">%s</td>"
	           "<td class=\"r nw\" data-l=\"Bytes\">",
	           num(st->flows, n1, sizeof n1));
	if (st->flows) {
		rep_bytes(st->bytes, by, sizeof by);
		esc(o, by);
	}
	rep_puts(o, "</td>");
}

static void group_row(struct rep_out *o, const struct rep_input *in,
                      const struct cls_group *g)
{
	const struct catalog *cat = in->model->cat;
	char pb[8];
	rep_puts(o, "<tr class=\"grp\"><td>");
	status_badge(o, g->st.status);
	rep_puts(o, "</td><td><span class=\"mono svc\">");
	esc(o, g->id);
	rep_puts(o, "</span></td><td>");
	esc(o, rep_proto_name(g->proto, pb, sizeof pb));
	rep_puts(o, "</td><td class=\"mono\">");
	esc(o, g->ports);
	rep_puts(o, "</td><td>");
	esc(o, cat_dir_name(g->dir));
	rep_puts(o, "</td>");
	flows_bytes_cells(o, &g->st);
	rep_puts(o, "<td>");
	esc(o, g->name);
	rep_printf(o, "<details><summary>%" PRIu32 " member %s, each flow "
	           "counted once here</summary><span class=\"mono svc\">",
	           g->nmembers, pl(g->nmembers, "service", "services"));
	for (uint32_t m = 0; m < g->nmembers; m++) {
		if (g->members[m] >= cat->nservices)
			continue;
		if (m)
			rep_puts(o, ", ");
		esc(o, cat->services[g->members[m]].id);
	}
	rep_puts(o, "</span></details>");
	if (g->st.caveat[0]) {
		rep_puts(o, "<br><span class=\"warn\">");
		esc(o, g->st.caveat);
		rep_puts(o, "</span>");
	}
	rep_puts(o, "</td></tr>\n");
}

static void service_row(struct rep_out *o, const struct rep_input *in,
                        uint32_t i)
{
	const struct cat_service *s = &in->model->cat->services[i];
	const struct cls_service_stat *st = &in->res->services[i];
	char ports[256];
	cat_service_ports_format(s, ports, sizeof ports);
	rep_puts(o, "<tr><td>");
	status_badge(o, st->status);
	rep_puts(o, "</td><td class=\"mono svc\">");
	esc(o, s->id);
	rep_puts(o, "</td><td>");
	esc(o, cat_proto_name(s->proto));
	rep_puts(o, "</td><td class=\"mono\">");
	esc(o, ports);
	rep_puts(o, "</td><td>");
	esc(o, cat_dir_name(s->dir));
	rep_puts(o, "</td>");
	flows_bytes_cells(o, st);
	rep_puts(o, "<td>");
	esc(o, s->purpose);
	if (st->group && st->group <= in->res->ngroups) {
		rep_puts(o, "<br><span class=\"sub\">Flows that other rows fit as "
		         "well are counted once, in the group <span "
		         "class=\"mono svc\">");
		esc(o, in->res->groups[st->group - 1].id);
		rep_puts(o, "</span>.</span>");
	}
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

static void services_rows(struct rep_out *o, const struct rep_input *in,
                          bool all)
{
	const struct catalog *cat = in->model->cat;
	const struct cls_result *res = in->res;
	uint32_t ngroups = res->groups ? res->ngroups : 0;
	rep_puts(o, "<table class=\"rt svcs\">\n<thead><tr><th>Status</th>"
	         "<th>Service</th><th>Proto</th><th>Ports</th><th>Direction</th>"
	         "<th class=\"r\">Flows</th><th class=\"r\">Bytes</th>"
	         "<th>Purpose</th></tr></thead>\n<tbody>\n");
	bool first = true;
	for (uint32_t g = 0; g < ngroups && !o->failed; g++) {
		if (!(all || group_relevant(&res->groups[g])))
			continue;
		if (first) {
			rep_puts(o, "<tr class=\"group\"><td colspan=\"8\">Service "
			         "groups <span class=\"sub\">(catalog rows that fit "
			         "the same flows equally; each flow is counted once, "
			         "in its group)</span></td></tr>\n");
			first = false;
		}
		group_row(o, in, &res->groups[g]);
	}
	for (uint32_t p = 0; p < cat->nproducts && !o->failed; p++) {
		first = true;
		for (uint32_t i = 0; i < cat->nservices; i++) {
			const struct cat_service *s = &cat->services[i];
			const struct cls_service_stat *st = &res->services[i];
			if (s->product != p)
				continue;
			if (!all && (!relevant(st) || folded_member(res, st)))
				continue;
			if (first) {
				const struct cat_product *pr = &cat->products[p];
				rep_puts(o, "<tr class=\"group\"><td colspan=\"8\">");
				esc(o, pr->name ? pr->name : pr->id);
				rep_puts(o, "</td></tr>\n");
				first = false;
			}
			service_row(o, in, i);
		}
	}
	rep_puts(o, "</tbody></table>\n");
}

static void services_section(struct rep_out *o, const struct rep_input *in)
{
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	const struct cls_result *res = in->res;
	if (!cat)
		return;
	uint32_t ngroups = res->groups ? res->ngroups : 0;
	uint32_t shown = 0, rows = 0, grows = 0, members = 0;
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (relevant(&res->services[i])) {
			shown++;
			if (!folded_member(res, &res->services[i]))
				rows++;
		}
	for (uint32_t g = 0; g < ngroups; g++)
		if (group_relevant(&res->groups[g])) {
			grows++;
			members += res->groups[g].nmembers;
		}
	rep_printf(o, "<h2 id=\"services\">Services</h2>\n<p class=\"sub\">"
	           "%" PRIu32 " of the catalog's %" PRIu32 " services were seen, "
	           "violated, blocked or missing", shown, cat->nservices);
	if (grows)
		rep_printf(o, "; flows that several rows fit equally went to %"
		           PRIu32 " service %s (%" PRIu32 " rows), each flow once",
		           grows, pl(grows, "group", "groups"), members);
	rep_puts(o, ".</p>\n");
	if (rows || grows)
		services_rows(o, in, false);
	rep_printf(o, "<details><summary>Every catalog service (%" PRIu32
	           ")</summary>\n", cat->nservices);
	services_rows(o, in, true);
	rep_puts(o, "</details>\n");
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
	rep_puts(o, "<section class=\"cards\" aria-label=\"flows by verdict\">\n");
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
	findings_section(o, in);
	servers_section(o, res);
	rep_puts(o, "<h2 id=\"charts\">At a glance</h2>\n<div class=\"charts\">\n");
	chart_services(o, in);
	chart_timeline(o, in);
	rep_puts(o, "</div>\n");
	services_section(o, in);
	rep_printf(o, "<footer>portaudit %s \xc2\xb7 report format %d \xc2\xb7 "
	           "times are UTC, from the packets' timestamps</footer>\n",
	           PORTAUDIT_VERSION, REP_FORMAT_VERSION);
	rep_puts(o, "</main>\n</body>\n</html>\n");
	return rep_done(o);
}

const struct rep_writer rep_html = { "html", NULL, html_report, NULL };
