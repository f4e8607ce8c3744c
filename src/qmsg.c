/*
 * The nfnetlink_queue protocol's messages on the packet path: the
 * validated parse of packet messages and the verdict buffers, batch and
 * single (queue sockets and their configuration are queue.c's).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqd/nfqd.h"
#include "nfqd/queue.h"

int
nfqd_queue_packet_id(const void *buf, size_t len, uint32_t *id)
{
	const struct nlmsghdr			*nlh = buf;
	struct nfqnl_msg_packet_hdr		 ph;
	const struct nlattr			*a;
	const char				*p, *end;
	size_t					 hdr;

	hdr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	if (len < hdr || !nfqd_queue_is_packet(nlh) || nlh->nlmsg_len < hdr)
		return -1;
	end = (const char *)buf + (nlh->nlmsg_len < len ? nlh->nlmsg_len : len);
	for (p = (const char *)buf + hdr; p + NLA_HDRLEN <= end;
	    p += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(const void *)p;
		if (a->nla_len < NLA_HDRLEN)
			return -1;
		if ((a->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR)
			continue;
		if (a->nla_len != NLA_HDRLEN + sizeof(ph) ||
		    p + a->nla_len > end)
			return -1;
		memcpy(&ph, p + NLA_HDRLEN, sizeof(ph));
		*id = ntohl(ph.packet_id);
		return 0;
	}
	return -1;
}

bool
nfqd_queue_is_packet(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET);
}

/*
 * The exact payload length an attribute of this type must have, or -1
 * when any will do (payload, conntrack, VLAN, ... and types this nfqd
 * does not know).  Fixed sizes are exact, as libmnl's mnl_attr_validate()
 * wants them: shorter or longer is malformed.
 */
static inline int
attr_size(uint16_t type)
{
	switch (type) {
	case NFQA_PACKET_HDR:
		return (int)sizeof(struct nfqnl_msg_packet_hdr);
	case NFQA_TIMESTAMP:
		return (int)sizeof(struct nfqnl_msg_packet_timestamp);
	case NFQA_HWADDR:
		return (int)sizeof(struct nfqnl_msg_packet_hw);
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
		return 4;
	default:
		return -1;
	}
}

static inline uint32_t
attr_be32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

_Static_assert(NFQA_MAX < 32, "one bit per attribute type");

/*
 * One pass over the attributes, without a call per attribute: this runs
 * for every packet.  It checks what libmnl's mnl_attr_ok() and
 * mnl_attr_validate() would (tests/unit/test_queue.c and
 * tests/fuzz/fuzz_netlink.c compare it with a parse made of those).
 */
int
nfqd_queue_parse_packet(const struct nlmsghdr *nlh, struct nfqd_qmsg *qm)
{
	const struct nlattr	*a;
	const uint8_t		*p, *tail, *d, *payload = NULL;
	struct nfqd_qmsg	 m;
	uint32_t		 seen = 0, plen, caplen = 0;
	uint16_t		 type;
	int			 size;
	bool			 has_len = false;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)))
		return -1;
	memset(&m, 0, sizeof(m));
	p = (const uint8_t *)nlh + NLMSG_HDRLEN +
	    NLMSG_ALIGN(sizeof(struct nfgenmsg));
	tail = (const uint8_t *)nlh + nlh->nlmsg_len;
	/* Every attribute must lie inside the message: no silent stop. */
	while (p < tail) {
		a = (const struct nlattr *)(const void *)p;
		if ((size_t)(tail - p) < sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > (size_t)(tail - p))
			return -1;
		type = a->nla_type & NLA_TYPE_MASK;
		d = p + NLA_HDRLEN;
		plen = a->nla_len - NLA_HDRLEN;
		p += NLA_ALIGN(a->nla_len);
		if (type > NFQA_MAX)
			continue;
		/* The kernel sends each once: twice is forged. */
		if (seen & (1u << type))
			return -1;
		seen |= 1u << type;
		if ((size = attr_size(type)) >= 0 && plen != (uint32_t)size)
			return -1;
		switch (type) {
		case NFQA_PACKET_HDR:
			m.id = attr_be32(d);
			m.hw_protocol = (uint16_t)(d[4] << 8 | d[5]);
			m.hook = d[6];
			break;
		case NFQA_PAYLOAD:
			payload = d;
			caplen = plen;
			break;
		case NFQA_CAP_LEN:
			m.len = attr_be32(d);
			has_len = true;
			break;
		case NFQA_MARK:
			m.mark = attr_be32(d);
			break;
		case NFQA_IFINDEX_INDEV:
			m.indev = attr_be32(d);
			break;
		case NFQA_IFINDEX_OUTDEV:
			m.outdev = attr_be32(d);
			break;
		case NFQA_SKB_INFO:
			m.skbinfo = attr_be32(d);
			break;
		case NFQA_UID:
			m.uid = attr_be32(d);
			m.has_uid = 1;
			break;
		case NFQA_GID:
			m.gid = attr_be32(d);
			m.has_gid = 1;
			break;
		case NFQA_TIMESTAMP: {
			/* The skb's time stamp, when something turned time
			   stamping on: sec, usec; only 4-byte aligned. */
			uint64_t	ts[2];

			memcpy(ts, d, sizeof(ts));
			m.ts_sec = be64toh(ts[0]);
			m.ts_usec = (uint32_t)be64toh(ts[1]);
			m.has_ts = be64toh(ts[1]) < 1000000;
			break;
		}
		default:
			break;
		}
	}
	if (!(seen & (1u << NFQA_PACKET_HDR)))
		return -1;
	m.payload = payload;
	m.caplen = caplen;
	if (!has_len)
		m.len = caplen;
	else if (m.len < caplen)
		return -1;
	*qm = m;
	return 0;
}

void
nfqd_vbuf_init(struct nfqd_vbuf *vb, char *buf, size_t cap, uint16_t queue)
{
	memset(vb, 0, sizeof(*vb));
	vb->buf = buf;
	vb->cap = cap;
	vb->queue = queue;
}

void
nfqd_vbuf_reset(struct nfqd_vbuf *vb)
{
	/* The open run has not been written: it stays. */
	vb->len = 0;
	vb->nmsgs = 0;
}

/*
 * A verdict message as nfq_nlmsg_put(), nfq_nlmsg_verdict_put() and
 * nfq_nlmsg_verdict_put_mark() lay it out: header, nfgenmsg, the verdict
 * header attribute, the mark attribute if any.  Every part is a multiple
 * of 4 bytes, so nothing between them is padding.
 */
struct verdict_msg {
	struct nlmsghdr			nlh;
	struct nfgenmsg			nfg;
	struct nlattr			vh_attr;
	struct nfqnl_msg_verdict_hdr	vh;
	struct nlattr			mark_attr;
	uint32_t			mark;
};

_Static_assert(offsetof(struct verdict_msg, nfg) == NLMSG_HDRLEN &&
    offsetof(struct verdict_msg, vh_attr) == NLMSG_HDRLEN +
    NLMSG_ALIGN(sizeof(struct nfgenmsg)) &&
    offsetof(struct verdict_msg, vh) ==
    offsetof(struct verdict_msg, vh_attr) + NLA_HDRLEN &&
    offsetof(struct verdict_msg, mark_attr) ==
    offsetof(struct verdict_msg, vh) +
    NLA_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)) &&
    offsetof(struct verdict_msg, mark) ==
    offsetof(struct verdict_msg, mark_attr) + NLA_HDRLEN &&
    sizeof(struct verdict_msg) <= NFQD_VERDICT_MSG_MAX,
    "struct verdict_msg is the message libnetfilter_queue writes");

int
nfqd_vbuf_close(struct nfqd_vbuf *vb)
{
	struct verdict_msg	m;
	size_t			len;

	if (!vb->open)
		return 0;
	if (vb->len + NFQD_VERDICT_MSG_MAX > vb->cap)
		return -1;
	/*
	 * A run of one gets a plain verdict: it touches that packet only.
	 * A longer run gets a batch verdict for its last id, which also
	 * covers the rest of the run (all earlier ids were verdicted by the
	 * messages before it in this send, processed in order).  Written
	 * whole here, without libnetfilter_queue's calls (one per field):
	 * test_queue holds it to what they write, byte for byte.
	 */
	len = vb->has_mark ? sizeof(m) : offsetof(struct verdict_msg,
	    mark_attr);
	m.nlh.nlmsg_len = (uint32_t)len;
	m.nlh.nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | (vb->count == 1 ?
	    NFQNL_MSG_VERDICT : NFQNL_MSG_VERDICT_BATCH);
	m.nlh.nlmsg_flags = NLM_F_REQUEST;
	/* Below the worker's own special numbers (SEQ_PARAMS). */
	m.nlh.nlmsg_seq = ++vb->seq & 0x3fffffffu;
	m.nlh.nlmsg_pid = 0;
	m.nfg.nfgen_family = AF_UNSPEC;
	m.nfg.version = NFNETLINK_V0;
	m.nfg.res_id = htons(vb->queue);
	m.vh_attr.nla_len = NLA_HDRLEN + sizeof(m.vh);
	m.vh_attr.nla_type = NFQA_VERDICT_HDR;
	m.vh.verdict = htonl(vb->verdict);
	m.vh.id = htonl(vb->last_id);
	m.mark_attr.nla_len = NLA_HDRLEN + sizeof(m.mark);
	m.mark_attr.nla_type = NFQA_MARK;
	m.mark = htonl(vb->mark);
	memcpy(vb->buf + vb->len, &m, len);
	vb->len += len;
	vb->nmsgs++;
	vb->open = false;
	return 0;
}

/*
 * The largest message nfqd_vbuf_add_ct() writes: header, verdict, mark,
 * and NFQA_CT holding CTA_MARK and CTA_MARK_MASK.
 */
_Static_assert(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) +
    NLA_HDRLEN + NLA_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)) +
    (NLA_HDRLEN + 4) + NLA_HDRLEN + 2 * (NLA_HDRLEN + 4) <=
    NFQD_VERDICT_MSG_MAX, "a verdict with a conntrack mark fits");

int
nfqd_vbuf_add_ct(struct nfqd_vbuf *vb, uint32_t id, uint32_t verdict,
    bool has_mark, uint32_t mark, uint32_t ctmark)
{
	struct nlmsghdr	*nlh;
	struct nlattr	*nest;

	/* Runs before it first: verdicts leave in the order of their ids. */
	if (nfqd_vbuf_close(vb) == -1 ||
	    vb->len + NFQD_VERDICT_MSG_MAX > vb->cap)
		return -1;
	nlh = nfq_nlmsg_put(vb->buf + vb->len, NFQNL_MSG_VERDICT, vb->queue);
	nlh->nlmsg_seq = ++vb->seq & 0x3fffffffu;
	nfq_nlmsg_verdict_put(nlh, (int)id, (int)verdict);
	if (has_mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	/*
	 * ctnetlink's rule: the connection's mark becomes
	 * (mark & ~CTA_MARK_MASK) ^ CTA_MARK.  Both ctmark: its bits are
	 * set, no other bit changes, as with CONNMARK --save-mark
	 * --nfmask ctmark --ctmask ctmark.
	 */
	nest = mnl_attr_nest_start(nlh, NFQA_CT);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(ctmark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(ctmark));
	mnl_attr_nest_end(nlh, nest);
	vb->len += nlh->nlmsg_len;
	vb->nmsgs++;
	return 0;
}

int
nfqd_vbuf_add(struct nfqd_vbuf *vb, uint32_t id, uint32_t verdict,
    bool has_mark, uint32_t mark)
{
	if (vb->open && vb->verdict == verdict && vb->has_mark == has_mark &&
	    (!has_mark || vb->mark == mark)) {
		vb->last_id = id;
		vb->count++;
		return 0;
	}
	if (nfqd_vbuf_close(vb) == -1)
		return -1;
	vb->open = true;
	vb->verdict = verdict;
	vb->has_mark = has_mark;
	vb->mark = mark;
	vb->last_id = id;
	vb->count = 1;
	return 0;
}
