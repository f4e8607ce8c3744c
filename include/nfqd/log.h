#ifndef NFQD_LOG_H
#define NFQD_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

/*
 * Logging in the style of OpenNTPD's log.c: log_warn() appends strerror(errno),
 * log_warnx() does not; fatal()/fatalx() log and exit(1).  Every line carries
 * the role of the process that wrote it ("master", "worker 1/q1").
 * Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG.
 */

void	log_init(int to_syslog, int level);
void	log_set_role(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Level names and their LOG_* values, in step; the names end in NULL. */
extern const char *const log_level_words[];
extern const int log_level_values[];

void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	vlog_msg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * A log throttle: at most one message per interval for an event that can
 * repeat at packet rate; the next message that gets through says how many
 * were suppressed.  (Rate limits in rules are ratelimit.h's.)
 */
struct nfqd_logthrottle {
	uint64_t	interval_ns;
	uint64_t	last_ns;	/* when the last message was let through */
	uint64_t	suppressed;	/* messages held back since then */
};

#define NFQD_LOGTHROTTLE_INIT(sec)	{ (uint64_t)(sec) * 1000000000ull, 0, 0 }

/* Returns 1 (and the suppressed count in *missed) when a message may go. */
int	log_throttle_ok(struct nfqd_logthrottle *lt, uint64_t now_ns,
	    uint64_t *missed);

#endif
