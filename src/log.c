/* log.c: stderr or syslog, one format, OpenBSD shape. */

#include "compat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_verbose;
static const char *log_procname = "dulserverd";
static char	 log_tag[LOG_TAG_MAX];

/* Start logging: to stderr in the foreground, else to syslog. */
void
log_init(int foreground, int facility)
{
	log_foreground = foreground;
	tzset();
	if (!foreground)
		openlog(getprogname(), LOG_PID | LOG_NDELAY, facility);
}

/* Name the process kind that prefixes every line. */
void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
}

/* Set (or clear, with NULL) the association tag that prefixes lines. */
void
log_settag(const char *tag)
{
	if (tag == NULL)
		log_tag[0] = '\0';
	else
		strlcpy(log_tag, tag, sizeof(log_tag));
}

/* Set verbosity: 0 info, 1 debug, 2 trace. */
void
log_setverbose(int v)
{
	log_verbose = v;
}

/* Return the verbosity. */
int
log_getverbose(void)
{
	return (log_verbose);
}

/* Write one line at the given syslog priority. */
void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[2048];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (log_tag[0] != '\0')
			fprintf(stderr, "%s[%ld]: %s: %s\n", log_procname,
			    (long)getpid(), log_tag, msg);
		else
			fprintf(stderr, "%s[%ld]: %s\n", log_procname,
			    (long)getpid(), msg);
		fflush(stderr);
	} else {
		if (log_tag[0] != '\0')
			syslog(pri, "%s: %s: %s", log_procname, log_tag, msg);
		else
			syslog(pri, "%s: %s", log_procname, msg);
	}
	errno = saved;
}

/* Log a failure with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	errno = saved;
	log_warnx("%s: %s", buf, strerror(saved));
	errno = saved;
}

/* Log a failure. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Log at debug level (-v). */
void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log at trace level (-vv): state machine transitions. */
void
log_trace(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log with strerror(errno) and exit 1. */
void
fatal(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s: %s", buf, strerror(saved));
	exit(1);
}

/* Log and exit 1. */
void
fatalx(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s", buf);
	exit(1);
}

/*
 * Escape len bytes from outside (AE titles, UIDs, handler output) into dst
 * so that a peer can neither forge log lines nor hide bytes.  The result is
 * truncated to fit and always terminated.
 */
char *
log_vis(char *dst, size_t dstlen, const void *src, size_t len)
{
	const unsigned char	*s = src;
	char			*d = dst;
	char			 tmp[5];
	size_t			 i, n;

	if (dstlen == 0)
		return (dst);
	for (i = 0; i < len; i++) {
		vis(tmp, s[i], VIS_OCTAL | VIS_CSTYLE | VIS_TAB | VIS_NL,
		    i + 1 < len ? s[i + 1] : 0);
		n = strlen(tmp);
		if ((size_t)(d - dst) + n >= dstlen)
			break;
		memcpy(d, tmp, n);
		d += n;
	}
	*d = '\0';
	return (dst);
}
