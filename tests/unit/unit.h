/*
 * A header-only unit test harness.  Every check prints one line,
 *   PASS: <binary>: <case>
 *   FAIL: <binary>: <case>: <what was got, what was wanted>
 * and main() ends with "return unit_done();".
 */
#ifndef NFQD_UNIT_H
#define NFQD_UNIT_H

#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned	unit_passed, unit_failed;

/* "test_util" from "tests/unit/test_util.c". */
static inline const char *
unit_binary(const char *file, char *buf, size_t len)
{
	const char	*p = strrchr(file, '/');
	char		*dot;

	snprintf(buf, len, "%s", p != NULL ? p + 1 : file);
	if ((dot = strrchr(buf, '.')) != NULL)
		*dot = '\0';
	return buf;
}

static inline int
unit_result(const char *file, int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline int
unit_result(const char *file, int ok, const char *name, const char *fmt, ...)
{
	char	bin[64];
	va_list	ap;

	unit_binary(file, bin, sizeof(bin));
	if (ok) {
		unit_passed++;
		printf("PASS: %s: %s\n", bin, name);
	} else {
		unit_failed++;
		printf("FAIL: %s: %s: ", bin, name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
	return ok;
}

/* A string with control characters made visible, for FAIL lines. */
static inline const char *
unit_visible(const char *s, char *buf, size_t len)
{
	size_t	n = 0;

	if (s == NULL)
		return "(null)";
	for (; *s != '\0' && n + 5 < len; s++) {
		if (*s == '\n')
			n += (size_t)snprintf(buf + n, len - n, "\\n");
		else if ((unsigned char)*s < 0x20)
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x",
			    (unsigned char)*s);
		else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static inline int
unit_str_eq(const char *file, const char *got, const char *want,
    const char *name)
{
	char	g[4096], w[4096];
	int	ok;

	ok = got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want;
	return unit_result(file, ok, name, "got \"%s\", expected \"%s\"",
	    unit_visible(got, g, sizeof(g)), unit_visible(want, w, sizeof(w)));
}

/* A case name built with printf; the last 16 stay valid. */
static inline const char *
unit_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline const char *
unit_fmt(const char *fmt, ...)
{
	static char	bufs[16][512];
	static unsigned	next;
	char		*b = bufs[next++ % 16];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

#define CHECK(cond, name)						\
	unit_result(__FILE__, (cond) ? 1 : 0, (name), "%s is false", #cond)

/* CHECK with the detail for the FAIL line given as printf arguments. */
#define CHECKF(cond, name, ...)						\
	unit_result(__FILE__, (cond) ? 1 : 0, (name), __VA_ARGS__)

#define CHECK_INT_EQ(got, want, name) __extension__ ({			\
	long long _g = (long long)(got), _w = (long long)(want);	\
	unit_result(__FILE__, _g == _w, (name),				\
	    "%s: got %lld, expected %lld", #got, _g, _w);		\
})

#define CHECK_UINT_EQ(got, want, name) __extension__ ({			\
	unsigned long long _g = (unsigned long long)(got);		\
	unsigned long long _w = (unsigned long long)(want);		\
	unit_result(__FILE__, _g == _w, (name),				\
	    "%s: got %llu, expected %llu", #got, _g, _w);		\
})

#define CHECK_STR_EQ(got, want, name)					\
	unit_str_eq(__FILE__, (got), (want), (name))

/* A fresh directory under $TMPDIR or /tmp. */
static inline int
unit_mkdtemp(char *path, size_t len)
{
	const char	*t = getenv("TMPDIR");

	if (t == NULL || *t == '\0')
		t = "/tmp";
	snprintf(path, len, "%s/nfqd-unit.XXXXXX", t);
	return mkdtemp(path) != NULL ? 0 : -1;
}

static inline int
unit_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf path. */
static inline int
unit_rmtree(const char *path)
{
	return nftw(path, unit_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to path, replacing it.  0 or -1. */
static inline int
unit_write_text(const char *path, const char *text)
{
	FILE	*fp;
	int	 ok;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	ok = fputs(text, fp) >= 0;
	if (fclose(fp) != 0 || !ok)
		return -1;
	return 0;
}

/*
 * Hex digits to bytes, at most cap: the count.  A test's own constant
 * that is not hex is a bug in the test: abort.
 */
static inline size_t
unit_unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t		n = 0;
	unsigned	v;

	while (h[0] != '\0' && h[1] != '\0' && n < cap) {
		if (sscanf(h, "%2x", &v) != 1)
			abort();
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* Read at most len - 1 bytes of path into buf, NUL-terminated: the byte
 * count, or -1. */
static inline int
unit_read_text(const char *path, char *buf, size_t len)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return (int)n;
}

/* Reports collected from a reporting callback (configuration errors). */
struct unit_report {
	char	file[PATH_MAX];
	int	line;
	char	msg[1024];
};

struct unit_reports {
	struct unit_report	r[16];
	int			n;	/* reports made, even past r[] */
};

static inline void
unit_collect(void *arg, const char *file, int line, const char *msg)
{
	struct unit_reports	*rs = arg;

	if (rs->n < (int)(sizeof(rs->r) / sizeof(rs->r[0]))) {
		snprintf(rs->r[rs->n].file, sizeof(rs->r[0].file), "%s",
		    file != NULL ? file : "(null)");
		rs->r[rs->n].line = line;
		snprintf(rs->r[rs->n].msg, sizeof(rs->r[0].msg), "%s", msg);
	}
	rs->n++;
}

static inline int
unit_done_(const char *file)
{
	char	bin[64];

	printf("# %s: %u passed, %u failed\n",
	    unit_binary(file, bin, sizeof(bin)), unit_passed, unit_failed);
	return unit_failed > 0 ? 1 : 0;
}

/* The exit status: 1 when any check failed. */
#define unit_done()	unit_done_(__FILE__)

#endif
