/*
 * dulecho.c: a Verification SCU (C-ECHO) on the requestor side of the
 * DUL engine, for checking and loading an acceptor.  It runs associations
 * one after another, or in parallel from forked processes that report
 * each association to the parent over a pipe, and prints the rate and the
 * latency percentiles of each phase.
 */

#include "compat.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netdb.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dimse.h"
#include "io.h"
#include "log.h"
#include "pdu.h"
#include "requestor.h"

#define EXIT_FAILED	1	/* some association failed */
#define EXIT_USAGE	100
#define EXIT_SYSTEM	111

#define MAX_ASSOCS	1000000UL
#define MAX_CONC	1024UL

enum phase {
	PH_CONNECT,
	PH_ASSOCIATE,
	PH_ECHO,
	PH_END,			/* release, or abort with -A */
	PH_COUNT
};

/* One association's outcome, as a child writes it to the parent. */
struct result {
	uint32_t	 index;
	int32_t		 ok;
	uint32_t	 us[PH_COUNT];
	char		 err[200];
};

/* What the summary keeps of each association. */
struct sample {
	uint32_t	 us[PH_COUNT];
	uint8_t		 ok;
	uint8_t		 seen;
};

struct opts {
	struct requestor_params	 rp;
	const char		*host;
	const char		*port;
	unsigned long		 n;
	unsigned long		 conc;
	unsigned long		 echoes;
	uint64_t		 timeout;	/* ms, for each wait */
	int			 abort;
	int			 quiet;
	int			 verbose;
	struct addrinfo		*ai;
};

static const char *const phase_names[PH_COUNT] = {
	"connect", "associate", "echo", "release"
};

static __dead void usage(void);
static uint64_t	now_us(void);
static void	run_one(const struct opts *, uint32_t, struct result *);
static int	echo_once(struct requestor *, const struct opts *, uint16_t,
		    char *, size_t);
static void	report_one(const struct opts *, const struct result *,
		    struct sample *);
static int	run_sequential(const struct opts *, struct sample *);
static int	run_parallel(const struct opts *, struct sample *);
static __dead void child_loop(const struct opts *, unsigned long, int);
static uint32_t	percentile(const uint32_t *, size_t, unsigned int);
static int	cmp_u32(const void *, const void *);
static int	summary(const struct opts *, const struct sample *, uint64_t);
static unsigned long number(const char *, unsigned long, unsigned long,
		    const char *);

/* Print the synopsis and exit with the usage code. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: %s [-AqVvX] [-a calling-aet] [-C called-aet] "
	    "[-c concurrency]\n\t[-e echoes] [-m max-pdu] [-n associations] "
	    "[-t seconds] host port\n", getprogname());
	exit(EXIT_USAGE);
}

/* Return microseconds on the monotonic clock. */
static uint64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* Parse a decimal option within bounds, or exit with a usage error. */
static unsigned long
number(const char *s, unsigned long lo, unsigned long hi, const char *what)
{
	const char	*err;
	long long	 v;

	v = strtonum(s, (long long)lo, (long long)hi, &err);
	if (err != NULL) {
		fprintf(stderr, "%s: %s \"%s\" is %s (%lu to %lu)\n",
		    getprogname(), what, s, err, lo, hi);
		exit(EXIT_USAGE);
	}
	return ((unsigned long)v);
}

/*
 * Send one C-ECHO-RQ and check its C-ECHO-RSP: the same message ID and
 * status 0000 (PS3.7 9.3.5).  Returns 0, or -1 with the reason in err.
 */
static int
echo_once(struct requestor *r, const struct opts *o, uint16_t msgid,
    char *err, size_t errlen)
{
	uint8_t			 pdv[PDU_PDV_HDR_LEN + 128];
	struct dimse_cmd	 c;
	ssize_t			 n;

	n = dimse_echo_rq(pdv + PDU_PDV_HDR_LEN, sizeof(pdv) -
	    PDU_PDV_HDR_LEN, msgid);
	if (n < 0 || (n = dimse_pdv(pdv, sizeof(pdv), r->pcid,
	    pdv + PDU_PDV_HDR_LEN, (size_t)n)) < 0) {
		snprintf(err, errlen, "echo: cannot encode C-ECHO-RQ");
		return (-1);
	}
	if (requestor_send(r, pdv, (size_t)n, io_now() + o->timeout) == -1 ||
	    requestor_command(r, &c, io_now() + o->timeout) == -1) {
		snprintf(err, errlen, "echo: %s", requestor_error(r));
		return (-1);
	}
	if (c.command != DIMSE_C_ECHO_RSP || !c.has_rsp_to ||
	    c.rsp_to != msgid || !c.has_status) {
		snprintf(err, errlen, "echo: unexpected response (command "
		    "0x%04x, to message %u)", c.command, c.rsp_to);
		return (-1);
	}
	if (c.status != DIMSE_STATUS_SUCCESS) {
		snprintf(err, errlen, "echo: status 0x%04x", c.status);
		return (-1);
	}
	return (0);
}

/* Run one whole association and time its phases. */
static void
run_one(const struct opts *o, uint32_t index, struct result *res)
{
	struct requestor	 r;
	uint64_t		 t[PH_COUNT + 1];
	unsigned long		 i;
	int			 ph;

	memset(res, 0, sizeof(*res));
	res->index = index;
	requestor_init(&r, &o->rp);
	t[0] = now_us();
	ph = PH_CONNECT;
	if (requestor_connect(&r, o->ai->ai_addr, o->ai->ai_addrlen,
	    io_now() + o->timeout) == -1)
		goto fail;
	t[1] = now_us();
	ph = PH_ASSOCIATE;
	if (requestor_associate(&r, io_now() + o->timeout) == -1)
		goto fail;
	t[2] = now_us();
	ph = PH_ECHO;
	for (i = 0; i < o->echoes; i++)
		if (echo_once(&r, o, (uint16_t)(i + 1), res->err,
		    sizeof(res->err)) == -1)
			goto end;
	t[3] = now_us();
	ph = PH_END;
	if (o->abort) {
		if (requestor_abort(&r, io_now() + o->timeout) == -1)
			goto fail;
	} else if (requestor_release(&r, io_now() + o->timeout) == -1)
		goto fail;
	t[4] = now_us();
	for (ph = 0; ph < PH_COUNT; ph++)
		res->us[ph] = (uint32_t)(t[ph + 1] - t[ph] > UINT32_MAX ?
		    UINT32_MAX : t[ph + 1] - t[ph]);
	res->ok = 1;
	requestor_free(&r);
	return;
fail:
	snprintf(res->err, sizeof(res->err), "%s: %s",
	    ph == PH_END && o->abort ? "abort" : phase_names[ph],
	    requestor_error(&r));
end:
	requestor_abort(&r, io_now() + o->timeout);
	requestor_free(&r);
}

/* Keep one association's outcome; print its line (-v) or its failure. */
static void
report_one(const struct opts *o, const struct result *res, struct sample *sm)
{
	memcpy(sm->us, res->us, sizeof(sm->us));
	sm->ok = res->ok != 0;
	sm->seen = 1;
	if (!res->ok) {
		fprintf(stderr, "%s: association %u: %s\n", getprogname(),
		    res->index + 1, res->err[0] != '\0' ? res->err :
		    "no result");
		return;
	}
	if (o->verbose < 1)
		return;
	printf("association %u: ok, connect %.3f ms, associate %.3f ms, "
	    "echo %.3f ms, %s %.3f ms\n", res->index + 1,
	    res->us[PH_CONNECT] / 1000.0, res->us[PH_ASSOCIATE] / 1000.0,
	    res->us[PH_ECHO] / 1000.0, o->abort ? "abort" : "release",
	    res->us[PH_END] / 1000.0);
}

/* Run every association in this process, one after another. */
static int
run_sequential(const struct opts *o, struct sample *sm)
{
	struct result	 res;
	unsigned long	 i;

	for (i = 0; i < o->n; i++) {
		run_one(o, (uint32_t)i, &res);
		report_one(o, &res, &sm[i]);
	}
	return (0);
}

/* A child's share: every conc-th association from k, one record each. */
static __dead void
child_loop(const struct opts *o, unsigned long k, int wfd)
{
	struct result	 res;
	unsigned long	 i;

	for (i = k; i < o->n; i += o->conc) {
		run_one(o, (uint32_t)i, &res);
		if (io_write(wfd, &res, sizeof(res), io_now() + o->timeout) ==
		    -1)
			_exit(EXIT_SYSTEM);
	}
	_exit(0);
}

/*
 * Fork conc children and collect one record per association from the
 * pipe they share; each record is smaller than PIPE_BUF, so it arrives
 * whole.  The wait is bounded by what every association could take;
 * children still running after that are killed.
 */
static int
run_parallel(const struct opts *o, struct sample *sm)
{
	uint8_t		 buf[sizeof(struct result) * 16];
	struct result	 rec;
	struct pollfd	 pfd;
	pid_t		*pids;
	uint64_t	 deadline, per;
	unsigned long	 k, got = 0, rounds;
	size_t		 have = 0;
	ssize_t		 n;
	int		 p[2], st, waited, rc;

	if ((pids = calloc(o->conc, sizeof(*pids))) == NULL || pipe(p) == -1) {
		fprintf(stderr, "%s: %s\n", getprogname(), strerror(errno));
		free(pids);
		return (-1);
	}
	fflush(NULL);
	for (k = 0; k < o->conc; k++) {
		if ((pids[k] = fork()) == -1) {
			fprintf(stderr, "%s: fork: %s\n", getprogname(),
			    strerror(errno));
			break;
		}
		if (pids[k] == 0) {
			/* The child needs none of the parent's bookkeeping. */
			free(pids);
			close(p[0]);
			child_loop(o, k, p[1]);
		}
	}
	close(p[1]);
	per = o->timeout * (4 + o->echoes) + 30000;
	rounds = (o->n + o->conc - 1) / o->conc;
	deadline = io_now() + per * rounds + 5000;
	while (got < o->n) {
		pfd.fd = p[0];
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, io_timeout(deadline, io_now()));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		if ((n = read(p[0], buf + have, sizeof(buf) - have)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		have += (size_t)n;
		while (have >= sizeof(rec)) {
			memcpy(&rec, buf, sizeof(rec));
			memmove(buf, buf + sizeof(rec), have - sizeof(rec));
			have -= sizeof(rec);
			rec.err[sizeof(rec.err) - 1] = '\0';
			if (rec.index >= o->n || sm[rec.index].seen)
				continue;
			report_one(o, &rec, &sm[rec.index]);
			got++;
		}
	}
	close(p[0]);
	for (k = 0; k < o->n && got < o->n; k++) {
		if (sm[k].seen)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.index = (uint32_t)k;
		strlcpy(rec.err, "no result from its process", sizeof(rec.err));
		report_one(o, &rec, &sm[k]);
	}
	for (k = 0; k < o->conc && pids[k] != -1; k++) {
		for (waited = 0; waited < 200; waited++) {
			if (waitpid(pids[k], &st, WNOHANG) != 0)
				break;
			poll(NULL, 0, 10);
		}
		if (waited == 200) {
			kill(pids[k], SIGKILL);
			waitpid(pids[k], &st, 0);
		}
	}
	free(pids);
	return (0);
}

/* Order two values for qsort(). */
static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* Return the p-th percentile, nearest rank, of n sorted values. */
static uint32_t
percentile(const uint32_t *v, size_t n, unsigned int p)
{
	size_t	 rank;

	if (n == 0)
		return (0);
	rank = (n * p + 99) / 100;
	return (v[rank == 0 ? 0 : rank - 1]);
}

/* Print the rate and percentiles; return whether all succeeded. */
static int
summary(const struct opts *o, const struct sample *res, uint64_t elapsed)
{
	uint32_t	*v;
	unsigned long	 i, ok = 0;
	size_t		 k;
	int		 ph;
	double		 secs = elapsed / 1e6;

	for (i = 0; i < o->n; i++)
		if (res[i].ok)
			ok++;
	if (o->quiet)
		return (ok == o->n ? 0 : -1);
	printf("%lu associations: %lu succeeded, %lu failed, concurrency %lu, "
	    "%.3f s, %.1f associations/s\n", o->n, ok, o->n - ok, o->conc,
	    secs, secs > 0 ? ok / secs : 0.0);
	if (ok == 0 || (v = calloc(ok, sizeof(*v))) == NULL)
		return (ok == o->n ? 0 : -1);
	printf("%-10s %10s %10s %10s\n", "phase", "p50 ms", "p99 ms",
	    "max ms");
	for (ph = 0; ph < PH_COUNT; ph++) {
		for (i = 0, k = 0; i < o->n; i++)
			if (res[i].ok)
				v[k++] = res[i].us[ph];
		qsort(v, k, sizeof(*v), cmp_u32);
		printf("%-10s %10.3f %10.3f %10.3f\n",
		    ph == PH_END && o->abort ? "abort" : phase_names[ph],
		    percentile(v, k, 50) / 1000.0,
		    percentile(v, k, 99) / 1000.0, v[k - 1] / 1000.0);
	}
	free(v);
	return (ok == o->n ? 0 : -1);
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	struct addrinfo	 hints;
	struct sample	*res;
	uint64_t	 t0;
	int		 ch, e;

	memset(&o, 0, sizeof(o));
	o.rp.calling = "DULECHO";
	o.rp.called = "ANY-SCP";
	o.rp.abstract = DIMSE_VERIFICATION_UID;
	o.rp.max_pdu_receive = PDU_DEFAULT_MAX_PDATA_LEN;
	o.n = 1;
	o.conc = 1;
	o.echoes = 1;
	o.timeout = 30000;
	while ((ch = getopt(argc, argv, "Aa:C:c:e:m:n:qt:VvX")) != -1) {
		switch (ch) {
		case 'A':
			o.abort = 1;
			break;
		case 'a':
		case 'C':
			if (*optarg == '\0' || strlen(optarg) > PDU_AE_LEN) {
				fprintf(stderr, "%s: AE title \"%s\" must have "
				    "1 to 16 characters\n", getprogname(),
				    optarg);
				exit(EXIT_USAGE);
			}
			*(ch == 'a' ? &o.rp.calling : &o.rp.called) = optarg;
			break;
		case 'c':
			o.conc = number(optarg, 1, MAX_CONC, "concurrency");
			break;
		case 'e':
			o.echoes = number(optarg, 0, 65535, "echo count");
			break;
		case 'm':
			o.rp.max_pdu_receive = (uint32_t)number(optarg, 1024,
			    16 * 1024 * 1024, "maximum PDU length");
			break;
		case 'n':
			o.n = number(optarg, 1, MAX_ASSOCS,
			    "association count");
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 't':
			o.timeout = number(optarg, 1, 3600, "timeout") * 1000;
			break;
		case 'V':
			printf("dulecho (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			return (0);
		case 'v':
			o.verbose++;
			break;
		case 'X':
			o.rp.explicit_le = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	o.host = argv[0];
	o.port = argv[1];
	if (o.conc > o.n)
		o.conc = o.n;
	o.rp.artim = o.timeout;

	log_init(1, 0);
	log_procinit(getprogname());
	if (o.verbose > 1)
		log_setverbose(o.verbose - 1);
	signal(SIGPIPE, SIG_IGN);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(o.host, o.port, &hints, &o.ai)) != 0) {
		fprintf(stderr, "%s: %s port %s: %s\n", getprogname(), o.host,
		    o.port, gai_strerror(e));
		return (EXIT_SYSTEM);
	}
	if ((res = calloc(o.n, sizeof(*res))) == NULL) {
		fprintf(stderr, "%s: %s\n", getprogname(), strerror(errno));
		freeaddrinfo(o.ai);
		return (EXIT_SYSTEM);
	}
	t0 = now_us();
	if ((o.conc == 1 ? run_sequential(&o, res) :
	    run_parallel(&o, res)) == -1) {
		free(res);
		freeaddrinfo(o.ai);
		return (EXIT_SYSTEM);
	}
	e = summary(&o, res, now_us() - t0);
	free(res);
	freeaddrinfo(o.ai);
	return (e == 0 ? 0 : EXIT_FAILED);
}
