/*
 * compat.h: included first by every .c file.  The only place that knows
 * about platform differences; everything else includes plain system headers
 * and gets the BSD API through libbsd's overlay.
 */
#ifndef DUL_COMPAT_H
#define DUL_COMPAT_H

#include "config.h"

/* libbsd 0.11 warns about strnvis() argument order unless told which. */
#define LIBBSD_OPENBSD_VIS 1

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif /* DUL_COMPAT_H */
