/*
 * it_html.c -- the HTML report of the real binary, rendered by headless
 * Chromium, on screen and in print.
 *
 * Two reports: the bundled demo, and a capture generated here with
 * $PCAPGEN that has 600 findings (150 IPv4 peers on three unexpected or
 * violating ports each, 60 IPv6 peers with long addresses on an
 * unexpected port and a reserved one, 30 blocked flows), so that more than
 * HTML_OPEN_FINDINGS (500) findings are listed and the rest folded.
 *
 * On screen, at 1280 and 420 px: screenshots (PNG of the window's width),
 * and a probe (the page copied with a small script, loaded in an iframe of
 * that width, the result posted to the outer page, which Chromium dumps)
 * that checks nothing is wider than the window, no element scrolls or
 * clips sideways, no chart label leaves its chart, and every finding's
 * reason sits below the finding's cells, across the whole table, and fits.
 *
 * In print (--print-to-pdf, then pdftotext): every finding's reason, taken
 * from the same run's JSON report, is in the PDF in full and on one page
 * (a finding is never split), each page with a finding repeats the
 * table's header, and the findings start on page 1 or 2 of the demo.
 * Text from the PDF is compared with whitespace and hyphens removed, since
 * lines break anywhere in a long address.
 *
 * Without chromium or pdftotext (tests/install_tools.sh installs them),
 * the tests say "skip: why". The sanitizer build writes the reports and
 * leaves the rendering to the rel run. PA_KEEP_DIR=DIR keeps the pages, screenshots
 * and PDFs there to look at.
 */
#include "harness.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chromium with a new empty profile each time; `timeout` so that a hung
 * browser fails the test instead of stalling the suite. */
static int chromium(const char *url, const char *a1, const char *a2,
                    const char *a3, char **out)
{
	static unsigned seq;
	char ud[1100];
	snprintf(ud, sizeof ud, "--user-data-dir=%s/chromium-%u", pa_tmpdir(),
	         seq++);
	const char *argv[20];
	int n = 0;
	argv[n++] = "/usr/bin/env";
	argv[n++] = "timeout";
	argv[n++] = "300";
	argv[n++] = "chromium";
	argv[n++] = "--headless";
	argv[n++] = "--no-sandbox";
	argv[n++] = "--disable-gpu";
	argv[n++] = "--disable-quic";
	argv[n++] = "--no-first-run";
	argv[n++] = "--disable-background-networking";
	argv[n++] = "--disable-component-update";
	argv[n++] = "--disable-sync";
	argv[n++] = ud;
	if (a1)
		argv[n++] = a1;
	if (a2)
		argv[n++] = a2;
	if (a3)
		argv[n++] = a3;
	argv[n++] = url;
	argv[n] = NULL;
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	int st = r.status;
	if (st != 0)
		printf("chromium %s: status %d: %s\n", url, st, r.err);
	if (out) {
		*out = r.out;
		r.out = NULL;
	}
	pa_result_free(&r);
	return st;
}

static bool have_tools(void)
{
	if (!pa_have("chromium")) {
		pa_skip("chromium is not installed (tests/install_tools.sh)");
		return false;
	}
	if (!pa_have("pdftotext")) {
		pa_skip("pdftotext is not installed (poppler-utils, "
		        "tests/install_tools.sh)");
		return false;
	}
	return true;
}

/* Under the sanitizers the reports are written (the HTML writer run
 * under ASan/UBSan on these inputs) and their findings counted, but not
 * rendered: Chromium's work on the page is the same whichever build wrote
 * it, and the rel run renders it (about 30 s a run). */
static bool render(const char *name)
{
	const char *v = getenv("PA_VARIANT");
	if (!v || strcmp(v, "rel") == 0)
		return true;
	char html[64];
	snprintf(html, sizeof html, "%s.html", name);
	size_t len;
	char *text = pa_read_file(pa_tmp(html), &len);
	assert_non_null(text);
	assert_true(len > 7 && pa_contains(text, "</html>"));
	free(text);
	printf("html: %s written by the %s build (%zu bytes); rendered in the "
	       "rel run\n", html, v, len);
	return false;
}

static void keep(const char *name)
{
	const char *dir = getenv("PA_KEEP_DIR");
	if (!dir)
		return;
	const char *argv[] = { "/bin/cp", pa_tmp(name), dir, NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
}

/* Run portaudit on `pcap` with --html NAME.html --json NAME.json; returns
 * the JSON report. */
static json_t *report(const char *pcap, const char *name)
{
	char html[64], js[64];
	snprintf(html, sizeof html, "%s.html", name);
	snprintf(js, sizeof js, "%s.json", name);
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pcap, "--html", pa_tmp(html), "--json",
	        pa_tmp(js), NULL);
	if (r.status != 1)
		fail_msg("portaudit -r %s: status %d: %s", pcap, r.status, r.err);
	pa_result_free(&r);
	keep(html);
	return pa_load_json(pa_tmp(js));
}

/* The generated capture: many peers, long IPv6 addresses, 600 findings. */
static const char *big_capture(void)
{
	static char path[1024];
	if (path[0])
		return path;
	size_t cap = 1 << 16, len = 0;
	char *f = malloc(cap);
	assert_non_null(f);
#define ADD(...) do { \
		int k_ = snprintf(f + len, cap - len, __VA_ARGS__); \
		assert_true(k_ > 0 && (size_t)k_ < cap - len); \
		len += (size_t)k_; \
	} while (0)
	ADD("start 2026-01-05T10:00:00Z\ngap 200us\n"
	    "host mon  10.0.0.5\n"
	    "host mon6 2001:db8:aaaa:bbbb:cccc:dddd:eeee:5\n"
	    "host win  10.0.1.20\n"
	    "host win6 2001:db8:1::20\n"
	    /* clients on the base port make both servers inferred */
	    "tcp win:51000 > mon:1960 established\n"
	    "tcp win6:51000 > mon6:1960 established\n"
	    "udp mon:40001 > 10.10.0.10:161 request-response\n");
	/* At most 16 peers on one port of a server, so that no findings
	 * fold into a flood finding (classify/findings.c): 600 stay. */
	static const unsigned ports[] = { 3389, 5900, 2300 };
	for (unsigned i = 1; i <= 150; i++)
		for (unsigned p = 0; p < 3; p++)
			ADD("tcp 10.1.%u.%u:40000 > mon:%u rejected\n", i / 250,
			    i % 250 + 1, ports[p] + (i - 1) / 16);
	/* wrong-direction ports (violations), 16 peers each at most */
	static const unsigned vports[] = { 1963, 1965, 25, 636 };
	for (unsigned i = 1; i <= 60; i++) {
		ADD("tcp [2001:db8:1234:5678:9abc:def0:%x:%x]:40000 > mon6:%u "
		    "established\n", i + 4096, i * 7 + 40000, 2222 + (i - 1) / 16);
		ADD("tcp [2001:db8:1234:5678:9abc:def0:%x:%x]:40001 > mon6:%u "
		    "established\n", i + 4096, i * 7 + 40000, vports[(i - 1) / 16]);
	}
	for (unsigned i = 1; i <= 30; i++)
		ADD("tcp mon:40100 > 10.3.0.%u:%u syn-only\n", i,
		    i <= 15 ? 443 : 636);
	/* the capture goes on for 2 s more: those SYNs had time to be
	 * answered (a SYN within 1 s of the end is not judged blocked) */
	ADD("wait 2s\ntcp win:51001 > mon:1960 established\n");
#undef ADD
	pa_write_file(pa_tmp("big.flows"), f);
	free(f);
	snprintf(path, sizeof path, "%s", pa_tmp("big.pcap"));
	const char *argv[] = { getenv("PCAPGEN"), pa_tmp("big.flows"), path,
	                       NULL };
	assert_non_null(argv[0]);
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("pcapgen: %s", r.err);
	pa_result_free(&r);
	return path;
}

/* ---- on screen ---------------------------------------------------------- */

static unsigned png_width(const char *path)
{
	size_t len = 0;
	unsigned char *png = (unsigned char *)pa_read_file(path, &len);
	assert_non_null(png);
	assert_true(len > 10000); /* a rendered page, not an empty image */
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	unsigned w = (unsigned)png[16] << 24 | (unsigned)png[17] << 16 |
	             (unsigned)png[18] << 8 | png[19];
	free(png);
	return w;
}

static void screenshot(const char *name, unsigned width)
{
	char png[64], shot[1200], size[64], url[1200];
	snprintf(png, sizeof png, "%s-%u.png", name, width);
	snprintf(shot, sizeof shot, "--screenshot=%s", pa_tmp(png));
	snprintf(size, sizeof size, "--window-size=%u,2400", width);
	snprintf(url, sizeof url, "file://%s.html", pa_tmp(name));
	assert_int_equal(chromium(url, shot, size, NULL, NULL), 0);
	assert_int_equal(png_width(pa_tmp(png)), width);
	keep(png);
}

/* Runs in the report (in an iframe of the width to test), every folded
 * section opened, and posts what it measured to the outer page. */
static const char probe_js[] =
	"<script>(function(){"
	"document.querySelectorAll('details').forEach(function(d){d.open=true;});"
	"var de=document.documentElement,W=de.clientWidth,n=0,bad=0,below=0,"
	"full=0,clip=0,svg=0;"
	"document.querySelectorAll('tr.why td').forEach(function(td){n++;"
	"var r=td.getBoundingClientRect(),"
	"c=td.parentNode.previousElementSibling.getBoundingClientRect(),"
	"t=td.closest('table').getBoundingClientRect();"
	"if(r.width<1||r.right>W+1||td.scrollWidth>td.clientWidth+1)bad++;"
	"if(r.top>=c.bottom-1)below++;"
	"if(r.width>=0.8*t.width)full++;});"
	"document.querySelectorAll('body *').forEach(function(e){"
	"if(e.closest('svg'))return;"
	"if(getComputedStyle(e).overflowX!=='visible'&&"
	"e.scrollWidth>e.clientWidth+1)clip++;});"
	"document.querySelectorAll('svg').forEach(function(s){"
	"var b=s.getBoundingClientRect();"
	"s.querySelectorAll('text').forEach(function(t){"
	"var r=t.getBoundingClientRect();"
	"if(r.right>b.right+1||r.left<b.left-1)svg++;});});"
	"parent.postMessage('PROBE sw='+de.scrollWidth+' cw='+W+' reasons='+n+"
	"' bad='+bad+' below='+below+' full='+full+' clip='+clip+' svg='+svg+"
	"' end','*');})();</script>";

static unsigned long probe_val(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	if (!p)
		fail_msg("probe: no %s in %s", key, s);
	char *end;
	unsigned long v = strtoul(p + strlen(key), &end, 10);
	assert_true(end != p + strlen(key));
	return v;
}

struct probe {
	unsigned long sw, cw, reasons, bad, below, full, clip, svg;
};

static void probe(const char *name, unsigned width, struct probe *pr)
{
	char html[64], copy[64], wrap[64];
	snprintf(html, sizeof html, "%s.html", name);
	snprintf(copy, sizeof copy, "%s-probe.html", name);
	snprintf(wrap, sizeof wrap, "%s-wrap%u.html", name, width);
	char *page = pa_read_file(pa_tmp(html), NULL);
	assert_non_null(page);
	char *body = strstr(page, "</body>");
	assert_non_null(body);
	size_t n = strlen(page) + sizeof probe_js;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%.*s%s%s", (int)(body - page), page, probe_js, body);
	pa_write_file(pa_tmp(copy), p);
	free(p);
	free(page);
	char w[1024];
	snprintf(w, sizeof w, "<!DOCTYPE html><html><body style=\"margin:0\">"
	         "<pre id=\"out\"></pre><script>addEventListener('message',"
	         "function(e){document.getElementById('out').textContent+="
	         "e.data;});</script><iframe src=\"%s\" style=\"border:0;"
	         "width:%upx;height:900px\"></iframe></body></html>", copy, width);
	pa_write_file(pa_tmp(wrap), w);
	char url[1200];
	snprintf(url, sizeof url, "file://%s", pa_tmp(wrap));
	char *dom = NULL;
	assert_int_equal(chromium(url, "--dump-dom",
	                          "--virtual-time-budget=10000",
	                          "--window-size=1400,1000", &dom), 0);
	const char *s = strstr(dom, "PROBE ");
	if (!s)
		fail_msg("%s at %u px: the probe did not report: %.300s", name,
		         width, dom);
	pr->sw = probe_val(s, "sw=");
	pr->cw = probe_val(s, "cw=");
	pr->reasons = probe_val(s, "reasons=");
	pr->bad = probe_val(s, "bad=");
	pr->below = probe_val(s, "below=");
	pr->full = probe_val(s, "full=");
	pr->clip = probe_val(s, "clip=");
	pr->svg = probe_val(s, "svg=");
	printf("%s at %u px: %.*s\n", name, width,
	       (int)(strstr(s, " end") ? strstr(s, " end") - s : 80), s);
	free(dom);
}

static void check_screen(const char *name, size_t nfindings)
{
	static const unsigned widths[] = { 1280, 420 };
	for (size_t i = 0; i < 2; i++) {
		struct probe pr;
		screenshot(name, widths[i]);
		probe(name, widths[i], &pr);
		/* the iframe is that wide, less a vertical scroll bar */
		assert_true(pr.cw <= widths[i] && pr.cw + 20 >= widths[i]);
		/* nothing wider than the window, nothing scrolls or clips */
		assert_true(pr.sw <= pr.cw);
		assert_int_equal(pr.clip, 0);
		assert_int_equal(pr.svg, 0);
		/* every finding's reason: under its cells, across the table,
		 * inside the window, not cut */
		assert_int_equal(pr.reasons, nfindings);
		assert_int_equal(pr.bad, 0);
		assert_int_equal(pr.below, nfindings);
		assert_int_equal(pr.full, nfindings);
	}
}

/* ---- in print ----------------------------------------------------------- */

/* Without whitespace and hyphens: the PDF breaks lines anywhere. */
static char *squeeze(const char *s, size_t n)
{
	char *r = malloc(n + 1);
	assert_non_null(r);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]) && s[i] != '-')
			r[k++] = s[i];
	r[k] = 0;
	return r;
}

/* Print to PDF; returns its text (pdftotext), pages separated by \f. */
static char *print_pdf(const char *name)
{
	char pdf[64], opt[1200], url[1200];
	snprintf(pdf, sizeof pdf, "%s.pdf", name);
	snprintf(opt, sizeof opt, "--print-to-pdf=%s", pa_tmp(pdf));
	snprintf(url, sizeof url, "file://%s.html", pa_tmp(name));
	assert_int_equal(chromium(url, opt, "--no-pdf-header-footer", NULL,
	                          NULL), 0);
	keep(pdf);
	const char *argv[] = { "/usr/bin/env", "pdftotext", "-enc", "UTF-8",
	                       pa_tmp(pdf), "-", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("pdftotext %s: %s", pdf, r.err);
	char *text = r.out;
	r.out = NULL;
	pa_result_free(&r);
	return text;
}

/* Every finding's reason in full on one page, that page with the table's
 * header; returns the 1-based page where the findings start. */
static unsigned check_print(const char *name, json_t *rep)
{
	char *text = print_pdf(name);
	enum { MAXP = 400 };
	char *page[MAXP];
	unsigned np = 0, start = 0;
	for (const char *p = text; *p && np < MAXP;) {
		const char *ff = strchr(p, '\f');
		size_t n = ff ? (size_t)(ff - p) : strlen(p);
		char *raw = strndup(p, n);
		assert_non_null(raw);
		if (!start && (strncmp(raw, "Findings\n", 9) == 0 ||
		               strstr(raw, "\nFindings\n")))
			start = np + 1;
		free(raw);
		page[np++] = squeeze(p, n);
		p += n + (ff ? 1 : 0);
	}
	assert_true(np > 0 && np < MAXP);
	assert_true(start > 0);
	/* pdftotext gives a table's cells column by column: the header's
	 * words, each on the page (capitalised: not words of a reason) */
	static const char *const header[] = { "Kind", "Service", "Port",
		"Connection", "Outcome", "Flows", "Bytes", "Firstseen" };
	size_t i;
	json_t *f;
	unsigned checked = 0;
	json_array_foreach(json_object_get(rep, "findings"), i, f) {
		const char *reason = json_string_value(json_object_get(f,
		                                                      "reason"));
		assert_non_null(reason);
		char *want = squeeze(reason, strlen(reason));
		unsigned on = 0;
		for (unsigned k = 0; k < np && !on; k++)
			if (strstr(page[k], want))
				on = k + 1;
		if (!on)
			fail_msg("%s.pdf: finding %zu's reason is not on any one "
			         "page in full: %s", name, i, reason);
		for (size_t h = 0; h < sizeof header / sizeof header[0]; h++)
			if (!strstr(page[on - 1], header[h]))
				fail_msg("%s.pdf: page %u has finding %zu but not the "
				         "table header's %s", name, on, i, header[h]);
		free(want);
		checked++;
	}
	assert_int_equal(checked, json_array_size(json_object_get(rep,
	                                                          "findings")));
	printf("%s.pdf: %u pages, %u reasons in full, findings from page %u\n",
	       name, np, checked, start);
	for (unsigned k = 0; k < np; k++)
		free(page[k]);
	free(text);
	return start;
}

/* ---- the tests ---------------------------------------------------------- */

static void test_demo(void **state)
{
	(void)state;
	if (!have_tools())
		return;
	json_t *rep = report(pa_src("pcaps/demo.pcap"), "demo");
	size_t nf = json_array_size(json_object_get(rep, "findings"));
	assert_int_equal(nf, 7);
	if (!render("demo")) {
		json_decref(rep);
		return;
	}
	/* the findings come second: on page 1 or 2 */
	assert_true(check_print("demo", rep) <= 2);
	check_screen("demo", nf);
	json_decref(rep);
}

static void test_many_findings_ipv6(void **state)
{
	(void)state;
	if (!have_tools())
		return;
	json_t *rep = report(big_capture(), "big");
	json_t *fs = json_object_get(rep, "findings");
	size_t nf = json_array_size(fs);
	assert_int_equal(nf, 600); /* more than the 500 listed open */
	/* the capture is what the test means: long IPv6 peers, every kind */
	size_t i, v6 = 0;
	json_t *f;
	json_array_foreach(fs, i, f)
		if (strlen(json_string_value(json_object_get(f, "peer"))) > 30)
			v6++;
	assert_int_equal(v6, 120);
	if (!render("big")) {
		json_decref(rep);
		return;
	}
	check_print("big", rep);
	check_screen("big", nf);
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_many_findings_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
