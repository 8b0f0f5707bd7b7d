/*
 * decode_radiotap.c -- the pseudo-headers that precede 802.11 frames in
 * monitor-mode captures: radiotap (DLT_IEEE802_11_RADIO 127) and CACE's
 * Per-Packet Information header (DLT_PPI 192).
 *
 * Design. Both start with a version byte (0), a little-endian 16-bit
 * length of the whole pseudo-header, and fields; the frame follows at that
 * length. The length is checked both ways: at least the fixed part (8
 * bytes), at most the frame on the wire (else CAP_AN_BAD_LINK_HLEN); a
 * header longer than the captured bytes but within the wire is cut by the
 * snaplen (CAP_AN_TRUNC_LINK). The fields are read only inside the
 * header's own window, so a field can never reach into the frame.
 *
 * Radiotap: one or more 32-bit "present" bitmaps (bit 31 chains the next),
 * then the fields, each aligned to its natural size from the header's
 * start. Only Flags (bit 1) matters here; it follows TSFT (bit 0, 8 bytes,
 * aligned to 8) when present. Flag 0x10: the frame ends with its FCS (4
 * bytes, dropped); 0x20: the MAC header is padded to 32 bits. A frame
 * marked "bad FCS" (0x40) is decoded as tcpdump and tshark decode it.
 *
 * PPI: the 32-bit DLT after the length says what follows: 802.11 (105,
 * nearly always) is decoded here, with the FCS when the 802.11-Common
 * field (type 2) says so (its flags bit 0); any other DLT goes to
 * cap_dec_inner_link(). Fields are {type, length} little-endian, padded to
 * 32 bits when the header's flag bit 0 (alignment) is set.
 */
#include "capture/decode_int.h"

#define RT_MIN_LEN 8u
#define RT_PRESENT_TSFT 0x1u
#define RT_PRESENT_FLAGS 0x2u
#define RT_PRESENT_EXT 0x80000000u
#define RT_TSFT_LEN 8u
#define RT_FLAG_FCS 0x10u
#define RT_FLAG_DATAPAD 0x20u

#define PPI_HDR_LEN 8u
#define PPI_FLAG_ALIGN 0x1u
#define PPI_FIELD_HDR 4u
#define PPI_80211_COMMON 2u
#define PPI_80211_COMMON_LEN 20u
#define PPI_COMMON_FLAGS_OFF 8u
#define PPI_COMMON_FCS 0x1u

static uint16_t rd_le16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[1] << 8 | p[0]);
}

/* The pseudo-header's window: its little-endian length at offset 2 checked
 * both ways. On success hdr holds the header and c sits after it. */
static bool pseudo_header(struct cap_dstate *st, struct cap_cursor *c,
                          uint16_t min, struct cap_cursor *hdr)
{
	uint8_t b[4];

	if (!cur_peek_u8(c, 0, &b[0]) || !cur_peek_u8(c, 1, &b[1]) ||
	    !cur_peek_u8(c, 2, &b[2]) || !cur_peek_u8(c, 3, &b[3]))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	uint16_t len = rd_le16(b + 2);
	if (b[0] != 0 || len < min || len > cap_dec_wire_left(st, c))
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	if (!cur_sub(c, len, hdr))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	return true;
}

bool cap_dec_radiotap(struct cap_dstate *st, struct cap_cursor *c)
{
	struct cap_cursor h;
	uint32_t present, word;
	unsigned flags = 0;

	if (!pseudo_header(st, c, RT_MIN_LEN, &h))
		return false;
	const uint8_t *start = h.p; /* field alignment counts from here */
	/* version, pad, length: read; then the present bitmaps */
	if (!cur_skip(&h, 4) || !cur_le32(&h, &present))
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	word = present;
	while (word & RT_PRESENT_EXT)
		if (!cur_le32(&h, &word))
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	if (present & RT_PRESENT_TSFT) {
		size_t at = (size_t)(h.p - start);
		size_t pad = (RT_TSFT_LEN - at % RT_TSFT_LEN) % RT_TSFT_LEN;
		if (!cur_skip(&h, pad + RT_TSFT_LEN))
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	}
	if (present & RT_PRESENT_FLAGS) {
		uint8_t f;
		if (!cur_u8(&h, &f))
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
		if (f & RT_FLAG_FCS)
			flags |= CAP_WLAN_FCS;
		if (f & RT_FLAG_DATAPAD)
			flags |= CAP_WLAN_DATAPAD;
	}
	return cap_dec_wlan(st, c, flags);
}

bool cap_dec_ppi(struct cap_dstate *st, struct cap_cursor *c)
{
	struct cap_cursor h;
	const uint8_t *fixed;
	unsigned flags = 0;

	if (!pseudo_header(st, c, PPI_HDR_LEN, &h))
		return false;
	fixed = cur_take(&h, PPI_HDR_LEN);
	if (!fixed)
		return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
	uint32_t dlt = (uint32_t)fixed[7] << 24 | (uint32_t)fixed[6] << 16 |
	               (uint32_t)fixed[5] << 8 | fixed[4];
	bool align = (fixed[1] & PPI_FLAG_ALIGN) != 0;
	while (h.len > 0) {
		const uint8_t *fh = cur_take(&h, PPI_FIELD_HDR);
		if (!fh)
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
		uint16_t type = rd_le16(fh), flen = rd_le16(fh + 2);
		const uint8_t *fd = cur_take(&h, flen);
		if (!fd)
			return cap_dec_fail(st, CAP_AN_BAD_LINK_HLEN);
		if (type == PPI_80211_COMMON && flen >= PPI_80211_COMMON_LEN &&
		    (rd_le16(fd + PPI_COMMON_FLAGS_OFF) & PPI_COMMON_FCS))
			flags |= CAP_WLAN_FCS;
		if (align) {
			/* the last field's padding may end with the header */
			size_t pad = (4u - flen % 4u) % 4u;
			(void)cur_skip(&h, pad < h.len ? pad : h.len);
		}
	}
	if (dlt == CAP_DLT_IEEE802_11)
		return cap_dec_wlan(st, c, flags);
	return cap_dec_inner_link(st, c, dlt);
}
