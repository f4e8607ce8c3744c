/*
 * Questions asked of a rule set as a whole (see ruleset.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/pkt.h"
#include "nfqd/ruleset.h"

int
nfqd_rules_find(const struct nfqd_ruleset *rs, const char *name)
{
	uint32_t	lo = 0, hi = rs->n, mid;
	int		r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(rs->rules[rs->byname[mid]].name, name);
		if (r == 0)
			return (int)rs->byname[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

bool
nfqd_rules_equal(const struct nfqd_ruleset *a, const struct nfqd_ruleset *b)
{
	uint32_t	i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->rules[i].defhash != b->rules[i].defhash ||
		    strcmp(a->rules[i].name, b->rules[i].name) != 0)
			return false;
	return true;
}

bool
nfqd_rules_same(const struct nfqd_ruleset *a, const struct nfqd_ruleset *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || a->n == 0) && (b == NULL || b->n == 0);
	return nfqd_rules_equal(a, b);
}

bool
nfqd_rules_sets_same(const struct nfqd_ruleset *a,
    const struct nfqd_ruleset *b)
{
	uint32_t			 na = a != NULL ? a->nsets : 0;
	uint32_t			 nb = b != NULL ? b->nsets : 0;
	const struct nfqd_nameset	*x, *y;
	uint32_t			 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		x = &a->sets[i];
		y = &b->sets[i];
		if (strcmp(x->name, y->name) != 0 ||
		    strcmp(x->path, y->path) != 0 || x->hash != y->hash)
			return false;
	}
	return true;
}

void
nfqd_rules_sets_restat(struct nfqd_ruleset *a, const struct nfqd_ruleset *b)
{
	struct nfqd_nameset		*x;
	const struct nfqd_nameset	*y;
	uint32_t			 i;

	if (a == NULL || b == NULL || !nfqd_rules_sets_same(a, b))
		return;
	for (i = 0; i < a->nsets; i++) {
		x = &a->sets[i];
		y = &b->sets[i];
		x->dev = y->dev;
		x->ino = y->ino;
		x->size = y->size;
		x->mtime = y->mtime;
		x->ctime = y->ctime;
		x->stat_ok = y->stat_ok;
		x->stat_read = y->stat_read;
	}
}

uint8_t
nfqd_rule_needs(const struct nfqd_rule *r)
{
	uint32_t	mt = r->matchers;
	uint8_t		k = 0;

	if (mt & NFQD_M_FAMILY)
		k |= NFQD_PKT_K_FAMILY;
	if (mt & (NFQD_M_SRC | NFQD_M_DST))
		k |= NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS;
	if (mt & NFQD_M_PROTO)
		k |= NFQD_PKT_K_PROTO;
	if (mt & (NFQD_M_SPORT | NFQD_M_DPORT))
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_PORTS;
	if (mt & NFQD_M_TCPFLAGS)
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_TCPFLAGS;
	if (mt & (NFQD_M_ICMPTYPE | NFQD_M_ICMPCODE))
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_ICMP;
	/* A rate kept per address or flow keys on those fields. */
	if ((mt & NFQD_M_RATE) && r->rate_per != NFQD_PER_RULE)
		k |= NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS;
	if ((mt & NFQD_M_RATE) && r->rate_per == NFQD_PER_FLOW)
		k |= NFQD_PKT_K_PROTO | NFQD_PKT_K_PORTS;
	if (mt & NFQD_M_L7ALL)
		k |= NFQD_PKT_K_L7;
	if (mt & NFQD_M_DNAME)
		k |= NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS | NFQD_PKT_K_DNAME;
	return k;
}
