/*
 * classicq: the classic single-threaded libnetfilter_queue consumer, as
 * most tutorials write it (one recv() and one nfq_handle_packet() per
 * packet, one nfq_set_verdict() per packet from the callback).  nfqd's
 * benchmark measures it next to nfqd and the reference consumer.
 *
 * Two departures from the tutorials, so that its losses compare with the
 * other consumers: queue maxlen 8192 (the kernel default is 1024) and an
 * 8 MiB receive buffer (nfnl_rcvbufsiz tries SO_RCVBUFFORCE first).
 *
 *   classicq [-q QUEUE]
 *
 * Says "classicq: ready" on stderr once the queue is configured.  ENOBUFS
 * (a socket overrun) is counted and the loop goes on.  SIGTERM or SIGINT:
 * destroy the queue, close and exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/netfilter.h>
#include <libnfnetlink/libnfnetlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

static volatile sig_atomic_t	stop;
static unsigned long long	packets;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cb(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg, struct nfq_data *nfa,
    void *data)
{
	struct nfqnl_msg_packet_hdr	*ph;
	uint32_t			 id = 0;

	(void)nfmsg;
	(void)data;
	ph = nfq_get_msg_packet_hdr(nfa);
	if (ph != NULL)
		id = ntohl(ph->packet_id);
	packets++;
	return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
}

int
main(int argc, char *argv[])
{
	char			 buf[4096] __attribute__((aligned));
	struct nfq_handle	*h;
	struct nfq_q_handle	*qh;
	struct sigaction	 act;
	struct timeval		 tv = { 0, 200000 };
	unsigned long long	 enobufs = 0;
	uint16_t		 queue = 0;
	int			 fd, rv, ch;

	while ((ch = getopt(argc, argv, "q:")) != -1) {
		switch (ch) {
		case 'q':
			queue = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: classicq [-q QUEUE]\n");
			return 2;
		}
	}

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;	/* no SA_RESTART: recv returns */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	if ((h = nfq_open()) == NULL) {
		perror("classicq: nfq_open");
		return 1;
	}
	/* Obsolete since Linux 3.8, but every tutorial still does it. */
	nfq_unbind_pf(h, AF_INET);
	if (nfq_bind_pf(h, AF_INET) < 0) {
		perror("classicq: nfq_bind_pf");
		return 1;
	}
	if ((qh = nfq_create_queue(h, queue, &cb, NULL)) == NULL) {
		perror("classicq: nfq_create_queue");
		return 1;
	}
	if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
		perror("classicq: nfq_set_mode");
		return 1;
	}
	if (nfq_set_queue_maxlen(qh, 8192) < 0)
		perror("classicq: nfq_set_queue_maxlen");
	/* Doubled by the kernel, charged per skb truesize (> 1 KiB each). */
	nfnl_rcvbufsiz(nfq_nfnlh(h), 8 << 20);
	fd = nfq_fd(h);
	/* A signal that lands just before recv blocks is seen in 200 ms. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		perror("classicq: setsockopt(SO_RCVTIMEO)");

	fprintf(stderr, "classicq: ready: queue %u\n", queue);

	while (!stop) {
		rv = (int)recv(fd, buf, sizeof(buf), 0);
		if (rv >= 0) {
			nfq_handle_packet(h, buf, rv);
			continue;
		}
		if (errno == ENOBUFS) {
			enobufs++;
			continue;
		}
		if (errno == EINTR || errno == EAGAIN)
			continue;
		perror("classicq: recv");
		break;
	}

	nfq_destroy_queue(qh);
	nfq_close(h);
	fprintf(stderr, "classicq: %llu packets, %llu ENOBUFS\n", packets,
	    enobufs);
	return 0;
}
