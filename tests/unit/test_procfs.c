/*
 * Unit tests for src/procfs.c: the kernel's nfnetlink_queue lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nfqd/master.h"
#include "nfqd/nfqd.h"
#include "nfqd/procfs.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "unit.h"

static char	dir[512];

/* The kernel's seq_printf format in nfnetlink_queue.c. */
static const char *
kline(unsigned q, unsigned portid, unsigned total, unsigned mode,
    unsigned range, unsigned qdrop, unsigned udrop, unsigned seq)
{
	return unit_fmt("%5u %6u %5u %1u %5u %5u %5u %8u %2d\n", q, portid,
	    total, mode, range, qdrop, udrop, seq, 1);
}

static int
kq_eq(const struct nfqd_kqueue *k, uint32_t q, uint32_t portid,
    uint32_t total, uint32_t mode, uint32_t range, uint32_t qdrop,
    uint32_t udrop, uint32_t seq)
{
	return k->queue == q && k->portid == portid &&
	    k->queue_total == total && k->copy_mode == mode &&
	    k->copy_range == range && k->queue_dropped == qdrop &&
	    k->user_dropped == udrop && k->id_sequence == seq;
}

static void
test_parse(void)
{
	static const char *const bad[] = {
		"    0   3090     0 2 65531     0     0     1000\n",
		"    0   3090     0 2 65531     0     0     1000  1  5\n",
		"    0   3090     0 2 65531     0     0     1000  x\n",
		"    a   3090     0 2 65531     0     0     1000  1\n",
		"65536   3090     0 2 65531     0     0     1000  1\n",
		"    0   3090     0 3 65531     0     0     1000  1\n",
		"    0 4294967296     0 2 65531     0     0     1000  1\n",
		"    0   3090     0 2 65531     0     0 "
		    "99999999999999999999  1\n",
		"    0   3090    -1 2 65531     0     0     1000  1\n",
		"    0   3090     0 2 65531     0     0     1000  1x\n",
		"",
		"\n",
		"   \n",
	};
	struct nfqd_kqueue	k;
	const char		*l;
	size_t			i;
	int			r;

	memset(&k, 0, sizeof(k));
	r = nfqd_procfs_parse_line(
	    "    0   3090     0 2 65531     0     0     1000  1\n", &k);
	CHECK_INT_EQ(r, 0, "parse kernel example line");
	CHECK(kq_eq(&k, 0, 3090, 0, 2, 65531, 0, 0, 1000),
	    "parse kernel example line: fields");

	l = kline(65535, 4294967295u, 8192, 1, 0, 12, 34, 4294967295u);
	r = nfqd_procfs_parse_line(l, &k);
	CHECK_INT_EQ(r, 0, "parse line with the largest values");
	CHECK(kq_eq(&k, 65535, 4294967295u, 8192, 1, 0, 12, 34, 4294967295u),
	    "parse line with the largest values: fields");

	l = kline(7, 123456, 17, 0, 64, 100000, 200000, 99999999);
	r = nfqd_procfs_parse_line(l, &k);
	CHECK(r == 0 && kq_eq(&k, 7, 123456, 17, 0, 64, 100000, 200000,
	    99999999), "parse line with wide fields");

	r = nfqd_procfs_parse_line("1 2 3 2 5 6 7 8 1", &k);
	CHECK(r == 0 && kq_eq(&k, 1, 2, 3, 2, 5, 6, 7, 8),
	    "parse line without newline or padding");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&k, 0xa5, sizeof(k));
		r = nfqd_procfs_parse_line(bad[i], &k);
		CHECK_INT_EQ(r, -1, unit_fmt("parse rejects bad line %zu", i));
	}
}

static void
test_read(void)
{
	struct nfqd_kqueue		 kq[8];
	const struct nfqd_kqueue	*k;
	char				 path[1024], text[1024];
	int				 n;

	snprintf(text, sizeof(text), "%s%s%s%s%s%s",
	    kline(0, 100, 1, 2, 65535, 0, 0, 10),
	    "garbage\n",
	    kline(1, 101, 2, 2, 65535, 3, 4, 20),
	    "    2    102     0 2 65535     0     0\n",
	    kline(5, 105, 0, 1, 0, 0, 0, 50),
	    "\n");
	snprintf(path, sizeof(path), "%s/nfnetlink_queue", dir);
	if (!CHECK(unit_write_text(path, text) == 0, "read: writing the file"))
		return;

	memset(kq, 0, sizeof(kq));
	n = nfqd_procfs_read(path, kq, 8);
	CHECK_INT_EQ(n, 3, "read skips bad lines");
	CHECK(kq_eq(&kq[0], 0, 100, 1, 2, 65535, 0, 0, 10) &&
	    kq_eq(&kq[1], 1, 101, 2, 2, 65535, 3, 4, 20) &&
	    kq_eq(&kq[2], 5, 105, 0, 1, 0, 0, 0, 50), "read: fields");

	memset(kq, 0, sizeof(kq));
	kq[2].queue = 999;
	n = nfqd_procfs_read(path, kq, 2);
	CHECK_INT_EQ(n, 2, "read stops at max");
	CHECK(kq[0].queue == 0 && kq[1].queue == 1 && kq[2].queue == 999,
	    "read writes no more than max entries");

	n = nfqd_procfs_read(path, kq, 0);
	CHECK_INT_EQ(n, 0, "read with max 0");

	k = nfqd_procfs_find(kq, 2, 1);
	CHECK(k == &kq[1], "find queue 1");
	k = nfqd_procfs_find(kq, 2, 0);
	CHECK(k == &kq[0], "find queue 0");
	CHECK(nfqd_procfs_find(kq, 2, 5) == NULL,
	    "find queue past n is not found");
	CHECK(nfqd_procfs_find(kq, 0, 0) == NULL, "find in an empty list");

	if (!CHECK(unit_write_text(path, "") == 0, "read: emptying the file"))
		return;
	CHECK_INT_EQ(nfqd_procfs_read(path, kq, 8), 0, "read an empty file");
	unlink(path);

	snprintf(path, sizeof(path), "%s/missing", dir);
	errno = 0;
	n = nfqd_procfs_read(path, kq, 8);
	CHECKF(n == -1 && errno == ENOENT, "read a missing file: -1 ENOENT",
	    "got %d, %s", n, strerror(errno));
}

struct seen {
	unsigned	n;
	unsigned	bad;		/* out of order, or fields wrong */
	uint32_t	next;		/* the queue expected next */
	uint32_t	total;		/* queue_total expected: queue * mult */
	uint32_t	mult;
};

static void
seen_line(void *arg, const struct nfqd_kqueue *kq)
{
	struct seen	*s = arg;

	if (kq->queue != s->next || kq->queue_total != kq->queue * s->mult ||
	    kq->portid != 1000 + kq->queue)
		s->bad++;
	s->next = kq->queue + 1;
	s->n++;
}

/* Queues first..last-1, one line each, queue_total = queue * mult. */
static int
write_queues(const char *path, unsigned first, unsigned last, unsigned mult,
    const char *middle)
{
	static char	text[64 * 1024];
	size_t		len = 0;
	unsigned	q;

	text[0] = '\0';
	for (q = first; q < last; q++) {
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s",
		    kline(q, 1000 + q, q * mult, 2, 65535, 0, 0, q));
		if (q == (first + last) / 2 && middle != NULL)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "%s", middle);
	}
	return unit_write_text(path, text);
}

static void
test_scan(void)
{
	struct nfqd_procfs	 pf;
	struct seen		 s;
	char			 path[1024], longline[6000];
	int			 n, fd;

	snprintf(path, sizeof(path), "%s/nfnetlink_queue", dir);
	nfqd_procfs_init(&pf, path);
	memset(&s, 0, sizeof(s));
	errno = 0;
	n = nfqd_procfs_scan(&pf, 0, 10, seen_line, &s);
	CHECKF(n == -1 && errno == ENOENT && pf.fd == -1 && s.n == 0,
	    "scan: a missing file is -1 ENOENT, and stays closed",
	    "got %d, %s, fd %d, %u lines", n, strerror(errno), pf.fd, s.n);

	/* 10 lines, about 500 bytes: one read, none more for the end. */
	if (!CHECK(write_queues(path, 0, 10, 1, NULL) == 0,
	    "scan: writing a short file"))
		return;
	memset(&s, 0, sizeof(s));
	s.mult = 1;
	pf.reads = 0;
	n = nfqd_procfs_scan(&pf, 0, 10, seen_line, &s);
	CHECKF(n == 10 && s.n == 10 && s.bad == 0 && s.next == 10 &&
	    pf.reads == 1, "scan: a file that fits the buffer in one read",
	    "got %d, %u lines, %u bad, next %u, %llu reads", n, s.n, s.bad,
	    s.next, (unsigned long long)pf.reads);

	/* 300 lines, about 15 KB: several reads of the 4 KB buffer. */
	if (!CHECK(write_queues(path, 0, 300, 3, NULL) == 0,
	    "scan: writing the file"))
		return;
	memset(&s, 0, sizeof(s));
	s.mult = 3;
	n = nfqd_procfs_scan(&pf, 0, 300, seen_line, &s);
	CHECKF(n == 300 && s.n == 300 && s.bad == 0 && s.next == 300,
	    "scan: every line across buffer boundaries, in order",
	    "got %d, %u lines, %u bad, next %u", n, s.n, s.bad, s.next);
	CHECK(pf.fd != -1, "scan: the file is open once it exists");
	fd = pf.fd;

	memset(&s, 0, sizeof(s));
	s.mult = 3;
	s.next = 120;
	n = nfqd_procfs_scan(&pf, 120, 50, seen_line, &s);
	CHECKF(n == 50 && s.n == 50 && s.bad == 0 && s.next == 170,
	    "scan: only the queues in [first, first + count)",
	    "got %d, %u lines, %u bad, next %u", n, s.n, s.bad, s.next);

	/* Rewritten in place: the open descriptor reads the new text. */
	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	if (!CHECK(write_queues(path, 10, 210, 7, longline) == 0,
	    "scan: rewriting the file"))
		return;
	memset(&s, 0, sizeof(s));
	s.mult = 7;
	s.next = 10;
	n = nfqd_procfs_scan(&pf, 0, 65536, seen_line, &s);
	CHECKF(n == 200 && s.n == 200 && s.bad == 0 && s.next == 210,
	    "scan: read again from the start; a line longer than the buffer "
	    "is skipped, the lines around it are not",
	    "got %d, %u lines, %u bad, next %u", n, s.n, s.bad, s.next);
	CHECK_INT_EQ(pf.fd, fd, "scan: no new open for a later scan");

	/* The last line without its newline still counts. */
	if (!CHECK(unit_write_text(path, "    4   1004    28 2 65535     0"
	    "     0        4  1") == 0, "scan: writing a file without newline"))
		return;
	memset(&s, 0, sizeof(s));
	s.mult = 7;
	s.next = 4;
	n = nfqd_procfs_scan(&pf, 0, 10, seen_line, &s);
	CHECKF(n == 1 && s.n == 1 && s.bad == 0,
	    "scan: a last line without newline", "got %d, %u lines, %u bad",
	    n, s.n, s.bad);

	if (!CHECK(unit_write_text(path, "") == 0, "scan: emptying the file"))
		return;
	memset(&s, 0, sizeof(s));
	CHECK_INT_EQ(nfqd_procfs_scan(&pf, 0, 10, seen_line, &s), 0,
	    "scan: an empty file");

	nfqd_procfs_close(&pf);
	CHECK_INT_EQ(pf.fd, -1, "scan: closed");
	CHECKF(fcntl(fd, F_GETFD) == -1 && errno == EBADF,
	    "scan: close closed the descriptor", "fcntl: %s", strerror(errno));
	unlink(path);

	/* nfqd_procfs_each opens and closes the file each time. */
	if (!CHECK(write_queues(path, 0, 300, 2, NULL) == 0,
	    "each: writing the file"))
		return;
	memset(&s, 0, sizeof(s));
	s.mult = 2;
	n = nfqd_procfs_each(path, 0, 300, seen_line, &s);
	CHECKF(n == 300 && s.n == 300 && s.bad == 0,
	    "each: every line of a 15 KB file", "got %d, %u lines, %u bad", n,
	    s.n, s.bad);
	unlink(path);
}

#define NOLINE	UINT64_MAX	/* a look that found no line */
#define KD_Q	3		/* queues in a row */
#define KD_LOOKS 6

/*
 * nfqd_kdrops_fold(): each row feeds looks at up to KD_Q queues (first,
 * first + 1, ...) and checks the 64-bit totals after the last.
 */
static void
test_kdrops(void)
{
	static const struct {
		const char	*name;
		uint32_t	 first;
		unsigned	 nq, nlooks;
		/* [look][queue]: queue_dropped, user_dropped (NOLINE) */
		uint64_t	 look[KD_LOOKS][KD_Q][2];
		uint64_t	 want[KD_Q][2];
	} rows[] = {
		{ "first look counted whole", 5, 1, 1,
		    { { { 7, 3 } } }, { { 7, 3 } } },
		{ "plain growth", 5, 1, 3,
		    { { { 7, 3 } }, { { 10, 3 } }, { { 1000, 50 } } },
		    { { 1000, 50 } } },
		{ "no growth", 0, 1, 3,
		    { { { 50, 0 } }, { { 50, 0 } }, { { 50, 0 } } },
		    { { 50, 0 } } },
		{ "wrap of queue_dropped", 5, 1, 2,
		    { { { 0xffffff00u, 5 } }, { { 0x10, 6 } } },
		    { { 0x100000010ull, 6 } } },
		{ "wrap of user_dropped", 5, 1, 2,
		    { { { 1, 0xfffffffeu } }, { { 1, 2 } } },
		    { { 1, 0x100000002ull } } },
		{ "wrap at 2^32 exactly", 5, 1, 3,
		    { { { 0xffffffffu, 0 } }, { { 0, 0 } }, { { 1, 0 } } },
		    { { 0x100000001ull, 0 } } },
		{ "two wraps over five looks", 65535, 1, 5,
		    { { { 0xfffffff0u, 0xfffffff0u } }, { { 5, 0xffffffffu } },
		    { { 0xfffffff0u, 3 } }, { { 1, 0xfffffff0u } },
		    { { 2, 4 } } },
		    { { 0x200000002ull, 0x200000004ull } } },
		{ "line missing, then back with a small value", 5, 1, 3,
		    { { { 100, 20 } }, { { NOLINE } }, { { 3, 1 } } },
		    { { 103, 21 } } },
		{ "line missing after a wrap, back small", 5, 1, 4,
		    { { { 0xffffff00u, 0 } }, { { 0x10, 0 } }, { { NOLINE } },
		    { { 2, 7 } } },
		    { { 0x100000012ull, 7 } } },
		{ "line missing at the first looks", 5, 1, 3,
		    { { { NOLINE } }, { { NOLINE } }, { { 4, 2 } } },
		    { { 4, 2 } } },
		{ "line missing at the last look keeps the totals", 5, 1, 2,
		    { { { 40, 2 } }, { { NOLINE } } }, { { 40, 2 } } },
		{ "several queues", 0, 3, 3,
		    { { { 10, 0 }, { NOLINE }, { 0xfffffffeu, 1 } },
		    { { 20, 0 }, { 5, 5 }, { 3, 1 } },
		    { { 25, 1 }, { 6, 5 }, { 9, 0xffffffffu } } },
		    { { 25, 1 }, { 6, 5 }, { 0x100000009ull, 0xffffffffu } } },
	};
	struct nfqd_kdrops	 kd[KD_Q];
	struct nfqd_kqueue	 kq;
	size_t			 r, l, q;

	for (r = 0; r < NFQD_ARRAY_SIZE(rows); r++) {
		memset(kd, 0, sizeof(kd));
		for (l = 0; l < rows[r].nlooks; l++)
			for (q = 0; q < rows[r].nq; q++) {
				memset(&kq, 0, sizeof(kq));
				kq.queue = rows[r].first + (uint32_t)q;
				kq.queue_dropped = rows[r].look[l][q][0];
				kq.user_dropped = rows[r].look[l][q][1];
				nfqd_kdrops_fold(&kd[q], kq.queue,
				    kq.queue_dropped == NOLINE ? NULL : &kq);
			}
		for (q = 0; q < rows[r].nq; q++)
			CHECKF(kd[q].queue_dropped == rows[r].want[q][0] &&
			    kd[q].user_dropped == rows[r].want[q][1],
			    unit_fmt("kdrops: %s: queue %zu", rows[r].name, q),
			    "got %llu %llu, want %llu %llu",
			    (unsigned long long)kd[q].queue_dropped,
			    (unsigned long long)kd[q].user_dropped,
			    (unsigned long long)rows[r].want[q][0],
			    (unsigned long long)rows[r].want[q][1]);
	}

	/* Given another queue (the slot moved), the totals start again. */
	memset(kd, 0, sizeof(kd));
	memset(&kq, 0, sizeof(kq));
	kq.queue = 5;
	kq.queue_dropped = 0xffffff00u;
	nfqd_kdrops_fold(&kd[0], 5, &kq);
	kq.queue_dropped = 0x10;
	nfqd_kdrops_fold(&kd[0], 5, &kq);
	kq.queue = 6;
	kq.queue_dropped = 4;
	nfqd_kdrops_fold(&kd[0], 6, &kq);
	CHECK(kd[0].queue_dropped == 4 && kd[0].user_dropped == 0,
	    "kdrops: a slot given another queue starts from 0");
}

/*
 * The master's look (watchdog.c) across reloads that move the range: a
 * slot past it is looked at no more; when the range grows back, its
 * queue is the same instance if its old worker had not stopped yet (the
 * socket kept), its counters grown, or one bound anew that counts from 0,
 * which is growth, not a wrap.
 */
static struct nfqd_master	wm;

static int
kd_file(const char *path, unsigned n, const unsigned *qdrop)
{
	char		text[4096];
	size_t		off = 0;
	unsigned	i;

	text[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s",
		    kline(i, 100 + i, 0, 2, 65535, qdrop[i], 0, 7));
	return unit_write_text(path, text);
}

static void
kd_look(uint64_t *now)
{
	wm.watch.next_ns = 0;
	*now += 100 * NFQD_MS;
	nfqd_watchdog_tick(&wm, *now);
}

/*
 * Queue q bound, as the master's bind does: its socket (on /dev/null, so
 * that the unbind of its release goes nowhere, with a warning), unread.
 * 0, or -1 (failed check).
 */
static int
kd_bind(uint16_t q)
{
	struct nfqd_qsock	*qs = &wm.qs[wm.nqs];

	memset(qs, 0, sizeof(*qs));
	qs->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!CHECKF(qs->fd != -1, "kdrops: a socket", "%s", strerror(errno)))
		return -1;
	qs->queue = q;
	qs->reader = -1;
	wm.nqs++;
	return 0;
}

/* Slot i's worker (a pid no process has) starts reading queue i. */
static void
kd_run(unsigned i)
{
	wm.slots[i].state = NFQD_W_RUNNING;
	wm.slots[i].queue = (uint16_t)i;
	wm.slots[i].pid = INT32_MAX;
	nfqd_qsock_find(&wm, (uint16_t)i)->reader = (int)i;
}

/* What kd_start() made, undone. */
static void
kd_end(void)
{
	while (wm.nqs > 0)
		close(wm.qs[--wm.nqs].fd);
	nfqd_procfs_close(&wm.proc);
	nfqd_shm_close(&wm.shm);
}

/*
 * wm with 4 slots on queues 0-3, each bound and its worker running (no
 * worker is ever forked: respawn_at is never reached), and a counters
 * region NAME.shm, the kernel's file at path with queue 3's 5 drops,
 * looked at once.  0, or -1 (failed checks).
 */
static int
kd_start(const char *name, const char *path, uint64_t *now)
{
	static const unsigned	first[4] = { 0, 0, 0, 5 };
	char			err[2 * PATH_MAX + 256];
	unsigned		i;

	memset(&wm, 0, sizeof(wm));
	if (!CHECK(nfqd_shm_create(&wm.shm, unit_fmt("%s/%s.shm", dir, name),
	    NFQD_MAX_WORKERS, (int)getpid(), err, sizeof(err)) == 0,
	    unit_fmt("kdrops %s: counters region", name)))
		return -1;
	nfqd_procfs_init(&wm.proc, path);
	wm.cf.qcount = 4;
	wm.cf.maxlen = 1024;
	wm.nslots = 4;
	for (i = 0; i < 4; i++) {
		wm.slots[i].respawn_at = UINT64_MAX;
		if (kd_bind((uint16_t)i) == -1)
			return -1;
		kd_run(i);
	}
	if (!CHECK(kd_file(path, 4, first) == 0,
	    unit_fmt("kdrops %s: file", name)))
		return -1;
	kd_look(now);
	CHECK_UINT_EQ(wm.shm.ctl[3].queue_dropped, 5,
	    unit_fmt("kdrops %s: queue 3's drops at the first look", name));
	return 0;
}

/* The file as the kernel shows the queues wm holds; queue 3's line given. */
static int
kd_held(const char *path, uint32_t qdrop, uint32_t udrop, uint32_t portid)
{
	char		text[4096];
	size_t		off = 0, k;
	unsigned	q;

	text[0] = '\0';
	for (k = 0; k < wm.nqs; k++) {
		q = wm.qs[k].queue;
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s",
		    q == 3 ? kline(q, portid, 0, 2, 65535, qdrop, udrop, 7) :
		    kline(q, 100 + q, 0, 2, 65535, 0, 0, 7));
	}
	return unit_write_text(path, text);
}

enum kd_op {
	KD_END,
	KD_LOOK,	/* a look; queue 3's line (if bound): qdrop udrop portid */
	KD_SHRINK,	/* a reload to queues 0-2 */
	KD_GROW,	/* a reload back to 0-3: queue 3 bound if it is not */
	KD_EXIT,	/* slot 3's worker exits */
	KD_RUN,		/* slot 3's next worker starts */
};

#define KD_STEPS	10

/*
 * Reloads that take queue 3 out of the range and back (watchdog.c,
 * slots.c, qsocks.c as the master runs them): its instance lives on, its
 * counters with it, while its old worker stops (up to 2 s) and the
 * socket with it, and only a queue unbound (the worker gone) is made
 * anew by the next bind, counting from 0.  After each look, slot 3's
 * published totals.
 */
static void
test_kdrops_range(void)
{
	static const struct {
		const char	*name;
		struct {
			enum kd_op	op;
			uint32_t	qdrop, udrop, portid;
			uint64_t	want_q, want_u;
		} step[KD_STEPS];
	} rows[] = {
		{ "grown back while its worker stops", {
		    { KD_LOOK, 5, 1, 103, 5, 1 }, { .op = KD_SHRINK },
		    { KD_LOOK, 6, 1, 103, 5, 1 }, { .op = KD_GROW },
		    { KD_LOOK, 7, 2, 103, 7, 2 }, { .op = KD_EXIT },
		    { KD_LOOK, 8, 2, 103, 8, 2 }, { .op = KD_RUN },
		    { KD_LOOK, 9, 3, 103, 9, 3 } } },
		{ "grown back while its worker stops, no look between", {
		    { KD_LOOK, 5, 1, 103, 5, 1 }, { .op = KD_SHRINK }, { .op = KD_GROW },
		    { KD_LOOK, 7, 2, 103, 7, 2 } } },
		{ "grown back while its worker stops, a wrap meanwhile", {
		    { KD_LOOK, 0xfffffff0u, 0xffffffffu, 103, 0xfffffff0u,
		    0xffffffffu }, { .op = KD_SHRINK },
		    { KD_LOOK, 0xfffffffeu, 0, 103, 0xfffffff0u, 0xffffffffu },
		    { .op = KD_GROW },
		    { KD_LOOK, 0x10, 2, 103, 0x100000010ull, 0x100000002ull } } },
		{ "unbound, bound again: a new portid", {
		    { KD_LOOK, 5, 1, 103, 5, 1 }, { .op = KD_SHRINK }, { .op = KD_EXIT },
		    { KD_LOOK, 0, 0, 0, 5, 1 }, { .op = KD_GROW },
		    { KD_LOOK, 2, 1, 203, 7, 2 } } },
		{ "unbound, bound again: the same portid", {
		    { KD_LOOK, 5, 1, 103, 5, 1 }, { .op = KD_SHRINK }, { .op = KD_EXIT },
		    { KD_LOOK, 0, 0, 0, 5, 1 }, { .op = KD_GROW },
		    { KD_LOOK, 2, 1, 103, 7, 2 } } },
		{ "unbound, bound again before the next look", {
		    { KD_LOOK, 5, 1, 103, 5, 1 }, { .op = KD_SHRINK }, { .op = KD_EXIT },
		    { .op = KD_GROW }, { KD_LOOK, 2, 1, 203, 7, 2 } } },
		{ "a wrap, then unbound and bound again", {
		    { KD_LOOK, 0xfffffff0u, 0, 103, 0xfffffff0u, 0 },
		    { KD_LOOK, 0x10, 0, 103, 0x100000010ull, 0 },
		    { .op = KD_SHRINK }, { .op = KD_EXIT }, { .op = KD_GROW },
		    { KD_LOOK, 3, 4, 203, 0x100000013ull, 4 } } },
	};
	char		 path[640], name[64];
	uint64_t	 now = 1000 * NFQD_MS;
	size_t		 r, k;
	unsigned	 looks;

	snprintf(path, sizeof(path), "%s/nfq-range", dir);
	for (r = 0; r < NFQD_ARRAY_SIZE(rows); r++) {
		snprintf(name, sizeof(name), "range%zu", r);
		if (kd_start(name, path, &now) == -1)
			return;
		looks = 0;
		for (k = 0; k < KD_STEPS && rows[r].step[k].op != KD_END;
		    k++) {
			switch (rows[r].step[k].op) {
			case KD_LOOK:
				if (!CHECK(kd_held(path, rows[r].step[k].qdrop,
				    rows[r].step[k].udrop,
				    rows[r].step[k].portid) == 0,
				    "kdrops range: file"))
					break;
				kd_look(&now);
				looks++;
				CHECKF(wm.shm.ctl[3].queue_dropped ==
				    rows[r].step[k].want_q &&
				    wm.shm.ctl[3].user_dropped ==
				    rows[r].step[k].want_u,
				    unit_fmt("kdrops range: %s: look %u",
				    rows[r].name, looks),
				    "got %llu %llu, want %llu %llu",
				    (unsigned long long)
				    wm.shm.ctl[3].queue_dropped,
				    (unsigned long long)
				    wm.shm.ctl[3].user_dropped,
				    (unsigned long long)rows[r].step[k].want_q,
				    (unsigned long long)rows[r].step[k].want_u);
				break;
			case KD_SHRINK:
				wm.cf.qcount = 3;
				nfqd_watchdog_moved(&wm);
				nfqd_slots_reconcile(&wm);
				break;
			case KD_GROW:
				if (nfqd_qsock_find(&wm, 3) == NULL &&
				    kd_bind(3) == -1)
					break;
				wm.cf.qcount = 4;
				nfqd_watchdog_moved(&wm);
				nfqd_slots_reconcile(&wm);
				break;
			case KD_EXIT:
				/* As nfqd_slots_reap() and left_behind(). */
				wm.slots[3].state = NFQD_W_IDLE;
				wm.slots[3].pid = 0;
				nfqd_qsock_find(&wm, 3)->reader = -1;
				nfqd_slots_reconcile(&wm);
				break;
			case KD_RUN:
				kd_run(3);
				break;
			case KD_END:
				break;
			}
		}
		kd_end();
	}
}

/*
 * A range moved (0-3 to 10-13) while slot 3's old worker still serves
 * queue 3: its control line names queue 3, so the totals of queue 13
 * are not published there until a worker serves 13.
 */
static void
test_kdrops_moved(void)
{
	char			 path[640], text[4096];
	uint64_t		 now = 1000 * NFQD_MS;
	size_t			 off = 0;
	unsigned		 i;

	snprintf(path, sizeof(path), "%s/nfq-moved", dir);
	if (kd_start("moved", path, &now) == -1)
		return;
	/* Queues 10-13 bound; slot 3's old worker still on queue 3. */
	wm.cf.qfirst = 10;
	wm.slots[3].state = NFQD_W_RUNNING;
	wm.slots[3].queue = 3;
	wm.slots[3].pid = INT32_MAX;
	nfqd_watchdog_moved(&wm);
	text[0] = '\0';
	for (i = 10; i < 14; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s",
		    kline(i, 100 + i, 0, 2, 65535, i == 13 ? 4 : 0, 0, 7));
	if (!CHECK(unit_write_text(path, text) == 0, "kdrops moved: file"))
		return;
	kd_look(&now);
	CHECK_UINT_EQ(wm.shm.ctl[3].queue_dropped, 5,
	    "kdrops moved: queue 13's drops not shown as queue 3's");
	wm.slots[3].queue = 13;		/* its successor */
	kd_look(&now);
	CHECK_UINT_EQ(wm.shm.ctl[3].queue_dropped, 4,
	    "kdrops moved: then shown, queue 13's own");
	kd_end();
}

int
main(void)
{
	int	rc;

	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_read();
	test_scan();
	test_kdrops();
	test_kdrops_range();
	test_kdrops_moved();
	rc = unit_done();
	if (unit_rmtree(dir) == -1) {
		perror(dir);
		rc = 1;
	}
	return rc;
}
