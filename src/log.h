/*
 * log.h: one logger for every process of the tree.  Foreground processes
 * write to stderr, daemons to syslog.  Lines from a worker carry the
 * association tag set with log_settag().
 */
#ifndef DUL_LOG_H
#define DUL_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_TAG_MAX	256

void	log_init(int foreground, int facility);
void	log_procinit(const char *);
void	log_settag(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
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
