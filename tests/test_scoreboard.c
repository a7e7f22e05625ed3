/*
 * test_scoreboard.c: the scoreboard of per-entry association limits,
 * across real processes: counts by entry and by calling AE title, the
 * limits, and a slot freed when its process is reaped, however it ended;
 * and the starting/established state words of server.max_startups.
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

/*
 * Fork a worker bound to state word k that marks it established (mark)
 * and exits, or waits to be killed.  Returns its pid once it has done
 * what it was to do.
 */
static pid_t
child_state(struct scoreboard *sb, long k, int mark)
{
	int	 p[2];
	pid_t	 pid;
	char	 b = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(p[0]);
		scoreboard_bind(sb, k);
		if (mark)
			scoreboard_established(sb);
		(void)!write(p[1], &b, 1);
		close(p[1]);
		if (!mark)
			pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(p[0]);
	return (pid);
}

/*
 * A worker is starting from the master's take until it marks its word;
 * the mark is seen by the master, a killed worker stays starting until
 * the reap frees its word, and a freed word is taken again.
 */
static void
test_scoreboard_state_starting_until_established(void **state)
{
	struct scoreboard	*sb;
	pid_t			 a, b;
	long			 ka, kb, kc;
	int			 st;

	(void)state;
	sb = scoreboard_create(4);
	assert_non_null(sb);
	ka = scoreboard_start(sb);
	kb = scoreboard_start(sb);
	assert_true(ka >= 0 && kb >= 0 && ka != kb);
	assert_true(scoreboard_starting(sb, ka));
	assert_true(scoreboard_starting(sb, kb));
	a = child_state(sb, ka, 1);
	b = child_state(sb, kb, 0);
	assert_false(scoreboard_starting(sb, ka));
	assert_true(scoreboard_starting(sb, kb));
	/* The master itself has no word: marking from it changes nothing. */
	scoreboard_established(sb);
	assert_true(scoreboard_starting(sb, kb));
	/* SIGKILL before the AC: still starting until the reap. */
	assert_int_equal(kill(b, SIGKILL), 0);
	assert_int_equal(waitpid(b, &st, 0), b);
	assert_true(WIFSIGNALED(st));
	assert_true(scoreboard_starting(sb, kb));
	scoreboard_end(sb, kb);
	assert_false(scoreboard_starting(sb, kb));
	assert_int_equal(waitpid(a, &st, 0), a);
	scoreboard_end(sb, ka);
	/* Both words are free again and are taken again. */
	kc = scoreboard_start(sb);
	assert_true(kc >= 0);
	assert_true(scoreboard_starting(sb, kc));
	scoreboard_end(sb, kc);
	/* No word (-1) counts as starting; out of range is ignored. */
	assert_true(scoreboard_starting(sb, -1));
	scoreboard_end(sb, 99);
	scoreboard_destroy(sb);
}

/* Every word taken: the next take is -1 until one is freed. */
static void
test_scoreboard_state_full_then_freed(void **state)
{
	struct scoreboard	*sb;
	long			 k[3];
	int			 i;

	(void)state;
	sb = scoreboard_create(3);
	assert_non_null(sb);
	for (i = 0; i < 3; i++) {
		k[i] = scoreboard_start(sb);
		assert_true(k[i] >= 0 && k[i] < 3);
	}
	assert_true(k[0] != k[1] && k[1] != k[2] && k[0] != k[2]);
	assert_int_equal(scoreboard_start(sb), -1);
	scoreboard_end(sb, k[1]);
	assert_int_equal(scoreboard_start(sb), k[1]);
	/* The per-entry slots are untouched by the state words. */
	assert_int_equal(scoreboard_count(sb, "E", NULL), 0);
	for (i = 0; i < 3; i++)
		scoreboard_end(sb, k[i]);
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
		cmocka_unit_test(
		    test_scoreboard_state_starting_until_established),
		cmocka_unit_test(test_scoreboard_state_full_then_freed),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
