/*
 * log.c: stderr, syslog or a file, one format, OpenBSD shape.  Every line
 * leaves in one write(2), so the lines of many workers sharing a stderr
 * or a log file (O_APPEND) never interleave.
 */

#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "fault.h"
#include "log.h"

static int	 log_to = LOG_TO_STDERR;
static int	 log_fd = -1;		/* LOG_TO_FILE */
static char	 log_path[1024];
static int	 log_facility = LOG_DAEMON;
static int	 log_verbose;
static const char *log_procname = "dulserverd";
static char	 log_tag[LOG_TAG_MAX];

static void	log_write(int, const char *);
static void	log_err(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	log_pri(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	vlog_errno(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* Start logging: to stderr in the foreground, else to syslog. */
void
log_init(int foreground, int facility)
{
	log_target(foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, NULL, facility);
}

/*
 * Send lines to stderr, syslog or the file at path (appended, created
 * 0640).  Returns -1 with errno set when the file cannot be opened; the
 * previous target then stays in force.
 */
int
log_target(int to, const char *path, int facility)
{
	int	 fd = -1;

	tzset();
	if (to == LOG_TO_FILE) {
		if (path == NULL || strlen(path) >= sizeof(log_path)) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640)) == -1)
			return (-1);
		strlcpy(log_path, path, sizeof(log_path));
	}
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	if (log_to == LOG_TO_SYSLOG && (to != LOG_TO_SYSLOG ||
	    facility != log_facility))
		closelog();
	if (to == LOG_TO_SYSLOG)
		openlog(getprogname(), LOG_PID | LOG_NDELAY, facility);
	log_to = to;
	log_facility = facility;
	return (0);
}

/*
 * Open the log file again under its name (after logrotate moved it away).
 * Returns -1 with errno set, still writing to the old file, on failure.
 */
int
log_reopen(void)
{
	int	 fd;

	if (log_to != LOG_TO_FILE)
		return (0);
	if ((fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1)
		return (-1);
	close(log_fd);
	log_fd = fd;
	return (0);
}

/* Name the process kind that prefixes every line. */
void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
	/* Fault rules of test builds select a process by this name. */
	fault_procinit(name);
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

/*
 * Set verbosity (logging.level): -2 errors, -1 warnings too, 0 info,
 * 1 debug, 2 trace.  Fatal lines are always logged.
 */
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

/* Write one finished line, without its newline, to the target. */
static void
log_write(int pri, const char *line)
{
	char		 buf[LOG_LINE_MAX + 64], ts[40];
	struct tm	 tm;
	time_t		 t;
	int		 n, fd;

	if (log_to == LOG_TO_SYSLOG) {
		syslog(pri, "%s", line);
		return;
	}
	fd = log_to == LOG_TO_FILE ? log_fd : STDERR_FILENO;
	ts[0] = '\0';
	if (log_to == LOG_TO_FILE) {
		t = time(NULL);
		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z ", &tm);
	}
	n = snprintf(buf, sizeof(buf), "%s%s[%ld]: %s\n", ts,
	    log_to == LOG_TO_FILE ? getprogname() : log_procname,
	    (long)getpid(), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	(void)!write(fd, buf, (size_t)n);
}

/* Write one line at the given syslog priority. */
void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	size_t	 n = 0;
	int	 saved = errno;

	line[0] = '\0';
	if (log_to != LOG_TO_STDERR) {
		strlcat(line, log_procname, sizeof(line));
		strlcat(line, ": ", sizeof(line));
	}
	if (log_tag[0] != '\0') {
		strlcat(line, log_tag, sizeof(line));
		strlcat(line, ": ", sizeof(line));
	}
	n = strlen(line);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	log_write(pri, line);
	errno = saved;
}

/* Write one line at a priority, from variable arguments. */
static void
log_pri(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/*
 * Write one line at a priority with strerror(errno) appended, if the
 * verbosity is at least least.
 */
static void
vlog_errno(int pri, int least, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved = errno;

	if (log_verbose < least)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_pri(pri, "%s: %s", buf, strerror(saved));
	errno = saved;
}

/*
 * Log a failure of the server itself, its system or its handler (level
 * error), with strerror(errno) appended.
 */
void
log_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, -2, fmt, ap);
	va_end(ap);
}

/* Log a failure of the server itself, its system or its handler. */
void
log_errorx(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < -2)
		return;
	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* Log a warning with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, -1, fmt, ap);
	va_end(ap);
}

/*
 * Log a warning: what a peer did wrong, a timer that fired, a limit
 * reached; the server copes.
 */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < -1)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 0)
		return;
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

/* Log an error whatever the verbosity. */
static void
log_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
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
	log_err("fatal: %s: %s", buf, strerror(saved));
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
	log_err("fatal: %s", buf);
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
