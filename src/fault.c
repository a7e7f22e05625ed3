/*
 * fault.c: fault injection for test builds (--enable-fault-injection).
 *
 * DUL_FAULT is a comma-separated list of rules, read once per process
 * image (a forked child inherits the rules and counts its own calls from
 * zero):
 *
 *	[role[@birth].]point:first[-last|+][=action]
 *
 * point is fork, accept, write, writev (writev and sendmsg), fsync
 * (fsync and fdatasync), rename, link (linkat, and renameat2 with
 * RENAME_NOREPLACE) or malloc (malloc, calloc and realloc at the sites that
 * size memory from the peer or the handler).  The rule applies to calls
 * first to last of that point in this process (one call without "-last",
 * every later call with "+").  role, when given, limits the rule to the
 * processes whose log name (log_procinit()) it is: "master" or "worker";
 * with "@birth", to the child that its parent's fork call number birth
 * made ("worker@2": the worker of the master's second fork, that is of
 * its second connection), so one association fails among healthy ones.
 * action is an errno name (EIO, ENOSPC, ...; each point has a default),
 * "short" (write and writev only: transfer about half the bytes, at least
 * one) or "kill" (SIGKILL this process just before the call).  Every
 * fault that fires writes one line on stderr, so a test can tell that it
 * did.  A rule that does not parse ends the process with status 127.
 *
 * Example: DUL_FAULT="master.fork:1-3,worker@4.writev:2=short".
 */

#include "compat.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

#define FAULT_RULES_MAX	32
#define FAULT_ROLE_MAX	16
#define FAULT_LAST_ANY	UINT64_MAX

enum fault_point {
	FAULT_FORK,
	FAULT_ACCEPT,
	FAULT_WRITE,
	FAULT_WRITEV,
	FAULT_FSYNC,
	FAULT_RENAME,
	FAULT_LINK,
	FAULT_MALLOC,
	FAULT_NPOINTS
};

enum fault_action {
	FAULT_ERRNO = 1,
	FAULT_SHORT,
	FAULT_KILL
};

struct fault_rule {
	char			 role[FAULT_ROLE_MAX];	/* "": any process */
	uint64_t		 birth;			/* 0: any */
	enum fault_point	 point;
	uint64_t		 first, last;
	enum fault_action	 action;
	int			 err;
};

static const struct {
	const char	*name;
	int		 err;		/* the default errno */
	int		 can_short;
} fault_points[FAULT_NPOINTS] = {
	[FAULT_FORK] = { "fork", EAGAIN, 0 },
	[FAULT_ACCEPT] = { "accept", EMFILE, 0 },
	[FAULT_WRITE] = { "write", ENOSPC, 1 },
	[FAULT_WRITEV] = { "writev", EPIPE, 1 },
	[FAULT_FSYNC] = { "fsync", EIO, 0 },
	[FAULT_RENAME] = { "rename", ENOSPC, 0 },
	[FAULT_LINK] = { "link", ENOSPC, 0 },
	[FAULT_MALLOC] = { "malloc", ENOMEM, 0 },
};

#define E(x)	{ #x, x }
static const struct {
	const char	*name;
	int		 err;
} fault_errnos[] = {
	E(EACCES), E(EAGAIN), E(ECONNABORTED), E(EDQUOT), E(EEXIST),
	E(EFBIG), E(EINTR), E(EIO), E(EMFILE), E(ENFILE), E(ENOBUFS),
	E(ENOMEM), E(ENOSPC), E(EPERM), E(EPIPE), E(EROFS), E(EXDEV),
};
#undef E

static struct fault_rule	 fault_rules[FAULT_RULES_MAX];
static size_t			 fault_nrules;
static uint64_t			 fault_count[FAULT_NPOINTS];
static char			 fault_role[FAULT_ROLE_MAX];
static uint64_t			 fault_birth;	/* parent's fork call */
static int			 fault_parsed;

static void	 fault_say(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static __dead void fault_bad(const char *, const char *);
static void	 fault_parse_rule(char *);
static void	 fault_parse(void);
static enum fault_action fault_hit(enum fault_point, int *);
static size_t	 fault_short_len(size_t);

/* Write one line on stderr, in one write(2), without the log module. */
static void
fault_say(const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* A rule of DUL_FAULT does not parse: say which, and stop. */
static __dead void
fault_bad(const char *rule, const char *why)
{
	fault_say("DUL_FAULT: \"%s\": %s", rule, why);
	_exit(127);
}

/* Parse one rule (the string is modified) and add it to the table. */
static void
fault_parse_rule(char *s)
{
	struct fault_rule	*r;
	char			 copy[128];
	char			*colon, *dot, *at, *eq, *end;
	size_t			 i;

	strlcpy(copy, s, sizeof(copy));
	if (fault_nrules == FAULT_RULES_MAX)
		fault_bad(copy, "too many rules");
	r = &fault_rules[fault_nrules];
	memset(r, 0, sizeof(*r));
	if ((colon = strchr(s, ':')) == NULL)
		fault_bad(copy, "no ':'");
	*colon = '\0';
	if ((dot = strchr(s, '.')) != NULL) {
		*dot = '\0';
		if ((at = strchr(s, '@')) != NULL) {
			*at++ = '\0';
			errno = 0;
			r->birth = strtoull(at, &end, 10);
			if (errno != 0 || end == at || *end != '\0' ||
			    r->birth == 0)
				fault_bad(copy, "bad birth (from 1)");
		}
		if (strlcpy(r->role, s, sizeof(r->role)) >= sizeof(r->role))
			fault_bad(copy, "role too long");
		s = dot + 1;
	}
	for (i = 0; i < FAULT_NPOINTS; i++)
		if (strcmp(s, fault_points[i].name) == 0)
			break;
	if (i == FAULT_NPOINTS)
		fault_bad(copy, "unknown point");
	r->point = (enum fault_point)i;
	r->action = FAULT_ERRNO;
	r->err = fault_points[i].err;

	s = colon + 1;
	if ((eq = strchr(s, '=')) != NULL)
		*eq++ = '\0';
	errno = 0;
	r->first = strtoull(s, &end, 10);
	if (errno != 0 || end == s || r->first == 0)
		fault_bad(copy, "bad first call (counting starts at 1)");
	r->last = r->first;
	if (*end == '+' && end[1] == '\0')
		r->last = FAULT_LAST_ANY;
	else if (*end == '-') {
		s = end + 1;
		r->last = strtoull(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' ||
		    r->last < r->first)
			fault_bad(copy, "bad last call");
	} else if (*end != '\0')
		fault_bad(copy, "bad call range");

	if (eq != NULL) {
		if (strcmp(eq, "short") == 0) {
			if (!fault_points[r->point].can_short)
				fault_bad(copy, "only writes can be short");
			r->action = FAULT_SHORT;
		} else if (strcmp(eq, "kill") == 0)
			r->action = FAULT_KILL;
		else {
			for (i = 0; i < nitems(fault_errnos); i++)
				if (strcmp(eq, fault_errnos[i].name) == 0)
					break;
			if (i == nitems(fault_errnos))
				fault_bad(copy, "unknown action");
			r->err = fault_errnos[i].err;
		}
	}
	fault_nrules++;
}

/* Read DUL_FAULT once. */
static void
fault_parse(void)
{
	const char	*env;
	char		*copy, *p, *rule;

	fault_parsed = 1;
	if ((env = getenv("DUL_FAULT")) == NULL || *env == '\0')
		return;
	if ((copy = strdup(env)) == NULL)
		fault_bad(env, "out of memory");
	for (p = copy; (rule = strsep(&p, ",")) != NULL; )
		if (*rule != '\0')
			fault_parse_rule(rule);
	free(copy);
}

/* Take the role that rules with a role prefix select (the log name). */
void
fault_procinit(const char *name)
{
	if (!fault_parsed)
		fault_parse();
	strlcpy(fault_role, name != NULL ? name : "", sizeof(fault_role));
}

/*
 * Count one call of a point and say what to do with it: 0 for the real
 * call, or the action of the first rule that takes it (*err holds the
 * errno of FAULT_ERRNO).  A kill happens here.
 */
static enum fault_action
fault_hit(enum fault_point pt, int *err)
{
	const struct fault_rule	*r;
	uint64_t		 n;
	size_t			 i;

	if (!fault_parsed)
		fault_parse();
	n = ++fault_count[pt];
	for (i = 0; i < fault_nrules; i++) {
		r = &fault_rules[i];
		if (r->point != pt || n < r->first || n > r->last)
			continue;
		if (r->role[0] != '\0' && strcmp(r->role, fault_role) != 0)
			continue;
		if (r->birth != 0 && r->birth != fault_birth)
			continue;
		fault_say("fault injected: %s pid %ld: %s call %llu: %s",
		    fault_role[0] != '\0' ? fault_role : getprogname(),
		    (long)getpid(), fault_points[pt].name,
		    (unsigned long long)n, r->action == FAULT_KILL ? "kill" :
		    r->action == FAULT_SHORT ? "short" : strerror(r->err));
		if (r->action == FAULT_KILL)
			raise(SIGKILL);
		*err = r->err;
		return (r->action);
	}
	return (0);
}

/* How many of n bytes a short write transfers: about half, at least 1. */
static size_t
fault_short_len(size_t n)
{
	return (n > 1 ? n / 2 : n);
}

/*
 * fork(2); the child counts its own calls from zero and remembers which
 * of its parent's fork calls made it.
 */
pid_t
fault_fork(void)
{
	pid_t	 pid;
	int	 err;

	if (fault_hit(FAULT_FORK, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	if ((pid = fork()) == 0) {
		fault_birth = fault_count[FAULT_FORK];
		memset(fault_count, 0, sizeof(fault_count));
	}
	return (pid);
}

/*
 * The fork point for a caller that must call vfork() itself (a vfork()
 * inside a wrapper would return into a frame that is gone): -1 with errno
 * when the rule fails this call, else 0.
 */
int
fault_fork_check(void)
{
	int	 err;

	if (fault_hit(FAULT_FORK, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (0);
}

/* accept4(2). */
int
fault_accept4(int s, struct sockaddr *sa, socklen_t *len, int flags)
{
	int	 err;

	if (fault_hit(FAULT_ACCEPT, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (accept4(s, sa, len, flags));
}

/* write(2). */
ssize_t
fault_write(int fd, const void *p, size_t n)
{
	int	 err;

	switch (fault_hit(FAULT_WRITE, &err)) {
	case FAULT_ERRNO:
		errno = err;
		return (-1);
	case FAULT_SHORT:
		return (write(fd, p, fault_short_len(n)));
	default:
		return (write(fd, p, n));
	}
}

/* writev(2); a short one transfers part of the first non-empty buffer. */
ssize_t
fault_writev(int fd, const struct iovec *iov, int n)
{
	struct iovec	 one;
	int		 i, err;

	switch (fault_hit(FAULT_WRITEV, &err)) {
	case FAULT_ERRNO:
		errno = err;
		return (-1);
	case FAULT_SHORT:
		for (i = 0; i < n && iov[i].iov_len == 0; i++)
			;
		if (i == n)
			break;
		one.iov_base = iov[i].iov_base;
		one.iov_len = fault_short_len(iov[i].iov_len);
		return (writev(fd, &one, 1));
	default:
		break;
	}
	return (writev(fd, iov, n));
}

/* sendmsg(2), counted as a writev. */
ssize_t
fault_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr	 m;
	struct iovec	 one;
	size_t		 i;
	int		 err;

	switch (fault_hit(FAULT_WRITEV, &err)) {
	case FAULT_ERRNO:
		errno = err;
		return (-1);
	case FAULT_SHORT:
		for (i = 0; i < msg->msg_iovlen &&
		    msg->msg_iov[i].iov_len == 0; i++)
			;
		if (i == msg->msg_iovlen)
			break;
		m = *msg;
		one.iov_base = msg->msg_iov[i].iov_base;
		one.iov_len = fault_short_len(msg->msg_iov[i].iov_len);
		m.msg_iov = &one;
		m.msg_iovlen = 1;
		return (sendmsg(fd, &m, flags));
	default:
		break;
	}
	return (sendmsg(fd, msg, flags));
}

/* fsync(2). */
int
fault_fsync(int fd)
{
	int	 err;

	if (fault_hit(FAULT_FSYNC, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (fsync(fd));
}

/* fdatasync(2): the fsync point too. */
int
fault_fdatasync(int fd)
{
	int	 err;

	if (fault_hit(FAULT_FSYNC, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (fdatasync(fd));
}

/* renameat(2). */
int
fault_renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int	 err;

	if (fault_hit(FAULT_RENAME, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (renameat(fromfd, from, tofd, to));
}

#ifdef RENAME_NOREPLACE
/*
 * renameat2(2): with RENAME_NOREPLACE it stands for a link (a move that
 * never replaces a name) and is the link point, else the rename point.
 */
int
fault_renameat2(int fromfd, const char *from, int tofd, const char *to,
    unsigned int flags)
{
	int	 err;

	if (fault_hit(flags & RENAME_NOREPLACE ? FAULT_LINK : FAULT_RENAME,
	    &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (renameat2(fromfd, from, tofd, to, flags));
}
#endif

/* linkat(2). */
int
fault_linkat(int fromfd, const char *from, int tofd, const char *to,
    int flags)
{
	int	 err;

	if (fault_hit(FAULT_LINK, &err) == FAULT_ERRNO) {
		errno = err;
		return (-1);
	}
	return (linkat(fromfd, from, tofd, to, flags));
}

/* malloc(3). */
void *
fault_malloc(size_t n)
{
	int	 err;

	if (fault_hit(FAULT_MALLOC, &err) == FAULT_ERRNO) {
		errno = err;
		return (NULL);
	}
	return (malloc(n));
}

/* calloc(3), counted as a malloc. */
void *
fault_calloc(size_t n, size_t m)
{
	int	 err;

	if (fault_hit(FAULT_MALLOC, &err) == FAULT_ERRNO) {
		errno = err;
		return (NULL);
	}
	return (calloc(n, m));
}

/* realloc(3), counted as a malloc; a failure leaves p as it was. */
void *
fault_realloc(void *p, size_t n)
{
	int	 err;

	if (fault_hit(FAULT_MALLOC, &err) == FAULT_ERRNO) {
		errno = err;
		return (NULL);
	}
	return (realloc(p, n));
}
