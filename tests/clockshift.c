/*
 * clockshift.c: an LD_PRELOAD object that steps the wall clock (case 123).
 *
 * DUL_CLOCKSHIFT_BY seconds (may be negative) are added to CLOCK_REALTIME
 * and its variants, time() and gettimeofday() once DUL_CLOCKSHIFT_AFTER
 * seconds (default 0) have passed on the monotonic clock since the object
 * was loaded: the process sees `date -s` happen under it.  The monotonic
 * clocks are never touched.
 */

#include "compat.h"

#include <sys/time.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef int (*cs_gettime_fn)(clockid_t, struct timespec *);

static cs_gettime_fn	 cs_real;
static long		 cs_by;
static double		 cs_after;
static struct timespec	 cs_loaded;

/* Find the real clock_gettime() and read the environment, once. */
static void
cs_init(void)
{
	const char	*s;

	if (cs_real != NULL)
		return;
	cs_real = (cs_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	if ((s = getenv("DUL_CLOCKSHIFT_BY")) != NULL)
		cs_by = strtol(s, NULL, 10);
	if ((s = getenv("DUL_CLOCKSHIFT_AFTER")) != NULL)
		cs_after = strtod(s, NULL);
	if (cs_real != NULL)
		cs_real(CLOCK_MONOTONIC, &cs_loaded);
}

/* Return the seconds to add to the wall clock now. */
static long
cs_offset(void)
{
	struct timespec	 now;
	double		 el;

	cs_init();
	if (cs_real == NULL || cs_by == 0)
		return (0);
	if (cs_real(CLOCK_MONOTONIC, &now) != 0)
		return (0);
	el = (double)(now.tv_sec - cs_loaded.tv_sec) +
	    (double)(now.tv_nsec - cs_loaded.tv_nsec) / 1e9;
	return (el >= cs_after ? cs_by : 0);
}

__attribute__((constructor))
static void
cs_constructor(void)
{
	cs_init();
}

/* clock_gettime(), with the wall clocks stepped. */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	 r;

	cs_init();
	if (cs_real == NULL)
		return (-1);
	r = cs_real(id, ts);
	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE
#ifdef CLOCK_TAI
	    || id == CLOCK_TAI
#endif
	    ))
		ts->tv_sec += cs_offset();
	return (r);
}

/* time(), from the stepped wall clock. */
time_t
time(time_t *t)
{
	struct timespec	 ts;
	time_t		 v;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return ((time_t)-1);
	v = ts.tv_sec;
	if (t != NULL)
		*t = v;
	return (v);
}

/* gettimeofday(), from the stepped wall clock. */
int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec	 ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (-1);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return (0);
}
