/*
 * The application layer through the engine after a TCP flow's first
 * message (src/l7/l7second.c, l7later.c): a second ClientHello after a
 * HelloRetryRequest, and what else a TLS 1.3 client sends after its
 * first; later HTTP/1.x requests on a kept-alive connection (bodies,
 * chunks, pipelining, the window); HTTP/2 without TLS, from its preface
 * or after an Upgrade (the header table, frames, what servers refuse,
 * the pool of tables); DNS-over-TCP queries, pipelined and read as the
 * server reads the stream; messages pipelined in a SYN's data (TCP
 * Fast Open); bytes past a message that are refused or find no buffer;
 * each decided exactly as docs/l7.md says.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/reasm.h"
#include "l7harness.h"
#include "unit.h"
/* struct hnext and the flow's flags: test_picked_wrap() moves the
 * reading point as 4 GiB of requests would. */
#include "../../src/l7/l7int.h"

/* ---- a second ClientHello after a HelloRetryRequest ---- */

/*
 * A ClientHello for name ("": no server_name) that offers TLS 1.3
 * (supported_versions), and early data when early; more bytes of the
 * same handshake record after it when trail.
 */
static size_t
hello13(uint8_t *b, const char *name, bool early, size_t trail)
{
	size_t	i = hello(b, *name != '\0' ? name : "x");

	if (*name == '\0') {
		/* server_name for "x" is the first extension, 10 bytes. */
		memmove(b + 54, b + 64, i - 64);
		i -= 10;
	}

	b[i++] = 0; b[i++] = 43; b[i++] = 0; b[i++] = 3;
	b[i++] = 2; b[i++] = 3; b[i++] = 4;
	if (early) {
		b[i++] = 0; b[i++] = 42; b[i++] = 0; b[i++] = 0;
	}
	hello_lengths(b, 52, 9, i);
	if (trail > 0) {
		memset(b + i, 0x01, trail);
		i += trail;
		b[3] = (uint8_t)((i - 5) >> 8);
		b[4] = (uint8_t)(i - 5);
	}
	return i;
}

/* A record of type ct and n bytes (of v) at b; its length. */
static size_t
rec(uint8_t *b, uint8_t ct, size_t n, uint8_t v)
{
	b[0] = ct; b[1] = 3; b[2] = 3;
	b[3] = (uint8_t)(n >> 8); b[4] = (uint8_t)n;
	memset(b + 5, v, n);
	return 5 + n;
}

/* ChangeCipherSpec as TLS 1.3 clients send it (RFC 8446 D.4). */
static size_t
ccs(uint8_t *b)
{
	return rec(b, 20, 1, 1);
}

/*
 * In st: a first hello for name1 (offering TLS 1.3), a ChangeCipherSpec
 * and a second hello for name2; *first: the first's length.  Returns the
 * length of the three.
 */
static size_t
two_hellos(uint8_t *st, const char *name1, const char *name2, size_t *first)
{
	size_t	n = hello13(st, name1, false, 0), m = n + ccs(st + n);

	*first = n;
	return m + hello13(st + m, name2, false, 0);
}

/*
 * accept, also for a packet that came with the pending bit (the verdict
 * then carries the mark without it, so the connection leaves the state).
 */
static const char *
what2(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && (!d->has_mark || d->mark == 0))
		return "accept";
	return what(d);
}

static const char *
part2(struct run *r, uint16_t sport, uint32_t isn, const uint8_t *msg,
    size_t off, size_t n, uint32_t mark)
{
	struct seg		s = cli(sport, isn + 1 + (uint32_t)off, 0x18);
	struct nfqd_decision	d = decide(r, mk(&s, msg + off, n), mark, 0);

	return what2(&d);
}

/*
 * HTTP's later requests on a kept-alive connection (docs/l7.md, HTTP):
 * each read and decided as the first, bodies stepped over as their
 * framing says.  stream: the client's bytes, '|' where a segment ends;
 * order: the segments' indexes in the order sent (a letter for 10 on),
 * NULL for in order; want: each one's outcome (what2()).  The first
 * segment goes without the pending bit, the rest with it, as the
 * documented rules give them.
 */
#define GETOK	"GET / HTTP/1.1\r\nHost: ok.example\r\n\r\n"
#define GETBL	"GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n"
#define GETBLC	"GET / HTTP/1.1\r\nHost: blocked.example\r\nConnection: " \
		"close\r\n\r\n"
#define GETOKC	"GET / HTTP/1.1\r\nHost: ok.example\r\nConnection: " \
		"\tClose\r\n\r\n"
#define GETB(n) "GET /_search HTTP/1.1\r\nHost: ok.example\r\n" \
		"Content-Length: " n "\r\n\r\n"
#define POSTOK(n) "POST /up HTTP/1.1\r\nHost: ok.example\r\nContent-Length: " \
		n "\r\n\r\n"
#define CHUNKOK	"POST /up HTTP/1.1\r\nHost: ok.example\r\nTransfer-Encoding: " \
		"chunked\r\n\r\n"

static const struct hlater {
	const char	*name, *extra, *stream, *order, *want;
} hlater[] = {
	{ "allowed, then blocked", "", GETOK "|" GETBL "|" GETOK, NULL,
	  "pending blocked blocked" },
	{ "allowed twice, then blocked", "", GETOK "|" GETOK "|" GETBL, NULL,
	  "pending pending blocked" },
	{ "blocked first", "", GETBL "|" GETOK, NULL, "blocked blocked" },
	{ "pipelined in one segment", "", GETOK GETOK GETBL, NULL, "blocked" },
	{ "pipelined, the blocked one first", "", GETBL GETOK, NULL,
	  "blocked" },
	{ "pipelined, cut in the second", "", GETOK "GET / HTTP/1.1\r\n|"
	  "Host: blocked.example\r\n\r\n", NULL, "pending blocked" },
	{ "empty lines between requests", "", GETOK "\r\n\r\n|" GETBL, NULL,
	  "pending blocked" },
	{ "the second in reverse order", "", GETOK "|GET / HTT|P/1.1\r\nHo|"
	  "st: blocked.exa|mple\r\n\r\n", "04321", "pending pending pending "
	  "pending blocked" },
	{ "the first sent again after the second", "", GETOK "|" GETOK "|"
	  GETBL, "0102", "pending pending pending blocked" },
	{ "a Content-Length body that looks like a request", "",
	  POSTOK("41") "|" GETBL "|" GETOK "|" GETBL, NULL,
	  "pending pending pending blocked" },
	{ "a body in the head's segment", "", POSTOK("41") GETBL "|" GETBL,
	  NULL, "pending blocked" },
	{ "a body and the next request in one segment", "", POSTOK("41")
	  GETBL GETBL, NULL, "blocked" },
	{ "a body's segments out of order", "", POSTOK("41") "|GET / HTTP/1.1"
	  "\r\n|Host: blocked.example\r\n\r\n|" GETBL, "0213", "pending pending "
	  "pending blocked" },
	{ "the request after a body before the body", "", POSTOK("41") "|"
	  GETBL "|" GETBL, "021", "pending blocked blocked" },
	{ "Content-Length 0", "", POSTOK("0") "|" GETBL, NULL,
	  "pending blocked" },
	{ "a chunked body", "", CHUNKOK "|5\r\nhello\r\n|29\r\n" GETBL
	  "\r\n0\r\n\r\n|" GETBL, NULL, "pending pending pending blocked" },
	{ "a chunked body with an extension and a trailer", "", CHUNKOK
	  "3;x=\"y\"\r\nabc\r\n0\r\nX-T: 1\r\n\r\n" GETBL, NULL, "blocked" },
	{ "a chunked body cut in its size lines", "", CHUNKOK "|2|9\r\n"
	  "01234567|890123456789012345678901234567890\r\n|0|\r\n\r|\n"
	  "|" GETBL, NULL, "pending pending pending pending pending pending "
	  "pending blocked" },
	{ "a chunked body out of order", "", CHUNKOK "|5\r\nhel|lo\r\n0\r\n"
	  "\r\n|" GETBL, "0213", "pending pending pending blocked" },
	{ "a chunk size with a space", "", CHUNKOK "|5 \r\nhello\r\n0\r\n\r\n"
	  "|" GETBL, NULL, "pending l7_error l7_error" },
	{ "a chunk line ended by LF", "", CHUNKOK "|5\nhello\r\n0\r\n\r\n|"
	  GETBL, NULL, "pending l7_error l7_error" },
	{ "Transfer-Encoding and Content-Length", "",
	  "POST / HTTP/1.1\r\nHost: ok.example\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n|" GETBL, NULL,
	  "l7_error l7_error" },
	{ "two Content-Lengths", "", "POST / HTTP/1.1\r\nHost: ok.example\r\n"
	  "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello|" GETBL, NULL,
	  "l7_error l7_error" },
	{ "a later request malformed", "", GETOK "|GET / HTTP/1.1\r\nHost: "
	  "ok.example\r\nHost: blocked.example\r\n\r\n|" GETOK, NULL,
	  "pending l7_error l7_error" },
	/* Go's net/http serves "PRI * HTTP/2.0" with header fields as an
	   HTTP/1.1 request and reads on: before, nfqd took it for the
	   HTTP/2 preface, not HTTP, and the flow passed unread. */
	{ "PRI * HTTP/2.0 with a header, then blocked", "", GETOK "|"
	  "PRI * HTTP/2.0\r\nHost: ok.example\r\n\r\n|" GETBL, NULL,
	  "pending l7_error l7_error" },
	{ "... all in one segment", "", GETOK "PRI * HTTP/2.0\r\nHost: "
	  "ok.example\r\n\r\n" GETBL, NULL, "l7_error" },
	{ "PRI * HTTP/2.0 with a header first, then blocked", "",
	  "PRI * HTTP/2.0\r\nHost: ok.example\r\n\r\n|" GETBL, NULL,
	  "l7_error l7_error" },
	{ "... in one segment", "", "PRI * HTTP/2.0\r\nHost: ok.example\r\n"
	  "\r\n" GETBL, NULL, "l7_error" },
	{ "Connection: close ends reading", "", GETOKC "|" GETBL, NULL,
	  "accept accept" },
	{ "a later request with Connection: close", "", GETOK "|" GETOKC "|"
	  GETBL, NULL, "pending accept accept" },
	{ "a blocked one with Connection: close", "", GETOK "|" GETBLC, NULL,
	  "pending blocked" },
	{ "no HTTP after a request (a WebSocket frame)", "", "GET /ws "
	  "HTTP/1.1\r\nHost: ok.example\r\nUpgrade: websocket\r\nConnection: "
	  "Upgrade\r\n\r\n|\x81\x85\x01\x02\x03\x04hello|" GETBL, NULL,
	  "pending accept accept" },
	{ "an HTTP/1.0 request", "", "GET / HTTP/1.0\r\nHost: ok.example\r\n"
	  "\r\n|" GETBL, NULL, "pending blocked" },
	/* Apache 2.4's mod_proxy_connect tunnels after a CONNECT that says
	   close or carries a Content-Length, and relays the request after
	   it to the host it names, which serves blocked.example: nfqd
	   stopped reading at the close and stepped over the request as a
	   body, and the flow passed. */
	{ "CONNECT with Connection: close, then blocked", "",
	  "CONNECT ok.example:80 HTTP/1.1\r\nConnection: close\r\n\r\n|"
	  GETBL, NULL, "pending blocked" },
	{ "... in one segment", "", "CONNECT ok.example:80 HTTP/1.1\r\n"
	  "Connection: close\r\n\r\n" GETBL, NULL, "blocked" },
	{ "... a later request", "", GETOK "|CONNECT ok.example:80 HTTP/1.1"
	  "\r\nConnection: close\r\n\r\n|" GETBL, NULL,
	  "pending pending blocked" },
	{ "CONNECT with a Content-Length, then blocked", "",
	  "CONNECT ok.example:80 HTTP/1.1\r\nContent-Length: 41\r\n\r\n|"
	  GETBL, NULL, "l7_error l7_error" },
	{ "CONNECT chunked, then blocked", "", "CONNECT ok.example:80 "
	  "HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n|" GETBL, NULL,
	  "l7_error l7_error" },
	{ "CONNECT with Content-Length 0, then blocked", "",
	  "CONNECT ok.example:80 HTTP/1.1\r\nContent-Length: 0\r\n\r\n|"
	  GETBL, NULL, "pending blocked" },
	{ "flows.http_requests = \"first\"", "flows = { http_requests = "
	  "\"first\"; };", GETOK "|" GETBL, NULL, "accept accept" },
	/* Python's http.server (BaseHTTPRequestHandler) ends a connection
	   only when its first Connection header is "close" exactly (after
	   lower()): "keep-alive, close", "close " (trailing OWS: the email
	   parser keeps it) and a second Connection header keep it alive,
	   and it reads the blocked request after them. */
	{ "Connection: keep-alive, close (Python reads on)", "",
	  "GET / HTTP/1.1\r\nHost: ok.example\r\nConnection: keep-alive, "
	  "close\r\n\r\n|" GETBL, NULL, "pending blocked" },
	{ "Connection: close with trailing OWS (Python reads on)", "",
	  "GET / HTTP/1.1\r\nHost: ok.example\r\nConnection: close \r\n"
	  "\r\n|" GETBL, NULL, "pending blocked" },
	{ "Connection twice, close second (Python reads on)", "",
	  "GET / HTTP/1.1\r\nHost: ok.example\r\nConnection: keep-alive\r\n"
	  "Connection: close\r\n\r\n|" GETBL, NULL, "pending blocked" },
	/* Python's http.server (SimpleHTTPRequestHandler.do_GET, do_HEAD)
	   never reads a request's body: with --protocol HTTP/1.1 it reads
	   the next request where the body starts, the blocked one here;
	   nginx steps over it.  A body whose first byte could start a
	   request is refused; any other (JSON) is stepped over. */
	{ "a GET with a body that is a request (Python reads it)", "",
	  GETB("41") "|" GETBL, NULL, "pending l7_error" },
	{ "... in one segment", "", GETB("41") GETBL, NULL, "l7_error" },
	{ "... a later request's", "", GETOK "|" GETB("41") "|" GETBL, NULL,
	  "pending pending l7_error" },
	{ "... a later request's, all in one segment", "", GETOK GETB("41")
	  GETBL, NULL, "l7_error" },
	{ "... a HEAD's, after a space (Python's split() strips it)", "",
	  "HEAD / HTTP/1.1\r\nHost: ok.example\r\nContent-Length: 42\r\n"
	  "\r\n| " GETBL, NULL, "pending l7_error" },
	{ "... after a form feed", "", GETB("42") "|\f" GETBL, NULL,
	  "pending l7_error" },
	{ "... after a NEL (0x85, whitespace to Python)", "", GETB("42")
	  "|\x85" GETBL, NULL, "pending l7_error" },
	{ "... its first byte after the rest", "", GETB("41") "|G|ET / HTTP/"
	  "1.1\r\nHost: blocked.example\r\n\r\n", "021",
	  "pending pending l7_error" },
	{ "a GET with a JSON body (Elasticsearch), then a blocked request",
	  "", GETB("7") "|{\"q\":1}|" GETBL, NULL,
	  "pending pending blocked" },
	{ "... the body in the head's segment", "", GETB("7") "{\"q\":1}|"
	  GETBL, NULL, "pending blocked" },
	{ "... the body out of order", "", GETB("7") "|{\"q|\":1}|" GETBL,
	  "0213", "pending pending pending blocked" },
	{ "... a body that looks like a request after it", "", GETB("42")
	  "|{" GETBL "|" GETBL, NULL, "pending pending blocked" },
	{ "... all three in one segment", "",
	  "GET / HTTP/1.1\r\nHost: ok.example\r\nConnection: keep-alive, "
	  "close\r\n\r\n" GETBL, NULL, "blocked" },
};

/* The stream of c without its '|', and where each segment starts. */
static size_t
hsplit(const char *s, uint8_t *out, size_t *start, size_t *nseg)
{
	size_t	n = 0;

	*nseg = 0;
	start[(*nseg)++] = 0;
	for (; *s != '\0'; s++) {
		if (*s == '|')
			start[(*nseg)++] = n;
		else
			out[n++] = (uint8_t)*s;
	}
	start[*nseg] = n;
	return n;
}

/* Bodies past HSTEP, the window, pipelining's bound, a conflict. */
static void
test_http_later_edges(void)
{
	static uint8_t	 st[40 * 32];
	static const char post[] = "POST / HTTP/1.1\r\nHost: ok.example\r\n"
			    "Content-Length: 3221225472\r\n\r\n";
	const uint8_t	*ok = (const uint8_t *)GETOK, *bl = (const uint8_t *)GETBL;
	size_t		 nok = sizeof(GETOK) - 1, nbl = sizeof(GETBL) - 1, i, n;
	uint32_t	 isn = 0xfffff000u, base;
	unsigned	 pend = 0;
	struct run	 r;

	if (!setup(&r, ""))
		return;
	/* 3 GiB of body, sent as a client does, in order (a segment every
	   256 MiB here: nfqd steps over 512 MiB at a time as they come). */
	syn(&r, 4200, isn);
	CHECK_STR_EQ(part2(&r, 4200, isn, (const uint8_t *)post, 0,
	    sizeof(post) - 1, 0), "pending", "a 3 GiB body: the head pending");
	base = isn + 1 + (uint32_t)(sizeof(post) - 1);
	for (i = 1; i < 12; i++)
		pend += strcmp(seg_at(&r, 4200, base + (uint32_t)(i << 28), 0x18,
		    ok, nok, P), "pending") == 0;
	CHECK_INT_EQ(pend, 11, "... its segments (a request's bytes in them "
	    "are body): pending");
	CHECK_STR_EQ(seg_at(&r, 4200, base + 3u * (1u << 30), 0x18, bl, nbl,
	    P), "blocked", "... the request after it: read, blocked");

	/* Past the window: refused, and the flow goes on. */
	syn(&r, 4201, 50);
	CHECK_STR_EQ(part2(&r, 4201, 50, ok, 0, nok, 0), "pending",
	    "window: the first request pending");
	CHECK_STR_EQ(seg_at(&r, 4201, 51 + (uint32_t)nok + 20000, 0x18, bl, nbl,
	    P), "l7_error", "... a segment 20,000 bytes ahead: refused");
	CHECK_STR_EQ(seg_at(&r, 4201, 51 + (uint32_t)nok + 16384 - (uint32_t)nbl,
	    0x18, ok, nok, P), "pending", "... one within it: kept");
	CHECK_STR_EQ(seg_at(&r, 4201, 51 + (uint32_t)nok, 0x18, bl, nbl, P),
	    "blocked", "... the next in order: blocked");

	/* Pipelining: 32 heads in a segment are read, 33 refused. */
	for (n = 32; n <= 33; n++) {
		for (i = 0; i < n; i++)
			memcpy(st + i * nok, ok, nok);
		syn(&r, (uint16_t)(4202 + n), 70);
		CHECK_STR_EQ(part2(&r, (uint16_t)(4202 + n), 70, st, 0, n * nok,
		    0), n == 32 ? "pending" : "l7_error", unit_fmt("%zu "
		    "pipelined requests in one segment", n));
	}

	/* A conflict in what waits in the buffer. */
	syn(&r, 4240, 90);
	part2(&r, 4240, 90, ok, 0, nok, 0);
	memcpy(st, ok, nok);
	memcpy(st + nok, bl, nbl);
	CHECK_STR_EQ(part2(&r, 4240, 90, st, nok + 10, nbl - 10, P), "pending",
	    "conflict: the second request's end, out of order: pending");
	st[nok + 20] ^= 0x20;
	CHECK_STR_EQ(part2(&r, 4240, 90, st, nok + 5, 20, P), "l7_error",
	    "... bytes over it that differ: refused");
	CHECK_STR_EQ(part2(&r, 4240, 90, st, nok + 5, 5, P), "l7_error",
	    "... and the flow from then on");
	teardown(&r);
}

static void
test_http_later(void)
{
	static uint8_t	 st[4096];
	struct run	 r;
	size_t		 start[32], nseg, i, k, n;
	char		 got[256], w[64];
	const char	*o;
	int		 seg;

	for (i = 0; i < sizeof(hlater) / sizeof(hlater[0]); i++) {
		const struct hlater	*c = &hlater[i];

		if (!setup(&r, c->extra))
			return;
		n = hsplit(c->stream, st, start, &nseg);
		(void) n;
		syn(&r, 4100, 1000);
		got[0] = '\0';
		o = c->order != NULL ? c->order : "0123456789";
		for (k = 0; o[k] != '\0'; k++) {
			seg = isdigit((unsigned char)o[k]) ? o[k] - '0' :
			    o[k] - 'a' + 10;
			if ((size_t)seg >= nseg)
				break;
			snprintf(w, sizeof(w), "%s%s", k > 0 ? " " : "",
			    part2(&r, 4100, 1000, st, start[seg],
			    start[seg + 1] - start[seg], k > 0 ? P : 0));
			strncat(got, w, sizeof(got) - strlen(got) - 1);
		}
		CHECK_STR_EQ(got, c->want, unit_fmt("HTTP later requests: %s",
		    c->name));
		teardown(&r);
	}
}


/*
 * HTTP/2 without TLS: the later requests of a connection (docs/l7.md,
 * HTTP/2 without TLS), read with the connection's header table.  A
 * stream is built here frame by frame, its fields encoded by hand (RFC
 * 7541: 0x82 GET, 0x86 http, 0x84 "/", 0x41 a literal :authority added
 * to the table, 0xbe and 0xbf the table's newest and next entries), with
 * the segment ends marked; then sent as hlater's rows are.
 */
struct h2s {
	uint8_t		b[40960];
	size_t		n;
	size_t		start[32];
	size_t		nseg;
};

static void
h2s_put(struct h2s *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->b))
		abort();
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* A segment ends here. */
static void
h2s_cut(struct h2s *w)
{
	w->start[++w->nseg] = w->n;
}

static void
h2s_frame(struct h2s *w, unsigned type, unsigned flags, uint32_t sid,
    const void *pay, size_t n)
{
	uint8_t	h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
		    (uint8_t)type, (uint8_t)flags, (uint8_t)(sid >> 24),
		    (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid };

	h2s_put(w, h, 9);
	h2s_put(w, pay, n);
}

/* A request's block: GET http "/" and :authority, added to the table
 * (auth) or the table's entry 61 + idx (auth NULL). */
static size_t
h2s_req(uint8_t *b, const char *auth, unsigned idx)
{
	size_t	n = 0, k;

	b[n++] = 0x82;
	b[n++] = 0x86;
	b[n++] = 0x84;
	if (auth != NULL) {
		k = strlen(auth);
		b[n++] = 0x41;
		b[n++] = (uint8_t)k;
		memcpy(b + n, auth, k);
		n += k;
	} else {
		b[n++] = (uint8_t)(0x80 | (61 + idx));
	}
	return n;
}

/* A HEADERS frame (END_HEADERS, END_STREAM) of such a request. */
static void
h2s_get(struct h2s *w, uint32_t sid, const char *auth, unsigned idx)
{
	uint8_t	b[300];

	h2s_frame(w, 1, 0x05, sid, b, h2s_req(b, auth, idx));
}

/* Empty, no segment ended. */
static void
h2s_reset(struct h2s *w)
{
	w->n = 0;
	w->nseg = 0;
	w->start[0] = 0;
}

/* The preface, an empty SETTINGS and the first request (host, added to
 * the table: entry 62). */
static void
h2s_first(struct h2s *w, const char *host)
{
	h2s_reset(w);
	h2s_put(w, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	h2s_frame(w, 4, 0, 0, "", 0);
	h2s_get(w, 1, host, 0);
}

/* The same for ok.example, then a segment's end. */
static void
h2s_start(struct h2s *w)
{
	h2s_first(w, "ok.example");
	h2s_cut(w);
}

/*
 * Sends w's segments (of any stream, not only HTTP/2's) on s's
 * connection, s.seq the sequence number of w's first byte: in order (o
 * NULL) or o's, the first sent without a mark and the rest with later.
 * Their outcomes, as name() gives them, spaced in got.
 */
static void
h2s_sendon(struct run *r, struct seg s, struct h2s *w, const char *o,
    uint32_t later, const char *(*name)(const struct nfqd_decision *),
    char *got, size_t size)
{
	struct nfqd_decision	d;
	uint32_t		isn = s.seq;
	char			x[64];
	size_t			k;
	int			seg;

	if (w->start[w->nseg] != w->n)
		h2s_cut(w);
	got[0] = '\0';
	if (o == NULL)
		o = "0123456789abcdef";
	for (k = 0; o[k] != '\0'; k++) {
		seg = isdigit((unsigned char)o[k]) ? o[k] - '0' :
		    o[k] - 'a' + 10;
		if ((size_t)seg >= w->nseg)
			break;
		s.seq = isn + (uint32_t)w->start[seg];
		d = decide(r, mk(&s, w->b + w->start[seg],
		    w->start[seg + 1] - w->start[seg]), k > 0 ? later : 0, 0);
		snprintf(x, sizeof(x), "%s%s", k > 0 ? " " : "", name(&d));
		strncat(got, x, size - strlen(got) - 1);
	}
}

/*
 * The same on a client's connection from sport, after its SYN (ISN
 * 1000), the later segments with the pending bit, as part2() sends.
 */
static void
h2s_send(struct run *r, uint16_t sport, struct h2s *w, const char *o,
    const char *(*name)(const struct nfqd_decision *), char *got,
    size_t size)
{
	syn(r, sport, 1000);
	h2s_sendon(r, cli(sport, 1001, 0x18), w, o, P, name, got, size);
}

/*
 * A row of the HTTP/2 tables: w's segments sent from sport as h2s_send()
 * sends them, on an engine set up with extra, their outcomes (what2())
 * checked against want; the check named "prefix: name".  False when
 * the set-up fails.
 */
static bool
h2row(struct run *r, struct h2s *w, uint16_t sport, const char *extra,
    const char *order, const char *want, const char *prefix,
    const char *name)
{
	char	got[256];

	if (!setup(r, extra))
		return false;
	h2s_send(r, sport, w, order, what2, got, sizeof(got));
	CHECK_STR_EQ(got, want, unit_fmt("%s: %s", prefix, name));
	teardown(r);
	return true;
}

static void
test_h2_later(void)
{
	static const char	 pre[] = "HTTP/2 later requests";
	static struct h2s	 w;
	uint8_t			 b[4096], fake[300];
	size_t			 n, k;
	char			 got[256];
	struct run		 r;
	uint64_t		 later;

	/* A request naming the table's entry: ok.example, read so. */
	h2s_start(&w);
	h2s_get(&w, 3, NULL, 1);
	h2s_cut(&w);
	h2s_get(&w, 5, "blocked.example", 0);
	h2s_cut(&w);
	h2s_get(&w, 7, NULL, 2);	/* ok.example, now entry 63 */
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked blocked",
	    pre, "allowed from the table, then blocked"))
		return;

	/* An entry a trailer block added, named by a request: the bytes
	   0x82 0x86 0x84 0xbe read alone say nothing; with the table they
	   say "host: blocked.example". */
	h2s_start(&w);
	n = 0;
	b[n++] = 0x40;
	b[n++] = 4;
	memcpy(b + n, "host", 4);
	n += 4;
	b[n++] = 15;
	memcpy(b + n, "blocked.example", 15);
	n += 15;
	h2s_frame(&w, 1, 0x05, 1, b, n);	/* trailers of stream 1 */
	h2s_cut(&w);
	b[0] = 0x82;
	b[1] = 0x86;
	b[2] = 0x84;
	b[3] = 0xbe;
	h2s_frame(&w, 1, 0x05, 3, b, 4);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked", pre,
	    "a host field from the table, added by trailers"))
		return;
	/* The same without the first request's table: the first request
	   itself names entry 62, which nothing added. */
	h2s_start(&w);
	w.n = 24 + 9;
	w.nseg = 0;
	h2s_frame(&w, 1, 0x05, 1, b, 4);
	if (!h2row(&r, &w, 4300, "", NULL, "l7_error", pre,
	    "a first request naming an entry nothing added"))
		return;

	/* A DATA frame whose payload is a blocked request: stepped over. */
	h2s_start(&w);
	n = 0;
	h2s_frame(&w, 0, 0, 1, fake, 0);
	k = h2s_req(b, "blocked.example", 0);
	fake[0] = 0;
	fake[1] = 0;
	fake[2] = (uint8_t)k;
	fake[3] = 1;
	fake[4] = 5;
	fake[5] = fake[6] = fake[7] = 0;
	fake[8] = 3;
	memcpy(fake + 9, b, k);
	w.n -= 9;
	h2s_frame(&w, 0, 1, 1, fake, 9 + k);
	h2s_cut(&w);
	h2s_get(&w, 3, NULL, 1);
	h2s_cut(&w);
	h2s_get(&w, 5, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending pending blocked",
	    pre, "a DATA payload that looks like a blocked request"))
		return;

	/* A DATA frame over three segments, out of order, then blocked. */
	h2s_start(&w);
	memset(b, 'x', 3000);
	h2s_frame(&w, 0, 1, 1, b, 3000);
	w.start[++w.nseg] = w.n - 2000;
	w.start[++w.nseg] = w.n - 1000;
	h2s_cut(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", "02134",
	    "pending pending pending pending blocked", pre,
	    "a DATA frame's segments out of order"))
		return;

	/* A request cut over segments, out of order; and over a
	   CONTINUATION. */
	h2s_start(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	w.start[++w.nseg] = w.n - 20;
	w.start[++w.nseg] = w.n - 7;
	if (!h2row(&r, &w, 4300, "", "0321",
	    "pending pending pending blocked", pre,
	    "a request's segments in reverse order"))
		return;
	h2s_start(&w);
	k = h2s_req(b, "blocked.example", 0);
	h2s_frame(&w, 1, 0x01, 3, b, 5);
	h2s_cut(&w);
	h2s_frame(&w, 9, 0x04, 3, b + 5, k - 5);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked", pre,
	    "a request over HEADERS and CONTINUATION"))
		return;

	/* Frames that carry no request, between. */
	h2s_start(&w);
	h2s_frame(&w, 8, 0, 0, "\0\0\x10\0", 4);
	h2s_frame(&w, 6, 0, 0, "12345678", 8);
	h2s_frame(&w, 4, 0, 0, "\0\x04\0\x01\0\0", 6);
	h2s_frame(&w, 3, 0, 1, "\0\0\0\x08", 4);
	h2s_frame(&w, 0xfa, 0, 9, "anything", 8);
	h2s_cut(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending pending blocked", pre,
	    "WINDOW_UPDATE, PING, SETTINGS, RST_STREAM, an unknown type"))
		return;

	/* What servers refuse. */
	h2s_start(&w);
	h2s_get(&w, 4, "ok.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "HEADERS on an even stream"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 5, 0x04, 1, "\0\0\0\x02\x82", 5);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "PUSH_PROMISE from a client"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 9, 0x04, 1, "\x82", 1);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "CONTINUATION alone"))
		return;
	h2s_start(&w);
	h2s_get(&w, 1, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "a pseudo-header in a lower stream's block"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 1, 0x05, 3, "\x82\x86\x84\xc0", 4);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "an index past the table"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 1, 0x05, 3, "\x3f\xe2\x1f\x82\x86\x84\xbe", 7);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "a table size update to 4098"))
		return;
	h2s_start(&w);
	h2s_frame(&w, 1, 0x01, 3, "\x82\x86\x84\xbe", 4);
	h2s_frame(&w, 6, 0, 0, "12345678", 8);
	if (!h2row(&r, &w, 4300, "", NULL, "pending l7_error", pre,
	    "a PING inside a block"))
		return;

	/* 32 requests completed by one packet are read, 33 refused (as
	   HTTP/1.x's pipelining). */
	for (n = 32; n <= 33; n++) {
		h2s_start(&w);
		for (k = 0; k < n; k++)
			h2s_get(&w, 3 + 2 * (uint32_t)k, NULL, 1);
		if (!h2row(&r, &w, 4300, "", NULL, n == 32 ? "pending pending" :
		    "pending l7_error", pre, unit_fmt("%zu requests in one "
		    "segment after the first", n)))
			return;
	}

	/* Reading only the first request. */
	h2s_start(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4300, "flows = { http_requests = \"first\"; };",
	    NULL, "accept accept", pre, "flows.http_requests = \"first\""))
		return;

	/* No table free: the later bytes get flows.full_verdict; the
	   table goes back when its flow ends. */
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4301, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "one table: the first flow's");
	h2s_send(&r, 4302, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending untracked", "... a second flow's later "
	    "bytes: flows.full_verdict");
	later = r.e.l7.h2_later;
	CHECK_UINT_EQ(later, 1, "... HTTP/2 later requests read: 1");
	teardown(&r);

	/* A flow refused after a later request in the same packet gives
	   its table back (the next flow's later requests are read). */
	if (!setup(&r, "flows = { reasm_buffers = 1; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_frame(&w, 5, 0x04, 1, "\0\0\0\x02\x82", 5);
	h2s_send(&r, 4304, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending l7_error", "a request, then PUSH_PROMISE "
	    "in one segment: refused");
	h2s_start(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	h2s_send(&r, 4305, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending blocked", "... the table back: the next "
	    "flow's later request read");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "... both flows "
	    "decided: no table held");
	teardown(&r);
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4301, &w, NULL, what2, got, sizeof(got));
	h2s_send(&r, 4302, &w, NULL, what2, got, sizeof(got));
	now += 61000000000ull;
	nfqd_l7_expire(&r.e.l7, now);
	h2s_send(&r, 4303, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "... the first flows past "
	    "tcp_timeout: their table read a third flow's");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 1, "... which holds it");
	teardown(&r);
}


static void
test_retry(void)
{
	static const struct {
		uint8_t		 ct, fill, major;
		size_t		 len;
		const char	*want, *what;
	} one[] = {
		{ 22, 16, 3, 70, "accept", "a ClientKeyExchange (TLS 1.2, "
		    "the server chose it): accepted" },
		{ 23, 0x42, 3, 100, "accept", "application data without early "
		    "data offered (TLS 1.3's encrypted Finished): accepted" },
		{ 21, 1, 3, 2, "pending", "an alert: stepped over, pending" },
		{ 20, 1, 3, 1, "pending", "a ChangeCipherSpec: stepped over, "
		    "pending" },
		{ 24, 1, 3, 3, "l7_error", "a record of type 24: refused" },
		{ 20, 1, 2, 1, "l7_error", "a record of version 2.3: refused" },
		{ 22, 1, 3, 0, "l7_error", "a record of length 0: refused" },
	};
	struct run	 r;
	uint8_t		 st[40000];
	size_t		 n, m, k, i;
	uint64_t	 err, sec;
	bool		 ok;

	if (!setup(&r, ""))
		return;

	/* The first hello alone: the flow waits for the client's next. */
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3700, 100);
	CHECK_STR_EQ(part2(&r, 3700, 100, st, 0, n, 0), "pending",
	    "retry: an allowed hello offering TLS 1.3: passes pending");
	CHECK(has_flow(&r, 3700) && !flow_of(&r, 3700)->decided,
	    "retry: ... the flow undecided");
	CHECK_STR_EQ(seg_at(&r, 3700, 101 + (uint32_t)n, 0x10, NULL, 0, P),
	    "pending", "retry: a pure ACK (of the server's answer): pending");
	CHECK_STR_EQ(part2(&r, 3700, 100, st, 0, n, P), "pending",
	    "retry: the hello again: pending (its own fields)");
	m = n + ccs(st + n);
	m += rec(st + m, 23, 53, 0x5a);
	CHECK_STR_EQ(part2(&r, 3700, 100, st, n, m - n, P), "accept",
	    "retry: ChangeCipherSpec and application data (the encrypted "
	    "Finished): accepted, no second hello");
	CHECK_STR_EQ(part2(&r, 3700, 100, st, m, 0, P), "accept",
	    "retry: ... and the flow's later packets");
	CHECK_INT_EQ(r.e.l7.second_hellos, 0, "retry: no second hello read");

	/* A blocked first hello: dropped at once, as before. */
	n = hello13(st, "blocked.example", false, 0);
	syn(&r, 3701, 100);
	CHECK_STR_EQ(part2(&r, 3701, 100, st, 0, n, 0), "blocked",
	    "retry: a blocked hello offering TLS 1.3: blocked at once");

	/* The same name twice: the second hello decides. */
	m = two_hellos(st, "www.ok.example", "WWW.OK.example.", &n);
	syn(&r, 3702, 100);
	CHECK_STR_EQ(part2(&r, 3702, 100, st, 0, n, 0), "pending",
	    "retry: first hello: pending");
	CHECK_STR_EQ(part2(&r, 3702, 100, st, n, m - n, P), "accept",
	    "retry: ChangeCipherSpec and a second hello for the same name: "
	    "accepted");
	CHECK_INT_EQ(r.e.l7.second_hellos, 1, "retry: ... read");

	/* Another name in the second: neither passes. */
	err = r.e.l7.l7_errors;
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3703, 100);
	CHECK_STR_EQ(part2(&r, 3703, 100, st, 0, n, 0), "pending",
	    "retry: first hello, allowed: pending");
	CHECK_STR_EQ(part2(&r, 3703, 100, st, n, m - n, P), "blocked",
	    "retry: a second hello for a blocked name: refused, the rules "
	    "see it: blocked");
	CHECK_INT_EQ(r.e.l7.l7_errors - err, 1, "retry: ... counted");
	CHECK_STR_EQ(part2(&r, 3703, 100, st, n, m - n, P), "blocked",
	    "retry: ... and again when sent again (the flow's)");
	/* Another allowed name: refused too (which one would the server
	   use?). */
	m = two_hellos(st, "www.ok.example", "other.ok.example", &n);
	syn(&r, 3704, 100);
	part2(&r, 3704, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3704, 100, st, n, m - n, P), "l7_error",
	    "retry: a second hello for another allowed name: refused");
	/* A first hello without a name, a second with one. */
	m = two_hellos(st, "", "www.ok.example", &n);
	syn(&r, 3705, 100);
	CHECK_STR_EQ(part2(&r, 3705, 100, st, 0, n, 0), "pending",
	    "retry: first hello without a server name: pending");
	CHECK_STR_EQ(part2(&r, 3705, 100, st, n, m - n, P), "l7_error",
	    "retry: a second hello with one: refused");

	/* The second hello in 1-byte segments, in reverse order. */
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3706, 100);
	part2(&r, 3706, 100, st, 0, n, 0);
	for (i = m - 1, ok = true; i > n; i--)
		ok &= strcmp(part2(&r, 3706, 100, st, i, 1, P), "pending") == 0;
	CHECK(ok, "retry: a blocked second hello in 1-byte segments, last "
	    "first: pending while the first byte is missing");
	CHECK_STR_EQ(part2(&r, 3706, 100, st, n, 1, P), "blocked",
	    "retry: ... the first byte completes it: blocked");
	/* In order, 7 bytes at a time, allowed: accepted on the last. */
	m = two_hellos(st, "www.ok.example", "www.ok.example", &n);
	syn(&r, 3707, 100);
	part2(&r, 3707, 100, st, 0, n, 0);
	for (i = n, ok = true; i + 7 < m; i += 7)
		ok &= strcmp(part2(&r, 3707, 100, st, i, 7, P), "pending") == 0;
	CHECK(ok, "retry: a second hello in 7-byte segments: pending");
	CHECK_STR_EQ(part2(&r, 3707, 100, st, i, m - i, P), "accept",
	    "retry: ... its last segment: accepted");

	/* All in one segment: the first hello, CCS, a blocked second. */
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3708, 100);
	CHECK_STR_EQ(part2(&r, 3708, 100, st, 0, m, 0), "blocked",
	    "retry: both hellos in one segment, the second blocked: "
	    "blocked");
	/* The first hello cut in two, its second part with the CCS and an
	   application data record: accepted there. */
	n = hello13(st, "www.ok.example", false, 0);
	m = n + ccs(st + n);
	m += rec(st + m, 23, 40, 0x77);
	syn(&r, 3709, 100);
	CHECK_STR_EQ(part2(&r, 3709, 100, st, 0, 30, 0), "pending",
	    "retry: a first hello's first 30 bytes: pending");
	CHECK_STR_EQ(part2(&r, 3709, 100, st, 30, m - 30, P), "accept",
	    "retry: its rest, with what a TLS 1.3 client sends next: "
	    "accepted");
	/* Bytes after the hello in its record: refused. */
	n = hello13(st, "www.ok.example", false, 20);
	syn(&r, 3710, 100);
	CHECK_STR_EQ(part2(&r, 3710, 100, st, 0, n, 0), "l7_error",
	    "retry: 20 bytes after the hello in its record: refused");

	/* A resumed TLS 1.2 session: CCS, an encrypted Finished whose
	   first byte is GCM's explicit nonce. */
	n = hello13(st, "www.ok.example", false, 0);
	m = n + ccs(st + n);
	m += rec(st + m, 22, 40, 0x00);
	syn(&r, 3712, 100);
	part2(&r, 3712, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3712, 100, st, n, m - n, P), "accept",
	    "retry: CCS and an encrypted Finished (TLS 1.2): accepted");
	/* An alert is stepped over; what follows still decides. */
	n = hello13(st, "www.ok.example", false, 0);
	m = n + rec(st + n, 21, 2, 0x01);
	k = m;
	m += hello13(st + m, "blocked.example", false, 0);
	syn(&r, 3713, 100);
	part2(&r, 3713, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3713, 100, st, n, k - n, P), "pending",
	    "retry: an alert: stepped over, pending");
	CHECK_STR_EQ(part2(&r, 3713, 100, st, k, m - k, P), "blocked",
	    "retry: ... a blocked second hello after it: blocked");

	/* One record after the first hello, alone in its segment. */
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		n = hello13(st, "www.ok.example", false, 0);
		m = n + rec(st + n, one[i].ct, one[i].len, one[i].fill);
		st[n + 1] = one[i].major;
		syn(&r, (uint16_t)(3750 + i), 100);
		part2(&r, (uint16_t)(3750 + i), 100, st, 0, n, 0);
		CHECK_STR_EQ(part2(&r, (uint16_t)(3750 + i), 100, st, n, m - n,
		    P), one[i].want, unit_fmt("retry: %s", one[i].what));
	}
	/* Other bytes where bytes were stored: a conflict. */
	m = two_hellos(st, "www.ok.example", "www.ok.example", &n);
	syn(&r, 3716, 100);
	part2(&r, 3716, 100, st, 0, n, 0);
	CHECK_STR_EQ(part2(&r, 3716, 100, st, n + 10, 20, P), "pending",
	    "retry: second hello, bytes 10-30 first: pending");
	memcpy(st + 20000, st + n + 10, 20);
	st[20005] ^= 0xff;
	{
		struct seg		s = cli(3716, 101 + (uint32_t)n + 10,
					    0x18);
		struct nfqd_decision	d = decide(&r, mk(&s, st + 20000, 20),
					    P, 0);

		CHECK_STR_EQ(what2(&d), "l7_error",
		    "retry: ... the same bytes otherwise: a conflict, refused");
	}
	/* Past the window from the reading point: refused. */
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3717, 100);
	part2(&r, 3717, 100, st, 0, n, 0);
	memset(st + 30000, 0x33, 10);
	{
		struct seg		s = cli(3717, 101 + (uint32_t)n + 16384,
					    0x18);
		struct nfqd_decision	d = decide(&r, mk(&s, st + 30000, 10),
					    P, 0);

		CHECK_STR_EQ(what2(&d), "l7_error",
		    "retry: a segment 16 KiB past the reading point: refused");
		s.seq = 101 + (uint32_t)n + 16383;
		d = decide(&r, mk(&s, st + 30000, 10), P, 0);
		CHECK_STR_EQ(what2(&d), "pending",
		    "retry: ... one starting inside the window: kept, pending");
	}

	/* Early data: application data stepped over, then a hello. */
	n = hello13(st, "www.ok.example", true, 0);
	m = n + ccs(st + n);
	for (i = 0; i < 8; i++)
		m += rec(st + m, 23, 1000, (uint8_t)i);
	k = m;
	m += hello13(st + m, "blocked.example", false, 0);
	syn(&r, 3718, 100);
	CHECK_STR_EQ(part2(&r, 3718, 100, st, 0, n, 0), "pending",
	    "retry, early data: first hello: pending");
	for (i = n, ok = true; i + 1400 < k; i += 1400)
		ok &= strcmp(part2(&r, 3718, 100, st, i, 1400, P),
		    "pending") == 0;
	CHECK(ok, "retry, early data: 8,000 bytes of it: pending");
	CHECK_STR_EQ(part2(&r, 3718, 100, st, i, m - i, P), "blocked",
	    "retry, early data: then a blocked second hello: blocked");
	/* Up to EARLY_MAX stepped over; past it the first hello stands. */
	n = hello13(st, "www.ok.example", true, 0);
	m = n + ccs(st + n);
	for (i = 0; i < 18; i++)
		m += rec(st + m, 23, 1024, (uint8_t)i);	/* 18,432 */
	k = m;
	m += rec(st + m, 23, 1, 0x55);
	syn(&r, 3719, 100);
	part2(&r, 3719, 100, st, 0, n, 0);
	for (i = n, ok = true; i + 1000 < k; i += 1000)
		ok &= strcmp(part2(&r, 3719, 100, st, i, 1000, P),
		    "pending") == 0;
	CHECK(ok && strcmp(part2(&r, 3719, 100, st, i, k - i, P), "pending")
	    == 0, "retry, early data: 18,432 bytes of it: pending");
	CHECK_STR_EQ(part2(&r, 3719, 100, st, k, m - k, P), "accept",
	    "retry, early data: one byte more: the first hello stands");
	/* Tiny records until SECOND_END: refused. */
	n = hello13(st, "www.ok.example", true, 0);
	syn(&r, 3721, 100);
	part2(&r, 3721, 100, st, 0, n, 0);
	for (m = n; m + 6 <= n + 1200; )
		m += rec(st + m, 23, 1, 0x01);
	sec = 0;
	for (i = n, ok = true; i < 61000 && !sec; i += m - n) {
		const char *w = part2(&r, 3721, 100 + (uint32_t)(i - n), st, n,
		    m - n, P);

		if (strcmp(w, "l7_error") == 0)
			sec = i;
		else
			ok &= strcmp(w, "pending") == 0;
	}
	CHECK(ok && sec > 58800 && sec <= 60000, "retry: 1-byte early data "
	    "records: pending up to 60,000 stream bytes, then refused");

	/*
	 * A new connection on the ports of one waiting for a second hello
	 * (a SYN with another ISN, no pending mark: a new conntrack entry)
	 * is read afresh; one conntrack gives the old connection (the
	 * pending mark) changes nothing.
	 */
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3722, 100);
	part2(&r, 3722, 100, st, 0, n, 0);
	CHECK_STR_EQ(syn(&r, 3722, 900000), "pending",
	    "retry: a SYN with another ISN, no pending mark: pending");
	m = hello13(st + 1000, "blocked.example", false, 0);
	CHECK_STR_EQ(part2(&r, 3722, 900000, st + 1000, 0, m, 0), "blocked",
	    "retry: ... a new connection: its hello read, blocked");
	syn(&r, 3723, 100);
	part2(&r, 3723, 100, st, 0, n, 0);
	CHECK_STR_EQ(seg_at(&r, 3723, 900000, 0x02, NULL, 0, P), "pending",
	    "retry: a SYN with another ISN and the pending mark: pending");
	CHECK_STR_EQ(part2(&r, 3723, 900000, st + 1000, 0, m, P), "l7_error",
	    "retry: ... the old connection's: a hello there is outside its "
	    "window, refused");
	teardown(&r);

	/* flows.hello_retry = false: decided on the first, as before. */
	if (!setup(&r, "flows = { hello_retry = false; };"))
		return;
	n = hello13(st, "www.ok.example", false, 0);
	syn(&r, 3730, 100);
	CHECK_STR_EQ(part2(&r, 3730, 100, st, 0, n, 0), "accept",
	    "retry off: an allowed TLS 1.3 hello: accepted at once");
	teardown(&r);
}

/*
 * A second hello for another server with l7_error_verdict "accept" and a
 * rule that drops packets alone (flow = false): the rules see it (and
 * the first, when both come in one segment), a drop of theirs stands,
 * and it decides the flow, so that the same bytes sent again do not pass
 * with l7_error_verdict (a repeat goes back to the kernel's rules, which
 * keep the drop mark for the connection).  An accept gives way to
 * l7_error_verdict.
 */
static const char *const other_text =
    "queue = { balance = \"0:0\"; };\n"
    "l7_error_verdict = \"accept\";\n"
    "rules = (\n"
    "  { name = \"tls\"; tls_sni = \"blocked.example\"; flow = false;"
    " verdict = \"drop\"; }\n"
    ");\n";

static void
test_retry_other(void)
{
	struct run	r;
	uint8_t		st[8000];
	size_t		n, m;
	uint64_t	hits;

	if (!setup_text(&r, other_text))
		return;
	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3780, 100);
	CHECK_STR_EQ(part2(&r, 3780, 100, st, 0, n, 0), "pending",
	    "retry other: first hello, allowed: pending");
	hits = r.ctr[0].hits;
	CHECK_STR_EQ(part2(&r, 3780, 100, st, n, m - n, P), "drop",
	    "retry other: a blocked second hello, l7_error_verdict accept, "
	    "flow = false: dropped");
	CHECK_INT_EQ(r.ctr[0].hits - hits, 1,
	    "retry other: ... counted to the rule");
	CHECK_STR_EQ(part2(&r, 3780, 100, st, n, m - n, P), "drop",
	    "retry other: ... sent again: dropped (the flow's now)");
	CHECK_STR_EQ(part2(&r, 3780, 100, st, n, 1, P), "drop",
	    "retry other: ... its first byte again: dropped");

	m = two_hellos(st, "www.ok.example", "other.ok.example", &n);
	syn(&r, 3781, 100);
	part2(&r, 3781, 100, st, 0, n, 0);
	{
		struct seg		s = cli(3781, 101 + (uint32_t)n, 0x18);
		struct nfqd_decision	d = decide(&r, mk(&s, st + n, m - n),
					    P, 0);

		CHECK(d.verdict == NF_ACCEPT &&
		    d.status == NFQD_PKT_L7_ERROR,
		    "retry other: a second hello for another allowed name: "
		    "l7_error_verdict (accept)");
	}

	m = two_hellos(st, "www.ok.example", "blocked.example", &n);
	syn(&r, 3782, 100);
	CHECK_STR_EQ(part2(&r, 3782, 100, st, 0, m, 0), "drop",
	    "retry other: both in one segment, the second blocked: dropped");
	CHECK_STR_EQ(part2(&r, 3782, 100, st, 0, m, P), "drop",
	    "retry other: ... sent again: dropped");
	m = two_hellos(st, "blocked.example", "www.ok.example", &n);
	syn(&r, 3783, 100);
	CHECK_STR_EQ(part2(&r, 3783, 100, st, 0, m, 0), "drop",
	    "retry other: both in one segment, the first blocked: dropped");
	CHECK_STR_EQ(part2(&r, 3783, 100, st, n, m - n, P), "drop",
	    "retry other: ... the second sent again alone: dropped");
	teardown(&r);
}

/*
 * HTTP/2 after an HTTP/1.1 request that asks to switch (Upgrade: h2c,
 * RFC 7540 3.2): the preface where the next request would start, then
 * frames read as a connection's that started with the preface, the
 * request before them being stream 1.
 */
#define UPG(host, conn)	"GET / HTTP/1.1\r\nHost: " host "\r\nConnection: " \
		conn "\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA" \
		"\r\n\r\n"
#define PREFACE	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static void
upg_start(struct h2s *w, const char *req)
{
	h2s_reset(w);
	h2s_put(w, req, strlen(req));
	h2s_cut(w);
}

static void
test_h2_upgrade(void)
{
	static const char	 pre[] = "HTTP/2 after Upgrade";
	static struct h2s	 w;
	char			 got[256];
	struct run		 r;
	uint64_t		 ups;

	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending blocked", pre,
	    "a blocked host on stream 3"))
		return;

	/* Entries the upgraded connection's own blocks added. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_cut(&w);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_cut(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_cut(&w);
	h2s_get(&w, 5, NULL, 1);	/* entry 62: ok.example */
	h2s_cut(&w);
	h2s_get(&w, 7, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL,
	    "pending pending pending pending pending blocked", pre,
	    "requests on streams 3, 5 (from its table), 7 blocked"))
		return;
	if (!setup(&r, ""))
		return;
	ups = r.e.l7.h2_upgrades;
	h2s_send(&r, 4401, &w, NULL, what2, got, sizeof(got));
	CHECK_UINT_EQ(r.e.l7.h2_upgrades - ups, 1, "... counted: 1 switch");
	CHECK_UINT_EQ(r.e.l7.h2_later, 3, "... 3 HTTP/2 requests read");
	teardown(&r);

	/* A table of its own, empty: an entry a request names that its
	   blocks did not add is refused. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, NULL, 1);
	if (!h2row(&r, &w, 4400, "", NULL, "pending l7_error", pre,
	    "an entry its table lacks"))
		return;

	/* It asks to switch and to close: what follows is read. */
	upg_start(&w, UPG("ok.example", "Upgrade, close"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending blocked", pre,
	    "Connection: close too"))
		return;

	/* The server did not switch: HTTP/1.1 goes on, read as it was. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, GETBL, strlen(GETBL));
	if (!h2row(&r, &w, 4400, "", NULL, "pending blocked", pre,
	    "no switch, a blocked HTTP/1.1 request after"))
		return;

	/* The preface cut, and out of order. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 7);
	h2s_cut(&w);
	h2s_put(&w, PREFACE + 7, 17);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_cut(&w);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending pending pending blocked",
	    pre, "the preface cut in two segments"))
		return;
	if (!h2row(&r, &w, 4400, "", "0321",
	    "pending pending pending blocked", pre, "... sent out of order"))
		return;
	if (!h2row(&r, &w, 4400, "", "0132",
	    "pending pending pending blocked", pre,
	    "... the request before the SETTINGS"))
		return;

	/*
	 * Go's net/http discards up to 4 CR or LF bytes before the
	 * request after a POST (conn.readRequest(), numLeadingCRorLF()),
	 * then reads "PRI * HTTP/2.0" as a request, which the h2c package's
	 * handler (golang.org/x/net/http2/h2c; Caddy's h2c) takes for the
	 * HTTP/2 preface with prior knowledge and serves HTTP/2 from there.
	 * nfqd finds no preface at the request's start and, past the empty
	 * line, a first line it calls no HTTP: reading ends, the POST
	 * decides the flow, and the HTTP/2 request passes unread.
	 */
	upg_start(&w, POSTOK("0"));
	h2s_put(&w, "\r\n", 2);
	h2s_put(&w, PREFACE, 24);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_get(&w, 1, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending l7_error", pre,
	    "CRLF then the preface after a POST (Go's h2c)"))
		return;
	upg_start(&w, POSTOK("0"));
	h2s_put(&w, "\r\n\r\n", 4);
	h2s_put(&w, PREFACE, 24);
	h2s_frame(&w, 4, 0, 0, "", 0);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending l7_error", pre,
	    "... two CRLFs, stream 3"))
		return;

	/* A request on stream 1, the upgrade's own: trailers at most. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 1, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending l7_error", pre,
	    "a request on stream 1"))
		return;

	/* After a later HTTP/1.1 request that asks to switch. */
	upg_start(&w, GETOK);
	h2s_put(&w, UPG("ok.example", "Upgrade"), strlen(UPG("ok.example",
	    "Upgrade")));
	h2s_cut(&w);
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "", NULL, "pending pending blocked", pre,
	    "a second HTTP/1.1 request asks to switch"))
		return;

	/* Reading only the first request. */
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	if (!h2row(&r, &w, 4400, "flows = { http_requests = \"first\"; };",
	    NULL, "accept accept", pre, "flows.http_requests = \"first\""))
		return;

	/* No table free (another flow's): the bytes from the preface on
	   get flows.full_verdict; a blocked request before the preface in
	   its segment is refused whatever that says. */
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; "
	    "full_verdict = \"accept\"; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4410, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "HTTP/2 after Upgrade: the one "
	    "table another flow's");
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	h2s_send(&r, 4411, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending accept", "... no table: the frames get "
	    "flows.full_verdict (accept)");
	h2s_reset(&w);
	h2s_put(&w, GETOK, strlen(GETOK));
	h2s_put(&w, UPG("blocked.example", "Upgrade"),
	    strlen(UPG("blocked.example", "Upgrade")));
	h2s_put(&w, PREFACE, 24);
	h2s_send(&r, 4412, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "blocked", "... a blocked request and the "
	    "preface in one segment: refused");
	teardown(&r);
	if (!setup(&r, "flows = { reasm_buffers = 1; tcp_timeout = 60; };"))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4410, &w, NULL, what2, got, sizeof(got));
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_cut(&w);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4411, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending untracked drop", "... with "
	    "full_verdict drop: the preface dropped, and the connection with "
	    "it (nfqd read the preface: other bytes sent there would pass)");
	teardown(&r);

	/* Refused in the segment that took the table: the table goes
	   back (the next flow's switch finds it). */
	if (!setup(&r, "flows = { reasm_buffers = 1; };"))
		return;
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_frame(&w, 5, 0x04, 3, "\0\0\0\x02\x82", 5);
	h2s_send(&r, 4415, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending l7_error", "HTTP/2 after Upgrade: "
	    "PUSH_PROMISE after the preface: refused");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "... its table back");
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "blocked.example", 0);
	h2s_send(&r, 4416, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending blocked", "... the next flow's requests "
	    "read with it");
	teardown(&r);

	/* Every table back once the flows end. */
	if (!setup(&r, "flows = { tcp_timeout = 1; };"))
		return;
	upg_start(&w, UPG("ok.example", "Upgrade, HTTP2-Settings"));
	h2s_put(&w, PREFACE, 24);
	h2s_get(&w, 3, "ok.example", 0);
	h2s_send(&r, 4420, &w, NULL, what2, got, sizeof(got));
	CHECK_STR_EQ(got, "pending pending", "HTTP/2 after Upgrade: allowed");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 1, "... a table held");
	now += 5000000000ull;
	nfqd_l7_expire(&r.e.l7, now);
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "... none once its "
	    "flow timed out");
	teardown(&r);
}

/*
 * A packet that completes a first request and holds bytes past it that
 * find no buffer (or no HTTP/2 table) to be read with: the rules decide
 * on the request, and one they refuse is refused, whatever
 * flows.full_verdict says; one they accept gets flows.full_verdict.
 */
static const struct unread_case {
	const char	*name, *full;
	bool		 h2;
	const char	*host, *want;
} unread_cases[] = {
	{ "HTTP/1.1, a blocked host: refused", "accept", false,
	  "blocked.example", "blocked" },
	{ "HTTP/1.1, an allowed host: full_verdict accept", "accept", false,
	  "ok.example", "accept untracked" },
	{ "HTTP/1.1, an allowed host: full_verdict drop", "drop", false,
	  "ok.example", "untracked" },
	{ "HTTP/1.1, a blocked host, full_verdict drop", "drop", false,
	  "blocked.example", "blocked" },
	{ "HTTP/2, a blocked host: refused", "accept", true,
	  "blocked.example", "blocked" },
	{ "HTTP/2, an allowed host: full_verdict accept", "accept", true,
	  "ok.example", "accept untracked" },
	{ "HTTP/2, an allowed host: full_verdict drop", "drop", true,
	  "ok.example", "untracked" },
};

/* what(), or "accept untracked" for flows.full_verdict accept's. */
static const char *
what_untracked(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && d->status == NFQD_PKT_L7_UNTRACKED)
		return "accept untracked";
	return what(d);
}

static void
test_unread(void)
{
	const struct unread_case	*c;
	struct run			 r;
	struct h2s			 w;
	char				 conf[160], req[128], got[64];
	static const char		 held[] = "GET / HTTP/1.1\r\nHost: ok.ex";
	uint64_t			 untracked;
	size_t				 i;

	for (i = 0; i < sizeof(unread_cases) / sizeof(unread_cases[0]);
	    i++) {
		c = &unread_cases[i];
		snprintf(conf, sizeof(conf), "flows = { reasm_buffers = 1; "
		    "full_verdict = \"%s\"; tcp_timeout = 60; };", c->full);
		if (!setup(&r, conf))
			return;
		/* The one buffer, or the one table, taken by another flow. */
		syn(&r, 5000, 1000);
		if (c->h2) {
			h2s_start(&w);
			h2s_get(&w, 3, "ok.example", 0);
			h2s_send(&r, 5001, &w, NULL, what2, got, sizeof(got));
		} else {
			(void) part2(&r, 5000, 1000, (const uint8_t *)held, 0,
			    sizeof(held) - 1, 0);
		}
		/* The request and one byte past it, in one segment. */
		if (c->h2) {
			h2s_first(&w, c->host);
			h2s_put(&w, "\0", 1);
		} else {
			snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: "
			    "%s\r\n\r\nG", c->host);
			upg_start(&w, req);
		}
		untracked = r.e.incomplete[NFQD_PKT_L7_UNTRACKED];
		h2s_send(&r, 5002, &w, NULL, what_untracked, got,
		    sizeof(got));
		CHECK_STR_EQ(got, c->want, c->name);
		CHECK_UINT_EQ(r.e.incomplete[NFQD_PKT_L7_UNTRACKED] -
		    untracked, strcmp(c->want, "blocked") == 0 ? 0 : 1,
		    "... counted as flows.full_verdict's where it gave it");
		teardown(&r);
	}
}

/*
 * A segment that completes requests and then holds one refused (two Host
 * headers; HTTP/2: a PUSH_PROMISE): the requests before go to the rules,
 * and one they refuse is refused whatever l7_error_verdict says; one
 * they accept gets l7_error_verdict.
 */
#define BADREQ	"GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"

static const struct refused_case {
	const char	*name, *errv, *first, *second, *want;
	bool		 h2;
} refused_cases[] = {
	{ "first request blocked, then a refused one", "accept", GETBL BADREQ,
	  NULL, "blocked", false },
	{ "first request allowed, then a refused one", "accept", GETOK BADREQ,
	  NULL, "accept l7_error", false },
	{ "... l7_error_verdict drop", "drop", GETOK BADREQ, NULL, "l7_error",
	  false },
	{ "a later request blocked, then a refused one", "accept", GETOK,
	  GETBL BADREQ, "pending blocked", false },
	{ "a later request allowed, then a refused one", "accept", GETOK,
	  GETOK BADREQ, "pending accept l7_error", false },
	{ "HTTP/2: a later request blocked, then PUSH_PROMISE", "accept",
	  NULL, "blocked.example", "pending blocked", true },
	{ "HTTP/2: a later request allowed, then PUSH_PROMISE", "accept",
	  NULL, "ok.example", "pending accept l7_error", true },
};

/* what2(), or "accept l7_error" for l7_error_verdict accept's. */
static const char *
what2_err(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && d->status == NFQD_PKT_L7_ERROR)
		return "accept l7_error";
	return what2(d);
}

static void
test_refused_after(void)
{
	const struct refused_case	*c;
	struct run			 r;
	static struct h2s		 w;
	char				 conf[96], got[64];
	size_t				 i;

	for (i = 0; i < sizeof(refused_cases) / sizeof(refused_cases[0]);
	    i++) {
		c = &refused_cases[i];
		snprintf(conf, sizeof(conf), "l7_error_verdict = \"%s\";",
		    c->errv);
		if (!setup(&r, conf))
			return;
		if (c->h2) {
			h2s_start(&w);
			h2s_get(&w, 3, c->second, 0);
			h2s_frame(&w, 5, 0x04, 1, "\0\0\0\x02\x82", 5);
		} else {
			upg_start(&w, c->first);
			if (c->second != NULL)
				h2s_put(&w, c->second, strlen(c->second));
		}
		h2s_send(&r, 5100, &w, NULL, what2_err, got, sizeof(got));
		CHECK_STR_EQ(got, c->want, c->name);
		teardown(&r);
	}
}

/*
 * DNS over TCP with several queries in a segment (pipelined), or one cut
 * over segments: a server reads them all, one after another, so nfqd
 * reads the stream as it does: each whole query goes to the rules, one
 * they refuse decides the packet, and part of one waits for its rest (an
 * accept passes pending: the connection stays with nfqd).  An answer, or
 * bytes that are no query, refused.
 * spec: the client's stream, a letter a query ('o' ok.example, 'b'
 * www.blocked.example, 'r' an answer, 'p' the first 10 bytes of a query
 * for blocked, 'q' its rest), '|' where a segment ends; split: not 0,
 * the offset where the first segment ends instead of at the first '|';
 * order: the segments' indexes in the order sent (an index twice: that
 * segment sent again), NULL in order; want: each one's outcome (what(),
 * "accept l7_error" for l7_error_verdict accept's).
 */
static const struct dnsp_case {
	const char	*name, *extra, *spec;
	size_t		 split;
	const char	*order, *want;
} dnsp_cases[] = {
	{ "first segment: allowed, allowed", "", "oo", 0, NULL, "pending" },
	{ "first segment: allowed, then blocked", "", "ob", 0, NULL, "drop" },
	{ "first segment: blocked, then allowed", "", "bo", 0, NULL, "drop" },
	{ "first segment: allowed, then part of a blocked one", "", "op", 0,
	  NULL, "pending" },
	{ "... its rest in the next", "", "op|q", 0, NULL, "pending drop" },
	{ "... the rest sent first", "", "op|q", 0, "10", "pending drop" },
	{ "... l7_error_verdict accept", "l7_error_verdict = \"accept\";",
	  "op|q", 0, NULL, "pending drop" },
	{ "... blocked, then part of one", "l7_error_verdict = \"accept\";",
	  "bp", 0, NULL, "drop" },
	{ "a blocked one cut in three segments", "", "o|p|q", 0, NULL,
	  "pending pending drop" },
	{ "... sent last, middle, first", "", "o|p|q", 0, "210",
	  "pending pending drop" },
	{ "an allowed one cut in two", "", "o|p|q", 0, "01",
	  "pending pending" },
	{ "first segment: allowed, then an answer", "", "or", 0, NULL,
	  "l7_error" },
	{ "a later segment: an answer", "", "o|r", 0, NULL,
	  "pending l7_error" },
	{ "... and the connection's later queries refused", "", "o|r|o", 0,
	  NULL, "pending l7_error l7_error" },
	{ "a later segment: allowed, then blocked", "", "o|ob", 0, NULL,
	  "pending drop" },
	{ "a later segment: allowed three times", "", "o|ooo", 0, NULL,
	  "pending pending" },
	{ "a later segment: part of one first (the stream's bytes are no "
	  "query there)", "", "o|po", 0, NULL, "pending l7_error" },
	{ "the first split, the blocked one after it sent first", "",
	  "o|ob", 15, "10", "pending drop" },
	{ "the first sent again with a blocked one after it", "", "ob", 0,
	  "00", "drop drop" },
};

static size_t
dnsp_put(uint8_t *b, char c)
{
	static const uint8_t	ok[] = {
		0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		2, 'o', 'k', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1,
		0, 1,
	};
	static const uint8_t	bl[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'b', 'l', 'o', 'c', 'k', 'e', 'd',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1,
	};
	const uint8_t	*q = c == 'o' ? ok : bl;
	size_t		 n = c == 'o' ? sizeof(ok) : sizeof(bl);

	b[0] = 0;
	b[1] = (uint8_t)n;
	memcpy(b + 2, q, n);
	if (c == 'r')
		b[2 + 2] |= 0x80;	/* QR: an answer */
	if (c == 'q') {
		memmove(b, b + 10, 2 + n - 10);
		return 2 + n - 10;
	}
	return c == 'p' ? 10 : 2 + n;
}

/* what(), or "accept l7_error" for l7_error_verdict accept's. */
static const char *
what_err(const struct nfqd_decision *d)
{
	if (d->verdict == NF_ACCEPT && d->status == NFQD_PKT_L7_ERROR)
		return "accept l7_error";
	return what(d);
}

static void
test_dns_pipelined(void)
{
	const struct dnsp_case	*c;
	struct run		 r;
	struct seg		 s;
	static struct h2s	 w;
	size_t			 i, k;
	char			 got[128];
	uint16_t		 sport = 6000;

	for (i = 0; i < sizeof(dnsp_cases) / sizeof(dnsp_cases[0]); i++) {
		c = &dnsp_cases[i];
		if (!setup(&r, c->extra))
			return;
		h2s_reset(&w);
		for (k = 0; c->spec[k] != '\0'; k++) {
			if (c->spec[k] == '|')
				h2s_cut(&w);
			else
				w.n += dnsp_put(w.b + w.n, c->spec[k]);
		}
		h2s_cut(&w);
		if (c->split != 0)
			w.start[1] = c->split;
		s = (struct seg){ "10.0.0.1", "10.0.0.2", ++sport, 53, 77,
		    0x02, 6, false, 0, 0, 0, NULL };
		decide(&r, mk(&s, NULL, 0), 0, 0);
		s.seq = 78;
		s.flags = 0x18;
		h2s_sendon(&r, s, &w, c->order, 0, what_err, got, sizeof(got));
		CHECK_STR_EQ(got, c->want, c->name);
		teardown(&r);
	}
}

/*
 * DNS over TCP read as the server's TCP reads the stream, not a segment
 * at a time: a segment that starts inside bytes already read (Linux
 * takes only its bytes past them) is read from there.  Read alone, the
 * segment below is one allowed query whose trailing bytes (which a
 * server ignores, as nfqd does) hold a blocked one exactly where the
 * bytes before end; the server reads that blocked query.
 */
static size_t
dns_q(uint8_t *b, const char *name, size_t pad)
{
	size_t	n = 14, k, i;

	memcpy(b, "\0\0\x12\x34\x01\x00\0\x01\0\0\0\0\0\0", 14);
	for (i = 0; name[i] != '\0'; i += k + (name[i + k] == '.')) {
		k = strcspn(name + i, ".");
		b[n++] = (uint8_t)k;
		memcpy(b + n, name + i, k);
		n += k;
	}
	memcpy(b + n, "\0\0\x01\0\x01", 5);
	n += 5;
	memset(b + n, 'x', pad);	/* past the question: ignored */
	n += pad;
	b[0] = (uint8_t)((n - 2) >> 8);
	b[1] = (uint8_t)(n - 2);
	return n;
}

/* A DNS-over-TCP connection from port sport, after its SYN: its first
 * data segment (stream byte 0 at sequence number 78). */
static struct seg
dns_syn(struct run *r, uint16_t sport)
{
	struct seg	s = { "10.0.0.1", "10.0.0.2", sport, 53, 77, 0x02, 6,
			    false, 0, 0, 0, NULL };

	decide(r, mk(&s, NULL, 0), 0, 0);
	s.flags = 0x18;
	s.seq = 78;
	return s;
}

static void
test_dns_stream(void)
{
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			st[20000], seg2[256];
	size_t			n1, n2, k, m;
	uint64_t		later;

	if (!setup(&r, ""))
		return;
	CHECK(r.e.l7.dns_all, "a rule reads dns_qname: every query is read");
	/* Two allowed queries, then one whose bytes from 59 on (where the
	   first segment ends, 1 + 59 = 60) are a blocked query. */
	n1 = dns_q(st, "ok.example", 0);
	n1 += dns_q(st + n1, "ok.example", 0);
	m = dns_q(seg2, "ok.example", 0);
	k = dns_q(seg2 + 59, "www.blocked.example", 0);
	CHECK_UINT_EQ(n1, 60, "the first segment: 60 bytes");
	memset(seg2 + m, 'x', 59 - m);
	n2 = 59 + k;
	seg2[0] = (uint8_t)((n2 - 2) >> 8);
	seg2[1] = (uint8_t)(n2 - 2);
	s = dns_syn(&r, 6100);
	later = r.e.l7.dns_later;
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "two allowed queries: pending");
	s.seq = 79;
	d = decide(&r, mk(&s, seg2, n2), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "a segment 1 byte into them, one "
	    "allowed query read alone: read from byte 60, the blocked query, "
	    "dropped");
	CHECK_UINT_EQ(r.e.l7.dns_later - later, 2, "... the second query and "
	    "the blocked one read as later queries");
	teardown(&r);

	/*
	 * A blocked query dropped, then an allowed one with bytes past its
	 * question, then other bytes where the blocked one was: were the
	 * flow not decided, they would be old bytes to nfqd, while the
	 * server reads them and, with their own lengths, a query hidden in
	 * the allowed one's tail.
	 */
	if (!setup(&r, ""))
		return;
	n1 = dns_q(st, "ok.example", 0);
	k = dns_q(st + n1, "www.blocked.example", 0);	/* 39 bytes */
	m = dns_q(seg2, "ok.example", 45);
	dns_q(seg2 + 35, "www.blocked.example", 0);	/* in its tail */
	s = dns_syn(&r, 6104);
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "an allowed query");
	s.seq = 78 + (uint32_t)n1;
	d = decide(&r, mk(&s, st + n1, k), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "a blocked one");
	s.seq = 78 + (uint32_t)(n1 + k);
	d = decide(&r, mk(&s, seg2, m), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "an allowed one after it: dropped "
	    "with the connection");
	s.seq = 78 + (uint32_t)n1;
	dns_q(st + n1, "ok.example", k - 30);	/* k bytes, but its length */
	st[n1 + 1] = (uint8_t)(k - 2 + 35);	/* runs 35 into the next */
	d = decide(&r, mk(&s, st + n1, k), P, 0);
	CHECK_STR_EQ(what(&d), "drop", "other bytes where the blocked one "
	    "was: dropped with the connection");
	teardown(&r);

	/* A repeat (the documented drop mark, or any other) does not
	   decide the flow: the kernel's rules take it from there. */
	if (!setup_text(&r, "queue = { balance = \"0:0\"; };\n"
	    "rules = ( { name = \"dns\"; dns_qname = \"blocked.example\";"
	    " verdict = \"repeat\"; mark = 0x10000000; } );\n"))
		return;
	n1 = dns_q(st, "ok.example", 0);
	k = dns_q(st + n1, "www.blocked.example", 0);
	s = dns_syn(&r, 6105);
	d = decide(&r, mk(&s, st, n1 + k), 0, 0);
	CHECK_STR_EQ(what(&d), "blocked", "repeat: an allowed and a blocked "
	    "query, the drop mark");
	CHECK(!d.flow, "... the flow not decided");
	s.seq += (uint32_t)(n1 + k);
	d = decide(&r, mk(&s, st, n1), P, 0);
	CHECK_STR_EQ(what(&d), "pending", "... the next query read");
	teardown(&r);

	/* 33 queries in a segment (32 whole ones is the most). */
	if (!setup(&r, ""))
		return;
	for (k = n1 = 0; k < 33; k++)
		n1 += dns_q(st + n1, "ok.example", 0);
	s = dns_syn(&r, 6101);
	d = decide(&r, mk(&s, st,
	    n1 - 30), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "32 queries in a segment: pending");
	s.seq += (uint32_t)(n1 - 30);
	d = decide(&r, mk(&s, st, n1), P, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "33 in the next: l7_error_verdict");
	teardown(&r);

	/* A query longer than a buffer holds is never whole: refused at
	   its length. */
	if (!setup(&r, ""))
		return;
	n1 = dns_q(st, "ok.example", 0);
	n2 = dns_q(st + n1, "ok.example", NFQD_REASM_MAX);
	s = dns_syn(&r, 6102);
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "an allowed query");
	s.seq += (uint32_t)n1;
	d = decide(&r, mk(&s, st + n1,
	    1400), P, 0);
	CHECK_STR_EQ(what(&d), "l7_error", "the start of one of 16,415 bytes: "
	    "l7_error_verdict");
	teardown(&r);

	/* No rule reads DNS fields: the first query decides, the
	   connection is not kept. */
	if (!setup_text(&r, "queue = { balance = \"0:0\"; };\n"
	    "rules = ( { name = \"tls\"; tls_sni = \"blocked.example\";"
	    " verdict = \"drop\"; } );\n"))
		return;
	CHECK(!r.e.l7.dns_all, "no rule reads DNS fields: no later queries");
	n1 = dns_q(st, "ok.example", 0);
	s = dns_syn(&r, 6103);
	later = r.e.l7.dns_later;
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "... a query accepted, not pending");
	s.seq += (uint32_t)n1;
	d = decide(&r, mk(&s, st, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "accept", "... and the next");
	CHECK_UINT_EQ(r.e.l7.dns_later - later, 0, "... not read as a later "
	    "query of the stream");
	teardown(&r);
}

/*
 * Messages pipelined in a SYN's data (TCP Fast Open): a server that takes
 * them reads them all at once, so each whole one goes to the rules with
 * the SYN, and a refusal of any stands (docs/l7.md, Reassembly).  syn:
 * the SYN's bytes; then: what follows, spaced: S the SYN again, T the
 * server's SYN-ACK taking its bytes, U one taking none, R the SYN's bytes
 * sent again, =X bytes X sent from byte 0, X bytes X past what was sent;
 * want: each packet's outcome (what()), the SYN's first.  Bytes: DNS
 * queries to port 53 as dnsp_put() writes them (o b p q r), HTTP to port
 * 80: O GETOK, B GETBL, P and Q GETBL cut after "Host", K GETOKC, C
 * POSTOK("41") (whose body GETBL fills).
 */
static const struct synl_case {
	const char	*name, *extra, *syn, *then, *want;
} synl_cases[] = {
	{ "allowed, allowed", "", "oo", "", "pending" },
	{ "allowed, then blocked", "", "ob", "", "drop" },
	{ "blocked, then allowed", "", "bo", "", "drop" },
	{ "blocked, the SYN again", "", "b", "S", "drop drop" },
	{ "allowed, then blocked, the SYN again", "", "ob", "S",
	  "drop drop" },
	{ "allowed, allowed, taken, then blocked", "", "oo", "T b",
	  "pending pending drop" },
	{ "allowed, allowed, taken, then allowed", "", "oo", "T o",
	  "pending pending pending" },
	{ "allowed, allowed, not taken, sent again, then blocked", "", "oo",
	  "U R b", "pending pending pending drop" },
	{ "allowed, allowed, not taken, sent again with a blocked one", "",
	  "oo", "U =oob", "pending pending drop" },
	{ "allowed, then part of a blocked one, taken, its rest", "", "op",
	  "T q", "pending pending drop" },
	{ "allowed, then part of a blocked one, not taken, sent again "
	  "whole", "", "op", "U =opq", "pending pending drop" },
	{ "allowed, then an answer", "", "or", "", "l7_error" },
	{ "32 allowed", "", "oooooooooooooooooooooooooooooooo", "",
	  "pending" },
	{ "33 allowed", "", "ooooooooooooooooooooooooooooooooo", "",
	  "l7_error" },
	{ "HTTP: allowed, allowed", "", "OO", "", "pending" },
	{ "HTTP: allowed, then blocked", "", "OB", "", "blocked" },
	{ "HTTP: blocked, then allowed", "", "BO", "", "blocked" },
	{ "HTTP: allowed, then blocked, the SYN again", "", "OB", "S",
	  "blocked blocked" },
	{ "HTTP: allowed, allowed, taken, then blocked", "", "OO", "T B",
	  "pending pending blocked" },
	{ "HTTP: allowed, allowed, not taken, sent again, then blocked", "",
	  "OO", "U R B", "pending pending pending blocked" },
	{ "HTTP: allowed, allowed, not taken, sent again with a blocked one",
	  "", "OO", "U =OOB", "pending pending blocked" },
	{ "HTTP: allowed, then part of a blocked one, taken, its rest", "",
	  "OP", "T Q", "pending pending blocked" },
	{ "HTTP: a body that looks like a request", "", "CB", "", "pending" },
	{ "HTTP: a body, then a blocked request", "", "CBB", "", "blocked" },
	{ "HTTP: Connection: close, then blocked", "", "KB", "", "pending" },
	{ "HTTP: allowed, then blocked, http_requests = \"first\"",
	  "flows = { http_requests = \"first\"; };", "OB", "", "pending" },
};

/* The bytes spec names (synl_cases), at b; their length. */
static size_t
synl_put(uint8_t *b, const char *spec)
{
	static const char	bl[] = GETBL;
	const char		*m;
	size_t			 n = 0;

	for (; *spec != '\0'; spec++) {
		switch (*spec) {
		case 'O': m = GETOK; break;
		case 'B': m = GETBL; break;
		case 'K': m = GETOKC; break;
		case 'C': m = POSTOK("41"); break;
		case 'P': m = "GET / HTTP/1.1\r\nHost"; break;
		case 'Q': m = bl + 20; break;
		default:
			n += dnsp_put(b + n, *spec);
			continue;
		}
		memcpy(b + n, m, strlen(m));
		n += strlen(m);
	}
	return n;
}

static void
test_syn_later(void)
{
	const struct synl_case	*c;
	struct run		 r;
	struct seg		 s, sa;
	struct nfqd_decision	 d;
	static struct h2s	 w;
	static uint8_t		 sb[2048], b[2048];
	char			 got[128], then[64], *t, *save;
	size_t			 i, n, m, end;
	uint16_t		 sport = 6300;

	for (i = 0; i < sizeof(synl_cases) / sizeof(synl_cases[0]); i++) {
		c = &synl_cases[i];
		if (!setup(&r, c->extra))
			return;
		n = synl_put(sb, c->syn);
		s = (struct seg){ "10.0.0.1", "10.0.0.2", ++sport,
		    islower((unsigned char)c->syn[0]) ? 53 : 80, 1000, 0x02,
		    6, false, 0, 0, 0, NULL };
		sa = (struct seg){ "10.0.0.2", "10.0.0.1", s.dport, s.sport,
		    5555, 0x12, 6, false, 0, 0, 0, NULL };
		d = decide(&r, mk(&s, sb, n), 0, 0);
		snprintf(got, sizeof(got), "%s", what(&d));
		end = n;
		snprintf(then, sizeof(then), "%s", c->then);
		for (t = strtok_r(then, " ", &save); t != NULL;
		    t = strtok_r(NULL, " ", &save)) {
			if (*t == 'T' || *t == 'U') {
				sa.ack = 1001 + (*t == 'T' ? (uint32_t)n : 0);
				indev = 3;
				d = decide(&r, mk(&sa, NULL, 0), 0, 0);
				indev = 2;
				s.ack = 5556;
			} else if (*t == 'S') {
				d = decide(&r, mk(&s, sb, n), 0, 0);
			} else {
				s.flags = 0x18;
				if (*t == 'R' || *t == '=') {
					s.seq = 1001;
					m = *t == 'R' ? synl_put(b, c->syn) :
					    synl_put(b, t + 1);
				} else {
					s.seq = 1001 + (uint32_t)end;
					m = synl_put(b, t);
				}
				if (s.seq + m > 1001 + end)
					end = s.seq + m - 1001;
				d = decide(&r, mk(&s, b, m), P, 0);
				s.flags = 0x02;
				s.seq = 1000;
			}
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
			strncat(got, what(&d), sizeof(got) - strlen(got) - 1);
		}
		CHECK_STR_EQ(got, c->want, unit_fmt("SYN data: %s", c->name));
		CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, unit_fmt("SYN "
		    "data: %s: no HTTP/2 table held", c->name));
		teardown(&r);
	}

	/* HTTP/2 (prior knowledge): the requests after the first read with
	   a header table taken for the SYN alone. */
	for (i = 0; i < 2; i++) {
		if (!setup(&r, ""))
			return;
		h2s_first(&w, "ok.example");
		h2s_get(&w, 3, i == 1 ? "blocked.example" : NULL, 1);
		s = (struct seg){ "10.0.0.1", "10.0.0.2", ++sport, 80, 1000,
		    0x02, 6, false, 0, 0, 0, NULL };
		d = decide(&r, mk(&s, w.b, w.n), 0, 0);
		CHECK_STR_EQ(what(&d), i == 1 ? "blocked" : "pending",
		    unit_fmt("SYN data: HTTP/2: allowed, then %s",
		    i == 1 ? "blocked" : "allowed"));
		CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "SYN data: "
		    "HTTP/2: the table given back");
		teardown(&r);
	}
}

/*
 * TLS 1.3 in a SYN's data (TCP Fast Open): a server that takes the bytes
 * reads a second hello there after asking again, so what follows the
 * first goes to the rules with the SYN (l7_second_syn()), and the flow
 * does not move: after the handshake it reads the bytes from byte 0.
 * spec: what the SYN holds, a letter each: 'o' a first hello for
 * www.ok.example, 'O' the same as a second hello, 'B' blocked.example,
 * 'A' other.ok.example, 'c' ChangeCipherSpec, 'd' an application data
 * record, 'x' a record of type 24, 't' a first hello with 20 bytes after
 * it in its record, 'e' a first hello offering early data.
 */
static const struct {
	const char	*name, *extra, *spec, *want;
	bool		 taken;		/* the SYN-ACK takes the bytes, and
					   the client's Finished follows */
} synt_cases[] = {
	{ "a first hello alone", "", "o", "pending", false },
	{ "a second hello for the same name", "", "ocO", "pending", false },
	{ "a second hello for a blocked name", "", "ocB", "blocked", false },
	{ "... with no ChangeCipherSpec", "", "oB", "blocked", false },
	{ "a second hello for another allowed name", "", "ocA", "l7_error",
	  false },
	{ "early data, then a blocked second hello", "", "ecddB", "blocked",
	  false },
	{ "application data, no early data offered: no second hello", "",
	  "ocdB", "pending", false },
	{ "a record of type 24 after the hello", "", "ox", "l7_error", false },
	{ "20 bytes after the hello in its record", "", "t", "l7_error",
	  false },
	{ "a blocked second hello, taken: the Finished", "", "ocB",
	  "blocked blocked", true },
	{ "the same name twice, taken: the Finished", "", "ocO",
	  "pending accept", true },
	{ "hello_retry = false: the second is not read", "flows = { "
	  "hello_retry = false; };", "ocB", "pending", false },
};

static size_t
synt_put(uint8_t *b, const char *spec)
{
	size_t	n = 0;

	for (; *spec != '\0'; spec++) {
		switch (*spec) {
		case 'o': n += hello13(b + n, "www.ok.example", false, 0);
			break;
		case 'e': n += hello13(b + n, "www.ok.example", true, 0);
			break;
		case 't': n += hello13(b + n, "www.ok.example", false, 20);
			break;
		case 'O': n += hello13(b + n, "www.ok.example", false, 0);
			break;
		case 'B': n += hello13(b + n, "blocked.example", false, 0);
			break;
		case 'A': n += hello13(b + n, "other.ok.example", false, 0);
			break;
		case 'c': n += ccs(b + n); break;
		case 'd': n += rec(b + n, 23, 60, 0x42); break;
		default:  n += rec(b + n, 24, 3, 0x01); break;
		}
	}
	return n;
}

static void
test_syn_second(void)
{
	struct run		 r;
	struct seg		 s, sa;
	struct nfqd_decision	 d;
	static uint8_t		 sb[4096], fin[64];
	char			 got[64];
	size_t			 i, n, m;
	uint64_t		 sec;

	for (i = 0; i < sizeof(synt_cases) / sizeof(synt_cases[0]); i++) {
		if (!setup(&r, synt_cases[i].extra))
			return;
		n = synt_put(sb, synt_cases[i].spec);
		s = (struct seg){ "10.0.0.1", "10.0.0.2", (uint16_t)(6400 + i),
		    443, 1000, 0x02, 6, false, 0, 0, 0, NULL };
		sec = r.e.l7.second_hellos;
		d = decide(&r, mk(&s, sb, n), 0, 0);
		snprintf(got, sizeof(got), "%s", what(&d));
		CHECK_UINT_EQ(r.e.l7.second_hellos - sec, 0, unit_fmt("SYN "
		    "TLS: %s: no second hello counted for the SYN",
		    synt_cases[i].name));
		if (synt_cases[i].taken) {
			sa = (struct seg){ "10.0.0.2", "10.0.0.1", 443, s.sport,
			    5555, 0x12, 6, false, 1001 + (uint32_t)n, 0, 0,
			    NULL };
			indev = 3;
			(void) decide(&r, mk(&sa, NULL, 0), 0, 0);
			indev = 2;
			m = rec(fin, 23, 40, 0x5a);
			s.seq = 1001 + (uint32_t)n;
			s.ack = 5556;
			s.flags = 0x18;
			d = decide(&r, mk(&s, fin, m), P, 0);
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
			strncat(got, what2(&d), sizeof(got) - strlen(got) - 1);
		}
		CHECK_STR_EQ(got, synt_cases[i].want, unit_fmt("SYN TLS: %s",
		    synt_cases[i].name));
		teardown(&r);
	}

	/* A rule that drops packets alone, l7_error_verdict accept: the
	   rules see the second hello; an allowed one gets accept's. */
	if (!setup_text(&r, other_text))
		return;
	n = synt_put(sb, "ocB");
	s = (struct seg){ "10.0.0.1", "10.0.0.2", 6450, 443, 1000, 0x02, 6,
	    false, 0, 0, 0, NULL };
	d = decide(&r, mk(&s, sb, n), 0, 0);
	CHECK_STR_EQ(what(&d), "drop", "SYN TLS: a blocked second hello, "
	    "flow = false, l7_error_verdict accept: dropped");
	CHECK_UINT_EQ(r.ctr[0].hits, 1, "SYN TLS: ... counted to the rule");
	n = synt_put(sb, "ocA");
	s.sport = 6451;
	d = decide(&r, mk(&s, sb, n), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "SYN TLS: another allowed name, "
	    "l7_error_verdict accept: passes pending, as any SYN's accept");
	teardown(&r);
}

/*
 * TLS: what follows a first hello in its segment refused (a second hello
 * naming another server, a record of no TLS type) or without a buffer:
 * the first hello still goes to the rules.
 */
static void
test_hello_then_refused(void)
{
	struct run	r;
	uint8_t		st[4096];
	size_t		n, first;
	char		got[64];

	if (!setup(&r, "l7_error_verdict = \"accept\";"))
		return;
	n = two_hellos(st, "blocked.example", "other.example", &first);
	syn(&r, 5201, 1000);
	CHECK_STR_EQ(part2(&r, 5201, 1000, st, 0, n, 0), "blocked",
	    "a blocked hello, then one for another server: refused");
	n = two_hellos(st, "ok.example", "other.example", &first);
	syn(&r, 5202, 1000);
	CHECK_STR_EQ(part2(&r, 5202, 1000, st, 0, n, 0), "accept",
	    "an allowed one, then one for another: l7_error_verdict (accept)");
	n = hello13(st, "blocked.example", false, 0);
	memcpy(st + n, "\x30\x03\x03\x00\x01\x00", 6);	/* no TLS type */
	syn(&r, 5203, 1000);
	CHECK_STR_EQ(part2(&r, 5203, 1000, st, 0, n + 6, 0), "blocked",
	    "a blocked hello, then a record of no TLS type: refused");
	teardown(&r);
	if (!setup(&r, "l7_error_verdict = \"accept\"; flows = { "
	    "reasm_buffers = 1; full_verdict = \"accept\"; };"))
		return;
	syn(&r, 5204, 1000);
	n = hello13(st, "blocked.example", false, 0);
	(void) part2(&r, 5204, 1000, st, 0, 20, 0);	/* holds the buffer */
	n = hello13(st, "blocked.example", false, 0);
	memcpy(st + n, "\x16\x03\x03\x00\x40\x01", 6);	/* a record begun */
	syn(&r, 5205, 1000);
	snprintf(got, sizeof(got), "%s", part2(&r, 5205, 1000, st, 0, n + 6,
	    0));
	CHECK_STR_EQ(got, "blocked", "a blocked hello, then part of a record "
	    "with no buffer free: refused");
	teardown(&r);
}

/*
 * A packet nfqd read a message or framing from, dropped by a rule that
 * does not decide the flow (here a rate limit's stand-in above the name
 * rules, matched by mark 0x4): the server never got those bytes, and
 * nfqd, which does not keep them, would take other bytes sent there
 * later as read.  So the drop decides the connection (docs/l7.md,
 * What is not covered).  Bytes nfqd only stepped over (a body) or kept
 * (a head cut at the segment's end) leave it going on.
 * stream: segments split at '|'; alt: other bytes, as long as the segment
 * they are sent for; steps: a segment's index each, 'r' with the rate
 * mark, 'a' with alt's bytes.
 */
#define RATE	0x4u
#define GET8OK	"GET /abcdefg HTTP/1.1\r\nHost: ok.example\r\n\r\n"
#define GET3BL	"GET /ab HTTP/1.1\r\nHost: blocked.example\r\n\r\n"

static const struct dropped {
	const char	*name, *stream, *alt, *steps, *want;
} dropped[] = {
	{ "a later request's head", GETOK "|" GET8OK, GET3BL, "0 1r 1a",
	  "pending drop drop" },
	{ "... sent again as it was", GETOK "|" GET8OK, GET3BL, "0 1r 1",
	  "pending drop drop" },
	{ "the first request", GET8OK "|" GETOK, NULL, "0r 0 1",
	  "drop drop drop" },
	{ "... other bytes there", GET8OK "|" GETOK, GET3BL, "0r 0a",
	  "drop drop" },
	{ "a chunk's size line", CHUNKOK "|5\r\nhello\r\n|0\r\n\r\n" GETOK,
	  "0\r\n\r\nGET /", "0 1r 1a 2", "pending drop drop drop" },
	{ "bytes that are no HTTP", GETOK "|\x01\x02\x03\x04\x05\x06\x07\x08"
	  "\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
	  "\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28"
	  "\x29\x2a\x2b", GET3BL, "0 1r 1a", "pending drop drop" },
	{ "a GET's body, its first byte looked at", GETB("41") "|{"
	  "0123456789012345678901234567890123456789", GETBL, "0 1r 1a",
	  "pending drop drop" },
	{ "a body stepped over: the flow goes on", POSTOK("10") "|0123456789|"
	  GETBL, "abcdefghij", "0 1r 1a 2", "pending drop pending blocked" },
	{ "a head cut at the segment's end: kept, the flow goes on", GETOK
	  "|GET / HTTP/1.1\r\nHo|st: ok.example\r\n\r\n",
	  "GET / HTTP/1.1\r\nHx", "0 1r 1 2", "pending drop pending pending" },
	{ "... other bytes there: a conflict", GETOK
	  "|GET / HTTP/1.1\r\nHo|st: ok.example\r\n\r\n",
	  "GET / HTTP/1.1\r\nHx", "0 1r 1a", "pending drop l7_error" },
	{ "accepted, then the same bytes dropped: old bytes, not read",
	  GETOK "|" GETOK, NULL, "0 1 1r 1", "pending pending drop pending" },
};

static const char *const dropped_rules =
    "queue = { balance = \"0:0\"; };\n"
    "rules = (\n"
    "  { name = \"rate\"; match_mark = \"0x4/0x4\"; verdict = \"drop\"; },\n"
    "  { name = \"http\"; http_host = \"blocked.example\";"
    " verdict = \"repeat\"; mark = 0x10000000; },\n"
    "  { name = \"tls\"; tls_sni = \"blocked.example\";"
    " verdict = \"repeat\"; mark = 0x10000000; }\n"
    ");\n";

static void
test_dropped(void)
{
	static uint8_t	 st[4096];
	struct run	 r;
	size_t		 start[32], nseg, i, k, len;
	char		 got[256], w[64];
	const char	*o;
	uint32_t	 mark;
	bool		 alt;
	int		 seg;

	for (i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		const struct dropped	*c = &dropped[i];

		if (!setup_text(&r, dropped_rules))
			return;
		(void) hsplit(c->stream, st, start, &nseg);
		syn(&r, 4300, 1000);
		got[0] = '\0';
		for (o = c->steps, k = 0; *o != '\0'; k++) {
			seg = *o++ - '0';
			mark = k > 0 ? P : 0;
			alt = false;
			for (; *o != '\0' && *o != ' '; o++) {
				if (*o == 'r')
					mark |= RATE;
				else if (*o == 'a')
					alt = true;
			}
			if (*o == ' ')
				o++;
			len = start[seg + 1] - start[seg];
			if (alt && !CHECK_UINT_EQ(strlen(c->alt), len,
			    unit_fmt("dropped: %s: alt as long as segment %d",
			    c->name, seg)))
				break;
			if (alt)
				memcpy(st + sizeof(st) / 2, c->alt, len);
			snprintf(w, sizeof(w), "%s%s", k > 0 ? " " : "",
			    part2(&r, 4300, 1000, alt ? st + sizeof(st) / 2 -
			    start[seg] : st, start[seg], len, mark));
			strncat(got, w, sizeof(got) - strlen(got) - 1);
		}
		CHECK_STR_EQ(got, c->want, unit_fmt("dropped: %s", c->name));
		teardown(&r);
	}

	/* Decided so, a flow gives back the buffer it read with. */
	if (!setup_text(&r, dropped_rules))
		return;
	(void) hsplit(CHUNKOK "|5\r\nhello\r\n0\r\n\r\nGET / HT", st, start,
	    &nseg);
	syn(&r, 4301, 1000);
	CHECK_STR_EQ(part2(&r, 4301, 1000, st, 0, start[1], 0), "pending",
	    "dropped: a chunked request");
	CHECK_STR_EQ(part2(&r, 4301, 1000, st, start[1], start[2] - start[1],
	    P | RATE), "drop", "dropped: ... its body and the start of a head "
	    "after it");
	CHECK_UINT_EQ(nfqd_reasm_pool_used(r.e.l7.pool), 0, "dropped: ... the "
	    "flow decided, its buffer back");
	CHECK_STR_EQ(part2(&r, 4301, 1000, st, start[1], start[2] - start[1],
	    P), "drop", "dropped: ... sent again: dropped with the connection");
	CHECK_UINT_EQ(nfqd_reasm_pool_used(r.e.l7.pool), 0, "dropped: ... and "
	    "not read: no buffer taken again");
	teardown(&r);

	/*
	 * A chunk of 1 GiB: its data is stepped over 512 MiB at a time
	 * (HSTEP), the rest read as it comes, and is data all the same.
	 */
	if (!setup_text(&r, dropped_rules))
		return;
	k = strlen(CHUNKOK "40000000\r\n");
	memcpy(st, CHUNKOK "40000000\r\n", k);
	syn(&r, 4302, 1000);
	CHECK_STR_EQ(part2(&r, 4302, 1000, st, 0, k, 0), "pending",
	    "dropped: a chunk of 1 GiB");
	memset(st, 'a', 100);
	memset(st + 100, 'b', 100);
	CHECK_STR_EQ(part2(&r, 4302, 1000 + (uint32_t)k + (1u << 29), st, 0,
	    100, P | RATE), "drop", "dropped: ... data past its first 512 "
	    "MiB, by the rate rule");
	CHECK_STR_EQ(part2(&r, 4302, 1000 + (uint32_t)k + (1u << 29), st + 100,
	    0, 100, P), "pending", "dropped: ... other data there: data to the "
	    "server too, the flow goes on");
	teardown(&r);
}

/* The same for HTTP/2 without TLS: a later request's HEADERS frame. */
static void
test_dropped_h2(void)
{
	static struct h2s	w, v;
	struct run		r;

	if (!setup_text(&r, dropped_rules))
		return;
	h2s_start(&w);
	h2s_get(&w, 3, "aaaaaaa.example", 0);
	h2s_cut(&w);
	h2s_start(&v);
	h2s_get(&v, 3, "blocked.example", 0);
	h2s_cut(&v);
	CHECK_UINT_EQ(v.n, w.n, "dropped h2: two requests as long");
	syn(&r, 4320, 1000);
	CHECK_STR_EQ(part2(&r, 4320, 1000, w.b, 0, w.start[1], 0), "pending",
	    "dropped h2: the preface and a request");
	CHECK_STR_EQ(part2(&r, 4320, 1000, w.b, w.start[1],
	    w.start[2] - w.start[1], P | RATE), "drop",
	    "dropped h2: ... a later request, by the rate rule");
	CHECK_STR_EQ(part2(&r, 4320, 1000, v.b, v.start[1],
	    v.start[2] - v.start[1], P), "drop",
	    "dropped h2: ... a blocked one there: dropped with the connection");
	CHECK_UINT_EQ(nfqd_l7_h2_tables(&r.e.l7), 0, "dropped h2: ... its "
	    "header table back");
	teardown(&r);
}

/*
 * The same for a TLS hello, whole in a segment, and for the records
 * after a hello that offers TLS 1.3 (a second hello may follow them).
 */
static void
test_dropped_tls(void)
{
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			b1[2048], b2[2048];
	size_t			n1, n2, first;

	if (!setup_text(&r, dropped_rules))
		return;
	n1 = hello(b1, "aaaaaaa.example");
	n2 = hello(b2, "blocked.example");
	CHECK_UINT_EQ(n1, n2, "dropped: two hellos as long");
	syn(&r, 4310, 1000);
	s = cli(4310, 1001, 0x18);
	d = decide(&r, mk(&s, b1, n1), RATE, 0);
	CHECK_STR_EQ(what(&d), "drop", "dropped: a hello, by the rate rule");
	d = decide(&r, mk(&s, b2, n2), 0, 0);
	CHECK_STR_EQ(what(&d), "drop", "dropped: ... a blocked one there: "
	    "dropped with the connection");
	teardown(&r);

	if (!setup_text(&r, dropped_rules))
		return;
	n1 = two_hellos(b1, "aaaaaaa.example", "blocked.example", &first);
	syn(&r, 4311, 1000);
	CHECK_STR_EQ(part2(&r, 4311, 1000, b1, 0, first, 0), "pending",
	    "dropped: a hello offering TLS 1.3: pending");
	CHECK_STR_EQ(part2(&r, 4311, 1000, b1, first, 6, P | RATE), "drop",
	    "dropped: ... its ChangeCipherSpec, by the rate rule");
	CHECK_STR_EQ(part2(&r, 4311, 1000, b1, first, 6, P), "drop",
	    "dropped: ... sent again: dropped with the connection");
	CHECK_STR_EQ(part2(&r, 4311, 1000, b1, first + 6, n1 - first - 6, P),
	    "drop", "dropped: ... and the second hello");
	teardown(&r);

	/* A SYN's data is kept until sent again: its drop decides nothing. */
	if (!setup_text(&r, dropped_rules))
		return;
	n1 = hello(b1, "aaaaaaa.example");
	s = cli(4312, 1000, 0x02);
	d = decide(&r, mk(&s, b1, n1), RATE, 0);
	CHECK_STR_EQ(what(&d), "drop", "dropped: a SYN with a hello, by the "
	    "rate rule");
	CHECK(!d.flow, "dropped: ... the flow not decided");
	d = decide(&r, mk(&s, b1, n1), 0, 0);
	CHECK_STR_EQ(what(&d), "pending", "dropped: ... the SYN again: its "
	    "hello's accept tentative, as any SYN's");
	teardown(&r);
}

/*
 * A rule that decides flows (l7 = "dns", flow true by default, as in a
 * policy that lets only the protocols it knows through) accepting a
 * connection's first DNS query must not let the later queries of the
 * connection through unread: a server reads each (RFC 7766 6.2.1), and
 * the drop rule on dns_qname before it must see them.
 */
static void
test_dns_flow_rule(void)
{
	static const char *const accepts[] = {
		"{ name = \"proto\"; l7 = \"dns\"; verdict = \"accept\"; }",
		"{ name = \"resolver\"; dst = \"10.0.0.2\"; l7 = \"dns\";"
		" verdict = \"accept\"; }",
		"{ name = \"port\"; dst_port = 53; verdict = \"accept\";"
		" flow = true; }",
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	uint8_t			st[512];
	char			text[1024];
	size_t			n1, k, i;

	for (i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		snprintf(text, sizeof(text),
		    "queue = { balance = \"0:0\"; };\n"
		    "rules = (\n"
		    "  { name = \"dns\"; dns_qname = \"blocked.example\";"
		    " verdict = \"drop\"; },\n"
		    "  %s\n"
		    ");\n", accepts[i]);
		if (!setup_text(&r, text))
			return;
		n1 = dns_q(st, "ok.example", 0);
		k = dns_q(st + n1, "www.blocked.example", 0);
		s = dns_syn(&r, (uint16_t)(6200 + i));
		d = decide(&r, mk(&s, st, n1), 0, 0);
		CHECK(d.verdict == NF_ACCEPT, unit_fmt("%s: an allowed "
		    "query accepted", accepts[i]));
		s.seq = 78 + (uint32_t)n1;
		d = decide(&r, mk(&s, st + n1, k), P, 0);
		CHECK_STR_EQ(what(&d), "drop", unit_fmt("%s: a blocked query "
		    "after it on the connection is dropped", accepts[i]));
		teardown(&r);
	}
}

/*
 * A rule's path prefix may hold characters other than letters,
 * digits and "-._~/" (the loader takes "/@admin", "/a!b", a UTF-8 name);
 * nginx (location matching, static files), Go's ServeMux and Python's
 * http.server decode every %XX of a path before they use it, so
 * "/%40admin" is "/@admin" to them.  nfqd decoded only escapes of
 * unreserved characters, and the escaped form walked past the rule.
 */
static void
test_path_escapes(void)
{
	static const struct {
		const char	*name, *req, *want;
	} c[] = {
		{ "/@admin as is", "GET /@admin HTTP/1.1\r\nHost: ok.example"
		  "\r\n\r\n", "drop" },
		{ "/%40admin", "GET /%40admin HTTP/1.1\r\nHost: ok.example"
		  "\r\n\r\n", "drop" },
		{ "/a%21b", "GET /a%21b HTTP/1.1\r\nHost: ok.example\r\n\r\n",
		  "drop" },
		{ "/v1/users%3Abatch", "GET /v1/users%3abatch HTTP/1.1\r\n"
		  "Host: ok.example\r\n\r\n", "drop" },
		{ "/caf%C3%A9 (what curl and browsers send for /caf\u00e9)",
		  "GET /caf%C3%A9/menu HTTP/1.1\r\nHost: ok.example\r\n\r\n",
		  "drop" },
		{ "/%40admin in the query stays", "GET /x?%40admin HTTP/1.1\r\n"
		  "Host: ok.example\r\nConnection: close\r\n\r\n", "accept" },
	};
	struct run		r;
	struct seg		s;
	struct nfqd_decision	d;
	size_t			i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (!setup_text(&r, "queue = { balance = \"0:0\"; };\n"
		    "rules = ( { name = \"p\"; http_path = [\"/@admin\", "
		    "\"/a!b\", \"/v1/users:batch\", \"/caf\xc3\xa9\"];"
		    " verdict = \"drop\"; } );\n"))
			return;
		syn(&r, 7100, 100);
		s = cli(7100, 101, 0x18);
		d = decide(&r, mk(&s, (const uint8_t *)c[i].req,
		    strlen(c[i].req)), 0, 0);
		CHECK_STR_EQ(what(&d), c[i].want, unit_fmt("path "
		    "escapes: %s", c[i].name));
		teardown(&r);
	}
}

/*
 * The window of a first message: the segment that completes it may hold
 * bytes past NFQD_REASM_MAX, which the buffer does not keep and the
 * server reads after it (a body, requests, HTTP/2 frames, queries): they
 * are read from the segment itself.  A segment that reaches past the
 * window and cannot complete the message now (past a gap, past a SYN's
 * bytes not yet sent again, a SYN's own) is refused, as one past the
 * window is: its bytes past it would pass unread.  shape: the stream
 * (wbuild()); order as hlater's ('b' for segment 11).
 */
enum wshape { W_POST, W_POST3, W_POST1, W_STRADDLE, W_MSS, W_MSS2, W_LATER,
    W_BIGLATER, W_H2, W_H2ONE, W_DNS };

static const struct wcase {
	const char	*name;
	enum wshape	 shape;
	const char	*order, *want;
} wcases[] = {
	{ "head cut; its rest, a 17,000-byte body and a blocked request in "
	  "one segment", W_POST, NULL, "pending blocked" },
	{ "... and a blocked one in the next", W_POST3, NULL,
	  "pending blocked blocked" },
	{ "... all in one segment (control)", W_POST1, NULL, "blocked" },
	{ "a blocked request straddling 16 KiB", W_STRADDLE, NULL,
	  "pending blocked" },
	{ "a 16,370-byte head in 1,448-byte segments, a blocked request "
	  "after it in the last", W_MSS, NULL, "pending pending pending "
	  "pending pending pending pending pending pending pending pending "
	  "blocked" },
	{ "... and a blocked one in the next", W_MSS2, NULL, "pending pending "
	  "pending pending pending pending pending pending pending pending "
	  "pending blocked blocked" },
	{ "... the last sent first (past a gap: refused), then again",
	  W_MSS, "b0123456789ab", "l7_error pending pending pending pending "
	  "pending pending pending pending pending pending pending blocked" },
	{ "a later request's head cut, the same after it (control)",
	  W_LATER, NULL, "pending pending blocked" },
	{ "a second head longer than the window", W_BIGLATER, NULL,
	  "pending l7_error" },
	{ "HTTP/2: the first HEADERS cut; a 16 KiB DATA frame and a blocked "
	  "request after its rest", W_H2, NULL, "pending blocked" },
	{ "... in one segment (control)", W_H2ONE, NULL, "blocked" },
	{ "DNS over TCP: the first query cut; queries past 16 KiB after its "
	  "rest, the last blocked", W_DNS, NULL, "pending drop" },
};

static void
wbuild(struct h2s *w, enum wshape shape)
{
	static char		 pad[17000];
	uint8_t			 b[1100];
	size_t			 k;

	memset(pad, 'x', sizeof(pad));
	h2s_reset(w);
	switch (shape) {
	case W_LATER:
		h2s_put(w, GETOK, strlen(GETOK));
		h2s_cut(w);
		/* FALLTHROUGH */
	case W_POST:
	case W_POST3:
	case W_POST1:
	case W_STRADDLE:
		h2s_put(w, "POST /up HTTP/1.1\r\nHost: ok.example\r\nCont", 41);
		if (shape != W_POST1)
			h2s_cut(w);
		k = shape == W_STRADDLE ? 16300 : 17000;
		h2s_put(w, "ent-Length: ", 12);
		h2s_put(w, k == 16300 ? "16300" : "17000", 5);
		h2s_put(w, "\r\n\r\n", 4);
		memset(b, 'x', sizeof(b));
		for (; k > 0; k -= k < sizeof(b) ? k : sizeof(b))
			h2s_put(w, b, k < sizeof(b) ? k : sizeof(b));
		h2s_put(w, GETBL, strlen(GETBL));
		if (shape == W_POST3) {
			h2s_cut(w);
			h2s_put(w, GETBL, strlen(GETBL));
		}
		break;
	case W_MSS:
	case W_MSS2:
		/* Two headers under nginx's 8k large_client_header_buffers:
		   the head ends at 16,370. */
		h2s_put(w, "GET / HTTP/1.1\r\nHost: ok.example\r\nX-A: ", 39);
		memset(b, 'a', sizeof(b));
		for (k = 8150; k > 0; k -= k < sizeof(b) ? k : sizeof(b))
			h2s_put(w, b, k < sizeof(b) ? k : sizeof(b));
		h2s_put(w, "\r\nX-B: ", 7);
		memset(b, 'b', sizeof(b));
		while (w->n < 16370 - 4)
			h2s_put(w, b, 16370 - 4 - w->n < sizeof(b) ?
			    16370 - 4 - w->n : sizeof(b));
		h2s_put(w, "\r\n\r\n", 4);
		h2s_put(w, GETBL, strlen(GETBL));
		for (k = 1448; k < w->n; k += 1448)
			w->start[++w->nseg] = k;
		if (shape == W_MSS2) {
			h2s_cut(w);
			h2s_put(w, GETBL, strlen(GETBL));
		}
		break;
	case W_BIGLATER:
		h2s_put(w, "GET / HTTP/1.1\r\nHost: ok.exa", 28);
		h2s_cut(w);
		h2s_put(w, "mple\r\n\r\nGET / HTTP/1.1\r\nHost: ok.example\r\n"
		    "X-Pad: ", 49);
		h2s_put(w, pad, 16500);
		h2s_put(w, "\r\n\r\n" GETBL, 4 + strlen(GETBL));
		break;
	case W_H2:
	case W_H2ONE:
		h2s_put(w, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
		h2s_frame(w, 4, 0, 0, "", 0);
		/* END_HEADERS, no END_STREAM: a DATA frame follows. */
		h2s_frame(w, 1, 0x04, 1, b, h2s_req(b, "ok.example", 0));
		if (shape == W_H2)
			w->start[++w->nseg] = w->n - 5;
		h2s_frame(w, 0, 0x01, 1, pad, 16384);
		h2s_get(w, 3, "blocked.example", 0);
		break;
	case W_DNS:
		k = dns_q(b, "ok.example", 0);
		h2s_put(w, b, 10);
		h2s_cut(w);
		h2s_put(w, b + 10, k - 10);
		/* 16 queries of 1,033 bytes: the last blocked, at 16,424 */
		while (w->n < 16384 - 40)
			h2s_put(w, b, dns_q(b, "ok.example", 1000));
		h2s_put(w, b, dns_q(b, "www.blocked.example", 0));
		break;
	}
}

static void
test_window_first(void)
{
	static struct h2s	 w;
	const struct wcase	*c;
	struct run		 r;
	struct seg		 s;
	char			 got[256];
	size_t			 i;

	for (i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		c = &wcases[i];
		if (!setup(&r, ""))
			return;
		wbuild(&w, c->shape);
		s = cli(4400, 1000, 0x02);
		if (c->shape == W_DNS)
			s.dport = 53;
		decide(&r, mk(&s, NULL, 0), 0, 0);
		s.seq = 1001;
		s.flags = 0x18;
		h2s_sendon(&r, s, &w, c->order, P,
		    c->shape == W_DNS ? what : what2, got, sizeof(got));
		CHECK_STR_EQ(got, c->want, unit_fmt("window of the first "
		    "message: %s", c->name));
		teardown(&r);
	}
}

/*
 * The same with the first request on a SYN (TCP Fast Open): read after
 * the copy sent again, or the SYN-ACK, takes the flow on.
 */
static void
test_window_syn(void)
{
	static struct h2s	 w;
	struct run		 r;
	struct seg		 s;
	struct nfqd_decision	 d;
	char			 got[256];
	size_t			 n;
	int			 i;

	for (i = 0; i < 3; i++) {
		if (!setup(&r, ""))
			return;
		got[0] = '\0';
		wbuild(&w, W_POST);
		/* 0: the head's start on the SYN; 1: the whole stream on
		   it; 2: a request on it, the stream after it in the next */
		n = i == 0 ? w.start[1] : w.n;
		if (i == 2) {
			memmove(w.b + strlen(GETOK), w.b, w.n);
			memcpy(w.b, GETOK, strlen(GETOK));
			n = strlen(GETOK);
			w.n += n;
		}
		s = cli(4401, 1000, 0x02);
		d = decide(&r, mk(&s, w.b, n), 0, 0);
		strcat(got, what2(&d));
		s.flags = 0x18;
		s.seq = 1001 + (uint32_t)(i == 2 ? n : 0);
		d = decide(&r, mk(&s, w.b + (i == 2 ? n : 0),
		    w.n - (i == 2 ? n : 0)), P, 0);
		strcat(got, " ");
		strcat(got, what2(&d));
		/* Then the SYN's bytes again, and the rest again. */
		s.seq = 1001;
		d = decide(&r, mk(&s, w.b, i == 2 ? n : w.n), P, 0);
		strcat(got, " ");
		strcat(got, what2(&d));
		if (i == 2) {
			s.seq = 1001 + (uint32_t)n;
			d = decide(&r, mk(&s, w.b + n, w.n - n), P, 0);
			strcat(got, " ");
			strcat(got, what2(&d));
		}
		CHECK_STR_EQ(got, i == 0 ? "pending blocked blocked" :
		    i == 1 ? "l7_error blocked blocked" :
		    "pending l7_error pending blocked", unit_fmt("window of "
		    "the first message, TCP Fast Open: %s", i == 0 ?
		    "the head cut on the SYN, the stream from byte 0 after" :
		    i == 1 ? "the SYN's data past 16 KiB (refused)" :
		    "a segment past 16 KiB before the SYN's request is sent "
		    "again (refused)"));
		teardown(&r);
	}
}

/*
 * flows.full_verdict with no buffer free (another connection holds the
 * only one): a later request whole in its segment is read in place and
 * goes to the rules; a buffer is needed only for what is cut at the
 * segment's end.  second: the segment after GETOK (HTTP/1.1), or h2: a
 * HEADERS frame on stream 3 for host, then extra bytes.
 */
static const struct nobuf_case {
	const char	*name, *full;
	bool		 h2;
	const char	*second, *want;
} nobuf_cases[] = {
	{ "a blocked request", "accept", false, GETBL, "pending blocked" },
	{ "... and one byte", "accept", false, GETBL "G", "pending blocked" },
	{ "... full_verdict drop", "drop", false, GETBL, "pending blocked" },
	{ "... and one byte, full_verdict drop", "drop", false, GETBL "G",
	  "pending blocked" },
	{ "an allowed request", "accept", false, GETOK, "pending pending" },
	{ "... and one byte (control)", "accept", false, GETOK "G",
	  "pending accept untracked" },
	{ "... full_verdict drop (control)", "drop", false, GETOK "G",
	  "pending untracked" },
	{ "HTTP/2: a blocked request", "accept", true, "blocked.example",
	  "pending blocked" },
	{ "HTTP/2: an allowed request", "accept", true, "ok.example",
	  "pending pending" },
};

static void
test_nobuf_later(void)
{
	const struct nobuf_case	*c;
	struct run		 r;
	struct h2s		 w;
	char			 conf[160], got[64];
	static const char	 held[] = "GET / HTTP/1.1\r\nHost: ok.ex";
	size_t			 i;

	for (i = 0; i < sizeof(nobuf_cases) / sizeof(nobuf_cases[0]); i++) {
		c = &nobuf_cases[i];
		snprintf(conf, sizeof(conf), "flows = { reasm_buffers = 1; "
		    "full_verdict = \"%s\"; };", c->full);
		if (!setup(&r, conf))
			return;
		/* The one buffer, taken by another connection's head. */
		syn(&r, 5000, 1000);
		(void) part2(&r, 5000, 1000, (const uint8_t *)held, 0,
		    sizeof(held) - 1, 0);
		if (c->h2) {
			h2s_start(&w);
			h2s_get(&w, 3, c->second, 0);
		} else {
			h2s_reset(&w);
			h2s_put(&w, GETOK, strlen(GETOK));
			h2s_cut(&w);
			h2s_put(&w, c->second, strlen(c->second));
		}
		h2s_send(&r, 5001, &w, NULL, what_untracked, got, sizeof(got));
		CHECK_STR_EQ(got, c->want, unit_fmt("no buffer for a later "
		    "request: %s", c->name));
		teardown(&r);
	}
}

/*
 * A client segment of port sport (IPv6 when v6), what2() of its decision.
 */
static const char *
seg6(struct run *r, bool v6, uint16_t sport, uint32_t seq, uint8_t fl,
    const char *p, size_t n, uint32_t mark)
{
	struct seg		s = cli(sport, seq, fl);
	struct nfqd_decision	d;

	if (v6) {
		s.src = "fd00::1";
		s.dst = "fd00::2";
	}
	d = decide(r, mk(&s, (const uint8_t *)p, n), mark, 0);
	return what2(&d);
}

static const char *
what2p(struct run *r, uint16_t sport, uint32_t seq, const char *p, size_t n,
    uint32_t mark)
{
	return seg6(r, false, sport, seq, 0x18, p, n, mark);
}

/*
 * The client's segments segs ("|" between them) from port 4400 with the
 * pending mark, from seq on: what each got, space-separated, into got.
 */
static void
send_segs(struct run *r, bool v6, uint32_t seq, const char *segs,
    char *got, size_t len)
{
	char		 buf[512];
	const char	*s, *e;
	size_t		 n;

	got[0] = '\0';
	for (s = segs; *s != '\0'; s = e) {
		e = strchr(s, '|');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		e = e != NULL ? e + 1 : s + n;
		if (n > sizeof(buf))
			n = sizeof(buf);
		memcpy(buf, s, n);
		snprintf(got + strlen(got), len - strlen(got), "%s%s",
		    got[0] != '\0' ? " " : "",
		    seg6(r, v6, 4400, seq, 0x18, buf, n, P));
		seq += (uint32_t)n;
	}
}

/*
 * An engine for extra, and on it a connection from port sport (IPv6 when
 * v6) whose first request, GETOK from isn 1000 on, was read, its flow
 * then lost: evicted from a table of 16 by 20 SYNs, as a flood evicts
 * it.  False when the engine is not there (its check failed).
 */
static bool
lose_flow(struct run *r, const char *extra, bool v6, uint16_t sport,
    const char *name)
{
	unsigned	k;

	if (!setup(r, extra))
		return false;
	seg6(r, v6, sport, 1000, 0x02, NULL, 0, 0);
	seg6(r, v6, sport, 1001, 0x18, GETOK, sizeof(GETOK) - 1, 0);
	for (k = 0; k < 20; k++)
		syn(r, (uint16_t)(4500 + k), 1);
	if (!v6)
		CHECK(!has_flow(r, sport), unit_fmt("lost flow: %s: evicted",
		    name));
	return true;
}

#define LOSTCF	"flows = { max = 16; };"

/*
 * A connection whose later requests nfqd read loses its flow (evicted
 * from a full table by 16 SYNs): with the pending mark, a segment that
 * starts with a whole request is read as a first one, and the requests
 * after it too (before, the first decided the connection, accepted, and
 * the blocked one after it passed unread).  One with a body gets
 * l7_error_verdict (test_picked()).
 */
static const struct {
	const char	*name, *seg, *next, *want_seg, *want_next;
	uint32_t	 mark;
} lostf_cases[] = {
	{ "pipelined after the flow went", GETOK GETBL, NULL, "blocked", NULL,
	  P },
	{ "the next request after the flow went", GETOK, GETBL, "pending",
	  "blocked", P },
	{ "no pending mark: decided alone, as before", GETOK, NULL, "accept",
	  NULL, 0 },
	{ "a request then part of the next", GETOK "GET / HTTP/1.1\r\nHo",
	  "st: blocked.example\r\n\r\n", "pending", "blocked", P },
	{ "a request with a body", "POST / HTTP/1.1\r\nHost: ok.example\r\n"
	  "Content-Length: 3\r\n\r\nabc" GETBL, NULL, "l7_error", NULL, P },
};

/*
 * The same, the next segment before the first: sent out of order, the
 * server reads it first.
 */
static const struct {
	const char	*name, *seg, *next, *want_seg, *want_next;
	int32_t		 off;
} lostb_cases[] = {
	{ "the blocked one before the first, sent after", GETOK, GETBL,
	  "pending", "l7_error", -(int32_t)(sizeof(GETBL) - 1) },
	{ "overlapping the first's start", GETOK, GETBL, "pending",
	  "l7_error", -10 },
	{ "the first sent again: as read", GETOK, GETOK, "pending",
	  "pending", 0 },
	{ "the blocked one after the first", GETOK, GETBL, "pending",
	  "blocked", (int32_t)(sizeof(GETOK) - 1) },
};

static void
test_lost_flow_later(void)
{
	struct run	r;
	size_t		i, nseg;
	uint32_t	seq;

	for (i = 0; i < sizeof(lostf_cases) / sizeof(lostf_cases[0]); i++) {
		if (!lose_flow(&r, LOSTCF, false, 4400, lostf_cases[i].name))
			return;
		seq = 1001 + (uint32_t)(sizeof(GETOK) - 1);
		nseg = strlen(lostf_cases[i].seg);
		CHECK_STR_EQ(what2p(&r, 4400, seq, lostf_cases[i].seg, nseg,
		    lostf_cases[i].mark), lostf_cases[i].want_seg,
		    unit_fmt("lost flow: %s", lostf_cases[i].name));
		if (lostf_cases[i].next != NULL)
			CHECK_STR_EQ(what2p(&r, 4400, seq + (uint32_t)nseg,
			    lostf_cases[i].next, strlen(lostf_cases[i].next),
			    lostf_cases[i].mark), lostf_cases[i].want_next,
			    unit_fmt("lost flow: %s: the next",
			    lostf_cases[i].name));
		teardown(&r);
	}
}

static void
test_lost_flow_before(void)
{
	struct run	r;
	size_t		i;
	uint32_t	seq;

	for (i = 0; i < sizeof(lostb_cases) / sizeof(lostb_cases[0]); i++) {
		if (!lose_flow(&r, LOSTCF, false, 4400, lostb_cases[i].name))
			return;
		seq = 1001 + 3000;
		CHECK_STR_EQ(what2p(&r, 4400, seq, lostb_cases[i].seg,
		    strlen(lostb_cases[i].seg), P), lostb_cases[i].want_seg,
		    unit_fmt("lost flow before: %s", lostb_cases[i].name));
		CHECK_STR_EQ(what2p(&r, 4400, seq + (uint32_t)lostb_cases[i].off,
		    lostb_cases[i].next, strlen(lostb_cases[i].next), P),
		    lostb_cases[i].want_next,
		    unit_fmt("lost flow before: %s: the next",
		    lostb_cases[i].name));
		teardown(&r);
	}
}

/*
 * A connection picked up in its middle may be picked up inside a body
 * nfqd framed before the flow went: the client shapes the body as a
 * harmless request whose framing covers the real next request, or that
 * hides the real request line in a header.  Each shape gets
 * l7_error_verdict from the packet that holds it on, or is read to the
 * blocked request; requests without a body read on as before.  segs:
 * the client's segments from the pick-up point at seq (0: 4001), in
 * order, '|' between them; want: each one's outcome.
 */
#define FAKE(cl) POSTOK(cl)
#define FAKEGET(cl) "GET / HTTP/1.1\r\nHost: ok.example\r\nContent-Length: " \
		cl "\r\n\r\n"
#define PREFACE	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HIDE	"GET / HTTP/1.1\r\nHost: ok.example\r\nX-Pad: "

static const struct {
	const char	*name, *segs, *want;
	bool		 v6;
	uint32_t	 seq;
} picked_cases[] = {
	{ "Content-Length hides the blocked request", FAKE("41") GETBL,
	  "l7_error", false, 0 },
	{ "the same over IPv6", FAKE("41") GETBL, "l7_error", true, 0 },
	{ "the same after a request read", GETOK "|" FAKE("41") GETBL,
	  "pending l7_error", false, 0 },
	{ "the same, the hidden request in the next segment",
	  FAKE("41") "|" GETBL, "l7_error l7_error", false, 0 },
	{ "the same, split in the head: no pick-up (flows.full_verdict)",
	  "GET / HTTP/1.1\r\nHost: ok.exa|mple\r\nContent-Length: 41\r\n"
	  "\r\n" GETBL, "untracked untracked", false, 0 },
	{ "the same, split in the head after a request read", GETOK "|GET / "
	  "HTTP/1.1\r\nHost: ok.exa|mple\r\nContent-Length: 41\r\n\r\n"
	  GETBL, "pending pending l7_error", false, 0 },
	{ "the same, across seq 2^32", GETOK "|" FAKE("41") GETBL,
	  "pending l7_error", false, 0xffffffe0u },
	{ "a GET's body (refused as before: its first byte, 'G')",
	  FAKEGET("41") GETBL, "l7_error", false, 0 },
	{ "a GET's body, a first byte no request starts with",
	  FAKEGET("42") "\x01" GETBL, "l7_error", false, 0 },
	{ "a chunked body", CHUNKOK "29\r\n" GETBL "\r\n0\r\n\r\n",
	  "l7_error", false, 0 },
	{ "a chunked body after a request read", GETOK CHUNKOK "|29\r\n"
	  GETBL "\r\n0\r\n\r\n", "l7_error l7_error", false, 0 },
	{ "Upgrade: websocket", "GET / HTTP/1.1\r\nHost: ok.example\r\n"
	  "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n|" GETBL,
	  "l7_error l7_error", false, 0 },
	{ "Upgrade: h2c, then the preface", GETOK "|GET / HTTP/1.1\r\n"
	  "Host: ok.example\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
	  PREFACE, "pending l7_error", false, 0 },
	{ "the HTTP/2 preface after a request", GETOK PREFACE, "l7_error",
	  false, 0 },
	{ "CONNECT, then a tunnel", "CONNECT ok.example:443 HTTP/1.1\r\n"
	  "Host: ok.example:443\r\n\r\n|\x16\x03\x01\x02\x00\x01",
	  "l7_error l7_error", false, 0 },
	{ "bytes no HTTP after a request", GETOK "\x01\x02|" GETBL,
	  "l7_error l7_error", false, 0 },
	{ "Connection: close, the blocked request after it", GETOKC GETBL,
	  "blocked", false, 0 },
	{ "Connection: close, the blocked request next", GETOKC "|" GETBL,
	  "pending blocked", false, 0 },
	{ "a header hides the request line, a second Host", GETOK "|" HIDE
	  "|" GETBL, "pending pending l7_error", false, 0 },
	{ "the same in one segment after a request read", GETOK "|" HIDE
	  GETBL, "pending l7_error", false, 0 },
	{ "the same over IPv6", GETOK "|" HIDE "|" GETBL,
	  "pending pending l7_error", true, 0 },
	{ "the same at the pick-up: a second Host, no pick-up",
	  HIDE GETBL, "untracked", false, 0 },
	{ "a header hides an absolute-form HTTP/1.0 request", GETOK "|" HIDE
	  "|GET http://blocked.example/ HTTP/1.0\r\n\r\n",
	  "pending pending l7_error", false, 0 },
	{ "a header hides a path", "GET /ok HTTP/1.1\r\nX: GET /blocked "
	  "HTTP/1.1\r\nHost: ok.example\r\n\r\n", "l7_error", false, 0 },
	{ "a header hides an HTTP/0.9 request", HIDE "GET /blocked\r\n\r\n",
	  "l7_error", false, 0 },
	{ "no body: read on", GETOK "|" GETOK "|" GETBL,
	  "pending pending blocked", false, 0 },
	{ "Content-Length: 0: read on", POSTOK("0") GETBL, "blocked", false,
	  0 },
	{ "no body over IPv6", GETOK "|" GETBL, "pending blocked", true, 0 },
	{ "no body across seq 2^32", GETOK GETOK "|" GETBL,
	  "pending blocked", false, 0xffffffd0u },
};

static void
test_picked(void)
{
	struct run	 r;
	char		 got[128];
	size_t		 i;

	for (i = 0; i < sizeof(picked_cases) / sizeof(picked_cases[0]); i++) {
		if (!lose_flow(&r, LOSTCF, picked_cases[i].v6, 4400,
		    picked_cases[i].name))
			return;
		send_segs(&r, picked_cases[i].v6, picked_cases[i].seq != 0 ?
		    picked_cases[i].seq : 4001, picked_cases[i].segs, got,
		    sizeof(got));
		CHECK_STR_EQ(got, picked_cases[i].want,
		    unit_fmt("picked up: %s", picked_cases[i].name));
		teardown(&r);
	}
}

/*
 * A connection picked up in its middle, with a rule on the method: the
 * bytes picked up at may end a body nfqd framed before the flow went
 * inside a request line's method, and the server reads the method's
 * suffix as the method ("XDELETE" where the body's last byte is 'X':
 * the server reads DELETE).  segs, want: as picked_cases[].
 */
static const struct {
	const char	*name, *segs, *want;
} picked_method_cases[] = {
	{ "the method read exactly", "DELETE / HTTP/1.1\r\nHost: ok.example"
	  "\r\n\r\n", "blocked" },
	{ "a byte of a body before the method", "XDELETE / HTTP/1.1\r\n"
	  "Host: ok.example\r\n\r\n", "l7_error" },
	{ "the same after a request read", GETOK "|XDELETE / HTTP/1.1\r\n"
	  "Host: ok.example\r\n\r\n", "pending l7_error" },
	{ "WebDAV's UNLOCK (LOCK)", "UNLOCK / HTTP/1.1\r\nHost: ok.example"
	  "\r\n\r\n", "l7_error" },
	{ "GET, HEAD, OPTIONS read on", GETOK "|HEAD / HTTP/1.1\r\nHost: "
	  "ok.example\r\n\r\n|OPTIONS / HTTP/1.1\r\nHost: ok.example"
	  "\r\n\r\n|" GETBL, "pending pending pending blocked" },
};

static void
test_picked_method(void)
{
	static const char	 mrule[] = "rules = (\n  { name = \"m\"; "
	    "http_method = [\"DELETE\", \"LOCK\"]; verdict = \"repeat\"; "
	    "mark = 0x10000000; },\n";
	struct run		 r;
	char			 text[4096], text2[4096], got[128];
	const char		*at;
	size_t			 i;
	unsigned		 k;

	for (i = 0; i < sizeof(picked_method_cases) /
	    sizeof(picked_method_cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		if (!setup_sets(text, sizeof(text), LOSTCF) ||
		    (at = strstr(text, "rules = (\n")) == NULL) {
			CHECK(false, "picked up, a method rule: setup");
			return;
		}
		snprintf(text2, sizeof(text2), "%.*s%s%s", (int)(at - text),
		    text, mrule, at + strlen("rules = (\n"));
		if (!setup_text(&r, text2))
			return;
		seg6(&r, false, 4400, 1000, 0x02, NULL, 0, 0);
		seg6(&r, false, 4400, 1001, 0x18, GETOK, sizeof(GETOK) - 1, 0);
		for (k = 0; k < 20; k++)
			syn(&r, (uint16_t)(4500 + k), 1);
		send_segs(&r, false, 4001, picked_method_cases[i].segs, got,
		    sizeof(got));
		CHECK_STR_EQ(got, picked_method_cases[i].want,
		    unit_fmt("picked up, a method rule: %s",
		    picked_method_cases[i].name));
		teardown(&r);
	}
}

/*
 * Picked up with flows.http_requests = "first": the request decides the
 * connection, as seen from the middle.  A SYN at its seq - 1 then opens
 * a new connection, whose request is read (before, the flow kept the
 * picked-up segment as its byte 0 and took the SYN for its own: the new
 * connection passed with the old request's accept).
 */
static void
test_picked_first(void)
{
	struct run	r;
	uint32_t	seq = 4001;

	if (!lose_flow(&r, "flows = { max = 16; http_requests = \"first\"; };",
	    false, 4400, "first"))
		return;
	CHECK_STR_EQ(what2p(&r, 4400, seq, GETOK, sizeof(GETOK) - 1, P),
	    "accept", "picked up, \"first\": decided");
	seg6(&r, false, 4400, seq - 1, 0x02, NULL, 0, 0);
	CHECK_STR_EQ(what2p(&r, 4400, seq, GETBL, sizeof(GETBL) - 1, 0),
	    "blocked", "picked up, \"first\": a SYN at its seq - 1 restarts");
	teardown(&r);
}

/*
 * The reading point of a connection picked up goes past 4 GiB (2^32)
 * from where it was picked up: bytes it read, sent again, are read as
 * such, not taken for bytes before the pick-up (before, next counted
 * modulo 2^32 from seq0, small again, made a copy of the request just
 * read "before" and gave it l7_error_verdict).  The requests between are
 * not sent: the reading point is set as they would leave it.
 */
static void
test_picked_wrap(void)
{
	struct run		 r;
	struct nfqd_flow	*f;
	struct hnext		 h;
	const uint32_t		 n = sizeof(GETOK) - 1, seq = 4001;

	if (!lose_flow(&r, LOSTCF, false, 4400, "wrap"))
		return;
	CHECK_STR_EQ(what2p(&r, 4400, seq, GETOK, n, P), "pending",
	    "picked up past 4 GiB: picked up");
	if ((f = flow_of(&r, 4400)) == NULL) {
		CHECK(false, "picked up past 4 GiB: a flow");
		teardown(&r);
		return;
	}
	CHECK((f->flags & (F_PICKED | F_PFAR)) == F_PICKED,
	    "picked up past 4 GiB: near seq0");
	hget(f, &h);
	h.next = (1u << 31) - 10;
	hput(f, &h);
	CHECK_STR_EQ(what2p(&r, 4400, seq + h.next, GETOK, n, P), "pending",
	    "picked up past 4 GiB: a request across 2 GiB");
	CHECK(f->flags & F_PFAR, "picked up past 4 GiB: 2 GiB on");
	hget(f, &h);
	h.next = 0u - 10;
	hput(f, &h);
	CHECK_STR_EQ(what2p(&r, 4400, seq - 10, GETOK, n, P), "pending",
	    "picked up past 4 GiB: a request across 4 GiB");
	CHECK_STR_EQ(what2p(&r, 4400, seq - 10, GETOK, n, P), "pending",
	    "picked up past 4 GiB: the same sent again, read");
	CHECK_STR_EQ(what2p(&r, 4400, seq - 10 + n, GETBL,
	    sizeof(GETBL) - 1, P), "blocked",
	    "picked up past 4 GiB: the next request");
	teardown(&r);
}

/*
 * A connection that finds no entry (the table full of flows whose first
 * request is being put together, never evicted) has its packets decided
 * alone.  One that holds a whole first request and bytes after it
 * (pipelined requests, a body) that nfqd does not read gets
 * flows.full_verdict unless the rules' verdict on the request is not an
 * accept; where later requests are read (flows.http_requests = "all",
 * no "close") an accept passes pending, whether or not the packet came
 * with the mark, so the connection's next packets come back; so does
 * the client's next ACK with the mark, which has nothing to read.
 * Before, the first request's accept passed the blocked one after it,
 * and it and the ACK took the pending mark off.
 */
static const struct {
	const char	*name, *extra, *seg, *want;
	bool		 v6;
	uint32_t	 mark;
} alone_cases[] = {
	{ "pipelined blocked after ok", "", GETOK GETBL, "untracked", false,
	  0 },
	{ "the same with the pending mark", "", GETOK GETBL, "untracked",
	  false, P },
	{ "the same over IPv6", "", GETOK GETBL, "untracked", true, P },
	{ "ok after ok", "", GETOK GETOK, "untracked", false, P },
	{ "a body after the request", "", POSTOK("3") "abc", "untracked",
	  false, P },
	{ "blocked first: the drop stands", "", GETBL GETOK, "blocked",
	  false, P },
	{ "a whole request: passes pending", "", GETOK, "pending", false, P },
	{ "the same without the mark", "", GETOK, "pending", false, 0 },
	{ "a whole request over IPv6", "", GETOK, "pending", true, 0 },
	{ "close: the last request, decided", "", GETOKC, "accept", false,
	  P },
	{ "blocked alone", "", GETBL, "blocked", false, P },
	{ "\"first\": a whole request accepted", "http_requests = \"first\";",
	  GETOK, "accept", false, P },
	{ "\"first\": later requests are not read",
	  "http_requests = \"first\";", GETOK GETBL, "accept", false, P },
};

static void
test_alone_later(void)
{
	struct run	r;
	char		extra[128];
	size_t		i;
	unsigned	k, pend;

	for (i = 0; i < sizeof(alone_cases) / sizeof(alone_cases[0]); i++) {
		snprintf(extra, sizeof(extra), "flows = { max = 16; "
		    "reasm_buffers = 20; %s };", alone_cases[i].extra);
		if (!setup(&r, extra))
			return;
		for (k = pend = 0; k < 16; k++) {
			seg6(&r, false, (uint16_t)(4500 + k), 1000, 0x02, NULL,
			    0, 0);
			pend += strcmp(seg6(&r, false, (uint16_t)(4500 + k),
			    1001, 0x18, "GET / HTTP/1.1\r\nHo", 18, 0),
			    "pending") == 0;
		}
		CHECK_UINT_EQ(pend, 16, unit_fmt("no entry: %s: 16 requests "
		    "being read fill the table", alone_cases[i].name));
		CHECK_STR_EQ(seg6(&r, alone_cases[i].v6, 4400, 1001, 0x18,
		    alone_cases[i].seg, strlen(alone_cases[i].seg),
		    alone_cases[i].mark), alone_cases[i].want,
		    unit_fmt("no entry: %s", alone_cases[i].name));
		/* The client's next ACK, with the mark the rules saved. */
		CHECK_STR_EQ(seg6(&r, alone_cases[i].v6, 4400, 1001 +
		    (uint32_t)strlen(alone_cases[i].seg), 0x10, NULL, 0,
		    strcmp(alone_cases[i].want, "pending") == 0 ? P : 0),
		    strcmp(alone_cases[i].want, "pending") == 0 ? "pending" :
		    "accept", unit_fmt("no entry: %s: the ACK after",
		    alone_cases[i].name));
		CHECK(!has_flow(&r, 4400), unit_fmt("no entry: %s: none made",
		    alone_cases[i].name));
		teardown(&r);
	}
}

int
main(void)
{
	test_http_later();
	test_http_later_edges();
	test_h2_later();
	test_unread();
	test_hello_then_refused();
	test_dns_pipelined();
	test_dns_stream();
	test_syn_later();
	test_syn_second();
	test_dns_flow_rule();
	test_refused_after();
	test_h2_upgrade();
	test_retry();
	test_retry_other();
	test_dropped();
	test_dropped_h2();
	test_dropped_tls();
	test_path_escapes();
	test_window_first();
	test_window_syn();
	test_nobuf_later();
	test_lost_flow_later();
	test_lost_flow_before();
	test_picked();
	test_picked_method();
	test_picked_first();
	test_picked_wrap();
	test_alone_later();
	return unit_done();
}
