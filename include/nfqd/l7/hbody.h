/*
 * A chunked HTTP/1.x request body (RFC 9112 7.1), read as it streams past,
 * to find where the next request on the connection starts.  The chunks'
 * data is not looked at: the caller steps over it (nfqd_hbody_skip()),
 * so a body costs a read of its size lines only.
 *
 * Strict, because where servers disagree on where a body ends, the bytes
 * one takes for the next request are body to another (request
 * smuggling): every shape below that some server takes and another does
 * not is BAD.
 *   chunk-size	1 to 15 hex digits, directly followed by CRLF or by ';'
 *		and an extension of visible ASCII, SP and HTAB up to CRLF;
 *		the line at most NFQD_HBODY_LINE_MAX bytes.  Whitespace
 *		before ';' or CRLF, a sign, "0x": BAD (SIZE).
 *   data	chunk-size bytes, then exactly CRLF.
 *   last-chunk	a size of 0 (any number of zeros), then the trailer
 *		section: field lines (a field name of tchars, ':', a value
 *		of visible ASCII, SP, HTAB and bytes over 0x7f), each ending
 *		CRLF, then CRLF.  At most NFQD_HBODY_TRAILER_MAX bytes.
 *		A folded line (SP or HTAB first), one without ':' or
 *		with another byte: BAD (TRAILER).
 * Every line ends in CRLF: a bare LF, or a CR before anything but LF, is
 * BAD (CRLF).
 */
#ifndef NFQD_L7_HBODY_H
#define NFQD_L7_HBODY_H

#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/l7parse.h"

#define NFQD_HBODY_LINE_MAX	4096	/* a size line, extension and all */
#define NFQD_HBODY_TRAILER_MAX	16384	/* the trailer section */

/* Why a body is BAD. */
enum nfqd_hbody_why {
	NFQD_HBODY_R_NONE = 0,
	NFQD_HBODY_R_SIZE,		/* no hex digit, over 15, a byte
					   after them other than ';' or CR */
	NFQD_HBODY_R_EXT,		/* a byte the extension may not hold */
	NFQD_HBODY_R_CRLF,		/* a bare LF or CR, or no CRLF after
					   a chunk's data */
	NFQD_HBODY_R_TRAILER,		/* a trailer line malformed */
	NFQD_HBODY_R_TOO_BIG,		/* a size line or the trailer section
					   over its bound */
	NFQD_HBODY_R_MAX
};

/* Where a body is: plain data, copied and kept by the caller. */
struct nfqd_hbody {
	uint64_t	left;		/* bytes of the chunk's data left, or
					   its size as read so far */
	uint32_t	count;		/* bytes of the size line, or of the
					   trailer section, so far */
	uint8_t		state;		/* (hbody.c) */
	uint8_t		digits;		/* hex digits of the size read */
	uint8_t		why;		/* enum nfqd_hbody_why, when BAD */
	uint8_t		pad;		/* zero */
};

/* Before the body's first byte. */
void	nfqd_hbody_init(struct nfqd_hbody *b);

/*
 * Read buf[0..len), the body's bytes after those fed before, in order.
 * NFQD_L7_MORE: all len are the body's (*used = len), more must come.
 * NFQD_L7_DONE: the body ends at *used (<= len): bytes from there on are
 * the next request's.  NFQD_L7_BAD: b->why says why, *used is where it
 * was seen.  Once DONE or BAD, a call gives the same with *used = 0.  The
 * answer does not depend on how the bytes are cut between calls.
 */
enum nfqd_l7_res nfqd_hbody_feed(struct nfqd_hbody *b, const uint8_t *buf,
	    size_t len, size_t *used);

/* Chunk data bytes the caller may step over unread: 0 but in data. */
uint64_t nfqd_hbody_skippable(const struct nfqd_hbody *b);

/* Step over n <= nfqd_hbody_skippable(b) bytes, as if fed. */
void	nfqd_hbody_skip(struct nfqd_hbody *b, uint64_t n);

/* enum nfqd_hbody_why in words; "unknown" out of range. */
const char *nfqd_hbody_why_str(unsigned why);

#endif
