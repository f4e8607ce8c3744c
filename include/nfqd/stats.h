#ifndef NFQD_STATS_H
#define NFQD_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nfqd/procfs.h"
#include "nfqd/shm.h"

struct nfqd_buf;

/* A snapshot of the counters region and the kernel's queue counters. */
struct nfqd_stats_worker {
	unsigned		id;
	uint32_t		queue;
	int			cpu;
	pid_t			pid;
	uint32_t		state;
	uint32_t		generation;	/* configuration it runs */
	uint64_t		restarts;
	uint64_t		full_seen;	/* the slot's ctl.full_seen */
	uint64_t		kdropped;	/* ... ctl.queue_dropped */
	uint64_t		kuser_dropped;	/* ... ctl.user_dropped */
	struct nfqd_slot_stats	st;
};

struct nfqd_stats_rule {
	const char	*name;
	uint64_t	 hits;
	uint64_t	 bytes;
};

struct nfqd_stats {
	pid_t			 master_pid;
	uint32_t		 generation;
	uint64_t		 now;		/* epoch seconds */
	uint64_t		 uptime_s;
	struct nfqd_slot_stats	 total;		/* sum over workers */
	uint64_t		 restarts;	/* sum over workers */
	uint64_t		 dns_entries;	/* dns_learn's table now */
	uint64_t		 dns_capacity;	/* ... its size, 0: off */
	uint64_t		 quic_claim_capacity; /* QUIC IDs' table */
	uint64_t		 quic_claims_live; /* ... its live claims, as
						   the master last counted
						   them, at most its size */
	size_t			 nworkers;
	struct nfqd_stats_worker workers[NFQD_MAX_WORKERS];
	size_t			 nkernel;	/* nfqd's queues found in /proc */
	int			 kernel_errno;	/* why /proc could not be read */
	struct nfqd_kqueue	 kernel[NFQD_MAX_WORKERS];
					/* queue_dropped, user_dropped: the
					   master's 64-bit totals from the
					   queue's worker slot, not the
					   file's 32-bit counters */
	uint64_t		 kernel_full_seen[NFQD_MAX_WORKERS];
					/* kernel[i]'s, from its worker slot */
	struct nfqd_stats_rule	*rules;		/* filled by the caller */
	uint32_t		 nrules;
};

/*
 * Take a snapshot from the region and from procpath (the kernel's file);
 * kernel[] holds the lines for the queues of the configured workers.
 */
void	nfqd_stats_collect(struct nfqd_stats *s, const struct nfqd_shm *shm,
	    const char *procpath);
/* The same from the kernel's file kept open (the master's). */
void	nfqd_stats_collect_from(struct nfqd_stats *s,
	    const struct nfqd_shm *shm, struct nfqd_procfs *pf);

void	nfqd_stats_json(const struct nfqd_stats *s, struct nfqd_buf *b);

/*
 * Replace path with b's contents as the master writes its statistics
 * files (stats.file, stats.prometheus): its directory made and checked
 * (nfqd_dir_prepare_for()), then nfqd_write_file_atomic() with mode 0644.
 * 0: written (err "" or a note worth a warning); -1: err says why.
 */
int	nfqd_stats_write_file(const char *path, const struct nfqd_buf *b,
	    char *err, size_t errlen);

/* The human-readable table, one call of emit per line. */
void	nfqd_stats_table(const struct nfqd_stats *s,
	    void (*emit)(void *arg, const char *line), void *arg);

const char *nfqd_slot_state_name(uint32_t state);

#endif
