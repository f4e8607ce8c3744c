/*
 * libFuzzer target for src/taskstate.c: nfqd_task_describe() on any
 * /proc/PID/stat and /proc/PID/wchan text, checked against a reference
 * written here from what taskstate.h promises: the state letter after
 * the last ')' and a space, the function only when it is a symbol's name
 * of 1 to 63 bytes other than "0", the text cut to the buffer, never past
 * it.
 *
 * Input: one byte giving the buffer's size (0 to 255), then stat's text,
 * a NUL byte, and wchan's (no NUL: wchan is NULL).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/taskstate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

static bool
is_symbol(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > 63 || strcmp(s, "0") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.", s[i]) == NULL)
			return false;
	return true;
}

/* What the description must be, whole. */
static void
reference(const char *stat, const char *wchan, char *out, size_t len)
{
	const char	*p = strrchr(stat, ')');
	char		 at[128] = "";
	char		 c;

	out[0] = '\0';
	if (p == NULL || p[1] != ' ')
		return;
	c = p[2];
	if (wchan != NULL && is_symbol(wchan))
		snprintf(at, sizeof(at), ", in the kernel at %s", wchan);
	if (c == 'R')
		snprintf(out, len, ", it was running");
	else if (c == 'S')
		snprintf(out, len, ", it was asleep%s", at);
	else if (c == 'D')
		snprintf(out, len, ", it was in an uninterruptible wait (disk "
		    "or device I/O, typically)%s", at);
	else if (c == 'T')
		snprintf(out, len, ", it was stopped (SIGSTOP or a debugger)");
	else if (c == 't')
		snprintf(out, len, ", it was stopped by a debugger");
	else if (c == 'Z' || c == 'X')
		snprintf(out, len, ", it had exited");
	else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		snprintf(out, len, ", it was in state %c", c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*stat, *wchan = NULL, *nul;
	char		 buf[256 + 8], want[512];
	size_t		 len, i;

	if (size < 1)
		return 0;
	len = data[0];
	if ((stat = malloc(size)) == NULL)
		return 0;
	memcpy(stat, data + 1, size - 1);
	stat[size - 1] = '\0';
	if ((nul = memchr(stat, '\0', size - 1)) != NULL &&
	    nul < stat + size - 1)
		wchan = nul + 1;
	memset(buf, 0x5a, sizeof(buf));
	nfqd_task_describe(stat, wchan, buf, len);
	for (i = len; i < sizeof(buf); i++)
		ASSERT(buf[i] == 0x5a);
	if (len > 0) {
		ASSERT(memchr(buf, '\0', len) != NULL);
		reference(stat, wchan, want, sizeof(want));
		/* The whole description, cut to len - 1 bytes. */
		ASSERT(strlen(buf) == (strlen(want) < len ? strlen(want) :
		    len - 1));
		ASSERT(strncmp(buf, want, strlen(buf)) == 0);
	}
	free(stat);
	return 0;
}
