/*
 * requestor.h: one association, requestor side, on the same engine as the
 * acceptor worker: the PS3.8 state machine (fsm.c) in FSM_REQUESTOR role,
 * link.c for framing and the PDU codec.  The calls are synchronous: each
 * steps the machine and then waits, with poll() and a deadline on the
 * monotonic clock, until the state it needs or a failure.
 *
 * The service user is the caller, and a simple one: it answers a release
 * indication at once (the peer's A-RELEASE-RQ, or a collision, where the
 * requestor answers first as PS3.8 7.2.2 says) and sends P-DATA only on
 * the one presentation context the acceptor accepted.
 */
#ifndef DUL_REQUESTOR_H
#define DUL_REQUESTOR_H

#include <sys/socket.h>

#include <stdint.h>

#include "dimse.h"
#include "fsm.h"
#include "link.h"
#include "pdu.h"

#define REQUESTOR_ERR_LEN	160

/* What to propose; NULL or 0 fields take defaults. */
struct requestor_params {
	const char	*calling;		/* our AE title */
	const char	*called;		/* the peer's */
	const char	*abstract;		/* one abstract syntax */
	int		 explicit_le;		/* also Explicit VR LE */
	uint32_t	 max_pdu_receive;	/* announced; 0: 16384 */
	uint32_t	 max_pdu_send;		/* our own cap; 0: 65536 */
	uint64_t	 artim;			/* ms in Sta13; 0: 30000 */
	const char	*impl_class_uid;
	const char	*impl_version;
};

/* One association, requestor side. */
struct requestor {
	const struct requestor_params *par;
	struct fsm		 fsm;
	struct link		 link;
	struct pdu		 pdu;		/* the PDU being stepped */
	const struct sockaddr	*sa;
	socklen_t		 salen;
	int			 connect_errno;	/* Evt17 in Sta4 is due */
	int			 connect_done;	/* Evt2 is due */
	int			 send_failed;
	int			 release_due;	/* Evt14 is due */
	uint64_t		 send_deadline;	/* for the writes of a step */

	uint8_t			 pcid;		/* accepted context, or 0 */
	char			 ts[PDU_UID_MAX + 1];
	uint32_t		 peer_max;
	struct dimse_asm	 cmd;
	int			 cmd_ready;
	struct dimse_cmd	 rsp;

	int			 rejected;
	struct fsm_rj		 rj;
	int			 released;
	int			 peer_released;	/* we answered its RQ */
	int			 aborted;	/* by the peer */
	int			 provider_aborted; /* A-P-ABORT */
	uint8_t			 abort_src, abort_rsn;
	char			 err[REQUESTOR_ERR_LEN];
};

void	 requestor_init(struct requestor *, const struct requestor_params *);
int	 requestor_connect(struct requestor *, const struct sockaddr *,
	    socklen_t, uint64_t deadline);
int	 requestor_associate(struct requestor *, uint64_t deadline);
int	 requestor_send(struct requestor *, const uint8_t *, size_t,
	    uint64_t deadline);
int	 requestor_command(struct requestor *, struct dimse_cmd *,
	    uint64_t deadline);
int	 requestor_release(struct requestor *, uint64_t deadline);
int	 requestor_abort(struct requestor *, uint64_t deadline);
void	 requestor_free(struct requestor *);
const char *requestor_error(const struct requestor *);

#endif /* DUL_REQUESTOR_H */
