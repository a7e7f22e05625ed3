/*
 * io.h: the monotonic clock, and writes that finish or fail before a
 * deadline.  Times are milliseconds on CLOCK_MONOTONIC; 0 means "no
 * deadline" wherever a deadline is taken.
 */
#ifndef DUL_IO_H
#define DUL_IO_H

#include <sys/uio.h>

#include <poll.h>
#include <stdint.h>

#define IO_NO_DEADLINE	0

/*
 * Test hooks, NULL in the daemon: a harness may stand in for the clock
 * that io_now() reads and for the poll() of io_poll(), so timers fire on
 * a virtual clock without waiting.
 */
extern uint64_t	(*io_clock_hook)(void);
extern int	(*io_poll_hook)(struct pollfd *, nfds_t, int);

uint64_t io_now(void);
int	 io_timeout(uint64_t deadline, uint64_t now);
int	 io_poll(struct pollfd *, nfds_t, int);
uint64_t io_min_deadline(uint64_t, uint64_t);
int	 io_set_nonblock(int);
int	 io_set_cloexec(int);
int	 io_writev(int, struct iovec *, int, uint64_t deadline);
int	 io_write(int, const void *, size_t, uint64_t deadline);

#endif /* DUL_IO_H */
