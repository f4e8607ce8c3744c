/*
 * Small helpers without a better home.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "nfqd/util.h"

static int
parse_u16(const char *s, const char **end, uint16_t *out)
{
	unsigned long	v;
	char		*e;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno != 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	*end = e;
	return 0;
}

int
nfqd_parse_balance(const char *s, uint16_t *first, uint16_t *last)
{
	const char	*e;
	uint16_t	 a, b;

	if (parse_u16(s, &e, &a) == -1)
		return -1;
	if (*e == '\0') {
		*first = *last = a;
		return 0;
	}
	if (*e != ':' || parse_u16(e + 1, &e, &b) == -1 || *e != '\0')
		return -1;
	if (b < a)
		return -1;
	*first = a;
	*last = b;
	return 0;
}

int
nfqd_parse_size(const char *s, uint64_t *out)
{
	unsigned long long	 v;
	char			*e;
	unsigned		 shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	switch (*e) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		e++;
		break;
	case 'm': case 'M':
		shift = 20;
		e++;
		break;
	case 'g': case 'G':
		shift = 30;
		e++;
		break;
	default:
		return -1;
	}
	/* Accept "8M" and "8MB", "8MiB"; nothing else after the unit. */
	if (shift != 0 && (strcmp(e, "B") == 0 || strcmp(e, "iB") == 0))
		e += strlen(e);
	if (*e != '\0')
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

unsigned
nfqd_edit_distance(const char *a, const char *b)
{
	unsigned	row[64], prev, tmp, i, j, la, lb, cost, best;

	la = (unsigned)strlen(a);
	lb = (unsigned)strlen(b);
	if (la >= 63 || lb >= 63)
		return 100;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cost = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? 0 : 1;
			best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

size_t
nfqd_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
nfqd_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* mkdir(2), where an existing directory is success. */
static int
mkdir_one(const char *path, unsigned mode)
{
	struct stat	sb;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
nfqd_mkdir_p(const char *path, unsigned mode)
{
	char	tmp[PATH_MAX], *p;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (nfqd_strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir_one(tmp, mode) == -1)
			return -1;
		*p = '/';
	}
	return mkdir_one(tmp, mode);
}

int
nfqd_online_cpus(void)
{
	int	n = get_nprocs();

	return n > 0 ? n : 1;
}

int
nfqd_cpu_for_slot(unsigned i)
{
	static cpu_set_t	allowed;
	static int		nallowed = -1;
	unsigned		k, seen = 0, want;

	if (nallowed == -1) {
		if (sched_getaffinity(0, sizeof(allowed), &allowed) == -1) {
			CPU_ZERO(&allowed);
			for (k = 0; k < (unsigned)nfqd_online_cpus() &&
			    k < CPU_SETSIZE; k++)
				CPU_SET(k, &allowed);
		}
		nallowed = CPU_COUNT(&allowed);
		if (nallowed == 0)
			return -1;
	}
	if (i < CPU_SETSIZE && CPU_ISSET(i, &allowed))
		return (int)i;
	want = i % (unsigned)nallowed;
	for (k = 0; k < CPU_SETSIZE; k++)
		if (CPU_ISSET(k, &allowed) && seen++ == want)
			return (int)k;
	return -1;
}

/* Descriptors open now. */
static unsigned
open_fds(void)
{
	DIR		*d;
	unsigned	 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 64;	/* a guess on the safe side */
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

int
nfqd_reserve_fds(unsigned n)
{
	struct rlimit	rl;
	rlim_t		need;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	need = (rlim_t)open_fds() + n + 16;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
			errno = EMFILE;
			return -1;
		}
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			return -1;
	}
	return 0;
}
