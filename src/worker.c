/*
 * A worker: serves one queue from a socket the master bound, on one CPU.
 *
 * The loop waits in epoll on the queue socket, a signalfd (SIGTERM) and a
 * 1 s timerfd.  When the socket is readable it reads up to queue.batch
 * messages per recvmmsg(), decides every packet, and sends all verdicts of
 * that read in one send (consecutive equal verdicts as one batch verdict).
 * Nothing is held back for later: when the loop returns to epoll every
 * packet read has been verdicted, so SIGTERM only has to stop reading.
 * Nothing on this path allocates; counters are plain stores into this
 * worker's own slot of the shared region.
 */
#include <arpa/inet.h>
#include <errno.h>
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

#include "nfqd/config.h"
#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/queue.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "nfqd/worker.h"

/* Sequence number of the parameters message a worker sends at start. */
#define SEQ_PARAMS	0xfffffff0u
/* How often overruns and losses are summarised in the log, seconds. */
#define REPORT_INTERVAL	10
/* recvmmsg() rounds per wake-up before looking at signals and timers. */
#define READ_ROUNDS	16

struct worker {
	const struct nfqd_config *cf;
	unsigned		  slot;
	uint16_t		  queue;
	int			  fd;
	int			  ep;
	int			  sfd;
	int			  tfd;
	bool			  stop;

	struct nfqd_slot_stats	 *shared;	/* our slot in the region */
	struct nfqd_slot_stats	  c;		/* local, published per batch */
	bool			  have_last;	/* c.last_id is from this worker */
	uint32_t		  verdict;	/* NF_ACCEPT or NF_DROP */

	unsigned		  batch;
	size_t			  msgsize;
	struct mmsghdr		 *msgs;
	struct iovec		 *iov;
	struct sockaddr_nl	 *from;
	char			 *rx;
	char			 *tx;
	struct nfqd_vbuf	  vb;

	struct nfqd_ratelimit	  rl_malformed;
	struct nfqd_ratelimit	  rl_nlerr;
	struct nfqd_ratelimit	  rl_recv;
	uint64_t		  reported_enobufs;
	uint64_t		  reported_skipped;
	uint64_t		  next_report_ns;
};

static void
publish(struct worker *w, uint64_t now)
{
	w->c.heartbeat = now;
	nfqd_slot_stats_publish(w->shared, &w->c);
}

static void	worker_exit(struct worker *, int) __attribute__((noreturn));

static void
worker_exit(struct worker *w, int status)
{
	publish(w, nfqd_now_ns());
	_exit(status);
}

/* Send the verdict messages in the buffer (not the open run). */
static void
send_verdicts(struct worker *w)
{
	int	tries;

	if (w->vb.len == 0)
		return;
	for (tries = 0; ; tries++) {
		if (nfqd_queue_send(w->fd, w->vb.buf, w->vb.len) == 0) {
			w->c.verdict_msgs += w->vb.nmsgs;
			break;
		}
		if ((errno == ENOBUFS || errno == ENOMEM || errno == EAGAIN) &&
		    tries < 3)
			continue;
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
		log_warn("sending %u verdict messages on queue %u",
		    w->vb.nmsgs, w->queue);
		break;
	}
	nfqd_vbuf_reset(&w->vb);
}

/* Every packet read so far gets its verdict sent. */
static void
flush_verdicts(struct worker *w)
{
	if (nfqd_vbuf_close(&w->vb) == -1) {
		send_verdicts(w);
		nfqd_vbuf_close(&w->vb);	/* fits an empty buffer */
	}
	send_verdicts(w);
}

static void
add_verdict(struct worker *w, uint32_t id, uint32_t verdict)
{
	if (nfqd_vbuf_add(&w->vb, id, verdict, false, 0) == 0)
		return;
	send_verdicts(w);
	nfqd_vbuf_add(&w->vb, id, verdict, false, 0);	/* fits now */
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
	if (e->error == 0)
		return;		/* an acknowledgement */
	w->c.nlerrors++;
	type = e->msg.nlmsg_type & 0xff;
	if (type == NFQNL_MSG_CONFIG) {
		log_errx("queue %u: the kernel refused the queue parameters "
		    "(copy_range %u, maxlen %u, flags): %s", w->queue,
		    w->cf->copy_range, w->cf->maxlen, strerror(-e->error));
		return;
	}
	if (!ratelimit_ok(&w->rl_nlerr, nfqd_now_ns(), &missed))
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

static void
malformed(struct worker *w, const char *why)
{
	uint64_t	missed;

	w->c.malformed++;
	if (ratelimit_ok(&w->rl_malformed, nfqd_now_ns(), &missed))
		log_warnx("queue %u: ignoring malformed message: %s (%llu "
		    "more suppressed)", w->queue, why,
		    (unsigned long long)missed);
}

static void
handle_packet(struct worker *w, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg	*nfg = mnl_nlmsg_get_payload(nlh);
	struct nfqd_pkt		 pkt;
	uint32_t		 gap;

	if (nfqd_queue_parse_packet(nlh, &pkt) == -1) {
		/*
		 * Without a readable id the packet cannot be verdicted on
		 * its own; the next batch verdict on this queue covers it.
		 */
		malformed(w, "bad packet attributes");
		return;
	}
	if (ntohs(nfg->res_id) != w->queue) {
		malformed(w, "packet for another queue");
		return;
	}
	w->c.received++;
	w->c.bytes += pkt.len;
	/*
	 * Ids are handed out in the order packets are put on the socket, so
	 * a jump means the kernel took ids for packets it could not deliver
	 * (socket buffer full).  Not checked across a respawn: ids read by
	 * the predecessor are not known here.
	 */
	if (w->have_last) {
		gap = pkt.id - (uint32_t)w->c.last_id - 1;
		if (gap != 0 && gap < 0x80000000u)
			w->c.skipped += gap;
	}
	w->have_last = true;
	w->c.last_id = pkt.id;

	if (w->verdict == NF_ACCEPT)
		w->c.accepted++;
	else if (w->verdict == NF_DROP)
		w->c.dropped++;
	else
		w->c.other++;
	add_verdict(w, pkt.id, w->verdict);
}

static void
handle_datagram(struct worker *w, const char *buf, size_t len,
    const struct msghdr *mh)
{
	const struct sockaddr_nl	*from = mh->msg_name;
	const struct nlmsghdr		*nlh = (const struct nlmsghdr *)buf;
	int				 rem = (int)len;

	if (mh->msg_namelen < sizeof(*from) || from->nl_pid != 0) {
		malformed(w, "datagram not from the kernel");
		return;
	}
	if (mh->msg_flags & MSG_TRUNC) {
		malformed(w, "message larger than the receive buffer");
		return;
	}
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nfqd_queue_is_packet(nlh))
			handle_packet(w, nlh);
		else if (nlh->nlmsg_type == NLMSG_ERROR)
			handle_error(w, nlh);
		else if (nlh->nlmsg_type != NLMSG_NOOP &&
		    nlh->nlmsg_type != NLMSG_DONE)
			malformed(w, "unexpected message type");
	}
	if (rem > 0)
		malformed(w, "truncated netlink header");
}

static void
read_queue(struct worker *w)
{
	uint64_t	missed;
	unsigned	i, round;
	int		n;

	for (round = 0; round < READ_ROUNDS; round++) {
		n = recvmmsg(w->fd, w->msgs, w->batch, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Overrun: counted, reported by the timer. */
				w->c.enobufs++;
				continue;
			}
			w->c.nlerrors++;
			if (ratelimit_ok(&w->rl_recv, nfqd_now_ns(), &missed))
				log_warn("recvmmsg on queue %u", w->queue);
			break;
		}
		w->c.batches++;
		for (i = 0; i < (unsigned)n; i++) {
			handle_datagram(w, w->iov[i].iov_base,
			    w->msgs[i].msg_len, &w->msgs[i].msg_hdr);
			w->msgs[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
			w->msgs[i].msg_hdr.msg_flags = 0;
		}
		flush_verdicts(w);
		publish(w, nfqd_now_ns());
		if ((unsigned)n < w->batch)
			break;		/* drained: epoll says when more come */
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
setup_buffers(struct worker *w)
{
	unsigned	i;
	size_t		txcap;

	w->batch = w->cf->batch;
	w->msgsize = nfqd_queue_msg_size(w->cf->copy_range);
	w->msgs = calloc(w->batch, sizeof(*w->msgs));
	w->iov = calloc(w->batch, sizeof(*w->iov));
	w->from = calloc(w->batch, sizeof(*w->from));
	w->rx = malloc(w->batch * w->msgsize);
	txcap = (size_t)w->batch * NFQD_VERDICT_MSG_MAX;
	w->tx = malloc(txcap);
	if (w->msgs == NULL || w->iov == NULL || w->from == NULL ||
	    w->rx == NULL || w->tx == NULL)
		fatal("allocating %u receive buffers of %zu bytes", w->batch,
		    w->msgsize);
	for (i = 0; i < w->batch; i++) {
		w->iov[i].iov_base = w->rx + i * w->msgsize;
		w->iov[i].iov_len = w->msgsize;
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
		w->msgs[i].msg_hdr.msg_name = &w->from[i];
		w->msgs[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
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
	char	buf[NFQD_QUEUE_CFG_MSG_MAX];
	size_t	len;

	/*
	 * Not acknowledged: the reply would be mixed into the packet
	 * stream.  A refusal arrives as an error message and is logged by
	 * handle_error().
	 */
	len = nfqd_queue_build_params(buf, w->queue, w->cf, SEQ_PARAMS);
	if (nfqd_queue_send(w->fd, buf, len) == -1)
		log_warn("queue %u: sending queue parameters", w->queue);
}

static void
setup_loop(struct worker *w)
{
	struct epoll_event	ev;
	struct itimerspec	its;
	sigset_t		set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if ((w->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	if ((w->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		fatal("timerfd_create");
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 1;
	its.it_interval.tv_sec = 1;
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
}

void
nfqd_worker_main(const struct nfqd_worker_args *a)
{
	struct worker		w;
	struct epoll_event	evs[4];
	uint64_t		ticks, now;
	char			name[16];
	int			i, n;

	memset(&w, 0, sizeof(w));
	w.cf = a->cf;
	w.slot = a->slot;
	w.queue = a->queue;
	w.fd = a->fd;
	w.shared = &a->shm_slot->st;
	w.rl_malformed = (struct nfqd_ratelimit)NFQD_RATELIMIT_INIT(10);
	w.rl_nlerr = (struct nfqd_ratelimit)NFQD_RATELIMIT_INIT(10);
	w.rl_recv = (struct nfqd_ratelimit)NFQD_RATELIMIT_INIT(10);
	w.verdict = w.cf->default_verdict == NFQD_VERDICT_DROP ? NF_DROP :
	    NF_ACCEPT;
	/* Counters are cumulative over the workers of a slot. */
	nfqd_slot_stats_read(w.shared, &w.c);
	w.reported_enobufs = w.c.enobufs;
	w.reported_skipped = w.c.skipped;
	w.next_report_ns = nfqd_now_ns() + REPORT_INTERVAL * 1000000000ull;

	log_set_role("worker %u/q%u", w.slot, w.queue);
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
	setup_buffers(&w);
	setup_loop(&w);
	apply_params(&w);
	drop_privileges(&w);
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
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == w.fd) {
				read_queue(&w);
			} else if (evs[i].data.fd == w.sfd) {
				read_signals(&w);
			} else if (evs[i].data.fd == w.tfd) {
				if (read(w.tfd, &ticks, sizeof(ticks)) == -1 &&
				    errno != EAGAIN)
					log_warn("read(timerfd)");
				now = nfqd_now_ns();
				report(&w, now);
				publish(&w, now);
			}
		}
	}
	log_debug("stopping: every packet read has its verdict");
	worker_exit(&w, 0);
}
