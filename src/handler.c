/*
 * handler.c: the handler executable as the DUL service user.  Frames to
 * it are queued and written as the pipe takes them; frames from it are
 * read incrementally inside the worker's poll loop and become the
 * primitives Evt7, 8, 9, 11, 14 and 15.  Every handler failure follows
 * design 8.8: before the A-ASSOCIATE-AC an RJ (2,3,1), afterwards an
 * A-ABORT (2,0).
 */

#include "compat.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fsm.h"
#include "handler.h"
#include "handler_int.h"
#include "hipc.h"
#include "io.h"
#include "log.h"
#include "pdu.h"
#include "worker.h"

static int	h_start(void *, struct worker *);
static void	h_assoc_ind(void *, struct worker *, const struct pdu_assoc *,
		    struct worker_neg *);
static void	h_pdata_ind(void *, struct worker *, const uint8_t *, size_t);
static void	h_release_ind(void *, struct worker *);
static void	h_release_cnf(void *, struct worker *, int);
static void	h_abort_ind(void *, struct worker *, uint8_t, uint8_t);
static void	h_p_abort_ind(void *, struct worker *, uint8_t,
		    enum worker_cause);
static int	h_pollfds(void *, struct pollfd *, int);
static void	h_handle(void *, struct worker *, struct pollfd *, int);
static uint64_t	h_deadline(void *, struct worker *);
static int	h_busy(void *);
static int	h_end(void *, struct worker *);
static int	h_queue(struct handler *, const struct hipc_msg *);
static int	h_queue_raw(struct handler *, enum hipc_type, const uint8_t *,
		    size_t);
static void	h_flush(struct handler *, struct worker *);
static void	h_read(struct handler *, struct worker *);
static void	h_frame(struct handler *, struct worker *);
static void	h_failed(struct handler *, struct worker *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	h_assoc_rsp(struct handler *, struct worker *,
		    const struct hipc_assoc_rsp *);
static void	h_terminal(struct handler *, const struct hipc_msg *);

const struct su_ops handler_su_ops = {
	.name = "handler",
	.start = h_start,
	.assoc_ind = h_assoc_ind,
	.pdata_ind = h_pdata_ind,
	.release_ind = h_release_ind,
	.release_cnf = h_release_cnf,
	.abort_ind = h_abort_ind,
	.p_abort_ind = h_p_abort_ind,
	.pollfds = h_pollfds,
	.handle = h_handle,
	.deadline = h_deadline,
	.busy = h_busy,
	.end = h_end,
};

/* Prepare a handler service user for one association. */
void
handler_init(struct handler *h, const struct dul_conf *conf)
{
	memset(h, 0, sizeof(*h));
	h->conf = conf;
	h->pid = -1;
	h->to_h = h->from_h = -1;
	h->out[0].fd = h->out[1].fd = -1;
	h->out[0].name = "stdout";
	h->out[1].name = "stderr";
}

/* Add the peer's implementation UID and version to the environment. */
int
handler_env_impl(struct worker *w, char **envp, size_t *ne)
{
	char	 uid[PDU_UID_MAX + 1], ver[PDU_UID_MAX * 4 + 1];
	char	 raw[PDU_UID_MAX + 1];
	size_t	 n;

	uid[0] = ver[0] = '\0';
	if (w->rq.ui.has_impl_class_uid &&
	    pdu_uid_copy(raw, w->rq.ui.impl_class_uid.p,
	    w->rq.ui.impl_class_uid.len) == 0 && pdu_uid_valid(raw,
	    strlen(raw)))
		strlcpy(uid, raw, sizeof(uid));
	if (w->rq.ui.has_impl_version) {
		n = w->rq.ui.impl_version.len;
		log_vis(ver, sizeof(ver), w->rq.ui.impl_version.p,
		    n > 16 ? 16 : n);
	}
	if (*ne + 3 >= 64)
		return (-1);
	if (asprintf(&envp[*ne], "DUL_PEER_IMPLEMENTATION_UID=%s", uid) == -1)
		return (-1);
	(*ne)++;
	if (asprintf(&envp[*ne], "DUL_PEER_IMPLEMENTATION_VERSION=%s",
	    ver) == -1)
		return (-1);
	(*ne)++;
	envp[*ne] = NULL;
	return (0);
}

/* The handler failed: log once and act on the wire as design 8.8 says. */
static void
h_failed(struct handler *h, struct worker *w, const char *fmt, ...)
{
	struct su_event	 ev;
	char		 msg[256];
	va_list		 ap;

	if (h->failed)
		return;
	h->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("handler failed: %s", msg);
	worker_fail(w, "handler failed: %s", msg);
	w->exit_code = WORKER_EXIT_PROTOCOL;
	h->closing = 1;
	memset(&ev, 0, sizeof(ev));
	switch (w->fsm.state) {
	case STA3_AWAIT_LOCAL_RSP:
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = PDU_RJ_TRANSIENT;
		ev.rj.source = PDU_RJ_SOURCE_PROVIDER_PRES;
		ev.rj.reason = PDU_RJ_PRES_TEMPORARY_CONGESTION;
		break;
	case STA1_IDLE:
	case STA2_TRANSPORT_OPEN:
	case STA13_AWAIT_CLOSE:
		return;
	default:
		ev.ev = EVT15_ABORT_REQ;
		ev.abort_source = PDU_ABORT_SOURCE_PROVIDER;
		ev.abort_reason = PDU_ABORT_NOT_SPECIFIED;
		break;
	}
	worker_push(w, &ev);
}

/* Queue raw frame bytes: header plus body. */
static int
h_queue_raw(struct handler *h, enum hipc_type type, const uint8_t *body,
    size_t len)
{
	size_t	 need = HIPC_HDR_LEN + len;
	uint8_t	*nq;

	if (h->oq_off > 0 && h->oq_off == h->oq_len)
		h->oq_off = h->oq_len = 0;
	if (h->oq_cap - h->oq_len < need) {
		if (h->oq_off > 0) {
			memmove(h->oq, h->oq + h->oq_off,
			    h->oq_len - h->oq_off);
			h->oq_len -= h->oq_off;
			h->oq_off = 0;
		}
		if (h->oq_cap - h->oq_len < need) {
			if ((nq = realloc(h->oq, h->oq_len + need)) == NULL)
				return (-1);
			h->oq = nq;
			h->oq_cap = h->oq_len + need;
		}
	}
	hipc_hdr_put(h->oq + h->oq_len, type, (uint32_t)len);
	if (len > 0)
		memcpy(h->oq + h->oq_len + HIPC_HDR_LEN, body, len);
	if (h->oq_len == h->oq_off)
		h->oq_stall = 0;
	h->oq_len += need;
	return (0);
}

/* Encode a message into the queue. */
static int
h_queue(struct handler *h, const struct hipc_msg *m)
{
	uint8_t	*buf;
	size_t	 len;
	int	 r;

	if ((r = hipc_encode(m, NULL, 0, &len)) != HIPC_ERR_SPACE &&
	    r != HIPC_OK) {
		log_warnx("internal: cannot encode %s: %s",
		    hipc_type_name(m->type), hipc_strerror(r));
		return (-1);
	}
	if ((buf = malloc(len)) == NULL)
		return (-1);
	if ((r = hipc_encode(m, buf, len, &len)) != HIPC_OK) {
		log_warnx("internal: cannot encode %s: %s",
		    hipc_type_name(m->type), hipc_strerror(r));
		free(buf);
		return (-1);
	}
	r = h_queue_raw(h, m->type, buf + HIPC_HDR_LEN, len - HIPC_HDR_LEN);
	free(buf);
	return (r);
}

/* AE-6 accepted: exec the handler and greet it. */
static int
h_start(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;
	struct hipc_msg	 m;

	h->ae = w->neg.route;
	if (h->ae == NULL || handler_spawn(h, w) == -1)
		return (-1);
	h->max_w2h = w->par->max_pdu_receive + HIPC_PDV_HDR_LEN;
	if (h->max_w2h < 2 * w->par->max_rq_pdu + 65536)
		h->max_w2h = 2 * w->par->max_rq_pdu + 65536;
	if (h->max_w2h > HIPC_LIMIT_MAX)
		h->max_w2h = HIPC_LIMIT_MAX;
	h->max_h2w = h->conf->network.max_handler_message;
	if (h->max_h2w < HIPC_LIMIT_MIN)
		h->max_h2w = HIPC_LIMIT_MIN;
	memset(&m, 0, sizeof(m));
	m.type = HIPC_HELLO;
	m.u.hello.version_min = HIPC_VERSION_MIN;
	m.u.hello.version_max = HIPC_VERSION;
	m.u.hello.software.p = (const uint8_t *)PACKAGE_NAME "/"
	    PACKAGE_VERSION;
	m.u.hello.software.len = strlen(PACKAGE_NAME "/" PACKAGE_VERSION);
	m.u.hello.assoc_id.p = (const uint8_t *)w->id;
	m.u.hello.assoc_id.len = strlen(w->id);
	m.u.hello.max_w2h = h->max_w2h;
	m.u.hello.max_h2w = h->max_h2w;
	m.u.hello.features = HIPC_F_SHUTDOWN_NOTICE | HIPC_F_LOG;
	return (h_queue(h, &m));
}

/* A view of a C string. */
static struct hipc_view
h_view(const char *s)
{
	struct hipc_view	 v;

	v.p = (const uint8_t *)s;
	v.len = strlen(s);
	return (v);
}

/* A view of a PDU string. */
static struct hipc_view
h_pview(struct pdu_str s)
{
	struct hipc_view	 v;

	v.p = s.p;
	v.len = s.len;
	return (v);
}

/* A UID from the PDU, trimmed of the padding peers add. */
static struct hipc_view
h_uview(struct pdu_str s)
{
	return (h_pview(pdu_uid_trim(s.p, s.len)));
}

/*
 * AE-6: the A-ASSOCIATE indication, carrying the policy's answer for
 * every context.  With negotiation = "policy" the worker answers at once
 * and tells the handler it has decided.
 */
static void
h_assoc_ind(void *ctx, struct worker *w, const struct pdu_assoc *rq,
    struct worker_neg *neg)
{
	struct handler		*h = ctx;
	struct hipc_msg		 m;
	struct hipc_assoc_ind	*ai = &m.u.assoc_ind;
	struct hipc_pctx	*pc = NULL;
	struct hipc_view	*tsv = NULL, *rel = NULL;
	struct hipc_role	*roles = NULL;
	struct hipc_ext		*ext = NULL;
	struct hipc_cext	*cext = NULL;
	struct pdu_iter		 it;
	struct pdu_str		 s;
	struct su_event		 ev;
	size_t			 nts = 0, nrel = 0, k = 0, r = 0;
	unsigned int		 i, j;
	int			 policy;

	policy = h->ae->negotiation == CONF_NEG_POLICY;
	for (i = 0; i < rq->n_pctx; i++)
		nts += rq->pctx[i].n_ts;
	for (i = 0; i < rq->ui.n_common_ext_neg; i++)
		nrel += rq->ui.common_ext_neg[i].n_related;
	pc = calloc(rq->n_pctx, sizeof(*pc));
	tsv = calloc(nts + 1, sizeof(*tsv));
	roles = calloc(rq->ui.n_roles + 1, sizeof(*roles));
	ext = calloc(rq->ui.n_ext_neg + 1, sizeof(*ext));
	cext = calloc(rq->ui.n_common_ext_neg + 1, sizeof(*cext));
	rel = calloc(nrel + 1, sizeof(*rel));
	if (pc == NULL || tsv == NULL || roles == NULL || ext == NULL ||
	    cext == NULL || rel == NULL) {
		h_failed(h, w, "out of memory for the A-ASSOCIATE indication");
		goto done;
	}

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_IND;
	ai->app_context = h_uview(rq->app_context);
	ai->calling_ae = h_view(neg->calling);
	ai->called_ae = h_view(neg->called);
	ai->calling_ae_raw = h_pview(rq->calling_ae);
	ai->called_ae_raw = h_pview(rq->called_ae);
	ai->peer_addr = h_view(w->peer.ip);
	ai->peer_port = (uint16_t)strtoul(w->peer.port, NULL, 10);
	ai->local_addr = h_view(w->peer.local_ip);
	ai->local_port = (uint16_t)strtoul(w->peer.local_port, NULL, 10);
	ai->assoc_id = h_view(w->id);
	ai->peer_max_pdu = neg->peer_max;
	if (rq->ui.has_impl_class_uid && rq->ui.impl_class_uid.len > 0 &&
	    rq->ui.impl_class_uid.len <= HIPC_UID_MAX + 1)
		ai->peer_impl_uid = h_uview(rq->ui.impl_class_uid);
	if (rq->ui.has_impl_version && rq->ui.impl_version.len > 0 &&
	    rq->ui.impl_version.len <= HIPC_VERSION_NAME_MAX)
		ai->peer_impl_version = h_pview(rq->ui.impl_version);
	ai->has_async = rq->ui.has_async_ops;
	ai->async_invoked = rq->ui.async_invoked;
	ai->async_performed = rq->ui.async_performed;
	for (i = 0; i < rq->n_pctx; i++) {
		pc[i].id = neg->pctx[i].id;
		pc[i].abstract = h_view(neg->pctx[i].abstract);
		pc[i].ts = tsv + k;
		pdu_ts_iter(&it, &rq->pctx[i]);
		while (pdu_iter_next(&it, &s) == 1 && k < nts)
			tsv[k++] = h_uview(s);
		pc[i].nts = (size_t)(tsv + k - pc[i].ts);
		pc[i].has_roles = neg->pctx[i].role_proposed;
		pc[i].scu = neg->pctx[i].scu_proposed;
		pc[i].scp = neg->pctx[i].scp_proposed;
		pc[i].result = neg->pctx[i].result;
		if (pc[i].result == PDU_PCTX_ACCEPTANCE) {
			pc[i].result_ts = h_view(neg->pctx[i].ts);
			pc[i].has_result_roles = neg->pctx[i].role_proposed;
			pc[i].result_scu = neg->pctx[i].scu;
			pc[i].result_scp = neg->pctx[i].scp;
		}
	}
	ai->pctx = pc;
	ai->npctx = rq->n_pctx;
	for (i = 0; i < rq->ui.n_roles; i++) {
		roles[i].sop_class = h_uview(rq->ui.roles[i].sop_class);
		roles[i].scu = rq->ui.roles[i].scu > 1 ? 1 :
		    rq->ui.roles[i].scu;
		roles[i].scp = rq->ui.roles[i].scp > 1 ? 1 :
		    rq->ui.roles[i].scp;
	}
	ai->roles = roles;
	ai->nroles = rq->ui.n_roles;
	for (i = 0; i < rq->ui.n_ext_neg; i++) {
		ext[i].sop_class = h_uview(rq->ui.ext_neg[i].sop_class);
		ext[i].info = h_pview(rq->ui.ext_neg[i].info);
	}
	ai->ext = ext;
	ai->next = rq->ui.n_ext_neg;
	for (i = 0; i < rq->ui.n_common_ext_neg; i++) {
		const struct pdu_common_ext_neg *ce =
		    &rq->ui.common_ext_neg[i];

		cext[i].sop_class = h_uview(ce->sop_class);
		cext[i].service_class = h_uview(ce->service_class);
		cext[i].related = rel + r;
		pdu_related_iter(&it, ce);
		for (j = 0; pdu_iter_next(&it, &s) == 1 && r < nrel; j++)
			rel[r++] = h_uview(s);
		cext[i].nrelated = j;
	}
	ai->cext = cext;
	ai->ncext = rq->ui.n_common_ext_neg;
	if (rq->ui.has_user_identity) {
		ai->has_user_identity = 1;
		ai->ui.type = rq->ui.user_identity.type;
		ai->ui.response_requested =
		    rq->ui.user_identity.positive_response;
		ai->ui.primary = h_pview(rq->ui.user_identity.primary);
		if (rq->ui.user_identity.secondary.len > 0)
			ai->ui.secondary =
			    h_pview(rq->ui.user_identity.secondary);
	}
	ai->our_max_pdu = neg->our_max;
	ai->our_impl_uid = h_view(w->par->impl_class_uid);
	if (w->par->impl_version != NULL)
		ai->our_impl_version = h_view(w->par->impl_version);
	ai->decided = policy;
	if (h_queue(h, &m) == -1) {
		h_failed(h, w, "A-ASSOCIATE indication not encodable");
		goto done;
	}
	if (policy) {
		memset(&ev, 0, sizeof(ev));
		ev.ev = EVT7_ASSOC_ACCEPT;
		worker_push(w, &ev);
	} else
		h->want_rsp = 1;
done:
	free(pc);
	free(tsv);
	free(roles);
	free(ext);
	free(cext);
	free(rel);
}

/* DT-2, AR-6: one P-DATA-TF's PDVs, passed through untouched. */
static void
h_pdata_ind(void *ctx, struct worker *w, const uint8_t *p, size_t len)
{
	struct handler	*h = ctx;

	if (h->failed)
		return;
	if (h_queue_raw(h, HIPC_PDATA_IND, p, len) == -1)
		h_failed(h, w, "cannot queue P-DATA: %s", strerror(errno));
}

/* Queue a message without a body. */
static void
h_simple(struct handler *h, struct worker *w, enum hipc_type type)
{
	if (!h->failed && h_queue_raw(h, type, NULL, 0) == -1)
		h_failed(h, w, "cannot queue %s", hipc_type_name(type));
}

/* AR-2: the peer asks to release. */
static void
h_release_ind(void *ctx, struct worker *w)
{
	h_simple(ctx, w, HIPC_RELEASE_IND);
}

/* AR-3, AR-10: our release is confirmed (collision or not). */
static void
h_release_cnf(void *ctx, struct worker *w, int collision)
{
	struct handler	*h = ctx;
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_CNF;
	m.u.release_cnf.collision = collision ? 1 : 0;
	if (!h->failed && h_queue(h, &m) == -1)
		h_failed(h, w, "cannot queue RELEASE_CNF");
	h_terminal(h, &m);
}

/* AA-3: the peer aborted. */
static void
h_abort_ind(void *ctx, struct worker *w, uint8_t source, uint8_t reason)
{
	struct handler	*h = ctx;
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ABORT_IND;
	m.u.abort_ind.source = source;
	m.u.abort_ind.reason = reason;
	if (!h->failed)
		h_queue(h, &m);
	h_terminal(h, &m);
}

/* AA-3, AA-4, AA-8: the provider aborted. */
static void
h_p_abort_ind(void *ctx, struct worker *w, uint8_t reason,
    enum worker_cause cause)
{
	struct handler	*h = ctx;
	struct hipc_msg	 m;

	(void)w;
	memset(&m, 0, sizeof(m));
	m.type = HIPC_P_ABORT_IND;
	m.u.p_abort_ind.reason = reason;
	m.u.p_abort_ind.cause = (uint8_t)cause;
	if (!h->failed)
		h_queue(h, &m);
	h_terminal(h, &m);
}

/* After a terminal message the handler gets EOF once it is written. */
static void
h_terminal(struct handler *h, const struct hipc_msg *m)
{
	(void)m;
	h->closing = 1;
}

/* Descriptors to watch: fd 3 while frames wait, fd 4, its output. */
static int
h_pollfds(void *ctx, struct pollfd *pfd, int max)
{
	struct handler	*h = ctx;
	int		 n = 0, i;

	if (h->to_h != -1 && h->oq_len > h->oq_off && n < max) {
		pfd[n].fd = h->to_h;
		pfd[n].events = POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	if (h->from_h != -1 && !h->held && n < max) {
		pfd[n].fd = h->from_h;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	for (i = 0; i < 2 && n < max; i++) {
		if (h->out[i].fd == -1)
			continue;
		pfd[n].fd = h->out[i].fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	return (n);
}

/* Write what the pipe to the handler takes. */
static void
h_flush(struct handler *h, struct worker *w)
{
	ssize_t	 n;

	while (h->to_h != -1 && h->oq_len > h->oq_off) {
		n = write(h->to_h, h->oq + h->oq_off, h->oq_len - h->oq_off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			h_failed(h, w, "write to handler: %s",
			    strerror(errno));
			h->oq_off = h->oq_len = 0;
			close(h->to_h);
			h->to_h = -1;
			return;
		}
		h->oq_off += (size_t)n;
		h->oq_stall = 0;
	}
	if (h->oq_len == h->oq_off) {
		h->oq_off = h->oq_len = 0;
		if (h->closing && h->to_h != -1) {
			close(h->to_h);
			h->to_h = -1;
		}
	} else if (h->oq_stall == 0)
		h->oq_stall = io_now() + h->ae->timeouts.handler;
}

/* Service the handler's descriptors. */
static void
h_handle(void *ctx, struct worker *w, struct pollfd *pfd, int n)
{
	struct handler	*h = ctx;
	int		 i;

	(void)pfd;
	(void)n;
	h->held = 0;
	h_flush(h, w);
	for (i = 0; i < 2; i++)
		if (h->out[i].fd != -1)
			handler_drain_output(h);
	h_read(h, w);
}

/* Deadline: frames to the handler must make progress. */
static uint64_t
h_deadline(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;

	(void)w;
	if (h->oq_len > h->oq_off && h->oq_stall == 0)
		h->oq_stall = io_now() + h->ae->timeouts.handler;
	return (h->oq_len > h->oq_off ? h->oq_stall : 0);
}

/* Flow control: hold the peer while a few PDUs wait for the handler. */
static int
h_busy(void *ctx)
{
	struct handler	*h = ctx;

	return (h->oq_len - h->oq_off > 4 * (size_t)(h->max_w2h >
	    1048576 ? 1048576 : h->max_w2h) || h->held);
}

/* The association is over: EOF, then reap. */
static int
h_end(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;
	int		 st;

	h_flush(h, w);
	if (h->from_h != -1) {
		close(h->from_h);
		h->from_h = -1;
	}
	st = handler_stop(h);
	free(h->oq);
	free(h->ibody);
	free(h->arena);
	h->oq = h->ibody = NULL;
	h->arena = NULL;
	return (st);
}

/*
 * Read frames from fd 4: the header is checked against the limit we
 * announced before the body is sized or read.  A P-DATA request lends its
 * body to the worker, so reading stops after one until it is stepped.
 */
static void
h_read(struct handler *h, struct worker *w)
{
	uint8_t	*nb;
	ssize_t	 n;
	size_t	 want;
	int	 r, frames;

	for (frames = 0; frames < 16 && h->from_h != -1 && !h->failed;
	    frames++) {
		if (h->ihdr_got < HIPC_HDR_LEN) {
			n = read(h->from_h, h->ihdr + h->ihdr_got,
			    HIPC_HDR_LEN - h->ihdr_got);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				close(h->from_h);
				h->from_h = -1;
				if (w->fsm.state != STA13_AWAIT_CLOSE &&
				    w->fsm.state != STA1_IDLE && !h->closing)
					h_failed(h, w, "handler closed its "
					    "output (exited?)");
				return;
			}
			h->ihdr_got += (size_t)n;
			if (h->ihdr_got < HIPC_HDR_LEN)
				return;
			r = hipc_hdr_check(h->ihdr, HIPC_H2W, h->max_h2w,
			    &h->ih);
			if (r < 0) {
				h_failed(h, w, "bad frame header (type 0x%02x, "
				    "length %u): %s", h->ihdr[3],
				    (unsigned int)get_u32(h->ihdr + 4),
				    hipc_strerror(r));
				return;
			}
			h->iskip = r == HIPC_SKIP;
			if (h->ih.len > h->ibody_cap) {
				if ((nb = realloc(h->ibody, h->ih.len)) ==
				    NULL) {
					h_failed(h, w, "out of memory");
					return;
				}
				h->ibody = nb;
				h->ibody_cap = h->ih.len;
			}
			h->ibody_got = 0;
		}
		while (h->ibody_got < h->ih.len) {
			want = h->ih.len - h->ibody_got;
			n = read(h->from_h, h->ibody + h->ibody_got, want);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				h_failed(h, w, "handler closed inside a frame");
				return;
			}
			h->ibody_got += (size_t)n;
		}
		h->ihdr_got = 0;
		if (h->iskip)
			continue;
		h_frame(h, w);
		if (h->ih.type == HIPC_PDATA_REQ)
			return;
	}
}

/* Turn one whole frame from the handler into a primitive. */
static void
h_frame(struct handler *h, struct worker *w)
{
	struct hipc_msg	 m;
	struct su_event	 ev;
	size_t		 need, used;
	void		*na;
	int		 r;

	log_debug("handler sent %s, %u bytes", hipc_type_name(h->ih.type),
	    (unsigned int)h->ih.len);
	if (h->ih.type != HIPC_HELLO_REPLY && h->ih.type != HIPC_ERROR &&
	    h->ih.type != HIPC_LOG && !h->hello_ok) {
		h_failed(h, w, "%s before HELLO_REPLY",
		    hipc_type_name(h->ih.type));
		return;
	}
	if (h->ih.type != HIPC_HELLO_REPLY && h->ih.type != HIPC_ERROR &&
	    h->ih.type != HIPC_LOG &&
	    hipc_state_ok(h->ih.type, w->fsm.state) != HIPC_OK) {
		h_failed(h, w, "%s not allowed in %s",
		    hipc_type_name(h->ih.type), fsm_state_name(w->fsm.state));
		return;
	}
	need = hipc_arena_bound(h->ih.len);
	if (need > h->arena_cap) {
		if ((na = realloc(h->arena, need)) == NULL) {
			h_failed(h, w, "out of memory");
			return;
		}
		h->arena = na;
		h->arena_cap = need;
	}
	if ((r = hipc_decode(h->ih.type, h->ibody, h->ih.len, &m, h->arena,
	    h->arena_cap, &used)) < 0) {
		h_failed(h, w, "malformed %s: %s", hipc_type_name(h->ih.type),
		    hipc_strerror(r));
		return;
	}
	memset(&ev, 0, sizeof(ev));
	switch (h->ih.type) {
	case HIPC_HELLO_REPLY:
		if (h->hello_ok || m.u.hello_reply.version < HIPC_VERSION_MIN ||
		    m.u.hello_reply.version > HIPC_VERSION) {
			h_failed(h, w, "HELLO_REPLY chose version %u",
			    m.u.hello_reply.version);
			return;
		}
		h->hello_ok = 1;
		return;
	case HIPC_ASSOC_RSP:
		if (!h->want_rsp) {
			h_failed(h, w, "ASSOC_RSP not expected");
			return;
		}
		h->want_rsp = 0;
		h_assoc_rsp(h, w, &m.u.assoc_rsp);
		return;
	case HIPC_PDATA_REQ:
		ev.ev = EVT9_PDATA_REQ;
		ev.pdvs = m.u.pdata.pdvs;
		ev.len = m.u.pdata.len;
		if (!handler_pdvs_ok(w, &m.u.pdata)) {
			h_failed(h, w, "P-DATA request on a context not "
			    "accepted");
			return;
		}
		break;
	case HIPC_RELEASE_RSP:
		ev.ev = EVT14_RELEASE_RSP;
		break;
	case HIPC_RELEASE_REQ:
		ev.ev = EVT11_RELEASE_REQ;
		break;
	case HIPC_ABORT_REQ:
		ev.ev = EVT15_ABORT_REQ;
		break;
	case HIPC_ERROR:
		h_failed(h, w, "handler reported error %u: %.*s",
		    m.u.error.code, (int)(m.u.error.text.len > 200 ? 200 :
		    m.u.error.text.len), m.u.error.text.p != NULL ?
		    (const char *)m.u.error.text.p : "");
		return;
	case HIPC_LOG:
		handler_log_text(h, m.u.log.text.p, m.u.log.text.len);
		return;
	default:
		h_failed(h, w, "%s is not for the worker",
		    hipc_type_name(h->ih.type));
		return;
	}
	worker_push(w, &ev);
}

/*
 * Apply the handler's A-ASSOCIATE response to the negotiation.  Every
 * answer must name a proposed context and pick a proposed transfer
 * syntax and proposed roles; anything else is a handler failure.
 */
static void
h_assoc_rsp(struct handler *h, struct worker *w,
    const struct hipc_assoc_rsp *rsp)
{
	struct worker_neg	*neg = &w->neg;
	struct worker_pctx	*wp;
	struct su_event		 ev;
	struct pdu_iter		 it;
	struct pdu_str		 s, t;
	size_t			 i;
	unsigned int		 j;
	int			 found;

	memset(&ev, 0, sizeof(ev));
	if (rsp->decision == HIPC_DECISION_REJECT) {
		if (!pdu_rj_valid(rsp->rj_result, rsp->rj_source,
		    rsp->rj_reason) || rsp->rj_source != PDU_RJ_SOURCE_USER) {
			h_failed(h, w, "invalid rejection (%u,%u,%u)",
			    rsp->rj_result, rsp->rj_source, rsp->rj_reason);
			return;
		}
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = rsp->rj_result;
		ev.rj.source = rsp->rj_source;
		ev.rj.reason = rsp->rj_reason;
		worker_push(w, &ev);
		return;
	}
	for (i = 0; rsp->decision == HIPC_DECISION_ACCEPT &&
	    i < rsp->nanswers; i++) {
		wp = NULL;
		for (j = 0; j < neg->n_pctx; j++)
			if (neg->pctx[j].id == rsp->answers[i].id)
				wp = &neg->pctx[j];
		if (wp == NULL) {
			h_failed(h, w, "answer for unproposed context %u",
			    rsp->answers[i].id);
			return;
		}
		wp->result = rsp->answers[i].result;
		if (wp->result != PDU_PCTX_ACCEPTANCE)
			continue;
		found = 0;
		t.p = rsp->answers[i].ts.p;
		t.len = rsp->answers[i].ts.len;
		pdu_ts_iter(&it, &w->rq.pctx[wp - neg->pctx]);
		while (!found && pdu_iter_next(&it, &s) == 1) {
			s = pdu_uid_trim(s.p, s.len);
			found = s.len == t.len && t.len <= PDU_UID_MAX &&
			    memcmp(s.p, t.p, t.len) == 0;
		}
		if (!found) {
			h_failed(h, w, "context %u: transfer syntax not "
			    "proposed", wp->id);
			return;
		}
		memcpy(wp->ts, t.p, t.len);
		wp->ts[t.len] = '\0';
		if (rsp->answers[i].has_roles) {
			if ((rsp->answers[i].scu && !wp->scu_proposed) ||
			    (rsp->answers[i].scp && !wp->scp_proposed)) {
				h_failed(h, w, "context %u: role not "
				    "proposed", wp->id);
				return;
			}
			wp->scu = rsp->answers[i].scu;
			wp->scp = rsp->answers[i].scp;
		}
	}
	if (rsp->max_pdu != 0 && rsp->max_pdu < neg->our_max)
		neg->our_max = rsp->max_pdu;
	if (rsp->ui_response.p != NULL && w->rq.ui.has_user_identity &&
	    w->rq.ui.user_identity.positive_response) {
		neg->identity_rsp = rsp->ui_response.p;
		neg->identity_rsp_len = rsp->ui_response.len;
	}
	ev.ev = EVT7_ASSOC_ACCEPT;
	worker_push(w, &ev);
}
