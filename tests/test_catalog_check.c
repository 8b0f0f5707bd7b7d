/*
 * test_catalog_check.c -- the collecting loaders behind `catalog check`
 * (cat_load_buffer_all, cat_profile_load_buffer_all): they agree with the
 * normal loaders on every saved fuzz input (same verdict, and the first
 * error found is the normal loader's one error), they report independent
 * mistakes and no echoes of them, they read past tabs with the columns of
 * the file as written, and they stay bounded.
 */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

static struct catalog builtin;

static int setup(void **state)
{
	(void)state;
	struct cat_error err;
	if (cat_load_file(&builtin, NULL, &err) != 0) {
		fprintf(stderr, "built-in catalog: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cat_free(&builtin);
	return 0;
}

/* Both loaders on one input: same verdict, same first error. Returns the
 * number of errors the collecting one found. */
static unsigned both(bool profile, const char *name, const char *yaml,
                     size_t len, struct cat_errors *errs)
{
	struct cat_error err;
	int rc1, rc2;
	memset(errs, 0, sizeof *errs);
	if (profile) {
		struct cat_profile p1, p2;
		rc1 = cat_profile_load_buffer(&p1, &builtin, name,
		                              (const unsigned char *)yaml, len, &err);
		rc2 = cat_profile_load_buffer_all(&p2, &builtin, name,
		                                  (const unsigned char *)yaml, len, errs);
		if (rc1 == 0)
			cat_profile_free(&p1);
		if (rc2 == 0)
			cat_profile_free(&p2);
	} else {
		struct catalog c1, c2;
		rc1 = cat_load_buffer(&c1, name, (const unsigned char *)yaml, len,
		                      &err);
		rc2 = cat_load_buffer_all(&c2, name, (const unsigned char *)yaml, len,
		                          errs);
		if (rc1 == 0)
			cat_free(&c1);
		if (rc2 == 0)
			cat_free(&c2);
	}
	if (rc1 != rc2)
		fail_msg("%s: normal load %d, collecting load %d (%s)", name, rc1,
		         rc2, rc1 ? err.msg : errs->e[0].msg);
	if (rc1 == 0) {
		assert_int_equal(errs->n, 0);
		return 0;
	}
	assert_true(errs->n > 0);
	if (strcmp(errs->e[0].msg, err.msg) != 0)
		fail_msg("%s: first errors differ:\n  normal:     %s\n  collecting: %s",
		         name, err.msg, errs->e[0].msg);
	return errs->n;
}

static void corpus(bool profile, const char *dir)
{
	DIR *d = opendir(pa_src(dir));
	assert_non_null(d);
	struct dirent *de;
	unsigned files = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", pa_src(dir), de->d_name);
		size_t len;
		char *text = pa_read_file(path, &len);
		assert_non_null(text);
		struct cat_errors errs;
		both(profile, de->d_name, text, len, &errs);
		free(text);
		files++;
	}
	closedir(d);
	assert_true(files >= 10);
}

static void test_corpus(void **state)
{
	(void)state;
	corpus(false, "tests/fuzz/corpus/catalog");
	corpus(true, "tests/fuzz/corpus/profile");
}

/* The message of error i, or "" (errors beyond the kept ones). */
static const char *msg(const struct cat_errors *e, unsigned i)
{
	return i < e->n && i < CAT_MAX_ERRORS ? e->e[i].msg : "";
}

#define HEAD \
	"catalog: {name: t, max_offset: 6}\n" \
	"conditions: [{id: ldap}]\n" \
	"products: [{id: p, name: P}]\n" \
	"services:\n"

static void test_no_echoes(void **state)
{
	(void)state;
	struct cat_errors e;
	static const char t1[] = HEAD
		"  - {id: a, product: p, protocl: tcp, ports: [22], direction: inbound, purpose: x}\n";
	/* The misspelt key, not also "missing required key 'protocol'". */
	assert_int_equal(both(false, "t.yaml", t1, sizeof t1 - 1, &e), 1);
	assert_true(pa_contains(msg(&e, 0), "t.yaml:5:25: unknown key 'protocl'"));

	/* A product whose id is broken, a list that is not a list: the
	 * services that name them say nothing more. */
	static const char t2[] =
		"catalog: {name: t}\nconditions: ldap\nproducts: [{id: Bad, name: B}]\n"
		"services:\n"
		"  - {id: a, product: Bad, protocol: tcp, ports: [22], direction: inbound, "
		"purpose: x, conditions: [ldap]}\n"
		"  - {id: b, product: q, protocol: tcp, ports: [23], direction: inbound, purpose: y}\n";
	assert_int_equal(both(false, "t.yaml", t2, sizeof t2 - 1, &e), 3);
	assert_true(pa_contains(msg(&e, 0), "t.yaml:2:13: wrong type: 'conditions' must be a list"));
	assert_true(pa_contains(msg(&e, 1), "t.yaml:3:17: 'Bad' is not a valid product id"));
	assert_true(pa_contains(msg(&e, 2), "t.yaml:6:22: unknown product 'q'"));

	/* A broken max_offset: base+N is not judged against it; broken ports:
	 * the dynamic range's control port is not judged against them. */
	static const char t3[] =
		"catalog: {name: t, max_offset: many}\nconditions: []\nproducts: [{id: p, name: P}]\n"
		"services:\n"
		"  - {id: a, product: p, protocol: tcp, ports: [base+9], direction: inbound, purpose: x}\n"
		"  - {id: b, product: p, protocol: tcp, ports: [ssh], dynamic: 1000-2000, "
		"direction: inbound, purpose: y}\n";
	assert_int_equal(both(false, "t.yaml", t3, sizeof t3 - 1, &e), 2);
	assert_true(pa_contains(msg(&e, 0), "t.yaml:1:32: 'max_offset' must be a port number"));
	assert_true(pa_contains(msg(&e, 1), "t.yaml:6:48: 'ssh' is not a port"));

	/* Two mistakes in one service are two errors; a good service between
	 * broken ones is loaded and its id counts for duplicates. */
	static const char t4[] = HEAD
		"  - {id: a, product: p, protocol: tcp, ports: [99999], direction: in, purpose: x}\n"
		"  - {id: b, product: p, protocol: tcp, ports: [22], direction: inbound, purpose: y}\n"
		"  - {id: b, product: p, protocol: udp, ports: [22], direction: inbound, purpose: z}\n";
	assert_int_equal(both(false, "t.yaml", t4, sizeof t4 - 1, &e), 3);
	assert_true(pa_contains(msg(&e, 0), "t.yaml:5:67: unknown direction 'in'"));
	assert_true(pa_contains(msg(&e, 1), "t.yaml:5:48: port 99999 is outside 0-65535"));
	assert_true(pa_contains(msg(&e, 2), "t.yaml:7:10: duplicate service id 'b' (first at line 6)"));

	/* A profile: an override of an unknown service still has its ports
	 * checked; one of a listed-twice product is not "overridden twice". */
	static const char p1[] =
		"overrides:\n"
		"  - {service: nope, ports: [70000]}\n"
		"  - {service: cucm-wmi, dynamic: 50000-50100}\n"
		"  - {service: cucm-wmi, dynamic: 40000-40100}\n"
		"products: [nope, nope]\n";
	assert_int_equal(both(true, "p.yaml", p1, sizeof p1 - 1, &e), 5);
	assert_true(pa_contains(msg(&e, 0), "p.yaml:5:12: unknown product 'nope'"));
	assert_true(pa_contains(msg(&e, 1), "p.yaml:5:18: unknown product 'nope'"));
	assert_true(pa_contains(msg(&e, 2), "p.yaml:2:15: unknown service 'nope'"));
	assert_true(pa_contains(msg(&e, 3), "p.yaml:2:29: port 70000 is outside 0-65535"));
	assert_true(pa_contains(msg(&e, 4), "p.yaml:4:15: service 'cucm-wmi' is overridden twice"));
}

/* Past a tab: the line is re-indented, later errors keep the columns of
 * the file as written, and the tree reads as the author meant. */
static void test_tabs(void **state)
{
	(void)state;
	struct cat_errors e;
	static const char t1[] = HEAD
		"  - id: a\n"
		"\tproduct: nope\n"             /* 6: tab, then an unknown product */
		"    protocol: tcp\n"
		"    ports: [22]\n"
		"    direction: inbound\n"
		"    purpose: x\n"
		"  - id: b\n"
		"    product: p\n"
		"  \t  protocol: udp\n"         /* 13 */
		"    ports: [99999]\n"
		"    direction: inbound\n"
		"    purpose: >\n"
		"      a folded\n"
		"\tpurpose\n";                  /* 18: a tab in a block scalar */
	assert_int_equal(both(false, "t.yaml", t1, sizeof t1 - 1, &e), 5);
	assert_true(pa_contains(msg(&e, 0), "t.yaml:6:1: a tab character: YAML indents with spaces, not tabs"));
	assert_true(pa_contains(msg(&e, 1), "t.yaml:13:3: a tab character"));
	assert_true(pa_contains(msg(&e, 2), "t.yaml:18:1: a tab character"));
	assert_true(pa_contains(msg(&e, 3), "t.yaml:6:11: unknown product 'nope'"));
	assert_true(pa_contains(msg(&e, 4), "t.yaml:14:13: port 99999 is outside 0-65535"));

	/* A tab after `key:` alone: the child, not a sibling. */
	static const char t2[] = "catalog:\n\tname: t\n\tmax_offset: x\nconditions: []\n"
		"products: []\nservices: []\n";
	assert_int_equal(both(false, "t.yaml", t2, sizeof t2 - 1, &e), 3);
	assert_true(pa_contains(msg(&e, 0), "t.yaml:2:1: a tab character"));
	assert_true(pa_contains(msg(&e, 1), "t.yaml:3:1: a tab character"));
	assert_true(pa_contains(msg(&e, 2), "t.yaml:3:14: 'max_offset' must be a port number"));

	/* A tab only is no error where YAML allows it (after a key). */
	static const char p1[] = "site:\tx\nservers:\n  - name: a\n    addresses:\t[10.0.0.5]\n";
	assert_int_equal(both(true, "p.yaml", p1, sizeof p1 - 1, &e), 0);

	/* Other YAML errors end the reading there, after the tabs before. */
	static const char p2[] = "site: x\n\t# note\nservers: [\n";
	assert_int_equal(both(true, "p.yaml", p2, sizeof p2 - 1, &e), 2);
	assert_true(pa_contains(msg(&e, 0), "p.yaml:2:1: a tab character"));
	assert_true(pa_contains(msg(&e, 1), "p.yaml:4:1: invalid YAML"));
}

/* Bounded: errors above CAT_MAX_ERRORS are counted, not kept; tab lines
 * beyond YT_MAX_REPAIRS (64) stop the reading. */
static void test_limits(void **state)
{
	(void)state;
	struct cat_errors e;
	static char big[1 << 16];
	size_t off = (size_t)snprintf(big, sizeof big, "servers:\n");
	for (int i = 0; i < 30; i++)
		off += (size_t)snprintf(big + off, sizeof big - off,
		                        "  - {name: s%d, addresses: [10.0.0.%d]}\n", i,
		                        300 + i);
	assert_int_equal(both(true, "p.yaml", big, off, &e), 30);
	assert_true(pa_contains(e.e[CAT_MAX_ERRORS - 1].msg, "p.yaml:21:"));

	off = (size_t)snprintf(big, sizeof big, "servers:\n");
	for (int i = 0; i < 100; i++)
		off += (size_t)snprintf(big + off, sizeof big - off,
		                        "  - name: s%d\n\taddresses: [10.0.0.1]\n", i);
	unsigned n = both(true, "p.yaml", big, off, &e);
	assert_int_equal(n, 65); /* 64 read past, the 65th stops */
	assert_true(pa_contains(msg(&e, 0), "p.yaml:3:1: a tab character"));
	assert_int_equal(e.tab_stop, 131); /* and says where */

	/* A tab read past leaves no mark; a big file gets fewer tries: the
	 * work is bounded by YT_REPAIR_BUDGET, not by the number of tabs. */
	static const char p1[] = "servers:\n  - name: a\n\taddresses: [10.0.0.5]\n";
	assert_int_equal(both(true, "p.yaml", p1, sizeof p1 - 1, &e), 1);
	assert_int_equal(e.tab_stop, 0);
	size_t cap = 1000000; /* below YT_REPAIR_INPUT (1 MiB) */
	char *huge = malloc(cap);
	assert_non_null(huge);
	off = (size_t)snprintf(huge, cap, "servers:\n");
	for (int i = 0; off + 100 < cap - 100000; i++)
		off += (size_t)snprintf(huge + off, cap - off, "  - name: s%d\n%saddresses: "
		                        "[10.0.0.1]\n", i, i % 500 == 0 ? "\t" : "    ");
	n = both(true, "p.yaml", huge, off, &e);
	assert_true(n >= 2 && n < 40);
	assert_true(e.tab_stop > 0);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_no_echoes),
		cmocka_unit_test(test_tabs),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
