/*
 * Unit tests for the settings table (settings.c): every setting, changed
 * alone in a file, is seen as changed alone, with what a reload must do;
 * and what a reload keeps until the next start is kept.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/config.h"
#include "nfqd/nfqd.h"
#include "nfqd/settings.h"
#include "unit.h"

static char	dir[PATH_MAX];
static char	setfile[PATH_MAX + 16];
static unsigned	nfiles;

/* The file every case starts from. */
#define BASE	"queue = { balance = \"0:1\"; };\n" \
		"rules = ( { name = \"r\"; proto = \"tcp\"; dst_port = 22; " \
		"verdict = \"drop\"; } );\n"

/*
 * A value that differs from BASE for every setting, as the file writes
 * it; a new setting without one here fails the test.  balance: a change
 * of range is queue.balance's; base shows there too.
 */
/* Where a row names the name_sets case's list: load_text() puts setfile
 * (in this run's own directory) there. */
#define SETFILE	"@SETFILE@"

static const struct {
	const char	*name;
	const char	*text;		/* replaces BASE */
	const char	*seen_as;	/* the setting reported, if another */
} cases[] = {
	{ "daemon.pidfile", "daemon = { pidfile = \"/tmp/x.pid\"; };\n" BASE, NULL },
	{ "daemon.user", "daemon = { user = \"nobody\"; };\n" BASE, NULL },
	{ "daemon.log", "daemon = { log = \"syslog\"; };\n" BASE, NULL },
	{ "daemon.log_level", "daemon = { log_level = \"debug\"; };\n" BASE, NULL },
	{ "daemon.sandbox", "daemon = { sandbox = false; };\n" BASE, NULL },
	{ "queue.balance", "queue = { balance = \"2:3\"; };\n"
	    "rules = ( { name = \"r\"; proto = \"tcp\"; dst_port = 22; "
	    "verdict = \"drop\"; } );\n", NULL },
	{ "queue.base", "queue = { base = 5; };\n"
	    "rules = ( { name = \"r\"; proto = \"tcp\"; dst_port = 22; "
	    "verdict = \"drop\"; } );\n", "queue.balance" },
	{ "queue.cpu_affinity", "queue = { balance = \"0:1\"; "
	    "cpu_affinity = \"none\"; };\nrules = ();\n", NULL },
	{ "queue.maxlen", "queue = { balance = \"0:1\"; maxlen = 100; };\n"
	    "rules = ();\n", NULL },
	{ "queue.rcvbuf", "queue = { balance = \"0:1\"; rcvbuf = \"1M\"; };\n"
	    "rules = ();\n", NULL },
	{ "queue.copy_range", "queue = { balance = \"0:1\"; copy_range = 1500; "
	    "};\nrules = ();\n", NULL },
	{ "queue.batch", "queue = { balance = \"0:1\"; batch = 8; };\n"
	    "rules = ();\n", NULL },
	{ "queue.busy_poll_us", "queue = { balance = \"0:1\"; "
	    "busy_poll_us = 50; };\nrules = ();\n", NULL },
	{ "queue.fail_open", "queue = { balance = \"0:1\"; fail_open = false; "
	    "};\nrules = ();\n", NULL },
	{ "queue.gso", "queue = { balance = \"0:1\"; gso = false; };\n"
	    "rules = ();\n", NULL },
	{ "queue.uid_gid", "queue = { balance = \"0:1\"; uid_gid = true; };\n"
	    "rules = ();\n", NULL },
	{ "queue.orphan_verdict", "queue = { balance = \"0:1\"; "
	    "orphan_verdict = \"drop\"; };\nrules = ();\n", NULL },
	{ "queue.orphan_mark", "queue = { balance = \"0:1\"; "
	    "orphan_mark = 0x100; };\nrules = ();\n", NULL },
	{ "queue.watchdog_ms", "queue = { balance = \"0:1\"; "
	    "watchdog_ms = 500; };\nrules = ();\n", NULL },
	{ "stats.file", "stats = { file = \"/tmp/s.json\"; };\n" BASE, NULL },
	{ "stats.prometheus", "stats = { prometheus = \"/tmp/n.prom\"; };\n" BASE,
	    NULL },
	{ "stats.interval", "stats = { interval = 5; };\n" BASE, NULL },
	{ "stats.shm", "stats = { shm = \"/tmp/s.shm\"; };\n" BASE, NULL },
	{ "default_verdict", "default_verdict = \"drop\";\n" BASE, NULL },
	{ "malformed_verdict", "malformed_verdict = \"accept\";\n" BASE, NULL },
	{ "truncated_verdict", "truncated_verdict = \"accept\";\n" BASE, NULL },
	{ "tiny_fragment_verdict", "tiny_fragment_verdict = \"accept\";\n"
	    BASE, NULL },
	{ "header_chain_verdict", "header_chain_verdict = \"accept\";\n" BASE, NULL },
	{ "rules", "queue = { balance = \"0:1\"; };\n"
	    "rules = ( { name = \"r\"; proto = \"tcp\"; dst_port = 23; "
	    "verdict = \"drop\"; } );\n", NULL },
	{ "rate_table_size", "rate_table_size = 2048;\n" BASE, NULL },
	{ "l7_error_verdict", "l7_error_verdict = \"accept\";\n" BASE, NULL },
	{ "flows.max", "flows = { max = 1000; };\n" BASE, NULL },
	{ "flows.reasm_buffers", "flows = { reasm_buffers = 10; };\n" BASE,
	    NULL },
	{ "flows.tcp_timeout", "flows = { tcp_timeout = 60; };\n" BASE, NULL },
	{ "flows.closing_timeout", "flows = { closing_timeout = 5; };\n" BASE,
	    NULL },
	{ "flows.hello_timeout", "flows = { hello_timeout = 5; };\n" BASE,
	    NULL },
	{ "flows.udp_timeout", "flows = { udp_timeout = 30; };\n" BASE,
	    NULL },
	{ "flows.full_verdict", "flows = { full_verdict = \"accept\"; };\n"
	    BASE, NULL },
	{ "flows.pending_mark", "flows = { pending_mark = 0x100; };\n" BASE,
	    NULL },
	{ "flows.connmark", "flows = { connmark = \"auto\"; };\n" BASE,
	    NULL },
	{ "flows.hello_retry", "flows = { hello_retry = false; };\n" BASE,
	    NULL },
	{ "flows.http_requests", "flows = { http_requests = \"first\"; };\n"
	    BASE, NULL },
	{ "dns_learn.enabled", "dns_learn = { enabled = true; };\n" BASE,
	    NULL },
	{ "dns_learn.max_entries", "dns_learn = { max_entries = 1024; };\n"
	    BASE, NULL },
	{ "dns_learn.min_ttl", "dns_learn = { min_ttl = 5; };\n" BASE, NULL },
	{ "dns_learn.max_ttl", "dns_learn = { max_ttl = 600; };\n" BASE,
	    NULL },
	{ "dns_learn.servers", "dns_learn = { servers = \"10.0.0.53\"; };\n"
	    BASE, NULL },
	{ "pcap.dir", "pcap = { dir = \"/tmp\"; };\n" BASE, NULL },
	{ "pcap.max_bytes", "pcap = { max_bytes = \"1M\"; };\n" BASE, NULL },
	{ "pcap.max_files", "pcap = { max_files = 3; };\n" BASE, NULL },
	{ "name_sets", "queue = { balance = \"0:1\"; };\n"
	    "name_sets = ( { name = \"s\"; file = \"" SETFILE "\"; } );\n"
	    "rules = ( { name = \"r\"; proto = \"tcp\"; dst_port = 22; "
	    "verdict = \"drop\"; } );\n", NULL },
	{ "name_sets_max_bytes", "name_sets_max_bytes = \"1G\";\n" BASE, NULL },
};

/* The cases that replace BASE's rules with none compare against this. */
#define NORULES	"queue = { balance = \"0:1\"; };\nrules = ();\n"

static int
load_text(struct nfqd_config *cf, const char *name, const char *text)
{
	struct unit_reports	rs;
	char			path[PATH_MAX + 32], buf[sizeof(setfile) + 4096];
	const char		*at;
	int			r;

	if ((at = strstr(text, SETFILE)) != NULL) {
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - text), text,
		    setfile, at + strlen(SETFILE));
		text = buf;
	}
	snprintf(path, sizeof(path), "%s/c%u.conf", dir, nfiles++);
	if (unit_write_text(path, text) == -1)
		return CHECK(0, unit_fmt("%s: writing", name));
	memset(&rs, 0, sizeof(rs));
	r = nfqd_config_load(cf, path, NULL, unit_collect, &rs);
	return CHECKF(r == 0, unit_fmt("%s: loads", name), "returned %d, "
	    "\"%s\"", r, rs.n > 0 ? rs.r[0].msg : "");
}

struct seen {
	char			names[512];
	enum nfqd_reload	reload;
	unsigned		n;
};

static void
note(void *arg, const char *group, const char *name, enum nfqd_reload r)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->names);

	snprintf(s->names + len, sizeof(s->names) - len, "%s%s%s%s",
	    len > 0 ? " " : "", group != NULL ? group : "",
	    group != NULL ? "." : "", name);
	s->reload = r;
	s->n++;
}

/* Every row of the table has a case. */
struct list {
	char		names[64][48];
	unsigned	n;
};

static void
collect(void *arg, const char *group, const char *name, enum nfqd_reload r)
{
	struct list	*l = arg;

	(void)r;
	if (l->n < 64)
		snprintf(l->names[l->n++], sizeof(l->names[0]), "%s%s%s",
		    group != NULL ? group : "", group != NULL ? "." : "", name);
}

static void
test_every_setting(void)
{
	struct nfqd_config	a, b, norules;
	struct seen		s;
	struct list		l;
	unsigned		i, k, need;

	memset(&l, 0, sizeof(l));
	nfqd_settings_each(collect, &l);
	for (i = 0; i < l.n; i++) {
		for (k = 0; k < NFQD_ARRAY_SIZE(cases); k++)
			if (strcmp(cases[k].name, l.names[i]) == 0)
				break;
		CHECKF(k < NFQD_ARRAY_SIZE(cases), unit_fmt("%s: has a case",
		    l.names[i]), "add one to cases[]");
	}
	CHECK_UINT_EQ(l.n, NFQD_ARRAY_SIZE(cases), "one case per setting");

	if (!load_text(&a, "base", BASE) ||
	    !load_text(&norules, "no rules", NORULES))
		return;
	for (k = 0; k < NFQD_ARRAY_SIZE(cases); k++) {
		const struct nfqd_config *from =
		    strstr(cases[k].text, "rules = ();") != NULL ? &norules : &a;
		const char *want = cases[k].seen_as != NULL ?
		    cases[k].seen_as : cases[k].name;

		if (!load_text(&b, cases[k].name, cases[k].text))
			continue;
		memset(&s, 0, sizeof(s));
		need = nfqd_settings_changed(from, &b, note, &s);
		CHECKF(s.n == 1 && strcmp(s.names, want) == 0,
		    unit_fmt("%s: seen as the one change", cases[k].name),
		    "seen: \"%s\"", s.names);
		CHECK_UINT_EQ(need, NFQD_RELOAD_BIT(s.reload),
		    unit_fmt("%s: needs what its row says (%s)", cases[k].name,
		    nfqd_reload_name(s.reload)));
		/* What a reload keeps to the next start, it keeps. */
		if (s.reload == NFQD_RELOAD_NEXT_START) {
			nfqd_settings_keep(&b, from);
			CHECK_UINT_EQ(nfqd_settings_changed(from, &b, NULL,
			    NULL), 0, unit_fmt("%s: kept until the next start",
			    cases[k].name));
		}
		nfqd_config_free(&b);
	}
	CHECK_UINT_EQ(nfqd_settings_changed(&a, &a, NULL, NULL), 0,
	    "a file against itself: nothing changed");
	nfqd_config_free(&a);
	nfqd_config_free(&norules);
}

int
main(void)
{
	if (unit_mkdtemp(dir, sizeof(dir)) == -1)
		return 1;
	snprintf(setfile, sizeof(setfile), "%s/names.txt", dir);
	if (unit_write_text(setfile, "example.com\n") == -1)
		return 1;
	test_every_setting();
	unit_rmtree(dir);
	return unit_done();
}
