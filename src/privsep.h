/*
 * privsep.h: the account every worker (and so every handler) runs as.
 * The master resolves server.user and server.group once per loaded
 * configuration; each worker drops to them right after fork(), before it
 * reads a byte from the network (design decision 2).
 */
#ifndef DUL_PRIVSEP_H
#define DUL_PRIVSEP_H

#include <sys/types.h>

#include <stddef.h>

struct dul_conf;

#define PRIVSEP_NAME_MAX	64

struct privsep_id {
	int		 drop;		/* 0: not root */
	uid_t		 uid;
	gid_t		 gid;
	char		 user[PRIVSEP_NAME_MAX];
	char		 group[PRIVSEP_NAME_MAX];
};

int	 privsep_resolve(const struct dul_conf *, struct privsep_id *,
	    char *, size_t);
int	 privsep_drop(const struct privsep_id *);

#endif /* DUL_PRIVSEP_H */
