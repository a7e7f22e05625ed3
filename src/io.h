/*
 * io.h: the monotonic clock, and writes that finish or fail before a
 * deadline.  Times are milliseconds on CLOCK_MONOTONIC; 0 means "no
 * deadline" wherever a deadline is taken.
 */
#ifndef DUL_IO_H
#define DUL_IO_H

#include <sys/uio.h>

#include <stdint.h>

#define IO_NO_DEADLINE	0

uint64_t io_now(void);
int	 io_timeout(uint64_t deadline, uint64_t now);
uint64_t io_min_deadline(uint64_t, uint64_t);
int	 io_set_nonblock(int);
int	 io_set_cloexec(int);
int	 io_writev(int, struct iovec *, int, uint64_t deadline);
int	 io_write(int, const void *, size_t, uint64_t deadline);

#endif /* DUL_IO_H */
