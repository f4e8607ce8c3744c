#ifndef NFQD_SHM_H
#define NFQD_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/nfqd.h"

/*
 * The counters region: a file (by default /run/nfqd/nfqd.shm) that the
 * master creates before forking and every worker maps shared.  Layout
 * (version 11), in pages of NFQD_SHM_PAGE bytes:
 *
 *   struct nfqd_shm_hdr                 two cache lines, master-written,
 *                                       alone in the first page
 *   struct nfqd_slot_ctl[nslots]        from NFQD_SHM_PAGE, one cache line
 *                                       per worker slot, master-written:
 *                                       pid, queue, state, the kernel's
 *                                       drops as 64-bit totals
 *   struct nfqd_slot[nslots]            from nfqd_shm_slots_off(nslots),
 *                                       a page per slot:
 *     .st    (cache-line aligned)       written by that slot's worker only
 *     .pend  (cache-line aligned)       the same, with the batch in flight
 *
 * The pages keep workers to their own: before its system call filter
 * (which refuses mprotect), a worker makes every page of the region read-only
 * but its own slot's (nfqd_shm_protect()), so a worker that is taken over
 * cannot write the header, any slot's ctl or another worker's counters.
 * Slots that no worker ever used are never touched: the file is sparse.
 *
 * No locks and no atomic read-modify-write: every field has exactly one
 * writer, which stores it with a relaxed atomic store (a plain mov on x86);
 * readers load fields with relaxed atomic loads.  A reader sees each counter
 * whole, though two counters read one after the other may come from
 * different batches.  Counters of a slot survive worker respawns; they are
 * reset when the slot is given to a different queue.
 *
 * Outside readers (monitoring tools) check magic, version, hdr_size and slot_size
 * before trusting anything else.
 *
 * The master also rewrites counters it does not own while no worker writes
 * them: a slot given a new queue is zeroed, a slot's rule counts are carried
 * into a new rule counters region.  It does that between
 * nfqd_shm_write_begin() and nfqd_shm_write_end(), which make the header's
 * seq odd and then even again (a seqcount).  A reader that wants the slots
 * as one snapshot reads seq before and after (nfqd_shm_read_begin(),
 * nfqd_shm_read_retry()) and reads again when it changed.
 */

#define NFQD_SHM_MAGIC		0x4451464eu	/* "NFQD" little-endian */
#define NFQD_SHM_VERSION	11
/* The layout's page: the protection needs the system's to be this. */
#define NFQD_SHM_PAGE		4096

enum nfqd_slot_state {
	NFQD_SLOT_EMPTY = 0,	/* not part of the configured range */
	NFQD_SLOT_STARTING,	/* waiting for its queue or its back-off */
	NFQD_SLOT_RUNNING,
	NFQD_SLOT_STOPPING,	/* asked to finish its batch and exit */
};

struct nfqd_shm_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	hdr_size;	/* sizeof(struct nfqd_shm_hdr) */
	uint32_t	slot_size;	/* sizeof(struct nfqd_slot) */
	uint32_t	nslots;		/* slots in the region */
	uint32_t	nworkers;	/* slots 0 .. nworkers-1 are configured */
	int32_t		master_pid;
	uint32_t	generation;	/* configurations loaded, 1 at start */
	uint64_t	start_time;	/* master start, seconds since the epoch */
	uint32_t	seq;		/* odd while the master rewrites
					   counters (a seqcount; version 4) */
	uint32_t	quic_claim_capacity; /* slots of the table of QUIC
					   connection IDs, at most 2^26
					   (version 8; was padding) */
	uint64_t	dns_entries;	/* dns_learn: entries in the table
					   now (version 6) */
	uint64_t	dns_capacity;	/* ... and its size; 0: no table */
	uint32_t	quic_claims_live; /* live claims in the table of QUIC
					   connection IDs, as the master last
					   counted them (version 11, which
					   made the header two lines) */
} __attribute__((aligned(NFQD_CACHELINE)));

struct nfqd_slot_ctl {
	int32_t		pid;		/* worker, 0 when none runs */
	uint32_t	queue;		/* queue number it serves */
	int32_t		cpu;		/* CPU it is pinned to, -1: none */
	uint32_t	state;		/* enum nfqd_slot_state */
	uint32_t	generation;	/* configuration it runs (header's) */
	uint32_t	rules_gen;	/* the rule counters region it counts
					   in (that region's generation) */
	uint64_t	restarts;	/* respawns after an unexpected exit */
	uint64_t	started;	/* current worker's start, epoch seconds */
	uint64_t	full_seen;	/* checks of the kernel's counters that
					   found the slot's queue full (at
					   maxlen); was padding: 0 from nfqd
					   before it existed */
	/*
	 * The kernel's queue_dropped and user_dropped of queue qfirst + slot
	 * (32 bits, they wrap) as the master's 64-bit totals since it
	 * started (struct nfqd_kdrops), as of its last look (watchdog.c;
	 * version 10, which moved rules_gen to make room).
	 */
	uint64_t	queue_dropped;
	uint64_t	user_dropped;
} __attribute__((aligned(NFQD_CACHELINE)));

struct nfqd_slot_stats {
	uint64_t	received;	/* packet messages read from the queue */
	uint64_t	accepted;	/* verdict NF_ACCEPT */
	uint64_t	dropped;	/* verdict NF_DROP */
	uint64_t	other;		/* any other verdict (repeat, queue) */
	uint64_t	bytes;		/* original length of received packets */
	uint64_t	enobufs;	/* recv() said the socket buffer overran */
	uint64_t	skipped;	/* ids the kernel used but never delivered:
					   socket buffer full, packet dropped or,
					   with fail_open, accepted uninspected */
	uint64_t	nlerrors;	/* kernel error replies, failed sends */
	uint64_t	malformed;	/* packets given malformed_verdict:
					   headers that contradict themselves
					   (when the rules' verdict depended
					   on them), or a damaged message */
	uint64_t	truncated;	/* packets given truncated_verdict */
	uint64_t	tiny_fragments;	/* ... tiny_fragment_verdict */
	uint64_t	header_chains;	/* ... header_chain_verdict */
	uint64_t	nomatch;	/* packets no rule matched: default */
	uint64_t	rate_evictions;	/* keyed rate buckets reused while
					   not idle (rate_table_size small) */
	uint64_t	orphans;	/* packets a dead predecessor had read
					   but not verdicted, released by its
					   successor (each acknowledged by
					   the kernel, so counted exactly) */
	uint64_t	batches;	/* recvmmsg() calls that returned data */
	uint64_t	verdict_msgs;	/* verdict messages sent */
	/* The application layer (l7.h), when a rule reads it: */
	uint64_t	l7_pending;	/* packets passed while their flow's
					   first message was incomplete */
	uint64_t	l7_errors;	/* packets given l7_error_verdict */
	uint64_t	flows_untracked; /* ... flows.full_verdict */
	uint64_t	flows_active;	/* flows in the table now */
	uint64_t	flows_created;
	uint64_t	flows_evicted;	/* ended to make room */
	uint64_t	flows_timed_out;
	uint64_t	flows_full;	/* new flows that found no room */
	uint64_t	reasm_full;	/* hellos with no buffer free */
	uint64_t	l7_conflicts;	/* overlapping bytes that differed */
	uint64_t	l7_malformed;	/* messages found malformed */
	uint64_t	l7_bad_csum;	/* client segments with a wrong TCP
					   checksum (dropped unread) */
	uint64_t	l7_tls;		/* TLS ClientHellos read */
	uint64_t	l7_http;	/* HTTP requests read */
	uint64_t	l7_dns;		/* DNS messages read */
	uint64_t	l7_other;	/* first messages of no protocol nfqd
					   reads */
	uint64_t	l7_quic;	/* ClientHellos read from QUIC
					   Initials */
	uint64_t	l7_quic_refused; /* QUIC packets refused unread
					   (undecryptable, unknown version) */
	/* The capture file of rules with log = "pcap" (pcap.h; version 5): */
	uint64_t	pcap_packets;	/* packets written to it */
	uint64_t	pcap_bytes;	/* ... their original length */
	uint64_t	pcap_errors;	/* packets to capture that are not in
					   it: a write failed, or no file
					   (pcap_behind: the disk was slow) */
	uint64_t	pcap_rotations;	/* files rotated at pcap.max_bytes */
	/* dns_learn (l7/dnslearn.h; version 6): */
	uint64_t	dns_learned;	/* (address, name) entries added */
	uint64_t	dns_hits;	/* dst_name lookups that found names */
	uint64_t	dns_evictions;	/* live entries given up for room */
	uint64_t	dns_expiries;	/* entries reclaimed past their TTL */
	uint64_t	dns_refused;	/* answers not learned from: no query
					   of theirs seen, malformed, or
					   from a server not listed */
	uint64_t	dns_busy;	/* table writes given up: a bucket's
					   lock stayed held */
	uint64_t	dns_refreshed;	/* buckets whose kept marks the sweep
					   computed again for newer rules
					   (version 10) */
	/* The capture file again (version 7): */
	uint64_t	pcap_behind;	/* packets not captured: every buffer
					   still with the writer (pcapw.h) */
	/* QUIC connection IDs claimed (l7/qclaim.h; version 8): */
	uint64_t	quic_claims;	/* IDs claimed by the flow that read
					   their first Initial */
	uint64_t	quic_claims_held; /* Initials with CRYPTO data for
					   an ID another flow claimed, in
					   l7_quic_refused */
	uint64_t	quic_claims_full; /* Initials whose ID found no
					   room (flows.full_verdict), in
					   flows_untracked */
	uint64_t	l7_mptcp;	/* client SYNs that offer Multipath
					   TCP, given l7_error_verdict
					   (version 8) */
	uint64_t	last_id;	/* id of the last packet verdicted */
	uint64_t	read_id;	/* id of the last packet read, stored
					   before its batch is decided: ids
					   between the two are orphans if the
					   worker dies */
	uint64_t	heartbeat;	/* CLOCK_MONOTONIC ns of the last loop */
	/* Stored before each decision, not published with the counters: */
	uint64_t	deciding;	/* id of the packet being decided */
	uint64_t	deciding_mark;	/* ... and its mark */
} __attribute__((aligned(NFQD_CACHELINE)));

/*
 * The counters of struct nfqd_slot_stats that add up over workers, in the
 * order the statistics show them.
 */
#define NFQD_SLOT_COUNTERS(X)						\
	X(received) X(accepted) X(dropped) X(other) X(bytes) X(enobufs)	\
	X(skipped) X(nlerrors) X(malformed) X(truncated)		\
	X(tiny_fragments) X(header_chains) X(orphans) X(nomatch)	\
	X(rate_evictions) X(batches) X(verdict_msgs) X(l7_pending)	\
	X(l7_errors) X(flows_untracked) X(flows_active) X(flows_created)	\
	X(flows_evicted) X(flows_timed_out) X(flows_full) X(reasm_full)	\
	X(l7_conflicts) X(l7_malformed) X(l7_bad_csum) X(l7_mptcp)	\
	X(l7_tls) X(l7_http) X(l7_dns)					\
	X(l7_other) X(l7_quic) X(l7_quic_refused) X(quic_claims)	\
	X(quic_claims_held) X(quic_claims_full) X(pcap_packets)		\
	X(pcap_bytes) X(pcap_errors) X(pcap_behind) X(pcap_rotations)	\
	X(dns_learned)							\
	X(dns_hits) X(dns_evictions) X(dns_expiries) X(dns_refused)	\
	X(dns_busy) X(dns_refreshed)

struct nfqd_slot {
	struct nfqd_slot_stats	st;
	/*
	 * The counters with the batch whose verdicts are being sent: stored
	 * before the send, st after it.  If the worker dies in between, its
	 * successor learns from the kernel whether the send happened (were
	 * the batch's packets still waiting?) and keeps st or takes these.
	 */
	struct nfqd_slot_stats	pend;
} __attribute__((aligned(NFQD_SHM_PAGE)));

struct nfqd_shm {
	struct nfqd_shm_hdr	*hdr;
	struct nfqd_slot_ctl	*ctl;
	struct nfqd_slot	*slots;
	uint32_t		 nslots;	/* as mapped: the header's
						   can be rewritten */
	size_t			 size;
	int			 fd;
	char			 path[4096];
};

/*
 * The rule counters region: a second file, stats.shm + ".rules", made anew
 * by the master for each set of rules (and replaced by rename, so readers
 * see one whole region or the other):
 *
 *   struct nfqd_rshm_hdr                 one cache line
 *   char name[nrules][64]                rule names, in rule order, from
 *                                        NFQD_SHM_PAGE
 *   struct nfqd_rule_ctr [nslots][nrules]  per worker slot, from a page
 *                                        boundary, each slot's array in
 *                                        pages of its own, written by
 *                                        that slot's worker only
 *   struct nfqd_rate_cell [ncells]       shared per-rule rate buckets,
 *                                        from a page boundary
 *
 * The header gives every offset (readers take them from it).  A worker
 * makes the header, the names and the other slots' arrays read-only, and
 * every older region whole (nfqd_rshm_protect()).
 */
#define NFQD_RSHM_MAGIC		0x4c55524eu	/* "NRUL" little-endian */
#define NFQD_RSHM_VERSION	1
#define NFQD_RSHM_NAME		64

struct nfqd_rshm_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint32_t	hdr_size;
	uint32_t	nrules;
	uint32_t	nslots;
	uint32_t	ncells;
	uint32_t	generation;	/* regions made by this master, 1 for
					   the first; slots' ctl.rules_gen */
	uint32_t	pad;
	uint64_t	names_off;
	uint64_t	ctr_off;
	uint64_t	slot_stride;	/* bytes between slots' arrays */
	uint64_t	cells_off;
} __attribute__((aligned(NFQD_CACHELINE)));

struct nfqd_rshm {
	struct nfqd_rshm_hdr	*hdr;
	struct nfqd_rshm_hdr	 h;	/* the header as made or checked: the
					   region's own, every worker can
					   write; offsets and counts are
					   read here */
	size_t			 size;
	uint64_t		 dev, ino;	/* the file made (create) */
	char			 path[4096];
};

/* Per rule and worker slot, in the rule counters region. */
struct nfqd_rule_ctr {
	uint64_t	hits;
	uint64_t	bytes;		/* original packet lengths */
};

struct nfqd_ruleset;
struct nfqd_rate_cell;

/*
 * Master: make the region for rs with nslots slots under a new name and
 * rename it over path (only a regular file of ours is replaced).  -1 with
 * a message in err naming the call and the file; on success err is "" or
 * a note worth a warning (a temporary name was taken).
 */
int	nfqd_rshm_create(struct nfqd_rshm *r, const char *path,
	    const struct nfqd_ruleset *rs, uint32_t nslots, uint32_t generation,
	    char *err, size_t errlen);
int	nfqd_rshm_open_ro(struct nfqd_rshm *r, const char *path, char *err,
	    size_t errlen);
void	nfqd_rshm_close(struct nfqd_rshm *r);
/*
 * A worker, before its system call filter: make the region read-only but
 * slot keep's array and the rate cells; keep -1: all of it (a region the
 * worker does not count in).  Errors as nfqd_shm_protect().
 */
int	nfqd_rshm_protect(const struct nfqd_rshm *r, int64_t keep);
/* Unmap, and remove the file if it is still this region's. */
void	nfqd_rshm_destroy(struct nfqd_rshm *r);
struct nfqd_rule_ctr *nfqd_rshm_slot(const struct nfqd_rshm *r,
	    uint32_t slot);
struct nfqd_rate_cell *nfqd_rshm_cells(const struct nfqd_rshm *r);
const char *nfqd_rshm_name(const struct nfqd_rshm *r, uint32_t rule);

#define NFQD_STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define NFQD_LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

size_t	nfqd_shm_size(uint32_t nslots);
/* Where the slots begin: after the header's page and the ctl pages. */
size_t	nfqd_shm_slots_off(uint32_t nslots);
/*
 * The slots this process mapped: its own count, where the header's
 * nslots is the region's, which any worker can write.
 */
uint32_t nfqd_shm_nslots(const struct nfqd_shm *shm);

/*
 * Master: create and map the region, locked, replacing a stale one (a
 * regular file of ours that no running nfqd has locked; EBUSY if one has)
 * by rename.  err as for nfqd_rshm_create().
 */
int	nfqd_shm_create(struct nfqd_shm *shm, const char *path, uint32_t nslots,
	    int master_pid, char *err, size_t errlen);
/*
 * A worker, before its system call filter: make the region read-only but
 * slot keep's counters.  -1 with errno EOPNOTSUPP when the system's page
 * is not NFQD_SHM_PAGE (nothing changed), or mprotect()'s.
 */
int	nfqd_shm_protect(const struct nfqd_shm *shm, uint32_t keep);
/* Reader: map an existing region read-only, checking its header. */
int	nfqd_shm_open_ro(struct nfqd_shm *shm, const char *path, char *err,
	    size_t errlen);
void	nfqd_shm_close(struct nfqd_shm *shm);
/* Master at exit: unmap, and remove the file if it is still this one. */
void	nfqd_shm_destroy(struct nfqd_shm *shm);

/*
 * The master around a rewrite of counters it does not own (see above).
 * A reader: seq = nfqd_shm_read_begin(hdr), which waits (up to about a
 * second; false then) while a rewrite is under way; read; then
 * nfqd_shm_read_retry(hdr, seq) is true when the snapshot must be taken
 * again.
 */
void	nfqd_shm_write_begin(struct nfqd_shm_hdr *h);
void	nfqd_shm_write_end(struct nfqd_shm_hdr *h);
bool	nfqd_shm_read_begin(const struct nfqd_shm_hdr *h, uint32_t *seq);
bool	nfqd_shm_read_retry(const struct nfqd_shm_hdr *h, uint32_t seq);

/* Copy a slot's counters with relaxed loads. */
void	nfqd_slot_stats_read(const struct nfqd_slot_stats *src,
	    struct nfqd_slot_stats *dst);
/* Store a worker's local counters into its slot (the only writer). */
void	nfqd_slot_stats_publish(struct nfqd_slot_stats *dst,
	    const struct nfqd_slot_stats *src);

#endif
