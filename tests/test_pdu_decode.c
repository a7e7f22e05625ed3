/*
 * test_pdu_decode.c: decoding the A-ASSOCIATE-AC, A-ASSOCIATE-RJ,
 * A-RELEASE-RQ/RP, A-ABORT and P-DATA-TF PDUs.
 */

#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdu.h"
#include "pdu_fixtures.h"
#include "pdu_testlib.h"

static void	ac_prefix(struct tb *);

/* The full AC fixture decodes, every field as written. */
static void
test_pdu_assoc_ac_fixture_decodes_every_field(void **state)
{
	struct pdu		*p = new_pdu();
	const struct pdu_assoc	*a = &p->u.assoc;
	const struct pdu_user_info *ui = &a->ui;
	struct pdu_iter		 it;
	struct pdu_str		 s;

	(void)state;
	assert_int_equal(pdu_decode(fx_assoc_ac, sizeof(fx_assoc_ac), NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	assert_int_equal(p->type, PDU_ASSOC_AC);
	assert_int_equal(a->protocol_version, 1);
	assert_ptr_equal(a->echo, fx_assoc_ac + 10);
	assert_true(str_eq(&a->app_context, UID_APP));
	assert_int_equal(a->n_pctx, 2);
	assert_int_equal(a->pctx[0].id, 1);
	assert_int_equal(a->pctx[0].result, PDU_PCTX_ACCEPTANCE);
	assert_int_equal(a->pctx[0].n_ts, 1);
	assert_true(str_eq(&a->pctx[0].ts, UID_IMPLICIT));
	assert_int_equal(a->pctx[0].abstract_syntax.len, 0);
	pdu_ts_iter(&it, &a->pctx[0]);
	assert_int_equal(pdu_iter_next(&it, &s), 1);
	assert_true(str_eq(&s, UID_IMPLICIT));
	assert_int_equal(pdu_iter_next(&it, &s), 0);
	assert_int_equal(a->pctx[1].id, 3);
	assert_int_equal(a->pctx[1].result,
	    PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED);
	assert_string_equal(pdu_pctx_result_name(a->pctx[1].result),
	    "abstract-syntax-not-supported");
	assert_true(str_eq(&a->pctx[1].ts, UID_IMPLICIT));
	assert_true(ui->has_max_length);
	assert_int_equal(ui->max_length, 32768);
	assert_true(str_eq(&ui->impl_class_uid, UID_IMPL));
	assert_true(ui->has_async_ops);
	assert_int_equal(ui->async_invoked, 1);
	assert_int_equal(ui->async_performed, 1);
	assert_int_equal(ui->n_roles, 1);
	assert_true(str_eq(&ui->roles[0].sop_class, UID_CT));
	assert_int_equal(ui->roles[0].scu, 1);
	assert_int_equal(ui->roles[0].scp, 0);
	assert_true(str_eq(&ui->impl_version, "DULTEST_1.0"));
	assert_int_equal(ui->n_ext_neg, 1);
	assert_true(str_eq_bytes(&ui->ext_neg[0].info, "\x01\x00\x00\x01", 4));
	assert_int_equal(ui->n_common_ext_neg, 0);
	assert_false(ui->has_user_identity);
	assert_true(ui->has_user_identity_ac);
	assert_true(str_eq(&ui->server_response, "tokn"));
	assert_int_equal(ui->skipped, 0);
	assert_int_equal(a->skipped, 0);
	free(p);
}

/*
 * Reserved bytes of the AC are not tested either, including the 64 bytes
 * that echo the RQ; 0xff in each decodes to the same thing.
 */
static void
test_pdu_assoc_ac_reserved_0xff_is_not_tested(void **state)
{
	/* PDU offsets of the reserved bytes of fx_assoc_ac after the echo. */
	static const size_t	 reserved[] = {
		1, 8, 9, 75,			/* header, fixed part, 0x10 */
		100, 104, 106, 108,		/* 0x21 ID 1 and its 0x40 */
		129, 133, 135, 137,		/* 0x21 ID 3 and its 0x40 */
		158, 162, 170, 204, 212,	/* 0x50, 0x51 ... 0x54 */
		245, 260, 295,			/* 0x55, 0x56, 0x59 */
	};
	struct pdu	*p = new_pdu(), *q = new_pdu();
	uint8_t		 m[sizeof(fx_assoc_ac)];
	size_t		 i;

	(void)state;
	memcpy(m, fx_assoc_ac, sizeof(m));
	for (i = 0; i < nitems(reserved); i++) {
		assert_int_equal(m[reserved[i]], 0);
		m[reserved[i]] = 0xff;
	}
	memset(m + 10, 0xff, PDU_AE_ECHO_LEN);
	assert_int_equal(pdu_decode(fx_assoc_ac, sizeof(fx_assoc_ac), NULL,
	    PDU_PHASE_AWAIT_RQ, p, NULL), PDU_OK);
	assert_int_equal(pdu_decode(m, sizeof(m), NULL, PDU_PHASE_AWAIT_RQ,
	    q, NULL), PDU_OK);
	assert_memory_equal(q->u.assoc.echo, m + 10, PDU_AE_ECHO_LEN);
	assert_int_equal(q->u.assoc.n_pctx, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(q->u.assoc.pctx[i].id, p->u.assoc.pctx[i].id);
		assert_int_equal(q->u.assoc.pctx[i].result,
		    p->u.assoc.pctx[i].result);
		assert_true(str_eq_bytes(&q->u.assoc.pctx[i].ts,
		    p->u.assoc.pctx[i].ts.p, p->u.assoc.pctx[i].ts.len));
	}
	assert_int_equal(q->u.assoc.ui.max_length, 32768);
	assert_int_equal(q->u.assoc.ui.async_invoked, 1);
	assert_int_equal(q->u.assoc.ui.n_roles, 1);
	assert_int_equal(q->u.assoc.ui.roles[0].scu, 1);
	assert_true(str_eq(&q->u.assoc.ui.impl_version, "DULTEST_1.0"));
	assert_int_equal(q->u.assoc.ui.n_ext_neg, 1);
	assert_true(str_eq(&q->u.assoc.ui.server_response, "tokn"));
	assert_int_equal(q->u.assoc.ui.skipped, 0);
	free(p);
	free(q);
}

/* AC contexts: one transfer syntax; a rejected one may lack it. */
static void
test_pdu_assoc_ac_transfer_syntax_rules(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();
	int			 k;

	(void)state;
	/* An accepted context without a transfer syntax. */
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_open(t, PDU_ITEM_PCTX_AC);
	tb_u8(t, 1);
	tb_fill(t, 0, 3);
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_NO_TRANSFER_SYNTAX);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_NO_TRANSFER_SYNTAX), 0);

	/* A rejected one without it decodes. */
	t->buf[68 + 25 + 6] = PDU_PCTX_USER_REJECTION;
	assert_int_equal(tb_decode_ac(t, a), PDU_OK);
	assert_int_equal(a->pctx[0].n_ts, 0);
	assert_int_equal(a->pctx[0].result, PDU_PCTX_USER_REJECTION);

	/* Two transfer syntaxes. */
	t->len = 0;
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_open(t, PDU_ITEM_PCTX_AC);
	tb_u8(t, 1);
	tb_fill(t, 0, 3);
	for (k = 0; k < 2; k++)
		tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_close(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_DUP_TRANSFER_SYNTAX);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_DUP_TRANSFER_SYNTAX), 5);

	/* An RQ's context item in an AC; no context at all. */
	t->len = 0;
	tb_rq_min(t);
	tb_ui_min(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_UNEXPECTED_ITEM);
	t->len = 0;
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_ui_min(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_NO_PCTX);
	assert_int_equal(a->err_item, PDU_ITEM_PCTX_AC);
	tb_free(t);
	free(a);
}

/* Start an AC body with one accepted context and open its user info. */
static void
ac_prefix(struct tb *t)
{
	t->len = 0;
	t->depth = 0;
	tb_rq_fixed(t, "A", "B");
	tb_item(t, PDU_ITEM_APP_CONTEXT, UID_APP);
	tb_open(t, PDU_ITEM_PCTX_AC);
	tb_u8(t, 1);
	tb_fill(t, 0, 3);
	tb_item(t, PDU_ITEM_TRANSFER_SYNTAX, UID_IMPLICIT);
	tb_close(t);
	tb_open(t, PDU_ITEM_USER_INFO);
}

/* In an AC the RQ's user identity sub-item is skipped; 0x59 is kept. */
static void
test_pdu_assoc_ac_user_identity_direction(void **state)
{
	struct tb		*t = tb_new();
	struct pdu_assoc	*a = new_assoc();

	(void)state;
	ac_prefix(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_RQ);
	tb_fill(t, 0xee, 3);			/* malformed, but skipped */
	tb_close(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_AC);
	tb_lstr(t, "");
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_OK);
	assert_false(a->ui.has_user_identity);
	assert_true(a->ui.has_user_identity_ac);
	assert_int_equal(a->ui.server_response.len, 0);
	assert_int_equal(a->ui.skipped, 1);

	/* Server response length past the sub-item. */
	ac_prefix(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_AC);
	tb_u16(t, 3);
	tb_u8(t, 'x');
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_FIELD_LENGTH);
	assert_int_equal(a->err_item, PDU_ITEM_USER_IDENTITY_AC);

	/* A byte after the server response. */
	ac_prefix(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_AC);
	tb_lstr(t, "x");
	tb_u8(t, 0);
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_ITEM_SIZE);

	/* Two of them. */
	ac_prefix(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_AC);
	tb_lstr(t, "x");
	tb_close(t);
	tb_open(t, PDU_ITEM_USER_IDENTITY_AC);
	tb_lstr(t, "y");
	tb_close(t);
	tb_close(t);
	assert_int_equal(tb_decode_ac(t, a), PDU_ERR_DUP_SUBITEM);
	tb_free(t);
	free(a);
}

/* The RJ fixture decodes to the names used in log lines. */
static void
test_pdu_assoc_rj_fixture_decodes_with_names(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		 m[sizeof(fx_assoc_rj)];

	(void)state;
	assert_int_equal(pdu_decode(fx_assoc_rj, sizeof(fx_assoc_rj), NULL,
	    PDU_PHASE_ASSOCIATED, p, NULL), PDU_OK);
	assert_int_equal(p->type, PDU_ASSOC_RJ);
	assert_int_equal(p->u.rj.result, PDU_RJ_PERMANENT);
	assert_int_equal(p->u.rj.source, PDU_RJ_SOURCE_USER);
	assert_int_equal(p->u.rj.reason, PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED);
	assert_string_equal(pdu_rj_result_name(p->u.rj.result),
	    "rejected-permanent");
	assert_string_equal(pdu_rj_source_name(p->u.rj.source),
	    "service-user");
	assert_string_equal(pdu_rj_reason_name(p->u.rj.source,
	    p->u.rj.reason), "called-AE-title-not-recognized");
	assert_int_equal(pdu_decode_assoc_rj(fx_assoc_rj + 6, 3, &p->u.rj),
	    PDU_ERR_FIXED_LENGTH);
	/* Reserved bytes 1 and 6 are not tested. */
	memcpy(m, fx_assoc_rj, sizeof(m));
	m[1] = m[6] = 0xff;
	assert_int_equal(pdu_decode(m, sizeof(m), NULL, PDU_PHASE_AWAIT_RQ,
	    p, NULL), PDU_OK);
	assert_int_equal(p->u.rj.result, 1);
	assert_int_equal(p->u.rj.source, 1);
	assert_int_equal(p->u.rj.reason, 7);
	free(p);
}

/* RELEASE-RQ and -RP decode; their reserved bytes are not tested. */
static void
test_pdu_release_decodes_and_ignores_reserved(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		 m[10];

	(void)state;
	assert_int_equal(pdu_decode(fx_release_rq, sizeof(fx_release_rq),
	    NULL, PDU_PHASE_ASSOCIATED, p, NULL), PDU_OK);
	assert_int_equal(p->type, PDU_RELEASE_RQ);
	assert_int_equal(p->len, 4);
	assert_int_equal(pdu_decode(fx_release_rp, sizeof(fx_release_rp),
	    NULL, PDU_PHASE_ASSOCIATED, p, NULL), PDU_OK);
	assert_int_equal(p->type, PDU_RELEASE_RP);
	memcpy(m, fx_release_rq, sizeof(m));
	memset(m + 6, 0xff, 4);
	m[1] = 0xff;
	assert_int_equal(pdu_decode(m, sizeof(m), NULL, PDU_PHASE_ASSOCIATED,
	    p, NULL), PDU_OK);
	assert_int_equal(pdu_decode_release(m + 6, 5), PDU_ERR_FIXED_LENGTH);
	free(p);
}

/* A-ABORT decodes raw, reserved source 1 and odd reasons included. */
static void
test_pdu_abort_decodes_raw_values(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		 m[10];

	(void)state;
	assert_int_equal(pdu_decode(fx_abort, sizeof(fx_abort), NULL,
	    PDU_PHASE_ASSOCIATED, p, NULL), PDU_OK);
	assert_int_equal(p->type, PDU_ABORT);
	assert_int_equal(p->u.abort.source, PDU_ABORT_SOURCE_PROVIDER);
	assert_int_equal(p->u.abort.reason, PDU_ABORT_UNEXPECTED_PDU);
	assert_string_equal(pdu_abort_source_name(p->u.abort.source),
	    "service-provider");
	assert_string_equal(pdu_abort_reason_name(p->u.abort.reason),
	    "unexpected-PDU");
	memcpy(m, fx_abort, sizeof(m));
	m[6] = m[7] = 0xff;
	m[8] = 1;
	m[9] = 0xff;
	assert_int_equal(pdu_decode(m, sizeof(m), NULL, PDU_PHASE_ASSOCIATED,
	    p, NULL), PDU_OK);
	assert_int_equal(p->u.abort.source, 1);
	assert_int_equal(p->u.abort.reason, 0xff);
	assert_string_equal(pdu_abort_source_name(1), "reserved");
	assert_string_equal(pdu_abort_reason_name(0xff), "unknown");
	free(p);
}

/* The one-PDV P-DATA fixture: context, control header, data. */
static void
test_pdu_pdata_one_pdv_decodes(void **state)
{
	struct pdu	*p = new_pdu();
	struct pdu_iter	 it;
	struct pdu_pdv	 pdv;

	(void)state;
	assert_int_equal(pdu_decode(fx_pdata_one, sizeof(fx_pdata_one), NULL,
	    PDU_PHASE_ASSOCIATED, p, NULL), PDU_OK);
	assert_int_equal(p->type, PDU_P_DATA_TF);
	assert_int_equal(p->len, 74);
	assert_int_equal(p->u.pdata.n_pdv, 1);
	assert_ptr_equal(p->u.pdata.items, fx_pdata_one + 6);
	assert_int_equal(p->u.pdata.len, 74);
	pdu_pdv_iter(&it, &p->u.pdata);
	assert_int_equal(pdu_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 1);
	assert_int_equal(pdv.mch, PDU_MCH_COMMAND | PDU_MCH_LAST);
	assert_int_equal(pdv.len, 68);
	assert_ptr_equal(pdv.data, fx_pdata_one + 12);
	assert_int_equal(pdu_pdv_next(&it, &pdv), 0);
	free(p);
}

/* Two PDVs in one PDU; bits 2-7 of the control header are masked off. */
static void
test_pdu_pdata_two_pdvs_mask_control_header(void **state)
{
	struct pdu	*p = new_pdu();
	struct pdu_iter	 it;
	struct pdu_pdv	 pdv;

	(void)state;
	assert_int_equal(pdu_decode(fx_pdata_two, sizeof(fx_pdata_two), NULL,
	    PDU_PHASE_ASSOCIATED, p, NULL), PDU_OK);
	assert_int_equal(p->u.pdata.n_pdv, 2);
	pdu_pdv_iter(&it, &p->u.pdata);
	assert_int_equal(pdu_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 3);
	assert_int_equal(pdv.mch, 0x03);
	assert_int_equal(pdv.len, 4);
	assert_memory_equal(pdv.data, "\xde\xad\xbe\xef", 4);
	assert_int_equal(pdu_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 3);
	assert_int_equal(pdv.mch, 0x00);
	assert_int_equal(pdv.len, 4);
	assert_memory_equal(pdv.data, "\x01\x02\x03\x04", 4);
	assert_int_equal(pdu_pdv_next(&it, &pdv), 0);
	free(p);
}

/*
 * PDV item lengths: below 2 (DCMTK issue in 2018, dicom-rs#260), 2^32-1
 * in a 6-byte PDU (DCMTK/dcmtk#87), and lengths that do not sum to the
 * PDU length by one byte either way.  A context ID must be odd.
 */
static void
test_pdu_pdata_bad_pdv_lengths_and_ids(void **state)
{
	static const uint8_t	 zero[] = { 0, 0, 0, 0, 1, 3 };
	static const uint8_t	 one[] = { 0, 0, 0, 1, 1, 3 };
	static const uint8_t	 huge[] = { 0xff, 0xff, 0xff, 0xff, 1, 3 };
	static const uint8_t	 long1[] = { 0, 0, 0, 5, 1, 3, 0xaa, 0xbb };
	static const uint8_t	 short1[] = { 0, 0, 0, 3, 1, 3, 0xaa, 0xbb };
	static const uint8_t	 short3[] = { 0, 0, 0, 2, 1, 3, 0, 0, 0,
				    0, 0, 0 };
	static const uint8_t	 even[] = { 0, 0, 0, 2, 2, 3 };
	static const uint8_t	 id0[] = { 0, 0, 0, 2, 0, 3 };
	static const uint8_t	 second[] = { 0, 0, 0, 2, 1, 3, 0, 0, 0, 2,
				    4, 0 };
	static const uint8_t	 empty[] = { 0, 0, 0, 2, 1, 3 };
	struct pdu_pdata	 pd;

	(void)state;
	assert_int_equal(pdu_decode_pdata(zero, sizeof(zero), &pd),
	    PDU_ERR_PDV_LENGTH);
	assert_int_equal(pdu_decode_pdata(one, sizeof(one), &pd),
	    PDU_ERR_PDV_LENGTH);
	assert_int_equal(pdu_decode_pdata(huge, sizeof(huge), &pd),
	    PDU_ERR_ITEM_LENGTH);
	assert_int_equal(pdu_decode_pdata(long1, sizeof(long1), &pd),
	    PDU_ERR_ITEM_LENGTH);
	assert_int_equal(pdu_decode_pdata(short1, sizeof(short1), &pd),
	    PDU_ERR_ITEM_SHORT);
	assert_int_equal(pd.err_offset, 7);
	assert_int_equal(pdu_decode_pdata(short3, sizeof(short3), &pd),
	    PDU_ERR_PDV_LENGTH);
	assert_int_equal(pdu_decode_pdata(even, sizeof(even), &pd),
	    PDU_ERR_PCTX_ID);
	assert_int_equal(pdu_decode_pdata(id0, sizeof(id0), &pd),
	    PDU_ERR_PCTX_ID);
	assert_int_equal(pdu_decode_pdata(second, sizeof(second), &pd),
	    PDU_ERR_PCTX_ID);
	assert_int_equal(pd.err_offset, 6);
	assert_int_equal(pdu_decode_pdata(empty, 5, &pd), PDU_ERR_PDATA_SHORT);
	assert_int_equal(pdu_decode_pdata(empty, sizeof(empty), &pd), PDU_OK);
	assert_int_equal(pd.n_pdv, 1);
	assert_int_equal(pdu_err_abort_reason(PDU_ERR_PDV_LENGTH), 6);
}

/* pdu_decode() takes the first PDU of a buffer that holds more. */
static void
test_pdu_decode_reports_bytes_used(void **state)
{
	struct pdu	*p = new_pdu();
	uint8_t		 two[20];
	size_t		 used = 0;

	(void)state;
	memcpy(two, fx_release_rq, 10);
	memcpy(two + 10, fx_abort, 10);
	assert_int_equal(pdu_decode(two, sizeof(two), NULL,
	    PDU_PHASE_ASSOCIATED, p, &used), PDU_OK);
	assert_int_equal(p->type, PDU_RELEASE_RQ);
	assert_int_equal(used, 10);
	assert_int_equal(pdu_decode(two + used, sizeof(two) - used, NULL,
	    PDU_PHASE_ASSOCIATED, p, &used), PDU_OK);
	assert_int_equal(p->type, PDU_ABORT);
	assert_int_equal(pdu_decode(two, 5, NULL, PDU_PHASE_ASSOCIATED, p,
	    &used), PDU_ERR_TRUNCATED);
	assert_int_equal(pdu_decode_body(0x09, two, 4, p),
	    PDU_ERR_UNKNOWN_TYPE);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdu_assoc_ac_fixture_decodes_every_field),
		cmocka_unit_test(test_pdu_assoc_ac_reserved_0xff_is_not_tested),
		cmocka_unit_test(test_pdu_assoc_ac_transfer_syntax_rules),
		cmocka_unit_test(test_pdu_assoc_ac_user_identity_direction),
		cmocka_unit_test(test_pdu_assoc_rj_fixture_decodes_with_names),
		cmocka_unit_test(test_pdu_release_decodes_and_ignores_reserved),
		cmocka_unit_test(test_pdu_abort_decodes_raw_values),
		cmocka_unit_test(test_pdu_pdata_one_pdv_decodes),
		cmocka_unit_test(test_pdu_pdata_two_pdvs_mask_control_header),
		cmocka_unit_test(test_pdu_pdata_bad_pdv_lengths_and_ids),
		cmocka_unit_test(test_pdu_decode_reports_bytes_used),
	};

	return (cmocka_run_group_tests_name("pdu_decode", tests, NULL, NULL));
}
