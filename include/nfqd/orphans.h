#ifndef NFQD_ORPHANS_H
#define NFQD_ORPHANS_H

/*
 * Orphans: packets a dead worker had read and not verdicted, still waiting
 * in the kernel, released by its successor before any verdict of its own
 * could cover them (see orphans.c and docs/architecture.md, "Orphans").
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/shm.h"
#include "nfqd/verdict.h"

/* What a dead predecessor left, as the master saw it at its death. */
struct nfqd_prev {
	bool		died;		/* the queue's last reader died */
	uint32_t	last_id;	/* last id it verdicted */
	uint32_t	read_id;	/* last id it read */
	uint32_t	suspect;	/* id it died deciding, 0: none */
	uint32_t	suspect_mark;	/* ... and its mark */
};

/*
 * Sequence numbers of the release messages: the top two bits of the
 * worker's sequence space (its verdicts count up below 2^30), and the
 * phase in bit 0.
 */
#define NFQD_ORPHAN_SEQ		0x80000000u	/* a release of one id */
#define NFQD_ORPHAN_SWEEP	0xc0000000u	/* the release up to an id */
#define NFQD_ORPHAN_TAG		0xc0000000u

/* Sends a buffer of n messages to the kernel: 0, or -1 (handled). */
typedef int (*nfqd_orphans_send_fn)(void *arg, const char *buf, size_t len,
    unsigned n);

struct nfqd_orphans {
	uint16_t		 queue;
	uint32_t		 verdict;	/* NF_* for orphans */
	enum nfqd_verdict	 setting;	/* orphan_verdict, for logs */
	uint32_t		 bit;		/* orphan_mark */
	struct nfqd_slot_stats	*c;		/* the worker's counters */
	nfqd_orphans_send_fn	 send;
	void			*arg;
	bool			 boundary;	/* the boundary is still to do */
	uint32_t		 read;		/* last id the predecessor
						   recorded reading */
	uint32_t		 asked[2];	/* per phase: releases not yet
						   answered */
	uint32_t		 found[2];	/* ... answered: it was waiting */
	uint32_t		 span[2];	/* ids the phase looked at */
	uint32_t		 first[2];
	bool			 pending;	/* the predecessor died sending: */
	struct nfqd_slot_stats	 pend;		/* its batch's counters */
	int			 proc_fd;	/* the kernel's queue counters */
	char			*proc_buf;
};

/*
 * Set up what a dead predecessor left (prev->died): c are the worker's
 * counters (read from the slot's published ones), pend the slot's pending
 * ones.  Opens what the idle release needs now, before the sandbox.
 */
void	nfqd_orphans_init(struct nfqd_orphans *o, uint16_t queue,
	    const struct nfqd_prev *prev, enum nfqd_verdict verdict,
	    uint32_t bit, struct nfqd_slot_stats *c,
	    const struct nfqd_slot_stats *pend, nfqd_orphans_send_fn send,
	    void *arg);

/* Release what the predecessor recorded reading (before reading). */
void	nfqd_orphans_recorded(struct nfqd_orphans *o,
	    const struct nfqd_prev *prev);

/* The first packet id this worker read: release every id below it. */
void	nfqd_orphans_boundary(struct nfqd_orphans *o, uint32_t first);

/* Nothing to read and the boundary still to do: take it from the kernel. */
void	nfqd_orphans_idle(struct nfqd_orphans *o);

/* The kernel's answer to one of ours (seq tagged NFQD_ORPHAN_*). */
void	nfqd_orphans_answer(struct nfqd_orphans *o, uint32_t seq, int error);

#endif
