/*
 * handler_policy.c: the service provider's routing and negotiation from
 * the configuration, run inside AE-6 before any handler is started: the
 * called AE picks an `ae` entry (else RJ 1,1,7), the calling AE and the
 * peer's address must be allowed (else RJ 1,1,3), and every proposed
 * presentation context gets its result from the entry's contexts.
 */

#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "handler.h"
#include "log.h"
#include "pdu.h"
#include "scoreboard.h"
#include "worker.h"

static void	policy_pctx(const struct dul_conf *, const struct conf_ae *,
		    const struct pdu_assoc *, unsigned int,
		    struct worker_pctx *);
static void	policy_roles(const struct pdu_assoc *, struct worker_pctx *,
		    enum conf_peer_roles);
static void	policy_timeouts(struct worker *, const struct conf_ae *);
static int	policy_user_info(struct worker *, const struct conf_ae *,
		    const struct pdu_assoc *, struct fsm_rj *);
static int	policy_limits(struct handler *, struct worker *,
		    const struct conf_ae *, struct fsm_rj *);

/* Fill in a reject triple and say why, once, in the log. */
static int
policy_reject(struct worker *w, struct fsm_rj *rj, uint8_t reason,
    const char *why)
{
	rj->result = PDU_RJ_PERMANENT;
	rj->source = PDU_RJ_SOURCE_USER;
	rj->reason = reason;
	log_info("rejecting association: %s", why);
	worker_fail(w, "%s", why);
	return (-1);
}

/*
 * The entry's demands on the user information item: with
 * strict_user_info, the Maximum Length (0x51) and Implementation Class
 * UID (0x52) sub-items PS3.7 D.3.3 makes mandatory; with
 * require_user_identity, a User Identity sub-item (0x58) of an accepted
 * type.  What is missing is refused with RJ (1, 1, 1): permanent, since
 * the peer must be configured differently before a retry can succeed,
 * and without a reason, since PS3.8 Table 9-21 has none for either.
 * The server checks only that an identity is there: the handler judges
 * it.
 */
static int
policy_user_info(struct worker *w, const struct conf_ae *ae,
    const struct pdu_assoc *rq, struct fsm_rj *rj)
{
	const char	*missing = NULL;
	char		 why[160];
	unsigned int	 type;

	if (!rq->ui.has_max_length)
		missing = "Maximum Length";
	else if (!rq->ui.has_impl_class_uid || rq->ui.impl_class_uid.len == 0)
		missing = "Implementation Class UID";
	if (missing != NULL && ae->strict_user_info) {
		snprintf(why, sizeof(why), "no %s sub-item in the user "
		    "information (strict_user_info)", missing);
		return (policy_reject(w, rj, PDU_RJ_USER_NO_REASON, why));
	}
	if (!rq->ui.has_impl_class_uid || rq->ui.impl_class_uid.len == 0)
		log_warnx("peer sent no implementation class UID; accepted "
		    "(strict_user_info = false)");
	if (!ae->require_user_identity)
		return (0);
	if (!rq->ui.has_user_identity)
		return (policy_reject(w, rj, PDU_RJ_USER_NO_REASON, "no user "
		    "identity (require_user_identity)"));
	type = rq->ui.user_identity.type;
	if (type > 31 || !(ae->user_identity_types & (1U << type))) {
		snprintf(why, sizeof(why), "user identity type %u not accepted "
		    "(user_identity_types)", type);
		return (policy_reject(w, rj, PDU_RJ_USER_NO_REASON, why));
	}
	return (0);
}

/*
 * The entry's own association limits, counted on the master's scoreboard
 * (none under -i and -d, where the super-server's limits apply).  Over a
 * limit: RJ (2, 3, 2), as for the global limit.  A scoreboard that fails
 * is logged and does not refuse anyone.
 */
static int
policy_limits(struct handler *h, struct worker *w, const struct conf_ae *ae,
    struct fsm_rj *rj)
{
	enum scoreboard_result	 r;
	char			 esc[PDU_AE_LEN * 4 + 1];
	int			 n;

	if (h->sb == NULL || (ae->max_associations == 0 &&
	    ae->max_associations_per_calling_ae == 0))
		return (0);
	r = scoreboard_enter(h->sb, ae->title, w->neg.calling,
	    ae->max_associations, ae->max_associations_per_calling_ae, &n);
	if (r == SCOREBOARD_ADMITTED)
		return (0);
	if (r == SCOREBOARD_ERROR) {
		log_error("scoreboard: %s limits not applied", ae->title);
		return (0);
	}
	rj->result = PDU_RJ_TRANSIENT;
	rj->source = PDU_RJ_SOURCE_PROVIDER_PRES;
	rj->reason = PDU_RJ_PRES_LOCAL_LIMIT_EXCEEDED;
	log_vis(esc, sizeof(esc), w->neg.calling, strlen(w->neg.calling));
	if (r == SCOREBOARD_OVER_ENTRY) {
		log_warnx("rejecting association: %s has %d associations "
		    "(max_associations = %d)", ae->title, n,
		    ae->max_associations);
		worker_fail(w, "association limit of %s reached", ae->title);
	} else {
		log_warnx("rejecting association: %s has %d associations "
		    "from \"%s\" (max_associations_per_calling_ae = %d)",
		    ae->title, n, esc, ae->max_associations_per_calling_ae);
		worker_fail(w, "association limit of %s for \"%s\" reached",
		    ae->title, esc);
	}
	return (-1);
}

/*
 * Note the role selection item naming this context's abstract syntax, and
 * the policy's answer to it: the SCU role as proposed, the SCP role only
 * where the entry allows it.  A handler sees the proposal whatever the
 * policy's result, since it may accept the context itself.
 */
static void
policy_roles(const struct pdu_assoc *rq, struct worker_pctx *wp,
    enum conf_peer_roles roles)
{
	char		 uid[PDU_UID_MAX + 1];
	unsigned int	 i;

	for (i = 0; i < rq->ui.n_roles; i++) {
		if (pdu_uid_copy(uid, rq->ui.roles[i].sop_class.p,
		    rq->ui.roles[i].sop_class.len) != 0 ||
		    strcmp(uid, wp->abstract) != 0)
			continue;
		/* Role bytes other than 0 and 1 make the item void. */
		if (rq->ui.roles[i].scu > 1 || rq->ui.roles[i].scp > 1)
			return;
		wp->role_proposed = 1;
		wp->scu_proposed = rq->ui.roles[i].scu;
		wp->scp_proposed = rq->ui.roles[i].scp;
		wp->scu = wp->scu_proposed;
		wp->scp = roles == CONF_ROLES_BOTH ? wp->scp_proposed : 0;
		return;
	}
}

/* From here on the association runs on the routed entry's timers. */
static void
policy_timeouts(struct worker *w, const struct conf_ae *ae)
{
	struct worker_timeouts	 to = w->to;

	to.artim = ae->timeouts.artim;
	to.idle = ae->timeouts.idle;
	to.su = ae->timeouts.handler;
	to.send = ae->timeouts.send;
	to.release = ae->timeouts.release;
	to.pdu = ae->timeouts.pdu;
	to.association = ae->timeouts.association;
	worker_set_timeouts(w, &to);
}

/* Decide one proposed context from the entry's contexts. */
static void
policy_pctx(const struct dul_conf *conf, const struct conf_ae *ae,
    const struct pdu_assoc *rq, unsigned int i, struct worker_pctx *wp)
{
	const struct pdu_pctx	*pc = &rq->pctx[i];
	struct conf_pc_result	 res;
	struct pdu_iter		 it;
	struct pdu_str		 s;
	char			**ts, *buf;
	size_t			 n = 0;

	if (wp->abstract[0] == '\0' ||
	    !pdu_uid_valid(wp->abstract, strlen(wp->abstract))) {
		wp->result = PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED;
		return;
	}
	policy_roles(rq, wp, CONF_ROLES_SCU);
	if (pc->n_ts == 0) {
		wp->result = PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED;
		return;
	}
	ts = calloc(pc->n_ts, sizeof(*ts));
	buf = calloc(pc->n_ts, PDU_UID_MAX + 1);
	if (ts == NULL || buf == NULL) {
		wp->result = PDU_PCTX_NO_REASON;
		goto done;
	}
	pdu_ts_iter(&it, pc);
	while (n < pc->n_ts && pdu_iter_next(&it, &s) == 1) {
		ts[n] = buf + n * (PDU_UID_MAX + 1);
		if (pdu_uid_copy(ts[n], s.p, s.len) != 0)
			ts[n][0] = '\0';
		n++;
	}
	memset(&res, 0, sizeof(res));
	wp->result = conf_pc_negotiate(conf, ae, wp->abstract,
	    (const char *const *)ts, n, &res);
	if (wp->result == PDU_PCTX_ACCEPTANCE) {
		strlcpy(wp->ts, ts[res.ts_index], sizeof(wp->ts));
		wp->role_proposed = 0;
		policy_roles(rq, wp, res.peer_roles);
	}
done:
	free(ts);
	free(buf);
}

/*
 * The policy's route(): find the `ae` entry, apply the access rules and
 * compute every context's result.  ctx is the struct handler.
 */
int
handler_policy_route(void *ctx, struct worker *w, const struct pdu_assoc *rq,
    struct worker_neg *neg, struct fsm_rj *rj)
{
	struct handler		*h = ctx;
	const struct dul_conf	*conf = h->conf;
	const struct conf_ae	*ae, *hint;
	const struct sockaddr	*sa = (const struct sockaddr *)&w->peer.ss;
	char			 why[320], esc[PDU_AE_LEN * 4 + 1];
	unsigned int		 i;
	int			 r;

	log_vis(esc, sizeof(esc), neg->called, strlen(neg->called));
	if (conf->network.strict_ae_titles &&
	    pdu_ae_check(rq->called_ae.p, rq->called_ae.len) != PDU_AE_OK) {
		snprintf(why, sizeof(why), "called AE \"%s\" is not a valid "
		    "AE title (%s)", esc, pdu_ae_problem_name(pdu_ae_check(
		    rq->called_ae.p, rq->called_ae.len)));
		return (policy_reject(w, rj,
		    PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED, why));
	}
	if ((ae = conf_ae_find(conf, neg->called)) == NULL) {
		hint = conf_ae_hint(conf, neg->called);
		snprintf(why, sizeof(why), "called AE \"%s\" not configured%s%s"
		    "%s", esc, hint != NULL ? "; \"" : "",
		    hint != NULL ? hint->title : "", hint != NULL ?
		    "\" would match ignoring case (network.ae_title_match)" :
		    "");
		return (policy_reject(w, rj,
		    PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED, why));
	}
	log_vis(esc, sizeof(esc), neg->calling, strlen(neg->calling));
	if (conf->network.strict_ae_titles &&
	    pdu_ae_check(rq->calling_ae.p, rq->calling_ae.len) != PDU_AE_OK) {
		snprintf(why, sizeof(why), "calling AE \"%s\" is not a valid "
		    "AE title", esc);
		return (policy_reject(w, rj,
		    PDU_RJ_USER_CALLING_AE_NOT_RECOGNIZED, why));
	}
	if (w->peer.sslen > 0 && !conf_access_ok(conf, sa)) {
		snprintf(why, sizeof(why), "address %s not allowed (access)",
		    w->peer.ip);
		return (policy_reject(w, rj,
		    PDU_RJ_USER_CALLING_AE_NOT_RECOGNIZED, why));
	}
	if (!conf_calling_ae_ok(conf, ae, neg->calling)) {
		snprintf(why, sizeof(why), "calling AE \"%s\" not allowed for "
		    "%s", esc, ae->title);
		return (policy_reject(w, rj,
		    PDU_RJ_USER_CALLING_AE_NOT_RECOGNIZED, why));
	}
	if (w->peer.sslen > 0 && !conf_calling_ip_ok(ae, sa)) {
		snprintf(why, sizeof(why), "calling AE \"%s\" from %s not "
		    "allowed for %s (calling_ip)", esc, w->peer.ip, ae->title);
		return (policy_reject(w, rj,
		    PDU_RJ_USER_CALLING_AE_NOT_RECOGNIZED, why));
	}
	neg->route = (void *)(uintptr_t)ae;
	neg->ae_config = ae->title;
	neg->our_max = ae->max_pdu_receive;
	policy_timeouts(w, ae);
	if (policy_user_info(w, ae, rq, rj) == -1)
		return (-1);
	for (i = 0; i < rq->n_pctx; i++)
		policy_pctx(conf, ae, rq, i, &neg->pctx[i]);
	if (ae->negotiation == CONF_NEG_POLICY) {
		/* The policy has the last word: nothing usable, no exec. */
		for (i = 0; i < rq->n_pctx; i++)
			if (neg->pctx[i].result == PDU_PCTX_ACCEPTANCE)
				break;
		if (i == rq->n_pctx)
			return (policy_reject(w, rj, PDU_RJ_USER_NO_REASON,
			    "no proposed presentation context is acceptable"));
		/* The AC goes out without a handler: it must be sendable. */
		if ((r = worker_ac_check(w)) != 0) {
			snprintf(why, sizeof(why), "the A-ASSOCIATE-AC "
			    "cannot be built: %s", pdu_strerror(r));
			return (policy_reject(w, rj, PDU_RJ_USER_NO_REASON,
			    why));
		}
	}
	return (policy_limits(h, w, ae, rj));
}
