/*
 * proctitle.h: what ps(1) shows for each process of the tree: its role,
 * and for a worker the peer, the AE titles and the PS3.8 state.  Nothing
 * happens until proctitle_init() was called from main(), so code linked
 * into tests never touches a process title.
 */
#ifndef DUL_PROCTITLE_H
#define DUL_PROCTITLE_H

#define PROCTITLE_MAX	256

void	 proctitle_init(int, char *[], char *[]);
void	 proctitle_set(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 proctitle_role(const char *);
void	 proctitle_assoc(const char *);
void	 proctitle_state(const char *);

#endif /* DUL_PROCTITLE_H */
