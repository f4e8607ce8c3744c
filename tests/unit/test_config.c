/*
 * Unit tests for src/config.c: defaults, every setting, and the exact file,
 * line and text of every kind of error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfqd/cfgtext.h"
#include "nfqd/cfgutil.h"
#include "nfqd/config.h"
#include "nfqd/memlimit.h"
#include "nfqd/nfqd.h"
#include "nfqd/rules.h"
#include "nfqd/util.h"
#include "unit.h"

static char		dir[512];
static int		ncpu;
static unsigned		nfiles;

/* Write text to name in the test directory; path gets the full name. */
static int
write_file(const char *name, const char *text, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", dir, name) >= (int)len)
		return -1;
	return unit_write_text(path, text);
}

/* Load text from a fresh file.  path gets its name. */
static int
load(struct nfqd_config *cf, const char *text, const struct nfqd_overrides *ov,
    struct unit_reports *rs, char *path, size_t len)
{
	char	name[32];

	memset(rs, 0, sizeof(*rs));
	snprintf(name, sizeof(name), "c%u.conf", nfiles++);
	if (write_file(name, text, path, len) == -1) {
		CHECK(0, unit_fmt("writing %s", name));
		return -1;
	}
	return nfqd_config_load(cf, path, ov, unit_collect, rs);
}

/* text must give exactly one problem: msg at line in the file itself. */
static void
expect_error(const char *name, const char *text, int line, const char *msg)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, text, NULL, &rs, path, sizeof(path));
	CHECKF(r == 1 && rs.n == 1, unit_fmt("%s: one problem", name),
	    "returned %d, %d reported, first \"%s\"", r, rs.n,
	    rs.n > 0 ? rs.r[0].msg : "");
	if (rs.n < 1)
		return;
	CHECK_STR_EQ(rs.r[0].msg, msg, unit_fmt("%s: message", name));
	CHECK_INT_EQ(rs.r[0].line, line, unit_fmt("%s: line", name));
	CHECK_STR_EQ(rs.r[0].file, path, unit_fmt("%s: file", name));
}

/* text must load cleanly. */
static int
expect_ok(const char *name, struct nfqd_config *cf, const char *text,
    const struct nfqd_overrides *ov)
{
	struct unit_reports	rs;
	char		path[PATH_MAX];
	int		r;

	r = load(cf, text, ov, &rs, path, sizeof(path));
	return CHECKF(r == 0 && rs.n == 0, unit_fmt("%s: loads", name),
	    "returned %d, first problem \"%s\" at line %d", r,
	    rs.n > 0 ? rs.r[0].msg : "", rs.n > 0 ? rs.r[0].line : 0);
}

/* The file at path must load cleanly: what, the check's name. */
static int
expect_path_ok(const char *what, struct nfqd_config *cf, const char *path)
{
	struct unit_reports	rs;
	int			r;

	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(cf, path, NULL, unit_collect, &rs);
	return CHECKF(r == 0 && rs.n == 0, what,
	    "returned %d, first \"%s\" at %s", r, rs.n > 0 ? rs.r[0].msg : "",
	    rs.n > 0 ? rs.r[0].file : "");
}

/* name_sets_max_bytes "auto": half of sysinfo()'s memory, or of the
 * cgroup's limit where lower (test_cgroup_limit() checks that one). */
static uint64_t
half_memory(void)
{
	struct sysinfo	si;
	uint64_t	mem, cg = nfqd_cgroup_mem_max("", NULL, 0);

	if (sysinfo(&si) == -1)
		return 0;
	mem = (uint64_t)si.totalram * si.mem_unit;
	return (cg < mem ? cg : mem) / 2;
}

static void
test_defaults(void)
{
	struct nfqd_config	cf, def;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, "queue = { };\n", NULL, &rs, path, sizeof(path));
	CHECK(r == 0 && rs.n == 0, "an empty group loads");
	CHECK_STR_EQ(cf.path, path, "default path is the file loaded");
	CHECK_STR_EQ(cf.pidfile, "/run/nfqd/nfqd.pid", "default pidfile");
	CHECK_STR_EQ(cf.user, "", "default user keeps root");
	CHECK_INT_EQ(cf.uid, 0, "default uid");
	CHECK_INT_EQ(cf.gid, 0, "default gid");
	CHECK_INT_EQ(cf.log_syslog, false, "default log stderr");
	CHECK_INT_EQ(cf.log_level, LOG_INFO, "default log_level info");
	CHECK_INT_EQ(cf.balance_auto, true, "default balance auto");
	CHECK_INT_EQ(cf.qfirst, 0, "default qfirst");
	CHECK_INT_EQ(cf.qcount, ncpu, "default qcount is the online CPUs");
	CHECK_INT_EQ(cf.cpu_affinity, true, "default cpu_affinity");
	CHECK_UINT_EQ(cf.maxlen, 8192, "default maxlen");
	CHECK_UINT_EQ(cf.rcvbuf, 8388608, "default rcvbuf");
	CHECK_UINT_EQ(cf.copy_range, 65535, "default copy_range");
	CHECK_UINT_EQ(cf.batch, 64, "default batch");
	CHECK_INT_EQ(cf.fail_open, true, "default fail_open");
	CHECK_INT_EQ(cf.gso, true, "default gso");
	CHECK_INT_EQ(cf.uid_gid, false, "default uid_gid");
	CHECK_STR_EQ(cf.stats_file, "/run/nfqd/stats.json",
	    "default stats file");
	CHECK_UINT_EQ(cf.stats_interval, 0, "default stats interval");
	CHECK_STR_EQ(cf.shm_path, "/run/nfqd/nfqd.shm", "default shm");
	CHECK_INT_EQ(cf.default_verdict, NFQD_VERDICT_ACCEPT,
	    "default default_verdict");

	/* The same as nfqd_config_defaults() but for path and qcount. */
	nfqd_config_defaults(&def);
	CHECK_INT_EQ(def.qcount, 0, "nfqd_config_defaults leaves qcount 0");
	nfqd_strlcpy(def.path, cf.path, sizeof(def.path));
	def.qcount = cf.qcount;
	/* name_sets_max_bytes "auto", resolved as qcount is. */
	CHECK_INT_EQ(def.sets_max_auto, true, "default name_sets_max_bytes "
	    "auto");
	CHECK(cf.sets_max_bytes == half_memory(),
	    "default name_sets_max_bytes: half of MemTotal");
	def.sets_max_bytes = cf.sets_max_bytes;
	CHECK(memcmp(&def, &cf, sizeof(cf)) == 0,
	    "an empty group equals nfqd_config_defaults");

	CHECK(expect_ok("empty groups", &cf, "daemon = { };\nqueue = { };\n"
	    "stats = { };\n", NULL) && cf.qcount == ncpu && cf.maxlen == 8192,
	    "empty groups keep the defaults");
}

static void
test_full(void)
{
	struct nfqd_config	 cf;
	struct passwd		*pw;
	uid_t			 uid;
	gid_t			 gid;

	if (!CHECK((pw = getpwnam("nobody")) != NULL, "user nobody exists"))
		return;
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (!expect_ok("every setting", &cf,
	    "# every setting changed\n"
	    "daemon = {\n"
	    "\tpidfile = \"/tmp/nfqd-test.pid\";\n"
	    "\tuser = \"nobody\";\n"
	    "\tlog = \"syslog\";\n"
	    "\tlog_level = \"debug\";\n"
	    "};\n"
	    "queue = {\n"
	    "\tbalance = \"10:13\";\n"
	    "\tcpu_affinity = \"none\";\n"
	    "\tmaxlen = 1024;\n"
	    "\trcvbuf = \"16M\";\n"
	    "\tcopy_range = 128;\n"
	    "\tbatch = 32;\n"
	    "\tfail_open = false;\n"
	    "\tgso = false;\n"
	    "\tuid_gid = true;\n"
	    "};\n"
	    "stats = {\n"
	    "\tfile = \"/tmp/nfqd-test/stats.json\";\n"
	    "\tinterval = 60;\n"
	    "\tshm = \"/tmp/nfqd-test/nfqd.shm\";\n"
	    "};\n"
	    "default_verdict = \"drop\";\n", NULL))
		return;
	CHECK_STR_EQ(cf.pidfile, "/tmp/nfqd-test.pid", "full pidfile");
	CHECK_STR_EQ(cf.user, "nobody", "full user");
	CHECK_INT_EQ(cf.uid, uid, "full uid resolved");
	CHECK_INT_EQ(cf.gid, gid, "full gid resolved");
	CHECK_INT_EQ(cf.log_syslog, true, "full log syslog");
	CHECK_INT_EQ(cf.log_level, LOG_DEBUG, "full log_level debug");
	CHECK_INT_EQ(cf.balance_auto, false, "full balance not auto");
	CHECK_INT_EQ(cf.qfirst, 10, "full qfirst");
	CHECK_INT_EQ(cf.qcount, 4, "full qcount");
	CHECK_INT_EQ(cf.cpu_affinity, false, "full cpu_affinity none");
	CHECK_UINT_EQ(cf.maxlen, 1024, "full maxlen");
	CHECK_UINT_EQ(cf.rcvbuf, 16777216, "full rcvbuf 16M");
	CHECK_UINT_EQ(cf.copy_range, 128, "full copy_range");
	CHECK_UINT_EQ(cf.batch, 32, "full batch");
	CHECK_INT_EQ(cf.fail_open, false, "full fail_open");
	CHECK_INT_EQ(cf.gso, false, "full gso");
	CHECK_INT_EQ(cf.uid_gid, true, "full uid_gid");
	CHECK_STR_EQ(cf.stats_file, "/tmp/nfqd-test/stats.json",
	    "full stats file");
	CHECK_UINT_EQ(cf.stats_interval, 60, "full stats interval");
	CHECK_STR_EQ(cf.shm_path, "/tmp/nfqd-test/nfqd.shm", "full shm");
	CHECK_INT_EQ(cf.default_verdict, NFQD_VERDICT_DROP,
	    "full default_verdict drop");
}

static void
test_values(void)
{
	struct nfqd_config	cf;

	if (expect_ok("log levels", &cf, "daemon = { log = \"stderr\"; "
	    "log_level = \"warning\"; };\n", NULL))
		CHECK(cf.log_level == LOG_WARNING && !cf.log_syslog,
		    "log stderr, log_level warning");
	if (expect_ok("log_level error", &cf,
	    "daemon = { log_level = \"error\"; };\n", NULL))
		CHECK_INT_EQ(cf.log_level, LOG_ERR, "log_level error");
	if (expect_ok("log_level notice", &cf,
	    "daemon = { log_level = \"notice\"; };\n", NULL))
		CHECK_INT_EQ(cf.log_level, LOG_NOTICE, "log_level notice");
	if (expect_ok("balance single", &cf,
	    "queue = { balance = \"5\"; };\n", NULL))
		CHECK(cf.qfirst == 5 && cf.qcount == 1 && !cf.balance_auto,
		    "balance \"5\" is queue 5 only");
	if (expect_ok("balance 1024 queues", &cf,
	    "queue = { balance = \"0:1023\"; };\n", NULL))
		CHECK(cf.qfirst == 0 && cf.qcount == 1024,
		    "balance \"0:1023\" is 1024 queues");
	if (expect_ok("balance at the top", &cf,
	    "queue = { balance = \"65535:65535\"; };\n", NULL))
		CHECK(cf.qfirst == 65535 && cf.qcount == 1,
		    "balance \"65535:65535\"");
	if (expect_ok("balance auto with base", &cf,
	    "queue = { balance = \"auto\"; base = 100; };\n", NULL))
		CHECK(cf.balance_auto && cf.qfirst == 100 &&
		    cf.qcount == ncpu, "balance auto from base 100");
	if (expect_ok("base alone", &cf, "queue = { base = 7; };\n", NULL))
		CHECK(cf.balance_auto && cf.qfirst == 7 && cf.qcount == ncpu,
		    "base 7 with the default balance auto");
	if (expect_ok("base at the limit", &cf, unit_fmt("queue = { base = "
	    "%d; };\n", 65536 - ncpu), NULL))
		CHECK(cf.qfirst == 65536 - ncpu && cf.qcount == ncpu,
		    "base 65536 - CPUs reaches queue 65535 exactly");
	if (expect_ok("rcvbuf integer", &cf,
	    "queue = { rcvbuf = 65536; };\n", NULL))
		CHECK_UINT_EQ(cf.rcvbuf, 65536, "rcvbuf 65536 (lowest)");
	if (expect_ok("rcvbuf 64K", &cf, "queue = { rcvbuf = \"64K\"; };\n",
	    NULL))
		CHECK_UINT_EQ(cf.rcvbuf, 65536, "rcvbuf \"64K\"");
	if (expect_ok("rcvbuf 1G", &cf, "queue = { rcvbuf = \"1G\"; };\n",
	    NULL))
		CHECK_UINT_EQ(cf.rcvbuf, 1073741824, "rcvbuf \"1G\" (highest)");
	if (expect_ok("rcvbuf int64", &cf,
	    "queue = { rcvbuf = 1048576L; };\n", NULL))
		CHECK_UINT_EQ(cf.rcvbuf, 1048576, "rcvbuf 1048576L");
	if (expect_ok("limits", &cf, "queue = { maxlen = 16777216; "
	    "copy_range = 0; batch = 1024; };\nstats = { interval = 86400; "
	    "};\n", NULL))
		CHECK(cf.maxlen == 16777216 && cf.copy_range == 0 &&
		    cf.batch == 1024 && cf.stats_interval == 86400,
		    "highest maxlen, batch, interval and copy_range 0");
	if (expect_ok("lowest", &cf, "queue = { maxlen = 1; "
	    "copy_range = 65535; batch = 1; };\n", NULL))
		CHECK(cf.maxlen == 1 && cf.copy_range == 65535 &&
		    cf.batch == 1, "lowest maxlen and batch");
	if (expect_ok("stats file disabled", &cf,
	    "stats = { file = \"\"; };\n", NULL))
		CHECK_STR_EQ(cf.stats_file, "", "stats file \"\" disables it");
	if (expect_ok("colon syntax", &cf, "queue : { maxlen : 77, };\n",
	    NULL))
		CHECK_UINT_EQ(cf.maxlen, 77, "libconfig ':' and ',' syntax");
}

static void
test_unknown(void)
{
	/* Other programs' settings, said the way nfqd has them. */
	expect_error("queue_num at the top level", "queue_num = 3;\n", 1,
	    "queue_num: unknown setting; nfqd serves a range of queues, "
	    "queue.balance = \"A:B\" (iptables' --queue-num N is \"N:N\")");
	expect_error("queue-num in queue, capitals",
	    "queue = { Queue-Num = 3; };\n", 1,
	    "queue.Queue-Num: unknown setting; nfqd serves a range of queues, "
	    "queue.balance = \"A:B\" (iptables' --queue-num N is \"N:N\")");
	expect_error("daemon.group", "daemon = { group = \"nogroup\"; };\n", 1,
	    "daemon.group: unknown setting; the workers take daemon.user's "
	    "own group, and no other");
	expect_error("workers", "workers = 4;\n", 1,
	    "workers: unknown setting; nfqd runs one worker per queue of "
	    "queue.balance");
	expect_error("fail-open in queue",
	    "queue = {\n"
	    "\tfail-open = true;\n"
	    "};\n", 2,
	    "queue.fail-open: unknown setting; did you mean 'fail_open'?");
	expect_error("queue_maxlen in queue",
	    "queue = {\n"
	    "\tmaxlen = 10;\n"
	    "\tqueue_maxlen = 100;\n"
	    "};\n", 3,
	    "queue.queue_maxlen: unknown setting; did you mean 'maxlen'?");
	expect_error("Fail_Open in queue",
	    "queue = { Fail_Open = true; };\n", 1,
	    "queue.Fail_Open: unknown setting; did you mean 'fail_open'?");
	expect_error("maxlenn typo",
	    "\n\nqueue = { maxlenn = 10; };\n", 3,
	    "queue.maxlenn: unknown setting; did you mean 'maxlen'?");
	expect_error("fail_open at the top level",
	    "\n"
	    "fail_open = false;\n", 2,
	    "fail_open: unknown setting; did you mean 'queue.fail_open'?");
	expect_error("interval in queue",
	    "queue = {\n"
	    "\tinterval = 5;\n"
	    "};\n", 2,
	    "queue.interval: unknown setting; did you mean 'stats.interval'?");
	expect_error("default_verdict in daemon",
	    "daemon = {\n"
	    "\tdefault_verdict = \"drop\";\n"
	    "};\n", 2,
	    "daemon.default_verdict: unknown setting; did you mean "
	    "'default_verdict (at the top level)'?");
	expect_error("queue_maxlen at the top level",
	    "queue_maxlen = 5;\n", 1,
	    "queue_maxlen: unknown setting; did you mean 'queue.maxlen'?");
	expect_error("stats_interval at the top level",
	    "stats_interval = 5;\n", 1,
	    "stats_interval: unknown setting; did you mean 'stats.interval'?");
	expect_error("pid_file in daemon",
	    "daemon = {\n\tpid_file = \"/run/x.pid\";\n};\n", 2,
	    "daemon.pid_file: unknown setting; did you mean 'pidfile'?");
	expect_error("unknown in queue",
	    "queue = {\n"
	    "\tmaxlen = 10;\n"
	    "\tzzzzzz = 1;\n"
	    "};\n", 3,
	    "queue.zzzzzz: unknown setting");
	expect_error("unknown at the top level",
	    "frobnicate = 1;\n", 1,
	    "frobnicate: unknown setting");
	expect_error("unknown group",
	    "\nfilters = { };\n", 2,
	    "filters: unknown setting");
}

static void
test_types(void)
{
	expect_error("bool given 1",
	    "queue = {\n"
	    "\tfail_open = 1;\n"
	    "};\n", 2,
	    "queue.fail_open: must be true or false");
	expect_error("bool given a string",
	    "queue = { gso = \"yes\"; };\n", 1,
	    "queue.gso: must be true or false");
	expect_error("int given a string",
	    "queue = {\n"
	    "\tmaxlen = \"1024\";\n"
	    "};\n", 2,
	    "queue.maxlen: must be an integer");
	expect_error("int given a float",
	    "queue = { batch = 1.5; };\n", 1,
	    "queue.batch: must be an integer");
	expect_error("int given a bool",
	    "stats = { interval = true; };\n", 1,
	    "stats.interval: must be an integer");
	expect_error("string given int",
	    "daemon = {\n"
	    "\tpidfile = 1;\n"
	    "};\n", 2,
	    "daemon.pidfile: must be a string in double quotes");
	expect_error("choice given int",
	    "default_verdict = 0;\n", 1,
	    "default_verdict: must be a string in double quotes");
	expect_error("group given int",
	    "\n"
	    "queue = 1;\n", 2,
	    "queue: must be a group: queue = { ... };");
	expect_error("group given a list",
	    "stats = ( 1, 2 );\n", 1,
	    "stats: must be a group: stats = { ... };");
}

static void
test_ranges(void)
{
	expect_error("maxlen 0", "queue = {\n\tmaxlen = 0;\n};\n", 2,
	    "queue.maxlen: 0 is out of range (1 to 16777216)");
	expect_error("maxlen 16777217",
	    "queue = {\n\tmaxlen = 16777217;\n};\n", 2,
	    "queue.maxlen: 16777217 is out of range (1 to 16777216)");
	expect_error("maxlen -1", "queue = { maxlen = -1; };\n", 1,
	    "queue.maxlen: -1 is out of range (1 to 16777216)");
	expect_error("maxlen 2^32+1",
	    "queue = { maxlen = 4294967297L; };\n", 1,
	    "queue.maxlen: 4294967297 is out of range (1 to 16777216)");
	expect_error("copy_range 65536",
	    "queue = {\n\tcopy_range = 65536;\n};\n", 2,
	    "queue.copy_range: 65536 is out of range (0 to 65535)");
	expect_error("batch 0", "queue = {\n\n\tbatch = 0;\n};\n", 3,
	    "queue.batch: 0 is out of range (1 to 1024)");
	expect_error("batch 1025", "queue = { batch = 1025; };\n", 1,
	    "queue.batch: 1025 is out of range (1 to 1024)");
	expect_error("base 65536", "queue = {\n\tbase = 65536;\n};\n", 2,
	    "queue.base: 65536 is out of range (0 to 65535)");
	expect_error("interval 86401",
	    "stats = {\n\tinterval = 86401;\n};\n", 2,
	    "stats.interval: 86401 is out of range (0 to 86400)");
	expect_error("rcvbuf 1000", "queue = {\n\trcvbuf = 1000;\n};\n", 2,
	    "queue.rcvbuf: 1000 is out of range (65536 to 1073741824)");
	expect_error("rcvbuf 2^30+1",
	    "queue = { rcvbuf = 1073741825; };\n", 1,
	    "queue.rcvbuf: 1073741825 is out of range (65536 to 1073741824)");
	expect_error("rcvbuf \"2G\"", "queue = {\n\trcvbuf = \"2G\";\n};\n",
	    2, "queue.rcvbuf: \"2G\" is out of range (64K to 1G)");
	expect_error("rcvbuf \"1K\"", "queue = { rcvbuf = \"1K\"; };\n", 1,
	    "queue.rcvbuf: \"1K\" is out of range (64K to 1G)");
	expect_error("rcvbuf \"lots\"",
	    "queue = {\n\trcvbuf = \"lots\";\n};\n", 2,
	    "queue.rcvbuf: \"lots\" is not a size (bytes, or a number with "
	    "K, M, G or T)");
	expect_error("rcvbuf \"8X\"", "queue = { rcvbuf = \"8X\"; };\n", 1,
	    "queue.rcvbuf: \"8X\" is not a size (bytes, or a number with "
	    "K, M, G or T)");
}

static void
test_balance(void)
{
	static const char *const bad[] = {
		"3:1", "1:", ":1", "65536", "a:b", "1:2:3", "", " 1:2",
		"Auto", "auto:3",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(unit_fmt("balance \"%s\"", bad[i]),
		    unit_fmt("queue = {\n\tbalance = \"%s\";\n};\n", bad[i]), 2,
		    unit_fmt("queue.balance: \"%s\" is neither \"auto\" nor a "
		    "range \"A:B\" of queue numbers (0 to 65535, A <= B)",
		    bad[i]));
	expect_error("balance 1025 queues",
	    "queue = {\n\tbalance = \"0:1024\";\n};\n", 2,
	    "queue.balance: \"0:1024\" has 1025 queues; at most 1024 are "
	    "supported");
	expect_error("balance 65536 queues",
	    "queue = { balance = \"0:65535\"; };\n", 1,
	    "queue.balance: \"0:65535\" has 65536 queues; at most 1024 are "
	    "supported");
	expect_error("balance given int", "queue = { balance = 3; };\n", 1,
	    "queue.balance: must be a string in double quotes");
	expect_error("base with a balance range",
	    "queue = {\n"
	    "\tbalance = \"2:3\";\n"
	    "\tbase = 10;\n"
	    "};\n", 3,
	    "queue.base: cannot be combined with queue.balance = \"2:3\" "
	    "(line 2): base only applies to balance = \"auto\"");
	expect_error("base before a balance range",
	    "queue = {\n"
	    "\tbase = 10;\n"
	    "\n"
	    "\tbalance = \"4\";\n"
	    "};\n", 2,
	    "queue.base: cannot be combined with queue.balance = \"4\" "
	    "(line 4): base only applies to balance = \"auto\"");
	if (ncpu > 1)
		expect_error("base 65535 with balance auto",
		    "queue = {\n"
		    "\tbalance = \"auto\";\n"
		    "\tbase = 65535;\n"
		    "};\n", 3,
		    unit_fmt("queue.base: 65535 + %d online CPUs goes past "
		    "queue 65535", ncpu));
	else
		printf("# base 65535 with balance auto: skipped, 1 CPU "
		    "online\n");
	if (ncpu > 1 && ncpu <= 1024)
		expect_error("base one past the limit",
		    unit_fmt("queue = { base = %d; };\n", 65537 - ncpu), 1,
		    unit_fmt("queue.base: %d + %d online CPUs goes past "
		    "queue 65535", 65537 - ncpu, ncpu));
}

static void
test_paths_and_choices(void)
{
	expect_error("relative pidfile",
	    "daemon = {\n\tpidfile = \"x.pid\";\n};\n", 2,
	    "daemon.pidfile: \"x.pid\" must be an absolute path");
	expect_error("empty pidfile", "daemon = { pidfile = \"\"; };\n", 1,
	    "daemon.pidfile: \"\" must be an absolute path");
	expect_error("relative stats file",
	    "stats = {\n\tfile = \"rel\";\n};\n", 2,
	    "stats.file: \"rel\" must be an absolute path (or \"\" to "
	    "disable)");
	expect_error("relative shm", "stats = { shm = \"run/x.shm\"; };\n", 1,
	    "stats.shm: \"run/x.shm\" must be an absolute path");
	expect_error("unknown user",
	    "daemon = {\n"
	    "\tuser = \"nfqd-no-such-user\";\n"
	    "};\n", 2,
	    "daemon.user: no such user \"nfqd-no-such-user\"");
	expect_error("user name too long",
	    "daemon = {\n\tuser = \"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
	    "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\";\n};\n", 2,
	    "daemon.user: user name is too long");
	expect_error("user given int", "daemon = { user = 0; };\n", 1,
	    "daemon.user: must be a string in double quotes");
	expect_error("log file", "daemon = {\n\tlog = \"file\";\n};\n", 2,
	    "daemon.log: \"file\" is not one of \"stderr\" or \"syslog\"");
	expect_error("log_level verbose",
	    "daemon = {\n\tlog_level = \"verbose\";\n};\n", 2,
	    "daemon.log_level: \"verbose\" is not one of \"error\", "
	    "\"warning\", \"notice\", \"info\" or \"debug\"");
	expect_error("log_level in capitals",
	    "daemon = { log_level = \"DEBUG\"; };\n", 1,
	    "daemon.log_level: \"DEBUG\" is not one of \"error\", "
	    "\"warning\", \"notice\", \"info\" or \"debug\": write it in "
	    "lower case, \"debug\"");
	expect_error("default_verdict reject",
	    "\n\ndefault_verdict = \"reject\";\n", 3,
	    "default_verdict: \"reject\" is not one of \"accept\" or "
	    "\"drop\"");
	expect_error("cpu_affinity all",
	    "queue = {\n\tcpu_affinity = \"all\";\n};\n", 2,
	    "queue.cpu_affinity: \"all\" is not one of \"auto\" or \"none\"");
	expect_error("cpu_affinity given bool",
	    "queue = { cpu_affinity = true; };\n", 1,
	    "queue.cpu_affinity: must be a string in double quotes");
	expect_error("flows.connmark on",
	    "flows = {\n\tconnmark = \"on\";\n};\n", 2,
	    "flows.connmark: \"on\" is not one of \"off\" or \"auto\"");
	expect_error("flows.connmark given bool",
	    "flows = { connmark = true; };\n", 1,
	    "flows.connmark: must be a string in double quotes");
	expect_error("flows.connmark in capitals",
	    "flows = { connmark = \"AUTO\"; };\n", 1,
	    "flows.connmark: \"AUTO\" is not one of \"off\" or \"auto\": "
	    "write it in lower case, \"auto\"");
	expect_error("connmark at the top level",
	    "connmark = \"auto\";\n", 1,
	    "connmark: unknown setting; did you mean 'flows.connmark'?");
}

static void
test_connmark(void)
{
	struct nfqd_config	cf;

	nfqd_config_defaults(&cf);
	CHECK_INT_EQ(cf.flows_connmark, false, "flows.connmark: default off");
	CHECK(expect_ok("flows.connmark auto", &cf,
	    "flows = { connmark = \"auto\"; };\n", NULL) &&
	    cf.flows_connmark, "flows.connmark \"auto\" is on");
	nfqd_config_free(&cf);
	CHECK(expect_ok("flows.connmark off", &cf,
	    "flows = { connmark = \"off\"; };\n", NULL) &&
	    !cf.flows_connmark, "flows.connmark \"off\" is off");
	nfqd_config_free(&cf);
}

/*
 * A directory opens fine with fopen(); reading it must be an error, not
 * the end of the process.  The load runs in a child so that the test
 * survives either way.
 */
static void
test_directory(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	pid_t			pid;
	int			status, r, fd;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		CHECK(0, "directory: fork");
		return;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, STDERR_FILENO);
		memset(&rs, 0, sizeof(rs));
		r = nfqd_config_load(&cf, dir, NULL, unit_collect, &rs);
		_exit(r == 1 && rs.n == 1 && rs.r[0].line == 0 &&
		    strcmp(rs.r[0].file, dir) == 0 &&
		    strstr(rs.r[0].msg, "Is a directory") != NULL ? 0 : 3);
	}
	if (waitpid(pid, &status, 0) == -1)
		status = -1;
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a directory is one problem at line 0 saying \"Is a directory\"",
	    "the loading child %s %d (3: wrong report; 2: libconfig's "
	    "scanner called exit(2))", WIFEXITED(status) ? "exited" :
	    "was killed by signal", WIFEXITED(status) ?
	    WEXITSTATUS(status) : WIFSIGNALED(status) ? WTERMSIG(status) : -1);
}

static void
test_files(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, "queue = {\n\tmaxlen = 10;\n\tbatch = = 5;\n};\n",
	    NULL, &rs, path, sizeof(path));
	CHECKF(r == 1 && rs.n == 1, "syntax error: one problem",
	    "returned %d, %d reported", r, rs.n);
	if (rs.n == 1) {
		CHECK_INT_EQ(rs.r[0].line, 3, "syntax error: line");
		CHECK_STR_EQ(rs.r[0].file, path, "syntax error: file");
		CHECK_STR_EQ(rs.r[0].msg, "syntax error",
		    "syntax error: message");
	}

	r = load(&cf, "queue = {\n\tmaxlen = 10;\n", NULL, &rs, path,
	    sizeof(path));
	CHECKF(r == 1 && rs.n == 1 && rs.r[0].line == 3 &&
	    strcmp(rs.r[0].file, path) == 0 && rs.r[0].msg[0] != '\0',
	    "unterminated group: one problem at line 3",
	    "returned %d, %d reported, line %d", r, rs.n,
	    rs.n > 0 ? rs.r[0].line : 0);

	memset(&rs, 0, sizeof(rs));
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", dir);
	r = nfqd_config_load(&cf, path, NULL, unit_collect, &rs);
	CHECK(r == 1 && rs.n == 1, "missing file: one problem");
	if (rs.n == 1) {
		CHECK_STR_EQ(rs.r[0].msg, "cannot open: No such file or "
		    "directory", "missing file: message");
		CHECK_INT_EQ(rs.r[0].line, 0, "missing file: line 0");
		CHECK_STR_EQ(rs.r[0].file, path, "missing file: file");
	}

	test_directory();

	r = load(&cf,
	    "daemon = {\n"				/* 1 */
	    "\tpidfile = \"rel.pid\";\n"		/* 2 */
	    "\tlog = \"both\";\n"			/* 3 */
	    "};\n"					/* 4 */
	    "queue = {\n"				/* 5 */
	    "\tmaxlen = 0;\n"				/* 6 */
	    "\tfail-open = 1;\n"			/* 7 */
	    "\tgso = 1;\n"				/* 8 */
	    "};\n"					/* 9 */
	    "stats = {\n"				/* 10 */
	    "\tinterval = -1;\n"			/* 11 */
	    "};\n"					/* 12 */
	    "default_verdict = \"maybe\";\n",		/* 13 */
	    NULL, &rs, path, sizeof(path));
	CHECKF(r == 7 && rs.n == 7, "several errors: all reported",
	    "returned %d, %d reported, expected 7", r, rs.n);
	if (rs.n == 7) {
		static const struct {
			int		 line;
			const char	*msg;
		} want[] = {
			{ 2, "daemon.pidfile: \"rel.pid\" must be an absolute "
			    "path" },
			{ 3, "daemon.log: \"both\" is not one of \"stderr\" or "
			    "\"syslog\"" },
			{ 6, "queue.maxlen: 0 is out of range (1 to "
			    "16777216)" },
			{ 7, "queue.fail-open: unknown setting; did you mean "
			    "'fail_open'?" },
			{ 8, "queue.gso: must be true or false" },
			{ 11, "stats.interval: -1 is out of range (0 to "
			    "86400)" },
			{ 13, "default_verdict: \"maybe\" is not one of "
			    "\"accept\" or \"drop\"" },
		};
		size_t	i;

		for (i = 0; i < 7; i++) {
			CHECK_STR_EQ(rs.r[i].msg, want[i].msg,
			    unit_fmt("several errors: message %zu", i));
			CHECK_INT_EQ(rs.r[i].line, want[i].line,
			    unit_fmt("several errors: line %zu", i));
		}
	}
}

static void
test_overrides(void)
{
	struct nfqd_config	cf;
	struct nfqd_overrides	ov;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	memset(&ov, 0, sizeof(ov));
	ov.balance = "4:7";
	if (expect_ok("override balance over file balance", &cf,
	    "queue = { balance = \"1:2\"; };\n", &ov))
		CHECK(!cf.balance_auto && cf.qfirst == 4 && cf.qcount == 4,
		    "--queue-balance 4:7 wins over balance \"1:2\"");
	if (expect_ok("override balance over balance and base", &cf,
	    "queue = {\n\tbalance = \"1:2\";\n\tbase = 9;\n};\n", &ov))
		CHECK(!cf.balance_auto && cf.qfirst == 4 && cf.qcount == 4,
		    "--queue-balance 4:7 wins over a conflicting base");
	if (expect_ok("override balance over auto and base", &cf,
	    "queue = { balance = \"auto\"; base = 65535; };\n", &ov))
		CHECK(!cf.balance_auto && cf.qfirst == 4 && cf.qcount == 4,
		    "--queue-balance 4:7 wins over auto from base 65535");

	ov.balance = "7:4";
	r = load(&cf, "queue = { balance = \"1:2\"; };\n", &ov, &rs, path,
	    sizeof(path));
	CHECK(r == 1 && rs.n == 1, "bad override balance: one problem");
	if (rs.n == 1) {
		CHECK_STR_EQ(rs.r[0].msg, "--queue-balance 7:4: expected A:B "
		    "with 0 <= A <= B <= 65535 and at most 1024 queues",
		    "bad override balance: message");
		CHECK_INT_EQ(rs.r[0].line, 0, "bad override balance: line 0");
		CHECK_STR_EQ(rs.r[0].file, path, "bad override balance: file");
	}
	ov.balance = "0:1024";
	r = load(&cf, "queue = { };\n", &ov, &rs, path, sizeof(path));
	CHECK(r == 1 && rs.n == 1 && strcmp(rs.r[0].msg, "--queue-balance "
	    "0:1024: expected A:B with 0 <= A <= B <= 65535 and at most 1024 "
	    "queues") == 0, "override balance of 1025 queues is an error");

	memset(&ov, 0, sizeof(ov));
	ov.pidfile = "x.pid";
	r = load(&cf, "daemon = { pidfile = \"/run/file.pid\"; };\n", &ov,
	    &rs, path, sizeof(path));
	CHECK(r == 1 && rs.n == 1, "relative override pidfile: one problem");
	if (rs.n == 1) {
		CHECK_STR_EQ(rs.r[0].msg, "-p x.pid: the pidfile must be an "
		    "absolute path", "relative override pidfile: message");
		CHECK_INT_EQ(rs.r[0].line, 0,
		    "relative override pidfile: line 0");
	}
	ov.pidfile = "/tmp/override.pid";
	if (expect_ok("absolute override pidfile", &cf,
	    "daemon = { pidfile = \"/run/file.pid\"; };\n", &ov))
		CHECK_STR_EQ(cf.pidfile, "/tmp/override.pid",
		    "absolute override pidfile wins over the file");
}

static void
test_include(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX], inc[PATH_MAX], sub[PATH_MAX];
	int			r;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	if (!CHECK(mkdir(sub, 0700) == 0, "include: subdirectory"))
		return;
	if (write_file("sub/inc.conf", "queue = {\n\tmaxlen = 100;\n};\n",
	    inc, sizeof(inc)) == -1 ||
	    write_file("sub/main.conf", "daemon = { log = \"syslog\"; };\n"
	    "@include \"inc.conf\"\n", path, sizeof(path)) == -1) {
		CHECK(0, "include: writing files");
		return;
	}
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(&cf, path, NULL, unit_collect, &rs);
	CHECKF(r == 0 && rs.n == 0 && cf.maxlen == 100 && cf.log_syslog,
	    "include relative to the config's directory",
	    "returned %d, \"%s\", maxlen %u", r, rs.n > 0 ? rs.r[0].msg : "",
	    cf.maxlen);

	if (write_file("sub/bad.conf", "\n\nstats = { interval = 99999; };\n",
	    inc, sizeof(inc)) == -1 ||
	    write_file("sub/main2.conf", "@include \"bad.conf\"\n", path,
	    sizeof(path)) == -1) {
		CHECK(0, "include: writing files");
		return;
	}
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(&cf, path, NULL, unit_collect, &rs);
	CHECK(r == 1 && rs.n == 1, "include: error in an included file");
	if (rs.n == 1) {
		CHECK_STR_EQ(rs.r[0].file, inc,
		    "include: error names the included file");
		CHECK_INT_EQ(rs.r[0].line, 3,
		    "include: error line is in the included file");
		CHECK_STR_EQ(rs.r[0].msg, "stats.interval: 99999 is out of "
		    "range (0 to 86400)", "include: error message");
	}

	if (write_file("sub/main3.conf", "@include \"missing.conf\"\n", path,
	    sizeof(path)) == -1)
		return;
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(&cf, path, NULL, unit_collect, &rs);
	CHECK(r == 1 && rs.n == 1, "include: missing file is one problem");
	if (rs.n == 1) {
		CHECK_STR_EQ(rs.r[0].msg, "cannot include \"missing.conf\": "
		    "No such file or directory",
		    "include: missing file message");
		CHECK_INT_EQ(rs.r[0].line, 1, "include: missing file line");
		CHECK_STR_EQ(rs.r[0].file, path,
		    "include: missing file names the including file");
	}
}

/*
 * A configuration deployed by swapping a symbolic link (nfqd.conf ->
 * v1/nfqd.conf, then -> v2/nfqd.conf, as a Kubernetes ConfigMap's ..data
 * is swapped): the path main.c keeps, made absolute by nfqd_abspath(), is
 * loaded again after -d's chdir("/") as a reload loads it, and reads the
 * new target; @include is relative to the link's directory.
 */
static void
test_symlink_reload(void)
{
	struct nfqd_config	cf;
	char			old[PATH_MAX], sl[PATH_MAX], *path = NULL;

	snprintf(sl, sizeof(sl), "%s/sl", dir);
	if (!CHECK(getcwd(old, sizeof(old)) != NULL && mkdir(sl, 0700) == 0 &&
	    mkdir(unit_fmt("%s/v1", sl), 0700) == 0 &&
	    mkdir(unit_fmt("%s/v2", sl), 0700) == 0 &&
	    unit_write_text(unit_fmt("%s/v1/nfqd.conf", sl),
	    "queue = { maxlen = 100; };\n@include \"local.conf\"\n") == 0 &&
	    unit_write_text(unit_fmt("%s/v2/nfqd.conf", sl),
	    "queue = { maxlen = 200; };\n@include \"local.conf\"\n") == 0 &&
	    unit_write_text(unit_fmt("%s/local.conf", sl),
	    "stats = { interval = 5; };\n") == 0 &&
	    symlink("v1/nfqd.conf", unit_fmt("%s/nfqd.conf", sl)) == 0 &&
	    chdir(dir) == 0 && (path = nfqd_abspath("sl/nfqd.conf")) != NULL &&
	    chdir("/") == 0, "symlink: files, link, the path kept")) {
		free(path);
		if (chdir(old) == -1)
			perror(old);
		return;
	}
	CHECK_STR_EQ(path, unit_fmt("%s/nfqd.conf", sl),
	    "symlink: the path kept names the link");
	if (expect_path_ok("symlink: v1 loads", &cf, path)) {
		CHECK(cf.maxlen == 100 && cf.stats_interval == 5,
		    "symlink: v1, and local.conf beside the link");
		nfqd_config_free(&cf);
	}
	/* The swap: a new link renamed over the old one; v1 then goes. */
	CHECK(symlink("v2/nfqd.conf", unit_fmt("%s/new", sl)) == 0 &&
	    rename(unit_fmt("%s/new", sl), path) == 0 &&
	    unlink(unit_fmt("%s/v1/nfqd.conf", sl)) == 0 &&
	    rmdir(unit_fmt("%s/v1", sl)) == 0, "symlink: swapped to v2");
	if (expect_path_ok("symlink: the reload reads v2", &cf, path)) {
		CHECK(cf.maxlen == 200 && cf.stats_interval == 5,
		    "symlink: v2, and local.conf beside the link");
		nfqd_config_free(&cf);
	}
	free(path);
	CHECK(chdir(old) == 0, "symlink: back to the working directory");
}

/* A file saved with a UTF-8 byte-order mark reads as one without. */
static void
test_bom(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX], inc[PATH_MAX];
	int			r;

	if (expect_ok("byte-order mark", &cf, "\xef\xbb\xbf"
	    "queue = { maxlen = 100; };\n", NULL)) {
		CHECK_UINT_EQ(cf.maxlen, 100, "byte-order mark: maxlen");
		nfqd_config_free(&cf);
	}
	expect_error("byte-order mark, an error on line 3",
	    "\xef\xbb\xbf" "queue = {\n\n\tmaxlen = 0;\n};\n", 3,
	    "queue.maxlen: 0 is out of range (1 to 16777216)");
	if (write_file("bominc.conf", "\xef\xbb\xbf" "\nqueue = { maxlen = "
	    "0; };\n", inc, sizeof(inc)) == -1 ||
	    write_file("bommain.conf", "\xef\xbb\xbf" "@include "
	    "\"bominc.conf\"\n", path, sizeof(path)) == -1) {
		CHECK(0, "byte-order mark: writing files");
		return;
	}
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(&cf, path, NULL, unit_collect, &rs);
	CHECKF(r == 1 && rs.n == 1, "byte-order mark in both files: one "
	    "problem", "returned %d, %d reported, first \"%s\"", r, rs.n,
	    rs.n > 0 ? rs.r[0].msg : "");
	if (rs.n >= 1) {
		CHECK_STR_EQ(rs.r[0].msg, "queue.maxlen: 0 is out of range "
		    "(1 to 16777216)",
		    "byte-order mark in both files: message");
		CHECK_STR_EQ(rs.r[0].file, inc,
		    "byte-order mark in both files: the included file");
		CHECK_INT_EQ(rs.r[0].line, 2,
		    "byte-order mark in both files: its line");
	}
}

/*
 * Integers past 32 bits reach the range checks whole: libconfig 1.5 alone
 * would read 4294967297 as 1 and 0xFFFFFFFF as -1.
 */
static void
test_wide_integers(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	expect_error("base 4294967297", "queue: { base = 4294967297; };\n", 1,
	    "queue.base: 4294967297 is out of range (0 to 65535)");
	expect_error("maxlen 4294967295", "queue: { maxlen = 4294967295; };\n",
	    1, "queue.maxlen: 4294967295 is out of range (1 to 16777216)");
	expect_error("maxlen 0xFFFFFFFF", "queue = { maxlen = 0xFFFFFFFF; };\n",
	    1, "queue.maxlen: 4294967295 is out of range (1 to 16777216)");
	expect_error("maxlen 0x1FFFFFFFF",
	    "queue = { maxlen = 0x1FFFFFFFF; };\n", 1,
	    "queue.maxlen: 8589934591 is out of range (1 to 16777216)");
	expect_error("maxlen 2147483648", "queue = { maxlen = 2147483648; };\n",
	    1, "queue.maxlen: 2147483648 is out of range (1 to 16777216)");
	expect_error("maxlen -2147483649",
	    "queue = { maxlen = -2147483649; };\n", 1,
	    "queue.maxlen: -2147483649 is out of range (1 to 16777216)");
	expect_error("maxlen 4294967297L",
	    "queue = { maxlen = 4294967297L; };\n", 1,
	    "queue.maxlen: 4294967297 is out of range (1 to 16777216)");
	expect_error("rcvbuf 4294967297", "queue = { rcvbuf = 4294967297; };\n",
	    1, "queue.rcvbuf: 4294967297 is out of range (65536 to "
	    "1073741824)");
	expect_error("interval beyond 64 bits",
	    "stats = {\n\tinterval = 99999999999999999999;\n};\n", 2,
	    "99999999999999999999 is out of range (-9223372036854775808 to "
	    "9223372036854775807)");
	expect_error("interval beyond 64 bits, with L",
	    "stats = { interval = 99999999999999999999L; };\n", 1,
	    "99999999999999999999 is out of range (-9223372036854775808 to "
	    "9223372036854775807)");
	expect_error("hex beyond 63 bits",
	    "stats = { interval = 0xFFFFFFFFFFFFFFFFL; };\n", 1,
	    "0xFFFFFFFFFFFFFFFF is out of range (0 to 0x7FFFFFFFFFFFFFFF)");
	if (expect_ok("integers in range, any shape", &cf,
	    "queue = { maxlen = 100L; batch = 0x10; rcvbuf = 1073741824; "
	    "base = +7; };\n", NULL))
		CHECK(cf.maxlen == 100 && cf.batch == 16 &&
		    cf.rcvbuf == 1073741824 && cf.qfirst == 7,
		    "integers in range: 100L, 0x10, 1073741824, +7");

	/* orphan_mark 0: no warning that these marks hold its bit. */
	if (expect_ok("32-bit marks and ids", &cf,
	    "queue = { balance = \"0:1\"; orphan_mark = 0; };\nrules = (\n"
	    "  { name = \"m\"; mark = 0xFFFFFFFF; verdict = \"accept\"; },\n"
	    "  { name = \"u\"; uid = 4294967295; match_mark = 0xFFFFFFFF;\n"
	    "    verdict = \"drop\"; }\n);\n", NULL)) {
		CHECK(cf.rules != NULL && cf.rules->n == 2 &&
		    cf.rules->rules[0].setmark == 0xFFFFFFFFu &&
		    cf.rules->rules[1].uid_lo == 0xFFFFFFFFu &&
		    cf.rules->rules[1].mark_val == 0xFFFFFFFFu,
		    "mark = 0xFFFFFFFF, uid = 4294967295, match_mark = "
		    "0xFFFFFFFF are read as such");
		nfqd_config_free(&cf);
	}
	r = load(&cf, "queue = { balance = \"0:1\"; };\nrules = (\n"
	    "  { name = \"a\"; uid = 4294967296; verdict = \"drop\"; },\n"
	    "  { name = \"b\"; dst_port = [80, 4294967297]; verdict = "
	    "\"drop\"; },\n"
	    "  { name = \"c\"; mark = 0x100000000; verdict = \"accept\"; },\n"
	    "  { name = \"d\"; match_mark = -1; verdict = \"accept\"; }\n"
	    ");\n", NULL, &rs, path, sizeof(path));
	CHECK(r == 4 && rs.n == 4, "rules: four numbers out of range");
	if (rs.n == 4) {
		CHECK_STR_EQ(rs.r[0].msg, "rule \"a\": uid: 4294967296 is out "
		    "of range (0 to 4294967295)", "rules: uid 4294967296");
		CHECK_STR_EQ(rs.r[1].msg, "rule \"b\": dst_port: port "
		    "4294967297 is out of range (0 to 65535)",
		    "rules: a port 4294967297 in an array");
		CHECK_STR_EQ(rs.r[2].msg, "rule \"c\": mark: 4294967296 is out "
		    "of range (0 to 4294967295)", "rules: mark 0x100000000");
		CHECK_STR_EQ(rs.r[3].msg, "rule \"d\": match_mark: -1 is out "
		    "of range (0 to 4294967295)", "rules: match_mark -1");
		CHECK(rs.r[0].line == 3 && rs.r[3].line == 6,
		    "rules: the lines of the rules");
	}
}

/* A file with no setting at all: a copy in progress, not a choice. */
static void
test_empty(void)
{
	static const char *const empties[] = {
		"", "\n\n", "# nothing\n", "// x\n/* y\n */\n", "  \t\n",
	};
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX], inc[PATH_MAX];
	size_t			i;
	int			r;

	for (i = 0; i < NFQD_ARRAY_SIZE(empties); i++) {
		r = load(&cf, empties[i], NULL, &rs, path, sizeof(path));
		CHECKF(r == 1 && rs.n == 1 && rs.r[0].line == 0 &&
		    strcmp(rs.r[0].file, path) == 0 && strcmp(rs.r[0].msg,
		    "no settings: an empty configuration is refused (a file "
		    "still being written? write it elsewhere and rename it "
		    "into place)") == 0,
		    unit_fmt("empty file %zu is refused", i),
		    "returned %d, \"%s\"", r, rs.n > 0 ? rs.r[0].msg : "");
	}
	if (write_file("nothing.conf", "# nothing\n", inc, sizeof(inc)) == 0) {
		r = load(&cf, "@include \"nothing.conf\"\n", NULL, &rs, path,
		    sizeof(path));
		CHECK(r == 1 && rs.n == 1 &&
		    strncmp(rs.r[0].msg, "no settings:", 12) == 0,
		    "a file that only includes an empty one is refused");
	}
	CHECK(expect_ok("an empty group is a setting", &cf, "daemon = {};\n",
	    NULL), "one empty group is not an empty configuration");
}

/* Whether the file has a rules setting at all (a reload needs to know). */
static void
test_rules_set(void)
{
	struct nfqd_config	cf;

	if (expect_ok("no rules setting", &cf, "queue = { };\n", NULL))
		CHECK(!cf.rules_set, "no rules setting: rules_set is false");
	if (expect_ok("rules = ()", &cf, "rules = ();\n", NULL)) {
		CHECK(cf.rules_set && (cf.rules == NULL || cf.rules->n == 0),
		    "rules = (): rules_set, and no rule");
		nfqd_config_free(&cf);
	}
	if (expect_ok("one rule", &cf, "queue = { balance = \"0:1\"; };\n"
	    "rules = ({ name = \"x\"; verdict = \"drop\"; });\n", NULL)) {
		CHECK(cf.rules_set && cf.rules != NULL && cf.rules->n == 1,
		    "one rule: rules_set, one rule");
		nfqd_config_free(&cf);
	}
}

/* Problems in and around @include'd files, at their own file and line. */
static void
test_include_lines(void)
{
	static const char	 wide[] = "queue = { base = 4294967297; };\n";
	static const char	 passwd[] = "@include \"/etc/passwd\"\n";
	struct nfqd_config	 cf;
	struct unit_reports	 rs;
	char			 path[PATH_MAX], inc[PATH_MAX], in2[PATH_MAX];
	char			*deep;
	int			 r;
	size_t			 i;

	if (write_file("lines1.conf", "\n# one\n@include \"lines2.conf\"\n"
	    "queue = { batch = 0; };\n", inc, sizeof(inc)) == -1 ||
	    write_file("lines2.conf", "\n\nstats = { interval = -1; };\n",
	    in2, sizeof(in2)) == -1) {
		CHECK(0, "include lines: writing files");
		return;
	}
	r = load(&cf, "daemon = { log = \"x\"; };\n@include \"lines1.conf\"\n"
	    "\ndefault_verdict = 3;\n", NULL, &rs, path, sizeof(path));
	CHECK(r == 4 && rs.n == 4, "include lines: four problems");
	if (rs.n == 4) {
		CHECK(strcmp(rs.r[0].file, path) == 0 && rs.r[0].line == 1,
		    "include lines: main file, line 1");
		CHECK(strcmp(rs.r[1].file, in2) == 0 && rs.r[1].line == 3,
		    "include lines: nested file, line 3");
		CHECK(strcmp(rs.r[2].file, inc) == 0 && rs.r[2].line == 4,
		    "include lines: included file, line 4, after its include");
		CHECK(strcmp(rs.r[3].file, path) == 0 && rs.r[3].line == 4,
		    "include lines: main file, line 4, after the include");
	}

	/* A rule's line, in a message about another rule, is its file's. */
	if (write_file("rules2.conf", "\n  { name = \"x\"; verdict = "
	    "\"accept\"; }\n", inc, sizeof(inc)) == -1)
		return;
	r = load(&cf, "queue = { balance = \"0:1\"; };\nrules = (\n"
	    "  { name = \"x\"; verdict = \"drop\"; },\n"
	    "@include \"rules2.conf\"\n);\n", NULL, &rs, path, sizeof(path));
	CHECK(r == 1 && rs.n == 1, "include lines: a duplicate rule name");
	if (rs.n == 1) {
		CHECK_STR_EQ(rs.r[0].msg, unit_fmt("rule \"x\": the name is "
		    "taken by the rule at %s:3", path),
		    "include lines: duplicate name message");
		CHECK_STR_EQ(rs.r[0].file, inc,
		    "include lines: the duplicate is in the included file");
		CHECK_INT_EQ(rs.r[0].line, 2,
		    "include lines: at its line there");
	}

	/* A syntax error in an included file. */
	if (write_file("syntax.conf", "queue = {\n\tmaxlen = ;\n};\n", inc,
	    sizeof(inc)) == -1)
		return;
	r = load(&cf, "\n@include \"syntax.conf\"\n", NULL, &rs, path,
	    sizeof(path));
	CHECK(r == 1 && rs.n == 1 && strcmp(rs.r[0].file, inc) == 0 &&
	    rs.r[0].line == 2 && strcmp(rs.r[0].msg, "syntax error") == 0,
	    "include lines: a syntax error at the included file's line");

	/* 100,000 nested lists: libconfig's parser gives up, cleanly. */
	if ((deep = malloc(200016)) == NULL)
		return;
	memcpy(deep, "\na = ", 5);
	for (i = 0; i < 100000; i++) {
		deep[5 + i] = '(';
		deep[100005 + i] = ')';
	}
	memcpy(deep + 200005, ";\n", 3);
	r = load(&cf, deep, NULL, &rs, path, sizeof(path));
	free(deep);
	CHECK(r == 1 && rs.n == 1 && rs.r[0].line == 2 &&
	    strcmp(rs.r[0].msg, "memory exhausted (lists or groups nested too "
	    "deeply?)") == 0, "100,000 nested lists: one clear error");

	/* The same escapes as libconfig: "a\\b" names the directory a\b. */
	snprintf(inc, sizeof(inc), "%s/a\\b", dir);
	if (!CHECK(mkdir(inc, 0700) == 0, "include lines: directory a\\b"))
		return;
	r = load(&cf, "queue = { };\n@include \"a\\\\b\"\n", NULL, &rs, path,
	    sizeof(path));
	CHECK(r == 1 && rs.n == 1 && rs.r[0].line == 2 &&
	    strcmp(rs.r[0].msg, "cannot include \"a\\b\": Is a directory") == 0,
	    "include of a directory by an escaped path is one problem");

	/* Text in memory: no @include, no child, same checks. */
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load_text(&cf, "text", wide, strlen(wide), NULL,
	    unit_collect, &rs);
	CHECK(r == 1 && rs.n == 1 && strcmp(rs.r[0].msg, "queue.base: "
	    "4294967297 is out of range (0 to 65535)") == 0 &&
	    strcmp(rs.r[0].file, "text") == 0,
	    "load_text: the same checks, named as given");
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load_text(&cf, "text", passwd, strlen(passwd), NULL,
	    unit_collect, &rs);
	CHECK(r == 1 && rs.n == 1 && strcmp(rs.r[0].msg, "cannot include "
	    "\"/etc/passwd\": @include is not available here") == 0,
	    "load_text: @include is refused");
}

/* pcap { } and log = "pcap". */
static void
test_pcap(void)
{
	struct nfqd_config	cf;
	char			text[1024], file[600];

	expect_error("log = \"pcap\" without pcap.dir",
	    "queue = { balance = \"0:1\"; };\n"
	    "rules = ( { name = \"a\"; dst_port = 1; verdict = \"drop\"; },\n"
	    "  { name = \"cap\"; dst_port = 2; verdict = \"accept\";\n"
	    "    log = \"pcap\"; } );\n", 4,
	    "rule \"cap\": log = \"pcap\" needs a directory for the capture "
	    "files: set pcap = { dir = \"/var/log/nfqd\"; }; "
	    "(docs/configuration.md)");
	expect_error("log = a word other than pcap",
	    "queue = { balance = \"0:1\"; };\n"
	    "rules = ( { name = \"a\"; dst_port = 1; verdict = \"drop\"; "
	    "log = \"file\"; } );\n", 2,
	    "rule \"a\": log: \"file\" is neither true, false nor \"pcap\"");
	expect_error("pcap.max_bytes below one record",
	    "queue = { balance = \"0:1\"; };\n"
	    "pcap = { max_bytes = \"64K\"; };\n", 2,
	    "pcap.max_bytes: \"64K\" is out of range (65575 bytes, a file "
	    "header and the largest packet, to 1T)");
	expect_error("pcap.max_bytes above 1T",
	    "queue = { balance = \"0:1\"; };\n"
	    "pcap = { max_bytes = \"2T\"; };\n", 2,
	    "pcap.max_bytes: \"2T\" is out of range (65575 bytes, a file "
	    "header and the largest packet, to 1T)");
	expect_error("pcap.max_bytes 99999999999T",
	    "queue = { balance = \"0:1\"; };\n"
	    "pcap = { max_bytes = \"99999999999T\"; };\n", 2,
	    "pcap.max_bytes: \"99999999999T\" is not a size (bytes, or a "
	    "number with K, M, G or T)");
	expect_error("pcap.max_files 0",
	    "queue = { balance = \"0:1\"; };\n"
	    "pcap = { max_files = 0; };\n", 2,
	    "pcap.max_files: 0 is out of range (1 to 1000)");
	snprintf(text, sizeof(text), "queue = { balance = \"0:1\"; };\n"
	    "pcap = { dir = \"%s/none\"; };\n"
	    "rules = ( { name = \"cap\"; dst_port = 2; verdict = \"accept\"; "
	    "log = \"pcap\"; } );\n", dir);
	snprintf(file, sizeof(file), "pcap.dir: %s/none: No such file or "
	    "directory", dir);
	expect_error("pcap.dir missing", text, 2, file);
	snprintf(text, sizeof(text), "queue = { balance = \"0:1\"; };\n"
	    "pcap = { dir = \"%s\"; max_bytes = \"1M\"; max_files = 3; };\n"
	    "rules = ( { name = \"cap\"; dst_port = 2; verdict = \"accept\"; "
	    "log = \"pcap\"; } );\n", dir);
	if (expect_ok("pcap", &cf, text, NULL)) {
		CHECK_STR_EQ(cf.pcap_dir, dir, "pcap: dir");
		CHECK_UINT_EQ(cf.pcap_max_bytes, 1u << 20, "pcap: max_bytes");
		CHECK_UINT_EQ(cf.pcap_max_files, 3, "pcap: max_files");
		CHECK_UINT_EQ(cf.rules->npcap, 1, "pcap: the rule counted");
		CHECK_UINT_EQ(cf.rules->rules[0].log, NFQD_LOG_PCAP,
		    "pcap: the rule's log");
		nfqd_config_free(&cf);
	}
	/* The top of the range the error message names. */
	if (expect_ok("pcap.max_bytes 1T", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "pcap = { max_bytes = \"1T\"; };\n", NULL)) {
		CHECK_UINT_EQ(cf.pcap_max_bytes, 1ull << 40,
		    "pcap.max_bytes 1T: the value");
		nfqd_config_free(&cf);
	}
	/* copy_range "auto": whole packets for the capture files. */
	snprintf(text, sizeof(text), "queue = { balance = \"0:1\"; "
	    "copy_range = \"auto\"; };\npcap = { dir = \"%s\"; };\n"
	    "rules = ( { name = \"cap\"; dst_port = 2; verdict = \"accept\"; "
	    "log = \"pcap\"; } );\n", dir);
	if (expect_ok("pcap, copy_range auto", &cf, text, NULL)) {
		CHECK_UINT_EQ(cf.copy_range, 65535,
		    "pcap, copy_range auto: whole packets");
		nfqd_config_free(&cf);
	}
}

/*
 * name_sets_max_bytes: "auto" (half the host's memory), bytes, or a size
 * from 1M to 1T; anything else refused with what it may be.
 */
static void
test_sets_max(void)
{
	static const struct {
		const char	*value;
		uint64_t	 want;
	} ok[] = {
		{ "\"512M\"", 512ull << 20 },
		{ "\"1M\"", 1ull << 20 },		/* lowest */
		{ "1048576", 1ull << 20 },
		{ "\"1T\"", 1ull << 40 },		/* highest */
		{ "1099511627776L", 1ull << 40 },
		{ "\"3G\"", 3ull << 30 },
		{ "\"1500000\"", 1500000 },
	};
	static const struct {
		const char	*value;
		const char	*msg;
	} bad[] = {
		{ "512", "512 is out of range (1048576 to 1099511627776)" },
		{ "0", "0 is out of range (1048576 to 1099511627776)" },
		{ "-1", "-1 is out of range (1048576 to 1099511627776)" },
		{ "1099511627777L", "1099511627777 is out of range (1048576 to "
		    "1099511627776)" },
		{ "\"1023K\"", "\"1023K\" is out of range (1M to 1T)" },
		{ "\"2T\"", "\"2T\" is out of range (1M to 1T)" },
		{ "\"lots\"", "\"lots\" is neither \"auto\" nor a size (bytes, "
		    "or a number with K, M, G or T)" },
		{ "\"Auto\"", "\"Auto\" is neither \"auto\" nor a size (bytes, "
		    "or a number with K, M, G or T)" },
		{ "\"\"", "\"\" is neither \"auto\" nor a size (bytes, or a "
		    "number with K, M, G or T)" },
		{ "\"99999999999T\"", "\"99999999999T\" is neither \"auto\" "
		    "nor a size (bytes, or a number with K, M, G or T)" },
		{ "true", "must be a string in double quotes" },
	};
	struct nfqd_config	cf;
	size_t			i;

	for (i = 0; i < NFQD_ARRAY_SIZE(ok); i++) {
		if (!expect_ok(unit_fmt("name_sets_max_bytes %s", ok[i].value),
		    &cf, unit_fmt("queue = { balance = \"0:1\"; };\n"
		    "name_sets_max_bytes = %s;\n", ok[i].value), NULL))
			continue;
		CHECK(cf.sets_max_bytes == ok[i].want && !cf.sets_max_auto,
		    unit_fmt("name_sets_max_bytes %s: the value",
		    ok[i].value));
		nfqd_config_free(&cf);
	}
	for (i = 0; i < NFQD_ARRAY_SIZE(bad); i++)
		expect_error(unit_fmt("name_sets_max_bytes %s", bad[i].value),
		    unit_fmt("queue = { balance = \"0:1\"; };\n"
		    "name_sets_max_bytes = %s;\n", bad[i].value), 2,
		    unit_fmt("name_sets_max_bytes: %s", bad[i].msg));
	if (expect_ok("name_sets_max_bytes \"auto\"", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "name_sets_max_bytes = \"auto\";\n", NULL)) {
		CHECK(cf.sets_max_auto && cf.sets_max_bytes == half_memory() &&
		    cf.sets_max_bytes > 0,
		    "name_sets_max_bytes \"auto\": half of MemTotal");
		nfqd_config_free(&cf);
	}
	/* It lives beside name_sets, at the top level. */
	expect_error("name_sets_max_bytes in a group",
	    "queue = { balance = \"0:1\"; name_sets_max_bytes = \"1G\"; };\n",
	    1, "queue.name_sets_max_bytes: unknown setting; did you mean "
	    "'name_sets_max_bytes (at the top level)'?");
}

/* name under root, its folders made first. */
static int
tree_file(const char *root, const char *name, const char *text)
{
	char	path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	for (p = strchr(path + strlen(root) + 1, '/'); p != NULL;
	    p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return unit_write_text(path, text);
}

/* One cgroup tree under DIR/cgN: its files (up to 4, under sys/fs/cgroup),
 * /proc/self/cgroup and mountinfo where not NULL; what it gives, and
 * the note that comes with it ("ROOT": the tree). */
static void
cgroup_case(const char *what, const char *cgroup, const char *mountinfo,
    const char *const file[][2], uint64_t want, const char *note)
{
	static unsigned	n;
	char		root[PATH_MAX + 64], got_note[PATH_MAX + 128];
	char		want_note[PATH_MAX + 256];
	const char	*r;
	uint64_t	got;
	unsigned	j;
	int		ok;

	snprintf(root, sizeof(root), "%s/cg%u", dir, n++);
	ok = mkdir(root, 0700) == 0;
	if (cgroup != NULL)
		ok = ok && tree_file(root, "proc/self/cgroup", cgroup) == 0;
	if (mountinfo != NULL)
		ok = ok && tree_file(root, "proc/self/mountinfo",
		    mountinfo) == 0;
	for (j = 0; j < 4 && file[j][0] != NULL; j++)
		ok = ok && tree_file(root, unit_fmt("sys/fs/cgroup/%s",
		    file[j][0]), file[j][1]) == 0;
	if (!CHECK(ok, unit_fmt("cgroup %s: the tree", what)))
		return;
	got = nfqd_cgroup_mem_max(root, got_note, sizeof(got_note));
	CHECKF(got == want, unit_fmt("cgroup %s", what), "got %llu, want %llu",
	    (unsigned long long)got, (unsigned long long)want);
	want_note[0] = '\0';
	if (note != NULL && (r = strstr(note, "ROOT")) != NULL)
		snprintf(want_note, sizeof(want_note), "%.*s%s%s",
		    (int)(r - note), note, root, r + 4);
	CHECK_STR_EQ(got_note, want_note, unit_fmt("cgroup %s: note", what));
}

/* mountinfo lines: cgroup2 at M, its root R; v1 with options O at M. */
#define MI_V2(r, m)	"30 23 0:26 " r " " m " rw,nosuid shared:4 - " \
			"cgroup2 cgroup2 rw,nsdelegate\n"
#define MI_V1(r, m, o)	"35 25 0:31 " r " " m " rw,nosuid shared:9 - " \
			"cgroup cgroup rw," o "\n"
#define MI_OTHER	"22 1 8:1 / / rw,relatime shared:1 - ext4 " \
			"/dev/sda1 rw\n25 22 0:22 / /sys/fs/cgroup ro - " \
			"tmpfs tmpfs ro,mode=755\n"

/*
 * A limit file with a NUL in it is no number and a newline, as the lines
 * of /proc/self/cgroup and mountinfo with one are skipped: "2097152", a
 * NUL and more was read as 2 MiB.
 */
static void
test_cgroup_nul(void)
{
	static const char	 v[] = "2097152\0 9\n";
	char			 root[PATH_MAX + 64], path[PATH_MAX + 128];
	int			 fd, ok;

	snprintf(root, sizeof(root), "%s/cgnul", dir);
	ok = mkdir(root, 0700) == 0 &&
	    tree_file(root, "proc/self/cgroup", "0::/a\n") == 0 &&
	    tree_file(root, "sys/fs/cgroup/a/memory.max", "") == 0;
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/a/memory.max", root);
	ok = ok && (fd = open(path, O_WRONLY | O_TRUNC)) != -1;
	if (ok) {
		ok = write(fd, v, sizeof(v) - 1) == (ssize_t)sizeof(v) - 1;
		close(fd);
	}
	if (!CHECK(ok, "cgroup memory.max with a NUL: the tree"))
		return;
	CHECKF(nfqd_cgroup_mem_max(root, NULL, 0) == UINT64_MAX,
	    "cgroup memory.max with a NUL", "got %llu, want no limit",
	    (unsigned long long)nfqd_cgroup_mem_max(root, NULL, 0));
}

/*
 * name_sets_max_bytes "auto" takes the cgroup's limit where lower than
 * MemTotal: nfqd_cgroup_mem_max() on trees of /proc/self/cgroup,
 * /proc/self/mountinfo and /sys/fs/cgroup as cgroup v2, v1 and both
 * (systemd's hybrid) write them.  UINT64_MAX: no limit, or none read.
 */
static void
test_cgroup_limit(void)
{
	static const struct {
		const char	*what;
		const char	*cgroup;	/* /proc/self/cgroup; NULL */
		const char	*file[4][2];	/* under sys/fs/cgroup */
		uint64_t	 want;
		const char	*mountinfo;	/* NULL: none */
		const char	*note;		/* NULL: "" */
	} t[] = {
		{ "v2 limit", "0::/system.slice/nfqd.service\n",
		    { { "system.slice/nfqd.service/memory.max",
		    "536870912\n" } }, 512ull << 20, NULL, NULL },
		{ "v2 max", "0::/system.slice/nfqd.service\n",
		    { { "system.slice/nfqd.service/memory.max", "max\n" } },
		    UINT64_MAX, NULL, NULL },
		{ "v2 nested: a parent's lower limit", "0::/a/b/c\n",
		    { { "a/b/c/memory.max", "max\n" },
		    { "a/b/memory.max", "268435456\n" },
		    { "a/memory.max", "1073741824\n" } }, 256ull << 20,
		    NULL, NULL },
		{ "v2 nested: its own lower limit", "0::/a/b\n",
		    { { "a/b/memory.max", "1048576\n" },
		    { "a/memory.max", "max\n" } }, 1ull << 20, NULL, NULL },
		{ "v2 in a container: the host's path, its own cgroup at the "
		    "mount", "0::/kubepods/pod1/abc\n",
		    { { "memory.max", "2147483648\n" } }, 2ull << 30,
		    NULL, NULL },
		{ "v1 limit",
		    "5:cpu,cpuacct:/\n4:memory:/docker/abc\n0::/\n",
		    { { "memory/docker/abc/memory.limit_in_bytes",
		    "1073741824\n" } }, 1ull << 30, NULL, NULL },
		{ "v1 unlimited", "4:memory:/docker/abc\n",
		    { { "memory/docker/abc/memory.limit_in_bytes",
		    "9223372036854771712\n" },
		    { "memory/memory.limit_in_bytes",
		    "9223372036854771712\n" } }, UINT64_MAX, NULL, NULL },
		{ "v1 co-mounted controllers", "3:memory,blkio:/x\n",
		    { { "memory/x/memory.limit_in_bytes", "4194304\n" } },
		    4ull << 20, NULL, NULL },
		{ "v1 not taken for a v2 limit", "4:memory:/x\n0::/x\n",
		    { { "x/memory.max", "8388608\n" },
		    { "memory/x/memory.limit_in_bytes", "4194304\n" } },
		    8ull << 20, NULL, NULL },
		{ "v1 not memory", "4:memoryx:/x\n",
		    { { "memory/x/memory.limit_in_bytes", "4194304\n" } },
		    UINT64_MAX, NULL, NULL },
		{ "no /proc/self/cgroup", NULL,
		    { { "memory.max", "1048576\n" } }, UINT64_MAX, NULL, NULL },
		{ "no memory.max", "0::/a\n", { { "a/cpu.max", "max\n" } },
		    UINT64_MAX, NULL, NULL },
		{ "garbage memory.max", "0::/a\n",
		    { { "a/memory.max", "lots\n" } }, UINT64_MAX, NULL, NULL },
		{ "memory.max with trailing garbage", "0::/a\n",
		    { { "a/memory.max", "1048576 bytes\n" } }, UINT64_MAX,
		    NULL, NULL },
		{ "empty memory.max", "0::/a\n", { { "a/memory.max", "" } },
		    UINT64_MAX, NULL, NULL },
		{ "a negative memory.max", "0::/a\n",
		    { { "a/memory.max", "-1\n" } }, UINT64_MAX, NULL, NULL },
		/* 20 MiB written in 66 bytes: the first 63 say 2 MiB. */
		{ "a memory.max too long to read whole", "0::/a\n",
		    { { "a/memory.max", "00000000000000000000000000000000000"
		    "000000000000000000000" "2097152" "0\n" } }, UINT64_MAX,
		    NULL, NULL },
		{ "garbage /proc/self/cgroup", "nonsense\n\n::\n",
		    { { "memory.max", "1048576\n" } }, UINT64_MAX, NULL, NULL },
		{ "a relative path", "0::a\n", { { "a/memory.max",
		    "1048576\n" } }, UINT64_MAX, NULL, NULL },
		{ "a path with ..", "0::/a/../..\n", { { "a/memory.max",
		    "1048576\n" } }, UINT64_MAX, NULL, NULL },
		/* Only "." and ".." are refused: "..x" is a name. */
		{ "a cgroup named ..x", "0::/a/..x\n",
		    { { "a/..x/memory.max", "2097152\n" } }, 2ull << 20,
		    NULL, NULL },
		{ "a cgroup named ...", "0::/.../b\n",
		    { { ".../b/memory.max", "max\n" },
		    { ".../memory.max", "4194304\n" } }, 4ull << 20,
		    NULL, NULL },
		{ "a cgroup named .x.", "0::/.x./b.\n",
		    { { ".x./b./memory.max", "2097152\n" } }, 2ull << 20,
		    NULL, NULL },
		{ "a path with .. inside", "0::/a/../b\n",
		    { { "b/memory.max", "2097152\n" },
		    { "memory.max", "4194304\n" } }, UINT64_MAX, NULL, NULL },
		{ "a path ending in ..", "0::/a/..\n",
		    { { "a/memory.max", "2097152\n" } }, UINT64_MAX,
		    NULL, NULL },
		{ "a path with .", "0::/a/./b\n",
		    { { "a/b/memory.max", "2097152\n" } }, UINT64_MAX,
		    NULL, NULL },
		{ "a path with //", "0::/a//b\n",
		    { { "a/b/memory.max", "2097152\n" } }, UINT64_MAX,
		    NULL, NULL },
		{ "a path ending in /", "0::/a/\n",
		    { { "a/memory.max", "2097152\n" } }, UINT64_MAX,
		    NULL, NULL },
		/* A limit nothing running fits in: none, and a note. */
		{ "v2 memory.max 0", "0::/a\n", { { "a/memory.max", "0\n" } },
		    UINT64_MAX, NULL, "ROOT/sys/fs/cgroup/a/memory.max says "
		    "0 bytes, under 1 MiB, taken as no limit (a cgroup being "
		    "removed, or a mistake)" },
		{ "v2 memory.max 0 under a parent's limit", "0::/a/b\n",
		    { { "a/b/memory.max", "0\n" },
		    { "a/memory.max", "8388608\n" } }, 8ull << 20, NULL,
		    "ROOT/sys/fs/cgroup/a/b/memory.max says 0 bytes, under 1 "
		    "MiB, taken as no limit (a cgroup being removed, or a "
		    "mistake)" },
		{ "v2 memory.max a byte under 1 MiB", "0::/a\n",
		    { { "a/memory.max", "1048575\n" } }, UINT64_MAX, NULL,
		    "ROOT/sys/fs/cgroup/a/memory.max says 1048575 bytes, "
		    "under 1 MiB, taken as no limit (a cgroup being removed, "
		    "or a mistake)" },
		{ "v1 limit 0", "4:memory:/x\n",
		    { { "memory/x/memory.limit_in_bytes", "0\n" } },
		    UINT64_MAX, NULL, "ROOT/sys/fs/cgroup/memory/x/"
		    "memory.limit_in_bytes says 0 bytes, under 1 MiB, taken as "
		    "no limit (a cgroup being removed, or a mistake)" },
		/* Where mountinfo mounts the hierarchies. */
		{ "mountinfo: v2", "0::/a\n", { { "a/memory.max",
		    "2097152\n" } }, 2ull << 20,
		    MI_OTHER MI_V2("/", "/sys/fs/cgroup"), NULL },
		{ "mountinfo: hybrid, memory in v1", "4:memory:/x\n0::/x\n",
		    { { "unified/x/cgroup.procs", "1\n" },
		    { "memory/x/memory.limit_in_bytes", "4194304\n" } },
		    4ull << 20, MI_OTHER MI_V2("/", "/sys/fs/cgroup/unified")
		    MI_V1("/", "/sys/fs/cgroup/memory", "memory"), NULL },
		{ "mountinfo: hybrid, memory in v2", "0::/x\n",
		    { { "unified/x/memory.max", "8388608\n" } }, 8ull << 20,
		    MI_OTHER MI_V2("/", "/sys/fs/cgroup/unified"), NULL },
		{ "mountinfo: v1 memory co-mounted as cpu,memory",
		    "4:cpu,memory:/x\n",
		    { { "cpu,memory/x/memory.limit_in_bytes", "4194304\n" } },
		    4ull << 20, MI_OTHER MI_V1("/", "/sys/fs/cgroup/cpu,memory",
		    "cpu,memory"), NULL },
		{ "mountinfo: v1 memory co-mounted as memory,cpu",
		    "4:memory,cpu:/x\n",
		    { { "memory,cpu/x/memory.limit_in_bytes", "4194304\n" } },
		    4ull << 20, MI_OTHER MI_V1("/", "/sys/fs/cgroup/memory,cpu",
		    "memory,cpu"), NULL },
		{ "mountinfo: a v1 mount without memory is not it",
		    "4:memory:/x\n",
		    { { "memory/x/memory.limit_in_bytes", "4194304\n" } },
		    UINT64_MAX, MI_OTHER MI_V1("/", "/sys/fs/cgroup/memory",
		    "cpu"), NULL },
		{ "mountinfo: an escaped mount point", "0::/a\n",
		    { { "my cg\\x/a/memory.max", "2097152\n" } }, 2ull << 20,
		    MI_OTHER MI_V2("/", "/sys/fs/cgroup/my\\040cg\\134x"),
		    NULL },
		{ "mountinfo: the mount's root above the path", "0::/a/b\n",
		    { { "b/memory.max", "1048576\n" },
		    { "memory.max", "2097152\n" } }, 1ull << 20,
		    MI_OTHER MI_V2("/a", "/sys/fs/cgroup"), NULL },
		{ "mountinfo: the mount's root is the path",
		    "0::/docker/abc\n",
		    { { "memory.max", "2097152\n" } }, 2ull << 20,
		    MI_OTHER MI_V2("/docker/abc", "/sys/fs/cgroup"), NULL },
		{ "mountinfo: the mount's root not above the path", "0::/x\n",
		    { { "memory.max", "2097152\n" } }, UINT64_MAX,
		    MI_OTHER MI_V2("/y", "/sys/fs/cgroup"), NULL },
		{ "mountinfo: a root that is a prefix, not a parent",
		    "0::/ab\n",
		    { { "memory.max", "2097152\n" } }, UINT64_MAX,
		    MI_OTHER MI_V2("/a", "/sys/fs/cgroup"), NULL },
		{ "mountinfo: no optional fields", "0::/a\n",
		    { { "a/memory.max", "2097152\n" } }, 2ull << 20,
		    "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		    NULL },
		{ "mountinfo: no cgroup2 mounted", "0::/a\n",
		    { { "a/memory.max", "2097152\n" } }, UINT64_MAX,
		    MI_OTHER, NULL },
		{ "mountinfo: a cgroup2 line without its end", "0::/a\n",
		    { { "a/memory.max", "2097152\n" } }, UINT64_MAX,
		    MI_OTHER "30 23 0:26 / /sys/fs/cgroup rw - cgroup2\n",
		    NULL },
		{ "mountinfo: empty, nothing mounted", "0::/a\n",
		    { { "a/memory.max", "2097152\n" } }, UINT64_MAX, "",
		    NULL },
	};
	char		*text, *line;
	const char	*f[3][2] = { { NULL, NULL } };	/* f[2]: the end */
	size_t		 n, i;

	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++)
		cgroup_case(t[i].what, t[i].cgroup, t[i].mountinfo, t[i].file,
		    t[i].want, t[i].note);

	/*
	 * /proc/self/cgroup read whole, line by line: a memory line past
	 * its first 8 KiB (many v1 hierarchies, deep paths); one cut there
	 * ("0::/ab" read as "0::/a") is not taken; a line too long to hold
	 * is skipped; a file over 64 KiB is no kernel's: no limit.
	 */
	if ((text = malloc(80 * 1024)) == NULL ||
	    (line = malloc(40 * 1024)) == NULL) {
		free(text);
		return;
	}
	for (i = n = 0; i < 250; i++)
		n += (size_t)sprintf(text + n, "%zu:name=h%zu:/a/long/path/of"
		    "/the/hierarchy/%zu\n", i + 10, i, i);
	sprintf(text + n, "4:memory:/x\n");
	f[0][0] = "memory/x/memory.limit_in_bytes";
	f[0][1] = "4194304\n";
	f[1][0] = NULL;
	cgroup_case("a memory line past 8 KiB", text, NULL, f, 4ull << 20,
	    NULL);

	memset(text, 'p', 8191);
	memcpy(text, "9:cpu:/", 7);
	text[8185] = '\n';
	sprintf(text + 8186, "0::/ab\n");
	f[0][0] = "a/memory.max";
	f[0][1] = "2097152\n";
	f[1][0] = "ab/memory.max";
	f[1][1] = "max\n";
	cgroup_case("a line across 8 KiB", text, NULL, f, UINT64_MAX, NULL);

	memset(line, 'a', 40 * 1024 - 1);
	line[40 * 1024 - 1] = '\0';
	snprintf(text, 80 * 1024, "4:memory:/x\n0::/%s\n", line);
	f[0][0] = "memory/x/memory.limit_in_bytes";
	f[0][1] = "4194304\n";
	f[1][0] = NULL;
	cgroup_case("a line too long to hold", text, NULL, f, 4ull << 20,
	    NULL);

	n = (size_t)sprintf(text, "0::/a\n");
	memset(text + n, '#', 70 * 1024);
	text[n + 70 * 1024] = '\0';
	f[0][0] = "a/memory.max";
	f[0][1] = "2097152\n";
	cgroup_case("a /proc/self/cgroup over 64 KiB", text, NULL, f,
	    UINT64_MAX, NULL);
	free(line);
	free(text);
	test_cgroup_nul();
}

/* What a load showed: how many reports, the first and the last. */
struct shown {
	int	n;
	int	warnings;	/* of n, "warning: ..." */
	int	last_line;
	char	first[512], last[512], last_file[PATH_MAX];
};

static void
show(void *arg, const char *file, int line, const char *msg)
{
	struct shown	*sh = arg;

	if (sh->n++ == 0)
		snprintf(sh->first, sizeof(sh->first), "%s", msg);
	if (strncmp(msg, "warning: ", 9) == 0)
		sh->warnings++;
	snprintf(sh->last, sizeof(sh->last), "%s", msg);
	snprintf(sh->last_file, sizeof(sh->last_file), "%s", file);
	sh->last_line = line;
}

#define MARK_WARNING(i, line)						\
	unit_fmt("warning: rule \"r%d\" (line %d) sets or matches mark bit "\
	    "0x40000000, which queue.orphan_mark uses for packets a worker "\
	    "died deciding; choose another bit for one of them", (i), (line))
#define VERDICT_ERROR(i)						\
	unit_fmt("rule \"r%d\": verdict: \"maybe\" is not one of "	\
	    "\"accept\", \"drop\", \"repeat\", \"queue\" or \"continue\"", (i))
#define NOT_SHOWN " not shown (only the first 100 errors and the first 100 " \
	"warnings are shown)"

/*
 * The first 100 errors and the first 100 warnings of a load are shown, then
 * one line of how many more; the count of errors, and the refusal, stay.
 */
static void
test_shown(void)
{
	static const struct {
		const char	*name;
		const char	*rule;		/* after its name */
		const char	*queue;		/* in queue = { } */
		int		 rules;
		int		 errors;	/* the load's answer */
		int		 shown, warnings;
		const char	*last;		/* NULL: last rule's */
	} t[] = {
		{ "0 warnings (100 rules on another bit)",
		    "mark = 0x1; verdict = \"accept\";", "", 100, 0, 0, 0,
		    NULL },
		{ "99 warnings", "mark = 0x40000000; verdict = \"accept\";",
		    "", 99, 0, 99, 99, NULL },
		{ "100 warnings", "mark = 0x40000000; verdict = \"accept\";",
		    "", 100, 0, 100, 100, NULL },
		{ "101 warnings", "mark = 0x40000000; verdict = \"accept\";",
		    "", 101, 0, 101, 101,
		    "warning: ... and 1 more warning" NOT_SHOWN },
		{ "1,000 warnings", "mark = 0x40000000; verdict = \"accept\";",
		    "", 1000, 0, 101, 101,
		    "warning: ... and 900 more warnings" NOT_SHOWN },
		{ "100,000 warnings", "mark = 0x40000000; verdict = "
		    "\"accept\";", "", 100000, 0, 101, 101,
		    "warning: ... and 99,900 more warnings" NOT_SHOWN },
		{ "99 errors", "verdict = \"maybe\";", "", 99, 99, 99, 0,
		    NULL },
		{ "100 errors", "verdict = \"maybe\";", "", 100, 100, 100, 0,
		    NULL },
		{ "101 errors", "verdict = \"maybe\";", "", 101, 101, 101, 0,
		    "... and 1 more error" NOT_SHOWN },
		{ "1,000 errors", "verdict = \"maybe\";", "", 1000, 1000, 101,
		    0, "... and 900 more errors" NOT_SHOWN },
		/* The warnings before it do not hide the error. */
		{ "1,000 warnings, then an error",
		    "dst_port = 80; mark = 0x40000000; verdict = \"accept\";",
		    " copy_range = 10;", 1000, 1, 102, 101,
		    "warning: ... and 900 more warnings" NOT_SHOWN },
	};
	struct nfqd_config	cf;
	struct nfqd_cfgcap	k;
	struct shown		sh;
	char			path[PATH_MAX], *text;
	size_t			i, len, cap;
	int			j, r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cap = 256 + (size_t)t[i].rules * 128;
		if ((text = malloc(cap)) == NULL) {
			CHECK(0, unit_fmt("%s: malloc", t[i].name));
			return;
		}
		len = (size_t)snprintf(text, cap, "queue = { balance = "
		    "\"0:1\";%s };\nrules = (\n", t[i].queue);
		for (j = 0; j < t[i].rules; j++) {
			len += (size_t)snprintf(text + len, cap - len,
			    "  { name = \"r%d\"; ", j);
			len += (size_t)snprintf(text + len, cap - len, "%s",
			    t[i].rule);
			len += (size_t)snprintf(text + len, cap - len, " }%s\n",
			    j + 1 < t[i].rules ? "," : "");
		}
		snprintf(text + len, cap - len, ");\n");
		snprintf(path, sizeof(path), "%s/shown%zu.conf", dir, i);
		memset(&sh, 0, sizeof(sh));
		if (unit_write_text(path, text) == -1) {
			CHECK(0, unit_fmt("%s: writing %s", t[i].name, path));
			free(text);
			continue;
		}
		free(text);
		r = nfqd_config_load(&cf, path, NULL, show, &sh);
		if (r == 0)
			nfqd_config_free(&cf);
		CHECK_INT_EQ(r, t[i].errors, unit_fmt("%s: the errors counted",
		    t[i].name));
		CHECK_INT_EQ(sh.n, t[i].shown, unit_fmt("%s: lines shown",
		    t[i].name));
		CHECK_INT_EQ(sh.warnings, t[i].warnings,
		    unit_fmt("%s: warnings among them", t[i].name));
		if (t[i].shown == 0) {
			CHECK_STR_EQ(sh.last, "", unit_fmt("%s: nothing",
			    t[i].name));
			continue;
		}
		CHECK_STR_EQ(sh.first, t[i].errors > 0 && t[i].warnings == 0 ?
		    VERDICT_ERROR(0) : MARK_WARNING(0, 3),
		    unit_fmt("%s: the first", t[i].name));
		if (t[i].last != NULL) {
			CHECK_STR_EQ(sh.last, t[i].last,
			    unit_fmt("%s: the last", t[i].name));
			CHECK(sh.last_line == 0 && strcmp(sh.last_file,
			    path) == 0, unit_fmt("%s: the last at the file, "
			    "line 0", t[i].name));
		} else {
			j = t[i].rules - 1;
			CHECK_STR_EQ(sh.last, t[i].errors > 0 ?
			    VERDICT_ERROR(j) : MARK_WARNING(j, j + 3),
			    unit_fmt("%s: the last", t[i].name));
		}
	}

	/*
	 * The text's errors (cfgtext.c, 150 missing @include files) and the
	 * lists' (150 missing; the rule that names the first adds none) as
	 * well.
	 */
	for (i = 0; i < 2; i++) {
		cap = 256 + 150 * (128 + strlen(dir));
		if ((text = malloc(cap)) == NULL) {
			CHECK(0, "includes and sets: malloc");
			return;
		}
		len = (size_t)snprintf(text, cap, "queue = { balance = "
		    "\"0:1\"; };\n%s", i == 0 ? "" : "name_sets = (\n");
		for (j = 0; j < 150; j++)
			if (i == 0)
				len += (size_t)snprintf(text + len, cap - len,
				    "@include \"%s/none%d.conf\"\n", dir, j);
			else
				len += (size_t)snprintf(text + len, cap - len,
				    "  { name = \"s%d\"; file = \"%s/none%d."
				    "txt\"; }%s\n", j, dir, j, j < 149 ? "," :
				    "");
		if (i == 1)
			snprintf(text + len, cap - len, ");\nrules = ( { name "
			    "= \"r\"; dst_name = \"@s0\"; verdict = \"drop\"; "
			    "} );\n");
		snprintf(path, sizeof(path), "%s/shown-%s.conf", dir,
		    i == 0 ? "includes" : "sets");
		memset(&sh, 0, sizeof(sh));
		if (unit_write_text(path, text) == -1) {
			CHECK(0, unit_fmt("writing %s", path));
			free(text);
			continue;
		}
		free(text);
		r = nfqd_config_load(&cf, path, NULL, show, &sh);
		CHECK_INT_EQ(r, 150, unit_fmt("%s: the errors "
		    "counted", i == 0 ? "includes" : "sets"));
		CHECK_INT_EQ(sh.n, 101, unit_fmt("%s: lines shown",
		    i == 0 ? "includes" : "sets"));
		CHECK_STR_EQ(sh.first, i == 0 ? unit_fmt("cannot include "
		    "\"%s/none0.conf\": No such file or directory", dir) :
		    unit_fmt("file: open(%s/none0.txt): No such file or "
		    "directory", dir), unit_fmt("%s: the first",
		    i == 0 ? "includes" : "sets"));
		CHECK_STR_EQ(sh.last, "... and 50 more errors" NOT_SHOWN,
		    unit_fmt("%s: the last", i == 0 ? "includes" : "sets"));
	}

	/* Errors and warnings both past theirs: one line says both. */
	memset(&sh, 0, sizeof(sh));
	cfg_cap_init(&k, show, &sh);
	for (j = 0; j < 1234; j++)
		cfg_cap_report(&k, "f.conf", j + 1, "an error");
	for (j = 0; j < 1000100; j++)
		cfg_cap_report(&k, "f.conf", j + 1, "warning: a warning");
	cfg_cap_end(&k, "f.conf");
	CHECK_INT_EQ(sh.n, 201, "errors and warnings: lines shown");
	CHECK_INT_EQ(sh.warnings, 100, "errors and warnings: warnings shown");
	CHECK_STR_EQ(sh.last, "... and 1,134 more errors and 1,000,000 more "
	    "warnings" NOT_SHOWN, "errors and warnings: the last");
	CHECK_STR_EQ(sh.last_file, "f.conf", "errors and warnings: its file");
}

/*
 * Past the cap a report is counted, not formatted: cfg_warn_at() and
 * cfg_err() (every check of a rule: mark_users() warns once per rule on
 * the orphan mark bit) and the text's errors (cfgtext.c: a number out of
 * range on each line) ask cfg_cap_held() first.  What is shown, and the
 * count of the rest, are those of cfg_cap_report() alone.
 */
static void
test_held(void)
{
	enum { WARN, ERR, TEXT };
	static const char *const kinds[] = { "warnings", "errors",
	    "numbers out of range" };
	static const struct {
		int		 kind;
		int		 n;		/* reports made */
		int		 shown;		/* lines, the last one's too */
		const char	*last;		/* NULL: the n-th report's */
	} t[] = {
		{ WARN, 0, 0, NULL },
		{ WARN, 100, 100, NULL },
		{ WARN, 101, 101, "warning: ... and 1 more warning" NOT_SHOWN },
		{ WARN, 100000, 101,
		    "warning: ... and 99,900 more warnings" NOT_SHOWN },
		{ ERR, 0, 0, NULL },
		{ ERR, 100, 100, NULL },
		{ ERR, 101, 101, "... and 1 more error" NOT_SHOWN },
		{ ERR, 100000, 101, "... and 99,900 more errors" NOT_SHOWN },
		{ TEXT, 0, 0, NULL },
		{ TEXT, 100, 100, NULL },
		{ TEXT, 101, 101, "... and 1 more error" NOT_SHOWN },
		{ TEXT, 100000, 101, "... and 99,900 more errors" NOT_SHOWN },
	};
	struct nfqd_cfgtext	 tx;
	struct nfqd_cfgcap	 k;
	struct nfqd_cfgctx	 c;
	struct shown		 sh;
	const char		*name, *want;
	char			*text;
	size_t			 i, len, cap;
	int			 j, errors;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		name = unit_fmt("%d %s", t[i].n, kinds[t[i].kind]);
		memset(&sh, 0, sizeof(sh));
		cfg_cap_init(&k, show, &sh);
		memset(&c, 0, sizeof(c));
		c.report = cfg_cap_report;
		c.arg = &k;
		c.path = "f.conf";
		if (t[i].kind == TEXT) {
			cap = 64 + (size_t)t[i].n * 40;
			if ((text = malloc(cap)) == NULL) {
				CHECK(0, unit_fmt("%s: malloc", name));
				return;
			}
			len = (size_t)snprintf(text, cap, "a = 1;\n");
			for (j = 0; j < t[i].n; j++)
				len += (size_t)snprintf(text + len, cap - len,
				    "x%d = 99999999999999999999;\n", j);
			nfqd_cfgtext_init(&tx, NFQD_CFGTEXT_MAX,
			    cfg_cap_report, &k);
			errors = nfqd_cfgtext_set(&tx, "f.conf", text, len,
			    NULL);
			nfqd_cfgtext_free(&tx);
			free(text);
		} else {
			for (j = 0; j < t[i].n; j++)
				if (t[i].kind == WARN)
					cfg_warn_at(&c, NULL, "warning %d", j);
				else
					cfg_err(&c, NULL, "error %d", j);
			errors = c.errors;
		}
		cfg_cap_end(&k, "f.conf");
		CHECK_INT_EQ(errors, t[i].kind == WARN ? 0 : t[i].n,
		    unit_fmt("%s: the errors counted", name));
		CHECK_INT_EQ(sh.n, t[i].shown, unit_fmt("%s: lines shown",
		    name));
		j = t[i].n < NFQD_CFG_SHOWN ? t[i].n : NFQD_CFG_SHOWN;
		want = t[i].last != NULL ? t[i].last : t[i].n == 0 ? "" :
		    t[i].kind == WARN ? unit_fmt("warning: warning %d", j - 1) :
		    t[i].kind == ERR ? unit_fmt("error %d", j - 1) :
		    "99999999999999999999 is out of range "
		    "(-9223372036854775808 to 9223372036854775807)";
		CHECK_STR_EQ(sh.last, want, unit_fmt("%s: the last", name));
		CHECK_INT_EQ(sh.last_line, t[i].last != NULL || t[i].n == 0 ?
		    0 : t[i].kind == TEXT ? j + 1 : 0,
		    unit_fmt("%s: the last one's line", name));
		/* The rest were counted and never formatted. */
		CHECK_INT_EQ((int)k.formatted, j,
		    unit_fmt("%s: messages formatted", name));
	}
}

int
main(void)
{
	int	rc;

	ncpu = nfqd_online_cpus();
	if (ncpu > 1024)
		ncpu = 1024;
	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_defaults();
	test_full();
	test_values();
	test_unknown();
	test_types();
	test_ranges();
	test_balance();
	test_paths_and_choices();
	test_connmark();
	test_files();
	test_overrides();
	test_include();
	test_symlink_reload();
	test_bom();
	test_wide_integers();
	test_empty();
	test_rules_set();
	test_include_lines();
	test_pcap();
	test_sets_max();
	test_cgroup_limit();
	test_shown();
	test_held();
	rc = unit_done();
	if (unit_rmtree(dir) == -1) {
		perror(dir);
		rc = 1;
	}
	return rc;
}
