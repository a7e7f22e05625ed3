/*
 * master.h: the listening daemon.  The master binds (or takes systemd's
 * sockets), accepts, applies the global and per-address limits, forks one
 * worker per connection and reaps it; it reloads on SIGHUP, drains on
 * SIGTERM and SIGINT, and logs a status line on SIGUSR1.  It keeps root
 * and never reads a byte a peer sent.
 */
#ifndef DUL_MASTER_H
#define DUL_MASTER_H

struct dul_conf;

struct master_opts {
	const char	*conf_path;	/* as given to -f */
	int		 conf_flags;	/* for conf_load() on reload */
	int		 detach;	/* -D */
	int		 log_stderr;	/* -e */
	int		 verbose;	/* -v count */
};

int	 master_main(const struct master_opts *, struct dul_conf *);

#endif /* DUL_MASTER_H */
