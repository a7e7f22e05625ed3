/*
 * test_worker_faults.c: the acceptor worker against peers and service
 * users that misbehave: A-ABORT and bad or out-of-sequence PDUs in every
 * state an acceptor reaches, every timer (ARTIM in Sta2 and Sta13, idle,
 * per-PDU, release, service user), a PDU over the announced maximum and
 * SIGTERM.  The abort codes are those of the battery's section 0.3 and
 * the settled decision 6.
 */

#include "compat.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dimse.h"
#include "io.h"
#include "pdu.h"
#include "worker.h"
#include "worker_testlib.h"
#include "peer_harness.h"

/* A peer's A-ABORT in every state an acceptor can be in: AA-2 or AA-3. */
static void
test_worker_peer_abort_in_every_state(void **state)
{
	static const int	 sta[] = { 2, 3, 6, 7, 8, 10, 13 };
	struct run		 r;
	unsigned int		 i;

	for (i = 0; i < nitems(sta); i++) {
		reach(&r, sta[i]);
		peer_send(&r, ABORT00, sizeof(ABORT00));
		expect_eof(&r, WAIT_MS);
		expect_step(&r, step_str(sta[i], 16,
		    sta[i] == 2 || sta[i] == 13 ? "AA-2" : "AA-3", 1));
		run_check(&r, WORKER_EXIT_OK);
		if (sta[i] != 2 && sta[i] != 13)
			expect_log(&r, "outcome=aborted-by-peer(0,0:");
		harness_teardown(state);
	}
}

/*
 * Sta12 lasts one step: AR-10 confirms the collided release and the
 * worker answers for its user at once (AR-4), so an A-ABORT sent right
 * behind the A-RELEASE-RP meets Sta13 (AA-2), after our A-RELEASE-RP.
 */
static void
test_worker_peer_abort_after_sta12_meets_sta13(void **state)
{
	struct run	 r;
	uint8_t		 two[20];

	reach(&r, 10);
	memcpy(two, RELRP, 10);
	memcpy(two + 10, ABORT00, 10);
	peer_send(&r, two, sizeof(two));
	expect_bytes(&r, RELRP, sizeof(RELRP));
	expect_eof(&r, WAIT_MS);
	expect_step(&r, "Sta10 + Evt13 -> AR-10 -> Sta12");
	expect_step(&r, "Sta12 + Evt14 -> AR-4 -> Sta13");
	expect_step(&r, "Sta13 + Evt16 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	harness_teardown(state);
}

/* No A-ASSOCIATE-RQ within ARTIM: close, send nothing (AA-2). */
static void
test_worker_artim_in_sta2_closes_silently(void **state)
{
	struct run	 r;
	uint64_t	 t0, dt;

	(void)state;
	run_init(&r);
	t0 = io_now();
	run_start(&r);
	expect_eof(&r, 300 + SLACK_MS);
	dt = since(t0);
	assert_true(dt >= 290 && dt <= 300 + SLACK_MS);
	expect_step(&r, "Sta2 + Evt18 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "no A-ASSOCIATE-RQ within ARTIM");
	harness_teardown(state);
}

/* A partial RQ does not hold the worker past ARTIM either. */
static void
test_worker_artim_bounds_a_partial_rq(void **state)
{
	struct run	 r;
	uint64_t	 t0;

	(void)state;
	run_init(&r);
	t0 = io_now();
	run_start(&r);
	r.rqlen = wt_rq(r.rq, sizeof(r.rq), &(struct wt_rq){ 0 });
	peer_send(&r, r.rq, r.rqlen / 2);
	expect_eof(&r, 300 + SLACK_MS);
	assert_true(since(t0) >= 290);
	expect_step(&r, "Sta2 + Evt18 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	harness_teardown(state);
}

/* After our A-RELEASE-RP, a peer that never closes is cut at ARTIM. */
static void
test_worker_artim_in_sta13_closes(void **state)
{
	struct run	 r;
	uint64_t	 t0, dt;

	(void)state;
	run_init(&r);
	run_start(&r);
	associate(&r);
	peer_send(&r, RELRQ, sizeof(RELRQ));
	expect_bytes(&r, RELRP, sizeof(RELRP));
	t0 = io_now();
	expect_eof(&r, 300 + SLACK_MS);
	dt = since(t0);
	assert_true(dt >= 250 && dt <= 300 + SLACK_MS);
	expect_step(&r, T_AR2);
	expect_step(&r, T_AR4);
	expect_step(&r, "Sta13 + Evt18 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "outcome=released ");
	harness_teardown(state);
}

/* A silent peer in Sta6 is aborted at the idle timeout with (0, 0). */
static void
test_worker_idle_in_sta6_aborts(void **state)
{
	struct run	 r;
	uint64_t	 t0, dt;

	(void)state;
	run_init(&r);
	run_start(&r);
	associate(&r);
	t0 = io_now();
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	dt = since(t0);
	assert_true(dt >= 250 && dt <= 300 + SLACK_MS);
	expect_eof(&r, 300 + SLACK_MS);
	expect_step(&r, "Sta6 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, "Sta13 + Evt18 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "idle timeout");
	harness_teardown(state);
}

/*
 * Bad and out-of-sequence PDUs in every state an acceptor can be in.
 * Sta2 answers with AA-1 (0, 0); Sta3 to Sta10 with AA-8: (2, 1) for an
 * unknown type, (2, 6) for a bad length, (2, 2) for a valid PDU out of
 * sequence; Sta13 with AA-7 for the bad ones and AA-6 (silence) for a
 * valid one, except a second A-ASSOCIATE-RQ (AA-7, (2, 2)).
 */
static void
test_worker_bad_pdu_in_every_state(void **state)
{
	static const int	 sta[] = { 2, 3, 6, 7, 8, 10, 13 };
	enum { UNKNOWN, BADLEN, AC, RQ, NKIND };
	const uint8_t		*exp;
	uint8_t			 pdu[1024], rq[1024];
	struct run		 r;
	unsigned int		 i, k;
	size_t			 n;
	const char		*act;
	int			 evt, silent, code;

	(void)state;
	n = wt_rq(rq, sizeof(rq), &(struct wt_rq){ 0 });
	for (i = 0; i < nitems(sta); i++)
	for (k = 0; k < NKIND; k++) {
		if (k == RQ && sta[i] != 6 && sta[i] != 13)
			continue;
		reach(&r, sta[i]);
		silent = 0;
		code = WORKER_EXIT_PROTOCOL;
		switch (k) {
		case UNKNOWN:
			peer_send(&r, UNKNOWN8, sizeof(UNKNOWN8));
			evt = 19;
			exp = ABORT21;
			break;
		case BADLEN:
			peer_send(&r, RELRQ_LEN5, sizeof(RELRQ_LEN5));
			evt = 19;
			exp = ABORT26;
			break;
		case AC:
			n = wt_ac(pdu, sizeof(pdu), rq, 0,
			    DIMSE_IMPLICIT_LE_UID, 16384);
			peer_send(&r, pdu, n);
			evt = 3;
			exp = ABORT22;
			break;
		default:
			peer_send(&r, rq, wt_rq(rq, sizeof(rq),
			    &(struct wt_rq){ 0 }));
			evt = 6;
			exp = ABORT22;
			break;
		}
		if (sta[i] == 2) {
			act = "AA-1";
			exp = ABORT00;
		} else if (sta[i] != 13)
			act = "AA-8";
		else if (evt == 19 || evt == 6)
			act = "AA-7";
		else {
			act = "AA-6";
			silent = 1;
			code = WORKER_EXIT_OK;
		}
		if (!silent)
			expect_bytes(&r, exp, 10);
		expect_quiet(&r, 50);
		expect_step(&r, step_str(sta[i], evt, act, 13));
		expect_step(&r, T_AR5);
		run_check(&r, code);
		harness_teardown(state);
	}
}

/* No A-RELEASE-RP within the release timeout: A-ABORT (0, 0). */
static void
test_worker_release_timeout_aborts(void **state)
{
	struct run	 r;
	uint64_t	 t0;

	(void)state;
	run_init(&r);
	r.su.flags = TSU_RELEASE_AFTER_ACCEPT;
	r.p.to.idle = 5000;
	run_start(&r);
	associate(&r);
	expect_bytes(&r, RELRQ, sizeof(RELRQ));
	t0 = io_now();
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	assert_true(since(t0) >= 250);
	expect_step(&r, T_AR1);
	expect_step(&r, "Sta7 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	harness_teardown(state);
}

/* A service user that never answers: RJ (2, 3, 1) before the AC. */
static void
test_worker_su_timeout_in_sta3_rejects(void **state)
{
	static const uint8_t	 rj[] = { 3, 0, 0, 0, 0, 4, 0, 2, 3, 1 };
	struct run		 r;
	uint64_t		 t0;

	(void)state;
	run_init(&r);
	r.su.flags = TSU_NO_ASSOC_ANSWER;
	t0 = io_now();
	run_start(&r);
	r.rqlen = wt_rq(r.rq, sizeof(r.rq), &(struct wt_rq){ 0 });
	peer_send(&r, r.rq, r.rqlen);
	expect_bytes(&r, rj, sizeof(rj));
	assert_true(since(t0) >= 250);
	expect_step(&r, T_AE6);
	expect_step(&r, "Sta3 + Evt8 -> AE-8 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	harness_teardown(state);
}

/* A service user that never answers A-RELEASE: A-ABORT (2, 0). */
static void
test_worker_su_timeout_in_sta8_aborts(void **state)
{
	struct run	 r;

	(void)state;
	run_init(&r);
	r.su.flags = TSU_NO_RELEASE_ANSWER;
	run_start(&r);
	associate(&r);
	peer_send(&r, RELRQ, sizeof(RELRQ));
	expect_bytes(&r, ABORT20, sizeof(ABORT20));
	expect_step(&r, T_AR2);
	expect_step(&r, "Sta8 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	expect_log(&r, "outcome=aborted(2,0:");
	harness_teardown(state);
}

/*
 * P-DATA-TF at exactly the announced maximum is taken; one byte more is
 * refused with A-ABORT (2, 6) as soon as its header is read.
 */
static void
test_worker_pdata_over_max_aborts_before_body(void **state)
{
	static const uint8_t	 over[] = { 4, 0, 0, 0, 0x40, 0x01 };
	uint8_t			*big;
	struct run		 r;

	(void)state;
	run_init(&r);
	r.p.to.idle = 5000;
	run_start(&r);
	associate(&r);
	/* One data-set PDV filling the PDU: PDU-length 16384. */
	assert_non_null(big = calloc(1, PDU_HDR_LEN + 16384));
	big[0] = 4;
	big[4] = 0x40;
	big[8] = 0x3f;
	big[9] = 0xfc;			/* item length 16380 */
	big[10] = 1;
	big[11] = PDU_MCH_LAST;
	peer_send(&r, big, PDU_HDR_LEN + 16384);
	free(big);
	expect_step(&r, T_DT2);
	echo(&r, 5);
	peer_send(&r, over, sizeof(over));
	expect_bytes(&r, ABORT26, sizeof(ABORT26));
	expect_quiet(&r, 50);
	expect_step(&r, "Sta6 + Evt19 -> AA-8 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	expect_log(&r, "bad PDU header type 0x04 length 16385");
	harness_teardown(state);
}

/* A PDV on a context that was not accepted is invalid: A-ABORT (2, 6). */
static void
test_worker_pdv_on_unaccepted_context_aborts(void **state)
{
	struct run	 r;
	uint8_t		 buf[256];
	size_t		 n;

	(void)state;
	run_init(&r);
	run_start(&r);
	associate(&r);
	n = wt_echo_rq_pdu(buf, sizeof(buf), 3, 1);
	peer_send(&r, buf, n);
	expect_bytes(&r, ABORT26, sizeof(ABORT26));
	expect_step(&r, "Sta6 + Evt19 -> AA-8 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	expect_log(&r, "unaccepted context 3");
	harness_teardown(state);
}

/* A peer that stops in the middle of a PDU meets the per-PDU deadline. */
static void
test_worker_stall_mid_pdu_aborts(void **state)
{
	struct run	 r;
	uint8_t		 buf[256];
	uint64_t	 t0, dt;

	(void)state;
	run_init(&r);
	r.p.to.idle = 5000;
	run_start(&r);
	associate(&r);
	wt_echo_rq_pdu(buf, sizeof(buf), 1, 1);
	peer_send(&r, buf, 9);
	t0 = io_now();
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	dt = since(t0);
	assert_true(dt >= 250 && dt <= 300 + SLACK_MS);
	expect_step(&r, "Sta6 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "peer stalled inside a PDU");
	harness_teardown(state);
}

/* SIGTERM on the signal pipe aborts an association, or closes before one. */
static void
test_worker_sigterm_aborts(void **state)
{
	struct run	 r;
	int		 sp[2];
	uint8_t		 sig = SIGTERM;

	(void)state;
	run_init(&r);
	r.p.to.idle = 5000;
	assert_int_equal(pipe(sp), 0);
	r.p.sigfd = sp[0];
	run_start(&r);
	close(sp[0]);
	associate(&r);
	assert_int_equal(write(sp[1], &sig, 1), 1);
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	close(sp[1]);
	expect_step(&r, "Sta6 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "server shutting down");
	harness_teardown(state);

	/* Before any RQ there is nothing to abort: close, as AA-2 does. */
	run_init(&r);
	assert_int_equal(pipe(sp), 0);
	r.p.sigfd = sp[0];
	run_start(&r);
	close(sp[0]);
	assert_int_equal(write(sp[1], &sig, 1), 1);
	expect_eof(&r, WAIT_MS);
	close(sp[1]);
	expect_step(&r, "Sta2 + Evt18 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	harness_teardown(state);
}

/*
 * An RQ the codec refuses (an even or a repeated context ID: settled
 * decision 5) gets AA-1's A-ABORT (0, 0), not an RJ.
 */
static void
test_worker_rq_with_bad_context_ids_aborts(void **state)
{
	static const struct wt_pctx	 even[] = {
		{ 2, DIMSE_VERIFICATION_UID, { DIMSE_IMPLICIT_LE_UID, NULL } },
	};
	static const struct wt_pctx	 twice[] = {
		{ 1, DIMSE_VERIFICATION_UID, { DIMSE_IMPLICIT_LE_UID, NULL } },
		{ 1, DIMSE_VERIFICATION_UID, { DIMSE_IMPLICIT_LE_UID, NULL } },
	};
	const struct wt_rq		 o[] = {
		{ .n_pctx = 1, .pctx = even },
		{ .n_pctx = 2, .pctx = twice },
	};
	struct run			 r;
	unsigned int			 i;

	for (i = 0; i < nitems(o); i++) {
		run_init(&r);
		run_start(&r);
		r.rqlen = wt_rq(r.rq, sizeof(r.rq), &o[i]);
		peer_send(&r, r.rq, r.rqlen);
		expect_bytes(&r, ABORT00, sizeof(ABORT00));
		expect_step(&r, "Sta2 + Evt19 -> AA-1 -> Sta13");
		expect_step(&r, T_AR5);
		run_check(&r, WORKER_EXIT_PROTOCOL);
		expect_log(&r, "invalid A-ASSOCIATE-RQ");
		harness_teardown(state);
	}
}

/* HTTP on the DICOM port: one A-ABORT (0, 0), then only draining. */
static void
test_worker_http_request_aborts_once(void **state)
{
	static const char	 get[] = "GET / HTTP/1.1\r\nHost: pacs\r\n"
				    "User-Agent: test\r\n\r\n";
	struct run		 r;

	(void)state;
	run_init(&r);
	run_start(&r);
	peer_send(&r, get, sizeof(get) - 1);
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	peer_send(&r, get, sizeof(get) - 1);
	expect_quiet(&r, 100);
	expect_step(&r, "Sta2 + Evt19 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	expect_log(&r, "(non-DICOM traffic: HTTP?)");
	harness_teardown(state);
}

/*
 * A length of 0xffffffff is refused from the header alone, before
 * anything is allocated or read: AA-1 in Sta2, AA-8 (2, 6) in Sta6.
 */
static void
test_worker_huge_lengths_abort_without_reading(void **state)
{
	static const uint8_t	 rq[] = { 1, 0, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t	 pd[] = { 4, 0, 0xff, 0xff, 0xff, 0xff };
	struct run		 r;

	run_init(&r);
	run_start(&r);
	peer_send(&r, rq, sizeof(rq));
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	expect_step(&r, "Sta2 + Evt19 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	expect_log(&r, "length 4294967295");
	harness_teardown(state);

	run_init(&r);
	r.p.to.idle = 5000;
	run_start(&r);
	associate(&r);
	peer_send(&r, pd, sizeof(pd));
	expect_bytes(&r, ABORT26, sizeof(ABORT26));
	expect_step(&r, "Sta6 + Evt19 -> AA-8 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	harness_teardown(state);
}

/*
 * A peer that sends C-ECHOs but never reads the answers: once the
 * worker's socket buffer is full, the send deadline turns the blocked
 * write into a transport failure, Evt17 (AA-4).
 */
static void
test_worker_peer_not_reading_meets_send_deadline(void **state)
{
	uint8_t		*many;
	struct run	 r;
	size_t		 one, i;
	uint64_t	 t0;

	(void)state;
	run_init(&r);
	r.p.to.idle = 5000;
	r.p.to.send = 300;
	r.sndbuf = 4096;
	r.keep_open = 1;
	r.tail_only = 1;
	run_start(&r);
	associate(&r);
	assert_non_null(many = malloc(400 * 128));
	one = wt_echo_rq_pdu(many, 128, 1, 1);
	for (i = 1; i < 400; i++)
		memcpy(many + i * one, many, one);
	t0 = io_now();
	peer_send(&r, many, 400 * one);
	free(many);
	r.nexp = 0;
	expect_step(&r, "Sta6 + Evt17 -> AA-4 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	assert_true(since(t0) >= 250);
	expect_log(&r, "detail=\"peer stopped reading (send timeout)\"");
	expect_log(&r, "outcome=connection-lost");
	harness_teardown(state);
}

/*
 * P-DATA the service user sends after the A-RELEASE indication (AR-7) is
 * not its answer: the deadline for that answer still holds.
 */
static void
test_worker_pdata_in_sta8_keeps_su_deadline(void **state)
{
	struct run	 r;
	uint8_t		 rsp[256];
	size_t		 n;
	uint64_t	 t0;

	(void)state;
	run_init(&r);
	r.su.flags = TSU_NO_RELEASE_ANSWER | TSU_PDATA_ON_RELEASE;
	r.p.to.idle = 5000;
	run_start(&r);
	associate(&r);
	t0 = io_now();
	peer_send(&r, RELRQ, sizeof(RELRQ));
	n = wt_echo_rsp_pdu(rsp, sizeof(rsp), 1, 99);
	expect_bytes(&r, rsp, n);
	expect_bytes(&r, ABORT20, sizeof(ABORT20));
	assert_true(since(t0) >= 250 && since(t0) <= 300 + SLACK_MS);
	expect_step(&r, T_AR2);
	expect_step(&r, "Sta8 + Evt9 -> AR-7 -> Sta8");
	expect_step(&r, "Sta8 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_PROTOCOL);
	expect_log(&r, "did not answer");
	harness_teardown(state);
}

/* A test that forks a worker, and kills it if the test fails. */
#define T(f)	cmocka_unit_test_teardown(f, harness_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_worker_peer_abort_in_every_state),
		T(test_worker_peer_abort_after_sta12_meets_sta13),
		T(test_worker_artim_in_sta2_closes_silently),
		T(test_worker_artim_bounds_a_partial_rq),
		T(test_worker_artim_in_sta13_closes),
		T(test_worker_idle_in_sta6_aborts),
		T(test_worker_bad_pdu_in_every_state),
		T(test_worker_release_timeout_aborts),
		T(test_worker_su_timeout_in_sta3_rejects),
		T(test_worker_su_timeout_in_sta8_aborts),
		T(test_worker_pdata_over_max_aborts_before_body),
		T(test_worker_pdv_on_unaccepted_context_aborts),
		T(test_worker_stall_mid_pdu_aborts),
		T(test_worker_sigterm_aborts),
		T(test_worker_rq_with_bad_context_ids_aborts),
		T(test_worker_http_request_aborts_once),
		T(test_worker_huge_lengths_abort_without_reading),
		T(test_worker_peer_not_reading_meets_send_deadline),
		T(test_worker_pdata_in_sta8_keeps_su_deadline),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests_name("worker_faults", tests, NULL,
	    NULL));
}
