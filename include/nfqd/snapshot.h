#ifndef NFQD_SNAPSHOT_H
#define NFQD_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "nfqd/shm.h"
#include "nfqd/stats.h"

/*
 * The counters regions read from outside the daemon (nfqctl): the same
 * struct nfqd_stats the master fills for SIGUSR1 and stats.file, taken as
 * one snapshot (shm.h's seqcount) from the region and its ".rules" file.
 */
struct nfqd_snapshot {
	struct nfqd_shm		 shm;
	struct nfqd_rshm	 rshm;		/* hdr NULL: no rules file */
	struct nfqd_stats	*stats;		/* the last snapshot taken */
	char			*names;		/* the rules' names, copied
						   printable from the region
						   (any worker can write it) */
	uint32_t		 rules_elsewhere; /* workers whose rule counts
						   are in an older region */
};

/*
 * Map path and path + ".rules" read-only.  -1 with a message in err when
 * the region is missing, of another version or layout, or was left by an
 * nfqd that is no longer running.
 */
int	nfqd_snapshot_open(struct nfqd_snapshot *sn, const char *path,
	    char *err, size_t errlen);
/*
 * Fill sn->stats from the regions and procpath (the kernel's counters);
 * -1 with a message when no consistent snapshot could be taken (the master
 * stayed in a rewrite).
 */
int	nfqd_snapshot_take(struct nfqd_snapshot *sn, const char *procpath,
	    char *err, size_t errlen);
/*
 * Open and take, again every 10 ms while workers still count their rules
 * in an older region, for up to wait_ms: a reload that changed the rules
 * moves each worker into the new region as the master replaces it
 * (milliseconds), and sums taken meanwhile leave those workers out, which
 * a scraper reads as counters that fell.  Errors as the two; 0 with
 * sn->rules_elsewhere still set when the wait ran out.
 */
int	nfqd_snapshot_settled(struct nfqd_snapshot *sn, const char *path,
	    const char *procpath, unsigned wait_ms, char *err, size_t errlen);
void	nfqd_snapshot_close(struct nfqd_snapshot *sn);

#endif
