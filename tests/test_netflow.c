/*
 * test_netflow.c -- the NetFlow v5 / v9 / IPFIX decoder (capture/netflow.c)
 * on generated datagrams: every field mapping, IPv4 and IPv6, ICMP, VLAN,
 * every time element, RFC 5103 biflows, templates across datagrams,
 * exporters and domains, withdrawal and redefinition, options records with
 * sampling, sequence gaps (both IPFIX readings), data before its template,
 * every truncation, bad lengths, the template cache and exporter caps.
 */
#include <stdio.h>

#include "tests/netflow_test.h"

#define EXP 1767607200u /* 2026-01-05T10:00:00Z, the export time */
#define NS 1000000000ull
#define MS 1000000ull

static struct cap_netflow *mk(uint32_t max_templates, uint32_t max_exporters)
{
	nt_reset();
	struct cap_netflow *nf = cap_netflow_new(nt_pairer(), &nt_rs,
	                                         max_templates, max_exporters);
	assert_non_null(nf);
	return nf;
}

/* ---- v5 ----------------------------------------------------------------- */

static void test_v5_fields(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	v5_hdr(&p, 2, 100000, EXP, 500000000, 1000, 1, 2, 0x4000 | 100);
	v5_rec(&p, "10.0.0.1", "10.0.0.2", 51000, 443, 6, 0x1b, 10, 1500,
	       90000, 99000);
	/* ICMP: type/code in the destination port; a start 500 ms after the
	 * header's sysUptime (the export rounds down) */
	v5_rec(&p, "10.0.0.3", "10.0.0.4", 7, 0x0303, 1, 0, 1, 56, 100500,
	       100500);
	nt_feed(nf, "192.0.2.1", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.records, 2);
	assert_int_equal(nt_rs.exporters, 1);
	assert_int_equal(nt_rs.sampling, 100);
	assert_int_equal(nt_nrecs, 2);
	const struct cap_record *r = &nt_recs[0];
	uint64_t exp_ns = (uint64_t)EXP * NS + 500000000ull;
	assert_int_equal(r->family, 4);
	assert_addr_is(4, r->src, "10.0.0.1");
	assert_addr_is(4, r->dst, "10.0.0.2");
	assert_int_equal(r->sport, 51000);
	assert_int_equal(r->dport, 443);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->tcp_flags, 0x1b);
	assert_int_equal(r->pkts, 10);
	assert_int_equal(r->bytes, 1500);
	assert_int_equal(r->first_ns, exp_ns - 10000 * MS);
	assert_int_equal(r->last_ns, exp_ns - 1000 * MS);
	assert_int_equal(r->vlan, 0);
	assert_false(r->biflow);
	assert_int_equal(r->direction, -1);
	assert_int_equal(r->exporter, 0);
	assert_int_equal(r->sampling, 100);
	r = &nt_recs[1];
	assert_int_equal(r->proto, 1);
	assert_int_equal(r->sport, 0);
	assert_int_equal(r->dport, 0x0303);
	assert_int_equal(r->first_ns, exp_ns + 500 * MS);
	cap_netflow_free(nf);
}

static void v5_one(struct cap_netflow *nf, const char *from, uint32_t seq,
                   unsigned count, unsigned engine_id)
{
	struct nb p = { .n = 0 };
	v5_hdr(&p, count, 5000, EXP, 0, seq, 0, engine_id, 0);
	for (unsigned i = 0; i < count; i++)
		v5_rec(&p, "10.0.0.1", "10.0.0.2", 1000 + i, 80, 6, 2, 1, 60,
		       4000, 4000);
	nt_feed(nf, from, &p);
}

static void test_v5_sequence(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 8);
	v5_one(nf, "192.0.2.1", 0, 2, 0);
	v5_one(nf, "192.0.2.1", 2, 1, 0);
	assert_int_equal(nt_rs.sequence_gaps, 0);
	v5_one(nf, "192.0.2.1", 3, 3, 0);
	/* another engine of the same address has its own numbering */
	v5_one(nf, "192.0.2.1", 500, 1, 7);
	v5_one(nf, "192.0.2.1", 501, 1, 7);
	/* and another address too */
	v5_one(nf, "192.0.2.9", 77, 1, 0);
	assert_int_equal(nt_rs.sequence_gaps, 0);
	assert_int_equal(nt_rs.exporters, 3);
	v5_one(nf, "192.0.2.1", 20, 1, 0); /* 6..19 lost */
	assert_int_equal(nt_rs.sequence_gaps, 1);
	v5_one(nf, "192.0.2.1", 21, 1, 0);
	v5_one(nf, "192.0.2.1", 0, 1, 0);  /* a restart: not a gap */
	v5_one(nf, "192.0.2.1", 1, 1, 0);
	assert_int_equal(nt_rs.sequence_gaps, 1);
	assert_int_equal(nt_rs.records, 13);
	assert_int_equal(nt_recs[5].exporter, 0);
	assert_int_equal(nt_recs[6].exporter, 1);
	assert_int_equal(nt_recs[7].exporter, 1);
	assert_int_equal(nt_recs[8].exporter, 2);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);
}

/* ---- v9 ----------------------------------------------------------------- */

static const struct fs v9_ip4[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
	{ 1, 4, 0 }, { 2, 8, 0 }, { 6, 1, 0 }, { 22, 4, 0 }, { 21, 4, 0 },
	{ 58, 2, 0 }, { 10, 2, 0 }, { 5, 1, 0 },
};
#define V9_IP4_LEN 39

static void v9_ip4_rec(struct nb *p, const char *src, const char *dst,
                       unsigned sport, unsigned dport, unsigned proto,
                       uint32_t bytes, uint64_t pkts, unsigned flags,
                       uint32_t first, uint32_t last, unsigned vlan)
{
	nb_addr(p, src);
	nb_addr(p, dst);
	nb_be16(p, sport);
	nb_be16(p, dport);
	nb_u8(p, proto);
	nb_be32(p, bytes);
	nb_be64(p, pkts);
	nb_u8(p, flags);
	nb_be32(p, first);
	nb_be32(p, last);
	nb_be16(p, vlan);
	nb_be16(p, 7);  /* input interface */
	nb_u8(p, 0x28); /* tos */
}

static void v9_tmpl_set(struct nb *p, unsigned id, const struct fs *f,
                        size_t n)
{
	size_t s = set_begin(p, 0);
	tmpl_rec(p, id, f, n);
	set_end(p, s);
}

static void test_v9_ipv4_fields(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	v9_hdr(&p, 3, 61000, EXP, 1, 0);
	v9_tmpl_set(&p, 256, NFS(v9_ip4));
	size_t s = set_begin(&p, 256);
	v9_ip4_rec(&p, "10.1.1.1", "10.2.2.2", 40000, 53, 17, 300, 3, 0,
	           50000, 60000, 0x1064);
	v9_ip4_rec(&p, "10.1.1.3", "10.2.2.4", 40001, 22, 6, 4000, 20, 0x1a,
	           60500, 60900, 0);
	set_pad_end(&p, s); /* 2 records of 39 bytes + 2 bytes of padding */
	nt_feed(nf, "192.0.2.1", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.templates_missing, 0);
	assert_int_equal(nt_nrecs, 2);
	const struct cap_record *r = &nt_recs[0];
	uint64_t exp_ns = (uint64_t)EXP * NS;
	assert_int_equal(r->family, 4);
	assert_addr_is(4, r->src, "10.1.1.1");
	assert_addr_is(4, r->dst, "10.2.2.2");
	assert_int_equal(r->sport, 40000);
	assert_int_equal(r->dport, 53);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->bytes, 300);
	assert_int_equal(r->pkts, 3);
	assert_int_equal(r->first_ns, exp_ns - 11000 * MS);
	assert_int_equal(r->last_ns, exp_ns - 1000 * MS);
	assert_int_equal(r->vlan, 100); /* the PCP bits are not the id */
	assert_int_equal(r->sampling, 0);
	r = &nt_recs[1];
	assert_int_equal(r->tcp_flags, 0x1a);
	assert_int_equal(r->pkts, 20);
	assert_int_equal(r->vlan, 0);
	assert_int_equal(r->first_ns, exp_ns - 500 * MS);
	cap_netflow_free(nf);
}

static void test_v9_ipv6_icmp(void **state)
{
	(void)state;
	static const struct fs f[] = {
		{ 27, 16, 0 }, { 28, 16, 0 }, { 4, 1, 0 }, { 139, 2, 0 },
		{ 243, 2, 0 }, { 11, 2, 0 }, { 2, 4, 0 }, { 1, 4, 0 },
	};
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	v9_hdr(&p, 2, 1000, EXP, 7, 3);
	v9_tmpl_set(&p, 257, NFS(f));
	size_t s = set_begin(&p, 257);
	nb_addr(&p, "2001:db8::1");
	nb_addr(&p, "2001:db8::2");
	nb_u8(&p, 58);
	nb_be16(&p, 128 << 8 | 0); /* echo request */
	nb_be16(&p, 200);
	nb_be16(&p, 999);
	nb_be32(&p, 2);
	nb_be32(&p, 208);
	set_pad_end(&p, s);
	nt_feed(nf, "2001:db8:ffff::9", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_nrecs, 1);
	const struct cap_record *r = &nt_recs[0];
	assert_int_equal(r->family, 6);
	assert_addr_is(6, r->src, "2001:db8::1");
	assert_addr_is(6, r->dst, "2001:db8::2");
	assert_int_equal(r->proto, 58);
	assert_int_equal(r->sport, 0);
	assert_int_equal(r->dport, 0x8000);
	assert_int_equal(r->vlan, 200);
	assert_int_equal(r->pkts, 2);
	assert_int_equal(r->bytes, 208);
	/* no time element: the export time */
	assert_int_equal(r->first_ns, (uint64_t)EXP * NS);
	assert_int_equal(r->last_ns, (uint64_t)EXP * NS);
	cap_netflow_free(nf);
}

/* A v9 datagram with one data set of template `id`: n records, ports
 * base.. base+n-1. */
static void v9_data(struct nb *p, uint32_t seq, unsigned id, unsigned n,
                    unsigned base)
{
	v9_hdr(p, n, 61000, EXP, seq, 0);
	size_t s = set_begin(p, id);
	for (unsigned i = 0; i < n; i++)
		v9_ip4_rec(p, "10.1.1.1", "10.2.2.2", base + i, 80, 6, 100, 1,
		           2, 60000, 60000, 0);
	set_pad_end(p, s);
}

static void test_v9_data_before_template(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };

	/* the data, then its template in a later datagram */
	v9_data(&p, 1, 258, 2, 1000);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 1);
	assert_int_equal(nt_nrecs, 0);
	p.n = 0;
	v9_hdr(&p, 1, 62000, EXP, 2, 0);
	v9_tmpl_set(&p, 258, NFS(v9_ip4));
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 0);
	assert_int_equal(nt_nrecs, 2);
	assert_int_equal(nt_recs[1].sport, 1001);
	/* times from the datagram the data came in (uptime 61000) */
	assert_int_equal(nt_recs[0].first_ns, (uint64_t)EXP * NS - 1000 * MS);
	p.n = 0;
	v9_data(&p, 3, 258, 1, 2000);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_nrecs, 3);

	/* data, then its template later in the same datagram */
	p.n = 0;
	v9_data(&p, 4, 259, 1, 3000);
	v9_tmpl_set(&p, 259, NFS(v9_ip4));
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 0);
	assert_int_equal(nt_nrecs, 4);
	assert_int_equal(nt_recs[3].sport, 3000);

	/* a data set larger than a kept set can be: stays counted */
	p.n = 0;
	v9_data(&p, 5, 260, 60, 4000);
	nt_feed(nf, "192.0.2.1", &p);
	p.n = 0;
	v9_hdr(&p, 1, 62000, EXP, 6, 0);
	v9_tmpl_set(&p, 260, NFS(v9_ip4));
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 1);
	assert_int_equal(nt_nrecs, 4);

	/* 17 sets before the template: the ring keeps the last 16 */
	for (unsigned i = 0; i < 17; i++) {
		p.n = 0;
		v9_data(&p, 7 + i, 261, 1, 5000 + i);
		nt_feed(nf, "192.0.2.1", &p);
	}
	assert_int_equal(nt_rs.templates_missing, 18);
	p.n = 0;
	v9_hdr(&p, 1, 62000, EXP, 24, 0);
	v9_tmpl_set(&p, 261, NFS(v9_ip4));
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 2);
	assert_int_equal(nt_nrecs, 20);
	assert_int_equal(nt_recs[4].sport, 5001); /* oldest kept first */
	assert_int_equal(nt_recs[19].sport, 5016);
	/* a kept set of another exporter is not decoded by this template */
	p.n = 0;
	v9_data(&p, 1, 262, 1, 6000);
	nt_feed(nf, "192.0.2.2", &p);
	p.n = 0;
	v9_hdr(&p, 1, 62000, EXP, 25, 0);
	v9_tmpl_set(&p, 262, NFS(v9_ip4));
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 3);
	assert_int_equal(nt_nrecs, 20);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);
}

/* Two layouts of one template id: addresses and ports swapped. */
static const struct fs lay_a[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
};
static const struct fs lay_b[] = {
	{ 12, 4, 0 }, { 8, 4, 0 }, { 11, 2, 0 }, { 7, 2, 0 }, { 4, 1, 0 },
};

static void lay_rec(struct nb *p)
{
	nb_addr(p, "10.0.0.1");
	nb_addr(p, "10.0.0.2");
	nb_be16(p, 1111);
	nb_be16(p, 2222);
	nb_u8(p, 17);
}

static void v9_lay(struct nb *p, uint32_t srcid, const struct fs *f,
                   size_t n, bool tmpl)
{
	p->n = 0;
	v9_hdr(p, 1, 1000, EXP, 1, srcid);
	if (tmpl)
		v9_tmpl_set(p, 256, f, n);
	size_t s = set_begin(p, 256);
	lay_rec(p);
	set_pad_end(p, s);
}

static void check_lay(const struct cap_record *r, bool swapped,
                      uint32_t exporter)
{
	assert_addr_is(4, r->src, swapped ? "10.0.0.2" : "10.0.0.1");
	assert_addr_is(4, r->dst, swapped ? "10.0.0.1" : "10.0.0.2");
	assert_int_equal(r->sport, swapped ? 2222 : 1111);
	assert_int_equal(r->dport, swapped ? 1111 : 2222);
	assert_int_equal(r->exporter, exporter);
}

static void test_v9_exporters_domains(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 8);
	struct nb p;
	v9_lay(&p, 1, NFS(lay_a), true);
	nt_feed(nf, "192.0.2.1", &p);
	v9_lay(&p, 1, NFS(lay_b), true);
	nt_feed(nf, "192.0.2.2", &p);
	v9_lay(&p, 2, NFS(lay_b), true); /* same address, another source id */
	nt_feed(nf, "192.0.2.1", &p);
	/* data alone, each with its own exporter's template */
	v9_lay(&p, 1, NULL, 0, false);
	nt_feed(nf, "192.0.2.1", &p);
	v9_lay(&p, 1, NULL, 0, false);
	nt_feed(nf, "192.0.2.2", &p);
	v9_lay(&p, 2, NULL, 0, false);
	nt_feed(nf, "192.0.2.1", &p);
	/* a source id nobody defined 256 for */
	v9_lay(&p, 3, NULL, 0, false);
	nt_feed(nf, "192.0.2.1", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.exporters, 4);
	assert_int_equal(nt_rs.templates_missing, 1);
	assert_int_equal(nt_nrecs, 6);
	check_lay(&nt_recs[0], false, 0);
	check_lay(&nt_recs[1], true, 1);
	check_lay(&nt_recs[2], true, 2);
	check_lay(&nt_recs[3], false, 0);
	check_lay(&nt_recs[4], true, 1);
	check_lay(&nt_recs[5], true, 2);

	/* an IPFIX template 256 of the same exporter is another template */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, 256);
	lay_rec(&p);
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 2);
	assert_int_equal(nt_nrecs, 6);
	cap_netflow_free(nf);
}

static void test_redefinition(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 8);
	struct nb p;
	v9_lay(&p, 0, NFS(lay_a), true);
	nt_feed(nf, "192.0.2.1", &p);
	v9_lay(&p, 0, NFS(lay_b), true); /* v9: a new template replaces */
	nt_feed(nf, "192.0.2.1", &p);
	v9_lay(&p, 0, NULL, 0, false);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_nrecs, 3);
	check_lay(&nt_recs[0], false, 0);
	check_lay(&nt_recs[1], true, 0);
	check_lay(&nt_recs[2], true, 0);

	/* IPFIX over UDP: a template id redefined without withdrawal */
	for (unsigned k = 0; k < 2; k++) {
		p.n = 0;
		ipfix_hdr(&p, EXP, 0, 5);
		size_t s = set_begin(&p, 2);
		if (k == 0)
			tmpl_rec(&p, 300, NFS(lay_a));
		else
			tmpl_rec(&p, 300, NFS(lay_b));
		set_end(&p, s);
		s = set_begin(&p, 300);
		lay_rec(&p);
		set_pad_end(&p, s);
		ipfix_end(&p);
		nt_feed(nf, "192.0.2.1", &p);
	}
	assert_int_equal(nt_nrecs, 5);
	check_lay(&nt_recs[3], false, 1);
	check_lay(&nt_recs[4], true, 1);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);
}

static void test_v9_options_sampling(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	v9_hdr(&p, 3, 61000, EXP, 1, 0);
	/* options template 300: scope System (type 1, which as an element
	 * would be IN_BYTES: must be skipped), SAMPLING_INTERVAL 34,
	 * SAMPLING_ALGORITHM 35 */
	size_t s = set_begin(&p, 1);
	nb_be16(&p, 300);
	nb_be16(&p, 4);  /* scope length */
	nb_be16(&p, 8);  /* options length */
	nb_be16(&p, 1);
	nb_be16(&p, 4);
	nb_be16(&p, 34);
	nb_be16(&p, 4);
	nb_be16(&p, 35);
	nb_be16(&p, 1);
	set_pad_end(&p, s);
	s = set_begin(&p, 300);
	nb_be32(&p, 0xffffffffu);
	nb_be32(&p, 100);
	nb_u8(&p, 2);
	set_pad_end(&p, s);
	v9_tmpl_set(&p, 256, NFS(v9_ip4));
	s = set_begin(&p, 256);
	v9_ip4_rec(&p, "10.1.1.1", "10.2.2.2", 1, 2, 17, 1, 1, 0, 1, 1, 0);
	set_pad_end(&p, s);
	nt_feed(nf, "192.0.2.1", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.records, 1); /* the options record is none */
	assert_int_equal(nt_nrecs, 1);
	assert_int_equal(nt_recs[0].sampling, 100);
	assert_int_equal(nt_rs.sampling, 100);
	/* another exporter knows nothing of it */
	v9_lay(&p, 0, NFS(lay_a), true);
	nt_feed(nf, "192.0.2.2", &p);
	assert_int_equal(nt_nrecs, 2);
	assert_int_equal(nt_recs[1].sampling, 0);
	cap_netflow_free(nf);
}

static void v9_seq(struct cap_netflow *nf, uint32_t seq, uint32_t srcid)
{
	struct nb p = { .n = 0 };
	v9_hdr(&p, 0, 1000, EXP, seq, srcid);
	nt_feed(nf, "192.0.2.1", &p);
}

static void test_v9_sequence(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 4);
	v9_seq(nf, 1, 0);
	v9_seq(nf, 2, 0);
	v9_seq(nf, 100, 1);
	v9_seq(nf, 4, 0); /* 3 lost */
	v9_seq(nf, 101, 1);
	assert_int_equal(nt_rs.sequence_gaps, 1);
	v9_seq(nf, 5, 0);
	v9_seq(nf, 3, 0); /* late: not another gap */
	v9_seq(nf, 4, 0);
	/* a jump back (a restart) is no gap, and the numbering wraps */
	v9_seq(nf, 0xfffffffeu, 1);
	v9_seq(nf, 0xffffffffu, 1);
	v9_seq(nf, 0, 1);
	v9_seq(nf, 1, 1);
	assert_int_equal(nt_rs.sequence_gaps, 1);
	v9_seq(nf, 3, 1);
	assert_int_equal(nt_rs.sequence_gaps, 2);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);
}

/* ---- IPFIX -------------------------------------------------------------- */

static void test_ipfix_fields(void **state)
{
	(void)state;
	static const struct fs f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 },
		{ 4, 1, 0 }, { 1, 8, 0 }, { 2, 8, 0 }, { 6, 2, 0 },
		{ 152, 8, 0 }, { 153, 8, 0 }, { 58, 2, 0 }, { 239, 1, 0 },
		{ 100, 4, 9 },            /* an enterprise element: skipped */
		{ 82, NT_VARLEN, 0 },     /* interfaceName */
		{ 86, 4, 0 },             /* packetTotalCount: 2 wins */
	};
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 77);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 400, NFS(f));
	set_end(&p, s);
	s = set_begin(&p, 400);
	for (unsigned k = 0; k < 2; k++) {
		nb_addr(&p, k ? "172.16.0.3" : "172.16.0.1");
		nb_addr(&p, "172.16.0.2");
		nb_be16(&p, 50000 + k);
		nb_be16(&p, 3389);
		nb_u8(&p, 6);
		nb_be64(&p, 123456789012ull);
		nb_be64(&p, 1000 + k);
		nb_be16(&p, 0x0112); /* a 16-bit tcpControlBits: NS set */
		nb_be64(&p, (uint64_t)EXP * 1000 + 123);
		nb_be64(&p, (uint64_t)EXP * 1000 + 4567);
		nb_be16(&p, 4094);
		nb_u8(&p, 1);
		nb_be32(&p, 0xdeadbeef);
		if (k == 0) { /* a short and a long variable-length field */
			nb_u8(&p, 3);
			nb_raw(&p, "eth", 3);
		} else {
			nb_u8(&p, 255);
			nb_be16(&p, 300);
			nb_fill(&p, 'x', 300);
		}
		nb_be32(&p, 77777);
	}
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_nrecs, 2);
	for (unsigned k = 0; k < 2; k++) {
		const struct cap_record *r = &nt_recs[k];
		assert_int_equal(r->family, 4);
		assert_addr_is(4, r->src, k ? "172.16.0.3" : "172.16.0.1");
		assert_addr_is(4, r->dst, "172.16.0.2");
		assert_int_equal(r->sport, 50000 + k);
		assert_int_equal(r->dport, 3389);
		assert_int_equal(r->proto, 6);
		assert_int_equal(r->bytes, 123456789012ull);
		assert_int_equal(r->pkts, 1000 + k);
		assert_int_equal(r->tcp_flags, 0x12);
		assert_int_equal(r->first_ns, (uint64_t)EXP * NS + 123 * MS);
		assert_int_equal(r->last_ns, (uint64_t)EXP * NS + 4567 * MS);
		assert_int_equal(r->vlan, 4094);
		assert_int_equal(r->direction, 1);
		assert_false(r->biflow);
	}
	cap_netflow_free(nf);
}

/* One IPFIX message: template `id` with fields f, one record built by
 * fill(), fed from 192.0.2.1; returns the record. */
static const struct cap_record *ipfix_one(struct cap_netflow *nf,
                                          unsigned id, const struct fs *f,
                                          size_t n,
                                          void (*fill)(struct nb *))
{
	struct nb p = { .n = 0 };
	unsigned before = nt_nrecs;
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, id, f, n);
	set_end(&p, s);
	s = set_begin(&p, id);
	nb_addr(&p, "10.9.9.1");
	nb_addr(&p, "10.9.9.2");
	fill(&p);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_nrecs, before + 1);
	return &nt_recs[before];
}

static void fill_secs(struct nb *p)
{
	nb_be32(p, EXP - 60);
	nb_be32(p, EXP - 1);
}
static void fill_usec(struct nb *p)
{
	nb_be32(p, (uint32_t)(EXP + 2208988800ull));
	nb_be32(p, 0x40000fffu);
	nb_be32(p, (uint32_t)(EXP + 2208988801ull));
	nb_be32(p, 0x80000000u);
}
static void fill_uptime_init(struct nb *p)
{
	nb_be64(p, (uint64_t)EXP * 1000 - 3600000); /* booted an hour ago */
	nb_be32(p, 1000);
	nb_be32(p, 2000);
}
static void fill_uptime(struct nb *p)
{
	nb_be32(p, 1000);
	nb_be32(p, 2000);
}
static void fill_delta(struct nb *p)
{
	nb_be32(p, 5000000); /* started 5 s before the export */
	nb_be32(p, 250);
}
static void fill_duration(struct nb *p)
{
	nb_be64(p, (uint64_t)EXP * 1000 - 10000);
	nb_be32(p, 1500);
}

static void test_ipfix_times(void **state)
{
	(void)state;
	static const struct fs t_s[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 150, 4, 0 }, { 151, 4, 0 } };
	static const struct fs t_us[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 154, 8, 0 }, { 157, 8, 0 } };
	static const struct fs t_up160[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 160, 8, 0 }, { 22, 4, 0 }, { 21, 4, 0 } };
	static const struct fs t_up[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 22, 4, 0 }, { 21, 4, 0 } };
	static const struct fs t_delta[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 158, 4, 0 }, { 159, 4, 0 } };
	static const struct fs t_dur[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 152, 8, 0 }, { 161, 4, 0 } };
	struct cap_netflow *nf = mk(16, 4);
	uint64_t e = (uint64_t)EXP * NS;
	const struct cap_record *r;

	r = ipfix_one(nf, 256, NFS(t_s), fill_secs);
	assert_int_equal(r->first_ns, e - 60 * NS);
	assert_int_equal(r->last_ns, e - NS);
	/* dateTimeMicroseconds ignores the low 11 bits of the fraction;
	 * nanoseconds do not */
	r = ipfix_one(nf, 257, NFS(t_us), fill_usec);
	assert_int_equal(r->first_ns, e + 250000476);
	assert_int_equal(r->last_ns, e + NS + 500000000);
	r = ipfix_one(nf, 258, NFS(t_up160), fill_uptime_init);
	assert_int_equal(r->first_ns, e - 3600 * NS + 1000 * MS);
	assert_int_equal(r->last_ns, e - 3600 * NS + 2000 * MS);
	/* IPFIX has no sysUptime in its header: without a boot time the
	 * record is put at the export time */
	r = ipfix_one(nf, 259, NFS(t_up), fill_uptime);
	assert_int_equal(r->first_ns, e);
	assert_int_equal(r->last_ns, e);
	r = ipfix_one(nf, 260, NFS(t_delta), fill_delta);
	assert_int_equal(r->first_ns, e - 5 * NS);
	assert_int_equal(r->last_ns, e - 250000);
	r = ipfix_one(nf, 261, NFS(t_dur), fill_duration);
	assert_int_equal(r->first_ns, e - 10 * NS);
	assert_int_equal(r->last_ns, e - 10 * NS + 1500 * MS);

	/* the boot time from an options record (as softflowd sends it) */
	static const struct fs opt[] = { { 143, 4, 0 }, { 160, 8, 0 } };
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, 3);
	opt_tmpl_rec(&p, 262, NFS(opt), 1);
	set_pad_end(&p, s);
	s = set_begin(&p, 262);
	nb_be32(&p, 1);
	nb_be64(&p, (uint64_t)EXP * 1000 - 7200000);
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	r = ipfix_one(nf, 259, NFS(t_up), fill_uptime);
	assert_int_equal(r->first_ns, e - 7200 * NS + 1000 * MS);
	assert_int_equal(r->last_ns, e - 7200 * NS + 2000 * MS);
	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.records, 7);
	cap_netflow_free(nf);
}

static void test_ipfix_biflow(void **state)
{
	(void)state;
	static const struct fs f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 },
		{ 4, 1, 0 }, { 1, 8, 0 }, { 2, 4, 0 }, { 6, 1, 0 },
		{ 1, 8, NT_PEN_REV }, { 2, 4, NT_PEN_REV }, { 6, 1, NT_PEN_REV },
		{ 239, 1, 0 },
		{ 152, 8, 0 }, { 153, 8, 0 },
		{ 152, 8, NT_PEN_REV }, { 153, 8, NT_PEN_REV },
		{ 8, 4, NT_PEN_REV }, /* a reverse element not used: skipped */
	};
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	uint64_t t = (uint64_t)EXP * 1000 - 60000;
	ipfix_hdr(&p, EXP, 0, 0);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 500, NFS(f));
	set_end(&p, s);
	s = set_begin(&p, 500);
	nb_addr(&p, "192.168.1.10");
	nb_addr(&p, "192.168.1.20");
	nb_be16(&p, 40000);
	nb_be16(&p, 1960);
	nb_u8(&p, 6);
	nb_be64(&p, 1000);
	nb_be32(&p, 10);
	nb_u8(&p, 0x02 | 0x10 | 0x01);
	nb_be64(&p, 5000);
	nb_be32(&p, 8);
	nb_u8(&p, 0x12 | 0x01);
	nb_u8(&p, 1);
	nb_be64(&p, t);
	nb_be64(&p, t + 5000);
	nb_be64(&p, t + 10);
	nb_be64(&p, t + 6000);
	nb_addr(&p, "1.2.3.4");
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);

	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_nrecs, 1);
	const struct cap_record *r = &nt_recs[0];
	assert_true(r->biflow);
	assert_addr_is(4, r->src, "192.168.1.10");
	assert_int_equal(r->bytes, 1000);
	assert_int_equal(r->pkts, 10);
	assert_int_equal(r->tcp_flags, 0x13);
	assert_int_equal(r->rev_bytes, 5000);
	assert_int_equal(r->rev_pkts, 8);
	assert_int_equal(r->rev_tcp_flags, 0x13);
	assert_int_equal(r->direction, 1);
	assert_int_equal(r->first_ns, t * MS);
	assert_int_equal(r->last_ns, (t + 6000) * MS);
	cap_netflow_free(nf);
}

static void ipfix_withdraw(struct cap_netflow *nf, unsigned set,
                           unsigned id)
{
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, set);
	nb_be16(&p, id);
	nb_be16(&p, 0);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
}

static void ipfix_lay_data(struct cap_netflow *nf, unsigned id)
{
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, id);
	lay_rec(&p);
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
}

static void test_ipfix_withdrawal(void **state)
{
	(void)state;
	static const struct fs opt[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 600, NFS(lay_a));
	tmpl_rec(&p, 601, NFS(lay_a));
	set_end(&p, s);
	s = set_begin(&p, 3);
	opt_tmpl_rec(&p, 602, NFS(opt), 1);
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);

	ipfix_lay_data(nf, 600);
	assert_int_equal(nt_nrecs, 1);
	ipfix_withdraw(nf, 2, 600);
	ipfix_lay_data(nf, 600);
	assert_int_equal(nt_nrecs, 1);
	assert_int_equal(nt_rs.templates_missing, 1);
	ipfix_lay_data(nf, 601);
	assert_int_equal(nt_nrecs, 2);
	/* template id 2 in a template set: every template withdrawn, the
	 * options templates kept */
	ipfix_withdraw(nf, 2, 2);
	ipfix_lay_data(nf, 601);
	assert_int_equal(nt_nrecs, 2);
	assert_int_equal(nt_rs.templates_missing, 2);
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 1);
	s = set_begin(&p, 602);
	nb_be32(&p, 1);
	nb_be32(&p, 50);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.sampling, 50);
	assert_int_equal(nt_rs.templates_missing, 2);
	/* template id 3 in an options template set: those too */
	ipfix_withdraw(nf, 3, 3);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.templates_missing, 3);
	assert_int_equal(nt_rs.malformed, 0);
	/* a withdrawal of an id below 256 that is not the set's own */
	ipfix_withdraw(nf, 2, 3);
	assert_int_equal(nt_rs.malformed, 1);

	/* a set of many withdraw-all records, with templates of another
	 * exporter in the cache: only this exporter's go */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 1);
	s = set_begin(&p, 2);
	tmpl_rec(&p, 600, NFS(lay_a));
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	nt_feed(nf, "192.0.2.2", &p);
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 1);
	s = set_begin(&p, 2);
	for (unsigned i = 0; i < 2000; i++) {
		nb_be16(&p, 2);
		nb_be16(&p, 0);
	}
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	unsigned before = nt_nrecs;
	uint64_t missing = nt_rs.templates_missing;
	ipfix_lay_data(nf, 600);
	assert_int_equal(nt_rs.templates_missing, missing + 1);
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 1);
	s = set_begin(&p, 600);
	lay_rec(&p);
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.2", &p);
	assert_int_equal(nt_nrecs, before + 1);
	assert_int_equal(nt_rs.malformed, 1);
	cap_netflow_free(nf);
}

static void test_ipfix_sampling(void **state)
{
	(void)state;
	/* PSAMP: 1 packet taken, 99 skipped: 1 in 100 */
	static const struct fs opt[] = { { 149, 4, 0 }, { 305, 4, 0 },
		{ 306, 4, 0 } };
	static const struct fs opt50[] = { { 149, 4, 0 }, { 50, 4, 0 } };
	static const struct fs per_rec[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 34, 4, 0 } };
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 1);
	size_t s = set_begin(&p, 3);
	opt_tmpl_rec(&p, 700, NFS(opt), 1);
	set_pad_end(&p, s);
	s = set_begin(&p, 700);
	nb_be32(&p, 1);
	nb_be32(&p, 1);
	nb_be32(&p, 99);
	set_end(&p, s);
	s = set_begin(&p, 2);
	tmpl_rec(&p, 701, NFS(lay_a));
	tmpl_rec(&p, 702, NFS(per_rec));
	set_end(&p, s);
	s = set_begin(&p, 701);
	lay_rec(&p);
	set_pad_end(&p, s);
	s = set_begin(&p, 702);
	nb_addr(&p, "10.0.0.7");
	nb_addr(&p, "10.0.0.8");
	nb_be32(&p, 10);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_nrecs, 2);
	assert_int_equal(nt_recs[0].sampling, 100);
	assert_int_equal(nt_recs[1].sampling, 10); /* its own says 10 */
	assert_int_equal(nt_rs.sampling, 100);

	/* another exporter announces 1 in 1000 (samplerRandomInterval) */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 1);
	s = set_begin(&p, 3);
	opt_tmpl_rec(&p, 700, NFS(opt50), 1);
	set_pad_end(&p, s);
	s = set_begin(&p, 700);
	nb_be32(&p, 1);
	nb_be32(&p, 1000);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.2", &p);
	assert_int_equal(nt_rs.sampling, 1000);
	assert_int_equal(nt_rs.records, 2);

	/* 8-byte sampling elements (fuzz_netflow found the division by a
	 * packet interval of 2^32, whose low 32 bits are zero): capped to
	 * 32 bits, 1 in (2^32 - 1 + 5) / (2^32 - 1) = 1 */
	static const struct fs opt8[] = { { 149, 4, 0 }, { 305, 8, 0 },
		{ 306, 8, 0 } };
	static const struct fs opt8s[] = { { 149, 4, 0 }, { 309, 8, 0 },
		{ 310, 8, 0 } };
	for (unsigned k = 0; k < 2; k++) {
		p.n = 0;
		ipfix_hdr(&p, EXP, 0, 7);
		s = set_begin(&p, 3);
		if (k == 0)
			opt_tmpl_rec(&p, 710, NFS(opt8), 1);
		else
			opt_tmpl_rec(&p, 710, NFS(opt8s), 1);
		set_pad_end(&p, s);
		s = set_begin(&p, 710);
		nb_be32(&p, 7);
		nb_be64(&p, 1ull << 32);
		nb_be64(&p, k ? 1ull << 33 : 5);
		set_end(&p, s);
		s = set_begin(&p, 2);
		tmpl_rec(&p, 711, NFS(lay_a));
		set_end(&p, s);
		s = set_begin(&p, 711);
		lay_rec(&p);
		set_pad_end(&p, s);
		ipfix_end(&p);
		nt_feed(nf, "192.0.2.3", &p);
		assert_int_equal(nt_recs[nt_nrecs - 1].sampling, 1);
	}
	assert_int_equal(nt_rs.sampling, 1000);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);
}

/* An IPFIX message with `flows` flow records of template 256 and `opts`
 * options records of template 257 (both defined in every message). */
static void ipfix_seq(struct cap_netflow *nf, uint32_t seq, unsigned flows,
                      unsigned opts)
{
	static const struct fs opt[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, seq, 9);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(lay_a));
	set_end(&p, s);
	s = set_begin(&p, 3);
	opt_tmpl_rec(&p, 257, NFS(opt), 1);
	set_pad_end(&p, s);
	if (opts) {
		s = set_begin(&p, 257);
		for (unsigned i = 0; i < opts; i++) {
			nb_be32(&p, 9);
			nb_be32(&p, 1);
		}
		set_end(&p, s);
	}
	if (flows) {
		s = set_begin(&p, 256);
		for (unsigned i = 0; i < flows; i++)
			lay_rec(&p);
		set_pad_end(&p, s);
	}
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
}

static void test_ipfix_sequence(void **state)
{
	(void)state;
	/* RFC 7011: the records before this message, options ones too */
	struct cap_netflow *nf = mk(16, 4);
	ipfix_seq(nf, 0, 2, 0);
	ipfix_seq(nf, 2, 3, 1);
	ipfix_seq(nf, 6, 1, 0);
	ipfix_seq(nf, 7, 0, 0);
	ipfix_seq(nf, 7, 5, 0);
	assert_int_equal(nt_rs.sequence_gaps, 0);
	ipfix_seq(nf, 20, 1, 0); /* 12..19 lost */
	assert_int_equal(nt_rs.sequence_gaps, 1);
	ipfix_seq(nf, 21, 2, 0);
	ipfix_seq(nf, 25, 2, 0); /* 23, 24 lost */
	assert_int_equal(nt_rs.sequence_gaps, 2);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);

	/* softflowd: the flow records up to and with this message */
	nf = mk(16, 4);
	ipfix_seq(nf, 2, 2, 1);
	ipfix_seq(nf, 5, 3, 0);
	ipfix_seq(nf, 6, 1, 1);
	ipfix_seq(nf, 10, 4, 0);
	ipfix_seq(nf, 10, 0, 1);
	ipfix_seq(nf, 11, 1, 0);
	assert_int_equal(nt_rs.sequence_gaps, 0);
	ipfix_seq(nf, 20, 2, 0); /* 12..18 lost */
	assert_int_equal(nt_rs.sequence_gaps, 1);
	ipfix_seq(nf, 23, 3, 0);
	assert_int_equal(nt_rs.sequence_gaps, 1);

	/* a data set without its template: its count is unknown, the next
	 * message sets the numbering again without a gap */
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 23, 9);
	size_t s = set_begin(&p, 999);
	lay_rec(&p);
	set_pad_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	ipfix_seq(nf, 40, 1, 0);
	ipfix_seq(nf, 41, 1, 0);
	assert_int_equal(nt_rs.sequence_gaps, 1);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);
}

static void test_mixed_families(void **state)
{
	(void)state;
	/* one template with both families, the unused one zero */
	static const struct fs f[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 27, 16, 0 }, { 28, 16, 0 }, { 4, 1, 0 } };
	static const struct fs noaddr[] = { { 7, 2, 0 }, { 11, 2, 0 } };
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 0);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(f));
	tmpl_rec(&p, 257, NFS(noaddr));
	set_end(&p, s);
	s = set_begin(&p, 256);
	nb_addr(&p, "10.0.0.1");
	nb_addr(&p, "10.0.0.2");
	nb_fill(&p, 0, 32);
	nb_u8(&p, 6);
	nb_fill(&p, 0, 8);
	nb_addr(&p, "fe80::1");
	nb_addr(&p, "ff02::1");
	nb_u8(&p, 17);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_nrecs, 2);
	assert_int_equal(nt_recs[0].family, 4);
	assert_addr_is(4, nt_recs[0].src, "10.0.0.1");
	assert_int_equal(nt_recs[1].family, 6);
	assert_addr_is(6, nt_recs[1].dst, "ff02::1");

	/* a record without an address pair is no flow: counted */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	s = set_begin(&p, 257);
	nb_be16(&p, 1);
	nb_be16(&p, 2);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_rs.malformed, 1);
	assert_int_equal(nt_nrecs, 2);
	assert_int_equal(nt_rs.records, 2);
	cap_netflow_free(nf);
}

static void test_reduced_size(void **state)
{
	(void)state;
	/* RFC 7011, 6.2: counters in fewer bytes than their type */
	static const struct fs f[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 1, 3, 0 }, { 2, 1, 0 }, { 7, 1, 0 } };
	struct cap_netflow *nf = mk(16, 4);
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 0);
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(f));
	set_end(&p, s);
	s = set_begin(&p, 256);
	nb_addr(&p, "10.0.0.1");
	nb_addr(&p, "10.0.0.2");
	nb_u8(&p, 0x01);
	nb_be16(&p, 0x0203);
	nb_u8(&p, 200);
	nb_u8(&p, 99);
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	assert_int_equal(nt_nrecs, 1);
	assert_int_equal(nt_recs[0].bytes, 0x010203);
	assert_int_equal(nt_recs[0].pkts, 200);
	assert_int_equal(nt_recs[0].sport, 99);
	cap_netflow_free(nf);
}

/* ---- truncation --------------------------------------------------------- */

/* Feed every cut 0..full-1 of p to a fresh decoder: each must be counted
 * malformed exactly once, unless it ends on a set boundary (ok[]), where
 * it is a valid shorter datagram. The full datagram must not be counted.
 * With patch_ipfix, the IPFIX message length is set to the cut, so that
 * the sets, not the header, are what is cut. */
static void sweep(const struct nb *p, const size_t *ok, size_t nok,
                  bool patch_ipfix, unsigned full_records)
{
	struct nb q;
	for (size_t n = 0; n <= p->n; n++) {
		struct cap_netflow *nf = mk(16, 4);
		q = *p;
		if (patch_ipfix && n >= 4)
			nb_put16(&q, 2, n);
		nt_feed_n(nf, "192.0.2.1", q.b, n);
		bool boundary = n == p->n;
		for (size_t i = 0; i < nok; i++)
			boundary |= ok[i] == n;
		if (nt_rs.malformed != (boundary ? 0u : 1u))
			fail_msg("cut at %zu of %zu: malformed %llu", n, p->n,
			         (unsigned long long)nt_rs.malformed);
		assert_true(nt_nrecs <= full_records);
		if (n == p->n)
			assert_int_equal(nt_nrecs, full_records);
		cap_netflow_free(nf);
	}
}

static void test_truncation_v5(void **state)
{
	(void)state;
	struct nb p = { .n = 0 };
	v5_hdr(&p, 2, 100000, EXP, 0, 1, 0, 0, 0);
	v5_rec(&p, "10.0.0.1", "10.0.0.2", 1, 2, 6, 2, 1, 40, 1, 2);
	v5_rec(&p, "10.0.0.1", "10.0.0.3", 1, 2, 6, 2, 1, 40, 1, 2);
	sweep(&p, NULL, 0, false, 2);
}

static void test_truncation_v9(void **state)
{
	(void)state;
	struct nb p = { .n = 0 };
	size_t ok[8], nok = 0;
	v9_hdr(&p, 5, 61000, EXP, 1, 0);
	ok[nok++] = p.n;
	v9_tmpl_set(&p, 256, NFS(v9_ip4));
	ok[nok++] = p.n;
	size_t s = set_begin(&p, 1);
	nb_be16(&p, 300);
	nb_be16(&p, 4);
	nb_be16(&p, 4);
	nb_be16(&p, 2);  /* scope: interface */
	nb_be16(&p, 4);
	nb_be16(&p, 34);
	nb_be16(&p, 4);
	set_pad_end(&p, s);
	ok[nok++] = p.n;
	s = set_begin(&p, 300);
	nb_be32(&p, 1);
	nb_be32(&p, 10);
	set_end(&p, s);
	ok[nok++] = p.n;
	s = set_begin(&p, 256);
	v9_ip4_rec(&p, "10.1.1.1", "10.2.2.2", 1, 2, 17, 1, 1, 0, 1, 1, 0);
	v9_ip4_rec(&p, "10.1.1.1", "10.2.2.3", 1, 2, 17, 1, 1, 0, 1, 1, 0);
	set_pad_end(&p, s);
	sweep(&p, ok, nok, false, 2);
}

static void ipfix_full(struct nb *p, size_t *ok, size_t *nok)
{
	static const struct fs f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 82, NT_VARLEN, 0 }, { 2, 8, 0 },
		{ 1, 8, NT_PEN_REV }, { 5, 1, 9 },
	};
	static const struct fs opt[] = { { 149, 4, 0 }, { 305, 4, 0 },
		{ 306, 4, 0 } };
	p->n = 0;
	ipfix_hdr(p, EXP, 0, 0);
	ok[(*nok)++] = p->n;
	size_t s = set_begin(p, 2);
	tmpl_rec(p, 256, NFS(f));
	set_end(p, s);
	ok[(*nok)++] = p->n;
	s = set_begin(p, 3);
	opt_tmpl_rec(p, 257, NFS(opt), 1);
	set_pad_end(p, s);
	ok[(*nok)++] = p->n;
	s = set_begin(p, 257);
	nb_be32(p, 0);
	nb_be32(p, 1);
	nb_be32(p, 9);
	set_end(p, s);
	ok[(*nok)++] = p->n;
	s = set_begin(p, 256);
	for (unsigned k = 0; k < 2; k++) {
		nb_addr(p, "10.0.0.1");
		nb_addr(p, "10.0.0.2");
		nb_u8(p, 255);
		nb_be16(p, 5);
		nb_raw(p, "eth0.", 5);
		nb_be64(p, 7);
		nb_be64(p, 9);
		nb_u8(p, 1);
	}
	set_end(p, s);
	ipfix_end(p);
}

static void test_truncation_ipfix(void **state)
{
	(void)state;
	struct nb p;
	size_t ok[8], nok = 0;
	ipfix_full(&p, ok, &nok);
	/* the datagram cut: the message length says more, always counted */
	sweep(&p, NULL, 0, false, 2);
	/* the message itself cut (its length too): set boundaries are valid */
	sweep(&p, ok, nok, true, 2);
}

/* ---- bad lengths and values --------------------------------------------- */

static void expect_bad(const struct nb *p, const char *what,
                       unsigned records)
{
	struct cap_netflow *nf = mk(16, 4);
	nt_feed(nf, "192.0.2.1", p);
	if (nt_rs.malformed != 1)
		fail_msg("%s: malformed %llu", what,
		         (unsigned long long)nt_rs.malformed);
	assert_int_equal(nt_nrecs, records);
	cap_netflow_free(nf);
}

/* An IPFIX message whose only set has header (id, len) and `body` bytes
 * of zeros after it. */
static void bad_set(struct nb *p, unsigned version, unsigned id,
                    unsigned len, size_t body)
{
	p->n = 0;
	if (version == 10)
		ipfix_hdr(p, EXP, 0, 0);
	else
		v9_hdr(p, 1, 0, EXP, 0, 0);
	nb_be16(p, id);
	nb_be16(p, len);
	nb_fill(p, 0, body);
	if (version == 10)
		ipfix_end(p);
}

static void test_bad_lengths(void **state)
{
	(void)state;
	struct nb p;
	size_t s;

	bad_set(&p, 10, 256, 0, 8);
	expect_bad(&p, "set length 0", 0);
	bad_set(&p, 10, 256, 3, 8);
	expect_bad(&p, "set length 3", 0);
	bad_set(&p, 10, 256, 100, 8);
	expect_bad(&p, "set length past the message", 0);
	bad_set(&p, 9, 0, 2, 8);
	expect_bad(&p, "v9 flowset length 2", 0);
	bad_set(&p, 9, 300, 200, 8);
	expect_bad(&p, "v9 flowset length past the datagram", 0);
	bad_set(&p, 10, 1, 8, 4);
	expect_bad(&p, "IPFIX set id 1", 0);
	bad_set(&p, 10, 0, 8, 4);
	expect_bad(&p, "IPFIX set id 0", 0);
	bad_set(&p, 10, 200, 8, 4);
	expect_bad(&p, "IPFIX set id 200", 0);
	bad_set(&p, 9, 5, 8, 4);
	expect_bad(&p, "v9 flowset id 5", 0);
	/* three bytes after the last set */
	p.n = 0;
	v9_hdr(&p, 0, 0, EXP, 0, 0);
	nb_fill(&p, 0, 3);
	expect_bad(&p, "v9 trailing bytes", 0);

	/* the message length */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	nb_put16(&p, 2, 15);
	expect_bad(&p, "IPFIX length 15", 0);
	nb_put16(&p, 2, 17);
	expect_bad(&p, "IPFIX length past the datagram", 0);

	/* a template's field list cut by the set's end */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	s = set_begin(&p, 2);
	nb_be16(&p, 256);
	nb_be16(&p, 5);
	nb_fields(&p, lay_a, 3);
	set_end(&p, s);
	ipfix_end(&p);
	expect_bad(&p, "field count past the set", 0);

	/* the enterprise bit without its PEN */
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	s = set_begin(&p, 2);
	nb_be16(&p, 256);
	nb_be16(&p, 2);
	nb_fields(&p, lay_a, 1);
	nb_be16(&p, 0x8000u | 100);
	nb_be16(&p, 4);
	set_end(&p, s);
	ipfix_end(&p);
	expect_bad(&p, "enterprise bit without PEN", 0);

	/* a variable-length field longer than what is left of the set */
	static const struct fs var[] = { { 8, 4, 0 }, { 12, 4, 0 },
		{ 82, NT_VARLEN, 0 } };
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(var));
	set_end(&p, s);
	s = set_begin(&p, 256);
	nb_addr(&p, "10.0.0.1");
	nb_addr(&p, "10.0.0.2");
	nb_u8(&p, 2);
	nb_raw(&p, "ok", 2);
	nb_addr(&p, "10.0.0.1");
	nb_addr(&p, "10.0.0.2");
	nb_u8(&p, 255);
	nb_be16(&p, 1000);
	nb_fill(&p, 'x', 20);
	set_end(&p, s);
	ipfix_end(&p);
	expect_bad(&p, "variable length past the set", 1);

	/* options templates: scope count 0, scope count past the count */
	static const struct fs opt[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	for (unsigned scope = 0; scope <= 3; scope += 3) {
		p.n = 0;
		ipfix_hdr(&p, EXP, 0, 0);
		s = set_begin(&p, 3);
		opt_tmpl_rec(&p, 256, NFS(opt), scope);
		set_pad_end(&p, s);
		ipfix_end(&p);
		expect_bad(&p, "options scope count", 0);
	}
	/* v9 options template: a scope length not a multiple of 4 */
	p.n = 0;
	v9_hdr(&p, 1, 0, EXP, 0, 0);
	s = set_begin(&p, 1);
	nb_be16(&p, 256);
	nb_be16(&p, 3);
	nb_be16(&p, 4);
	nb_fill(&p, 0, 8);
	set_end(&p, s);
	expect_bad(&p, "v9 scope length 3", 0);

	/* template ids below 256, a v9 template of no field */
	p.n = 0;
	v9_hdr(&p, 1, 0, EXP, 0, 0);
	v9_tmpl_set(&p, 255, NFS(lay_a));
	expect_bad(&p, "template id 255", 0);
	p.n = 0;
	v9_hdr(&p, 1, 0, EXP, 0, 0);
	s = set_begin(&p, 0);
	nb_be16(&p, 256);
	nb_be16(&p, 0);
	nb_be16(&p, 257);
	nb_be16(&p, 0);
	set_end(&p, s);
	expect_bad(&p, "v9 template of no field", 0);
	/* every field of length 0: no record could be read */
	static const struct fs zero[] = { { 8, 0, 0 }, { 12, 0, 0 } };
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(zero));
	set_end(&p, s);
	s = set_begin(&p, 256);
	nb_fill(&p, 1, 8);
	set_end(&p, s);
	ipfix_end(&p);
	expect_bad(&p, "a template of empty fields", 0);

	/* an address field of the wrong length: ignored (counted), the rest
	 * of the template works */
	static const struct fs odd[] = { { 27, 16, 0 }, { 28, 16, 0 },
		{ 8, 16, 0 } };
	p.n = 0;
	ipfix_hdr(&p, EXP, 0, 0);
	s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(odd));
	set_end(&p, s);
	s = set_begin(&p, 256);
	nb_addr(&p, "2001:db8::1");
	nb_addr(&p, "2001:db8::2");
	nb_fill(&p, 0xff, 16);
	set_end(&p, s);
	ipfix_end(&p);
	expect_bad(&p, "IPv4 address of 16 bytes", 1);
	assert_int_equal(nt_recs[0].family, 6);

	/* versions and sizes */
	p.n = 0;
	nb_be16(&p, 7);
	nb_fill(&p, 0, 30);
	expect_bad(&p, "version 7", 0);
	p.n = 0;
	expect_bad(&p, "empty datagram", 0);
	nb_u8(&p, 0);
	expect_bad(&p, "one byte", 0);
	p.n = 0;
	v5_hdr(&p, 31, 0, EXP, 0, 0, 0, 0, 0);
	nb_fill(&p, 0, 48 * 30);
	expect_bad(&p, "v5 count past the datagram", 0);

	/* a bad exporter family */
	struct cap_netflow *nf = mk(16, 4);
	uint8_t a[16] = { 10, 0, 0, 1 };
	p.n = 0;
	v9_hdr(&p, 0, 0, EXP, 0, 0);
	cap_netflow_datagram(nf, 0, a, 1, p.b, p.n, 0);
	cap_netflow_datagram(nf, 4, NULL, 1, p.b, p.n, 0);
	assert_int_equal(nt_rs.malformed, 2);
	assert_int_equal(nt_rs.exporters, 0);
	cap_netflow_datagram(NULL, 4, a, 1, p.b, p.n, 0); /* no crash */
	cap_netflow_free(nf);
	cap_netflow_free(NULL);
}

/* ---- the caps ----------------------------------------------------------- */

static void v9_tmpl_only(struct cap_netflow *nf, unsigned id)
{
	struct nb p = { .n = 0 };
	v9_hdr(&p, 1, 1000, EXP, 0, 0);
	v9_tmpl_set(&p, id, NFS(lay_a));
	nt_feed(nf, "192.0.2.1", &p);
}

static void v9_lay_data(struct cap_netflow *nf, unsigned id)
{
	struct nb p = { .n = 0 };
	v9_hdr(&p, 1, 1000, EXP, 0, 0);
	size_t s = set_begin(&p, id);
	lay_rec(&p);
	set_pad_end(&p, s);
	nt_feed(nf, "192.0.2.1", &p);
}

static void test_template_cache_full(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(2, 4);
	v9_tmpl_only(nf, 256);
	v9_tmpl_only(nf, 257);
	assert_int_equal(nt_rs.templates_evicted, 0);
	v9_tmpl_only(nf, 258); /* full: 256, the oldest, goes */
	assert_int_equal(nt_rs.templates_evicted, 1);
	v9_lay_data(nf, 256);
	assert_int_equal(nt_rs.templates_missing, 1);
	v9_lay_data(nf, 257);
	v9_lay_data(nf, 258);
	assert_int_equal(nt_nrecs, 2);
	/* a redefinition takes no room */
	v9_tmpl_only(nf, 258);
	assert_int_equal(nt_rs.templates_evicted, 1);
	/* many more: never more than two, each eviction counted */
	for (unsigned id = 300; id < 400; id++)
		v9_tmpl_only(nf, id);
	assert_int_equal(nt_rs.templates_evicted, 101);
	unsigned before = nt_nrecs, found = 0;
	for (unsigned id = 300; id < 400; id++)
		v9_lay_data(nf, id);
	found = nt_nrecs - before;
	assert_int_equal(found, 2);
	v9_lay_data(nf, 399); /* the last defined is kept */
	assert_int_equal(nt_nrecs, before + 3);
	assert_int_equal(nt_rs.malformed, 0);
	cap_netflow_free(nf);

	/* a withdrawn template frees its entry: no eviction */
	nf = mk(2, 4);
	struct nb p = { .n = 0 };
	ipfix_hdr(&p, EXP, 0, 1); /* the domain ipfix_withdraw uses */
	size_t s = set_begin(&p, 2);
	tmpl_rec(&p, 256, NFS(lay_a));
	tmpl_rec(&p, 257, NFS(lay_a));
	set_end(&p, s);
	ipfix_end(&p);
	nt_feed(nf, "192.0.2.1", &p);
	ipfix_withdraw(nf, 2, 256);
	nb_put16(&p, 20, 258);
	nt_feed(nf, "192.0.2.1", &p); /* defines 258 and 257 again */
	assert_int_equal(nt_rs.templates_evicted, 0);
	cap_netflow_free(nf);
}

static void test_exporters_full(void **state)
{
	(void)state;
	struct cap_netflow *nf = mk(16, 2);
	struct nb p;
	v9_lay(&p, 0, NFS(lay_a), true);
	nt_feed(nf, "192.0.2.1", &p);
	nt_feed(nf, "2001:db8::1", &p);
	nt_feed(nf, "192.0.2.3", &p); /* a third: dropped */
	assert_int_equal(nt_rs.exporters, 2);
	assert_int_equal(nt_rs.exporters_full, 1);
	assert_int_equal(nt_nrecs, 2);
	v9_lay(&p, 0, NULL, 0, false);
	nt_feed(nf, "192.0.2.1", &p);
	nt_feed(nf, "2001:db8::1", &p);
	nt_feed(nf, "192.0.2.3", &p);
	assert_int_equal(nt_rs.exporters_full, 2);
	assert_int_equal(nt_nrecs, 4);
	assert_int_equal(nt_recs[2].exporter, 0);
	assert_int_equal(nt_recs[3].exporter, 1);
	assert_int_equal(nt_rs.malformed, 0);
	assert_int_equal(nt_rs.templates_missing, 0);
	cap_netflow_free(nf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v5_fields),
		cmocka_unit_test(test_v5_sequence),
		cmocka_unit_test(test_v9_ipv4_fields),
		cmocka_unit_test(test_v9_ipv6_icmp),
		cmocka_unit_test(test_v9_data_before_template),
		cmocka_unit_test(test_v9_exporters_domains),
		cmocka_unit_test(test_redefinition),
		cmocka_unit_test(test_v9_options_sampling),
		cmocka_unit_test(test_v9_sequence),
		cmocka_unit_test(test_ipfix_fields),
		cmocka_unit_test(test_ipfix_times),
		cmocka_unit_test(test_ipfix_biflow),
		cmocka_unit_test(test_ipfix_withdrawal),
		cmocka_unit_test(test_ipfix_sampling),
		cmocka_unit_test(test_ipfix_sequence),
		cmocka_unit_test(test_mixed_families),
		cmocka_unit_test(test_reduced_size),
		cmocka_unit_test(test_truncation_v5),
		cmocka_unit_test(test_truncation_v9),
		cmocka_unit_test(test_truncation_ipfix),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_template_cache_full),
		cmocka_unit_test(test_exporters_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
