/* link.c: PDU framing over a non-blocking socket. */

#include "compat.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fault.h"
#include "io.h"
#include "link.h"
#include "pdu.h"

#define LINK_LOOKS_NEXT	2	/* link_unsplice(): read the rest into body */
#define LINK_PIPE_MAX	(1024 * 1024)	/* largest size asked for sp */

static int	link_pipe(struct link *);
static void	link_pipe_close(struct link *);
static int	link_unsplice(struct link *);
static int	link_read_pipe(struct link *);
static int	link_pipe_read(struct link *, size_t);

/* Take over a connected, non-blocking socket. */
void
link_init(struct link *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->sp[0] = l->sp[1] = -1;
}

/* Release the body buffer and the pipe; the socket is the caller's. */
void
link_free(struct link *l)
{
	link_pipe_close(l);
	free(l->mem);
	l->mem = l->body = NULL;
	l->body_cap = 0;
}

/* Return whether part of a PDU has been read. */
int
link_in_pdu(const struct link *l)
{
	return (l->hdr_got > 0);
}

/* Forget the PDU just returned, ready for the next one. */
void
link_next(struct link *l)
{
	const uint8_t	*p;

	/* What the caller left of a spliced body goes. */
	if (l->in_pipe && l->pipe_len > 0 && link_pipe_copy(l, &p) == -1)
		link_pipe_close(l);
	l->in_pipe = 0;
	l->pipe_len = 0;
	l->hdr_got = 0;
	l->body_got = 0;
	l->pdu_started = 0;
}

/* Read at most len bytes; map a reset to EOF. */
static ssize_t
link_recv(struct link *l, void *p, size_t len)
{
	ssize_t	 n;

	for (;;) {
		n = recv(l->fd, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOTSOCK)
			n = read(l->fd, p, len);
		break;
	}
	if (n == 0)
		return (LINK_EOF);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (LINK_AGAIN);
		if (errno == ECONNRESET || errno == EPIPE ||
		    errno == ETIMEDOUT)
			return (LINK_EOF);
		return (LINK_ERR);
	}
	l->bytes_in += (uint64_t)n;
	return (n);
}

/*
 * Read what the socket has towards the current PDU.  The header is checked
 * against the limits before the body is sized, allocated or read
 * (PS3.8 9.3.1; digest 12).  Returns LINK_PDU when h and body hold a whole
 * PDU, which stays there until link_next().  With splice_ok set before the
 * header comes, a P-DATA-TF body of LINK_SPLICE_MIN bytes or more may
 * instead go to the link's pipe (in_pipe set, pipe_len bytes in sp[0],
 * body holding only its PDV headers, already checked as the decoder
 * would): the caller moves it on with link_pipe_splice() or
 * link_pipe_copy(), and link_next() drops whatever it left.
 */
int
link_read(struct link *l, const struct pdu_limits *lim, enum pdu_phase ph)
{
	ssize_t	 n;
	size_t	 want;
	uint8_t	*nb;
	int	 r;

	if (l->hdr_got < PDU_HDR_LEN) {
		n = link_recv(l, l->hdr + l->hdr_got,
		    PDU_HDR_LEN - l->hdr_got);
		if (n <= 0)
			return ((int)n);
		if (l->hdr_got == 0)
			l->pdu_started = io_now();
		l->hdr_got += (size_t)n;
		if (l->hdr_got < PDU_HDR_LEN)
			return (LINK_AGAIN);
		if ((r = pdu_header_check(l->hdr, lim, ph, &l->h)) < 0) {
			l->err = r;
			return (LINK_BADHDR);
		}
		if (l->h.len > l->body_cap || l->mem == NULL) {
			if ((nb = fault_realloc(l->mem, LINK_HEADROOM +
			    (size_t)l->h.len)) == NULL) {
				/* No header is kept without room for its body. */
				l->hdr_got = 0;
				return (LINK_ERR);
			}
			l->mem = nb;
			l->body = nb + LINK_HEADROOM;
			l->body_cap = l->h.len;
		}
		l->body_got = 0;
		l->in_pipe = 0;
		if (l->splice_ok && !l->no_splice &&
		    l->h.type == PDU_P_DATA_TF &&
		    l->h.len >= LINK_SPLICE_MIN && link_pipe(l) == 0) {
			l->in_pipe = 1;
			l->pipe_len = l->hdrs_len = l->pdvh_got = 0;
			l->frag_left = 0;
		}
	}
	if (l->in_pipe && (r = link_read_pipe(l)) != LINK_LOOKS_NEXT) {
		if (r == LINK_PDU)
			l->pdus_in++;
		return (r);
	}
	while (size_sub(l->h.len, l->body_got, &want) == BUF_OK && want > 0) {
		n = link_recv(l, l->body + l->body_got, want);
		if (n <= 0)		/* LINK_AGAIN is 0: poll again */
			return ((int)n);
		l->body_got += (size_t)n;
	}
	l->pdus_in++;
	return (LINK_PDU);
}

/*
 * Have the link's pipe ready for a body of h.len bytes: about four times
 * that, since a page in the pipe may hold only part of one (the sender's
 * segments).  Returns -1 if it cannot be had, and the body is read as
 * usual.
 */
static int
link_pipe(struct link *l)
{
#ifdef SPLICE_F_NONBLOCK
	size_t	 want = 4 * (size_t)l->h.len;
	int	 n;

	if (l->sp[0] == -1) {
		if (pipe2(l->sp, O_NONBLOCK | O_CLOEXEC) == -1) {
			l->sp[0] = l->sp[1] = -1;
			l->no_splice = 1;
			return (-1);
		}
		if ((n = fcntl(l->sp[0], F_GETPIPE_SZ)) <= 0) {
			link_pipe_close(l);
			return (-1);
		}
		l->sp_cap = (size_t)n;
	}
	if (l->sp_cap < want && l->sp_cap < LINK_PIPE_MAX &&
	    (n = fcntl(l->sp[0], F_SETPIPE_SZ, want < LINK_PIPE_MAX ? want :
	    LINK_PIPE_MAX)) > 0)
		l->sp_cap = (size_t)n;
	return (l->sp_cap / 2 >= l->h.len ? 0 : -1);
#else
	(void)l;
	return (-1);
#endif
}

/* Close the link's pipe; link_pipe() makes another when needed. */
static void
link_pipe_close(struct link *l)
{
	if (l->sp[0] != -1) {
		close(l->sp[0]);
		close(l->sp[1]);
	}
	l->sp[0] = l->sp[1] = -1;
	l->sp_cap = 0;
}

/*
 * Give up splicing this body: read what went into the pipe back into the
 * body buffer, where the rest will follow it; the PDV header being read
 * goes behind it.  The decoder then sees exactly the bytes it would have.
 */
static int
link_unsplice(struct link *l)
{
	if (link_pipe_read(l, l->pipe_len) == -1)
		return (LINK_ERR);
	memcpy(l->body + l->pipe_len, l->pdvh, l->pdvh_got);
	l->in_pipe = 0;
	l->pipe_len = l->hdrs_len = l->pdvh_got = 0;
	l->frag_left = 0;
	return (LINK_LOOKS_NEXT);
}

/*
 * Read a P-DATA-TF body into the link's pipe: each PDV header with
 * recv(), checked (length within the body, an odd context ID) and
 * written to the pipe and kept in body, 6 bytes each; each fragment
 * spliced from the socket into the pipe, never through this process.
 * Whatever is not as expected (a bad header, a full pipe, a descriptor
 * that cannot splice) falls back to reading into body (LINK_LOOKS_NEXT),
 * so errors are found and reported exactly as without splicing.
 */
static int
link_read_pipe(struct link *l)
{
#ifdef SPLICE_F_NONBLOCK
	size_t	 want, left;
	ssize_t	 n;
	uint32_t ilen;
	uint8_t	 c;

	while (size_sub(l->h.len, l->body_got, &left) == BUF_OK && left > 0) {
		if (l->frag_left == 0) {
			want = PDU_PDV_HDR_LEN - l->pdvh_got;
			if (want > left)
				want = left;
			n = link_recv(l, l->pdvh + l->pdvh_got, want);
			if (n <= 0)
				return ((int)n);
			l->pdvh_got += (size_t)n;
			l->body_got += (size_t)n;
			left -= (size_t)n;
			if (l->pdvh_got < PDU_PDV_HDR_LEN) {
				if (left == 0)
					return (link_unsplice(l));
				continue;
			}
			ilen = get_u32(l->pdvh);
			if (ilen < 2 || ilen - 2 > left ||
			    (l->pdvh[4] & 1) == 0 ||
			    write(l->sp[1], l->pdvh, PDU_PDV_HDR_LEN) !=
			    PDU_PDV_HDR_LEN)
				return (link_unsplice(l));
			memcpy(l->body + l->hdrs_len, l->pdvh, PDU_PDV_HDR_LEN);
			l->hdrs_len += PDU_PDV_HDR_LEN;
			l->pipe_len += PDU_PDV_HDR_LEN;
			l->pdvh_got = 0;
			l->frag_left = ilen - 2;
			continue;
		}
		n = splice(l->fd, NULL, l->sp[1], NULL, l->frag_left,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			l->frag_left -= (uint32_t)n;
			l->body_got += (size_t)n;
			l->pipe_len += (size_t)n;
			l->bytes_in += (uint64_t)n;
			continue;
		}
		if (n == 0)
			return (LINK_EOF);
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT)
			return (LINK_EOF);
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* Nothing to read, or no room left in the pipe? */
			n = recv(l->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
			if (n == -1 && (errno == EAGAIN ||
			    errno == EWOULDBLOCK))
				return (LINK_AGAIN);
			if (n == 0)
				return (LINK_EOF);
		} else
			l->no_splice = 1;	/* this descriptor cannot */
		return (link_unsplice(l));
	}
	l->pdus_spliced++;
	return (LINK_PDU);
#else
	return (link_unsplice(l));
#endif
}

/*
 * Move what is left of a spliced body from the link's pipe into fd, a
 * pipe, without waiting.  Returns the bytes moved, or -1 (errno).
 */
ssize_t
link_pipe_splice(struct link *l, int fd)
{
#ifdef SPLICE_F_NONBLOCK
	ssize_t	 n;

	if (!l->in_pipe || l->pipe_len == 0)
		return (0);
	n = splice(l->sp[0], NULL, fd, NULL, l->pipe_len,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0)
		l->pipe_len -= (size_t)n;
	return (n);
#else
	(void)l;
	(void)fd;
	errno = EINVAL;
	return (-1);
#endif
}

/*
 * Read what is left of a spliced body into the body buffer (which held
 * only its PDV headers) and point *p at it.  Returns its length, or -1.
 */
ssize_t
link_pipe_copy(struct link *l, const uint8_t **p)
{
	size_t	 len = l->pipe_len;

	*p = l->body;
	if (link_pipe_read(l, len) == -1)
		return (-1);
	l->pipe_len = 0;
	return ((ssize_t)len);
}

/*
 * Read exactly len bytes from the link's pipe to the start of body (they
 * are all there).  Returns 0, or -1.
 */
static int
link_pipe_read(struct link *l, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		n = read(l->sp[0], l->body + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		off += (size_t)n;
	}
	return (0);
}

/*
 * Read and throw away whatever the socket holds, without parsing: the
 * stream is no longer framed, or the association is over (Sta13).
 * Returns bytes dropped, LINK_AGAIN when none were waiting, or LINK_EOF.
 */
ssize_t
link_drain(struct link *l)
{
	uint8_t	 junk[4096];
	ssize_t	 n, total = 0;
	int	 i;

	for (i = 0; i < 16; i++) {
		n = link_recv(l, junk, sizeof(junk));
		if (n == LINK_AGAIN)
			break;
		if (n < 0)
			return (n);
		total += n;
	}
	return (total > 0 ? total : LINK_AGAIN);
}

/* Write one whole encoded PDU before the deadline. */
int
link_send(struct link *l, const void *p, size_t len, uint64_t deadline)
{
	if (io_write(l->fd, p, len, deadline) == -1)
		return (-1);
	l->pdus_out++;
	l->bytes_out += len;
	return (0);
}

/*
 * The largest fragment a PDV may carry in a PDU of at most maxpdu bytes
 * of PDU-length: 6 bytes go to the PDV header, and fragments are even
 * (PS3.8 Annex E.1, digest 8.2).  0 if nothing fits.
 */
uint32_t
link_max_fragment(uint32_t maxpdu)
{
	uint32_t	 room;

	if (len_sub(maxpdu, PDU_PDV_HDR_LEN, &room) != BUF_OK || room < 2)
		return (0);
	return (room & ~(uint32_t)1);
}

/*
 * Send one PDV, split into as many P-DATA-TF PDUs as the peer's maximum
 * needs.  Each fragment keeps the command bit; only the final one keeps
 * the caller's last-fragment bit.  Each PDU goes out with one writev() of
 * its 12 header bytes and the caller's data, which is never copied.
 */
int
link_send_pdv(struct link *l, uint8_t pcid, uint8_t mch, const uint8_t *p,
    size_t len, uint32_t maxpdu, uint64_t deadline)
{
	uint8_t		 hdr[PDU_PDATA_HDR_LEN];
	struct iovec	 iov[2];
	uint32_t	 frag;
	size_t		 n;
	uint8_t		 m;

	if ((frag = link_max_fragment(maxpdu)) == 0) {
		errno = EMSGSIZE;
		return (-1);
	}
	do {
		n = len > frag ? frag : len;
		m = mch & PDU_MCH_COMMAND;
		if (n == len)
			m |= mch & PDU_MCH_LAST;
		if (pdu_pdata_header(hdr, pcid, m, n) != PDU_OK) {
			errno = EINVAL;
			return (-1);
		}
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)(uintptr_t)p;
		iov[1].iov_len = n;
		if (io_writev(l->fd, iov, n > 0 ? 2 : 1, deadline) == -1)
			return (-1);
		l->pdus_out++;
		l->bytes_out += sizeof(hdr) + n;
		p += n;
		len -= n;
	} while (len > 0);
	return (0);
}

/*
 * Send a list of PDV items laid out as in a P-DATA-TF body (u32 length,
 * context ID, control header, data), re-fragmented to maxpdu.  The list
 * must have been validated by the caller.
 */
int
link_send_pdvs(struct link *l, const uint8_t *p, size_t len, uint32_t maxpdu,
    uint64_t deadline)
{
	uint32_t	 ilen, dlen;
	size_t		 room;

	while (len >= PDU_PDV_HDR_LEN) {
		ilen = get_u32(p);
		if (size_sub(len, 4, &room) != BUF_OK || ilen > room ||
		    len_sub(ilen, 2, &dlen) != BUF_OK) {
			errno = EINVAL;
			return (-1);
		}
		if (link_send_pdv(l, p[4], p[5], p + 6, dlen, maxpdu,
		    deadline) == -1)
			return (-1);
		p += 4 + (size_t)ilen;
		(void)size_sub(room, ilen, &len);
	}
	if (len != 0) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}
