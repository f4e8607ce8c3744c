/*
 * The master: binds the queues, forks one worker per queue and supervises
 * them from an epoll loop over a signalfd and a timerfd.
 *
 * This file holds the master's context, its event loop, statistics output
 * and the way in and out of nfqd_master_run().  The jobs the loop hands
 * out each have a file (include/nfqd/master.h): the queue sockets
 * (qsocks.c), the worker slots (slots.c), rule counter regions (rregion.c),
 * reloads (reload.c), the watchdog (watchdog.c), detaching and the pidfile
 * (daemon.c).  Every event ends in nfqd_slots_reconcile().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cap-ng.h>

#include "nfqd/config.h"
#include "nfqd/fault.h"
#include "nfqd/iptcheck.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/names.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/json.h"
#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/metrics.h"
#include "nfqd/nfqd.h"
#include "nfqd/procfs.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "nfqd/shm.h"
#include "nfqd/stats.h"
#include "nfqd/util.h"
#include "nfqd/verdict.h"
#include "nfqd/yield.h"

static struct nfqd_master master;

void
nfqd_master_shutdown(struct nfqd_master *m, const char *why)
{
	if (m->stopping)
		return;
	log_notice("shutting down: %s", why);
	m->stopping = true;
}

static void
emit_line(void *arg, const char *line)
{
	(void)arg;
	log_notice("%s", line);
}

/* One statistics file (what: "statistics" or "metrics"), said in the log. */
static void
write_out(const char *path, const struct nfqd_buf *b, const char *what,
    bool table)
{
	char	err[2 * PATH_MAX + 256];

	if (nfqd_stats_write_file(path, b, err, sizeof(err)) == -1) {
		log_errx("%s not written: %s", what, err);
		return;
	}
	if (err[0] != '\0')
		log_warnx("%s: %s", what, err);
	if (table)
		log_notice("%s written to %s", what, path);
}

/*
 * Counters to stats_file (JSON) and stats_prometheus (nfqctl metrics'
 * text, for node_exporter's textfile collector), from one snapshot; with
 * table, the table to the log (SIGUSR1).
 */
static void
write_stats(struct nfqd_master *m, bool table)
{
	struct nfqd_buf	b;

	nfqd_master_dnsl_publish(m);
	nfqd_master_qclaim_publish(m, table ? UINT64_MAX : 1);
	nfqd_stats_collect_from(m->stats, &m->shm, &m->proc);
	nfqd_rregion_collect(m);
	if (table)
		nfqd_stats_table(m->stats, emit_line, NULL);
	buf_init(&b);
	if (m->cf.stats_file[0] != '\0') {
		nfqd_stats_json(m->stats, &b);
		write_out(m->cf.stats_file, &b, "statistics", table);
	}
	if (m->cf.stats_prometheus[0] != '\0') {
		buf_reset(&b);
		nfqd_metrics_write(m->stats, NFQD_METRICS_MAX_RULES, &b);
		write_out(m->cf.stats_prometheus, &b, "metrics", table);
	}
	buf_free(&b);
}

static void
log_totals(struct nfqd_master *m)
{
	const struct nfqd_slot_stats	*t;

	nfqd_stats_collect_from(m->stats, &m->shm, &m->proc);
	t = &m->stats->total;
	log_notice("stopped: received %llu, accepted %llu, dropped %llu, "
	    "other %llu, skipped %llu, restarts %llu",
	    (unsigned long long)t->received, (unsigned long long)t->accepted,
	    (unsigned long long)t->dropped, (unsigned long long)t->other,
	    (unsigned long long)t->skipped,
	    (unsigned long long)m->stats->restarts);
}

static void
read_signals(struct nfqd_master *m, bool *chld, bool *hup, bool *usr1)
{
	struct signalfd_siginfo	si;
	ssize_t			n;

	for (;;) {
		n = read(m->sfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si)) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN)
				log_warn("read(signalfd)");
			return;
		}
		switch (si.ssi_signo) {
		case SIGCHLD:
			*chld = true;
			break;
		case SIGHUP:
			*hup = true;
			break;
		case SIGUSR1:
			*usr1 = true;
			break;
		case SIGTERM:
			nfqd_master_shutdown(m, "SIGTERM");
			break;
		case SIGINT:
			nfqd_master_shutdown(m, "SIGINT");
			break;
		}
	}
}

/* Arm the timerfd for the nearest deadline (one-shot, absolute). */
static void
arm_timer(struct nfqd_master *m)
{
	const struct nfqd_mslot	*s;
	struct itimerspec	 its;
	uint64_t		 next = UINT64_MAX, now = nfqd_now_ns();
	unsigned		 i;

	for (i = 0; i < m->nslots; i++) {
		s = &m->slots[i];
		if (s->state == NFQD_W_STOPPING && s->kill_at < next)
			next = s->kill_at;
		if (s->state == NFQD_W_IDLE && i < m->cf.qcount &&
		    s->respawn_at > now && s->respawn_at < next)
			next = s->respawn_at;
	}
	if (m->cf.stats_interval > 0 && m->next_stats_ns < next)
		next = m->next_stats_ns;
	if (!m->stopping && m->watch.next_ns < next)
		next = m->watch.next_ns;
	memset(&its, 0, sizeof(its));
	if (next != UINT64_MAX) {
		if (next <= now)
			next = now + 1;
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
	}
	if (timerfd_settime(m->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_warn("timerfd_settime");
}

static bool
all_done(const struct nfqd_master *m)
{
	unsigned	i;

	if (!m->stopping || m->nqs > 0)
		return false;
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state != NFQD_W_IDLE)
			return false;
	return true;
}

/*
 * The loop's work during a reload, which calls it now and then
 * (nfqd_load_set_yield(), yield.h): while it scans the text for @include
 * (every 4096 tokens), waits for the parser child (every 10 ms), reads
 * and builds name lists (every 64 KiB, every 16,384 names), reads rules
 * (every 32) and compiles them (every 256).  Meanwhile
 * a worker that dies is replaced, one that is stuck is killed, and SIGTERM
 * stops nfqd, as they are between reloads, at most LOAD_TICK_MS late.
 * What calls no yield: the master's own libconfig parse of the file (0.5
 * to 0.6 s for 200,000 rules, 24 MB; 0.8 to 1.2 s on a busy machine) and
 * libconfig's freeing after it (0.1 to 0.2 s), and the fork of the parser
 * child; the loop is that late there (docs/performance.md).  The configuration they see is the one in
 * force: the reload installs its own only once it is read whole.  What
 * would need that one waits: another SIGHUP (a reload after this one),
 * SIGUSR1, the statistics files.  -1 once nfqd is stopping: the reload
 * gives up, frees what it read, and the running configuration stays.
 */
#define LOAD_TICK_MS	20

static int
load_tick(void *arg)
{
	struct nfqd_master	*m = arg;
	uint64_t		 now = nfqd_now_ns();
	bool			 chld = false, hup = false, usr1 = false;

	if (now >= m->load_next_ns) {
		m->load_next_ns = now + LOAD_TICK_MS * NFQD_MS;
		read_signals(m, &chld, &hup, &usr1);
		m->hup_later |= hup;
		m->usr1_later |= usr1;
		if (chld)
			nfqd_slots_reap(m);
		nfqd_watchdog_tick(m, now);
		nfqd_slots_reconcile(m);
	}
	return m->stopping ? -1 : 0;
}

static void
reload(struct nfqd_master *m)
{
	m->load_next_ns = nfqd_now_ns() + LOAD_TICK_MS * NFQD_MS;
	nfqd_load_set_yield(load_tick, m);
	nfqd_master_reload(m);
	nfqd_load_set_yield(NULL, NULL);
}

static void
loop(struct nfqd_master *m)
{
	struct epoll_event	evs[4];
	uint64_t		ticks, now;
	bool			chld, hup, usr1;
	int			i, n;

	while (!all_done(m)) {
		arm_timer(m);
		/* A SIGHUP that came during a reload: no waiting for it. */
		n = epoll_wait(m->ep, evs, (int)NFQD_ARRAY_SIZE(evs),
		    m->hup_later ? 0 : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		chld = hup = usr1 = false;
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == m->sfd)
				read_signals(m, &chld, &hup, &usr1);
			else if (evs[i].data.fd == m->tfd &&
			    read(m->tfd, &ticks, sizeof(ticks)) == -1 &&
			    errno != EAGAIN)
				log_warn("read(timerfd)");
		}
		if (chld)
			nfqd_slots_reap(m);
		hup |= m->hup_later;
		m->hup_later = false;
		if (hup)
			reload(m);
		usr1 |= m->usr1_later;
		m->usr1_later = false;
		if (usr1)
			write_stats(m, true);
		now = nfqd_now_ns();
		nfqd_master_dnsl_publish(m);
		nfqd_master_qclaim_publish(m, 0);
		nfqd_watchdog_tick(m, now);
		if (m->cf.stats_interval > 0 && now >= m->next_stats_ns) {
			if (m->next_stats_ns != 0)
				write_stats(m, false);
			m->next_stats_ns = now +
			    (uint64_t)m->cf.stats_interval * 1000000000ull;
		}
		nfqd_slots_reconcile(m);
	}
}

/* The signalfd and the timerfd, in one epoll set. */
static int
setup_loop(struct nfqd_master *m)
{
	struct epoll_event	ev;

	if ((m->sfd = signalfd(-1, &m->sigs,
	    SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_err("signalfd");
		return -1;
	}
	if ((m->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_err("timerfd_create");
		return -1;
	}
	if ((m->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_err("epoll_create1");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = m->sfd;
	if (epoll_ctl(m->ep, EPOLL_CTL_ADD, m->sfd, &ev) == -1) {
		log_err("epoll_ctl(signalfd)");
		return -1;
	}
	ev.data.fd = m->tfd;
	if (epoll_ctl(m->ep, EPOLL_CTL_ADD, m->tfd, &ev) == -1) {
		log_err("epoll_ctl(timerfd)");
		return -1;
	}
	return 0;
}

/*
 * Workers of another user can only be signalled with CAP_KILL (a
 * capability bounding set may have taken it away).
 */
int
nfqd_master_can_kill(const struct nfqd_config *cf)
{
	if (cf->user[0] == '\0' || geteuid() != 0)
		return 0;
	if (capng_get_caps_process() == 0 &&
	    capng_have_capability(CAPNG_EFFECTIVE, CAP_KILL))
		return 0;
	log_errx("daemon.user \"%s\" needs CAP_KILL in the master, to stop "
	    "and restart its workers (add it to the service's "
	    "CapabilityBoundingSet)", cf->user);
	return -1;
}

void
nfqd_master_connmark(struct nfqd_master *m)
{
	char	err[256];
	int	r;

	m->connmark = false;
	if (!m->cf.flows_connmark)
		return;
	r = nfqd_queue_probe_conntrack(err, sizeof(err));
	if (r == 1) {
		m->connmark = true;
		log_notice("flows.connmark: the kernel takes conntrack marks "
		    "in verdicts; a flow's decided mark is set on its "
		    "connection by the verdict (NFQA_CT)");
	} else if (r == 0) {
		log_notice("flows.connmark: this kernel does not take "
		    "conntrack marks in verdicts (%s); the connmark is left to "
		    "the rules of docs/l7.md", err);
	} else {
		log_warnx("flows.connmark: cannot tell whether this kernel "
		    "takes conntrack marks in verdicts (%s); the connmark is "
		    "left to the rules of docs/l7.md", err);
	}
}

/* The counters region and the first rule counters region. */
static int
setup_shm(struct nfqd_master *m)
{
	char	err[2 * PATH_MAX + 256];

	if (nfqd_dir_prepare_for(m->cf.shm_path, err, sizeof(err)) == -1 ||
	    nfqd_shm_create(&m->shm, m->cf.shm_path, NFQD_MAX_WORKERS,
	    (int)getpid(), err, sizeof(err)) == -1) {
		if (errno == EBUSY)
			log_errx("the counters region %s is in use by another "
			    "nfqd: give each instance its own stats.shm",
			    m->cf.shm_path);
		else
			log_errx("creating the counters region: %s", err);
		return -1;
	}
	if (err[0] != '\0')
		log_warnx("counters region: %s", err);
	NFQD_STORE(&m->shm.hdr->generation, 1);
	snprintf(m->rr_path, sizeof(m->rr_path), "%s.rules", m->cf.shm_path);
	/* The region owns the rules from here on (m->rr->rs). */
	if ((m->rr = nfqd_rregion_new(m, m->cf.rules, m->cf.qcount)) == NULL)
		return -1;
	return 0;
}

/*
 * dns_learn's table, made once before any worker is forked, so that
 * every worker, respawned ones too, maps the same.  Its size is kept
 * until the next start (settings.c).
 */
static int
setup_dnsl(struct nfqd_master *m)
{
	uint64_t	seed;

	if (!m->cf.dnsl_enabled)
		return 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = nfqd_now_ns() ^ ((uint64_t)getpid() << 32);
	if ((m->dnsl = nfqd_dnsl_create(m->cf.dnsl_max_entries, seed)) ==
	    NULL) {
		log_err("mmap for dns_learn's table (%u entries, %zu bytes)",
		    m->cf.dnsl_max_entries,
		    nfqd_dnsl_size(m->cf.dnsl_max_entries));
		return -1;
	}
	NFQD_STORE(&m->shm.hdr->dns_capacity, nfqd_dnsl_capacity(m->dnsl));
	log_info("dns_learn: a table of %llu entries (%zu bytes mapped, "
	    "touched as used)", (unsigned long long)nfqd_dnsl_capacity(m->dnsl),
	    nfqd_dnsl_mapped(m->dnsl));
	return 0;
}

_Static_assert(NFQD_QCLAIM_MAX <= UINT32_MAX, "the header's 32 bits hold it");

/* The claim table's slots for cf: eight claims per flow of each queue. */
uint64_t
nfqd_master_qclaim_want(const struct nfqd_config *cf)
{
	return nfqd_qclaim_slots(8 * (uint64_t)cf->flows_max * cf->qcount);
}

/*
 * The table of QUIC connection IDs that flows claimed (l7/qclaim.h), made
 * once before any worker is forked, like dns_learn's: a respawned worker
 * sees the claims of the one it replaces.  Room for eight claims per
 * flow of every worker's table at start (64 bytes beside a flow's 512):
 * a claim lives NFQD_QCLAIM_LIFE seconds past its ID's last Initial, a
 * flow until it is idle or evicted, so a flood of new connections that
 * the flow table survives by evicting decided flows must find room here
 * too (8 x 65,536 claims a worker hold 90 s of 4,300 new connections a
 * second at three quarters full).  Kept until the next start.
 */
static int
setup_qclaim(struct nfqd_master *m)
{
	uint64_t	seed, slots;

	slots = nfqd_master_qclaim_want(&m->cf);
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = nfqd_now_ns() ^ ((uint64_t)getpid() << 32);
	if ((m->qclaim = nfqd_qclaim_create(slots, seed)) == NULL) {
		log_err("mmap for the QUIC connection ID table (%zu bytes)",
		    nfqd_qclaim_size(slots));
		return -1;
	}
	NFQD_STORE(&m->shm.hdr->quic_claim_capacity,
	    (uint32_t)nfqd_qclaim_capacity(m->qclaim));
	log_info("quic: a table of %llu claimed connection IDs (%zu bytes "
	    "mapped, touched as used)",
	    (unsigned long long)nfqd_qclaim_capacity(m->qclaim),
	    nfqd_qclaim_size(slots));
	return 0;
}

/* The table's entries now, for the counters region's readers. */
void
nfqd_master_dnsl_publish(struct nfqd_master *m)
{
	if (m->dnsl != NULL && m->shm.hdr != NULL)
		NFQD_STORE(&m->shm.hdr->dns_entries,
		    nfqd_dnsl_entries(m->dnsl));
}

/*
 * The live claims, for the same readers: each part counted is 2^17 slots
 * (1 MiB; nfqd_qclaim_sweep()), never waiting for the workers that write
 * the table.  The loop counts one part at most once a second (parts 0):
 * the master runs on some worker's CPU, so its periodic work stays small
 * (architecture.md), and a part with every slot live took 0.17 to 0.7 ms
 * (2-CPU VM); the largest table, 2^26 slots, is counted over 512 s, the
 * default's (2^19 slots a queue: flows.max 65536) over 4 s a queue.  A
 * statistics write on the interval counts one part more, SIGUSR1 the
 * whole table: what an operator asks for is counted whole.
 */
void
nfqd_master_qclaim_publish(struct nfqd_master *m, uint64_t parts)
{
	uint64_t	n = 0, now, k;
	int		rc = 0;

	if (m->qclaim == NULL || m->shm.hdr == NULL)
		return;
	now = nfqd_now_ns();
	if (parts == 0) {
		if (now < m->qclaim_next_ns)
			return;
		m->qclaim_next_ns = now + 1000000000ull;
		parts = 1;
	}
	if (parts > nfqd_qclaim_parts(m->qclaim))
		parts = nfqd_qclaim_parts(m->qclaim);
	for (k = 0; k < parts; k++)
		if (nfqd_qclaim_sweep(m->qclaim,
		    (uint32_t)(now / 1000000000ull), &n) == -1)
			rc = -1;
	if (rc == -1 && !m->qclaim_warned) {
		log_warn("mincore on the QUIC connection ID table");
		m->qclaim_warned = true;
	}
	NFQD_STORE(&m->shm.hdr->quic_claims_live, (uint32_t)n);
}

/* Start: everything before the loop.  0, or -1 with the reason logged. */
static int
start(struct nfqd_master *m, bool detach)
{
	size_t	added;

	if ((m->stats = calloc(1, sizeof(*m->stats))) == NULL) {
		log_err("calloc");
		return -1;
	}
	if (nfqd_master_can_kill(&m->cf) == -1 ||
	    (m->pidfd = nfqd_pidfile_open(m->cf.pidfile)) == -1 ||
	    setup_shm(m) == -1 || setup_dnsl(m) == -1 ||
	    setup_qclaim(m) == -1)
		return -1;
	if (nfqd_qsock_bind(m, &m->cf, &added) == -1) {
		nfqd_qsock_unbind_last(m, added, m->cf.fail_open);
		return -1;
	}
	nfqd_master_connmark(m);
	if (detach)
		nfqd_daemon_detach(m);
	m->pid = getpid();
	NFQD_STORE(&m->shm.hdr->master_pid, (int32_t)m->pid);
	if (nfqd_pidfile_write(m->pidfd, m->pid) == -1 ||
	    setup_loop(m) == -1) {
		nfqd_qsock_unbind_last(m, m->nqs, m->cf.fail_open);
		return -1;
	}
	log_notice("nfqd %s started: queues %u-%u, %u worker%s, default "
	    "verdict %s, fail_open %s, configuration %s", NFQD_VERSION,
	    m->cf.qfirst, m->cf.qfirst + m->cf.qcount - 1, m->cf.qcount,
	    m->cf.qcount == 1 ? "" : "s",
	    nfqd_verdict_name(m->cf.default_verdict),
	    m->cf.fail_open ? "on" : "off", m->cf.path);
	return 0;
}

/* The one way out: whatever start() got to, undone. */
static void
finish(struct nfqd_master *m)
{
	/* The rules in force are the current region's, if it was made. */
	if (m->rr == NULL)
		nfqd_rules_free(m->cf.rules);
	nfqd_rregion_destroy_all(m);
	m->cf.rules = NULL;
	if (m->shm.fd != -1)
		nfqd_shm_destroy(&m->shm);
	nfqd_dnsl_destroy(m->dnsl);
	m->dnsl = NULL;
	nfqd_qclaim_destroy(m->qclaim);
	m->qclaim = NULL;
	nfqd_pidfile_close(m);
	if (m->ep != -1)
		close(m->ep);
	if (m->sfd != -1)
		close(m->sfd);
	if (m->tfd != -1)
		close(m->tfd);
	if (m->ready_fd != -1)
		close(m->ready_fd);	/* the parent learns: not started */
	nfqd_procfs_close(&m->proc);
	if (m->stats != NULL)
		free(m->stats->rules);
	free(m->stats);
	m->stats = NULL;
}

int
nfqd_master_run(struct nfqd_config *cf, const struct nfqd_overrides *ov,
    bool detach)
{
	struct nfqd_master	*m = &master;

	memset(m, 0, sizeof(*m));
	m->cf = *cf;
	cf->rules = NULL;	/* ours now */
	m->ov = ov;
	m->gen = 1;
	m->rules_gen = 1;
	m->ep = m->sfd = m->tfd = m->pidfd = m->ready_fd = m->shm.fd = -1;
	/* Opened at its first read, once the queues are bound. */
	nfqd_procfs_init(&m->proc, NFQD_PROCFS_PATH);
	log_set_role("master");
	nfqd_daemon_logging(m);
	nfqd_fault_arm(-1);

	/* Blocked from the start; read from the signalfd in the loop. */
	sigemptyset(&m->sigs);
	sigaddset(&m->sigs, SIGCHLD);
	sigaddset(&m->sigs, SIGTERM);
	sigaddset(&m->sigs, SIGINT);
	sigaddset(&m->sigs, SIGHUP);
	sigaddset(&m->sigs, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &m->sigs, NULL) == -1)
		fatal("sigprocmask");
	signal(SIGPIPE, SIG_IGN);

	if (start(m, detach) == 0) {
		nfqd_slots_reconcile(m);
		nfqd_daemon_ready(m);
		nfqd_iptcheck(m->cf.qfirst, m->cf.qcount,
		    m->cf.rules != NULL && m->cf.rules->l7);
		loop(m);
		log_totals(m);
		log_notice("exiting");
	} else {
		m->status = 1;
	}
	finish(m);
	return m->status;
}
