#ifndef NFQD_IPTCHECK_H
#define NFQD_IPTCHECK_H

/*
 * A look at the NFQUEUE rules of the current network namespace, as
 * iptables-save and ip6tables-save print them, for mistakes that make a
 * queue silently unserved: rules that send to queues this nfqd does not
 * serve, rules without --queue-bypass, no rule for nfqd's queues at all.  Only warnings: other programs may
 * serve other queues, and dropping when nfqd is down may be the policy.
 */

#include <stdbool.h>
#include <stdint.h>

struct nfqd_nfqrule {
	char		table[32];
	char		chain[64];
	uint32_t	first;		/* queues the rule sends to */
	uint32_t	last;
	bool		bypass;
	bool		fanout;
};

/*
 * Parse one line of iptables-save output; table is the current "*table".
 * Returns 1 for an NFQUEUE rule (filled in), 0 for any other line.
 */
int	nfqd_nfqrule_parse(const char *line, const char *table,
	    struct nfqd_nfqrule *r);

/*
 * Run iptables-save and ip6tables-save (when installed; 5 s at most each)
 * and log a warning for each NFQUEUE rule that sends to a queue outside
 * [first, first + count) or lacks --queue-bypass, or (flows: rules read
 * names, per flow) spreads a range with --queue-cpu-fanout; and a notice
 * when no rule sends to any of those queues.  Returns the number of
 * warnings.
 */
int	nfqd_iptcheck(uint32_t first, uint32_t count, bool flows);

#endif
