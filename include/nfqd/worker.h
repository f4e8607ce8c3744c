#ifndef NFQD_WORKER_H
#define NFQD_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "nfqd/engine.h"
#include "nfqd/log.h"
#include "nfqd/orphans.h"
#include "nfqd/pcapw.h"
#include "nfqd/queue.h"
#include "nfqd/shm.h"

struct nfqd_config;
struct nfqd_slot;
struct nfqd_rule_ctr;
struct nfqd_rate_cell;
struct nfqd_dnsl_tab;
struct nfqd_qclaim_tab;

/* What the master hands a worker at fork(). */
struct nfqd_worker_args {
	const struct nfqd_config *cf;
	unsigned		  slot;		/* index in the counters region */
	uint16_t		  queue;
	int			  cpu;		/* -1: do not pin */
	int			  fd;		/* the queue's socket */
	struct nfqd_slot	 *shm_slot;
	uint64_t		  restarts;	/* the slot's (fault points) */
	int			  protect_errno; /* making the shared regions
						   read-only failed (shm.h) */
	pid_t			  master;
	uint32_t		  msg_copy;	/* largest copy range the
						   socket ever had */
	struct nfqd_prev	  prev;		/* what its last reader left */
	struct nfqd_rule_ctr	 *rule_ctr;	/* this slot's rule counters */
	struct nfqd_rate_cell	 *rate_cells;	/* shared per-rule buckets */
	bool			  connmark;	/* flows.connmark is "auto"
						   and the kernel takes it */
	struct nfqd_dnsl_tab	 *dnsl;		/* dns_learn's table, or NULL */
	uint32_t		  rules_gen;	/* of cf's rules: the
						   master's count of rule
						   changes (master.h) */
	struct nfqd_qclaim_tab	 *qclaim;	/* QUIC IDs claimed (qclaim.h) */
};

/* The worker process: never returns. */
void	nfqd_worker_main(const struct nfqd_worker_args *a)
	    __attribute__((noreturn));

/*
 * For the worker's own files: worker.c (the process and its event loop)
 * and batch.c (the packet path).
 */

/* Without a packet for this long, the worker goes back to epoll. */
#define NFQD_IDLE_MS		100
/* While traffic flows, signals, timers and links are looked at this often. */
#define NFQD_POLL_NS		10000000ull

/* A worker's state (one per process). */
struct nfqd_worker {
	const struct nfqd_config *cf;
	unsigned		  slot;
	uint16_t		  queue;
	int			  fd;		/* the queue socket */
	int			  ep;		/* epoll */
	int			  sfd;		/* signalfd: SIGTERM */
	int			  tfd;		/* timerfd: heartbeat */
	bool			  stop;		/* SIGTERM came */

	struct nfqd_slot	 *slotp;	/* our slot in the region */
	struct nfqd_slot_stats	 *shared;	/* its counters */
	struct nfqd_slot_stats	  c;		/* local, published per batch */
	struct nfqd_orphans	  orph;
	bool			  have_last;	/* c.last_id is from this worker */
	uint64_t		  now;		/* CLOCK_MONOTONIC, per batch */
	bool			  clock_first;	/* the decisions read now (and
						   wall): read before them,
						   else after the verdicts */
	struct timespec		  wall;		/* CLOCK_REALTIME, per batch,
						   with a capture file */
	struct nfqd_pcapw	  pcap;		/* log = "pcap" rules' file */

	struct nfqd_engine	  eng;
	struct nfqd_iftab	 *ift;		/* when rules name interfaces */
	int			  ift_fd;
	uint64_t		  evict_base;	/* predecessors' evictions */
	struct nfqd_slot_stats	  l7base;	/* counters it started with
						   (l7 and pcap add to them) */

	unsigned		  batch;
	size_t			  msgsize;
	struct mmsghdr		 *msgs;
	struct iovec		 *iov;
	/* By message of a batch, where rules read layer 7: the packet
	   parsed ahead (pre_nlh: its header; NULL: not) and its hint. */
	const struct nlmsghdr	**pre_nlh;
	struct nfqd_qmsg	 *pre_qm;
	const struct nfqd_qmsg	**pre_qmp;
	struct nfqd_flow_hint	 *pre_hint;
	const struct nfqd_flow_hint **pre_hintp;
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

/* Publish the counters and exit. */
void	nfqd_worker_exit(struct nfqd_worker *w, int status)
	    __attribute__((noreturn));
/* Signals, link changes and reports, without sleeping. */
void	nfqd_worker_poll(struct nfqd_worker *w, uint64_t now);

/* The queue socket is readable: batches until it is idle or to stop. */
void	nfqd_batch_read(struct nfqd_worker *w);
/* The counters into the slot, after a batch's verdicts were sent ... */
void	nfqd_batch_publish(struct nfqd_worker *w, uint64_t now);
/* ... and before (see struct nfqd_slot). */
void	nfqd_batch_publish_pending(struct nfqd_worker *w);
/* Send n messages to the kernel: 0, or -1 (counted, logged). */
int	nfqd_batch_send(void *w, const char *buf, size_t len, unsigned n);

#endif
