/*
 * handler_assoc.c: the A-ASSOCIATE exchange with a handler.  The
 * indication carries the RQ as received and the policy's answer for every
 * presentation context; it is kept until the handler's response comes,
 * which is checked whole against it before anything of it reaches the
 * A-ASSOCIATE-AC (doc/handler-protocol.md 6.3, 6.4).
 */

#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fsm.h"
#include "handler.h"
#include "handler_int.h"
#include "hipc.h"
#include "log.h"
#include "pdu.h"
#include "worker.h"

static struct hipc_view	assoc_view(const char *);
static struct hipc_view	assoc_pview(struct pdu_str);
static struct hipc_view	assoc_uview(struct pdu_str);
static struct hipc_view	assoc_uidview(struct pdu_str);
static int	assoc_apply(struct handler *, struct worker *,
		    const struct hipc_assoc_rsp *);
static int	assoc_keep_answers(struct handler *, struct worker *,
		    const struct hipc_assoc_rsp *);

/* A view of a C string. */
static struct hipc_view
assoc_view(const char *s)
{
	struct hipc_view	 v;

	v.p = (const uint8_t *)s;
	v.len = strlen(s);
	return (v);
}

/* A view of a PDU string. */
static struct hipc_view
assoc_pview(struct pdu_str s)
{
	struct hipc_view	 v;

	v.p = s.p;
	v.len = s.len;
	return (v);
}

/* A UID from the PDU, trimmed of the padding peers add. */
static struct hipc_view
assoc_uview(struct pdu_str s)
{
	return (assoc_pview(pdu_uid_trim(s.p, s.len)));
}

/*
 * A UID the peer proposes, for the indication: trimmed, and empty when it
 * is longer than any UID may be (PS3.5 9.1: 64 bytes).  It can match
 * nothing, so the policy sees it so too (battery case 39).
 */
static struct hipc_view
assoc_uidview(struct pdu_str s)
{
	struct hipc_view	 v = assoc_uview(s);

	if (v.len > HIPC_UID_MAX)
		v.len = 0;
	return (v);
}

/*
 * AE-6: the A-ASSOCIATE indication, carrying the policy's answer for
 * every context.  With negotiation = "policy" the worker answers at once
 * and tells the handler it has decided.
 */
void
handler_assoc_ind(void *ctx, struct worker *w, const struct pdu_assoc *rq,
    struct worker_neg *neg)
{
	struct handler		*h = ctx;
	struct hipc_msg		 m;
	struct hipc_assoc_ind	*ai = &m.u.assoc_ind;
	struct hipc_pctx	*pc;
	struct hipc_view	*tsv, *rel;
	struct hipc_role	*roles;
	struct hipc_ext		*ext;
	struct hipc_cext	*cext;
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
	/* Kept until the response is checked against them. */
	h->ind_mem[0] = pc = calloc(rq->n_pctx + 1, sizeof(*pc));
	h->ind_mem[1] = tsv = calloc(nts + 1, sizeof(*tsv));
	h->ind_mem[2] = roles = calloc(rq->ui.n_roles + 1, sizeof(*roles));
	h->ind_mem[3] = ext = calloc(rq->ui.n_ext_neg + 1, sizeof(*ext));
	h->ind_mem[4] = cext = calloc(rq->ui.n_common_ext_neg + 1,
	    sizeof(*cext));
	h->ind_mem[5] = rel = calloc(nrel + 1, sizeof(*rel));
	if (pc == NULL || tsv == NULL || roles == NULL || ext == NULL ||
	    cext == NULL || rel == NULL) {
		handler_failed(h, w, HIPC_ECODE_INTERNAL,
		    "out of memory for the A-ASSOCIATE indication");
		handler_ind_free(h);
		return;
	}

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_IND;
	ai->app_context = assoc_uview(rq->app_context);
	ai->calling_ae = assoc_view(neg->calling);
	ai->called_ae = assoc_view(neg->called);
	ai->calling_ae_raw = assoc_pview(rq->calling_ae);
	ai->called_ae_raw = assoc_pview(rq->called_ae);
	ai->peer_addr = assoc_view(w->peer.ip);
	ai->peer_port = (uint16_t)strtoul(w->peer.port, NULL, 10);
	ai->local_addr = assoc_view(w->peer.local_ip);
	ai->local_port = (uint16_t)strtoul(w->peer.local_port, NULL, 10);
	ai->assoc_id = assoc_view(w->id);
	ai->peer_max_pdu = neg->peer_max;
	if (rq->ui.has_impl_class_uid && rq->ui.impl_class_uid.len > 0 &&
	    rq->ui.impl_class_uid.len <= HIPC_UID_MAX + 1)
		ai->peer_impl_uid = assoc_uview(rq->ui.impl_class_uid);
	if (rq->ui.has_impl_version && rq->ui.impl_version.len > 0 &&
	    rq->ui.impl_version.len <= HIPC_VERSION_NAME_MAX)
		ai->peer_impl_version = assoc_pview(rq->ui.impl_version);
	ai->has_async = rq->ui.has_async_ops;
	ai->async_invoked = rq->ui.async_invoked;
	ai->async_performed = rq->ui.async_performed;
	for (i = 0; i < rq->n_pctx; i++) {
		pc[i].id = neg->pctx[i].id;
		pc[i].abstract = assoc_view(neg->pctx[i].abstract);
		pc[i].ts = tsv + k;
		pdu_ts_iter(&it, &rq->pctx[i]);
		while (pdu_iter_next(&it, &s) == 1 && k < nts)
			tsv[k++] = assoc_uidview(s);
		pc[i].nts = (size_t)(tsv + k - pc[i].ts);
		pc[i].has_roles = neg->pctx[i].role_proposed;
		pc[i].scu = neg->pctx[i].scu_proposed;
		pc[i].scp = neg->pctx[i].scp_proposed;
		pc[i].result = neg->pctx[i].result;
		if (pc[i].result == PDU_PCTX_ACCEPTANCE) {
			pc[i].result_ts = assoc_view(neg->pctx[i].ts);
			pc[i].has_result_roles = neg->pctx[i].role_proposed;
			pc[i].result_scu = neg->pctx[i].scu;
			pc[i].result_scp = neg->pctx[i].scp;
		}
	}
	ai->pctx = pc;
	ai->npctx = rq->n_pctx;
	for (i = 0; i < rq->ui.n_roles; i++) {
		roles[i].sop_class = assoc_uidview(rq->ui.roles[i].sop_class);
		roles[i].scu = rq->ui.roles[i].scu > 1 ? 1 :
		    rq->ui.roles[i].scu;
		roles[i].scp = rq->ui.roles[i].scp > 1 ? 1 :
		    rq->ui.roles[i].scp;
	}
	ai->roles = roles;
	ai->nroles = rq->ui.n_roles;
	for (i = 0; i < rq->ui.n_ext_neg; i++) {
		ext[i].sop_class = assoc_uidview(rq->ui.ext_neg[i].sop_class);
		ext[i].info = assoc_pview(rq->ui.ext_neg[i].info);
	}
	ai->ext = ext;
	ai->next = rq->ui.n_ext_neg;
	for (i = 0; i < rq->ui.n_common_ext_neg; i++) {
		const struct pdu_common_ext_neg *ce =
		    &rq->ui.common_ext_neg[i];

		cext[i].sop_class = assoc_uidview(ce->sop_class);
		cext[i].service_class = assoc_uidview(ce->service_class);
		cext[i].related = rel + r;
		pdu_related_iter(&it, ce);
		for (j = 0; pdu_iter_next(&it, &s) == 1 && r < nrel; j++)
			rel[r++] = assoc_uidview(s);
		cext[i].nrelated = j;
	}
	ai->cext = cext;
	ai->ncext = rq->ui.n_common_ext_neg;
	if (rq->ui.has_user_identity) {
		ai->has_user_identity = 1;
		ai->ui.type = rq->ui.user_identity.type;
		ai->ui.response_requested =
		    rq->ui.user_identity.positive_response;
		ai->ui.primary = assoc_pview(rq->ui.user_identity.primary);
		if (rq->ui.user_identity.secondary.len > 0)
			ai->ui.secondary =
			    assoc_pview(rq->ui.user_identity.secondary);
	}
	ai->our_max_pdu = neg->our_max;
	ai->our_impl_uid = assoc_view(w->par->impl_class_uid);
	if (w->par->impl_version != NULL)
		ai->our_impl_version = assoc_view(w->par->impl_version);
	ai->decided = policy;
	if (hipc_encode(&m, NULL, 0, &h->ind_len) != HIPC_ERR_SPACE ||
	    handler_queue(h, &m) == -1) {
		handler_failed(h, w, HIPC_ECODE_INTERNAL,
		    "A-ASSOCIATE indication not encodable");
		handler_ind_free(h);
		return;
	}
	h->ind_len -= HIPC_HDR_LEN;
	if (policy) {
		handler_ind_free(h);
		memset(&ev, 0, sizeof(ev));
		ev.ev = EVT7_ASSOC_ACCEPT;
		worker_push(w, &ev);
	} else {
		h->ind = *ai;
		h->want_rsp = 1;
	}
}

/* Free the lists of the kept A-ASSOCIATE indication. */
void
handler_ind_free(struct handler *h)
{
	size_t	 i;

	for (i = 0; i < nitems(h->ind_mem); i++) {
		free(h->ind_mem[i]);
		h->ind_mem[i] = NULL;
	}
	memset(&h->ind, 0, sizeof(h->ind));
}


/*
 * The handler's A-ASSOCIATE response.  A rejection must come from the
 * service-user; an acceptance is checked whole against the indication
 * (doc 6.4) before anything of it is applied, and must leave at least one
 * context accepted.  Any violation is a handler failure: RJ (2, 3, 1).
 */
void
handler_assoc_rsp(struct handler *h, struct worker *w,
    const struct hipc_assoc_rsp *rsp)
{
	struct su_event	 ev;
	unsigned int	 i;
	int		 r;

	memset(&ev, 0, sizeof(ev));
	if (rsp->decision == HIPC_DECISION_REJECT) {
		if (!pdu_rj_valid(rsp->rj_result, rsp->rj_source,
		    rsp->rj_reason) || rsp->rj_source != PDU_RJ_SOURCE_USER) {
			handler_failed(h, w, HIPC_ECODE_VALUE,
			    "invalid rejection (%u,%u,%u)", rsp->rj_result,
			    rsp->rj_source, rsp->rj_reason);
			return;
		}
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = rsp->rj_result;
		ev.rj.source = rsp->rj_source;
		ev.rj.reason = rsp->rj_reason;
		worker_push(w, &ev);
		return;
	}
	if ((r = hipc_assoc_rsp_check(&h->ind, rsp)) != HIPC_OK) {
		handler_failed(h, w, handler_ecode(r),
		    "ASSOC_RSP does not fit the indication: %s",
		    hipc_strerror(r));
		return;
	}
	if (rsp->decision == HIPC_DECISION_ACCEPT &&
	    assoc_apply(h, w, rsp) == -1)
		return;
	for (i = 0; i < w->neg.n_pctx; i++)
		if (w->neg.pctx[i].result == PDU_PCTX_ACCEPTANCE)
			break;
	if (i == w->neg.n_pctx) {
		/* Doc 6.4: no usable context, no association. */
		log_info("handler accepted no presentation context");
		worker_fail(w, "no presentation context accepted");
		handler_error(h, HIPC_ECODE_VALUE, "no presentation context "
		    "accepted: the association is rejected");
		h->closing = 1;
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = PDU_RJ_PERMANENT;
		ev.rj.source = PDU_RJ_SOURCE_USER;
		ev.rj.reason = PDU_RJ_USER_NO_REASON;
		worker_push(w, &ev);
		return;
	}
	ev.ev = EVT7_ASSOC_ACCEPT;
	worker_push(w, &ev);
}

/*
 * Apply a checked accepting response (decision 0) to the negotiation:
 * the context answers, the maximum length, the window and the answers
 * the A-ASSOCIATE-AC carries.  -1 if the handler has failed.
 */
static int
assoc_apply(struct handler *h, struct worker *w,
    const struct hipc_assoc_rsp *rsp)
{
	struct worker_neg		*neg = &w->neg;
	const struct hipc_pc_answer	*a;
	struct worker_pctx		*wp;
	size_t				 i;
	unsigned int			 j;

	if (rsp->ui_response.p != NULL && rsp->ui_response.len > 0 &&
	    (w->rq.ui.user_identity.type == 1 ||
	    w->rq.ui.user_identity.type == 2)) {
		/* PS3.7 D.3.3.7: no server response for these types. */
		handler_failed(h, w, HIPC_ECODE_VALUE,
		    "user identity response for type %u must be empty",
		    w->rq.ui.user_identity.type);
		return (-1);
	}
	if (assoc_keep_answers(h, w, rsp) == -1)
		return (-1);
	for (i = 0; i < rsp->nanswers; i++) {
		a = &rsp->answers[i];
		wp = NULL;
		for (j = 0; j < neg->n_pctx && wp == NULL; j++)
			if (neg->pctx[j].id == a->id)
				wp = &neg->pctx[j];
		if (wp == NULL)
			continue;	/* the check has refused this */
		wp->result = a->result;
		if (wp->result != PDU_PCTX_ACCEPTANCE)
			continue;
		if (a->ts.len == 0) {
			/* Proposed empty, or over 64 bytes: not a syntax. */
			handler_failed(h, w, HIPC_ECODE_VALUE, "context %u "
			    "accepted with an empty transfer syntax",
			    (unsigned int)a->id);
			return (-1);
		}
		memcpy(wp->ts, a->ts.p, a->ts.len);
		wp->ts[a->ts.len] = '\0';
		if (a->has_roles) {
			wp->scu = a->scu;
			wp->scp = a->scp;
		}
	}
	if (rsp->max_pdu != 0)
		neg->our_max = rsp->max_pdu;
	if (rsp->has_async) {
		neg->async_answered = 1;
		neg->async_invoked = rsp->async_invoked;
		neg->async_performed = rsp->async_performed;
	}
	return (0);
}

/*
 * Copy the extended negotiation and user identity answers, which live in
 * the frame's buffer, to memory that lasts until the AC is sent.  They
 * must fit the AC's user information item with everything else in it.
 */
static int
assoc_keep_answers(struct handler *h, struct worker *w,
    const struct hipc_assoc_rsp *rsp)
{
	struct worker_neg	*neg = &w->neg;
	uint8_t			*p;
	size_t			 need = 0, ui;
	unsigned int		 i;

	/* Sub-items other than these: max length, UIDs, window, roles. */
	ui = 8 + 4 + PDU_UID_MAX + 8 + 4 + 16;
	for (i = 0; i < neg->n_pctx; i++)
		if (neg->pctx[i].role_proposed)
			ui += 8 + PDU_UID_MAX;
	for (i = 0; i < rsp->next; i++)
		need += rsp->ext[i].sop_class.len + rsp->ext[i].info.len;
	if (rsp->ui_response.p != NULL)
		need += rsp->ui_response.len;
	if (ui + need + 6 * (rsp->next + 1) > PDU_ITEM_MAX_LEN) {
		handler_failed(h, w, HIPC_ECODE_VALUE,
		    "the answers do not fit an A-ASSOCIATE-AC (%zu bytes)",
		    need);
		return (-1);
	}
	if (need == 0 && rsp->next == 0 && rsp->ui_response.p == NULL)
		return (0);
	free(h->ac_mem);
	if ((h->ac_mem = p = malloc(need + 1)) == NULL) {
		handler_failed(h, w, HIPC_ECODE_INTERNAL, "out of memory");
		return (-1);
	}
	for (i = 0; i < rsp->next && i < PDU_MAX_EXT_NEG; i++) {
		memcpy(p, rsp->ext[i].sop_class.p, rsp->ext[i].sop_class.len);
		neg->ext_rsp[i].sop_class.p = p;
		neg->ext_rsp[i].sop_class.len = rsp->ext[i].sop_class.len;
		p += rsp->ext[i].sop_class.len;
		if (rsp->ext[i].info.len > 0)
			memcpy(p, rsp->ext[i].info.p, rsp->ext[i].info.len);
		neg->ext_rsp[i].info.p = p;
		neg->ext_rsp[i].info.len = rsp->ext[i].info.len;
		p += rsp->ext[i].info.len;
	}
	neg->n_ext_rsp = i;
	if (rsp->ui_response.p != NULL) {
		if (rsp->ui_response.len > 0)
			memcpy(p, rsp->ui_response.p, rsp->ui_response.len);
		neg->identity_rsp = p;
		neg->identity_rsp_len = rsp->ui_response.len;
	}
	return (0);
}
