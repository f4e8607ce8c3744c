/*
 * /proc/net/netfilter/nfnetlink_queue: the kernel's per-queue counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfqd/procfs.h"

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

int
nfqd_procfs_each(const char *path, uint32_t first, uint32_t count,
    void (*fn)(void *arg, const struct nfqd_kqueue *kq), void *arg)
{
	struct nfqd_kqueue	 kq;
	FILE			*fp;
	char			 line[256];
	int			 n = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (nfqd_procfs_parse_line(line, &kq) == -1 ||
		    kq.queue < first || kq.queue - first >= count)
			continue;
		fn(arg, &kq);
		n++;
	}
	fclose(fp);
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
