/*
 * The two settings nfqctl needs from nfqd's configuration: stats.shm (the
 * counters region) and daemon.pidfile.  Only those are read, so a mistake
 * elsewhere in the file (a pending edit not yet loaded), a name set only
 * root may read, a pcap.dir this user cannot write or a daemon.user this
 * host does not know do not keep stats, metrics or stop from working:
 * the running daemon checked the file it loaded.  nfqctl check and
 * reload, which are about the file itself, use nfqd's whole loader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "nfqd/cfgtext.h"
#include "nfqd/cfgutil.h"
#include "nfqd/config.h"
#include "nfqd/util.h"
#include "nfqctl.h"

/* group.name as nfqd reads it (settings.c: a group, an absolute path). */
static void
read_path(struct nfqd_cfgctx *cc, config_setting_t *root, const char *group,
    const char *name, char *dst, size_t len)
{
	config_setting_t	*g, *s;

	if ((g = config_setting_get_member(root, group)) == NULL)
		return;
	if (!config_setting_is_group(g)) {
		cfg_err(cc, g, "must be a group: %s = { ... };", group);
		return;
	}
	if ((s = config_setting_get_member(g, name)) != NULL)
		cfg_path(cc, s, dst, len, false);
}

int
nfqctl_read_paths(struct nfqctl *c, unsigned need,
    nfqd_config_report_fn report, void *arg)
{
	struct nfqd_cfgtext	 t;
	struct nfqd_cfgctx	 cc;
	struct nfqd_cfgcap	 k;
	struct nfqd_config	*cf;
	config_t		 lc;
	const char		*file;
	int			 line, errors;

	if (c->shm != NULL)
		need &= ~NFQCTL_NEED_SHM;
	if (c->pidfile != NULL)
		need &= ~NFQCTL_NEED_PIDFILE;
	if (need == 0)
		return 0;
	/* nfqd's defaults, from nfqd's own function. */
	if ((cf = malloc(sizeof(*cf))) == NULL) {
		report(arg, c->config, 0, "out of memory");
		return 1;
	}
	nfqd_config_defaults(cf);
	/* Shown as nfqd's loads show them: the first 100 of each kind. */
	cfg_cap_init(&k, report, arg);
	/* The text nfqd would parse: @include expanded, lines mapped. */
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, cfg_cap_report, &k);
	if ((errors = nfqd_cfgtext_read(&t, c->config)) != 0)
		goto out;
	config_init(&lc);
	config_set_include_dir(&lc, "/dev/null");	/* as config.c */
	if (config_read_string(&lc, t.buf) == CONFIG_FALSE) {
		file = nfqd_cfgtext_where(&t, config_error_line(&lc), &line);
		cfg_cap_report(&k, file, line, config_error_text(&lc) != NULL ?
		    config_error_text(&lc) : "syntax error");
		errors = 1;
	} else {
		memset(&cc, 0, sizeof(cc));
		cc.report = cfg_cap_report;
		cc.arg = &k;
		cc.path = c->config;
		cc.text = &t;
		if (need & NFQCTL_NEED_SHM)
			read_path(&cc, config_root_setting(&lc), "stats",
			    "shm", cf->shm_path, sizeof(cf->shm_path));
		if (need & NFQCTL_NEED_PIDFILE)
			read_path(&cc, config_root_setting(&lc), "daemon",
			    "pidfile", cf->pidfile, sizeof(cf->pidfile));
		errors = cc.errors;
	}
	config_destroy(&lc);
	if (errors == 0 && (need & NFQCTL_NEED_SHM)) {
		nfqd_strlcpy(c->shm_buf, cf->shm_path, sizeof(c->shm_buf));
		c->shm = c->shm_buf;
	}
	if (errors == 0 && (need & NFQCTL_NEED_PIDFILE)) {
		nfqd_strlcpy(c->pidfile_buf, cf->pidfile,
		    sizeof(c->pidfile_buf));
		c->pidfile = c->pidfile_buf;
	}
out:
	nfqd_cfgtext_free(&t);
	cfg_cap_end(&k, c->config);
	free(cf);
	return errors;
}

int
nfqctl_paths(struct nfqctl *c, unsigned need)
{
	if (c->shm != NULL)
		need &= ~NFQCTL_NEED_SHM;
	if (c->pidfile != NULL)
		need &= ~NFQCTL_NEED_PIDFILE;
	if (nfqctl_read_paths(c, need, nfqd_config_report_stderr, NULL) == 0)
		return 0;
	fprintf(stderr, "nfqctl: %s: cannot take %s from it; %s\n",
	    c->config, need == NFQCTL_NEED_SHM ? "stats.shm" :
	    need == NFQCTL_NEED_PIDFILE ? "daemon.pidfile" :
	    "stats.shm and daemon.pidfile", need == NFQCTL_NEED_SHM ?
	    "-s names the region" : need == NFQCTL_NEED_PIDFILE ?
	    "-p names the pidfile" : "-s and -p name them");
	return -1;
}
