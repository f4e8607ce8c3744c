/*
 * The nfnetlink_queue protocol: queue sockets, configuration and verdict
 * messages, and the validated parse of packet messages.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/procfs.h"
#include "nfqd/queue.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Sequence numbers of the two messages nfqd_queue_open() sends. */
#define SEQ_BIND	1
#define SEQ_PARAMS	2

size_t
nfqd_queue_msg_size(uint32_t copy_range)
{
	/*
	 * Everything but the payload (packet header, mark, timestamp,
	 * interfaces, hardware address, uid, gid, skb info, security context,
	 * VLAN, L2 header) fits in well under 4 KiB.
	 */
	if (copy_range > 65535)
		copy_range = 65535;
	/* copy_range 0 is metadata only (NFQNL_COPY_META): no payload. */
	return MNL_ALIGN(copy_range) + 4096;
}

int
nfqd_queue_set_rcvbuf(int fd, uint16_t queue, uint32_t bytes)
{
	int		val = (int)bytes;
	socklen_t	len = sizeof(val);

	/*
	 * The kernel doubles the value for its bookkeeping and charges each
	 * queued message its skb truesize, not its length: a 64-byte packet
	 * costs well over 1 KiB of this buffer.  SO_RCVBUFFORCE (needs
	 * CAP_NET_ADMIN) ignores net.core.rmem_max; SO_RCVBUF is capped by it.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &val, sizeof(val)) ==
	    -1) {
		log_warn("queue %u: setsockopt(SO_RCVBUFFORCE, %u)", queue,
		    bytes);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)) ==
		    -1) {
			log_warn("queue %u: setsockopt(SO_RCVBUF, %u)", queue,
			    bytes);
			return -1;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len) == -1) {
		log_warn("queue %u: getsockopt(SO_RCVBUF)", queue);
		return -1;
	}
	/*
	 * getsockopt() reports the doubled value, capped at INT_MAX (so 1G
	 * comes back one byte short).
	 */
	if ((uint64_t)val + 2 < 2ull * bytes)
		log_warnx("queue %u: receive buffer is %d bytes, less than "
		    "the %u asked for (raise net.core.rmem_max or run with "
		    "CAP_NET_ADMIN)", queue, val / 2, bytes);
	else
		log_info("queue %u: receive buffer %d bytes", queue, val / 2);
	return 0;
}

static void
put_flags(struct nlmsghdr *nlh, const struct nfqd_queue_params *qp)
{
	uint32_t	flags = 0, mask;

	mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID;
	if (qp->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (qp->gso)
		flags |= NFQA_CFG_F_GSO;
	if (qp->uid_gid)
		flags |= NFQA_CFG_F_UID_GID;
	/* Only in probes: a queue's own messages leave the flag alone. */
	if (qp->conntrack) {
		flags |= NFQA_CFG_F_CONNTRACK;
		mask |= NFQA_CFG_F_CONNTRACK;
	}
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
}

static void
put_params(struct nlmsghdr *nlh, const struct nfqd_queue_params *qp)
{
	if (qp->copy_range == 0)
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_META, 0);
	else
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET,
		    (int)qp->copy_range);
}

size_t
nfqd_queue_build_params(char *buf, uint16_t queue,
    const struct nfqd_queue_params *qp, uint32_t seq)
{
	struct nlmsghdr	*nlh;

	/* Attribute padding is not zeroed by every libmnl: zero it all. */
	memset(buf, 0, NFQD_QUEUE_CFG_MSG_MAX);
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nlh->nlmsg_seq = seq;
	put_flags(nlh, qp);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, qp->maxlen);
	put_params(nlh, qp);
	return nlh->nlmsg_len;
}

int
nfqd_queue_send(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl	kernel = { .nl_family = AF_NETLINK };
	ssize_t			n;

	do {
		n = sendto(fd, buf, len, 0, (struct sockaddr *)&kernel,
		    sizeof(kernel));
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* The error code (0: success) of an NLMSG_ERROR reply to seq, -1 if not one. */
static int
reply_error(const struct nlmsghdr *nlh, size_t len, uint32_t seq)
{
	const struct nlmsgerr	*e;

	if (!nfqd_nlmsg_ok(nlh, len) || nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_seq != seq ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -1;
	e = mnl_nlmsg_get_payload(nlh);
	return -e->error;
}

static void
bind_error(uint16_t queue, int error, const struct nfqd_queue_params *qp,
    char *err, size_t errlen)
{
	struct nfqd_kqueue	 kq;
	const struct nfqd_kqueue *k;

	/*
	 * A queue bound by another socket is refused with EPERM (the owner
	 * check comes before the bind's own EBUSY): the kernel's list of
	 * bound queues tells the two apart.
	 */
	k = nfqd_procfs_lookup(NFQD_PROCFS_PATH, queue, &kq) == 0 ? &kq : NULL;
	if (error == EPERM && k != NULL)
		error = EBUSY;
	switch (error) {
	case EBUSY:
		if (k != NULL)
			snprintf(err, errlen, "queue %u is already bound by "
			    "another process (netlink portid %u, see %s); "
			    "is another nfqd running?", queue, k->portid,
			    NFQD_PROCFS_PATH);
		else
			snprintf(err, errlen, "queue %u is already bound by "
			    "another process; is another nfqd running?",
			    queue);
		break;
	case EPERM:
		snprintf(err, errlen, "binding queue %u: %s (nfqd needs "
		    "CAP_NET_ADMIN)", queue, strerror(error));
		break;
	case EOPNOTSUPP:
		snprintf(err, errlen, "queue %u: the kernel refused the queue "
		    "flags (fail_open=%s gso=%s uid_gid=%s): %s", queue,
		    qp->fail_open ? "true" : "false",
		    qp->gso ? "true" : "false",
		    qp->uid_gid ? "true" : "false", strerror(error));
		break;
	default:
		snprintf(err, errlen, "binding queue %u: %s", queue,
		    strerror(error));
		break;
	}
}

/*
 * Bind and configure in one datagram of two messages:
 *   1. BIND + flags + maxlen, acknowledged;
 *   2. copy mode and range, not acknowledged.
 * A new queue has copy mode "none" and refuses packets, so no packet can
 * arrive before the acknowledgement of message 1: it is the first thing in
 * the socket.  Message 2 lets packets in; if it failed, its error is
 * queued right behind that acknowledgement (the kernel handles both during
 * our send), and we can look for it without reading any packet.
 */
int
nfqd_queue_open(uint16_t queue, const struct nfqd_queue_params *qp, char *err,
    size_t errlen)
{
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };
	char			 buf[2 * NFQD_QUEUE_CFG_MSG_MAX];
	char			 rbuf[4096];
	struct nlmsghdr		*nlh;
	struct pollfd		 pfd;
	size_t			 len;
	ssize_t			 n;
	int			 fd, one = 1, e;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_NETFILTER);
	if (fd == -1) {
		snprintf(err, errlen, "socket(AF_NETLINK, NETLINK_NETFILTER) "
		    "for queue %u: %s", queue, strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "bind(AF_NETLINK) for queue %u: %s",
		    queue, strerror(errno));
		goto fail;
	}
	/*
	 * Connected to the kernel (port 0), the socket refuses messages from
	 * any other sender, so readers need not ask who sent each one.
	 */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "connect(AF_NETLINK) for queue %u: %s",
		    queue, strerror(errno));
		goto fail;
	}
	nfqd_queue_set_rcvbuf(fd, queue, qp->rcvbuf);
	/*
	 * With NETLINK_NO_ENOBUFS an overrun does not make the next recv()
	 * fail; the loss still shows as a gap in packet ids (counted as
	 * "skipped") and in the kernel's user_dropped counter.
	 */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
	    sizeof(one)) == -1)
		log_warn("queue %u: setsockopt(NETLINK_NO_ENOBUFS)", queue);

	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = SEQ_BIND;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	put_flags(nlh, qp);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, qp->maxlen);
	len = nlh->nlmsg_len;
	nlh = nfq_nlmsg_put(buf + len, NFQNL_MSG_CONFIG, queue);
	nlh->nlmsg_seq = SEQ_PARAMS;
	put_params(nlh, qp);
	len += nlh->nlmsg_len;

	if (nfqd_queue_send(fd, buf, len) == -1) {
		snprintf(err, errlen, "sending bind for queue %u: %s", queue,
		    strerror(errno));
		goto fail;
	}

	pfd.fd = fd;
	pfd.events = POLLIN;
	if ((e = poll(&pfd, 1, 5000)) <= 0) {
		snprintf(err, errlen, "queue %u: no reply from the kernel to "
		    "bind: %s", queue, e == 0 ? "timed out" : strerror(errno));
		goto fail;
	}
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n == -1) {
		snprintf(err, errlen, "queue %u: reading the reply to bind: "
		    "%s", queue, strerror(errno));
		goto fail;
	}
	e = reply_error((struct nlmsghdr *)rbuf, (size_t)n, SEQ_BIND);
	if (e == -1) {
		snprintf(err, errlen, "queue %u: unexpected reply to bind",
		    queue);
		goto fail;
	}
	if (e != 0) {
		bind_error(queue, e, qp, err, errlen);
		goto fail;
	}
	n = recv(fd, rbuf, sizeof(rbuf), MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 && (e = reply_error((struct nlmsghdr *)rbuf, (size_t)n,
	    SEQ_PARAMS)) != -1) {
		snprintf(err, errlen, "queue %u: setting copy mode and range "
		    "%u: %s", queue, qp->copy_range, strerror(e));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* A queue number nobody has bound, for probes: -1 if none is found. */
static int
free_queue_number(void)
{
	struct nfqd_kqueue	kq;
	int			q;

	for (q = 65535; q > 65535 - 64; q--)
		if (nfqd_procfs_lookup(NFQD_PROCFS_PATH, (uint32_t)q, &kq) == -1 &&
		    errno == ENOENT)
			return q;
	return -1;
}

/*
 * The kernel's answer to qp's flags: 0 when it takes them, the error when
 * it refuses them, -1 when it could not be asked (the reason in err).
 * The kernel checks flags before it looks the queue up: on a queue nobody
 * bound, flags it takes give ENODEV (EPERM if someone bound it since),
 * flags it lacks EOPNOTSUPP (EINVAL from kernels older than the flag), and
 * nothing changes anywhere.
 */
static int
probe(const struct nfqd_queue_params *qp, char *err, size_t errlen)
{
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };
	char			 buf[NFQD_QUEUE_CFG_MSG_MAX], rbuf[1024];
	struct nlmsghdr		*nlh;
	struct pollfd		 pfd;
	ssize_t			 n;
	int			 fd, q, e, tries;

	if ((q = free_queue_number()) == -1) {
		snprintf(err, errlen, "no free queue number to ask on");
		return -1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd == -1) {
		snprintf(err, errlen, "socket(AF_NETLINK, NETLINK_NETFILTER): "
		    "%s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "bind(AF_NETLINK): %s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	/*
	 * A kernel that had to load ctnetlink for NFQA_CFG_F_CONNTRACK
	 * replays the message itself; should EAGAIN come back, ask again.
	 */
	for (tries = 0, e = EAGAIN; tries < 2 && e == EAGAIN; tries++) {
		memset(buf, 0, sizeof(buf));
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, (uint32_t)q);
		nlh->nlmsg_flags |= NLM_F_ACK;
		nlh->nlmsg_seq = (uint32_t)tries + 1;
		put_flags(nlh, qp);
		if (nfqd_queue_send(fd, buf, nlh->nlmsg_len) == -1) {
			snprintf(err, errlen, "sending to the kernel: %s",
			    strerror(errno));
			e = -1;
		} else if ((e = poll(&pfd, 1, 2000)) != 1) {
			snprintf(err, errlen, "no reply from the kernel: %s",
			    e == 0 ? "timed out" : strerror(errno));
			e = -1;
		} else if ((n = recv(fd, rbuf, sizeof(rbuf), 0)) == -1) {
			snprintf(err, errlen, "reading the kernel's reply: %s",
			    strerror(errno));
			e = -1;
		} else if ((e = reply_error((struct nlmsghdr *)rbuf, (size_t)n,
		    nlh->nlmsg_seq)) == -1) {
			snprintf(err, errlen, "unexpected reply from the kernel");
		}
	}
	close(fd);
	if (e == ENODEV || e == EPERM)
		return 0;
	if (e == EAGAIN) {
		snprintf(err, errlen, "the kernel answered %s twice",
		    strerror(e));
		return -1;
	}
	return e;
}

int
nfqd_queue_probe_flags(const struct nfqd_queue_params *qp, char *err,
    size_t errlen)
{
	int	e;

	e = probe(qp, err, errlen);
	if (e == EOPNOTSUPP || e == EINVAL) {
		snprintf(err, errlen, "the kernel does not support the queue "
		    "flags fail_open=%s gso=%s uid_gid=%s: %s",
		    qp->fail_open ? "true" : "false",
		    qp->gso ? "true" : "false",
		    qp->uid_gid ? "true" : "false", strerror(e));
		return -1;
	}
	return 0;	/* taken, or cannot tell: a worker reports a refusal */
}

int
nfqd_queue_probe_conntrack(char *err, size_t errlen)
{
	struct nfqd_queue_params	qp;
	int				e;

	memset(&qp, 0, sizeof(qp));
	qp.conntrack = true;
	if ((e = probe(&qp, err, errlen)) == -1)
		return -1;
	if (e != 0) {
		snprintf(err, errlen, "NFQA_CT: %s", strerror(e));
		return 0;
	}
	return 1;
}

int
nfqd_queue_close(int fd, uint16_t queue, bool release)
{
	char			 buf[2 * NFQD_QUEUE_CFG_MSG_MAX];
	struct nlmsghdr		*nlh;
	struct nfqd_kqueue	 kq;
	size_t			 len = 0;
	int			 waiting = -1;

	memset(buf, 0, sizeof(buf));
	if (release) {
		/*
		 * Queue length 0 first: from then on the kernel accepts new
		 * packets at once (fail-open) instead of queueing them, so
		 * every packet still queued has an id up to the id_sequence
		 * read after it, and one batch verdict releases them all.
		 */
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, 0);
		if (nfqd_queue_send(fd, buf, nlh->nlmsg_len) == -1)
			log_warn("queue %u: setting queue length 0", queue);
	}
	if (nfqd_procfs_lookup(NFQD_PROCFS_PATH, queue, &kq) == 0)
		waiting = (int)kq.queue_total;
	if (release && waiting > 0) {
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, queue);
		nfq_nlmsg_verdict_put(nlh, (int)kq.id_sequence, NF_ACCEPT);
		len = nlh->nlmsg_len;
	}
	nlh = nfq_nlmsg_put(buf + len, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	len += nlh->nlmsg_len;
	/*
	 * Errors come back as messages nobody will read; closing the socket
	 * unbinds anyway.
	 */
	if (nfqd_queue_send(fd, buf, len) == -1)
		log_warn("queue %u: sending unbind", queue);
	close(fd);
	return waiting;
}

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
