/*
 * libFuzzer target for src/procfs.c: nfqd_procfs_scan(), the master's
 * read of /proc/net/netfilter/nfnetlink_queue, on any file text, checked
 * against a reference written here from what procfs.h promises: every
 * line that nfqd_procfs_parse_line() takes and whose queue is in [first,
 * first + count) handed to the callback once, in the file's order, with
 * the fields the parse gave; lines longer than the scan's buffer (not the
 * kernel's) skipped; the return value their number.  The file is read
 * twice through one nfqd_procfs, as the master does.
 *
 * Input: two bytes of first and two of count (little-endian), then the
 * file's text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nfqd/procfs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

#define MAXSEEN	4096
#define LINEMAX	4094	/* longest line nfqd_procfs_scan() reads */

struct seen {
	struct nfqd_kqueue	kq[MAXSEEN];
	unsigned		n;
	uint32_t		first, count;
};

static void
seen_line(void *arg, const struct nfqd_kqueue *kq)
{
	struct seen	*s = arg;

	ASSERT(kq->queue >= s->first && kq->queue - s->first < s->count);
	ASSERT(kq->copy_mode <= 2);
	if (s->n < MAXSEEN)
		s->kq[s->n] = *kq;
	s->n++;
}

/* The lines the scan must hand over, into ref; their number. */
static unsigned
reference(const char *text, size_t len, uint32_t first, uint32_t count,
    struct nfqd_kqueue *ref)
{
	char		 line[LINEMAX + 2];
	size_t		 i = 0, j, n;
	unsigned	 m = 0;
	struct nfqd_kqueue kq;

	while (i < len) {
		for (j = i; j < len && text[j] != '\n'; j++)
			;
		n = j - i;
		if (n <= LINEMAX) {
			memcpy(line, text + i, n);
			line[n] = '\0';
			if (nfqd_procfs_parse_line(line, &kq) == 0 &&
			    kq.queue >= first && kq.queue - first < count) {
				if (m < MAXSEEN)
					ref[m] = kq;
				m++;
			}
		}
		i = j + 1;
	}
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int			 fd = -1;
	static char			 path[64];
	static struct seen		 s;
	static struct nfqd_kqueue	 ref[MAXSEEN];
	struct nfqd_procfs		 pf;
	const char			*text;
	size_t				 len;
	unsigned			 want, k;
	int				 n, round;
	bool				 nul;

	if (size < 4)
		return 0;
	if (fd == -1) {
		if ((fd = memfd_create("fuzz_procfs", MFD_CLOEXEC)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	s.first = (uint32_t)data[0] | (uint32_t)data[1] << 8;
	s.count = ((uint32_t)data[2] | (uint32_t)data[3] << 8) + 1;
	text = (const char *)data + 4;
	len = size - 4;
	if (ftruncate(fd, 0) == -1 ||
	    (len > 0 && pwrite(fd, text, len, 0) != (ssize_t)len))
		abort();
	/* A NUL ends what the scan sees of a buffer: no line reference. */
	nul = memchr(text, '\0', len) != NULL;
	want = nul ? 0 : reference(text, len, s.first, s.count, ref);

	nfqd_procfs_init(&pf, path);
	for (round = 0; round < 2; round++) {
		s.n = 0;
		n = nfqd_procfs_scan(&pf, s.first, s.count, seen_line, &s);
		ASSERT(n >= 0 && (unsigned)n == s.n);
		if (nul)
			continue;
		ASSERT(s.n == want);
		for (k = 0; k < s.n && k < MAXSEEN; k++)
			ASSERT(memcmp(&s.kq[k], &ref[k], sizeof(ref[k])) == 0);
	}
	nfqd_procfs_close(&pf);
	return 0;
}
