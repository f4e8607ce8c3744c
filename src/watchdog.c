/*
 * The watchdog: a periodic look at the kernel's counters of every
 * configured queue (/proc/net/netfilter/nfnetlink_queue).
 *
 * A worker whose queue has packets waiting and whose verdict count has not
 * moved for watchdog_ms is stuck (stopped, looping, blocked): it is killed
 * and its successor releases what it had read.  Drops the kernel counted
 * since the last look are reported, and a queue found full is counted and
 * reported.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/procfs.h"
#include "nfqd/shm.h"
#include "nfqd/taskstate.h"
#include "nfqd/util.h"

static void
kernel_line(void *arg, const struct nfqd_kqueue *kq)
{
	struct nfqd_master	*m = arg;
	uint32_t		 i = kq->queue - m->cf.qfirst;

	if (kq->queue >= m->cf.qfirst && i < m->cf.qcount)
		m->watch.kq[i] = *kq;
}

/* Whether anything waits to be read on slot i's socket. */
static bool
unread(struct nfqd_master *m, unsigned i)
{
	struct nfqd_qsock	*qs = nfqd_qsock_find(m, m->slots[i].queue);
	struct pollfd		 pfd;

	if (qs == NULL)
		return false;
	pfd.fd = qs->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/*
 * A worker that gave no verdict for watchdog_ms while packets wait is
 * stuck if its loop stopped too (no heartbeat for watchdog_ms), or if
 * packets have waited on its socket unread for as long.  One whose loop
 * runs with nothing to read is not: what waits is what a dead predecessor
 * read and nobody recorded, released when the next packet arrives
 * (docs/architecture.md, "Orphans"), and that packet's wait counts from
 * when it was first seen on the socket, not from the last verdict.
 */
static void
check_progress(struct nfqd_master *m, unsigned i,
    const struct nfqd_kqueue *kq, uint64_t now)
{
	const struct nfqd_slot_stats	*st = &m->shm.slots[i].st;
	struct nfqd_mslot		*s = &m->slots[i];
	uint64_t			 done, ms, hb, wd = m->cf.watchdog_ms;
	char				 doing[160];

	if (s->state != NFQD_W_RUNNING || wd == 0 || s->queue != kq->queue)
		return;
	done = NFQD_LOAD(&st->accepted) + NFQD_LOAD(&st->dropped) +
	    NFQD_LOAD(&st->other);
	if (done != s->progress || kq->queue_total == 0) {
		s->progress = done;
		s->progress_ns = now;
		s->unread_ns = 0;
		return;
	}
	if (!unread(m, i))
		s->unread_ns = 0;
	else if (s->unread_ns == 0)
		s->unread_ns = now;
	if ((ms = (now - s->progress_ns) / NFQD_MS) < wd)
		return;
	hb = NFQD_LOAD(&m->shm.slots[i].st.heartbeat);
	if (!(now > hb && (now - hb) / NFQD_MS >= wd) &&
	    !(s->unread_ns != 0 && (now - s->unread_ns) / NFQD_MS >= wd))
		return;
	/* Before the kill, which ends whatever it was doing. */
	nfqd_task_doing(s->pid, doing, sizeof(doing));
	log_warnx("worker %u (queue %u, pid %d) gave no verdict for %llu ms "
	    "with %u packets waiting%s; killing it", i, s->queue, (int)s->pid,
	    (unsigned long long)ms, kq->queue_total, doing);
	if (kill(s->pid, SIGKILL) == -1)
		log_warn("kill(%d, SIGKILL)", (int)s->pid);
	s->progress_ns = now;
	s->unread_ns = 0;
}

/*
 * A queue found at maxlen.  The kernel checks the length before it gives a
 * packet an id: with fail_open it then accepts the packet without a trace
 * (no id, no counter anywhere), without it drops it (queue_dropped).  So
 * the only sign of fail-open accepts from a full queue is the queue seen
 * full: count each check that sees it (the slot's full_seen, a lower bound
 * on the time spent full, not a number of packets) and warn, at most every
 * 10 s per queue.
 */
static void
check_full(struct nfqd_master *m, unsigned i, const struct nfqd_kqueue *kq,
    uint64_t now)
{
	struct nfqd_slot_ctl	*c = &m->shm.ctl[i];
	struct nfqd_logthrottle	*lt = &m->watch.full_lt[i];
	const struct nfqd_mslot	*s = &m->slots[i];
	uint64_t		 missed;
	char			 more[96];

	/* full_seen counts for one queue: the slot's, when it moves. */
	if (m->watch.fullq[i] != kq->queue + 1) {
		m->watch.fullq[i] = kq->queue + 1;
		NFQD_STORE(&c->full_seen, 0);
		memset(lt, 0, sizeof(*lt));
	}
	/* A worker of an older configuration may have set another maxlen. */
	if (kq->queue_total < m->cf.maxlen ||
	    (s->state == NFQD_W_RUNNING && s->gen != m->gen))
		return;
	NFQD_STORE(&c->full_seen, c->full_seen + 1);
	lt->interval_ns = 10000 * NFQD_MS;
	if (!log_throttle_ok(lt, now, &missed))
		return;
	more[0] = '\0';
	if (missed > 0)
		snprintf(more, sizeof(more), " (and at %llu more checks since "
		    "the last warning)", (unsigned long long)missed);
	log_warnx("queue %u is full (%u of %u packets waiting)%s: %s; raise "
	    "queue.maxlen or add workers", kq->queue, kq->queue_total,
	    m->cf.maxlen, more, m->cf.fail_open ? "fail_open accepts new "
	    "packets uninspected and nothing counts them" : "the kernel "
	    "drops new packets (queue_dropped)");
}

/*
 * Drops the kernel counted, reported at most every 10 s per queue: the
 * growth of the slot's 64-bit totals (kd), right across a wrap of the
 * kernel's counters and a queue unbound and bound again.
 */
static void
check_drops(struct nfqd_master *m, unsigned i, const struct nfqd_kqueue *kq,
    uint64_t now)
{
	struct nfqd_kseen		*ks = &m->watch.seen[i];
	const struct nfqd_kdrops	*kd = &m->watch.kd[i];
	uint64_t			 dq, du;

	/* The first look, or the totals restarted: from here on. */
	if (!ks->valid || kd->queue_dropped < ks->queue_dropped ||
	    kd->user_dropped < ks->user_dropped) {
		ks->queue_dropped = kd->queue_dropped;
		ks->user_dropped = kd->user_dropped;
		ks->valid = true;
	}
	dq = kd->queue_dropped - ks->queue_dropped;
	du = kd->user_dropped - ks->user_dropped;
	if ((dq || du) && now - ks->warned_ns >= 10000 * NFQD_MS) {
		log_warnx("queue %u: the kernel dropped %llu packets because "
		    "the queue was full (maxlen %u) and %llu because the "
		    "socket buffer was full, since %s", kq->queue,
		    (unsigned long long)dq, m->cf.maxlen,
		    (unsigned long long)du, ks->warned_ns ?
		    "the last warning" : "start");
		ks->queue_dropped = kd->queue_dropped;
		ks->user_dropped = kd->user_dropped;
		ks->warned_ns = now;
	}
}

/*
 * Fold the look into the configured slots' totals of the kernel's drops
 * and publish them in their control lines.  Slots past the range
 * (stopping, or idle until it grows again) are not folded: their queues'
 * lines are not read, and what they last read stays their instance's
 * (nfqd_watchdog_unbound()): a range grown back while the old worker
 * stops finds the same instance, its counters grown from there.
 */
static void
fold_drops(struct nfqd_master *m)
{
	const struct nfqd_kqueue	*kq = m->watch.kq;
	struct nfqd_kdrops		*kd;
	struct nfqd_slot_ctl		*c;
	unsigned			 i;

	for (i = 0; i < m->cf.qcount; i++) {
		kd = &m->watch.kd[i];
		nfqd_kdrops_fold(kd, m->cf.qfirst + i,
		    kq[i].queue != UINT32_MAX ? &kq[i] : NULL);
		/*
		 * Its worker still serves the queue the slot had before the
		 * range moved, and its control line says so: readers would
		 * take the totals for that queue's.  They wait for its
		 * successor (a second or two).
		 */
		if (m->slots[i].state != NFQD_W_IDLE &&
		    m->slots[i].queue != m->cf.qfirst + i)
			continue;
		c = &m->shm.ctl[i];
		NFQD_STORE(&c->queue_dropped, kd->queue_dropped);
		NFQD_STORE(&c->user_dropped, kd->user_dropped);
	}
}

static void
check_queues(struct nfqd_master *m, uint64_t now)
{
	struct nfqd_kqueue	*kq = m->watch.kq;
	unsigned		 i;

	memset(kq, 0, m->cf.qcount * sizeof(*kq));
	for (i = 0; i < m->cf.qcount; i++)
		kq[i].queue = UINT32_MAX;	/* not seen */
	if (nfqd_procfs_scan(&m->proc, m->cf.qfirst, m->cf.qcount,
	    kernel_line, m) == -1)
		return;
	fold_drops(m);
	for (i = 0; i < m->cf.qcount; i++) {
		if (kq[i].queue == UINT32_MAX)
			continue;
		check_progress(m, i, &kq[i], now);
		check_full(m, i, &kq[i], now);
		check_drops(m, i, &kq[i], now);
	}
}

/*
 * A look that comes more than a second late (the interval is at most a
 * second, so a whole interval late at least) means the master did not
 * run meanwhile: the machine was paused (a virtual machine's host took
 * its CPUs, a suspend) or the master was stopped or busy.  Workers
 * paused with it gave no verdicts either, through no fault of theirs,
 * and the packets that came meanwhile wait: what the last look saw is
 * too old to judge by, and each worker's progress is measured afresh
 * from now.  A worker that is really stuck is killed watchdog_ms later
 * than it would have been.
 */
static void
check_late(struct nfqd_master *m, uint64_t now, uint64_t interval)
{
	uint64_t	late;
	unsigned	i;

	if (m->watch.last_ns == 0 ||
	    now - m->watch.last_ns <= interval + 1000 * NFQD_MS)
		return;
	late = (now - m->watch.last_ns) / NFQD_MS;
	for (i = 0; i < m->nslots; i++) {
		m->slots[i].progress_ns = now;
		m->slots[i].unread_ns = 0;
	}
	if (m->cf.watchdog_ms > 0)
		log_notice("watchdog: the queues were last looked at %llu ms "
		    "ago (the master did not run: a paused machine or "
		    "process?); workers' progress is measured afresh",
		    (unsigned long long)late);
}

void
nfqd_watchdog_tick(struct nfqd_master *m, uint64_t now)
{
	uint64_t	interval;

	if (m->stopping || now < m->watch.next_ns)
		return;
	/* A quarter of the watchdog's time, at most a second. */
	interval = (m->cf.watchdog_ms > 0 && m->cf.watchdog_ms < 4000 ?
	    m->cf.watchdog_ms / 4 : 1000) * NFQD_MS;
	check_late(m, now, interval);
	check_queues(m, now);
	m->watch.last_ns = now;
	m->watch.next_ns = now + interval;
}

void
nfqd_watchdog_moved(struct nfqd_master *m)
{
	memset(m->watch.seen, 0, sizeof(m->watch.seen));
}

/*
 * Queue q's instance ends: a later bind makes another, counting from 0,
 * whose first reading is added whole.  The master's own unbind is what
 * tells it: the queue is out of the range by then, its slot not looked
 * at (fold_drops()), and the next bind may give the new socket the old
 * one's portid (netlink's autobind tries the process id first).  Every
 * slot counting for q, wherever the range has moved since.
 */
void
nfqd_watchdog_unbound(struct nfqd_master *m, uint16_t q)
{
	unsigned	i;

	for (i = 0; i < NFQD_MAX_WORKERS; i++)
		if (m->watch.kd[i].queue == (uint32_t)q + 1)
			m->watch.kd[i].seen = false;
}
