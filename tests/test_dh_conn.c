/*
 * test_dh_conn.c: libdulhandler's session: HELLO, the association
 * answers, events and sending.  The worker's frames are encoded with the
 * codec into a file that stands in for fd 3; what the library writes to
 * its fd 4 (another file) is decoded and checked.  Files never block, so
 * one process plays both sides.
 */

#include "compat.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hipc.h"
#include "dulhandler.h"

#define V(s)	((struct hipc_view){ (const uint8_t *)(s), strlen(s) })
#define VERIFICATION	"1.2.840.10008.1.1"
#define CT_STORAGE	"1.2.840.10008.5.1.4.1.1.2"
#define IMPLICIT_LE	"1.2.840.10008.1.2"
#define EXPLICIT_LE	"1.2.840.10008.1.2.1"

/* The two files, and the frames read back from the output. */
struct conn_test {
	FILE		*in;		/* what the worker "sent" */
	FILE		*out;		/* what the handler wrote */
	uint8_t		*outbuf;
	size_t		 outlen;
	size_t		 outoff;
	uint8_t		 arena[16384];
	struct hipc_view ts1[2];
	struct hipc_view ts3[1];
	struct hipc_pctx pc[2];
};

/* Open both scratch files. */
static int
ct_setup(void **state)
{
	struct conn_test	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (-1);
	if ((t->in = tmpfile()) == NULL || (t->out = tmpfile()) == NULL) {
		if (t->in != NULL)
			fclose(t->in);
		free(t);
		return (-1);
	}
	*state = t;
	return (0);
}

/* Close what is left. */
static int
ct_teardown(void **state)
{
	struct conn_test	*t = *state;

	if (t->in != NULL)
		fclose(t->in);
	if (t->out != NULL)
		fclose(t->out);
	free(t->outbuf);
	free(t);
	return (0);
}

/* Append one encoded frame to the input file. */
static void
ct_put(struct conn_test *t, const struct hipc_msg *m)
{
	uint8_t	 buf[4096];
	size_t	 len;

	assert_int_equal(hipc_encode(m, buf, sizeof(buf), &len), HIPC_OK);
	assert_int_equal(fwrite(buf, 1, len, t->in), len);
}

/* Append a HELLO with the given versions and handler limit. */
static void
ct_hello(struct conn_test *t, uint16_t lo, uint16_t hi, uint32_t max_h2w)
{
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_HELLO;
	m.u.hello.version_min = lo;
	m.u.hello.version_max = hi;
	m.u.hello.software = V("dulserverd/0.1.0");
	m.u.hello.assoc_id = V("20260101T000000Z-abcd");
	m.u.hello.max_w2h = HIPC_LIMIT_MIN;
	m.u.hello.max_h2w = max_h2w;
	ct_put(t, &m);
}

/*
 * Fill in an ASSOC_IND: context 1 (Verification, two syntaxes, accepted
 * by policy with implicit LE) and 3 (CT, refused by policy).
 */
static void
ct_ind(struct conn_test *t, struct hipc_msg *m, int decided)
{
	struct hipc_assoc_ind	*a = &m->u.assoc_ind;

	memset(m, 0, sizeof(*m));
	m->type = HIPC_ASSOC_IND;
	a->app_context = V("1.2.840.10008.3.1.1.1");
	a->calling_ae = V("CT_1");
	a->called_ae = V("STORESCP");
	a->calling_ae_raw = V("CT_1            ");
	a->called_ae_raw = V("STORESCP        ");
	a->peer_addr = V("192.0.2.7");
	a->peer_port = 40001;
	a->local_addr = V("192.0.2.1");
	a->local_port = 104;
	a->assoc_id = V("20260101T000000Z-abcd");
	a->peer_max_pdu = 32768;
	t->ts1[0] = V(IMPLICIT_LE);
	t->ts1[1] = V(EXPLICIT_LE);
	t->ts3[0] = V(IMPLICIT_LE);
	memset(t->pc, 0, sizeof(t->pc));
	t->pc[0].id = 1;
	t->pc[0].abstract = V(VERIFICATION);
	t->pc[0].ts = t->ts1;
	t->pc[0].nts = 2;
	t->pc[0].result = 0;
	t->pc[0].result_ts = t->ts1[0];
	t->pc[1].id = 3;
	t->pc[1].abstract = V(CT_STORAGE);
	t->pc[1].ts = t->ts3;
	t->pc[1].nts = 1;
	t->pc[1].result = 3;
	a->pctx = t->pc;
	a->npctx = 2;
	a->our_max_pdu = 16384;
	a->our_impl_uid = V("2.25.37702220845173676206920092856050917640.1");
	a->decided = (uint8_t)decided;
}

/* Hand the input to the library as its fd 3, the output as its fd 4. */
static struct dh_conn *
ct_open(struct conn_test *t, int *err)
{
	int	 in, out;

	fflush(t->in);
	assert_int_equal(lseek(fileno(t->in), 0, SEEK_SET), 0);
	in = dup(fileno(t->in));
	out = dup(fileno(t->out));
	assert_true(in != -1 && out != -1);
	return (dh_open_fds(in, out, "test-handler", 0, err));
}

/* Read back the next frame the library wrote; returns its type or 0. */
static int
ct_get(struct conn_test *t, struct hipc_msg *m)
{
	struct hipc_hdr	 h;
	long		 n;

	if (t->outbuf == NULL) {
		fflush(t->out);
		assert_true((n = lseek(fileno(t->out), 0, SEEK_END)) >= 0);
		t->outlen = (size_t)n;
		assert_non_null(t->outbuf = malloc(t->outlen + 1));
		assert_int_equal(pread(fileno(t->out), t->outbuf, t->outlen,
		    0), (ssize_t)t->outlen);
	}
	if (t->outoff == t->outlen)
		return (0);
	assert_true(t->outlen - t->outoff >= HIPC_HDR_LEN);
	assert_int_equal(hipc_hdr_check(t->outbuf + t->outoff, HIPC_H2W,
	    HIPC_LIMIT_MAX, &h), HIPC_OK);
	assert_true(t->outlen - t->outoff - HIPC_HDR_LEN >= h.len);
	assert_int_equal(hipc_decode(h.type, t->outbuf + t->outoff +
	    HIPC_HDR_LEN, h.len, m, t->arena, sizeof(t->arena), NULL),
	    HIPC_OK);
	t->outoff += HIPC_HDR_LEN + h.len;
	return (h.type);
}

/* HELLO gets a HELLO_REPLY with version 1 and the handler's name. */
static void
ct_check_hello_reply(struct conn_test *t)
{
	struct hipc_msg	 m;

	assert_int_equal(ct_get(t, &m), HIPC_HELLO_REPLY);
	assert_int_equal(m.u.hello_reply.version, 1);
	assert_int_equal(m.u.hello_reply.name.len, 12);
	assert_memory_equal(m.u.hello_reply.name.p, "test-handler", 12);
}

/* The indication arrives whole; a per-context answer is checked and sent. */
static void
test_dh_conn_accept_with_choices(void **state)
{
	struct conn_test	*t = *state;
	const struct dh_assoc	*a;
	const struct dh_pctx	*pc;
	struct dh_conn		*c;
	struct dh_pc_choice	 ch = { 1, DH_PC_ACCEPT, EXPLICIT_LE };
	struct hipc_msg		 ind, m;
	int			 err;

	ct_hello(t, 1, 1, 1u << 20);
	ct_ind(t, &ind, 0);
	ct_put(t, &ind);
	assert_non_null(c = ct_open(t, &err));
	assert_string_equal(dh_assoc_id(c), "20260101T000000Z-abcd");
	assert_int_equal(dh_wait_assoc(c, &a), DH_OK);
	assert_string_equal(a->calling_ae, "CT_1");
	assert_string_equal(a->called_ae, "STORESCP");
	assert_string_equal(a->peer_addr, "192.0.2.7");
	assert_int_equal(a->peer_port, 40001);
	assert_int_equal(a->peer_max_pdu, 32768);
	assert_false(a->decided);
	assert_int_equal(a->npctx, 2);
	assert_int_equal(a->pctx[0].nts, 2);
	assert_string_equal(a->pctx[0].ts[1], EXPLICIT_LE);
	assert_string_equal(a->pctx[0].policy_ts, IMPLICIT_LE);
	assert_int_equal(a->pctx[1].policy_result, DH_PC_ABSTRACT_REJECT);
	/* Not yet answered: nothing may be sent. */
	assert_int_equal(dh_send_pdv(c, 1, 1, 1, "x", 1), DH_ERR_STATE);

	assert_int_equal(dh_accept(c, &ch, 1), DH_OK);
	assert_non_null(pc = dh_pctx_find(c, 1));
	assert_int_equal(pc->result, DH_PC_ACCEPT);
	assert_string_equal(pc->accepted_ts, EXPLICIT_LE);
	assert_int_equal(dh_pctx_find(c, 3)->result, DH_PC_ABSTRACT_REJECT);
	dh_close(c);

	ct_check_hello_reply(t);
	assert_int_equal(ct_get(t, &m), HIPC_ASSOC_RSP);
	assert_int_equal(m.u.assoc_rsp.decision, HIPC_DECISION_ACCEPT);
	assert_int_equal(m.u.assoc_rsp.nanswers, 1);
	assert_int_equal(hipc_assoc_rsp_check(&ind.u.assoc_ind,
	    &m.u.assoc_rsp), HIPC_OK);
	assert_int_equal(ct_get(t, &m), 0);
}

/* Answers naming what was never proposed are refused before sending. */
static void
test_dh_conn_bad_answers_are_refused(void **state)
{
	struct conn_test	*t = *state;
	const struct dh_assoc	*a;
	struct dh_conn		*c;
	struct dh_pc_choice	 bad_ts = { 1, DH_PC_ACCEPT, "1.2.3" };
	struct dh_pc_choice	 bad_id = { 9, DH_PC_ACCEPT, IMPLICIT_LE };
	struct dh_pc_choice	 twice[2] = { { 1, 2, NULL }, { 1, 2, NULL } };
	struct hipc_msg		 ind, m;
	int			 err;

	ct_hello(t, 1, 1, 1u << 20);
	ct_ind(t, &ind, 0);
	ct_put(t, &ind);
	assert_non_null(c = ct_open(t, &err));
	assert_int_equal(dh_wait_assoc(c, &a), DH_OK);
	assert_int_equal(dh_accept(c, &bad_ts, 1), DH_ERR_INVAL);
	assert_int_equal(dh_accept(c, &bad_id, 1), DH_ERR_INVAL);
	assert_int_equal(dh_accept(c, twice, 2), DH_ERR_INVAL);
	assert_int_equal(dh_reject(c, 3, DH_RJ_NO_REASON), DH_ERR_INVAL);
	assert_int_equal(dh_reject(c, DH_RJ_PERMANENT, 4), DH_ERR_INVAL);
	/* A reject as the service-user: source 1. */
	assert_int_equal(dh_reject(c, DH_RJ_TRANSIENT, DH_RJ_CALLED_AE),
	    DH_OK);
	assert_int_equal(dh_accept_as_proposed(c), DH_ERR_STATE);
	dh_close(c);

	ct_check_hello_reply(t);
	assert_int_equal(ct_get(t, &m), HIPC_ASSOC_RSP);
	assert_int_equal(m.u.assoc_rsp.decision, HIPC_DECISION_REJECT);
	assert_int_equal(m.u.assoc_rsp.rj_result, 2);
	assert_int_equal(m.u.assoc_rsp.rj_source, 1);
	assert_int_equal(m.u.assoc_rsp.rj_reason, 7);
	assert_int_equal(ct_get(t, &m), 0);
}

/* With no common version the handler says so with ERROR and gives up. */
static void
test_dh_conn_no_common_version_sends_error(void **state)
{
	struct conn_test	*t = *state;
	struct hipc_msg		 m;
	int			 err;

	ct_hello(t, HIPC_VERSION + 1, HIPC_VERSION + 3, 1u << 20);
	assert_null(ct_open(t, &err));
	assert_int_equal(err, DH_ERR_VERSION);
	assert_int_equal(ct_get(t, &m), HIPC_ERROR);
	assert_int_equal(m.u.error.code, HIPC_ECODE_VERSION);
}

/*
 * A decided association needs no answer; extensions and statistics are
 * skipped; P-DATA, release and EOF arrive as events.
 */
static void
test_dh_conn_events_in_order(void **state)
{
	struct conn_test	*t = *state;
	static const uint8_t	 ext[] = { 'D', 'U', 1, 0x9f, 0, 0, 0, 3,
	    'a', 'b', 'c' };
	const struct dh_assoc	*a;
	struct dh_conn		*c;
	struct dh_event		 ev;
	struct hipc_msg		 m;
	uint8_t			 pd[32];
	int			 err;

	ct_hello(t, 1, 1, 1u << 20);
	ct_ind(t, &m, 1);
	ct_put(t, &m);
	assert_int_equal(fwrite(ext, 1, sizeof(ext), t->in), sizeof(ext));
	memset(&m, 0, sizeof(m));
	m.type = HIPC_STATS;
	ct_put(t, &m);
	hipc_pdv_hdr_put(pd, 1, 0x01, 2);
	memcpy(pd + 6, "ab", 2);
	hipc_pdv_hdr_put(pd + 8, 1, 0x02, 3);
	memcpy(pd + 14, "cde", 3);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_PDATA_IND;
	m.u.pdata.pdvs = pd;
	m.u.pdata.len = 17;
	ct_put(t, &m);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_IND;
	ct_put(t, &m);

	assert_non_null(c = ct_open(t, &err));
	assert_int_equal(dh_wait_assoc(c, &a), DH_OK);
	assert_true(a->decided);
	assert_int_equal(dh_accept_as_proposed(c), DH_OK);
	assert_string_equal(dh_pctx_find(c, 1)->accepted_ts, IMPLICIT_LE);
	assert_int_equal(dh_next(c, &ev), DH_OK);
	assert_int_equal(ev.type, DH_EV_PDATA);
	assert_int_equal(ev.npdv, 2);
	assert_true(ev.pdv[0].is_command && !ev.pdv[0].is_last);
	assert_memory_equal(ev.pdv[0].data, "ab", 2);
	assert_true(!ev.pdv[1].is_command && ev.pdv[1].is_last);
	assert_int_equal(ev.pdv[1].len, 3);
	assert_int_equal(dh_next(c, &ev), DH_OK);
	assert_int_equal(ev.type, DH_EV_RELEASE_IND);
	assert_int_equal(dh_release_respond(c), DH_OK);
	assert_int_equal(dh_next(c, &ev), DH_OK);
	assert_int_equal(ev.type, DH_EV_EOF);
	dh_close(c);

	ct_check_hello_reply(t);
	assert_int_equal(ct_get(t, &m), HIPC_RELEASE_RSP);
	assert_int_equal(ct_get(t, &m), 0);
}

/* A PDV over the worker's limit goes out in pieces, "last" on the end. */
static void
test_dh_conn_send_pdv_splits_at_limit(void **state)
{
	struct conn_test	*t = *state;
	const struct dh_assoc	*a;
	struct dh_conn		*c;
	struct hipc_msg		 m;
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 p;
	uint8_t			*data, *back;
	size_t			 len = 150000, got = 0, i, frames = 0;
	int			 err, last = 0;

	assert_non_null(data = malloc(len));
	assert_non_null(back = malloc(len));
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 31);
	ct_hello(t, 1, 1, HIPC_LIMIT_MIN);
	ct_ind(t, &m, 1);
	ct_put(t, &m);
	assert_non_null(c = ct_open(t, &err));
	assert_int_equal(dh_wait_assoc(c, &a), DH_OK);
	assert_int_equal(dh_max_send(c), HIPC_LIMIT_MIN);
	assert_int_equal(dh_send_pdv(c, 3, 0, 1, data, 10), DH_ERR_INVAL);
	assert_int_equal(dh_send_pdv(c, 1, 0, 1, data, len), DH_OK);
	dh_close(c);

	ct_check_hello_reply(t);
	while (ct_get(t, &m) == HIPC_PDATA_REQ) {
		frames++;
		assert_true(m.u.pdata.len <= HIPC_LIMIT_MIN);
		assert_int_equal(m.u.pdata.npdv, 1);
		hipc_pdv_begin(&it, &m.u.pdata);
		assert_int_equal(hipc_pdv_next(&it, &p), 1);
		assert_int_equal(p.pcid, 1);
		assert_false(last);
		last = (p.mch & 0x02) != 0;
		assert_int_equal(p.mch & 0x01, 0);
		assert_true(got + p.len <= len);
		memcpy(back + got, p.data, p.len);
		got += p.len;
	}
	assert_int_equal(frames, 3);
	assert_true(last);
	assert_int_equal(got, len);
	assert_memory_equal(back, data, len);
	free(data);
	free(back);
}

/* A frame with bad magic, or cut short, is a protocol error, told back. */
static void
test_dh_conn_bad_frames_are_protocol_errors(void **state)
{
	struct conn_test	*t = *state;
	static const uint8_t	 bad[] = { 'X', 'U', 1, 0x30, 0, 0, 0, 0 };
	static const uint8_t	 cut[] = { 'D', 'U', 1, 0x10, 0, 0, 1, 0,
	    0, 1 };
	const struct dh_assoc	*a;
	struct dh_conn		*c;
	struct hipc_msg		 m;
	const uint8_t		*frames[] = { bad, cut };
	size_t			 lens[] = { sizeof(bad), sizeof(cut) };
	size_t			 i;
	int			 err;

	for (i = 0; i < nitems(frames); i++) {
		assert_int_equal(ftruncate(fileno(t->in), 0), 0);
		assert_int_equal(ftruncate(fileno(t->out), 0), 0);
		assert_int_equal(lseek(fileno(t->out), 0, SEEK_SET), 0);
		rewind(t->in);
		free(t->outbuf);
		t->outbuf = NULL;
		t->outoff = 0;
		ct_hello(t, 1, 1, 1u << 20);
		assert_int_equal(fwrite(frames[i], 1, lens[i], t->in),
		    lens[i]);
		assert_non_null(c = ct_open(t, &err));
		assert_int_equal(dh_wait_assoc(c, &a), DH_ERR_PROTOCOL);
		dh_close(c);
		ct_check_hello_reply(t);
		assert_int_equal(ct_get(t, &m), HIPC_ERROR);
		assert_int_equal(m.u.error.code, i == 0 ? HIPC_ECODE_MAGIC :
		    HIPC_ECODE_MALFORMED);
	}
}

/*
 * Our release request crossed the worker's release indication: the
 * indication is not ours to answer; the confirmation with collision = 1
 * ends the session, and no RELEASE_RSP is ever sent.
 */
static void
test_dh_conn_release_crossing_waits_for_cnf(void **state)
{
	struct conn_test	*t = *state;
	const struct dh_assoc	*a;
	struct dh_conn		*c;
	struct dh_event		 ev;
	struct hipc_msg		 m;
	int			 err;

	ct_hello(t, 1, 1, 1u << 20);
	ct_ind(t, &m, 1);
	ct_put(t, &m);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_IND;
	ct_put(t, &m);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_CNF;
	m.u.release_cnf.collision = 1;
	ct_put(t, &m);

	assert_non_null(c = ct_open(t, &err));
	assert_int_equal(dh_wait_assoc(c, &a), DH_OK);
	assert_int_equal(dh_accept_as_proposed(c), DH_OK);
	assert_int_equal(dh_release_request(c), DH_OK);
	assert_int_equal(dh_next(c, &ev), DH_OK);
	assert_int_equal(ev.type, DH_EV_RELEASE_CNF);
	assert_int_equal(ev.collision, 1);
	assert_int_equal(dh_release_respond(c), DH_ERR_STATE);
	assert_int_equal(dh_next(c, &ev), DH_OK);
	assert_int_equal(ev.type, DH_EV_EOF);
	dh_close(c);

	ct_check_hello_reply(t);
	assert_int_equal(ct_get(t, &m), HIPC_RELEASE_REQ);
	assert_int_equal(ct_get(t, &m), 0);
}

/* A release indication answers nothing when we did not ask to release. */
static void
test_dh_conn_release_ind_without_request_is_an_event(void **state)
{
	struct conn_test	*t = *state;
	const struct dh_assoc	*a;
	struct dh_conn		*c;
	struct dh_event		 ev;
	struct hipc_msg		 m;
	int			 err;

	ct_hello(t, 1, 1, 1u << 20);
	ct_ind(t, &m, 1);
	ct_put(t, &m);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_IND;
	ct_put(t, &m);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_CNF;
	ct_put(t, &m);

	assert_non_null(c = ct_open(t, &err));
	assert_int_equal(dh_wait_assoc(c, &a), DH_OK);
	assert_int_equal(dh_accept_as_proposed(c), DH_OK);
	assert_int_equal(dh_next(c, &ev), DH_OK);
	assert_int_equal(ev.type, DH_EV_RELEASE_IND);
	/* A confirmation nobody asked for is a protocol error. */
	assert_int_equal(dh_next(c, &ev), DH_ERR_PROTOCOL);
	dh_close(c);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, ct_setup, ct_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dh_conn_accept_with_choices),
		T(test_dh_conn_bad_answers_are_refused),
		T(test_dh_conn_no_common_version_sends_error),
		T(test_dh_conn_events_in_order),
		T(test_dh_conn_send_pdv_splits_at_limit),
		T(test_dh_conn_bad_frames_are_protocol_errors),
		T(test_dh_conn_release_crossing_waits_for_cnf),
		T(test_dh_conn_release_ind_without_request_is_an_event),
	};

	return (cmocka_run_group_tests_name("dh_conn", tests, NULL, NULL));
}
