/*
 * Orphans: releasing what a dead worker had read and not verdicted.
 *
 * A batch verdict releases every waiting id up to its own, so the danger
 * is the successor's first batch verdict covering them with its own
 * verdict.  The successor releases them first, in two phases.  RECORDED:
 * the ids the predecessor recorded reading (after the last it verdicted, up
 * to the last it read), at start.  BOUNDARY: a worker killed inside
 * recvmmsg(), or before it recorded what it read, took ids nobody recorded;
 * every id still waiting below the first one this worker reads is one of
 * them (the kernel hands ids out in the order the socket receives them),
 * so those are released when that first id is known, or, idle, up to the
 * kernel's last id.
 *
 * Each id goes in a verdict of its own with NLM_F_ACK: the kernel answers 0
 * when it was waiting and ENOENT when not, which makes the count exact;
 * then a batch verdict up to the phase's last id (the sweep) makes sure
 * nothing below it is left whatever happened to a send.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/orphans.h"
#include "nfqd/procfs.h"
#include "nfqd/queue.h"

enum { RECORDED, BOUNDARY };

/*
 * Ids released one by one at most, per phase; past it only the sweep.  A
 * dead worker read at most one batch (queue.batch <= 1024) past what it
 * verdicted; more ids in between are ones the kernel could not deliver,
 * and a verdict for an id not waiting walks the whole queue in the kernel.
 */
#define IDS_MAX		1024
/* Room for the kernel's queue counters: a line per bound queue. */
#define PROC_BUF	(NFQD_MAX_WORKERS * 96)

void
nfqd_orphans_init(struct nfqd_orphans *o, uint16_t queue,
    const struct nfqd_prev *prev, enum nfqd_verdict verdict, uint32_t bit,
    struct nfqd_slot_stats *c, const struct nfqd_slot_stats *pend,
    nfqd_orphans_send_fn send, void *arg)
{
	memset(o, 0, sizeof(*o));
	o->queue = queue;
	o->setting = verdict;
	o->verdict = nfqd_verdict_nf(verdict, 0);
	o->bit = bit;
	o->c = c;
	o->send = send;
	o->arg = arg;
	o->read = prev->read_id;
	o->boundary = prev->died;
	o->proc_fd = -1;
	if (!prev->died)
		return;
	/* Its pending counters are ahead: it died sending a batch. */
	if (pend->received != c->received) {
#define X(f)	o->pend.f = pend->f - c->f;
		NFQD_SLOT_COUNTERS(X)
#undef X
		o->pending = true;
	}
	/*
	 * Opened now: the sandbox lets the worker open nothing later.  Without
	 * them, idle orphans wait for the next packet's boundary.
	 */
	if ((o->proc_buf = malloc(PROC_BUF)) == NULL)
		log_warn("idle orphan release: malloc");
	else if ((o->proc_fd = open(NFQD_PROCFS_PATH,
	    O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("idle orphan release: opening %s", NFQD_PROCFS_PATH);
}

/* A verdict for one id, or a batch verdict up to it, acknowledged. */
static size_t
put_release(struct nfqd_orphans *o, char *buf, uint32_t id, uint32_t verdict,
    bool has_mark, uint32_t mark, uint32_t seq, bool batch)
{
	struct nlmsghdr	*nlh;

	nlh = nfq_nlmsg_put(buf, batch ? NFQNL_MSG_VERDICT_BATCH :
	    NFQNL_MSG_VERDICT, o->queue);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfq_nlmsg_verdict_put(nlh, (int)id, (int)verdict);
	if (has_mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/*
 * The packet the predecessor died deciding.  It may be what killed it:
 * repeated, it comes back marked with orphan_mark's bit; if it was marked
 * already, it has killed a worker twice and is dropped.
 */
static size_t
put_suspect(struct nfqd_orphans *o, char *buf, uint32_t id, uint32_t mark,
    unsigned phase)
{
	if (o->verdict != NF_REPEAT)
		return put_release(o, buf, id, o->verdict, false, 0,
		    NFQD_ORPHAN_SEQ | phase, false);
	if (o->bit == 0 || (mark & o->bit)) {
		log_warnx("queue %u: packet %u was being decided when the "
		    "previous worker died%s: dropped", o->queue, id,
		    o->bit == 0 ? " (orphan_mark 0: not retried)" : ", and "
		    "came back marked after the same happened to the worker "
		    "before");
		return put_release(o, buf, id, NF_DROP, false, 0,
		    NFQD_ORPHAN_SEQ | phase, false);
	}
	log_notice("queue %u: packet %u was being decided when the previous "
	    "worker died: repeated with mark bit 0x%x; if it ends a worker "
	    "again it is dropped", o->queue, id, o->bit);
	return put_release(o, buf, id, NF_REPEAT, true, mark | o->bit,
	    NFQD_ORPHAN_SEQ | phase, false);
}

static void
send_releases(struct nfqd_orphans *o, const char *buf, size_t len,
    unsigned n, unsigned phase)
{
	if (o->send(o->arg, buf, len, n) == 0)
		o->asked[phase] += n;
}

/*
 * Release the n ids from first with orphan_verdict, one by one (at most
 * IDS_MAX of them), then sweep up to the last.  suspect: the id the
 * predecessor died deciding, 0 if none.
 */
static void
release(struct nfqd_orphans *o, unsigned phase, uint32_t first, uint32_t n,
    uint32_t suspect, uint32_t suspect_mark)
{
	char		buf[64 * NFQD_VERDICT_MSG_MAX];
	size_t		len = 0;
	uint32_t	i, id;
	unsigned	k = 0;

	o->first[phase] = first;
	o->span[phase] = n;
	for (i = 0; i < n && i < IDS_MAX; i++) {
		id = first + i;
		if (id == suspect && suspect != 0)
			len += put_suspect(o, buf + len, id, suspect_mark,
			    phase);
		else
			len += put_release(o, buf + len, id, o->verdict,
			    false, 0, NFQD_ORPHAN_SEQ | phase, false);
		if (++k == 64) {
			send_releases(o, buf, len, k, phase);
			len = k = 0;
		}
	}
	if (k > 0)
		send_releases(o, buf, len, k, phase);
	len = put_release(o, buf, first + n - 1, o->verdict, false, 0,
	    NFQD_ORPHAN_SWEEP | phase, true);
	o->send(o->arg, buf, len, 1);
	if (n > IDS_MAX)
		log_warnx("queue %u: %u ids to release after the previous "
		    "worker; the first %d one by one, the rest uncounted",
		    o->queue, n, IDS_MAX);
}

void
nfqd_orphans_recorded(struct nfqd_orphans *o, const struct nfqd_prev *prev)
{
	uint32_t	span = prev->read_id - prev->last_id;

	if (prev->died && span != 0 && span < 0x80000000u)
		release(o, RECORDED, prev->last_id + 1, span, prev->suspect,
		    prev->suspect_mark);
	else
		o->pending = false;
}

void
nfqd_orphans_boundary(struct nfqd_orphans *o, uint32_t first)
{
	uint32_t	span = first - 1 - o->read;

	o->boundary = false;
	if (span != 0 && span < 0x80000000u)
		release(o, BOUNDARY, o->read + 1, span, 0, 0);
}

/*
 * An id given out just before the kernel's counters were read may still
 * be on its way to the socket; released with "repeat" it is queued again
 * and decided, so only then is this safe.
 */
void
nfqd_orphans_idle(struct nfqd_orphans *o)
{
	struct nfqd_kqueue	kq;

	if (o->proc_fd == -1 || o->verdict != NF_REPEAT ||
	    nfqd_procfs_fd_lookup(o->proc_fd, o->queue, &kq, o->proc_buf,
	    PROC_BUF) == -1)
		return;
	nfqd_orphans_boundary(o, kq.id_sequence + 1);
}

/* Every per-id release of a phase was answered. */
static void
done(struct nfqd_orphans *o, unsigned phase)
{
	if (o->found[phase] > 0)
		log_notice("queue %u: released %u packets the previous worker "
		    "had read but not verdicted (%s; ids %u to %u)", o->queue,
		    o->found[phase], nfqd_verdict_name(o->setting),
		    o->first[phase], o->first[phase] + o->span[phase] - 1);
	if (phase == BOUNDARY) {
		/*
		 * The other ids below the first this worker read, of those
		 * asked about one by one, were neither recorded nor waiting:
		 * the kernel took them for packets it could not deliver.
		 * (The sweep's beyond IDS_MAX are not known either way.)
		 */
		o->c->skipped += (o->span[phase] < IDS_MAX ? o->span[phase] :
		    IDS_MAX) - o->found[phase];
		return;
	}
	/*
	 * A send to the kernel is processed whole: if none of the batch the
	 * predecessor was sending is still waiting, its verdicts went out, and
	 * its counters with that batch are the right ones.
	 */
	if (o->pending && o->found[phase] == 0) {
#define X(f)	o->c->f += o->pend.f;
		NFQD_SLOT_COUNTERS(X)
#undef X
	}
	o->pending = false;
}

void
nfqd_orphans_answer(struct nfqd_orphans *o, uint32_t seq, int error)
{
	unsigned	phase = seq & 1;

	if ((seq & NFQD_ORPHAN_TAG) == NFQD_ORPHAN_SWEEP) {
		/* ENOENT: the releases one by one left nothing below. */
		if (error == 0)
			log_warnx("queue %u: released packets the previous "
			    "worker left that were not counted (%s)", o->queue,
			    nfqd_verdict_name(o->setting));
		return;
	}
	if (error == 0) {
		o->found[phase]++;
		o->c->orphans++;
	}
	if (o->asked[phase] > 0 && --o->asked[phase] == 0)
		done(o, phase);
}
