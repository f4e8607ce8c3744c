#ifndef NFQD_RULEKEYS_H
#define NFQD_RULEKEYS_H

/*
 * The keys of a rule (rulekeys.c), for the rule reader (rules.c): the state
 * of a rule list being read, and reading one key of the rule at hand.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "nfqd/cfgutil.h"
#include "nfqd/ruleset.h"

#define NFQD_RULE_MAX_RATE	10000000ull	/* packets per unit */

/* A rule list being read: the set so far, and the rule at hand. */
struct nfqd_ruleload {
	struct nfqd_cfgctx	*c;
	struct nfqd_ruleset	*rs;
	uint32_t		 cap_rules, cap_cidrs, cap_ports;
	uint16_t		 qfirst, qcount;
	bool			 oom;
	/* the rule being read */
	struct nfqd_rule	*r;
	config_setting_t	*verdict, *queue, *setmark, *burst, *per;
	config_setting_t	*rate, *proto, *family, *tcpflags, *icmp;
	config_setting_t	*src, *dst, *sport, *dport;
	bool			 queue_ok;	/* queue = N was valid */
	char			 prefix[NFQD_RULE_NAME_MAX + 16];
};

#define rerr(l, s, ...)	cfg_err((l)->c, (s), __VA_ARGS__)

/* Room for element n of the array p (*cap elements): p or a new array. */
void	*nfqd_ruleload_grow(struct nfqd_ruleload *l, void *p, uint32_t n,
	    uint32_t *cap, size_t size);

/* Read key s of the rule at hand (l->r); an unknown key is an error. */
void	nfqd_rulekey_read(struct nfqd_ruleload *l, config_setting_t *s);

#endif
