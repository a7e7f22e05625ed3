/*
 * fake_worker.c: plays the worker's side of the handler protocol against
 * a real handler program, from a fixed script, and checks every answer.
 *
 *	fake_worker -s scenario [-r root] [-c calling-ae] [-D status]
 *	    -- handler [arg ...]
 *
 * It makes the two pipes, starts the handler with them on fds 3 and 4
 * and the DUL_* environment, then speaks frames built with the worker's
 * own codec (hipc.c).  For the store scenario it also finds each stored
 * file under the root, checks its file meta and that the data set bytes
 * are those it sent, and prints the file's path on stdout (one per line)
 * for the calling script to hand to dcmdump.  Every wait has a deadline.
 * Exit status 0 means every check passed.
 */

#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hipc.h"
#include "io.h"
#include "fake_dicom.h"
#include "fake_worker.h"

#define FW_WAIT_MS	30000	/* any one answer (sanitizers, Python) */
#define FW_EXIT_MS	30000	/* the handler's exit after EOF */

static const char *fw_env_pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS",
    "LSAN_OPTIONS", "PYTHONPATH" };

/* Report a failed check and count it. */
void
fw_fail(struct fw *fw, const char *fmt, ...)
{
	va_list	 ap;

	fw->failures++;
	fprintf(stderr, "fake_worker: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Start the handler with the pipes on fds 3 and 4 and a clean env. */
static int
fw_spawn(struct fw *fw, char **argv)
{
	char	*env[16], buf[sizeof(fw_env_pass) / sizeof(char *)][512];
	int	 w2h[2], h2w[2], n = 0, in, out, nul;
	size_t	 i;
	char	*v;

	if (pipe(w2h) == -1 || pipe(h2w) == -1)
		return (-1);
	env[n++] = "DUL_PROTOCOL=1";
	env[n++] = "DUL_FD_IN=3";
	env[n++] = "DUL_FD_OUT=4";
	env[n++] = "DUL_ASSOC_ID=20260101T000000Z-fake01";
	env[n++] = "DUL_CALLED_AE=STORESCP";
	env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	/* A read-only source tree must not grow __pycache__ directories. */
	env[n++] = "PYTHONDONTWRITEBYTECODE=1";
	for (i = 0; i < nitems(fw_env_pass); i++) {
		if ((v = getenv(fw_env_pass[i])) == NULL)
			continue;
		snprintf(buf[i], sizeof(buf[i]), "%s=%s", fw_env_pass[i], v);
		env[n++] = buf[i];
	}
	env[n] = NULL;

	if ((fw->pid = fork()) == -1)
		return (-1);
	if (fw->pid == 0) {
		/* Move the ends above 10 first: they may sit on 3 or 4. */
		in = fcntl(w2h[0], F_DUPFD, 10);
		out = fcntl(h2w[1], F_DUPFD, 10);
		nul = open("/dev/null", O_RDONLY);
		if (in == -1 || out == -1 || nul == -1 ||
		    dup2(nul, 0) == -1 || dup2(in, 3) == -1 ||
		    dup2(out, 4) == -1)
			_exit(127);
		closefrom(5);
		execve(argv[0], argv, env);
		fprintf(stderr, "fake_worker: exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(w2h[0]);
	close(h2w[1]);
	fw->to_h = w2h[1];
	fw->from_h = h2w[0];
	io_set_cloexec(fw->to_h);
	io_set_cloexec(fw->from_h);
	return (0);
}

/* Encode and send one message. */
void
fw_send(struct fw *fw, const struct hipc_msg *m)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rc;

	if (hipc_encode(m, NULL, 0, &len) != HIPC_ERR_SPACE ||
	    (buf = malloc(len)) == NULL) {
		fw_fail(fw, "cannot encode %s", hipc_type_name(m->type));
		return;
	}
	if ((rc = hipc_encode(m, buf, len, &len)) != HIPC_OK)
		fw_fail(fw, "encode %s: %s", hipc_type_name(m->type),
		    hipc_strerror(rc));
	else if (io_write(fw->to_h, buf, len, io_now() + FW_WAIT_MS) == -1)
		fw_fail(fw, "write %s: %s", hipc_type_name(m->type),
		    strerror(errno));
	free(buf);
}

/* Read exactly n bytes before the deadline: 0, 1 at EOF, -1 otherwise. */
static int
fw_read(struct fw *fw, void *p, size_t n, uint64_t deadline)
{
	struct pollfd	 pfd;
	uint8_t		*q = p;
	size_t		 got = 0;
	ssize_t		 r;
	int		 t;

	while (got < n) {
		pfd.fd = fw->from_h;
		pfd.events = POLLIN;
		if ((t = io_timeout(deadline, io_now())) == 0)
			return (-1);
		if (poll(&pfd, 1, t) == -1 && errno != EINTR)
			return (-1);
		if ((r = read(fw->from_h, q + got, n - got)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return (-1);
		}
		if (r == 0)
			return (got == 0 ? 1 : -1);
		got += (size_t)r;
	}
	return (0);
}

/*
 * Receive and decode the next frame; the views point into fw->body.
 * Returns the type, 0 at EOF, or -1 (a failure has been counted).
 */
int
fw_recv(struct fw *fw, struct hipc_msg *m)
{
	uint8_t		 hdr[HIPC_HDR_LEN];
	struct hipc_hdr	 h;
	uint64_t	 deadline = io_now() + FW_WAIT_MS;
	size_t		 need;
	int		 rc;

	if ((rc = fw_read(fw, hdr, sizeof(hdr), deadline)) == 1)
		return (0);
	if (rc == -1) {
		fw_fail(fw, "no frame from the handler in time");
		return (-1);
	}
	if ((rc = hipc_hdr_check(hdr, HIPC_H2W, HIPC_LIMIT_MAX, &h)) != 0) {
		fw_fail(fw, "bad frame header: %s", hipc_strerror(rc));
		return (-1);
	}
	free(fw->body);
	if ((fw->body = malloc(h.len + 1)) == NULL ||
	    fw_read(fw, fw->body, h.len, deadline) != 0) {
		fw_fail(fw, "short %s body", hipc_type_name(h.type));
		return (-1);
	}
	rc = hipc_decode(h.type, fw->body, h.len, m, fw->arena,
	    sizeof(fw->arena), &need);
	if (rc != HIPC_OK) {
		fw_fail(fw, "bad %s body: %s", hipc_type_name(h.type),
		    hipc_strerror(rc));
		return (-1);
	}
	return (h.type);
}

/* Receive one frame and require its type. */
int
fw_expect(struct fw *fw, int type, struct hipc_msg *m)
{
	int	 got;

	if ((got = fw_recv(fw, m)) == type)
		return (0);
	if (got >= 0)
		fw_fail(fw, "expected %s, got %s", hipc_type_name(type),
		    got == 0 ? "EOF" : hipc_type_name(got));
	return (-1);
}

/* Send a message that has no items. */
void
fw_send_empty(struct fw *fw, enum hipc_type type)
{
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	fw_send(fw, &m);
}

/* Append one PDV item to a PDATA body. */
void
fw_pdv(struct fbuf *body, uint8_t pcid, int cmd, int last, const void *p,
    size_t n)
{
	uint8_t	 hdr[HIPC_PDV_HDR_LEN];

	hipc_pdv_hdr_put(hdr, pcid, (cmd ? 0x01 : 0) | (last ? 0x02 : 0),
	    (uint32_t)n);
	fbuf_put(body, hdr, sizeof(hdr));
	fbuf_put(body, p, n);
}

/* Send a PDATA_IND made of the PDV items in body, then empty body. */
void
fw_pdata(struct fw *fw, struct fbuf *body)
{
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_PDATA_IND;
	m.u.pdata.pdvs = body->b;
	m.u.pdata.len = body->len;
	fw_send(fw, &m);
	body->len = 0;
}

/*
 * Collect one response command set from PDATA_REQ frames on pcid and
 * read it.  Returns 0, or -1 with a failure counted.
 */
int
fw_response(struct fw *fw, uint8_t pcid, struct frsp *r)
{
	struct hipc_msg		 m;
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 p;
	struct fbuf		 cmd = { 0 };
	int			 last = 0, rc = -1, i;

	for (i = 0; i < 64 && !last; i++) {
		if (fw_expect(fw, HIPC_PDATA_REQ, &m) == -1)
			goto out;
		hipc_pdv_begin(&it, &m.u.pdata);
		while (!last && hipc_pdv_next(&it, &p) == 1) {
			if (p.pcid != pcid || !(p.mch & 0x01)) {
				fw_fail(fw, "response PDV on context %u, "
				    "mch 0x%02x", p.pcid, p.mch);
				goto out;
			}
			fbuf_put(&cmd, p.data, p.len);
			last = (p.mch & 0x02) != 0;
		}
	}
	if (!last || fd_parse_rsp(cmd.b, cmd.len, r) == -1) {
		fw_fail(fw, "malformed response command set");
		goto out;
	}
	if (r->data_set_type != 0x0101)
		fw_fail(fw, "response announces a data set");
	rc = 0;
out:
	fbuf_free(&cmd);
	return (rc);
}

/* Check a response's command field, message id and status. */
void
fw_check_rsp(struct fw *fw, const struct frsp *r, uint16_t field,
    uint16_t msg_id, uint16_t status)
{
	if (r->command_field != field || r->msg_id_rsp != msg_id ||
	    r->status != status)
		fw_fail(fw, "response 0x%04x to %u status 0x%04x, wanted "
		    "0x%04x to %u status 0x%04x", r->command_field,
		    r->msg_id_rsp, r->status, field, msg_id, status);
}

/* HELLO, HELLO_REPLY: the handler must pick version 1. */
int
fw_hello(struct fw *fw, uint16_t vmin, uint16_t vmax)
{
	struct hipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_HELLO;
	m.u.hello.version_min = vmin;
	m.u.hello.version_max = vmax;
	m.u.hello.software.p = (const uint8_t *)"dulserverd/0.1.0";
	m.u.hello.software.len = 16;
	m.u.hello.assoc_id.p = (const uint8_t *)"20260101T000000Z-fake01";
	m.u.hello.assoc_id.len = 23;
	m.u.hello.max_w2h = HIPC_LIMIT_MIN;
	m.u.hello.max_h2w = 1u << 20;
	fw_send(fw, &m);
	if (vmin > HIPC_VERSION) {
		if (fw_expect(fw, HIPC_ERROR, &m) == 0 &&
		    m.u.error.code != HIPC_ECODE_VERSION)
			fw_fail(fw, "ERROR code %u, wanted %u",
			    m.u.error.code, HIPC_ECODE_VERSION);
		return (0);
	}
	if (fw_expect(fw, HIPC_HELLO_REPLY, &m) == -1)
		return (-1);
	if (m.u.hello_reply.version != 1) {
		fw_fail(fw, "handler chose version %u",
		    m.u.hello_reply.version);
		return (-1);
	}
	return (0);
}

#define VIEW(s)	((struct hipc_view){ (const uint8_t *)(s), strlen(s) })

/*
 * Send an ASSOC_IND with the given contexts and, unless decided, take
 * the ASSOC_RSP and check it against the indication.
 */
int
fw_assoc(struct fw *fw, const struct fw_pc *pcs, size_t npc, int decided)
{
	struct hipc_msg		 m, r;
	struct hipc_assoc_ind	*a = &m.u.assoc_ind;
	struct hipc_pctx	 pc[8];
	struct hipc_view	 ts[8];
	char			 raw_calling[17];
	size_t			 i;
	int			 rc;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_IND;
	snprintf(raw_calling, sizeof(raw_calling), "%-16s", fw->calling);
	a->app_context = VIEW("1.2.840.10008.3.1.1.1");
	a->calling_ae = VIEW(fw->calling);
	a->called_ae = VIEW("STORESCP");
	a->calling_ae_raw = VIEW(raw_calling);
	a->called_ae_raw = VIEW("STORESCP        ");
	a->peer_addr = VIEW("127.0.0.1");
	a->peer_port = 40000;
	a->local_addr = VIEW("127.0.0.1");
	a->local_port = 11112;
	a->assoc_id = VIEW("20260101T000000Z-fake01");
	a->peer_max_pdu = 16384;
	a->peer_impl_uid = VIEW(FD_TEST_ROOT ".1");
	memset(pc, 0, sizeof(pc));
	for (i = 0; i < npc && i < nitems(pc); i++) {
		ts[i] = VIEW(pcs[i].ts);
		pc[i].id = pcs[i].id;
		pc[i].abstract = VIEW(pcs[i].abstract);
		pc[i].ts = &ts[i];
		pc[i].nts = 1;
		pc[i].result = pcs[i].result;
		if (pcs[i].result == 0)
			pc[i].result_ts = ts[i];
	}
	a->pctx = pc;
	a->npctx = i;
	a->our_max_pdu = 16384;
	a->our_impl_uid = VIEW("2.25.37702220845173676206920092856050917640.1");
	a->decided = (uint8_t)decided;
	fw_send(fw, &m);
	if (decided)
		return (0);
	if (fw_expect(fw, HIPC_ASSOC_RSP, &r) == -1)
		return (-1);
	if (r.u.assoc_rsp.decision == HIPC_DECISION_REJECT) {
		fw_fail(fw, "handler rejected the association");
		return (-1);
	}
	if ((rc = hipc_assoc_rsp_check(a, &r.u.assoc_rsp)) != HIPC_OK) {
		fw_fail(fw, "ASSOC_RSP: %s", hipc_strerror(rc));
		return (-1);
	}
	return (0);
}

/*
 * End the association: RELEASE_IND, RELEASE_RSP, close fd 3, expect EOF
 * and the handler's exit.  Returns its wait status, or -1.
 */
int
fw_release(struct fw *fw)
{
	struct hipc_msg	 m;

	fw_send_empty(fw, HIPC_RELEASE_IND);
	(void)fw_expect(fw, HIPC_RELEASE_RSP, &m);
	return (fw_end(fw));
}

/* Close our side, expect EOF and reap the handler within the deadline. */
int
fw_end(struct fw *fw)
{
	struct hipc_msg	 m;
	uint64_t	 deadline;
	pid_t		 r;
	int		 st, got;

	if (fw->to_h != -1) {
		close(fw->to_h);
		fw->to_h = -1;
	}
	if ((got = fw_recv(fw, &m)) > 0)
		fw_fail(fw, "unexpected %s after the end",
		    hipc_type_name(got));
	deadline = io_now() + FW_EXIT_MS;
	while ((r = waitpid(fw->pid, &st, WNOHANG)) == 0) {
		if (io_timeout(deadline, io_now()) == 0) {
			fw_fail(fw, "handler did not exit");
			kill(fw->pid, SIGKILL);
			(void)waitpid(fw->pid, &st, 0);
			return (-1);
		}
		(void)poll(NULL, 0, 20);
	}
	if (r == -1)
		return (-1);
	fw->pid = -1;
	return (st);
}

/* Say how to call us. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: fake_worker -s echo|store|toolarge|seq|abort|"
	    "decided|version\n\t[-r root] [-c calling] [-D status] -- "
	    "handler [arg ...]\n");
	exit(2);
}

/* Run one scenario against the handler named on the command line. */
int
main(int argc, char *argv[])
{
	struct fw	 fw;
	const char	*scenario = NULL;
	int		 ch, st;

	memset(&fw, 0, sizeof(fw));
	fw.pid = -1;
	fw.calling = "FAKE_SCU";
	fw.dup_status = 0x0000;
	while ((ch = getopt(argc, argv, "s:r:c:D:")) != -1) {
		switch (ch) {
		case 's':
			scenario = optarg;
			break;
		case 'r':
			fw.root = optarg;
			break;
		case 'c':
			fw.calling = optarg;
			break;
		case 'D':
			fw.dup_status = (uint16_t)strtoul(optarg, NULL, 16);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (scenario == NULL || argc < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (fw_spawn(&fw, argv) == -1) {
		perror("fake_worker: spawn");
		return (1);
	}
	st = fw_scenario(&fw, scenario);
	if (fw.pid != -1) {
		kill(fw.pid, SIGKILL);
		(void)waitpid(fw.pid, NULL, 0);
	}
	free(fw.body);
	if (st != 0 || fw.failures > 0) {
		fprintf(stderr, "fake_worker: %s: %d failure(s)\n", scenario,
		    fw.failures + (st != 0 && fw.failures == 0));
		return (1);
	}
	return (0);
}
