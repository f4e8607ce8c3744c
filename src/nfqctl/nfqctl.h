#ifndef NFQCTL_H
#define NFQCTL_H

#include <sys/types.h>

#include "nfqd/config.h"

/* Exit statuses (nfqctl -h, docs/nfqctl.md). */
#define NFQCTL_OK	0
#define NFQCTL_FAIL	1	/* not running, region refused, not done */
#define NFQCTL_USAGE	2

/*
 * stats, rules and metrics wait this long for workers still counting their
 * rules in an older region (nfqd_snapshot_settled()).
 */
#define NFQCTL_SETTLE_MS	1000

/* shm and pidfile: NULL until given or read (paths.c). */
struct nfqctl {
	const char	*config;	/* -c, or the default */
	const char	*shm;		/* -s, the configuration's */
	const char	*pidfile;	/* -p, the configuration's */
	char		 shm_buf[4096];
	char		 pidfile_buf[4096];
	long		 check_ms;	/* reload: how long the check took */
};

/* main.c: load the whole configuration, as nfqd -t (for reload). */
int	nfqctl_load_config(struct nfqctl *c);

/* paths.c: what nfqctl_read_paths() fills in. */
#define NFQCTL_NEED_SHM		0x1	/* stats.shm, into c->shm */
#define NFQCTL_NEED_PIDFILE	0x2	/* daemon.pidfile, c->pidfile */

/*
 * Read only the settings in need that the command line did not give from
 * c->config, with nfqd's defaults; errors elsewhere in the file are not
 * looked for.  Returns the number of problems found (0: done); report is
 * given the first 100 and a line of how many more, as nfqd's loads.
 */
int	nfqctl_read_paths(struct nfqctl *c, unsigned need,
	    nfqd_config_report_fn report, void *arg);
/* The same, reported on stderr with what to do: 0 or -1. */
int	nfqctl_paths(struct nfqctl *c, unsigned need);

/*
 * control.c: the master's pid, from the pidfile or, when there is none,
 * from the counters region if that process is the region's master; -1
 * with the reason on stderr.
 */
pid_t	nfqctl_daemon_pid(struct nfqctl *c);
/* reload and stop through the pidfile and signals. */
int	nfqctl_reload(struct nfqctl *c);
/* How long reload waits for the new generation: 10 s + 2 x check_ms. */
long	nfqctl_reload_wait_ms(const struct nfqctl *c);
int	nfqctl_stop(struct nfqctl *c);

/* top.c: the live view; argv[0] is "top". */
int	nfqctl_top(struct nfqctl *c, int argc, char *argv[]);

#endif
