/*
 * nfqctl: nfqd's counters read from its regions (read-only: no signal,
 * no privilege beyond reading the file), and reload, stop and check.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/config.h"
#include "nfqd/json.h"
#include "nfqd/metrics.h"
#include "nfqd/nfqd.h"
#include "nfqd/procfs.h"
#include "nfqd/snapshot.h"
#include "nfqd/stats.h"
#include "nfqd/util.h"
#include "nfqctl.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nfqctl [-c FILE] [-s SHM] [-p PIDFILE] COMMAND [ARGS]\n"
"       nfqctl -h | -V\n"
"\n"
"  -c, --config FILE   nfqd's configuration, default %s:\n"
"                      only the counters region (stats.shm) and the\n"
"                      pidfile (daemon.pidfile) are read from it, but\n"
"                      for reload, which checks it all first\n"
"  -s, --shm SHM       the counters region itself\n"
"  -p, --pidfile PIDFILE\n"
"                      nfqd's pidfile itself (as nfqd -p); without one,\n"
"                      reload and stop signal the region's master\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"Commands:\n"
"  stats [--json]      the statistics SIGUSR1 writes, now: the table, or\n"
"                      the JSON document of stats.file\n"
"  rules [--sort hits|bytes|name]\n"
"                      per-rule hits and bytes (rule order by default;\n"
"                      hits and bytes sort the largest first)\n"
"  metrics [--max-rules N]\n"
"                      Prometheus text exposition; rule series for the\n"
"                      first N rules (default %d), the rest as\n"
"                      rule=\"_other\"\n"
"  top [--batch] [--interval S] [--iterations N]\n"
"                      a live view, again every S seconds (default 1):\n"
"                      per worker and total packets/s, verdicts/s, kernel\n"
"                      backlog and drops, flows, names read, dns_learn;\n"
"                      the busiest rules.  Keys:\n"
"                      q quits, r or space refreshes, w p d b sort the\n"
"                      workers, h t o the rules.  --batch (or stdout not a\n"
"                      terminal): plain text frames, N of them (default:\n"
"                      no end)\n"
"  reload              checks the configuration, then SIGHUP to nfqd;\n"
"                      waits until it has loaded it (10 s + twice the\n"
"                      check's time)\n"
"  stop                SIGTERM to nfqd; waits until it has exited (30 s)\n"
"  check FILE          check a configuration file, as nfqd -t\n"
"\n"
"Exit status: 0 done; 1 nfqd or its region is not there, the region is\n"
"of another version, the reload or stop did not happen, the checked\n"
"file is invalid; 2 usage.\n",
	    NFQD_DEFAULT_CONFIG, NFQD_METRICS_MAX_RULES);
}

int
nfqctl_load_config(struct nfqctl *c)
{
	struct nfqd_overrides	 ov;
	struct nfqd_config	*cf;
	int			 errors;

	if ((cf = malloc(sizeof(*cf))) == NULL) {
		perror("nfqctl: malloc");
		return -1;
	}
	memset(&ov, 0, sizeof(ov));
	errors = nfqd_config_load(cf, c->config, &ov,
	    nfqd_config_report_stderr, NULL);
	if (errors != 0) {
		fprintf(stderr, "nfqctl: %s: %d error%s in the configuration\n",
		    c->config, errors, errors == 1 ? "" : "s");
		free(cf);
		return -1;
	}
	if (c->pidfile == NULL) {
		nfqd_strlcpy(c->pidfile_buf, cf->pidfile,
		    sizeof(c->pidfile_buf));
		c->pidfile = c->pidfile_buf;
	}
	if (c->shm == NULL) {
		nfqd_strlcpy(c->shm_buf, cf->shm_path, sizeof(c->shm_buf));
		c->shm = c->shm_buf;
	}
	nfqd_config_free(cf);
	free(cf);
	return 0;
}

static void
print_line(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

static int
write_buf(struct nfqd_buf *b)
{
	if (b->failed) {
		fprintf(stderr, "nfqctl: out of memory\n");
		return NFQCTL_FAIL;
	}
	if (fwrite(b->data, 1, b->len, stdout) != b->len ||
	    fflush(stdout) == EOF) {
		perror("nfqctl: stdout");
		return NFQCTL_FAIL;
	}
	return NFQCTL_OK;
}

static const char *sort_key;

static int
rule_cmp(const void *a, const void *b)
{
	const struct nfqd_stats_rule	*x = a, *y = b;
	uint64_t			 u, v;

	if (strcmp(sort_key, "name") == 0)
		return strcmp(x->name, y->name);
	u = strcmp(sort_key, "hits") == 0 ? x->hits : x->bytes;
	v = strcmp(sort_key, "hits") == 0 ? y->hits : y->bytes;
	if (u != v)
		return u < v ? 1 : -1;
	/* Ties stay in rule order (names are copied to one array in order). */
	return x->name < y->name ? -1 : x->name > y->name;
}

static int
print_rules(struct nfqd_stats *s)
{
	struct nfqd_stats_rule	*r;
	uint32_t		 i;

	printf("%6s %-32s %12s %14s\n", "rule", "name", "hits", "bytes");
	if (s->nrules == 0)
		return NFQCTL_OK;
	if ((r = malloc(s->nrules * sizeof(*r))) == NULL) {
		perror("nfqctl: malloc");
		return NFQCTL_FAIL;
	}
	memcpy(r, s->rules, s->nrules * sizeof(*r));
	if (sort_key != NULL)
		qsort(r, s->nrules, sizeof(*r), rule_cmp);
	for (i = 0; i < s->nrules; i++)
		printf("%6u %-32s %12llu %14llu\n", (unsigned)(r[i].name -
		    s->rules[0].name) / NFQD_RSHM_NAME + 1, r[i].name,
		    (unsigned long long)r[i].hits,
		    (unsigned long long)r[i].bytes);
	free(r);
	return NFQCTL_OK;
}

enum view { STATS, STATS_JSON, RULES, METRICS };

/* stats, rules, metrics: one snapshot of the region, shown. */
static int
show(struct nfqctl *c, enum view v, uint32_t max_rules)
{
	struct nfqd_snapshot	sn;
	struct nfqd_buf		b;
	char			err[8300];
	int			rc = NFQCTL_OK;

	if (nfqctl_paths(c, NFQCTL_NEED_SHM) == -1)
		return NFQCTL_FAIL;
	if (nfqd_snapshot_settled(&sn, c->shm, NFQD_PROCFS_PATH,
	    NFQCTL_SETTLE_MS, err, sizeof(err)) == -1) {
		fprintf(stderr, "nfqctl: %s\n", err);
		nfqd_snapshot_close(&sn);
		return NFQCTL_FAIL;
	}
	if (sn.rules_elsewhere > 0)
		fprintf(stderr, "nfqctl: %u worker%s still count%s rules in "
		    "an older rules region; those counts are not shown\n",
		    sn.rules_elsewhere, sn.rules_elsewhere == 1 ? "" : "s",
		    sn.rules_elsewhere == 1 ? "s its" : " their");
	/* The table says it itself. */
	if (sn.stats->kernel_errno != 0 && v != STATS && v != RULES)
		fprintf(stderr, "nfqctl: no kernel counters: cannot read %s: "
		    "%s\n", NFQD_PROCFS_PATH, strerror(sn.stats->kernel_errno));
	buf_init(&b);
	switch (v) {
	case STATS:
		nfqd_stats_table(sn.stats, print_line, NULL);
		break;
	case STATS_JSON:
		nfqd_stats_json(sn.stats, &b);
		rc = write_buf(&b);
		break;
	case RULES:
		rc = print_rules(sn.stats);
		break;
	case METRICS:
		nfqd_metrics_write(sn.stats, max_rules, &b);
		rc = write_buf(&b);
		break;
	}
	buf_free(&b);
	nfqd_snapshot_close(&sn);
	return rc;
}

/* A command's own options: argv[0] is the command. */
static int
command(struct nfqctl *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	   NULL, 'j' },
		{ "sort",	required_argument, NULL, 'o' },
		{ "max-rules",	required_argument, NULL, 'm' },
		{ NULL,		0,		   NULL, 0 }
	};
	const char	*cmd = argv[0];
	unsigned long	 max_rules = NFQD_METRICS_MAX_RULES;
	uint64_t	 t0;
	char		*end;
	int		 ch, json = 0;

	if (strcmp(cmd, "top") == 0)
		return nfqctl_top(c, argc, argv);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'o':
			sort_key = optarg;
			break;
		case 'm':
			max_rules = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    max_rules > UINT32_MAX) {
				fprintf(stderr, "nfqctl: --max-rules: not a "
				    "number: %s\n", optarg);
				return NFQCTL_USAGE;
			}
			break;
		default:
			return NFQCTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if ((json && strcmp(cmd, "stats") != 0) ||
	    (sort_key != NULL && strcmp(cmd, "rules") != 0) ||
	    (max_rules != NFQD_METRICS_MAX_RULES &&
	    strcmp(cmd, "metrics") != 0)) {
		fprintf(stderr, "nfqctl: %s: option not for this command\n",
		    cmd);
		return NFQCTL_USAGE;
	}
	if (sort_key != NULL && strcmp(sort_key, "hits") != 0 &&
	    strcmp(sort_key, "bytes") != 0 && strcmp(sort_key, "name") != 0) {
		fprintf(stderr, "nfqctl: rules --sort: hits, bytes or name, "
		    "not %s\n", sort_key);
		return NFQCTL_USAGE;
	}
	if (strcmp(cmd, "check") == 0) {
		if (argc != 1) {
			fprintf(stderr, "nfqctl: check: one FILE\n");
			return NFQCTL_USAGE;
		}
		return nfqd_config_check(argv[0], NULL) == 0 ? NFQCTL_OK :
		    NFQCTL_FAIL;
	}
	if (argc != 0) {
		fprintf(stderr, "nfqctl: %s: unexpected argument: %s\n", cmd,
		    argv[0]);
		return NFQCTL_USAGE;
	}
	if (strcmp(cmd, "stats") == 0)
		return show(c, json ? STATS_JSON : STATS, 0);
	if (strcmp(cmd, "rules") == 0)
		return show(c, RULES, 0);
	if (strcmp(cmd, "metrics") == 0)
		return show(c, METRICS, (uint32_t)max_rules);
	if (strcmp(cmd, "reload") == 0) {
		/*
		 * nfqd would refuse an invalid file and keep running the
		 * old one: say what is wrong now, as nfqd -t, and send
		 * nothing.
		 */
		t0 = nfqd_now_ns();
		if (nfqctl_load_config(c) == -1)
			return NFQCTL_FAIL;
		c->check_ms = (long)((nfqd_now_ns() - t0) / 1000000);
		return nfqctl_reload(c);
	}
	/* Only the pidfile (and the region without one): see paths.c. */
	if (strcmp(cmd, "stop") == 0)
		return nfqctl_stop(c);
	fprintf(stderr, "nfqctl: unknown command: %s\n", cmd);
	usage(stderr);
	return NFQCTL_USAGE;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument, NULL, 'c' },
		{ "shm",	required_argument, NULL, 's' },
		{ "pidfile",	required_argument, NULL, 'p' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL,		0,		   NULL, 0 }
	};
	struct nfqctl	c;
	int		ch;

	memset(&c, 0, sizeof(c));
	c.config = NFQD_DEFAULT_CONFIG;
	/* "+": options after the command are the command's. */
	while ((ch = getopt_long(argc, argv, "+c:s:p:hV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			c.config = optarg;
			break;
		case 's':
			c.shm = optarg;
			break;
		case 'p':
			c.pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return NFQCTL_OK;
		case 'V':
			printf("nfqctl %s (counters region version %d)\n",
			    NFQD_VERSION, NFQD_SHM_VERSION);
			return NFQCTL_OK;
		default:
			usage(stderr);
			return NFQCTL_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "nfqctl: no command\n");
		usage(stderr);
		return NFQCTL_USAGE;
	}
	return command(&c, argc - optind, argv + optind);
}
