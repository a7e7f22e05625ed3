/*
 * test_scoreboard.c: the scoreboard of per-entry association limits,
 * across real processes: counts by entry and by calling AE title, the
 * limits, and a slot freed when its process is reaped, however it ended.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scoreboard.h"

/*
 * Fork a process that takes a slot for entry and calling, reports the
 * result on a pipe, and then waits to be killed (stay) or exits at once.
 * Returns its pid; *res gets what scoreboard_enter() said.
 */
static pid_t
child_enter(struct scoreboard *sb, const char *entry, const char *calling,
    int max, int max_calling, int stay, int *res)
{
	int	 p[2], n, r;
	pid_t	 pid;
	char	 b;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		b = (char)scoreboard_enter(sb, entry, calling, max,
		    max_calling, &n);
		(void)!write(p[1], &b, 1);
		close(p[1]);
		if (stay)
			pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(p[0]);
	r = b;
	*res = r;
	return (pid);
}

/* Wait for a child and free its slot as the master does. */
static void
reap(struct scoreboard *sb, pid_t pid, int sig)
{
	int	 st;

	if (sig != 0)
		assert_int_equal(kill(pid, sig), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	(void)scoreboard_reap(sb, pid);
}

/* Two places per entry: the third is refused, other entries go on. */
static void
test_scoreboard_entry_limit_counts_across_processes(void **state)
{
	struct scoreboard	*sb;
	pid_t			 a, b, c, o;
	int			 r;

	(void)state;
	sb = scoreboard_create(64);
	assert_non_null(sb);
	a = child_enter(sb, "STORE", "CT_1", 2, 0, 1, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	b = child_enter(sb, "STORE", "CT_2", 2, 0, 1, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	c = child_enter(sb, "STORE", "CT_3", 2, 0, 0, &r);
	assert_int_equal(r, SCOREBOARD_OVER_ENTRY);
	reap(sb, c, 0);
	o = child_enter(sb, "OTHER", "CT_3", 2, 0, 1, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	assert_int_equal(scoreboard_count(sb, "STORE", NULL), 2);
	assert_int_equal(scoreboard_count(sb, "OTHER", NULL), 1);
	/* SIGKILL leaves the slot taken until the reap frees it. */
	assert_int_equal(kill(a, SIGKILL), 0);
	assert_int_equal(waitpid(a, &r, 0), a);
	assert_int_equal(scoreboard_count(sb, "STORE", NULL), 2);
	assert_int_equal(scoreboard_reap(sb, a), 1);
	assert_int_equal(scoreboard_reap(sb, a), 0);
	assert_int_equal(scoreboard_count(sb, "STORE", NULL), 1);
	c = child_enter(sb, "STORE", "CT_3", 2, 0, 1, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	reap(sb, b, SIGTERM);
	reap(sb, c, SIGTERM);
	reap(sb, o, SIGTERM);
	assert_int_equal(scoreboard_count(sb, "STORE", NULL), 0);
	scoreboard_destroy(sb);
}

/* One place per calling AE title; a process that exits is reaped too. */
static void
test_scoreboard_calling_limit_and_exit(void **state)
{
	struct scoreboard	*sb;
	pid_t			 a, b, c;
	int			 r, n;

	(void)state;
	sb = scoreboard_create(8);
	assert_non_null(sb);
	a = child_enter(sb, "E", "CT_1", 0, 1, 1, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	b = child_enter(sb, "E", "CT_1", 0, 1, 0, &r);
	assert_int_equal(r, SCOREBOARD_OVER_CALLING);
	reap(sb, b, 0);
	b = child_enter(sb, "E", "CT_2", 0, 1, 0, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	reap(sb, b, 0);		/* exited holding its slot */
	assert_int_equal(scoreboard_count(sb, "E", "CT_2"), 0);
	assert_int_equal(scoreboard_count(sb, "E", "CT_1"), 1);
	reap(sb, a, SIGKILL);
	c = child_enter(sb, "E", "CT_1", 0, 1, 0, &r);
	assert_int_equal(r, SCOREBOARD_ADMITTED);
	reap(sb, c, 0);
	/* A process that holds a slot is not counted twice. */
	assert_int_equal(scoreboard_enter(sb, "E", "X", 1, 0, &n),
	    SCOREBOARD_ADMITTED);
	assert_int_equal(scoreboard_enter(sb, "E", "X", 1, 0, &n),
	    SCOREBOARD_ADMITTED);
	assert_int_equal(scoreboard_count(sb, "E", NULL), 1);
	scoreboard_leave(sb);
	assert_int_equal(scoreboard_count(sb, "E", NULL), 0);
	scoreboard_destroy(sb);
}

/* When every slot is taken, a request is an error, not a slot. */
static void
test_scoreboard_full_is_an_error(void **state)
{
	struct scoreboard	*sb;
	pid_t			 pid[2];
	int			 r, i;

	(void)state;
	sb = scoreboard_create(2);
	assert_non_null(sb);
	for (i = 0; i < 2; i++) {
		pid[i] = child_enter(sb, "E", "C", 0, 0, 1, &r);
		assert_int_equal(r, SCOREBOARD_ADMITTED);
	}
	assert_int_equal(scoreboard_enter(sb, "E", "C", 0, 0, &r),
	    SCOREBOARD_ERROR);
	for (i = 0; i < 2; i++)
		reap(sb, pid[i], SIGKILL);
	scoreboard_destroy(sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_scoreboard_entry_limit_counts_across_processes),
		cmocka_unit_test(test_scoreboard_calling_limit_and_exit),
		cmocka_unit_test(test_scoreboard_full_is_an_error),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
