/*
 * A worker's packet path: read a batch from the queue socket, decide every
 * packet, send all verdicts of the batch in one send, publish the counters.
 *
 * When the queue socket is readable the worker stays with it while traffic
 * flows: it reads up to queue.batch messages per recvmmsg(), decides every
 * packet, sends all verdicts of that read in one send (consecutive equal
 * verdicts as one batch verdict), and then waits for more in recvmmsg()
 * itself (blocking for the first message, MSG_WAITFORONE), which saves an
 * epoll_wait() per wake-up.  Every 10 ms it looks at its other sources
 * without sleeping; after NFQD_IDLE_MS without a packet it goes back to
 * epoll.  Nothing is held back for later: every packet read has been
 * verdicted before the next read, so SIGTERM only has to stop reading.
 * Nothing on this path allocates; counters are plain stores into this
 * worker's own slot of the shared region.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/fault.h"
#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/orphans.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/ratelimit.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "nfqd/worker.h"

/*
 * The application layer's own counters, on top of what the worker's
 * predecessors counted (l7base: the counters it started with).  Flows
 * in the table are this worker's alone.
 */
static void
l7_counts(struct nfqd_worker *w)
{
	struct nfqd_l7_counts	 k;
	const struct nfqd_slot_stats *b = &w->l7base;

	nfqd_l7_counts(&w->eng.l7, &k);
	w->c.flows_active = k.flows_active;
	w->c.flows_created = b->flows_created + k.flows_created;
	w->c.flows_evicted = b->flows_evicted + k.flows_evicted;
	w->c.flows_timed_out = b->flows_timed_out + k.flows_timed_out;
	w->c.flows_full = b->flows_full + k.flows_full;
	w->c.reasm_full = b->reasm_full + k.reasm_full;
	w->c.l7_conflicts = b->l7_conflicts + k.conflicts;
	w->c.l7_malformed = b->l7_malformed + k.l7_errors;
	w->c.l7_bad_csum = b->l7_bad_csum + k.bad_csum;
	w->c.l7_tls = b->l7_tls + k.names[NFQD_L7P_TLS];
	w->c.l7_http = b->l7_http + k.names[NFQD_L7P_HTTP];
	w->c.l7_dns = b->l7_dns + k.names[NFQD_L7P_DNS];
	w->c.l7_other = b->l7_other + k.names[NFQD_L7P_NONE];
	w->c.l7_quic = b->l7_quic + k.names[NFQD_L7P_QUIC];
	w->c.l7_quic_refused = b->l7_quic_refused + k.quic_refused;
	w->c.quic_claims = b->quic_claims + k.quic_claims;
	w->c.quic_claims_held = b->quic_claims_held + k.quic_claims_held;
	w->c.quic_claims_full = b->quic_claims_full + k.quic_claims_full;
	w->c.l7_mptcp = b->l7_mptcp + k.mptcp;
}

/* The capture file's counters, on top of the predecessors'. */
static void
pcap_counts(struct nfqd_worker *w)
{
	const struct nfqd_slot_stats	*b = &w->l7base;
	struct nfqd_pcap_counts		 k;

	nfqd_pcapw_counts(&w->pcap, &k);
	w->c.pcap_packets = b->pcap_packets + k.packets;
	w->c.pcap_bytes = b->pcap_bytes + k.bytes;
	w->c.pcap_errors = b->pcap_errors + k.errors;
	w->c.pcap_behind = b->pcap_behind + k.behind;
	w->c.pcap_rotations = b->pcap_rotations + k.rotations;
}

/* dns_learn's counters, on top of the predecessors'. */
static void
dnsl_counts(struct nfqd_worker *w)
{
	const struct nfqd_dnsl_counts	*k = &w->eng.dnsl.c;
	const struct nfqd_slot_stats	*b = &w->l7base;

	w->c.dns_learned = b->dns_learned + k->learned;
	w->c.dns_hits = b->dns_hits + k->hits;
	w->c.dns_evictions = b->dns_evictions + k->evictions;
	w->c.dns_expiries = b->dns_expiries + k->expiries;
	w->c.dns_refused = b->dns_refused + k->refused;
	w->c.dns_busy = b->dns_busy + k->busy;
	w->c.dns_refreshed = b->dns_refreshed + k->refreshed;
}

void
nfqd_batch_publish(struct nfqd_worker *w, uint64_t now)
{
	w->c.heartbeat = now;
	w->c.rate_evictions = w->evict_base + nfqd_ratetab_evictions(w->eng.rt);
	if (w->eng.l7.any)
		l7_counts(w);
	pcap_counts(w);
	dnsl_counts(w);
	nfqd_slot_stats_publish(w->shared, &w->c);
}

/* The counters with the batch about to be sent (see struct nfqd_slot). */
void
nfqd_batch_publish_pending(struct nfqd_worker *w)
{
	nfqd_slot_stats_publish(&w->slotp->pend, &w->c);
}

/* Send len bytes of messages; 0 or -1 after the failure was handled. */
static int
send_msgs(struct nfqd_worker *w, const char *buf, size_t len, unsigned nmsgs)
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
			nfqd_worker_exit(w, NFQD_EXIT_FATAL);
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

/* orphans.c sends its releases through here. */
int
nfqd_batch_send(void *arg, const char *buf, size_t len, unsigned n)
{
	return send_msgs(arg, buf, len, n);
}

#ifdef NFQD_FAULTS
/* Fault point worker-send: half of the messages go out, then it fires. */
static void
send_half(struct nfqd_worker *w)
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
send_verdicts(struct nfqd_worker *w)
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
flush_verdicts(struct nfqd_worker *w)
{
	if (nfqd_vbuf_close(&w->vb) == -1) {
		send_verdicts(w);
		nfqd_vbuf_close(&w->vb);	/* fits an empty buffer */
	}
	nfqd_batch_publish_pending(w);
	send_verdicts(w);
	NFQD_FAULT(NFQD_FAULT_SENT, 1);
}

static inline void
count_verdict(struct nfqd_worker *w, uint32_t verdict)
{
	if (verdict == NF_ACCEPT)
		w->c.accepted++;
	else if (verdict == NF_DROP)
		w->c.dropped++;
	else
		w->c.other++;
}

static void
add_verdict(struct nfqd_worker *w, uint32_t id, uint32_t verdict, bool has_mark,
    uint32_t mark)
{
	count_verdict(w, verdict);
	if (nfqd_vbuf_add(&w->vb, id, verdict, has_mark, mark) == 0)
		return;
	send_verdicts(w);
	nfqd_vbuf_add(&w->vb, id, verdict, has_mark, mark);	/* fits now */
}

/* A flow decided now: its mark goes to its connection too (flows.connmark). */
static void
add_ct_verdict(struct nfqd_worker *w, uint32_t id,
    const struct nfqd_decision *d)
{
	count_verdict(w, d->verdict);
	if (nfqd_vbuf_add_ct(&w->vb, id, d->verdict, d->has_mark, d->mark,
	    d->ctmark) == 0)
		return;
	send_verdicts(w);
	nfqd_vbuf_add_ct(&w->vb, id, d->verdict, d->has_mark, d->mark,
	    d->ctmark);					/* fits now */
}

static void
handle_error(struct nfqd_worker *w, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr	*e;
	uint64_t		 missed;
	bool			 verdict;
	int			 type;

	if (nlh->nlmsg_len < NFQD_NLMSG_SIZE(sizeof(*e))) {
		w->c.malformed++;
		return;
	}
	e = nfqd_nlmsg_payload(nlh);
	if ((nlh->nlmsg_seq & NFQD_ORPHAN_TAG) == NFQD_ORPHAN_SEQ ||
	    (nlh->nlmsg_seq & NFQD_ORPHAN_TAG) == NFQD_ORPHAN_SWEEP) {
		nfqd_orphans_answer(&w->orph, nlh->nlmsg_seq, e->error);
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
		nfqd_worker_exit(w, NFQD_EXIT_FATAL);
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
bad_message(struct nfqd_worker *w, const char *why)
{
	uint64_t	missed;

	w->c.nlerrors++;
	if (log_throttle_ok(&w->lt_malformed, nfqd_now_ns(), &missed))
		log_warnx("queue %u: ignoring a message: %s (%llu more "
		    "suppressed)", w->queue, why, (unsigned long long)missed);
}

/* Every packet read, in order: gaps, last id. */
static void
note_id(struct nfqd_worker *w, uint32_t id)
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
verdict_by_id(struct nfqd_worker *w, const void *buf, size_t len,
    const char *why)
{
	uint64_t	missed;
	uint32_t	id;

	if (nfqd_queue_packet_id(buf, len, &id) == -1) {
		bad_message(w, why);
		return;
	}
	note_id(w, id);
	w->c.malformed++;
	add_verdict(w, id, w->eng.incomplete_verdict[NFQD_PKT_MALFORMED],
	    false, 0);
	if (log_throttle_ok(&w->lt_malformed, nfqd_now_ns(), &missed))
		log_warnx("queue %u: packet %u: %s; verdict %s "
		    "(malformed_verdict; %llu more suppressed)", w->queue, id,
		    why, nfqd_verdict_name(w->cf->malformed_verdict),
		    (unsigned long long)missed);
}

/* The setting that gave a packet of this status its verdict. */
static const char *
verdict_setting(unsigned status)
{
	switch (status) {
	case NFQD_PKT_L7_ERROR:
		return "l7_error_verdict";
	case NFQD_PKT_L7_UNTRACKED:
		return "flows.full_verdict";
	case NFQD_PKT_TRUNCATED:
		return "truncated_verdict";
	case NFQD_PKT_TINY_FRAGMENT:
		return "tiny_fragment_verdict";
	case NFQD_PKT_HEADER_CHAIN:
		return "header_chain_verdict";
	}
	return "malformed_verdict";
}

/*
 * The rules' verdict depended on headers the packet did not give whole:
 * it got the verdict of its kind.  Counted by kind, logged now and then.
 */
static void
incomplete(struct nfqd_worker *w, const struct nfqd_qmsg *qm,
    const struct nfqd_decision *d)
{
	const char	*why;
	uint64_t	 missed;

	switch (d->status) {
	case NFQD_PKT_L7_PENDING:
		/* The usual state of a flow's first packets: no log. */
		w->c.l7_pending++;
		return;
	case NFQD_PKT_L7_ERROR:
		w->c.l7_errors++;
		break;
	case NFQD_PKT_L7_UNTRACKED:
		w->c.flows_untracked++;
		break;
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
	if (!log_throttle_ok(&w->lt_malformed, nfqd_now_ns(), &missed))
		return;
	if (d->status == NFQD_PKT_L7_ERROR && d->reason != NFQD_PKT_R_NONE)
		why = nfqd_pkt_reason_str(d->reason);
	else if (d->status == NFQD_PKT_L7_ERROR)
		why = "a malformed or evasive first message (docs/l7.md)";
	else if (d->status == NFQD_PKT_L7_UNTRACKED)
		why = "no room to follow its flow (docs/l7.md)";
	else
		why = nfqd_pkt_reason_str(d->reason);
	log_info("queue %u: packet %u: %s; the rules' verdict depends on what "
	    "could not be read: verdict %s (%s; %llu more suppressed)",
	    w->queue, qm->id, why, d->verdict == NF_DROP ? "drop" : "accept",
	    verdict_setting(d->status), (unsigned long long)missed);
}

/*
 * pre: the message's parse from prepare() (NULL: none), hint: its hint
 * (NULL: none).
 */
static void
handle_packet(struct nfqd_worker *w, const struct nlmsghdr *nlh,
    const struct nfqd_qmsg *pre, const struct nfqd_flow_hint *hint)
{
	const struct nfgenmsg	*nfg = nfqd_nlmsg_payload(nlh);
	struct nfqd_decision	 d;
	struct nfqd_qmsg	 qm;
	bool			 marked;

	if (nlh->nlmsg_len < NFQD_NLMSG_SIZE(sizeof(*nfg))) {
		bad_message(w, "packet message too short");
		return;
	}
	if (ntohs(nfg->res_id) != w->queue) {
		bad_message(w, "packet for another queue");
		return;
	}
	if (pre != NULL)
		qm = *pre;
	else if (nfqd_queue_parse_packet(nlh, &qm) == -1) {
		verdict_by_id(w, nlh, nlh->nlmsg_len, "bad packet attributes");
		return;
	}
	note_id(w, qm.id);
	w->c.bytes += qm.len;
	/* If this worker dies now, its successor knows which packet it was. */
	NFQD_STORE(&w->shared->deciding, (uint64_t)qm.id);
	NFQD_STORE(&w->shared->deciding_mark, (uint64_t)qm.mark);
	NFQD_FAULT(NFQD_FAULT_DECIDE, 1);
#ifdef NFQD_FAULTS
	if (NFQD_FAULT_ARMED(NFQD_FAULT_POISON) && qm.payload != NULL &&
	    memmem(qm.payload, qm.caplen, "NFQD-POISON", 11) != NULL)
		NFQD_FAULT(NFQD_FAULT_POISON, 1);
#endif
	/*
	 * A packet repeated after a worker died deciding it carries
	 * orphan_mark's bit: the rules see its mark without the bit, and the
	 * verdict takes the bit off again.
	 */
	marked = (qm.mark & w->orph.bit) != 0;
	qm.mark &= ~w->orph.bit;
	nfqd_engine_decide_hinted(&w->eng, &qm, hint, w->now, &d);
	if (d.rule == NFQD_DECIDED_INCOMPLETE)
		incomplete(w, &qm, &d);
	else if (d.rule == NFQD_DECIDED_DEFAULT)
		w->c.nomatch++;
	if (marked && !d.has_mark) {
		d.has_mark = true;
		d.mark = qm.mark;
	}
	/*
	 * A rule with log = "pcap" counted it: the bytes as queued, at the
	 * kernel's time stamp if it sent one, else at this batch's.  So that
	 * the file holds every packet the rule counts, one without bytes
	 * (copy_range 0) is a record without bytes.
	 */
	if (d.capture) {
		static const uint8_t	none[1];	/* copy_range 0 */
		const uint8_t		*p = qm.payload != NULL ? qm.payload :
		    none;

		if (qm.has_ts)
			nfqd_pcapw_write(&w->pcap, p, qm.caplen, qm.len,
			    qm.ts_sec, qm.ts_usec);
		else
			nfqd_pcapw_write(&w->pcap, p, qm.caplen, qm.len,
			    (uint64_t)w->wall.tv_sec,
			    (uint32_t)(w->wall.tv_nsec / 1000));
	}
	/* Never with flows.connmark "off": the engine leaves ctmark 0. */
	if (d.ctmark != 0)
		add_ct_verdict(w, qm.id, &d);
	else
		add_verdict(w, qm.id, d.verdict, d.has_mark, d.mark);
}

/*
 * One datagram.  The socket is connected to the kernel (see queue.c), so
 * no other sender can reach it.
 */
static void
handle_datagram(struct nfqd_worker *w, unsigned i, bool pre)
{
	const char			*buf = w->iov[i].iov_base;
	size_t				 len = w->msgs[i].msg_len, rem = len;
	const struct nlmsghdr		*nlh = (const struct nlmsghdr *)buf;

	if (w->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
		verdict_by_id(w, buf, len, "message larger than the receive "
		    "buffer");
		return;
	}
	for (; nfqd_nlmsg_ok(nlh, rem); nlh = nfqd_nlmsg_next(nlh, &rem)) {
		if (nfqd_queue_is_packet(nlh)) {
			if (pre && w->pre_nlh[i] == nlh)
				handle_packet(w, nlh, w->pre_qmp[i],
				    w->pre_hintp[i]);
			else
				handle_packet(w, nlh, NULL, NULL);
		} else if (nlh->nlmsg_type == NLMSG_ERROR)
			handle_error(w, nlh);
		else if (nlh->nlmsg_type != NLMSG_NOOP &&
		    nlh->nlmsg_type != NLMSG_DONE)
			bad_message(w, "unexpected message type");
	}
	if (rem > 0)
		bad_message(w, "truncated netlink header");
}

/*
 * Where rules read layer 7: parse the first packet message of each of
 * the batch's n datagrams ahead, and let the engine start fetching what
 * their flows need (nfqd_engine_prefetch): a worker that wakes up for a
 * few packets finds the flow table out of its caches, and each packet's
 * look-up would otherwise wait for its misses one after the other.  A
 * message that handle_packet() would refuse is left to it.
 */
static void
prepare(struct nfqd_worker *w, unsigned n)
{
	const struct nlmsghdr	*nlh;
	const struct nfgenmsg	*nfg;
	unsigned		 i;

	for (i = 0; i < n; i++) {
		w->pre_nlh[i] = NULL;
		w->pre_qmp[i] = NULL;
		nlh = (const struct nlmsghdr *)w->iov[i].iov_base;
		if ((w->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    !nfqd_nlmsg_ok(nlh, w->msgs[i].msg_len) ||
		    !nfqd_queue_is_packet(nlh) ||
		    nlh->nlmsg_len < NFQD_NLMSG_SIZE(sizeof(*nfg)))
			continue;
		nfg = nfqd_nlmsg_payload(nlh);
		if (ntohs(nfg->res_id) != w->queue ||
		    nfqd_queue_parse_packet(nlh, &w->pre_qm[i]) == -1)
			continue;
		w->pre_nlh[i] = nlh;
		w->pre_qmp[i] = &w->pre_qm[i];
	}
	nfqd_engine_prefetch(&w->eng, w->pre_qmp, w->pre_hint, w->pre_hintp,
	    n);
}

/*
 * Store the id of the last packet of a batch before deciding any of it:
 * if this worker dies before its verdicts are sent, its successor knows
 * exactly which ids it had read.
 */
static void
note_read(struct nfqd_worker *w, unsigned n)
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
first_read(struct nfqd_worker *w, unsigned n, uint32_t *id)
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
 * recvmmsg() on the queue socket.  With wait, block until the first
 * message (at most NFQD_IDLE_MS, the socket's receive timeout), after an
 * optional busy poll of busy_poll_us.
 */
static int
receive(struct nfqd_worker *w, bool wait)
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
 * for as long as packets keep coming; back to epoll after NFQD_IDLE_MS without
 * one, or to stop.
 */
void
nfqd_batch_read(struct nfqd_worker *w)
{
	uint64_t	missed;
	uint32_t	first;
	unsigned	i;
	int		n;
	bool		wait = false;	/* epoll said there is something */
	bool		pre;

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
					nfqd_orphans_idle(&w->orph);
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
		if (w->clock_first) {
			w->now = nfqd_now_ns();
			if (w->pcap.on && clock_gettime(CLOCK_REALTIME,
			    &w->wall) == -1)
				w->wall.tv_sec = w->wall.tv_nsec = 0;
		}
		NFQD_FAULT(NFQD_FAULT_READ, (unsigned)n);
		note_read(w, (unsigned)n);
		NFQD_FAULT(NFQD_FAULT_RECORDED, 1);
		/*
		 * After a predecessor died, every id still waiting below the
		 * first one read is its, released before this batch's
		 * verdicts (which would cover them).
		 */
		if (w->orph.boundary && first_read(w, (unsigned)n, &first))
			nfqd_orphans_boundary(&w->orph, first);
		/* recvmmsg() writes msg_flags of every message it fills. */
		pre = w->eng.headers && w->eng.l7.any;
		if (pre)
			prepare(w, (unsigned)n);
		for (i = 0; i < (unsigned)n; i++)
			handle_datagram(w, i, pre);
		flush_verdicts(w);
		/*
		 * The rest waits for nothing a verdict needs: the packets are
		 * on their way before the clock is read (where the decisions
		 * did not need it) and before the 10 ms look at signals, links
		 * and reports.
		 */
		if (!w->clock_first)
			w->now = nfqd_now_ns();
		if (w->now >= w->next_poll)
			nfqd_worker_poll(w, w->now);
		nfqd_batch_publish(w, w->now);
	}
}
