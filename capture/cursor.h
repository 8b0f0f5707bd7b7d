/*
 * cursor.h -- bounds-checked reads of packet bytes.
 *
 * Design. Every decoder reads the packet through a struct cap_cursor, a
 * window {p, len} over the captured bytes, in the spirit of tcpdump's
 * GET_BE_U_2() but with return codes instead of longjmp: a reader either
 * takes its bytes from the front of the window and returns true, or leaves
 * the cursor untouched and returns false. Nothing here can read past `len`.
 * A decoder narrows the window to the length its header announces
 * (cur_narrow: the IP total length, a PPPoE length, a DCE/RPC frag_length),
 * so that a layer can never read its parent's padding or the next PDU.
 * All functions are static inline: the decoders are on the per-packet path.
 */
#ifndef PORTAUDIT_CAPTURE_CURSOR_H
#define PORTAUDIT_CAPTURE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cap_cursor {
	const uint8_t *p; /* next unread byte */
	size_t len;       /* bytes left in the window */
};

static inline void cur_init(struct cap_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
}

static inline bool cur_has(const struct cap_cursor *c, size_t n)
{
	return c->len >= n;
}

static inline bool cur_skip(struct cap_cursor *c, size_t n)
{
	if (c->len < n)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cur_u8(struct cap_cursor *c, uint8_t *v)
{
	if (c->len < 1)
		return false;
	*v = c->p[0];
	c->p++;
	c->len--;
	return true;
}

static inline bool cur_be16(struct cap_cursor *c, uint16_t *v)
{
	if (c->len < 2)
		return false;
	*v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_le16(struct cap_cursor *c, uint16_t *v)
{
	if (c->len < 2)
		return false;
	*v = (uint16_t)((unsigned)c->p[1] << 8 | c->p[0]);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cur_be32(struct cap_cursor *c, uint32_t *v)
{
	if (c->len < 4)
		return false;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cur_le32(struct cap_cursor *c, uint32_t *v)
{
	if (c->len < 4)
		return false;
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	     (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	c->len -= 4;
	return true;
}

/* Take the next n bytes whole: a pointer to them, or NULL (the cursor
 * untouched) when fewer are left. A decoder takes its fixed header at once
 * and reads the fields with rd_be16()/rd_be32() at offsets below n: one
 * bounds check per header (tcpdump's ND_TCHECK_LEN before its GET_ macros)
 * instead of one per field. */
static inline const uint8_t *cur_take(struct cap_cursor *c, size_t n)
{
	if (c->len < n)
		return NULL;
	const uint8_t *h = c->p;
	c->p += n;
	c->len -= n;
	return h;
}

/* Big-endian fields of a header that cur_take() returned. */
static inline uint16_t rd_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Copy n bytes out. */
static inline bool cur_bytes(struct cap_cursor *c, void *dst, size_t n)
{
	if (c->len < n)
		return false;
	memcpy(dst, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

/* Take a sub-window of n bytes (the caller reads it with its own cursor). */
static inline bool cur_sub(struct cap_cursor *c, size_t n, struct cap_cursor *sub)
{
	if (c->len < n)
		return false;
	sub->p = c->p;
	sub->len = n;
	c->p += n;
	c->len -= n;
	return true;
}

/* Look at the byte `off` ahead without consuming anything. */
static inline bool cur_peek_u8(const struct cap_cursor *c, size_t off, uint8_t *v)
{
	if (c->len <= off)
		return false;
	*v = c->p[off];
	return true;
}

/* Shrink the window to at most n bytes; never grows it. */
static inline void cur_narrow(struct cap_cursor *c, size_t n)
{
	if (c->len > n)
		c->len = n;
}

#endif
