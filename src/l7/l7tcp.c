/*
 * A TCP segment for the application layer (l7.c): its flow's client
 * stream followed (SYNs and the bytes they carry; options, what the
 * server's TCP would discard and the window are tcpseg.c's), its first
 * message read in place or reassembled (what its bytes are: l7first.c),
 * then what follows handed to l7second.c or l7later.c; segments without
 * a flow, and a DNS-over-TCP connection's later queries, read on their
 * own.
 */
#include <string.h>

#include "nfqd/l7.h"
#include "nfqd/l7/dns.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/netorder.h"
#include "nfqd/pkt.h"

#include "l7int.h"

/*
 * Whether bytes buf[before..contig) can change a parse's MORE: not before
 * the stream reaches need (TLS, DNS, HTTP/2: their lengths say how long),
 * and for HTTP/1.x (need 0) only while the start is short enough to be
 * told from other protocols, or when a line ends.  A client that sends
 * its hello a byte at a time then costs a parse per record, frame or
 * line, not per byte.
 */
static bool
worth_parsing(const struct nfqd_flow *f, const uint8_t *buf, size_t before,
    size_t contig)
{
	if (f->need != 0)
		return contig >= f->need;
	return contig <= 64 ||
	    memchr(buf + before, '\n', contig - before) != NULL;
}

/*
 * DNS over TCP: b[0..n) starts with a whole query, the packet's fields.
 * A server reads the queries after it in the same bytes as well (one
 * after another, pipelined): each whole one goes to l->more[], for the
 * rules after the first (the engine's decide_more()).  Anything else
 * there (part of a query, an answer, more than NFQD_L7_MORE_MAX) makes
 * an accept of the packet l7_error_verdict's (l->unread): a query cut at
 * a segment's end is refused, as dns_next() refuses its rest.
 */
static void
dns_rest(struct nfqd_l7 *l, const uint8_t *b, size_t n)
{
	struct nfqd_dns_query	q;
	size_t			off, used;

	if (n < 2)
		return;
	off = 2 + ((size_t)b[0] << 8 | b[1]);
	while (off < n) {
		if (l->nmore == NFQD_L7_MORE_MAX || nfqd_dns_tcp_parse(b + off,
		    n - off, &q, &used) != NFQD_L7_DONE || q.response) {
			l->l7_errors++;
			l->unread = NFQD_PKT_L7_ERROR;
			return;
		}
		l7_from_dns(&l->more[l->nmore++], &q);
		l->names[NFQD_L7P_DNS]++;
		off += used;
	}
}

/* Whether b[0..n) starts with a whole DNS-over-TCP message. */
static bool
dns_whole(const uint8_t *b, size_t n)
{
	return n >= 2 && n >= 2 + ((size_t)b[0] << 8 | b[1]);
}

/*
 * A later segment of a DNS-over-TCP connection: read when it starts with
 * a whole query (as clients send them), with the queries after it
 * (dns_rest()); one that starts with part of one cannot be matched and
 * is an error.
 */
static void
dns_next(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *pay)
{
	struct nfqd_dns_query	q;
	size_t			used;

	if (nfqd_dns_tcp_parse(pay, pi->paylen, &q, &used) == NFQD_L7_DONE &&
	    !q.response) {
		l7_from_dns(&l->scratch, &q);
		l->names[NFQD_L7P_DNS]++;
		known(pi, &l->scratch);
		dns_rest(l, pay, pi->paylen);
		return;
	}
	l->l7_errors++;
	unknown(pi, NFQD_PKT_L7_ERROR);
}

/*
 * A packet without a flow (no room for one) or of a flow seen first in
 * its middle: where its stream starts is not known, so nothing is
 * reassembled.  A packet that holds a whole message is read; one that
 * starts a message it does not hold gets flows.full_verdict (so a message
 * split over segments cannot complete unread: its first segment never
 * passes); any other packet has no fields, unless it carries the pending
 * mark: then its connection was being read when its flow was lost (a
 * worker replaced, a lost flow evicted or idle past tcp_timeout), and
 * it may be the rest of a hello nfqd can no longer read.
 */
static enum nfqd_l7_res
alone(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *pay,
    uint32_t len, bool dns, bool pending, struct nfqd_l7fields *f)
{
	enum nfqd_l7_res	res;
	uint32_t		need;

	if (len == 0) {
		/*
		 * No fields.  With the pending mark (only the no-flow path
		 * has none here) its connection is being read: it passes
		 * pending, as a flow's does (l7_tcp_packet()), for an accept
		 * would take the mark off the connection, and its next
		 * requests would pass unread (alone_http()).
		 */
		if (pending)
			unknown(pi, NFQD_PKT_L7_PENDING);
		return NFQD_L7_NOT;	/* else pi is as parsed */
	}
	res = l7_parse_stream(l, pay, len, dns, f, &need);
	if (res == NFQD_L7_DONE) {
		known(pi, f);
		if (dns)
			dns_rest(l, pay, len);
	} else if (res == NFQD_L7_MORE || pending) {
		unknown(pi, NFQD_PKT_L7_UNTRACKED);
	} else if (res == NFQD_L7_BAD) {
		unknown(pi, NFQD_PKT_L7_ERROR);
	} else {
		memset(f, 0, sizeof(*f));
		known(pi, f);
	}
	return res;
}

/*
 * A packet without a flow that alone() read a whole first HTTP request in
 * (f, l->req): where later requests are read (l7_reads_later()), the
 * server reads on past it, and nfqd, with no flow, cannot.  So the rules'
 * accept of it is tentative (l->tentative: the packet passes pending, with
 * the mark or without, and the connection's next packets come back, read
 * as a picked-up flow's once an entry is free, midstream()), and bytes
 * after the request in the packet (pipelined requests, a body), read by
 * the server and not by nfqd, give an accept flows.full_verdict's
 * (l->unread); a verdict of the rules other than accept stands.  Before,
 * an accept of the first request passed a blocked one after it, and took
 * the connection's pending mark off, so its later requests went unread.
 */
static void
alone_http(struct nfqd_l7 *l, struct nfqd_pkt *pi, uint32_t len,
    const struct nfqd_l7fields *f)
{
	if (!l7_reads_later(l, f, false))
		return;
	l->tentative = true;
	if (l->req.used < len)
		known_unread(l, pi, f, NFQD_PKT_L7_UNTRACKED);
}

/*
 * Client bytes at stream offset off (from seq0).  The common case, the
 * whole message in the first segment, is parsed in place; anything else
 * goes through a reassembly buffer.
 */
static enum nfqd_l7_res
client_bytes(struct nfqd_l7 *l, struct nfqd_flow *f, uint32_t seq,
    const uint8_t *pay, uint32_t len, bool dns)
{
	struct nfqd_l7fields	*fl = fields(f);
	enum nfqd_l7_res	 res;
	unsigned		 flags = 0;
	size_t			 before, contig;
	const uint8_t		*buf;

	if (f->ra == NULL && seq == f->seq0) {
		res = l7_parse_stream(l, pay, len, dns, fl, &f->need);
		if (res != NFQD_L7_MORE)
			return res;
	}
	if (f->ra == NULL && (f->ra = nfqd_reasm_get(l->pool, f->seq0)) == NULL) {
		l->reasm_full++;
		return NFQD_L7_MORE;	/* the caller sees no buffer */
	}
	before = nfqd_reasm_contig(f->ra);
	if (nfqd_reasm_add(f->ra, seq, pay, len, &flags) ==
	    NFQD_REASM_CONFLICT) {
		l->conflicts++;
		l->l7_errors++;
		return NFQD_L7_BAD;
	}
	contig = nfqd_reasm_contig(f->ra);
	buf = nfqd_reasm_data(f->ra);
	if (contig == before || !worth_parsing(f, buf, before, contig))
		return NFQD_L7_MORE;
	res = l7_parse_stream(l, buf, contig, dns, fl, &f->need);
	if (res == NFQD_L7_MORE && contig >= NFQD_REASM_MAX) {
		/* It does not fit: the parsers say so themselves too. */
		l->l7_errors++;
		res = NFQD_L7_BAD;
	}
	return res;
}

/*
 * Whether client bytes at seq lie outside flow f's window: any of them
 * before stream byte 0 (no client sends those after its SYN), or the
 * first at or past NFQD_REASM_MAX.  Read modulo 2^32, as reasm does.
 */
static bool
outside(struct nfqd_flow *f, uint32_t seq)
{
	int32_t		off = (int32_t)(seq - f->seq0);
	uint32_t	end = NFQD_REASM_MAX;

	/* After a first hello, the window starts where reading goes on. */
	if (f->flags & F_RETRY)
		end += second(f)->off;
	return off < 0 || (uint32_t)off >= end;
}

/*
 * Whether client bytes at seq, len of them (the first inside flow f's
 * window: outside()), reach past it where the segment cannot complete the
 * first message now: a SYN's (an accept of its data waits, and the
 * server may take them), ones past a gap in what is kept, or past the
 * SYN's bytes not yet sent again (syn_again()).  The buffer keeps none of
 * them past the window, and the server reads them after the first
 * message, so the segment is refused as outside() refuses one; the flow
 * goes on, and the client sends it again.  The segment that completes
 * the message has them read after it (l7later.c hfirst()).  The second
 * hello's window (F_RETRY) is l7second.c's.
 */
static bool
past_window(struct nfqd_flow *f, uint32_t seq, uint32_t len, bool syn)
{
	uint32_t	off = seq - f->seq0;

	if ((f->flags & F_RETRY) || (uint64_t)off + len <= NFQD_REASM_MAX)
		return false;
	if (syn || off > (f->ra != NULL ? nfqd_reasm_contig(f->ra) : 0))
		return true;
	return (f->flags & (F_SYNDATA | F_TFO)) == F_SYNDATA &&
	    off > syndata(f)->again;
}

/*
 * A flow seen first in its middle: see alone(); a whole message is kept.
 * An HTTP request whole from the segment's first byte on a connection
 * with the pending mark (nfqd was reading its later requests when the
 * flow went: evicted from a full table, a worker replaced) is read as a
 * first request, and the requests after it as a first one's are
 * (l7_hstart()), from this segment on: decided on it, the connection
 * would leave nfqd, its pending mark cleared, and the server would read
 * the requests after it (pipelined in the same segment, or sent later)
 * unread.  True when the flow's class is set.
 */
static bool
midstream(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    uint32_t seq, int dir, const uint8_t *pay, uint32_t len, bool dns,
    bool pending, enum nfqd_flow_class cls, uint64_t now)
{
	uint16_t	flags = f->flags;
	uint32_t	seq0 = f->seq0;
	uint8_t		client = f->client;

	if (alone(l, pi, pay, len, dns, pending, fields(f)) != NFQD_L7_DONE)
		return false;
	if (pending && l->req.valid) {
		f->flags = (uint16_t)((f->flags & ~F_MIDSTREAM) | F_CLIENT |
		    F_SENT | F_PICKED);
		f->client = (uint8_t)dir;
		f->seq0 = seq;
		l->consumed = true;
		if (l7_hstart(l, f, pi, seq, pay, len, cls, now))
			return true;
		/*
		 * Not read on (flows.http_requests = "first"): decided as
		 * seen from the middle, as it was.  A client and a byte 0
		 * would have a SYN at seq - 1 taken for this connection's
		 * own, not restart the flow (l7_tcp_packet()), and the
		 * new connection pass with this request's verdict.
		 */
		f->flags = flags;
		f->seq0 = seq0;
		f->client = client;
	}
	l7_settle(l, f, pi, NFQD_L7_DONE);
	return false;
}

/*
 * Client bytes that came with a SYN (res: what the stream reads now,
 * not BAD).  Linux keeps a SYN's data only with a valid TCP Fast Open
 * cookie; otherwise it drops them and the client sends them again after
 * the handshake, and nfqd, which sees the client alone, cannot tell.  So
 * they are read (a blocked hello is dropped at once: the rules see the
 * fields, and a decision other than accept stands, nfqd_l7_decided()),
 * but an accept is tentative (l->tentative): the SYN passes pending and
 * the flow keeps the bytes until they are sent again (syn_again()), each
 * copy compared with them.  A server that takes them reads the messages
 * pipelined after the first there at once (DNS queries, HTTP requests, a
 * second TLS hello): they go to the rules with the SYN too (l7_hsyn()).
 */
static void
syn_bytes(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const uint8_t *pay, uint32_t len, bool dns, enum nfqd_l7_res res,
    uint32_t indev, enum nfqd_flow_class cls, uint64_t now)
{
	struct syndata	*sd = syndata(f);

	/*
	 * The SYN sent again, its bytes kept: the stream did not grow, so
	 * client_bytes() did not read it.  Read again, as syn_again() does
	 * the copies after the handshake: a rule that decides no flow (a
	 * DNS query's) dropped the first, and a server that takes this one
	 * reads the same messages.
	 */
	if (res == NFQD_L7_MORE && f->ra != NULL && (f->flags & F_SYNDATA)) {
		res = l7_parse_stream(l, nfqd_reasm_data(f->ra),
		    nfqd_reasm_contig(f->ra), dns, fields(f), &f->need);
		if (res == NFQD_L7_BAD) {
			/* Bytes kept past the SYN's, not parsed when they
			 * came (worth_parsing()), are no message: this
			 * copy is refused; the flow goes on. */
			unknown(pi, NFQD_PKT_L7_ERROR);
			return;
		}
	}
	/* Parsed in place: kept now (a first copy, no conflict). */
	if (f->ra == NULL && res != NFQD_L7_MORE) {
		if ((f->ra = nfqd_reasm_get(l->pool, f->seq0)) == NULL)
			l->reasm_full++;
		else
			(void) nfqd_reasm_add(f->ra, f->seq0, pay, len, NULL);
	}
	if (f->ra != NULL) {
		if (!(f->flags & F_SYNDATA)) {
			f->flags |= F_SYNDATA;
			sd->end = sd->again = 0;
			sd->indev = indev;
		}
		if (len > NFQD_REASM_MAX)
			len = NFQD_REASM_MAX;
		if (len > sd->end)
			sd->end = (uint16_t)len;
	}
	if (res == NFQD_L7_MORE && f->ra == NULL) {
		unknown(pi, NFQD_PKT_L7_UNTRACKED);
	} else if (res == NFQD_L7_MORE) {
		unknown(pi, NFQD_PKT_L7_PENDING);
	} else if (res == NFQD_L7_DONE && f->ra != NULL) {
		l7_hsyn(l, f, pi, nfqd_reasm_data(f->ra),
		    (uint32_t)nfqd_reasm_contig(f->ra));
	} else if (res == NFQD_L7_DONE) {
		l7_hsyn(l, f, pi, pay, len);
	} else {
		known(pi, fields(f));
		l->tentative = true;
	}
	nfqd_flow_touch(l->flows, f, unless_closing(cls, f->ra != NULL ?
	    NFQD_FC_REASM : NFQD_FC_WAIT), now);
}

/*
 * A later segment's bytes at seq, len of them, added to a flow that holds
 * a SYN's bytes (*res: what the stream reads now).  False while the SYN's
 * bytes are not all sent again from byte 0 on, and the server's SYN-ACK
 * did not take them (F_TFO): a server that dropped them reads the later
 * copies, which may still differ.  True when the flow decides as any
 * other now, on *res (parsed again when the stream did not grow).
 */
static bool
syn_again(struct nfqd_l7 *l, struct nfqd_flow *f, uint32_t seq,
    uint32_t len, bool dns, enum nfqd_l7_res *res)
{
	struct syndata	*sd = syndata(f);
	uint32_t	 off = seq - f->seq0, end;

	end = off + len < NFQD_REASM_MAX ? off + len : NFQD_REASM_MAX;
	if (off <= sd->again && end > sd->again)
		sd->again = (uint16_t)end;
	if (sd->again < sd->end && !(f->flags & F_TFO))
		return false;
	f->flags &= (uint16_t)~(F_SYNDATA | F_TFO);
	if (*res == NFQD_L7_MORE) {
		*res = l7_parse_stream(l, nfqd_reasm_data(f->ra),
		    nfqd_reasm_contig(f->ra), dns, fields(f), &f->need);
		if (*res == NFQD_L7_MORE &&
		    nfqd_reasm_contig(f->ra) >= NFQD_REASM_MAX) {
			l->l7_errors++;		/* as client_bytes() */
			*res = NFQD_L7_BAD;
		}
	}
	return true;
}

/*
 * Whether a client SYN with another sequence number (or a SYN from the
 * other end) on flow f opens a new connection, read afresh.  Linux
 * answers a SYN on a synchronized connection with a challenge ACK and
 * discards it (RFC 5961 4.2), and conntrack passes it with the old
 * connection; were the flow restarted, the real hello would lie outside
 * the new window (never read: every segment passing pending), or bytes
 * the server discards as old would be read as the hello.  So a flow whose
 * first message is unread and whose client sent more than SYNs keeps its
 * sequence numbers.  A decided flow is restarted (the port reused, its
 * FIN perhaps never seen past the connbytes window), and so is one that
 * saw only SYNs.  A closing one (FIN or RST seen) is restarted unless the
 * SYN carries the pending mark: the documented rules restore it from the
 * connection, so conntrack took the SYN for the old connection, still
 * open (a FIN, or a RST not at the next sequence number, does not end
 * it); a new connection's conntrack entry has no mark yet.  So is a lost
 * one (F_LOST): restarted by a SYN of a new conntrack entry, but not by
 * one conntrack gives the old connection, which a client could aim (its
 * sequence number one before the rest of its hello) to have that rest
 * read as byte 0 of a new stream.  So is one waiting for a second hello
 * (F_RETRY), closing or not: its first hello was read whole and accepted,
 * and every TLS 1.3 connection waits so for a round trip, so a client
 * that vanished then (no FIN, no RST) leaves such flows behind, and a new
 * connection on the same ports (a port reused, a NAT's) must not find its
 * hello refused as outside the old window until tcp_timeout.  The
 * pending mark still keeps a SYN that conntrack gives the old connection
 * from restarting it.
 */
static bool
syn_restarts(const struct nfqd_flow *f, bool pending)
{
	if (!(f->flags & F_CLIENT) || f->l7res != NFQD_L7_MORE ||
	    !(f->flags & F_SENT))
		return true;
	return (f->cls == NFQD_FC_CLOSING ||
	    (f->flags & (F_LOST | F_RETRY | F_HNEXT))) && !pending;
}

/*
 * A packet of a lost flow (see keep_lost()): the client's stream bytes are
 * not read, and get flows.full_verdict (whatever the server holds of the
 * hello, nfqd no longer knows where it ends); anything else passes as
 * before a decision.  A FIN or RST leaves it in WAIT: closing it again
 * would only end it sooner.
 */
static void
lost_packet(struct nfqd_l7 *l, struct nfqd_flow *f, struct nfqd_pkt *pi,
    const struct nfqd_reasm_span *sp, int dir, uint64_t now)
{
	if (sp->len > 0 && dir == f->client) {
		l->lost++;
		unknown(pi, NFQD_PKT_L7_UNTRACKED);
	} else {
		unknown(pi, NFQD_PKT_L7_PENDING);
	}
	nfqd_flow_touch(l->flows, f, NFQD_FC_WAIT, now);
}

void
l7_tcp_packet(struct nfqd_l7 *l, struct nfqd_pkt *pi, const uint8_t *data,
    uint32_t skbinfo, uint32_t indev, bool pending, uint64_t now,
    const struct nfqd_flow_hint *hint, struct nfqd_flow **fp)
{
	struct nfqd_flow_key	 k;
	struct nfqd_flow	*f;
	const uint8_t		*pay = data + pi->payoff;
	uint32_t		 seq = nfqd_get32(data + pi->l4off + 4), h;
	uint8_t			 th = pi->tcp_flags;
	bool			 syn = (th & (TH_SYN | TH_ACK)) == TH_SYN;
	/*
	 * DNS over TCP by the server's port where the client is known (its
	 * SYN seen): the bytes read are the client's, sent to it.  A
	 * client's own port says nothing: one that connects from port 53
	 * to a TLS or HTTP server sends it a hello or a request (read as
	 * DNS, its first two bytes a length of kilobytes, the whole
	 * exchange would pass pending).  A packet without a flow, or of a
	 * flow seen first in its middle, may be either side's: any
	 * packet to or from port 53 is DNS there (what a server sends is
	 * then no hello that could decide the flow).
	 */
	bool			 dns = pi->dport == DNS_PORT;
	bool			 dns_any = dns || pi->sport == DNS_PORT;
	struct nfqd_reasm_span	 sp;
	struct tcpopts		 o;
	enum nfqd_l7_res	 res;
	enum nfqd_flow_class	 cls;
	int			 dir;
	bool			 made = false, bad;

	/*
	 * The stream bytes the segment holds: a SYN's start after it, a
	 * RST's none (a receiver never delivers a RST's payload, so a hello
	 * read there would not be the one the server reads).
	 */
	nfqd_reasm_tcp_span(seq, pi->paylen, th, &sp);
	/*
	 * A client SYN that offers Multipath TCP (MP_CAPABLE, or MP_JOIN for
	 * another subflow) gets l7_error_verdict before anything of it is
	 * kept: with MPTCP the server's application reads the bytes in the
	 * data sequence the client maps onto its subflows' bytes with DSS
	 * options, as it likes (RFC 8684 3.3), not in the TCP sequence nfqd
	 * reads: an allowed hello nfqd reads could be mapped to bytes the
	 * server already had, a blocked one after it to the stream's start.
	 * Go (1.24 on) listens with MPTCP by default.  A Linux client falls
	 * back to plain TCP after its SYNs went unanswered (where it has
	 * net.mptcp.syn_retrans_before_tcp_fallback); docs/l7.md has the
	 * TCPOPTSTRIP rule that strips the option first.
	 */
	if (syn) {
		l7_tcp_opts(data + pi->l4off, pi->payoff - pi->l4off, &o);
		if (o.mptcp) {
			l->mptcp++;
			unknown(pi, NFQD_PKT_L7_ERROR);
			pi->reason = NFQD_PKT_R_MPTCP;
			return;
		}
	}
	nfqd_flow_key_make(&k, pi->family, pi->proto, pi->saddr, pi->daddr,
	    pi->sport, pi->dport, &dir);
	h = key_hash(l, &k, hint);
	f = nfqd_flow_find_hashed(l->flows, &k, h, now);
	/*
	 * A SYN with another sequence number on a known flow opens a new
	 * connection on the same addresses and ports: it must not inherit
	 * the old one's name or verdict.  One that does not (syn_restarts())
	 * is no stream data and passes as the flow's other packets before
	 * its decision do; one with a wrong checksum changes nothing.
	 */
	if (f != NULL && syn && (!(f->flags & F_CLIENT) ||
	    f->seq0 != seq + 1 || f->client != dir)) {
		if (!syn_restarts(f, pending)) {
			*fp = f;
			unknown(pi, NFQD_PKT_L7_PENDING);
			return;
		}
		if (!nfqd_l7_csum_ok(pi, data, skbinfo)) {
			l->bad_csum++;
			unknown(pi, NFQD_PKT_L7_ERROR);
			return;
		}
		nfqd_flow_end(l->flows, f);
		f = NULL;
	}
	if (f == NULL) {
		if ((f = nfqd_flow_add_hashed(l->flows, &k, h, NFQD_FC_WAIT,
		    now)) == NULL) {
			if (sp.len > 0 && !nfqd_l7_csum_ok(pi, data, skbinfo)) {
				l->bad_csum++;
				unknown(pi, NFQD_PKT_L7_ERROR);
			} else if (alone(l, pi, pay, sp.len, dns_any, pending,
			    &l->scratch) == NFQD_L7_DONE) {
				alone_http(l, pi, sp.len, &l->scratch);
			}
			return;
		}
		f->need = 1;
		made = true;
		if (syn) {
			f->client = (uint8_t)dir;
			f->seq0 = seq + 1;
			f->flags |= F_CLIENT;
			l7_client_syn(f, pi, data, indev, true);
		} else {
			f->flags |= F_MIDSTREAM;
		}
	}
	*fp = f;
	if ((f->flags & F_CLIENT) && dir == f->client && !syn)
		f->flags |= F_SENT;
	/* The same SYN again (another one ended the flow above). */
	if (syn && !made && f->l7res == NFQD_L7_MORE)
		l7_client_syn(f, pi, data, indev, false);
	cls = (enum nfqd_flow_class)f->cls;
	if (th & (TH_FIN | TH_RST))
		cls = NFQD_FC_CLOSING;
	else if (cls == NFQD_FC_REASM && f->ra == NULL)
		cls = NFQD_FC_WAIT;

	if (f->l7res == NFQD_L7_DONE && fields(f)->proto == NFQD_L7P_DNS &&
	    sp.len > 0 && dir == f->client && (f->seq0 != seq ||
	    dns_whole(pay, sp.len))) {
		/*
		 * A later query on the connection, or the first sent again
		 * whole (what came with it is read again too): read on its
		 * own.  The first sent again in part carries its fields.
		 */
		dns_next(l, pi, pay);
		nfqd_flow_touch(l->flows, f, cls, now);
		return;
	}
	if (f->l7res != NFQD_L7_MORE) {
		/* Final: every packet of the flow sees the same fields. */
		if (f->l7res == NFQD_L7_BAD)
			unknown(pi, NFQD_PKT_L7_ERROR);
		else
			known(pi, fields(f));
		if (cls == NFQD_FC_WAIT)
			cls = f->decided ? NFQD_FC_DECIDED : NFQD_FC_WAIT;
		nfqd_flow_touch(l->flows, f, cls, now);
		return;
	}
	if (f->flags & F_LOST) {
		lost_packet(l, f, pi, &sp, dir, now);
		return;
	}
	/*
	 * The server's SYN-ACK says whether it kept the SYN's data.  One
	 * that comes in where the SYN came in is the client's own: a
	 * gateway's server is on another interface, a host's sends it.
	 */
	if ((f->flags & F_SYNDATA) && dir != f->client &&
	    (th & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) &&
	    indev != syndata(f)->indev &&
	    (int32_t)(nfqd_get32(data + pi->l4off + 8) - f->seq0) > 0)
		f->flags |= F_TFO;	/* it acknowledged the SYN's data */
	if (sp.len == 0 || ((f->flags & F_CLIENT) && dir != f->client)) {
		/* Nothing of the client's first message here. */
		if ((f->flags & F_CLIENT) && dir != f->client) {
			l7_server_seg(f, pi, data, seq, &sp, indev);
		} else if ((f->flags & F_CLIENT) && !(th & (TH_SYN | TH_RST))) {
			l7_tcp_opts(data + pi->l4off, pi->payoff - pi->l4off, &o);
			l7_client_seen(f, pi, data, sp.seq, &o,
			    !l7_discarded(f, pi, data, &o));
		}
		unknown(pi, NFQD_PKT_L7_PENDING);
		nfqd_flow_touch(l->flows, f, cls, now);
		return;
	}
	if (!nfqd_l7_csum_ok(pi, data, skbinfo)) {
		l->bad_csum++;
		unknown(pi, NFQD_PKT_L7_ERROR);
		return;
	}
	if (f->flags & F_MIDSTREAM) {
		if (!midstream(l, f, pi, sp.seq, dir, pay, sp.len, dns_any,
		    pending, cls, now))
			nfqd_flow_touch(l->flows, f, cls, now);
		return;
	}
	if (!(f->flags & F_HNEXT) && (outside(f, sp.seq) ||
	    past_window(f, sp.seq, sp.len, (th & TH_SYN) != 0))) {
		/*
		 * Not this stream's bytes: before byte 0 (the old stream of
		 * a SYN that was no new connection, or of one that was), or
		 * past the window (some of them, where they cannot be read
		 * now).  Not read, not let through: the server may be
		 * reading them.  The flow goes on.
		 */
		l->l7_errors++;
		l->outside++;
		unknown(pi, NFQD_PKT_L7_ERROR);
		return;
	}
	if (!(th & TH_SYN)) {
		l7_tcp_opts(data + pi->l4off, pi->payoff - pi->l4off, &o);
		bad = l7_discarded(f, pi, data, &o);
		l7_client_seen(f, pi, data, sp.seq, &o, !bad);
		if (bad) {
			/*
			 * A segment the server's TCP discards: not read (a
			 * harmless hello there and the real one after would
			 * get the flow the harmless one's verdict), and
			 * dropped, which costs nothing.  The flow goes on.
			 */
			l->l7_errors++;
			l->discarded++;
			unknown(pi, NFQD_PKT_L7_ERROR);
			return;
		}
	}
	if (th & TH_URG) {
		/* Urgent data leaves the stream at some receivers only. */
		l->l7_errors++;
		res = NFQD_L7_BAD;
	} else if (f->flags & F_RETRY) {
		l7_second_packet(l, f, pi, sp.seq, pay, sp.len, cls, now);
		return;
	} else if (f->flags & F_HNEXT) {
		l7_hpacket(l, f, pi, sp.seq, pay, sp.len, cls, now);
		return;
	} else {
		/* A SYN's data (TCP Fast Open) starts after the SYN. */
		res = client_bytes(l, f, sp.seq, pay, sp.len, dns);
	}
	if (res != NFQD_L7_BAD && (th & TH_SYN)) {
		syn_bytes(l, f, pi, pay, sp.len, dns, res, indev, cls, now);
		return;
	}
	/*
	 * A SYN's bytes not yet sent again: the flow waits (a buffer holds
	 * them), whatever the stream reads now.
	 */
	if (res != NFQD_L7_BAD && (f->flags & F_SYNDATA) &&
	    !syn_again(l, f, sp.seq, sp.len, dns, &res))
		res = NFQD_L7_MORE;
	if (res == NFQD_L7_MORE) {
		if (f->ra == NULL) {
			/* No buffer: this segment cannot be read. */
			unknown(pi, NFQD_PKT_L7_UNTRACKED);
			nfqd_flow_touch(l->flows, f, cls, now);
			return;
		}
		unknown(pi, NFQD_PKT_L7_PENDING);
		nfqd_flow_touch(l->flows, f, unless_closing(cls,
		    NFQD_FC_REASM), now);
		return;
	}
	/* The first message is read: its bytes are not read again
	   (nfqd_l7 consumed; a SYN's are kept, above). */
	if (res == NFQD_L7_DONE)
		l->consumed = true;
	if (res == NFQD_L7_DONE &&
	    (l7_second_start(l, f, pi, sp.seq, pay, sp.len, cls, now) ||
	    l7_hstart(l, f, pi, sp.seq, pay, sp.len, cls, now) ||
	    l7_dstart(l, f, pi, sp.seq, pay, sp.len, cls, now)))
		return;
	if (res == NFQD_L7_DONE && dns) {
		/* The queries after the first, in place or in the buffer
		 * (earlier segments that passed pending with them). */
		if (f->ra != NULL)
			dns_rest(l, nfqd_reasm_data(f->ra),
			    nfqd_reasm_contig(f->ra));
		else
			dns_rest(l, pay, sp.len);
	}
	l7_settle(l, f, pi, res);
	nfqd_flow_touch(l->flows, f, unless_closing(cls, NFQD_FC_WAIT), now);
}
