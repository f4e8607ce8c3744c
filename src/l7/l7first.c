/*
 * A TCP stream's first message: what the client's first bytes are (on
 * port 53 DNS over TCP, elsewhere TLS, then HTTP), and the starts no
 * client sends before its hello or request (an alert record, a PROXY
 * protocol header), refused; for l7tcp.c, which reads them in place or
 * reassembled.
 */
#include <string.h>

#include "nfqd/l7.h"
#include "nfqd/l7/dns.h"
#include "nfqd/l7/http.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"

#include "l7int.h"

/*
 * Whether buf[0..len) starts with the header of a TLS alert record of
 * two bytes (BAD), or with what could still be one (MORE; NOT when it
 * cannot).  Go's crypto/tls server takes an alert record as a
 * connection's first (with any version below 0x1000) and steps over
 * warning alerts there, up to 16, reading the ClientHello after them;
 * BoringSSL's server steps over 4.  The TLS parser reads a hello only
 * from a handshake record at byte 0, so such a stream was no TLS to nfqd
 * and its hello passed unread.  No client sends an alert before its
 * hello: refused.  Bytes 3 and 4, the length 2, keep apart the streams
 * of other protocols that start with byte 21 (a little-endian length of
 * 21 + 256 k, as MongoDB's, has 0 there).
 */
static enum nfqd_l7_res
alert_first(const uint8_t *buf, size_t len)
{
	static const uint8_t	want[5] = { 21, 0, 0, 0, 2 };
	size_t			i;

	for (i = 0; i < len && i < sizeof(want); i++)
		if (i == 1 ? buf[i] >= 0x10 : i != 2 && buf[i] != want[i])
			return NFQD_L7_NOT;
	return len >= sizeof(want) ? NFQD_L7_BAD : NFQD_L7_MORE;
}

/* Whether buf[0..len) starts with sig[0..n) (BAD), may still (MORE). */
static enum nfqd_l7_res
starts(const uint8_t *buf, size_t len, const uint8_t *sig, size_t n)
{
	if (memcmp(buf, sig, len < n ? len : n) != 0)
		return NFQD_L7_NOT;
	return len >= n ? NFQD_L7_BAD : NFQD_L7_MORE;
}

/*
 * A PROXY protocol header (HAProxy's: v1 a "PROXY " line, v2 a 12-byte
 * signature) where the first message should start (BAD), or what may
 * still be one (MORE, *need the bytes that tell).  A server told to take
 * one on a port (nginx's "listen ... proxy_protocol", HAProxy's
 * accept-proxy, Envoy's filter) takes it from whoever connects and reads
 * the hello or request after it, which nfqd does not read: such a stream
 * passed as no protocol, its name unread.  Refused; nfqd belongs in front
 * of the proxy that adds the header, not between it and its backends.
 */
static const uint8_t	proxy_v1[6] = { 'P', 'R', 'O', 'X', 'Y', ' ' };
static const uint8_t	proxy_v2[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static enum nfqd_l7_res
proxy_first(const uint8_t *buf, size_t len, uint32_t *need)
{
	enum nfqd_l7_res	r1, r2;

	r1 = starts(buf, len, proxy_v1, sizeof(proxy_v1));
	r2 = starts(buf, len, proxy_v2, sizeof(proxy_v2));
	if (r1 == NFQD_L7_BAD || r2 == NFQD_L7_BAD)
		return NFQD_L7_BAD;
	if (r1 == NFQD_L7_MORE)
		*need = sizeof(proxy_v1);
	else if (r2 == NFQD_L7_MORE)
		*need = sizeof(proxy_v2);
	return r1 == NFQD_L7_MORE || r2 == NFQD_L7_MORE ? NFQD_L7_MORE :
	    NFQD_L7_NOT;
}

/*
 * The client's first bytes, buf[0..len): on port 53 DNS over TCP (which
 * is never NOT: every stream there is read as DNS, and one that cannot
 * be is BAD), elsewhere TLS, then
 * HTTP.  MORE while one of them could still be it; *need then says when
 * asking again can change that (0 for HTTP/1.x: when a line ends; the
 * frames of HTTP/2 say their lengths).
 */
enum nfqd_l7_res
l7_parse_stream(struct nfqd_l7 *l, const uint8_t *buf, size_t len, bool dns,
    struct nfqd_l7fields *f, uint32_t *need)
{
	struct nfqd_tls_hello	h;
	struct nfqd_http_req	r;
	struct nfqd_dns_query	q;
	enum nfqd_l7_res	res, pr;
	size_t			used;

	*need = (uint32_t)len + 1;
	if (dns) {
		res = nfqd_dns_tcp_parse(buf, len, &q, &used);
		if (res == NFQD_L7_DONE && q.response)
			res = NFQD_L7_BAD;	/* a client does not answer */
		if (res == NFQD_L7_DONE)
			l7_from_dns(f, &q);
		if (res == NFQD_L7_MORE && len >= 2)
			*need = 2 + ((uint32_t)buf[0] << 8 | buf[1]);
		/*
		 * Bytes that are no DNS to wait for: a length no buffer
		 * holds (a request's first letters, "GE", "PO", "PRI", read
		 * as one: a query is short), or a TLS handshake or alert
		 * record (16 or 15, then a version below 0x1000: Go's
		 * crypto/tls server takes any such first record, and
		 * steps over warning alerts to the hello), a hello to a
		 * TLS server on port 53.  Waiting would pass them pending,
		 * unread, and the server would read the name: refused now
		 * (queries of 5,376 to 5,391 and 5,632 to 5,647 bytes with
		 * them).
		 */
		if (res == NFQD_L7_MORE && len >= 2 &&
		    (*need > NFQD_REASM_MAX ||
		    ((buf[0] == 0x16 || buf[0] == 0x15) && buf[1] < 0x10)))
			res = NFQD_L7_BAD;
		/*
		 * A PROXY v2 header, read as a query of 3,338 bytes ("PR",
		 * v1's, is over 16,382 above): its 12-byte signature tells,
		 * asked again when it may be whole.
		 */
		if (res == NFQD_L7_MORE) {
			pr = starts(buf, len, proxy_v2, sizeof(proxy_v2));
			if (pr == NFQD_L7_BAD)
				res = NFQD_L7_BAD;
			else if (pr == NFQD_L7_MORE && *need > sizeof(proxy_v2))
				*need = sizeof(proxy_v2);
		}
		if (res != NFQD_L7_NOT)
			goto out;
	}
	/* An alert before the hello (alert_first()): 5 bytes tell. */
	if ((res = alert_first(buf, len)) != NFQD_L7_NOT) {
		*need = 5;
		goto out;
	}
	if ((res = proxy_first(buf, len, need)) != NFQD_L7_NOT)
		goto out;
	res = l->ja4 ? nfqd_tls_hello_parse(buf, len, &h) :
	    nfqd_tls_hello_parse_noja4(buf, len, &h);
	if (res == NFQD_L7_DONE) {
		l7_from_tls(l, f, &h, NFQD_L7P_TLS);
		l->hello.valid = true;
		l->hello.tls13 = h.tls13;
		l->hello.early = h.early;
		l->hello.used = h.used;
		l->hello.rec_end = h.rec_end;
	}
	if (res == NFQD_L7_MORE)
		*need = h.need;
	if (res != NFQD_L7_NOT)
		goto out;
	if ((res = nfqd_http_first_parse(buf, len, &r)) == NFQD_L7_DONE) {
		l7_from_http(f, &r);
		l->req.valid = true;
		l->req.close = r.close;
		l->req.upgrade = r.upgrade;
		l->req.peek = r.peek;
		l->req.h2 = r.h2;
		l->req.sid = r.sid;
		l->req.body = r.body;
		l->req.used = r.used;
		l->req.clen = r.content_length;
	}
	if (res == NFQD_L7_MORE)
		*need = r.need;		/* HTTP/2's frames; 0: a line */
	if (res != NFQD_L7_NOT)
		goto out;
	memset(f, 0, sizeof(*f));
out:
	if (res == NFQD_L7_BAD)
		l->l7_errors++;
	else if (res == NFQD_L7_DONE || res == NFQD_L7_NOT)
		l->names[res == NFQD_L7_DONE ? f->proto : NFQD_L7P_NONE]++;
	return res;
}
