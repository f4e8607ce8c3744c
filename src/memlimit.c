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

/* From here a limit is none: v1 writes "unlimited" as 2^63 less a page. */
#define HUGE_LIMIT	(1ull << 62)

/* path's bytes, up to len - 1, NUL-ended.  Their count, or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t	r;
	size_t	have = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	while (have < len - 1) {
		r = read(fd, buf + have, len - 1 - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	buf[have] = '\0';
	return (ssize_t)have;
}

/*
 * One limit file: 1 and *v (UINT64_MAX: "max" or huge), or 0 where it is
 * missing or holds anything but one number or "max" and a newline.
 */
static int
read_limit(const char *path, uint64_t *v)
{
	char			 buf[64], *e;
	unsigned long long	 n;

	if (read_small(path, buf, sizeof(buf)) <= 0)
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
	*v = n >= HUGE_LIMIT ? UINT64_MAX : (uint64_t)n;
	return 1;
}

/*
 * The lowest of file's limits in the cgroup base/path and each one above
 * it to base itself: 1 where one was read, *v UINT64_MAX where none of
 * them limits.  A container sees its own cgroup at base, under the path
 * the host gave it: the levels that are missing are skipped.
 */
static int
walk(const char *base, const char *path, const char *file, uint64_t *v)
{
	char		 p[PATH_MAX], f[PATH_MAX];
	char		*slash;
	uint64_t	 lim;
	int		 found = 0;

	*v = UINT64_MAX;
	if (path[0] != '/' || strstr(path, "/..") != NULL ||
	    (size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p))
		return 0;
	for (;;) {
		/* p is "/a/b" or "" (the root). */
		if (strcmp(p, "/") == 0)
			p[0] = '\0';
		if ((size_t)snprintf(f, sizeof(f), "%s%s/%s", base, p, file) <
		    sizeof(f) && read_limit(f, &lim)) {
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

/* Whether the controllers c[0..n) of a v1 line name "memory". */
static int
has_memory(const char *c, size_t n)
{
	const char	*e = c + n, *comma;

	while (c < e) {
		comma = memchr(c, ',', (size_t)(e - c));
		if (comma == NULL)
			comma = e;
		if (comma - c == 6 && memcmp(c, "memory", 6) == 0)
			return 1;
		c = comma + 1;
	}
	return 0;
}

uint64_t
nfqd_cgroup_mem_max(const char *root)
{
	char		 buf[8192], base[PATH_MAX];
	char		*line, *next, *c1, *c2, *v2 = NULL, *v1 = NULL;
	uint64_t	 v;

	if ((size_t)snprintf(base, sizeof(base), "%s/proc/self/cgroup",
	    root) >= sizeof(base) || read_small(base, buf, sizeof(buf)) <= 0)
		return UINT64_MAX;
	/* "0::/path" (v2), "4:memory:/path" (v1). */
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((c1 = strchr(line, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		if (strncmp(line, "0::", 3) == 0)
			v2 = c2 + 1;
		else if (has_memory(c1 + 1, (size_t)(c2 - c1 - 1)))
			v1 = c2 + 1;
	}
	if (v2 != NULL && (size_t)snprintf(base, sizeof(base),
	    "%s/sys/fs/cgroup", root) < sizeof(base) &&
	    walk(base, v2, "memory.max", &v))
		return v;
	if (v1 != NULL && (size_t)snprintf(base, sizeof(base),
	    "%s/sys/fs/cgroup/memory", root) < sizeof(base) &&
	    walk(base, v1, "memory.limit_in_bytes", &v))
		return v;
	return UINT64_MAX;
}

int
nfqd_mem_limit(uint64_t *bytes, bool *cgroup)
{
	struct sysinfo	si;
	uint64_t	cg;

	if (sysinfo(&si) == -1)
		return -1;
	*bytes = (uint64_t)si.totalram * si.mem_unit;
	*cgroup = false;
	if ((cg = nfqd_cgroup_mem_max("")) < *bytes) {
		*bytes = cg;
		*cgroup = true;
	}
	return 0;
}
