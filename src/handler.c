/*
 * handler.c: the handler executable as the DUL service user.  Frames to
 * it are queued and written as the pipe takes them; frames from it are
 * read incrementally inside the worker's poll loop and become the
 * primitives Evt7, 8, 9, 11, 14 and 15.  Every handler failure follows
 * design 8.8: before the A-ASSOCIATE-AC an RJ (2,3,1), afterwards an
 * A-ABORT (2,0).
 */

#include "compat.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fault.h"
#include "fsm.h"
#include "handler.h"
#include "handler_int.h"
#include "hipc.h"
#include "io.h"
#include "link.h"
#include "log.h"
#include "pdu.h"
#include "worker.h"

static int	h_start(void *, struct worker *);
static void	h_pdata_ind(void *, struct worker *, const uint8_t *, size_t);
static void	h_pdata_pipe(void *, struct worker *);
static size_t	h_splice_some(struct handler *, struct link *);
static int	h_write_again(struct handler *, ssize_t, int);
static void	h_progress(struct handler *, int);
static void	h_release_ind(void *, struct worker *);
static void	h_release_cnf(void *, struct worker *, int);
static void	h_abort_ind(void *, struct worker *, uint8_t, uint8_t);
static void	h_p_abort_ind(void *, struct worker *, uint8_t,
		    enum worker_cause);
static int	h_pollfds(void *, struct pollfd *, int);
static short	h_revents(const struct pollfd *, int, int);
static void	h_handle(void *, struct worker *, struct pollfd *, int);
static uint64_t	h_deadline(void *, struct worker *);
static int	h_busy(void *);
static int	h_end(void *, struct worker *);
static int	h_queue_raw(struct handler *, enum hipc_type, const uint8_t *,
		    size_t);
static int	h_queue_frame(struct handler *, enum hipc_type, uint8_t *,
		    size_t, int);
static int	h_queue_bytes(struct handler *, const uint8_t *, size_t);
static size_t	h_write_some(struct handler *, const uint8_t *, size_t, int);
static size_t	h_write_now(struct handler *, const uint8_t *, uint8_t *,
		    size_t, int);
static void	h_flush(struct handler *, struct worker *);
static void	h_read(struct handler *, struct worker *);
static void	h_frame(struct handler *, struct worker *);
static void	h_hello_reply(struct handler *, struct worker *,
		    const struct hipc_hello_reply *);
static void	h_check_deadlines(struct handler *, struct worker *);
static void	h_terminal(struct handler *, const struct hipc_msg *);
static void	h_timed_out(void *, struct worker *);
static void	h_drain(void *, struct worker *, uint32_t);
static void	h_notice(struct handler *, struct worker *);

const struct su_ops handler_su_ops = {
	.name = "handler",
	.start = h_start,
	.assoc_ind = handler_assoc_ind,
	.pdata_ind = h_pdata_ind,
	.pdata_pipe = h_pdata_pipe,
	.release_ind = h_release_ind,
	.release_cnf = h_release_cnf,
	.abort_ind = h_abort_ind,
	.p_abort_ind = h_p_abort_ind,
	.pollfds = h_pollfds,
	.handle = h_handle,
	.deadline = h_deadline,
	.busy = h_busy,
	.end = h_end,
	.timed_out = h_timed_out,
	.drain = h_drain,
};

/* Prepare a handler service user for one association. */
void
handler_init(struct handler *h, const struct dul_conf *conf)
{
	memset(h, 0, sizeof(*h));
	h->conf = conf;
	h->pid = -1;
	h->pidfd = -1;
	h->to_h = h->from_h = -1;
	h->out[0].fd = h->out[1].fd = -1;
	h->pfd_to = h->pfd_from = h->pfd_out[0] = h->pfd_out[1] = -1;
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

/* The ERROR code (doc/handler-protocol.md 6.8) for a codec result. */
uint16_t
handler_ecode(int r)
{
	switch (r) {
	case HIPC_ERR_MAGIC:
	case HIPC_ERR_FRAME_VERSION:
		return (HIPC_ECODE_MAGIC);
	case HIPC_ERR_TOO_LARGE:
		return (HIPC_ECODE_TOO_LARGE);
	case HIPC_ERR_DIRECTION:
	case HIPC_ERR_STATE:
		return (HIPC_ECODE_UNEXPECTED);
	case HIPC_ERR_VALUE:
	case HIPC_ERR_NOT_ALLOWED:
	case HIPC_ERR_UNKNOWN_PC:
	case HIPC_ERR_UNPROPOSED:
		return (HIPC_ECODE_VALUE);
	default:
		return (HIPC_ECODE_MALFORMED);
	}
}

/* Tell the handler, best effort, why the worker gives up on it. */
void
handler_error(struct handler *h, uint16_t code, const char *text)
{
	struct hipc_msg	 m;
	size_t		 len = strlen(text);

	if (code == 0 || h->closing || h->to_h == -1)
		return;
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ERROR;
	m.u.error.code = code;
	m.u.error.text.p = (const uint8_t *)text;
	m.u.error.text.len = len < HIPC_TEXT_MAX ? len : HIPC_TEXT_MAX;
	(void)handler_queue(h, &m);
}

/*
 * The handler failed: log once, tell it with ERROR (code 0: it is gone)
 * and act on the wire as design 8.8 says.
 */
void
handler_failed(struct handler *h, struct worker *w, uint16_t code,
    const char *fmt, ...)
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
	log_errorx("handler failed: %s", msg);
	worker_fail(w, "handler failed: %s", msg);
	/* The worker's own failures (memory) are internal, not the handler's. */
	w->exit_code = code == HIPC_ECODE_INTERNAL ? WORKER_EXIT_INTERNAL :
	    WORKER_EXIT_PROTOCOL;
	handler_error(h, code, msg);
	h->closing = 1;
	memset(&ev, 0, sizeof(ev));
	switch (w->fsm.state) {
	case STA2_TRANSPORT_OPEN:
		/*
		 * Still in AE-6, which moves to Sta3 once the indication is
		 * out: failing to send it must reject, not leave the peer
		 * waiting in Sta3 with no timer.
		 */
		if (!w->su_started)
			return;
		/* FALLTHROUGH */
	case STA3_AWAIT_LOCAL_RSP:
		ev.ev = EVT8_ASSOC_REJECT;
		ev.rj.result = PDU_RJ_TRANSIENT;
		ev.rj.source = PDU_RJ_SOURCE_PROVIDER_PRES;
		ev.rj.reason = PDU_RJ_PRES_TEMPORARY_CONGESTION;
		break;
	case STA1_IDLE:
	case STA13_AWAIT_CLOSE:
		return;
	default:
		/*
		 * After the AC, (2, 0) blames the handler; the worker's own
		 * failure (memory) is a local abort, (0, 0), as for its timers.
		 */
		ev.ev = EVT15_ABORT_REQ;
		ev.abort_source = code == HIPC_ECODE_INTERNAL ?
		    PDU_ABORT_SOURCE_USER : PDU_ABORT_SOURCE_PROVIDER;
		ev.abort_reason = PDU_ABORT_NOT_SPECIFIED;
		break;
	}
	worker_push(w, &ev);
}

/*
 * Write len bytes to fd 3 now; returns how many went.  When the pipe is
 * full, or takes only part of the frame, and the frame is P-DATA (bulk
 * data is flowing), fd 3 is enlarged once, to HANDLER_PIPE_MAX or what
 * the system allows, and the rest tried again.  A write error is kept
 * for h_flush() to report.
 */
static size_t
h_write_some(struct handler *h, const uint8_t *p, size_t len, int pdata)
{
	ssize_t	 n;
	size_t	 done = 0;
	int	 tries;

	for (tries = 0; tries < 4 && done < len; tries++) {
		n = fault_write(h->to_h, p + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			h->to_h_bytes += (uint64_t)n;
		}
		if (done == len)
			break;
		if (!h_write_again(h, n, pdata))
			break;
	}
	return (done);
}

/*
 * After a write or splice to fd 3 that returned n and left some behind:
 * whether to try again.  An interrupted call is tried again; an error is
 * kept for h_flush(); a full pipe is enlarged once if grow allows.
 */
static int
h_write_again(struct handler *h, ssize_t n, int grow)
{
	if (n == -1 && errno == EINTR)
		return (1);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		h->write_errno = errno;
		return (0);
	}
	if (h->pipe_grown || !grow)
		return (0);
	h->pipe_grown = 1;
	return (fcntl(h->to_h, F_SETPIPE_SZ, HANDLER_PIPE_MAX) != -1);
}

/*
 * The stall clock of the bytes queued for the handler: it starts when the
 * queue does, and starts again whenever the handler has read something,
 * which is all we ever wrote to fd 3 less what the pipe still holds.  A
 * write that succeeds proves nothing: a few bytes still fit in the last
 * page of a full pipe, however long the handler has not read.
 */
static void
h_progress(struct handler *h, int start)
{
	uint64_t	 taken;
	int		 unread;

	if (ioctl(h->to_h, FIONREAD, &unread) == -1 || unread < 0 ||
	    (uint64_t)unread > h->to_h_bytes) {
		if (start)
			h->stall_since = io_now();
		return;
	}
	taken = h->to_h_bytes - (uint64_t)unread;
	if (start || taken != h->stall_taken)
		h->stall_since = io_now();
	h->stall_taken = taken;
}

/*
 * With nothing queued, write a frame to fd 3 at once, in one write: the
 * usual case, since the handler keeps up.  A body with room for the
 * header in front of it (a P-DATA body in the link's buffer) gets the
 * header there and goes as it lies, not copied; a small one is copied
 * behind the header.  Returns how many bytes of header and body went.
 */
static size_t
h_write_now(struct handler *h, const uint8_t *hdr, uint8_t *body,
    size_t len, int room)
{
	uint8_t	 small[HIPC_HDR_LEN + HANDLER_SMALL_FRAME];
	size_t	 n;
	int	 pdata = hdr[3] == HIPC_PDATA_IND;

	if (h->to_h == -1 || h->oq_len > h->oq_off || h->write_errno != 0)
		return (0);
	if (room) {
		memcpy(body - HIPC_HDR_LEN, hdr, HIPC_HDR_LEN);
		return (h_write_some(h, body - HIPC_HDR_LEN,
		    HIPC_HDR_LEN + len, pdata));
	}
	if (len <= HANDLER_SMALL_FRAME) {
		memcpy(small, hdr, HIPC_HDR_LEN);
		if (len > 0)
			memcpy(small + HIPC_HDR_LEN, body, len);
		return (h_write_some(h, small, HIPC_HDR_LEN + len, pdata));
	}
	if ((n = h_write_some(h, hdr, HIPC_HDR_LEN, pdata)) < HIPC_HDR_LEN)
		return (n);
	return (n + h_write_some(h, body, len, pdata));
}

/* Append bytes to the queue for fd 3, growing it by doubling. */
static int
h_queue_bytes(struct handler *h, const uint8_t *p, size_t need)
{
	size_t	 cap;
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
			cap = h->oq_cap < 32768 ? 65536 : 2 * h->oq_cap;
			if (cap < h->oq_len + need)
				cap = h->oq_len + need;
			if ((nq = fault_realloc(h->oq, cap)) == NULL)
				return (-1);
			h->oq = nq;
			h->oq_cap = cap;
		}
	}
	if (h->oq_len == h->oq_off)
		h_progress(h, 1);
	memcpy(h->oq + h->oq_len, p, need);
	h->oq_len += need;
	return (0);
}

/* Send a frame, header plus body (see h_queue_frame()). */
static int
h_queue_raw(struct handler *h, enum hipc_type type, const uint8_t *body,
    size_t len)
{
	return (h_queue_frame(h, type, (uint8_t *)(uintptr_t)body, len, 0));
}

/*
 * Send a frame: straight to fd 3 when nothing waits, and whatever of it
 * the pipe does not take into the queue, which grows by doubling (a peer
 * may send a great many small PDUs); h_busy() bounds it.  With room, the
 * HIPC_HDR_LEN bytes before body are the caller's scratch space.
 */
static int
h_queue_frame(struct handler *h, enum hipc_type type, uint8_t *body,
    size_t len, int room)
{
	uint8_t	 hdr[HIPC_HDR_LEN];
	size_t	 done;

	hipc_hdr_put(hdr, type, (uint32_t)len);
	done = h_write_now(h, hdr, body, len, room);
	if (done < sizeof(hdr)) {
		if (h_queue_bytes(h, hdr + done, sizeof(hdr) - done) == -1)
			return (-1);
		done = sizeof(hdr);
	}
	done -= sizeof(hdr);
	if (done < len)
		return (h_queue_bytes(h, body + done, len - done));
	return (0);
}

/* Encode a message into the queue. */
int
handler_queue(struct handler *h, const struct hipc_msg *m)
{
	uint8_t	*buf;
	size_t	 len;
	int	 r;

	if ((r = hipc_encode(m, NULL, 0, &len)) != HIPC_ERR_SPACE &&
	    r != HIPC_OK) {
		log_errorx("internal: cannot encode %s: %s",
		    hipc_type_name(m->type), hipc_strerror(r));
		return (-1);
	}
	if ((buf = fault_malloc(len)) == NULL)
		return (-1);
	if ((r = hipc_encode(m, buf, len, &len)) != HIPC_OK) {
		log_errorx("internal: cannot encode %s: %s",
		    hipc_type_name(m->type), hipc_strerror(r));
		free(buf);
		return (-1);
	}
	/* The encoded header is the room in front of the body. */
	r = h_queue_frame(h, m->type, buf + HIPC_HDR_LEN, len - HIPC_HDR_LEN,
	    1);
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
	h->max_w2h = w->neg.our_max + HIPC_PDV_HDR_LEN;
	if (h->max_w2h < 2 * w->par->max_rq_pdu + 65536)
		h->max_w2h = 2 * w->par->max_rq_pdu + 65536;
	if (h->max_w2h > HIPC_LIMIT_MAX)
		h->max_w2h = HIPC_LIMIT_MAX;
	h->max_h2w = h->conf->network.max_handler_message;
	if (h->max_h2w < HIPC_LIMIT_MIN)
		h->max_h2w = HIPC_LIMIT_MIN;
	/* A few of the largest P-DATA frames the peer may send. */
	h->oq_max = 4 * ((size_t)(w->neg.our_max != 0 ? w->neg.our_max :
	    w->par->max_pdu_receive) + HIPC_HDR_LEN);
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
	h->features = m.u.hello.features;
	h->hello_deadline = io_now() + h->ae->timeouts.handler;
	return (handler_queue(h, &m));
}

/* DT-2, AR-6: one P-DATA-TF's PDVs, passed through untouched. */
static void
h_pdata_ind(void *ctx, struct worker *w, const uint8_t *p, size_t len)
{
	struct handler	*h = ctx;

	if (h->failed || h->closing)
		return;
	/* The link leaves room for our header before the PDU's body. */
	if (h_queue_frame(h, HIPC_PDATA_IND, (uint8_t *)(uintptr_t)p, len,
	    p == w->link.body && HIPC_HDR_LEN <= LINK_HEADROOM) == -1)
		handler_failed(h, w, HIPC_ECODE_INTERNAL,
		    "cannot queue P-DATA: %s", strerror(errno));
}

/*
 * Move a spliced body from the link's pipe to fd 3, enlarging fd 3 once
 * as h_write_some() does.  Returns how many bytes went.
 */
static size_t
h_splice_some(struct handler *h, struct link *l)
{
	ssize_t	 n;
	size_t	 done = 0;
	int	 tries;

	for (tries = 0; tries < 4 && l->pipe_len > 0; tries++) {
		n = link_pipe_splice(l, h->to_h);
		if (n > 0) {
			done += (size_t)n;
			h->to_h_bytes += (uint64_t)n;
		}
		if (l->pipe_len == 0)
			break;
		if (!h_write_again(h, n, 1))
			break;
	}
	return (done);
}

/*
 * DT-2, AR-6 for a body the link spliced into its pipe: the same frame as
 * h_pdata_ind(), its header written and its body moved from pipe to pipe;
 * what fd 3 does not take is read into the queue.
 */
static void
h_pdata_pipe(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;
	struct link	*l = &w->link;
	const uint8_t	*p;
	uint8_t		 hdr[HIPC_HDR_LEN];
	size_t		 done = 0;
	ssize_t		 n;

	if (h->failed || h->closing)
		return;
	hipc_hdr_put(hdr, HIPC_PDATA_IND, (uint32_t)l->pipe_len);
	if (h->to_h != -1 && h->oq_len == h->oq_off && h->write_errno == 0)
		done = h_write_some(h, hdr, sizeof(hdr), 1);
	if (done == sizeof(hdr))
		(void)h_splice_some(h, l);
	else if (h_queue_bytes(h, hdr + done, sizeof(hdr) - done) == -1)
		goto fail;
	if (l->pipe_len > 0 && ((n = link_pipe_copy(l, &p)) == -1 ||
	    h_queue_bytes(h, p, (size_t)n) == -1))
		goto fail;
	return;
fail:
	handler_failed(h, w, HIPC_ECODE_INTERNAL, "cannot queue P-DATA: %s",
	    strerror(errno));
}

/* Queue a message without a body. */
static void
h_simple(struct handler *h, struct worker *w, enum hipc_type type)
{
	if (!h->failed && !h->closing && h_queue_raw(h, type, NULL, 0) == -1)
		handler_failed(h, w, HIPC_ECODE_INTERNAL, "cannot queue %s",
		    hipc_type_name(type));
}

/* AR-2: the peer asks to release. */
static void
h_release_ind(void *ctx, struct worker *w)
{
	h_simple(ctx, w, HIPC_RELEASE_IND);
}

/* AR-3, AR-10, and the crossing of RELEASE_REQ: release confirmed. */
static void
h_release_cnf(void *ctx, struct worker *w, int collision)
{
	struct handler	*h = ctx;
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_CNF;
	m.u.release_cnf.collision = collision ? 1 : 0;
	if (!h->failed && !h->closing && handler_queue(h, &m) == -1)
		handler_failed(h, w, HIPC_ECODE_INTERNAL,
		    "cannot queue RELEASE_CNF");
	h_terminal(h, &m);
}

/* AA-3: the peer aborted. */
static void
h_abort_ind(void *ctx, struct worker *w, uint8_t source, uint8_t reason)
{
	struct handler	*h = ctx;
	struct hipc_msg	 m;

	(void)w;
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ABORT_IND;
	m.u.abort_ind.source = source;
	m.u.abort_ind.reason = reason;
	if (!h->failed && !h->closing)
		handler_queue(h, &m);
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
	if (!h->failed && !h->closing)
		handler_queue(h, &m);
	h_terminal(h, &m);
}

/*
 * The session is over (doc/handler-protocol.md 2.5): the handler gets EOF
 * once the queue is written, and what it still sends is ignored.
 */
static void
h_terminal(struct handler *h, const struct hipc_msg *m)
{
	(void)m;
	h->closing = 1;
}

/*
 * The handler did not answer ASSOC_IND or RELEASE_IND in time: ERROR
 * code 7 tells it so (design 8.8), and the session ends with it.  The
 * worker then rejects or aborts.
 */
static void
h_timed_out(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;
	char		 msg[64];

	snprintf(msg, sizeof(msg), "no answer within %llu ms",
	    (unsigned long long)w->to.su);
	handler_error(h, HIPC_ECODE_TIMEOUT, msg);
	h->failed = 1;
	h->closing = 1;
}

/* The server drains: announce it to a handler that asked for it. */
static void
h_drain(void *ctx, struct worker *w, uint32_t seconds)
{
	struct handler	*h = ctx;

	(void)seconds;
	h->notice_due = 1;
	h_notice(h, w);
}

/*
 * Send SHUTDOWN_NOTICE once, if it is due and the handler wanted
 * HIPC_F_SHUTDOWN_NOTICE in its HELLO_REPLY (which may come after the AC
 * when the policy decided).
 */
static void
h_notice(struct handler *h, struct worker *w)
{
	struct hipc_msg	 m;
	uint64_t	 now = io_now();

	if (!h->notice_due || !h->hello_ok || h->notice_sent || h->failed ||
	    h->closing || !(h->features & HIPC_F_SHUTDOWN_NOTICE))
		return;
	h->notice_sent = 1;
	memset(&m, 0, sizeof(m));
	m.type = HIPC_SHUTDOWN_NOTICE;
	m.u.shutdown_notice.seconds = now >= w->drain_end ? 0 :
	    (uint32_t)((w->drain_end - now + 999) / 1000);
	if (handler_queue(h, &m) == -1)
		handler_failed(h, w, HIPC_ECODE_INTERNAL,
		    "cannot queue SHUTDOWN_NOTICE");
}

/*
 * Descriptors to watch: fd 3 while frames wait, fd 4, its output.  Each
 * one's slot is kept, so that h_handle() touches only those that are
 * ready.
 */
static int
h_pollfds(void *ctx, struct pollfd *pfd, int max)
{
	struct handler	*h = ctx;
	int		 n = 0, i;

	h->pfd_to = h->pfd_from = h->pfd_out[0] = h->pfd_out[1] = -1;
	if (h->to_h != -1 && h->oq_len > h->oq_off && n < max) {
		pfd[n].fd = h->to_h;
		pfd[n].events = POLLOUT;
		pfd[n].revents = 0;
		h->pfd_to = n++;
	}
	if (h->from_h != -1 && n < max) {
		pfd[n].fd = h->from_h;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		h->pfd_from = n++;
	}
	for (i = 0; i < 2 && n < max; i++) {
		if (h->out[i].fd == -1)
			continue;
		pfd[n].fd = h->out[i].fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		h->pfd_out[i] = n++;
	}
	return (n);
}

/* The events poll() saw on one of our slots. */
static short
h_revents(const struct pollfd *pfd, int n, int slot)
{
	if (pfd == NULL || slot < 0 || slot >= n)
		return (0);
	return (pfd[slot].revents);
}

/* Write what the pipe to the handler takes. */
static void
h_flush(struct handler *h, struct worker *w)
{
	ssize_t	 n;

	while (h->to_h != -1 && h->oq_len > h->oq_off) {
		if (h->write_errno != 0) {
			/* A write straight from h_queue_raw() failed. */
			errno = h->write_errno;
			h->write_errno = 0;
			n = -1;
		} else
			n = fault_write(h->to_h, h->oq + h->oq_off,
			    h->oq_len - h->oq_off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				h_progress(h, 0);
				break;
			}
			handler_failed(h, w, 0, "write to handler: %s",
			    strerror(errno));
			h->oq_off = h->oq_len = 0;
			close(h->to_h);
			h->to_h = -1;
			return;
		}
		h->oq_off += (size_t)n;
		h->to_h_bytes += (uint64_t)n;
	}
	if (h->oq_len == h->oq_off) {
		h->oq_off = h->oq_len = 0;
		if (h->closing && h->to_h != -1) {
			close(h->to_h);
			h->to_h = -1;
		}
	}
}

/*
 * The handler's own deadlines (design 8.8): HELLO_REPLY in time, and
 * progress on the frames queued for it.  The answers to ASSOC_IND and
 * RELEASE_IND are the worker's service-user deadline.
 */
static void
h_check_deadlines(struct handler *h, struct worker *w)
{
	uint64_t	 now = io_now();

	if (h->failed || h->closing)
		return;
	if (h->oq_len > h->oq_off &&
	    now >= h->stall_since + h->ae->timeouts.handler)
		h_progress(h, 0);	/* the last look: has it read? */
	if (!h->hello_ok && h->hello_deadline != 0 &&
	    now >= h->hello_deadline)
		handler_failed(h, w, HIPC_ECODE_TIMEOUT,
		    "no HELLO_REPLY within %u ms",
		    (unsigned int)h->ae->timeouts.handler);
	else if (h->oq_len > h->oq_off &&
	    now >= h->stall_since + h->ae->timeouts.handler)
		handler_failed(h, w, HIPC_ECODE_TIMEOUT,
		    "handler read nothing of %zu queued bytes for %u ms",
		    h->oq_len - h->oq_off,
		    (unsigned int)h->ae->timeouts.handler);
}

/*
 * Service the handler's descriptors that poll() found ready: no read or
 * write is tried that would only say EAGAIN.  The queue for fd 3 is
 * written whenever it holds something (it is also the moment a closing
 * session's fd 3 is closed once empty).
 */
static void
h_handle(void *ctx, struct worker *w, struct pollfd *pfd, int n)
{
	struct handler	*h = ctx;

	h_flush(h, w);
	if (h_revents(pfd, n, h->pfd_out[0]) != 0 ||
	    h_revents(pfd, n, h->pfd_out[1]) != 0)
		handler_drain_output(h);
	if (h_revents(pfd, n, h->pfd_from) != 0)
		h_read(h, w);
	h_check_deadlines(h, w);
}

/* Deadline: HELLO_REPLY, and progress of the frames to the handler. */
static uint64_t
h_deadline(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;
	uint64_t	 d = 0;

	(void)w;
	if (h->failed || h->closing)
		return (0);
	if (h->oq_len > h->oq_off)
		d = h->stall_since + h->ae->timeouts.handler;
	if (!h->hello_ok)
		d = io_min_deadline(d, h->hello_deadline);
	return (d);
}

/*
 * Flow control: hold the peer while a few PDUs wait for the handler
 * beyond what its pipe holds (doc/handler-protocol.md 8).
 */
static int
h_busy(void *ctx)
{
	struct handler	*h = ctx;

	return (h->oq_len - h->oq_off > h->oq_max);
}

/*
 * The association is over: EOF on fd 3, then reap, reading fd 4 and the
 * output pipes until the handler has gone.
 */
static int
h_end(void *ctx, struct worker *w)
{
	struct handler	*h = ctx;
	int		 st;

	h_flush(h, w);
	st = handler_stop(h);
	handler_ind_free(h);
	free(h->oq);
	free(h->ibody);
	free(h->arena);
	free(h->ac_mem);
	h->oq = h->ibody = h->ac_mem = NULL;
	h->arena = NULL;
	return (st);
}

/*
 * Read frames from fd 4: the header is checked against the limit we
 * announced before the body is sized or read.  Reading stops after a
 * frame that became a primitive, so that the worker steps it (and a
 * P-DATA request's body, lent to it, stays put) before the next frame is
 * checked against the state it leads to.
 */
static void
h_read(struct handler *h, struct worker *w)
{
	uint8_t	*nb;
	ssize_t	 n;
	size_t	 want;
	int	 r, frames;

	/* A failed handler is heard no more, but never left blocked. */
	if (h->failed) {
		handler_discard(h);
		return;
	}
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
					handler_failed(h, w, 0, "handler "
					    "closed its output (exited?)");
				return;
			}
			h->ihdr_got += (size_t)n;
			if (h->ihdr_got < HIPC_HDR_LEN)
				return;
			r = hipc_hdr_check(h->ihdr, HIPC_H2W, h->max_h2w,
			    &h->ih);
			if (r < 0) {
				handler_failed(h, w, handler_ecode(r),
				    "bad frame header (type 0x%02x, "
				    "length %u): %s",
				    h->ihdr[3],
				    (unsigned int)get_u32(h->ihdr + 4),
				    hipc_strerror(r));
				return;
			}
			h->iskip = r == HIPC_SKIP;
			if (h->ih.len > h->ibody_cap) {
				if ((nb = fault_realloc(h->ibody, h->ih.len)) ==
				    NULL) {
					handler_failed(h, w,
					    HIPC_ECODE_INTERNAL,
					    "out of memory");
					return;
				}
				h->ibody = nb;
				h->ibody_cap = h->ih.len;
			}
			h->ibody_got = 0;
		}
		while (size_sub(h->ih.len, h->ibody_got, &want) == BUF_OK &&
		    want > 0) {
			n = read(h->from_h, h->ibody + h->ibody_got, want);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				handler_failed(h, w, 0,
				    "handler closed inside a frame");
				return;
			}
			h->ibody_got += (size_t)n;
		}
		h->ihdr_got = 0;
		if (h->iskip)
			continue;
		h_frame(h, w);
		if (w->evq_len > 0)
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
	if (h->closing) {
		/* Doc 7.1: after the session's end, what comes is moot. */
		log_debug("%s after the end of the session: ignored",
		    hipc_type_name(h->ih.type));
		return;
	}
	if (h->ih.type != HIPC_HELLO_REPLY && h->ih.type != HIPC_ERROR &&
	    h->ih.type != HIPC_LOG && !h->hello_ok) {
		handler_failed(h, w, HIPC_ECODE_UNEXPECTED,
		    "%s before HELLO_REPLY", hipc_type_name(h->ih.type));
		return;
	}
	if (h->ih.type != HIPC_HELLO_REPLY && h->ih.type != HIPC_ERROR &&
	    h->ih.type != HIPC_LOG &&
	    hipc_state_ok(h->ih.type, w->fsm.state) != HIPC_OK) {
		handler_failed(h, w, HIPC_ECODE_UNEXPECTED,
		    "%s not allowed in %s", hipc_type_name(h->ih.type),
		    fsm_state_name(w->fsm.state));
		return;
	}
	need = hipc_arena_bound(h->ih.len);
	if (need > h->arena_cap) {
		if ((na = fault_realloc(h->arena, need)) == NULL) {
			handler_failed(h, w, HIPC_ECODE_INTERNAL,
			    "out of memory");
			return;
		}
		h->arena = na;
		h->arena_cap = need;
	}
	if ((r = hipc_decode(h->ih.type, h->ibody, h->ih.len, &m, h->arena,
	    h->arena_cap, &used)) < 0) {
		handler_failed(h, w, handler_ecode(r), "malformed %s: %s",
		    hipc_type_name(h->ih.type), hipc_strerror(r));
		return;
	}
	memset(&ev, 0, sizeof(ev));
	switch (h->ih.type) {
	case HIPC_HELLO_REPLY:
		h_hello_reply(h, w, &m.u.hello_reply);
		return;
	case HIPC_ASSOC_RSP:
		if (!h->want_rsp) {
			handler_failed(h, w, HIPC_ECODE_UNEXPECTED,
			    "ASSOC_RSP not expected");
			return;
		}
		h->want_rsp = 0;
		handler_assoc_rsp(h, w, &m.u.assoc_rsp);
		handler_ind_free(h);
		return;
	case HIPC_PDATA_REQ:
		ev.ev = EVT9_PDATA_REQ;
		ev.pdvs = m.u.pdata.pdvs;
		ev.len = m.u.pdata.len;
		if (!handler_pdvs_ok(w, &m.u.pdata)) {
			handler_failed(h, w, HIPC_ECODE_VALUE,
			    "P-DATA request on a context not accepted");
			return;
		}
		break;
	case HIPC_RELEASE_RSP:
		ev.ev = EVT14_RELEASE_RSP;
		h->closing = 1;
		break;
	case HIPC_RELEASE_REQ:
		if (w->fsm.state == STA8_AWAIT_LOCAL_RELEASE) {
			/*
			 * Doc 6.6: it crossed our RELEASE_IND.  Both sides
			 * want the release: it is the response (AR-4), and
			 * the handler's request is confirmed as a collision.
			 */
			ev.ev = EVT14_RELEASE_RSP;
			worker_push(w, &ev);
			h_release_cnf(h, w, 1);
			return;
		}
		ev.ev = EVT11_RELEASE_REQ;
		break;
	case HIPC_ABORT_REQ:
		ev.ev = EVT15_ABORT_REQ;
		h->closing = 1;
		break;
	case HIPC_ERROR:
		handler_failed(h, w, 0, "handler reported error %u: %.*s",
		    m.u.error.code, (int)(m.u.error.text.len > 200 ? 200 :
		    m.u.error.text.len), m.u.error.text.p != NULL ?
		    (const char *)m.u.error.text.p : "");
		return;
	case HIPC_LOG:
		handler_log_text(h, m.u.log.level, m.u.log.text.p,
		    m.u.log.text.len);
		return;
	default:
		handler_failed(h, w, HIPC_ECODE_UNEXPECTED, "%s is not for the "
		    "worker", hipc_type_name(h->ih.type));
		return;
	}
	worker_push(w, &ev);
}

/*
 * HELLO_REPLY: a version we offered, once.  A handler that accepts less
 * than we announced gets no larger PDATA_IND: before the AC the maximum
 * length we announce shrinks to fit; afterwards it is too late (doc 4.4).
 */
static void
h_hello_reply(struct handler *h, struct worker *w,
    const struct hipc_hello_reply *hr)
{
	uint32_t	 lim = hr->max_w2h;

	if (h->hello_ok || hr->version < HIPC_VERSION_MIN ||
	    hr->version > HIPC_VERSION) {
		handler_failed(h, w, HIPC_ECODE_VERSION,
		    "HELLO_REPLY chose version %u", hr->version);
		return;
	}
	h->hello_ok = 1;
	h->features &= hr->features;
	h_notice(h, w);
	if (lim == 0 || lim >= h->max_w2h)
		return;
	if (h->ind_len > lim) {
		handler_failed(h, w, HIPC_ECODE_TOO_LARGE, "handler accepts %u "
		    "bytes, the A-ASSOCIATE indication had %zu",
		    (unsigned int)lim, h->ind_len);
		return;
	}
	if (w->neg.our_max == 0 || w->neg.our_max > lim) {
		if (w->fsm.state != STA3_AWAIT_LOCAL_RSP) {
			handler_failed(h, w, HIPC_ECODE_TOO_LARGE,
			    "handler accepts %u bytes, the A-ASSOCIATE-AC "
			    "announced %u", (unsigned int)lim,
			    (unsigned int)w->neg.our_max);
			return;
		}
		w->neg.our_max = lim;
		h->ind.our_max_pdu = lim;
	}
	h->max_w2h = lim;
}
