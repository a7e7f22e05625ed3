/*
 * fsm.c: PS3.8 Table 9-10 as const data, the actions of Tables 9-6 to 9-9,
 * and ARTIM.  See fsm.h for the contract with the caller.
 */

#include "compat.h"

#include <string.h>

#include "fsm.h"
#include "log.h"

typedef enum fsm_state	(*fsm_action_fn)(struct fsm *,
			    const struct fsm_evarg *, enum fsm_state);

static enum fsm_state	fsm_ae1(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae2(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae3(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae4(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae5(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae6(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae7(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ae8(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_dt1(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_dt2(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar1(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar2(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar3(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar4(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar5(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar6(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar7(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar8(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar9(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_ar10(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa1(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa2(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa3(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa4(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa5(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa6(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa7(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);
static enum fsm_state	fsm_aa8(struct fsm *, const struct fsm_evarg *,
			    enum fsm_state);

static void	fsm_artim_start(struct fsm *);
static void	fsm_artim_stop(struct fsm *);
static void	fsm_send_abort(struct fsm *, uint8_t, uint8_t);
static int	fsm_no_rule(const struct fsm *, enum fsm_event);
static int	fsm_role_allows(const struct fsm *, enum fsm_event);
static int	fsm_check_arg(enum fsm_event, const struct fsm_evarg *);
static int	fsm_abort_reason_ok(uint8_t);

#define R(a, n)		{ (a), (n), STA_NONE }
#define R2(a, n, m)	{ (a), (n), (m) }

/*
 * PS3.8 Table 9-10: one block per event, one cell per state the standard
 * fills in (123 in all).  Every other cell is zero: no rule.
 */
static const struct fsm_rule fsm_rules[EVT_COUNT][STA_COUNT] = {
	[EVT1_ASSOC_REQ] = {
		[STA1_IDLE]			= R(ACT_AE1, 4),
	},
	[EVT2_TRANSPORT_CONF] = {
		[STA4_AWAIT_TRANSPORT_OPEN]	= R(ACT_AE2, 5),
	},
	[EVT3_ASSOC_AC_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA1, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AE3, 6),
		[STA6_ESTABLISHED]		= R(ACT_AA8, 13),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA8, 13),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA8, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA8, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA6, 13),
	},
	[EVT4_ASSOC_RJ_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA1, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AE4, 1),
		[STA6_ESTABLISHED]		= R(ACT_AA8, 13),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA8, 13),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA8, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA8, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA6, 13),
	},
	[EVT5_TRANSPORT_IND] = {
		[STA1_IDLE]			= R(ACT_AE5, 2),
	},
	[EVT6_ASSOC_RQ_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R2(ACT_AE6, 3, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA8, 13),
		[STA6_ESTABLISHED]		= R(ACT_AA8, 13),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA8, 13),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA8, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA8, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA7, 13),
	},
	[EVT7_ASSOC_ACCEPT] = {
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AE7, 6),
	},
	[EVT8_ASSOC_REJECT] = {
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AE8, 13),
	},
	[EVT9_PDATA_REQ] = {
		[STA6_ESTABLISHED]		= R(ACT_DT1, 6),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AR7, 8),
	},
	[EVT10_PDATA_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA1, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA8, 13),
		[STA6_ESTABLISHED]		= R(ACT_DT2, 6),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AR6, 7),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA8, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA8, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA6, 13),
	},
	[EVT11_RELEASE_REQ] = {
		[STA6_ESTABLISHED]		= R(ACT_AR1, 7),
	},
	[EVT12_RELEASE_RQ_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA1, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA8, 13),
		[STA6_ESTABLISHED]		= R(ACT_AR2, 8),
		[STA7_AWAIT_RELEASE_RP]		= R2(ACT_AR8, 9, 10),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA8, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA8, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA6, 13),
	},
	[EVT13_RELEASE_RP_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA1, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA8, 13),
		[STA6_ESTABLISHED]		= R(ACT_AA8, 13),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AR3, 1),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AR10, 12),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AR3, 1),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA6, 13),
	},
	[EVT14_RELEASE_RSP] = {
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AR4, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AR9, 11),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AR4, 13),
	},
	[EVT15_ABORT_REQ] = {
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA1, 13),
		[STA4_AWAIT_TRANSPORT_OPEN]	= R(ACT_AA2, 1),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA1, 13),
		[STA6_ESTABLISHED]		= R(ACT_AA1, 13),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA1, 13),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA1, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA1, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA1, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA1, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA1, 13),
	},
	[EVT16_ABORT_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA2, 1),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA3, 1),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA3, 1),
		[STA6_ESTABLISHED]		= R(ACT_AA3, 1),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA3, 1),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA3, 1),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA3, 1),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA3, 1),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA3, 1),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA3, 1),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA2, 1),
	},
	[EVT17_TRANSPORT_CLOSED] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA5, 1),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA4, 1),
		[STA4_AWAIT_TRANSPORT_OPEN]	= R(ACT_AA4, 1),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA4, 1),
		[STA6_ESTABLISHED]		= R(ACT_AA4, 1),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA4, 1),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA4, 1),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA4, 1),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA4, 1),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA4, 1),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA4, 1),
		[STA13_AWAIT_CLOSE]		= R(ACT_AR5, 1),
	},
	[EVT18_ARTIM_EXPIRED] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA2, 1),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA2, 1),
	},
	[EVT19_INVALID_PDU] = {
		[STA2_TRANSPORT_OPEN]		= R(ACT_AA1, 13),
		[STA3_AWAIT_LOCAL_RSP]		= R(ACT_AA8, 13),
		[STA5_AWAIT_ASSOC_RSP]		= R(ACT_AA8, 13),
		[STA6_ESTABLISHED]		= R(ACT_AA8, 13),
		[STA7_AWAIT_RELEASE_RP]		= R(ACT_AA8, 13),
		[STA8_AWAIT_LOCAL_RELEASE]	= R(ACT_AA8, 13),
		[STA9_COLLISION_REQ_LOCAL]	= R(ACT_AA8, 13),
		[STA10_COLLISION_ACC_RP]	= R(ACT_AA8, 13),
		[STA11_COLLISION_REQ_RP]	= R(ACT_AA8, 13),
		[STA12_COLLISION_ACC_LOCAL]	= R(ACT_AA8, 13),
		[STA13_AWAIT_CLOSE]		= R(ACT_AA7, 13),
	},
};

#undef R
#undef R2

static const fsm_action_fn fsm_action_fns[ACT_COUNT] = {
	[ACT_AE1] = fsm_ae1, [ACT_AE2] = fsm_ae2, [ACT_AE3] = fsm_ae3,
	[ACT_AE4] = fsm_ae4, [ACT_AE5] = fsm_ae5, [ACT_AE6] = fsm_ae6,
	[ACT_AE7] = fsm_ae7, [ACT_AE8] = fsm_ae8,
	[ACT_DT1] = fsm_dt1, [ACT_DT2] = fsm_dt2,
	[ACT_AR1] = fsm_ar1, [ACT_AR2] = fsm_ar2, [ACT_AR3] = fsm_ar3,
	[ACT_AR4] = fsm_ar4, [ACT_AR5] = fsm_ar5, [ACT_AR6] = fsm_ar6,
	[ACT_AR7] = fsm_ar7, [ACT_AR8] = fsm_ar8, [ACT_AR9] = fsm_ar9,
	[ACT_AR10] = fsm_ar10,
	[ACT_AA1] = fsm_aa1, [ACT_AA2] = fsm_aa2, [ACT_AA3] = fsm_aa3,
	[ACT_AA4] = fsm_aa4, [ACT_AA5] = fsm_aa5, [ACT_AA6] = fsm_aa6,
	[ACT_AA7] = fsm_aa7, [ACT_AA8] = fsm_aa8,
};

static const char *const fsm_state_names[STA_COUNT] = {
	"Sta0", "Sta1", "Sta2", "Sta3", "Sta4", "Sta5", "Sta6", "Sta7",
	"Sta8", "Sta9", "Sta10", "Sta11", "Sta12", "Sta13",
};

static const char *const fsm_state_descs[STA_COUNT] = {
	[STA_NONE] = "no state",
	[STA1_IDLE] = "idle",
	[STA2_TRANSPORT_OPEN] = "awaiting A-ASSOCIATE-RQ",
	[STA3_AWAIT_LOCAL_RSP] = "awaiting local A-ASSOCIATE response",
	[STA4_AWAIT_TRANSPORT_OPEN] = "awaiting transport connection",
	[STA5_AWAIT_ASSOC_RSP] = "awaiting A-ASSOCIATE-AC or -RJ",
	[STA6_ESTABLISHED] = "association established",
	[STA7_AWAIT_RELEASE_RP] = "awaiting A-RELEASE-RP",
	[STA8_AWAIT_LOCAL_RELEASE] = "awaiting local A-RELEASE response",
	[STA9_COLLISION_REQ_LOCAL] =
	    "release collision (requestor): awaiting local A-RELEASE response",
	[STA10_COLLISION_ACC_RP] =
	    "release collision (acceptor): awaiting A-RELEASE-RP",
	[STA11_COLLISION_REQ_RP] =
	    "release collision (requestor): awaiting A-RELEASE-RP",
	[STA12_COLLISION_ACC_LOCAL] =
	    "release collision (acceptor): awaiting local A-RELEASE response",
	[STA13_AWAIT_CLOSE] = "awaiting transport close",
};

static const char *const fsm_event_names[EVT_COUNT] = {
	"Evt0", "Evt1", "Evt2", "Evt3", "Evt4", "Evt5", "Evt6", "Evt7",
	"Evt8", "Evt9", "Evt10", "Evt11", "Evt12", "Evt13", "Evt14", "Evt15",
	"Evt16", "Evt17", "Evt18", "Evt19",
};

static const char *const fsm_event_descs[EVT_COUNT] = {
	[EVT_NONE] = "no event",
	[EVT1_ASSOC_REQ] = "A-ASSOCIATE request (local)",
	[EVT2_TRANSPORT_CONF] = "transport connect confirmation",
	[EVT3_ASSOC_AC_PDU] = "A-ASSOCIATE-AC PDU received",
	[EVT4_ASSOC_RJ_PDU] = "A-ASSOCIATE-RJ PDU received",
	[EVT5_TRANSPORT_IND] = "transport connection indication",
	[EVT6_ASSOC_RQ_PDU] = "A-ASSOCIATE-RQ PDU received",
	[EVT7_ASSOC_ACCEPT] = "A-ASSOCIATE response accept (local)",
	[EVT8_ASSOC_REJECT] = "A-ASSOCIATE response reject (local)",
	[EVT9_PDATA_REQ] = "P-DATA request (local)",
	[EVT10_PDATA_PDU] = "P-DATA-TF PDU received",
	[EVT11_RELEASE_REQ] = "A-RELEASE request (local)",
	[EVT12_RELEASE_RQ_PDU] = "A-RELEASE-RQ PDU received",
	[EVT13_RELEASE_RP_PDU] = "A-RELEASE-RP PDU received",
	[EVT14_RELEASE_RSP] = "A-RELEASE response (local)",
	[EVT15_ABORT_REQ] = "A-ABORT request (local)",
	[EVT16_ABORT_PDU] = "A-ABORT PDU received",
	[EVT17_TRANSPORT_CLOSED] = "transport connection closed",
	[EVT18_ARTIM_EXPIRED] = "ARTIM timer expired",
	[EVT19_INVALID_PDU] = "unrecognized or invalid PDU received",
};

static const char *const fsm_action_names[ACT_COUNT] = {
	"none",
	"AE-1", "AE-2", "AE-3", "AE-4", "AE-5", "AE-6", "AE-7", "AE-8",
	"DT-1", "DT-2",
	"AR-1", "AR-2", "AR-3", "AR-4", "AR-5", "AR-6", "AR-7", "AR-8",
	"AR-9", "AR-10",
	"AA-1", "AA-2", "AA-3", "AA-4", "AA-5", "AA-6", "AA-7", "AA-8",
};

static const char *const fsm_action_descs[ACT_COUNT] = {
	[ACT_NONE] = "no action",
	[ACT_AE1] = "connect the transport",
	[ACT_AE2] = "send A-ASSOCIATE-RQ",
	[ACT_AE3] = "confirm the association (accepted)",
	[ACT_AE4] = "confirm the association (rejected), close",
	[ACT_AE5] = "take the connection, start ARTIM",
	[ACT_AE6] = "stop ARTIM, indicate the association or reject it",
	[ACT_AE7] = "send A-ASSOCIATE-AC",
	[ACT_AE8] = "send A-ASSOCIATE-RJ, start ARTIM",
	[ACT_DT1] = "send P-DATA-TF",
	[ACT_DT2] = "indicate P-DATA",
	[ACT_AR1] = "send A-RELEASE-RQ",
	[ACT_AR2] = "indicate A-RELEASE",
	[ACT_AR3] = "confirm A-RELEASE, close",
	[ACT_AR4] = "send A-RELEASE-RP, start ARTIM",
	[ACT_AR5] = "stop ARTIM",
	[ACT_AR6] = "indicate P-DATA",
	[ACT_AR7] = "send P-DATA-TF",
	[ACT_AR8] = "indicate A-RELEASE (collision)",
	[ACT_AR9] = "send A-RELEASE-RP",
	[ACT_AR10] = "confirm A-RELEASE (collision)",
	[ACT_AA1] = "send A-ABORT, (re)start ARTIM",
	[ACT_AA2] = "stop ARTIM, close",
	[ACT_AA3] = "indicate A-ABORT or A-P-ABORT, close",
	[ACT_AA4] = "indicate A-P-ABORT",
	[ACT_AA5] = "stop ARTIM",
	[ACT_AA6] = "ignore the PDU",
	[ACT_AA7] = "send A-ABORT",
	[ACT_AA8] = "send A-ABORT, indicate A-P-ABORT, start ARTIM",
};

/* Set up a machine in Sta1 for one association. */
int
fsm_init(struct fsm *fsm, enum fsm_role role, const struct fsm_ops *ops,
    void *ctx, uint64_t artim_ms)
{
	memset(fsm, 0, sizeof(*fsm));
	if (role != FSM_ACCEPTOR && role != FSM_REQUESTOR)
		return (FSM_ERR_ARG);
	if (ops == NULL || ops->now == NULL || ops->transport_connect == NULL ||
	    ops->transport_close == NULL || ops->send_assoc_rq == NULL ||
	    ops->send_assoc_ac == NULL || ops->send_assoc_rj == NULL ||
	    ops->send_pdata == NULL || ops->send_release_rq == NULL ||
	    ops->send_release_rp == NULL || ops->send_abort == NULL ||
	    ops->check_assoc_rq == NULL || ops->assoc_ind == NULL ||
	    ops->assoc_cnf_accept == NULL || ops->assoc_cnf_reject == NULL ||
	    ops->pdata_ind == NULL || ops->release_ind == NULL ||
	    ops->release_cnf == NULL || ops->abort_ind == NULL ||
	    ops->p_abort_ind == NULL)
		return (FSM_ERR_ARG);
	fsm->state = STA1_IDLE;
	fsm->role = role;
	fsm->ops = ops;
	fsm->ctx = ctx;
	fsm->artim_ms = artim_ms;
	return (FSM_OK);
}

/* Return the Table 9-10 cell for (event, state); out of range is empty. */
struct fsm_rule
fsm_cell(enum fsm_event ev, enum fsm_state st)
{
	static const struct fsm_rule	 none;

	if ((unsigned)ev >= EVT_COUNT || (unsigned)st >= STA_COUNT)
		return (none);
	return (fsm_rules[ev][st]);
}

/*
 * Feed one event to the machine: run the cell's action and move to the
 * state it returns, or apply the empty-cell policy of fsm.h and leave the
 * state alone.
 */
int
fsm_step(struct fsm *fsm, enum fsm_event ev, const struct fsm_evarg *arg)
{
	static const struct fsm_evarg	 zero;
	const struct fsm_rule		*r;
	enum fsm_state			 next;
	int				 rc;

	if ((unsigned)ev >= EVT_COUNT || ev == EVT_NONE ||
	    (unsigned)fsm->state >= STA_COUNT || fsm->state == STA_NONE)
		return (FSM_ERR_ARG);
	if (fsm->busy)
		return (FSM_ERR_BUSY);
	if (!fsm_role_allows(fsm, ev))
		rc = FSM_ERR_IMPOSSIBLE;
	else if ((r = &fsm_rules[ev][fsm->state])->act == ACT_NONE)
		rc = fsm_no_rule(fsm, ev);
	else {
		if (arg == NULL)
			arg = &zero;
		if (fsm_check_arg(ev, arg) != 0)
			return (FSM_ERR_ARG);

		fsm->busy = 1;
		fsm->from = fsm->state;
		fsm->event = ev;
		fsm->action = r->act;
		next = fsm_action_fns[r->act](fsm, arg, r->next);
		fsm->busy = 0;
		if (next != r->next && (r->alt == STA_NONE || next != r->alt))
			fatalx("%s: %s returned %s", __func__,
			    fsm_action_names[r->act], fsm_state_name(next));
		if (ev == EVT19_INVALID_PDU && arg->unframed)
			fsm->unframed = 1;

		log_trace("%s + %s -> %s -> %s", fsm_state_names[fsm->state],
		    fsm_event_names[ev], fsm_action_names[r->act],
		    fsm_state_names[next]);
		fsm->state = next;
		return (FSM_OK);
	}
	log_trace("%s + %s: %s", fsm_state_names[fsm->state],
	    fsm_event_names[ev], fsm_strerror(rc));
	return (rc);
}

/* Say whether the machine's role can meet this event at all. */
static int
fsm_role_allows(const struct fsm *fsm, enum fsm_event ev)
{
	switch (ev) {
	case EVT1_ASSOC_REQ:
	case EVT2_TRANSPORT_CONF:
		return (fsm->role == FSM_REQUESTOR);
	case EVT5_TRANSPORT_IND:
		return (fsm->role == FSM_ACCEPTOR);
	default:
		return (1);
	}
}

/*
 * The empty-cell policy (see fsm.h).  A local user primitive the
 * user may not issue now is refused, except an abort with nothing left to
 * abort, which is ignored.  Anything else cannot happen in this state.
 */
static int
fsm_no_rule(const struct fsm *fsm, enum fsm_event ev)
{
	switch (ev) {
	case EVT15_ABORT_REQ:
		if (fsm->state == STA1_IDLE ||
		    fsm->state == STA2_TRANSPORT_OPEN ||
		    fsm->state == STA13_AWAIT_CLOSE)
			return (FSM_IGNORED);
		return (FSM_ERR_REFUSED);
	case EVT1_ASSOC_REQ:
	case EVT7_ASSOC_ACCEPT:
	case EVT8_ASSOC_REJECT:
	case EVT9_PDATA_REQ:
	case EVT11_RELEASE_REQ:
	case EVT14_RELEASE_RSP:
		return (FSM_ERR_REFUSED);
	default:
		return (FSM_ERR_IMPOSSIBLE);
	}
}

/* Say whether an abort reason is one PS3.8 Table 9-26 defines. */
static int
fsm_abort_reason_ok(uint8_t reason)
{
	return (reason <= 6 && reason != 3);
}

/* Check the parts of an event's argument that its action relies on. */
static int
fsm_check_arg(enum fsm_event ev, const struct fsm_evarg *arg)
{
	switch (ev) {
	case EVT8_ASSOC_REJECT:
		/* PS3.8 Table 9-21: result 1 or 2, source 1 to 3. */
		if (arg->rj.result < 1 || arg->rj.result > 2 ||
		    arg->rj.source < 1 || arg->rj.source > 3)
			return (-1);
		return (0);
	case EVT15_ABORT_REQ:
		/* PS3.8 Table 9-26: the reason is 0 unless the provider. */
		if (arg->abort_source == FSM_ABORT_USER)
			return (arg->abort_reason == 0 ? 0 : -1);
		if (arg->abort_source != FSM_ABORT_PROVIDER)
			return (-1);
		return (fsm_abort_reason_ok(arg->abort_reason) ? 0 : -1);
	case EVT19_INVALID_PDU:
		return (fsm_abort_reason_ok(arg->abort_reason) ? 0 : -1);
	default:
		return (0);
	}
}

/* Start ARTIM, or restart it from now if it is running. */
static void
fsm_artim_start(struct fsm *fsm)
{
	fsm->artim_deadline = fsm->ops->now(fsm->ctx) + fsm->artim_ms;
	fsm->artim_running = 1;
}

/* Stop ARTIM if it is running. */
static void
fsm_artim_stop(struct fsm *fsm)
{
	fsm->artim_running = 0;
	fsm->artim_deadline = 0;
}

/* Return the ARTIM deadline, or 0 when ARTIM is not running. */
uint64_t
fsm_artim_deadline(const struct fsm *fsm)
{
	if (!fsm->artim_running)
		return (0);
	return (fsm->artim_deadline == 0 ? 1 : fsm->artim_deadline);
}

/* Say whether ARTIM is running and its deadline has come. */
int
fsm_artim_expired(const struct fsm *fsm, uint64_t now)
{
	return (fsm->artim_running && now >= fsm->artim_deadline);
}

/*
 * Send an A-ABORT unless framing has been lost, in which case the one
 * abort allowed has already gone out.
 */
static void
fsm_send_abort(struct fsm *fsm, uint8_t source, uint8_t reason)
{
	if (fsm->unframed) {
		log_trace("framing lost: A-ABORT (%u, %u) not sent",
		    source, reason);
		return;
	}
	fsm->ops->send_abort(fsm->ctx, source, reason);
}

/* AE-1: ask the transport to connect to the peer (PS3.8 Table 9-6). */
static enum fsm_state
fsm_ae1(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->transport_connect(fsm->ctx);
	return (next);
}

/* AE-2: the connection is up, send our A-ASSOCIATE-RQ (Table 9-6). */
static enum fsm_state
fsm_ae2(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->send_assoc_rq(fsm->ctx);
	return (next);
}

/* AE-3: tell the user the peer accepted the association (Table 9-6). */
static enum fsm_state
fsm_ae3(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->assoc_cnf_accept(fsm->ctx, arg->data);
	return (next);
}

/* AE-4: tell the user the peer rejected it, then close (Table 9-6). */
static enum fsm_state
fsm_ae4(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->assoc_cnf_reject(fsm->ctx, &arg->rj, arg->data);
	fsm->ops->transport_close(fsm->ctx);
	return (next);
}

/* AE-5: take the incoming connection and start ARTIM (Table 9-6). */
static enum fsm_state
fsm_ae5(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	if (fsm->ops->transport_accept != NULL)
		fsm->ops->transport_accept(fsm->ctx);
	fsm_artim_start(fsm);
	return (next);
}

/*
 * AE-6: stop ARTIM; pass an acceptable A-ASSOCIATE-RQ to the user, or
 * answer the peer with an RJ and wait for it to close (Table 9-6).
 */
static enum fsm_state
fsm_ae6(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	struct fsm_rj	 rj = { 1, 2, 1 };

	fsm_artim_stop(fsm);
	if (fsm->ops->check_assoc_rq(fsm->ctx, arg->data, &rj) == 0) {
		fsm->ops->assoc_ind(fsm->ctx, arg->data);
		return (next);
	}
	if (rj.result < 1 || rj.result > 2 || rj.source < 1 || rj.source > 3) {
		log_warnx("provider reject (%u, %u, %u) is not a PS3.8 code; "
		    "sending (1, 2, 1)", rj.result, rj.source, rj.reason);
		rj.result = 1;
		rj.source = 2;
		rj.reason = 1;
	}
	fsm->ops->send_assoc_rj(fsm->ctx, &rj);
	fsm_artim_start(fsm);
	return (STA13_AWAIT_CLOSE);
}

/* AE-7: send the A-ASSOCIATE-AC the user asked for (Table 9-6). */
static enum fsm_state
fsm_ae7(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->send_assoc_ac(fsm->ctx, arg->data);
	return (next);
}

/* AE-8: send the user's A-ASSOCIATE-RJ and start ARTIM (Table 9-6). */
static enum fsm_state
fsm_ae8(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->send_assoc_rj(fsm->ctx, &arg->rj);
	fsm_artim_start(fsm);
	return (next);
}

/* DT-1: send the user's data as P-DATA-TF (Table 9-7). */
static enum fsm_state
fsm_dt1(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->send_pdata(fsm->ctx, arg->data);
	return (next);
}

/* DT-2: hand received P-DATA to the user (Table 9-7). */
static enum fsm_state
fsm_dt2(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->pdata_ind(fsm->ctx, arg->data);
	return (next);
}

/* AR-1: send A-RELEASE-RQ for the user (Table 9-8). */
static enum fsm_state
fsm_ar1(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->send_release_rq(fsm->ctx);
	return (next);
}

/* AR-2: tell the user the peer asks to release (Table 9-8). */
static enum fsm_state
fsm_ar2(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->release_ind(fsm->ctx, 0);
	return (next);
}

/*
 * AR-3: confirm the release to the user and close the transport
 * ourselves (Table 9-8); from Sta11 it ends a collision.
 */
static enum fsm_state
fsm_ar3(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->release_cnf(fsm->ctx,
	    fsm->state == STA11_COLLISION_REQ_RP);
	fsm->ops->transport_close(fsm->ctx);
	return (next);
}

/* AR-4: send A-RELEASE-RP and start ARTIM (Table 9-8). */
static enum fsm_state
fsm_ar4(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->send_release_rp(fsm->ctx);
	fsm_artim_start(fsm);
	return (next);
}

/* AR-5: the peer closed as expected; stop ARTIM (Table 9-8). */
static enum fsm_state
fsm_ar5(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm_artim_stop(fsm);
	return (next);
}

/* AR-6: hand late P-DATA to the user while awaiting the RP (Table 9-8). */
static enum fsm_state
fsm_ar6(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->pdata_ind(fsm->ctx, arg->data);
	return (next);
}

/* AR-7: send the user's P-DATA before it answers a release (Table 9-8). */
static enum fsm_state
fsm_ar7(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	fsm->ops->send_pdata(fsm->ctx, arg->data);
	return (next);
}

/*
 * AR-8: both sides asked to release; indicate it and go to Sta9 as the
 * association-requestor, Sta10 as the acceptor (Table 9-8).  See fsm.h
 * for why the acceptor's worker keeps this indication to itself.
 */
static enum fsm_state
fsm_ar8(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	(void)next;
	fsm->ops->release_ind(fsm->ctx, 1);
	if (fsm->role == FSM_REQUESTOR)
		return (STA9_COLLISION_REQ_LOCAL);
	return (STA10_COLLISION_ACC_RP);
}

/* AR-9: the requestor answers the collision with A-RELEASE-RP (9-8). */
static enum fsm_state
fsm_ar9(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->send_release_rp(fsm->ctx);
	return (next);
}

/* AR-10: the acceptor confirms the collided release (Table 9-8). */
static enum fsm_state
fsm_ar10(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->release_cnf(fsm->ctx, 1);
	return (next);
}

/*
 * AA-1: send A-ABORT and (re)start ARTIM (Table 9-9).  PS3.8 says the
 * source is the service-user: (0, 0), also in Sta2 where no user has been
 * told anything.  Only Evt15 may ask for another source and reason.
 */
static enum fsm_state
fsm_aa1(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	if (fsm->event == EVT15_ABORT_REQ)
		fsm_send_abort(fsm, arg->abort_source, arg->abort_reason);
	else
		fsm_send_abort(fsm, FSM_ABORT_USER, FSM_REASON_NONE);
	fsm_artim_start(fsm);
	return (next);
}

/* AA-2: stop ARTIM if running and close the transport (Table 9-9). */
static enum fsm_state
fsm_aa2(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm_artim_stop(fsm);
	fsm->ops->transport_close(fsm->ctx);
	return (next);
}

/*
 * AA-3: pass the peer's A-ABORT to the user, as A-ABORT if a service-user
 * sent it (source 0, or reserved 1 read leniently) and as A-P-ABORT if
 * the provider did, then close (Table 9-9).
 */
static enum fsm_state
fsm_aa3(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	if (arg->abort_source == FSM_ABORT_PROVIDER)
		fsm->ops->p_abort_ind(fsm->ctx, arg->abort_reason);
	else
		fsm->ops->abort_ind(fsm->ctx, arg->abort_source,
		    arg->abort_reason);
	fsm->ops->transport_close(fsm->ctx);
	return (next);
}

/* AA-4: the transport is gone; tell the user with A-P-ABORT (9-9). */
static enum fsm_state
fsm_aa4(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm->ops->p_abort_ind(fsm->ctx, FSM_REASON_NONE);
	return (next);
}

/* AA-5: the peer left before its A-ASSOCIATE-RQ; stop ARTIM (9-9). */
static enum fsm_state
fsm_aa5(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)arg;
	fsm_artim_stop(fsm);
	return (next);
}

/* AA-6: drop a PDU that arrives after the association ended (9-9). */
static enum fsm_state
fsm_aa6(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	(void)fsm;
	(void)arg;
	return (next);
}

/*
 * AA-7: answer a PDU that arrives after the association ended with
 * A-ABORT (Table 9-9), ARTIM left as it is.  The reason is chosen as in
 * AA-8: unexpected-PDU for a second A-ASSOCIATE-RQ, the classifier's for
 * an invalid PDU (design decision 6).
 */
static enum fsm_state
fsm_aa7(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	uint8_t	 reason = FSM_REASON_UNEXPECTED;

	if (fsm->event == EVT19_INVALID_PDU)
		reason = arg->abort_reason;
	fsm_send_abort(fsm, FSM_ABORT_PROVIDER, reason);
	return (next);
}

/*
 * AA-8: send a provider A-ABORT, tell the user with A-P-ABORT and start
 * ARTIM (Table 9-9).  The reason is unexpected-PDU for a valid PDU out of
 * sequence, else the one the classifier gave the invalid PDU.
 */
static enum fsm_state
fsm_aa8(struct fsm *fsm, const struct fsm_evarg *arg, enum fsm_state next)
{
	uint8_t	 reason = FSM_REASON_UNEXPECTED;

	if (fsm->event == EVT19_INVALID_PDU)
		reason = arg->abort_reason;
	fsm_send_abort(fsm, FSM_ABORT_PROVIDER, reason);
	fsm->ops->p_abort_ind(fsm->ctx, reason);
	fsm_artim_start(fsm);
	return (next);
}

/* Return "StaN" for a state. */
const char *
fsm_state_name(enum fsm_state st)
{
	if ((unsigned)st >= STA_COUNT)
		return ("Sta?");
	return (fsm_state_names[st]);
}

/* Return a few words on what the machine waits for in a state. */
const char *
fsm_state_desc(enum fsm_state st)
{
	if ((unsigned)st >= STA_COUNT)
		return ("unknown state");
	return (fsm_state_descs[st]);
}

/* Return "EvtN" for an event. */
const char *
fsm_event_name(enum fsm_event ev)
{
	if ((unsigned)ev >= EVT_COUNT)
		return ("Evt?");
	return (fsm_event_names[ev]);
}

/* Return a few words on what an event is. */
const char *
fsm_event_desc(enum fsm_event ev)
{
	if ((unsigned)ev >= EVT_COUNT)
		return ("unknown event");
	return (fsm_event_descs[ev]);
}

/* Return PS3.8's name for an action, such as "AR-2". */
const char *
fsm_action_name(enum fsm_action act)
{
	if ((unsigned)act >= ACT_COUNT)
		return ("Act?");
	return (fsm_action_names[act]);
}

/* Return a few words on what an action does. */
const char *
fsm_action_desc(enum fsm_action act)
{
	if ((unsigned)act >= ACT_COUNT)
		return ("unknown action");
	return (fsm_action_descs[act]);
}

/* Return a short text for an fsm_step() result. */
const char *
fsm_strerror(int rc)
{
	switch (rc) {
	case FSM_OK:
		return ("ok");
	case FSM_IGNORED:
		return ("ignored");
	case FSM_ERR_REFUSED:
		return ("primitive not allowed in this state");
	case FSM_ERR_IMPOSSIBLE:
		return ("event impossible in this state or role");
	case FSM_ERR_ARG:
		return ("invalid event or argument");
	case FSM_ERR_BUSY:
		return ("fsm_step called from an op");
	default:
		return ("unknown fsm result");
	}
}
