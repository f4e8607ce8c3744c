#ifndef NFQD_UTIL_H
#define NFQD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t
nfqd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Parse "A:B" (iptables --queue-balance syntax) or a single "N". */
int	nfqd_parse_balance(const char *s, uint16_t *first, uint16_t *last);

/* Parse a size: bytes, or a number with a K, M or G suffix (powers of 2). */
int	nfqd_parse_size(const char *s, uint64_t *out);

/* Edit distance between two short names, capped at 100. */
unsigned nfqd_edit_distance(const char *a, const char *b);

/* strlcpy semantics: returns strlen(src); truncation when >= size. */
size_t	nfqd_strlcpy(char *dst, const char *src, size_t size);

/* write(2) the whole buffer, retrying on EINTR and short writes. */
int	nfqd_write_all(int fd, const void *buf, size_t len);

/* Create a directory and its parents (mode for those created). */
int	nfqd_mkdir_p(const char *path, unsigned mode);

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
