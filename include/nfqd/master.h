#ifndef NFQD_MASTER_H
#define NFQD_MASTER_H

#include <stdbool.h>

struct nfqd_config;
struct nfqd_overrides;

/*
 * Bind the queues, fork the workers and supervise them until SIGTERM or
 * SIGINT.  cf is the validated configuration; its rules become the
 * master's (cf->rules is NULL on return).  Returns the exit status.
 */
int	nfqd_master_run(struct nfqd_config *cf,
	    const struct nfqd_overrides *ov, bool daemonize);

#endif
