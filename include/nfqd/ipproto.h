#ifndef NFQD_IPPROTO_H
#define NFQD_IPPROTO_H

/* IP protocol numbers: names, ports, IPv6 extension headers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* 0 and the number of "tcp", "UDP", ... (any case); -1: no such name. */
int	nfqd_proto_by_name(const char *name, uint8_t *proto);
/* "tcp" for 6, or the number into buf. */
const char *nfqd_proto_name(uint8_t p, char *buf, size_t len);
/* TCP, UDP, UDP-Lite, SCTP and DCCP have ports. */
bool	nfqd_proto_has_ports(uint8_t p);
#ifndef IPPROTO_HIP
#define IPPROTO_HIP	139
#endif
#ifndef IPPROTO_SHIM6
#define IPPROTO_SHIM6	140
#endif

/*
 * An IPv6 extension header's number: pkt.c walks past them, and a rule on
 * one never matches.  ESP (50) and no next header (59) end the walk like
 * any transport.
 */
static inline bool
nfqd_proto_ip6_ext(uint8_t p)
{
	switch (p) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case IPPROTO_HIP:
	case IPPROTO_SHIM6:
		return true;
	}
	return false;
}

#endif
