#ifndef NFQD_WORKER_H
#define NFQD_WORKER_H

#include <stdint.h>
#include <sys/types.h>

struct nfqd_config;
struct nfqd_slot;

/* What the master hands a worker at fork(). */
struct nfqd_worker_args {
	const struct nfqd_config *cf;
	unsigned		  slot;		/* index in the counters region */
	uint16_t		  queue;
	int			  cpu;		/* -1: do not pin */
	int			  fd;		/* the queue's socket */
	struct nfqd_slot	 *shm_slot;
	pid_t			  master;
};

/* The worker process: never returns. */
void	nfqd_worker_main(const struct nfqd_worker_args *a)
	    __attribute__((noreturn));

#endif
