#ifndef NFQD_METRICS_H
#define NFQD_METRICS_H

#include <stdint.h>

struct nfqd_buf;
struct nfqd_stats;

/*
 * The Prometheus text exposition (version 0.0.4) of a statistics
 * snapshot: nfqd_ prefix, _total on counters, bytes and seconds, labels
 * worker, queue, verdict and rule.  Per-rule series for the first
 * max_rules rules in rule order (cardinality stays bounded whatever the
 * number of rules); the rest are summed under rule="_other".
 */
#define NFQD_METRICS_MAX_RULES	1000

void	nfqd_metrics_write(const struct nfqd_stats *s, uint32_t max_rules,
	    struct nfqd_buf *b);

/* Rows of the per-worker table, for the unit test. */
size_t	nfqd_metrics_slot_rows(void);

#endif
