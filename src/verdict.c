/*
 * Verdicts (see verdict.h).
 */
#include <linux/netfilter.h>

#include "nfqd/nfqd.h"
#include "nfqd/verdict.h"

const char *
nfqd_verdict_name(enum nfqd_verdict v)
{
	static const char *const names[] = {
		[NFQD_VERDICT_ACCEPT] = "accept",
		[NFQD_VERDICT_DROP] = "drop",
		[NFQD_VERDICT_REPEAT] = "repeat",
		[NFQD_VERDICT_QUEUE] = "queue",
		[NFQD_VERDICT_CONTINUE] = "continue",
	};

	if ((unsigned)v >= NFQD_ARRAY_SIZE(names))
		return "?";
	return names[v];
}

uint32_t
nfqd_verdict_nf(enum nfqd_verdict v, uint16_t queue)
{
	switch (v) {
	case NFQD_VERDICT_DROP:
		return NF_DROP;
	case NFQD_VERDICT_REPEAT:
		return NF_REPEAT;
	case NFQD_VERDICT_QUEUE:
		return NF_QUEUE_NR(queue) | NF_VERDICT_FLAG_QUEUE_BYPASS;
	default:
		return NF_ACCEPT;
	}
}
