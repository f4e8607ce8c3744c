#ifndef NFQD_WORKER_H
#define NFQD_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct nfqd_config;
struct nfqd_slot;
struct nfqd_rule_ctr;
struct nfqd_rate_cell;

/* What the master hands a worker at fork(). */
struct nfqd_worker_args {
	const struct nfqd_config *cf;
	unsigned		  slot;		/* index in the counters region */
	uint16_t		  queue;
	int			  cpu;		/* -1: do not pin */
	int			  fd;		/* the queue's socket */
	struct nfqd_slot	 *shm_slot;
	pid_t			  master;
	uint32_t		  msg_copy;	/* largest copy range the
						   socket ever had */
	bool			  has_prev;	/* its last reader died */
	uint32_t		  prev_id;	/* last id that one verdicted */
	uint32_t		  read_id;	/* last id that one read */
	uint32_t		  suspect;	/* id it died deciding, 0: none */
	uint32_t		  suspect_mark;	/* ... and its mark */
	struct nfqd_rule_ctr	 *rule_ctr;	/* this slot's rule counters */
	struct nfqd_rate_cell	 *rate_cells;	/* shared per-rule buckets */
};

/* The worker process: never returns. */
void	nfqd_worker_main(const struct nfqd_worker_args *a)
	    __attribute__((noreturn));

#endif
