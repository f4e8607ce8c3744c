/*
 * Unit tests for src/util.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfqd/util.h"
#include "unit.h"

static void
test_parse_balance(void)
{
	static const struct {
		const char	*in;
		uint16_t	 first, last;
	} good[] = {
		{ "0:1",		0, 1 },
		{ "5",			5, 5 },
		{ "65535:65535",	65535, 65535 },
		{ "0:65535",		0, 65535 },
	};
	static const char *const bad[] = {
		"3:1", "1:", ":1", "65536", "a:b", "1:2:3", "", " 1:2",
		"1:2 ", "-1", "1:-2", "1:65536", "99999999999999999999",
	};
	uint16_t	a, b;
	size_t		i;
	int		r;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = b = 7777;
		r = nfqd_parse_balance(good[i].in, &a, &b);
		CHECK_INT_EQ(r, 0, unit_fmt("parse_balance \"%s\" ok",
		    good[i].in));
		CHECK_INT_EQ(a, good[i].first, unit_fmt("parse_balance "
		    "\"%s\" first", good[i].in));
		CHECK_INT_EQ(b, good[i].last, unit_fmt("parse_balance "
		    "\"%s\" last", good[i].in));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = b = 7777;
		r = nfqd_parse_balance(bad[i], &a, &b);
		CHECK(r == -1 && a == 7777 && b == 7777,
		    unit_fmt("parse_balance \"%s\" rejected, outputs untouched",
		    bad[i]));
	}
}

static void
test_parse_size(void)
{
	static const struct {
		const char	*in;
		uint64_t	 want;
	} good[] = {
		{ "8M",		8388608 },
		{ "512K",	524288 },
		{ "1G",		1073741824 },
		{ "4096",	4096 },
		{ "8MB",	8388608 },
		{ "8MiB",	8388608 },
		{ "8m",		8388608 },
		{ "2k",		2048 },
		{ "0",		0 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ull << 30 },
	};
	static const char *const bad[] = {
		"8X", "", "M", "-1", "1.5M", "99999999999999999999", "8 M",
		"8MBB", "8Mb", "8B", "8iB", " 8M", "+8", "17179869184G",
		"18446744073709551616",
	};
	uint64_t	v;
	size_t		i;
	int		r;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		r = nfqd_parse_size(good[i].in, &v);
		CHECK_INT_EQ(r, 0, unit_fmt("parse_size \"%s\" ok",
		    good[i].in));
		CHECK_UINT_EQ(v, good[i].want, unit_fmt("parse_size \"%s\" "
		    "value", good[i].in));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		r = nfqd_parse_size(bad[i], &v);
		CHECK(r == -1 && v == 12345,
		    unit_fmt("parse_size \"%s\" rejected, output untouched",
		    bad[i]));
	}
}

static void
test_edit_distance(void)
{
	static const struct {
		const char	*a, *b;
		unsigned	 want;
	} cases[] = {
		{ "",		"",		0 },
		{ "maxlen",	"maxlen",	0 },
		{ "MaxLen",	"maxlen",	0 },
		{ "",		"gso",		3 },
		{ "gso",	"",		3 },
		{ "kitten",	"sitting",	3 },
		{ "flaw",	"lawn",		2 },
		{ "maxlenn",	"maxlen",	1 },
		{ "fail_opne",	"fail_open",	2 },
		{ "batch",	"match",	1 },
		{ "abc",	"xyz",		3 },
	};
	char		 long63[64], long62[63];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_UINT_EQ(nfqd_edit_distance(cases[i].a, cases[i].b),
		    cases[i].want, unit_fmt("edit_distance \"%s\" \"%s\"",
		    cases[i].a, cases[i].b));

	/* Names of 63 characters or more are not compared: capped at 100. */
	memset(long63, 'a', 63);
	long63[63] = '\0';
	memset(long62, 'a', 62);
	long62[62] = '\0';
	CHECK_UINT_EQ(nfqd_edit_distance(long63, long63), 100,
	    "edit_distance 63 characters is capped");
	CHECK_UINT_EQ(nfqd_edit_distance("a", long63), 100,
	    "edit_distance long second name is capped");
	CHECK_UINT_EQ(nfqd_edit_distance(long62, long62), 0,
	    "edit_distance 62 characters is computed");
	CHECK_UINT_EQ(nfqd_edit_distance(long62, ""), 62,
	    "edit_distance 62 characters against empty");
}

static void
test_strlcpy(void)
{
	char	dst[8];
	size_t	r;

	memset(dst, 'x', sizeof(dst));
	r = nfqd_strlcpy(dst, "hello world", 5);
	CHECK_UINT_EQ(r, 11, "strlcpy truncation returns strlen(src)");
	CHECK_STR_EQ(dst, "hell", "strlcpy truncation result");
	CHECK(dst[5] == 'x', "strlcpy truncation writes no more than size");

	memset(dst, 'x', sizeof(dst));
	r = nfqd_strlcpy(dst, "abcd", 5);
	CHECK_UINT_EQ(r, 4, "strlcpy exact fit returns strlen(src)");
	CHECK_STR_EQ(dst, "abcd", "strlcpy exact fit result");

	memset(dst, 'x', sizeof(dst));
	r = nfqd_strlcpy(dst, "abcde", 5);
	CHECK_UINT_EQ(r, 5, "strlcpy one too long returns strlen(src)");
	CHECK_STR_EQ(dst, "abcd", "strlcpy one too long result");

	memset(dst, 'x', sizeof(dst));
	r = nfqd_strlcpy(dst, "abc", 0);
	CHECK(r == 3 && dst[0] == 'x', "strlcpy size 0 writes nothing");

	r = nfqd_strlcpy(dst, "", sizeof(dst));
	CHECK(r == 0 && dst[0] == '\0', "strlcpy empty source");
}

static int
is_dir(const char *path, mode_t *mode)
{
	struct stat	sb;

	if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return 0;
	if (mode != NULL)
		*mode = sb.st_mode & 07777;
	return 1;
}

static void
test_mkdir_p(void)
{
	char	 top[PATH_MAX], p[PATH_MAX + 64], q[PATH_MAX + 64];
	mode_t	 mode, old;
	FILE	*fp;
	int	 r;

	if (!CHECK(unit_mkdtemp(top, sizeof(top)) == 0, "mkdir_p temp dir"))
		return;
	old = umask(022);

	snprintf(p, sizeof(p), "%s/a/b/c", top);
	r = nfqd_mkdir_p(p, 0750);
	CHECK_INT_EQ(r, 0, "mkdir_p creates parents");
	CHECK(is_dir(p, &mode) && mode == 0750, "mkdir_p leaf mode 0750");
	snprintf(q, sizeof(q), "%s/a", top);
	CHECK(is_dir(q, &mode) && mode == 0750, "mkdir_p parent mode 0750");

	r = nfqd_mkdir_p(p, 0750);
	CHECK_INT_EQ(r, 0, "mkdir_p on an existing directory");

	snprintf(p, sizeof(p), "%s/d/e/", top);
	r = nfqd_mkdir_p(p, 0755);
	snprintf(q, sizeof(q), "%s/d/e", top);
	CHECK(r == 0 && is_dir(q, NULL), "mkdir_p with a trailing slash");

	snprintf(p, sizeof(p), "%s/file", top);
	if ((fp = fopen(p, "w")) != NULL)
		fclose(fp);
	snprintf(q, sizeof(q), "%s/file/sub", top);
	errno = 0;
	r = nfqd_mkdir_p(q, 0755);
	CHECKF(r == -1 && errno == ENOTDIR,
	    "mkdir_p under a regular file fails with ENOTDIR",
	    "got %d, %s", r, strerror(errno));

	/* Like mkdir -p: a path that exists but is not a directory fails. */
	errno = 0;
	r = nfqd_mkdir_p(p, 0755);
	CHECK_INT_EQ(r, -1, "mkdir_p on an existing regular file fails");

	errno = 0;
	r = nfqd_mkdir_p("", 0755);
	CHECK(r == -1 && errno == ENOENT, "mkdir_p \"\" fails with ENOENT");

	umask(old);
	CHECK_INT_EQ(unit_rmtree(top), 0, "mkdir_p cleanup");
}

static void
test_online_cpus(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK_INT_EQ(nfqd_online_cpus(), n > 0 ? n : 1,
	    "online_cpus matches sysconf");
}

int
main(void)
{
	test_parse_balance();
	test_parse_size();
	test_edit_distance();
	test_strlcpy();
	test_mkdir_p();
	test_online_cpus();
	return unit_done();
}
