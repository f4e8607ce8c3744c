/*
 * A worker: serves one queue from a socket the master bound, on one CPU.
 *
 * The loop waits in epoll on the queue socket, a signalfd (SIGTERM), a 1 s
 * timerfd and, when rules name interfaces, an rtnetlink socket.  When the
 * queue socket is readable it stays with it while traffic flows: it reads
 * up to queue.batch messages per recvmmsg(), decides every packet, sends
 * all verdicts of that read in one send (consecutive equal verdicts as one
 * batch verdict), and then waits for more in recvmmsg() itself (blocking
 * for the first message, MSG_WAITFORONE), which saves an epoll_wait() per
 * wake-up.  Every 10 ms it looks at the other sources without sleeping;
 * after IDLE_MS without a packet it goes back to epoll.  Nothing is held
 * back for later: every packet read has been verdicted before the next
 * read, so SIGTERM only has to stop reading.  Nothing on this path
 * allocates; counters are plain stores into this worker's own slot of the
 * shared region.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cap-ng.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/fault.h"
#include "nfqd/iftab.h"
#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/pkt.h"
#include "nfqd/procfs.h"
#include "nfqd/queue.h"
#include "nfqd/ratelimit.h"
#include "nfqd/rules.h"
#include "nfqd/sandbox.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "nfqd/worker.h"

/*
 * Sequence numbers: verdicts count up below SEQ_PARAMS (30 bits); the
 * orphan releases carry SEQ_ORPHAN and the phase, the sweeps after them
 * SEQ_SWEEP and the phase.
 */
#define SEQ_PARAMS	0x40000000u
#define SEQ_ORPHAN	0x80000000u
#define SEQ_SWEEP	0xc0000000u
#define SEQ_TAG		0xc0000000u
#define SEQ_PHASE(s)	((s) & 1u)
/*
 * Ids released one by one at most, per phase; past it only the sweep.  A
 * dead worker read at most one batch (queue.batch <= 1024) past what it
 * verdicted; more ids in between are ones the kernel could not deliver,
 * and a verdict for an id not waiting walks the whole queue in the kernel.
 */
#define ORPHAN_IDS_MAX	1024
/* Room for the kernel's queue counters: a line per bound queue. */
#define PROC_BUF	(NFQD_MAX_WORKERS * 96)
/* How often overruns and losses are summarised in the log, seconds. */
#define REPORT_INTERVAL	10
/* Without a packet for this long, the worker goes back to epoll. */
#define IDLE_MS		100
/* While traffic flows, signals, timers and links are looked at this often. */
#define POLL_NS		10000000ull

/*
 * Releasing what a dead predecessor read and did not verdict (orphans), in
 * two phases.  RECORDED: the ids it recorded reading (after the last it
 * verdicted, up to the last it read), at start.  BOUNDARY: a worker killed
 * inside recvmmsg(), or before it recorded what it read, took ids nobody
 * recorded; every id still waiting below the first this worker reads is
 * one of them, so those are released when that first id is known.  Each
 * id goes in a verdict of its own with NLM_F_ACK: the kernel answers 0 when
 * it was waiting and ENOENT when not, which makes the count exact; then a
 * batch verdict up to the phase's last id (the sweep) makes sure nothing
 * below it is left for this worker's own batch verdicts to cover.
 */
enum { RECORDED, BOUNDARY };

struct orphans {
	uint32_t	verdict;	/* NF_* for orphans */
	uint32_t	bit;		/* orphan_mark */
	bool		boundary;	/* BOUNDARY still to do */
	uint32_t	read;		/* last id the predecessor recorded */
	uint32_t	asked[2];	/* per-id releases not yet answered */
	uint32_t	found[2];	/* ... answered: it was waiting */
	uint32_t	span[2];	/* ids the phase looked at */
	uint32_t	first[2];
	bool		pending;	/* pend holds a batch in flight: */
	struct nfqd_slot_stats pend;	/* ... the counters with it */
};

struct worker {
	const struct nfqd_config *cf;
	unsigned		  slot;
	uint16_t		  queue;
	int			  fd;
	int			  ep;
	int			  sfd;
	int			  tfd;
	bool			  stop;

	struct nfqd_slot	 *slotp;	/* our slot in the region */
	struct nfqd_slot_stats	 *shared;	/* its counters */
	struct nfqd_slot_stats	  c;		/* local, published per batch */
	struct orphans		  orph;
	int			  proc_fd;	/* the kernel's queue counters */
	char			 *proc_buf;
	bool			  have_last;	/* c.last_id is from this worker */
	uint64_t		  now;		/* CLOCK_MONOTONIC, per batch */

	struct nfqd_engine	  eng;
	struct nfqd_iftab	 *ift;		/* when rules name interfaces */
	int			  ift_fd;
	uint32_t		  malformed_verdict;
	uint64_t		  evict_base;	/* predecessors' evictions */


	unsigned		  batch;
	size_t			  msgsize;
	struct mmsghdr		 *msgs;
	struct iovec		 *iov;
	uint64_t		  next_poll;	/* look at signals etc. */
	char			 *rx;
	char			 *tx;
	struct nfqd_vbuf	  vb;

	struct nfqd_logthrottle	  lt_malformed;
	struct nfqd_logthrottle	  lt_nlerr;
	struct nfqd_logthrottle	  lt_recv;
	uint64_t		  reported_enobufs;
	uint64_t		  reported_skipped;
	uint64_t		  next_report_ns;
};

static void
publish(struct worker *w, uint64_t now)
{
	w->c.heartbeat = now;
	w->c.rate_evictions = w->evict_base + nfqd_ratetab_evictions(w->eng.rt);
	nfqd_slot_stats_publish(w->shared, &w->c);
}

/* The counters with the batch about to be sent (see struct nfqd_slot). */
static void
publish_pending(struct worker *w)
{
	nfqd_slot_stats_publish(&w->slotp->pend, &w->c);
}

static void	worker_exit(struct worker *, int) __attribute__((noreturn));

static void
worker_exit(struct worker *w, int status)
{
	publish(w, nfqd_now_ns());
	_exit(status);
}

/* Send len bytes of messages; 0 or -1 after the failure was handled. */
static int
send_msgs(struct worker *w, const char *buf, size_t len, unsigned nmsgs)
{
	int	tries;

	for (tries = 0; ; tries++) {
		if (nfqd_queue_send(w->fd, buf, len) == 0)
			return 0;
		if ((errno == ENOBUFS || errno == ENOMEM || errno == EAGAIN) &&
		    tries < 3) {
			sched_yield();	/* memory pressure: let others run */
			continue;
		}
		w->c.nlerrors++;
		if (errno == EPERM || errno == EACCES) {
			/* No restart gives the capability back. */
			log_err("sending verdicts on queue %u (is "
			    "CAP_NET_ADMIN kept?)", w->queue);
			worker_exit(w, NFQD_EXIT_FATAL);
		}
		/*
		 * The packets stay queued; the next batch verdict covers
		 * them, and fail_open covers a full queue meanwhile.
		 */
		log_warn("sending %u verdict messages on queue %u", nmsgs,
		    w->queue);
		return -1;
	}
}

#ifdef NFQD_FAULTS
/* Fault point worker-send: half of the messages go out, then it fires. */
static void
send_half(struct worker *w)
{
	const struct nlmsghdr	*nlh = (const struct nlmsghdr *)w->vb.buf;
	size_t			 rem = w->vb.len;
	unsigned		 i;

	for (i = 0; i < w->vb.nmsgs / 2 && nfqd_nlmsg_ok(nlh, rem); i++)
		nlh = nfqd_nlmsg_next(nlh, &rem);
	send_msgs(w, w->vb.buf, w->vb.len - rem, i);
	nfqd_fault_fire(NFQD_FAULT_SEND);
}
#endif

/* Send the verdict messages in the buffer (not the open run). */
static void
send_verdicts(struct worker *w)
{
	if (w->vb.len == 0)
		return;
#ifdef NFQD_FAULTS
	if (nfqd_fault_due(NFQD_FAULT_SEND, 1))
		send_half(w);
#endif
	if (send_msgs(w, w->vb.buf, w->vb.len, w->vb.nmsgs) == 0)
		w->c.verdict_msgs += w->vb.nmsgs;
	nfqd_vbuf_reset(&w->vb);
}

/*
 * Every packet read so far gets its verdict sent.  The counters with them
 * are stored first as pending (see struct nfqd_slot).
 */
static void
flush_verdicts(struct worker *w)
{
	if (nfqd_vbuf_close(&w->vb) == -1) {
		send_verdicts(w);
		nfqd_vbuf_close(&w->vb);	/* fits an empty buffer */
	}
	publish_pending(w);
	send_verdicts(w);
	NFQD_FAULT(NFQD_FAULT_SENT, 1);
}

static void
add_verdict(struct worker *w, uint32_t id, uint32_t verdict, bool has_mark,
    uint32_t mark)
{
	if (verdict == NF_ACCEPT)
		w->c.accepted++;
	else if (verdict == NF_DROP)
		w->c.dropped++;
	else
		w->c.other++;
	if (nfqd_vbuf_add(&w->vb, id, verdict, has_mark, mark) == 0)
		return;
	send_verdicts(w);
	nfqd_vbuf_add(&w->vb, id, verdict, has_mark, mark);	/* fits now */
}

/* A verdict for one id, or a batch verdict up to it, acknowledged. */
static size_t
put_release(struct worker *w, char *buf, uint32_t id, uint32_t verdict,
    bool has_mark, uint32_t mark, uint32_t seq, bool batch)
{
	struct nlmsghdr	*nlh;

	nlh = nfq_nlmsg_put(buf, batch ? NFQNL_MSG_VERDICT_BATCH :
	    NFQNL_MSG_VERDICT, w->queue);
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
put_suspect(struct worker *w, char *buf, uint32_t id, uint32_t mark,
    unsigned phase)
{
	uint32_t	bit = w->orph.bit;

	if (w->orph.verdict != NF_REPEAT)
		return put_release(w, buf, id, w->orph.verdict, false, 0,
		    SEQ_ORPHAN | phase, false);
	if (bit == 0 || (mark & bit)) {
		log_warnx("queue %u: packet %u was being decided when the "
		    "previous worker died%s: dropped", w->queue, id,
		    bit == 0 ? " (orphan_mark 0: not retried)" : ", and came "
		    "back marked after the same happened to the worker before");
		return put_release(w, buf, id, NF_DROP, false, 0,
		    SEQ_ORPHAN | phase, false);
	}
	log_notice("queue %u: packet %u was being decided when the previous "
	    "worker died: repeated with mark bit 0x%x; if it ends a worker "
	    "again it is dropped", w->queue, id, bit);
	return put_release(w, buf, id, NF_REPEAT, true, mark | bit,
	    SEQ_ORPHAN | phase, false);
}

static void
send_releases(struct worker *w, const char *buf, size_t len, unsigned n,
    unsigned phase)
{
	if (send_msgs(w, buf, len, n) == 0)
		w->orph.asked[phase] += n;
}

/*
 * Release the n ids from first with orphan_verdict, one by one (at most
 * ORPHAN_IDS_MAX of them), then sweep up to the last.  suspect: the id the
 * predecessor died deciding, 0 if none.
 */
static void
release(struct worker *w, unsigned phase, uint32_t first, uint32_t n,
    uint32_t suspect, uint32_t suspect_mark)
{
	char		buf[64 * NFQD_VERDICT_MSG_MAX];
	size_t		len = 0;
	uint32_t	i, id;
	unsigned	k = 0;

	w->orph.first[phase] = first;
	w->orph.span[phase] = n;
	for (i = 0; i < n && i < ORPHAN_IDS_MAX; i++) {
		id = first + i;
		if (id == suspect && suspect != 0)
			len += put_suspect(w, buf + len, id, suspect_mark,
			    phase);
		else
			len += put_release(w, buf + len, id, w->orph.verdict,
			    false, 0, SEQ_ORPHAN | phase, false);
		if (++k == 64) {
			send_releases(w, buf, len, k, phase);
			len = k = 0;
		}
	}
	if (k > 0)
		send_releases(w, buf, len, k, phase);
	len = put_release(w, buf, first + n - 1, w->orph.verdict, false, 0,
	    SEQ_SWEEP | phase, true);
	send_msgs(w, buf, len, 1);
	if (n > ORPHAN_IDS_MAX)
		log_warnx("queue %u: %u ids to release after the previous "
		    "worker; the first %d one by one, the rest uncounted",
		    w->queue, n, ORPHAN_IDS_MAX);
}

/* Every per-id release of a phase was answered. */
static void
orphans_done(struct worker *w, unsigned phase)
{
	struct orphans	*o = &w->orph;

	if (o->found[phase] > 0)
		log_notice("queue %u: released %u packets the previous worker "
		    "had read but not verdicted (%s; ids %u to %u)", w->queue,
		    o->found[phase], nfqd_verdict_name(w->cf->orphan_verdict),
		    o->first[phase], o->first[phase] + o->span[phase] - 1);
	if (phase == BOUNDARY) {
		/*
		 * The other ids below the first this worker read were
		 * neither recorded nor waiting: the kernel took them for
		 * packets it could not deliver.
		 */
		w->c.skipped += o->span[phase] - o->found[phase];
		return;
	}
	/*
	 * A send to the kernel is processed whole: if none of the batch the
	 * predecessor was sending is still waiting, its verdicts went out, and
	 * its counters with that batch are the right ones.
	 */
	if (o->pending && o->found[phase] == 0) {
#define X(f)	w->c.f += o->pend.f;
		NFQD_SLOT_COUNTERS(X)
#undef X
	}
	o->pending = false;
}

/* The kernel's answer to a release. */
static void
orphan_answer(struct worker *w, uint32_t seq, int error)
{
	unsigned	phase = SEQ_PHASE(seq);

	if ((seq & SEQ_TAG) == SEQ_SWEEP) {
		/* ENOENT: the releases one by one left nothing below. */
		if (error == 0)
			log_warnx("queue %u: released packets the previous "
			    "worker left that were not counted (%s)", w->queue,
			    nfqd_verdict_name(w->cf->orphan_verdict));
		return;
	}
	if (error == 0) {
		w->orph.found[phase]++;
		w->c.orphans++;
	}
	if (w->orph.asked[phase] > 0 && --w->orph.asked[phase] == 0)
		orphans_done(w, phase);
}

static void
handle_error(struct worker *w, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr	*e;
	uint64_t		 missed;
	bool			 verdict;
	int			 type;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		w->c.malformed++;
		return;
	}
	e = mnl_nlmsg_get_payload(nlh);
	if ((nlh->nlmsg_seq & SEQ_TAG) == SEQ_ORPHAN ||
	    (nlh->nlmsg_seq & SEQ_TAG) == SEQ_SWEEP) {
		orphan_answer(w, nlh->nlmsg_seq, e->error);
		return;
	}
	if (e->error == 0)
		return;		/* an acknowledgement */
	w->c.nlerrors++;
	type = e->msg.nlmsg_type & 0xff;
	if (-e->error == EPERM) {
		/*
		 * The kernel checks CAP_NET_ADMIN on every message and answers
		 * a refusal with an error message, not a failed send.  No
		 * restart gives the capability back.
		 */
		log_errx("queue %u: the kernel refuses our %s: %s (is "
		    "CAP_NET_ADMIN kept?)", w->queue, type == NFQNL_MSG_CONFIG ?
		    "queue parameters" : "verdicts", strerror(EPERM));
		worker_exit(w, NFQD_EXIT_FATAL);
	}
	if (type == NFQNL_MSG_CONFIG) {
		log_errx("queue %u: the kernel refused the queue parameters "
		    "(copy_range %u, maxlen %u, flags): %s", w->queue,
		    w->cf->copy_range, w->cf->maxlen, strerror(-e->error));
		return;
	}
	if (!log_throttle_ok(&w->lt_nlerr, nfqd_now_ns(), &missed))
		return;
	verdict = type == NFQNL_MSG_VERDICT || type == NFQNL_MSG_VERDICT_BATCH;
	if (verdict && -e->error == ENOENT)
		log_warnx("queue %u: verdict for a packet no longer queued "
		    "(its interface went down?); %llu more suppressed",
		    w->queue, (unsigned long long)missed);
	else
		log_warnx("queue %u: the kernel rejected a %s: %s; %llu more "
		    "suppressed", w->queue, verdict ? "verdict" : "message",
		    strerror(-e->error), (unsigned long long)missed);
}

/* A message that is not a readable packet message: counted, logged. */
static void
bad_message(struct worker *w, const char *why)
{
	uint64_t	missed;

	w->c.nlerrors++;
	if (log_throttle_ok(&w->lt_malformed, nfqd_now_ns(), &missed))
		log_warnx("queue %u: ignoring a message: %s (%llu more "
		    "suppressed)", w->queue, why, (unsigned long long)missed);
}

/* Every packet read, in order: gaps, last id. */
static void
note_id(struct worker *w, uint32_t id)
{
	uint32_t	gap;

	w->c.received++;
	/*
	 * Ids are handed out in the order packets are put on the socket, so
	 * a jump means the kernel took ids for packets it could not deliver
	 * (socket buffer full).  Not counted across a respawn.
	 */
	if (w->have_last) {
		gap = id - (uint32_t)w->c.last_id - 1;
		if (gap != 0 && gap < 0x80000000u)
			w->c.skipped += gap;
	}
	w->have_last = true;
	w->c.last_id = id;
}

/*
 * A packet message that cannot be parsed whole (cut short, or a damaged
 * attribute) still gets a verdict if its id can be read: malformed_verdict.
 */
static void
verdict_by_id(struct worker *w, const void *buf, size_t len, const char *why)
{
	uint64_t	missed;
	uint32_t	id;

	if (nfqd_queue_packet_id(buf, len, &id) == -1) {
		bad_message(w, why);
		return;
	}
	note_id(w, id);
	w->c.malformed++;
	add_verdict(w, id, w->malformed_verdict, false, 0);
	if (log_throttle_ok(&w->lt_malformed, nfqd_now_ns(), &missed))
		log_warnx("queue %u: packet %u: %s; verdict %s "
		    "(malformed_verdict; %llu more suppressed)", w->queue, id,
		    why, nfqd_verdict_name(w->cf->malformed_verdict),
		    (unsigned long long)missed);
}

/*
 * The rules' verdict depended on headers the packet did not give whole:
 * it got the verdict of its kind.  Counted by kind, logged now and then.
 */
static void
incomplete(struct worker *w, const struct nfqd_qmsg *pkt,
    const struct nfqd_decision *d)
{
	uint64_t	missed;

	switch (d->status) {
	case NFQD_PKT_TRUNCATED:
		w->c.truncated++;
		break;
	case NFQD_PKT_TINY_FRAGMENT:
		w->c.tiny_fragments++;
		break;
	case NFQD_PKT_HEADER_CHAIN:
		w->c.header_chains++;
		break;
	default:
		w->c.malformed++;
		break;
	}
	if (log_throttle_ok(&w->lt_malformed, w->now, &missed))
		log_info("queue %u: packet %u: %s; the rules' verdict depends "
		    "on what could not be read: verdict %s (%s_verdict; %llu "
		    "more suppressed)", w->queue, pkt->id,
		    nfqd_pkt_reason_str(d->reason),
		    d->verdict == NF_DROP ? "drop" : "accept",
		    nfqd_pkt_status_str(d->status), (unsigned long long)missed);
}

static void
handle_packet(struct worker *w, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg	*nfg = mnl_nlmsg_get_payload(nlh);
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 pkt;
	bool			 marked;

	if (ntohs(nfg->res_id) != w->queue) {
		bad_message(w, "packet for another queue");
		return;
	}
	if (nfqd_queue_parse_packet(nlh, &pkt) == -1) {
		verdict_by_id(w, nlh, nlh->nlmsg_len, "bad packet attributes");
		return;
	}
	note_id(w, pkt.id);
	w->c.bytes += pkt.len;
	/* If this worker dies now, its successor knows which packet it was. */
	NFQD_STORE(&w->shared->deciding, (uint64_t)pkt.id);
	NFQD_STORE(&w->shared->deciding_mark, (uint64_t)pkt.mark);
	NFQD_FAULT(NFQD_FAULT_DECIDE, 1);
#ifdef NFQD_FAULTS
	if (NFQD_FAULT_ARMED(NFQD_FAULT_POISON) && pkt.payload != NULL &&
	    memmem(pkt.payload, pkt.caplen, "NFQD-POISON", 11) != NULL)
		NFQD_FAULT(NFQD_FAULT_POISON, 1);
#endif
	/*
	 * A packet repeated after a worker died deciding it carries
	 * orphan_mark's bit: the rules see its mark without the bit, and the
	 * verdict takes the bit off again.
	 */
	marked = (pkt.mark & w->orph.bit) != 0;
	pkt.mark &= ~w->orph.bit;
	nfqd_engine_decide(&w->eng, &pkt, w->now, &d);
	if (d.rule == NFQD_DECIDED_INCOMPLETE)
		incomplete(w, &pkt, &d);
	else if (d.rule == NFQD_DECIDED_DEFAULT)
		w->c.nomatch++;
	if (marked && !d.has_mark) {
		d.has_mark = true;
		d.mark = pkt.mark;
	}
	add_verdict(w, pkt.id, d.verdict, d.has_mark, d.mark);
}

/*
 * One datagram.  The socket is connected to the kernel (see queue.c), so
 * no other sender can reach it.
 */
static void
handle_datagram(struct worker *w, const char *buf, size_t len,
    const struct msghdr *mh)
{
	const struct nlmsghdr		*nlh = (const struct nlmsghdr *)buf;
	size_t				 rem = len;

	if (mh->msg_flags & MSG_TRUNC) {
		verdict_by_id(w, buf, len, "message larger than the receive "
		    "buffer");
		return;
	}
	for (; nfqd_nlmsg_ok(nlh, rem); nlh = nfqd_nlmsg_next(nlh, &rem)) {
		if (nfqd_queue_is_packet(nlh))
			handle_packet(w, nlh);
		else if (nlh->nlmsg_type == NLMSG_ERROR)
			handle_error(w, nlh);
		else if (nlh->nlmsg_type != NLMSG_NOOP &&
		    nlh->nlmsg_type != NLMSG_DONE)
			bad_message(w, "unexpected message type");
	}
	if (rem > 0)
		bad_message(w, "truncated netlink header");
}

/*
 * Store the id of the last packet of a batch before deciding any of it:
 * if this worker dies before its verdicts are sent, its successor knows
 * exactly which ids it had read.
 */
static void
note_read(struct worker *w, unsigned n)
{
	uint32_t	id;

	/* A message cut short still has its id at the front. */
	while (n-- > 0)
		if (nfqd_queue_packet_id(w->iov[n].iov_base,
		    w->msgs[n].msg_len < w->msgsize ? w->msgs[n].msg_len :
		    w->msgsize, &id) == 0) {
			w->c.read_id = id;
			NFQD_STORE(&w->shared->read_id, (uint64_t)id);
			return;
		}
}

/* The id of the batch's first packet; false if it has none. */
static bool
first_read(struct worker *w, unsigned n, uint32_t *id)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		if (nfqd_queue_packet_id(w->iov[i].iov_base,
		    w->msgs[i].msg_len < w->msgsize ? w->msgs[i].msg_len :
		    w->msgsize, id) == 0)
			return true;
	return false;
}

/*
 * The first packet this worker reads after a predecessor died: every id
 * still waiting below it, past what the predecessor recorded, was read by
 * the predecessor and is released now, before this batch's verdicts (a
 * batch verdict would cover them too).
 */
static void
boundary(struct worker *w, unsigned n)
{
	uint32_t	first, span;

	if (!first_read(w, n, &first))
		return;
	w->orph.boundary = false;
	span = first - 1 - w->orph.read;
	if (span != 0 && span < 0x80000000u)
		release(w, BOUNDARY, w->orph.read + 1, span, 0, 0);
}

/*
 * The predecessor died with ids nobody recorded, and no packet has come
 * since to show where they end: take the end from the kernel (the last id
 * it gave out) and release up to it.  An id given out just before that
 * read may still be on its way to the socket; released with "repeat" it is
 * queued again and decided, so only then is this safe.
 */
static void
idle_boundary(struct worker *w)
{
	struct nfqd_kqueue	kq;
	uint32_t		span;

	if (w->proc_fd == -1 || w->orph.verdict != NF_REPEAT ||
	    nfqd_procfs_fd_lookup(w->proc_fd, w->queue, &kq, w->proc_buf,
	    PROC_BUF) == -1)
		return;
	w->orph.boundary = false;
	span = kq.id_sequence - w->orph.read;
	if (span != 0 && span < 0x80000000u)
		release(w, BOUNDARY, w->orph.read + 1, span, 0, 0);
}

static void	read_signals(struct worker *);
static void	read_links(struct worker *);
static void	report(struct worker *, uint64_t);

/* What the epoll loop would have seen, without sleeping. */
static void
poll_others(struct worker *w, uint64_t now)
{
	w->next_poll = now + POLL_NS;
	read_signals(w);
	if (w->ift_fd != -1)
		read_links(w);
	report(w, now);
}

/*
 * recvmmsg() on the queue socket.  With wait, block until the first
 * message (at most IDLE_MS, the socket's receive timeout), after an
 * optional busy poll of busy_poll_us.
 */
static int
receive(struct worker *w, bool wait)
{
	uint64_t	end;
	int		n;

	if (wait && w->cf->busy_poll_us > 0) {
		end = nfqd_now_ns() + w->cf->busy_poll_us * 1000ull;
		do {
			n = recvmmsg(w->fd, w->msgs, w->batch, MSG_DONTWAIT,
			    NULL);
			if (n != -1 || errno != EAGAIN)
				return n;
		} while (nfqd_now_ns() < end);
	}
	return recvmmsg(w->fd, w->msgs, w->batch,
	    wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
}

/*
 * The queue socket is readable: read, decide and answer batch after batch
 * for as long as packets keep coming; back to epoll after IDLE_MS without
 * one, or to stop.
 */
static void
read_queue(struct worker *w)
{
	uint64_t	missed;
	unsigned	i;
	int		n;
	bool		wait = false;	/* epoll said there is something */

	while (!w->stop) {
		n = receive(w, wait);
		/*
		 * Rules on interfaces must see a link change before the next
		 * packet: then wait in epoll, where the rtnetlink socket can
		 * wake us, not in recvmmsg().
		 */
		wait = w->ift_fd == -1;
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (w->orph.boundary)
					idle_boundary(w);
				return;		/* idle: back to epoll */
			}
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Overrun: counted, reported by the timer. */
				w->c.enobufs++;
				continue;
			}
			w->c.nlerrors++;
			if (log_throttle_ok(&w->lt_recv, nfqd_now_ns(), &missed))
				log_warn("recvmmsg on queue %u", w->queue);
			return;
		}
		w->c.batches++;
		w->now = nfqd_now_ns();
		NFQD_FAULT(NFQD_FAULT_READ, (unsigned)n);
		note_read(w, (unsigned)n);
		NFQD_FAULT(NFQD_FAULT_RECORDED, 1);
		if (w->orph.boundary)
			boundary(w, (unsigned)n);
		if (w->now >= w->next_poll)
			poll_others(w, w->now);
		/* recvmmsg() writes msg_flags of every message it fills. */
		for (i = 0; i < (unsigned)n; i++)
			handle_datagram(w, w->iov[i].iov_base,
			    w->msgs[i].msg_len, &w->msgs[i].msg_hdr);
		flush_verdicts(w);
		publish(w, w->now);
	}
}

/* Once per REPORT_INTERVAL: losses the kernel reported since the last. */
static void
report(struct worker *w, uint64_t now)
{
	uint64_t	d;

	if (now < w->next_report_ns)
		return;
	w->next_report_ns = now + REPORT_INTERVAL * 1000000000ull;
	if ((d = w->c.enobufs - w->reported_enobufs) != 0)
		log_warnx("queue %u: socket receive buffer overran %llu "
		    "times in %d s; raise queue.rcvbuf or add workers", w->queue,
		    (unsigned long long)d, REPORT_INTERVAL);
	if ((d = w->c.skipped - w->reported_skipped) != 0)
		log_warnx("queue %u: the kernel could not deliver %llu "
		    "packets in %d s (socket buffer full); they were %s",
		    w->queue, (unsigned long long)d, REPORT_INTERVAL,
		    w->cf->fail_open ? "accepted uninspected (fail_open)" :
		    "dropped");
	w->reported_enobufs = w->c.enobufs;
	w->reported_skipped = w->c.skipped;
}

static void
read_signals(struct worker *w)
{
	struct signalfd_siginfo	si;
	ssize_t			n;

	for (;;) {
		n = read(w->sfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si)) {
			if (n == -1 && errno == EINTR)
				continue;
			return;
		}
		if (si.ssi_signo == SIGTERM)
			w->stop = true;
	}
}

static void
setup_buffers(struct worker *w, uint32_t msg_copy)
{
	unsigned	i;
	size_t		txcap;

	/*
	 * Messages already on the socket were built for the copy range in
	 * force when they were queued: size for the largest the socket had.
	 */
	w->batch = w->cf->batch;
	w->msgsize = nfqd_queue_msg_size(msg_copy > w->cf->copy_range ?
	    msg_copy : w->cf->copy_range);
	w->msgs = calloc(w->batch, sizeof(*w->msgs));
	w->iov = calloc(w->batch, sizeof(*w->iov));
	w->rx = malloc(w->batch * w->msgsize);
	txcap = (size_t)w->batch * NFQD_VERDICT_MSG_MAX;
	w->tx = malloc(txcap);
	if (w->msgs == NULL || w->iov == NULL || w->rx == NULL ||
	    w->tx == NULL)
		fatal("allocating %u receive buffers of %zu bytes", w->batch,
		    w->msgsize);
	for (i = 0; i < w->batch; i++) {
		w->iov[i].iov_base = w->rx + i * w->msgsize;
		w->iov[i].iov_len = w->msgsize;
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	nfqd_vbuf_init(&w->vb, w->tx, txcap, w->queue);
}

static void
pin_cpu(struct worker *w, int cpu)
{
	cpu_set_t	set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		log_warn("sched_setaffinity(CPU %d) for queue %u; running "
		    "unpinned", cpu, w->queue);
}

/*
 * Keep CAP_NET_ADMIN only: the kernel checks it on every nfnetlink message,
 * verdicts included.  With daemon.user, also become that user.
 */
static void
drop_privileges(struct worker *w)
{
	const struct nfqd_config	*cf = w->cf;
	int				 r;

	if (geteuid() != 0) {
		if (cf->user[0] != '\0')
			log_warnx("not root: daemon.user \"%s\" ignored",
			    cf->user);
		return;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	    CAP_NET_ADMIN) != 0) {
		log_errx("capng_update(CAP_NET_ADMIN) failed");
		worker_exit(w, NFQD_EXIT_FATAL);
	}
	if (cf->user[0] != '\0')
		r = capng_change_id((int)cf->uid, (int)cf->gid,
		    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	else
		r = capng_apply(CAPNG_SELECT_BOTH);
	if (r != 0) {
		log_errx("dropping privileges%s%s failed (libcap-ng error %d)",
		    cf->user[0] != '\0' ? " to user " : "", cf->user, r);
		worker_exit(w, NFQD_EXIT_FATAL);
	}
}

static void
apply_params(struct worker *w)
{
	struct nfqd_queue_params qp;
	char			 buf[NFQD_QUEUE_CFG_MSG_MAX];
	size_t			 len;

	/*
	 * Not acknowledged: the reply would be mixed into the packet
	 * stream.  A refusal arrives as an error message and is logged by
	 * handle_error().
	 */
	nfqd_config_queue_params(w->cf, &qp);
	len = nfqd_queue_build_params(buf, w->queue, &qp, SEQ_PARAMS);
	if (nfqd_queue_send(w->fd, buf, len) == -1)
		log_warn("queue %u: sending queue parameters", w->queue);
}

static void
setup_loop(struct worker *w)
{
	struct epoll_event	ev;
	struct itimerspec	its;
	struct timeval		tv = { 0, IDLE_MS * 1000 };
	sigset_t		set;
	int			fl;
	unsigned		ms;

	/*
	 * recvmmsg() waits for traffic itself (see read_queue), at most
	 * IDLE_MS; reads that must not wait say MSG_DONTWAIT.  The master
	 * only sends on this socket from now on.
	 */
	if ((fl = fcntl(w->fd, F_GETFL)) == -1 ||
	    fcntl(w->fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		fatal("fcntl(queue socket)");
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		fatal("setsockopt(SO_RCVTIMEO)");

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if ((w->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	if ((w->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		fatal("timerfd_create");
	/*
	 * The heartbeat: every second, or twice per watchdog_ms, so that an
	 * idle worker never looks stuck to the master's watchdog.
	 */
	memset(&its, 0, sizeof(its));
	ms = w->cf->watchdog_ms > 0 && w->cf->watchdog_ms < 2000 ?
	    w->cf->watchdog_ms / 2 : 1000;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	its.it_interval = its.it_value;
	if (timerfd_settime(w->tfd, 0, &its, NULL) == -1)
		fatal("timerfd_settime");
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = w->fd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->fd, &ev) == -1)
		fatal("epoll_ctl(queue socket)");
	ev.data.fd = w->sfd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sfd, &ev) == -1)
		fatal("epoll_ctl(signalfd)");
	ev.data.fd = w->tfd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev) == -1)
		fatal("epoll_ctl(timerfd)");
	if (w->ift_fd != -1) {
		ev.data.fd = w->ift_fd;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->ift_fd, &ev) == -1)
			fatal("epoll_ctl(rtnetlink)");
	}
}

/* The rule engine, and the interface names its rules need. */
static void
setup_engine(struct worker *w, const struct nfqd_worker_args *a)
{
	const struct nfqd_ruleset	*rs = w->cf->rules;

	w->ift_fd = -1;
	if (rs != NULL && (rs->all_matchers & (NFQD_M_IN | NFQD_M_OUT))) {
		if ((w->ift = nfqd_iftab_new()) == NULL)
			fatal("allocating the interface table");
		if ((w->ift_fd = nfqd_iftab_open(w->ift)) == -1)
			log_warn("queue %u: reading interfaces (rtnetlink); "
			    "in_iface/out_iface rules will not match", w->queue);
	}
	if (nfqd_engine_init(&w->eng, w->cf, rs, a->rule_ctr, a->rate_cells,
	    w->ift, w->queue) == -1)
		fatal("allocating the rule engine");
	w->malformed_verdict = nfqd_verdict_nf(w->cf->malformed_verdict, 0);
}

static void
read_links(struct worker *w)
{
	uint64_t	missed;

	if (nfqd_iftab_read(w->ift, w->ift_fd) == -1 &&
	    log_throttle_ok(&w->lt_recv, nfqd_now_ns(), &missed))
		log_warn("queue %u: reading interface changes", w->queue);
}

/*
 * What a dead predecessor left: where its reads end, and whether it died
 * sending a batch (its pending counters are ahead of the published ones).
 * From now on the pending counters are this worker's.
 */
static void
setup_orphans(struct worker *w, const struct nfqd_worker_args *a)
{
	struct nfqd_slot_stats	pend;

	w->orph.verdict = nfqd_verdict_nf(w->cf->orphan_verdict, 0);
	w->orph.bit = w->cf->orphan_mark;
	w->orph.read = a->read_id;
	w->orph.boundary = a->has_prev;
	/* Opened now: the sandbox lets the worker open nothing later. */
	w->proc_fd = -1;
	if (a->has_prev && (w->proc_buf = malloc(PROC_BUF)) != NULL &&
	    (w->proc_fd = open(NFQD_PROCFS_PATH, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("opening %s", NFQD_PROCFS_PATH);
	nfqd_slot_stats_read(&w->slotp->pend, &pend);
	if (a->has_prev && pend.received != w->c.received) {
#define X(f)	w->orph.pend.f = pend.f - w->c.f;
		NFQD_SLOT_COUNTERS(X)
#undef X
		w->orph.pending = true;
	}
	publish_pending(w);
}

void
nfqd_worker_main(const struct nfqd_worker_args *a)
{
	struct worker		w;
	struct epoll_event	evs[4];
	uint64_t		ticks, now;
	char			name[16];
	int			i, n;
	bool			q;

	memset(&w, 0, sizeof(w));
	w.cf = a->cf;
	w.slot = a->slot;
	w.queue = a->queue;
	w.fd = a->fd;
	w.slotp = a->shm_slot;
	w.shared = &a->shm_slot->st;
	w.lt_malformed = (struct nfqd_logthrottle)NFQD_LOGTHROTTLE_INIT(10);
	w.lt_nlerr = (struct nfqd_logthrottle)NFQD_LOGTHROTTLE_INIT(10);
	w.lt_recv = (struct nfqd_logthrottle)NFQD_LOGTHROTTLE_INIT(10);
	/* Counters are cumulative over the workers of a slot. */
	nfqd_slot_stats_read(w.shared, &w.c);
	w.evict_base = w.c.rate_evictions;
	w.reported_enobufs = w.c.enobufs;
	w.reported_skipped = w.c.skipped;
	w.next_report_ns = nfqd_now_ns() + REPORT_INTERVAL * 1000000000ull;

	log_set_role("worker %u/q%u", w.slot, w.queue);
	nfqd_fault_arm((int)NFQD_LOAD(&a->shm_slot->ctl.restarts));
	setup_orphans(&w, a);
	snprintf(name, sizeof(name), "nfqd-w%u", w.slot);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	/* Exit when the master dies, so no queue stays half-served. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->master)
		_exit(0);
	signal(SIGINT, SIG_IGN);	/* the master decides when to stop */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	pin_cpu(&w, a->cpu);
	setup_buffers(&w, a->msg_copy);
	setup_engine(&w, a);
	setup_loop(&w);
	apply_params(&w);
	drop_privileges(&w);
	/*
	 * The kernel clears the parent-death signal when the process changes
	 * its uid or gid: set it again, and look once more whether the master
	 * died meanwhile.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->master)
		worker_exit(&w, 0);
	/* No exec could give privileges back; then the system call filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_NO_NEW_PRIVS)");
	if (w.cf->sandbox && nfqd_sandbox_worker() == -1) {
		log_err("installing the seccomp filter (daemon.sandbox = false "
		    "runs workers without it)");
		worker_exit(&w, NFQD_EXIT_FATAL);
	}
	if (a->has_prev && a->read_id - a->prev_id != 0 &&
	    a->read_id - a->prev_id < 0x80000000u)
		release(&w, RECORDED, a->prev_id + 1, a->read_id - a->prev_id,
		    a->suspect, a->suspect_mark);
	else
		w.orph.pending = false;
	publish(&w, nfqd_now_ns());	/* the heartbeat starts now */
	log_debug("serving queue %u on CPU %d, batch %u, %zu-byte buffers",
	    w.queue, a->cpu, w.batch, w.msgsize);

	while (!w.stop) {
		n = epoll_wait(w.ep, evs, (int)NFQD_ARRAY_SIZE(evs), -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait");
			worker_exit(&w, 1);
		}
		/* The queue last: link changes and signals come first. */
		for (i = 0, q = false; i < n; i++) {
			if (evs[i].data.fd == w.fd) {
				q = true;
			} else if (evs[i].data.fd == w.sfd) {
				read_signals(&w);
			} else if (evs[i].data.fd == w.ift_fd) {
				read_links(&w);
			} else if (evs[i].data.fd == w.tfd) {
				if (read(w.tfd, &ticks, sizeof(ticks)) == -1 &&
				    errno != EAGAIN)
					log_warn("read(timerfd)");
				now = nfqd_now_ns();
				report(&w, now);
				publish(&w, now);
				/* Nothing may come to mark the boundary. */
				if (w.orph.boundary)
					q = true;
			}
		}
		if (q && !w.stop)
			read_queue(&w);
	}
	log_debug("stopping: every packet read has its verdict");
	worker_exit(&w, 0);
}
