/*
 * A worker: serves one queue from a socket the master bound, on one CPU.
 *
 * Its start (pinned, buffers, rule engine, queue parameters, privileges
 * dropped, seccomp, what a dead predecessor left) and its event loop: epoll
 * on the queue socket, a signalfd (SIGTERM), a timerfd (heartbeat, reports)
 * and, when rules name interfaces, an rtnetlink socket.  Once the queue
 * socket is readable, the packet path is batch.c's.
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
#include "nfqd/orphans.h"
#include "nfqd/queue.h"
#include "nfqd/ratelimit.h"
#include "nfqd/rules.h"
#include "nfqd/sandbox.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "nfqd/worker.h"

/*
 * The sequence number of the queue parameters; verdicts count up below it
 * (30 bits), the orphan releases use the top two bits (orphans.h).
 */
#define SEQ_PARAMS	0x40000000u
/* How often overruns and losses are summarised in the log, seconds. */
#define REPORT_INTERVAL	10

void
nfqd_worker_exit(struct nfqd_worker *w, int status)
{
	/* Every packet captured so far into the file, and counted. */
	nfqd_pcapw_close(&w->pcap);
	nfqd_batch_publish(w, nfqd_now_ns());
	_exit(status);
}

static void	read_signals(struct nfqd_worker *);
static void	read_links(struct nfqd_worker *);
static void	report(struct nfqd_worker *, uint64_t);

/* What the epoll loop would have seen, without sleeping. */
void
nfqd_worker_poll(struct nfqd_worker *w, uint64_t now)
{
	w->next_poll = now + NFQD_POLL_NS;
	read_signals(w);
	if (w->ift_fd != -1)
		read_links(w);
	report(w, now);
	nfqd_pcapw_tick(&w->pcap, now);
}

/* Once per REPORT_INTERVAL: losses the kernel reported since the last. */
static void
report(struct nfqd_worker *w, uint64_t now)
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
read_signals(struct nfqd_worker *w)
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
setup_buffers(struct nfqd_worker *w, uint32_t msg_copy)
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
	w->pre_nlh = calloc(w->batch, sizeof(*w->pre_nlh));
	w->pre_qm = calloc(w->batch, sizeof(*w->pre_qm));
	w->pre_qmp = calloc(w->batch, sizeof(*w->pre_qmp));
	w->pre_hint = calloc(w->batch, sizeof(*w->pre_hint));
	w->pre_hintp = calloc(w->batch, sizeof(*w->pre_hintp));
	if (w->msgs == NULL || w->iov == NULL || w->rx == NULL ||
	    w->tx == NULL || w->pre_nlh == NULL || w->pre_qm == NULL ||
	    w->pre_qmp == NULL || w->pre_hint == NULL || w->pre_hintp == NULL)
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
pin_cpu(struct nfqd_worker *w, int cpu)
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
drop_privileges(struct nfqd_worker *w)
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
		nfqd_worker_exit(w, NFQD_EXIT_FATAL);
	}
	if (cf->user[0] != '\0')
		r = capng_change_id((int)cf->uid, (int)cf->gid,
		    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	else
		r = capng_apply(CAPNG_SELECT_BOTH);
	if (r != 0) {
		log_errx("dropping privileges%s%s failed (libcap-ng error %d)",
		    cf->user[0] != '\0' ? " to user " : "", cf->user, r);
		nfqd_worker_exit(w, NFQD_EXIT_FATAL);
	}
}

static void
apply_params(struct nfqd_worker *w)
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
setup_loop(struct nfqd_worker *w)
{
	struct epoll_event	ev;
	struct itimerspec	its;
	struct timeval		tv = { 0, NFQD_IDLE_MS * 1000 };
	sigset_t		set;
	int			fl;
	unsigned		ms;

	/*
	 * recvmmsg() waits for traffic itself (batch.c, receive()), at most
	 * NFQD_IDLE_MS; reads that must not wait say MSG_DONTWAIT.  The master
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
setup_engine(struct nfqd_worker *w, const struct nfqd_worker_args *a)
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
	w->eng.connmark = a->connmark;
	if (a->dnsl != NULL)
		nfqd_engine_dnsl(&w->eng, a->dnsl, w->cf, (uint32_t)getpid(),
		    a->rules_gen);
	nfqd_engine_qclaim(&w->eng, a->qclaim);
}

/*
 * The capture file of rules with log = "pcap": the directory is opened
 * now, while the worker may still open anything (and as root), the file
 * later, as daemon.user (start_pcap()).  Failures are logged and leave
 * the worker serving its queue; packets to capture are then counted as
 * pcap errors.
 */
static void
setup_pcap(struct nfqd_worker *w)
{
	const struct nfqd_config	*cf = w->cf;
	int				 dirfd;

	if (cf->rules == NULL || cf->rules->npcap == 0 ||
	    cf->pcap_dir[0] == '\0')
		return;
	if ((dirfd = nfqd_pcap_open_dir(cf->pcap_dir)) == -1)
		log_warn("pcap: opening the directory %s; packets of rules "
		    "with log = \"pcap\" are not captured", cf->pcap_dir);
	if (nfqd_pcapw_init(&w->pcap, dirfd, w->queue, cf->pcap_max_bytes,
	    cf->pcap_max_files, 0) == -1)
		log_warnx("pcap: out of memory for the capture buffer; packets "
		    "of rules with log = \"pcap\" are not captured");
}

/*
 * Whether deciding a packet reads the clock: rate limits, the throttle of
 * rules' log lines, flows, names learned from DNS answers, the time
 * stamps of capture records.  Without any of them (the default
 * configuration, rules on headers alone) the worker reads the clock once
 * a batch after the verdicts are sent, not before the first decision.
 */
static bool
decisions_read_clock(const struct nfqd_worker *w)
{
	const struct nfqd_ruleset	*rs = w->eng.rs;

	return w->pcap.on || w->eng.l7.any || w->eng.dnsl.t != NULL ||
	    (rs != NULL && (rs->ncells > 0 || rs->keyed_rates ||
	    rs->nlogs > 0 || rs->l7));
}

static void
start_pcap(struct nfqd_worker *w)
{
	bool	opened;

	if (!w->pcap.on)
		return;
	if (nfqd_pcapw_start(&w->pcap, nfqd_now_ns(), &opened) == -1)
		log_warn("pcap: starting the thread that writes %s; the worker "
		    "writes it itself", w->pcap.f.name);
	if (opened)
		log_debug("pcap: capturing to %s/%s (at most %u files of %llu "
		    "bytes)", w->cf->pcap_dir, w->pcap.f.name,
		    w->pcap.f.max_files,
		    (unsigned long long)w->pcap.f.max_bytes);
}

static void
read_links(struct nfqd_worker *w)
{
	uint64_t	missed;

	if (nfqd_iftab_read(w->ift, w->ift_fd) == -1 &&
	    log_throttle_ok(&w->lt_recv, nfqd_now_ns(), &missed))
		log_warn("queue %u: reading interface changes", w->queue);
}

void
nfqd_worker_main(const struct nfqd_worker_args *a)
{
	struct nfqd_worker		w;
	struct nfqd_slot_stats	pend;
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
	w.l7base = w.c;
	w.reported_enobufs = w.c.enobufs;
	w.reported_skipped = w.c.skipped;
	w.next_report_ns = nfqd_now_ns() + REPORT_INTERVAL * 1000000000ull;

	log_set_role("worker %u/q%u", w.slot, w.queue);
	nfqd_fault_arm((int)a->restarts);
	/* Done in the child before this (slots.c); the filter refuses it. */
	if (a->protect_errno == EOPNOTSUPP)
		log_debug("shared regions left writable: this system's pages "
		    "are not %d bytes", NFQD_SHM_PAGE);
	else if (a->protect_errno != 0)
		log_warnx("making the shared regions read-only: %s",
		    strerror(a->protect_errno));
	/* What a dead predecessor left; from now on pend is this worker's. */
	nfqd_slot_stats_read(&w.slotp->pend, &pend);
	nfqd_orphans_init(&w.orph, w.queue, &a->prev, w.cf->orphan_verdict,
	    w.cf->orphan_mark, &w.c, &pend, nfqd_batch_send, &w);
	nfqd_batch_publish_pending(&w);
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
	setup_pcap(&w);
	w.clock_first = decisions_read_clock(&w);
	w.now = nfqd_now_ns();
	setup_loop(&w);
	apply_params(&w);
	drop_privileges(&w);
	start_pcap(&w);
	/*
	 * The kernel clears the parent-death signal when the process changes
	 * its uid or gid: set it again, and look once more whether the master
	 * died meanwhile.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != a->master)
		nfqd_worker_exit(&w, 0);
	/* No exec could give privileges back; then the system call filter. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("prctl(PR_SET_NO_NEW_PRIVS)");
	if (w.cf->sandbox && nfqd_sandbox_worker(w.pcap.on ? w.pcap.f.dirfd :
	    -1, w.pcap.running) == -1) {
		log_err("installing the seccomp filter (daemon.sandbox = false "
		    "runs workers without it)");
		nfqd_worker_exit(&w, NFQD_EXIT_FATAL);
	}
	nfqd_orphans_recorded(&w.orph, &a->prev);
	nfqd_batch_publish(&w, nfqd_now_ns());	/* the heartbeat starts now */
	log_debug("serving queue %u on CPU %d, batch %u, %zu-byte buffers",
	    w.queue, a->cpu, w.batch, w.msgsize);

	while (!w.stop) {
		n = epoll_wait(w.ep, evs, (int)NFQD_ARRAY_SIZE(evs), -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait");
			nfqd_worker_exit(&w, 1);
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
				nfqd_l7_expire(&w.eng.l7, now);
				if (w.eng.dnsl.t != NULL)
					nfqd_dnsl_sweep(&w.eng.dnsl, (uint32_t)
					    (now / 1000000000ull), 4096);
				report(&w, now);
				nfqd_pcapw_tick(&w.pcap, now);
				nfqd_batch_publish(&w, now);
				/* Nothing may come to mark the boundary. */
				if (w.orph.boundary)
					q = true;
			}
		}
		if (q && !w.stop)
			nfqd_batch_read(&w);
	}
	log_debug("stopping: every packet read has its verdict");
	nfqd_worker_exit(&w, 0);
}
