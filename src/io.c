/* io.c: monotonic time and deadline-bounded writes. */

#include "compat.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "io.h"

uint64_t	(*io_clock_hook)(void);
int		(*io_poll_hook)(struct pollfd *, nfds_t, int);

/* Return milliseconds on the monotonic clock. */
uint64_t
io_now(void)
{
	struct timespec	 ts;

	if (io_clock_hook != NULL)
		return (io_clock_hook());
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return (0);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Turn a deadline into a poll() timeout: -1 for none, else >= 0 ms. */
int
io_timeout(uint64_t deadline, uint64_t now)
{
	uint64_t	 d;

	if (deadline == IO_NO_DEADLINE)
		return (-1);
	if (deadline <= now)
		return (0);
	d = deadline - now;
	return (d > INT_MAX ? INT_MAX : (int)d);
}

/* Wait for descriptors as poll() does, through the test hook if set. */
int
io_poll(struct pollfd *pfd, nfds_t n, int timeout)
{
	if (io_poll_hook != NULL)
		return (io_poll_hook(pfd, n, timeout));
	return (poll(pfd, n, timeout));
}

/* Return the nearer of two deadlines, either of which may be unset. */
uint64_t
io_min_deadline(uint64_t a, uint64_t b)
{
	if (a == IO_NO_DEADLINE)
		return (b);
	if (b == IO_NO_DEADLINE)
		return (a);
	return (a < b ? a : b);
}

/* Make fd non-blocking. */
int
io_set_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	if (fl & O_NONBLOCK)
		return (0);
	return (fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

/* Mark fd close-on-exec. */
int
io_set_cloexec(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFD, fl | FD_CLOEXEC));
}

/*
 * Write every byte of iov to fd, waiting for room while the deadline
 * allows.  The iovec array is consumed.  Sockets are written with
 * MSG_NOSIGNAL so a closed peer gives EPIPE rather than a signal.  Returns
 * 0, or -1 with errno set (ETIMEDOUT when the deadline passed).
 */
int
io_writev(int fd, struct iovec *iov, int iovcnt, uint64_t deadline)
{
	struct msghdr	 msg;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 sock = 1;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		if (sock) {
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = iov;
			msg.msg_iovlen = iovcnt;
			n = fault_sendmsg(fd, &msg, MSG_NOSIGNAL);
			if (n == -1 && errno == ENOTSOCK) {
				sock = 0;
				continue;
			}
		} else
			n = fault_writev(fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return (-1);
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			n = io_poll(&pfd, 1, io_timeout(deadline, io_now()));
			if (n == -1 && errno != EINTR)
				return (-1);
			if (n == 0) {
				errno = ETIMEDOUT;
				return (-1);
			}
			continue;
		}
		while (n > 0 && iovcnt > 0) {
			if ((size_t)n >= iov->iov_len) {
				n -= (ssize_t)iov->iov_len;
				iov->iov_len = 0;
				iov++;
				iovcnt--;
			} else {
				iov->iov_base = (char *)iov->iov_base + n;
				iov->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return (0);
}

/* Write len bytes from p to fd before the deadline. */
int
io_write(int fd, const void *p, size_t len, uint64_t deadline)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	return (io_writev(fd, &iov, 1, deadline));
}
