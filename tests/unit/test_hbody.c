/*
 * Unit tests for src/l7/hbody.c: chunked bodies as clients send them, and
 * the shapes servers read differently (a space after the size, a bare LF,
 * a sign, "0x", 16 digits, folded trailers), each followed by the next
 * request's bytes.  Every row is read whole, a byte at a time, cut in two
 * at every place, and with the chunks' data stepped over unread (nothing
 * of it fed); each way must give the same answer at the same offset.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/hbody.h"
#include "unit.h"

#define NEXT	"GET / HTTP/1.1\r\n"

static const char	nulbody[] = "0\r\nX: \x00\r\n\r\n";

#define K16	"0123456789abcdef"
#define K256	K16 K16 K16 K16 K16 K16 K16 K16 K16 K16 K16 K16 K16 K16 K16 K16
#define K4	K256 K256 K256 K256 K256 K256 K256 K256 K256 K256 K256 K256 \
		K256 K256 K256 K256

static const struct row {
	const char	*name, *body;
	int		 res;		/* enum nfqd_l7_res */
	long		 end;		/* DONE: where the body ends; BAD:
					   where it was seen; -1: the end
					   of the body string, MORE */
	unsigned	 why;
} rows[] = {
	{ "curl -T - (one chunk)", "5\r\nhello\r\n0\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 15, 0 },
	{ "two chunks", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 20, 0 },
	{ "no chunk but the last", "0\r\n\r\n" NEXT, NFQD_L7_DONE, 5, 0 },
	{ "leading zeros, several zeros at the end",
	  "0005\r\nhello\r\n000\r\n\r\n" NEXT, NFQD_L7_DONE, 20, 0 },
	{ "hex in both cases", "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n"
	  "\r\n" NEXT, NFQD_L7_DONE, 35, 0 },
	{ "an extension", "3;name=\"v a\";x\r\nabc\r\n0;e\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 28, 0 },
	{ "trailers", "1\r\na\r\n0\r\nX-A: 1\r\nX-B:\xc3\xa9 b\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 29, 0 },
	{ "data that looks like a chunk", "5\r\n0\r\n\r\n\r\n0\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 15, 0 },
	{ "15 hex digits, stepped over", "00000000000000f\r\n0123456789abcde"
	  "\r\n0\r\n\r\n" NEXT, NFQD_L7_DONE, 39, 0 },
	{ "cut in the data", "5\r\nhel", NFQD_L7_MORE, -1, 0 },
	{ "cut in a size line", "5\r\nhello\r\n1", NFQD_L7_MORE, -1, 0 },
	{ "cut in the trailers", "0\r\nX: 1\r\n", NFQD_L7_MORE, -1, 0 },
	{ "16 hex digits", "0000000000000001\r\nx\r\n0\r\n\r\n",
	  NFQD_L7_BAD, 15, NFQD_HBODY_R_SIZE },
	{ "a space after the size", "5 \r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 1,
	  NFQD_HBODY_R_SIZE },
	{ "a space before ';'", "5 ;x\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 1,
	  NFQD_HBODY_R_SIZE },
	{ "a tab before the size", "\t5\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 0,
	  NFQD_HBODY_R_SIZE },
	{ "a sign", "+5\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 0,
	  NFQD_HBODY_R_SIZE },
	{ "0x", "0x5\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 1, NFQD_HBODY_R_SIZE },
	{ "no size", "\r\nhello\r\n", NFQD_L7_BAD, 0, NFQD_HBODY_R_SIZE },
	{ "a size line ended by LF", "5\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 1,
	  NFQD_HBODY_R_CRLF },
	{ "a bare CR after the size", "5\rhello\r\n0\r\n\r\n", NFQD_L7_BAD, 2,
	  NFQD_HBODY_R_CRLF },
	{ "data one byte longer than the size", "5\r\nhello!\r\n0\r\n\r\n",
	  NFQD_L7_BAD, 8, NFQD_HBODY_R_CRLF },
	{ "data ended by LF", "5\r\nhello\n0\r\n\r\n", NFQD_L7_BAD, 8,
	  NFQD_HBODY_R_CRLF },
	{ "a control byte in the extension", "5;a\x01\r\nhello\r\n0\r\n\r\n",
	  NFQD_L7_BAD, 3, NFQD_HBODY_R_EXT },
	{ "a LF in the extension", "5;a\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 3,
	  NFQD_HBODY_R_CRLF },
	{ "the last chunk ended by LF", "0\r\n\n" NEXT, NFQD_L7_BAD, 3,
	  NFQD_HBODY_R_CRLF },
	{ "a folded trailer", "0\r\nX: 1\r\n b\r\n\r\n", NFQD_L7_BAD, 9,
	  NFQD_HBODY_R_TRAILER },
	{ "a trailer without ':'", "0\r\nX 1\r\n\r\n", NFQD_L7_BAD, 4,
	  NFQD_HBODY_R_TRAILER },
	{ "a trailer ended by LF", "0\r\nX: 1\n\r\n", NFQD_L7_BAD, 7,
	  NFQD_HBODY_R_CRLF },
	{ "a NUL in a trailer", nulbody, NFQD_L7_BAD, 6,
	  NFQD_HBODY_R_TRAILER },
	{ "an empty extension, one with a tab", "5;\r\nhello\r\n0;a=\"\tb\"\r\n"
	  "\r\n" NEXT, NFQD_L7_DONE, 23, 0 },
	{ "a trailer with an empty value", "0\r\nX:\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 9, 0 },
	{ "a chunk of 4 KiB", "1000\r\n" K4 "\r\n0\r\n\r\n" NEXT,
	  NFQD_L7_DONE, 4109, 0 },
	{ "cut at the last CR", "0\r\n\r", NFQD_L7_MORE, -1, 0 },
	{ "16 zeros", "0000000000000000\r\n\r\n", NFQD_L7_BAD, 15,
	  NFQD_HBODY_R_SIZE },
	{ "a minus sign", "-5\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 0,
	  NFQD_HBODY_R_SIZE },
	{ "0X", "0X5\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 1,
	  NFQD_HBODY_R_SIZE },
	{ "a tab before CRLF", "5\t\r\nhello\r\n0\r\n\r\n", NFQD_L7_BAD, 1,
	  NFQD_HBODY_R_SIZE },
	{ "a DEL in the extension", "5;\x7f\r\nhello\r\n0\r\n\r\n",
	  NFQD_L7_BAD, 2, NFQD_HBODY_R_EXT },
	{ "a byte over 0x7f in the extension", "5;\xc3\xa9\r\nhello\r\n0\r\n"
	  "\r\n", NFQD_L7_BAD, 2, NFQD_HBODY_R_EXT },
	{ "a bare CR in the extension", "5;a\rb\r\nhello\r\n0\r\n\r\n",
	  NFQD_L7_BAD, 4, NFQD_HBODY_R_CRLF },
	{ "data ended by a bare CR", "5\r\nhello\rX\n0\r\n\r\n", NFQD_L7_BAD,
	  9, NFQD_HBODY_R_CRLF },
	{ "data one byte short", "5\r\nhell\r\n0\r\n\r\n", NFQD_L7_BAD, 8,
	  NFQD_HBODY_R_CRLF },
	{ "a trailer line without ':' ended by CRLF", "0\r\nX\r\n\r\n",
	  NFQD_L7_BAD, 4, NFQD_HBODY_R_TRAILER },
	{ "a space before a trailer's ':'", "0\r\nX : 1\r\n\r\n", NFQD_L7_BAD,
	  4, NFQD_HBODY_R_TRAILER },
	{ "a trailer with an empty name", "0\r\n: 1\r\n\r\n", NFQD_L7_BAD, 3,
	  NFQD_HBODY_R_TRAILER },
	{ "a tab-folded trailer", "0\r\nX: 1\r\n\tb\r\n\r\n", NFQD_L7_BAD,
	  9, NFQD_HBODY_R_TRAILER },
	{ "a bare CR in a trailer", "0\r\nX: 1\rY\r\n\r\n", NFQD_L7_BAD, 8,
	  NFQD_HBODY_R_CRLF },
	{ "the last CR bare", "0\r\n\rG", NFQD_L7_BAD, 4,
	  NFQD_HBODY_R_CRLF },
	{ "a request where the body should be", NEXT, NFQD_L7_BAD, 0,
	  NFQD_HBODY_R_SIZE },
};

struct out {
	int		res;
	size_t		end;		/* offset of the answer in the row */
	unsigned	why;
};

/* Feed s[0..n) cut at the offsets in cuts[] (ascending, < n). */
static struct out
feed(const uint8_t *s, size_t n, const size_t *cuts, size_t ncuts,
    bool skip)
{
	struct nfqd_hbody	b;
	struct out		o = { NFQD_L7_MORE, n, 0 };
	size_t			i, a = 0, e, used, k;
	uint64_t		sk;
	int			r;

	nfqd_hbody_init(&b);
	for (i = 0; i <= ncuts && a < n; i++) {
		e = i < ncuts ? cuts[i] : n;
		while (a < e) {
			if (skip && (sk = nfqd_hbody_skippable(&b)) > 0) {
				k = sk < e - a ? (size_t)sk : e - a;
				nfqd_hbody_skip(&b, k);
				a += k;
				continue;
			}
			r = nfqd_hbody_feed(&b, s + a, e - a, &used);
			if (r != NFQD_L7_MORE) {
				o.res = r;
				o.end = a + used;
				o.why = b.why;
				/* Sticky. */
				if ((int)nfqd_hbody_feed(&b, s, n, &used) != r ||
				    used != 0)
					o.res = -1;
				return o;
			}
			if (used != e - a) {
				o.res = -2;
				return o;
			}
			a = e;
		}
	}
	return o;
}

static bool
same(struct out a, struct out b)
{
	return a.res == b.res && a.end == b.end && a.why == b.why;
}

int
main(void)
{
	static size_t	cuts[8192];
	size_t		i, j, n;
	struct out	w, o;
	bool		ok;
	uint8_t		*s;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		n = r->body == nulbody ? sizeof(nulbody) - 1 : strlen(r->body);
		if (n > sizeof(cuts) / sizeof(cuts[0]))
			abort();	/* a row longer than cuts[] */
		/* An allocation of exactly n: a read past it is caught. */
		if ((s = malloc(n)) == NULL)
			abort();
		memcpy(s, r->body, n);
		w = feed(s, n, NULL, 0, false);
		CHECK(w.res == r->res && (r->end < 0 ? w.end == n :
		    w.end == (size_t)r->end) && w.why == r->why,
		    unit_fmt("%s: res %d end %zu why %s", r->name, w.res,
		    w.end, nfqd_hbody_why_str(w.why)));
		for (j = 0; j + 1 < n; j++)
			cuts[j] = j + 1;
		o = feed(s, n, cuts, n - 1, false);
		CHECK(same(o, w), unit_fmt("%s: a byte at a time", r->name));
		for (j = 1, ok = true; j < n; j++) {
			cuts[0] = j;
			ok &= same(feed(s, n, cuts, 1, false), w);
		}
		CHECK(ok, unit_fmt("%s: cut in two anywhere", r->name));
		o = feed(s, n, NULL, 0, true);
		CHECK(same(o, w), unit_fmt("%s: data stepped over", r->name));
		for (j = 0; j + 1 < n; j++)
			cuts[j] = j + 1;
		o = feed(s, n, cuts, n - 1, true);
		CHECK(same(o, w), unit_fmt("%s: stepped over, a byte at a time",
		    r->name));
		free(s);
	}

	/* A size line and a trailer section at and past their bounds. */
	{
		static uint8_t	big[20000];
		struct out	x;

		memset(big, 'x', sizeof(big));
		n = (size_t)snprintf((char *)big, sizeof(big), "5;");
		big[n] = 'x';
		memcpy(big + NFQD_HBODY_LINE_MAX - 2, "\r\n", 2);
		x = feed(big, NFQD_HBODY_LINE_MAX, NULL, 0, false);
		CHECK(x.res == NFQD_L7_MORE, "a size line of 4096 bytes");
		memset(big, 'x', sizeof(big));
		memcpy(big, "5;", 2);
		memcpy(big + NFQD_HBODY_LINE_MAX - 1, "\r\n", 2);
		x = feed(big, NFQD_HBODY_LINE_MAX + 1, NULL, 0, false);
		CHECK(x.res == NFQD_L7_BAD && x.why == NFQD_HBODY_R_TOO_BIG &&
		    x.end == NFQD_HBODY_LINE_MAX, "a size line of 4097: BAD");
		memcpy(big, "0\r\n", 3);
		for (j = 3; j + 8 <= 3 + NFQD_HBODY_TRAILER_MAX - 2; j += 8)
			memcpy(big + j, "X: 123\r\n", 8);
		memcpy(big + j, "\r\n", 2);
		x = feed(big, j + 2, NULL, 0, false);
		CHECK(x.res == NFQD_L7_DONE && x.end == j + 2,
		    unit_fmt("a trailer section of %zu bytes", j + 2 - 3));
		memcpy(big + j, "X: 123\r\n\r\n", 10);
		x = feed(big, j + 10, NULL, 0, false);
		CHECK(x.res == NFQD_L7_BAD && x.why == NFQD_HBODY_R_TOO_BIG,
		    "a trailer section over 16384 bytes: BAD");
	}
	/* A chunk of 2^60 - 1 bytes: stepped over in parts. */
	{
		struct nfqd_hbody	b;
		size_t			used;

		nfqd_hbody_init(&b);
		CHECK(nfqd_hbody_feed(&b, (const uint8_t *)"fffffffffffffff\r\n",
		    17, &used) == NFQD_L7_MORE && used == 17, "a 2^60 size");
		CHECK(nfqd_hbody_skippable(&b) == (1ull << 60) - 1,
		    "... all of it skippable");
		nfqd_hbody_skip(&b, 1ull << 59);
		nfqd_hbody_skip(&b, (1ull << 59) - 1);
		CHECK(nfqd_hbody_skippable(&b) == 0, "... stepped over");
		CHECK(nfqd_hbody_feed(&b, (const uint8_t *)"\r\n0\r\n\r\nG", 8,
		    &used) == NFQD_L7_DONE && used == 7, "... then the end");
	}
	CHECK_STR_EQ(nfqd_hbody_why_str(NFQD_HBODY_R_MAX), "unknown",
	    "why out of range");
	return unit_done();
}
