/*
 * dh_path.c: names that come from the peer, made safe for the file
 * system.  A peer string never becomes a path: a UID is used as a file
 * name only if it is a valid UID, an AE title is mapped to a small
 * alphabet, and every directory is created and opened one component at a
 * time relative to a directory descriptor, without following symbolic
 * links, so nothing can land outside the root.
 */

#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dulhandler.h"
#include "fault.h"

#define PATH_COMPONENT_MAX	255	/* NAME_MAX on common file systems */
#define DIR_MODE		0750

static int	path_char_ok(int);

/*
 * Say whether s is a valid UID (PS3.5 9.1): 1 to 64 characters, dot
 * separated components of digits, none empty, none with a leading zero
 * unless it is the single digit 0.
 */
int
dh_uid_valid(const char *s)
{
	size_t	 i, start = 0;

	if (s == NULL)
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= DH_UID_MAX)
			return (0);
		if (s[i] == '.') {
			if (i == start)
				return (0);
			start = i + 1;
		} else if (s[i] < '0' || s[i] > '9')
			return (0);
		else if (i == start && s[i] == '0' && s[i + 1] != '.' &&
		    s[i + 1] != '\0')
			return (0);
	}
	return (i > 0 && i != start);
}

/* Say whether c may appear in a path component we create. */
static int
path_char_ok(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
}

/*
 * Say whether s may be used as one path component: 1 to 255 characters
 * of [A-Za-z0-9._-], not starting with '.' (which also rules out "." and
 * "..", and keeps the temporary files' namespace apart) nor with '-'.
 */
int
dh_path_component_ok(const char *s)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= PATH_COMPONENT_MAX || !path_char_ok(
		    (unsigned char)s[i]))
			return (0);
	}
	return (1);
}

/*
 * Map an AE title to a directory name: leading and trailing spaces go,
 * then every character outside [A-Za-z0-9_-] (and a leading '-') becomes
 * '_', and an empty title becomes "_".  The result always passes
 * dh_path_component_ok().  Distinct titles may map to one name.
 */
int
dh_ae_dirname(const char *ae, char *out, size_t cap)
{
	size_t	 len, i, o = 0;
	int	 c;

	if (ae == NULL || cap < DH_AE_MAX + 1)
		return (DH_ERR_INVAL);
	len = strlen(ae);
	while (len > 0 && ae[len - 1] == ' ')
		len--;
	while (len > 0 && ae[0] == ' ') {
		ae++;
		len--;
	}
	if (len > DH_AE_MAX)
		return (DH_ERR_NAME);
	for (i = 0; i < len; i++) {
		c = (unsigned char)ae[i];
		if (c == '.' || !path_char_ok(c) || (o == 0 && c == '-'))
			c = '_';
		out[o++] = (char)c;
	}
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
	return (DH_OK);
}

/* Open the storage root once, as a directory. */
int
dh_open_root(const char *path, int *fd)
{
	if (path == NULL || path[0] == '\0')
		return (DH_ERR_INVAL);
	if ((*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (DH_ERR_SYS);
	return (DH_OK);
}

/*
 * Open (creating as needed) the directory rootfd/comps[0]/.../comps[n-1]
 * and return a new descriptor for it in *fd.  Each component must pass
 * dh_path_component_ok(); each is created with mkdirat() and opened with
 * O_NOFOLLOW, so a symbolic link planted under the root is refused rather
 * than followed.  When a directory is created its parent is fsynced, so
 * that the new entry survives a crash like the files stored below it.
 */
int
dh_opendirs(int rootfd, const char *const *comps, size_t n, int flags,
    int *fd)
{
	int	 cur, next, created, save;
	size_t	 i;

	*fd = -1;
	for (i = 0; i < n; i++) {
		if (!dh_path_component_ok(comps[i]))
			return (DH_ERR_NAME);
	}
	if ((cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (DH_ERR_SYS);
	for (i = 0; i < n; i++) {
		created = 0;
		if (mkdirat(cur, comps[i], DIR_MODE) == 0)
			created = 1;
		else if (errno != EEXIST)
			goto fail;
		next = openat(cur, comps[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1)
			goto fail;
		if (created && !(flags & DH_MKDIR_NOFSYNC) &&
		    fault_fsync(cur) == -1) {
			save = errno;
			close(next);
			errno = save;
			goto fail;
		}
		close(cur);
		cur = next;
	}
	*fd = cur;
	return (DH_OK);

fail:
	save = errno;
	close(cur);
	errno = save;
	return (DH_ERR_SYS);
}
