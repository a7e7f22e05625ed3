/*
 * listen.c: the listening sockets.  server.listen entries are bound with
 * SO_REUSEADDR and IPV6_V6ONLY as configured; sockets passed by systemd
 * are checked and adopted as they are.  On a reload the master binds only
 * the entries that are new and keeps the sockets of those that did not
 * change, so a reload never drops a queued connection.
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "io.h"
#include "listen.h"

static void	listen_name(struct listener *);
static int	listen_same(const struct listener *, const struct listener *);
static int	listen_one(struct listener *, const struct conf_listen *, int,
		    char *, size_t);

/* Write "ip:port" or "[ip]:port" for a listener's bound address. */
static void
listen_name(struct listener *l)
{
	char	 host[64], serv[8];

	if (getnameinfo((struct sockaddr *)&l->ss, l->sslen, host,
	    sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(l->name, sizeof(l->name), "fd %d", l->fd);
		return;
	}
	if (strchr(host, ':') != NULL)
		snprintf(l->name, sizeof(l->name), "[%s]:%s", host, serv);
	else
		snprintf(l->name, sizeof(l->name), "%s:%s", host, serv);
}

/* Return whether two listeners are bound to the same address. */
static int
listen_same(const struct listener *a, const struct listener *b)
{
	return (a->sslen == b->sslen && a->v6only == b->v6only &&
	    memcmp(&a->ss, &b->ss, a->sslen) == 0);
}

/*
 * Resolve one server.listen entry into l (l->fd stays -1), and bind it
 * unless bind is 0.  Returns -1 with a message in err.
 */
static int
listen_one(struct listener *l, const struct conf_listen *cl, int backlog,
    char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	char		 port[16];
	int		 r, one = 1, v6only;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", cl->port);
	if ((r = getaddrinfo(cl->address, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s port %s: %s", cl->address,
		    port, gai_strerror(r));
		return (-1);
	}
	if (res->ai_addrlen > sizeof(l->ss)) {
		freeaddrinfo(res);
		snprintf(err, errlen, "listen %s: address too long",
		    cl->address);
		return (-1);
	}
	memcpy(&l->ss, res->ai_addr, res->ai_addrlen);
	l->sslen = res->ai_addrlen;
	l->v6only = res->ai_family == AF_INET6 ? cl->v6only : 0;
	freeaddrinfo(res);
	listen_name(l);
	if (backlog == 0)
		return (0);

	if ((l->fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		goto fail;
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1)
		goto fail;
	v6only = l->v6only;
	if (l->ss.ss_family == AF_INET6 && setsockopt(l->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1)
		goto fail;
	if (bind(l->fd, (struct sockaddr *)&l->ss, l->sslen) == -1 ||
	    listen(l->fd, backlog) == -1)
		goto fail;
	return (0);
fail:
	snprintf(err, errlen, "listen %s: %s", l->name, strerror(errno));
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	return (-1);
}

/*
 * Bind every server.listen entry into set.  An entry whose address old
 * already listens on takes that socket over (old's copy becomes -1);
 * the rest are bound afresh.  On failure nothing changes in old, what
 * was bound is closed, and err says which entry failed.
 */
int
listen_bind(struct listen_set *set, const struct dul_conf *conf,
    const struct listen_set *old, char *err, size_t errlen)
{
	struct listener	*l;
	size_t		 i, j, n = conf->server.nlisten;
	size_t		*from = NULL;

	memset(set, 0, sizeof(*set));
	if (n == 0) {
		snprintf(err, errlen, "server.listen is empty and no sockets "
		    "came from systemd (LISTEN_FDS)");
		return (-1);
	}
	if ((l = calloc(n, sizeof(*l))) == NULL ||
	    (from = calloc(n, sizeof(*from))) == NULL) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		free(l);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		from[i] = SIZE_MAX;
		if (listen_one(&l[i], &conf->server.listen[i], 0, err,
		    errlen) == -1)
			goto fail;
		for (j = 0; old != NULL && j < old->n; j++)
			if (old->l[j].fd != -1 && listen_same(&old->l[j],
			    &l[i]))
				from[i] = j;
		if (from[i] == SIZE_MAX && listen_one(&l[i],
		    &conf->server.listen[i], conf->server.backlog, err,
		    errlen) == -1)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if (from[i] == SIZE_MAX)
			continue;
		l[i].fd = old->l[from[i]].fd;
		old->l[from[i]].fd = -1;
	}
	free(from);
	set->l = l;
	set->n = n;
	return (0);
fail:
	for (j = 0; j <= i && j < n; j++)
		if (l[j].fd != -1)
			close(l[j].fd);
	free(from);
	free(l);
	return (-1);
}

/*
 * Adopt the sockets systemd passed (fds 3 and up, LISTEN_FDS of them) if
 * LISTEN_PID names this process, and clear the variables so that no child
 * sees them.  Returns the number of sockets, 0 when none are ours, -1 with
 * a message in err when one is not a listening stream socket.
 */
int
listen_systemd(struct listen_set *set, char *err, size_t errlen)
{
	const char	*s, *why;
	struct listener	*l;
	long long	 pid, n;
	int		 i, type, acc;
	socklen_t	 len;

	memset(set, 0, sizeof(*set));
	if ((s = getenv("LISTEN_PID")) == NULL)
		return (0);
	pid = strtonum(s, 1, INT_MAX, &why);
	if (why != NULL || (pid_t)pid != getpid())
		return (0);
	if ((s = getenv("LISTEN_FDS")) == NULL)
		return (0);
	n = strtonum(s, 0, LISTEN_SD_MAX, &why);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (why != NULL) {
		snprintf(err, errlen, "LISTEN_FDS=%s: %s", s, why);
		return (-1);
	}
	if (n == 0)
		return (0);
	if ((l = calloc(n, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "LISTEN_FDS: %s", strerror(errno));
		return (-1);
	}
	for (i = 0; i < n; i++) {
		l[i].fd = LISTEN_SD_FIRST + i;
		l[i].sslen = sizeof(l[i].ss);
		len = sizeof(type);
		if (getsockopt(l[i].fd, SOL_SOCKET, SO_TYPE, &type,
		    &len) == -1 || type != SOCK_STREAM) {
			snprintf(err, errlen, "LISTEN_FDS: fd %d is not a "
			    "stream socket", l[i].fd);
			goto fail;
		}
		len = sizeof(acc);
		if (getsockopt(l[i].fd, SOL_SOCKET, SO_ACCEPTCONN, &acc,
		    &len) == -1 || !acc) {
			snprintf(err, errlen, "LISTEN_FDS: fd %d is not "
			    "listening (Accept=yes belongs with dulserverd -i)",
			    l[i].fd);
			goto fail;
		}
		if (getsockname(l[i].fd, (struct sockaddr *)&l[i].ss,
		    &l[i].sslen) == -1)
			l[i].sslen = 0;
		listen_name(&l[i]);
		if (io_set_cloexec(l[i].fd) == -1 ||
		    io_set_nonblock(l[i].fd) == -1) {
			snprintf(err, errlen, "LISTEN_FDS: fd %d: %s",
			    l[i].fd, strerror(errno));
			goto fail;
		}
	}
	set->l = l;
	set->n = n;
	set->systemd = 1;
	return ((int)n);
fail:
	free(l);
	return (-1);
}

/* Close every listener of a set and forget them. */
void
listen_close(struct listen_set *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (set->l[i].fd != -1)
			close(set->l[i].fd);
	free(set->l);
	set->l = NULL;
	set->n = 0;
}

/* Move a set into another, which must be empty or closed. */
void
listen_move(struct listen_set *to, struct listen_set *from)
{
	*to = *from;
	memset(from, 0, sizeof(*from));
}
