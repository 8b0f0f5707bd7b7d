/*
 * test_catalog_rows.c -- the built-in Prognosis catalog, row by row against
 * the vendor document.
 *
 * Design. The catalog must hold one service per row of every table of
 * shared/seed/prognosis-port-requirements.txt. The expected number of rows
 * per table is written below by hand from the document (not computed from
 * the YAML), so that a dropped or doubled row fails here. Then come the
 * rules that hold for every service (unique ids, a one-line purpose,
 * reserved means protocol none, dynamic ranges follow a control port that
 * is one of the ports) and exact spot checks of the rows whose reading is
 * not obvious (alternatives, ranges, truncated "135 and" cells, directions
 * the document gets wrong). Values are checked as loaded (raw_lo/raw_hi,
 * base_rel); the last test applies the catalog without a profile, which
 * must enable every service and resolve the base offsets.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

static struct catalog cat;

/* Rows per table, counted by hand in the vendor document. */
static const struct {
	const char *id;
	const char *name; /* the table's title */
	unsigned rows;
} tables[] = {
	{ "base", "Base Ports", 7 },
	{ "common", "Common Ports", 13 },
	{ "audiocodes-sbc", "AudioCodes SBC", 4 },
	{ "avaya-aes", "Avaya Aura Application Enablement Services", 1 },
	{ "avaya-cm", "Avaya Aura Communication Manager", 6 },
	{ "avaya-aacc", "Avaya Aura Contact Center", 4 },
	{ "avaya-ep", "Avaya Experience Portal", 3 },
	{ "avaya-sm", "Avaya Aura System and Session Manager", 3 },
	{ "avaya-ipo", "Avaya IP Office", 2 },
	{ "avaya-mm", "Avaya Modular Messaging", 2 },
	{ "avaya-sbce", "Avaya Session Border Controller for Enterprise", 1 },
	/* 3 Common + 2 Verint + 2 NICE NIM/Engage + 2 NICE NTR */
	{ "cra", "Call Recording Assurance", 9 },
	/* 5671 twice, with two different purposes: two services */
	{ "media-integrity", "Media Integrity", 9 },
	{ "cisco-cer", "Cisco Emergency Responder", 2 },
	{ "cisco-expressway", "Cisco Expressway", 2 },
	{ "cisco-cms", "Cisco Meeting Server", 3 },
	{ "cisco-tms", "Cisco TelePresence Management Suite", 3 },
	{ "cisco-cucm", "Cisco Unified Communications Manager", 5 },
	{ "cisco-ucs-b", "Cisco UCS B-Series", 1 },
	{ "cisco-ucs-c", "Cisco UCS C-Series", 1 },
	{ "cisco-ucce", "Cisco Unified Contact Center Enterprise", 3 },
	{ "cisco-uccx", "Cisco Unified Contact Center Express", 3 },
	{ "cisco-cup", "Cisco Unified Presence", 3 },
	{ "cisco-cube", "Cisco Unified Border Element", 3 },
	{ "cisco-cusp", "Cisco Unified SIP Proxy", 3 },
	{ "cisco-unity", "Cisco Unity Connection", 3 },
	{ "cisco-cvp", "Cisco Voice Portal (CVP) and Cisco Voice XML Gateways", 1 },
	{ "ms-skype", "Microsoft Skype for Business", 10 },
	{ "ms-teams", "Microsoft Teams", 1 },
	{ "oracle-sbc", "Oracle SBC", 2 },
	{ "ribbon-sbc", "Ribbon SBC", 2 },
};
#define NTABLES (sizeof tables / sizeof tables[0])
#define TOTAL_ROWS 115

/* Services that are one-way by design: syslog, SNMP traps, RTCP, CDR push,
 * the Auto-Discovery multicast. No other service may be one-way. */
static const char *const oneway_ids[] = {
	"base-autodiscovery", "common-syslog", "audiocodes-syslog",
	"audiocodes-rtcp", "cm-rtcp", "cm-cdr", "aacc-snmp-trap",
	"ep-snmp-trap", "sm-rtcp", "ipo-rtcp", "cra-verint-snmp-trap",
	"cms-cdr", "ucce-syslog", "uccx-syslog", "cusp-snmp-trap",
};

/* Services where the document is broken or ambiguous: each must say in
 * its note which reading was chosen. */
static const char *const noted_ids[] = {
	"base-promgr", "common-https", "cm-cdr", "cm-wmi", "aacc-rtd",
	"aacc-wmi", "aacc-sql", "ep-web", "mm-wmi", "cra-wmi",
	"mi-verint-auth", "mi-verint-content", "mi-nice-bsf",
	"mi-rabbitmq-tls", "mi-cra-rabbitmq-tls", "tms-wmi", "tms-eventlog",
	"cucm-wmi", "cup-soap", "skype-wmi", "skype-eventlog", "skype-amqps",
	"skype-winrm", "teams-cloud",
};

static int setup(void **state)
{
	(void)state;
	struct cat_error err;
	if (cat_load_file(&cat, NULL, &err) != 0) {
		fprintf(stderr, "cannot load the built-in catalog: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cat_free(&cat);
	return 0;
}

static const struct cat_service *svc(const char *id)
{
	for (uint32_t i = 0; i < cat.nservices; i++)
		if (strcmp(cat.services[i].id, id) == 0)
			return &cat.services[i];
	fprintf(stderr, "no service '%s' in the catalog\n", id);
	fail();
	return NULL;
}

static uint32_t cond_bit(const char *id)
{
	for (uint32_t i = 0; i < cat.ncond; i++)
		if (strcmp(cat.cond[i].id, id) == 0)
			return UINT32_C(1) << i;
	fprintf(stderr, "no condition '%s' in the catalog\n", id);
	fail();
	return 0;
}

static bool in_list(const char *id, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], id) == 0)
			return true;
	return false;
}

/* Requirement `r` of `s` has exactly the absolute alternatives lo[i]..hi[i]. */
static void assert_req(const struct cat_service *s, unsigned r, unsigned n,
                       const uint16_t *lo, const uint16_t *hi)
{
	assert_true(r < s->nreq);
	assert_int_equal(s->req[r].nalt, n);
	for (unsigned i = 0; i < n; i++) {
		const struct cat_range *a = &s->req[r].alt[i];
		assert_false(a->base_rel);
		assert_int_equal(a->raw_lo, lo[i]);
		assert_int_equal(a->raw_hi, hi[i]);
	}
}

static void assert_single(const struct cat_service *s, uint16_t port)
{
	assert_int_equal(s->nreq, 1);
	assert_req(s, 0, 1, &port, &port);
}

static void assert_offset(const char *id, uint16_t n, enum cat_proto proto,
                          enum cat_dir dir)
{
	const struct cat_service *s = svc(id);
	assert_string_equal(cat.products[s->product].id, "base");
	assert_int_equal(s->proto, proto);
	assert_int_equal(s->dir, dir);
	assert_int_equal(s->nreq, 1);
	assert_int_equal(s->req[0].nalt, 1);
	assert_true(s->req[0].alt[0].base_rel);
	assert_int_equal(s->req[0].alt[0].raw_lo, n);
	assert_int_equal(s->req[0].alt[0].raw_hi, n);
}

static void assert_dynamic(const char *id, uint16_t lo, uint16_t hi)
{
	const struct cat_service *s = svc(id);
	assert_true(s->has_dynamic);
	assert_int_equal(s->control, 135);
	assert_false(s->dynamic.base_rel);
	assert_int_equal(s->dynamic.raw_lo, lo);
	assert_int_equal(s->dynamic.raw_hi, hi);
	assert_int_equal(s->proto, CAT_PROTO_TCP);
	assert_int_equal(s->dir, CAT_DIR_OUTBOUND);
}

static void test_rows_per_table(void **state)
{
	(void)state;
	unsigned total = 0;
	assert_int_equal(cat.nproducts, NTABLES);
	for (size_t t = 0; t < NTABLES; t++) {
		uint32_t p;
		for (p = 0; p < cat.nproducts; p++)
			if (strcmp(cat.products[p].id, tables[t].id) == 0)
				break;
		if (p == cat.nproducts)
			fprintf(stderr, "no product '%s'\n", tables[t].id);
		assert_true(p < cat.nproducts);
		assert_string_equal(cat.products[p].name, tables[t].name);
		bool always = strcmp(tables[t].id, "base") == 0 ||
		              strcmp(tables[t].id, "common") == 0;
		assert_int_equal(cat.products[p].always, always);
		unsigned n = 0;
		for (uint32_t i = 0; i < cat.nservices; i++)
			n += cat.services[i].product == p;
		if (n != tables[t].rows)
			fprintf(stderr, "%s: %u services, the document has %u rows\n",
			        tables[t].id, n, tables[t].rows);
		assert_int_equal(n, tables[t].rows);
		total += tables[t].rows;
	}
	assert_int_equal(total, TOTAL_ROWS);
	assert_int_equal(cat.nservices, TOTAL_ROWS);
	assert_string_equal(cat.name, "prognosis");
	assert_int_equal(cat.default_base, 1960);
	assert_int_equal(cat.max_offset, 6);
}

static void test_every_service(void **state)
{
	(void)state;
	uint32_t used = 0;
	for (uint32_t i = 0; i < cat.nservices; i++) {
		const struct cat_service *s = &cat.services[i];
		for (uint32_t j = i + 1; j < cat.nservices; j++)
			if (strcmp(s->id, cat.services[j].id) == 0) {
				fprintf(stderr, "duplicate id '%s'\n", s->id);
				fail();
			}
		assert_non_null(s->purpose);
		assert_true(strlen(s->purpose) > 0);
		assert_null(strchr(s->purpose, '\n'));
		assert_true(s->nreq >= 1);
		bool reserved = s->dir == CAT_DIR_RESERVED;
		assert_int_equal(reserved, s->proto == CAT_PROTO_NONE);
		if (s->has_dynamic) {
			bool found = false;
			for (unsigned r = 0; r < s->nreq; r++)
				for (unsigned a = 0; a < s->req[r].nalt; a++)
					found |= s->req[r].alt[a].raw_lo == s->control &&
					         s->req[r].alt[a].raw_hi == s->control &&
					         !s->req[r].alt[a].base_rel;
			assert_true(found);
		}
		/* Only the base table names executables. */
		if (s->process)
			assert_string_equal(cat.products[s->product].id, "base");
		/* The vendor column exists only in the CRA and MI tables. */
		const char *pid = cat.products[s->product].id;
		bool vendor_table = strcmp(pid, "cra") == 0 ||
		                    strcmp(pid, "media-integrity") == 0;
		assert_int_equal(s->vendor != NULL, vendor_table);
		if (in_list(s->id, noted_ids, sizeof noted_ids / sizeof noted_ids[0])) {
			if (!s->note)
				fprintf(stderr, "%s: no note\n", s->id);
			assert_non_null(s->note);
		}
		used |= s->conditions;
	}
	/* Every condition is on by default (no profile: the whole catalog
	 * applies) and guards at least one service. */
	assert_true(cat.ncond >= 8);
	for (uint32_t c = 0; c < cat.ncond; c++) {
		assert_true(cat.cond[c].dflt);
		assert_non_null(cat.cond[c].description);
		assert_true((used >> c) & 1);
	}
}

static void test_oneway(void **state)
{
	(void)state;
	size_t n = sizeof oneway_ids / sizeof oneway_ids[0];
	unsigned count = 0;
	for (size_t i = 0; i < n; i++)
		assert_true(svc(oneway_ids[i])->oneway);
	for (uint32_t i = 0; i < cat.nservices; i++) {
		const struct cat_service *s = &cat.services[i];
		count += s->oneway;
		if (s->oneway && !in_list(s->id, oneway_ids, n)) {
			fprintf(stderr, "%s is one-way but should not be\n", s->id);
			fail();
		}
		if (s->proto != CAT_PROTO_UDP || s->req[0].alt[0].base_rel)
			continue;
		uint16_t p = s->req[0].alt[0].raw_lo;
		/* SNMP queries and RADIUS are request/response ... */
		if (p == 161 || p == 1812 || p == 1813)
			assert_false(s->oneway);
		/* ... syslog, traps and RTCP are not. */
		if (p == 162 || p == 514 || p == 5005)
			assert_true(s->oneway);
	}
	assert_int_equal(count, n);
}

static void test_base_ports(void **state)
{
	(void)state;
	assert_offset("base-router", 0, CAT_PROTO_TCP, CAT_DIR_INBOUND);
	assert_offset("base-promgr", 1, CAT_PROTO_TCP, CAT_DIR_LOCAL);
	assert_offset("base-autodiscovery", 2, CAT_PROTO_UDP, CAT_DIR_BOTH);
	assert_offset("base-reserved-3", 3, CAT_PROTO_NONE, CAT_DIR_RESERVED);
	assert_offset("base-tivoli", 4, CAT_PROTO_TCP, CAT_DIR_INBOUND);
	assert_offset("base-reserved-5", 5, CAT_PROTO_NONE, CAT_DIR_RESERVED);
	assert_offset("base-jvm", 6, CAT_PROTO_TCP, CAT_DIR_INBOUND);
	assert_string_equal(svc("base-router")->process, "IRNETRTR");
	assert_string_equal(svc("base-promgr")->process, "IRPROMGR");
	assert_string_equal(svc("base-tivoli")->process, "IRLSTNR");
	assert_string_equal(svc("base-jvm")->process, "IRJVMCOL");
	assert_null(svc("base-reserved-3")->process);
	assert_int_equal(svc("base-autodiscovery")->conditions,
	                 cond_bit("auto-discovery"));
	assert_int_equal(svc("base-jvm")->conditions, cond_bit("nonstop"));
	assert_int_equal(svc("base-router")->conditions, 0);
}

static void test_alternatives_and_ranges(void **state)
{
	(void)state;
	const struct cat_service *s = svc("cube-radius");
	assert_int_equal(s->proto, CAT_PROTO_UDP);
	assert_int_equal(s->dir, CAT_DIR_INBOUND);
	assert_false(s->oneway);
	assert_int_equal(s->nreq, 2);
	assert_req(s, 0, 2, (const uint16_t[]){ 1812, 1645 },
	           (const uint16_t[]){ 1812, 1645 });
	assert_req(s, 1, 2, (const uint16_t[]){ 1813, 1646 },
	           (const uint16_t[]){ 1813, 1646 });

	s = svc("cm-cdr");
	assert_int_equal(s->proto, CAT_PROTO_TCP);
	assert_int_equal(s->dir, CAT_DIR_INBOUND);
	assert_int_equal(s->nreq, 1);
	assert_req(s, 0, 1, (const uint16_t[]){ 50000 },
	           (const uint16_t[]){ 50002 });

	s = svc("mi-nice-bsf");
	assert_int_equal(s->nreq, 1);
	assert_req(s, 0, 1, (const uint16_t[]){ 62201 },
	           (const uint16_t[]){ 62220 });
	assert_int_equal(s->conditions, cond_bit("nice-bsf"));
	assert_string_equal(s->vendor, "NICE");

	/* 443, or the installer's fallback 8080..8089 */
	s = svc("common-https");
	assert_int_equal(s->dir, CAT_DIR_BOTH);
	assert_int_equal(s->nreq, 1);
	assert_req(s, 0, 2, (const uint16_t[]){ 443, 8080 },
	           (const uint16_t[]){ 443, 8089 });

	static const char *const soap[] = { "cucm-soap", "uccx-soap",
	                                    "cup-soap", "unity-soap" };
	for (size_t i = 0; i < 4; i++) {
		s = svc(soap[i]);
		assert_int_equal(s->nreq, 1);
		assert_req(s, 0, 2, (const uint16_t[]){ 443, 8443 },
		           (const uint16_t[]){ 443, 8443 });
		assert_int_equal(s->dir, CAT_DIR_OUTBOUND);
	}

	s = svc("ep-web");
	assert_req(s, 0, 2, (const uint16_t[]){ 80, 443 },
	           (const uint16_t[]){ 80, 443 });
	assert_int_equal(s->dir, CAT_DIR_OUTBOUND);

	s = svc("skype-winrm");
	assert_int_equal(s->nreq, 1);
	assert_req(s, 0, 2, (const uint16_t[]){ 5985, 5986 },
	           (const uint16_t[]){ 5985, 5986 });
	assert_int_equal(s->dir, CAT_DIR_OUTBOUND); /* the document: Inbound */
	assert_int_equal(s->conditions, cond_bit("winrm"));
	assert_non_null(strstr(s->note, "Inbound"));

	s = svc("mi-verint-content");
	assert_req(s, 0, 2, (const uint16_t[]){ 29500, 29501 },
	           (const uint16_t[]){ 29500, 29501 });
}

static void test_dynamic(void **state)
{
	(void)state;
	static const char *const wmi[] = { "cm-wmi", "mm-wmi", "cra-wmi",
	                                   "tms-wmi", "cucm-wmi", "skype-wmi",
	                                   "skype-eventlog", "aacc-wmi" };
	for (size_t i = 0; i < sizeof wmi / sizeof wmi[0]; i++) {
		assert_dynamic(wmi[i], 49152, 65535);
		assert_single(svc(wmi[i]), 135);
	}
	assert_non_null(strstr(svc("cucm-wmi")->note, "135 and"));

	assert_dynamic("aacc-rtd", 1024, 65535);
	assert_single(svc("aacc-rtd"), 135);

	const struct cat_service *s = svc("tms-eventlog");
	assert_dynamic("tms-eventlog", 49152, 65535);
	assert_int_equal(s->nreq, 2);
	assert_req(s, 0, 1, (const uint16_t[]){ 135 }, (const uint16_t[]){ 135 });
	assert_req(s, 1, 1, (const uint16_t[]){ 445 }, (const uint16_t[]){ 445 });

	unsigned n = 0;
	for (uint32_t i = 0; i < cat.nservices; i++)
		n += cat.services[i].has_dynamic;
	assert_int_equal(n, 10);
}

static void test_readings(void **state)
{
	(void)state;
	const struct cat_service *s;

	s = svc("mi-verint-auth"); /* "TVP", no direction */
	assert_int_equal(s->proto, CAT_PROTO_TCP);
	assert_int_equal(s->dir, CAT_DIR_OUTBOUND);
	assert_single(s, 7001);
	assert_non_null(strstr(s->note, "TVP"));

	s = svc("aacc-sql"); /* no direction cell */
	assert_int_equal(s->dir, CAT_DIR_OUTBOUND);
	assert_single(s, 1972);

	s = svc("cra-internal");
	assert_int_equal(s->dir, CAT_DIR_INTERNAL);
	assert_single(s, 4000);
	assert_string_equal(s->vendor, "Common");
	assert_int_equal(svc("mi-rabbitmq-mgmt")->dir, CAT_DIR_INTERNAL);
	assert_int_equal(svc("mi-erlang-dist")->dir, CAT_DIR_INTERNAL);

	/* the duplicated 5671 row: two services, two purposes */
	s = svc("mi-rabbitmq-tls");
	const struct cat_service *t = svc("mi-cra-rabbitmq-tls");
	assert_single(s, 5671);
	assert_single(t, 5671);
	assert_int_equal(s->dir, CAT_DIR_BOTH);
	assert_int_equal(t->dir, CAT_DIR_BOTH);
	assert_string_not_equal(s->purpose, t->purpose);

	s = svc("teams-cloud");
	assert_single(s, 443);
	assert_int_equal(s->dir, CAT_DIR_OUTBOUND);

	s = svc("common-ldap");
	assert_single(s, 389);
	assert_int_equal(s->conditions, cond_bit("ldap"));
	assert_int_equal(svc("common-amqp")->conditions, cond_bit("amqp-plain"));
	assert_int_equal(svc("cm-telnet-sat")->conditions, cond_bit("telnet-sat"));
	s = svc("skype-amqps");
	assert_single(s, 5671);
	assert_int_equal(s->conditions, cond_bit("multi-server"));

	assert_int_equal(svc("cucm-ssh")->dir, CAT_DIR_BOTH);
	assert_int_equal(svc("unity-ssh")->dir, CAT_DIR_BOTH);
	assert_int_equal(svc("common-syslog")->dir, CAT_DIR_BOTH);
	assert_int_equal(svc("oracle-sftp-cdr")->dir, CAT_DIR_INBOUND);
	assert_int_equal(svc("cms-cdr")->proto, CAT_PROTO_TCP);
	assert_single(svc("cms-cdr"), 6000);
	assert_single(svc("audiocodes-rtcp"), 5060);
}

/* Without a profile the whole catalog applies: every condition is on by
 * default, so every service is enabled, and the offsets resolve for the
 * default base and for another one. */
static void test_applied_without_profile(void **state)
{
	(void)state;
	struct cat_model m;
	struct cat_error err;
	static const uint16_t bases[] = { 0, 5000 };
	for (size_t k = 0; k < 2; k++) {
		if (cat_apply(&m, &cat, NULL, bases[k], &err) != 0) {
			fprintf(stderr, "cat_apply: %s\n", err.msg);
			fail();
		}
		uint16_t b = bases[k] ? bases[k] : 1960;
		assert_int_equal(m.base, b);
		for (uint32_t i = 0; i < cat.nservices; i++) {
			if (!cat.services[i].enabled)
				fprintf(stderr, "%s disabled: %s\n", cat.services[i].id,
				        cat.services[i].disabled_reason);
			assert_true(cat.services[i].enabled);
		}
		const struct cat_service *s = svc("base-promgr");
		assert_int_equal(s->req[0].alt[0].lo, b + 1);
		assert_int_equal(s->req[0].alt[0].hi, b + 1);
		assert_int_equal(svc("base-jvm")->req[0].alt[0].lo, b + 6);
		s = svc("cm-cdr");
		assert_int_equal(s->req[0].alt[0].lo, 50000);
		assert_int_equal(s->req[0].alt[0].hi, 50002);
		cat_model_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_per_table),
		cmocka_unit_test(test_every_service),
		cmocka_unit_test(test_oneway),
		cmocka_unit_test(test_base_ports),
		cmocka_unit_test(test_alternatives_and_ranges),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_readings),
		cmocka_unit_test(test_applied_without_profile),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
