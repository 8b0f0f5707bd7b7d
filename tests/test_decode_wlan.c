/*
 * test_decode_wlan.c -- 802.11 (DLT 105), radiotap (127) and PPI (192):
 * data frames of each kind (To/From DS, WDS 4-address, QoS, +HTC, CF-Ack)
 * with LLC/SNAP to IPv4 and IPv6; management, control, null and protected
 * frames counted; radiotap's length, present bitmaps, TSFT alignment, FCS
 * and data-pad flags; PPI's length, fields, FCS flag and inner DLT; every
 * cut length; two real frames from the shared corpus.
 */
#define DECODE_TEST_DECODER 64 /* its fragment slots */
#include "tests/cut_sweep.h"

#define LT_WLAN 105
#define LT_RADIOTAP 127
#define LT_PPI 192

#define T_MGMT 0u
#define T_CTRL 1u
#define T_DATA 2u
#define T_EXT 3u
#define FL_TODS 0x01u
#define FL_FROMDS 0x02u
#define FL_PROT 0x40u
#define FL_ORDER 0x80u

/* The 802.11 MAC header; returns its length. QoS control (qos) in the QoS
 * subtypes, HT control after it when a QoS frame has the Order flag. */
static size_t wlan(struct pb *p, unsigned type, unsigned subtype,
                   unsigned fl, unsigned qos)
{
	size_t start = p->n;
	pb_u8(p, subtype << 4 | type << 2);
	pb_u8(p, fl);
	pb_le16(p, 0x2c);          /* duration */
	pb_fill(p, 0x02, 6);       /* address 1 */
	pb_fill(p, 0x04, 6);       /* address 2 */
	pb_fill(p, 0x06, 6);       /* address 3 */
	pb_le16(p, 0x1230);        /* sequence control */
	if (type == T_DATA && (fl & 3) == 3)
		pb_fill(p, 0x08, 6); /* address 4 */
	if (type == T_DATA && (subtype & 8)) {
		pb_le16(p, qos);
		if (fl & FL_ORDER)
			pb_le32(p, 0xfffffffcu); /* HT control */
	}
	return p->n - start;
}
static void snap(struct pb *p, unsigned oui, unsigned type)
{
	pb_u8(p, 0xaa);
	pb_u8(p, 0xaa);
	pb_u8(p, 0x03);
	pb_u8(p, oui >> 16);
	pb_be16(p, oui & 0xffff);
	pb_be16(p, type);
}
/* IPv4 + UDP 1.1.1.1:1000 -> 2.2.2.2:2000 with 4 payload bytes (32). */
static void ip_udp(struct pb *p)
{
	size_t ip = pb_ip4(p, 17, "1.1.1.1", "2.2.2.2");
	size_t u = pb_udp(p, 1000, 2000);
	pb_fill(p, 9, 4);
	pb_udp_end(p, u);
	pb_ip4_end(p, ip);
}
#define IP_UDP_LEN 32u

static void check_udp(const struct pb *p, int lt)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_true(decp(&d, lt, p, &pk));
	assert_int_equal(pk.family, 4);
	assert_addr(4, pk.src, "1.1.1.1");
	assert_addr(4, pk.dst, "2.2.2.2");
	assert_int_equal(pk.sport, 1000);
	assert_int_equal(pk.dport, 2000);
	assert_int_equal(pk.payload_len, 4);
	assert_int_equal(pk.wirelen, p->n);
	assert_int_equal(an_total(&d), 0);
}
static void check_counted(const struct pb *p, int lt, enum cap_anomaly a)
{
	struct cap_packet pk;
	reset_anomalies(&d);
	assert_false(decp(&d, lt, p, &pk));
	assert_only_anomaly(&d, a);
}

/* Where each layer of "[pseudo] MAC SNAP IPv4 UDP payload" ends, for
 * sweep_cuts: pre = pseudo-header + MAC header length, post = bytes after
 * the IP datagram (an FCS). */
static size_t sweep_udp(const char *name, int lt, const struct pb *p,
                        size_t pre, size_t post)
{
	const struct cut rules[] = {
		{pre + 8, CAP_AN_TRUNC_LINK},
		{pre + 8 + 20, CAP_AN_TRUNC_IP4},
		{pre + 8 + 28, CAP_AN_TRUNC_UDP},
		{pre + 8 + IP_UDP_LEN, CUT_SNAP},
		{pre + 8 + IP_UDP_LEN + post + 1, CUT_OK},
	};
	assert_int_equal(p->n, pre + 8 + IP_UDP_LEN + post);
	return sweep_cuts(&d, name, lt, p, rules, 5);
}

/* dot11 data frames: the header length of every kind */
static void test_data_frames(void **state)
{
	static const struct {
		const char *name;
		unsigned subtype, fl;
		size_t hlen;
	} kinds[] = {
		{"data to DS", 0, FL_TODS, 24},
		{"data from DS", 0, FL_FROMDS, 24},
		{"data ad hoc", 0, 0, 24},
		{"data WDS", 0, FL_TODS | FL_FROMDS, 30},
		{"data + CF-Ack", 1, FL_TODS, 24},
		{"data, Order flag (no HTC without QoS)", 0, FL_TODS | FL_ORDER, 24},
		{"QoS data", 8, FL_TODS, 26},
		{"QoS data WDS", 8, FL_TODS | FL_FROMDS, 32},
		{"QoS data +HTC", 8, FL_FROMDS | FL_ORDER, 30},
		{"QoS data WDS +HTC", 8, FL_TODS | FL_FROMDS | FL_ORDER, 36},
		{"QoS data + CF-Ack", 9, FL_TODS, 26},
	};
	size_t checked = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct pb p = {0};
		size_t h = wlan(&p, T_DATA, kinds[i].subtype, kinds[i].fl, 0x0005);
		assert_int_equal(h, kinds[i].hlen);
		snap(&p, 0, 0x0800);
		ip_udp(&p);
		check_udp(&p, LT_WLAN);
		checked += sweep_udp(kinds[i].name, LT_WLAN, &p, h, 0);
	}
	/* IPv6, and 802.1H bridge-tunnel SNAP (OUI 00-00-f8) */
	struct pb p = {0};
	struct cap_packet pk;
	wlan(&p, T_DATA, 8, FL_FROMDS, 0);
	snap(&p, 0xf8, 0x86dd);
	pb_raw(&p, real_ipv6_udp, sizeof(real_ipv6_udp));
	reset_anomalies(&d);
	assert_true(decp(&d, LT_WLAN, &p, &pk));
	assert_int_equal(pk.family, 6);
	assert_addr(6, pk.src, "2001:db8::1");
	assert_int_equal(pk.sport, 12345);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(an_total(&d), 0);
	printf("dot11 data: %zu cut lengths checked\n", checked);
}

static void test_counted_frames(void **state)
{
	struct pb p;
	(void)state;
	/* management: a beacon; control: an ACK (10 bytes); extension */
	memset(&p, 0, sizeof(p));
	wlan(&p, T_MGMT, 8, 0, 0);
	pb_fill(&p, 0, 12);
	check_counted(&p, LT_WLAN, CAP_AN_WLAN_NON_DATA);
	memset(&p, 0, sizeof(p));
	pb_u8(&p, 13 << 4 | T_CTRL << 2);
	pb_u8(&p, 0);
	pb_le16(&p, 0);
	pb_fill(&p, 0x02, 6);
	check_counted(&p, LT_WLAN, CAP_AN_WLAN_NON_DATA);
	memset(&p, 0, sizeof(p));
	wlan(&p, T_EXT, 0, 0, 0);
	check_counted(&p, LT_WLAN, CAP_AN_WLAN_NON_DATA);
	/* data subtypes without payload, even with an IP packet after them */
	static const unsigned nodata[] = {4, 5, 6, 7, 12, 14, 15};
	for (size_t i = 0; i < sizeof(nodata) / sizeof(nodata[0]); i++) {
		memset(&p, 0, sizeof(p));
		wlan(&p, T_DATA, nodata[i], FL_TODS, 0);
		snap(&p, 0, 0x0800);
		ip_udp(&p);
		check_counted(&p, LT_WLAN, CAP_AN_WLAN_NON_DATA);
	}
	/* protocol version 1 */
	memset(&p, 0, sizeof(p));
	wlan(&p, T_DATA, 0, FL_TODS, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	p.b[0] |= 1;
	check_counted(&p, LT_WLAN, CAP_AN_WLAN_NON_DATA);
	/* protected data and QoS data: counted at any cut past the flags */
	for (unsigned st = 0; st <= 8; st += 8) {
		memset(&p, 0, sizeof(p));
		wlan(&p, T_DATA, st, FL_TODS | FL_PROT, 0);
		pb_fill(&p, 0x5a, 60); /* CCMP header and ciphertext */
		const struct cut prot[] = {
			{2, CAP_AN_TRUNC_LINK},
			{p.n + 1, CAP_AN_WLAN_PROTECTED},
		};
		sweep_cuts(&d, "protected", LT_WLAN, &p, prot, 2);
	}
	memset(&p, 0, sizeof(p));
	wlan(&p, T_MGMT, 5, 0, 0); /* probe response */
	pb_fill(&p, 0, 30);
	const struct cut mgmt[] = {
		{2, CAP_AN_TRUNC_LINK},
		{p.n + 1, CAP_AN_WLAN_NON_DATA},
	};
	sweep_cuts(&d, "probe response", LT_WLAN, &p, mgmt, 2);
	/* an EAPOL frame, a non-SNAP LLC, a SNAP with a vendor OUI */
	memset(&p, 0, sizeof(p));
	wlan(&p, T_DATA, 8, FL_FROMDS, 7);
	snap(&p, 0, 0x888e);
	pb_fill(&p, 1, 20);
	check_counted(&p, LT_WLAN, CAP_AN_NON_IP);
	memset(&p, 0, sizeof(p));
	wlan(&p, T_DATA, 0, FL_FROMDS, 0);
	pb_u8(&p, 0x42);
	pb_u8(&p, 0x42);
	pb_u8(&p, 0x03);
	pb_fill(&p, 0, 35);
	check_counted(&p, LT_WLAN, CAP_AN_NON_IP);
	memset(&p, 0, sizeof(p));
	wlan(&p, T_DATA, 0, FL_FROMDS, 0);
	snap(&p, 0x00000c, 0x0800); /* Cisco OUI */
	ip_udp(&p);
	check_counted(&p, LT_WLAN, CAP_AN_NON_IP);
	/* an A-MSDU: subframes, not SNAP */
	memset(&p, 0, sizeof(p));
	wlan(&p, T_DATA, 8, FL_TODS, 0x0080);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	check_counted(&p, LT_WLAN, CAP_AN_NON_IP);
}

/* radiotap: version, pad, length, present words, then fields */
static size_t rt_begin(struct pb *p)
{
	size_t start = p->n;
	pb_u8(p, 0);
	pb_u8(p, 0);
	pb_le16(p, 0); /* patched by rt_end */
	return start;
}
static void rt_end(struct pb *p, size_t start)
{
	size_t len = p->n - start;
	p->b[start + 2] = (uint8_t)len;
	p->b[start + 3] = (uint8_t)(len >> 8);
}

static void test_radiotap(void **state)
{
	struct pb p = {0};
	size_t rt, h;
	(void)state;
	/* the smallest: no field */
	rt = rt_begin(&p);
	pb_le32(&p, 0);
	rt_end(&p, rt);
	h = wlan(&p, T_DATA, 0, FL_TODS, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_RADIOTAP);
	sweep_udp("radiotap bare", LT_RADIOTAP, &p, 8 + h, 0);

	/* TSFT, Flags (FCS at end), rate; the FCS follows the frame */
	memset(&p, 0, sizeof(p));
	rt = rt_begin(&p);
	pb_le32(&p, 0x7);            /* TSFT, Flags, Rate */
	pb_fill(&p, 0x11, 8);        /* TSFT at 8 */
	pb_u8(&p, 0x10);             /* Flags: FCS at end */
	pb_u8(&p, 0x6c);             /* Rate */
	rt_end(&p, rt);
	h = wlan(&p, T_DATA, 8, FL_FROMDS | FL_ORDER, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	pb_le32(&p, 0xdeadbeef);     /* FCS */
	check_udp(&p, LT_RADIOTAP);
	sweep_udp("radiotap fcs", LT_RADIOTAP, &p, 18 + h, 4);
	/* the FCS is not IP: an IPv4 total length 4 bytes too long, which
	 * the FCS bytes would fill, is past the frame */
	size_t ip = 18 + h + 8;
	pb_put16(&p, ip + 2, IP_UDP_LEN + 4);
	pb_put16(&p, ip + 20 + 4, IP_UDP_LEN - 20 + 4); /* UDP length */
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_IP4_TOTLEN);
	p.b[16] = 0;                 /* no FCS flag: those bytes are IP's */
	reset_anomalies(&d);
	struct cap_packet pk;
	assert_true(decp(&d, LT_RADIOTAP, &p, &pk));
	assert_int_equal(pk.payload_len, 4 + 4);
	assert_int_equal(an_total(&d), 0);

	/* an extended present bitmap: TSFT aligned to 8 after 2 words, and
	 * the data pad flag (a QoS header of 26 bytes padded to 28) */
	memset(&p, 0, sizeof(p));
	rt = rt_begin(&p);
	pb_le32(&p, 0x80000003u);    /* TSFT, Flags, ext */
	pb_le32(&p, 0);
	pb_fill(&p, 0xff, 4);        /* alignment of TSFT to 8: at 16 */
	pb_fill(&p, 0x00, 8);        /* TSFT */
	pb_u8(&p, 0x20);             /* Flags: data pad */
	rt_end(&p, rt);
	assert_int_equal(p.n, 25);
	h = wlan(&p, T_DATA, 8, FL_TODS, 0);
	pb_fill(&p, 0, 2);           /* pad to 28 */
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_RADIOTAP);
	sweep_udp("radiotap ext pad", LT_RADIOTAP, &p, 25 + h + 2, 0);
	p.b[24] = 0;                 /* without the flag the pad is read as LLC */
	check_counted(&p, LT_RADIOTAP, CAP_AN_NON_IP);

	/* a management frame behind radiotap */
	memset(&p, 0, sizeof(p));
	rt = rt_begin(&p);
	pb_le32(&p, 0x2);
	pb_u8(&p, 0);
	rt_end(&p, rt);
	wlan(&p, T_MGMT, 4, 0, 0);   /* probe request */
	check_counted(&p, LT_RADIOTAP, CAP_AN_WLAN_NON_DATA);
}

static void test_radiotap_bad(void **state)
{
	struct pb p = {0};
	struct cap_packet pk;
	size_t rt;
	(void)state;
	rt = rt_begin(&p);
	pb_le32(&p, 0x3);            /* TSFT, Flags */
	pb_fill(&p, 0, 8);
	pb_u8(&p, 0);
	pb_u8(&p, 0);
	rt_end(&p, rt);
	wlan(&p, T_DATA, 0, FL_TODS, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_RADIOTAP);
	/* length below the fixed part, 0 included */
	for (unsigned len = 0; len < 8; len++) {
		p.b[2] = (uint8_t)len;
		check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	}
	/* past the frame on the wire, and past it by one */
	pb_put16(&p, 2, 0xffff);
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[2] = (uint8_t)(p.n + 1);
	p.b[3] = 0;
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	/* the whole frame is the header: no MAC header left */
	p.b[2] = (uint8_t)p.n;
	check_counted(&p, LT_RADIOTAP, CAP_AN_TRUNC_LINK);
	/* within the wire but past the captured bytes: a cut */
	p.b[2] = 18;
	reset_anomalies(&d);
	assert_false(cap_decode(&d, LT_RADIOTAP, p.b, 12, (uint32_t)p.n, 0, &pk));
	assert_only_anomaly(&d, CAP_AN_TRUNC_LINK);
	/* fields the length leaves no room for */
	p.b[2] = 16;                 /* TSFT fits, Flags does not */
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[2] = 12;                 /* TSFT does not */
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[2] = 8;
	p.b[7] = 0x80;               /* an extended bitmap past the length */
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[2] = 18;
	p.b[7] = 0;
	p.b[0] = 1;                  /* version 1 */
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
	p.b[0] = 0;
	/* FCS flag on a frame shorter than an FCS */
	memset(&p, 0, sizeof(p));
	rt = rt_begin(&p);
	pb_le32(&p, 0x2);
	pb_u8(&p, 0x10);
	rt_end(&p, rt);
	pb_fill(&p, 0x08, 3);
	check_counted(&p, LT_RADIOTAP, CAP_AN_BAD_LINK_HLEN);
}

/* PPI: version, flags, length, DLT; then {type, length} fields */
static size_t ppi_begin(struct pb *p, unsigned flags, uint32_t dlt)
{
	size_t start = p->n;
	pb_u8(p, 0);
	pb_u8(p, flags);
	pb_le16(p, 0);
	pb_le32(p, dlt);
	return start;
}
static void ppi_common(struct pb *p, unsigned flags)
{
	pb_le16(p, 2);
	pb_le16(p, 20);
	pb_fill(p, 0, 8);   /* TSF timer */
	pb_le16(p, flags);
	pb_le16(p, 108);    /* rate */
	pb_le16(p, 2437);   /* channel */
	pb_le16(p, 0xc0);
	pb_fill(p, 0, 4);
}

static void test_ppi(void **state)
{
	struct pb p = {0};
	size_t ppi, h;
	(void)state;
	/* 802.11-Common with the FCS flag, then a QoS data frame and its FCS */
	ppi = ppi_begin(&p, 0, LT_WLAN);
	ppi_common(&p, 0x0001);
	rt_end(&p, ppi);
	assert_int_equal(p.n, 32);
	h = wlan(&p, T_DATA, 8, FL_TODS, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	pb_le32(&p, 0x01020304);
	check_udp(&p, LT_PPI);
	sweep_udp("ppi fcs", LT_PPI, &p, 32 + h, 4);
	/* the FCS dropped: a total length 4 too long is past the frame */
	pb_put16(&p, 32 + h + 8 + 2, IP_UDP_LEN + 4);
	check_counted(&p, LT_PPI, CAP_AN_BAD_IP4_TOTLEN);

	/* aligned fields: a 3-byte private field padded to 4, then Common */
	memset(&p, 0, sizeof(p));
	ppi = ppi_begin(&p, 1, LT_WLAN);
	pb_le16(&p, 30002);
	pb_le16(&p, 3);
	pb_fill(&p, 0x77, 3);
	pb_u8(&p, 0xee);             /* padding */
	ppi_common(&p, 0);
	rt_end(&p, ppi);
	h = wlan(&p, T_DATA, 0, FL_FROMDS, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_PPI);
	p.b[1] = 0;                  /* unaligned: the padding is read as a field */
	check_counted(&p, LT_PPI, CAP_AN_BAD_LINK_HLEN);

	/* another DLT inside: Ethernet; and PPI inside PPI is not decoded */
	memset(&p, 0, sizeof(p));
	ppi = ppi_begin(&p, 0, 1);
	rt_end(&p, ppi);
	pb_eth(&p, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_PPI);
	sweep_udp("ppi ethernet", LT_PPI, &p, 8 + 14 - 8, 0);
	p.b[4] = LT_PPI;
	check_counted(&p, LT_PPI, CAP_AN_NON_IP);
	p.b[4] = 0xfe;
	p.b[5] = 0xff;               /* a DLT nobody decodes */
	check_counted(&p, LT_PPI, CAP_AN_NON_IP);

	/* bad lengths: header below 8, past the wire, a field past the header */
	memset(&p, 0, sizeof(p));
	ppi = ppi_begin(&p, 0, LT_WLAN);
	ppi_common(&p, 0);
	rt_end(&p, ppi);
	wlan(&p, T_DATA, 0, FL_TODS, 0);
	snap(&p, 0, 0x0800);
	ip_udp(&p);
	check_udp(&p, LT_PPI);
	p.b[2] = 7;
	check_counted(&p, LT_PPI, CAP_AN_BAD_LINK_HLEN);
	pb_put16(&p, 2, 0xffff);
	check_counted(&p, LT_PPI, CAP_AN_BAD_LINK_HLEN);
	p.b[2] = 32;
	p.b[3] = 0;
	p.b[10] = 21;                /* Common field one byte too long */
	check_counted(&p, LT_PPI, CAP_AN_BAD_LINK_HLEN);
	p.b[10] = 20;
	p.b[2] = 10;                 /* a field header cut by the length */
	check_counted(&p, LT_PPI, CAP_AN_BAD_LINK_HLEN);
	p.b[2] = 32;
	p.b[0] = 2;                  /* version */
	check_counted(&p, LT_PPI, CAP_AN_BAD_LINK_HLEN);
}

/* Real frames from the shared corpus, fields as tshark shows them. */
/* http_PPI.pcap packet 1: PPI (802.11-Common, FCS present, 802.11n MAC
 * and MAC+PHY fields), QoS data, 192.168.1.132:1031 -> 192.168.1.1:53,
 * UDP length 39. */
static const uint8_t real_ppi_udp[] = {
	0x00, 0x00, 0x54, 0x00, 0x69, 0x00, 0x00, 0x00, 0x02, 0x00, 0x14, 0x00,
	0x63, 0x7e, 0xcd, 0xf3, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x58, 0x02,
	0x76, 0x09, 0xc0, 0x00, 0x00, 0x00, 0xc8, 0xa0, 0x04, 0x00, 0x30, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x02, 0x28,
	0x22, 0x22, 0x1e, 0xff, 0x24, 0x27, 0x21, 0xff, 0x8a, 0x09, 0xc0, 0x00,
	0xc2, 0xa0, 0xc2, 0xa0, 0xbe, 0xa0, 0x80, 0x80, 0x16, 0x11, 0x13, 0x1d,
	0x15, 0x11, 0x17, 0x16, 0x19, 0x12, 0x1a, 0x16, 0x00, 0x00, 0x00, 0x00,
	0x88, 0x01, 0x2c, 0x00, 0x00, 0x14, 0xa5, 0xcd, 0x74, 0x7b, 0x00, 0x14,
	0xa5, 0xcb, 0x6e, 0x1a, 0x00, 0x01, 0x02, 0x27, 0xf9, 0xb2, 0xa0, 0xed,
	0x00, 0x00, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x3b, 0x8d, 0x06, 0x00, 0x00, 0x80, 0x11, 0x29, 0xd6, 0xc0, 0xa8,
	0x01, 0x84, 0xc0, 0xa8, 0x01, 0x01, 0x04, 0x07, 0x00, 0x35, 0x00, 0x27,
	0xab, 0x15, 0x96, 0xc1, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x03, 0x77, 0x77, 0x77, 0x06, 0x70, 0x6f, 0x6c, 0x69, 0x74,
	0x6f, 0x02, 0x69, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0x78, 0x80, 0x59,
	0x37,
};
/* ieee802.11_htc.pcap packet 1: radiotap (60 bytes, HE information), QoS
 * data with the Order flag (+HTC), 0.0.0.0:68 -> 255.255.255.255:67, UDP
 * length 308. */
static const uint8_t real_radiotap_htc[] = {
	0x00, 0x00, 0x3c, 0x00, 0x6b, 0x08, 0x80, 0x40, 0x86, 0xb2, 0xae, 0x39,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x3c, 0x14, 0x40, 0x01, 0xd3, 0x95,
	0x00, 0x00, 0xfc, 0xc3, 0xfe, 0x00, 0xe5, 0x69, 0x0f, 0x00, 0x80, 0x21,
	0x02, 0x7f, 0x00, 0x03, 0x7f, 0x00, 0x10, 0x00, 0xcb, 0x05, 0x02, 0x04,
	0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x6e, 0x8e, 0x27,
	0x88, 0x81, 0x30, 0x00, 0x36, 0x80, 0x94, 0xc0, 0x22, 0x8b, 0xb0, 0xbe,
	0x83, 0x5b, 0x4b, 0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x70, 0x05,
	0x16, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x01, 0x48, 0x5b, 0x00, 0x00, 0x00, 0xff, 0x11,
	0x5f, 0xa5, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x44,
	0x00, 0x43, 0x01, 0x34, 0x95, 0x60, 0x01, 0x01, 0x06, 0x00, 0xf6, 0xaf,
	0xdd, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb0, 0xbe,
	0x83, 0x5b, 0x4b, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x01, 0x37, 0x0c, 0x01,
	0x79, 0x03, 0x06, 0x0f, 0x6c, 0x72, 0x77, 0xfc, 0x5f, 0x2c, 0x2e, 0x39,
	0x02, 0x05, 0xdc, 0x3d, 0x07, 0x01, 0xb0, 0xbe, 0x83, 0x5b, 0x4b, 0x40,
	0x33, 0x04, 0x00, 0x76, 0xa7, 0x00, 0x0c, 0x0f, 0x53, 0x65, 0x62, 0x61,
	0x73, 0x74, 0x69, 0x65, 0x73, 0x74, 0x4d, 0x42, 0x50, 0x31, 0x33, 0xff,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_real_frames(void **state)
{
	struct cap_packet pk;
	(void)state;
	reset_anomalies(&d);
	assert_true(dec(&d, LT_PPI, real_ppi_udp, sizeof(real_ppi_udp), &pk));
	assert_addr(4, pk.src, "192.168.1.132");
	assert_addr(4, pk.dst, "192.168.1.1");
	assert_int_equal(pk.sport, 1031);
	assert_int_equal(pk.dport, 53);
	assert_int_equal(pk.payload_len, 39 - 8);
	assert_true(dec(&d, LT_RADIOTAP, real_radiotap_htc,
	                sizeof(real_radiotap_htc), &pk));
	assert_addr(4, pk.src, "0.0.0.0");
	assert_addr(4, pk.dst, "255.255.255.255");
	assert_int_equal(pk.sport, 68);
	assert_int_equal(pk.dport, 67);
	assert_int_equal(pk.payload_len, 308 - 8);
	assert_int_equal(an_total(&d), 0);
	/* every cut of both: never a read past caplen, only cuts counted */
	struct pb p = {0};
	pb_raw(&p, real_ppi_udp, sizeof(real_ppi_udp));
	const struct cut ppi[] = {
		{84 + 26 + 8, CAP_AN_TRUNC_LINK}, /* PPI 84, QoS MAC 26, SNAP */
		{84 + 26 + 8 + 20, CAP_AN_TRUNC_IP4},
		{84 + 26 + 8 + 28, CAP_AN_TRUNC_UDP},
		{84 + 26 + 8 + 59, CUT_SNAP},
		{sizeof(real_ppi_udp) + 1, CUT_OK},
	};
	assert_int_equal(sizeof(real_ppi_udp), 84 + 26 + 8 + 59 + 4);
	sweep_cuts(&d, "real ppi", LT_PPI, &p, ppi, 5);
	memset(&p, 0, sizeof(p));
	pb_raw(&p, real_radiotap_htc, sizeof(real_radiotap_htc));
	const struct cut rt[] = {
		{60 + 30 + 8, CAP_AN_TRUNC_LINK}, /* radiotap 60, QoS+HTC 30 */
		{60 + 30 + 8 + 20, CAP_AN_TRUNC_IP4},
		{60 + 30 + 8 + 28, CAP_AN_TRUNC_UDP},
		{60 + 30 + 8 + 328, CUT_SNAP},
		{sizeof(real_radiotap_htc) + 1, CUT_OK},
	};
	sweep_cuts(&d, "real radiotap", LT_RADIOTAP, &p, rt, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_frames),
		cmocka_unit_test(test_counted_frames),
		cmocka_unit_test(test_radiotap),
		cmocka_unit_test(test_radiotap_bad),
		cmocka_unit_test(test_ppi),
		cmocka_unit_test(test_real_frames),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
