/*
 * Unit tests for the first request of HTTP/2 with prior knowledge
 * (nfqd_http_first_parse(), src/l7/http.c): requests built here frame by
 * frame with a small HPACK writer (literals, Huffman strings copied from
 * RFC 7541 C.4, table references), and the shapes a client could use to
 * walk a host or path past a rule: the host in a host field, both, twice,
 * in upper case, a pseudo-header late or twice, padding, priority, the
 * block cut over CONTINUATION frames, frames between, ignored frame
 * types.  Every row is also read at every prefix: MORE up to the length
 * where the whole is answered (never earlier than a MORE's need), then
 * the same answer, fields and all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/hpack.h"
#include "nfqd/l7/http.h"
#include "unit.h"
#include "http_prefix.h"

#define PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

/* A stream being written. */
struct w {
	uint8_t		b[40000];
	size_t		n;
};

static void
put(struct w *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->b))
		abort();
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
put8(struct w *w, unsigned v)
{
	uint8_t	c = (uint8_t)v;

	put(w, &c, 1);
}

/* An HPACK integer of prefix bits n, first byte's other bits hi. */
static void
hint(struct w *w, unsigned hi, unsigned n, size_t v)
{
	size_t	max = ((size_t)1 << n) - 1;

	if (v < max) {
		put8(w, hi | (unsigned)v);
		return;
	}
	put8(w, hi | (unsigned)max);
	for (v -= max; v >= 128; v >>= 7)
		put8(w, (unsigned)(v & 127) | 128);
	put8(w, (unsigned)v);
}

static void
hstr(struct w *w, const char *s)
{
	hint(w, 0, 7, strlen(s));
	put(w, s, strlen(s));
}

/* A literal field without indexing, new name (RFC 7541 6.2.2). */
static void
lit(struct w *w, const char *name, const char *value)
{
	put8(w, 0);
	hstr(w, name);
	hstr(w, value);
}

/* The same with incremental indexing (6.2.1): into the dynamic table. */
static void
lit_add(struct w *w, const char *name, const char *value)
{
	put8(w, 0x40);
	hstr(w, name);
	hstr(w, value);
}

static void
frame(struct w *w, size_t len, unsigned type, unsigned flags, uint32_t sid)
{
	put8(w, (unsigned)(len >> 16));
	put8(w, (unsigned)(len >> 8) & 255);
	put8(w, (unsigned)len & 255);
	put8(w, type);
	put8(w, flags);
	put8(w, sid >> 24);
	put8(w, (sid >> 16) & 255);
	put8(w, (sid >> 8) & 255);
	put8(w, sid & 255);
}

/* The preface and an empty SETTINGS frame, as every client starts. */
static void
start(struct w *w)
{
	static const uint8_t	settings[] = {
		0, 3, 0, 0, 0, 0x64,	/* MAX_CONCURRENT_STREAMS 100 */
		0, 4, 0, 0xa0, 0, 0	/* INITIAL_WINDOW_SIZE */
	};

	w->n = 0;
	put(w, PREFACE, 24);
	frame(w, sizeof(settings), 4, 0, 0);
	put(w, settings, sizeof(settings));
}

/* What a row does with its block (a struct w of fields). */
enum {
	O_PLAIN = 0,
	O_PADDED = 1,		/* 7 bytes of padding */
	O_PRIORITY = 2,		/* the priority fields */
	O_CONT = 4,		/* cut in three: HEADERS, 2 CONTINUATIONs */
	O_BEFORE = 8,		/* WINDOW_UPDATE, PRIORITY, PING, type 0x10
				   and an ignored type before */
	O_PING_IN = 16,		/* a PING between HEADERS and CONTINUATION */
	O_DATA = 32,		/* a DATA frame before the HEADERS */
	O_SID2 = 64,		/* HEADERS on stream 2 */
	O_NO_SETTINGS = 128	/* no SETTINGS frame first */
};

static void
request(struct w *w, const struct w *blk, unsigned o)
{
	static const uint8_t	prio[5] = { 0, 0, 0, 0, 15 };
	static const uint8_t	pad[7];
	size_t			a, b;
	unsigned		fl = 1;		/* END_STREAM */

	if (o & O_NO_SETTINGS)
		w->n = 24;
	if (o & O_BEFORE) {
		frame(w, 4, 8, 0, 0);
		put(w, "\0\x0f\0\x01", 4);
		frame(w, 5, 2, 0, 3);
		put(w, prio, 5);
		frame(w, 8, 6, 0, 0);
		put(w, "12345678", 8);
		frame(w, 3, 0x10, 0, 0);
		put(w, "abc", 3);
		frame(w, 0, 0xfe, 0xff, 7);
	}
	if (o & O_DATA) {
		frame(w, 2, 0, 0, 1);
		put(w, "hi", 2);
	}
	a = blk->n;
	b = blk->n;
	if (o & O_CONT) {
		a = blk->n / 3;
		b = 2 * blk->n / 3;
	} else
		fl |= 4;		/* END_HEADERS */
	if (o & O_PADDED)
		fl |= 8;
	if (o & O_PRIORITY)
		fl |= 0x20;
	frame(w, a + (o & O_PADDED ? 8 : 0) + (o & O_PRIORITY ? 5 : 0), 1, fl,
	    o & O_SID2 ? 2 : 1);
	if (o & O_PADDED)
		put8(w, 7);
	if (o & O_PRIORITY)
		put(w, prio, 5);
	put(w, blk->b, a);
	if (o & O_PADDED)
		put(w, pad, 7);
	if (o & O_CONT) {
		if (o & O_PING_IN) {
			frame(w, 8, 6, 0, 0);
			put(w, "12345678", 8);
		}
		frame(w, b - a, 9, 0, 1);
		put(w, blk->b + a, b - a);
		frame(w, blk->n - b, 9, 4, 1);
		put(w, blk->b + b, blk->n - b);
	}
}

static enum nfqd_l7_res
parse_exact(const uint8_t *buf, size_t len, struct nfqd_http_req *r)
{
	return parse_with(nfqd_http_first_parse, buf, len, r);
}

static void
check_prefixes(const char *name, const uint8_t *buf, size_t len)
{
	check_prefixes_with(nfqd_http_first_parse, name, buf, len);
}

/* A row's block: fields given as "name", "value" pairs, NULL ended, an
 * "@name" adds to the dynamic table, "=N" (name) refers to index N. */
static void
block(struct w *blk, const char *const *f)
{
	blk->n = 0;
	for (; f[0] != NULL; f += 2) {
		if (f[0][0] == '=')
			hint(blk, 0x80, 7, (size_t)atoi(f[0] + 1));
		else if (f[0][0] == '@')
			lit_add(blk, f[0] + 1, f[1]);
		else if (f[0][0] == '#')	/* raw bytes, length in value */
			put(blk, f[0] + 1, (size_t)atoi(f[1]));
		else
			lit(blk, f[0], f[1]);
	}
}

#define GET(auth, path)	":method", "GET", ":scheme", "http", \
			":authority", auth, ":path", path

static const struct row {
	const char	*name;
	const char	*f[24];
	unsigned	 o;
	int		 res;
	unsigned	 why;
	const char	*host, *method, *path;	/* DONE */
} rows[] = {
	{ "GET as curl sends it", { GET("blocked.example", "/admin"),
	  "user-agent", "curl/7.88.1", "accept", "*/*", NULL }, O_PLAIN,
	  NFQD_L7_DONE, 0, "blocked.example", "GET", "/admin" },
	{ "authority with a port and capitals",
	  { GET("Blocked.EXAMPLE.:8080", "/"), NULL }, O_PLAIN,
	  NFQD_L7_DONE, 0, "blocked.example", "GET", "/" },
	{ "padded, priority, cut over CONTINUATIONs, frames before",
	  { GET("blocked.example", "/a"), NULL },
	  O_PADDED | O_PRIORITY | O_CONT | O_BEFORE, NFQD_L7_DONE, 0,
	  "blocked.example", "GET", "/a" },
	{ "the host field alone", { ":method", "GET", ":scheme", "http",
	  ":path", "/", "host", " blocked.example ", NULL }, O_CONT,
	  NFQD_L7_DONE, 0, "blocked.example", "GET", "/" },
	{ "host field and :authority the same", { GET("blocked.example",
	  "/"), "host", "BLOCKED.example:80", NULL }, O_PLAIN, NFQD_L7_DONE,
	  0, "blocked.example", "GET", "/" },
	{ "no host at all", { ":method", "GET", ":scheme", "http", ":path",
	  "/", NULL }, O_PLAIN, NFQD_L7_DONE, 0, "", "GET", "/" },
	{ "an empty :authority", { GET("", "/"), NULL }, O_PLAIN,
	  NFQD_L7_DONE, 0, "", "GET", "/" },
	{ "path normalized", { GET("a.example", "/x/../%61dmin//b?q=%2f"),
	  NULL }, O_PLAIN, NFQD_L7_DONE, 0, "a.example", "GET",
	  "/admin/b?q=%2F" },
	{ "POST", { ":method", "POST", ":scheme", "http", ":authority",
	  "a.example", ":path", "/upload", "content-length", "5", NULL },
	  O_PLAIN, NFQD_L7_DONE, 0, "a.example", "POST", "/upload" },
	{ "OPTIONS *", { ":method", "OPTIONS", ":scheme", "http",
	  ":authority", "a.example", ":path", "*", NULL }, O_PLAIN,
	  NFQD_L7_DONE, 0, "a.example", "OPTIONS", "*" },
	{ "CONNECT", { ":method", "CONNECT", ":authority",
	  "blocked.example:443", NULL }, O_PLAIN, NFQD_L7_DONE, 0,
	  "blocked.example", "CONNECT", "" },
	{ "extended CONNECT (RFC 8441)", { ":method", "CONNECT",
	  ":protocol", "websocket", ":scheme", "http", ":path", "/chat",
	  ":authority", "blocked.example", NULL }, O_PLAIN, NFQD_L7_DONE, 0,
	  "blocked.example", "CONNECT", "/chat" },
	{ "a table entry referred to", { GET("blocked.example", "/"),
	  "@user-agent", "x", "=62", "", NULL }, O_PLAIN, NFQD_L7_DONE, 0,
	  "blocked.example", "GET", "/" },
	{ "static table: :method GET, :path /, :scheme http",
	  { "=2", "", "=4", "", "=6", "", ":authority", "blocked.example",
	  NULL }, O_PLAIN, NFQD_L7_DONE, 0, "blocked.example", "GET", "/" },
	/* RFC 7541 C.4.1: GET http://www.example.com/, Huffman. */
	{ "Huffman (RFC 7541 C.4.1)", { "#\x82\x86\x84\x41\x8c\xf1\xe3\xc2"
	  "\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff", "17", NULL }, O_PLAIN,
	  NFQD_L7_DONE, 0, "www.example.com", "GET", "/" },

	{ ":authority and host differ", { GET("allowed.example", "/"),
	  "host", "blocked.example", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_HOST_DIFF, NULL,
	  NULL, NULL },
	{ "empty :authority and a host", { GET("", "/"), "host",
	  "blocked.example", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_HOST_DIFF, NULL,
	  NULL, NULL },
	{ "two host fields", { ":method", "GET", ":scheme", "http", ":path",
	  "/", "host", "a.example", "host", "blocked.example", NULL },
	  O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_HOST_DUP, NULL,
	  NULL, NULL },
	{ "Host in capitals", { ":method", "GET", ":scheme", "http", ":path",
	  "/", "Host", "blocked.example", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ ":authority twice", { GET("a.example", "/"), ":authority",
	  "blocked.example", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ ":authority twice through the table", { ":method", "GET",
	  ":scheme", "http", ":path", "/", "@:authority", "a.example", "=62",
	  "", NULL }, O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "a pseudo-header after a field", { ":method", "GET", ":scheme",
	  "http", ":path", "/", "accept", "*/*", ":authority",
	  "blocked.example", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "an unknown pseudo-header", { GET("a.example", "/"), ":host",
	  "blocked.example", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "no :path", { ":method", "GET", ":scheme", "http", ":authority",
	  "a.example", NULL }, O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "no :method", { ":scheme", "http", ":authority", "a.example",
	  ":path", "/", NULL }, O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "CONNECT with a path", { ":method", "CONNECT", ":authority",
	  "a.example:443", ":path", "/", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "CONNECT without a port", { ":method", "CONNECT", ":authority",
	  "a.example", NULL }, O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_HOST, NULL,
	  NULL, NULL },
	{ "userinfo in :authority", { GET("a@blocked.example", "/"), NULL },
	  O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_HOST, NULL,
	  NULL, NULL },
	{ "a CR in a value", { GET("a.example", "/"), "user-agent", "x\ry",
	  NULL }, O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "path without '/'", { GET("a.example", "admin"), NULL }, O_PLAIN,
	  NFQD_L7_BAD, NFQD_HTTP_R_TARGET, NULL,
	  NULL, NULL },
	{ "path with a space", { GET("a.example", "/ad min"), NULL },
	  O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_CTL, NULL, NULL, NULL },
	{ "path with %2F", { GET("a.example", "/a%2Fb"), NULL }, O_PLAIN,
	  NFQD_L7_BAD, NFQD_HTTP_R_PATH, NULL,
	  NULL, NULL },
	{ "* for GET", { GET("a.example", "*"), NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_TARGET, NULL,
	  NULL, NULL },
	{ "a method of 17", { ":method", "ABCDEFGHIJKLMNOPQ", ":scheme",
	  "http", ":path", "/", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_FIELD, NULL,
	  NULL, NULL },
	{ "HPACK index 0", { "=0", "", NULL }, O_PLAIN, NFQD_L7_BAD,
	  NFQD_HTTP_R_H2_HPACK, NULL,
	  NULL, NULL },
	{ "HPACK index past the tables", { GET("a.example", "/"), "=62", "",
	  NULL }, O_PLAIN, NFQD_L7_BAD, NFQD_HTTP_R_H2_HPACK, NULL,
	  NULL, NULL },
	{ "a PING inside the block", { GET("blocked.example", "/"), NULL },
	  O_CONT | O_PING_IN, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME, NULL,
	  NULL, NULL },
	{ "DATA before HEADERS", { GET("blocked.example", "/"), NULL },
	  O_DATA, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME, NULL,
	  NULL, NULL },
	{ "HEADERS on stream 2", { GET("blocked.example", "/"), NULL },
	  O_SID2, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME, NULL,
	  NULL, NULL },
	{ "no SETTINGS first", { GET("blocked.example", "/"), NULL },
	  O_NO_SETTINGS, NFQD_L7_BAD, NFQD_HTTP_R_H2_FRAME, NULL,
	  NULL, NULL },
};

static void
test_rows(void)
{
	static struct w		 w, blk;
	const struct row	*c;
	struct nfqd_http_req	 r;
	enum nfqd_l7_res	 res;
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		c = &rows[i];
		start(&w);
		block(&blk, c->f);
		request(&w, &blk, c->o);
		res = parse_exact(w.b, w.n, &r);
		if (c->res == NFQD_L7_DONE)
			CHECKF(res == NFQD_L7_DONE && r.h2 && !r.close && r.sid == 1 &&
			    r.used == w.n && strcmp(r.host, c->host) == 0 &&
			    strcmp(r.method, c->method) == 0 &&
			    strcmp(r.path, c->path) == 0, unit_fmt("%s: DONE, "
			    "host \"%s\", %s \"%s\"", c->name, c->host,
			    c->method, c->path), "got %d (%s) host \"%s\" "
			    "method \"%s\" path \"%s\" used %u of %zu", res,
			    nfqd_http_why_str(r.why), r.host, r.method, r.path,
			    r.used, w.n);
		else
			CHECKF((int)res == c->res && r.why == c->why,
			    unit_fmt("%s: %s", c->name,
			    nfqd_http_why_str(c->why)), "got %d, %s", res,
			    nfqd_http_why_str(r.why));
		check_prefixes(c->name, w.b, w.n);
	}
}

/* Frames and streams of the wrong size, and what follows the preface. */
static void
test_frames(void)
{
	static struct w		w, blk;
	static const char *const f[] = { GET("blocked.example", "/"), NULL };
	struct nfqd_http_req	r;
	size_t			n;

	/* A frame over 16384 bytes, said by its header alone. */
	start(&w);
	frame(&w, 16385, 0x10, 0, 0);
	CHECK(parse_exact(w.b, w.n, &r) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_H2_FRAME, "a frame of 16385 bytes: BAD");
	/* Ignored frames that take the stream past 16 KiB. */
	start(&w);
	frame(&w, 16300, 0x10, 0, 0);
	memset(w.b + w.n, 'x', 16300);
	w.n += 16300;
	block(&blk, f);
	request(&w, &blk, O_PLAIN);
	CHECK(parse_exact(w.b, w.n, &r) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_TOO_BIG, "a request past 16 KiB: BAD");
	/* A SETTINGS frame of 5 bytes; a PING of 7. */
	w.n = 0;
	put(&w, PREFACE, 24);
	frame(&w, 5, 4, 0, 0);
	put(&w, "12345", 5);
	CHECK(parse_exact(w.b, w.n, &r) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_H2_FRAME, "SETTINGS of 5 bytes: BAD");
	start(&w);
	frame(&w, 7, 6, 0, 0);
	put(&w, "1234567", 7);
	CHECK(parse_exact(w.b, w.n, &r) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_H2_FRAME, "PING of 7 bytes: BAD");
	/* Padding as long as the payload. */
	start(&w);
	frame(&w, 3, 1, 0x0c, 1);
	put(&w, "\x03\x82\x86", 3);
	CHECK(parse_exact(w.b, w.n, &r) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_H2_FRAME, "padding past the payload: BAD");
	/* The preface's line without the rest: an HTTP/2.0 request line. */
	n = strlen("PRI * HTTP/2.0\r\n\r\nSX\r\n\r\n");
	CHECK(parse_exact((const uint8_t *)"PRI * HTTP/2.0\r\n\r\nSX\r\n\r\n",
	    n, &r) == NFQD_L7_BAD && r.why == NFQD_HTTP_R_VERSION,
	    "the preface's line, then other bytes: BAD (version)");
	CHECK(parse_exact((const uint8_t *)PREFACE, 10, &r) == NFQD_L7_MORE &&
	    r.need == 24, "10 bytes of the preface: MORE, need 24");
	CHECK(parse_exact((const uint8_t *)PREFACE, 24, &r) == NFQD_L7_MORE &&
	    r.need == 33, "the preface alone: MORE, need 33");
	/* HTTP/1.x still reads as before, need 0. */
	CHECK(parse_exact((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &r) ==
	    NFQD_L7_MORE && r.need == 0, "HTTP/1.1 line: MORE, need 0");
	CHECK(parse_exact((const uint8_t *)"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    27, &r) == NFQD_L7_DONE && !r.h2 && strcmp(r.host, "a") == 0,
	    "HTTP/1.1 request: DONE, not h2");
}

/* What curl 7.88.1 --http2-prior-knowledge sent for
 * http://blocked.example/admin?x=1 (its first segment, captured here):
 * SETTINGS, WINDOW_UPDATE, HEADERS with Huffman strings and an
 * :authority added to the table. */
static void
test_curl(void)
{
	static const uint8_t	curl[] = {
		0x50, 0x52, 0x49, 0x20, 0x2a, 0x20, 0x48, 0x54, 0x54, 0x50,
		0x2f, 0x32, 0x2e, 0x30, 0x0d, 0x0a, 0x0d, 0x0a, 0x53, 0x4d,
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x00, 0x12, 0x04, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00,
		0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x01, 0xff, 0x00, 0x01, 0x00, 0x00, 0x2c, 0x01, 0x05, 0x00,
		0x00, 0x00, 0x01, 0x82, 0x04, 0x88, 0x60, 0x72, 0x52, 0x6a,
		0xbf, 0xcf, 0x30, 0x07, 0x86, 0x41, 0x8f, 0x8e, 0x83, 0x93,
		0xa9, 0x64, 0x5c, 0xbe, 0x47, 0x4d, 0x74, 0x16, 0xe0, 0x5e,
		0x03, 0xc1, 0x7a, 0x88, 0x25, 0xb6, 0x50, 0xc3, 0xab, 0xbc,
		0xf2, 0xe1, 0x53, 0x03, 0x2a, 0x2f, 0x2a
	};
	struct nfqd_http_req	r;
	enum nfqd_l7_res	res;

	res = parse_exact(curl, sizeof(curl), &r);
	CHECKF(res == NFQD_L7_DONE && r.h2 &&
	    strcmp(r.host, "blocked.example") == 0 &&
	    strcmp(r.method, "GET") == 0 && strcmp(r.path, "/admin?x=1") == 0 &&
	    r.used == sizeof(curl), "curl's first segment: DONE, "
	    "blocked.example GET /admin?x=1", "got host \"%s\" %s \"%s\" "
	    "used %u, %s", r.host, r.method, r.path, r.used,
	    nfqd_http_why_str(r.why));
	check_prefixes("curl's first segment", curl, sizeof(curl));
}

/*
 * nfqd_http_h2_next(): the frames after a first request, one step at a
 * time, with the decoder the first block filled.  The first request adds
 * ":authority: one.example" to the table (entry 62).
 */
static struct nfqd_hpack	nd;
static uint32_t			nsid;

static void
next_start(struct w *w)
{
	static struct w		blk;
	struct nfqd_http_req	r;

	start(w);
	blk.n = 0;
	put8(&blk, 0x82);
	put8(&blk, 0x86);
	put8(&blk, 0x84);
	lit_add(&blk, ":authority", "one.example");
	frame(w, blk.n, 1, 5, 1);
	put(w, blk.b, blk.n);
	if (nfqd_http_first_parse_hp(w->b, w->n, &r, &nd) != NFQD_L7_DONE ||
	    !r.h2 || r.sid != 1 || r.used != w->n)
		CHECK(0, "next: the first request");
	nsid = r.sid;
	w->n = 0;
}

/* One step over w from off: its answer, with r and *skip. */
static enum nfqd_l7_res
next_step(const struct w *w, size_t off, struct nfqd_http_req *r,
    uint32_t *skip)
{
	enum nfqd_l7_res	 res;
	uint8_t			*copy = malloc(w->n - off + 1);

	if (copy == NULL)
		abort();
	memcpy(copy, w->b + off, w->n - off);
	res = nfqd_http_h2_next(&nd, &nsid, copy, w->n - off, r, skip);
	free(copy);
	return res;
}

static void
test_next(void)
{
	static struct w		w, blk;
	struct nfqd_http_req	r;
	struct nfqd_hpack	saved;
	uint32_t		skip, sid;
	size_t			k, bad;

	/* A DATA frame: its header read, its payload to step over. */
	next_start(&w);
	frame(&w, 70000, 0, 0, 1);
	CHECKF(next_step(&w, 0, &r, &skip) == NFQD_L7_DONE && r.used == 9 &&
	    skip == 70000 && r.method_len == 0 && nsid == 1,
	    "next: DATA of 70000 bytes: its header, 70000 to step over",
	    "used %u skip %u", r.used, skip);

	/* A request naming entry 62, on stream 3; every prefix MORE, the
	   decoder and the stream left as they were. */
	next_start(&w);
	blk.n = 0;
	put8(&blk, 0x82);
	put8(&blk, 0x86);
	put8(&blk, 0x04);
	hstr(&blk, "/x/../admin");
	put8(&blk, 0xbe);
	frame(&w, blk.n, 1, 5, 3);
	put(&w, blk.b, blk.n);
	memcpy(&saved, &nd, sizeof(saved));
	for (k = 0, bad = 0; k < w.n; k++) {
		if (nfqd_http_h2_next(&nd, &nsid, w.b, k, &r, &skip) !=
		    NFQD_L7_MORE || r.need != (k < 9 ? 9 : w.n) ||
		    nsid != 1 || memcmp(&saved, &nd, sizeof(nd)) != 0)
			bad++;
	}
	CHECKF(bad == 0, "next: every prefix of a request MORE, need the "
	    "header, then the frame", "%zu wrong", bad);
	CHECKF(next_step(&w, 0, &r, &skip) == NFQD_L7_DONE && r.h2 &&
	    r.sid == 3 && nsid == 3 && skip == 0 && r.used == w.n &&
	    strcmp(r.host, "one.example") == 0 &&
	    strcmp(r.path, "/admin") == 0 && strcmp(r.method, "GET") == 0,
	    "next: stream 3: GET one.example /admin, from the table",
	    "host \"%s\" path \"%s\" sid %u", r.host, r.path, r.sid);

	/* Trailers on stream 3 (a field added), then stream 5 names it. */
	w.n = 0;
	blk.n = 0;
	lit_add(&blk, "host", "two.example");
	frame(&w, blk.n, 1, 5, 3);
	put(&w, blk.b, blk.n);
	CHECK(next_step(&w, 0, &r, &skip) == NFQD_L7_DONE &&
	    r.method_len == 0 && !r.h2 && r.host_len == 0 && nsid == 3 &&
	    r.used == w.n, "next: trailers on stream 3: no request");
	w.n = 0;
	frame(&w, 4, 1, 5, 5);
	put(&w, "\x82\x86\x84\xbe", 4);
	CHECKF(next_step(&w, 0, &r, &skip) == NFQD_L7_DONE && r.sid == 5 &&
	    strcmp(r.host, "two.example") == 0, "next: stream 5: the host "
	    "field the trailers added", "host \"%s\"", r.host);

	/* What is refused. */
	static const struct {
		const char	*name;
		unsigned	 type, flags, why;
		uint32_t	 sid;
		size_t		 len;
	} bad_rows[] = {
		{ "PUSH_PROMISE", 5, 4, NFQD_HTTP_R_H2_FRAME, 7, 4 },
		{ "CONTINUATION alone", 9, 4, NFQD_HTTP_R_H2_FRAME, 7, 1 },
		{ "HEADERS on stream 0", 1, 5, NFQD_HTTP_R_H2_FRAME, 0, 1 },
		{ "HEADERS on stream 8", 1, 5, NFQD_HTTP_R_H2_FRAME, 8, 1 },
		{ "HEADERS of 16385 bytes", 1, 5, NFQD_HTTP_R_H2_FRAME, 7,
		  16385 },
		{ "HEADERS of 16384 bytes", 1, 5, NFQD_HTTP_R_TOO_BIG, 7,
		  16384 },
		{ "PING of 7 bytes", 6, 0, NFQD_HTTP_R_H2_FRAME, 0, 7 },
		{ "RST_STREAM on stream 0", 3, 0, NFQD_HTTP_R_H2_FRAME, 0, 4 },
		{ "GOAWAY of 4 bytes", 7, 0, NFQD_HTTP_R_H2_FRAME, 0, 4 },
		{ "DATA on stream 0", 0, 0, NFQD_HTTP_R_H2_FRAME, 0, 4 },
		{ "WINDOW_UPDATE of 5 bytes", 8, 0, NFQD_HTTP_R_H2_FRAME, 1, 5 },
	};
	for (k = 0; k < sizeof(bad_rows) / sizeof(bad_rows[0]); k++) {
		next_start(&w);
		frame(&w, bad_rows[k].len, bad_rows[k].type,
		    bad_rows[k].flags, bad_rows[k].sid);
		memset(w.b + w.n, 0x82, bad_rows[k].len);
		w.n += bad_rows[k].len;
		sid = nsid;
		CHECKF(next_step(&w, 0, &r, &skip) == NFQD_L7_BAD &&
		    r.why == bad_rows[k].why && nsid == sid && r.used == 0,
		    unit_fmt("next: %s: %s", bad_rows[k].name,
		    nfqd_http_why_str(bad_rows[k].why)), "why %s",
		    nfqd_http_why_str(r.why));
	}
	/* A pseudo-header in trailers; a block HPACK refuses. */
	next_start(&w);
	frame(&w, 1, 1, 5, 1);
	put8(&w, 0x82);
	CHECK(next_step(&w, 0, &r, &skip) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_H2_FIELD, "next: :method in trailers");
	next_start(&w);
	frame(&w, 4, 1, 5, 3);
	put(&w, "\x82\x86\x84\xbf", 4);
	CHECK(next_step(&w, 0, &r, &skip) == NFQD_L7_BAD &&
	    r.why == NFQD_HTTP_R_H2_HPACK, "next: entry 63, which is not");
}

/* The preface after an HTTP/1.1 request (nfqd_http_h2_preface()). */
static void
test_preface(void)
{
	static const char	pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	uint8_t			b[40];
	size_t			i, k;
	unsigned		bad = 0;

	CHECK_UINT_EQ(sizeof(pre) - 1, NFQD_HTTP_H2_PREFACE, "its length");
	memcpy(b, pre, 24);
	memcpy(b + 24, "\0\0\0\4\0\0\0\0\0", 9);
	for (k = 0; k < 24; k++)
		if (nfqd_http_h2_preface(b, k) != NFQD_L7_MORE)
			bad++;
	CHECK_UINT_EQ(bad, 0, "each prefix of it: MORE");
	CHECK_UINT_EQ(nfqd_http_h2_preface(b, 24), NFQD_L7_DONE, "whole: DONE");
	CHECK_UINT_EQ(nfqd_http_h2_preface(b, 33), NFQD_L7_DONE, "with a "
	    "frame after it: DONE");
	/* Any byte of it other: NOT, from that byte on. */
	for (i = 0; i < 24; i++) {
		memcpy(b, pre, 24);
		b[i] ^= 0x20;
		for (k = i + 1; k <= 24; k++)
			if (nfqd_http_h2_preface(b, k) != NFQD_L7_NOT)
				bad++;
	}
	CHECK_UINT_EQ(bad, 0, "a byte changed: NOT at each length past it");
	CHECK_UINT_EQ(nfqd_http_h2_preface((const uint8_t *)"POST / HTTP/1.1"
	    "\r\n", 17), NFQD_L7_NOT, "an HTTP/1.1 request: NOT");
	CHECK_UINT_EQ(nfqd_http_h2_preface((const uint8_t *)"PRI * HTTP/1.1"
	    "\r\n\r\n", 18), NFQD_L7_NOT, "PRI in HTTP/1.1: NOT");
}

int
main(void)
{
	test_rows();
	test_curl();
	test_frames();
	test_next();
	test_preface();
	return unit_done();
}
