/*
 * test_pdu_peer.c: the codec against a real peer.  The test listens on a
 * loopback port, runs DCMTK's echoscu and storescu against it, decodes
 * the A-ASSOCIATE-RQ each one sends and asserts it field by field, then
 * plays a minimal SCP with the codec's encoders (AC, P-DATA-TF, RJ,
 * RELEASE-RP) and checks that the peer took every answer.
 *
 * Every wait has a deadline, and only the processes started here are
 * killed.  Without echoscu the whole test is skipped (exit 77).
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pdu.h"

#define PEER_MS		20000		/* bound on every wait */
#define CALLED_AE	"PDU-PEER-SCP"
#define CALLING_AE	"PDU-PEER-SCU"
#define VERIFICATION	"1.2.840.10008.1.1"
#define IMPLICIT_LE	"1.2.840.10008.1.2"
#define EXPLICIT_LE	"1.2.840.10008.1.2.1"
#define SC_STORAGE	"1.2.840.10008.5.1.4.1.1.7"
#define SC_INSTANCE	"1.2.826.0.1.3680043.9.7433.9.1"
#define OUR_IMPL_UID	"1.2.826.0.1.3680043.9.7433.1.1"
#define CMD_MAX		65536

struct peer {
	char		 dir[64];
	char		 log[128];
	int		 lfd;
	int		 fd;
	pid_t		 pid;
	uint16_t	 port;
	uint8_t		*body;		/* last PDU body read */
	struct pdu	*pdu;		/* and its decoding */
	uint8_t		 cmd[CMD_MAX];	/* last command set received */
	size_t		 cmdlen;
	size_t		 datalen;	/* data set bytes received */
	uint8_t		 pcid;		/* context the message came on */
};

static uint64_t	 now_ms(void);
static int	 in_path(const char *);
static void	 peer_start(struct peer *, char *const []);
static void	 peer_finish(struct peer *, int *);
static void	 peer_cleanup(struct peer *);
static pid_t	 spawn(char *const [], const char *);
static int	 wait_child(pid_t, int *);
static int	 io_wait(int, short, uint64_t);
static int	 read_full(int, void *, size_t, uint64_t);
static int	 write_full(int, const void *, size_t, uint64_t);
static int	 read_pdu(struct peer *, enum pdu_phase);
static void	 send_pdu(struct peer *, const uint8_t *, ssize_t);
static void	 read_message(struct peer *);
static size_t	 cmd_put(uint8_t *, size_t, uint16_t, const void *, size_t);
static size_t	 cmd_put_us(uint8_t *, size_t, uint16_t, uint16_t);
static int	 cmd_get(const uint8_t *, size_t, uint16_t, const uint8_t **,
		    uint32_t *);
static uint16_t	 cmd_get_us(const struct peer *, uint16_t);
static void	 send_response(struct peer *, uint16_t, const char *,
		    const char *);
static void	 release(struct peer *);
static int	 log_has(const struct peer *, const char *);
static void	 assert_rq_common(const struct pdu_assoc *, uint32_t);
static void	 accept_contexts(struct peer *, const char *, uint8_t *);

/* Milliseconds on the monotonic clock. */
static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		abort();
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Tell whether a program can be found in PATH. */
static int
in_path(const char *prog)
{
	char		 path[PATH_MAX];
	const char	*p, *e, *env = getenv("PATH");
	int		 n;

	if (env == NULL)
		return (0);
	for (p = env; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		n = snprintf(path, sizeof(path), "%.*s/%s", (int)(e - p), p,
		    prog);
		if (n > 0 && (size_t)n < sizeof(path) &&
		    access(path, X_OK) == 0)
			return (1);
	}
	return (0);
}

/* Run a program with stdin on /dev/null and its output in a log file. */
static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t	 pid;
	int	 in, out;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid != 0)
		return (pid);
	if ((in = open("/dev/null", O_RDONLY)) == -1 ||
	    (out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		_exit(127);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		_exit(127);
	closefrom(3);
	execvp(argv[0], argv);
	_exit(127);
}

/* Wait for a child we started; kill it if the deadline passes. */
static int
wait_child(pid_t pid, int *status)
{
	uint64_t	 deadline = now_ms() + PEER_MS;
	pid_t		 r;

	while (now_ms() < deadline) {
		if ((r = waitpid(pid, status, WNOHANG)) == pid)
			return (0);
		if (r == -1 && errno != EINTR)
			return (-1);
		(void)poll(NULL, 0, 20);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, status, 0);
	return (-1);
}

/* Wait until fd is ready for events, or the deadline passes. */
static int
io_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd	 pfd;
	uint64_t	 t;
	int		 r;

	for (;;) {
		if ((t = now_ms()) >= deadline)
			return (-1);
		pfd.fd = fd;
		pfd.events = events;
		r = poll(&pfd, 1, (int)(deadline - t));
		if (r > 0)
			return (0);
		if (r == -1 && errno != EINTR)
			return (-1);
	}
}

/* Read exactly n bytes before the deadline. */
static int
read_full(int fd, void *buf, size_t n, uint64_t deadline)
{
	uint8_t	*p = buf;
	ssize_t	 r;

	while (n > 0) {
		if (io_wait(fd, POLLIN, deadline) == -1)
			return (-1);
		if ((r = read(fd, p, n)) == 0)
			return (-1);
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return (-1);
		}
		p += r;
		n -= (size_t)r;
	}
	return (0);
}

/* Write exactly n bytes before the deadline. */
static int
write_full(int fd, const void *buf, size_t n, uint64_t deadline)
{
	const uint8_t	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		if (io_wait(fd, POLLOUT, deadline) == -1)
			return (-1);
		if ((r = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return (-1);
		}
		p += r;
		n -= (size_t)r;
	}
	return (0);
}

/*
 * Listen on an ephemeral loopback port, start the peer with its argv
 * (where the string "PORT" is replaced by the port), and accept it.
 */
static void
peer_start(struct peer *pe, char *const argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			*av[32], port[8];
	int			 i;

	pe->lfd = pe->fd = -1;
	pe->pid = -1;
	pe->body = NULL;
	if ((pe->pdu = calloc(1, sizeof(*pe->pdu))) == NULL)
		abort();
	assert_true((pe->lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(pe->lfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(listen(pe->lfd, 1), 0);
	assert_int_equal(getsockname(pe->lfd, (struct sockaddr *)&sin, &len),
	    0);
	pe->port = ntohs(sin.sin_port);
	snprintf(port, sizeof(port), "%u", pe->port);
	for (i = 0; argv[i] != NULL && i < 31; i++)
		av[i] = strcmp(argv[i], "PORT") == 0 ? port : argv[i];
	av[i] = NULL;
	assert_true((pe->pid = spawn(av, pe->log)) > 0);
	assert_int_equal(io_wait(pe->lfd, POLLIN, now_ms() + PEER_MS), 0);
	assert_true((pe->fd = accept(pe->lfd, NULL, NULL)) != -1);
}

/* Wait for the peer to end and hand back its exit status. */
static void
peer_finish(struct peer *pe, int *status)
{
	assert_int_equal(wait_child(pe->pid, status), 0);
	pe->pid = -1;
}

/* Close what is open, end the peer if it still runs, drop its log. */
static void
peer_cleanup(struct peer *pe)
{
	int	 status;

	if (pe->fd != -1)
		close(pe->fd);
	if (pe->lfd != -1)
		close(pe->lfd);
	if (pe->pid > 0) {
		(void)kill(pe->pid, SIGKILL);
		(void)waitpid(pe->pid, &status, 0);
	}
	free(pe->body);
	free(pe->pdu);
}

/*
 * Read one PDU with the codec's two steps: the header checked before the
 * body is read, then the body decoded.
 */
static int
read_pdu(struct peer *pe, enum pdu_phase phase)
{
	struct pdu_limits	 lim;
	struct pdu_hdr		 h;
	uint8_t			 hdr[PDU_HDR_LEN];
	uint64_t		 deadline = now_ms() + PEER_MS;
	int			 r;

	pdu_limits_default(&lim);
	lim.max_pdata_len = 16384;
	free(pe->body);
	pe->body = NULL;
	if (read_full(pe->fd, hdr, sizeof(hdr), deadline) == -1)
		return (-1);
	if ((r = pdu_header_check(hdr, &lim, phase, &h)) != PDU_OK)
		return (r);
	if ((pe->body = malloc(h.len == 0 ? 1 : h.len)) == NULL)
		abort();
	if (read_full(pe->fd, pe->body, h.len, deadline) == -1)
		return (-1);
	return (pdu_decode_body(h.type, pe->body, h.len, pe->pdu));
}

/* Send a PDU the codec encoded. */
static void
send_pdu(struct peer *pe, const uint8_t *buf, ssize_t n)
{
	assert_true(n > 0);
	assert_int_equal(write_full(pe->fd, buf, (size_t)n,
	    now_ms() + PEER_MS), 0);
}

/*
 * Read P-DATA-TF PDUs until a message is complete: its command, and its
 * data set when the command announces one (PS3.7 E.2: 0x0101 means none).
 * The loop ends on the last fragment, an error, or a bound on PDUs.
 */
static void
read_message(struct peer *pe)
{
	struct pdu_iter	 it;
	struct pdu_pdv	 pdv;
	int		 pdus, cmd_done = 0, data_done = 0, want_data = 0;

	pe->cmdlen = pe->datalen = 0;
	for (pdus = 0; pdus < 4096 && !(cmd_done && (!want_data ||
	    data_done)); pdus++) {
		assert_int_equal(read_pdu(pe, PDU_PHASE_ASSOCIATED), PDU_OK);
		assert_int_equal(pe->pdu->type, PDU_P_DATA_TF);
		pdu_pdv_iter(&it, &pe->pdu->u.pdata);
		while (pdu_pdv_next(&it, &pdv)) {
			pe->pcid = pdv.pcid;
			if (pdv.mch & PDU_MCH_COMMAND) {
				assert_true(pdv.len <= CMD_MAX - pe->cmdlen);
				memcpy(pe->cmd + pe->cmdlen, pdv.data, pdv.len);
				pe->cmdlen += pdv.len;
				if (pdv.mch & PDU_MCH_LAST) {
					cmd_done = 1;
					want_data = cmd_get_us(pe, 0x0800) !=
					    0x0101;
				}
			} else {
				assert_true(cmd_done);
				pe->datalen += pdv.len;
				if (pdv.mch & PDU_MCH_LAST)
					data_done = 1;
			}
		}
	}
	assert_true(cmd_done);
	assert_true(!want_data || data_done);
}

/* Append a group 0000 element in Implicit VR Little Endian. */
static size_t
cmd_put(uint8_t *p, size_t off, uint16_t elem, const void *v, size_t len)
{
	p[off + 0] = 0;
	p[off + 1] = 0;
	p[off + 2] = elem & 0xff;
	p[off + 3] = elem >> 8;
	p[off + 4] = len & 0xff;
	p[off + 5] = (len >> 8) & 0xff;
	p[off + 6] = (len >> 16) & 0xff;
	p[off + 7] = (len >> 24) & 0xff;
	memcpy(p + off + 8, v, len);
	return (off + 8 + len);
}

/* Append a US element of group 0000. */
static size_t
cmd_put_us(uint8_t *p, size_t off, uint16_t elem, uint16_t v)
{
	uint8_t	 b[2] = { v & 0xff, v >> 8 };

	return (cmd_put(p, off, elem, b, sizeof(b)));
}

/* Find a group 0000 element in a command set; bounded by its length. */
static int
cmd_get(const uint8_t *cmd, size_t len, uint16_t elem, const uint8_t **v,
    uint32_t *vlen)
{
	size_t		 off = 0;
	uint32_t	 n;

	while (len - off >= 8) {
		n = (uint32_t)cmd[off + 4] | (uint32_t)cmd[off + 5] << 8 |
		    (uint32_t)cmd[off + 6] << 16 | (uint32_t)cmd[off + 7] << 24;
		if (n > len - off - 8)
			return (-1);
		if (cmd[off] == 0 && cmd[off + 1] == 0 &&
		    (cmd[off + 2] | cmd[off + 3] << 8) == elem) {
			*v = cmd + off + 8;
			*vlen = n;
			return (0);
		}
		off += 8 + n;
	}
	return (-1);
}

/* Take a US value from the last command received. */
static uint16_t
cmd_get_us(const struct peer *pe, uint16_t elem)
{
	const uint8_t	*v;
	uint32_t	 n;

	assert_int_equal(cmd_get(pe->cmd, pe->cmdlen, elem, &v, &n), 0);
	assert_int_equal(n, 2);
	return ((uint16_t)(v[0] | v[1] << 8));
}

/*
 * Answer the last command with a success response: command field with
 * the response bit, the message ID it answers, no data set, status 0.
 * UIDs are padded to even length with a NUL, as DIMSE wants.
 */
static void
send_response(struct peer *pe, uint16_t field, const char *sop_class,
    const char *sop_instance)
{
	uint8_t		 cmd[512], gl[4], uid[66], pdu[600];
	struct pdu_pdv	 pdv;
	size_t		 off = 12, n;

	memset(uid, 0, sizeof(uid));
	n = strlen(sop_class);
	memcpy(uid, sop_class, n);
	off = cmd_put(cmd, off, 0x0002, uid, n + (n & 1));
	off = cmd_put_us(cmd, off, 0x0100, field);
	off = cmd_put_us(cmd, off, 0x0120, cmd_get_us(pe, 0x0110));
	off = cmd_put_us(cmd, off, 0x0800, 0x0101);
	off = cmd_put_us(cmd, off, 0x0900, 0x0000);
	if (sop_instance != NULL) {
		memset(uid, 0, sizeof(uid));
		n = strlen(sop_instance);
		memcpy(uid, sop_instance, n);
		off = cmd_put(cmd, off, 0x1000, uid, n + (n & 1));
	}
	n = off - 12;
	gl[0] = n & 0xff;
	gl[1] = (n >> 8) & 0xff;
	gl[2] = gl[3] = 0;
	(void)cmd_put(cmd, 0, 0x0000, gl, 4);
	pdv.pcid = pe->pcid;
	pdv.mch = PDU_MCH_COMMAND | PDU_MCH_LAST;
	pdv.data = cmd;
	pdv.len = off;
	send_pdu(pe, pdu, pdu_encode_pdata(pdu, sizeof(pdu), &pdv, 1));
}

/* Take the peer's A-RELEASE-RQ and answer it. */
static void
release(struct peer *pe)
{
	uint8_t	 buf[16];

	assert_int_equal(read_pdu(pe, PDU_PHASE_ASSOCIATED), PDU_OK);
	assert_int_equal(pe->pdu->type, PDU_RELEASE_RQ);
	send_pdu(pe, buf, pdu_encode_release_rp(buf, sizeof(buf)));
}

/* Tell whether the peer's output mentions a word, in any case. */
static int
log_has(const struct peer *pe, const char *word)
{
	char	 buf[8192];
	ssize_t	 n;
	size_t	 i, k, wl = strlen(word);
	int	 fd;

	if ((fd = open(pe->log, O_RDONLY)) == -1)
		return (0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (0);
	for (i = 0; i + wl <= (size_t)n; i++) {
		for (k = 0; k < wl; k++)
			if ((buf[i + k] | 0x20) != (word[k] | 0x20))
				break;
		if (k == wl)
			return (1);
	}
	return (0);
}

/* What every DCMTK RQ must say, whatever the tool. */
static void
assert_rq_common(const struct pdu_assoc *a, uint32_t max_length)
{
	const struct pdu_user_info	*ui = &a->ui;
	char				 ae[PDU_AE_LEN + 1];
	char				 uid[PDU_UID_MAX + 1];
	unsigned int			 i;

	assert_true(pdu_version_ok(a->protocol_version));
	assert_int_equal(pdu_ae_check(a->called_ae.p, a->called_ae.len),
	    PDU_AE_OK);
	assert_int_equal(pdu_ae_copy(ae, a->called_ae.p, a->called_ae.len),
	    PDU_OK);
	assert_string_equal(ae, CALLED_AE);
	assert_int_equal(pdu_ae_copy(ae, a->calling_ae.p, a->calling_ae.len),
	    PDU_OK);
	assert_string_equal(ae, CALLING_AE);
	assert_int_equal(pdu_uid_copy(uid, a->app_context.p,
	    a->app_context.len), PDU_OK);
	assert_string_equal(uid, PDU_APP_CONTEXT_NAME);
	assert_true(a->n_pctx >= 1);
	for (i = 0; i < a->n_pctx; i++) {
		assert_int_equal(a->pctx[i].id & 1, 1);
		assert_true(a->pctx[i].n_ts >= 1);
		assert_true(pdu_uid_valid(a->pctx[i].abstract_syntax.p,
		    a->pctx[i].abstract_syntax.len));
	}
	assert_true(ui->has_max_length);
	assert_int_equal(ui->max_length, max_length);
	assert_true(ui->has_impl_class_uid);
	assert_int_equal(pdu_uid_copy(uid, ui->impl_class_uid.p,
	    ui->impl_class_uid.len), PDU_OK);
	assert_true(pdu_uid_valid(uid, strlen(uid)));
	if (ui->has_impl_version) {
		assert_true(ui->impl_version.len >= 1);
		assert_true(ui->impl_version.len <= 16);
	}
	assert_int_equal(a->skipped, 0);
}

/*
 * Answer the RQ with an AC that accepts the first context proposing the
 * abstract syntax (with its first transfer syntax) and rejects the rest
 * with result 3, echoing their first transfer syntax.  The accepted ID
 * goes to *accepted.
 */
static void
accept_contexts(struct peer *pe, const char *abstract, uint8_t *accepted)
{
	const struct pdu_assoc	*rq = &pe->pdu->u.assoc;
	struct pdu_assoc	*ac;
	uint8_t			 buf[8192];
	unsigned int		 i;

	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		abort();
	*accepted = 0;
	ac->echo = rq->echo;
	ac->n_pctx = rq->n_pctx;
	for (i = 0; i < rq->n_pctx; i++) {
		ac->pctx[i].id = rq->pctx[i].id;
		ac->pctx[i].ts = rq->pctx[i].ts;
		if (*accepted == 0 &&
		    rq->pctx[i].abstract_syntax.len == strlen(abstract) &&
		    memcmp(rq->pctx[i].abstract_syntax.p, abstract,
		    strlen(abstract)) == 0)
			*accepted = rq->pctx[i].id;
		else
			ac->pctx[i].result =
			    PDU_PCTX_ABSTRACT_SYNTAX_NOT_SUPPORTED;
	}
	ac->ui.has_max_length = 1;
	ac->ui.max_length = 16384;
	ac->ui.has_impl_class_uid = 1;
	ac->ui.impl_class_uid.p = (const uint8_t *)OUR_IMPL_UID;
	ac->ui.impl_class_uid.len = strlen(OUR_IMPL_UID);
	ac->ui.has_impl_version = 1;
	ac->ui.impl_version.p = (const uint8_t *)"PDU_PEER_TEST";
	ac->ui.impl_version.len = strlen("PDU_PEER_TEST");
	assert_int_not_equal(*accepted, 0);
	send_pdu(pe, buf, pdu_encode_assoc_ac(buf, sizeof(buf), ac));
	free(ac);
}

/*
 * echoscu: its RQ decodes field by field (one Verification context,
 * Implicit VR LE, the default maximum length 16384); our AC, our C-ECHO
 * response and our RELEASE-RP are taken, so echoscu exits 0.
 */
static void
test_pdu_peer_echoscu_rq_decodes_and_echo_succeeds(void **state)
{
	char *const	 argv[] = { "echoscu", "-aet", CALLING_AE, "-aec",
			    CALLED_AE, "-to", "20", "-ta", "20", "-td", "20",
			    "127.0.0.1", "PORT", NULL };
	struct peer	*pe = *state;
	struct pdu_assoc *a;
	const uint8_t	*v;
	uint32_t	 n;
	int		 status;

	peer_start(pe, argv);
	assert_int_equal(read_pdu(pe, PDU_PHASE_AWAIT_RQ), PDU_OK);
	assert_int_equal(pe->pdu->type, PDU_ASSOC_RQ);
	a = &pe->pdu->u.assoc;
	assert_rq_common(a, 16384);
	assert_int_equal(a->n_pctx, 1);
	assert_int_equal(a->pctx[0].id, 1);
	assert_int_equal(a->pctx[0].abstract_syntax.len, strlen(VERIFICATION));
	assert_memory_equal(a->pctx[0].abstract_syntax.p, VERIFICATION,
	    strlen(VERIFICATION));
	assert_int_equal(a->pctx[0].ts.len, strlen(IMPLICIT_LE));
	assert_memory_equal(a->pctx[0].ts.p, IMPLICIT_LE,
	    strlen(IMPLICIT_LE));
	assert_int_equal(a->ui.n_roles, 0);
	assert_false(a->ui.has_user_identity);

	accept_contexts(pe, VERIFICATION, &pe->pcid);
	read_message(pe);
	assert_int_equal(pe->pcid, 1);
	assert_int_equal(cmd_get_us(pe, 0x0100), 0x0030);	/* C-ECHO-RQ */
	assert_int_equal(cmd_get(pe->cmd, pe->cmdlen, 0x0002, &v, &n), 0);
	assert_true(n >= strlen(VERIFICATION));
	assert_memory_equal(v, VERIFICATION, strlen(VERIFICATION));
	send_response(pe, 0x8030, VERIFICATION, NULL);
	release(pe);
	peer_finish(pe, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* echoscu refused with our A-ASSOCIATE-RJ gives up and says why. */
static void
test_pdu_peer_echoscu_takes_our_reject(void **state)
{
	char *const	 argv[] = { "echoscu", "-aet", CALLING_AE, "-aec",
			    CALLED_AE, "-to", "20", "-ta", "20",
			    "127.0.0.1", "PORT", NULL };
	struct peer	*pe = *state;
	uint8_t		 buf[16];
	int		 status;

	peer_start(pe, argv);
	assert_int_equal(read_pdu(pe, PDU_PHASE_AWAIT_RQ), PDU_OK);
	assert_int_equal(pe->pdu->type, PDU_ASSOC_RQ);
	assert_rq_common(&pe->pdu->u.assoc, 16384);
	send_pdu(pe, buf, pdu_encode_assoc_rj(buf, sizeof(buf),
	    PDU_RJ_PERMANENT, PDU_RJ_SOURCE_USER,
	    PDU_RJ_USER_CALLED_AE_NOT_RECOGNIZED));
	peer_finish(pe, &status);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 0);
	assert_true(log_has(pe, "reject"));
}

/*
 * storescu with a file it was given and -pdu 32768: without -R it
 * proposes its whole list of storage classes, 128 contexts, each with
 * the file's SOP class among them.  Our AC accepts only that one; the
 * C-STORE arrives on it, and our response and RELEASE-RP end it with 0.
 */
static void
test_pdu_peer_storescu_rq_decodes_and_store_succeeds(void **state)
{
	static const char dump[] =
	    "(0008,0016) UI [" SC_STORAGE "]\n"
	    "(0008,0018) UI [" SC_INSTANCE "]\n"
	    "(0008,0060) CS [OT]\n"
	    "(0010,0010) PN [Test^Peer]\n"
	    "(0020,000d) UI [1.2.826.0.1.3680043.9.7433.9.2]\n"
	    "(0020,000e) UI [1.2.826.0.1.3680043.9.7433.9.3]\n";
	struct peer	*pe = *state;
	struct pdu_assoc *a;
	char		 dumpf[128], dcmf[128];
	char		*dump2dcm[] = { "dump2dcm", "+te", dumpf, dcmf, NULL };
	char *const	 argv[] = { "storescu", "-aet", CALLING_AE, "-aec",
			    CALLED_AE, "-pdu", "32768", "-to", "20", "-ta",
			    "20", "-td", "20", "127.0.0.1", "PORT", dcmf,
			    NULL };
	const uint8_t	*v;
	uint32_t	 n;
	unsigned int	 i, found = 0;
	pid_t		 pid;
	int		 fd, status;

	if (!in_path("storescu") || !in_path("dump2dcm"))
		skip();
	snprintf(dumpf, sizeof(dumpf), "%s/sc.dump", pe->dir);
	snprintf(dcmf, sizeof(dcmf), "%s/sc.dcm", pe->dir);
	assert_true((fd = open(dumpf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
	    -1);
	assert_int_equal(write(fd, dump, strlen(dump)), strlen(dump));
	close(fd);
	assert_true((pid = spawn(dump2dcm, pe->log)) > 0);
	assert_int_equal(wait_child(pid, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	peer_start(pe, argv);
	assert_int_equal(read_pdu(pe, PDU_PHASE_AWAIT_RQ), PDU_OK);
	assert_int_equal(pe->pdu->type, PDU_ASSOC_RQ);
	a = &pe->pdu->u.assoc;
	assert_rq_common(a, 32768);
	assert_int_equal(a->n_pctx, PDU_MAX_PCTX);
	for (i = 0; i < a->n_pctx; i++) {
		assert_int_equal(a->pctx[i].id, 2 * i + 1);
		if (a->pctx[i].abstract_syntax.len == strlen(SC_STORAGE) &&
		    memcmp(a->pctx[i].abstract_syntax.p, SC_STORAGE,
		    strlen(SC_STORAGE)) == 0)
			found++;
	}
	assert_true(found >= 1);

	accept_contexts(pe, SC_STORAGE, &pe->pcid);
	i = pe->pcid;
	read_message(pe);
	assert_int_equal(pe->pcid, i);
	assert_int_equal(cmd_get_us(pe, 0x0100), 0x0001);	/* C-STORE-RQ */
	assert_int_equal(cmd_get(pe->cmd, pe->cmdlen, 0x1000, &v, &n), 0);
	assert_true(n >= strlen(SC_INSTANCE));
	assert_memory_equal(v, SC_INSTANCE, strlen(SC_INSTANCE));
	assert_true(pe->datalen > strlen(SC_INSTANCE));
	send_response(pe, 0x8001, SC_STORAGE, SC_INSTANCE);
	release(pe);
	peer_finish(pe, &status);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Make a scratch directory in the build tree for one test. */
static int
setup(void **state)
{
	struct peer	*pe;

	if ((pe = calloc(1, sizeof(*pe))) == NULL)
		return (-1);
	strlcpy(pe->dir, "pdu_peer.XXXXXX", sizeof(pe->dir));
	if (mkdtemp(pe->dir) == NULL) {
		free(pe);
		return (-1);
	}
	snprintf(pe->log, sizeof(pe->log), "%s/peer.log", pe->dir);
	pe->lfd = pe->fd = -1;
	pe->pid = -1;
	*state = pe;
	return (0);
}

/* End the test's peer if needed and remove its scratch files. */
static int
teardown(void **state)
{
	struct peer	*pe = *state;
	char		 path[128];
	static const char *const files[] = { "peer.log", "sc.dump",
			    "sc.dcm" };
	size_t		 i;

	if (pe->pid > 0 || pe->fd != -1 || pe->lfd != -1 ||
	    pe->pdu != NULL)
		peer_cleanup(pe);
	for (i = 0; i < nitems(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", pe->dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(pe->dir);
	free(pe);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_pdu_peer_echoscu_rq_decodes_and_echo_succeeds,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pdu_peer_echoscu_takes_our_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pdu_peer_storescu_rq_decodes_and_store_succeeds,
		    setup, teardown),
	};

	if (!in_path("echoscu")) {
		fprintf(stderr, "echoscu not installed: skipped\n");
		return (77);
	}
	return (cmocka_run_group_tests_name("pdu_peer", tests, NULL, NULL));
}
