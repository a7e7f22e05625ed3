/*
 * requestor.c: the association-requestor on the shared engine: the state
 * machine's operations for that role, and the waits between the steps.
 */

#include "compat.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dimse.h"
#include "fsm.h"
#include "io.h"
#include "link.h"
#include "log.h"
#include "pdu.h"
#include "requestor.h"
#include "uid.h"

#define REQ_IMPL_CLASS_UID	DUL_IMPL_CLASS_UID
#define REQ_IMPL_VERSION	DUL_IMPL_VERSION

static uint64_t	rq_now(void *);
static void	rq_connect(void *);
static void	rq_close(void *);
static void	rq_send_rq(void *);
static void	rq_send_ac(void *, const void *);
static void	rq_send_rj(void *, const struct fsm_rj *);
static void	rq_send_pdata(void *, const void *);
static void	rq_send_release_rq(void *);
static void	rq_send_release_rp(void *);
static void	rq_send_abort(void *, uint8_t, uint8_t);
static int	rq_check_rq(void *, const void *, struct fsm_rj *);
static void	rq_assoc_ind(void *, const void *);
static void	rq_cnf_accept(void *, const void *);
static void	rq_cnf_reject(void *, const struct fsm_rj *, const void *);
static void	rq_pdata_ind(void *, const void *);
static void	rq_release_ind(void *, int);
static void	rq_release_cnf(void *, int);
static void	rq_abort_ind(void *, uint8_t, uint8_t);
static void	rq_p_abort_ind(void *, uint8_t);

static void	req_step(struct requestor *, enum fsm_event,
		    const struct fsm_evarg *);
static void	req_write(struct requestor *, const void *, ssize_t);
static void	req_read(struct requestor *);
static void	req_pdu(struct requestor *);
static int	req_wait(struct requestor *, int (*)(const struct requestor *),
		    uint64_t);
static void	req_fail(struct requestor *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	req_connected(const struct requestor *);
static int	req_answered(const struct requestor *);
static int	req_have_command(const struct requestor *);
static int	req_idle(const struct requestor *);
static uint32_t	req_send_max(const struct requestor *);

static const struct fsm_ops requestor_fsm_ops = {
	.now = rq_now,
	.transport_connect = rq_connect,
	.transport_close = rq_close,
	.send_assoc_rq = rq_send_rq,
	.send_assoc_ac = rq_send_ac,
	.send_assoc_rj = rq_send_rj,
	.send_pdata = rq_send_pdata,
	.send_release_rq = rq_send_release_rq,
	.send_release_rp = rq_send_release_rp,
	.send_abort = rq_send_abort,
	.check_assoc_rq = rq_check_rq,
	.assoc_ind = rq_assoc_ind,
	.assoc_cnf_accept = rq_cnf_accept,
	.assoc_cnf_reject = rq_cnf_reject,
	.pdata_ind = rq_pdata_ind,
	.release_ind = rq_release_ind,
	.release_cnf = rq_release_cnf,
	.abort_ind = rq_abort_ind,
	.p_abort_ind = rq_p_abort_ind,
};

/* Set up an association in Sta1. */
void
requestor_init(struct requestor *r, const struct requestor_params *par)
{
	memset(r, 0, sizeof(*r));
	r->par = par;
	link_init(&r->link, -1);
	fsm_init(&r->fsm, FSM_REQUESTOR, &requestor_fsm_ops, r,
	    par->artim != 0 ? par->artim : 30000);
}

/* Release what the association holds, closing the socket if open. */
void
requestor_free(struct requestor *r)
{
	if (r->link.fd != -1)
		close(r->link.fd);
	r->link.fd = -1;
	link_free(&r->link);
}

/* Return the reason the last call failed. */
const char *
requestor_error(const struct requestor *r)
{
	return (r->err[0] != '\0' ? r->err : "no error");
}

/* Note the first reason for a failure. */
static void
req_fail(struct requestor *r, const char *fmt, ...)
{
	va_list	 ap;

	if (r->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* Step one event, then the transport failure a write in it caused. */
static void
req_step(struct requestor *r, enum fsm_event ev, const struct fsm_evarg *a)
{
	int	 rc;

	if ((rc = fsm_step(&r->fsm, ev, a)) < 0)
		log_debug("%s in %s: %s", fsm_event_name(ev),
		    fsm_state_name(r->fsm.state), fsm_strerror(rc));
	if (r->send_failed && r->fsm.state != STA1_IDLE) {
		r->send_failed = 0;
		req_fail(r, "write to peer failed");
		req_step(r, EVT17_TRANSPORT_CLOSED, NULL);
	}
}

/* Read the monotonic clock. */
static uint64_t
rq_now(void *ctx)
{
	uint64_t	 t = io_now();

	(void)ctx;
	return (t == 0 ? 1 : t);
}

/* AE-1: open a non-blocking connection; Evt2 or Evt17 follows. */
static void
rq_connect(void *ctx)
{
	struct requestor	*r = ctx;
	int			 fd, one = 1;

	fd = socket(r->sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		r->connect_errno = errno;
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->link.fd = fd;
	if (connect(fd, r->sa, r->salen) == 0)
		r->connect_done = 1;
	else if (errno != EINPROGRESS)
		r->connect_errno = errno;
}

/* AE-4, AR-3, AA-2, AA-3: close the connection. */
static void
rq_close(void *ctx)
{
	struct requestor	*r = ctx;

	if (r->link.fd != -1)
		close(r->link.fd);
	r->link.fd = -1;
}

/* Write one PDU; a failure becomes Evt17 after the step. */
static void
req_write(struct requestor *r, const void *p, ssize_t len)
{
	if (len < 0) {
		req_fail(r, "cannot encode %s: %s", pdu_type_name(
		    r->fsm.action == ACT_AE2 ? PDU_ASSOC_RQ : 0),
		    pdu_strerror((int)len));
		r->send_failed = 1;
		return;
	}
	if (r->link.fd == -1 || r->send_failed)
		return;
	log_debug("sending %s, %zd bytes", pdu_type_name(*(const uint8_t *)p),
	    len - PDU_HDR_LEN);
	if (link_send(&r->link, p, (size_t)len, r->send_deadline) == -1)
		r->send_failed = 1;
}

/* AE-2: propose one abstract syntax on presentation context 1. */
static void
rq_send_rq(void *ctx)
{
	struct requestor	*r = ctx;
	const struct requestor_params *par = r->par;
	struct pdu_assoc	*rq;
	struct pdu_str		 ts[2];
	uint8_t			 buf[2048];
	const char		*uid, *ver;

	if ((rq = calloc(1, sizeof(*rq))) == NULL) {
		req_fail(r, "out of memory");
		r->send_failed = 1;
		return;
	}
	rq->called_ae.p = (const uint8_t *)par->called;
	rq->called_ae.len = strlen(par->called);
	rq->calling_ae.p = (const uint8_t *)par->calling;
	rq->calling_ae.len = strlen(par->calling);
	rq->n_pctx = 1;
	rq->pctx[0].id = 1;
	rq->pctx[0].abstract_syntax.p = (const uint8_t *)par->abstract;
	rq->pctx[0].abstract_syntax.len = strlen(par->abstract);
	ts[0].p = (const uint8_t *)DIMSE_IMPLICIT_LE_UID;
	ts[0].len = strlen(DIMSE_IMPLICIT_LE_UID);
	if (par->explicit_le) {
		ts[1] = ts[0];
		ts[0].p = (const uint8_t *)DIMSE_EXPLICIT_LE_UID;
		ts[0].len = strlen(DIMSE_EXPLICIT_LE_UID);
	}
	rq->pctx[0].ts_list = ts;
	rq->pctx[0].n_ts = par->explicit_le ? 2 : 1;
	rq->ui.has_max_length = 1;
	rq->ui.max_length = par->max_pdu_receive;
	uid = par->impl_class_uid != NULL ? par->impl_class_uid :
	    REQ_IMPL_CLASS_UID;
	ver = par->impl_version != NULL ? par->impl_version :
	    REQ_IMPL_VERSION;
	rq->ui.has_impl_class_uid = 1;
	rq->ui.impl_class_uid.p = (const uint8_t *)uid;
	rq->ui.impl_class_uid.len = strlen(uid);
	if (*ver != '\0') {
		rq->ui.has_impl_version = 1;
		rq->ui.impl_version.p = (const uint8_t *)ver;
		rq->ui.impl_version.len = strlen(ver);
	}
	req_write(r, buf, pdu_encode_assoc_rq(buf, sizeof(buf), rq));
	free(rq);
}

/* AE-7 never happens to a requestor. */
static void
rq_send_ac(void *ctx, const void *rsp)
{
	(void)ctx;
	(void)rsp;
	log_warnx("internal: A-ASSOCIATE-AC asked of a requestor");
}

/* AE-8 never happens to a requestor. */
static void
rq_send_rj(void *ctx, const struct fsm_rj *rj)
{
	(void)ctx;
	(void)rj;
	log_warnx("internal: A-ASSOCIATE-RJ asked of a requestor");
}

/* The largest PDU-length we send: the peer's maximum, within our cap. */
static uint32_t
req_send_max(const struct requestor *r)
{
	uint32_t	 m = r->par->max_pdu_send != 0 ? r->par->max_pdu_send :
			    65536;

	if (r->peer_max != 0 && r->peer_max < m)
		m = r->peer_max;
	return (m);
}

/* DT-1, AR-7: send PDV items, fragmented to the peer's maximum. */
static void
rq_send_pdata(void *ctx, const void *req)
{
	struct requestor	*r = ctx;
	const struct pdu_pdata	*pd = req;

	if (r->link.fd == -1 || r->send_failed)
		return;
	if (link_send_pdvs(&r->link, pd->items, pd->len, req_send_max(r),
	    r->send_deadline) == -1)
		r->send_failed = 1;
}

/* AR-1: send A-RELEASE-RQ. */
static void
rq_send_release_rq(void *ctx)
{
	uint8_t	 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	req_write(ctx, buf, pdu_encode_release_rq(buf, sizeof(buf)));
}

/* AR-4, AR-9: send A-RELEASE-RP. */
static void
rq_send_release_rp(void *ctx)
{
	struct requestor	*r = ctx;
	uint8_t			 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	/* AR-4: the acceptor asked to release, and this is our answer. */
	if (r->fsm.action == ACT_AR4)
		r->peer_released = 1;
	req_write(r, buf, pdu_encode_release_rp(buf, sizeof(buf)));
}

/* AA-1, AA-7, AA-8: send A-ABORT. */
static void
rq_send_abort(void *ctx, uint8_t source, uint8_t reason)
{
	uint8_t	 buf[PDU_HDR_LEN + PDU_FIXED_BODY_LEN];

	req_write(ctx, buf, pdu_encode_abort(buf, sizeof(buf), source,
	    reason));
}

/* AE-6 never happens to a requestor. */
static int
rq_check_rq(void *ctx, const void *rq, struct fsm_rj *rj)
{
	(void)ctx;
	(void)rq;
	(void)rj;
	return (-1);
}

/* AE-6 never happens to a requestor. */
static void
rq_assoc_ind(void *ctx, const void *rq)
{
	(void)ctx;
	(void)rq;
}

/*
 * AE-3: the peer accepted.  Keep its maximum length and the transfer
 * syntax of context 1, if that was accepted with one we proposed.
 */
static void
rq_cnf_accept(void *ctx, const void *p)
{
	struct requestor	*r = ctx;
	const struct pdu_assoc	*ac = &((const struct pdu *)p)->u.assoc;
	char			 ts[PDU_UID_MAX + 1];
	unsigned int		 i;

	r->peer_max = ac->ui.has_max_length ? ac->ui.max_length : 0;
	for (i = 0; i < ac->n_pctx; i++) {
		if (ac->pctx[i].id != 1 ||
		    ac->pctx[i].result != PDU_PCTX_ACCEPTANCE)
			continue;
		if (pdu_uid_copy(ts, ac->pctx[i].ts.p, ac->pctx[i].ts.len) !=
		    0)
			continue;
		if (strcmp(ts, DIMSE_IMPLICIT_LE_UID) != 0 &&
		    (!r->par->explicit_le ||
		    strcmp(ts, DIMSE_EXPLICIT_LE_UID) != 0))
			continue;
		r->pcid = 1;
		strlcpy(r->ts, ts, sizeof(r->ts));
	}
}

/* AE-4: the peer rejected the association. */
static void
rq_cnf_reject(void *ctx, const struct fsm_rj *rj, const void *pdu)
{
	struct requestor	*r = ctx;

	(void)pdu;
	r->rejected = 1;
	r->rj = *rj;
	req_fail(r, "rejected (%u,%u,%u: %s/%s/%s)", rj->result, rj->source,
	    rj->reason, pdu_rj_result_name(rj->result),
	    pdu_rj_source_name(rj->source),
	    pdu_rj_reason_name(rj->source, rj->reason));
}

/* DT-2, AR-6: collect a command set from its fragments. */
static void
rq_pdata_ind(void *ctx, const void *p)
{
	struct requestor	*r = ctx;
	struct pdu_iter		 it;
	struct pdu_pdv		 pdv;
	int			 rc;

	pdu_pdv_iter(&it, &((const struct pdu *)p)->u.pdata);
	while (pdu_pdv_next(&it, &pdv) == 1) {
		if ((rc = dimse_asm_add(&r->cmd, &pdv)) < 0) {
			req_fail(r, "response: %s", dimse_strerror(rc));
			dimse_asm_reset(&r->cmd);
			continue;
		}
		if (rc == 0)
			continue;
		if ((rc = dimse_parse(r->cmd.buf, r->cmd.len, &r->rsp)) < 0)
			req_fail(r, "response: %s", dimse_strerror(rc));
		else
			r->cmd_ready = 1;
		dimse_asm_reset(&r->cmd);
	}
}

/* AR-2, AR-8: the peer asks to release; answer on the next turn. */
static void
rq_release_ind(void *ctx, int collision)
{
	struct requestor	*r = ctx;

	(void)collision;
	r->release_due = 1;
}

/* AR-3: the release is confirmed. */
static void
rq_release_cnf(void *ctx, int collision)
{
	struct requestor	*r = ctx;

	(void)collision;
	r->released = 1;
}

/* AA-3: the peer aborted. */
static void
rq_abort_ind(void *ctx, uint8_t source, uint8_t reason)
{
	struct requestor	*r = ctx;

	r->aborted = 1;
	r->abort_src = source;
	r->abort_rsn = reason;
	req_fail(r, "aborted by the peer (%u,%u)", source, reason);
}

/* AA-3 (provider source), AA-4, AA-8: A-P-ABORT. */
static void
rq_p_abort_ind(void *ctx, uint8_t reason)
{
	struct requestor	*r = ctx;

	r->provider_aborted = 1;
	if (r->fsm.action == ACT_AA4)
		req_fail(r, "connection closed by the peer in %s",
		    fsm_state_name(r->fsm.from));
	else if (r->fsm.action == ACT_AA3)
		req_fail(r, "aborted by the peer's provider (2,%u: %s)",
		    reason, pdu_abort_reason_name(reason));
	else
		req_fail(r, "protocol error from the peer in %s: sent "
		    "A-ABORT (2,%u)", fsm_state_name(r->fsm.from), reason);
}

/* Turn the PDU that link_read() completed into an event. */
static void
req_pdu(struct requestor *r)
{
	struct fsm_evarg	 a;
	struct link		*l = &r->link;
	struct pdu_iter		 it;
	struct pdu_pdv		 pdv;
	enum fsm_event		 ev = EVT_NONE;
	int			 rc;

	memset(&a, 0, sizeof(a));
	log_debug("received %s, %u bytes", pdu_type_name(l->h.type),
	    (unsigned int)l->h.len);
	if ((rc = pdu_decode_body(l->h.type, l->body, l->h.len,
	    &r->pdu)) < 0) {
		req_fail(r, "invalid %s from the peer: %s",
		    pdu_type_name(l->h.type), pdu_strerror(rc));
		a.abort_reason = pdu_err_abort_reason(rc);
		req_step(r, EVT19_INVALID_PDU, &a);
		return;
	}
	a.data = &r->pdu;
	switch (l->h.type) {
	case PDU_ASSOC_RQ:
		ev = EVT6_ASSOC_RQ_PDU;
		break;
	case PDU_ASSOC_AC:
		ev = EVT3_ASSOC_AC_PDU;
		break;
	case PDU_ASSOC_RJ:
		ev = EVT4_ASSOC_RJ_PDU;
		a.rj.result = r->pdu.u.rj.result;
		a.rj.source = r->pdu.u.rj.source;
		a.rj.reason = r->pdu.u.rj.reason;
		break;
	case PDU_P_DATA_TF:
		ev = EVT10_PDATA_PDU;
		pdu_pdv_iter(&it, &r->pdu.u.pdata);
		while (pdu_pdv_next(&it, &pdv) == 1) {
			if (r->pcid != 0 && pdv.pcid == r->pcid)
				continue;
			req_fail(r, "P-DATA on presentation context %u",
			    pdv.pcid);
			ev = EVT19_INVALID_PDU;
			a.abort_reason = PDU_ABORT_INVALID_PARAM;
			break;
		}
		break;
	case PDU_RELEASE_RQ:
		ev = EVT12_RELEASE_RQ_PDU;
		break;
	case PDU_RELEASE_RP:
		ev = EVT13_RELEASE_RP_PDU;
		break;
	case PDU_ABORT:
		ev = EVT16_ABORT_PDU;
		a.abort_source = r->pdu.u.abort.source;
		a.abort_reason = r->pdu.u.abort.reason;
		break;
	default:
		return;
	}
	req_step(r, ev, &a);
}

/* Read what the socket holds and step each whole PDU. */
static void
req_read(struct requestor *r)
{
	struct pdu_limits	 lim;
	struct fsm_evarg	 a;
	ssize_t			 n;
	int			 i, rc;

	lim.max_assoc_len = PDU_DEFAULT_MAX_ASSOC_LEN;
	lim.max_pdata_len = r->par->max_pdu_receive;
	for (i = 0; i < 64 && r->link.fd != -1 &&
	    r->fsm.state != STA1_IDLE; i++) {
		if (r->fsm.unframed) {
			n = link_drain(&r->link);
			if (n == LINK_EOF || n == LINK_ERR)
				req_step(r, EVT17_TRANSPORT_CLOSED, NULL);
			return;
		}
		rc = link_read(&r->link, &lim, PDU_PHASE_ASSOCIATED);
		switch (rc) {
		case LINK_AGAIN:
			return;
		case LINK_EOF:
		case LINK_ERR:
			req_step(r, EVT17_TRANSPORT_CLOSED, NULL);
			return;
		case LINK_BADHDR:
			memset(&a, 0, sizeof(a));
			a.abort_reason = pdu_err_abort_reason(r->link.err);
			a.unframed = 1;
			req_fail(r, "bad PDU header from the peer: type "
			    "0x%02x: %s", r->link.hdr[0],
			    pdu_strerror(r->link.err));
			req_step(r, EVT19_INVALID_PDU, &a);
			link_next(&r->link);
			break;
		default:
			req_pdu(r);
			link_next(&r->link);
			break;
		}
	}
}

/*
 * Poll and step until done() holds, the association is over, or the
 * deadline passes.  A release the peer asked for is answered on the way.
 * Returns 0 when done() holds, -1 otherwise.
 */
static int
req_wait(struct requestor *r, int (*done)(const struct requestor *),
    uint64_t deadline)
{
	struct pollfd	 pfd;
	socklen_t	 len;
	uint64_t	 now, d;
	int		 err;

	for (;;) {
		if (r->connect_errno != 0 &&
		    r->fsm.state == STA4_AWAIT_TRANSPORT_OPEN) {
			req_fail(r, "connect: %s", strerror(r->connect_errno));
			req_step(r, EVT17_TRANSPORT_CLOSED, NULL);
		}
		if (r->connect_done &&
		    r->fsm.state == STA4_AWAIT_TRANSPORT_OPEN) {
			r->connect_done = 0;
			req_step(r, EVT2_TRANSPORT_CONF, NULL);
		}
		if (r->release_due) {
			r->release_due = 0;
			req_step(r, EVT14_RELEASE_RSP, NULL);
		}
		if (done(r))
			return (0);
		if (r->fsm.state == STA1_IDLE) {
			req_fail(r, "association ended");
			return (-1);
		}
		now = io_now();
		if (fsm_artim_expired(&r->fsm, now)) {
			req_fail(r, "peer did not close within ARTIM");
			req_step(r, EVT18_ARTIM_EXPIRED, NULL);
			continue;
		}
		if (deadline != 0 && now >= deadline) {
			req_fail(r, "timed out in %s (%s)",
			    fsm_state_name(r->fsm.state),
			    fsm_state_desc(r->fsm.state));
			return (-1);
		}
		d = io_min_deadline(deadline, fsm_artim_deadline(&r->fsm));
		pfd.fd = r->link.fd;
		pfd.events = r->fsm.state == STA4_AWAIT_TRANSPORT_OPEN ?
		    POLLOUT : POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, io_timeout(d, now)) == -1 && errno != EINTR) {
			req_fail(r, "poll: %s", strerror(errno));
			return (-1);
		}
		if (pfd.revents == 0)
			continue;
		if (r->fsm.state == STA4_AWAIT_TRANSPORT_OPEN) {
			len = sizeof(err);
			if (getsockopt(r->link.fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			if (err != 0)
				r->connect_errno = err;
			else
				r->connect_done = 1;
			continue;
		}
		req_read(r);
	}
}

/* Done waiting once the connection attempt is over. */
static int
req_connected(const struct requestor *r)
{
	return (r->fsm.state != STA4_AWAIT_TRANSPORT_OPEN &&
	    r->fsm.state != STA1_IDLE);
}

/* Done waiting once the peer answered the A-ASSOCIATE-RQ. */
static int
req_answered(const struct requestor *r)
{
	return (r->fsm.state != STA5_AWAIT_ASSOC_RSP);
}

/* Done waiting once a whole command set came, or the association left. */
static int
req_have_command(const struct requestor *r)
{
	return (r->cmd_ready || (r->fsm.state != STA6_ESTABLISHED &&
	    r->fsm.state != STA1_IDLE));
}

/* Done waiting once the machine is back in Sta1. */
static int
req_idle(const struct requestor *r)
{
	return (r->fsm.state == STA1_IDLE);
}

/*
 * Connect to the acceptor (AE-1, then AE-2 on Evt2) and send the
 * A-ASSOCIATE-RQ.  Returns 0 with the machine in Sta5.
 */
int
requestor_connect(struct requestor *r, const struct sockaddr *sa,
    socklen_t salen, uint64_t deadline)
{
	r->sa = sa;
	r->salen = salen;
	r->send_deadline = deadline;
	req_step(r, EVT1_ASSOC_REQ, NULL);
	if (req_wait(r, req_connected, deadline) == -1) {
		if (r->fsm.state == STA4_AWAIT_TRANSPORT_OPEN)
			req_step(r, EVT15_ABORT_REQ, NULL);
		return (-1);
	}
	return (r->fsm.state == STA5_AWAIT_ASSOC_RSP ? 0 : -1);
}

/*
 * Wait for the A-ASSOCIATE-AC or -RJ.  Returns 0 once established with
 * the proposed abstract syntax accepted on context 1.
 */
int
requestor_associate(struct requestor *r, uint64_t deadline)
{
	r->send_deadline = deadline;
	if (req_wait(r, req_answered, deadline) == -1)
		return (-1);
	if (r->fsm.state != STA6_ESTABLISHED)
		return (-1);
	if (r->pcid == 0) {
		req_fail(r, "the presentation context was not accepted");
		return (-1);
	}
	return (0);
}

/*
 * Send one message's PDV items (P-DATA-TF body layout, on the accepted
 * context) with Evt9.
 */
int
requestor_send(struct requestor *r, const uint8_t *pdvs, size_t len,
    uint64_t deadline)
{
	struct pdu_pdata	 pd;
	struct fsm_evarg	 a;

	memset(&pd, 0, sizeof(pd));
	pd.items = pdvs;
	pd.len = len;
	memset(&a, 0, sizeof(a));
	a.data = &pd;
	r->send_deadline = deadline;
	if (r->fsm.state != STA6_ESTABLISHED) {
		if (r->peer_released)
			req_fail(r, "the peer released the association");
		req_fail(r, "cannot send in %s", fsm_state_name(r->fsm.state));
		return (-1);
	}
	req_step(r, EVT9_PDATA_REQ, &a);
	return (r->fsm.state == STA6_ESTABLISHED ? 0 : -1);
}

/* Wait for the next whole command set from the peer. */
int
requestor_command(struct requestor *r, struct dimse_cmd *c,
    uint64_t deadline)
{
	r->send_deadline = deadline;
	if (req_wait(r, req_have_command, deadline) == -1)
		return (-1);
	if (!r->cmd_ready) {
		if (r->peer_released)
			req_fail(r, "the peer released the association");
		req_fail(r, "no response: association left Sta6 for %s",
		    fsm_state_name(r->fsm.state));
		return (-1);
	}
	r->cmd_ready = 0;
	*c = r->rsp;
	return (0);
}

/*
 * Release (AR-1) and wait for the peer's A-RELEASE-RP (AR-3 closes), or
 * go through a collision.  If the acceptor asked first and we already
 * answered (AR-4), only wait for it to close.  Returns 0 once released.
 */
int
requestor_release(struct requestor *r, uint64_t deadline)
{
	r->send_deadline = deadline;
	if (r->fsm.state == STA6_ESTABLISHED)
		req_step(r, EVT11_RELEASE_REQ, NULL);
	if (req_wait(r, req_idle, deadline) == -1)
		return (-1);
	if (!r->released && !r->peer_released) {
		req_fail(r, "association ended without a release");
		return (-1);
	}
	return (0);
}

/*
 * Abort (AA-1) and wait for the peer to close, at most ARTIM (AA-2 then
 * closes).  Returns 0 when the machine is back in Sta1.
 */
int
requestor_abort(struct requestor *r, uint64_t deadline)
{
	r->send_deadline = deadline;
	if (r->fsm.state == STA1_IDLE)
		return (0);
	req_step(r, EVT15_ABORT_REQ, NULL);
	return (req_wait(r, req_idle, 0));
}
