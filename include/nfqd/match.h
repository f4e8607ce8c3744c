#ifndef NFQD_MATCH_H
#define NFQD_MATCH_H

/*
 * Matching one rule against one packet: its parsed headers (pkt.h) and the
 * queue's metadata for it (queue.h).  On the packet path: no allocation,
 * no side effects.
 */

#include <stdbool.h>
#include <stddef.h>

#include "nfqd/ruleset.h"

struct nfqd_pkt;
struct nfqd_qmsg;
struct nfqd_iftab;

/*
 * Every matcher of r but the rate limit, against a parsed packet and its
 * netlink metadata.  ift resolves interface indexes to names (may be NULL
 * when no rule looks at interfaces).  A rule that reads a field the
 * packet's parse did not determine (pi->known) does not match.
 */
bool	nfqd_rule_match(const struct nfqd_ruleset *rs,
	    const struct nfqd_rule *r, const struct nfqd_pkt *pi,
	    const struct nfqd_qmsg *m, const struct nfqd_iftab *ift);

/*
 * For a packet whose headers were not read whole: could r match it, given
 * the fields that were read (pi->known)?  Every matcher on a known field
 * must hold; matchers on unknown fields are assumed to.
 */
bool	nfqd_rule_maybe(const struct nfqd_ruleset *rs,
	    const struct nfqd_rule *r, const struct nfqd_pkt *pi,
	    const struct nfqd_qmsg *m, const struct nfqd_iftab *ift);

/*
 * Is name (normalized, len bytes) one that dst_name matches in some rule
 * of rs, whatever the rule's other keys and verdict?  dns_learn keeps
 * such names' entries longest (l7/dnslearn.h).
 */
bool	nfqd_rules_dname(const struct nfqd_ruleset *rs, const char *name,
	    size_t len);
/* The same answer by asking each rule in turn (tests, benchmarks). */
bool	nfqd_rules_dname_walk(const struct nfqd_ruleset *rs,
	    const char *name, size_t len);

#endif
