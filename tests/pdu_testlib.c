/* pdu_testlib.c: building PDU bodies item by item for the codec tests. */

#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "pdu_testlib.h"

/* A zeroed PDU on the heap: the assoc structs are too big to copy about. */
struct pdu *
new_pdu(void)
{
	struct pdu	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	return (p);
}

/* A zeroed assoc struct on the heap. */
struct pdu_assoc *
new_assoc(void)
{
	struct pdu_assoc	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		abort();
	return (a);
}

/* Make an empty writer; the tests die loudly if memory is short. */
struct tb *
tb_new(void)
{
	struct tb	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		abort();
	return (t);
}

/* Free a writer. */
void
tb_free(struct tb *t)
{
	free(t);
}

/* Append bytes; overflowing the test buffer is a bug in the test. */
void
tb_bytes(struct tb *t, const void *p, size_t n)
{
	if (n > TB_MAX - t->len)
		abort();
	if (n > 0)
		memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* Append one byte. */
void
tb_u8(struct tb *t, uint8_t v)
{
	tb_bytes(t, &v, 1);
}

/* Append a big-endian 16-bit integer. */
void
tb_u16(struct tb *t, uint16_t v)
{
	tb_u8(t, v >> 8);
	tb_u8(t, v & 0xff);
}

/* Append a big-endian 32-bit integer. */
void
tb_u32(struct tb *t, uint32_t v)
{
	tb_u16(t, v >> 16);
	tb_u16(t, v & 0xffff);
}

/* Append n copies of a byte. */
void
tb_fill(struct tb *t, uint8_t c, size_t n)
{
	while (n-- > 0)
		tb_u8(t, c);
}

/* Append a u16 length and a string. */
void
tb_lstr(struct tb *t, const char *s)
{
	tb_u16(t, (uint16_t)strlen(s));
	tb_bytes(t, s, strlen(s));
}

/* Start an item of the given type; tb_close() fills in its length. */
void
tb_open(struct tb *t, uint8_t type)
{
	if (t->depth == TB_DEPTH)
		abort();
	t->open[t->depth++] = t->len;
	tb_u8(t, type);
	tb_u8(t, 0);
	tb_u16(t, 0);
}

/* Finish the innermost open item. */
void
tb_close(struct tb *t)
{
	size_t	 off, n;

	if (t->depth == 0)
		abort();
	off = t->open[--t->depth];
	n = t->len - off - 4;
	if (n > 0xffff)
		abort();
	t->buf[off + 2] = n >> 8;
	t->buf[off + 3] = n & 0xff;
}

/* Append an item whose value is a string. */
void
tb_item(struct tb *t, uint8_t type, const char *s)
{
	tb_open(t, type);
	tb_bytes(t, s, strlen(s));
	tb_close(t);
}

/* Append the 68-byte fixed part of an RQ or AC body. */
void
tb_rq_fixed(struct tb *t, const char *called, const char *calling)
{
	size_t	 n;

	tb_u16(t, 1);
	tb_u16(t, 0);
	n = strlen(called);
	tb_bytes(t, called, n);
	tb_fill(t, ' ', 16 - n);
	n = strlen(calling);
	tb_bytes(t, calling, n);
	tb_fill(t, ' ', 16 - n);
	tb_fill(t, 0, 32);
}

/* Append an RQ presentation context with one abstract and one transfer. */
void
tb_pctx(struct tb *t, uint8_t id, const char *as, const char *ts)
{
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, id);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, as);
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, ts);
	tb_close(t);
}

/* Append a user information item holding only a maximum length. */
void
tb_ui_min(struct tb *t)
{
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_MAX_LENGTH);
	tb_u32(t, 16384);
	tb_close(t);
	tb_close(t);
}

/* Append the fixed part, the application context and one context. */
void
tb_rq_min(struct tb *t)
{
	tb_rq_fixed(t, "ANY-SCP", "ECHOSCU");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_pctx(t, 1, UID_VERIF, UID_IMPLICIT);
}

/* Decode what was built as an RQ body. */
int
tb_decode_rq(const struct tb *t, struct pdu_assoc *a)
{
	return (pdu_decode_assoc_rq(t->buf, t->len, a));
}

/* Decode what was built as an AC body. */
int
tb_decode_ac(const struct tb *t, struct pdu_assoc *a)
{
	return (pdu_decode_assoc_ac(t->buf, t->len, a));
}

/* Tell whether a view holds exactly the given C string. */
int
str_eq(const struct pdu_str *s, const char *c)
{
	return (str_eq_bytes(s, c, strlen(c)));
}

/* Tell whether a view holds exactly the given bytes. */
int
str_eq_bytes(const struct pdu_str *s, const void *p, size_t n)
{
	if (s->len != n)
		return (0);
	return (n == 0 || memcmp(s->p, p, n) == 0);
}
