#ifndef NFQD_RULES_H
#define NFQD_RULES_H

/*
 * Reading rules: the configuration's rules = ( ... ) list, validated into
 * a rule set (ruleset.h) and compiled for the classifier (classify.h).
 */

#include <stdbool.h>
#include <stdint.h>

#include <libconfig.h>

#include "nfqd/ruleset.h"

struct nfqd_cfgctx;

/*
 * Read, validate and compile the list setting "rules".  Problems are
 * reported through c.  sets: name_sets = ( ... ), which the rules may
 * name (NULL: none).  qfirst/qcount: the queues this nfqd serves (a queue
 * verdict to one of them would loop).  reuse: the running rules on a
 * reload, whose unchanged name sets are taken as they are (NULL: none).
 * sets_max: the bytes the name sets may take together
 * (name_sets_max_bytes; sets_auto: what its "auto" took, for the
 * message, NULL when a size was written), those taken from reuse
 * included, a set that several name once.
 * Returns NULL after reporting at least one error, or when out of memory.
 */
struct nfqd_ruleset *nfqd_rules_load(struct nfqd_cfgctx *c,
	    config_setting_t *list, config_setting_t *sets, uint16_t qfirst,
	    uint16_t qcount, const struct nfqd_ruleset *reuse,
	    uint64_t sets_max, const char *sets_auto);

/* An empty rule set (no rules: every packet gets the default verdict). */
struct nfqd_ruleset *nfqd_rules_empty(void);

void	nfqd_rules_free(struct nfqd_ruleset *rs);

#endif
