#ifndef NFQD_ISOLATE_H
#define NFQD_ISOLATE_H

/*
 * Run a function in a throw-away child process, with a time limit, and
 * bring back a small answer: for a library that may crash, exit or hang on
 * bad input (libconfig reading a configuration), which the master must
 * survive.  The child is reaped here, by its pid.  While a load yields
 * (yield.h: the master, in a reload), the wait calls the yield at least
 * every 10 ms, whose work (the master's waitpid(-1) loop) may reap the
 * child first: it hands its status to nfqd_isolate_reaped().
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Fill out[0..len) with the answer; runs in the child. */
typedef void (*nfqd_isolated_fn)(void *arg, void *out, size_t len);

/*
 * Run fn(arg, out, len) in a child and copy its answer into out.  0: the
 * child answered in full and exited 0.  -1: it did not; why says what
 * happened, to follow "the parser ..." ("crashed (signal 11: Segmentation
 * fault)", "did not finish in 10 s", "exited with status 2", "was
 * stopped (nfqd is stopping)": the yield said -1, and the child was
 * killed).
 */
int	nfqd_isolate(nfqd_isolated_fn fn, void *arg, void *out, size_t len,
	    unsigned timeout_ms, char *why, size_t wlen);

/*
 * A child reaped elsewhere (by the yield's work): true when it is the one
 * nfqd_isolate() waits for, which takes its status from here.
 */
bool	nfqd_isolate_reaped(pid_t pid, int status);

/* In a process forked from the yield: the answer's pipe closed. */
void	nfqd_isolate_forked(void);

#endif
