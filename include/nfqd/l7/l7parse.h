/*
 * What every application-layer parser (src/l7/) shares: the answer it
 * gives about the bytes it was handed, and the one way a name read off
 * the wire (TLS server name, HTTP Host, DNS query name) is made
 * comparable with the names in rules and name sets.
 */
#ifndef NFQD_L7_L7PARSE_H
#define NFQD_L7_L7PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A parser's answer about the bytes from a stream's (or datagram's) start. */
enum nfqd_l7_res {
	NFQD_L7_MORE = 0,	/* a valid prefix: more bytes are needed */
	NFQD_L7_DONE,		/* complete; the fields are filled in */
	NFQD_L7_NOT,		/* not this protocol */
	NFQD_L7_BAD,		/* this protocol, malformed or evasive */
};

/* A name's text without its trailing dot, as DNS bounds it. */
#define NFQD_L7_NAME_MAX	253

/*
 * What each byte of a name becomes: an ASCII capital its small letter,
 * '.' itself, any other printable ASCII byte (0x21 to 0x7e) itself, and
 * every byte a rule could not mean (NUL, space, control bytes, anything
 * over 0x7e) 0.
 */
#define NFQD_L7_FOLD(c)							\
	(uint8_t)((c) < 0x21 || (c) > 0x7e ? 0 :			\
	 (c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c))
/* A 256-byte table of F(c) for every byte c. */
#define NFQD_L7_MAP4(F, c)						\
	F(c), F((c) + 1), F((c) + 2), F((c) + 3)
#define NFQD_L7_MAP16(F, c)						\
	NFQD_L7_MAP4(F, c), NFQD_L7_MAP4(F, (c) + 4),			\
	NFQD_L7_MAP4(F, (c) + 8), NFQD_L7_MAP4(F, (c) + 12)
#define NFQD_L7_MAP256(F)						\
	NFQD_L7_MAP16(F, 0x00), NFQD_L7_MAP16(F, 0x10),			\
	NFQD_L7_MAP16(F, 0x20), NFQD_L7_MAP16(F, 0x30),			\
	NFQD_L7_MAP16(F, 0x40), NFQD_L7_MAP16(F, 0x50),			\
	NFQD_L7_MAP16(F, 0x60), NFQD_L7_MAP16(F, 0x70),			\
	NFQD_L7_MAP16(F, 0x80), NFQD_L7_MAP16(F, 0x90),			\
	NFQD_L7_MAP16(F, 0xa0), NFQD_L7_MAP16(F, 0xb0),			\
	NFQD_L7_MAP16(F, 0xc0), NFQD_L7_MAP16(F, 0xd0),			\
	NFQD_L7_MAP16(F, 0xe0), NFQD_L7_MAP16(F, 0xf0)

static const uint8_t nfqd_l7_fold[256] = { NFQD_L7_MAP256(NFQD_L7_FOLD) };

/*
 * The same for a host name that selects a server (a TLS server name): also
 * 0 for the bytes at which servers cut one (':', '/', '\\', '[', ']': a
 * port, a path, an address in brackets), so that refusing them costs the
 * fold's one load a byte and no second pass.
 */
#define NFQD_L7_HFOLD(c)						\
	(uint8_t)((c) == ':' || (c) == '/' || (c) == '\\' || (c) == '[' ||	\
	 (c) == ']' ? 0 : NFQD_L7_FOLD(c))

static const uint8_t nfqd_l7_hostfold[256] = {
	NFQD_L7_MAP256(NFQD_L7_HFOLD)
};

/*
 * Copy the name src[0..len) to dst (at least NFQD_L7_NAME_MAX + 1 bytes)
 * in its one comparable form: ASCII letters folded to lower case, one
 * trailing dot dropped, NUL-terminated.  Returns the length written, or
 * -1 when the name is not one a rule could mean, which the caller treats
 * as malformed: empty, longer than NFQD_L7_NAME_MAX, an empty label
 * ("a..b", ".a"), or a byte outside printable ASCII (NUL, space, control
 * bytes, anything over 0x7e) that a server might read differently.
 * With host, a byte nfqd_l7_hostfold[] maps to 0 is refused too.  Both
 * callers below pass a constant, so each gets its own copy.
 */
static inline int
nfqd_l7_name_fold(char *dst, const uint8_t *src, size_t len, bool host)
{
	const uint8_t	*fold = host ? nfqd_l7_hostfold : nfqd_l7_fold;
	size_t		 i = 0;
	bool		 label = false;	/* the current label has a byte */

	if (len > 0 && src[len - 1] == '.')
		len--;
	if (len == 0 || len > NFQD_L7_NAME_MAX)
		return -1;
#ifdef __SSE2__
	/*
	 * Sixteen bytes a step while they are all ones the table keeps
	 * (printable ASCII, for a host none of its cut bytes): capitals
	 * folded by adding 0x20, and a dot that starts the name or follows
	 * a dot refused, as the loop below does byte by byte.  At the first
	 * other byte the loop takes over, from the start of those 16.
	 */
	for (; i + 16 <= len; i += 16) {
		__m128i	v = _mm_loadu_si128((const __m128i *)(const void *)
			    (src + i));
		__m128i	ok = _mm_and_si128(
			    _mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
		__m128i	up = _mm_and_si128(
			    _mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
			    _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
		unsigned dots, empty;

		if (host) {
			__m128i	cut = _mm_or_si128(_mm_or_si128(
				    _mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('/'))),
				    _mm_or_si128(_mm_or_si128(
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('['))),
				    _mm_cmpeq_epi8(v, _mm_set1_epi8(']'))));

			ok = _mm_andnot_si128(cut, ok);
		}
		if (_mm_movemask_epi8(ok) != 0xffff)
			break;
		dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
		    _mm_set1_epi8('.')));
		/* A dot whose byte before is a dot, or the name's start. */
		empty = dots & (dots << 1 | (label ? 0u : 1u));
		if (empty != 0)
			return -1;
		_mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_add_epi8(v,
		    _mm_and_si128(up, _mm_set1_epi8(0x20))));
		label = (dots & 0x8000) == 0;
	}
#endif
	for (; i < len; i++) {
		uint8_t	c = fold[src[i]];

		if (c == 0)
			return -1;
		if (c == '.') {
			if (!label)
				return -1;
			label = false;
		} else {
			label = true;
		}
		dst[i] = (char)c;
	}
	if (!label)
		return -1;	/* "a.." : one trailing dot is all one drops */
	dst[len] = '\0';
	return (int)len;
}

static inline int
nfqd_l7_name_norm(char *dst, const uint8_t *src, size_t len)
{
	return nfqd_l7_name_fold(dst, src, len, false);
}

/*
 * nfqd_l7_name_norm() that also refuses the bytes nfqd_l7_hostfold[]
 * does: -1 exactly when nfqd_l7_name_norm() gives -1 or a name that holds
 * one of them.
 */
static inline int
nfqd_l7_host_norm(char *dst, const uint8_t *src, size_t len)
{
	return nfqd_l7_name_fold(dst, src, len, true);
}

#endif
