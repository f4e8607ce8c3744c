/*
 * Small helpers without a better home.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <libgen.h>
#include <sched.h>
#include <sys/random.h>
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
	case 't': case 'T':
		shift = 40;
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
	/* "99999999999T" is too large, not the low 64 bits of it. */
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

char *
nfqd_abspath(const char *path)
{
	char	*cwd, *abs;
	int	 n;

	if (path[0] == '/' || path[0] == '\0')
		return strdup(path);
	while (path[0] == '.' && path[1] == '/')
		for (path += 2; path[0] == '/'; path++)
			;
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return NULL;
	/* getcwd() is "/" at the root: no "//" in front of the name. */
	n = asprintf(&abs, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/",
	    path);
	free(cwd);
	if (n == -1)
		return NULL;
	return abs;
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

ssize_t
nfqd_read_small(const char *path, char *buf, size_t len, bool *cut)
{
	ssize_t	r;
	size_t	have = 0;
	char	more;
	int	fd;

	if (cut != NULL)
		*cut = false;
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	/* /proc's files may come in pieces: read until EOF or full. */
	while (have < len - 1) {
		r = read(fd, buf + have, len - 1 - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		have += (size_t)r;
	}
	/* Full: one byte more tells a file that fitted from one cut. */
	while (cut != NULL && have == len - 1) {
		r = read(fd, &more, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		*cut = r > 0;
		break;
	}
	close(fd);
	buf[have] = '\0';
	return (ssize_t)have;
fail:
	r = errno;
	close(fd);
	errno = (int)r;
	return -1;
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

/*
 * Files the master writes (statistics, pidfile, counters regions).  Each
 * lives in a directory only root or nfqd's user can change, is made under
 * a name nothing had (O_CREAT | O_EXCL) and put in place by rename(): what
 * someone else planted on the way (a FIFO, a symbolic link, a directory,
 * a file of theirs) is never opened, followed or written through, and
 * opening never waits (O_NONBLOCK).  Errors are messages in err that name
 * the call and the path; errno is set as well.
 */

int
nfqd_errf(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list	ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

const char *
nfqd_file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	}
	return "of an unknown type";
}

/* A directory nobody but root and this process's user can change. */
static int
dir_safe(const char *p, const struct stat *sb, char *err, size_t errlen)
{
	unsigned	mode = sb->st_mode & 07777;

	if (!S_ISDIR(sb->st_mode))
		return nfqd_errf(err, errlen, ENOTDIR, "%s is %s, not a "
		    "directory", p, nfqd_file_kind(sb->st_mode));
	if (sb->st_uid != 0 && sb->st_uid != geteuid())
		return nfqd_errf(err, errlen, EPERM, "directory %s belongs "
		    "to uid %u, who could replace the files nfqd writes "
		    "there", p, (unsigned)sb->st_uid);
	if ((mode & (S_IWGRP | S_IWOTH)) != 0 && (mode & S_ISVTX) == 0)
		return nfqd_errf(err, errlen, EPERM, "directory %s is "
		    "writable by %s (mode %04o) and not sticky: others could "
		    "replace the files nfqd writes there", p,
		    (mode & S_IWOTH) ? "every user" : "its group", mode);
	return 0;
}

/* Every directory from / down to the end of p (absolute, no links). */
static int
walk_real(char *p, char *err, size_t errlen)
{
	struct stat	sb;
	size_t		i, len = strlen(p);
	char		c;

	if (lstat("/", &sb) == -1)
		return nfqd_errf(err, errlen, errno, "lstat(/): %s",
		    strerror(errno));
	if (dir_safe("/", &sb, err, errlen) == -1)
		return -1;
	for (i = 1; i <= len; i++) {
		if ((p[i] != '/' && p[i] != '\0') || p[i - 1] == '/')
			continue;
		c = p[i];
		p[i] = '\0';
		if (lstat(p, &sb) == -1)
			return nfqd_errf(err, errlen, errno, "lstat(%s): %s",
			    p, strerror(errno));
		if (dir_safe(p, &sb, err, errlen) == -1)
			return -1;
		p[i] = c;
	}
	return 0;
}

int
nfqd_dir_prepare(const char *dir, unsigned mode, char *err, size_t errlen)
{
	struct stat	 sb;
	char		 p[PATH_MAX], *real;
	size_t		 i, len;
	int		 r;
	char		 c;

	if (dir[0] != '/')
		return nfqd_errf(err, errlen, EINVAL, "%s: not an absolute "
		    "path", dir);
	if ((len = nfqd_strlcpy(p, dir, sizeof(p))) >= sizeof(p))
		return nfqd_errf(err, errlen, ENAMETOOLONG, "%s: path too "
		    "long", dir);
	/*
	 * Each component as written: made when missing (inside a directory
	 * checked the step before), a symbolic link only when root's or
	 * ours (fs.protected_symlinks may be off), leading to a safe
	 * directory.
	 */
	for (i = 1; i <= len; i++) {
		if ((p[i] != '/' && p[i] != '\0') || p[i - 1] == '/')
			continue;
		c = p[i];
		p[i] = '\0';
		if (lstat(p, &sb) == -1 && errno == ENOENT &&
		    mkdir(p, mode) == -1 && errno != EEXIST)
			return nfqd_errf(err, errlen, errno, "mkdir(%s): %s",
			    p, strerror(errno));
		if (lstat(p, &sb) == -1)
			return nfqd_errf(err, errlen, errno, "lstat(%s): %s",
			    p, strerror(errno));
		if (S_ISLNK(sb.st_mode) && sb.st_uid != 0 &&
		    sb.st_uid != geteuid())
			return nfqd_errf(err, errlen, EPERM, "%s is a symbolic "
			    "link of uid %u, who could point it anywhere", p,
			    (unsigned)sb.st_uid);
		if (stat(p, &sb) == -1)
			return nfqd_errf(err, errlen, errno, "stat(%s): %s",
			    p, strerror(errno));
		if (dir_safe(p, &sb, err, errlen) == -1)
			return -1;
		p[i] = c;
	}
	/* And every directory on the way to where the links lead. */
	if ((real = realpath(dir, NULL)) == NULL)
		return nfqd_errf(err, errlen, errno, "realpath(%s): %s", dir,
		    strerror(errno));
	r = walk_real(real, err, errlen);
	free(real);
	return r;
}

int
nfqd_dir_prepare_for(const char *file, char *err, size_t errlen)
{
	char	dir[PATH_MAX];

	if (nfqd_strlcpy(dir, file, sizeof(dir)) >= sizeof(dir))
		return nfqd_errf(err, errlen, ENAMETOOLONG, "%s: path too "
		    "long", file);
	return nfqd_dir_prepare(dirname(dir), 0755, err, errlen);
}

int
nfqd_check_replaceable(const char *path, char *err, size_t errlen)
{
	struct stat	sb;
	int		e;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		return nfqd_errf(err, errlen, errno, "lstat(%s): %s", path,
		    strerror(errno));
	}
	if (!S_ISREG(sb.st_mode)) {
		e = S_ISDIR(sb.st_mode) ? EISDIR : S_ISLNK(sb.st_mode) ?
		    ELOOP : EEXIST;
		return nfqd_errf(err, errlen, e, "refusing to replace %s: it "
		    "is %s, not a file nfqd wrote", path,
		    nfqd_file_kind(sb.st_mode));
	}
	if (sb.st_uid != geteuid())
		return nfqd_errf(err, errlen, EPERM, "refusing to replace %s: "
		    "it belongs to uid %u, not to nfqd's uid %u", path,
		    (unsigned)sb.st_uid, (unsigned)geteuid());
	return 0;
}

void
nfqd_random_bytes(unsigned char *buf, size_t len)
{
	static uint64_t	n;
	uint64_t	x;
	size_t		i;

	if (getrandom(buf, len, GRND_NONBLOCK) == (ssize_t)len)
		return;
	x = nfqd_now_ns() ^ ((uint64_t)getpid() << 32) ^
	    (++n * 0x9e3779b97f4a7c15ull);
	for (i = 0; i < len; i++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		buf[i] = (unsigned char)(x >> 56);
	}
}

int
nfqd_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmplen,
    char *err, size_t errlen)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char	rnd[8];
	char		sfx[sizeof(rnd) + 1];
	struct stat	sb;
	size_t		k;
	int		fd, n, i, e;

	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < NFQD_TMPFILE_TRIES; i++) {
		if (i == 0) {
			n = snprintf(tmp, tmplen, "%s.tmp.%d", path,
			    (int)getpid());
		} else {
			nfqd_random_bytes(rnd, sizeof(rnd));
			for (k = 0; k < sizeof(rnd); k++)
				sfx[k] = chars[rnd[k] % (sizeof(chars) - 1)];
			sfx[k] = '\0';
			n = snprintf(tmp, tmplen, "%s.tmp.%d.%s", path,
			    (int)getpid(), sfx);
		}
		if (n < 0 || (size_t)n >= tmplen)
			return nfqd_errf(err, errlen, ENAMETOOLONG, "%s: path "
			    "too long for a temporary name", path);
		/* O_EXCL: a symbolic link, a FIFO, anything there fails. */
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC, 0600);
		if (fd != -1) {
			/* The mode asked for, whatever the umask. */
			if (fchmod(fd, mode) == -1) {
				e = errno;
				close(fd);
				unlink(tmp);
				return nfqd_errf(err, errlen, e, "fchmod(%s): "
				    "%s", tmp, strerror(e));
			}
			return fd;
		}
		if (errno != EEXIST)
			return nfqd_errf(err, errlen, errno, "open(%s): %s",
			    tmp, strerror(errno));
		/* Left by a killed process of the same pid, or planted. */
		if (i == 0 && errlen > 0)
			snprintf(err, errlen, "open(%s): %s: %s is in the way; "
			    "used another name", tmp, strerror(EEXIST),
			    lstat(tmp, &sb) == 0 ?
			    nfqd_file_kind(sb.st_mode) : "something");
	}
	return nfqd_errf(err, errlen, EEXIST, "open(%s.tmp.%d.*): %d names "
	    "tried, every one taken", path, (int)getpid(),
	    NFQD_TMPFILE_TRIES);
}

int
nfqd_write_file_atomic(const char *path, const void *data, size_t len,
    unsigned mode, char *err, size_t errlen)
{
	char	tmp[PATH_MAX + 32];
	int	fd, e;

	if (nfqd_check_replaceable(path, err, errlen) == -1)
		return -1;
	fd = nfqd_tmpfile(path, mode, tmp, sizeof(tmp), err, errlen);
	if (fd == -1)
		return -1;
	if (nfqd_write_all(fd, data, len) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		return nfqd_errf(err, errlen, e, "write(%s): %s", tmp,
		    strerror(e));
	}
	if (close(fd) == -1) {
		e = errno;
		unlink(tmp);
		return nfqd_errf(err, errlen, e, "close(%s): %s", tmp,
		    strerror(e));
	}
	/* rename() replaces the name: it never follows a link there. */
	if (rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		return nfqd_errf(err, errlen, e, "rename(%s, %s): %s", tmp,
		    path, strerror(e));
	}
	return 0;
}

int
nfqd_open_own(const char *path, int flags, unsigned mode, char *err,
    size_t errlen)
{
	struct stat	sb;
	int		fd, e;

	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	if (fd == -1) {
		e = errno;
		if (e != ENOENT && lstat(path, &sb) == 0 &&
		    !S_ISREG(sb.st_mode))
			return nfqd_errf(err, errlen, e, "refusing to open %s: "
			    "it is %s, not a regular file", path,
			    nfqd_file_kind(sb.st_mode));
		return nfqd_errf(err, errlen, e, "open(%s): %s", path,
		    strerror(e));
	}
	if (fstat(fd, &sb) == -1) {
		e = errno;
		close(fd);
		return nfqd_errf(err, errlen, e, "fstat(%s): %s", path,
		    strerror(e));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return nfqd_errf(err, errlen, EEXIST, "refusing to use %s: it "
		    "is %s, not a regular file", path,
		    nfqd_file_kind(sb.st_mode));
	}
	if (sb.st_uid != geteuid()) {
		close(fd);
		return nfqd_errf(err, errlen, EPERM, "refusing to use %s: it "
		    "belongs to uid %u, not to nfqd's uid %u", path,
		    (unsigned)sb.st_uid, (unsigned)geteuid());
	}
	if (sb.st_nlink != 1) {
		close(fd);
		return nfqd_errf(err, errlen, EMLINK, "refusing to use %s: it "
		    "has %lu names (hard links); writing it would change the "
		    "others", path, (unsigned long)sb.st_nlink);
	}
	return fd;
}

int
nfqd_unlink_same(const char *path, uint64_t dev, uint64_t ino)
{
	struct stat	sb;

	if (lstat(path, &sb) == -1)
		return -1;
	if (sb.st_dev != dev || sb.st_ino != ino)
		return 1;	/* replaced since: not ours to remove */
	return unlink(path);
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
