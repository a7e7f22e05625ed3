/*
 * peer_harness.c: the scripted peer of peer_harness.h: fork a worker on a
 * socketpair, talk to it byte by byte, and check what it did.
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dimse.h"
#include "io.h"
#include "log.h"
#include "pdu.h"
#include "worker.h"
#include "worker_testlib.h"
#include "peer_harness.h"

static void	parse_trace(struct run *);
static void	run_wait(struct run *);

static struct run	*cur;

const uint8_t	 ABORT00[10] = { 7, 0, 0, 0, 0, 4, 0, 0, 0, 0 };
const uint8_t	 ABORT20[10] = { 7, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
const uint8_t	 ABORT21[10] = { 7, 0, 0, 0, 0, 4, 0, 0, 2, 1 };
const uint8_t	 ABORT22[10] = { 7, 0, 0, 0, 0, 4, 0, 0, 2, 2 };
const uint8_t	 ABORT26[10] = { 7, 0, 0, 0, 0, 4, 0, 0, 2, 6 };
const uint8_t	 RELRQ[10] = { 5, 0, 0, 0, 0, 4, 0, 0, 0, 0 };
const uint8_t	 RELRP[10] = { 6, 0, 0, 0, 0, 4, 0, 0, 0, 0 };
const uint8_t	 UNKNOWN8[10] = { 8, 0, 0, 0, 0, 4, 0, 0, 0, 0 };
const uint8_t	 RELRQ_LEN5[11] = { 5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0 };

/* Set up a run with the test defaults. */
void
run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	wt_params(&r->p, &r->su);
	r->fd = -1;
	r->pid = -1;
	cur = r;
}

/* Expect one more transition in the worker's trace. */
void
expect_step(struct run *r, const char *t)
{
	assert_true(r->nexp < TRACE_MAX);
	r->exp[r->nexp++] = t;
}

/* Fork the worker on one end of a socketpair; the test keeps the other. */
void
run_start(struct run *r)
{
	int	 sv[2];

	r->p.su_ctx = &r->su;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (r->sndbuf != 0)
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF,
		    &r->sndbuf, sizeof(r->sndbuf)), 0);
	assert_non_null(r->logf = tmpfile());
	fflush(NULL);
	r->pid = fork();
	assert_int_not_equal(r->pid, -1);
	if (r->pid == 0) {
		close(sv[0]);
		if (dup2(fileno(r->logf), STDERR_FILENO) == -1)
			_exit(99);
		log_init(1, 0);
		log_procinit("worker");
		log_setverbose(2);
		exit(worker_run(&r->p, sv[1]));
	}
	close(sv[1]);
	r->fd = sv[0];
	expect_step(r, T_AE5);
}

/*
 * Read up to len bytes, stopping early at EOF or when ms have passed.
 * Sets *eof when the worker closed its end.
 */
size_t
peer_read(struct run *r, uint8_t *buf, size_t len, int ms, int *eof)
{
	struct pollfd	 pfd;
	uint64_t	 end = io_now() + (uint64_t)ms;
	size_t		 got = 0;
	ssize_t		 n;

	*eof = 0;
	while (got < len) {
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, io_timeout(end, io_now())) <= 0)
			break;
		n = read(r->fd, buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*eof = 1;
			break;
		}
		got += (size_t)n;
	}
	return (got);
}

/* Send bytes to the worker. */
void
peer_send(struct run *r, const void *p, size_t len)
{
	assert_int_equal(io_write(r->fd, p, len, io_now() + WAIT_MS), 0);
}

/* The next bytes from the worker must be exactly these. */
void
expect_bytes(struct run *r, const uint8_t *exp, size_t len)
{
	uint8_t	 got[16384];
	int	 eof;

	assert_true(len <= sizeof(got));
	assert_int_equal(peer_read(r, got, len, WAIT_MS, &eof), len);
	assert_memory_equal(got, exp, len);
}

/* The worker must close without sending anything more within ms. */
void
expect_eof(struct run *r, int ms)
{
	uint8_t	 b[64];
	int	 eof;

	assert_int_equal(peer_read(r, b, sizeof(b), ms, &eof), 0);
	assert_true(eof);
}

/* Nothing more may arrive from the worker for ms. */
void
expect_quiet(struct run *r, int ms)
{
	uint8_t	 b[64];
	int	 eof;

	assert_int_equal(peer_read(r, b, sizeof(b), ms, &eof), 0);
	assert_false(eof);
}

/* Read one whole PDU of the given type; return its size. */
size_t
expect_pdu(struct run *r, uint8_t type, uint8_t *buf, size_t cap)
{
	uint32_t	 len;
	int		 eof;

	assert_int_equal(peer_read(r, buf, PDU_HDR_LEN, WAIT_MS, &eof),
	    PDU_HDR_LEN);
	assert_int_equal(buf[0], type);
	len = (uint32_t)buf[2] << 24 | (uint32_t)buf[3] << 16 |
	    (uint32_t)buf[4] << 8 | buf[5];
	assert_true(len <= cap - PDU_HDR_LEN);
	assert_int_equal(peer_read(r, buf + PDU_HDR_LEN, len, WAIT_MS, &eof),
	    len);
	return (PDU_HDR_LEN + len);
}

/* Pull the "StaN + EvtM ..." transitions out of the worker's log. */
static void
parse_trace(struct run *r)
{
	char	*line, *next, *p;

	assert_non_null(r->tracebuf = strdup(r->log));
	for (line = r->tracebuf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strstr(line, " + Evt")) == NULL)
			continue;
		while (p > line && p[-1] != ' ')
			p--;
		if (strncmp(p, "Sta", 3) != 0 || r->ntrace == TRACE_MAX)
			continue;
		r->trace[r->ntrace++] = p;
	}
}

/*
 * Close our end, wait (bounded) for the worker to exit, and read its log.
 * A worker still running after WAIT_MS is killed and the test fails.
 */
static void
run_wait(struct run *r)
{
	uint64_t	 end = io_now() + WAIT_MS;
	ssize_t		 n;
	size_t		 got = 0;
	int		 st = 0;
	pid_t		 p;

	if (r->fd != -1 && !r->keep_open) {
		close(r->fd);
		r->fd = -1;
	}
	while ((p = waitpid(r->pid, &st, WNOHANG)) == 0 && io_now() < end)
		poll(NULL, 0, 5);
	if (p == 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &st, 0);
		r->pid = -1;
		fail_msg("worker did not exit within %d ms", WAIT_MS);
	}
	r->pid = -1;
	assert_non_null(r->log = calloc(1, LOG_MAX + 1));
	assert_int_equal(lseek(fileno(r->logf), 0, SEEK_SET), 0);
	while (got < LOG_MAX && (n = read(fileno(r->logf), r->log + got,
	    LOG_MAX - got)) > 0)
		got += (size_t)n;
	fclose(r->logf);
	r->logf = NULL;
	if (strstr(r->log, "Sanitizer") != NULL ||
	    strstr(r->log, "runtime error") != NULL)
		fail_msg("sanitizer report from the worker:\n%s", r->log);
	if (!WIFEXITED(st))
		fail_msg("worker died of signal %d:\n%s", WTERMSIG(st), r->log);
	r->code = WEXITSTATUS(st);
	if (strstr(r->log, "outcome=") == NULL)
		fail_msg("no summary line:\n%s", r->log);
}

/* Wait for the worker and compare its trace and exit code with ours. */
void
run_check(struct run *r, int code)
{
	unsigned int	 i, skip = 0;

	run_wait(r);
	parse_trace(r);
	if (r->tail_only && r->ntrace > r->nexp)
		skip = r->ntrace - r->nexp;
	for (i = 0; i < r->nexp || i + skip < r->ntrace; i++) {
		if (i < r->nexp && i + skip < r->ntrace &&
		    strcmp(r->exp[i], r->trace[i + skip]) == 0)
			continue;
		fail_msg("transition %u: expected \"%s\", worker logged "
		    "\"%s\"\n%s", i + skip, i < r->nexp ? r->exp[i] :
		    "(none)", i + skip < r->ntrace ? r->trace[i + skip] :
		    "(none)", r->log);
	}
	if (r->code != code)
		fail_msg("worker exit %d, expected %d\n%s", r->code, code,
		    r->log);
}

/* Assert that the worker's log holds a string. */
void
expect_log(struct run *r, const char *s)
{
	if (r->log == NULL || strstr(r->log, s) == NULL)
		fail_msg("\"%s\" not in the worker's log:\n%s", s,
		    r->log != NULL ? r->log : "");
}

/* Milliseconds since t0. */
uint64_t
since(uint64_t t0)
{
	return (io_now() - t0);
}

/* Kill a worker a failed test left behind; free what the run holds. */
int
harness_teardown(void **state)
{
	(void)state;
	if (cur == NULL)
		return (0);
	if (cur->fd != -1)
		close(cur->fd);
	if (cur->pid > 0) {
		kill(cur->pid, SIGKILL);
		waitpid(cur->pid, NULL, 0);
	}
	if (cur->logf != NULL)
		fclose(cur->logf);
	free(cur->log);
	free(cur->tracebuf);
	cur = NULL;
	return (0);
}

/* Send the default A-ASSOCIATE-RQ and expect the exact AC for it. */
void
associate(struct run *r)
{
	uint8_t		 ac[1024];
	size_t		 n;
	struct wt_rq	 o;

	memset(&o, 0, sizeof(o));
	r->rqlen = wt_rq(r->rq, sizeof(r->rq), &o);
	assert_true(r->rqlen > 0);
	peer_send(r, r->rq, r->rqlen);
	n = wt_ac(ac, sizeof(ac), r->rq, PDU_PCTX_ACCEPTANCE,
	    DIMSE_IMPLICIT_LE_UID, PDU_DEFAULT_MAX_PDATA_LEN);
	expect_bytes(r, ac, n);
	expect_step(r, T_AE6);
	expect_step(r, T_AE7);
}

/* One C-ECHO: the response must be exactly the expected P-DATA-TF. */
void
echo(struct run *r, uint16_t msgid)
{
	uint8_t	 buf[256], rsp[256];
	size_t	 n;

	n = wt_echo_rq_pdu(buf, sizeof(buf), 1, msgid);
	peer_send(r, buf, n);
	n = wt_echo_rsp_pdu(rsp, sizeof(rsp), 1, msgid);
	expect_bytes(r, rsp, n);
	expect_step(r, T_DT2);
	expect_step(r, T_DT1);
}

/*
 * Start a worker and drive it into an acceptor state, as the peer would,
 * with every timer but ARTIM long enough not to interfere.  The service
 * user is set up to stay in that state: it does not answer in Sta3 and
 * Sta8, and asks to release in Sta7 and Sta10.
 */
void
reach(struct run *r, int sta)
{
	run_init(r);
	r->p.to.artim = 2000;
	r->p.to.idle = r->p.to.su = r->p.to.release = r->p.to.pdu = 5000;
	if (sta == 3)
		r->su.flags |= TSU_NO_ASSOC_ANSWER;
	if (sta == 8)
		r->su.flags |= TSU_NO_RELEASE_ANSWER;
	if (sta == 7 || sta == 10)
		r->su.flags |= TSU_RELEASE_AFTER_ACCEPT;
	run_start(r);
	if (sta == 2)
		return;
	if (sta == 3) {
		r->rqlen = wt_rq(r->rq, sizeof(r->rq),
		    &(struct wt_rq){ 0 });
		peer_send(r, r->rq, r->rqlen);
		expect_step(r, T_AE6);
		return;
	}
	associate(r);
	switch (sta) {
	case 7:
	case 10:
		expect_bytes(r, RELRQ, sizeof(RELRQ));
		expect_step(r, T_AR1);
		if (sta == 10) {
			peer_send(r, RELRQ, sizeof(RELRQ));
			expect_step(r, T_AR8);
		}
		break;
	case 8:
	case 13:
		peer_send(r, RELRQ, sizeof(RELRQ));
		expect_step(r, T_AR2);
		if (sta == 13) {
			expect_bytes(r, RELRP, sizeof(RELRP));
			expect_step(r, T_AR4);
		}
		break;
	}
}

/* Format "StaN + EvtM -> ACT -> StaK" into a string the run keeps. */
const char *
step_str(int sta, int evt, const char *act, int next)
{
	static char	 pool[TRACE_MAX][48];
	static int	 i;
	char		*s = pool[i++ % TRACE_MAX];

	snprintf(s, sizeof(pool[0]), "Sta%d + Evt%d -> %s -> Sta%d", sta,
	    evt, act, next);
	return (s);
}
