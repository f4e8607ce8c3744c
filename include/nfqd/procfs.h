#ifndef NFQD_PROCFS_H
#define NFQD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The kernel's own per-queue counters, one line per bound queue of the
 * reader's network namespace:
 *   queue portid queue_total copy_mode copy_range queue_dropped
 *   user_dropped id_sequence 1
 */
#define NFQD_PROCFS_PATH	"/proc/net/netfilter/nfnetlink_queue"

struct nfqd_kqueue {
	uint32_t	queue;
	uint32_t	portid;		/* netlink port of the bound socket */
	uint32_t	queue_total;	/* packets waiting for a verdict */
	uint32_t	copy_mode;
	uint32_t	copy_range;
	uint32_t	id_sequence;	/* last packet id handed out */
	/*
	 * The two drop counters: as the kernel prints them (32 bits, they
	 * wrap) when parsed; in a statistics snapshot (stats.h), the
	 * master's 64-bit totals of them (struct nfqd_kdrops).
	 */
	uint64_t	queue_dropped;	/* dropped: queue was full */
	uint64_t	user_dropped;	/* dropped: socket buffer was full */
};	/* no padding: fuzz_procfs compares lines with memcmp() */

/* 0, or -1 when the line is not one of the kernel's. */
int	nfqd_procfs_parse_line(const char *line, struct nfqd_kqueue *kq);

/*
 * Read up to max queues from path.  Returns the number read, or -1 (errno)
 * when the file cannot be read: nfnetlink_queue is not loaded, or no queue
 * was ever bound in this namespace.  Lines that do not parse are skipped.
 */
int	nfqd_procfs_read(const char *path, struct nfqd_kqueue *out, size_t max);

const struct nfqd_kqueue *nfqd_procfs_find(const struct nfqd_kqueue *kq,
	    size_t n, uint32_t queue);

/*
 * The line for one queue, however many queues are bound.  0, or -1 with
 * errno ENOENT (not bound) or the error reading the file.
 */
int	nfqd_procfs_lookup(const char *path, uint32_t queue,
	    struct nfqd_kqueue *out);

/*
 * The same from the file open on fd, read from its start into buf (for a
 * process that may not open files any more).
 */
int	nfqd_procfs_fd_lookup(int fd, uint32_t queue, struct nfqd_kqueue *out,
	    char *buf, size_t len);

/*
 * Call fn for every parsable line whose queue is in [first, first + count).
 * Returns the number of such lines, or -1 (errno) when unreadable.
 */
int	nfqd_procfs_each(const char *path, uint32_t first, uint32_t count,
	    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg);

/*
 * The file kept open, for a process that reads it periodically (the
 * master): each scan reads it again from its start with pread into buf,
 * with no open, no path walk and no allocation.  The file exists once
 * nfnetlink_queue is loaded: until it can be opened, each scan tries to
 * open it and fails (-1, errno).  It stays in the network namespace of the
 * process that opened it.
 */
struct nfqd_procfs {
	const char	*path;
	int		 fd;		/* -1: not open */
	uint64_t	 reads;		/* pread() calls made (tests) */
	char		 buf[4096];
};

/*
 * The kernel's drop counters of one queue (u32, wrapping at 2^32) made
 * 64-bit totals that only grow, for the life of the master, from its
 * periodic looks.  Each look adds the growth since the previous one
 * modulo 2^32: the looks are at most a second apart (watchdog.c) and the
 * kernel cannot drop 2^32 packets in a second, so at most one wrap lies
 * between two looks and the modular difference is the growth.
 *
 * A look that finds no line for the queue means it is not bound (unbound
 * by a reload, or not yet bound); when the line is back, its queue is a
 * new instance whose counters started at 0, and its readings are added
 * whole.  So is one after the caller cleared seen: the master does when
 * it unbinds the queue (watchdog.c), as a queue out of its range is not
 * looked at, and comes back either the instance last read, never unbound
 * (its growth is added) or one its bind made anew.  The first look is
 * counted whole too: the master made the instance with its own bind (a
 * queue another socket holds cannot be bound), so its counters began at
 * 0 with this master and the totals are this master's drops, from 0 (as
 * Prometheus expects of a new process), including those between the bind
 * and the first look.  A line missed by one look while its queue stayed
 * bound (not expected: every look reads the whole file) would have its
 * readings counted twice: more, not less.
 */
struct nfqd_kdrops {
	uint64_t	queue_dropped;	/* totals: queue full */
	uint64_t	user_dropped;	/* ... socket buffer full */
	uint32_t	queue;		/* queue + 1 they count for, 0: none */
	uint32_t	last_queue;	/* the last look's queue_dropped */
	uint32_t	last_user;	/* ... and user_dropped */
	bool		seen;		/* the last look found the line */
};

/*
 * Fold one look at queue into d: kq its line, NULL when the look found
 * none.  d counts for one queue: given another, it starts again from 0.
 */
void	nfqd_kdrops_fold(struct nfqd_kdrops *d, uint32_t queue,
	    const struct nfqd_kqueue *kq);

void	nfqd_procfs_init(struct nfqd_procfs *pf, const char *path);
void	nfqd_procfs_close(struct nfqd_procfs *pf);
/* nfqd_procfs_each() on pf. */
int	nfqd_procfs_scan(struct nfqd_procfs *pf, uint32_t first, uint32_t count,
	    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg);

#endif
