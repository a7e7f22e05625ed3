/*
 * dh_sweep.c: removing the temporary files of Part-10 writers that died
 * (a handler killed while it stored an object leaves its ".part" file).
 *
 * Race-free with writers that are alive: a writer holds an exclusive
 * flock(2) on its temporary file from just after it creates it until the
 * name is gone (dh_p10.c), and the sweep removes a file only while it
 * holds that lock itself, taken without waiting.  A lock the sweep gets
 * therefore belongs to a file whose writer is gone, or to one created an
 * instant ago and not yet locked by its writer; the age bound, checked
 * again under the lock, leaves the latter alone, and a writer that finds
 * its new file unlinked under it takes another name (p10_lock()).
 */

#include "compat.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dulhandler.h"

#define SWEEP_HEX	16	/* hex digits between prefix and suffix */

static int	sweep_name_ok(const char *);
static int	sweep_one(int, const char *, time_t);

/* Say whether name is a Part-10 writer's temporary file name. */
static int
sweep_name_ok(const char *name)
{
	size_t	 pl = sizeof(DH_P10_TMP_PREFIX) - 1;
	size_t	 sl = sizeof(DH_P10_TMP_SUFFIX) - 1;
	size_t	 i;

	if (strlen(name) != pl + SWEEP_HEX + sl ||
	    strncmp(name, DH_P10_TMP_PREFIX, pl) != 0 ||
	    strcmp(name + pl + SWEEP_HEX, DH_P10_TMP_SUFFIX) != 0)
		return (0);
	for (i = pl; i < pl + SWEEP_HEX; i++)
		if (strchr("0123456789abcdef", name[i]) == NULL ||
		    name[i] == '\0')
			return (0);
	return (1);
}

/*
 * Remove one temporary file if it is a regular file last modified
 * before the cutoff and nobody holds its lock.  Returns 1 if removed.
 */
static int
sweep_one(int dirfd, const char *name, time_t cutoff)
{
	struct stat	 st, now;
	int		 fd, gone = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) || st.st_mtime >= cutoff)
		return (0);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return (0);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
	    st.st_nlink > 0 && st.st_mtime < cutoff &&
	    fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == st.st_dev && now.st_ino == st.st_ino &&
	    unlinkat(dirfd, name, 0) == 0)
		gone = 1;
	close(fd);
	return (gone);
}

/*
 * Remove the temporary files in dirfd whose writers died: those not
 * modified for age seconds that no writer holds locked.  Reads at most
 * max directory entries, so a huge directory costs a bounded time.
 * *removed, when given, is the count removed.  Returns DH_OK, or
 * DH_ERR_SYS when the directory cannot be read.
 */
int
dh_p10_sweep(int dirfd, unsigned int age, size_t max, size_t *removed)
{
	DIR		*d;
	struct dirent	*de;
	time_t		 cutoff = time(NULL) - (time_t)age;
	size_t		 seen = 0, n = 0;
	int		 fd;

	if (removed != NULL)
		*removed = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (DH_ERR_SYS);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (DH_ERR_SYS);
	}
	while (seen < max && (de = readdir(d)) != NULL) {
		seen++;
		if (sweep_name_ok(de->d_name) &&
		    (de->d_type == DT_REG || de->d_type == DT_UNKNOWN))
			n += (size_t)sweep_one(dirfd, de->d_name, cutoff);
	}
	closedir(d);
	if (removed != NULL)
		*removed = n;
	return (DH_OK);
}
