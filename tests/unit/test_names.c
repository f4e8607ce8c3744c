/*
 * Unit tests for src/l7/names.c and namematch.c: what an element matches, list
 * files (hosts lines, comments, CRLF) and their errors with FILE:LINE, crafted
 * query shapes, 100k random names against a sorted-array reference, and memory:
 * a rebuilt set does not grow the process, a freed big set goes back to the
 * system.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/fault.h"
#include "nfqd/l7/l7parse.h"
#include "nfqd/l7/names.h"
#include "nfqd/yield.h"
#include "names_ref.h"
#include "unit.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char	dir[256];

static uint64_t	rng = 0x2545f4914f6cdd1dull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int
match(const struct nfqd_names *s, const char *q)
{
	return nfqd_names_match(s, q, strlen(q));
}

/* A set from list text (len bytes), read as a file; NULL with err. */
static struct nfqd_names *
from_text(const char *text, size_t len, char *err, size_t errlen)
{
	struct nfqd_names_builder	*b = nfqd_names_builder_new();

	if (b == NULL || nfqd_names_add_text(b, "T", text, len, err,
	    errlen) == -1) {
		nfqd_names_builder_free(b);
		return NULL;
	}
	return nfqd_names_build(b);
}

/* The same text written to a file and read through add_file. */
static struct nfqd_names *
from_file(const char *text, size_t len, const char *path, char *err,
    size_t errlen)
{
	struct nfqd_names_builder	*b;
	FILE				*fp;

	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fwrite(text, 1, len, fp);
	fclose(fp);
	b = nfqd_names_builder_new();
	if (b == NULL || nfqd_names_add_file(b, path, NULL,
	    err, errlen) == -1) {
		nfqd_names_builder_free(b);
		return NULL;
	}
	return nfqd_names_build(b);
}

static void
test_match_rules(void)
{
	static const char *const elems[] = {
		"example.com", "=exact.org", "both.net", "=both.net",
		"=both2.net", "both2.net", "Mixed.CASE.org", "dot.example.",
		"a_b.example", "com2",
	};
	static const struct {
		const char	*q;
		int		 want;
	} t[] = {
		{ "example.com", 1 },
		{ "www.example.com", 1 },
		{ "a.b.example.com", 1 },
		{ "notexample.com", 0 },
		{ "example.com.evil.org", 0 },
		{ "com", 0 },
		{ "example", 0 },
		{ "xample.com", 0 },
		{ "wwwexample.com", 0 },
		{ "exact.org", 1 },
		{ "www.exact.org", 0 },
		{ "a.b.exact.org", 0 },
		{ "both.net", 1 },
		{ "www.both.net", 1 },
		{ "both2.net", 1 },
		{ "x.both2.net", 1 },
		{ "mixed.case.org", 1 },
		{ "www.mixed.case.org", 1 },
		{ "dot.example", 1 },
		{ "x.dot.example", 1 },
		{ "a_b.example", 1 },
		{ "com2", 1 },
		{ "x.com2", 1 },
		{ "org", 0 },
		{ "net", 0 },
	};
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	struct nfqd_names		*s;
	char				 err[256];
	size_t				 i;
	int				 ok = 1;

	for (i = 0; i < NELEM(elems); i++)
		ok &= nfqd_names_add(b, elems[i], strlen(elems[i]), err,
		    sizeof(err)) == 0;
	CHECK(ok, "rule elements added");
	s = nfqd_names_build(b);
	if (!CHECK(s != NULL, "rule set built"))
		return;
	CHECK_UINT_EQ(nfqd_names_count(s), 8, "rule set: x and =x count once");
	for (i = 0; i < NELEM(t); i++)
		CHECK_INT_EQ(match(s, t[i].q), t[i].want,
		    unit_fmt("rule set: \"%s\"", t[i].q));
	nfqd_names_free(s);
}

static void
test_match_file(void)
{
	static const char text[] =
	    "# a list\n"
	    "example.com\n"
	    "=exact.org\n"
	    "UPPER.Case.COM\n"
	    "trailing.dot.\n"
	    "0.0.0.0 h1.com h2.com\th3.com  # three on a hosts line\n"
	    "127.0.0.1 =h4.com\n"
	    "::1 v6.example\n"
	    "2001:db8::1 v6b.example v6c.example\n"
	    "fe80::1%lo0 zone.example\n"
	    "x.com # comment after\n"
	    "   spaced.com   \n"
	    "\t\n"
	    "\n"
	    "crlf.com\r\n"
	    "crlf2.com   \r\n"
	    "  # indented comment\n"
	    "with#hash.com\n"
	    "127.0.0.1 localhost\n"
	    "127.0.0.1 LocalHost.localdomain local\n"
	    "255.255.255.255 broadcasthost\n"
	    "::1 localhost ip6-localhost ip6-loopback\n"
	    "ff02::1 ip6-allnodes\n"
	    "0.0.0.0 0.0.0.0 own.example 1.2.3.4\n"
	    "=local\n"
	    "example.com\n"
	    "=example.com\n"
	    "last.com";
	static const struct {
		const char	*q;
		int		 want;
	} t[] = {
		{ "example.com", 1 }, { "www.example.com", 1 },
		{ "exact.org", 1 }, { "www.exact.org", 0 },
		{ "upper.case.com", 1 }, { "a.upper.case.com", 1 },
		{ "trailing.dot", 1 }, { "x.trailing.dot", 1 },
		{ "h1.com", 1 }, { "h2.com", 1 }, { "h3.com", 1 },
		{ "sub.h2.com", 1 }, { "h4.com", 1 }, { "www.h4.com", 0 },
		{ "v6.example", 1 }, { "v6b.example", 1 }, { "v6c.example", 1 },
		{ "zone.example", 1 }, { "x.com", 1 }, { "spaced.com", 1 },
		{ "crlf.com", 1 }, { "crlf2.com", 1 }, { "with", 1 },
		{ "hash.com", 0 }, { "last.com", 1 }, { "0.0.0.0", 0 },
		{ "127.0.0.1", 0 }, { "example", 0 }, { "comment", 0 },
		{ "localhost", 0 }, { "localhost.localdomain", 0 },
		{ "corp.local", 0 }, { "local", 1 }, { "broadcasthost", 0 },
		{ "ip6-localhost", 0 }, { "ip6-allnodes", 0 },
		{ "own.example", 1 }, { "1.2.3.4", 0 },
		{ "a", 0 }, { "three", 0 },
	};
	struct nfqd_names	*s[2];
	char			 err[512], path[512];
	size_t			 i, k;

	snprintf(path, sizeof(path), "%s/list", dir);
	s[0] = from_text(text, sizeof(text) - 1, err, sizeof(err));
	s[1] = from_file(text, sizeof(text) - 1, path, err, sizeof(err));
	for (k = 0; k < 2; k++) {
		const char *how = k == 0 ? "text" : "file";

		if (!CHECKF(s[k] != NULL, unit_fmt("list %s loaded", how),
		    "%s", err))
			continue;
		CHECK_UINT_EQ(nfqd_names_count(s[k]), 20,
		    unit_fmt("list %s: distinct names", how));
		for (i = 0; i < NELEM(t); i++)
			CHECK_INT_EQ(match(s[k], t[i].q), t[i].want,
			    unit_fmt("list %s: \"%s\"", how, t[i].q));
		nfqd_names_free(s[k]);
	}
}

/* An empty list, or one of comments only, is an empty set. */
static void
test_empty(void)
{
	static const char *const texts[] = {
		"", "\n", "# nothing\n\n   \n", "\xef\xbb\xbf", "\r\n\r\n",
	};
	struct nfqd_names	*s;
	char			 err[256], path[512];
	size_t			 i;

	snprintf(path, sizeof(path), "%s/empty", dir);
	for (i = 0; i < NELEM(texts); i++) {
		s = from_file(texts[i], strlen(texts[i]), path, err,
		    sizeof(err));
		if (!CHECKF(s != NULL, unit_fmt("empty list %zu loads", i),
		    "%s", err))
			continue;
		CHECK(nfqd_names_count(s) == 0 && match(s, "a.com") == 0 &&
		    match(s, "com") == 0, unit_fmt("empty list %zu: nothing "
		    "matches", i));
		nfqd_names_free(s);
	}
	s = nfqd_names_build(nfqd_names_builder_new());
	CHECK(s != NULL && nfqd_names_count(s) == 0 && match(s, "x") == 0,
	    "empty builder: an empty set");
	nfqd_names_free(s);
	/* A byte order mark is skipped on line 1 only. */
	s = from_text("\xef\xbb\xbf" "bom.com\n", 11, err, sizeof(err));
	CHECK(s != NULL && match(s, "bom.com") == 1, "BOM before line 1");
	nfqd_names_free(s);
}

static void
test_errors(void)
{
	static char	long_label[100], long_name[300], long_line[5000];
	static char	line4096[5000];
	static const struct {
		const char	*text;
		size_t		 len;	/* 0: strlen */
		const char	*want;	/* after "T:" */
	} t[] = {
		{ "ok.com\nbad..name\n", 0,
		    "2: \"bad..name\": empty label" },
		{ ".a\n", 0, "1: \".a\": empty label" },
		{ "Bad..Name\n", 0, "1: \"Bad..Name\": empty label" },
		{ "a\nb\nc.com..\n", 0, "3: \"c.com..\": empty label" },
		{ "a.b\n\n# c\nexa mple.com\n", 0,
		    "4: \"exa\" is not an IP address: only a hosts-file line "
		    "(an address, then names) holds more than one name" },
		{ "*.example.com\n", 0,
		    "1: \"*.example.com\": a wildcard is not needed: "
		    "\"example.com\" already matches its subdomains" },
		{ "x\n=*.example.com\n", 0,
		    "2: \"=*.example.com\": a wildcard is not needed: "
		    "\"example.com\" already matches its subdomains" },
		{ "*\n", 0, "1: \"*\": byte 0x2a ('*') is not allowed in a "
		    "name" },
		{ "a.*.com\n", 0, "1: \"a.*.com\": byte 0x2a ('*') is not "
		    "allowed in a name" },
		{ "||example.com^\n", 0, "1: \"||example.com^\": adblock "
		    "syntax (\"||name^\") is not supported: write the name "
		    "alone" },
		{ "@@||example.com^$important\n", 0, "1: "
		    "\"@@||example.com^$important\": adblock syntax "
		    "(\"||name^\") is not supported: write the name alone" },
		{ "example.com^\n", 0, "1: \"example.com^\": adblock syntax "
		    "(\"||name^\") is not supported: write the name alone" },
		{ "http://example.com/\n", 0, "1: \"http://example.com/\": a "
		    "URL, not a name" },
		{ "address=/ads.example/0.0.0.0\n", 0,
		    "1: \"address=/ads.example/0.0.0.0\": dnsmasq syntax "
		    "(\"address=/name/...\") is not supported: write the name "
		    "alone" },
		{ "server=/ads.example/\n", 0, "1: \"server=/ads.example/\": "
		    "dnsmasq syntax (\"address=/name/...\") is not supported: "
		    "write the name alone" },
		{ "address=x.example\n", 0, "1: \"address=x.example\": byte "
		    "0x3d ('=') is not allowed in a name" },
		{ "127.0.0.1\n", 0, "1: \"127.0.0.1\": an address with no "
		    "name after it" },
		{ "a\n0.0.0.0   # nothing\n", 0, "2: \"0.0.0.0\": an address "
		    "with no name after it" },
		{ "::1\r\n", 0, "1: \"::1\": an address with no name after "
		    "it" },
		{ "0.0.0.0.0 x.com\n", 0, "1: \"0.0.0.0.0\" is not an IP "
		    "address: only a hosts-file line (an address, then names) "
		    "holds more than one name" },
		{ "1.2.3.4 good.com bad..com\n", 0,
		    "1: \"bad..com\": empty label" },
		{ "1.2.3.4 good.com *.ads.com\n", 0,
		    "1: \"*.ads.com\": a wildcard is not needed: \"ads.com\" "
		    "already matches its subdomains" },
		{ "a\x01" "b.com\n", 0, "1: \"a\\x01b.com\": byte 0x01 is not "
		    "allowed in a name" },
		{ "a\0b.com\n", 8, "1: \"a\\x00b.com\": byte 0x00 is not "
		    "allowed in a name" },
		{ "caf\xc3\xa9.com\n", 0, "1: \"caf\\xc3\\xa9.com\": byte "
		    "0xc3 is not allowed in a name" },
		{ "a_b!.com\n", 0, "1: \"a_b!.com\": byte 0x21 ('!') is not "
		    "allowed in a name" },
		{ "ex\"am\\ple.com\n", 0, "1: \"ex\\x22am\\x5cple.com\": byte "
		    "0x22 ('\"') is not allowed in a name" },
		{ "=\n", 0, "1: \"=\": empty name" },
		{ ".\n", 0, "1: \".\": empty name" },
		{ "==x.com\n", 0, "1: \"==x.com\": byte 0x3d ('=') is not "
		    "allowed in a name" },
		{ "ok.com\r\nbad name\r\n", 0, "2: \"bad\" is not an IP "
		    "address: only a hosts-file line (an address, then names) "
		    "holds more than one name" },
		{ "ok.com\n\xef\xbb\xbf" "bom.com\n", 0, "2: "
		    "\"\\xef\\xbb\\xbfbom.com\": byte 0xef is not allowed in a "
		    "name" },
		{ "a\vb.com\n", 0, "1: \"a\\x0bb.com\": byte 0x0b is not "
		    "allowed in a name" },
		{ long_label, 0, "1: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaa...\": a label longer than 63 bytes" },
		{ long_name, 0, "1: \"aaaaaaaaa.aaaaaaaaa.aaaaaaaaa.aaaaaaaaa."
		    "aaaaaaaaa.aaaaaaaaa....\": longer than 253 bytes" },
		{ long_line, 0, "3: line longer than 4096 bytes" },
	};
	struct nfqd_names	*s;
	char			 err[1024], want[1024], path[512];
	size_t			 i, len, n;

	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com\n");
	for (n = 0; n < 254; n++)
		long_name[n] = n % 10 == 9 ? '.' : 'a';
	long_name[n - 1] = 'a';
	strcpy(long_name + n, "\n");
	/* Lines 1, 2 fine; line 3 is 4097 bytes of a name and blanks. */
	n = (size_t)sprintf(long_line, "a.com\nb.com\nc.com");
	memset(long_line + n, ' ', 4097 - 5);
	strcpy(long_line + n + 4097 - 5, "\nd.com\n");
	/* 4096 bytes is allowed: the line's error is its own. */
	n = (size_t)sprintf(line4096, "a.com\n=");
	memset(line4096 + n, ' ', 4096 - 1 - 4);
	strcpy(line4096 + n + 4096 - 1 - 4, "#xyz\n");
	snprintf(path, sizeof(path), "%s/bad", dir);
	for (i = 0; i < NELEM(t); i++) {
		len = t[i].len != 0 ? t[i].len : strlen(t[i].text);
		err[0] = '\0';
		s = from_text(t[i].text, len, err, sizeof(err));
		CHECK(s == NULL, unit_fmt("bad list %zu refused", i));
		nfqd_names_free(s);
		snprintf(want, sizeof(want), "T:%s", t[i].want);
		CHECK_STR_EQ(err, want, unit_fmt("bad list %zu: message", i));
		err[0] = '\0';
		s = from_file(t[i].text, len, path, err, sizeof(err));
		CHECK(s == NULL, unit_fmt("bad list file %zu refused", i));
		nfqd_names_free(s);
		snprintf(want, sizeof(want), "%s:%s", path, t[i].want);
		CHECK_STR_EQ(err, want, unit_fmt("bad list file %zu: message",
		    i));
	}
	/* A 4096-byte line is not too long: its own fault is reported. */
	s = from_text(line4096, strlen(line4096), err, sizeof(err));
	CHECK(s == NULL, "4096-byte line read");
	CHECK_STR_EQ(err, "T:2: \"=\": empty name", "4096-byte line: its "
	    "name is at fault, not its length");
	nfqd_names_free(s);
}

/* Line numbers stay right across the file reader's 64 KiB reads, and a
 * line that straddles two reads is read whole. */
static void
test_long_file(void)
{
	struct nfqd_names	*s;
	char			*text, err[512], path[512];
	size_t			 n = 0, cap = 1 << 20, i;

	if ((text = malloc(cap)) == NULL)
		return;
	for (i = 1; i <= 20000; i++)
		n += (size_t)sprintf(text + n, "0.0.0.0 n%zu.com   "
		    "# padding padding\n", i);
	n += (size_t)sprintf(text + n, "n20001..com\n");
	snprintf(path, sizeof(path), "%s/long", dir);
	s = from_file(text, n, path, err, sizeof(err));
	CHECK(s == NULL, "error after 20000 lines refused");
	nfqd_names_free(s);
	CHECK_STR_EQ(err, unit_fmt("%s:20001: \"n20001..com\": empty label",
	    path), "error after 20000 lines: its line number");
	n -= 12;
	s = from_file(text, n, path, err, sizeof(err));
	if (CHECKF(s != NULL, "20000 lines loaded", "%s", err)) {
		int ok = 1;

		for (i = 1; i <= 20000; i++)
			ok &= match(s, unit_fmt("x.n%zu.com", i));
		CHECK(ok && nfqd_names_count(s) == 20000 &&
		    !match(s, "n20001.com") && !match(s, "n0.com"),
		    "20000 lines: every name across the reads");
		nfqd_names_free(s);
	}
	free(text);
}

static void
test_file_errors(void)
{
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	char				 err[512], p[512];
	int				 fd;

	snprintf(p, sizeof(p), "%s/missing", dir);
	CHECK_INT_EQ(nfqd_names_add_file(b, p, NULL, err, sizeof(err)), -1,
	    "missing file refused");
	CHECK_STR_EQ(err, unit_fmt("open(%s): No such file or directory", p),
	    "missing file: message");
	CHECK_INT_EQ(nfqd_names_add_file(b, dir, NULL, err, sizeof(err)), -1,
	    "directory refused");
	CHECK_STR_EQ(err, unit_fmt("%s is a directory, not a regular file",
	    dir), "directory: message");
	snprintf(p, sizeof(p), "%s/fifo", dir);
	if (mkfifo(p, 0600) == 0) {
		/* No writer: a blocking open() would hang here. */
		CHECK_INT_EQ(nfqd_names_add_file(b, p, NULL,
		    err, sizeof(err)), -1,
		    "FIFO refused without hanging");
		CHECK_STR_EQ(err, unit_fmt("%s is a FIFO, not a regular file",
		    p), "FIFO: message");
	}
	snprintf(p, sizeof(p), "%s/big", dir);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
		if (ftruncate(fd, (off_t)NFQD_NAMES_FILE_MAX + 1) == 0) {
			CHECK_INT_EQ(nfqd_names_add_file(b, p, NULL, err,
			    sizeof(err)), -1, "file over 1 GiB refused");
			CHECK_STR_EQ(err, unit_fmt("%s: larger than 1024 MiB, "
			    "the limit for a name list", p),
			    "file over 1 GiB: message");
		}
		close(fd);
		unlink(p);
	}
	if (geteuid() != 0) {
		snprintf(p, sizeof(p), "%s/unreadable", dir);
		unit_write_text(p, "a.com\n");
		chmod(p, 0);
		CHECK_INT_EQ(nfqd_names_add_file(b, p, NULL,
		    err, sizeof(err)), -1,
		    "unreadable file refused");
		CHECK_STR_EQ(err, unit_fmt("open(%s): Permission denied", p),
		    "unreadable file: message");
	}
	nfqd_names_builder_free(b);
}

/* nfqd_load_set_yield()'s call: counts, gives up at give_up, opens the
 * fault point's gate at gate_at, forks at fork_at (fork_check()). */
static unsigned	yields, give_up, gate_at, fork_at;
static int	fork_status = -1;
static const struct nfqd_names_builder *fork_b;
static const char *fork_path;

/* Whether this process has a descriptor open on path. */
static bool
has_fd_on(const char *path)
{
	char	link[64], target[512];
	ssize_t	n;
	int	fd;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			return true;
	}
	return false;
}

/*
 * A worker forked from the yield: before nfqd_names_forked() it holds
 * the list's descriptor, after it not; the builder's big block is not
 * mapped in it (write(2) from it to a pipe: EFAULT).  Exit status 0
 * when so, else the number of the check that failed.
 */
static void
fork_check(void)
{
	const void	*buf = nfqd_names_builder_test_buf(fork_b);
	pid_t		 pid;
	int		 st, fd[2];

	if ((pid = fork()) == 0) {
		if (!has_fd_on(fork_path))
			_exit(1);
		nfqd_names_forked();
		if (has_fd_on(fork_path))
			_exit(2);
		/* A pipe copies what is written (/dev/null reads nothing). */
		if (pipe(fd) == -1)
			_exit(3);
		if (write(fd[1], buf, 1) != -1 || errno != EFAULT)
			_exit(4);
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		fork_status = WEXITSTATUS(st);
}

static int
yield(void *arg)
{
	yields++;
	if (yields == fork_at)
		fork_check();
	if (yields == gate_at)
		unit_write_text(arg, "");
	return yields == give_up ? -1 : 0;
}

/*
 * The master reads lists in a reload between looks at its workers: the
 * call comes after every 64 KiB read and every 16,384 names built,
 * giving up stops the reading, and the fault point names-read holds it,
 * the call still made, until its gate file exists.  Lines of 16 bytes,
 * 4,096 a read: 200,000 of them are 49 reads and 12 parts of the build.
 */
static void
test_yield(void)
{
	struct nfqd_names_builder	*b;
	struct nfqd_names		*s;
	char				*text, err[512], path[512], gate[512];
	size_t				 n = 0, i;
	int				 rc;

	if ((text = malloc(200000 * 16 + 1)) == NULL)
		return;
	for (i = 0; i < 200000; i++)
		n += (size_t)sprintf(text + n, "n%010zu.com\n", i);
	snprintf(path, sizeof(path), "%s/yield", dir);
	snprintf(gate, sizeof(gate), "%s/gate", dir);
	unit_write_text(path, text);
	free(text);

	b = nfqd_names_builder_new();
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK(rc == 0 && yields == 0, "no call set: none made");
	nfqd_names_builder_free(b);

	nfqd_load_set_yield(yield, gate);
	b = nfqd_names_builder_new();
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK_INT_EQ(rc, 0, "yield: the list read whole");
	CHECK_INT_EQ(yields, 49, "yield: a call after each of 49 reads");
	s = nfqd_names_build(b);
	CHECK_INT_EQ(yields, 61, "yield: and after each 16,384 names built");
	CHECK(s != NULL && nfqd_names_count(s) == 200000 &&
	    match(s, "n0000199999.com"), "yield: the set is whole");
	nfqd_names_free(s);

	yields = 0;
	give_up = 5;
	b = nfqd_names_builder_new();
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK(rc == -1 && errno == ECANCELED && yields == 5,
	    "yield: -1 stops the reading at once");
	CHECK_STR_EQ(err, unit_fmt("%s: not read to its end: nfqd is "
	    "stopping", path), "yield: the message");
	nfqd_names_builder_free(b);

	/* A worker forked at the 20th read: the list's descriptor and the
	   builder's 1.3 MB are not its.  A set built is: it matches there. */
	yields = give_up = 0;
	fork_at = 20;
	fork_path = path;
	b = nfqd_names_builder_new();
	fork_b = b;
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK_INT_EQ(fork_status, 0, "forked in a reading: the list's "
	    "descriptor closed, the builder's block not mapped");
	fork_at = 0;
	s = nfqd_names_build(b);
	if (CHECK(s != NULL, "forked in a reading: the set built")) {
		pid_t	pid;
		int	st = -1;

		if ((pid = fork()) == 0)
			_exit(match(s, "x.n0000123456.com") ? 0 : 1);
		if (pid > 0)
			waitpid(pid, &st, 0);
		CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "a set built is forked with its workers");
		nfqd_names_free(s);
	}

	/* Held at the 3rd read: the 3rd to 6th calls wait, the 6th opens. */
	yields = give_up = 0;
	gate_at = 6;
	setenv("NFQD_FAULT", "names-read:3=wait", 1);
	setenv("NFQD_FAULT_GATE", gate, 1);
	nfqd_fault_arm(-1);
	b = nfqd_names_builder_new();
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK(rc == 0 && yields == 53 && access(gate, F_OK) == 0,
	    "names-read=wait: held until the gate, calling meanwhile");
	nfqd_names_builder_free(b);
	unsetenv("NFQD_FAULT");
	nfqd_fault_arm(-1);
	nfqd_load_set_yield(NULL, NULL);
	unlink(gate);
	unlink(path);
}

/* nfqd_names_add: a rule's own elements, no FILE:LINE; a refused element
 * leaves the builder as it was. */
static void
test_add_errors(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} t[] = {
		{ "", "\"\": empty name" },
		{ "=", "\"=\": empty name" },
		{ " example.com", "\" example.com\": byte 0x20 is not allowed "
		    "in a name" },
		{ "example.com ", "\"example.com \": byte 0x20 is not allowed "
		    "in a name" },
		{ "*.x.org", "\"*.x.org\": a wildcard is not needed: \"x.org\" "
		    "already matches its subdomains" },
		{ "a..b", "\"a..b\": empty label" },
		{ "example.com#x", "\"example.com#x\": byte 0x23 ('#') is not "
		    "allowed in a name" },
	};
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	struct nfqd_names		*s;
	char				 err[512];
	size_t				 i;

	CHECK_INT_EQ(nfqd_names_add(b, "good.com", 8, err, sizeof(err)), 0,
	    "add good.com");
	for (i = 0; i < NELEM(t); i++) {
		err[0] = '\0';
		CHECK_INT_EQ(nfqd_names_add(b, t[i].text, strlen(t[i].text),
		    err, sizeof(err)), -1, unit_fmt("add \"%s\" refused",
		    t[i].text));
		CHECK_STR_EQ(err, t[i].want, unit_fmt("add \"%s\": message",
		    t[i].text));
	}
	CHECK_INT_EQ(nfqd_names_add(b, "=other.org.", 11, err, sizeof(err)),
	    0, "add =other.org. after the refusals");
	/* The length given is what counts, not a NUL. */
	CHECK_INT_EQ(nfqd_names_add(b, "cut.netXYZ", 7, err, sizeof(err)),
	    0, "add with a length short of the text");
	s = nfqd_names_build(b);
	CHECK(s != NULL && nfqd_names_count(s) == 3 &&
	    match(s, "a.good.com") && match(s, "other.org") &&
	    !match(s, "a.other.org") && match(s, "cut.net") &&
	    !match(s, "cut.netxyz"), "refusals left the builder as it was");
	nfqd_names_free(s);
}

/* A yield that counts its calls (test_limit). */
static unsigned	limit_reads;

static int
count_reads(void *arg)
{
	(void)arg;
	limit_reads++;
	return 0;
}

/*
 * name_sets_max_bytes' measure (namesets.c): a builder's bytes are its
 * set's once built when no name repeats, fewer by each repeat's names
 * bytes when some do; its limit refuses the name that would pass it, at
 * that name's line of a list, and the rest of the list is not read.
 */
static void
test_limit(void)
{
	/* The table's 8 slots hold 6 names, 16 hold 12. */
	static const size_t sizes[] = { 0, 1, 6, 7, 12, 13, 100, 3000 };
	struct nfqd_names_builder	*b;
	struct nfqd_names		*s;
	size_t				 i, k, n, len, before, *at;
	char				*text, err[512], path[512];
	int				 rc, e;

	if ((text = malloc(100000 * 24 + 1)) == NULL ||
	    (at = calloc(3001, sizeof(*at))) == NULL) {
		free(text);
		CHECK(0, "limit: memory");
		return;
	}
	for (k = 0; k < NELEM(sizes); k++) {
		b = nfqd_names_builder_new();
		for (i = n = 0; i < sizes[k]; i++)
			n += (size_t)sprintf(text + n, "n%zu.limit.test\n", i);
		nfqd_names_add_text(b, "T", text, n, err, sizeof(err));
		before = nfqd_names_builder_bytes(b);
		s = nfqd_names_build(b);
		CHECK(s != NULL && nfqd_names_count(s) == sizes[k] &&
		    nfqd_names_bytes(s) == before, unit_fmt("limit: %zu "
		    "names: the builder's bytes are the set's", sizes[k]));
		nfqd_names_free(s);
	}
	b = nfqd_names_builder_new();
	nfqd_names_add_text(b, "T", "a.test\n=a.test\nb.test\n", 23, err,
	    sizeof(err));
	before = nfqd_names_builder_bytes(b);
	s = nfqd_names_build(b);
	CHECK(s != NULL && nfqd_names_count(s) == 2 &&
	    before - nfqd_names_bytes(s) == 7,
	    "limit: a repeat's 7 bytes of names counted until it is built");
	nfqd_names_free(s);

	/* A list written twice (a hosts file's 0.0.0.0 and :: lines): over
	 * its set by the second copy's names, [len][name] each, no more
	 * (configuration.md's bound: under twice the set). */
	b = nfqd_names_builder_new();
	for (i = n = len = 0; i < 6000; i++) {
		k = (size_t)sprintf(text + n, "%s n%zu.twice.test\n",
		    i < 3000 ? "0.0.0.0" : "::", i % 3000);
		if (i < 3000)
			len += k - 8;	/* "0.0.0.0 " and "\n" less, 1 more */
		n += k;
	}
	nfqd_names_add_text(b, "T", text, n, err, sizeof(err));
	before = nfqd_names_builder_bytes(b);
	s = nfqd_names_build(b);
	CHECKF(s != NULL && nfqd_names_count(s) == 3000 &&
	    before - nfqd_names_bytes(s) == len &&
	    before < 2 * nfqd_names_bytes(s),
	    "limit: a list written twice: over by the second copy's names",
	    "builder %zu, set %zu, names %zu", before,
	    s != NULL ? nfqd_names_bytes(s) : 0, len);
	nfqd_names_free(s);

	/* at[k]: the bytes of k names, each a line of the list. */
	b = nfqd_names_builder_new();
	at[0] = nfqd_names_builder_bytes(b);
	for (i = n = 0; i < 3000; i++) {
		len = (size_t)sprintf(text + n, "n%zu.limit.test\n", i);
		nfqd_names_add(b, text + n, len - 1, err, sizeof(err));
		n += len;
		at[i + 1] = nfqd_names_builder_bytes(b);
	}
	nfqd_names_builder_free(b);
	snprintf(path, sizeof(path), "%s/limit", dir);
	unit_write_text(path, text);

	b = nfqd_names_builder_new();
	nfqd_names_builder_limit(b, at[3000]);
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK(rc == 0 && !nfqd_names_builder_over(b) &&
	    nfqd_names_builder_bytes(b) == at[3000],
	    "limit: a list of exactly the limit read whole");
	s = nfqd_names_build(b);
	CHECK(s != NULL && nfqd_names_bytes(s) == at[3000],
	    "limit: its set takes the limit");
	nfqd_names_free(s);

	b = nfqd_names_builder_new();
	nfqd_names_builder_limit(b, at[3000] - 1);
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	e = errno;
	CHECK(rc == -1 && e == EFBIG && nfqd_names_builder_over(b),
	    "limit: a byte less refuses the list, EFBIG");
	CHECK_STR_EQ(err, unit_fmt("%s:3000: the set would take more than "
	    "%zu bytes", path, at[3000] - 1), "limit: at the last name");
	CHECK(nfqd_names_builder_bytes(b) == at[2999],
	    "limit: the builder holds the names before it");
	nfqd_names_builder_free(b);

	/* The 101st name passes it: the reading stops there. */
	b = nfqd_names_builder_new();
	nfqd_names_builder_limit(b, at[101] - 1);
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK_STR_EQ(err, unit_fmt("%s:101: the set would take more than "
	    "%zu bytes", path, at[101] - 1), "limit: at the 101st name");
	CHECK(rc == -1 && nfqd_names_builder_bytes(b) == at[100],
	    "limit: 100 names held");
	nfqd_names_builder_free(b);

	/* A rule's element: no line; the builder as it was. */
	b = nfqd_names_builder_new();
	nfqd_names_builder_limit(b, at[1]);
	CHECK_INT_EQ(nfqd_names_add(b, "n0.limit.test", 13, err, sizeof(err)),
	    0, "limit: an element up to it added");
	CHECK_INT_EQ(nfqd_names_add(b, "n1.limit.test", 13, err, sizeof(err)),
	    -1, "limit: the next refused");
	CHECK_STR_EQ(err, unit_fmt("the set would take more than %zu bytes",
	    at[1]), "limit: an element's message");
	s = nfqd_names_build(b);
	CHECK(s != NULL && nfqd_names_count(s) == 1 &&
	    nfqd_names_bytes(s) == at[1], "limit: the refusal left it as it "
	    "was");
	nfqd_names_free(s);

	/* Another refusal is not the limit's. */
	b = nfqd_names_builder_new();
	nfqd_names_builder_limit(b, at[1]);
	CHECK(nfqd_names_add(b, "*.x.test", 8, err, sizeof(err)) == -1 &&
	    !nfqd_names_builder_over(b), "limit: a wildcard is not over it");
	nfqd_names_builder_free(b);

	/* 100,000 names, 1.8 MB: refused in its first read of 64 KiB,
	 * the other 27 not made (a call of the yield follows each). */
	for (i = n = 0; i < 100000; i++)
		n += (size_t)sprintf(text + n, "n%zu.limit.test\n", i);
	unit_write_text(path, text);
	nfqd_load_set_yield(count_reads, NULL);
	b = nfqd_names_builder_new();
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK(rc == 0 && limit_reads == 28, unit_fmt("limit: no limit: "
	    "28 reads (%u)", limit_reads));
	nfqd_names_builder_free(b);
	limit_reads = 0;
	b = nfqd_names_builder_new();
	nfqd_names_builder_limit(b, at[1000]);
	rc = nfqd_names_add_file(b, path, NULL, err, sizeof(err));
	CHECK(rc == -1 && nfqd_names_builder_over(b) && limit_reads == 0,
	    unit_fmt("limit: refused in the first read (%u after it)",
	    limit_reads));
	nfqd_names_builder_free(b);
	nfqd_load_set_yield(NULL, NULL);
	unlink(path);
	free(at);
	free(text);
}

/* The longest element first in a new builder (its first block), and the
 * longest labels; a subdomain of it would be too long to match. */
static void
test_longest(void)
{
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	struct nfqd_names		*s;
	char				 name[300], err[256];

	memset(name, 'a', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	CHECK_INT_EQ(nfqd_names_add(b, name, 253, err, sizeof(err)), 0,
	    "longest element first: added");
	s = nfqd_names_build(b);
	if (!CHECK(s != NULL, "longest element first: built"))
		return;
	CHECK(match(s, name) == 1 && match(s, name + 64) == 0 &&
	    nfqd_names_count(s) == 1, "longest element: itself only");
	nfqd_names_free(s);
}

static size_t	norm_taken;	/* names both took */

static size_t	host_cut;	/* names the host fold refused for a cut */

/*
 * Both on src[0..len): the same answer, and on success the same text;
 * and nfqd_l7_host_norm() answers as the reference and then strpbrk() of
 * the bytes where a server cuts a host name (what the TLS parser did).
 */
static bool
norm_same(const uint8_t *src, size_t len)
{
	char	a[NFQD_L7_NAME_MAX + 1], b[NFQD_L7_NAME_MAX + 1];
	char	h[NFQD_L7_NAME_MAX + 1];
	int	r, rr, rh, want;

	memset(a, 0x11, sizeof(a));
	memset(b, 0x11, sizeof(b));
	memset(h, 0x22, sizeof(h));
	r = nfqd_l7_name_norm(a, src, len);
	rr = ref_name_norm(b, src, len, false);
	rh = nfqd_l7_host_norm(h, src, len);
	want = rr >= 0 && strpbrk(b, ":/\\[]") != NULL ? -1 : rr;
	host_cut += rr >= 0 && want < 0;
	norm_taken += r >= 0 && r == rr;
	return r == rr && (r < 0 || memcmp(a, b, (size_t)r + 1) == 0) &&
	    rh == want && (rh < 0 || memcmp(h, b, (size_t)rh + 1) == 0);
}

/*
 * Every name of 1 and 2 bytes, every name of 3 and 4 bytes over the
 * bytes where the answer changes, and 300,000 random names of up to 260
 * bytes (most of them made of those bytes, so that dots, capitals and
 * refused bytes meet in every order; the rest any byte).
 */
static void
test_norm(void)
{
	static const uint8_t	edge[] = { 0x00, 0x20, 0x21, '-', '.',
	    '/', '0', ':', '@', 'A', 'Z', '[', '\\', ']', '`', 'a', 'z', '{',
	    0x7e, 0x7f, 0x80, 0xc1, 0xff };
	uint8_t			src[300];
	size_t			i, j, k, l, len, bad = 0, n = 0;

	for (i = 0; i < 256; i++) {
		src[0] = (uint8_t)i;
		bad += !norm_same(src, 1);
		for (j = 0; j < 256; j++) {
			src[1] = (uint8_t)j;
			bad += !norm_same(src, 2);
			n += 2;
		}
	}
	for (i = 0; i < NELEM(edge); i++)
		for (j = 0; j < NELEM(edge); j++)
			for (k = 0; k < NELEM(edge); k++)
				for (l = 0; l < NELEM(edge); l++) {
					src[0] = edge[i];
					src[1] = edge[j];
					src[2] = edge[k];
					src[3] = edge[l];
					bad += !norm_same(src, 3);
					bad += !norm_same(src, 4);
					n += 2;
				}
	for (i = 0; i < 300000; i++) {
		len = rnd() % 261;
		k = rnd() % 4;	/* 0: any byte anywhere; else mostly names */
		for (j = 0; j < len; j++)
			src[j] = k == 0 || rnd() % 64 == 0 ? (uint8_t)rnd() :
			    rnd() % 6 == 0 ? '.' :
			    rnd() % 4 == 0 ? edge[rnd() % NELEM(edge)] :
			    (uint8_t)('a' + rnd() % 26);
		bad += !norm_same(src, len);
		n++;
	}
	CHECKF(bad == 0 && norm_taken > 20000 && host_cut > 20000, "norm: the "
	    "fold tables answer as a test per byte and strpbrk() did",
	    "%zu of %zu differ, %zu names taken, %zu cut", bad, n,
	    norm_taken, host_cut);
}

/*
 * Crafted query shapes: names off the wire put through nfqd_l7_name_norm
 * as the parsers do, then matched; and queries the caller did not
 * normalize, which must neither match wrongly nor read past len.
 */
static void
test_evasion(void)
{
	static const struct {
		const char	*raw;
		int		 want;	/* -1: nfqd_l7_name_norm refuses */
	} t[] = {
		{ "WWW.EXAMPLE.COM.", 1 },
		{ "Example.Com", 1 },
		{ ".example.com", -1 },
		{ "www..example.com", -1 },
		{ "www.example.com ", -1 },
		{ "wwwexample.com", 0 },
		{ "example.co", 0 },
		{ "example.comm", 0 },
		{ "example.com.evil.org", 0 },
		{ "example.com.evil.org.", 0 },
		{ "examp1e.com", 0 },
		{ "ex%61mple.com", 0 },
		{ "xn--exmple-cua.com", 0 },
		{ "example-com", 0 },
		{ "example_com", 0 },
		{ "com.example", 0 },
		{ "blocked.example.net", 1 },
		{ "blocked.example.net.evil", 0 },
		{ "bblocked.example.net", 0 },
		{ "x.blocked.example.net", 0 },
		{ "EXACT.example.net", 1 },
	};
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	struct nfqd_names		*s;
	char				 norm[NFQD_L7_NAME_MAX + 1], q[600], err[64];
	size_t				 i, n;
	int				 len;

	nfqd_names_add(b, "example.com", 11, err, sizeof(err));
	nfqd_names_add(b, "=blocked.example.net", 20, err, sizeof(err));
	nfqd_names_add(b, "=exact.example.net", 18, err, sizeof(err));
	s = nfqd_names_build(b);
	if (s == NULL)
		return;
	for (i = 0; i < NELEM(t); i++) {
		len = nfqd_l7_name_norm(norm, (const uint8_t *)t[i].raw,
		    strlen(t[i].raw));
		if (t[i].want == -1) {
			CHECK_INT_EQ(len, -1, unit_fmt("evasion \"%s\": "
			    "refused by the norm", t[i].raw));
			continue;
		}
		CHECK_INT_EQ(len >= 0 ? nfqd_names_match(s, norm,
		    (size_t)len) : -1, t[i].want, unit_fmt("evasion \"%s\"",
		    t[i].raw));
	}
	/* Two trailing dots: nfqd_l7_name_norm keeps one ("an empty label"
	 * it should refuse); the match ignores it, so the name is not a way
	 * around the set whatever the norm does. */
	len = nfqd_l7_name_norm(norm, (const uint8_t *)"www.example.com..",
	    17);
	CHECK(len == -1 || nfqd_names_match(s, norm, (size_t)len) == 1,
	    "evasion \"www.example.com..\": refused by the norm or matched");
	/* Not normalized: the text is compared byte for byte. */
	CHECK_INT_EQ(match(s, "EXAMPLE.COM"), 0, "unfolded query: no match");
	CHECK_INT_EQ(match(s, "www.example.com."), 1, "trailing dot kept: "
	    "ignored");
	CHECK_INT_EQ(match(s, "blocked.example.net."), 1, "trailing dot kept, "
	    "exact element: ignored");
	CHECK_INT_EQ(match(s, "example.com.."), 0, "two trailing dots: no "
	    "match");
	CHECK_INT_EQ(match(s, "."), 0, "a dot alone: no match");
	CHECK_INT_EQ(match(s, ".example.com"), 1, "leading dot: its parent "
	    "matches");
	CHECK_INT_EQ(nfqd_names_match(s, "example.com\0evil", 16), 0,
	    "NUL inside the length: no match");
	CHECK_INT_EQ(nfqd_names_match(s, "www.example.comXYZ", 15), 1,
	    "length short of the text: read to len only");
	CHECK_INT_EQ(nfqd_names_match(s, "example.com", 7), 0, "a prefix "
	    "by length: no match");
	CHECK_INT_EQ(nfqd_names_match(s, "", 0), 0, "empty query");
	/* The longest name: "b.a.a....a.example.com", 253 bytes, 123
	 * labels; one byte more never matches. */
	memset(q, 'a', 241);
	for (n = 1; n < 241; n += 2)
		q[n] = '.';
	q[0] = 'b';
	memcpy(q + 241, ".example.com", 12);
	CHECK_INT_EQ(nfqd_names_match(s, q, 253), 1, "253 bytes, 123 labels: "
	    "matches");
	memmove(q + 1, q, 253);
	q[0] = 'c';
	CHECK_INT_EQ(nfqd_names_match(s, q, 254), 0, "254 bytes: never "
	    "matches");
	/* Dots alone, as long as allowed: 253 suffixes, no match. */
	memset(q, '.', 253);
	CHECK_INT_EQ(nfqd_names_match(s, q, 253), 0, "253 dots: no match");
	memcpy(q + 253 - 11, "example.com", 11);
	CHECK_INT_EQ(nfqd_names_match(s, q, 253), 1, "dots then example.com: "
	    "its parent after the last dot");
	nfqd_names_free(s);
}

/*
 * Dots at every offset (the lookup finds them 8 bytes at a time, the last
 * word overlapping): k labels of L bytes in front of a parent in the set,
 * or in front of a name that only looks like one.
 */
static void
test_dot_offsets(void)
{
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	struct nfqd_names		*s;
	char				 q[300], err[64];
	size_t				 L, k, i, n, bad = 0, tried = 0;

	nfqd_names_add(b, "example.com", 11, err, sizeof(err));
	nfqd_names_add(b, "=a.b", 4, err, sizeof(err));
	if ((s = nfqd_names_build(b)) == NULL)
		return;
	for (L = 1; L <= 63; L++) {
		for (k = 1; k <= 6; k++) {
			for (i = n = 0; i < k && n + L + 1 + 11 <= 253; i++) {
				memset(q + n, 'y', L);
				n += L;
				q[n++] = '.';
			}
			if (i < k)
				break;
			memcpy(q + n, "example.com", 11);
			bad += nfqd_names_match(s, q, n + 11) != 1;
			q[n + 7] = 'x';
			bad += nfqd_names_match(s, q, n + 11) != 0;
			bad += nfqd_names_match(s, q, n - 1) != 0;
			memcpy(q + n, "a.b", 3);
			bad += nfqd_names_match(s, q, n + 3) != 0;
			bad += nfqd_names_match(s, q + n, 3) != 1;
			tried += 5;
		}
	}
	CHECKF(bad == 0, unit_fmt("dots at every offset: %zu queries", tried),
	    "%zu wrong", bad);
	nfqd_names_free(s);
}

/* The reference: every element sorted, looked up suffix by suffix. */
struct ref {
	char	name[128];
	int	sub;
};

static int
ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref *)a)->name,
	    ((const struct ref *)b)->name);
}

static int
ref_match(const struct ref *r, size_t n, const char *q)
{
	struct ref	 key;
	const struct ref *f;
	size_t		 i, len = strlen(q);

	for (i = 0; i < len; i++) {
		if (i > 0 && q[i - 1] != '.')
			continue;
		if (len - i >= sizeof(key.name))
			continue;
		strcpy(key.name, q + i);
		f = bsearch(&key, r, n, sizeof(*r), ref_cmp);
		if (f != NULL && (f->sub || i == 0))
			return 1;
	}
	return 0;
}

/* A name of 1-4 labels from a small pool, so that names share parents. */
static void
random_name(char *buf, unsigned maxlabels)
{
	static const char *const pool[] = {
		"a", "b", "c", "com", "net", "org", "example", "www", "cdn",
		"ads", "x1", "y-2", "z_3", "mail", "api", "static", "img",
		"tracker", "edge", "eu", "us", "io", "de", "q", "long-label",
	};
	unsigned	n = 1 + rnd() % maxlabels, i;
	size_t		len = 0;

	for (i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%s%s", i ? "." : "",
		    pool[rnd() % NELEM(pool)]);
	/* Sometimes a label of its own, so that not every name is pooled. */
	if (rnd() % 4 == 0)
		sprintf(buf + len, ".%u", rnd() % 1000);
}

/*
 * The hashes nfqd_names_prefetch() leaves for nfqd_names_match()
 * (namematch.c's memo): batches of 1 to 24 queries (many sharing a memo slot,
 * some twice, some with a trailing dot, some with more suffixes than the memo
 * keeps) prefetched in s, then matched in another order, in s and in a second
 * set built after s: every answer is the reference's.
 */
static void
test_random_memo(const struct nfqd_names *s, const struct ref *r, size_t n)
{
	enum { BATCHES = 20000, MAXB = 24 };
	static const char	 text[] = "example.com\n";
	struct nfqd_names	*s2;
	char			 q[MAXB][160], err[256];
	size_t			 len[MAXB], i, j, k, bad = 0, bad2 = 0, cmp = 0;
	uint64_t		 hv[8];

	s2 = from_text(text, sizeof(text) - 1, err, sizeof(err));
	if (!CHECK(s2 != NULL, "memo: the second set built"))
		return;
	for (i = 0; i < BATCHES; i++) {
		k = 1 + rnd() % MAXB;
		for (j = 0; j < k; j++) {
			if (j > 0 && rnd() % 8 == 0) {
				memcpy(q[j], q[rnd() % j], sizeof(q[j]));
			} else if (rnd() % 3 == 0) {
				/* An element, under zero to 9 more labels. */
				q[j][0] = '\0';
				for (size_t l = rnd() % (rnd() % 6 == 0 ?
				    10 : 3); l > 0; l--)
					strcat(q[j], rnd() % 2 ? "a." : "xy.");
				strcat(q[j], r[rnd() % n].name);
			} else if (rnd() % 4 == 0) {
				snprintf(q[j], sizeof(q[j]), "%s.example.com",
				    rnd() % 2 ? "www" : "a.b");
			} else
				random_name(q[j], 6);
			len[j] = strlen(q[j]);
			if (rnd() % 8 == 0)
				q[j][len[j]++] = '.';
			(void) nfqd_names_prefetch(s, q[j], len[j], hv,
			    rnd() % 9);
		}
		for (j = k; j-- > 0; ) {
			char	plain[160];
			size_t	pl = len[j];

			memcpy(plain, q[j], pl);
			if (pl > 0 && plain[pl - 1] == '.')
				pl--;
			plain[pl] = '\0';
			bad += nfqd_names_match(s, q[j], len[j]) !=
			    ref_match(r, n, plain);
			bad2 += nfqd_names_match(s2, q[j], len[j]) !=
			    (strcmp(plain, "example.com") == 0 ||
			    (pl > 12 && strcmp(plain + pl - 12,
			    ".example.com") == 0));
			cmp++;
		}
	}
	CHECKF(bad == 0 && bad2 == 0 && cmp > BATCHES * 5, "memo: queries "
	    "matched after their prefetch agree with the reference, in the "
	    "set and in another", "%zu and %zu of %zu disagree", bad, bad2,
	    cmp);
	nfqd_names_free(s2);
}

/*
 * The memo keyed by a name that differs from the query in one byte: for
 * every length to 40 and every byte, a set holding the name A alone
 * ("=A"); A's twin B (A with that byte changed, so the first byte and
 * the length, which pick the memo's slot, mostly stay) prefetched and
 * then A matched, and the other way round.  A memo taken for the wrong
 * name would give B's answer to A or A's to B.
 */
static void
test_memo_twins(void)
{
	struct nfqd_names	*s;
	char			 a[48], b[48], text[64], err[256];
	size_t			 len, p, cmp = 0, bad = 0;
	uint64_t		 hv[8];
	int			 n;

	for (len = 1; len <= 40; len++) {
		for (p = 0; p < len; p++) {
			/* Labels of 8 letters: "bcdefghi.jklmnopq.r..." */
			for (size_t i = 0; i < len; i++)
				a[i] = i % 9 == 8 && i + 1 < len ? '.' :
				    (char)('a' + (i * 7 + len) % 26);
			a[len] = '\0';
			memcpy(b, a, len + 1);
			b[p] = a[p] == 'k' ? 'j' : 'k';
			n = snprintf(text, sizeof(text), "=%s\n", a);
			if ((s = from_text(text, (size_t)n, err,
			    sizeof(err))) == NULL) {
				bad++;
				continue;
			}
			(void) nfqd_names_prefetch(s, b, len, hv, 8);
			bad += nfqd_names_match(s, a, len) != 1;
			(void) nfqd_names_prefetch(s, a, len, hv, 8);
			bad += nfqd_names_match(s, b, len) != 0;
			cmp += 2;
			nfqd_names_free(s);
		}
	}
	CHECKF(bad == 0 && cmp == 40 * 41, "memo: a name and its twin that "
	    "differs in one byte never take each other's answer",
	    "%zu of %zu wrong", bad, cmp);
}

static void
test_random(void)
{
	enum { N = 100000, Q = 200000 };
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	struct nfqd_names		*s;
	struct ref			*r;
	char				 name[128], err[256];
	size_t				 i, j, n = 0, bad = 0, hits = 0;
	int				 got, want;

	if ((r = calloc(N, sizeof(*r))) == NULL)
		return;
	for (i = 0; i < N; i++) {
		random_name(name, 4);
		r[i].sub = rnd() % 5 != 0;
		snprintf(r[i].name, sizeof(r[i].name), "%s", name);
		snprintf(name, sizeof(name), "%s%s", r[i].sub ? "" : "=",
		    r[i].name);
		if (nfqd_names_add(b, name, strlen(name), err,
		    sizeof(err)) == -1)
			bad++;
	}
	CHECK_UINT_EQ(bad, 0, "random: 100k elements added");
	s = nfqd_names_build(b);
	if (!CHECK(s != NULL, "random: built")) {
		free(r);
		return;
	}
	/* Merge duplicates in the reference: the wider meaning wins. */
	qsort(r, N, sizeof(*r), ref_cmp);
	for (i = 0; i < N; i = j) {
		r[n] = r[i];
		for (j = i + 1; j < N && strcmp(r[j].name, r[i].name) == 0; j++)
			r[n].sub |= r[j].sub;
		n++;
	}
	CHECK_UINT_EQ(nfqd_names_count(s), n, "random: distinct count");
	for (i = 0, bad = 0; i < n; i++)
		bad += !match(s, r[i].name);
	CHECK_UINT_EQ(bad, 0, "random: every element matches itself");
	for (i = 0, bad = 0; i < Q; i++) {
		random_name(name, 6);
		got = match(s, name);
		want = ref_match(r, n, name);
		hits += want;
		if (got != want && bad++ < 5)
			printf("# \"%s\": %d, reference %d\n", name, got, want);
	}
	CHECKF(bad == 0, "random: 200k queries agree with the reference",
	    "%zu disagree", bad);
	CHECKF(hits > Q / 10 && hits < Q - Q / 10, "random: queries both "
	    "hit and miss", "%zu of %d hit", hits, Q);
	test_random_memo(s, r, n);
	nfqd_names_free(s);
	free(r);
}

/* n realistic names (2-4 labels of 3-15 bytes) added to a new set. */
static struct nfqd_names *
realistic(size_t n)
{
	static const char *const tld[] = { "com", "net", "org", "io", "de" };
	static const char	 chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	struct nfqd_names_builder	*b = nfqd_names_builder_new();
	char				 name[128], err[128];
	size_t				 i, len;
	unsigned			 labels, l, k, ll;

	if (b == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		len = 0;
		labels = 1 + rnd() % 3;
		for (l = 0; l < labels; l++) {
			ll = 3 + rnd() % 13;
			for (k = 0; k < ll; k++)
				name[len++] = chars[rnd() % 37];
			name[len++] = '.';
		}
		len += (size_t)sprintf(name + len, "%s", tld[rnd() % 5]);
		if (nfqd_names_add(b, name, len, err, sizeof(err)) == -1) {
			nfqd_names_builder_free(b);
			return NULL;
		}
	}
	return nfqd_names_build(b);
}

/*
 * A set rebuilt again and again (a reload each time) does not grow the
 * process, and a big set freed gives its memory back.  Under ASan the
 * process's RSS and heap count its quarantine and shadow, so only the
 * set's own size is checked there.
 */
#if defined(__SANITIZE_ADDRESS__)
static void
test_memory(void)
{
	struct nfqd_names	*s;
	size_t			 bytes;

	printf("# RSS and heap checks skipped under AddressSanitizer\n");
	if ((s = realistic(1000000)) == NULL) {
		CHECK(0, "1M names built");
		return;
	}
	bytes = nfqd_names_bytes(s);
	CHECKF(bytes <= 48 * nfqd_names_count(s), "1M names: at most 48 "
	    "bytes a name", "%zu bytes for %zu names", bytes,
	    nfqd_names_count(s));
	nfqd_names_free(s);
}
#else
static size_t
rss(void)
{
	unsigned long	size = 0, res = 0;
	FILE		*fp;

	if ((fp = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	if (fscanf(fp, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

static void
test_memory(void)
{
	struct nfqd_names	*s;
	struct mallinfo2	 m0, m1;
	size_t			 r0 = 0, r1, bytes, i;

	memset(&m0, 0, sizeof(m0));
	for (i = 0; i < 20; i++) {
		if ((s = realistic(200000)) == NULL)
			break;
		nfqd_names_free(s);
		if (i == 2) {
			r0 = rss();
			m0 = mallinfo2();
		}
	}
	r1 = rss();
	m1 = mallinfo2();
	CHECKF(i == 20 && r1 <= r0 + (1 << 20), "20 builds of 200k names: "
	    "RSS does not grow", "RSS %zu KiB after 3, %zu KiB after 20",
	    r0 >> 10, r1 >> 10);
	CHECKF(m1.uordblks <= m0.uordblks + 4096 && m1.arena <= m0.arena +
	    (1 << 20), "20 builds of 200k names: malloc heap does not grow",
	    "in use %zu -> %zu, arena %zu -> %zu", m0.uordblks, m1.uordblks,
	    m0.arena, m1.arena);

	if ((s = realistic(1000000)) == NULL) {
		CHECK(0, "1M names built");
		return;
	}
	bytes = nfqd_names_bytes(s);
	CHECKF(bytes <= 48 * nfqd_names_count(s), "1M names: at most 48 "
	    "bytes a name", "%zu bytes for %zu names", bytes,
	    nfqd_names_count(s));
	r0 = rss();
	nfqd_names_free(s);
	r1 = rss();
	CHECKF(r0 > r1 && r0 - r1 >= bytes - bytes / 10, "1M names: free "
	    "gives the memory back", "RSS %zu KiB -> %zu KiB, set %zu KiB",
	    r0 >> 10, r1 >> 10, bytes >> 10);
}
#endif

/*
 * nfqd_names_prefetch() and nfqd_names_prefetch_names(): the suffixes'
 * hashes, the longest last, as many as asked for; nothing for what the
 * set cannot hold; any hash safe to prefetch the names of.
 */
static void
test_prefetch(void)
{
	static const char	 text[] = "example.com\n=www.example.org\n";
	struct nfqd_names	*s, *none;
	uint64_t		 hv[8], one[2];
	char			 err[256], long_name[300];
	size_t			 n;
	unsigned		 i;

	s = from_text(text, sizeof(text) - 1, err, sizeof(err));
	none = from_text("", 0, err, sizeof(err));
	if (!CHECK(s != NULL && none != NULL, "prefetch: the sets built")) {
		nfqd_names_free(s);
		nfqd_names_free(none);
		return;
	}
	n = nfqd_names_prefetch(s, "a.b.example.com", 15, hv, 8);
	CHECK_INT_EQ(n, 4, "prefetch: 4 labels, 4 suffixes");
	CHECK(nfqd_names_prefetch(s, "a.b.example.com.", 16, one, 2) == 2 &&
	    one[0] == hv[2] && one[1] == hv[3],
	    "prefetch: 2 asked for: the 2 longest (a trailing dot ignored)");
	CHECK_INT_EQ(nfqd_names_prefetch(s, "example.com", 11, NULL, 0), 0,
	    "prefetch: none asked for: none given");
	CHECK_INT_EQ(nfqd_names_prefetch(none, "example.com", 11, hv, 8), 0,
	    "prefetch: an empty set: nothing");
	memset(long_name, 'a', sizeof(long_name));
	CHECK_INT_EQ(nfqd_names_prefetch(s, long_name, 254, hv, 8), 0,
	    "prefetch: a name longer than 253: nothing");
	CHECK_INT_EQ(nfqd_names_prefetch(s, "", 0, hv, 8), 0,
	    "prefetch: an empty name: nothing");
	/* Any hash at all: the slots read stay within the table. */
	for (i = 0; i < 8; i++)
		hv[i] = ~(uint64_t)0 - i * 0x9e3779b97f4a7c15ull;
	nfqd_names_prefetch_names(s, hv, 8);
	nfqd_names_prefetch_names(none, hv, 8);
	CHECK(nfqd_names_match(s, "a.b.example.com", 15) == 1 &&
	    nfqd_names_match(s, "www.example.org", 15) == 1 &&
	    nfqd_names_match(s, "a.www.example.org", 17) == 0,
	    "prefetch: the set answers as before");
	nfqd_names_free(s);
	nfqd_names_free(none);
}

int
main(void)
{
	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_match_rules();
	test_match_file();
	test_empty();
	test_errors();
	test_long_file();
	test_file_errors();
	test_yield();
	test_add_errors();
	test_limit();
	test_longest();
	test_norm();
	test_evasion();
	test_dot_offsets();
	test_random();
	test_memo_twins();
	test_memory();
	test_prefetch();
	unit_rmtree(dir);
	return unit_done();
}
