/*
 * QUIC connection IDs claimed by flows: one table for every worker.
 *
 * A QUIC server finds a connection by the Destination Connection ID of
 * the packets it receives, whatever address and port they come from
 * (RFC 9000 5.2); nfqd reads a connection's Initials per UDP flow.  A
 * client that sent half of a blocked hello from one port and the rest
 * from another would show nfqd two incomplete hellos, both passed as
 * pending, while a server that routes by ID alone put the whole hello
 * together.  So a connection ID belongs to the first flow that reads an
 * Initial for it, until NFQD_QCLAIM_LIFE seconds past the last Initial
 * for it that nfqd passed (nfqd_qclaim_refresh()): an Initial with
 * CRYPTO data for an ID another flow claimed is refused (l7udp.c).  The
 * claim outlives its flow on purpose: a flow evicted from a full table,
 * or lost with its worker, comes back as a new flow that must not read
 * the rest of a hello the server holds the start of.
 *
 * Only the client's first ID needs a claim: a client's Initials are
 * protected with keys derived from it, so a new flow reads no Initial
 * whose Destination Connection ID is another (the server's), and a flow
 * reads its own connection's.
 *
 * The table is one shared anonymous mapping the master makes before it
 * forks any worker, so that a respawned worker sees the claims of the
 * one it replaces.  Buckets of NFQD_QCLAIM_WAYS slots, one cache line
 * each, two of which an ID's hash picks (a claim goes to the one with
 * more room); a slot is one 64-bit word, a 32-bit tag of the ID's keyed hash
 * and the 32-bit monotonic second its claim ends (0: free), changed only
 * by compare-and-swap: there are no locks, so a worker that dies leaves
 * nothing to repair.  Two workers that claim one ID at the same moment
 * may both write a slot; each then looks at the bucket again, and one
 * that sees the other's takes its own back (seq_cst: at least one of
 * them sees the other, so at most one keeps it; when both see, neither
 * does, and both Initials are refused).  A claim that finds both its
 * buckets full of live claims fails (FULL): the caller decides without
 * a claim.
 */
#ifndef NFQD_L7_QCLAIM_H
#define NFQD_L7_QCLAIM_H

#include <stddef.h>
#include <stdint.h>

#define NFQD_QCLAIM_WAYS	8	/* slots per bucket */
#define NFQD_QCLAIM_MIN		4096	/* slots at least ... */
#define NFQD_QCLAIM_MAX		(1u << 26)	/* ... and at most */
#define NFQD_QCLAIM_PART	(1u << 14) /* buckets a sweep counts: 1 MiB,
					   2^17 slots */
#define NFQD_QCLAIM_LIFE	90	/* s a claim lives past the last
					   Initial for its ID: servers give up
					   a handshake that does not move after
					   5 s (quic-go), 10 s (lsquic, msquic),
					   60 s (aioquic's idle timeout) */

struct nfqd_qclaim_tab;

enum nfqd_qclaim_res {
	NFQD_QCLAIM_TAKEN,	/* the ID is the caller's now */
	NFQD_QCLAIM_HELD,	/* another flow claimed it, and the claim
				   lives */
	NFQD_QCLAIM_FULL	/* no free slot in its bucket */
};

/* What undoes a claim just taken (nfqd_qclaim_undo()). */
struct nfqd_qclaim_ref {
	uint64_t	*slot;		/* NULL: nothing to undo */
	uint64_t	 word;		/* what was written there */
};

/*
 * The slots a table of at least slots entries has (rounded up to whole
 * buckets, within NFQD_QCLAIM_MIN .. NFQD_QCLAIM_MAX), and the bytes it
 * maps.
 */
uint64_t nfqd_qclaim_slots(uint64_t slots);
size_t	nfqd_qclaim_size(uint64_t slots);

/* A table (MAP_SHARED, zero pages touched as used), or NULL (errno). */
struct nfqd_qclaim_tab *nfqd_qclaim_create(uint64_t slots, uint64_t seed);
void	nfqd_qclaim_destroy(struct nfqd_qclaim_tab *t);
uint64_t nfqd_qclaim_capacity(const struct nfqd_qclaim_tab *t);
/* The parts of NFQD_QCLAIM_PART buckets nfqd_qclaim_sweep() counts. */
uint64_t nfqd_qclaim_parts(const struct nfqd_qclaim_tab *t);

/*
 * Claim connection ID cid[0..len) (at most 20 bytes) at monotonic second
 * now for life seconds (1 .. 2^30).  TAKEN with *ref set, or HELD, or
 * FULL (ref cleared).
 */
enum nfqd_qclaim_res nfqd_qclaim_take(struct nfqd_qclaim_tab *t,
	    const uint8_t *cid, size_t len, uint32_t now, uint32_t life,
	    struct nfqd_qclaim_ref *ref);

/*
 * An Initial for ID cid passed at second now: the ID's claim, whoever
 * holds it, is made to end life seconds on (never sooner than it did),
 * HELD; or, with no claim alive, one is taken as nfqd_qclaim_take() does.
 * A server restarts its idle timer at each Initial it reads (RFC 9000
 * 10.1): a claim must not end while the handshake it guards lives.
 */
enum nfqd_qclaim_res nfqd_qclaim_refresh(struct nfqd_qclaim_tab *t,
	    const uint8_t *cid, size_t len, uint32_t now, uint32_t life,
	    struct nfqd_qclaim_ref *ref);

/*
 * Give back a claim nfqd_qclaim_take() just took (nothing was read for
 * it), before anything else could claim that ID: the slot is the
 * caller's until then, so the word in it is still the caller's.
 */
void	nfqd_qclaim_undo(struct nfqd_qclaim_ref *ref);

/* Live claims now (a scan of the whole table: tests). */
uint64_t nfqd_qclaim_count(const struct nfqd_qclaim_tab *t, uint32_t now);

/*
 * The master's gauge of live claims, for the statistics: each call counts
 * the live claims at second now of the table's next part of
 * NFQD_QCLAIM_PART buckets (the first after the last, round), in the
 * pages a claim touched only, and sets *live_n to the sum of every
 * part's last count: a part's count is as old as the calls that counted
 * the other parts (at most 511 for the largest table, none for a table of
 * up to 2^17 slots).  Nothing is written to the mapping and nothing waits
 * for a worker; each slot counts at most once, so the sum never exceeds
 * the capacity, whatever a worker wrote.  0, or -1 (errno from
 * mincore()) with the part left at its last count.  Not thread-safe: the
 * master's alone.
 */
int	nfqd_qclaim_sweep(struct nfqd_qclaim_tab *t, uint32_t now,
	    uint64_t *live_n);
/* Tests: the mapping, as a worker that writes where it should not. */
void	*nfqd_qclaim_test_mapping(struct nfqd_qclaim_tab *t);

#endif
