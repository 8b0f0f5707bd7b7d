/* it_linktypes.c -- the real binary on the link layers of decode_ppp.c and
 * decode_llc.c and the Ethernet tags of decode_vlan.c, with tshark as the
 * independent check of the flows (the approach of it_tshark.c: the same
 * endpoints, the same packets each way, our flows summed per tuple).
 *
 * Real captures of tcpdump's test suite (../shared/corpus/tcpdump) where
 * there are any: PPP (DLT 9) with IPv4, MPLS and BGP; Cisco HDLC (DLT 104)
 * with ICMP echo, compared at the IP level (tshark has no ICMP
 * conversations); and captures of PPP, Cisco HDLC, PPP_SERIAL and 802.3
 * LLC without IP (PAP, IS-IS, SLARP, STP, CDP), which must give no flow,
 * every packet counted non_ip. The corpus has no capture with IP traffic
 * of DLT PPP_SERIAL (its three files are fuzzer finds), of FDDI, of 802.3
 * LLC/SNAP carrying IP, of FabricPath, 802.1ah PBB or VN-Tag: those
 * captures are written here with tests/frames.h, and checked twice,
 * against what was written (the plan) and against tshark. Their non-IP
 * frames (LCP, SMT, STP, CDP, ARP) must be counted non_ip, and nothing
 * else counted.
 *
 * FabricPath: the capture is a SPAN session of a host's classic-Ethernet
 * port and of its switch's FabricPath uplink, so every packet is in it
 * twice, once plain and once inside a FabricPath header (EtherType 0x8903).
 * Before decode_vlan.c knew 0x8903, the FabricPath copies were counted
 * non_ip and each of the 32 TCP flows showed half its packets; each must
 * now have all of them. */
#include "harness.h"
#include "frames.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXC 256

/* A conversation: endpoints as inet_ntop writes them; n[0] a->b, n[1] b->a.
 * proto 0 (with ports 0) is an IP-level conversation (all protocols). */
struct conv {
	uint8_t proto;
	char a[64], b[64];
	unsigned pa, pb;
	uint64_t n[2];
};

struct convs {
	struct conv c[MAXC];
	unsigned n;
};

/* Add c, or add its counts to the conversation of the same tuple (either
 * orientation). */
static void conv_add(struct convs *t, const struct conv *c)
{
	for (unsigned i = 0; i < t->n; i++) {
		struct conv *o = &t->c[i];
		if (o->proto != c->proto)
			continue;
		if (!strcmp(o->a, c->a) && o->pa == c->pa && !strcmp(o->b, c->b) &&
		    o->pb == c->pb) {
			o->n[0] += c->n[0];
			o->n[1] += c->n[1];
			return;
		}
		if (!strcmp(o->a, c->b) && o->pa == c->pb && !strcmp(o->b, c->a) &&
		    o->pb == c->pa) {
			o->n[0] += c->n[1];
			o->n[1] += c->n[0];
			return;
		}
	}
	assert_true(t->n < MAXC);
	t->c[t->n++] = *c;
}

static uint64_t conv_packets(const struct convs *t)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < t->n; i++)
		s += t->c[i].n[0] + t->c[i].n[1];
	return s;
}

/* Normalise an address as inet_ntop writes it; false if it is none. */
static bool norm_addr(const char *in, char *out, size_t len)
{
	uint8_t bin[16];
	if (inet_pton(AF_INET, in, bin) == 1)
		return inet_ntop(AF_INET, bin, out, (socklen_t)len) != NULL;
	if (inet_pton(AF_INET6, in, bin) == 1)
		return inet_ntop(AF_INET6, bin, out, (socklen_t)len) != NULL;
	return false;
}

/* "addr:port" (the port after the last ':'), or "addr" when !ports. */
static bool endpoint(const char *tok, bool ports, char *addr, size_t alen,
                     unsigned *port)
{
	char a[128];
	*port = 0;
	if (!ports)
		return norm_addr(tok, addr, alen);
	const char *c = strrchr(tok, ':');
	if (!c || (size_t)(c - tok) >= sizeof a)
		return false;
	memcpy(a, tok, (size_t)(c - tok));
	a[c - tok] = 0;
	char *end;
	unsigned long p = strtoul(c + 1, &end, 10);
	if (*end || end == c + 1 || p > 65535)
		return false;
	*port = (unsigned)p;
	return norm_addr(a, addr, alen);
}

/* One line of ours, --flows-csv: fields 3-7 are protocol, src_ip,
 * src_port, dest_ip, dest_port; 13 and 14 the packets each way. Fields
 * before the reason have no commas nor quotes. */
#define CSV_FIELDS 15
static void parse_ours(const char *csv, bool ip_level, struct convs *t,
                       unsigned *flows)
{
	const char *line = strchr(csv, '\n'); /* after the header */
	*flows = 0;
	while (line && line[1]) {
		line++;
		const char *f[CSV_FIELDS + 1];
		size_t fl[CSV_FIELDS];
		const char *p = line;
		for (int i = 0; i < CSV_FIELDS; i++) {
			f[i] = p;
			const char *e = p + strcspn(p, ",\n");
			fl[i] = (size_t)(e - p);
			assert_true(*e == ',');
			p = e + 1;
		}
		char proto[8], buf[64];
		struct conv c;
		memset(&c, 0, sizeof c);
		snprintf(proto, sizeof proto, "%.*s", (int)fl[3], f[3]);
		c.proto = !strcmp(proto, "tcp") ? 6 : !strcmp(proto, "udp") ? 17 : 0;
		(*flows)++;
		if (ip_level || c.proto) {
			snprintf(buf, sizeof buf, "%.*s", (int)fl[4], f[4]);
			assert_true(norm_addr(buf, c.a, sizeof c.a));
			snprintf(buf, sizeof buf, "%.*s", (int)fl[6], f[6]);
			assert_true(norm_addr(buf, c.b, sizeof c.b));
			if (ip_level) {
				c.proto = 0;
			} else {
				c.pa = (unsigned)strtoul(f[5], NULL, 10);
				c.pb = (unsigned)strtoul(f[7], NULL, 10);
			}
			c.n[0] = strtoull(f[13], NULL, 10);
			c.n[1] = strtoull(f[14], NULL, 10);
			conv_add(t, &c);
		}
		line = strchr(line, '\n');
	}
}

/* tshark -z conv,tcp -z conv,udp (or conv,ip and conv,ipv6): each line
 * "A <-> B  frames(B->A) bytes unit  frames(A->B) bytes unit ...". */
static void parse_tshark(const char *out, bool ip_level, struct convs *t)
{
	uint8_t proto = 0;
	bool in = false;
	const char *line = out;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		snprintf(buf, sizeof buf, "%.*s", (int)(len < 511 ? len : 511), line);
		if (!strncmp(buf, "TCP Conversations", 17)) {
			proto = 6;
			in = true;
		} else if (!strncmp(buf, "UDP Conversations", 17)) {
			proto = 17;
			in = true;
		} else if (!strncmp(buf, "IPv4 Conversations", 18) ||
		           !strncmp(buf, "IPv6 Conversations", 18)) {
			proto = 0;
			in = true;
		} else if (in && strstr(buf, "<->")) {
			char e1[128], e2[128], u1[16], b1[32];
			unsigned long long n_ba, n_ab;
			struct conv c;
			memset(&c, 0, sizeof c);
			c.proto = proto;
			if (sscanf(buf, "%127s <-> %127s %llu %31s %15s %llu", e1, e2,
			           &n_ba, b1, u1, &n_ab) == 6 &&
			    endpoint(e1, !ip_level, c.a, sizeof c.a, &c.pa) &&
			    endpoint(e2, !ip_level, c.b, sizeof c.b, &c.pb)) {
				c.n[0] = n_ab;
				c.n[1] = n_ba;
				conv_add(t, &c);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* The differences between two sets of conversations (printed). */
static unsigned compare(const char *name, const char *what,
                        const struct convs *x, const struct convs *y)
{
	unsigned bad = 0;
	bool seen[MAXC] = {false};
	for (unsigned i = 0; i < x->n; i++) {
		const struct conv *c = &x->c[i];
		bool found = false;
		for (unsigned k = 0; k < y->n && !found; k++) {
			const struct conv *o = &y->c[k];
			uint64_t n0, n1;
			if (o->proto != c->proto)
				continue;
			if (!strcmp(o->a, c->a) && o->pa == c->pa &&
			    !strcmp(o->b, c->b) && o->pb == c->pb) {
				n0 = o->n[0];
				n1 = o->n[1];
			} else if (!strcmp(o->a, c->b) && o->pa == c->pb &&
			           !strcmp(o->b, c->a) && o->pb == c->pa) {
				n0 = o->n[1];
				n1 = o->n[0];
			} else {
				continue;
			}
			found = seen[k] = true;
			if (n0 != c->n[0] || n1 != c->n[1]) {
				fprintf(stderr, "%s: %u %s:%u <-> %s:%u: ours %llu/%llu, "
				        "%s %llu/%llu\n", name, c->proto, c->a, c->pa,
				        c->b, c->pb, (unsigned long long)c->n[0],
				        (unsigned long long)c->n[1], what,
				        (unsigned long long)n0, (unsigned long long)n1);
				bad++;
			}
		}
		if (!found) {
			fprintf(stderr, "%s: our %u %s:%u <-> %s:%u not in %s's\n", name,
			        c->proto, c->a, c->pa, c->b, c->pb, what);
			bad++;
		}
	}
	for (unsigned k = 0; k < y->n; k++)
		if (!seen[k]) {
			fprintf(stderr, "%s: %s's %u %s:%u <-> %s:%u not in ours\n",
			        name, what, y->c[k].proto, y->c[k].a, y->c[k].pa,
			        y->c[k].b, y->c[k].pb);
			bad++;
		}
	return bad;
}

static const char *tshark_path(void)
{
	static char path[512];
	const char *p = getenv("PATH");
	while (p && *p) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(path, sizeof path, "%.*s/tshark", (int)n, p);
		if (access(path, X_OK) == 0)
			return path;
		p += n + (c ? 1 : 0);
	}
	return NULL;
}

static void tshark_convs(const char *ts, const char *file, bool ip_level,
                         struct convs *t)
{
	const char *l4[] = { ts, "-n", "-r", file, "-q", "-z", "conv,tcp", "-z",
	                     "conv,udp", NULL };
	const char *ip[] = { ts, "-n", "-r", file, "-q", "-z", "conv,ip", "-z",
	                     "conv,ipv6", NULL };
	struct pa_result r;
	pa_exec(&r, NULL, ip_level ? ip : l4);
	if (r.status != 0)
		fail_msg("tshark on %s: status %d: %s", file, r.status, r.err);
	parse_tshark(r.out, ip_level, t);
	pa_result_free(&r);
}

/* What the binary made of one capture. */
struct ours {
	struct convs convs;
	unsigned flows;
	json_int_t non_ip, other_anomalies, packets, ip_packets;
	char linktype[32];
	char vlans[64]; /* the vlan column of the first flow */
};

static void run_ours(const char *file, bool ip_level, struct ours *o)
{
	const char *csv = pa_tmp("flows.csv"), *json = pa_tmp("report.json");
	char csvp[1024], jsonp[1024];
	snprintf(csvp, sizeof csvp, "%s", csv);
	snprintf(jsonp, sizeof jsonp, "%s", json);
	struct pa_result r;
	pa_runl(&r, "-q", "-r", file, "--flows-csv", csvp, "--json", jsonp, NULL);
	if (r.status != 0 && r.status != 1 && r.status != 3)
		fail_msg("%s: status %d: %s", file, r.status, r.err);
	/* no "link type ... is not supported" any more */
	if (strstr(r.err, "not supported"))
		fail_msg("%s: %s", file, r.err);
	pa_result_free(&r);

	memset(o, 0, sizeof *o);
	char *text = pa_read_file(csvp, NULL);
	assert_non_null(text);
	parse_ours(text, ip_level, &o->convs, &o->flows);
	const char *l1 = strchr(text, '\n');
	if (l1 && l1[1]) {
		const char *p = l1 + 1;
		for (int i = 0; i < 10; i++)
			p = strchr(p, ',') + 1;
		snprintf(o->vlans, sizeof o->vlans, "%.*s", (int)strcspn(p, ","), p);
	}
	free(text);

	json_t *j = pa_load_json(jsonp);
	json_t *cap = json_object_get(j, "capture");
	assert_int_equal(json_array_size(json_object_get(cap, "skipped")), 0);
	json_t *lts = json_object_get(cap, "linktypes");
	assert_int_equal(json_array_size(lts), 1);
	snprintf(o->linktype, sizeof o->linktype, "%s",
	         json_string_value(json_array_get(lts, 0)));
	o->packets = json_integer_value(json_object_get(cap, "packets"));
	o->ip_packets = json_integer_value(json_object_get(cap, "ip_packets"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(cap, "anomalies"), k, v) {
		if (!strcmp(k, "non_ip"))
			o->non_ip = json_integer_value(v);
		else
			o->other_anomalies += json_integer_value(v);
	}
	json_decref(j);
}

/* ---- real captures ------------------------------------------------------ */

static const struct real {
	const char *file;     /* in ../shared/corpus/tcpdump */
	const char *linktype; /* libpcap's name */
	bool ip_level;        /* ICMP only: compare IP conversations */
	unsigned convs;       /* conversations tshark finds there */
	bool non_ip;          /* no IP in it: every packet counted non_ip */
} reals[] = {
	{ "bgp_vpn_attrset.pcap", "PPP", false, 1, false }, /* IPv4, BGP */
	{ "lspping-fec-ldp.pcap", "PPP", false, 4, false }, /* and MPLS */
	{ "lspping-fec-rsvp.pcap", "PPP", false, 2, false },
	{ "mpls-ldp-hello.pcap", "PPP", false, 1, false },
	{ "mpls-traceroute.pcap", "PPP", false, 9, false },
	{ "truncated-aack.pcap", "PPP", false, 0, true },   /* PAP */
	{ "HDLC.pcap", "C_HDLC", true, 1, false },          /* ICMP echo */
	{ "ISIS_p2p_adjacency.pcap", "C_HDLC", false, 0, true },
	{ "hdlc_slarp.pcapng", "C_HDLC", false, 0, true },
	/* fuzzer finds, the only PPP_SERIAL captures there are */
	{ "ppp_error_hexdump.pcap", "PPP_SERIAL", false, 0, true },
	{ "heapoverflow-ppp_hdlc_if_print.pcap", "PPP_SERIAL", false, 0, true },
	/* 802.3 + LLC: spanning tree, CDP over SNAP */
	{ "802.1D_spanning_tree.pcap", "EN10MB", false, 0, true },
	{ "3560_CDP.pcap", "EN10MB", false, 0, true },
};

static void test_real_captures(void **state)
{
	(void)state;
	const char *ts = tshark_path();
	if (!ts)
		pa_skip("tshark not installed (tests/install_tools.sh installs it)");
	if (access(pa_src("../shared/corpus/tcpdump/HDLC.pcap"), R_OK) != 0)
		pa_skip("no shared corpus (../shared/corpus/tcpdump)");
	unsigned bad = 0;
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
		const struct real *c = &reals[i];
		char path[1024];
		snprintf(path, sizeof path, "%s/%s",
		         pa_src("../shared/corpus/tcpdump"), c->file);
		static struct ours o;
		static struct convs theirs;
		run_ours(path, c->ip_level, &o);
		memset(&theirs, 0, sizeof theirs);
		tshark_convs(ts, path, c->ip_level, &theirs);
		assert_string_equal(o.linktype, c->linktype);
		assert_int_equal(theirs.n, c->convs);
		assert_int_equal(o.convs.n, c->convs);
		if (c->non_ip)
			assert_true(o.packets > 0 && o.non_ip == o.packets);
		unsigned b = compare(c->file, "tshark", &o.convs, &theirs);
		printf("%s (%s): %u flows, %u conversations, %llu packets in them, "
		       "tshark %u, %u differences\n", c->file, o.linktype, o.flows,
		       o.convs.n, (unsigned long long)conv_packets(&o.convs),
		       theirs.n, b);
		bad += b;
	}
	assert_int_equal(bad, 0);
}

/* ---- generated captures ------------------------------------------------- */

/* One packet of the plan: an Ethernet frame (frames.h) and its direction. */
struct plan_pkt {
	struct frame f;
	bool v6;
};

#define MAXP 512
struct plan {
	struct plan_pkt p[MAXP];
	unsigned n;
	struct convs convs; /* what was written, as conversations */
};

static void plan_add(struct plan *pl, const struct frame *f, bool v6)
{
	assert_true(pl->n < MAXP);
	pl->p[pl->n].f = *f;
	pl->p[pl->n].v6 = v6;
	pl->n++;
}

static void plan_conv(struct plan *pl, uint8_t proto, uint32_t c, unsigned cp,
                      uint32_t s, unsigned sp, unsigned to_s, unsigned to_c)
{
	struct conv v;
	uint8_t a[4];
	memset(&v, 0, sizeof v);
	v.proto = proto;
	put_addr4(a, c);
	inet_ntop(AF_INET, a, v.a, sizeof v.a);
	put_addr4(a, s);
	inet_ntop(AF_INET, a, v.b, sizeof v.b);
	v.pa = cp;
	v.pb = sp;
	v.n[0] = to_s;
	v.n[1] = to_c;
	conv_add(&pl->convs, &v);
}

/* A TCP connection: handshake, a request and a reply, FIN each way, last
 * ACK: 5 packets client -> server, 3 back. */
static void plan_tcp(struct plan *pl, uint32_t c, uint16_t cp, uint32_t s,
                     uint16_t sp)
{
	struct frame f;
	f = mk4(6, c, cp, s, sp, 0x02, 0);
	plan_add(pl, &f, false);
	f = mk4(6, s, sp, c, cp, 0x12, 0);
	plan_add(pl, &f, false);
	f = mk4(6, c, cp, s, sp, 0x10, 0);
	plan_add(pl, &f, false);
	f = mk4(6, c, cp, s, sp, 0x18, 40);
	plan_add(pl, &f, false);
	f = mk4(6, s, sp, c, cp, 0x18, 90);
	plan_add(pl, &f, false);
	f = mk4(6, c, cp, s, sp, 0x11, 0);
	plan_add(pl, &f, false);
	f = mk4(6, s, sp, c, cp, 0x11, 0);
	plan_add(pl, &f, false);
	f = mk4(6, c, cp, s, sp, 0x10, 0);
	plan_add(pl, &f, false);
	plan_conv(pl, 6, c, cp, s, sp, 5, 3);
}

/* A UDP exchange: two requests, one reply. */
static void plan_udp(struct plan *pl, uint32_t c, uint16_t cp, uint32_t s,
                     uint16_t sp)
{
	struct frame f;
	f = mk4(17, c, cp, s, sp, 0, 30);
	plan_add(pl, &f, false);
	f = mk4(17, c, cp, s, sp, 0, 30);
	plan_add(pl, &f, false);
	f = mk4(17, s, sp, c, cp, 0, 60);
	plan_add(pl, &f, false);
	plan_conv(pl, 17, c, cp, s, sp, 2, 1);
}

/* IPv6 UDP, one request and one reply. */
static void plan_udp6(struct plan *pl)
{
	static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
	static const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x20};
	struct frame f = mk6(a, 40123, b, 161, 20);
	plan_add(pl, &f, true);
	f = mk6(b, 161, a, 40123, 50);
	plan_add(pl, &f, true);
	struct conv v;
	memset(&v, 0, sizeof v);
	v.proto = 17;
	inet_ntop(AF_INET6, a, v.a, sizeof v.a);
	inet_ntop(AF_INET6, b, v.b, sizeof v.b);
	v.pa = 40123;
	v.pb = 161;
	v.n[0] = v.n[1] = 1;
	conv_add(&pl->convs, &v);
}

/* The Ethernet frame f with its first `skip` bytes (0: none, 12: the
 * addresses, 14: the whole header) replaced by hdr. */
static struct frame relink(const struct frame *f, const uint8_t *hdr,
                           unsigned hlen, unsigned skip)
{
	struct frame o;
	memset(&o, 0, sizeof o);
	assert_true(hlen + f->len - skip <= sizeof o.b);
	memcpy(o.b, hdr, hlen);
	memcpy(o.b + hlen, f->b + skip, f->len - skip);
	o.len = hlen + f->len - skip;
	return o;
}

static const uint8_t mac_a[6] = {0x00, 0x1b, 0x21, 0x0a, 0x00, 0x01};
static const uint8_t mac_b[6] = {0x00, 0x1b, 0x21, 0x0a, 0x00, 0x02};

/* Each framing: the link type, and the frame(s) written for plan packet i
 * (returns how many, at most 2). */
typedef unsigned wrap_fn(const struct plan_pkt *p, unsigned i,
                         struct frame out[2]);

/* PPP_SERIAL: RFC 1662 framing with a 2-byte and with a compressed
 * protocol field, bare PPP (address and control compressed), and Cisco
 * HDLC, in turn. */
static unsigned wrap_ppp_serial(const struct plan_pkt *p, unsigned i,
                                struct frame out[2])
{
	uint8_t h[4];
	unsigned ppp = p->v6 ? 0x0057 : 0x0021;
	switch (i % 4) {
	case 0:
		h[0] = 0xff, h[1] = 0x03, put16(h + 2, ppp);
		out[0] = relink(&p->f, h, 4, 14);
		break;
	case 1:
		h[0] = 0xff, h[1] = 0x03, h[2] = (uint8_t)ppp;
		out[0] = relink(&p->f, h, 3, 14);
		break;
	case 2:
		put16(h, ppp);
		out[0] = relink(&p->f, h, 2, 14);
		break;
	default:
		h[0] = 0x0f, h[1] = 0x00; /* then the frame's EtherType */
		out[0] = relink(&p->f, h, 2, 12);
		break;
	}
	return 1;
}

/* FDDI: frame control 0x50 (async LLC, priority 0) or 0x54, addresses,
 * LLC/SNAP, the frame's EtherType. */
static unsigned wrap_fddi(const struct plan_pkt *p, unsigned i,
                          struct frame out[2])
{
	uint8_t h[19];
	h[0] = i & 1 ? 0x54 : 0x50;
	memcpy(h + 1, mac_a, 6);
	memcpy(h + 7, mac_b, 6);
	memcpy(h + 13, "\xaa\xaa\x03\x00\x00\x00", 6);
	out[0] = relink(&p->f, h, sizeof h, 12);
	return 1;
}

/* Ethernet 802.3: a length field, LLC/SNAP, the frame's EtherType. */
static unsigned wrap_snap(const struct plan_pkt *p, unsigned i,
                          struct frame out[2])
{
	uint8_t h[20];
	(void)i;
	memcpy(h, mac_a, 6);
	memcpy(h + 6, mac_b, 6);
	memcpy(h + 14, "\xaa\xaa\x03\x00\x00\x00", 6);
	out[0] = relink(&p->f, h, sizeof h, 12);
	put16(out[0].b + 12, out[0].len - 14);
	return 1;
}

/* Append the IEEE 802.3 frame check sequence (CRC-32, least significant
 * byte first as it goes on the wire). */
static void add_fcs(struct frame *f)
{
	uint32_t crc = 0xffffffffu;
	assert_true(f->len + 4 <= sizeof f->b);
	for (uint32_t i = 0; i < f->len; i++) {
		crc ^= f->b[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0xedb88320u : crc >> 1;
	}
	crc = ~crc;
	for (int k = 0; k < 4; k++)
		f->b[f->len++] = (uint8_t)(crc >> 8 * k);
}

/* The frame as the host's port saw it, then inside FabricPath as the
 * switch's uplink carried it: outer switch-id addresses, 0x8903, FTag 1
 * and TTL 32, the frame, and FabricPath's own FCS, which the capture keeps
 * (Wireshark 4.0's packet-cisco-fp-mim.c takes the last 4 bytes of a
 * FabricPath frame for it whether it is there or not). */
static unsigned wrap_fabricpath(const struct plan_pkt *p, unsigned i,
                                struct frame out[2])
{
	static const uint8_t h[16] = {
		0x02, 0x00, 0x65, 0x00, 0x00, 0x00, /* switch 101 */
		0x02, 0x00, 0xc9, 0x00, 0x00, 0x00, /* switch 201 */
		0x89, 0x03, 0x00, 0x60,
	};
	(void)i;
	out[0] = p->f;
	out[1] = relink(&p->f, h, sizeof h, 0);
	add_fcs(&out[1]);
	return 2;
}

/* 802.1ah: B-addresses, an 802.1ad B-TAG (VLAN 100), the I-TAG (I-SID
 * 0x10001), then the customer's frame. */
static unsigned wrap_pbb(const struct plan_pkt *p, unsigned i,
                         struct frame out[2])
{
	uint8_t h[22];
	(void)i;
	memcpy(h, mac_b, 6);
	memcpy(h + 6, mac_a, 6);
	memcpy(h + 12, "\x88\xa8\x00\x64\x88\xe7\x00\x01\x00\x01", 10);
	out[0] = relink(&p->f, h, sizeof h, 0);
	return 1;
}

/* VN-Tag: the frame's addresses, 0x8926 and 4 bytes (destination VIF 5,
 * source VIF 9), then the frame's EtherType. */
static unsigned wrap_vntag(const struct plan_pkt *p, unsigned i,
                           struct frame out[2])
{
	uint8_t h[18];
	(void)i;
	memcpy(h, p->f.b, 12);
	memcpy(h + 12, "\x89\x26\x00\x05\x00\x09", 6);
	out[0] = relink(&p->f, h, sizeof h, 12);
	return 1;
}

/* Non-IP frames of each link type, which must be counted non_ip. */
static unsigned extra_frames(int dlt, const char *name, struct frame *x)
{
	static const uint8_t stp[] = {0x42, 0x42, 0x03, 0x00, 0x00, 0x00, 0x00};
	unsigned n = 0;
	memset(x, 0, 3 * sizeof *x);
	if (dlt == 50) {
		/* LCP echo request, RFC 1662 framed and bare */
		memcpy(x[0].b, "\xff\x03\xc0\x21\x09\x01\x00\x08\x00\x00\x00\x00", 12);
		x[0].len = 12;
		memcpy(x[1].b, "\xc0\x21\x0a\x01\x00\x08\x00\x00\x00\x00", 10);
		x[1].len = 10;
		n = 2;
	} else if (dlt == 10) {
		/* an SMT frame, and STP over LLC */
		x[0].b[0] = 0x41;
		x[0].len = 40;
		x[1].b[0] = 0x50;
		memcpy(x[1].b + 13, stp, sizeof stp);
		x[1].len = 13 + 35;
		n = 2;
	} else if (!strcmp(name, "llc_snap.pcap")) {
		/* 802.3 STP, and SNAP with Cisco's OUI (CDP) */
		memcpy(x[0].b, mac_a, 6);
		put16(x[0].b + 12, 38);
		memcpy(x[0].b + 14, stp, sizeof stp);
		x[0].len = 14 + 38;
		memcpy(x[1].b, mac_a, 6);
		put16(x[1].b + 12, 20);
		memcpy(x[1].b + 14, "\xaa\xaa\x03\x00\x00\x0c\x20\x00", 8);
		x[1].len = 14 + 20;
		n = 2;
	} else {
		/* ARP, in the same tag as the IP frames */
		struct frame arp = mkarp();
		struct plan_pkt p = {.f = arp};
		struct frame two[2];
		unsigned k;
		if (!strcmp(name, "fabricpath.pcap"))
			k = wrap_fabricpath(&p, 0, two);
		else if (!strcmp(name, "pbb.pcap"))
			k = wrap_pbb(&p, 0, two);
		else
			k = wrap_vntag(&p, 0, two);
		x[0] = two[k - 1];
		n = 1;
	}
	return n;
}

static const struct gen {
	const char *name;
	int dlt;
	const char *linktype; /* libpcap's name */
	wrap_fn *wrap;
	unsigned copies;      /* frames written per plan packet */
	unsigned tcp, udp;    /* connections in the plan */
	bool v6;
	const char *vlan;     /* the vlan column of the flows */
} gens[] = {
	{ "ppp_serial.pcap", 50, "PPP_SERIAL", wrap_ppp_serial, 1, 4, 3, true, "" },
	{ "fddi.pcap", 10, "FDDI", wrap_fddi, 1, 3, 2, true, "" },
	{ "llc_snap.pcap", 1, "EN10MB", wrap_snap, 1, 3, 2, true, "" },
	{ "fabricpath.pcap", 1, "EN10MB", wrap_fabricpath, 2, 32, 0, false, "" },
	{ "pbb.pcap", 1, "EN10MB", wrap_pbb, 1, 3, 2, false, "100" },
	{ "vntag.pcap", 1, "EN10MB", wrap_vntag, 1, 3, 2, false, "" },
};

static void write_plan(const struct gen *g, const struct plan *pl,
                       const char *path, unsigned *nonip)
{
	struct writer w;
	struct frame x[3], out[2];
	unsigned t = 0;
	w_open(&w, path, g->dlt, false);
	for (unsigned i = 0; i < pl->n; i++) {
		unsigned k = g->wrap(&pl->p[i], i, out);
		for (unsigned j = 0; j < k; j++)
			w_put(&w, &out[j], T0, 1000 * t++);
	}
	*nonip = extra_frames(g->dlt, g->name, x);
	for (unsigned j = 0; j < *nonip; j++)
		w_put(&w, &x[j], T0, 1000 * t++);
	w_close(&w);
}

static void test_generated(void **state)
{
	(void)state;
	const char *ts = tshark_path();
	unsigned bad = 0;
	static struct plan pl;
	static struct ours o;
	static struct convs theirs;
	for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++) {
		const struct gen *g = &gens[i];
		memset(&pl, 0, sizeof pl);
		for (unsigned k = 0; k < g->tcp; k++)
			plan_tcp(&pl, B + 1 + k / 8, (uint16_t)(41000 + k),
			         A + 100, (uint16_t)(k % 2 ? 443 : 1960));
		for (unsigned k = 0; k < g->udp; k++)
			plan_udp(&pl, A + 100, (uint16_t)(50000 + k), B + 7,
			         (uint16_t)(161 + k));
		if (g->v6)
			plan_udp6(&pl);
		/* every packet is written `copies` times */
		for (unsigned k = 0; k < pl.convs.n; k++) {
			pl.convs.c[k].n[0] *= g->copies;
			pl.convs.c[k].n[1] *= g->copies;
		}
		const char *path = pa_tmp(g->name);
		char p[1024];
		unsigned nonip;
		snprintf(p, sizeof p, "%s", path);
		write_plan(g, &pl, p, &nonip);

		run_ours(p, false, &o);
		assert_string_equal(o.linktype, g->linktype);
		assert_int_equal(o.packets, pl.n * g->copies + nonip);
		assert_int_equal(o.ip_packets, pl.n * g->copies);
		assert_int_equal(o.non_ip, nonip);
		assert_int_equal(o.other_anomalies, 0);
		assert_string_equal(o.vlans, g->vlan);
		unsigned b = compare(g->name, "the plan", &o.convs, &pl.convs);
		unsigned tb = 0;
		memset(&theirs, 0, sizeof theirs);
		if (ts) {
			tshark_convs(ts, p, false, &theirs);
			tb = compare(g->name, "tshark", &o.convs, &theirs);
		}
		printf("%s (%s): %u flows, %llu packets in them (written %llu), "
		       "tshark %u conversations %llu packets, %u differences\n",
		       g->name, o.linktype, o.flows,
		       (unsigned long long)conv_packets(&o.convs),
		       (unsigned long long)conv_packets(&pl.convs), theirs.n,
		       (unsigned long long)conv_packets(&theirs), b + tb);
		bad += b + tb;
	}
	if (!ts)
		printf("skip: tshark not installed: the generated captures were "
		       "checked against what was written only\n");
	assert_int_equal(bad, 0);
}

/* ---- a pcapng of two link types ---------------------------------------- */

static void ng_block(FILE *f, uint32_t type, const uint8_t *body, uint32_t n)
{
	uint32_t pad = (4 - n % 4) % 4, total = 12 + n + pad;
	static const uint8_t zero[4];
	assert_int_equal(fwrite(&type, 4, 1, f), 1);
	assert_int_equal(fwrite(&total, 4, 1, f), 1);
	assert_int_equal(fwrite(body, 1, n, f), n);
	assert_int_equal(fwrite(zero, 1, pad, f), pad);
	assert_int_equal(fwrite(&total, 4, 1, f), 1);
}

static void ng_idb(FILE *f, uint16_t link)
{
	uint8_t b[8] = { 0 };
	memcpy(b, &link, 2);
	uint32_t snap = 262144;
	memcpy(b + 4, &snap, 4);
	ng_block(f, 1, b, sizeof b);
}

static void ng_epb(FILE *f, uint32_t ifid, uint64_t usec, const struct frame *fr)
{
	uint8_t b[20 + sizeof fr->b];
	uint32_t hi = (uint32_t)(usec >> 32), lo = (uint32_t)usec;
	memcpy(b, &ifid, 4);
	memcpy(b + 4, &hi, 4);
	memcpy(b + 8, &lo, 4);
	memcpy(b + 12, &fr->len, 4);
	memcpy(b + 16, &fr->len, 4);
	memcpy(b + 20, fr->b, fr->len);
	ng_block(f, 6, b, 20 + fr->len);
}

/* capture.linktypes of a report is want (comma-separated). */
static void assert_linktypes(const json_t *cap, const char *want)
{
	char got[128] = "";
	size_t k;
	const json_t *v;
	json_array_foreach(json_object_get(cap, "linktypes"), k, v)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
		         k ? "," : "", json_string_value(v));
	assert_string_equal(got, want);
}

/* A pcapng whose second interface is raw IP: libpcap 1.10 reads the
 * first interface's packets and stops at the second's description;
 * portaudit reads the rest itself (capture/pcapng.c), each packet with
 * its interface's link type and time resolution, the filter compiled for
 * each. Not a cut file, nothing unread. Both link types are listed in
 * capture.linktypes, and still after a merge of the report. */
static void test_pcapng_mixed_links(void **state)
{
	(void)state;
	const char *path = pa_tmp("mixed.pcapng");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint8_t shb[16] = { 0 };
	uint32_t magic = 0x1A2B3C4D;
	uint16_t major = 1, minor = 0;
	int64_t seclen = -1;
	memcpy(shb, &magic, 4);
	memcpy(shb + 4, &major, 2);
	memcpy(shb + 6, &minor, 2);
	memcpy(shb + 8, &seclen, 8);
	ng_block(f, 0x0A0D0D0A, shb, sizeof shb);
	ng_idb(f, 1); /* Ethernet */
	uint32_t c = 0x0a000114, sv = 0x0a000005; /* 10.0.1.20, 10.0.0.5 */
	uint64_t t = 1767607200ull * 1000000;
	struct frame syn = mk4(6, c, 51000, sv, 1960, 0x02, 0);
	struct frame sa = mk4(6, sv, 1960, c, 51000, 0x12, 0);
	struct frame ack = mk4(6, c, 51000, sv, 1960, 0x10, 0);
	ng_epb(f, 0, t, &syn);
	ng_epb(f, 0, t + 100, &sa);
	ng_epb(f, 0, t + 200, &ack);
	ng_idb(f, 101); /* raw IP: libpcap stops here */
	struct frame raw = mkraw(c, 5000, sv, 514, 10);
	ng_epb(f, 1, t + 1000300, &raw);
	ng_epb(f, 0, t + 2000000, &ack); /* the first interface again */
	assert_int_equal(fclose(f), 0);
	struct pa_result r;
	pa_runl(&r, "-q", "--json", "-", "--server", "10.0.0.5", "-r", path,
	        NULL);
	assert_int_equal(r.status, 0);
	json_t *j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	json_t *cap = json_object_get(j, "capture");
	assert_int_equal(json_integer_value(json_object_get(cap, "packets")), 5);
	assert_true(json_is_false(json_object_get(cap, "truncated")));
	assert_true(json_is_null(json_object_get(cap, "unread")));
	assert_string_equal(json_string_value(json_object_get(cap, "end")),
	                    "2026-01-05T10:00:02.000000Z");
	assert_linktypes(cap, "EN10MB,RAW");
	json_t *sum = json_object_get(j, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "flows")), 2);
	assert_int_equal(json_integer_value(json_object_get(sum, "expected")),
	                 2); /* base-router, and syslog to the server */
	json_decref(j);
	pa_result_free(&r);
	/* The terminal and the HTML page say so too. */
	const char *html = pa_tmp("mixed.html");
	pa_runl(&r, "--server", "10.0.0.5", "-r", path, "--html", html, NULL);
	assert_true(pa_contains(r.out, "[EN10MB]"));
	assert_true(pa_contains(r.out, "also read   RAW"));
	pa_result_free(&r);
	char *h = pa_read_file(html, NULL);
	assert_non_null(h);
	assert_true(pa_contains(h, "<dt>Also read</dt><dd>RAW</dd>"));
	free(h);
	/* merged with a report of another file: one link type per source,
	 * then the mixed file's other one */
	const char *rep = pa_tmp("mixed.json"), *other = pa_tmp("other.json");
	pa_runl(&r, "-q", "--json", rep, "--server", "10.0.0.5", "-r", path,
	        NULL);
	assert_int_equal(r.status, 0);
	pa_result_free(&r);
	pa_runl(&r, "-q", "--json", other, "--server", "10.0.0.5", "-r",
	        pa_src("pcaps/demo.pcap"), NULL);
	pa_result_free(&r);
	pa_runl(&r, "merge", "-q", rep, other, "--json", "-", NULL);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_linktypes(json_object_get(j, "capture"), "EN10MB,EN10MB,RAW");
	json_decref(j);
	pa_result_free(&r);
	/* The filter holds on every interface: udp keeps the raw packet. */
	pa_runl(&r, "-q", "--json", "-", "--server", "10.0.0.5", "-r", path,
	        "udp", NULL);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	cap = json_object_get(j, "capture");
	assert_int_equal(json_integer_value(json_object_get(cap, "packets")), 1);
	json_decref(j);
	pa_result_free(&r);
	/* One that has no meaning on raw IP: its packets are not read, and
	 * the report says so. */
	pa_runl(&r, "-q", "--json", "-", "--server", "10.0.0.5", "-r", path,
	        "ether", "host", "02:04:0a:00:01:14", NULL);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	cap = json_object_get(j, "capture");
	assert_true(pa_contains(json_string_value(json_object_get(cap,
	            "unread")), "1 the filter does not apply to"));
	assert_true(pa_has_caveat(j, "was not read whole"));
	json_decref(j);
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_pcapng_mixed_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
