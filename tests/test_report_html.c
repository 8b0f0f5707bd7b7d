/* test_report_html.c -- the HTML report: well-formed, escaped,
 * self-contained, usable when large. (Rendering with chromium is in
 * it_report.c, on the real binary's output.) */
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
	assert_true(pa_contains(s, "id=\"capture\""));
	assert_true(pa_contains(s, "id=\"servers\""));
	assert_true(pa_contains(s, "id=\"services\""));
	assert_true(pa_contains(s, "id=\"findings\""));
	assert_true(pa_contains(s, "aria-label=\"flows per service\""));
	assert_true(pa_contains(s, "aria-label=\"findings over the capture"));
	assert_true(pa_contains(s, "@media print"));
	assert_int_equal(count(s, "<span class=\"badge k-violation\">violation"),
	                 1);
	assert_true(pa_contains(s, "1000&#8211;2000<br><span class=\"sub\">50 "
	                           "ports</span>"));
	/* The connection reads initiator -> responder. */
	assert_true(pa_contains(s, "10.0.1.99<span class=\"arrow\">&#8594;"
	                           "</span>10.0.0.5"));
	assert_true(pa_contains(s, "10.0.0.5<span class=\"arrow\">&#8594;"
	                           "</span>10.0.0.6"));
	free(s);

	/* Compliant page. */
	uint32_t nf = x->res.nfindings;
	x->res.nfindings = 0;
	x->res.summary.compliant = true;
	s = fx_write(x, &rep_html, "ok.html", 0);
	check_well_formed(s);
	assert_true(pa_contains(s, "class=\"banner ok\""));
	assert_true(pa_contains(s, "<title>portaudit: COMPLIANT"));
	free(s);
	x->res.nfindings = nf;
	x->res.summary.compliant = false;
	fx_free(x);
}

/* 1200 findings: 500 listed, the rest folded in a <details>; the page
 * grows linearly and stays well-formed. */
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
	assert_true(pa_contains(s, "<details><summary>700 more findings"));
	assert_true(pa_contains(s, "finding &lt;1199&gt;"));
	assert_int_equal(count(s, "<td class=\"reason\">finding &lt;"), N);
	assert_true(strlen(s) < 2u * 1024 * 1024);
	free(s);
	free(many);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
