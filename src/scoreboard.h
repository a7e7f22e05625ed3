/*
 * scoreboard.h: the associations running under one master, by AE entry
 * and calling AE title, in memory the master shares with its workers
 * (design section 6).  The master creates it before it forks the first
 * worker and clears a worker's slot when it reaps it, so that a worker
 * that crashed or was killed never keeps a place.  A worker takes a slot
 * once its A-ASSOCIATE-RQ is routed to an entry, if the entry's limits
 * (ae[].max_associations, ae[].max_associations_per_calling_ae) leave
 * room; a process-shared lock makes the count and the taking one step,
 * so two workers cannot both take the last place.  Under -i and -d there
 * is no master and no scoreboard.
 *
 * Apart from those slots, every worker the master forks has a state word
 * (design section 6, server.max_startups): the master takes one before
 * the fork, marked "starting", and the worker marks it "established"
 * when it sends its A-ASSOCIATE-AC; the master frees it when it reaps the
 * worker.  Only the master takes and frees state words and each worker
 * writes only its own, so they need no lock, and a worker killed before
 * its AC is simply counted as starting until it is reaped.
 */
#ifndef DUL_SCOREBOARD_H
#define DUL_SCOREBOARD_H

#include <sys/types.h>

#define SCOREBOARD_SLOTS	65535	/* the largest max_associations */

struct scoreboard;

/* What scoreboard_enter() says. */
enum scoreboard_result {
	SCOREBOARD_ERROR = -1,		/* errno set */
	SCOREBOARD_ADMITTED = 0,
	SCOREBOARD_OVER_ENTRY = 1,	/* ae[].max_associations */
	SCOREBOARD_OVER_CALLING = 2	/* ..._per_calling_ae */
};

struct scoreboard *scoreboard_create(unsigned int);
void	 scoreboard_destroy(struct scoreboard *);
enum scoreboard_result scoreboard_enter(struct scoreboard *, const char *,
	    const char *, int, int, int *);
void	 scoreboard_leave(struct scoreboard *);
int	 scoreboard_reap(struct scoreboard *, pid_t);
int	 scoreboard_count(struct scoreboard *, const char *, const char *);

long	 scoreboard_start(struct scoreboard *);
void	 scoreboard_bind(struct scoreboard *, long);
void	 scoreboard_established(struct scoreboard *);
int	 scoreboard_starting(const struct scoreboard *, long);
void	 scoreboard_end(struct scoreboard *, long);

#endif /* DUL_SCOREBOARD_H */
