#ifndef NFQD_MASTER_H
#define NFQD_MASTER_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nfqd/config.h"
#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/procfs.h"
#include "nfqd/shm.h"

struct nfqd_overrides;
struct nfqd_ruleset;
struct nfqd_stats;

/*
 * Bind the queues, fork the workers and supervise them until SIGTERM or
 * SIGINT.  cf is the validated configuration; its rules become the
 * master's (cf->rules is NULL on return).  Returns the exit status.
 */
int	nfqd_master_run(struct nfqd_config *cf,
	    const struct nfqd_overrides *ov, bool detach);
/* dns_learn's entries into the counters region's header. */
struct nfqd_master;
void	nfqd_master_dnsl_publish(struct nfqd_master *m);
/*
 * The live QUIC connection ID claims, as a sweep counts them, likewise:
 * parts of the table counted now, or 0: one, if a second has passed
 * since the loop's last.
 */
void	nfqd_master_qclaim_publish(struct nfqd_master *m, uint64_t parts);

/*
 * The slots the table of claimed QUIC connection IDs wants for cf's
 * flows.max and queues (it is made once, at start: master.c).
 */
uint64_t nfqd_master_qclaim_want(const struct nfqd_config *cf);

/*
 * For the master's own files, one job each:
 *
 *   master.c	the context, the event loop, statistics output, start and
 *		the one way out
 *   qsocks.c	the queue sockets it holds
 *   slots.c	worker slots: spawn, stop, reap, respawn (reconcile)
 *   rregion.c	rule counter regions, counts carried across reloads
 *   reload.c	SIGHUP
 *   watchdog.c	the kernel's counters: stuck workers, drops, full queues
 *   daemon.c	detaching, the pidfile, where the log goes
 *
 * Everything runs in the master's one thread; no locks.
 */

#define NFQD_MS			1000000ull

/* A queue socket the master holds (qsocks.c). */
struct nfqd_qsock {
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
 * A rule counters region and the rules it counts (rregion.c).  Slots point
 * at the region their counters are in; a slot moves to the current region
 * (its counters of unchanged rules carried over) when it starts a worker.
 */
struct nfqd_rregion {
	struct nfqd_rshm	 map;
	struct nfqd_ruleset	*rs;		/* owned; NULL: no rules */
	unsigned		 refs;		/* slots counting here */
	struct nfqd_rregion	*next;		/* older regions */
};

enum nfqd_wstate {
	NFQD_W_IDLE,			/* no process */
	NFQD_W_RUNNING,
	NFQD_W_STOPPING,		/* sent SIGTERM, waiting for exit */
};

/* The master's view of a worker slot (the shared region has the counters). */
struct nfqd_mslot {
	pid_t		 pid;
	enum nfqd_wstate state;
	uint16_t	 queue;		/* queue of the running worker */
	int		 cpu;
	uint32_t	 gen;		/* configuration it started with */
	uint64_t	 started_ns;
	uint64_t	 respawn_at;	/* no start before, after a death */
	uint64_t	 kill_at;	/* SIGKILL deadline while stopping */
	uint64_t	 backoff_ms;
	bool		 has_stats;	/* region counters are stats_queue's */
	uint16_t	 stats_queue;
	struct nfqd_rregion *rr;	/* where its rule counters are */
	unsigned	 kills;		/* SIGKILLs since asked to stop */
	uint64_t	 progress;	/* verdicts seen at the last check */
	uint64_t	 progress_ns;	/* when they last moved */
	uint64_t	 unread_ns;	/* since when packets wait unread on
					   its socket (watchdog), 0: none */
};

/* The drops of a slot's queue reported so far (watchdog.c). */
struct nfqd_kseen {
	uint64_t	queue_dropped;	/* the totals (kd) at the last report */
	uint64_t	user_dropped;
	uint64_t	warned_ns;	/* last warning about them */
	bool		valid;
};

/* The watchdog's state (watchdog.c). */
struct nfqd_watch {
	uint64_t		next_ns;	/* next look, 0: at once */
	uint64_t		last_ns;	/* the last look, 0: none */
	struct nfqd_kseen	seen[NFQD_MAX_WORKERS];
	/* The kernel's drops of queue qfirst + slot, 64 bits; kept when
	   the range moves (nfqd_kdrops_fold() restarts a slot's own). */
	struct nfqd_kdrops	kd[NFQD_MAX_WORKERS];
	/* The queue (+ 1; 0: none) each slot's full_seen counts for. */
	uint32_t		fullq[NFQD_MAX_WORKERS];
	struct nfqd_logthrottle	full_lt[NFQD_MAX_WORKERS];
	struct nfqd_kqueue	kq[NFQD_MAX_WORKERS];	/* scratch */
};

/* The master (one per process). */
struct nfqd_master {
	struct nfqd_config		 cf;	/* in force */
	const struct nfqd_overrides	*ov;	/* command line, for reloads */
	uint32_t			 gen;	/* bumped when workers must
						   change */
	uint32_t			 rules_gen; /* bumped when a reload
						   changes the rules or their
						   name sets: what dns_learn's
						   kept marks follow (a new
						   rule region for more queues
						   alone keeps it) */
	bool				 connmark;	/* flows.connmark
						   is "auto" and the kernel
						   takes it: for workers */
	pid_t				 pid;
	bool				 daemonized;
	bool				 stopping;
	int				 status;	/* exit status */
	sigset_t			 sigs;	/* what the loop reads */
	int				 ep;
	int				 sfd;	/* signalfd */
	int				 tfd;	/* timerfd */
	int				 pidfd;
	int				 ready_fd; /* -d: tell the parent */
	struct nfqd_shm			 shm;
	struct nfqd_dnsl_tab		*dnsl;	/* dns_learn's table, made
						   at start; NULL: off */
	struct nfqd_qclaim_tab		*qclaim; /* QUIC IDs claimed, made
						   at start */
	bool				 qclaim_warned; /* its count
						   failed (said once) */
	uint64_t			 qclaim_next_ns; /* its next
						   count in the loop */

	struct nfqd_qsock		 qs[2 * NFQD_MAX_WORKERS];
	size_t				 nqs;

	struct nfqd_mslot		 slots[NFQD_MAX_WORKERS];
	/*
	 * Slots at and above nslots are idle, hold no rule region and show
	 * an empty control line: the loops over slots stop there, so that a
	 * wake-up of the master costs what the configured workers need, not
	 * NFQD_MAX_WORKERS (nfqd_slots_reconcile() keeps it).
	 */
	unsigned			 nslots;
	/* The kernel's queue counters, kept open (watchdog, statistics). */
	struct nfqd_procfs		 proc;

	struct nfqd_rregion		*rr;		/* current */
	struct nfqd_rregion		*rr_old;	/* still referenced */
	uint32_t			 rr_gen;	/* regions made */
	char				 rr_path[PATH_MAX + 8];

	struct nfqd_watch		 watch;

	struct nfqd_stats		*stats;
	uint32_t			 stats_rules_cap;
	uint64_t			 next_stats_ns;

	/*
	 * While a reload loads, the loop's work goes on from the load's
	 * yield (yield.h; master.c, load_tick()): when it looks next, and
	 * the SIGHUP and SIGUSR1 it leaves for after.
	 */
	uint64_t			 load_next_ns;
	bool				 hup_later;
	bool				 usr1_later;
};

/* master.c */
void	nfqd_master_shutdown(struct nfqd_master *m, const char *why);
/* 0, or -1 (logged): cf's workers would be of a user we cannot signal. */
int	nfqd_master_can_kill(const struct nfqd_config *cf);
/*
 * flows.connmark: ask the kernel whether it takes conntrack marks in
 * verdicts (when the setting is "auto"), log the answer, set m->connmark.
 */
void	nfqd_master_connmark(struct nfqd_master *m);

/* qsocks.c: the queue sockets. */
bool	nfqd_qsock_wanted(const struct nfqd_master *m, uint16_t q);
struct nfqd_qsock *nfqd_qsock_find(struct nfqd_master *m, uint16_t q);
/* Bind every queue of cf that has no socket yet; *added: how many. */
int	nfqd_qsock_bind(struct nfqd_master *m, const struct nfqd_config *cf,
	    size_t *added);
/* Undo the last n bindings (a refused start or reload). */
void	nfqd_qsock_unbind_last(struct nfqd_master *m, size_t n,
	    bool fail_open);
/* Stop serving a queue: release what waits (with fail_open), unbind. */
void	nfqd_qsock_release(struct nfqd_master *m, struct nfqd_qsock *qs,
	    bool fail_open);
/* The receive buffer of every wanted queue to cf.rcvbuf. */
void	nfqd_qsock_set_rcvbuf(struct nfqd_master *m);

/* slots.c: what runs made to match what the configuration wants. */
void	nfqd_slots_reconcile(struct nfqd_master *m);
/* Collect exited workers; respawn later (reconcile), with back-off. */
void	nfqd_slots_reap(struct nfqd_master *m);

/* rregion.c: rule counter regions. */
struct nfqd_rregion *nfqd_rregion_new(struct nfqd_master *m,
	    struct nfqd_ruleset *rs, uint32_t nslots);
/* Make rr the current region; the old one stays while slots count in it. */
void	nfqd_rregion_install(struct nfqd_master *m, struct nfqd_rregion *rr);
/* Free the old regions no slot counts in any more. */
void	nfqd_rregion_gc(struct nfqd_master *m);
void	nfqd_rregion_unref(struct nfqd_mslot *s);
/* Slot i's counters into the current region (its worker has exited). */
void	nfqd_rregion_carry(struct nfqd_master *m, unsigned i,
	    bool same_queue);
/* Per-rule totals over the slots into m->stats. */
void	nfqd_rregion_collect(struct nfqd_master *m);
/* Every region freed, the current one's file removed. */
void	nfqd_rregion_destroy_all(struct nfqd_master *m);

/* reload.c */
void	nfqd_master_reload(struct nfqd_master *m);

/* watchdog.c: looks at the kernel's counters when due. */
void	nfqd_watchdog_tick(struct nfqd_master *m, uint64_t now);
/* The slots moved to other queues: forget what was seen. */
void	nfqd_watchdog_moved(struct nfqd_master *m);
/* The master unbound queue q: its drop counters' instance ended. */
void	nfqd_watchdog_unbound(struct nfqd_master *m, uint16_t q);

/* daemon.c */
void	nfqd_daemon_logging(struct nfqd_master *m);
void	nfqd_daemon_detach(struct nfqd_master *m);
/* -d: the queues are bound and the workers forked; the parent may exit. */
void	nfqd_daemon_ready(struct nfqd_master *m);
int	nfqd_pidfile_open(const char *path);
int	nfqd_pidfile_write(int fd, pid_t pid);
/* Remove the pidfile if its name is still our file; close it. */
void	nfqd_pidfile_close(struct nfqd_master *m);

#endif
