/*
 * The HPACK header block decoder (RFC 7541), for the requests an HTTP/2
 * client sends in cleartext: the frame layer gathers a HEADERS frame's
 * block and its CONTINUATIONs, and this turns the block into fields, in
 * order, keeping the dynamic table from one block to the next as the
 * client's encoder does.
 *
 * Exactly RFC 7541, and nothing past it; a block that breaks a rule is
 * refused whole from the offending byte on (the fields before it were
 * given), and the connection is to be dropped (a COMPRESSION_ERROR):
 *   integers	5.1, of at most 4 bytes after the prefix and at most
 *		2^28: longer (zero padding included) or larger is INT.
 *   strings	5.2: a length past the block's end is STRING.  Huffman
 *		strings (Appendix B) end in at most 7 bits of padding, all
 *		1s (the EOS code's first bits); more, another bit, or EOS
 *		itself in the string is HUFFMAN.  Any byte may be in a
 *		name or value: what a field may hold is HTTP/2's rule
 *		(RFC 9113 8.2.1), the caller's to apply.
 *   block	at most NFQD_HPACK_BLOCK_MAX bytes: a larger one is
 *		TOO_BIG, before any field.
 *   indexed	6.1: index 0, or one past the static table's 61 entries
 *		(Appendix A) and the dynamic table's, is INDEX; so is a
 *		literal's name index past them (6.2).
 *   literals	6.2.1 (added to the dynamic table), 6.2.2, 6.2.3.
 *   size	6.3: dynamic table size updates only before the block's
 *		first field (several in a row may be), each at most the
 *		max given to nfqd_hpack_init(); elsewhere or larger is SIZE.
 *		An update evicts down to the new size at once.
 * The dynamic table is RFC 7541's 2.3.2 and 4: sizes count name + value +
 * 32, the newest entry is index 62, the oldest are evicted first, and an
 * entry larger than the whole table empties it and is not added.
 *
 * Memory: the decoder's state is all in struct nfqd_hpack (5,144 bytes
 * on x86-64, about 5 KiB; no pointers, nothing allocated): the dynamic
 * table's bytes and its entries, so one may be kept per connection.  One
 * field's Huffman-decoded name and value go to a static buffer in hpack.c
 * (NFQD_HPACK_SCRATCH bytes, one per process), which the callback's
 * pointers may point into: nfqd_hpack_decode() is not reentrant (a
 * callback must not decode) and not for several threads at once; the
 * process decodes on one thread.  Time: linear in the block, plus, for
 * each field added to the dynamic table, a copy of its name and value
 * there and, when the table's buffer runs out at its end, a move of the
 * live entries' bytes to its start (at most the table's size; about
 * three times that when the new entry's name is that of an entry it
 * evicts).
 */
#ifndef NFQD_L7_HPACK_H
#define NFQD_L7_HPACK_H

#include <stddef.h>
#include <stdint.h>

#define NFQD_HPACK_BLOCK_MAX	16384	/* bytes of one header block, at
					   most */
/*
 * The largest dynamic table size (RFC 7541 4.2) a decoder takes: 4096,
 * HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE (RFC 9113 6.5.2).  A client
 * may use no more before it has the server's SETTINGS, and the common
 * encoders (nghttp2, Go's, curl's through nghttp2) never use more than
 * 4096 anyway.  A larger table would only let a hostile block make the
 * decoder copy and move far more bytes (each entry added may move the
 * whole table).  A block that needs a larger table is refused: a size
 * update over it is SIZE, a reference to an entry it does not keep is
 * INDEX, which the caller treats as a malformed block.
 */
#define NFQD_HPACK_TABLE_MAX	4096

/*
 * Entries a table of NFQD_HPACK_TABLE_MAX holds at most (32 bytes each):
 * 128, a power of two (the entries are a ring indexed through a mask).
 */
#define NFQD_HPACK_ENTRIES	(NFQD_HPACK_TABLE_MAX / 32)
/*
 * The size of hpack.c's static buffer for one field's Huffman-decoded
 * name and value (26,214 bytes): every code is 5 bits or more, so the
 * strings of a block of NFQD_HPACK_BLOCK_MAX decode to at most this.
 */
#define NFQD_HPACK_SCRATCH	(NFQD_HPACK_BLOCK_MAX * 8 / 5)

/* Why a block is refused. */
enum nfqd_hpack_why {
	NFQD_HPACK_R_NONE = 0,
	NFQD_HPACK_R_INDEX,	/* index 0, or past the static and dynamic
				   tables */
	NFQD_HPACK_R_INT,	/* an integer cut short by the block's end,
				   over 2^28, or of more than 4 bytes after
				   its prefix */
	NFQD_HPACK_R_STRING,	/* a string's length past the block's end */
	NFQD_HPACK_R_HUFFMAN,	/* Huffman: padding over 7 bits or not the
				   EOS code's most significant bits, or the
				   EOS symbol in the string */
	NFQD_HPACK_R_SIZE,	/* a dynamic table size update not at the
				   block's start, or over the decoder's
				   maximum */
	NFQD_HPACK_R_TOO_BIG,	/* the block over NFQD_HPACK_BLOCK_MAX
				   bytes */
	NFQD_HPACK_R_MAX
};

/* How a field was sent (struct nfqd_hpack_field's rep). */
enum nfqd_hpack_rep {
	NFQD_HPACK_INDEXED = 0,		/* 6.1: a table entry whole */
	NFQD_HPACK_INCREMENTAL,		/* 6.2.1: a literal, now the dynamic
					   table's newest entry */
	NFQD_HPACK_WITHOUT,		/* 6.2.2: a literal not added */
	NFQD_HPACK_NEVER		/* 6.2.3: a literal never to be added
					   by any intermediary (sensitive) */
};

/* One field, as given to the callback. */
struct nfqd_hpack_field {
	const uint8_t	*name, *value;	/* valid during the callback only:
					   in the block, the tables or the
					   Huffman buffer */
	uint32_t	 nlen, vlen;
	uint8_t		 rep;		/* how it was sent: NFQD_HPACK_INDEXED,
					   _INCREMENTAL, _WITHOUT, _NEVER */
};

/* A dynamic table entry: its name and then its value, at buf[off]. */
struct nfqd_hpack_entry {
	uint32_t	off;
	uint16_t	nlen, vlen;	/* together at most 4064 */
};

/*
 * A decoder, with its dynamic table and nothing else: fixed size (5,144
 * bytes on x86-64), no pointers, nothing to set up but nfqd_hpack_init():
 * the caller may put it on the stack, in static storage or in a pool's
 * slot, and copy it with memcpy.  Entries are in ent[first..first + n)
 * (a ring, oldest first), their bytes in buf[] in the same order below
 * tail; hpack.c compacts buf[] when the next entry would not fit at the
 * end.
 */
struct nfqd_hpack {
	uint32_t	limit;		/* the max given to nfqd_hpack_init() */
	uint32_t	max;		/* the table's size now (4.2, 6.3) */
	uint32_t	size;		/* the entries' sizes summed (4.1) */
	uint32_t	first;		/* ent[] slot of the oldest entry */
	uint32_t	n;		/* entries */
	uint32_t	tail;		/* buf[] in use ends here */
	struct nfqd_hpack_entry ent[NFQD_HPACK_ENTRIES];
	uint8_t		buf[NFQD_HPACK_TABLE_MAX];
};

/*
 * A decoder whose dynamic table may grow to max bytes (RFC 7541 4.1
 * sizes: name + value + 32), max <= NFQD_HPACK_TABLE_MAX (a larger one
 * is taken as NFQD_HPACK_TABLE_MAX); it starts at max.  In HTTP/2, max is
 * the SETTINGS_HEADER_TABLE_SIZE the server side sent (4096 by default).
 * This is all a decoder needs before its first block, or to start again.
 */
void	nfqd_hpack_init(struct nfqd_hpack *d, uint32_t max);

/*
 * Decode the whole header block blk[0..len) (a HEADERS frame's block with
 * its CONTINUATIONs, padding and priority removed by the caller), in
 * order, calling cb for each field; the dynamic table persists to the
 * next block decoded with d.
 * Returns 0 when every field was decoded; -1 on a malformed block, with
 * *why said (the fields before it were passed to cb); or the first
 * nonzero value cb returned (decoding stops there).
 * After -1 or a nonzero cb value, d is left in a state where further
 * decoding is not meaningful (the caller drops the connection) but no
 * call can crash.
 * cb sees a field before it is added to the dynamic table (6.2.1); a cb
 * returning -1 is told from a malformed block by *why, NONE then.
 * Not reentrant, and not for two threads at once: a Huffman-coded name
 * or value is decoded into one static buffer, which the next field's
 * overwrites (cb must not decode, with d or another decoder).  Decoders
 * share nothing else: blocks of several may be decoded in any order.
 */
int	nfqd_hpack_decode(struct nfqd_hpack *d, const uint8_t *blk, size_t len,
	    int (*cb)(void *arg, const struct nfqd_hpack_field *f), void *arg,
	    unsigned *why);

/* enum nfqd_hpack_why in words; "unknown" out of range. */
const char *nfqd_hpack_why_str(unsigned why);

/*
 * For the tests: the static buffer the Huffman-coded strings of a field
 * are decoded into, and its size in *len (NFQD_HPACK_SCRATCH).
 */
const uint8_t	*nfqd_hpack_scratch(size_t *len);

/*
 * RFC 7541 Appendix B, for the tests: symbol (256 is EOS) to its code, in
 * the low bits, and the code's length in bits.
 */
extern const uint32_t	nfqd_hpack_huff_code[257];
extern const uint8_t	nfqd_hpack_huff_len[257];

#endif
