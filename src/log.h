/*
 * log.h: one logger for every process of the tree.  Lines go to stderr
 * (foreground, or under a supervisor), syslog, or a file (logging.target).
 * Lines from a worker carry the association tag set with log_settag().
 */
#ifndef DUL_LOG_H
#define DUL_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_TAG_MAX	256
#define LOG_LINE_MAX	2048

/* Targets for log_target(). */
#define LOG_TO_STDERR	1
#define LOG_TO_SYSLOG	2
#define LOG_TO_FILE	3

void	log_init(int foreground, int facility);
int	log_target(int, const char *, int);
int	log_reopen(void);
void	log_procinit(const char *);
void	log_settag(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
__attribute__((noreturn, format(printf, 1, 2))) void fatal(const char *, ...);
__attribute__((noreturn, format(printf, 1, 2))) void fatalx(const char *, ...);

char	*log_vis(char *, size_t, const void *, size_t);

#endif /* DUL_LOG_H */
