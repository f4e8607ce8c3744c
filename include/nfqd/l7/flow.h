/*
 * The per-worker flow table: both directions of a 5-tuple are one flow,
 * entries preallocated at the worker's start (no allocation per packet),
 * found through a hash keyed with a per-table random seed (an attacker
 * cannot aim packets at one chain), kept on one list per class, most
 * recently seen first, so that expiry and eviction take the oldest in
 * O(1).
 *
 * Classes and what ends a flow of each:
 *   WAIT     undecided, nothing of the client's stream buffered: the
 *            TCP timeout; evicted when the table is full, after every
 *            decided flow
 *   REASM    undecided with a partial hello buffered: the hello timeout;
 *            never evicted to make room (an attacker filling the table
 *            must not be able to end a flow in the middle of its hello)
 *   DECIDED  TCP, decided: the TCP timeout; evicted first (oldest)
 *   CLOSING  TCP after a FIN or RST: the closing timeout; evicted first
 *   UDP      any UDP flow: the UDP timeout; evicted first
 *
 * A flow past its timeout may be kept in another class by the table's
 * expire hook (src/l7/ keeps a TCP flow whose hello it began to read,
 * lost, in WAIT).
 */
#ifndef NFQD_L7_FLOW_H
#define NFQD_L7_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#define NFQD_FLOW_NONE		UINT32_MAX

enum nfqd_flow_class {
	NFQD_FC_FREE = 0,	/* on the free list */
	NFQD_FC_WAIT,
	NFQD_FC_REASM,
	NFQD_FC_DECIDED,
	NFQD_FC_CLOSING,
	NFQD_FC_UDP,
	NFQD_FC_MAX
};

/*
 * Both endpoints, in a canonical order (the lower address and port
 * first), so that both directions give the same key.  Hashed and
 * compared whole.
 */
struct nfqd_flow_key {
	uint8_t		addr[2][16];	/* IPv4 in the first 4 bytes */
	uint16_t	port[2];
	uint8_t		family;
	uint8_t		proto;
	uint8_t		pad[2];		/* zero */
};

struct nfqd_reasm;

#define NFQD_FLOW_SIZE	512		/* bytes per entry, checked below */

/*
 * Bytes at the start of l7data that the table zeroes when it hands out an
 * entry; the rest of l7data keeps what the entry's last flow left there
 * (an add then writes 4 cache lines of the entry, not 8).  Whoever owns
 * l7data writes the rest before reading it.
 */
#define NFQD_FLOW_L7ZERO	128

/*
 * One flow.  The table owns key, hash, the links and cls; the application
 * layer (src/l7/) owns the rest, which the table zeroes when it hands out
 * an entry, up to NFQD_FLOW_L7ZERO bytes of l7data.
 */
struct nfqd_flow {
	struct nfqd_flow_key key;
	uint32_t	hnext;		/* next in the hash chain */
	uint32_t	prev, next;	/* in the list of its class */
	uint32_t	hash;		/* nfqd_flow_hash() of key */
	uint64_t	last;		/* ns, when a packet of it was last seen */
	uint8_t		cls;		/* enum nfqd_flow_class */
	uint8_t		client;		/* key endpoint (0, 1) that opened it */
	uint16_t	flags;		/* NFQD_FLOW_F_* (l7 owns these) */
	uint32_t	seq0;		/* client stream byte 0's sequence */
	struct nfqd_reasm *ra;		/* the client's first bytes, while
					   a hello is incomplete */
	/* owned by src/l7/: what the flow said and what was decided */
	uint8_t		l7res;		/* enum nfqd_l7_res of its hello */
	uint8_t		ttl;		/* TCP: the highest TTL or hop limit
					   of the client's SYNs */
	uint8_t		decided;	/* verdict below applies to it */
	uint8_t		has_mark;
	/*
	 * A TCP flow's first message is read before it is decided, and
	 * never after: until then the room of the verdict holds what the
	 * server's TCP would discard (l7tcp.c).
	 */
	union {
		struct {
			uint32_t	verdict;
			uint32_t	mark;
			int32_t		rule;	/* that decided it */
		};
		struct {
			uint32_t	ts_recent;	/* the client's newest
						   timestamp in order */
			uint32_t	ack_min;	/* the lowest ack the
						   server takes */
			uint32_t	srv_nxt;	/* the highest: past
						   what the server sent */
		};
	};
	uint32_t	need;		/* contiguous client bytes before the
					   next parse (0: at a line end) */
	uint8_t		l7data[408];	/* the parsed fields (l7int.h) */
};

_Static_assert(sizeof(struct nfqd_flow) == NFQD_FLOW_SIZE, "flow entry size");

/* How a table is made. */
struct nfqd_flowtab_params {
	uint32_t	max;		/* entries, >= 1 */
	uint64_t	timeout[NFQD_FC_MAX];	/* ns, by class */
	/* Called for a flow the table ends (expiry, eviction), before its
	   entry is reused: returns its reassembly buffer. */
	void		(*release)(void *arg, struct nfqd_flow *f);
	/*
	 * Optional: called for a flow past its class's timeout (by expiry
	 * and by a find), still in its class.  Returns the class to keep it
	 * in (not FREE): it goes to that list's head with last = now, and
	 * is counted as kept, not timed out; or -1 (any other value) to end
	 * it (release called).
	 */
	int		(*expire)(void *arg, struct nfqd_flow *f, uint64_t now);
	void		*arg;		/* release's and expire's */
};

struct nfqd_flowtab_stats {
	uint64_t	active;		/* flows in the table now */
	uint64_t	created;
	uint64_t	evicted;	/* ended to make room */
	uint64_t	timed_out;	/* ended by their class's timeout */
	uint64_t	kept;		/* past it, kept by the expire hook */
	uint64_t	full;		/* a new flow found no room */
};

struct nfqd_flowtab;

/* NULL with errno set when the memory cannot be had. */
struct nfqd_flowtab *nfqd_flowtab_new(const struct nfqd_flowtab_params *p);
void	nfqd_flowtab_free(struct nfqd_flowtab *t);

/*
 * The key of a packet's flow from its addresses and ports (network order
 * addresses, host order ports); *dir is the endpoint (0, 1) the packet
 * comes from.
 */
void	nfqd_flow_key_make(struct nfqd_flow_key *k, uint8_t family,
	    uint8_t proto, const uint8_t *saddr, const uint8_t *daddr,
	    uint16_t sport, uint16_t dport, int *dir);

/*
 * The table's keyed hash of k (its seed is the table's own).  A packet
 * that looks its flow up and then adds it hashes once: the _hashed
 * calls below take h, which must be nfqd_flow_hash(t, k) of the same t
 * and k.  An entry keeps its hash, so ending it hashes nothing.
 */
uint32_t nfqd_flow_hash(const struct nfqd_flowtab *t,
	    const struct nfqd_flow_key *k);

/*
 * The flow with key k, or NULL.  A flow past its class's timeout at now
 * is ended (counted as timed out) and not returned, unless the expire
 * hook keeps it: then it is returned, in the class the hook chose.
 */
struct nfqd_flow *nfqd_flow_find(struct nfqd_flowtab *t,
	    const struct nfqd_flow_key *k, uint64_t now);
struct nfqd_flow *nfqd_flow_find_hashed(struct nfqd_flowtab *t,
	    const struct nfqd_flow_key *k, uint32_t h, uint64_t now);

/*
 * A batch's look-ups, started before its first packet is decided: a
 * worker that wakes up for a few packets finds the table out of its
 * caches, and a look-up waits for the chain's head and then for its
 * first entry.  Fetched for the whole batch first, in two rounds, those
 * waits overlap.  Nothing here changes the table.
 *
 * nfqd_flow_prefetch_head: the chain head of hash h.
 * nfqd_flow_prefetch_entry: the first entry of that chain (a round
 * later, when the head has come).
 * nfqd_flow_prefetch_victims: the flows that n adds would end to make
 * room in a full table, oldest first (at most NFQD_FLOW_PREFETCH_MAX),
 * into v: each one's entry (its first line read, the three after it,
 * which the new flow's zeroing writes, fetched), its list neighbour and
 * its chain head.  Returns how many.
 * nfqd_flow_prefetch_chains: a round later, the first entry of each of
 * those chains (where the victim is not itself the first).
 */
#define NFQD_FLOW_PREFETCH_MAX	16
void	nfqd_flow_prefetch_head(const struct nfqd_flowtab *t, uint32_t h);
void	nfqd_flow_prefetch_entry(const struct nfqd_flowtab *t, uint32_t h);
unsigned nfqd_flow_prefetch_victims(const struct nfqd_flowtab *t,
	    unsigned n, uint32_t *v);
void	nfqd_flow_prefetch_chains(const struct nfqd_flowtab *t,
	    const uint32_t *v, unsigned n);

/* Suffix hashes of a peeked server name a hint keeps (nfqd_l7_hint). */
#define NFQD_HINT_NAMES		8

/*
 * A packet's flow key and hash, worked out ahead of its decision (src/l7/
 * nfqd_l7_hint).  The decision uses the hash only when its own parse of
 * the packet made the same key for the same table; else it hashes again.
 */
struct nfqd_flow_hint {
	const struct nfqd_flowtab *t;
	struct nfqd_flow_key	 key;
	uint32_t		 hash;
	bool			 syn;		/* a TCP SYN without ACK */
	uint8_t			 nnames;	/* of names[] */
	uint64_t		 names[NFQD_HINT_NAMES];	/* the server
				   name's suffix hashes in pf_sets[0], the
				   longest last (nfqd_names_prefetch) */
};

/*
 * A new flow with key k (which must not be in the table) in class cls,
 * its other fields zero (of l7data, the first NFQD_FLOW_L7ZERO bytes);
 * when the table is full the oldest flow of the evictable classes is
 * ended first (UDP, CLOSING, DECIDED by age, then WAIT).  NULL when every
 * entry is REASM (counted as full).
 */
struct nfqd_flow *nfqd_flow_add(struct nfqd_flowtab *t,
	    const struct nfqd_flow_key *k, enum nfqd_flow_class cls,
	    uint64_t now);
struct nfqd_flow *nfqd_flow_add_hashed(struct nfqd_flowtab *t,
	    const struct nfqd_flow_key *k, uint32_t h,
	    enum nfqd_flow_class cls, uint64_t now);

/* A packet of f was seen at now; cls: the class it is in from now on. */
void	nfqd_flow_touch(struct nfqd_flowtab *t, struct nfqd_flow *f,
	    enum nfqd_flow_class cls, uint64_t now);

/* End f (release called). */
void	nfqd_flow_end(struct nfqd_flowtab *t, struct nfqd_flow *f);

/*
 * End up to max flows past their timeout; returns how many.  A flow the
 * expire hook keeps is not ended but counts against max (the work one
 * call does is bounded).
 */
unsigned nfqd_flowtab_expire(struct nfqd_flowtab *t, uint64_t now,
	    unsigned max);

void	nfqd_flowtab_stats(const struct nfqd_flowtab *t,
	    struct nfqd_flowtab_stats *s);

#endif
