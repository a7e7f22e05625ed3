/*
 * listen.h: the master's listening sockets, bound from server.listen or
 * taken over from systemd (LISTEN_FDS, sd_listen_fds(3) protocol).  Every
 * listener is non-blocking and close-on-exec.
 */
#ifndef DUL_LISTEN_H
#define DUL_LISTEN_H

#include <sys/socket.h>

#include <stddef.h>

struct dul_conf;

#define LISTEN_NAME_MAX		80	/* "[v6]:port" or "fd N" */
#define LISTEN_SD_FIRST		3	/* SD_LISTEN_FDS_START */
#define LISTEN_SD_MAX		64

struct listener {
	int			 fd;
	char			 name[LISTEN_NAME_MAX];
	struct sockaddr_storage	 ss;		/* bound address */
	socklen_t		 sslen;
	int			 v6only;
};

struct listen_set {
	struct listener		*l;
	size_t			 n;
	int			 systemd;	/* from LISTEN_FDS */
};

int	 listen_systemd(struct listen_set *, char *, size_t);
int	 listen_bind(struct listen_set *, const struct dul_conf *,
	    const struct listen_set *, char *, size_t);
void	 listen_close(struct listen_set *);
void	 listen_move(struct listen_set *, struct listen_set *);

#endif /* DUL_LISTEN_H */
