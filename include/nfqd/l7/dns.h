/*
 * The DNS message parser: the question (name, type, class) of a query or
 * a response, over UDP (one datagram) or TCP (messages behind a 2-byte
 * length), with the name in the one form a rule can be compared with.
 */
#ifndef NFQD_L7_DNS_H
#define NFQD_L7_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqd/l7/l7parse.h"

#define NFQD_DNS_HDR		12	/* the fixed header */
#define NFQD_DNS_WIRE_NAME_MAX	255	/* a name's bytes on the wire,
					   uncompressed (RFC 1035 3.1) */
#define NFQD_DNS_LABEL_MAX	63
#define NFQD_DNS_HOPS_MAX	127	/* compression pointers followed */

/* Why a message is NFQD_L7_BAD (logs, counters, tests). */
enum nfqd_dns_why {
	NFQD_DNS_R_NONE = 0,		/* MORE or DONE */
	NFQD_DNS_R_SHORT,		/* under 12 bytes, or the question
					   goes past the message's end */
	NFQD_DNS_R_TCP_LEN,		/* TCP length prefix under 12 */
	NFQD_DNS_R_QDCOUNT,		/* more than one question */
	NFQD_DNS_R_LABEL_TYPE,		/* label type 01 or 10 (extended,
					   reserved) */
	NFQD_DNS_R_POINTER,		/* a compression pointer not to an
					   offset before its own, or into
					   the header */
	NFQD_DNS_R_LOOP,		/* over 127 pointers followed */
	NFQD_DNS_R_NAME_LEN,		/* a name over 255 bytes on the wire */
	NFQD_DNS_R_NAME_BYTE,		/* a '.', space, control or
					   non-ASCII byte in a label */
	NFQD_DNS_R_MAX
};

/* A message's header and question. */
struct nfqd_dns_query {
	/* The question's name normalized; "" for the root and when there
	   is no question. */
	char	 qname[NFQD_L7_NAME_MAX + 1];
	uint16_t qname_len;		/* strlen(qname) */
	uint16_t qtype, qclass, id;	/* 0, 0 and the id with no question */
	bool	 response;		/* QR set */
	uint16_t opcode;		/* 0 QUERY, 4 NOTIFY, 5 UPDATE, ... */
	uint16_t qdcount;		/* 1, or 0 for a message without a
					   question (a cookie-only query,
					   some error responses) */
	uint8_t	 why;			/* enum nfqd_dns_why: why BAD */
};

/*
 * One DNS message (a UDP payload, or one message of a TCP stream without
 * its prefix), msg[0..len) whole: never MORE, never NOT (on a DNS port
 * everything is DNS; what does not parse is BAD).
 *
 * NFQD_L7_DONE: the header and the question are read.  Queries and
 * responses are read the same way (response says which), whatever the
 * opcode; what follows the question (answers, EDNS OPT in the additional
 * section) is not looked at.  On BAD every field but why is zero.
 *
 * BAD:
 *   - under 12 bytes;
 *   - QDCOUNT over 1: a second question is a place to hide a name, and
 *     no server answers more than one.  QDCOUNT 0 is DONE with qdcount 0,
 *     qname "", qtype and qclass 0 (DNS cookies, RFC 7873 5.4);
 *   - the name: label type 01 or 10; a label holding '.' or a byte
 *     outside 0x21..0x7e (space, NUL, control, non-ASCII), which a server
 *     could read otherwise or a rule could not mean; over 255 bytes on
 *     the wire counted uncompressed; a compression pointer to an offset
 *     not strictly before the pointer itself (self pointers, forward
 *     pointers) or into the 12-byte header (a name hidden in the counts);
 *     over 127 pointers followed.  Pointers only go backwards, so a loop
 *     ends at the length or hop limit; the question is the message's
 *     first name, so a pointer in it can only point into itself and
 *     always ends BAD;
 *   - the name's text refused by nfqd_l7_name_norm();
 *   - qtype and qclass not both there.
 */
enum nfqd_l7_res nfqd_dns_msg_parse(const uint8_t *msg, size_t len,
	    struct nfqd_dns_query *out);

/*
 * A TCP stream at a message boundary: buf[0..len) starts with the 2-byte
 * length, then the message.  MORE until the message is whole (a prefix
 * too short for the length, or for the message it gives), then
 * nfqd_dns_msg_parse() on it: on DONE *used is 2 + the length, the bytes
 * to skip to the next message; otherwise *used is 0.  A length under 12
 * (0 included) is BAD as soon as both its bytes are there.  Every shorter
 * prefix of a DONE stream is MORE; DONE and BAD stay the same for every
 * larger len.
 */
enum nfqd_l7_res nfqd_dns_tcp_parse(const uint8_t *buf, size_t len,
	    struct nfqd_dns_query *out, size_t *used);

/*
 * The name at msg[off..len), a DNS message from its header, read as the
 * question's name is (compression followed, the same refusals), into dst
 * (NFQD_L7_NAME_MAX + 1 bytes) normalized: its length (0 for the root),
 * and in *next the offset just past the name where it starts (past its
 * first pointer, if any).  -1 when refused; *why then says why.  For
 * names after the question (answers, authority) in the daemon and tests.
 */
int	nfqd_dns_name_read(const uint8_t *msg, size_t len, size_t off,
	    char *dst, size_t *next, uint8_t *why);

/* enum nfqd_dns_why in words; "unknown" out of range. */
const char *nfqd_dns_why_str(unsigned why);

#endif
