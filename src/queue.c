/*
 * The nfnetlink_queue protocol: queue sockets and their configuration
 * (the packet and verdict messages are qmsg.c's).
 */
#include <arpa/inet.h>
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
