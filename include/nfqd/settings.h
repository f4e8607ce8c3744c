#ifndef NFQD_SETTINGS_H
#define NFQD_SETTINGS_H

/*
 * The settings: one row each in settings.c, saying its group, name, type
 * and range, the fields of struct nfqd_config it sets, and what a reload
 * must do when it changes.  The file's readers (config.c), reload's
 * decisions (master.c), `nfqd -S` and the docs check are derived from the
 * rows.
 */

#include <stdbool.h>

#include <libconfig.h>

#include "nfqd/cfgutil.h"
#include "nfqd/config.h"

/* What a change to a setting needs when the configuration is reloaded. */
enum nfqd_reload {
	NFQD_RELOAD_NOTHING,	/* the master uses the new value at once */
	NFQD_RELOAD_PARAMS,	/* the master sets it on the live queue sockets */
	NFQD_RELOAD_QUEUES,	/* queues are bound or released, their workers
				   started or stopped */
	NFQD_RELOAD_WORKERS,	/* workers are replaced, one at a time */
	NFQD_RELOAD_NEXT_START,	/* kept until the next start (logged) */
	NFQD_RELOAD_MAX
};

#define NFQD_RELOAD_BIT(r)	(1u << (r))

/* What the readers share while one file is read. */
struct nfqd_cfgload {
	struct nfqd_cfgctx	 cc;		/* reporting */
	struct nfqd_config	*cf;
	config_setting_t	*seen[64];	/* by row: the setting, if set */
	const struct nfqd_ruleset *reuse;	/* its unchanged name sets */
};

/* Read the settings of group (NULL: the top level) in grp. */
void	nfqd_settings_walk(struct nfqd_cfgload *c, const char *group,
	    config_setting_t *grp);

/* The setting "group.name" ("name" at the top level) if the file set it. */
config_setting_t *nfqd_settings_seen(const struct nfqd_cfgload *c,
	    const char *name);

typedef void (*nfqd_settings_fn)(void *arg, const char *group,
    const char *name, enum nfqd_reload reload);

/* Every setting, in the table's order. */
void	nfqd_settings_each(nfqd_settings_fn fn, void *arg);

/*
 * Every setting whose fields differ between a and b (fn may be NULL).
 * Returns the union of NFQD_RELOAD_BIT() of what they need.
 */
unsigned nfqd_settings_changed(const struct nfqd_config *a,
	    const struct nfqd_config *b, nfqd_settings_fn fn, void *arg);

/* Give b a's values of the settings a reload keeps (NEXT_START). */
void	nfqd_settings_keep(struct nfqd_config *b, const struct nfqd_config *a);

const char *nfqd_reload_name(enum nfqd_reload r);

#endif
