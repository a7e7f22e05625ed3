/* link.c: PDU framing over a non-blocking socket. */

#include "compat.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fault.h"
#include "io.h"
#include "link.h"
#include "pdu.h"

/* Take over a connected, non-blocking socket. */
void
link_init(struct link *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
}

/* Release the body buffer; the socket is the caller's. */
void
link_free(struct link *l)
{
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
 * PDU, which stays there until link_next().
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
