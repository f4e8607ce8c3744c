#ifndef NFQD_ISOLATE_H
#define NFQD_ISOLATE_H

/*
 * Run a function in a throw-away child process, with a time limit, and
 * bring back a small answer: for a library that may crash, exit or hang on
 * bad input (libconfig reading a configuration), which the master must
 * survive.  The child is reaped here, by its pid: a waitpid(-1) loop
 * elsewhere never sees it.
 */

#include <stddef.h>

/* Fill out[0..len) with the answer; runs in the child. */
typedef void (*nfqd_isolated_fn)(void *arg, void *out, size_t len);

/*
 * Run fn(arg, out, len) in a child and copy its answer into out.  0: the
 * child answered in full and exited 0.  -1: it did not; why says what
 * happened, to follow "the parser ..." ("crashed (signal 11: Segmentation
 * fault)", "did not finish in 10 s", "exited with status 2").
 */
int	nfqd_isolate(nfqd_isolated_fn fn, void *arg, void *out, size_t len,
	    unsigned timeout_ms, char *why, size_t wlen);

#endif
