/*
 * scoreboard.c: one slot per running association in a MAP_SHARED
 * anonymous mapping made by the master before it forks (Apache prefork's
 * scoreboard, reduced to what the per-entry limits need).
 *
 * A slot belongs to the process whose pid it holds; 0 marks it free.
 * Workers take slots under a robust process-shared mutex, so a worker
 * killed while it holds the lock does not stop the others: the next one
 * to lock it is told and goes on.  The master never takes the lock: it
 * only turns a reaped worker's pid back into 0 with an atomic
 * compare-and-swap, which at worst makes a worker counting at that moment
 * see one association too many.
 *
 * The state words of server.max_startups follow the slots in the same
 * mapping, one per possible worker.  Their writers never overlap in time
 * (the master before the fork and after the reap, the worker in between),
 * so plain atomic loads and stores are enough.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scoreboard.h"

#define SCOREBOARD_TITLE_LEN	16	/* an AE title */

/* A state word's values. */
#define SCOREBOARD_FREE		0
#define SCOREBOARD_STARTING	1	/* no A-ASSOCIATE-AC sent yet */
#define SCOREBOARD_ESTABLISHED	2

struct scoreboard_slot {
	pid_t			 pid;		/* 0: free; atomic */
	char			 entry[SCOREBOARD_TITLE_LEN + 1];
	char			 calling[SCOREBOARD_TITLE_LEN + 1];
};

/* The shared part. */
struct scoreboard_shm {
	pthread_mutex_t		 lock;
	unsigned int		 used;		/* slots ever taken; atomic */
	unsigned int		 nslots;
	struct scoreboard_slot	 slot[];
};

/* Each process's own handle on it. */
struct scoreboard {
	struct scoreboard_shm	*shm;
	size_t			 len;
	long			 mine;		/* our slot, or -1 */
	uint32_t		*state;		/* nslots, after the slots */
	long			 state_mine;	/* a worker's word, or -1 */
	unsigned int		 state_next;	/* the master's next try */
};

static int	scoreboard_lock(struct scoreboard_shm *);

/*
 * Map a scoreboard of nslots slots, shared with every process forked
 * afterwards.  Untouched pages of the mapping cost nothing, so nslots
 * can be the largest number of workers the configuration allows.
 * Returns NULL with errno set on failure.
 */
struct scoreboard *
scoreboard_create(unsigned int nslots)
{
	struct scoreboard	*sb;
	pthread_mutexattr_t	 attr;
	int			 e;

	if ((sb = calloc(1, sizeof(*sb))) == NULL)
		return (NULL);
	sb->mine = -1;
	sb->state_mine = -1;
	sb->len = sizeof(*sb->shm) + (size_t)nslots *
	    (sizeof(sb->shm->slot[0]) + sizeof(*sb->state));
	sb->shm = mmap(NULL, sb->len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sb->shm == MAP_FAILED) {
		e = errno;
		free(sb);
		errno = e;
		return (NULL);
	}
	sb->shm->nslots = nslots;
	sb->state = (uint32_t *)(void *)&sb->shm->slot[nslots];
	if ((e = pthread_mutexattr_init(&attr)) != 0)
		goto fail;
	if ((e = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (e = pthread_mutexattr_setrobust(&attr,
	    PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (e = pthread_mutex_init(&sb->shm->lock, &attr)) != 0) {
		pthread_mutexattr_destroy(&attr);
		goto fail;
	}
	pthread_mutexattr_destroy(&attr);
	return (sb);
fail:
	munmap(sb->shm, sb->len);
	free(sb);
	errno = e;
	return (NULL);
}

/* Unmap the scoreboard (the master, when it exits). */
void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb == NULL)
		return;
	munmap(sb->shm, sb->len);
	free(sb);
}

/*
 * Take the lock; if its last holder died holding it, the slots are still
 * whole (a slot is published by its pid, written last), so mark the lock
 * consistent and go on.
 */
static int
scoreboard_lock(struct scoreboard_shm *shm)
{
	int	 e;

	e = pthread_mutex_lock(&shm->lock);
	if (e == EOWNERDEAD)
		e = pthread_mutex_consistent(&shm->lock);
	if (e != 0) {
		errno = e;
		return (-1);
	}
	return (0);
}

/*
 * A worker routed to entry, called by calling: count the associations
 * running for the entry, and for the entry and this calling AE title, and
 * take a slot if neither reaches its limit (0 = none).  *count is set to
 * the count that decided.  A process takes one slot at most.
 */
enum scoreboard_result
scoreboard_enter(struct scoreboard *sb, const char *entry, const char *calling,
    int max, int max_calling, int *count)
{
	struct scoreboard_shm	*shm = sb->shm;
	struct scoreboard_slot	*s;
	enum scoreboard_result	 r = SCOREBOARD_ADMITTED;
	unsigned int		 i, used;
	long			 free_slot = -1;
	int			 n = 0, nc = 0;

	*count = 0;
	if (sb->mine != -1)
		return (SCOREBOARD_ADMITTED);
	if (scoreboard_lock(shm) == -1)
		return (SCOREBOARD_ERROR);
	used = __atomic_load_n(&shm->used, __ATOMIC_ACQUIRE);
	for (i = 0; i < used; i++) {
		s = &shm->slot[i];
		if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) == 0) {
			if (free_slot == -1)
				free_slot = i;
			continue;
		}
		if (strcmp(s->entry, entry) != 0)
			continue;
		n++;
		if (strcmp(s->calling, calling) == 0)
			nc++;
	}
	if (max > 0 && n >= max) {
		r = SCOREBOARD_OVER_ENTRY;
		*count = n;
	} else if (max_calling > 0 && nc >= max_calling) {
		r = SCOREBOARD_OVER_CALLING;
		*count = nc;
	} else if (free_slot == -1 && used == shm->nslots) {
		errno = ENOSPC;
		r = SCOREBOARD_ERROR;
	} else {
		if (free_slot == -1) {
			free_slot = used;
			__atomic_store_n(&shm->used, used + 1,
			    __ATOMIC_RELEASE);
		}
		s = &shm->slot[free_slot];
		strlcpy(s->entry, entry, sizeof(s->entry));
		strlcpy(s->calling, calling, sizeof(s->calling));
		__atomic_store_n(&s->pid, getpid(), __ATOMIC_RELEASE);
		sb->mine = free_slot;
		*count = n + 1;
	}
	pthread_mutex_unlock(&shm->lock);
	return (r);
}

/* A worker gives its slot back before the master reaps it. */
void
scoreboard_leave(struct scoreboard *sb)
{
	pid_t	 self = getpid();

	if (sb == NULL || sb->mine == -1)
		return;
	(void)__atomic_compare_exchange_n(&sb->shm->slot[sb->mine].pid,
	    &self, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	sb->mine = -1;
}

/*
 * The master reaped pid: free its slot, if it had one.  Returns 1 if a
 * slot was freed, else 0.
 */
int
scoreboard_reap(struct scoreboard *sb, pid_t pid)
{
	unsigned int	 i, used;
	pid_t		 expect;

	if (sb == NULL || pid <= 0)
		return (0);
	used = __atomic_load_n(&sb->shm->used, __ATOMIC_ACQUIRE);
	for (i = 0; i < used; i++) {
		expect = pid;
		if (__atomic_compare_exchange_n(&sb->shm->slot[i].pid,
		    &expect, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return (1);
	}
	return (0);
}

/*
 * Count the slots held for entry (and calling, unless NULL), without the
 * lock: for status lines and tests.
 */
int
scoreboard_count(struct scoreboard *sb, const char *entry,
    const char *calling)
{
	struct scoreboard_slot	*s;
	unsigned int		 i, used;
	int			 n = 0;

	if (sb == NULL)
		return (0);
	used = __atomic_load_n(&sb->shm->used, __ATOMIC_ACQUIRE);
	for (i = 0; i < used; i++) {
		s = &sb->shm->slot[i];
		if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) != 0 &&
		    strcmp(s->entry, entry) == 0 &&
		    (calling == NULL || strcmp(s->calling, calling) == 0))
			n++;
	}
	return (n);
}

/*
 * The master, before it forks a worker: take a free state word and mark
 * it starting.  Returns its index, or -1 if every word is taken.
 */
long
scoreboard_start(struct scoreboard *sb)
{
	unsigned int	 i, n, k;

	if (sb == NULL || (n = sb->shm->nslots) == 0)
		return (-1);
	for (i = 0; i < n; i++) {
		k = (sb->state_next + i) % n;
		if (__atomic_load_n(&sb->state[k], __ATOMIC_ACQUIRE) !=
		    SCOREBOARD_FREE)
			continue;
		__atomic_store_n(&sb->state[k], SCOREBOARD_STARTING,
		    __ATOMIC_RELEASE);
		sb->state_next = (k + 1) % n;
		return ((long)k);
	}
	return (-1);
}

/* The worker, right after the fork: the state word it is to mark. */
void
scoreboard_bind(struct scoreboard *sb, long k)
{
	if (sb != NULL)
		sb->state_mine = k >= 0 && k < (long)sb->shm->nslots ? k : -1;
}

/*
 * The worker sent its A-ASSOCIATE-AC: it no longer counts as starting.
 * A no-op without a scoreboard or a word (-i, -d, tests).
 */
void
scoreboard_established(struct scoreboard *sb)
{
	uint32_t	 expect = SCOREBOARD_STARTING;

	if (sb == NULL || sb->state_mine == -1)
		return;
	(void)__atomic_compare_exchange_n(&sb->state[sb->state_mine], &expect,
	    SCOREBOARD_ESTABLISHED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/*
 * The master: whether the worker holding word k has not sent its AC yet.
 * A worker without a word (k = -1) counts as starting.
 */
int
scoreboard_starting(const struct scoreboard *sb, long k)
{
	if (sb == NULL || k < 0 || k >= (long)sb->shm->nslots)
		return (1);
	return (__atomic_load_n(&sb->state[k], __ATOMIC_ACQUIRE) ==
	    SCOREBOARD_STARTING);
}

/* The master reaped the worker holding word k: free the word. */
void
scoreboard_end(struct scoreboard *sb, long k)
{
	if (sb == NULL || k < 0 || k >= (long)sb->shm->nslots)
		return;
	__atomic_store_n(&sb->state[k], SCOREBOARD_FREE, __ATOMIC_RELEASE);
}
