/* worker_int.h: what worker.c and worker_ops.c share, nobody else. */
#ifndef DUL_WORKER_INT_H
#define DUL_WORKER_INT_H

#include "fsm.h"
#include "uid.h"
#include "worker.h"

/* The project's UID root (2.25: a UUID, no registration needed). */
#define WORKER_IMPL_CLASS_UID	DUL_IMPL_CLASS_UID
#define WORKER_IMPL_VERSION	DUL_IMPL_VERSION

extern const struct fsm_ops worker_fsm_ops;

void	 worker_abort_local(struct worker *, uint8_t, uint8_t);
int	 worker_any_accepted(const struct worker *);
int	 worker_keep_rq(struct worker *);
void	 worker_forget_rq(struct worker *);
int	 worker_unexpected(const struct worker *, enum fsm_event);
void	 worker_badhdr(struct worker *);
uint64_t worker_pdu_deadline(const struct worker *);
void	 worker_su_timeout(struct worker *);
void	 worker_set_tag(struct worker *);
void	 worker_outcome(const struct worker *, char *, size_t);
uint32_t worker_send_max(const struct worker *);
void	 worker_pdu_log(const struct worker *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* DUL_WORKER_INT_H */
