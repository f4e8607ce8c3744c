/*
 * /proc/net/netfilter/nfnetlink_queue: the kernel's per-queue counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfqd/procfs.h"

_Static_assert(sizeof(struct nfqd_kqueue) == 6 * 4 + 2 * 8,
    "struct nfqd_kqueue has no padding (fuzz_procfs memcmp()s it)");

static int
field(const char **p, uint32_t *out)
{
	unsigned long long	 v;
	char			*e;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	v = strtoull(*p, &e, 10);
	if (errno != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	*p = e;
	return 0;
}

int
nfqd_procfs_parse_line(const char *line, struct nfqd_kqueue *kq)
{
	const char	*p = line;
	uint32_t	 v[9];
	size_t		 i;

	/* The kernel prints nine numbers; the ninth is always 1. */
	for (i = 0; i < 9; i++)
		if (field(&p, &v[i]) == -1)
			return -1;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p != '\0' || v[0] > 65535 || v[3] > 2)
		return -1;
	kq->queue = v[0];
	kq->portid = v[1];
	kq->queue_total = v[2];
	kq->copy_mode = v[3];
	kq->copy_range = v[4];
	kq->queue_dropped = v[5];
	kq->user_dropped = v[6];
	kq->id_sequence = v[7];
	return 0;
}

int
nfqd_procfs_read(const char *path, struct nfqd_kqueue *out, size_t max)
{
	FILE	*fp;
	char	 line[256];
	size_t	 n = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (n < max && fgets(line, sizeof(line), fp) != NULL)
		if (nfqd_procfs_parse_line(line, &out[n]) == 0)
			n++;
	fclose(fp);
	return (int)n;
}

const struct nfqd_kqueue *
nfqd_procfs_find(const struct nfqd_kqueue *kq, size_t n, uint32_t queue)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (kq[i].queue == queue)
			return &kq[i];
	return NULL;
}

void
nfqd_kdrops_fold(struct nfqd_kdrops *d, uint32_t queue,
    const struct nfqd_kqueue *kq)
{
	uint32_t	q, u;

	if (d->queue != queue + 1) {
		memset(d, 0, sizeof(*d));
		d->queue = queue + 1;
	}
	if (kq == NULL) {
		d->seen = false;
		return;
	}
	q = (uint32_t)kq->queue_dropped;
	u = (uint32_t)kq->user_dropped;
	/* Modulo 2^32: right across one wrap (procfs.h). */
	d->queue_dropped += d->seen ? (uint32_t)(q - d->last_queue) : q;
	d->user_dropped += d->seen ? (uint32_t)(u - d->last_user) : u;
	d->last_queue = q;
	d->last_user = u;
	d->seen = true;
}

void
nfqd_procfs_init(struct nfqd_procfs *pf, const char *path)
{
	pf->path = path;
	pf->fd = -1;
	pf->reads = 0;
}

void
nfqd_procfs_close(struct nfqd_procfs *pf)
{
	if (pf->fd != -1)
		close(pf->fd);
	pf->fd = -1;
}

/* Call fn for the line at p, when it is one of ours. */
static int
one_line(const char *p, uint32_t first, uint32_t count,
    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg)
{
	struct nfqd_kqueue	kq;

	if (nfqd_procfs_parse_line(p, &kq) == -1 || kq.queue < first ||
	    kq.queue - first >= count)
		return 0;
	fn(arg, &kq);
	return 1;
}

/*
 * Bytes a read may leave unused and still have read the end of the file.
 * The kernel's seq_file read stops short of the count asked for only at
 * the end or when its next line would not fit the page it fills (the
 * lines of nfnetlink_queue are about 50 bytes; a regular file's read is
 * short only at its end), so a read that leaves this much unused makes
 * the read that would return 0 needless: the master's scan is one
 * system call, not two, while the queues' lines fit the buffer.
 */
#define SHORT_ROOM	256

int
nfqd_procfs_scan(struct nfqd_procfs *pf, uint32_t first, uint32_t count,
    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg)
{
	char	*p, *nl;
	size_t	 have = 0, cap = sizeof(pf->buf) - 1, want;
	off_t	 off = 0;
	ssize_t	 r;
	bool	 skip = false;	/* in a line longer than buf: not the kernel's */
	bool	 end;
	int	 n = 0;

	if (pf->fd == -1 && (pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC)) ==
	    -1)
		return -1;
	/* A seq_file read at offset 0 starts again from the first queue. */
	for (;;) {
		want = cap - have;
		r = pread(pf->fd, pf->buf + have, want, off);
		pf->reads++;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		/* A read with room to spare read the end (SHORT_ROOM). */
		end = (size_t)r + SHORT_ROOM <= want;
		off += r;
		have += (size_t)r;
		pf->buf[have] = '\0';
		for (p = pf->buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			*nl = '\0';
			if (!skip)
				n += one_line(p, first, count, fn, arg);
			skip = false;
		}
		have -= (size_t)(p - pf->buf);
		memmove(pf->buf, p, have);
		if (have == cap) {
			have = 0;
			skip = true;
		}
		if (end)
			break;
	}
	if (have > 0 && !skip) {
		pf->buf[have] = '\0';
		n += one_line(pf->buf, first, count, fn, arg);
	}
	return n;
}

int
nfqd_procfs_each(const char *path, uint32_t first, uint32_t count,
    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg)
{
	struct nfqd_procfs	pf;
	int			n, saved;

	nfqd_procfs_init(&pf, path);
	n = nfqd_procfs_scan(&pf, first, count, fn, arg);
	saved = errno;
	nfqd_procfs_close(&pf);
	errno = saved;
	return n;
}

static void
copy_one(void *arg, const struct nfqd_kqueue *kq)
{
	*(struct nfqd_kqueue *)arg = *kq;
}

int
nfqd_procfs_lookup(const char *path, uint32_t queue, struct nfqd_kqueue *out)
{
	int	n = nfqd_procfs_each(path, queue, 1, copy_one, out);

	if (n == -1)
		return -1;
	if (n == 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int
nfqd_procfs_fd_lookup(int fd, uint32_t queue, struct nfqd_kqueue *out,
    char *buf, size_t len)
{
	struct nfqd_kqueue	 kq;
	char			*line, *nl;
	size_t			 n = 0;
	ssize_t			 r = 0;

	if (len == 0 || lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	if (r == -1)
		return -1;
	buf[n] = '\0';
	for (line = buf; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (nfqd_procfs_parse_line(line, &kq) == 0 &&
		    kq.queue == queue) {
			*out = kq;
			return 0;
		}
		if (nl == NULL)
			break;
	}
	errno = ENOENT;
	return -1;
}
