/*
 * refq: the reference consumer of nfqd's benchmark.  It does the least
 * work per packet a correct NFQUEUE consumer can do, so that the cost it
 * measures is (nearly) the kernel's own:
 *
 *   raw NETLINK_NETFILTER socket, queue 0 (or -q N), copy mode packet with
 *   copy range 128, queue maxlen 8192, no fail-open, SO_RCVBUFFORCE 8 MiB,
 *   NETLINK_NO_ENOBUFS;
 *   loop: blocking recvmmsg(MSG_WAITFORONE) of up to 64 messages, then one
 *   NFQNL_MSG_VERDICT_BATCH (NF_ACCEPT) for the highest packet id read.
 *
 *   refq [-q QUEUE]
 *
 * Says "refq: ready" on stderr once the queue is configured.  SIGTERM or
 * SIGINT: unbind and exit 0, printing the packets and batches it handled.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

#define BATCH		64
#define COPY_RANGE	128
#define MAXLEN		8192
#define RCVBUF		(8 << 20)
/* One packet message: copy range plus headers and metadata attributes. */
#define MSGSIZE		(COPY_RANGE + 4096)

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
send_msg(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl	kernel = { .nl_family = AF_NETLINK };
	ssize_t			n;

	do {
		n = sendto(fd, buf, len, 0, (struct sockaddr *)&kernel,
		    sizeof(kernel));
	} while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* Send one acknowledged configuration message; 0 or an errno value. */
static int
config(int fd, char *buf, struct nlmsghdr *nlh, uint32_t seq)
{
	char			 rbuf[8192];
	struct nlmsghdr		*r;
	const struct nlmsgerr	*e;
	ssize_t			 n;
	int			 len;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (send_msg(fd, buf, nlh->nlmsg_len) == -1)
		return errno;
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		len = (int)n;
		for (r = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(r, len);
		    r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_type != NLMSG_ERROR ||
			    r->nlmsg_seq != seq ||
			    r->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(r);
			return -e->error;
		}
	}
}

/* The packet id of a packet message, or -1. */
static int64_t
packet_id(const struct nlmsghdr *nlh)
{
	const struct nfqnl_msg_packet_hdr	*ph;
	const struct nlattr			*a;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return -1;
	/* The packet header is the first attribute the kernel puts. */
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFQA_PACKET_HDR)
			continue;
		if (mnl_attr_validate2(a, MNL_TYPE_UNSPEC, sizeof(*ph)) == -1)
			return -1;
		ph = mnl_attr_get_payload(a);
		return ntohl(ph->packet_id);
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	static char		 rx[BATCH][MSGSIZE];
	static struct mmsghdr	 msgs[BATCH];
	static struct iovec	 iov[BATCH];
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };
	struct sigaction	 act;
	struct timeval		 tv = { 0, 200000 };
	struct nlmsghdr		*nlh;
	unsigned long long	 packets = 0, batches = 0;
	uint32_t		 maxid = 0;
	uint16_t		 queue = 0;
	bool			 have;
	int64_t			 id;
	int			 fd, one = 1, rcvbuf = RCVBUF, ch, n, i, len, e;

	while ((ch = getopt(argc, argv, "q:")) != -1) {
		switch (ch) {
		case 'q':
			queue = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: refq [-q QUEUE]\n");
			return 2;
		}
	}

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;	/* no SA_RESTART: recvmmsg returns */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd == -1) {
		perror("refq: socket(NETLINK_NETFILTER)");
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("refq: bind");
		return 1;
	}
	/* Doubled by the kernel, charged per skb truesize (> 1 KiB each). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		perror("refq: setsockopt(SO_RCVBUFFORCE)");
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
	    sizeof(one)) == -1)
		perror("refq: setsockopt(NETLINK_NO_ENOBUFS)");
	/* A signal that lands just before recvmmsg blocks is seen in 200 ms. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		perror("refq: setsockopt(SO_RCVTIMEO)");

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	if ((e = config(fd, buf, nlh, 1)) != 0) {
		fprintf(stderr, "refq: binding queue %u: %s\n", queue,
		    strerror(e));
		return 1;
	}
	/* A new queue has copy mode "none" and refuses packets. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, MAXLEN);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	if ((e = config(fd, buf, nlh, 2)) != 0) {
		fprintf(stderr, "refq: queue %u parameters: %s\n", queue,
		    strerror(e));
		return 1;
	}

	fprintf(stderr, "refq: ready: queue %u\n", queue);

	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = rx[i];
		iov[i].iov_len = sizeof(rx[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop) {
		n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS)
				continue;
			perror("refq: recvmmsg");
			break;
		}
		have = false;
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				msgs[i].msg_hdr.msg_flags = 0;
				continue;
			}
			len = (int)msgs[i].msg_len;
			for (nlh = (struct nlmsghdr *)rx[i];
			    mnl_nlmsg_ok(nlh, len);
			    nlh = mnl_nlmsg_next(nlh, &len)) {
				if ((id = packet_id(nlh)) == -1)
					continue;	/* not a packet */
				/* Ids grow; compare modulo 2^32. */
				if (!have || (int32_t)((uint32_t)id - maxid) > 0)
					maxid = (uint32_t)id;
				have = true;
				packets++;
			}
		}
		if (!have)
			continue;
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, queue);
		nfq_nlmsg_verdict_put(nlh, (int)maxid, NF_ACCEPT);
		if (send_msg(fd, buf, nlh->nlmsg_len) == -1)
			perror("refq: sending a batch verdict");
		batches++;
	}

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	send_msg(fd, buf, nlh->nlmsg_len);
	close(fd);
	fprintf(stderr, "refq: %llu packets in %llu batches\n", packets,
	    batches);
	return 0;
}
