/*
 * worker.c: one association, acceptor side.  The loop, the events it
 * feeds the state machine, and the summary line.  The state machine's
 * operations are in worker_ops.c.
 */

#include "compat.h"

#include <sys/mman.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>

#include <errno.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fault.h"
#include "fsm.h"
#include "io.h"
#include "link.h"
#include "log.h"
#include "pdu.h"
#include "proctitle.h"
#include "worker.h"
#include "worker_int.h"

static void	worker_step(struct worker *, enum fsm_event,
		    const struct fsm_evarg *);
static void	worker_events(struct worker *);
static int	worker_read(struct worker *);
static void	worker_pdu(struct worker *);
static int	worker_pdv_next(const struct worker *, struct pdu_iter *,
		    size_t *, struct pdu_pdv *);
static void	worker_timers(struct worker *, uint64_t);
static uint64_t	worker_deadline(struct worker *);
static void	worker_signal(struct worker *);
static void	worker_drain(struct worker *);
static void	worker_drain_tell(struct worker *);
static void	worker_summary(struct worker *);
static void	worker_make_id(struct worker *);
static uint64_t	worker_su_deadline(struct worker *);
static void	worker_abort_policy(struct worker *, enum worker_cause);
static int	worker_held(struct worker *);
static void	worker_rq_nomem(struct worker *);

/* Fill in the defaults of the design (robustness battery 0.3). */
void
worker_params_default(struct worker_params *p)
{
	memset(p, 0, sizeof(*p));
	p->to.artim = 30000;
	p->to.idle = 60000;
	p->to.su = 30000;
	p->to.send = 60000;
	p->to.release = 30000;
	p->to.pdu = 60000;
	p->max_pdu_receive = PDU_DEFAULT_MAX_PDATA_LEN;
	p->max_pdu_send = 65536;
	p->max_rq_pdu = PDU_DEFAULT_MAX_ASSOC_LEN;
	p->impl_class_uid = WORKER_IMPL_CLASS_UID;
	p->impl_version = WORKER_IMPL_VERSION;
	p->sigfd = -1;
}

/*
 * Take an address from the environment: a numeric IPv4 or IPv6 address
 * (IPv6 possibly in brackets, as socat writes it) and a port.  Returns 0
 * and fills ss, or -1, having said why if the variables are set.
 */
static int
worker_env_addr(const char *ipvar, const char *portvar,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	const char		*ip = getenv(ipvar), *port = getenv(portvar);
	const char		*errstr = NULL, *p;
	char			 buf[WORKER_ADDR_LEN], esc[WORKER_ADDR_LEN * 4];
	size_t			 n;
	long long		 pn = 0;

	if (ip == NULL)
		return (-1);
	memset(ss, 0, sizeof(*ss));
	p = ip;
	n = strlen(p);
	if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
		p++;
		n -= 2;
	}
	if (port != NULL)
		pn = strtonum(port, 0, 65535, &errstr);
	if (n < sizeof(buf) && errstr == NULL) {
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)pn);
			*sslen = sizeof(*sin);
			return (0);
		}
		if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)pn);
			*sslen = sizeof(*sin6);
			return (0);
		}
	}
	log_vis(esc, sizeof(esc), ip, strlen(ip));
	log_warnx("%s \"%s\"%s%s: not a numeric address%s; ignored", ipvar,
	    esc, errstr != NULL ? " with " : "", errstr != NULL ? portvar : "",
	    errstr != NULL ? " and port" : "");
	return (-1);
}

/*
 * Describe both ends of the connection as strings.  A socket that is no
 * TCP connection (socat without nofork hands over a socketpair) leaves
 * the addresses to the launcher's environment: UCSPI's, then socat's.
 */
void
worker_peer_fill(struct worker_peer *peer, int fd)
{
	struct sockaddr_storage	 ls;
	socklen_t		 lslen = sizeof(ls);
	int			 inet;

	memset(peer, 0, sizeof(*peer));
	peer->sslen = sizeof(peer->ss);
	strlcpy(peer->ip, "unknown", sizeof(peer->ip));
	strlcpy(peer->port, "0", sizeof(peer->port));
	strlcpy(peer->local_ip, "unknown", sizeof(peer->local_ip));
	strlcpy(peer->local_port, "0", sizeof(peer->local_port));
	inet = getpeername(fd, (struct sockaddr *)&peer->ss,
	    &peer->sslen) == 0 && (peer->ss.ss_family == AF_INET ||
	    peer->ss.ss_family == AF_INET6);
	if (!inet && worker_env_addr("TCPREMOTEIP", "TCPREMOTEPORT",
	    &peer->ss, &peer->sslen) == -1 && worker_env_addr(
	    "SOCAT_PEERADDR", "SOCAT_PEERPORT", &peer->ss,
	    &peer->sslen) == -1)
		peer->sslen = 0;
	if (peer->sslen > 0)
		getnameinfo((struct sockaddr *)&peer->ss, peer->sslen,
		    peer->ip, sizeof(peer->ip), peer->port,
		    sizeof(peer->port), NI_NUMERICHOST | NI_NUMERICSERV);
	inet = getsockname(fd, (struct sockaddr *)&ls, &lslen) == 0 &&
	    (ls.ss_family == AF_INET || ls.ss_family == AF_INET6);
	if (inet || worker_env_addr("TCPLOCALIP", "TCPLOCALPORT", &ls,
	    &lslen) == 0 || worker_env_addr("SOCAT_SOCKADDR",
	    "SOCAT_SOCKPORT", &ls, &lslen) == 0)
		getnameinfo((struct sockaddr *)&ls, lslen, peer->local_ip,
		    sizeof(peer->local_ip), peer->local_port,
		    sizeof(peer->local_port), NI_NUMERICHOST | NI_NUMERICSERV);
	if (strchr(peer->ip, ':') != NULL)
		snprintf(peer->addr, sizeof(peer->addr), "[%s]:%s", peer->ip,
		    peer->port);
	else
		snprintf(peer->addr, sizeof(peer->addr), "%s:%s", peer->ip,
		    peer->port);
}

/*
 * Set the association's timers.  The worker starts with its parameters'
 * and the policy's route() may give the routed entry's instead: ARTIM
 * before the RQ is then necessarily the first one, and from AE-6 on the
 * new ones apply (idle, the service user's answers, sends, release, the
 * lifetime from the connection's start, and ARTIM in Sta13).
 */
void
worker_set_timeouts(struct worker *w, const struct worker_timeouts *to)
{
	w->to = *to;
	w->fsm.artim_ms = to->artim;
	w->life_deadline = to->association != 0 ?
	    w->started + to->association : 0;
}

/*
 * Make up an association id: UTC time and a random tail.  The tail comes
 * from getentropy(): one system call, where the C library's arc4random()
 * sets up its state in a newly forked process first (two mappings and
 * their page faults, per association).
 */
static void
worker_make_id(struct worker *w)
{
	struct tm	 tm;
	time_t		 t = time(NULL);
	uint32_t	 r;
	char		 ts[32];

	if (w->par->assoc_id != NULL) {
		strlcpy(w->id, w->par->assoc_id, sizeof(w->id));
		return;
	}
	if (getentropy(&r, sizeof(r)) == -1)
		r = arc4random();
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(w->id, sizeof(w->id), "%s-%06x", ts, r & 0xffffff);
}

/* Queue a primitive from the service user; it is stepped in order. */
int
worker_push(struct worker *w, const struct su_event *ev)
{
	if (w->evq_len == WORKER_EVQ_LEN)
		return (-1);
	w->evq[(w->evq_head + w->evq_len) % WORKER_EVQ_LEN] = *ev;
	w->evq_len++;
	return (0);
}

/* Note why the association is failing, for the summary line. */
void
worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list	 ap;

	if (w->detail[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->detail, sizeof(w->detail), fmt, ap);
	va_end(ap);
}

/* Return whether a context ID was accepted on this association. */
int
worker_pctx_accepted(const struct worker *w, uint8_t id)
{
	unsigned int	 i;

	for (i = 0; i < w->neg.n_pctx; i++)
		if (w->neg.pctx[i].id == id)
			return (w->neg.pctx[i].result == PDU_PCTX_ACCEPTANCE);
	return (0);
}

/*
 * Step one event.  A write that failed inside the step is the transport
 * closing (Evt17), stepped right after.
 */
static void
worker_step(struct worker *w, enum fsm_event ev, const struct fsm_evarg *arg)
{
	enum fsm_state	 from = w->fsm.state;
	int		 r;

	r = fsm_step(&w->fsm, ev, arg);
	if (w->fsm.state != from)
		proctitle_state(fsm_state_name(w->fsm.state));
	if (r == FSM_ERR_REFUSED && from == STA13_AWAIT_CLOSE) {
		/*
		 * The association ended (our abort, RJ or RP) while the
		 * service user was answering: its late primitive is moot.
		 */
		log_debug("%s after the association ended: dropped",
		    fsm_event_desc(ev));
		return;
	}
	if (r == FSM_ERR_REFUSED) {
		log_warnx("%s refused in %s: the service user may not issue "
		    "it now", fsm_event_name(ev), fsm_state_name(from));
		w->exit_code = WORKER_EXIT_PROTOCOL;
		worker_fail(w, "service user sent %s in %s",
		    fsm_event_desc(ev), fsm_state_name(from));
		worker_abort_local(w, PDU_ABORT_SOURCE_PROVIDER,
		    PDU_ABORT_NOT_SPECIFIED);
		return;
	}
	if (r == FSM_ERR_IMPOSSIBLE || r == FSM_ERR_ARG || r == FSM_ERR_BUSY) {
		log_errorx("internal: %s in %s: %s", fsm_event_name(ev),
		    fsm_state_name(from), fsm_strerror(r));
		return;
	}
	if (w->send_failed && w->fsm.state != STA1_IDLE) {
		w->send_failed = 0;
		worker_fail(w, "write to peer failed");
		worker_step(w, EVT17_TRANSPORT_CLOSED, NULL);
	}
}

/* Abort from our side: Evt15 with the given A-ABORT source and reason. */
void
worker_abort_local(struct worker *w, uint8_t source, uint8_t reason)
{
	struct fsm_evarg	 a;

	memset(&a, 0, sizeof(a));
	a.abort_source = source;
	a.abort_reason = reason;
	if (w->fsm.state == STA2_TRANSPORT_OPEN) {
		/*
		 * Nothing to abort yet: close as ARTIM's expiry does (AA-2).
		 * The machine's fields are its own, so ARTIM's deadline is
		 * left alone; Evt18's cell does not look at it.
		 */
		worker_step(w, EVT18_ARTIM_EXPIRED, NULL);
		return;
	}
	worker_step(w, EVT15_ABORT_REQ, &a);
}

/*
 * Abort because a timer of ours fired or the server drains: Evt15 sends
 * A-ABORT (0, 0), and the service user, which did not ask for it, is
 * told with an A-P-ABORT indication carrying the local cause (handler
 * protocol 6.7).
 */
static void
worker_abort_policy(struct worker *w, enum worker_cause cause)
{
	enum fsm_state	 from = w->fsm.state;

	w->fsm_cause = cause;
	worker_abort_local(w, PDU_ABORT_SOURCE_USER, 0);
	if (from != STA2_TRANSPORT_OPEN && w->fsm.action == ACT_AA1 &&
	    w->su_started && w->par->su->p_abort_ind != NULL)
		w->par->su->p_abort_ind(w->par->su_ctx, w,
		    PDU_ABORT_NOT_SPECIFIED, cause);
}

/* Step every primitive the service user has queued. */
static void
worker_events(struct worker *w)
{
	struct su_event		 ev;
	struct fsm_evarg	 a;

	while (w->evq_len > 0 && w->fsm.state != STA1_IDLE) {
		ev = w->evq[w->evq_head];
		w->evq_head = (w->evq_head + 1) % WORKER_EVQ_LEN;
		w->evq_len--;
		memset(&a, 0, sizeof(a));
		switch (ev.ev) {
		case EVT7_ASSOC_ACCEPT:
			if (!worker_any_accepted(w)) {
				/* Design 8.6: no context, no association. */
				ev.ev = EVT8_ASSOC_REJECT;
				a.rj.result = PDU_RJ_PERMANENT;
				a.rj.source = PDU_RJ_SOURCE_USER;
				a.rj.reason = PDU_RJ_USER_NO_REASON;
				worker_fail(w, "no presentation context "
				    "accepted");
			}
			a.data = &w->neg;
			break;
		case EVT8_ASSOC_REJECT:
			a.rj = ev.rj;
			break;
		case EVT9_PDATA_REQ:
			a.data = &ev;
			break;
		case EVT15_ABORT_REQ:
			a.abort_source = ev.abort_source;
			a.abort_reason = ev.abort_reason;
			break;
		default:
			break;
		}
		/* Only an answer stops the clock; P-DATA in Sta8 is not one. */
		if (ev.ev != EVT9_PDATA_REQ)
			w->su_deadline = 0;
		worker_step(w, ev.ev, &a);
	}
}

/*
 * Give the next PDV of the P-DATA-TF just read, returning 1, or 0 at the
 * end: from the decoded body, or from the headers the link kept of a
 * spliced one (whose data is not here).
 */
static int
worker_pdv_next(const struct worker *w, struct pdu_iter *it, size_t *off,
    struct pdu_pdv *pdv)
{
	const struct link	*l = &w->link;

	if (!l->in_pipe)
		return (pdu_pdv_next(it, pdv));
	if (*off + PDU_PDV_HDR_LEN > l->hdrs_len)
		return (0);
	pdv->pcid = l->body[*off + 4];
	pdv->mch = l->body[*off + 5] & PDU_MCH_MASK;
	pdv->data = NULL;
	pdv->len = get_u32(l->body + *off) - 2;
	*off += PDU_PDV_HDR_LEN;
	return (1);
}

/* Turn the PDU that link_read() completed into an event. */
static void
worker_pdu(struct worker *w)
{
	struct fsm_evarg	 a;
	struct link		*l = &w->link;
	struct pdu_iter		 it;
	struct pdu_pdv		 pdv;
	enum fsm_event		 ev;
	size_t			 off;
	int			 r;

	memset(&a, 0, sizeof(a));
	worker_pdu_log(w, "received %s, %u bytes", pdu_type_name(l->h.type),
	    (unsigned int)l->h.len);
	if (w->fsm.state == STA6_ESTABLISHED && w->to.idle != 0)
		w->idle_deadline = io_now() + w->to.idle;

	if (l->h.type == PDU_ASSOC_RQ &&
	    w->fsm.state == STA2_TRANSPORT_OPEN) {
		/* Decoded once, straight into the copy kept for the AC. */
		w->pdu.type = l->h.type;
		w->pdu.len = l->h.len;
		if ((r = worker_keep_rq(w)) == 1) {
			worker_rq_nomem(w);
			return;
		}
	} else if (l->in_pipe) {
		/* Spliced: the link checked each PDV header as it came. */
		memset(&w->pdu, 0, sizeof(w->pdu));
		w->pdu.type = l->h.type;
		w->pdu.len = l->h.len;
		w->pdu.u.pdata.len = l->h.len;
		w->pdu.u.pdata.n_pdv = (unsigned int)(l->hdrs_len /
		    PDU_PDV_HDR_LEN);
		r = PDU_OK;
	} else
		r = pdu_decode_body(l->h.type, l->body, l->h.len, &w->pdu);
	if (r < 0) {
		a.abort_reason = pdu_err_abort_reason(r);
		worker_fail(w, "invalid %s: %s", pdu_type_name(l->h.type),
		    pdu_strerror(r));
		w->exit_code = WORKER_EXIT_PROTOCOL;
		worker_step(w, EVT19_INVALID_PDU, &a);
		return;
	}
	a.data = &w->pdu;
	switch (l->h.type) {
	case PDU_ASSOC_RQ:
		ev = EVT6_ASSOC_RQ_PDU;
		if (w->fsm.state == STA2_TRANSPORT_OPEN)
			a.data = &w->rq;
		break;
	case PDU_ASSOC_AC:
		ev = EVT3_ASSOC_AC_PDU;
		break;
	case PDU_ASSOC_RJ:
		ev = EVT4_ASSOC_RJ_PDU;
		a.rj.result = w->pdu.u.rj.result;
		a.rj.source = w->pdu.u.rj.source;
		a.rj.reason = w->pdu.u.rj.reason;
		break;
	case PDU_P_DATA_TF:
		ev = EVT10_PDATA_PDU;
		if (w->fsm.state != STA6_ESTABLISHED &&
		    w->fsm.state != STA7_AWAIT_RELEASE_RP)
			break;
		/* Digest 8.7: a PDV on a context not accepted is invalid. */
		pdu_pdv_iter(&it, &w->pdu.u.pdata);
		off = 0;
		while (worker_pdv_next(w, &it, &off, &pdv) == 1) {
			w->msg_open = !(pdv.mch & PDU_MCH_LAST);
			if (worker_pctx_accepted(w, pdv.pcid))
				continue;
			worker_fail(w, "P-DATA on unaccepted context %u",
			    pdv.pcid);
			w->exit_code = WORKER_EXIT_PROTOCOL;
			ev = EVT19_INVALID_PDU;
			a.abort_reason = PDU_ABORT_INVALID_PARAM;
			break;
		}
		break;
	case PDU_RELEASE_RQ:
		ev = EVT12_RELEASE_RQ_PDU;
		if (w->fsm.state == STA6_ESTABLISHED && w->msg_open) {
			/* Battery case 64: nothing of it is acknowledged. */
			worker_fail(w, "release with an incomplete message "
			    "(its last PDV was not a last fragment)");
		}
		break;
	case PDU_RELEASE_RP:
		ev = EVT13_RELEASE_RP_PDU;
		break;
	case PDU_ABORT:
		ev = EVT16_ABORT_PDU;
		a.abort_source = w->pdu.u.abort.source;
		a.abort_reason = w->pdu.u.abort.reason;
		break;
	default:
		return;
	}
	if (worker_unexpected(w, ev))
		w->exit_code = WORKER_EXIT_PROTOCOL;
	worker_step(w, ev, &a);
}

/*
 * Read what the socket holds and step each whole PDU.  Stops early while
 * the service user cannot take more (so TCP pushes back on the peer).
 * Returns -1 once the transport is gone.
 */
static int
worker_read(struct worker *w)
{
	const struct su_ops	*su = w->par->su;
	struct pdu_limits	 lim;
	struct fsm_evarg	 a;
	enum pdu_phase		 ph;
	ssize_t			 n;
	int			 r, i;

	for (i = 0; i < 64 && w->fsm.state != STA1_IDLE; i++) {
		if (su->busy != NULL && su->busy(w->par->su_ctx) &&
		    w->fsm.state != STA13_AWAIT_CLOSE)
			return (0);
		if (w->fsm.unframed) {
			n = link_drain(&w->link);
			if (n == LINK_EOF || n == LINK_ERR) {
				worker_step(w, EVT17_TRANSPORT_CLOSED, NULL);
				return (-1);
			}
			return (0);
		}
		lim.max_assoc_len = w->par->max_rq_pdu;
		lim.max_pdata_len = w->neg.our_max != 0 ? w->neg.our_max :
		    w->par->max_pdu_receive;
		ph = w->fsm.state == STA2_TRANSPORT_OPEN ?
		    PDU_PHASE_AWAIT_RQ : PDU_PHASE_ASSOCIATED;
		w->link.splice_ok = su->pdata_pipe != NULL && w->su_started &&
		    w->fsm.state == STA6_ESTABLISHED;
		r = link_read(&w->link, &lim, ph);
		switch (r) {
		case LINK_AGAIN:
			return (0);
		case LINK_EOF:
			if (link_in_pdu(&w->link))
				worker_fail(w, "peer closed inside a PDU");
			worker_step(w, EVT17_TRANSPORT_CLOSED, NULL);
			return (-1);
		case LINK_ERR:
			if (errno == ENOMEM) {
				/*
				 * Ours, not the peer's: RJ (2, 3, 1) for an
				 * RQ, else A-ABORT (0, 0); exit 1.  Neither
				 * needs memory.  The body is then drained
				 * unread until the peer closes or ARTIM
				 * expires: closing with it unread would reset
				 * the connection and could destroy our PDU.
				 */
				log_errorx("no memory for a PDU of %u bytes",
				    (unsigned int)w->link.h.len);
				if (w->fsm.state == STA2_TRANSPORT_OPEN &&
				    w->link.h.type == PDU_ASSOC_RQ)
					worker_rq_nomem(w);
				else {
					worker_fail(w, "out of memory");
					w->exit_code = WORKER_EXIT_INTERNAL;
					worker_abort_local(w,
					    PDU_ABORT_SOURCE_USER, 0);
				}
				if (w->fsm.state == STA13_AWAIT_CLOSE) {
					w->fsm.unframed = 1;
					continue;
				}
				if (w->fsm.state != STA1_IDLE)
					worker_step(w, EVT17_TRANSPORT_CLOSED,
					    NULL);
				return (-1);
			}
			log_warn("read from peer");
			worker_fail(w, "read error: %s", strerror(errno));
			worker_step(w, EVT17_TRANSPORT_CLOSED, NULL);
			return (-1);
		case LINK_BADHDR:
			memset(&a, 0, sizeof(a));
			a.abort_reason = pdu_err_abort_reason(w->link.err);
			a.unframed = 1;
			worker_badhdr(w);
			w->exit_code = WORKER_EXIT_PROTOCOL;
			worker_step(w, EVT19_INVALID_PDU, &a);
			link_next(&w->link);
			continue;
		case LINK_PDU:
			worker_pdu(w);
			link_next(&w->link);
			worker_events(w);
			continue;
		}
	}
	return (0);
}

/* Fire whichever deadline has passed. */
static void
worker_timers(struct worker *w, uint64_t now)
{
	enum fsm_state	 st = w->fsm.state;
	uint64_t	 pdl;

	if (st == STA1_IDLE)
		return;
	if (w->fsm.artim_running && fsm_artim_expired(&w->fsm, now)) {
		if (st == STA2_TRANSPORT_OPEN)
			worker_fail(w, "no A-ASSOCIATE-RQ within ARTIM");
		else
			worker_fail(w, "peer did not close within ARTIM");
		w->fsm_cause = CAUSE_ARTIM;
		worker_step(w, EVT18_ARTIM_EXPIRED, NULL);
		return;
	}
	if (st == STA2_TRANSPORT_OPEN || st == STA13_AWAIT_CLOSE)
		return;
	if (w->life_deadline != 0 && now >= w->life_deadline) {
		worker_fail(w, "association time limit reached");
		worker_abort_policy(w, CAUSE_TIME_LIMIT);
		return;
	}
	pdl = worker_pdu_deadline(w);
	if (pdl != 0 && now >= pdl) {
		worker_fail(w, "peer stalled inside a PDU");
		worker_abort_policy(w, CAUSE_PDU_STALL);
		return;
	}
	if (st == STA6_ESTABLISHED && w->idle_deadline != 0 &&
	    now >= w->idle_deadline && !worker_held(w)) {
		worker_fail(w, "idle timeout");
		worker_abort_policy(w, CAUSE_IDLE);
		return;
	}
	if ((st == STA7_AWAIT_RELEASE_RP || st == STA10_COLLISION_ACC_RP) &&
	    w->release_deadline != 0 && now >= w->release_deadline) {
		worker_fail(w, "no A-RELEASE-RP within the release timeout");
		worker_abort_policy(w, CAUSE_RELEASE);
		return;
	}
	pdl = worker_su_deadline(w);
	if (pdl != 0 && now >= pdl)
		worker_su_timeout(w);
}

/*
 * Whether the peer is held back: the service user cannot take another
 * PDU, so the socket is not read (it is read to the end in Sta13).
 */
static int
worker_held(struct worker *w)
{
	const struct su_ops	*su = w->par->su;

	return (su->busy != NULL && su->busy(w->par->su_ctx) &&
	    w->fsm.state != STA13_AWAIT_CLOSE);
}

/* When the service user must have answered or made progress, or 0. */
static uint64_t
worker_su_deadline(struct worker *w)
{
	uint64_t	 d = w->su_deadline;

	if (w->su_started && w->par->su->deadline != NULL)
		d = io_min_deadline(d, w->par->su->deadline(w->par->su_ctx,
		    w));
	return (d);
}

/* The nearest deadline for poll(). */
static uint64_t
worker_deadline(struct worker *w)
{
	enum fsm_state	 st = w->fsm.state;
	uint64_t	 d = IO_NO_DEADLINE;

	if (w->fsm.artim_running)
		d = fsm_artim_deadline(&w->fsm);
	if (st == STA2_TRANSPORT_OPEN || st == STA13_AWAIT_CLOSE)
		return (d);
	d = io_min_deadline(d, w->life_deadline);
	d = io_min_deadline(d, worker_pdu_deadline(w));
	if (st == STA6_ESTABLISHED && !worker_held(w))
		d = io_min_deadline(d, w->idle_deadline);
	if (st == STA7_AWAIT_RELEASE_RP || st == STA10_COLLISION_ACC_RP)
		d = io_min_deadline(d, w->release_deadline);
	return (io_min_deadline(d, worker_su_deadline(w)));
}

/*
 * The server started to drain (SIGUSR2, design decision 9): the service
 * user is told how long it has, now or when it starts.  The grace period
 * is the configuration's, counted from the signal.
 */
static void
worker_drain(struct worker *w)
{
	uint32_t	 grace = w->par->shutdown_grace;

	if (w->drain_end != 0)
		return;
	w->drain_end = io_now() + (uint64_t)grace * 1000;
	log_debug("server shutting down: %u s of grace left",
	    (unsigned int)grace);
	worker_drain_tell(w);
}

/*
 * Tell the service user of a drain once the association is established
 * (handler protocol 7.1), with the seconds then left.
 */
static void
worker_drain_tell(struct worker *w)
{
	uint64_t	 now;

	if (w->drain_end == 0 || w->drain_told || !w->su_started ||
	    w->fsm.state < STA6_ESTABLISHED ||
	    w->fsm.state > STA12_COLLISION_ACC_LOCAL)
		return;
	w->drain_told = 1;
	now = io_now();
	if (w->par->su->drain != NULL)
		w->par->su->drain(w->par->su_ctx, w, now >= w->drain_end ? 0 :
		    (uint32_t)((w->drain_end - now + 999) / 1000));
}

/* A byte on the signal pipe: SIGTERM aborts, SIGUSR2 warns the user. */
static void
worker_signal(struct worker *w)
{
	uint8_t	 sig[16];
	ssize_t	 n, i;

	if ((n = read(w->par->sigfd, sig, sizeof(sig))) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (sig[i] == SIGUSR2)
			worker_drain(w);
		if (sig[i] != SIGTERM || w->stop)
			continue;
		w->stop = 1;
		worker_fail(w, "server shutting down");
		w->fsm_cause = CAUSE_SHUTDOWN;
		if (w->fsm.state != STA13_AWAIT_CLOSE &&
		    w->fsm.state != STA1_IDLE)
			worker_abort_policy(w, CAUSE_SHUTDOWN);
	}
}

/*
 * Run one association on a connected socket until the state machine is
 * back in Sta1.  The socket is the worker's from here on: it is closed
 * when this returns.  Returns the worker's exit status (decision 10).
 */
int
worker_run(const struct worker_params *par, int fd)
{
	struct worker		*w;
	struct pollfd		 pfd[2 + WORKER_MAX_SU_FDS];
	const struct su_ops	*su = par->su;
	struct linger		 nolinger = { 1, 0 };
	uint64_t		 now;
	int			 n, nsu, one = 1, code;

	/*
	 * A mapping of its own, zero-filled: the pages of the large
	 * structures (the RQ, the negotiation, the PDU) that an association
	 * never touches are never made resident.
	 */
	if ((w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		log_error("worker");
		return (WORKER_EXIT_INTERNAL);
	}
	w->par = par;
	w->started = io_now();
	w->outcome = "closed";
	link_init(&w->link, fd);
	worker_peer_fill(&w->peer, fd);
	worker_make_id(w);
	worker_set_tag(w);
	io_set_nonblock(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A peer gone without FIN or RST: the idle timer's second line. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	fsm_init(&w->fsm, FSM_ACCEPTOR, &worker_fsm_ops, w, par->to.artim);
	worker_set_timeouts(w, &par->to);
	worker_step(w, EVT5_TRANSPORT_IND, NULL);

	while (w->fsm.state != STA1_IDLE) {
		worker_events(w);
		if (w->fsm.state == STA1_IDLE)
			break;
		worker_drain_tell(w);
		/*
		 * While the service user cannot take more, the socket is left
		 * out altogether: POLLHUP would otherwise wake us for ever.
		 */
		n = 0;
		pfd[n].fd = w->link.fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		if (worker_held(w)) {
			pfd[n].fd = -1;
			/*
			 * PDUs we hold back keep the peer from being idle,
			 * and the time a PDU waits on us is not its stall.
			 */
			if (w->fsm.state == STA6_ESTABLISHED && w->to.idle != 0)
				w->idle_deadline = io_now() + w->to.idle;
			if (link_in_pdu(&w->link))
				w->link.pdu_started = io_now();
		}
		n++;
		if (par->sigfd != -1) {
			pfd[n].fd = par->sigfd;
			pfd[n].events = POLLIN;
			n++;
		}
		nsu = 0;
		if (w->su_started && su->pollfds != NULL)
			nsu = su->pollfds(par->su_ctx, pfd + n,
			    WORKER_MAX_SU_FDS);
		if (io_poll(pfd, (nfds_t)(n + nsu),
		    io_timeout(worker_deadline(w), io_now())) == -1) {
			if (errno == EINTR)
				continue;
			log_error("poll");
			w->exit_code = WORKER_EXIT_INTERNAL;
			break;
		}
		now = io_now();
		if (par->sigfd != -1 && (pfd[1].revents & POLLIN))
			worker_signal(w);
		if (nsu > 0 && w->su_started && su->handle != NULL)
			su->handle(par->su_ctx, w, pfd + n, nsu);
		worker_events(w);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR) &&
		    w->fsm.state != STA1_IDLE)
			worker_read(w);
		worker_timers(w, now);
	}

	/* Evt17's actions (AA-4, AA-5, AR-5) leave the socket open. */
	if (w->link.fd != -1) {
		/* A peer that stopped reading gets a reset, not our backlog. */
		if (w->fsm_cause == CAUSE_SEND_STALL)
			setsockopt(w->link.fd, SOL_SOCKET, SO_LINGER, &nolinger,
			    sizeof(nolinger));
		close(w->link.fd);
		w->link.fd = -1;
	}
	if (w->su_started && su->end != NULL)
		w->su_status = su->end(par->su_ctx, w);
	worker_summary(w);
	code = w->exit_code;
	link_free(&w->link);
	free(w->rq_buf);
	free(w->ac_pdu);
	munmap(w, sizeof(*w));
	return (code);
}

/*
 * Log the one line that says how the association ended (decision 12):
 * at warning level when the peer or the service user broke the protocol
 * (the line's detail says how: bad input costs the operator this line
 * only), else at info.  A connection that ended before a byte came (a
 * port scan, a load balancer's probe) is logged at debug level unless
 * logging.log_idle_connects is on.  With logging.association_summary
 * off, only a broken protocol is logged, by its detail alone.
 */
static void
worker_summary(struct worker *w)
{
	char	 calling[PDU_AE_LEN * 4 + 1], called[PDU_AE_LEN * 4 + 1];
	char	 outcome[256], line[LOG_LINE_MAX];
	int	 broken;

	broken = w->exit_code == WORKER_EXIT_PROTOCOL && w->detail[0] != '\0';
	if (w->par->no_summary) {
		/* Still tagged with the association. */
		if (broken)
			log_warnx("%s", w->detail);
		log_settag(NULL);
		return;
	}
	log_settag(NULL);
	log_vis(calling, sizeof(calling), w->neg.calling,
	    strlen(w->neg.calling));
	log_vis(called, sizeof(called), w->neg.called, strlen(w->neg.called));
	worker_outcome(w, outcome, sizeof(outcome));
	snprintf(line, sizeof(line), "assoc=%s peer=%s calling=\"%s\" "
	    "called=\"%s\" outcome=%s "
	    "pdus_in=%llu bytes_in=%llu pdus_out=%llu bytes_out=%llu "
	    "duration_ms=%llu handler=%d%s%s%s", w->id, w->peer.addr,
	    calling, called, outcome,
	    (unsigned long long)w->link.pdus_in,
	    (unsigned long long)w->link.bytes_in,
	    (unsigned long long)w->link.pdus_out,
	    (unsigned long long)w->link.bytes_out,
	    (unsigned long long)(io_now() - w->started), w->su_status,
	    w->detail[0] != '\0' ? " detail=\"" : "", w->detail,
	    w->detail[0] != '\0' ? "\"" : "");
	if (broken)
		log_warnx("%s", line);
	else if (w->link.bytes_in == 0 && !w->par->log_idle)
		log_debug("%s", line);
	else
		log_info("%s", line);
}

/*
 * One line per PDU, type and length only: at debug level, or at info
 * with logging.pdu_trace.  Nothing is formatted when neither logs.
 */
void
worker_pdu_log(const struct worker *w, const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;

	if (!w->par->pdu_trace && log_getverbose() < 1)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (w->par->pdu_trace)
		log_info("%s", line);
	else
		log_debug("%s", line);
}

/*
 * No memory for the A-ASSOCIATE-RQ (its body or the copy kept for the
 * AC): reject it in AE-6 with RJ (2, 3, 1), transient, which needs no
 * memory, rather than close without a word (PS3.8 9.1.4).  The RQ is not
 * looked at.
 */
static void
worker_rq_nomem(struct worker *w)
{
	struct fsm_evarg	 a;

	worker_fail(w, "out of memory");
	w->exit_code = WORKER_EXIT_INTERNAL;
	w->rq_nomem = 1;
	memset(&a, 0, sizeof(a));
	a.data = &w->rq;
	worker_step(w, EVT6_ASSOC_RQ_PDU, &a);
}

/*
 * Keep the A-ASSOCIATE-RQ until it is answered: the AC echoes its bytes,
 * and the next PDU will reuse the link's buffer.  Returns 0, a PDU_ERR_*
 * code for an RQ that does not decode, or 1 when the copy could not be
 * made (the caller rejects the RQ).
 */
int
worker_keep_rq(struct worker *w)
{
	free(w->rq_buf);
	if ((w->rq_buf = fault_malloc(w->link.h.len)) == NULL) {
		log_error("A-ASSOCIATE-RQ");
		return (1);
	}
	memcpy(w->rq_buf, w->link.body, w->link.h.len);
	w->rq_len = w->link.h.len;
	return (pdu_decode_assoc_rq(w->rq_buf, w->rq_len, &w->rq));
}

/*
 * The RQ has been answered and is needed no more: give back its copy,
 * and the pages of its decoded form (the first member of the worker's
 * own mapping), which then read as zeros, an RQ without contexts.
 */
void
worker_forget_rq(struct worker *w)
{
	uintptr_t	 pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t	 start = (uintptr_t)&w->rq, end = start + sizeof(w->rq);
	uintptr_t	 lo = (start + pg - 1) & ~(pg - 1), hi = end & ~(pg - 1);

	free(w->rq_buf);
	w->rq_buf = NULL;
	w->rq_len = 0;
	free(w->ac_pdu);
	w->ac_pdu = NULL;
	if (hi <= lo)
		memset(&w->rq, 0, sizeof(w->rq));
	else {
		memset((void *)start, 0, lo - start);
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
		memset((void *)hi, 0, end - hi);
	}
#ifdef HAVE_MALLOC_TRIM
	/* Setting up is over: what it freed goes back, not kept resident. */
	malloc_trim(0);
#endif
}

/* Return whether a peer's PDU is out of sequence in the current state. */
int
worker_unexpected(const struct worker *w, enum fsm_event ev)
{
	struct fsm_rule	 r = fsm_cell(ev, w->fsm.state);

	return (r.act == ACT_AA8 || r.act == ACT_AA7 ||
	    (r.act == ACT_AA1 && w->fsm.state == STA2_TRANSPORT_OPEN));
}

/* Log a header that failed its check, guessing at what the peer speaks. */
void
worker_badhdr(struct worker *w)
{
	const uint8_t	*h = w->link.hdr;
	const char	*hint = "";
	char		 lim[32];
	uint32_t	 cap = w->par->max_rq_pdu;

	if (memcmp(h, "GET ", 4) == 0 || memcmp(h, "POST", 4) == 0 ||
	    memcmp(h, "HEAD", 4) == 0 || memcmp(h, "PUT ", 4) == 0)
		hint = " (non-DICOM traffic: HTTP?)";
	else if (h[0] == 0x16 && h[1] == 0x03)
		hint = " (TLS client on a non-TLS port?)";
	else if (memcmp(h, "SSH-", 4) == 0)
		hint = " (non-DICOM traffic: SSH?)";
	else if (h[0] == 0x0b)
		hint = " (non-DICOM traffic: HL7 MLLP?)";
	lim[0] = '\0';
	if (w->link.err == PDU_ERR_PDATA_TOO_LONG &&
	    w->fsm.state != STA2_TRANSPORT_OPEN)
		cap = w->neg.our_max != 0 ? w->neg.our_max :
		    w->par->max_pdu_receive;
	if (w->link.err == PDU_ERR_PDATA_TOO_LONG ||
	    w->link.err == PDU_ERR_ASSOC_TOO_LONG)
		snprintf(lim, sizeof(lim), " %u", (unsigned int)cap);
	worker_fail(w, "bad PDU header type 0x%02x length %u: %s%s%s", h[0],
	    (unsigned int)w->link.h.len, pdu_strerror(w->link.err), lim,
	    hint);
}

/*
 * When the PDU being read must be complete: a base period plus the time
 * its length takes at 64 KiB/s, so a trickling peer cannot hold the
 * worker (design decision 4).
 */
uint64_t
worker_pdu_deadline(const struct worker *w)
{
	uint64_t	 len = 0;

	if (w->to.pdu == 0 || !link_in_pdu(&w->link))
		return (IO_NO_DEADLINE);
	if (w->link.hdr_got == PDU_HDR_LEN)
		len = w->link.h.len;
	return (w->link.pdu_started + w->to.pdu + len / 64);
}

/*
 * The service user did not answer in time.  Before the AC that is a
 * transient rejection; afterwards an A-ABORT (design 8.8).
 */
void
worker_su_timeout(struct worker *w)
{
	struct su_event	 ev;

	w->su_deadline = 0;
	log_warnx("%s did not answer within %llu ms",
	    w->par->su->name != NULL ? w->par->su->name : "service user",
	    (unsigned long long)w->to.su);
	worker_fail(w, "service user did not answer in time");
	w->exit_code = WORKER_EXIT_PROTOCOL;
	/* Design 8.8: the user hears why first (handler ERROR code 7). */
	if (w->su_started && w->par->su->timed_out != NULL)
		w->par->su->timed_out(w->par->su_ctx, w);
	if (w->fsm.state == STA3_AWAIT_LOCAL_RSP) {
		memset(&ev, 0, sizeof(ev));
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = PDU_RJ_TRANSIENT;
		ev.rj.source = PDU_RJ_SOURCE_PROVIDER_PRES;
		ev.rj.reason = PDU_RJ_PRES_TEMPORARY_CONGESTION;
		worker_push(w, &ev);
		return;
	}
	worker_abort_local(w, PDU_ABORT_SOURCE_PROVIDER,
	    PDU_ABORT_NOT_SPECIFIED);
}

/* Prefix log lines with the association: id, peer, CALLING>CALLED. */
void
worker_set_tag(struct worker *w)
{
	char	 tag[LOG_TAG_MAX];
	char	 calling[PDU_AE_LEN * 4 + 1], called[PDU_AE_LEN * 4 + 1];

	if (w->neg.called[0] == '\0' && w->neg.calling[0] == '\0') {
		snprintf(tag, sizeof(tag), "assoc %s %s", w->id,
		    w->peer.addr);
	} else {
		log_vis(calling, sizeof(calling), w->neg.calling,
		    strlen(w->neg.calling));
		log_vis(called, sizeof(called), w->neg.called,
		    strlen(w->neg.called));
		snprintf(tag, sizeof(tag), "assoc %s %s %s>%s", w->id,
		    w->peer.addr, calling, called);
	}
	log_settag(tag);
	proctitle_assoc(tag);
}

/* Spell out how the association ended, with its PS3.8 codes. */
void
worker_outcome(const struct worker *w, char *buf, size_t len)
{
	const struct fsm_rj	*rj = &w->rj_sent;

	if (strcmp(w->outcome, "rejected") == 0)
		snprintf(buf, len, "rejected(%u,%u,%u:%s/%s/%s)", rj->result,
		    rj->source, rj->reason, pdu_rj_result_name(rj->result),
		    pdu_rj_source_name(rj->source),
		    pdu_rj_reason_name(rj->source, rj->reason));
	else if (strcmp(w->outcome, "aborted") == 0 ||
	    strcmp(w->outcome, "aborted-by-peer") == 0)
		snprintf(buf, len, "%s(%u,%u:%s/%s)", w->outcome,
		    w->abort_src, w->abort_rsn,
		    pdu_abort_source_name(w->abort_src),
		    w->abort_src == PDU_ABORT_SOURCE_PROVIDER ?
		    pdu_abort_reason_name(w->abort_rsn) : "-");
	else
		strlcpy(buf, w->outcome, len);
}
