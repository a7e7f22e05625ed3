/* test_pdu.c: the PDU header check and the A-ASSOCIATE-RQ decoder. */

#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdu.h"
#include "pdu_fixtures.h"
#include "pdu_testlib.h"

static int		 header(uint8_t, uint32_t, enum pdu_phase,
			    const struct pdu_limits *, struct pdu_hdr *);
static void		 assert_fx_rq(const struct pdu_assoc *);
static void		 assert_same_assoc(const struct pdu_assoc *,
			    const struct pdu_assoc *);
static void		 put32(uint8_t *, uint32_t);

/* Store v big-endian at p. */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Check a header made of a type, a 0xff reserved byte and a length. */
static int
header(uint8_t type, uint32_t len, enum pdu_phase phase,
    const struct pdu_limits *lim, struct pdu_hdr *h)
{
	uint8_t	 hdr[PDU_HDR_LEN];

	hdr[0] = type;
	hdr[1] = 0xff;
	put32(hdr + 2, len);
	return (pdu_header_check(hdr, lim, phase, h));
}

/* Assert every field of the fx_assoc_rq fixture. */
static void
assert_fx_rq(const struct pdu_assoc *a)
{
	static const uint8_t	 called[] = { FX_CALLED_AE };
	static const uint8_t	 calling[] = { FX_CALLING_AE };
	const struct pdu_pctx	*pc;
	const struct pdu_user_info *ui = &a->ui;
	struct pdu_iter		 it;
	struct pdu_str		 s;

	assert_int_equal(a->protocol_version, 1);
	assert_true(pdu_version_ok(a->protocol_version));
	assert_true(str_eq_bytes(&a->called_ae, called, 16));
	assert_true(str_eq_bytes(&a->calling_ae, calling, 16));
	assert_memory_equal(a->echo, fx_assoc_rq + 10, PDU_AE_ECHO_LEN);
	assert_true(str_eq(&a->app_context, UID_APP));
	assert_int_equal(a->skipped, 0);
	assert_int_equal(a->n_pctx, 2);

	pc = &a->pctx[0];
	assert_int_equal(pc->id, 1);
	assert_int_equal(pc->result, 0);
	assert_true(str_eq(&pc->abstract_syntax, UID_VERIF));
	assert_int_equal(pc->n_ts, 2);
	assert_true(str_eq(&pc->ts, UID_IMPLICIT));
	assert_null(pc->ts_list);
	assert_int_equal(pc->skipped, 0);
	pdu_ts_iter(&it, pc);
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, UID_IMPLICIT));
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, UID_EXPLICIT));
	assert_int_equal(pdu_iter_next(&it, &s), 0);
	assert_int_equal(pdu_iter_next(&it, &s), 0);

	pc = &a->pctx[1];
	assert_int_equal(pc->id, 3);
	assert_true(str_eq(&pc->abstract_syntax, UID_CT));
	assert_int_equal(pc->n_ts, 1);
	assert_true(str_eq(&pc->ts, UID_IMPLICIT));
	pdu_ts_iter(&it, pc);
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, UID_IMPLICIT));
	assert_int_equal(pdu_iter_next(&it, &s), 0);

	assert_true(ui->has_max_length);
	assert_int_equal(ui->max_length, 16384);
	assert_true(ui->has_impl_class_uid);
	assert_true(str_eq(&ui->impl_class_uid, UID_IMPL));
	assert_true(ui->has_async_ops);
	assert_int_equal(ui->async_invoked, 3);
	assert_int_equal(ui->async_performed, 2);
	assert_int_equal(ui->n_roles, 1);
	assert_int_equal(ui->roles_dropped, 0);
	assert_true(str_eq(&ui->roles[0].sop_class, UID_CT));
	assert_int_equal(ui->roles[0].scu, 1);
	assert_int_equal(ui->roles[0].scp, 0);
	assert_true(ui->has_impl_version);
	assert_true(str_eq(&ui->impl_version, "DULTEST_1.0"));
	assert_int_equal(ui->n_ext_neg, 1);
	assert_true(str_eq(&ui->ext_neg[0].sop_class, UID_CT));
	assert_true(str_eq_bytes(&ui->ext_neg[0].info, "\x01\x01\x00\x01", 4));
	assert_int_equal(ui->n_common_ext_neg, 1);
	assert_true(str_eq(&ui->common_ext_neg[0].sop_class, UID_CT));
	assert_true(str_eq(&ui->common_ext_neg[0].service_class,
	    "1.2.840.10008.4.2"));
	assert_int_equal(ui->common_ext_neg[0].related.len, 58);
	assert_int_equal(ui->common_ext_neg[0].n_related, 2);
	pdu_related_iter(&it, &ui->common_ext_neg[0]);
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, "1.2.840.10008.5.1.4.1.1.2.1"));
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, "1.2.840.10008.5.1.4.1.1.2.2"));
	assert_int_equal(pdu_iter_next(&it, &s), 0);
	assert_true(ui->has_user_identity);
	assert_int_equal(ui->user_identity.type, PDU_USER_ID_USERNAME_PASSCODE);
	assert_int_equal(ui->user_identity.positive_response, 1);
	assert_true(str_eq(&ui->user_identity.primary, "user"));
	assert_true(str_eq(&ui->user_identity.secondary, "pass"));
	assert_false(ui->has_user_identity_ac);
	assert_int_equal(ui->skipped, 0);
}

/* Assert that two decoded RQs say the same thing, item by item. */
static void
assert_same_assoc(const struct pdu_assoc *a, const struct pdu_assoc *b)
{
	const struct pdu_user_info	*x = &a->ui, *y = &b->ui;
	struct pdu_iter			 i1, i2;
	struct pdu_str			 s1, s2;
	unsigned int			 i;
	int				 r1, r2;

	assert_int_equal(a->protocol_version, b->protocol_version);
	assert_memory_equal(a->echo, b->echo, PDU_AE_ECHO_LEN);
	assert_true(str_eq_bytes(&a->app_context, b->app_context.p,
	    b->app_context.len));
	assert_int_equal(a->n_pctx, b->n_pctx);
	for (i = 0; i < a->n_pctx; i++) {
		assert_int_equal(a->pctx[i].id, b->pctx[i].id);
		assert_int_equal(a->pctx[i].result, b->pctx[i].result);
		assert_int_equal(a->pctx[i].n_ts, b->pctx[i].n_ts);
		assert_true(str_eq_bytes(&a->pctx[i].abstract_syntax,
		    b->pctx[i].abstract_syntax.p,
		    b->pctx[i].abstract_syntax.len));
		pdu_ts_iter(&i1, &a->pctx[i]);
		pdu_ts_iter(&i2, &b->pctx[i]);
		do {
			r1 = pdu_iter_next(&i1, &s1);
			r2 = pdu_iter_next(&i2, &s2);
			assert_int_equal(r1, r2);
			if (r1)
				assert_true(str_eq_bytes(&s1, s2.p, s2.len));
		} while (r1);
	}
	assert_int_equal(x->has_max_length, y->has_max_length);
	assert_int_equal(x->max_length, y->max_length);
	assert_true(str_eq_bytes(&x->impl_class_uid, y->impl_class_uid.p,
	    y->impl_class_uid.len));
	assert_int_equal(x->async_invoked, y->async_invoked);
	assert_int_equal(x->async_performed, y->async_performed);
	assert_int_equal(x->n_roles, y->n_roles);
	assert_int_equal(x->n_ext_neg, y->n_ext_neg);
	assert_int_equal(x->n_common_ext_neg, y->n_common_ext_neg);
	assert_int_equal(x->has_user_identity, y->has_user_identity);
	assert_true(str_eq_bytes(&x->user_identity.secondary,
	    y->user_identity.secondary.p, y->user_identity.secondary.len));
	assert_true(str_eq_bytes(&x->impl_version, y->impl_version.p,
	    y->impl_version.len));
}

/* A valid header hands back its type and length; reserved is not tested. */
static void
test_pdu_header_valid_gives_type_and_length(void **state)
{
	struct pdu_hdr	 h;

	(void)state;
	assert_int_equal(pdu_header_check(fx_assoc_rq, NULL,
	    PDU_PHASE_AWAIT_RQ, &h), PDU_OK);
	assert_int_equal(h.type, PDU_ASSOC_RQ);
	assert_int_equal(h.len, 489);
	assert_int_equal(header(PDU_ABORT, 4, PDU_PHASE_ASSOCIATED, NULL, &h),
	    PDU_OK);
	assert_int_equal(h.type, PDU_ABORT);
	assert_int_equal(h.len, 4);
}

/*
 * Unknown types are refused from byte 1, whatever length follows: an HTTP
 * request, a TLS ClientHello and an SSH banner read as types 0x47, 0x16
 * and 0x53 with lengths over a gigabyte.  The type and length are still
 * handed back for the log line.
 */
static void
test_pdu_header_unknown_type_is_refused(void **state)
{
	static const uint8_t	 http[] = { 'G', 'E', 'T', ' ', '/', ' ' };
	static const uint8_t	 tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	static const uint8_t	 ssh[] = { 'S', 'S', 'H', '-', '2', '.' };
	static const uint8_t	 types[] = { 0x00, 0x08, 0x10, 0x7f, 0xff };
	struct pdu_hdr		 h;
	size_t			 i;

	(void)state;
	assert_int_equal(pdu_header_check(http, NULL, PDU_PHASE_AWAIT_RQ, &h),
	    PDU_ERR_UNKNOWN_TYPE);
	assert_int_equal(h.type, 0x47);
	assert_int_equal(h.len, 1411395360u);
	assert_int_equal(pdu_header_check(tls, NULL, PDU_PHASE_AWAIT_RQ, &h),
	    PDU_ERR_UNKNOWN_TYPE);
	assert_int_equal(h.len, 16908289u);
	assert_int_equal(pdu_header_check(ssh, NULL, PDU_PHASE_ASSOCIATED, &h),
	    PDU_ERR_UNKNOWN_TYPE);
	assert_int_equal(h.len, 1210921518u);
	for (i = 0; i < nitems(types); i++)
		assert_int_equal(header(types[i], 4, PDU_PHASE_ASSOCIATED,
		    NULL, &h), PDU_ERR_UNKNOWN_TYPE);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_UNKNOWN_TYPE), 1);
}

/* RJ, RELEASE-RQ/RP and ABORT must say 4, nothing else. */
static void
test_pdu_header_fixed_length_not_4_is_invalid(void **state)
{
	static const uint8_t	 types[] = { PDU_ASSOC_RJ, PDU_RELEASE_RQ,
				    PDU_RELEASE_RP, PDU_ABORT };
	static const uint32_t	 lens[] = { 0, 2, 3, 5, 16, 0xffffffffu };
	struct pdu_hdr		 h;
	size_t			 i, j;

	(void)state;
	for (i = 0; i < nitems(types); i++) {
		assert_int_equal(header(types[i], 4, PDU_PHASE_AWAIT_RQ, NULL,
		    &h), PDU_OK);
		for (j = 0; j < nitems(lens); j++)
			assert_int_equal(header(types[i], lens[j],
			    PDU_PHASE_ASSOCIATED, NULL, &h),
			    PDU_ERR_FIXED_LENGTH);
	}
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_FIXED_LENGTH), 6);
}

/* RQ and AC: at least the 68-byte fixed part, at most the cap. */
static void
test_pdu_header_assoc_length_bounds(void **state)
{
	struct pdu_limits	 lim = { 4096, 16384 };
	struct pdu_hdr		 h;
	int			 t;

	(void)state;
	for (t = PDU_ASSOC_RQ; t <= PDU_ASSOC_AC; t++) {
		assert_int_equal(header(t, 0, PDU_PHASE_AWAIT_RQ, &lim, &h),
		    PDU_ERR_ASSOC_SHORT);
		assert_int_equal(header(t, 16, PDU_PHASE_AWAIT_RQ, &lim, &h),
		    PDU_ERR_ASSOC_SHORT);
		assert_int_equal(header(t, 67, PDU_PHASE_AWAIT_RQ, &lim, &h),
		    PDU_ERR_ASSOC_SHORT);
		assert_int_equal(header(t, 68, PDU_PHASE_AWAIT_RQ, &lim, &h),
		    PDU_OK);
		assert_int_equal(header(t, 4096, PDU_PHASE_AWAIT_RQ, &lim, &h),
		    PDU_OK);
		assert_int_equal(header(t, 4097, PDU_PHASE_AWAIT_RQ, &lim, &h),
		    PDU_ERR_ASSOC_TOO_LONG);
		assert_int_equal(header(t, 0xffffffffu, PDU_PHASE_ASSOCIATED,
		    &lim, &h), PDU_ERR_ASSOC_TOO_LONG);
	}
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_ASSOC_SHORT), 6);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_ASSOC_TOO_LONG), 6);
}

/* Without limits, or with zero fields, the defaults apply: 1 MiB. */
static void
test_pdu_header_default_cap_is_1mib(void **state)
{
	struct pdu_limits	 lim = { 0, 0 };
	struct pdu_hdr		 h;

	(void)state;
	pdu_limits_default(&lim);
	assert_int_equal(lim.max_assoc_len, 1048576);
	assert_int_equal(lim.max_pdata_len, 16384);
	assert_int_equal(header(PDU_ASSOC_RQ, 1048576, PDU_PHASE_AWAIT_RQ,
	    NULL, &h), PDU_OK);
	assert_int_equal(header(PDU_ASSOC_RQ, 1048577, PDU_PHASE_AWAIT_RQ,
	    NULL, &h), PDU_ERR_ASSOC_TOO_LONG);
	memset(&lim, 0, sizeof(lim));
	assert_int_equal(header(PDU_ASSOC_RQ, 1048577, PDU_PHASE_AWAIT_RQ,
	    &lim, &h), PDU_ERR_ASSOC_TOO_LONG);
	assert_int_equal(header(PDU_P_DATA_TF, 16385, PDU_PHASE_ASSOCIATED,
	    &lim, &h), PDU_ERR_PDATA_TOO_LONG);
}

/*
 * P-DATA-TF: room for one PDV header at least, and no more than the
 * maximum we announced once associated (PS3.8 D.1: exactly the maximum
 * is fine, one more is a protocol error).
 */
static void
test_pdu_header_pdata_length_bounds(void **state)
{
	struct pdu_limits	 lim = { 1048576, 16384 };
	struct pdu_hdr		 h;
	uint32_t		 n;

	(void)state;
	for (n = 0; n < 6; n++)
		assert_int_equal(header(PDU_P_DATA_TF, n, PDU_PHASE_ASSOCIATED,
		    &lim, &h), PDU_ERR_PDATA_SHORT);
	assert_int_equal(header(PDU_P_DATA_TF, 6, PDU_PHASE_ASSOCIATED, &lim,
	    &h), PDU_OK);
	assert_int_equal(header(PDU_P_DATA_TF, 16384, PDU_PHASE_ASSOCIATED,
	    &lim, &h), PDU_OK);
	assert_int_equal(header(PDU_P_DATA_TF, 16385, PDU_PHASE_ASSOCIATED,
	    &lim, &h), PDU_ERR_PDATA_TOO_LONG);
	assert_int_equal(h.len, 16385);
	assert_int_equal(header(PDU_P_DATA_TF, 0xffffffffu,
	    PDU_PHASE_ASSOCIATED, &lim, &h), PDU_ERR_PDATA_TOO_LONG);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_PDATA_TOO_LONG), 6);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_PDATA_SHORT), 6);
}

/* Before our AC, nothing was announced: P-DATA gets the association cap. */
static void
test_pdu_header_pdata_before_ac_uses_assoc_cap(void **state)
{
	struct pdu_limits	 lim = { 65536, 16384 };
	struct pdu_hdr		 h;

	(void)state;
	assert_int_equal(header(PDU_P_DATA_TF, 65536, PDU_PHASE_AWAIT_RQ, &lim,
	    &h), PDU_OK);
	assert_int_equal(header(PDU_P_DATA_TF, 65537, PDU_PHASE_AWAIT_RQ, &lim,
	    &h), PDU_ERR_PDATA_TOO_LONG);
	assert_int_equal(header(PDU_P_DATA_TF, 0xffffffffu, PDU_PHASE_AWAIT_RQ,
	    &lim, &h), PDU_ERR_PDATA_TOO_LONG);
}

/* The full RQ fixture decodes, every field as written. */
static void
test_pdu_assoc_rq_fixture_decodes_every_field(void **state)
{
	struct pdu	*p = new_pdu();
	size_t		 used = 0;

	(void)state;
	assert_int_equal(pdu_decode(fx_assoc_rq, sizeof(fx_assoc_rq), NULL,
	    PDU_PHASE_AWAIT_RQ, p, &used), PDU_OK);
	assert_int_equal(used, sizeof(fx_assoc_rq));
	assert_int_equal(p->type, PDU_ASSOC_RQ);
	assert_int_equal(p->len, FX_RQ_BODY_LEN);
	assert_fx_rq(&p->u.assoc);
	/* Zero-copy: views point into the caller's buffer. */
	assert_ptr_equal(p->u.assoc.called_ae.p, fx_assoc_rq + 10);
	assert_ptr_equal(p->u.assoc.calling_ae.p, fx_assoc_rq + 26);
	assert_ptr_equal(p->u.assoc.echo, fx_assoc_rq + 10);
	assert_ptr_equal(p->u.assoc.app_context.p, fx_assoc_rq + 78);
	free(p);
}

/* A buffer cut anywhere inside the PDU is truncated, never read past. */
static void
test_pdu_assoc_rq_truncated_buffer_is_truncated(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		*copy;
	size_t		 k;

	(void)state;
	for (k = 0; k < sizeof(fx_assoc_rq); k++) {
		/* A fresh allocation of exactly k bytes, for ASan. */
		if ((copy = malloc(k == 0 ? 1 : k)) == NULL)
			abort();
		memcpy(copy, fx_assoc_rq, k);
		assert_int_equal(pdu_decode(copy, k, NULL, PDU_PHASE_AWAIT_RQ,
		    p, NULL), PDU_ERR_TRUNCATED);
		free(copy);
	}
	free(p);
}

/*
 * The RQ body cut at every offset, with the length to match, so that the
 * decoder sees a consistent but incomplete PDU: below 68 the fixed part is
 * short; inside an item the header or the item runs short; at an item
 * boundary the first missing mandatory item is named.
 */
static void
test_pdu_assoc_rq_cut_at_every_offset_gives_exact_error(void **state)
{
	static const size_t	 item_off[] = { FX_RQ_OFF_APP, FX_RQ_OFF_PCTX1,
				    FX_RQ_OFF_PCTX3, FX_RQ_OFF_UI,
				    FX_RQ_BODY_LEN };
	static const int	 at_boundary[] = { PDU_ERR_NO_APP_CONTEXT,
				    PDU_ERR_NO_PCTX, PDU_ERR_NO_USER_INFO,
				    PDU_ERR_NO_USER_INFO, PDU_OK };
	const uint8_t		*body = fx_assoc_rq + PDU_HDR_LEN;
	struct pdu_assoc	*a = new_assoc();
	uint8_t			*copy;
	size_t			 k, i;
	int			 want;

	(void)state;
	for (k = 0; k <= FX_RQ_BODY_LEN; k++) {
		if (k < PDU_ASSOC_FIXED_LEN)
			want = PDU_ERR_ASSOC_SHORT;
		else {
			for (i = 0; item_off[i + 1] <= k &&
			    i + 1 < nitems(item_off) - 1; i++)
				;
			if (k == item_off[i])
				want = at_boundary[i];
			else if (k == FX_RQ_BODY_LEN)
				want = PDU_OK;
			else if (k - item_off[i] < 4)
				want = PDU_ERR_ITEM_SHORT;
			else
				want = PDU_ERR_ITEM_LENGTH;
		}
		if ((copy = malloc(k == 0 ? 1 : k)) == NULL)
			abort();
		memcpy(copy, body, k);
		assert_int_equal(pdu_decode_assoc_rq(copy, k, a), want);
		free(copy);
	}
	free(a);
}

/* Reserved bytes are never tested: 0xff in every one changes nothing. */
static void
test_pdu_assoc_rq_reserved_0xff_is_not_tested(void **state)
{
	/* PDU offsets of every reserved byte of fx_assoc_rq. */
	static const size_t	 reserved[] = {
		1, 8, 9,			/* PDU header, fixed part */
		75, 100, 104, 105, 106,		/* 0x10; 0x20 ID 1 */
		108, 129,			/* 0x30, 0x40 */
		150, 173, 177, 178, 179,	/* 0x40; 0x20 ID 3 */
		181, 210,			/* 0x30, 0x40 */
		231, 235, 243, 277, 285, 318,	/* 0x50, 0x51 ... 0x55 */
		333,				/* 0x56; not 0x57's version */
		478,				/* 0x58 */
	};
	struct pdu	*p = new_pdu(), *q = new_pdu();
	uint8_t		 m[sizeof(fx_assoc_rq)];
	size_t		 i;

	(void)state;
	memcpy(m, fx_assoc_rq, sizeof(m));
	for (i = 0; i < nitems(reserved); i++)
		m[reserved[i]] = 0xff;
	memset(m + 42, 0xff, 32);			/* offsets 42..73 */
	assert_int_equal(pdu_decode(fx_assoc_rq, sizeof(fx_assoc_rq), NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	assert_int_equal(pdu_decode(m, sizeof(m), NULL, PDU_PHASE_AWAIT_RQ,
	    q, NULL), PDU_OK);
	/* Every reserved offset above was a zero in the fixture. */
	for (i = 0; i < nitems(reserved); i++)
		assert_int_equal(fx_assoc_rq[reserved[i]], 0);
	assert_fx_rq(&p->u.assoc);
	q->u.assoc.echo = p->u.assoc.echo;	/* differs, as it should */
	assert_same_assoc(&p->u.assoc, &q->u.assoc);
	assert_int_equal(q->u.assoc.ui.n_common_ext_neg, 1);
	assert_int_equal(q->u.assoc.ui.n_roles, 1);
	free(p);
	free(q);
}

/* Protocol version: only bit 0 matters, and it is policy, not decoding. */
static void
test_pdu_assoc_rq_protocol_version_is_exposed(void **state)
{
	static const uint16_t	 versions[] = { 0x0000, 0x0002, 0x0001,
				    0x0003, 0xffff, 0xfffe };
	static const int	 ok[] = { 0, 0, 1, 1, 1, 0 };
	struct pdu_assoc	*a = new_assoc();
	uint8_t			 m[FX_RQ_BODY_LEN];
	size_t			 i;

	(void)state;
	for (i = 0; i < nitems(versions); i++) {
		memcpy(m, fx_assoc_rq + PDU_HDR_LEN, sizeof(m));
		m[0] = versions[i] >> 8;
		m[1] = versions[i] & 0xff;
		assert_int_equal(pdu_decode_assoc_rq(m, sizeof(m), a), PDU_OK);
		assert_int_equal(a->protocol_version, versions[i]);
		assert_int_equal(pdu_version_ok(a->protocol_version), ok[i]);
	}
	free(a);
}

/* A presentation context item whose length runs past the PDU. */
static void
test_pdu_assoc_rq_pctx_past_pdu_is_item_length(void **state)
{
	struct pdu_assoc	*a = new_assoc();
	uint8_t			 m[FX_RQ_BODY_LEN];

	(void)state;
	memcpy(m, fx_assoc_rq + PDU_HDR_LEN, sizeof(m));
	m[FX_RQ_OFF_PCTX3 + 2] = 0xff;		/* item-length 0xffff */
	m[FX_RQ_OFF_PCTX3 + 3] = 0xff;
	assert_int_equal(pdu_decode_assoc_rq(m, sizeof(m), a),
	    PDU_ERR_ITEM_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_PCTX_RQ);
	assert_int_equal(a->err_offset, FX_RQ_OFF_PCTX3);
	/* Longer by just one byte is as wrong. */
	memcpy(m, fx_assoc_rq + PDU_HDR_LEN, sizeof(m));
	m[FX_RQ_OFF_UI + 3] += 1;
	assert_int_equal(pdu_decode_assoc_rq(m, sizeof(m), a),
	    PDU_ERR_ITEM_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_USER_INFO);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_ITEM_LENGTH), 6);
	free(a);
}

/* Sub-items running past their item: 0x30, 0x40, a 0x5F in user info. */
static void
test_pdu_assoc_rq_subitem_past_item_is_item_length(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	/* The abstract syntax claims one byte more than its context holds. */
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 1);
	tb_fill(t, 0, 3);
	tb_u8(t, PDU_ITEM_ABSTRACT_SYNTAX);
	tb_u8(t, 0);
	tb_u16(t, (uint16_t)strlen(UID_VERIF) + 1);
	tb_bytes(t, UID_VERIF, strlen(UID_VERIF));
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_ABSTRACT_SYNTAX);

	/* An unknown user information sub-item: length 0xffff, 3 bytes left. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_u8(t, 0x5f);
	tb_u8(t, 0);
	tb_u16(t, 0xffff);
	tb_fill(t, 0, 3);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_LENGTH);
	assert_int_equal(a->err_item, 0x5f);

	/* Only three bytes where a sub-item header should be. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_fill(t, 0x51, 3);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SHORT);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_ITEM_SHORT), 6);
	tb_free(t);
	free(a);
}

/* A context item too short for its ID and reserved bytes. */
static void
test_pdu_assoc_rq_pctx_below_fixed_part_is_item_size(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 1);
	tb_u16(t, 0);
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);
	assert_int_equal(a->err_item, PDU_ITEM_PCTX_RQ);
	tb_free(t);
	free(a);
}

/* Context IDs: even and zero are refused, and so is a repeated one. */
static void
test_pdu_assoc_rq_even_zero_duplicate_ids_are_refused(void **state)
{
	static const uint8_t	 bad[] = { 0, 2, 254 };
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	size_t			 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		t->len = 0;
		tb_rq_min(t);
		tb_pctx(t, bad[i], UID_CT, UID_IMPLICIT);
		tb_ui_min(t);
		assert_int_equal(tb_decode_rq(t, a), PDU_ERR_PCTX_ID);
		assert_int_equal(a->err_item, PDU_ITEM_PCTX_RQ);
	}
	t->len = 0;
	tb_rq_min(t);				/* ID 1 */
	tb_pctx(t, 3, UID_CT, UID_IMPLICIT);
	tb_pctx(t, 1, UID_CT, UID_IMPLICIT);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_PCTX_DUP_ID);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_PCTX_ID), 6);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_PCTX_DUP_ID), 6);
	tb_free(t);
	free(a);
}

/* 128 contexts with IDs 1, 3, ... 255 all decode; a 129th is too many. */
static void
test_pdu_assoc_rq_128_contexts_ok_129_too_many(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	unsigned int		 i;

	(void)state;
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	for (i = 0; i < 128; i++)
		tb_pctx(t, 2 * i + 1, UID_CT, UID_IMPLICIT);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->n_pctx, 128);
	for (i = 0; i < 128; i++) {
		assert_int_equal(a->pctx[i].id, 2 * i + 1);
		assert_true(str_eq(&a->pctx[i].abstract_syntax, UID_CT));
	}
	tb_pctx(t, 1, UID_CT, UID_IMPLICIT);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_TOO_MANY_PCTX);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_TOO_MANY_PCTX), 6);
	tb_free(t);
	free(a);
}

/* Mandatory items missing, or repeated, are named errors. */
static void
test_pdu_assoc_rq_mandatory_items_missing_or_repeated(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	/* The fixed part alone (battery case 15). */
	tb_rq_fixed(t, "A", "B");
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_NO_APP_CONTEXT);
	assert_int_equal(a->err_item, PDU_ITEM_APP_CONTEXT);
	assert_int_equal(a->err_offset, 68);

	/* No application context. */
	t->len = 0;
	tb_rq_fixed(t, "A", "B");
	tb_pctx(t, 1, UID_VERIF, UID_IMPLICIT);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_NO_APP_CONTEXT);

	/* Two application contexts. */
	t->len = 0;
	tb_rq_min(t);
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_DUP_APP_CONTEXT);

	/* No presentation context. */
	t->len = 0;
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_NO_PCTX);
	assert_int_equal(a->err_item, PDU_ITEM_PCTX_RQ);

	/* No user information. */
	t->len = 0;
	tb_rq_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_NO_USER_INFO);

	/* Two user information items. */
	t->len = 0;
	tb_rq_min(t);
	tb_ui_min(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_DUP_USER_INFO);

	/* An AC's context item inside an RQ. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_PCTX_AC);
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_UNEXPECTED_ITEM);

	assert_int_equal(pdu_err_abort_reason(PDU_ERR_NO_APP_CONTEXT), 0);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_DUP_APP_CONTEXT), 5);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_NO_USER_INFO), 0);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_DUP_USER_INFO), 5);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_UNEXPECTED_ITEM), 5);
	tb_free(t);
	free(a);
}

/* A context needs exactly one abstract syntax. */
static void
test_pdu_assoc_rq_abstract_syntax_missing_or_repeated(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_NO_ABSTRACT_SYNTAX);
	assert_int_equal(a->err_item, PDU_ITEM_PCTX_RQ);

	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_CT);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_VERIF);
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_DUP_ABSTRACT_SYNTAX);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_NO_ABSTRACT_SYNTAX), 0);
	tb_free(t);
	free(a);
}

/*
 * Policy, not decoding: a context without transfer syntaxes (result 4),
 * and abstract syntaxes that are empty, 64, 65 or 65000 bytes, or not a
 * UID (result 3), all decode; pdu_uid_valid() tells them apart.
 */
static void
test_pdu_assoc_rq_context_policy_values_decode(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	char			 uid64[65], uid65[66], *big;
	struct pdu_str		 s;

	(void)state;
	memset(uid64, 0, sizeof(uid64));
	memset(uid65, 0, sizeof(uid65));
	memcpy(uid64, "1.2.", 4);
	memset(uid64 + 4, '9', 60);
	memcpy(uid65, "1.2.", 4);
	memset(uid65 + 4, '9', 61);
	if ((big = calloc(1, 65001)) == NULL)
		abort();
	memset(big, '1', 65000);

	tb_rq_min(t);
	tb_open(t, PDU_ITEM_PCTX_RQ);		/* ID 3: no transfer syntax */
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_CT);
	tb_close(t);
	tb_pctx(t, 5, "", UID_IMPLICIT);
	tb_pctx(t, 7, uid64, UID_IMPLICIT);
	tb_pctx(t, 9, uid65, UID_IMPLICIT);
	tb_pctx(t, 11, "1.2.x", UID_IMPLICIT);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->n_pctx, 6);
	assert_int_equal(a->pctx[1].n_ts, 0);
	assert_int_equal(a->pctx[1].ts.len, 0);
	assert_int_equal(a->pctx[2].abstract_syntax.len, 0);
	s = a->pctx[2].abstract_syntax;
	assert_false(pdu_uid_valid(s.p, s.len));
	s = a->pctx[3].abstract_syntax;
	assert_int_equal(s.len, 64);
	assert_true(pdu_uid_valid(s.p, s.len));
	s = a->pctx[4].abstract_syntax;
	assert_int_equal(s.len, 65);
	assert_false(pdu_uid_valid(s.p, s.len));
	s = a->pctx[5].abstract_syntax;
	assert_false(pdu_uid_valid(s.p, s.len));

	/* 65000 bytes fit in the item, so they decode too. */
	t->len = 0;
	tb_rq_min(t);
	tb_pctx(t, 3, big, UID_IMPLICIT);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->pctx[1].abstract_syntax.len, 65000);
	free(big);
	tb_free(t);
	free(a);
}

/* As many transfer syntaxes as fit in one context: none are dropped. */
static void
test_pdu_assoc_rq_thousands_of_transfer_syntaxes_all_kept(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	struct pdu_iter		 it;
	struct pdu_str		 s;
	unsigned int		 i, n, seen = 0;
	char			 ts[32];

	(void)state;
	/* 4 + (4 + 25) + n * (4 + 13) <= 65535 */
	n = (65535 - 4 - 29) / 17;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_CT);
	for (i = 0; i < n; i++) {
		snprintf(ts, sizeof(ts), "1.2.840.1%04u", i);
		tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, ts);
	}
	tb_close(t);
	tb_ui_min(t);
	assert_true(n > 2700);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->pctx[1].n_ts, n);
	pdu_ts_iter(&it, &a->pctx[1]);
	while (seen <= n && pdu_iter_next(&it, &s)) {
		snprintf(ts, sizeof(ts), "1.2.840.1%04u", seen);
		assert_true(str_eq(&s, ts));
		seen++;
	}
	assert_int_equal(seen, n);
	tb_free(t);
	free(a);
}

/* Unknown items are skipped at every level, and counted. */
static void
test_pdu_assoc_rq_unknown_items_are_skipped(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_fixed(t, "A", "B");
	tb_open(t, 0x7f);			/* unknown, before everything */
	tb_fill(t, 0xaa, 8);
	tb_close(t);
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_pctx(t, 1, UID_VERIF, UID_IMPLICIT);
	tb_open(t, 0x7f);			/* between contexts */
	tb_fill(t, 0xaa, 8);
	tb_close(t);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_open(t, 0x35);			/* unknown, inside a context */
	tb_fill(t, 0xbb, 5);
	tb_close(t);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_CT);
	tb_item(t, PDU_ITEM_MAX_LENGTH, "x");	/* not at this level */
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_close(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, 0x5f);			/* unknown sub-item */
	tb_fill(t, 0xcc, 10);
	tb_close(t);
	tb_open(t, PDU_ITEM_MAX_LENGTH);
	tb_u32(t, 32768);
	tb_close(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_AC);	/* the AC's, in an RQ */
	tb_u16(t, 0);
	tb_close(t);
	tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
	t->buf[t->len - 3] = 1;			/* sub-item version 1 */
	tb_fill(t, 0xdd, 3);
	tb_close(t);
	tb_item(t, 0xff, "");
	tb_close(t);
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_CT);	/* not at PDU level */

	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->skipped, 3);
	assert_int_equal(a->n_pctx, 2);
	assert_int_equal(a->pctx[0].skipped, 0);
	assert_int_equal(a->pctx[1].skipped, 2);
	assert_int_equal(a->pctx[1].n_ts, 1);
	assert_true(str_eq(&a->pctx[1].abstract_syntax, UID_CT));
	assert_int_equal(a->ui.skipped, 4);
	assert_true(a->ui.has_max_length);
	assert_int_equal(a->ui.max_length, 32768);
	assert_false(a->ui.has_user_identity_ac);
	assert_int_equal(a->ui.n_common_ext_neg, 0);
	tb_free(t);
	free(a);
}

/* Items in any order are tolerated (battery case 31). */
static void
test_pdu_assoc_rq_items_out_of_order_are_tolerated(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_fixed(t, "A", "B");
	tb_ui_min(t);
	tb_pctx(t, 3, UID_CT, UID_IMPLICIT);
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_pctx(t, 1, UID_VERIF, UID_EXPLICIT);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->n_pctx, 2);
	assert_int_equal(a->pctx[0].id, 3);
	assert_int_equal(a->pctx[1].id, 1);
	assert_true(str_eq(&a->app_context, UID_APP));
	assert_int_equal(a->ui.max_length, 16384);
	tb_free(t);
	free(a);
}

/* Maximum length: 4 bytes exactly; the value 0 means no maximum. */
static void
test_pdu_assoc_rq_max_length_subitem_size(void **state)
{
	static const size_t	 bad[] = { 0, 2, 3, 5, 8 };
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	size_t			 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		t->len = 0;
		tb_rq_min(t);
		tb_open(t, PDU_ITEM_USER_INFO);
		tb_open(t, PDU_ITEM_MAX_LENGTH);
		tb_fill(t, 0, bad[i]);
		tb_close(t);
		tb_close(t);
		assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);
		assert_int_equal(a->err_item, PDU_ITEM_MAX_LENGTH);
	}
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_MAX_LENGTH);
	tb_u32(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_true(a->ui.has_max_length);
	assert_int_equal(a->ui.max_length, 0);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_ITEM_SIZE), 6);
	tb_free(t);
	free(a);
}

/*
 * Maximum length extremes and an over-long implementation version name
 * with control bytes are policy (battery cases 47 and 49): they decode as
 * sent, bounded by their item length.
 */
static void
test_pdu_assoc_rq_extreme_user_values_decode(void **state)
{
	static const uint32_t	 maxes[] = { 1, 6, 7, 0xffffffffu };
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	char			 ver[65];
	size_t			 i;

	(void)state;
	memset(ver, 'V', 64);
	ver[10] = '\n';
	ver[20] = '\x1b';
	ver[64] = '\0';
	for (i = 0; i < nitems(maxes); i++) {
		t->len = 0;
		tb_rq_min(t);
		tb_open(t, PDU_ITEM_USER_INFO);
		tb_open(t, PDU_ITEM_MAX_LENGTH);
		tb_u32(t, maxes[i]);
		tb_close(t);
		tb_item(t, PDU_ITEM_IMPL_VERSION, ver);
		tb_close(t);
		assert_int_equal(tb_decode_rq(t, a), PDU_OK);
		assert_int_equal(a->ui.max_length, maxes[i]);
		assert_true(a->ui.has_impl_version);
		assert_true(str_eq(&a->ui.impl_version, ver));
	}
	tb_free(t);
	free(a);
}

/*
 * A context item whose length (4) stops before its own sub-items
 * (battery case 38): the context has no abstract syntax, whatever the
 * bytes after it look like at PDU level.
 */
static void
test_pdu_assoc_rq_pctx_shorter_than_subitems(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_PCTX_RQ);
	tb_u8(t, 3);
	tb_fill(t, 0, 3);
	tb_close(t);				/* item-length 4 */
	tb_item(t, PDU_ITEM_ABSTRACT_SYNTAX, UID_CT);
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_ui_min(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_NO_ABSTRACT_SYNTAX);
	assert_int_equal(a->err_item, PDU_ITEM_PCTX_RQ);
	tb_free(t);
	free(a);
}

/*
 * An RQ padded with unknown items to exactly the 1 MiB cap passes the
 * header check and decodes; one byte more is refused from the header
 * (battery case 23).
 */
static void
test_pdu_assoc_rq_padded_to_cap_decodes(void **state)
{
	struct pdu	*p = new_pdu();
	struct tb	*t = tb_new();
	uint8_t		*buf;
	size_t		 len = 0, left, n;
	unsigned int	 items = 0;

	(void)state;
	if ((buf = malloc(PDU_HDR_LEN + PDU_DEFAULT_MAX_ASSOC_LEN + 1)) ==
	    NULL)
		abort();
	tb_rq_min(t);
	tb_ui_min(t);
	memcpy(buf + PDU_HDR_LEN, t->buf, t->len);
	len = t->len;
	while ((left = PDU_DEFAULT_MAX_ASSOC_LEN - len) > 0) {
		assert_true(left >= 4);
		n = left - 4 > 0xffff ? 0xffff : left - 4;
		if (left - 4 - n != 0 && left - 4 - n < 4)
			n -= 4;			/* leave room for a header */
		buf[PDU_HDR_LEN + len] = 0x7f;
		buf[PDU_HDR_LEN + len + 1] = 0;
		buf[PDU_HDR_LEN + len + 2] = n >> 8;
		buf[PDU_HDR_LEN + len + 3] = n & 0xff;
		memset(buf + PDU_HDR_LEN + len + 4, 0x7f, n);
		len += 4 + n;
		items++;
	}
	buf[0] = PDU_ASSOC_RQ;
	buf[1] = 0;
	buf[2] = len >> 24;
	buf[3] = (len >> 16) & 0xff;
	buf[4] = (len >> 8) & 0xff;
	buf[5] = len & 0xff;
	assert_int_equal(len, PDU_DEFAULT_MAX_ASSOC_LEN);
	assert_int_equal(pdu_decode(buf, PDU_HDR_LEN + len, NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	assert_int_equal(p->u.assoc.skipped, items);
	assert_int_equal(p->u.assoc.n_pctx, 1);
	buf[5] += 1;
	assert_int_equal(pdu_decode(buf, PDU_HDR_LEN + len + 1, NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_ERR_ASSOC_TOO_LONG);
	free(buf);
	tb_free(t);
	free(p);
}

/* Missing 0x51 and 0x52 are policy; an empty user information decodes. */
static void
test_pdu_assoc_rq_empty_user_info_decodes(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_false(a->ui.has_max_length);
	assert_false(a->ui.has_impl_class_uid);
	assert_false(a->ui.has_async_ops);
	assert_false(a->ui.has_impl_version);
	assert_false(a->ui.has_user_identity);
	assert_int_equal(a->ui.n_roles, 0);
	tb_free(t);
	free(a);
}

/* A singleton sub-item twice is an unexpected parameter. */
static void
test_pdu_assoc_rq_duplicate_singleton_subitems(void **state)
{
	static const uint8_t	 types[] = { PDU_ITEM_MAX_LENGTH,
				    PDU_ITEM_IMPL_CLASS_UID, PDU_ITEM_ASYNC_OPS,
				    PDU_ITEM_IMPL_VERSION,
				    PDU_ITEM_USER_IDENTITY_RQ };
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	size_t			 i;
	int			 k;

	(void)state;
	for (i = 0; i < nitems(types); i++) {
		t->len = 0;
		tb_rq_min(t);
		tb_open(t, PDU_ITEM_USER_INFO);
		for (k = 0; k < 2; k++) {
			tb_open(t, types[i]);
			if (types[i] == PDU_ITEM_USER_IDENTITY_RQ) {
				tb_u8(t, 1);
				tb_u8(t, 0);
				tb_lstr(t, "u");
				tb_lstr(t, "");
			} else if (types[i] == PDU_ITEM_MAX_LENGTH ||
			    types[i] == PDU_ITEM_ASYNC_OPS)
				tb_u32(t, 1);
			else
				tb_bytes(t, "1.2", 3);
			tb_close(t);
		}
		tb_close(t);
		assert_int_equal(tb_decode_rq(t, a), PDU_ERR_DUP_SUBITEM);
		assert_int_equal(a->err_item, types[i]);
	}
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_DUP_SUBITEM), 5);
	tb_free(t);
	free(a);
}

/* Asynchronous operations window: 4 bytes exactly. */
static void
test_pdu_assoc_rq_async_ops_size(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_ASYNC_OPS);
	tb_u16(t, 0xffff);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_ASYNC_OPS);
	tb_u16(t, 0xffff);
	tb_u16(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->ui.async_invoked, 0xffff);
	assert_int_equal(a->ui.async_performed, 0);
	tb_free(t);
	free(a);
}

/*
 * Role selection: a UID length past the item is a field error (DCMTK
 * issue #942); a role byte missing or an extra byte is a size error; role
 * values above 1 decode as sent, for policy to ignore.
 */
static void
test_pdu_assoc_rq_role_selection_layout(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	/* UID-length 0xffff inside a 29-byte item. */
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_ROLE_SELECTION);
	tb_u16(t, 0xffff);
	tb_bytes(t, UID_CT, strlen(UID_CT));
	tb_u8(t, 1);
	tb_u8(t, 1);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_ROLE_SELECTION);

	/* Only the SCU role byte. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_ROLE_SELECTION);
	tb_lstr(t, UID_CT);
	tb_u8(t, 1);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* One byte after the SCP role. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_ROLE_SELECTION);
	tb_lstr(t, UID_CT);
	tb_u8(t, 1);
	tb_u8(t, 0);
	tb_u8(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* An item of one byte cannot hold the UID-length. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_item(t, PDU_ITEM_ROLE_SELECTION, "\x01");
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* Role values 2 and 255 are kept raw. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_ROLE_SELECTION);
	tb_lstr(t, UID_CT);
	tb_u8(t, 2);
	tb_u8(t, 255);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->ui.n_roles, 1);
	assert_int_equal(a->ui.roles[0].scu, 2);
	assert_int_equal(a->ui.roles[0].scp, 255);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_FIELD_LENGTH), 6);
	tb_free(t);
	free(a);
}

/* Past 128 role items, the rest are checked, counted and not kept. */
static void
test_pdu_assoc_rq_roles_beyond_bound_are_dropped(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	unsigned int		 i;
	char			 uid[32];

	(void)state;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	for (i = 0; i < PDU_MAX_ROLES + 5; i++) {
		snprintf(uid, sizeof(uid), "1.2.3.%u", i);
		tb_open(t, PDU_ITEM_ROLE_SELECTION);
		tb_lstr(t, uid);
		tb_u8(t, 1);
		tb_u8(t, 1);
		tb_close(t);
	}
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->ui.n_roles, PDU_MAX_ROLES);
	assert_int_equal(a->ui.roles_dropped, 5);
	assert_true(str_eq(&a->ui.roles[127].sop_class, "1.2.3.127"));

	/* A malformed one beyond the bound is still an error. */
	t->buf[t->len - 2 - strlen(uid) - 2] = 0xff;	/* last UID-length */
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);
	tb_free(t);
	free(a);
}

/* Extended negotiation: the UID length must stay inside the item. */
static void
test_pdu_assoc_rq_ext_neg_layout(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_EXT_NEG);
	tb_u16(t, 30);
	tb_bytes(t, UID_CT, strlen(UID_CT));
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_SOP_EXT_NEG);

	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_item(t, PDU_ITEM_SOP_EXT_NEG, "\x00");
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* No application information at all is fine. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_EXT_NEG);
	tb_lstr(t, UID_CT);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->ui.n_ext_neg, 1);
	assert_true(str_eq(&a->ui.ext_neg[0].sop_class, UID_CT));
	assert_int_equal(a->ui.ext_neg[0].info.len, 0);
	tb_free(t);
	free(a);
}

/* Common extended negotiation: each of its lengths is checked. */
static void
test_pdu_assoc_rq_common_ext_neg_layout(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	int			 which;

	(void)state;
	/* One of the three length fields runs past the item. */
	for (which = 0; which < 3; which++) {
		t->len = 0;
		tb_rq_min(t);
		tb_open(t, PDU_ITEM_USER_INFO);
		tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
		tb_u16(t, which == 0 ? 200 : strlen(UID_CT));
		tb_bytes(t, UID_CT, strlen(UID_CT));
		tb_u16(t, which == 1 ? 200 : 3);
		tb_bytes(t, "1.2", 3);
		tb_u16(t, which == 2 ? 200 : 5);
		tb_lstr(t, "1.2");
		tb_close(t);
		tb_close(t);
		assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);
		assert_int_equal(a->err_item, PDU_ITEM_SOP_COMMON_EXT_NEG);
	}

	/* A related UID length past the list. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
	tb_lstr(t, UID_CT);
	tb_lstr(t, "1.2");
	tb_u16(t, 5);
	tb_u16(t, 9);
	tb_bytes(t, "1.2", 3);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);

	/* One odd byte in the related list. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
	tb_lstr(t, UID_CT);
	tb_lstr(t, "1.2");
	tb_u16(t, 6);
	tb_lstr(t, "1.2");
	tb_u8(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* A byte after the related list. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
	tb_lstr(t, UID_CT);
	tb_lstr(t, "1.2");
	tb_u16(t, 0);
	tb_u8(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* Missing the related list length entirely. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
	tb_lstr(t, UID_CT);
	tb_lstr(t, "1.2");
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* An empty related list is allowed (length 0). */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_SOP_COMMON_EXT_NEG);
	tb_lstr(t, UID_CT);
	tb_lstr(t, "1.2.840.10008.4.2");
	tb_u16(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_int_equal(a->ui.n_common_ext_neg, 1);
	assert_int_equal(a->ui.common_ext_neg[0].n_related, 0);
	assert_true(str_eq(&a->ui.common_ext_neg[0].service_class,
	    "1.2.840.10008.4.2"));
	tb_free(t);
	free(a);
}

/* User identity: the layout is checked, the content is policy. */
static void
test_pdu_assoc_rq_user_identity_layout(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	/* Primary field length 65535 past the item end. */
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_USER_IDENTITY_RQ);
	tb_u8(t, 1);
	tb_u8(t, 0);
	tb_u16(t, 0xffff);
	tb_bytes(t, "user", 4);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_USER_IDENTITY_RQ);

	/* Secondary length missing. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_USER_IDENTITY_RQ);
	tb_u8(t, 1);
	tb_u8(t, 0);
	tb_lstr(t, "user");
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* Secondary past the item. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_USER_IDENTITY_RQ);
	tb_u8(t, 2);
	tb_u8(t, 0);
	tb_lstr(t, "user");
	tb_u16(t, 5);
	tb_bytes(t, "pass", 4);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_FIELD_LENGTH);

	/* Only the type byte. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_item(t, PDU_ITEM_USER_IDENTITY_RQ, "\x01");
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_ERR_ITEM_SIZE);

	/* Type 0 and 6, and a secondary field on type 1: all decode. */
	t->len = 0;
	tb_rq_min(t);
	tb_open(t, PDU_ITEM_USER_INFO);
	tb_open(t, PDU_ITEM_USER_IDENTITY_RQ);
	tb_u8(t, 6);
	tb_u8(t, 7);
	tb_lstr(t, "");
	tb_lstr(t, "secret");
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_rq(t, a), PDU_OK);
	assert_true(a->ui.has_user_identity);
	assert_int_equal(a->ui.user_identity.type, 6);
	assert_int_equal(a->ui.user_identity.positive_response, 7);
	assert_int_equal(a->ui.user_identity.primary.len, 0);
	assert_true(str_eq(&a->ui.user_identity.secondary, "secret"));
	assert_string_equal(pdu_user_identity_type_name(6), "unknown");
	assert_string_equal(pdu_user_identity_type_name(2),
	    "username-and-passcode");
	tb_free(t);
	free(a);
}

/*
 * AE titles are fixed 16-byte fields in the RQ, so their content is
 * policy: all spaces, a backslash or control bytes decode, and the
 * helpers judge them.
 */
static void
test_pdu_assoc_rq_hostile_ae_titles_decode(void **state)
{
	struct pdu_assoc	*a = new_assoc();
	uint8_t			 m[FX_RQ_BODY_LEN];
	char			 ae[PDU_AE_LEN + 1];

	(void)state;
	memcpy(m, fx_assoc_rq + PDU_HDR_LEN, sizeof(m));
	memset(m + 4, ' ', 16);				/* called: spaces */
	memcpy(m + 20, "AB\\CD\n\x1b\xff\0 ..%n$", 16);	/* calling */
	assert_int_equal(pdu_decode_assoc_rq(m, sizeof(m), a), PDU_OK);
	assert_int_equal(a->called_ae.len, 16);
	assert_int_equal(a->calling_ae.len, 16);
	assert_int_equal(pdu_ae_check(a->called_ae.p, a->called_ae.len),
	    PDU_AE_EMPTY);
	assert_int_equal(pdu_ae_copy(ae, a->called_ae.p, a->called_ae.len),
	    PDU_OK);
	assert_string_equal(ae, "");
	assert_int_equal(pdu_ae_check(a->calling_ae.p, a->calling_ae.len),
	    PDU_AE_BACKSLASH);
	assert_int_equal(pdu_ae_copy(ae, a->calling_ae.p, a->calling_ae.len),
	    PDU_ERR_STRING);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdu_header_valid_gives_type_and_length),
		cmocka_unit_test(test_pdu_header_unknown_type_is_refused),
		cmocka_unit_test(test_pdu_header_fixed_length_not_4_is_invalid),
		cmocka_unit_test(test_pdu_header_assoc_length_bounds),
		cmocka_unit_test(test_pdu_header_default_cap_is_1mib),
		cmocka_unit_test(test_pdu_header_pdata_length_bounds),
		cmocka_unit_test(
		    test_pdu_header_pdata_before_ac_uses_assoc_cap),
		cmocka_unit_test(test_pdu_assoc_rq_fixture_decodes_every_field),
		cmocka_unit_test(
		    test_pdu_assoc_rq_truncated_buffer_is_truncated),
		cmocka_unit_test(
		    test_pdu_assoc_rq_cut_at_every_offset_gives_exact_error),
		cmocka_unit_test(test_pdu_assoc_rq_reserved_0xff_is_not_tested),
		cmocka_unit_test(test_pdu_assoc_rq_protocol_version_is_exposed),
		cmocka_unit_test(
		    test_pdu_assoc_rq_pctx_past_pdu_is_item_length),
		cmocka_unit_test(
		    test_pdu_assoc_rq_subitem_past_item_is_item_length),
		cmocka_unit_test(
		    test_pdu_assoc_rq_pctx_below_fixed_part_is_item_size),
		cmocka_unit_test(
		    test_pdu_assoc_rq_even_zero_duplicate_ids_are_refused),
		cmocka_unit_test(
		    test_pdu_assoc_rq_128_contexts_ok_129_too_many),
		cmocka_unit_test(
		    test_pdu_assoc_rq_mandatory_items_missing_or_repeated),
		cmocka_unit_test(
		    test_pdu_assoc_rq_abstract_syntax_missing_or_repeated),
		cmocka_unit_test(
		    test_pdu_assoc_rq_context_policy_values_decode),
		cmocka_unit_test(
		    test_pdu_assoc_rq_thousands_of_transfer_syntaxes_all_kept),
		cmocka_unit_test(test_pdu_assoc_rq_unknown_items_are_skipped),
		cmocka_unit_test(
		    test_pdu_assoc_rq_items_out_of_order_are_tolerated),
		cmocka_unit_test(test_pdu_assoc_rq_max_length_subitem_size),
		cmocka_unit_test(test_pdu_assoc_rq_extreme_user_values_decode),
		cmocka_unit_test(test_pdu_assoc_rq_pctx_shorter_than_subitems),
		cmocka_unit_test(test_pdu_assoc_rq_padded_to_cap_decodes),
		cmocka_unit_test(test_pdu_assoc_rq_empty_user_info_decodes),
		cmocka_unit_test(
		    test_pdu_assoc_rq_duplicate_singleton_subitems),
		cmocka_unit_test(test_pdu_assoc_rq_async_ops_size),
		cmocka_unit_test(test_pdu_assoc_rq_role_selection_layout),
		cmocka_unit_test(
		    test_pdu_assoc_rq_roles_beyond_bound_are_dropped),
		cmocka_unit_test(test_pdu_assoc_rq_ext_neg_layout),
		cmocka_unit_test(test_pdu_assoc_rq_common_ext_neg_layout),
		cmocka_unit_test(test_pdu_assoc_rq_user_identity_layout),
		cmocka_unit_test(test_pdu_assoc_rq_hostile_ae_titles_decode),
	};

	return (cmocka_run_group_tests_name("pdu", tests, NULL, NULL));
}
