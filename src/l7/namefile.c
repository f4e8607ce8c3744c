/*
 * Reading a name list (include/nfqd/l7/names.h): a file or a text, line
 * by line, each line a name, a hosts-file line or a comment, into a
 * builder; every refusal says FILE:LINE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfqd/l7/names.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"
#include "namesint.h"

/* The file reader's buffer: many lines per read(), and one whole line. */
#define READ_CHUNK	(64 * 1024)
_Static_assert(READ_CHUNK > NFQD_NAMES_LINE_MAX + 1, "a line fits a read");

/* A list's reading position, for FILE:LINE in messages. */
struct list {
	struct nfqd_names_builder *b;
	const char	*label;		/* the file's path, or the caller's */
	unsigned long	 line;		/* the line being read, from 1 */
	char		*err;
	size_t		 errlen;
};

static int
list_fail(struct list *l, const char *msg)
{
	return nfqd_errf(l->err, l->errlen, EINVAL, "%s:%lu: %s", l->label,
	    l->line, msg);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* An IPv4 or IPv6 address (with an IPv6 zone, "fe80::1%lo0"): the first
 * field of a hosts-file line. */
static int
is_addr(const char *s, size_t len)
{
	char		buf[INET6_ADDRSTRLEN + 1];
	uint8_t		a[16];
	const char	*pct;
	size_t		i;

	if (memchr(s, '\0', len) != NULL)
		return 0;
	if (memchr(s, ':', len) != NULL) {
		if ((pct = memchr(s, '%', len)) != NULL && pct + 1 < s + len)
			len = (size_t)(pct - s);
		if (len >= sizeof(buf))
			return 0;
		memcpy(buf, s, len);
		buf[len] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1;
	}
	if (len >= sizeof(buf))
		return 0;
	for (i = 0; i < len; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1;
}

/*
 * The entries every hosts file starts with ("127.0.0.1 localhost",
 * "255.255.255.255 broadcasthost", "::1 ip6-loopback", "0.0.0.0 0.0.0.0"):
 * in a hosts-file line they are the machine's own names, not names to
 * match, and "local" would take every name under .local (many a Windows
 * domain) with it.
 */
static int
hosts_own(const char *s, size_t len)
{
	static const char *const own[] = {
		"localhost", "localhost.localdomain", "local", "broadcasthost",
		"ip6-localhost", "ip6-loopback", "ip6-localnet",
		"ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters",
		"ip6-allhosts",
	};
	size_t	i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strlen(own[i]) == len && strncasecmp(own[i], s, len) == 0)
			return 1;
	return is_addr(s, len);
}

/* An element; its refusal keeps the builder's errno (EFBIG: too many). */
static int
list_add(struct list *l, const char *s, size_t len)
{
	char	msg[512];

	if (nfqd_names_add(l->b, s, len, msg, sizeof(msg)) == 0)
		return 0;
	return nfqd_errf(l->err, l->errlen, errno, "%s:%lu: %s", l->label,
	    l->line, msg);
}

/* One line, its newline gone: blank, a name, or a hosts-file line. */
static int
list_line(struct list *l, const char *p, size_t len)
{
	const char	*end, *f, *g, *hash;
	char		 q[128], msg[256];
	size_t		 flen;

	if (l->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if ((hash = memchr(p, '#', len)) != NULL)
		len = (size_t)(hash - p);
	end = p + len;
	for (f = p; f < end && blank(*f); f++)
		;
	if (f == end)
		return 0;
	for (g = f; g < end && !blank(*g); g++)
		;
	flen = (size_t)(g - f);
	while (g < end && blank(*g))
		g++;
	if (g == end) {
		if (is_addr(f, flen)) {
			snprintf(msg, sizeof(msg), "%s: an address with no "
			    "name after it", nfqd_names_shown(q, sizeof(q),
			    (const uint8_t *)f, flen));
			return list_fail(l, msg);
		}
		return list_add(l, f, flen);
	}
	if (!is_addr(f, flen)) {
		snprintf(msg, sizeof(msg), "%s is not an IP address: only a "
		    "hosts-file line (an address, then names) holds more than "
		    "one name", nfqd_names_shown(q, sizeof(q), (const uint8_t *)f, flen));
		return list_fail(l, msg);
	}
	while (g < end) {
		for (f = g; g < end && !blank(*g); g++)
			;
		if (!hosts_own(f, (size_t)(g - f)) &&
		    list_add(l, f, (size_t)(g - f)) == -1)
			return -1;
		while (g < end && blank(*g))
			g++;
	}
	return 0;
}

/*
 * The whole lines of p[0..len), and the rest as a last line when final.
 * *done: the bytes read (the start of a line not yet whole).
 */
static int
list_feed(struct list *l, const char *p, size_t len, int final, size_t *done)
{
	const char	*nl;
	size_t		 off = 0, n;

	*done = 0;
	while (off < len) {
		nl = memchr(p + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (p + off)) : len - off;
		if (n > NFQD_NAMES_LINE_MAX) {
			l->line++;
			return list_fail(l, "line longer than 4096 bytes");
		}
		if (nl == NULL && !final)
			break;
		l->line++;
		if (list_line(l, p + off, n) == -1)
			return -1;
		off += n + (nl != NULL);
		*done = off;
	}
	return 0;
}

_Static_assert(NFQD_NAMES_LINE_MAX == 4096, "the message names the limit");

int
nfqd_names_add_text(struct nfqd_names_builder *b, const char *label,
    const char *text, size_t len, char *err, size_t errlen)
{
	struct list	l = { b, label, 0, err, errlen };
	size_t		done;

	return list_feed(&l, text, len, 1, &done);
}

/* The list being read, for nfqd_names_forked(); -1: none. */
static int	reading_fd = -1;

void
nfqd_names_forked(void)
{
	nfqd_load_set_yield(NULL, NULL);
	if (reading_fd != -1)
		close(reading_fd);
	reading_fd = -1;
}

int
nfqd_names_add_file(struct nfqd_names_builder *b, const char *path,
    uint64_t *hash, char *err, size_t errlen)
{
	struct list	 l = { b, path, 0, err, errlen };
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 have = 0, done;
	uint64_t	 total = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if (hash != NULL)
		*hash = NFQD_FNV_INIT;
	/* O_NONBLOCK: a FIFO put in a list's place must not hang the
	 * master in open(); it is refused below. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1)
		return nfqd_errf(err, errlen, errno, "open(%s): %s", path,
		    strerror(errno));
	reading_fd = fd;
	if (fstat(fd, &sb) == -1) {
		nfqd_errf(err, errlen, errno, "fstat(%s): %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		nfqd_errf(err, errlen, EINVAL, "%s is %s, not a regular file",
		    path, nfqd_file_kind(sb.st_mode));
		goto out;
	}
	if ((uint64_t)sb.st_size > NFQD_NAMES_FILE_MAX) {
		nfqd_errf(err, errlen, EFBIG, "%s: larger than %lu MiB, the "
		    "limit for a name list", path, NFQD_NAMES_FILE_MAX >> 20);
		goto out;
	}
	if ((buf = malloc(READ_CHUNK)) == NULL) {
		nfqd_errf(err, errlen, ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		r = read(fd, buf + have, READ_CHUNK - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			nfqd_errf(err, errlen, errno, "read(%s): %s", path,
			    strerror(errno));
			goto out;
		}
		/* It may have grown since fstat(). */
		if ((total += (uint64_t)r) > NFQD_NAMES_FILE_MAX) {
			nfqd_errf(err, errlen, EFBIG, "%s: larger than %lu "
			    "MiB, the limit for a name list", path,
			    NFQD_NAMES_FILE_MAX >> 20);
			goto out;
		}
		if (hash != NULL)
			*hash = nfqd_fnv1a(*hash, buf + have, (size_t)r);
		have += (size_t)r;
		if (list_feed(&l, buf, have, r == 0, &done) == -1)
			goto out;
		if (r == 0)
			break;
		memmove(buf, buf + done, have - done);
		have -= done;
		if (nfqd_names_yield() == -1) {
			nfqd_errf(err, errlen, ECANCELED, "%s: not read to "
			    "its end: nfqd is stopping", path);
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	reading_fd = -1;
	close(fd);
	return rc;
}

