/*
 * A UDP datagram for the application layer (l7.c): a DNS query read on
 * its own, or a QUIC connection's flow: its client's Initials read until
 * its hello is whole, then its later Initials (a second hello after a
 * HelloRetryRequest, a new connection the server asked for).
 */
#include <stddef.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/l7.h"
#include "nfqd/l7/dns.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/qclaim.h"
#include "nfqd/l7/quic.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/l7/tls.h"
#include "nfqd/pkt.h"

#include "l7int.h"

/*
 * A QUIC flow keeps its connection's keys and IDs in the same place
 * while its hello is incomplete; the fields replace them once it is
 * final (F_QUIC says which is there while l7res is MORE).
 */
_Static_assert(sizeof(struct nfqd_quic_conn) <=
    sizeof(((struct nfqd_flow *)0)->l7data), "a QUIC connection fits");
_Static_assert(offsetof(struct nfqd_flow, l7data) %
    _Alignof(struct nfqd_quic_conn) == 0, "l7data holds a QUIC connection");
_Static_assert(sizeof(struct nfqd_quic_conn) <= NFQD_FLOW_L7ZERO,
    "a new flow's QUIC connection is zero");

static inline struct nfqd_quic_conn *
qconn(struct nfqd_flow *f)
{
	return (struct nfqd_quic_conn *)(void *)f->l7data;
}

/*
 * Once its hello is read, a QUIC flow keeps its connection (F_QKEPT)
 * past the fields a hello fills: after the JA4 fingerprint, in the room
 * HTTP's method and path share with it, which l7_from_tls() does not use
 * (it is written after l7_from_tls(), which clears the fields whole).
 */
#define QID_OFF	((offsetof(struct nfqd_l7fields, ja4) + NFQD_L7_JA4_LEN + \
		    1 + 3) & ~(size_t)3)
_Static_assert(QID_OFF + sizeof(struct nfqd_quic_id) <=
    sizeof(((struct nfqd_flow *)0)->l7data), "a QUIC flow's ID fits");
_Static_assert((offsetof(struct nfqd_flow, l7data) + QID_OFF) %
    _Alignof(struct nfqd_quic_id) == 0, "l7data holds a QUIC ID");

static inline struct nfqd_quic_id *
qid(struct nfqd_flow *f)
{
	return (struct nfqd_quic_id *)(void *)(f->l7data + QID_OFF);
}

/* What a packet of a QUIC flow whose hello is final says: the flow's. */
static void
quic_final(struct nfqd_flow *f, struct nfqd_pkt *pi)
{
	if (f->l7res == NFQD_L7_BAD)
		unknown(pi, NFQD_PKT_L7_ERROR);
	else
		known(pi, fields(f));
}

/*
 * Whether a client datagram of QUIC flow f is one the server never
 * receives or discards, which must not be read (the caller gives it
 * l7_error_verdict): a wrong UDP checksum (l7_bad_csum), or a TTL or hop
 * limit other than that of the datagram whose Initial was read first
 * (l7_quic_refused, once there is one: quic_ttl()).  A client sends its
 * datagrams alike; one whose TTL runs out past a gateway would show nfqd
 * CRYPTO bytes the server never reads, which a later copy could then
 * change unread.  Nothing here knows which datagrams reached the server,
 * so a first datagram with a low TTL must not make a later one with a
 * higher TTL look right either: they must all be equal.
 */
static bool
quic_unseen(struct nfqd_l7 *l, struct nfqd_flow *f, const struct nfqd_pkt *pi,
    const uint8_t *data, uint32_t skbinfo)
{
	if (!nfqd_l7_csum_ok(pi, data, skbinfo)) {
		l->bad_csum++;
		return true;
	}
	if ((f->flags & F_QTTL) && ip_ttl(pi, data) != f->ttl) {
		l->quic_refused++;
		return true;
	}
	return false;
}

/*
 * The client datagram read first (c's first Initial): its TTL is kept,
 * and the interface it came in on (indev, in seq0, which a UDP flow does
 * not use otherwise: quic_server()).
 */
static void
quic_ttl(struct nfqd_flow *f, const struct nfqd_pkt *pi, const uint8_t *data,
    uint32_t indev)
{
	if (!(f->flags & F_QTTL) && qconn(f)->version != 0) {
		f->ttl = ip_ttl(pi, data);
		f->seq0 = indev;
		f->flags |= F_QTTL;
	}
}

/*
 * A datagram from the server's side of QUIC flow f, in on indev: its
 * connection ID, a Retry or a Version Negotiation (which let a new
 * connection on the ports be read afresh) are taken only where it comes
 * from the server's side, another interface than the client's first
 * datagram read: one that comes in where the client is may be the
 * client's forgery (a gateway's server is on another interface, a host's
 * sends its datagrams itself), and would make nfqd forget a connection
 * whose bytes the server holds.
 */
static void
quic_server(struct nfqd_flow *f, const uint8_t *pay, uint32_t len,
    uint32_t indev)
{
	if ((f->flags & F_QTTL) && indev == f->seq0)
		return;
	if (f->flags & F_QKEPT)
		nfqd_quic_server_id(qid(f), pay, len);
	else
		nfqd_quic_server(qconn(f), pay, len);
}

/* Whether ra holds CRYPTO bytes past a hello that ends at used. */
static bool
past_hello(const struct nfqd_reasm *ra, size_t used)
{
	return nfqd_reasm_contig(ra) > used || nfqd_reasm_ahead(ra) > 0;
}

/* Whether the server of QUIC flow f asked its client to start afresh. */
static bool
quic_restart_ok(struct nfqd_flow *f)
{
	return (f->flags & F_QKEPT) ? qid(f)->restart_ok != 0 :
	    qconn(f)->restart_ok != 0;
}

/*
 * QUIC flow f's first hello was read whole (o->hello) from CRYPTO offset
 * 0: its fields take the connection's place, and the connection is kept
 * past them (qid()).  With flows.hello_retry, CRYPTO bytes already read
 * past the hello make it BAD: a server that asks again would read them as
 * the second hello, and no client sends any before the server's answer
 * (the hello still goes to the rules: quic_client()).
 */
static enum nfqd_l7_res
quic_first(struct nfqd_l7 *l, struct nfqd_flow *f,
    const struct nfqd_quic_out *o)
{
	struct nfqd_quic_id	id;

	if (l->hello_retry && past_hello(f->ra, o->hello.used))
		return NFQD_L7_BAD;
	nfqd_quic_keep(qconn(f), (uint16_t)o->hello.used, &id);
	l7_from_tls(l, fields(f), &o->hello, NFQD_L7P_QUIC);
	*qid(f) = id;
	f->flags |= F_QKEPT;
	l->names[NFQD_L7P_QUIC]++;
	return NFQD_L7_DONE;
}

/*
 * A client datagram nfqd cannot follow in a flow (no flow, no room to
 * claim its connection ID, no reassembly buffer), read alone into the
 * worker's one spare buffer: a hello whole in it from CRYPTO offset 0
 * goes to the rules, and a verdict of theirs other than accept stands;
 * an accept gives way to flows.full_verdict (the engine, l->unread), as
 * for any datagram here.  Nothing is kept, so nothing may pass that
 * would not pass unread: an allowed hello let through without its ID
 * claimed would let another flow's Initials carry a second hello (after
 * a HelloRetryRequest) to the server.  A malformed hello gets
 * l7_error_verdict; anything else flows.full_verdict.
 */
static void
quic_alone(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *pay)
{
	struct nfqd_quic_conn	 s;
	struct nfqd_quic_out	 o;
	struct nfqd_reasm	*ra;
	enum nfqd_l7_res	 res;

	if ((ra = nfqd_reasm_get(l->alone, 0)) == NULL) {
		unknown(pi, NFQD_PKT_L7_UNTRACKED);	/* cannot be */
		return;
	}
	memset(&s, 0, sizeof(s));
	res = nfqd_quic_client(l->quic, &s, ra, pay, pi->paylen, &o);
	l->quic_refused += o.refused;
	if (res == NFQD_L7_DONE && !o.new_conn) {
		l7_from_tls(l, &l->scratch, &o.hello, NFQD_L7P_QUIC);
		l->names[NFQD_L7P_QUIC]++;
		l->alone_read++;
		/* CRYPTO bytes past the hello may be a second one (after a
		   HelloRetryRequest), which a flow would refuse too. */
		if (l->hello_retry && past_hello(ra, o.hello.used)) {
			l->l7_errors++;
			known_unread(l, pi, &l->scratch, NFQD_PKT_L7_ERROR);
		} else {
			known_unread(l, pi, &l->scratch,
			    NFQD_PKT_L7_UNTRACKED);
		}
	} else if (res == NFQD_L7_BAD) {
		l->l7_errors++;
		unknown(pi, NFQD_PKT_L7_ERROR);
		if (o.hello_before) {
			/* A hello the packets before the one refused
			   completed: a verdict of the rules other than
			   accept stands, as in a flow. */
			l7_from_tls(l, &l->scratch, &o.hello, NFQD_L7P_QUIC);
			l->names[NFQD_L7P_QUIC]++;
			known_unread(l, pi, &l->scratch, NFQD_PKT_L7_ERROR);
		}
	} else {
		unknown(pi, NFQD_PKT_L7_UNTRACKED);
	}
	nfqd_reasm_put(l->alone, ra);
}

/*
 * An Initial for connection ID dcid was read and passes: its claim lasts
 * NFQD_QCLAIM_LIFE from now (qclaim.h), so that no server's handshake
 * kept alive by Initials outlives it.
 */
static void
quic_refresh(struct nfqd_l7 *l, const uint8_t *dcid, size_t dcid_len,
    uint64_t now)
{
	struct nfqd_qclaim_ref	ref;

	if (l->claims != NULL)
		(void)nfqd_qclaim_refresh(l->claims, dcid, dcid_len,
		    (uint32_t)(now / 1000000000ull), NFQD_QCLAIM_LIFE, &ref);
}

/*
 * A client datagram that would be the first Initial QUIC flow f reads for
 * a connection (c->version 0): its connection ID is claimed for the flow
 * (qclaim.h; ref undoes it when nothing was read), and true returned.  A
 * server finds a connection by that ID from any address and port: a
 * second flow's Initials for it, or those of a flow that comes back after
 * its entry was evicted, could carry the rest of a hello whose start the
 * server holds, which no one flow would see whole.  So false, with the
 * datagram decided, when the ID is another's:
 *  - with CRYPTO data: l7_error_verdict, counted in l7_quic_refused; no
 *    client sends one (RFC 9000 9: no migration during the handshake);
 *  - without (an Initial ACK, when the flow that claimed the ID was lost
 *    with its worker): pending, unread, the flow still without one; the
 *    claim lasts on from it, as the server's handshake does;
 * and when the ID's bucket has no room: flows.full_verdict.  Datagrams
 * that open with no Initial are read as before (they read none).
 */
static bool
quic_claimed(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const uint8_t *pay, uint64_t now, struct nfqd_qclaim_ref *ref)
{
	struct nfqd_quic_conn	 s;
	struct nfqd_quic_out	 o;
	const uint8_t		*dcid;
	size_t			 dcid_len;

	ref->slot = NULL;
	if (l->claims == NULL ||
	    !nfqd_quic_lead_dcid(pay, pi->paylen, &dcid, &dcid_len))
		return true;
	switch (nfqd_qclaim_take(l->claims, dcid, dcid_len,
	    (uint32_t)(now / 1000000000ull), NFQD_QCLAIM_LIFE, ref)) {
	case NFQD_QCLAIM_TAKEN:
		return true;
	case NFQD_QCLAIM_FULL:
		l->claims_full++;
		quic_alone(l, pi, pay);
		break;
	case NFQD_QCLAIM_HELD:
		/* Read once more, kept nowhere, to see what it holds. */
		memset(&s, 0, sizeof(s));
		if (nfqd_quic_client(l->quic, &s, NULL, pay, pi->paylen,
		    &o) != NFQD_L7_BAD && o.read > 0 && !o.crypto_past) {
			quic_refresh(l, dcid, dcid_len, now);
			unknown(pi, NFQD_PKT_L7_PENDING);
		} else {
			l->quic_refused++;
			l->quic_claimed += o.read > 0;
			unknown(pi, NFQD_PKT_L7_ERROR);
		}
		break;
	}
	if (f->ra != NULL)
		ra_drop(l, f);
	nfqd_flow_touch(l->flows, f, NFQD_FC_UDP, now);
	return false;
}

/*
 * A client datagram of QUIC flow f whose hello is incomplete: read into
 * the flow's buffer, which is taken only while something was read and
 * the hello is incomplete.  A packet that added nothing because it was
 * refused (one a server discards too, or of a version nfqd does not read)
 * gets l7_error_verdict, as a TCP segment with a wrong checksum does; the
 * flow goes on.  So does an Initial of another connection on the same
 * ports (one that decrypts with the keys of its own connection ID) unless
 * the server asked the client to start afresh (a Retry, a Version
 * Negotiation): the server may hold bytes of this one that nfqd would
 * forget, and read the rest of a blocked hello later from datagrams nfqd
 * would read as a new connection's.
 */
static void
quic_client(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const uint8_t *data, uint32_t skbinfo, uint32_t indev, const uint8_t *pay,
    uint64_t now)
{
	struct nfqd_quic_conn	*c = qconn(f);
	struct nfqd_quic_out	 o;
	struct nfqd_qclaim_ref	 ref = { NULL, 0 };
	enum nfqd_l7_res	 res;
	bool			 said;

	if (quic_unseen(l, f, pi, data, skbinfo)) {
		unknown(pi, NFQD_PKT_L7_ERROR);
		return;
	}
	if (c->version == 0 && !quic_claimed(l, f, pi, pay, now, &ref))
		return;
	if (f->ra == NULL && (f->ra = nfqd_reasm_get(l->pool, 0)) == NULL) {
		nfqd_qclaim_undo(&ref);
		l->reasm_full++;
		quic_alone(l, pi, pay);
		nfqd_flow_touch(l->flows, f, NFQD_FC_UDP, now);
		return;
	}
	res = nfqd_quic_client(l->quic, c, f->ra, pay, pi->paylen, &o);
	if (o.new_conn) {
		if (!c->restart_ok) {
			l->quic_refused++;
			unknown(pi, NFQD_PKT_L7_ERROR);
			return;
		}
		/* Another connection on the same ports: start it afresh,
		   with its own ID claimed. */
		memset(c, 0, sizeof(*c));
		nfqd_reasm_put(l->pool, f->ra);
		f->ra = NULL;
		if (!quic_claimed(l, f, pi, pay, now, &ref))
			return;
		f->ra = nfqd_reasm_get(l->pool, 0);	/* the one just put */
		res = nfqd_quic_client(l->quic, c, f->ra, pay, pi->paylen, &o);
	}
	if (c->version == 0)
		nfqd_qclaim_undo(&ref);		/* nothing read for it */
	else if (ref.slot != NULL)
		l->claims_taken++;
	else if (o.read > 0)
		quic_refresh(l, c->dcid, c->dcid_len, now);
	l->quic_refused += o.refused;
	quic_ttl(f, pi, data, indev);
	/* A hello whole with bytes past it (quic_first()) is said to the
	   rules as one before a packet refused is. */
	said = o.hello_before;
	if (res == NFQD_L7_DONE && (res = quic_first(l, f, &o)) ==
	    NFQD_L7_BAD)
		said = true;
	switch (res) {
	case NFQD_L7_DONE:
		l7_settle(l, f, pi, res);
		nfqd_flow_touch(l->flows, f, NFQD_FC_UDP, now);
		return;
	case NFQD_L7_BAD:
		l->l7_errors++;
		if (o.why == NFQD_QUIC_R_CONFLICT)
			l->conflicts++;
		if (said) {
			l7_from_tls(l, fields(f), &o.hello, NFQD_L7P_QUIC);
			l->names[NFQD_L7P_QUIC]++;
		}
		l7_settle(l, f, pi, res);
		if (said) {
			/* What the packets before the one refused said goes
			 * to the rules: a verdict of theirs other than
			 * accept stands (the engine, l->unread). */
			known_unread(l, pi, fields(f),
			    NFQD_PKT_L7_ERROR);
		}
		nfqd_flow_touch(l->flows, f, NFQD_FC_UDP, now);
		return;
	case NFQD_L7_NOT:
		/* Not QUIC, and nothing of it read yet: no fields. */
		break;
	default:
		if (o.read == 0 && o.refused > 0)
			unknown(pi, NFQD_PKT_L7_ERROR);
		else
			unknown(pi, NFQD_PKT_L7_PENDING);
		break;
	}
	if (nfqd_reasm_contig(f->ra) == 0 && c->version == 0)
		ra_drop(l, f);
	nfqd_flow_touch(l->flows, f, f->ra != NULL ? NFQD_FC_REASM :
	    NFQD_FC_UDP, now);
}

/* What a client datagram of a decided QUIC flow gets (quic_later()). */
enum later_res {
	L_FLOW,		/* the flow's outcome */
	L_REFUSE,	/* l7_error_verdict, the flow unchanged */
	L_UNTRACKED,	/* flows.full_verdict: no buffer for a second hello */
	L_BAD,		/* l7_error_verdict, and the flow's from now on */
	L_OTHER,	/* the same, and the packet carries a second hello
			   read whole (l->scratch) for the rules */
	L_RESTART	/* a new connection the server asked for: read afresh */
};

/*
 * The second hello h of QUIC flow f, read whole (used: its length), with
 * cut: whether CRYPTO bytes lie past it.  It must offer what the first
 * did, which the flow was decided on (RFC 8446 4.1.2 lets a client change
 * its key shares, early_data, cookie, pre_shared_key and padding, not the
 * server name, ALPN or ECH): else, or with bytes past it, L_OTHER: the
 * rules see it, and a verdict of theirs other than accept stands whatever
 * l7_error_verdict says.
 */
static enum later_res
quic_second(struct nfqd_l7 *l, struct nfqd_flow *f,
    const struct nfqd_tls_hello *h, bool past)
{
	const struct nfqd_l7fields	*fl = fields(f);
	struct nfqd_l7fields		*s2 = &l->scratch;

	l7_from_tls(l, s2, h, NFQD_L7P_QUIC);
	if (past || s2->name_len != fl->name_len ||
	    memcmp(s2->name, fl->name, fl->name_len) != 0 ||
	    s2->alpn_len != fl->alpn_len || s2->alpn_cut != fl->alpn_cut ||
	    memcmp(s2->alpn, fl->alpn, fl->alpn_len) != 0 ||
	    s2->ech != fl->ech) {
		l->names[NFQD_L7P_QUIC]++;
		l->l7_errors++;
		return L_OTHER;
	}
	qid(f)->second = 1;
	l->second_hellos++;
	l->names[NFQD_L7P_QUIC]++;
	return L_FLOW;
}

/*
 * A client datagram with an Initial on QUIC flow f, decided on its first
 * hello (F_QKEPT): read with the connection's keys derived again.  A
 * TLS 1.3 server that cannot use the hello's key shares answers with a
 * HelloRetryRequest, and the client sends a second ClientHello in CRYPTO
 * data after the first; a server may read another name there (OpenSSL's
 * does).  With flows.hello_retry, CRYPTO bytes from the first hello's end
 * on are put together in a buffer (taken when the first come) and read as
 * the second hello (quic_second()).  An Initial with bytes before it is
 * refused unless the flow's verdict is other than accept: nfqd keeps no
 * copy of them, and a server that never got the first copy (lost past
 * nfqd, discarded for its token) reads them as its hello.  Once a
 * second hello was read, CRYPTO bytes past the first are refused: nothing
 * could compare them with what was read.  Initials the server would not
 * read (another connection ID, a packet number of 64 or more, ...) are
 * refused, unlike a passed-over 0-RTT, Handshake or short-header packet;
 * so is a new connection on the same ports, unless the server asked the
 * client to start afresh.  The server's ID, when nfqd never saw the
 * server's side, is the first other ID the client's Initials decrypt
 * for.
 */
static enum later_res
quic_later(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const uint8_t *pay, uint64_t now)
{
	struct nfqd_quic_id	*id = qid(f);
	struct nfqd_quic_conn	 c, c0;
	struct nfqd_quic_out	 o;
	enum nfqd_l7_res	 res;
	bool			 second = l->hello_retry && !id->second;

	if (nfqd_quic_resume(l->quic, id, &c0) != 0) {
		l->l7_errors++;
		return L_REFUSE;
	}
	c = c0;
	res = nfqd_quic_client(l->quic, &c, NULL, pay, pi->paylen, &o);
	if (o.crypto_before && res != NFQD_L7_BAD && !o.new_conn &&
	    (!f->decided || f->verdict == NF_ACCEPT)) {
		/* CRYPTO bytes before the first hello's end: nfqd keeps
		 * none to compare them with, and the server may not hold
		 * the first copy (a datagram lost past nfqd, or one it
		 * discarded: a token it refused, a datagram that does not
		 * open with an Initial), in which case it reads these.  A
		 * flow's verdict other than accept stands. */
		l->quic_refused++;
		return L_REFUSE;
	}
	if (second && o.crypto_past && res != NFQD_L7_BAD && !o.new_conn) {
		/* A second hello: read the datagram again, kept. */
		if (f->ra == NULL && (f->ra = nfqd_reasm_get(l->pool,
		    id->hello_end)) == NULL) {
			l->reasm_full++;
			return L_UNTRACKED;
		}
		c = c0;		/* the keys are derived once */
		res = nfqd_quic_client(l->quic, &c, f->ra, pay, pi->paylen,
		    &o);
	}
	if (o.new_conn) {
		if (id->restart_ok)
			return L_RESTART;
		l->quic_refused++;
		return L_REFUSE;
	}
	l->quic_refused += o.refused;
	if (o.read > 0)
		quic_refresh(l, id->dcid, id->dcid_len, now);
	if (c.has_scid && !id->has_scid) {
		id->scid_len = c.scid_len;
		memcpy(id->scid, c.scid, sizeof(id->scid));
		id->has_scid = 1;
	}
	switch (res) {
	case NFQD_L7_BAD:
		l->l7_errors++;
		if (o.why == NFQD_QUIC_R_CONFLICT)
			l->conflicts++;
		return L_BAD;
	case NFQD_L7_DONE:
		return quic_second(l, f, &o.hello,
		    past_hello(f->ra, o.hello.used));
	default:
		break;
	}
	if (o.read == 0 && o.refused > 0)
		return L_REFUSE;
	if (id->second && l->hello_retry && o.crypto_past) {
		l->quic_refused++;
		return L_REFUSE;
	}
	return L_FLOW;
}

/*
 * A datagram of QUIC flow f whose hello is final (DONE or BAD), from
 * direction dir: its outcome, and false when the flow was ended (a new
 * connection the server asked for: the caller reads it afresh).
 */
static bool
quic_decided(struct nfqd_l7 *l, struct nfqd_flow *f, int dir,
    struct nfqd_pkt *pi, const uint8_t *data, uint32_t skbinfo,
    uint32_t indev, const uint8_t *pay, uint64_t now, struct nfqd_flow **fp)
{
	enum later_res	r = L_FLOW;

	if (dir != f->client) {
		/* The server's: a Retry, its ID. */
		quic_server(f, pay, pi->paylen, indev);
	} else if (!nfqd_quic_has_initial(pay, pi->paylen)) {
		/* 0-RTT, Handshake, short header: no hello in them. */
	} else if (f->l7res == NFQD_L7_BAD || !(f->flags & F_QKEPT)) {
		if (quic_restart_ok(f) &&
		    nfqd_quic_opens(l->quic, pay, pi->paylen))
			r = L_RESTART;
	} else if (quic_unseen(l, f, pi, data, skbinfo)) {
		r = L_REFUSE;
	} else {
		r = quic_later(l, f, pi, pay, now);
	}
	switch (r) {
	case L_RESTART:
		nfqd_flow_end(l->flows, f);
		return false;
	case L_REFUSE:
		unknown(pi, NFQD_PKT_L7_ERROR);
		return true;
	case L_UNTRACKED:
		unknown(pi, NFQD_PKT_L7_UNTRACKED);
		return true;
	case L_BAD:
	case L_OTHER:
		/* Decided no more: every later packet gets l7_error. */
		ra_drop(l, f);
		f->decided = 0;
		f->l7res = NFQD_L7_BAD;
		break;
	case L_FLOW:
		if (f->ra != NULL && qid(f)->second)
			ra_drop(l, f);
		break;
	}
	*fp = f;
	quic_final(f, pi);
	if (r == L_OTHER)
		known_unread(l, pi, &l->scratch, NFQD_PKT_L7_ERROR);
	nfqd_flow_touch(l->flows, f, f->ra != NULL ? NFQD_FC_REASM :
	    NFQD_FC_UDP, now);
	return true;
}

/*
 * A UDP datagram on another port than DNS's: QUIC.  A flow is made by a
 * datagram that could be a client's first flight (nfqd_quic_maybe()) and
 * ends like a TCP one; other datagrams without a flow have no fields.  A
 * flow is one connection (quic_client(), quic_decided()): a new one on
 * the same ports is read afresh only when the server asked the client to
 * start afresh (a Retry, a Version Negotiation); until then its Initials
 * get l7_error_verdict, and they do not keep the flow alive.
 */
/*
 * A client's UDP GSO packet (NFQA_SKB_GSO: a sendmsg() with UDP_SEGMENT,
 * on a host or from a container) is several datagrams, cut apart after
 * the verdict where nfqd cannot see: one that may hold an Initial nfqd
 * would not read where a datagram starts (nfqd_quic_gso_hidden()) gets
 * l7_error_verdict, counted in l7_quic_refused.  Others are read as one
 * datagram of coalesced packets, which shows nfqd every Initial the
 * server reads.
 */
static bool
quic_gso_refused(struct nfqd_l7 *l, struct nfqd_pkt *pi, uint32_t skbinfo,
    const uint8_t *pay)
{
	if (!(skbinfo & NFQA_SKB_GSO) ||
	    !nfqd_quic_gso_hidden(pay, pi->paylen))
		return false;
	l->quic_refused++;
	unknown(pi, NFQD_PKT_L7_ERROR);
	return true;
}

static void
quic_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *data,
    uint32_t skbinfo, uint32_t indev, const uint8_t *pay, uint64_t now,
    const struct nfqd_flow_hint *hint, struct nfqd_flow **fp)
{
	struct nfqd_flow_key	 k;
	struct nfqd_flow	*f;
	uint32_t		 h;
	int			 dir;

	nfqd_flow_key_make(&k, pi->family, pi->proto, pi->saddr, pi->daddr,
	    pi->sport, pi->dport, &dir);
	h = key_hash(l, &k, hint);
	f = nfqd_flow_find_hashed(l->flows, &k, h, now);
	if (f != NULL && f->l7res != NFQD_L7_MORE) {
		if (dir == f->client && quic_gso_refused(l, pi, skbinfo, pay))
			return;
		if (quic_decided(l, f, dir, pi, data, skbinfo, indev, pay, now,
		    fp))
			return;
		f = NULL;
	}
	if (f == NULL && quic_gso_refused(l, pi, skbinfo, pay))
		return;
	if (f == NULL) {
		if (!nfqd_quic_maybe(pay, pi->paylen))
			return;		/* no fields: not QUIC's first flight */
		if ((f = nfqd_flow_add_hashed(l->flows, &k, h, NFQD_FC_UDP,
		    now)) == NULL) {
			quic_alone(l, pi, pay);
			return;
		}
		f->client = (uint8_t)dir;
		f->flags |= F_CLIENT | F_QUIC;
	}
	*fp = f;
	/*
	 * Until an Initial decrypts, either side may be the client: a flow
	 * first seen from the server's side (its worker replaced) still
	 * reads the client's next Initial.
	 */
	if (qconn(f)->version == 0)
		f->client = (uint8_t)dir;
	if (dir != f->client) {
		/* The server's: the connection ID it chose, a Retry. */
		quic_server(f, pay, pi->paylen, indev);
		unknown(pi, NFQD_PKT_L7_PENDING);
		nfqd_flow_touch(l->flows, f, f->ra != NULL ? NFQD_FC_REASM :
		    NFQD_FC_UDP, now);
	} else if (!quic_gso_refused(l, pi, skbinfo, pay)) {
		quic_client(l, f, pi, data, skbinfo, indev, pay, now);
	}
}

/*
 * A datagram from port 53 to another port: a DNS answer, or a QUIC
 * client that sends from port 53 (its server reads its Initials whatever
 * the port they come from).  QUIC when it could be a client's first
 * flight, or a QUIC flow holds its ports already (its later packets).
 */
static bool
quic_from_dns_port(struct nfqd_l7 *l, const struct nfqd_pkt *pi,
    const uint8_t *pay, uint64_t now, const struct nfqd_flow_hint *hint)
{
	struct nfqd_flow_key	 k;
	int			 dir;

	if (nfqd_quic_maybe(pay, pi->paylen))
		return true;
	nfqd_flow_key_make(&k, pi->family, pi->proto, pi->saddr, pi->daddr,
	    pi->sport, pi->dport, &dir);
	return nfqd_flow_find_hashed(l->flows, &k, key_hash(l, &k, hint),
	    now) != NULL;
}

/* A DNS datagram: each is read on its own, flow or not. */
void
l7_udp_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *data,
    uint32_t skbinfo, uint32_t indev, uint64_t now,
    const struct nfqd_flow_hint *hint, struct nfqd_flow **fp)
{
	const uint8_t		*pay = data + pi->payoff;
	struct nfqd_dns_query	 q;
	enum nfqd_l7_res	 res;

	if (pi->dport != DNS_PORT && (pi->sport != DNS_PORT ||
	    quic_from_dns_port(l, pi, pay, now, hint))) {
		quic_packet(l, pi, data, skbinfo, indev, pay, now, hint, fp);
		return;
	}
	if ((skbinfo & NFQA_SKB_GSO) && pi->dport == DNS_PORT) {
		/*
		 * A UDP GSO packet (a sendmsg() with UDP_SEGMENT) is several
		 * queries, cut apart after the verdict at a size nfqueue
		 * does not say: nfqd cannot read past the first, which a
		 * server answers apart.  No resolver's client sends so.
		 */
		l->l7_errors++;
		unknown(pi, NFQD_PKT_L7_ERROR);
		return;
	}
	res = nfqd_dns_msg_parse(pay, pi->paylen, &q);
	if (res == NFQD_L7_DONE) {
		l7_from_dns(&l->scratch, &q);
		l->names[NFQD_L7P_DNS]++;
		known(pi, &l->scratch);
	} else if (res == NFQD_L7_NOT) {
		memset(&l->scratch, 0, sizeof(l->scratch));
		l->names[NFQD_L7P_NONE]++;
		known(pi, &l->scratch);
	} else {
		l->l7_errors++;
		unknown(pi, NFQD_PKT_L7_ERROR);
	}
}
