/*
 * Logging to stderr or syslog, in the style of OpenNTPD's log.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "nfqd/log.h"
#include "nfqd/util.h"

static int	log_syslog;
static int	log_level = LOG_INFO;
static int	log_stamp = 1;		/* prefix stderr lines with a time */
static char	log_role[48] = "nfqd";

/* The level names of daemon.log_level (the settings table reads them). */
const char *const log_level_words[] = {
	"error", "warning", "notice", "info", "debug", NULL
};
const int log_level_values[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

void
log_init(int to_syslog, int level)
{
	if (log_syslog && !to_syslog)
		closelog();
	log_syslog = to_syslog;
	log_level = level;
	/* journald stamps each line itself. */
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
	if (log_syslog)
		openlog("nfqd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_role(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(log_role, sizeof(log_role), fmt, ap);
	va_end(ap);
}

void
vlog_msg(int level, const char *fmt, va_list ap)
{
	char		 msg[1024], stamp[40];
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		syslog(level, "%s: %s", log_role, msg);
	} else {
		stamp[0] = '\0';
		if (log_stamp) {
			clock_gettime(CLOCK_REALTIME, &ts);
			localtime_r(&ts.tv_sec, &tm);
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(stamp + strlen(stamp),
			    sizeof(stamp) - strlen(stamp), ".%03ld ",
			    ts.tv_nsec / 1000000);
		}
		/* One write per line so lines of different processes do not mix. */
		dprintf(STDERR_FILENO, "%snfqd[%d]: %s: %s%s\n", stamp,
		    (int)getpid(), log_role,
		    level <= LOG_ERR ? "error: " :
		    level == LOG_WARNING ? "warning: " : "", msg);
	}
	errno = saved;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_msg(level, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int level, const char *fmt, va_list ap)
{
	char	fmt2[512];
	int	saved = errno;

	snprintf(fmt2, sizeof(fmt2), "%s: %s", fmt, strerror(saved));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vlog_msg(level, fmt2, ap);
#pragma GCC diagnostic pop
	errno = saved;
}

#define LOG_FN(name, level, with_errno)				\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
									\
	va_start(ap, fmt);						\
	if (with_errno)							\
		vlog_errno(level, fmt, ap);				\
	else								\
		vlog_msg(level, fmt, ap);				\
	va_end(ap);							\
}

LOG_FN(log_err, LOG_ERR, 1)
LOG_FN(log_errx, LOG_ERR, 0)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_msg(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_throttle_ok(struct nfqd_logthrottle *rl, uint64_t now_ns, uint64_t *missed)
{
	if (rl->last_ns != 0 && now_ns - rl->last_ns < rl->interval_ns) {
		rl->suppressed++;
		return 0;
	}
	*missed = rl->suppressed;
	rl->suppressed = 0;
	rl->last_ns = now_ns;
	return 1;
}
