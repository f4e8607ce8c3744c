/*
 * The master: binds the queues, forks one worker per queue and supervises
 * them from an epoll loop over a signalfd and a timerfd.
 *
 * The master keeps every queue socket open for as long as the queue is
 * configured.  A bound queue belongs to its socket, not to a process, so a
 * worker that dies leaves its queue bound: packets wait in the kernel while
 * a new worker is forked onto the same socket.
 *
 * All changes of state (a worker died, a reload, a shutdown, a back-off
 * expired) end in reconcile(), which compares what runs with what the
 * configuration wants and takes the next steps, never putting two workers
 * on one socket or one slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/fault.h"
#include "nfqd/iptcheck.h"
#include "nfqd/json.h"
#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/nfqd.h"
#include "nfqd/procfs.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "nfqd/settings.h"
#include "nfqd/shm.h"
#include "nfqd/stats.h"
#include "nfqd/util.h"
#include "nfqd/worker.h"

#define MS			1000000ull
#define STOP_TIMEOUT_NS		(2000 * MS)	/* SIGTERM, then SIGKILL */
#define EARLY_DEATH_NS		(500 * MS)	/* died this soon: back off */
#define BACKOFF_MIN_MS		10
#define BACKOFF_MAX_MS		5000

/* A queue socket the master holds. */
struct qsock {
	uint16_t	queue;
	int		fd;
	int		reader;		/* slot whose worker reads it, or -1 */
	uint32_t	max_copy;	/* largest copy range it ever had */
	bool		dirty;		/* its last reader died: orphans? */
	uint32_t	last_id;	/* last id its last reader verdicted */
	uint32_t	read_id;	/* ... and read */
	uint32_t	suspect;	/* ... and died deciding, 0: none */
	uint32_t	suspect_mark;
};

/*
 * A rule counters region and the rules it counts.  Slots point at the
 * region their counters are in; a slot moves to the current region (its
 * counters of unchanged rules carried over) when it starts a worker.
 */
struct rregion {
	struct nfqd_rshm	 map;
	struct nfqd_ruleset	*rs;		/* owned; NULL: no rules */
	unsigned		 refs;		/* slots counting here */
	struct rregion		*next;		/* older regions */
};

enum slot_state {
	SLOT_IDLE,			/* no process */
	SLOT_RUNNING,
	SLOT_STOPPING,			/* sent SIGTERM, waiting for exit */
};

/* The master's view of a worker slot (the shared region has the counters). */
struct slot {
	pid_t		 pid;
	enum slot_state	 state;
	uint16_t	 queue;		/* queue of the running worker */
	int		 cpu;
	uint32_t	 gen;		/* configuration it was started with */
	uint64_t	 started_ns;
	uint64_t	 respawn_at;	/* earliest start after a death, 0: now */
	uint64_t	 kill_at;	/* SIGKILL deadline while stopping */
	uint64_t	 backoff_ms;
	bool		 has_stats;	/* region counters belong to stats_queue */
	uint16_t	 stats_queue;
	struct rregion	*rr;		/* where its rule counters are */
	unsigned	 kills;		/* SIGKILLs sent since it was asked to stop */
	uint64_t	 progress;	/* verdicts seen at the last check */
	uint64_t	 progress_ns;	/* when they last moved */
};

/* What the kernel said about a queue at the last check. */
struct kseen {
	uint32_t	queue_dropped;
	uint32_t	user_dropped;
	uint64_t	warned_ns;	/* last warning about them */
	uint32_t	dropped_since;	/* growth not yet reported */
	uint32_t	user_since;
	bool		valid;
};

static struct {
	struct nfqd_config		 cf;
	const struct nfqd_overrides	*ov;
	uint32_t			 gen;	/* bumped when workers must change */
	pid_t				 pid;
	bool				 daemonized;
	bool				 stopping;
	int				 status;	/* exit status */
	int				 ep;
	int				 sfd;
	int				 tfd;
	int				 pidfd;
	int				 ready_fd;	/* -d: tell the parent */
	struct nfqd_shm			 shm;
	struct qsock			 qs[2 * NFQD_MAX_WORKERS];
	size_t				 nqs;
	struct slot			 slots[NFQD_MAX_WORKERS];
	uint64_t			 next_stats_ns;
	uint64_t			 next_check_ns;	/* watchdog, drops */
	struct kseen			 kseen[NFQD_MAX_WORKERS];
	struct nfqd_stats		*stats;
	struct rregion			*rr;		/* current */
	struct rregion			*rr_old;	/* still referenced */
	uint32_t			 rr_gen;	/* regions made */
	char				 rr_path[PATH_MAX + 8];
} m;

static void	reconcile(void);
static void	release_queue(struct qsock *, bool);

static bool
queue_wanted(uint16_t q)
{
	return !m.stopping && q >= m.cf.qfirst &&
	    (unsigned)q < (unsigned)m.cf.qfirst + m.cf.qcount;
}

static struct qsock *
qs_find(uint16_t q)
{
	size_t	i;

	for (i = 0; i < m.nqs; i++)
		if (m.qs[i].queue == q)
			return &m.qs[i];
	return NULL;
}

static void
qs_remove(struct qsock *s)
{
	*s = m.qs[--m.nqs];
}

static void
shm_ctl(unsigned i)
{
	struct nfqd_slot_ctl	*c = &m.shm.slots[i].ctl;
	struct slot		*s = &m.slots[i];
	uint32_t		 st;

	if (s->state == SLOT_RUNNING)
		st = NFQD_SLOT_RUNNING;
	else if (s->state == SLOT_STOPPING)
		st = NFQD_SLOT_STOPPING;
	else if (i < m.cf.qcount && !m.stopping)
		st = NFQD_SLOT_STARTING;
	else
		st = NFQD_SLOT_EMPTY;
	NFQD_STORE(&c->pid, (int32_t)s->pid);
	NFQD_STORE(&c->state, st);
	if (s->state == SLOT_IDLE && i < m.cf.qcount) {
		NFQD_STORE(&c->queue, (uint32_t)m.cf.qfirst + i);
		NFQD_STORE(&c->cpu, m.cf.cpu_affinity ?
		    (int32_t)nfqd_cpu_for_slot(i) : -1);
	} else if (s->state != SLOT_IDLE) {
		NFQD_STORE(&c->queue, (uint32_t)s->queue);
		NFQD_STORE(&c->cpu, (int32_t)s->cpu);
	}
}

/* Bind every configured queue that has no socket yet. */
static int
bind_queues(const struct nfqd_config *cf, size_t *added)
{
	struct nfqd_queue_params qp;
	char		 err[512];
	unsigned	 i;
	uint16_t	 q;
	int		 fd;

	*added = 0;
	nfqd_config_queue_params(cf, &qp);
	if (nfqd_reserve_fds(cf->qcount) == -1) {
		log_err("%u queues need as many file descriptors (raise the "
		    "hard RLIMIT_NOFILE, LimitNOFILE= under systemd)",
		    cf->qcount);
		return -1;
	}
	for (i = 0; i < cf->qcount; i++) {
		q = (uint16_t)(cf->qfirst + i);
		if (qs_find(q) != NULL)
			continue;
		if (m.nqs == NFQD_ARRAY_SIZE(m.qs)) {
			/* Removed queues still wait for their workers. */
			log_errx("cannot bind queue %u: %zu queues are bound or "
			    "still being released; try again shortly", q,
			    m.nqs);
			return -1;
		}
		if ((fd = nfqd_queue_open(q, &qp, err, sizeof(err))) == -1) {
			log_errx("%s", err);
			return -1;
		}
		memset(&m.qs[m.nqs], 0, sizeof(m.qs[m.nqs]));
		m.qs[m.nqs].queue = q;
		m.qs[m.nqs].fd = fd;
		m.qs[m.nqs].reader = -1;
		m.qs[m.nqs].max_copy = cf->copy_range;
		m.nqs++;
		(*added)++;
		log_debug("bound queue %u", q);
	}
	return 0;
}

/* Undo the last n bindings of bind_queues() (a refused start or reload). */
static void
unbind_last(size_t n, bool fail_open)
{
	while (n-- > 0)
		release_queue(&m.qs[m.nqs - 1], fail_open);
}

static void
close_fds_in_child(int keep)
{
	size_t	i;

	for (i = 0; i < m.nqs; i++)
		if (m.qs[i].fd != keep)
			close(m.qs[i].fd);
	close(m.ep);
	close(m.sfd);
	close(m.tfd);
	if (m.pidfd != -1)
		close(m.pidfd);
	if (m.ready_fd != -1)
		close(m.ready_fd);
	close(m.shm.fd);
}

static struct rregion *
rregion_new(struct nfqd_ruleset *rs, uint32_t nslots)
{
	struct rregion	*rr;
	char		 err[PATH_MAX + 256];

	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		return NULL;
	if (nfqd_rshm_create(&rr->map, m.rr_path, rs, nslots, ++m.rr_gen,
	    err, sizeof(err)) == -1) {
		log_errx("creating the rule counters region: %s", err);
		free(rr);
		return NULL;
	}
	if (err[0] != '\0')
		log_warnx("rule counters region: %s", err);
	rr->rs = rs;
	return rr;
}

static void
rregion_free(struct rregion *rr)
{
	nfqd_rshm_close(&rr->map);
	nfqd_rules_free(rr->rs);
	free(rr);
}

/* Free the old regions no slot counts in any more. */
static void
rregion_gc(void)
{
	struct rregion	**pp = &m.rr_old, *rr;

	while ((rr = *pp) != NULL) {
		if (rr->refs == 0) {
			*pp = rr->next;
			rregion_free(rr);
		} else {
			pp = &rr->next;
		}
	}
}

static void
slot_unref(struct slot *s)
{
	if (s->rr != NULL) {
		s->rr->refs--;
		s->rr = NULL;
	}
}

/*
 * Move slot i's rule counters into the current region: rules that kept
 * their name and definition keep their counts; changed and new rules
 * start at zero.  Its worker has exited, so nobody writes them.
 */
static void
carry_counters(unsigned i, bool same_queue)
{
	struct slot		*s = &m.slots[i];
	struct rregion		*old = s->rr, *cur = m.rr;
	struct nfqd_rule_ctr	*from, *to;
	uint32_t		 j, n;
	int			 k;

	if (old == cur)
		return;
	to = nfqd_rshm_slot(&cur->map, i);
	n = cur->rs != NULL ? cur->rs->n : 0;
	if (old != NULL && same_queue && old->rs != NULL && cur->rs != NULL &&
	    i < old->map.hdr->nslots) {
		from = nfqd_rshm_slot(&old->map, i);
		for (j = 0; j < n; j++) {
			k = nfqd_rules_find(old->rs, cur->rs->rules[j].name);
			if (k >= 0 && old->rs->rules[k].defhash ==
			    cur->rs->rules[j].defhash)
				to[j] = from[k];
		}
	}
	slot_unref(s);
	s->rr = cur;
	cur->refs++;
}

static void
spawn(unsigned i, struct qsock *qs)
{
	struct nfqd_worker_args	 a;
	struct slot		*s = &m.slots[i];
	struct nfqd_slot	*sh = &m.shm.slots[i];
	pid_t			 pid;
	bool			 same;

	s->queue = qs->queue;
	s->cpu = m.cf.cpu_affinity ? nfqd_cpu_for_slot(i) : -1;
	same = s->has_stats && s->stats_queue == qs->queue;
	if (!same) {
		/* The slot changes queue: its counters start again. */
		memset(&sh->st, 0, sizeof(sh->st));
		memset(&sh->pend, 0, sizeof(sh->pend));
		NFQD_STORE(&sh->ctl.restarts, 0);
		s->has_stats = true;
		s->stats_queue = qs->queue;
		if (s->rr == m.rr && m.rr->rs != NULL)
			memset(nfqd_rshm_slot(&m.rr->map, i), 0,
			    m.rr->rs->n * sizeof(struct nfqd_rule_ctr));
	}
	carry_counters(i, same);
	rregion_gc();
	memset(&a, 0, sizeof(a));
	a.cf = &m.cf;
	a.slot = i;
	a.queue = qs->queue;
	a.cpu = s->cpu;
	a.fd = qs->fd;
	a.shm_slot = sh;
	a.master = m.pid;
	a.msg_copy = qs->max_copy;
	a.has_prev = qs->dirty;
	a.prev_id = qs->last_id;
	a.read_id = qs->read_id;
	a.suspect = qs->suspect;
	a.suspect_mark = qs->suspect_mark;
	a.rule_ctr = nfqd_rshm_slot(&m.rr->map, i);
	a.rate_cells = nfqd_rshm_cells(&m.rr->map);

	pid = fork();
	if (pid == -1) {
		log_warn("fork for worker %u (queue %u); retrying in 1 s", i,
		    qs->queue);
		s->respawn_at = nfqd_now_ns() + 1000 * MS;
		return;
	}
	if (pid == 0) {
		close_fds_in_child(qs->fd);
		nfqd_worker_main(&a);
	}
	s->pid = pid;
	s->state = SLOT_RUNNING;
	s->gen = m.gen;
	s->started_ns = nfqd_now_ns();
	s->respawn_at = 0;
	s->progress = UINT64_MAX;	/* the first check takes a reading */
	s->progress_ns = s->started_ns;
	qs->reader = (int)i;
	qs->dirty = false;
	if (m.cf.copy_range > qs->max_copy)
		qs->max_copy = m.cf.copy_range;
	NFQD_STORE(&sh->ctl.started, (uint64_t)time(NULL));
	NFQD_STORE(&sh->ctl.generation, NFQD_LOAD(&m.shm.hdr->generation));
	shm_ctl(i);
	log_info("worker %u started: queue %u, cpu %d, pid %d", i, qs->queue,
	    s->cpu, (int)pid);
}

static void
stop_worker(unsigned i, const char *why)
{
	struct slot	*s = &m.slots[i];

	if (s->state != SLOT_RUNNING)
		return;
	log_info("stopping worker %u (queue %u, pid %d): %s", i, s->queue,
	    (int)s->pid, why);
	if (kill(s->pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill(%d, SIGTERM)", (int)s->pid);
	s->state = SLOT_STOPPING;
	s->kills = 0;
	s->kill_at = nfqd_now_ns() + STOP_TIMEOUT_NS;
	shm_ctl(i);
}

/* Stop serving a queue: release what waits (with fail_open), unbind. */
static void
release_queue(struct qsock *qs, bool fail_open)
{
	int	waiting;

	waiting = nfqd_queue_close(qs->fd, qs->queue, fail_open);
	if (waiting > 0)
		log_info("queue %u: %d packets waiting at unbind were %s",
		    qs->queue, waiting, fail_open ? "accepted (fail_open)" :
		    "dropped");
	log_debug("unbound queue %u", qs->queue);
	qs_remove(qs);
}

static bool
any_stopping(void)
{
	unsigned	i;

	for (i = 0; i < NFQD_MAX_WORKERS; i++)
		if (m.slots[i].state == SLOT_STOPPING)
			return true;
	return false;
}

static void
reconcile(void)
{
	struct slot	*s;
	struct qsock	*qs;
	uint64_t	 now = nfqd_now_ns();
	unsigned	 i;
	size_t		 k;
	bool		 rolling;

	/* Workers on the wrong queue or no longer wanted stop now. */
	for (i = 0; i < NFQD_MAX_WORKERS; i++) {
		s = &m.slots[i];
		if (s->state == SLOT_STOPPING && now >= s->kill_at &&
		    s->kills >= 3) {
			/*
			 * It cannot be killed (no CAP_KILL for a worker of
			 * another user?).  Let go of it: it holds no queue
			 * alone, and exits with us (PR_SET_PDEATHSIG).
			 */
			log_errx("worker %u (pid %d) cannot be stopped; leaving "
			    "it to exit with the master", i, (int)s->pid);
			if ((qs = qs_find(s->queue)) != NULL &&
			    qs->reader == (int)i)
				qs->reader = -1;
			s->pid = 0;
			s->state = SLOT_IDLE;
		} else if (s->state == SLOT_STOPPING && now >= s->kill_at) {
			log_warnx("worker %u (pid %d) did not stop in time; "
			    "killing it", i, (int)s->pid);
			if (kill(s->pid, SIGKILL) == -1)
				log_warn("kill(%d, SIGKILL)", (int)s->pid);
			s->kills++;
			s->kill_at = now + STOP_TIMEOUT_NS;
		}
		if (s->state != SLOT_RUNNING)
			continue;
		if (m.stopping)
			stop_worker(i, "shutting down");
		else if (i >= m.cf.qcount)
			stop_worker(i, "no longer configured");
		else if (s->queue != m.cf.qfirst + i)
			stop_worker(i, "its slot serves another queue now");
	}

	/* Start what is missing, once slot and socket are free. */
	for (i = 0; i < m.cf.qcount && !m.stopping; i++) {
		s = &m.slots[i];
		if (s->state != SLOT_IDLE || now < s->respawn_at)
			continue;
		qs = qs_find((uint16_t)(m.cf.qfirst + i));
		if (qs == NULL || qs->reader != -1)
			continue;
		spawn(i, qs);
	}

	/*
	 * Workers started with an older configuration are replaced one at a
	 * time (after the replacement of the previous one was forked above),
	 * so at most one queue at a time waits for its new worker.
	 */
	rolling = any_stopping();
	for (i = 0; i < m.cf.qcount && !rolling && !m.stopping; i++) {
		s = &m.slots[i];
		if (s->state == SLOT_RUNNING && s->gen != m.gen) {
			stop_worker(i, "configuration changed");
			rolling = true;
		}
	}

	/* Unbind the queues nobody reads and nobody wants. */
	for (k = 0; k < m.nqs; ) {
		qs = &m.qs[k];
		if (qs->reader == -1 && !queue_wanted(qs->queue))
			release_queue(qs, m.cf.fail_open); /* moves the last */
		else
			k++;
	}

	NFQD_STORE(&m.shm.hdr->nworkers, (uint32_t)m.cf.qcount);
	for (i = m.cf.qcount; i < NFQD_MAX_WORKERS; i++)
		if (m.slots[i].state == SLOT_IDLE && m.slots[i].rr != NULL)
			slot_unref(&m.slots[i]);
	rregion_gc();
	for (i = 0; i < NFQD_MAX_WORKERS; i++)
		if (m.slots[i].state != SLOT_IDLE || i < m.cf.qcount ||
		    m.shm.slots[i].ctl.state != NFQD_SLOT_EMPTY)
			shm_ctl(i);
}

static void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with status 0x%x", status);
}

static void
begin_shutdown(const char *why)
{
	if (m.stopping)
		return;
	log_notice("shutting down: %s", why);
	m.stopping = true;
}

/*
 * The packet a dead worker was deciding, if it died deciding: one it had
 * read and not verdicted.  0 otherwise.
 */
static uint32_t
dying_on(const struct nfqd_slot_stats *st, struct qsock *qs)
{
	uint32_t	id = (uint32_t)NFQD_LOAD(&st->deciding);

	qs->suspect_mark = (uint32_t)NFQD_LOAD(&st->deciding_mark);
	if (id == 0 || id - qs->last_id - 1 >= qs->read_id - qs->last_id)
		return 0;
	return id;
}

static void
reap(void)
{
	struct slot	*s;
	struct qsock	*qs;
	char		 how[128];
	uint64_t	 now, lived;
	unsigned	 i;
	pid_t		 pid;
	int		 status;
	bool		 asked;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < NFQD_MAX_WORKERS; i++)
			if (m.slots[i].pid == pid)
				break;
		if (i == NFQD_MAX_WORKERS)
			continue;	/* not a worker */
		s = &m.slots[i];
		asked = s->state == SLOT_STOPPING;
		now = nfqd_now_ns();
		lived = now - s->started_ns;
		s->pid = 0;
		s->state = SLOT_IDLE;
		if ((qs = qs_find(s->queue)) != NULL && qs->reader == (int)i) {
			qs->reader = -1;
			/*
			 * A worker that exited on its own after SIGTERM left
			 * nothing unverdicted; after any other end, its
			 * successor releases what it left (orphans).
			 */
			qs->dirty = !(asked && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0);
			qs->last_id = (uint32_t)NFQD_LOAD(
			    &m.shm.slots[i].st.last_id);
			qs->read_id = (uint32_t)NFQD_LOAD(
			    &m.shm.slots[i].st.read_id);
			qs->suspect = dying_on(&m.shm.slots[i].st, qs);
		}
		describe_status(status, how, sizeof(how));

		if (WIFEXITED(status) && WEXITSTATUS(status) == NFQD_EXIT_FATAL) {
			log_errx("worker %u (queue %u, pid %d) cannot run (see "
			    "its error above); not respawning it", i, s->queue,
			    (int)pid);
			m.status = 1;
			begin_shutdown("a worker failed fatally; unbinding "
			    "every queue rather than leave one unserved");
			continue;
		}
		if (asked || m.stopping) {
			log_info("worker %u (queue %u, pid %d) stopped", i,
			    s->queue, (int)pid);
			s->respawn_at = 0;
			continue;
		}
		/*
		 * An unexpected death.  Respawn at once, unless the worker
		 * keeps dying right after its start: then wait, doubling the
		 * wait each time, so a crash loop cannot spin the master.
		 */
		if (lived < EARLY_DEATH_NS)
			s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS :
			    (s->backoff_ms * 2 > BACKOFF_MAX_MS ?
			    BACKOFF_MAX_MS : s->backoff_ms * 2);
		else
			s->backoff_ms = 0;
		s->respawn_at = now + s->backoff_ms * MS;
		NFQD_STORE(&m.shm.slots[i].ctl.restarts,
		    m.shm.slots[i].ctl.restarts + 1);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			log_errx("worker %u made a system call outside its "
			    "seccomp allow-list, and the kernel killed it: a "
			    "bug in nfqd (please report it; daemon.sandbox = "
			    "false runs workers without the filter)", i);
		if (s->backoff_ms == 0)
			log_warnx("worker %u (queue %u, pid %d) %s; respawning",
			    i, s->queue, (int)pid, how);
		else
			log_warnx("worker %u (queue %u, pid %d) %s %llu ms "
			    "after its start; respawning in %llu ms", i,
			    s->queue, (int)pid, how,
			    (unsigned long long)(lived / MS),
			    (unsigned long long)s->backoff_ms);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
}

static void
report_to_log(void *arg, const char *file, int line, const char *msg)
{
	int	level = LOG_ERR;

	(void)arg;
	if (strncmp(msg, "warning: ", 9) == 0) {
		level = LOG_WARNING;
		msg += 9;
	}
	if (line > 0)
		log_msg(level, "%s:%d: %s", file, line, msg);
	else
		log_msg(level, "%s: %s", file, msg);
}

static void
apply_logging(const struct nfqd_config *cf)
{
	/* Detached, stderr is /dev/null: log to syslog instead. */
	log_init(cf->log_syslog || m.daemonized, cf->log_level);
}

/* A setting a reload changes: what it takes. */
static void
changed(void *arg, const char *group, const char *name, enum nfqd_reload r)
{
	(void)arg;
	if (r == NFQD_RELOAD_NEXT_START)
		log_warnx("reload: %s%s%s changed; it takes effect at the "
		    "next start", group != NULL ? group : "",
		    group != NULL ? "." : "", name);
	else
		log_info("reload: %s%s%s changed (%s)",
		    group != NULL ? group : "", group != NULL ? "." : "", name,
		    nfqd_reload_name(r));
}

static void
reload(void)
{
	struct nfqd_config	*ncf;
	struct nfqd_queue_params qp;
	struct rregion		*nrr;
	char			 err[256];
	size_t			 added;
	bool			 workers, rcvbuf;
	size_t			 i;
	unsigned		 need;
	uint16_t		 ncf_first, ncf_count;

	if (m.stopping)
		return;
	NFQD_FAULT(NFQD_FAULT_MASTER_RELOAD, 1);
	log_notice("reloading %s", m.cf.path);
	if ((ncf = malloc(sizeof(*ncf))) == NULL) {
		log_err("reload: malloc");
		return;
	}
	if (nfqd_config_load(ncf, m.cf.path, m.ov, report_to_log, NULL) != 0) {
		log_errx("reload: %s has errors (above); the running "
		    "configuration stays in force", m.cf.path);
		free(ncf);
		return;
	}
	/*
	 * A file cut short (a copy in progress, a full disk) can still be
	 * valid; dropping every rule must be written, not implied.
	 */
	if (m.cf.rules != NULL && m.cf.rules->n > 0 && !ncf->rules_set) {
		log_errx("reload: %s has no rules setting, which would remove "
		    "the %u rule%s in force (a file still being written?): "
		    "refused, the running configuration stays in force; to "
		    "remove every rule, write \"rules = ();\"", m.cf.path,
		    m.cf.rules->n, m.cf.rules->n == 1 ? "" : "s");
		goto refuse;
	}
	/*
	 * New workers apply queue parameters to live sockets unacknowledged;
	 * the only ones the kernel can refuse are flags it lacks: ask it.
	 */
	if ((ncf->fail_open != m.cf.fail_open || ncf->gso != m.cf.gso ||
	    ncf->uid_gid != m.cf.uid_gid) &&
	    (nfqd_config_queue_params(ncf, &qp),
	    nfqd_queue_probe_flags(&qp, err, sizeof(err))) == -1) {
		log_errx("reload: %s; the running configuration stays in "
		    "force", err);
		goto refuse;
	}
	/* What the changes need, from the settings table. */
	need = nfqd_settings_changed(&m.cf, ncf, changed, NULL);
	nfqd_settings_keep(ncf, &m.cf);
	/* Binding is part of validation: nothing changes if it fails. */
	if (bind_queues(ncf, &added) == -1) {
		unbind_last(added, ncf->fail_open);
		log_errx("reload: cannot bind the new queues; the running "
		    "configuration stays in force");
		goto refuse;
	}
	workers = (need & NFQD_RELOAD_BIT(NFQD_RELOAD_WORKERS)) != 0;
	rcvbuf = (need & NFQD_RELOAD_BIT(NFQD_RELOAD_PARAMS)) != 0;
	ncf_first = m.cf.qfirst;
	ncf_count = m.cf.qcount;
	if (!nfqd_rules_same(m.rr->rs, ncf->rules) ||
	    ncf->qcount > m.rr->map.hdr->nslots) {
		/* New rules count in a new region, from zero or carried. */
		if ((nrr = rregion_new(ncf->rules, ncf->qcount)) == NULL) {
			unbind_last(added, ncf->fail_open);
			log_errx("reload: the running configuration stays in "
			    "force");
			goto refuse;
		}
		m.rr->next = m.rr_old;
		m.rr_old = m.rr;
		m.rr = nrr;
		rregion_gc();
	} else {
		/* Same rules: keep the compiled ones the workers share. */
		nfqd_config_free(ncf);
		ncf->rules = m.rr->rs;
	}
	m.cf = *ncf;
	free(ncf);
	apply_logging(&m.cf);
	if (rcvbuf)
		for (i = 0; i < m.nqs; i++)
			if (queue_wanted(m.qs[i].queue))
				nfqd_queue_set_rcvbuf(m.qs[i].fd,
				    m.qs[i].queue, m.cf.rcvbuf);
	if (workers)
		m.gen++;
	if (ncf_first != m.cf.qfirst || ncf_count != m.cf.qcount)
		memset(m.kseen, 0, sizeof(m.kseen));	/* slots moved */
	NFQD_STORE(&m.shm.hdr->generation, m.shm.hdr->generation + 1);
	m.next_stats_ns = 0;
	nfqd_iptcheck(m.cf.qfirst, m.cf.qcount);
	log_notice("reloaded: queues %u-%u (%u worker%s), %u rules%s",
	    m.cf.qfirst, m.cf.qfirst + m.cf.qcount - 1, m.cf.qcount,
	    m.cf.qcount == 1 ? "" : "s", m.cf.rules ? m.cf.rules->n : 0,
	    workers ? "; replacing workers one at a time" : "");
	return;
refuse:
	nfqd_config_free(ncf);
	free(ncf);
}

static void
emit_line(void *arg, const char *line)
{
	(void)arg;
	log_notice("%s", line);
}

/*
 * Per-rule totals over the slots.  A slot whose worker still runs with an
 * older set of rules counts in that set's region: its counts are added to
 * the current rules of the same name and definition.
 */
static void
collect_rules(void)
{
	static uint32_t			 cap;
	struct nfqd_stats		*st = m.stats;
	const struct nfqd_ruleset	*cur = m.rr->rs, *ors;
	const struct nfqd_rule_ctr	*ctr;
	struct nfqd_stats_rule		*r;
	uint32_t			 n = cur != NULL ? cur->n : 0, j;
	unsigned			 i;
	int				 k;

	st->nrules = 0;
	if (n > cap) {
		r = realloc(st->rules, n * sizeof(*r));
		if (r == NULL) {
			log_warnx("statistics: out of memory for %u rules", n);
			return;
		}
		st->rules = r;
		cap = n;
	}
	for (j = 0; j < n; j++) {
		st->rules[j].name = cur->rules[j].name;
		st->rules[j].hits = st->rules[j].bytes = 0;
	}
	st->nrules = n;
	for (i = 0; i < NFQD_MAX_WORKERS; i++) {
		const struct rregion *rr = m.slots[i].rr;

		if (rr == NULL || i >= rr->map.hdr->nslots || rr->rs == NULL)
			continue;
		ctr = nfqd_rshm_slot(&rr->map, i);
		ors = rr->rs;
		for (j = 0; j < n; j++) {
			k = rr == m.rr ? (int)j :
			    nfqd_rules_find(ors, cur->rules[j].name);
			if (k < 0 || ors->rules[k].defhash !=
			    cur->rules[j].defhash)
				continue;
			st->rules[j].hits += NFQD_LOAD(&ctr[k].hits);
			st->rules[j].bytes += NFQD_LOAD(&ctr[k].bytes);
		}
	}
}

static void
write_stats(bool table)
{
	struct nfqd_buf	b;
	char		err[2 * PATH_MAX + 256];

	nfqd_stats_collect(m.stats, &m.shm, NFQD_PROCFS_PATH);
	collect_rules();
	if (table)
		nfqd_stats_table(m.stats, emit_line, NULL);
	if (m.cf.stats_file[0] == '\0')
		return;
	buf_init(&b);
	nfqd_stats_json(m.stats, &b);
	if (b.failed) {
		log_warnx("statistics: out of memory");
	} else if (nfqd_dir_prepare_for(m.cf.stats_file, err,
	    sizeof(err)) == -1 || nfqd_write_file_atomic(m.cf.stats_file,
	    b.data, b.len, 0644, err, sizeof(err)) == -1) {
		log_errx("statistics not written: %s", err);
	} else {
		if (err[0] != '\0')
			log_warnx("statistics: %s", err);
		if (table)
			log_notice("statistics written to %s",
			    m.cf.stats_file);
	}
	buf_free(&b);
}

static void
read_signals(bool *chld, bool *hup, bool *usr1)
{
	struct signalfd_siginfo	si;
	ssize_t			n;

	for (;;) {
		n = read(m.sfd, &si, sizeof(si));
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
			begin_shutdown("SIGTERM");
			break;
		case SIGINT:
			begin_shutdown("SIGINT");
			break;
		}
	}
}

/* Arm the timerfd for the nearest deadline (one-shot, absolute). */
static void
arm_timer(void)
{
	struct itimerspec	its;
	uint64_t		next = UINT64_MAX, now = nfqd_now_ns();
	unsigned		i;

	for (i = 0; i < NFQD_MAX_WORKERS; i++) {
		const struct slot *s = &m.slots[i];

		if (s->state == SLOT_STOPPING && s->kill_at < next)
			next = s->kill_at;
		if (s->state == SLOT_IDLE && i < m.cf.qcount &&
		    s->respawn_at > now && s->respawn_at < next)
			next = s->respawn_at;
	}
	if (m.cf.stats_interval > 0 && m.next_stats_ns < next)
		next = m.next_stats_ns;
	if (!m.stopping && m.next_check_ns < next)
		next = m.next_check_ns;
	memset(&its, 0, sizeof(its));
	if (next != UINT64_MAX) {
		if (next <= now)
			next = now + 1;
		its.it_value.tv_sec = (time_t)(next / 1000000000ull);
		its.it_value.tv_nsec = (long)(next % 1000000000ull);
	}
	if (timerfd_settime(m.tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		log_warn("timerfd_settime");
}

static void
kernel_line(void *arg, const struct nfqd_kqueue *kq)
{
	struct nfqd_kqueue	*byslot = arg;
	uint32_t		 i = kq->queue - m.cf.qfirst;

	if (kq->queue >= m.cf.qfirst && i < m.cf.qcount)
		byslot[i] = *kq;
}

/*
 * A worker that gave no verdict while packets wait is stuck if its loop
 * stopped too (no heartbeat for watchdog_ms), or if packets wait on its
 * socket unread.  One whose loop runs, with nothing to read, is not: what
 * waits is what a dead predecessor read and nobody recorded, released
 * when the next packet arrives (docs/architecture.md, "Orphans").
 */
static bool
stuck(unsigned i, uint64_t now)
{
	struct qsock	*qs = qs_find(m.slots[i].queue);
	struct pollfd	 pfd;
	uint64_t	 hb = NFQD_LOAD(&m.shm.slots[i].st.heartbeat);

	if (now > hb && (now - hb) / MS >= m.cf.watchdog_ms)
		return true;
	if (qs == NULL)
		return false;
	pfd.fd = qs->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
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
check_full(unsigned i, const struct nfqd_kqueue *kq, uint64_t now)
{
	static uint32_t			 fullq[NFQD_MAX_WORKERS];
	static struct nfqd_logthrottle	 lt[NFQD_MAX_WORKERS];
	struct nfqd_slot_ctl		*c = &m.shm.slots[i].ctl;
	const struct slot		*s = &m.slots[i];
	uint64_t			 missed;
	char				 more[96];

	/* full_seen counts for one queue: the slot's, when it moves. */
	if (fullq[i] != kq->queue + 1) {
		fullq[i] = kq->queue + 1;
		NFQD_STORE(&c->full_seen, 0);
		memset(&lt[i], 0, sizeof(lt[i]));
	}
	/* A worker of an older configuration may have set another maxlen. */
	if (kq->queue_total < m.cf.maxlen ||
	    (s->state == SLOT_RUNNING && s->gen != m.gen))
		return;
	NFQD_STORE(&c->full_seen, c->full_seen + 1);
	lt[i].interval_ns = 10000 * MS;
	if (!log_throttle_ok(&lt[i], now, &missed))
		return;
	more[0] = '\0';
	if (missed > 0)
		snprintf(more, sizeof(more), " (and at %llu more checks since "
		    "the last warning)", (unsigned long long)missed);
	log_warnx("queue %u is full (%u of %u packets waiting)%s: %s; raise "
	    "queue.maxlen or add workers", kq->queue, kq->queue_total,
	    m.cf.maxlen, more, m.cf.fail_open ? "fail_open accepts new "
	    "packets uninspected and nothing counts them" : "the kernel "
	    "drops new packets (queue_dropped)");
}

/*
 * Periodic look at the kernel's counters: a worker whose queue has packets
 * waiting and whose verdict count has not moved for watchdog_ms is stuck
 * (stopped, looping, blocked): kill it; its successor releases what it had
 * read.  Drops the kernel counted since the last look are reported, and a
 * queue found full is counted and reported (check_full).
 */
static void
check_queues(uint64_t now)
{
	static struct nfqd_kqueue	 kq[NFQD_MAX_WORKERS];
	const struct nfqd_slot_stats	*st;
	struct kseen			*ks;
	struct slot			*s;
	uint64_t			 done, ms;
	unsigned			 i;

	memset(kq, 0, sizeof(kq));
	for (i = 0; i < m.cf.qcount; i++)
		kq[i].queue = UINT32_MAX;	/* not seen */
	if (nfqd_procfs_each(NFQD_PROCFS_PATH, m.cf.qfirst, m.cf.qcount,
	    kernel_line, kq) == -1)
		return;
	for (i = 0; i < m.cf.qcount; i++) {
		if (kq[i].queue == UINT32_MAX)
			continue;
		s = &m.slots[i];
		st = &m.shm.slots[i].st;
		if (s->state == SLOT_RUNNING && m.cf.watchdog_ms > 0 &&
		    s->queue == kq[i].queue) {
			done = NFQD_LOAD(&st->accepted) + NFQD_LOAD(&st->dropped) +
			    NFQD_LOAD(&st->other);
			if (done != s->progress || kq[i].queue_total == 0) {
				s->progress = done;
				s->progress_ns = now;
			} else if ((ms = (now - s->progress_ns) / MS) >=
			    m.cf.watchdog_ms && stuck(i, now)) {
				log_warnx("worker %u (queue %u, pid %d) gave no "
				    "verdict for %llu ms with %u packets "
				    "waiting; killing it", i, s->queue,
				    (int)s->pid, (unsigned long long)ms,
				    kq[i].queue_total);
				kill(s->pid, SIGKILL);
				s->progress_ns = now;
			}
		}
		check_full(i, &kq[i], now);
		ks = &m.kseen[i];
		if (ks->valid) {
			ks->dropped_since += kq[i].queue_dropped -
			    ks->queue_dropped;
			ks->user_since += kq[i].user_dropped - ks->user_dropped;
		}
		ks->queue_dropped = kq[i].queue_dropped;
		ks->user_dropped = kq[i].user_dropped;
		ks->valid = true;
		if ((ks->dropped_since || ks->user_since) &&
		    now - ks->warned_ns >= 10000 * MS) {
			log_warnx("queue %u: the kernel dropped %u packets "
			    "because the queue was full (maxlen %u) and %u "
			    "because the socket buffer was full, since %s",
			    kq[i].queue, ks->dropped_since, m.cf.maxlen,
			    ks->user_since, ks->warned_ns ?
			    "the last warning" : "start");
			ks->dropped_since = ks->user_since = 0;
			ks->warned_ns = now;
		}
	}
}

static bool
all_done(void)
{
	unsigned	i;

	if (!m.stopping || m.nqs > 0)
		return false;
	for (i = 0; i < NFQD_MAX_WORKERS; i++)
		if (m.slots[i].state != SLOT_IDLE)
			return false;
	return true;
}

static void
loop(void)
{
	struct epoll_event	evs[4];
	uint64_t		ticks, now;
	bool			chld, hup, usr1;
	int			i, n;

	while (!all_done()) {
		arm_timer();
		n = epoll_wait(m.ep, evs, (int)NFQD_ARRAY_SIZE(evs), -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		chld = hup = usr1 = false;
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == m.sfd)
				read_signals(&chld, &hup, &usr1);
			else if (evs[i].data.fd == m.tfd &&
			    read(m.tfd, &ticks, sizeof(ticks)) == -1 &&
			    errno != EAGAIN)
				log_warn("read(timerfd)");
		}
		if (chld)
			reap();
		if (hup)
			reload();
		if (usr1)
			write_stats(true);
		now = nfqd_now_ns();
		if (!m.stopping && now >= m.next_check_ns) {
			check_queues(now);
			/* A quarter of the watchdog's time, at most a second. */
			m.next_check_ns = now + (m.cf.watchdog_ms > 0 &&
			    m.cf.watchdog_ms < 4000 ? m.cf.watchdog_ms / 4 :
			    1000) * MS;
		}
		if (m.cf.stats_interval > 0 && now >= m.next_stats_ns) {
			if (m.next_stats_ns != 0)
				write_stats(false);
			m.next_stats_ns = now +
			    (uint64_t)m.cf.stats_interval * 1000000000ull;
		}
		reconcile();
	}
}

/* -d: the queues are bound and the workers forked; the parent may exit. */
static void
signal_ready(void)
{
	if (m.ready_fd == -1)
		return;
	char	msg[1 + sizeof(pid_t)];

	msg[0] = 'R';
	memcpy(msg + 1, &m.pid, sizeof(pid_t));
	if (write(m.ready_fd, msg, sizeof(msg)) == -1)
		log_warn("write(ready pipe)");
	close(m.ready_fd);
	m.ready_fd = -1;
}

/*
 * The pidfile must be opened if it is there (its lock tells a running nfqd
 * from a stale file), so it is checked instead: a regular file of ours
 * with one name, in a directory only root or we can change.
 */
static int
pidfile_open(const char *path)
{
	char	buf[32], err[PATH_MAX + 256];
	ssize_t	n;
	int	fd;

	if (nfqd_dir_prepare_for(path, err, sizeof(err)) == -1 ||
	    (fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err,
	    sizeof(err))) == -1) {
		log_errx("pidfile: %s", err);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			log_errx("another nfqd is running (pid %s): %s is "
			    "locked", buf[0] != '\0' ? buf : "unknown", path);
		} else {
			log_err("flock(%s)", path);
		}
		close(fd);
		return -1;
	}
	return fd;
}

static int
pidfile_write(int fd, pid_t pid)
{
	char	buf[32];
	int	len;

	len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len) {
		log_err("writing pidfile");
		return -1;
	}
	return 0;
}

/*
 * Detach: fork, setsid, fork again.  The original process waits until the
 * daemon has forked its workers (a byte on a pipe) so that the init script
 * learns whether the start worked; it exits 1 if the pipe closes instead.
 */
static void
daemonize(void)
{
	char	msg[1 + sizeof(pid_t)];
	sigset_t pending;
	ssize_t	n;
	int	p[2], fd;
	pid_t	pid, daemon;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe2");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		do {
			n = read(p[0], msg, sizeof(msg));
		} while (n == -1 && errno == EINTR);
		if (n == (ssize_t)sizeof(msg) && msg[0] == 'R') {
			/*
			 * A SIGTERM or SIGINT sent to us while starting is
			 * pending here and not inherited: hand it on.
			 */
			memcpy(&daemon, msg + 1, sizeof(daemon));
			if (sigpending(&pending) == 0 &&
			    (sigismember(&pending, SIGTERM) == 1 ||
			    sigismember(&pending, SIGINT) == 1))
				kill(daemon, SIGTERM);
			_exit(0);
		}
		dprintf(STDERR_FILENO, "nfqd: the daemon did not start; see "
		    "the system log\n");
		_exit(1);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	m.ready_fd = p[1];
	if (chdir("/") == -1)
		log_warn("chdir(/)");
	umask(022);
	m.daemonized = true;
	if (!m.cf.log_syslog)
		log_info("detaching; logging to syslog from now on");
	apply_logging(&m.cf);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

static int
setup_loop(void)
{
	struct epoll_event	ev;
	sigset_t		set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if ((m.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_err("signalfd");
		return -1;
	}
	if ((m.tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_err("timerfd_create");
		return -1;
	}
	if ((m.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_err("epoll_create1");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = m.sfd;
	if (epoll_ctl(m.ep, EPOLL_CTL_ADD, m.sfd, &ev) == -1) {
		log_err("epoll_ctl(signalfd)");
		return -1;
	}
	ev.data.fd = m.tfd;
	if (epoll_ctl(m.ep, EPOLL_CTL_ADD, m.tfd, &ev) == -1) {
		log_err("epoll_ctl(timerfd)");
		return -1;
	}
	return 0;
}

static void
log_totals(void)
{
	const struct nfqd_slot_stats	*t;

	nfqd_stats_collect(m.stats, &m.shm, NFQD_PROCFS_PATH);
	t = &m.stats->total;
	log_notice("stopped: received %llu, accepted %llu, dropped %llu, "
	    "other %llu, skipped %llu, restarts %llu",
	    (unsigned long long)t->received, (unsigned long long)t->accepted,
	    (unsigned long long)t->dropped, (unsigned long long)t->other,
	    (unsigned long long)t->skipped,
	    (unsigned long long)m.stats->restarts);
}

int
nfqd_master_run(struct nfqd_config *cf, const struct nfqd_overrides *ov,
    bool detach)
{
	char		err[2 * PATH_MAX + 256];
	struct stat	sb;
	size_t		added;
	sigset_t	set;

	memset(&m, 0, sizeof(m));
	m.cf = *cf;
	cf->rules = NULL;	/* ours now */
	m.ov = ov;
	m.gen = 1;
	m.ep = m.sfd = m.tfd = m.pidfd = m.ready_fd = m.shm.fd = -1;
	m.status = 0;
	log_set_role("master");
	apply_logging(&m.cf);
	nfqd_fault_arm(-1);

	/* Blocked from the start; read from the signalfd in the loop. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
	signal(SIGPIPE, SIG_IGN);

	if ((m.stats = calloc(1, sizeof(*m.stats))) == NULL)
		fatal("calloc");
	/*
	 * Workers of another user can only be signalled with CAP_KILL (a
	 * capability bounding set may have taken it away).
	 */
	if (m.cf.user[0] != '\0' && geteuid() == 0 &&
	    (capng_get_caps_process() != 0 ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_KILL))) {
		log_errx("daemon.user \"%s\" needs CAP_KILL in the master, to "
		    "stop and restart its workers (add it to the service's "
		    "CapabilityBoundingSet)", m.cf.user);
		nfqd_rules_free(m.cf.rules);
		free(m.stats);
		return 1;
	}
	if ((m.pidfd = pidfile_open(m.cf.pidfile)) == -1) {
		nfqd_rules_free(m.cf.rules);
		free(m.stats->rules);
		free(m.stats);
		return 1;
	}
	if (nfqd_dir_prepare_for(m.cf.shm_path, err, sizeof(err)) == -1 ||
	    nfqd_shm_create(&m.shm, m.cf.shm_path, NFQD_MAX_WORKERS,
	    (int)getpid(), err, sizeof(err)) == -1) {
		if (errno == EBUSY)
			log_errx("the counters region %s is in use by another "
			    "nfqd: give each instance its own stats.shm",
			    m.cf.shm_path);
		else
			log_errx("creating the counters region: %s", err);
		goto out;
	}
	if (err[0] != '\0')
		log_warnx("counters region: %s", err);
	NFQD_STORE(&m.shm.hdr->generation, 1);
	snprintf(m.rr_path, sizeof(m.rr_path), "%s.rules", m.cf.shm_path);
	if ((m.rr = rregion_new(m.cf.rules, m.cf.qcount)) == NULL)
		goto out;
	if (bind_queues(&m.cf, &added) == -1) {
		unbind_last(added, m.cf.fail_open);
		goto out;
	}
	if (detach)
		daemonize();
	m.pid = getpid();
	NFQD_STORE(&m.shm.hdr->master_pid, (int32_t)m.pid);
	if (pidfile_write(m.pidfd, m.pid) == -1 || setup_loop() == -1) {
		unbind_last(m.nqs, m.cf.fail_open);
		goto out;
	}
	log_notice("nfqd %s started: queues %u-%u, %u worker%s, "
	    "default verdict %s, fail_open %s, configuration %s",
	    NFQD_VERSION, m.cf.qfirst, m.cf.qfirst + m.cf.qcount - 1,
	    m.cf.qcount, m.cf.qcount == 1 ? "" : "s", nfqd_verdict_name(m.cf.default_verdict),
	    m.cf.fail_open ? "on" : "off", m.cf.path);

	reconcile();
	signal_ready();
	nfqd_iptcheck(m.cf.qfirst, m.cf.qcount);
	loop();
	log_totals();
	log_notice("exiting");
	goto done;
out:
	m.status = 1;
done:
	while (m.rr_old != NULL) {
		struct rregion *rr = m.rr_old;

		m.rr_old = rr->next;
		rregion_free(rr);
	}
	if (m.rr != NULL) {
		nfqd_rshm_destroy(&m.rr->map);
		rregion_free(m.rr);
	} else {
		nfqd_rules_free(m.cf.rules);
	}
	m.cf.rules = NULL;
	nfqd_shm_destroy(&m.shm);
	if (m.pidfd != -1) {
		/* Only if the name is still our locked file. */
		if (fstat(m.pidfd, &sb) == 0)
			nfqd_unlink_same(m.cf.pidfile, sb.st_dev, sb.st_ino);
		close(m.pidfd);
	}
	free(m.stats->rules);
	free(m.stats);
	return m.status;
}
