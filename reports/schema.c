/*
 * schema.c -- a JSON report checked against docs/report.schema.json.
 *
 * Design. merge and diff read reports that were archived, copied and
 * perhaps edited; a value of the wrong type (a count as a string, a
 * negative count, a time that is not one) read as 0 would give a merged
 * report that contradicts itself without a word. So rep_load_report checks
 * every value of a report against the format's own schema, which the
 * build embeds (gen/report_schema.c, by catalog/embed.sh), and refuses one
 * that does not match, naming the first value that does not and why; a
 * field the report lacks (written before the field was added) is read as
 * absent, as before (rep_schema_check_values). The tests check every
 * report the writers produce whole (rep_schema_check).
 *
 * Only the part of JSON Schema the schema uses is read: "$ref" (to
 * "#/$defs/NAME"), "type" (a name or a list), "enum", "anyOf", "minimum",
 * "maximum", "minItems", "pattern" (a POSIX extended regular expression,
 * searched as JSON Schema does; compiled once each), "required",
 * "properties", "additionalProperties" (a schema) and "items". Other
 * keywords are ignored. The depth follows the document's, which jansson's
 * parser bounds.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "reports/rep_int.h"

extern const unsigned char rep_schema_json[];
extern const size_t rep_schema_json_len;

const json_t *rep_report_schema(void)
{
	static json_t *schema;
	static int tried;
	if (!tried) {
		tried = 1;
		json_error_t je;
		schema = json_loadb((const char *)rep_schema_json,
		                    rep_schema_json_len, 0, &je);
	}
	return schema;
}

static const char *type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

static int type_ok(const json_t *t, const json_t *v)
{
	if (json_is_string(t))
		return strcmp(json_string_value(t), type_of(v)) == 0 ||
		       (strcmp(json_string_value(t), "number") == 0 &&
		        json_is_integer(v));
	size_t i;
	const json_t *e;
	json_array_foreach(t, i, e)
		if (type_ok(e, v))
			return 1;
	return 0;
}

/* Append ": what" to where; -1. */
static int fail(char *where, size_t wlen, const char *what)
{
	size_t n = strnlen(where, wlen);
	if (n + 1 < wlen)
		snprintf(where + n, wlen - n, ": %s", what);
	return -1;
}

static void add_key(char *where, size_t wlen, const char *k)
{
	size_t n = strnlen(where, wlen);
	if (n + 1 < wlen)
		snprintf(where + n, wlen - n, ".%s", k);
}

static void add_index(char *where, size_t wlen, size_t i)
{
	size_t n = strnlen(where, wlen);
	if (n + 1 < wlen)
		snprintf(where + n, wlen - n, "[%zu]", i);
}

/* Does the pattern occur in s? -1: the pattern does not compile. */
static int pattern_ok(const char *pat, const char *s)
{
	/* The pattern is copied: a caller's schema may be freed (the
	 * tests load docs/report.schema.json for each check). */
	static struct { char pat[128]; regex_t re; } cache[8];
	static unsigned n;
	unsigned i = 0;
	while (i < n && strcmp(cache[i].pat, pat) != 0)
		i++;
	regex_t tmp, *re = &tmp;
	if (i < n) {
		re = &cache[i].re;
	} else {
		if (n < sizeof cache / sizeof cache[0] &&
		    strlen(pat) < sizeof cache[n].pat) {
			re = &cache[n].re;
			snprintf(cache[n].pat, sizeof cache[n].pat, "%s", pat);
		}
		if (regcomp(re, pat, REG_EXTENDED | REG_NOSUB) != 0)
			return -1;
		if (re != &tmp)
			n++;
	}
	int rc = regexec(re, s, 0, NULL, 0) == 0;
	if (re == &tmp)
		regfree(&tmp);
	return rc;
}

/* A schema with its "$ref" followed (once: the schema's $defs do not
 * chain). */
static const json_t *resolve(const json_t *root, const json_t *schema)
{
	const char *r = json_string_value(json_object_get(schema, "$ref"));
	if (r && strncmp(r, "#/$defs/", 8) == 0)
		return json_object_get(json_object_get(root, "$defs"), r + 8);
	return schema;
}

static int check(const json_t *root, const json_t *schema, const json_t *v,
                 char *where, size_t wlen, bool req)
{
	const json_t *ref = json_object_get(schema, "$ref");
	if (ref) {
		const char *r = json_string_value(ref);
		const json_t *d = r && strncmp(r, "#/$defs/", 8) == 0 ?
		                  json_object_get(json_object_get(root, "$defs"),
		                                  r + 8) : NULL;
		if (!d)
			return fail(where, wlen, "the schema's $ref is not a "
			            "definition");
		return check(root, d, v, where, wlen, req);
	}
	const json_t *t = json_object_get(schema, "type");
	if (t && !type_ok(t, v)) {
		char m[96];
		snprintf(m, sizeof m, "%s where the format has %s", type_of(v),
		         json_is_string(t) ? json_string_value(t) :
		         "another type");
		return fail(where, wlen, m);
	}
	const json_t *en = json_object_get(schema, "enum");
	if (en) {
		size_t i;
		const json_t *e;
		int found = 0;
		json_array_foreach(en, i, e)
			found |= json_equal(e, v);
		if (!found) {
			char m[128];
			snprintf(m, sizeof m, "'%.60s' is not one of the values "
			         "the format allows", json_is_string(v) ?
			         json_string_value(v) : type_of(v));
			return fail(where, wlen, m);
		}
	}
	const json_t *any = json_object_get(schema, "anyOf");
	if (any) {
		size_t i;
		const json_t *e;
		int ok = 0;
		char why[256] = ""; /* of a form of the value's own type */
		json_array_foreach(any, i, e) {
			char w2[256] = "";
			if (check(root, e, v, w2, sizeof w2, req) == 0)
				ok = 1;
			const json_t *r = resolve(root, e);
			const json_t *bt = json_object_get(r, "type");
			if (!why[0] && bt && type_ok(bt, v))
				snprintf(why, sizeof why, "%s", w2);
		}
		if (!ok && why[0]) { /* its words, without their ": " */
			size_t n = strnlen(where, wlen);
			snprintf(where + n, wlen - n, "%s", why);
			return -1;
		}
		if (!ok)
			return fail(where, wlen, "matches none of the forms the "
			            "format allows");
	}
	if (json_is_integer(v)) {
		const json_t *mn = json_object_get(schema, "minimum");
		const json_t *mx = json_object_get(schema, "maximum");
		if (mn && json_integer_value(v) < json_integer_value(mn))
			return fail(where, wlen, "below the minimum");
		if (mx && json_integer_value(v) > json_integer_value(mx))
			return fail(where, wlen, "above the maximum");
	}
	const json_t *pat = json_object_get(schema, "pattern");
	if (json_is_string(v) && json_is_string(pat)) {
		int m = pattern_ok(json_string_value(pat), json_string_value(v));
		if (m < 0)
			return fail(where, wlen, "the schema's pattern does not "
			            "compile");
		if (!m) {
			char msg[176];
			snprintf(msg, sizeof msg, "'%.60s' is not of the form %.80s",
			         json_string_value(v), json_string_value(pat));
			return fail(where, wlen, msg);
		}
	}
	if (json_is_object(v)) {
		const json_t *need = json_object_get(schema, "required");
		size_t i;
		const json_t *e;
		json_array_foreach(need, i, e)
			if (req && !json_object_get(v, json_string_value(e))) {
				add_key(where, wlen, json_string_value(e));
				return fail(where, wlen, "required, absent");
			}
		const json_t *props = json_object_get(schema, "properties");
		const json_t *addl = json_object_get(schema,
		                                     "additionalProperties");
		const char *k;
		const json_t *val;
		json_object_foreach((json_t *)v, k, val) {
			const json_t *ps = json_object_get(props, k);
			if (!ps)
				ps = json_is_object(addl) ? addl : NULL;
			if (!ps)
				continue;
			size_t n = strnlen(where, wlen);
			add_key(where, wlen, k);
			if (check(root, ps, val, where, wlen, req) != 0)
				return -1;
			where[n] = '\0';
		}
	}
	if (json_is_array(v)) {
		const json_t *mi = json_object_get(schema, "minItems");
		if (mi && (json_int_t)json_array_size(v) < json_integer_value(mi))
			return fail(where, wlen, "fewer items than the format "
			            "needs");
		const json_t *items = json_object_get(schema, "items");
		size_t i;
		const json_t *e;
		if (items)
			json_array_foreach(v, i, e) {
				size_t n = strnlen(where, wlen);
				add_index(where, wlen, i);
				if (check(root, items, e, where, wlen, req) != 0)
					return -1;
				where[n] = '\0';
			}
	}
	return 0;
}

int rep_schema_check(const json_t *root, const json_t *schema,
                     const json_t *v, char *where, size_t wlen)
{
	return check(root, schema, v, where, wlen, true);
}

int rep_schema_check_values(const json_t *root, const json_t *schema,
                            const json_t *v, char *where, size_t wlen)
{
	return check(root, schema, v, where, wlen, false);
}
