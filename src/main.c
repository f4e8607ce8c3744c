/*
 * nfqd: command line and start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfqd/config.h"
#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/nfqd.h"
#include "nfqd/sandbox.h"
#include "nfqd/settings.h"
#include "nfqd/util.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nfqd [-c FILE] [-d] [-t] [-p PIDFILE] [--queue-balance A:B] [-S] [-h]\n"
"            [-V]\n"
"\n"
"  -c, --config FILE        configuration file (default %s)\n"
"  -d, --daemon             detach from the terminal and log to syslog\n"
"  -t, --test               check the configuration and exit: 0 valid,\n"
"                           1 invalid (each problem as FILE:LINE: message)\n"
"  -p, --pidfile PIDFILE    override daemon.pidfile\n"
"      --queue-balance A:B  serve queues A to B (one worker each), as in\n"
"                           iptables -j NFQUEUE --queue-balance A:B\n"
"  -S, --settings           list every setting and what a reload does when\n"
"                           it changes, and exit\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n"
"\n"
"Signals: SIGHUP reloads the configuration, SIGUSR1 writes statistics,\n"
"SIGTERM and SIGINT stop after every packet read has its verdict.\n",
	    NFQD_DEFAULT_CONFIG);
}

/* -S: "queue.maxlen<TAB>workers replaced" */
static void
print_setting(void *arg, const char *group, const char *name,
    enum nfqd_reload reload)
{
	(void)arg;
	printf("%s%s%s\t%s\n", group != NULL ? group : "",
	    group != NULL ? "." : "", name, nfqd_reload_name(reload));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",		required_argument, NULL, 'c' },
		{ "daemon",		no_argument,	   NULL, 'd' },
		{ "test",		no_argument,	   NULL, 't' },
		{ "pidfile",		required_argument, NULL, 'p' },
		{ "queue-balance",	required_argument, NULL, 'Q' },
		{ "settings",		no_argument,	   NULL, 'S' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ NULL,			0,		   NULL, 0 }
	};
	struct nfqd_overrides	 ov;
	struct nfqd_config	*cf;
	const char		*path = NFQD_DEFAULT_CONFIG;
	bool			 detach = false, test = false;
	char			*abspath = NULL;
	int			 ch, errors, status, fd;

	/*
	 * Descriptors 0-2 must be open (a socket must not become "stderr"),
	 * and nothing inherited from whoever started us may leak into the
	 * workers.
	 */
	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= STDERR_FILENO)
		;
	if (fd > STDERR_FILENO)
		close(fd);
	close_range(STDERR_FILENO + 1, ~0U, 0);

	memset(&ov, 0, sizeof(ov));
	while ((ch = getopt_long(argc, argv, "c:dtp:ShV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 't':
			test = true;
			break;
		case 'p':
			ov.pidfile = optarg;
			break;
		case 'Q':
			ov.balance = optarg;
			break;
		case 'S':
			nfqd_settings_each(print_setting, NULL);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nfqd %s%s\n", NFQD_VERSION,
			    nfqd_sandbox_possible() ? "" :
			    " (built with sanitizers: no seccomp sandbox)");
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nfqd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 1;
	}

	if (test)
		return nfqd_config_check(path, &ov);
	/*
	 * Reloads happen after -d's chdir("/"): remember where it was.  Not
	 * realpath(): a reload must read what the path names then (a symlink
	 * swapped to a new version), and @include is relative to its
	 * directory, not to the old target's.
	 */
	if ((abspath = nfqd_abspath(path)) == NULL) {
		fprintf(stderr, "nfqd: %s: cannot make the path absolute: "
		    "%s\n", path, strerror(errno));
		return 1;
	}
	path = abspath;
	if ((cf = malloc(sizeof(*cf))) == NULL) {
		perror("nfqd: malloc");
		return 1;
	}
	errors = nfqd_config_load(cf, path, &ov, nfqd_config_report_stderr,
	    NULL);
	if (errors != 0) {
		fprintf(stderr, "nfqd: %s: %d error%s; not starting\n", path,
		    errors, errors == 1 ? "" : "s");
		free(cf);
		free(abspath);
		return 1;
	}
	status = nfqd_master_run(cf, &ov, detach);
	free(cf);
	free(abspath);
	return status;
}
