/*
 * worker.h: one association, acceptor side, on one connected socket.
 *
 * The worker runs the PS3.8 state machine (fsm.c) synchronously: one
 * poll() over the socket, the service user's descriptors and a signal
 * pipe, with the nearest deadline (ARTIM, idle, PDU completion, service
 * user's answer, release) as its timeout.  Bytes from the peer become
 * events as digest section 12 describes; primitives from the service user
 * become events 7, 8, 9, 11, 14 and 15.
 *
 * worker_run() takes the connected socket over and closes it before it
 * returns, whichever way the association ended.
 *
 * Two things are pluggable:
 * - the policy (struct worker_policy): the service provider's routing and
 *   negotiation of an A-ASSOCIATE-RQ, run inside AE-6.  It decides the
 *   provider-level rejections and every presentation context's result
 *   before the service user hears of the association;
 * - the service user (struct su_ops): whoever receives the indications and
 *   issues the requests.  In dulserverd it is the handler executable
 *   behind a pipe; in tests it is code in the test.
 */
#ifndef DUL_WORKER_H
#define DUL_WORKER_H

#include <sys/socket.h>

#include <poll.h>
#include <stdint.h>

#include "fsm.h"
#include "link.h"
#include "pdu.h"

#define WORKER_EXIT_OK		0	/* every ending PS3.8 defines */
#define WORKER_EXIT_INTERNAL	1	/* our own failure */
#define WORKER_EXIT_PROTOCOL	2	/* the peer or the handler broke it */

#define WORKER_MAX_SU_FDS	4
#define WORKER_EVQ_LEN		8
#define WORKER_ADDR_LEN		64	/* "[v6]:port" */
#define WORKER_ID_LEN		40

/* Local causes of an A-P-ABORT indication (handler protocol 0x0403). */
enum worker_cause {
	CAUSE_NONE		= 0,
	CAUSE_IDLE		= 1,
	CAUSE_ARTIM		= 2,
	CAUSE_PEER_CLOSED	= 3,
	CAUSE_RESET		= 4,
	CAUSE_PDU_TOO_LARGE	= 6,
	CAUSE_INVALID_PDU	= 7,
	CAUSE_SHUTDOWN		= 8,
	CAUSE_TIME_LIMIT	= 9,
	CAUSE_SEND_STALL	= 10,
	CAUSE_RELEASE		= 11,
	CAUSE_PDU_STALL		= 12,
};

/* The acceptor's decision for one proposed presentation context. */
struct worker_pctx {
	uint8_t		 id;
	uint8_t		 result;			/* PDU_PCTX_* */
	char		 abstract[PDU_UID_MAX + 1];
	char		 ts[PDU_UID_MAX + 1];		/* when accepted */
	int		 role_proposed;			/* 0x54 seen */
	uint8_t		 scu_proposed, scp_proposed;
	uint8_t		 scu, scp;			/* our answer */
};

/* The negotiation as the A-ASSOCIATE-AC will carry it. */
struct worker_neg {
	char		 called[PDU_AE_LEN + 1];	/* trimmed */
	char		 calling[PDU_AE_LEN + 1];
	uint32_t	 our_max;			/* announced */
	uint32_t	 peer_max;			/* 0: none */
	int		 async_proposed;
	int		 async_answered;		/* else (1, 1) */
	uint16_t	 async_invoked, async_performed;
	const uint8_t	*identity_rsp;			/* 0x59, or NULL */
	size_t		 identity_rsp_len;
	int		 decided;			/* policy answered */
	const char	*ae_config;			/* routed entry */
	void		*route;				/* policy's own */
	/* The arrays last: only the entries in use are ever touched. */
	unsigned int	 n_pctx;
	unsigned int	 n_ext_rsp;			/* 0x56 answers */
	struct worker_pctx pctx[PDU_MAX_PCTX];
	struct pdu_ext_neg ext_rsp[PDU_MAX_EXT_NEG];
};

/* Where the peer is. */
struct worker_peer {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 addr[WORKER_ADDR_LEN + 16]; /* "ip:port" */
	char			 ip[WORKER_ADDR_LEN];
	char			 port[8];
	char			 local_ip[WORKER_ADDR_LEN];
	char			 local_port[8];
};

struct scoreboard;
struct worker;

/*
 * The service provider's decisions inside AE-6.  route() returns 0 and
 * fills neg (the contexts' results) to accept the RQ for the service user,
 * or fills rj and returns -1 to reject it without telling the user.
 */
struct worker_policy {
	int	(*route)(void *ctx, struct worker *, const struct pdu_assoc *,
		    struct worker_neg *, struct fsm_rj *);
	void	*ctx;
};

/* A primitive issued by the service user. */
struct su_event {
	enum fsm_event	 ev;		/* 7, 8, 9, 11, 14 or 15 */
	struct fsm_rj	 rj;		/* Evt8 */
	const uint8_t	*pdvs;		/* Evt9: PDV items, P-DATA-TF layout */
	size_t		 len;
	uint8_t		 abort_source;	/* Evt15 */
	uint8_t		 abort_reason;
};

/*
 * The service user.  Indications go out through the first group; the user
 * answers by calling worker_push() (at once, or later from handle()).
 * Every op may be NULL except assoc_ind.
 */
struct su_ops {
	const char *name;
	/* AE-6 accepted: start the user (spawn a handler); -1 on failure. */
	int	(*start)(void *ctx, struct worker *);
	void	(*assoc_ind)(void *ctx, struct worker *,
		    const struct pdu_assoc *, struct worker_neg *);
	void	(*pdata_ind)(void *ctx, struct worker *, const uint8_t *,
		    size_t);
	/* The same, the body in the link's pipe (struct link, in_pipe). */
	void	(*pdata_pipe)(void *ctx, struct worker *);
	void	(*release_ind)(void *ctx, struct worker *);
	void	(*release_cnf)(void *ctx, struct worker *, int collision);
	void	(*abort_ind)(void *ctx, struct worker *, uint8_t, uint8_t);
	void	(*p_abort_ind)(void *ctx, struct worker *, uint8_t,
		    enum worker_cause);
	/* Descriptors to poll, and what to do when they are ready. */
	int	(*pollfds)(void *ctx, struct pollfd *, int);
	void	(*handle)(void *ctx, struct worker *, struct pollfd *, int);
	/* When the user must have answered by, or 0. */
	uint64_t (*deadline)(void *ctx, struct worker *);
	/* 1 while the user cannot take another indication (flow control). */
	int	(*busy)(void *ctx);
	/* The association is over: tidy up; returns a status for the log. */
	int	(*end)(void *ctx, struct worker *);
	/* It missed the deadline of its answer; the worker acts next. */
	void	(*timed_out)(void *ctx, struct worker *);
	/* The server drains: this many seconds are left (decision 9). */
	void	(*drain)(void *ctx, struct worker *, uint32_t);
};

/* Timers in milliseconds; 0 disables one (never ARTIM). */
struct worker_timeouts {
	uint64_t	 artim;
	uint64_t	 idle;
	uint64_t	 su;		/* service user's answer */
	uint64_t	 send;		/* one PDU's write */
	uint64_t	 release;	/* our A-RELEASE-RQ's answer */
	uint64_t	 pdu;		/* base for one PDU's arrival */
	uint64_t	 association;	/* whole lifetime */
};

struct worker_params {
	struct worker_timeouts	 to;
	uint32_t		 max_pdu_receive;	/* announced */
	uint32_t		 max_pdu_send;		/* our own cap */
	uint32_t		 max_rq_pdu;
	const char		*impl_class_uid;
	const char		*impl_version;
	struct worker_policy	 policy;
	const struct su_ops	*su;
	void			*su_ctx;
	int			 sigfd;		/* self-pipe, or -1 */
	uint32_t		 shutdown_grace;	/* s, for SIGUSR2 */
	int			 no_summary;	/* no summary line */
	int			 pdu_trace;	/* PDU lines at info level */
	int			 log_idle;	/* silent peers: info */
	int			 over_limit;	/* RJ (2,3,2) at once */
	const char		*assoc_id;	/* or NULL: made up */
	struct scoreboard	*sb;		/* the master's, or NULL */
};

/* One association. */
/*
 * The worker lives in a mapping of its own (worker_run()): the large
 * members, whose pages an association mostly never touches, sit apart
 * from the small ones, which share a page or two.  rq comes first, page
 * aligned, so that its pages can be given back once it is answered.
 */
struct worker {
	struct pdu_assoc	 rq;		/* until answered (AC or RJ) */

	const struct worker_params *par;
	struct fsm		 fsm;
	struct link		 link;
	struct worker_peer	 peer;
	char			 id[WORKER_ID_LEN];

	uint8_t			*rq_buf;	/* the RQ, kept for the AC */
	size_t			 rq_len;
	uint8_t			*ac_pdu;	/* worker_ac_check()'s AC */
	size_t			 ac_pdu_len;
	int			 rq_nomem;	/* no memory for it: RJ */
	struct worker_timeouts	 to;		/* par's, or the route's */

	struct su_event		 evq[WORKER_EVQ_LEN];
	unsigned int		 evq_head, evq_len;

	uint64_t		 started;
	uint64_t		 idle_deadline;
	uint64_t		 release_deadline;
	uint64_t		 su_deadline;
	uint64_t		 life_deadline;
	int			 send_failed;
	int			 su_started;
	int			 we_released;
	int			 collision;
	int			 msg_open;	/* last PDV not a last fragment */
	int			 stop;		/* SIGTERM seen */
	uint64_t		 drain_end;	/* SIGUSR2 seen: grace ends */
	int			 drain_told;	/* the user knows */
	enum worker_cause	 fsm_cause;	/* why we abort, for the user */
	int			 exit_code;

	/* What happened, for the summary line. */
	const char		*outcome;
	struct fsm_rj		 rj_sent;
	uint8_t			 abort_src, abort_rsn;
	char			 detail[160];
	int			 su_status;

	struct worker_neg	 neg;
	struct pdu		 pdu;		/* the PDU being stepped */
};

int	 worker_run(const struct worker_params *, int fd);
int	 worker_push(struct worker *, const struct su_event *);
void	 worker_fail(struct worker *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 worker_peer_fill(struct worker_peer *, int fd);
int	 worker_pctx_accepted(const struct worker *, uint8_t);
int	 worker_ac_check(struct worker *);
void	 worker_params_default(struct worker_params *);
void	 worker_set_timeouts(struct worker *,
	    const struct worker_timeouts *);

#endif /* DUL_WORKER_H */
