#ifndef NFQD_CFGUTIL_H
#define NFQD_CFGUTIL_H

/*
 * Helpers shared by the configuration readers (config.c, rules.c): typed
 * getters that report a wrong type or range as FILE:LINE: message, and the
 * reporting itself.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "nfqd/config.h"

struct nfqd_cfgtext;

struct nfqd_cfgctx {
	nfqd_config_report_fn	 report;
	void			*arg;
	const char		*path;		/* the main file */
	const struct nfqd_cfgtext *text;	/* what libconfig read; lines */
	const char		*prefix;	/* "rule \"x\": " while in a rule */
	int			 errors;
};

/*
 * The file and line a setting came from: libconfig read one text, with
 * every @include spliced in (cfgtext.h), and counts lines in that.
 */
const char *cfg_file(struct nfqd_cfgctx *c, const config_setting_t *s);
int	cfg_line(struct nfqd_cfgctx *c, const config_setting_t *s);

/*
 * An error at s's file and line, prefixed with c->prefix and s's name, or
 * with its full path ("queue.maxlen: ") outside a prefix.  s NULL: line 0.
 */
void	cfg_err(struct nfqd_cfgctx *c, const config_setting_t *s,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, without the setting's name after the prefix. */
void	cfg_err_at(struct nfqd_cfgctx *c, const config_setting_t *s,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A warning: reported as "warning: ...", not counted as an error. */
void	cfg_warn_at(struct nfqd_cfgctx *c, const config_setting_t *s,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * At most this many errors, and as many warnings, of one load are shown: a
 * person fixes the first ones and runs nfqd -t again, 100 lines are a few
 * screens and some 20 kB of log, while a million (a rule each) would flood
 * syslog at every reload and bury the error that refuses the file.
 * Warnings have a count of their own, so that a flood of them never hides
 * an error.
 */
#define NFQD_CFG_SHOWN	100

/* A load's reports on their way to the caller's function. */
struct nfqd_cfgcap {
	nfqd_config_report_fn	 report;	/* the caller's */
	void			*arg;
	unsigned long		 errors, warnings;	/* shown */
	/* Those past NFQD_CFG_SHOWN, not shown. */
	unsigned long		 more_errors, more_warnings;
	/*
	 * Messages cfg_cap_report() was handed, shown or not: those past the
	 * cap that cfg_cap_held() spared were never formatted.
	 */
	unsigned long		 formatted;
};

void	cfg_cap_init(struct nfqd_cfgcap *k, nfqd_config_report_fn report,
	    void *arg);
/* The report function to give the readers, with arg k. */
void	cfg_cap_report(void *k, const char *file, int line,
	    const char *msg);
/*
 * After the load: one line at file, line 0, that says how many were not
 * shown ("... and 199,900 more warnings not shown (...)"), itself a
 * warning when no error was held back; nothing when none was.
 */
void	cfg_cap_end(struct nfqd_cfgcap *k, const char *file);
/*
 * Before formatting a report for report, arg: when that is
 * cfg_cap_report() and the kind (warning: one the caller would begin
 * "warning: ") has had its NFQD_CFG_SHOWN, count one more not shown and
 * return true, and the caller reports nothing (200,000 rules on the orphan
 * mark bit format 100 warnings, not 200,000).  Otherwise false.
 */
bool	cfg_cap_held(nfqd_config_report_fn report, void *arg, bool warning);

int	cfg_bool(struct nfqd_cfgctx *c, config_setting_t *s, bool *out);
bool	cfg_is_int(const config_setting_t *s);
int	cfg_int(struct nfqd_cfgctx *c, config_setting_t *s, long long lo,
	    long long hi, long long *out);
const char *cfg_str(struct nfqd_cfgctx *c, config_setting_t *s);
int	cfg_choice(struct nfqd_cfgctx *c, config_setting_t *s,
	    const char *const choices[], size_t n);
/*
 * A value or a list of them (an array or a list; a group is the
 * caller's to refuse): how many (1 for a value), or -1 after an error at
 * s, for a list that is empty (empty says what that would mean) or holds
 * more than max (noun: what it holds, plural).  cfg_list_elem(): element
 * i of it, s itself for a value.
 */
int	cfg_list_len(struct nfqd_cfgctx *c, config_setting_t *s, int max,
	    const char *noun, const char *empty);
config_setting_t *cfg_list_elem(config_setting_t *s, int i);
/* An absolute path that fits in len bytes ("" too with empty_ok), into dst. */
void	cfg_path(struct nfqd_cfgctx *c, config_setting_t *s, char *dst,
	    size_t len, bool empty_ok);

/* name in out (len bytes), lower case and '-' as '_': how people
 * misspell setting names. */
void	cfg_normalize(const char *name, char *out, size_t len);

/* Another program's name for a setting, and what to say of it. */
struct cfg_alias {
	const char	*name;		/* normalized (cfg_normalize()) */
	const char	*say;
};

/* What a[0..n) says of name (any case, '-' as '_'), or NULL. */
const char *cfg_alias(const char *name, const struct cfg_alias *a,
	    size_t n);

/*
 * The closest of names[0..n) to name, by the usual misspellings ('-' for
 * '_', capitals, a repeated prefix such as "queue_", a typo) within maxd
 * edits, or NULL.
 */
const char *cfg_suggest(const char *name, const char *strip_prefix,
	    const char *const names[], size_t n, unsigned maxd);

#endif
