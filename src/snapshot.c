/*
 * A consistent snapshot of the counters regions for a reader outside the
 * daemon (nfqctl), through the code the master uses for its statistics.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nfqd/snapshot.h"
#include "nfqd/util.h"

int
nfqd_snapshot_open(struct nfqd_snapshot *sn, const char *path, char *err,
    size_t errlen)
{
	struct stat	sb;
	char		rpath[sizeof(sn->shm.path) + 8];
	pid_t		pid;

	memset(sn, 0, sizeof(*sn));
	if (nfqd_shm_open_ro(&sn->shm, path, err, errlen) == -1)
		return -1;
	/*
	 * A region whose master was killed stays behind with its last
	 * counts; they are not the daemon's.  EPERM: it runs as another
	 * user, which is fine.
	 */
	pid = (pid_t)NFQD_LOAD(&sn->shm.hdr->master_pid);
	if (pid > 0 && kill(pid, 0) == -1 && errno == ESRCH) {
		snprintf(err, errlen, "%s: left by nfqd %d, which is not "
		    "running", path, (int)pid);
		goto fail;
	}
	if ((sn->stats = calloc(1, sizeof(*sn->stats))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* No rules file: a daemon without rules counts none. */
	snprintf(rpath, sizeof(rpath), "%s.rules", path);
	if (lstat(rpath, &sb) == -1 && errno == ENOENT)
		return 0;
	if (nfqd_rshm_open_ro(&sn->rshm, rpath, err, errlen) == -1)
		goto fail;
	if (sn->rshm.hdr != NULL && ((sn->stats->rules = calloc(
	    sn->rshm.h.nrules + 1, sizeof(*sn->stats->rules))) == NULL ||
	    (sn->names = calloc(sn->rshm.h.nrules + 1, NFQD_RSHM_NAME)) ==
	    NULL)) {
		snprintf(err, errlen, "%s: %s", rpath, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	nfqd_snapshot_close(sn);
	return -1;
}

/*
 * A rule's name as the region has it, where any worker can write: at
 * most NFQD_RSHM_NAME - 1 bytes, whether or not they end in a NUL, and
 * control characters and bytes past ASCII (a terminal's escapes, text
 * that is not UTF-8 in the metrics) shown as '?', as is a '_' that
 * begins it (nfqd refuses such names, so that the metrics' rule="_other"
 * is never a rule's: two such series break node_exporter's scrape).
 */
static const char *
rule_name(const struct nfqd_snapshot *sn, uint32_t rule)
{
	const volatile char	*from = nfqd_rshm_name(&sn->rshm, rule);
	char			*to = sn->names + (size_t)rule * NFQD_RSHM_NAME;
	unsigned char		 c;
	size_t			 i;

	for (i = 0; i < NFQD_RSHM_NAME - 1 && (c = (unsigned char)from[i]) !=
	    '\0'; i++)
		to[i] = c < 0x20 || c >= 0x7f || (i == 0 && c == '_') ? '?' :
		    (char)c;
	to[i] = '\0';
	return to;
}

/* The rules' counts: sums over the slots that count in this region. */
static void
snapshot_rules(struct nfqd_snapshot *sn)
{
	const struct nfqd_rshm_hdr	*rh = &sn->rshm.h;
	const struct nfqd_rule_ctr	*ctr;
	struct nfqd_stats		*s = sn->stats;
	uint32_t			 i, j, n = rh->nrules, gen;

	sn->rules_elsewhere = 0;
	for (j = 0; j < n; j++) {
		s->rules[j].name = rule_name(sn, j);
		s->rules[j].hits = s->rules[j].bytes = 0;
	}
	s->nrules = n;
	for (i = 0; i < rh->nslots && i < nfqd_shm_nslots(&sn->shm); i++) {
		gen = NFQD_LOAD(&sn->shm.ctl[i].rules_gen);
		if (gen != rh->generation) {
			/* 0: the slot never ran a worker. */
			if (gen != 0 && i < s->nworkers)
				sn->rules_elsewhere++;
			continue;
		}
		ctr = nfqd_rshm_slot(&sn->rshm, i);
		for (j = 0; j < n; j++) {
			s->rules[j].hits += NFQD_LOAD(&ctr[j].hits);
			s->rules[j].bytes += NFQD_LOAD(&ctr[j].bytes);
		}
	}
}

int
nfqd_snapshot_take(struct nfqd_snapshot *sn, const char *procpath,
    char *err, size_t errlen)
{
	uint32_t	seq;
	int		tries;

	for (tries = 0; tries < 100; tries++) {
		if (!nfqd_shm_read_begin(sn->shm.hdr, &seq))
			break;
		nfqd_stats_collect(sn->stats, &sn->shm, procpath);
		if (sn->rshm.hdr != NULL)
			snapshot_rules(sn);
		if (!nfqd_shm_read_retry(sn->shm.hdr, seq))
			return 0;
	}
	snprintf(err, errlen, "%s: the daemon is rewriting the counters "
	    "(seq %u) and did not finish; try again", sn->shm.path,
	    NFQD_LOAD(&sn->shm.hdr->seq));
	return -1;
}

int
nfqd_snapshot_settled(struct nfqd_snapshot *sn, const char *path,
    const char *procpath, unsigned wait_ms, char *err, size_t errlen)
{
	struct timespec	ts = { 0, 10000000 };
	uint64_t	end = nfqd_now_ns() + (uint64_t)wait_ms * 1000000ull;

	for (;;) {
		/* Opened again: the reload may have put a new .rules file. */
		if (nfqd_snapshot_open(sn, path, err, errlen) == -1 ||
		    nfqd_snapshot_take(sn, procpath, err, errlen) == -1)
			return -1;
		if (sn->rules_elsewhere == 0 || nfqd_now_ns() >= end)
			return 0;
		nfqd_snapshot_close(sn);
		nanosleep(&ts, NULL);
	}
}

void
nfqd_snapshot_close(struct nfqd_snapshot *sn)
{
	nfqd_shm_close(&sn->shm);
	nfqd_rshm_close(&sn->rshm);
	if (sn->stats != NULL)
		free(sn->stats->rules);
	free(sn->stats);
	free(sn->names);
	sn->names = NULL;
	sn->stats = NULL;
}
