/*
 * The queue sockets the master holds.
 *
 * The master keeps every queue socket open for as long as the queue is
 * configured.  A bound queue belongs to its socket, not to a process, so a
 * worker that dies leaves its queue bound: packets wait in the kernel while
 * a new worker is forked onto the same socket.  A queue leaves the
 * configuration only once its reader has exited (slots.c).
 */
#include <stdio.h>
#include <string.h>

#include "nfqd/config.h"
#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/queue.h"
#include "nfqd/util.h"

bool
nfqd_qsock_wanted(const struct nfqd_master *m, uint16_t q)
{
	return !m->stopping && q >= m->cf.qfirst &&
	    (unsigned)q < (unsigned)m->cf.qfirst + m->cf.qcount;
}

struct nfqd_qsock *
nfqd_qsock_find(struct nfqd_master *m, uint16_t q)
{
	size_t	i;

	for (i = 0; i < m->nqs; i++)
		if (m->qs[i].queue == q)
			return &m->qs[i];
	return NULL;
}

int
nfqd_qsock_bind(struct nfqd_master *m, const struct nfqd_config *cf,
    size_t *added)
{
	struct nfqd_queue_params qp;
	struct nfqd_qsock	*qs;
	char			 err[512];
	unsigned		 i;
	uint16_t		 q;
	int			 fd;

	*added = 0;
	nfqd_config_queue_params(cf, &qp);
	if (nfqd_reserve_fds(cf->qcount) == -1) {
		log_err("%u queues need as many file descriptors (raise the "
		    "hard RLIMIT_NOFILE, LimitNOFILE= under systemd)",
		    cf->qcount);
		return -1;
	}
	for (i = 0; i < cf->qcount; i++) {
		q = (uint16_t)(cf->qfirst + i);
		if (nfqd_qsock_find(m, q) != NULL)
			continue;
		if (m->nqs == NFQD_ARRAY_SIZE(m->qs)) {
			/* Removed queues still wait for their workers. */
			log_errx("cannot bind queue %u: %zu queues are bound "
			    "or still being released; try again shortly", q,
			    m->nqs);
			return -1;
		}
		if ((fd = nfqd_queue_open(q, &qp, err, sizeof(err))) == -1) {
			log_errx("%s", err);
			return -1;
		}
		qs = &m->qs[m->nqs++];
		memset(qs, 0, sizeof(*qs));
		qs->queue = q;
		qs->fd = fd;
		qs->reader = -1;
		qs->max_copy = cf->copy_range;
		(*added)++;
		log_debug("bound queue %u", q);
	}
	return 0;
}

void
nfqd_qsock_unbind_last(struct nfqd_master *m, size_t n, bool fail_open)
{
	while (n-- > 0)
		nfqd_qsock_release(m, &m->qs[m->nqs - 1], fail_open);
}

/* The last socket takes qs's place. */
void
nfqd_qsock_release(struct nfqd_master *m, struct nfqd_qsock *qs,
    bool fail_open)
{
	int	waiting;

	waiting = nfqd_queue_close(qs->fd, qs->queue, fail_open);
	if (waiting > 0)
		log_info("queue %u: %d packets waiting at unbind were %s",
		    qs->queue, waiting, fail_open ? "accepted (fail_open)" :
		    "dropped");
	log_debug("unbound queue %u", qs->queue);
	nfqd_watchdog_unbound(m, qs->queue);
	*qs = m->qs[--m->nqs];
}

void
nfqd_qsock_set_rcvbuf(struct nfqd_master *m)
{
	size_t	i;

	for (i = 0; i < m->nqs; i++)
		if (nfqd_qsock_wanted(m, m->qs[i].queue))
			nfqd_queue_set_rcvbuf(m->qs[i].fd, m->qs[i].queue,
			    m->cf.rcvbuf);
}
