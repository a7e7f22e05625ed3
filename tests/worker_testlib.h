/*
 * worker_testlib.h: what the worker tests and the echo acceptor share: a
 * routing policy, an in-process service user that answers C-ECHO, and a
 * writer for the A-ASSOCIATE-RQ and -AC bytes those tests exchange.
 */
#ifndef DUL_WORKER_TESTLIB_H
#define DUL_WORKER_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "dimse.h"
#include "worker.h"

#define WT_CALLED		"ANY-SCP"
#define WT_CALLING		"TESTSCU"
#define WT_IMPL_UID		"1.2.826.0.1.3680043.9.7433.1.1"
#define WT_IMPL_VERSION		"DULTEST"
#define WT_CT_STORAGE		"1.2.840.10008.5.1.4.1.1.2"

/* How the test service user behaves. */
#define TSU_NO_ASSOC_ANSWER	0x01	/* never answer the indication */
#define TSU_NO_RELEASE_ANSWER	0x02	/* never answer A-RELEASE */
#define TSU_RELEASE_AFTER_ACCEPT 0x04	/* Evt11 right after accepting */
#define TSU_ABORT_AFTER_ACCEPT	0x08	/* Evt15 right after accepting */
#define TSU_RELEASE_AFTER_ECHO	0x10	/* Evt11 after answering C-ECHO */
#define TSU_PDATA_ON_RELEASE	0x20	/* a late C-ECHO-RSP in Sta8 */

#define TSU_RSP_SLOTS		8

/* The test service user's state. */
struct tsu {
	unsigned int	 flags;
	struct dimse_asm cmd;
	uint8_t		 rsp[TSU_RSP_SLOTS][128];
	unsigned int	 next_rsp;
	unsigned int	 echoes;
	int		 released;	/* release_ind seen */
	int		 confirmed;	/* release_cnf seen */
	int		 collision;
	int		 aborted;
	int		 p_aborted;
	int		 bad_command;
	int		 release_asked;	/* Evt11 pushed: answer no more */
	unsigned int	 unanswered;	/* C-ECHOs that came after that */
};

extern const struct su_ops tsu_ops;

int	 tpol_route(void *, struct worker *, const struct pdu_assoc *,
	    struct worker_neg *, struct fsm_rj *);
void	 wt_params(struct worker_params *, struct tsu *);

/* One presentation context to propose. */
struct wt_pctx {
	uint8_t		 id;
	const char	*abstract;
	const char	*ts[3];		/* NULL-terminated, up to 2 */
};

/* What an A-ASSOCIATE-RQ carries; NULL/0 fields take the defaults. */
struct wt_rq {
	const char		*called;
	const char		*calling;
	uint16_t		 version;	/* 0: 1 */
	uint32_t		 max_len;	/* 0: 16384 */
	int			 no_max_len;
	unsigned int		 n_pctx;	/* 0: Verification, Implicit */
	const struct wt_pctx	*pctx;
};

size_t	 wt_rq(uint8_t *, size_t, const struct wt_rq *);
size_t	 wt_ac(uint8_t *, size_t, const uint8_t *rq, uint8_t result,
	    const char *ts, uint32_t max_len);
size_t	 wt_echo_rq_pdu(uint8_t *, size_t, uint8_t pcid, uint16_t msgid);
size_t	 wt_echo_rsp_pdu(uint8_t *, size_t, uint8_t pcid, uint16_t msgid);

#endif /* DUL_WORKER_TESTLIB_H */
