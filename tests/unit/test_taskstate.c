/*
 * Unit tests for src/taskstate.c: what the watchdog says a worker it
 * kills was doing, from /proc's text (crafted lines) and from live
 * children in each state.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/nfqd.h"
#include "nfqd/taskstate.h"
#include "unit.h"

static void
test_describe(void)
{
	/* The longest name told (63 bytes), and one byte more. */
	static const char	long63[] = "a23456789012345678901234567890"
	    "123456789012345678901234567890123";
	static const char	long64[] = "a23456789012345678901234567890"
	    "1234567890123456789012345678901234";
	static const struct {
		const char	*stat, *wchan, *want;
	} t[] = {
		{ "123 (nfqd) R 1 2 3", "0", ", it was running" },
		{ "123 (nfqd) R 1 2 3", "do_nanosleep", ", it was running" },
		{ "123 (nfqd) S 1 2 3", "do_nanosleep",
		  ", it was asleep, in the kernel at do_nanosleep" },
		{ "123 (nfqd) S 1 2 3", "0", ", it was asleep" },
		{ "123 (nfqd) S 1 2 3", "", ", it was asleep" },
		{ "123 (nfqd) S 1 2 3", NULL, ", it was asleep" },
		{ "123 (nfqd) D 1 2 3", "balance_dirty_pages",
		  ", it was in an uninterruptible wait (disk or device I/O, "
		  "typically), in the kernel at balance_dirty_pages" },
		{ "123 (nfqd) D 1 2 3", "0",
		  ", it was in an uninterruptible wait (disk or device I/O, "
		  "typically)" },
		{ "123 (nfqd) T 1 2 3", "do_signal_stop",
		  ", it was stopped (SIGSTOP or a debugger)" },
		{ "123 (nfqd) t 1 2 3", "0", ", it was stopped by a debugger" },
		{ "123 (nfqd) Z 1 2 3", "0", ", it had exited" },
		{ "123 (nfqd) X 1 2 3", "0", ", it had exited" },
		{ "123 (nfqd) W 1 2 3", "0", ", it was in state W" },
		/* A name with spaces and parentheses: the last ')' counts. */
		{ "123 (a) R (b) T 1 2 3", "0",
		  ", it was stopped (SIGSTOP or a debugger)" },
		{ "123 (x) S) D 1", "io_schedule",
		  ", it was in an uninterruptible wait (disk or device I/O, "
		  "typically), in the kernel at io_schedule" },
		/* wchan that is not a symbol's name is left out. */
		{ "1 (n) S 1", "do nanosleep", ", it was asleep" },
		{ "1 (n) S 1", "do_nanosleep\n", ", it was asleep" },
		{ "1 (n) S 1", "%s%s%n", ", it was asleep" },
		{ "1 (n) S 1", "sym+0x10/0x20", ", it was asleep" },
		{ "1 (n) S 1", long63,
		  ", it was asleep, in the kernel at a23456789012345678901234"
		  "567890123456789012345678901234567890123" },
		{ "1 (n) S 1", long64, ", it was asleep" },
		/* Nothing to read: nothing said. */
		{ NULL, "0", "" },
		{ "", "0", "" },
		{ "123 nfqd S 1", "0", "" },
		{ "123 (nfqd)", "0", "" },
		{ "123 (nfqd) ", "0", "" },
		{ "123 (nfqd)S 1", "0", "" },
		{ "123 (nfqd) ? 1", "0", "" },
		{ "123 (nfqd) 5 1", "0", "" },
	};
	char	buf[200], small[12];
	size_t	i;

	CHECK(sizeof(long63) == 64 && sizeof(long64) == 65,
	    "describe: the long names' lengths");

	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		memset(buf, 'x', sizeof(buf));
		nfqd_task_describe(t[i].stat, t[i].wchan, buf, sizeof(buf));
		CHECK_STR_EQ(buf, t[i].want, unit_fmt("describe %zu: %s / %s",
		    i, t[i].stat != NULL ? t[i].stat : "(null)",
		    t[i].wchan != NULL ? t[i].wchan : "(null)"));
	}
	/* A small buffer: cut, never overrun. */
	memset(small, 'x', sizeof(small));
	nfqd_task_describe("1 (n) S 1", "do_nanosleep", small, 8);
	CHECK_STR_EQ(small, ", it wa", "describe: cut to the buffer");
	CHECK(small[8] == 'x' && small[11] == 'x',
	    "describe: nothing written past the buffer");
	small[0] = 'q';
	nfqd_task_describe("1 (n) S 1", "0", small, 0);
	CHECK(small[0] == 'q', "describe: a buffer of 0 bytes untouched");
}

/* The state letter of pid, from /proc. */
static char
state_of(pid_t pid)
{
	char	path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (unit_read_text(path, buf, sizeof(buf)) == -1 ||
	    (p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return '\0';
	return p[2];
}

/* Wait up to 5 s for pid's state to be st. */
static int
wait_state(pid_t pid, char st)
{
	struct timespec	ts = { 0, 2000000 };
	int		i;

	for (i = 0; i < 2500; i++) {
		if (state_of(pid) == st)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* ", it was asleep" or ", it was asleep, in the kernel at SYMBOL". */
static int
asleep_ok(const char *s)
{
	static const char	pre[] = ", it was asleep";
	static const char	at[] = ", in the kernel at ";
	size_t			n;

	if (strncmp(s, pre, sizeof(pre) - 1) != 0)
		return 0;
	s += sizeof(pre) - 1;
	if (*s == '\0')
		return 1;
	if (strncmp(s, at, sizeof(at) - 1) != 0)
		return 0;
	s += sizeof(at) - 1;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.");
	return n > 0 && s[n] == '\0';
}

static void
test_live(void)
{
	char	buf[200];
	pid_t	pid;
	int	status;

	/* Asleep: in pause(). */
	if ((pid = fork()) == -1) {
		CHECK(0, "fork");
		return;
	}
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK(wait_state(pid, 'S') == 0, "live: the child sleeps");
	nfqd_task_doing(pid, buf, sizeof(buf));
	CHECKF(asleep_ok(buf), "live: asleep", "got \"%s\"", buf);
	/* Stopped. */
	kill(pid, SIGSTOP);
	CHECK(wait_state(pid, 'T') == 0, "live: the child is stopped");
	nfqd_task_doing(pid, buf, sizeof(buf));
	CHECK_STR_EQ(buf, ", it was stopped (SIGSTOP or a debugger)",
	    "live: stopped");
	/* Exited, not yet waited for. */
	kill(pid, SIGKILL);
	CHECK(wait_state(pid, 'Z') == 0, "live: the child is a zombie");
	nfqd_task_doing(pid, buf, sizeof(buf));
	CHECK_STR_EQ(buf, ", it had exited", "live: exited");
	waitpid(pid, &status, 0);
	/* Gone: nothing to say. */
	nfqd_task_doing(pid, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "", "live: reaped, nothing said");

	/* Running: a loop that never waits. */
	if ((pid = fork()) == -1) {
		CHECK(0, "fork");
		return;
	}
	if (pid == 0) {
		for (;;)
			__asm__ volatile("" ::: "memory");
	}
	CHECK(wait_state(pid, 'R') == 0, "live: the child runs");
	nfqd_task_doing(pid, buf, sizeof(buf));
	CHECK_STR_EQ(buf, ", it was running", "live: running");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

int
main(void)
{
	test_describe();
	test_live();
	return unit_done();
}
