#ifndef NFQD_UTIL_H
#define NFQD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sys/types.h>

static inline uint64_t
nfqd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * FNV-1a over n bytes, on from h (NFQD_FNV_INIT to start): the hash of a
 * definition (a rule, a name list's bytes) that tells a changed one.
 */
#define NFQD_FNV_INIT	0xcbf29ce484222325ull

static inline uint64_t
nfqd_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t	*b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/*
 * MurmurHash3's 64-bit finalizer: every bit of x moves every bit of the
 * result (the shared tables' keyed hashes: dnslearn.c, qclaim.c).
 */
static inline uint64_t
nfqd_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Parse "A:B" (iptables --queue-balance syntax) or a single "N". */
int	nfqd_parse_balance(const char *s, uint16_t *first, uint16_t *last);

/* Parse a size: bytes, or a number with K, M, G or T (powers of 2). */
int	nfqd_parse_size(const char *s, uint64_t *out);

/*
 * path made absolute, as a new string: a relative one gets the working
 * directory in front (a leading "./" dropped).  Symbolic links are kept,
 * not resolved, so whoever opens the result later follows them afresh.
 * "" comes back as it is.  NULL with errno set (getcwd(), ENOMEM).
 */
char	*nfqd_abspath(const char *path);

/* Edit distance between two short names, capped at 100. */
unsigned nfqd_edit_distance(const char *a, const char *b);

/* strlcpy semantics: returns strlen(src); truncation when >= size. */
size_t	nfqd_strlcpy(char *dst, const char *src, size_t size);

/*
 * The first bytes of path, at most len - 1 of them, into buf, NUL-ended
 * (a small /proc or /sys file): their count, or -1 with errno.  Where cut
 * is not NULL, *cut says whether the file held more than that.
 */
ssize_t	nfqd_read_small(const char *path, char *buf, size_t len, bool *cut);

/* write(2) the whole buffer, retrying on EINTR and short writes. */
int	nfqd_write_all(int fd, const void *buf, size_t len);

/*
 * Files the master writes.  Each function returns -1 with errno set and a
 * message in err that names the call and the path ("open(/run/x.tmp.5):
 * Permission denied", "refusing to replace /run/x: it is a FIFO, ...").
 */

/* Put a message in err (when errlen > 0), set errno to e, return -1. */
int	nfqd_errf(char *err, size_t errlen, int e, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* "a FIFO", "a symbolic link", ...: what an st_mode is, for messages. */
const char *nfqd_file_kind(unsigned mode);

/*
 * Make the directory dir (absolute) and its missing parents with mode, and
 * check that nobody but root and this process's user can change any
 * directory on the way: each is owned by one of them and, when group or
 * world writable, sticky (like /tmp); a symbolic link on the way belongs
 * to one of them too.  nfqd_dir_prepare_for(file) does it for the
 * directory of file, with mode 0755.
 */
int	nfqd_dir_prepare(const char *dir, unsigned mode, char *err,
	    size_t errlen);
int	nfqd_dir_prepare_for(const char *file, char *err, size_t errlen);

/*
 * 0 when path may be replaced by rename(): nothing is there, or a regular
 * file of this process's user.  A symbolic link (ELOOP), a directory
 * (EISDIR), any other kind of file (EEXIST) or someone else's file (EPERM)
 * is refused.
 */
int	nfqd_check_replaceable(const char *path, char *err, size_t errlen);

/*
 * len random bytes: getrandom() without waiting for the pool, or, when
 * that fails, the clock and the pid mixed (weaker, never blocks).  Not
 * in a worker's system call filter: call it before the sandbox.
 */
void	nfqd_random_bytes(unsigned char *buf, size_t len);

#define NFQD_TMPFILE_TRIES	100

/*
 * Create a new file next to path, to be renamed over it: "PATH.tmp.PID",
 * or when that name is taken, "PATH.tmp.PID.RANDOM" (up to
 * NFQD_TMPFILE_TRIES names), opened O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW
 * | O_NONBLOCK | O_CLOEXEC, so nothing that was there is ever opened; mode
 * exactly as given.  Returns the descriptor and its name in tmp; err is ""
 * then, or says which name was in the way (worth a warning).
 */
int	nfqd_tmpfile(const char *path, unsigned mode, char *tmp, size_t tmplen,
	    char *err, size_t errlen);

/*
 * Replace path with data: nfqd_check_replaceable(), a new temporary file
 * (nfqd_tmpfile()), write, rename().  Readers see the old file or the new
 * one, never a part.  0: written (err "" or a note from nfqd_tmpfile()).
 */
int	nfqd_write_file_atomic(const char *path, const void *data, size_t len,
	    unsigned mode, char *err, size_t errlen);

/*
 * open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode) for a file
 * that may already exist (a pidfile), then make sure it is a regular file
 * of this process's user with one name.  Returns the descriptor.
 */
int	nfqd_open_own(const char *path, int flags, unsigned mode, char *err,
	    size_t errlen);

/*
 * Remove path if it still names the file (dev, ino): 0 removed, 1 left
 * (something else is there now), -1 (errno) error.
 */
int	nfqd_unlink_same(const char *path, uint64_t dev, uint64_t ino);

/* Number of CPUs online, at least 1. */
int	nfqd_online_cpus(void);

/*
 * The CPU for worker slot i: CPU i when this process may run there (where
 * --queue-cpu-fanout sends queue base + i), else the (i mod n)-th CPU of
 * the n this process may use.  The allowed set is read once.
 */
int	nfqd_cpu_for_slot(unsigned i);

/*
 * Make sure n more file descriptors can be opened, raising the soft
 * RLIMIT_NOFILE up to the hard limit if needed.  -1 (errno EMFILE) when the
 * hard limit is too low.
 */
int	nfqd_reserve_fds(unsigned n);

#endif
