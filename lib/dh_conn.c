/*
 * dh_conn.c: the handler's side of a session: the HELLO exchange, framed
 * blocking I/O on the two pipes, the event loop and the messages a
 * handler sends once associated.  Frames are checked and decoded by the
 * worker's own codec (hipc.c): the header against the limit announced in
 * HELLO before anything is allocated, the body in full before it is used.
 */

#include "compat.h"

#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "hipc.h"
#include "dulhandler.h"
#include "dh_int.h"
#include "fault.h"

#define DH_FD_IN_DEFAULT	3
#define DH_FD_OUT_DEFAULT	4
#define DH_LOG_LINE		1024
#define DH_IN_START		65536	/* first size of the input buffer */

static int	 in_fill(struct dh_conn *, size_t);
static int	 write_iov(int, struct iovec *, int);
static int	 grow(void **, size_t *, size_t, size_t);
static int	 env_fd(const char *, int, int *);
static void	 view_str(char *, size_t, const struct hipc_view *);
static int	 conn_hello(struct dh_conn *, uint32_t);
static int	 conn_pdata(struct dh_conn *, const struct hipc_pdata *,
		    struct dh_event *);
static int	 conn_simple(struct dh_conn *, enum hipc_type);

static const char *const dh_errstr[] = {
	[0] = "success",
	[-DH_ERR_SYS] = "system error",
	[-DH_ERR_NOMEM] = "out of memory",
	[-DH_ERR_EOF] = "the worker closed the connection",
	[-DH_ERR_PROTOCOL] = "handler protocol error",
	[-DH_ERR_VERSION] = "no common handler protocol version",
	[-DH_ERR_STATE] = "not allowed in this state",
	[-DH_ERR_INVAL] = "invalid argument",
	[-DH_ERR_TOO_LARGE] = "over a size limit",
	[-DH_ERR_MALFORMED] = "malformed command set",
	[-DH_ERR_ABSENT] = "element absent",
	[-DH_ERR_SEQUENCE] = "fragments out of sequence",
	[-DH_ERR_EXISTS] = "file exists",
	[-DH_ERR_NAME] = "unsafe file name",
};

/* Return the text for a library result. */
const char *
dh_strerror(int rc)
{
	if (rc > 0)
		return (dh_errstr[0]);
	if (rc == DH_ERR_SYS)
		return (strerror(errno));
	if ((size_t)-rc >= nitems(dh_errstr) || dh_errstr[-rc] == NULL)
		return ("unknown error");
	return (dh_errstr[-rc]);
}

/*
 * Have at least n unread bytes in the input buffer, reading whatever the
 * pipe holds, up to the buffer's room, at each read: one read(2) brings
 * in as many frames as the worker has written.  Returns 0, 1 for end of
 * file before any unread byte, 2 for end of file after some, -1 for an
 * error (errno set).
 */
static int
in_fill(struct dh_conn *c, size_t n)
{
	size_t	 have = c->ilen - c->ioff, cap;
	uint8_t	*nb;
	ssize_t	 r;

	if (have >= n)
		return (0);
	if (c->icap - c->ioff < n) {
		/* Move what is left to the front; grow for a larger frame. */
		if (have > 0 && c->ioff > 0)
			memmove(c->ibuf, c->ibuf + c->ioff, have);
		c->ioff = 0;
		c->ilen = have;
		if (c->icap < n) {
			cap = n > DH_IN_START ? n : DH_IN_START;
			if ((nb = realloc(c->ibuf, cap)) == NULL)
				return (-1);
			c->ibuf = nb;
			c->icap = cap;
		}
	}
	while (c->ilen - c->ioff < n) {
		r = read(c->in, c->ibuf + c->ilen, c->icap - c->ilen);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (r == 0)
			return (c->ilen == c->ioff ? 1 : 2);
		c->ilen += (size_t)r;
	}
	return (0);
}

/* Write every byte of an iovec array, retrying short writes. */
static int
write_iov(int fd, struct iovec *iov, int n)
{
	ssize_t	 w;
	size_t	 left;

	while (n > 0) {
		if ((w = fault_writev(fd, iov, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (DH_ERR_SYS);
		}
		left = (size_t)w;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return (DH_OK);
}

/* Make *p at least need bytes long (the contents need not survive). */
static int
grow(void **p, size_t *cap, size_t need, size_t floor)
{
	void	*n;

	if (need <= *cap)
		return (DH_OK);
	if (need < floor)
		need = floor;
	if ((n = malloc(need)) == NULL)
		return (DH_ERR_NOMEM);
	free(*p);
	*p = n;
	*cap = need;
	return (DH_OK);
}

/* Copy a text view into a NUL-terminated buffer, cutting what won't fit. */
static void
view_str(char *dst, size_t cap, const struct hipc_view *v)
{
	size_t	 n = v->len < cap - 1 ? v->len : cap - 1;

	if (v->p != NULL && n > 0)
		memcpy(dst, v->p, n);
	dst[v->p != NULL ? n : 0] = '\0';
}

/*
 * Note a protocol failure: tell the worker (best effort), close the
 * session and return DH_ERR_PROTOCOL.
 */
int
dh_conn_fail(struct dh_conn *c, int hrc)
{
	uint16_t	 code;

	switch (hrc) {
	case HIPC_ERR_MAGIC:
	case HIPC_ERR_FRAME_VERSION:
		code = HIPC_ECODE_MAGIC;
		break;
	case HIPC_ERR_TOO_LARGE:
		code = HIPC_ECODE_TOO_LARGE;
		break;
	case HIPC_ERR_DIRECTION:
	case HIPC_ERR_STATE:
		code = HIPC_ECODE_UNEXPECTED;
		break;
	case HIPC_ERR_VALUE:
		code = HIPC_ECODE_VALUE;
		break;
	default:
		code = HIPC_ECODE_MALFORMED;
		break;
	}
	if (c->state != DH_ST_CLOSED)
		(void)dh_send_error(c, code, hipc_strerror(hrc));
	c->state = DH_ST_CLOSED;
	return (DH_ERR_PROTOCOL);
}

/*
 * Receive and decode the next core frame of at most limit body bytes,
 * skipping unknown extension frames.  DH_ERR_EOF means the worker closed
 * the pipe between frames; anything else that goes wrong is an error.
 * The frame is decoded where it lies in the input buffer, so what *m
 * points to stays valid until the next call.
 */
int
dh_conn_recv(struct dh_conn *c, uint32_t limit, struct hipc_msg *m)
{
	struct hipc_hdr	 h;
	const uint8_t	*body;
	size_t		 need, chunk;
	int		 rc, hrc;

	for (;;) {
		if ((rc = in_fill(c, HIPC_HDR_LEN)) == 1)
			return (DH_ERR_EOF);
		if (rc == 2)
			return (dh_conn_fail(c, HIPC_ERR_SHORT));
		if (rc == -1)
			return (errno == ENOMEM ? DH_ERR_NOMEM : DH_ERR_SYS);
		hrc = hipc_hdr_check(c->ibuf + c->ioff, HIPC_W2H, limit, &h);
		if (hrc < 0)
			return (dh_conn_fail(c, hrc));
		c->ioff += HIPC_HDR_LEN;
		if (hrc == HIPC_SKIP) {
			/* An extension we do not know: drop its body. */
			for (need = h.len; need > 0; ) {
				if ((rc = in_fill(c, 1)) != 0)
					return (rc == -1 ? DH_ERR_SYS :
					    dh_conn_fail(c, HIPC_ERR_SHORT));
				chunk = c->ilen - c->ioff;
				if (size_sub(need, chunk, &need) != BUF_OK) {
					chunk = need;	/* the frame ends */
					need = 0;
				}
				c->ioff += chunk;
			}
			continue;
		}
		if ((rc = in_fill(c, h.len)) != 0)
			return (rc == -1 ? (errno == ENOMEM ? DH_ERR_NOMEM :
			    DH_ERR_SYS) : dh_conn_fail(c, HIPC_ERR_SHORT));
		body = c->ibuf + c->ioff;
		c->ioff += h.len;
		hrc = hipc_decode(h.type, body, h.len, m, c->arena,
		    c->arena_cap, &need);
		if (hrc == HIPC_ERR_SPACE) {
			if ((rc = grow(&c->arena, &c->arena_cap, need, 4096)) !=
			    DH_OK)
				return (rc);
			hrc = hipc_decode(h.type, body, h.len, m, c->arena,
			    c->arena_cap, &need);
		}
		if (hrc != HIPC_OK)
			return (dh_conn_fail(c, hrc));
		if (m->type == HIPC_STATS)
			continue;	/* counters we have no use for */
		return (DH_OK);
	}
}

/* Encode and send one control message. */
int
dh_conn_send(struct dh_conn *c, const struct hipc_msg *m)
{
	struct iovec	 iov;
	size_t		 len;
	int		 hrc, rc;

	hrc = hipc_encode(m, NULL, 0, &len);
	if (hrc != HIPC_ERR_SPACE && hrc != HIPC_OK)
		return (DH_ERR_INVAL);
	if ((rc = grow((void **)&c->obuf, &c->obuf_cap, len, 256)) != DH_OK)
		return (rc);
	if (hipc_encode(m, c->obuf, c->obuf_cap, &len) != HIPC_OK)
		return (DH_ERR_INVAL);
	if (len - HIPC_HDR_LEN > c->max_h2w)
		return (DH_ERR_TOO_LARGE);
	iov.iov_base = c->obuf;
	iov.iov_len = len;
	return (write_iov(c->out, &iov, 1));
}

/* Parse a descriptor number from the environment, or take the default. */
static int
env_fd(const char *var, int def, int *fd)
{
	const char	*s = getenv(var);
	long		 v = 0;

	if (s == NULL || *s == '\0') {
		*fd = def;
		return (DH_OK);
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 65535)
			return (DH_ERR_INVAL);
		v = v * 10 + (*s - '0');
	}
	*fd = (int)v;
	return (DH_OK);
}

/*
 * Start a session on DUL_FD_IN and DUL_FD_OUT (3 and 4 if unset): answer
 * the worker's HELLO.  name identifies the handler in the worker's log;
 * features are DH_F_* bits wanted.  Returns NULL with *err set on failure.
 */
struct dh_conn *
dh_open(const char *name, uint32_t features, int *err)
{
	int	 in, out;

	if ((*err = env_fd("DUL_FD_IN", DH_FD_IN_DEFAULT, &in)) != DH_OK ||
	    (*err = env_fd("DUL_FD_OUT", DH_FD_OUT_DEFAULT, &out)) != DH_OK)
		return (NULL);
	return (dh_open_fds(in, out, name, features, err));
}

/* Start a session on the given descriptors, which it then owns. */
struct dh_conn *
dh_open_fds(int in, int out, const char *name, uint32_t features, int *err)
{
	struct dh_conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*err = DH_ERR_NOMEM;
		return (NULL);
	}
	c->in = in;
	c->out = out;
	c->max_h2w = HIPC_LIMIT_MIN;
	snprintf(c->name, sizeof(c->name), "%s", name != NULL ? name : "");
	if ((*err = conn_hello(c, features)) != DH_OK) {
		dh_close(c);
		return (NULL);
	}
	return (c);
}

/* Take the HELLO, pick the highest common version, send HELLO_REPLY. */
static int
conn_hello(struct dh_conn *c, uint32_t features)
{
	struct hipc_msg		 m, r;
	const struct hipc_hello	*h;
	uint16_t		 lo, hi;
	int			 rc;

	if ((rc = dh_conn_recv(c, HIPC_CTL_MAX, &m)) != DH_OK)
		return (rc);
	if (m.type != HIPC_HELLO)
		return (dh_conn_fail(c, HIPC_ERR_STATE));
	h = &m.u.hello;
	view_str(c->assoc_id, sizeof(c->assoc_id), &h->assoc_id);
	c->max_w2h = h->max_w2h;
	c->max_h2w = h->max_h2w;
	lo = h->version_min > HIPC_VERSION_MIN ? h->version_min :
	    HIPC_VERSION_MIN;
	hi = h->version_max < HIPC_VERSION ? h->version_max : HIPC_VERSION;
	if (lo > hi) {
		(void)dh_send_error(c, HIPC_ECODE_VERSION,
		    "no common protocol version");
		c->state = DH_ST_CLOSED;
		return (DH_ERR_VERSION);
	}
	c->version = hi;
	c->features = features & h->features & HIPC_F_SHUTDOWN_NOTICE;

	memset(&r, 0, sizeof(r));
	r.type = HIPC_HELLO_REPLY;
	r.u.hello_reply.version = c->version;
	if (c->name[0] != '\0') {
		r.u.hello_reply.name.p = (const uint8_t *)c->name;
		r.u.hello_reply.name.len = strlen(c->name);
	}
	r.u.hello_reply.features = c->features;
	if ((rc = dh_conn_send(c, &r)) != DH_OK)
		return (rc);
	c->state = DH_ST_HELLO;
	return (DH_OK);
}

/* End the session: close both pipes (the worker sees EOF) and free. */
void
dh_close(struct dh_conn *c)
{
	if (c == NULL)
		return;
	if (c->in != -1)
		close(c->in);
	if (c->out != -1 && c->out != c->in)
		close(c->out);
	dh_assoc_free(&c->assoc);
	free(c->ibuf);
	free(c->arena);
	free(c->obuf);
	free(c->pdv);
	free(c);
}

/* Return the association id the worker announced (as DUL_ASSOC_ID). */
const char *
dh_assoc_id(const struct dh_conn *c)
{
	return (c->assoc_id);
}

/* Return the largest PDATA_REQ body the worker accepts. */
uint32_t
dh_max_send(const struct dh_conn *c)
{
	return (c->max_h2w);
}

/* Turn a PDATA_IND into an event; the PDVs point into the body. */
static int
conn_pdata(struct dh_conn *c, const struct hipc_pdata *pd,
    struct dh_event *ev)
{
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 p;
	struct dh_pdv		*d;
	size_t			 n = 0;

	if (pd->npdv > c->pdv_cap) {
		if ((d = reallocarray(NULL, pd->npdv, sizeof(*d))) == NULL)
			return (DH_ERR_NOMEM);
		free(c->pdv);
		c->pdv = d;
		c->pdv_cap = pd->npdv;
	}
	hipc_pdv_begin(&it, pd);
	while (n < pd->npdv && hipc_pdv_next(&it, &p) == 1) {
		c->pdv[n].pcid = p.pcid;
		c->pdv[n].is_command = (p.mch & 0x01) != 0;
		c->pdv[n].is_last = (p.mch & 0x02) != 0;
		c->pdv[n].data = p.data;
		c->pdv[n].len = p.len;
		n++;
	}
	ev->type = DH_EV_PDATA;
	ev->npdv = n;
	ev->pdv = c->pdv;
	return (DH_OK);
}

/*
 * Wait for the next event of an accepted association.  Frames the
 * handler has no use for (statistics, unknown extensions) are skipped.
 * After a terminal event (release, abort, error) only DH_EV_EOF follows.
 */
int
dh_next(struct dh_conn *c, struct dh_event *ev)
{
	struct hipc_msg	 m;
	int		 rc;

	memset(ev, 0, sizeof(*ev));
	if (c->state == DH_ST_HELLO || c->state == DH_ST_ASSOC_PENDING)
		return (DH_ERR_STATE);
	do {
		rc = dh_conn_recv(c, c->max_w2h, &m);
		/*
		 * A release indication that crossed our request: the worker
		 * takes the request as the answer and confirms it with
		 * collision = 1 (doc/handler-protocol.md 6.6).
		 */
	} while (rc == DH_OK && m.type == HIPC_RELEASE_IND &&
	    c->state == DH_ST_RELEASE_SENT);
	if (rc == DH_ERR_EOF) {
		c->state = DH_ST_CLOSED;
		ev->type = DH_EV_EOF;
		return (DH_OK);
	}
	if (rc != DH_OK)
		return (rc);
	switch (m.type) {
	case HIPC_PDATA_IND:
		return (conn_pdata(c, &m.u.pdata, ev));
	case HIPC_RELEASE_IND:
		if (c->state != DH_ST_ESTABLISHED)
			return (dh_conn_fail(c, HIPC_ERR_STATE));
		c->state = DH_ST_RELEASE_PENDING;
		ev->type = DH_EV_RELEASE_IND;
		return (DH_OK);
	case HIPC_RELEASE_CNF:
		if (c->state != DH_ST_RELEASE_SENT)
			return (dh_conn_fail(c, HIPC_ERR_STATE));
		c->state = DH_ST_CLOSED;
		ev->type = DH_EV_RELEASE_CNF;
		ev->collision = m.u.release_cnf.collision;
		return (DH_OK);
	case HIPC_ABORT_IND:
		c->state = DH_ST_CLOSED;
		ev->type = DH_EV_ABORT;
		ev->source = m.u.abort_ind.source;
		ev->reason = m.u.abort_ind.reason;
		return (DH_OK);
	case HIPC_P_ABORT_IND:
		c->state = DH_ST_CLOSED;
		ev->type = DH_EV_P_ABORT;
		ev->reason = m.u.p_abort_ind.reason;
		ev->cause = m.u.p_abort_ind.cause;
		view_str(ev->text, sizeof(ev->text), &m.u.p_abort_ind.text);
		return (DH_OK);
	case HIPC_ERROR:
		c->state = DH_ST_CLOSED;
		ev->type = DH_EV_ERROR;
		ev->code = m.u.error.code;
		view_str(ev->text, sizeof(ev->text), &m.u.error.text);
		return (DH_OK);
	case HIPC_SHUTDOWN_NOTICE:
		ev->type = DH_EV_SHUTDOWN_NOTICE;
		ev->seconds = m.u.shutdown_notice.seconds;
		return (DH_OK);
	default:
		return (dh_conn_fail(c, HIPC_ERR_STATE));
	}
}

/*
 * Send one PDV of any length; the worker re-fragments to the peer's
 * maximum.  A PDV longer than the announced limit goes out as several,
 * with the "last" bit only on the final one.
 */
int
dh_send_pdv(struct dh_conn *c, uint8_t pcid, int is_command, int is_last,
    const void *data, size_t len)
{
	const struct dh_pctx	*pc;
	struct iovec		 iov[2];
	uint8_t			 hdr[HIPC_HDR_LEN + HIPC_PDV_HDR_LEN];
	const uint8_t		*p = data;
	size_t			 room, n;
	uint8_t			 mch;
	int			 rc;

	if (c->state != DH_ST_ESTABLISHED &&
	    c->state != DH_ST_RELEASE_PENDING)
		return (DH_ERR_STATE);
	if ((pc = dh_pctx_find(c, pcid)) == NULL ||
	    pc->result != DH_PC_ACCEPT || (data == NULL && len > 0))
		return (DH_ERR_INVAL);
	/* Fragments other than the last are kept even (PS3.5 7.1). */
	if (size_sub(c->max_h2w, HIPC_PDV_HDR_LEN, &room) != BUF_OK ||
	    room < 2)
		return (DH_ERR_STATE);
	room &= ~(size_t)1;
	do {
		n = len < room ? len : room;
		mch = is_command ? 0x01 : 0x00;
		if (is_last && n == len)
			mch |= 0x02;
		hipc_hdr_put(hdr, HIPC_PDATA_REQ,
		    (uint32_t)(HIPC_PDV_HDR_LEN + n));
		hipc_pdv_hdr_put(hdr + HIPC_HDR_LEN, pcid, mch, (uint32_t)n);
		iov[0].iov_base = hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = (void *)(uintptr_t)p;
		iov[1].iov_len = n;
		if ((rc = write_iov(c->out, iov, n > 0 ? 2 : 1)) != DH_OK)
			return (rc);
		p += n;
		len -= n;
	} while (len > 0);
	return (DH_OK);
}

/* Send a message without a body. */
static int
conn_simple(struct dh_conn *c, enum hipc_type type)
{
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	return (dh_conn_send(c, &m));
}

/* Ask to release the association (A-RELEASE request). */
int
dh_release_request(struct dh_conn *c)
{
	int	 rc;

	if (c->state != DH_ST_ESTABLISHED)
		return (DH_ERR_STATE);
	if ((rc = conn_simple(c, HIPC_RELEASE_REQ)) != DH_OK)
		return (rc);
	c->state = DH_ST_RELEASE_SENT;
	return (DH_OK);
}

/* Answer a release indication (always affirmative, PS3.8 7.2.2). */
int
dh_release_respond(struct dh_conn *c)
{
	int	 rc;

	if (c->state != DH_ST_RELEASE_PENDING)
		return (DH_ERR_STATE);
	if ((rc = conn_simple(c, HIPC_RELEASE_RSP)) != DH_OK)
		return (rc);
	c->state = DH_ST_CLOSED;
	return (DH_OK);
}

/* Abort the association; after the end it is a no-op. */
int
dh_abort(struct dh_conn *c)
{
	int	 rc;

	if (c->state == DH_ST_CLOSED)
		return (DH_OK);
	rc = conn_simple(c, HIPC_ABORT_REQ);
	c->state = DH_ST_CLOSED;
	return (rc);
}

/* Tell the worker the session failed (ERROR); the session is then over. */
int
dh_send_error(struct dh_conn *c, uint16_t code, const char *text)
{
	struct hipc_msg	 m;
	size_t		 len;
	int		 rc;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ERROR;
	m.u.error.code = code;
	if (text != NULL) {
		len = strlen(text);
		m.u.error.text.p = (const uint8_t *)text;
		m.u.error.text.len = len < HIPC_TEXT_MAX ? len : HIPC_TEXT_MAX;
	}
	rc = dh_conn_send(c, &m);
	c->state = DH_ST_CLOSED;
	return (rc);
}

/*
 * Log one line on stderr, which the worker logs with the association id.
 * Control characters become '?', so a line stays one line.
 */
void
dh_log(struct dh_conn *c, int level, const char *fmt, ...)
{
	static const char *const lv[] = { "error", "warning", "info",
	    "debug" };
	char		 line[DH_LOG_LINE];
	va_list		 ap;
	int		 n, m;
	size_t		 i, len;

	n = snprintf(line, sizeof(line), "%s: %s: ",
	    c != NULL && c->name[0] != '\0' ? c->name : "handler",
	    level >= 0 && level <= DH_LOG_DEBUG ? lv[level] : "debug");
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	len = strlen(line);
	for (i = (size_t)n; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	}
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) == -1)
		return;
}
