/*
 * The application layer as the engine sees it: what a packet's flow says
 * at layer 7 (TLS server name, ALPN, ECH and JA4, over TCP or in QUIC
 * Initials; HTTP Host, method and path; DNS query name and type), read
 * through the per-worker flow table, the
 * reassembler and the parsers in src/l7/.  This is the one header the
 * engine includes of them.
 *
 * The fields of a packet are "known" (pkt.h's NFQD_PKT_K_L7) once its
 * flow's first message is final: complete, or not one nfqd reads.  Until
 * then the packet's status says why they are not, and the engine's rule
 * for partial packets applies: a packet the rules decide whatever the
 * name is decided by them, any other gets the verdict of its status:
 *
 *   NFQD_PKT_L7_PENDING    the client's first message is not complete
 *                          yet: accepted (it cannot complete a handshake;
 *                          the segment that completes it is decided)
 *   NFQD_PKT_L7_ERROR      malformed or evasive (a conflicting overlap,
 *                          a hello over 16 KiB, a NUL in a name, urgent
 *                          data, fragments): l7_error_verdict
 *   NFQD_PKT_L7_UNTRACKED  no room in the flow table or for reassembly
 *                          and the packet alone does not say, or the
 *                          client's bytes of a lost flow (its hello
 *                          part read when its hello or closing
 *                          timeout passed): flows.full_verdict
 */
#ifndef NFQD_L7_H
#define NFQD_L7_H

#include <stdbool.h>
#include <stdint.h>

#include "nfqd/l7/flow.h"
#include "nfqd/l7/l7parse.h"

struct nfqd_config;
struct nfqd_pkt;
struct nfqd_flow;
struct nfqd_flowtab;
struct nfqd_flow_hint;
struct nfqd_reasm_pool;
struct nfqd_h2tabs;
struct nfqd_ruleset;
struct nfqd_names;
struct nfqd_quic;
struct nfqd_qclaim_tab;

/* What a flow's first message turned out to be. */
enum nfqd_l7_proto {
	NFQD_L7P_NONE = 0,	/* nothing nfqd reads */
	NFQD_L7P_TLS,
	NFQD_L7P_HTTP,
	NFQD_L7P_DNS,
	NFQD_L7P_QUIC,		/* a ClientHello in QUIC Initials */
	NFQD_L7P_MAX
};

#define NFQD_L7_ALPN_MAX	48	/* bytes of the ALPN list kept */
#define NFQD_L7_METHOD_MAX	16
#define NFQD_L7_PATH_MAX	64	/* bytes of the path kept: a rule's
					   prefix may not be longer */
#define NFQD_L7_JA4_LEN		36	/* NFQD_JA4_LEN (l7/ja4.h) */

/*
 * The fields the rules read.  Kept in the flow (struct nfqd_flow's
 * l7data), so later packets of the flow see the same ones.
 */
struct nfqd_l7fields {
	uint8_t		proto;		/* enum nfqd_l7_proto */
	uint8_t		name_len;	/* 0: no name */
	uint8_t		ech;		/* TLS: encrypted_client_hello */
	uint8_t		alpn_len;
	uint8_t		alpn_cut;	/* the list was longer than alpn[] */
	uint8_t		method_len;
	uint8_t		path_len;
	uint8_t		path_cut;	/* the path was longer than path[] */
	uint16_t	qtype;		/* DNS */
	char		name[NFQD_L7_NAME_MAX + 1];	/* TLS server name,
					   HTTP Host or DNS query name */
	uint8_t		alpn[NFQD_L7_ALPN_MAX];	/* (length, name)... */
	union {
		struct {			/* HTTP */
			char	method[NFQD_L7_METHOD_MAX + 1];
			char	path[NFQD_L7_PATH_MAX + 1];
		};
		/* TLS: the JA4 fingerprint, "" when there is none (not
		   asked for, or a list longer than the parser keeps) */
		char	ja4[NFQD_L7_JA4_LEN + 1];
	};
};

/* Name sets nfqd_l7_hint prefetches for; smaller ones stay cached. */
#define NFQD_L7_PF_SETS		4
#define NFQD_L7_PF_BYTES	(256 * 1024)

/* Request heads one packet may complete besides its last (pipelined
 * HTTP requests); a packet that completes more gets l7_error_verdict. */
#define NFQD_L7_MORE_MAX	31

/* The per-worker state. */
struct nfqd_l7 {
	struct nfqd_flowtab	*flows;
	struct nfqd_reasm_pool	*pool;
	struct nfqd_reasm_pool	*alone;		/* one buffer: a QUIC datagram
						   read without its flow
						   (l7udp.c quic_alone()) */
	struct nfqd_h2tabs	*h2tabs;	/* HTTP/2 connections' header
						   tables (h2tabs.c) */
	struct nfqd_quic	*quic;		/* libcrypto contexts */
	struct nfqd_qclaim_tab	*claims;	/* QUIC connection IDs claimed
						   by flows, every worker's
						   (qclaim.h); NULL: none
						   (nfqd_engine_qclaim()) */
	bool			 any;		/* a rule reads layer 7 */
	bool			 ja4;		/* TLS flows get their JA4 */
	struct nfqd_l7fields	 scratch;	/* a packet without a flow */
	/* counters (the worker publishes them) */
	uint64_t		 l7_errors;	/* messages found malformed */
	uint64_t		 conflicts;	/* overlaps that differed */
	uint64_t		 reasm_full;	/* no reassembly buffer free */
	uint64_t		 bad_csum;	/* client segments with a wrong
						   TCP checksum */
	uint64_t		 quic_refused;	/* QUIC packets refused unread */
	uint64_t		 mptcp;		/* client SYNs with a Multipath
						   TCP option refused */
	uint64_t		 quic_claimed;	/* of them, Initials with CRYPTO
						   data for an ID another flow
						   claimed */
	uint64_t		 claims_full;	/* QUIC Initials given
						   flows.full_verdict: no room
						   to claim their ID */
	uint64_t		 claims_taken;	/* QUIC connection IDs claimed
						   (kept: something was read) */
	uint64_t		 alone_read;	/* QUIC hellos read whole from
						   a datagram without a flow
						   to follow it (tests) */
	uint64_t		 names[NFQD_L7P_MAX];	/* messages read, by
						   protocol (NONE: other) */
	uint64_t		 hints_used;	/* packets whose hash came from
						   nfqd_l7_hint (tests) */
	uint64_t		 outside;	/* client segments outside the
						   window, in l7_errors (tests) */
	uint64_t		 discarded;	/* client segments the server's
						   TCP would discard, in
						   l7_errors (tests) */
	uint64_t		 lost;		/* client segments with stream
						   bytes of a lost flow, not
						   read (tests) */
	uint64_t		 lost_flows;	/* flows kept lost past their
						   hello's or closing timeout
						   (tests) */
	bool			 tentative;	/* the last packet's fields came
						   with a SYN, or from a first
						   ClientHello a second may
						   follow: an accept on them is
						   not the flow's (engine) */
	bool			 consumed;	/* the last packet moved the
						   reading of a client's TCP
						   stream (or a QUIC hello's
						   CRYPTO bytes) past bytes
						   it read there (a message,
						   framing) and will not read
						   again: one dropped decides
						   the flow (engine) */
	uint8_t			 unread;	/* 0, or the status (an
						   enum nfqd_pkt_status) of
						   bytes the last packet holds
						   past the fields it gives,
						   unread or refused: the
						   rules see the packet
						   without its fields too
						   before it may pass
						   (engine) */
	bool			 hello_retry;	/* flows.hello_retry */
	bool			 http_all;	/* flows.http_requests = "all"
						   and a rule reads HTTP
						   fields: later requests are
						   read (nfqd_l7_set_http()) */
	bool			 dns_all;	/* a rule reads DNS fields: a
						   TCP connection's later
						   queries are read, with
						   its stream */
	uint64_t		 http_later;	/* later HTTP requests read
						   (tests) */
	uint64_t		 dns_later;	/* later DNS-over-TCP queries
						   read (tests) */
	uint64_t		 h2_later;	/* of them, HTTP/2 (tests) */
	uint64_t		 h2_upgrades;	/* connections that switched
						   to HTTP/2 after a request
						   (tests) */
	/* What the last HTTP request head l7_parse_stream() read said
	 * past the fields (where it ends, its body, whether it closes). */
	struct {
		bool		 valid;		/* read in this packet */
		bool		 close;		/* Connection: close */
		bool		 upgrade;	/* an Upgrade header */
		bool		 peek;		/* a GET or HEAD body */
		bool		 h2;		/* HTTP/2: its stream is sid */
		uint32_t	 sid;
		uint8_t		 body;		/* enum nfqd_http_body */
		uint32_t	 used;		/* stream bytes to its end */
		uint64_t	 clen;		/* Content-Length */
	} req;
	/*
	 * Request heads the packet completed (HTTP's later requests): the
	 * last one's fields are the packet's (pi->l7), the nmore before it
	 * are in more[], for the engine to decide on too.
	 */
	unsigned		 nheads;
	unsigned		 nmore;
	struct nfqd_l7fields	 more[NFQD_L7_MORE_MAX];
	uint64_t		 second_hellos;	/* second ClientHellos read
						   (tests) */
	/* What the last TLS hello l7_parse_stream() read said past the
	 * fields (for a second hello after a HelloRetryRequest). */
	struct {
		bool		 valid;		/* read in this packet */
		bool		 tls13;		/* it offered TLS 1.3 */
		bool		 early;		/* it offered early data */
		uint32_t	 used;		/* stream bytes to its end */
		uint32_t	 rec_end;	/* to its last record's end */
	} hello;
	/* The big name sets that tls_sni and server_name rules read:
	 * nfqd_l7_hint prefetches their slots for a hello's server name,
	 * and keeps its suffix hashes in the first for the second round
	 * (nfqd_l7_hint_names). */
	const struct nfqd_names	*pf_sets[NFQD_L7_PF_SETS];
	unsigned		 npf_sets;
	uint64_t		 sni_peeks;	/* hints that did (tests) */
};

/*
 * Set up l for cf: the flow table and the reassembly buffers, when a rule
 * reads layer 7 (nothing otherwise).  -1 with errno when out of memory.
 */
int	nfqd_l7_init(struct nfqd_l7 *l, const struct nfqd_config *cf,
	    bool any);
void	nfqd_l7_free(struct nfqd_l7 *l);

/* HTTP/2 header tables flows hold now (tests: none once every flow has
 * ended). */
unsigned nfqd_l7_h2_tables(const struct nfqd_l7 *l);

/*
 * Whether the rules rs (read with cf) make nfqd read every request of an
 * HTTP connection: flows.http_requests = "all" and a rule reads an HTTP
 * field (http_host, http_method, http_path, server_name).
 */
void	nfqd_l7_set_http(struct nfqd_l7 *l, const struct nfqd_config *cf,
	    const struct nfqd_ruleset *rs);

/*
 * Read what the packet says at layer 7.  Sets pi->l7 (the fields, when
 * known) and pi->known's NFQD_PKT_K_L7, or pi->status to one of the
 * L7 statuses above; returns the packet's flow, or NULL (no flow: not
 * TCP, or no room).  data: the packet's bytes as the kernel gave them;
 * skbinfo: the queue message's NFQA_SKB_* flags; indev: the interface it
 * came in on (0: none, sent by this host); pending: the packet
 * carries flows.pending_mark (its connection was being read when it
 * was last seen here).  TCP is read as docs/l7.md's Reassembly says: a
 * RST's payload never, a SYN with another sequence number starts the
 * flow afresh only where it can be a new connection, an unread hello's
 * bytes outside its window are refused, so are its segments the server's
 * TCP would discard, and a message read from a SYN's data, or a first
 * ClientHello that offers TLS 1.3 (a second may follow a
 * HelloRetryRequest: flows.hello_retry), sets tentative: the engine's
 * accept of it is the packet's alone (pending), any other decision the
 * flow's (nfqd_l7_decided()).
 */
struct nfqd_flow *nfqd_l7_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi,
	    const uint8_t *data, uint32_t skbinfo, uint32_t indev,
	    bool pending, const struct nfqd_flow_hint *hint, uint64_t now);

/*
 * pf_sets: the name sets of rs that tls_sni and server_name rules name
 * ("@SET") and that are too big to stay in the caches
 * (NFQD_L7_PF_BYTES), the first NFQD_L7_PF_SETS of them; none without a
 * flow table.
 */
void	nfqd_l7_prefetch_sets(struct nfqd_l7 *l,
	    const struct nfqd_ruleset *rs);

/*
 * Ahead of a packet's decision (a batch's packets, all before the first
 * is decided): its flow key and hash into h, and the fetch of its hash
 * chain's head started; for a TCP segment that starts a ClientHello
 * whose server name it holds (nfqd_tls_sni_peek()), the fetch of that
 * name's first slots in each of pf_sets too, and in h that name's suffix
 * hashes in pf_sets[0] (h->nnames of them, up to NFQD_HINT_NAMES, the
 * longest).  false when the packet is not one whose flow nfqd_l7_packet
 * would look up, or the shortcut cannot tell; hint NULL then.  data,
 * len: the packet's bytes, from the network header on.
 */
bool	nfqd_l7_hint(struct nfqd_l7 *l, const uint8_t *data, uint32_t len,
	    struct nfqd_flow_hint *h);

/*
 * A round after nfqd_l7_hint() gave h (its slots have come): start
 * fetching the names of pf_sets[0] that the server name it peeked at
 * will be compared with.  Nothing when it peeked at none.
 */
void	nfqd_l7_hint_names(const struct nfqd_l7 *l,
	    const struct nfqd_flow_hint *h);

/*
 * Give TLS flows their JA4 fingerprint from now on (a rule reads
 * tls_ja4 or writes log lines): SHA-256 is fetched here, before the
 * worker's sandbox.  -1 when libcrypto has none to give; no fingerprints
 * then.
 */
int	nfqd_l7_want_ja4(struct nfqd_l7 *l);

/* f was decided by rule, whose verdict it keeps from now on (on the
 * packet just read: when tentative, its reading ends here too). */
void	nfqd_l7_decided(struct nfqd_l7 *l, struct nfqd_flow *f, int32_t rule,
	    uint32_t verdict, bool has_mark, uint32_t mark, uint64_t now);

/*
 * Whether the TCP or UDP checksum of the packet in data (pi: its parse)
 * is right, or was verified already, or need not be (l7.c): a receiver
 * drops one that is wrong, so nothing in it may be read as what the
 * receiver reads.
 */
bool	nfqd_l7_csum_ok(const struct nfqd_pkt *pi, const uint8_t *data,
	    uint32_t skbinfo);

/* The counters the worker publishes (shm.h). */
struct nfqd_l7_counts {
	uint64_t	flows_active, flows_created, flows_evicted;
	uint64_t	flows_timed_out, flows_full;
	uint64_t	reasm_full, conflicts, l7_errors, bad_csum;
	uint64_t	quic_refused;
	uint64_t	quic_claims, quic_claims_held, quic_claims_full;
	uint64_t	mptcp;
	uint64_t	names[NFQD_L7P_MAX];
};

void	nfqd_l7_counts(const struct nfqd_l7 *l, struct nfqd_l7_counts *c);

/* End flows past their timeout (a timer calls it). */
void	nfqd_l7_expire(struct nfqd_l7 *l, uint64_t now);

/*
 * Matching: is the name (normalized) in any of the n sets?  The rule's
 * own elements are one set, each "@SET" it names another.
 */
bool	nfqd_l7_name_in(const struct nfqd_names *const *sets, unsigned n,
	    const char *name, size_t len);

const char *nfqd_l7_proto_str(unsigned proto);

/*
 * The ones' complement sum of p[0..n) added to sum, unfolded, in the
 * machine's byte order (the TCP and UDP checksum's; tests/unit/test_l7.c
 * holds it to a sum of 16-bit words).
 */
uint64_t	nfqd_l7_sum_words(uint64_t sum, const uint8_t *p, size_t n);

#endif
