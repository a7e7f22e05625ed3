/* handler_int.h: shared by the handler service user's files only. */
#ifndef DUL_HANDLER_INT_H
#define DUL_HANDLER_INT_H

#include "handler.h"
#include "worker.h"

int	 handler_spawn(struct handler *, struct worker *);
int	 handler_stop(struct handler *);
void	 handler_drain_output(struct handler *);
void	 handler_flush_lines(struct handler *);
int	 handler_env_impl(struct worker *, char **, size_t *);



int	 handler_pdvs_ok(const struct worker *, const struct hipc_pdata *);
void	 handler_log_text(struct handler *, const uint8_t *, size_t);
#endif /* DUL_HANDLER_INT_H */
