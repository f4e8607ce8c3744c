/*
 * Packet parsing: the IPv4 or IPv6 header, the IPv6 extension headers and
 * the transport header of a packet as a queue hands it over.
 *
 * Every length field is hostile.  A header is held first against the IP
 * length (past it: MALFORMED, no capture could make it parse, or, in the
 * first of several fragments, TINY_FRAGMENT: the rest is in the next
 * fragment), then against the captured bytes (past them: TRUNCATED, a
 * larger copy range would have got further).  Offsets stay below
 * 40 + NFQD_PKT_MAX_EXT * 2048 and the IP length is at most 2^32 - 1, so
 * bounds are compared as "n > len - off" after checking "off <= len",
 * never as a sum that could wrap.
 *
 * A problem does not throw away what was read before it: the family once
 * the version is read, the addresses once the fixed IP header is captured,
 * the protocol once the IPv4 header is captured or the IPv6 header chain
 * is walked to its end, ports once their 4 bytes are there, TCP flags once
 * byte 13 is, ICMP type and code once theirs are.  pi->known says which;
 * the rule engine decides with them (engine.c).  Lengths and offsets past
 * the IP header are only reported for a packet parsed whole.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/ipproto.h"
#include "nfqd/netorder.h"
#include "nfqd/pkt.h"

#define IP4_HDRLEN	20
#define IP6_HDRLEN	40

/* Every field that a transport header carries. */
#define K_L4	(NFQD_PKT_K_PORTS | NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP)

static const char *const reasons[NFQD_PKT_R_MAX] = {
	[NFQD_PKT_R_NONE] = "no problem",
	[NFQD_PKT_R_EMPTY] = "empty packet",
	[NFQD_PKT_R_VERSION] = "IP version not 4 or 6",
	[NFQD_PKT_R_L3_SHORT] = "capture ends inside the IP header",
	[NFQD_PKT_R_IHL] = "IPv4 header length below 5",
	[NFQD_PKT_R_IP_LEN] = "IP length below the header or above the "
	    "packet length",
	[NFQD_PKT_R_EXT_SHORT] = "capture ends inside an IPv6 extension "
	    "header",
	[NFQD_PKT_R_EXT_LEN] = "IPv6 extension header past the IP length",
	[NFQD_PKT_R_EXT_COUNT] = "more than 64 IPv6 extension headers",
	[NFQD_PKT_R_L4_SHORT] = "capture ends before the end of the "
	    "transport header",
	[NFQD_PKT_R_L4_LEN] = "transport header past the IP length",
	[NFQD_PKT_R_TCP_DOFF] = "TCP data offset below 5",
	[NFQD_PKT_R_UDP_LEN] = "UDP length below 8 or above the IP payload",
	[NFQD_PKT_R_FRAG_L4] = "first fragment ends inside the transport "
	    "header",
	[NFQD_PKT_R_FRAG_EXT] = "first fragment ends inside the IPv6 "
	    "extension headers",
	[NFQD_PKT_R_MPTCP] = "a SYN that offers Multipath TCP (strip TCP "
	    "option 30 before the NFQUEUE rule: docs/l7.md#multipath-tcp)",
};

static const char *const statuses[NFQD_PKT_STATUS_MAX] = {
	[NFQD_PKT_OK] = "ok",
	[NFQD_PKT_TRUNCATED] = "truncated",
	[NFQD_PKT_MALFORMED] = "malformed",
	[NFQD_PKT_TINY_FRAGMENT] = "tiny_fragment",
	[NFQD_PKT_HEADER_CHAIN] = "header_chain",
	[NFQD_PKT_L7_PENDING] = "l7_pending",
	[NFQD_PKT_L7_ERROR] = "l7_error",
	[NFQD_PKT_L7_UNTRACKED] = "flows_full",
};

_Static_assert(NFQD_PKT_MAX_EXT == 64, "reasons[] names the limit");

static int
fail(struct nfqd_pkt *pi, int status, int reason)
{
	pi->status = (uint8_t)status;
	pi->reason = (uint8_t)reason;
	pi->l4off = pi->payoff = pi->paylen = 0;
	return status;
}

/*
 * A header of n bytes at off does not fit: past the IP length it is
 * malformed, or, in a first fragment, in the next fragment; past the
 * capture it is cut short.  Returns the status, or 0 when it fits.
 */
static int
misfit(struct nfqd_pkt *pi, uint32_t off, uint32_t n, int rshort,
    int rlen, int rfrag)
{
	if (off > pi->iplen || n > pi->iplen - off)
		return (pi->flags & NFQD_PKT_F_FIRST_FRAG) ?
		    fail(pi, NFQD_PKT_TINY_FRAGMENT, rfrag) :
		    fail(pi, NFQD_PKT_MALFORMED, rlen);
	if (off > pi->caplen || n > pi->caplen - off)
		return fail(pi, NFQD_PKT_TRUNCATED, rshort);
	return 0;
}

/* A non-first fragment at off: the rest is payload, there is no L4 header. */
static int
later_frag(struct nfqd_pkt *pi, uint8_t proto, uint32_t off)
{
	pi->flags |= NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG;
	/* An IPv6 chain may hold a fragment header after another. */
	pi->flags &= (uint8_t)~NFQD_PKT_F_FIRST_FRAG;
	pi->proto = proto;
	pi->known |= NFQD_PKT_K_PROTO | K_L4;
	pi->l4off = pi->payoff = off;
	pi->paylen = pi->iplen - off;
	return NFQD_PKT_OK;
}

/*
 * The transport header at pi->l4off.  Fields are read as far as the bytes
 * that are both inside the datagram and captured go, before the whole
 * header is checked.
 */
static int
parse_l4(const uint8_t *data, struct nfqd_pkt *pi)
{
	const uint8_t	*h = data + pi->l4off;
	uint32_t	 off = pi->l4off, room = pi->iplen - pi->l4off;
	uint32_t	 have, hlen = 0, ulen, tail = 0;
	int		 st;

	/* Bytes of the header that can be read. */
	have = off < pi->caplen ? pi->caplen - off : 0;
	if (have > room)
		have = room;
	switch (pi->proto) {
	case IPPROTO_TCP:
		pi->known |= NFQD_PKT_K_ICMP;
		if (have >= 4) {
			pi->flags |= NFQD_PKT_F_PORTS;
			pi->known |= NFQD_PKT_K_PORTS;
		}
		if (have >= 14) {
			pi->tcp_flags = h[13];
			pi->flags |= NFQD_PKT_F_TCP;
			pi->known |= NFQD_PKT_K_TCPFLAGS;
		}
		hlen = 20;
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		/* SCTP and DCCP: ports only; their lengths are not parsed. */
		pi->known |= NFQD_PKT_K_TCPFLAGS | NFQD_PKT_K_ICMP;
		if (have >= 4) {
			pi->flags |= NFQD_PKT_F_PORTS;
			pi->known |= NFQD_PKT_K_PORTS;
		}
		hlen = 8;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		pi->known |= NFQD_PKT_K_PORTS | NFQD_PKT_K_TCPFLAGS;
		if (pi->proto != (pi->family == AF_INET ? IPPROTO_ICMP :
		    IPPROTO_ICMPV6)) {
			pi->known |= NFQD_PKT_K_ICMP;
			break;
		}
		if (have >= 2) {
			pi->icmp_type = h[0];
			pi->icmp_code = h[1];
			pi->flags |= NFQD_PKT_F_ICMP;
			pi->known |= NFQD_PKT_K_ICMP;
		}
		/* Type, code, checksum. */
		hlen = 4;
		break;
	default:
		/* No header nfqd reads. */
		pi->known |= K_L4;
		break;
	}
	if (pi->flags & NFQD_PKT_F_PORTS) {
		pi->sport = nfqd_get16(h);
		pi->dport = nfqd_get16(h + 2);
	}
	if (hlen > 0 && (st = misfit(pi, off, hlen, NFQD_PKT_R_L4_SHORT,
	    NFQD_PKT_R_L4_LEN, NFQD_PKT_R_FRAG_L4)) != 0)
		return st;

	pi->payoff = off + hlen;
	switch (pi->proto) {
	case IPPROTO_TCP:
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < 20)
			return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_TCP_DOFF);
		/* The options are not read, so they need not be captured. */
		if (hlen > room)
			return (pi->flags & NFQD_PKT_F_FIRST_FRAG) ?
			    fail(pi, NFQD_PKT_TINY_FRAGMENT,
			    NFQD_PKT_R_FRAG_L4) :
			    fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_L4_LEN);
		pi->payoff = off + hlen;
		break;
	case IPPROTO_UDP:
		/*
		 * The UDP length covers the whole datagram, so a first
		 * fragment may be shorter than it says.  Over IPv6, 0 means
		 * the rest of the datagram at any size: Linux's
		 * __udp6_lib_rcv() takes skb->len for it (RFC 2675 meant it
		 * for jumbograms, the kernel does not check), so a datagram
		 * of any length with 0 here reaches the socket.  IPv4's
		 * __udp4_lib_rcv() drops a length below 8; 0 there is only a
		 * GSO super-packet's (over 64 KiB).  UDP-Lite's field is the
		 * checksum coverage, not a length, and is not read.
		 */
		ulen = nfqd_get16(h + 4);
		if (ulen == 0 && (pi->family == AF_INET6 || room > 65535))
			ulen = room;
		if (ulen < 8 ||
		    (ulen > room && !(pi->flags & NFQD_PKT_F_FRAGMENT)))
			return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_UDP_LEN);
		/*
		 * Bytes past the UDP length are not the datagram's: the
		 * receiver trims them (udp_rcv), so the payload ends there
		 * (a QUIC packet hidden past it is never read by a server).
		 */
		if (!(pi->flags & NFQD_PKT_F_FRAGMENT))
			tail = room - ulen;
		break;
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		pi->payoff = off;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/*
		 * Type, code and checksum are followed by 4 bytes whose
		 * meaning depends on the type (echo id and sequence, MTU,
		 * pointer, unused); the payload (echo data, the quoted packet
		 * of an error) starts after them.  A message too short to
		 * have them has its payload after the checksum.
		 */
		if (pi->flags & NFQD_PKT_F_ICMP)
			pi->payoff = off + (room >= 8 ? 8 : 4);
		else
			pi->payoff = off;
		break;
	}
	pi->paylen = pi->iplen - pi->payoff - tail;
	return NFQD_PKT_OK;
}

static int
parse_ip4(const uint8_t *data, struct nfqd_pkt *pi)
{
	uint32_t	hlen, totlen, frag;

	pi->family = AF_INET;
	pi->known = NFQD_PKT_K_FAMILY;
	if (pi->caplen < IP4_HDRLEN)
		return fail(pi, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT);
	memcpy(pi->saddr, data + 12, 4);
	memcpy(pi->daddr, data + 16, 4);
	pi->proto = data[9];
	pi->known |= NFQD_PKT_K_ADDRS | NFQD_PKT_K_PROTO;
	hlen = (uint32_t)(data[0] & 0x0f) * 4;
	if (hlen < IP4_HDRLEN)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_IHL);
	/*
	 * A GSO super-packet over 64 KiB (BIG TCP) has tot_len 0.  Bytes
	 * after tot_len are link layer padding.
	 */
	totlen = nfqd_get16(data + 2);
	if (totlen == 0 && pi->len > 65535)
		pi->iplen = pi->len;
	else if (totlen < hlen || totlen > pi->len)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_IP_LEN);
	else
		pi->iplen = totlen;
	if (hlen > pi->caplen)
		return fail(pi, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT);

	/* MF or a fragment offset; options are skipped, not parsed. */
	frag = nfqd_get16(data + 6);
	if (frag & 0x1fff)
		return later_frag(pi, pi->proto, hlen);
	if (frag & 0x2000)
		pi->flags |= NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_FIRST_FRAG;
	pi->l4off = hlen;
	return parse_l4(data, pi);
}

static int
parse_ip6(const uint8_t *data, struct nfqd_pkt *pi)
{
	const uint8_t	*h;
	uint32_t	 plen, off, hlen, frag;
	uint8_t		 nh;
	int		 n, st;

	pi->family = AF_INET6;
	pi->known = NFQD_PKT_K_FAMILY;
	if (pi->caplen < IP6_HDRLEN)
		return fail(pi, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT);
	memcpy(pi->saddr, data + 8, 16);
	memcpy(pi->daddr, data + 24, 16);
	pi->known |= NFQD_PKT_K_ADDRS;
	/*
	 * payload_len 0: a jumbogram (RFC 2675) or a BIG TCP GSO packet, which
	 * has no jumbo option at all; trust the packet length when it is over
	 * what payload_len can say, as for IPv4.  Shorter, the kernel's own
	 * input trims such a packet to its 40 bytes, and so does this.
	 */
	plen = nfqd_get16(data + 4);
	if (plen == 0 && pi->len > IP6_HDRLEN + 65535)
		pi->iplen = pi->len;
	else if (plen > pi->len - IP6_HDRLEN)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_IP_LEN);
	else
		pi->iplen = IP6_HDRLEN + plen;

	/*
	 * Walking the chain needs the first two bytes of each header (the
	 * fragment header: four), not its body; the next header must start
	 * inside the datagram.  After a fragment header with M set, a chain
	 * that leaves the datagram goes on in the next fragment (RFC 7112
	 * forbids that).
	 */
	nh = data[6];
	off = IP6_HDRLEN;
	for (n = 0; nfqd_proto_ip6_ext(nh); n++) {
		if (n == NFQD_PKT_MAX_EXT)
			return fail(pi, NFQD_PKT_HEADER_CHAIN,
			    NFQD_PKT_R_EXT_COUNT);
		if ((st = misfit(pi, off, nh == IPPROTO_FRAGMENT ? 4 : 2,
		    NFQD_PKT_R_EXT_SHORT, NFQD_PKT_R_EXT_LEN,
		    NFQD_PKT_R_FRAG_EXT)) != 0)
			return st;
		h = data + off;
		if (nh == IPPROTO_FRAGMENT)
			hlen = 8;
		else if (nh == IPPROTO_AH)
			hlen = ((uint32_t)h[1] + 2) * 4;
		else
			hlen = ((uint32_t)h[1] + 1) * 8;
		if (hlen > pi->iplen - off)
			return (pi->flags & NFQD_PKT_F_FIRST_FRAG) ?
			    fail(pi, NFQD_PKT_TINY_FRAGMENT,
			    NFQD_PKT_R_FRAG_EXT) :
			    fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_EXT_LEN);
		if (nh == IPPROTO_FRAGMENT) {
			/* Offset in 8-byte units, then 2 reserved bits, M. */
			frag = nfqd_get16(h + 2);
			if (frag >> 3 != 0)
				return later_frag(pi, h[0], off + hlen);
			/* Offset 0 without M is an atomic fragment (RFC 6946). */
			if (frag & 1)
				pi->flags |= NFQD_PKT_F_FRAGMENT |
				    NFQD_PKT_F_FIRST_FRAG;
		}
		nh = h[0];
		off += hlen;
	}
	pi->proto = nh;
	pi->known |= NFQD_PKT_K_PROTO;
	pi->l4off = off;
	return parse_l4(data, pi);
}

int
nfqd_pkt_parse(const uint8_t *data, uint32_t caplen, uint32_t origlen,
    struct nfqd_pkt *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (origlen < caplen)
		origlen = caplen;
	pi->caplen = caplen;
	pi->len = origlen;
	if (caplen == 0)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_EMPTY);
	switch (data[0] >> 4) {
	case 4:
		parse_ip4(data, pi);
		break;
	case 6:
		parse_ip6(data, pi);
		break;
	default:
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_VERSION);
	}
	/*
	 * Headers read whole: no application-layer fields until l7.c reads
	 * some (it is the one to say when a payload could hold them).
	 */
	if (pi->status == NFQD_PKT_OK)
		pi->known |= NFQD_PKT_K_L7;
	return pi->status;
}

const char *
nfqd_pkt_reason_str(unsigned reason)
{
	if (reason >= NFQD_PKT_R_MAX || reasons[reason] == NULL)
		return "unknown";
	return reasons[reason];
}

const char *
nfqd_pkt_status_str(unsigned status)
{
	if (status >= NFQD_PKT_STATUS_MAX)
		return "unknown";
	return statuses[status];
}
