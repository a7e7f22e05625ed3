/*
 * fuzz_hipc.c: libFuzzer harness for the handler protocol codec.
 *
 * The input is read two ways: as a stream of frames (header check, then
 * the body), and as one body whose type the first byte picks.  Every body
 * that decodes is encoded again, decoded again and compared; the second
 * encoding must equal the first byte for byte (the canonical form).  An
 * ASSOC_RSP that follows an ASSOC_IND in the stream is checked against it.
 */

#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "hipc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The last ASSOC_IND of the stream, kept for checking responses. */
struct held_ind {
	uint8_t		*body;
	void		*arena;
	struct hipc_msg	 m;
	int		 valid;
};

/* Stop the run: the codec broke one of its promises. */
static void __dead
fail(void)
{
	__builtin_trap();
}

/* Decode a body, allocating exactly the arena it asks for. */
static int
decode_alloc(enum hipc_type type, const uint8_t *body, size_t len,
    struct hipc_msg *m, void **arena)
{
	size_t	 need = 0;
	int	 rc;

	*arena = NULL;
	rc = hipc_decode(type, body, len, m, NULL, 0, &need);
	if (rc == HIPC_ERR_SPACE) {
		if (need == 0 || need > hipc_arena_bound(len))
			fail();
		if ((*arena = malloc(need)) == NULL)
			return (-1);
		rc = hipc_decode(type, body, len, m, *arena, need, NULL);
		if (rc != HIPC_OK)
			fail();
	} else if (rc == HIPC_OK && need != 0)
		fail();
	if (hipc_strerror(rc) == NULL)
		fail();
	return (rc);
}

/* Walk a decoded P-DATA body; the iterator must agree with the count. */
static void
check_pdvs(const struct hipc_pdata *pd)
{
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 pdv;
	size_t			 n = 0;
	int			 rc;

	hipc_pdv_begin(&it, pd);
	while ((rc = hipc_pdv_next(&it, &pdv)) == 1) {
		if ((pdv.pcid & 1) == 0 || pdv.data < pd->pdvs ||
		    pdv.data + pdv.len > pd->pdvs + pd->len)
			fail();
		if (++n > pd->npdv)
			fail();
	}
	if (rc != 0 || n != pd->npdv)
		fail();
}

/* Encode m into a fresh buffer of exactly the size the encoder asks. */
static uint8_t *
encode_alloc(const struct hipc_msg *m, size_t *len)
{
	uint8_t	*buf;
	size_t	 n;

	if (hipc_encode(m, NULL, 0, len) != HIPC_ERR_SPACE || *len == 0)
		fail();
	if ((buf = malloc(*len)) == NULL)
		return (NULL);
	if (hipc_encode(m, buf, *len, &n) != HIPC_OK || n != *len)
		fail();
	return (buf);
}

/*
 * Decode one body; if it is valid, round-trip it and keep or check the
 * association messages.
 */
static void
one_body(enum hipc_type type, const uint8_t *body, size_t len,
    struct held_ind *held)
{
	const struct hipc_rule	*r;
	struct hipc_msg		 m, m2;
	struct hipc_hdr		 h;
	void			*arena = NULL, *arena2 = NULL;
	uint8_t			*f1 = NULL, *f2 = NULL;
	size_t			 n1, n2;

	if (decode_alloc(type, body, len, &m, &arena) != HIPC_OK)
		goto done;
	r = hipc_rule(type);
	if (type == HIPC_PDATA_IND || type == HIPC_PDATA_REQ)
		check_pdvs(&m.u.pdata);
	if ((f1 = encode_alloc(&m, &n1)) == NULL)
		goto done;
	/* Canonical encoding drops skipped items; it never grows. */
	if (n1 < HIPC_HDR_LEN || n1 - HIPC_HDR_LEN > len)
		fail();
	if (hipc_hdr_check(f1, r->dir, HIPC_LIMIT_MAX, &h) != HIPC_OK ||
	    h.type != type || h.len != n1 - HIPC_HDR_LEN)
		fail();
	if (decode_alloc(type, f1 + HIPC_HDR_LEN, h.len, &m2, &arena2) !=
	    HIPC_OK)
		fail();
	if (!hipc_msg_equal(&m, &m2) || !hipc_msg_equal(&m2, &m))
		fail();
	if ((f2 = encode_alloc(&m2, &n2)) == NULL)
		goto done;
	if (n1 != n2 || memcmp(f1, f2, n1) != 0)
		fail();

	if (type == HIPC_ASSOC_IND) {
		/* Keep the re-encoded copy: m2 points into f1. */
		free(held->body);
		free(held->arena);
		held->body = f1;
		held->arena = arena2;
		held->m = m2;
		held->valid = 1;
		f1 = NULL;
		arena2 = NULL;
	} else if (type == HIPC_ASSOC_RSP && held->valid)
		(void)hipc_assoc_rsp_check(&held->m.u.assoc_ind,
		    &m.u.assoc_rsp);
done:
	free(f2);
	free(f1);
	free(arena2);
	free(arena);
}

/* Feed the input as frames, as a receiver would read it. */
static void
as_frames(const uint8_t *p, size_t left, struct held_ind *held)
{
	struct hipc_hdr	 h;
	size_t		 i;
	int		 rc;

	for (i = 0; left >= HIPC_HDR_LEN && i < 64; i++) {
		rc = hipc_hdr_check(p, HIPC_W2H, (uint32_t)(left -
		    HIPC_HDR_LEN), &h);
		if (rc == HIPC_ERR_DIRECTION)
			rc = hipc_hdr_check(p, HIPC_H2W, (uint32_t)(left -
			    HIPC_HDR_LEN), &h);
		if (rc < 0)
			return;
		if (h.len > left - HIPC_HDR_LEN)
			fail();
		if (rc == HIPC_OK) {
			if (h.rule == NULL || h.rule->type != h.type)
				fail();
			(void)hipc_state_ok(h.type, (int)(h.len % 15));
			one_body(h.type, p + HIPC_HDR_LEN, h.len, held);
		} else if (h.rule != NULL || h.type < 0x80)
			fail();
		p += HIPC_HDR_LEN + h.len;
		left -= HIPC_HDR_LEN + h.len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum hipc_type	 types[] = { HIPC_HELLO,
		HIPC_HELLO_REPLY, HIPC_ASSOC_IND, HIPC_ASSOC_RSP,
		HIPC_PDATA_IND, HIPC_PDATA_REQ, HIPC_RELEASE_IND,
		HIPC_RELEASE_RSP, HIPC_RELEASE_REQ, HIPC_RELEASE_CNF,
		HIPC_ABORT_IND, HIPC_ABORT_REQ, HIPC_P_ABORT_IND, HIPC_ERROR,
		HIPC_LOG, HIPC_SHUTDOWN_NOTICE, HIPC_STATS };
	struct held_ind			 held;

	memset(&held, 0, sizeof(held));
	as_frames(data, size, &held);
	if (size > 0)
		one_body(types[data[0] % nitems(types)], data + 1, size - 1,
		    &held);
	free(held.body);
	free(held.arena);
	return (0);
}
