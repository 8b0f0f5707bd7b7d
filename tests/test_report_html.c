/* test_report_html.c -- the HTML report: well-formed, escaped,
 * self-contained, in the reader's order (verdict, capture, findings,
 * servers, charts, services), each finding with its reason in a row of its
 * own, print rules, the flows-by-service chart counting each flow once
 * (groups, flows without a service, its legend), service groups and the
 * violated status, usable when large. (Rendering with Chromium, screen and
 * print, is in it_html.c, on the real binary's output.) */
#include "test_report_fixture.h"

#include <ctype.h>

static const char *const void_tags[] = { "meta", "br", "hr", "img", "input",
	"link", "wbr", "col", "source", NULL };

/* Every element closed, properly nested; returns the number of elements. */
static unsigned check_well_formed(const char *s)
{
	char stack[64][24];
	unsigned depth = 0, elements = 0;
	const char *p = s;
	while ((p = strchr(p, '<')) != NULL) {
		if (strncmp(p, "<!--", 4) == 0) {
			p = strstr(p, "-->");
			assert_non_null(p);
			continue;
		}
		if (strncmp(p, "<!DOCTYPE", 9) == 0) {
			p = strchr(p, '>');
			assert_non_null(p);
			continue;
		}
		bool closing = p[1] == '/';
		const char *n = p + (closing ? 2 : 1);
		char name[24];
		size_t k = 0;
		while (isalnum((unsigned char)*n) && k < sizeof name - 1)
			name[k++] = (char)tolower((unsigned char)*n++);
		name[k] = 0;
		if (k == 0)
			fail_msg("stray '<' in text: %.40s", p);
		const char *end = strchr(n, '>');
		assert_non_null(end);
		/* No raw '<' inside a tag: attributes are escaped. */
		for (const char *q = n; q < end; q++)
			assert_true(*q != '<');
		bool self = end[-1] == '/';
		p = end + 1;
		if (closing) {
			if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
				fail_msg("</%s> closes <%s>", name,
				         depth ? stack[depth - 1] : "(nothing)");
			depth--;
			continue;
		}
		elements++;
		bool is_void = self;
		for (int i = 0; void_tags[i]; i++)
			if (strcmp(void_tags[i], name) == 0)
				is_void = true;
		if (is_void)
			continue;
		if (strcmp(name, "style") == 0) { /* raw text up to </style> */
			p = strstr(p, "</style>");
			assert_non_null(p);
			assert_null(memchr(end, '<', (size_t)(p - end)));
		}
		assert_true(depth < 64);
		snprintf(stack[depth++], sizeof stack[0], "%s", name);
	}
	if (depth)
		fail_msg("<%s> never closed", stack[depth - 1]);
	return elements;
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void keep(const char *s, const char *name)
{
	const char *dir = getenv("PA_KEEP_DIR"); /* to look at it by hand */
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	pa_write_file(path, s);
}

/* Where `needle` starts in `s` (fails when absent). */
static size_t at(const char *s, const char *needle)
{
	const char *p = strstr(s, needle);
	if (!p)
		fail_msg("not in the page: %s", needle);
	return (size_t)(p - s);
}

/* The text from `from` up to the next `to` (malloc'ed). */
static char *slice(const char *s, const char *from, const char *to)
{
	const char *a = s + at(s, from);
	const char *b = strstr(a + strlen(from), to);
	assert_non_null(b);
	char *r = strndup(a, (size_t)(b - a));
	assert_non_null(r);
	return r;
}

/* The flows-by-service chart's markup. */
static char *service_chart(const char *s)
{
	return slice(s, "<h3>Flows by service", "</div>");
}

static void test_html(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char *s = fx_write(x, &rep_html, "r.html", 0);
	keep(s, "fixture.html");
	assert_true(check_well_formed(s) > 100);
	assert_true(strncmp(s, "<!DOCTYPE html>", 15) == 0);
	/* Self-contained: nothing fetched from anywhere. */
	assert_null(strstr(s, "http:"));
	assert_null(strstr(s, "https:"));
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "<link"));
	assert_null(strstr(s, "src="));
	assert_null(strstr(s, "url("));
	assert_null(strstr(s, "@import"));
	/* Escaped: the reason's markup characters are text. */
	assert_null(strstr(s, "<here>"));
	assert_true(pa_contains(s, "yet seen &lt;here&gt; &amp; there"));
	assert_true(pa_contains(s, "&quot;never&quot;"));
	assert_true(pa_contains(s, "seen only if &lt;the&gt; filter"));
	/* The verdict, the counts, the sections, the charts. */
	assert_true(pa_contains(s, "<title>portaudit: NOT COMPLIANT"));
	assert_true(pa_contains(s, "class=\"banner bad\""));
	assert_true(pa_contains(s, ">1 violation<"));
	assert_true(pa_contains(s, "aria-label=\"flows by service\""));
	assert_true(pa_contains(s, "aria-label=\"findings over the capture"));
	/* The reader's order: verdict (its caveats first), capture, the
	 * findings, the servers, the charts, the services. */
	size_t verdict = at(s, "class=\"verdict\""),
	       caveats = at(s, "<div class=\"caveats\">"),
	       chips = at(s, "<div class=\"chips\">"),
	       capture = at(s, "id=\"capture\""),
	       findings = at(s, "id=\"findings\""),
	       servers = at(s, "id=\"servers\""),
	       charts = at(s, "id=\"charts\""),
	       services = at(s, "id=\"services\"");
	assert_true(verdict < caveats && caveats < chips && chips < capture);
	assert_true(capture < findings && findings < servers);
	assert_true(servers < charts && charts < services);
	assert_true(pa_contains(s, "<li>the capture is 9 seconds long"));
	/* Each finding: one tbody, its cells, then its reason in a row of its
	 * own across the table; the kind badge once per finding. */
	assert_int_equal(count(s, "<tbody class=\"f "), 4);
	assert_int_equal(count(s, "<tr class=\"why\"><td colspan=\"8\">"), 4);
	assert_true(pa_contains(s, "<tbody class=\"f kv\">"));
	assert_true(pa_contains(s, "<tr class=\"why\"><td colspan=\"8\">a peer "
	                           "tried 50 ports"));
	assert_int_equal(count(s, "<span class=\"badge k-violation\">violation"),
	                 1);
	assert_true(pa_contains(s, "1000&#8211;2000<br><span class=\"sub\">50 "
	                           "ports</span>"));
	/* The connection reads initiator -> responder, addresses may wrap. */
	assert_true(pa_contains(s, "<span class=\"addr\">10.0.1.99</span> <span "
	                           "class=\"arrow\">&#8594;&#160;</span><span "
	                           "class=\"addr\">10.0.0.5</span>"));
	assert_true(pa_contains(s, "<span class=\"addr\">10.0.0.5</span> <span "
	                           "class=\"arrow\">&#8594;&#160;</span><span "
	                           "class=\"addr\">10.0.0.6</span>"));
	/* Nothing scrolls sideways; addresses and ids wrap; print rules. */
	assert_null(strstr(s, "overflow-x"));
	assert_null(strstr(s, "overflow:auto"));
	assert_true(pa_contains(s, ".addr,.svc{overflow-wrap:anywhere}"));
	assert_true(pa_contains(s, "@media print{"));
	assert_true(pa_contains(s, "thead{display:table-header-group}"));
	assert_true(pa_contains(s, "tr,tbody.f,"));
	assert_true(pa_contains(s, "{break-inside:avoid}"));
	assert_true(pa_contains(s, "@media print{details::details-content"
	                           "{content-visibility:visible}}"));
	/* The violated status has the violation's colours. */
	assert_true(pa_contains(s, "<span class=\"badge s-violated\">violated"
	                           "</span>"));
	assert_true(pa_contains(s, ".s-violated,.k-violation{color:var(--vio);"
	                           "background:var(--vio-bg)"));
	free(s);

	/* Compliant page. */
	uint32_t nf = x->res.nfindings;
	struct cls_summary keep_sum = x->res.summary;
	x->res.nfindings = 0;
	memset(x->res.summary.kinds, 0, sizeof x->res.summary.kinds);
	cls_decide(&x->res, &x->st);
	assert_int_equal(x->res.summary.verdict, CLS_COMPLIANT);
	s = fx_write(x, &rep_html, "ok.html", 0);
	check_well_formed(s);
	assert_true(pa_contains(s, "class=\"banner ok\""));
	assert_true(pa_contains(s, "<title>portaudit: COMPLIANT with caveats"));
	/* the caveats in the banner, open, before the chips */
	assert_true(at(s, "<div class=\"caveats\"><strong>Caveats</strong><ul>"
	                  "<li>the capture is 9 seconds long") <
	            at(s, "<div class=\"chips\">"));
	assert_true(pa_contains(s, "<p class=\"empty\">None.</p>"));
	free(s);
	x->res.nfindings = nf;
	x->res.summary = keep_sum;

	/* Not audited: never green. */
	x->st.packets = 0;
	x->st.flows = 0; /* nothing read: no packet and no flow */
	cls_decide(&x->res, &x->st);
	assert_int_equal(x->res.summary.verdict, CLS_NOT_AUDITED);
	s = fx_write(x, &rep_html, "na.html", 0);
	check_well_formed(s);
	assert_true(pa_contains(s, "class=\"banner na\""));
	assert_null(strstr(s, "class=\"banner ok\""));
	assert_true(pa_contains(s, "<div class=\"verdict\">NOT AUDITED: "));
	assert_true(pa_contains(s, ".banner.na{background:var(--warn-bg)"));
	free(s);
	x->st.packets = 1234;
	x->res.summary = keep_sum;
	fx_free(x);
}

/* The servers: how each was chosen, its flows by verdict, its findings
 * by kind. */
static void test_html_servers(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char *s = fx_write(x, &rep_html, "servers.html", 0);
	char *sv = slice(s, "id=\"servers\"", "</table>");
	assert_true(pa_contains(sv, "<th>Flows by verdict</th>"
	                            "<th>Findings by kind</th>"));
	assert_true(pa_contains(sv, ">10.0.0.5</td>"));
	assert_true(pa_contains(sv, "inferred: accepts base port 1960"));
	/* 55 + 50 + 1 + 2 flows judged for it */
	assert_true(pa_contains(sv, "data-l=\"Flows judged\">108</td>"));
	assert_true(pa_contains(sv, "k-expected\">55 expected</span>"));
	assert_true(pa_contains(sv, "k-unexpected\">50 unexpected</span>"));
	assert_true(pa_contains(sv, "k-violation\">1 violation</span>"));
	assert_true(pa_contains(sv, "k-blocked\">2 blocked</span>"));
	assert_true(pa_contains(sv, "k-unexpected\">1 unexpected</span>"));
	assert_null(strstr(sv, "no findings"));
	free(sv);
	free(s);

	/* An IPv6 server: its address may break after each colon. */
	struct cls_server *srv = &x->res.servers[0];
	srv->family = 6;
	memset(srv->addr, 0, 16);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:"
	                           "eeee:5", srv->addr), 1);
	srv->len = 128;
	memset(srv->kinds, 0, sizeof srv->kinds);
	s = fx_write(x, &rep_html, "servers6.html", 0);
	check_well_formed(s);
	assert_true(pa_contains(s, "<td class=\"mono addr\">2001:<wbr>db8:<wbr>"
	                           "aaaa:<wbr>bbbb:<wbr>cccc:<wbr>dddd:<wbr>"
	                           "eeee:<wbr>5</td>"));
	sv = slice(s, "id=\"servers\"", "</table>");
	assert_true(pa_contains(sv, "s-observed\">no findings</span>"));
	free(sv);
	free(s);
	fx_free(x);
}

/* Each flow once: the group is one bar (its members none), the flows no
 * catalog service fits are a bar of their own, plurals are right. */
static void test_html_chart_attribution(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	const struct cls_group *g = &x->res.groups[0];
	char *s = fx_write(x, &rep_html, "chart.html", 0);
	check_well_formed(s);
	char *ch = service_chart(s);
	/* 50 flows in the scan finding, which has no service */
	assert_true(pa_contains(ch, "<title>no catalog service: 50 flows, "
	                            "unexpected</title>"));
	char t[256];
	snprintf(t, sizeof t, "<title>%s: 3 flows, observed</title>", g->name);
	assert_true(pa_contains(ch, t));
	assert_true(pa_contains(ch, ">shared-udp-161-outbound <tspan"));
	for (uint32_t m = 0; m < g->nmembers; m++) {
		snprintf(t, sizeof t, ">%s <tspan",
		         x->cat.services[g->members[m]].id);
		assert_null(strstr(ch, t));
	}
	/* the violated service, 1 flow, in the violation's colour */
	assert_true(pa_contains(ch, ": 1 flow, violated</title>"));
	assert_true(pa_contains(ch, "fill=\"#a40e26\""));
	assert_null(strstr(ch, " 1 flows"));
	/* five bars, the most flows first */
	assert_int_equal(count(ch, "<g><title>"), 5);
	assert_true(at(ch, "no catalog service") <
	            at(ch, "shared-udp-161-outbound"));
	assert_null(strstr(ch, "more"));
	free(ch);
	/* The timeline's tooltips count flows in the singular too. */
	assert_true(pa_contains(s, "peer 10.0.0.6, 1 flow: "));
	assert_null(strstr(s, " 1 flows"));
	free(s);
	/* Findings dropped at the cap: the flows no service fits are the
	 * flows judged less those attributed, when that adds up ... */
	x->res.summary.findings_dropped = 5;
	x->res.summary.flows = 70; /* 7 + 2 + 1 + 3 attributed */
	s = fx_write(x, &rep_html, "dropped.html", 0);
	ch = service_chart(s);
	assert_true(pa_contains(ch, "<title>no catalog service: 57 flows, "));
	free(ch);
	free(s);
	/* ... else at least the flows of the findings without a service */
	x->res.summary.flows = 60;
	s = fx_write(x, &rep_html, "dropped2.html", 0);
	ch = service_chart(s);
	assert_true(pa_contains(ch, "<title>no catalog service: at least 50 "
	                            "flows, "));
	assert_true(pa_contains(ch, ">\xe2\x89\xa5" "50</text>"));
	free(ch);
	free(s);
	x->res.summary.findings_dropped = 0;
	/* A finding attributed to the group names the group. */
	x->f[1].group = 1;
	s = fx_write(x, &rep_html, "chart2.html", 0);
	assert_true(pa_contains(s, "<td class=\"mono svc\">shared-udp-161-outbound"
	                           "</td><td class=\"mono nw\">tcp 443"));
	free(s);
	fx_free(x);
}

/* "N more services with fewer flows" only when they have fewer. */
static void test_html_chart_legend(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	struct cls_result *r = &x->res;
	r->ngroups = 0;
	r->nfindings = 0;
	for (uint32_t i = 0; i < x->cat.nservices; i++) {
		r->services[i] = (struct cls_service_stat){ .status =
			CLS_S_NOT_SEEN };
	}
	/* 20 services with 2 flows each: 15 bars, 5 as many */
	for (uint32_t i = 0; i < 20; i++)
		r->services[i] = (struct cls_service_stat){
			.status = CLS_S_OBSERVED, .flows = 2, .bytes = 100 };
	char *s = fx_write(x, &rep_html, "legend1.html", 0);
	char *ch = service_chart(s);
	assert_int_equal(count(ch, "<g><title>"), 15);
	assert_true(pa_contains(ch, "5 more with as many or fewer flows are in "
	                            "the table below."));
	assert_null(strstr(ch, "services with fewer"));
	free(ch);
	free(s);
	/* 40, 39, ... 21 flows: the 5 not shown have fewer */
	for (uint32_t i = 0; i < 20; i++)
		r->services[i].flows = 40 - i;
	s = fx_write(x, &rep_html, "legend2.html", 0);
	ch = service_chart(s);
	assert_true(pa_contains(ch, "5 more services with fewer flows are in "
	                            "the table below."));
	/* the largest first, the 15th shown has 26 */
	assert_true(at(ch, ": 40 flows,") < at(ch, ": 26 flows,"));
	assert_null(strstr(ch, ": 25 flows,"));
	free(ch);
	free(s);
	/* 16: one more, in the singular */
	r->services[16].flows = 0;
	r->services[17].flows = 0;
	r->services[18].flows = 0;
	r->services[19].flows = 0;
	s = fx_write(x, &rep_html, "legend3.html", 0);
	ch = service_chart(s);
	assert_true(pa_contains(ch, "1 more service with fewer flows is in the "
	                            "table below."));
	free(ch);
	free(s);
	fx_free(x);
}

/* Service groups in the services table: the group a row; members whose
 * flows all went to it are listed in it, and in the whole catalog. */
static void test_html_groups(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	const struct cls_group *g = &x->res.groups[0];
	char *s = fx_write(x, &rep_html, "groups.html", 0);
	check_well_formed(s);
	size_t full = at(s, "<summary>Every catalog service (");
	char *rel = slice(s, "id=\"services\"", "<summary>Every catalog service");
	assert_true(pa_contains(rel, "<tr class=\"grp\"><td><span class=\"badge "
	                             "s-observed\">observed</span></td><td><span "
	                             "class=\"mono svc\">shared-udp-161-outbound"));
	char t[256];
	snprintf(t, sizeof t, "<summary>%u member services, each flow counted "
	         "once here</summary>", g->nmembers);
	assert_true(pa_contains(rel, t));
	assert_true(pa_contains(rel, g->name));
	snprintf(t, sizeof t, "; flows that several rows fit equally went to 1 "
	         "service group (%u rows), each flow once.", g->nmembers);
	assert_true(pa_contains(rel, t));
	char list[4096] = "<span class=\"mono svc\">";
	for (uint32_t m = 0; m < g->nmembers; m++) {
		const char *id = x->cat.services[g->members[m]].id;
		snprintf(t, sizeof t, "<td class=\"mono svc\">%s</td>", id);
		assert_null(strstr(rel, t));          /* no row of its own */
		assert_true(strstr(s + full, t) != NULL); /* in the catalog */
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s%s", m ? ", " : "", id);
	}
	assert_true(pa_contains(rel, list));          /* in the group's list */
	assert_true(pa_contains(s + full, "counted once, in the group <span "
	                                  "class=\"mono svc\">"
	                                  "shared-udp-161-outbound</span>"));
	/* the violated service has a row among the relevant ones */
	assert_true(pa_contains(rel, "<span class=\"badge s-violated\">"));
	free(rel);
	free(s);
	fx_free(x);
}

/* 1200 findings: 500 listed, the rest folded in a <details> (printed
 * expanded); the page grows linearly and stays well-formed. */
static void test_html_large(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	enum { N = 1200 };
	struct cls_finding *many = calloc(N, sizeof *many);
	assert_non_null(many);
	for (unsigned i = 0; i < N; i++) {
		many[i] = x->f[i % 4];
		many[i].port = (uint16_t)(10000 + i);
		many[i].port_hi = many[i].port;
		snprintf(many[i].reason, sizeof many[i].reason, "finding <%u>", i);
	}
	x->res.findings = many;
	x->res.nfindings = N;
	char *s = fx_write(x, &rep_html, "large.html", 0);
	keep(s, "large.html");
	check_well_formed(s);
	assert_true(pa_contains(s, "<details class=\"more\"><summary>700 more "
	                           "findings</summary>"));
	assert_true(pa_contains(s, "finding &lt;1199&gt;"));
	assert_int_equal(count(s, "<tr class=\"why\"><td colspan=\"8\">finding "
	                          "&lt;"), N);
	/* both tables have their header, to repeat on every printed page */
	assert_int_equal(count(s, "<table class=\"fl\">\n<thead>"), 2);
	assert_true(strlen(s) < 2u * 1024 * 1024);
	free(s);
	free(many);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_servers),
		cmocka_unit_test(test_html_chart_attribution),
		cmocka_unit_test(test_html_chart_legend),
		cmocka_unit_test(test_html_groups),
		cmocka_unit_test(test_html_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
