/*
 * test_worker.c: whole associations against the acceptor worker, the
 * paths that end well: association, C-ECHO, release (either side, and
 * both at once), rejections, a local abort, fragmentation to the peer's
 * maximum and a trickling requestor.  peer_harness.c forks the worker and
 * plays the peer; each test asserts the exact bytes the worker sent, the
 * exact state transitions of PS3.8 Table 9-10 it logged, and its exit
 * status.
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

/* The C-ECHO command sets match PS3.7 Tables 9.3-12/13, byte for byte. */
static void
test_worker_dimse_echo_sets_are_exact(void **state)
{
	static const uint8_t	 rq[] = {
		0, 0, 0, 0, 4, 0, 0, 0, 56, 0, 0, 0,
		0, 0, 2, 0, 18, 0, 0, 0, '1', '.', '2', '.', '8', '4', '0',
		'.', '1', '0', '0', '0', '8', '.', '1', '.', '1', 0,
		0, 0, 0, 1, 2, 0, 0, 0, 0x30, 0,
		0, 0, 0x10, 1, 2, 0, 0, 0, 7, 0,
		0, 0, 0, 8, 2, 0, 0, 0, 1, 1,
	};
	static const uint8_t	 rsp_tail[] = {
		0, 0, 0, 1, 2, 0, 0, 0, 0x30, 0x80,
		0, 0, 0x20, 1, 2, 0, 0, 0, 7, 0,
		0, 0, 0, 8, 2, 0, 0, 0, 1, 1,
		0, 0, 0, 9, 2, 0, 0, 0, 0, 0,
	};
	uint8_t			 buf[128];
	struct dimse_cmd	 c;
	ssize_t			 n;

	(void)state;
	n = dimse_echo_rq(buf, sizeof(buf), 7);
	assert_int_equal(n, sizeof(rq));
	assert_memory_equal(buf, rq, sizeof(rq));
	n = dimse_echo_rsp(buf, sizeof(buf), 7, 0);
	assert_int_equal(n, 38 + sizeof(rsp_tail));
	assert_int_equal(buf[8], 38 + sizeof(rsp_tail) - 12);
	assert_memory_equal(buf + 38, rsp_tail, sizeof(rsp_tail));
	assert_int_equal(dimse_parse(buf, (size_t)n, &c), DIMSE_OK);
	assert_int_equal(c.command, DIMSE_C_ECHO_RSP);
	assert_int_equal(c.rsp_to, 7);
	assert_true(c.has_status && c.status == 0);
	assert_string_equal(c.sop_class, DIMSE_VERIFICATION_UID);
	assert_int_equal(dimse_parse(buf, (size_t)n - 1, &c),
	    DIMSE_ERR_MALFORMED);
	assert_int_equal(dimse_echo_rq(buf, 20, 7), DIMSE_ERR_SPACE);
}

/* Association, one C-ECHO, peer-initiated release, peer closes: exit 0. */
static void
test_worker_echo_and_release_end_in_sta1(void **state)
{
	struct run	 r;

	(void)state;
	run_init(&r);
	run_start(&r);
	associate(&r);
	echo(&r, 1);
	echo(&r, 2);
	peer_send(&r, RELRQ, sizeof(RELRQ));
	expect_bytes(&r, RELRP, sizeof(RELRP));
	expect_step(&r, T_AR2);
	expect_step(&r, T_AR4);
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "outcome=released ");
	expect_log(&r, "pdus_in=4 ");
	expect_log(&r, "pdus_out=4 ");
	expect_log(&r, "handler=2");
	harness_teardown(state);
}

/* Two PDVs in one P-DATA-TF are two C-ECHOs: two answers, in order. */
static void
test_worker_two_pdvs_in_one_pdu_get_two_answers(void **state)
{
	struct run	 r;
	uint8_t		 a[256], b[256], both[512], rsp[256];
	size_t		 na, nb, n;

	(void)state;
	run_init(&r);
	run_start(&r);
	associate(&r);
	na = wt_echo_rq_pdu(a, sizeof(a), 1, 11);
	nb = wt_echo_rq_pdu(b, sizeof(b), 1, 12);
	/* One header whose length covers both PDV items. */
	memcpy(both, a, na);
	memcpy(both + na, b + PDU_HDR_LEN, nb - PDU_HDR_LEN);
	n = na + nb - PDU_HDR_LEN;
	both[2] = (uint8_t)((n - PDU_HDR_LEN) >> 24);
	both[3] = (uint8_t)((n - PDU_HDR_LEN) >> 16);
	both[4] = (uint8_t)((n - PDU_HDR_LEN) >> 8);
	both[5] = (uint8_t)(n - PDU_HDR_LEN);
	peer_send(&r, both, n);
	n = wt_echo_rsp_pdu(rsp, sizeof(rsp), 1, 11);
	expect_bytes(&r, rsp, n);
	n = wt_echo_rsp_pdu(rsp, sizeof(rsp), 1, 12);
	expect_bytes(&r, rsp, n);
	expect_step(&r, T_DT2);
	expect_step(&r, T_DT1);
	expect_step(&r, T_DT1);
	expect_step(&r, "Sta6 + Evt17 -> AA-4 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "outcome=connection-lost");
	harness_teardown(state);
}

/*
 * A peer announcing a maximum length of 16 gets the C-ECHO-RSP in
 * P-DATA-TF PDUs of at most 16 bytes, each with an even fragment, the
 * last one alone flagged last (PS3.8 Annex E).
 */
static void
test_worker_response_is_fragmented_to_peer_max(void **state)
{
	struct run	 r;
	uint8_t		 rq[256], ac[1024], pdu[64], cmd[256], exp[128];
	struct wt_rq	 o = { .max_len = 16 };
	size_t		 n, got = 0;
	ssize_t		 want;
	uint32_t	 len;
	int		 frags = 0, last = 0;

	(void)state;
	run_init(&r);
	run_start(&r);
	r.rqlen = wt_rq(r.rq, sizeof(r.rq), &o);
	peer_send(&r, r.rq, r.rqlen);
	expect_pdu(&r, PDU_ASSOC_AC, ac, sizeof(ac));
	n = wt_echo_rq_pdu(rq, sizeof(rq), 1, 3);
	peer_send(&r, rq, n);
	want = dimse_echo_rsp(exp, sizeof(exp), 3, 0);
	assert_true(want > 0);
	while (!last && frags < 64) {
		n = expect_pdu(&r, PDU_P_DATA_TF, pdu, sizeof(pdu));
		len = (uint32_t)(n - PDU_HDR_LEN);
		assert_true(len <= 16);
		assert_int_equal((pdu[6] << 24 | pdu[7] << 16 | pdu[8] << 8 |
		    pdu[9]) + 4, len);
		assert_int_equal(pdu[10], 1);
		assert_true(pdu[11] & PDU_MCH_COMMAND);
		last = pdu[11] & PDU_MCH_LAST;
		if (!last)
			assert_int_equal((len - 6) % 2, 0);
		memcpy(cmd + got, pdu + 12, len - 6);
		got += len - 6;
		frags++;
	}
	assert_true(last);
	assert_int_equal(got, (size_t)want);
	assert_memory_equal(cmd, exp, got);
	assert_int_equal(frags, ((size_t)want + 9) / 10);
	expect_step(&r, T_AE6);
	expect_step(&r, T_AE7);
	expect_step(&r, T_DT2);
	expect_step(&r, T_DT1);
	expect_step(&r, "Sta6 + Evt17 -> AA-4 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	harness_teardown(state);
}

/* The rejections of AE-6 (provider) and AE-8 (no context accepted). */
static void
test_worker_rejections_are_exact(void **state)
{
	static const struct wt_pctx	 ct = { 1, WT_CT_STORAGE,
					    { DIMSE_IMPLICIT_LE_UID, NULL } };
	static const struct wt_pctx	 explicit = { 1,
					    DIMSE_VERIFICATION_UID,
					    { DIMSE_EXPLICIT_LE_UID, NULL } };
	const struct {
		struct wt_rq	 o;
		uint8_t		 rj[3];
		int		 by_user;
		const char	*detail;
	} c[] = {
		{ { .called = "NOBODY" }, { 1, 1, 7 }, 0, "called" },
		{ { .version = 2 }, { 1, 2, 2 }, 0, "protocol version" },
		{ { .version = 0xfffe }, { 1, 2, 2 }, 0, "lacks bit 0" },
		{ { .max_len = 4 }, { 1, 2, 1 }, 0, "maximum length 4" },
		{ { .max_len = 7 }, { 1, 2, 1 }, 0, "maximum length 7" },
		{ { .n_pctx = 1, .pctx = &ct }, { 1, 1, 1 }, 1,
		    "no presentation context" },
		{ { .n_pctx = 1, .pctx = &explicit }, { 1, 1, 1 }, 1,
		    "no presentation context" },
	};
	uint8_t		 rj[10] = { 3, 0, 0, 0, 0, 4, 0 };
	struct run	 r;
	unsigned int	 i;

	for (i = 0; i < nitems(c); i++) {
		run_init(&r);
		run_start(&r);
		r.rqlen = wt_rq(r.rq, sizeof(r.rq), &c[i].o);
		peer_send(&r, r.rq, r.rqlen);
		memcpy(rj + 7, c[i].rj, 3);
		expect_bytes(&r, rj, sizeof(rj));
		expect_quiet(&r, 50);
		if (c[i].by_user) {
			expect_step(&r, T_AE6);
			expect_step(&r, "Sta3 + Evt8 -> AE-8 -> Sta13");
		} else
			expect_step(&r, "Sta2 + Evt6 -> AE-6 -> Sta13");
		expect_step(&r, T_AR5);
		run_check(&r, WORKER_EXIT_OK);
		expect_log(&r, "outcome=rejected(");
		expect_log(&r, c[i].detail);
		harness_teardown(state);
	}
}

/* After an RJ the worker waits ARTIM for the peer to close, then closes. */
static void
test_worker_reject_then_artim_closes(void **state)
{
	static const uint8_t	 rj[] = { 3, 0, 0, 0, 0, 4, 0, 1, 1, 7 };
	struct run		 r;
	uint64_t		 t0;

	(void)state;
	run_init(&r);
	run_start(&r);
	r.rqlen = wt_rq(r.rq, sizeof(r.rq), &(struct wt_rq){ .called = "X" });
	peer_send(&r, r.rq, r.rqlen);
	expect_bytes(&r, rj, sizeof(rj));
	t0 = io_now();
	expect_eof(&r, 300 + SLACK_MS);
	assert_true(since(t0) >= 250);
	expect_step(&r, "Sta2 + Evt6 -> AE-6 -> Sta13");
	expect_step(&r, "Sta13 + Evt18 -> AA-2 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "outcome=rejected(1,1,7:");
	harness_teardown(state);
}

/* The service user aborts: AA-1 sends A-ABORT (0, 0). */
static void
test_worker_local_abort_sends_abort_0_0(void **state)
{
	struct run	 r;

	(void)state;
	run_init(&r);
	r.su.flags = TSU_ABORT_AFTER_ACCEPT;
	run_start(&r);
	associate(&r);
	expect_bytes(&r, ABORT00, sizeof(ABORT00));
	expect_quiet(&r, 50);
	expect_step(&r, "Sta6 + Evt15 -> AA-1 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "outcome=aborted(0,0:");
	harness_teardown(state);
}

/* Both sides ask to release at once: AR-8, AR-10, then AR-4 (PS3.8 7.2). */
static void
test_worker_release_collision_as_acceptor(void **state)
{
	struct run	 r;

	reach(&r, 10);
	peer_send(&r, RELRP, sizeof(RELRP));
	expect_bytes(&r, RELRP, sizeof(RELRP));
	expect_quiet(&r, 50);
	expect_step(&r, "Sta10 + Evt13 -> AR-10 -> Sta12");
	expect_step(&r, "Sta12 + Evt14 -> AR-4 -> Sta13");
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "test su: release confirmation, collision 1");
	if (strstr(r.log, "test su: release indication") != NULL)
		fail_msg("the service user saw an A-RELEASE indication");
	expect_log(&r, "outcome=released ");
	harness_teardown(state);
}

/* The service user releases; the peer answers; we close (AR-3). */
static void
test_worker_user_release_is_confirmed(void **state)
{
	struct run	 r;

	reach(&r, 7);
	peer_send(&r, RELRP, sizeof(RELRP));
	expect_eof(&r, WAIT_MS);
	expect_step(&r, "Sta7 + Evt13 -> AR-3 -> Sta1");
	run_check(&r, WORKER_EXIT_OK);
	expect_log(&r, "test su: release confirmation, collision 0");
	expect_log(&r, "outcome=released ");
	harness_teardown(state);
}

/* An RQ trickled a byte every 10 ms is still taken within ARTIM. */
static void
test_worker_trickled_rq_is_accepted(void **state)
{
	struct run	 r;
	uint8_t		 ac[1024];
	uint64_t	 t0;
	size_t		 i, n;

	(void)state;
	run_init(&r);
	r.p.to.artim = 5000;
	run_start(&r);
	r.rqlen = wt_rq(r.rq, sizeof(r.rq), &(struct wt_rq){ 0 });
	t0 = io_now();
	for (i = 0; i < r.rqlen; i++) {
		peer_send(&r, r.rq + i, 1);
		poll(NULL, 0, 10);
	}
	assert_true(since(t0) >= r.rqlen * 10);
	n = wt_ac(ac, sizeof(ac), r.rq, PDU_PCTX_ACCEPTANCE,
	    DIMSE_IMPLICIT_LE_UID, PDU_DEFAULT_MAX_PDATA_LEN);
	expect_bytes(&r, ac, n);
	expect_step(&r, T_AE6);
	expect_step(&r, T_AE7);
	echo(&r, 9);
	peer_send(&r, RELRQ, sizeof(RELRQ));
	expect_bytes(&r, RELRP, sizeof(RELRP));
	expect_step(&r, T_AR2);
	expect_step(&r, T_AR4);
	expect_step(&r, T_AR5);
	run_check(&r, WORKER_EXIT_OK);
	harness_teardown(state);
}

/* A test that forks a worker, and kills it if the test fails. */
#define T(f)	cmocka_unit_test_teardown(f, harness_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_dimse_echo_sets_are_exact),
		T(test_worker_echo_and_release_end_in_sta1),
		T(test_worker_two_pdvs_in_one_pdu_get_two_answers),
		T(test_worker_response_is_fragmented_to_peer_max),
		T(test_worker_rejections_are_exact),
		T(test_worker_reject_then_artim_closes),
		T(test_worker_local_abort_sends_abort_0_0),
		T(test_worker_release_collision_as_acceptor),
		T(test_worker_user_release_is_confirmed),
		T(test_worker_trickled_rq_is_accepted),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests_name("worker", tests, NULL,
	    NULL));
}
