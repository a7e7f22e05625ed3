/*
 * test_fault.c: the fault injection wrappers of test builds fail, shorten
 * or pass the calls that DUL_FAULT names, count per process and per role,
 * and leave every other call alone.  DUL_FAULT is read once per process,
 * so main() sets it before the first wrapper runs and each test takes
 * the calls of its own point in order.
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fault.h"

#define RULES	"write:2=short,writev:1,writev:3=short,fsync:2-3," \
		"malloc:2+,rename:1=EXDEV,link:2=EDQUOT," \
		"worker@3.accept:1=ENFILE,worker.accept:1,master.fork:1=ENOMEM"

/* The second write of a pipe is short; the first and third are whole. */
static void
test_fault_write_second_is_short(void **state)
{
	char	 buf[64];
	int	 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fault_write(p[1], "0123456789", 10), 10);
	assert_int_equal(fault_write(p[1], "0123456789", 10), 5);
	assert_int_equal(fault_write(p[1], "ab", 2), 2);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 17);
	assert_memory_equal(buf, "0123456789" "01234" "ab", 17);
	close(p[0]);
	close(p[1]);
}

/* writev fails with the point's default errno, then runs, then is short. */
static void
test_fault_writev_fails_then_short(void **state)
{
	struct iovec	 iov[2];
	char		 buf[64];
	int		 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	iov[0].iov_base = (void *)(uintptr_t)"abcd";
	iov[0].iov_len = 4;
	iov[1].iov_base = (void *)(uintptr_t)"efgh";
	iov[1].iov_len = 4;
	errno = 0;
	assert_int_equal(fault_writev(p[1], iov, 2), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(fault_writev(p[1], iov, 2), 8);
	assert_int_equal(fault_writev(p[1], iov, 2), 2);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "abcdefghab", 10);
	close(p[0]);
	close(p[1]);
}

/* sendmsg counts with writev: the rules above are used up, so it runs. */
static void
test_fault_sendmsg_counts_as_writev(void **state)
{
	struct msghdr	 m;
	struct iovec	 iov;
	char		 buf[8];
	int		 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	iov.iov_base = (void *)(uintptr_t)"xyz";
	iov.iov_len = 3;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	assert_int_equal(fault_sendmsg(sv[0], &m, MSG_NOSIGNAL), 3);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 3);
	close(sv[0]);
	close(sv[1]);
}

/* fsync fails with EIO on calls 2 and 3 only. */
static void
test_fault_fsync_range(void **state)
{
	char	 path[] = "/tmp/test_fault.XXXXXX";
	int	 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	assert_int_equal(fault_fsync(fd), 0);
	errno = 0;
	assert_int_equal(fault_fsync(fd), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(fault_fsync(fd), -1);
	assert_int_equal(fault_fsync(fd), 0);
	close(fd);
}

/* Every allocation from the second on fails, whichever function. */
static void
test_fault_malloc_from_second(void **state)
{
	void	*p, *q;

	(void)state;
	assert_non_null(p = fault_malloc(16));
	errno = 0;
	assert_null(fault_calloc(4, 4));
	assert_int_equal(errno, ENOMEM);
	assert_null(q = fault_realloc(p, 64));
	free(p);
	assert_null(fault_malloc(1));
}

/* rename and link take the errno the rule names. */
static void
test_fault_rename_and_link_errno(void **state)
{
	char	 dir[] = "/tmp/test_fault.XXXXXX";
	int	 dfd, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) != -1);
	assert_true((fd = openat(dfd, "a", O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	errno = 0;
	assert_int_equal(fault_renameat(dfd, "a", dfd, "b"), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(fault_linkat(dfd, "a", dfd, "c", 0), 0);
	errno = 0;
	assert_int_equal(fault_linkat(dfd, "a", dfd, "d", 0), -1);
	assert_int_equal(errno, EDQUOT);
	assert_int_equal(fault_renameat(dfd, "c", dfd, "b"), 0);
	assert_int_equal(faccessat(dfd, "d", F_OK, 0), -1);
	unlinkat(dfd, "a", 0);
	unlinkat(dfd, "b", 0);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

/* In a child: fork once more and say whether that fork failed. */
static __dead void
child_fork_once(void)
{
	pid_t	 pid;
	int	 st;

	if ((pid = fault_fork()) == 0)
		_exit(0);
	if (pid == -1)
		_exit(errno == ENOMEM ? 10 : 11);
	_exit(waitpid(pid, &st, 0) == pid ? 0 : 12);
}

/* Fork a child that forks once more; return the child's exit status. */
static int
fork_twice(void)
{
	pid_t	 pid;
	int	 st;

	if ((pid = fault_fork()) == 0)
		child_fork_once();
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return (WEXITSTATUS(st));
}

/*
 * Rules with a role only hit the process that took that name, and with a
 * birth only the child of that fork call; a forked child counts its own
 * calls from zero.
 */
static void
test_fault_roles_and_fork(void **state)
{
	pid_t	 pid;
	int	 st;

	(void)state;
	fault_procinit("master");
	errno = 0;
	assert_int_equal(fault_fork(), -1);
	assert_int_equal(errno, ENOMEM);
	/* Call 2 runs; the child's first call is its call 1 and fails. */
	assert_int_equal(fork_twice(), 10);

	fault_procinit("worker");
	errno = 0;
	assert_int_equal(fault_accept4(-1, NULL, NULL, 0), -1);
	assert_int_equal(errno, EMFILE);
	/* The rule was for call 1: the real call now fails on fd -1. */
	errno = 0;
	assert_int_equal(fault_accept4(-1, NULL, NULL, 0), -1);
	assert_int_equal(errno, EBADF);
	/* The child of fork call 3 is worker@3: its own rule comes first. */
	if ((pid = fault_fork()) == 0)
		_exit(fault_accept4(-1, NULL, NULL, 0) == -1 &&
		    errno == ENFILE ? 0 : 1);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* master.fork:1 is not a worker's. */
	assert_int_equal(fork_twice(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_write_second_is_short),
		cmocka_unit_test(test_fault_writev_fails_then_short),
		cmocka_unit_test(test_fault_sendmsg_counts_as_writev),
		cmocka_unit_test(test_fault_fsync_range),
		cmocka_unit_test(test_fault_malloc_from_second),
		cmocka_unit_test(test_fault_rename_and_link_errno),
		cmocka_unit_test(test_fault_roles_and_fork),
	};

	if (setenv("DUL_FAULT", RULES, 1) == -1)
		return (1);
	return (cmocka_run_group_tests_name("fault", tests, NULL, NULL));
}
