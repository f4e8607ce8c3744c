#ifndef NFQCTL_TOPVIEW_H
#define NFQCTL_TOPVIEW_H

#include "nfqd/stats.h"

/*
 * nfqctl top's screen as lines of text, from two snapshots: the same
 * lines go to curses (top.c) and, in batch mode, to stdout.  No curses
 * here, so that a unit test can lay out crafted snapshots.
 */

/* A snapshot of its own, kept while the next one is taken. */
struct nfqctl_top_snap {
	struct nfqd_stats	*stats;		/* rules[].name point into names */
	char			*names;		/* the rules' names, copied */
	uint32_t		 names_cap;	/* rules names has room for */
	double			 t;		/* CLOCK_MONOTONIC, seconds */
};

/* How the workers are sorted (keys w, p, d, b); all but w largest first. */
enum nfqctl_top_wsort {
	NFQCTL_TOP_W_WORKER,		/* worker number */
	NFQCTL_TOP_W_PACKETS,		/* packets/s */
	NFQCTL_TOP_W_DROPS,		/* drop verdicts/s */
	NFQCTL_TOP_W_BACKLOG		/* the kernel's queue_total */
};

/* How the rules are sorted (keys h, t, o). */
enum nfqctl_top_rsort {
	NFQCTL_TOP_R_RATE,		/* hits/s, largest first */
	NFQCTL_TOP_R_HITS,		/* hits since start, largest first */
	NFQCTL_TOP_R_ORDER		/* the configuration's order */
};

struct nfqctl_top_view {
	enum nfqctl_top_wsort	 wsort;
	enum nfqctl_top_rsort	 rsort;
	double			 interval;	/* seconds between frames */
	int			 rows;		/* lines to fill; 0: no limit */
	unsigned		 max_rules;	/* rules shown when rows is 0 */
	int			 keys;		/* show the keys line */
	const char		*note;		/* a last line, or NULL */
};

/* Copy s into sn (sn's memory reused); -1 when out of memory. */
int	nfqctl_top_save(struct nfqctl_top_snap *sn, const struct nfqd_stats *s,
	    double t);
void	nfqctl_top_free(struct nfqctl_top_snap *sn);

/*
 * The screen for cur, its rates the differences from prev over the time
 * between them; prev NULL (the first frame): rates are shown as "-".
 * One call of emit per line.
 */
void	nfqctl_top_layout(const struct nfqctl_top_snap *prev,
	    const struct nfqctl_top_snap *cur, const struct nfqctl_top_view *v,
	    void (*emit)(void *arg, const char *line), void *arg);

#endif
