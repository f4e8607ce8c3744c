/*
 * TCP reassembly of a stream's first bytes: what a client sends before
 * its TLS ClientHello or HTTP request head is complete, put together from
 * segments that come in any size, in any order, retransmitted or
 * overlapping, so the parsers in src/l7/ read one contiguous prefix.
 */
#ifndef NFQD_L7_REASM_H
#define NFQD_L7_REASM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The policy.
 *
 * - Stream byte 0 is the byte at the sequence number after the client's
 *   SYN (its ISN + 1).  Sequence numbers are compared modulo 2^32: a
 *   segment whose start is less than 2^31 after byte 0's sequence number
 *   begins inside or past the window, one at most 2^31 before it begins
 *   before byte 0.
 * - A buffer holds stream bytes [0, NFQD_REASM_MAX).  The bytes of a
 *   segment before byte 0 or at or past NFQD_REASM_MAX are ignored and
 *   the part inside is used; bytes past the window set NFQD_REASM_PAST,
 *   so the caller can tell a hello that does not fit (too big) from one
 *   still arriving.
 * - The first copy of a byte wins.  A segment that repeats stored bytes
 *   exactly (a retransmission, or one that is partly new) stores its new
 *   bytes.  A segment that overlaps stored bytes and differs from them in
 *   any byte is a conflict: nothing of it is stored and the call returns
 *   NFQD_REASM_CONFLICT.  The caller must then decide the flow by its
 *   error policy and must not let that segment through: otherwise the
 *   receiver could hold bytes that differ from the ones nfqd read (the
 *   receiver's own overlap policy varies between systems).
 * - nfqd_reasm_contig() is the number of bytes present from byte 0
 *   without a gap; the caller parses nfqd_reasm_data()[0 .. contig) again
 *   when it grows.  Bytes past contig are not readable through the API.
 * - Bytes outside the window are neither stored nor compared: a
 *   different copy of bytes before byte 0 (which a receiver drops as old)
 *   or past the window (PAST: the hello is too big) is no conflict.  The
 *   application layer (src/l7/l7tcp.c) goes further for a TCP hello not yet
 *   read: a segment with any byte before byte 0 or starting past the
 *   window is refused, never added (no client sends one after its SYN).
 * - Buffers come from a pool made once, when a worker starts: get and put
 *   are O(1) (put clears at most the 2 KiB bitmap, only the words that
 *   were used) and nothing is allocated after nfqd_reasm_pool_new(), so
 *   the memory for reassembly is bounded by the pool's size.  A flow holds a
 *   buffer only while its hello is incomplete; get returns NULL when all
 *   are in use (the caller counts it and decides the flow without one).
 */

/* The bytes kept per stream: a ClientHello or HTTP request head larger
 * than this is too big. */
#define NFQD_REASM_MAX		16384

struct nfqd_reasm;		/* one stream's first bytes */
struct nfqd_reasm_pool;		/* a worker's buffers */

enum nfqd_reasm_res {
	NFQD_REASM_OK = 0,	/* stored, or nothing to store */
	NFQD_REASM_CONFLICT,	/* overlapped stored bytes that differ:
				   nothing was stored */
};

/* nfqd_reasm_add() *flags: what the segment held. */
#define NFQD_REASM_PAST	0x01	/* bytes at or past NFQD_REASM_MAX */
#define NFQD_REASM_NEW	0x02	/* bytes not present before were stored
				   (never with CONFLICT) */

/*
 * A pool of n buffers (n >= 1), in one anonymous mapping: pages are only
 * committed once a buffer is first used.  NULL with errno set on failure
 * (EINVAL for n 0 or a size that does not fit, ENOMEM).
 */
struct nfqd_reasm_pool *nfqd_reasm_pool_new(unsigned n);
void	nfqd_reasm_pool_free(struct nfqd_reasm_pool *pool);

/*
 * A free buffer for the stream whose byte 0 has sequence number seq0, with
 * no bytes present; NULL when all n are in use.
 */
struct nfqd_reasm *nfqd_reasm_get(struct nfqd_reasm_pool *pool,
	    uint32_t seq0);
/* Give r (NULL: nothing) back.  Putting a buffer that is not in use or
 * not from this pool aborts: two flows would share it. */
void	nfqd_reasm_put(struct nfqd_reasm_pool *pool, struct nfqd_reasm *r);
/* Buffers in use. */
unsigned nfqd_reasm_pool_used(const struct nfqd_reasm_pool *pool);

/*
 * Add the len payload bytes at data whose first byte has sequence number
 * seq (nfqd_reasm_tcp_span() gives seq and len for a TCP header).  Sets
 * *flags (when flags is not NULL) to NFQD_REASM_PAST and NFQD_REASM_NEW as
 * they apply; PAST describes the segment and is set with CONFLICT too.
 * Never reads data past len.  No allocation; O(len) plus O(1) per stored
 * run the segment overlaps.
 */
enum nfqd_reasm_res nfqd_reasm_add(struct nfqd_reasm *r, uint32_t seq,
	    const uint8_t *data, size_t len, unsigned *flags);

/* Bytes present from byte 0 without a gap. */
size_t	nfqd_reasm_contig(const struct nfqd_reasm *r);
/* The stream's first bytes: [0, nfqd_reasm_contig(r)) are valid. */
const uint8_t *nfqd_reasm_data(const struct nfqd_reasm *r);
/* The sequence number of byte 0, as given to nfqd_reasm_get() and moved
 * by nfqd_reasm_advance(). */
uint32_t nfqd_reasm_seq0(const struct nfqd_reasm *r);
/* Bytes stored past a gap (out of order): 0 when every byte stored lies
 * in [0, contig). */
size_t	nfqd_reasm_ahead(const struct nfqd_reasm *r);
/*
 * Move the window n bytes on (n <= contig; -1, nothing changed, past
 * it): byte n becomes byte 0, the sequence number of byte 0 grows by n,
 * and the window reaches n bytes further.  Bytes stored past a gap move
 * with the rest.  For a stream read in parts (DNS over TCP: a message at
 * a time; the TLS records after a first ClientHello); O(bytes stored).
 */
int	nfqd_reasm_advance(struct nfqd_reasm *r, size_t n);
/*
 * Move the window n bytes on, any n (an HTTP body stepped over): as
 * nfqd_reasm_advance() up to contig; past it, the bytes stored before n
 * are dropped, those from n on kept, and contig is what is then present
 * from the new byte 0.  Returns 0.
 */
int	nfqd_reasm_skip(struct nfqd_reasm *r, uint64_t n);
/* Whether stream byte off is stored (0 past the window), for tests and
 * diagnostics: bytes past contig are stored but not yet in order. */
int	nfqd_reasm_present(const struct nfqd_reasm *r, size_t off);

/* The TCP header flags nfqd_reasm_tcp_span() reads (header byte 13). */
#define NFQD_TCP_FIN		0x01
#define NFQD_TCP_SYN		0x02
#define NFQD_TCP_RST		0x04

/* The sequence numbers a TCP segment takes, from its header. */
struct nfqd_reasm_span {
	uint32_t	seq;	/* sequence number of the first payload
				   byte: seq + 1 after a SYN */
	uint32_t	len;	/* payload bytes that are stream bytes: 0
				   for a RST */
	uint32_t	end;	/* sequence number after everything the
				   segment takes: SYN, payload, FIN */
};

/*
 * The stream range of a segment with sequence number seq, paylen payload
 * bytes and TCP flags tcp_flags.  A SYN takes one sequence number before
 * its payload (a SYN may carry data, as with TCP Fast Open: that data is
 * stream bytes from byte 0, so a SYN's seq0 for nfqd_reasm_get() is its
 * seq + 1), a FIN one after it.  The payload of a RST is never stream
 * bytes (RFC 9293 3.5.3: diagnostic text; Linux does not deliver it), so
 * its len is 0 and the caller must not add it.
 */
void	nfqd_reasm_tcp_span(uint32_t seq, uint32_t paylen,
	    uint8_t tcp_flags, struct nfqd_reasm_span *sp);

#endif
