/*
 * fsm.h: the DICOM Upper Layer state machine (PS3.8 section 9.2) as data.
 *
 * PS3.8 Table 9-10 is a const array indexed [event][state]; fsm_step()
 * looks up one cell, runs its action and moves to the state the action
 * returns.  The machine does no I/O of its own: every PDU it sends, every
 * primitive it hands to the service user and every read of the clock goes
 * through a struct fsm_ops that the caller (the worker, a command-line
 * requestor, or a test) provides.  The same engine serves both roles: the
 * association-acceptor (dulserverd's workers) and the association-requestor
 * (a command-line SCU).
 *
 * States, events and actions carry the standard's numbers as their values,
 * so STA6_ESTABLISHED is 6 and a log line's "Evt12" greps into PS3.8.
 *
 * Empty cells.  PS3.8 leaves them undefined; fsm_step() never runs an action
 * for one and never changes state.  It answers instead:
 *   FSM_IGNORED         Evt15 (A-ABORT request) in Sta1, Sta2 or Sta13: the
 *                       user has not been told of the association yet, or
 *                       it is already over, so there is nothing to abort.
 *   FSM_ERR_REFUSED     any other local user primitive (Evt1 for a
 *                       requestor, Evt7, 8, 9, 11, 14, 15) that the user
 *                       may not issue in this state.  The worker refuses it
 *                       on the pipe and treats the handler as faulty.
 *   FSM_ERR_IMPOSSIBLE  an event that cannot happen here: Evt1 or Evt2 for
 *                       an acceptor, Evt5 for a requestor, Evt2 outside
 *                       Sta4, Evt5 outside Sta1, Evt18 outside Sta2 and
 *                       Sta13 (ARTIM only runs there), and anything from
 *                       the peer or the transport in Sta1 or Sta4, when
 *                       there is no connection to hear from.  The caller
 *                       logs it; it is a bug in the caller, not the peer.
 *
 * ARTIM is one absolute deadline in milliseconds on CLOCK_MONOTONIC (read
 * through fsm_ops.now), started and stopped only by the actions PS3.8
 * names.  It runs exactly in Sta2 and Sta13.  The caller passes
 * fsm_artim_deadline() to poll() and steps Evt18 when it has passed.
 *
 * Release collision (PS3.8 sections 7.2 and 9.2).
 *   Requestor: Sta7 + Evt12 -> AR-8 calls release_ind(collision = 1) and
 *   goes to Sta9; the user answers with Evt14 (AR-9 sends A-RELEASE-RP,
 *   Sta11); the peer's A-RELEASE-RP (Evt13) gives AR-3, which calls
 *   release_cnf(collision = 1) and closes the transport.
 *   Acceptor: Sta7 + Evt12 -> AR-8 calls release_ind(collision = 1) and
 *   goes to Sta10.  The handler already asked for the release and must
 *   never see an A-RELEASE indication for it, so the worker does not pass
 *   this one on.  The peer's A-RELEASE-RP (Evt13) gives AR-10, which calls
 *   release_cnf(collision = 1) (Sta12); the worker passes RELEASE_CNF with
 *   collision = 1 to the handler and then, once fsm_step() has returned,
 *   steps Evt14 itself, since the handler will not answer an indication it
 *   never saw.  AR-4 then sends A-RELEASE-RP and ends in Sta13.
 *
 * Framing.  Evt19 with fsm_evarg.unframed set means the stream can no
 * longer be split into PDUs (an unknown PDU type, an impossible length).
 * The action still sends its one A-ABORT, then the machine sets
 * fsm.unframed and sends no further PDU; the caller stops parsing and only
 * drains until the peer closes or ARTIM expires.
 *
 * A-ABORT codes (source, reason).  AA-1 sends (0, 0) as PS3.8 says, or
 * what Evt15's argument asks for.  AA-7 and AA-8 send (2, 2) for a valid
 * PDU out of sequence (Evt3, 4, 6, 10, 12, 13) and (2, r) for Evt19, r
 * being the classifier's reason (design decision 6 of the handler
 * protocol document, which overrides the digest's fixed (2, 2) for
 * AA-7); AA-8's A-P-ABORT indication carries the same reason.
 *
 * Ops must not call fsm_step() (it answers FSM_ERR_BUSY).  Send ops return
 * nothing: a write that fails is the caller's Evt17, stepped after this
 * step returns.
 */
#ifndef DUL_FSM_H
#define DUL_FSM_H

#include <stdint.h>

/* PS3.8 Tables 9-1 to 9-5. */
enum fsm_state {
	STA_NONE = 0,
	STA1_IDLE = 1,
	STA2_TRANSPORT_OPEN = 2,	/* acceptor: awaiting A-ASSOCIATE-RQ */
	STA3_AWAIT_LOCAL_RSP = 3,	/* acceptor: awaiting user's response */
	STA4_AWAIT_TRANSPORT_OPEN = 4,	/* requestor: connect in progress */
	STA5_AWAIT_ASSOC_RSP = 5,	/* requestor: awaiting AC or RJ PDU */
	STA6_ESTABLISHED = 6,
	STA7_AWAIT_RELEASE_RP = 7,
	STA8_AWAIT_LOCAL_RELEASE = 8,
	STA9_COLLISION_REQ_LOCAL = 9,	/* requestor: awaiting user's answer */
	STA10_COLLISION_ACC_RP = 10,	/* acceptor: awaiting A-RELEASE-RP */
	STA11_COLLISION_REQ_RP = 11,	/* requestor: awaiting A-RELEASE-RP */
	STA12_COLLISION_ACC_LOCAL = 12,	/* acceptor: awaiting user's answer */
	STA13_AWAIT_CLOSE = 13,
	STA_COUNT
};

/* PS3.8 Table 9-10, rows. */
enum fsm_event {
	EVT_NONE = 0,
	EVT1_ASSOC_REQ = 1,		/* user: A-ASSOCIATE request */
	EVT2_TRANSPORT_CONF = 2,	/* transport: connect confirmation */
	EVT3_ASSOC_AC_PDU = 3,
	EVT4_ASSOC_RJ_PDU = 4,
	EVT5_TRANSPORT_IND = 5,		/* transport: connection indication */
	EVT6_ASSOC_RQ_PDU = 6,
	EVT7_ASSOC_ACCEPT = 7,		/* user: A-ASSOCIATE response, accept */
	EVT8_ASSOC_REJECT = 8,		/* user: A-ASSOCIATE response, reject */
	EVT9_PDATA_REQ = 9,		/* user: P-DATA request */
	EVT10_PDATA_PDU = 10,
	EVT11_RELEASE_REQ = 11,		/* user: A-RELEASE request */
	EVT12_RELEASE_RQ_PDU = 12,
	EVT13_RELEASE_RP_PDU = 13,
	EVT14_RELEASE_RSP = 14,		/* user: A-RELEASE response */
	EVT15_ABORT_REQ = 15,		/* user: A-ABORT request */
	EVT16_ABORT_PDU = 16,
	EVT17_TRANSPORT_CLOSED = 17,
	EVT18_ARTIM_EXPIRED = 18,
	EVT19_INVALID_PDU = 19,		/* unrecognized or invalid PDU */
	EVT_COUNT
};

/* PS3.8 Tables 9-6 to 9-9: AE-n is n, then DT, AR and AA in order. */
enum fsm_action {
	ACT_NONE = 0,
	ACT_AE1 = 1, ACT_AE2, ACT_AE3, ACT_AE4, ACT_AE5, ACT_AE6, ACT_AE7,
	ACT_AE8,
	ACT_DT1 = 9, ACT_DT2,
	ACT_AR1 = 11, ACT_AR2, ACT_AR3, ACT_AR4, ACT_AR5, ACT_AR6, ACT_AR7,
	ACT_AR8, ACT_AR9, ACT_AR10,
	ACT_AA1 = 21, ACT_AA2, ACT_AA3, ACT_AA4, ACT_AA5, ACT_AA6, ACT_AA7,
	ACT_AA8,
	ACT_COUNT
};

enum fsm_role {
	FSM_ACCEPTOR = 0,
	FSM_REQUESTOR = 1
};

/* One cell of Table 9-10. */
struct fsm_rule {
	enum fsm_action	 act;		/* ACT_NONE: empty cell */
	enum fsm_state	 next;		/* nominal next state */
	enum fsm_state	 alt;		/* AE-6, AR-8: the other outcome */
};

/* fsm_step() results. */
#define FSM_OK			 0	/* the cell's action ran */
#define FSM_IGNORED		 1	/* deliberately ignored; no change */
#define FSM_ERR_REFUSED		-1	/* user primitive not allowed here */
#define FSM_ERR_IMPOSSIBLE	-2	/* event cannot occur in role/state */
#define FSM_ERR_ARG		-3	/* bad event, state or event argument */
#define FSM_ERR_BUSY		-4	/* called from inside an op */

/* A-ABORT sources and reasons (PS3.8 Table 9-26). */
#define FSM_ABORT_USER		0	/* UL service-user */
#define FSM_ABORT_PROVIDER	2	/* UL service-provider */
#define FSM_REASON_NONE		0	/* reason not specified */
#define FSM_REASON_UNRECOGNIZED	1	/* unrecognized PDU */
#define FSM_REASON_UNEXPECTED	2	/* unexpected PDU */
#define FSM_REASON_UNREC_PARAM	4	/* unrecognized PDU parameter */
#define FSM_REASON_UNEXP_PARAM	5	/* unexpected PDU parameter */
#define FSM_REASON_INVALID	6	/* invalid PDU parameter value */

/* An A-ASSOCIATE-RJ (result, source, reason), PS3.8 Table 9-21. */
struct fsm_rj {
	uint8_t		 result;	/* 1 permanent, 2 transient */
	uint8_t		 source;	/* 1 user, 2 ACSE, 3 presentation */
	uint8_t		 reason;
};

/*
 * What an event carries.  A NULL argument reads as all zeros; only Evt8
 * requires one.
 */
struct fsm_evarg {
	/*
	 * The decoded PDU for Evt3, 4, 6, 10 and 16, or the user's primitive
	 * for Evt7 (the response to put in the A-ASSOCIATE-AC) and Evt9 (the
	 * PDVs to send).  Opaque here: it is handed unchanged to the op.
	 */
	const void	*data;
	/* Evt4: the peer's RJ fields; Evt8: the user's (required). */
	struct fsm_rj	 rj;
	/*
	 * Evt16: the received A-ABORT's source and reason.
	 * Evt19: abort_reason is the classifier's reason for AA-8 (1, 4, 5
	 * or 6; 0 if none fits).
	 * Evt15: what AA-1 sends; zero gives PS3.8's service-user abort
	 * (0, 0).  A local failure after the association was accepted, such
	 * as a dead handler, may ask for (2, 0) instead.
	 */
	uint8_t		 abort_source;
	uint8_t		 abort_reason;
	/* Evt19: framing is lost; send nothing after this step's A-ABORT. */
	int		 unframed;
};

/*
 * What the machine asks of the world.  ctx is fsm.ctx.  Every op is
 * required except transport_accept.  During an op, fsm.event and fsm.action
 * name the step being run.
 */
struct fsm_ops {
	/* Milliseconds on CLOCK_MONOTONIC; never 0. */
	uint64_t (*now)(void *ctx);

	/* AE-1: start connecting; the requestor steps Evt2 when done. */
	void	(*transport_connect)(void *ctx);
	/* AE-5: the connection is taken (may be NULL: already accepted). */
	void	(*transport_accept)(void *ctx);
	/* AE-4, AR-3, AA-2, AA-3: close the transport connection. */
	void	(*transport_close)(void *ctx);

	/* AE-2: send the A-ASSOCIATE-RQ the user asked for with Evt1. */
	void	(*send_assoc_rq)(void *ctx);
	/* AE-7: send A-ASSOCIATE-AC built from Evt7's data. */
	void	(*send_assoc_ac)(void *ctx, const void *rsp);
	/* AE-6 (reject branch), AE-8: send A-ASSOCIATE-RJ. */
	void	(*send_assoc_rj)(void *ctx, const struct fsm_rj *);
	/* DT-1, AR-7: send P-DATA-TF PDUs carrying Evt9's data. */
	void	(*send_pdata)(void *ctx, const void *req);
	/* AR-1: send A-RELEASE-RQ. */
	void	(*send_release_rq)(void *ctx);
	/* AR-4, AR-9: send A-RELEASE-RP. */
	void	(*send_release_rp)(void *ctx);
	/* AA-1, AA-7, AA-8: send A-ABORT. */
	void	(*send_abort)(void *ctx, uint8_t source, uint8_t reason);

	/*
	 * AE-6: the service provider's own checks on a received
	 * A-ASSOCIATE-RQ.  Return 0 if acceptable; otherwise fill rj (it
	 * comes in as (1, 2, 1)) and return non-zero.
	 */
	int	(*check_assoc_rq)(void *ctx, const void *rq, struct fsm_rj *rj);
	/* AE-6: A-ASSOCIATE indication. */
	void	(*assoc_ind)(void *ctx, const void *rq);
	/* AE-3: A-ASSOCIATE confirmation, accepted. */
	void	(*assoc_cnf_accept)(void *ctx, const void *ac);
	/* AE-4: A-ASSOCIATE confirmation, rejected. */
	void	(*assoc_cnf_reject)(void *ctx, const struct fsm_rj *,
		    const void *rj_pdu);
	/* DT-2, AR-6: P-DATA indication. */
	void	(*pdata_ind)(void *ctx, const void *pdu);
	/* AR-2 (collision 0), AR-8 (collision 1): A-RELEASE indication. */
	void	(*release_ind)(void *ctx, int collision);
	/* AR-3 (1 in Sta11), AR-10 (1): A-RELEASE confirmation. */
	void	(*release_cnf)(void *ctx, int collision);
	/* AA-3, peer's source 0 or 1: A-ABORT indication. */
	void	(*abort_ind)(void *ctx, uint8_t source, uint8_t reason);
	/* AA-3 (peer's source 2), AA-4, AA-8: A-P-ABORT indication. */
	void	(*p_abort_ind)(void *ctx, uint8_t reason);
};

/*
 * One association's machine.  The caller may read every field; only
 * fsm_init() and fsm_step() write them.
 */
struct fsm {
	enum fsm_state		 state;
	enum fsm_role		 role;
	const struct fsm_ops	*ops;
	void			*ctx;

	uint64_t		 artim_ms;	/* ARTIM period */
	uint64_t		 artim_deadline; /* absolute, when running */
	int			 artim_running;

	int			 unframed;	/* framing lost: send nothing */
	int			 busy;		/* inside fsm_step() */

	/* The step being run or, between steps, the last one that ran. */
	enum fsm_state		 from;
	enum fsm_event		 event;
	enum fsm_action		 action;
};

int		 fsm_init(struct fsm *, enum fsm_role, const struct fsm_ops *,
		    void *ctx, uint64_t artim_ms);
int		 fsm_step(struct fsm *, enum fsm_event,
		    const struct fsm_evarg *);
struct fsm_rule	 fsm_cell(enum fsm_event, enum fsm_state);

uint64_t	 fsm_artim_deadline(const struct fsm *);
int		 fsm_artim_expired(const struct fsm *, uint64_t now);

const char	*fsm_state_name(enum fsm_state);
const char	*fsm_state_desc(enum fsm_state);
const char	*fsm_event_name(enum fsm_event);
const char	*fsm_event_desc(enum fsm_event);
const char	*fsm_action_name(enum fsm_action);
const char	*fsm_action_desc(enum fsm_action);
const char	*fsm_strerror(int);

#endif /* DUL_FSM_H */
