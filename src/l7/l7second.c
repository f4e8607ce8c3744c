/*
 * The second ClientHello after a HelloRetryRequest, over TCP: the
 * client's records after a first hello that offers TLS 1.3, read until
 * they say whether a second hello comes and what it names.
 */
#include <string.h>

#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"
#include "nfqd/pkt.h"

#include "l7int.h"

/*
 * A second ClientHello (RFC 8446 4.1.4).  A server that cannot use any
 * key share of a first hello that offers TLS 1.3 answers with a
 * HelloRetryRequest, and the client sends another ClientHello.  TLS 1.3
 * says it must name the same server, but OpenSSL 3.0 does not check: its
 * server-name callback sees the second name and the handshake goes on.
 * A client that makes the server ask again (an empty key_share list does
 * it) could name a blocked server there.  So an accept of such a first
 * hello is tentative (l->tentative: the packet passes pending), and the
 * client's next records are read (second_walk()) until they say which it
 * is:
 * - ChangeCipherSpec and alert records are stepped over;
 * - a handshake record whose message is a ClientHello is the second
 *   hello: it must name the same server as the first (else BAD), and the
 *   flow decides on its fields;
 * - any other handshake message (TLS 1.2's ClientKeyExchange or
 *   Certificate, or a TLS 1.2 Finished, encrypted), or application data
 *   (TLS 1.3's encrypted Finished): no second hello comes, the flow
 *   decides on the first's fields;
 * - but when the first hello offered early data, application data records
 *   may be 0-RTT data, sent before the client saw the server's answer,
 *   which a server that asks again skips (RFC 8446 4.2.10): they are
 *   stepped over up to EARLY_MAX bytes, more than OpenSSL's and
 *   BoringSSL's servers skip (16 KiB and the AEAD's expansion); past it
 *   the flow decides on the first's fields.
 */
#define REC_HDR		5
#define CT_CCS		20
#define CT_ALERT	21
#define CT_HANDSHAKE	22
#define CT_APPDATA	23
#define REC_LEN_MAX	(16384 + 2048)	/* a ciphertext, RFC 5246 6.2.3 */
#define EARLY_MAX	(16384 + 2048)
/*
 * Where reading stops (BAD): past a first hello of at most 16 KiB and
 * early data up to EARLY_MAX in records of any real size; a client that
 * sends more (tiny records, endless ChangeCipherSpecs) is no client.
 */
#define SECOND_END	60000
_Static_assert(SECOND_END <= UINT16_MAX && EARLY_MAX + REC_LEN_MAX <= UINT16_MAX &&
    REC_LEN_MAX <= UINT16_MAX, "offsets fit struct second");

/*
 * S_OTHER: a second hello read whole that names another server (in
 * l->scratch): BAD as the flow's, and the packet carries it for the
 * rules (second_result()).
 */
enum second_res { S_MORE, S_DONE, S_BAD, S_NOBUF, S_OTHER };

/* The second hello h, read whole: the flow's fields from now on. */
static enum second_res
second_hello(struct nfqd_l7 *l, struct nfqd_flow *f,
    const struct nfqd_tls_hello *h, bool peek)
{
	struct nfqd_l7fields	*fl = fields(f);

	if (h->sni_len != fl->name_len ||
	    memcmp(h->sni, fl->name, fl->name_len) != 0) {
		/*
		 * Which of the two would the server use?  Neither passes:
		 * l7_error_verdict, and the rules see this one first, so
		 * that one of theirs other than accept stands whatever
		 * l7_error_verdict says.
		 */
		l7_from_tls(l, &l->scratch, h, NFQD_L7P_TLS);
		l->names[NFQD_L7P_TLS]++;
		l->l7_errors++;
		return S_OTHER;
	}
	if (peek)
		return S_DONE;	/* read again when the flow moves on */
	l7_from_tls(l, fl, h, NFQD_L7P_TLS);
	l->names[NFQD_L7P_TLS]++;
	l->second_hellos++;
	return S_DONE;
}

/*
 * Read the records in buf[0..len), stream bytes from t->off on, with t
 * the state before them; t is updated as they are read.  S_MORE with
 * *used the bytes read (a record header is read whole or not at all, a
 * second hello from its first record header) and *need the stream
 * offset before which reading again can change nothing; S_DONE when the
 * flow decides (fields(f): the first hello's, or the second's); S_OTHER
 * (second_hello()); S_BAD.
 */
static enum second_res
second_walk(struct nfqd_l7 *l, struct nfqd_flow *f, struct second *t,
    const uint8_t *buf, size_t len, size_t *used, uint32_t *need)
{
	struct nfqd_tls_hello	 h;
	enum nfqd_l7_res	 res;
	const uint8_t		*p;
	size_t			 pos = 0, k;
	uint32_t		 rlen;

	*need = t->off + (uint32_t)len + 1;
	for (;;) {
		if (t->skip > 0) {
			k = len - pos < t->skip ? len - pos : t->skip;
			pos += k;
			t->skip = (uint16_t)(t->skip - k);
			if (t->skip > 0)
				break;
		}
		if (t->off + pos > SECOND_END)
			break;
		if (len - pos < REC_HDR)
			break;
		p = buf + pos;
		rlen = (uint32_t)p[3] << 8 | p[4];
		if (p[1] != 3 || p[2] > 4 || rlen == 0 || rlen > REC_LEN_MAX) {
			l->l7_errors++;
			return S_BAD;
		}
		switch (p[0]) {
		case CT_APPDATA:
			if (!t->early_ok)
				return S_DONE;
			if (t->early + rlen > EARLY_MAX)
				return S_DONE;
			t->early = (uint16_t)(t->early + rlen);
			/* FALLTHROUGH */
		case CT_CCS:
		case CT_ALERT:
			pos += REC_HDR;
			t->skip = (uint16_t)rlen;
			continue;
		case CT_HANDSHAKE:
			break;
		default:
			l->l7_errors++;
			return S_BAD;
		}
		if (len - pos < REC_HDR + 1)
			break;
		if (p[REC_HDR] != 1)
			return S_DONE;	/* no ClientHello */
		res = l->ja4 ? nfqd_tls_hello_parse(p, len - pos, &h) :
		    nfqd_tls_hello_parse_noja4(p, len - pos, &h);
		if (res == NFQD_L7_DONE)
			return second_hello(l, f, &h, t->peek);
		if (res != NFQD_L7_MORE) {
			l->l7_errors++;
			return S_BAD;
		}
		*need = t->off + (uint32_t)pos + h.need;
		break;
	}
	if (t->off + pos > SECOND_END) {
		l->l7_errors++;
		return S_BAD;
	}
	*used = pos;
	return S_MORE;
}

/* What the flow's buffer holds, from its byte 0 (second(f)->off) on. */
static enum second_res
second_buffered(struct nfqd_l7 *l, struct nfqd_flow *f)
{
	struct second		*s = second(f), t;
	enum second_res		 r;
	size_t			 contig = nfqd_reasm_contig(f->ra), used;

	if (s->off + contig < f->need)
		return S_MORE;
	t = *s;
	r = second_walk(l, f, &t, nfqd_reasm_data(f->ra), contig, &used,
	    &f->need);
	if (r != S_MORE)
		return r;
	(void) nfqd_reasm_advance(f->ra, used);	/* used <= contig */
	*s = t;
	s->off = (uint16_t)(s->off + used);
	if (used > 0)
		l->consumed = true;
	ra_drop_empty(l, f);
	return S_MORE;
}

/*
 * A client segment's bytes at seq, len of them, some at or past the
 * reading point (second(f)->off).  The common case, records that start
 * there and come in order, is read in place; anything else goes through
 * a buffer whose byte 0 is the reading point.
 */
static enum second_res
second_bytes(struct nfqd_l7 *l, struct nfqd_flow *f, uint32_t seq,
    const uint8_t *pay, uint32_t len)
{
	struct second		*s = second(f), t;
	enum second_res		 r;
	int32_t			 d = (int32_t)(seq - (f->seq0 + s->off));
	size_t			 used;

	if (f->ra == NULL && d <= 0) {
		pay += (0u - (uint32_t)d);
		len -= (0u - (uint32_t)d);
		seq = f->seq0 + s->off;
		t = *s;
		if ((r = second_walk(l, f, &t, pay, len, &used, &f->need)) !=
		    S_MORE)
			return r;
		*s = t;
		s->off = (uint16_t)(s->off + used);
		if (used > 0)
			l->consumed = true;
		if (used == len)
			return S_MORE;
		pay += used;
		len -= (uint32_t)used;
		seq += (uint32_t)used;
	}
	if (f->ra == NULL &&
	    (f->ra = nfqd_reasm_get(l->pool, f->seq0 + s->off)) == NULL) {
		l->reasm_full++;
		return S_NOBUF;
	}
	if (nfqd_reasm_add(f->ra, seq, pay, len, NULL) ==
	    NFQD_REASM_CONFLICT) {
		l->conflicts++;
		l->l7_errors++;
		return S_BAD;
	}
	return second_buffered(l, f);
}

/* The packet's outcome, and the flow's class after it. */
static void
second_result(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    enum second_res r, enum nfqd_flow_class cls, uint64_t now)
{
	switch (r) {
	case S_MORE:
		unknown(pi, NFQD_PKT_L7_PENDING);
		break;
	case S_NOBUF:
		unknown(pi, NFQD_PKT_L7_UNTRACKED);
		break;
	default:
		l7_settle(l, f, pi, r == S_DONE ? NFQD_L7_DONE : NFQD_L7_BAD);
		if (r == S_OTHER)
			known_unread(l, pi, &l->scratch, NFQD_PKT_L7_ERROR);
		nfqd_flow_touch(l->flows, f, unless_closing(cls, NFQD_FC_WAIT),
		    now);
		return;
	}
	nfqd_flow_touch(l->flows, f, unless_closing(cls, f->ra != NULL ?
	    NFQD_FC_REASM : NFQD_FC_WAIT), now);
}

/*
 * The packet carries the first hello's fields, for the rules, tentatively
 * (it passes pending), and the flow waits for the client's next records.
 */
static void
second_wait(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    enum nfqd_flow_class cls, uint64_t now)
{
	known(pi, fields(f));
	l->tentative = true;
	nfqd_flow_touch(l->flows, f, unless_closing(cls, f->ra != NULL ?
	    NFQD_FC_REASM : NFQD_FC_WAIT), now);
}

/*
 * Whether a second hello may follow the first just read whole (fields(f),
 * l->hello): a TLS 1.3 offer, with hello_retry.
 */
static inline bool
second_can(const struct nfqd_l7 *l, struct nfqd_flow *f)
{
	if (!l->hello_retry || fields(f)->proto != NFQD_L7P_TLS ||
	    !l->hello.valid || !l->hello.tls13)
		return false;
	return true;
}

/*
 * More handshake bytes in the first hello's last record (counted): a
 * server could read them as the second hello.  No client sends any.
 */
static inline bool
second_trailing(struct nfqd_l7 *l)
{
	if (l->hello.rec_end == l->hello.used)
		return false;
	l->l7_errors++;
	return true;
}

/*
 * The packet that holds the first hello (fields(f)), with bytes after it
 * that r refused or found no buffer for: the hello still goes to the
 * rules, and a verdict of theirs other than accept stands (an accept
 * gives way to the verdict for what follows: the engine, l->unread).
 */
static inline void
second_unread(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    enum second_res r)
{
	if (r == S_BAD || r == S_NOBUF || r == S_OTHER) {
		known_unread(l, pi, fields(f), r == S_NOBUF ?
		    NFQD_PKT_L7_UNTRACKED : NFQD_PKT_L7_ERROR);
		/* Both hellos: the first, then the second (nmore is 0). */
		if (r == S_OTHER)
			l->more[l->nmore++] = l->scratch;
	}
}

/* second_result() for the packet that completed the first hello. */
static void
second_first(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    enum second_res r, enum nfqd_flow_class cls, uint64_t now)
{
	second_result(l, f, pi, r, cls, now);
	second_unread(l, f, pi, r);
}

/*
 * The first hello was just read whole (fields(f), l->hello), from the
 * segment at seq: when a second may follow, start reading what comes
 * after it (the rest of this segment, or of the buffer, first) and say
 * the packet's outcome; false, nothing done, when none can.
 */
bool
l7_second_start(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, const uint8_t *pay, uint32_t len,
    enum nfqd_flow_class cls, uint64_t now)
{
	struct second		*s = second(f);
	enum second_res		 r;

	if (!second_can(l, f))
		return false;
	if (second_trailing(l)) {
		second_first(l, f, pi, S_BAD, cls, now);
		return true;
	}
	memset(s, 0, sizeof(*s));
	s->off = (uint16_t)l->hello.rec_end;	/* <= NFQD_REASM_MAX */
	s->early_ok = l->hello.early;
	f->need = 0;
	f->flags |= F_RETRY;
	if (f->ra != NULL) {
		(void) nfqd_reasm_advance(f->ra, s->off); /* <= contig */
		r = second_buffered(l, f);
	} else {
		r = second_bytes(l, f, seq, pay, len);
	}
	if (r == S_MORE) {
		second_wait(l, f, pi, cls, now);
		return true;
	}
	second_first(l, f, pi, r, cls, now);
	return true;
}

/*
 * A SYN's bytes b[0..n) (TCP Fast Open) start with a first hello read
 * whole (fields(f), l->hello), which the packet carries, tentatively: a
 * server that takes them reads a second hello there too, after asking
 * again, so what follows the first is read as l7_second_start() does,
 * and a second hello for another server goes to the rules with the SYN,
 * refused (l7_error_verdict), as anything there that is no client's
 * records.  Nothing of the flow moves (t.peek): it keeps the bytes, read
 * again from byte 0 when they are sent again or taken (l7tcp.c
 * syn_again()).  False when no second hello can follow.
 */
bool
l7_second_syn(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const uint8_t *b, uint32_t n)
{
	struct second		t;
	enum second_res		r;
	size_t			used;
	uint32_t		need;

	if (!second_can(l, f))
		return false;
	if (second_trailing(l)) {
		r = S_BAD;
	} else if (l->hello.rec_end >= n) {
		return true;		/* nothing after it yet */
	} else {
		memset(&t, 0, sizeof(t));
		t.off = (uint16_t)l->hello.rec_end;	/* < n <= 64 KiB */
		t.early_ok = l->hello.early;
		t.peek = 1;
		r = second_walk(l, f, &t, b + t.off, n - t.off, &used, &need);
	}
	second_unread(l, f, pi, r);	/* never S_NOBUF: no buffer here */
	return true;
}

/*
 * A client segment with stream bytes of a flow past its first hello
 * (F_RETRY).  Bytes all read already (the first hello sent again, say)
 * carry its fields, tentatively, as it did.
 */
void
l7_second_packet(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, const uint8_t *pay, uint32_t len,
    enum nfqd_flow_class cls, uint64_t now)
{
	int32_t	d = (int32_t)(seq - (f->seq0 + second(f)->off));

	if (d < 0 && (0u - (uint32_t)d) >= len) {
		second_wait(l, f, pi, cls, now);
		return;
	}
	second_result(l, f, pi, second_bytes(l, f, seq, pay, len), cls, now);
}
