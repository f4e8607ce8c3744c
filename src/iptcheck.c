/*
 * The NFQUEUE rules of this network namespace, checked against the queues
 * nfqd serves (see iptcheck.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/iptcheck.h"
#include "nfqd/log.h"
#include "nfqd/util.h"

#define MAX_OUTPUT	(8 << 20)

#define MAX_TOKENS	128

/*
 * Split an iptables-save line into words, as the shell would: a quoted
 * string (a --comment) is one word, whatever it says.  Returns the count.
 */
static int
tokenize(const char *line, char *buf, size_t len, char *tok[], int max)
{
	const char	*p = line;
	char		*o = buf, *end = buf + len - 1;
	int		 n = 0;
	bool		 quoted;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0' || n == max || o >= end)
			return n;
		tok[n++] = o;
		for (quoted = false; *p != '\0' && o < end; p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (*p == '\\' && p[1] != '\0') {
				*o++ = *++p;
				continue;
			}
			if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
				break;
			*o++ = *p;
		}
		*o++ = '\0';
	}
}

int
nfqd_nfqrule_parse(const char *line, const char *table,
    struct nfqd_nfqrule *r)
{
	char		 buf[4096], *tok[MAX_TOKENS], *e;
	unsigned long	 a = 0, b = 0;
	int		 n, i, target = -1;

	if (strncmp(line, "-A ", 3) != 0)
		return 0;
	n = tokenize(line, buf, sizeof(buf), tok, MAX_TOKENS);
	for (i = 2; i + 1 < n; i++)
		if (strcmp(tok[i], "-j") == 0 && strcmp(tok[i + 1],
		    "NFQUEUE") == 0)
			target = i + 2;
	if (n < 2 || target == -1)
		return 0;
	memset(r, 0, sizeof(*r));
	snprintf(r->table, sizeof(r->table), "%s", table);
	snprintf(r->chain, sizeof(r->chain), "%s", tok[1]);
	/* The target's own options follow it. */
	for (i = target; i < n; i++) {
		if (strcmp(tok[i], "--queue-balance") == 0 && i + 1 < n) {
			a = strtoul(tok[++i], &e, 10);
			b = *e == ':' ? strtoul(e + 1, &e, 10) : a;
		} else if (strcmp(tok[i], "--queue-num") == 0 && i + 1 < n) {
			a = b = strtoul(tok[++i], &e, 10);
		} else if (strcmp(tok[i], "--queue-bypass") == 0) {
			r->bypass = true;
		} else if (strcmp(tok[i], "--queue-cpu-fanout") == 0) {
			r->fanout = true;
		}
	}
	r->first = (uint32_t)(a > 65535 ? 65535 : a);
	r->last = (uint32_t)(b > 65535 ? 65535 : b);
	return 1;
}

/* Run cmd, its stdout into a buffer; NULL when it is not there or fails. */
static char *
capture(const char *cmd, size_t *len)
{
	struct pollfd	 pfd;
	char		*buf = NULL, *nb;
	size_t		 cap = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2], status, fd;
	uint64_t	 end = nfqd_now_ns() + 5000000000ull;

	*len = 0;
	if (pipe2(p, O_CLOEXEC) == -1)
		return NULL;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		sigset_t	all;

		/* The master blocks these; a child must not inherit that. */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(p[1], STDOUT_FILENO);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp(cmd, cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		uint64_t now = nfqd_now_ns();

		if (now >= end || poll(&pfd, 1, (int)((end - now) / 1000000 +
		    1)) == 0) {
			log_warnx("%s did not finish in 5 s; NFQUEUE rules not "
			    "checked", cmd);
			kill(pid, SIGKILL);
			break;
		}
		if (*len + 65536 > cap && cap < MAX_OUTPUT) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				break;
			buf = nb;
		}
		if (*len + 1 >= cap)
			break;		/* too much: check what we have */
		n = read(p[0], buf + *len, cap - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (buf == NULL || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* "queue N" or "queues A-B" in buf, for a message. */
static const char *
queues(char *buf, size_t size, uint32_t first, uint32_t last)
{
	if (first == last)
		snprintf(buf, size, "queue %u", first);
	else
		snprintf(buf, size, "queues %u-%u", first, last);
	return buf;
}

/*
 * cmd's NFQUEUE rules checked; *ours counts those that send to one of
 * [first, first + count) at least, and *ran says whether cmd ran.
 */
static int
check(const char *cmd, uint32_t first, uint32_t count, bool flows,
    unsigned *ours, bool *ran)
{
	struct nfqd_nfqrule	 r;
	char			 table[32] = "?", qs[32], *out, *line, *next;
	size_t			 len;
	int			 warnings = 0;

	if ((out = capture(cmd, &len)) == NULL) {
		log_debug("%s not run (not installed?): NFQUEUE rules not "
		    "checked", cmd);
		return 0;
	}
	*ran = true;
	for (line = out; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '*') {
			snprintf(table, sizeof(table), "%s", line + 1);
			continue;
		}
		if (nfqd_nfqrule_parse(line, table, &r) == 0)
			continue;
		if (r.last >= first && r.first < first + count)
			(*ours)++;
		if (r.first < first || r.last >= first + count) {
			log_warnx("%s: a rule in table %s, chain %s sends to "
			    "%s, but this nfqd serves %u-%u: the others go to "
			    "another program or nowhere", cmd, r.table,
			    r.chain, queues(qs, sizeof(qs), r.first, r.last),
			    first, first + count - 1);
			warnings++;
		}
		if (!r.bypass) {
			log_warnx("%s: a rule in table %s, chain %s has no "
			    "--queue-bypass: while nfqd is down, the packets "
			    "it queues are dropped", cmd, r.table, r.chain);
			warnings++;
		}
		if (flows && r.fanout && r.first != r.last) {
			log_warnx("%s: a rule in table %s, chain %s has "
			    "--queue-cpu-fanout: the CPU that handles a packet "
			    "picks its queue, and a flow whose packets come on "
			    "several CPUs is split between workers, each with "
			    "its own flows: rules read names, so queue by "
			    "--queue-balance alone (see docs/l7.md)", cmd,
			    r.table, r.chain);
			warnings++;
		}
	}
	free(out);
	return warnings;
}

int
nfqd_iptcheck(uint32_t first, uint32_t count, bool flows)
{
	char		qs[32];
	unsigned	ours = 0;
	bool		ran = false;
	int		warnings;

	warnings = check("iptables-save", first, count, flows, &ours, &ran) +
	    check("ip6tables-save", first, count, flows, &ours, &ran);
	/*
	 * A notice, not a warning: the firewall may well be loaded after
	 * nfqd (and nft's own queue statement is not in these listings).
	 */
	if (ran && ours == 0)
		log_notice("no iptables or ip6tables rule sends to %s yet: "
		    "nfqd sees only the packets a rule queues to it (-j "
		    "NFQUEUE --queue-balance %u:%u --queue-bypass, see "
		    "docs/rules.md)", queues(qs, sizeof(qs), first,
		    first + count - 1), first, first + count - 1);
	return warnings;
}
