/*
 * dh_int.h: what the library's session files share and handlers never
 * see: the connection and its framed I/O on the two pipes.
 */
#ifndef DUL_DH_INT_H
#define DUL_DH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hipc.h"

/* Where the session stands, seen from the handler. */
enum dh_state {
	DH_ST_HELLO = 1,	/* HELLO answered, no association yet */
	DH_ST_ASSOC_PENDING,	/* ASSOC_IND received, answer due */
	DH_ST_ESTABLISHED,	/* accepted: data may flow */
	DH_ST_RELEASE_PENDING,	/* RELEASE_IND received, RELEASE_RSP due */
	DH_ST_RELEASE_SENT,	/* RELEASE_REQ sent, RELEASE_CNF due */
	DH_ST_CLOSED		/* over: only EOF is left to read */
};

struct dh_conn {
	int		 in;		/* worker to handler */
	int		 out;		/* handler to worker */
	enum dh_state	 state;
	char		 name[HIPC_NAME_MAX + 1];
	char		 assoc_id[HIPC_NAME_MAX + 1];
	uint16_t	 version;
	uint32_t	 max_w2h;	/* largest body we may receive */
	uint32_t	 max_h2w;	/* largest body we may send */
	uint32_t	 features;
	uint8_t		*ibuf;		/* frames read ahead from in */
	size_t		 icap;
	size_t		 ioff;		/* next unread byte */
	size_t		 ilen;		/* end of what was read */
	void		*arena;		/* lists of the last decoded body */
	size_t		 arena_cap;
	uint8_t		*obuf;		/* encoded control frames */
	size_t		 obuf_cap;
	struct dh_pdv	*pdv;		/* the last PDATA_IND's PDVs */
	size_t		 pdv_cap;
	int		 have_assoc;
	struct dh_assoc	 assoc;
};

int	 dh_conn_recv(struct dh_conn *, uint32_t, struct hipc_msg *);
int	 dh_conn_send(struct dh_conn *, const struct hipc_msg *);
int	 dh_conn_fail(struct dh_conn *, int);
void	 dh_assoc_free(struct dh_assoc *);
int	 dh_assoc_copy(struct dh_assoc *, const struct hipc_assoc_ind *);

#endif /* DUL_DH_INT_H */
