/*
 * The settings table (see settings.h): every setting of the configuration
 * file, one row each, and the readers of the few that are more than a
 * boolean, a number in a range, a word from a list or a path.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nfqd/l7/dnslearn.h"
#include "nfqd/log.h"
#include "nfqd/nfqd.h"
#include "nfqd/pcap.h"
#include "nfqd/rules.h"
#include "nfqd/settings.h"
#include "nfqd/util.h"

enum type {
	BOOL,		/* true or false, into a bool */
	U32,		/* an integer in [lo, hi], into a uint32_t */
	WORD,		/* one of words[], into a bool or an int as values[] */
	PATH,		/* an absolute path ("" too with empty_ok) */
	OTHER,		/* read by set() */
};

/* A field of struct nfqd_config. */
struct field {
	size_t		off;
	size_t		len;
};

#define F(f)	{ offsetof(struct nfqd_config, f), \
		  sizeof(((struct nfqd_config *)0)->f) }

struct setting {
	const char		*group;		/* NULL: the top level */
	const char		*name;
	enum type		 type;
	struct field		 f[3];		/* what it sets; f[0] typed */
	long long		 lo, hi;	/* U32 */
	const char *const	*words;		/* WORD, NULL-terminated */
	const int		*values;
	bool			 empty_ok;	/* PATH */
	void			(*set)(struct nfqd_cfgload *,
				    config_setting_t *);
	/* Compared instead of the fields, when they are pointers. */
	bool			(*same)(const struct nfqd_config *,
				    const struct nfqd_config *);
	enum nfqd_reload	 reload;
};

#define cerr(c, ...)	cfg_err(&(c)->cc, __VA_ARGS__)

static const char *const w_log[] = { "stderr", "syslog", NULL };
static const int v_log[] = { 0, 1 };
static const char *const w_affinity[] = { "auto", "none", NULL };
static const int v_affinity[] = { 1, 0 };
static const char *const w_verdict[] = { "accept", "drop", NULL };
static const int v_verdict[] = { NFQD_VERDICT_ACCEPT, NFQD_VERDICT_DROP };
/* "auto": where the kernel takes it (the master asks at start). */
static const char *const w_connmark[] = { "off", "auto", NULL };
static const int v_connmark[] = { 0, 1 };
static const char *const w_http_requests[] = { "first", "all", NULL };
static const int v_http_requests[] = { 0, 1 };
static const char *const w_orphan[] = { "accept", "drop", "repeat", NULL };
static const int v_orphan[] = {
	NFQD_VERDICT_ACCEPT, NFQD_VERDICT_DROP, NFQD_VERDICT_REPEAT
};

static void	set_group(struct nfqd_cfgload *, config_setting_t *);
static void	set_user(struct nfqd_cfgload *, config_setting_t *);
static void	set_balance(struct nfqd_cfgload *, config_setting_t *);
static void	set_base(struct nfqd_cfgload *, config_setting_t *);
static void	set_rcvbuf(struct nfqd_cfgload *, config_setting_t *);
static void	set_copy_range(struct nfqd_cfgload *, config_setting_t *);
static void	set_watchdog_ms(struct nfqd_cfgload *, config_setting_t *);
static void	set_orphan_mark(struct nfqd_cfgload *, config_setting_t *);
static void	set_pcap_max_bytes(struct nfqd_cfgload *, config_setting_t *);
static void	set_dnsl_servers(struct nfqd_cfgload *, config_setting_t *);
static void	set_rules(struct nfqd_cfgload *, config_setting_t *);
static void	set_sets_max(struct nfqd_cfgload *, config_setting_t *);
static bool	same_rules(const struct nfqd_config *,
		    const struct nfqd_config *);
static bool	same_sets(const struct nfqd_config *,
		    const struct nfqd_config *);

#define W	NFQD_RELOAD_WORKERS

static const struct setting table[] = {
	{ NULL, "daemon", OTHER, .set = set_group },
	{ NULL, "queue", OTHER, .set = set_group },
	{ NULL, "stats", OTHER, .set = set_group },
	{ NULL, "flows", OTHER, .set = set_group },
	{ NULL, "pcap", OTHER, .set = set_group },
	{ NULL, "dns_learn", OTHER, .set = set_group },

	{ "daemon", "pidfile", PATH, { F(pidfile) },
	    .reload = NFQD_RELOAD_NEXT_START },
	{ "daemon", "user", OTHER, { F(user), F(uid), F(gid) },
	    .set = set_user, .reload = W },
	{ "daemon", "log", WORD, { F(log_syslog) }, .words = w_log,
	    .values = v_log, .reload = W },
	{ "daemon", "log_level", WORD, { F(log_level) }, .words = log_level_words,
	    .values = log_level_values, .reload = W },
	{ "daemon", "sandbox", BOOL, { F(sandbox) }, .reload = W },

	{ "queue", "balance", OTHER, { F(balance_auto), F(qfirst), F(qcount) },
	    .set = set_balance, .reload = NFQD_RELOAD_QUEUES },
	/* Its change shows in balance's fields. */
	{ "queue", "base", OTHER, .set = set_base,
	    .reload = NFQD_RELOAD_QUEUES },
	{ "queue", "cpu_affinity", WORD, { F(cpu_affinity) },
	    .words = w_affinity, .values = v_affinity, .reload = W },
	{ "queue", "maxlen", U32, { F(maxlen) }, 1, 16777216, .reload = W },
	{ "queue", "rcvbuf", OTHER, { F(rcvbuf) }, .set = set_rcvbuf,
	    .reload = NFQD_RELOAD_PARAMS },
	{ "queue", "copy_range", OTHER, { F(copy_range), F(copy_auto),
	    F(parse) }, .set = set_copy_range, .reload = W },
	{ "queue", "batch", U32, { F(batch) }, 1, 1024, .reload = W },
	{ "queue", "busy_poll_us", U32, { F(busy_poll_us) }, 0, 1000,
	    .reload = W },
	{ "queue", "fail_open", BOOL, { F(fail_open) }, .reload = W },
	{ "queue", "gso", BOOL, { F(gso) }, .reload = W },
	{ "queue", "uid_gid", BOOL, { F(uid_gid) }, .reload = W },
	{ "queue", "orphan_verdict", WORD, { F(orphan_verdict) },
	    .words = w_orphan, .values = v_orphan, .reload = W },
	{ "queue", "orphan_mark", OTHER, { F(orphan_mark) },
	    .set = set_orphan_mark, .reload = W },
	{ "queue", "watchdog_ms", OTHER, { F(watchdog_ms) },
	    .set = set_watchdog_ms, .reload = W },

	{ "stats", "file", PATH, { F(stats_file) }, .empty_ok = true,
	    .reload = NFQD_RELOAD_NOTHING },
	{ "stats", "prometheus", PATH, { F(stats_prometheus) },
	    .empty_ok = true, .reload = NFQD_RELOAD_NOTHING },
	{ "stats", "interval", U32, { F(stats_interval) }, 0, 86400,
	    .reload = NFQD_RELOAD_NOTHING },
	{ "stats", "shm", PATH, { F(shm_path) },
	    .reload = NFQD_RELOAD_NEXT_START },

	/* Each worker opens its file at its start (pcap.h). */
	{ "pcap", "dir", PATH, { F(pcap_dir) }, .empty_ok = true,
	    .reload = W },
	{ "pcap", "max_bytes", OTHER, { F(pcap_max_bytes) },
	    .set = set_pcap_max_bytes, .reload = W },
	{ "pcap", "max_files", U32, { F(pcap_max_files) }, 1,
	    NFQD_PCAP_FILES_LIMIT, .reload = W },

	{ NULL, "default_verdict", WORD, { F(default_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ NULL, "malformed_verdict", WORD, { F(malformed_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ NULL, "truncated_verdict", WORD, { F(truncated_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ NULL, "tiny_fragment_verdict", WORD, { F(tiny_fragment_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ NULL, "header_chain_verdict", WORD, { F(header_chain_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ NULL, "l7_error_verdict", WORD, { F(l7_error_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ "flows", "max", U32, { F(flows_max) }, 16, 16777216, .reload = W },
	{ "flows", "reasm_buffers", U32, { F(flows_reasm_buffers) }, 1,
	    1048576, .reload = W },
	{ "flows", "tcp_timeout", U32, { F(flows_tcp_timeout) }, 1, 432000,
	    .reload = W },
	{ "flows", "closing_timeout", U32, { F(flows_closing_timeout) }, 1,
	    3600, .reload = W },
	{ "flows", "hello_timeout", U32, { F(flows_hello_timeout) }, 1, 600,
	    .reload = W },
	{ "flows", "udp_timeout", U32, { F(flows_udp_timeout) }, 1, 432000,
	    .reload = W },
	{ "flows", "full_verdict", WORD, { F(flows_full_verdict) },
	    .words = w_verdict, .values = v_verdict, .reload = W },
	{ "flows", "pending_mark", U32, { F(flows_pending_mark) }, 0,
	    UINT32_MAX, .reload = W },
	{ "flows", "connmark", WORD, { F(flows_connmark) },
	    .words = w_connmark, .values = v_connmark, .reload = W },
	{ "flows", "hello_retry", BOOL, { F(flows_hello_retry) },
	    .reload = W },
	{ "flows", "http_requests", WORD, { F(flows_http_all) },
	    .words = w_http_requests, .values = v_http_requests, .reload = W },
	/* The table is the master's, made once: its size and whether it
	   exists wait for a restart; workers clamp TTLs as they learn. */
	{ "dns_learn", "enabled", BOOL, { F(dnsl_enabled) },
	    .reload = NFQD_RELOAD_NEXT_START },
	{ "dns_learn", "max_entries", U32, { F(dnsl_max_entries) },
	    NFQD_DNSL_MIN_ENTRIES, NFQD_DNSL_MAX_ENTRIES,
	    .reload = NFQD_RELOAD_NEXT_START },
	{ "dns_learn", "min_ttl", U32, { F(dnsl_min_ttl) }, 1, 604800,
	    .reload = W },
	{ "dns_learn", "max_ttl", U32, { F(dnsl_max_ttl) }, 1, 604800,
	    .reload = W },
	{ "dns_learn", "servers", OTHER, { F(dnsl_servers), F(dnsl_nservers) },
	    .set = set_dnsl_servers, .reload = W },
	{ NULL, "rules", OTHER, { F(parse) }, .set = set_rules,
	    .same = same_rules, .reload = W },
	{ NULL, "name_sets", OTHER, .set = set_rules, .same = same_sets,
	    .reload = W },
	/* Applied as the configuration that sets it is read. */
	{ NULL, "name_sets_max_bytes", OTHER, { F(sets_max_bytes),
	    F(sets_max_auto) }, .set = set_sets_max,
	    .reload = NFQD_RELOAD_NOTHING },
	{ NULL, "rate_table_size", U32, { F(rate_table_size) }, 1024,
	    16777216, .reload = W },
};

_Static_assert(NFQD_ARRAY_SIZE(table) <=
    NFQD_ARRAY_SIZE(((struct nfqd_cfgload *)0)->seen),
    "seen[] holds a row each");

/* Both NULL, or the same string. */
static bool
streq(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void *
field(struct nfqd_config *cf, const struct field *f)
{
	return (char *)cf + f->off;
}

static bool
is_group(const struct setting *r)
{
	return r->set == set_group;
}

/* daemon { } */

static void
set_user(struct nfqd_cfgload *c, config_setting_t *s)
{
	const char	*v;

	if ((v = cfg_str(&c->cc, s)) == NULL)
		return;
	if (nfqd_strlcpy(c->cf->user, v, sizeof(c->cf->user)) >=
	    sizeof(c->cf->user)) {
		cerr(c, s, "user name is too long");
		c->cf->user[0] = '\0';
	}
}

/* queue { } */

static void
set_balance(struct nfqd_cfgload *c, config_setting_t *s)
{
	const char	*v;
	uint16_t	 a, b;

	if ((v = cfg_str(&c->cc, s)) == NULL)
		return;
	if (strcmp(v, "auto") == 0) {
		c->cf->balance_auto = true;
		return;
	}
	if (nfqd_parse_balance(v, &a, &b) == -1) {
		cerr(c, s, "\"%s\" is neither \"auto\" nor a range \"A:B\" "
		    "of queue numbers (0 to 65535, A <= B)", v);
		return;
	}
	if ((unsigned)b - a + 1 > NFQD_MAX_WORKERS) {
		cerr(c, s, "\"%s\" has %u queues; at most %d are supported",
		    v, (unsigned)b - a + 1, NFQD_MAX_WORKERS);
		return;
	}
	c->cf->balance_auto = false;
	c->cf->qfirst = a;
	c->cf->qcount = (uint16_t)(b - a + 1);
}

static void
set_base(struct nfqd_cfgload *c, config_setting_t *s)
{
	long long	v;

	if (cfg_int(&c->cc, s, 0, 65535, &v) == 0)
		c->cf->qfirst = (uint16_t)v;
}

/*
 * A number of bytes, or a size string ("64K", "100M"), in [lo, hi]: 0 with
 * *out, or -1 with the error said; range says the range in words.
 */
static int
size_value(struct nfqd_cfgload *c, config_setting_t *s, long long lo,
    long long hi, const char *range, uint64_t *out)
{
	uint64_t	 v;
	long long	 iv;
	const char	*str;

	if (cfg_is_int(s)) {
		if (cfg_int(&c->cc, s, lo, hi, &iv) == -1)
			return -1;
		*out = (uint64_t)iv;
		return 0;
	}
	if ((str = cfg_str(&c->cc, s)) == NULL)
		return -1;
	if (nfqd_parse_size(str, &v) == -1) {
		cerr(c, s, "\"%s\" is not a size (bytes, or a number with "
		    "K, M, G or T)", str);
		return -1;
	}
	if (v < (uint64_t)lo || v > (uint64_t)hi) {
		cerr(c, s, "\"%s\" is out of range (%s)", str, range);
		return -1;
	}
	*out = v;
	return 0;
}

static void
set_rcvbuf(struct nfqd_cfgload *c, config_setting_t *s)
{
	uint64_t	v;

	if (size_value(c, s, 65536, 1073741824, "64K to 1G", &v) == 0)
		c->cf->rcvbuf = (uint32_t)v;
}

static void
set_copy_range(struct nfqd_cfgload *c, config_setting_t *s)
{
	long long	v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (strcmp(config_setting_get_string(s), "auto") == 0)
			c->cf->copy_auto = true;
		else
			cerr(c, s, "\"%s\" is neither \"auto\" nor a number "
			    "of bytes (0 to 65535)", config_setting_get_string(s));
		return;
	}
	if (cfg_int(&c->cc, s, 0, 65535, &v) == 0)
		c->cf->copy_range = (uint32_t)v;
}

static void
set_watchdog_ms(struct nfqd_cfgload *c, config_setting_t *s)
{
	long long	v;

	if (cfg_int(&c->cc, s, 0, 600000, &v) == -1)
		return;
	if (v != 0 && v < 100) {
		cerr(c, s, "%lld ms is too short to tell a stuck worker from a "
		    "busy one (0 turns the watchdog off, else 100 to 600000)",
		    v);
		return;
	}
	c->cf->watchdog_ms = (uint32_t)v;
}

static void
set_orphan_mark(struct nfqd_cfgload *c, config_setting_t *s)
{
	long long	v;

	if (cfg_int(&c->cc, s, 0, UINT32_MAX, &v) == -1)
		return;
	if (v != 0 && (v & (v - 1)) != 0) {
		cerr(c, s, "0x%llx is not a single bit (or 0 for none)", v);
		return;
	}
	c->cf->orphan_mark = (uint32_t)v;
}

/* pcap { } */

/*
 * dns_learn.servers: an address or prefix, or a list of them, as a rule's
 * dst: "10.0.0.53", ["192.0.2.0/24", "2001:db8::53", "!192.0.2.99"].
 */
static void
set_dnsl_servers(struct nfqd_cfgload *c, config_setting_t *s)
{
	struct nfqd_cidr	*v = c->cf->dnsl_servers;
	config_setting_t	*e;
	char			 why[256];
	int			 i, n;

	c->cf->dnsl_nservers = 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING &&
	    (!config_setting_is_aggregate(s) ||
	    config_setting_type(s) == CONFIG_TYPE_GROUP)) {
		cerr(c, s, "must be an address or prefix (\"10.0.0.53\") or a "
		    "list of them");
		return;
	}
	if ((n = cfg_list_len(&c->cc, s, NFQD_DNSL_SERVERS_MAX, "addresses",
	    "an empty list learns from no server; leave servers out to "
	    "learn from any, or set enabled = false")) == -1)
		return;
	for (i = 0; i < n; i++) {
		e = cfg_list_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cerr(c, s, "element %d must be an address or prefix in "
			    "double quotes", i + 1);
			continue;
		}
		if (nfqd_cidr_parse(config_setting_get_string(e),
		    &v[c->cf->dnsl_nservers], why, sizeof(why)) == -1) {
			cerr(c, s, "%s", why);
			continue;
		}
		c->cf->dnsl_nservers++;
	}
}

/* Bytes or a size ("100M"): from one record of the largest packet to 1T. */
static void
set_pcap_max_bytes(struct nfqd_cfgload *c, config_setting_t *s)
{
	char		range[96];
	uint64_t	v;

	snprintf(range, sizeof(range), "%lld bytes, a file header and the "
	    "largest packet, to 1T", (long long)NFQD_PCAP_MIN_BYTES);
	if (size_value(c, s, NFQD_PCAP_MIN_BYTES, 1ll << 40, range, &v) == 0)
		c->cf->pcap_max_bytes = v;
}

/* top level */

static void
set_rules(struct nfqd_cfgload *c, config_setting_t *s)
{
	(void)c;
	(void)s;	/* read once the served queues are known (config.c) */
}

/*
 * name_sets_max_bytes: "auto" (half the host's memory, or of the
 * cgroup's limit where lower: finish() in config.c), or bytes or a size
 * from 1M to 1T.
 */
static void
set_sets_max(struct nfqd_cfgload *c, config_setting_t *s)
{
	const char	*str;
	uint64_t	 v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(s);
		if (strcmp(str, "auto") == 0) {
			c->cf->sets_max_auto = true;
			return;
		}
		if (nfqd_parse_size(str, &v) == -1) {
			cerr(c, s, "\"%s\" is neither \"auto\" nor a size "
			    "(bytes, or a number with K, M, G or T)", str);
			return;
		}
	}
	if (size_value(c, s, 1ll << 20, 1ll << 40, "1M to 1T", &v) == 0) {
		c->cf->sets_max_auto = false;
		c->cf->sets_max_bytes = v;
	}
}

static bool
same_rules(const struct nfqd_config *a, const struct nfqd_config *b)
{
	return nfqd_rules_same(a->rules, b->rules);
}

/* The same name sets: names, files and the files' bytes (their hash). */
static bool
same_sets(const struct nfqd_config *a, const struct nfqd_config *b)
{
	return nfqd_rules_sets_same(a->rules, b->rules);
}

/* The row's type says how to read it. */
static void
read_typed(struct nfqd_cfgload *c, const struct setting *r,
    config_setting_t *s)
{
	void		*p = field(c->cf, &r->f[0]);
	long long	 v;
	size_t		 n;
	int		 i;

	switch (r->type) {
	case BOOL:
		cfg_bool(&c->cc, s, p);
		break;
	case U32:
		if (cfg_int(&c->cc, s, r->lo, r->hi, &v) == 0)
			*(uint32_t *)p = (uint32_t)v;
		break;
	case WORD:
		for (n = 0; r->words[n] != NULL; n++)
			;
		if ((i = cfg_choice(&c->cc, s, r->words, n)) < 0)
			break;
		if (r->f[0].len == sizeof(bool))
			*(bool *)p = r->values[i] != 0;
		else
			*(int *)p = r->values[i];
		break;
	case PATH:
		cfg_path(&c->cc, s, p, r->f[0].len, r->empty_ok);
		break;
	case OTHER:
		r->set(c, s);
		break;
	}
}

/*
 * What an unknown name was probably meant to be: the same name spelled
 * with '-' or in capitals, with the group repeated as a prefix
 * ("queue_maxlen"), a typo, or a setting that lives in another group.
 */
static void
suggest(const char *group, const char *name, char *out, size_t len)
{
	const char	*names[NFQD_ARRAY_SIZE(table)], *hit;
	const char	*groups[] = { NULL, "daemon", "queue", "stats", "flows",
			    "pcap", "dns_learn" };
	size_t		 i, g, k;
	int		 pass;

	out[0] = '\0';
	/* First the setting's own group, then (closer misses) the others. */
	for (pass = 0; pass < 2; pass++) {
		for (g = 0; g < NFQD_ARRAY_SIZE(groups); g++) {
			if ((pass == 0) != streq(groups[g], group))
				continue;
			for (i = k = 0; i < NFQD_ARRAY_SIZE(table); i++)
				if (streq(table[i].group, groups[g]))
					names[k++] = table[i].name;
			if ((hit = cfg_suggest(name, groups[g], names, k,
			    pass == 0 ? 2 : 1)) == NULL)
				continue;
			if (pass == 0)
				snprintf(out, len, "%s", hit);
			else if (groups[g] != NULL)
				snprintf(out, len, "%s.%s", groups[g], hit);
			else
				snprintf(out, len, "%s (at the top level)", hit);
			return;
		}
	}
}

/*
 * Settings other NFQUEUE programs have and nfqd expresses another way:
 * what to write instead, for a name in any group (any case, '-' as '_').
 */
#define SAY_QUEUE	"nfqd serves a range of queues, queue.balance = " \
			"\"A:B\" (iptables' --queue-num N is \"N:N\")"
#define SAY_WORKERS	"nfqd runs one worker per queue of queue.balance"
#define SAY_GROUP	"the workers take daemon.user's own group, and no " \
			"other"
static const struct cfg_alias others[] = {
	{ "queue_num", SAY_QUEUE },	{ "num", SAY_QUEUE },
	{ "queue_number", SAY_QUEUE },	{ "number", SAY_QUEUE },
	{ "queue_id", SAY_QUEUE },	{ "workers", SAY_WORKERS },
	{ "threads", SAY_WORKERS },	{ "nworkers", SAY_WORKERS },
	{ "worker_count", SAY_WORKERS }, { "num_workers", SAY_WORKERS },
	{ "group", SAY_GROUP },
};

void
nfqd_settings_walk(struct nfqd_cfgload *c, const char *group,
    config_setting_t *grp)
{
	config_setting_t	*s;
	const char		*name, *say;
	char			 hint[160];
	size_t			 k;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(grp, (unsigned)i)) != NULL;
	    i++) {
		name = config_setting_name(s);
		for (k = 0; k < NFQD_ARRAY_SIZE(table); k++)
			if (name != NULL && strcmp(name, table[k].name) == 0 &&
			    streq(table[k].group, group))
				break;
		if (k < NFQD_ARRAY_SIZE(table)) {
			c->seen[k] = s;
			read_typed(c, &table[k], s);
			continue;
		}
		if (name != NULL && (say = cfg_alias(name, others,
		    NFQD_ARRAY_SIZE(others))) != NULL) {
			cerr(c, s, "unknown setting; %s", say);
			continue;
		}
		suggest(group, name != NULL ? name : "", hint, sizeof(hint));
		if (hint[0] != '\0')
			cerr(c, s, "unknown setting; did you mean '%s'?", hint);
		else
			cerr(c, s, "unknown setting");
	}
}

static void
set_group(struct nfqd_cfgload *c, config_setting_t *s)
{
	const char	*name = config_setting_name(s);

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cerr(c, s, "must be a group: %s = { ... };", name);
		return;
	}
	nfqd_settings_walk(c, name, s);
}

config_setting_t *
nfqd_settings_seen(const struct nfqd_cfgload *c, const char *name)
{
	const char	*dot = strchr(name, '.');
	size_t		 i, glen = dot != NULL ? (size_t)(dot - name) : 0;

	for (i = 0; i < NFQD_ARRAY_SIZE(table); i++) {
		const struct setting *r = &table[i];

		if (dot == NULL ? r->group == NULL &&
		    strcmp(r->name, name) == 0 : r->group != NULL &&
		    strlen(r->group) == glen &&
		    strncmp(r->group, name, glen) == 0 &&
		    strcmp(r->name, dot + 1) == 0)
			return c->seen[i];
	}
	return NULL;
}

void
nfqd_settings_each(nfqd_settings_fn fn, void *arg)
{
	size_t	i;

	for (i = 0; i < NFQD_ARRAY_SIZE(table); i++)
		if (!is_group(&table[i]))
			fn(arg, table[i].group, table[i].name, table[i].reload);
}

static bool
differ(const struct setting *r, const struct nfqd_config *a,
    const struct nfqd_config *b)
{
	size_t	k;

	if (r->same != NULL && !r->same(a, b))
		return true;
	for (k = 0; k < NFQD_ARRAY_SIZE(r->f) && r->f[k].len > 0; k++)
		if (memcmp((const char *)a + r->f[k].off,
		    (const char *)b + r->f[k].off, r->f[k].len) != 0)
			return true;
	return false;
}

unsigned
nfqd_settings_changed(const struct nfqd_config *a,
    const struct nfqd_config *b, nfqd_settings_fn fn, void *arg)
{
	unsigned	need = 0;
	size_t		i;

	for (i = 0; i < NFQD_ARRAY_SIZE(table); i++) {
		if (is_group(&table[i]) || !differ(&table[i], a, b))
			continue;
		need |= NFQD_RELOAD_BIT(table[i].reload);
		if (fn != NULL)
			fn(arg, table[i].group, table[i].name, table[i].reload);
	}
	return need;
}

void
nfqd_settings_keep(struct nfqd_config *b, const struct nfqd_config *a)
{
	size_t	i, k;

	for (i = 0; i < NFQD_ARRAY_SIZE(table); i++) {
		if (table[i].reload != NFQD_RELOAD_NEXT_START)
			continue;
		for (k = 0; k < NFQD_ARRAY_SIZE(table[i].f) &&
		    table[i].f[k].len > 0; k++)
			memcpy(field(b, &table[i].f[k]),
			    (const char *)a + table[i].f[k].off,
			    table[i].f[k].len);
	}
}

const char *
nfqd_reload_name(enum nfqd_reload r)
{
	static const char *const names[NFQD_RELOAD_MAX] = {
		[NFQD_RELOAD_NOTHING] = "at once",
		[NFQD_RELOAD_PARAMS] = "queue parameters",
		[NFQD_RELOAD_QUEUES] = "queues",
		[NFQD_RELOAD_WORKERS] = "workers replaced",
		[NFQD_RELOAD_NEXT_START] = "next start",
	};

	return (unsigned)r < NFQD_RELOAD_MAX ? names[r] : "?";
}
