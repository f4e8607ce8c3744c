/*
 * The HPACK header block decoder (include/nfqd/l7/hpack.h says what it
 * takes).
 *
 * One pass over the block, one representation at a time; every integer
 * and string length is held against the block's end before a byte of it
 * is read, and nothing is read past blk[len - 1].
 *
 * Huffman strings are decoded by code length.  The code (Appendix B) is
 * canonical: the codes of one length are consecutive numbers, following
 * on from the shorter ones, so 32 bits of the string, left-aligned, are
 * below huff_lim[l] exactly when the code they start with is at most l
 * bits long.  A symbol costs a compare for each length from 5 up to its
 * own (1 to 4 for letters, digits and most punctuation), and a look-up.
 *
 * The dynamic table's bytes lie in d->buf in the order the entries came,
 * the oldest lowest: evicting one is forgetting it, and an entry is added
 * at d->tail, after the live ones moved to the start of buf[] when it
 * would not fit there.  A new entry may take its name from an entry that
 * adding it evicts (RFC 7541 4.4): its bytes are still in buf[] below the
 * live ones, and are moved along with them.
 *
 * A Huffman-coded name or value is decoded into scratch[], one static
 * buffer for the process (the struct holds the table only, to be small
 * enough to keep one per connection): decoding is not reentrant, and is
 * on one thread.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nfqd/l7/hpack.h"

#define NSTATIC		61		/* Appendix A's entries */
#define ENT_MASK	(NFQD_HPACK_ENTRIES - 1)
#define NOT_IN_BUF	UINT32_MAX	/* a name not in d->buf */

_Static_assert((NFQD_HPACK_ENTRIES & ENT_MASK) == 0 &&
    NFQD_HPACK_ENTRIES > 0, "NFQD_HPACK_ENTRIES is a power of two");
_Static_assert(NFQD_HPACK_TABLE_MAX - 32 <= UINT16_MAX,
    "an entry's name and value lengths fit its uint16_t");

/* One field's Huffman-decoded name and value, after each other. */
static uint8_t	scratch[NFQD_HPACK_SCRATCH];

static const char *const whys[NFQD_HPACK_R_MAX] = {
	[NFQD_HPACK_R_NONE] = "no problem",
	[NFQD_HPACK_R_INDEX] = "index 0 or past the static and dynamic "
	    "tables",
	[NFQD_HPACK_R_INT] = "integer cut short, over 2^28 or over 4 bytes "
	    "after its prefix",
	[NFQD_HPACK_R_STRING] = "string length past the block's end",
	[NFQD_HPACK_R_HUFFMAN] = "Huffman padding over 7 bits or not 1s, or "
	    "EOS in a string",
	[NFQD_HPACK_R_SIZE] = "dynamic table size update after a field or "
	    "over the maximum",
	[NFQD_HPACK_R_TOO_BIG] = "header block over 16384 bytes",
};

#define S(n, v)	{ (const uint8_t *)(n), (const uint8_t *)(v), \
		  sizeof(n) - 1, sizeof(v) - 1 }

/* Appendix A: index i is stab[i - 1]. */
static const struct {
	const uint8_t	*name, *value;
	uint8_t		 nlen, vlen;
} stab[NSTATIC] = {
	S(":authority", ""),
	S(":method", "GET"),
	S(":method", "POST"),
	S(":path", "/"),
	S(":path", "/index.html"),
	S(":scheme", "http"),
	S(":scheme", "https"),
	S(":status", "200"),
	S(":status", "204"),
	S(":status", "206"),
	S(":status", "304"),
	S(":status", "400"),
	S(":status", "404"),
	S(":status", "500"),
	S("accept-charset", ""),
	S("accept-encoding", "gzip, deflate"),
	S("accept-language", ""),
	S("accept-ranges", ""),
	S("accept", ""),
	S("access-control-allow-origin", ""),
	S("age", ""),
	S("allow", ""),
	S("authorization", ""),
	S("cache-control", ""),
	S("content-disposition", ""),
	S("content-encoding", ""),
	S("content-language", ""),
	S("content-length", ""),
	S("content-location", ""),
	S("content-range", ""),
	S("content-type", ""),
	S("cookie", ""),
	S("date", ""),
	S("etag", ""),
	S("expect", ""),
	S("expires", ""),
	S("from", ""),
	S("host", ""),
	S("if-match", ""),
	S("if-modified-since", ""),
	S("if-none-match", ""),
	S("if-range", ""),
	S("if-unmodified-since", ""),
	S("last-modified", ""),
	S("link", ""),
	S("location", ""),
	S("max-forwards", ""),
	S("proxy-authenticate", ""),
	S("proxy-authorization", ""),
	S("range", ""),
	S("referer", ""),
	S("refresh", ""),
	S("retry-after", ""),
	S("server", ""),
	S("set-cookie", ""),
	S("strict-transport-security", ""),
	S("transfer-encoding", ""),
	S("user-agent", ""),
	S("vary", ""),
	S("via", ""),
	S("www-authenticate", ""),
};

/* Appendix B. */
const uint32_t nfqd_hpack_huff_code[257] = {
	/*   0 */ 0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3,
	/*   4 */ 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
	/*   8 */ 0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9,
	/*  12 */ 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
	/*  16 */ 0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0,
	/*  20 */ 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
	/*  24 */ 0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7,
	/*  28 */ 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
	/*  32 */ 0x14, 0x3f8, 0x3f9, 0xffa,
	/*  36 */ 0x1ff9, 0x15, 0xf8, 0x7fa,
	/*  40 */ 0x3fa, 0x3fb, 0xf9, 0x7fb,
	/*  44 */ 0xfa, 0x16, 0x17, 0x18,
	/*  48 */ 0x0, 0x1, 0x2, 0x19,
	/*  52 */ 0x1a, 0x1b, 0x1c, 0x1d,
	/*  56 */ 0x1e, 0x1f, 0x5c, 0xfb,
	/*  60 */ 0x7ffc, 0x20, 0xffb, 0x3fc,
	/*  64 */ 0x1ffa, 0x21, 0x5d, 0x5e,
	/*  68 */ 0x5f, 0x60, 0x61, 0x62,
	/*  72 */ 0x63, 0x64, 0x65, 0x66,
	/*  76 */ 0x67, 0x68, 0x69, 0x6a,
	/*  80 */ 0x6b, 0x6c, 0x6d, 0x6e,
	/*  84 */ 0x6f, 0x70, 0x71, 0x72,
	/*  88 */ 0xfc, 0x73, 0xfd, 0x1ffb,
	/*  92 */ 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
	/*  96 */ 0x7ffd, 0x3, 0x23, 0x4,
	/* 100 */ 0x24, 0x5, 0x25, 0x26,
	/* 104 */ 0x27, 0x6, 0x74, 0x75,
	/* 108 */ 0x28, 0x29, 0x2a, 0x7,
	/* 112 */ 0x2b, 0x76, 0x2c, 0x8,
	/* 116 */ 0x9, 0x2d, 0x77, 0x78,
	/* 120 */ 0x79, 0x7a, 0x7b, 0x7ffe,
	/* 124 */ 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
	/* 128 */ 0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8,
	/* 132 */ 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
	/* 136 */ 0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc,
	/* 140 */ 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
	/* 144 */ 0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0,
	/* 148 */ 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
	/* 152 */ 0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5,
	/* 156 */ 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
	/* 160 */ 0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb,
	/* 164 */ 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
	/* 168 */ 0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0,
	/* 172 */ 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
	/* 176 */ 0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2,
	/* 180 */ 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
	/* 184 */ 0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4,
	/* 188 */ 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
	/* 192 */ 0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1,
	/* 196 */ 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
	/* 200 */ 0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde,
	/* 204 */ 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
	/* 208 */ 0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0,
	/* 212 */ 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
	/* 216 */ 0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9,
	/* 220 */ 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
	/* 224 */ 0xfffec, 0xfffff3, 0xfffed, 0x1fffe6,
	/* 228 */ 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
	/* 232 */ 0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef,
	/* 236 */ 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
	/* 240 */ 0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed,
	/* 244 */ 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
	/* 248 */ 0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed,
	/* 252 */ 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
	/* 256 */ 0x3fffffff,
};

const uint8_t nfqd_hpack_huff_len[257] = {
	/*   0 */ 13, 23, 28, 28, 28, 28, 28, 28,
	/*   8 */ 28, 24, 30, 28, 28, 30, 28, 28,
	/*  16 */ 28, 28, 28, 28, 28, 28, 30, 28,
	/*  24 */ 28, 28, 28, 28, 28, 28, 28, 28,
	/*  32 */ 6, 10, 10, 12, 13, 6, 8, 11,
	/*  40 */ 10, 10, 8, 11, 8, 6, 6, 6,
	/*  48 */ 5, 5, 5, 6, 6, 6, 6, 6,
	/*  56 */ 6, 6, 7, 8, 15, 6, 12, 10,
	/*  64 */ 13, 6, 7, 7, 7, 7, 7, 7,
	/*  72 */ 7, 7, 7, 7, 7, 7, 7, 7,
	/*  80 */ 7, 7, 7, 7, 7, 7, 7, 7,
	/*  88 */ 8, 7, 8, 13, 19, 13, 14, 6,
	/*  96 */ 15, 5, 6, 5, 6, 5, 6, 6,
	/* 104 */ 6, 5, 7, 7, 6, 6, 6, 5,
	/* 112 */ 6, 7, 6, 5, 5, 6, 7, 7,
	/* 120 */ 7, 7, 7, 15, 11, 14, 13, 28,
	/* 128 */ 20, 22, 20, 20, 22, 22, 22, 23,
	/* 136 */ 22, 23, 23, 23, 23, 23, 24, 23,
	/* 144 */ 24, 24, 22, 23, 24, 23, 23, 23,
	/* 152 */ 23, 21, 22, 23, 22, 23, 23, 24,
	/* 160 */ 22, 21, 20, 22, 22, 23, 23, 21,
	/* 168 */ 23, 22, 22, 24, 21, 22, 23, 23,
	/* 176 */ 21, 21, 22, 21, 23, 22, 23, 23,
	/* 184 */ 20, 22, 22, 22, 23, 22, 22, 23,
	/* 192 */ 26, 26, 20, 19, 22, 23, 22, 25,
	/* 200 */ 26, 26, 26, 27, 27, 26, 24, 25,
	/* 208 */ 19, 21, 26, 27, 27, 26, 27, 24,
	/* 216 */ 21, 21, 26, 26, 28, 27, 27, 27,
	/* 224 */ 20, 24, 20, 21, 22, 21, 21, 23,
	/* 232 */ 22, 22, 25, 25, 24, 24, 26, 23,
	/* 240 */ 26, 27, 26, 26, 27, 27, 27, 27,
	/* 248 */ 27, 28, 27, 27, 27, 27, 27, 26,
	/* 256 */ 30,
};

/*
 * The decoding tables, made from the two above (test_hpack decodes every
 * symbol through them).  For each code length l from 5 to 30: huff_lim[l]
 * is where the codes of l bits or less end, left-aligned in 32 bits (no
 * code is shorter than 5; none has 9, 16 to 18 or 29 bits, so those
 * repeat the one before); huff_first[l] is the first code of l bits, and
 * huff_off[l] its symbol's place in huff_sym[], the symbols in the order
 * of their codes.
 */
static const uint64_t huff_lim[31] = {
	0, 0, 0, 0, 0,
	0x50000000, 0xb8000000, 0xf8000000, 0xfe000000, 0xfe000000,
	0xff400000, 0xffa00000, 0xffc00000, 0xfff00000, 0xfff80000,
	0xfffe0000, 0xfffe0000, 0xfffe0000, 0xfffe0000, 0xfffe6000,
	0xfffee000, 0xffff4800, 0xffffb000, 0xffffea00, 0xfffff600,
	0xfffff800, 0xfffffbc0, 0xfffffe20, 0xfffffff0, 0xfffffff0,
	0x100000000ull,
};

static const uint32_t huff_first[31] = {
	0, 0, 0, 0, 0,
	0, 20, 92, 248, 508,
	1016, 2042, 4090, 8184, 16380,
	32764, 65534, 131068, 262136, 524272,
	1048550, 2097116, 4194258, 8388568, 16777194,
	33554412, 67108832, 134217694, 268435426, 536870910,
	1073741820,
};

static const uint16_t huff_off[31] = {
	0, 0, 0, 0, 0,
	0, 10, 36, 68, 74,
	74, 79, 82, 84, 90,
	92, 95, 95, 95, 95,
	98, 106, 119, 145, 174,
	186, 190, 205, 224, 253,
	253,
};

static const uint16_t huff_sym[257] = {
	48, 49, 50, 97, 99, 101, 105, 111, 115, 116, 32, 37,
	45, 46, 47, 51, 52, 53, 54, 55, 56, 57, 61, 65,
	95, 98, 100, 102, 103, 104, 108, 109, 110, 112, 114, 117,
	58, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76,
	77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89,
	106, 107, 113, 118, 119, 120, 121, 122, 38, 42, 44, 59,
	88, 90, 33, 34, 40, 41, 63, 39, 43, 124, 35, 62,
	0, 36, 64, 91, 93, 126, 94, 125, 60, 96, 123, 92,
	195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161,
	167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230, 129,
	132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170,
	173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232,
	233, 1, 135, 137, 138, 139, 140, 141, 143, 147, 149, 150,
	151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182,
	183, 188, 191, 197, 231, 239, 9, 142, 144, 145, 148, 159,
	171, 206, 215, 225, 236, 237, 199, 207, 234, 235, 192, 193,
	200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243,
	255, 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245,
	246, 247, 248, 250, 251, 252, 253, 254, 2, 3, 4, 5,
	6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20,
	21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127, 220,
	249, 10, 13, 22, 256,
};

/* Where a block is being read. */
struct cur {
	const uint8_t	*blk;
	size_t		 len, p;	/* blk[p] is the next byte */
	size_t		 sc;		/* scratch[] bytes the field uses */
	unsigned	*why;
};

static int
refuse(unsigned *why, enum nfqd_hpack_why w)
{
	*why = w;
	return -1;
}

void
nfqd_hpack_init(struct nfqd_hpack *d, uint32_t max)
{
	if (max > NFQD_HPACK_TABLE_MAX)
		max = NFQD_HPACK_TABLE_MAX;
	d->limit = max;
	d->max = max;
	d->size = 0;
	d->first = 0;
	d->n = 0;
	d->tail = 0;
}

/*
 * The integer at c->blk[c->p] with a prefix of bits bits (5.1), the
 * representation's flags above them.  Four bytes after the prefix carry
 * 28 bits, more than any length, index or size here can be: a fifth is
 * refused, so is a value over 2^28.  0, or -1 with why INT.
 */
static int
get_int(struct cur *c, unsigned bits, uint32_t *v)
{
	uint32_t	mask = (1u << bits) - 1, x, b;
	unsigned	shift;

	if (c->p >= c->len)
		return refuse(c->why, NFQD_HPACK_R_INT);
	x = c->blk[c->p++] & mask;
	if (x == mask) {
		for (shift = 0;; shift += 7) {
			if (c->p >= c->len || shift == 28)
				return refuse(c->why, NFQD_HPACK_R_INT);
			b = c->blk[c->p++];
			x += (b & 0x7f) << shift;
			if ((b & 0x80) == 0)
				break;
		}
		if (x > 1u << 28)
			return refuse(c->why, NFQD_HPACK_R_INT);
	}
	*v = x;
	return 0;
}

/*
 * Huffman-decode s[0..n) into out, which has room for n * 8 / 5 bytes
 * (every code is 5 bits or more): the bytes decoded, or -1 (the padding
 * over 7 bits or not all 1s, or EOS decoded).
 */
static long
huff_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	uint64_t	acc = 0;	/* nb bits not yet decoded, low */
	uint32_t	w;
	unsigned	nb = 0, l, sym;
	size_t		i = 0, o = 0;

	for (;;) {
		while (nb <= 56 && i < n) {
			acc = acc << 8 | s[i++];
			nb += 8;
		}
		/* Under 57 bits left means all of s is in acc. */
		if (nb < 5)
			break;
		/* The next 32 bits, 1s past the end (as padding would be). */
		if (nb >= 32)
			w = (uint32_t)(acc >> (nb - 32));
		else
			w = (uint32_t)(acc << (32 - nb)) |
			    ((1u << (32 - nb)) - 1);
		for (l = 5; w >= huff_lim[l]; l++)
			;
		/* The code runs past the end: what is left is padding. */
		if (l > nb)
			break;
		sym = huff_sym[huff_off[l] + (w >> (32 - l)) -
		    huff_first[l]];
		if (sym == 256)
			return -1;
		out[o++] = (uint8_t)sym;
		nb -= l;
		acc &= ((uint64_t)1 << nb) - 1;
	}
	if (nb > 7 || acc != ((uint64_t)1 << nb) - 1)
		return -1;
	return (long)o;
}

/*
 * The string literal at c->blk[c->p] (5.2): in the block, or decoded into
 * scratch[] after the field's bytes there.  0, or -1 with why.
 */
static int
get_str(struct cur *c, const uint8_t **s, uint32_t *slen)
{
	uint32_t	n;
	long		got;
	int		huff;

	huff = c->p < c->len && (c->blk[c->p] & 0x80);
	if (get_int(c, 7, &n) < 0)
		return -1;
	if (n > c->len - c->p)
		return refuse(c->why, NFQD_HPACK_R_STRING);
	if (!huff) {
		*s = c->blk + c->p;
		*slen = n;
		c->p += n;
		return 0;
	}
	/* Cannot be: a field's strings are in one block. */
	if ((size_t)n * 8 / 5 > NFQD_HPACK_SCRATCH - c->sc)
		return refuse(c->why, NFQD_HPACK_R_TOO_BIG);
	if ((got = huff_decode(c->blk + c->p, n, scratch + c->sc)) < 0)
		return refuse(c->why, NFQD_HPACK_R_HUFFMAN);
	*s = scratch + c->sc;
	*slen = (uint32_t)got;
	c->sc += (size_t)got;
	c->p += n;
	return 0;
}

/*
 * Entry i (2.3.3: 1 to 61 static, then the dynamic table, newest first)
 * into f; *off is where its bytes are in d->buf, NOT_IN_BUF for a static
 * one.  0, or -1 with why INDEX.
 */
static int
lookup(const struct nfqd_hpack *d, struct cur *c, uint32_t i,
    struct nfqd_hpack_field *f, uint32_t *off)
{
	const struct nfqd_hpack_entry	*e;

	if (i == 0)
		return refuse(c->why, NFQD_HPACK_R_INDEX);
	if (i <= NSTATIC) {
		f->name = stab[i - 1].name;
		f->nlen = stab[i - 1].nlen;
		f->value = stab[i - 1].value;
		f->vlen = stab[i - 1].vlen;
		*off = NOT_IN_BUF;
		return 0;
	}
	i -= NSTATIC + 1;
	if (i >= d->n)
		return refuse(c->why, NFQD_HPACK_R_INDEX);
	e = &d->ent[(d->first + d->n - 1 - i) & ENT_MASK];
	f->name = d->buf + e->off;
	f->nlen = e->nlen;
	f->value = d->buf + e->off + e->nlen;
	f->vlen = e->vlen;
	*off = e->off;
	return 0;
}

/* Evict the oldest entries until the table's size is at most room (4.4). */
static void
evict(struct nfqd_hpack *d, uint32_t room)
{
	const struct nfqd_hpack_entry	*e;

	while (d->size > room && d->n > 0) {
		e = &d->ent[d->first];
		d->size -= (uint32_t)e->nlen + e->vlen + 32;
		d->first = (d->first + 1) & ENT_MASK;
		d->n--;
	}
	/* Empty: the next entry starts buf[] afresh. */
	if (d->n == 0)
		d->tail = 0;
}

static void
reverse(uint8_t *b, size_t n)
{
	size_t	i;
	uint8_t	t;

	for (i = 0; i < n / 2; i++) {
		t = b[i];
		b[i] = b[n - 1 - i];
		b[n - 1 - i] = t;
	}
}

/*
 * Add a field as the newest entry (4.4); its name is at d->buf[noff]
 * when noff is not NOT_IN_BUF: an entry's name, maybe of an entry that
 * this evicts.  The value is never in d->buf.
 */
static void
insert(struct nfqd_hpack *d, const uint8_t *name, uint32_t nlen,
    uint32_t noff, const uint8_t *value, uint32_t vlen)
{
	struct nfqd_hpack_entry	*e;
	uint32_t		 need = nlen + vlen, head, live, k;
	int			 placed = 0;

	/* 4.4: an entry larger than the table empties it, and is not added. */
	if ((uint64_t)need + 32 > d->max) {
		evict(d, 0);
		return;
	}
	evict(d, d->max - need - 32);
	/* Live bytes plus need are at most max - 32 (n + 1): they fit. */
	if (d->tail + need > NFQD_HPACK_TABLE_MAX) {
		head = d->ent[d->first].off;
		live = d->tail - head;
		if (noff != NOT_IN_BUF && noff < head) {
			/*
			 * The name's entry was evicted; its bytes lie below
			 * head, where the live ones are about to go.  Put them
			 * first, the live ones after, then swap the two
			 * (three reversals) so the name follows the live
			 * entries where the new entry starts.
			 */
			memmove(d->buf, d->buf + noff, nlen);
			memmove(d->buf + nlen, d->buf + head, live);
			reverse(d->buf, nlen);
			reverse(d->buf + nlen, live);
			reverse(d->buf, nlen + live);
			placed = 1;
		} else {
			memmove(d->buf, d->buf + head, live);
			if (noff != NOT_IN_BUF)
				noff -= head;
		}
		for (k = 0; k < d->n; k++)
			d->ent[(d->first + k) & ENT_MASK].off -= head;
		d->tail = live;
	}
	/*
	 * A name in buf[] lies below tail, or (the table emptied, tail back
	 * at 0) anywhere: memmove.
	 */
	if (!placed)
		memmove(d->buf + d->tail, noff != NOT_IN_BUF ? d->buf + noff :
		    name, nlen);
	if (vlen > 0)
		memcpy(d->buf + d->tail + nlen, value, vlen);
	e = &d->ent[(d->first + d->n) & ENT_MASK];
	e->off = d->tail;
	e->nlen = (uint16_t)nlen;
	e->vlen = (uint16_t)vlen;
	d->n++;
	d->size += need + 32;
	d->tail += need;
}

int
nfqd_hpack_decode(struct nfqd_hpack *d, const uint8_t *blk, size_t len,
    int (*cb)(void *arg, const struct nfqd_hpack_field *f), void *arg,
    unsigned *why)
{
	struct nfqd_hpack_field	f;
	struct cur		c;
	uint32_t		v, noff;
	unsigned		bits;
	uint8_t			b;
	int			r, start = 1;

	*why = NFQD_HPACK_R_NONE;
	if (len > NFQD_HPACK_BLOCK_MAX)
		return refuse(why, NFQD_HPACK_R_TOO_BIG);
	c.blk = blk;
	c.len = len;
	c.p = 0;
	c.why = why;
	while (c.p < len) {
		b = blk[c.p];
		c.sc = 0;
		if ((b & 0xe0) == 0x20) {
			/* 6.3, before the first field only (4.2). */
			if (!start)
				return refuse(why, NFQD_HPACK_R_SIZE);
			if (get_int(&c, 5, &v) < 0)
				return -1;
			if (v > d->limit)
				return refuse(why, NFQD_HPACK_R_SIZE);
			d->max = v;
			evict(d, v);
			continue;
		}
		start = 0;
		if (b & 0x80) {
			/* 6.1 */
			if (get_int(&c, 7, &v) < 0 ||
			    lookup(d, &c, v, &f, &noff) < 0)
				return -1;
			f.rep = NFQD_HPACK_INDEXED;
		} else {
			/* 6.2.1: 01, 6.2.2: 0000, 6.2.3: 0001. */
			if (b & 0x40) {
				f.rep = NFQD_HPACK_INCREMENTAL;
				bits = 6;
			} else {
				f.rep = b & 0x10 ? NFQD_HPACK_NEVER :
				    NFQD_HPACK_WITHOUT;
				bits = 4;
			}
			if (get_int(&c, bits, &v) < 0)
				return -1;
			noff = NOT_IN_BUF;
			if (v == 0) {
				if (get_str(&c, &f.name, &f.nlen) < 0)
					return -1;
			} else if (lookup(d, &c, v, &f, &noff) < 0) {
				return -1;
			}
			if (get_str(&c, &f.value, &f.vlen) < 0)
				return -1;
		}
		if ((r = cb(arg, &f)) != 0)
			return r;
		if (f.rep == NFQD_HPACK_INCREMENTAL)
			insert(d, f.name, f.nlen, noff, f.value, f.vlen);
	}
	return 0;
}

const char *
nfqd_hpack_why_str(unsigned why)
{
	return why < NFQD_HPACK_R_MAX ? whys[why] : "unknown";
}

const uint8_t *
nfqd_hpack_scratch(size_t *len)
{
	*len = sizeof(scratch);
	return scratch;
}
