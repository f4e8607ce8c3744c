/*
 * The capture file's writer thread (see pcapw.h): buffers of records
 * handed from the worker to the thread and back, never waited for by the
 * worker except at exit, and then for a bounded time.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nfqd/fault.h"
#include "nfqd/log.h"
#include "nfqd/pcapw.h"
#include "nfqd/util.h"

#define SEC_NS		1000000000ull

/*
 * A record in a buffer: this header, then caplen bytes, then padding to
 * 8 bytes so that the next header is aligned.
 */
struct rec {
	uint64_t	ts_sec;
	uint32_t	ts_usec;
	uint32_t	caplen;
	uint32_t	len;
	uint32_t	pad;
};

#define REC_SIZE(caplen)	(sizeof(struct rec) + \
				 (((size_t)(caplen) + 7) & ~(size_t)7))

int
nfqd_pcapw_init(struct nfqd_pcapw *w, int dirfd, uint16_t queue,
    uint64_t max_bytes, uint32_t max_files, size_t bufsize)
{
	unsigned	i;

	memset(w, 0, sizeof(*w));
	if (nfqd_pcap_init(&w->f, dirfd, queue, max_bytes, max_files,
	    bufsize) == -1)
		return -1;
	if (bufsize == 0)
		bufsize = NFQD_PCAPW_BUFSIZE;
	/* Room for the largest record. */
	if (bufsize < REC_SIZE(NFQD_PCAP_SNAPLEN))
		bufsize = REC_SIZE(NFQD_PCAP_SNAPLEN);
	w->size = bufsize;
	for (i = 0; i < NFQD_PCAPW_NBUF; i++)
		if ((w->b[i].data = malloc(bufsize)) == NULL) {
			while (i-- > 0)
				free(w->b[i].data);
			nfqd_pcap_close(&w->f);
			memset(w, 0, sizeof(*w));
			return -1;
		}
	w->lt = (struct nfqd_logthrottle)NFQD_LOGTHROTTLE_INIT(10);
	w->on = true;
	return 0;
}

static void
publish(struct nfqd_pcapw *w)
{
	__atomic_store_n(&w->pub.packets, w->f.c.packets, __ATOMIC_RELAXED);
	__atomic_store_n(&w->pub.bytes, w->f.c.bytes, __ATOMIC_RELAXED);
	__atomic_store_n(&w->pub.errors, w->f.c.errors, __ATOMIC_RELAXED);
	__atomic_store_n(&w->pub.rotations, w->f.c.rotations,
	    __ATOMIC_RELAXED);
}

/* The thread: one buffer's records into the file, and written out. */
static void
write_buf(struct nfqd_pcapw *w, const struct nfqd_pcapw_buf *b)
{
	const struct rec	*r;
	size_t			 off;
	uint64_t		 now = nfqd_now_ns();

	/* A file that could not be opened is tried again when it is due. */
	nfqd_pcap_tick(&w->f, now);
	for (off = 0; off + sizeof(*r) <= b->len;
	    off += REC_SIZE(r->caplen)) {
		r = (const struct rec *)(const void *)(b->data + off);
		nfqd_pcap_write(&w->f, b->data + off + sizeof(*r), r->caplen,
		    r->len, r->ts_sec, r->ts_usec);
	}
	nfqd_pcap_flush(&w->f);
}

/* The thread: every buffer handed over so far. */
static void
drain(struct nfqd_pcapw *w)
{
	struct nfqd_pcapw_buf	*b;
	uint64_t		 t;

	for (t = w->tail; t != __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
	    t++) {
		NFQD_FAULT(NFQD_FAULT_PCAP_WRITE, 1);
		b = &w->b[t % NFQD_PCAPW_NBUF];
		write_buf(w, b);
		b->len = 0;
		publish(w);
		__atomic_store_n(&w->tail, t + 1, __ATOMIC_RELEASE);
	}
}

static void *
writer(void *arg)
{
	struct nfqd_pcapw	*w = arg;

	/* Running: glibc has set the thread up (rseq, robust list). */
	sem_post(&w->ready);
	for (;;) {
		while (sem_wait(&w->work) == -1 && errno == EINTR)
			;
		drain(w);
		/* What was handed over before the stop is written too. */
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
			drain(w);
			break;
		}
	}
	nfqd_pcap_close(&w->f);
	publish(w);
	sem_post(&w->done);
	return NULL;
}

/* Wait for sem until CLOCK_MONOTONIC deadline: 0, or -1 (timed out). */
static int
wait_until(sem_t *sem, uint64_t deadline)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(deadline / SEC_NS);
	ts.tv_nsec = (long)(deadline % SEC_NS);
	for (;;) {
		if (sem_clockwait(sem, CLOCK_MONOTONIC, &ts) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int
nfqd_pcapw_start(struct nfqd_pcapw *w, uint64_t now, bool *opened)
{
	sigset_t	all, old;
	int		e;

	*opened = false;
	if (!w->on)
		return 0;
	nfqd_pcap_start(&w->f, now);
	*opened = w->f.dumper != NULL;
	if (sem_init(&w->work, 0, 0) == -1)
		return -1;
	if (sem_init(&w->done, 0, 0) == -1 || sem_init(&w->ready, 0, 0) ==
	    -1) {
		e = errno;
		sem_destroy(&w->work);
		sem_destroy(&w->done);
		errno = e;
		return -1;
	}
	/*
	 * One malloc arena for both threads: a second one would be made with
	 * mprotect(), which the worker's system call filter does not allow.
	 */
	(void) mallopt(M_ARENA_MAX, 1);
	/* Signals are the worker's (its signalfd): none for the thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&w->th, NULL, writer, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		sem_destroy(&w->work);
		sem_destroy(&w->done);
		sem_destroy(&w->ready);
		errno = e;
		return -1;
	}
	(void) pthread_setname_np(w->th, "nfqd-pcap");
	w->running = w->threaded = true;
	/*
	 * The system call filter comes next, and must find the thread set
	 * up: it posts ready once it runs.
	 */
	if (wait_until(&w->ready, nfqd_now_ns() + NFQD_PCAPW_EXIT_MS *
	    1000000ull) == -1)
		log_warnx("pcap: the thread that writes %s has not started "
		    "after %d ms", w->f.name, NFQD_PCAPW_EXIT_MS);
	return 0;
}

/* Is buffer head the worker's to fill? */
static bool
have_buf(const struct nfqd_pcapw *w)
{
	return w->head - __atomic_load_n(&w->tail, __ATOMIC_ACQUIRE) <
	    NFQD_PCAPW_NBUF;
}

/* Buffer head, with records in it, to the thread. */
static void
hand_over(struct nfqd_pcapw *w)
{
	__atomic_store_n(&w->head, w->head + 1, __ATOMIC_RELEASE);
	sem_post(&w->work);
}

void
nfqd_pcapw_write(struct nfqd_pcapw *w, const uint8_t *data, uint32_t caplen,
    uint32_t len, uint64_t ts_sec, uint32_t ts_usec)
{
	struct nfqd_pcapw_buf	*b;
	struct rec		 r;

	if (!w->on)
		return;
	if (!w->running) {
		nfqd_pcap_write(&w->f, data, caplen, len, ts_sec, ts_usec);
		return;
	}
	if (caplen > NFQD_PCAP_SNAPLEN)
		caplen = NFQD_PCAP_SNAPLEN;
	if (!have_buf(w)) {
		w->behind++;
		return;
	}
	b = &w->b[w->head % NFQD_PCAPW_NBUF];
	if (b->len + REC_SIZE(caplen) > w->size) {
		hand_over(w);
		if (!have_buf(w)) {
			w->behind++;
			return;
		}
		b = &w->b[w->head % NFQD_PCAPW_NBUF];
	}
	r.ts_sec = ts_sec;
	r.ts_usec = ts_usec;
	r.caplen = caplen;
	r.len = len;
	r.pad = 0;
	memcpy(b->data + b->len, &r, sizeof(r));
	memcpy(b->data + b->len + sizeof(r), data, caplen);
	b->len += REC_SIZE(caplen);
}

void
nfqd_pcapw_tick(struct nfqd_pcapw *w, uint64_t now)
{
	uint64_t	n, missed;

	if (!w->on)
		return;
	if (!w->running) {
		nfqd_pcap_tick(&w->f, now);
		return;
	}
	/*
	 * Once a second; the tick that asks may come a hair early, which
	 * should not put it off by a whole second.
	 */
	if (now >= w->next_ns) {
		w->next_ns = now + SEC_NS - 10000000ull;
		if (have_buf(w) && w->b[w->head % NFQD_PCAPW_NBUF].len > 0)
			hand_over(w);
	}
	if ((n = w->behind - w->behind_told) > 0 &&
	    log_throttle_ok(&w->lt, now, &missed)) {
		log_warnx("pcap: %s: the disk is not keeping up (every "
		    "buffer still being written): %llu packets not captured",
		    w->f.name, (unsigned long long)n);
		w->behind_told = w->behind;
	}
}

void
nfqd_pcapw_counts(struct nfqd_pcapw *w, struct nfqd_pcap_counts *c)
{
	if (w->threaded) {
		c->packets = __atomic_load_n(&w->pub.packets,
		    __ATOMIC_RELAXED);
		c->bytes = __atomic_load_n(&w->pub.bytes, __ATOMIC_RELAXED);
		c->errors = __atomic_load_n(&w->pub.errors,
		    __ATOMIC_RELAXED);
		c->rotations = __atomic_load_n(&w->pub.rotations,
		    __ATOMIC_RELAXED);
	} else
		*c = w->f.c;
	c->behind = w->behind;
}

int
nfqd_pcapw_sync(struct nfqd_pcapw *w, unsigned timeout_ms)
{
	struct timespec	ms = { 0, 1000000 };
	uint64_t	deadline = nfqd_now_ns() + timeout_ms * 1000000ull;

	if (!w->running) {
		if (w->on)
			nfqd_pcap_flush(&w->f);
		return 0;
	}
	if (have_buf(w) && w->b[w->head % NFQD_PCAPW_NBUF].len > 0)
		hand_over(w);
	while (__atomic_load_n(&w->tail, __ATOMIC_ACQUIRE) != w->head) {
		if (nfqd_now_ns() >= deadline)
			return -1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

void
nfqd_pcapw_close(struct nfqd_pcapw *w)
{
	unsigned	i;

	if (!w->on)
		return;
	w->on = false;
	if (!w->running) {
		nfqd_pcap_close(&w->f);
		for (i = 0; i < NFQD_PCAPW_NBUF; i++)
			free(w->b[i].data);
		return;
	}
	w->running = false;
	if (have_buf(w) && w->b[w->head % NFQD_PCAPW_NBUF].len > 0)
		hand_over(w);
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	sem_post(&w->work);
	if (wait_until(&w->done, nfqd_now_ns() + NFQD_PCAPW_EXIT_MS *
	    1000000ull) == -1) {
		/* Its buffers and file stay its own: the process ends. */
		log_warnx("pcap: %s: the writer has not finished after %d ms "
		    "(is the disk answering?); the packets it still holds are "
		    "not in the file", w->f.name, NFQD_PCAPW_EXIT_MS);
		return;
	}
	pthread_join(w->th, NULL);
	sem_destroy(&w->work);
	sem_destroy(&w->done);
	sem_destroy(&w->ready);
	for (i = 0; i < NFQD_PCAPW_NBUF; i++)
		free(w->b[i].data);
}
