/*
 * fuzz_worker.c: libFuzzer harness for the whole acceptor worker.
 *
 * worker_run() runs in this process on one end of a socketpair, with the
 * in-process test service user (worker_testlib.c: accepts, answers
 * C-ECHO, answers release) and a virtual clock: io_now() reads a counter,
 * and io_poll() never sleeps.  When the worker would wait, the harness
 * either feeds it the next part of the input or, when the input says so
 * (or nothing is left to feed), moves the clock to the worker's deadline,
 * so ARTIM, idle, PDU, answer and release timers fire at once.
 *
 * Input layout:
 *	byte 0		service user flags (TSU_*), 0x40: a signal pipe,
 *			0x80: the service user has flow control
 *	byte 1		parameters: see fz_params()
 *	then records	op, u16 length, bytes:
 *			op & 3 == 0: bytes for the peer to send, op >> 2
 *			    times 50 ms after the last record;
 *			op & 3 == 1: wait until the worker's next deadline;
 *			op & 3 == 2: a signal (SIGTERM, or SIGUSR2 if op & 4),
 *			    or with op & 8 the service user turns busy or
 *			    ready again;
 *			op & 3 == 3: close our side now.
 * Once the records are used up our side is shut for writing.
 *
 * Checks: the worker ends every run by itself, without waiting on a real
 * clock or spinning; it never fails for an internal reason; everything it
 * writes is a sequence of whole PDUs that decode, in an order an acceptor
 * may send them, the AC answering the RQ, P-DATA within the peer's
 * maximum and our cap; and it frees everything (LeakSanitizer).
 */

#include "compat.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "pdu.h"
#include "worker.h"
#include "worker_testlib.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CLOCK_START	1000000000ULL
#define FZ_MAX_POLLS	10000		/* more, beyond records, spins */
#define FZ_OUT_MAX	(4 * 1024 * 1024)

/* One run's state, shared with the hooks. */
struct fz {
	const uint8_t	*in;
	size_t		 len;
	size_t		 off;		/* next record */
	const uint8_t	*pend;		/* bytes of a record not yet sent */
	size_t		 pend_len;
	int		 fd;		/* our end */
	int		 sigw;		/* signal pipe, write end, or -1 */
	int		 shut;
	int		 busy;		/* the service user cannot take more */
	uint64_t	 busy_since;
	unsigned int	 polls;
	unsigned int	 records;	/* records acted on */
	uint64_t	 clock;
	uint8_t		*out;
	size_t		 out_len;
	size_t		 out_cap;
	int		 out_full;
};

static struct fz	 fz;
static struct pdu_assoc	 fz_rq;		/* the peer's RQ, for the checks */

static void	check(int, const char *);
static uint64_t	fz_clock(void);
static void	fz_take(void);
static int	fz_feed(void);
static int	fz_poll(struct pollfd *, nfds_t, int);
static int	fz_peer_rq(void);
static int	fz_same_uid(struct pdu_str, struct pdu_str);
static void	fz_check_ac(const struct pdu_assoc *, uint32_t);
static void	fz_check_output(uint32_t, uint32_t);
static int	fz_route(void *, struct worker *, const struct pdu_assoc *,
		    struct worker_neg *, struct fsm_rj *);
static void	fz_params(struct worker_params *, struct tsu *, uint8_t);
static int	fz_busy(void *);
static uint64_t	fz_deadline(void *, struct worker *);

static struct su_ops	 fz_ops;

/* Abort with a reason unless the condition holds. */
static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_worker: %s\n", what);
		abort();
	}
}

/* The virtual clock. */
static uint64_t
fz_clock(void)
{
	return (fz.clock);
}

/* Read whatever the worker wrote, keeping it for the final check. */
static void
fz_take(void)
{
	uint8_t	 buf[16384];
	uint8_t	*nb;
	size_t	 ncap;
	ssize_t	 n;

	for (;;) {
		n = recv(fz.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		if (fz.out_full)
			continue;
		if (fz.out_len + (size_t)n > fz.out_cap) {
			ncap = fz.out_cap == 0 ? 65536 : fz.out_cap * 2;
			while (ncap < fz.out_len + (size_t)n)
				ncap *= 2;
			if (ncap > FZ_OUT_MAX) {
				fz.out_full = 1;
				continue;
			}
			if ((nb = realloc(fz.out, ncap)) == NULL)
				abort();
			fz.out = nb;
			fz.out_cap = ncap;
		}
		memcpy(fz.out + fz.out_len, buf, (size_t)n);
		fz.out_len += (size_t)n;
	}
}

/*
 * Act on the next record.  Returns 1 when something was done that may
 * wake the worker, 2 when the worker must look again at what to poll,
 * 0 when the worker is to wait for its deadline, -1 when nothing is left
 * to do.
 */
static int
fz_feed(void)
{
	uint8_t		 op, sig;
	size_t		 n;
	ssize_t		 w;

	if (fz.pend_len > 0) {
		w = send(fz.fd, fz.pend, fz.pend_len, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (w <= 0)
			return (0);	/* full: the worker must read first */
		fz.pend += w;
		fz.pend_len -= (size_t)w;
		return (1);
	}
	if (fz.shut)
		return (-1);
	if (fz.off + 3 > fz.len) {
		shutdown(fz.fd, SHUT_WR);
		fz.shut = 1;
		return (1);
	}
	op = fz.in[fz.off];
	n = (size_t)fz.in[fz.off + 1] << 8 | fz.in[fz.off + 2];
	fz.off += 3;
	fz.records++;
	switch (op & 3) {
	case 0:
		if (n > fz.len - fz.off)
			n = fz.len - fz.off;
		fz.pend = fz.in + fz.off;
		fz.pend_len = n;
		fz.off += n;
		fz.clock += (uint64_t)(op >> 2) * 50;
		return (fz.pend_len > 0 ? fz_feed() : 1);
	case 1:
		return (0);
	case 2:
		if (op & 8) {
			/* As a handler's pipe would, wake the worker. */
			fz.busy = !fz.busy;
			fz.busy_since = fz.clock;
			return (2);
		}
		if (fz.sigw == -1)
			return (1);
		sig = (op & 4) ? SIGUSR2 : SIGTERM;
		check(write(fz.sigw, &sig, 1) == 1, "signal pipe");
		return (1);
	default:
		shutdown(fz.fd, SHUT_WR);
		fz.shut = 1;
		return (1);
	}
}

/*
 * The worker's poll(): never sleeps.  What is ready is returned at once;
 * otherwise the next record is fed, or the clock jumps to the timeout.
 */
static int
fz_poll(struct pollfd *pfd, nfds_t n, int timeout)
{
	int	 r, f;

	check(++fz.polls < FZ_MAX_POLLS + fz.records, "worker spins");
	for (;;) {
		fz_take();
		if ((r = poll(pfd, n, 0)) != 0)
			return (r);
		if ((f = fz_feed()) == 1)
			continue;
		if (f == 2)
			return (0);
		if (timeout < 0) {
			/* Nothing will ever come: the worker would hang. */
			check(f == 0, "worker waits for ever");
			return (0);
		}
		fz.clock += (uint64_t)timeout;
		return (0);
	}
}

/*
 * Decode the peer's first PDU into fz_rq if it is an A-ASSOCIATE-RQ that
 * decodes; return whether it is.
 */
static int
fz_peer_rq(void)
{
	static uint8_t		 stream[65536];
	size_t			 off = 0, len = 0, n;
	uint32_t		 plen;

	while (off + 3 <= fz.len && len < sizeof(stream)) {
		n = (size_t)fz.in[off + 1] << 8 | fz.in[off + 2];
		if ((fz.in[off] & 3) != 0) {
			off += 3;
			continue;
		}
		off += 3;
		if (n > fz.len - off)
			n = fz.len - off;
		if (n > sizeof(stream) - len)
			n = sizeof(stream) - len;
		memcpy(stream + len, fz.in + off, n);
		len += n;
		off += n;
	}
	if (len < PDU_HDR_LEN || stream[0] != PDU_ASSOC_RQ)
		return (0);
	plen = (uint32_t)stream[2] << 24 | (uint32_t)stream[3] << 16 |
	    (uint32_t)stream[4] << 8 | stream[5];
	return (plen <= len - PDU_HDR_LEN &&
	    pdu_decode_assoc_rq(stream + PDU_HDR_LEN, plen, &fz_rq) == PDU_OK);
}

/* Whether two byte strings are the same UID once trimmed. */
static int
fz_same_uid(struct pdu_str a, struct pdu_str b)
{
	a = pdu_uid_trim(a.p, a.len);
	b = pdu_uid_trim(b.p, b.len);
	return (a.len == b.len && (a.len == 0 ||
	    memcmp(a.p, b.p, a.len) == 0));
}

/*
 * The A-ASSOCIATE-AC must answer the RQ: every proposed context in
 * order, an accepted one with a transfer syntax it proposed, a refused
 * one echoing its first; the RQ's 64 bytes at offsets 10..73; our
 * maximum length; role answers only for accepted abstract syntaxes, one
 * each.
 */
static void
fz_check_ac(const struct pdu_assoc *ac, uint32_t our_max)
{
	const struct pdu_assoc	*rq = &fz_rq;
	struct pdu_iter		 it;
	struct pdu_str		 ts;
	unsigned int		 i, j;
	int			 found;

	check(memcmp(ac->echo, rq->echo, PDU_AE_ECHO_LEN) == 0,
	    "the AC does not echo the RQ's 64 bytes");
	check(ac->ui.has_max_length && ac->ui.max_length == our_max,
	    "the AC's maximum length is not ours");
	check(ac->n_pctx == rq->n_pctx, "the AC does not answer each context");
	for (i = 0; i < ac->n_pctx; i++) {
		check(ac->pctx[i].id == rq->pctx[i].id,
		    "the AC's contexts are not the RQ's, in order");
		check(ac->pctx[i].result <=
		    PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED,
		    "a context result out of range");
		if (ac->pctx[i].result != PDU_PCTX_ACCEPTANCE) {
			check(fz_same_uid(ac->pctx[i].ts, rq->pctx[i].ts),
			    "a refused context does not echo its first TS");
			continue;
		}
		found = 0;
		pdu_ts_iter(&it, &rq->pctx[i]);
		while (!found && pdu_iter_next(&it, &ts))
			found = ac->pctx[i].ts.len > 0 &&
			    fz_same_uid(ac->pctx[i].ts, ts);
		check(found, "an accepted context with a TS not proposed");
	}
	for (i = 0; i < ac->ui.n_roles; i++) {
		found = 0;
		for (j = 0; j < ac->n_pctx; j++)
			if (ac->pctx[j].result == PDU_PCTX_ACCEPTANCE &&
			    fz_same_uid(ac->ui.roles[i].sop_class,
			    rq->pctx[j].abstract_syntax))
				found = 1;
		check(found, "a role answer for no accepted context");
		check(ac->ui.roles[i].scu <= 1 && ac->ui.roles[i].scp <= 1,
		    "a role answer other than 0 or 1");
		for (j = 0; j < i; j++)
			check(!fz_same_uid(ac->ui.roles[i].sop_class,
			    ac->ui.roles[j].sop_class),
			    "two role answers for one SOP class");
	}
}

/*
 * Everything the worker wrote must be whole, valid PDUs, in an order an
 * acceptor may send them: first AC, RJ or A-ABORT; P-DATA and release
 * only after the AC, none over the peer's maximum or our cap; after RJ,
 * A-RELEASE-RP or A-ABORT, nothing but A-ABORT (AA-7 in Sta13).
 */
static void
fz_check_output(uint32_t max_send, uint32_t our_max)
{
	struct pdu_limits	 lim = { 16 * 1024 * 1024, 0 };
	struct pdu_hdr		 h;
	static struct pdu	 p;
	size_t			 off = 0;
	uint32_t		 peer_max = 0;
	int			 first = 1, accepted = 0, over = 0, rq_ok;

	if (fz.out_full)
		return;
	rq_ok = fz_peer_rq();
	if (rq_ok && fz_rq.ui.has_max_length)
		peer_max = fz_rq.ui.max_length;
	lim.max_pdata_len = peer_max != 0 && peer_max < max_send ? peer_max :
	    max_send;
	while (off < fz.out_len) {
		check(fz.out_len - off >= PDU_HDR_LEN, "a PDU header cut");
		check(pdu_header_check(fz.out + off, &lim,
		    PDU_PHASE_ASSOCIATED, &h) == PDU_OK, "a bad PDU header");
		off += PDU_HDR_LEN;
		check(fz.out_len - off >= h.len, "a PDU body cut");
		check(pdu_decode_body(h.type, fz.out + off, h.len, &p) ==
		    PDU_OK, "a PDU that does not decode");
		off += h.len;
		check(h.type != PDU_ASSOC_RQ, "an acceptor sent an RQ");
		check(!over || h.type == PDU_ABORT,
		    "a PDU after the association ended");
		if (first)
			check(h.type == PDU_ASSOC_AC ||
			    h.type == PDU_ASSOC_RJ || h.type == PDU_ABORT,
			    "the first PDU is not an answer or an abort");
		else
			check(h.type != PDU_ASSOC_AC && h.type !=
			    PDU_ASSOC_RJ, "a second answer to the RQ");
		if (h.type == PDU_P_DATA_TF || h.type == PDU_RELEASE_RQ ||
		    h.type == PDU_RELEASE_RP)
			check(accepted, "P-DATA or release before the AC");
		if (h.type == PDU_ASSOC_AC) {
			check(rq_ok, "an AC to no RQ");
			fz_check_ac(&p.u.assoc, our_max);
			accepted = 1;
		}
		if (h.type == PDU_ASSOC_RJ || h.type == PDU_RELEASE_RP ||
		    h.type == PDU_ABORT)
			over = 1;
		first = 0;
	}
}

/*
 * Accept every context whose abstract syntax and first transfer syntax
 * are valid UIDs, with that transfer syntax; answer proposed roles,
 * extended negotiation, asynchronous operations and user identity, so the
 * A-ASSOCIATE-AC carries every item it can, within the budget that the
 * handler's answers are held to (handler_assoc.c).
 */
static int
fz_route(void *ctx, struct worker *w, const struct pdu_assoc *rq,
    struct worker_neg *neg, struct fsm_rj *rj)
{
	const struct pdu_user_info	*ui = &rq->ui;
	struct worker_pctx		*wp;
	size_t				 room, need;
	unsigned int			 i, j;

	(void)ctx;
	(void)w;
	(void)rj;
	for (i = 0; i < neg->n_pctx; i++) {
		wp = &neg->pctx[i];
		if (wp->abstract[0] == '\0' || rq->pctx[i].n_ts == 0 ||
		    !pdu_uid_valid(wp->abstract, strlen(wp->abstract)))
			continue;
		if (pdu_uid_copy(wp->ts, rq->pctx[i].ts.p,
		    rq->pctx[i].ts.len) != PDU_OK ||
		    !pdu_uid_valid(wp->ts, strlen(wp->ts))) {
			wp->result = PDU_PCTX_TRANSFER_SYNTAXES_NOT_SUPPORTED;
			continue;
		}
		wp->result = PDU_PCTX_ACCEPTANCE;
		for (j = 0; j < ui->n_roles; j++) {
			if (ui->roles[j].sop_class.len != strlen(wp->abstract) ||
			    memcmp(ui->roles[j].sop_class.p, wp->abstract,
			    ui->roles[j].sop_class.len) != 0)
				continue;
			wp->role_proposed = 1;
			wp->scu_proposed = ui->roles[j].scu;
			wp->scp_proposed = ui->roles[j].scp;
			wp->scu = ui->roles[j].scu & 1;
			wp->scp = ui->roles[j].scp & 1;
			break;
		}
	}
	/* What fits the AC's user information item, as the handler checks. */
	room = PDU_ITEM_MAX_LEN - (8 + 4 + PDU_UID_MAX + 8 + 4 + 16);
	for (i = 0; i < neg->n_pctx; i++)
		if (neg->pctx[i].role_proposed)
			room -= 8 + PDU_UID_MAX;
	for (i = 0; i < ui->n_ext_neg; i++) {
		need = 6 + ui->ext_neg[i].sop_class.len +
		    ui->ext_neg[i].info.len;
		if (need > room)
			break;
		room -= need;
		neg->ext_rsp[i] = ui->ext_neg[i];
	}
	neg->n_ext_rsp = i;
	if (ui->has_async_ops) {
		neg->async_answered = 1;
		neg->async_invoked = ui->async_invoked;
		neg->async_performed = ui->async_performed;
	}
	if (ui->has_user_identity && ui->user_identity.positive_response &&
	    6 + ui->user_identity.primary.len <= room) {
		neg->identity_rsp = ui->user_identity.primary.p;
		neg->identity_rsp_len = ui->user_identity.primary.len;
	}
	neg->decided = 1;
	return (0);
}

/*
 * Parameters from one byte: bit 0 over the association limit; bit 1 a
 * 2 s association time limit; bit 2 the Verification-only routing of the
 * worker tests instead of fz_route(); bit 3 no idle timer; bits 4-5 our
 * sending cap; bit 6 a 4096-byte receive maximum; bit 7 a 1 KiB cap on the
 * A-ASSOCIATE-RQ.
 */
static void
fz_params(struct worker_params *p, struct tsu *su, uint8_t b)
{
	static const uint32_t	 send_cap[4] = { 65536, 16384, 256, 14 };

	wt_params(p, su);
	p->to.send = 1000;
	p->over_limit = b & 1;
	if (b & 2)
		p->to.association = 2000;
	if (!(b & 4))
		p->policy.route = fz_route;
	if (b & 8)
		p->to.idle = 0;
	p->max_pdu_send = send_cap[(b >> 4) & 3];
	if (b & 64)
		p->max_pdu_receive = 4096;
	if (b & 128)
		p->max_rq_pdu = 1024;
}

/* Flow control: whether the service user can take another indication. */
static int
fz_busy(void *ctx)
{
	(void)ctx;
	return (fz.busy);
}

/* A service user busy for too long is stalled, as a handler can be. */
static uint64_t
fz_deadline(void *ctx, struct worker *w)
{
	(void)ctx;
	(void)w;
	return (fz.busy ? fz.busy_since + 200 : 0);
}

/* One input: one association, start to end. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 once;
	struct worker_params	 par;
	struct tsu		 su;
	int			 sv[2], sp[2] = { -1, -1 }, code, bufsz;

	if (!once) {
		once = 1;
		if (log_target(LOG_TO_FILE, "/dev/null", 0) == -1)
			abort();
		log_setverbose(getenv("FUZZ_WORKER_LOG") != NULL ? 2 : 1);
		if (getenv("FUZZ_WORKER_LOG") != NULL)
			log_target(LOG_TO_STDERR, NULL, 0);
		signal(SIGPIPE, SIG_IGN);
	}
	if (size < 2)
		return (0);
	memset(&fz, 0, sizeof(fz));
	memset(&su, 0, sizeof(su));
	su.flags = data[0] & 0x3f;
	fz_params(&par, &su, data[1]);
	if (data[0] & 0x80) {
		fz_ops = tsu_ops;
		fz_ops.busy = fz_busy;
		fz_ops.deadline = fz_deadline;
		par.su = &fz_ops;
	}
	fz.in = data + 2;
	fz.len = size - 2;
	fz.clock = FZ_CLOCK_START;
	fz.sigw = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	bufsz = 1024 * 1024;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	fz.fd = sv[1];
	if (data[0] & 0x40) {
		if (pipe(sp) == -1)
			abort();
		fcntl(sp[0], F_SETFL, O_NONBLOCK);
		par.sigfd = sp[0];
		fz.sigw = sp[1];
	}

	io_clock_hook = fz_clock;
	io_poll_hook = fz_poll;
	code = worker_run(&par, sv[0]);
	io_clock_hook = NULL;
	io_poll_hook = NULL;

	check(code == WORKER_EXIT_OK || code == WORKER_EXIT_PROTOCOL,
	    "worker failed for an internal reason");
	fz_take();
	fz_check_output(par.max_pdu_send, par.max_pdu_receive);
	check(fcntl(sv[0], F_GETFD) == -1, "worker left its socket open");
	close(sv[1]);
	if (sp[0] != -1) {
		close(sp[0]);
		close(sp[1]);
	}
	free(fz.out);
	fz.out = NULL;
	return (0);
}
