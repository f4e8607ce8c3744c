/*
 * The master as a daemon: detaching (-d), telling the starting parent it
 * is up, the pidfile and where the log goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfqd/log.h"
#include "nfqd/master.h"
#include "nfqd/util.h"

void
nfqd_daemon_logging(struct nfqd_master *m)
{
	/* Detached, stderr is /dev/null: log to syslog instead. */
	log_init(m->cf.log_syslog || m->daemonized, m->cf.log_level);
}

void
nfqd_daemon_ready(struct nfqd_master *m)
{
	char	msg[1 + sizeof(pid_t)];

	if (m->ready_fd == -1)
		return;
	msg[0] = 'R';
	memcpy(msg + 1, &m->pid, sizeof(pid_t));
	if (write(m->ready_fd, msg, sizeof(msg)) == -1)
		log_warn("write(ready pipe)");
	close(m->ready_fd);
	m->ready_fd = -1;
}

/*
 * The pidfile must be opened if it is there (its lock tells a running nfqd
 * from a stale file), so it is checked instead: a regular file of ours
 * with one name, in a directory only root or we can change.
 */
int
nfqd_pidfile_open(const char *path)
{
	char	buf[32], err[PATH_MAX + 256];
	ssize_t	n;
	int	fd;

	if (nfqd_dir_prepare_for(path, err, sizeof(err)) == -1 ||
	    (fd = nfqd_open_own(path, O_RDWR | O_CREAT, 0644, err,
	    sizeof(err))) == -1) {
		log_errx("pidfile: %s", err);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			log_errx("another nfqd is running (pid %s): %s is "
			    "locked", buf[0] != '\0' ? buf : "unknown", path);
		} else {
			log_err("flock(%s)", path);
		}
		close(fd);
		return -1;
	}
	return fd;
}

int
nfqd_pidfile_write(int fd, pid_t pid)
{
	char	buf[32];
	int	len;

	len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len) {
		log_err("writing pidfile");
		return -1;
	}
	return 0;
}

void
nfqd_pidfile_close(struct nfqd_master *m)
{
	struct stat	sb;

	if (m->pidfd == -1)
		return;
	/* Only if the name is still our locked file. */
	if (fstat(m->pidfd, &sb) == 0)
		nfqd_unlink_same(m->cf.pidfile, sb.st_dev, sb.st_ino);
	close(m->pidfd);
	m->pidfd = -1;
}

/*
 * Detach: fork, setsid, fork again.  The original process waits until the
 * daemon has forked its workers (a byte on a pipe) so that the init script
 * learns whether the start worked; it exits 1 if the pipe closes instead.
 */
void
nfqd_daemon_detach(struct nfqd_master *m)
{
	char		msg[1 + sizeof(pid_t)];
	sigset_t	pending;
	ssize_t		n;
	int		p[2], fd;
	pid_t		pid, daemon;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe2");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		do {
			n = read(p[0], msg, sizeof(msg));
		} while (n == -1 && errno == EINTR);
		if (n == (ssize_t)sizeof(msg) && msg[0] == 'R') {
			/*
			 * A SIGTERM or SIGINT sent to us while starting is
			 * pending here and not inherited: hand it on.
			 */
			memcpy(&daemon, msg + 1, sizeof(daemon));
			if (sigpending(&pending) == 0 &&
			    (sigismember(&pending, SIGTERM) == 1 ||
			    sigismember(&pending, SIGINT) == 1))
				kill(daemon, SIGTERM);
			_exit(0);
		}
		dprintf(STDERR_FILENO, "nfqd: the daemon did not start; see "
		    "the system log\n");
		_exit(1);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	m->ready_fd = p[1];
	if (chdir("/") == -1)
		log_warn("chdir(/)");
	umask(022);
	m->daemonized = true;
	if (!m->cf.log_syslog)
		log_info("detaching; logging to syslog from now on");
	nfqd_daemon_logging(m);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}
