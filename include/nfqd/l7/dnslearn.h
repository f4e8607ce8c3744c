/*
 * Names learned from DNS answers (dns_learn): which names a destination
 * address was given for, taken from the A and AAAA answers of queries
 * nfqd saw, for the rule key dst_name.
 *
 * One table for every worker (a query, its answer and the connection
 * that follows are often on different queues), in one shared mapping
 * the master makes before it forks them (nfqd_dnsl_create()), so that a
 * respawned worker finds it as it was:
 *
 *   header                       counters (sizes and the hash seed are
 *                                each process's own copy, made before
 *                                the first fork: any worker can write
 *                                the mapping)
 *   buckets[nb]                  one cache line each: a lock word, a
 *                                seqcount, and per way an expiry, a
 *                                16-bit tag of the address's hash and
 *                                a bit: kept (the line had room), and
 *                                the rules generation of those bits
 *   entries[nb][WAYS]            (family, address, name) of each way
 *   pending buckets[NFQD_DNSL_PBUCKETS]   queries waiting for answers
 *
 * An address's names are (address, name) entries in the bucket its hash
 * picks: at most NFQD_DNSL_WAYS names per bucket, so per address.  A full
 * bucket gives way to the entry that expires first among those whose
 * name no rule's dst_name names; only when every entry's is, to the one
 * that expires first (an entry is marked kept when it is learned, as the
 * rules then say: nfqd_dnsl_keep(); after a reload, the sweep computes
 * the marks again with the new rules).  Nothing is
 * allocated after nfqd_dnsl_create(); max_entries entries take
 * nfqd_dnsl_size(max_entries) bytes, whatever is inserted.
 *
 * Crash safety.  A writer takes a bucket's lock word with a
 * compare-and-swap, writing its pid into it (it gives up after
 * NFQD_DNSL_LOCK_TRIES tries and counts it: never spins for long), makes
 * the seqcount odd, writes, makes it even, and frees the lock.  Readers
 * take no lock: they copy what they need between two reads of the
 * seqcount and try again when it moved or was odd, NFQD_DNSL_READ_TRIES
 * times, then take the bucket as empty.  A worker that dies holding a
 * lock leaves the seqcount odd: readers see an empty bucket, writers
 * give up on it, until the master reaps the worker and calls
 * nfqd_dnsl_repair() with its pid, which empties every bucket that pid
 * holds (its entries may be torn) and frees it.
 */
#ifndef NFQD_L7_DNSLEARN_H
#define NFQD_L7_DNSLEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/config.h"
#include "nfqd/l7/l7parse.h"
#include "nfqd/ruleset.h"

#define NFQD_DNSL_WAYS		8	/* entries per bucket: names per
					   address at most */
#define NFQD_DNSL_PBUCKETS	4096	/* pending query buckets */
#define NFQD_DNSL_PWAYS		4	/* ... of 4 queries each */
#define NFQD_DNSL_PENDING_S	5	/* a query waits this long for its
					   answer */
#define NFQD_DNSL_CHAIN_MAX	8	/* names on a CNAME chain, the
					   question's included */
#define NFQD_DNSL_CNAMES_MAX	16	/* CNAME records of an answer read */
#define NFQD_DNSL_RRS_MAX	64	/* answer records read */
#define NFQD_DNSL_ADDRS_MAX	32	/* addresses learned from an answer */
#define NFQD_DNSL_LOCK_TRIES	256
#define NFQD_DNSL_READ_TRIES	4
#define NFQD_DNSL_REFRESH_MAX	256	/* buckets one sweep computes the
					   marks of again, at most */

#define NFQD_DNSL_MIN_ENTRIES	16
#define NFQD_DNSL_MAX_ENTRIES	16777216

struct nfqd_pkt;
struct nfqd_dnsl_tab;		/* the shared mapping */

/* What a process counts of its own work on the table. */
struct nfqd_dnsl_counts {
	uint64_t	learned;	/* (address, name) entries added */
	uint64_t	hits;		/* lookups that found a name */
	uint64_t	evictions;	/* live entries given up for room */
	uint64_t	expiries;	/* entries found past their TTL and
					   reclaimed */
	uint64_t	refused;	/* answers not learned from: no
					   matching query, malformed, or
					   from a server not listed */
	uint64_t	busy;		/* writes given up: lock held */
	uint64_t	refreshed;	/* buckets whose marks the sweep
					   computed again for newer rules */
};

/* A process's handle on the table. */
struct nfqd_dnst;
struct nfqd_dnsl {
	struct nfqd_dnsl_tab	*t;
	struct nfqd_dnst	*tcp;	/* DNS over TCP streams, this
					   process's own (dnstcp.h); NULL:
					   none */
	uint32_t		 min_ttl, max_ttl;	/* seconds */
	uint32_t		 self;	/* lock word this process writes */
	struct nfqd_dnsl_counts	 c;
	/* dns_learn.servers: the servers whose answers are learned from
	   (nservers 0: any), nfqd_dnsl_servers(). */
	struct nfqd_cidr	 servers[NFQD_DNSL_SERVERS_MAX];
	uint32_t		 nservers;
	/* Whether a rule's dst_name names a name (nfqd_dnsl_keep());
	   NULL: none does. */
	bool			(*keeps)(const void *arg, const char *name,
				    size_t len);
	const void		*keeps_arg;
	uint32_t		 gen;	/* of those rules: grows with each
					   new rule set; 0: none known */
};

/* The names one lookup found (copied out of the table). */
struct nfqd_dnames {
	unsigned	n;
	uint8_t		len[NFQD_DNSL_WAYS];
	char		name[NFQD_DNSL_WAYS][NFQD_L7_NAME_MAX + 1];
};

/* Bytes of the mapping for max_entries entries. */
size_t	nfqd_dnsl_size(uint32_t max_entries);

/*
 * Master (or a test): map a table for max_entries entries (shared,
 * anonymous, pages touched as used).  NULL with errno.  seed: the hash
 * seed (a random one from the caller, so that addresses an attacker
 * chooses do not all land in one bucket).
 */
struct nfqd_dnsl_tab *nfqd_dnsl_create(uint32_t max_entries, uint64_t seed);
void	nfqd_dnsl_destroy(struct nfqd_dnsl_tab *t);
/* The entries in use now (expired ones not yet reclaimed included). */
uint64_t nfqd_dnsl_entries(const struct nfqd_dnsl_tab *t);
uint64_t nfqd_dnsl_capacity(const struct nfqd_dnsl_tab *t);
size_t	nfqd_dnsl_mapped(const struct nfqd_dnsl_tab *t);

void	nfqd_dnsl_init(struct nfqd_dnsl *d, struct nfqd_dnsl_tab *t,
	    uint32_t min_ttl, uint32_t max_ttl, uint32_t self);
/*
 * Learn only from the servers that match v[0..n) (n <=
 * NFQD_DNSL_SERVERS_MAX; 0, as after nfqd_dnsl_init(): any): queries to
 * others are not kept, and their answers are refused.
 */
void	nfqd_dnsl_servers(struct nfqd_dnsl *d, const struct nfqd_cidr *v,
	    uint32_t n);
/*
 * Which names the rules look for (keeps(arg, name, len) true: a rule's
 * dst_name names it; NULL, as after nfqd_dnsl_init(): none): their
 * entries are marked kept as they are learned and give way last in a
 * full bucket.  Asked once per name of an answer taken, never per packet
 * looked up, and by the sweep for each live entry of a bucket whose
 * marks older rules computed.  gen: those rules' generation, larger for
 * newer rules (the master's count of rule changes; 0: none known, and such
 * a process refreshes nothing).
 */
void	nfqd_dnsl_keep(struct nfqd_dnsl *d,
	    bool (*keeps)(const void *arg, const char *name, size_t len),
	    const void *arg, uint32_t gen);
/* Whether an entry for name is to be marked kept. */
bool	nfqd_dnsl_kept(const struct nfqd_dnsl *d, const char *name,
	    size_t len);
/*
 * The process's table of DNS-over-TCP streams (allocates; call it before
 * the sandbox, as getrandom() seeds its hash).  0, or -1 with errno:
 * TCP is then read a segment at a time.  nfqd_dnsl_fini() frees it.
 */
int	nfqd_dnsl_tcp_init(struct nfqd_dnsl *d);
void	nfqd_dnsl_fini(struct nfqd_dnsl *d);

/*
 * Learn name (normalized, len bytes) for the address (4 or 16 bytes by
 * family), for ttl seconds clamped to [min_ttl, max_ttl], at monotonic
 * second now; keep: mark the entry kept (nfqd_dnsl_kept()), or unmark
 * it when it was.  0, or -1 when the bucket's lock could not be had.
 */
int	nfqd_dnsl_learn(struct nfqd_dnsl *d, uint8_t family,
	    const uint8_t *addr, const char *name, size_t len, uint32_t ttl,
	    uint32_t now, bool keep);

/*
 * The names learned for the address, alive at second now, into out
 * (allocation-free; out->n 0 when none, or when the bucket stayed torn).
 */
unsigned nfqd_dnsl_lookup(struct nfqd_dnsl *d, uint8_t family,
	    const uint8_t *addr, uint32_t now, struct nfqd_dnames *out);

/*
 * Reclaim expired entries of the next `buckets` buckets (shared cursor),
 * and compute again the marks of those whose marks are from older rules
 * than d's (nfqd_dnsl_keep()'s gen), NFQD_DNSL_REFRESH_MAX of them at
 * most; the others wait for the next pass.  A bucket that needs neither
 * is not written.
 */
void	nfqd_dnsl_sweep(struct nfqd_dnsl *d, uint32_t now, uint32_t buckets);

/*
 * Master: free every lock the dead process pid holds, emptying the
 * buckets it was writing.  Returns how many it freed.
 */
unsigned nfqd_dnsl_repair(struct nfqd_dnsl_tab *t, uint32_t pid);

/* Tests: the mapping, as a worker that writes where it should not. */
void	*nfqd_dnsl_test_mapping(struct nfqd_dnsl_tab *t);
/*
 * Tests: the names of the live entries marked kept in the bucket of the
 * address (any address's), into kept; the bucket's generation and
 * seqcount.  Returns kept->n.
 */
unsigned nfqd_dnsl_test_kept(struct nfqd_dnsl_tab *t, uint8_t family,
	    const uint8_t *addr, struct nfqd_dnames *kept, uint32_t *gen,
	    uint32_t *seq);
/* Tests: hold a bucket's lock as pid (the state a dying writer leaves). */
bool	nfqd_dnsl_test_lock(struct nfqd_dnsl_tab *t, uint8_t family,
	    const uint8_t *addr, uint32_t pid);
/* Tests: end the write nfqd_dnsl_test_lock() began, freeing the lock. */
void	nfqd_dnsl_test_unlock(struct nfqd_dnsl_tab *t, uint8_t family,
	    const uint8_t *addr);

/*
 * The pending queries (anti-spoofing): a query seen from client
 * (address, port) to server over UDP or TCP with id, for a name and type,
 * waits NFQD_DNSL_PENDING_S; nfqd_dnsl_take() finds and removes the one
 * an answer matches on every one of those (the name as normalized, so
 * without regard to case).  A query asked again while it waits (a
 * client's retransmission) is the one pending query still: one answer
 * takes it.  now_ns: monotonic.
 */
struct nfqd_dnsl_query {
	uint8_t		family;
	uint8_t		client[16], server[16];
	uint8_t		proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t	port;		/* the client's */
	uint16_t	id, qtype;
	uint8_t		qlen;
	char		qname[NFQD_L7_NAME_MAX + 1];
};

int	nfqd_dnsl_expect(struct nfqd_dnsl *d, const struct nfqd_dnsl_query *q,
	    uint64_t now_ns);
bool	nfqd_dnsl_take(struct nfqd_dnsl *d, const struct nfqd_dnsl_query *q,
	    uint64_t now_ns);

/* Why an answer is refused (nfqd_dnsl_answer_parse()). */
enum nfqd_dnsl_why {
	NFQD_DNSL_R_NONE = 0,
	NFQD_DNSL_R_HEADER,	/* not a response, or the question unread */
	NFQD_DNSL_R_RR,		/* a record cut short or its name refused */
	NFQD_DNSL_R_RDLEN,	/* an A/AAAA/CNAME whose rdata has the wrong
				   length */
	NFQD_DNSL_R_CHAIN_LOOP,	/* a CNAME that leads back on the chain */
	NFQD_DNSL_R_CHAIN_LONG,	/* a chain over NFQD_DNSL_CHAIN_MAX names */
	NFQD_DNSL_R_CHAIN_FORK,	/* two CNAMEs for one name */
	NFQD_DNSL_R_MAX
};

/* What an answer gives: the chain from the question, the addresses. */
struct nfqd_dnsl_answer {
	uint16_t	id, qtype, rcode;
	uint8_t		why;		/* enum nfqd_dnsl_why */
	uint8_t		nchain;		/* names on the chain, 1 + CNAMEs */
	uint8_t		chain_len[NFQD_DNSL_CHAIN_MAX];
	char		chain[NFQD_DNSL_CHAIN_MAX][NFQD_L7_NAME_MAX + 1];
	uint8_t		naddrs;
	uint16_t	ignored;	/* records of the question's type whose
					   owner is not on the chain */
	struct {
		uint8_t		family;
		uint8_t		link;	/* chain[0..link] lead to it */
		uint32_t	ttl;	/* the least along the way */
		uint8_t		addr[16];
	} addrs[NFQD_DNSL_ADDRS_MAX];
};

/*
 * A DNS response msg[0..len): its question (one), then the answer
 * section's CNAME chain from the question's name and the records of the
 * question's type (A or AAAA) on it.  0 (a->addrs may be empty: an error
 * rcode, no answer), or -1 with a->why.
 */
int	nfqd_dnsl_answer_parse(const uint8_t *msg, size_t len,
	    struct nfqd_dnsl_answer *a);
const char *nfqd_dnsl_why_str(unsigned why);

/*
 * A UDP datagram or a TCP segment to or from port 53 (pi parsed, pay its
 * payload of pi->paylen bytes, seq the TCP sequence number): a query is
 * expected, an answer taken when expected, and learned from.  Over TCP,
 * the length-prefixed messages of each direction of a connection, put
 * together across segments (dnstcp.h; with no stream table, only those
 * whole in a segment from its first byte on); a message from port 53
 * that cannot be read counts as an answer refused.  Never changes what
 * happens to the packet.
 */
void	nfqd_dnsl_packet(struct nfqd_dnsl *d, const struct nfqd_pkt *pi,
	    const uint8_t *pay, uint32_t seq, uint64_t now_ns);

#endif
