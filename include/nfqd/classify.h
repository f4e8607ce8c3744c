#ifndef NFQD_CLASSIFY_H
#define NFQD_CLASSIFY_H

/*
 * The compiled classifier: finds the first rule (from a given index on)
 * whose matchers, rate limit aside, all hold for a packet, at a cost that
 * does not grow with the number of rules for the common shapes.
 *
 * Tuple space search: each rule is filed under the fields it pins down
 * exactly (its "tuple": family, source and destination prefix lengths,
 * protocol, source and destination port), keyed by its values.  A lookup
 * probes one hash table per tuple with the packet's masked fields, and
 * verifies the candidates found with the full matcher.  Tuples are visited
 * in order of their first rule, so the search stops once no tuple can hold
 * an earlier match.  Fields a rule cannot be filed under (negations, port
 * ranges wider than 16, long lists) are left to the verification.
 */

#include <stdbool.h>
#include <stdint.h>

#include "nfqd/pkt.h"

struct nfqd_ruleset;
struct nfqd_pkt;
struct nfqd_qmsg;
struct nfqd_iftab;
struct nfqd_classifier;

/*
 * Compile rs (rs->cls is set).  -1 with errno ENOMEM when out of memory,
 * ECANCELED when the load's yield (yield.h) said to give up.
 */
int	nfqd_classify_build(struct nfqd_ruleset *rs);
void	nfqd_classify_free(struct nfqd_classifier *cls);

/*
 * The index of the first rule at or after start that matches the packet
 * (rate limits aside), or -1.  Reads only: workers share one classifier.
 */
int	nfqd_classify_next(const struct nfqd_ruleset *rs,
	    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
	    const struct nfqd_iftab *ift, uint32_t start);

/* The same by walking every rule in order: the reference. */
int	nfqd_linear_next(const struct nfqd_ruleset *rs,
	    const struct nfqd_pkt *pi, const struct nfqd_qmsg *m,
	    const struct nfqd_iftab *ift, uint32_t start);

/*
 * The rules, in order, that read any of the packet fields in a set
 * (NFQD_PKT_K_* bits): for a packet whose parse left those fields unknown,
 * the rules whose outcome they could change.  From the compiled per-field
 * lists, or rule by rule (by_rule, or when rs has no classifier).
 */
struct nfqd_readers {
	const struct nfqd_ruleset *rs;
	uint8_t			 fields;
	bool			 merged;	/* from the per-field lists */
	uint32_t		 next;		/* rule by rule: next to look at */
	unsigned		 n;
	const uint32_t		*p[NFQD_PKT_K_NBITS];
	const uint32_t		*end[NFQD_PKT_K_NBITS];
};

void	nfqd_readers_init(struct nfqd_readers *it,
	    const struct nfqd_ruleset *rs, uint8_t fields, uint32_t start,
	    bool by_rule);
/* The next such rule below limit, or -1 (then nothing is consumed). */
int	nfqd_readers_next(struct nfqd_readers *it, uint32_t limit);

/* Tuples in the classifier (for tests and the benchmark). */
unsigned nfqd_classify_tuples(const struct nfqd_classifier *cls);

#endif
