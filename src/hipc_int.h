/*
 * hipc_int.h: what hipc.c and hipc_enc.c share and nobody else uses: the
 * decoder's pass state, which the encoder runs over what it wrote.
 */
#ifndef DUL_HIPC_INT_H
#define DUL_HIPC_INT_H

#include <stddef.h>

#include "hipc.h"

/* Alignment of the pools carved from a decode arena. */
#define HIPC_ARENA_ALIGN	16

/*
 * One decoding pass.  With fill == 0 the pass only validates and counts
 * the list elements; with fill == 1 it also stores them in the pools.
 */
struct dctx {
	int			 fill;
	struct hipc_pctx	*pctx;
	size_t			 npctx;
	struct hipc_view	*views;		/* transfer syntaxes, related */
	size_t			 nviews;
	struct hipc_role	*roles;
	size_t			 nroles;
	struct hipc_ext		*ext;
	size_t			 next;
	struct hipc_cext	*cext;
	size_t			 ncext;
	struct hipc_pc_answer	*answers;
	size_t			 nanswers;
	int			 rsp_accept;	/* ASSOC_RSP accept items seen */
	int			 rsp_reject;	/* ASSOC_RSP reject items seen */
};

int	 hipc_decode_pass(const uint8_t *, size_t, struct hipc_msg *,
	    struct dctx *);

#endif /* DUL_HIPC_INT_H */
