/*
 * The messages after a TCP flow's first: HTTP/1.x requests on a
 * kept-alive connection, HTTP/2 frames read with the connection's header
 * table (from h2tabs.c's pool), DNS-over-TCP queries; read in the order
 * the server reads them.
 */
#include <string.h>

#include "nfqd/l7.h"
#include "nfqd/l7/dns.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/hbody.h"
#include "nfqd/l7/httpchar.h"
#include "nfqd/l7/hpack.h"
#include "nfqd/l7/http.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/pkt.h"

#include "l7int.h"

/*
 * HTTP's later requests (flows.http_requests = "all", while a rule reads
 * an HTTP field).  A server reads every request a client sends on a
 * kept-alive connection, each with its own Host and path: a client could
 * send a harmless first request and a blocked one after it.  So the
 * rules' accept of a request is tentative (l->tentative: the packet passes
 * pending), and nfqd reads on, as the server does: past the head, the
 * body its framing gives (Content-Length bytes stepped over unread; a
 * chunked body's size lines read and its data stepped over), then the
 * next head, whose fields replace the flow's and go to the rules in turn
 * (a packet that completes several: nfqd_l7 more[]).  A verdict other
 * than accept decides the flow (nfqd_l7_decided()).  Reading ends, and
 * the last request read decides the flow, when a request says
 * "Connection: close" (the server reads no request after it, RFC 9112
 * 9.6), or when what follows a request is no HTTP (NOT: an Upgrade's or
 * a CONNECT's new protocol; a server that did not switch answers such
 * bytes with 400 and closes).  The HTTP/2 preface there is HTTP/2's
 * start (Upgrade: h2c; a request that asks to switch is read past even
 * when it says close): its frames are read from there as a connection's
 * that started with the preface, with a table of its own, empty.  On a
 * connection picked up in its middle (F_PICKED) nothing is stepped over
 * and nothing ends reading: what would gets l7_error_verdict
 * (picked_bad()).
 *
 * State (struct hnext, kept in the room an HTTP flow's fields leave in
 * their ALPN list: hget(), hput()): next, the stream offset (from seq0,
 * modulo 2^32) of the next byte to read; left, body bytes past next
 * still to step over (a body is stepped over HSTEP bytes at a time, as
 * the client's segments reach past next); mode.
 * Bytes before next are read or stepped over: a segment of only those
 * carries the flow's fields, tentatively, as it did.  A flow holds a
 * buffer (its byte 0 at next) only while a head is cut by a gap or a
 * segment's end; a segment that would reach NFQD_REASM_MAX bytes or more
 * past next while one is needed is refused (l7_error_verdict, the flow
 * goes on: the client sends it again once the gap is filled).
 */

enum hres {
	H_MORE,		/* no head completed: the packet passes pending */
	H_DONE,		/* one or more completed: their fields, tentatively */
	H_STOP,		/* reading ends: the last request decides the flow */
	H_BAD,		/* l7_error_verdict, the flow's from now on */
	H_NOBUF,	/* flows.full_verdict: no buffer to read it with */
	H_OUTSIDE	/* l7_error_verdict, the flow goes on */
};

/*
 * Whether byte c is what Python's str.split() strips around a request
 * line's words (its whitespace in ISO-8859-1, as http.server decodes the
 * line: space, \t to \r, 0x1c to 0x1f, 0x85, 0xa0).
 */
static bool
pyspace(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') ||
	    (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0;
}

/*
 * Whether byte c could start a request line to some server: a method's
 * tchar, or what Python strips before it.
 */
static bool
request_start(uint8_t c)
{
	return nfqd_http_tchar(c) || pyspace(c);
}

/*
 * Whether a head's lines after its request line, b[0..n), hold what a
 * server could read as a request line: "HTTP/" (any case: a version) or
 * "GET" and whitespace (an HTTP/0.9 request, which nginx and Python's
 * http.server serve, no header read).  See picked_bad().
 */
static bool
hidden_line(const uint8_t *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (n - i >= 5 && (b[i] | 0x20) == 'h' &&
		    (b[i + 1] | 0x20) == 't' && (b[i + 2] | 0x20) == 't' &&
		    (b[i + 3] | 0x20) == 'p' && b[i + 4] == '/')
			return true;
		if (n - i >= 4 && memcmp(b + i, "GET", 3) == 0 &&
		    pyspace(b[i + 3]))
			return true;
	}
	return false;
}

/*
 * Whether method[0..mlen) is one of the methods no end of which (its
 * last 1 to mlen - 1 bytes) is a method: a server whose body ended
 * inside it reads its end as the method (a body's last byte 'X' before
 * "DELETE": the server reads DELETE where nfqd read XDELETE), and an
 * end of these is none that a server serves or a rule names ("ET",
 * "ST").  UNLOCK ends in LOCK, PROPPATCH in PATCH: those are refused.
 */
static bool
plain_method(const char *method, size_t mlen)
{
	static const char *const	known[] = { "GET", "HEAD", "POST",
	    "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE" };
	size_t				i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == mlen &&
		    memcmp(known[i], method, mlen) == 0)
			return true;
	return false;
}

/*
 * Whether the head b[0..used), just read on a connection picked up in
 * its middle (F_PICKED, l7tcp.c midstream()), has nfqd go on anywhere
 * but at its next byte, read as a head: a body (a Content-Length over
 * 0, a GET's or HEAD's too; chunked), a new protocol (Upgrade, the
 * tunnel after CONNECT), or a line a request line could hide in.  The
 * flow was lost with nfqd maybe inside a body it had framed, and the
 * bytes it picked up at may be that body, shaped as a request whose
 * framing covers the server's real next request, or with the real
 * request line in a header's value from where the body ends.  Only the
 * framing read before is the server's, and it is gone: on such a
 * connection every byte is read as heads back to back, so any head the
 * server reads is one nfqd read too, or a suffix of one (the same
 * headers, the request line in a header line, the method's end:
 * plain_method()), or refused.
 */
static bool
picked_bad(const struct nfqd_flow *f, const uint8_t *b, size_t used,
    uint8_t body, uint64_t clen, bool upgrade, const char *method,
    size_t mlen)
{
	const uint8_t	*eol;

	if (!(f->flags & F_PICKED))
		return false;
	if ((body == NFQD_HTTP_BODY_LENGTH && clen > 0) ||
	    body == NFQD_HTTP_BODY_CHUNKED || upgrade ||
	    !plain_method(method, mlen))
		return true;
	if ((eol = memchr(b, '\n', used)) == NULL)
		return true;	/* cannot be: a head ends with one */
	return hidden_line(eol + 1, used - (size_t)(eol + 1 - b));
}

/*
 * Where the body of the head just read (l->req, or r) leaves reading.  A
 * GET's or HEAD's (peek) waits for its first byte (H_PEEK): Python's
 * http.server reads a request there.
 */
static void
hframe(struct hnext *h, uint8_t body, uint64_t clen, bool peek,
    uint64_t *pos)
{
	uint64_t	k;

	h->mode = H_HEAD;
	h->left = 0;
	if (body == NFQD_HTTP_BODY_LENGTH && peek) {
		h->mode = H_PEEK;
		h->left = clen;
	} else if (body == NFQD_HTTP_BODY_LENGTH) {
		k = clen < HSTEP ? clen : HSTEP;
		*pos += k;
		h->left = clen - k;
	} else if (body == NFQD_HTTP_BODY_CHUNKED) {
		h->mode = H_CHUNKED;
		nfqd_hbody_init(&h->body);
	}
}

/* A flow's HTTP/2 header table, where it holds one, back to the pool. */
void
l7_h2_release(struct nfqd_l7 *l, struct nfqd_flow *f)
{
	struct hnext	h;

	if (!(f->flags & F_HNEXT))
		return;
	hget(f, &h);
	if (h.mode != H_H2 || h.tab == 0)
		return;
	l7_h2tab_put(l->h2tabs, h.tab);
	h.tab = 0;
	hput(f, &h);
}

/*
 * A later request's head r, or (r NULL) a later DNS-over-TCP query q,
 * read whole: the flow's fields from now on, the fields before them one
 * more message the packet completed (l->more[]).
 * The reading state kept in the fields' room stays as it was (the caller
 * puts its own there when it goes on): a flow that ends in this packet
 * still says which HTTP/2 table it holds.
 */
static bool
hhead(struct nfqd_l7 *l, struct nfqd_flow *f, const struct nfqd_http_req *r,
    const struct nfqd_dns_query *q)
{
	struct nfqd_l7fields	*fl = fields(f);
	struct hnext		 kept;

	if (l->nheads > 0) {
		if (l->nmore == NFQD_L7_MORE_MAX) {
			l->l7_errors++;
			return false;
		}
		l->more[l->nmore++] = *fl;
	}
	hget(f, &kept);
	if (r != NULL)
		l7_from_http(fl, r);
	else
		l7_from_dns(fl, q);
	hput(f, &kept);
	l->nheads++;
	if (r != NULL) {
		l->names[NFQD_L7P_HTTP]++;
		l->http_later++;
	} else {
		l->names[NFQD_L7P_DNS]++;
		l->dns_later++;
	}
	return true;
}

/*
 * Read buf[0..n), the stream from h->next on, in order: HTTP/1.x
 * requests, HTTP/2 frames, or DNS-over-TCP queries (h->mode).  *pos: where
 * reading stopped, from buf[0]: past n when a body is stepped over past
 * the bytes there, short of n when a head is cut at n (the caller keeps
 * the rest).  h->next is the caller's to move.
 */
static enum hres
hwalk(struct nfqd_l7 *l, struct nfqd_flow *f, struct hnext *h,
    const uint8_t *buf, size_t n, uint64_t *pos)
{
	struct nfqd_http_req	r;
	struct nfqd_dns_query	q;
	enum nfqd_l7_res	res;
	enum hres		out = H_MORE;
	uint64_t		p = 0, k;
	size_t			used;
	uint32_t		skip;

	while (p < n) {
		if (h->mode == H_PEEK) {
			/*
			 * A GET's or HEAD's body, whose first byte Python's
			 * http.server reads as a request's: one that could
			 * start one (a tchar, or what str.split() strips)
			 * is refused; any other, stepped over (the body is
			 * 400 to Python, which then closes).
			 */
			if (request_start(buf[p])) {
				l->l7_errors++;
				return H_BAD;
			}
			/* Read: other bytes there could be a request. */
			l->consumed = true;
			k = h->left < HSTEP ? h->left : HSTEP;
			p += k;
			h->left -= k;
			h->mode = H_HEAD;
			continue;
		}
		if (h->mode == H_DNS) {
			/*
			 * A query at a time, each with its length, as the
			 * server reads them; one longer than a buffer could
			 * hold would never be read whole.  An answer, or a
			 * query that is not one, ends reading.
			 */
			if (n - p >= 2 && 2 + ((size_t)buf[p] << 8 |
			    buf[p + 1]) > NFQD_REASM_MAX) {
				l->l7_errors++;
				return H_BAD;
			}
			res = nfqd_dns_tcp_parse(buf + p, n - (size_t)p, &q,
			    &used);
			if (res == NFQD_L7_MORE)
				break;
			if (res != NFQD_L7_DONE || q.response) {
				l->l7_errors++;
				return H_BAD;
			}
			if (!hhead(l, f, NULL, &q))
				return H_BAD;
			out = H_DONE;
			p += used;
			l->consumed = true;
			continue;
		}
		if (h->mode == H_H2) {
			/* A frame, or a header block, at a time; DATA and
			 * other payloads are stepped over as a body is. */
			res = nfqd_http_h2_next(h2tab(l->h2tabs, h->tab),
			    &h->sid, buf + p, n - (size_t)p, &r, &skip);
			if (res == NFQD_L7_MORE)
				break;
			if (res != NFQD_L7_DONE) {
				l->l7_errors++;
				return H_BAD;
			}
			p += r.used;
			l->consumed = true;
			if (r.method_len > 0) {
				if (!hhead(l, f, &r, NULL))
					return H_BAD;
				l->h2_later++;
				out = H_DONE;
			}
			k = skip < HSTEP ? skip : HSTEP;
			p += k;
			h->left = skip - k;
			continue;
		}
		if (h->mode == H_CHUNKED) {
			/* Data left of a chunk past HSTEP is no framing. */
			k = nfqd_hbody_skippable(&h->body);
			res = nfqd_hbody_feed(&h->body, buf + p, n - (size_t)p,
			    &used);
			p += used;
			if (used > k)
				l->consumed = true;
			if (res == NFQD_L7_BAD) {
				l->l7_errors++;
				return H_BAD;
			}
			if (res == NFQD_L7_DONE) {
				h->mode = H_HEAD;
				continue;
			}
			/* All read: the chunk's data past them is stepped
			 * over, up to HSTEP (the rest is read as it comes). */
			k = nfqd_hbody_skippable(&h->body);
			if (k > HSTEP)
				k = HSTEP;
			nfqd_hbody_skip(&h->body, k);
			p += k;
			break;
		}
		/*
		 * The HTTP/2 preface where a request would start: the
		 * server switched protocols (Upgrade: h2c, RFC 7540 3.2)
		 * and reads HTTP/2 from here on, the request before it
		 * being stream 1.  One that did not switch answers it
		 * with an error and closes.
		 */
		res = nfqd_http_h2_preface(buf + p, n - (size_t)p);
		if (res == NFQD_L7_MORE)
			break;
		if (res == NFQD_L7_DONE && (f->flags & F_PICKED)) {
			/* Maybe no switch, a body's bytes (picked_bad()). */
			l->l7_errors++;
			return H_BAD;
		}
		if (res == NFQD_L7_DONE) {
			p += NFQD_HTTP_H2_PREFACE;
			l->consumed = true;
			h->mode = H_H2;
			h->sid = 1;
			h->left = 0;
			if ((h->tab = l7_h2tab_get(l->h2tabs)) == 0) {
				l->reasm_full++;
				*pos = p;
				return H_NOBUF;
			}
			nfqd_http_h2_init(h2tab(l->h2tabs, h->tab));
			l->h2_upgrades++;
			continue;
		}
		res = nfqd_http_req_parse(buf + p, n - (size_t)p, &r);
		if (res == NFQD_L7_MORE)
			break;
		if (res == NFQD_L7_NOT && !(f->flags & F_PICKED))
			return H_STOP;
		if (res != NFQD_L7_DONE) {
			/* Refused; or no HTTP on a connection picked up: a
			 * body's bytes maybe, a request after them
			 * (picked_bad()). */
			l->l7_errors++;
			return H_BAD;
		}
		if (!hhead(l, f, &r, NULL))
			return H_BAD;
		out = H_DONE;
		if (picked_bad(f, buf + p, r.used, r.body, r.content_length,
		    r.upgrade, r.method, r.method_len)) {
			l->l7_errors++;
			return H_BAD;
		}
		p += r.used;
		l->consumed = true;
		/*
		 * Closing, unless it asks to switch: read what follows.  On a
		 * connection picked up, "close" may be a body's bytes: read
		 * on, as the server that reads none ignores what follows.
		 */
		if (r.close && !r.upgrade && !(f->flags & F_PICKED))
			return H_STOP;
		hframe(h, r.body, r.content_length, r.peek, &p);
	}
	*pos = p;
	return out;
}

/*
 * Move the reading point k bytes on.  next counts from seq0 modulo 2^32:
 * on a connection picked up (F_PICKED), hbytes() tells bytes before seq0
 * by it only while it is under 2^31, so the flow says when it got there
 * (F_PFAR); from there on no byte the server could still take lies
 * before seq0 (every offset compared is within 2^31 of the reading
 * point: HSTEP), and none is told apart.  Counted in 64 bits, as k may
 * take next past 2^32 in one move.
 */
static void
hadv(struct nfqd_flow *f, struct hnext *h, uint64_t k)
{
	if ((f->flags & F_PICKED) && (uint64_t)h->next + k >= (1ull << 31))
		f->flags |= F_PFAR;
	h->next += (uint32_t)k;
}

/* Step over the body left past next where the stream reaches end. */
static void
hstep(struct nfqd_flow *f, struct hnext *h, uint32_t end)
{
	uint64_t	k;

	if (h->mode == H_PEEK)
		return;		/* its first byte not yet seen */
	while (h->left > 0 && (int32_t)(end - (f->seq0 + h->next)) > 0) {
		k = h->left < HSTEP ? h->left : HSTEP;
		hadv(f, h, k);
		h->left -= k;
	}
}

/*
 * A client segment's bytes at seq, len of them, of a flow reading later
 * requests.  *old: all of them lie before the reading point.
 */
static enum hres
hbytes(struct nfqd_l7 *l, struct nfqd_flow *f, uint32_t seq,
    const uint8_t *pay, uint32_t len, bool *old)
{
	struct hnext	h;
	enum hres	r, out;
	uint64_t	pos = 0;
	int32_t		d;

	*old = false;
	hget(f, &h);
	hstep(f, &h, seq + len);
	d = (int32_t)(seq - (f->seq0 + h.next));
	if ((f->flags & (F_PICKED | F_PFAR)) == F_PICKED && d < 0 &&
	    0u - (uint32_t)d > h.next) {
		/*
		 * Bytes before the segment the flow was picked up at
		 * (midstream()): never read, and the server may read them
		 * before it (sent after, out of order).  Not let through.
		 */
		l->l7_errors++;
		l->outside++;
		hput(f, &h);
		return H_OUTSIDE;
	}
	if (d < 0 && (0u - (uint32_t)d) >= len) {
		hput(f, &h);
		*old = true;
		return H_MORE;
	}
	if (h.mode == H_H2 && h.tab == 0) {
		/* No table was free: what comes after the first request
		 * cannot be read. */
		l->reasm_full++;
		hput(f, &h);
		return H_NOBUF;
	}
	if (f->ra == NULL && d <= 0) {
		/*
		 * In order, read in place, and a buffer taken only for a
		 * head cut at the segment's end.  None free: the segment
		 * must not pass with bytes nfqd could not keep, but the
		 * requests read before them go to the rules first
		 * (hresult()): were the buffer taken before reading, a
		 * blocked request whole here, with or without a byte
		 * after it, would find none and pass with
		 * flows.full_verdict, unread.
		 */
		pay += (0u - (uint32_t)d);
		len -= (0u - (uint32_t)d);
		r = hwalk(l, f, &h, pay, len, &pos);
		if (r == H_BAD || r == H_STOP) {
			/* l7_settle() puts the table the walk may have
			 * taken. */
			hput(f, &h);
			return r;
		}
		hadv(f, &h, pos);
		if (pos < len && r != H_NOBUF) {
			if ((f->ra = nfqd_reasm_get(l->pool,
			    f->seq0 + h.next)) == NULL) {
				l->reasm_full++;
				hput(f, &h);
				return H_NOBUF;
			}
			(void) nfqd_reasm_add(f->ra, f->seq0 + h.next,
			    pay + pos, len - (size_t)pos, NULL);
		}
		hput(f, &h);
		return r;
	}
	/*
	 * Through the buffer: after a gap, or a head cut before.  One that
	 * starts past a gap must fit in the window: reading cannot move
	 * before the gap is filled.  One that goes on from what waits (in
	 * order) is added again each time reading moves the window on, so
	 * that all of it is read or kept, however long.
	 */
	if (f->ra == NULL &&
	    (f->ra = nfqd_reasm_get(l->pool, f->seq0 + h.next)) == NULL) {
		l->reasm_full++;
		hput(f, &h);
		return H_NOBUF;
	}
	if (d > (int32_t)nfqd_reasm_contig(f->ra) &&
	    (uint32_t)(seq + len - (f->seq0 + h.next)) > NFQD_REASM_MAX) {
		l->l7_errors++;
		l->outside++;
		ra_drop_empty(l, f);
		hput(f, &h);
		return H_OUTSIDE;
	}
	out = H_MORE;
	for (;;) {
		if (nfqd_reasm_add(f->ra, seq, pay, len, NULL) ==
		    NFQD_REASM_CONFLICT) {
			l->conflicts++;
			l->l7_errors++;
			return H_BAD;
		}
		r = hwalk(l, f, &h, nfqd_reasm_data(f->ra),
		    nfqd_reasm_contig(f->ra), &pos);
		if (r == H_BAD || r == H_STOP) {
			hput(f, &h);
			return r;
		}
		if (r == H_NOBUF) {
			/* Nothing past here is read: the buffer goes. */
			hadv(f, &h, pos);
			ra_drop(l, f);
			hput(f, &h);
			return r;
		}
		if (r == H_DONE)
			out = H_DONE;
		if (pos == 0)
			break;
		hadv(f, &h, pos);
		(void) nfqd_reasm_skip(f->ra, pos);
		if ((int32_t)(seq + len - (f->seq0 + h.next)) <= 0)
			break;
	}
	ra_drop_empty(l, f);
	hput(f, &h);
	return out;
}

/* The packet's outcome, and the flow's class after it. */
static void
hresult(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    enum hres r, bool old, enum nfqd_flow_class cls, uint64_t now)
{
	switch (r) {
	case H_MORE:
		if (old) {
			known(pi, fields(f));
			l->tentative = true;
		} else {
			unknown(pi, NFQD_PKT_L7_PENDING);
		}
		break;
	case H_DONE:
		known(pi, fields(f));
		l->tentative = true;
		break;
	case H_NOBUF:
		/*
		 * The requests the packet completed before the bytes that
		 * found no buffer go to the rules: one they refuse is
		 * refused whatever flows.full_verdict says (an accept gives
		 * way to it: the engine).
		 */
		if (l->nheads > 0) {
			known_unread(l, pi, fields(f),
			    NFQD_PKT_L7_UNTRACKED);
		} else {
			unknown(pi, NFQD_PKT_L7_UNTRACKED);
		}
		break;
	case H_OUTSIDE:
		unknown(pi, NFQD_PKT_L7_ERROR);
		break;
	default:
		l7_settle(l, f, pi, r == H_STOP ? NFQD_L7_DONE : NFQD_L7_BAD);
		if (r == H_BAD && l->nheads > 0) {
			/* The same for the requests read before what was
			 * refused, whatever l7_error_verdict says. */
			known_unread(l, pi, fields(f),
			    NFQD_PKT_L7_ERROR);
		}
		nfqd_flow_touch(l->flows, f, unless_closing(cls, NFQD_FC_WAIT),
		    now);
		return;
	}
	nfqd_flow_touch(l->flows, f, unless_closing(cls, f->ra != NULL ?
	    NFQD_FC_REASM : NFQD_FC_WAIT), now);
}

/*
 * The first request of an HTTP/2 connection was read whole (l->req), from
 * f->ra or in place from pay (stream byte 0 on): h's table holds the
 * client's header table after its block, to read later blocks with.  No
 * table free: h's is 0, and the connection's later bytes get
 * flows.full_verdict (hbytes()).  False where the block read again does
 * not give the same request (it cannot: the parse depends on the bytes
 * alone).
 */
static bool
h2start(struct nfqd_l7 *l, struct nfqd_flow *f, const uint8_t *pay,
    struct hnext *h)
{
	struct nfqd_http_req	r;
	const uint8_t		*b = f->ra != NULL ? nfqd_reasm_data(f->ra) :
				    pay;

	h->mode = H_H2;
	h->sid = l->req.sid;
	if ((h->tab = l7_h2tab_get(l->h2tabs)) == 0)
		return true;
	if (nfqd_http_first_parse_hp(b, l->req.used, &r,
	    h2tab(l->h2tabs, h->tab)) != NFQD_L7_DONE || !r.h2 ||
	    r.sid != h->sid) {
		l7_h2tab_put(l->h2tabs, h->tab);
		return false;
	}
	return true;
}

static void	hfirst(struct nfqd_l7 *, struct nfqd_flow *, struct nfqd_pkt *,
		    uint32_t, const uint8_t *, uint32_t, const struct hnext *,
		    uint64_t, enum nfqd_flow_class, uint64_t);

/*
 * Whether the requests after the one just read whole (f, l->req) are
 * read: flows.http_requests = "all", HTTP, and no "close" that ends the
 * connection there (unless it asks to switch, or the connection was
 * picked up in its middle, where "close" may be a body's bytes).
 */
bool
l7_reads_later(const struct nfqd_l7 *l, const struct nfqd_l7fields *f,
    bool picked)
{
	return l->http_all && f->proto == NFQD_L7P_HTTP && l->req.valid &&
	    (!l->req.close || l->req.upgrade || picked);
}

/*
 * The first request was just read whole (fields(f), l->req), from the
 * segment at seq: when later ones are to be read, start reading after it
 * (the rest of this segment, or of the buffer, first) and say the
 * packet's outcome; false, nothing done, when none are.  On a connection
 * picked up in its middle (F_PICKED) a "close" does not end reading, and
 * a request whose framing would have nfqd step over bytes (picked_bad(),
 * HTTP/2's frames too) gets l7_error_verdict, the flow's from now on.
 */
bool
l7_hstart(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, const uint8_t *pay, uint32_t len,
    enum nfqd_flow_class cls, uint64_t now)
{
	struct hnext	 h;
	uint64_t	 pos;
	bool		 picked = (f->flags & F_PICKED) != 0;

	if (!l7_reads_later(l, fields(f), picked) || (f->flags & F_SYNDATA))
		return false;
	if (picked && (l->req.h2 || picked_bad(f, f->ra != NULL ?
	    nfqd_reasm_data(f->ra) : pay, l->req.used, l->req.body,
	    l->req.clen, l->req.upgrade, fields(f)->method,
	    fields(f)->method_len))) {
		l->nheads = 1;
		l->l7_errors++;
		hresult(l, f, pi, H_BAD, false, cls, now);
		return true;
	}
	memset(&h, 0, sizeof(h));
	pos = l->req.used;
	if (l->req.h2 && !h2start(l, f, pay, &h))
		return false;
	if (!l->req.h2)
		hframe(&h, l->req.body, l->req.clen, l->req.peek, &pos);
	hfirst(l, f, pi, seq, pay, len, &h, pos, cls, now);
	return true;
}

/*
 * The first DNS-over-TCP query was just read whole (fields(f)), from the
 * segment at seq: the queries after it are read from the stream as
 * later requests are (hfirst(), H_DNS); false, nothing done, when no
 * rule reads what a query says.
 */
bool
l7_dstart(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, const uint8_t *pay, uint32_t len,
    enum nfqd_flow_class cls, uint64_t now)
{
	struct hnext	 h;
	const uint8_t	*b = f->ra != NULL ? nfqd_reasm_data(f->ra) : pay;

	/* The query is at b[0] (read in place from the stream's first
	 * byte, or in the buffer). */
	if (!l->dns_all || fields(f)->proto != NFQD_L7P_DNS ||
	    (f->flags & F_SYNDATA) || (f->ra == NULL && seq != f->seq0))
		return false;
	memset(&h, 0, sizeof(h));
	h.mode = H_DNS;
	hfirst(l, f, pi, seq, pay, len, &h, 2 + ((uint64_t)b[0] << 8 | b[1]),
	    cls, now);
	return true;
}

/*
 * The first message ends pos bytes into the stream, and h says how what
 * follows is read: read on after it, the rest of this segment or of the
 * buffer first, and say the packet's outcome.
 */
static void
hfirst(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, const uint8_t *pay, uint32_t len, const struct hnext *hp,
    uint64_t pos, enum nfqd_flow_class cls, uint64_t now)
{
	struct hnext	h = *hp;
	enum hres	r;
	bool		old;

	l->nheads = 1;
	f->need = 0;
	f->flags |= F_HNEXT;
	h.next = (uint32_t)pos;
	if (f->ra != NULL) {
		/*
		 * The head came through the buffer: read on from it, and
		 * from this segment, added to it again as reading moves the
		 * window on (hbytes()).  The buffer clipped what the segment
		 * held past its window, NFQD_REASM_MAX bytes from byte 0:
		 * the server reads those bytes too, and nothing else of the
		 * client's brings them to nfqd again.  A segment that ends
		 * before reading goes on (one sent before others after it)
		 * adds nothing: the buffer is read alone.
		 */
		(void) nfqd_reasm_skip(f->ra, pos);
		if ((int32_t)(seq + len - (f->seq0 + h.next)) <= 0) {
			seq = f->seq0 + h.next;
			pay = (const uint8_t *)"";
			len = 0;
		}
	}
	hput(f, &h);
	r = hbytes(l, f, seq, pay, len, &old);
	if (r == H_MORE)
		r = H_DONE;	/* the first message is this packet's */
	hresult(l, f, pi, r, false, cls, now);
}

/* A client segment with stream bytes of a flow past its first request. */
void
l7_hpacket(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, const uint8_t *pay, uint32_t len,
    enum nfqd_flow_class cls, uint64_t now)
{
	enum hres	r;
	bool		old;

	r = hbytes(l, f, seq, pay, len, &old);
	hresult(l, f, pi, r, old, cls, now);
}

/*
 * A SYN's bytes b[0..n) (TCP Fast Open) start with a first message read
 * whole (fields(f); l->req for HTTP): a server that takes them reads the
 * messages after it there at once, so each whole one goes to the rules
 * with the SYN, read as hfirst() reads on, the last one's fields the
 * flow's, the ones before in l->more[] (hhead()).  The packet carries
 * them tentatively (its accept passes it pending); past them, bytes
 * refused give an accept l7_error_verdict's, and bytes no HTTP/2 table
 * is free for flows.full_verdict's.  Nothing else of the flow moves: it
 * keeps the bytes, read again from byte 0 when they are sent again or
 * taken (l7tcp.c syn_again(), then l7_hstart() or l7_dstart()), so
 * nothing here is consumed and a table taken goes back.  A TLS first
 * hello's: l7_second_syn().
 */
void
l7_hsyn(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const uint8_t *b, uint32_t n)
{
	struct hnext	h;
	enum hres	r = H_MORE;
	uint64_t	pos, p;
	bool		consumed = l->consumed;

	known(pi, fields(f));
	l->tentative = true;
	if (l7_second_syn(l, f, pi, b, n))
		return;
	memset(&h, 0, sizeof(h));
	if (l->dns_all && fields(f)->proto == NFQD_L7P_DNS) {
		h.mode = H_DNS;
		pos = 2 + ((uint64_t)b[0] << 8 | b[1]);
	} else if (l->http_all && fields(f)->proto == NFQD_L7P_HTTP &&
	    l->req.valid && !(l->req.close && !l->req.upgrade)) {
		pos = l->req.used;
		if (l->req.h2 && !h2start(l, f, b, &h))
			return;
		if (!l->req.h2)
			hframe(&h, l->req.body, l->req.clen, l->req.peek, &pos);
	} else {
		return;
	}
	if (pos < n) {
		l->nheads = 1;
		if (h.mode == H_H2 && h.tab == 0) {
			l->reasm_full++;
			r = H_NOBUF;
		} else {
			r = hwalk(l, f, &h, b + pos, n - (size_t)pos, &p);
		}
	}
	if (h.mode == H_H2 && h.tab != 0)
		l7_h2tab_put(l->h2tabs, h.tab);
	l->consumed = consumed;
	if (r == H_BAD)
		known_unread(l, pi, fields(f), NFQD_PKT_L7_ERROR);
	else if (r == H_NOBUF)
		known_unread(l, pi, fields(f), NFQD_PKT_L7_UNTRACKED);
}
