/*
 * serve.c: one worker path, three launchers (STYLE.md 3).  The master
 * forks workers; -i serves the connection inetd, xinetd, tcpserver or
 * systemd (Accept=yes) put on fds 0 and 1; -d accepts one connection and
 * serves it in the foreground.  All three drop privileges before the
 * worker reads its first byte.
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fault.h"
#include "handler.h"
#include "listen.h"
#include "log.h"
#include "privsep.h"
#include "proctitle.h"
#include "serve.h"
#include "worker.h"

#define SERVE_PREFAULT	(32 * 1024)	/* stack and heap a spare touches */

/* The write end of the worker's self-pipe. */
static int	 serve_sigpipe = -1;

static void	 serve_sighandler(int);
static void	 serve_mask_stop(int);

/*
 * Point the logger at logging.target (stderr when forced by -e or -d)
 * with logging.level raised by verbose.  Returns -1 with errno set when
 * the log file cannot be opened.
 */
int
serve_log(const struct dul_conf *c, int force_stderr, int verbose)
{
	int	 to;

	switch (c->logging.target) {
	case CONF_LOG_FILE:
		to = LOG_TO_FILE;
		break;
	case CONF_LOG_SYSLOG:
		to = LOG_TO_SYSLOG;
		break;
	default:
		to = LOG_TO_STDERR;
		break;
	}
	if (force_stderr)
		to = LOG_TO_STDERR;
	if (log_target(to, c->logging.file, c->logging.facility) == -1)
		return (-1);
	log_setverbose((int)c->logging.level - CONF_LEVEL_INFO + verbose);
	return (0);
}

/* Fill a worker's parameters from the configuration. */
void
serve_params(struct worker_params *p, const struct dul_conf *c,
    struct handler *h)
{
	worker_params_default(p);
	p->to.artim = c->timeouts.artim;
	p->to.idle = c->timeouts.idle;
	p->to.su = c->timeouts.handler;
	p->to.send = c->timeouts.send;
	p->to.release = c->timeouts.release;
	p->to.pdu = c->timeouts.pdu;
	p->to.association = c->timeouts.association;
	p->max_pdu_receive = c->network.max_pdu_receive;
	p->max_pdu_send = c->network.max_pdu_send;
	p->max_rq_pdu = c->network.max_rq_pdu;
	p->impl_class_uid = c->network.implementation_class_uid;
	p->impl_version = c->network.implementation_version;
	p->shutdown_grace = (uint32_t)c->server.shutdown_grace;
	p->no_summary = !c->logging.association_summary;
	p->pdu_trace = c->logging.pdu_trace;
	p->log_idle = c->logging.log_idle_connects;
	handler_init(h, c);
	p->policy.route = handler_policy_route;
	p->policy.ctx = h;
	p->su = &handler_su_ops;
	p->su_ctx = h;
}

/* Pass a signal to the worker's loop as one byte on its pipe. */
static void
serve_sighandler(int sig)
{
	int	 saved = errno;
	uint8_t	 b = sig == SIGINT ? SIGTERM : (uint8_t)sig;

	(void)!write(serve_sigpipe, &b, 1);
	errno = saved;
}

/*
 * Set a worker's signals (design decision 9): SIGTERM aborts the
 * association and SIGUSR2 announces a drain, both through a self-pipe
 * whose read end is returned; SIGINT, SIGHUP, SIGUSR1 and SIGPIPE are
 * ignored, except that under -d (debug) SIGINT aborts like SIGTERM.
 * Everything else the master had is back at its default.
 */
int
serve_signals(int debug)
{
	struct sigaction	 sa;
	int			 p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	serve_sigpipe = p[1];
	memset(&sa, 0, sizeof(sa));
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = serve_sighandler;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	if (debug)
		sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	if (!debug)
		sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	return (p[0]);
}

/*
 * A spare worker (server.spare_workers) set up by serve_signals(): while
 * it waits for a connection (idle), SIGTERM ends it at once and SIGUSR2
 * is ignored, so that nothing reaches the self-pipe before there is an
 * association; once it has one, both are caught as in any worker.  Call
 * with every signal blocked.
 */
void
serve_spare_signals(int idle)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = idle ? SIG_DFL : serve_sighandler;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = idle ? SIG_IGN : serve_sighandler;
	sigaction(SIGUSR2, &sa, NULL);
}

/*
 * A spare worker, before it has a connection: take now the page faults a
 * new worker takes on its first steps in the stack below the master's
 * and in heap pages the allocator will hand out, so that they no longer
 * lie between accept() and the A-ASSOCIATE-AC.
 */
void
serve_prefault(void)
{
	volatile uint8_t	 stack[SERVE_PREFAULT];
	size_t			 pg, i;
	void			*heap;
	long			 l;

	pg = (l = sysconf(_SC_PAGESIZE)) > 0 ? (size_t)l : 4096;
	for (i = 0; i < sizeof(stack); i += pg)
		stack[i] = 0;
	if ((heap = malloc(SERVE_PREFAULT)) != NULL) {
		for (i = 0; i < SERVE_PREFAULT; i += pg)
			((volatile uint8_t *)heap)[i] = 0;
		free(heap);
	}
}

/*
 * Return 0 if fd is a connected stream socket, as -i needs; else -1,
 * having said what it is instead.
 */
static int
serve_is_connection(int fd)
{
	socklen_t	 len;
	int		 type = 0, listening = 0;

	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		if (errno == ENOTSOCK)
			log_errorx("-i: standard input is not a socket: -i "
			    "serves the connection that inetd, a UCSPI server "
			    "or systemd (Accept=yes) puts on descriptor 0");
		else
			log_error("-i: standard input");
		return (-1);
	}
	len = sizeof(listening);
	if (type != SOCK_STREAM || (getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &listening, &len) == 0 && listening)) {
		log_errorx("-i: standard input is a %s, not a connection "
		    "(inetd \"nowait\", systemd Accept=yes)",
		    type != SOCK_STREAM ? "datagram socket" :
		    "listening socket");
		return (-1);
	}
	return (0);
}

/* Block or unblock (how) SIGTERM and SIGUSR2. */
static void
serve_mask_stop(int how)
{
	sigset_t	 set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR2);
	sigprocmask(how, &set, NULL);
}

/*
 * -i: hold back SIGTERM and SIGUSR2 until serve_signals() catches them,
 * so that a supervisor's signal during start-up still ends with an abort
 * and a summary line rather than killing the worker outright.
 */
void
serve_hold_signals(void)
{
	serve_mask_stop(SIG_BLOCK);
}

/* Let SIGTERM and SIGUSR2 through again (held or caught by now). */
void
serve_release_signals(void)
{
	serve_mask_stop(SIG_UNBLOCK);
}

/* Return whether two descriptors are the same open file. */
static int
serve_same_file(int a, int b)
{
	struct stat	 sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return (0);
	return (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/*
 * -i: serve the one connection on fd 0.  The socket moves to a high
 * descriptor and fds 0 and 1 point at /dev/null.  fd 2 stays for logging
 * only when it is not the socket itself (inetd hands the socket on 0, 1
 * and 2; systemd's StandardError=journal does not): otherwise log lines
 * would reach the peer, so they go to syslog instead.
 */
int
serve_inetd(const struct dul_conf *c, const struct privsep_id *ids)
{
	struct worker_params	 p;
	struct handler		 h;
	int			 fd, null, sigfd;

	if ((fd = fcntl(0, F_DUPFD_CLOEXEC, 10)) == -1) {
		log_error("-i: fd 0");
		return (DUL_EXIT_SYSTEM);
	}
	if (serve_is_connection(fd) == -1)
		return (DUL_EXIT_SYSTEM);
	/* Early, so that a supervisor's SIGTERM finds its handler. */
	if ((sigfd = serve_signals(0)) == -1) {
		log_error("signal pipe");
		return (DUL_EXIT_SYSTEM);
	}
	serve_release_signals();
	if ((null = open("/dev/null", O_RDWR)) == -1) {
		log_error("/dev/null");
		return (DUL_EXIT_SYSTEM);
	}
	if (serve_same_file(2, fd) || fcntl(2, F_GETFD) == -1) {
		log_target(LOG_TO_SYSLOG, NULL, c->logging.facility);
		dup2(null, 2);
	} else if (c->logging.target != CONF_LOG_STDERR)
		dup2(null, 2);
	dup2(null, 0);
	dup2(null, 1);
	if (null > 2)
		close(null);
	log_procinit("worker");
	if (privsep_drop(ids) == -1) {
		log_error("cannot drop privileges to user %s", ids->user);
		return (WORKER_EXIT_INTERNAL);
	}
	proctitle_set("worker (inetd)");
	serve_params(&p, c, &h);
	p.sigfd = sigfd;
	return (worker_run(&p, fd));
}

/*
 * Raise this process's OOM score adjustment by adj (capped at 1000), so
 * that the kernel's OOM killer picks a worker (and its handler, which
 * inherits it) before the master.  Raising one's own needs no privilege;
 * without /proc it is skipped.
 */
void
serve_oom_adjust(int adj)
{
	char	 buf[16];
	ssize_t	 n;
	int	 fd, cur;

	if ((fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC)) ==
	    -1)
		return;
	if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		cur = atoi(buf);
		if (cur < 1000) {
			cur = cur > 1000 - adj ? 1000 : cur + adj;
			n = snprintf(buf, sizeof(buf), "%d\n", cur);
			if (lseek(fd, 0, SEEK_SET) == -1 ||
			    write(fd, buf, (size_t)n) != n)
				log_debug("oom_score_adj: %s", strerror(errno));
		}
	}
	close(fd);
}

/*
 * -d: wait for one connection on any listener, close them all, and serve
 * that connection in this process, logging on stderr.
 */
int
serve_debug(const struct dul_conf *c, const struct privsep_id *ids,
    struct listen_set *ls)
{
	struct worker_params	 p;
	struct handler		 h;
	struct pollfd		 pfd[LISTEN_SD_MAX];
	size_t			 i, n;
	int			 fd = -1, sigfd;

	n = ls->n < nitems(pfd) ? ls->n : nitems(pfd);
	for (i = 0; i < n; i++) {
		log_info("debug: waiting for one connection on %s",
		    ls->l[i].name);
		pfd[i].fd = ls->l[i].fd;
		pfd[i].events = POLLIN;
	}
	while (fd == -1) {
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("poll");
			return (DUL_EXIT_SYSTEM);
		}
		for (i = 0; i < n && fd == -1; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = fault_accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd == -1 && errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				log_error("accept");
				return (DUL_EXIT_SYSTEM);
			}
		}
	}
	listen_close(ls);
	if ((sigfd = serve_signals(1)) == -1) {
		log_error("signal pipe");
		return (DUL_EXIT_SYSTEM);
	}
	log_procinit("worker");
	if (privsep_drop(ids) == -1) {
		log_error("cannot drop privileges to user %s", ids->user);
		return (WORKER_EXIT_INTERNAL);
	}
	proctitle_set("worker (debug)");
	serve_params(&p, c, &h);
	p.sigfd = sigfd;
	return (worker_run(&p, fd));
}
