/*
 * The memory nfqd may take: MemTotal, or its cgroup's limit where lower
 * (a container, a systemd unit with MemoryMax=), where the OOM killer
 * takes the master long before MemTotal is reached.  A limit that cannot
 * be read counts as none: the host's memory stays the answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "nfqd/memlimit.h"
#include "nfqd/util.h"

/* From here a limit is none: v1 writes "unlimited" as 2^63 less a page. */
#define HUGE_LIMIT	(1ull << 62)

/*
 * Below this a limit is not believed: no running nfqd fits in it (its
 * master alone maps more), so it is a cgroup being torn down (cgroup v2
 * reads 0 then) or a mistake, and half of it would refuse every name set.
 * It counts as no limit, with a note (nfqd_cgroup_mem_max()).
 */
#define LIMIT_FLOOR	(1ull << 20)

/*
 * The files read line by line: a line is at most LINE_MAX bytes (a
 * mountinfo line holds two paths, each up to 4 times PATH_MAX escaped);
 * a longer one is skipped, never used cut.  A file of more than its
 * caller's bound is no kernel's and is not used at all.
 */
#define LINE_MAX_BYTES	(8 * PATH_MAX + 1024)
#define CGROUP_MAX	(64 * 1024)
#define MOUNTINFO_MAX	(16 * 1024 * 1024)

/*
 * fn(line, arg) for each line of path, its '\n' gone: 0, or -1 where path
 * cannot be read or holds more than max bytes (then what fn was given
 * must not be used).  A line longer than LINE_MAX_BYTES, or with a NUL
 * in it, is not given to fn.
 */
static int
each_line(const char *path, size_t max, void (*fn)(char *, void *),
    void *arg)
{
	char	*buf, *nl;
	size_t	 have = 0, start, total = 0;
	ssize_t	 r;
	int	 fd, skip = 0, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if ((buf = malloc(LINE_MAX_BYTES + 1)) == NULL) {
		close(fd);
		return -1;
	}
	for (;;) {
		r = read(fd, buf + have, LINE_MAX_BYTES - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || (total += (size_t)r) > max)
			goto fail;
		if (r == 0) {
			/* The last line, without its '\n': whole, at EOF. */
			buf[have] = '\0';
			if (have > 0 && !skip && strlen(buf) == have)
				fn(buf, arg);
			break;
		}
		have += (size_t)r;
		for (start = 0; (nl = memchr(buf + start, '\n',
		    have - start)) != NULL; start = (size_t)(nl - buf) + 1) {
			*nl = '\0';
			if (!skip && strlen(buf + start) ==
			    (size_t)(nl - buf) - start)
				fn(buf + start, arg);
			skip = 0;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		/* A full buffer and no '\n': skip to the next line. */
		if (have == LINE_MAX_BYTES) {
			skip = 1;
			have = 0;
		}
	}
	free(buf);
	close(fd);
	return 0;
fail:
	e = r == -1 ? errno : EFBIG;
	free(buf);
	close(fd);
	errno = e;
	return -1;
}

/*
 * One limit file: 1 and *v (UINT64_MAX: "max" or huge), or 0 where it is
 * missing or holds anything but one number or "max" and a newline (a NUL
 * in it too).  A limit under LIMIT_FLOOR is 0 too, its file named in
 * note.
 */
static int
read_limit(const char *path, uint64_t *v, char *note, size_t notelen)
{
	char			 buf[64], *e;
	unsigned long long	 n;
	ssize_t			 len;
	bool			 cut;

	/* A NUL in it ends no number: the file is not one (each_line()). */
	if ((len = nfqd_read_small(path, buf, sizeof(buf), &cut)) <= 0 ||
	    cut || strlen(buf) != (size_t)len)
		return 0;
	if (strcmp(buf, "max\n") == 0 || strcmp(buf, "max") == 0) {
		*v = UINT64_MAX;
		return 1;
	}
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	errno = 0;
	n = strtoull(buf, &e, 10);
	if (errno != 0 || (*e != '\0' && strcmp(e, "\n") != 0))
		return 0;
	if (n < LIMIT_FLOOR) {
		if (notelen > 0)
			snprintf(note, notelen, "%s says %llu bytes, under 1 "
			    "MiB, taken as no limit (a cgroup being removed, "
			    "or a mistake)", path, n);
		return 0;
	}
	*v = n >= HUGE_LIMIT ? UINT64_MAX : (uint64_t)n;
	return 1;
}

/*
 * Whether path is "/" or "/a/b": no empty component, none that is "." or
 * "..".  "..x" and "..." are names a cgroup may have.
 */
static int
path_ok(const char *path)
{
	const char	*c, *e;
	size_t		 n;

	if (path[0] != '/')
		return 0;
	if (strcmp(path, "/") == 0)
		return 1;
	for (c = path + 1; ; c = e + 1) {
		if ((e = strchr(c, '/')) == NULL)
			e = c + strlen(c);
		n = (size_t)(e - c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (*e == '\0')
			return 1;
	}
}

/*
 * The lowest of file's limits in the cgroup base/path and each one above
 * it to base itself: 1 where one was read, *v UINT64_MAX where none of
 * them limits.  A container sees its own cgroup at base, under the path
 * the host gave it: the levels that are missing are skipped.
 */
static int
walk(const char *base, const char *path, const char *file, uint64_t *v,
    char *note, size_t notelen)
{
	char		 p[PATH_MAX], f[PATH_MAX];
	char		*slash;
	uint64_t	 lim;
	int		 found = 0;

	*v = UINT64_MAX;
	if (!path_ok(path) ||
	    (size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p))
		return 0;
	for (;;) {
		/* p is "/a/b" or "" (the root). */
		if (strcmp(p, "/") == 0)
			p[0] = '\0';
		if ((size_t)snprintf(f, sizeof(f), "%s%s/%s", base, p, file) <
		    sizeof(f) && read_limit(f, &lim, note, notelen)) {
			found = 1;
			if (lim < *v)
				*v = lim;
		}
		if (p[0] == '\0')
			break;
		slash = strrchr(p, '/');
		*slash = '\0';
	}
	return found;
}

/* Whether the comma-separated list c[0..n) holds word. */
static int
has_word(const char *c, size_t n, const char *word)
{
	const char	*e = c + n, *comma;
	size_t		 wl = strlen(word);

	while (c < e) {
		comma = memchr(c, ',', (size_t)(e - c));
		if (comma == NULL)
			comma = e;
		if ((size_t)(comma - c) == wl && memcmp(c, word, wl) == 0)
			return 1;
		c = comma + 1;
	}
	return 0;
}

/* What /proc/self/cgroup and mountinfo say: for v2, then v1. */
struct cgroups {
	char	path[2][PATH_MAX];	/* the cgroup, as /proc/self/cgroup */
	bool	in[2];			/* path read */
	char	base[2][PATH_MAX];	/* where its hierarchy's root is seen */
	char	rel[2][PATH_MAX];	/* path under base */
	bool	mounted[2];		/* base and rel found in mountinfo */
	const char *root;		/* the test's tree, or "" */
};

/* "0::/path" (v2), "4:memory:/path" (v1). */
static void
cgroup_line(char *line, void *arg)
{
	struct cgroups	*g = arg;
	char		*c1, *c2;
	int		 v;

	if ((c1 = strchr(line, ':')) == NULL ||
	    (c2 = strchr(c1 + 1, ':')) == NULL)
		return;
	if (strncmp(line, "0::", 3) == 0)
		v = 0;
	else if (has_word(c1 + 1, (size_t)(c2 - c1 - 1), "memory"))
		v = 1;
	else
		return;
	g->in[v] = (size_t)snprintf(g->path[v], sizeof(g->path[v]), "%s",
	    c2 + 1) < sizeof(g->path[v]);
}

/* mountinfo's escapes undone in place ("\040" a space): 0 where one
 * would make a NUL. */
static int
unescape(char *s)
{
	char	*w = s;
	int	 c;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			c = (s[1] - '0') << 6 | (s[2] - '0') << 3 |
			    (s[3] - '0');
			if (c == 0)
				return 0;
			*w++ = (char)c;
			s += 3;
		} else
			*w++ = *s;
	}
	*w = '\0';
	return 1;
}

/*
 * "36 25 0:31 /ROOT /MOUNT rw,nosuid shared:9 - cgroup2 cgroup2 rw": a
 * cgroup hierarchy mounted at MOUNT shows its cgroup ROOT there (a
 * container's, or a bind mount of a part): the cgroup path, which names
 * it from the hierarchy's root, is under MOUNT less ROOT.  A mount whose
 * ROOT is not above the path cannot show it.  The first that can wins.
 */
static void
mount_line(char *line, void *arg)
{
	struct cgroups	*g = arg;
	char		*f[6], *type, *opts, *rel;
	size_t		 rl;
	unsigned	 i;
	int		 v;

	for (i = 0; i < 6; i++)
		if ((f[i] = strsep(&line, " ")) == NULL)
			return;
	/* Optional fields ("shared:9"), up to "-". */
	while ((type = strsep(&line, " ")) != NULL && strcmp(type, "-") != 0)
		;
	if (type == NULL || (type = strsep(&line, " ")) == NULL ||
	    strsep(&line, " ") == NULL || (opts = strsep(&line, " ")) == NULL)
		return;
	if (strcmp(type, "cgroup2") == 0)
		v = 0;
	else if (strcmp(type, "cgroup") == 0 &&
	    has_word(opts, strlen(opts), "memory"))
		v = 1;
	else
		return;
	if (!g->in[v] || g->mounted[v] || !unescape(f[3]) || !unescape(f[4]))
		return;
	rl = strlen(f[3]);
	if (strcmp(f[3], "/") == 0)
		rel = g->path[v];
	else if (strncmp(g->path[v], f[3], rl) == 0 &&
	    g->path[v][rl] == '\0')
		rel = "/";
	else if (strncmp(g->path[v], f[3], rl) == 0 && g->path[v][rl] == '/')
		rel = g->path[v] + rl;
	else
		return;
	if ((size_t)snprintf(g->base[v], sizeof(g->base[v]), "%s%s", g->root,
	    strcmp(f[4], "/") == 0 ? "" : f[4]) >= sizeof(g->base[v]))
		return;
	memmove(g->rel[v], rel, strlen(rel) + 1);
	g->mounted[v] = true;
}

uint64_t
nfqd_cgroup_mem_max(const char *root, char *note, size_t notelen)
{
	static const char *const file[2] = {
		"memory.max", "memory.limit_in_bytes"
	};
	/* Where the hierarchies are where mountinfo cannot be read. */
	static const char *const dflt[2] = {
		"/sys/fs/cgroup", "/sys/fs/cgroup/memory"
	};
	struct cgroups	*g;
	char		 path[PATH_MAX];
	uint64_t	 v, lim = UINT64_MAX;
	int		 i, mi;

	if (notelen > 0)
		note[0] = '\0';
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return UINT64_MAX;
	g->root = root;
	/* A file over the bound (or unread) names no cgroup: no limit. */
	if ((size_t)snprintf(path, sizeof(path), "%s/proc/self/cgroup",
	    root) >= sizeof(path) ||
	    each_line(path, CGROUP_MAX, cgroup_line, g) == -1)
		goto out;
	/* Unread (or too big to be a kernel's): the usual places. */
	mi = (size_t)snprintf(path, sizeof(path), "%s/proc/self/mountinfo",
	    root) < sizeof(path) &&
	    each_line(path, MOUNTINFO_MAX, mount_line, g) == 0;
	for (i = 0; i < 2; i++) {
		if (!g->in[i])
			continue;
		if (!mi) {
			if ((size_t)snprintf(g->base[i], sizeof(g->base[i]),
			    "%s%s", root, dflt[i]) >= sizeof(g->base[i]))
				continue;
			memmove(g->rel[i], g->path[i], strlen(g->path[i]) + 1);
		} else if (!g->mounted[i])
			continue;
		if (walk(g->base[i], g->rel[i], file[i], &v, note, notelen)) {
			lim = v;
			break;
		}
	}
out:
	free(g);
	return lim;
}

int
nfqd_mem_limit(uint64_t *bytes, bool *cgroup, char *note, size_t notelen)
{
	struct sysinfo	si;
	uint64_t	cg;

	if (sysinfo(&si) == -1)
		return -1;
	*bytes = (uint64_t)si.totalram * si.mem_unit;
	*cgroup = false;
	if ((cg = nfqd_cgroup_mem_max("", note, notelen)) < *bytes) {
		*bytes = cg;
		*cgroup = true;
	}
	return 0;
}
