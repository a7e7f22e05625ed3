/*
 * serve.h: what every launcher of a worker shares (the master's fork, -i
 * and -d): the worker's parameters from the configuration, its signals,
 * the logger set from logging.*, and the daemon's exit codes (design
 * decision 10, documented in dulserverd(8)).
 */
#ifndef DUL_SERVE_H
#define DUL_SERVE_H

struct dul_conf;
struct handler;
struct listen_set;
struct privsep_id;
struct worker_params;

#define DUL_EXIT_OK		0
#define DUL_EXIT_CONFIG		1	/* as dulserverd -n */
#define DUL_EXIT_USAGE		100
#define DUL_EXIT_SYSTEM		111	/* OS failure at start-up */

#define SERVE_REJECT_ARTIM	10000	/* reject worker ARTIM, ms */
#define SERVE_WORKER_OOM_ADJ	500	/* added to a worker's OOM score */

int	 serve_log(const struct dul_conf *, int, int);
void	 serve_params(struct worker_params *, const struct dul_conf *,
	    struct handler *);
int	 serve_signals(int);
void	 serve_spare_signals(int);
void	 serve_prefault(void);
void	 serve_hold_signals(void);
void	 serve_release_signals(void);
void	 serve_oom_adjust(int);
int	 serve_inetd(const struct dul_conf *, const struct privsep_id *);
int	 serve_debug(const struct dul_conf *, const struct privsep_id *,
	    struct listen_set *);

#endif /* DUL_SERVE_H */
