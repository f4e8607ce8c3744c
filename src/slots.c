/*
 * Worker slots: spawn, stop, reap, respawn.
 *
 * Slot i serves queue qfirst + i.  All changes of state (a worker died, a
 * reload, a shutdown, a back-off expired) end in nfqd_slots_reconcile(),
 * which compares what runs with what the configuration wants and takes
 * the next steps, never putting two workers on one socket or one slot.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/config.h"
#include "nfqd/isolate.h"
#include "nfqd/l7/dnslearn.h"
#include "nfqd/l7/names.h"
#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/ruleset.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "nfqd/worker.h"

#define STOP_TIMEOUT_NS		(2000 * NFQD_MS)  /* SIGTERM, then SIGKILL */
#define EARLY_DEATH_NS		(500 * NFQD_MS)	/* died this soon: back off */
#define BACKOFF_MIN_MS		10
#define BACKOFF_MAX_MS		5000

/* The slot's control line in the counters region, from our view. */
static void
shm_ctl(struct nfqd_master *m, unsigned i)
{
	struct nfqd_slot_ctl	*c = &m->shm.ctl[i];
	struct nfqd_mslot	*s = &m->slots[i];
	uint32_t		 st;

	if (s->state == NFQD_W_RUNNING)
		st = NFQD_SLOT_RUNNING;
	else if (s->state == NFQD_W_STOPPING)
		st = NFQD_SLOT_STOPPING;
	else if (i < m->cf.qcount && !m->stopping)
		st = NFQD_SLOT_STARTING;
	else
		st = NFQD_SLOT_EMPTY;
	NFQD_STORE(&c->pid, (int32_t)s->pid);
	NFQD_STORE(&c->state, st);
	if (s->state == NFQD_W_IDLE && i < m->cf.qcount) {
		NFQD_STORE(&c->queue, (uint32_t)m->cf.qfirst + i);
		NFQD_STORE(&c->cpu, m->cf.cpu_affinity ?
		    (int32_t)nfqd_cpu_for_slot(i) : -1);
	} else if (s->state != NFQD_W_IDLE) {
		NFQD_STORE(&c->queue, (uint32_t)s->queue);
		NFQD_STORE(&c->cpu, (int32_t)s->cpu);
	}
}

/* In a new worker: every descriptor of the master's but its socket. */
static void
close_fds_in_child(struct nfqd_master *m, int keep)
{
	size_t	i;

	for (i = 0; i < m->nqs; i++)
		if (m->qs[i].fd != keep)
			close(m->qs[i].fd);
	close(m->ep);
	close(m->sfd);
	close(m->tfd);
	if (m->pidfd != -1)
		close(m->pidfd);
	if (m->ready_fd != -1)
		close(m->ready_fd);
	close(m->shm.fd);
	nfqd_procfs_close(&m->proc);
}

/*
 * In the new worker, before its system call filter: the regions it shares
 * with the master and the other workers become read-only but for what it
 * writes (shm.h), so a worker taken over cannot write the master's part
 * or the other workers'.  0, or an errno for the worker to report.
 */
static int
protect_in_child(struct nfqd_master *m, unsigned i)
{
	struct nfqd_rregion	*rr;

	if (nfqd_shm_protect(&m->shm, i) == -1 ||
	    nfqd_rshm_protect(&m->rr->map, i) == -1)
		return errno;
	for (rr = m->rr_old; rr != NULL; rr = rr->next)
		if (nfqd_rshm_protect(&rr->map, -1) == -1)
			return errno;
	return 0;
}

static void
spawn(struct nfqd_master *m, unsigned i, struct nfqd_qsock *qs)
{
	struct nfqd_worker_args	 a;
	struct nfqd_mslot	*s = &m->slots[i];
	struct nfqd_slot	*sh = &m->shm.slots[i];
	pid_t			 pid;
	bool			 same;

	s->queue = qs->queue;
	s->cpu = m->cf.cpu_affinity ? nfqd_cpu_for_slot(i) : -1;
	same = s->has_stats && s->stats_queue == qs->queue;
	/* Readers outside (nfqctl) must not see a slot half reset. */
	nfqd_shm_write_begin(m->shm.hdr);
	if (!same) {
		/* The slot changes queue: its counters start again. */
		memset(&sh->st, 0, sizeof(sh->st));
		memset(&sh->pend, 0, sizeof(sh->pend));
		NFQD_STORE(&m->shm.ctl[i].restarts, 0);
		s->has_stats = true;
		s->stats_queue = qs->queue;
		if (s->rr == m->rr && m->rr->rs != NULL)
			memset(nfqd_rshm_slot(&m->rr->map, i), 0,
			    m->rr->rs->n * sizeof(struct nfqd_rule_ctr));
	}
	nfqd_rregion_carry(m, i, same);
	NFQD_STORE(&m->shm.ctl[i].rules_gen, m->rr->map.h.generation);
	nfqd_shm_write_end(m->shm.hdr);
	nfqd_rregion_gc(m);
	memset(&a, 0, sizeof(a));
	a.cf = &m->cf;
	a.slot = i;
	a.queue = qs->queue;
	a.cpu = s->cpu;
	a.fd = qs->fd;
	a.shm_slot = sh;
	a.restarts = m->shm.ctl[i].restarts;
	a.master = m->pid;
	a.msg_copy = qs->max_copy;
	a.prev.died = qs->dirty;
	a.prev.last_id = qs->last_id;
	a.prev.read_id = qs->read_id;
	a.prev.suspect = qs->suspect;
	a.prev.suspect_mark = qs->suspect_mark;
	a.rule_ctr = nfqd_rshm_slot(&m->rr->map, i);
	a.rate_cells = nfqd_rshm_cells(&m->rr->map);
	a.connmark = m->connmark;
	a.dnsl = m->dnsl;
	a.rules_gen = m->rules_gen;
	a.qclaim = m->qclaim;

	pid = fork();
	if (pid == -1) {
		log_warn("fork for worker %u (queue %u); retrying in 1 s", i,
		    qs->queue);
		s->respawn_at = nfqd_now_ns() + 1000 * NFQD_MS;
		return;
	}
	if (pid == 0) {
		/* Forked from a reload's yield: the worker loads nothing. */
		nfqd_names_forked();
		nfqd_isolate_forked();
		close_fds_in_child(m, qs->fd);
		a.protect_errno = protect_in_child(m, i);
		nfqd_worker_main(&a);
	}
	s->pid = pid;
	s->state = NFQD_W_RUNNING;
	s->gen = m->gen;
	s->started_ns = nfqd_now_ns();
	s->respawn_at = 0;
	s->progress = UINT64_MAX;	/* the first check takes a reading */
	s->progress_ns = s->started_ns;
	s->unread_ns = 0;
	qs->reader = (int)i;
	qs->dirty = false;
	if (m->cf.copy_range > qs->max_copy)
		qs->max_copy = m->cf.copy_range;
	NFQD_STORE(&m->shm.ctl[i].started, (uint64_t)time(NULL));
	NFQD_STORE(&m->shm.ctl[i].generation,
	    NFQD_LOAD(&m->shm.hdr->generation));
	shm_ctl(m, i);
	log_info("worker %u started: queue %u, cpu %d, pid %d", i, qs->queue,
	    s->cpu, (int)pid);
}

static void
stop_worker(struct nfqd_master *m, unsigned i, const char *why)
{
	struct nfqd_mslot	*s = &m->slots[i];

	if (s->state != NFQD_W_RUNNING)
		return;
	log_info("stopping worker %u (queue %u, pid %d): %s", i, s->queue,
	    (int)s->pid, why);
	if (kill(s->pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill(%d, SIGTERM)", (int)s->pid);
	s->state = NFQD_W_STOPPING;
	s->kills = 0;
	s->kill_at = nfqd_now_ns() + STOP_TIMEOUT_NS;
	shm_ctl(m, i);
}

static bool
any_stopping(const struct nfqd_master *m)
{
	unsigned	i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state == NFQD_W_STOPPING)
			return true;
	return false;
}

/* A worker asked to stop that did not: SIGKILL it, then let go. */
static void
stop_overdue(struct nfqd_master *m, unsigned i, uint64_t now)
{
	struct nfqd_mslot	*s = &m->slots[i];
	struct nfqd_qsock	*qs;

	if (s->state != NFQD_W_STOPPING || now < s->kill_at)
		return;
	if (s->kills >= 3) {
		/*
		 * It cannot be killed (no CAP_KILL for a worker of another
		 * user?).  Let go of it: it holds no queue alone, and exits
		 * with us (PR_SET_PDEATHSIG).
		 */
		log_errx("worker %u (pid %d) cannot be stopped; leaving it to "
		    "exit with the master", i, (int)s->pid);
		if ((qs = nfqd_qsock_find(m, s->queue)) != NULL &&
		    qs->reader == (int)i)
			qs->reader = -1;
		s->pid = 0;
		s->state = NFQD_W_IDLE;
		return;
	}
	log_warnx("worker %u (pid %d) did not stop in time; killing it", i,
	    (int)s->pid);
	if (kill(s->pid, SIGKILL) == -1)
		log_warn("kill(%d, SIGKILL)", (int)s->pid);
	s->kills++;
	s->kill_at = now + STOP_TIMEOUT_NS;
}

void
nfqd_slots_reconcile(struct nfqd_master *m)
{
	struct nfqd_mslot	*s;
	struct nfqd_qsock	*qs;
	uint64_t		 now = nfqd_now_ns();
	unsigned		 i;
	size_t			 k;
	bool			 rolling;

	if (m->nslots < m->cf.qcount)
		m->nslots = m->cf.qcount;

	/* Workers on the wrong queue or no longer wanted stop now. */
	for (i = 0; i < m->nslots; i++) {
		s = &m->slots[i];
		stop_overdue(m, i, now);
		if (s->state != NFQD_W_RUNNING)
			continue;
		if (m->stopping)
			stop_worker(m, i, "shutting down");
		else if (i >= m->cf.qcount)
			stop_worker(m, i, "no longer configured");
		else if (s->queue != m->cf.qfirst + i)
			stop_worker(m, i, "its slot serves another queue now");
	}

	/* Start what is missing, once slot and socket are free. */
	for (i = 0; i < m->cf.qcount && !m->stopping; i++) {
		s = &m->slots[i];
		if (s->state != NFQD_W_IDLE || now < s->respawn_at)
			continue;
		qs = nfqd_qsock_find(m, (uint16_t)(m->cf.qfirst + i));
		if (qs == NULL || qs->reader != -1)
			continue;
		spawn(m, i, qs);
	}

	/*
	 * Workers started with an older configuration are replaced one at a
	 * time (after the replacement of the previous one was forked above),
	 * so at most one queue at a time waits for its new worker.
	 */
	rolling = any_stopping(m);
	for (i = 0; i < m->cf.qcount && !rolling && !m->stopping; i++) {
		s = &m->slots[i];
		if (s->state == NFQD_W_RUNNING && s->gen != m->gen) {
			stop_worker(m, i, "configuration changed");
			rolling = true;
		}
	}

	/* Unbind the queues nobody reads and nobody wants. */
	for (k = 0; k < m->nqs; ) {
		qs = &m->qs[k];
		if (qs->reader == -1 && !nfqd_qsock_wanted(m, qs->queue))
			nfqd_qsock_release(m, qs, m->cf.fail_open);
		else
			k++;	/* (release moved the last one to k) */
	}

	NFQD_STORE(&m->shm.hdr->nworkers, (uint32_t)m->cf.qcount);
	for (i = m->cf.qcount; i < m->nslots; i++)
		if (m->slots[i].state == NFQD_W_IDLE && m->slots[i].rr != NULL)
			nfqd_rregion_unref(&m->slots[i]);
	nfqd_rregion_gc(m);
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state != NFQD_W_IDLE || i < m->cf.qcount ||
		    m->shm.ctl[i].state != NFQD_SLOT_EMPTY)
			shm_ctl(m, i);

	/* Slots no longer in use above the configured ones: walk no more. */
	while (m->nslots > m->cf.qcount) {
		s = &m->slots[m->nslots - 1];
		if (s->state != NFQD_W_IDLE || s->rr != NULL ||
		    m->shm.ctl[m->nslots - 1].state != NFQD_SLOT_EMPTY)
			break;
		m->nslots--;
	}
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

/*
 * The packet a dead worker was deciding, if it died deciding: one it had
 * read and not verdicted.  0 otherwise.
 */
static uint32_t
dying_on(const struct nfqd_slot_stats *st, struct nfqd_qsock *qs)
{
	uint32_t	id = (uint32_t)NFQD_LOAD(&st->deciding);

	qs->suspect_mark = (uint32_t)NFQD_LOAD(&st->deciding_mark);
	if (id == 0 || id - qs->last_id - 1 >= qs->read_id - qs->last_id)
		return 0;
	return id;
}

/* What its successor needs to know about slot i's exited worker. */
static void
left_behind(struct nfqd_master *m, unsigned i, int status, bool asked)
{
	const struct nfqd_slot_stats	*st = &m->shm.slots[i].st;
	struct nfqd_qsock		*qs;

	qs = nfqd_qsock_find(m, m->slots[i].queue);
	if (qs == NULL || qs->reader != (int)i)
		return;
	qs->reader = -1;
	/*
	 * A worker that exited on its own after SIGTERM left nothing
	 * unverdicted; after any other end, its successor releases what it
	 * left (orphans).
	 */
	qs->dirty = !(asked && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qs->last_id = (uint32_t)NFQD_LOAD(&st->last_id);
	qs->read_id = (uint32_t)NFQD_LOAD(&st->read_id);
	qs->suspect = dying_on(st, qs);
}

/*
 * An unexpected death.  Respawn at once, unless the worker keeps dying
 * right after its start: then wait, doubling the wait each time, so a
 * crash loop cannot spin the master.
 */
static void
schedule_respawn(struct nfqd_master *m, unsigned i, pid_t pid, int status,
    uint64_t now)
{
	struct nfqd_mslot	*s = &m->slots[i];
	uint64_t		 lived = now - s->started_ns;
	char			 how[128];

	if (lived < EARLY_DEATH_NS)
		s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS :
		    (s->backoff_ms * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : s->backoff_ms * 2);
	else
		s->backoff_ms = 0;
	s->respawn_at = now + s->backoff_ms * NFQD_MS;
	NFQD_STORE(&m->shm.ctl[i].restarts, m->shm.ctl[i].restarts + 1);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_errx("worker %u made a system call outside its seccomp "
		    "allow-list, and the kernel killed it: a bug in nfqd "
		    "(please report it; daemon.sandbox = false runs workers "
		    "without the filter)", i);
	describe_status(status, how, sizeof(how));
	if (s->backoff_ms == 0)
		log_warnx("worker %u (queue %u, pid %d) %s; respawning", i,
		    s->queue, (int)pid, how);
	else
		log_warnx("worker %u (queue %u, pid %d) %s %llu ms after its "
		    "start; respawning in %llu ms", i, s->queue, (int)pid, how,
		    (unsigned long long)(lived / NFQD_MS),
		    (unsigned long long)s->backoff_ms);
}

/*
 * A worker that died writing to dns_learn's table left a bucket locked
 * and half written: empty it and free it for the others.  One that
 * exited 0 left its loop, never a write, and is not looked for: the walk
 * reads the whole table, and a reload replaces every worker.
 */
static void
repair_dnsl(struct nfqd_master *m, unsigned i, pid_t pid, int status)
{
	unsigned	n;

	if (m->dnsl == NULL ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return;
	if ((n = nfqd_dnsl_repair(m->dnsl, (uint32_t)pid)) == 0)
		return;
	log_warnx("worker %u (pid %d) died writing dns_learn's table: %u "
	    "bucket%s emptied and unlocked", i, (int)pid, n,
	    n == 1 ? "" : "s");
}

void
nfqd_slots_reap(struct nfqd_master *m)
{
	struct nfqd_mslot	*s;
	unsigned		 i;
	pid_t			 pid;
	int			 status;
	bool			 asked;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < m->nslots; i++)
			if (m->slots[i].pid == pid)
				break;
		/* Not a worker: the configuration parser of a reload
		 * whose wait yields (isolate.c), or none of ours. */
		if (i == m->nslots) {
			(void)nfqd_isolate_reaped(pid, status);
			continue;
		}
		s = &m->slots[i];
		asked = s->state == NFQD_W_STOPPING;
		s->pid = 0;
		s->state = NFQD_W_IDLE;
		left_behind(m, i, status, asked);
		repair_dnsl(m, i, pid, status);

		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == NFQD_EXIT_FATAL) {
			log_errx("worker %u (queue %u, pid %d) cannot run (see "
			    "its error above); not respawning it", i, s->queue,
			    (int)pid);
			m->status = 1;
			nfqd_master_shutdown(m, "a worker failed fatally; "
			    "unbinding every queue rather than leave one "
			    "unserved");
			continue;
		}
		if (asked || m->stopping) {
			log_info("worker %u (queue %u, pid %d) stopped", i,
			    s->queue, (int)pid);
			s->respawn_at = 0;
			continue;
		}
		schedule_respawn(m, i, pid, status, nfqd_now_ns());
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
}
