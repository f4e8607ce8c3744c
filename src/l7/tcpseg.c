/*
 * What the server's TCP makes of a client's segment, for l7tcp.c: the
 * options it reads (timestamps, signatures), the SYNs it kept, the
 * server's own segments (the window, where its data comes from), and the
 * segments it would discard (PAWS, TTL, outside the window, a signature)
 * and so nfqd must not read.
 */
#include "nfqd/l7.h"
#include "nfqd/l7/flow.h"
#include "nfqd/l7/reasm.h"
#include "nfqd/netorder.h"
#include "nfqd/pkt.h"

#include "l7int.h"

/* TCP options (RFC 9293, 7323, 2385, 5925) */
#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_TS	8
#define TCPOPT_MD5	19
#define TCPOPT_AO	29
#define TCPOPT_MPTCP	30	/* RFC 8684 */

/*
 * The options of the TCP header at th, hl bytes long (20 or more, whole:
 * the packet parse checked it), read as Linux's tcp_parse_options() reads
 * them: up to an EOL, a length under 2 or one that runs past the header;
 * the last timestamp of length 10 counts.  A timestamp the server would
 * not see could only make nfqd refuse what the server reads (the client
 * sends it again); one it would see and nfqd missed would let nfqd read
 * what the server discards.  Any MD5 or AO option counts, whatever its
 * length: refused where Linux would ignore a malformed one, which no
 * client sends; so does any Multipath TCP option.
 */
void
l7_tcp_opts(const uint8_t *th, uint32_t hl, struct tcpopts *o)
{
	uint32_t	i = 20, n;

	o->tsval = 0;
	o->ts = o->sig = o->mptcp = false;
	while (i < hl && th[i] != TCPOPT_EOL) {
		if (th[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (hl - i < 2 || (n = th[i + 1]) < 2 || n > hl - i)
			break;
		if (th[i] == TCPOPT_TS && n == 10) {
			o->ts = true;
			o->tsval = nfqd_get32(th + i + 2);
		} else if (th[i] == TCPOPT_MD5 || th[i] == TCPOPT_AO) {
			o->sig = true;
		} else if (th[i] == TCPOPT_MPTCP) {
			o->mptcp = true;
		}
		i += n;
	}
}

/*
 * Whether timestamp tsval passes PAWS against ts_recent (RFC 7323 5):
 * not older.  Linux allows one tick older on a connection
 * (tcp_paws_discard(), TCP_PAWS_WINDOW) but none while the connection is
 * half open (tcp_check_req(): tcp_paws_reject() with no window), and
 * nfqd cannot tell the two apart: a client that skips the handshake's
 * ACK sends its decoy to a request socket.  No client sends new data
 * older than data it sent before, so only a copy of bytes already read
 * is refused by the tick.  A ts_recent of 0 checks nothing, as Linux's
 * does (some systems send 0 on their SYN).
 */
static inline bool
ts_ok(uint32_t ts_recent, uint32_t tsval)
{
	return (int32_t)(ts_recent - tsval) <= 0 || ts_recent == 0;
}

/*
 * A client SYN of flow f (first: the one that made the flow; the others
 * have its sequence number).  Later segments are checked against all of
 * them: nfqd cannot tell which one the server kept, so it takes the
 * strictest for each check: the highest TTL, a signature only if every
 * SYN had one, a timestamp if any had one, the newest.
 */
void
l7_client_syn(struct nfqd_flow *f, const struct nfqd_pkt *pi,
    const uint8_t *data, uint32_t indev, bool first)
{
	struct tcpopts	o;
	uint8_t		ttl = ip_ttl(pi, data);

	l7_tcp_opts(data + pi->l4off, pi->payoff - pi->l4off, &o);
	if (first) {
		f->ttl = ttl;
		if (o.sig)
			f->flags |= F_SIG;
		syndata(f)->indev = indev;
	} else {
		if (ttl > f->ttl)
			f->ttl = ttl;
		if (!o.sig)
			f->flags &= (uint16_t)~F_SIG;
	}
	if (o.ts && !(f->flags & F_TS)) {
		f->flags |= F_TS;
		f->ts_recent = o.tsval;
	} else if (o.ts && o.tsval != 0 && ts_ok(f->ts_recent, o.tsval)) {
		f->ts_recent = o.tsval;
	}
}

/*
 * A server segment of undecided flow f, seq and sp its numbers, in on
 * indev: the acknowledgments the server takes from the client.  Only
 * where it comes from the server's side, another interface than the
 * client's SYN (a gateway that queues both directions): a host sends its
 * SYN-ACK itself, and its data, which nfqd does not see, would leave
 * srv_nxt short of what a client acknowledges.
 */
void
l7_server_seg(struct nfqd_flow *f, const struct nfqd_pkt *pi,
    const uint8_t *data, uint32_t seq, const struct nfqd_reasm_span *sp,
    uint32_t indev)
{
	uint8_t	th = pi->tcp_flags;

	if (!(f->flags & F_CLIENT) || indev == 0 ||
	    indev == syndata(f)->indev || (th & TH_RST))
		return;
	if (f->flags & F_SRV) {
		if ((int32_t)(sp->end - f->srv_nxt) > 0)
			f->srv_nxt = sp->end;
	} else if ((th & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) &&
	    (int32_t)(nfqd_get32(data + pi->l4off + 8) - f->seq0) >= 0) {
		f->flags |= F_SRV;
		f->ack_min = seq + 1;
		f->srv_nxt = sp->end;
	}
}

/*
 * Whether the server's TCP would discard a client segment of undecided
 * flow f (not a SYN; o: its options).  Linux drops
 * - a segment without ACK past the SYN, in every state (TCP_FLAGS);
 * - a signature the connection does not use, or none where it does
 *   (TCP_MD5UNEXPECTED, TCP_AOUNEXPECTED, TCP_MD5NOTFOUND): nfqd cannot
 *   check a signature, only that there is one;
 * - a timestamp older than ts_recent (PAWS, ts_ok());
 * and a segment whose TTL is lower than the SYN's may run out on the way
 * from a gateway to the server (one hop from a host, it arrives).  Where
 * nfqd saw the server's side (F_SRV): an ack of what the server never
 * sent (TCP_ACK_UNSENT_DATA), or lower than the highest ack the client
 * sent (Linux drops one lower than that less the window, or less what
 * the server sent, whichever is smaller: TCP_TOO_OLD_ACK; and while the
 * connection is half open, any ack but the SYN-ACK's).  A client whose
 * segments come out of order may have one refused there: it sends it
 * again with its newest ack.  A segment without a timestamp is read:
 * Linux 6.18 reads it, though RFC 7323 3.2 says to drop it.
 */
bool
l7_discarded(const struct nfqd_flow *f, const struct nfqd_pkt *pi,
    const uint8_t *data, const struct tcpopts *o)
{
	uint32_t	ack;

	if (!(pi->tcp_flags & TH_ACK) || o->sig != ((f->flags & F_SIG) != 0))
		return true;
	if ((f->flags & F_TS) && o->ts && !ts_ok(f->ts_recent, o->tsval))
		return true;
	if (ip_ttl(pi, data) < f->ttl)
		return true;
	if (f->flags & F_SRV) {
		ack = nfqd_get32(data + pi->l4off + 8);
		if ((int32_t)(ack - f->ack_min) < 0 ||
		    (int32_t)(ack - f->srv_nxt) > 0)
			return true;
	}
	return false;
}

/*
 * A client segment at seq (not a SYN) of undecided flow f, o its options,
 * ok unless l7_discarded(): what the server learns from it.  Its timestamp
 * becomes ts_recent when it is not older and the segment starts at or
 * before the end of the bytes read in order; Linux takes one from a
 * segment at or before the last byte it acknowledged (tcp_replace_ts_
 * recent(); tcp_check_req() even from one it then drops for want of an
 * ACK), which never lies past what nfqd read, since every byte the server
 * has passed here first.  So nfqd's ts_recent is never older than the
 * server's: one older would read a decoy the server refuses, one newer
 * only refuses what a client sends out of order (it sends it again).
 * The ack raises ack_min, as the server's snd_una.  Either only from a
 * segment in the stream's window, from byte 0 on: a pure ACK's checksum
 * is not checked, and one sent blind (the ports guessed, not the
 * sequence) with a timestamp far ahead would otherwise get the real
 * hello refused; the server takes nothing from a segment before its
 * window either (tcp_sequence()).
 */
void
l7_client_seen(struct nfqd_flow *f, const struct nfqd_pkt *pi,
    const uint8_t *data, uint32_t seq, const struct tcpopts *o, bool ok)
{
	struct hnext	h;
	uint32_t	contig, ack, off = seq - f->seq0;
	bool		back = false;

	if (f->flags & F_HNEXT) {
		/*
		 * Offsets from the reading point, where the buffer starts;
		 * bytes before it (up to HSTEP back) were read in order.
		 */
		hget(f, &h);
		off = seq - (f->seq0 + h.next);
		back = (int32_t)off < 0 && (int32_t)off > -(int32_t)HSTEP;
	}
	if ((f->flags & F_TS) && o->ts && o->tsval != 0 &&
	    ts_ok(f->ts_recent, o->tsval)) {
		contig = f->ra != NULL ? (uint32_t)nfqd_reasm_contig(f->ra) : 0;
		if (off <= contig || back)
			f->ts_recent = o->tsval;
	}
	if (ok && (f->flags & F_SRV) && (off < NFQD_REASM_MAX || back)) {
		ack = nfqd_get32(data + pi->l4off + 8);
		if ((int32_t)(ack - f->ack_min) > 0)
			f->ack_min = ack;
	}
}
