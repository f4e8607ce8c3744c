/*
 * The shared counters region (layout in shm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/shm.h"
#include "nfqd/util.h"

_Static_assert(sizeof(struct nfqd_shm_hdr) == NFQD_CACHELINE,
    "header is one cache line");
_Static_assert(sizeof(struct nfqd_slot_ctl) == NFQD_CACHELINE,
    "master part of a slot is one cache line");
_Static_assert(sizeof(struct nfqd_slot) % NFQD_CACHELINE == 0,
    "slots are whole cache lines");

size_t
nfqd_shm_size(uint32_t nslots)
{
	return sizeof(struct nfqd_shm_hdr) +
	    (size_t)nslots * sizeof(struct nfqd_slot);
}

static void
shm_init_fields(struct nfqd_shm *shm, void *p, size_t size, int fd)
{
	shm->hdr = p;
	shm->slots = (struct nfqd_slot *)((char *)p +
	    sizeof(struct nfqd_shm_hdr));
	shm->size = size;
	shm->fd = fd;
}

int
nfqd_shm_create(struct nfqd_shm *shm, const char *path, uint32_t nslots,
    int master_pid)
{
	size_t	 size = nfqd_shm_size(nslots);
	void	*p;
	int	 fd;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	if (nfqd_strlcpy(shm->path, path, sizeof(shm->path)) >=
	    sizeof(shm->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * A file left by a daemon that was killed may still be mapped by a
	 * reader: unlink it and make a new one rather than truncate it under
	 * the reader.  Readable by all (nfqctl), writable by root only.
	 */
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0644) == -1 || ftruncate(fd, (off_t)size) == -1)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	memset(p, 0, size);
	shm_init_fields(shm, p, size, fd);
	shm->hdr->version = NFQD_SHM_VERSION;
	shm->hdr->hdr_size = sizeof(struct nfqd_shm_hdr);
	shm->hdr->slot_size = sizeof(struct nfqd_slot);
	shm->hdr->nslots = nslots;
	shm->hdr->master_pid = master_pid;
	shm->hdr->start_time = (uint64_t)time(NULL);
	/* Magic last: a reader that sees it sees a complete header. */
	__atomic_store_n(&shm->hdr->magic, NFQD_SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
fail:
	{
		int saved = errno;

		close(fd);
		unlink(path);
		errno = saved;
	}
	return -1;
}

int
nfqd_shm_open_ro(struct nfqd_shm *shm, const char *path, char *err,
    size_t errlen)
{
	struct nfqd_shm_hdr	 h;
	struct stat		 sb;
	void			*p;
	int			 fd;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	nfqd_strlcpy(shm->path, path, sizeof(shm->path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	if ((size_t)sb.st_size < sizeof(h)) {
		snprintf(err, errlen, "%s: too short for a counters region",
		    path);
		goto fail;
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		snprintf(err, errlen, "%s: cannot read header", path);
		goto fail;
	}
	if (h.magic != NFQD_SHM_MAGIC || h.version != NFQD_SHM_VERSION ||
	    h.hdr_size != sizeof(struct nfqd_shm_hdr) ||
	    h.slot_size != sizeof(struct nfqd_slot) ||
	    h.nslots > NFQD_MAX_WORKERS || h.nworkers > h.nslots ||
	    (size_t)sb.st_size < nfqd_shm_size(h.nslots)) {
		snprintf(err, errlen, "%s: not an nfqd %d counters region "
		    "(wrong magic, version or size)", path, NFQD_SHM_VERSION);
		goto fail;
	}
	p = mmap(NULL, nfqd_shm_size(h.nslots), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	shm_init_fields(shm, p, nfqd_shm_size(h.nslots), fd);
	return 0;
fail:
	close(fd);
	return -1;
}

void
nfqd_shm_close(struct nfqd_shm *shm)
{
	if (shm->hdr != NULL)
		munmap(shm->hdr, shm->size);
	if (shm->fd != -1)
		close(shm->fd);
	shm->hdr = NULL;
	shm->slots = NULL;
	shm->fd = -1;
}

void
nfqd_shm_destroy(struct nfqd_shm *shm)
{
	if (shm->hdr != NULL && shm->path[0] != '\0')
		unlink(shm->path);
	nfqd_shm_close(shm);
}

#define COUNTERS(X)							\
	X(received) X(accepted) X(dropped) X(other) X(bytes) X(enobufs)	\
	X(skipped) X(nlerrors) X(malformed) X(batches) X(verdict_msgs)	\
	X(last_id) X(heartbeat)

void
nfqd_slot_stats_read(const struct nfqd_slot_stats *src,
    struct nfqd_slot_stats *dst)
{
	memset(dst, 0, sizeof(*dst));
#define X(f)	dst->f = NFQD_LOAD(&src->f);
	COUNTERS(X)
#undef X
}

void
nfqd_slot_stats_publish(struct nfqd_slot_stats *dst,
    const struct nfqd_slot_stats *src)
{
#define X(f)	NFQD_STORE(&dst->f, src->f);
	COUNTERS(X)
#undef X
}
