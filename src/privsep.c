/*
 * privsep.c: dropping root in a worker.  The order is the one that cannot
 * leave a privilege behind: supplementary groups first (setgroups needs
 * root), then the group ids, then the user ids last, each call checked,
 * and the result read back (OpenSMTPD, OpenSSH).
 */

#include "compat.h"

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "privsep.h"

/*
 * Look up server.user and server.group for a daemon started as root.
 * Serving as root without a user is refused; an unprivileged daemon has
 * nothing to drop and ignores both keys.  Returns -1 with a message.
 */
int
privsep_resolve(const struct dul_conf *conf, struct privsep_id *id,
    char *err, size_t errlen)
{
	const char	*user = conf->server.user;
	const char	*group = conf->server.group;
	struct passwd	*pw;
	struct group	*gr;

	memset(id, 0, sizeof(*id));
	if (geteuid() != 0)
		return (0);
	if (user == NULL || user[0] == '\0') {
		snprintf(err, errlen, "server.user is not set: started as "
		    "root, dulserverd will not serve peers as root (set an "
		    "unprivileged account, or \"root\" to insist)");
		return (-1);
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "server.user \"%s\": %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return (-1);
	}
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	if (group != NULL && group[0] != '\0') {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "server.group \"%s\": %s", group,
			    errno != 0 ? strerror(errno) : "no such group");
			return (-1);
		}
		id->gid = gr->gr_gid;
		strlcpy(id->group, group, sizeof(id->group));
	} else if ((gr = getgrgid(id->gid)) != NULL)
		strlcpy(id->group, gr->gr_name, sizeof(id->group));
	else
		snprintf(id->group, sizeof(id->group), "%lu",
		    (unsigned long)id->gid);
	strlcpy(id->user, user, sizeof(id->user));
	id->drop = 1;
	return (0);
}

/*
 * Become the resolved account for good: no supplementary groups, the
 * real, effective and saved group and user ids all the account's.
 * Returns -1 with errno set if any step fails or does not hold.
 */
int
privsep_drop(const struct privsep_id *id)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg;

	if (!id->drop)
		return (0);
	if (setgroups(1, &id->gid) == -1)
		return (-1);
	if (setresgid(id->gid, id->gid, id->gid) == -1)
		return (-1);
	if (setresuid(id->uid, id->uid, id->uid) == -1)
		return (-1);
	if (getresgid(&rg, &eg, &sg) == -1 || getresuid(&ru, &eu, &su) == -1)
		return (-1);
	if (rg != id->gid || eg != id->gid || sg != id->gid ||
	    ru != id->uid || eu != id->uid || su != id->uid) {
		errno = EPERM;
		return (-1);
	}
	/* An unprivileged account must not be able to come back. */
	if (id->uid != 0 && setuid(0) != -1) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}
