/*
 * proctitle.c: setproctitle() behind a switch.  libbsd's setproctitle()
 * complains on stderr (which under inetd may be the socket) unless
 * setproctitle_init() ran first with main()'s own argv and envp, so only
 * main() turns titles on.
 */

#include "compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proctitle.h"

static int	 proctitle_on;
static const char *proctitle_kind = "worker";
static char	 proctitle_tag[PROCTITLE_MAX];

/* Make argv's memory available for titles; main() calls it first. */
void
proctitle_init(int argc, char *argv[], char *envp[])
{
	setproctitle_init(argc, argv, envp);
	proctitle_on = 1;
}

/* Set the title: "dulserverd: " and the formatted text. */
void
proctitle_set(const char *fmt, ...)
{
	char	 buf[PROCTITLE_MAX];
	va_list	 ap;

	if (!proctitle_on)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	setproctitle("%s", buf);
}

/* Name what kind of worker this process is ("worker", "reject"). */
void
proctitle_role(const char *kind)
{
	proctitle_kind = kind;
}

/*
 * Show a worker's association tag ("assoc ID PEER CALLING>CALLED", whose
 * AE titles are already escaped), until the state changes.
 */
void
proctitle_assoc(const char *tag)
{
	if (!proctitle_on)
		return;
	if (strncmp(tag, "assoc ", 6) == 0)
		tag += 6;
	strlcpy(proctitle_tag, tag, sizeof(proctitle_tag));
	proctitle_set("%s %s", proctitle_kind, proctitle_tag);
}

/* Show a worker's PS3.8 state after its association tag. */
void
proctitle_state(const char *state)
{
	if (!proctitle_on)
		return;
	proctitle_set("%s %s %s", proctitle_kind, proctitle_tag, state);
}
