#ifndef NFQD_PKT_H
#define NFQD_PKT_H

#include <stdint.h>

struct nfqd_l7fields;
struct nfqd_dnames;

/*
 * Packet parsing: the network and transport headers of a packet as the
 * kernel hands it to a queue (starting at the IPv4 or IPv6 header), read
 * without allocating and without trusting any length field.
 *
 * A packet whose headers cannot be read whole still reports every field it
 * could read: pi->known says which.  The rules then decide such a packet
 * when what is missing cannot change their verdict; otherwise it gets the
 * verdict its status names (see engine.c).
 */

/* Why the headers could not be read whole; each has its own verdict. */
enum nfqd_pkt_status {
	NFQD_PKT_OK = 0,
	NFQD_PKT_TRUNCATED,	/* headers go past the captured bytes (the
				   copy range): truncated_verdict */
	NFQD_PKT_MALFORMED,	/* headers contradict themselves or the
				   length: malformed_verdict */
	NFQD_PKT_TINY_FRAGMENT,	/* a first fragment that ends inside the
				   transport header or the IPv6 header
				   chain (RFC 1858, 3128, 7112):
				   tiny_fragment_verdict */
	NFQD_PKT_HEADER_CHAIN,	/* more than NFQD_PKT_MAX_EXT IPv6
				   extension headers: header_chain_verdict */
	/* The headers were read whole; the application layer (l7.h) was not: */
	NFQD_PKT_L7_PENDING,	/* the client's first message is not
				   complete yet: accepted */
	NFQD_PKT_L7_ERROR,	/* malformed or evasive: l7_error_verdict */
	NFQD_PKT_L7_UNTRACKED,	/* no room to follow its flow:
				   flows.full_verdict */
	NFQD_PKT_STATUS_MAX
};

/* IPv6 extension headers walked before the status is HEADER_CHAIN. */
#define NFQD_PKT_MAX_EXT	64

/* Why a packet is not NFQD_PKT_OK (for logs and tests). */
enum nfqd_pkt_reason {
	NFQD_PKT_R_NONE = 0,
	NFQD_PKT_R_EMPTY,		/* no bytes at all */
	NFQD_PKT_R_VERSION,		/* IP version not 4 or 6 */
	NFQD_PKT_R_L3_SHORT,		/* capture ends inside the IP header */
	NFQD_PKT_R_IHL,			/* IPv4 IHL < 5 */
	NFQD_PKT_R_IP_LEN,		/* IP length < header or > packet length */
	NFQD_PKT_R_EXT_SHORT,		/* capture ends inside an IPv6 ext header */
	NFQD_PKT_R_EXT_LEN,		/* IPv6 ext header past the IP length */
	NFQD_PKT_R_EXT_COUNT,		/* too many IPv6 extension headers */
	NFQD_PKT_R_L4_SHORT,		/* capture ends inside the L4 header */
	NFQD_PKT_R_L4_LEN,		/* L4 header past the IP length */
	NFQD_PKT_R_TCP_DOFF,		/* TCP data offset < 5 */
	NFQD_PKT_R_UDP_LEN,		/* UDP length < 8 or > IP payload */
	NFQD_PKT_R_FRAG_L4,		/* first fragment ends inside the L4 header */
	NFQD_PKT_R_FRAG_EXT,		/* first fragment ends inside the IPv6
					   extension headers */
	NFQD_PKT_R_MPTCP,		/* L7_ERROR: a client SYN that offers
					   Multipath TCP (l7tcp.c) */
	NFQD_PKT_R_MAX
};

/*
 * pi->known: the fields that were determined, either read or known to be
 * absent (a UDP packet has no TCP flags; a later fragment has no
 * transport header at all: the first fragment decides the datagram).
 */
#define NFQD_PKT_K_FAMILY	0x01	/* family */
#define NFQD_PKT_K_ADDRS	0x02	/* saddr, daddr */
#define NFQD_PKT_K_PROTO	0x04	/* proto (IPv6: the header chain walked) */
#define NFQD_PKT_K_PORTS	0x08	/* sport, dport, or no ports */
#define NFQD_PKT_K_TCPFLAGS	0x10	/* tcp_flags, or not TCP */
#define NFQD_PKT_K_ICMP		0x20	/* icmp_type and icmp_code, or not ICMP */
#define NFQD_PKT_K_L7		0x40	/* the application layer's fields
					   (pi->l7), or none (l7.h) */
#define NFQD_PKT_K_ALL		0x7f	/* what the parsers determine */
#define NFQD_PKT_K_DNAME	0x80	/* the names learned for daddr
					   (pi->dn), looked up by the engine */
#define NFQD_PKT_K_NBITS	8

/* pi->flags */
#define NFQD_PKT_F_FRAGMENT	0x01	/* a fragment (first or later) */
#define NFQD_PKT_F_LATER_FRAG	0x02	/* not the first fragment: no L4 header */
#define NFQD_PKT_F_PORTS	0x04	/* sport and dport are valid (TCP, UDP, UDP-Lite, SCTP, DCCP) */
#define NFQD_PKT_F_ICMP		0x08	/* icmp_type and icmp_code are valid */
#define NFQD_PKT_F_TCP		0x10	/* tcp_flags is valid */
#define NFQD_PKT_F_FIRST_FRAG	0x20	/* the first of several fragments */

/* A packet's headers, as parsed from the bytes a queue message carries. */
struct nfqd_pkt {
	uint8_t		family;		/* AF_INET, AF_INET6; 0 if unknown */
	uint8_t		status;		/* enum nfqd_pkt_status */
	uint8_t		reason;		/* enum nfqd_pkt_reason */
	uint8_t		flags;		/* NFQD_PKT_F_* */
	uint8_t		known;		/* NFQD_PKT_K_* */
	uint8_t		proto;		/* L4 protocol after IPv6 extension
					   headers (IPPROTO_*, 59: none) */
	uint8_t		tcp_flags;	/* TCP header byte 13: CWR ECE URG ACK
					   PSH RST SYN FIN */
	uint8_t		icmp_type;	/* ICMP or ICMPv6 */
	uint8_t		icmp_code;
	uint16_t	sport;		/* host byte order */
	uint16_t	dport;
	uint8_t		saddr[16];	/* network order; IPv4 in the first 4 */
	uint8_t		daddr[16];
	uint32_t	l4off;		/* offset of the L4 header */
	uint32_t	payoff;		/* offset of the L4 payload */
	uint32_t	paylen;		/* L4 payload length per the headers */
	uint32_t	iplen;		/* IP datagram length per the header */
	uint32_t	caplen;		/* bytes captured (given to us) */
	uint32_t	len;		/* original length of the packet */
	/* Set by the application layer (l7.h), never by nfqd_pkt_parse(): */
	const struct nfqd_l7fields *l7;	/* when known covers NFQD_PKT_K_L7 */
	/* Set by the engine: */
	const struct nfqd_dnames *dn;	/* when known covers NFQD_PKT_K_DNAME */
};

/*
 * Parse the caplen bytes at data, a packet of origlen bytes (origlen >=
 * caplen; the kernel's NFQA_CAP_LEN, or caplen when it sent all).  Fills pi
 * and returns pi->status.  A field is valid when pi->known covers it and,
 * for ports, TCP flags and ICMP, pi->flags says it is present; l4off,
 * payoff and paylen only when the status is NFQD_PKT_OK.  Fields not
 * valid are zero.  Never reads outside data[0 .. caplen).
 */
int	nfqd_pkt_parse(const uint8_t *data, uint32_t caplen, uint32_t origlen,
	    struct nfqd_pkt *pi);

const char *nfqd_pkt_reason_str(unsigned reason);
/* "truncated", "malformed", ...: the class, as in the *_verdict setting. */
const char *nfqd_pkt_status_str(unsigned status);

#endif
