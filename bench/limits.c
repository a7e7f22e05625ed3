/*
 * limits.c: what this machine allows, measured the way the benchmark
 * uses it, so that the daemon's figures can be read against them.
 *
 *   limits forkexec count program
 *	A server on 127.0.0.1 forks and executes program (with the
 *	connection on its fds 0 and 1) for each connection; a client
 *	connects count times, one after another, and waits for the close.
 *	Prints the connections per second and the server's CPU time per
 *	connection, children included.
 *
 *   limits loopback mebibytes
 *	One process sends that many MiB over TCP on 127.0.0.1 to another,
 *	1 MiB per write.  Prints MB/s (10^6 bytes per second).
 *
 *   limits pingpong count
 *	Two processes pass one byte back and forth over a pair of pipes,
 *	count times.  Prints the microseconds of a round trip: two wakeups
 *	of a process by another, what each extra process on a request's way
 *	costs.
 *
 * Every wait is bounded: a peer that does not answer within 10 seconds
 * ends the run with an error.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIMITS_WAIT_MS	10000
#define LIMITS_CHUNK	(1024 * 1024)

static double	now_s(void);
static int	listener(struct sockaddr_in *);
static int	connect_to(const struct sockaddr_in *);
static int	wait_fd(int, short);
static double	cpu_of(int);
static int	forkexec(unsigned long, const char *);
static int	loopback(unsigned long);
static int	pingpong(unsigned long);
static void	usage(void);

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Listen on an ephemeral port of 127.0.0.1; fill in the address. */
static int
listener(struct sockaddr_in *sin)
{
	socklen_t	 len = sizeof(*sin);
	int		 fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Connect to the listener. */
static int
connect_to(const struct sockaddr_in *sin)
{
	int	 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Wait until fd is ready for events; -1 after LIMITS_WAIT_MS. */
static int
wait_fd(int fd, short events)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = fd;
	pfd.events = events;
	do {
		n = poll(&pfd, 1, LIMITS_WAIT_MS);
	} while (n == -1 && errno == EINTR);
	return (n == 1 ? 0 : -1);
}

/* CPU seconds of this process (RUSAGE_SELF) or its reaped children. */
static double
cpu_of(int who)
{
	struct rusage	 ru;

	getrusage(who, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/*
 * The server is a child of ours: it accepts, forks, and the grandchild
 * executes program on the connection.  The server reports its CPU time,
 * its children's included, on a pipe when the client closes the
 * listener's control connection.
 */
static int
forkexec(unsigned long count, const char *program)
{
	struct sockaddr_in	 sin;
	double			 t0, t1, cpu = -1;
	unsigned long		 i;
	pid_t			 server, pid;
	char			 b;
	int			 lfd, fd, c, st, rp[2];

	if ((lfd = listener(&sin)) == -1 || pipe(rp) == -1) {
		perror("limits: listen");
		return (1);
	}
	if ((server = fork()) == -1) {
		perror("limits: fork");
		return (1);
	}
	if (server == 0) {
		close(rp[0]);
		for (i = 0; i < count; i++) {
			if (wait_fd(lfd, POLLIN) == -1 ||
			    (c = accept(lfd, NULL, NULL)) == -1)
				_exit(1);
			if ((pid = fork()) == 0) {
				dup2(c, 0);
				dup2(c, 1);
				execl(program, program, (char *)NULL);
				_exit(127);
			}
			close(c);
			if (pid == -1)
				_exit(1);
			while (waitpid(-1, &st, WNOHANG) > 0)
				;
		}
		while (waitpid(-1, &st, 0) > 0)
			;
		cpu = cpu_of(RUSAGE_CHILDREN) + cpu_of(RUSAGE_SELF);
		(void)!write(rp[1], &cpu, sizeof(cpu));
		_exit(0);
	}
	close(rp[1]);
	close(lfd);
	t0 = now_s();
	for (i = 0; i < count; i++) {
		if ((fd = connect_to(&sin)) == -1) {
			perror("limits: connect");
			break;
		}
		/* The program exits without writing: wait for the close. */
		if (wait_fd(fd, POLLIN) == -1 || read(fd, &b, 1) != 0) {
			fprintf(stderr, "limits: no close from %s\n", program);
			close(fd);
			break;
		}
		close(fd);
	}
	t1 = now_s();
	if (wait_fd(rp[0], POLLIN) == -1 ||
	    read(rp[0], &cpu, sizeof(cpu)) != sizeof(cpu))
		cpu = -1;
	if (i < count)
		kill(server, SIGKILL);
	waitpid(server, &st, 0);
	if (i < count)
		return (1);
	printf("forkexec connections=%lu seconds=%.6f per_second=%.1f "
	    "cpu_ms_per_connection=%.4f\n", count, t1 - t0,
	    count / (t1 - t0), cpu < 0 ? -1.0 : cpu * 1000 / count);
	return (0);
}

/* Send mib MiB from one process to another over TCP on loopback. */
static int
loopback(unsigned long mib)
{
	struct sockaddr_in	 sin;
	uint64_t		 total = (uint64_t)mib * LIMITS_CHUNK, got = 0;
	double			 t0, t1;
	ssize_t			 n;
	pid_t			 pid;
	char			*buf;
	int			 lfd, fd, st, one = 1;

	if ((buf = malloc(LIMITS_CHUNK)) == NULL ||
	    (lfd = listener(&sin)) == -1) {
		perror("limits");
		return (1);
	}
	memset(buf, 0x5a, LIMITS_CHUNK);
	if ((pid = fork()) == -1) {
		perror("limits: fork");
		return (1);
	}
	if (pid == 0) {
		close(lfd);
		if ((fd = connect_to(&sin)) == -1)
			_exit(1);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (got < total) {
			n = write(fd, buf, LIMITS_CHUNK);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				_exit(1);
			got += (uint64_t)n;
		}
		close(fd);
		_exit(0);
	}
	if (wait_fd(lfd, POLLIN) == -1 || (fd = accept(lfd, NULL, NULL)) ==
	    -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fprintf(stderr, "limits: no connection\n");
		return (1);
	}
	t0 = now_s();
	while (got < total) {
		if (wait_fd(fd, POLLIN) == -1)
			break;
		n = read(fd, buf, LIMITS_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	t1 = now_s();
	close(fd);
	close(lfd);
	if (got < total)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	free(buf);
	if (got < total) {
		fprintf(stderr, "limits: short transfer\n");
		return (1);
	}
	printf("loopback bytes=%llu seconds=%.6f mb_per_second=%.1f\n",
	    (unsigned long long)total, t1 - t0, total / (t1 - t0) / 1e6);
	return (0);
}

/* Pass a byte back and forth between two processes over two pipes. */
static int
pingpong(unsigned long count)
{
	unsigned long	 i;
	double		 t0, t1;
	pid_t		 pid;
	char		 b = 0;
	int		 ab[2], ba[2], st;

	if (pipe(ab) == -1 || pipe(ba) == -1) {
		perror("limits: pipe");
		return (1);
	}
	if ((pid = fork()) == -1) {
		perror("limits: fork");
		return (1);
	}
	if (pid == 0) {
		for (i = 0; i < count; i++)
			if (wait_fd(ab[0], POLLIN) == -1 ||
			    read(ab[0], &b, 1) != 1 || write(ba[1], &b, 1) != 1)
				_exit(1);
		_exit(0);
	}
	t0 = now_s();
	for (i = 0; i < count; i++)
		if (write(ab[1], &b, 1) != 1 || wait_fd(ba[0], POLLIN) == -1 ||
		    read(ba[0], &b, 1) != 1)
			break;
	t1 = now_s();
	if (i < count)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (i < count) {
		fprintf(stderr, "limits: pingpong stopped at %lu\n", i);
		return (1);
	}
	printf("pingpong round_trips=%lu seconds=%.6f us_per_round_trip=%.2f\n",
	    count, t1 - t0, (t1 - t0) * 1e6 / count);
	return (0);
}

/* Print the synopsis and exit. */
static void
usage(void)
{
	fprintf(stderr, "usage: limits forkexec count program\n"
	    "       limits loopback mebibytes\n"
	    "       limits pingpong count\n");
	exit(100);
}

int
main(int argc, char *argv[])
{
	unsigned long	 n;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		usage();
	n = strtoul(argv[2], NULL, 10);
	if (n == 0 || n > 1000000)
		usage();
	if (strcmp(argv[1], "forkexec") == 0 && argc == 4)
		return (forkexec(n, argv[3]));
	if (strcmp(argv[1], "loopback") == 0 && argc == 3)
		return (loopback(n));
	if (strcmp(argv[1], "pingpong") == 0 && argc == 3)
		return (pingpong(n));
	usage();
	return (100);
}
