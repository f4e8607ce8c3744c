#ifndef NFQCTL_H
#define NFQCTL_H

/* Exit statuses (nfqctl -h, docs/nfqctl.md). */
#define NFQCTL_OK	0
#define NFQCTL_FAIL	1	/* not running, region refused, not done */
#define NFQCTL_USAGE	2

struct nfqctl {
	const char	*config;	/* -c, or the default */
	const char	*shm;		/* -s, or the configuration's */
	char		 shm_buf[4096];
	char		 pidfile[4096];	/* "" when the configuration has none */
	int		 have_config;	/* the file was loaded */
};

/* Read the configuration file for the region and the pidfile. */
int	nfqctl_load_config(struct nfqctl *c);

/* control.c: reload and stop through the pidfile and signals. */
int	nfqctl_reload(struct nfqctl *c);
int	nfqctl_stop(struct nfqctl *c);

/* top.c: the live view; argv[0] is "top". */
int	nfqctl_top(struct nfqctl *c, int argc, char *argv[]);

#endif
