/*
 * it_rules.c -- `portaudit rules`: every format on a real profile, the
 * rulesets checked by the tools that load them (nft -c, iptables-restore
 * --test, ip6tables-restore --test), the BPF filter compiled by libpcap and
 * run on hand-built packets, and the errors.
 *
 * The main profile has two servers (IPv4 10.0.0.5, IPv6 2001:db8::5), base
 * port 4000 instead of 1960, LDAP turned off, Cisco CUCM with IPv4 and IPv6
 * devices, Avaya CM with an IPv4 prefix only, Cisco Expressway without
 * devices. A small catalog of our own (--catalog) checks quoting, internal
 * services, conditions and the multiport split exactly.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char site_yaml[] =
	"site: Rules test\n"
	"base_port: 4000\n"
	"servers:\n"
	"  - name: mon4\n"
	"    role: monitoring\n"
	"    addresses: [10.0.0.5]\n"
	"  - name: mon6\n"
	"    addresses: [\"2001:db8::5\"]\n"
	"features:\n"
	"  ldap: false\n"
	"products:\n"
	"  - id: cisco-cucm\n"
	"    devices: [10.1.0.11, 10.1.0.12, \"2001:db8:1::11\"]\n"
	"  - id: avaya-cm\n"
	"    devices: [10.2.0.0/16]\n"
	"  - id: cisco-expressway\n";

static const char cat_yaml[] =
	"catalog:\n"
	"  name: testcat\n"
	"  title: Test catalog\n"
	"  base_port: 1960\n"
	"  max_offset: 6\n"
	"conditions:\n"
	"  - id: feat\n"
	"    default: true\n"
	"    description: A feature\n"
	"products:\n"
	"  - id: base\n"
	"    name: Base Ports\n"
	"    always: true\n"
	"  - id: vend\n"
	"    name: \"Vendor, Inc.\"\n"
	"services:\n"
	"  - id: t-base\n"
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [base+0]\n"
	"    direction: inbound\n"
	"    purpose: 'The \"main\" port, with a comma \xe2\x80\x93 and a dash'\n"
	"  - id: t-many\n"
	"    product: vend\n"
	"    protocol: tcp\n"
	"    ports: [{any: [1001, 1003, 1005, 1007, 1009, 1011, 1013, 1015]},"
	" {any: [1017, 1019, 1021, 1023, 1025, 1027, 1029, 1031]}, \"2000-2010\"]\n"
	"    direction: outbound\n"
	"    purpose: Many ports\n"
	"  - id: t-int\n"
	"    product: vend\n"
	"    protocol: tcp\n"
	"    ports: [4100]\n"
	"    direction: internal\n"
	"    purpose: Between our servers\n"
	"  - id: t-feat\n"
	"    product: base\n"
	"    protocol: udp\n"
	"    ports: [7777]\n"
	"    direction: inbound\n"
	"    conditions: [feat]\n"
	"    purpose: Only with the feature\n"
	"  - id: t-local\n"
	"    product: base\n"
	"    protocol: tcp\n"
	"    ports: [base+1]\n"
	"    direction: local\n"
	"    purpose: Loopback only\n";

static const char cat_site_yaml[] =
	"servers:\n"
	"  - name: a\n"
	"    addresses: [10.0.0.5, \"2001:db8::5\"]\n"
	"  - name: b\n"
	"    addresses: [10.0.0.6]\n"
	"features: {feat: false}\n"
	"products:\n"
	"  - id: vend\n"
	"    devices: [192.0.2.1, 192.0.2.0/24, \"2001:db8:9::1\"]\n";

/* ---- helpers ------------------------------------------------------------ */

/* Run `portaudit rules --profile P --format F [extra... NULL]`; returns
 * stdout (malloc'ed) and checks the exit status 0. */
static char *rules(const char *profile, const char *format, ...)
{
	const char *args[32] = { "rules", "--profile", profile, "--format", format };
	size_t n = 5;
	va_list ap;
	va_start(ap, format);
	for (const char *a; n < 31 && (a = va_arg(ap, const char *)); )
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	struct pa_result r;
	pa_run(&r, NULL, args);
	if (r.status != 0)
		fprintf(stderr, "rules %s exited %d: %s\n", format, r.status, r.err);
	assert_int_equal(r.status, 0);
	char *out = r.out;
	r.out = NULL;
	pa_result_free(&r);
	return out;
}

/* The full path of `tool` on PATH (pa_exec wants a path), or NULL. */
static const char *tool_path(const char *tool)
{
	static char buf[8][1024];
	static unsigned k;
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *b = buf[k++ % 8];
		snprintf(b, sizeof buf[0], "%s/%s", d, tool);
		if (access(b, X_OK) == 0)
			return b;
	}
	return NULL;
}

static const char *site(void)
{
	static char path[512];
	if (!path[0]) {
		snprintf(path, sizeof path, "%s", pa_tmp("site.yaml"));
		pa_write_file(path, site_yaml);
	}
	return path;
}

/* Is there a line that starts with `prefix` (after leading tabs)? */
static int has_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *l = text; l && *l; ) {
		const char *s = l;
		while (*s == '\t')
			s++;
		if (strncmp(s, prefix, n) == 0)
			return 1;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return 0;
}

static void want_line(const char *text, const char *prefix)
{
	if (!has_line(text, prefix)) {
		fprintf(stderr, "no line starting with:\n  %s\nin:\n%s\n", prefix, text);
		fail();
	}
}

static void no_line(const char *text, const char *prefix)
{
	if (has_line(text, prefix)) {
		fprintf(stderr, "unexpected line starting with:\n  %s\n", prefix);
		fail();
	}
}

/* Parse one RFC 4180 record at *p into fields (malloc'ed copies). */
static int csv_record(const char **p, char **f, int max)
{
	int n = 0;
	const char *s = *p;
	if (!*s)
		return 0;
	for (;;) {
		char buf[4096];
		size_t k = 0;
		if (*s == '"') {
			for (s++; *s; s++) {
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"') {
					s++;
					break;
				}
				if (k < sizeof buf - 1)
					buf[k++] = *s;
			}
		} else {
			while (*s && *s != ',' && *s != '\n')
				if (k < sizeof buf - 1)
					buf[k++] = *s++;
		}
		buf[k] = 0;
		if (n < max)
			f[n++] = strdup(buf);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\n')
			s++;
		break;
	}
	*p = s;
	return n;
}

static int is_v6(const char *a)
{
	return strchr(a, ':') != NULL;
}

static int is_addr(const char *a)
{
	return strcmp(a, "any") && strcmp(a, "loopback") && strcmp(a, "none");
}

/* ---- CSV ---------------------------------------------------------------- */

static void test_csv(void **state)
{
	(void)state;
	char *out = rules(site(), "csv", NULL);
	want_line(out, "service,group,protocol,direction,src,dst,dst_ports,purpose\n");
	assert_int_equal(strncmp(out, "service,group,", 14), 0);

	/* Base offsets follow base_port 4000. */
	want_line(out, "base-router,Base Ports,tcp,inbound,any,10.0.0.5,4000,");
	want_line(out, "base-router,Base Ports,tcp,inbound,any,2001:db8::5,4000,");
	want_line(out, "base-promgr,Base Ports,tcp,local,loopback,loopback,4001,");
	want_line(out, "base-autodiscovery,Base Ports,udp,inbound,any,10.0.0.5,4002,");
	want_line(out, "base-autodiscovery,Base Ports,udp,outbound,10.0.0.5,any,4002,");
	want_line(out, "base-reserved-3,Base Ports,any,reserved,none,none,4003,");
	want_line(out, "base-tivoli,Base Ports,tcp,inbound,any,10.0.0.5,4004,");
	want_line(out, "base-reserved-5,Base Ports,any,reserved,none,none,4005,");
	want_line(out, "base-jvm,Base Ports,tcp,inbound,any,10.0.0.5,4006,");
	for (int p = 1960; p <= 1966; p++) {
		char s[16];
		snprintf(s, sizeof s, ",%d,", p);
		assert_null(strstr(out, s));
	}
	/* Products with devices: the devices of the server's family only. */
	want_line(out, "cucm-soap,Cisco Unified Communications Manager,tcp,outbound,"
	          "10.0.0.5,10.1.0.11,443 8443,");
	want_line(out, "cucm-soap,Cisco Unified Communications Manager,tcp,outbound,"
	          "10.0.0.5,10.1.0.12,443 8443,");
	want_line(out, "cucm-soap,Cisco Unified Communications Manager,tcp,outbound,"
	          "2001:db8::5,2001:db8:1::11,443 8443,");
	want_line(out, "cucm-ssh,Cisco Unified Communications Manager,tcp,inbound,"
	          "10.1.0.11,10.0.0.5,22,");
	want_line(out, "cucm-ssh,Cisco Unified Communications Manager,tcp,outbound,"
	          "10.0.0.5,10.1.0.11,22,");
	want_line(out, "cm-cdr,Avaya Aura Communication Manager,tcp,inbound,"
	          "10.2.0.0/16,10.0.0.5,50000-50002,");
	want_line(out, "cm-wmi,Avaya Aura Communication Manager,tcp,outbound,"
	          "10.0.0.5,10.2.0.0/16,135 49152-65535,");
	assert_true(pa_contains(out, "DCE/RPC-aware firewall or a fixed WMI port"));
	/* The product without devices: any peer, both servers. */
	want_line(out, "expressway-https,Cisco Expressway,tcp,outbound,10.0.0.5,any,443,");
	want_line(out, "expressway-https,Cisco Expressway,tcp,outbound,2001:db8::5,any,443,");
	/* Avaya CM has IPv4 devices only: nothing for the IPv6 server. */
	no_line(out, "cm-wmi,Avaya Aura Communication Manager,tcp,outbound,2001:db8::5");
	/* A disabled feature (ldap) and products not in the profile. */
	no_line(out, "common-ldap,");
	want_line(out, "common-ldaps,");
	no_line(out, "aacc-");
	no_line(out, "cer-");
	/* Quoted purpose (it has a comma). */
	assert_true(pa_contains(out, ",4000,\"Default base port"));

	/* Every record: 8 fields, and never two address families in one. */
	const char *p = out;
	unsigned rows = 0;
	char *f[16];
	int n;
	while ((n = csv_record(&p, f, 16)) > 0) {
		assert_int_equal(n, 8);
		if (rows++ && is_addr(f[4]) && is_addr(f[5]))
			assert_int_equal(is_v6(f[4]), is_v6(f[5]));
		for (int i = 0; i < n; i++)
			free(f[i]);
	}
	assert_true(rows > 40);
	free(out);
}

/* Our own catalog: exact rows, RFC 4180 quoting, internal, conditions. */
static void test_csv_own_catalog(void **state)
{
	(void)state;
	const char *cat = pa_tmp("cat.yaml"), *prof = pa_tmp("catsite.yaml");
	pa_write_file(cat, cat_yaml);
	pa_write_file(prof, cat_site_yaml);
	char *out = rules(prof, "csv", "--catalog", cat, NULL);
	const char *want =
		"service,group,protocol,direction,src,dst,dst_ports,purpose\n"
		"t-base,Base Ports,tcp,inbound,any,10.0.0.5,1960,\"The \"\"main\"\" "
		"port, with a comma \xe2\x80\x93 and a dash\"\n"
		"t-base,Base Ports,tcp,outbound,10.0.0.5,10.0.0.6,1960,\"The "
		"\"\"main\"\" port, with a comma \xe2\x80\x93 and a dash\"\n"
		"t-base,Base Ports,tcp,inbound,any,2001:db8::5,1960,\"The \"\"main\"\" "
		"port, with a comma \xe2\x80\x93 and a dash\"\n"
		"t-base,Base Ports,tcp,inbound,any,10.0.0.6,1960,\"The \"\"main\"\" "
		"port, with a comma \xe2\x80\x93 and a dash\"\n"
		"t-base,Base Ports,tcp,outbound,10.0.0.6,10.0.0.5,1960,\"The "
		"\"\"main\"\" port, with a comma \xe2\x80\x93 and a dash\"\n"
		"t-many,\"Vendor, Inc.\",tcp,inbound,10.0.0.6,10.0.0.5,1001 1003 1005 "
		"1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 1031 "
		"2000-2010,Many ports\n"
		"t-many,\"Vendor, Inc.\",tcp,outbound,10.0.0.5,192.0.2.0/24,1001 1003 "
		"1005 1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 1031 "
		"2000-2010,Many ports\n"
		"t-many,\"Vendor, Inc.\",tcp,outbound,10.0.0.5,10.0.0.6,1001 1003 1005 "
		"1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 1031 "
		"2000-2010,Many ports\n"
		"t-many,\"Vendor, Inc.\",tcp,outbound,2001:db8::5,2001:db8:9::1,1001 "
		"1003 1005 1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 "
		"1031 2000-2010,Many ports\n"
		"t-many,\"Vendor, Inc.\",tcp,inbound,10.0.0.5,10.0.0.6,1001 1003 1005 "
		"1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 1031 "
		"2000-2010,Many ports\n"
		"t-many,\"Vendor, Inc.\",tcp,outbound,10.0.0.6,192.0.2.0/24,1001 1003 "
		"1005 1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 1031 "
		"2000-2010,Many ports\n"
		"t-many,\"Vendor, Inc.\",tcp,outbound,10.0.0.6,10.0.0.5,1001 1003 1005 "
		"1007 1009 1011 1013 1015 1017 1019 1021 1023 1025 1027 1029 1031 "
		"2000-2010,Many ports\n"
		"t-int,\"Vendor, Inc.\",tcp,inbound,192.0.2.0/24,10.0.0.5,4100,Between "
		"our servers\n"
		"t-int,\"Vendor, Inc.\",tcp,inbound,10.0.0.6,10.0.0.5,4100,Between our "
		"servers\n"
		"t-int,\"Vendor, "
		"Inc.\",tcp,outbound,10.0.0.5,192.0.2.0/24,4100,Between our servers\n"
		"t-int,\"Vendor, Inc.\",tcp,outbound,10.0.0.5,10.0.0.6,4100,Between "
		"our servers\n"
		"t-int,\"Vendor, "
		"Inc.\",tcp,inbound,2001:db8:9::1,2001:db8::5,4100,Between our servers\n"
		"t-int,\"Vendor, "
		"Inc.\",tcp,outbound,2001:db8::5,2001:db8:9::1,4100,Between our servers\n"
		"t-int,\"Vendor, Inc.\",tcp,inbound,192.0.2.0/24,10.0.0.6,4100,Between "
		"our servers\n"
		"t-int,\"Vendor, Inc.\",tcp,inbound,10.0.0.5,10.0.0.6,4100,Between our "
		"servers\n"
		"t-int,\"Vendor, "
		"Inc.\",tcp,outbound,10.0.0.6,192.0.2.0/24,4100,Between our servers\n"
		"t-int,\"Vendor, Inc.\",tcp,outbound,10.0.0.6,10.0.0.5,4100,Between "
		"our servers\n"
		"t-local,Base Ports,tcp,local,loopback,loopback,1961,Loopback only\n";
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", out, want);
		fail();
	}
	free(out);

	/* --server replaces the profile's servers; --base-port the base. */
	out = rules(prof, "csv", "--catalog", cat, "--server", "192.0.2.77", NULL);
	want_line(out, "t-base,Base Ports,tcp,inbound,any,192.0.2.77,1960,");
	assert_null(strstr(out, "10.0.0.5"));
	/* One server: internal is between it and the product's devices. */
	want_line(out, "t-int,\"Vendor, Inc.\",tcp,inbound,192.0.2.0/24,192.0.2.77,"
	          "4100,");
	no_line(out, "t-int,\"Vendor, Inc.\",tcp,inbound,10.0.0.6,");
	free(out);
	struct pa_result r;
	pa_runl(&r, "rules", "--profile", prof, "--catalog", cat, "--base-port",
	        "4000", NULL);
	assert_int_equal(r.status, 0);
	want_line(r.out, "t-base,Base Ports,tcp,inbound,any,10.0.0.5,4000,");
	want_line(r.out, "t-local,Base Ports,tcp,local,loopback,loopback,4001,");
	pa_result_free(&r);
}

/* ---- nftables ----------------------------------------------------------- */

/* Can `nft -c` check a ruleset here? NULL when yes, else why not. */
static const char *nft_usable(void)
{
	if (!tool_path("nft"))
		return "nft is not installed (tests/install_tools.sh installs nftables)";
	const char *f = pa_tmp("trivial.nft");
	pa_write_file(f, "table inet pa_trivial {\n\tchain input {\n"
	              "\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n");
	struct pa_result r;
	const char *argv[] = { tool_path("nft"), "-c", "-f", f, NULL };
	pa_exec(&r, NULL, argv);
	int ok = r.status == 0;
	pa_result_free(&r);
	return ok ? NULL : "nft -c refuses even a trivial ruleset here (no netlink?)";
}

static void check_comments(const char *text, const char *marker)
{
	/* Every rule carries a comment, with no double quote inside it. */
	for (const char *l = text; l && *l; ) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		char line[4096];
		snprintf(line, sizeof line, "%.*s", (int)len, l);
		if (strstr(line, marker) && line[strspn(line, "\t")] != '#' &&
		    (strstr(line, " dport") || strstr(line, " --dport"))) {
			assert_non_null(strstr(line, "comment"));
			unsigned q = 0;
			for (const char *c = line; *c; c++)
				q += *c == '"';
			assert_int_equal(q, 2);
			/* Never an IPv4 address next to an IPv6 one. */
			int v4 = strstr(line, "ip saddr") || strstr(line, "ip daddr");
			int v6 = strstr(line, "ip6 saddr") || strstr(line, "ip6 daddr");
			assert_false(v4 && v6);
		}
		l = e ? e + 1 : NULL;
	}
}

static void test_nft(void **state)
{
	(void)state;
	char *out = rules(site(), "nft", NULL);
	want_line(out, "table inet portaudit {");
	want_line(out, "chain input {");
	want_line(out, "chain output {");
	want_line(out, "type filter hook input priority 0; policy drop;");
	want_line(out, "type filter hook output priority 0; policy drop;");
	want_line(out, "ct state established,related accept");
	want_line(out, "iif lo accept");
	want_line(out, "ip daddr 10.0.0.5 tcp dport 4000 accept comment \"base-router: ");
	want_line(out, "ip6 daddr 2001:db8::5 tcp dport 4000 accept comment \"base-router: ");
	want_line(out, "ip daddr 10.0.0.5 tcp dport 4006 accept comment \"base-jvm: ");
	want_line(out, "# base-promgr: tcp 4001 (base+1) is local only: it stays on loopback");
	want_line(out, "# base-reserved-3: 4003 (base+3) is reserved: nothing allowed");
	want_line(out, "ip saddr { 10.1.0.11, 10.1.0.12 } ip daddr 10.0.0.5 tcp dport 22 "
	          "accept comment \"cucm-ssh: ");
	want_line(out, "ip saddr 10.0.0.5 ip daddr { 10.1.0.11, 10.1.0.12 } tcp dport "
	          "{ 443, 8443 } accept comment \"cucm-soap: ");
	want_line(out, "ip6 saddr 2001:db8::5 ip6 daddr 2001:db8:1::11 tcp dport "
	          "{ 443, 8443 } accept comment \"cucm-soap: ");
	want_line(out, "ip saddr 10.0.0.5 ip daddr 10.2.0.0/16 tcp dport "
	          "{ 135, 49152-65535 } accept comment \"cm-wmi: ");
	want_line(out, "ip saddr 10.0.0.5 tcp dport 443 accept comment \"expressway-https: ");
	want_line(out, "ip6 saddr 2001:db8::5 tcp dport 443 accept comment \"expressway-https: ");
	want_line(out, "#   DCE/RPC: control port 135 then dynamic 49152-65535");
	assert_null(strstr(out, "common-ldap: "));
	assert_null(strstr(out, "dport 1960"));
	check_comments(out, "accept");

	const char *why = nft_usable();
	if (why) {
		free(out);
		pa_skip(why);
		return;
	}
	const char *f = pa_tmp("site.nft");
	pa_write_file(f, out);
	struct pa_result r;
	const char *argv[] = { tool_path("nft"), "-c", "-f", f, NULL };
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fprintf(stderr, "nft -c: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);

	/* Our catalog too: quotes and UTF-8 in comments, internal rules. */
	const char *cat = pa_tmp("cat.yaml"), *prof = pa_tmp("catsite.yaml");
	pa_write_file(cat, cat_yaml);
	pa_write_file(prof, cat_site_yaml);
	free(out);
	out = rules(prof, "nft", "--catalog", cat, NULL);
	want_line(out, "ip daddr 10.0.0.5 tcp dport 1960 accept comment \"t-base: The "
	          "'main' port, with a comma - and a dash\"");
	want_line(out, "ip saddr { 192.0.2.0/24, 10.0.0.6 } ip daddr 10.0.0.5 tcp "
	          "dport 4100 accept");
	want_line(out, "ip saddr 10.0.0.5 ip daddr { 192.0.2.0/24, 10.0.0.6 } tcp "
	          "dport { 1001, ");
	check_comments(out, "accept");
	pa_write_file(f, out);
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fprintf(stderr, "nft -c: %s\n", r.err);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	free(out);
}

/* ---- iptables ----------------------------------------------------------- */

static const char *ipt_usable(const char *tool)
{
	static char why[200];
	if (!tool_path(tool)) {
		snprintf(why, sizeof why, "%s is not installed "
		         "(tests/install_tools.sh installs iptables)", tool);
		return why;
	}
	struct pa_result r;
	const char *argv[] = { tool_path(tool), "--test", NULL };
	pa_exec(&r, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 "
	        "-m comment --comment \"x\" -j ACCEPT\nCOMMIT\n", argv);
	int ok = r.status == 0;
	pa_result_free(&r);
	if (ok)
		return NULL;
	snprintf(why, sizeof why, "%s --test refuses even a trivial ruleset here "
	         "(kernel modules or privileges missing)", tool);
	return why;
}

static void ipt_check(const char *tool, const char *text)
{
	const char *why = ipt_usable(tool);
	if (why) {
		pa_skip(why);
		return;
	}
	struct pa_result r;
	const char *argv[] = { tool_path(tool), "--test", NULL };
	pa_exec(&r, text, argv);
	if (r.status != 0)
		fprintf(stderr, "%s --test: %s\n", tool, r.err);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
}

static void test_iptables(void **state)
{
	(void)state;
	char *out = rules(site(), "iptables", NULL);
	want_line(out, "*filter");
	want_line(out, ":INPUT DROP [0:0]");
	want_line(out, ":OUTPUT DROP [0:0]");
	want_line(out, "COMMIT");
	want_line(out, "# note: ");
	want_line(out, "-A INPUT -p tcp -d 10.0.0.5 --dport 4000 -m comment --comment "
	          "\"base-router: ");
	want_line(out, "-A INPUT -p tcp -d 10.0.0.5 --dport 4006 -m comment");
	want_line(out, "-A OUTPUT -p tcp -s 10.0.0.5 -d 10.1.0.11 -m multiport --dports "
	          "443,8443 -m comment --comment \"cucm-soap: ");
	want_line(out, "-A OUTPUT -p tcp -s 10.0.0.5 -d 10.2.0.0/16 -m multiport "
	          "--dports 135,49152:65535 -m comment --comment \"cm-wmi: ");
	want_line(out, "-A INPUT -p tcp -s 10.1.0.12 -d 10.0.0.5 --dport 22 -m comment");
	want_line(out, "-A INPUT -p tcp -s 10.2.0.0/16 -d 10.0.0.5 --dport 50000:50002 ");
	/* IPv4 only: no IPv6 address outside comments. */
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (*l == '-')
			assert_false(strncmp(l, "-A", 2) == 0 &&
			             strstr(l, "2001:") && strstr(l, "2001:") < strchr(l, '\n'));
	assert_null(strstr(out, "common-ldap: "));
	check_comments(out, "-j ACCEPT");
	ipt_check("iptables-restore", out);
	free(out);

	out = rules(site(), "ip6tables", NULL);
	want_line(out, "*filter");
	want_line(out, "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT");
	want_line(out, "-A INPUT -p tcp -d 2001:db8::5 --dport 4000 -m comment");
	want_line(out, "-A OUTPUT -p tcp -s 2001:db8::5 -d 2001:db8:1::11 -m multiport "
	          "--dports 443,8443 -m comment --comment \"cucm-soap: ");
	no_line(out, "-A OUTPUT -p tcp -s 10.0.0.5");
	no_line(out, "-A OUTPUT -p tcp -s 2001:db8::5 -d 10.");
	assert_null(strstr(out, "\"cm-wmi: "));
	check_comments(out, "-j ACCEPT");
	ipt_check("ip6tables-restore", out);
	free(out);
}

/* More than 15 multiport slots are split over several rules. */
static void test_iptables_split(void **state)
{
	(void)state;
	const char *cat = pa_tmp("cat.yaml"), *prof = pa_tmp("catsite.yaml");
	pa_write_file(cat, cat_yaml);
	pa_write_file(prof, cat_site_yaml);
	char *out = rules(prof, "iptables", "--catalog", cat, NULL);
	want_line(out, "-A OUTPUT -p tcp -s 10.0.0.5 -d 192.0.2.0/24 -m multiport --dports "
	          "1001,1003,1005,1007,1009,1011,1013,1015,1017,1019,1021,1023,1025,1027,1029 "
	          "-m comment --comment \"t-many: Many ports\" -j ACCEPT\n");
	want_line(out, "-A OUTPUT -p tcp -s 10.0.0.5 -d 192.0.2.0/24 -m multiport --dports "
	          "1031,2000:2010 -m comment --comment \"t-many: Many ports\" -j ACCEPT\n");
	want_line(out, "-A INPUT -p tcp -d 10.0.0.5 --dport 1960 -m comment --comment "
	          "\"t-base: The 'main' port, with a comma - and a dash\" -j ACCEPT\n");
	want_line(out, "-A INPUT -p tcp -s 10.0.0.6 -d 10.0.0.5 --dport 4100 ");
	want_line(out, "-A INPUT -p tcp -s 192.0.2.0/24 -d 10.0.0.5 --dport 4100 ");
	/* between servers, the direction the service does not give them */
	want_line(out, "-A OUTPUT -p tcp -s 10.0.0.5 -d 10.0.0.6 --dport 1960 ");
	/* 192.0.2.1 lies inside 192.0.2.0/24: one rule, not two. */
	assert_null(strstr(out, "-d 192.0.2.1 "));
	assert_null(strstr(out, "7777"));
	ipt_check("iptables-restore", out);
	free(out);
}

/* ---- the rules allow what the audit expects ------------------------------ */

/* Two servers, products with and without devices, LDAP off; flows of
 * every kind the audit tells apart: devices and other peers, server to
 * server on inbound, outbound and internal services, internal with a
 * device and without, DCE/RPC dynamic ports after their 135 (a device of
 * the product whose range holds the port, and one whose range does not),
 * a disabled feature, a reserved offset. */
static const char agree_yaml[] =
	"site: Agreement\n"
	"servers:\n"
	"  - name: mon\n"
	"    addresses: [10.0.0.5]\n"
	"  - name: mgmt\n"
	"    addresses: [10.0.0.6]\n"
	"features:\n"
	"  ldap: false\n"
	"products:\n"
	"  - id: cisco-cucm\n"
	"    devices: [10.1.0.11]\n"
	"  - id: avaya-aacc\n"
	"    devices: [10.8.0.1]\n"
	"  - id: ms-skype\n"
	"    devices: [10.7.0.0/24]\n"
	"  - id: cra\n"
	"    devices: [10.6.0.0/24]\n"
	"  - id: media-integrity\n";

static const char agree_flows[] =
	"host mon 10.0.0.5\n"
	"host mgmt 10.0.0.6\n"
	"tcp 10.1.0.11:40000 > mon:1960 established\n"
	"tcp mon:40001 > 10.1.0.11:8443 established\n"
	"tcp mon:40002 > 10.1.0.99:8443 established\n"
	"tcp mon:40003 > mgmt:1960 established\n"
	"tcp mgmt:40004 > mon:5432 established\n"
	"tcp mon:40005 > mgmt:25 established\n"
	"tcp 10.6.0.5:40006 > mon:4000 established\n"
	"tcp 10.9.0.9:40007 > mon:4000 established\n"
	"tcp 10.9.0.9:40008 > mon:15672 established\n"
	"tcp mon:40009 > mgmt:4000 established\n"
	"tcp mon:40010 > 10.8.0.1:135 established\n"
	"tcp mon:40011 > 10.8.0.1:3000 established\n"
	"tcp mon:40012 > 10.7.0.9:135 established\n"
	"tcp mon:40013 > 10.7.0.9:50000 established\n"
	"tcp mon:40014 > 10.7.0.9:3000 established\n"
	"tcp 10.7.0.9:40015 > mon:3000 established\n"
	"tcp mon:40016 > 10.9.0.9:389 established\n"
	"tcp 10.9.0.9:40017 > mon:1963 established\n"
	"udp mon:40018 > 10.1.0.11:161 request-response\n"
	"udp mon:40019 > 10.1.0.99:161 request-response\n";

static bool in_prefix(const char *addr, const char *pfx)
{
	if (strcmp(pfx, "any") == 0)
		return true;
	char a[64];
	snprintf(a, sizeof a, "%s", pfx);
	char *slash = strchr(a, '/');
	unsigned len = 32;
	if (slash) {
		*slash = 0;
		len = (unsigned)strtoul(slash + 1, NULL, 10);
	}
	struct in_addr x, y;
	if (inet_pton(AF_INET, addr, &x) != 1 || inet_pton(AF_INET, a, &y) != 1)
		return false;
	uint32_t m = len ? ~0u << (32 - len) : 0;
	return (ntohl(x.s_addr) & m) == (ntohl(y.s_addr) & m);
}

static bool in_ports(unsigned port, const char *list)
{
	const char *p = list;
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (port >= lo && port <= hi)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

struct csv_rule { char *f[8]; };

/* A row of the CSV ruleset lets the flow through the server's chain:
 * `in` the responder's input, else the initiator's output. */
static bool row_allows(const struct csv_rule *r, bool in, const char *proto,
                       const char *src, const char *dst, unsigned port)
{
	if (strcmp(r->f[2], proto) != 0 ||
	    strcmp(r->f[3], in ? "inbound" : "outbound") != 0)
		return false;
	if (in ? strcmp(r->f[5], dst) != 0 : strcmp(r->f[4], src) != 0)
		return false;
	return in_prefix(in ? src : dst, in ? r->f[4] : r->f[5]) &&
	       in_ports(port, r->f[6]);
}

static void test_rules_agree_with_audit(void **state)
{
	(void)state;
	const char *prof = pa_tmp("agree.yaml"), *fl = pa_tmp("agree.flows");
	const char *pcap = pa_tmp("agree.pcap"), *jl = pa_tmp("agree.jsonl");
	pa_write_file(prof, agree_yaml);
	pa_write_file(fl, agree_flows);
	struct pa_result r;
	const char *gen[] = { getenv("PCAPGEN"), fl, pcap, NULL };
	pa_exec(&r, NULL, gen);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	pa_runl(&r, "-r", pcap, "--profile", prof, "--jsonl", jl, "-q", NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);

	char *csv = rules(prof, "csv", NULL);
	struct csv_rule rows[512];
	unsigned nrows = 0;
	const char *p = csv;
	char *hdr[8];
	int nh = csv_record(&p, hdr, 8);
	for (int i = 0; i < nh; i++)
		free(hdr[i]);
	while (nrows < 512) {
		int n = csv_record(&p, rows[nrows].f, 8);
		if (n == 0)
			break;
		assert_int_equal(n, 8);
		nrows++;
	}
	free(csv);

	size_t len;
	char *text = pa_read_file(jl, &len);
	assert_non_null(text);
	unsigned nflows = 0, bad = 0, expected = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *e = json_loads(l, 0, &je);
		assert_non_null(e);
		const char *type = json_string_value(json_object_get(e, "event_type"));
		if (strcmp(type, "flow") != 0) {
			json_decref(e);
			continue;
		}
		nflows++;
		const char *src = json_string_value(json_object_get(e, "src_ip"));
		const char *dst = json_string_value(json_object_get(e, "dest_ip"));
		unsigned port = (unsigned)json_integer_value(json_object_get(e,
		                                            "dest_port"));
		const char *proto = strcmp(json_string_value(json_object_get(e,
		                    "proto")), "TCP") == 0 ? "tcp" : "udp";
		const char *verdict = json_string_value(json_object_get(e,
		                                        "verdict"));
		bool src_srv = strcmp(src, "10.0.0.5") == 0 ||
		               strcmp(src, "10.0.0.6") == 0;
		bool dst_srv = strcmp(dst, "10.0.0.5") == 0 ||
		               strcmp(dst, "10.0.0.6") == 0;
		bool out_ok = !src_srv, in_ok = !dst_srv;
		for (unsigned i = 0; i < nrows; i++) {
			out_ok |= row_allows(&rows[i], false, proto, src, dst, port);
			in_ok |= row_allows(&rows[i], true, proto, src, dst, port);
		}
		bool allowed = out_ok && in_ok;
		bool exp = strcmp(verdict, "expected") == 0;
		expected += exp;
		if (allowed != exp) {
			fprintf(stderr, "%s %s -> %s:%u: audit %s (%s), rules %s\n",
			        proto, src, dst, port, verdict,
			        json_string_value(json_object_get(e, "reason")),
			        allowed ? "allow it" : "drop it");
			bad++;
		}
		json_decref(e);
	}
	free(text);
	for (unsigned i = 0; i < nrows; i++)
		for (int k = 0; k < 8; k++)
			free(rows[i].f[k]);
	assert_int_equal(nflows, 20);
	/* not a test that passes by judging nothing expected */
	assert_int_equal(expected, 14);
	assert_int_equal(bad, 0);
}

/* ---- BPF ---------------------------------------------------------------- */

struct pkt {
	uint8_t b[128];
	size_t len;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 or IPv6 + a TCP (SYN) or UDP header. */
static struct pkt mkpkt(int proto, const char *src, unsigned sport,
                        const char *dst, unsigned dport)
{
	struct pkt k;
	memset(&k, 0, sizeof k);
	uint8_t *e = k.b;
	memcpy(e, "\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa", 12);
	int v6 = strchr(src, ':') != NULL;
	size_t l4len = proto == 6 ? 20 : 8;
	uint8_t *l4;
	if (v6) {
		put16(e + 12, 0x86dd);
		uint8_t *ip = e + 14;
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)l4len);
		ip[6] = (uint8_t)proto;
		ip[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, src, ip + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, ip + 24), 1);
		l4 = ip + 40;
	} else {
		put16(e + 12, 0x0800);
		uint8_t *ip = e + 14;
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + l4len));
		ip[8] = 64;
		ip[9] = (uint8_t)proto;
		assert_int_equal(inet_pton(AF_INET, src, ip + 12), 1);
		assert_int_equal(inet_pton(AF_INET, dst, ip + 16), 1);
		l4 = ip + 20;
	}
	put16(l4, sport);
	put16(l4 + 2, dport);
	if (proto == 6) {
		l4[12] = 0x50;
		l4[13] = 0x02;
	} else {
		put16(l4 + 4, 8);
	}
	k.len = (size_t)(l4 - k.b) + l4len;
	return k;
}

static int matches(const struct bpf_program *prog, int proto, const char *src,
                   unsigned sport, const char *dst, unsigned dport)
{
	struct pkt k = mkpkt(proto, src, sport, dst, dport);
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	h.caplen = h.len = (bpf_u_int32)k.len;
	return pcap_offline_filter(prog, &h, k.b) != 0;
}

static void test_bpf(void **state)
{
	(void)state;
	char *out = rules(site(), "bpf", NULL);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	assert_non_null(p);
	struct bpf_program prog;
	if (pcap_compile(p, &prog, out, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fprintf(stderr, "pcap_compile: %s\n%s\n", pcap_geterr(p), out);
		fail();
	}
	/* Expected flows, both directions. */
	assert_true(matches(&prog, 6, "10.1.0.11", 40000, "10.0.0.5", 22));
	assert_true(matches(&prog, 6, "10.0.0.5", 22, "10.1.0.11", 40000));
	assert_true(matches(&prog, 6, "10.0.0.5", 40001, "10.1.0.12", 8443));
	assert_true(matches(&prog, 6, "10.1.0.12", 8443, "10.0.0.5", 40001));
	assert_true(matches(&prog, 6, "10.0.0.5", 40002, "10.2.3.4", 50123)); /* WMI */
	assert_true(matches(&prog, 6, "10.9.9.9", 40000, "10.0.0.5", 4000));  /* base */
	assert_true(matches(&prog, 6, "10.0.0.5", 4000, "10.9.9.9", 40000));
	assert_true(matches(&prog, 6, "2001:db8:1::11", 40000, "2001:db8::5", 22));
	assert_true(matches(&prog, 6, "2001:db8::5", 22, "2001:db8:1::11", 40000));
	assert_true(matches(&prog, 17, "10.0.0.5", 50000, "10.2.0.1", 161));
	assert_true(matches(&prog, 17, "10.2.0.1", 161, "10.0.0.5", 50000));
	/* One-way RTCP: the sending direction only. */
	assert_true(matches(&prog, 17, "10.2.3.4", 5005, "10.0.0.5", 5005));
	assert_false(matches(&prog, 17, "10.0.0.5", 5005, "10.2.3.4", 5005));
	/* Unexpected: old base port, other host, other port, disabled LDAP,
	 * a device of one product on another's port, wrong server. */
	assert_false(matches(&prog, 6, "10.9.9.9", 40000, "10.0.0.5", 1960));
	assert_false(matches(&prog, 6, "10.9.9.9", 40000, "10.0.0.5", 22));
	assert_false(matches(&prog, 6, "10.1.0.11", 40000, "10.0.0.5", 23));
	assert_false(matches(&prog, 6, "10.0.0.5", 40000, "10.9.9.9", 389));
	assert_false(matches(&prog, 6, "10.0.0.5", 40000, "10.1.0.11", 5022));
	assert_false(matches(&prog, 6, "10.1.0.11", 40000, "10.0.0.7", 4000));
	assert_false(matches(&prog, 6, "2001:db8:1::99", 40000, "2001:db8::5", 22));
	assert_false(matches(&prog, 6, "2001:db8::5", 40000, "2001:db8:2::1", 135));
	assert_false(matches(&prog, 17, "10.9.9.9", 40000, "10.0.0.5", 4003));
	pcap_freecode(&prog);
	pcap_close(p);
	free(out);
}

/* docs/rules.md's bpf example is real output: its profile, run through
 * `rules --format bpf`, prints every line the example shows, in order. */
static void test_doc_bpf(void **state)
{
	(void)state;
	char *doc = pa_read_file(pa_src("docs/rules.md"), NULL);
	assert_non_null(doc);
	const char *sec = strstr(doc, "\n### bpf\n");
	assert_non_null(sec);
	const char *y = strstr(sec, "\n```yaml\n");
	assert_non_null(y);
	y += strlen("\n```yaml\n");
	const char *ye = strstr(y, "\n```\n");
	assert_non_null(ye);
	const char *o = strstr(ye + 5, "\n```\n");
	assert_non_null(o);
	o += strlen("\n```\n");
	const char *oe = strstr(o, "\n```\n");
	assert_non_null(oe);
	char prof[1024];
	snprintf(prof, sizeof prof, "%s", pa_tmp("doc-bpf.yaml"));
	char *yaml = strndup(y, (size_t)(ye - y) + 1);
	assert_non_null(yaml);
	pa_write_file(prof, yaml);
	free(yaml);
	char *out = rules(prof, "bpf", NULL);
	const char *at = out, *last = NULL;
	size_t lastn = 0;
	unsigned shown = 0;
	for (const char *l = o; l < oe;) {
		const char *e = strchr(l, '\n');
		if (!e || e > oe)
			e = oe;
		size_t n = (size_t)(e - l);
		if (!(n == 3 && strncmp(l, "...", 3) == 0)) {
			/* a whole line of the output, after the previous one */
			const char *hit = NULL;
			for (const char *q = at; q && *q;) {
				const char *qe = strchr(q, '\n');
				size_t qn = qe ? (size_t)(qe - q) : strlen(q);
				if (qn == n && strncmp(q, l, n) == 0) {
					hit = q;
					break;
				}
				q = qe ? qe + 1 : NULL;
			}
			if (!hit)
				fail_msg("docs/rules.md line not in the output (in order): %.*s\n"
				         "output:\n%s", (int)n, l, out);
			at = hit + n;
			last = l;
			lastn = n;
			shown++;
		}
		l = e + 1;
	}
	assert_true(shown >= 4);
	/* The example ends with the filter's last line (no " or"). */
	assert_non_null(last);
	assert_true(strlen(out) > lastn);
	assert_true(strncmp(out + strlen(out) - lastn - 1, last, lastn) == 0);
	free(out);
	free(doc);
}

/* ---- every format on bigger inputs --------------------------------------- */

/* Check one output with the tool that loads it; `why` collects skips. */
static void load_check(const char *format, const char *text, const char **why)
{
	if (strcmp(format, "nft") == 0) {
		if ((*why = nft_usable()) != NULL)
			return;
		const char *f = pa_tmp("check.nft");
		pa_write_file(f, text);
		struct pa_result r;
		const char *argv[] = { tool_path("nft"), "-c", "-f", f, NULL };
		pa_exec(&r, NULL, argv);
		if (r.status != 0)
			fprintf(stderr, "nft -c: %s\n", r.err);
		assert_int_equal(r.status, 0);
		pa_result_free(&r);
	} else if (strcmp(format, "bpf") == 0) {
		pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
		struct bpf_program prog;
		if (pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			fprintf(stderr, "pcap_compile: %s\n", pcap_geterr(p));
			fail();
		}
		pcap_freecode(&prog);
		pcap_close(p);
	} else {
		const char *tool = strcmp(format, "iptables") == 0 ?
		                   "iptables-restore" : "ip6tables-restore";
		if ((*why = ipt_usable(tool)) != NULL)
			return;
		struct pa_result r;
		const char *argv[] = { tool_path(tool), "--test", NULL };
		pa_exec(&r, text, argv);
		if (r.status != 0)
			fprintf(stderr, "%s --test: %s\n", tool, r.err);
		assert_int_equal(r.status, 0);
		pa_result_free(&r);
	}
}

/* The whole built-in catalog (a profile without `products:`), the bundled
 * example profile (device prefixes, a dynamic-range override) and server
 * prefixes: every output is accepted by the tool that loads it. */
static void test_load_everything(void **state)
{
	(void)state;
	char all[1024]; /* pa_tmp's buffers rotate: keep a copy */
	snprintf(all, sizeof all, "%s", pa_tmp("all.yaml"));
	pa_write_file(all, "servers:\n  - name: m\n    addresses: [10.0.0.5, "
	              "10.0.0.6, \"2001:db8::5\"]\n");
	static const char *const formats[] = { "nft", "iptables", "ip6tables", "bpf" };
	const char *skipped = NULL;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		const char *why = NULL;
		char *out = rules(all, formats[i], NULL);
		load_check(formats[i], out, &why);
		free(out);
		out = rules(pa_src("catalog/site-example.yaml"), formats[i], NULL);
		load_check(formats[i], out, &why);
		free(out);
		out = rules(all, formats[i], "--server", "10.0.0.5/29", "--server",
		            "2001:db8::/64", NULL);
		load_check(formats[i], out, &why);
		free(out);
		if (why)
			skipped = why;
	}
	/* The example's override narrows cucm-wmi's dynamic range. */
	char *out = rules(pa_src("catalog/site-example.yaml"), "csv", NULL);
	want_line(out, "cucm-wmi,Cisco Unified Communications Manager,tcp,outbound,"
	          "10.0.0.5,10.1.0.0/28,135 50000-50100,");
	want_line(out, "cucm-wmi,Cisco Unified Communications Manager,tcp,outbound,"
	          "10.0.0.5,10.1.1.11,135 50000-50100,");
	free(out);
	/* 10.1.0.11 lies inside 10.1.0.0/28: listed once, as the prefix. */
	char inside[1024];
	snprintf(inside, sizeof inside, "%s", pa_tmp("inside.yaml"));
	pa_write_file(inside, "servers: [{name: m, addresses: [10.0.0.5]}]\n"
	              "products:\n  - id: cisco-cucm\n"
	              "    devices: [10.1.0.11, 10.1.0.0/28]\n");
	out = rules(inside, "csv", NULL);
	want_line(out, "cucm-wmi,Cisco Unified Communications Manager,tcp,outbound,"
	          "10.0.0.5,10.1.0.0/28,135 49152-65535,");
	assert_null(strstr(out, ",10.1.0.11,"));
	free(out);
	out = rules(all, "nft", "--server", "10.0.0.5/29", NULL);
	want_line(out, "ip daddr 10.0.0.0/29 tcp dport 1960 accept");
	free(out);
	out = rules(all, "bpf", "--server", "10.0.0.5/29", NULL);
	assert_true(pa_contains(out, "dst net 10.0.0.0/29"));
	free(out);
	if (skipped)
		pa_skip(skipped);
}

/* ---- errors ------------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	struct pa_result r;
	pa_runl(&r, "rules", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: rules: --profile FILE is required"));
	assert_true(pa_contains(r.err, "Usage: portaudit rules"));
	pa_result_free(&r);

	pa_runl(&r, "rules", "--profile", site(), "--format", "pf", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: rules: --format: 'pf'"));
	assert_int_equal(r.outlen, 0);
	pa_result_free(&r);

	pa_runl(&r, "rules", "--profile", site(), "--base-port", "0", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: rules: --base-port: '0'"));
	pa_result_free(&r);

	pa_runl(&r, "rules", "--profile", site(), "--server", "10.0.0.300", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "portaudit: rules: --server: '10.0.0.300'"));
	pa_result_free(&r);

	pa_runl(&r, "rules", "--profile", site(), "--bogus", NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "unknown option '--bogus'"));
	pa_result_free(&r);

	const char *nos = pa_tmp("noservers.yaml");
	pa_write_file(nos, "site: empty\nfeatures: {ldap: false}\n");
	pa_runl(&r, "rules", "--profile", nos, NULL);
	assert_int_equal(r.status, 2);
	char want[600];
	snprintf(want, sizeof want, "portaudit: rules: %s: the profile names no servers", nos);
	assert_true(pa_contains(r.err, want));
	assert_int_equal(r.outlen, 0);
	pa_result_free(&r);
	/* ... but --server supplies them. */
	pa_runl(&r, "rules", "--profile", nos, "--server", "192.0.2.9", "--format", "nft", NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "ip daddr 192.0.2.9 tcp dport 1960 accept"));
	pa_result_free(&r);

	const char *bad = pa_tmp("bad.yaml");
	pa_write_file(bad, "servers:\n  - name: a\n    adresses: [10.0.0.1]\n");
	pa_runl(&r, "rules", "--profile", bad, NULL);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof want, "portaudit: %s:3:5: ", bad);
	assert_true(pa_contains(r.err, want));
	assert_true(pa_contains(r.err, "adresses"));
	assert_int_equal(r.outlen, 0);
	pa_result_free(&r);

	pa_runl(&r, "rules", "--profile", pa_tmp("does-not-exist.yaml"), NULL);
	assert_int_equal(r.status, 2);
	assert_true(pa_contains(r.err, "does-not-exist.yaml"));
	pa_result_free(&r);

	pa_runl(&r, "rules", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "--format csv|nft|iptables|ip6tables|bpf"));
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_own_catalog),
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_iptables),
		cmocka_unit_test(test_iptables_split),
		cmocka_unit_test(test_rules_agree_with_audit),
		cmocka_unit_test(test_bpf),
		cmocka_unit_test(test_doc_bpf),
		cmocka_unit_test(test_load_everything),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
