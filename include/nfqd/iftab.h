#ifndef NFQD_IFTAB_H
#define NFQD_IFTAB_H

/*
 * Interface names by index, for the in_iface/out_iface matchers: the
 * kernel gives a queued packet's interfaces as indexes, rules name them.
 * A worker fills the table from rtnetlink (a dump at start, then link
 * notifications), so names resolve again when interfaces come and go.
 */

#include <stdint.h>

struct nfqd_iftab;

struct nfqd_iftab *nfqd_iftab_new(void);
void	nfqd_iftab_free(struct nfqd_iftab *t);
int	nfqd_iftab_set(struct nfqd_iftab *t, uint32_t ifindex, const char *name);
void	nfqd_iftab_del(struct nfqd_iftab *t, uint32_t ifindex);
/* The name of ifindex, or "" when unknown (or 0: no interface). */
const char *nfqd_iftab_name(const struct nfqd_iftab *t, uint32_t ifindex);
unsigned nfqd_iftab_count(const struct nfqd_iftab *t);

/*
 * Open a NETLINK_ROUTE socket subscribed to link changes and load every
 * current interface.  Returns the socket (non-blocking) for the caller's
 * epoll set, or -1.
 */
int	nfqd_iftab_open(struct nfqd_iftab *t);
/*
 * Apply pending link notifications from fd.  After an overrun (ENOBUFS)
 * the table is loaded again.  Returns the number of changes, -1 on error.
 */
int	nfqd_iftab_read(struct nfqd_iftab *t, int fd);

#endif
