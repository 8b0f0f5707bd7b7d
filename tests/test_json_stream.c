/*
 * test_json_stream.c -- the --json writer streams the report object by
 * object (reports/json.c); its file must be byte for byte what jansson's
 * json_dumpf(JSON_INDENT(2)) makes of the whole tree (rep_report_json),
 * and valid against docs/report.schema.json.
 *
 * The report fixture (test_report_fixture.h), then the same with strings
 * holding every byte jansson escapes or keeps, UTF-8 and DEL, empty
 * arrays, a command line longer than the writer's buffer, and thousands
 * of findings and servers.
 */
#include "test_report_fixture.h"

/* The stream written by rep_json, and the tree dumped by jansson. */
static void same_as_tree(struct fx *x, const char *name)
{
	char *s = fx_write(x, &rep_json, name, 0);
	json_t *t = rep_report_json(&x->in);
	assert_non_null(t);
	char *d = json_dumps(t, JSON_INDENT(2));
	assert_non_null(d);
	size_t n = strlen(d);
	assert_int_equal(strlen(s), n + 1);
	assert_memory_equal(s, d, n);
	assert_int_equal(s[n], '\n');
	json_error_t e;
	json_t *back = json_loads(s, 0, &e);
	if (!back)
		fail_msg("%s: %s at line %d", name, e.text, e.line);
	assert_true(json_equal(back, t));
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	char where[256] = "";
	if (sch_check(schema, schema, back, where, sizeof where) != 0)
		fail_msg("%s: not valid against the schema: %s", name, where);
	json_decref(schema);
	json_decref(back);
	json_decref(t);
	free(d);
	free(s);
}

static void test_fixture(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	same_as_tree(x, "fixture.json");
	fx_free(x);
}

/* Every byte from 1 to 127, UTF-8 of two, three and four bytes: jansson
 * escapes " \ and the bytes below 0x20 (\b \f \n \r \t by name, the others
 * as \u00XX), and nothing else. */
static void test_escaping(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	char all[128 + 16];
	size_t k = 0;
	for (unsigned c = 1; c < 128; c++)
		all[k++] = (char)c;
	memcpy(all + k, "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80", 9);
	all[k + 9] = 0;
	snprintf(x->f[0].reason, sizeof x->f[0].reason, "%s", all);
	snprintf(x->res.services[fx_service(&x->cat, 2)].caveat,
	         sizeof x->res.services[0].caveat, "tab\there \x7f\x1f end");
	snprintf(x->res.servers[0].name, sizeof x->res.servers[0].name,
	         "m\xc3\xb6nitor \"one\"");
	snprintf(x->res.servers[0].how, sizeof x->res.servers[0].how,
	         "profile /tmp/\xff\xfe.yaml \xc3\xa9");
	snprintf(x->res.caveats[1], sizeof x->res.caveats[1], "back\\slash/");
	x->res.ncaveats = 2;
	same_as_tree(x, "escaping.json");
	char *s = fx_write(x, &rep_json, "escaping2.json", 0);
	assert_non_null(strstr(s, "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006"
	                          "\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E"));
	assert_non_null(strstr(s, "\\u001F !\\\"#$%&'()*+,-./0"));
	assert_non_null(strstr(s, "[\\\\]^_`a"));
	assert_non_null(strstr(s, "|}~\x7f\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\""));
	/* Not UTF-8: every byte past ASCII becomes '?', as rep_jstr does. */
	assert_non_null(strstr(s, "\"how\": \"profile /tmp/??.yaml ??\""));
	assert_non_null(strstr(s, "\"name\": \"m\xc3\xb6nitor \\\"one\\\"\""));
	free(s);
	fx_free(x);
}

/* No finding, no group, no caveat, no server: "[]" each. */
static void test_empty(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	x->res.nfindings = 0;
	x->res.ngroups = 0;
	x->res.ncaveats = 0;
	x->res.nservers = 0;
	for (uint32_t i = 0; i < x->cat.nservices; i++)
		x->res.services[i].group = 0;
	same_as_tree(x, "empty.json");
	char *s = fx_write(x, &rep_json, "empty2.json", 0);
	assert_non_null(strstr(s, "\n  \"servers\": [],\n"));
	assert_non_null(strstr(s, "\n  \"findings\": [],\n"));
	assert_non_null(strstr(s, "\n  \"caveats\": []\n}\n"));
	free(s);
	fx_free(x);
}

/* Many findings and servers, and a command line longer than the writer's
 * 64 KiB buffer: still the tree's bytes. */
static void test_large(void **state)
{
	(void)state;
	struct fx *x = fx_new();
	enum { NF = 5000, NS = 3000, CMD = 200000 };
	struct cls_finding *f = calloc(NF, sizeof *f);
	assert_non_null(f);
	for (uint32_t i = 0; i < NF; i++) {
		f[i] = x->f[i % 4];
		f[i].port = (uint16_t)(1000 + i);
		f[i].flows = i + 1;
		f[i].nflow_ids = (uint8_t)(i % (CLS_FLOW_IDS + 1));
		for (unsigned k = 0; k < f[i].nflow_ids; k++)
			f[i].flow_ids[k] = (uint64_t)i * 100 + k;
	}
	x->res.findings = f;
	x->res.nfindings = NF;
	for (uint32_t i = 1; i < NS; i++) {
		struct cls_server *s = cls_server_add(&x->res);
		assert_non_null(s);
		s->family = i % 2 ? 4 : 6;
		s->addr[0] = s->family == 4 ? 10 : 0x20;
		s->addr[2] = (uint8_t)(i >> 8);
		s->addr[3] = (uint8_t)i;
		s->len = i % 3 ? (s->family == 4 ? 32 : 128) : 24;
		s->inferred = i % 2;
		s->by[CLS_V_EXPECTED] = i;
		snprintf(s->how, sizeof s->how, "accepted TCP 1960 from 10.9.%u.%u",
		         i >> 8, i & 255);
	}
	char *cmd = malloc(CMD + 1);
	assert_non_null(cmd);
	for (size_t i = 0; i < CMD; i++)
		cmd[i] = "portaudit \"-r\"\\x\t"[i % 17];
	cmd[CMD] = 0;
	x->in.command_line = cmd;
	same_as_tree(x, "large.json");
	/* The servers written straight hold what was counted. */
	json_t *t = rep_report_json(&x->in);
	json_t *sv = json_object_get(t, "servers");
	assert_int_equal(json_array_size(sv), NS);
	json_t *s7 = json_array_get(sv, 7);
	assert_string_equal(json_string_value(json_object_get(s7, "address")),
	                    "10.0.0.7");
	assert_true(json_is_true(json_object_get(s7, "inferred")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s7,
	                 "flows_by_verdict"), "expected")), 7);
	json_t *s6 = json_array_get(sv, 6);
	assert_string_equal(json_string_value(json_object_get(s6, "address")),
	                    "2000:6::/24");
	assert_true(json_is_false(json_object_get(s6, "inferred")));
	assert_true(json_is_null(json_object_get(s6, "name")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	                 json_array_get(sv, 0), "findings_by_kind"),
	                 "violation")), 1);
	json_decref(t);
	free(cmd);
	free(f);
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
