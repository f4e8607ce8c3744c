#ifndef NFQD_CONFIG_H
#define NFQD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nfqd/ruleset.h"
#include "nfqd/verdict.h"

/* dns_learn.servers: prefixes in the list. */
#define NFQD_DNSL_SERVERS_MAX	32

/*
 * The validated configuration.  Every field has a documented default (see
 * etc/nfqd.conf and docs/configuration.md); nfqd_config_defaults() sets them.
 * The struct is plain data, so a worker gets its own copy by fork().
 */
struct nfqd_config {
	char		 path[PATH_MAX];	/* file it was read from */

	/* daemon { } */
	char		 pidfile[PATH_MAX];
	char		 user[64];		/* "" keeps root */
	uid_t		 uid;			/* resolved from user */
	gid_t		 gid;
	bool		 log_syslog;
	int		 log_level;		/* LOG_ERR .. LOG_DEBUG */
	bool		 sandbox;		/* seccomp filter in workers */

	/* queue { } */
	bool		 balance_auto;		/* base .. base + online CPUs - 1 */
	uint16_t	 qfirst;		/* first queue served */
	uint16_t	 qcount;		/* queues served, one worker each */
	bool		 cpu_affinity;		/* pin worker i to CPU i */
	uint32_t	 maxlen;		/* kernel queue length, packets */
	uint32_t	 rcvbuf;		/* socket receive buffer, bytes */
	uint32_t	 copy_range;		/* bytes of each packet copied; 0: metadata only */
	bool		 copy_auto;		/* copy_range = "auto": from the rules */
	bool		 parse;			/* decisions need the headers */
	uint32_t	 batch;			/* messages read per recvmmsg() */
	uint32_t	 busy_poll_us;		/* spin for more before sleeping */
	bool		 fail_open;
	bool		 gso;
	bool		 uid_gid;
	uint32_t	 watchdog_ms;		/* stuck worker after; 0: off */

	/* stats { } */
	char		 stats_file[PATH_MAX];	/* "" disables the JSON file */
	char		 stats_prometheus[PATH_MAX]; /* "" disables the textfile */
	uint32_t	 stats_interval;	/* seconds; 0: on SIGUSR1 only */
	char		 shm_path[PATH_MAX];	/* counters, readable by anyone */

	/* pcap { }: the capture files of rules with log = "pcap" (pcap.h) */
	char		 pcap_dir[PATH_MAX];	/* "": none configured */
	uint64_t	 pcap_max_bytes;	/* a file is rotated before this */
	uint32_t	 pcap_max_files;	/* per queue, the current one too */

	enum nfqd_verdict default_verdict;
	/*
	 * Packets whose headers were not read whole, when the rules' verdict
	 * depends on what was not read (see engine.h), by why.
	 */
	enum nfqd_verdict malformed_verdict;	/* contradicting headers */
	enum nfqd_verdict truncated_verdict;	/* cut by the copy range */
	enum nfqd_verdict tiny_fragment_verdict; /* first fragment too short */
	enum nfqd_verdict header_chain_verdict;	/* too many IPv6 ext headers */
	enum nfqd_verdict orphan_verdict;	/* left by a dead worker */
	uint32_t	 orphan_mark;		/* mark bit of a packet repeated
						   after a worker died deciding
						   it; 0: none */

	/* The application layer (l7.h): flows { } and its verdict. */
	enum nfqd_verdict l7_error_verdict;	/* malformed or evasive
						   hellos, requests, queries */
	uint32_t	 flows_max;		/* flow table entries per worker */
	uint32_t	 flows_reasm_buffers;	/* 16 KiB reassembly buffers
						   per worker */
	uint32_t	 flows_tcp_timeout;	/* seconds, idle TCP flow */
	uint32_t	 flows_closing_timeout;	/* after FIN or RST */
	uint32_t	 flows_hello_timeout;	/* a hello left incomplete */
	uint32_t	 flows_udp_timeout;	/* idle UDP (QUIC) flow */
	enum nfqd_verdict flows_full_verdict;	/* a hello nfqd has no room
						   to follow */
	uint32_t	 flows_pending_mark;	/* mark bit of packets accepted
						   while their flow's first
						   message is incomplete; 0:
						   none (docs/l7.md) */
	bool		 flows_connmark;	/* "auto": a flow's decided mark
						   also goes to its connection
						   in the verdict (NFQA_CT),
						   where the kernel takes it */
	bool		 flows_hello_retry;	/* read a second ClientHello
						   after a HelloRetryRequest
						   (l7second.c, l7udp.c) */
	bool		 flows_http_all;	/* flows.http_requests "all":
						   read every request of an
						   HTTP connection, not only
						   its first */

	/* dns_learn { }: names learned from DNS answers (l7/dnslearn.h). */
	bool		 dnsl_enabled;
	uint32_t	 dnsl_max_entries;	/* (address, name) entries */
	uint32_t	 dnsl_min_ttl;		/* seconds: a TTL's floor */
	uint32_t	 dnsl_max_ttl;		/* ... and cap */
	/* dns_learn.servers: the servers learned from (0: any). */
	struct nfqd_cidr dnsl_servers[NFQD_DNSL_SERVERS_MAX];
	uint32_t	 dnsl_nservers;

	struct nfqd_ruleset *rules;		/* NULL: none; owned */
	bool		 rules_set;		/* the file says rules = ... */
	uint64_t	 sets_max_bytes;	/* name_sets together, bytes */
	bool		 sets_max_auto;		/* ... half of MemTotal, or
						   of the cgroup's limit */
	bool		 sets_max_cgroup;	/* "auto" took the cgroup's */
	uint32_t	 rate_table_size;	/* keyed rate buckets per worker */
};

/* Command-line settings that win over the file. */
struct nfqd_ruleset;

struct nfqd_overrides {
	const char	*pidfile;		/* -p */
	const char	*balance;		/* --queue-balance A:B */
};

/*
 * Called once per problem found, with the file and line it is at (line 0
 * when the problem is not tied to a line).
 */
typedef void (*nfqd_config_report_fn)(void *arg, const char *file, int line,
    const char *msg);

void	nfqd_config_defaults(struct nfqd_config *cf);

/*
 * Read and validate path into cf.  Returns the number of errors found
 * (0: cf is complete and valid; warnings, reported as "warning: ...", do
 * not count).  report is given the first 100 errors and the first 100
 * warnings, then one line at path, line 0, of how many more there were
 * (NFQD_CFG_SHOWN, cfgutil.h); the count holds them all.  On failure cf holds nothing to free and is otherwise
 * unspecified: load into a scratch struct and keep the old one, as a reload
 * does.  On success, release it with nfqd_config_free().
 */
int	nfqd_config_load(struct nfqd_config *cf, const char *path,
	    const struct nfqd_overrides *ov, nfqd_config_report_fn report,
	    void *arg);

struct nfqd_ruleset;

/*
 * The same for a reload: a name set of reuse (the running rules) whose
 * file stat() shows unchanged (see struct nfqd_nameset) is taken as it is
 * instead of read and built again; both configurations then hold it.
 */
int	nfqd_config_load_reusing(struct nfqd_config *cf, const char *path,
	    const struct nfqd_overrides *ov, nfqd_config_report_fn report,
	    void *arg, const struct nfqd_ruleset *reuse);

/*
 * The same for a text in memory, named name in reports (the fuzzer): no
 * @include, and no child parses it first, so a crash in libconfig is the
 * caller's to see.
 */
int	nfqd_config_load_text(struct nfqd_config *cf, const char *name,
	    const char *text, size_t len, const struct nfqd_overrides *ov,
	    nfqd_config_report_fn report, void *arg);

/* A report function that prints "FILE:LINE: message" on stderr. */
void	nfqd_config_report_stderr(void *arg, const char *file, int line,
	    const char *msg);

/*
 * nfqd -t and nfqctl check: load path (made absolute, as nfqd does), print
 * each problem on stderr and a closing line ("configuration is valid" on
 * stdout, "N errors; configuration is invalid" on stderr).  Returns the exit
 * status: 0 valid, 1 invalid.
 */
int	nfqd_config_check(const char *path, const struct nfqd_overrides *ov);

/* Free what nfqd_config_load() allocated (the rules). */
void	nfqd_config_free(struct nfqd_config *cf);

struct nfqd_queue_params;

/* The queue's parameters cf sets (queue.h). */
void	nfqd_config_queue_params(const struct nfqd_config *cf,
	    struct nfqd_queue_params *qp);




#endif
