#ifndef NFQD_CFGTEXT_H
#define NFQD_CFGTEXT_H

/*
 * The configuration as one text in memory, for config_read_string(): read
 * by us (regular files only, size-capped), with every @include expanded
 * where libconfig 1.5 would see it and every integer literal made 64-bit,
 * and a map from its lines back to the file and line each came from.
 * libconfig then never opens a file, and a number too large for 32 bits
 * reaches the range checks whole instead of truncated.
 */

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>

#include "nfqd/config.h"

/* Bytes read from files for one configuration, includes counted. */
#define NFQD_CFGTEXT_MAX	((size_t)256 << 20)

/* libconfig 1.5's limit on nested @include. */
#define NFQD_CFGTEXT_DEPTH	10

/*
 * @include directives followed for one configuration, each time it is
 * read: a file that includes another many times, which includes another
 * many times, multiplies them (2,000 lines of each in three files of
 * 28 KB made 4 million, 29 s and 1 GB in the master before the size cap
 * stopped them).
 */
#define NFQD_CFGTEXT_INCLUDES	10000

/* From this line of the text on, the lines are those of one file. */
struct nfqd_cfgmark {
	int		line;		/* in the text, from 1 */
	int		file;		/* index in files[] */
	int		fline;		/* the same line in that file */
};

struct nfqd_cfgtext {
	char			*buf;		/* the text, NUL-terminated */
	size_t			 len;
	size_t			 cap;
	size_t			 max;		/* at most, read from files */
	size_t			 nread;		/* bytes read so far */
	char			**files;	/* [0]: the main file */
	int			 nfiles;
	struct nfqd_cfgmark	*map;		/* ascending by line */
	size_t			 nmap;
	size_t			 capmap;
	int			 lines;		/* newlines in buf */
	int			 state;		/* the scanner's */
	const char		*dir;		/* NULL: no @include */
	char			 dirbuf[PATH_MAX];
	nfqd_config_report_fn	 report;
	void			*arg;
	int			 errors;	/* reported so far */
	int			 includes;	/* @include followed or tried */
	unsigned		 steps;		/* the scanner's, for the yield */
	bool			 oom;
	bool			 stopped;	/* the load's yield said -1 */
};

void	nfqd_cfgtext_init(struct nfqd_cfgtext *t, size_t max,
	    nfqd_config_report_fn report, void *arg);

/*
 * Read path and what it includes (relative to path's directory) into t.
 * Returns the number of problems reported; t->buf is usable only at 0.
 */
int	nfqd_cfgtext_read(struct nfqd_cfgtext *t, const char *path);

/*
 * The same for text already in memory, named name in reports; @include
 * paths are relative to dir, and refused when dir is NULL.
 */
int	nfqd_cfgtext_set(struct nfqd_cfgtext *t, const char *name,
	    const char *text, size_t len, const char *dir);

/* The file and line (in *fline) that line of the text came from. */
const char *nfqd_cfgtext_where(const struct nfqd_cfgtext *t, int line,
	    int *fline);

void	nfqd_cfgtext_free(struct nfqd_cfgtext *t);

#endif
