/*
 * libFuzzer target for the handling of messages from the queue socket: the
 * input is a datagram as recvmmsg() would return it.  Every netlink message
 * in it goes through the same steps a worker takes: the packet parse (with
 * attribute validation), the lenient id reader used for damaged messages,
 * and the packet parser on the payload.  Nothing may read outside the
 * input; results must be consistent, and the packet parse must give what
 * the libmnl parser it replaced gives (tests/unit/queue_ref.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "../unit/queue_ref.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr	*nlh;
	struct nfqd_pkt	 pi;
	struct nfqd_qmsg		 p, q;
	uint8_t			*buf;
	uint32_t		 id;
	size_t			 rem = size;
	int			 r;

	/* Netlink buffers are 4-byte aligned; the worker's are. */
	if (size > 1 << 20 || (buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	/* A cut-short datagram: only the id reader sees it. */
	if (nfqd_queue_packet_id(buf, size, &id) == 0)
		ASSERT(size >= 20);
	/* The walk the worker does (handle_datagram). */
	for (nlh = (const struct nlmsghdr *)buf; nfqd_nlmsg_ok(nlh, rem);
	    nlh = nfqd_nlmsg_next(nlh, &rem)) {
		if (!nfqd_queue_is_packet(nlh))
			continue;
		r = nfqd_queue_parse_packet(nlh, &p);
		ASSERT(ref_parse_packet(nlh, &q) == r);
		if (r == -1)
			continue;
		ASSERT(ref_same_qmsg(&p, &q));
		/* A valid message has a readable id, and the same one. */
		ASSERT(nfqd_queue_packet_id(nlh, nlh->nlmsg_len, &id) == 0);
		ASSERT(id == p.id);
		ASSERT(p.len >= p.caplen);
		if (p.payload != NULL) {
			ASSERT(p.payload >= (const uint8_t *)nlh);
			ASSERT(p.payload + p.caplen <=
			    (const uint8_t *)nlh + nlh->nlmsg_len);
		}
		nfqd_pkt_parse(p.payload, p.caplen, p.len, &pi);
		ASSERT(pi.status < NFQD_PKT_STATUS_MAX);
	}
	free(buf);
	return 0;
}
