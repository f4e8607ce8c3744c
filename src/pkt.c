/*
 * Packet parsing: the IPv4 or IPv6 header, the IPv6 extension headers and
 * the transport header of a packet as a queue hands it over.
 *
 * Every length field is hostile.  A header is held first against the IP
 * length (past it: MALFORMED, no capture could make it parse), then against
 * the captured bytes (past them: TRUNCATED, a larger copy range would have
 * got further).  Offsets stay below 40 + 16 * 2048 and the IP length is at
 * most 2^32 - 1, so bounds are compared as "n > len - off" after checking
 * "off <= len", never as a sum that could wrap.
 *
 * On an error pi keeps the family (once the version is read), the addresses
 * (once the fixed IP header is captured) and the protocol (IPv4: once the
 * fixed header is captured; IPv6: only when the extension header walk
 * ended).  Flags, offsets, lengths and transport fields are zero: nothing
 * from a header that was not fully validated is reported.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "nfqd/pkt.h"

#define IP4_HDRLEN	20
#define IP6_HDRLEN	40
/* RFC 8200 sets no limit; a real packet carries a few at most. */
#define IP6_MAXEXT	16

#ifndef IPPROTO_HIP
#define IPPROTO_HIP	139
#endif
#ifndef IPPROTO_SHIM6
#define IPPROTO_SHIM6	140
#endif

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
	[NFQD_PKT_R_EXT_COUNT] = "more than 16 IPv6 extension headers",
	[NFQD_PKT_R_L4_SHORT] = "capture ends inside the transport header",
	[NFQD_PKT_R_L4_LEN] = "transport header past the IP length",
	[NFQD_PKT_R_TCP_DOFF] = "TCP data offset below 5",
	[NFQD_PKT_R_UDP_LEN] = "UDP length below 8 or above the IP payload",
};

static inline uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static int
fail(struct nfqd_pktinfo *pi, int status, int reason)
{
	pi->status = (uint8_t)status;
	pi->reason = (uint8_t)reason;
	pi->flags = 0;
	pi->tcp_flags = pi->icmp_type = pi->icmp_code = 0;
	pi->sport = pi->dport = 0;
	pi->l4off = pi->payoff = pi->paylen = pi->iplen = 0;
	return status;
}

/* Whether n bytes at off are inside the datagram and captured; fails pi if not. */
static int
fits(struct nfqd_pktinfo *pi, uint32_t off, uint32_t n, int rshort, int rlen)
{
	if (off > pi->iplen || n > pi->iplen - off) {
		fail(pi, NFQD_PKT_MALFORMED, rlen);
		return 0;
	}
	if (off > pi->caplen || n > pi->caplen - off) {
		fail(pi, NFQD_PKT_TRUNCATED, rshort);
		return 0;
	}
	return 1;
}

/* A non-first fragment at off: the rest is payload, there is no L4 header. */
static int
later_frag(struct nfqd_pktinfo *pi, uint8_t proto, uint32_t off)
{
	pi->flags |= NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG;
	pi->proto = proto;
	pi->l4off = pi->payoff = off;
	pi->paylen = pi->iplen - off;
	return NFQD_PKT_OK;
}

static int
parse_l4(const uint8_t *data, struct nfqd_pktinfo *pi)
{
	const uint8_t	*h = data + pi->l4off;
	uint32_t	 off = pi->l4off, room = pi->iplen - pi->l4off;
	uint32_t	 hlen, ulen;
	int		 jumbo;

	pi->payoff = off;
	switch (pi->proto) {
	case IPPROTO_TCP:
		if (!fits(pi, off, 20, NFQD_PKT_R_L4_SHORT, NFQD_PKT_R_L4_LEN))
			return pi->status;
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < 20)
			return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_TCP_DOFF);
		/* The options are not read, so they need not be captured. */
		if (hlen > room)
			return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_L4_LEN);
		pi->tcp_flags = h[13];
		pi->flags |= NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP;
		pi->payoff = off + hlen;
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		if (!fits(pi, off, 8, NFQD_PKT_R_L4_SHORT, NFQD_PKT_R_L4_LEN))
			return pi->status;
		/*
		 * The UDP length covers the whole datagram, so a first
		 * fragment may be shorter than it says.  0 is a jumbogram's
		 * (RFC 2675) or a UDP GSO super-packet's.  UDP-Lite's field
		 * is the checksum coverage, not a length.
		 */
		ulen = get16(h + 4);
		jumbo = ulen == 0 && room > 65535;
		if (pi->proto == IPPROTO_UDP && !jumbo && (ulen < 8 ||
		    (ulen > room && !(pi->flags & NFQD_PKT_F_FRAGMENT))))
			return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_UDP_LEN);
		pi->flags |= NFQD_PKT_F_PORTS;
		pi->payoff = off + 8;
		break;
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		/* Ports only; the header length is not parsed. */
		if (!fits(pi, off, 8, NFQD_PKT_R_L4_SHORT, NFQD_PKT_R_L4_LEN))
			return pi->status;
		pi->flags |= NFQD_PKT_F_PORTS;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (pi->proto != (pi->family == AF_INET ? IPPROTO_ICMP :
		    IPPROTO_ICMPV6))
			break;
		if (!fits(pi, off, 4, NFQD_PKT_R_L4_SHORT, NFQD_PKT_R_L4_LEN))
			return pi->status;
		pi->icmp_type = h[0];
		pi->icmp_code = h[1];
		pi->flags |= NFQD_PKT_F_ICMP;
		/*
		 * Type, code and checksum are followed by 4 bytes whose
		 * meaning depends on the type (echo id and sequence, MTU,
		 * pointer, unused); the payload (echo data, the quoted packet
		 * of an error) starts after them.  A message too short to
		 * have them has its payload after the checksum.
		 */
		pi->payoff = off + (room >= 8 ? 8 : 4);
		break;
	}
	if (pi->flags & NFQD_PKT_F_PORTS) {
		pi->sport = (uint16_t)get16(h);
		pi->dport = (uint16_t)get16(h + 2);
	}
	pi->paylen = pi->iplen - pi->payoff;
	return NFQD_PKT_OK;
}

static int
parse_ip4(const uint8_t *data, struct nfqd_pktinfo *pi)
{
	uint32_t	hlen, totlen, frag;

	pi->family = AF_INET;
	if (pi->caplen < IP4_HDRLEN)
		return fail(pi, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT);
	memcpy(pi->saddr, data + 12, 4);
	memcpy(pi->daddr, data + 16, 4);
	pi->proto = data[9];
	hlen = (uint32_t)(data[0] & 0x0f) * 4;
	if (hlen < IP4_HDRLEN)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_IHL);
	/*
	 * A GSO super-packet over 64 KiB (BIG TCP) has tot_len 0.  Bytes
	 * after tot_len are link layer padding.
	 */
	totlen = get16(data + 2);
	if (totlen == 0 && pi->len > 65535)
		pi->iplen = pi->len;
	else if (totlen < hlen || totlen > pi->len)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_IP_LEN);
	else
		pi->iplen = totlen;
	if (hlen > pi->caplen)
		return fail(pi, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT);

	/* MF or a fragment offset; options are skipped, not parsed. */
	frag = get16(data + 6);
	if (frag & 0x3fff)
		pi->flags |= NFQD_PKT_F_FRAGMENT;
	if (frag & 0x1fff)
		return later_frag(pi, pi->proto, hlen);
	pi->l4off = hlen;
	return parse_l4(data, pi);
}

static int
ip6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case IPPROTO_HIP:
	case IPPROTO_SHIM6:
		return 1;
	}
	/* ESP (50) and no next header (59) end the walk like any L4. */
	return 0;
}

static int
parse_ip6(const uint8_t *data, struct nfqd_pktinfo *pi)
{
	const uint8_t	*h;
	uint32_t	 plen, off, hlen, frag;
	uint8_t		 nh;
	int		 n;

	pi->family = AF_INET6;
	if (pi->caplen < IP6_HDRLEN)
		return fail(pi, NFQD_PKT_TRUNCATED, NFQD_PKT_R_L3_SHORT);
	memcpy(pi->saddr, data + 8, 16);
	memcpy(pi->daddr, data + 24, 16);
	/*
	 * payload_len 0: a jumbogram (RFC 2675) or a BIG TCP GSO packet, which
	 * has no jumbo option at all; trust the packet length.
	 */
	plen = get16(data + 4);
	if (plen == 0 && pi->len > IP6_HDRLEN)
		pi->iplen = pi->len;
	else if (plen > pi->len - IP6_HDRLEN)
		return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_IP_LEN);
	else
		pi->iplen = IP6_HDRLEN + plen;

	nh = data[6];
	off = IP6_HDRLEN;
	for (n = 0; ip6_is_ext(nh); n++) {
		if (n == IP6_MAXEXT)
			return fail(pi, NFQD_PKT_MALFORMED,
			    NFQD_PKT_R_EXT_COUNT);
		if (!fits(pi, off, 2, NFQD_PKT_R_EXT_SHORT,
		    NFQD_PKT_R_EXT_LEN))
			return pi->status;
		h = data + off;
		if (nh == IPPROTO_FRAGMENT)
			hlen = 8;
		else if (nh == IPPROTO_AH)
			hlen = ((uint32_t)h[1] + 2) * 4;
		else
			hlen = ((uint32_t)h[1] + 1) * 8;
		if (!fits(pi, off, hlen, NFQD_PKT_R_EXT_SHORT,
		    NFQD_PKT_R_EXT_LEN))
			return pi->status;
		if (nh == IPPROTO_FRAGMENT) {
			/* Offset in 8-byte units, then 2 reserved bits, M. */
			frag = get16(h + 2);
			if (frag >> 3 != 0)
				return later_frag(pi, h[0], off + hlen);
			/* Offset 0 without M is an atomic fragment (RFC 6946). */
			if (frag & 1)
				pi->flags |= NFQD_PKT_F_FRAGMENT;
		}
		nh = h[0];
		off += hlen;
	}
	pi->proto = nh;
	pi->l4off = off;
	return parse_l4(data, pi);
}

int
nfqd_pkt_parse(const uint8_t *data, uint32_t caplen, uint32_t origlen,
    struct nfqd_pktinfo *pi)
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
		return parse_ip4(data, pi);
	case 6:
		return parse_ip6(data, pi);
	}
	return fail(pi, NFQD_PKT_MALFORMED, NFQD_PKT_R_VERSION);
}

const char *
nfqd_pkt_reason_str(unsigned reason)
{
	if (reason >= NFQD_PKT_R_MAX || reasons[reason] == NULL)
		return "unknown";
	return reasons[reason];
}
