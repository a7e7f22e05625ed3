/* dh_testfs.c: scratch directories for the libdulhandler file tests. */

#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dh_testfs.h"

/* Remove one entry of the tree being torn down. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return (rmdir(path) == -1 ? -1 : 0);
	return (unlink(path) == -1 ? -1 : 0);
}

/* Make top, top/root and top/outside, and open the root. */
int
testfs_setup(void **state)
{
	struct testfs	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (-1);
	snprintf(t->top, sizeof(t->top), "dhfs.XXXXXX");
	if (mkdtemp(t->top) == NULL) {
		free(t);
		return (-1);
	}
	snprintf(t->root, sizeof(t->root), "%s/root", t->top);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->top);
	if (mkdir(t->root, 0755) == -1 || mkdir(t->outside, 0755) == -1 ||
	    (t->rootfd = open(t->root, O_RDONLY | O_DIRECTORY)) == -1) {
		(void)nftw(t->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(t);
		return (-1);
	}
	*state = t;
	return (0);
}

/* Check that nothing reached "outside", then remove the whole tree. */
int
testfs_teardown(void **state)
{
	struct testfs	*t = *state;
	int		 rc = 0;

	if (testfs_count(t->outside, NULL) != 0 ||
	    testfs_count(t->top, NULL) != 2)
		rc = -1;
	close(t->rootfd);
	if (nftw(t->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == -1)
		rc = -1;
	free(t);
	return (rc);
}

/* Count the entries of a directory, or those starting with prefix. */
size_t
testfs_count(const char *dir, const char *prefix)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return ((size_t)-1);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (prefix == NULL ||
		    strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return (n);
}

/* Read a whole file relative to dirfd into fresh memory, or NULL. */
uint8_t *
testfs_slurp(int dirfd, const char *name, size_t *len)
{
	struct stat	 st;
	uint8_t		*b;
	ssize_t		 r;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW)) == -1)
		return (NULL);
	if (fstat(fd, &st) == -1 || (b = malloc(st.st_size + 1)) == NULL) {
		close(fd);
		return (NULL);
	}
	r = read(fd, b, st.st_size);
	close(fd);
	if (r != st.st_size) {
		free(b);
		return (NULL);
	}
	*len = (size_t)r;
	return (b);
}
