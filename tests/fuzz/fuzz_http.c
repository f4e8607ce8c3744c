/*
 * libFuzzer target for nfqd_http_first_parse(): nfqd_http_req_parse() and
 * HTTP/2 with prior knowledge.
 *
 * Input: the client's stream from its first byte.  The parser sees exactly
 * libFuzzer's buffer, so a read past len is a read past the allocation;
 * prefixes are parsed from copies of exactly their size.  Besides "no
 * crash", it asserts what the header promises:
 *   - the answer and why agree; on MORE, NOT and BAD every field but why
 *     (and need) is zero; a MORE's need is 0 or past len;
 *   - DONE: used <= len and <= NFQD_HTTP_HEAD_MAX; the body is none, a
 *     length under 10^18 (its value 0 otherwise) or chunked (never in
 *     HTTP/1.0), and with close and upgrade what the head's lines,
 *     split here apart from the parser, say; every length is its
 *     string's strlen; the method is the request line's first word, of
 *     tchars; the host re-normalizes to itself and has no trailing dot;
 *     the path has the shape its form gives it, no empty, "." or ".."
 *     segment, no ';' before its query, no escape of an unreserved
 *     character (nor, before its query, of printable ASCII but
 *     / ? # ; \ %), no lower-case hex, and normalizes to itself when sent
 *     again;
 *   - a prefix shorter than used is MORE; once DONE, NOT or BAD, every
 *     longer prefix gives the same answer, fields and all; the head alone
 *     (used bytes) gives the same DONE; NOT and BAD come at one byte,
 *     MORE before it and the same answer at every prefix looked at after;
 *   - a first line that servers splitting at any whitespace take (a
 *     method of tchars, a target, a third word "HTTP/..." in any case, or
 *     "GET" and a target alone on the line), split here independently
 *     of the parser, is never NOT (but the HTTP/2 preface's);
 *   - nothing depends on what out held before;
 *   - HTTP/2 (h2): the stream starts with the preface, close is not set,
 *     no body, minor 0, an odd stream; the method tchars, host and path
 *     as above;
 *   - after an HTTP/2 first request, nfqd_http_h2_next() walks the rest
 *     frame by frame with the decoder the first block filled: each step
 *     within the bytes there (a payload stepped over past them ends the
 *     walk), a request on a higher odd stream than the last and read as
 *     the first is, trailers with no fields, MORE with a need past the
 *     bytes and nothing changed, BAD with a reason.
 *
 *   make fuzz; d=$(mktemp -d); cp -r tests/fuzz/corpus/http/. $d
 *   build/fuzz/fuzz_http -max_total_time=60 -rss_limit_mb=2048 $d
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nfqd/l7/hpack.h"
#include "nfqd/l7/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

struct guarded {
	uint8_t			before[32];
	struct nfqd_http_req	req;
	uint8_t			after[32];
};

static bool
all(const void *p, size_t n, uint8_t v)
{
	const uint8_t	*b = p;

	while (n-- > 0)
		if (*b++ != v)
			return false;
	return true;
}

static bool
is_tchar(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/* What Python's str.split() splits an iso-8859-1 line at, LF aside. */
static bool
is_ws(uint8_t c)
{
	return (c != 0 && strchr(" \t\v\f\r\x1c\x1d\x1e\x1f", c) != NULL) ||
	    c == 0x85 || c == 0xa0;
}

/*
 * Whether the first line, after empty lines, split into words at is_ws()
 * as Python's http.server splits it, is a request a lenient server
 * takes: see above.
 */
static bool
lenient_request(const uint8_t *in, size_t size)
{
	const uint8_t	*w[3];
	size_t		 wl[3], nw = 0, i = 0, j;

	while (i < size && (in[i] == '\r' || in[i] == '\n'))
		i++;
	while (nw < 3) {
		while (i < size && is_ws(in[i]))
			i++;
		if (i == size || in[i] == '\n')
			break;
		for (j = i; j < size && !is_ws(in[j]) && in[j] != '\n'; j++)
			;
		w[nw] = in + i;
		wl[nw++] = j - i;
		i = j;
	}
	if (nw < 2)
		return false;
	for (j = 0; j < wl[0]; j++)
		if (!is_tchar(w[0][j]))
			return false;
	if (nw == 3)
		return wl[2] >= 5 && strncasecmp((const char *)w[2], "http/",
		    5) == 0;
	return i < size && in[i] == '\n' && wl[0] == 3 &&
	    memcmp(w[0], "GET", 3) == 0;
}

static bool
is_upper_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int
hexval(uint8_t c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

static bool
is_unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static bool
path_decoded(int c)
{
	return c > 0x20 && c < 0x7f && c != '/' && c != '?' && c != '#' &&
	    c != ';' && c != '\\' && c != '%';
}

static enum nfqd_l7_res
parse_copy(const uint8_t *buf, size_t len, struct nfqd_http_req *r)
{
	enum nfqd_l7_res	 res;
	uint8_t			*copy = malloc(len > 0 ? len : 1);

	ASSERT(copy != NULL);
	memcpy(copy, buf, len);
	res = nfqd_http_first_parse(copy, len, r);
	free(copy);
	return res;
}

/* A normalized origin-form path and query, cut or not. */
static void
check_path(const struct nfqd_http_req *r)
{
	const char	*p = r->path, *q = strchr(p, '?');
	size_t		 pl = q != NULL ? (size_t)(q - p) : strlen(p), i, s;

	ASSERT(p[0] == '/');
	for (i = 0; p[i] != '\0'; i++) {
		uint8_t	c = (uint8_t)p[i];

		ASSERT(c > 0x20 && c < 0x7f && c != '#');
		if (c == '%' && p[i + 1] != '\0' && p[i + 2] != '\0') {
			ASSERT(is_upper_hex((uint8_t)p[i + 1]) &&
			    is_upper_hex((uint8_t)p[i + 2]));
			ASSERT(!is_unreserved(hexval((uint8_t)p[i + 1]) << 4 |
			    hexval((uint8_t)p[i + 2])));
			/* Before the query, only escapes of what is not
			   printable ASCII, and of / ? # ; \ % stay. */
			ASSERT(i >= pl || !path_decoded(hexval((uint8_t)
			    p[i + 1]) << 4 | hexval((uint8_t)p[i + 2])));
		}
		/* Path parameters are taken out of the path part. */
		if (i < pl)
			ASSERT(c != '\\' && c != ';');
	}
	/* Each segment of the path part: not empty but the last, not "."
	   or "..", no escaped '/', '\' or NUL. */
	for (i = 0; i < pl; i = s) {
		ASSERT(p[i] == '/');
		for (s = i + 1; s < pl && p[s] != '/'; s++)
			;
		if (s - i == 1)
			ASSERT(s == pl);
		if (r->path_cut && s == pl)
			break;
		ASSERT(!(s - i == 2 && p[i + 1] == '.'));
		ASSERT(!(s - i == 3 && p[i + 1] == '.' && p[i + 2] == '.'));
	}
	ASSERT(memmem(p, pl, "%2F", 3) == NULL);
	ASSERT(memmem(p, pl, "%5C", 3) == NULL);
	ASSERT(memmem(p, pl, "%00", 3) == NULL);
}

/* The path sent again as an origin-form target comes back the same. */
static void
check_path_again(const struct nfqd_http_req *r)
{
	static uint8_t		buf[NFQD_HTTP_PATH_MAX + 32];
	struct nfqd_http_req	again;
	size_t			n;

	n = (size_t)(stpcpy(stpcpy(stpcpy((char *)buf, "GET "), r->path),
	    " HTTP/1.1\r\n\r\n") - (char *)buf);
	ASSERT(parse_copy(buf, n, &again) == NFQD_L7_DONE);
	ASSERT(strcmp(again.path, r->path) == 0 && !again.path_cut);
}

/* in[0..n), trimmed of SP and HTAB at both ends, is s in any case. */
static bool
trimmed_is(const uint8_t *in, size_t n, const char *s)
{
	while (n > 0 && (in[0] == ' ' || in[0] == '\t'))
		in++, n--;
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	return n == strlen(s) && strncasecmp((const char *)in, s, n) == 0;
}

/*
 * The framing fields against the head's lines, split here apart from the
 * parser: a DONE head has at most one framing header, and body, its
 * length, close and upgrade are what the lines say.
 */
static void
check_framing(const struct nfqd_http_req *r, const uint8_t *in)
{
	unsigned	cl = 0, te = 0, up = 0, conn = 0;
	bool		first = true, close = false, connect;
	uint64_t	v = 0;
	size_t		i, e, c, k, t, n = r->used, len;

	for (i = 0; i < n; i = e + 1) {
		for (e = i; e < n && in[e] != '\n'; e++)
			;
		len = e - i;
		if (len > 0 && in[e - 1] == '\r')
			len--;
		if (len == 0 || first) {
			/* Empty lines before the request line, the last. */
			first = first && len == 0;
			continue;
		}
		for (c = i; c < i + len && in[c] != ':'; c++)
			;
		if (c == i + len)
			continue;
		if (c - i == 14 && strncasecmp((const char *)in + i,
		    "content-length", 14) == 0) {
			cl++;
			for (k = c + 1, v = 0; k < i + len; k++)
				if (in[k] >= '0' && in[k] <= '9')
					v = v * 10 + (uint64_t)(in[k] - '0');
		} else if (c - i == 17 && strncasecmp((const char *)in + i,
		    "transfer-encoding", 17) == 0) {
			te++;
			ASSERT(trimmed_is(in + c + 1, i + len - c - 1,
			    "chunked"));
		} else if (c - i == 7 && strncasecmp((const char *)in + i,
		    "upgrade", 7) == 0) {
			up++;
		} else if (c - i == 10 && strncasecmp((const char *)in + i,
		    "connection", 10) == 0) {
			/* One Connection header, "close" with OWS before
			   it only (Python's http.server reads on past any
			   other). */
			for (k = c + 1; k < i + len && (in[k] == ' ' ||
			    in[k] == '\t'); k++)
				;
			close = conn++ == 0 && i + len - k == 5 &&
			    strncasecmp((const char *)in + k, "close", 5) == 0;
		}
	}
	ASSERT(cl + te <= 1);
	ASSERT(r->body == (cl ? NFQD_HTTP_BODY_LENGTH : te ?
	    NFQD_HTTP_BODY_CHUNKED : NFQD_HTTP_BODY_NONE));
	ASSERT(r->content_length == (cl ? v : 0));
	/* A CONNECT has no body, and a proxy tunnels after it whatever
	   Connection says. */
	connect = strcmp(r->method, "CONNECT") == 0;
	ASSERT(!connect || (te == 0 && v == 0));
	ASSERT(r->close == (close && !connect));
	ASSERT(r->upgrade == (up > 0));
}

static void
check_done(const struct nfqd_http_req *r, const uint8_t *in, size_t size,
    bool later)
{
	char	norm[NFQD_L7_NAME_MAX + 1];
	size_t	skip = 0, i;

	ASSERT(r->why == NFQD_HTTP_R_NONE);
	ASSERT(r->used > 0 && r->used <= size);
	ASSERT(later || r->used <= NFQD_HTTP_HEAD_MAX);
	ASSERT(r->host_len == strlen(r->host));
	ASSERT(r->host_len <= NFQD_L7_NAME_MAX);
	ASSERT(r->method_len == strlen(r->method));
	ASSERT(r->path_len == strlen(r->path));
	ASSERT(r->path_len <= NFQD_HTTP_PATH_MAX);
	ASSERT(!r->path_cut || r->path_len == NFQD_HTTP_PATH_MAX);
	ASSERT(r->minor <= 9);
	ASSERT(r->body <= NFQD_HTTP_BODY_CHUNKED);
	ASSERT(r->body == NFQD_HTTP_BODY_LENGTH || r->content_length == 0);
	ASSERT(r->content_length < 1000000000000000000ull);
	ASSERT(r->body != NFQD_HTTP_BODY_CHUNKED || r->minor != 0);
	ASSERT(r->need == 0);
	if (r->h2) {
		ASSERT(r->used >= (later ? 9 : 24 + 9 + 9));
		ASSERT(memcmp(in, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) ==
		    0);
		ASSERT(!r->close && !r->upgrade && r->minor == 0 &&
		    r->body == NFQD_HTTP_BODY_NONE);
		ASSERT(r->sid != 0 && (r->sid & 1) != 0);
	} else {
		ASSERT(!later && r->sid == 0);
		check_framing(r, in);
		/* The request line's first word, after any empty lines. */
		while (in[skip] == '\r' || in[skip] == '\n')
			skip++;
		ASSERT(memcmp(in + skip, r->method, r->method_len) == 0);
		ASSERT(in[skip + r->method_len] == ' ');
	}
	ASSERT(r->method_len >= 1 && r->method_len <= NFQD_HTTP_METHOD_MAX);
	for (i = 0; i < r->method_len; i++)
		ASSERT(is_tchar((uint8_t)r->method[i]));

	if (r->host_len > 0) {
		ASSERT(nfqd_l7_name_norm(norm, (const uint8_t *)r->host,
		    r->host_len) == r->host_len);
		ASSERT(strcmp(norm, r->host) == 0);
		ASSERT(r->host[r->host_len - 1] != '.');
	}

	if (strcmp(r->method, "CONNECT") == 0) {
		ASSERT(r->path_len == 0 && r->host_len > 0);
		return;
	}
	ASSERT(r->path_len > 0);
	if (r->path[0] == '*') {
		ASSERT(strcmp(r->path, "*") == 0 &&
		    strcmp(r->method, "OPTIONS") == 0);
		return;
	}
	check_path(r);
	if (!r->path_cut)
		check_path_again(r);
}

static void
walk_h2(const uint8_t *in, size_t size, const struct nfqd_http_req *first)
{
	static struct nfqd_hpack	d;
	static struct guarded		g;
	enum nfqd_l7_res		r;
	size_t				pos = first->used, steps;
	uint32_t			sid = first->sid, sid0, skip;

	ASSERT(nfqd_http_first_parse_hp(in, size, &g.req, &d) ==
	    NFQD_L7_DONE);
	ASSERT(memcmp(&g.req, first, sizeof(g.req)) == 0);
	for (steps = 0; pos < size && steps < 4096; steps++) {
		sid0 = sid;
		memset(&g, 0x5a, sizeof(g));
		r = nfqd_http_h2_next(&d, &sid, in + pos, size - pos, &g.req,
		    &skip);
		ASSERT(all(g.before, sizeof(g.before), 0x5a));
		ASSERT(all(g.after, sizeof(g.after), 0x5a));
		ASSERT(g.req.why < NFQD_HTTP_R_MAX);
		if (r != NFQD_L7_DONE) {
			ASSERT(sid == sid0);
			ASSERT(r == NFQD_L7_MORE ? g.req.why == 0 &&
			    g.req.need > size - pos && g.req.need <=
			    NFQD_HTTP_HEAD_MAX : r == NFQD_L7_BAD &&
			    g.req.why != 0 && g.req.need == 0);
			g.req.why = 0;
			g.req.need = 0;
			ASSERT(all(&g.req, sizeof(g.req), 0));
			return;
		}
		ASSERT(g.req.why == 0 && g.req.need == 0);
		ASSERT(g.req.used >= 9 && g.req.used <= size - pos);
		ASSERT(skip == 0 || g.req.used == 9);
		if (g.req.method_len > 0) {
			ASSERT(sid > sid0 && sid == g.req.sid);
			g.req.used += (uint32_t)pos;
			check_done(&g.req, in, size, true);
		} else {
			ASSERT(sid == sid0 && !g.req.h2 && g.req.host_len == 0);
		}
		pos += g.req.used + (size_t)skip;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static struct guarded	 g1, g2;
	enum nfqd_l7_res	 r, r2;
	size_t			 k, lo, hi;

	memset(&g1, 0x5a, sizeof(g1));
	r = nfqd_http_first_parse(in, size, &g1.req);
	ASSERT(all(g1.before, sizeof(g1.before), 0x5a));
	ASSERT(all(g1.after, sizeof(g1.after), 0x5a));
	ASSERT(r == NFQD_L7_MORE || r == NFQD_L7_DONE || r == NFQD_L7_NOT ||
	    r == NFQD_L7_BAD);
	ASSERT(g1.req.why < NFQD_HTTP_R_MAX);
	ASSERT((g1.req.why == NFQD_HTTP_R_NONE) ==
	    (r == NFQD_L7_MORE || r == NFQD_L7_DONE));
	ASSERT(strcmp(nfqd_http_why_str(g1.req.why), "unknown") != 0);
	if (r == NFQD_L7_DONE)
		check_done(&g1.req, in, size, false);
	else {
		memcpy(&g2.req, &g1.req, sizeof(g2.req));
		g2.req.why = 0;
		g2.req.need = 0;
		ASSERT(all(&g2.req, sizeof(g2.req), 0));
		ASSERT(g1.req.need == 0 || (r == NFQD_L7_MORE &&
		    g1.req.need > size));
	}
	/* NOT and the reasons that say it go together. */
	ASSERT((r == NFQD_L7_NOT) == (g1.req.why == NFQD_HTTP_R_NOT_HTTP ||
	    g1.req.why == NFQD_HTTP_R_NOT_TARGET ||
	    g1.req.why == NFQD_HTTP_R_H2_PREFACE));
	/* HTTP/2 says TOO_BIG as soon as a frame's header says its end is
	   past NFQD_HTTP_HEAD_MAX. */
	if (size < NFQD_HTTP_HEAD_MAX && (size < 24 || memcmp(in,
	    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) != 0))
		ASSERT(g1.req.why != NFQD_HTTP_R_TOO_BIG);
	if (lenient_request(in, size))
		ASSERT(r != NFQD_L7_NOT ||
		    g1.req.why == NFQD_HTTP_R_H2_PREFACE);

	/* Nothing depends on what out held before. */
	memset(&g2, 0xa5, sizeof(g2));
	ASSERT(nfqd_http_first_parse(in, size, &g2.req) == r);
	ASSERT(memcmp(&g1.req, &g2.req, sizeof(g1.req)) == 0);

	/* Prefixes: one byte short of DONE, and one the input picks. */
	if (r == NFQD_L7_DONE) {
		ASSERT(parse_copy(in, g1.req.used - 1, &g2.req) ==
		    NFQD_L7_MORE);
		ASSERT(parse_copy(in, g1.req.used, &g2.req) == NFQD_L7_DONE);
		ASSERT(memcmp(&g1.req, &g2.req, sizeof(g1.req)) == 0);
	}
	/* NOT and BAD: found by halving, the byte that says it; each prefix
	   looked at on the way is MORE before it, the same answer after. */
	if (r == NFQD_L7_NOT || r == NFQD_L7_BAD) {
		for (lo = 0, hi = size; hi - lo > 1; ) {
			k = lo + (hi - lo) / 2;
			r2 = parse_copy(in, k, &g2.req);
			if (r2 == NFQD_L7_MORE) {
				lo = k;
				continue;
			}
			ASSERT(r2 == r);
			ASSERT(memcmp(&g1.req, &g2.req, sizeof(g1.req)) == 0);
			hi = k;
		}
	}
	if (size > 1) {
		k = (size_t)(in[size - 1] * 7919u + in[0] * 31u) % size;
		r2 = parse_copy(in, k, &g2.req);
		if (r == NFQD_L7_DONE && k < g1.req.used)
			ASSERT(r2 == NFQD_L7_MORE);
		if (r == NFQD_L7_MORE)
			ASSERT(r2 == NFQD_L7_MORE);
		/* An answer given stays, fields and all. */
		if (r2 != NFQD_L7_MORE) {
			ASSERT(r2 == r);
			ASSERT(memcmp(&g1.req, &g2.req, sizeof(g1.req)) == 0);
		}
	}
	if (r == NFQD_L7_DONE && g1.req.h2)
		walk_h2(in, size, &g1.req);
	return 0;
}
