/*
 * handler_spawn.c: start a handler process and take it down again
 * (design 8.1 and 8.7): fds 3 and 4, a cleared environment, its own
 * process group, default signals, and EOF, SIGTERM, SIGKILL on deadlines.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#ifdef HAVE_SYS_PIDFD_H
#include <sys/pidfd.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fault.h"
#include "handler.h"
#include "handler_int.h"
#include "io.h"
#include "log.h"
#include "worker.h"

#define ENV_MAX		64
#define REAP_TICK	10	/* ms between waitpid()s without a pidfd */
#define NOFILE_SOFT	1024	/* FD_SETSIZE: select() works below it */

static int	env_add(char **, size_t *, const char *, const char *);
static __dead void spawn_child(struct handler *, char **, char **, int[5],
		    volatile int *);
static pid_t	spawn_vfork(struct handler *, char **, char **, int[5],
		    volatile int *);

/* Append NAME=value to an environment array. */
static int
env_add(char **env, size_t *n, const char *name, const char *value)
{
	if (*n + 1 >= ENV_MAX)
		return (-1);
	if (asprintf(&env[*n], "%s=%s", name, value) == -1)
		return (-1);
	(*n)++;
	env[*n] = NULL;
	return (0);
}

/*
 * In the child of vfork(), which runs in the worker's memory until it
 * executes: put the pipes on fds 0 to 4, reset what a process inherits,
 * and exec.  fds[] holds, in order, /dev/null, the log pipes for stdout
 * and stderr, fd 3 and fd 4.  Only system calls happen here, nothing
 * that allocates or takes a lock; the signal dispositions are the
 * child's own (vfork shares memory, not them), and every signal stays
 * blocked until each is back at its default, so none of the worker's
 * handlers can run here.  Why exec failed is left in *err, which the
 * worker reads once vfork() returns.
 */
static __dead void
spawn_child(struct handler *h, char **argv, char **envp, int fds[5],
    volatile int *err)
{
	struct rlimit	 rl;
	sigset_t	 none;
	int		 i, hi[5];

	/* Move everything high first: a pipe may already sit on 3 or 4. */
	for (i = 0; i < 5; i++)
		if ((hi[i] = fcntl(fds[i], F_DUPFD, 20)) == -1)
			goto fail;
	for (i = 0; i < 5; i++)
		if (dup2(hi[i], i) == -1)
			goto fail;
	closefrom(5);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	/*
	 * Limits are the daemon's, set by whoever starts it, except that a
	 * descriptor limit raised for the daemon's load is not passed on:
	 * the handler gets the usual soft limit and may raise it itself.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > NOFILE_SOFT) {
		rl.rlim_cur = NOFILE_SOFT;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_PDEATHSIG)
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	umask(h->ae->umask);
	if (chdir(h->ae->workdir != NULL ? h->ae->workdir : "/") == -1)
		goto fail;
	execve(h->ae->handler, argv, envp);
fail:
	*err = errno;
	_exit(127);
}

/*
 * vfork() and run the child: the worker is suspended until the child
 * has executed the handler or failed, and neither copies the worker's
 * page tables nor faults on its pages as fork() would.  Every signal is
 * blocked meanwhile.  Returns the child's pid, with *err set if exec
 * failed, or -1.
 */
static pid_t
spawn_vfork(struct handler *h, char **argv, char **envp, int fds[5],
    volatile int *err)
{
	sigset_t	 all, old;
	pid_t		 pid;

	if (fault_fork_check() == -1)
		return (-1);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = vfork()) == 0)
		spawn_child(h, argv, envp, fds, err);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return (pid);
}

/*
 * Start the routed entry's handler.  Returns -1, having logged why, when
 * it cannot be started or executed.
 */
int
handler_spawn(struct handler *h, struct worker *w)
{
	char		*argv[64], *envp[ENV_MAX], *path = NULL;
	char		 num[32];
	size_t		 i, ne = 0, na = 0;
	int		 tp[2] = { -1, -1 }, fp[2] = { -1, -1 };
	int		 op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int		 null = -1, fds[5], ret = -1;
	volatile int	 err = 0;

	envp[0] = NULL;
	if ((path = strdup(h->ae->handler)) == NULL)
		goto done;
	argv[na++] = basename(path);
	for (i = 0; i < h->ae->nargs && na < nitems(argv) - 1; i++)
		argv[na++] = h->ae->args[i];
	argv[na] = NULL;

	snprintf(num, sizeof(num), "%d", HIPC_VERSION);
	if (env_add(envp, &ne, "PATH", "/usr/local/bin:/usr/bin:/bin") ||
	    env_add(envp, &ne, "DUL_PROTOCOL", num) ||
	    env_add(envp, &ne, "DUL_FD_IN", "3") ||
	    env_add(envp, &ne, "DUL_FD_OUT", "4") ||
	    env_add(envp, &ne, "DUL_ASSOC_ID", w->id) ||
	    env_add(envp, &ne, "DUL_SERVER_SOFTWARE",
	    PACKAGE_NAME "/" PACKAGE_VERSION) ||
	    env_add(envp, &ne, "DUL_AE_CONFIG", h->ae->title) ||
	    env_add(envp, &ne, "DUL_CALLED_AE", w->neg.called) ||
	    env_add(envp, &ne, "DUL_CALLING_AE", w->neg.calling) ||
	    env_add(envp, &ne, "DUL_TLS", "0") ||
	    env_add(envp, &ne, "DUL_PROXIED", "0") ||
	    env_add(envp, &ne, "PROTO", "TCP") ||
	    env_add(envp, &ne, "TCPREMOTEIP", w->peer.ip) ||
	    env_add(envp, &ne, "TCPREMOTEPORT", w->peer.port) ||
	    env_add(envp, &ne, "TCPLOCALIP", w->peer.local_ip) ||
	    env_add(envp, &ne, "TCPLOCALPORT", w->peer.local_port))
		goto done;
	if (handler_env_impl(w, envp, &ne) == -1)
		goto done;
	for (i = 0; i < h->ae->nenv && ne + 1 < ENV_MAX; i++) {
		if ((envp[ne] = strdup(h->ae->env[i])) == NULL)
			goto done;
		envp[++ne] = NULL;
	}

	if (pipe2(tp, O_CLOEXEC) == -1 || pipe2(fp, O_CLOEXEC) == -1 ||
	    pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		log_error("handler pipes");
		goto done;
	}
	fds[0] = null;
	fds[1] = op[1];
	fds[2] = ep[1];
	fds[3] = tp[0];
	fds[4] = fp[1];
	if ((h->pid = spawn_vfork(h, argv, envp, fds, &err)) == -1) {
		log_error("fork handler");
		goto done;
	}
	if (err != 0) {
		errno = err;
		log_error("handler %s cannot be executed", h->ae->handler);
		worker_fail(w, "handler cannot be executed: %s",
		    strerror(err));
		waitpid(h->pid, &h->status, 0);
		h->pid = -1;
		goto done;
	}
	h->to_h = tp[1];
	tp[1] = -1;
	h->from_h = fp[0];
	fp[0] = -1;
	h->out[0].fd = op[0];
	op[0] = -1;
	h->out[1].fd = ep[0];
	ep[0] = -1;
	io_set_nonblock(h->to_h);
	io_set_nonblock(h->from_h);
	io_set_nonblock(h->out[0].fd);
	io_set_nonblock(h->out[1].fd);
#ifdef HAVE_PIDFD_OPEN
	/* Readable once the handler exits: its end wakes poll() at once. */
	h->pidfd = pidfd_open(h->pid, 0);
#endif
	log_debug("handler %s started, pid %ld", h->ae->handler,
	    (long)h->pid);
	ret = 0;
done:
	for (i = 0; i < 2; i++) {
		if (tp[i] != -1)
			close(tp[i]);
		if (fp[i] != -1)
			close(fp[i]);
		if (op[i] != -1)
			close(op[i]);
		if (ep[i] != -1)
			close(ep[i]);
	}
	if (null != -1)
		close(null);
	for (i = 0; i < ne; i++)
		free(envp[i]);
	free(path);
	return (ret);
}

/*
 * Wait until the handler exits or the deadline passes; 1 if reaped.  All
 * the while fd 4 is read and dropped and its output logged, so it cannot
 * block on a pipe (doc/handler-protocol.md 2.5).  Its exit wakes poll()
 * through the pidfd; without one, waitpid() is tried every REAP_TICK ms.
 */
static int
handler_wait(struct handler *h, uint64_t deadline)
{
	struct pollfd	 pfd[4];
	uint64_t	 now;
	int		 n, i, ms;
	pid_t		 r;

	for (;;) {
		r = waitpid(h->pid, &h->status, WNOHANG);
		if (r == h->pid || (r == -1 && errno == ECHILD))
			return (1);
		if ((now = io_now()) >= deadline)
			return (0);
		n = 0;
		if (h->from_h != -1) {
			pfd[n].fd = h->from_h;
			pfd[n++].events = POLLIN;
		}
		for (i = 0; i < 2; i++) {
			if (h->out[i].fd == -1)
				continue;
			pfd[n].fd = h->out[i].fd;
			pfd[n++].events = POLLIN;
		}
		if (h->pidfd != -1) {
			pfd[n].fd = h->pidfd;
			pfd[n++].events = POLLIN;
		}
		ms = io_timeout(deadline, now);
		if (h->pidfd == -1 && ms > REAP_TICK)
			ms = REAP_TICK;
		if (poll(pfd, (nfds_t)n, ms) == -1 && errno != EINTR) {
			log_error("poll for the handler's exit");
			return (0);
		}
		handler_discard(h);
		handler_drain_output(h);
	}
}

/*
 * End the handler: EOF on fd 3, then SIGTERM to its process group after
 * timeouts.handler_exit, SIGKILL 2 s later; always reaped.  Returns its
 * exit status, or 128 + the signal that ended it.
 */
int
handler_stop(struct handler *h)
{
	uint64_t	 exit_ms = h->ae->timeouts.handler_exit;

	if (h->to_h != -1) {
		close(h->to_h);
		h->to_h = -1;
	}
	if (h->pid > 0 && !handler_wait(h, io_now() + exit_ms)) {
		log_warnx("handler pid %ld still running %llu ms after the "
		    "association; terminating it", (long)h->pid,
		    (unsigned long long)exit_ms);
		kill(-h->pid, SIGTERM);
		if (!handler_wait(h, io_now() + 2000)) {
			kill(-h->pid, SIGKILL);
			handler_wait(h, io_now() + 5000);
		}
	}
	/*
	 * Whatever the handler started in its group goes with it (design
	 * 8.1).  The group's id stays reserved while a member lives, so
	 * this reaches nobody else.
	 */
	if (h->pid > 0)
		kill(-h->pid, SIGKILL);
	handler_discard(h);
	handler_drain_output(h);
	handler_flush_lines(h);
	if (h->from_h != -1) {
		close(h->from_h);
		h->from_h = -1;
	}
	if (h->pidfd != -1) {
		close(h->pidfd);
		h->pidfd = -1;
	}
	if (h->pid > 0) {
		h->pid = -1;
		if (WIFEXITED(h->status)) {
			if (WEXITSTATUS(h->status) != 0)
				log_warnx("handler exited with status %d",
				    WEXITSTATUS(h->status));
			return (WEXITSTATUS(h->status));
		}
		if (WIFSIGNALED(h->status)) {
			log_warnx("handler killed by signal %d",
			    WTERMSIG(h->status));
			return (128 + WTERMSIG(h->status));
		}
	}
	return (0);
}
