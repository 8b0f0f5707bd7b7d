/*
 * decode_null.c -- BSD loopback (DLT_NULL, DLT_LOOP) and raw IP link types.
 *
 * Design. DLT_NULL frames start with a 4-byte address family in the byte
 * order of the machine that captured them; DLT_LOOP (OpenBSD) in network
 * order. As tcpdump does, a value with bits in the upper half is taken as
 * the other byte order, so both readings work whatever wrote the file. The
 * AF_INET6 value differs per system: 10 (Linux), 24 (NetBSD, OpenBSD,
 * BSD/OS), 28 (FreeBSD, DragonFly), 30 (Darwin); AF_INET is 2 everywhere.
 * Raw IP (DLT_RAW 12, 14 on OpenBSD, LINKTYPE_RAW 101) has no header: the
 * version nibble decides; LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) fix
 * the version, and a packet of the other version is a bad version.
 */
#include "capture/decode_int.h"

#define BSD_AF_INET 2
#define BSD_AF_INET6_LINUX 10
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

static uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
	       (v << 24);
}

bool cap_dec_null(struct cap_dstate *st, struct cap_cursor *c, bool loop)
{
	uint32_t family;
	bool ok = loop ? cur_be32(c, &family) : cur_le32(c, &family);

	if (!ok)
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	if (family & 0xffff0000u)
		family = swap32(family);
	switch (family) {
	case BSD_AF_INET:
		return cap_dec_ip4(st, c);
	case BSD_AF_INET6_LINUX:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return cap_dec_ip6(st, c);
	default:
		return cap_dec_fail(st, CAP_AN_NON_IP);
	}
}

bool cap_dec_raw(struct cap_dstate *st, struct cap_cursor *c, int family)
{
	uint8_t first;

	if (family == 4)
		return cap_dec_ip4(st, c);
	if (family == 6)
		return cap_dec_ip6(st, c);
	if (!cur_peek_u8(c, 0, &first))
		return cap_dec_fail(st, CAP_AN_TRUNC_LINK);
	switch (first >> 4) {
	case 4:
		return cap_dec_ip4(st, c);
	case 6:
		return cap_dec_ip6(st, c);
	default:
		return cap_dec_fail(st, CAP_AN_NON_IP);
	}
}
