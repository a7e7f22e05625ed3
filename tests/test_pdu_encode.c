/* test_pdu_encode.c: the PDU encoders, round trips, names and helpers. */

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

#define BIG	(160 * 1024)

static struct pdu_str	 s_(const char *);

/* A view of a C string. */
static struct pdu_str
s_(const char *s)
{
	struct pdu_str	 v;

	v.p = (const uint8_t *)s;
	v.len = strlen(s);
	return (v);
}

/* Decoding the RQ fixture and encoding it again gives the same bytes. */
static void
test_pdu_encode_assoc_rq_round_trip_is_byte_exact(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		 out[1024];

	(void)state;
	assert_int_equal(pdu_decode(fx_assoc_rq, sizeof(fx_assoc_rq), NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	assert_int_equal(pdu_encode_assoc_rq(out, sizeof(out), &p->u.assoc),
	    sizeof(fx_assoc_rq));
	assert_memory_equal(out, fx_assoc_rq, sizeof(fx_assoc_rq));
	free(p);
}

/* Decoding the AC fixture and encoding it again gives the same bytes. */
static void
test_pdu_encode_assoc_ac_round_trip_is_byte_exact(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		 out[1024];

	(void)state;
	assert_int_equal(pdu_decode(fx_assoc_ac, sizeof(fx_assoc_ac), NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	assert_int_equal(pdu_encode_assoc_ac(out, sizeof(out), &p->u.assoc),
	    sizeof(fx_assoc_ac));
	assert_memory_equal(out, fx_assoc_ac, sizeof(fx_assoc_ac));
	free(p);
}

/*
 * An AC built the way the worker will build it: the RQ's 64 bytes echoed
 * verbatim (even reserved bytes a peer filled), one context accepted, one
 * rejected with the first proposed transfer syntax echoed.
 */
static void
test_pdu_encode_assoc_ac_echoes_rq_bytes(void **state)
{
	struct pdu	*rq = new_pdu(), *ac = new_pdu(), *back = new_pdu();
	uint8_t		 m[sizeof(fx_assoc_rq)], out[1024];
	struct pdu_assoc *a = &ac->u.assoc;
	ssize_t		 n;

	(void)state;
	memcpy(m, fx_assoc_rq, sizeof(m));
	memset(m + 42, 0xa5, 32);		/* a peer's reserved bytes */
	assert_int_equal(pdu_decode(m, sizeof(m), NULL, PDU_PHASE_AWAIT_RQ,
	    rq, NULL), PDU_OK);

	a->echo = rq->u.assoc.echo;
	a->n_pctx = 2;
	a->pctx[0].id = rq->u.assoc.pctx[0].id;
	a->pctx[0].ts = s_(UID_EXPLICIT);
	a->pctx[1].id = rq->u.assoc.pctx[1].id;
	a->pctx[1].result = PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED;
	a->pctx[1].ts = rq->u.assoc.pctx[1].ts;
	a->ui.has_max_length = 1;
	a->ui.max_length = 16384;
	a->ui.has_impl_class_uid = 1;
	a->ui.impl_class_uid = s_(UID_IMPL);
	n = pdu_encode_assoc_ac(out, sizeof(out), a);
	assert_true(n > 0);
	assert_memory_equal(out + 10, m + 10, PDU_AE_ECHO_LEN);
	assert_int_equal(out[6], 0x00);		/* protocol version 1 */
	assert_int_equal(out[7], 0x01);

	assert_int_equal(pdu_decode(out, (size_t)n, NULL, PDU_PHASE_AWAIT_RQ,
	    back, NULL), PDU_OK);
	assert_int_equal(back->type, PDU_ASSOC_AC);
	assert_true(str_eq(&back->u.assoc.app_context, PDU_APP_CONTEXT_NAME));
	assert_int_equal(back->u.assoc.n_pctx, 2);
	assert_int_equal(back->u.assoc.pctx[0].id, 1);
	assert_int_equal(back->u.assoc.pctx[0].result, 0);
	assert_true(str_eq(&back->u.assoc.pctx[0].ts, UID_EXPLICIT));
	assert_int_equal(back->u.assoc.pctx[1].id, 3);
	assert_int_equal(back->u.assoc.pctx[1].result, 3);
	assert_true(str_eq(&back->u.assoc.pctx[1].ts, UID_IMPLICIT));
	assert_int_equal(back->u.assoc.ui.max_length, 16384);
	assert_true(str_eq(&back->u.assoc.ui.impl_class_uid, UID_IMPL));
	assert_false(back->u.assoc.ui.has_async_ops);
	assert_int_equal(back->u.assoc.ui.n_roles, 0);
	free(rq);
	free(ac);
	free(back);
}

/*
 * An RQ built from scratch with every sub-item, from caller arrays, goes
 * through the encoder and comes back field for field.  Without an echo,
 * an AC pads its AE titles with spaces and zeroes the reserved bytes.
 */
static void
test_pdu_encode_assoc_rq_from_arrays_round_trips(void **state)
{
	struct pdu_str		 ts[3], rel[2];
	struct pdu		*p = new_pdu(), *q = new_pdu();
	struct pdu_assoc	*a = &p->u.assoc;
	const struct pdu_assoc	*b = &q->u.assoc;
	struct pdu_user_info	*ui = &a->ui;
	struct pdu_iter		 it;
	struct pdu_str		 s;
	uint8_t			 out[2048];
	ssize_t			 n;

	(void)state;
	ts[0] = s_(UID_EXPLICIT);
	ts[1] = s_(UID_IMPLICIT);
	ts[2] = s_("1.2.840.10008.1.2.4.50");
	rel[0] = s_("1.2.3");
	rel[1] = s_("1.2.4");
	a->called_ae = s_("STORESCP");
	a->calling_ae = s_("MODALITY_16_CHAR");
	a->n_pctx = 2;
	a->pctx[0].id = 255;
	a->pctx[0].abstract_syntax = s_(UID_CT);
	a->pctx[0].ts_list = ts;
	a->pctx[0].n_ts = 3;
	a->pctx[1].id = 1;
	a->pctx[1].abstract_syntax = s_(UID_VERIF);
	a->pctx[1].ts_list = ts + 1;
	a->pctx[1].n_ts = 1;
	ui->has_max_length = 1;
	ui->max_length = 0;
	ui->has_impl_class_uid = 1;
	ui->impl_class_uid = s_(UID_IMPL);
	ui->has_async_ops = 1;
	ui->async_invoked = 0;
	ui->async_performed = 65535;
	ui->n_roles = 2;
	ui->roles[0].sop_class = s_(UID_CT);
	ui->roles[0].scu = 1;
	ui->roles[0].scp = 1;
	ui->roles[1].sop_class = s_(UID_VERIF);
	ui->roles[1].scu = 0;
	ui->roles[1].scp = 1;
	ui->has_impl_version = 1;
	ui->impl_version = s_("V1");
	ui->n_ext_neg = 1;
	ui->ext_neg[0].sop_class = s_(UID_CT);
	ui->ext_neg[0].info = s_("\x01\x02\x03");
	ui->n_common_ext_neg = 2;
	ui->common_ext_neg[0].sop_class = s_(UID_CT);
	ui->common_ext_neg[0].service_class = s_("1.2.840.10008.4.2");
	ui->common_ext_neg[0].related_list = rel;
	ui->common_ext_neg[0].n_related = 2;
	ui->common_ext_neg[1].sop_class = s_(UID_VERIF);
	ui->common_ext_neg[1].service_class = s_("1.2.840.10008.4.1");
	ui->common_ext_neg[1].related = s_("\x00\x03" "9.8");
	ui->common_ext_neg[1].related.len = 5;
	ui->has_user_identity = 1;
	ui->user_identity.type = PDU_USER_ID_JWT;
	ui->user_identity.positive_response = 1;
	ui->user_identity.primary = s_("eyJ.x.y");

	n = pdu_encode_assoc_rq(out, sizeof(out), a);
	assert_true(n > 0);
	assert_memory_equal(out + 10, "STORESCP        MODALITY_16_CHAR", 32);
	assert_int_equal(pdu_decode(out, (size_t)n, NULL, PDU_PHASE_AWAIT_RQ,
	    q, NULL), PDU_OK);
	assert_true(str_eq(&b->called_ae, "STORESCP        "));
	assert_true(str_eq(&b->calling_ae, "MODALITY_16_CHAR"));
	assert_true(str_eq(&b->app_context, UID_APP));
	assert_int_equal(b->n_pctx, 2);
	assert_int_equal(b->pctx[0].id, 255);
	assert_true(str_eq(&b->pctx[0].abstract_syntax, UID_CT));
	assert_int_equal(b->pctx[0].n_ts, 3);
	pdu_ts_iter(&it, &b->pctx[0]);
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, UID_EXPLICIT));
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, UID_IMPLICIT));
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, "1.2.840.10008.1.2.4.50"));
	assert_int_equal(pdu_iter_next(&it, &s), 0);
	assert_int_equal(b->pctx[1].id, 1);
	assert_int_equal(b->pctx[1].n_ts, 1);
	assert_true(str_eq(&b->pctx[1].ts, UID_IMPLICIT));
	assert_true(b->ui.has_max_length);
	assert_int_equal(b->ui.max_length, 0);
	assert_true(str_eq(&b->ui.impl_class_uid, UID_IMPL));
	assert_int_equal(b->ui.async_invoked, 0);
	assert_int_equal(b->ui.async_performed, 65535);
	assert_int_equal(b->ui.n_roles, 2);
	assert_true(str_eq(&b->ui.roles[1].sop_class, UID_VERIF));
	assert_int_equal(b->ui.roles[1].scu, 0);
	assert_int_equal(b->ui.roles[1].scp, 1);
	assert_true(str_eq(&b->ui.impl_version, "V1"));
	assert_int_equal(b->ui.n_ext_neg, 1);
	assert_true(str_eq(&b->ui.ext_neg[0].info, "\x01\x02\x03"));
	assert_int_equal(b->ui.n_common_ext_neg, 2);
	assert_int_equal(b->ui.common_ext_neg[0].n_related, 2);
	pdu_related_iter(&it, &b->ui.common_ext_neg[0]);
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, "1.2.3"));
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, "1.2.4"));
	assert_int_equal(pdu_iter_next(&it, &s), 0);
	assert_int_equal(b->ui.common_ext_neg[1].n_related, 1);
	assert_true(str_eq(&b->ui.common_ext_neg[1].service_class,
	    "1.2.840.10008.4.1"));
	assert_true(b->ui.has_user_identity);
	assert_int_equal(b->ui.user_identity.type, PDU_USER_ID_JWT);
	assert_true(str_eq(&b->ui.user_identity.primary, "eyJ.x.y"));
	assert_int_equal(b->ui.user_identity.secondary.len, 0);

	/* The same struct as an AC without echo: padded titles, zeroes. */
	a->pctx[0].ts = ts[0];
	a->pctx[1].ts = ts[1];
	ui->has_user_identity = 0;
	ui->has_user_identity_ac = 1;
	ui->server_response = s_("ticket");
	n = pdu_encode_assoc_ac(out, sizeof(out), a);
	assert_true(n > 0);
	assert_int_equal(out[0], PDU_ASSOC_AC);
	assert_memory_equal(out + 10, "STORESCP        MODALITY_16_CHAR", 32);
	for (n = 42; n < 74; n++)
		assert_int_equal(out[n], 0);
	free(p);
	free(q);
}

/* Values that cannot go on the wire are refused, not truncated. */
static void
test_pdu_encode_assoc_refuses_unsendable_values(void **state)
{
	struct pdu_assoc	*a;
	struct pdu_str		 ts = s_(UID_IMPLICIT);
	uint8_t			*out, *huge;
	unsigned int		 i;

	(void)state;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (out = malloc(BIG)) == NULL || (huge = calloc(1, 70000)) == NULL)
		abort();
	a->called_ae = s_("A");
	a->calling_ae = s_("B");
	a->n_pctx = 1;
	a->pctx[0].id = 1;
	a->pctx[0].abstract_syntax = s_(UID_VERIF);
	a->pctx[0].ts_list = &ts;
	a->pctx[0].n_ts = 1;
	assert_true(pdu_encode_assoc_rq(out, BIG, a) > 0);

	a->called_ae = s_("SEVENTEEN_CHARS_X");
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	assert_int_equal(pdu_encode_assoc_ac(out, BIG, a), PDU_ERR_VALUE);
	a->called_ae = s_("SIXTEEN_CHARS_XX");
	assert_true(pdu_encode_assoc_rq(out, BIG, a) > 0);

	a->pctx[0].id = 2;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->pctx[0].id = 0;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->pctx[0].id = 1;
	a->pctx[1] = a->pctx[0];
	a->n_pctx = 2;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->n_pctx = 0;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->n_pctx = PDU_MAX_PCTX + 1;
	for (i = 0; i < PDU_MAX_PCTX; i++) {
		a->pctx[i] = a->pctx[0];
		a->pctx[i].id = 2 * i + 1;
	}
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->n_pctx = PDU_MAX_PCTX;
	assert_true(pdu_encode_assoc_rq(out, BIG, a) > 0);

	a->n_pctx = 1;
	a->pctx[0].result = 5;
	assert_int_equal(pdu_encode_assoc_ac(out, BIG, a), PDU_ERR_VALUE);
	a->pctx[0].result = 4;
	a->pctx[0].ts = ts;
	assert_true(pdu_encode_assoc_ac(out, BIG, a) > 0);

	/* An item value of 65536 bytes does not fit a 16-bit length. */
	a->pctx[0].abstract_syntax.p = huge;
	a->pctx[0].abstract_syntax.len = 65536;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	/* Nor does a context whose sub-items add up past it. */
	a->pctx[0].abstract_syntax.len = 65535 - 4 - 4;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->pctx[0].abstract_syntax.len = 65535 - 4 - 4 - 4 - ts.len;
	assert_true(pdu_encode_assoc_rq(out, BIG, a) > 0);
	a->pctx[0].abstract_syntax = s_(UID_VERIF);

	/* A role UID of 65536 bytes; a malformed raw related list. */
	a->ui.n_roles = 1;
	a->ui.roles[0].sop_class.p = huge;
	a->ui.roles[0].sop_class.len = 65536;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->ui.n_roles = PDU_MAX_ROLES + 1;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->ui.n_roles = 0;
	a->ui.n_common_ext_neg = 1;
	a->ui.common_ext_neg[0].related = s_("\x00\x09" "1.2");
	a->ui.common_ext_neg[0].related.len = 5;
	assert_int_equal(pdu_encode_assoc_rq(out, BIG, a), PDU_ERR_VALUE);
	a->ui.n_common_ext_neg = 0;

	/* The value error wins even when the buffer is also too small. */
	a->called_ae = s_("SEVENTEEN_CHARS_X");
	assert_int_equal(pdu_encode_assoc_rq(out, 10, a), PDU_ERR_VALUE);
	free(a);
	free(out);
	free(huge);
}

/* Every buffer one byte too small, down to none, is PDU_ERR_SPACE. */
static void
test_pdu_encode_small_buffers_are_space(void **state)
{
	struct pdu	*p = new_pdu();
	struct pdu_pdv	 pdv = { 1, 3, (const uint8_t *)"abcd", 4 };
	uint8_t		 out[1024];
	size_t		 k;

	(void)state;
	assert_int_equal(pdu_decode(fx_assoc_rq, sizeof(fx_assoc_rq), NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	for (k = 0; k < sizeof(fx_assoc_rq); k++) {
		memset(out, 0x5a, sizeof(out));
		assert_int_equal(pdu_encode_assoc_rq(out, k, &p->u.assoc),
		    PDU_ERR_SPACE);
		/* Nothing past the buffer was touched. */
		assert_int_equal(out[k], 0x5a);
	}
	assert_int_equal(pdu_encode_assoc_rq(NULL, 0, &p->u.assoc),
	    PDU_ERR_SPACE);
	for (k = 0; k < 10; k++) {
		assert_int_equal(pdu_encode_release_rq(out, k), PDU_ERR_SPACE);
		assert_int_equal(pdu_encode_abort(out, k, 0, 0),
		    PDU_ERR_SPACE);
		assert_int_equal(pdu_encode_assoc_rj(out, k, 1, 1, 7),
		    PDU_ERR_SPACE);
	}
	for (k = 0; k < 16; k++)
		assert_int_equal(pdu_encode_pdata(out, k, &pdv, 1),
		    PDU_ERR_SPACE);
	assert_int_equal(pdu_encode_pdata(out, 16, &pdv, 1), 16);
	free(p);
}

/* RJ: the digest's example bytes, and only the triples of Table 9-21. */
static void
test_pdu_encode_assoc_rj_bytes_and_valid_triples(void **state)
{
	static const uint8_t	 bad[][3] = {
		{ 0, 1, 1 }, { 3, 1, 1 }, { 1, 0, 1 }, { 1, 4, 1 },
		{ 1, 1, 0 }, { 1, 1, 4 }, { 1, 1, 5 }, { 1, 1, 6 },
		{ 1, 1, 8 }, { 1, 1, 10 }, { 1, 2, 0 }, { 1, 2, 3 },
		{ 2, 3, 0 }, { 2, 3, 3 }, { 2, 3, 7 }, { 1, 1, 255 },
	};
	static const uint8_t	 good[][3] = {
		{ 1, 1, 1 }, { 1, 1, 2 }, { 1, 1, 3 }, { 2, 1, 7 },
		{ 1, 2, 1 }, { 1, 2, 2 }, { 2, 3, 1 }, { 2, 3, 2 },
	};
	uint8_t			 out[16];
	size_t			 i;

	(void)state;
	assert_int_equal(pdu_encode_assoc_rj(out, sizeof(out), 1, 1, 7), 10);
	assert_memory_equal(out, fx_assoc_rj, sizeof(fx_assoc_rj));
	for (i = 0; i < nitems(bad); i++) {
		assert_false(pdu_rj_valid(bad[i][0], bad[i][1], bad[i][2]));
		assert_int_equal(pdu_encode_assoc_rj(out, sizeof(out),
		    bad[i][0], bad[i][1], bad[i][2]), PDU_ERR_VALUE);
	}
	for (i = 0; i < nitems(good); i++) {
		assert_true(pdu_rj_valid(good[i][0], good[i][1], good[i][2]));
		assert_int_equal(pdu_encode_assoc_rj(out, sizeof(out),
		    good[i][0], good[i][1], good[i][2]), 10);
		assert_int_equal(out[7], good[i][0]);
		assert_int_equal(out[8], good[i][1]);
		assert_int_equal(out[9], good[i][2]);
	}
}

/* RELEASE-RQ/RP and ABORT: exact bytes; only Table 9-26 pairs go out. */
static void
test_pdu_encode_release_and_abort_bytes(void **state)
{
	static const uint8_t	 user_abort[] = { 7, 0, 0, 0, 0, 4, 0, 0, 0,
				    0 };
	static const uint8_t	 invalid6[] = { 7, 0, 0, 0, 0, 4, 0, 0, 2,
				    6 };
	uint8_t			 out[16];
	int			 r;

	(void)state;
	assert_int_equal(pdu_encode_release_rq(out, sizeof(out)), 10);
	assert_memory_equal(out, fx_release_rq, 10);
	assert_int_equal(pdu_encode_release_rp(out, sizeof(out)), 10);
	assert_memory_equal(out, fx_release_rp, 10);
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 0, 0), 10);
	assert_memory_equal(out, user_abort, 10);
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 2, 2), 10);
	assert_memory_equal(out, fx_abort, 10);
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 2, 6), 10);
	assert_memory_equal(out, invalid6, 10);
	for (r = 0; r < 256; r++) {
		assert_int_equal(pdu_abort_valid(0, r), r == 0);
		assert_int_equal(pdu_abort_valid(2, r),
		    r <= 6 && r != 3);
		assert_false(pdu_abort_valid(1, r));
		assert_false(pdu_abort_valid(3, r));
	}
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 0, 2),
	    PDU_ERR_VALUE);
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 1, 0),
	    PDU_ERR_VALUE);
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 2, 3),
	    PDU_ERR_VALUE);
	assert_int_equal(pdu_encode_abort(out, sizeof(out), 2, 7),
	    PDU_ERR_VALUE);
}

/* P-DATA-TF with several PDVs: bytes as the fixture, control masked. */
static void
test_pdu_encode_pdata_several_pdvs(void **state)
{
	struct pdu_pdv	 pdv[2] = {
		{ 3, 0x03, (const uint8_t *)"\xde\xad\xbe\xef", 4 },
		{ 3, 0xfc, (const uint8_t *)"\x01\x02\x03\x04", 4 },
	};
	struct pdu_pdv	 bad = { 2, 0, NULL, 0 };
	uint8_t		 out[64], want[sizeof(fx_pdata_two)];

	(void)state;
	memcpy(want, fx_pdata_two, sizeof(want));
	want[1] = 0x00;			/* reserved goes out as zero */
	want[21] = 0x00;		/* bits 2-7 go out as zero */
	assert_int_equal(pdu_encode_pdata(out, sizeof(out), pdv, 2),
	    sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(pdu_encode_pdata(out, sizeof(out), pdv, 0),
	    PDU_ERR_VALUE);
	assert_int_equal(pdu_encode_pdata(out, sizeof(out), &bad, 1),
	    PDU_ERR_VALUE);
	bad.pcid = 0;
	assert_int_equal(pdu_encode_pdata(out, sizeof(out), &bad, 1),
	    PDU_ERR_VALUE);
	bad.pcid = 1;
	assert_int_equal(pdu_encode_pdata(out, sizeof(out), &bad, 1), 12);
	assert_memory_equal(out, "\x04\x00\x00\x00\x00\x06\x00\x00\x00\x02"
	    "\x01\x00", 12);
}

/*
 * The 12-byte header for one PDV, as in the digest's example (72-byte
 * last command fragment on context 1), and the fixture's header.
 */
static void
test_pdu_encode_pdata_header_for_writev(void **state)
{
	static const uint8_t	 example[] = { 0x04, 0x00, 0x00, 0x00, 0x00,
				    0x4e, 0x00, 0x00, 0x00, 0x4a, 0x01, 0x03 };
	uint8_t			 hdr[PDU_PDATA_HDR_LEN];

	(void)state;
	assert_int_equal(pdu_pdata_header(hdr, 1, 0x03, 72), PDU_OK);
	assert_memory_equal(hdr, example, sizeof(example));
	assert_int_equal(pdu_pdata_header(hdr, 1, PDU_MCH_COMMAND |
	    PDU_MCH_LAST | 0xf0, 68), PDU_OK);
	assert_memory_equal(hdr, fx_pdata_one, PDU_PDATA_HDR_LEN);
	assert_int_equal(pdu_pdata_header(hdr, 2, 0, 1), PDU_ERR_VALUE);
	assert_int_equal(pdu_pdata_header(hdr, 0, 0, 1), PDU_ERR_VALUE);
	assert_int_equal(pdu_pdata_header(hdr, 1, 0, 0xffffffffu - 6),
	    PDU_OK);
	assert_int_equal(hdr[2], 0xff);
	assert_int_equal(hdr[5], 0xff);
	assert_int_equal(hdr[9], 0xfb);
	assert_int_equal(pdu_pdata_header(hdr, 1, 0, 0xffffffffu - 5),
	    PDU_ERR_VALUE);
}

/* AE titles judged for policy: lengths 0, 16, 17, padding, bad bytes. */
static void
test_pdu_ae_check_reasons(void **state)
{
	(void)state;
	assert_int_equal(pdu_ae_check("", 0), PDU_AE_EMPTY);
	assert_int_equal(pdu_ae_check("ABCDEFGHIJKLMNOP", 16), PDU_AE_OK);
	assert_int_equal(pdu_ae_check("ABCDEFGHIJKLMNOPQ", 17),
	    PDU_AE_TOO_LONG);
	assert_int_equal(pdu_ae_check("                ", 16), PDU_AE_EMPTY);
	assert_int_equal(pdu_ae_check("\0\0\0\0", 4), PDU_AE_EMPTY);
	assert_int_equal(pdu_ae_check("  STORE SCP\0\0 \0", 15), PDU_AE_OK);
	assert_int_equal(pdu_ae_check("A\\B", 3), PDU_AE_BACKSLASH);
	assert_int_equal(pdu_ae_check("A\nB", 3), PDU_AE_CONTROL);
	assert_int_equal(pdu_ae_check("A\x1b", 2), PDU_AE_CONTROL);
	assert_int_equal(pdu_ae_check("A\x7f", 2), PDU_AE_CONTROL);
	assert_int_equal(pdu_ae_check("A\0B", 3), PDU_AE_CONTROL);
	assert_int_equal(pdu_ae_check("\0AB", 3), PDU_AE_CONTROL);
	assert_int_equal(pdu_ae_check("A\xffZ", 3), PDU_AE_NON_ASCII);
	assert_int_equal(pdu_ae_check("%n$(id)../", 10), PDU_AE_OK);
	assert_string_equal(pdu_ae_problem_name(PDU_AE_BACKSLASH),
	    "holds a backslash");
	assert_string_equal(pdu_ae_problem_name(PDU_AE_EMPTY),
	    "empty or all spaces");
}

/* AE titles copied trimmed; what a C string cannot hold is refused. */
static void
test_pdu_ae_copy_trims_and_refuses_nul(void **state)
{
	char	 ae[PDU_AE_LEN + 1];

	(void)state;
	assert_int_equal(pdu_ae_copy(ae, "  ECHO SCU      ", 16), PDU_OK);
	assert_string_equal(ae, "ECHO SCU");
	assert_int_equal(pdu_ae_copy(ae, "ABC\0\0\0\0\0\0\0\0\0\0\0\0\0", 16),
	    PDU_OK);
	assert_string_equal(ae, "ABC");
	assert_int_equal(pdu_ae_copy(ae, "ABCDEFGHIJKLMNOP", 16), PDU_OK);
	assert_string_equal(ae, "ABCDEFGHIJKLMNOP");
	assert_int_equal(pdu_ae_copy(ae, "", 0), PDU_OK);
	assert_string_equal(ae, "");
	assert_int_equal(pdu_ae_copy(ae, "ABCDEFGHIJKLMNOPQ", 17),
	    PDU_ERR_STRING);
	assert_string_equal(ae, "");
	assert_int_equal(pdu_ae_copy(ae, "AB\0CD", 5), PDU_ERR_STRING);
	assert_string_equal(ae, "");
}

/* PS3.5 9.1 UID rules, at and around the 64-byte limit. */
static void
test_pdu_uid_valid_rules(void **state)
{
	static const char *const good[] = { "1.2.840.10008.1.1", "0", "1",
	    "0.0", "1.0.0.20", "2.25.329800735698586629295641978511506172918",
	    "1.2.840.10008.3.1.1.1" };
	static const char *const bad[] = { "", ".", "1.", ".1", "1..2",
	    "01.2", "1.02", "1.2a", "1.2 ", "1.2\n", "a", "1.-2", "00" };
	char	 uid[80];
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(good); i++)
		assert_true(pdu_uid_valid(good[i], strlen(good[i])));
	for (i = 0; i < nitems(bad); i++)
		assert_false(pdu_uid_valid(bad[i], strlen(bad[i])));
	assert_false(pdu_uid_valid("1.2\0", 4));
	memset(uid, 0, sizeof(uid));
	memcpy(uid, "1.2.", 4);
	memset(uid + 4, '7', 60);
	assert_int_equal(strlen(uid), 64);
	assert_true(pdu_uid_valid(uid, 64));
	uid[64] = '7';
	assert_false(pdu_uid_valid(uid, 65));
}

/* UIDs copied with one trailing NUL and trailing spaces stripped. */
static void
test_pdu_uid_copy_strips_padding(void **state)
{
	char		 uid[PDU_UID_MAX + 1], in[80];
	struct pdu_str	 s;

	(void)state;
	assert_int_equal(pdu_uid_copy(uid, "1.2.3\0", 6), PDU_OK);
	assert_string_equal(uid, "1.2.3");
	assert_int_equal(pdu_uid_copy(uid, "1.2.3  ", 7), PDU_OK);
	assert_string_equal(uid, "1.2.3");
	assert_int_equal(pdu_uid_copy(uid, "1.2.3 \0", 7), PDU_OK);
	assert_string_equal(uid, "1.2.3");
	assert_int_equal(pdu_uid_copy(uid, "1.2.3\0\0", 7), PDU_ERR_STRING);
	assert_int_equal(pdu_uid_copy(uid, "1.2\0.3", 6), PDU_ERR_STRING);
	assert_int_equal(pdu_uid_copy(uid, "", 0), PDU_OK);
	assert_string_equal(uid, "");
	s = pdu_uid_trim(" 1.2 \0", 6);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.p, " 1.2", 4);

	memset(in, 0, sizeof(in));
	memcpy(in, "1.2.", 4);
	memset(in + 4, '5', 60);
	assert_int_equal(pdu_uid_copy(uid, in, 65), PDU_OK);	/* 64 + NUL */
	assert_int_equal(strlen(uid), 64);
	assert_true(pdu_uid_valid(uid, strlen(uid)));
	in[64] = '5';
	assert_int_equal(pdu_uid_copy(uid, in, 65), PDU_ERR_STRING);
	assert_string_equal(uid, "");
}

/* Every error code has its own text; unknown codes say so. */
static void
test_pdu_strerror_names_every_code(void **state)
{
	int	 i, j;

	(void)state;
	assert_string_equal(pdu_strerror(PDU_OK), "success");
	for (i = 1; i < PDU_ERR_COUNT; i++) {
		assert_non_null(pdu_strerror(-i));
		assert_string_not_equal(pdu_strerror(-i), "unknown error");
		for (j = 1; j < i; j++)
			assert_string_not_equal(pdu_strerror(-i),
			    pdu_strerror(-j));
	}
	assert_string_equal(pdu_strerror(-PDU_ERR_COUNT), "unknown error");
	assert_string_equal(pdu_strerror(1), "unknown error");
	assert_string_equal(pdu_strerror(-1000), "unknown error");
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_SPACE), 0);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_VALUE), 0);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_TRUNCATED), 0);
	assert_int_equal(pdu_err_abort_reason(-1000), 0);
	assert_int_equal(pdu_err_abort_reason(PDU_OK), 0);
}

/* The PS3.8 code tables have the names used in log lines. */
static void
test_pdu_names_follow_the_standard(void **state)
{
	(void)state;
	assert_string_equal(pdu_type_name(PDU_ASSOC_RQ), "A-ASSOCIATE-RQ");
	assert_string_equal(pdu_type_name(PDU_P_DATA_TF), "P-DATA-TF");
	assert_string_equal(pdu_type_name(PDU_ABORT), "A-ABORT");
	assert_string_equal(pdu_type_name(0), "unknown");
	assert_string_equal(pdu_type_name(0x47), "unknown");
	assert_string_equal(pdu_item_name(PDU_ITEM_ROLE_SELECTION),
	    "SCP/SCU-role-selection");
	assert_string_equal(pdu_item_name(0x5f), "unknown");
	assert_string_equal(pdu_rj_result_name(2), "rejected-transient");
	assert_string_equal(pdu_rj_result_name(3), "unknown");
	assert_string_equal(pdu_rj_source_name(2), "service-provider-ACSE");
	assert_string_equal(pdu_rj_source_name(3),
	    "service-provider-presentation");
	assert_string_equal(pdu_rj_reason_name(1, 2),
	    "application-context-name-not-supported");
	assert_string_equal(pdu_rj_reason_name(1, 3),
	    "calling-AE-title-not-recognized");
	assert_string_equal(pdu_rj_reason_name(1, 4), "unknown");
	assert_string_equal(pdu_rj_reason_name(2, 2),
	    "protocol-version-not-supported");
	assert_string_equal(pdu_rj_reason_name(3, 1), "temporary-congestion");
	assert_string_equal(pdu_rj_reason_name(3, 2), "local-limit-exceeded");
	assert_string_equal(pdu_rj_reason_name(4, 1), "unknown");
	assert_string_equal(pdu_abort_source_name(0), "service-user");
	assert_string_equal(pdu_abort_source_name(3), "unknown");
	assert_string_equal(pdu_abort_reason_name(1), "unrecognized-PDU");
	assert_string_equal(pdu_abort_reason_name(4),
	    "unrecognized-PDU-parameter");
	assert_string_equal(pdu_abort_reason_name(5),
	    "unexpected-PDU-parameter");
	assert_string_equal(pdu_abort_reason_name(6),
	    "invalid-PDU-parameter-value");
	assert_string_equal(pdu_pctx_result_name(0), "acceptance");
	assert_string_equal(pdu_pctx_result_name(4),
	    "transfer-syntaxes-not-supported");
	assert_string_equal(pdu_pctx_result_name(5), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_pdu_encode_assoc_rq_round_trip_is_byte_exact),
		cmocka_unit_test(
		    test_pdu_encode_assoc_ac_round_trip_is_byte_exact),
		cmocka_unit_test(test_pdu_encode_assoc_ac_echoes_rq_bytes),
		cmocka_unit_test(
		    test_pdu_encode_assoc_rq_from_arrays_round_trips),
		cmocka_unit_test(
		    test_pdu_encode_assoc_refuses_unsendable_values),
		cmocka_unit_test(test_pdu_encode_small_buffers_are_space),
		cmocka_unit_test(
		    test_pdu_encode_assoc_rj_bytes_and_valid_triples),
		cmocka_unit_test(test_pdu_encode_release_and_abort_bytes),
		cmocka_unit_test(test_pdu_encode_pdata_several_pdvs),
		cmocka_unit_test(test_pdu_encode_pdata_header_for_writev),
		cmocka_unit_test(test_pdu_ae_check_reasons),
		cmocka_unit_test(test_pdu_ae_copy_trims_and_refuses_nul),
		cmocka_unit_test(test_pdu_uid_valid_rules),
		cmocka_unit_test(test_pdu_uid_copy_strips_padding),
		cmocka_unit_test(test_pdu_strerror_names_every_code),
		cmocka_unit_test(test_pdu_names_follow_the_standard),
	};

	return (cmocka_run_group_tests_name("pdu_encode", tests, NULL, NULL));
}
