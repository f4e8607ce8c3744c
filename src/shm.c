/*
 * The shared counters region (layout in shm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/ratelimit.h"
#include "nfqd/rules.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"

_Static_assert(sizeof(struct nfqd_shm_hdr) == 2 * NFQD_CACHELINE,
    "header is two cache lines");
_Static_assert(sizeof(struct nfqd_slot_ctl) == NFQD_CACHELINE,
    "master part of a slot is one cache line");
_Static_assert(sizeof(struct nfqd_slot) == NFQD_SHM_PAGE,
    "a slot is a page (architecture.md's layout)");

static size_t
pageup(size_t n)
{
	return (n + NFQD_SHM_PAGE - 1) & ~(size_t)(NFQD_SHM_PAGE - 1);
}

size_t
nfqd_shm_slots_off(uint32_t nslots)
{
	return NFQD_SHM_PAGE +
	    pageup((size_t)nslots * sizeof(struct nfqd_slot_ctl));
}

size_t
nfqd_shm_size(uint32_t nslots)
{
	return nfqd_shm_slots_off(nslots) +
	    (size_t)nslots * sizeof(struct nfqd_slot);
}

uint32_t
nfqd_shm_nslots(const struct nfqd_shm *shm)
{
	return shm->hdr != NULL ? shm->nslots : 0;
}

static void
shm_init_fields(struct nfqd_shm *shm, void *p, uint32_t nslots, int fd)
{
	shm->hdr = p;
	shm->ctl = (struct nfqd_slot_ctl *)(void *)((char *)p +
	    NFQD_SHM_PAGE);
	shm->slots = (struct nfqd_slot *)(void *)((char *)p +
	    nfqd_shm_slots_off(nslots));
	shm->nslots = nslots;
	shm->size = nfqd_shm_size(nslots);
	shm->fd = fd;
}

/*
 * The layout's pages are the system's (mprotect() works on those), or
 * nothing is protected.
 */
static int
shm_page_ok(void)
{
	if (sysconf(_SC_PAGESIZE) != NFQD_SHM_PAGE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return 0;
}

/* Read-only from p (page-aligned) for len bytes; nothing when len is 0. */
static int
shm_readonly(char *p, size_t len)
{
	return len == 0 ? 0 : mprotect(p, len, PROT_READ);
}

int
nfqd_shm_protect(const struct nfqd_shm *shm, uint32_t keep)
{
	char	*base = (char *)shm->hdr, *own, *end;

	if (shm_page_ok() == -1)
		return -1;
	if (shm->hdr == NULL || keep >= shm->nslots) {
		errno = EINVAL;
		return -1;
	}
	own = (char *)&shm->slots[keep];
	end = base + shm->size;
	if (shm_readonly(base, (size_t)(own - base)) == -1 ||
	    shm_readonly(own + sizeof(struct nfqd_slot),
	    (size_t)(end - own) - sizeof(struct nfqd_slot)) == -1)
		return -1;
	return 0;
}

int
nfqd_shm_create(struct nfqd_shm *shm, const char *path, uint32_t nslots,
    int master_pid, char *err, size_t errlen)
{
	size_t	 size = nfqd_shm_size(nslots);
	char	 tmp[sizeof(shm->path) + 32];
	void	*p = MAP_FAILED;
	int	 fd = -1, old = -1, e;

	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	if (nfqd_strlcpy(shm->path, path, sizeof(shm->path)) >=
	    sizeof(shm->path))
		return nfqd_errf(err, errlen, ENAMETOOLONG, "%s: path too long",
		    path);
	/*
	 * The master holds an flock on its region for its whole life.  A
	 * locked file belongs to a running nfqd: refuse (EBUSY) rather than
	 * take its counters away.  An unlocked one was left by a daemon that
	 * was killed and may still be mapped by a reader: a new region is
	 * renamed over it rather than truncate it under the reader.  Only a
	 * regular file of ours is replaced; the new one is made under a new
	 * name, so nothing planted at either name is opened for writing.
	 */
	if (nfqd_check_replaceable(path, err, errlen) == -1)
		return -1;
	old = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (old == -1 && errno != ENOENT)
		return nfqd_errf(err, errlen, errno, "open(%s): %s", path,
		    strerror(errno));
	if (old != -1 && flock(old, LOCK_EX | LOCK_NB) == -1) {
		e = errno;
		close(old);
		if (e == EWOULDBLOCK)
			return nfqd_errf(err, errlen, EBUSY, "%s is locked by "
			    "another nfqd", path);
		return nfqd_errf(err, errlen, e, "flock(%s): %s", path,
		    strerror(e));
	}
	if ((fd = nfqd_tmpfile(path, 0644, tmp, sizeof(tmp), err, errlen)) ==
	    -1)
		goto fail;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		nfqd_errf(err, errlen, errno, "flock(%s): %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (ftruncate(fd, (off_t)size) == -1) {
		nfqd_errf(err, errlen, errno, "ftruncate(%s, %zu): %s", tmp,
		    size, strerror(errno));
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		nfqd_errf(err, errlen, errno, "mmap(%s): %s", tmp,
		    strerror(errno));
		goto fail;
	}
	/* A new file reads as zeros; untouched pages stay unallocated. */
	shm_init_fields(shm, p, nslots, fd);
	shm->hdr->version = NFQD_SHM_VERSION;
	shm->hdr->hdr_size = sizeof(struct nfqd_shm_hdr);
	shm->hdr->slot_size = sizeof(struct nfqd_slot);
	shm->hdr->nslots = nslots;
	shm->hdr->master_pid = master_pid;
	shm->hdr->start_time = (uint64_t)time(NULL);
	/* Magic last: a reader that sees it sees a complete header. */
	__atomic_store_n(&shm->hdr->magic, NFQD_SHM_MAGIC, __ATOMIC_RELEASE);
	if (rename(tmp, path) == -1) {
		nfqd_errf(err, errlen, errno, "rename(%s, %s): %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	if (old != -1)
		close(old);
	return 0;
fail:
	e = errno;
	if (p != MAP_FAILED)
		munmap(p, size);
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	if (old != -1)
		close(old);
	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	errno = e;
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
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		/* nfqd makes it at start and removes it when it stops. */
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (is nfqd running?)" : "");
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: it is %s, not a counters region",
		    path, nfqd_file_kind(sb.st_mode));
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
	if (h.magic != NFQD_SHM_MAGIC) {
		snprintf(err, errlen, "%s: not an nfqd counters region (magic "
		    "0x%08x)", path, h.magic);
		goto fail;
	}
	if (h.version != NFQD_SHM_VERSION) {
		snprintf(err, errlen, "%s: counters region version %u; this "
		    "program reads version %d only (nfqd and its tools from "
		    "different releases?)", path, h.version, NFQD_SHM_VERSION);
		goto fail;
	}
	if (h.hdr_size != sizeof(struct nfqd_shm_hdr) ||
	    h.slot_size != sizeof(struct nfqd_slot)) {
		snprintf(err, errlen, "%s: counters region with header size %u "
		    "and slot size %u; this program's are %zu and %zu", path,
		    h.hdr_size, h.slot_size, sizeof(struct nfqd_shm_hdr),
		    sizeof(struct nfqd_slot));
		goto fail;
	}
	if (h.nslots > NFQD_MAX_WORKERS || h.nworkers > h.nslots ||
	    (size_t)sb.st_size < nfqd_shm_size(h.nslots)) {
		snprintf(err, errlen, "%s: damaged counters region (%u slots, "
		    "%u workers, %lld bytes)", path, h.nslots, h.nworkers,
		    (long long)sb.st_size);
		goto fail;
	}
	p = mmap(NULL, nfqd_shm_size(h.nslots), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	shm_init_fields(shm, p, h.nslots, fd);
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
	shm->ctl = NULL;
	shm->slots = NULL;
	shm->fd = -1;
}

void
nfqd_shm_destroy(struct nfqd_shm *shm)
{
	struct stat	sb;

	/* Only if the name is still this region's. */
	if (shm->hdr != NULL && shm->path[0] != '\0' &&
	    fstat(shm->fd, &sb) == 0)
		nfqd_unlink_same(shm->path, sb.st_dev, sb.st_ino);
	nfqd_shm_close(shm);
}

void
nfqd_shm_write_begin(struct nfqd_shm_hdr *h)
{
	NFQD_STORE(&h->seq, h->seq + 1);
	/* The odd seq is visible before any of the rewrite. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void
nfqd_shm_write_end(struct nfqd_shm_hdr *h)
{
	__atomic_store_n(&h->seq, h->seq + 1, __ATOMIC_RELEASE);
}

bool
nfqd_shm_read_begin(const struct nfqd_shm_hdr *h, uint32_t *seq)
{
	struct timespec	ts = { 0, 1000000 };
	int		i;

	/* A rewrite takes microseconds; odd for long: the master died in it. */
	for (i = 0; i < 1000; i++) {
		*seq = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
		if ((*seq & 1) == 0)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

bool
nfqd_shm_read_retry(const struct nfqd_shm_hdr *h, uint32_t seq)
{
	/* Every load of the snapshot is done before seq is read again. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return NFQD_LOAD(&h->seq) != seq;
}

#define COUNTERS(X)							\
	NFQD_SLOT_COUNTERS(X) X(last_id) X(read_id) X(heartbeat)

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

int
nfqd_rshm_create(struct nfqd_rshm *r, const char *path,
    const struct nfqd_ruleset *rs, uint32_t nslots, uint32_t generation,
    char *err, size_t errlen)
{
	struct nfqd_rshm_hdr	*h;
	struct stat		 sb;
	char			 tmp[sizeof(r->path) + 32];
	uint32_t		 n = rs != NULL ? rs->n : 0, i;
	uint32_t		 ncells = rs != NULL ? rs->ncells : 0;
	size_t			 names, stride, size;
	void			*p;
	int			 fd, e;

	memset(r, 0, sizeof(*r));
	if (nfqd_strlcpy(r->path, path, sizeof(r->path)) >= sizeof(r->path))
		return nfqd_errf(err, errlen, ENAMETOOLONG, "%s: path too long",
		    path);
	/* Page boundaries between the parts: nfqd_rshm_protect(). */
	names = pageup((size_t)n * NFQD_RSHM_NAME);
	stride = pageup((size_t)n * sizeof(struct nfqd_rule_ctr));
	size = NFQD_SHM_PAGE + names + stride * nslots +
	    (size_t)ncells * sizeof(struct nfqd_rate_cell);
	if (nfqd_check_replaceable(path, err, errlen) == -1)
		return -1;
	if ((fd = nfqd_tmpfile(path, 0644, tmp, sizeof(tmp), err, errlen)) ==
	    -1)
		return -1;
	if (ftruncate(fd, (off_t)size) == -1) {
		nfqd_errf(err, errlen, errno, "ftruncate(%s, %zu): %s", tmp,
		    size, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) == -1) {
		nfqd_errf(err, errlen, errno, "fstat(%s): %s", tmp,
		    strerror(errno));
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		nfqd_errf(err, errlen, errno, "mmap(%s): %s", tmp,
		    strerror(errno));
		goto fail;
	}
	close(fd);
	h = p;
	h->version = NFQD_RSHM_VERSION;
	h->hdr_size = sizeof(*h);
	h->nrules = n;
	h->nslots = nslots;
	h->ncells = ncells;
	h->generation = generation;
	h->names_off = NFQD_SHM_PAGE;
	h->ctr_off = NFQD_SHM_PAGE + names;
	h->slot_stride = stride;
	h->cells_off = h->ctr_off + stride * nslots;
	for (i = 0; i < n; i++)
		nfqd_strlcpy((char *)p + h->names_off + (size_t)i *
		    NFQD_RSHM_NAME, rs->rules[i].name, NFQD_RSHM_NAME);
	__atomic_store_n(&h->magic, NFQD_RSHM_MAGIC, __ATOMIC_RELEASE);
	if (rename(tmp, path) == -1) {
		e = errno;
		munmap(p, size);
		unlink(tmp);
		return nfqd_errf(err, errlen, e, "rename(%s, %s): %s", tmp,
		    path, strerror(e));
	}
	r->hdr = h;
	r->h = *h;
	r->size = size;
	r->dev = sb.st_dev;
	r->ino = sb.st_ino;
	return 0;
fail:
	e = errno;
	close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

/*
 * len bytes from off end at or before end, without the sum wrapping: the
 * header's offsets are any worker's to write (a huge one wrapped past the
 * checks, and nfqctl read far outside the file).
 */
static bool
within(uint64_t off, uint64_t len, uint64_t end)
{
	return off <= end && len <= end - off;
}

int
nfqd_rshm_open_ro(struct nfqd_rshm *r, const char *path, char *err,
    size_t errlen)
{
	struct nfqd_rshm_hdr	 h;
	struct stat		 sb;
	void			*p;
	int			 fd;

	memset(r, 0, sizeof(*r));
	nfqd_strlcpy(r->path, path, sizeof(r->path));
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size < sizeof(h) ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    h.magic != NFQD_RSHM_MAGIC || h.version != NFQD_RSHM_VERSION ||
	    h.hdr_size != sizeof(h) || h.nrules > NFQD_MAX_RULES ||
	    h.nslots > NFQD_MAX_WORKERS ||
	    !within(h.cells_off, (uint64_t)h.ncells *
	    sizeof(struct nfqd_rate_cell), (uint64_t)sb.st_size) ||
	    (h.nslots != 0 && h.slot_stride > (uint64_t)sb.st_size /
	    h.nslots) ||
	    !within(h.ctr_off, h.slot_stride * h.nslots,
	    (uint64_t)sb.st_size) ||
	    h.slot_stride < (uint64_t)h.nrules * sizeof(struct nfqd_rule_ctr) ||
	    !within(h.names_off, (uint64_t)h.nrules * NFQD_RSHM_NAME,
	    h.ctr_off)) {
		snprintf(err, errlen, "%s: not an nfqd %d rule counters region",
		    path, NFQD_RSHM_VERSION);
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		return -1;
	}
	r->hdr = p;
	r->h = h;
	r->size = (size_t)sb.st_size;
	return 0;
}

void
nfqd_rshm_close(struct nfqd_rshm *r)
{
	if (r->hdr != NULL)
		munmap(r->hdr, r->size);
	r->hdr = NULL;
}

void
nfqd_rshm_destroy(struct nfqd_rshm *r)
{
	/*
	 * Only if the name is still this region's: a newer region may have
	 * been renamed over it since.  Nothing there is opened (a FIFO put
	 * in its place must not block the master on its way out).
	 */
	if (r->hdr != NULL)
		nfqd_unlink_same(r->path, r->dev, r->ino);
	nfqd_rshm_close(r);
}

int
nfqd_rshm_protect(const struct nfqd_rshm *r, int64_t keep)
{
	char	*base = (char *)r->hdr, *own;

	if (shm_page_ok() == -1)
		return -1;
	if (r->hdr == NULL || keep >= (int64_t)r->h.nslots) {
		errno = EINVAL;
		return -1;
	}
	if (keep < 0)
		return shm_readonly(base, r->size);
	own = base + r->h.ctr_off + r->h.slot_stride * (uint64_t)keep;
	if (shm_readonly(base, (size_t)(own - base)) == -1 ||
	    shm_readonly(own + r->h.slot_stride, r->h.cells_off -
	    (size_t)(own - base) - r->h.slot_stride) == -1)
		return -1;
	return 0;
}

struct nfqd_rule_ctr *
nfqd_rshm_slot(const struct nfqd_rshm *r, uint32_t slot)
{
	return (struct nfqd_rule_ctr *)(void *)((char *)r->hdr +
	    r->h.ctr_off + r->h.slot_stride * slot);
}

struct nfqd_rate_cell *
nfqd_rshm_cells(const struct nfqd_rshm *r)
{
	return r->h.ncells > 0 ? (struct nfqd_rate_cell *)(void *)
	    ((char *)r->hdr + r->h.cells_off) : NULL;
}

const char *
nfqd_rshm_name(const struct nfqd_rshm *r, uint32_t rule)
{
	return (const char *)r->hdr + r->h.names_off +
	    (size_t)rule * NFQD_RSHM_NAME;
}
