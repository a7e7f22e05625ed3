/*
 * fault.h: fault injection for test builds.
 *
 * Built with --enable-fault-injection, the system calls that a test cannot
 * make fail from outside (fork, accept, write, writev, fsync, rename,
 * link, malloc) go through the fault_*() wrappers, which fail, shorten or
 * kill on the calls that the environment variable DUL_FAULT names, and
 * otherwise make the real call.  Without it (the default, and every
 * production build) each wrapper is a macro for the real call: no code,
 * no cost.  DUL_FAULT's syntax is in fault.c and doc/ANALYSIS.md.
 */
#ifndef DUL_FAULT_H
#define DUL_FAULT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef DUL_FAULT_INJECTION

void	 fault_procinit(const char *);
pid_t	 fault_fork(void);
int	 fault_fork_check(void);
int	 fault_accept4(int, struct sockaddr *, socklen_t *, int);
ssize_t	 fault_write(int, const void *, size_t);
ssize_t	 fault_writev(int, const struct iovec *, int);
ssize_t	 fault_sendmsg(int, const struct msghdr *, int);
int	 fault_fsync(int);
int	 fault_fdatasync(int);
int	 fault_renameat(int, const char *, int, const char *);
int	 fault_linkat(int, const char *, int, const char *, int);
#ifdef RENAME_NOREPLACE
int	 fault_renameat2(int, const char *, int, const char *, unsigned int);
#endif
void	*fault_malloc(size_t);
void	*fault_calloc(size_t, size_t);
void	*fault_realloc(void *, size_t);

#else

#define fault_procinit(name)		((void)(name))
#define fault_fork()			fork()
#define fault_fork_check()		0
#define fault_accept4(s, a, l, f)	accept4((s), (a), (l), (f))
#define fault_write(fd, p, n)		write((fd), (p), (n))
#define fault_writev(fd, iov, n)	writev((fd), (iov), (n))
#define fault_sendmsg(fd, m, f)		sendmsg((fd), (m), (f))
#define fault_fsync(fd)			fsync(fd)
#define fault_fdatasync(fd)		fdatasync(fd)
#define fault_renameat(a, b, c, d)	renameat((a), (b), (c), (d))
#define fault_linkat(a, b, c, d, e)	linkat((a), (b), (c), (d), (e))
#define fault_renameat2(a, b, c, d, e)	renameat2((a), (b), (c), (d), (e))
#define fault_malloc(n)			malloc(n)
#define fault_calloc(n, m)		calloc((n), (m))
#define fault_realloc(p, n)		realloc((p), (n))

#endif /* DUL_FAULT_INJECTION */

#endif /* DUL_FAULT_H */
