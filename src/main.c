/* main.c: command line and role selection.  No logic of its own. */

#include "compat.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "handler.h"
#include "log.h"
#include "worker.h"

#define EXIT_CONFIG	1
#define EXIT_USAGE	100
#define EXIT_SYSTEM	111

#ifndef DUL_DEFAULT_CONF
#define DUL_DEFAULT_CONF	"/etc/dulserverd.conf"
#endif

static __dead void usage(void);
static void	params_from_conf(struct worker_params *,
		    const struct dul_conf *, struct handler *);
static int	serve_inetd(const struct dul_conf *);
static int	serve_debug(const struct dul_conf *);

/* Print the synopsis and exit with the usage code. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-dDeinNvV] [-f file]\n", getprogname());
	exit(EXIT_USAGE);
}

/* Fill a worker's parameters from the configuration. */
static void
params_from_conf(struct worker_params *p, const struct dul_conf *c,
    struct handler *h)
{
	worker_params_default(p);
	p->to.artim = c->timeouts.artim;
	p->to.idle = c->timeouts.idle;
	p->to.su = c->timeouts.handler;
	p->to.send = c->timeouts.send;
	p->to.release = c->timeouts.release;
	p->to.association = c->timeouts.association;
	p->max_pdu_receive = c->network.max_pdu_receive;
	p->max_pdu_send = c->network.max_pdu_send;
	p->max_rq_pdu = c->network.max_rq_pdu;
	p->impl_class_uid = c->network.implementation_class_uid;
	p->impl_version = c->network.implementation_version;
	handler_init(h, c);
	p->policy.route = handler_policy_route;
	p->policy.ctx = h;
	p->su = &handler_su_ops;
	p->su_ctx = h;
}

/*
 * -i: serve the one connection on fd 0 (inetd, xinetd, tcpserver, systemd
 * Accept=yes).  The socket moves to a high descriptor and 0 to 2 point at
 * /dev/null, since fd 2 may be the socket itself.
 */
static int
serve_inetd(const struct dul_conf *c)
{
	struct worker_params	 p;
	struct handler		 h;
	int			 fd, null;

	if ((fd = fcntl(0, F_DUPFD_CLOEXEC, 10)) == -1)
		fatal("fd 0");
	if ((null = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(null, 0);
	dup2(null, 1);
	if (c->logging.target != CONF_LOG_STDERR)
		dup2(null, 2);
	if (null > 2)
		close(null);
	signal(SIGPIPE, SIG_IGN);
	params_from_conf(&p, c, &h);
	return (worker_run(&p, fd));
}

/* -d: accept one connection on the first listener and serve it here. */
static int
serve_debug(const struct dul_conf *c)
{
	struct addrinfo		 hints, *res;
	struct worker_params	 p;
	struct handler		 h;
	char			 port[16];
	int			 s, fd, one = 1, r;

	if (c->server.nlisten == 0)
		fatalx("no server.listen entry to debug on");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", c->server.listen[0].port);
	if ((r = getaddrinfo(c->server.listen[0].address, port, &hints,
	    &res)) != 0)
		fatalx("%s: %s", c->server.listen[0].address,
		    gai_strerror(r));
	if ((s = socket(res->ai_family, res->ai_socktype, 0)) == -1)
		fatal("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(s, 1) == -1)
		fatal("%s port %s", c->server.listen[0].address, port);
	freeaddrinfo(res);
	log_info("debug: waiting for one connection on %s port %s",
	    c->server.listen[0].address, port);
	while ((fd = accept(s, NULL, NULL)) == -1)
		if (errno != EINTR)
			fatal("accept");
	close(s);
	signal(SIGPIPE, SIG_IGN);
	params_from_conf(&p, c, &h);
	return (worker_run(&p, fd));
}

int
main(int argc, char *argv[], char *envp[])
{
	struct dul_conf	 conf;
	const char	*path = DUL_DEFAULT_CONF;
	char		 err[CONF_ERR_MAX];
	int		 ch, check = 0, print = 0, debug = 0, inetd = 0;
	int		 verbose = 0, stderr_log = 0, flags = 0;

	(void)envp;
	while ((ch = getopt(argc, argv, "dDef:inNvV")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			break;
		case 'e':
			stderr_log = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'i':
			inetd = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'N':
			print = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return (0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, LOG_DAEMON);
	log_setverbose(verbose + (debug ? 1 : 0));
	if (check)
		flags |= CONF_CHECK_HANDLERS;
	if (conf_load(path, &conf, flags, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return (EXIT_CONFIG);
	}
	if (check) {
		if (inetd)
			fprintf(stderr, "%s: -i: server.listen, limits, pidfile"
			    ", user and group are not used\n", path);
		printf("configuration OK\n");
		conf_free(&conf);
		return (0);
	}
	if (print) {
		conf_print(stdout, &conf);
		conf_free(&conf);
		return (0);
	}
	if (!debug && !stderr_log && conf.logging.target == CONF_LOG_SYSLOG)
		log_init(0, conf.logging.facility);
	if (verbose == 0 && conf.logging.level >= CONF_LEVEL_DEBUG)
		log_setverbose(conf.logging.level - CONF_LEVEL_INFO);
	log_procinit("worker");
	if (inetd || debug) {
		ch = inetd ? serve_inetd(&conf) : serve_debug(&conf);
		conf_free(&conf);
		return (ch);
	}
	fprintf(stderr, "%s: the listening master is not built yet; run "
	    "with -d (one connection) or -i (under inetd)\n", getprogname());
	conf_free(&conf);
	return (EXIT_USAGE);
}
