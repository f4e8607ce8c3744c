#ifndef NFQD_IPPROTO_H
#define NFQD_IPPROTO_H

/* IP protocol numbers: names, ports, IPv6 extension headers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 and the number of "tcp", "UDP", ... (any case); -1: no such name. */
int	nfqd_proto_by_name(const char *name, uint8_t *proto);
/* "tcp" for 6, or the number into buf. */
const char *nfqd_proto_name(uint8_t p, char *buf, size_t len);
/* TCP, UDP, UDP-Lite, SCTP and DCCP have ports. */
bool	nfqd_proto_has_ports(uint8_t p);
/* An IPv6 extension header's number (pkt.c walks past them). */
bool	nfqd_proto_ip6_ext(uint8_t p);

#endif
