/*
 * handler.h: the service user that is a handler executable.  After the
 * A-ASSOCIATE-RQ is routed to an `ae` entry, the worker forks and execs
 * that entry's handler with two pipes on fds 3 (to it) and 4 (from it)
 * and speaks the handler protocol (hipc.h, doc/handler-protocol.md).
 * Frames to the handler go through a bounded queue; while it is full the
 * worker stops reading the peer, so a slow handler slows the peer and
 * never grows the worker.
 */
#ifndef DUL_HANDLER_H
#define DUL_HANDLER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "hipc.h"
#include "worker.h"

struct dul_conf;
struct conf_ae;
struct scoreboard;

#define HANDLER_LINE_MAX	4096	/* one logged line of its output */
#define HANDLER_SMALL_FRAME	1024	/* bodies copied to go in one write */
#define HANDLER_PIPE_MAX	(1024 * 1024)	/* fd 3 once bulk data flows */

struct handler_out {
	int		 fd;
	const char	*name;		/* "stdout" or "stderr" */
	char		 line[HANDLER_LINE_MAX];
	size_t		 len;
};

struct handler {
	const struct dul_conf	*conf;
	const struct conf_ae	*ae;
	struct scoreboard	*sb;		/* the master's, or NULL */
	pid_t			 pid;
	int			 pidfd;		/* or -1 */
	int			 to_h;		/* our end of fd 3 */
	int			 from_h;	/* our end of fd 4 */
	struct handler_out	 out[2];

	uint8_t			*oq;		/* frames for the handler */
	size_t			 oq_len, oq_off, oq_cap;
	uint64_t		 to_h_bytes;	/* ever written to fd 3 */
	uint64_t		 stall_since;	/* queued, handler not read */
	uint64_t		 stall_taken;	/* what it had read by then */
	size_t			 oq_max;	/* busy above this */
	int			 pipe_grown;	/* fd 3 enlarged once */
	int			 write_errno;	/* a failed write to fd 3 */
	int			 pfd_to, pfd_from;	/* poll slots, or -1 */
	int			 pfd_out[2];
	int			 closing;	/* send EOF once oq is empty */

	uint8_t			 ihdr[HIPC_HDR_LEN];
	size_t			 ihdr_got;
	struct hipc_hdr		 ih;
	uint8_t			*ibody;
	size_t			 ibody_got, ibody_cap;
	int			 iskip;		/* skipping an extension */
	void			*arena;
	size_t			 arena_cap;

	uint32_t		 max_w2h, max_h2w;
	int			 hello_ok;
	uint32_t		 features;	/* HIPC_F_* offered, wanted */
	int			 notice_due;	/* SHUTDOWN_NOTICE */
	int			 notice_sent;
	uint64_t		 hello_deadline;
	int			 want_rsp;	/* ASSOC_RSP awaited */
	struct hipc_assoc_ind	 ind;		/* what ASSOC_RSP answers */
	void			*ind_mem[6];	/* its lists */
	size_t			 ind_len;	/* its body length */
	uint8_t			*ac_mem;	/* answers kept for the AC */
	int			 failed;
	int			 status;	/* wait status, once reaped */
};

extern const struct su_ops handler_su_ops;

void	 handler_init(struct handler *, const struct dul_conf *);
int	 handler_policy_route(void *, struct worker *,
	    const struct pdu_assoc *, struct worker_neg *, struct fsm_rj *);

#endif /* DUL_HANDLER_H */
