#ifndef NFQD_PROCFS_H
#define NFQD_PROCFS_H

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
	uint32_t	queue_dropped;	/* dropped: queue was full */
	uint32_t	user_dropped;	/* dropped: socket buffer was full */
	uint32_t	id_sequence;	/* last packet id handed out */
};

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

void	nfqd_procfs_init(struct nfqd_procfs *pf, const char *path);
void	nfqd_procfs_close(struct nfqd_procfs *pf);
/* nfqd_procfs_each() on pf. */
int	nfqd_procfs_scan(struct nfqd_procfs *pf, uint32_t first, uint32_t count,
	    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg);

#endif
