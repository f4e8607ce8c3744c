/*
 * What a process is doing (see taskstate.h).  The state letter follows
 * the command name in /proc/PID/stat, which is in parentheses and may
 * itself hold spaces and parentheses: it is read after the last ')'.
 * /proc/PID/wchan names the kernel function a sleeping process waits in,
 * or "0" where the reader may not know it (no CAP_SYS_PTRACE over the
 * process, which a master confined by nfqd.service lacks for a worker of
 * another user) or the process is running.  The kernel makes neither
 * file wait for the process's memory map lock (as cmdline and environ
 * do), so a worker stuck in the kernel cannot make the master wait here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nfqd/taskstate.h"
#include "nfqd/util.h"

/* A kernel symbol's name: what wchan says when it says anything. */
#define WCHAN_MAX	63

static bool
symbol_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= WCHAN_MAX || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '.'))
			return false;
	/* "0": not told (not allowed, or running). */
	return i > 0 && strcmp(s, "0") != 0;
}

void
nfqd_task_describe(const char *stat, const char *wchan, char *buf,
    size_t len)
{
	const char	*p;
	char		 at[WCHAN_MAX + 32] = "";

	if (len == 0)
		return;
	buf[0] = '\0';
	if (stat == NULL || (p = strrchr(stat, ')')) == NULL || p[1] != ' ')
		return;
	if (wchan != NULL && symbol_ok(wchan))
		snprintf(at, sizeof(at), ", in the kernel at %s", wchan);
	switch (p[2]) {
	case 'R':
		snprintf(buf, len, ", it was running");
		break;
	case 'S':
		snprintf(buf, len, ", it was asleep%s", at);
		break;
	case 'D':
		/* What a write to a disk that cannot keep up waits in. */
		snprintf(buf, len, ", it was in an uninterruptible wait "
		    "(disk or device I/O, typically)%s", at);
		break;
	case 'T':
		snprintf(buf, len, ", it was stopped (SIGSTOP or a debugger)");
		break;
	case 't':
		snprintf(buf, len, ", it was stopped by a debugger");
		break;
	case 'Z':
	case 'X':
		snprintf(buf, len, ", it had exited");
		break;
	default:
		if ((p[2] >= 'A' && p[2] <= 'Z') || (p[2] >= 'a' && p[2] <= 'z'))
			snprintf(buf, len, ", it was in state %c", p[2]);
		break;
	}
}

void
nfqd_task_doing(pid_t pid, char *buf, size_t len)
{
	char	path[64], stat[512], wchan[WCHAN_MAX + 2];

	if (len == 0)
		return;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (nfqd_read_small(path, stat, sizeof(stat), NULL) == -1)
		return;
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if (nfqd_read_small(path, wchan, sizeof(wchan), NULL) == -1)
		wchan[0] = '\0';
	wchan[strcspn(wchan, "\n")] = '\0';
	nfqd_task_describe(stat, wchan, buf, len);
}
