/*
 * dh_assoc.c: the A-ASSOCIATE indication and the handler's response.
 * The worker has already applied the configured policy to every proposed
 * presentation context; the handler may take that answer as it is
 * (decision 2, what most handlers do), answer context by context, or
 * reject as the UL service-user (PS3.8 7.1.1.7: source 1).
 */

#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "hipc.h"
#include "dulhandler.h"
#include "dh_int.h"

static int	 text_copy(char *, size_t, const struct hipc_view *);
static int	 bytes_copy(uint8_t **, size_t *, const struct hipc_view *);
static void	 assoc_policy(struct dh_assoc *);

/* Copy a text view into a buffer; refuse one that does not fit. */
static int
text_copy(char *dst, size_t cap, const struct hipc_view *v)
{
	dst[0] = '\0';
	if (v->p == NULL)
		return (DH_OK);
	if (v->len >= cap || memchr(v->p, '\0', v->len) != NULL)
		return (DH_ERR_PROTOCOL);
	memcpy(dst, v->p, v->len);
	dst[v->len] = '\0';
	return (DH_OK);
}

/* Copy a byte view into fresh memory (absent stays NULL). */
static int
bytes_copy(uint8_t **dst, size_t *len, const struct hipc_view *v)
{
	*dst = NULL;
	*len = 0;
	if (v->p == NULL)
		return (DH_OK);
	if ((*dst = malloc(v->len + 1)) == NULL)
		return (DH_ERR_NOMEM);
	if (v->len > 0)
		memcpy(*dst, v->p, v->len);
	*len = v->len;
	return (DH_OK);
}

/* Free what dh_assoc_copy() allocated. */
void
dh_assoc_free(struct dh_assoc *a)
{
	size_t	 i;

	if (a->pctx != NULL) {
		for (i = 0; i < a->npctx; i++)
			free(a->pctx[i].ts);
		free(a->pctx);
	}
	if (a->ui.primary != NULL) {
		explicit_bzero(a->ui.primary, a->ui.primary_len);
		free(a->ui.primary);
	}
	if (a->ui.secondary != NULL) {
		explicit_bzero(a->ui.secondary, a->ui.secondary_len);
		free(a->ui.secondary);
	}
	memset(a, 0, sizeof(*a));
}

/* Copy a decoded ASSOC_IND out of the receive buffer. */
int
dh_assoc_copy(struct dh_assoc *a, const struct hipc_assoc_ind *m)
{
	const struct hipc_pctx	*s;
	struct dh_pctx		*d;
	size_t			 i, j;
	int			 rc = DH_OK;

	memset(a, 0, sizeof(*a));
	if (text_copy(a->app_context, sizeof(a->app_context),
	    &m->app_context) != DH_OK ||
	    text_copy(a->calling_ae, sizeof(a->calling_ae),
	    &m->calling_ae) != DH_OK ||
	    text_copy(a->called_ae, sizeof(a->called_ae),
	    &m->called_ae) != DH_OK ||
	    text_copy(a->peer_addr, sizeof(a->peer_addr),
	    &m->peer_addr) != DH_OK ||
	    text_copy(a->local_addr, sizeof(a->local_addr),
	    &m->local_addr) != DH_OK ||
	    text_copy(a->assoc_id, sizeof(a->assoc_id),
	    &m->assoc_id) != DH_OK ||
	    text_copy(a->peer_impl_uid, sizeof(a->peer_impl_uid),
	    &m->peer_impl_uid) != DH_OK ||
	    text_copy(a->peer_impl_version, sizeof(a->peer_impl_version),
	    &m->peer_impl_version) != DH_OK ||
	    text_copy(a->our_impl_uid, sizeof(a->our_impl_uid),
	    &m->our_impl_uid) != DH_OK ||
	    text_copy(a->our_impl_version, sizeof(a->our_impl_version),
	    &m->our_impl_version) != DH_OK)
		return (DH_ERR_PROTOCOL);
	a->peer_port = m->peer_port;
	a->local_port = m->local_port;
	a->peer_max_pdu = m->peer_max_pdu;
	a->our_max_pdu = m->our_max_pdu;
	a->decided = m->decided;

	if (m->npctx > 0 &&
	    (a->pctx = calloc(m->npctx, sizeof(*a->pctx))) == NULL)
		return (DH_ERR_NOMEM);
	a->npctx = m->npctx;
	for (i = 0; i < m->npctx; i++) {
		s = &m->pctx[i];
		d = &a->pctx[i];
		d->id = s->id;
		d->has_roles = s->has_roles;
		d->scu = s->scu;
		d->scp = s->scp;
		d->policy_result = s->result;
		d->result = s->result;
		if (text_copy(d->abstract, sizeof(d->abstract),
		    &s->abstract) != DH_OK ||
		    text_copy(d->policy_ts, sizeof(d->policy_ts),
		    &s->result_ts) != DH_OK) {
			rc = DH_ERR_PROTOCOL;
			goto fail;
		}
		if (s->nts > 0 &&
		    (d->ts = calloc(s->nts, sizeof(*d->ts))) == NULL) {
			rc = DH_ERR_NOMEM;
			goto fail;
		}
		d->nts = s->nts;
		for (j = 0; j < s->nts; j++) {
			if (text_copy(d->ts[j], sizeof(d->ts[j]),
			    &s->ts[j]) != DH_OK) {
				rc = DH_ERR_PROTOCOL;
				goto fail;
			}
		}
	}
	if (m->has_user_identity) {
		a->has_user_identity = 1;
		a->ui.type = m->ui.type;
		a->ui.response_requested = m->ui.response_requested;
		if ((rc = bytes_copy(&a->ui.primary, &a->ui.primary_len,
		    &m->ui.primary)) != DH_OK ||
		    (rc = bytes_copy(&a->ui.secondary, &a->ui.secondary_len,
		    &m->ui.secondary)) != DH_OK)
			goto fail;
	}
	return (DH_OK);

fail:
	dh_assoc_free(a);
	return (rc);
}

/* Make the policy's answers the final ones. */
static void
assoc_policy(struct dh_assoc *a)
{
	size_t	 i;

	for (i = 0; i < a->npctx; i++) {
		a->pctx[i].result = a->pctx[i].policy_result;
		if (a->pctx[i].result == DH_PC_ACCEPT)
			memcpy(a->pctx[i].accepted_ts, a->pctx[i].policy_ts,
			    sizeof(a->pctx[i].accepted_ts));
	}
}

/*
 * Wait for the A-ASSOCIATE indication and return it.  When the worker
 * decided by policy (negotiation = "policy"), the association is already
 * accepted and no answer is sent.  DH_ERR_EOF means the association ended
 * before it started (the peer aborted, or the worker went away).
 */
int
dh_wait_assoc(struct dh_conn *c, const struct dh_assoc **out)
{
	struct hipc_msg	 m;
	int		 rc;

	*out = NULL;
	if (c->state != DH_ST_HELLO)
		return (DH_ERR_STATE);
	for (;;) {
		if ((rc = dh_conn_recv(c, c->max_w2h, &m)) != DH_OK) {
			if (rc == DH_ERR_EOF)
				c->state = DH_ST_CLOSED;
			return (rc);
		}
		switch (m.type) {
		case HIPC_ASSOC_IND:
			break;
		case HIPC_SHUTDOWN_NOTICE:
			continue;
		case HIPC_ABORT_IND:
		case HIPC_P_ABORT_IND:
		case HIPC_ERROR:
			c->state = DH_ST_CLOSED;
			return (DH_ERR_EOF);
		default:
			return (dh_conn_fail(c, HIPC_ERR_STATE));
		}
		break;
	}
	if ((rc = dh_assoc_copy(&c->assoc, &m.u.assoc_ind)) != DH_OK) {
		if (rc == DH_ERR_PROTOCOL)
			return (dh_conn_fail(c, HIPC_ERR_VALUE));
		return (rc);
	}
	c->have_assoc = 1;
	if (c->assoc.decided) {
		assoc_policy(&c->assoc);
		c->state = DH_ST_ESTABLISHED;
	} else
		c->state = DH_ST_ASSOC_PENDING;
	*out = &c->assoc;
	return (DH_OK);
}

/* Find a proposed presentation context by id, or NULL. */
const struct dh_pctx *
dh_pctx_find(const struct dh_conn *c, uint8_t id)
{
	size_t	 i;

	if (!c->have_assoc)
		return (NULL);
	for (i = 0; i < c->assoc.npctx; i++) {
		if (c->assoc.pctx[i].id == id)
			return (&c->assoc.pctx[i]);
	}
	return (NULL);
}

/* Accept with the worker's policy answer for every context (decision 2). */
int
dh_accept_as_proposed(struct dh_conn *c)
{
	struct hipc_msg	 m;
	int		 rc;

	if (c->state == DH_ST_ESTABLISHED && c->assoc.decided)
		return (DH_OK);
	if (c->state != DH_ST_ASSOC_PENDING)
		return (DH_ERR_STATE);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_RSP;
	m.u.assoc_rsp.decision = HIPC_DECISION_AS_PROPOSED;
	if ((rc = dh_conn_send(c, &m)) != DH_OK)
		return (rc);
	assoc_policy(&c->assoc);
	c->state = DH_ST_ESTABLISHED;
	return (DH_OK);
}

/*
 * Accept, answering the listed contexts as given; the others keep their
 * policy answer.  An accepted context must name one of its proposed
 * transfer syntaxes.  If no context ends up accepted the worker rejects
 * the association instead, and the next event is DH_EV_EOF.
 */
int
dh_accept(struct dh_conn *c, const struct dh_pc_choice *ch, size_t n)
{
	struct hipc_msg		 m;
	struct hipc_pc_answer	*ans = NULL;
	struct dh_pctx		*pc;
	size_t			 i, j, k;
	int			 rc;

	if (c->state != DH_ST_ASSOC_PENDING)
		return (DH_ERR_STATE);
	if (n > 0 && (ans = calloc(n, sizeof(*ans))) == NULL)
		return (DH_ERR_NOMEM);
	for (i = 0; i < n; i++) {
		pc = (struct dh_pctx *)dh_pctx_find(c, ch[i].id);
		rc = DH_ERR_INVAL;
		if (pc == NULL || ch[i].result > DH_PC_TS_REJECT)
			goto out;
		for (k = 0; k < i; k++) {
			if (ch[k].id == ch[i].id)
				goto out;
		}
		ans[i].id = ch[i].id;
		ans[i].result = ch[i].result;
		if (ch[i].result != DH_PC_ACCEPT)
			continue;
		for (j = 0; ch[i].ts != NULL && j < pc->nts; j++) {
			if (strcmp(pc->ts[j], ch[i].ts) == 0)
				break;
		}
		if (ch[i].ts == NULL || j == pc->nts)
			goto out;
		ans[i].ts.p = (const uint8_t *)pc->ts[j];
		ans[i].ts.len = strlen(pc->ts[j]);
	}
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_RSP;
	m.u.assoc_rsp.decision = HIPC_DECISION_ACCEPT;
	m.u.assoc_rsp.answers = ans;
	m.u.assoc_rsp.nanswers = n;
	if ((rc = dh_conn_send(c, &m)) != DH_OK)
		goto out;

	assoc_policy(&c->assoc);
	for (i = 0; i < n; i++) {
		pc = (struct dh_pctx *)dh_pctx_find(c, ch[i].id);
		pc->result = ch[i].result;
		memset(pc->accepted_ts, 0, sizeof(pc->accepted_ts));
		if (ch[i].result == DH_PC_ACCEPT)
			memcpy(pc->accepted_ts, ans[i].ts.p, ans[i].ts.len);
	}
	c->state = DH_ST_ESTABLISHED;
	rc = DH_OK;
out:
	free(ans);
	return (rc);
}

/*
 * Reject as the UL service-user: result DH_RJ_PERMANENT or
 * DH_RJ_TRANSIENT, reason one of DH_RJ_NO_REASON, DH_RJ_APP_CONTEXT,
 * DH_RJ_CALLING_AE, DH_RJ_CALLED_AE (PS3.8 Table 9-21, source 1).
 */
int
dh_reject(struct dh_conn *c, int result, int reason)
{
	struct hipc_msg	 m;
	int		 rc;

	if (c->state != DH_ST_ASSOC_PENDING)
		return (DH_ERR_STATE);
	if ((result != DH_RJ_PERMANENT && result != DH_RJ_TRANSIENT) ||
	    (reason != DH_RJ_NO_REASON && reason != DH_RJ_APP_CONTEXT &&
	    reason != DH_RJ_CALLING_AE && reason != DH_RJ_CALLED_AE))
		return (DH_ERR_INVAL);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_RSP;
	m.u.assoc_rsp.decision = HIPC_DECISION_REJECT;
	m.u.assoc_rsp.rj_result = (uint8_t)result;
	m.u.assoc_rsp.rj_source = 1;
	m.u.assoc_rsp.rj_reason = (uint8_t)reason;
	if ((rc = dh_conn_send(c, &m)) != DH_OK)
		return (rc);
	c->state = DH_ST_CLOSED;
	return (DH_OK);
}
