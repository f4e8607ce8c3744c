/*
 * Unit tests for src/util.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/nfqd.h"
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
		{ "1T",		1099511627776ull },
		{ "3t",		3ull << 40 },
		{ "1TB",	1099511627776ull },
		{ "1TiB",	1099511627776ull },
		{ "16777215T",	16777215ull << 40 },
	};
	static const char *const bad[] = {
		"8X", "", "M", "-1", "1.5M", "99999999999999999999", "8 M",
		"8MBB", "8Mb", "8B", "8iB", " 8M", "+8", "17179869184G",
		"18446744073709551616", "16777216T", "99999999999T", "T",
		"1TT", "1Tb",
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

/* Entries of d whose name contains needle (all with NULL), . and .. aside. */
static int
count_entries(const char *d, const char *needle)
{
	DIR		*dp;
	struct dirent	*de;
	int		 n = 0;

	if ((dp = opendir(d)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (needle == NULL || strstr(de->d_name, needle) != NULL)
			n++;
	}
	closedir(dp);
	return n;
}

static int
is_kind(const char *path, mode_t kind)
{
	struct stat	sb;

	return lstat(path, &sb) == 0 && (sb.st_mode & S_IFMT) == kind;
}

static void
test_write_atomic(const char *top)
{
	char		wdir[PATH_MAX + 16], path[PATH_MAX + 64], buf[256];
	char		err[2 * PATH_MAX + 256];
	struct stat	sb;
	mode_t		old;
	int		r;

	snprintf(wdir, sizeof(wdir), "%s/atomic", top);
	if (!CHECK(mkdir(wdir, 0700) == 0, "atomic: directory"))
		return;
	old = umask(077);
	snprintf(path, sizeof(path), "%s/stats.json", wdir);

	r = nfqd_write_file_atomic(path, "first\n", 6, 0644, err, sizeof(err));
	CHECKF(r == 0 && err[0] == '\0', "atomic: write a new file",
	    "got %d, \"%s\"", r, err);
	CHECK(unit_read_text(path, buf, sizeof(buf)) == 6 &&
	    strcmp(buf, "first\n") == 0, "atomic: content");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0644,
	    "atomic: mode 0644 despite umask 077");

	if (chmod(path, 0600) == -1)
		CHECK(0, "atomic: chmod");
	r = nfqd_write_file_atomic(path, "second, longer\n", 15, 0644, err,
	    sizeof(err));
	CHECK_INT_EQ(r, 0, "atomic: replace an existing file");
	CHECK(unit_read_text(path, buf, sizeof(buf)) == 15 &&
	    strcmp(buf, "second, longer\n") == 0, "atomic: replaced content");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0644,
	    "atomic: replaced file has mode 0644");

	r = nfqd_write_file_atomic(path, "x", 1, 0644, err, sizeof(err));
	CHECK(r == 0 && unit_read_text(path, buf, sizeof(buf)) == 1 &&
	    strcmp(buf, "x") == 0, "atomic: shorter content leaves no tail");

	r = nfqd_write_file_atomic(path, "", 0, 0600, err, sizeof(err));
	CHECK(r == 0 && stat(path, &sb) == 0 && sb.st_size == 0 &&
	    (sb.st_mode & 07777) == 0600, "atomic: empty file, mode 0600");

	CHECK_INT_EQ(count_entries(wdir, NULL), 1,
	    "atomic: no temporary files left");

	snprintf(path, sizeof(path), "%s/missing/stats.json", wdir);
	errno = 0;
	r = nfqd_write_file_atomic(path, "x", 1, 0644, err, sizeof(err));
	CHECKF(r == -1 && errno == ENOENT,
	    "atomic: a missing directory fails with ENOENT", "got %d, %s", r,
	    strerror(errno));
	CHECKF(strncmp(err, "open(", 5) == 0 && strstr(err, path) != NULL &&
	    strstr(err, strerror(ENOENT)) != NULL,
	    "atomic: the message names the call and the path", "\"%s\"", err);
	CHECK_INT_EQ(count_entries(wdir, NULL), 1,
	    "atomic: failure leaves nothing behind");
	umask(old);
	snprintf(path, sizeof(path), "%s/stats.json", wdir);
	unlink(path);
	rmdir(wdir);
}

/*
 * What someone with write access to the directory could plant: a FIFO (an
 * open() without O_NONBLOCK would wait for a writer forever), a symbolic
 * link (written through, it would redirect nfqd's write), a directory.
 */
static void
test_write_planted(const char *top)
{
	char		wdir[PATH_MAX + 16], path[PATH_MAX + 64];
	char		tmp[PATH_MAX + 128];
	char		target[PATH_MAX + 64], buf[256];
	char		err[2 * PATH_MAX + 256];
	int		r;

	snprintf(wdir, sizeof(wdir), "%s/planted", top);
	if (!CHECK(mkdir(wdir, 01777) == 0 && chmod(wdir, 01777) == 0,
	    "planted: a sticky world-writable directory, like /tmp"))
		return;
	snprintf(path, sizeof(path), "%s/stats.json", wdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	snprintf(target, sizeof(target), "%s/target", wdir);

	/* A FIFO at the temporary name: another name is used. */
	CHECK(mkfifo(tmp, 0666) == 0, "planted: FIFO at the temporary name");
	r = nfqd_write_file_atomic(path, "one\n", 4, 0644, err, sizeof(err));
	CHECKF(r == 0, "planted: FIFO at the temporary name: written anyway",
	    "got %d, \"%s\"", r, err);
	CHECK(unit_read_text(path, buf, sizeof(buf)) == 4 &&
	    strcmp(buf, "one\n") == 0 && is_kind(path, S_IFREG),
	    "planted: FIFO at the temporary name: content in place");
	CHECKF(strstr(err, tmp) != NULL && strstr(err, "a FIFO is in the way")
	    != NULL, "planted: FIFO at the temporary name: reported",
	    "\"%s\"", err);
	CHECK(is_kind(tmp, S_IFIFO), "planted: the FIFO is left alone");
	CHECK_INT_EQ(count_entries(wdir, ".tmp."), 1,
	    "planted: no temporary file of ours left");

	/* A symbolic link at the temporary name: never written through. */
	unlink(tmp);
	CHECK(unit_write_text(target, "theirs\n") == 0 &&
	    symlink(target, tmp) == 0,
	    "planted: symlink at the temporary name");
	r = nfqd_write_file_atomic(path, "two\n", 4, 0644, err, sizeof(err));
	CHECK(r == 0 && unit_read_text(path, buf, sizeof(buf)) == 4 &&
	    strcmp(buf, "two\n") == 0,
	    "planted: symlink at the temporary name: written anyway");
	CHECK(unit_read_text(target, buf, sizeof(buf)) == 7 &&
	    strcmp(buf, "theirs\n") == 0 && is_kind(tmp, S_IFLNK),
	    "planted: symlink at the temporary name: its target untouched");
	unlink(tmp);

	/* A directory at the temporary name. */
	CHECK(mkdir(tmp, 0755) == 0,
	    "planted: directory at the temporary name");
	r = nfqd_write_file_atomic(path, "three\n", 6, 0644, err, sizeof(err));
	CHECK(r == 0 && unit_read_text(path, buf, sizeof(buf)) == 6,
	    "planted: directory at the temporary name: written anyway");
	CHECK(is_kind(tmp, S_IFDIR), "planted: the directory is left alone");
	rmdir(tmp);

	/* A symbolic link at the final name: refused, not replaced. */
	unlink(path);
	CHECK(symlink(target, path) == 0, "planted: symlink at the final name");
	errno = 0;
	r = nfqd_write_file_atomic(path, "four\n", 5, 0644, err, sizeof(err));
	CHECKF(r == -1 && errno == ELOOP,
	    "planted: symlink at the final name: refused (ELOOP)",
	    "got %d, %s", r, strerror(errno));
	CHECKF(strstr(err, "refusing to replace") != NULL &&
	    strstr(err, path) != NULL && strstr(err, "a symbolic link") != NULL,
	    "planted: symlink at the final name: the message says what",
	    "\"%s\"", err);
	CHECK(is_kind(path, S_IFLNK) && unit_read_text(target, buf,
	    sizeof(buf)) == 7 && strcmp(buf, "theirs\n") == 0,
	    "planted: symlink at the final name: link and target untouched");
	CHECK_INT_EQ(count_entries(wdir, ".tmp."), 0,
	    "planted: symlink at the final name: no temporary file left");
	unlink(path);

	/* A FIFO at the final name: refused at once. */
	CHECK(mkfifo(path, 0666) == 0, "planted: FIFO at the final name");
	errno = 0;
	r = nfqd_write_file_atomic(path, "five\n", 5, 0644, err, sizeof(err));
	CHECKF(r == -1 && errno == EEXIST && strstr(err, "a FIFO") != NULL,
	    "planted: FIFO at the final name: refused", "got %d, %s, \"%s\"",
	    r, strerror(errno), err);
	CHECK(is_kind(path, S_IFIFO), "planted: FIFO at the final name: kept");
	unlink(path);

	/* A directory at the final name. */
	CHECK(mkdir(path, 0700) == 0, "planted: directory at the final name");
	errno = 0;
	r = nfqd_write_file_atomic(path, "x", 1, 0644, err, sizeof(err));
	CHECKF(r == -1 && errno == EISDIR && strstr(err, "a directory") != NULL,
	    "planted: directory at the final name: refused (EISDIR)",
	    "got %d, %s, \"%s\"", r, strerror(errno), err);
	CHECK_INT_EQ(count_entries(wdir, ".tmp."), 0,
	    "planted: directory at the final name: no temporary file left");
	rmdir(path);

	/* Someone else's file at the final name (needs root to make). */
	if (geteuid() == 0) {
		CHECK(unit_write_text(path, "theirs\n") == 0 &&
		    chown(path, 65534, 65534) == 0,
		    "planted: a file of uid 65534 at the final name");
		errno = 0;
		r = nfqd_write_file_atomic(path, "x", 1, 0644, err,
		    sizeof(err));
		CHECKF(r == -1 && errno == EPERM &&
		    strstr(err, "belongs to uid 65534") != NULL,
		    "planted: someone else's file at the final name: refused",
		    "got %d, %s, \"%s\"", r, strerror(errno), err);
		unlink(path);
	}
	unlink(target);
	CHECK_INT_EQ(count_entries(wdir, NULL), 0, "planted: all removed");
	rmdir(wdir);
}

/* The temporary name: the first one taken, another is made (EEXIST). */
static void
test_tmpfile(const char *top)
{
	char		path[PATH_MAX + 64], first[PATH_MAX + 128];
	char		tmp[PATH_MAX + 128], err[2 * PATH_MAX + 256];
	struct stat	sb;
	mode_t		old;
	int		fd, fd2;

	snprintf(path, sizeof(path), "%s/region", top);
	snprintf(first, sizeof(first), "%s.tmp.%d", path, (int)getpid());

	old = umask(077);
	fd = nfqd_tmpfile(path, 0644, tmp, sizeof(tmp), err, sizeof(err));
	CHECKF(fd != -1 && strcmp(tmp, first) == 0 && err[0] == '\0',
	    "tmpfile: the first name is PATH.tmp.PID", "got %d \"%s\" \"%s\"",
	    fd, tmp, err);
	CHECK(fd != -1 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 07777) == 0644 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "tmpfile: a regular file, mode 0644 despite umask 077, "
	    "close-on-exec");

	/* Ours is there now: the next call must not open it again. */
	fd2 = nfqd_tmpfile(path, 0600, tmp, sizeof(tmp), err, sizeof(err));
	CHECKF(fd2 != -1 && strncmp(tmp, first, strlen(first)) == 0 &&
	    tmp[strlen(first)] == '.' && strlen(tmp) == strlen(first) + 9,
	    "tmpfile: EEXIST: retried under PATH.tmp.PID.RANDOM",
	    "got %d \"%s\"", fd2, tmp);
	CHECKF(strstr(err, first) != NULL && strstr(err, "a regular file is "
	    "in the way") != NULL, "tmpfile: EEXIST: noted", "\"%s\"", err);
	CHECK(fd2 != -1 && fstat(fd2, &sb) == 0 && sb.st_size == 0 &&
	    (sb.st_mode & 07777) == 0600, "tmpfile: the retry is a new file");
	umask(old);
	if (fd != -1)
		close(fd);
	if (fd2 != -1) {
		close(fd2);
		unlink(tmp);
	}
	unlink(first);
}

static void
test_open_own(const char *top)
{
	char	path[PATH_MAX + 64], other[PATH_MAX + 64];
	char	err[2 * PATH_MAX + 256];
	int	fd;

	snprintf(path, sizeof(path), "%s/pid", top);
	snprintf(other, sizeof(other), "%s/other", top);

	fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err, sizeof(err));
	CHECKF(fd != -1, "open_own: creates a missing file", "\"%s\"", err);
	if (fd != -1)
		close(fd);
	fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err, sizeof(err));
	CHECK(fd != -1, "open_own: opens an existing file of ours");
	if (fd != -1)
		close(fd);

	CHECK(link(path, other) == 0, "open_own: a second name (hard link)");
	fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err, sizeof(err));
	CHECKF(fd == -1 && errno == EMLINK && strstr(err, "2 names") != NULL,
	    "open_own: a file with two names is refused", "got %d, \"%s\"",
	    fd, err);
	unlink(other);
	unlink(path);

	CHECK(mkfifo(path, 0666) == 0, "open_own: a FIFO");
	fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err, sizeof(err));
	CHECKF(fd == -1 && strstr(err, "refusing to use") != NULL &&
	    strstr(err, "a FIFO") != NULL,
	    "open_own: a FIFO is refused without waiting", "got %d, \"%s\"",
	    fd, err);
	unlink(path);
	/* Opened write-only, a FIFO without a reader fails at once (ENXIO). */
	CHECK(mkfifo(path, 0666) == 0, "open_own: a FIFO again");
	fd = nfqd_open_own(path, O_WRONLY | O_CREAT, 0644, err, sizeof(err));
	CHECKF(fd == -1 && strstr(err, "refusing to open") != NULL &&
	    strstr(err, "a FIFO") != NULL,
	    "open_own: a FIFO opened for writing is refused without waiting",
	    "got %d, \"%s\"", fd, err);
	unlink(path);

	CHECK(unit_write_text(other, "x") == 0 && symlink(other, path) == 0,
	    "open_own: a symbolic link");
	fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err, sizeof(err));
	CHECKF(fd == -1 && errno == ELOOP && strstr(err, "a symbolic link"),
	    "open_own: a symbolic link is not followed", "got %d, \"%s\"",
	    fd, err);
	unlink(path);
	unlink(other);

	CHECK(mkdir(path, 0755) == 0, "open_own: a directory");
	fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err, sizeof(err));
	CHECKF(fd == -1 && strstr(err, "a directory") != NULL,
	    "open_own: a directory is refused", "got %d, \"%s\"", fd, err);
	rmdir(path);

	if (geteuid() == 0) {
		CHECK(unit_write_text(path, "x") == 0 &&
		    chown(path, 65534, 65534) == 0,
		    "open_own: a file of uid 65534");
		fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err,
		    sizeof(err));
		CHECKF(fd == -1 && errno == EPERM &&
		    strstr(err, "belongs to uid 65534") != NULL,
		    "open_own: someone else's file is refused",
		    "got %d, \"%s\"", fd, err);
		unlink(path);
	}
}

static void
test_dir_prepare(const char *top)
{
	char	d[PATH_MAX + 64], f[PATH_MAX + 64], l[PATH_MAX + 64];
	char	err[2 * PATH_MAX + 256];
	mode_t	old, mode;
	int	r;

	r = nfqd_dir_prepare(top, 0755, err, sizeof(err));
	if (!CHECKF(r == 0, "dir_prepare: the test's own directory is safe",
	    "\"%s\" (is TMPDIR writable by others?)", err))
		return;

	old = umask(022);
	snprintf(d, sizeof(d), "%s/run/nfqd", top);
	r = nfqd_dir_prepare(d, 0755, err, sizeof(err));
	CHECKF(r == 0 && is_dir(d, &mode) && mode == 0755,
	    "dir_prepare: makes the directory and its parents", "\"%s\"", err);
	snprintf(f, sizeof(f), "%s/run/nfqd/stats.json", top);
	CHECK_INT_EQ(nfqd_dir_prepare_for(f, err, sizeof(err)), 0,
	    "dir_prepare_for: the directory of a file");
	umask(old);

	snprintf(d, sizeof(d), "%s/open", top);
	CHECK(mkdir(d, 0777) == 0 && chmod(d, 0777) == 0,
	    "dir_prepare: a world-writable directory");
	r = nfqd_dir_prepare(d, 0755, err, sizeof(err));
	CHECKF(r == -1 && errno == EPERM && strstr(err, d) != NULL &&
	    strstr(err, "writable by every user (mode 0777) and not sticky"),
	    "dir_prepare: world-writable and not sticky is refused",
	    "got %d, \"%s\"", r, err);
	snprintf(f, sizeof(f), "%s/open/sub", top);
	CHECK(nfqd_dir_prepare(f, 0755, err, sizeof(err)) == -1 &&
	    !is_dir(f, NULL),
	    "dir_prepare: nothing is made inside a directory refused");
	CHECK(chmod(d, 01777) == 0, "dir_prepare: made sticky");
	CHECKF(nfqd_dir_prepare(f, 0755, err, sizeof(err)) == 0,
	    "dir_prepare: sticky and world-writable (like /tmp) is fine",
	    "\"%s\"", err);
	rmdir(f);
	CHECK(chmod(d, 0775) == 0, "dir_prepare: group-writable");
	CHECKF(nfqd_dir_prepare(d, 0755, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by its group") != NULL,
	    "dir_prepare: group-writable and not sticky is refused",
	    "\"%s\"", err);
	chmod(d, 0755);

	/* A link of ours to a safe directory is followed. */
	snprintf(l, sizeof(l), "%s/link", top);
	snprintf(f, sizeof(f), "%s/link/sub", top);
	CHECK(symlink(d, l) == 0, "dir_prepare: a symbolic link of ours");
	CHECKF(nfqd_dir_prepare(f, 0755, err, sizeof(err)) == 0 &&
	    is_dir(f, NULL), "dir_prepare: through a link of ours",
	    "\"%s\"", err);
	snprintf(f, sizeof(f), "%s/open/sub", top);
	rmdir(f);
	if (geteuid() == 0) {
		snprintf(f, sizeof(f), "%s/link/sub", top);
		CHECK(lchown(l, 65534, 65534) == 0,
		    "dir_prepare: the link given to uid 65534");
		r = nfqd_dir_prepare(f, 0755, err, sizeof(err));
		CHECKF(r == -1 && strstr(err, "is a symbolic link of uid "
		    "65534") != NULL, "dir_prepare: someone else's link is "
		    "not followed", "got %d, \"%s\"", r, err);
		CHECK(chown(d, 65534, 65534) == 0,
		    "dir_prepare: a directory of uid 65534");
		r = nfqd_dir_prepare(d, 0755, err, sizeof(err));
		CHECKF(r == -1 && strstr(err, "belongs to uid 65534") != NULL,
		    "dir_prepare: someone else's directory is refused",
		    "got %d, \"%s\"", r, err);
	}
	unlink(l);

	snprintf(f, sizeof(f), "%s/afile", top);
	snprintf(d, sizeof(d), "%s/afile/sub", top);
	CHECK(unit_write_text(f, "x") == 0, "dir_prepare: a regular file");
	r = nfqd_dir_prepare(d, 0755, err, sizeof(err));
	CHECKF(r == -1 && errno == ENOTDIR && strstr(err, "is a regular file, "
	    "not a directory") != NULL, "dir_prepare: under a file: ENOTDIR",
	    "got %d, \"%s\"", r, err);
	unlink(f);
	CHECK(nfqd_dir_prepare("run/nfqd", 0755, err, sizeof(err)) == -1 &&
	    errno == EINVAL, "dir_prepare: a relative path is refused");
}

static void
test_unlink_same(const char *top)
{
	char		path[PATH_MAX + 64], other[PATH_MAX + 64];
	struct stat	sb;

	snprintf(path, sizeof(path), "%s/mine", top);
	snprintf(other, sizeof(other), "%s/theirs", top);
	if (!CHECK(unit_write_text(path, "x") == 0 && stat(path, &sb) == 0,
	    "unlink_same: a file"))
		return;
	CHECK(unit_write_text(other, "y") == 0 && rename(other, path) == 0,
	    "unlink_same: replaced by another");
	CHECK(nfqd_unlink_same(path, sb.st_dev, sb.st_ino) == 1 &&
	    access(path, F_OK) == 0, "unlink_same: another file is left");
	CHECK(stat(path, &sb) == 0 &&
	    nfqd_unlink_same(path, sb.st_dev, sb.st_ino) == 0 &&
	    access(path, F_OK) == -1, "unlink_same: the same file is removed");
}

/* One nfqd_abspath() row: in must give want exactly. */
static void
abspath_is(const char *in, const char *want, const char *what)
{
	char	*got;

	errno = 0;
	got = nfqd_abspath(in);
	CHECKF(got != NULL && strcmp(got, want) == 0,
	    unit_fmt("abspath: %s", what), "\"%s\" gave \"%s\" (%s), "
	    "expected \"%s\"", in, got != NULL ? got : "NULL",
	    strerror(errno), want);
	free(got);
}

/*
 * The configuration path kept for reloads (main.c): absolute, so -d's
 * chdir("/") does not change what it names, and with its symbolic links
 * kept, so a reload follows them afresh.
 */
static void
test_abspath(const char *top)
{
	char	old[PATH_MAX], cwd[PATH_MAX], sub[PATH_MAX + 8];
	char	*got;

	snprintf(sub, sizeof(sub), "%s/ap", top);
	if (!CHECK(getcwd(old, sizeof(old)) != NULL && mkdir(sub, 0700) == 0 &&
	    mkdir(unit_fmt("%s/v1", sub), 0700) == 0 &&
	    unit_write_text(unit_fmt("%s/v1/nfqd.conf", sub), "") == 0 &&
	    symlink("v1/nfqd.conf", unit_fmt("%s/nfqd.conf", sub)) == 0 &&
	    chdir(sub) == 0 && getcwd(cwd, sizeof(cwd)) != NULL,
	    "abspath: a directory with a symbolic link"))
		return;
	abspath_is("/etc/nfqd/nfqd.conf", "/etc/nfqd/nfqd.conf",
	    "an absolute path is kept");
	abspath_is("/x/../y/./z", "/x/../y/./z",
	    "an absolute path is kept as written");
	abspath_is("nfqd.conf", unit_fmt("%s/nfqd.conf", cwd),
	    "a symbolic link is not resolved");
	abspath_is("./nfqd.conf", unit_fmt("%s/nfqd.conf", cwd),
	    "a leading ./ is dropped");
	abspath_is(".//./nfqd.conf", unit_fmt("%s/nfqd.conf", cwd),
	    "leading ./ and / are dropped");
	abspath_is("v1/../nfqd.conf", unit_fmt("%s/v1/../nfqd.conf", cwd),
	    "a relative path with .. is kept after the directory");
	abspath_is("missing.conf", unit_fmt("%s/missing.conf", cwd),
	    "a missing file");
	abspath_is("", "", "an empty path comes back empty");
	CHECK(chdir("/") == 0, "abspath: chdir /");
	abspath_is("etc/nfqd.conf", "/etc/nfqd.conf",
	    "at the root, no double slash");
	/* A working directory that is gone: getcwd() fails, and so do we. */
	if (CHECK(chdir(sub) == 0 && unlink("nfqd.conf") == 0 &&
	    unlink("v1/nfqd.conf") == 0 && rmdir("v1") == 0 &&
	    rmdir(sub) == 0, "abspath: the working directory removed")) {
		errno = 0;
		got = nfqd_abspath("nfqd.conf");
		CHECK(got == NULL && errno == ENOENT,
		    "abspath: no working directory is an error (ENOENT)");
		free(got);
	}
	CHECK(chdir(old) == 0, "abspath: back to the working directory");
}

/*
 * nfqd_read_small(): a small file whole, NUL-ended; *cut where it held
 * more than the buffer; a file that comes in pieces (as /proc's may,
 * here a pipe written twice) read to its end, not to its first piece.
 */
static void
test_read_small_in(const char *top)
{
	static const struct {
		const char	*what;
		const char	*text;
		size_t		 len;		/* the buffer */
		ssize_t		 want;
		const char	*got;
		bool		 cut;
	} t[] = {
		{ "empty", "", 8, 0, "", false },
		{ "shorter", "abc\n", 8, 4, "abc\n", false },
		{ "exactly len - 1", "abcdefg", 8, 7, "abcdefg", false },
		{ "one byte more", "abcdefgh", 8, 7, "abcdefg", true },
		{ "much more", "abcdefghijklmnop", 4, 3, "abc", true },
	};
	char		path[PATH_MAX + 64], buf[32];
	unsigned	i;
	ssize_t		r;
	bool		cut;
	int		p[2];
	pid_t		pid;

	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		snprintf(path, sizeof(path), "%s/small%u", top, i);
		if (!CHECK(unit_write_text(path, t[i].text) == 0,
		    unit_fmt("read_small %s: written", t[i].what)))
			continue;
		cut = !t[i].cut;
		r = nfqd_read_small(path, buf, t[i].len, &cut);
		CHECK_INT_EQ(r, t[i].want, unit_fmt("read_small %s: count",
		    t[i].what));
		CHECK_STR_EQ(buf, t[i].got, unit_fmt("read_small %s: bytes",
		    t[i].what));
		CHECK_INT_EQ(cut, t[i].cut, unit_fmt("read_small %s: cut",
		    t[i].what));
		CHECK_INT_EQ(nfqd_read_small(path, buf, t[i].len, NULL),
		    t[i].want, unit_fmt("read_small %s: without cut",
		    t[i].what));
	}
	snprintf(path, sizeof(path), "%s/missing", top);
	errno = 0;
	CHECK(nfqd_read_small(path, buf, sizeof(buf), &cut) == -1 &&
	    errno == ENOENT, "read_small: a missing file");

	if (!CHECK(pipe(p) == 0, "read_small: pipe"))
		return;
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (write(p[1], "abc", 3) != 3)
			_exit(1);
		usleep(100000);
		_exit(write(p[1], "def\n", 4) == 4 ? 0 : 1);
	}
	close(p[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	r = nfqd_read_small(path, buf, sizeof(buf), &cut);
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	CHECK(pid > 0 && r == 7 && strcmp(buf, "abcdef\n") == 0 && !cut,
	    "read_small: a file that comes in two pieces, read whole");
}

static void
test_files(void)
{
	char	top[PATH_MAX];

	if (!CHECK(unit_mkdtemp(top, sizeof(top)) == 0, "files: temp dir"))
		return;
	test_write_atomic(top);
	test_write_planted(top);
	test_tmpfile(top);
	test_open_own(top);
	test_dir_prepare(top);
	test_unlink_same(top);
	test_abspath(top);
	test_read_small_in(top);
	CHECK_INT_EQ(unit_rmtree(top), 0, "files: cleanup");
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
	/* Nothing here may wait: a planted FIFO must not hang the test. */
	alarm(30);
	test_files();
	alarm(0);
	test_online_cpus();
	return unit_done();
}
