/*
 * master.c: the listening daemon (STYLE.md 3, design section 6).
 *
 * The master keeps root, because it binds again on SIGHUP and removes the
 * pidfile, and so it never reads a byte from a peer: it accepts, looks at
 * the peer's address only, and forks.  Each child closes the listeners,
 * the pidfile and the master's signal pipe, drops to server.user and only
 * then runs the worker, which reads the A-ASSOCIATE-RQ.
 *
 * Signal handlers only set a flag and write a byte to a self-pipe; the
 * loop does the work.  Signals are blocked around fork() so that a child
 * never runs the master's handlers.
 *
 * Over a limit (global, or per peer address), a connection still gets a
 * proper answer: a reject worker reads the RQ and sends A-ASSOCIATE-RJ
 * (2, 3, 2), since closing a socket with unread data may turn into a TCP
 * reset that destroys the rejection.  Reject workers are bounded by
 * server.reject_slots; beyond them the connection is closed at once.
 *
 * Workers that have not sent their A-ASSOCIATE-AC yet are "starting"
 * (the scoreboard's state words tell).  Over server.max_startups_per_ip
 * starting workers from one source, or at random with a probability
 * that rises from server.max_startups's rate at its start to 1 at its
 * full (sshd's MaxStartups and PerSourceMaxStartups), a connection is
 * closed at once, before any limit on associations is looked at: idle
 * connections cost no fork past those bounds, and ARTIM ends the workers
 * they got.  A source is the peer address cut to server.per_ip_prefix4
 * or server.per_ip_prefix6 bits, for max_associations_per_ip too.
 *
 * Over server.max_connection_rate (a token bucket of
 * server.connection_rate_burst), a connection is closed at once too: a
 * flood costs the master an accept() and a close() per connection, never
 * a fork.
 *
 * Workers that fail fast (a signal, or any exit status but 0 and 2,
 * within MASTER_CRASH_FAST ms of their fork) MASTER_CRASH_COUNT times in
 * a row make the master stop accepting for a second, doubling up to a
 * minute while they go on failing; a worker forked after the last
 * failure that ends normally resets it.  Connections meanwhile wait in
 * the listen backlog: no fork bomb.
 *
 * With server.spare_workers, the master keeps that many spare workers
 * forked ahead: each has done what does not depend on a connection
 * (closed the master's descriptors, set its signals and OOM score,
 * dropped privileges, set its title, taken its first page faults), said
 * so with one byte on a socketpair, and waits there.  An accepted
 * connection that gets a worker goes to a ready spare with SCM_RIGHTS,
 * with its peer's address and its scoreboard state word; the spare is a
 * worker from then on, counted as one.  New spares are forked once no
 * handoff came for MASTER_SPARE_DELAY ms, off the workers' way to their
 * A-ASSOCIATE-AC.  Without a ready spare the master forks as before.  Spares
 * are not associations: no limit counts them.  Closing a spare's
 * socketpair (reload, drain, or the master's death) makes it exit; a
 * spare that dies unused counts for the crash throttle like a worker,
 * and no spare is forked while the throttle or a drain holds.  Reject
 * workers are always forked.
 *
 * Lines about single connections or single workers (closed ones, worker
 * exits) go through master_rlog(): one line per kind and interval, with
 * the count of those not logged.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "fault.h"
#include "handler.h"
#include "io.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "privsep.h"
#include "proctitle.h"
#include "scoreboard.h"
#include "sdnotify.h"
#include "serve.h"
#include "worker.h"

#define MASTER_ACCEPT_BURST	16	/* accepts per listener per turn */
#define MASTER_BACKOFF_MIN	50	/* ms, after EMFILE, fork failure */
#define MASTER_BACKOFF_MAX	1000
#define MASTER_KILL_EXTRA	5000	/* ms after an abort: SIGKILL */
#define MASTER_PEER_LEN		(WORKER_ADDR_LEN + 16)
#define MASTER_LOG_EVERY	5000	/* ms: one line per kind of event */
#define MASTER_CRASH_FAST	2000	/* ms after fork: a fast failure */
#define MASTER_CRASH_COUNT	5	/* fast failures in a row: throttle */
#define MASTER_THROTTLE_MIN	1000	/* ms */
#define MASTER_THROTTLE_MAX	60000
#define MASTER_SPARE_DELAY	2	/* ms after a handoff: no spare fork */

/* The kinds of per-connection lines, each rate-limited on its own. */
enum master_rl {
	MASTER_RL_DENIED,		/* closed by access.on_denied */
	MASTER_RL_LIMIT,		/* closed: limit, reject slots busy */
	MASTER_RL_RATE,			/* closed: max_connection_rate */
	MASTER_RL_STARTUPS,		/* closed: max_startups */
	MASTER_RL_STARTUPS_IP,		/* closed: max_startups_per_ip */
	MASTER_RL_PROTOCOL,		/* a worker exited with status 2 */
	MASTER_RL_INTERNAL,		/* a worker exited with status 1 */
	MASTER_RL_KILLED,		/* SIGKILL or SIGTERM ended a worker */
	MASTER_RL_CRASHED,		/* any other signal did */
	MASTER_RL_N
};

/* A kind's level, and what its count of lines not logged counts. */
static const struct master_rl_kind {
	int		 pri;
	const char	*what;
} master_rl_kinds[MASTER_RL_N] = {
	{ LOG_INFO, "connections closed: address not allowed" },
	{ LOG_WARNING, "connections closed: limit reached, reject slots "
	    "busy" },
	{ LOG_WARNING, "connections closed: over max_connection_rate" },
	{ LOG_WARNING, "connections closed: max_startups" },
	{ LOG_WARNING, "connections closed: max_startups_per_ip" },
	{ LOG_WARNING, "workers exited with status 2 (protocol violation)" },
	{ LOG_ERR, "workers exited with an internal error" },
	{ LOG_ERR, "workers killed by SIGKILL or SIGTERM" },
	{ LOG_ERR, "workers killed by another signal" }
};

/* When a kind's line was last logged, and how many were not since. */
struct master_rlog {
	uint64_t		 last;		/* io_now(), 0 = never */
	unsigned long long	 quiet;
};

/* A peer address as the per-address limit compares it. */
struct master_addr {
	int		 family;
	uint8_t		 a[16];
};

struct master_child {
	pid_t		 pid;
	int		 reject;	/* only sends RJ (2, 3, 2) */
	long		 state;		/* scoreboard state word, or -1 */
	unsigned long long seq;		/* fork number */
	uint64_t	 born;		/* io_now() at fork */
	struct master_addr addr;
	char		 peer[MASTER_PEER_LEN];
};

/* A spare worker, waiting on its socketpair. */
struct master_spare {
	pid_t		 pid;
	int		 fd;		/* the master's end; -1 = retired */
	unsigned long long seq;		/* fork number */
	uint64_t	 born;		/* io_now() at fork */
};

/* What goes with a connection to a spare, beside its descriptor. */
struct master_handoff {
	long		 state;		/* scoreboard state word, or -1 */
	char		 peer[MASTER_PEER_LEN];
};

/* A hand-off's control buffer: room for the one descriptor it passes. */
union master_cbuf {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int))];
};

struct master_stats {
	unsigned long long	 accepted;
	unsigned long long	 workers;
	unsigned long long	 rejects;
	unsigned long long	 closed_limit;
	unsigned long long	 closed_denied;
	unsigned long long	 closed_rate;
	unsigned long long	 closed_startups;
	unsigned long long	 closed_startups_ip;
	unsigned long long	 fork_failed;
	unsigned long long	 exit_ok;
	unsigned long long	 exit_protocol;
	unsigned long long	 exit_internal;
	unsigned long long	 exit_signal;
	unsigned long long	 reloads;
	unsigned long long	 reload_failed;
	unsigned long long	 throttles;
	unsigned long long	 spares_forked;
	unsigned long long	 spares_used;
};

struct master {
	const struct master_opts *opts;
	char			 path[PATH_MAX];	/* the config */
	struct dul_conf		 conf;
	struct privsep_id	 ids;
	struct listen_set	 ls;
	struct pidfh		*pfh;
	struct scoreboard	*sb;		/* per-entry limits */
	struct sdnotify		 sn;
	int			 sigp[2];
	struct pollfd		*pfd;
	size_t			 npfd;

	struct master_child	*kids;
	size_t			 nkids, capkids;
	int			 nworkers;
	int			 nrejects;
	struct master_spare	*spares;
	size_t			 nspares, capspares;
	uint64_t		 spare_after;	/* no spare fork before */

	int			 draining;
	int			 term_sent;
	uint64_t		 grace_end;
	uint64_t		 kill_end;
	uint64_t		 backoff_until;
	uint64_t		 backoff_ms;
	const char		*backoff_what;	/* "accept" or "fork" */
	unsigned long long	 backoff_fails;	/* since the last success */
	struct master_rlog	 rl[MASTER_RL_N];
	uint64_t		 rate_tokens;	/* 1/1000 connection each */
	uint64_t		 rate_at;	/* io_now() of the last refill */
	unsigned long long	 forks;		/* fork number of the last */
	int			 crash_run;	/* fast failures in a row */
	unsigned long long	 crash_seq;	/* fork number of the last */
	uint64_t		 throttle_ms;	/* the last pause, 0 = none */
	uint64_t		 throttle_until;
	uint64_t		 started;
	struct master_stats	 st;
};

static volatile sig_atomic_t	 master_got_term;
static volatile sig_atomic_t	 master_got_hup;
static volatile sig_atomic_t	 master_got_usr1;
static volatile sig_atomic_t	 master_got_chld;
static int			 master_sigfd = -1;

static void	master_sighandler(int);
static int	master_signals(struct master *);
static int	master_pollfds(struct master *);
static void	master_per_source(const struct conf_server *, char *,
		    size_t);
static void	master_title(struct master *);
static void	master_addr(const struct sockaddr_storage *,
		    struct master_addr *, char *, size_t);
static int	master_same_source(const struct master *,
		    const struct master_addr *, const struct master_addr *);
static int	master_count_addr(const struct master *,
		    const struct master_addr *, int);
static int	master_count_starting(const struct master *);
static int	master_startups_drop(const struct conf_server *, int);
static int	master_kids_reserve(struct master *, size_t);
static void	master_backoff(struct master *, const char *);
static void	master_recovered(struct master *, const char *);
static void	master_rlog(struct master *, enum master_rl, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	master_rlog_line(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static uint64_t	master_rlog_flush(struct master *, uint64_t);
static int	master_rate_ok(struct master *, uint64_t);
static void	master_failed(struct master *, const struct master_child *,
		    const char *);
static void	master_worked(struct master *, const struct master_child *);
static void	master_accept(struct master *, struct listener *);
static void	master_dispatch(struct master *, int,
		    const struct sockaddr_storage *);
static void	master_fork(struct master *, int, const struct master_addr *,
		    const char *, int);
static __dead void master_child(struct master *, int, int, const char *,
		    const sigset_t *);
static int	master_child_begin(struct master *, const char *);
static void	master_child_drop(struct master *);
static void	master_child_params(struct master *, struct worker_params *,
		    struct handler *, int);
static int	master_spares_idle(const struct master *);
static void	master_spare_fork(struct master *);
static __dead void master_spare(struct master *, int, const sigset_t *);
static void	master_handoff_msg(struct msghdr *, struct iovec *,
		    struct master_handoff *, union master_cbuf *);
static int	master_handoff(struct master *, int, const struct master_addr *,
		    const char *);
static int	master_spares_fill(struct master *);
static void	master_spares_retire(struct master *);
static int	master_spare_reaped(struct master *, pid_t, int);
static void	master_reap(struct master *);
static void	master_reload(struct master *);
static void	master_status(struct master *);
static void	master_drain(struct master *);
static void	master_drain_step(struct master *, uint64_t);
static void	master_kill_all(struct master *, int);
static int	master_loop(struct master *);
static int	master_start(struct master *, struct dul_conf *);
static void	master_free(struct master *);

/* Note a signal for the loop and wake it. */
static void
master_sighandler(int sig)
{
	int	 saved = errno;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		master_got_term = 1;
		break;
	case SIGHUP:
		master_got_hup = 1;
		break;
	case SIGUSR1:
		master_got_usr1 = 1;
		break;
	case SIGCHLD:
		master_got_chld = 1;
		break;
	}
	(void)!write(master_sigfd, "", 1);
	errno = saved;
}

/* Make the self-pipe and catch the master's signals. */
static int
master_signals(struct master *m)
{
	struct sigaction	 sa;
	int			 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
				    SIGCHLD };
	size_t			 i;

	if (pipe2(m->sigp, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	master_sigfd = m->sigp[1];
	memset(&sa, 0, sizeof(sa));
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sa.sa_handler = master_sighandler;
	for (i = 0; i < nitems(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return (-1);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	return (0);
}

/* Size the poll array for the self-pipe and every listener. */
static int
master_pollfds(struct master *m)
{
	struct pollfd	*p;

	if (m->npfd >= m->ls.n + 1)
		return (0);
	if ((p = reallocarray(m->pfd, m->ls.n + 1, sizeof(*p))) == NULL)
		return (-1);
	m->pfd = p;
	m->npfd = m->ls.n + 1;
	return (0);
}

/* The per-source limit as the start line states it. */
static void
master_per_source(const struct conf_server *s, char *buf, size_t len)
{
	if (s->max_associations_per_ip == 0)
		snprintf(buf, len, "no limit per address");
	else if (s->per_ip_prefix4 == 32 && s->per_ip_prefix6 == 128)
		snprintf(buf, len, "%d per address",
		    s->max_associations_per_ip);
	else
		snprintf(buf, len, "%d per source (IPv4 /%d, IPv6 /%d)",
		    s->max_associations_per_ip, s->per_ip_prefix4,
		    s->per_ip_prefix6);
}

/* Show the master's state in ps(1). */
static void
master_title(struct master *m)
{
	if (m->nspares > 0 || m->conf.server.spare_workers > 0)
		proctitle_set("master: %d/%d associations, %d rejecting, %d "
		    "spare%s", m->nworkers, m->conf.server.max_associations,
		    m->nrejects, master_spares_idle(m),
		    m->draining ? ", shutting down" : "");
	else
		proctitle_set("master: %d/%d associations, %d rejecting%s",
		    m->nworkers, m->conf.server.max_associations, m->nrejects,
		    m->draining ? ", shutting down" : "");
}

/*
 * Reduce a peer's address to what the per-address limit compares (an
 * IPv4-mapped IPv6 address is the IPv4 peer it stands for) and format it.
 */
static void
master_addr(const struct sockaddr_storage *ss, struct master_addr *a,
    char *peer, size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 =
	    (const struct sockaddr_in6 *)ss;
	char				 host[64];
	socklen_t			 sl = sizeof(*ss);

	memset(a, 0, sizeof(*a));
	a->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		memcpy(a->a, &sin->sin_addr, 4);
		sl = sizeof(*sin);
	} else if (ss->ss_family == AF_INET6) {
		sl = sizeof(*sin6);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(a->a, &sin6->sin6_addr.s6_addr[12], 4);
		} else
			memcpy(a->a, &sin6->sin6_addr, 16);
	}
	if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host),
	    NULL, 0, NI_NUMERICHOST) != 0)
		strlcpy(host, "unknown", sizeof(host));
	if (ss->ss_family == AF_INET6)
		snprintf(peer, len, "[%s]:%u", host,
		    (unsigned int)ntohs(sin6->sin6_port));
	else if (ss->ss_family == AF_INET)
		snprintf(peer, len, "%s:%u", host,
		    (unsigned int)ntohs(sin->sin_port));
	else
		strlcpy(peer, host, len);
}

/*
 * Whether two peer addresses are one source: the same family and the
 * same first server.per_ip_prefix4 (IPv4) or per_ip_prefix6 (IPv6) bits.
 */
static int
master_same_source(const struct master *m, const struct master_addr *a,
    const struct master_addr *b)
{
	int	 bits, i;

	if (a->family != b->family)
		return (0);
	bits = a->family == AF_INET ? m->conf.server.per_ip_prefix4 :
	    a->family == AF_INET6 ? m->conf.server.per_ip_prefix6 : 128;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a->a[i] != b->a[i])
			return (0);
	return (bits == 0 ||
	    ((a->a[i] ^ b->a[i]) & (0xff00 >> bits) & 0xff) == 0);
}

/*
 * Count the workers (not reject workers) of one source: all of them, or
 * (starting) those that have not sent their A-ASSOCIATE-AC.
 */
static int
master_count_addr(const struct master *m, const struct master_addr *a,
    int starting)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < m->nkids; i++)
		if (!m->kids[i].reject &&
		    master_same_source(m, &m->kids[i].addr, a) &&
		    (!starting || scoreboard_starting(m->sb,
		    m->kids[i].state)))
			n++;
	return (n);
}

/* Count the workers that have not sent their A-ASSOCIATE-AC yet. */
static int
master_count_starting(const struct master *m)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < m->nkids; i++)
		if (!m->kids[i].reject &&
		    scoreboard_starting(m->sb, m->kids[i].state))
			n++;
	return (n);
}

/*
 * The chance, in percent, that server.max_startups closes a connection
 * when n workers are starting: 0 below start, 100 from full on, and in
 * between rate rising in a straight line towards 100 (integer steps).
 */
static int
master_startups_drop(const struct conf_server *s, int n)
{
	if (s->max_startups_full <= 0 || n < s->max_startups_start)
		return (0);
	if (n >= s->max_startups_full)
		return (100);
	return (s->max_startups_rate + (100 - s->max_startups_rate) *
	    (n - s->max_startups_start) /
	    (s->max_startups_full - s->max_startups_start));
}

/* Make room for at least n children in the table. */
static int
master_kids_reserve(struct master *m, size_t n)
{
	struct master_child	*k;

	if (n <= m->capkids)
		return (0);
	n = MAX(n, m->capkids == 0 ? 16 : m->capkids * 2);
	if ((k = reallocarray(m->kids, n, sizeof(*k))) == NULL)
		return (-1);
	m->kids = k;
	m->capkids = n;
	return (0);
}

/*
 * Stop accepting for a while after a failure that accepting again at once
 * would only repeat (no descriptors, no memory, no process slot): the
 * pause doubles up to a second and ends at the next success of the call
 * that failed.  One warning per run of failures; the rest go to debug.
 */
static void
master_backoff(struct master *m, const char *what)
{
	const char	*why = strerror(errno);
	int		 first = m->backoff_ms == 0;

	m->backoff_ms = first ? MASTER_BACKOFF_MIN :
	    MIN(m->backoff_ms * 2, MASTER_BACKOFF_MAX);
	m->backoff_until = io_now() + m->backoff_ms;
	m->backoff_what = what;
	m->backoff_fails++;
	if (first)
		log_warnx("%s: %s; pausing accept() for %llu ms", what, why,
		    (unsigned long long)m->backoff_ms);
	else
		log_debug("%s: %s; pausing accept() for %llu ms", what, why,
		    (unsigned long long)m->backoff_ms);
}

/*
 * The call that made us pause worked: end the run of failures.  A fork
 * failure is not over because accept() works, or the pause would never
 * grow and every failure would warn.
 */
static void
master_recovered(struct master *m, const char *what)
{
	if (m->backoff_ms == 0 || strcmp(m->backoff_what, what) != 0)
		return;
	log_info("%s works again after %llu failures; accepting connections "
	    "again", what, m->backoff_fails);
	m->backoff_ms = 0;
	m->backoff_fails = 0;
}

/* Log one line at a syslog priority, through the level's function. */
static void
master_rlog_line(int pri, const char *fmt, ...)
{
	char	 line[LOG_LINE_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	switch (pri) {
	case LOG_ERR:
		log_errorx("%s", line);
		break;
	case LOG_WARNING:
		log_warnx("%s", line);
		break;
	default:
		log_info("%s", line);
		break;
	}
}

/*
 * Log a line about one connection or one worker, at most one of its kind
 * every MASTER_LOG_EVERY ms: the others are only counted, and the count
 * goes with the next line of the kind or, if none comes, with a line of
 * its own when the interval is over (master_rlog_flush()).
 */
static void
master_rlog(struct master *m, enum master_rl kind, const char *fmt, ...)
{
	struct master_rlog	*r = &m->rl[kind];
	char			 msg[LOG_LINE_MAX / 2];
	va_list			 ap;
	uint64_t		 now = io_now();

	if (r->last != 0 && now - r->last < MASTER_LOG_EVERY) {
		r->quiet++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->quiet > 0)
		master_rlog_line(master_rl_kinds[kind].pri, "%s; %llu more not "
		    "logged in the last %llu s", msg, r->quiet,
		    (unsigned long long)((now - r->last + 999) / 1000));
	else
		master_rlog_line(master_rl_kinds[kind].pri, "%s", msg);
	r->last = now;
	r->quiet = 0;
}

/*
 * Log the counts of lines not logged whose interval is over; return the
 * deadline of the next count due, or IO_NO_DEADLINE.
 */
static uint64_t
master_rlog_flush(struct master *m, uint64_t now)
{
	struct master_rlog	*r;
	uint64_t		 next = IO_NO_DEADLINE;
	size_t			 i;

	for (i = 0; i < MASTER_RL_N; i++) {
		r = &m->rl[i];
		if (r->quiet == 0)
			continue;
		if (now - r->last < MASTER_LOG_EVERY) {
			next = io_min_deadline(next, r->last +
			    MASTER_LOG_EVERY);
			continue;
		}
		master_rlog_line(master_rl_kinds[i].pri, "%s: %llu more not "
		    "logged in the last %llu s", master_rl_kinds[i].what,
		    r->quiet, (unsigned long long)((now - r->last + 999) /
		    1000));
		r->last = now;
		r->quiet = 0;
	}
	return (next);
}

/*
 * Take a token from the server.max_connection_rate bucket, which holds
 * server.connection_rate_burst of them (the rate if 0) and refills at
 * the rate.  Return 0 if the bucket is empty.
 */
static int
master_rate_ok(struct master *m, uint64_t now)
{
	const struct conf_server	*s = &m->conf.server;
	uint64_t			 cap, add;

	if (s->max_connection_rate <= 0)
		return (1);
	cap = (uint64_t)(s->connection_rate_burst > 0 ?
	    s->connection_rate_burst : s->max_connection_rate) * 1000;
	add = (now - m->rate_at) * (uint64_t)s->max_connection_rate;
	if (m->rate_at == 0 || add >= cap)
		m->rate_tokens = cap;
	else
		m->rate_tokens = MIN(cap, m->rate_tokens + add);
	m->rate_at = now;
	if (m->rate_tokens < 1000)
		return (0);
	m->rate_tokens -= 1000;
	return (1);
}

/*
 * A worker failed (a signal, or an exit status other than 0 and 2).  A
 * failure within MASTER_CRASH_FAST ms of the fork is a fast one; after
 * MASTER_CRASH_COUNT of them in a row, stop accepting for
 * MASTER_THROTTLE_MIN ms, twice as long at each further fast failure
 * after the pause, up to MASTER_THROTTLE_MAX.  The first pause of a run
 * is logged, with how the last worker ended.
 */
static void
master_failed(struct master *m, const struct master_child *k,
    const char *how)
{
	uint64_t	 now = io_now();

	if (now - k->born >= MASTER_CRASH_FAST)
		return;
	m->crash_seq = MAX(m->crash_seq, k->seq);
	if (++m->crash_run < MASTER_CRASH_COUNT || now < m->throttle_until)
		return;
	m->throttle_ms = m->throttle_ms == 0 ? MASTER_THROTTLE_MIN :
	    MIN(m->throttle_ms * 2, MASTER_THROTTLE_MAX);
	m->throttle_until = now + m->throttle_ms;
	m->st.throttles++;
	if (m->throttle_ms == MASTER_THROTTLE_MIN)
		log_errorx("%d workers in a row failed within %d ms of their "
		    "start, the last one %s: not accepting connections for "
		    "%llu s, and twice as long each time until a new worker "
		    "ends normally (up to %d s)", m->crash_run,
		    MASTER_CRASH_FAST, how,
		    (unsigned long long)m->throttle_ms / 1000,
		    MASTER_THROTTLE_MAX / 1000);
	else
		log_debug("workers still failing (%d in a row, the last one "
		    "%s): not accepting connections for %llu s", m->crash_run,
		    how, (unsigned long long)m->throttle_ms / 1000);
}

/*
 * A worker ended normally (status 0 or 2).  If it was forked after the
 * last fast failure, workers work again: end the run of failures (a
 * pause in progress runs out).
 */
static void
master_worked(struct master *m, const struct master_child *k)
{
	if (m->crash_run == 0 || k->seq <= m->crash_seq)
		return;
	if (m->throttle_ms != 0)
		log_info("worker %ld ended normally: workers work again after "
		    "%d fast failures; no more pauses", (long)k->pid,
		    m->crash_run);
	m->crash_run = 0;
	m->throttle_ms = 0;
}

/* Accept what one listener has queued, as far as the limits allow. */
static void
master_accept(struct master *m, struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 i, fd;

	for (i = 0; i < MASTER_ACCEPT_BURST && l->fd != -1; i++) {
		if (m->conf.server.on_limit == CONF_ON_LIMIT_DEFER &&
		    m->nworkers >= m->conf.server.max_associations)
			return;
		/* Workers failing fast were reaped since the poll. */
		if (io_now() < m->throttle_until)
			return;
		sslen = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = fault_accept4(l->fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				master_backoff(m, "accept");
				return;
			default:
				log_error("accept on %s", l->name);
				return;
			}
		}
		master_recovered(m, "accept");
		m->st.accepted++;
		master_dispatch(m, fd, &ss);
	}
}

/*
 * Decide what one accepted connection gets: a worker, a reject worker,
 * or closing.  Only the peer's address is looked at.
 */
static void
master_dispatch(struct master *m, int fd, const struct sockaddr_storage *ss)
{
	const struct conf_server	*s = &m->conf.server;
	struct master_addr		 a;
	char				 peer[MASTER_PEER_LEN];
	const char			*which = NULL;
	int				 n, p;

	master_addr(ss, &a, peer, sizeof(peer));
	if (m->conf.access.on_denied == CONF_DENIED_CLOSE &&
	    !conf_access_ok(&m->conf, (const struct sockaddr *)ss)) {
		m->st.closed_denied++;
		close(fd);
		master_rlog(m, MASTER_RL_DENIED, "connection from %s closed: "
		    "address not allowed (access.on_denied = close)", peer);
		return;
	}
	if (!master_rate_ok(m, io_now())) {
		m->st.closed_rate++;
		close(fd);
		master_rlog(m, MASTER_RL_RATE, "connection from %s closed: "
		    "over server.max_connection_rate (%d a second, burst %d)",
		    peer, s->max_connection_rate, s->connection_rate_burst > 0 ?
		    s->connection_rate_burst : s->max_connection_rate);
		return;
	}
	if (s->max_startups_per_ip > 0 && (n = master_count_addr(m, &a, 1)) >=
	    s->max_startups_per_ip) {
		m->st.closed_startups_ip++;
		close(fd);
		master_rlog(m, MASTER_RL_STARTUPS_IP, "connection from %s "
		    "closed: %d workers of its source have not associated yet "
		    "(server.max_startups_per_ip)", peer, n);
		return;
	}
	if (s->max_startups_full > 0 && (p = master_startups_drop(s,
	    n = master_count_starting(m))) > 0 &&
	    arc4random_uniform(100) < (uint32_t)p) {
		m->st.closed_startups++;
		close(fd);
		master_rlog(m, MASTER_RL_STARTUPS, "connection from %s closed: "
		    "%d workers have not associated yet (server.max_startups "
		    "%d:%d:%d, dropping %d%%)", peer, n, s->max_startups_start,
		    s->max_startups_rate, s->max_startups_full, p);
		return;
	}
	if (m->nworkers >= s->max_associations)
		which = "max_associations";
	else if (s->max_associations_per_ip > 0 &&
	    master_count_addr(m, &a, 0) >= s->max_associations_per_ip)
		which = "max_associations_per_ip";
	if (which == NULL) {
		if (master_handoff(m, fd, &a, peer) == -1)
			master_fork(m, fd, &a, peer, 0);
		return;
	}
	if (m->nrejects < s->reject_slots) {
		log_debug("%s over %s: a reject worker answers", peer, which);
		master_fork(m, fd, &a, peer, 1);
		return;
	}
	m->st.closed_limit++;
	close(fd);
	master_rlog(m, MASTER_RL_LIMIT, "connection from %s closed: %s "
	    "reached and all %d reject slots busy", peer, which,
	    s->reject_slots);
}

/* Fork a worker (or a reject worker) for an accepted connection. */
static void
master_fork(struct master *m, int fd, const struct master_addr *a,
    const char *peer, int reject)
{
	struct master_child	*k;
	sigset_t		 all, old;
	pid_t			 pid;
	long			 state = -1;

	if (master_kids_reserve(m, m->nkids + 1) == -1) {
		log_error("connection from %s closed", peer);
		close(fd);
		return;
	}
	if (!reject)
		state = scoreboard_start(m->sb);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fault_fork()) == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		scoreboard_end(m->sb, state);
		m->st.fork_failed++;
		close(fd);
		master_backoff(m, "fork");
		return;
	}
	if (pid == 0) {
		scoreboard_bind(m->sb, state);
		master_child(m, fd, reject, peer, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	master_recovered(m, "fork");
	k = &m->kids[m->nkids++];
	memset(k, 0, sizeof(*k));
	k->pid = pid;
	k->reject = reject;
	k->state = state;
	k->seq = ++m->forks;
	k->born = io_now();
	k->addr = *a;
	strlcpy(k->peer, peer, sizeof(k->peer));
	if (reject) {
		m->nrejects++;
		m->st.rejects++;
	} else {
		m->nworkers++;
		m->st.workers++;
	}
	log_debug("%s %ld for %s", reject ? "reject worker" : "worker",
	    (long)pid, peer);
	master_title(m);
}

/*
 * In the child, right after fork() and with every signal blocked: close
 * what is the master's, set the worker's signals, drop privileges, and
 * only then run the association.  Workers leave with _exit(): the
 * master's atexit handlers and stdio buffers are not theirs.
 */
static __dead void
master_child(struct master *m, int fd, int reject, const char *peer,
    const sigset_t *mask)
{
	struct worker_params	 p;
	struct handler		 h;
	int			 sigfd;

	sigfd = master_child_begin(m, "worker");
	sigprocmask(SIG_SETMASK, mask, NULL);
	serve_oom_adjust(SERVE_WORKER_OOM_ADJ);
	master_child_drop(m);
	proctitle_role(reject ? "reject" : "worker");
	proctitle_set("%s %s", reject ? "reject" : "worker", peer);
	master_child_params(m, &p, &h, sigfd);
	if (reject) {
		p.over_limit = 1;
		p.to.artim = MIN(p.to.artim, SERVE_REJECT_ARTIM);
	}
	_exit(worker_run(&p, fd));
}

/*
 * The start of every child of the master: close what is the master's and
 * open the worker's signal pipe, whose read end is returned.
 */
static int
master_child_begin(struct master *m, const char *what)
{
	int	 sigfd;

	listen_close(&m->ls);
	close(m->sigp[0]);
	close(m->sigp[1]);
	if (m->pfh != NULL)
		close(pidfile_fileno(m->pfh));
	master_spares_retire(m);	/* the master's ends */
	log_procinit("worker");
	if ((sigfd = serve_signals(0)) == -1) {
		log_error("%s signal pipe", what);
		_exit(WORKER_EXIT_INTERNAL);
	}
	return (sigfd);
}

/* In a child: drop privileges, or end. */
static void
master_child_drop(struct master *m)
{
	if (privsep_drop(&m->ids) == -1) {
		log_error("cannot drop privileges to user %s", m->ids.user);
		_exit(WORKER_EXIT_INTERNAL);
	}
}

/* In a child: the worker's parameters from the configuration. */
static void
master_child_params(struct master *m, struct worker_params *p,
    struct handler *h, int sigfd)
{
	serve_params(p, &m->conf, h);
	h->sb = m->sb;
	p->sb = m->sb;
	p->sigfd = sigfd;
}

/* Count the spares not retired (waiting, or still starting). */
static int
master_spares_idle(const struct master *m)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < m->nspares; i++)
		if (m->spares[i].fd != -1)
			n++;
	return (n);
}

/*
 * Fork one spare worker.  A failure is only logged: accepting forks as
 * before, and the next turn of the loop tries again after the pause.
 */
static void
master_spare_fork(struct master *m)
{
	struct master_spare	*s;
	sigset_t		 all, old;
	pid_t			 pid;
	size_t			 n;
	int			 sp[2];

	if (m->nspares >= m->capspares) {
		n = m->capspares == 0 ? 8 : m->capspares * 2;
		if ((s = reallocarray(m->spares, n, sizeof(*s))) == NULL) {
			log_error("spare worker");
			return;
		}
		m->spares = s;
		m->capspares = n;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_error("spare worker: socketpair");
		master_backoff(m, "fork");
		return;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fault_fork()) == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(sp[0]);
		close(sp[1]);
		m->st.fork_failed++;
		master_backoff(m, "fork");
		return;
	}
	if (pid == 0) {
		close(sp[0]);
		master_spare(m, sp[1], &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[1]);
	master_recovered(m, "fork");
	s = &m->spares[m->nspares++];
	s->pid = pid;
	s->fd = sp[0];
	s->seq = ++m->forks;
	s->born = io_now();
	m->st.spares_forked++;
	log_debug("spare worker %ld", (long)pid);
}

/* Point a hand-off message at ho as its data and cbuf as its control. */
static void
master_handoff_msg(struct msghdr *msg, struct iovec *iov,
    struct master_handoff *ho, union master_cbuf *cbuf)
{
	memset(msg, 0, sizeof(*msg));
	memset(cbuf, 0, sizeof(*cbuf));
	iov->iov_base = ho;
	iov->iov_len = sizeof(*ho);
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = cbuf->buf;
	msg->msg_controllen = sizeof(cbuf->buf);
}

/*
 * A spare worker, right after fork() with every signal blocked: all of a
 * worker's set-up that needs no connection (privileges dropped before
 * any peer byte can reach it), one byte to the master to say it is
 * ready, and then wait for a connection on fd.  End of file (the master
 * retired it or died) ends it with status 0.
 */
static __dead void
master_spare(struct master *m, int fd, const sigset_t *mask)
{
	struct master_handoff	 ho;
	struct worker_params	 p;
	struct handler		 h;
	struct msghdr		 msg;
	struct cmsghdr		*cm;
	struct iovec		 iov;
	sigset_t		 all;
	union master_cbuf	 cbuf;
	ssize_t			 n;
	int			 sigfd, conn = -1;

	sigfd = master_child_begin(m, "spare worker");
	serve_spare_signals(1);
	serve_oom_adjust(SERVE_WORKER_OOM_ADJ);
	master_child_params(m, &p, &h, sigfd);
	serve_prefault();
	master_child_drop(m);
	proctitle_role("spare");
	proctitle_set("spare");
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (write(fd, "", 1) != 1)
		_exit(WORKER_EXIT_OK);
	for (;;) {
		master_handoff_msg(&msg, &iov, &ho, &cbuf);
		if ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
		    errno == EINTR)
			continue;
		break;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/* Closed with our ready byte unread, the master's end resets. */
	if (n == 0 || (n == -1 && errno == ECONNRESET))
		_exit(WORKER_EXIT_OK);
	if (n == -1) {
		log_error("spare worker: recvmsg");
		_exit(WORKER_EXIT_INTERNAL);
	}
	if ((cm = CMSG_FIRSTHDR(&msg)) != NULL &&
	    cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&conn, CMSG_DATA(cm), sizeof(conn));
	if (conn == -1 || n != (ssize_t)sizeof(ho) ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		log_errorx("spare worker: bad message from the master");
		_exit(WORKER_EXIT_INTERNAL);
	}
	close(fd);
	ho.peer[sizeof(ho.peer) - 1] = '\0';
	scoreboard_bind(m->sb, ho.state);
	serve_spare_signals(0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	proctitle_role("worker");
	proctitle_set("worker %s", ho.peer);
	_exit(worker_run(&p, conn));
}

/*
 * Hand an accepted connection to a ready spare and count it as a worker
 * master_fork() would have forked.  Returns -1, the connection still
 * ours, when no spare is ready.
 */
static int
master_handoff(struct master *m, int fd, const struct master_addr *a,
    const char *peer)
{
	struct master_handoff	 ho;
	struct master_spare	*s;
	struct master_child	*k;
	struct msghdr		 msg;
	struct cmsghdr		*cm;
	struct iovec		 iov;
	union master_cbuf	 cbuf;
	size_t			 i;
	ssize_t			 n;
	char			 b;

	if (m->nspares == 0 || master_kids_reserve(m, m->nkids + 1) == -1)
		return (-1);
	for (i = 0; i < m->nspares; i++) {
		s = &m->spares[i];
		if (s->fd == -1)
			continue;
		if ((n = recv(s->fd, &b, 1, MSG_DONTWAIT)) == -1 &&
		    (errno == EAGAIN || errno == EINTR))
			continue;	/* not ready yet */
		if (n != 1) {
			/* Gone: its exit is reaped as a spare's. */
			close(s->fd);
			s->fd = -1;
			continue;
		}
		memset(&ho, 0, sizeof(ho));
		ho.state = scoreboard_start(m->sb);
		strlcpy(ho.peer, peer, sizeof(ho.peer));
		master_handoff_msg(&msg, &iov, &ho, &cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
		while ((n = sendmsg(s->fd, &msg, MSG_NOSIGNAL)) == -1 &&
		    errno == EINTR)
			;
		close(s->fd);
		s->fd = -1;
		if (n != (ssize_t)sizeof(ho)) {
			log_debug("spare worker %ld: sendmsg: %s", (long)s->pid,
			    n == -1 ? strerror(errno) : "short");
			scoreboard_end(m->sb, ho.state);
			continue;
		}
		close(fd);
		k = &m->kids[m->nkids++];
		memset(k, 0, sizeof(*k));
		k->pid = s->pid;
		k->state = ho.state;
		k->seq = s->seq;
		k->born = io_now();
		k->addr = *a;
		strlcpy(k->peer, peer, sizeof(k->peer));
		m->nworkers++;
		m->st.workers++;
		m->st.spares_used++;
		m->spare_after = io_now() + MASTER_SPARE_DELAY;
		*s = m->spares[--m->nspares];
		log_debug("worker %ld (spare) for %s", (long)k->pid, peer);
		master_title(m);
		return (0);
	}
	return (-1);
}

/*
 * Fork one spare if there are fewer than server.spare_workers, unless a
 * drain, the crash throttle or a fork failure's pause holds; return
 * whether another is due at once (the loop polls the listeners between
 * two, so that a connection waits for one fork at most).  Not within
 * MASTER_SPARE_DELAY ms of a handoff: the fork and the new spare's
 * set-up would take the CPU the worker just handed a connection needs on
 * its way to the A-ASSOCIATE-AC.
 */
static int
master_spares_fill(struct master *m)
{
	uint64_t	 now = io_now();
	int		 n;

	if (m->draining || now < m->throttle_until ||
	    now < m->backoff_until || now < m->spare_after)
		return (0);
	if ((n = master_spares_idle(m)) >= m->conf.server.spare_workers)
		return (0);
	master_spare_fork(m);
	master_title(m);
	return (n + 1 < m->conf.server.spare_workers &&
	    io_now() >= m->backoff_until);
}

/*
 * Close the master's end of every spare's socketpair: each spare sees end
 * of file and exits.  A new child calls it too, to close its copies.
 */
static void
master_spares_retire(struct master *m)
{
	size_t	 i;

	for (i = 0; i < m->nspares; i++)
		if (m->spares[i].fd != -1) {
			close(m->spares[i].fd);
			m->spares[i].fd = -1;
		}
}

/*
 * If pid was a spare, forget it and return 1.  One that was not retired
 * and failed (a signal, or a status other than 0) counts as a worker
 * failing for the crash throttle.
 */
static int
master_spare_reaped(struct master *m, pid_t pid, int st)
{
	struct master_child	 k;
	struct master_spare	*s;
	char			 how[96];
	size_t			 i;

	for (i = 0; i < m->nspares && m->spares[i].pid != pid; i++)
		;
	if (i == m->nspares)
		return (0);
	s = &m->spares[i];
	if (WIFSIGNALED(st) || WEXITSTATUS(st) != WORKER_EXIT_OK) {
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "killed by signal %d (%s)",
			    WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			snprintf(how, sizeof(how), "exited with status %d",
			    WEXITSTATUS(st));
		master_rlog(m, WIFSIGNALED(st) && (WTERMSIG(st) == SIGKILL ||
		    WTERMSIG(st) == SIGTERM) ? MASTER_RL_KILLED :
		    WIFSIGNALED(st) ? MASTER_RL_CRASHED : MASTER_RL_INTERNAL,
		    "spare worker %ld %s", (long)pid, how);
		memset(&k, 0, sizeof(k));
		k.pid = pid;
		k.seq = s->seq;
		k.born = s->born;
		master_failed(m, &k, how);
	} else
		log_debug("spare worker %ld exited", (long)pid);
	if (s->fd != -1)
		close(s->fd);
	*s = m->spares[--m->nspares];
	return (1);
}

/*
 * Reap every exited child (one SIGCHLD may stand for many) and log how
 * it ended: status 0 at debug level, the rest rate-limited.
 */
static void
master_reap(struct master *m)
{
	struct master_child	*k;
	const char		*what;
	char			 how[96];
	size_t			 i;
	pid_t			 pid;
	int			 st, code;
	enum master_rl		 kind;

	for (;;) {
		if ((pid = waitpid(-1, &st, WNOHANG)) == 0)
			break;
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < m->nkids && m->kids[i].pid != pid; i++)
			;
		if (i == m->nkids && master_spare_reaped(m, pid, st))
			continue;
		if (i == m->nkids) {
			log_debug("reaped process %ld, not a worker",
			    (long)pid);
			continue;
		}
		k = &m->kids[i];
		scoreboard_reap(m->sb, pid);
		scoreboard_end(m->sb, k->state);
		what = k->reject ? "reject worker" : "worker";
		code = WIFSIGNALED(st) ? -1 : WEXITSTATUS(st);
		kind = MASTER_RL_INTERNAL;
		if (code == -1) {
			m->st.exit_signal++;
			snprintf(how, sizeof(how), "killed by signal %d (%s)",
			    WTERMSIG(st), strsignal(WTERMSIG(st)));
			kind = WTERMSIG(st) == SIGKILL ||
			    WTERMSIG(st) == SIGTERM ? MASTER_RL_KILLED :
			    MASTER_RL_CRASHED;
		} else if (code != WORKER_EXIT_OK &&
		    code != WORKER_EXIT_PROTOCOL) {
			m->st.exit_internal++;
			snprintf(how, sizeof(how), "exited with status %d "
			    "(internal error)", code);
		}
		if (code == WORKER_EXIT_OK) {
			m->st.exit_ok++;
			log_debug("%s %ld for %s exited with status 0", what,
			    (long)pid, k->peer);
			master_worked(m, k);
		} else if (code == WORKER_EXIT_PROTOCOL) {
			m->st.exit_protocol++;
			master_rlog(m, MASTER_RL_PROTOCOL, "%s %ld for %s "
			    "exited with status %d (protocol violation)", what,
			    (long)pid, k->peer, code);
			master_worked(m, k);
		} else {
			master_rlog(m, kind, "%s %ld for %s %s", what,
			    (long)pid, k->peer, how);
			master_failed(m, k, how);
		}
		if (k->reject)
			m->nrejects--;
		else
			m->nworkers--;
		*k = m->kids[--m->nkids];
	}
	master_title(m);
}

/*
 * SIGHUP: load the file again.  The new configuration takes over only
 * when all of it works (the file, the accounts, the log file, the new
 * listeners); otherwise the running one stays, with the error logged.
 * Running associations keep the configuration they were forked with.
 */
static void
master_reload(struct master *m)
{
	struct dul_conf		 nc;
	struct privsep_id	 nid;
	struct listen_set	 nls;
	struct timespec		 ts;
	char			 err[CONF_ERR_MAX];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify_send(&m->sn, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	memset(&nls, 0, sizeof(nls));
	if (conf_load(m->path, &nc, m->opts->conf_flags, err,
	    sizeof(err)) == -1)
		goto fail;
	if (privsep_resolve(&nc, &nid, err, sizeof(err)) == -1)
		goto fail_conf;
	if (serve_log(&nc, m->opts->log_stderr, m->opts->verbose) == -1) {
		snprintf(err, sizeof(err), "logging.file %s: %s",
		    nc.logging.file, strerror(errno));
		goto fail_conf;
	}
	if (!m->ls.systemd && listen_bind(&nls, &nc, &m->ls, err,
	    sizeof(err)) == -1) {
		serve_log(&m->conf, m->opts->log_stderr, m->opts->verbose);
		goto fail_conf;
	}
	if (strcmp(nc.server.pidfile, m->conf.server.pidfile) != 0)
		log_warnx("reload: a new server.pidfile takes effect only "
		    "after a restart");
	if (!m->ls.systemd) {
		listen_close(&m->ls);
		listen_move(&m->ls, &nls);
	}
	conf_free(&m->conf);
	m->conf = nc;
	m->ids = nid;
	if (master_pollfds(m) == -1)
		log_error("reload: poll array");
	m->st.reloads++;
	master_spares_retire(m);
	log_info("configuration reloaded from %s: %zu AE entr%s, %zu "
	    "listener%s; new associations use it", m->path, m->conf.nae,
	    m->conf.nae == 1 ? "y" : "ies", m->ls.n, m->ls.n == 1 ? "" : "s");
	sdnotify_send(&m->sn, "READY=1\nSTATUS=configuration reloaded");
	master_title(m);
	return;
fail_conf:
	conf_free(&nc);
fail:
	m->st.reload_failed++;
	if (log_reopen() == -1)
		log_error("reopen log file");
	log_errorx("reload failed, the running configuration stays: %s", err);
	sdnotify_send(&m->sn, "READY=1\nSTATUS=reload failed; running "
	    "configuration kept");
}

/* SIGUSR1: one line with the counts. */
static void
master_status(struct master *m)
{
	struct master_stats	*s = &m->st;

	log_info("status: associations %d/%d, reject workers %d/%d, "
	    "listeners %zu%s; since start (%llu s): accepted %llu, workers "
	    "%llu, reject workers %llu, closed at limit %llu, closed by "
	    "access %llu, fork failures %llu; exits ok %llu, protocol %llu, "
	    "internal %llu, signalled %llu; reloads %llu, failed %llu; "
	    "closed over the rate %llu, crash pauses %llu; starting %d, "
	    "closed by max_startups %llu, by max_startups_per_ip %llu; "
	    "spare %d, spares forked %llu, used %llu",
	    m->nworkers, m->conf.server.max_associations, m->nrejects,
	    m->conf.server.reject_slots, m->ls.n,
	    m->draining ? ", shutting down" :
	    io_now() < m->throttle_until ? ", paused (workers failing)" : "",
	    (unsigned long long)((io_now() - m->started) / 1000), s->accepted,
	    s->workers, s->rejects, s->closed_limit, s->closed_denied,
	    s->fork_failed, s->exit_ok, s->exit_protocol, s->exit_internal,
	    s->exit_signal, s->reloads, s->reload_failed, s->closed_rate,
	    s->throttles, master_count_starting(m), s->closed_startups,
	    s->closed_startups_ip, master_spares_idle(m), s->spares_forked,
	    s->spares_used);
}

/* Signal every child. */
static void
master_kill_all(struct master *m, int sig)
{
	size_t	 i;

	for (i = 0; i < m->nkids; i++)
		if (kill(m->kids[i].pid, sig) == -1 && errno != ESRCH)
			log_error("kill %ld", (long)m->kids[i].pid);
	for (i = 0; i < m->nspares; i++)
		if (kill(m->spares[i].pid, sig) == -1 && errno != ESRCH)
			log_error("kill %ld", (long)m->spares[i].pid);
}

/*
 * SIGTERM or SIGINT: stop accepting at once (the listeners close, so new
 * peers are refused rather than left in a backlog), tell the workers a
 * drain started (SIGUSR2, design decision 9) and give them
 * server.shutdown_grace to finish.
 */
static void
master_drain(struct master *m)
{
	m->draining = 1;
	sdnotify_send(&m->sn, "STOPPING=1\nSTATUS=shutting down");
	listen_close(&m->ls);
	master_spares_retire(m);
	m->grace_end = io_now() + (uint64_t)m->conf.server.shutdown_grace *
	    1000;
	log_info("shutting down: not accepting; waiting up to %d s for %d "
	    "association%s", m->conf.server.shutdown_grace, m->nworkers,
	    m->nworkers == 1 ? "" : "s");
	master_kill_all(m, SIGUSR2);
	master_title(m);
}

/*
 * Move a drain on: when the grace ends, SIGTERM makes every worker abort
 * (A-ABORT) and then wait for its peer and handler; whoever is still
 * there after ARTIM, timeouts.handler_exit and a margin gets SIGKILL.
 */
static void
master_drain_step(struct master *m, uint64_t now)
{
	uint64_t	 wait = m->conf.timeouts.artim;
	size_t		 i;

	if (m->nkids == 0 && m->nspares == 0)
		return;
	if (!m->term_sent && now >= m->grace_end) {
		for (i = 0; i < m->conf.nae; i++)
			wait = MAX(wait, m->conf.ae[i].timeouts.artim +
			    m->conf.ae[i].timeouts.handler_exit);
		wait = MAX(wait, m->conf.timeouts.artim +
		    m->conf.timeouts.handler_exit);
		log_info("grace period over: aborting %d association%s",
		    m->nworkers, m->nworkers == 1 ? "" : "s");
		master_kill_all(m, SIGTERM);
		m->term_sent = 1;
		m->kill_end = now + wait + MASTER_KILL_EXTRA;
	} else if (m->term_sent && m->kill_end != 0 && now >= m->kill_end) {
		log_warnx("%zu worker%s still running after the abort: "
		    "killing", m->nkids + m->nspares,
		    m->nkids + m->nspares == 1 ? "" : "s");
		master_kill_all(m, SIGKILL);
		m->kill_end = 0;
	}
}

/* Serve until a drain has ended. */
static int
master_loop(struct master *m)
{
	char		 buf[64];
	uint64_t	 now, deadline;
	size_t		 i, n;
	int		 listening, more;

	while (!m->draining || m->nkids > 0 || m->nspares > 0) {
		/* After the last turn's handoffs, off their way to the AC. */
		more = master_spares_fill(m);
		now = io_now();
		deadline = more ? now : IO_NO_DEADLINE;
		listening = !m->draining && now >= m->backoff_until &&
		    now >= m->throttle_until &&
		    !(m->conf.server.on_limit == CONF_ON_LIMIT_DEFER &&
		    m->nworkers >= m->conf.server.max_associations);
		if (!m->draining && now < m->backoff_until)
			deadline = m->backoff_until;
		if (!m->draining && now < m->throttle_until)
			deadline = io_min_deadline(deadline,
			    m->throttle_until);
		if (!m->draining && now < m->spare_after &&
		    master_spares_idle(m) < m->conf.server.spare_workers)
			deadline = io_min_deadline(deadline, m->spare_after);
		if (m->draining)
			deadline = m->term_sent ? m->kill_end : m->grace_end;
		deadline = io_min_deadline(deadline, master_rlog_flush(m, now));
		m->pfd[0].fd = m->sigp[0];
		m->pfd[0].events = POLLIN;
		m->pfd[0].revents = 0;
		n = 1;
		for (i = 0; listening && i < m->ls.n; i++, n++) {
			m->pfd[n].fd = m->ls.l[i].fd;
			m->pfd[n].events = POLLIN;
			m->pfd[n].revents = 0;
		}
		if (poll(m->pfd, n, io_timeout(deadline, now)) == -1 &&
		    errno != EINTR) {
			log_error("poll");
			m->pfd[0].revents = 0;
			n = 1;
		}
		if (m->pfd[0].revents & POLLIN)
			while (read(m->sigp[0], buf, sizeof(buf)) > 0)
				;
		if (master_got_chld) {
			master_got_chld = 0;
			master_reap(m);
		}
		if (master_got_term) {
			master_got_term = 0;
			if (!m->draining)
				master_drain(m);
			else if (!m->term_sent) {
				log_info("second stop signal: ending the grace "
				    "period now");
				m->grace_end = io_now();
			}
		}
		if (master_got_hup) {
			master_got_hup = 0;
			if (m->draining)
				log_info("SIGHUP ignored while shutting down");
			else
				master_reload(m);
		}
		if (master_got_usr1) {
			master_got_usr1 = 0;
			master_status(m);
		}
		if (m->draining) {
			master_drain_step(m, io_now());
			continue;
		}
		/* A reload may have replaced the listeners polled above. */
		for (i = 1; i < n && i <= m->ls.n; i++)
			if (m->pfd[i].revents & (POLLIN | POLLERR) &&
			    m->pfd[i].fd == m->ls.l[i - 1].fd)
				master_accept(m, &m->ls.l[i - 1]);
	}
	log_info("all associations ended; exiting");
	return (DUL_EXIT_OK);
}

/*
 * Everything that can fail at start-up, in order: accounts, pidfile (a
 * second instance fails here, naming the first), listeners, log target,
 * detaching, signals.  Errors go to stderr, where the operator is, until
 * the log target is set.  Returns the exit code to leave with, or -1 to
 * go on serving.
 */
static int
master_start(struct master *m, struct dul_conf *conf)
{
	char	 err[CONF_ERR_MAX];
	pid_t	 other = -1;
	int	 r;

	m->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	m->sigp[0] = m->sigp[1] = -1;
	m->started = io_now();
	if (realpath(m->opts->conf_path, m->path) == NULL)
		strlcpy(m->path, m->opts->conf_path, sizeof(m->path));
	if (sdnotify_init(&m->sn) == -1)
		log_warnx("NOTIFY_SOCKET is neither a path nor abstract: "
		    "ignored");
	if (privsep_resolve(&m->conf, &m->ids, err, sizeof(err)) == -1) {
		log_errorx("%s: %s", m->path, err);
		return (DUL_EXIT_CONFIG);
	}
	if (m->conf.server.pidfile[0] != '\0') {
		m->pfh = pidfile_open(m->conf.server.pidfile, 0644, &other);
		if (m->pfh == NULL && errno == EEXIST) {
			log_errorx("another dulserverd is running as pid %ld "
			    "(pidfile %s)", (long)other,
			    m->conf.server.pidfile);
			return (DUL_EXIT_SYSTEM);
		}
		if (m->pfh == NULL) {
			log_error("pidfile %s", m->conf.server.pidfile);
			return (DUL_EXIT_SYSTEM);
		}
		io_set_cloexec(pidfile_fileno(m->pfh));
	}
	if ((r = listen_systemd(&m->ls, err, sizeof(err))) == -1) {
		log_errorx("%s", err);
		return (DUL_EXIT_SYSTEM);
	}
	if (r == 0 && listen_bind(&m->ls, &m->conf, NULL, err,
	    sizeof(err)) == -1) {
		log_errorx("%s", err);
		return (DUL_EXIT_SYSTEM);
	}
	/* Until here, errors went to the operator's stderr. */
	if (serve_log(&m->conf, m->opts->log_stderr, m->opts->verbose) == -1) {
		log_error("logging.file %s", m->conf.logging.file);
		return (DUL_EXIT_SYSTEM);
	}
	if (m->opts->detach) {
		if (m->conf.logging.target == CONF_LOG_STDERR &&
		    !m->opts->log_stderr) {
			log_info("detaching: logging to syslog from now on");
			log_target(LOG_TO_SYSLOG, NULL,
			    m->conf.logging.facility);
		}
		if (daemon(0, m->opts->log_stderr) == -1) {
			log_error("daemon");
			return (DUL_EXIT_SYSTEM);
		}
	}
	if (m->pfh != NULL && pidfile_write(m->pfh) == -1)
		log_error("pidfile %s", m->conf.server.pidfile);
	if (master_signals(m) == -1 || master_pollfds(m) == -1) {
		log_error("signals");
		return (DUL_EXIT_SYSTEM);
	}
	if ((m->sb = scoreboard_create(SCOREBOARD_SLOTS)) == NULL) {
		log_error("scoreboard");
		return (DUL_EXIT_SYSTEM);
	}
	return (-1);
}

/* Release what the master holds. */
static void
master_free(struct master *m)
{
	listen_close(&m->ls);
	if (m->pfh != NULL)
		pidfile_remove(m->pfh);
	if (m->sigp[0] != -1)
		close(m->sigp[0]);
	if (m->sigp[1] != -1)
		close(m->sigp[1]);
	master_sigfd = -1;
	free(m->pfd);
	free(m->kids);
	master_spares_retire(m);
	free(m->spares);
	scoreboard_destroy(m->sb);
	conf_free(&m->conf);
}

/*
 * Run the daemon with a loaded configuration, which the master takes
 * over.  Returns the process's exit code.
 */
int
master_main(const struct master_opts *opts, struct dul_conf *conf)
{
	struct master	*m;
	char		 per[80];
	size_t		 i;
	int		 code;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_error("master");
		conf_free(conf);
		return (DUL_EXIT_SYSTEM);
	}
	m->opts = opts;
	log_procinit("master");
	if ((code = master_start(m, conf)) != -1) {
		master_free(m);
		free(m);
		return (code);
	}
	for (i = 0; i < m->ls.n; i++)
		log_info("listening on %s%s", m->ls.l[i].name,
		    m->ls.systemd ? " (from systemd)" : "");
	master_per_source(&m->conf.server, per, sizeof(per));
	log_info("%s %s started: up to %d associations, %s, %d reject slots",
	    PACKAGE_NAME, PACKAGE_VERSION, m->conf.server.max_associations,
	    per, m->conf.server.reject_slots);
	sdnotify_send(&m->sn, "READY=1\nMAINPID=%ld\nSTATUS=listening on "
	    "%zu socket%s", (long)getpid(), m->ls.n, m->ls.n == 1 ? "" : "s");
	master_title(m);
	code = master_loop(m);
	master_free(m);
	free(m);
	return (code);
}
