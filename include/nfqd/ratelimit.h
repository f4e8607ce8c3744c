#ifndef NFQD_RATELIMIT_H
#define NFQD_RATELIMIT_H

/*
 * Rate limits of rules (rate = "N/s", burst, per): a packet over the limit
 * matches the rule, one under it does not (and uses up its share).
 *
 * Each bucket is one 64-bit value, the generic cell rate algorithm's
 * "theoretical arrival time" (TAT, in CLOCK_MONOTONIC ns): a packet at
 * time now conforms when max(TAT, now) + cost - now <= burst, and then
 * moves TAT on by cost.  This is a token bucket of `burst` packets refilled
 * at the rate, kept in one word:
 *  - per = "rule": one bucket per rule, in shared memory, updated by every
 *    worker with compare-and-swap: the limit holds for the whole daemon;
 *  - per = "src", "dst", "flow": one bucket per key per worker, in a
 *    fixed-size table (rate_table_size entries), so the memory is bounded;
 *    when a key's slot is needed for a new key, an idle bucket (one that
 *    would be full again) is taken first, else the oldest.
 */

#include <stdbool.h>
#include <stdint.h>

struct nfqd_rule;
struct nfqd_pkt;
struct nfqd_ratetab;

/* A shared per-rule bucket, alone on its cache line. */
struct nfqd_rate_cell {
	uint64_t	tat;
	uint64_t	pad[7];
};

struct nfqd_ratetab *nfqd_ratetab_new(uint32_t entries);
void	nfqd_ratetab_free(struct nfqd_ratetab *t);

/* Buckets reused for a new key while not idle (the table was too small). */
uint64_t nfqd_ratetab_evictions(const struct nfqd_ratetab *t);

/*
 * True when the packet is over r's limit.  cell: r's shared bucket
 * (per = "rule"); t: the worker's keyed table (otherwise).
 */
bool	nfqd_rate_over(const struct nfqd_rule *r, uint32_t ridx,
	    struct nfqd_rate_cell *cell, struct nfqd_ratetab *t,
	    const struct nfqd_pkt *pi, uint64_t now);

/* One GCRA step on a private bucket (exported for tests). */
bool	nfqd_gcra_over(uint64_t *tat, uint64_t cost, uint64_t burst,
	    uint64_t now);

#endif
