/*
 * Unit tests for src/isolate.c: a child that answers, crashes, exits, hangs
 * or ends without an answer; a large answer; the child reaped by its pid
 * and nobody else's child touched; SIGCHLD ignored.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/isolate.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"
#include "unit.h"

/* The last child's pid, written by the child into a shared page. */
static volatile pid_t	*child_pid;

static void
answer(void *arg, void *out, size_t len)
{
	(void)arg;
	*child_pid = getpid();
	memset(out, 'a', len);
}

/* Die of a signal, past any handler a sanitizer installed, no core. */
static void
crash(void *arg, void *out, size_t len)
{
	struct rlimit	rl = { 0, 0 };

	(void)out;
	(void)len;
	*child_pid = getpid();
	setrlimit(RLIMIT_CORE, &rl);
	signal(*(int *)arg, SIG_DFL);
	raise(*(int *)arg);
}

/* What libconfig 1.5's scanner does on a read error. */
static void
exit2(void *arg, void *out, size_t len)
{
	(void)arg;
	(void)out;
	(void)len;
	*child_pid = getpid();
	_exit(2);
}

static void
quiet_exit(void *arg, void *out, size_t len)
{
	(void)arg;
	(void)out;
	(void)len;
	*child_pid = getpid();
	_exit(0);
}

static void
hang(void *arg, void *out, size_t len)
{
	(void)arg;
	(void)out;
	(void)len;
	*child_pid = getpid();
	for (;;)
		pause();
}

/* The child is gone and reaped: no zombie left under its pid. */
static int
reaped(pid_t pid)
{
	return pid > 0 && waitpid(pid, NULL, WNOHANG) == -1 &&
	    errno == ECHILD && kill(pid, 0) == -1 && errno == ESRCH;
}

static void
test_ends(void)
{
	static char	big[200000];
	char		out[64], why[128];
	uint64_t	t0, took;
	int		r, sig;

	*child_pid = 0;
	memset(out, 0, sizeof(out));
	r = nfqd_isolate(answer, NULL, out, sizeof(out), 5000, why,
	    sizeof(why));
	CHECK(r == 0 && out[0] == 'a' && out[63] == 'a',
	    "an answer comes back whole");
	CHECK(reaped(*child_pid), "answer: the child is reaped");

	*child_pid = 0;
	r = nfqd_isolate(answer, NULL, big, sizeof(big), 5000, why,
	    sizeof(why));
	CHECK(r == 0 && big[0] == 'a' && big[sizeof(big) - 1] == 'a',
	    "an answer larger than a pipe's buffer comes back whole");

	sig = SIGSEGV;
	*child_pid = 0;
	r = nfqd_isolate(crash, &sig, out, sizeof(out), 5000, why, sizeof(why));
	CHECK(r == -1, "a crash is a failure");
	CHECK_STR_EQ(why, unit_fmt("crashed (signal %d: %s)", SIGSEGV,
	    strsignal(SIGSEGV)), "a crash says which signal");
	CHECK(reaped(*child_pid), "crash: the child is reaped");

	sig = SIGABRT;
	r = nfqd_isolate(crash, &sig, out, sizeof(out), 5000, why, sizeof(why));
	CHECK_STR_EQ(why, unit_fmt("crashed (signal %d: %s)", SIGABRT,
	    strsignal(SIGABRT)), "an abort says which signal");

	*child_pid = 0;
	r = nfqd_isolate(exit2, NULL, out, sizeof(out), 5000, why, sizeof(why));
	CHECK(r == -1, "exit(2) is a failure");
	CHECK_STR_EQ(why, "exited with status 2", "exit(2) says its status");
	CHECK(reaped(*child_pid), "exit(2): the child is reaped");

	r = nfqd_isolate(quiet_exit, NULL, out, sizeof(out), 5000, why,
	    sizeof(why));
	CHECK(r == -1, "exit(0) without an answer is a failure");
	CHECK_STR_EQ(why, "ended without an answer",
	    "exit(0) without an answer says so");

	*child_pid = 0;
	t0 = nfqd_now_ns();
	r = nfqd_isolate(hang, NULL, out, sizeof(out), 300, why, sizeof(why));
	took = (nfqd_now_ns() - t0) / 1000000;
	CHECK(r == -1, "a hang is a failure");
	CHECK_STR_EQ(why, "did not finish in 300 ms", "a hang says how long");
	CHECKF(took >= 300 && took < 3000, "a hang ends at the time limit",
	    "took %llu ms", (unsigned long long)took);
	CHECK(reaped(*child_pid), "hang: the child is killed and reaped");

	r = nfqd_isolate(hang, NULL, out, sizeof(out), 1000, why, sizeof(why));
	CHECK_STR_EQ(why, "did not finish in 1 s", "whole seconds say s");
}

/*
 * The master's workers are its children too: nfqd_isolate() waits for its
 * own child only, and leaves the others to the master's waitpid(-1) loop.
 */
static void
test_siblings(void)
{
	char	out[8], why[128];
	pid_t	sib;
	int	p[2], status, r;
	char	c;

	if (!CHECK(pipe(p) == 0, "siblings: pipe"))
		return;
	fflush(stdout);
	if ((sib = fork()) == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 7 : 8);
	}
	close(p[0]);
	r = nfqd_isolate(answer, NULL, out, sizeof(out), 5000, why,
	    sizeof(why));
	CHECK(r == 0, "siblings: the isolated child answers");
	CHECK(waitpid(sib, &status, WNOHANG) == 0,
	    "siblings: another child is left running, not reaped");
	close(p[1]);
	CHECK(waitpid(sib, &status, 0) == sib && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 7,
	    "siblings: its exit status is still there for its parent");

	/* Ignored SIGCHLD: the kernel reaps; the answer is what counts. */
	signal(SIGCHLD, SIG_IGN);
	r = nfqd_isolate(answer, NULL, out, sizeof(out), 5000, why,
	    sizeof(why));
	CHECK(r == 0, "SIGCHLD ignored: an answer is still a success");
	r = nfqd_isolate(exit2, NULL, out, sizeof(out), 5000, why,
	    sizeof(why));
	CHECK(r == -1 && strcmp(why, "ended without an answer") == 0,
	    "SIGCHLD ignored: no answer is still a failure");
	signal(SIGCHLD, SIG_DFL);
}

/*
 * The load's yield, as the master's: its waitpid(-1) loop reaps any child
 * and hands one that is not a worker to nfqd_isolate_reaped().  block:
 * the first call waits for a child to end, so that the yield, not
 * nfqd_isolate(), reaps it.
 */
static struct {
	unsigned	calls, give_up, handed;
	bool		block;
} yw;

static int
reaping_yield(void *arg)
{
	pid_t	pid;
	int	status;

	(void)arg;
	yw.calls++;
	while ((pid = waitpid(-1, &status, yw.block ? 0 : WNOHANG)) > 0) {
		yw.block = false;
		yw.handed += nfqd_isolate_reaped(pid, status);
	}
	return yw.give_up != 0 && yw.calls >= yw.give_up ? -1 : 0;
}

/*
 * While a load yields (the master's reload), the wait on the child calls
 * the yield at least every 10 ms; a child reaped there is told as if
 * nfqd_isolate() had reaped it, and -1 stops the wait at once.
 */
static void
test_yield(void)
{
	static int	segv = SIGSEGV;
	static const struct {
		const char	*what;
		nfqd_isolated_fn fn;
		void		*arg;
		bool		 block;
		unsigned	 give_up, timeout_ms;
		int		 r;
		const char	*why;	/* NULL: an answer */
	} rows[] = {
		{ "an answer", answer, NULL, true, 0, 5000, 0, NULL },
		{ "a crash", crash, &segv, true, 0, 5000, -1, NULL },
		{ "exit(2)", exit2, NULL, true, 0, 5000, -1,
		    "exited with status 2" },
		{ "a hang, to the limit", hang, NULL, false, 0, 300, -1,
		    "did not finish in 300 ms" },
		{ "a hang, stopped", hang, NULL, false, 3, 5000, -1,
		    "was stopped (nfqd is stopping)" },
	};
	char		out[64], why[128], crashed[128];
	uint64_t	t0, took;
	size_t		i;
	int		r;

	snprintf(crashed, sizeof(crashed), "crashed (signal %d: %s)", SIGSEGV,
	    strsignal(SIGSEGV));
	nfqd_load_set_yield(reaping_yield, NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&yw, 0, sizeof(yw));
		yw.block = rows[i].block;
		yw.give_up = rows[i].give_up;
		*child_pid = 0;
		why[0] = '\0';
		t0 = nfqd_now_ns();
		r = nfqd_isolate(rows[i].fn, rows[i].arg, out, sizeof(out),
		    rows[i].timeout_ms, why, sizeof(why));
		took = (nfqd_now_ns() - t0) / 1000000;
		CHECKF(r == rows[i].r && (rows[i].r == 0 ||
		    strcmp(why, rows[i].fn == crash ? crashed :
		    rows[i].why) == 0), unit_fmt("yield, %s: its outcome",
		    rows[i].what), "returned %d, \"%s\"", r, why);
		if (rows[i].block)
			CHECK_INT_EQ(yw.handed, 1, unit_fmt("yield, %s: the "
			    "child reaped by the yield, handed over",
			    rows[i].what));
		else
			CHECK(reaped(*child_pid), unit_fmt("yield, %s: the "
			    "child killed and reaped", rows[i].what));
		if (rows[i].give_up != 0)
			CHECKF(yw.calls == rows[i].give_up && took < 1000,
			    unit_fmt("yield, %s: at once", rows[i].what),
			    "%u calls, %llu ms", yw.calls,
			    (unsigned long long)took);
		/* About 30 calls; a loaded machine may stretch each poll()
		 * past its 10 ms, and none at all is what is checked. */
		if (rows[i].timeout_ms == 300)
			CHECKF(yw.calls >= 5, unit_fmt("yield, %s: all along "
			    "the wait", rows[i].what), "%u calls in %llu ms",
			    yw.calls, (unsigned long long)took);
	}
	nfqd_load_set_yield(NULL, NULL);
}

/* Answer after 150 ms: the wait is interrupted meanwhile. */
static void
slow_answer(void *arg, void *out, size_t len)
{
	(void)arg;
	*child_pid = getpid();
	usleep(150000);
	memset(out, 'a', len);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* A yield whose work leaves errno changed, as the master's may. */
static int
errno_yield(void *arg)
{
	(void)arg;
	yw.calls++;
	errno = EBADF;
	return 0;
}

/*
 * A signal that interrupts the wait's poll() (EINTR) is waited through
 * although the yield after it changed errno: the wait must not take the
 * yield's errno for poll()'s and fail.  SIGALRM every 3 ms, no SA_RESTART.
 */
static void
test_yield_eintr(void)
{
	struct sigaction	sa, old;
	struct itimerval	it = { { 0, 3000 }, { 0, 3000 } }, off;
	char			out[64], why[128];
	int			r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	memset(&yw, 0, sizeof(yw));
	memset(&off, 0, sizeof(off));
	nfqd_load_set_yield(errno_yield, NULL);
	why[0] = '\0';
	setitimer(ITIMER_REAL, &it, NULL);
	r = nfqd_isolate(slow_answer, NULL, out, sizeof(out), 5000, why,
	    sizeof(why));
	setitimer(ITIMER_REAL, &off, NULL);
	nfqd_load_set_yield(NULL, NULL);
	sigaction(SIGALRM, &old, NULL);
	CHECKF(r == 0 && out[0] == 'a' && out[63] == 'a',
	    "yield, poll() interrupted, errno changed by the yield: the answer",
	    "returned %d, \"%s\"", r, why);
}

int
main(void)
{
	child_pid = mmap(NULL, sizeof(*child_pid), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_pid == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	fflush(stdout);
	test_ends();
	test_siblings();
	test_yield();
	test_yield_eintr();
	return unit_done();
}
