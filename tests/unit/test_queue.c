/*
 * Unit tests for src/qmsg.c and queue.c: the packet parser on messages built
 * here with libmnl, and against the libmnl parser it replaced (queue_ref.h)
 * on random and damaged messages; the verdict batcher and the parameters
 * message, both read back with libmnl.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqd/config.h"
#include "nfqd/queue.h"
#include "queue_ref.h"
#include "unit.h"

#define PKT_TYPE	((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)
#define VERDICT_TYPE	((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT)
#define BATCH_TYPE	((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH)
#define CONFIG_TYPE	((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG)

static char	buf[8192] __attribute__((aligned(8)));

/* A packet message with its nfgenmsg and no attributes yet. */
static struct nlmsghdr *
pkt_begin(void)
{
	struct nlmsghdr	*nlh;
	struct nfgenmsg	*nfg;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = PKT_TYPE;
	nlh->nlmsg_seq = 0;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(3);
	return nlh;
}

static void
put_hdr(struct nlmsghdr *nlh, uint32_t id)
{
	struct nfqnl_msg_packet_hdr	ph;

	memset(&ph, 0, sizeof(ph));
	ph.packet_id = htonl(id);
	ph.hw_protocol = htons(0x0800);
	ph.hook = 0;
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
}

static const uint8_t payload20[20] = {
	0x45, 0x00, 0x00, 0x14, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11,
	0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
};

/* The packet every variant starts from. */
static struct nlmsghdr *
good_packet(void)
{
	struct nlmsghdr	*nlh = pkt_begin();

	put_hdr(nlh, 42);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0xdeadbeef));
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(7));
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload20), payload20);
	mnl_attr_put_u32(nlh, NFQA_UID, htonl(1000));
	mnl_attr_put_u32(nlh, NFQA_GID, htonl(100));
	return nlh;
}

static int
parse(const struct nlmsghdr *nlh, struct nfqd_qmsg *pkt)
{
	memset(pkt, 0xa5, sizeof(*pkt));
	return nfqd_queue_parse_packet(nlh, pkt);
}

static void
test_parse_good(void)
{
	struct nfqd_qmsg				 pkt;
	struct nfqnl_msg_packet_timestamp	 ts;
	struct nfqnl_msg_packet_hw		 hw;
	struct nlmsghdr				*nlh;
	struct nlattr				*nest;
	int					 r;

	nlh = good_packet();
	r = parse(nlh, &pkt);
	CHECK_INT_EQ(r, 0, "parse good packet");
	CHECK_UINT_EQ(pkt.id, 42, "good packet: id");
	CHECK_UINT_EQ(pkt.hw_protocol, 0x0800, "good packet: hw_protocol");
	CHECK_UINT_EQ(pkt.hook, 0, "good packet: hook");
	CHECK_UINT_EQ(pkt.mark, 0xdeadbeef, "good packet: mark");
	CHECK_UINT_EQ(pkt.indev, 7, "good packet: indev");
	CHECK_UINT_EQ(pkt.outdev, 0, "good packet: no outdev");
	CHECK_UINT_EQ(pkt.skbinfo, 0, "good packet: no skbinfo");
	CHECK_UINT_EQ(pkt.caplen, 20, "good packet: caplen");
	CHECK_UINT_EQ(pkt.len, 20, "good packet: len == caplen");
	CHECK(pkt.payload != NULL &&
	    memcmp(pkt.payload, payload20, 20) == 0 &&
	    (const char *)pkt.payload > buf &&
	    (const char *)pkt.payload + 20 <= buf + nlh->nlmsg_len,
	    "good packet: payload points into the message");
	CHECK(pkt.has_uid && pkt.uid == 1000, "good packet: uid");
	CHECK(pkt.has_gid && pkt.gid == 100, "good packet: gid");

	nlh = good_packet();
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(1500));
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.len == 1500 && pkt.caplen == 20,
	    "CAP_LEN 1500 with 20 bytes copied: len 1500");

	nlh = good_packet();
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(20));
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.len == 20, "CAP_LEN equal to the payload");

	/* Metadata only: no payload, no uid or gid. */
	nlh = pkt_begin();
	put_hdr(nlh, 1);
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(60));
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.id == 1 && pkt.payload == NULL &&
	    pkt.caplen == 0 && pkt.len == 60 && pkt.mark == 0 &&
	    pkt.indev == 0 && !pkt.has_uid && !pkt.has_gid,
	    "packet without payload, uid or gid");

	nlh = pkt_begin();
	put_hdr(nlh, 9);
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.id == 9 && pkt.payload == NULL &&
	    pkt.caplen == 0 && pkt.len == 0, "packet header only");

	/* Everything else a kernel may send, nested attributes included. */
	nlh = good_packet();
	r = parse(nlh, &pkt);
	CHECK(r == 0 && !pkt.has_ts, "no NFQA_TIMESTAMP: no time stamp");

	nlh = good_packet();
	memset(&ts, 0, sizeof(ts));
	ts.sec = htobe64(1700000000);
	ts.usec = htobe64(654321);
	mnl_attr_put(nlh, NFQA_TIMESTAMP, sizeof(ts), &ts);
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.has_ts && pkt.ts_sec == 1700000000 &&
	    pkt.ts_usec == 654321, "NFQA_TIMESTAMP: seconds, microseconds");

	nlh = good_packet();
	memset(&ts, 0, sizeof(ts));
	mnl_attr_put(nlh, NFQA_TIMESTAMP, sizeof(ts), &ts);
	memset(&hw, 0, sizeof(hw));
	hw.hw_addrlen = htons(6);
	mnl_attr_put(nlh, NFQA_HWADDR, sizeof(hw), &hw);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_OUTDEV, htonl(9));
	mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(NFQA_SKB_CSUMNOTREADY));
	mnl_attr_put_u32(nlh, NFQA_CT_INFO, htonl(2));
	nest = mnl_attr_nest_start(nlh, NFQA_CT);
	mnl_attr_put_u32(nlh, 1, htonl(5));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_strz(nlh, NFQA_SECCTX, "unconfined");
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.id == 42 && pkt.outdev == 9 &&
	    pkt.skbinfo == NFQA_SKB_CSUMNOTREADY && pkt.caplen == 20,
	    "packet with timestamp, hwaddr, outdev, skbinfo, conntrack");

	nlh = good_packet();
	mnl_attr_put_u32(nlh, NFQA_MAX + 5, htonl(1));
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.id == 42 && pkt.mark == 0xdeadbeef,
	    "unknown attribute type NFQA_MAX+5 is skipped");

	nlh = pkt_begin();
	mnl_attr_put_u32(nlh, NFQA_MAX + 1, htonl(1));
	put_hdr(nlh, 8);
	r = parse(nlh, &pkt);
	CHECK(r == 0 && pkt.id == 8, "unknown attribute before the header");
}

static void
test_parse_bad(void)
{
	struct nfqd_qmsg		 pkt;
	struct nlmsghdr		*nlh;
	struct nlattr		*a;
	uint8_t			 b6[6] = { 0, 0, 0, 42, 8, 0 };
	uint8_t			 b8[8] = { 0, 0, 0, 42, 8, 0, 0, 0 };
	uint16_t		 m2 = 1;

	nlh = good_packet();
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(19));
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "CAP_LEN smaller than the payload");

	nlh = pkt_begin();
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(1));
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload20), payload20);
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "missing PACKET_HDR");

	nlh = pkt_begin();
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "no attributes at all");

	nlh = pkt_begin();
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(b6), b6);
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "PACKET_HDR of 6 bytes");

	nlh = pkt_begin();
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(b8), b8);
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "PACKET_HDR of 8 bytes");

	nlh = pkt_begin();
	put_hdr(nlh, 42);
	mnl_attr_put(nlh, NFQA_MARK, sizeof(m2), &m2);
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "NFQA_MARK of 2 bytes");

	nlh = pkt_begin();
	put_hdr(nlh, 42);
	mnl_attr_put_u64(nlh, NFQA_UID, 1);
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "NFQA_UID of 8 bytes");

	nlh = pkt_begin();
	put_hdr(nlh, 42);
	mnl_attr_put(nlh, NFQA_TIMESTAMP, 8, b8);
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "NFQA_TIMESTAMP of 8 bytes");

	/* The last attribute claims more than the message holds. */
	nlh = good_packet();
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	a->nla_type = NFQA_PAYLOAD;
	a->nla_len = 100;
	nlh->nlmsg_len += 8;
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "attribute runs past nlmsg_len");

	/* nlmsg_len cuts the payload attribute short. */
	nlh = pkt_begin();
	put_hdr(nlh, 42);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload20), payload20);
	nlh->nlmsg_len -= 4;
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "payload cut by nlmsg_len");

	nlh = good_packet();
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	a->nla_type = NFQA_MARK;
	a->nla_len = 0;
	nlh->nlmsg_len += 8;
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "attribute with nla_len 0");

	nlh = good_packet();
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	a->nla_type = NFQA_MARK;
	a->nla_len = 2;
	nlh->nlmsg_len += 4;
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "attribute with nla_len 2");

	nlh = good_packet();
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	CHECK_INT_EQ(parse(nlh, &pkt), -1,
	    "nlmsg_len shorter than header and nfgenmsg");
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "nlmsg_len of the header only");
	nlh->nlmsg_len = 0;
	CHECK_INT_EQ(parse(nlh, &pkt), -1, "nlmsg_len 0");
}

/* xorshift64, seeded: every run sees the same messages. */
static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* The size the kernel gives an attribute of this type, or -1: any. */
static int
kernel_size(uint16_t type)
{
	switch (type) {
	case NFQA_PACKET_HDR:
		return 7;
	case NFQA_TIMESTAMP:
		return 16;
	case NFQA_HWADDR:
		return 12;
	case NFQA_MARK: case NFQA_IFINDEX_INDEV: case NFQA_IFINDEX_OUTDEV:
	case NFQA_IFINDEX_PHYSINDEV: case NFQA_IFINDEX_PHYSOUTDEV:
	case NFQA_CAP_LEN: case NFQA_SKB_INFO: case NFQA_UID: case NFQA_GID:
	case NFQA_CT_INFO: case NFQA_PRIORITY:
		return 4;
	default:
		return -1;
	}
}

/*
 * A packet message of random attributes (types up to a few past
 * NFQA_MAX, mostly of the kernel's sizes, sometimes not, sometimes twice),
 * then perhaps damaged: cut short, lengthened into zeros, a byte or a
 * length changed.
 */
static struct nlmsghdr *
random_packet(void)
{
	struct nlmsghdr	*nlh = pkt_begin();
	uint8_t		 v[48];
	uint32_t	 n, i, j, len, off, room;
	uint16_t	 type, w;
	int		 k;

	if (rnd32() % 8 != 0)
		put_hdr(nlh, rnd32());
	n = rnd32() % 9;
	for (i = 0; i < n; i++) {
		/* The attributes read into the result, more often. */
		static const uint16_t	read[] = { NFQA_PAYLOAD,
		    NFQA_TIMESTAMP, NFQA_CAP_LEN, NFQA_UID, NFQA_GID };

		type = rnd32() % 3 == 0 ? read[rnd32() % 5] :
		    (uint16_t)(rnd32() % (NFQA_MAX + 4));
		if (rnd32() % 16 == 0)
			type |= NLA_F_NESTED;
		k = kernel_size(type & NLA_TYPE_MASK);
		len = k >= 0 && rnd32() % 4 != 0 ? (uint32_t)k : rnd32() % 40;
		for (j = 0; j < len; j++)
			v[j] = (uint8_t)rnd32();
		/* A time stamp's usec is mostly valid. */
		if (type == NFQA_TIMESTAMP && len == 16 && rnd32() % 2)
			memset(v + 8, 0, 6);
		mnl_attr_put(nlh, type, len, v);
	}
	room = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	switch (rnd32() % 6) {
	case 1:		/* cut short */
		nlh->nlmsg_len -= rnd32() % (room + 1);
		break;
	case 2:		/* lengthened into the zeros after it */
		nlh->nlmsg_len += 4 * (rnd32() % 4) + rnd32() % 4;
		break;
	case 3:		/* one byte anywhere past the header */
		off = MNL_NLMSG_HDRLEN + rnd32() % room;
		((uint8_t *)nlh)[off] = (uint8_t)rnd32();
		break;
	case 4:		/* a 16-bit word where lengths and types sit */
		off = MNL_NLMSG_HDRLEN + 4 + 4 * (rnd32() % (room / 4 + 1));
		w = (uint16_t)(rnd32() % 64);
		if (off + 2 <= sizeof(buf))
			memcpy((uint8_t *)nlh + off + 2 * (rnd32() % 2), &w, 2);
		break;
	default:
		break;
	}
	return nlh;
}

/*
 * The parser against the libmnl one it replaced, on 300,000 random and
 * damaged messages: the same answer, and on success the same fields.
 */
static void
test_parse_same(void)
{
	struct nfqd_qmsg	 a, b, keep;
	struct nlmsghdr		*nlh;
	unsigned		 i, accepted = 0, rejected = 0, differ = 0;
	unsigned		 untouched = 1, ts = 0, payloads = 0;
	char			 first[160] = "";
	int			 ra, rb;

	for (i = 0; i < 300000; i++) {
		nlh = random_packet();
		memset(&a, 0xa5, sizeof(a));
		memset(&b, 0x5a, sizeof(b));
		memcpy(&keep, &b, sizeof(keep));
		ra = ref_parse_packet(nlh, &a);
		rb = nfqd_queue_parse_packet(nlh, &b);
		if (ra != rb || (ra == 0 && !ref_same_qmsg(&a, &b))) {
			if (differ++ == 0)
				snprintf(first, sizeof(first), "message %u "
				    "(nlmsg_len %u): libmnl %d, nfqd %d", i,
				    nlh->nlmsg_len, ra, rb);
			continue;
		}
		if (rb == -1) {
			rejected++;
			if (memcmp(&b, &keep, sizeof(b)) != 0)
				untouched = 0;
		} else {
			accepted++;
			ts += b.has_ts;
			payloads += b.payload != NULL;
		}
	}
	CHECKF(differ == 0, "parse: as the libmnl parser on 300,000 random "
	    "messages", "%u differ; the first: %s", differ, first);
	CHECKF(accepted >= 30000 && rejected >= 30000 && ts >= 1000 &&
	    payloads >= 10000, "parse: the random messages take both ways",
	    "accepted %u, rejected %u, with a time stamp %u, with a payload "
	    "%u", accepted, rejected, ts, payloads);
	CHECK(untouched, "parse: a rejected message leaves the result as it "
	    "was");
}

static void
test_is_packet(void)
{
	struct nlmsghdr	*nlh = pkt_begin();

	CHECK(nfqd_queue_is_packet(nlh), "is_packet: packet message");
	nlh->nlmsg_type = VERDICT_TYPE;
	CHECK(!nfqd_queue_is_packet(nlh), "is_packet: verdict message");
	nlh->nlmsg_type = NLMSG_ERROR;
	CHECK(!nfqd_queue_is_packet(nlh), "is_packet: NLMSG_ERROR");
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFQNL_MSG_PACKET;
	CHECK(!nfqd_queue_is_packet(nlh), "is_packet: other subsystem");
}

/* A verdict message read back. */
struct vmsg {
	uint16_t	type;
	uint16_t	flags;
	uint32_t	seq;
	uint16_t	res_id;
	bool		has_hdr;
	uint32_t	verdict;
	uint32_t	id;
	bool		has_mark;
	uint32_t	mark;
	int		nattrs;
};

struct attrs {
	const struct nlattr	*tb[NFQA_MAX + 1];
	int			 n;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	struct attrs	*at = data;

	if (mnl_attr_type_valid(a, NFQA_MAX) < 0)
		return MNL_CB_ERROR;
	at->tb[mnl_attr_get_type(a)] = a;
	at->n++;
	return MNL_CB_OK;
}

/* Read back the messages in p[0..len); returns how many, -1 if malformed. */
static int
walk_verdicts(const char *p, size_t len, struct vmsg *out, int max)
{
	const struct nlmsghdr			*nlh = (const void *)p;
	const struct nlattr			**tb;
	struct attrs				 at;
	const struct nfqnl_msg_verdict_hdr	*vh;
	const struct nfgenmsg			*nfg;
	int					 rem = (int)len, n = 0;

	while (mnl_nlmsg_ok(nlh, rem)) {
		if (n == max)
			return -1;
		memset(&out[n], 0, sizeof(out[n]));
		memset(&at, 0, sizeof(at));
		tb = at.tb;
		out[n].type = nlh->nlmsg_type;
		out[n].flags = nlh->nlmsg_flags;
		out[n].seq = nlh->nlmsg_seq;
		nfg = mnl_nlmsg_get_payload(nlh);
		out[n].res_id = ntohs(nfg->res_id);
		if (mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, &at) !=
		    MNL_CB_OK)
			return -1;
		out[n].nattrs = at.n;
		if (tb[NFQA_VERDICT_HDR] != NULL &&
		    mnl_attr_get_payload_len(tb[NFQA_VERDICT_HDR]) ==
		    sizeof(*vh)) {
			vh = mnl_attr_get_payload(tb[NFQA_VERDICT_HDR]);
			out[n].has_hdr = true;
			out[n].verdict = ntohl(vh->verdict);
			out[n].id = ntohl(vh->id);
		}
		if (tb[NFQA_MARK] != NULL &&
		    mnl_attr_validate(tb[NFQA_MARK], MNL_TYPE_U32) == 0) {
			out[n].has_mark = true;
			out[n].mark = ntohl(mnl_attr_get_u32(tb[NFQA_MARK]));
		}
		n++;
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return rem == 0 ? n : -1;
}

static int
vmsg_is(const struct vmsg *m, uint16_t type, uint32_t verdict, uint32_t id,
    bool has_mark, uint32_t mark)
{
	return m->type == type && m->has_hdr && m->verdict == verdict &&
	    m->id == id && m->has_mark == has_mark &&
	    (!has_mark || m->mark == mark) &&
	    m->nattrs == (has_mark ? 2 : 1) && m->res_id == 5 &&
	    (m->flags & NLM_F_REQUEST) != 0;
}

static void
test_vbuf(void)
{
	struct nfqd_vbuf	vb;
	struct vmsg		m[8];
	char			tx[4096] __attribute__((aligned(8)));
	int			n, r;
	uint32_t		i;

	nfqd_vbuf_init(&vb, tx, sizeof(tx), 5);
	CHECK(nfqd_vbuf_close(&vb) == 0 && vb.len == 0 && vb.nmsgs == 0,
	    "vbuf: close with nothing open writes nothing");

	r = nfqd_vbuf_add(&vb, 1, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_add(&vb, 2, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_add(&vb, 3, NF_ACCEPT, false, 0);
	CHECK(r == 0 && vb.len == 0, "vbuf: a run stays open until closed");
	r |= nfqd_vbuf_close(&vb);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECKF(r == 0 && n == 1 && vb.nmsgs == 1,
	    "vbuf: 1,2,3 accept is one message", "got %d messages", n);
	if (n == 1)
		CHECK(vmsg_is(&m[0], BATCH_TYPE, NF_ACCEPT, 3, false, 0),
		    "vbuf: 1,2,3 accept is VERDICT_BATCH {accept, 3}");

	nfqd_vbuf_reset(&vb);
	r = nfqd_vbuf_add(&vb, 1, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_add(&vb, 2, NF_DROP, false, 0);
	r |= nfqd_vbuf_add(&vb, 3, NF_DROP, false, 0);
	r |= nfqd_vbuf_add(&vb, 4, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_close(&vb);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECKF(r == 0 && n == 3 && vb.nmsgs == 3,
	    "vbuf: accept, drop, drop, accept is three messages",
	    "got %d messages", n);
	if (n == 3) {
		CHECK(vmsg_is(&m[0], VERDICT_TYPE, NF_ACCEPT, 1, false, 0),
		    "vbuf: first is VERDICT {accept, 1}");
		CHECK(vmsg_is(&m[1], BATCH_TYPE, NF_DROP, 3, false, 0),
		    "vbuf: second is VERDICT_BATCH {drop, 3}");
		CHECK(vmsg_is(&m[2], VERDICT_TYPE, NF_ACCEPT, 4, false, 0),
		    "vbuf: third is VERDICT {accept, 4}");
		CHECK(m[0].seq < m[1].seq && m[1].seq < m[2].seq,
		    "vbuf: sequence numbers increase");
	}

	nfqd_vbuf_reset(&vb);
	r = nfqd_vbuf_add(&vb, 10, NF_ACCEPT, true, 5);
	r |= nfqd_vbuf_add(&vb, 11, NF_ACCEPT, true, 5);
	r |= nfqd_vbuf_add(&vb, 12, NF_ACCEPT, true, 6);
	r |= nfqd_vbuf_add(&vb, 13, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_add(&vb, 14, NF_ACCEPT, false, 7);
	r |= nfqd_vbuf_add(&vb, 15, NF_ACCEPT, true, 0);
	r |= nfqd_vbuf_close(&vb);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECKF(r == 0 && n == 4, "vbuf: mark changes split runs",
	    "got %d messages, expected 4", n);
	if (n == 4) {
		CHECK(vmsg_is(&m[0], BATCH_TYPE, NF_ACCEPT, 11, true, 5),
		    "vbuf: VERDICT_BATCH {accept, 11} with mark 5");
		CHECK(vmsg_is(&m[1], VERDICT_TYPE, NF_ACCEPT, 12, true, 6),
		    "vbuf: VERDICT {accept, 12} with mark 6");
		CHECK(vmsg_is(&m[2], BATCH_TYPE, NF_ACCEPT, 14, false, 0),
		    "vbuf: without a mark the mark value is ignored");
		CHECK(vmsg_is(&m[3], VERDICT_TYPE, NF_ACCEPT, 15, true, 0),
		    "vbuf: mark 0 set is not the same as no mark");
	}

	nfqd_vbuf_reset(&vb);
	for (i = 1, r = 0; i <= 1000; i++)
		r |= nfqd_vbuf_add(&vb, i, NF_DROP, false, 0);
	r |= nfqd_vbuf_close(&vb);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECK(r == 0 && n == 1 && vmsg_is(&m[0], BATCH_TYPE, NF_DROP, 1000,
	    false, 0), "vbuf: 1000 drops are one VERDICT_BATCH {drop, 1000}");
	CHECK(vb.len <= NFQD_VERDICT_MSG_MAX, "vbuf: a message fits "
	    "NFQD_VERDICT_MSG_MAX");

	nfqd_vbuf_reset(&vb);
	CHECK(vb.len == 0 && vb.nmsgs == 0 && !vb.open,
	    "vbuf: reset empties it");
	CHECK(nfqd_vbuf_close(&vb) == 0 && vb.len == 0,
	    "vbuf: close after reset writes nothing");
}

/*
 * nfqd_vbuf_close() writes its message itself: byte for byte what
 * nfq_nlmsg_put(), nfq_nlmsg_verdict_put() and nfq_nlmsg_verdict_put_mark()
 * write, for random queues, ids, verdicts, marks, run lengths and sequence
 * numbers (the 30-bit wrap included).  Both buffers start filled with
 * different bytes, so a byte of the message either side leaves unwritten
 * shows; nothing past the message is written.
 */
static void
test_vbuf_bytes(void)
{
	struct nfqd_vbuf	vb;
	struct nlmsghdr		*nlh;
	char			tx[256] __attribute__((aligned(8)));
	char			ref[256] __attribute__((aligned(8)));
	uint32_t		id, verdict, mark, count, seq, j;
	uint16_t		queue;
	bool			has_mark;
	int			i, bad = 0, marks = 0, batches = 0, r;

	for (i = 0; i < 200000; i++) {
		queue = (uint16_t)rnd32();
		id = rnd32();
		verdict = rnd32() % 4 == 0 ? rnd32() : rnd32() % 6;
		has_mark = rnd32() % 2 == 0;
		mark = rnd32() % 4 == 0 ? 0 : rnd32();
		count = rnd32() % 3 == 0 ? 1 + rnd32() % 5 : 1;
		seq = rnd32() % 8 == 0 ? 0x3fffffffu - rnd32() % 3 : rnd32();
		memset(tx, 0x5a, sizeof(tx));
		memset(ref, 0xa5, sizeof(ref));
		nfqd_vbuf_init(&vb, tx, sizeof(tx), queue);
		vb.seq = seq;
		for (j = 0, r = 0; j < count; j++)
			r |= nfqd_vbuf_add(&vb, id + j, verdict, has_mark,
			    mark);
		r |= nfqd_vbuf_close(&vb);
		nlh = nfq_nlmsg_put(ref, count == 1 ? NFQNL_MSG_VERDICT :
		    NFQNL_MSG_VERDICT_BATCH, queue);
		nlh->nlmsg_seq = (seq + 1) & 0x3fffffffu;
		nfq_nlmsg_verdict_put(nlh, (int)(id + count - 1), (int)verdict);
		if (has_mark)
			nfq_nlmsg_verdict_put_mark(nlh, mark);
		for (j = (uint32_t)vb.len; j < sizeof(tx) && tx[j] == 0x5a; j++)
			;
		if (r != 0 || vb.nmsgs != 1 || vb.len != nlh->nlmsg_len ||
		    memcmp(tx, ref, vb.len) != 0 || j != sizeof(tx)) {
			if (bad++ == 0)
				fprintf(stderr, "# vbuf message %d differs: queue "
				    "%u id %u verdict %u mark %d/%u run %u seq "
				    "%u: %zu bytes, libnetfilter_queue %u\n", i,
				    queue, id, verdict, has_mark, mark, count, seq,
				    vb.len, nlh->nlmsg_len);
		}
		marks += has_mark;
		batches += count > 1;
	}
	CHECKF(bad == 0 && marks > 50000 && batches > 20000,
	    "vbuf: 200,000 random verdict messages are libnetfilter_queue's, "
	    "byte for byte", "%d differ (%d with marks, %d batch verdicts)",
	    bad, marks, batches);
}

/* A u32 attribute of type type whose payload is these 4 bytes. */
static bool
u32_attr_is(const struct nlattr *a, uint16_t type, const uint8_t want[4])
{
	return a->nla_type == type && a->nla_len == NLA_HDRLEN + 4 &&
	    memcmp(mnl_attr_get_payload(a), want, 4) == 0;
}

/*
 * The conntrack verdict, attribute by attribute: the verdict header, the
 * packet mark if set, then NFQA_CT (flagged nested) holding exactly
 * CTA_MARK and CTA_MARK_MASK, both the connection mark in network order.
 */
static bool
ct_layout_is(const struct nlmsghdr *nlh, uint32_t verdict, uint32_t id,
    bool has_mark, const uint8_t mark[4], const uint8_t ctmark[4])
{
	const struct nfqnl_msg_verdict_hdr	*vh;
	const struct nlattr			*a, *in, *ct = NULL;
	const char				*end;
	int					 i = 0, k = 0;

	end = (const char *)nlh + nlh->nlmsg_len;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (i == 0) {
			if (a->nla_type != NFQA_VERDICT_HDR ||
			    a->nla_len != NLA_HDRLEN + sizeof(*vh))
				return false;
			vh = mnl_attr_get_payload(a);
			if (ntohl(vh->verdict) != verdict || ntohl(vh->id) != id)
				return false;
		} else if (i == 1 && has_mark) {
			if (!u32_attr_is(a, NFQA_MARK, mark))
				return false;
		} else if (ct == NULL) {
			if (a->nla_type != (NFQA_CT | NLA_F_NESTED) ||
			    a->nla_len != NLA_HDRLEN + 2 * (NLA_HDRLEN + 4))
				return false;
			ct = a;
		} else {
			return false;		/* anything after NFQA_CT */
		}
		i++;
	}
	if (ct == NULL || (const char *)ct + ct->nla_len != end)
		return false;
	mnl_attr_for_each_nested(in, ct) {
		if (!u32_attr_is(in, k == 0 ? CTA_MARK : CTA_MARK_MASK, ctmark))
			return false;
		k++;
	}
	return k == 2;
}

static void
test_vbuf_ct(void)
{
	static const uint8_t	 drop_bit[4] = { 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t	 odd[4] = { 0x12, 0x34, 0x56, 0x78 };
	struct nfqd_vbuf	 vb;
	struct vmsg		 m[8];
	const struct nlmsghdr	*nlh;
	char			 tx[4096] __attribute__((aligned(8)));
	char			 small[NFQD_VERDICT_MSG_MAX + 16]
				     __attribute__((aligned(8)));
	int			 n, r;

	nfqd_vbuf_init(&vb, tx, sizeof(tx), 5);
	r = nfqd_vbuf_add(&vb, 1, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_add(&vb, 2, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_add_ct(&vb, 3, NF_REPEAT, true, 0x10000000, 0x10000000);
	CHECK(r == 0 && vb.nmsgs == 2 && !vb.open, "ct: the open run is "
	    "closed before it, and it is written at once");
	r |= nfqd_vbuf_add(&vb, 4, NF_ACCEPT, false, 0);
	r |= nfqd_vbuf_close(&vb);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECKF(r == 0 && n == 3 && vb.nmsgs == 3, "ct: accept, accept, "
	    "repeat with a connmark, accept is three messages", "got %d", n);
	if (n != 3)
		return;
	CHECK(vmsg_is(&m[0], BATCH_TYPE, NF_ACCEPT, 2, false, 0),
	    "ct: first is VERDICT_BATCH {accept, 2}");
	CHECK(m[1].type == VERDICT_TYPE && m[1].res_id == 5 &&
	    (m[1].flags & NLM_F_REQUEST) && m[1].nattrs == 3 &&
	    m[1].has_mark && m[1].mark == 0x10000000,
	    "ct: second is a plain VERDICT (a batch cannot carry NFQA_CT) "
	    "with NFQA_MARK 0x10000000 and two more attributes");
	CHECK(vmsg_is(&m[2], VERDICT_TYPE, NF_ACCEPT, 4, false, 0),
	    "ct: third is VERDICT {accept, 4}");
	CHECK(m[0].seq < m[1].seq && m[1].seq < m[2].seq,
	    "ct: sequence numbers increase");
	nlh = (const struct nlmsghdr *)(tx + NLMSG_ALIGN(
	    ((const struct nlmsghdr *)(const void *)tx)->nlmsg_len));
	CHECK_UINT_EQ(nlh->nlmsg_len, 60, "ct: the message is 60 bytes");
	CHECK(nlh->nlmsg_len <= NFQD_VERDICT_MSG_MAX,
	    "ct: fits NFQD_VERDICT_MSG_MAX");
	CHECK(ct_layout_is(nlh, NF_REPEAT, 3, true, drop_bit, drop_bit),
	    "ct: header {repeat, 3}, NFQA_MARK, NFQA_CT nested {CTA_MARK "
	    "10 00 00 00, CTA_MARK_MASK 10 00 00 00}, nothing else");

	/* Without a packet mark, and a mark whose bytes all differ. */
	nfqd_vbuf_reset(&vb);
	r = nfqd_vbuf_add_ct(&vb, 7, NF_DROP, false, 0, 0x12345678);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECK(r == 0 && n == 1 && m[0].type == VERDICT_TYPE &&
	    !m[0].has_mark && m[0].nattrs == 2, "ct: no NFQA_MARK when the "
	    "packet mark is not set");
	CHECK(n == 1 && ct_layout_is((const struct nlmsghdr *)(const void *)tx,
	    NF_DROP, 7, false, NULL, odd), "ct: {drop, 7}, NFQA_CT {CTA_MARK "
	    "12 34 56 78, CTA_MARK_MASK 12 34 56 78}: network order");

	/* No room: the run is closed, the verdict waits for a send. */
	nfqd_vbuf_init(&vb, small, sizeof(small), 5);
	r = nfqd_vbuf_add(&vb, 1, NF_ACCEPT, false, 0);
	CHECK_INT_EQ(r, 0, "ct full: a run opens");
	r = nfqd_vbuf_add_ct(&vb, 2, NF_ACCEPT, true, 1, 1);
	CHECK(r == -1 && vb.nmsgs == 1 && !vb.open,
	    "ct full: no room after closing the run: -1, the run written");
	nfqd_vbuf_reset(&vb);
	r = nfqd_vbuf_add_ct(&vb, 2, NF_ACCEPT, true, 1, 1);
	n = walk_verdicts(small, vb.len, m, 8);
	CHECK(r == 0 && n == 1 && m[0].type == VERDICT_TYPE && m[0].id == 2,
	    "ct full: after a reset it fits");
}

static void
test_vbuf_full(void)
{
	struct nfqd_vbuf	vb;
	struct vmsg		m[8];
	char			tx[NFQD_VERDICT_MSG_MAX + 16]
				    __attribute__((aligned(8)));
	size_t			len;
	int			n, r;

	nfqd_vbuf_init(&vb, tx, sizeof(tx), 5);
	r = nfqd_vbuf_add(&vb, 1, NF_ACCEPT, false, 0);
	CHECK_INT_EQ(r, 0, "full: first verdict opens a run");
	r = nfqd_vbuf_add(&vb, 2, NF_DROP, false, 0);
	CHECK(r == 0 && vb.nmsgs == 1, "full: second verdict closes the "
	    "first run into the buffer");
	len = vb.len;
	r = nfqd_vbuf_add(&vb, 3, NF_ACCEPT, false, 0);
	CHECK_INT_EQ(r, -1, "full: add returns -1 when there is no room");
	CHECK(vb.len == len && vb.nmsgs == 1,
	    "full: a failed add writes nothing");
	CHECK_INT_EQ(nfqd_vbuf_close(&vb), -1,
	    "full: close returns -1 when there is no room");
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECK(n == 1 && vmsg_is(&m[0], VERDICT_TYPE, NF_ACCEPT, 1, false, 0),
	    "full: the buffer holds VERDICT {accept, 1}");

	/*
	 * What queue.h tells the caller to do: send what is there, then
	 * retry.  The verdict for packet 2 must not be lost on the way.
	 */
	nfqd_vbuf_reset(&vb);
	CHECK(vb.len == 0 && vb.nmsgs == 0, "full: reset empties it");
	r = nfqd_vbuf_add(&vb, 3, NF_ACCEPT, false, 0);
	CHECK_INT_EQ(r, 0, "full: retry after reset succeeds");
	/* The buffer has room for one worst-case message: two sends. */
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECKF(n == 1 && vmsg_is(&m[0], VERDICT_TYPE, NF_DROP, 2, false, 0),
	    "full: send, reset and retry keeps packet 2's drop",
	    "got %d messages, the first {verdict %u, id %u}; expected "
	    "VERDICT {drop, 2}", n, n > 0 ? m[0].verdict : 0,
	    n > 0 ? m[0].id : 0);
	r = nfqd_vbuf_close(&vb);
	CHECK_INT_EQ(r, -1, "full: closing packet 3's run needs another send");
	nfqd_vbuf_reset(&vb);
	r = nfqd_vbuf_close(&vb);
	n = walk_verdicts(tx, vb.len, m, 8);
	CHECK(r == 0 && n == 1 &&
	    vmsg_is(&m[0], VERDICT_TYPE, NF_ACCEPT, 3, false, 0),
	    "full: after the second send, VERDICT {accept, 3}");
}

struct cfgmsg {
	uint16_t	type;
	uint16_t	flags;
	uint32_t	seq;
	uint16_t	res_id;
	int		has_cmd, has_params, has_maxlen, has_flags, has_mask;
	uint32_t	copy_range;
	uint8_t		copy_mode;
	uint32_t	maxlen;
	uint32_t	qflags, mask;
};

static int
cfg_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;

	if (mnl_attr_type_valid(a, NFQA_CFG_MAX) < 0)
		return MNL_CB_ERROR;
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int
read_cfg(const char *p, size_t len, struct cfgmsg *c)
{
	const struct nlmsghdr			*nlh = (const void *)p;
	const struct nlattr			*tb[NFQA_CFG_MAX + 1];
	const struct nfqnl_msg_config_params	*cp;
	const struct nfgenmsg			*nfg;

	memset(c, 0, sizeof(*c));
	memset(tb, 0, sizeof(tb));
	if (!mnl_nlmsg_ok(nlh, (int)len) || nlh->nlmsg_len != len)
		return -1;
	c->type = nlh->nlmsg_type;
	c->flags = nlh->nlmsg_flags;
	c->seq = nlh->nlmsg_seq;
	nfg = mnl_nlmsg_get_payload(nlh);
	c->res_id = ntohs(nfg->res_id);
	if (mnl_attr_parse(nlh, sizeof(*nfg), cfg_cb, tb) != MNL_CB_OK)
		return -1;
	c->has_cmd = tb[NFQA_CFG_CMD] != NULL;
	if (tb[NFQA_CFG_PARAMS] != NULL &&
	    mnl_attr_get_payload_len(tb[NFQA_CFG_PARAMS]) == sizeof(*cp)) {
		cp = mnl_attr_get_payload(tb[NFQA_CFG_PARAMS]);
		c->has_params = 1;
		c->copy_range = ntohl(cp->copy_range);
		c->copy_mode = cp->copy_mode;
	}
	if (tb[NFQA_CFG_QUEUE_MAXLEN] != NULL &&
	    mnl_attr_validate(tb[NFQA_CFG_QUEUE_MAXLEN], MNL_TYPE_U32) == 0) {
		c->has_maxlen = 1;
		c->maxlen = ntohl(mnl_attr_get_u32(tb[NFQA_CFG_QUEUE_MAXLEN]));
	}
	if (tb[NFQA_CFG_FLAGS] != NULL &&
	    mnl_attr_validate(tb[NFQA_CFG_FLAGS], MNL_TYPE_U32) == 0) {
		c->has_flags = 1;
		c->qflags = ntohl(mnl_attr_get_u32(tb[NFQA_CFG_FLAGS]));
	}
	if (tb[NFQA_CFG_MASK] != NULL &&
	    mnl_attr_validate(tb[NFQA_CFG_MASK], MNL_TYPE_U32) == 0) {
		c->has_mask = 1;
		c->mask = ntohl(mnl_attr_get_u32(tb[NFQA_CFG_MASK]));
	}
	return 0;
}

static void
test_params(void)
{
	struct nfqd_config	 cf;
	struct nfqd_queue_params qp;
	struct cfgmsg		 c;
	char			 p[NFQD_QUEUE_CFG_MSG_MAX]
				     __attribute__((aligned(8)));
	const uint32_t		 all = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO |
				     NFQA_CFG_F_UID_GID;
	size_t			 len;
	unsigned		 combo;
	uint32_t		 want;

	nfqd_config_defaults(&cf);
	nfqd_config_queue_params(&cf, &qp);
	qp.copy_range = 128;
	qp.maxlen = 4096;
	memset(p, 0xa5, sizeof(p));
	len = nfqd_queue_build_params(p, 3, &qp, 77);
	CHECK(len > 0 && len <= NFQD_QUEUE_CFG_MSG_MAX,
	    "params: fits NFQD_QUEUE_CFG_MSG_MAX");
	CHECK_INT_EQ(read_cfg(p, len, &c), 0,
	    "params: one well-formed message of the returned length");
	CHECK_UINT_EQ(c.type, CONFIG_TYPE, "params: NFQNL_MSG_CONFIG");
	CHECK_UINT_EQ(c.seq, 77, "params: seq set");
	CHECK_UINT_EQ(c.res_id, 3, "params: queue in res_id");
	CHECK(c.flags & NLM_F_REQUEST, "params: NLM_F_REQUEST");
	CHECK(!c.has_cmd, "params: no bind command");
	CHECK(c.has_params && c.copy_mode == NFQNL_COPY_PACKET &&
	    c.copy_range == 128, "params: copy packet, range 128");
	CHECK(c.has_maxlen && c.maxlen == 4096, "params: maxlen 4096");
	CHECK(c.has_flags && c.qflags == (NFQA_CFG_F_FAIL_OPEN |
	    NFQA_CFG_F_GSO), "params: default flags fail_open and gso");
	CHECK(c.has_mask && c.mask == all, "params: mask of our three flags");

	qp.copy_range = 0;
	len = nfqd_queue_build_params(p, 65535, &qp, 1);
	CHECK(read_cfg(p, len, &c) == 0 && c.has_params &&
	    c.copy_mode == NFQNL_COPY_META && c.copy_range == 0 &&
	    c.res_id == 65535 && c.seq == 1,
	    "params: copy_range 0 is metadata only");

	qp.copy_range = 65535;
	len = nfqd_queue_build_params(p, 0, &qp, 2);
	CHECK(read_cfg(p, len, &c) == 0 && c.copy_mode == NFQNL_COPY_PACKET &&
	    c.copy_range == 65535, "params: copy_range 65535");

	for (combo = 0; combo < 8; combo++) {
		qp.fail_open = (combo & 1) != 0;
		qp.gso = (combo & 2) != 0;
		qp.uid_gid = (combo & 4) != 0;
		want = (qp.fail_open ? NFQA_CFG_F_FAIL_OPEN : 0) |
		    (qp.gso ? NFQA_CFG_F_GSO : 0) |
		    (qp.uid_gid ? NFQA_CFG_F_UID_GID : 0);
		len = nfqd_queue_build_params(p, 1, &qp, 9);
		CHECKF(read_cfg(p, len, &c) == 0 && c.has_flags &&
		    c.qflags == want && c.has_mask && c.mask == all,
		    unit_fmt("params: fail_open=%d gso=%d uid_gid=%d gives "
		    "flags 0x%x mask 0x%x", qp.fail_open, qp.gso, qp.uid_gid,
		    want, all), "got flags 0x%x mask 0x%x", c.qflags, c.mask);
	}

	/* Probes only: a queue's own messages never touch the flag. */
	qp.fail_open = qp.gso = qp.uid_gid = false;
	qp.conntrack = true;
	len = nfqd_queue_build_params(p, 1, &qp, 9);
	CHECK(read_cfg(p, len, &c) == 0 && c.qflags == NFQA_CFG_F_CONNTRACK &&
	    c.mask == (all | NFQA_CFG_F_CONNTRACK),
	    "params: conntrack (probes) in flags and mask");
	qp.conntrack = false;

	CHECK_UINT_EQ(nfqd_queue_msg_size(0), 4096,
	    "msg_size(0): metadata only, no room for a payload");
	CHECK_UINT_EQ(nfqd_queue_msg_size(128), 128 + 4096, "msg_size(128)");
	CHECK_UINT_EQ(nfqd_queue_msg_size(129), 132 + 4096,
	    "msg_size(129) is aligned");
	CHECK_UINT_EQ(nfqd_queue_msg_size(65535), 65536 + 4096,
	    "msg_size(65535)");
}

int
main(void)
{
	test_parse_good();
	test_parse_bad();
	test_parse_same();
	test_is_packet();
	test_vbuf();
	test_vbuf_bytes();
	test_vbuf_full();
	test_vbuf_ct();
	test_params();
	return unit_done();
}
