/*
 * test_decode_dcerpc.c -- the port of a DCE/RPC ept_map response (TCP 135).
 *
 * No capture of an endpoint mapper exchange is among ../shared/corpus/, so
 * the response below is built by hand from the layout that Wireshark's
 * packet-dcerpc-epm.c dissects (C706, appendix L): PDU header, response
 * header, entry handle, num_towers, the conformant varying array of tower
 * pointers, one tower of 5 floors (interface UUID, NDR transfer syntax,
 * RPC connection-oriented, TCP port 49155, IP 10.0.0.5), status. So that
 * the test does not just agree with itself, test_tshark_agrees writes the
 * bytes into a pcap (after a bind to the EPM interface and an ept_map
 * request, so that Wireshark knows what the response answers) and checks
 * that tshark reads TCP port 49155 out of them too (skips without tshark).
 * Then: big-endian data representation, several towers, the capture
 * sweep, and garbage that must give 0.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/decode_test.h"
#include "capture/decode_int.h"

/* The tower, as an ept_map response carries it (75 octets, little-endian). */
static const uint8_t tower[75] = {
	0x05, 0x00,                         /* 5 floors */
	/* floor 1: interface 000001a0-0000-0000-c000-000000000046 v0.0 */
	0x13, 0x00, 0x0d,
	0xa0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
	0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* floor 2: NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2 */
	0x13, 0x00, 0x0d,
	0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
	0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60,
	0x02, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* floor 3: RPC connection-oriented */
	0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00,
	/* floor 4: TCP port 49155 (big-endian) */
	0x01, 0x00, 0x07, 0x02, 0x00, 0xc0, 0x03,
	/* floor 5: IP 10.0.0.5 */
	0x01, 0x00, 0x09, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x05,
};

/* ept_map response PDU, little-endian drep (152 bytes). */
static void build_resp(struct pb *p, bool le, unsigned ntowers)
{
	size_t fl, stub;
	void (*u16)(struct pb *, unsigned) = le ? pb_le16 : pb_be16;
	void (*u32)(struct pb *, uint32_t) = le ? pb_le32 : pb_be32;

	memset(p, 0, sizeof(*p));
	pb_u8(p, 5);
	pb_u8(p, 0);
	pb_u8(p, 2);       /* response */
	pb_u8(p, 0x03);    /* first + last fragment */
	pb_u8(p, le ? 0x10 : 0x00);
	pb_fill(p, 0, 3);
	fl = p->n;
	u16(p, 0);         /* frag_length, patched */
	u16(p, 0);
	u32(p, 1);         /* call_id */
	u32(p, 0);         /* alloc_hint, patched */
	u16(p, 0);
	pb_u8(p, 0);
	pb_u8(p, 0);
	stub = p->n;
	pb_fill(p, 0, 20); /* entry handle */
	u32(p, ntowers);
	u32(p, 4);         /* max_count = max_towers */
	u32(p, 0);         /* offset */
	u32(p, ntowers);   /* actual_count */
	for (unsigned i = 0; i < ntowers; i++)
		u32(p, 3 + i); /* referent ids */
	for (unsigned i = 0; i < ntowers; i++) {
		while ((p->n - stub) & 3)
			pb_u8(p, 0);
		u32(p, sizeof(tower));
		u32(p, sizeof(tower));
		pb_raw(p, tower, sizeof(tower));
	}
	while ((p->n - stub) & 3)
		pb_u8(p, 0);
	u32(p, 0);         /* status */
	if (le) {
		p->b[fl] = (uint8_t)p->n;
		p->b[fl + 1] = (uint8_t)(p->n >> 8);
		p->b[fl + 8] = (uint8_t)(p->n - stub);
	} else {
		pb_put16(p, fl, (unsigned)p->n);
		p->b[fl + 11] = (uint8_t)(p->n - stub);
	}
}

static void test_le(void **state)
{
	struct pb p;
	(void)state;
	build_resp(&p, true, 1);
	assert_int_equal(p.n, 152);
	assert_int_equal(cap_dec_dcerpc_epm(p.b, p.n), 49155);
}

static void test_be_and_towers(void **state)
{
	struct pb p;
	(void)state;
	build_resp(&p, false, 1);
	assert_int_equal(cap_dec_dcerpc_epm(p.b, p.n), 49155);
	build_resp(&p, true, 3);
	assert_int_equal(cap_dec_dcerpc_epm(p.b, p.n), 49155);
	/* a request (ptype 0) or a bind_ack is not a response */
	build_resp(&p, true, 1);
	p.b[2] = 0;
	assert_int_equal(cap_dec_dcerpc_epm(p.b, p.n), 0);
	/* version 4 */
	build_resp(&p, true, 1);
	p.b[0] = 4;
	assert_int_equal(cap_dec_dcerpc_epm(p.b, p.n), 0);
	/* no towers */
	build_resp(&p, true, 0);
	assert_int_equal(cap_dec_dcerpc_epm(p.b, p.n), 0);
}

/* Through cap_decode: TCP from port 135 with the PDU as payload. */
static void test_via_tcp(void **state)
{
	struct pb r, p = {0};
	struct cap_packet pk;
	struct cap_decoder d;
	size_t ip;
	(void)state;
	assert_int_equal(cap_decoder_init(&d, 16), 0);
	build_resp(&r, true, 1);
	pb_eth(&p, 0x0800);
	ip = pb_ip4(&p, 6, "10.0.0.5", "10.0.0.9");
	pb_tcp(&p, 135, 50001, CAP_TH_PSH | CAP_TH_ACK);
	pb_raw(&p, r.b, r.n);
	pb_ip4_end(&p, ip);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.epm_port, 49155);
	/* the same bytes to port 135 are a request direction: not parsed */
	pb_put16(&p, 34, 50001);
	pb_put16(&p, 36, 135);
	assert_true(decp(&d, DLT_T_EN10MB, &p, &pk));
	assert_int_equal(pk.epm_port, 0);
	cap_decoder_free(&d);
}

/* Every prefix, every single-byte corruption and a length-field sweep:
 * bounded, 0 or the right port, never a read outside (ASan). */
static void test_garbage(void **state)
{
	struct pb p;
	(void)state;
	build_resp(&p, true, 2);
	for (size_t n = 0; n < p.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, p.b, n);
		uint16_t port = cap_dec_dcerpc_epm(copy, n);
		assert_true(port == 0 || port == 49155);
		free(copy);
	}
	for (size_t i = 0; i < p.n; i++) {
		for (unsigned v = 0; v < 256; v += 51) {
			struct pb q = p;
			q.b[i] = (uint8_t)v;
			uint8_t *copy = malloc(q.n);
			memcpy(copy, q.b, q.n);
			(void)cap_dec_dcerpc_epm(copy, q.n);
			free(copy);
		}
	}
	/* the frag_length longer than the payload: bounded by the payload */
	struct pb q = p;
	q.b[8] = 0xff;
	q.b[9] = 0xff;
	assert_int_equal(cap_dec_dcerpc_epm(q.b, q.n), 49155);
	/* huge counts */
	q = p;
	memset(q.b + 24 + 24, 0xff, 12);
	assert_int_equal(cap_dec_dcerpc_epm(q.b, q.n), 0);
	assert_int_equal(cap_dec_dcerpc_epm(NULL, 0), 0);
}

/* ---- the tshark cross-check ------------------------------------------- */

static const uint8_t uuid_epm[16] = {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d,
                                     0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00,
                                     0x2b, 0x14, 0xa0, 0xfa};
static const uint8_t uuid_ndr[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c,
                                     0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00,
                                     0x2b, 0x10, 0x48, 0x60};

static void hdr(struct pb *p, unsigned ptype)
{
	memset(p, 0, sizeof(*p));
	pb_u8(p, 5);
	pb_u8(p, 0);
	pb_u8(p, ptype);
	pb_u8(p, 3);
	pb_le32(p, 0x10);
	pb_le16(p, 0);    /* frag_length at 8 */
	pb_le16(p, 0);
	pb_le32(p, 1);
}
static void fix_len(struct pb *p)
{
	p->b[8] = (uint8_t)p->n;
	p->b[9] = (uint8_t)(p->n >> 8);
}

static void build_bind(struct pb *p)
{
	hdr(p, 11);
	pb_le16(p, 4280);
	pb_le16(p, 4280);
	pb_le32(p, 0);
	pb_u8(p, 1);      /* one context */
	pb_fill(p, 0, 3);
	pb_le16(p, 0);    /* context id */
	pb_u8(p, 1);      /* one transfer syntax */
	pb_u8(p, 0);
	pb_raw(p, uuid_epm, 16);
	pb_le16(p, 3);
	pb_le16(p, 0);
	pb_raw(p, uuid_ndr, 16);
	pb_le32(p, 2);
	fix_len(p);
}
static void build_bind_ack(struct pb *p)
{
	hdr(p, 12);
	pb_le16(p, 4280);
	pb_le16(p, 4280);
	pb_le32(p, 0x1234);
	pb_le16(p, 4);
	pb_raw(p, "135", 4);
	pb_fill(p, 0, 2);
	pb_u8(p, 1);
	pb_fill(p, 0, 3);
	pb_le16(p, 0);    /* acceptance */
	pb_le16(p, 0);
	pb_raw(p, uuid_ndr, 16);
	pb_le32(p, 2);
	fix_len(p);
}
static void build_map_request(struct pb *p)
{
	size_t stub;
	hdr(p, 0);
	pb_le32(p, 0);    /* alloc_hint */
	pb_le16(p, 0);
	pb_le16(p, 3);    /* opnum: ept_map */
	stub = p->n;
	pb_le32(p, 1);    /* object pointer */
	pb_fill(p, 0, 16);
	pb_le32(p, 2);    /* map_tower pointer */
	pb_le32(p, sizeof(tower));
	pb_le32(p, sizeof(tower));
	pb_raw(p, tower, sizeof(tower));
	while ((p->n - stub) & 3)
		pb_u8(p, 0);
	pb_fill(p, 0, 20); /* entry handle */
	pb_le32(p, 4);    /* max_towers */
	p->b[16] = (uint8_t)(p->n - stub);
	fix_len(p);
}

static void dump_seg(pcap_dumper_t *dp, int t, bool from_server,
                     uint32_t *seq, const struct pb *data)
{
	struct pb f = {0};
	struct pcap_pkthdr h = {0};
	size_t ip, tcp;
	pb_eth(&f, 0x0800);
	ip = pb_ip4(&f, 6, from_server ? "10.0.0.5" : "10.0.0.9",
	            from_server ? "10.0.0.9" : "10.0.0.5");
	tcp = pb_tcp(&f, from_server ? 135 : 50001, from_server ? 50001 : 135,
	             CAP_TH_PSH | CAP_TH_ACK);
	pb_put16(&f, tcp + 4, seq[from_server] >> 16);
	pb_put16(&f, tcp + 6, seq[from_server] & 0xffff);
	pb_put16(&f, tcp + 8, seq[!from_server] >> 16);
	pb_put16(&f, tcp + 10, seq[!from_server] & 0xffff);
	pb_raw(&f, data->b, data->n);
	pb_ip4_end(&f, ip);
	seq[from_server] += (uint32_t)data->n;
	h.ts.tv_sec = 1700000000 + t;
	h.caplen = h.len = (uint32_t)f.n;
	pcap_dump((u_char *)dp, &h, f.b);
}

static void test_tshark_agrees(void **state)
{
	struct pb p;
	uint32_t seq[2] = {1000, 5000};
	pcap_t *dead;
	pcap_dumper_t *dp;
	struct pa_result r;
	const char *file = pa_tmp("epm.pcap");
	(void)state;

	if (!pa_have("tshark"))
		pa_skip("tshark not installed");
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	dp = pcap_dump_open(dead, file);
	assert_non_null(dp);
	build_bind(&p);
	dump_seg(dp, 0, false, seq, &p);
	build_bind_ack(&p);
	dump_seg(dp, 1, true, seq, &p);
	build_map_request(&p);
	dump_seg(dp, 2, false, seq, &p);
	build_resp(&p, true, 1);
	dump_seg(dp, 3, true, seq, &p);
	pcap_dump_close(dp);
	pcap_close(dead);

	const char *argv[] = {"/usr/bin/env", "tshark", "-n", "-r", file, "-d",
	                      "tcp.port==135,dcerpc", "-Y",
	                      "dcerpc.pkt_type == 2", "-T", "fields", "-e",
	                      "epm.opnum", "-e", "epm.proto.tcp_port", NULL};
	pa_exec(&r, NULL, argv);
	printf("tshark: %s", r.out);
	if (r.status != 0)
		printf("tshark stderr: %s\n", r.err);
	assert_int_equal(r.status, 0);
	assert_true(pa_contains(r.out, "3\t49155"));
	pa_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le),
		cmocka_unit_test(test_be_and_towers),
		cmocka_unit_test(test_via_tcp),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_tshark_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
