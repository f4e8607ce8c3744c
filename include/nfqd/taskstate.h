#ifndef NFQD_TASKSTATE_H
#define NFQD_TASKSTATE_H
/*
 * What a process is doing, as /proc says, for the watchdog's log line
 * about a worker it kills: running, asleep in the kernel (and where),
 * waiting on a disk or device, stopped, exited.
 */
#include <stddef.h>
#include <sys/types.h>

/*
 * From /proc/PID/stat and /proc/PID/wchan: ", it was stopped (SIGSTOP
 * or a debugger)" and the like into buf, with its leading comma; "" when
 * the process cannot be read.
 */
void	nfqd_task_doing(pid_t pid, char *buf, size_t len);

/*
 * The same from the two files' text (stat: its first line; wchan: the
 * kernel function the process waits in, "0" or "" when not told), which
 * may be anything: what cannot be read says nothing.
 */
void	nfqd_task_describe(const char *stat, const char *wchan, char *buf,
	    size_t len);

#endif
