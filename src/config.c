/*
 * The configuration file: libconfig syntax, read into a validated
 * struct nfqd_config.  Every setting is optional.  Unknown settings, wrong
 * types and out-of-range values are errors with file and line: a setting
 * spelled the way another NFQUEUE tool spells it must not be ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "nfqd/cfgtext.h"
#include "nfqd/cfgutil.h"
#include "nfqd/config.h"
#include "nfqd/isolate.h"
#include "nfqd/log.h"
#include "nfqd/memlimit.h"
#include "nfqd/nfqd.h"
#include "nfqd/pcap.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/rules.h"
#include "nfqd/settings.h"
#include "nfqd/util.h"

#define cerr(c, ...)	cfg_err(&(c)->cc, __VA_ARGS__)

void
nfqd_config_defaults(struct nfqd_config *cf)
{
	memset(cf, 0, sizeof(*cf));
	nfqd_strlcpy(cf->pidfile, "/run/nfqd/nfqd.pid", sizeof(cf->pidfile));
	cf->log_syslog = false;
	cf->log_level = LOG_INFO;
	cf->sandbox = true;
	cf->balance_auto = true;
	cf->qfirst = 0;
	cf->qcount = 0;
	cf->cpu_affinity = true;
	cf->maxlen = 8192;
	cf->rcvbuf = 8u << 20;
	cf->copy_range = 65535;
	cf->batch = 64;
	cf->fail_open = true;
	cf->gso = true;
	cf->uid_gid = false;
	nfqd_strlcpy(cf->stats_file, "/run/nfqd/stats.json",
	    sizeof(cf->stats_file));
	cf->stats_prometheus[0] = '\0';
	cf->stats_interval = 0;
	nfqd_strlcpy(cf->shm_path, "/run/nfqd/nfqd.shm", sizeof(cf->shm_path));
	cf->pcap_dir[0] = '\0';
	cf->pcap_max_bytes = NFQD_PCAP_MAX_BYTES;
	cf->pcap_max_files = NFQD_PCAP_MAX_FILES;
	cf->default_verdict = NFQD_VERDICT_ACCEPT;
	cf->malformed_verdict = NFQD_VERDICT_DROP;
	cf->truncated_verdict = NFQD_VERDICT_DROP;
	cf->tiny_fragment_verdict = NFQD_VERDICT_DROP;
	cf->header_chain_verdict = NFQD_VERDICT_DROP;
	cf->orphan_verdict = NFQD_VERDICT_REPEAT;
	cf->orphan_mark = 0x40000000;
	cf->rules = NULL;
	cf->sets_max_auto = true;	/* resolved in finish() */
	cf->rate_table_size = 65536;
	cf->watchdog_ms = 2000;
	cf->l7_error_verdict = NFQD_VERDICT_DROP;
	cf->flows_max = 65536;
	cf->flows_reasm_buffers = 1024;
	cf->flows_tcp_timeout = 600;
	cf->flows_closing_timeout = 10;
	cf->flows_hello_timeout = 10;
	cf->flows_udp_timeout = 120;
	cf->flows_full_verdict = NFQD_VERDICT_DROP;
	cf->flows_pending_mark = 0x20000000;
	cf->flows_connmark = false;
	cf->flows_hello_retry = true;
	cf->flows_http_all = true;
	cf->dnsl_enabled = false;
	cf->dnsl_max_entries = 65536;
	cf->dnsl_min_ttl = 60;
	cf->dnsl_max_ttl = 86400;
}

/*
 * copy_range "auto": the headers when rules look at them (IPv4 with options
 * and TCP, IPv6 with 200 bytes of extension headers and TCP fit), else a
 * few bytes (the kernel then still sends the packet's length) and no
 * parsing at all.
 */
#define AUTO_HEADERS	256
#define AUTO_METADATA	64

/*
 * The packet fields the rules read from the headers.  The family comes
 * with the packet's metadata as well: a rule that reads only it needs no
 * copy of the packet.
 */
static uint8_t
header_needs(const struct nfqd_ruleset *rs)
{
	return rs != NULL ? rs->all_needs & ~NFQD_PKT_K_FAMILY : 0;
}

/* Bytes past the start of the transport header that the rules read. */
static uint32_t
l4_bytes(uint8_t needs)
{
	if (needs & NFQD_PKT_K_TCPFLAGS)
		return 14;
	if (needs & NFQD_PKT_K_PORTS)
		return 4;
	if (needs & NFQD_PKT_K_ICMP)
		return 2;
	return 0;
}

/*
 * What a numeric copy range cuts, said at -t: the longest IPv4 options and
 * IPv6 extension headers it still holds in front of the bytes the rules
 * read.  Packets with longer headers get truncated_verdict when a rule
 * depends on what was cut.
 */
static void
check_copy(struct nfqd_cfgload *c, uint8_t needs)
{
	struct nfqd_config	*cf = c->cf;
	config_setting_t	*copy = nfqd_settings_seen(c, "queue.copy_range");
	config_setting_t	*tv = nfqd_settings_seen(c, "truncated_verdict");
	uint32_t		 l4 = l4_bytes(needs), v4, v6;
	bool			 chain;

	/* Past the fixed IP header: the IPv6 chain, the transport header. */
	chain = (needs & ~(NFQD_PKT_K_FAMILY | NFQD_PKT_K_ADDRS)) != 0;
	if (cf->copy_range < 20 + l4) {
		cerr(c, copy, "%u bytes cannot hold an IPv4 header "
		    "and the %u bytes of transport header the rules read "
		    "(%u bytes)", cf->copy_range, l4, 20 + l4);
		return;
	}
	if (cf->copy_range < 40 + l4 && !cf->copy_auto) {
		cfg_warn_at(&c->cc, copy, "queue.copy_range: %u bytes "
		    "cannot hold an IPv6 header%s (%u bytes): such packets "
		    "get truncated_verdict \"%s\" when a rule depends on what "
		    "was cut", cf->copy_range, l4 > 0 ? " and the transport "
		    "header bytes the rules read" : "", 40 + l4,
		    nfqd_verdict_name(cf->truncated_verdict));
	} else if (chain && cf->copy_range < AUTO_HEADERS && !cf->copy_auto) {
		v4 = cf->copy_range - 20 - l4;
		v6 = cf->copy_range - 40 - l4;
		cfg_warn_at(&c->cc, copy, "queue.copy_range: %u bytes "
		    "hold IPv4 headers with %s%u bytes of options and IPv6 "
		    "headers with %u bytes of extension headers in front of "
		    "what the rules read; a packet with longer headers gets "
		    "truncated_verdict \"%s\" when a rule depends on what was "
		    "cut (\"auto\" copies %d bytes)", cf->copy_range,
		    v4 >= 40 ? "all " : "up to ", v4 >= 40 ? 40 : v4, v6,
		    nfqd_verdict_name(cf->truncated_verdict), AUTO_HEADERS);
	}
	if (chain && cf->truncated_verdict == NFQD_VERDICT_ACCEPT &&
	    cf->copy_range < 65535)
		cfg_warn_at(&c->cc, tv != NULL ? tv : copy, "truncated_verdict "
		    "\"accept\": a packet whose "
		    "headers are longer than queue.copy_range (%u bytes) passes "
		    "the rules that depend on what was cut; where the rules are "
		    "a security boundary, keep \"drop\"", cf->copy_range);
}

static void
finish_copy(struct nfqd_cfgload *c)
{
	struct nfqd_config	*cf = c->cf;
	uint8_t			 needs = header_needs(cf->rules);

	/* Whole packets for names, DNS answers, and the capture files. */
	if (cf->copy_auto)
		cf->copy_range = (needs & NFQD_PKT_K_L7) || cf->dnsl_enabled ||
		    (cf->rules != NULL && cf->rules->npcap > 0) ? 65535 :
		    needs != 0 ? AUTO_HEADERS : AUTO_METADATA;
	if (cf->copy_range == 0 && cf->rules != NULL && cf->rules->npcap > 0)
		cfg_warn_at(&c->cc, nfqd_settings_seen(c, "queue.copy_range"),
		    "queue.copy_range: 0 copies no packet bytes: the capture "
		    "files of log = \"pcap\" rules get records without bytes "
		    "or lengths");
	cf->parse = cf->copy_range != 0 && (needs != 0 || cf->dnsl_enabled);
	if (cf->dnsl_enabled && cf->copy_range < 65535)
		cfg_warn_at(&c->cc, nfqd_settings_seen(c, "queue.copy_range"),
		    "queue.copy_range: %u bytes: a DNS answer cut short is not "
		    "learned from (dns_learn; \"auto\" copies whole packets)",
		    cf->copy_range);
	if (cf->parse)
		check_copy(c, needs);
	if (cf->parse && (needs & NFQD_PKT_K_L7) && cf->copy_range < 65535)
		cfg_warn_at(&c->cc, nfqd_settings_seen(c, "queue.copy_range"),
		    "queue.copy_range: %u bytes: rules read names from the "
		    "payload, and a packet cut short gets truncated_verdict "
		    "\"%s\" when a name rule depends on it (\"auto\" copies "
		    "whole packets for such rules)", cf->copy_range,
		    nfqd_verdict_name(cf->truncated_verdict));
}

/* A warning for each rule that sets or matches one of the bits of mark. */
static void
mark_users(struct nfqd_cfgload *c, const struct nfqd_ruleset *rs,
    uint32_t mark, config_setting_t *at, const char *whose)
{
	uint32_t	i;

	for (i = 0; mark != 0 && i < rs->n; i++) {
		const struct nfqd_rule *r = &rs->rules[i];

		if ((r->has_setmark && (r->setmark & mark)) ||
		    ((r->matchers & NFQD_M_MARK) && (r->mark_mask & mark)))
			cfg_warn_at(&c->cc, at, "rule \"%s\" (line %d) sets or "
			    "matches mark bit 0x%x, which %s; choose another "
			    "bit for one of them", r->name, r->line, mark,
			    whose);
	}
}

static void
finish_rules(struct nfqd_cfgload *c)
{
	struct nfqd_config	*cf = c->cf;
	config_setting_t	*list = nfqd_settings_seen(c, "rules");
	config_setting_t	*om = nfqd_settings_seen(c, "queue.orphan_mark");
	config_setting_t	*ug = nfqd_settings_seen(c, "queue.uid_gid");
	config_setting_t	*pm;
	struct nfqd_ruleset	*rs;
	uint32_t		 i;

	if (list == NULL && nfqd_settings_seen(c, "name_sets") != NULL)
		cfg_warn_at(&c->cc, nfqd_settings_seen(c, "name_sets"),
		    "name_sets: no rules, so the sets are neither read nor "
		    "used");
	if (list == NULL || c->cc.errors != 0)
		return;
	if ((rs = nfqd_rules_load(&c->cc, list,
	    nfqd_settings_seen(c, "name_sets"), cf->qfirst, cf->qcount,
	    c->reuse, cf->sets_max_bytes, !cf->sets_max_auto ? NULL :
	    cf->sets_max_cgroup ? "the cgroup's memory limit" :
	    "the host's memory")) == NULL)
		return;
	cf->rules = rs;
	if (cf->copy_range == 0 && !cf->copy_auto && header_needs(rs) != 0) {
		for (i = 0; i < rs->n &&
		    (rs->rules[i].needs & ~NFQD_PKT_K_FAMILY) == 0; i++)
			;
		cerr(c, nfqd_settings_seen(c, "queue.copy_range"), "0 copies "
		    "no packet bytes, but rule "
		    "\"%s\" (line %d) looks at the headers", rs->rules[i].name,
		    rs->rules[i].line);
	}
	/* nfqd's own mark bits: a rule that uses one would be fooled. */
	mark_users(c, rs, cf->orphan_mark, om != NULL ? om : list,
	    "queue.orphan_mark uses for packets a worker died deciding");
	pm = nfqd_settings_seen(c, "flows.pending_mark");
	if (rs->l7) {
		if (cf->flows_pending_mark & cf->orphan_mark)
			cfg_warn_at(&c->cc, pm != NULL ? pm : om,
			    "flows.pending_mark 0x%x and queue.orphan_mark "
			    "0x%x share bits; give each its own",
			    cf->flows_pending_mark, cf->orphan_mark);
		mark_users(c, rs, cf->flows_pending_mark,
		    pm != NULL ? pm : list, "flows.pending_mark uses for "
		    "connections whose first message nfqd is still reading");
	}
	/* uid and gid matchers need the kernel to send them. */
	if ((rs->all_matchers & (NFQD_M_UID | NFQD_M_GID)) && !cf->uid_gid) {
		if (ug != NULL)
			cfg_warn_at(&c->cc, ug, "queue.uid_gid: turned "
			    "on: rules match on uid or gid");
		cf->uid_gid = true;
	}
}

/*
 * Can the workers write in pcap.dir?  They create files there as
 * daemon.user with only its primary group (the supplementary groups are
 * dropped); ACLs are not looked at.
 */
static void
check_pcap_dir(struct nfqd_cfgload *c, config_setting_t *s)
{
	const struct nfqd_config	*cf = c->cf;
	struct stat			 st;
	bool				 ok;

	if (stat(cf->pcap_dir, &st) == -1) {
		cerr(c, s, "%s: %s", cf->pcap_dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		cerr(c, s, "%s is not a directory", cf->pcap_dir);
		return;
	}
	if (cf->user[0] == '\0') {
		if (access(cf->pcap_dir, W_OK | X_OK) == -1)
			cerr(c, s, "%s: the workers cannot write there: %s",
			    cf->pcap_dir, strerror(errno));
		return;
	}
	if (st.st_uid == cf->uid)
		ok = (st.st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
	else if (st.st_gid == cf->gid)
		ok = (st.st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	else
		ok = (st.st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
	if (!ok)
		cerr(c, s, "%s: the workers' user \"%s\" cannot create files "
		    "there (owner %u, group %u, mode %04o)", cf->pcap_dir,
		    cf->user, (unsigned)st.st_uid, (unsigned)st.st_gid,
		    (unsigned)(st.st_mode & 07777));
}

/* The log key of a rule that says log = "pcap", or NULL. */
static config_setting_t *
pcap_key(config_setting_t *rule)
{
	config_setting_t	*k = config_setting_get_member(rule, "log");

	return k != NULL && config_setting_type(k) == CONFIG_TYPE_STRING &&
	    strcmp(config_setting_get_string(k), "pcap") == 0 ? k : NULL;
}

/* pcap { } and the rules that write there. */
static void
finish_pcap(struct nfqd_cfgload *c)
{
	const struct nfqd_config *cf = c->cf;
	config_setting_t	*dir = nfqd_settings_seen(c, "pcap.dir");
	config_setting_t	*list = nfqd_settings_seen(c, "rules");
	config_setting_t	*g, *k, *n;
	char			 unnamed[16];
	unsigned		 i;

	if (cf->pcap_dir[0] != '\0') {
		check_pcap_dir(c, dir);
		if (cf->rules == NULL || cf->rules->npcap == 0)
			cfg_warn_at(&c->cc, dir, "pcap.dir: no rule has log = "
			    "\"pcap\", so nothing is written there");
		return;
	}
	if (cf->rules == NULL || cf->rules->npcap == 0 || list == NULL)
		return;
	for (i = 0; (g = config_setting_get_elem(list, i)) != NULL; i++) {
		if (config_setting_type(g) != CONFIG_TYPE_GROUP ||
		    (k = pcap_key(g)) == NULL)
			continue;
		n = config_setting_get_member(g, "name");
		snprintf(unnamed, sizeof(unnamed), "rule%u", i + 1);
		cfg_err_at(&c->cc, k, "rule \"%s\": log = \"pcap\" needs a "
		    "directory for the capture files: set pcap = { dir = "
		    "\"/var/log/nfqd\"; }; (docs/configuration.md)",
		    n != NULL && config_setting_type(n) == CONFIG_TYPE_STRING ?
		    config_setting_get_string(n) : unnamed);
	}
}

void
nfqd_config_free(struct nfqd_config *cf)
{
	nfqd_rules_free(cf->rules);
	cf->rules = NULL;
}

/* Checks that involve more than one setting, and the command line. */
static void
finish(struct nfqd_cfgload *c, const struct nfqd_overrides *ov)
{
	struct nfqd_config	*cf = c->cf;
	config_setting_t	*base = nfqd_settings_seen(c, "queue.base");
	config_setting_t	*bal = nfqd_settings_seen(c, "queue.balance");
	struct passwd		*pw;
	uint64_t		 mem;
	uint16_t		 a, b;
	char			 note[PATH_MAX + 128] = "";
	int			 ncpu;

	if (ov != NULL && ov->pidfile != NULL) {
		if (ov->pidfile[0] != '/')
			cerr(c, NULL, "-p %s: the pidfile must be an absolute "
			    "path", ov->pidfile);
		else if (nfqd_strlcpy(cf->pidfile, ov->pidfile,
		    sizeof(cf->pidfile)) >= sizeof(cf->pidfile))
			cerr(c, NULL, "-p: path is too long");
	}
	if (ov != NULL && ov->balance != NULL) {
		/* The command line wins over both queue.balance and base. */
		if (nfqd_parse_balance(ov->balance, &a, &b) == -1 ||
		    (unsigned)b - a + 1 > NFQD_MAX_WORKERS) {
			cerr(c, NULL, "--queue-balance %s: expected A:B with "
			    "0 <= A <= B <= 65535 and at most %d queues",
			    ov->balance, NFQD_MAX_WORKERS);
		} else {
			cf->balance_auto = false;
			cf->qfirst = a;
			cf->qcount = (uint16_t)(b - a + 1);
		}
	} else if (cf->balance_auto) {
		ncpu = nfqd_online_cpus();
		if (ncpu > NFQD_MAX_WORKERS)
			ncpu = NFQD_MAX_WORKERS;
		if ((unsigned)cf->qfirst + (unsigned)ncpu - 1 > 65535)
			cerr(c, base, "%u + %d online CPUs goes past queue "
			    "65535", cf->qfirst, ncpu);
		else
			cf->qcount = (uint16_t)ncpu;
	} else if (base != NULL) {
		cerr(c, base, "cannot be combined with queue.balance = "
		    "\"%s\" (line %d): base only applies to balance = "
		    "\"auto\"", config_setting_get_string(bal),
		    cfg_line(&c->cc, bal));
	}

	/* The host's or its cgroup's, when read: nfqd -t elsewhere may
	 * answer otherwise. */
	if (cf->sets_max_auto) {
		if (nfqd_mem_limit(&mem, &cf->sets_max_cgroup, note,
		    sizeof(note)) == -1)
			cerr(c, nfqd_settings_seen(c, "name_sets_max_bytes"),
			    "\"auto\": sysinfo: %s", strerror(errno));
		else
			cf->sets_max_bytes = mem / 2;
		/* A limit no running nfqd fits in, not taken: say so. */
		if (note[0] != '\0')
			cfg_warn_at(&c->cc, nfqd_settings_seen(c,
			    "name_sets_max_bytes"), "name_sets_max_bytes "
			    "\"auto\": %s", note);
	}

	if (cf->dnsl_min_ttl > cf->dnsl_max_ttl)
		cerr(c, nfqd_settings_seen(c, "dns_learn.min_ttl"), "%u s is "
		    "over dns_learn.max_ttl (%u s)", cf->dnsl_min_ttl,
		    cf->dnsl_max_ttl);

	if (cf->user[0] != '\0') {
		errno = 0;
		if ((pw = getpwnam(cf->user)) == NULL) {
			cerr(c, nfqd_settings_seen(c, "daemon.user"), "no such "
			    "user \"%s\"%s%s", cf->user,
			    errno != 0 ? ": " : "",
			    errno != 0 ? strerror(errno) : "");
		} else {
			cf->uid = pw->pw_uid;
			cf->gid = pw->pw_gid;
		}
	}
}

/* libconfig's answer on the text, from the child that parsed it first. */
struct parsed {
	int	ok;
	int	line;		/* of the error, in the text */
	char	text[256];	/* libconfig's error */
};

/* Time for the child: 10 s, and 1 s more per 4 MiB of text. */
#define PARSE_TIMEOUT_MS(len)	(10000u + (unsigned)((len) >> 22) * 1000u)

static void
report_parse_error(struct nfqd_cfgload *c, const char *text, int line)
{
	const char	*file;
	char		 msg[512];
	int		 fline;

	if (text == NULL)
		text = "syntax error";
	/* libconfig's words for [80, "443"]; say how to write it. */
	if (strcmp(text, "mismatched element type in array") == 0) {
		snprintf(msg, sizeof(msg), "%s: an array [ ] holds values of "
		    "one type; write a list ( ) to mix numbers and strings, "
		    "as in dst_port = (53, \"5353\"), or quote every value",
		    text);
		text = msg;
	} else if (strcmp(text, "memory exhausted") == 0) {
		/* bison's words for its stack full, thousands of levels in. */
		snprintf(msg, sizeof(msg), "%s (lists or groups nested too "
		    "deeply?)", text);
		text = msg;
	}
	file = nfqd_cfgtext_where(c->cc.text, line, &fline);
	c->cc.report(c->cc.arg, file, fline, text);
	c->cc.errors++;
}

/*
 * The text has every @include expanded already (cfgtext.c), so libconfig
 * has none to open.  Should it still see one, it opens "/dev/null/PATH"
 * and fails: libconfig 1.5 puts the include directory in front of every
 * path, absolute ones too.
 */
static int
read_text(config_t *lc, const struct nfqd_cfgtext *t)
{
	config_init(lc);
	config_set_include_dir(lc, "/dev/null");
	return config_read_string(lc, t->buf);
}

/* In the child: parse, say how it went, keep nothing. */
static void
parse_child(void *arg, void *out, size_t len)
{
	const struct nfqd_cfgtext	*t = arg;
	struct parsed			*p = out;
	config_t			 lc;

	memset(p, 0, len);
	p->ok = read_text(&lc, t) == CONFIG_TRUE;
	if (!p->ok) {
		p->line = config_error_line(&lc);
		snprintf(p->text, sizeof(p->text), "%s",
		    config_error_text(&lc) != NULL ? config_error_text(&lc) :
		    "syntax error");
	}
	config_destroy(&lc);
}

/*
 * Parse t into lc.  With isolate, a throw-away child parses it first: a
 * library that ends the process on some input (libconfig 1.5's scanner
 * calls exit() on a read error) or crashes or loops must not take this
 * process with it, which is the master on a reload.  Only when the child
 * got through does this process parse the same bytes.
 */
static int
parse(struct nfqd_cfgload *c, config_t *lc, const struct nfqd_cfgtext *t,
    bool isolate)
{
	struct parsed	p;
	char		why[128], msg[256];

	if (isolate) {
		if (nfqd_isolate(parse_child, (void *)t, &p, sizeof(p),
		    PARSE_TIMEOUT_MS(t->len), why, sizeof(why)) == -1) {
			snprintf(msg, sizeof(msg), "the configuration parser "
			    "%s reading it: refused", why);
			c->cc.report(c->cc.arg, c->cc.path, 0, msg);
			c->cc.errors++;
			return -1;
		}
		if (!p.ok) {
			report_parse_error(c, p.text, p.line);
			return -1;
		}
	}
	if (read_text(lc, t) == CONFIG_FALSE) {
		report_parse_error(c, config_error_text(lc),
		    config_error_line(lc));
		config_destroy(lc);
		return -1;
	}
	return 0;
}

/* Parse the text in t and check every setting, into cf. */
static int
load(struct nfqd_config *cf, const struct nfqd_cfgtext *t, const char *path,
    const struct nfqd_overrides *ov, nfqd_config_report_fn report, void *arg,
    bool isolate, const struct nfqd_ruleset *reuse)
{
	struct nfqd_cfgload	c;
	config_t	lc;

	memset(&c, 0, sizeof(c));
	c.cf = cf;
	c.reuse = reuse;
	c.cc.report = report;
	c.cc.arg = arg;
	c.cc.path = path;
	c.cc.text = t;
	if (parse(&c, &lc, t, isolate) == -1)
		return c.cc.errors;
	/* A file cut short can be empty; defaults for all is never meant. */
	if (config_setting_length(config_root_setting(&lc)) == 0) {
		report(arg, path, 0, "no settings: an empty configuration is "
		    "refused (a file still being written? write it elsewhere "
		    "and rename it into place)");
		config_destroy(&lc);
		return 1;
	}
	nfqd_settings_walk(&c, NULL, config_root_setting(&lc));
	cf->rules_set = nfqd_settings_seen(&c, "rules") != NULL;
	finish(&c, ov);
	finish_rules(&c);
	if (cf->rules != NULL && (cf->rules->all_matchers & NFQD_M_DNAME) &&
	    !cf->dnsl_enabled)
		cerr(&c, nfqd_settings_seen(&c, "rules"), "a rule reads "
		    "dst_name, which only names learned from DNS answers give: "
		    "set dns_learn = { enabled = true; }");
	if (c.cc.errors == 0)
		finish_pcap(&c);
	if (c.cc.errors == 0)
		finish_copy(&c);
	config_destroy(&lc);
	if (c.cc.errors != 0)
		nfqd_config_free(cf);
	return c.cc.errors;
}

int
nfqd_config_load(struct nfqd_config *cf, const char *path,
    const struct nfqd_overrides *ov, nfqd_config_report_fn report, void *arg)
{
	return nfqd_config_load_reusing(cf, path, ov, report, arg, NULL);
}

int
nfqd_config_load_reusing(struct nfqd_config *cf, const char *path,
    const struct nfqd_overrides *ov, nfqd_config_report_fn report, void *arg,
    const struct nfqd_ruleset *reuse)
{
	struct nfqd_cfgtext	t;
	struct nfqd_cfgcap	k;
	int			errors;

	nfqd_config_defaults(cf);
	if (nfqd_strlcpy(cf->path, path, sizeof(cf->path)) >=
	    sizeof(cf->path)) {
		report(arg, path, 0, "path is too long");
		return 1;
	}
	/* Every report of the load, the text's and the sets' too. */
	cfg_cap_init(&k, report, arg);
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, cfg_cap_report, &k);
	if ((errors = nfqd_cfgtext_read(&t, path)) == 0)
		errors = load(cf, &t, path, ov, cfg_cap_report, &k, true,
		    reuse);
	nfqd_cfgtext_free(&t);
	cfg_cap_end(&k, path);
	return errors;
}

int
nfqd_config_load_text(struct nfqd_config *cf, const char *name,
    const char *text, size_t len, const struct nfqd_overrides *ov,
    nfqd_config_report_fn report, void *arg)
{
	struct nfqd_cfgtext	t;
	struct nfqd_cfgcap	k;
	int			errors;

	nfqd_config_defaults(cf);
	if (nfqd_strlcpy(cf->path, name, sizeof(cf->path)) >=
	    sizeof(cf->path)) {
		report(arg, name, 0, "path is too long");
		return 1;
	}
	cfg_cap_init(&k, report, arg);
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, cfg_cap_report, &k);
	if ((errors = nfqd_cfgtext_set(&t, name, text, len, NULL)) == 0)
		errors = load(cf, &t, name, ov, cfg_cap_report, &k, false,
		    NULL);
	nfqd_cfgtext_free(&t);
	cfg_cap_end(&k, name);
	return errors;
}

void
nfqd_config_queue_params(const struct nfqd_config *cf,
    struct nfqd_queue_params *qp)
{
	memset(qp, 0, sizeof(*qp));
	qp->copy_range = cf->copy_range;
	qp->maxlen = cf->maxlen;
	qp->rcvbuf = cf->rcvbuf;
	qp->fail_open = cf->fail_open;
	qp->gso = cf->gso;
	qp->uid_gid = cf->uid_gid;
}

void
nfqd_config_report_stderr(void *arg, const char *file, int line,
    const char *msg)
{
	(void)arg;
	if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

int
nfqd_config_check(const char *path, const struct nfqd_overrides *ov)
{
	struct nfqd_config	*cf;
	char			*abspath;
	int			 errors;

	/* The path the daemon would keep (main.c): the same messages. */
	if ((abspath = nfqd_abspath(path)) == NULL) {
		fprintf(stderr, "nfqd: %s: cannot make the path absolute: "
		    "%s\n", path, strerror(errno));
		return 1;
	}
	path = abspath;
	if ((cf = malloc(sizeof(*cf))) == NULL) {
		perror("nfqd: malloc");
		free(abspath);
		return 1;
	}
	errors = nfqd_config_load(cf, path, ov, nfqd_config_report_stderr,
	    NULL);
	if (errors != 0) {
		fprintf(stderr, "nfqd: %s: %d error%s; configuration is "
		    "invalid\n", path, errors, errors == 1 ? "" : "s");
	} else {
		printf("nfqd: %s: configuration is valid (queues %u-%u, %u "
		    "workers)\n", path, (unsigned)cf->qfirst,
		    (unsigned)cf->qfirst + cf->qcount - 1u, (unsigned)cf->qcount);
		nfqd_config_free(cf);
	}
	free(cf);
	free(abspath);
	return errors != 0;
}
