/*
 * IP protocol numbers: their names, which carry ports, which are IPv6
 * extension headers.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <strings.h>

#include "nfqd/ipproto.h"
#include "nfqd/nfqd.h"

static const struct {
	const char	*name;
	uint8_t		 proto;
} protos[] = {
	{ "icmp", IPPROTO_ICMP },	{ "igmp", IPPROTO_IGMP },
	{ "tcp", IPPROTO_TCP },		{ "udp", IPPROTO_UDP },
	{ "dccp", IPPROTO_DCCP },	{ "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },		{ "ah", IPPROTO_AH },
	{ "icmpv6", IPPROTO_ICMPV6 },	{ "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP },	{ "udplite", IPPROTO_UDPLITE },
};

int
nfqd_proto_by_name(const char *name, uint8_t *proto)
{
	size_t	i;

	for (i = 0; i < NFQD_ARRAY_SIZE(protos); i++)
		if (strcasecmp(name, protos[i].name) == 0) {
			*proto = protos[i].proto;
			return 0;
		}
	return -1;
}

bool
nfqd_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_DCCP;
}

const char *
nfqd_proto_name(uint8_t p, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < NFQD_ARRAY_SIZE(protos); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	snprintf(buf, len, "%u", p);
	return buf;
}
