/*
 * nfqctl reload and stop: the pidfile, a signal, and a wait for what the
 * signal should do (a new generation in the counters region; the process
 * gone), so that the exit status says whether it happened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/shm.h"
#include "nfqctl.h"

/*
 * A reload parses and compiles the rules and reads the name sets, as the
 * check before it did: 10 s, and twice the check's time on top for a
 * configuration that takes long to load (lists of millions of names).
 */
#define RELOAD_WAIT_MS	10000
#define STOP_WAIT_MS	30000	/* stop waits for every verdict */

static void
sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Running: kill(0) works and it is not a zombie waiting for its parent. */
static int
running(pid_t pid)
{
	char	path[64], buf[256], *p;
	ssize_t	n;
	int	fd;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* "pid (comm) S ...": the state after the last ')'. */
	if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z')
		return 0;
	return 1;
}

/*
 * Whether descriptor name of process pid (a /proc/PID/fd entry) is open
 * for writing: its fdinfo's flags.  A reader's is not.
 */
static bool
open_writable(pid_t pid, const char *name)
{
	char		path[300], buf[512], *p;
	unsigned long	flags;
	ssize_t		n;
	int		fd;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if ((p = strstr(buf, "flags:")) == NULL ||
	    sscanf(p + 6, "%lo", &flags) != 1)
		return false;
	return (flags & O_ACCMODE) != O_RDONLY;
}

/*
 * Whether process pid has the file of fd open for writing: the master
 * keeps its counters region open read-write for its whole life (its
 * workers close it), so a process that does not is not that region's
 * master, whatever its name or the region says (any worker can write
 * master_pid there): not a reader that maps it read-only either.
 * 1 yes, 2 read-only, 0 no, -1 cannot tell (err says why).
 */
static int
has_open(pid_t pid, int fd, char *err, size_t errlen)
{
	struct dirent	*de;
	struct stat	 want, sb;
	char		 path[64];
	DIR		*d;
	int		 found = 0;

	if (fstat(fd, &want) == -1) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (found != 1 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* Followed, the link is the open file itself. */
		if (fstatat(dirfd(d), de->d_name, &sb, 0) == 0 &&
		    sb.st_dev == want.st_dev &&
		    sb.st_ino == want.st_ino)
			found = open_writable(pid, de->d_name) ? 1 : 2;
	}
	closedir(d);
	return found;
}

/*
 * No pidfile (a daemon started with another -p, or one that removed it):
 * the region's master_pid, if that process runs and has the region open,
 * so that a region left behind never gets a stranger signalled.
 */
static pid_t
region_pid(struct nfqctl *c)
{
	struct nfqd_shm	 shm;
	char		 err[4400];
	pid_t		 pid;
	int		 r;

	if (c->shm == NULL && nfqctl_paths(c, NFQCTL_NEED_SHM) == -1) {
		fprintf(stderr, "nfqctl: %s: %s (is nfqd running?)\n",
		    c->pidfile, strerror(ENOENT));
		return -1;
	}
	if (nfqd_shm_open_ro(&shm, c->shm, err, sizeof(err)) == -1) {
		fprintf(stderr, "nfqctl: %s: %s; %s\n", c->pidfile,
		    strerror(ENOENT), err);
		return -1;
	}
	pid = (pid_t)NFQD_LOAD(&shm.hdr->master_pid);
	if (pid <= 1 || !running(pid)) {
		fprintf(stderr, "nfqctl: %s: %s; %s: left by nfqd %d, which "
		    "is not running\n", c->pidfile, strerror(ENOENT), c->shm,
		    (int)pid);
		nfqd_shm_close(&shm);
		return -1;
	}
	r = has_open(pid, shm.fd, err, sizeof(err));
	nfqd_shm_close(&shm);
	if (r == -1) {
		fprintf(stderr, "nfqctl: %s: %s; cannot tell whether process "
		    "%d is the master of %s: %s\n", c->pidfile,
		    strerror(ENOENT), (int)pid, c->shm, err);
		return -1;
	}
	if (r == 0) {
		fprintf(stderr, "nfqctl: %s: %s; %s names process %d as its "
		    "master, but that process does not have it open (a region "
		    "left behind?): nothing sent\n", c->pidfile,
		    strerror(ENOENT), c->shm, (int)pid);
		return -1;
	}
	if (r == 2) {
		fprintf(stderr, "nfqctl: %s: %s; %s names process %d as its "
		    "master, but that process has it open read-only (a reader, "
		    "not nfqd): nothing sent\n", c->pidfile, strerror(ENOENT),
		    c->shm, (int)pid);
		return -1;
	}
	fprintf(stderr, "nfqctl: %s: %s; nfqd %d instead, the master of %s\n",
	    c->pidfile, strerror(ENOENT), (int)pid, c->shm);
	return pid;
}

pid_t
nfqctl_daemon_pid(struct nfqctl *c)
{
	char		 buf[32], err[256], *end;
	long		 v;
	ssize_t		 n;
	pid_t		 pid;
	int		 fd, r;

	if (c->pidfile == NULL && nfqctl_paths(c, NFQCTL_NEED_PIDFILE) == -1)
		return -1;
	if ((fd = open(c->pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return region_pid(c);
		fprintf(stderr, "nfqctl: %s: %s (is nfqd running?)\n",
		    c->pidfile, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v <= 1 || v > 0x7fffffff) {
		close(fd);
		fprintf(stderr, "nfqctl: %s: no pid in it\n", c->pidfile);
		return -1;
	}
	pid = (pid_t)v;
	if (!running(pid)) {
		close(fd);
		fprintf(stderr, "nfqctl: nfqd (pid %d, from %s) is not "
		    "running\n", (int)pid, c->pidfile);
		return -1;
	}
	/*
	 * The master keeps its pidfile open (and locked) for its whole
	 * life: a process that does not have it open is not nfqd but one
	 * that took the pid of an nfqd killed before it could remove it.
	 */
	r = has_open(pid, fd, err, sizeof(err));
	close(fd);
	if (r == -1) {
		fprintf(stderr, "nfqctl: cannot tell whether process %d (from "
		    "%s) is nfqd: %s\n", (int)pid, c->pidfile, err);
		return -1;
	}
	if (r == 0) {
		fprintf(stderr, "nfqctl: %s names process %d, but that process "
		    "does not have it open (a pidfile left behind?): nothing "
		    "sent\n", c->pidfile, (int)pid);
		return -1;
	}
	return pid;
}

static int
signal_daemon(pid_t pid, int sig)
{
	if (kill(pid, sig) == -1) {
		fprintf(stderr, "nfqctl: kill(%d, %s): %s\n", (int)pid,
		    strsignal(sig), strerror(errno));
		return -1;
	}
	return 0;
}

long
nfqctl_reload_wait_ms(const struct nfqctl *c)
{
	return RELOAD_WAIT_MS + 2 * (c->check_ms > 0 ? c->check_ms : 0);
}

int
nfqctl_reload(struct nfqctl *c)
{
	struct nfqd_shm	 shm;
	char		 err[4400];
	uint32_t	 gen, now;
	pid_t		 pid;
	long		 waited, limit;

	/* The configuration was checked, so nfqd should take it. */
	if ((pid = nfqctl_daemon_pid(c)) == -1)
		return NFQCTL_FAIL;
	if (nfqd_shm_open_ro(&shm, c->shm, err, sizeof(err)) == -1) {
		fprintf(stderr, "nfqctl: %s\n", err);
		return NFQCTL_FAIL;
	}
	gen = NFQD_LOAD(&shm.hdr->generation);
	if (signal_daemon(pid, SIGHUP) == -1) {
		nfqd_shm_close(&shm);
		return NFQCTL_FAIL;
	}
	limit = nfqctl_reload_wait_ms(c);
	for (waited = 0; waited < limit; waited += 10) {
		if ((now = NFQD_LOAD(&shm.hdr->generation)) != gen) {
			nfqd_shm_close(&shm);
			printf("nfqd %d: configuration %u loaded\n", (int)pid,
			    now);
			return NFQCTL_OK;
		}
		if (!running(pid))
			break;
		sleep_ms(10);
	}
	nfqd_shm_close(&shm);
	fprintf(stderr, "nfqctl: nfqd %d did not load the configuration "
	    "(still configuration %u after %ld s); see its log\n", (int)pid,
	    gen, limit / 1000);
	return NFQCTL_FAIL;
}

int
nfqctl_stop(struct nfqctl *c)
{
	pid_t	pid;
	long	waited;

	if ((pid = nfqctl_daemon_pid(c)) == -1)
		return NFQCTL_FAIL;
	if (signal_daemon(pid, SIGTERM) == -1)
		return NFQCTL_FAIL;
	for (waited = 0; waited < STOP_WAIT_MS; waited += 10) {
		if (!running(pid)) {
			printf("nfqd %d stopped\n", (int)pid);
			return NFQCTL_OK;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "nfqctl: nfqd %d still runs %d s after SIGTERM\n",
	    (int)pid, STOP_WAIT_MS / 1000);
	return NFQCTL_FAIL;
}
