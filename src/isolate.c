/*
 * A function run in a throw-away child process (see isolate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/isolate.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"

#define MS	1000000ull
/* While a load yields, its yield is called this often at least. */
#define YIELD_MS	10

/*
 * The child being waited for, and the answer's pipe: the yield's work may
 * reap the child (the master's waitpid(-1) loop, nfqd_isolate_reaped()),
 * or fork a worker, which must not keep the pipe (nfqd_isolate_forked()).
 */
static struct {
	pid_t	pid;		/* 0: none */
	int	fd;		/* the pipe's end read here; -1: none */
	int	status;		/* waitpid()'s, once reaped */
	bool	reaped;		/* by the yield's work: not ours to signal */
} child = { 0, -1, 0, false };

static void
duration(unsigned ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u ms", ms);
}

int
nfqd_isolate(nfqd_isolated_fn fn, void *arg, void *out, size_t len,
    unsigned timeout_ms, char *why, size_t wlen)
{
	struct pollfd	 pfd;
	uint64_t	 end, now, wait;
	size_t		 got = 0;
	ssize_t		 n;
	pid_t		 pid;
	char		 d[32], sink[64];
	int		 p[2], status = 0, r, err = 0, pe;
	bool		 timed_out = false, eof = false, stopped = false;
	bool		 waited;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(why, wlen, "could not start (pipe: %s)",
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, wlen, "could not start (fork: %s)",
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/*
		 * Nothing of the parent's may run here: no atexit handler,
		 * no stdio buffer flushed twice, hence _exit().
		 */
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		fn(arg, out, len);
		_exit(nfqd_write_all(p[1], out, len) == 0 ? 0 : 1);
	}
	close(p[1]);
	child.pid = pid;
	child.fd = p[0];
	child.reaped = false;
	pfd.fd = p[0];
	pfd.events = POLLIN;
	end = nfqd_now_ns() + timeout_ms * MS;
	for (;;) {
		now = nfqd_now_ns();
		if (now >= end) {
			timed_out = true;
			break;
		}
		wait = (end - now + MS - 1) / MS;
		if (nfqd_load_yielding() && wait > YIELD_MS)
			wait = YIELD_MS;
		r = poll(&pfd, 1, (int)wait);
		/* poll()'s errno, before the yield's work changes it. */
		pe = r == -1 ? errno : 0;
		if (nfqd_load_yield() == -1) {
			stopped = true;
			break;
		}
		if (r == -1 && pe == EINTR)
			continue;
		if (r == 0)
			continue;	/* the deadline, checked above */
		if (r == -1) {
			err = pe;
			break;
		}
		/* Read on to the end: the answer is whole when the child is. */
		if (got < len)
			n = read(p[0], (char *)out + got, len - got);
		else
			n = read(p[0], sink, sizeof(sink));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err = errno;
			break;
		}
		if (n == 0) {
			eof = true;	/* the child has exited */
			break;
		}
		if (got < len)
			got += (size_t)n;
	}
	close(p[0]);
	child.fd = -1;
	/*
	 * Whatever ended the wait but the end of the pipe (the deadline, an
	 * error, the yield), the child may still run: it must not stay, nor
	 * may waitpid() wait for it.  After the end of the pipe it has
	 * exited (it only closes its end in _exit()), and may even be
	 * reaped already when SIGCHLD is ignored: its pid is not ours to
	 * signal.  Nor is it once the yield's work reaped it.
	 */
	if (child.reaped) {
		r = pid;
		status = child.status;
	} else {
		if (!eof)
			kill(pid, SIGKILL);
		while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
			;
	}
	child.pid = 0;
	/* -1 (ECHILD): SIGCHLD ignored, so the kernel reaped it. */
	waited = r == pid;
	if (stopped) {
		snprintf(why, wlen, "was stopped (nfqd is stopping)");
		return -1;
	}
	if (timed_out) {
		duration(timeout_ms, d, sizeof(d));
		snprintf(why, wlen, "did not finish in %s", d);
		return -1;
	}
	if (err != 0) {
		snprintf(why, wlen, "gave an answer that could not be read (%s)", strerror(err));
		return -1;
	}
	if (waited && WIFSIGNALED(status)) {
		snprintf(why, wlen, "crashed (signal %d: %s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
		return -1;
	}
	if (waited && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		snprintf(why, wlen, "exited with status %d",
		    WEXITSTATUS(status));
		return -1;
	}
	if (got != len) {
		snprintf(why, wlen, "ended without an answer");
		return -1;
	}
	return 0;
}

bool
nfqd_isolate_reaped(pid_t pid, int status)
{
	if (child.pid == 0 || pid != child.pid)
		return false;
	child.status = status;
	child.reaped = true;
	return true;
}

void
nfqd_isolate_forked(void)
{
	if (child.fd != -1)
		close(child.fd);
	child.fd = -1;
	child.pid = 0;
}
