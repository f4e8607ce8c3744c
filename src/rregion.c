/*
 * Rule counter regions, on the master's side (the file itself is shm.c's).
 *
 * Per-rule hits and bytes are counted in a region made for one set of
 * rules.  A reload that changes the rules makes a new region; each slot
 * moves into it when it next starts a worker, carrying the counts of rules
 * that kept their name and definition.  An old region lives while a slot
 * still counts in it, and statistics add it in by rule name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/ruleset.h"
#include "nfqd/rules.h"
#include "nfqd/shm.h"
#include "nfqd/stats.h"

struct nfqd_rregion *
nfqd_rregion_new(struct nfqd_master *m, struct nfqd_ruleset *rs,
    uint32_t nslots)
{
	struct nfqd_rregion	*rr;
	char			 err[PATH_MAX + 256];

	if ((rr = calloc(1, sizeof(*rr))) == NULL) {
		log_err("rule counters region");
		return NULL;
	}
	if (nfqd_rshm_create(&rr->map, m->rr_path, rs, nslots, ++m->rr_gen,
	    err, sizeof(err)) == -1) {
		log_errx("creating the rule counters region: %s", err);
		free(rr);
		return NULL;
	}
	if (err[0] != '\0')
		log_warnx("rule counters region: %s", err);
	rr->rs = rs;
	return rr;
}

static void
rregion_free(struct nfqd_rregion *rr)
{
	nfqd_rshm_close(&rr->map);
	nfqd_rules_free(rr->rs);
	free(rr);
}

void
nfqd_rregion_install(struct nfqd_master *m, struct nfqd_rregion *rr)
{
	m->rr->next = m->rr_old;
	m->rr_old = m->rr;
	m->rr = rr;
	nfqd_rregion_gc(m);
}

void
nfqd_rregion_gc(struct nfqd_master *m)
{
	struct nfqd_rregion	**pp = &m->rr_old, *rr;

	while ((rr = *pp) != NULL) {
		if (rr->refs == 0) {
			*pp = rr->next;
			rregion_free(rr);
		} else {
			pp = &rr->next;
		}
	}
}

void
nfqd_rregion_unref(struct nfqd_mslot *s)
{
	if (s->rr != NULL) {
		s->rr->refs--;
		s->rr = NULL;
	}
}

/*
 * Rules that kept their name and definition keep their counts; changed
 * and new rules start at zero.  The slot's worker has exited, so nobody
 * writes them.
 */
void
nfqd_rregion_carry(struct nfqd_master *m, unsigned i, bool same_queue)
{
	struct nfqd_mslot	*s = &m->slots[i];
	struct nfqd_rregion	*old = s->rr, *cur = m->rr;
	struct nfqd_rule_ctr	*from, *to;
	uint32_t		 j, n;
	int			 k;

	if (old == cur)
		return;
	to = nfqd_rshm_slot(&cur->map, i);
	n = cur->rs != NULL ? cur->rs->n : 0;
	if (old != NULL && same_queue && old->rs != NULL && cur->rs != NULL &&
	    i < old->map.h.nslots) {
		from = nfqd_rshm_slot(&old->map, i);
		for (j = 0; j < n; j++) {
			k = nfqd_rules_find(old->rs, cur->rs->rules[j].name);
			if (k >= 0 && old->rs->rules[k].defhash ==
			    cur->rs->rules[j].defhash)
				to[j] = from[k];
		}
	}
	nfqd_rregion_unref(s);
	s->rr = cur;
	cur->refs++;
}

/*
 * A slot whose worker still runs with an older set of rules counts in
 * that set's region: its counts are added to the current rules of the
 * same name and definition.
 */
void
nfqd_rregion_collect(struct nfqd_master *m)
{
	struct nfqd_stats		*st = m->stats;
	const struct nfqd_ruleset	*cur = m->rr->rs, *ors;
	const struct nfqd_rregion	*rr;
	const struct nfqd_rule_ctr	*ctr;
	struct nfqd_stats_rule		*r;
	uint32_t			 n = cur != NULL ? cur->n : 0, j;
	unsigned			 i;
	int				 k;

	st->nrules = 0;
	if (n > m->stats_rules_cap) {
		r = realloc(st->rules, n * sizeof(*r));
		if (r == NULL) {
			log_warnx("statistics: out of memory for %u rules", n);
			return;
		}
		st->rules = r;
		m->stats_rules_cap = n;
	}
	for (j = 0; j < n; j++) {
		st->rules[j].name = cur->rules[j].name;
		st->rules[j].hits = st->rules[j].bytes = 0;
	}
	st->nrules = n;
	for (i = 0; i < m->nslots; i++) {
		rr = m->slots[i].rr;
		if (rr == NULL || i >= rr->map.h.nslots || rr->rs == NULL)
			continue;
		ctr = nfqd_rshm_slot(&rr->map, i);
		ors = rr->rs;
		for (j = 0; j < n; j++) {
			k = rr == m->rr ? (int)j :
			    nfqd_rules_find(ors, cur->rules[j].name);
			if (k < 0 || ors->rules[k].defhash !=
			    cur->rules[j].defhash)
				continue;
			st->rules[j].hits += NFQD_LOAD(&ctr[k].hits);
			st->rules[j].bytes += NFQD_LOAD(&ctr[k].bytes);
		}
	}
}

void
nfqd_rregion_destroy_all(struct nfqd_master *m)
{
	struct nfqd_rregion	*rr;

	while ((rr = m->rr_old) != NULL) {
		m->rr_old = rr->next;
		rregion_free(rr);
	}
	if (m->rr != NULL) {
		nfqd_rshm_destroy(&m->rr->map);
		rregion_free(m->rr);
		m->rr = NULL;
	}
}
