/*
 * The HTTP/1.x request parser: the host, method and path of the first
 * request a TCP client sends, read from the client's stream however it is
 * cut into segments, in the one form a rule can be compared with.
 */
#ifndef NFQD_L7_HTTP_H
#define NFQD_L7_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/l7parse.h"

#define NFQD_HTTP_HEAD_MAX	16384	/* request line and headers */
#define NFQD_HTTP_METHOD_MAX	16
#define NFQD_HTTP_PATH_MAX	256

/* Why a stream is NFQD_L7_NOT or NFQD_L7_BAD (logs, counters, tests). */
enum nfqd_http_why {
	NFQD_HTTP_R_NONE = 0,		/* MORE or DONE */
	NFQD_HTTP_R_NOT_HTTP,		/* NOT: no method (a byte that is not
					   a tchar, or no SP after 16), and
					   no request line read leniently */
	NFQD_HTTP_R_NOT_TARGET,		/* NOT: a request-target of no form
					   ("USER x", "sip:"), and no request
					   line read leniently */
	NFQD_HTTP_R_H2_PREFACE,		/* NOT: the HTTP/2 connection
					   preface, where HTTP/1.x is read
					   ("PRI * HTTP/2.0" with other bytes
					   after it: BAD, VERSION) */
	NFQD_HTTP_R_BARE_CR,		/* a CR not followed by LF */
	NFQD_HTTP_R_CTL,		/* NUL, a control byte or DEL in the
					   head; a byte outside visible ASCII
					   in the request line */
	NFQD_HTTP_R_LINE,		/* request line not "method SP target
					   SP HTTP/d.d": two spaces, no
					   version (HTTP/0.9), junk after it;
					   a line only lenient servers take:
					   other whitespace, a method over 16,
					   a target of no form ("http:/x") */
	NFQD_HTTP_R_VERSION,		/* HTTP major version not 1 */
	NFQD_HTTP_R_TARGET,		/* request-target malformed: '#', a
					   bad %-escape, '*' not for OPTIONS,
					   a scheme other than http(s), no
					   authority form for CONNECT */
	NFQD_HTTP_R_PATH,		/* path a server may read otherwise:
					   %2F, %5C, %00, '\', "//..",
					   "..;", ";x" before another
					   segment */
	NFQD_HTTP_R_FIELD,		/* header line malformed: no ':',
					   space before ':', obs-fold */
	NFQD_HTTP_R_HOST_DUP,		/* Host header more than once */
	NFQD_HTTP_R_HOST,		/* host refused: bytes other than
					   letters, digits, '-', '.', '_'; a
					   bad port or IPv6 literal; userinfo;
					   the name refused by
					   nfqd_l7_name_norm() */
	NFQD_HTTP_R_HOST_DIFF,		/* the target's authority and the
					   Host header name different hosts */
	NFQD_HTTP_R_TOO_BIG,		/* no end of head in
					   NFQD_HTTP_HEAD_MAX bytes */
	NFQD_HTTP_R_FRAMING,		/* where the body ends, servers could
					   disagree: Transfer-Encoding and
					   Content-Length, either twice, a
					   Transfer-Encoding other than
					   "chunked" or in HTTP/1.0, a
					   Content-Length not 1 to 18 digits,
					   a body on CONNECT */
	NFQD_HTTP_R_H2_FRAME,		/* HTTP/2: a frame a server refuses
					   (nfqd_http_first_parse(),
					   nfqd_http_h2_next()) */
	NFQD_HTTP_R_H2_HPACK,		/* HTTP/2: the first request's header
					   block does not decode (RFC 7541) */
	NFQD_HTTP_R_H2_FIELD,		/* HTTP/2: a malformed request (RFC
					   9113 8.2, 8.3): a name with upper
					   case or other bytes, a value with
					   NUL, CR or LF, a pseudo-header
					   unknown, repeated or after a
					   field, one required missing */
	NFQD_HTTP_R_MAX
};

/* A request's body (RFC 9112 6.3). */
enum nfqd_http_body {
	NFQD_HTTP_BODY_NONE = 0,	/* neither header: none */
	NFQD_HTTP_BODY_LENGTH,		/* Content-Length bytes */
	NFQD_HTTP_BODY_CHUNKED,		/* Transfer-Encoding: chunked
					   (l7/hbody.h reads it) */
};

/* What the head of a complete request says. */
struct nfqd_http_req {
	/* The host normalized (see below), "" when there is none. */
	char	 host[NFQD_L7_NAME_MAX + 1];
	uint16_t host_len;		/* strlen(host) */
	char	 method[NFQD_HTTP_METHOD_MAX + 1];	/* as sent */
	uint8_t	 method_len;		/* strlen(method) */
	/* The path and query normalized (see below), cut to fit. */
	char	 path[NFQD_HTTP_PATH_MAX + 1];
	uint16_t path_len;		/* strlen(path) */
	bool	 path_cut;		/* the path was longer than path[] */
	uint8_t	 minor;			/* HTTP/1.minor */
	uint32_t used;			/* bytes up to the end of the head */
	uint8_t	 why;			/* enum nfqd_http_why: why NOT or BAD */
	/* Where the request ends: the body after the head. */
	uint64_t content_length;	/* body bytes, with BODY_LENGTH */
	uint8_t	 body;			/* enum nfqd_http_body */
	bool	 close;			/* Connection: close, as every
					   server reads it (not CONNECT) */
	bool	 upgrade;		/* an Upgrade header is there */
	bool	 peek;			/* GET or HEAD with a Content-Length
					   body: its first byte must be one
					   no server reads as a request's
					   start (l7later.c) */
	bool	 h2;			/* HTTP/2 (nfqd_http_first_parse()) */
	uint32_t sid;			/* HTTP/2: the request's stream */
	uint32_t need;			/* MORE of HTTP/2: the stream's length
					   at which asking again can change
					   the answer; 0 for HTTP/1.x (when a
					   line ends) */
};

/*
 * buf: the client's stream from its first byte, len bytes contiguous.
 * Call again with the same buf and a larger len as bytes come in; nothing
 * is kept between calls, so the answer depends on buf[0..len) alone.
 *
 * NFQD_L7_DONE: the request's head (request line, header lines, the empty
 * line) ends at out->used (<= len and <= NFQD_HTTP_HEAD_MAX) and every
 * field is filled in.  The body and any later request are not looked at.
 * NFQD_L7_MORE: every byte there may start a request this parser takes.
 * DONE and BAD, once answered, stay the same, fields and all, for every
 * larger len, and every shorter prefix of a DONE stream is MORE.  NOT
 * stays NOT too, but may follow MORE (a method of 16 tchars waits for the
 * 17th byte).  On MORE, NOT and BAD every field but why is zero (and
 * need, below).
 *
 * Strictness: where a server could read a request otherwise than this
 * parser, the request is BAD.  RFC 9110 and 9112 have servers reject
 * these shapes, so refusing them costs no working client anything.
 *
 * NOT, said as early as the bytes allow: a first line that is no request
 * line, read strictly or leniently (below): the first byte is neither a
 * tchar nor whitespace (TLS's 22); a method of bytes other than tchars or
 * not followed by whitespace (SSH's banner, at its LF); a request-target
 * that is neither origin-form ('/'), asterisk-form ('*'), absolute-form
 * (scheme "://") nor, for CONNECT, authority-form, in a line that does
 * not go on with "HTTP/" as its third word ("USER x", "a1 LOGIN x",
 * "INVITE sip:bob@x SIP/2.0"); the HTTP/2 preface, whole, at its last
 * byte (h2c with prior knowledge is not HTTP/1.x; "PRI * HTTP/2.0" with
 * other bytes after it is BAD, VERSION).  Empty lines before the request
 * line (CRLF or LF) are skipped, as nginx, Apache and llhttp skip them,
 * so "\r\nGET ..." is read as a request, not as NOT.
 *
 * Read leniently, where the strict reading says NOT: servers take lines
 * this parser does not, so those are BAD, not NOT (a rule that reads HTTP
 * fields must not let them pass as another protocol).  With W any of SP,
 * HTAB, VT, FF, CR, 0x1c-0x1f, 0x85 and 0xa0 (Python's http.server splits
 * the line at them), tchar+ a method of any length (Go, nginx), and a
 * target any bytes but W and LF (Go reads "http:/admin" as the path
 * "/admin" and takes the Host header), a first line, after the empty
 * lines,
 *   W* tchar+ W+ target W+ "HTTP/" (in any case: Apache's
 *   HttpProtocolOptions Unsafe takes "http/1.1"), or
 *   "GET" W+ target W* LF (Python's HTTP/0.9, which reads headers too)
 * is BAD; the first byte that leaves both shapes says NOT.
 *
 * The request line: method (1 to 16 tchars, case kept), one SP,
 * request-target (visible ASCII only), one SP, "HTTP/1.d", CRLF or LF.
 * Two spaces anywhere (nginx takes them, others do not), a line without a
 * version (HTTP/0.9, which nginx still serves, with no Host) and a
 * version spelt otherwise ("http/1.1", "HTTP/1.10") are BAD.  A major
 * version other than 1 is BAD (servers answer 505).  HTTP/1.2 to 1.9 are
 * taken as servers take them, as 1.1, and minor says which.
 *
 * Lines: CRLF or a bare LF ends a line; a CR not followed by LF is BAD.
 * NUL, control bytes other than HTAB and DEL anywhere in the head are BAD;
 * bytes over 0x7f are taken in field values other than Host.  A header
 * line is field-name (tchars) ':' OWS value OWS; a space before ':', a
 * line without ':' and a line that starts with SP or HTAB (obs-fold, or
 * whitespace before the first header) are BAD.  The head ends at the
 * empty line; DONE comes only then, so a second Host is always seen.  No
 * empty line within NFQD_HTTP_HEAD_MAX bytes is BAD.
 *
 * Host: the header named "Host" in any case.  Two or more are BAD, even
 * when equal.  The value, without its OWS, is host [":" port]: host is
 * letters, digits, '-', '.' and '_' (no '%', '@', ',', space, bytes over
 * 0x7f), or an IPv6 literal "[...]" of hex digits, ':' and '.', kept with
 * its brackets; port is digits, possibly none, and is dropped.  The host
 * goes through nfqd_l7_name_norm() (lower case, one trailing dot
 * dropped); what it refuses, and two trailing dots, are BAD.  An empty
 * Host value, and no Host at all (HTTP/1.0, or an HTTP/1.1 request a
 * server answers 400) are DONE with host "".
 * absolute-form ("http://authority/path", "https://", scheme in any
 * case): the host is the authority's, which wins over the Host header
 * (RFC 9112 3.2.2); a Host header present with another name (the port is
 * not compared) is BAD, since servers that take the header would differ.
 * userinfo ("user@") is BAD, and so are other schemes (nginx takes the
 * host of any scheme).  authority-form: only with CONNECT, host ":" port
 * with the port required, the authority's host is the host and path is
 * "".  CONNECT with another target form is BAD.
 *
 * Path: the target's path and query, normalized so that a prefix rule
 * ("/admin") cannot be walked around by spelling:
 *   - %-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are
 *     decoded ("%61dmin" is "admin"), other escapes kept with upper-case
 *     hex ("%3a" is "%3A"); a '%' not followed by two hex digits is BAD;
 *   - in the path part (before the first '?'): empty segments are dropped
 *     ("//admin" is "/admin"), then "." and ".." segments removed as RFC
 *     3986 5.2.4 does ("/a/./b/../c" is "/a/c", "/../a" is "/a", "%2e%2e"
 *     is ".."); a trailing "/", "/." or "/.." leaves a trailing '/';
 *   - BAD in the path part: %2F, %5C and %00 (servers disagree on
 *     whether they separate segments or end the path), '\' (IIS reads it
 *     as '/'), a ".." anywhere after an empty segment ("/a//../b": "/b"
 *     where slashes are merged first, "/a/b" where not), and a "." or ".."
 *     segment with a ';' parameter ("/..;/", which Tomcat walks up and
 *     nginx does not);
 *   - path parameters are taken out of every segment, as Tomcat and
 *     Jetty take them out: "/a;x=1/b" is "/a/b", "/;jsessionid=1" is "/";
 *     a segment that is only parameters (";x"), not the last, is BAD
 *     ("/;x/admin": Tomcat reads "/admin", nginx and Apache a segment
 *     ";x"); the path part never holds ';' then;
 *   - '#' anywhere in the target is BAD (clients never send it; nginx
 *     ends the path there);
 *   - the query (from '?') is kept, escapes treated as above but nothing
 *     else changed, so "/admin" is a prefix of "/admin?x";
 *   - case is kept: a server with case-insensitive paths (IIS) reads
 *     "/ADMIN" as "/admin", which is for the rule to know.
 * Framing, so that the next request on the connection is found where the
 * server finds it (a request smuggled past a rule is one read otherwise):
 * Content-Length is 1 to 18 digits, nothing else (no sign, no list, no
 * space inside); Transfer-Encoding is "chunked" in any case, nothing else
 * (no other coding, no list: servers differ on "gzip, chunked" and
 * "chunked, chunked"), and not in HTTP/1.0, where a server may ignore it.
 * Either header twice (even equal), or both in one request (RFC 9112
 * 6.3 lets a server refuse that or take Transfer-Encoding, and a proxy
 * on the way may have taken Content-Length), is BAD, said at the end of
 * the line that shows it; so is a CONNECT with Transfer-Encoding or a
 * Content-Length other than 0 (RFC 9110 9.3.6: it has no content, and
 * Apache 2.4's mod_proxy_connect relays the bytes after the head into
 * the tunnel).  body then says which there is.  close: the request's one
 * Connection header is "close" in any case, OWS before it and none after
 * (a list with "close" in it, "close " or a second Connection header:
 * Python's http.server keeps the connection and reads on), and the
 * method is not CONNECT (a proxy tunnels after it all the same); upgrade:
 * an Upgrade header is there.
 *
 * absolute-form with no path: "/".  asterisk-form (OPTIONS only): "*".
 * CONNECT: "".  A normalized path longer than NFQD_HTTP_PATH_MAX is cut
 * to its first NFQD_HTTP_PATH_MAX bytes and path_cut is set.
 */
enum nfqd_l7_res nfqd_http_req_parse(const uint8_t *buf, size_t len,
	    struct nfqd_http_req *out);

/*
 * The first request of a connection: nfqd_http_req_parse(), or, when the
 * stream starts with the HTTP/2 connection preface ("PRI *
 * HTTP/2.0\r\n\r\nSM\r\n\r\n", RFC 9113 3.4: h2c with prior knowledge,
 * as curl --http2-prior-knowledge and cleartext gRPC send it), the first
 * request HTTP/2 frames carry.  The same promises as above hold (DONE and
 * BAD stay, NOT may follow MORE); a prefix of the preface is MORE, need
 * 24.  A first line "PRI * HTTP/2.0" followed by other bytes than the
 * rest of the preface is BAD (VERSION): Go's net/http serves it as an
 * HTTP/1.1 request when header fields follow, and reads on.
 *
 * HTTP/2: after the preface, frames (a 9-byte header, at most 16384
 * bytes of payload, SETTINGS_MAX_FRAME_SIZE's initial value: a client
 * sends more only to a server that asked for it) up to the end of the
 * first HEADERS frame's header block (its CONTINUATION frames), all
 * within NFQD_HTTP_HEAD_MAX bytes of the stream (TOO_BIG otherwise).
 * BAD (H2_FRAME), as servers answer them with a connection error: a
 * first frame that is not a SETTINGS frame on stream 0, a frame over
 * 16384 bytes, DATA, RST_STREAM, PUSH_PROMISE, GOAWAY or CONTINUATION
 * before the first HEADERS, a HEADERS frame on stream 0 or on an even
 * stream, its padding or priority longer than its payload, any frame but
 * its CONTINUATION (same stream) before the block ends, a SETTINGS,
 * PING, PRIORITY or WINDOW_UPDATE frame of the wrong length or stream.
 * Frames of types servers ignore (10 and up) are stepped over.  The
 * block is decoded with HPACK (l7/hpack.h; any error is H2_HPACK) under
 * a dynamic table of 4096 bytes, the size a client may use before it has
 * the server's SETTINGS: a block that needs more (a size update over
 * 4096, a reference to an entry 4096 bytes do not keep) is H2_HPACK.
 *
 * The request (RFC 9113 8.3), strictly, as for HTTP/1.x (H2_FIELD
 * unless said): field names are lower-case tchars (pseudo-headers after
 * ':'); values hold no NUL, CR or LF; pseudo-headers are :method,
 * :scheme, :authority, :path and :protocol (RFC 8441), each at most once
 * and before every other field; :method is 1 to 16 tchars; CONNECT
 * without :protocol has :authority (host ":" port) and neither :scheme
 * nor :path, its path is ""; every other request has :scheme and :path,
 * :path is "*" (OPTIONS only: TARGET) or starts with '/' (TARGET),
 * visible ASCII (CTL), and is normalized as above (PATH).  The host is
 * :authority's, else the host field's, normalized as Host is above
 * (HOST); both there and naming different hosts is HOST_DIFF, two host
 * fields HOST_DUP.  DONE: h2 set, sid the request's stream, used the
 * end of the block's last frame, minor 0, body NONE, close not set:
 * later requests come on other streams, under the header compression
 * state of the blocks before them (nfqd_http_h2_next()).
 */
enum nfqd_l7_res nfqd_http_first_parse(const uint8_t *buf, size_t len,
	    struct nfqd_http_req *out);

struct nfqd_hpack;

/*
 * nfqd_http_first_parse(), decoding an HTTP/2 block with d (initialized
 * here): on DONE with h2, d holds the connection's header table after
 * the first request, for nfqd_http_h2_next().  d is not used otherwise.
 */
enum nfqd_l7_res nfqd_http_first_parse_hp(const uint8_t *buf, size_t len,
	    struct nfqd_http_req *out, struct nfqd_hpack *d);

/*
 * An HTTP/2 client's frames after its first request: buf[0..len) starts
 * with a frame's first byte; d is the connection's decoder, through which
 * the first request's block and every block since went, in order; *maxsid
 * is the highest stream a request opened (the first request's sid, then
 * as this moves it).  One step:
 *
 * DONE, a frame other than HEADERS: used 9 (its header), *skip its
 * payload's length, to be stepped over unread (DATA of any length: the
 * server says how long a frame it takes; nfqd does not see that).
 * DONE, a header block (a HEADERS frame and its CONTINUATIONs, whole in
 * buf): used is the end of its last frame; decoded with d.  On a stream
 * above *maxsid it is a request, read as nfqd_http_first_parse() reads
 * the first (h2, sid, host, method, path; *maxsid moves to it); on a
 * stream at or below, trailers (RFC 9113 8.1), which open nothing: out's
 * fields stay zero (method_len 0), and a pseudo-header there is H2_FIELD.
 * MORE: a frame's header, or the block, is cut at len; need says at what
 * length of buf asking again can change that.
 * BAD, as servers answer these with a connection error or treat the
 * request as malformed: CONTINUATION outside a block, any other frame
 * inside one, PUSH_PROMISE (a server's frame), a HEADERS frame on stream
 * 0 or an even stream, a HEADERS or CONTINUATION frame over 16384 bytes,
 * a block's frames reaching past NFQD_HTTP_HEAD_MAX bytes (TOO_BIG),
 * a control frame of the wrong length or stream (as for the first
 * request; RST_STREAM on a stream, GOAWAY on 0 and 8 bytes or more, DATA
 * on a stream), a block HPACK refuses (H2_HPACK; d is then of no further
 * use), and a request refused as the first would be.
 * On MORE and BAD every field but why and need is zero; MORE leaves d
 * and *maxsid as they were, BAD leaves d of no further use.
 */
enum nfqd_l7_res nfqd_http_h2_next(struct nfqd_hpack *d, uint32_t *maxsid,
	    const uint8_t *buf, size_t len, struct nfqd_http_req *out,
	    uint32_t *skip);

/*
 * Where a server may have switched to HTTP/2 (after a request with an
 * Upgrade header, RFC 7540 3.2): buf[0..len) starts where the next
 * request would.  DONE: the HTTP/2 client preface, NFQD_HTTP_H2_PREFACE
 * bytes; MORE: len bytes of it (len < NFQD_HTTP_H2_PREFACE, 0 too); NOT:
 * anything else.
 */
#define NFQD_HTTP_H2_PREFACE	24
enum nfqd_l7_res nfqd_http_h2_preface(const uint8_t *buf, size_t len);

/*
 * d as HTTP/2 starts: an empty table of the size a client may fill before
 * it has the server's SETTINGS, for nfqd_http_h2_next() after a preface
 * that nfqd_http_h2_preface() found (the request before it, stream 1,
 * was HTTP/1.1: it filled no table).
 */
void nfqd_http_h2_init(struct nfqd_hpack *d);

/* enum nfqd_http_why in words; "unknown" out of range. */
const char *nfqd_http_why_str(unsigned why);

#endif
