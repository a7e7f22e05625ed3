/* buf.c: bounded big-endian reader and writer cursors. */

#include "compat.h"

#include <string.h>

#include "buf.h"

/* Point a reader at len bytes starting at p. */
void
rbuf_init(struct rbuf *b, const void *p, size_t len)
{
	b->p = p;
	b->end = b->p + len;
}

/* Return how many bytes the reader has left. */
size_t
rbuf_left(const struct rbuf *b)
{
	return ((size_t)(b->end - b->p));
}

/* Take one byte. */
int
rbuf_u8(struct rbuf *b, uint8_t *v)
{
	if (rbuf_left(b) < 1)
		return (BUF_ERR_SHORT);
	*v = b->p[0];
	b->p += 1;
	return (BUF_OK);
}

/* Take a big-endian 16-bit integer. */
int
rbuf_u16(struct rbuf *b, uint16_t *v)
{
	if (rbuf_left(b) < 2)
		return (BUF_ERR_SHORT);
	*v = get_u16(b->p);
	b->p += 2;
	return (BUF_OK);
}

/* Take a big-endian 32-bit integer. */
int
rbuf_u32(struct rbuf *b, uint32_t *v)
{
	if (rbuf_left(b) < 4)
		return (BUF_ERR_SHORT);
	*v = get_u32(b->p);
	b->p += 4;
	return (BUF_OK);
}

/* Copy len bytes out. */
int
rbuf_bytes(struct rbuf *b, void *dst, size_t len)
{
	if (rbuf_left(b) < len)
		return (BUF_ERR_SHORT);
	if (len > 0)
		memcpy(dst, b->p, len);
	b->p += len;
	return (BUF_OK);
}

/* Take len bytes in place: *pp points into the reader's memory. */
int
rbuf_ptr(struct rbuf *b, const uint8_t **pp, size_t len)
{
	if (rbuf_left(b) < len)
		return (BUF_ERR_SHORT);
	*pp = b->p;
	b->p += len;
	return (BUF_OK);
}

/* Step over len bytes. */
int
rbuf_skip(struct rbuf *b, size_t len)
{
	if (rbuf_left(b) < len)
		return (BUF_ERR_SHORT);
	b->p += len;
	return (BUF_OK);
}

/*
 * Split off a child cursor over the next len bytes and step the parent past
 * them.  A length that runs past the parent is an error, never a clamp.
 */
int
rbuf_sub(struct rbuf *b, size_t len, struct rbuf *sub)
{
	if (rbuf_left(b) < len)
		return (BUF_ERR_SHORT);
	sub->p = b->p;
	sub->end = b->p + len;
	b->p += len;
	return (BUF_OK);
}

/*
 * The one checked subtraction for lengths that came from a peer: store
 * a - b in *r, or fail when b > a.
 */
int
len_sub(uint32_t a, uint32_t b, uint32_t *r)
{
	if (b > a)
		return (BUF_ERR_SHORT);
	*r = a - b;
	return (BUF_OK);
}

/*
 * len_sub() for lengths held in a size_t (what is left of a buffer a
 * peer or a handler filled): store a - b in *r, or fail when b > a.
 */
int
size_sub(size_t a, size_t b, size_t *r)
{
	if (b > a)
		return (BUF_ERR_SHORT);
	*r = a - b;
	return (BUF_OK);
}

/* Point a writer at len bytes of space. */
void
wbuf_init(struct wbuf *b, void *p, size_t len)
{
	b->base = p;
	b->p = b->base;
	b->end = b->base + len;
	b->overflow = 0;
}

/* Return how many bytes were written. */
size_t
wbuf_len(const struct wbuf *b)
{
	return ((size_t)(b->p - b->base));
}

/* Claim len bytes for the caller to fill, or NULL (and remember it). */
uint8_t *
wbuf_reserve(struct wbuf *b, size_t len)
{
	uint8_t	*p;

	if (b->overflow || (size_t)(b->end - b->p) < len) {
		b->overflow = 1;
		return (NULL);
	}
	p = b->p;
	b->p += len;
	return (p);
}

/* Put one byte. */
void
wbuf_u8(struct wbuf *b, uint8_t v)
{
	uint8_t	*p;

	if ((p = wbuf_reserve(b, 1)) != NULL)
		p[0] = v;
}

/* Put a big-endian 16-bit integer. */
void
wbuf_u16(struct wbuf *b, uint16_t v)
{
	uint8_t	*p;

	if ((p = wbuf_reserve(b, 2)) != NULL)
		put_u16(p, v);
}

/* Put a big-endian 32-bit integer. */
void
wbuf_u32(struct wbuf *b, uint32_t v)
{
	uint8_t	*p;

	if ((p = wbuf_reserve(b, 4)) != NULL)
		put_u32(p, v);
}

/* Put len bytes. */
void
wbuf_bytes(struct wbuf *b, const void *src, size_t len)
{
	uint8_t	*p;

	if ((p = wbuf_reserve(b, len)) != NULL && len > 0)
		memcpy(p, src, len);
}

/* Put len zero bytes. */
void
wbuf_zero(struct wbuf *b, size_t len)
{
	uint8_t	*p;

	if ((p = wbuf_reserve(b, len)) != NULL && len > 0)
		memset(p, 0, len);
}

/* Store v big-endian at p. */
void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Store v big-endian at p. */
void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* Load a big-endian 16-bit integer from p. */
uint16_t
get_u16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

/* Load a big-endian 32-bit integer from p. */
uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}
