/*
 * Unit tests for src/cfgtext.c: @include found where libconfig 1.5 finds it
 * and nowhere else, in every scanner state; what is not a regular file; the
 * size cap; the line map; integer literals of every shape; and the text
 * checked against libconfig itself, which must read the same settings from
 * it (at the same files and lines) as from the original.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "nfqd/cfgtext.h"
#include "nfqd/nfqd.h"
#include "nfqd/util.h"
#include "unit.h"

static char	dir[512];

static int
write_file(const char *name, const char *text, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", dir, name) >= (int)len)
		return -1;
	return unit_write_text(path, text);
}

/* Write name in the test directory, or fail the check called what. */
static void
put(const char *name, const char *text)
{
	char	path[PATH_MAX];

	if (write_file(name, text, path, sizeof(path)) == -1)
		CHECK(0, unit_fmt("writing %s", name));
}

/* The text made of in (named main.conf in dir, @include from dir). */
static int
text_of(struct nfqd_cfgtext *t, const char *in, struct unit_reports *rs)
{
	char	name[PATH_MAX];

	memset(rs, 0, sizeof(*rs));
	snprintf(name, sizeof(name), "%s/main.conf", dir);
	nfqd_cfgtext_init(t, NFQD_CFGTEXT_MAX, unit_collect, rs);
	return nfqd_cfgtext_set(t, name, in, strlen(in), dir);
}

/* in must become want, with no problem. */
static void
expect_text(const char *name, const char *in, const char *want)
{
	struct nfqd_cfgtext	t;
	struct unit_reports	rs;
	int			r;

	r = text_of(&t, in, &rs);
	if (CHECKF(r == 0 && rs.n == 0, unit_fmt("%s: no problem", name),
	    "returned %d, first \"%s\"", r, rs.n > 0 ? rs.r[0].msg : ""))
		CHECK_STR_EQ(t.buf, want, unit_fmt("%s: text", name));
	nfqd_cfgtext_free(&t);
}

/* in must give exactly one problem: msg at file (in dir) and line. */
static void
expect_problem(const char *name, const char *in, const char *file, int line,
    const char *msg)
{
	struct nfqd_cfgtext	t;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = text_of(&t, in, &rs);
	CHECKF(r == 1 && rs.n == 1, unit_fmt("%s: one problem", name),
	    "returned %d, %d reported, first \"%s\"", r, rs.n,
	    rs.n > 0 ? rs.r[0].msg : "");
	if (rs.n >= 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		CHECK_STR_EQ(rs.r[0].msg, msg, unit_fmt("%s: message", name));
		CHECK_STR_EQ(rs.r[0].file, path, unit_fmt("%s: file", name));
		CHECK_INT_EQ(rs.r[0].line, line, unit_fmt("%s: line", name));
	}
	nfqd_cfgtext_free(&t);
}

/*
 * Integer literals, as libconfig's scanner cuts tokens: every integer gets
 * an L (64 bits), floats and names keep their digits.
 */
static void
test_integers(void)
{
	static const struct {
		const char	*in;
		const char	*out;		/* NULL: an error */
		int		 type;		/* of a, once parsed */
		long long	 v;
	} cases[] = {
		{ "a = 5;\n", "a = 5L;\n", CONFIG_TYPE_INT64, 5 },
		{ "a = -5;\n", "a = -5L;\n", CONFIG_TYPE_INT64, -5 },
		{ "a = +5;\n", "a = +5L;\n", CONFIG_TYPE_INT64, 5 },
		{ "a = 0;\n", "a = 0L;\n", CONFIG_TYPE_INT64, 0 },
		{ "a = 00012;\n", "a = 00012L;\n", CONFIG_TYPE_INT64, 12 },
		{ "a = 2147483647;\n", "a = 2147483647L;\n",
		    CONFIG_TYPE_INT64, 2147483647LL },
		{ "a = 2147483648;\n", "a = 2147483648L;\n",
		    CONFIG_TYPE_INT64, 2147483648LL },
		{ "a = -2147483648;\n", "a = -2147483648L;\n",
		    CONFIG_TYPE_INT64, -2147483648LL },
		{ "a = -2147483649;\n", "a = -2147483649L;\n",
		    CONFIG_TYPE_INT64, -2147483649LL },
		{ "a = 4294967295;\n", "a = 4294967295L;\n",
		    CONFIG_TYPE_INT64, 4294967295LL },
		{ "a = 4294967297;\n", "a = 4294967297L;\n",
		    CONFIG_TYPE_INT64, 4294967297LL },
		{ "a = 9223372036854775807;\n", "a = 9223372036854775807L;\n",
		    CONFIG_TYPE_INT64, INT64_MAX },
		{ "a = -9223372036854775808;\n",
		    "a = -9223372036854775808L;\n", CONFIG_TYPE_INT64,
		    INT64_MIN },
		{ "a = 9223372036854775808;\n", NULL, 0, 0 },
		{ "a = -9223372036854775809;\n", NULL, 0, 0 },
		{ "a = 99999999999999999999;\n", NULL, 0, 0 },
		{ "a = 99999999999999999999L;\n", NULL, 0, 0 },
		{ "a = 5L;\n", "a = 5L;\n", CONFIG_TYPE_INT64, 5 },
		{ "a = 5LL;\n", "a = 5LL;\n", CONFIG_TYPE_INT64, 5 },
		{ "a = 4294967297L;\n", "a = 4294967297L;\n",
		    CONFIG_TYPE_INT64, 4294967297LL },
		{ "a = 0x10;\n", "a = 0x10L;\n", CONFIG_TYPE_INT64, 16 },
		{ "a = 0X1f;\n", "a = 0X1fL;\n", CONFIG_TYPE_INT64, 31 },
		{ "a = 0x7FFFFFFF;\n", "a = 0x7FFFFFFFL;\n",
		    CONFIG_TYPE_INT64, 0x7FFFFFFFLL },
		{ "a = 0x80000000;\n", "a = 0x80000000L;\n",
		    CONFIG_TYPE_INT64, 0x80000000LL },
		{ "a = 0xFFFFFFFF;\n", "a = 0xFFFFFFFFL;\n",
		    CONFIG_TYPE_INT64, 0xFFFFFFFFLL },
		{ "a = 0x1FFFFFFFF;\n", "a = 0x1FFFFFFFFL;\n",
		    CONFIG_TYPE_INT64, 0x1FFFFFFFFLL },
		{ "a = 0xFFFFFFFFL;\n", "a = 0xFFFFFFFFL;\n",
		    CONFIG_TYPE_INT64, 0xFFFFFFFFLL },
		{ "a = 0x7FFFFFFFFFFFFFFF;\n", "a = 0x7FFFFFFFFFFFFFFFL;\n",
		    CONFIG_TYPE_INT64, INT64_MAX },
		{ "a = 0x000000000000000000001;\n",
		    "a = 0x000000000000000000001L;\n", CONFIG_TYPE_INT64, 1 },
		{ "a = 0x8000000000000000;\n", NULL, 0, 0 },
		{ "a = 0xFFFFFFFFFFFFFFFFL;\n", NULL, 0, 0 },
		{ "a = 1.5;\n", "a = 1.5;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = 1e5;\n", "a = 1e5;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = 1E+5;\n", "a = 1E+5;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = 5.;\n", "a = 5.;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = .5;\n", "a = .5;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = -1.5e-3;\n", "a = -1.5e-3;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = 5.e3;\n", "a = 5.e3;\n", CONFIG_TYPE_FLOAT, 0 },
		{ "a = 4294967297.0;\n", "a = 4294967297.0;\n",
		    CONFIG_TYPE_FLOAT, 0 },
		{ "a = [1, 4294967297];\n", "a = [1L, 4294967297L];\n",
		    CONFIG_TYPE_ARRAY, 0 },
		{ "a = (1, \"2\", 0x3);\n", "a = (1L, \"2\", 0x3L);\n",
		    CONFIG_TYPE_LIST, 0 },
		{ "a1 = 7;\n", "a1 = 7L;\n", 0, 0 },
		{ "x-1 = 2;\n", "x-1 = 2L;\n", 0, 0 },
		{ "*2 = 3;\n", "*2 = 3L;\n", 0, 0 },
		{ "a_9b = 1;\n", "a_9b = 1L;\n", 0, 0 },
		{ "a = \"123 0x5\";\n", "a = \"123 0x5\";\n",
		    CONFIG_TYPE_STRING, 0 },
		{ "a = \"x\\\"1\";\n", "a = \"x\\\"1\";\n", CONFIG_TYPE_STRING,
		    0 },
		{ "# 1\na = 1; // 2\n/* 3\n4 */ b = 5;\n",
		    "# 1\na = 1L; // 2\n/* 3\n4 */ b = 5L;\n",
		    CONFIG_TYPE_INT64, 1 },
		{ "a = 1; b = 2\n", "a = 1L; b = 2L\n", CONFIG_TYPE_INT64, 1 },
		/* Syntax errors either way, the same tokens: */
		{ "a = 1e;\n", "a = 1Le;\n", -1, 0 },
		{ "a = 0x;\n", "a = 0Lx;\n", -1, 0 },
		{ "a = -0x5;\n", "a = -0Lx5;\n", -1, 0 },
		{ "a = 5l;\n", "a = 5Ll;\n", -1, 0 },
	};
	struct nfqd_cfgtext	 t;
	struct unit_reports	 rs;
	config_setting_t	*a;
	config_t		 lc;
	char			 buf[128];
	size_t			 i;
	int			 r, ok;

	for (i = 0; i < NFQD_ARRAY_SIZE(cases); i++) {
		/* The input, for the case names: "a = 5;\\n". */
		const char *in = unit_fmt("%s", unit_visible(cases[i].in, buf,
		    sizeof(buf)));

		r = text_of(&t, cases[i].in, &rs);
		if (cases[i].out == NULL) {
			CHECKF(r == 1 && rs.n == 1 && rs.r[0].line == 1 &&
			    strstr(rs.r[0].msg, " is out of range (") != NULL,
			    unit_fmt("integer %s: out of 64 bits is an error",
			    in), "returned %d, \"%s\"", r,
			    rs.n > 0 ? rs.r[0].msg : "");
			nfqd_cfgtext_free(&t);
			continue;
		}
		CHECK_STR_EQ(r == 0 ? t.buf : "(error)", cases[i].out,
		    unit_fmt("integer %s: text", in));
		config_init(&lc);
		ok = r == 0 && config_read_string(&lc, t.buf) == CONFIG_TRUE;
		if (cases[i].type == -1) {
			CHECK(!ok, unit_fmt("integer %s: still a syntax error",
			    in));
		} else if (cases[i].type != 0) {
			a = ok ? config_lookup(&lc, "a") : NULL;
			CHECKF(a != NULL && config_setting_type(a) ==
			    cases[i].type && (cases[i].type !=
			    CONFIG_TYPE_INT64 || config_setting_get_int64(a) ==
			    cases[i].v), unit_fmt("integer %s: libconfig reads "
			    "type %d, %lld", in, cases[i].type, cases[i].v),
			    "type %d, %lld", a != NULL ?
			    config_setting_type(a) : -1, a != NULL ?
			    config_setting_get_int64(a) : 0);
		} else {
			CHECK(ok, unit_fmt("integer %s: parses", in));
		}
		config_destroy(&lc);
		nfqd_cfgtext_free(&t);
	}
	expect_problem("integer: too large, named at its line",
	    "a = 1;\n\nb = 99999999999999999999;\n", "main.conf", 3,
	    "99999999999999999999 is out of range (-9223372036854775808 to "
	    "9223372036854775807)");
	expect_problem("integer: hex too large",
	    "a = 0x10000000000000000;\n", "main.conf", 1,
	    "0x10000000000000000 is out of range (0 to 0x7FFFFFFFFFFFFFFF)");
	expect_problem("integer: a long one is cut in the message",
	    "a = 1234567890123456789012345678901234567890123456789012345678"
	    "901234567890;\n", "main.conf", 1,
	    "1234567890123456789012345678901234567890123456789012345678901234"
	    "... is out of range (-9223372036854775808 to "
	    "9223372036854775807)");
}

/* Where @include counts, and where it is text. */
static void
test_include_states(void)
{
	put("inc.conf", "b = 2;\n");
	put("nonl.conf", "b = 2;");
	put("empty.conf", "");

	expect_text("include at the start of a line", "@include \"inc.conf\"\n",
	    "b = 2L;\n\n");
	expect_text("include after spaces and tabs",
	    " \t @include \t \"inc.conf\"\n", "b = 2L;\n\n");
	expect_text("include: the rest of its line follows on a new line",
	    "@include \"inc.conf\" c = 3;\n", "b = 2L;\n c = 3L;\n");
	expect_text("include of a file without a final newline",
	    "@include \"nonl.conf\"\nc = 3;\n", "b = 2L;\n\nc = 3L;\n");
	expect_text("include of an empty file", "a = 1;\n@include "
	    "\"empty.conf\"\nc = 3;\n", "a = 1L;\n\nc = 3L;\n");
	expect_text("include: not after other text on the line",
	    "x = 1; @include \"inc.conf\"\n",
	    "x = 1L; @include \"inc.conf\"\n");
	expect_text("include: not without a space before the path",
	    "@include\"inc.conf\"\n", "@include\"inc.conf\"\n");
	expect_text("include: not in capitals", "@INCLUDE \"inc.conf\"\n",
	    "@INCLUDE \"inc.conf\"\n");
	expect_text("a file without a final newline gets one", "a = 1;",
	    "a = 1L;\n");
	expect_text("include: not in a # comment",
	    "# @include \"inc.conf\"\n", "# @include \"inc.conf\"\n");
	expect_text("include: on the line after a // comment",
	    "// x\n@include \"inc.conf\"\n", "// x\nb = 2L;\n\n");
	expect_text("include: not in a /* */ comment over lines",
	    "/* x\n@include \"inc.conf\"\n*/\n",
	    "/* x\n@include \"inc.conf\"\n*/\n");
	expect_text("include: after a /* */ comment closes",
	    "/* x\n*/\n@include \"inc.conf\"\n", "/* x\n*/\nb = 2L;\n\n");
	expect_text("include: not right after */ on the same line",
	    "/* x */@include \"inc.conf\"\n", "/* x */@include \"inc.conf\"\n");
	expect_text("include: /*/ does not close the comment",
	    "/*/\n@include \"inc.conf\"\n*/\n",
	    "/*/\n@include \"inc.conf\"\n*/\n");
	expect_text("include: not in a string over lines",
	    "s = \"a\n@include \\\"inc.conf\\\"\n\";\n",
	    "s = \"a\n@include \\\"inc.conf\\\"\n\";\n");
	expect_text("include: not in a string after an escaped quote",
	    "s = \"a\\\"\n@include \"inc.conf\"\n",
	    "s = \"a\\\"\n@include \"inc.conf\"\n");
	expect_text("include: after a string ending in an escaped backslash",
	    "s = \"a\\\\\";\n@include \"inc.conf\"\n",
	    "s = \"a\\\\\";\nb = 2L;\n\n");
	expect_text("include: a # in a string is no comment",
	    "s = \"#\";\n@include \"inc.conf\"\n", "s = \"#\";\nb = 2L;\n\n");
	expect_text("include: a backslash before another character goes",
	    "@include \"in\\c.conf\"\n", "b = 2L;\n\n");
	expect_text("include: CRLF lines",
	    "a = 1;\r\n@include \"inc.conf\"\r\n", "a = 1L;\r\nb = 2L;\n\r\n");
	expect_problem("include: an escaped backslash stays",
	    "\n@include \"inc\\\\.conf\"\n", "main.conf", 2,
	    "cannot include \"inc\\.conf\": No such file or directory");
	expect_problem("include: \\x41 is x41, not A",
	    "@include \"q\\x41q\"\n", "main.conf", 1,
	    "cannot include \"qx41q\": No such file or directory");
	expect_problem("include: an escaped quote is part of the path",
	    "@include \"a\\\"b\"\n", "main.conf", 1,
	    "cannot include \"a\"b\": No such file or directory");
	expect_problem("include: a path over two lines",
	    "@include \"inc\n.conf\"\n", "main.conf", 1,
	    "cannot include \"inc?.conf\": No such file or directory");
	expect_problem("include: no closing quote", "a = 1;\n@include \"inc",
	    "main.conf", 2, "@include: the path has no closing quote");
	expect_problem("include: an empty path is the directory",
	    "@include \"\"\n", "main.conf", 1,
	    "cannot include \"\": Is a directory");
}

/* A comment or string opened in one file goes on in the next. */
static void
test_include_carry(void)
{
	struct nfqd_cfgtext	 t;
	struct unit_reports	 rs;
	config_t		 lc;
	int			 r;

	put("open-comment.conf", "a = 1; /* open\n");
	put("open-string.conf", "s = \"open\n");
	put("line-comment.conf", "a = 1; # no newline");
	expect_text("carry: a comment opened in an included file",
	    "@include \"open-comment.conf\"\n@include \"inc.conf\"\nx = 1;\n"
	    "*/\ny = 2;\n",
	    "a = 1L; /* open\n\n@include \"inc.conf\"\nx = 1;\n*/\ny = 2L;\n");
	expect_text("carry: a string opened in an included file",
	    "@include \"open-string.conf\"\n@include \"inc.conf\"\n\";\n",
	    "s = \"open\n\n@include \"inc.conf\"\n\";\n");
	expect_text("carry: a # comment ends with its file",
	    "@include \"line-comment.conf\"\nb = 2;\n",
	    "a = 1L; # no newline\n\nb = 2L;\n");

	r = text_of(&t, "@include \"open-comment.conf\"\nx = 1;\n*/\ny = 2;\n",
	    &rs);
	config_init(&lc);
	CHECK(r == 0 && config_read_string(&lc, t.buf) == CONFIG_TRUE &&
	    config_lookup(&lc, "x") == NULL && config_lookup(&lc, "y") != NULL,
	    "carry: libconfig reads y but not x, which is commented out");
	config_destroy(&lc);
	nfqd_cfgtext_free(&t);
}

/* Nested, relative and absolute; depth and cycles. */
static void
test_include_files(void)
{
	static char	big[101 * 24 + 1], nl[99 * 101 + 1];
	char	path[PATH_MAX], text[PATH_MAX + 64], name[32];
	int	i;

	if (!CHECK(mkdir(unit_fmt("%s/sub", dir), 0700) == 0,
	    "include: subdirectory"))
		return;
	put("sub/a.conf", "@include \"sub/b.conf\"\na = 1;\n");
	put("sub/b.conf", "b = 2;\n");
	put("sub/c.conf", "@include \"b.conf\"\n");
	expect_text("nested include, relative to the main file's directory",
	    "@include \"sub/a.conf\"\n", "b = 2L;\n\na = 1L;\n\n");
	expect_problem("nested include is not relative to the including file",
	    "@include \"sub/c.conf\"\n", "sub/c.conf", 1,
	    "cannot include \"b.conf\": No such file or directory");
	snprintf(path, sizeof(path), "%s/sub/b.conf", dir);
	snprintf(text, sizeof(text), "@include \"%s\"\n", path);
	expect_text("absolute include", text, "b = 2L;\n\n");

	/* d0 includes d1 ... d10 includes d11: 11 deep, one too many. */
	for (i = 0; i <= 11; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		put(name, i < 11 ? unit_fmt("x%d = %d;\n@include "
		    "\"d%d.conf\"\n", i, i, i + 1) : "x11 = 11;\n");
	}
	expect_problem("include nested 11 deep",
	    "@include \"d1.conf\"\n", "d10.conf", 2,
	    "cannot include \"d11.conf\": @include is nested more than 10 "
	    "deep");
	put("d10.conf", "x10 = 10;\n");
	expect_text("include nested 10 deep", "@include \"d1.conf\"\n",
	    "x1 = 1L;\nx2 = 2L;\nx3 = 3L;\nx4 = 4L;\nx5 = 5L;\nx6 = 6L;\n"
	    "x7 = 7L;\nx8 = 8L;\nx9 = 9L;\nx10 = 10L;\n\n\n\n\n\n\n\n\n\n\n");

	put("self.conf", "a = 1;\n@include \"self.conf\"\n");
	snprintf(text, sizeof(text), "cannot include \"self.conf\": an include "
	    "cycle (%s/self.conf is being read already)", dir);
	expect_problem("include of itself", "@include \"self.conf\"\n",
	    "self.conf", 2, text);
	put("ping.conf", "@include \"pong.conf\"\n");
	put("pong.conf", "\n@include \"ping.conf\"\n");
	snprintf(text, sizeof(text), "cannot include \"ping.conf\": an include "
	    "cycle (%s/ping.conf is being read already)", dir);
	expect_problem("include cycle of two files", "@include \"ping.conf\"\n",
	    "pong.conf", 2, text);
	put("twice.conf", "@include \"sub/b.conf\"\n@include \"sub/b.conf\"\n");
	expect_text("the same file twice is no cycle",
	    "@include \"twice.conf\"\n", "b = 2L;\n\nb = 2L;\n\n\n");
	/*
	 * 101 of a file of 100: the 10,001st @include, the first of its
	 * 100th reading, is one too many, and said once.
	 */
	put("empty.conf", "");
	for (i = 0, text[0] = '\0'; i < 100; i++)
		strcat(text, "@include \"empty.conf\"\n");
	put("hundred.conf", text);
	big[0] = '\0';
	for (i = 0; i < 101; i++)
		strcat(big, "@include \"hundred.conf\"\n");
	expect_problem("more than 10,000 includes in all", big,
	    "hundred.conf", 1, unit_fmt("cannot include \"empty.conf\": "
	    "more than %d @include in all (each counted every time it is "
	    "read)", NFQD_CFGTEXT_INCLUDES));
	/* 99 of them: 9,999, each line a newline of the text. */
	big[strlen(big) - 2 * 24] = '\0';
	memset(nl, '\n', 99 * 101);
	expect_text("9,999 includes in all", big, nl);
}

/*
 * A UTF-8 byte-order mark at the start of a file, as some Windows editors
 * write, is skipped, in the main file and in an included one; the lines
 * after it keep their numbers.  One anywhere else is left to libconfig.
 */
static void
test_bom(void)
{
	put("bom.conf", "\xef\xbb\xbf" "c = 3;\n");
	expect_text("a byte-order mark is skipped",
	    "\xef\xbb\xbf" "a = 1;\n", "a = 1L;\n");
	expect_text("a byte-order mark, then @include on line 1",
	    "\xef\xbb\xbf" "@include \"bom.conf\"\n", "c = 3L;\n\n");
	expect_text("an included file's byte-order mark is skipped",
	    "a = 1;\n@include \"bom.conf\"\n", "a = 1L;\nc = 3L;\n\n");
	expect_text("a byte-order mark alone is an empty file",
	    "\xef\xbb\xbf", "");
	expect_text("a byte-order mark past the start is kept",
	    "a = 1;\n\xef\xbb\xbf", "a = 1L;\n\xef\xbb\xbf\n");
	expect_problem("a byte-order mark: the lines keep their numbers",
	    "\xef\xbb\xbf" "\n@include \"none.conf\"\n", "main.conf", 2,
	    "cannot include \"none.conf\": No such file or directory");
}

/* Only regular files are read; none of these may hang or end the test. */
static void
test_not_regular(void)
{
	struct nfqd_cfgtext	t;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	uint64_t		t0;
	int			r, fd;

	if (!CHECK(mkdir(unit_fmt("%s/a\\b", dir), 0700) == 0 &&
	    mkdir(unit_fmt("%s/adir", dir), 0700) == 0 &&
	    mkfifo(unit_fmt("%s/fifo", dir), 0600) == 0 &&
	    symlink("adir", unit_fmt("%s/link", dir)) == 0,
	    "not regular: a directory, a FIFO and a link"))
		return;
	expect_problem("include of a directory", "\n@include \"adir\"\n",
	    "main.conf", 2, "cannot include \"adir\": Is a directory");
	expect_problem("include of a directory by an escaped path",
	    "@include \"a\\\\b\"\n", "main.conf", 1,
	    "cannot include \"a\\b\": Is a directory");
	expect_problem("include of a link to a directory",
	    "@include \"link\"\n", "main.conf", 1,
	    "cannot include \"link\": Is a directory");
	t0 = nfqd_now_ns();
	expect_problem("include of a FIFO", "@include \"fifo\"\n", "main.conf",
	    1, "cannot include \"fifo\": not a regular file");
	CHECK(nfqd_now_ns() - t0 < 2000000000ull,
	    "include of a FIFO does not wait for a writer");
	expect_problem("include of /dev/zero", "@include \"/dev/zero\"\n",
	    "main.conf", 1, "cannot include \"/dev/zero\": not a regular file");
	expect_problem("include of /dev/null", "@include \"/dev/null\"\n",
	    "main.conf", 1, "cannot include \"/dev/null\": not a regular file");

	/* The main file itself, by path. */
	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, unit_collect, &rs);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	r = nfqd_cfgtext_read(&t, path);
	CHECK(r == 1 && rs.n == 1 && rs.r[0].line == 0 && strcmp(rs.r[0].msg,
	    "cannot read: not a regular file") == 0,
	    "main file a FIFO: cannot read: not a regular file");
	nfqd_cfgtext_free(&t);
	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, unit_collect, &rs);
	r = nfqd_cfgtext_read(&t, unit_fmt("%s/missing.conf", dir));
	CHECK(r == 1 && rs.n == 1 && rs.r[0].line == 0 && strcmp(rs.r[0].msg,
	    "cannot open: No such file or directory") == 0,
	    "main file missing: cannot open: No such file or directory");
	nfqd_cfgtext_free(&t);

	/* Without a directory (the fuzzer's text): no @include at all. */
	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, unit_collect, &rs);
	r = nfqd_cfgtext_set(&t, "text", "@include \"/dev/null\"\n", 21, NULL);
	CHECK(r == 1 && rs.n == 1 && strcmp(rs.r[0].msg, "cannot include "
	    "\"/dev/null\": @include is not available here") == 0,
	    "no directory: @include is refused");
	nfqd_cfgtext_free(&t);

	fd = open(unit_fmt("%s/nul.conf", dir), O_WRONLY | O_CREAT | O_TRUNC,
	    0600);
	CHECK(fd != -1 && write(fd, "a = 1;\nb = 2;\0c = 3;\n", 21) == 21 &&
	    close(fd) == 0, "not regular: writing nul.conf");
	expect_problem("a NUL byte in an included file",
	    "@include \"nul.conf\"\n", "nul.conf", 2,
	    "a NUL byte: this is not a text file");
}

/* The cap on bytes read, over the main file and what it includes. */
static void
test_size_cap(void)
{
	static const char	twice[] = "@include \"forty.conf\"\n"
				    "@include \"forty.conf\"\n";
	struct nfqd_cfgtext	t;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			fd, r;

	put("forty.conf", "a = 123456789;\nb = 123456789;\nc = 1234;\n");
	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, 100, unit_collect, &rs);
	r = nfqd_cfgtext_set(&t, unit_fmt("%s/main.conf", dir), twice,
	    strlen(twice), dir);
	CHECKF(r == 1 && rs.n == 1 && rs.r[0].line == 2 && strcmp(rs.r[0].msg,
	    "cannot include \"forty.conf\": too large: 40 bytes (a "
	    "configuration, with what it includes, may have 100 bytes)") == 0,
	    "size cap: counts the included files", "%d, line %d, \"%s\"", r,
	    rs.n > 0 ? rs.r[0].line : 0, rs.n > 0 ? rs.r[0].msg : "");
	nfqd_cfgtext_free(&t);

	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, 100, unit_collect, &rs);
	r = nfqd_cfgtext_set(&t, "text", "@include \"forty.conf\"\n", 22, dir);
	CHECK(r == 0 && rs.n == 0, "size cap: 62 of 100 bytes is fine");
	nfqd_cfgtext_free(&t);

	/* Sparse: no disk used; refused on its size, nothing read. */
	snprintf(path, sizeof(path), "%s/huge.conf", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    ftruncate(fd, (off_t)NFQD_CFGTEXT_MAX + 1) == -1) {
		CHECK(0, "size cap: a sparse file");
		return;
	}
	close(fd);
	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, unit_collect, &rs);
	r = nfqd_cfgtext_read(&t, path);
	CHECK_STR_EQ(rs.n == 1 ? rs.r[0].msg : "", "cannot read: too large: "
	    "268435457 bytes (a configuration, with what it includes, may have "
	    "256 MiB)", "size cap: a main file over 256 MiB");
	nfqd_cfgtext_free(&t);
	expect_problem("size cap: an included file over 256 MiB",
	    "@include \"huge.conf\"\n", "main.conf", 1, "cannot include "
	    "\"huge.conf\": too large: 268435457 bytes (a configuration, with "
	    "what it includes, may have 256 MiB)");
	unlink(path);
}

/* Every line of the text maps back to its file and line. */
static void
test_line_map(void)
{
	struct nfqd_cfgtext	 t;
	struct unit_reports	 rs;
	config_setting_t	*s;
	config_t		 lc;
	const char		*f;
	char			 want[PATH_MAX];
	int			 line, r;
	size_t			 i;
	static const struct {
		const char	*name;
		const char	*file;
		int		 line;
	} where[] = {
		{ "a", "main.conf", 1 },
		{ "m1", "m1.conf", 3 },
		{ "m2", "m2.conf", 1 },
		{ "m1b", "m1.conf", 5 },
		{ "c", "main.conf", 4 },
		{ "d", "main.conf", 7 },
		{ "e", "main.conf", 10 },
	};

	put("m1.conf", "\n\nm1 = 1;\n@include \"m2.conf\"\nm1b = 2;");
	put("m2.conf", "m2 = 1;\n");
	r = text_of(&t, "a = 1;\n@include\t\"m1.conf\"\n\nc = 3;\n"
	    "@include \"em\npty.conf\"\nd = 4;\n@include \"empty.conf\"\n"
	    "\ne = 5;\n",
	    &rs);
	/* The two-line path names no file: one problem, then go on. */
	CHECK(r == 1 && rs.n == 1 && rs.r[0].line == 5,
	    "line map: the missing include is reported at its line");
	config_init(&lc);
	if (!CHECK(config_read_string(&lc, t.buf) == CONFIG_TRUE,
	    "line map: libconfig reads the text"))
		goto out;
	for (i = 0; i < NFQD_ARRAY_SIZE(where); i++) {
		s = config_lookup(&lc, where[i].name);
		if (!CHECK(s != NULL, unit_fmt("line map: %s is there",
		    where[i].name)))
			continue;
		f = nfqd_cfgtext_where(&t, (int)config_setting_source_line(s),
		    &line);
		snprintf(want, sizeof(want), "%s/%s", dir, where[i].file);
		CHECK_STR_EQ(f, want, unit_fmt("line map: %s is in %s",
		    where[i].name, where[i].file));
		CHECK_INT_EQ(line, where[i].line, unit_fmt("line map: %s is "
		    "at line %d", where[i].name, where[i].line));
	}
	f = nfqd_cfgtext_where(&t, 0, &line);
	CHECK(line == 0 && strcmp(f, unit_fmt("%s/main.conf", dir)) == 0,
	    "line map: line 0 is the main file's");
out:
	config_destroy(&lc);
	nfqd_cfgtext_free(&t);

	/* A syntax error in an included file: libconfig's line, mapped. */
	put("syntax.conf", "x = 1;\ny = ;\n");
	r = text_of(&t, "a = 1;\n@include \"syntax.conf\"\n", &rs);
	config_init(&lc);
	CHECK(r == 0 && config_read_string(&lc, t.buf) == CONFIG_FALSE,
	    "line map: a syntax error in an included file");
	f = nfqd_cfgtext_where(&t, config_error_line(&lc), &line);
	CHECK(strcmp(f, unit_fmt("%s/syntax.conf", dir)) == 0 && line == 2,
	    "line map: the syntax error is at syntax.conf:2");
	config_destroy(&lc);
	nfqd_cfgtext_free(&t);
}

/*
 * Settings of two trees, in order: names, types (INT and INT64 alike),
 * values, and where each came from.  libconfig read a from the files
 * itself; b is ours.
 */
static int
same_tree(const config_setting_t *a, const config_setting_t *b,
    const struct nfqd_cfgtext *t, const char *main, char *diff, size_t len)
{
	const char	*fa, *fb, *na = config_setting_name(a);
	const char	*nb = config_setting_name(b);
	char		 pa[PATH_MAX];
	int		 ta = config_setting_type(a);
	int		 tb = config_setting_type(b);
	int		 la, lb, i, n;

	if (ta == CONFIG_TYPE_INT)
		ta = CONFIG_TYPE_INT64;
	if (tb == CONFIG_TYPE_INT)
		tb = CONFIG_TYPE_INT64;
	if ((na == NULL) != (nb == NULL) || (na != NULL && strcmp(na, nb)) ||
	    ta != tb) {
		snprintf(diff, len, "%s/%s: names or types differ",
		    na ? na : "-", nb ? nb : "-");
		return 0;
	}
	fa = config_setting_source_file(a);
	if (fa == NULL)
		fa = main;
	else if (fa[0] != '/')
		fa = (snprintf(pa, sizeof(pa), "%s/%s", dir, fa), pa);
	la = (int)config_setting_source_line(a);
	fb = nfqd_cfgtext_where(t, (int)config_setting_source_line(b), &lb);
	if (config_setting_parent(a) != NULL && (strcmp(fa, fb) != 0 ||
	    la != lb)) {
		snprintf(diff, len, "%s: at %s:%d, ours %s:%d", na ? na : "-",
		    fa, la, fb, lb);
		return 0;
	}
	switch (ta) {
	case CONFIG_TYPE_INT64:
		if (config_setting_get_int64(a) != config_setting_get_int64(b))
			goto value;
		return 1;
	case CONFIG_TYPE_FLOAT:
		if (config_setting_get_float(a) != config_setting_get_float(b))
			goto value;
		return 1;
	case CONFIG_TYPE_BOOL:
		if (config_setting_get_bool(a) != config_setting_get_bool(b))
			goto value;
		return 1;
	case CONFIG_TYPE_STRING:
		if (strcmp(config_setting_get_string(a),
		    config_setting_get_string(b)) != 0)
			goto value;
		return 1;
	}
	n = config_setting_length(a);
	if (n != config_setting_length(b)) {
		snprintf(diff, len, "%s: %d or %d elements", na ? na : "-", n,
		    config_setting_length(b));
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!same_tree(config_setting_get_elem(a, (unsigned)i),
		    config_setting_get_elem(b, (unsigned)i), t, main, diff,
		    len))
			return 0;
	return 1;
value:
	snprintf(diff, len, "%s: the values differ", na ? na : "-");
	return 0;
}

/*
 * libconfig reads the same settings from our text as from the files, at
 * the same files and lines; a syntax error is at the same place too.
 */
static void
test_same_as_libconfig(void)
{
	static const struct {
		const char	*name;
		const char	*main;
	} cases[] = {
		{ "groups, lists, arrays, every type",
		    "# head\ng = { i = 1; h = 0x1f; l = 5L; f = 1.5e3;\n"
		    "  b = true; s = \"a\\\"b\\\\c\\n\\x41\" \"d\"; };\n"
		    "l = ( 1, \"x\", ( 2.5 ), { n = -3; } );\n"
		    "a = [ 1, 2, 3 ];\nc : 7;\n" },
		{ "comments everywhere",
		    "/* a */ x = /* b\n c */ 1; // d\ny = 2; # e\n"
		    "/*\n*/z = 3;\n" },
		{ "includes at each depth",
		    "a = 1;\n@include \"x1.conf\"\nb = 2;\n"
		    "  @include \"x4.conf\"\nc = { d = 4; };\n" },
		{ "the same setting twice, from two files",
		    "x2 = 1;\n\n@include \"x2.conf\"\n" },
		{ "an include inside a group",
		    "g = {\n@include \"x2.conf\"\n  k = 9;\n};\n" },
		{ "a syntax error in the main file", "a = 1;\nb = ;\n" },
		{ "a syntax error in an included file",
		    "a = 1;\n@include \"x3.conf\"\n" },
		{ "unterminated group", "g = {\n a = 1;\n" },
	};
	struct nfqd_cfgtext	 t;
	struct unit_reports	 rs;
	config_t		 la, lb;
	FILE			*fp;
	char			 path[PATH_MAX], diff[2 * PATH_MAX];
	const char		*f;
	size_t			 i;
	int			 oka, okb, line;

	put("x1.conf", "x1a = 10;\n\n@include \"x2.conf\"\nx1b = \"s\";\n");
	put("x2.conf", "x2 = 20;\n");
	put("x3.conf", "q = 1;\n\nr = {\n");
	put("x4.conf", "\n\tx4 = 40;\n");
	for (i = 0; i < NFQD_ARRAY_SIZE(cases); i++) {
		put("same.conf", cases[i].main);
		snprintf(path, sizeof(path), "%s/same.conf", dir);
		config_init(&la);
		config_set_include_dir(&la, dir);
		oka = (fp = fopen(path, "r")) != NULL &&
		    config_read(&la, fp) == CONFIG_TRUE;
		if (fp != NULL)
			fclose(fp);
		memset(&rs, 0, sizeof(rs));
		nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, unit_collect, &rs);
		config_init(&lb);
		okb = nfqd_cfgtext_read(&t, path) == 0 &&
		    config_read_string(&lb, t.buf) == CONFIG_TRUE;
		CHECKF(oka == okb, unit_fmt("as libconfig: %s: %s",
		    cases[i].name, oka ? "parses" : "does not parse"),
		    "libconfig %d, ours %d", oka, okb);
		if (oka && okb) {
			diff[0] = '\0';
			CHECKF(same_tree(config_root_setting(&la),
			    config_root_setting(&lb), &t, path, diff,
			    sizeof(diff)), unit_fmt("as libconfig: %s: the "
			    "same settings at the same lines", cases[i].name),
			    "%s", diff);
		} else if (!oka && !okb) {
			f = nfqd_cfgtext_where(&t, config_error_line(&lb),
			    &line);
			snprintf(diff, sizeof(diff), "%s%s%s",
			    config_error_file(&la) != NULL ? dir : "",
			    config_error_file(&la) != NULL ? "/" : "",
			    config_error_file(&la) != NULL ?
			    config_error_file(&la) : path);
			CHECKF(strcmp(f, diff) == 0 &&
			    line == config_error_line(&la) &&
			    strcmp(config_error_text(&la),
			    config_error_text(&lb)) == 0,
			    unit_fmt("as libconfig: %s: the same error at the "
			    "same line", cases[i].name), "libconfig %s:%d %s, "
			    "ours %s:%d %s", diff, config_error_line(&la),
			    config_error_text(&la), f, line,
			    config_error_text(&lb));
		}
		config_destroy(&la);
		config_destroy(&lb);
		nfqd_cfgtext_free(&t);
	}
}

int
main(void)
{
	int	rc;

	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_integers();
	test_include_states();
	test_include_carry();
	test_include_files();
	test_bom();
	test_not_regular();
	test_size_cap();
	test_line_map();
	test_same_as_libconfig();
	rc = unit_done();
	if (unit_rmtree(dir) == -1) {
		perror(dir);
		rc = 1;
	}
	return rc;
}
