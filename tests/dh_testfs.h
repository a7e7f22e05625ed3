/*
 * dh_testfs.h: scratch directories for the libdulhandler file tests.
 * Each test gets a fresh directory "top" holding "root" (the storage
 * root handed to the library) and "outside" (which must stay empty).
 */
#ifndef DUL_DH_TESTFS_H
#define DUL_DH_TESTFS_H

#include <stddef.h>
#include <stdint.h>

struct testfs {
	char	 top[64];
	char	 root[96];
	char	 outside[96];
	int	 rootfd;
};

int	 testfs_setup(void **);
int	 testfs_teardown(void **);
size_t	 testfs_count(const char *, const char *);
uint8_t	*testfs_slurp(int, const char *, size_t *);

#endif /* DUL_DH_TESTFS_H */
