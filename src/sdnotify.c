/*
 * sdnotify.c: READY=1, RELOADING=1, STOPPING=1 and STATUS= for systemd,
 * without libsystemd.  The address is an absolute path, or an abstract
 * socket when it starts with '@'.
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

/*
 * Take the address from NOTIFY_SOCKET and clear the variable, so that no
 * worker or handler inherits it.  Returns -1 (errno EINVAL) for an
 * address that is neither a path nor abstract; the daemon then runs
 * without notifications.
 */
int
sdnotify_init(struct sdnotify *sn)
{
	const char	*s = getenv("NOTIFY_SOCKET");
	size_t		 len;

	memset(sn, 0, sizeof(*sn));
	if (s == NULL || *s == '\0')
		return (0);
	len = strlen(s);
	if ((s[0] != '/' && s[0] != '@') || len >= sizeof(sn->sun.sun_path)) {
		unsetenv("NOTIFY_SOCKET");
		errno = EINVAL;
		return (-1);
	}
	sn->sun.sun_family = AF_UNIX;
	memcpy(sn->sun.sun_path, s, len);
	if (s[0] == '@')
		sn->sun.sun_path[0] = '\0';
	sn->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (s[0] == '@' ? 0 : 1));
	unsetenv("NOTIFY_SOCKET");
	return (0);
}

/* Send one notification (lines separated by '\n'); 0 when not asked. */
int
sdnotify_send(const struct sdnotify *sn, const char *fmt, ...)
{
	char		 msg[512];
	va_list		 ap;
	ssize_t		 n;
	int		 s, len, saved;

	if (sn->len == 0)
		return (0);
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg)) {
		errno = EMSGSIZE;
		return (-1);
	}
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	n = sendto(s, msg, (size_t)len, MSG_NOSIGNAL,
	    (const struct sockaddr *)&sn->sun, sn->len);
	saved = errno;
	close(s);
	errno = saved;
	return (n == len ? 0 : -1);
}
