/*
 * A chunked request body read as it streams past (include/nfqd/l7/hbody.h
 * says what it takes).  One state per place in the grammar, a byte at a
 * time but for the chunks' data, which is counted off whole; every state
 * is judged from the bytes fed before and the byte at hand only, so the
 * answer does not depend on how the stream is cut.
 */
#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/hbody.h"
#include "nfqd/l7/httpchar.h"

enum {
	B_SIZE,		/* the size's hex digits */
	B_EXT,		/* after ';', up to CR */
	B_SIZE_LF,	/* the size line's CR seen */
	B_DATA,		/* chunk data, left bytes of it */
	B_DATA_CR,	/* after the data */
	B_DATA_LF,
	B_TR_START,	/* a trailer line's first byte, or the end's CR */
	B_TR_NAME,
	B_TR_VALUE,
	B_TR_LF,	/* a trailer line's CR seen */
	B_END_LF,	/* the last CR seen */
	B_DONE,
	B_BAD
};

static const char *const whys[NFQD_HBODY_R_MAX] = {
	[NFQD_HBODY_R_NONE] = "no problem",
	[NFQD_HBODY_R_SIZE] = "chunk size malformed",
	[NFQD_HBODY_R_EXT] = "chunk extension malformed",
	[NFQD_HBODY_R_CRLF] = "line not ended by CRLF",
	[NFQD_HBODY_R_TRAILER] = "trailer line malformed",
	[NFQD_HBODY_R_TOO_BIG] = "size line or trailer section too long",
};

void
nfqd_hbody_init(struct nfqd_hbody *b)
{
	b->left = 0;
	b->count = 0;
	b->state = B_SIZE;
	b->digits = 0;
	b->why = NFQD_HBODY_R_NONE;
	b->pad = 0;
}

/* A byte a line may hold before its CR: BAD otherwise, with why. */
static int
line_byte(uint8_t c, int obs_text)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || (obs_text && c >= 0x80);
}

static enum nfqd_l7_res
bad(struct nfqd_hbody *b, enum nfqd_hbody_why why, size_t at, size_t *used)
{
	b->state = B_BAD;
	b->why = (uint8_t)why;
	*used = at;
	return NFQD_L7_BAD;
}

enum nfqd_l7_res
nfqd_hbody_feed(struct nfqd_hbody *b, const uint8_t *buf, size_t len,
    size_t *used)
{
	size_t		i = 0, k;
	uint8_t		c;
	int		v;

	if (b->state == B_DONE || b->state == B_BAD) {
		*used = 0;
		return b->state == B_DONE ? NFQD_L7_DONE : NFQD_L7_BAD;
	}
	while (i < len) {
		if (b->state == B_DATA) {
			k = len - i < b->left ? len - i : (size_t)b->left;
			i += k;
			b->left -= k;
			if (b->left == 0)
				b->state = B_DATA_CR;
			continue;
		}
		c = buf[i];
		if (b->state == B_SIZE || b->state == B_EXT ||
		    b->state == B_SIZE_LF) {
			if (++b->count > NFQD_HBODY_LINE_MAX)
				return bad(b, NFQD_HBODY_R_TOO_BIG, i, used);
		} else if (b->state >= B_TR_START && b->state <= B_END_LF) {
			if (++b->count > NFQD_HBODY_TRAILER_MAX)
				return bad(b, NFQD_HBODY_R_TOO_BIG, i, used);
		}
		switch (b->state) {
		case B_SIZE:
			if ((v = nfqd_http_hexval(c)) >= 0) {
				if (b->digits == 15)
					return bad(b, NFQD_HBODY_R_SIZE, i,
					    used);
				b->left = b->left << 4 | (uint64_t)v;
				b->digits++;
			} else if (b->digits == 0) {
				return bad(b, NFQD_HBODY_R_SIZE, i, used);
			} else if (c == ';') {
				b->state = B_EXT;
			} else if (c == '\r') {
				b->state = B_SIZE_LF;
			} else {
				return bad(b, c == '\n' ? NFQD_HBODY_R_CRLF :
				    NFQD_HBODY_R_SIZE, i, used);
			}
			break;
		case B_EXT:
			if (c == '\r')
				b->state = B_SIZE_LF;
			else if (c == '\n')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			else if (!line_byte(c, 0))
				return bad(b, NFQD_HBODY_R_EXT, i, used);
			break;
		case B_SIZE_LF:
			if (c != '\n')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			b->digits = 0;
			b->count = 0;
			b->state = b->left == 0 ? B_TR_START : B_DATA;
			break;
		case B_DATA_CR:
			if (c != '\r')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			b->state = B_DATA_LF;
			break;
		case B_DATA_LF:
			if (c != '\n')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			b->state = B_SIZE;
			break;
		case B_TR_START:
			if (c == '\r')
				b->state = B_END_LF;
			else if (nfqd_http_tchar(c))
				b->state = B_TR_NAME;
			else
				return bad(b, c == '\n' ? NFQD_HBODY_R_CRLF :
				    NFQD_HBODY_R_TRAILER, i, used);
			break;
		case B_TR_NAME:
			if (c == ':')
				b->state = B_TR_VALUE;
			else if (!nfqd_http_tchar(c))
				/* A CR here ends a line without ':'. */
				return bad(b, c == '\n' ? NFQD_HBODY_R_CRLF :
				    NFQD_HBODY_R_TRAILER, i, used);
			break;
		case B_TR_VALUE:
			if (c == '\r')
				b->state = B_TR_LF;
			else if (c == '\n')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			else if (!line_byte(c, 1))
				return bad(b, NFQD_HBODY_R_TRAILER, i, used);
			break;
		case B_TR_LF:
			if (c != '\n')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			b->state = B_TR_START;
			break;
		case B_END_LF:
			if (c != '\n')
				return bad(b, NFQD_HBODY_R_CRLF, i, used);
			b->state = B_DONE;
			*used = i + 1;
			return NFQD_L7_DONE;
		}
		i++;
	}
	*used = len;
	return NFQD_L7_MORE;
}

uint64_t
nfqd_hbody_skippable(const struct nfqd_hbody *b)
{
	return b->state == B_DATA ? b->left : 0;
}

void
nfqd_hbody_skip(struct nfqd_hbody *b, uint64_t n)
{
	if (b->state != B_DATA || n > b->left)
		return;		/* the caller's mistake: nothing stepped */
	b->left -= n;
	if (b->left == 0)
		b->state = B_DATA_CR;
}

const char *
nfqd_hbody_why_str(unsigned why)
{
	if (why >= NFQD_HBODY_R_MAX)
		return "unknown";
	return whys[why];
}
