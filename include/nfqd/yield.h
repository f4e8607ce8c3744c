/*
 * A call made now and then by a long load (a reload in the master: the
 * name lists, the rules, the classifier, the wait on the parser child), so
 * that the process that loads can see to its other work meanwhile.
 */
#ifndef NFQD_YIELD_H
#define NFQD_YIELD_H

#include <stdbool.h>

/*
 * fn returns 0 to go on, -1 to give up: the load then stops, frees what
 * it built and fails (the caller keeps what it had).  fn decides itself
 * how often it does its work (it is called far more often than that,
 * every few tens of microseconds at most); NULL: no calls (the default,
 * and what nfqd -t and a start have).  One per process; not for threads.
 */
void	nfqd_load_set_yield(int (*fn)(void *), void *arg);

/* fn's answer, or 0 when none is set. */
int	nfqd_load_yield(void);

/* Whether a fn is set: something waits on the load. */
bool	nfqd_load_yielding(void);

#endif
