/*
 * nfqd: an NFQUEUE verdict daemon.  Limits and constants shared by every
 * module.
 */
#ifndef NFQD_NFQD_H
#define NFQD_NFQD_H

#define NFQD_VERSION		"0.1.0"
#define NFQD_DEFAULT_CONFIG	"/etc/nfqd/nfqd.conf"

/*
 * Exit status of a worker that hit an error a restart cannot fix (it could
 * not drop privileges, say).  The master does not respawn it: it logs why
 * and shuts the daemon down, so the queues are unbound rather than left
 * bound with nobody reading them.
 */
#define NFQD_EXIT_FATAL		2

/* Upper bound on workers, hence on queues served by one daemon. */
#define NFQD_MAX_WORKERS	1024

#define NFQD_CACHELINE		64

#define NFQD_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif
