/*
 * sdnotify.h: the service manager notification protocol (sd_notify(3)),
 * spoken directly: one datagram of NAME=value lines to the Unix socket
 * that NOTIFY_SOCKET names.  Without NOTIFY_SOCKET every call is a no-op.
 */
#ifndef DUL_SDNOTIFY_H
#define DUL_SDNOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	struct sockaddr_un	 sun;
	socklen_t		 len;		/* 0: no manager */
};

int	 sdnotify_init(struct sdnotify *);
int	 sdnotify_send(const struct sdnotify *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* DUL_SDNOTIFY_H */
