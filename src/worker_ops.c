/*
 * worker_ops.c: what the state machine asks of an acceptor worker: the
 * PDUs it sends, the provider checks of AE-6, and the primitives it hands
 * to the service user.
 */

#include "compat.h"

#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsm.h"
#include "io.h"
#include "link.h"
#include "log.h"
#include "pdu.h"
#include "scoreboard.h"
#include "worker.h"
#include "worker_int.h"

static uint64_t	op_now(void *);
static void	op_connect(void *);
static void	op_close(void *);
static void	op_send_rq(void *);
static void	op_send_ac(void *, const void *);
static void	op_send_rj(void *, const struct fsm_rj *);
static void	op_send_pdata(void *, const void *);
static void	op_send_release_rq(void *);
static void	op_send_release_rp(void *);
static void	op_send_abort(void *, uint8_t, uint8_t);
static int	op_check_rq(void *, const void *, struct fsm_rj *);
static void	op_assoc_ind(void *, const void *);
static void	op_cnf_accept(void *, const void *);
static void	op_cnf_reject(void *, const struct fsm_rj *, const void *);
static void	op_pdata_ind(void *, const void *);
static void	op_release_ind(void *, int);
static void	op_release_cnf(void *, int);
static void	op_abort_ind(void *, uint8_t, uint8_t);
static void	op_p_abort_ind(void *, uint8_t);
static void	worker_send(struct worker *, const void *, ssize_t);
static uint64_t	worker_send_deadline(const struct worker *);
static void	worker_set_outcome(struct worker *, const char *);
static size_t	worker_ac_fill(struct worker *, struct pdu_assoc *);
static struct pdu_assoc *worker_ac_map(void);
static void	worker_nomem_rj(struct worker *);

const struct fsm_ops worker_fsm_ops = {
	.now = op_now,
	.transport_connect = op_connect,
	.transport_accept = NULL,
	.transport_close = op_close,
	.send_assoc_rq = op_send_rq,
	.send_assoc_ac = op_send_ac,
	.send_assoc_rj = op_send_rj,
	.send_pdata = op_send_pdata,
	.send_release_rq = op_send_release_rq,
	.send_release_rp = op_send_release_rp,
	.send_abort = op_send_abort,
	.check_assoc_rq = op_check_rq,
	.assoc_ind = op_assoc_ind,
	.assoc_cnf_accept = op_cnf_accept,
	.assoc_cnf_reject = op_cnf_reject,
	.pdata_ind = op_pdata_ind,
	.release_ind = op_release_ind,
	.release_cnf = op_release_cnf,
	.abort_ind = op_abort_ind,
	.p_abort_ind = op_p_abort_ind,
};

/* Record the first way the association ended. */
static void
worker_set_outcome(struct worker *w, const char *o)
{
	if (strcmp(w->outcome, "closed") == 0)
		w->outcome = o;
}

/* Read the monotonic clock. */
static uint64_t
op_now(void *ctx)
{
	uint64_t	 t = io_now();

	(void)ctx;
	return (t == 0 ? 1 : t);
}

/* AE-1 never happens to an acceptor. */
static void
op_connect(void *ctx)
{
	(void)ctx;
	log_errorx("internal: transport connect asked of an acceptor");
}

/* Close the connection; PS3.8 9.1.4 asks for no lingering. */
static void
op_close(void *ctx)
{
	struct worker	*w = ctx;

	if (w->link.fd == -1)
		return;
	close(w->link.fd);
	w->link.fd = -1;
}

/* AE-2 never happens to an acceptor. */
static void
op_send_rq(void *ctx)
{
	(void)ctx;
	log_errorx("internal: A-ASSOCIATE-RQ asked of an acceptor");
}

/* When a write started now must be done by; 0 if the timer is off. */
static uint64_t
worker_send_deadline(const struct worker *w)
{
	if (w->to.send == 0)
		return (IO_NO_DEADLINE);
	return (io_now() + w->to.send);
}

/* Write one PDU; a failure becomes Evt17 after the step. */
static void
worker_send(struct worker *w, const void *p, ssize_t len)
{
	if (len < 0) {
		log_errorx("internal: cannot encode PDU: %s",
		    pdu_strerror((int)len));
		w->exit_code = WORKER_EXIT_INTERNAL;
		w->send_failed = 1;
		return;
	}
	if (w->link.fd == -1 || w->send_failed)
		return;
	worker_pdu_log(w, "sending %s, %zd bytes",
	    pdu_type_name(*(const uint8_t *)p), len - PDU_HDR_LEN);
	if (link_send(&w->link, p, (size_t)len,
	    worker_send_deadline(w)) == -1) {
		if (errno == ETIMEDOUT) {
			log_warnx("peer did not read our %s within %llu ms",
			    pdu_type_name(*(const uint8_t *)p),
			    (unsigned long long)w->to.send);
			worker_fail(w, "peer stopped reading (send timeout)");
			w->fsm_cause = CAUSE_SEND_STALL;
		} else
			log_debug("write to peer: %s", strerror(errno));
		w->send_failed = 1;
	}
}

/* The largest PDU-length we send: the peer's maximum, within our cap. */
uint32_t
worker_send_max(const struct worker *w)
{
	uint32_t	 m = w->par->max_pdu_send;

	if (w->neg.peer_max != 0 && w->neg.peer_max < m)
		m = w->neg.peer_max;
	return (m);
}

/* Return whether the negotiation accepted at least one context. */
int
worker_any_accepted(const struct worker *w)
{
	unsigned int	 i;

	for (i = 0; i < w->neg.n_pctx; i++)
		if (w->neg.pctx[i].result == PDU_PCTX_ACCEPTANCE)
			return (1);
	return (0);
}

/*
 * Fill ac with the A-ASSOCIATE-AC the negotiation answers the RQ with, and
 * return the size of a buffer that holds it encoded.  Every proposed
 * context is answered; a rejected one echoes the first proposed transfer
 * syntax (digest 6.5).  The 64 bytes at RQ offsets 10..73 go back
 * verbatim.  ac points into the RQ and the negotiation.
 */
static size_t
worker_ac_fill(struct worker *w, struct pdu_assoc *ac)
{
	struct worker_neg	*neg = &w->neg;
	struct pdu_user_info	*ui;
	struct worker_pctx	*wp;
	size_t			 cap;
	unsigned int		 i, j;

	cap = 4096 + PDU_MAX_PCTX * 160 + PDU_MAX_ROLES * 80 +
	    neg->identity_rsp_len;
	for (i = 0; i < neg->n_ext_rsp && i < PDU_MAX_EXT_NEG; i++)
		cap += 8 + neg->ext_rsp[i].sop_class.len +
		    neg->ext_rsp[i].info.len;
	ac->echo = w->rq.echo;
	ac->n_pctx = neg->n_pctx;
	ui = &ac->ui;
	for (i = 0; i < neg->n_pctx; i++) {
		wp = &neg->pctx[i];
		ac->pctx[i].id = wp->id;
		ac->pctx[i].result = wp->result;
		if (wp->result == PDU_PCTX_ACCEPTANCE) {
			ac->pctx[i].ts.p = (const uint8_t *)wp->ts;
			ac->pctx[i].ts.len = strlen(wp->ts);
		} else {
			ac->pctx[i].ts = w->rq.pctx[i].ts;
			cap += w->rq.pctx[i].ts.len;
		}
		ac->pctx[i].n_ts = 1;
		if (wp->result != PDU_PCTX_ACCEPTANCE || !wp->role_proposed)
			continue;
		/* PS3.7 D.3.3.4: at most one answer per SOP class. */
		for (j = 0; j < ui->n_roles; j++)
			if (ui->roles[j].sop_class.len ==
			    strlen(wp->abstract) &&
			    memcmp(ui->roles[j].sop_class.p, wp->abstract,
			    ui->roles[j].sop_class.len) == 0)
				break;
		if (j < ui->n_roles || ui->n_roles == PDU_MAX_ROLES)
			continue;
		ui->roles[j].sop_class.p = (const uint8_t *)wp->abstract;
		ui->roles[j].sop_class.len = strlen(wp->abstract);
		ui->roles[j].scu = wp->scu;
		ui->roles[j].scp = wp->scp;
		ui->n_roles++;
	}
	ui->has_max_length = 1;
	ui->max_length = neg->our_max;
	ui->has_impl_class_uid = 1;
	ui->impl_class_uid.p = (const uint8_t *)w->par->impl_class_uid;
	ui->impl_class_uid.len = strlen(w->par->impl_class_uid);
	if (w->par->impl_version != NULL && w->par->impl_version[0] != '\0') {
		ui->has_impl_version = 1;
		ui->impl_version.p = (const uint8_t *)w->par->impl_version;
		ui->impl_version.len = strlen(w->par->impl_version);
	}
	if (neg->async_proposed) {
		/* Unless the user answered: one operation at a time. */
		ui->has_async_ops = 1;
		ui->async_invoked = neg->async_answered ?
		    neg->async_invoked : 1;
		ui->async_performed = neg->async_answered ?
		    neg->async_performed : 1;
	}
	for (i = 0; i < neg->n_ext_rsp && i < PDU_MAX_EXT_NEG; i++)
		ui->ext_neg[i] = neg->ext_rsp[i];
	ui->n_ext_neg = i;
	if (neg->identity_rsp != NULL) {
		ui->has_user_identity_ac = 1;
		ui->server_response.p = neg->identity_rsp;
		ui->server_response.len = neg->identity_rsp_len;
	}
	return (cap);
}

/* An A-ASSOCIATE-AC struct, mapped: its untouched pages cost nothing. */
static struct pdu_assoc *
worker_ac_map(void)
{
	struct pdu_assoc	*ac;

	ac = mmap(NULL, sizeof(*ac), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return (ac == MAP_FAILED ? NULL : ac);
}

/*
 * Return 0 if the negotiation as it stands makes an A-ASSOCIATE-AC that
 * can be encoded (every item within its 16-bit length), else the
 * encoder's error, or PDU_ERR_SPACE when there is no memory to try.  A
 * policy that decides the AC alone asks this before it accepts, so that
 * a request it cannot answer is rejected rather than left unanswered;
 * nothing changes the negotiation after it, so the AC encoded here is
 * kept and is the one op_send_ac() sends.
 */
int
worker_ac_check(struct worker *w)
{
	struct pdu_assoc	*ac;
	uint8_t			*buf = NULL;
	size_t			 cap;
	ssize_t			 n = PDU_ERR_SPACE;

	if ((ac = worker_ac_map()) == NULL)
		return (PDU_ERR_SPACE);
	cap = worker_ac_fill(w, ac);
	if ((buf = malloc(cap)) != NULL)
		n = pdu_encode_assoc_ac(buf, cap, ac);
	munmap(ac, sizeof(*ac));
	free(w->ac_pdu);
	w->ac_pdu = NULL;
	if (n < 0) {
		free(buf);
		return ((int)n);
	}
	w->ac_pdu = buf;
	w->ac_pdu_len = (size_t)n;
	return (0);
}

/* AE-7: send the A-ASSOCIATE-AC the negotiation makes. */
static void
op_send_ac(void *ctx, const void *rsp)
{
	struct worker		*w = ctx;
	struct pdu_assoc	*ac;
	uint8_t			*buf = NULL;
	size_t			 cap;
	ssize_t			 n;

	(void)rsp;
	if (w->ac_pdu != NULL) {
		/* Checked and encoded already: no second encoding. */
		buf = w->ac_pdu;
		n = (ssize_t)w->ac_pdu_len;
		w->ac_pdu = NULL;
		goto send;
	}
	if ((ac = worker_ac_map()) != NULL) {
		cap = worker_ac_fill(w, ac);
		buf = malloc(cap);
	}
	if (ac == NULL || buf == NULL) {
		if (ac != NULL)
			munmap(ac, sizeof(*ac));
		log_error("A-ASSOCIATE-AC");
		worker_nomem_rj(w);
		return;
	}
	n = pdu_encode_assoc_ac(buf, cap, ac);
	munmap(ac, sizeof(*ac));
send:
	/* No longer starting: before the peer can see the AC and ask. */
	scoreboard_established(w->par->sb);
	worker_send(w, buf, n);
	if (w->to.idle != 0)
		w->idle_deadline = io_now() + w->to.idle;
	worker_set_tag(w);
	free(buf);
	worker_forget_rq(w);
}

/* AE-6 (reject branch), AE-8: send A-ASSOCIATE-RJ. */
static void
op_send_rj(void *ctx, const struct fsm_rj *rj)
{
	struct worker	*w = ctx;
	uint8_t		 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	w->rj_sent = *rj;
	worker_set_outcome(w, "rejected");
	worker_send(w, buf, pdu_encode_assoc_rj(buf, sizeof(buf),
	    rj->result, rj->source, rj->reason));
}

/* DT-1, AR-7: send the service user's PDVs, fragmented for the peer. */
static void
op_send_pdata(void *ctx, const void *req)
{
	struct worker		*w = ctx;
	const struct su_event	*ev = req;
	uint64_t		 pdus = w->link.pdus_out;
	uint64_t		 bytes = w->link.bytes_out;

	if (w->link.fd == -1 || w->send_failed)
		return;
	if (link_send_pdvs(&w->link, ev->pdvs, ev->len, worker_send_max(w),
	    worker_send_deadline(w)) == -1) {
		if (errno == EINVAL || errno == EMSGSIZE) {
			log_errorx("internal: P-DATA request not sendable");
			w->exit_code = WORKER_EXIT_INTERNAL;
		} else if (errno == ETIMEDOUT) {
			log_warnx("peer did not read our P-DATA-TF within "
			    "%llu ms", (unsigned long long)w->to.send);
			worker_fail(w, "peer stopped reading (send timeout)");
			w->fsm_cause = CAUSE_SEND_STALL;
		}
		w->send_failed = 1;
	}
	worker_pdu_log(w, "sent %s: %llu PDUs, %llu bytes",
	    pdu_type_name(PDU_P_DATA_TF),
	    (unsigned long long)(w->link.pdus_out - pdus),
	    (unsigned long long)(w->link.bytes_out - bytes -
	    PDU_HDR_LEN * (w->link.pdus_out - pdus)));
}

/* AR-1: send A-RELEASE-RQ and start waiting for the answer. */
static void
op_send_release_rq(void *ctx)
{
	struct worker	*w = ctx;
	uint8_t		 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	w->we_released = 1;
	if (w->to.release != 0)
		w->release_deadline = io_now() + w->to.release;
	worker_send(w, buf, pdu_encode_release_rq(buf, sizeof(buf)));
}

/* AR-4, AR-9: send A-RELEASE-RP. */
static void
op_send_release_rp(void *ctx)
{
	struct worker	*w = ctx;
	uint8_t		 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	worker_set_outcome(w, "released");
	worker_send(w, buf, pdu_encode_release_rp(buf, sizeof(buf)));
}

/*
 * No memory for the A-ASSOCIATE-AC: the peer, still waiting for an answer,
 * gets A-ASSOCIATE-RJ (2, 3, 1) instead, which needs none, and the
 * connection is closed as after a failed write (PS3.8 9.1.4: an RJ rather
 * than a silent close).
 */
static void
worker_nomem_rj(struct worker *w)
{
	struct fsm_rj	 rj = { PDU_RJ_TRANSIENT, PDU_RJ_SOURCE_PROVIDER_PRES,
			    PDU_RJ_PRES_TEMPORARY_CONGESTION };

	worker_fail(w, "out of memory");
	w->exit_code = WORKER_EXIT_INTERNAL;
	op_send_rj(w, &rj);
	w->send_failed = 1;
}

/* AA-1, AA-7, AA-8: send A-ABORT. */
static void
op_send_abort(void *ctx, uint8_t source, uint8_t reason)
{
	struct worker	*w = ctx;
	uint8_t		 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	if (strcmp(w->outcome, "closed") == 0) {
		w->abort_src = source;
		w->abort_rsn = reason;
	}
	worker_set_outcome(w, "aborted");
	worker_send(w, buf, pdu_encode_abort(buf, sizeof(buf), source,
	    reason));
}

/*
 * AE-6: the provider's own checks, then the policy's routing and
 * negotiation.  What fails here is answered with A-ASSOCIATE-RJ and the
 * service user never hears of it (PS3.8 7.1.2 step 3).
 */
static int
op_check_rq(void *ctx, const void *p, struct fsm_rj *rj)
{
	struct worker		*w = ctx;
	const struct pdu_assoc	*rq = p;
	const struct worker_policy *pol = &w->par->policy;
	struct worker_neg	*neg = &w->neg;
	char			 uid[PDU_UID_MAX + 1];
	unsigned int		 i;

	if (w->rq_nomem) {
		/* Our shortage, not the peer's fault: it may try again. */
		rj->result = PDU_RJ_TRANSIENT;
		rj->source = PDU_RJ_SOURCE_PROVIDER_PRES;
		rj->reason = PDU_RJ_PRES_TEMPORARY_CONGESTION;
		return (-1);
	}
	pdu_ae_copy(neg->called, rq->called_ae.p, rq->called_ae.len);
	pdu_ae_copy(neg->calling, rq->calling_ae.p, rq->calling_ae.len);
	neg->our_max = w->par->max_pdu_receive;
	neg->peer_max = rq->ui.has_max_length ? rq->ui.max_length : 0;
	neg->async_proposed = rq->ui.has_async_ops;
	worker_set_tag(w);

	rj->result = PDU_RJ_PERMANENT;
	if (!pdu_version_ok(rq->protocol_version)) {
		rj->source = PDU_RJ_SOURCE_PROVIDER_ACSE;
		rj->reason = PDU_RJ_ACSE_PROTOCOL_VERSION;
		worker_fail(w, "protocol version 0x%04x lacks bit 0",
		    rq->protocol_version);
		return (-1);
	}
	if (pdu_uid_copy(uid, rq->app_context.p, rq->app_context.len) != 0 ||
	    strcmp(uid, PDU_APP_CONTEXT_NAME) != 0) {
		rj->source = PDU_RJ_SOURCE_USER;
		rj->reason = PDU_RJ_USER_APP_CONTEXT_NOT_SUPPORTED;
		worker_fail(w, "application context is not DICOM's");
		return (-1);
	}
	if (neg->peer_max > 0 && neg->peer_max < PDU_PDV_HDR_LEN + 2) {
		/* Digest 8.2: no even fragment fits; refuse now. */
		rj->source = PDU_RJ_SOURCE_PROVIDER_ACSE;
		rj->reason = PDU_RJ_ACSE_NO_REASON;
		worker_fail(w, "peer maximum length %u is too small",
		    neg->peer_max);
		return (-1);
	}
	if (w->par->over_limit) {
		rj->result = PDU_RJ_TRANSIENT;
		rj->source = PDU_RJ_SOURCE_PROVIDER_PRES;
		rj->reason = PDU_RJ_PRES_LOCAL_LIMIT_EXCEEDED;
		worker_fail(w, "association limit reached");
		return (-1);
	}
	if (!rq->ui.has_max_length)
		log_warnx("peer sent no maximum length; sending at most %u",
		    w->par->max_pdu_send);

	neg->n_pctx = rq->n_pctx;
	for (i = 0; i < rq->n_pctx; i++) {
		neg->pctx[i].id = rq->pctx[i].id;
		neg->pctx[i].result = PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED;
		if (pdu_uid_copy(neg->pctx[i].abstract,
		    rq->pctx[i].abstract_syntax.p,
		    rq->pctx[i].abstract_syntax.len) != 0)
			neg->pctx[i].abstract[0] = '\0';
	}
	if (pol->route == NULL) {
		rj->source = PDU_RJ_SOURCE_USER;
		rj->reason = PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED;
		return (-1);
	}
	return (pol->route(pol->ctx, w, rq, neg, rj));
}

/* AE-6: start the service user and hand it the A-ASSOCIATE indication. */
static void
op_assoc_ind(void *ctx, const void *rq)
{
	struct worker		*w = ctx;
	const struct su_ops	*su = w->par->su;
	struct su_event		 ev;

	if (su->start != NULL && su->start(w->par->su_ctx, w) == -1) {
		/* Design 8.8: a handler that cannot start is transient. */
		memset(&ev, 0, sizeof(ev));
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = PDU_RJ_TRANSIENT;
		ev.rj.source = PDU_RJ_SOURCE_PROVIDER_PRES;
		ev.rj.reason = PDU_RJ_PRES_TEMPORARY_CONGESTION;
		worker_fail(w, "service user could not start");
		worker_push(w, &ev);
		return;
	}
	w->su_started = 1;
	if (w->to.su != 0)
		w->su_deadline = io_now() + w->to.su;
	su->assoc_ind(w->par->su_ctx, w, rq, &w->neg);
}

/* AE-3 never happens to an acceptor. */
static void
op_cnf_accept(void *ctx, const void *ac)
{
	(void)ctx;
	(void)ac;
}

/* AE-4 never happens to an acceptor. */
static void
op_cnf_reject(void *ctx, const struct fsm_rj *rj, const void *pdu)
{
	(void)ctx;
	(void)rj;
	(void)pdu;
}

/* DT-2, AR-6: pass the PDVs of one P-DATA-TF on, untouched. */
static void
op_pdata_ind(void *ctx, const void *p)
{
	struct worker		*w = ctx;
	const struct pdu	*pdu = p;

	if (!w->su_started)
		return;
	if (w->link.in_pipe)
		w->par->su->pdata_pipe(w->par->su_ctx, w);
	else if (w->par->su->pdata_ind != NULL)
		w->par->su->pdata_ind(w->par->su_ctx, w, pdu->u.pdata.items,
		    pdu->u.pdata.len);
}

/*
 * AR-2, AR-8: A-RELEASE indication.  In a collision the acceptor's user
 * already asked to release and is told only by the confirmation
 * (design decision 7), so AR-8's indication stays here.
 */
static void
op_release_ind(void *ctx, int collision)
{
	struct worker	*w = ctx;

	if (collision) {
		w->collision = 1;
		return;
	}
	if (w->to.su != 0)
		w->su_deadline = io_now() + w->to.su;
	if (w->su_started && w->par->su->release_ind != NULL)
		w->par->su->release_ind(w->par->su_ctx, w);
}

/*
 * AR-3, AR-10: A-RELEASE confirmation.  After AR-10 the acceptor answers
 * the collided release itself, since its user never saw an indication.
 */
static void
op_release_cnf(void *ctx, int collision)
{
	struct worker	*w = ctx;
	struct su_event	 ev;

	if (!collision)
		worker_set_outcome(w, "released");
	if (w->su_started && w->par->su->release_cnf != NULL)
		w->par->su->release_cnf(w->par->su_ctx, w, collision);
	if (collision && w->fsm.role == FSM_ACCEPTOR) {
		memset(&ev, 0, sizeof(ev));
		ev.ev = EVT14_RELEASE_RSP;
		worker_push(w, &ev);
	}
}

/* AA-3: the peer aborted. */
static void
op_abort_ind(void *ctx, uint8_t source, uint8_t reason)
{
	struct worker	*w = ctx;

	if (strcmp(w->outcome, "closed") == 0) {
		w->abort_src = source;
		w->abort_rsn = reason;
	}
	worker_set_outcome(w, "aborted-by-peer");
	if (w->su_started && w->par->su->abort_ind != NULL)
		w->par->su->abort_ind(w->par->su_ctx, w, source, reason);
}

/* AA-3 (provider source), AA-4, AA-8: A-P-ABORT indication. */
static void
op_p_abort_ind(void *ctx, uint8_t reason)
{
	struct worker	*w = ctx;

	if (w->fsm.action == ACT_AA3) {
		if (strcmp(w->outcome, "closed") == 0) {
			w->abort_src = PDU_ABORT_SOURCE_PROVIDER;
			w->abort_rsn = reason;
		}
		worker_set_outcome(w, "aborted-by-peer");
	} else if (w->fsm.action == ACT_AA4)
		worker_set_outcome(w, "connection-lost");
	if (w->su_started && w->par->su->p_abort_ind != NULL)
		w->par->su->p_abort_ind(w->par->su_ctx, w, reason,
		    w->fsm.action == ACT_AA4 ? (w->fsm_cause ==
		    CAUSE_SEND_STALL ? CAUSE_SEND_STALL : CAUSE_PEER_CLOSED) :
		    w->fsm.action == ACT_AA8 ? CAUSE_INVALID_PDU : w->fsm_cause);
}
