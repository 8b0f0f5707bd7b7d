/* it_tunnels.c -- the real binary on tunnelled traffic, checked against
 * tools that decapsulate on their own:
 *
 *  - Zeek: ../shared/zeek/vxlan.pcap and the conn.log Zeek wrote for it.
 *    Every Zeek connection is one of our flows with the same endpoints,
 *    protocol and packets each way; an inner connection (tunnel_parents
 *    set) has our tunnel, of kind vxlan, between the addresses of its
 *    parent connections (UDP 4789); an outer one has none. --no-decap
 *    leaves the outer connections only.
 *  - tshark: the tunnel captures of tcpdump's test corpus (VXLAN, Geneve,
 *    GRE, ERSPAN I, II, III), and a capture generated here for the kinds
 *    the corpus lacks (GTP-U, Teredo, AYIYA, IPv4-in-IPv4, 6in4, 4in6,
 *    6in6, and VXLAN in GRE; the corpus's 6in4 captures carry no TCP, UDP
 *    or ICMP inside): our TCP/UDP flows summed per tuple (tshark's
 *    conversations know no tunnels and never time out) against `tshark -z
 *    conv,tcp -z conv,udp`, which counts the conversations inside tunnels
 *    as well as the outer ones; inner ICMP echo against the innermost
 *    addresses tshark shows for each echo frame. Each capture must also
 *    give at least one flow inside a tunnel of the expected kind, so the
 *    comparison is about decapsulation.
 *  - the reports: the tunnel in JSON findings (and tunnel_mixed when a
 *    finding's flows came through several), JSON-lines flow events, the
 *    flows CSV columns, and --evidence writing a tunnelled frame once. */
#include "harness.h"
#include "test_report_fixture.h" /* sch_check: docs/report.schema.json */
#include "tshark_conv.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

/* ---- our flows, from --jsonl --------------------------------------------- */

struct flow {
	char proto[12];            /* "TCP", "UDP", "ICMP", "GRE", ... */
	char src[64], dst[64];
	unsigned sport, dport;     /* ICMP: type, code */
	unsigned long long pkts[2];
	char tkind[16];            /* "" outside any tunnel */
	char tsrc[64], tdst[64];
	long long tid;             /* -1 none */
	bool matched;
};

#define MAXF 4096
static struct flow fl[MAXF];
static unsigned nfl;

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static unsigned long long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
}

/* Run the binary on `pcap` (extra arguments before it) and load its flow
 * events. */
static void run_flows(const char *pcap, const char *extra)
{
	const char *out = pa_tmp("flows.jsonl");
	unlink(out);
	struct pa_result r;
	if (extra)
		pa_runl(&r, "-q", extra, "-r", pcap, "--jsonl", out, NULL);
	else
		pa_runl(&r, "-q", "-r", pcap, "--jsonl", out, NULL);
	if (r.status != 0 && r.status != 1 && r.status != 3)
		fail_msg("%s: status %d: %s", pcap, r.status, r.err);
	pa_result_free(&r);
	char *s = pa_read_file(out, NULL);
	assert_non_null(s);
	nfl = 0;
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		json_error_t e;
		json_t *o = json_loads(line, 0, &e);
		if (!o)
			fail_msg("%s: not JSON: %s", pcap, line);
		if (strcmp(jstr(o, "event_type"), "flow") == 0) {
			assert_true(nfl < MAXF);
			struct flow *f = &fl[nfl++];
			memset(f, 0, sizeof *f);
			snprintf(f->proto, sizeof f->proto, "%s", jstr(o, "proto"));
			snprintf(f->src, sizeof f->src, "%s", jstr(o, "src_ip"));
			snprintf(f->dst, sizeof f->dst, "%s", jstr(o, "dest_ip"));
			bool icmp = strstr(f->proto, "ICMP") != NULL;
			/* ports for TCP and UDP alone: none for a tunnel's outer
			 * flow (GRE, IPIP, IPv6), as EVE has them */
			bool l4 = strcmp(f->proto, "TCP") == 0 ||
			          strcmp(f->proto, "UDP") == 0;
			if (!l4 && (json_object_get(o, "src_port") ||
			            json_object_get(o, "dest_port")))
				fail_msg("%s: a %s flow with ports", pcap, f->proto);
			f->sport = (unsigned)jint(o, icmp ? "icmp_type" : "src_port");
			f->dport = (unsigned)jint(o, icmp ? "icmp_code" : "dest_port");
			json_t *fo = json_object_get(o, "flow");
			f->pkts[0] = jint(fo, "pkts_toserver");
			f->pkts[1] = jint(fo, "pkts_toclient");
			f->tid = -1;
			json_t *t = json_object_get(o, "tunnel");
			if (t) {
				snprintf(f->tkind, sizeof f->tkind, "%s", jstr(t, "kind"));
				snprintf(f->tsrc, sizeof f->tsrc, "%s", jstr(t, "src_ip"));
				snprintf(f->tdst, sizeof f->tdst, "%s", jstr(t, "dest_ip"));
				const char *idk[] = { "vni", "key", "session_id" };
				for (size_t i = 0; i < 3; i++)
					if (json_object_get(t, idk[i]))
						f->tid = (long long)jint(t, idk[i]);
			}
		}
		json_decref(o);
		line = nl ? nl + 1 : NULL;
	}
	free(s);
}

static bool same_pair(const char *a1, const char *b1, const char *a2,
                      const char *b2)
{
	return (strcmp(a1, a2) == 0 && strcmp(b1, b2) == 0) ||
	       (strcmp(a1, b2) == 0 && strcmp(b1, a2) == 0);
}

/* ---- Zeek --------------------------------------------------------------- */

struct zconn {
	char uid[32], orig[64], resp[64], proto[8], parents[256];
	unsigned op, rp;
	unsigned long long opk, rpk;
};

static unsigned zeek_conns(const char *path, struct zconn *z, unsigned max)
{
	char *s = pa_read_file(path, NULL);
	assert_non_null(s);
	int col[32];
	for (int i = 0; i < 32; i++)
		col[i] = -1;
	enum { UID, OH, OP, RH, RP, PROTO, OPK, RPK, PAR, NCOL };
	static const char *const names[NCOL] = {
		"uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
		"proto", "orig_pkts", "resp_pkts", "tunnel_parents",
	};
	unsigned n = 0;
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *f[64];
		int nf = 0;
		for (char *p = line; nf < 64;) {
			f[nf++] = p;
			char *t = strchr(p, '\t');
			if (!t)
				break;
			*t = 0;
			p = t + 1;
		}
		if (strcmp(f[0], "#fields") == 0) {
			for (int i = 1; i < nf; i++)
				for (int k = 0; k < NCOL; k++)
					if (strcmp(f[i], names[k]) == 0)
						col[k] = i - 1;
		} else if (f[0][0] != '#' && nf > 1) {
			for (int k = 0; k < NCOL; k++)
				assert_true(col[k] >= 0 && col[k] < nf);
			assert_true(n < max);
			struct zconn *c = &z[n++];
			snprintf(c->uid, sizeof c->uid, "%s", f[col[UID]]);
			snprintf(c->orig, sizeof c->orig, "%s", f[col[OH]]);
			snprintf(c->resp, sizeof c->resp, "%s", f[col[RH]]);
			snprintf(c->proto, sizeof c->proto, "%s", f[col[PROTO]]);
			snprintf(c->parents, sizeof c->parents, "%s", f[col[PAR]]);
			c->op = (unsigned)strtoul(f[col[OP]], NULL, 10);
			c->rp = (unsigned)strtoul(f[col[RP]], NULL, 10);
			c->opk = strtoull(f[col[OPK]], NULL, 10);
			c->rpk = strtoull(f[col[RPK]], NULL, 10);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(s);
	return n;
}

static const struct zconn *zeek_by_uid(const struct zconn *z, unsigned n,
                                       const char *uid, size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (strlen(z[i].uid) == len && strncmp(z[i].uid, uid, len) == 0)
			return &z[i];
	return NULL;
}

/* Our flow for a Zeek connection: same protocol, endpoints and packets
 * each way, in either orientation. */
static struct flow *match_zeek(const struct zconn *c)
{
	char up[8];
	size_t i;
	for (i = 0; c->proto[i] && i < sizeof up - 1; i++)
		up[i] = (char)(c->proto[i] - 'a' + 'A');
	up[i] = 0;
	for (unsigned k = 0; k < nfl; k++) {
		struct flow *f = &fl[k];
		if (f->matched || strcmp(f->proto, up) != 0)
			continue;
		if (strcmp(f->src, c->orig) == 0 && strcmp(f->dst, c->resp) == 0 &&
		    f->sport == c->op && f->dport == c->rp &&
		    f->pkts[0] == c->opk && f->pkts[1] == c->rpk)
			return f;
		/* ICMP: Zeek's ports are type and code of the first packet */
		if (strcmp(up, "ICMP") == 0 && strcmp(f->dst, c->orig) == 0 &&
		    strcmp(f->src, c->resp) == 0 && f->pkts[1] == c->opk &&
		    f->pkts[0] == c->rpk)
			return f;
	}
	return NULL;
}

static void test_zeek_vxlan(void **state)
{
	(void)state;
	const char *pcap = pa_src("../shared/zeek/vxlan.pcap");
	if (access(pcap, R_OK) != 0)
		pa_skip("../shared/zeek/vxlan.pcap not found");
	static struct zconn z[64];
	unsigned nz = zeek_conns(pa_src("../shared/zeek/vxlan.conn.log"), z, 64);
	assert_true(nz >= 2);
	run_flows(pcap, NULL);
	unsigned inner = 0;
	for (unsigned i = 0; i < nz; i++) {
		struct flow *f = match_zeek(&z[i]);
		if (!f)
			fail_msg("Zeek %s %s %s:%u -> %s:%u (%llu/%llu packets): no "
			         "such flow of ours", z[i].uid, z[i].proto, z[i].orig,
			         z[i].op, z[i].resp, z[i].rp, z[i].opk, z[i].rpk);
		f->matched = true;
		if (strcmp(z[i].parents, "-") == 0) {
			assert_string_equal(f->tkind, "");
			continue;
		}
		/* Its tunnel joins the addresses of every parent (UDP 4789
		 * connections, one per direction and source port). */
		inner++;
		assert_string_equal(f->tkind, "vxlan");
		for (const char *p = z[i].parents; *p;) {
			size_t len = strcspn(p, ",");
			const struct zconn *par = zeek_by_uid(z, nz, p, len);
			assert_non_null(par);
			assert_int_equal(par->rp, 4789);
			if (!same_pair(par->orig, par->resp, f->tsrc, f->tdst))
				fail_msg("parent %s %s <-> %s, our tunnel %s <-> %s",
				         par->uid, par->orig, par->resp, f->tsrc,
				         f->tdst);
			p += len;
			if (*p == ',')
				p++;
		}
		printf("zeek %s: %s %s -> %s in vxlan %s <-> %s vni %lld\n",
		       z[i].uid, z[i].proto, z[i].orig, z[i].resp, f->tsrc,
		       f->tdst, f->tid);
	}
	assert_true(inner >= 1);
	/* ...and no flow of ours that Zeek did not see. */
	for (unsigned k = 0; k < nfl; k++)
		if (!fl[k].matched)
			fail_msg("our %s flow %s -> %s not in Zeek's conn.log",
			         fl[k].proto, fl[k].src, fl[k].dst);
	printf("zeek: %u connections (%u inside VXLAN), %u flows\n", nz, inner,
	       nfl);

	/* --no-decap: Zeek's outer connections only, and no tunnel. */
	run_flows(pcap, "--no-decap");
	assert_int_equal(nfl, nz - inner);
	for (unsigned k = 0; k < nfl; k++) {
		assert_string_equal(fl[k].proto, "UDP");
		assert_int_equal(fl[k].dport, 4789);
		assert_string_equal(fl[k].tkind, "");
	}
}

/* ---- tshark ------------------------------------------------------------- */

static const char *tool(const char *name)
{
	static char path[512];
	const char *p = getenv("PATH");
	while (p && *p) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(path, sizeof path, "%.*s/%s", (int)n, p, name);
		if (access(path, X_OK) == 0)
			return path;
		p += n + (c ? 1 : 0);
	}
	return NULL;
}

static struct ts_conv ours_v[MAXF], theirs_v[MAXF];
static struct ts_convs ours = { ours_v, 0, MAXF };
static struct ts_convs theirs = { theirs_v, 0, MAXF };

static void tshark_convs(const char *ts, const char *pcap)
{
	const char *argv[] = { ts, "-n", "-r", pcap, "-q", "-z", "conv,tcp",
	                       "-z", "conv,udp", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	if (r.status != 0)
		fail_msg("tshark on %s: status %d: %s", pcap, r.status, r.err);
	theirs.n = 0;
	ts_parse_conv(r.out, &theirs);
	pa_result_free(&r);
}

/* Inner ICMP echo: per unordered pair of the innermost addresses, the
 * frames tshark shows as echo request or reply, against our echo flows'
 * packets. Returns the differences. */
static unsigned compare_echo(const char *ts, const char *pcap)
{
	const char *argv[] = { ts, "-n", "-r", pcap, "-Y",
	                       "icmp.type == 8 || icmp.type == 0",
	                       "-T", "fields", "-E", "occurrence=l",
	                       "-e", "ip.src", "-e", "ip.dst", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, argv);
	assert_int_equal(r.status, 0);
	struct ts_conv pairs_v[64];
	struct ts_convs pairs = { pairs_v, 0, 64 };
	unsigned bad = 0;
	for (const char *line = r.out; line && *line;) {
		const char *nl = strchr(line, '\n');
		char a[64], b[64];
		if (sscanf(line, "%63s %63s", a, b) == 2) {
			struct ts_conv c;
			memset(&c, 0, sizeof c);
			c.proto = 1;
			snprintf(c.a, sizeof c.a, "%s", a);
			snprintf(c.b, sizeof c.b, "%s", b);
			c.n[0] = 1;
			ts_conv_add(&pairs, &c);
		}
		line = nl ? nl + 1 : NULL;
	}
	pa_result_free(&r);
	for (unsigned i = 0; i < pairs.n; i++) {
		unsigned long long ourn = 0;
		for (unsigned k = 0; k < nfl; k++)
			if (strcmp(fl[k].proto, "ICMP") == 0 &&
			    (fl[k].sport == 8 || fl[k].sport == 0) &&
			    same_pair(fl[k].src, fl[k].dst, pairs.v[i].a,
			              pairs.v[i].b))
				ourn += fl[k].pkts[0] + fl[k].pkts[1];
		const struct ts_conv *p = &pairs.v[i];
		if (ourn != p->n[0] + p->n[1]) {
			fprintf(stderr, "%s: echo %s <-> %s: ours %llu, tshark %llu\n",
			        pcap, p->a, p->b, ourn, p->n[0] + p->n[1]);
			bad++;
		}
	}
	return bad;
}

/* Our TCP/UDP flows against tshark's conversations, summed per tuple. */
static unsigned compare_convs(const char *name)
{
	ours.n = 0;
	for (unsigned k = 0; k < nfl; k++) {
		unsigned proto = strcmp(fl[k].proto, "TCP") == 0 ? 6 :
		                 strcmp(fl[k].proto, "UDP") == 0 ? 17 : 0;
		if (!proto)
			continue;
		struct ts_conv c;
		memset(&c, 0, sizeof c);
		c.proto = proto;
		snprintf(c.a, sizeof c.a, "%s", fl[k].src);
		snprintf(c.b, sizeof c.b, "%s", fl[k].dst);
		c.pa = fl[k].sport;
		c.pb = fl[k].dport;
		c.n[0] = fl[k].pkts[0];
		c.n[1] = fl[k].pkts[1];
		ts_conv_add(&ours, &c);
	}
	return ts_compare(&ours, &theirs, name);
}

static unsigned in_kind(const char *kind)
{
	unsigned n = 0;
	for (unsigned k = 0; k < nfl; k++)
		n += strcmp(fl[k].tkind, kind) == 0;
	return n;
}

/* One capture: our flows against tshark's; `kind` the tunnel it holds,
 * `echo` whether to compare inner ICMP echo too. */
static unsigned check_capture(const char *ts, const char *pcap,
                              const char *kind, bool echo)
{
	const char *name = strrchr(pcap, '/') ? strrchr(pcap, '/') + 1 : pcap;
	run_flows(pcap, NULL);
	tshark_convs(ts, pcap);
	unsigned bad = compare_convs(name);
	if (echo)
		bad += compare_echo(ts, pcap);
	unsigned inside = in_kind(kind);
	printf("%-28s %-10s %3u flows (%u inside %s), tshark %u tcp/udp "
	       "conversations, %u differences\n", name, kind, nfl, inside, kind,
	       theirs.n, bad);
	if (!inside) {
		fprintf(stderr, "%s: no flow inside a %s tunnel\n", name, kind);
		bad++;
	}
	return bad;
}

static void test_tshark_corpus(void **state)
{
	(void)state;
	const char *ts = tool("tshark");
	if (!ts)
		pa_skip("tshark not installed (tests/install_tools.sh installs it)");
	if (access(pa_src("../shared/corpus/tcpdump"), R_OK) != 0)
		pa_skip("../shared/corpus/tcpdump not found");
	/* Found with `tshark -T fields -e frame.protocols` over the corpus:
	 * every capture with a tunnel tshark decapsulates and that carries
	 * TCP, UDP or ICMP echo inside. (bigtcp-*: tshark does not
	 * decapsulate them; vxlan_port_8472: not port 4789; nsh-over-vxlan-
	 * gpe: VXLAN-GPE, port 4790; pptp, nhrp, various_gre, isis, and the
	 * 6in4 of kday1, kday3: nothing of those inside.) */
	static const struct { const char *file, *kind; bool echo; } caps[] = {
		{ "vxlan.pcap", "vxlan", true },
		{ "gso-ipv4-vxlan-ipv4.pcap", "vxlan", false },
		{ "gso-ipv4-vxlan-ipv6.pcap", "vxlan", false },
		{ "gso-ipv6-vxlan-ipv4.pcap", "vxlan", false },
		{ "gso-ipv6-vxlan-ipv6.pcap", "vxlan", false },
		{ "geneve.pcap", "geneve", true },
		{ "geneve-gcp.pcap", "geneve", false },
		{ "gso-ipv4-geneve-ipv4.pcap", "geneve", false },
		{ "gso-ipv4-geneve-ipv6.pcap", "geneve", false },
		{ "gso-ipv6-geneve-ipv4.pcap", "geneve", false },
		{ "gso-ipv6-geneve-ipv6.pcap", "geneve", false },
		{ "wccp_redirect_gre.pcap", "gre", false },
		{ "erspan-type-i-1.pcap", "erspan-i", true },
		{ "erspan-type-i-2.pcap", "erspan-i", true },
		{ "erspan-type-ii-2.pcap", "erspan-ii", false },
		{ "erspan-type-iii-ft-0.pcap", "erspan-iii", true },
	};
	unsigned bad = 0;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "../shared/corpus/tcpdump/%s", caps[i].file);
		bad += check_capture(ts, pa_src(rel), caps[i].kind, caps[i].echo);
	}
	assert_int_equal(bad, 0);
}

/* ---- a generated capture for the kinds the corpus lacks --------------------- */

struct pkt {
	uint8_t b[512];
	size_t n;
};

static void u8(struct pkt *p, unsigned v)
{
	assert_true(p->n < sizeof p->b);
	p->b[p->n++] = (uint8_t)v;
}
static void be16(struct pkt *p, unsigned v)
{
	u8(p, v >> 8);
	u8(p, v & 0xff);
}
static void be32(struct pkt *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p, v & 0xffff);
}
static void put16(struct pkt *p, size_t off, unsigned v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}
static void addr(struct pkt *p, int fam, const char *s)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, s, a), 1);
	for (int i = 0; i < (fam == 4 ? 4 : 16); i++)
		u8(p, a[i]);
}
static void eth(struct pkt *p, unsigned type)
{
	for (int i = 0; i < 12; i++)
		u8(p, i & 1 ? 0x02 : 0x04);
	be16(p, type);
}
static size_t ip4(struct pkt *p, unsigned proto, const char *s, const char *d)
{
	size_t o = p->n;
	u8(p, 0x45);
	u8(p, 0);
	be16(p, 0);
	be16(p, 1);
	be16(p, 0x4000);
	u8(p, 64);
	u8(p, proto);
	be16(p, 0);
	addr(p, 4, s);
	addr(p, 4, d);
	return o;
}
static void ip4_end(struct pkt *p, size_t o)
{
	put16(p, o + 2, (unsigned)(p->n - o));
	uint32_t sum = 0;
	put16(p, o + 10, 0);
	for (size_t i = o; i < o + 20; i += 2)
		sum += (uint32_t)(p->b[i] << 8 | p->b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(p, o + 10, ~sum & 0xffff);
}
static size_t ip6(struct pkt *p, unsigned nh, const char *s, const char *d)
{
	size_t o = p->n;
	be32(p, 0x60000000u);
	be16(p, 0);
	u8(p, nh);
	u8(p, 64);
	addr(p, 6, s);
	addr(p, 6, d);
	return o;
}
static void ip6_end(struct pkt *p, size_t o)
{
	put16(p, o + 4, (unsigned)(p->n - o - 40));
}
static size_t udp(struct pkt *p, unsigned sp, unsigned dp)
{
	size_t o = p->n;
	be16(p, sp);
	be16(p, dp);
	be32(p, 0); /* length and checksum 0 (none) */
	return o;
}
static void udp_end(struct pkt *p, size_t o)
{
	put16(p, o + 4, (unsigned)(p->n - o));
}
static void tcp(struct pkt *p, unsigned sp, unsigned dp, unsigned flags)
{
	be16(p, sp);
	be16(p, dp);
	be32(p, 1);
	be32(p, flags & 0x10 ? 1 : 0);
	u8(p, 0x50);
	u8(p, flags);
	be16(p, 65535);
	be32(p, 0);
}

/* The inner packets: a TCP handshake's SYN or SYN-ACK, IPv4 or IPv6. */
static void inner(struct pkt *p, int fam, bool reply, unsigned port)
{
	const char *a = fam == 4 ? "10.77.0.1" : "2001:db8:77::1";
	const char *b = fam == 4 ? "10.77.0.2" : "2001:db8:77::2";
	size_t o = fam == 4 ? ip4(p, 6, reply ? b : a, reply ? a : b)
	                    : ip6(p, 6, reply ? b : a, reply ? a : b);
	tcp(p, reply ? port : 40000, reply ? 40000 : port,
	    reply ? 0x12 : 0x02);
	if (fam == 4)
		ip4_end(p, o);
	else
		ip6_end(p, o);
}

enum gen { G_GTP, G_TEREDO, G_AYIYA, G_IPIP, G_6IN4, G_4IN6, G_6IN6,
           G_VXGRE };

static void gen_frame(struct pkt *p, enum gen g, bool reply)
{
	const char *e1 = "192.0.2.1", *e2 = "192.0.2.2";
	const char *s = reply ? e2 : e1, *d = reply ? e1 : e2;
	const char *s6 = reply ? "2001:db8::2" : "2001:db8::1";
	const char *d6 = reply ? "2001:db8::1" : "2001:db8::2";
	size_t o, u, h;
	memset(p, 0, sizeof *p);
	switch (g) {
	case G_GTP:
		eth(p, 0x0800);
		o = ip4(p, 17, s, d);
		u = udp(p, 2152, 2152);
		h = p->n;
		u8(p, 0x30);
		u8(p, 0xff);
		be16(p, 0);
		be32(p, reply ? 0x1001 : 0x2002); /* a TEID per direction */
		inner(p, 4, reply, 8080);
		put16(p, h + 2, (unsigned)(p->n - h - 8));
		udp_end(p, u);
		ip4_end(p, o);
		break;
	case G_TEREDO:
		eth(p, 0x0800);
		o = ip4(p, 17, s, d);
		u = udp(p, reply ? 3544 : 50000, reply ? 50000 : 3544);
		inner(p, 6, reply, 8081);
		udp_end(p, u);
		ip4_end(p, o);
		break;
	case G_AYIYA:
		eth(p, 0x0800);
		o = ip4(p, 17, s, d);
		u = udp(p, reply ? 5072 : 50001, reply ? 50001 : 5072);
		u8(p, 0x41);
		u8(p, 0x52);
		u8(p, 0x11);
		u8(p, 41);
		be32(p, 1700000000);
		for (int i = 0; i < 36; i++)
			u8(p, 0x33);
		inner(p, 6, reply, 8082);
		udp_end(p, u);
		ip4_end(p, o);
		break;
	case G_IPIP:
		eth(p, 0x0800);
		o = ip4(p, 4, s, d);
		inner(p, 4, reply, 8083);
		ip4_end(p, o);
		break;
	case G_6IN4:
		eth(p, 0x0800);
		o = ip4(p, 41, s, d);
		inner(p, 6, reply, 8087);
		ip4_end(p, o);
		break;
	case G_4IN6:
		eth(p, 0x86dd);
		o = ip6(p, 4, s6, d6);
		inner(p, 4, reply, 8084);
		ip6_end(p, o);
		break;
	case G_6IN6:
		eth(p, 0x86dd);
		o = ip6(p, 41, s6, d6);
		inner(p, 6, reply, 8085);
		ip6_end(p, o);
		break;
	case G_VXGRE: {
		eth(p, 0x0800);
		o = ip4(p, 47, s, d);
		be16(p, 0x2000);
		be16(p, 0x0800);
		be32(p, 99);
		size_t i4 = ip4(p, 17, reply ? "172.31.0.2" : "172.31.0.1",
		                reply ? "172.31.0.1" : "172.31.0.2");
		u = udp(p, reply ? 50003 : 50002, 4789);
		be32(p, 0x08000000u);
		be32(p, 4242u << 8);
		eth(p, 0x0800);
		inner(p, 4, reply, 8086);
		udp_end(p, u);
		ip4_end(p, i4);
		ip4_end(p, o);
		break;
	}
	}
}

static void write_generated(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	assert_non_null(dead);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	assert_non_null(dp);
	unsigned t = 0;
	for (int g = G_GTP; g <= G_VXGRE; g++)
		for (int reply = 0; reply < 2; reply++) {
			struct pkt p;
			gen_frame(&p, (enum gen)g, reply);
			struct pcap_pkthdr h;
			memset(&h, 0, sizeof h);
			h.ts.tv_sec = 1767607200 + t++;
			h.caplen = h.len = (bpf_u_int32)p.n;
			pcap_dump((u_char *)dp, &h, p.b);
		}
	pcap_dump_close(dp);
	pcap_close(dead);
}

static void test_tshark_generated(void **state)
{
	(void)state;
	const char *ts = tool("tshark");
	if (!ts)
		pa_skip("tshark not installed (tests/install_tools.sh installs it)");
	const char *pcap = pa_tmp("tunnels.pcap");
	write_generated(pcap);
	unsigned bad = check_capture(ts, pcap, "gtp-u", false);
	static const char *const kinds[] = { "teredo", "ayiya", "ipip", "6in4",
	                                     "4in6", "6in6", "vxlan" };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (in_kind(kinds[i]) != 1) {
			fprintf(stderr, "generated: %u flows inside %s, want 1\n",
			        in_kind(kinds[i]), kinds[i]);
			bad++;
		}
	/* every inner handshake is one flow, both ways, in its tunnel (the
	 * VXLAN inside GRE has a source port per direction: two flows) */
	for (unsigned k = 0; k < nfl; k++)
		if (fl[k].tkind[0] && strcmp(fl[k].proto, "TCP") == 0 &&
		    (fl[k].pkts[0] != 1 || fl[k].pkts[1] != 1)) {
			fprintf(stderr, "generated: %s flow %s -> %s in %s: %llu/%llu "
			        "packets\n", fl[k].proto, fl[k].src, fl[k].dst,
			        fl[k].tkind, fl[k].pkts[0], fl[k].pkts[1]);
			bad++;
		}
	/* VXLAN inside GRE: the VXLAN tunnel's parent is the GRE one */
	char *s = pa_read_file(pa_tmp("flows.jsonl"), NULL);
	assert_non_null(s);
	/* every flow event's tunnel object as the schema's */
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	json_t *tdef = json_object_get(json_object_get(schema, "$defs"),
	                               "tunnel");
	assert_non_null(tdef);
	unsigned checked = 0;
	for (const char *line = s; line && *line;) {
		json_error_t e;
		json_t *o = json_loadb(line, strcspn(line, "\n"), 0, &e);
		assert_non_null(o);
		json_t *t = json_object_get(o, "tunnel");
		char where[512] = "tunnel";
		if (t && sch_check(schema, tdef, t, where, sizeof where) != 0)
			fail_msg("schema: %s", where);
		checked += t != NULL;
		json_decref(o);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	assert_true(checked >= 8);
	json_decref(schema);
	assert_true(pa_contains(s, "\"tunnel\":{\"kind\":\"vxlan\",\"src_ip\":"
	                        "\"172.31.0.1\",\"dest_ip\":\"172.31.0.2\","
	                        "\"vni\":4242,\"depth\":2,\"parent\":{\"kind\":"
	                        "\"gre\",\"src_ip\":\"192.0.2.1\",\"dest_ip\":"
	                        "\"192.0.2.2\",\"key\":99,\"depth\":1}}"));
	free(s);
	assert_int_equal(bad, 0);
}

/* ---- reports ----------------------------------------------------------- */

/* VXLAN frames: TCP SYNs from 10.0.0.9 to the server 10.0.0.5 port 9999
 * in VNI `vni`, source port sport. */
static void vx_syn(struct pkt *p, uint32_t vni, unsigned sport)
{
	memset(p, 0, sizeof *p);
	eth(p, 0x0800);
	size_t o = ip4(p, 17, "192.0.2.1", "192.0.2.2");
	size_t u = udp(p, 50000, 4789);
	be32(p, 0x08000000u);
	be32(p, vni << 8);
	eth(p, 0x0800);
	size_t i = ip4(p, 6, "10.0.0.9", "10.0.0.5");
	tcp(p, sport, 9999, 0x02);
	ip4_end(p, i);
	udp_end(p, u);
	ip4_end(p, o);
}

struct vx_spec { uint32_t vni; unsigned sport, dport; };

/* A capture of VXLAN SYNs from 192.0.2.1 to 192.0.2.2, one a second. */
static void write_vx(const char *path, const struct vx_spec *v, unsigned n,
                     long t0)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	assert_non_null(dp);
	for (unsigned k = 0; k < n; k++) {
		struct pkt p;
		vx_syn(&p, v[k].vni, v[k].sport);
		put16(&p, 14 + 20 + 8 + 8 + 14 + 20 + 2, v[k].dport);
		struct pcap_pkthdr h;
		memset(&h, 0, sizeof h);
		h.ts.tv_sec = t0 + k;
		h.caplen = h.len = (bpf_u_int32)p.n;
		pcap_dump((u_char *)dp, &h, p.b);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
}

/* The 9998 finding of a merged report: its tunnel's VNI, or -1 when it
 * names none (tunnel_mixed then true), and its flows. */
static void merged_9998(const char *a, const char *b, json_int_t *vni,
                        json_int_t *flows)
{
	const char *out = pa_tmp("merged.json");
	struct pa_result r;
	pa_runl(&r, "merge", "-q", "--json", out, a, b, NULL);
	if (r.status != 1)
		fail_msg("merge: status %d: %s", r.status, r.err);
	pa_result_free(&r);
	json_t *j = pa_load_json(out);
	json_t *fs = json_object_get(j, "findings");
	*vni = -2;
	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);
		if (json_integer_value(json_object_get(f, "port")) != 9998)
			continue;
		json_t *t = json_object_get(f, "tunnel");
		*flows = jint(f, "flows");
		if (t) {
			assert_null(json_object_get(f, "tunnel_mixed"));
			assert_string_equal(jstr(t, "kind"), "vxlan");
			assert_string_equal(jstr(t, "src_ip"), "192.0.2.1");
			*vni = jint(t, "vni");
		} else {
			assert_true(json_is_true(json_object_get(f,
			            "tunnel_mixed")));
			*vni = -1;
		}
	}
	json_decref(j);
}

static void test_reports(void **state)
{
	(void)state;
	char pcap[512];
	snprintf(pcap, sizeof pcap, "%s", pa_tmp("vx.pcap"));
	/* VNI 1: port 40001; VNI 2: the same tuple, and port 40002; VNI 1
	 * again to 9998 (a finding of one tunnel). */
	static const struct vx_spec v[] = {
		{ 1, 40001, 9999 }, { 2, 40001, 9999 }, { 2, 40002, 9999 },
		{ 1, 40003, 9998 },
	};
	write_vx(pcap, v, 4, 1767607200);

	const char *json = pa_tmp("r.json"), *csv = pa_tmp("r.csv");
	const char *ev = pa_tmp("ev.pcap");
	struct pa_result r;
	pa_runl(&r, "-q", "-r", pcap, "--server", "10.0.0.5", "--json", json,
	        "--flows-csv", csv, "--evidence", ev, NULL);
	assert_int_equal(r.status, 1);
	pa_result_free(&r);

	/* JSON: the 9999 finding holds flows of VNIs 1 and 2 (tunnel_mixed),
	 * the 9998 one a single tunnel. */
	json_t *j = pa_load_json(json);
	json_t *fs = json_object_get(j, "findings");
	unsigned seen = 0;
	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);
		json_int_t port = json_integer_value(json_object_get(f, "port"));
		json_t *t = json_object_get(f, "tunnel");
		if (port == 9999) {
			assert_null(t);
			assert_true(json_is_true(json_object_get(f, "tunnel_mixed")));
			assert_int_equal(json_integer_value(json_object_get(f, "flows")),
			                 3);
			seen++;
		} else if (port == 9998) {
			assert_non_null(t);
			assert_null(json_object_get(f, "tunnel_mixed"));
			assert_string_equal(jstr(t, "kind"), "vxlan");
			assert_string_equal(jstr(t, "src_ip"), "192.0.2.1");
			assert_string_equal(jstr(t, "dest_ip"), "192.0.2.2");
			assert_int_equal(jint(t, "vni"), 1);
			assert_int_equal(jint(t, "depth"), 1);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	/* the report, tunnels and all, as docs/report.schema.json says */
	json_t *schema = pa_load_json(pa_src("docs/report.schema.json"));
	char where[512] = "report";
	if (sch_check(schema, schema, j, where, sizeof where) != 0)
		fail_msg("schema: %s", where);
	json_decref(schema);
	json_t *ct = json_object_get(json_object_get(j, "capture"), "tunnels");
	assert_true(json_is_true(json_object_get(ct, "decapsulated")));
	assert_int_equal(jint(ct, "tunnels"), 2);
	assert_int_equal(jint(ct, "packets"), 4);
	json_decref(j);

	/* flows CSV: the tunnel columns at the end of each row */
	char *s = pa_read_file(csv, NULL);
	assert_non_null(s);
	assert_true(pa_contains(s, ",tunnel_kind,tunnel_src_ip,tunnel_dest_ip,"
	                        "tunnel_id,tunnel_depth\r\n"));
	assert_true(pa_contains(s, ",vxlan,192.0.2.1,192.0.2.2,2,1\r\n"));
	/* the outer flow: UDP 4789, its tunnel columns empty */
	assert_true(pa_contains(s, ",udp,192.0.2.1,50000,192.0.2.2,4789,"));
	free(s);

	/* Evidence: every flagged flow is inside VXLAN; each frame written
	 * once, whole (outer headers and all). */
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *e = pcap_open_offline(ev, errbuf);
	assert_non_null(e);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned frames = 0;
	while (pcap_next_ex(e, &h, &data) == 1) {
		assert_int_equal(h->caplen, 14 + 20 + 8 + 8 + 14 + 20 + 20);
		assert_int_equal(data[14 + 20 + 2] << 8 | data[14 + 20 + 3], 4789);
		frames++;
	}
	pcap_close(e);
	assert_int_equal(frames, 4);

	/* --no-decap: only the outer flow, no finding about 10.0.0.5 */
	pa_runl(&r, "-q", "--no-decap", "-r", pcap, "--server", "10.0.0.5",
	        "--json", json, NULL);
	assert_int_equal(r.status, 3); /* the server never appears */
	pa_result_free(&r);
	j = pa_load_json(json);
	ct = json_object_get(json_object_get(j, "capture"), "tunnels");
	assert_true(json_is_false(json_object_get(ct, "decapsulated")));
	assert_int_equal(jint(ct, "packets"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "findings")), 0);
	json_decref(j);

	/* merge keeps the tunnels: a later capture with another 9998 flow
	 * in VNI 1 leaves the finding in VNI 1; one in VNI 2 makes it
	 * mixed, as within one capture. */
	/* (pa_tmp's buffers rotate: the paths copied) */
	char j1[512], p2[512], p3[512], j2[512], j3[512];
	snprintf(j1, sizeof j1, "%s", pa_tmp("r1.json"));
	snprintf(p2, sizeof p2, "%s", pa_tmp("vx2.pcap"));
	snprintf(p3, sizeof p3, "%s", pa_tmp("vx3.pcap"));
	snprintf(j2, sizeof j2, "%s", pa_tmp("r2.json"));
	snprintf(j3, sizeof j3, "%s", pa_tmp("r3.json"));
	pa_runl(&r, "-q", "-r", pcap, "--server", "10.0.0.5", "--json", j1,
	        NULL);
	pa_result_free(&r);
	static const struct vx_spec same[] = { { 1, 40005, 9998 } };
	static const struct vx_spec other[] = { { 2, 40006, 9998 } };
	write_vx(p2, same, 1, 1767610800);
	write_vx(p3, other, 1, 1767614400);
	pa_runl(&r, "-q", "-r", p2, "--server", "10.0.0.5", "--json", j2, NULL);
	pa_result_free(&r);
	pa_runl(&r, "-q", "-r", p3, "--server", "10.0.0.5", "--json", j3, NULL);
	pa_result_free(&r);
	json_int_t vni, flows;
	merged_9998(j1, j2, &vni, &flows);
	assert_int_equal(vni, 1);
	assert_int_equal(flows, 2);
	merged_9998(j1, j3, &vni, &flows);
	assert_int_equal(vni, -1);
	assert_int_equal(flows, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeek_vxlan),
		cmocka_unit_test(test_tshark_corpus),
		cmocka_unit_test(test_tshark_generated),
		cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
