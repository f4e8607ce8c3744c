#ifndef NFQD_RULEKEYS_H
#define NFQD_RULEKEYS_H

/*
 * The keys of a rule (rulekeys.c) and the values they share (rulevals.c),
 * for the rule reader (rules.c): the state of a rule list being read, and
 * reading one key of the rule at hand.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>

#include <libconfig.h>

#include "nfqd/cfgutil.h"
#include "nfqd/ruleset.h"

#define NFQD_RULE_MAX_RATE	10000000ull	/* packets per unit */
/* Interface names whose existence a load remembers (by hash; a power of 2) */
#define NFQD_RULE_IFCACHE	64

/* One interface name looked up this load, and what the kernel said. */
struct nfqd_ifseen {
	char	name[IFNAMSIZ];		/* "": an empty entry */
	bool	exists;
};

/* A rule list being read: the set so far, and the rule at hand. */
struct nfqd_ruleload {
	struct nfqd_cfgctx	*c;
	struct nfqd_ruleset	*rs;
	const struct nfqd_ruleset *reuse;	/* a reload: the running rules */
	uint32_t		 cap_rules, cap_cidrs, cap_ports;
	uint16_t		 qfirst, qcount;
	bool			 oom;
	/* name_sets_max_bytes: what the name sets may take together */
	uint64_t		 sets_max;
	const char		*sets_auto;	/* "auto" set it: what it
						   took; NULL */
	uint64_t		 sets_bytes;	/* theirs so far (namesets.c) */
	/* the names of the sets refused (said once, by namesets.c) */
	char			(*sets_failed)[NFQD_RULE_NAME_MAX];
	uint32_t		 nsets_failed;
	/* the rule being read */
	struct nfqd_rule	*r;
	config_setting_t	*verdict, *queue, *setmark, *burst, *per;
	config_setting_t	*rate, *proto, *family, *tcpflags, *icmp;
	config_setting_t	*src, *dst, *sport, *dport;
	bool			 queue_ok;	/* queue = N was valid */
	/* its application-layer keys (l7keys.c) */
	config_setting_t	*flow;
	config_setting_t	*l7s[11];	/* by NFQD_M_* bit from
						   NFQD_M_L7 on: the key
						   that set it */
	struct nfqd_names_builder *nb[NFQD_NK_MAX];	/* its own names */
	uint64_t		 l7hash;	/* of its l7 keys' values */
	uint32_t		 cap_l7x;
	char			 prefix[NFQD_RULE_NAME_MAX + 16];
	/* if_nametoindex() opens a socket a call (5.6 us): asked once a
	   name, not once a rule, for the warning of a name not there */
	struct nfqd_ifseen	 ifseen[NFQD_RULE_IFCACHE];
};

struct nfqd_names_builder;

/* One key a rule may have, and the function that reads it. */
struct nfqd_rulekey {
	const char	*name;
	void		(*read)(struct nfqd_ruleload *, config_setting_t *);
};

/* The application layer's keys (l7keys.c). */
extern const struct nfqd_rulekey nfqd_l7_rulekeys[];
extern const size_t nfqd_l7_nrulekeys;

/* Around reading one rule's keys: set up, then finish (ok: no error). */
void	nfqd_l7_rule_begin(struct nfqd_ruleload *l);
/* An error where the rule's application-layer keys, with its proto,
 * can never meet in one packet. */
void	nfqd_l7_rule_check(struct nfqd_ruleload *l);
void	nfqd_l7_rule_end(struct nfqd_ruleload *l, bool ok);
/* name_sets = ( ... ), before the rules that name them (namesets.c). */
void	nfqd_l7_sets_load(struct nfqd_ruleload *l, config_setting_t *list);
/* Once the rules are read: rs's dname_own and dname_sets, the union of
 * every dst_name rule's sets.  0, or -1 with errno (out of memory). */
int	nfqd_l7_dname_union(struct nfqd_ruleset *rs);
/* What the three above allocated in rs. */
void	nfqd_l7_rules_free(struct nfqd_ruleset *rs);

#define rerr(l, s, ...)	cfg_err((l)->c, (s), __VA_ARGS__)

/* Room for element n of the array p (*cap elements): p or a new array. */
void	*nfqd_ruleload_grow(struct nfqd_ruleload *l, void *p, uint32_t n,
	    uint32_t *cap, size_t size);

/* The values keys share (rulevals.c), each an error at s where bad: one
 * address or prefix or a list of them, appended to the set's cidrs at
 * *off (*n of them); the same for ports and "lo-hi" port ranges; a number
 * or a "lo-hi" range of 32-bit numbers; a 32-bit number.  The last two
 * return 0, or -1 on an error. */
void	nfqd_ruleval_addrs(struct nfqd_ruleload *l, config_setting_t *s,
	    uint32_t *off, uint32_t *n);
void	nfqd_ruleval_ports(struct nfqd_ruleload *l, config_setting_t *s,
	    uint32_t *off, uint32_t *n);
int	nfqd_ruleval_range32(struct nfqd_ruleload *l, config_setting_t *s,
	    uint32_t *lo, uint32_t *hi);
int	nfqd_ruleval_u32(struct nfqd_ruleload *l, config_setting_t *s,
	    uint32_t *out);

/* Read key s of the rule at hand (l->r); an unknown key is an error. */
void	nfqd_rulekey_read(struct nfqd_ruleload *l, config_setting_t *s);

#endif
