/*
 * echo_acceptor.c: a Verification SCP for end-to-end tests.  It listens
 * on a loopback port and runs worker_run() in a forked child for each
 * connection, with the routing policy and C-ECHO service user of
 * worker_testlib.c.  It prints "port N" on stdout once listening, logs
 * each worker's exit status on stderr, and stops on SIGTERM, after -n
 * connections, or after -T seconds, whichever comes first.  With -r the
 * service user asks to release after each C-ECHO it answers, so that
 * it races the requestor's own release (PS3.8 7.2.2, collision).
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "worker.h"
#include "worker_testlib.h"

static volatile sig_atomic_t	 quit;

static void	on_term(int);
static int	listen_loopback(unsigned int, unsigned int *);
static void	reap(unsigned long *);
static __dead void serve(int, int, int, unsigned int);
static __dead void usage(void);

/* SIGTERM and SIGINT only set the flag; the loop does the rest. */
static void
on_term(int sig)
{
	(void)sig;
	quit = 1;
}

/* Print the synopsis and exit. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: echo_acceptor [-rv] [-n connections] "
	    "[-p port] [-T seconds]\n");
	exit(100);
}

/* Listen on 127.0.0.1; port 0 picks a free one, returned in *bound. */
static int
listen_loopback(unsigned int port, unsigned int *bound)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return (-1);
	}
	*bound = ntohs(sin.sin_port);
	return (fd);
}

/* Log and count every worker that has exited. */
static void
reap(unsigned long *live)
{
	pid_t	 pid;
	int	 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		(*live)--;
		if (WIFEXITED(st))
			log_info("worker %ld exit %d", (long)pid,
			    WEXITSTATUS(st));
		else
			log_info("worker %ld signal %d", (long)pid,
			    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
}

/* In the child: one association with the test service user. */
static __dead void
serve(int lfd, int fd, int verbose, unsigned int flags)
{
	struct worker_params	 p;
	struct tsu		 su;

	close(lfd);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	log_procinit("worker");
	log_setverbose(verbose);
	memset(&su, 0, sizeof(su));
	su.flags = flags;
	wt_params(&p, &su);
	p.to.artim = 5000;
	p.to.idle = 10000;
	p.to.su = 5000;
	p.to.release = 5000;
	p.to.pdu = 10000;
	p.assoc_id = NULL;
	exit(worker_run(&p, fd));
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd;
	const char	*err;
	unsigned long	 max = 0, served = 0, live = 0;
	unsigned int	 port = 0, bound, flags = 0;
	uint64_t	 end;
	int		 ch, lfd, fd, verbose = 0, secs = 60;
	pid_t		 pid;

	while ((ch = getopt(argc, argv, "n:p:rT:v")) != -1) {
		switch (ch) {
		case 'n':
			max = (unsigned long)strtonum(optarg, 0, 1000000, &err);
			if (err != NULL)
				usage();
			break;
		case 'p':
			port = (unsigned int)strtonum(optarg, 0, 65535, &err);
			if (err != NULL)
				usage();
			break;
		case 'r':
			flags |= TSU_RELEASE_AFTER_ECHO;
			break;
		case 'T':
			secs = (int)strtonum(optarg, 1, 3600, &err);
			if (err != NULL)
				usage();
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	log_init(1, 0);
	log_procinit("echo_acceptor");
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = listen_loopback(port, &bound)) == -1) {
		log_warn("listen on 127.0.0.1 port %u", port);
		return (111);
	}
	printf("port %u\n", bound);
	fflush(stdout);
	end = io_now() + (uint64_t)secs * 1000;
	while (!quit && io_now() < end && (max == 0 || served < max)) {
		reap(&live);
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno != EINTR && errno != EAGAIN)
				log_warn("accept");
			continue;
		}
		fflush(NULL);
		if ((pid = fork()) == -1) {
			log_warn("fork");
			close(fd);
			continue;
		}
		if (pid == 0)
			serve(lfd, fd, verbose, flags);
		close(fd);
		served++;
		live++;
	}
	close(lfd);
	/* Give the last workers their own timers' worth to finish. */
	end = io_now() + 15000;
	while (live > 0 && io_now() < end) {
		reap(&live);
		if (live > 0)
			poll(NULL, 0, 20);
	}
	log_info("served %lu connections, %lu workers left", served, live);
	return (live == 0 ? 0 : 1);
}
