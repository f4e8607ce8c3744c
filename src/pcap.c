/*
 * A worker's capture file for rules with log = "pcap" (see pcap.h):
 * libpcap's file format through a preallocated stdio buffer, rotation by
 * renaming, and what a failed write costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "nfqd/log.h"
#include "nfqd/pcap.h"
#include "nfqd/util.h"

#define SEC_NS		1000000000ull
/*
 * The flush is due a second after the last; the timer that asks may come
 * a hair early, which should not put it off by a whole second.
 */
#define FLUSH_NS	(SEC_NS - 10000000ull)

void
nfqd_pcap_name(char *buf, size_t len, uint16_t queue, uint32_t n)
{
	if (n == 0)
		snprintf(buf, len, "nfqd-q%u.pcap", queue);
	else
		snprintf(buf, len, "nfqd-q%u.pcap.%u", queue, n);
}

/* NAME or NAME.n */
static void
numbered(const struct nfqd_pcap *p, uint32_t n, char *buf, size_t len)
{
	if (n == 0)
		snprintf(buf, len, "%s", p->name);
	else
		snprintf(buf, len, "%s.%u", p->name, n);
}

int
nfqd_pcap_open_dir(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
nfqd_pcap_init(struct nfqd_pcap *p, int dirfd, uint16_t queue,
    uint64_t max_bytes, uint32_t max_files, size_t bufsize)
{
	memset(p, 0, sizeof(*p));
	p->dirfd = dirfd;
	p->fd = -1;
	p->lt = (struct nfqd_logthrottle)NFQD_LOGTHROTTLE_INIT(10);
	nfqd_pcap_name(p->name, sizeof(p->name), queue, 0);
	p->max_bytes = max_bytes < NFQD_PCAP_FILEHDR + NFQD_PCAP_RECHDR + 1 ?
	    NFQD_PCAP_FILEHDR + NFQD_PCAP_RECHDR + 1 : max_bytes;
	p->max_files = max_files < 1 ? 1 : max_files > NFQD_PCAP_FILES_LIMIT ?
	    NFQD_PCAP_FILES_LIMIT : max_files;
	/* Room for the largest record, so no record is written past it. */
	if (bufsize == 0)
		bufsize = NFQD_PCAP_BUFSIZE;
	if (bufsize <= NFQD_PCAP_RECHDR + NFQD_PCAP_SNAPLEN)
		bufsize = NFQD_PCAP_RECHDR + NFQD_PCAP_SNAPLEN + 1;
	p->bufsize = bufsize;
	/* DLT_RAW: libpcap writes LINKTYPE_RAW (101) in the file. */
	if ((p->buf = malloc(bufsize)) == NULL ||
	    (p->dead = pcap_open_dead(DLT_RAW, (int)NFQD_PCAP_SNAPLEN)) ==
	    NULL) {
		free(p->buf);
		p->buf = NULL;
		if (dirfd != -1)
			close(dirfd);
		p->dirfd = -1;
		return -1;
	}
	p->on = true;
	return 0;
}

/*
 * A failure worth a line, at most one per 10 s: "pcap: WHAT NAME: errno's
 * text; N packets lost; M more failures suppressed".
 */
static void
complain(struct nfqd_pcap *p, uint64_t now, const char *what,
    const char *name, uint64_t lost)
{
	char		l[48] = "", m[64] = "";
	uint64_t	missed;
	int		e = errno;

	if (log_throttle_ok(&p->lt, now, &missed)) {
		if (lost > 0)
			snprintf(l, sizeof(l), "; %llu packets lost",
			    (unsigned long long)lost);
		if (missed > 0)
			snprintf(m, sizeof(m), "; %llu more failures "
			    "suppressed", (unsigned long long)missed);
		log_warnx("pcap: %s %s: %s%s%s", what, name, strerror(e), l,
		    m);
	}
	errno = e;
}

/* The buffered records reached the file: count them. */
static void
commit(struct nfqd_pcap *p)
{
	p->c.packets += p->pend_packets;
	p->c.bytes += p->pend_bytes;
	p->pend_packets = p->pend_bytes = 0;
	p->buffered = 0;
	p->good = p->size;
}

/* The stream and descriptor go; what is buffered must be written first. */
static void
drop_file(struct nfqd_pcap *p)
{
	if (p->dumper != NULL)
		pcap_dump_close(p->dumper);	/* fclose(): closes fd too */
	p->dumper = NULL;
	p->fp = NULL;
	p->fd = -1;
	p->c.errors += p->pend_packets;
	p->pend_packets = p->pend_bytes = 0;
	p->buffered = 0;
	p->size = p->good = 0;
}

int
nfqd_pcap_flush(struct nfqd_pcap *p)
{
	uint64_t	lost, now;

	if (p->dumper == NULL || p->buffered == 0)
		return 0;
	if (fflush(p->fp) == 0) {
		commit(p);
		return 0;
	}
	/*
	 * stdio dropped the buffer, and part of it may be in the file: the
	 * packets in it are lost, and the file is cut back to its last whole
	 * record so that it stays readable and the next write fits on.
	 */
	now = nfqd_now_ns();
	lost = p->pend_packets;
	p->c.errors += lost;
	p->pend_packets = p->pend_bytes = 0;
	p->buffered = 0;
	complain(p, now, "writing", p->name, lost);
	if (ftruncate(p->fd, (off_t)p->good) == -1 ||
	    fseeko(p->fp, (off_t)p->good, SEEK_SET) == -1) {
		complain(p, now, "cutting back after a failed write:", p->name,
		    0);
		drop_file(p);
		p->next_open_ns = now + SEC_NS;
		return -1;
	}
	clearerr(p->fp);
	p->size = p->good;
	return -1;
}

/*
 * NAME -> NAME.1 -> ... -> NAME.<max_files-1>, which is replaced.  -1
 * when NAME could not be moved: it must not be truncated then.
 */
static int
shift(struct nfqd_pcap *p, uint64_t now)
{
	char		from[sizeof(p->name) + 12], to[sizeof(p->name) + 12];
	uint32_t	i;

	for (i = p->max_files - 1; i >= 1; i--) {
		numbered(p, i - 1, from, sizeof(from));
		numbered(p, i, to, sizeof(to));
		if (renameat(p->dirfd, from, p->dirfd, to) == 0 ||
		    errno == ENOENT)
			continue;
		complain(p, now, "renameat() to the next number:", from, 0);
		if (i == 1)
			return -1;
	}
	return 0;
}

/* Files past max_files, left by a larger max_files before. */
static void
prune(struct nfqd_pcap *p, uint64_t now)
{
	char		name[sizeof(p->name) + 12];
	uint32_t	i;

	for (i = p->max_files; i < NFQD_PCAP_FILES_LIMIT; i++) {
		numbered(p, i, name, sizeof(name));
		if (unlinkat(p->dirfd, name, 0) == -1 && errno != ENOENT) {
			complain(p, now, "unlinkat() past pcap.max_files:",
			    name, 0);
			return;
		}
	}
}

/* A new NAME, its file header written. */
static int
open_file(struct nfqd_pcap *p, uint64_t now)
{
	struct stat	st;
	FILE		*fp;
	int		 fd;

	/*
	 * Never through a symbolic link, never waiting on a FIFO, and only
	 * a regular file; readable by nfqd's user only (packets).
	 */
	if ((fd = openat(p->dirfd, p->name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)) == -1) {
		complain(p, now, "openat()", p->name, 0);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		complain(p, now, "fstat()", p->name, 0);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EEXIST;		/* "File exists", and not a file */
		complain(p, now, "refusing a non-regular file:", p->name, 0);
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		complain(p, now, "fdopen()", p->name, 0);
		close(fd);
		return -1;
	}
	/* Before any output: the worker's own buffer, no allocation later. */
	if (setvbuf(fp, p->buf, _IOFBF, p->bufsize) != 0) {
		complain(p, now, "setvbuf()", p->name, 0);
		fclose(fp);
		return -1;
	}
	/*
	 * It writes the file header into the buffer; on failure it has
	 * closed fp itself (a link type it does not know, the other reason,
	 * cannot be DLT_RAW).
	 */
	if ((p->dumper = pcap_dump_fopen(p->dead, fp)) == NULL) {
		errno = EIO;
		log_warnx("pcap: pcap_dump_fopen(%s): %s", p->name,
		    pcap_geterr(p->dead));
		return -1;
	}
	p->fp = fp;
	p->fd = fd;
	p->size = NFQD_PCAP_FILEHDR;
	p->good = 0;
	p->buffered = NFQD_PCAP_FILEHDR;
	/* The header on disk now: a failed write later cuts back to it. */
	if (fflush(fp) != 0) {
		complain(p, now, "writing the file header of", p->name, 0);
		drop_file(p);
		return -1;
	}
	commit(p);
	return 0;
}

void
nfqd_pcap_start(struct nfqd_pcap *p, uint64_t now)
{
	struct stat	st;

	if (!p->on || p->dumper != NULL)
		return;
	p->next_open_ns = now + SEC_NS;
	if (p->dirfd == -1)
		return;
	if (!p->pruned) {
		prune(p, now);
		p->pruned = true;
	}
	/*
	 * An earlier file with records in it is kept: rotated away.  Anything
	 * else in its place is left for openat() to refuse.
	 */
	if (fstatat(p->dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > (off_t)NFQD_PCAP_FILEHDR &&
	    p->max_files > 1 &&
	    shift(p, now) == -1)
		return;
	if (open_file(p, now) == 0)
		p->next_flush_ns = now + FLUSH_NS;
}

/* The file is full: the next one. */
static void
rotate(struct nfqd_pcap *p)
{
	uint64_t	now = nfqd_now_ns();

	nfqd_pcap_flush(p);
	if (p->dumper != NULL)
		drop_file(p);
	p->c.rotations++;
	nfqd_pcap_start(p, now);
}

void
nfqd_pcap_write(struct nfqd_pcap *p, const uint8_t *data, uint32_t caplen,
    uint32_t len, uint64_t ts_sec, uint32_t ts_usec)
{
	struct pcap_pkthdr	h;
	uint64_t		rec;

	if (!p->on)
		return;
	if (caplen > NFQD_PCAP_SNAPLEN)
		caplen = NFQD_PCAP_SNAPLEN;
	if (len < caplen)
		len = caplen;
	rec = NFQD_PCAP_RECHDR + (uint64_t)caplen;
	if (p->dumper != NULL && p->size + rec > p->max_bytes)
		rotate(p);
	if (p->dumper == NULL) {
		p->c.errors++;
		return;
	}
	/* Only below NFQD_PCAP_MIN_BYTES (tests): cut to what fits. */
	if (p->size + rec > p->max_bytes) {
		caplen = (uint32_t)(p->max_bytes - p->size - NFQD_PCAP_RECHDR);
		rec = NFQD_PCAP_RECHDR + (uint64_t)caplen;
	}
	/*
	 * Never let stdio write on its own: a record that would fill the
	 * buffer is written after what is there, by us, so a failure is
	 * seen and costs whole records.
	 */
	if (p->buffered + rec >= p->bufsize && nfqd_pcap_flush(p) == -1 &&
	    p->dumper == NULL) {
		p->c.errors++;
		return;
	}
	h.ts.tv_sec = (time_t)ts_sec;
	h.ts.tv_usec = (suseconds_t)ts_usec;
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)p->dumper, &h, data);
	p->size += rec;
	p->buffered += (size_t)rec;
	p->pend_packets++;
	p->pend_bytes += len;
}

void
nfqd_pcap_tick(struct nfqd_pcap *p, uint64_t now)
{
	if (!p->on)
		return;
	if (p->dumper == NULL) {
		if (now >= p->next_open_ns)
			nfqd_pcap_start(p, now);
		return;
	}
	if (now < p->next_flush_ns)
		return;
	p->next_flush_ns = now + FLUSH_NS;
	nfqd_pcap_flush(p);
}

void
nfqd_pcap_close(struct nfqd_pcap *p)
{
	if (!p->on)
		return;
	nfqd_pcap_flush(p);
	if (p->dumper != NULL)
		drop_file(p);
	if (p->dead != NULL)
		pcap_close(p->dead);
	p->dead = NULL;
	free(p->buf);
	p->buf = NULL;
	if (p->dirfd != -1)
		close(p->dirfd);
	p->dirfd = -1;
	p->on = false;
}
