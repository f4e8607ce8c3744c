#ifndef NFQD_VERDICT_H
#define NFQD_VERDICT_H

/*
 * Verdicts: what a setting (default_verdict, orphan_verdict, ...) or a rule
 * says to do with a packet, and the one mapping to what the kernel is told.
 */

#include <stdint.h>

enum nfqd_verdict {
	NFQD_VERDICT_ACCEPT,
	NFQD_VERDICT_DROP,
	NFQD_VERDICT_REPEAT,	/* the hook again (rules: with a mark) */
	NFQD_VERDICT_QUEUE,	/* to another queue, with bypass (rules) */
	NFQD_VERDICT_CONTINUE,	/* no verdict: the next rules decide (rules) */
};

/* "accept", "drop", ... */
const char *nfqd_verdict_name(enum nfqd_verdict v);

/*
 * The kernel's verdict: NF_ACCEPT, NF_DROP, NF_REPEAT, or NF_QUEUE to queue
 * with bypass (if nobody serves it, the packet is accepted).  Continue has
 * none: NF_ACCEPT.
 */
uint32_t nfqd_verdict_nf(enum nfqd_verdict v, uint16_t queue);

#endif
