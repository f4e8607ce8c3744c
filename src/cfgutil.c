/*
 * Typed getters and error reporting shared by the configuration readers.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nfqd/cfgtext.h"
#include "nfqd/cfgutil.h"
#include "nfqd/util.h"

const char *
cfg_file(struct nfqd_cfgctx *c, const config_setting_t *s)
{
	int	line;

	if (s == NULL || c->text == NULL)
		return c->path;
	return nfqd_cfgtext_where(c->text,
	    (int)config_setting_source_line(s), &line);
}

int
cfg_line(struct nfqd_cfgctx *c, const config_setting_t *s)
{
	int	line;

	if (s == NULL)
		return 0;
	line = (int)config_setting_source_line(s);
	if (c->text != NULL)
		nfqd_cfgtext_where(c->text, line, &line);
	return line;
}

/* "queue.maxlen" for the setting maxlen in group queue. */
static void
setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t	*p = config_setting_parent(s);
	const char		*name = config_setting_name(s);

	if (p != NULL && config_setting_name(p) != NULL)
		snprintf(buf, len, "%s.%s", config_setting_name(p),
		    name != NULL ? name : "?");
	else
		snprintf(buf, len, "%s", name != NULL ? name : "?");
}

static void
vreport(struct nfqd_cfgctx *c, const config_setting_t *s, bool named,
    bool warning, const char *fmt, va_list ap)
{
	char	msg[1024], name[128];
	size_t	n = 0;

	if (cfg_cap_held(c->report, c->arg, warning)) {
		if (!warning)
			c->errors++;
		return;
	}
	msg[0] = '\0';
	if (warning)
		n = (size_t)snprintf(msg, sizeof(msg), "warning: ");
	if (c->prefix != NULL)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s", c->prefix);
	if (named && s != NULL) {
		if (c->prefix != NULL)
			snprintf(name, sizeof(name), "%s",
			    config_setting_name(s) != NULL ?
			    config_setting_name(s) : "?");
		else
			setting_path(s, name, sizeof(name));
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s: ", name);
	}
	if (n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	c->report(c->arg, cfg_file(c, s), cfg_line(c, s), msg);
	if (!warning)
		c->errors++;
}

void
cfg_err(struct nfqd_cfgctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vreport(c, s, true, false, fmt, ap);
	va_end(ap);
}

void
cfg_err_at(struct nfqd_cfgctx *c, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vreport(c, s, false, false, fmt, ap);
	va_end(ap);
}

void
cfg_warn_at(struct nfqd_cfgctx *c, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vreport(c, s, false, true, fmt, ap);
	va_end(ap);
}

void
cfg_cap_init(struct nfqd_cfgcap *k, nfqd_config_report_fn report, void *arg)
{
	memset(k, 0, sizeof(*k));
	k->report = report;
	k->arg = arg;
}

void
cfg_cap_report(void *arg, const char *file, int line, const char *msg)
{
	struct nfqd_cfgcap	*k = arg;

	k->formatted++;
	if (strncmp(msg, "warning: ", 9) == 0) {
		if (k->warnings == NFQD_CFG_SHOWN) {
			k->more_warnings++;
			return;
		}
		k->warnings++;
	} else {
		if (k->errors == NFQD_CFG_SHOWN) {
			k->more_errors++;
			return;
		}
		k->errors++;
	}
	k->report(k->arg, file, line, msg);
}

bool
cfg_cap_held(nfqd_config_report_fn report, void *arg, bool warning)
{
	struct nfqd_cfgcap	*k = arg;

	if (report != cfg_cap_report)
		return false;
	if (warning && k->warnings == NFQD_CFG_SHOWN) {
		k->more_warnings++;
		return true;
	}
	if (!warning && k->errors == NFQD_CFG_SHOWN) {
		k->more_errors++;
		return true;
	}
	return false;
}

/* "1,234,567 more errors" */
static void
more(unsigned long n, const char *noun, char *buf, size_t len)
{
	char	digits[32], grouped[48];
	size_t	i, j, nd;

	nd = (size_t)snprintf(digits, sizeof(digits), "%lu", n);
	for (i = j = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	snprintf(buf, len, "%s more %s%s", grouped, noun, n == 1 ? "" : "s");
}

void
cfg_cap_end(struct nfqd_cfgcap *k, const char *file)
{
	char	e[64], w[64], msg[256];

	if (k->more_errors == 0 && k->more_warnings == 0)
		return;
	more(k->more_errors, "error", e, sizeof(e));
	more(k->more_warnings, "warning", w, sizeof(w));
	snprintf(msg, sizeof(msg), "%s... and %s%s%s not shown (only the "
	    "first %d errors and the first %d warnings are shown)",
	    k->more_errors == 0 ? "warning: " : "",
	    k->more_errors != 0 ? e : "",
	    k->more_errors != 0 && k->more_warnings != 0 ? " and " : "",
	    k->more_warnings != 0 ? w : "", NFQD_CFG_SHOWN, NFQD_CFG_SHOWN);
	k->report(k->arg, file, 0, msg);
}

int
cfg_bool(struct nfqd_cfgctx *c, config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_err(c, s, "must be true or false");
		return -1;
	}
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

bool
cfg_is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64;
}

int
cfg_int(struct nfqd_cfgctx *c, config_setting_t *s, long long lo,
    long long hi, long long *out)
{
	long long	v;

	if (!cfg_is_int(s)) {
		cfg_err(c, s, "must be an integer");
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < lo || v > hi) {
		cfg_err(c, s, "%lld is out of range (%lld to %lld)", v, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

const char *
cfg_str(struct nfqd_cfgctx *c, config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err(c, s, "must be a string in double quotes");
		return NULL;
	}
	return config_setting_get_string(s);
}

int
cfg_choice(struct nfqd_cfgctx *c, config_setting_t *s,
    const char *const choices[], size_t n)
{
	const char	*v;
	char		 list[256] = "";
	size_t		 i;

	if ((v = cfg_str(c, s)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(v, choices[i]) == 0)
			return (int)i;
	for (i = 0; i < n; i++) {
		strncat(list, i == 0 ? "\"" : (i + 1 == n ? " or \"" : ", \""),
		    sizeof(list) - strlen(list) - 1);
		strncat(list, choices[i], sizeof(list) - strlen(list) - 1);
		strncat(list, "\"", sizeof(list) - strlen(list) - 1);
	}
	/* iptables writes ACCEPT and DROP. */
	for (i = 0; i < n; i++)
		if (strcasecmp(v, choices[i]) == 0) {
			cfg_err(c, s, "\"%s\" is not one of %s: write it in "
			    "lower case, \"%s\"", v, list, choices[i]);
			return -1;
		}
	cfg_err(c, s, "\"%s\" is not one of %s", v, list);
	return -1;
}

static bool
is_list(const config_setting_t *s)
{
	return config_setting_is_aggregate(s) &&
	    config_setting_type(s) != CONFIG_TYPE_GROUP;
}

int
cfg_list_len(struct nfqd_cfgctx *c, config_setting_t *s, int max,
    const char *noun, const char *empty)
{
	int	n;

	if (!is_list(s))
		return 1;
	n = config_setting_length(s);
	if (n == 0) {
		cfg_err(c, s, "%s", empty);
		return -1;
	}
	if (n > max) {
		cfg_err(c, s, "%d %s; at most %d in one list", n, noun, max);
		return -1;
	}
	return n;
}

config_setting_t *
cfg_list_elem(config_setting_t *s, int i)
{
	return is_list(s) ? config_setting_get_elem(s, (unsigned)i) : s;
}

void
cfg_path(struct nfqd_cfgctx *c, config_setting_t *s, char *dst, size_t len,
    bool empty_ok)
{
	const char	*v;

	if ((v = cfg_str(c, s)) == NULL)
		return;
	if (*v == '\0' && empty_ok) {
		dst[0] = '\0';
		return;
	}
	if (*v != '/') {
		cfg_err(c, s, "\"%s\" must be an absolute path%s", v,
		    empty_ok ? " (or \"\" to disable)" : "");
		return;
	}
	if (nfqd_strlcpy(dst, v, len) >= len)
		cfg_err(c, s, "path is too long");
}

void
cfg_normalize(const char *in, char *out, size_t len)
{
	size_t	i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = in[i] == '-' ? '_' :
		    (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

const char *
cfg_alias(const char *name, const struct cfg_alias *a, size_t n)
{
	char	norm[64];
	size_t	i;

	cfg_normalize(name, norm, sizeof(norm));
	for (i = 0; i < n; i++)
		if (strcmp(norm, a[i].name) == 0)
			return a[i].say;
	return NULL;
}

const char *
cfg_suggest(const char *name, const char *strip_prefix,
    const char *const names[], size_t n, unsigned maxd)
{
	char		 norm[128];
	const char	*p = norm, *best = NULL;
	size_t		 i, plen;
	unsigned	 d, bestd = maxd + 1;

	cfg_normalize(name, norm, sizeof(norm));
	if (strip_prefix != NULL) {
		plen = strlen(strip_prefix);
		if (strncmp(p, strip_prefix, plen) == 0 && p[plen] == '_')
			p += plen + 1;
	}
	for (i = 0; i < n; i++) {
		d = nfqd_edit_distance(p, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return best;
}
