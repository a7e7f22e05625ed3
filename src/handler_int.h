/* handler_int.h: shared by the handler service user's files only. */
#ifndef DUL_HANDLER_INT_H
#define DUL_HANDLER_INT_H

#include "handler.h"
#include "worker.h"

int	 handler_spawn(struct handler *, struct worker *);
int	 handler_stop(struct handler *);
void	 handler_drain_output(struct handler *);
void	 handler_discard(struct handler *);
void	 handler_flush_lines(struct handler *);
int	 handler_env_impl(struct worker *, char **, size_t *);

int	 handler_pdvs_ok(const struct worker *, const struct hipc_pdata *);
void	 handler_log_text(struct handler *, uint8_t, const uint8_t *,
	    size_t);

uint16_t handler_ecode(int);
void	 handler_error(struct handler *, uint16_t, const char *);
void	 handler_failed(struct handler *, struct worker *, uint16_t,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
int	 handler_queue(struct handler *, const struct hipc_msg *);

void	 handler_assoc_ind(void *, struct worker *, const struct pdu_assoc *,
	    struct worker_neg *);
void	 handler_assoc_rsp(struct handler *, struct worker *,
	    const struct hipc_assoc_rsp *);
void	 handler_ind_free(struct handler *);

#endif /* DUL_HANDLER_INT_H */
