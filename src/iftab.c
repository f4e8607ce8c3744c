/*
 * Interface index -> name, kept current from rtnetlink (see iftab.h).
 * Changes only on link events, never on the packet path.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "nfqd/iftab.h"
#include "nfqd/log.h"

struct ent {
	uint32_t	ifindex;	/* 0: empty */
	char		name[IFNAMSIZ];
};

struct nfqd_iftab {
	struct ent	*ents;
	uint32_t	 mask;
	uint32_t	 count;
	uint32_t	 seq;
};

struct nfqd_iftab *
nfqd_iftab_new(void)
{
	struct nfqd_iftab	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ents = calloc(64, sizeof(*t->ents))) == NULL) {
		free(t);
		return NULL;
	}
	t->mask = 63;
	return t;
}

void
nfqd_iftab_free(struct nfqd_iftab *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t);
}

static struct ent *
find(const struct nfqd_iftab *t, uint32_t ifindex)
{
	uint32_t	i = (ifindex * 2654435761u) & t->mask;

	for (;; i = (i + 1) & t->mask)
		if (t->ents[i].ifindex == ifindex || t->ents[i].ifindex == 0)
			return &t->ents[i];
}

static int
rehash(struct nfqd_iftab *t, uint32_t size)
{
	struct nfqd_iftab	 n = *t;
	uint32_t		 i;

	if ((n.ents = calloc(size, sizeof(*n.ents))) == NULL)
		return -1;
	n.mask = size - 1;
	for (i = 0; i <= t->mask; i++)
		if (t->ents[i].ifindex != 0)
			*find(&n, t->ents[i].ifindex) = t->ents[i];
	free(t->ents);
	*t = n;
	return 0;
}

int
nfqd_iftab_set(struct nfqd_iftab *t, uint32_t ifindex, const char *name)
{
	struct ent	*e;

	if (ifindex == 0)
		return -1;
	if ((t->count + 1) * 2 > t->mask + 1 &&
	    rehash(t, (t->mask + 1) * 2) == -1)
		return -1;
	e = find(t, ifindex);
	if (e->ifindex == 0)
		t->count++;
	e->ifindex = ifindex;
	memset(e->name, 0, sizeof(e->name));
	strncpy(e->name, name, sizeof(e->name) - 1);
	return 0;
}

void
nfqd_iftab_del(struct nfqd_iftab *t, uint32_t ifindex)
{
	struct ent	*e;
	uint32_t	 i, j;

	if (ifindex == 0 || (e = find(t, ifindex))->ifindex == 0)
		return;
	/* Backward-shift deletion keeps every probe chain intact. */
	i = (uint32_t)(e - t->ents);
	e->ifindex = 0;
	t->count--;
	for (j = (i + 1) & t->mask; t->ents[j].ifindex != 0;
	    j = (j + 1) & t->mask) {
		struct ent moved = t->ents[j];

		t->ents[j].ifindex = 0;
		*find(t, moved.ifindex) = moved;
	}
}

const char *
nfqd_iftab_name(const struct nfqd_iftab *t, uint32_t ifindex)
{
	const struct ent	*e;

	if (ifindex == 0)
		return "";
	e = find(t, ifindex);
	return e->ifindex != 0 ? e->name : "";
}

unsigned
nfqd_iftab_count(const struct nfqd_iftab *t)
{
	return t->count;
}

static int
link_attr(const struct nlattr *a, void *data)
{
	const char	**name = data;

	if (mnl_attr_get_type(a) == IFLA_IFNAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*name = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int
link_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nfqd_iftab	*t = data;
	const struct ifinfomsg	*ifi;
	const char		*name = NULL;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0)
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		nfqd_iftab_del(t, (uint32_t)ifi->ifi_index);
		return MNL_CB_OK;
	}
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &name);
	if (name != NULL && nfqd_iftab_set(t, (uint32_t)ifi->ifi_index,
	    name) == -1)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* Ask for every link and read the whole answer. */
static int
dump(struct nfqd_iftab *t, int fd)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct sockaddr_nl	 kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr		*nlh;
	struct rtgenmsg		*rt;
	ssize_t			 n;
	int			 r;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++t->seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (sendto(fd, buf, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) == -1)
		return -1;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Notifications mixed in (seq 0) are applied too. */
		r = mnl_cb_run(buf, (size_t)n, 0, 0, link_msg, t);
		if (r == MNL_CB_STOP)
			return 0;
		if (r == MNL_CB_ERROR)
			return -1;
	}
}

int
nfqd_iftab_open(struct nfqd_iftab *t)
{
	struct sockaddr_nl	sa = { .nl_family = AF_NETLINK,
				       .nl_groups = RTMGRP_LINK };
	int			fd, flags;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    dump(t, fd) == -1 ||
	    (flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
nfqd_iftab_read(struct nfqd_iftab *t, int fd)
{
	char	buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t	n;
	int	changes = 0, flags;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return changes;
			if (errno != ENOBUFS)
				return -1;
			/* Missed notifications: load the whole table again. */
			flags = fcntl(fd, F_GETFL);
			if (flags == -1 ||
			    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ||
			    dump(t, fd) == -1 ||
			    fcntl(fd, F_SETFL, flags) == -1)
				return -1;
			changes++;
			continue;
		}
		if (mnl_cb_run(buf, (size_t)n, 0, 0, link_msg, t) ==
		    MNL_CB_ERROR)
			return -1;
		changes++;
	}
}
