/*
 * DNS over TCP for dns_learn: the length-prefixed messages (RFC 1035
 * 4.2.2; RFC 7766) of one direction of a connection to or from port 53,
 * put together when a message spans segments.
 *
 * Each direction of a connection is a stream: a worker keeps up to
 * NFQD_DNST_STREAMS of them in a fixed table (4-way buckets by a keyed
 * hash of the addresses and ports, the least recently seen giving way),
 * and a stream whose message is incomplete holds a reassembly buffer
 * (reasm.h: any order, retransmissions, overlaps; a copy that differs is
 * a conflict) from a pool of NFQD_DNST_BUFS made with the table.  Nothing
 * is allocated after nfqd_dnst_new().
 *
 * - A stream is in step when the sequence number of its next message's
 *   length prefix is known: from a SYN (its sequence number + 1), or from
 *   a segment read from its first byte that ended inside a message.
 * - A segment of a stream not in step (none was seen, it was evicted,
 *   timed out or given up) is read as if it started a message, as
 *   clients and servers write each message in one go: the messages whole
 *   in it are handed over; one it ends inside is kept, the stream then in
 *   step from that message on.
 * - In step, a message is handed over once all its bytes have come, in
 *   whatever order; then the next.  Bytes before the next message (a
 *   retransmission) are skipped.
 * - A stream is given up, and what it held lost (NFQD_DNST_LOST), when a
 *   message does not fit in a buffer (over NFQD_REASM_MAX bytes with its
 *   prefix, or bytes of later messages past that window while one waits
 *   for a gap), when a retransmission differs from the bytes stored, or
 *   when no buffer is free.  A RST ends a stream; one that sees no
 *   segment for NFQD_DNST_IDLE_S ends too (its buffer back in the pool);
 *   an answer left incomplete so is counted (nfqd_dnst_abandoned()).
 * - A message is handed over at most once, in stream order, and only
 *   bytes of its own stream make it up.
 */
#ifndef NFQD_L7_DNSTCP_H
#define NFQD_L7_DNSTCP_H

#include <stddef.h>
#include <stdint.h>

#define NFQD_DNST_STREAMS	1024	/* directions of connections kept */
#define NFQD_DNST_WAYS		4	/* ... per bucket */
#define NFQD_DNST_BUFS		32	/* messages being put together */
#define NFQD_DNST_IDLE_S	10	/* a stream ends after this long
					   without a segment */
#define NFQD_DNST_PORT		53	/* a stream from it carries answers */

struct nfqd_dnst;

/* One TCP segment of a stream (addresses of 4 or 16 bytes by family). */
struct nfqd_dnst_seg {
	uint8_t		 family;
	const uint8_t	*saddr, *daddr;
	uint16_t	 sport, dport;	/* host order */
	uint32_t	 seq;		/* the TCP header's sequence number */
	uint8_t		 tcp_flags;	/* header byte 13 */
	const uint8_t	*pay;		/* the payload, len bytes */
	size_t		 len;
};

/* What a segment did (nfqd_dnst_segment()'s result, a bit set). */
#define NFQD_DNST_LOST	0x01	/* a message will not be handed over: its
				   stream was given up */
#define NFQD_DNST_WAIT	0x02	/* a message is incomplete and kept */

/* Called for each whole message (len bytes at msg, prefix left off). */
typedef void	nfqd_dnst_fn(void *arg, const uint8_t *msg, size_t len);

/*
 * The messages that lie whole in p[0 .. len) from its first byte, each
 * handed to fn; returns the bytes they take (with their prefixes).  For
 * a segment read on its own.
 */
size_t	nfqd_dnst_whole(const uint8_t *p, size_t len, nfqd_dnst_fn *fn,
	    void *arg);

/*
 * The table and its buffers; seed keys the hash (a random one, so that
 * the addresses and ports an attacker picks do not all land in one
 * bucket).  NULL with errno on failure.
 */
struct nfqd_dnst *nfqd_dnst_new(uint64_t seed);
void	nfqd_dnst_free(struct nfqd_dnst *t);

/*
 * One segment at monotonic time now_ns: the messages it completes are
 * handed to fn, in order.  Returns NFQD_DNST_* bits.  No allocation.
 */
unsigned nfqd_dnst_segment(struct nfqd_dnst *t, const struct nfqd_dnst_seg *s,
	    uint64_t now_ns, nfqd_dnst_fn *fn, void *arg);

/*
 * Answers (messages of streams from NFQD_DNST_PORT) that were incomplete
 * when their stream ended otherwise than by NFQD_DNST_LOST: a RST, a new
 * SYN, no segment for NFQD_DNST_IDLE_S, or given way for room.  Those a
 * segment's NFQD_DNST_LOST stands for are not in it.
 */
uint64_t nfqd_dnst_abandoned(const struct nfqd_dnst *t);

/* Streams in the table and buffers in use (tests, diagnostics). */
unsigned nfqd_dnst_streams(const struct nfqd_dnst *t, uint64_t now_ns);
unsigned nfqd_dnst_bufs_used(const struct nfqd_dnst *t);

#endif
