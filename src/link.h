/*
 * link.h: the network side of one association.  Reads PDUs from a
 * non-blocking socket in two steps (the 6-byte header, checked before the
 * body is sized or read; then exactly the body) and writes each PDU with
 * one writev() before a deadline.
 */
#ifndef DUL_LINK_H
#define DUL_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "pdu.h"

/*
 * Bytes before body that its reader may overwrite: a service user puts
 * its own frame header there, so that the header and a P-DATA body it
 * passes on leave in one write, without a copy.
 */
#define LINK_HEADROOM	8

/*
 * A P-DATA-TF body at least this long may be spliced (see link_read()):
 * below it, the system calls cost more than the copies they save.
 */
#define LINK_SPLICE_MIN	4096

/* link_read() results. */
#define LINK_PDU	 1	/* a whole PDU is in hdr/body */
#define LINK_AGAIN	 0	/* need more bytes; poll for input */
#define LINK_EOF	-1	/* the peer closed (or reset) */
#define LINK_BADHDR	-2	/* the header check failed: see err */
#define LINK_ERR	-3	/* read error other than a reset: errno */

struct link {
	int		 fd;
	uint8_t		 hdr[PDU_HDR_LEN];
	size_t		 hdr_got;
	struct pdu_hdr	 h;
	uint8_t		*mem;		/* LINK_HEADROOM, then body */
	uint8_t		*body;
	size_t		 body_cap;
	size_t		 body_got;
	int		 err;		/* PDU_ERR_* of the last LINK_BADHDR */
	uint64_t	 pdu_started;	/* when the first byte of a PDU came */

	uint64_t	 pdus_in, pdus_out;
	uint64_t	 bytes_in, bytes_out;

	/* Spliced P-DATA bodies: see link_read(). */
	int		 splice_ok;	/* the caller may set it before a PDU */
	int		 no_splice;	/* fd or system cannot: never again */
	int		 in_pipe;	/* this PDU's body is in sp[0] */
	int		 sp[2];		/* the link's own pipe, or -1 */
	size_t		 sp_cap;	/* its size in bytes */
	size_t		 pipe_len;	/* body bytes still in sp[0] */
	size_t		 hdrs_len;	/* its PDV headers, 6 bytes each, in body */
	uint32_t	 frag_left;	/* of the PDV being spliced */
	uint8_t		 pdvh[PDU_PDV_HDR_LEN];
	size_t		 pdvh_got;
	uint64_t	 pdus_spliced;
};

void	 link_init(struct link *, int fd);
void	 link_free(struct link *);
int	 link_read(struct link *, const struct pdu_limits *, enum pdu_phase);
int	 link_in_pdu(const struct link *);
void	 link_next(struct link *);
ssize_t	 link_drain(struct link *);
int	 link_send(struct link *, const void *, size_t, uint64_t deadline);
int	 link_send_pdvs(struct link *, const uint8_t *, size_t,
	    uint32_t maxpdu, uint64_t deadline);
int	 link_send_pdv(struct link *, uint8_t pcid, uint8_t mch,
	    const uint8_t *, size_t, uint32_t maxpdu, uint64_t deadline);
uint32_t link_max_fragment(uint32_t maxpdu);
ssize_t	 link_pipe_splice(struct link *, int fd);
ssize_t	 link_pipe_copy(struct link *, const uint8_t **);

#endif /* DUL_LINK_H */
