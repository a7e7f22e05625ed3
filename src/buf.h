/*
 * buf.h: bounded big-endian cursors shared by the PDU and handler-protocol
 * codecs.  A reader never moves past its end; a failed read leaves the
 * cursor where it was.  A writer never writes past its end and remembers
 * that it overflowed, so an encoder can write everything and check once.
 */
#ifndef DUL_BUF_H
#define DUL_BUF_H

#include <stddef.h>
#include <stdint.h>

#define BUF_OK		 0
#define BUF_ERR_SHORT	-1	/* fewer bytes left than asked for */
#define BUF_ERR_SPACE	-2	/* writer out of room */

struct rbuf {
	const uint8_t	*p;
	const uint8_t	*end;
};

struct wbuf {
	uint8_t		*base;
	uint8_t		*p;
	uint8_t		*end;
	int		 overflow;
};

void	 rbuf_init(struct rbuf *, const void *, size_t);
size_t	 rbuf_left(const struct rbuf *);
int	 rbuf_u8(struct rbuf *, uint8_t *);
int	 rbuf_u16(struct rbuf *, uint16_t *);
int	 rbuf_u32(struct rbuf *, uint32_t *);
int	 rbuf_bytes(struct rbuf *, void *, size_t);
int	 rbuf_ptr(struct rbuf *, const uint8_t **, size_t);
int	 rbuf_skip(struct rbuf *, size_t);
int	 rbuf_sub(struct rbuf *, size_t, struct rbuf *);
int	 len_sub(uint32_t, uint32_t, uint32_t *);
int	 size_sub(size_t, size_t, size_t *);

void	 wbuf_init(struct wbuf *, void *, size_t);
size_t	 wbuf_len(const struct wbuf *);
void	 wbuf_u8(struct wbuf *, uint8_t);
void	 wbuf_u16(struct wbuf *, uint16_t);
void	 wbuf_u32(struct wbuf *, uint32_t);
void	 wbuf_bytes(struct wbuf *, const void *, size_t);
void	 wbuf_zero(struct wbuf *, size_t);
uint8_t	*wbuf_reserve(struct wbuf *, size_t);
void	 put_u16(uint8_t *, uint16_t);
void	 put_u32(uint8_t *, uint32_t);
uint16_t get_u16(const uint8_t *);
uint32_t get_u32(const uint8_t *);

#endif /* DUL_BUF_H */
