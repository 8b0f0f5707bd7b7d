/*
 * decode_dcerpc.c -- the TCP port in a DCE/RPC endpoint mapper ept_map reply.
 *
 * Design. WMI and other DCE/RPC services first ask the endpoint mapper on
 * TCP 135 where an interface listens (ept_map, opnum 3), then connect to
 * the dynamic port it answers. Learning that port lets the auditor tie the
 * dynamic connection to its control connection. A passive decoder sees
 * the response without the request, so the payload is tried as an ept_map
 * response and anything that does not fit yields 0.
 *
 * Layout (C706 chapter 12 and appendix L; as Wireshark's
 * packet-dcerpc-epm.c dissects it): a connection-oriented PDU header
 * (version 5.0, ptype 2 = response, first-fragment flag, drep whose first
 * byte's high nibble tells little- (1) or big-endian (0) integers,
 * frag_length, auth_length, call_id), the response header (alloc_hint,
 * context id, cancel count), then the NDR stub: entry handle (20 bytes),
 * num_towers (u32), the conformant varying array of tower pointers
 * (max_count, offset, actual_count, one referent id per element, 0 = NULL),
 * then each non-NULL tower in order, 4-aligned: max_count (u32),
 * tower_length (u32), tower octets. Tower octets are little-endian whatever
 * the drep: floor count (u16), then floors of lhs_len (u16), lhs (first
 * byte the protocol id), rhs_len (u16), rhs. The floor with protocol id
 * 0x07 (DOD TCP) has the port, big-endian, in its rhs.
 *
 * Everything is read through the cursor, the window being the PDU (the
 * smaller of frag_length less the auth trailer and the captured payload);
 * loops are bounded by the bytes left, so garbage costs at most one pass.
 */
#include "capture/decode_int.h"

#define RPC_HDR_LEN 16
#define RPC_RESP_HDR_LEN 8
#define RPC_PTYPE_RESPONSE 2
#define RPC_PFC_FIRST_FRAG 0x01
#define RPC_AUTH_HDR_LEN 8
#define EPM_HANDLE_LEN 20
#define EPM_PROTO_TCP 0x07

struct ndr {
	struct cap_cursor c;
	const uint8_t *base; /* stub start: NDR alignment is relative to it */
	bool le;
};

static bool ndr_align4(struct ndr *n)
{
	size_t off = (size_t)(n->c.p - n->base);

	return cur_skip(&n->c, (4 - (off & 3)) & 3);
}

static bool ndr_u32(struct ndr *n, uint32_t *v)
{
	if (!ndr_align4(n))
		return false;
	return n->le ? cur_le32(&n->c, v) : cur_be32(&n->c, v);
}

/* One tower's octets: the TCP floor's port, or 0. */
static uint16_t tower_port(struct cap_cursor t)
{
	uint16_t floors, lhs_len, rhs_len, port;
	uint8_t proto;

	if (!cur_le16(&t, &floors))
		return 0;
	for (uint16_t i = 0; i < floors; i++) {
		if (!cur_le16(&t, &lhs_len) || lhs_len < 1 ||
		    !cur_peek_u8(&t, 0, &proto) || !cur_skip(&t, lhs_len) ||
		    !cur_le16(&t, &rhs_len))
			return 0;
		if (proto == EPM_PROTO_TCP && rhs_len == 2) {
			if (!cur_be16(&t, &port))
				return 0;
			if (port)
				return port;
			continue;
		}
		if (!cur_skip(&t, rhs_len))
			return 0;
	}
	return 0;
}

static uint16_t stub_port(struct ndr *n)
{
	uint32_t num_towers, max_count, offset, actual, ref, nonnull = 0;

	if (!cur_skip(&n->c, EPM_HANDLE_LEN) || !ndr_u32(n, &num_towers) ||
	    !ndr_u32(n, &max_count) || !ndr_u32(n, &offset) ||
	    !ndr_u32(n, &actual))
		return 0;
	if (actual > max_count || offset > max_count - actual ||
	    actual > n->c.len / 4)
		return 0;
	for (uint32_t i = 0; i < actual; i++) {
		if (!ndr_u32(n, &ref))
			return 0;
		if (ref)
			nonnull++;
	}
	for (uint32_t i = 0; i < nonnull; i++) {
		uint32_t conf, tlen;
		struct cap_cursor t;
		uint16_t port;

		if (!ndr_u32(n, &conf) || !ndr_u32(n, &tlen) || tlen > conf ||
		    !cur_sub(&n->c, tlen, &t))
			return 0;
		port = tower_port(t);
		if (port)
			return port;
	}
	return 0;
}

uint16_t cap_dec_dcerpc_epm(const uint8_t *p, size_t len)
{
	struct cap_cursor c;
	struct ndr n;
	uint8_t vers, minor, ptype, flags, drep[4];
	uint16_t frag_len, auth_len;
	uint32_t call_id, alloc_hint, stub_len;
	bool le;

	cur_init(&c, p, len);
	if (!cur_u8(&c, &vers) || !cur_u8(&c, &minor) || !cur_u8(&c, &ptype) ||
	    !cur_u8(&c, &flags) || !cur_bytes(&c, drep, sizeof(drep)))
		return 0;
	if (vers != 5 || minor > 1 || ptype != RPC_PTYPE_RESPONSE ||
	    !(flags & RPC_PFC_FIRST_FRAG) || (drep[0] & 0xe0) != 0)
		return 0;
	le = (drep[0] & 0x10) != 0;
	if (!(le ? cur_le16(&c, &frag_len) : cur_be16(&c, &frag_len)) ||
	    !(le ? cur_le16(&c, &auth_len) : cur_be16(&c, &auth_len)) ||
	    !(le ? cur_le32(&c, &call_id) : cur_be32(&c, &call_id)) ||
	    !(le ? cur_le32(&c, &alloc_hint) : cur_be32(&c, &alloc_hint)) ||
	    !cur_skip(&c, 4))
		return 0;
	(void)call_id;
	(void)alloc_hint;
	/* The stub: frag_length less headers and the auth trailer. */
	if (frag_len < RPC_HDR_LEN + RPC_RESP_HDR_LEN)
		return 0;
	stub_len = (uint32_t)frag_len - RPC_HDR_LEN - RPC_RESP_HDR_LEN;
	if (auth_len) {
		if ((uint32_t)auth_len + RPC_AUTH_HDR_LEN > stub_len)
			return 0;
		stub_len -= (uint32_t)auth_len + RPC_AUTH_HDR_LEN;
	}
	cur_narrow(&c, stub_len);
	n.c = c;
	n.base = c.p;
	n.le = le;
	return stub_port(&n);
}
