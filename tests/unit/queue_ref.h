/*
 * The packet parser as it was before src/queue.c walked the attributes
 * itself: libmnl's mnl_attr_ok(), mnl_attr_validate() and friends, one
 * call per attribute.  tests/unit/test_queue.c and tests/fuzz/fuzz_netlink.c
 * hold nfqd_queue_parse_packet() to the same answers.
 */
#ifndef NFQD_QUEUE_REF_H
#define NFQD_QUEUE_REF_H

#include <arpa/inet.h>
#include <endian.h>
#include <stdbool.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqd/queue.h"

static int
ref_attr_ok(const struct nlattr *a)
{
	switch (mnl_attr_get_type(a)) {
	case NFQA_PACKET_HDR:
		return mnl_attr_validate2(a, MNL_TYPE_UNSPEC,
		    sizeof(struct nfqnl_msg_packet_hdr));
	case NFQA_TIMESTAMP:
		return mnl_attr_validate2(a, MNL_TYPE_UNSPEC,
		    sizeof(struct nfqnl_msg_packet_timestamp));
	case NFQA_HWADDR:
		return mnl_attr_validate2(a, MNL_TYPE_UNSPEC,
		    sizeof(struct nfqnl_msg_packet_hw));
	case NFQA_MARK:
	case NFQA_IFINDEX_INDEV:
	case NFQA_IFINDEX_OUTDEV:
	case NFQA_IFINDEX_PHYSINDEV:
	case NFQA_IFINDEX_PHYSOUTDEV:
	case NFQA_CAP_LEN:
	case NFQA_SKB_INFO:
	case NFQA_UID:
	case NFQA_GID:
	case NFQA_CT_INFO:
	case NFQA_PRIORITY:
		return mnl_attr_validate(a, MNL_TYPE_U32);
	default:
		return 0;	/* opaque: payload, conntrack, VLAN, ... */
	}
}


static int
ref_parse_packet(const struct nlmsghdr *nlh, struct nfqd_qmsg *qm)
{
	const struct nlattr			*tb[NFQA_MAX + 1];
	const struct nlattr			*a;
	const struct nfqnl_msg_packet_hdr	*ph;
	const char				*tail;
	uint16_t				 type;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)))
		return -1;
	memset(tb, 0, sizeof(tb));
	tail = (const char *)nlh + nlh->nlmsg_len;
	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	/* Every attribute must lie inside the message: no silent stop. */
	while ((const char *)a < tail) {
		if (!mnl_attr_ok(a, (int)(tail - (const char *)a)))
			return -1;
		type = mnl_attr_get_type(a);
		if (type <= NFQA_MAX) {
			/* The kernel sends each once: twice is forged. */
			if (tb[type] != NULL || ref_attr_ok(a) == -1)
				return -1;
			tb[type] = a;
		}
		a = mnl_attr_next(a);
	}
	if (tb[NFQA_PACKET_HDR] == NULL)
		return -1;

	memset(qm, 0, sizeof(*qm));
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	qm->id = ntohl(ph->packet_id);
	qm->hw_protocol = ntohs(ph->hw_protocol);
	qm->hook = ph->hook;
	if (tb[NFQA_PAYLOAD] != NULL) {
		qm->payload = mnl_attr_get_payload(tb[NFQA_PAYLOAD]);
		qm->caplen = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	}
	qm->len = qm->caplen;
	if (tb[NFQA_CAP_LEN] != NULL) {
		qm->len = ntohl(mnl_attr_get_u32(tb[NFQA_CAP_LEN]));
		if (qm->len < qm->caplen)
			return -1;
	}
	if (tb[NFQA_MARK] != NULL)
		qm->mark = ntohl(mnl_attr_get_u32(tb[NFQA_MARK]));
	if (tb[NFQA_IFINDEX_INDEV] != NULL)
		qm->indev = ntohl(mnl_attr_get_u32(tb[NFQA_IFINDEX_INDEV]));
	if (tb[NFQA_IFINDEX_OUTDEV] != NULL)
		qm->outdev = ntohl(mnl_attr_get_u32(tb[NFQA_IFINDEX_OUTDEV]));
	if (tb[NFQA_SKB_INFO] != NULL)
		qm->skbinfo = ntohl(mnl_attr_get_u32(tb[NFQA_SKB_INFO]));
	if (tb[NFQA_UID] != NULL) {
		qm->uid = ntohl(mnl_attr_get_u32(tb[NFQA_UID]));
		qm->has_uid = 1;
	}
	if (tb[NFQA_GID] != NULL) {
		qm->gid = ntohl(mnl_attr_get_u32(tb[NFQA_GID]));
		qm->has_gid = 1;
	}
	/* The skb's time stamp, when something turned time stamping on. */
	if (tb[NFQA_TIMESTAMP] != NULL) {
		uint64_t	ts[2];	/* sec, usec; the attribute is only
					   4-byte aligned */

		memcpy(ts, mnl_attr_get_payload(tb[NFQA_TIMESTAMP]),
		    sizeof(ts));
		qm->ts_sec = be64toh(ts[0]);
		qm->ts_usec = (uint32_t)be64toh(ts[1]);
		qm->has_ts = be64toh(ts[1]) < 1000000;
	}
	return 0;
}

/* Every field of two parse results alike. */
static inline bool
ref_same_qmsg(const struct nfqd_qmsg *a, const struct nfqd_qmsg *b)
{
	return a->id == b->id && a->hw_protocol == b->hw_protocol &&
	    a->hook == b->hook && a->payload == b->payload &&
	    a->caplen == b->caplen && a->len == b->len &&
	    a->mark == b->mark && a->indev == b->indev &&
	    a->outdev == b->outdev && a->uid == b->uid && a->gid == b->gid &&
	    a->skbinfo == b->skbinfo && a->ts_sec == b->ts_sec &&
	    a->ts_usec == b->ts_usec && a->has_uid == b->has_uid &&
	    a->has_gid == b->has_gid && a->has_ts == b->has_ts;
}

#endif
