/*
 * test_fsm.c: the DUL state machine.  PS3.8 Table 9-10 is transcribed
 * below as plain text, independently of src/fsm.c, parsed at run time and
 * compared with fsm_cell() cell by cell; then every cell is driven through
 * fsm_step() with a fake ops vtable and a virtual clock, and the paths an
 * acceptor and a requestor take are run as sequences.
 */

#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsm.h"
#include "log.h"

/*
 * PS3.8 Table 9-10, one row per event, one column per state.  A cell is
 * "." when the standard leaves it empty, else ACTION>NEXT, with NEXT
 * "a|b" where the action picks one of two states at run time.
 */
static const char table_9_10[] =
"       Sta1   Sta2      Sta3    Sta4   Sta5    Sta6    Sta7      Sta8    Sta9    Sta10    Sta11   Sta12   Sta13\n"
"Evt1   AE-1>4 .         .       .      .       .       .         .       .       .        .       .       .\n"
"Evt2   .      .         .       AE-2>5 .       .       .         .       .       .        .       .       .\n"
"Evt3   .      AA-1>13   AA-8>13 .      AE-3>6  AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13\n"
"Evt4   .      AA-1>13   AA-8>13 .      AE-4>1  AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13\n"
"Evt5   AE-5>2 .         .       .      .       .       .         .       .       .        .       .       .\n"
"Evt6   .      AE-6>3|13 AA-8>13 .      AA-8>13 AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-7>13\n"
"Evt7   .      .         AE-7>6  .      .       .       .         .       .       .        .       .       .\n"
"Evt8   .      .         AE-8>13 .      .       .       .         .       .       .        .       .       .\n"
"Evt9   .      .         .       .      .       DT-1>6  .         AR-7>8  .       .        .       .       .\n"
"Evt10  .      AA-1>13   AA-8>13 .      AA-8>13 DT-2>6  AR-6>7    AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13\n"
"Evt11  .      .         .       .      .       AR-1>7  .         .       .       .        .       .       .\n"
"Evt12  .      AA-1>13   AA-8>13 .      AA-8>13 AR-2>8  AR-8>9|10 AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13\n"
"Evt13  .      AA-1>13   AA-8>13 .      AA-8>13 AA-8>13 AR-3>1    AA-8>13 AA-8>13 AR-10>12 AR-3>1  AA-8>13 AA-6>13\n"
"Evt14  .      .         .       .      .       .       .         AR-4>13 AR-9>11 .        .       AR-4>13 .\n"
"Evt15  .      .         AA-1>13 AA-2>1 AA-1>13 AA-1>13 AA-1>13   AA-1>13 AA-1>13 AA-1>13  AA-1>13 AA-1>13 .\n"
"Evt16  .      AA-2>1    AA-3>1  .      AA-3>1  AA-3>1  AA-3>1    AA-3>1  AA-3>1  AA-3>1   AA-3>1  AA-3>1  AA-2>1\n"
"Evt17  .      AA-5>1    AA-4>1  AA-4>1 AA-4>1  AA-4>1  AA-4>1    AA-4>1  AA-4>1  AA-4>1   AA-4>1  AA-4>1  AR-5>1\n"
"Evt18  .      AA-2>1    .       .      .       .       .         .       .       .        .       .       AA-2>1\n"
"Evt19  .      AA-1>13   AA-8>13 .      AA-8>13 AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-7>13\n";

/* The test's own spelling of each action, in PS3.8 order. */
static const struct {
	const char	*name;
	enum fsm_action	 act;
} act_names[] = {
	{ "AE-1", ACT_AE1 }, { "AE-2", ACT_AE2 }, { "AE-3", ACT_AE3 },
	{ "AE-4", ACT_AE4 }, { "AE-5", ACT_AE5 }, { "AE-6", ACT_AE6 },
	{ "AE-7", ACT_AE7 }, { "AE-8", ACT_AE8 },
	{ "DT-1", ACT_DT1 }, { "DT-2", ACT_DT2 },
	{ "AR-1", ACT_AR1 }, { "AR-2", ACT_AR2 }, { "AR-3", ACT_AR3 },
	{ "AR-4", ACT_AR4 }, { "AR-5", ACT_AR5 }, { "AR-6", ACT_AR6 },
	{ "AR-7", ACT_AR7 }, { "AR-8", ACT_AR8 }, { "AR-9", ACT_AR9 },
	{ "AR-10", ACT_AR10 },
	{ "AA-1", ACT_AA1 }, { "AA-2", ACT_AA2 }, { "AA-3", ACT_AA3 },
	{ "AA-4", ACT_AA4 }, { "AA-5", ACT_AA5 }, { "AA-6", ACT_AA6 },
	{ "AA-7", ACT_AA7 }, { "AA-8", ACT_AA8 },
};

/* One parsed cell of the transcription. */
struct tcell {
	enum fsm_action	 act;
	enum fsm_state	 next;
	enum fsm_state	 alt;
};

static struct tcell	 tt[EVT_COUNT][STA_COUNT];

#define ARTIM_MS	30000
#define T0		5000
#define OLD_DEADLINE	12345

/* What the fake ops saw. */
struct fake {
	uint64_t	 now;
	char		 calls[512];
	int		 check_rc;	/* AE-6: 0 acceptable */
	struct fsm_rj	 check_rj;
	const void	*data;		/* the pointer events carry */
	struct fsm	*fsm;
	int		 reenter;	/* ops try to step the machine */
	int		 reenter_rc;
	/* The handler's view, kept as the worker would keep it. */
	int		 worker;
	char		 handler[256];
	int		 auto_release_rsp;
};

static int	 token;

/* Append one call to the record. */
static void __attribute__((format(printf, 2, 3)))
rec(struct fake *fo, const char *fmt, ...)
{
	size_t	 len = strlen(fo->calls);
	va_list	 ap;

	if (len != 0 && len < sizeof(fo->calls) - 1)
		fo->calls[len++] = ' ';
	va_start(ap, fmt);
	vsnprintf(fo->calls + len, sizeof(fo->calls) - len, fmt, ap);
	va_end(ap);
	if (fo->reenter && fo->fsm != NULL)
		fo->reenter_rc = fsm_step(fo->fsm, EVT15_ABORT_REQ, NULL);
}

/* Append one message to what the handler would see. */
static void
handler_msg(struct fake *fo, const char *msg)
{
	if (fo->handler[0] != '\0')
		strlcat(fo->handler, " ", sizeof(fo->handler));
	strlcat(fo->handler, msg, sizeof(fo->handler));
}

/* Name a data pointer: the one the event carried, or something else. */
static const char *
ptr(struct fake *fo, const void *p)
{
	return (p == fo->data ? "" : "(?)");
}

static uint64_t
f_now(void *ctx)
{
	return (((struct fake *)ctx)->now);
}

static void
f_connect(void *ctx)
{
	rec(ctx, "connect");
}

static void
f_accept(void *ctx)
{
	rec(ctx, "accept");
}

static void
f_close(void *ctx)
{
	rec(ctx, "close");
}

static void
f_send_rq(void *ctx)
{
	rec(ctx, "send_rq");
}

static void
f_send_ac(void *ctx, const void *rsp)
{
	rec(ctx, "send_ac%s", ptr(ctx, rsp));
}

static void
f_send_rj(void *ctx, const struct fsm_rj *rj)
{
	rec(ctx, "send_rj(%u,%u,%u)", rj->result, rj->source, rj->reason);
}

static void
f_send_pdata(void *ctx, const void *req)
{
	rec(ctx, "send_pdata%s", ptr(ctx, req));
}

static void
f_send_relrq(void *ctx)
{
	rec(ctx, "send_relrq");
}

static void
f_send_relrp(void *ctx)
{
	rec(ctx, "send_relrp");
}

static void
f_send_abort(void *ctx, uint8_t source, uint8_t reason)
{
	rec(ctx, "send_abort(%u,%u)", source, reason);
}

static int
f_check(void *ctx, const void *rq, struct fsm_rj *rj)
{
	struct fake	*fo = ctx;

	rec(fo, "check%s", ptr(fo, rq));
	if (fo->check_rc != 0 && fo->check_rj.result != 0xff)
		*rj = fo->check_rj;
	return (fo->check_rc);
}

static void
f_assoc_ind(void *ctx, const void *rq)
{
	rec(ctx, "assoc_ind%s", ptr(ctx, rq));
}

static void
f_cnf_accept(void *ctx, const void *ac)
{
	rec(ctx, "cnf_accept%s", ptr(ctx, ac));
}

static void
f_cnf_reject(void *ctx, const struct fsm_rj *rj, const void *pdu)
{
	rec(ctx, "cnf_reject(%u,%u,%u)%s", rj->result, rj->source,
	    rj->reason, ptr(ctx, pdu));
}

static void
f_pdata_ind(void *ctx, const void *pdu)
{
	rec(ctx, "pdata_ind%s", ptr(ctx, pdu));
}

static void
f_release_ind(void *ctx, int collision)
{
	struct fake	*fo = ctx;

	rec(fo, "release_ind(%d)", collision);
	/* The acceptor's handler asked for this release itself. */
	if (fo->worker && !(collision && fo->fsm->role == FSM_ACCEPTOR))
		handler_msg(fo, "RELEASE_IND");
}

static void
f_release_cnf(void *ctx, int collision)
{
	struct fake	*fo = ctx;

	rec(fo, "release_cnf(%d)", collision);
	if (fo->worker) {
		handler_msg(fo, collision ? "RELEASE_CNF(1)" :
		    "RELEASE_CNF(0)");
		/* ... and answer for it, since it saw no indication. */
		if (collision && fo->fsm->role == FSM_ACCEPTOR)
			fo->auto_release_rsp = 1;
	}
}

static void
f_abort_ind(void *ctx, uint8_t source, uint8_t reason)
{
	rec(ctx, "abort_ind(%u,%u)", source, reason);
}

static void
f_p_abort_ind(void *ctx, uint8_t reason)
{
	rec(ctx, "p_abort_ind(%u)", reason);
}

static const struct fsm_ops fake_ops = {
	.now = f_now,
	.transport_connect = f_connect,
	.transport_accept = f_accept,
	.transport_close = f_close,
	.send_assoc_rq = f_send_rq,
	.send_assoc_ac = f_send_ac,
	.send_assoc_rj = f_send_rj,
	.send_pdata = f_send_pdata,
	.send_release_rq = f_send_relrq,
	.send_release_rp = f_send_relrp,
	.send_abort = f_send_abort,
	.check_assoc_rq = f_check,
	.assoc_ind = f_assoc_ind,
	.assoc_cnf_accept = f_cnf_accept,
	.assoc_cnf_reject = f_cnf_reject,
	.pdata_ind = f_pdata_ind,
	.release_ind = f_release_ind,
	.release_cnf = f_release_cnf,
	.abort_ind = f_abort_ind,
	.p_abort_ind = f_p_abort_ind,
};

/* Look an action up by the test's own spelling of its name. */
static enum fsm_action
act_from_name(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(act_names); i++)
		if (strcmp(act_names[i].name, name) == 0)
			return (act_names[i].act);
	return (ACT_NONE);
}

/* Parse the transcription into tt[][]; fail the test on any typo. */
static void
parse_table(void)
{
	char		*copy, *line, *lsave, *tok, *tsave, *gt, *bar;
	int		 row, col, ev, st;
	const char	*errstr;

	memset(tt, 0, sizeof(tt));
	copy = strdup(table_9_10);
	assert_non_null(copy);
	row = 0;
	for (line = strtok_r(copy, "\n", &lsave); line != NULL;
	    line = strtok_r(NULL, "\n", &lsave), row++) {
		assert_true(row < EVT_COUNT);
		col = 0;
		ev = 0;
		for (tok = strtok_r(line, " ", &tsave); tok != NULL;
		    tok = strtok_r(NULL, " ", &tsave), col++) {
			assert_true(col <= 13);
			if (row == 0) {
				assert_int_equal(strncmp(tok, "Sta", 3), 0);
				st = strtonum(tok + 3, 1, 13, &errstr);
				assert_null(errstr);
				assert_int_equal(st, col + 1);
				continue;
			}
			if (col == 0) {
				assert_int_equal(strncmp(tok, "Evt", 3), 0);
				ev = strtonum(tok + 3, 1, 19, &errstr);
				assert_null(errstr);
				assert_int_equal(ev, row);
				continue;
			}
			st = col;
			if (strcmp(tok, ".") == 0)
				continue;
			gt = strchr(tok, '>');
			assert_non_null(gt);
			*gt++ = '\0';
			tt[ev][st].act = act_from_name(tok);
			if (tt[ev][st].act == ACT_NONE)
				fail_msg("Evt%d Sta%d: no action %s", ev, st,
				    tok);
			if ((bar = strchr(gt, '|')) != NULL) {
				*bar++ = '\0';
				tt[ev][st].alt = strtonum(bar, 1, 13, &errstr);
				assert_null(errstr);
			}
			tt[ev][st].next = strtonum(gt, 1, 13, &errstr);
			assert_null(errstr);
		}
		assert_int_equal(col, row == 0 ? 13 : 14);
	}
	assert_int_equal(row, EVT_COUNT);
	free(copy);
}

/* Start a machine in a given state with ARTIM as that state has it. */
static void
setup(struct fsm *fsm, struct fake *fo, enum fsm_role role,
    enum fsm_state st)
{
	memset(fo, 0, sizeof(*fo));
	fo->now = T0;
	fo->data = &token;
	fo->fsm = fsm;
	assert_int_equal(fsm_init(fsm, role, &fake_ops, fo, ARTIM_MS), FSM_OK);
	fsm->state = st;
	if (st == STA2_TRANSPORT_OPEN || st == STA13_AWAIT_CLOSE) {
		fsm->artim_running = 1;
		fsm->artim_deadline = OLD_DEADLINE;
	}
}

/* The argument tests give each event unless they say otherwise. */
static struct fsm_evarg
std_arg(enum fsm_event ev)
{
	struct fsm_evarg	 a;

	memset(&a, 0, sizeof(a));
	a.data = &token;
	switch (ev) {
	case EVT4_ASSOC_RJ_PDU:
		a.rj.result = 1;
		a.rj.source = 1;
		a.rj.reason = 3;
		break;
	case EVT8_ASSOC_REJECT:
		a.rj.result = 1;
		a.rj.source = 1;
		a.rj.reason = 7;
		break;
	case EVT19_INVALID_PDU:
		a.abort_reason = FSM_REASON_UNEXP_PARAM;
		break;
	default:
		break;
	}
	return (a);
}

/* Step the machine the way a worker would, then clear the record. */
static int
step(struct fsm *fsm, struct fake *fo, enum fsm_event ev,
    const struct fsm_evarg *arg)
{
	struct fsm_evarg	 a;
	int			 rc;

	fo->calls[0] = '\0';
	if (arg == NULL) {
		a = std_arg(ev);
		arg = &a;
	}
	rc = fsm_step(fsm, ev, arg);
	if (rc == FSM_OK && fo->auto_release_rsp) {
		fo->auto_release_rsp = 0;
		a = std_arg(EVT14_RELEASE_RSP);
		assert_int_equal(fsm_step(fsm, EVT14_RELEASE_RSP, &a),
		    FSM_OK);
	}
	return (rc);
}

/* ARTIM runs exactly in Sta2 and Sta13. */
static void
assert_artim_invariant(const struct fsm *fsm)
{
	int	 in = fsm->state == STA2_TRANSPORT_OPEN ||
		    fsm->state == STA13_AWAIT_CLOSE;

	assert_int_equal(fsm->artim_running, in);
	assert_int_equal(fsm_artim_deadline(fsm) != 0, in);
}

/* The enums carry PS3.8's numbers; the name tables print them. */
static void
test_fsm_names_are_the_standards(void **state)
{
	char	 buf[16];
	size_t	 i;
	int	 n;

	(void)state;
	assert_int_equal(STA1_IDLE, 1);
	assert_int_equal(STA6_ESTABLISHED, 6);
	assert_int_equal(STA13_AWAIT_CLOSE, 13);
	assert_int_equal(STA_COUNT, 14);
	assert_int_equal(EVT1_ASSOC_REQ, 1);
	assert_int_equal(EVT12_RELEASE_RQ_PDU, 12);
	assert_int_equal(EVT19_INVALID_PDU, 19);
	assert_int_equal(EVT_COUNT, 20);
	assert_int_equal(ACT_NONE, 0);
	assert_int_equal(ACT_AE1, 1);
	assert_int_equal(ACT_AE8, 8);
	for (n = 1; n <= 13; n++) {
		snprintf(buf, sizeof(buf), "Sta%d", n);
		assert_string_equal(fsm_state_name(n), buf);
		assert_true(strlen(fsm_state_desc(n)) > 3);
	}
	for (n = 1; n <= 19; n++) {
		snprintf(buf, sizeof(buf), "Evt%d", n);
		assert_string_equal(fsm_event_name(n), buf);
		assert_true(strlen(fsm_event_desc(n)) > 3);
	}
	assert_int_equal(nitems(act_names), ACT_COUNT - 1);
	for (i = 0; i < nitems(act_names); i++) {
		assert_string_equal(fsm_action_name(act_names[i].act),
		    act_names[i].name);
		assert_true(strlen(fsm_action_desc(act_names[i].act)) > 3);
	}
	assert_string_equal(fsm_state_name(STA_COUNT), "Sta?");
	assert_string_equal(fsm_event_name(EVT_COUNT), "Evt?");
	assert_string_equal(fsm_action_name(ACT_COUNT), "Act?");
	assert_string_equal(fsm_event_desc(EVT18_ARTIM_EXPIRED),
	    "ARTIM timer expired");
}

/* Every cell of fsm_rules agrees with the transcription above. */
static void
test_fsm_table_matches_transcription(void **state)
{
	struct fsm_rule	 r;
	int		 ev, st, defined = 0, empty = 0;

	(void)state;
	parse_table();
	for (ev = 0; ev < EVT_COUNT; ev++) {
		for (st = 0; st < STA_COUNT; st++) {
			r = fsm_cell(ev, st);
			if (r.act != tt[ev][st].act || r.next !=
			    tt[ev][st].next || r.alt != tt[ev][st].alt)
				fail_msg("Evt%d Sta%d: table %s>%d|%d, "
				    "transcription %s>%d|%d", ev, st,
				    fsm_action_name(r.act), r.next, r.alt,
				    fsm_action_name(tt[ev][st].act),
				    tt[ev][st].next, tt[ev][st].alt);
			if (ev == 0 || st == 0) {
				assert_int_equal(r.act, ACT_NONE);
				continue;
			}
			if (r.act == ACT_NONE)
				empty++;
			else
				defined++;
		}
	}
	assert_int_equal(defined, 123);
	assert_int_equal(empty, 19 * 13 - 123);
	r = fsm_cell(EVT_COUNT, STA1_IDLE);
	assert_int_equal(r.act, ACT_NONE);
	r = fsm_cell(EVT5_TRANSPORT_IND, STA_COUNT);
	assert_int_equal(r.act, ACT_NONE);
}

/* The empty-cell policy of fsm.h, written out again for the test. */
static int
expected_policy(enum fsm_event ev, enum fsm_state st, enum fsm_role role)
{
	if (role == FSM_ACCEPTOR &&
	    (ev == EVT1_ASSOC_REQ || ev == EVT2_TRANSPORT_CONF))
		return (FSM_ERR_IMPOSSIBLE);
	if (role == FSM_REQUESTOR && ev == EVT5_TRANSPORT_IND)
		return (FSM_ERR_IMPOSSIBLE);
	if (tt[ev][st].act != ACT_NONE)
		return (FSM_OK);
	if (ev == EVT15_ABORT_REQ && (st == STA1_IDLE ||
	    st == STA2_TRANSPORT_OPEN || st == STA13_AWAIT_CLOSE))
		return (FSM_IGNORED);
	switch (ev) {
	case EVT1_ASSOC_REQ:
	case EVT7_ASSOC_ACCEPT:
	case EVT8_ASSOC_REJECT:
	case EVT9_PDATA_REQ:
	case EVT11_RELEASE_REQ:
	case EVT14_RELEASE_RSP:
	case EVT15_ABORT_REQ:
		return (FSM_ERR_REFUSED);
	default:
		return (FSM_ERR_IMPOSSIBLE);
	}
}

/* Every empty cell, in both roles, is refused, ignored or impossible. */
static void
test_fsm_empty_cells_follow_policy(void **state)
{
	struct fsm	 fsm;
	struct fake	 fo;
	int		 ev, st, role, want, rc, empty = 0;
	int		 running;
	uint64_t	 deadline;

	(void)state;
	parse_table();
	for (role = FSM_ACCEPTOR; role <= FSM_REQUESTOR; role++) {
		for (ev = 1; ev < EVT_COUNT; ev++) {
			for (st = 1; st < STA_COUNT; st++) {
				want = expected_policy(ev, st, role);
				if (want == FSM_OK)
					continue;
				if (tt[ev][st].act == ACT_NONE && role == 0)
					empty++;
				setup(&fsm, &fo, role, st);
				running = fsm.artim_running;
				deadline = fsm.artim_deadline;
				fo.now = T0 + 99999;
				rc = step(&fsm, &fo, ev, NULL);
				if (rc != want)
					fail_msg("Evt%d Sta%d role %d: %s, "
					    "want %s", ev, st, role,
					    fsm_strerror(rc),
					    fsm_strerror(want));
				assert_int_equal(fsm.state, st);
				assert_string_equal(fo.calls, "");
				assert_int_equal(fsm.artim_running, running);
				assert_int_equal(fsm.artim_deadline, deadline);
				assert_int_equal(fsm.event, EVT_NONE);
			}
		}
	}
	assert_int_equal(empty, 247 - 123);
}

/* Whether a role can be in a state at all. */
static int
reachable(enum fsm_role role, enum fsm_state st)
{
	switch (st) {
	case STA2_TRANSPORT_OPEN:
	case STA3_AWAIT_LOCAL_RSP:
	case STA10_COLLISION_ACC_RP:
	case STA12_COLLISION_ACC_LOCAL:
		return (role == FSM_ACCEPTOR);
	case STA4_AWAIT_TRANSPORT_OPEN:
	case STA5_AWAIT_ASSOC_RSP:
	case STA9_COLLISION_REQ_LOCAL:
	case STA11_COLLISION_REQ_RP:
		return (role == FSM_REQUESTOR);
	default:
		return (1);
	}
}

enum artim_effect { KEEP, START, STOP };

/* What one action must do, as PS3.8 Tables 9-6 to 9-9 say. */
struct expect {
	char			 calls[128];
	enum fsm_state		 next;
	enum artim_effect	 artim;
};

/* Work out what a defined cell must do with std_arg()'s arguments. */
static void
expected_action(struct expect *x, enum fsm_event ev, enum fsm_state st,
    enum fsm_role role, int reject)
{
	enum fsm_action	 act = tt[ev][st].act;
	const char	*c = "";
	int		 reason;

	x->next = tt[ev][st].next;
	x->artim = KEEP;
	switch (act) {
	case ACT_AE1:
		c = "connect";
		break;
	case ACT_AE2:
		c = "send_rq";
		break;
	case ACT_AE3:
		c = "cnf_accept";
		break;
	case ACT_AE4:
		c = "cnf_reject(1,1,3) close";
		break;
	case ACT_AE5:
		c = "accept";
		x->artim = START;
		break;
	case ACT_AE6:
		if (reject) {
			c = "check send_rj(2,3,2)";
			x->next = tt[ev][st].alt;
			x->artim = START;
		} else {
			c = "check assoc_ind";
			x->artim = STOP;
		}
		break;
	case ACT_AE7:
		c = "send_ac";
		break;
	case ACT_AE8:
		c = "send_rj(1,1,7)";
		x->artim = START;
		break;
	case ACT_DT1:
	case ACT_AR7:
		c = "send_pdata";
		break;
	case ACT_DT2:
	case ACT_AR6:
		c = "pdata_ind";
		break;
	case ACT_AR1:
		c = "send_relrq";
		break;
	case ACT_AR2:
		c = "release_ind(0)";
		break;
	case ACT_AR3:
		c = st == STA11_COLLISION_REQ_RP ? "release_cnf(1) close" :
		    "release_cnf(0) close";
		break;
	case ACT_AR4:
		c = "send_relrp";
		x->artim = START;
		break;
	case ACT_AR5:
	case ACT_AA5:
		x->artim = STOP;
		break;
	case ACT_AR8:
		c = "release_ind(1)";
		x->next = role == FSM_REQUESTOR ? tt[ev][st].next :
		    tt[ev][st].alt;
		break;
	case ACT_AR9:
		c = "send_relrp";
		break;
	case ACT_AR10:
		c = "release_cnf(1)";
		break;
	case ACT_AA1:
		c = "send_abort(0,0)";
		x->artim = START;
		break;
	case ACT_AA2:
		c = "close";
		x->artim = STOP;
		break;
	case ACT_AA3:
		c = "abort_ind(0,0) close";
		break;
	case ACT_AA4:
		c = "p_abort_ind(0)";
		break;
	case ACT_AA6:
		break;
	case ACT_AA7:
		c = ev == EVT19_INVALID_PDU ? "send_abort(2,5)" :
		    "send_abort(2,2)";
		break;
	case ACT_AA8:
		reason = ev == EVT19_INVALID_PDU ? 5 : 2;
		snprintf(x->calls, sizeof(x->calls),
		    "send_abort(2,%d) p_abort_ind(%d)", reason, reason);
		x->artim = START;
		return;
	default:
		fail_msg("no expectation for Evt%d Sta%d", ev, st);
	}
	strlcpy(x->calls, c, sizeof(x->calls));
}

/* Every defined cell, in each role that can meet it, does its action. */
static void
test_fsm_every_defined_cell_runs_its_action(void **state)
{
	struct fsm	 fsm;
	struct fake	 fo;
	struct expect	 x;
	int		 ev, st, role, reject, runs = 0, rc;
	int		 was_running;
	uint64_t	 was_deadline;
	int		 covered[EVT_COUNT][STA_COUNT];

	(void)state;
	parse_table();
	memset(covered, 0, sizeof(covered));
	for (role = FSM_ACCEPTOR; role <= FSM_REQUESTOR; role++)
	for (ev = 1; ev < EVT_COUNT; ev++)
	for (st = 1; st < STA_COUNT; st++)
	for (reject = 0; reject <= 1; reject++) {
		if (tt[ev][st].act == ACT_NONE || !reachable(role, st) ||
		    expected_policy(ev, st, role) != FSM_OK)
			continue;
		if (reject && tt[ev][st].act != ACT_AE6)
			continue;
		setup(&fsm, &fo, role, st);
		fo.now = T0 + 1000;
		if (reject) {
			fo.check_rc = 1;
			fo.check_rj.result = 2;
			fo.check_rj.source = 3;
			fo.check_rj.reason = 2;
		}
		was_running = fsm.artim_running;
		was_deadline = fsm.artim_deadline;
		expected_action(&x, ev, st, role, reject);

		rc = step(&fsm, &fo, ev, NULL);
		if (rc != FSM_OK || fsm.state != x.next ||
		    strcmp(fo.calls, x.calls) != 0)
			fail_msg("role %d Sta%d + Evt%d -> %s: rc %d, Sta%d, "
			    "\"%s\"; want Sta%d, \"%s\"", role, st, ev,
			    fsm_action_name(tt[ev][st].act), rc, fsm.state,
			    fo.calls, x.next, x.calls);
		assert_int_equal(fsm.from, st);
		assert_int_equal(fsm.event, ev);
		assert_int_equal(fsm.action, tt[ev][st].act);
		switch (x.artim) {
		case START:
			assert_true(fsm.artim_running);
			assert_int_equal(fsm_artim_deadline(&fsm),
			    T0 + 1000 + ARTIM_MS);
			break;
		case STOP:
			assert_false(fsm.artim_running);
			assert_int_equal(fsm_artim_deadline(&fsm), 0);
			break;
		case KEEP:
			assert_int_equal(fsm.artim_running, was_running);
			assert_int_equal(fsm_artim_deadline(&fsm),
			    was_running ? was_deadline : 0);
			break;
		}
		assert_artim_invariant(&fsm);
		covered[ev][st] = 1;
		runs++;
	}
	/*
	 * The acceptor meets 88 cells (Sta1 Evt5 only; Sta2, 3, 6, 7, 8,
	 * 10, 12, 13) and AE-6 twice; the requestor 79 (Sta1 Evt1 only;
	 * Sta4, 5, 6, 7, 8, 9, 11, 13).  Between them, all 123.
	 */
	assert_int_equal(runs, 88 + 1 + 79);
	for (ev = 1; ev < EVT_COUNT; ev++)
		for (st = 1; st < STA_COUNT; st++)
			assert_int_equal(covered[ev][st],
			    tt[ev][st].act != ACT_NONE);
}

/* One step of a scripted path. */
struct pstep {
	enum fsm_event		 ev;
	enum fsm_state		 next;
	const char		*calls;
	enum artim_effect	 artim;
	uint64_t		 advance;	/* ms to move the clock first */
	const struct fsm_evarg	*arg;		/* NULL: std_arg() */
	int			 rc;		/* 0: FSM_OK */
};

/* Run a path from a fresh machine in Sta1, checking every step. */
static void
run_path(struct fsm *fsm, struct fake *fo, enum fsm_role role,
    const struct pstep *p, size_t n)
{
	size_t		 i;
	uint64_t	 before;
	enum fsm_state	 from;
	int		 rc;

	if (fsm->ops == NULL)
		setup(fsm, fo, role, STA1_IDLE);
	for (i = 0; i < n; i++) {
		fo->now += p[i].advance;
		before = fsm_artim_deadline(fsm);
		from = fsm->state;
		rc = step(fsm, fo, p[i].ev, p[i].arg);
		if (rc != p[i].rc || fsm->state != p[i].next ||
		    strcmp(fo->calls, p[i].calls) != 0)
			fail_msg("step %zu: Sta%d + Evt%d: rc %d, Sta%d, "
			    "\"%s\"; want rc %d, Sta%d, \"%s\"", i, from,
			    p[i].ev, rc, fsm->state, fo->calls, p[i].rc,
			    p[i].next, p[i].calls);
		switch (p[i].artim) {
		case START:
			assert_int_equal(fsm_artim_deadline(fsm),
			    fo->now + ARTIM_MS);
			break;
		case STOP:
			assert_int_equal(fsm_artim_deadline(fsm), 0);
			break;
		case KEEP:
			assert_int_equal(fsm_artim_deadline(fsm), before);
			break;
		}
		assert_artim_invariant(fsm);
	}
}

#define PATH(fsm, fo, role, p)	run_path(fsm, fo, role, p, nitems(p))

/* Path A: association, data both ways, peer release, peer closes. */
static void
test_fsm_path_a_normal_release_then_peer_closes(void **state)
{
	static const struct pstep p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 3, "check assoc_ind", STOP, 100, NULL,
		    0 },
		{ EVT7_ASSOC_ACCEPT, 6, "send_ac", KEEP, 100, NULL, 0 },
		{ EVT10_PDATA_PDU, 6, "pdata_ind", KEEP, 100, NULL, 0 },
		{ EVT9_PDATA_REQ, 6, "send_pdata", KEEP, 100, NULL, 0 },
		{ EVT10_PDATA_PDU, 6, "pdata_ind", KEEP, 100, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 8, "release_ind(0)", KEEP, 100,
		    NULL, 0 },
		{ EVT9_PDATA_REQ, 8, "send_pdata", KEEP, 100, NULL, 0 },
		{ EVT14_RELEASE_RSP, 13, "send_relrp", START, 100, NULL, 0 },
		{ EVT10_PDATA_PDU, 13, "", KEEP, 100, NULL, 0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 100, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
}

/* Path A, step 8: the peer never closes, so ARTIM closes for us. */
static void
test_fsm_path_a_artim_expiry_closes(void **state)
{
	static const struct pstep p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 3, "check assoc_ind", STOP, 0, NULL, 0 },
		{ EVT7_ASSOC_ACCEPT, 6, "send_ac", KEEP, 0, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 8, "release_ind(0)", KEEP, 0, NULL,
		    0 },
		{ EVT14_RELEASE_RSP, 13, "send_relrp", START, 7, NULL, 0 },
	};
	static const struct pstep q[] = {
		{ EVT18_ARTIM_EXPIRED, 1, "close", STOP, 0, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
	assert_int_equal(fsm_artim_deadline(&fsm), T0 + 7 + ARTIM_MS);
	assert_false(fsm_artim_expired(&fsm, T0 + 7 + ARTIM_MS - 1));
	assert_true(fsm_artim_expired(&fsm, T0 + 7 + ARTIM_MS));
	fo.now = T0 + 7 + ARTIM_MS;
	PATH(&fsm, &fo, FSM_ACCEPTOR, q);
	assert_false(fsm_artim_expired(&fsm, UINT64_MAX));
}

/* Path B: the user rejects; RJ goes out and ARTIM waits for the close. */
static void
test_fsm_path_b_user_reject(void **state)
{
	static const struct fsm_evarg	 rj = { .rj = { 2, 1, 1 } };
	static const struct pstep	 p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 3, "check assoc_ind", STOP, 0, NULL, 0 },
		{ EVT8_ASSOC_REJECT, 13, "send_rj(2,1,1)", START, 500, &rj,
		    0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 10, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
}

/* Path C: the provider rejects inside AE-6; the user hears nothing. */
static void
test_fsm_path_c_provider_reject_restarts_artim(void **state)
{
	static const struct pstep p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 13, "check send_rj(1,2,2)", START, 2000,
		    NULL, 0 },
		{ EVT18_ARTIM_EXPIRED, 1, "close", STOP, ARTIM_MS, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA1_IDLE);
	fo.check_rc = -1;
	fo.check_rj.result = 1;
	fo.check_rj.source = 2;
	fo.check_rj.reason = 2;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
}

/* AE-6 with a reject the provider check left unfilled sends (1, 2, 1). */
static void
test_fsm_ae6_default_reject_is_acse_no_reason(void **state)
{
	static const struct pstep p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 13, "check send_rj(1,2,1)", START, 0,
		    NULL, 0 },
	};
	static const struct pstep q[] = {
		{ EVT6_ASSOC_RQ_PDU, 13, "check send_rj(1,2,1)", START, 0,
		    NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA1_IDLE);
	fo.check_rc = 1;
	fo.check_rj.result = 0xff;	/* leave the provided default */
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);

	/* A triple that is not a PS3.8 code is replaced by the default. */
	setup(&fsm, &fo, FSM_ACCEPTOR, STA2_TRANSPORT_OPEN);
	fo.check_rc = 1;
	fo.check_rj.result = 9;
	fo.check_rj.source = 9;
	PATH(&fsm, &fo, FSM_ACCEPTOR, q);
}

/* Path D: no A-ASSOCIATE-RQ before ARTIM; close, send nothing. */
static void
test_fsm_path_d_no_rq_in_time(void **state)
{
	static const struct pstep p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT18_ARTIM_EXPIRED, 1, "close", STOP, ARTIM_MS, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
}

/* Path E: the peer drops or aborts before its A-ASSOCIATE-RQ. */
static void
test_fsm_path_e_peer_leaves_before_rq(void **state)
{
	static const struct pstep drop[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 1, NULL, 0 },
	};
	static const struct pstep abrt[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT16_ABORT_PDU, 1, "close", STOP, 1, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, drop);
	memset(&fsm, 0, sizeof(fsm));
	PATH(&fsm, &fo, FSM_ACCEPTOR, abrt);
}

/* Path F: a wrong PDU before the RQ gets A-ABORT (0, 0) and ARTIM anew. */
static void
test_fsm_path_f_wrong_pdu_before_rq_aborts_as_user(void **state)
{
	static const enum fsm_event	 evs[] = { EVT3_ASSOC_AC_PDU,
	    EVT4_ASSOC_RJ_PDU, EVT10_PDATA_PDU, EVT12_RELEASE_RQ_PDU,
	    EVT13_RELEASE_RP_PDU, EVT19_INVALID_PDU };
	static const struct pstep	 open[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
	};
	struct pstep	 p[] = {
		{ EVT_NONE, 13, "send_abort(0,0)", START, 700, NULL, 0 },
		{ EVT18_ARTIM_EXPIRED, 1, "close", STOP, ARTIM_MS, NULL, 0 },
	};
	struct fsm	 fsm;
	struct fake	 fo;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(evs); i++) {
		memset(&fsm, 0, sizeof(fsm));
		PATH(&fsm, &fo, FSM_ACCEPTOR, open);
		/* AA-1 restarts the ARTIM AE-5 started 700 ms earlier. */
		p[0].ev = evs[i];
		PATH(&fsm, &fo, FSM_ACCEPTOR, p);
		assert_int_equal(fsm.unframed, 0);
	}
}

/* An unknown PDU type loses framing: one A-ABORT, then nothing more. */
static void
test_fsm_unframed_pdu_allows_one_abort_only(void **state)
{
	static const struct fsm_evarg	 unk = { .abort_reason = 1,
					    .unframed = 1 };
	static const struct pstep	 sta2[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT19_INVALID_PDU, 13, "send_abort(0,0)", START, 0, &unk,
		    0 },
		{ EVT19_INVALID_PDU, 13, "", KEEP, 0, &unk, 0 },
		{ EVT6_ASSOC_RQ_PDU, 13, "", KEEP, 0, NULL, 0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 0, NULL, 0 },
	};
	static const struct pstep	 sta6[] = {
		{ EVT19_INVALID_PDU, 13, "send_abort(2,1) p_abort_ind(1)",
		    START, 0, &unk, 0 },
		{ EVT19_INVALID_PDU, 13, "", KEEP, 0, &unk, 0 },
	};
	static const struct pstep	 sta13[] = {
		{ EVT19_INVALID_PDU, 13, "send_abort(2,1)", KEEP, 0, &unk, 0 },
		{ EVT19_INVALID_PDU, 13, "", KEEP, 0, &unk, 0 },
		{ EVT6_ASSOC_RQ_PDU, 13, "", KEEP, 0, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, sta2);
	assert_int_equal(fsm.unframed, 1);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	PATH(&fsm, &fo, FSM_ACCEPTOR, sta6);
	assert_int_equal(fsm.unframed, 1);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA13_AWAIT_CLOSE);
	PATH(&fsm, &fo, FSM_ACCEPTOR, sta13);
	assert_int_equal(fsm.unframed, 1);
}

/* Path G: the peer's A-ABORT reaches the user by its source, then close. */
static void
test_fsm_path_g_peer_abort_indicated_by_source(void **state)
{
	static const struct fsm_evarg	 user = { .abort_source = 0 };
	static const struct fsm_evarg	 rsvd = { .abort_source = 1 };
	static const struct fsm_evarg	 prov = { .abort_source = 2,
					    .abort_reason = 6 };
	static const struct pstep	 p3[] = {
		{ EVT16_ABORT_PDU, 1, "p_abort_ind(6) close", KEEP, 0, &prov,
		    0 },
	};
	static const struct pstep	 p6[] = {
		{ EVT16_ABORT_PDU, 1, "abort_ind(0,0) close", KEEP, 0, &user,
		    0 },
	};
	static const struct pstep	 p8[] = {
		{ EVT16_ABORT_PDU, 1, "abort_ind(1,0) close", KEEP, 0, &rsvd,
		    0 },
	};
	static const struct pstep	 p12[] = {
		{ EVT16_ABORT_PDU, 1, "p_abort_ind(6) close", KEEP, 0, &prov,
		    0 },
	};
	struct fsm	 fsm;
	struct fake	 fo;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA3_AWAIT_LOCAL_RSP);
	PATH(&fsm, &fo, FSM_ACCEPTOR, p3);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	PATH(&fsm, &fo, FSM_ACCEPTOR, p6);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA8_AWAIT_LOCAL_RELEASE);
	PATH(&fsm, &fo, FSM_ACCEPTOR, p8);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA12_COLLISION_ACC_LOCAL);
	PATH(&fsm, &fo, FSM_ACCEPTOR, p12);
}

/* Path H: a local abort sends (0, 0), or (2, 0) when asked, then waits. */
static void
test_fsm_path_h_local_abort(void **state)
{
	static const struct fsm_evarg	 prov = { .abort_source = 2 };
	static const struct pstep	 p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT15_ABORT_REQ, 2, "", KEEP, 0, NULL, FSM_IGNORED },
		{ EVT6_ASSOC_RQ_PDU, 3, "check assoc_ind", STOP, 0, NULL, 0 },
		{ EVT7_ASSOC_ACCEPT, 6, "send_ac", KEEP, 0, NULL, 0 },
		{ EVT15_ABORT_REQ, 13, "send_abort(0,0)", START, 40, NULL,
		    0 },
		{ EVT15_ABORT_REQ, 13, "", KEEP, 40, NULL, FSM_IGNORED },
		{ EVT9_PDATA_REQ, 13, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 0, NULL, 0 },
		{ EVT15_ABORT_REQ, 1, "", KEEP, 0, NULL, FSM_IGNORED },
	};
	static const struct pstep	 q[] = {
		{ EVT15_ABORT_REQ, 13, "send_abort(2,0)", START, 0, &prov,
		    0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA8_AWAIT_LOCAL_RELEASE);
	PATH(&fsm, &fo, FSM_ACCEPTOR, q);
}

/* Path I: an unexpected PDU is AA-8 (2, 2); an invalid one, its reason. */
static void
test_fsm_path_i_unexpected_pdu_aborts_as_provider(void **state)
{
	static const struct fsm_evarg	 bad = { .abort_reason = 6 };
	static const struct fsm_evarg	 unk = { .abort_reason = 1 };
	static const enum fsm_event	 sta6_bad[] = { EVT3_ASSOC_AC_PDU,
	    EVT4_ASSOC_RJ_PDU, EVT6_ASSOC_RQ_PDU, EVT13_RELEASE_RP_PDU };
	static const struct pstep	 rq_then_data[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 3, "check assoc_ind", STOP, 0, NULL, 0 },
		{ EVT10_PDATA_PDU, 13, "send_abort(2,2) p_abort_ind(2)",
		    START, 0, NULL, 0 },
		{ EVT7_ASSOC_ACCEPT, 13, "", KEEP, 0, NULL,
		    FSM_ERR_REFUSED },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 0, NULL, 0 },
	};
	static const struct pstep	 inval[] = {
		{ EVT19_INVALID_PDU, 13, "send_abort(2,6) p_abort_ind(6)",
		    START, 0, &bad, 0 },
	};
	static const struct pstep	 unrec[] = {
		{ EVT19_INVALID_PDU, 13, "send_abort(2,1) p_abort_ind(1)",
		    START, 0, &unk, 0 },
	};
	struct pstep	 p[] = {
		{ EVT_NONE, 13, "send_abort(2,2) p_abort_ind(2)", START, 0,
		    NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;
	size_t		 i;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, rq_then_data);
	for (i = 0; i < nitems(sta6_bad); i++) {
		setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
		p[0].ev = sta6_bad[i];
		PATH(&fsm, &fo, FSM_ACCEPTOR, p);
	}
	setup(&fsm, &fo, FSM_ACCEPTOR, STA8_AWAIT_LOCAL_RELEASE);
	p[0].ev = EVT10_PDATA_PDU;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA10_COLLISION_ACC_RP);
	p[0].ev = EVT12_RELEASE_RQ_PDU;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	PATH(&fsm, &fo, FSM_ACCEPTOR, inval);
	setup(&fsm, &fo, FSM_ACCEPTOR, STA3_AWAIT_LOCAL_RSP);
	PATH(&fsm, &fo, FSM_ACCEPTOR, unrec);
}

/* Path J: the transport drops on an association; the user is told. */
static void
test_fsm_path_j_transport_lost(void **state)
{
	static const struct pstep	 p[] = {
		{ EVT17_TRANSPORT_CLOSED, 1, "p_abort_ind(0)", KEEP, 0, NULL,
		    0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", KEEP, 0, NULL,
		    FSM_ERR_IMPOSSIBLE },
	};
	static const enum fsm_state	 sts[] = { STA3_AWAIT_LOCAL_RSP,
	    STA6_ESTABLISHED, STA7_AWAIT_RELEASE_RP, STA8_AWAIT_LOCAL_RELEASE,
	    STA10_COLLISION_ACC_RP, STA12_COLLISION_ACC_LOCAL };
	struct fsm	 fsm;
	struct fake	 fo;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(sts); i++) {
		setup(&fsm, &fo, FSM_ACCEPTOR, sts[i]);
		PATH(&fsm, &fo, FSM_ACCEPTOR, p);
	}
}

/* Path K: we release; late data still arrives; we close after the RP. */
static void
test_fsm_path_k_local_release(void **state)
{
	static const struct pstep	 p[] = {
		{ EVT11_RELEASE_REQ, 7, "send_relrq", KEEP, 0, NULL, 0 },
		{ EVT9_PDATA_REQ, 7, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT11_RELEASE_REQ, 7, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT10_PDATA_PDU, 7, "pdata_ind", KEEP, 0, NULL, 0 },
		{ EVT13_RELEASE_RP_PDU, 1, "release_cnf(0) close", KEEP, 0,
		    NULL, 0 },
	};
	struct fsm	 fsm;
	struct fake	 fo;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
}

/* Path L: in Sta13 PDUs are dropped or aborted and local calls ignored. */
static void
test_fsm_path_l_anything_in_sta13(void **state)
{
	static const struct fsm_evarg	 prov = { .abort_source = 2 };
	static const struct pstep	 p[] = {
		{ EVT5_TRANSPORT_IND, 2, "accept", START, 0, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 3, "check assoc_ind", STOP, 0, NULL, 0 },
		{ EVT8_ASSOC_REJECT, 13, "send_rj(1,1,7)", START, 0, NULL, 0 },
		{ EVT3_ASSOC_AC_PDU, 13, "", KEEP, 10, NULL, 0 },
		{ EVT4_ASSOC_RJ_PDU, 13, "", KEEP, 10, NULL, 0 },
		{ EVT10_PDATA_PDU, 13, "", KEEP, 10, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 13, "", KEEP, 10, NULL, 0 },
		{ EVT13_RELEASE_RP_PDU, 13, "", KEEP, 10, NULL, 0 },
		{ EVT6_ASSOC_RQ_PDU, 13, "send_abort(2,2)", KEEP, 10, NULL,
		    0 },
		{ EVT19_INVALID_PDU, 13, "send_abort(2,5)", KEEP, 10, NULL,
		    0 },
		{ EVT15_ABORT_REQ, 13, "", KEEP, 10, NULL, FSM_IGNORED },
		{ EVT15_ABORT_REQ, 13, "", KEEP, 10, &prov, FSM_IGNORED },
		{ EVT7_ASSOC_ACCEPT, 13, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT9_PDATA_REQ, 13, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT11_RELEASE_REQ, 13, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT14_RELEASE_RSP, 13, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT5_TRANSPORT_IND, 13, "", KEEP, 0, NULL,
		    FSM_ERR_IMPOSSIBLE },
		{ EVT16_ABORT_PDU, 1, "close", STOP, 0, NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);
}

/*
 * Release collision, acceptor side (PS3.8 section 9.2), with the fake
 * doing what the handler protocol asks of the worker: the handler sees
 * RELEASE_CNF(1) and no RELEASE_IND, and the worker answers for it.
 */
static void
test_fsm_collision_acceptor_handler_sees_only_cnf(void **state)
{
	static const struct pstep	 p[] = {
		{ EVT11_RELEASE_REQ, 7, "send_relrq", KEEP, 0, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 10, "release_ind(1)", KEEP, 0, NULL,
		    0 },
		{ EVT14_RELEASE_RSP, 10, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT9_PDATA_REQ, 10, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT13_RELEASE_RP_PDU, 12, "release_cnf(1)", KEEP, 0, NULL,
		    0 },
		{ EVT14_RELEASE_RSP, 13, "send_relrp", START, 0, NULL, 0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 0, NULL, 0 },
	};
	static const struct pstep	 w[] = {
		{ EVT11_RELEASE_REQ, 7, "send_relrq", KEEP, 0, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 10, "release_ind(1)", KEEP, 0, NULL,
		    0 },
		/* AR-10, then the worker's own Evt14 runs AR-4. */
		{ EVT13_RELEASE_RP_PDU, 13, "release_cnf(1) send_relrp",
		    START, 0, NULL, 0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 0, NULL, 0 },
	};
	struct fsm	 fsm;
	struct fake	 fo;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	PATH(&fsm, &fo, FSM_ACCEPTOR, p);

	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	fo.worker = 1;
	PATH(&fsm, &fo, FSM_ACCEPTOR, w);
	assert_string_equal(fo.handler, "RELEASE_CNF(1)");
}

/* Release collision, requestor side: answer first, then close on the RP. */
static void
test_fsm_collision_requestor(void **state)
{
	static const struct pstep	 p[] = {
		{ EVT1_ASSOC_REQ, 4, "connect", KEEP, 0, NULL, 0 },
		{ EVT2_TRANSPORT_CONF, 5, "send_rq", KEEP, 0, NULL, 0 },
		{ EVT3_ASSOC_AC_PDU, 6, "cnf_accept", KEEP, 0, NULL, 0 },
		{ EVT11_RELEASE_REQ, 7, "send_relrq", KEEP, 0, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 9, "release_ind(1)", KEEP, 0, NULL,
		    0 },
		{ EVT10_PDATA_PDU, 13, "send_abort(2,2) p_abort_ind(2)",
		    START, 0, NULL, 0 },
	};
	static const struct pstep	 q[] = {
		{ EVT14_RELEASE_RSP, 11, "send_relrp", KEEP, 0, NULL, 0 },
		{ EVT14_RELEASE_RSP, 11, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT13_RELEASE_RP_PDU, 1, "release_cnf(1) close", KEEP, 0,
		    NULL, 0 },
	};
	struct fsm	 fsm = { 0 };
	struct fake	 fo;

	(void)state;
	/* A P-DATA in Sta9 is AA-8: only Sta7 and Sta8 allow data. */
	PATH(&fsm, &fo, FSM_REQUESTOR, p);

	/* The requestor's user sees the indication and answers it. */
	setup(&fsm, &fo, FSM_REQUESTOR, STA1_IDLE);
	fo.worker = 1;
	run_path(&fsm, &fo, FSM_REQUESTOR, p, 5);
	PATH(&fsm, &fo, FSM_REQUESTOR, q);
	assert_string_equal(fo.handler, "RELEASE_IND RELEASE_CNF(1)");
}

/* The requestor's paths: accepted and released, rejected, cut short. */
static void
test_fsm_requestor_paths(void **state)
{
	static const struct pstep	 ok[] = {
		{ EVT5_TRANSPORT_IND, 1, "", KEEP, 0, NULL,
		    FSM_ERR_IMPOSSIBLE },
		{ EVT1_ASSOC_REQ, 4, "connect", KEEP, 0, NULL, 0 },
		{ EVT1_ASSOC_REQ, 4, "", KEEP, 0, NULL, FSM_ERR_REFUSED },
		{ EVT2_TRANSPORT_CONF, 5, "send_rq", KEEP, 0, NULL, 0 },
		{ EVT3_ASSOC_AC_PDU, 6, "cnf_accept", KEEP, 0, NULL, 0 },
		{ EVT9_PDATA_REQ, 6, "send_pdata", KEEP, 0, NULL, 0 },
		{ EVT10_PDATA_PDU, 6, "pdata_ind", KEEP, 0, NULL, 0 },
		{ EVT11_RELEASE_REQ, 7, "send_relrq", KEEP, 0, NULL, 0 },
		{ EVT13_RELEASE_RP_PDU, 1, "release_cnf(0) close", KEEP, 0,
		    NULL, 0 },
	};
	static const struct pstep	 rj[] = {
		{ EVT1_ASSOC_REQ, 4, "connect", KEEP, 0, NULL, 0 },
		{ EVT2_TRANSPORT_CONF, 5, "send_rq", KEEP, 0, NULL, 0 },
		{ EVT4_ASSOC_RJ_PDU, 1, "cnf_reject(1,1,3) close", KEEP, 0,
		    NULL, 0 },
	};
	static const struct pstep	 cut[] = {
		{ EVT1_ASSOC_REQ, 4, "connect", KEEP, 0, NULL, 0 },
		{ EVT15_ABORT_REQ, 1, "close", STOP, 0, NULL, 0 },
	};
	static const struct pstep	 lost[] = {
		{ EVT1_ASSOC_REQ, 4, "connect", KEEP, 0, NULL, 0 },
		{ EVT2_TRANSPORT_CONF, 5, "send_rq", KEEP, 0, NULL, 0 },
		{ EVT18_ARTIM_EXPIRED, 5, "", KEEP, 0, NULL,
		    FSM_ERR_IMPOSSIBLE },
		{ EVT15_ABORT_REQ, 13, "send_abort(0,0)", START, 0, NULL, 0 },
		{ EVT18_ARTIM_EXPIRED, 1, "close", STOP, ARTIM_MS, NULL, 0 },
	};
	static const struct pstep	 peer_rel[] = {
		{ EVT1_ASSOC_REQ, 4, "connect", KEEP, 0, NULL, 0 },
		{ EVT2_TRANSPORT_CONF, 5, "send_rq", KEEP, 0, NULL, 0 },
		{ EVT3_ASSOC_AC_PDU, 6, "cnf_accept", KEEP, 0, NULL, 0 },
		{ EVT12_RELEASE_RQ_PDU, 8, "release_ind(0)", KEEP, 0, NULL,
		    0 },
		{ EVT14_RELEASE_RSP, 13, "send_relrp", START, 0, NULL, 0 },
		{ EVT17_TRANSPORT_CLOSED, 1, "", STOP, 0, NULL, 0 },
	};
	struct fsm	 fsm;
	struct fake	 fo;

	(void)state;
	memset(&fsm, 0, sizeof(fsm));
	PATH(&fsm, &fo, FSM_REQUESTOR, ok);
	memset(&fsm, 0, sizeof(fsm));
	PATH(&fsm, &fo, FSM_REQUESTOR, rj);
	memset(&fsm, 0, sizeof(fsm));
	PATH(&fsm, &fo, FSM_REQUESTOR, cut);
	memset(&fsm, 0, sizeof(fsm));
	PATH(&fsm, &fo, FSM_REQUESTOR, lost);
	memset(&fsm, 0, sizeof(fsm));
	PATH(&fsm, &fo, FSM_REQUESTOR, peer_rel);
}

/* Bad arguments are refused without a change of state or any call. */
static void
test_fsm_bad_arguments_are_refused(void **state)
{
	struct fsm_evarg	 a;
	struct fsm		 fsm;
	struct fake		 fo;
	struct fsm_ops		 ops = fake_ops;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA3_AWAIT_LOCAL_RSP);
	assert_int_equal(step(&fsm, &fo, EVT_NONE, NULL), FSM_ERR_ARG);
	assert_int_equal(step(&fsm, &fo, EVT_COUNT, NULL), FSM_ERR_ARG);
	assert_int_equal(step(&fsm, &fo, (enum fsm_event)-1, NULL),
	    FSM_ERR_ARG);

	/* Evt8 needs a PS3.8 result and source. */
	assert_int_equal(fsm_step(&fsm, EVT8_ASSOC_REJECT, NULL),
	    FSM_ERR_ARG);
	memset(&a, 0, sizeof(a));
	a.rj.result = 3;
	a.rj.source = 1;
	assert_int_equal(fsm_step(&fsm, EVT8_ASSOC_REJECT, &a), FSM_ERR_ARG);
	a.rj.result = 1;
	a.rj.source = 0;
	assert_int_equal(fsm_step(&fsm, EVT8_ASSOC_REJECT, &a), FSM_ERR_ARG);

	/* Evt15: a user abort has reason 0; reserved source 1 is not ours. */
	memset(&a, 0, sizeof(a));
	a.abort_reason = 2;
	assert_int_equal(fsm_step(&fsm, EVT15_ABORT_REQ, &a), FSM_ERR_ARG);
	a.abort_source = 1;
	a.abort_reason = 0;
	assert_int_equal(fsm_step(&fsm, EVT15_ABORT_REQ, &a), FSM_ERR_ARG);
	a.abort_source = 2;
	a.abort_reason = 3;
	assert_int_equal(fsm_step(&fsm, EVT15_ABORT_REQ, &a), FSM_ERR_ARG);

	/* Evt19: reason 3 is reserved, 7 does not exist. */
	memset(&a, 0, sizeof(a));
	a.abort_reason = 3;
	assert_int_equal(fsm_step(&fsm, EVT19_INVALID_PDU, &a), FSM_ERR_ARG);
	a.abort_reason = 7;
	assert_int_equal(fsm_step(&fsm, EVT19_INVALID_PDU, &a), FSM_ERR_ARG);
	assert_int_equal(fsm.state, STA3_AWAIT_LOCAL_RSP);
	assert_string_equal(fo.calls, "");

	/* A NULL argument elsewhere reads as zeros. */
	assert_int_equal(fsm_step(&fsm, EVT19_INVALID_PDU, NULL), FSM_OK);
	assert_string_equal(fo.calls, "send_abort(2,0) p_abort_ind(0)");

	/* fsm_init wants a role and every required op. */
	assert_int_equal(fsm_init(&fsm, 7, &fake_ops, &fo, 1), FSM_ERR_ARG);
	assert_int_equal(fsm_init(&fsm, FSM_ACCEPTOR, NULL, &fo, 1),
	    FSM_ERR_ARG);
	ops.p_abort_ind = NULL;
	assert_int_equal(fsm_init(&fsm, FSM_ACCEPTOR, &ops, &fo, 1),
	    FSM_ERR_ARG);
	ops = fake_ops;
	ops.transport_accept = NULL;
	assert_int_equal(fsm_init(&fsm, FSM_ACCEPTOR, &ops, &fo, 1), FSM_OK);
	assert_int_equal(fsm.state, STA1_IDLE);
	assert_int_equal(fsm_step(&fsm, EVT5_TRANSPORT_IND, NULL), FSM_OK);
	assert_int_equal(fsm.state, STA2_TRANSPORT_OPEN);

	assert_string_equal(fsm_strerror(FSM_ERR_REFUSED),
	    "primitive not allowed in this state");
	assert_string_equal(fsm_strerror(42), "unknown fsm result");
}

/* An op that steps the machine from inside a step is turned away. */
static void
test_fsm_reentry_from_an_op_is_busy(void **state)
{
	struct fsm	 fsm;
	struct fake	 fo;

	(void)state;
	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	fo.reenter = 1;
	fo.reenter_rc = 0;
	assert_int_equal(step(&fsm, &fo, EVT10_PDATA_PDU, NULL), FSM_OK);
	assert_int_equal(fo.reenter_rc, FSM_ERR_BUSY);
	assert_int_equal(fsm.state, STA6_ESTABLISHED);
	assert_string_equal(fo.calls, "pdata_ind");
	assert_int_equal(fsm.busy, 0);
}

/* At -vv every transition is logged in the standard's words. */
static void
test_fsm_transition_is_traced(void **state)
{
	struct fsm	 fsm;
	struct fake	 fo;
	char		 out[512];
	FILE		*tmp;
	size_t		 n;
	int		 saved;

	(void)state;
	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved != -1);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) != -1);
	log_init(1, 0);
	log_setverbose(2);

	setup(&fsm, &fo, FSM_ACCEPTOR, STA6_ESTABLISHED);
	assert_int_equal(step(&fsm, &fo, EVT12_RELEASE_RQ_PDU, NULL), FSM_OK);
	assert_int_equal(step(&fsm, &fo, EVT11_RELEASE_REQ, NULL),
	    FSM_ERR_REFUSED);

	log_setverbose(0);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	assert_non_null(strstr(out, "Sta6 + Evt12 -> AR-2 -> Sta8\n"));
	assert_non_null(strstr(out, "Sta8 + Evt11: primitive not allowed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsm_names_are_the_standards),
		cmocka_unit_test(test_fsm_table_matches_transcription),
		cmocka_unit_test(test_fsm_empty_cells_follow_policy),
		cmocka_unit_test(test_fsm_every_defined_cell_runs_its_action),
		cmocka_unit_test(
		    test_fsm_path_a_normal_release_then_peer_closes),
		cmocka_unit_test(test_fsm_path_a_artim_expiry_closes),
		cmocka_unit_test(test_fsm_path_b_user_reject),
		cmocka_unit_test(
		    test_fsm_path_c_provider_reject_restarts_artim),
		cmocka_unit_test(test_fsm_ae6_default_reject_is_acse_no_reason),
		cmocka_unit_test(test_fsm_path_d_no_rq_in_time),
		cmocka_unit_test(test_fsm_path_e_peer_leaves_before_rq),
		cmocka_unit_test(
		    test_fsm_path_f_wrong_pdu_before_rq_aborts_as_user),
		cmocka_unit_test(test_fsm_unframed_pdu_allows_one_abort_only),
		cmocka_unit_test(
		    test_fsm_path_g_peer_abort_indicated_by_source),
		cmocka_unit_test(test_fsm_path_h_local_abort),
		cmocka_unit_test(
		    test_fsm_path_i_unexpected_pdu_aborts_as_provider),
		cmocka_unit_test(test_fsm_path_j_transport_lost),
		cmocka_unit_test(test_fsm_path_k_local_release),
		cmocka_unit_test(test_fsm_path_l_anything_in_sta13),
		cmocka_unit_test(
		    test_fsm_collision_acceptor_handler_sees_only_cnf),
		cmocka_unit_test(test_fsm_collision_requestor),
		cmocka_unit_test(test_fsm_requestor_paths),
		cmocka_unit_test(test_fsm_bad_arguments_are_refused),
		cmocka_unit_test(test_fsm_reentry_from_an_op_is_busy),
		cmocka_unit_test(test_fsm_transition_is_traced),
	};

	return (cmocka_run_group_tests_name("fsm", tests, NULL, NULL));
}
