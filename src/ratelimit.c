/*
 * Rate limits: GCRA buckets, shared per rule or per key in a bounded table
 * (see ratelimit.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/pkt.h"
#include "nfqd/ratelimit.h"
#include "nfqd/rules.h"

#define PROBES	8

struct ent {
	uint64_t	tat;		/* 0: empty */
	uint32_t	rule;
	uint8_t		klen;
	uint8_t		key[39];	/* family, addresses, protocol, ports */
	uint64_t	pad;
};

_Static_assert(sizeof(struct ent) == 64, "one entry per cache line");

struct nfqd_ratetab {
	struct ent	*ents;
	uint32_t	 mask;
	uint64_t	 evictions;
};

struct nfqd_ratetab *
nfqd_ratetab_new(uint32_t entries)
{
	struct nfqd_ratetab	*t;
	uint32_t		 n;

	for (n = PROBES; n < entries && n < (1u << 30); n *= 2)
		;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ents = calloc(n, sizeof(*t->ents))) == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	return t;
}

void
nfqd_ratetab_free(struct nfqd_ratetab *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t);
}

uint64_t
nfqd_ratetab_evictions(const struct nfqd_ratetab *t)
{
	return t != NULL ? t->evictions : 0;
}

bool
nfqd_gcra_over(uint64_t *tat, uint64_t cost, uint64_t burst, uint64_t now)
{
	uint64_t	t = *tat > now ? *tat : now;

	if (t - now + cost > burst)
		return true;
	*tat = t + cost;
	return false;
}

static bool
shared_over(struct nfqd_rate_cell *c, uint64_t cost, uint64_t burst,
    uint64_t now)
{
	uint64_t	old, t;

	old = __atomic_load_n(&c->tat, __ATOMIC_RELAXED);
	do {
		t = old > now ? old : now;
		if (t - now + cost > burst)
			return true;
	} while (!__atomic_compare_exchange_n(&c->tat, &old, t + cost, true,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return false;
}

static unsigned
make_key(const struct nfqd_rule *r, const struct nfqd_pkt *pi,
    uint8_t *k)
{
	unsigned	alen = pi->family == AF_INET ? 4 : 16, n = 0;

	k[n++] = pi->family;
	switch (r->rate_per) {
	case NFQD_PER_SRC:
		memcpy(k + n, pi->saddr, alen);
		n += alen;
		break;
	case NFQD_PER_DST:
		memcpy(k + n, pi->daddr, alen);
		n += alen;
		break;
	default:
		memcpy(k + n, pi->saddr, alen);
		n += alen;
		memcpy(k + n, pi->daddr, alen);
		n += alen;
		k[n++] = pi->proto;
		memcpy(k + n, &pi->sport, 2);
		memcpy(k + n + 2, &pi->dport, 2);
		n += 4;
		break;
	}
	return n;
}

static uint64_t
hash(uint32_t rule, const uint8_t *k, unsigned n)
{
	uint64_t	h = 0xcbf29ce484222325ull ^ rule;

	while (n-- > 0) {
		h ^= *k++;
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

bool
nfqd_rate_over(const struct nfqd_rule *r, uint32_t ridx,
    struct nfqd_rate_cell *cell, struct nfqd_ratetab *t,
    const struct nfqd_pkt *pi, uint64_t now)
{
	struct ent	*e, *empty = NULL, *victim = NULL;
	uint8_t		 k[39];
	unsigned	 klen, i;
	uint32_t	 h;

	if (r->rate_per == NFQD_PER_RULE)
		return shared_over(cell, r->rate_cost, r->rate_burst, now);

	klen = make_key(r, pi, k);
	h = (uint32_t)hash(ridx, k, klen);
	for (i = 0; i < PROBES; i++) {
		e = &t->ents[(h + i) & t->mask];
		if (e->tat == 0) {
			if (empty == NULL)
				empty = e;
			continue;
		}
		if (e->rule == ridx && e->klen == klen &&
		    memcmp(e->key, k, klen) == 0)
			return nfqd_gcra_over(&e->tat, r->rate_cost,
			    r->rate_burst, now);
		/* A bucket whose TAT has passed is full again: as good as new. */
		if (victim == NULL || e->tat < victim->tat)
			victim = e;
	}
	if (empty == NULL) {
		if (victim->tat > now)
			t->evictions++;
		empty = victim;
	}
	empty->rule = ridx;
	empty->klen = (uint8_t)klen;
	memcpy(empty->key, k, klen);
	empty->tat = 0;
	/* 0 means empty: a fresh bucket starts at now (full). */
	if (nfqd_gcra_over(&empty->tat, r->rate_cost, r->rate_burst, now)) {
		empty->tat = now;	/* burst < cost: always over */
		return true;
	}
	return false;
}
