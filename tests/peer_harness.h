/*
 * peer_harness.h: a scripted peer for whole-association tests of the
 * acceptor worker.  run_start() forks a child that runs worker_run() on
 * one end of a socketpair, with the test policy and service user of
 * worker_testlib.c, logging at trace level into a temporary file; the
 * test plays the peer on the other end and then compares the worker's
 * state transitions, exit status and log with what it expected.  Every
 * wait is bounded.  The helpers fail the current cmocka test.
 */
#ifndef DUL_PEER_HARNESS_H
#define DUL_PEER_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "worker.h"
#include "worker_testlib.h"

#define TRACE_MAX	64
#define LOG_MAX		(256 * 1024)
#define WAIT_MS		3000	/* the most any single wait may take */
#define SLACK_MS	700	/* timer accuracy allowed under sanitizers */

/* One worker child and the peer's end of its connection. */
struct run {
	struct worker_params	 p;
	struct tsu		 su;
	pid_t			 pid;
	int			 fd;
	FILE			*logf;
	int			 code;
	uint8_t			 rq[1024];
	size_t			 rqlen;
	const char		*exp[TRACE_MAX];
	unsigned int		 nexp;
	char			*log;
	char			*tracebuf;	/* a copy, cut into lines */
	char			*trace[TRACE_MAX];
	unsigned int		 ntrace;
	int			 sndbuf;	/* worker's SO_SNDBUF, or 0 */
	int			 keep_open;	/* run_wait() leaves fd open */
	int			 tail_only;	/* match the trace's end only */
};

extern const uint8_t	 ABORT00[10], ABORT20[10], ABORT21[10], ABORT22[10];
extern const uint8_t	 ABORT26[10], RELRQ[10], RELRP[10], UNKNOWN8[10];
extern const uint8_t	 RELRQ_LEN5[11];

#define T_AE5	"Sta1 + Evt5 -> AE-5 -> Sta2"
#define T_AE6	"Sta2 + Evt6 -> AE-6 -> Sta3"
#define T_AE7	"Sta3 + Evt7 -> AE-7 -> Sta6"
#define T_AR1	"Sta6 + Evt11 -> AR-1 -> Sta7"
#define T_AR2	"Sta6 + Evt12 -> AR-2 -> Sta8"
#define T_AR4	"Sta8 + Evt14 -> AR-4 -> Sta13"
#define T_AR5	"Sta13 + Evt17 -> AR-5 -> Sta1"
#define T_AR8	"Sta7 + Evt12 -> AR-8 -> Sta10"
#define T_DT2	"Sta6 + Evt10 -> DT-2 -> Sta6"
#define T_DT1	"Sta6 + Evt9 -> DT-1 -> Sta6"

void		 run_init(struct run *);
void		 run_start(struct run *);
void		 run_check(struct run *, int);
void		 expect_step(struct run *, const char *);
const char	*step_str(int, int, const char *, int);
size_t		 peer_read(struct run *, uint8_t *, size_t, int, int *);
void		 peer_send(struct run *, const void *, size_t);
void		 expect_bytes(struct run *, const uint8_t *, size_t);
void		 expect_eof(struct run *, int);
void		 expect_quiet(struct run *, int);
size_t		 expect_pdu(struct run *, uint8_t, uint8_t *, size_t);
void		 expect_log(struct run *, const char *);
uint64_t	 since(uint64_t);
void		 associate(struct run *);
void		 echo(struct run *, uint16_t);
void		 reach(struct run *, int);
int		 harness_teardown(void **);

#endif /* DUL_PEER_HARNESS_H */
