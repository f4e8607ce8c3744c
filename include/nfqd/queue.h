#ifndef NFQD_QUEUE_H
#define NFQD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>


/*
 * The nfnetlink_queue protocol: opening and binding a queue socket, the
 * configuration and verdict messages (built with libnetfilter_queue's
 * nfq_nlmsg_* helpers into caller buffers, but for the packet path's
 * verdicts, written in place: nfqd_vbuf_close()) and the validated parse of
 * packet messages.
 */

/*
 * Walking the netlink messages of a datagram.  libmnl's mnl_nlmsg_ok()
 * compares the length as an int, so a length near 2^32 passes and the walk
 * steps backwards: these do not.
 */
static inline bool
nfqd_nlmsg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	    nlh->nlmsg_len <= len;
}

static inline const struct nlmsghdr *
nfqd_nlmsg_next(const struct nlmsghdr *nlh, size_t *len)
{
	size_t	step = NLMSG_ALIGN((size_t)nlh->nlmsg_len);

	if (step > *len)
		step = *len;
	*len -= step;
	return (const struct nlmsghdr *)(const void *)((const char *)nlh + step);
}

/*
 * libmnl's mnl_nlmsg_size() and mnl_nlmsg_get_payload(), inline: the
 * packet path calls no function of libmnl or libnetfilter_queue, whose
 * code pages only the worker touches and so finds cold at each wake-up.
 */
#define NFQD_NLMSG_SIZE(len)	(NLMSG_HDRLEN + (size_t)(len))

static inline const void *
nfqd_nlmsg_payload(const struct nlmsghdr *nlh)
{
	return (const char *)nlh + NLMSG_HDRLEN;
}

/*
 * What a queue is told when it is bound, and again by each new worker on
 * the live socket (see the settings of the same names, queue { }).
 */
struct nfqd_queue_params {
	uint32_t	copy_range;	/* bytes of each packet; 0: metadata */
	uint32_t	maxlen;		/* packets waiting, at most */
	uint32_t	rcvbuf;		/* socket receive buffer, bytes */
	bool		fail_open;	/* accept when the queue is full */
	bool		gso;		/* hand over GSO packets whole */
	bool		uid_gid;	/* send the socket owner's uid, gid */
	bool		conntrack;	/* NFQA_CFG_F_CONNTRACK: in probes
					   only (nfqd_queue_probe_conntrack) */
};

/* Room for the largest message the kernel sends for copy_range bytes. */
size_t	nfqd_queue_msg_size(uint32_t copy_range);

/*
 * Open a NETLINK_NETFILTER socket, size its receive buffer, bind queue and
 * set its parameters, with the kernel acknowledging the bind.  Returns the
 * socket (non-blocking, close-on-exec) or -1 with a message in err.
 */
int	nfqd_queue_open(uint16_t queue, const struct nfqd_queue_params *qp,
	    char *err, size_t errlen);

/*
 * Ask the kernel whether it supports qp's queue flags, without touching
 * any queue.  -1 with a message when it does not.
 */
int	nfqd_queue_probe_flags(const struct nfqd_queue_params *qp, char *err,
	    size_t errlen);

/*
 * Whether the kernel applies the conntrack mark a verdict carries
 * (NFQA_CT, flows.connmark).  It takes the queue flag NFQA_CFG_F_CONNTRACK
 * exactly when its conntrack glue is there (CONFIG_NETFILTER_NETLINK_GLUE_CT
 * and ctnetlink, which asking loads when it is a module), and that glue is
 * what applies NFQA_CT in a verdict, with or without the flag on the
 * queue.  1: it does; 0: it does not; -1: cannot tell.  err says why for
 * 0 and -1.
 */
int	nfqd_queue_probe_conntrack(char *err, size_t errlen);

/* SO_RCVBUFFORCE, falling back to SO_RCVBUF; logs what the kernel granted. */
int	nfqd_queue_set_rcvbuf(int fd, uint16_t queue, uint32_t bytes);

/*
 * Build the message that (re)applies qp's parameters (copy mode and range,
 * maxlen, flags) to a bound queue.  Returns its length.  buf needs
 * NFQD_QUEUE_CFG_MSG_MAX bytes.
 */
#define NFQD_QUEUE_CFG_MSG_MAX	256
size_t	nfqd_queue_build_params(char *buf, uint16_t queue,
	    const struct nfqd_queue_params *qp, uint32_t seq);

/* Send a datagram of netlink messages to the kernel.  0 or -1 (errno). */
int	nfqd_queue_send(int fd, const void *buf, size_t len);

/*
 * Stop serving a queue nobody reads any more: with release, accept every
 * packet still waiting (fail_open: uninspected packets pass); then unbind
 * and close.  Returns how many packets were waiting (released, or dropped
 * by the unbind), -1 if unknown.
 */
int	nfqd_queue_close(int fd, uint16_t queue, bool release);

/*
 * The queue's message for one packet, parsed and validated: its id, the
 * kernel's metadata and the packet's bytes (whose headers pkt.h parses).
 * Pointers refer to the message.
 */
struct nfqd_qmsg {
	uint32_t	 id;
	uint16_t	 hw_protocol;	/* ETH_P_IP, ETH_P_IPV6, host order */
	uint8_t		 hook;
	const uint8_t	*payload;	/* network header onwards, or NULL */
	uint32_t	 caplen;	/* bytes at payload */
	uint32_t	 len;		/* original length (NFQA_CAP_LEN or caplen) */
	uint32_t	 mark;
	uint32_t	 indev;		/* ifindex, 0: none */
	uint32_t	 outdev;
	uint32_t	 uid;
	uint32_t	 gid;
	uint32_t	 skbinfo;	/* NFQA_SKB_* flags */
	uint64_t	 ts_sec;	/* NFQA_TIMESTAMP, when has_ts */
	uint32_t	 ts_usec;
	uint8_t		 has_uid:1;
	uint8_t		 has_gid:1;
	uint8_t		 has_ts:1;
};

/*
 * Parse a NFQNL_MSG_PACKET message.  Returns 0, or -1 when it is malformed
 * (a missing or short packet header, an attribute of the wrong size, a
 * payload past the end), and then *qm is left as it was.  Unknown
 * attributes are skipped, not errors: a newer kernel may send more.
 */
int	nfqd_queue_parse_packet(const struct nlmsghdr *nlh,
	    struct nfqd_qmsg *qm);

/*
 * The packet id of a packet message that is damaged or cut short (len
 * bytes of it were received), when its packet header can still be read:
 * such a packet must still get a verdict.  0, or -1.
 */
int	nfqd_queue_packet_id(const void *buf, size_t len, uint32_t *id);

/* True when nlh is a packet message of the queue subsystem. */
bool	nfqd_queue_is_packet(const struct nlmsghdr *nlh);

/*
 * Verdicts, batched.  Consecutive packets with the same verdict and mark
 * become one NFQNL_MSG_VERDICT_BATCH (a run of one a plain NFQNL_MSG_VERDICT);
 * all messages of a receive batch go to the kernel in one send.  A batch
 * verdict applies to every waiting packet with an id up to its own, so runs
 * must be closed in id order, which is the order packets are read in.
 */
#define NFQD_VERDICT_MSG_MAX	64	/* one verdict message, bytes */

struct nfqd_vbuf {
	char		*buf;
	size_t		 len;
	size_t		 cap;
	uint16_t	 queue;
	uint32_t	 seq;
	unsigned	 nmsgs;		/* messages in buf */
	/* the run being built */
	bool		 open;
	bool		 has_mark;
	uint32_t	 verdict;
	uint32_t	 mark;
	uint32_t	 last_id;
	uint32_t	 count;
};

void	nfqd_vbuf_init(struct nfqd_vbuf *vb, char *buf, size_t cap,
	    uint16_t queue);
/*
 * Returns -1 when buf has no room for the message that closes the open
 * run: send what buf holds, nfqd_vbuf_reset(), and add again.
 */
int	nfqd_vbuf_add(struct nfqd_vbuf *vb, uint32_t id, uint32_t verdict,
	    bool has_mark, uint32_t mark);
/*
 * A verdict that also sets bits of the packet's connection mark: ctmark's
 * bits are set, no other bit changes.  It closes the open run and is a
 * message of its own (NFQNL_MSG_VERDICT: a batch verdict cannot carry
 * NFQA_CT).  -1 when there is no room, as above.
 */
int	nfqd_vbuf_add_ct(struct nfqd_vbuf *vb, uint32_t id, uint32_t verdict,
	    bool has_mark, uint32_t mark, uint32_t ctmark);
/* Close the open run into buf.  -1 when there is no room (as above). */
int	nfqd_vbuf_close(struct nfqd_vbuf *vb);
/* The messages in buf were sent: empty it.  An open run stays open. */
void	nfqd_vbuf_reset(struct nfqd_vbuf *vb);

#endif
