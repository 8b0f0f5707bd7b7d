/*
 * test_zeek.c -- cap_zeek_read() on conn logs written here: TSV (its
 * header, other separators, escapes, unset and empty fields, the plain
 * LogAscii::tsv=T header), JSON lines (dotted and nested keys, epoch,
 * ISO 8601 and millisecond ts), concatenated rotated files, gzip, a
 * directory in name order, standard input, a file still being written;
 * the mapping of every conn_state, of the history (flags, '^', SYN
 * retries), of ICMP; and each error with its FILE:LINE:COL, or counted
 * with skip_bad.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "capture/capture.h"
#include "capture/records.h"

#define MAXF 64

static struct cap_flow flows[MAXF];
static unsigned nflows;
static struct cap_rec_stats rs;
static char err[512];

static void collect(const struct cap_flow *f, void *ctx)
{
	(void)ctx;
	assert_true(nflows < MAXF);
	flows[nflows++] = *f;
}

static int read_path(const char *path, bool skip_bad)
{
	nflows = 0;
	memset(&rs, 0, sizeof rs);
	err[0] = '\0';
	return cap_zeek_read(path, collect, NULL, &rs, skip_bad, err,
	                     sizeof err);
}

/* Write text to tmp/name and read it. */
static int read_text(const char *name, const char *text, bool skip_bad)
{
	const char *p = pa_tmp(name);
	pa_write_file(p, text);
	return read_path(p, skip_bad);
}

/* Expect an error naming tmp/name:LINE:COL and containing what. */
static void expect_error(const char *name, const char *text,
                         unsigned line, unsigned col, const char *what)
{
	assert_int_equal(read_text(name, text, false), -1);
	char want[512];
	snprintf(want, sizeof want, "%s:%u:%u: ", pa_tmp(name), line, col);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
	assert_true(pa_contains(err, what));
	assert_int_equal(rs.malformed, 1);
	/* With skip_bad the same record is counted and skipped. */
	assert_int_equal(read_text(name, text, true), 0);
	assert_int_equal(rs.malformed, 1);
}

/* "a b c" -> "a\tb\tc" in a rotating static buffer (tokens hold no
 * spaces; "" is not a token). */
static const char *tsv(const char *words)
{
	static char bufs[8][1024];
	static unsigned k;
	char *b = bufs[k++ % 8];
	snprintf(b, 1024, "%s", words);
	for (char *p = b; *p; p++)
		if (*p == ' ')
			*p = '\t';
	return b;
}

/* The header Zeek writes (the shared logs' fields). */
#define FIELDS "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto " \
	"service duration orig_bytes resp_bytes conn_state local_orig " \
	"local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts " \
	"resp_ip_bytes tunnel_parents ip_proto"
#define TYPES "time string addr port addr port enum string interval " \
	"count count string bool bool count string count count count count " \
	"set[string] count"

static char *header(void)
{
	static char h[2048];
	snprintf(h, sizeof h,
	         "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
	         "#unset_field\t-\n#path\tconn\n#open\t2013-06-02-19-14-02\n"
	         "#fields\t%s\n#types\t%s\n", tsv(FIELDS), tsv(TYPES));
	return h;
}

/* A log of the header and the given rows (each "a b c ...", tabs made
 * here), and #close. */
static char *log_of(const char *const *rows, bool close)
{
	static char s[16384];
	size_t n = (size_t)snprintf(s, sizeof s, "%s", header());
	for (; *rows; rows++)
		n += (size_t)snprintf(s + n, sizeof s - n, "%s\n", tsv(*rows));
	if (close)
		snprintf(s + n, sizeof s - n, "#close\t2013-06-02-19-14-10\n");
	return s;
}

static void addr(uint8_t *out, const char *s)
{
	memset(out, 0, 16);
	if (strchr(s, ':'))
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
	else
		assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static void check_ends(const struct cap_flow *f, const char *a,
                       uint16_t pa, const char *b, uint16_t pb)
{
	uint8_t x[16];
	addr(x, a);
	assert_memory_equal(f->addr_a, x, 16);
	addr(x, b);
	assert_memory_equal(f->addr_b, x, 16);
	assert_int_equal(f->port_a, pa);
	assert_int_equal(f->port_b, pb);
}

#define S(x) ((uint64_t)(x) * 1000000000ull)

/* ---- TSV ----------------------------------------------------------------- */

static void tsv_basic(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"1370200442.323173 C1 10.0.0.1 40000 10.0.0.2 22 tcp ssh "
		"1.500000 100 200 SF T F 0 ShADadFf 5 372 4 642 (empty) 6",
		"1370200443.000001 C2 2001:db8::1 5353 ff02::fb 5353 udp dns - "
		"- - S0 T F 0 D 1 199 0 0 (empty) 17",
		NULL,
	};
	assert_int_equal(read_text("basic.log", log_of(rows, true), false), 0);
	assert_int_equal(nflows, 2);
	assert_int_equal(rs.records, 2);
	assert_int_equal(rs.malformed, 0);
	assert_int_equal(rs.tunneled, 0);
	assert_false(rs.missed_bytes);
	assert_false(rs.initiators_guessed);
	const struct cap_flow *f = &flows[0];
	assert_int_equal(f->family, 4);
	assert_int_equal(f->proto, 6);
	check_ends(f, "10.0.0.1", 40000, "10.0.0.2", 22);
	assert_int_equal(f->pkts[0], 5);
	assert_int_equal(f->pkts[1], 4);
	assert_int_equal(f->bytes[0], 372); /* orig_ip_bytes, layer 3 */
	assert_int_equal(f->bytes[1], 642);
	assert_int_equal(f->first_ns, S(1370200442) + 323173000ull);
	assert_int_equal(f->last_ns, S(1370200443) + 823173000ull);
	assert_int_equal(f->outcome, CAP_OUT_CLOSED);
	assert_int_equal(f->initiator_inferred, 0);
	assert_int_equal(f->flags[0], CAP_TH_SYN | CAP_TH_ACK | CAP_TH_PSH |
	                              CAP_TH_FIN);
	assert_int_equal(f->flags[1], CAP_TH_SYN | CAP_TH_ACK | CAP_TH_PSH |
	                              CAP_TH_FIN);
	assert_int_equal(f->vlan, 0);
	assert_int_equal(f->tunnel, 0);
	f = &flows[1];
	assert_int_equal(f->family, 6);
	assert_int_equal(f->proto, 17);
	check_ends(f, "2001:db8::1", 5353, "ff02::fb", 5353);
	assert_int_equal(f->first_ns, f->last_ns); /* duration unset */
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(f->pkts[1], 0);
	assert_int_equal(f->outcome, CAP_OUT_ONEWAY);
}

/* Another separator ('|' as "\x7c"), other set/empty/unset markers, and
 * escapes in values. */
static void tsv_separator_escapes(void **state)
{
	(void)state;
	const char *text =
		"#separator \\x7c\n"
		"#set_separator|;\n"
		"#empty_field|EMPTY\n"
		"#unset_field|NONE\n"
		"#path|conn\n"
		"#fields|ts|id.orig_h|id.orig_p|id.resp_h|id.resp_p|proto|"
		"duration|conn_state|history|orig_pkts|resp_pkts|tunnel_parents\n"
		"#types|time|addr|port|addr|port|enum|interval|string|string|"
		"count|count|set[string]\n"
		/* "\x2e" is '.', "\x46" 'F': escapes decode in any field */
		"1.5|10.0.0\\x2e1|1024|10.0.0.2|80|tcp|NONE|S\\x46|ShAFf|3|2|"
		"EMPTY\n"
		/* a tunnel set of two uids, separated by ';' */
		"2.25|10.0.0.3|1025|10.0.0.4|80|tcp|0.5|S1|ShA|2|1|Cx;Cy\n";
	assert_int_equal(read_text("sep.log", text, false), 0);
	assert_int_equal(nflows, 2);
	check_ends(&flows[0], "10.0.0.1", 1024, "10.0.0.2", 80);
	assert_int_equal(flows[0].first_ns, 1500000000ull);
	assert_int_equal(flows[0].last_ns, 1500000000ull); /* NONE: unset */
	assert_int_equal(flows[0].outcome, CAP_OUT_CLOSED);
	assert_int_equal(flows[1].first_ns, 2250000000ull);
	assert_int_equal(flows[1].last_ns, 2750000000ull);
	assert_int_equal(flows[1].outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(rs.tunneled, 1); /* EMPTY is no tunnel */

	/* A bad escape names its field's column. */
	const char *bad_esc =
		"#separator \\x7c\n"
		"#fields|ts|id.orig_h|id.orig_p|id.resp_h|id.resp_p|proto|"
		"conn_state\n"
		"1.5|10.0.0\\xZZ1|1024|10.0.0.2|80|tcp|SF\n";
	expect_error("badesc.log", bad_esc, 3, 5, "id.orig_h: a bad escape");
}

/* (empty) and - in every field portaudit reads that may be unset. */
static void tsv_unset_empty(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"10.000000 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - OTH - - "
		"- - - - - - - -",
		"11.000000 C2 10.0.0.1 40001 10.0.0.2 22 tcp (empty) (empty) "
		"(empty) (empty) S0 - - (empty) (empty) (empty) (empty) "
		"(empty) (empty) (empty) (empty)",
		NULL,
	};
	assert_int_equal(read_text("unset.log", log_of(rows, true), false), 0);
	assert_int_equal(nflows, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(flows[i].pkts[0], 0);
		assert_int_equal(flows[i].pkts[1], 0);
		assert_int_equal(flows[i].bytes[0], 0);
		assert_int_equal(flows[i].first_ns, flows[i].last_ns);
		assert_int_equal(flows[i].flags[0], 0);
	}
	/* No history: the conn_state alone. */
	assert_int_equal(flows[0].outcome, CAP_OUT_MIDSTREAM);
	assert_int_equal(flows[0].initiator_inferred, 1);
	assert_int_equal(flows[1].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(flows[1].initiator_inferred, 0);
	assert_int_equal(rs.tunneled, 0);
	assert_true(rs.initiators_guessed);

	/* A field we need unset is an error at its column. */
	static const char *const bad[] = {
		"10.000000 C1 - 40000 10.0.0.2 22 tcp - - - - OTH - - - - - "
		"- - - - -",
		NULL,
	};
	expect_error("unset_addr.log", log_of(bad, true), 9, 14,
	             "id.orig_h is unset");
}

/* LogAscii::tsv=T: one line of field names, no '#' lines; twice in one
 * stream (two such files concatenated). */
static void tsv_plain_header(void **state)
{
	(void)state;
	char text[2048];
	snprintf(text, sizeof text, "%s\n%s\n%s\n%s\n",
	         tsv("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto "
	             "conn_state history orig_pkts resp_pkts"),
	         tsv("5.0 C1 10.0.0.1 1000 10.0.0.2 80 tcp REJ Sr 1 1"),
	         tsv("uid ts id.resp_h id.resp_p id.orig_h id.orig_p proto "
	             "conn_state"),
	         tsv("C2 6.0 10.0.0.4 53 10.0.0.3 2000 udp SF"));
	assert_int_equal(read_text("plain.log", text, false), 0);
	assert_int_equal(nflows, 2);
	check_ends(&flows[0], "10.0.0.1", 1000, "10.0.0.2", 80);
	assert_int_equal(flows[0].outcome, CAP_OUT_REJECTED);
	assert_int_equal(flows[0].flags[0], CAP_TH_SYN);
	assert_int_equal(flows[0].flags[1], CAP_TH_RST);
	check_ends(&flows[1], "10.0.0.3", 2000, "10.0.0.4", 53);
	assert_int_equal(flows[1].first_ns, S(6));
	assert_int_equal(flows[1].outcome, CAP_OUT_REPLIED); /* SF, no pkts */
}

/* Two rotated files in one stream: the second header (other columns,
 * other order) replaces the first. No #close at the very end either. */
static void tsv_concatenated(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"1.000000 C1 10.0.0.1 40000 10.0.0.2 22 tcp - 0.5 0 0 S0 T F 0 "
		"S 3 180 0 0 (empty) 6",
		NULL,
	};
	char text[8192];
	snprintf(text, sizeof text, "%s"
	         "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
	         "#unset_field\t-\n#path\tconn\n"
	         "#fields\tid.resp_p\tid.resp_h\tproto\tid.orig_p\tid.orig_h\t"
	         "ts\tconn_state\tvlan\n"
	         "#types\tport\taddr\tenum\tport\taddr\ttime\tstring\tint\n"
	         "161\t10.0.0.9\tudp\t50000\t10.0.0.8\t7200.25\tS0\t42\n",
	         log_of(rows, true));
	assert_int_equal(read_text("concat.log", text, false), 0);
	assert_int_equal(nflows, 2);
	assert_int_equal(rs.records, 2);
	assert_int_equal(flows[0].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(flows[0].syn_retries, 2); /* 3 SYNs */
	check_ends(&flows[1], "10.0.0.8", 50000, "10.0.0.9", 161);
	assert_int_equal(flows[1].first_ns, S(7200) + 250000000ull);
	assert_int_equal(flows[1].vlan, 42);
	assert_int_equal(flows[1].outcome, CAP_OUT_ONEWAY);
}

/* A file still being written: no #close, and its last line may lack its
 * newline (complete: read; cut: skipped and counted, not an error). */
static void tsv_being_written(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"1.000000 C1 10.0.0.1 40000 10.0.0.2 22 tcp - 0.5 0 0 S1 T F 0 "
		"ShA 2 100 1 60 (empty) 6",
		NULL,
	};
	char text[8192];
	snprintf(text, sizeof text, "%s", log_of(rows, false));
	assert_int_equal(read_text("open.log", text, false), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].outcome, CAP_OUT_ESTABLISHED);

	/* The last record complete but without its newline. */
	text[strlen(text) - 1] = '\0';
	assert_int_equal(read_text("open2.log", text, false), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(rs.malformed, 0);

	/* The last record cut in the middle. */
	snprintf(text, sizeof text, "%s%s", log_of(rows, false),
	         tsv("2.000000 C2 10.0.0.1 40001 10.0.0.2 22 tcp - 0.5 0"));
	assert_int_equal(read_text("open3.log", text, false), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(rs.records, 1); /* handed on, as nfdump's */
	assert_int_equal(rs.malformed, 1);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_lines(void **state)
{
	(void)state;
	const char *text =
		/* dotted keys, epoch seconds, Zeek's field order */
		"{\"ts\":1370200442.323173,\"uid\":\"C1\",\"id.orig_h\":"
		"\"10.0.0.1\",\"id.orig_p\":40000,\"id.resp_h\":\"10.0.0.2\","
		"\"id.resp_p\":443,\"proto\":\"tcp\",\"duration\":1.5e-05,"
		"\"conn_state\":\"SF\",\"missed_bytes\":0,\"history\":"
		"\"ShADadFf\",\"orig_pkts\":5,\"orig_ip_bytes\":300,"
		"\"resp_pkts\":4,\"resp_ip_bytes\":400,\"tunnel_parents\":[]}\n"
		/* ISO 8601, nested id, a tunnel, a vlan in id.ctx */
		"  {\"ts\":\"2013-06-02T19:14:02.323173Z\",\"id\":{\"orig_h\":"
		"\"2001:db8::1\",\"orig_p\":53000,\"resp_h\":\"2001:db8::2\","
		"\"resp_p\":53,\"ctx\":{\"vlan\":7}},\"proto\":\"udp\","
		"\"conn_state\":\"SF\",\"orig_pkts\":1,\"resp_pkts\":1,"
		"\"tunnel_parents\":[\"CuidA\",\"CuidB\"],\"extra\":{\"a\":[1,"
		"{\"b\":null}],\"c\":true,\"d\":\"\\u00e9\\\"\"}}\n"
		/* milliseconds (JSON::TS_MILLIS), and a ts as a string */
		"{\"ts\":1370200442323,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":"
		"1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"udp\","
		"\"conn_state\":\"S0\",\"missed_bytes\":12}\n"
		"{\"ts\":\"1370200442.5\",\"id.orig_h\":\"10.0.0.1\","
		"\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,"
		"\"proto\":\"udp\",\"conn_state\":\"S0\"}\n"
		/* an ISO 8601 time with an offset */
		"{\"ts\":\"2013-06-02T21:14:02.5+02:00\",\"id.orig_h\":"
		"\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\","
		"\"id.resp_p\":2,\"proto\":\"udp\",\"conn_state\":\"S0\"}\n";
	assert_int_equal(read_text("json.log", text, false), 0);
	assert_int_equal(nflows, 5);
	assert_int_equal(rs.records, 5);
	const struct cap_flow *f = &flows[0];
	check_ends(f, "10.0.0.1", 40000, "10.0.0.2", 443);
	assert_int_equal(f->first_ns, S(1370200442) + 323173000ull);
	assert_int_equal(f->last_ns, f->first_ns + 15000ull);
	assert_int_equal(f->pkts[0], 5);
	assert_int_equal(f->bytes[1], 400);
	assert_int_equal(f->outcome, CAP_OUT_CLOSED);
	f = &flows[1];
	check_ends(f, "2001:db8::1", 53000, "2001:db8::2", 53);
	assert_int_equal(f->family, 6);
	assert_int_equal(f->first_ns, S(1370200442) + 323173000ull);
	assert_int_equal(f->vlan, 7);
	assert_int_equal(f->outcome, CAP_OUT_REPLIED);
	assert_int_equal(rs.tunneled, 1);
	assert_int_equal(flows[2].first_ns, S(1370200442) + 323000000ull);
	assert_true(rs.missed_bytes);
	assert_int_equal(flows[3].first_ns, S(1370200442) + 500000000ull);
	assert_int_equal(flows[4].first_ns, S(1370200442) + 500000000ull);
}

static void json_errors(void **state)
{
	(void)state;
	expect_error("j1.log", "{\"ts\":1.0,\"id.orig_h\":\"10.0.0.1\" \"x\":1}\n",
	             1, 34, "JSON: expected ',' or '}'");
	expect_error("j2.log", "{\"ts\":1.0,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\""
	             ":1,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":"
	             "\"udp\"}\n", 1, 1, "no conn_state: not a Zeek conn.log");
	expect_error("j3.log", "{\"ts\":1.,\"x\":1}\n", 1, 9,
	             "a number without digits after its point");
	expect_error("j4.log", "{\"ts\":1.0} trailing\n", 1, 12,
	             "more after the JSON object");
	expect_error("j5.log", "{\"ts\":\"abc\n", 1, 11,
	             "a string without its closing quote");
	expect_error("j6.log", "{\"ts\":\"XXXXXXXXXX.XXXXXX\",\"id.orig_h\":"
	             "\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\","
	             "\"id.resp_p\":2,\"proto\":\"udp\",\"conn_state\":\"S0\"}\n",
	             1, 7, "ts: 'XXXXXXXXXX.XXXXXX' is not a time");
	expect_error("j7.log", "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\""
	             ":[1],\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":2,\"proto\":"
	             "\"udp\",\"conn_state\":\"S0\"}\n", 1, 44,
	             "id.orig_p: expected a string or number");
	char deep[64];
	size_t dn = (size_t)snprintf(deep, sizeof deep, "{\"a\":");
	for (int i = 0; i < 20; i++)
		deep[dn++] = '[';
	deep[dn++] = '\n';
	deep[dn] = '\0';
	expect_error("j8.log", deep, 1, 14, "nested too deep");
}

/* ---- the mapping --------------------------------------------------------- */

struct st_case {
	const char *proto, *state, *hist;
	unsigned opk, rpk;
	uint8_t outcome, inferred;
};

/* Every conn_state, alone (history unset) and with a typical history. */
static void conn_states(void **state)
{
	(void)state;
	static const struct st_case c[] = {
		{ "tcp", "S0", "-", 1, 0, CAP_OUT_UNANSWERED, 0 },
		{ "tcp", "RSTOS0", "-", 2, 0, CAP_OUT_UNANSWERED, 0 },
		{ "tcp", "SH", "-", 2, 0, CAP_OUT_UNANSWERED, 0 },
		{ "tcp", "REJ", "-", 1, 1, CAP_OUT_REJECTED, 0 },
		{ "tcp", "S1", "-", 3, 2, CAP_OUT_ESTABLISHED, 0 },
		{ "tcp", "SF", "-", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "S2", "-", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "S3", "-", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "RSTO", "-", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "RSTR", "-", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "RSTRH", "-", 0, 2, CAP_OUT_MIDSTREAM, 1 },
		{ "tcp", "SHR", "-", 0, 2, CAP_OUT_MIDSTREAM, 1 },
		{ "tcp", "OTH", "-", 1, 1, CAP_OUT_MIDSTREAM, 1 },
		/* with their histories */
		{ "tcp", "S0", "S", 1, 0, CAP_OUT_UNANSWERED, 0 },
		{ "tcp", "RSTOS0", "SR", 2, 0, CAP_OUT_UNANSWERED, 0 },
		{ "tcp", "SH", "SF", 2, 0, CAP_OUT_UNANSWERED, 0 },
		{ "tcp", "REJ", "Sr", 1, 1, CAP_OUT_REJECTED, 0 },
		{ "tcp", "S1", "ShA", 2, 1, CAP_OUT_ESTABLISHED, 0 },
		{ "tcp", "SF", "ShADadFf", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "S2", "ShADadF", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "S3", "ShADadf", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "RSTO", "ShADadR", 5, 4, CAP_OUT_CLOSED, 0 },
		{ "tcp", "RSTR", "ShADadr", 5, 4, CAP_OUT_CLOSED, 0 },
		/* the responder's SYN-ACK names the initiator */
		{ "tcp", "RSTRH", "^hr", 0, 2, CAP_OUT_CLOSED, 0 },
		{ "tcp", "SHR", "^hf", 0, 2, CAP_OUT_CLOSED, 0 },
		{ "tcp", "OTH", "^h", 0, 1, CAP_OUT_ESTABLISHED, 0 },
		/* no handshake in the history: midstream, a guess */
		{ "tcp", "RSTRH", "^dr", 0, 2, CAP_OUT_MIDSTREAM, 1 },
		{ "tcp", "SHR", "^df", 0, 2, CAP_OUT_MIDSTREAM, 1 },
		{ "tcp", "OTH", "DdA", 2, 1, CAP_OUT_MIDSTREAM, 1 },
		{ "tcp", "SF", "DaFfA", 6, 5, CAP_OUT_MIDSTREAM, 1 },
		{ "tcp", "SH", "DAF", 6, 0, CAP_OUT_MIDSTREAM, 1 },
		/* a SYN the responder answered with data only */
		{ "tcp", "OTH", "SAd", 2, 1, CAP_OUT_MIDSTREAM, 0 },
		/* UDP */
		{ "udp", "SF", "Dd", 1, 1, CAP_OUT_REPLIED, 0 },
		{ "udp", "S0", "D", 3, 0, CAP_OUT_ONEWAY, 0 },
		{ "udp", "SHR", "^d", 0, 1, CAP_OUT_ONEWAY, 1 },
		{ "udp", "OTH", "-", 0, 0, CAP_OUT_ONEWAY, 0 },
		{ "udp", "SF", "-", 1, 2, CAP_OUT_REPLIED, 0 },
	};
	char rows[sizeof c / sizeof c[0] + 1][256];
	const char *rp[sizeof c / sizeof c[0] + 1];
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		snprintf(rows[i], sizeof rows[i], "%zu.0 C 10.0.0.1 40000 "
		         "10.0.0.2 80 %s - 1.0 0 0 %s T F 0 %s %u 40 %u 40 - 6",
		         i + 1, c[i].proto, c[i].state, c[i].hist, c[i].opk,
		         c[i].rpk);
		rp[i] = rows[i];
	}
	rp[sizeof c / sizeof c[0]] = NULL;
	assert_int_equal(read_text("states.log", log_of(rp, true), false), 0);
	assert_int_equal(nflows, sizeof c / sizeof c[0]);
	for (size_t i = 0; i < nflows; i++) {
		if (flows[i].outcome != c[i].outcome ||
		    flows[i].initiator_inferred != c[i].inferred)
			fail_msg("%s %s %s: outcome %s inferred %u, want %s %u",
			         c[i].proto, c[i].state, c[i].hist,
			         cap_outcome_name(flows[i].outcome),
			         flows[i].initiator_inferred,
			         cap_outcome_name(c[i].outcome), c[i].inferred);
		check_ends(&flows[i], "10.0.0.1", 40000, "10.0.0.2", 80);
	}
	/* An unknown conn_state names its column. */
	static const char *const bad[] = {
		"1.0 C 10.0.0.1 40000 10.0.0.2 80 tcp - 1.0 0 0 XX T F 0 S 1 40 "
		"0 0 - 6",
		NULL,
	};
	expect_error("badstate.log", log_of(bad, true), 9, 48,
	             "conn_state: 'XX' is not one of Zeek's states");
}

/* History: flags each way, '^', SYN retries, and a Zeek that did not
 * flip (the originator sent the SYN-ACK). */
static void history(void **state)
{
	(void)state;
	static const char *const rows[] = {
		/* Zeek flipped: the letters are already relative to it */
		"1.0 C 141.42.64.125 56730 125.190.109.199 80 tcp http 1.5 98 "
		"9417 SF F F 0 ^hADdFaf 11 670 10 9945 - 6",
		/* 3 SYNs, no answer: 2 retries */
		"2.0 C 10.0.0.1 40000 10.0.0.2 22 tcp - 6.0 0 0 S0 T F 0 S 3 180 "
		"0 0 - 6",
		/* 2 SYNs, then RST: 1 retry */
		"3.0 C 10.0.0.1 40001 10.0.0.2 22 tcp - 1.0 0 0 REJ T F 0 Sr 2 "
		"120 1 40 - 6",
		/* a SYN, then data: no retry counted */
		"4.0 C 10.0.0.1 40002 10.0.0.2 22 tcp - 1.0 0 0 SH T F 0 SAD 3 "
		"180 0 0 - 6",
		/* not flipped: the originator sent the SYN-ACK */
		"5.0 C 10.0.0.2 22 10.0.0.1 40003 tcp - 1.0 0 0 OTH T F 0 HadA 3 "
		"300 2 100 - 6",
		NULL,
	};
	assert_int_equal(read_text("hist.log", log_of(rows, true), false), 0);
	assert_int_equal(nflows, 5);
	const struct cap_flow *f = &flows[0];
	check_ends(f, "141.42.64.125", 56730, "125.190.109.199", 80);
	assert_int_equal(f->outcome, CAP_OUT_CLOSED);
	assert_int_equal(f->initiator_inferred, 0);
	assert_int_equal(f->flags[0], CAP_TH_ACK | CAP_TH_PSH | CAP_TH_FIN);
	assert_int_equal(f->flags[1], CAP_TH_SYN | CAP_TH_ACK | CAP_TH_PSH |
	                              CAP_TH_FIN);
	assert_int_equal(f->syn_retries, 0);
	assert_int_equal(flows[1].syn_retries, 2);
	assert_int_equal(flows[1].outcome, CAP_OUT_UNANSWERED);
	assert_int_equal(flows[2].syn_retries, 1);
	assert_int_equal(flows[2].outcome, CAP_OUT_REJECTED);
	assert_int_equal(flows[3].syn_retries, 0);
	assert_int_equal(flows[3].outcome, CAP_OUT_UNANSWERED);
	f = &flows[4];
	check_ends(f, "10.0.0.1", 40003, "10.0.0.2", 22);
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->pkts[1], 3);
	assert_int_equal(f->bytes[0], 100);
	assert_int_equal(f->flags[1], CAP_TH_SYN | CAP_TH_ACK);
	assert_int_equal(f->flags[0], CAP_TH_ACK | CAP_TH_PSH);
	assert_int_equal(f->outcome, CAP_OUT_ESTABLISHED);
	assert_int_equal(f->initiator_inferred, 0);
}

/* ICMP: Zeek's orig_p is the type, resp_p the paired type or the code;
 * portaudit's port_b is type << 8 | code, port_a the echo id (none). */
static void icmp(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"1.0 C 10.0.0.1 8 10.0.0.2 0 icmp - 3.0 224 224 OTH T T 0 - 4 336 "
		"4 336 - 1",
		/* an echo reply first: its sender is the responder */
		"2.0 C 10.0.0.2 0 10.0.0.1 8 icmp - 1.0 0 0 OTH T T 0 - 1 84 0 0 "
		"- 1",
		/* port unreachable, one way */
		"3.0 C 10.0.0.2 3 10.0.0.1 3 icmp - - 0 0 OTH T T 0 - 1 56 0 0 - "
		"1",
		/* ICMPv6: echo, neighbour solicitation (paired with 136),
		 * an MLD report (one way: resp_p is its code) */
		"4.0 C fc00::1:1 128 fc00::1 129 icmp - 0.1 0 0 OTH T T 0 - 5 500 "
		"5 500 - 58",
		"5.0 C fe80::1 135 ff02::1:ff00:1 136 icmp - - 0 0 OTH T T 0 - 1 "
		"64 0 0 - 58",
		"6.0 C fe80::1 143 ff02::16 0 icmp - - 0 0 OTH T T 0 - 2 152 0 0 "
		"- 58",
		/* ICMPv6 time exceeded, code 1 */
		"7.0 C fe80::1 3 fe80::2 1 icmp - - 0 0 OTH T T 0 - 1 100 0 0 - "
		"58",
		NULL,
	};
	assert_int_equal(read_text("icmp.log", log_of(rows, true), false), 0);
	assert_int_equal(nflows, 7);
	check_ends(&flows[0], "10.0.0.1", 0, "10.0.0.2", 8 << 8);
	assert_int_equal(flows[0].proto, 1);
	assert_int_equal(flows[0].outcome, CAP_OUT_REPLIED);
	assert_int_equal(flows[0].icmp_type, 0);
	check_ends(&flows[1], "10.0.0.1", 0, "10.0.0.2", 8 << 8);
	assert_int_equal(flows[1].pkts[0], 0);
	assert_int_equal(flows[1].pkts[1], 1);
	assert_int_equal(flows[1].outcome, CAP_OUT_REPLIED);
	check_ends(&flows[2], "10.0.0.2", 0, "10.0.0.1", 3 << 8 | 3);
	assert_int_equal(flows[2].icmp_type, 3);
	assert_int_equal(flows[2].icmp_code, 3);
	assert_int_equal(flows[2].outcome, CAP_OUT_UNREACHABLE);
	assert_int_equal(flows[3].proto, 58);
	check_ends(&flows[3], "fc00::1:1", 0, "fc00::1", 128 << 8);
	assert_int_equal(flows[3].outcome, CAP_OUT_REPLIED);
	check_ends(&flows[4], "fe80::1", 0, "ff02::1:ff00:1", 135 << 8);
	assert_int_equal(flows[4].outcome, CAP_OUT_ONEWAY);
	check_ends(&flows[5], "fe80::1", 0, "ff02::16", 143 << 8);
	check_ends(&flows[6], "fe80::1", 0, "fe80::2", 3 << 8 | 1);
	assert_int_equal(flows[6].icmp_type, 3);
	assert_int_equal(flows[6].icmp_code, 1);
	assert_int_equal(flows[6].outcome, CAP_OUT_UNREACHABLE);
	for (unsigned i = 0; i < nflows; i++)
		assert_int_equal(flows[i].initiator_inferred, 0);
	/* A type beyond 255 is no ICMP type. */
	static const char *const bad[] = {
		"1.0 C 10.0.0.1 300 10.0.0.2 0 icmp - - 0 0 OTH T T 0 - 1 84 0 0 "
		"- 1",
		NULL,
	};
	expect_error("badicmp.log", log_of(bad, true), 9, 16,
	             "id.orig_p: '300' is not a whole number from 0 to 255");
}

/* vlan, id.ctx.vlan, missed_bytes, tunnel_parents, unknown_transport. */
static void extras(void **state)
{
	(void)state;
	const char *text =
		"#separator \\x09\n"
		"#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
		"conn_state\tmissed_bytes\ttunnel_parents\tvlan\tinner_vlan\t"
		"id.ctx.vlan\tip_proto\torig_pkts\tresp_pkts\n"
		"1.0\t10.0.0.1\t1\t10.0.0.2\t2\tudp\tSF\t0\tCa,Cb\t100\t200\t300\t"
		"17\t1\t1\n"
		"2.0\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tSF\t1460\t-\t-\t-\t300\t6\t1"
		"\t1\n"
		"3.0\t10.0.0.1\t0\t10.0.0.2\t0\tunknown_transport\tOTH\t0\t"
		"(empty)\t-\t-\t-\t47\t3\t2\n";
	assert_int_equal(read_text("extras.log", text, false), 0);
	assert_int_equal(nflows, 3);
	assert_int_equal(flows[0].vlan, 100); /* vlan first, the outer tag */
	assert_int_equal(flows[1].vlan, 300); /* else id.ctx.vlan */
	assert_int_equal(rs.tunneled, 1);
	assert_true(rs.missed_bytes);
	assert_int_equal(flows[2].proto, 47);
	assert_int_equal(flows[2].port_a, 0);
	assert_int_equal(flows[2].outcome, CAP_OUT_REPLIED);
	/* A VLAN id beyond 4095. */
	const char *bad =
		"#separator \\x09\n"
		"#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
		"conn_state\tvlan\n"
		"1.0\t10.0.0.1\t1\t10.0.0.2\t2\tudp\tSF\t4096\n";
	expect_error("badvlan.log", bad, 3, 34, "vlan: '4096' is not a whole "
	             "number from 0 to 4095");
}

/* ---- errors -------------------------------------------------------------- */

static void errors(void **state)
{
	(void)state;
	/* A masked timestamp, as in Zeek's own test baselines. */
	static const char *const masked[] = {
		"XXXXXXXXXX.XXXXXX C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 "
		"- - 0 S 1 60 0 0 - 6",
		NULL,
	};
	expect_error("masked.log", log_of(masked, true), 9, 1,
	             "ts: 'XXXXXXXXXX.XXXXXX' is not a time");
	static const char *const badaddr[] = {
		"1.0 C1 10.0.0.300 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1 60 "
		"0 0 - 6",
		NULL,
	};
	expect_error("addr.log", log_of(badaddr, true), 9, 8,
	             "id.orig_h: '10.0.0.300' is not an IP address");
	static const char *const badport[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 70000 tcp - - - - S0 - - 0 S 1 60 "
		"0 0 - 6",
		NULL,
	};
	expect_error("port.log", log_of(badport, true), 9, 32,
	             "id.resp_p: '70000' is not a whole number from 0 to "
	             "65535");
	static const char *const mixed[] = {
		"1.0 C1 10.0.0.1 40000 ::1 22 tcp - - - - S0 - - 0 S 1 60 0 0 - 6",
		NULL,
	};
	expect_error("mixed.log", log_of(mixed, true), 9, 23,
	             "id.resp_h is IPv6 but id.orig_h IPv4");
	static const char *const proto[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 22 sctp - - - - S0 - - 0 S 1 60 "
		"0 0 - 132",
		NULL,
	};
	expect_error("proto.log", log_of(proto, true), 9, 35,
	             "proto: 'sctp' is not tcp, udp, icmp");
	static const char *const dur[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - -1.5 - - S0 - - 0 S 1 60 "
		"0 0 - 6",
		NULL,
	};
	expect_error("dur.log", log_of(dur, true), 9, 41,
	             "duration: '-1.5' is not a number of seconds");
	static const char *const pk[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1x 60 "
		"0 0 - 6",
		NULL,
	};
	expect_error("pkts.log", log_of(pk, true), 9, 58,
	             "orig_pkts: '1x' is not a whole number");
	/* One field short, one too many. */
	static const char *const shortrow[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1 60 0 "
		"0 -",
		NULL,
	};
	expect_error("short.log", log_of(shortrow, true), 9, 68,
	             "21 fields where #fields names 22");
	static const char *const longrow[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1 60 0 "
		"0 - 6 extra",
		NULL,
	};
	expect_error("long.log", log_of(longrow, true), 9, 71,
	             "23 fields where #fields names 22");

	/* Not a conn.log: no header, or a dns.log's fields. */
	assert_int_equal(read_text("nohdr.log", tsv("1.0 C1 10.0.0.1 1 10.0.0.2 "
	                                             "2 udp S0\n"), false), -1);
	assert_true(pa_contains(err, "nohdr.log:1:1: not a Zeek conn.log: a "
	                        "record before any #fields header"));
	assert_int_equal(read_text("dns.log", "#separator \\x09\n#fields\tts\t"
	                           "uid\tid.orig_h\tid.orig_p\tid.resp_h\t"
	                           "id.resp_p\tproto\tquery\n", true), -1);
	assert_true(pa_contains(err, "dns.log:2:1: the fields lack conn_state"));
	assert_int_equal(read_text("sep.log", "#separator\n", false), -1);
	assert_true(pa_contains(err, "sep.log:1:11: #separator: expected"));
	assert_int_equal(read_text("sep2.log", "#separator \\x\n", false), -1);
	assert_true(pa_contains(err, "sep2.log:1:12: #separator: expected 1 "
	                        "to 31 bytes"));

	/* Files: empty, missing, a pcap. */
	assert_int_equal(read_text("empty.log", "", false), -1);
	assert_true(pa_contains(err, "empty.log: empty file (0 bytes)"));
	assert_int_equal(read_path(pa_tmp("missing.log"), false), -1);
	assert_true(pa_contains(err, "missing.log: cannot open: No such file"));
	assert_int_equal(read_path(pa_src("pcaps/demo.pcap"), false), -1);
	assert_true(pa_contains(err, "demo.pcap:1:1: not a Zeek conn.log"));

	/* A line longer than 64 KiB. */
	size_t n = 70000;
	char *big = malloc(n + 600);
	assert_non_null(big);
	size_t k = (size_t)snprintf(big, 600, "%s", header());
	memset(big + k, 'x', n);
	snprintf(big + k + n, 600, "\n%s\n",
	         tsv("1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 "
	             "S 1 60 0 0 - 6"));
	expect_error("huge.log", big, 9, 65537, "a line longer than 65536 "
	             "bytes");
	/* skip_bad: the long line counted as malformed, the next one read. */
	assert_int_equal(nflows, 1);
	assert_int_equal(rs.records, 1);
	assert_int_equal(rs.malformed, 1);
	free(big);
	/* Longer than the read buffer: skipped to its end. */
	n = 1000000;
	big = malloc(n + 600);
	assert_non_null(big);
	k = (size_t)snprintf(big, 600, "%s", header());
	memset(big + k, 'y', n);
	snprintf(big + k + n, 600, "\n%s\n",
	         tsv("1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 "
	             "S 1 60 0 0 - 6"));
	expect_error("huger.log", big, 9, 65537, "a line longer than 65536 "
	             "bytes");
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].port_a, 40000);
	free(big);
}

/* Addresses and times at their edges, through the inline parsers. */
static void edges(void **state)
{
	(void)state;
	static const char *const good[] = {
		"0.0.0.0", "255.255.255.255", "1.2.3.4", "10.200.30.9",
		"::", "::1", "2001:db8::ffff:1.2.3.4", "fe80::1",
	};
	static const char *const bad[] = {
		"256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3",
		"1.2.3.4x", "1.2.3.1000", "-1.2.3.4", "1.2.3.", ".1.2.3",
		"1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "g::1",
	};
	char text[4096];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(text, sizeof text, "#separator \\x09\n#fields\tts\t"
		         "id.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
		         "conn_state\n1.0\t%s\t1\t%s\t2\tudp\tS0\n", good[i],
		         good[i]);
		if (read_text("good_addr.log", text, false) != 0)
			fail_msg("%s: %s", good[i], err);
		check_ends(&flows[0], good[i], 1, good[i], 2);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "#separator \\x09\n#fields\tts\t"
		         "id.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
		         "conn_state\n1.0\t%s\t1\t10.0.0.1\t2\tudp\tS0\n",
		         bad[i]);
		if (read_text("bad_addr.log", text, false) != -1 ||
		    !strstr(err, ":3:5: id.orig_h: '"))
			fail_msg("%s: accepted, or '%s'", bad[i], err);
	}
	static const struct {
		const char *ts;
		uint64_t ns;
	} times[] = {
		{ "0", 0 },
		{ "0.000000", 0 },
		{ "1.5", 1500000000ull },
		{ "1370200442.323173", 1370200442323173000ull },
		{ "1370200442.123456789", 1370200442123456789ull },
		{ "1370200442.1234567891", 1370200442123456789ull }, /* cut */
		{ "18446744072.5", 18446744072500000000ull },
		{ "1.370200442323173e9", 1370200442323173000ull },
		{ "1370200442323", 1370200442323000000ull },     /* ms */
		{ "1370200442323.5", 1370200442323500000ull },   /* ms */
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2013-06-02T19:14:02.323173Z", 1370200442323173000ull },
		{ "2013-06-02 19:14:02.323173", 1370200442323173000ull },
		{ "2013-06-02T21:14:02.323173+02:00", 1370200442323173000ull },
		{ "2013-06-02T17:14:02.323173-0200", 1370200442323173000ull },
		{ "2012-02-29T00:00:00Z", 1330473600000000000ull },
	};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		snprintf(text, sizeof text, "{\"ts\":\"%s\",\"id.orig_h\":"
		         "\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":"
		         "\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"udp\","
		         "\"conn_state\":\"S0\"}\n", times[i].ts);
		if (read_text("ts.log", text, false) != 0)
			fail_msg("%s: %s", times[i].ts, err);
		if (flows[0].first_ns != times[i].ns)
			fail_msg("%s: %llu", times[i].ts,
			         (unsigned long long)flows[0].first_ns);
	}
	static const char *const badts[] = {
		"", "1.", "-1", "1x", "2013-02-29T00:00:00Z", "2013-13-01T00:00:00Z",
		"2013-06-02T24:00:00Z", "1969-12-31T23:59:59Z", "2013-06-02",
		"2013-06-02T19:14:02.Z", "1e400", "18446744073709551616",
		"NaN", "1.5e", "0x10", "99999999999.5", "18446744074",
	};
	for (size_t i = 0; i < sizeof badts / sizeof badts[0]; i++) {
		snprintf(text, sizeof text, "{\"ts\":\"%s\",\"id.orig_h\":"
		         "\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":"
		         "\"10.0.0.2\",\"id.resp_p\":2,\"proto\":\"udp\","
		         "\"conn_state\":\"S0\"}\n", badts[i]);
		if (read_text("badts.log", text, false) != -1 ||
		    !strstr(err, ":1:7: ts: '"))
			fail_msg("%s: accepted, or '%s'", badts[i], err);
	}
}

/* skip_bad: every bad record counted, the good ones handed on. */
static void skip_bad_counts(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"1.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1 60 0 "
		"0 - 6",
		"XXXXXXXXXX.XXXXXX C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - "
		"- 0 S 1 60 0 0 - 6",
		"2.0 C1 bad 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1 60 0 0 - 6",
		"3.0 C1 10.0.0.1 40000 10.0.0.2 22 tcp - - - - S0 - - 0 S 1 60 0 "
		"0 - 6",
		"4.0 too few fields",
		NULL,
	};
	char text[8192];
	snprintf(text, sizeof text, "%s{\"ts\":\n{\"ts\":5,\"id.orig_h\":"
	         "\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":\"10.0.0.2\","
	         "\"id.resp_p\":2,\"proto\":\"udp\",\"conn_state\":\"S0\"}\n",
	         log_of(rows, true));
	assert_int_equal(read_text("skip.log", text, true), 0);
	assert_int_equal(rs.records, 3); /* handed on: 7 lines, 4 bad */
	assert_int_equal(rs.malformed, 4);
	assert_int_equal(nflows, 3);
	assert_int_equal(flows[0].first_ns, S(1));
	assert_int_equal(flows[1].first_ns, S(3));
	assert_int_equal(flows[2].first_ns, S(5));
	/* Without skip_bad: the first bad one, counted. */
	assert_int_equal(read_text("skip.log", text, false), -1);
	assert_int_equal(rs.malformed, 1);
	assert_int_equal(nflows, 1);
	assert_true(pa_contains(err, "skip.log:10:1: ts:"));
}

/* ---- gzip, directories, standard input ----------------------------------- */

static void write_gz(const char *path, const char *text, bool append)
{
	gzFile g = gzopen(path, append ? "ab" : "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)),
	                 (int)strlen(text));
	assert_int_equal(gzclose(g), Z_OK);
}

static const char *row_at(unsigned sec, unsigned port)
{
	static char b[8][300];
	static unsigned k;
	char *r = b[k++ % 8];
	char w[300];
	snprintf(w, sizeof w, "%u.0 C 10.0.0.1 %u 10.0.0.2 22 tcp - - - - S0 "
	         "- - 0 S 1 60 0 0 - 6", sec, port);
	snprintf(r, 300, "%s", tsv(w));
	return r;
}

static void gzip_files(void **state)
{
	(void)state;
	char text[8192];
	const char *p = pa_tmp("conn.log.gz");
	snprintf(text, sizeof text, "%s%s\n#close\tx\n", header(),
	         row_at(1, 1001));
	write_gz(p, text, false);
	/* A second gzip member (cat a.gz b.gz): a second header. */
	snprintf(text, sizeof text, "%s%s\n", header(), row_at(2, 1002));
	write_gz(p, text, true);
	assert_int_equal(read_path(p, false), 0);
	assert_int_equal(nflows, 2);
	assert_int_equal(flows[1].port_a, 1002);

	/* Cut short: the records before the cut are kept (a warning). */
	size_t len;
	char *gz = pa_read_file(p, &len);
	assert_non_null(gz);
	FILE *f = fopen(pa_tmp("cut.log.gz"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(gz, 1, len - 30, f), len - 30);
	fclose(f);
	free(gz);
	assert_int_equal(read_path(pa_tmp("cut.log.gz"), false), 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(rs.malformed, 1); /* the record the cut went through */

	/* Corrupt data is an error naming the file. */
	gz = pa_read_file(p, &len);
	for (size_t i = 20; i < 60 && i < len; i++)
		gz[i] = (char)(gz[i] ^ 0x5a);
	f = fopen(pa_tmp("bad.log.gz"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(gz, 1, len, f), len);
	fclose(f);
	free(gz);
	assert_int_equal(read_path(pa_tmp("bad.log.gz"), false), -1);
	assert_true(pa_contains(err, "bad.log.gz:1: gzip data:"));
}

static void directory(void **state)
{
	(void)state;
	const char *d = pa_tmp("logs");
	assert_int_equal(mkdir(d, 0755), 0);
	char path[1024], text[8192];
	/* Written out of order; read in name order. */
	snprintf(path, sizeof path, "%s/conn.01:00:00-02:00:00.log", d);
	snprintf(text, sizeof text, "%s%s\n", header(), row_at(3600, 2));
	pa_write_file(path, text);
	snprintf(path, sizeof path, "%s/conn.00:00:00-01:00:00.log.gz", d);
	snprintf(text, sizeof text, "%s%s\n%s\n", header(), row_at(10, 1),
	         row_at(20, 1));
	write_gz(path, text, false);
	snprintf(path, sizeof path, "%s/conn.log", d);
	snprintf(text, sizeof text, "%s%s\n", header(), row_at(7300, 3));
	pa_write_file(path, text);
	/* Not conn logs: skipped. */
	snprintf(path, sizeof path, "%s/dns.00:00:00-01:00:00.log", d);
	pa_write_file(path, "not a conn log\n");
	snprintf(path, sizeof path, "%s/conn-summary.00:00:00-01:00:00.log", d);
	pa_write_file(path, "a zeekctl report\n");
	snprintf(path, sizeof path, "%s/conn.d", d);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(read_path(d, false), 0);
	assert_int_equal(nflows, 4);
	assert_int_equal(flows[0].first_ns, S(10));
	assert_int_equal(flows[1].first_ns, S(20));
	assert_int_equal(flows[2].first_ns, S(3600));
	assert_int_equal(flows[3].first_ns, S(7300));

	/* An error names the file in the directory, and its line. */
	snprintf(path, sizeof path, "%s/conn.02:00:00-03:00:00.log", d);
	snprintf(text, sizeof text, "%s%s\nbad\n", header(), row_at(7200, 4));
	pa_write_file(path, text);
	assert_int_equal(read_path(d, false), -1);
	char want[1100];
	snprintf(want, sizeof want, "%s:10:4: 1 fields where", path);
	assert_true(pa_contains(err, want));

	/* A file that cannot be read at all (empty: a logger that died, a
	 * rotation cut short; a header that is not a conn.log's) is an
	 * error; with skip_bad it is skipped, the other files are read, and
	 * rs names the first one skipped and counts them. */
	snprintf(path, sizeof path, "%s/conn.02:00:00-03:00:00.log", d);
	snprintf(text, sizeof text, "%s%s\n", header(), row_at(7200, 4));
	pa_write_file(path, text);
	char empty[1024];
	snprintf(empty, sizeof empty, "%s/conn.01:30:00-02:00:00.log", d);
	pa_write_file(empty, "");
	snprintf(path, sizeof path, "%s/conn.01:40:00-02:00:00.log", d);
	pa_write_file(path, "#separator \\x\n");
	assert_int_equal(read_path(d, false), -1);
	snprintf(want, sizeof want, "%s: empty file (0 bytes)", empty);
	assert_true(pa_contains(err, want));
	assert_int_equal(read_path(d, true), 0);
	assert_int_equal(nflows, 5);
	assert_int_equal(flows[4].first_ns, S(7300));
	assert_int_equal(rs.skipped, 2);
	assert_true(pa_contains(rs.skipped_what, want));
	assert_int_equal(unlink(empty), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(read_path(d, true), 0);
	assert_int_equal(rs.skipped, 0);

	/* When no file of the directory can be read, it is an error still. */
	const char *allbad = pa_tmp("allbad");
	assert_int_equal(mkdir(allbad, 0755), 0);
	snprintf(path, sizeof path, "%s/conn.log", allbad);
	pa_write_file(path, "");
	assert_int_equal(read_path(allbad, true), -1);
	assert_true(pa_contains(err, "no conn log in the directory could be "
	                        "read"));
	assert_true(pa_contains(err, "empty file (0 bytes)"));

	/* No conn log at all. */
	const char *e = pa_tmp("nologs");
	assert_int_equal(mkdir(e, 0755), 0);
	snprintf(path, sizeof path, "%s/dns.log", e);
	pa_write_file(path, "x\n");
	assert_int_equal(read_path(e, false), -1);
	assert_true(pa_contains(err, "no conn log in the directory"));
}

static void standard_input(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof text, "%s%s\n", header(), row_at(5, 5));
	const char *p = pa_tmp("stdin.log");
	pa_write_file(p, text);
	int saved = dup(0);
	assert_true(saved >= 0);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	int rc = read_path("-", false);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(nflows, 1);
	assert_int_equal(flows[0].port_a, 5);

	/* An error on standard input names it "stdin". */
	p = pa_tmp("stdin_bad.log");
	pa_write_file(p, "garbage\n");
	saved = dup(0);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	rc = read_path("-", false);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(rc, -1);
	assert_true(pa_contains(err, "stdin:1:1: not a Zeek conn.log"));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(tsv_basic),
		cmocka_unit_test(tsv_separator_escapes),
		cmocka_unit_test(tsv_unset_empty),
		cmocka_unit_test(tsv_plain_header),
		cmocka_unit_test(tsv_concatenated),
		cmocka_unit_test(tsv_being_written),
		cmocka_unit_test(json_lines),
		cmocka_unit_test(json_errors),
		cmocka_unit_test(conn_states),
		cmocka_unit_test(history),
		cmocka_unit_test(icmp),
		cmocka_unit_test(extras),
		cmocka_unit_test(errors),
		cmocka_unit_test(edges),
		cmocka_unit_test(skip_bad_counts),
		cmocka_unit_test(gzip_files),
		cmocka_unit_test(directory),
		cmocka_unit_test(standard_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
