/* main.c: command line and role selection.  No logic of its own. */

#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "privsep.h"
#include "proctitle.h"
#include "serve.h"

#ifndef DUL_DEFAULT_CONF
#define DUL_DEFAULT_CONF	"/etc/dulserverd.conf"
#endif

static __dead void usage(void);
static int	run_inetd(struct dul_conf *, int, int);
static int	run_debug(struct dul_conf *, int);

/* Print the synopsis and exit with the usage code. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-dDeinNvV] [-f file]\n", getprogname());
	exit(DUL_EXIT_USAGE);
}

/* -i: one worker on the connection on fds 0 and 1. */
static int
run_inetd(struct dul_conf *conf, int stderr_log, int verbose)
{
	struct privsep_id	 ids;
	char			 err[CONF_ERR_MAX];

	if (serve_log(conf, stderr_log, verbose) == -1) {
		log_error("logging.file %s", conf->logging.file);
		return (DUL_EXIT_SYSTEM);
	}
	if (privsep_resolve(conf, &ids, err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		return (DUL_EXIT_CONFIG);
	}
	return (serve_inetd(conf, &ids));
}

/* -d: one connection on a listener, served here, logs on stderr. */
static int
run_debug(struct dul_conf *conf, int verbose)
{
	struct privsep_id	 ids;
	struct listen_set	 ls;
	char			 err[CONF_ERR_MAX];
	int			 r;

	serve_log(conf, 1, verbose);
	if (log_getverbose() < 1 + verbose)
		log_setverbose(1 + verbose);
	if (privsep_resolve(conf, &ids, err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		return (DUL_EXIT_CONFIG);
	}
	if ((r = listen_systemd(&ls, err, sizeof(err))) == 0)
		r = listen_bind(&ls, conf, NULL, err, sizeof(err));
	if (r == -1) {
		log_errorx("%s", err);
		return (DUL_EXIT_SYSTEM);
	}
	return (serve_debug(conf, &ids, &ls));
}

int
main(int argc, char *argv[], char *envp[])
{
	struct dul_conf		 conf;
	struct master_opts	 mo;
	const char		*path = DUL_DEFAULT_CONF;
	char			 err[CONF_ERR_MAX];
	int			 ch, check = 0, print = 0, debug = 0;
	int			 inetd = 0;
	int			 verbose = 0, stderr_log = 0, detach = 0;
	int			 flags, code;

	/* -i: a supervisor's SIGTERM waits for its handler (serve.c). */
	serve_hold_signals();
	proctitle_init(argc, argv, envp);
	while ((ch = getopt(argc, argv, "dDef:inNvV")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			detach = 1;
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
			return (DUL_EXIT_OK);
		default:
			usage();
		}
	}
	if (optind != argc || debug + inetd + detach > 1 || check + print > 1)
		usage();
	if (!inetd)
		serve_release_signals();

	log_init(1, LOG_DAEMON);
	log_setverbose(verbose + debug);
	flags = CONF_CHECK_HANDLERS;
	if (check || geteuid() == 0)
		flags |= CONF_CHECK_ACCOUNTS;
	if (conf_load(path, &conf, flags, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return (DUL_EXIT_CONFIG);
	}
	if (check) {
		if (inetd)
			fprintf(stderr, "%s: -i: server.listen, the limits and "
			    "pidfile are not used\n", path);
		printf("configuration OK\n");
		conf_free(&conf);
		return (DUL_EXIT_OK);
	}
	if (print) {
		conf_print(stdout, &conf);
		conf_free(&conf);
		return (DUL_EXIT_OK);
	}
	if (inetd || debug) {
		code = inetd ? run_inetd(&conf, stderr_log, verbose) :
		    run_debug(&conf, verbose);
		conf_free(&conf);
		return (code);
	}
	memset(&mo, 0, sizeof(mo));
	mo.conf_path = path;
	mo.conf_flags = flags | CONF_CHECK_ACCOUNTS;
	mo.detach = detach;
	mo.log_stderr = stderr_log;
	mo.verbose = verbose;
	return (master_main(&mo, &conf));
}
