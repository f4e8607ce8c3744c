/*
 * The configuration read into one text for libconfig (see cfgtext.h).
 *
 * libconfig 1.5 must not read files itself: its flex scanner calls exit()
 * when a read fails (an @include'd directory) and blocks on a FIFO.  It also
 * reads decimal integers with atoi() and 32-bit hex with strtoul() cast to
 * int, so 4294967297 would reach us as 1.  Here we read the files, splice
 * each @include in, and append L to every integer literal (libconfig then
 * reads it as 64 bits, and our range checks see the real number).  Widening
 * all of them, not only the large ones, keeps an array [ ] of numbers of one
 * type, which libconfig requires.
 *
 * The scanner follows libconfig 1.5's (lib/scanner.l) over the text we
 * build: /-star comments, # and // comments and "strings" are states that
 * carry across lines and files; @include is seen only at the start of a line
 * outside them (^[ \t]*@include[ \t]+\"), and in its path a backslash keeps
 * the next character ("a\\b" names a\b, "q\x41q" qx41q).  Each file's text
 * ends with a newline here (one is added where it lacks one), so no token,
 * comment or @include runs from one file into the next.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfqd/cfgtext.h"
#include "nfqd/cfgutil.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"

/* What the scanner is in, as libconfig's start conditions. */
enum {
	ST_CODE,	/* INITIAL */
	ST_LINE,	/* a # or // comment, to the end of the line */
	ST_BLOCK,	/* a comment to the closing star-slash */
	ST_STRING,	/* a "string" */
};

/* Kinds of number token. */
enum {
	NUM_FLOAT,
	NUM_DEC,
	NUM_HEX,
};

/* A file being scanned; up is the file that includes it. */
struct src {
	int			 file;		/* index in files[] */
	const char		*p;		/* next byte to scan */
	const char		*end;
	const char		*run;		/* first byte not copied out */
	int			 line;		/* of p, in the file */
	int			 depth;		/* of @include; main file: 0 */
	bool			 known;		/* dev and ino are set */
	dev_t			 dev;
	ino_t			 ino;
	const struct src	*up;
};

static void	scan_file(struct nfqd_cfgtext *, const char *, const char *,
		    size_t, const struct stat *, const struct src *);
static char	*slurp(struct nfqd_cfgtext *, const char *, size_t *,
		    struct stat *, char *, size_t, bool *);

static void
problem(struct nfqd_cfgtext *t, const char *file, int line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct nfqd_cfgtext *t, const char *file, int line, const char *fmt,
    ...)
{
	char	msg[PATH_MAX + 256];
	va_list	ap;

	t->errors++;
	/* Past the load's cap (cfgutil.h): counted, not formatted. */
	if (cfg_cap_held(t->report, t->arg, false))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->report(t->arg, file, line, msg);
}

/* A path from a file, fit for a log line: control characters as '?'. */
static const char *
visible(const char *s, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

/* Append n bytes to the text. */
static void
out(struct nfqd_cfgtext *t, const char *s, size_t n)
{
	const char	*q, *e = s + n;
	size_t		 cap;
	char		*nb;

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		for (cap = t->cap != 0 ? t->cap : 65536; cap < t->len + n + 1;)
			cap *= 2;
		if ((nb = realloc(t->buf, cap)) == NULL) {
			t->oom = true;
			return;
		}
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	for (q = s; (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
		t->lines++;
}

/* Copy out what was scanned since the last copy. */
static void
flush(struct nfqd_cfgtext *t, struct src *s)
{
	out(t, s->run, (size_t)(s->p - s->run));
	s->run = s->p;
}

/* From the next line of the text on, the lines are file's from fline. */
static void
mark(struct nfqd_cfgtext *t, int file, int fline)
{
	struct nfqd_cfgmark	*m;
	size_t			 cap;
	int			 line = t->lines + 1;

	if (t->nmap > 0 && t->map[t->nmap - 1].line == line) {
		m = &t->map[t->nmap - 1];
	} else {
		if (t->nmap == t->capmap) {
			cap = t->capmap != 0 ? t->capmap * 2 : 16;
			if ((m = realloc(t->map, cap * sizeof(*m))) == NULL) {
				t->oom = true;
				return;
			}
			t->map = m;
			t->capmap = cap;
		}
		m = &t->map[t->nmap++];
	}
	m->line = line;
	m->file = file;
	m->fline = fline;
}

/* Is the next byte at the start of a line of the text? */
static bool
at_bol(const struct nfqd_cfgtext *t, const struct src *s)
{
	if (s->p > s->run)
		return s->p[-1] == '\n';
	return t->len == 0 || t->buf[t->len - 1] == '\n';
}

static size_t
digits(const char *p, const char *end, bool hex)
{
	const char	*q = p;

	while (q < end && (hex ? isxdigit((unsigned char)*q) :
	    isdigit((unsigned char)*q)))
		q++;
	return (size_t)(q - p);
}

/* [eE][-+]?[0-9]+ at p: its length, or 0. */
static size_t
exponent(const char *p, const char *end)
{
	const char	*q = p;
	size_t		 n;

	if (q >= end || (*q != 'e' && *q != 'E'))
		return 0;
	q++;
	if (q < end && (*q == '-' || *q == '+'))
		q++;
	if ((n = digits(q, end, false)) == 0)
		return 0;
	return (size_t)(q - p) + n;
}

/* L or LL at p: its length. */
static size_t
suffix(const char *p, const char *end)
{
	if (p >= end || *p != 'L')
		return 0;
	return p + 1 < end && p[1] == 'L' ? 2 : 1;
}

/*
 * The number token at p, as libconfig's scanner takes it (the longest of
 * integer [-+]?[0-9]+, integer64 with L or LL, hex 0[Xx][0-9A-Fa-f]+, hex64
 * with L or LL, and float [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)? or
 * [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+): its length (0: none), its kind,
 * and in *body the length without the L suffix.
 */
static size_t
number(const char *p, const char *end, int *kind, size_t *body)
{
	size_t	sign, d, len = 0, f, n;

	*body = 0;
	sign = *p == '-' || *p == '+' ? 1 : 0;
	d = digits(p + sign, end, false);
	if (sign == 0 && d == 1 && *p == '0' && p + 1 < end &&
	    (p[1] == 'x' || p[1] == 'X') &&
	    (n = digits(p + 2, end, true)) > 0) {
		*kind = NUM_HEX;
		*body = 2 + n;
		return *body + suffix(p + *body, end);
	}
	if (d > 0) {
		*kind = NUM_DEC;
		*body = sign + d;
		len = *body + suffix(p + *body, end);
	}
	if (p + sign + d < end && p[sign + d] == '.') {
		f = sign + d + 1;
		f += digits(p + f, end, false);
		f += exponent(p + f, end);
		if (f > len) {
			*kind = NUM_FLOAT;
			len = f;
		}
	}
	if (d > 0 && (n = exponent(p + sign + d, end)) > 0 &&
	    sign + d + n > len) {
		*kind = NUM_FLOAT;
		len = sign + d + n;
	}
	return len;
}

/* Does the integer literal p[0..n) fit in a signed 64-bit integer? */
static bool
fits64(const char *p, size_t n, bool hex)
{
	unsigned long long	v = 0, lim = INT64_MAX;
	size_t			i = 0;
	unsigned		dv;

	if (hex) {
		for (i = 2; i < n; i++) {
			dv = isdigit((unsigned char)p[i]) ?
			    (unsigned)(p[i] - '0') :
			    (unsigned)(tolower((unsigned char)p[i]) - 'a' + 10);
			if (v > (lim - dv) / 16)
				return false;
			v = v * 16 + dv;
		}
		return true;
	}
	if (p[0] == '-' || p[0] == '+') {
		if (p[0] == '-')
			lim = (unsigned long long)INT64_MAX + 1;
		i = 1;
	}
	for (; i < n; i++) {
		dv = (unsigned)(p[i] - '0');
		if (v > (lim - dv) / 10)
			return false;
		v = v * 10 + dv;
	}
	return true;
}

/* An integer literal: 64 bits for libconfig, or an error. */
static void
integer(struct nfqd_cfgtext *t, struct src *s, size_t len, size_t body,
    bool hex)
{
	const char	*p = s->p;

	if (!fits64(p, body, hex)) {
		problem(t, t->files[s->file], s->line, "%.*s%s is out of range "
		    "(%s)", body > 64 ? 64 : (int)body, p, body > 64 ? "..." :
		    "", hex ? "0 to 0x7FFFFFFFFFFFFFFF" :
		    "-9223372036854775808 to 9223372036854775807");
		s->p += len;
		return;
	}
	s->p += body;
	if (len == body) {
		flush(t, s);
		out(t, "L", 1);
	}
	s->p = p + len;
}

/* ^[ \t]*@include[ \t]+\" at p: the length through the quote, or 0. */
static size_t
include_open(const char *p, const char *end)
{
	const char	*q = p;

	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if ((size_t)(end - q) < 8 || memcmp(q, "@include", 8) != 0)
		return 0;
	q += 8;
	if (q >= end || (*q != ' ' && *q != '\t'))
		return 0;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= end || *q != '"')
		return 0;
	return (size_t)(q + 1 - p);
}

/* The file named name, included from s at line. */
static void
include(struct nfqd_cfgtext *t, const struct src *s, const char *name,
    int line)
{
	const char		*from = t->files[s->file];
	const struct src	*u;
	struct stat		 sb;
	char			 path[PATH_MAX], why[256], vis[PATH_MAX];
	char			*text;
	size_t			 len;
	int			 n;
	bool			 opened;

	visible(name, vis, sizeof(vis));
	if (t->dir == NULL) {
		problem(t, from, line, "cannot include \"%s\": @include is not "
		    "available here", vis);
		return;
	}
	if (name[0] == '/')
		n = snprintf(path, sizeof(path), "%s", name);
	else
		n = snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		problem(t, from, line, "cannot include \"%.64s...\": the path "
		    "is too long", vis);
		return;
	}
	if (s->depth >= NFQD_CFGTEXT_DEPTH) {
		problem(t, from, line, "cannot include \"%s\": @include is "
		    "nested more than %d deep", vis, NFQD_CFGTEXT_DEPTH);
		return;
	}
	/* Said once: the rest are not opened, nor said. */
	if (t->includes >= NFQD_CFGTEXT_INCLUDES) {
		if (t->includes++ == NFQD_CFGTEXT_INCLUDES)
			problem(t, from, line, "cannot include \"%s\": more "
			    "than %d @include in all (each counted every time "
			    "it is read)", vis, NFQD_CFGTEXT_INCLUDES);
		return;
	}
	t->includes++;
	if ((text = slurp(t, path, &len, &sb, why, sizeof(why),
	    &opened)) == NULL) {
		problem(t, from, line, "cannot include \"%s\": %s", vis, why);
		return;
	}
	for (u = s; u != NULL; u = u->up)
		if (u->known && u->dev == sb.st_dev && u->ino == sb.st_ino)
			break;
	if (u != NULL)
		problem(t, from, line, "cannot include \"%s\": an include "
		    "cycle (%s is being read already)", vis,
		    visible(t->files[u->file], path, sizeof(path)));
	else
		scan_file(t, path, text, len, &sb, s);
	free(text);
}

/* An @include whose opening, through the quote, is n bytes at s->p. */
static void
directive(struct nfqd_cfgtext *t, struct src *s, size_t n)
{
	const char	*q = s->p + n;
	char		 name[PATH_MAX + 1];
	size_t		 k = 0;
	int		 line = s->line;
	char		 c;

	flush(t, s);
	while (q < s->end && *q != '"') {
		c = *q++;
		if (c == '\\') {
			/* \\ and \" are escapes; any other backslash goes. */
			if (q >= s->end || (*q != '\\' && *q != '"'))
				continue;
			c = *q++;
		}
		if (c == '\n')
			s->line++;
		if (k + 1 < sizeof(name))
			name[k++] = c;
	}
	name[k] = '\0';
	if (q >= s->end) {
		problem(t, t->files[s->file], line, "@include: the path has no "
		    "closing quote");
		s->p = s->run = s->end;
		return;
	}
	s->p = s->run = q + 1;
	include(t, s, name, line);
	/* The text is at the start of a line: the rest of this one. */
	mark(t, s->file, s->line);
}

/* One token (or byte) in ST_CODE. */
static void
code(struct nfqd_cfgtext *t, struct src *s)
{
	const char	*p = s->p;
	size_t		 n, body;
	int		 kind;

	if (at_bol(t, s) && (n = include_open(p, s->end)) > 0) {
		directive(t, s, n);
		return;
	}
	switch (*p) {
	case '\n':
		s->line++;
		s->p++;
		return;
	case '"':
		t->state = ST_STRING;
		s->p++;
		return;
	case '#':
		t->state = ST_LINE;
		s->p++;
		return;
	case '/':
		if (p + 1 < s->end && (p[1] == '/' || p[1] == '*')) {
			t->state = p[1] == '/' ? ST_LINE : ST_BLOCK;
			s->p += 2;
		} else {
			s->p++;
		}
		return;
	}
	if (isalpha((unsigned char)*p) || *p == '*') {
		/* A name, [A-Za-z*][-A-Za-z0-9_*]*: no number in it. */
		for (s->p++; s->p < s->end && (isalnum((unsigned char)*s->p) ||
		    *s->p == '-' || *s->p == '_' || *s->p == '*'); s->p++)
			;
		return;
	}
	if ((n = number(p, s->end, &kind, &body)) == 0) {
		s->p++;
		return;
	}
	if (kind == NUM_FLOAT)
		s->p += n;
	else
		integer(t, s, n, body, kind == NUM_HEX);
}

/*
 * The load's yield (yield.h) every SCAN_YIELD steps of the scanner, each
 * a token or a run of text: 200,000 rules (24 MB) take 0.1 to 0.25 s, in
 * about 6 million steps, so the clock is looked at every 0.1 ms or so.
 */
#define SCAN_YIELD	4096

static void
scan(struct nfqd_cfgtext *t, struct src *s)
{
	const char	*q;

	while (s->p < s->end && !t->oom && !t->stopped) {
		if (++t->steps % SCAN_YIELD == 0 && nfqd_load_yield() == -1) {
			t->stopped = true;
			break;
		}
		switch (t->state) {
		case ST_CODE:
			code(t, s);
			break;
		case ST_LINE:
			/* The newline is the code's again. */
			q = memchr(s->p, '\n', (size_t)(s->end - s->p));
			s->p = q != NULL ? q : s->end;
			if (q != NULL)
				t->state = ST_CODE;
			break;
		case ST_BLOCK:
			for (; s->p < s->end; s->p++) {
				if (*s->p == '\n')
					s->line++;
				if (*s->p == '*' && s->p + 1 < s->end &&
				    s->p[1] == '/') {
					s->p += 2;
					t->state = ST_CODE;
					break;
				}
			}
			break;
		case ST_STRING:
			for (; s->p < s->end; s->p++) {
				if (*s->p == '\n')
					s->line++;
				if (*s->p == '\\' && s->p + 1 < s->end &&
				    (s->p[1] == '\\' || s->p[1] == '"')) {
					s->p++;
				} else if (*s->p == '"') {
					s->p++;
					t->state = ST_CODE;
					break;
				}
			}
			break;
		}
	}
}

/* Add the text of the file name (read, not yet scanned) to t. */
static void
scan_file(struct nfqd_cfgtext *t, const char *name, const char *text,
    size_t len, const struct stat *sb, const struct src *up)
{
	struct src	 s;
	const char	*z, *q;
	char		**nf;
	int		 line;

	memset(&s, 0, sizeof(s));
	if ((nf = realloc(t->files, (size_t)(t->nfiles + 1) *
	    sizeof(*nf))) == NULL || (nf[t->nfiles] = strdup(name)) == NULL) {
		if (nf != NULL)
			t->files = nf;
		t->oom = true;
		return;
	}
	t->files = nf;
	s.file = t->nfiles++;
	/* config_read_string() would end the text at a NUL. */
	if ((z = memchr(text, '\0', len)) != NULL) {
		for (line = 1, q = text; q < z; q++)
			line += *q == '\n';
		problem(t, name, line, "a NUL byte: this is not a text file");
		return;
	}
	/*
	 * A UTF-8 byte-order mark, as some Windows editors write, is not
	 * text: libconfig would call it a syntax error at line 1.
	 */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	s.p = s.run = text;
	s.end = text + len;
	s.line = 1;
	s.depth = up != NULL ? up->depth + 1 : 0;
	if (sb != NULL) {
		s.known = true;
		s.dev = sb->st_dev;
		s.ino = sb->st_ino;
	}
	s.up = up;
	out(t, "", 0);		/* the text exists, if empty */
	mark(t, s.file, 1);
	scan(t, &s);
	flush(t, &s);
	if (len > 0 && text[len - 1] != '\n') {
		out(t, "\n", 1);
		if (t->state == ST_LINE)
			t->state = ST_CODE;
	}
}

/* Why a file is too large, in why. */
static void
too_large(const struct nfqd_cfgtext *t, unsigned long long size, char *why,
    size_t wlen)
{
	char	lim[32];

	if (t->max % ((size_t)1 << 20) == 0)
		snprintf(lim, sizeof(lim), "%zu MiB", t->max >> 20);
	else
		snprintf(lim, sizeof(lim), "%zu bytes", t->max);
	snprintf(why, wlen, "too large: %llu bytes (a configuration, with what "
	    "it includes, may have %s)", size, lim);
}

/*
 * Read the regular file path whole, within what is left of t->max.  NULL
 * with why set (and *opened false when open() itself failed).
 */
static char *
slurp(struct nfqd_cfgtext *t, const char *path, size_t *len,
    struct stat *sb, char *why, size_t wlen, bool *opened)
{
	size_t	 left = t->max - t->nread, cap, n = 0;
	char	*buf = NULL, *nb;
	ssize_t	 r;
	int	 fd;

	*opened = false;
	/*
	 * O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOCTTY: a
	 * terminal must not become ours.  Only a regular file is read.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) ==
	    -1) {
		snprintf(why, wlen, "%s", strerror(errno));
		return NULL;
	}
	*opened = true;
	if (fstat(fd, sb) == -1) {
		snprintf(why, wlen, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(sb->st_mode)) {
		snprintf(why, wlen, "%s", strerror(EISDIR));
		goto fail;
	}
	if (!S_ISREG(sb->st_mode)) {
		snprintf(why, wlen, "not a regular file");
		goto fail;
	}
	if ((unsigned long long)sb->st_size > left) {
		too_large(t, (unsigned long long)sb->st_size, why, wlen);
		goto fail;
	}
	/* What is there when we read it: the file may grow or shrink. */
	cap = (size_t)sb->st_size + 1;
	for (;;) {
		if (n == cap) {
			cap = cap > (left + 1) / 2 ? left + 1 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				goto oom;
			buf = nb;
		} else if (buf == NULL && (buf = malloc(cap)) == NULL) {
			goto oom;
		}
		if ((r = read(fd, buf + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, wlen, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > left) {
			too_large(t, n, why, wlen);
			goto fail;
		}
	}
	close(fd);
	t->nread += n;
	*len = n;
	return buf;
oom:
	snprintf(why, wlen, "%s", strerror(ENOMEM));
fail:
	free(buf);
	close(fd);
	return NULL;
}

void
nfqd_cfgtext_init(struct nfqd_cfgtext *t, size_t max,
    nfqd_config_report_fn report, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->report = report;
	t->arg = arg;
	t->state = ST_CODE;
}

/* The main file's text; name is how reports call it. */
static int
start(struct nfqd_cfgtext *t, const char *name, const char *text,
    size_t len, const struct stat *sb)
{
	scan_file(t, name, text, len, sb, NULL);
	if (t->oom)
		problem(t, name, 0, "out of memory reading the configuration");
	else if (t->stopped)
		problem(t, name, 0, "not read to its end: nfqd is stopping");
	return t->errors;
}

int
nfqd_cfgtext_read(struct nfqd_cfgtext *t, const char *path)
{
	struct stat	 sb;
	char		*text, why[256];
	size_t		 len;
	bool		 opened;

	if (nfqd_strlcpy(t->dirbuf, path, sizeof(t->dirbuf)) >=
	    sizeof(t->dirbuf)) {
		problem(t, path, 0, "path is too long");
		return t->errors;
	}
	t->dir = dirname(t->dirbuf);
	if ((text = slurp(t, path, &len, &sb, why, sizeof(why),
	    &opened)) == NULL) {
		problem(t, path, 0, "cannot %s: %s", opened ? "read" : "open",
		    why);
		return t->errors;
	}
	start(t, path, text, len, &sb);
	free(text);
	return t->errors;
}

int
nfqd_cfgtext_set(struct nfqd_cfgtext *t, const char *name, const char *text,
    size_t len, const char *dir)
{
	char	why[256];

	if (dir != NULL) {
		if (nfqd_strlcpy(t->dirbuf, dir, sizeof(t->dirbuf)) >=
		    sizeof(t->dirbuf)) {
			problem(t, name, 0, "path is too long");
			return t->errors;
		}
		t->dir = t->dirbuf;
	}
	if (len > t->max - t->nread) {
		too_large(t, len, why, sizeof(why));
		problem(t, name, 0, "cannot read: %s", why);
		return t->errors;
	}
	t->nread += len;
	return start(t, name, text, len, NULL);
}

const char *
nfqd_cfgtext_where(const struct nfqd_cfgtext *t, int line, int *fline)
{
	size_t	lo = 0, hi = t->nmap, mid;

	if (t->nmap == 0 || line < 1) {
		*fline = line < 0 ? 0 : line;
		return t->nfiles > 0 ? t->files[0] : "?";
	}
	/* The last mark at or before line (the first is at line 1). */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (t->map[mid].line <= line)
			lo = mid;
		else
			hi = mid;
	}
	*fline = t->map[lo].fline + (line - t->map[lo].line);
	return t->files[t->map[lo].file];
}

void
nfqd_cfgtext_free(struct nfqd_cfgtext *t)
{
	int	i;

	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->map);
	free(t->buf);
	t->files = NULL;
	t->map = NULL;
	t->buf = NULL;
	t->nfiles = 0;
	t->nmap = t->len = t->cap = t->capmap = 0;
}
