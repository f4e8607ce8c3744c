/*
 * name_sets = ( ... ): the name sets a configuration names, each read
 * from its file, for the rule keys that name them as "@set" (l7keys.c).
 * On a reload, a set whose file is unchanged is the running one's,
 * counted (nfqd_names_ref()), not read again.  name_sets_max_bytes caps
 * the bytes the sets take together, as each set's list is read.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nfqd/cfgutil.h"
#include "nfqd/l7/names.h"
#include "nfqd/rulekeys.h"

/*
 * What stat() says of ns->path now (nothing where it fails: reading it
 * will say why).  A file changed in the last two seconds is not marked
 * for reuse by a later reload: the kernel stamps times from a clock that
 * ticks every few milliseconds, so a second write that soon, of the same
 * size, could leave the times as they were (git's "racily clean"
 * entries).  Another set of this configuration may still take its set:
 * the two readings would be of one moment's file, read again together.
 */
static void
set_stat(struct nfqd_nameset *ns)
{
	struct timespec	now;
	struct stat	sb;

	if (stat(ns->path, &sb) == -1 || !S_ISREG(sb.st_mode))
		return;
	ns->dev = (uint64_t)sb.st_dev;
	ns->ino = (uint64_t)sb.st_ino;
	ns->size = (uint64_t)sb.st_size;
	ns->mtime = sb.st_mtim;
	ns->ctime = sb.st_ctim;
	ns->stat_read = true;
	ns->stat_ok = clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    now.tv_sec - sb.st_mtim.tv_sec >= 2 &&
	    now.tv_sec - sb.st_ctim.tv_sec >= 2;
}

/* b's file as stat() said of a's: of this configuration, even within
 * 2 s of a write (ours), or else reusable. */
static bool
same_file(const struct nfqd_nameset *a, const struct nfqd_nameset *b,
    bool ours)
{
	return (ours || (a->stat_ok && b->stat_ok)) && a->stat_read &&
	    b->stat_read && a->names != NULL &&
	    strcmp(a->path, b->path) == 0 && a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/*
 * A set already built from the file ns names, unchanged since: one of this
 * configuration (two sets, one file) or, on a reload, of the running one.
 * stat() before each read makes this safe: a file written during or after
 * a read has a later change time than the one kept, and is read again.
 */
static const struct nfqd_nameset *
unchanged(const struct nfqd_ruleload *l, const struct nfqd_nameset *ns,
    bool *ours)
{
	uint32_t	i;

	*ours = true;
	for (i = 0; i < l->rs->nsets; i++)
		if (same_file(&l->rs->sets[i], ns, true))
			return &l->rs->sets[i];
	*ours = false;
	for (i = 0; l->reuse != NULL && i < l->reuse->nsets; i++)
		if (same_file(&l->reuse->sets[i], ns, false))
			return &l->reuse->sets[i];
	return NULL;
}

/* A cap for a message: "512 MiB", or its bytes where no unit is exact. */
static const char *
cap_text(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };
	unsigned	i;

	for (i = 0; i < 4; i++) {
		if (v != 0 && v % (1ull << (40 - 10 * i)) == 0) {
			snprintf(buf, len, "%llu %s",
			    (unsigned long long)(v >> (40 - 10 * i)), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu bytes", (unsigned long long)v);
	return buf;
}

/* The sets would pass name_sets_max_bytes with file's. */
static void
over_cap(struct nfqd_ruleload *l, config_setting_t *sf, const char *file)
{
	char	cap[32];

	cfg_err(l->c, sf, "%s: name sets would take over %s "
	    "(name_sets_max_bytes%s%s)", file, cap_text(l->sets_max, cap,
	    sizeof(cap)), l->sets_auto != NULL ? " \"auto\": half of " : "",
	    l->sets_auto != NULL ? l->sets_auto : "");
}

/* A set's bytes, counted against name_sets_max_bytes: 0, or -1 (said). */
static int
count_set(struct nfqd_ruleload *l, config_setting_t *sf, const char *file,
    const struct nfqd_names *s)
{
	uint64_t	bytes = nfqd_names_bytes(s);

	if (bytes > l->sets_max - l->sets_bytes) {
		over_cap(l, sf, file);
		return -1;
	}
	l->sets_bytes += bytes;
	return 0;
}

/*
 * The set name was refused, its error said: a rule that names it says
 * nothing more (one_name(), l7keys.c), as its own "no name set" would
 * only hide the real error behind a second one.
 */
static void
refused(struct nfqd_ruleload *l, const char *name)
{
	if (l->sets_failed == NULL || name == NULL || *name == '\0' ||
	    strlen(name) >= NFQD_RULE_NAME_MAX)
		return;
	snprintf(l->sets_failed[l->nsets_failed++], NFQD_RULE_NAME_MAX, "%s",
	    name);
}

/*
 * A list of no names (0 bytes, or comments and blank lines only) loads:
 * an empty set is legal.  But a blocklist emptied by a failed download
 * then blocks nothing, silently: say so, at start, nfqd -t and reload.
 */
static void
warn_empty(struct nfqd_ruleload *l, config_setting_t *sf, const char *file,
    const char *name, const struct nfqd_names *s)
{
	if (nfqd_names_count(s) == 0)
		cfg_warn_at(l->c, sf, "file: %s: no names in it: set \"%s\" "
		    "is empty and matches nothing", file, name);
}

/*
 * name_sets = ( { name = "ads"; file = "/etc/nfqd/ads.txt"; }, ... ):
 * each list read into a set the rules name as "@ads".
 */
void
nfqd_l7_sets_load(struct nfqd_ruleload *l, config_setting_t *list)
{
	struct nfqd_ruleset	*rs = l->rs;
	struct nfqd_names_builder *b;
	struct nfqd_nameset	*ns;
	const struct nfqd_nameset *same;
	config_setting_t	*g, *sn, *sf;
	const char		*name, *file;
	char			 err[PATH_MAX + 256];
	uint64_t		 left;
	uint32_t		 i, j;
	bool			 ours;

	if (list == NULL)
		return;
	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    config_setting_type(list) != CONFIG_TYPE_ARRAY) {
		rerr(l, list, "must be a list ( { name = ...; file = ...; } )");
		return;
	}
	if ((rs->sets = calloc((size_t)config_setting_length(list) + 1,
	    sizeof(*rs->sets))) == NULL ||
	    (l->sets_failed = calloc((size_t)config_setting_length(list) + 1,
	    sizeof(*l->sets_failed))) == NULL) {
		l->oom = true;
		return;
	}
	for (i = 0; (g = config_setting_get_elem(list, i)) != NULL; i++) {
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			rerr(l, list, "element %u must be a group { name = "
			    "...; file = ...; }", i + 1);
			continue;
		}
		sn = config_setting_get_member(g, "name");
		sf = config_setting_get_member(g, "file");
		if (sn == NULL || sf == NULL) {
			cfg_err_at(l->c, g, "name_sets: each set needs name "
			    "and file");
			if (sn != NULL &&
			    config_setting_type(sn) == CONFIG_TYPE_STRING)
				refused(l, config_setting_get_string(sn));
			continue;
		}
		for (j = 0; (sn = config_setting_get_elem(g, j)) != NULL; j++)
			if (strcmp(config_setting_name(sn), "name") != 0 &&
			    strcmp(config_setting_name(sn), "file") != 0)
				cfg_err(l->c, sn, "unknown setting in a name set "
				    "(name, file)");
		sn = config_setting_get_member(g, "name");
		if ((name = cfg_str(l->c, sn)) == NULL ||
		    (file = cfg_str(l->c, sf)) == NULL) {
			refused(l, name);
			continue;
		}
		if (*name == '\0' || strlen(name) >= NFQD_RULE_NAME_MAX ||
		    strpbrk(name, " \t@\"\\") != NULL) {
			cfg_err(l->c, sn, "\"%s\" must be 1 to %d characters "
			    "without blanks, quotes or \"@\"", name,
			    NFQD_RULE_NAME_MAX - 1);
			refused(l, name);
			continue;
		}
		for (j = 0; j < rs->nsets && strcmp(rs->sets[j].name, name);
		    j++)
			;
		if (j < rs->nsets) {
			cfg_err(l->c, sn, "\"%s\" is already a set (line %d)",
			    name, rs->sets[j].line);
			continue;
		}
		if (file[0] != '/') {
			cfg_err(l->c, sf, "\"%s\" must be an absolute path",
			    file);
			refused(l, name);
			continue;
		}
		ns = &rs->sets[rs->nsets];
		memset(ns, 0, sizeof(*ns));
		snprintf(ns->name, sizeof(ns->name), "%s", name);
		ns->line = cfg_line(l->c, g);
		if ((ns->path = strdup(file)) == NULL) {
			l->oom = true;
			return;
		}
		/* One of this configuration's is counted already; the
		 * running one's counts as the sets built do. */
		set_stat(ns);
		if ((same = unchanged(l, ns, &ours)) != NULL) {
			if (!ours &&
			    count_set(l, sf, file, same->names) == -1) {
				free(ns->path);
				refused(l, name);
				continue;
			}
			ns->names = nfqd_names_ref(same->names);
			ns->hash = same->hash;
			rs->nsets++;
			warn_empty(l, sf, file, name, ns->names);
			continue;
		}
		if ((b = nfqd_names_builder_new()) == NULL) {
			free(ns->path);
			l->oom = true;
			return;
		}
		/* Refused as soon as it passes: a big list is not read whole
		 * first. */
		left = l->sets_max - l->sets_bytes;
		nfqd_names_builder_limit(b, left > SIZE_MAX ? SIZE_MAX :
		    (size_t)left);
		if (nfqd_names_add_file(b, file, &ns->hash, err,
		    sizeof(err)) == -1) {
			if (nfqd_names_builder_over(b))
				over_cap(l, sf, file);
			else
				cfg_err(l->c, sf, "%s", err);
			nfqd_names_builder_free(b);
			free(ns->path);
			refused(l, name);
			continue;
		}
		if ((ns->names = nfqd_names_build(b)) == NULL) {
			free(ns->path);
			l->oom = true;
			return;
		}
		/* Its bytes as built: no more than read, unless shrinking
		 * its names failed. */
		if (count_set(l, sf, file, ns->names) == -1) {
			nfqd_names_free(ns->names);
			free(ns->path);
			refused(l, name);
			continue;
		}
		rs->nsets++;
		warn_empty(l, sf, file, name, ns->names);
	}
}
