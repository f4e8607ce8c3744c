/*
 * Unit tests for src/rules.c and src/engine.c: the exact file, line and
 * text of every kind of rule error, the parsed form of the rules, every
 * matcher against hand-built packets, and the engine's verdicts (first
 * match, continue, default, malformed, rate limits, metadata-only mode),
 * through the compiled classifier and the linear reference walk alike.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>

#include "nfqd/cfgtext.h"
#include "nfqd/classify.h"
#include "nfqd/config.h"
#include "nfqd/engine.h"
#include "nfqd/iftab.h"
#include "nfqd/json.h"
#include "nfqd/l7/names.h"
#include "nfqd/pkt.h"
#include "nfqd/queue.h"
#include "nfqd/ratelimit.h"
#include "nfqd/match.h"
#include "nfqd/rules.h"
#include "nfqd/shm.h"
#include "nfqd/util.h"
#include "nfqd/yield.h"
#include "unit.h"

static char		dir[512];
static unsigned		nfiles;

/* Served queues 0 and 1; the rules list opens on line 2, rules from 3. */
#define HEAD	"queue = { balance = \"0:1\"; };\nrules = (\n"
#define TAIL	"\n);\n"
#define PORT_RULE	"rules = ( { name = \"p\"; proto = \"tcp\"; " \
	"dst_port = 2323; verdict = \"drop\"; } );\n"

static int
write_file(const char *name, const char *text, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", dir, name) >= (int)len)
		return -1;
	return unit_write_text(path, text);
}

/* Load text from a fresh file.  path gets its name. */
static int
load(struct nfqd_config *cf, const char *text, struct unit_reports *rs,
    char *path, size_t len)
{
	char	name[32];

	memset(rs, 0, sizeof(*rs));
	snprintf(name, sizeof(name), "r%u.conf", nfiles++);
	if (write_file(name, text, path, len) == -1) {
		CHECK(0, unit_fmt("writing %s", name));
		return -1;
	}
	return nfqd_config_load(cf, path, NULL, unit_collect, rs);
}

/* text must give exactly one problem: msg at line in the file itself. */
static void
expect_error(const char *name, const char *text, int line, const char *msg)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, text, &rs, path, sizeof(path));
	CHECKF(r == 1 && rs.n == 1, unit_fmt("%s: one problem", name),
	    "returned %d, %d reported, first \"%s\", second \"%s\"", r, rs.n,
	    rs.n > 0 ? rs.r[0].msg : "", rs.n > 1 ? rs.r[1].msg : "");
	if (r == 0)
		nfqd_config_free(&cf);
	if (rs.n < 1)
		return;
	CHECK_STR_EQ(rs.r[0].msg, msg, unit_fmt("%s: message", name));
	CHECK_INT_EQ(rs.r[0].line, line, unit_fmt("%s: line", name));
	CHECK_STR_EQ(rs.r[0].file, path, unit_fmt("%s: file", name));
}

/* One rule (or several, on lines 3 on) in the standard frame. */
static void
rule_error(const char *name, const char *rules, int line, const char *msg)
{
	char	text[4096];

	snprintf(text, sizeof(text), HEAD "%s" TAIL, rules);
	expect_error(name, text, line, msg);
}

/* text must load without errors; warnings are allowed. */
static int
expect_ok(const char *name, struct nfqd_config *cf, const char *text)
{
	struct unit_reports	rs;
	char		path[PATH_MAX];
	int		r, i, nerr = 0;

	r = load(cf, text, &rs, path, sizeof(path));
	for (i = 0; i < rs.n && i < 16; i++)
		if (strncmp(rs.r[i].msg, "warning: ", 9) != 0)
			nerr++;
	return CHECKF(r == 0 && nerr == 0, unit_fmt("%s: loads", name),
	    "returned %d, first problem \"%s\" at line %d", r,
	    rs.n > 0 ? rs.r[0].msg : "", rs.n > 0 ? rs.r[0].line : 0);
}

static int
rules_ok(const char *name, struct nfqd_config *cf, const char *rules)
{
	char	text[4096];

	snprintf(text, sizeof(text), HEAD "%s" TAIL, rules);
	if (!expect_ok(name, cf, text))
		return 0;
	return CHECKF(cf->rules != NULL && cf->rules->n >= 1,
	    unit_fmt("%s: has rules", name), "no rules loaded");
}

/* ---- configuration errors ---- */

static void
test_errors_keys(void)
{
	rule_error("unknown key with suggestion",
	    "{ name = \"r\"; dst_prot = 80; verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_prot: unknown setting; did you mean 'dst_port'?");
	/* Other filters' spellings, too far for the edit distance. */
	rule_error("iptables' dport",
	    "{ name = \"r\"; dport = 80; verdict = \"drop\"; }", 3,
	    "rule \"r\": dport: unknown setting; did you mean 'dst_port'?");
	rule_error("nft's saddr",
	    "{ name = \"r\"; saddr = \"10.0.0.1\"; verdict = \"drop\"; }",
	    3, "rule \"r\": saddr: unknown setting; did you mean 'src'?");
	rule_error("iptables' --uid-owner, any case",
	    "{ name = \"r\"; UID_Owner = 0; verdict = \"drop\"; }", 3,
	    "rule \"r\": UID_Owner: unknown setting; did you mean 'uid'?");
	rule_error("nft's oifname",
	    "{ name = \"r\"; oifname = \"eth0\"; verdict = \"drop\"; }",
	    3, "rule \"r\": oifname: unknown setting; did you mean "
	    "'out_iface'?");
	rule_error("a name key without its protocol",
	    "{ name = \"r\"; sni = \"example.com\"; verdict = \"drop\"; }",
	    3, "rule \"r\": sni: unknown setting; did you mean 'tls_sni'?");
	rule_error("a spelling with a byte more is no spelling",
	    "{ name = \"r\"; dportt = 80; verdict = \"drop\"; }", 3,
	    "rule \"r\": dportt: unknown setting");
	rule_error("unknown key without suggestion",
	    "{ name = \"r\"; zzzzzzzz = 1; verdict = \"drop\"; }", 3,
	    "rule \"r\": zzzzzzzz: unknown setting");
	rule_error("unnamed rule #2 prefix",
	    "{ name = \"a\"; verdict = \"drop\"; },\n"
	    "{ verdict = \"dorp\"; }", 4,
	    "rule #2: verdict: \"dorp\" is not one of \"accept\", \"drop\", "
	    "\"repeat\", \"queue\" or \"continue\"");
}

static void
test_errors_addrs(void)
{
	rule_error("cidr 300.1.1.1",
	    "{ name = \"r\"; src = \"300.1.1.1\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": src: \"300.1.1.1\" is not an IPv4 or IPv6 address");
	rule_error("cidr /33",
	    "{ name = \"r\"; dst = \"10.0.0.0/33\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": dst: \"10.0.0.0/33\": prefix length must be 0 to 32");
	rule_error("cidr /129",
	    "{ name = \"r\"; src = \"fd00::/129\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": src: \"fd00::/129\": prefix length must be 0 to 128");
	rule_error("two prefixes in one string",
	    "{ name = \"r\"; src = \"10.0.0.0/8,192.168.0.0/16\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": src: \"10.0.0.0/8,192.168.0.0/16\": a string holds "
	    "one address or prefix; write several as a list, "
	    "[\"10.0.0.0/8\", \"192.168.0.0/16\"]");
	rule_error("cidr host bits",
	    "{ name = \"r\"; src = \"10.0.0.1/8\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": src: \"10.0.0.1/8\" has host bits set; did you mean "
	    "\"10.0.0.0/8\"?");
	rule_error("cidr negated IPv6 host bits",
	    "{ name = \"r\"; src = \"!fd00::1/8\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": src: \"!fd00::1/8\" has host bits set; did you mean "
	    "\"!fd00::/8\"?");
	rule_error("cidr in a list",
	    "{ name = \"r\"; src = [\"10.0.0.0/8\", \"10.1.1.1/16\"]; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": src: \"10.1.1.1/16\" has host bits set; did you mean "
	    "\"10.1.0.0/16\"?");
	rule_error("empty address list",
	    "{ name = \"r\"; src = []; verdict = \"drop\"; }", 3,
	    "rule \"r\": src: an empty list matches nothing");
	rule_error("empty address list ( )",
	    "{ name = \"r\"; dst = (); verdict = \"drop\"; }", 3,
	    "rule \"r\": dst: an empty list matches nothing");
	rule_error("src of the wrong family",
	    "{ name = \"r\"; family = \"ipv4\"; src = \"fd00::/8\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": src: no prefix of the rule's family (ipv4)");
	rule_error("dst IPv6 with src IPv4",
	    "{ name = \"r\"; src = \"10.0.0.0/8\"; dst = \"fd00::/8\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": dst: no prefix of the same family as src");
	rule_error("icmp with family ipv6",
	    "{ name = \"r\";\n"
	    "  family = \"ipv6\";\n"
	    "  proto = \"icmp\";\n"
	    "  verdict = \"drop\"; }", 5,
	    "rule \"r\": proto: icmp is not a protocol of ipv6");
}

static void
test_errors_ports(void)
{
	rule_error("port 70000",
	    "{ name = \"r\"; dst_port = 70000; verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_port: port 70000 is out of range (0 to 65535)");
	rule_error("port \"70000\"",
	    "{ name = \"r\"; dst_port = \"70000\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_port: \"70000\": ports are 0 to 65535");
	rule_error("port -1",
	    "{ name = \"r\"; src_port = -1; verdict = \"drop\"; }", 3,
	    "rule \"r\": src_port: port -1 is out of range (0 to 65535)");
	rule_error("port \"-1\"",
	    "{ name = \"r\"; src_port = \"-1\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": src_port: \"-1\" is not a port, range (\"a-b\") or "
	    "negation (\"!port\")");
	rule_error("port range reversed",
	    "{ name = \"r\"; dst_port = \"443-80\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_port: \"443-80\": the range ends before it "
	    "starts");
	rule_error("port http",
	    "{ name = \"r\"; dst_port = \"http\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_port: \"http\" is not a port, range (\"a-b\") or "
	    "negation (\"!port\")");
	rule_error("iptables' port range",
	    "{ name = \"r\"; dst_port = \"!80:90\"; verdict = \"drop\"; }",
	    3, "rule \"r\": dst_port: \"!80:90\": write a range with '-' "
	    "(\"!80-90\"), not iptables' ':'");
	rule_error("two ports in one string",
	    "{ name = \"r\"; dst_port = \"80,443\"; verdict = \"drop\"; }",
	    3, "rule \"r\": dst_port: \"80,443\": a string holds one port "
	    "or range; write several as a list, [80, 443]");
	rule_error("iptables' ACCEPT",
	    "{ name = \"r\"; verdict = \"ACCEPT\"; }", 3,
	    "rule \"r\": verdict: \"ACCEPT\" is not one of \"accept\", "
	    "\"drop\", \"repeat\", \"queue\" or \"continue\": write it in "
	    "lower case, \"accept\"");
	rule_error("empty port list",
	    "{ name = \"r\"; dst_port = (); verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_port: an empty list matches nothing");
	rule_error("ports with proto icmp",
	    "{ name = \"r\"; proto = \"icmp\"; dst_port = 80; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": dst_port: icmp has no ports (tcp, udp, udplite, sctp "
	    "and dccp have)");
	expect_error("mixed array",
	    HEAD
	    "{ name = \"r\"; dst_port = [53, \"5353\"]; verdict = \"drop\"; }"
	    TAIL, 3,
	    "mismatched element type in array: an array [ ] holds values of "
	    "one type; write a list ( ) to mix numbers and strings, as in "
	    "dst_port = (53, \"5353\"), or quote every value");
}

static void
test_errors_verdicts(void)
{
	rule_error("verdict missing",
	    "{ name = \"r\";\n"
	    "  dst_port = 22; }", 3,
	    "rule \"r\": needs a verdict (accept, drop, repeat, queue or "
	    "continue)");
	rule_error("unknown verdict",
	    "{ name = \"r\"; verdict = \"reject\"; }", 3,
	    "rule \"r\": verdict: \"reject\" is not one of \"accept\", "
	    "\"drop\", \"repeat\", \"queue\" or \"continue\"");
	rule_error("queue without queue",
	    "{ name = \"r\";\n"
	    "  dst_port = 22;\n"
	    "  verdict = \"queue\";\n"
	    "}", 5,
	    "rule \"r\": verdict \"queue\" needs queue = N, the queue to send "
	    "packets to");
	rule_error("queue to a served queue",
	    "{ name = \"r\";\n"
	    "  verdict = \"queue\";\n"
	    "  queue = 1; }", 5,
	    "rule \"r\": queue: queue 1 is served by this nfqd (queues 0 to 1): "
	    "the packet would come straight back");
	rule_error("queue out of range",
	    "{ name = \"r\"; verdict = \"queue\"; queue = 70000; }", 3,
	    "rule \"r\": queue: 70000 is out of range (0 to 65535)");
	rule_error("queue with drop",
	    "{ name = \"r\";\n"
	    "  verdict = \"drop\";\n"
	    "  queue = 5; }", 5,
	    "rule \"r\": queue: only verdict \"queue\" sends to a queue");
	rule_error("repeat without mark",
	    "{ name = \"r\";\n"
	    "  verdict = \"repeat\";\n"
	    "}", 4,
	    "rule \"r\": verdict \"repeat\" needs mark = N: the NFQUEUE rule "
	    "must skip packets with that mark, or they loop (see "
	    "docs/rules.md)");
	rule_error("integer mark with drop",
	    "{ name = \"r\";\n"
	    "  verdict = \"drop\";\n"
	    "  mark = 16; }", 5,
	    "rule \"r\": mark: only verdicts \"accept\" and \"repeat\" set a "
	    "mark (to match a mark, write mark = \"value/mask\")");
	rule_error("set_mark with queue",
	    "{ name = \"r\"; verdict = \"queue\"; queue = 9; set_mark = 1; }",
	    3,
	    "rule \"r\": set_mark: only verdicts \"accept\" and \"repeat\" set "
	    "a mark (to match a mark, write mark = \"value/mask\")");
	rule_error("mark value outside mask",
	    "{ name = \"r\"; mark = \"0x11/0x10\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": mark: \"0x11/0x10\": the value has bits outside the "
	    "mask");
	rule_error("mark not a mark",
	    "{ name = \"r\"; mark = \"ten\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": mark: \"ten\" is not a mark \"value/mask\" (such as "
	    "\"0x10/0xff\")");
}

/* Application-layer keys that can never meet in one packet. */
static void
test_errors_never(void)
{
	struct nfqd_config	cf;
	static const char *const ok[] = {
		"{ name = \"r\"; proto = \"udp\"; tls_sni = \"a.example\"; "
		"verdict = \"drop\"; }",
		"{ name = \"r\"; proto = \"tcp\"; dns_qname = \"a.example\"; "
		"verdict = \"drop\"; }",
		"{ name = \"r\"; server_name = \"a.example\"; "
		"http_path = \"/x\"; verdict = \"drop\"; }",
		"{ name = \"r\"; l7 = \"quic\"; alpn = \"h3\"; "
		"verdict = \"drop\"; }",
		"{ name = \"r\"; proto = \"icmp\"; l7 = \"none\"; "
		"verdict = \"drop\"; }",
	};
	size_t			i;

	rule_error("http_host with dns_qname",
	    "{ name = \"r\"; dns_qname = \"b.example\";\n"
	    "http_host = \"a.example\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": dns_qname: never matches with http_host: it reads "
	    "DNS queries, and http_host reads HTTP requests");
	rule_error("tls_sni with http_method",
	    "{ name = \"r\"; tls_sni = \"a.example\"; http_method = \"GET\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": http_method: never matches with tls_sni: it reads "
	    "HTTP requests, and tls_sni reads TLS and QUIC hellos");
	rule_error("l7 quic with http_path",
	    "{ name = \"r\"; l7 = \"quic\"; http_path = \"/x\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": http_path: never matches with l7 = \"quic\": it "
	    "reads HTTP requests, and that is for QUIC flows");
	rule_error("proto udp with l7 tls",
	    "{ name = \"r\"; proto = \"udp\"; l7 = \"tls\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": proto: \"udp\" never carries what l7 = \"tls\" is "
	    "for (TLS flows, over TCP)");
	rule_error("proto udp with http_host",
	    "{ name = \"r\"; proto = \"udp\"; http_host = \"a.example\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": proto: \"udp\" never carries what http_host reads "
	    "(HTTP requests, over TCP)");
	rule_error("proto icmp with tls_sni",
	    "{ name = \"r\"; proto = \"icmp\"; tls_sni = \"a.example\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": proto: \"icmp\" never carries what tls_sni reads "
	    "(TLS and QUIC hellos, over TCP and UDP)");
	for (i = 0; i < NFQD_ARRAY_SIZE(ok); i++)
		if (rules_ok(unit_fmt("keys that meet: %s", ok[i]), &cf,
		    ok[i]))
			nfqd_config_free(&cf);
}

/*
 * Application-layer keys against the rule's ports: DNS is read where a
 * port is 53, and there alone.  Each row: the rule's keys, then the
 * error ("" : it loads, warning or not) and the warning ("" : none).
 */
static void
test_errors_l7ports(void)
{
	static const struct {
		const char	*keys, *error, *warning;
	} rows[] = {
		{ "dns_qname = \"a.example\"; dst_port = 443; "
		  "src_port = \"1024-65535\";",
		  "rule \"r\": dst_port: never matches with dns_qname: it "
		  "reads DNS queries, and nfqd reads those where src_port or "
		  "dst_port is 53, and only there", "" },
		{ "dns_qtype = \"A\"; src_port = [ \"80\", \"!53\" ]; "
		  "dst_port = \"!53\";",
		  "rule \"r\": dst_port: never matches with dns_qtype: it "
		  "reads DNS queries, and nfqd reads those where src_port or "
		  "dst_port is 53, and only there", "" },
		{ "l7 = \"dns\"; dst_port = \"!53\"; src_port = \"54-60\";",
		  "rule \"r\": dst_port: never matches with l7: it reads DNS "
		  "messages, and nfqd reads those where src_port or dst_port "
		  "is 53, and only there", "" },
		{ "tls_sni = \"a.example\"; dst_port = 53;",
		  "rule \"r\": dst_port: never matches with tls_sni: it reads "
		  "TLS and QUIC hellos, and what goes to port 53 nfqd reads "
		  "as DNS alone", "" },
		{ "server_name = \"a.example\"; dst_port = [ 53, 53 ]; "
		  "src_port = 40000;",
		  "rule \"r\": dst_port: never matches with server_name: it "
		  "reads TLS and QUIC hellos and HTTP requests, and what goes "
		  "to port 53 nfqd reads as DNS alone", "" },
		{ "http_host = \"a.example\"; dst_port = \"53-53\";",
		  "rule \"r\": dst_port: never matches with http_host: it "
		  "reads HTTP requests, and what goes to port 53 nfqd reads as "
		  "DNS alone", "" },
		/* answers alone */
		{ "dns_qname = \"a.example\"; dst_port = 443;", "",
		  "warning: rule \"r\": dst_port: DNS queries go to port 53, "
		  "so the rule matches answers from port 53 alone (write "
		  "src_port = 53 to say so)" },
		{ "dns_qname = \"a.example\"; dst_port = \"!53\";", "",
		  "warning: rule \"r\": dst_port: DNS queries go to port 53, "
		  "so the rule matches answers from port 53 alone (write "
		  "src_port = 53 to say so)" },
		/* they meet */
		{ "dns_qname = \"a.example\"; dst_port = 443; "
		  "src_port = 53;", "", "" },
		{ "dns_qname = \"a.example\"; dst_port = [ 53, 853 ];", "",
		  "" },
		{ "dns_qname = \"a.example\"; src_port = \"!53\";", "", "" },
		{ "dns_qname = \"a.example\"; dst_port = \"1-100\";", "",
		  "" },
		{ "tls_sni = \"a.example\"; dst_port = [ 53, 443 ];", "", "" },
		{ "tls_sni = \"a.example\"; dst_port = \"53-54\";", "", "" },
		{ "tls_sni = \"a.example\"; dst_port = \"!53\";", "", "" },
		{ "tls_sni = \"a.example\"; dst_port = [ \"0-53\", \"!1-53\" ];",
		  "", "" },
		{ "http_host = \"a.example\"; dst_port = [ \"50-60\", "
		  "\"!50-52\", \"!54-60\", \"65535\" ];", "", "" },
		{ "l7 = \"none\"; dst_port = 53;", "", "" },
		{ "http_host = \"a.example\"; src_port = 53;", "", "" },
		{ "tls_sni = \"a.example\"; src_port = 53; dst_port = 443;",
		  "", "" },
		{ "l7 = \"none\"; dst_port = 443;", "", "" },
		{ "dst_port = 53; proto = \"udp\";", "", "" },
	};
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			text[4096], path[PATH_MAX];
	size_t			i;
	int			r;

	for (i = 0; i < NFQD_ARRAY_SIZE(rows); i++) {
		snprintf(text, sizeof(text), HEAD "{ name = \"r\"; %s "
		    "verdict = \"drop\"; }" TAIL, rows[i].keys);
		if (rows[i].error[0] != '\0') {
			expect_error(unit_fmt("ports: %s", rows[i].keys), text,
			    3, rows[i].error);
			continue;
		}
		r = load(&cf, text, &rs, path, sizeof(path));
		CHECKF(r == 0, unit_fmt("ports: %s: loads", rows[i].keys),
		    "returned %d, \"%s\"", r, rs.n > 0 ? rs.r[0].msg : "");
		if (r == 0)
			nfqd_config_free(&cf);
		if (rows[i].warning[0] == '\0') {
			CHECK_INT_EQ(rs.n, 0, unit_fmt("ports: %s: no warning",
			    rows[i].keys));
			continue;
		}
		CHECK_INT_EQ(rs.n, 1, unit_fmt("ports: %s: one warning",
		    rows[i].keys));
		if (rs.n >= 1) {
			CHECK_STR_EQ(rs.r[0].msg, rows[i].warning,
			    unit_fmt("ports: %s: warning", rows[i].keys));
			CHECK_INT_EQ(rs.r[0].line, 3, unit_fmt("ports: %s: "
			    "line", rows[i].keys));
		}
	}
}

static void
test_errors_l4(void)
{
	rule_error("tcp_flags with udp",
	    "{ name = \"r\"; proto = \"udp\"; tcp_flags = \"syn\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": tcp_flags: needs proto \"tcp\", not \"udp\"");
	rule_error("tcp_flags unknown flag",
	    "{ name = \"r\"; tcp_flags = \"syn,foo\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": tcp_flags: \"foo\" in \"syn,foo\" is not a TCP flag "
	    "(fin syn rst psh ack urg ece cwr, \"!\" for unset)");
	rule_error("tcp_flags repeated",
	    "{ name = \"r\"; tcp_flags = \"syn,!syn\"; verdict = \"drop\"; }",
	    3, "rule \"r\": tcp_flags: \"syn,!syn\" names syn twice");
	rule_error("icmp_type with tcp",
	    "{ name = \"r\"; proto = \"tcp\"; icmp_type = 8; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": icmp_type: needs proto \"icmp\" or \"icmpv6\", not "
	    "\"tcp\"");
}

static void
test_errors_rate(void)
{
	static const char *const bad[] = { "5/x", "abc", "5/", "/s", "5/ss" };
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rule_error(unit_fmt("rate \"%s\"", bad[i]),
		    unit_fmt("{ name = \"r\"; rate = \"%s\"; "
		    "verdict = \"drop\"; }", bad[i]), 3,
		    unit_fmt("rule \"r\": rate: \"%s\" is not a rate \"N/s\", "
		    "\"N/m\" or \"N/h\"", bad[i]));
	rule_error("rate 0/s",
	    "{ name = \"r\"; rate = \"0/s\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": rate: \"0/s\": the rate must be 1 to 10000000 per "
	    "unit");
	rule_error("rate 10000001/s",
	    "{ name = \"r\"; rate = \"10000001/s\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": rate: \"10000001/s\": the rate must be 1 to 10000000 "
	    "per unit");
	rule_error("burst without rate",
	    "{ name = \"r\";\n"
	    "  burst = 5;\n"
	    "  verdict = \"drop\"; }", 4,
	    "rule \"r\": burst: needs rate = \"N/s\"");
	rule_error("burst 0",
	    "{ name = \"r\"; rate = \"1/s\"; burst = 0; verdict = \"drop\"; }", 3,
	    "rule \"r\": burst: 0 is out of range (1 to 10000000)");
	rule_error("per without rate",
	    "{ name = \"r\";\n"
	    "  per = \"src\";\n"
	    "  verdict = \"drop\"; }", 4,
	    "rule \"r\": per: needs rate = \"N/s\"");
	rule_error("per bogus",
	    "{ name = \"r\"; rate = \"1/s\"; per = \"bogus\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": per: \"bogus\" is not one of \"rule\", \"src\", "
	    "\"dst\" or \"flow\"");
}

static void
test_errors_names(void)
{
	struct nfqd_config	 cf;
	struct unit_reports	 rs;
	char			 path[PATH_MAX], inc[PATH_MAX], longname[80];
	int			 r;

	rule_error("name with a space",
	    "{ name = \"a b\"; verdict = \"drop\"; }", 3,
	    "rule #1: name: \"a b\" must be 1 to 63 printable characters "
	    "without spaces or quotes");
	rule_error("empty name",
	    "{ name = \"\"; verdict = \"drop\"; }", 3,
	    "rule #1: name: \"\" must be 1 to 63 printable characters "
	    "without spaces or quotes");
	/* rule="_other" in nfqctl metrics is the sum past --max-rules. */
	rule_error("name _other",
	    "{ name = \"a\"; verdict = \"drop\"; },\n"
	    "{ name = \"_other\"; verdict = \"drop\"; }", 4,
	    "rule #2: name: \"_other\" begins with \"_\": such names are kept "
	    "for nfqd (nfqctl metrics sums the rules past --max-rules as "
	    "rule=\"_other\")");
	rule_error("name beginning with _",
	    "{\n\tname = \"_x\";\n\tverdict = \"drop\";\n}", 4,
	    "rule #1: name: \"_x\" begins with \"_\": such names are kept "
	    "for nfqd (nfqctl metrics sums the rules past --max-rules as "
	    "rule=\"_other\")");
	if (rules_ok("name with _ inside", &cf,
	    "{ name = \"web_in_\"; verdict = \"drop\"; }")) {
		CHECK_STR_EQ(cf.rules->rules[0].name, "web_in_",
		    "name with _ inside kept");
		nfqd_config_free(&cf);
	}
	memset(longname, 'n', 64);
	longname[64] = '\0';
	rule_error("name of 64 characters",
	    unit_fmt("{ name = \"%s\"; verdict = \"drop\"; }", longname), 3,
	    unit_fmt("rule #1: name: \"%s\" must be 1 to 63 printable "
	    "characters without spaces or quotes", longname));
	longname[63] = '\0';
	if (rules_ok("name of 63 characters", &cf,
	    unit_fmt("{ name = \"%s\"; verdict = \"drop\"; }", longname))) {
		CHECK_STR_EQ(cf.rules->rules[0].name, longname,
		    "name of 63 characters kept");
		nfqd_config_free(&cf);
	}
	rule_error("duplicate names",
	    "{ name = \"x\"; verdict = \"drop\"; },\n"
	    "{ name = \"y\"; verdict = \"drop\"; },\n"
	    "{ name = \"x\"; verdict = \"accept\"; }", 5,
	    "rule \"x\": the name is taken by the rule at line 3");
	rule_error("explicit name equal to a default one",
	    "{ verdict = \"drop\"; },\n"
	    "{ name = \"rule1\"; verdict = \"accept\"; }", 4,
	    "rule \"rule1\": the name is taken by the rule at line 3");
	rule_error("rule that is not a group",
	    "5", 3, "rule #1: must be a group { name = ...; ... }");
	expect_error("rules not a list",
	    "queue = { balance = \"0:1\"; };\n"
	    "rules = { };\n", 2,
	    "rules: must be a list: rules = ( { ... }, { ... } );");

	/* Duplicates in an included file are reported in that file. */
	if (write_file("dup.rules",
	    "rules = (\n"
	    "  { name = \"x\"; verdict = \"drop\"; },\n"
	    "  { name = \"x\"; verdict = \"accept\"; }\n"
	    ");\n", inc, sizeof(inc)) == -1) {
		CHECK(0, "writing dup.rules");
		return;
	}
	r = load(&cf, "queue = { balance = \"0:1\"; };\n"
	    "@include \"dup.rules\"\n", &rs, path, sizeof(path));
	CHECKF(r == 1 && rs.n == 1, "included duplicate: one problem",
	    "returned %d, %d reported", r, rs.n);
	if (r == 0)
		nfqd_config_free(&cf);
	if (rs.n >= 1) {
		CHECK_STR_EQ(rs.r[0].msg, "rule \"x\": the name is taken by "
		    "the rule at line 2", "included duplicate: message");
		CHECK_INT_EQ(rs.r[0].line, 3, "included duplicate: line");
		CHECK_STR_EQ(rs.r[0].file, inc,
		    "included duplicate: names the included file");
	}
}

static void
test_ja4_key(void)
{
	struct nfqd_config	cf;

	rule_error("tls_ja4 too short",
	    "{ name = \"r\"; tls_ja4 = \"t13d1516h2_8daaf6152771\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": tls_ja4: \"t13d1516h2_8daaf6152771\" is not a JA4 "
	    "fingerprint (36 characters: t13d1516h2_8daaf6152771_e5627efa2ab1)");
	rule_error("tls_ja4 in a list, one wrong",
	    "{ name = \"r\"; tls_ja4 = [\"t13d1516h2_8daaf6152771_e5627efa2ab1\","
	    " \"x13d1516h2_8daaf6152771_e5627efa2ab1\"]; verdict = \"drop\"; }",
	    3, "rule \"r\": tls_ja4: \"x13d1516h2_8daaf6152771_e5627efa2ab1\" "
	    "is not a JA4 fingerprint (36 characters: "
	    "t13d1516h2_8daaf6152771_e5627efa2ab1)");
	rule_error("tls_ja4 naming no set",
	    "{ name = \"r\"; tls_ja4 = \"@fp\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": tls_ja4: \"@fp\": no name set \"fp\" (name_sets = "
	    "( { name = \"fp\"; file = ...; } ))");
	rule_error("tls_ja4 empty list",
	    "{ name = \"r\"; tls_ja4 = []; verdict = \"drop\"; }", 3,
	    "rule \"r\": tls_ja4: an empty list matches nothing");
	if (rules_ok("tls_ja4 list", &cf,
	    "{ name = \"r\"; tls_ja4 = [\"t13d1516h2_8daaf6152771_e5627efa2ab1\","
	    " \"Q13I0000BD_000000000000_000000000000\"]; verdict = \"drop\"; }"))
	    {
		CHECK(cf.rules->rules[0].matchers == NFQD_M_JA4 &&
		    cf.rules->rules[0].flow == 1 && cf.rules->l7,
		    "tls_ja4: its matcher, decides the flow, reads layer 7");
		nfqd_config_free(&cf);
	}
}

/* http_path values that could never match the path http.c leaves. */
static void
test_path_key(void)
{
	struct nfqd_config	cf;

	rule_error("http_path with a path parameter",
	    "{ name = \"r\"; http_path = \"/a;x/admin\"; verdict = \"drop\"; }",
	    3, "rule \"r\": http_path: \"/a;x/admin\" has a \";\" before its "
	    "query, if any: nfqd takes path parameters out (\"/a;x/b\" is "
	    "\"/a/b\")");
	rule_error("http_path ; last, in a list",
	    "{ name = \"r\"; http_path = [\"/admin\",\n"
	    "  \"/app;jsessionid=\"]; verdict = \"drop\"; }", 3,
	    "rule \"r\": http_path: \"/app;jsessionid=\" has a \";\" before "
	    "its query, if any: nfqd takes path parameters out (\"/a;x/b\" is "
	    "\"/a/b\")");
	rule_error("http_path ; before a query",
	    "{ name = \"r\"; http_path = \"/;x?q\"; verdict = \"drop\"; }", 3,
	    "rule \"r\": http_path: \"/;x?q\" has a \";\" before its query, "
	    "if any: nfqd takes path parameters out (\"/a;x/b\" is \"/a/b\")");
	rule_error("http_path past 64 bytes once %-escaped",
	    "{ name = \"r\"; http_path = \"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\"; "
	    "verdict = \"drop\"; }", 3, "rule \"r\": http_path: "
	    "\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\" is "
	    "longer than the 64 bytes of a path nfqd keeps, its bytes past "
	    "ASCII %-escaped");
	if (rules_ok("http_path ; in the query", &cf,
	    "{ name = \"r\"; http_path = \"/a?b;c\"; verdict = \"drop\"; }")) {
		CHECK(cf.rules->rules[0].matchers == NFQD_M_PATH,
		    "http_path ; in the query: its matcher");
		nfqd_config_free(&cf);
	}
}

static void
test_warnings(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, HEAD "{ name = \"r\";\n"
	    "  in_iface = \"nfqdnosuch9\";\n"
	    "  verdict = \"drop\"; }" TAIL, &rs, path, sizeof(path));
	CHECK_INT_EQ(r, 0, "unknown in_iface: not an error");
	CHECK_INT_EQ(rs.n, 1, "unknown in_iface: one warning");
	if (rs.n >= 1) {
		CHECK_STR_EQ(rs.r[0].msg, "warning: rule \"r\": in_iface: no "
		    "interface \"nfqdnosuch9\" now; the rule matches once it "
		    "exists", "unknown in_iface: message");
		CHECK_INT_EQ(rs.r[0].line, 4, "unknown in_iface: line");
		CHECK_STR_EQ(rs.r[0].file, path, "unknown in_iface: file");
	}
	if (r == 0) {
		CHECK(cf.rules != NULL && cf.rules->n == 1 &&
		    (cf.rules->rules[0].matchers & NFQD_M_IN) &&
		    strcmp(cf.rules->rules[0].in.name, "nfqdnosuch9") == 0,
		    "unknown in_iface: the rule is loaded");
		nfqd_config_free(&cf);
	}

	/*
	 * Each rule on a missing name warns, the name asked of the kernel
	 * once a load (rulekeys.c): repeated, alternated with a name there
	 * ("lo") and with more names than the load remembers (64).
	 */
	r = load(&cf, HEAD
	    "{ name = \"a\"; in_iface = \"nfqdnosuch9\"; verdict = \"drop\"; },\n"
	    "{ name = \"b\"; out_iface = \"lo\"; verdict = \"drop\"; },\n"
	    "{ name = \"c\"; in_iface = \"!nfqdnosuch9\"; verdict = \"drop\"; },\n"
	    "{ name = \"d\"; in_iface = \"lo\"; verdict = \"drop\"; },\n"
	    "{ name = \"e\"; out_iface = \"nfqdnosuch9\"; verdict = \"drop\"; }"
	    TAIL, &rs, path, sizeof(path));
	CHECK_INT_EQ(r, 0, "repeated unknown iface: loads");
	CHECKF(rs.n == 3 && rs.r[0].line == 3 && rs.r[1].line == 5 &&
	    rs.r[2].line == 7 && strcmp(rs.r[2].msg, "warning: rule \"e\": "
	    "out_iface: no interface \"nfqdnosuch9\" now; the rule matches "
	    "once it exists") == 0, "repeated unknown iface: each rule warns",
	    "%d warnings, last \"%s\"", rs.n, rs.n > 0 ? rs.r[rs.n - 1].msg :
	    "");
	if (r == 0)
		nfqd_config_free(&cf);
	{
		struct nfqd_buf	b;
		unsigned	i;

		buf_init(&b);
		buf_printf(&b, HEAD);
		/* 93 rules on 82 missing names, under the 100 warnings
		 * a load shows. */
		for (i = 0; i < 140; i++)
			if (i % 3 == 0)
				buf_printf(&b, "{ name = \"r%u\"; in_iface = "
				    "\"lo\"; verdict = \"drop\"; },\n", i);
			else
				buf_printf(&b, "{ name = \"r%u\"; in_iface = "
				    "\"nfqdno%u\"; verdict = \"drop\"; },\n",
				    i, i % 107);
		buf_printf(&b, "{ name = \"z\"; verdict = \"drop\"; }" TAIL);
		r = b.failed ? -1 : load(&cf, b.data, &rs, path, sizeof(path));
		buf_free(&b);
		CHECKF(r == 0 && rs.n == 93, "many unknown ifaces: each rule "
		    "warns", "returned %d, %d warnings", r, rs.n);
		if (r == 0)
			nfqd_config_free(&cf);
	}

	/* A prefix is never checked. */
	r = load(&cf, HEAD "{ name = \"r\"; out_iface = \"nfqdnosuch+\"; "
	    "verdict = \"drop\"; }" TAIL, &rs, path, sizeof(path));
	CHECK(r == 0 && rs.n == 0, "out_iface prefix: no warning");
	if (r == 0)
		nfqd_config_free(&cf);

	/* uid and gid turn queue.uid_gid on. */
	if (rules_ok("uid rule", &cf,
	    "{ name = \"u\"; uid = 1000; verdict = \"accept\"; }")) {
		CHECK(cf.uid_gid, "uid rule turns uid_gid on");
		nfqd_config_free(&cf);
	}
	if (rules_ok("gid rule", &cf,
	    "{ name = \"g\"; gid = \"100-200\"; verdict = \"accept\"; }")) {
		CHECK(cf.uid_gid, "gid rule turns uid_gid on");
		nfqd_config_free(&cf);
	}
	if (rules_ok("no uid rule", &cf,
	    "{ name = \"n\"; dst_port = 1; verdict = \"accept\"; }")) {
		CHECK(!cf.uid_gid, "no uid/gid rule leaves uid_gid off");
		nfqd_config_free(&cf);
	}
	r = load(&cf, "queue = {\n"
	    "  balance = \"0:1\";\n"
	    "  uid_gid = false;\n"
	    "};\n"
	    "rules = ( { name = \"u\"; uid = 0; verdict = \"accept\"; } );\n",
	    &rs, path, sizeof(path));
	CHECK_INT_EQ(r, 0, "uid_gid = false with a uid rule: not an error");
	CHECK_INT_EQ(rs.n, 1, "uid_gid = false with a uid rule: one warning");
	if (rs.n >= 1) {
		CHECK_STR_EQ(rs.r[0].msg, "warning: queue.uid_gid: turned on: "
		    "rules match on uid or gid", "uid_gid warning: message");
		CHECK_INT_EQ(rs.r[0].line, 3, "uid_gid warning: line");
		CHECK_STR_EQ(rs.r[0].file, path, "uid_gid warning: file");
	}
	if (r == 0) {
		CHECK(cf.uid_gid, "uid_gid = false overridden by a uid rule");
		nfqd_config_free(&cf);
	}
}

/* copy_range = "auto": from what the rules look at. */
static void
test_copy_auto(void)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	if (expect_ok("auto, no rules", &cf,
	    "queue = { balance = \"0:1\"; copy_range = \"auto\"; };\n")) {
		CHECK(cf.copy_auto && cf.copy_range == 64 && !cf.parse,
		    "auto, no rules: 64 bytes, no parsing");
		nfqd_config_free(&cf);
	}
	if (expect_ok("auto, metadata rules only", &cf,
	    "queue = { balance = \"0:1\"; copy_range = \"auto\"; };\n"
	    "rules = ( { name = \"m\"; mark = \"0x1/0x1\"; "
	    "verdict = \"drop\"; } );\n")) {
		CHECK(cf.copy_range == 64 && !cf.parse,
		    "auto, metadata rules: 64 bytes, no parsing");
		nfqd_config_free(&cf);
	}
	r = load(&cf, "queue = { balance = \"0:1\";\n"
	    "  copy_range = \"auto\"; };\n"
	    "rules = ( { name = \"d\"; dst_port = 22; verdict = \"drop\"; } );\n",
	    &rs, path, sizeof(path));
	CHECKF(r == 0 && rs.n == 0, "auto, header rules: no warning",
	    "returned %d, %d reports", r, rs.n);
	if (r == 0) {
		CHECK(cf.copy_range == 256 && cf.parse,
		    "auto, header rules: 256 bytes, parsed");
		nfqd_config_free(&cf);
	}
	r = load(&cf, "queue = { balance = \"0:1\"; copy_range = \"auto\"; };\n"
	    "rules = ( { name = \"d\"; dst_port = 22; verdict = \"drop\"; } );\n"
	    "truncated_verdict = \"accept\";\n", &rs, path, sizeof(path));
	CHECKF(r == 0 && rs.n == 1, "auto, truncated accept: one warning",
	    "returned %d, %d reports", r, rs.n);
	if (r == 0)
		nfqd_config_free(&cf);
	if (rs.n == 1) {
		CHECK_INT_EQ(rs.r[0].line, 3, "auto, truncated accept: warning "
		    "line");
		CHECK_STR_EQ(rs.r[0].msg, "warning: truncated_verdict \"accept\": "
		    "a packet whose headers are longer than queue.copy_range "
		    "(256 bytes) passes the rules that depend on what was cut; "
		    "where the rules are a security boundary, keep \"drop\"",
		    "auto, truncated accept: warning text");
	}
	if (expect_ok("auto, no header rules, malformed drop", &cf,
	    "queue = { balance = \"0:1\"; copy_range = \"auto\"; };\n"
	    "rules = ( { name = \"f\"; family = \"ipv6\"; verdict = \"drop\"; } );\n"
	    "malformed_verdict = \"drop\";\n")) {
		CHECK(cf.copy_range == 64 && !cf.parse,
		    "auto, family rule only: the family comes with the "
		    "metadata, nothing is parsed");
		nfqd_config_free(&cf);
	}
	if (expect_ok("65535, no rules", &cf,
	    "queue = { balance = \"0:1\"; };\n")) {
		CHECK(cf.copy_range == 65535 && !cf.parse,
		    "65535, no rules: not parsed (nothing depends on it)");
		nfqd_config_free(&cf);
	}
	expect_error("copy_range \"big\"",
	    "queue = { balance = \"0:1\"; copy_range = \"big\"; };\n", 1,
	    "queue.copy_range: \"big\" is neither \"auto\" nor a number of "
	    "bytes (0 to 65535)");
}

static void
test_copy_range(void)
{
	struct nfqd_config	cf;

	expect_error("copy_range 0 with dst_port",
	    "queue = {\n"
	    "  balance = \"0:1\";\n"
	    "  copy_range = 0;\n"
	    "};\n"
	    "rules = (\n"
	    "  { name = \"m\"; mark = \"0x1/0x1\"; verdict = \"drop\"; },\n"
	    "  { name = \"d\"; dst_port = 22; verdict = \"drop\"; }\n"
	    ");\n", 3,
	    "queue.copy_range: 0 copies no packet bytes, but rule \"d\" "
	    "(line 7) looks at the headers");
	expect_error("copy_range 0 with a per-src rate",
	    "queue = { balance = \"0:1\"; copy_range = 0; };\n"
	    "rules = (\n"
	    "  { name = \"k\"; rate = \"1/s\"; per = \"src\"; "
	    "verdict = \"drop\"; }\n"
	    ");\n", 1,
	    "queue.copy_range: 0 copies no packet bytes, but rule \"k\" "
	    "(line 3) looks at the headers");
	if (expect_ok("copy_range 0 with metadata rules", &cf,
	    "queue = { balance = \"0:1\"; copy_range = 0; };\n"
	    "rules = (\n"
	    "  { name = \"m\"; mark = \"0x1/0x1\"; verdict = \"drop\"; },\n"
	    "  { name = \"u\"; uid = \"1000-2000\"; verdict = \"accept\"; },\n"
	    "  { name = \"i\"; in_iface = \"lo\"; verdict = \"accept\"; },\n"
	    "  { name = \"f\"; family = \"ipv6\"; rate = \"5/s\"; "
	    "verdict = \"drop\"; }\n"
	    ");\n")) {
		CHECK(cf.copy_range == 0 && cf.rules != NULL &&
		    cf.rules->n == 4, "copy_range 0: metadata rules loaded");
		nfqd_config_free(&cf);
	}
	test_copy_auto();
}

/* One warning and no error: msg at line. */
static void
expect_warning(const char *name, const char *text, int line, const char *msg)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, text, &rs, path, sizeof(path));
	CHECKF(r == 0 && rs.n == 1, unit_fmt("%s: one warning", name),
	    "returned %d, %d reported, first \"%s\"", r, rs.n,
	    rs.n > 0 ? rs.r[0].msg : "");
	if (r == 0)
		nfqd_config_free(&cf);
	if (rs.n >= 1) {
		CHECK_INT_EQ(rs.r[0].line, line, unit_fmt("%s: line", name));
		CHECK_STR_EQ(rs.r[0].msg, msg, unit_fmt("%s: text", name));
	}
}

/*
 * A copy range too small for the headers the rules read is refused or
 * warned about at -t, whatever its value; "auto" holds them.
 */
static void
test_copy_warnings(void)
{
	struct nfqd_config	cf;

	expect_warning("copy 64, port rule",
	    "queue = { balance = \"0:1\"; copy_range = 64; };\n" PORT_RULE, 1,
	    "warning: queue.copy_range: 64 bytes hold IPv4 headers with all "
	    "40 bytes of options and IPv6 headers with 20 bytes of extension "
	    "headers in front of what the rules read; a packet with longer "
	    "headers gets truncated_verdict \"drop\" when a rule depends on "
	    "what was cut (\"auto\" copies 256 bytes)");
	expect_warning("copy 128, flags rule",
	    "queue = { balance = \"0:1\"; copy_range = 128; };\n"
	    "rules = ( { name = \"f\"; tcp_flags = \"syn\"; verdict = "
	    "\"drop\"; } );\n", 1,
	    "warning: queue.copy_range: 128 bytes hold IPv4 headers with all "
	    "40 bytes of options and IPv6 headers with 74 bytes of extension "
	    "headers in front of what the rules read; a packet with longer "
	    "headers gets truncated_verdict \"drop\" when a rule depends on "
	    "what was cut (\"auto\" copies 256 bytes)");
	expect_warning("copy 40, port rule",
	    "queue = { balance = \"0:1\"; copy_range = 40; };\n" PORT_RULE, 1,
	    "warning: queue.copy_range: 40 bytes cannot hold an IPv6 header "
	    "and the transport header bytes the rules read (44 bytes): such "
	    "packets get truncated_verdict \"drop\" when a rule depends on what "
	    "was cut");
	expect_warning("copy 256, truncated accept",
	    "queue = { balance = \"0:1\"; copy_range = 256; };\n" PORT_RULE
	    "truncated_verdict = \"accept\";\n", 3,
	    "warning: truncated_verdict \"accept\": a packet whose headers are "
	    "longer than queue.copy_range (256 bytes) passes the rules that "
	    "depend on what was cut; where the rules are a security boundary, "
	    "keep \"drop\"");
	expect_error("copy 23, port rule",
	    "queue = { balance = \"0:1\"; copy_range = 23; };\n" PORT_RULE, 1,
	    "queue.copy_range: 23 bytes cannot hold an IPv4 header and the 4 "
	    "bytes of transport header the rules read (24 bytes)");
	if (expect_ok("copy 64, address rules only", &cf,
	    "queue = { balance = \"0:1\"; copy_range = 64; };\n"
	    "rules = ( { name = \"s\"; src = \"fd00::/8\"; verdict = "
	    "\"drop\"; } );\n"))
		nfqd_config_free(&cf);
	if (expect_ok("copy 256, port rule", &cf,
	    "queue = { balance = \"0:1\"; copy_range = 256; };\n" PORT_RULE))
		nfqd_config_free(&cf);

	/* On IPv6 these numbers are extension headers nfqd reads past. */
	rule_error("proto ah, ipv6",
	    "{ name = \"r\"; proto = \"ah\"; family = \"ipv6\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": proto: ah is an IPv6 extension header, which nfqd "
	    "reads past to the transport protocol: the rule can never match");
	rule_error("proto 60, ipv6 source",
	    "{ name = \"r\"; proto = 60; src = \"fd00::/8\"; "
	    "verdict = \"drop\"; }", 3,
	    "rule \"r\": proto: 60 is an IPv6 extension header, which nfqd "
	    "reads past to the transport protocol: the rule can never match");
	expect_warning("proto ah, any family", HEAD "{ name = \"r\"; proto = "
	    "\"ah\"; verdict = \"drop\"; }" TAIL, 3,
	    "warning: rule \"r\": proto: ah matches IPv4 packets only: on IPv6 "
	    "it is an extension header, which nfqd reads past to the transport "
	    "protocol (add family = \"ipv4\" to say so)");
	if (rules_ok("proto ah, ipv4", &cf, "{ name = \"r\"; proto = \"ah\"; "
	    "family = \"ipv4\"; verdict = \"drop\"; }"))
		nfqd_config_free(&cf);
}

static bool
cidr_is(const struct nfqd_cidr *c, int family, const char *addr, int plen,
    int neg)
{
	uint8_t	a[16] = { 0 };

	if (inet_pton(family, addr, a) != 1)
		return false;
	return c->family == family && c->plen == plen && c->neg == neg &&
	    memcmp(c->addr, a, family == AF_INET ? 4 : 16) == 0;
}

static void
test_example(void)
{
	struct nfqd_config		 cf;
	const struct nfqd_ruleset	*rs;
	const struct nfqd_rule		*r;
	const struct nfqd_prange	*p;
	uint32_t			 all = 0, i;

	if (!expect_ok("example set", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "rules = (\n"
	    "  { name = \"no-telnet\"; proto = \"tcp\"; dst_port = 23; "
	    "verdict = \"drop\"; },\n"
	    "  { name = \"lan-dns\"; src = [\"10.0.0.0/8\", \"fd00::/8\"]; "
	    "proto = \"udp\"; dst_port = (53, \"5353\"); verdict = \"accept\"; "
	    "mark = 0x10; },\n"
	    "  { name = \"web-in\"; dst = \"192.0.2.0/24\"; proto = \"tcp\"; "
	    "dst_port = \"80-443\"; tcp_flags = \"syn,!ack\"; "
	    "in_iface = \"lo\"; verdict = \"repeat\"; mark = 0x2; },\n"
	    "  { name = \"icmp-limit\"; proto = \"icmp\"; icmp_type = 8; "
	    "rate = \"100/s\"; burst = 200; per = \"src\"; "
	    "verdict = \"drop\"; },\n"
	    "  { name = \"to-ids\"; uid = 1000; verdict = \"queue\"; "
	    "queue = 10; },\n"
	    "  { name = \"audit\"; dst_port = 22; verdict = \"continue\"; }\n"
	    ");\n"))
		return;
	rs = cf.rules;
	if (!CHECK(rs != NULL && rs->n == 6, "example: 6 rules")) {
		nfqd_config_free(&cf);
		return;
	}
	for (i = 0; i < rs->n; i++) {
		r = &rs->rules[i];
		CHECK_INT_EQ(r->line, 3 + (int)i,
		    unit_fmt("example: rule %u line", i));
		CHECK_UINT_EQ(r->logslot, NFQD_NONE,
		    unit_fmt("example: rule %u logslot none", i));
		CHECK_UINT_EQ(r->cell, NFQD_NONE,
		    unit_fmt("example: rule %u cell none", i));
		all |= r->matchers;
	}

	r = &rs->rules[0];
	CHECK_STR_EQ(r->name, "no-telnet", "no-telnet: name");
	CHECK_UINT_EQ(r->matchers, NFQD_M_PROTO | NFQD_M_DPORT,
	    "no-telnet: matchers");
	CHECK_UINT_EQ(r->proto, IPPROTO_TCP, "no-telnet: proto");
	CHECK_UINT_EQ(r->dport_n, 1, "no-telnet: one port");
	p = &rs->ports[r->dport_off];
	CHECK(p->lo == 23 && p->hi == 23 && !p->neg, "no-telnet: port 23");
	CHECK_UINT_EQ(r->action, NFQD_VERDICT_DROP, "no-telnet: drop");
	CHECK(!r->has_setmark, "no-telnet: no mark");

	r = &rs->rules[1];
	CHECK_STR_EQ(r->name, "lan-dns", "lan-dns: name");
	CHECK_UINT_EQ(r->matchers, NFQD_M_SRC | NFQD_M_PROTO | NFQD_M_DPORT,
	    "lan-dns: matchers");
	CHECK_UINT_EQ(r->proto, IPPROTO_UDP, "lan-dns: proto");
	if (CHECK_UINT_EQ(r->src_n, 2, "lan-dns: two prefixes")) {
		CHECK(cidr_is(&rs->cidrs[r->src_off], AF_INET, "10.0.0.0", 8, 0),
		    "lan-dns: 10.0.0.0/8");
		CHECK(cidr_is(&rs->cidrs[r->src_off + 1], AF_INET6, "fd00::", 8,
		    0), "lan-dns: fd00::/8");
	}
	if (CHECK_UINT_EQ(r->dport_n, 2, "lan-dns: two ports")) {
		p = &rs->ports[r->dport_off];
		CHECK(p[0].lo == 53 && p[0].hi == 53 && !p[0].neg,
		    "lan-dns: port 53");
		CHECK(p[1].lo == 5353 && p[1].hi == 5353 && !p[1].neg,
		    "lan-dns: port \"5353\"");
	}
	CHECK_UINT_EQ(r->action, NFQD_VERDICT_ACCEPT, "lan-dns: accept");
	CHECK(r->has_setmark && r->setmark == 0x10, "lan-dns: sets mark 0x10");

	r = &rs->rules[2];
	CHECK_STR_EQ(r->name, "web-in", "web-in: name");
	CHECK_UINT_EQ(r->matchers, NFQD_M_DST | NFQD_M_PROTO | NFQD_M_DPORT |
	    NFQD_M_TCPFLAGS | NFQD_M_IN, "web-in: matchers");
	CHECK(r->dst_n == 1 && cidr_is(&rs->cidrs[r->dst_off], AF_INET,
	    "192.0.2.0", 24, 0), "web-in: dst 192.0.2.0/24");
	p = &rs->ports[r->dport_off];
	CHECK(r->dport_n == 1 && p->lo == 80 && p->hi == 443 && !p->neg,
	    "web-in: ports 80-443");
	CHECK_UINT_EQ(r->tcp_mask, 0x12, "web-in: tcp_mask");
	CHECK_UINT_EQ(r->tcp_val, 0x02, "web-in: tcp_val");
	CHECK(strcmp(r->in.name, "lo") == 0 && r->in.len == 2 &&
	    !r->in.prefix && !r->in.neg, "web-in: in_iface lo");
	CHECK_UINT_EQ(r->action, NFQD_VERDICT_REPEAT, "web-in: repeat");
	CHECK(r->has_setmark && r->setmark == 0x2, "web-in: sets mark 0x2");

	r = &rs->rules[3];
	CHECK_STR_EQ(r->name, "icmp-limit", "icmp-limit: name");
	CHECK_UINT_EQ(r->matchers, NFQD_M_PROTO | NFQD_M_ICMPTYPE |
	    NFQD_M_RATE, "icmp-limit: matchers");
	CHECK_UINT_EQ(r->proto, IPPROTO_ICMP, "icmp-limit: proto");
	CHECK_UINT_EQ(r->icmp_type, 8, "icmp-limit: icmp_type");
	CHECK_UINT_EQ(r->rate_cost, 10000000ull, "icmp-limit: rate_cost");
	CHECK_UINT_EQ(r->rate_burst, 200ull * 10000000ull,
	    "icmp-limit: rate_burst");
	CHECK_UINT_EQ(r->rate_per, NFQD_PER_SRC, "icmp-limit: per src");
	CHECK_UINT_EQ(r->action, NFQD_VERDICT_DROP, "icmp-limit: drop");

	r = &rs->rules[4];
	CHECK_STR_EQ(r->name, "to-ids", "to-ids: name");
	CHECK_UINT_EQ(r->matchers, NFQD_M_UID, "to-ids: matchers");
	CHECK(r->uid_lo == 1000 && r->uid_hi == 1000, "to-ids: uid 1000");
	CHECK_UINT_EQ(r->action, NFQD_VERDICT_QUEUE, "to-ids: queue");
	CHECK_UINT_EQ(r->queue, 10, "to-ids: queue 10");

	r = &rs->rules[5];
	CHECK_STR_EQ(r->name, "audit", "audit: name");
	CHECK_UINT_EQ(r->matchers, NFQD_M_DPORT, "audit: matchers");
	p = &rs->ports[r->dport_off];
	CHECK(r->dport_n == 1 && p->lo == 22 && p->hi == 22, "audit: port 22");
	CHECK_UINT_EQ(r->action, NFQD_VERDICT_CONTINUE, "audit: continue");

	CHECK_UINT_EQ(rs->ncells, 0, "example: no shared cells");
	CHECK(rs->keyed_rates, "example: keyed rates");
	CHECK_UINT_EQ(rs->nlogs, 0, "example: no log slots");
	CHECK_UINT_EQ(rs->all_matchers, all, "example: all_matchers");
	CHECK(cf.uid_gid, "example: uid rule turns uid_gid on");
	CHECK_INT_EQ(nfqd_rules_find(rs, "web-in"), 2, "example: find web-in");
	CHECK_INT_EQ(nfqd_rules_find(rs, "audit"), 5, "example: find audit");
	CHECK_INT_EQ(nfqd_rules_find(rs, "nope"), -1, "example: find nope");
	nfqd_config_free(&cf);
}

static void
test_rate_parse(void)
{
	struct nfqd_config	cf;
	const struct nfqd_rule	*r;

	if (rules_ok("rate 20/m", &cf,
	    "{ name = \"r\"; rate = \"20/m\"; verdict = \"drop\"; }")) {
		r = &cf.rules->rules[0];
		CHECK_UINT_EQ(r->rate_cost, 3000000000ull, "rate 20/m: cost");
		CHECK_UINT_EQ(r->rate_burst, 60000000000ull,
		    "rate 20/m: default burst is one unit");
		CHECK(r->rate_per == NFQD_PER_RULE && r->cell == 0 &&
		    cf.rules->ncells == 1 && !cf.rules->keyed_rates,
		    "rate 20/m: per rule, cell 0");
		nfqd_config_free(&cf);
	}
	if (rules_ok("rate 10/s burst 5", &cf,
	    "{ name = \"r\"; rate = \"10/s\"; burst = 5; per = \"flow\"; "
	    "verdict = \"drop\"; }")) {
		r = &cf.rules->rules[0];
		CHECK(r->rate_cost == 100000000ull &&
		    r->rate_burst == 500000000ull && r->rate_per == NFQD_PER_FLOW,
		    "rate 10/s burst 5 per flow");
		nfqd_config_free(&cf);
	}
	if (rules_ok("mark value/mask", &cf,
	    "{ name = \"r\"; mark = \"0x10/0xff\"; verdict = \"drop\"; }")) {
		r = &cf.rules->rules[0];
		CHECK(r->matchers == NFQD_M_MARK && r->mark_val == 0x10 &&
		    r->mark_mask == 0xff && !r->has_setmark,
		    "mark \"0x10/0xff\" is a matcher");
		nfqd_config_free(&cf);
	}
}

/* ---- matchers ---- */

static struct nfqd_iftab	*ift;

/* A packet by hand: family from the address, ports for TCP and UDP. */
static void
mkpi(struct nfqd_pkt *p, const char *src, const char *dst,
    uint8_t proto, uint16_t sport, uint16_t dport)
{
	int	af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;

	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)af;
	p->known = NFQD_PKT_K_ALL;
	if (inet_pton(af, src, p->saddr) != 1 ||
	    inet_pton(af, dst, p->daddr) != 1)
		CHECKF(0, "mkpi addresses", "%s, %s", src, dst);
	p->proto = proto;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		p->flags |= NFQD_PKT_F_PORTS;
		p->sport = sport;
		p->dport = dport;
	}
	if (proto == IPPROTO_TCP) {
		p->flags |= NFQD_PKT_F_TCP;
		p->tcp_flags = 0x10;
	}
	p->len = p->iplen = p->caplen = 100;
}

/* The one rule of cf against a packet. */
static bool
m1(const struct nfqd_config *cf, const struct nfqd_pkt *p,
    const struct nfqd_qmsg *m)
{
	return nfqd_rule_match(cf->rules, &cf->rules->rules[0], p, m, ift);
}

/* Check a rule against an address pair (UDP 1000 -> 2000). */
static void
addr_case(const struct nfqd_config *cf, const char *what, const char *src,
    const char *dst, bool want)
{
	struct nfqd_pkt	p;
	struct nfqd_qmsg		m;

	memset(&m, 0, sizeof(m));
	mkpi(&p, src, dst, IPPROTO_UDP, 1000, 2000);
	CHECKF(m1(cf, &p, &m) == want, unit_fmt("%s: %s -> %s %s", what, src,
	    dst, want ? "matches" : "does not match"), "got the opposite");
}

static void
port_case(const struct nfqd_config *cf, const char *what, uint16_t sport,
    uint16_t dport, bool want)
{
	struct nfqd_pkt	p;
	struct nfqd_qmsg		m;

	memset(&m, 0, sizeof(m));
	mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, sport, dport);
	CHECKF(m1(cf, &p, &m) == want, unit_fmt("%s: %u -> %u %s", what,
	    sport, dport, want ? "matches" : "does not match"),
	    "got the opposite");
}

static void
test_match_addrs(void)
{
	struct nfqd_config	cf;

	if (rules_ok("family ipv4", &cf,
	    "{ name = \"r\"; family = \"ipv4\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "family ipv4", "10.0.0.1", "10.0.0.2", true);
		addr_case(&cf, "family ipv4", "2001:db8::1", "2001:db8::2",
		    false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("family ipv6", &cf,
	    "{ name = \"r\"; family = \"ipv6\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "family ipv6", "10.0.0.1", "10.0.0.2", false);
		addr_case(&cf, "family ipv6", "2001:db8::1", "2001:db8::2",
		    true);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src /8", &cf,
	    "{ name = \"r\"; src = \"10.0.0.0/8\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "src 10.0.0.0/8", "10.255.1.2", "192.0.2.1", true);
		addr_case(&cf, "src 10.0.0.0/8", "11.0.0.1", "10.0.0.1", false);
		addr_case(&cf, "src 10.0.0.0/8", "::a00:1", "::a00:2", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src /9", &cf,
	    "{ name = \"r\"; src = \"10.0.0.0/9\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "src 10.0.0.0/9", "10.127.255.255", "1.1.1.1",
		    true);
		addr_case(&cf, "src 10.0.0.0/9", "10.128.0.0", "1.1.1.1", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src /0", &cf,
	    "{ name = \"r\"; src = \"0.0.0.0/0\"; verdict = \"drop\"; }")) {
		CHECK_UINT_EQ(cf.rules->cidrs[0].plen, 0, "src /0: plen");
		addr_case(&cf, "src 0.0.0.0/0", "255.255.255.255", "1.1.1.1",
		    true);
		addr_case(&cf, "src 0.0.0.0/0", "0.0.0.0", "1.1.1.1", true);
		addr_case(&cf, "src 0.0.0.0/0", "2001:db8::1", "2001:db8::2",
		    false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src ::/0", &cf,
	    "{ name = \"r\"; src = \"::/0\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "src ::/0", "2001:db8::1", "2001:db8::2", true);
		addr_case(&cf, "src ::/0", "10.0.0.1", "10.0.0.2", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("dst /32", &cf,
	    "{ name = \"r\"; dst = \"192.0.2.1\"; verdict = \"drop\"; }")) {
		CHECK_UINT_EQ(cf.rules->cidrs[0].plen, 32, "dst address: /32");
		addr_case(&cf, "dst 192.0.2.1", "10.0.0.1", "192.0.2.1", true);
		addr_case(&cf, "dst 192.0.2.1", "10.0.0.1", "192.0.2.2", false);
		addr_case(&cf, "dst 192.0.2.1", "192.0.2.1", "10.0.0.1", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src IPv6 /64", &cf,
	    "{ name = \"r\"; src = \"2001:db8:1:2::/64\"; "
	    "verdict = \"drop\"; }")) {
		addr_case(&cf, "src 2001:db8:1:2::/64", "2001:db8:1:2:ffff::5",
		    "::1", true);
		addr_case(&cf, "src 2001:db8:1:2::/64", "2001:db8:1:3::5", "::1",
		    false);
		addr_case(&cf, "src 2001:db8:1:2::/64", "10.0.0.1", "10.0.0.2",
		    false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("dst IPv6 /128", &cf,
	    "{ name = \"r\"; dst = \"2001:db8::1/128\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "dst 2001:db8::1/128", "::2", "2001:db8::1", true);
		addr_case(&cf, "dst 2001:db8::1/128", "::2", "2001:db8::3", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src list", &cf,
	    "{ name = \"r\"; src = [\"10.0.0.0/8\", \"192.0.2.0/24\", "
	    "\"fd00::/8\"]; verdict = \"drop\"; }")) {
		addr_case(&cf, "src list", "10.9.9.9", "1.1.1.1", true);
		addr_case(&cf, "src list", "192.0.2.200", "1.1.1.1", true);
		addr_case(&cf, "src list", "fd12::1", "fd00::2", true);
		addr_case(&cf, "src list", "172.16.0.1", "1.1.1.1", false);
		addr_case(&cf, "src list", "fe80::1", "fd00::2", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src with negation", &cf,
	    "{ name = \"r\"; src = [\"10.0.0.0/8\", \"!10.1.0.0/16\"]; "
	    "verdict = \"drop\"; }")) {
		addr_case(&cf, "src 10/8 but not 10.1/16", "10.2.0.1", "1.1.1.1",
		    true);
		addr_case(&cf, "src 10/8 but not 10.1/16", "10.1.0.1", "1.1.1.1",
		    false);
		addr_case(&cf, "src 10/8 but not 10.1/16", "192.0.2.1",
		    "1.1.1.1", false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src only negated", &cf,
	    "{ name = \"r\"; src = [\"!10.0.0.0/8\"]; verdict = \"drop\"; }")) {
		addr_case(&cf, "src not 10/8", "192.0.2.1", "1.1.1.1", true);
		addr_case(&cf, "src not 10/8", "10.0.0.1", "1.1.1.1", false);
		addr_case(&cf, "src not 10/8", "2001:db8::1", "2001:db8::2",
		    true);
		nfqd_config_free(&cf);
	}
	if (rules_ok("dst negated string", &cf,
	    "{ name = \"r\"; dst = \"!192.0.2.0/24\"; verdict = \"drop\"; }")) {
		addr_case(&cf, "dst not 192.0.2/24", "1.1.1.1", "192.0.2.9",
		    false);
		addr_case(&cf, "dst not 192.0.2/24", "1.1.1.1", "192.0.3.9",
		    true);
		nfqd_config_free(&cf);
	}
}

static void
test_match_ports(void)
{
	static uint8_t		 pkt[64];
	struct nfqd_config	 cf;
	struct nfqd_pkt	 p;
	struct nfqd_qmsg		 m;

	memset(&m, 0, sizeof(m));
	if (rules_ok("dst_port single", &cf,
	    "{ name = \"r\"; dst_port = 80; verdict = \"drop\"; }")) {
		port_case(&cf, "dst_port 80", 1000, 80, true);
		port_case(&cf, "dst_port 80", 80, 81, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src_port single", &cf,
	    "{ name = \"r\"; src_port = \"1234\"; verdict = \"drop\"; }")) {
		port_case(&cf, "src_port 1234", 1234, 80, true);
		port_case(&cf, "src_port 1234", 80, 1234, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("dst_port range", &cf,
	    "{ name = \"r\"; dst_port = \"1000-2000\"; verdict = \"drop\"; }")) {
		port_case(&cf, "dst_port 1000-2000", 1, 1000, true);
		port_case(&cf, "dst_port 1000-2000", 1, 2000, true);
		port_case(&cf, "dst_port 1000-2000", 1, 999, false);
		port_case(&cf, "dst_port 1000-2000", 1, 2001, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("dst_port list", &cf,
	    "{ name = \"r\"; dst_port = (53, \"5353\", \"8000-8080\"); "
	    "verdict = \"drop\"; }")) {
		port_case(&cf, "dst_port list", 1, 53, true);
		port_case(&cf, "dst_port list", 1, 5353, true);
		port_case(&cf, "dst_port list", 1, 8080, true);
		port_case(&cf, "dst_port list", 1, 54, false);
		port_case(&cf, "dst_port list", 1, 8081, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("dst_port negated", &cf,
	    "{ name = \"r\"; dst_port = \"!22\"; verdict = \"drop\"; }")) {
		port_case(&cf, "dst_port !22", 1, 22, false);
		port_case(&cf, "dst_port !22", 22, 23, true);
		/* No ports: even a negation does not match. */
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 0, 0);
		p.flags = NFQD_PKT_F_ICMP;
		CHECK(!m1(&cf, &p, &m), "dst_port !22: ICMP does not match");
		mkpi(&p, "10.0.0.1", "10.0.0.2", 47, 0, 0);
		CHECK(!m1(&cf, &p, &m), "dst_port !22: GRE does not match");
		nfqd_config_free(&cf);
	}
	if (rules_ok("port list with negation", &cf,
	    "{ name = \"r\"; dst_port = (\"1-1024\", \"!22\"); "
	    "verdict = \"drop\"; }")) {
		port_case(&cf, "dst_port 1-1024 but 22", 1, 80, true);
		port_case(&cf, "dst_port 1-1024 but 22", 1, 22, false);
		port_case(&cf, "dst_port 1-1024 but 22", 1, 2000, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("src_port negated on parsed packets", &cf,
	    "{ name = \"r\"; src_port = \"!1\"; verdict = \"drop\"; }")) {
		/* A later IPv4 fragment of a UDP datagram: no ports. */
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x45;
		pkt[3] = 40;
		pkt[6] = 0x00;
		pkt[7] = 0x10;		/* offset 16 * 8 */
		pkt[8] = 64;
		pkt[9] = IPPROTO_UDP;
		pkt[12] = 10; pkt[15] = 1;
		pkt[16] = 10; pkt[19] = 2;
		if (CHECK_INT_EQ(nfqd_pkt_parse(pkt, 40, 40, &p), NFQD_PKT_OK,
		    "later fragment parses")) {
			CHECK((p.flags & NFQD_PKT_F_LATER_FRAG) &&
			    !(p.flags & NFQD_PKT_F_PORTS),
			    "later fragment has no ports");
			CHECK(!m1(&cf, &p, &m),
			    "src_port !1: later fragment does not match");
		}
		/* An ICMP echo. */
		pkt[6] = pkt[7] = 0;
		pkt[3] = 28;
		pkt[9] = IPPROTO_ICMP;
		pkt[20] = 8;
		if (CHECK_INT_EQ(nfqd_pkt_parse(pkt, 28, 28, &p), NFQD_PKT_OK,
		    "ICMP echo parses"))
			CHECK(!m1(&cf, &p, &m),
			    "src_port !1: ICMP echo does not match");
		/* The same as UDP 7 -> 7 matches. */
		pkt[9] = IPPROTO_UDP;
		pkt[20] = 0; pkt[21] = 7; pkt[22] = 0; pkt[23] = 7;
		pkt[24] = 0; pkt[25] = 8;
		if (CHECK_INT_EQ(nfqd_pkt_parse(pkt, 28, 28, &p), NFQD_PKT_OK,
		    "UDP parses"))
			CHECK(m1(&cf, &p, &m), "src_port !1: UDP 7 matches");
		nfqd_config_free(&cf);
	}
}

static void
test_match_l4(void)
{
	struct nfqd_config	cf;
	struct nfqd_pkt	p;
	struct nfqd_qmsg		m;

	memset(&m, 0, sizeof(m));
	if (rules_ok("proto udp", &cf,
	    "{ name = \"r\"; proto = \"udp\"; verdict = \"drop\"; }")) {
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
		CHECK(m1(&cf, &p, &m), "proto udp: UDP matches");
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2);
		CHECK(!m1(&cf, &p, &m), "proto udp: TCP does not match");
		mkpi(&p, "2001:db8::1", "2001:db8::2", IPPROTO_UDP, 1, 2);
		CHECK(m1(&cf, &p, &m), "proto udp: UDP over IPv6 matches");
		nfqd_config_free(&cf);
	}
	if (rules_ok("proto number", &cf,
	    "{ name = \"r\"; proto = 47; verdict = \"drop\"; }")) {
		mkpi(&p, "10.0.0.1", "10.0.0.2", 47, 0, 0);
		CHECK(m1(&cf, &p, &m), "proto 47: GRE matches");
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
		CHECK(!m1(&cf, &p, &m), "proto 47: UDP does not match");
		nfqd_config_free(&cf);
	}
	if (rules_ok("tcp_flags syn,!ack", &cf,
	    "{ name = \"r\"; proto = \"tcp\"; tcp_flags = \"syn,!ack\"; "
	    "verdict = \"drop\"; }")) {
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2);
		p.tcp_flags = 0x02;
		CHECK(m1(&cf, &p, &m), "tcp_flags syn,!ack: SYN matches");
		p.tcp_flags = 0x12;
		CHECK(!m1(&cf, &p, &m),
		    "tcp_flags syn,!ack: SYN+ACK does not match");
		p.tcp_flags = 0x10;
		CHECK(!m1(&cf, &p, &m), "tcp_flags syn,!ack: ACK does not match");
		p.tcp_flags = 0xc2;
		CHECK(m1(&cf, &p, &m),
		    "tcp_flags syn,!ack: SYN+ECE+CWR matches");
		nfqd_config_free(&cf);
	}
	if (rules_ok("tcp_flags without proto", &cf,
	    "{ name = \"r\"; tcp_flags = \"!syn\"; verdict = \"drop\"; }")) {
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
		CHECK(!m1(&cf, &p, &m), "tcp_flags !syn: UDP does not match");
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2);
		CHECK(m1(&cf, &p, &m), "tcp_flags !syn: ACK matches");
		nfqd_config_free(&cf);
	}
	if (rules_ok("icmp_type", &cf,
	    "{ name = \"r\"; proto = \"icmp\"; icmp_type = 8; "
	    "verdict = \"drop\"; }")) {
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 0, 0);
		p.flags = NFQD_PKT_F_ICMP;
		p.icmp_type = 8;
		CHECK(m1(&cf, &p, &m), "icmp_type 8: echo request matches");
		p.icmp_type = 0;
		CHECK(!m1(&cf, &p, &m), "icmp_type 8: echo reply does not match");
		p.icmp_type = 8;
		p.flags = 0;
		CHECK(!m1(&cf, &p, &m),
		    "icmp_type 8: no ICMP header (later fragment) no match");
		nfqd_config_free(&cf);
	}
	if (rules_ok("icmp_type and code", &cf,
	    "{ name = \"r\"; proto = \"icmpv6\"; icmp_type = 1; "
	    "icmp_code = 4; verdict = \"drop\"; }")) {
		mkpi(&p, "2001:db8::1", "2001:db8::2", IPPROTO_ICMPV6, 0, 0);
		p.flags = NFQD_PKT_F_ICMP;
		p.icmp_type = 1;
		p.icmp_code = 4;
		CHECK(m1(&cf, &p, &m), "icmpv6 1/4 matches");
		p.icmp_code = 3;
		CHECK(!m1(&cf, &p, &m), "icmpv6 1/4: code 3 does not match");
		p.icmp_type = 3;
		p.icmp_code = 4;
		CHECK(!m1(&cf, &p, &m), "icmpv6 1/4: type 3 does not match");
		nfqd_config_free(&cf);
	}
	if (rules_ok("length range", &cf,
	    "{ name = \"r\"; length = \"100-200\"; verdict = \"drop\"; }")) {
		mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
		p.len = 99;
		CHECK(!m1(&cf, &p, &m), "length 100-200: 99 does not match");
		p.len = 100;
		CHECK(m1(&cf, &p, &m), "length 100-200: 100 matches");
		p.len = 200;
		CHECK(m1(&cf, &p, &m), "length 100-200: 200 matches");
		p.len = 201;
		CHECK(!m1(&cf, &p, &m), "length 100-200: 201 does not match");
		nfqd_config_free(&cf);
	}
}

static void
test_match_meta(void)
{
	struct nfqd_config	cf;
	struct nfqd_pkt	p;
	struct nfqd_qmsg		m;

	memset(&m, 0, sizeof(m));
	mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
	if (rules_ok("mark value/mask", &cf,
	    "{ name = \"r\"; mark = \"0x10/0xf0\"; verdict = \"drop\"; }")) {
		m.mark = 0x1f;
		CHECK(m1(&cf, &p, &m), "mark 0x10/0xf0: 0x1f matches");
		m.mark = 0x310;
		CHECK(m1(&cf, &p, &m), "mark 0x10/0xf0: 0x310 matches");
		m.mark = 0x20;
		CHECK(!m1(&cf, &p, &m), "mark 0x10/0xf0: 0x20 does not match");
		m.mark = 0;
		CHECK(!m1(&cf, &p, &m), "mark 0x10/0xf0: 0 does not match");
		nfqd_config_free(&cf);
	}
	if (rules_ok("match_mark integer", &cf,
	    "{ name = \"r\"; match_mark = 5; verdict = \"drop\"; }")) {
		m.mark = 5;
		CHECK(m1(&cf, &p, &m), "match_mark 5: 5 matches");
		m.mark = 0x105;
		CHECK(!m1(&cf, &p, &m), "match_mark 5: 0x105 does not match");
		nfqd_config_free(&cf);
	}
	m.mark = 0;
	if (rules_ok("uid range", &cf,
	    "{ name = \"r\"; uid = \"1000-1999\"; verdict = \"drop\"; }")) {
		m.has_uid = 1;
		m.uid = 1000;
		CHECK(m1(&cf, &p, &m), "uid 1000-1999: 1000 matches");
		m.uid = 1999;
		CHECK(m1(&cf, &p, &m), "uid 1000-1999: 1999 matches");
		m.uid = 999;
		CHECK(!m1(&cf, &p, &m), "uid 1000-1999: 999 does not match");
		m.uid = 2000;
		CHECK(!m1(&cf, &p, &m), "uid 1000-1999: 2000 does not match");
		m.uid = 1500;
		m.has_uid = 0;
		CHECK(!m1(&cf, &p, &m),
		    "uid 1000-1999: no uid (has_uid 0) does not match");
		nfqd_config_free(&cf);
	}
	if (rules_ok("uid 0", &cf,
	    "{ name = \"r\"; uid = 0; verdict = \"drop\"; }")) {
		m.has_uid = 0;
		m.uid = 0;
		CHECK(!m1(&cf, &p, &m), "uid 0: no uid does not match");
		m.has_uid = 1;
		CHECK(m1(&cf, &p, &m), "uid 0: root matches");
		nfqd_config_free(&cf);
	}
	if (rules_ok("gid range", &cf,
	    "{ name = \"r\"; gid = \"100-200\"; verdict = \"drop\"; }")) {
		m.has_gid = 1;
		m.gid = 150;
		CHECK(m1(&cf, &p, &m), "gid 100-200: 150 matches");
		m.gid = 201;
		CHECK(!m1(&cf, &p, &m), "gid 100-200: 201 does not match");
		m.gid = 150;
		m.has_gid = 0;
		CHECK(!m1(&cf, &p, &m), "gid 100-200: no gid does not match");
		nfqd_config_free(&cf);
	}
}

static void
iface_case(const struct nfqd_config *cf, const char *what, bool out,
    uint32_t ifindex, bool want)
{
	struct nfqd_pkt	p;
	struct nfqd_qmsg		m;

	memset(&m, 0, sizeof(m));
	mkpi(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2);
	if (out)
		m.outdev = ifindex;
	else
		m.indev = ifindex;
	CHECKF(m1(cf, &p, &m) == want, unit_fmt("%s: ifindex %u (\"%s\") %s",
	    what, ifindex, nfqd_iftab_name(ift, ifindex),
	    want ? "matches" : "does not match"), "got the opposite");
}

static void
test_match_iface(void)
{
	struct nfqd_config	cf;

	if ((ift = nfqd_iftab_new()) == NULL) {
		CHECK(0, "nfqd_iftab_new");
		return;
	}
	CHECK(nfqd_iftab_set(ift, 2, "eth0") == 0 &&
	    nfqd_iftab_set(ift, 3, "eth1") == 0 &&
	    nfqd_iftab_set(ift, 4, "wlan0") == 0 &&
	    nfqd_iftab_set(ift, 5, "eth") == 0, "iftab filled");
	if (rules_ok("in_iface exact", &cf,
	    "{ name = \"r\"; in_iface = \"eth0\"; verdict = \"drop\"; }")) {
		iface_case(&cf, "in_iface eth0", false, 2, true);
		iface_case(&cf, "in_iface eth0", false, 3, false);
		iface_case(&cf, "in_iface eth0", false, 0, false);
		iface_case(&cf, "in_iface eth0", false, 99, false);
		iface_case(&cf, "in_iface eth0 (outdev set)", true, 2, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("in_iface prefix", &cf,
	    "{ name = \"r\"; in_iface = \"eth+\"; verdict = \"drop\"; }")) {
		iface_case(&cf, "in_iface eth+", false, 2, true);
		iface_case(&cf, "in_iface eth+", false, 3, true);
		iface_case(&cf, "in_iface eth+", false, 5, true);
		iface_case(&cf, "in_iface eth+", false, 4, false);
		iface_case(&cf, "in_iface eth+", false, 0, false);
		iface_case(&cf, "in_iface eth+", false, 99, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("in_iface negated", &cf,
	    "{ name = \"r\"; in_iface = \"!eth0\"; verdict = \"drop\"; }")) {
		iface_case(&cf, "in_iface !eth0", false, 2, false);
		iface_case(&cf, "in_iface !eth0", false, 3, true);
		iface_case(&cf, "in_iface !eth0", false, 0, true);
		iface_case(&cf, "in_iface !eth0", false, 99, true);
		nfqd_config_free(&cf);
	}
	if (rules_ok("out_iface exact", &cf,
	    "{ name = \"r\"; out_iface = \"wlan0\"; verdict = \"drop\"; }")) {
		iface_case(&cf, "out_iface wlan0", true, 4, true);
		iface_case(&cf, "out_iface wlan0", true, 2, false);
		iface_case(&cf, "out_iface wlan0", true, 0, false);
		iface_case(&cf, "out_iface wlan0 (indev set)", false, 4, false);
		nfqd_config_free(&cf);
	}
	if (rules_ok("out_iface negated prefix", &cf,
	    "{ name = \"r\"; out_iface = \"!eth+\"; verdict = \"drop\"; }")) {
		iface_case(&cf, "out_iface !eth+", true, 2, false);
		iface_case(&cf, "out_iface !eth+", true, 4, true);
		iface_case(&cf, "out_iface !eth+", true, 0, true);
		nfqd_config_free(&cf);
	}
	/* A name that changes index: the table decides. */
	if (rules_ok("in_iface renamed", &cf,
	    "{ name = \"r\"; in_iface = \"eth1\"; verdict = \"drop\"; }")) {
		iface_case(&cf, "in_iface eth1", false, 3, true);
		nfqd_iftab_del(ift, 3);
		iface_case(&cf, "in_iface eth1 after removal", false, 3, false);
		nfqd_iftab_set(ift, 7, "eth1");
		iface_case(&cf, "in_iface eth1 at a new index", false, 7, true);
		nfqd_config_free(&cf);
	}
	nfqd_iftab_free(ift);
	ift = NULL;
}

/* ---- the engine ---- */

static uint8_t	pbuf[256];

static uint32_t
ip4hdr(uint8_t proto, const char *src, const char *dst, uint32_t len)
{
	memset(pbuf, 0, sizeof(pbuf));
	pbuf[0] = 0x45;
	pbuf[2] = (uint8_t)(len >> 8);
	pbuf[3] = (uint8_t)len;
	pbuf[8] = 64;
	pbuf[9] = proto;
	inet_pton(AF_INET, src, pbuf + 12);
	inet_pton(AF_INET, dst, pbuf + 16);
	return 20;
}

/* UDP over IPv4 with 12 bytes of payload: 40 bytes. */
static uint32_t
udp4(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	uint32_t	o = ip4hdr(IPPROTO_UDP, src, dst, 40);

	pbuf[o] = (uint8_t)(sport >> 8);
	pbuf[o + 1] = (uint8_t)sport;
	pbuf[o + 2] = (uint8_t)(dport >> 8);
	pbuf[o + 3] = (uint8_t)dport;
	pbuf[o + 5] = 20;
	return 40;
}

/* TCP over IPv4 without payload: 40 bytes. */
static uint32_t
tcp4(const char *src, const char *dst, uint16_t sport, uint16_t dport,
    uint8_t flags)
{
	uint32_t	o = ip4hdr(IPPROTO_TCP, src, dst, 40);

	pbuf[o] = (uint8_t)(sport >> 8);
	pbuf[o + 1] = (uint8_t)sport;
	pbuf[o + 2] = (uint8_t)(dport >> 8);
	pbuf[o + 3] = (uint8_t)dport;
	pbuf[o + 12] = 0x50;
	pbuf[o + 13] = flags;
	return 40;
}

static void
mkpkt(struct nfqd_qmsg *m, uint32_t len)
{
	memset(m, 0, sizeof(*m));
	m->hw_protocol = ETH_P_IP;
	m->payload = pbuf;
	m->caplen = m->len = len;
}

static int
engine_cf(const char *name, struct nfqd_config *cf, const char *text)
{
	if (!expect_ok(name, cf, text))
		return 0;
	return CHECKF(cf->rules != NULL, unit_fmt("%s: has rules", name),
	    "no rules");
}

#define QV(q)	(((uint32_t)(q) << 16) | NF_QUEUE | NF_VERDICT_FLAG_QUEUE_BYPASS)

/* log = "pcap": which packets the worker is told to capture. */
static void
test_engine_capture(void)
{
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_rule_ctr	 ctr[4];
	struct nfqd_decision	 d;
	struct nfqd_qmsg	 m;
	uint64_t		 now = 1000000000000ull;

	if (!engine_cf("capture set", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "pcap = { dir = \"/tmp\"; };\n"
	    "rules = (\n"
	    "  { name = \"cap-udp\"; proto = \"udp\"; verdict = \"continue\"; "
	    "log = \"pcap\"; },\n"
	    "  { name = \"dns\"; proto = \"udp\"; dst_port = 53; "
	    "verdict = \"accept\"; log = \"pcap\"; },\n"
	    "  { name = \"ssh\"; proto = \"tcp\"; dst_port = 22; "
	    "verdict = \"accept\"; log = true; },\n"
	    "  { name = \"web\"; proto = \"tcp\"; dst_port = 80; "
	    "verdict = \"accept\"; }\n"
	    ");\n"))
		return;
	memset(ctr, 0, sizeof(ctr));
	if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, ctr, NULL, NULL, 0) == 0,
	    "capture: engine init")) {
		nfqd_config_free(&cf);
		return;
	}
	CHECK_UINT_EQ(cf.rules->npcap, 2, "capture: two rules capture");
	CHECK_UINT_EQ(cf.rules->nlogs, 1, "capture: one rule logs lines");
	mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1000, 53));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 1 && d.capture, "capture: two capturing rules, one "
	    "capture");
	mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1000, 54));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == NFQD_DECIDED_DEFAULT && d.capture,
	    "capture: a continue rule's packet, decided by the default");
	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 22, 0x02));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 2 && !d.capture, "capture: log = true is not pcap");
	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 80, 0x02));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 3 && !d.capture, "capture: a rule without log");
	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 8080, 0x02));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == NFQD_DECIDED_DEFAULT && !d.capture,
	    "capture: no rule");
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);
}

static void
test_engine_basic(bool linear)
{
	const char		*mode = linear ? "linear" : "classifier";
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_rule_ctr	 ctr[8];
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 m;
	uint64_t		 now = 1000000000000ull;

	if (!engine_cf("engine set", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "default_verdict = \"drop\";\n"
	    "rules = (\n"
	    "  { name = \"audit\"; proto = \"udp\"; verdict = \"continue\"; },\n"
	    "  { name = \"dns\"; proto = \"udp\"; dst_port = 53; "
	    "verdict = \"accept\"; },\n"
	    "  { name = \"dns2\"; proto = \"udp\"; dst_port = 53; "
	    "verdict = \"drop\"; },\n"
	    "  { name = \"blk\"; src = \"192.0.2.0/24\"; verdict = \"drop\"; },\n"
	    "  { name = \"rep\"; proto = \"tcp\"; dst_port = 80; "
	    "verdict = \"repeat\"; mark = 7; },\n"
	    "  { name = \"q\"; proto = \"tcp\"; dst_port = 443; "
	    "verdict = \"queue\"; queue = 10; },\n"
	    "  { name = \"acc\"; proto = \"tcp\"; dst_port = 22; "
	    "verdict = \"accept\"; set_mark = 9; }\n"
	    ");\n"))
		return;
	memset(ctr, 0, sizeof(ctr));
	if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, ctr, NULL, NULL, 0) == 0,
	    unit_fmt("%s: engine init", mode))) {
		nfqd_config_free(&cf);
		return;
	}
	e.linear = linear;
	CHECK(e.headers, unit_fmt("%s: engine reads headers", mode));

	mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1000, 53));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 1, unit_fmt("%s: DNS decided by dns", mode));
	CHECK_UINT_EQ(d.verdict, NF_ACCEPT, unit_fmt("%s: DNS accepted", mode));
	CHECK(!d.has_mark, unit_fmt("%s: DNS gets no mark", mode));
	CHECK(ctr[0].hits == 1 && ctr[0].bytes == 40,
	    unit_fmt("%s: continue rule counted hits and bytes", mode));
	CHECK(ctr[1].hits == 1 && ctr[1].bytes == 40,
	    unit_fmt("%s: dns counted", mode));
	CHECK_UINT_EQ(ctr[2].hits, 0, unit_fmt("%s: first match wins: dns2 "
	    "not reached", mode));

	mkpkt(&m, udp4("192.0.2.7", "10.0.0.2", 1000, 54));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 3 && d.verdict == NF_DROP,
	    unit_fmt("%s: after continue, blk drops", mode));
	CHECK_UINT_EQ(ctr[0].hits, 2, unit_fmt("%s: continue counted again",
	    mode));
	CHECK_UINT_EQ(ctr[0].bytes, 80, unit_fmt("%s: continue bytes", mode));

	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 80, 0x02));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 4 && d.verdict == NF_REPEAT && d.has_mark &&
	    d.mark == 7, unit_fmt("%s: repeat with mark 7", mode));
	CHECK_UINT_EQ(ctr[0].hits, 2, unit_fmt("%s: TCP skips the UDP continue",
	    mode));

	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 443, 0x02));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 5, unit_fmt("%s: queue rule decides", mode));
	CHECK_UINT_EQ(d.verdict, QV(10), unit_fmt("%s: queue 10 with bypass",
	    mode));
	CHECK(!d.has_mark, unit_fmt("%s: queue sets no mark", mode));

	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 22, 0x10));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 6 && d.verdict == NF_ACCEPT && d.has_mark &&
	    d.mark == 9, unit_fmt("%s: accept with mark 9", mode));

	mkpkt(&m, tcp4("10.0.0.1", "10.0.0.2", 1000, 8080, 0x10));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, NFQD_DECIDED_DEFAULT, unit_fmt("%s: no match: "
	    "default", mode));
	CHECK_UINT_EQ(d.verdict, NF_DROP, unit_fmt("%s: default_verdict drop",
	    mode));
	CHECK(!d.has_mark, unit_fmt("%s: default sets no mark", mode));
	CHECK_UINT_EQ(e.nomatch, 1, unit_fmt("%s: nomatch counted", mode));

	/*
	 * Malformed: IP version 0, nothing read.  dns (accept) and dns2
	 * (drop) might both match it: malformed_verdict.
	 */
	mkpkt(&m, 40);
	memset(pbuf, 0, 40);
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, NFQD_DECIDED_INCOMPLETE,
	    unit_fmt("%s: malformed decided as such", mode));
	CHECK_UINT_EQ(d.verdict, NF_DROP, unit_fmt("%s: malformed_verdict "
	    "drop (default)", mode));
	CHECK_UINT_EQ(e.incomplete[NFQD_PKT_MALFORMED], 1,
	    unit_fmt("%s: malformed counted", mode));
	CHECK_UINT_EQ(d.reason, NFQD_PKT_R_VERSION,
	    unit_fmt("%s: malformed reason kept", mode));
	CHECK_UINT_EQ(e.nomatch, 1, unit_fmt("%s: malformed is not nomatch",
	    mode));
	CHECK_UINT_EQ(ctr[0].hits + ctr[1].hits + ctr[3].hits + ctr[4].hits +
	    ctr[5].hits + ctr[6].hits, 7, unit_fmt("%s: rule hits in total",
	    mode));
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);

	if (!engine_cf("truncated accept", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "truncated_verdict = \"accept\";\n"
	    "rules = ( { name = \"d\"; proto = \"udp\"; dst_port = 7; "
	    "verdict = \"drop\"; } );\n"))
		return;
	if (CHECK(nfqd_engine_init(&e, &cf, cf.rules, NULL, NULL, NULL, 0) == 0,
	    unit_fmt("%s: engine init (truncated accept)", mode))) {
		e.linear = linear;
		/* Truncated: 10 bytes of an IPv4 header. */
		udp4("10.0.0.1", "10.0.0.2", 1, 7);
		mkpkt(&m, 10);
		nfqd_engine_decide(&e, &m, now, &d);
		CHECK(d.rule == NFQD_DECIDED_INCOMPLETE &&
		    d.verdict == NF_ACCEPT && d.status == NFQD_PKT_TRUNCATED,
		    unit_fmt("%s: truncated_verdict accept", mode));
		mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1, 7));
		nfqd_engine_decide(&e, &m, now, &d);
		CHECK(d.rule == 0 && d.verdict == NF_DROP,
		    unit_fmt("%s: a good packet after it matches", mode));
		CHECK_UINT_EQ(e.nomatch, 0, unit_fmt("%s: nomatch 0", mode));
		nfqd_engine_free(&e);
	}
	nfqd_config_free(&cf);
}

static void
test_engine_rate(bool linear)
{
	const char		*mode = linear ? "linear" : "classifier";
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_rule_ctr	 ctr[2];
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 m;
	uint64_t		 now = 1000000000000ull;
	int			 i, under;

	if (!engine_cf("rate per rule", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "rules = (\n"
	    "  { name = \"lim\"; proto = \"udp\"; rate = \"10/s\"; burst = 5; "
	    "verdict = \"drop\"; },\n"
	    "  { name = \"rest\"; proto = \"udp\"; verdict = \"accept\"; }\n"
	    ");\n"))
		return;
	memset(ctr, 0, sizeof(ctr));
	if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, ctr, NULL, NULL, 0) == 0,
	    unit_fmt("%s: rate engine init", mode))) {
		nfqd_config_free(&cf);
		return;
	}
	e.linear = linear;
	mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1, 2));
	for (i = 0, under = 0; i < 5; i++) {
		nfqd_engine_decide(&e, &m, now, &d);
		if (d.rule == 1 && d.verdict == NF_ACCEPT)
			under++;
	}
	CHECK_INT_EQ(under, 5, unit_fmt("%s: 5 packets under the limit go on",
	    mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 0 && d.verdict == NF_DROP,
	    unit_fmt("%s: the 6th is over: the rate rule matches", mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 0, unit_fmt("%s: the 7th too", mode));
	CHECK(ctr[0].hits == 2 && ctr[1].hits == 5,
	    unit_fmt("%s: counters: 2 over, 5 under", mode));
	now += 100000000;
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 1, unit_fmt("%s: 100 ms later one is under", mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 0, unit_fmt("%s: and the next is over", mode));
	/* Another source shares the per-rule bucket. */
	mkpkt(&m, udp4("10.0.0.9", "10.0.0.2", 1, 2));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 0, unit_fmt("%s: per rule: another source is over "
	    "too", mode));
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);

	if (!engine_cf("rate per src", &cf,
	    "queue = { balance = \"0:1\"; };\n"
	    "rules = (\n"
	    "  { name = \"lim\"; rate = \"10/s\"; burst = 2; per = \"src\"; "
	    "verdict = \"drop\"; }\n"
	    ");\n"))
		return;
	if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, NULL, NULL, NULL, 0) == 0,
	    unit_fmt("%s: per src engine init", mode))) {
		nfqd_config_free(&cf);
		return;
	}
	e.linear = linear;
	CHECK(e.rt != NULL, unit_fmt("%s: per src: a keyed table", mode));
	mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1, 2));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, NFQD_DECIDED_DEFAULT, unit_fmt("%s: per src: A 1 "
	    "under", mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, NFQD_DECIDED_DEFAULT, unit_fmt("%s: per src: A 2 "
	    "under", mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK(d.rule == 0 && d.verdict == NF_DROP, unit_fmt("%s: per src: A 3 "
	    "over", mode));
	mkpkt(&m, udp4("10.0.0.3", "10.0.0.2", 1, 2));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, NFQD_DECIDED_DEFAULT, unit_fmt("%s: per src: B 1 "
	    "under (own bucket)", mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, NFQD_DECIDED_DEFAULT, unit_fmt("%s: per src: B 2 "
	    "under", mode));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 0, unit_fmt("%s: per src: B 3 over", mode));
	/* Same source, other destination: still A's bucket. */
	mkpkt(&m, udp4("10.0.0.1", "10.9.9.9", 5, 6));
	nfqd_engine_decide(&e, &m, now, &d);
	CHECK_INT_EQ(d.rule, 0, unit_fmt("%s: per src: A to elsewhere over",
	    mode));
	CHECK_UINT_EQ(e.nomatch, 4, unit_fmt("%s: per src: nomatch 4", mode));
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);
}

static void
test_engine_metadata(bool linear)
{
	const char		*mode = linear ? "linear" : "classifier";
	struct nfqd_config	 cf;
	struct nfqd_engine	 e;
	struct nfqd_rule_ctr	 ctr[3];
	struct nfqd_decision	 d;
	struct nfqd_qmsg		 m;

	if (!engine_cf("copy_range 0 engine", &cf,
	    "queue = { balance = \"0:1\"; copy_range = 0; };\n"
	    "rules = (\n"
	    "  { name = \"m\"; mark = \"0x1/0xff\"; verdict = \"drop\"; },\n"
	    "  { name = \"u\"; uid = \"1000-1999\"; verdict = \"accept\"; "
	    "mark = 5; },\n"
	    "  { name = \"v6\"; family = \"ipv6\"; verdict = \"drop\"; }\n"
	    ");\n"))
		return;
	memset(ctr, 0, sizeof(ctr));
	if (!CHECK(nfqd_engine_init(&e, &cf, cf.rules, ctr, NULL, NULL, 0) == 0,
	    unit_fmt("%s: metadata engine init", mode))) {
		nfqd_config_free(&cf);
		return;
	}
	e.linear = linear;
	CHECK(!e.headers, unit_fmt("%s: copy_range 0: no headers", mode));
	memset(&m, 0, sizeof(m));
	m.hw_protocol = ETH_P_IP;
	m.payload = NULL;
	m.caplen = 0;
	m.len = 1500;
	m.mark = 0x101;
	nfqd_engine_decide(&e, &m, 1, &d);
	CHECK(d.rule == 0 && d.verdict == NF_DROP,
	    unit_fmt("%s: copy_range 0: mark rule matches without payload",
	    mode));
	CHECK(ctr[0].hits == 1 && ctr[0].bytes == 1500,
	    unit_fmt("%s: copy_range 0: bytes are the packet length", mode));
	CHECK_UINT_EQ(e.incomplete[NFQD_PKT_MALFORMED], 0,
	    unit_fmt("%s: copy_range 0: not malformed", mode));
	m.mark = 0x2;
	m.has_uid = 1;
	m.uid = 1500;
	nfqd_engine_decide(&e, &m, 1, &d);
	CHECK(d.rule == 1 && d.verdict == NF_ACCEPT && d.has_mark &&
	    d.mark == 5, unit_fmt("%s: copy_range 0: uid rule", mode));
	m.has_uid = 0;
	nfqd_engine_decide(&e, &m, 1, &d);
	CHECK(d.rule == NFQD_DECIDED_DEFAULT && d.verdict == NF_ACCEPT,
	    unit_fmt("%s: copy_range 0: IPv4 without uid: default", mode));
	m.hw_protocol = ETH_P_IPV6;
	nfqd_engine_decide(&e, &m, 1, &d);
	CHECK(d.rule == 2 && d.verdict == NF_DROP,
	    unit_fmt("%s: copy_range 0: family from hw_protocol", mode));
	nfqd_engine_free(&e);
	nfqd_config_free(&cf);
}

static void
test_engine_norules(void)
{
	struct nfqd_config	cf;
	struct nfqd_engine	e;
	struct nfqd_decision	d;
	struct nfqd_qmsg		m;

	nfqd_config_defaults(&cf);
	cf.default_verdict = NFQD_VERDICT_DROP;
	if (!CHECK(nfqd_engine_init(&e, &cf, NULL, NULL, NULL, NULL, 0) == 0,
	    "no rules: engine init"))
		return;
	mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1, 2));
	nfqd_engine_decide(&e, &m, 1, &d);
	CHECK(d.rule == NFQD_DECIDED_DEFAULT && d.verdict == NF_DROP &&
	    e.nomatch == 1, "no rules: default verdict");
	nfqd_engine_free(&e);
}

/*
 * burst = N multiplies the rate's cost: with "1/h" (3.6e12 ns a packet)
 * a burst of 5124096 is past 2^64 ns.  Either the loader refuses it, or
 * the bucket holds at least that many packets' worth: a fresh bucket must
 * not be over the limit on its first packet.
 */
static void
test_burst_overflow(void)
{
	struct nfqd_config	cf;
	struct nfqd_engine	e;
	struct nfqd_decision	d;
	struct nfqd_qmsg		m;
	struct unit_reports	rs;
	char			path[PATH_MAX];
	int			r;

	r = load(&cf, HEAD "{ name = \"slow\"; rate = \"1/h\"; "
	    "burst = 5124096; verdict = \"drop\"; }" TAIL, &rs, path,
	    sizeof(path));
	if (r != 0) {
		CHECKF(rs.n >= 1 && rs.r[0].line == 3 &&
		    strstr(rs.r[0].msg, "burst") != NULL,
		    "rate 1/h burst 5124096: refused at the burst",
		    "first problem \"%s\" at line %d",
		    rs.n > 0 ? rs.r[0].msg : "", rs.n > 0 ? rs.r[0].line : 0);
		return;
	}
	CHECKF(cf.rules->rules[0].rate_burst >= cf.rules->rules[0].rate_cost,
	    "rate 1/h burst 5124096: burst not wrapped below one packet",
	    "rate_burst %llu < rate_cost %llu",
	    (unsigned long long)cf.rules->rules[0].rate_burst,
	    (unsigned long long)cf.rules->rules[0].rate_cost);
	if (nfqd_engine_init(&e, &cf, cf.rules, NULL, NULL, NULL, 0) == 0) {
		mkpkt(&m, udp4("10.0.0.1", "10.0.0.2", 1, 2));
		nfqd_engine_decide(&e, &m, 1000000000000ull, &d);
		CHECKF(d.rule == NFQD_DECIDED_DEFAULT,
		    "rate 1/h burst 5124096: the first packet is under",
		    "decided by %d, verdict %u", d.rule, d.verdict);
		nfqd_engine_free(&e);
	}
	nfqd_config_free(&cf);
}

static void
test_empty_rules(void)
{
	struct nfqd_config	cf;

	if (expect_ok("empty rules list", &cf,
	    "queue = { balance = \"0:1\"; };\nrules = ( );\n")) {
		CHECK(cf.rules == NULL || cf.rules->n == 0,
		    "empty rules list: no rules");
		nfqd_config_free(&cf);
	}
}

/* ---- the classifier against the linear walk, on random rule sets ---- */

static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

#define PICK(a)	((a)[rnd(sizeof(a) / sizeof((a)[0]))])

static const char *const pfx4[] = {
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "192.0.2.0/24", "0.0.0.0/0",
	"198.51.100.0/25", "10.0.0.0/9", "10.1.2.0/31",
};
static const char *const pfx6[] = {
	"fd00::/8", "2001:db8::/32", "2001:db8:1::/48", "2001:db8::1", "::/0",
	"2001:db8:1:2::/64",
};
static const char *const addr4[] = {
	"10.1.2.3", "10.1.2.2", "10.2.0.1", "10.200.0.1", "192.0.2.5",
	"198.51.100.1", "198.51.100.200", "8.8.8.8",
};
static const char *const addr6[] = {
	"fd00::1", "2001:db8::1", "2001:db8:1::5", "2001:db8:1:2::9",
	"2001:db8:2::1", "fe80::1",
};

/* An address list of family fam (0: both), maybe with a negation. */
static void
gen_addrs(char *buf, size_t len, int fam)
{
	size_t	n;

	n = (size_t)snprintf(buf, len, "(");
	if (fam != 2)
		n += (size_t)snprintf(buf + n, len - n, "\"%s\", ", PICK(pfx4));
	if (fam != 1)
		n += (size_t)snprintf(buf + n, len - n, "\"%s\", ", PICK(pfx6));
	if (rnd(3) == 0)
		n += (size_t)snprintf(buf + n, len - n, "\"!%s\", ",
		    fam == 2 || (fam == 0 && rnd(2)) ? PICK(pfx6) : PICK(pfx4));
	if (rnd(4) == 0 && fam != 2)
		n += (size_t)snprintf(buf + n, len - n, "\"%s\", ", PICK(pfx4));
	snprintf(buf + n - 2, len - (n - 2), ")");
}

static void
gen_rule(char *buf, size_t len, unsigned i)
{
	static const char *const dports[] = {
		"80", "53", "\"1000-2000\"", "\"!22\"", "(\"53\", 80, 443)",
		"(\"1-1024\", \"!22\")", "\"80-90\"", "\"0-65535\"", "22",
		"(443, \"8000-8015\")",
	};
	static const char *const flags[] = {
		"syn,!ack", "ack", "!syn", "fin", "syn,ack",
	};
	static const char *const types[] = { "0", "8", "128", "3" };
	char	a[256];
	size_t	n;
	int	fam = (int)rnd(3), proto = (int)rnd(6);

	/* proto: 0 none, 1 tcp, 2 udp, 3 icmp, 4 icmpv6, 5 gre */
	if (proto == 3 && fam == 2)
		proto = 1;
	if (proto == 4 && fam == 1)
		proto = 2;
	n = (size_t)snprintf(buf, len, "{ name = \"g%u\"; ", i);
	if (fam != 0 && rnd(2))
		n += (size_t)snprintf(buf + n, len - n, "family = \"%s\"; ",
		    fam == 1 ? "ipv4" : "ipv6");
	if (proto != 0)
		n += (size_t)snprintf(buf + n, len - n, "proto = \"%s\"; ",
		    proto == 1 ? "tcp" : proto == 2 ? "udp" : proto == 3 ?
		    "icmp" : proto == 4 ? "icmpv6" : "gre");
	if (rnd(2)) {
		gen_addrs(a, sizeof(a), fam);
		n += (size_t)snprintf(buf + n, len - n, "src = %s; ", a);
	}
	if (rnd(2)) {
		gen_addrs(a, sizeof(a), fam);
		n += (size_t)snprintf(buf + n, len - n, "dst = %s; ", a);
	}
	if (proto <= 2 && rnd(2))
		n += (size_t)snprintf(buf + n, len - n, "dst_port = %s; ",
		    PICK(dports));
	if (proto <= 2 && rnd(4) == 0)
		n += (size_t)snprintf(buf + n, len - n, "src_port = %s; ",
		    PICK(dports));
	if ((proto == 0 || proto == 1) && rnd(4) == 0)
		n += (size_t)snprintf(buf + n, len - n, "tcp_flags = \"%s\"; ",
		    PICK(flags));
	if ((proto == 3 || proto == 4) && rnd(2))
		n += (size_t)snprintf(buf + n, len - n, "icmp_type = %s; ",
		    PICK(types));
	if ((proto == 3 || proto == 4) && rnd(4) == 0)
		n += (size_t)snprintf(buf + n, len - n, "icmp_code = 0; ");
	if (rnd(8) == 0)
		n += (size_t)snprintf(buf + n, len - n, "mark = \"0x1/0x1\"; ");
	if (rnd(10) == 0)
		n += (size_t)snprintf(buf + n, len - n, "in_iface = \"%s\"; ",
		    rnd(2) ? "eth+" : "!eth1");
	if (rnd(10) == 0)
		n += (size_t)snprintf(buf + n, len - n, "length = \"0-100\"; ");
	snprintf(buf + n, len - n, "verdict = \"%s\"; }",
	    rnd(4) == 0 ? "continue" : "accept");
}

static void
gen_pkt(struct nfqd_pkt *p, struct nfqd_qmsg *m)
{
	static const uint16_t	ports[] = { 22, 53, 80, 85, 443, 1000, 1500,
					    2001, 8000, 8015, 8016, 0, 65535 };
	static const uint8_t	tflags[] = { 0x02, 0x12, 0x10, 0x01, 0x11 };
	static const uint8_t	itypes[] = { 0, 8, 128, 3 };
	static const uint8_t	protos[] = { IPPROTO_TCP, IPPROTO_UDP,
					    IPPROTO_ICMP, IPPROTO_ICMPV6, 47 };
	bool	v6 = rnd(2) != 0;

	memset(m, 0, sizeof(*m));
	if (v6)
		mkpi(p, PICK(addr6), PICK(addr6), PICK(protos), PICK(ports),
		    PICK(ports));
	else
		mkpi(p, PICK(addr4), PICK(addr4), PICK(protos), PICK(ports),
		    PICK(ports));
	if (p->proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		p->flags |= NFQD_PKT_F_ICMP;
		p->icmp_type = PICK(itypes);
		p->icmp_code = (uint8_t)rnd(2);
	}
	if (p->flags & NFQD_PKT_F_TCP)
		p->tcp_flags = PICK(tflags);
	if (rnd(10) == 0)	/* a later fragment: no L4 header */
		p->flags = NFQD_PKT_F_FRAGMENT | NFQD_PKT_F_LATER_FRAG;
	p->len = rnd(2) ? 60 : 1500;
	m->mark = rnd(2);
	m->indev = rnd(4);
}

static void
test_classify_vs_linear(void)
{
	struct nfqd_config	 cf;
	struct nfqd_pkt	 p;
	struct nfqd_qmsg		 m;
	char			*text, rule[1024];
	size_t			 n, cap = 256 * 1024;
	unsigned		 set, i, k, start, bad = 0, sets = 0;
	unsigned long		 cmp = 0, found = 0;
	int			 a, b;

	if ((text = malloc(cap)) == NULL || (ift = nfqd_iftab_new()) == NULL) {
		CHECK(0, "classify vs linear: memory");
		free(text);
		return;
	}
	nfqd_iftab_set(ift, 1, "eth0");
	nfqd_iftab_set(ift, 2, "eth1");
	nfqd_iftab_set(ift, 3, "wlan0");
	for (set = 0; set < 30; set++) {
		n = (size_t)snprintf(text, cap, "queue = { balance = \"0:1\"; "
		    "};\nrules = (\n");
		for (i = 0; i < 20 + set * 3; i++) {
			gen_rule(rule, sizeof(rule), i);
			n += (size_t)snprintf(text + n, cap - n, "%s%s\n",
			    i > 0 ? "," : "", rule);
		}
		snprintf(text + n, cap - n, ");\n");
		if (!expect_ok(unit_fmt("random set %u", set), &cf, text))
			continue;
		sets++;
		if (!CHECK(cf.rules->cls != NULL,
		    unit_fmt("random set %u: compiled", set))) {
			nfqd_config_free(&cf);
			continue;
		}
		for (k = 0; k < 3000; k++) {
			gen_pkt(&p, &m);
			for (start = 0; start <= cf.rules->n; start++) {
				a = nfqd_classify_next(cf.rules, &p, &m, ift,
				    start);
				b = nfqd_linear_next(cf.rules, &p, &m, ift,
				    start);
				cmp++;
				if (a != b && bad++ < 5)
					CHECKF(0, unit_fmt("random set %u "
					    "packet %u start %u", set, k, start),
					    "classifier %d, linear %d", a, b);
				if (b < 0)
					break;
				found++;
				start = (unsigned)b;
			}
		}
		nfqd_config_free(&cf);
	}
	CHECK_UINT_EQ(sets, 30, "classify vs linear: every random set loads");
	CHECKF(bad == 0, unit_fmt("classify vs linear: %lu lookups agree",
	    cmp), "%u disagree", bad);
	CHECKF(found > cmp / 10 && found < cmp - cmp / 10,
	    "classify vs linear: lookups both find and miss rules",
	    "%lu of %lu found a rule", found, cmp);
	nfqd_iftab_free(ift);
	ift = NULL;
	free(text);
}

/* The one-line summary rule logs print. */
static void
test_summary(void)
{
	struct nfqd_pkt	 pi;
	struct nfqd_qmsg		 m;
	struct nfqd_iftab	*t = nfqd_iftab_new();
	char			 buf[256];

	if (!CHECK(t != NULL && nfqd_iftab_set(t, 2, "eth0") == 0 &&
	    nfqd_iftab_set(t, 3, "eth1") == 0, "summary: interface table"))
		return;
	memset(&pi, 0, sizeof(pi));
	memset(&m, 0, sizeof(m));
	pi.family = AF_INET;
	pi.proto = 6;
	pi.flags = NFQD_PKT_F_PORTS | NFQD_PKT_F_TCP;
	pi.tcp_flags = 0x12;
	pi.sport = 40112;
	pi.dport = 443;
	pi.len = 60;
	inet_pton(AF_INET, "198.51.100.7", pi.saddr);
	inet_pton(AF_INET, "192.0.2.10", pi.daddr);
	m.indev = 2;
	m.outdev = 3;
	m.mark = 0x10;
	nfqd_pkt_summary(&pi, &m, t, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "TCP 198.51.100.7:40112 -> 192.0.2.10:443 [SA] in "
	    "eth0 out eth1 len 60 mark 0x10", "summary: IPv4 TCP, both "
	    "interfaces");
	memset(&pi, 0, sizeof(pi));
	pi.family = AF_INET6;
	pi.proto = 58;
	pi.flags = NFQD_PKT_F_ICMP;
	pi.icmp_type = 128;
	pi.len = 104;
	inet_pton(AF_INET6, "fd00::1", pi.saddr);
	inet_pton(AF_INET6, "2001:db8::2", pi.daddr);
	memset(&m, 0, sizeof(m));
	m.has_uid = 1;
	m.uid = 1000;
	nfqd_pkt_summary(&pi, &m, t, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "ICMPv6 fd00::1 -> 2001:db8::2 type 128 code 0 len "
	    "104 mark 0x0 uid 1000", "summary: ICMPv6, no interfaces, uid");
	pi.family = 0;	/* metadata only */
	nfqd_pkt_summary(&pi, &m, NULL, buf, 20);
	CHECK_STR_EQ(buf, "len 104 mark 0x0 ui", "summary: cut to the buffer");
	nfqd_iftab_free(t);
}

/*
 * Name sets built once per file: two sets of one file share one, and a
 * reload takes a set whose file stat() shows unchanged from the running
 * configuration instead of reading it again (80 lists of 1,000,000 names
 * took the master 22 s).  A file changed since, or in the two seconds
 * before it was read, is read again.
 */
static struct nfqd_names *
set_names(const struct nfqd_config *cf, uint32_t i)
{
	return cf->rules != NULL && i < cf->rules->nsets ?
	    cf->rules->sets[i].names : NULL;
}

static int
set_has(const struct nfqd_config *cf, uint32_t i, const char *name)
{
	struct nfqd_names	*s = set_names(cf, i);

	return s != NULL ? nfqd_names_match(s, name, strlen(name)) : -1;
}

static void
test_sets_reuse(void)
{
	struct nfqd_config	cf1, cf2, cf3, cf4, cf5, cf6;
	struct unit_reports	rs;
	struct timespec		ts = { 2, 100000000 };
	char			conf[1100], fa[1100], fb[1100];
	int			e1, e2, e3, e4, e5, e6;

	snprintf(conf, sizeof(conf), "%s/sets.conf", dir);
	snprintf(fa, sizeof(fa), "%s/a.txt", dir);
	snprintf(fb, sizeof(fb), "%s/b.txt", dir);
	unit_write_text(fa, "a.example\n");
	unit_write_text(fb, "b.example\n");
	unit_write_text(conf, unit_fmt(
	    "queue = { balance = \"0:0\"; };\n"
	    "name_sets = ( { name = \"a\"; file = \"%s\"; },\n"
	    "  { name = \"a2\"; file = \"%s\"; },\n"
	    "  { name = \"b\"; file = \"%s\"; } );\n"
	    "rules = ( { name = \"r\"; tls_sni = (\"@a\", \"@a2\", \"@b\");"
	    " verdict = \"drop\"; } );\n", fa, fa, fb));
	/* Files older than two seconds, as lists deployed earlier are. */
	nanosleep(&ts, NULL);
	memset(&rs, 0, sizeof(rs));

	e1 = nfqd_config_load(&cf1, conf, NULL, unit_collect, &rs);
	CHECK_INT_EQ(e1, 0, "sets reuse: loads");
	if (e1 != 0)
		return;
	CHECK(set_names(&cf1, 0) == set_names(&cf1, 1),
	    "sets reuse: two sets of one file share one set");
	CHECK(set_names(&cf1, 0) != set_names(&cf1, 2),
	    "sets reuse: another file has its own");
	CHECK_INT_EQ(set_has(&cf1, 1, "a.example") * 10 +
	    set_has(&cf1, 2, "b.example") * 2 + set_has(&cf1, 2, "a.example"),
	    12, "sets reuse: each set has its file's names");

	/* A reload with nothing changed: every set taken as it is. */
	e2 = nfqd_config_load_reusing(&cf2, conf, NULL, unit_collect, &rs,
	    cf1.rules);
	CHECK_INT_EQ(e2, 0, "sets reuse: reload loads");
	if (e2 != 0) {
		nfqd_config_free(&cf1);
		return;
	}
	CHECK(set_names(&cf2, 0) == set_names(&cf1, 0) &&
	    set_names(&cf2, 1) == set_names(&cf1, 0) &&
	    set_names(&cf2, 2) == set_names(&cf1, 2),
	    "sets reuse: an unchanged reload reads no file");
	CHECK(cf2.rules->sets[2].hash == cf1.rules->sets[2].hash,
	    "sets reuse: the hash kept (no 'name_sets changed')");
	/* The running configuration freed: the new one's sets stay. */
	nfqd_config_free(&cf1);
	CHECK_INT_EQ(set_has(&cf2, 0, "a.example") +
	    set_has(&cf2, 2, "b.example"), 2,
	    "sets reuse: the sets outlive the configuration they came from");

	/* b's file changed: read again; a's still taken. */
	unit_write_text(fb, "b.example\nnew.example\n");
	e3 = nfqd_config_load_reusing(&cf3, conf, NULL, unit_collect, &rs,
	    cf2.rules);
	CHECK_INT_EQ(e3, 0, "sets reuse: reload after a change loads");
	if (e3 != 0) {
		nfqd_config_free(&cf2);
		return;
	}
	CHECK(set_names(&cf3, 2) != set_names(&cf2, 2) &&
	    set_has(&cf3, 2, "new.example") == 1,
	    "sets reuse: a changed file is read again");
	CHECK(cf3.rules->sets[2].hash != cf2.rules->sets[2].hash,
	    "sets reuse: its hash is the new bytes'");
	CHECK(set_names(&cf3, 0) == set_names(&cf2, 0),
	    "sets reuse: the unchanged file's set taken");

	/*
	 * a's file written again with the same bytes, just now: its times
	 * say it changed, so it is read again, once for both its sets (one
	 * moment's file), and (changed this soon) read again at the next
	 * reload.
	 */
	unit_write_text(fa, "a.example\n");
	e4 = nfqd_config_load_reusing(&cf4, conf, NULL, unit_collect, &rs,
	    cf3.rules);
	CHECK_INT_EQ(e4, 0, "sets reuse: reload after a rewrite loads");
	if (e4 == 0) {
		CHECK(set_names(&cf4, 0) != set_names(&cf3, 0) &&
		    set_names(&cf4, 1) == set_names(&cf4, 0),
		    "sets reuse: a file written in the last 2 s is read "
		    "once for its two sets");
		CHECK(cf4.rules->sets[0].hash == cf3.rules->sets[0].hash,
		    "sets reuse: same bytes, same hash");
		CHECK(set_names(&cf4, 2) != set_names(&cf3, 2),
		    "sets reuse: b, changed 0 s before the last read, read "
		    "again");
		/*
		 * The same bytes: the master keeps cf3 and frees cf4, cf3's
		 * sets taking cf4's stat().  Two seconds on, a reload reads
		 * a and b once more (cf4 read them too soon after their
		 * writes), and the one after that reads neither.
		 */
		nfqd_rules_sets_restat(cf3.rules, cf4.rules);
		nfqd_config_free(&cf4);
		nanosleep(&ts, NULL);
		e5 = nfqd_config_load_reusing(&cf5, conf, NULL, unit_collect,
		    &rs, cf3.rules);
		CHECK(e5 == 0 && set_names(&cf5, 0) != set_names(&cf3, 0),
		    "sets reuse: read again, its last reading too soon");
		if (e5 == 0) {
			nfqd_rules_sets_restat(cf3.rules, cf5.rules);
			nfqd_config_free(&cf5);
		}
		e6 = nfqd_config_load_reusing(&cf6, conf, NULL, unit_collect,
		    &rs, cf3.rules);
		CHECK_INT_EQ(e6, 0, "sets reuse: reload after a kept reading "
		    "loads");
		if (e6 == 0) {
			CHECK(set_names(&cf6, 0) == set_names(&cf3, 0) &&
			    set_names(&cf6, 2) == set_names(&cf3, 2),
			    "sets reuse: a list read again with the same bytes "
			    "is not read at the next reload");
			nfqd_config_free(&cf6);
		}
	}
	nfqd_config_free(&cf2);
	nfqd_config_free(&cf3);
}

/*
 * name_sets_max_bytes: the bytes of every set a configuration holds,
 * those built and those taken from the running one, a file that several
 * sets name once.  Its lists are written before test_sets_reuse(), whose
 * wait makes them over two seconds old, as lists deployed earlier are.
 */
static char	cap_a[1100], cap_b[1100];

static void
sets_cap_files(void)
{
	char	*text;
	size_t	 i, n;

	if ((text = malloc(60000 * 24)) == NULL)
		return;
	snprintf(cap_a, sizeof(cap_a), "%s/cap_a.txt", dir);
	snprintf(cap_b, sizeof(cap_b), "%s/cap_b.txt", dir);
	for (i = n = 0; i < 60000; i++)
		n += (size_t)sprintf(text + n, "a%zu.cap.test\n", i);
	unit_write_text(cap_a, text);
	for (i = n = 0; i < 50000; i++)
		n += (size_t)sprintf(text + n, "b%zu.cap.test\n", i);
	unit_write_text(cap_b, text);
	free(text);
}

/* A configuration of the sets (name, file, ...: n of them, one a line
 * from line 3) under the cap, written to path. */
static void
cap_conf(char *path, size_t len, const char *cap, unsigned n, ...)
{
	char		text[4096];
	const char	*name, *file;
	size_t		k;
	unsigned	i;
	va_list		ap;

	k = (size_t)snprintf(text, sizeof(text), "queue = { balance = "
	    "\"0:0\"; };\nname_sets_max_bytes = %s;\nname_sets = (", cap);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		name = va_arg(ap, const char *);
		file = va_arg(ap, const char *);
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%s\n  "
		    "{ name = \"%s\"; file = \"%s\"; }", i > 0 ? "," : "", name,
		    file);
	}
	va_end(ap);
	snprintf(text + k, sizeof(text) - k, " );\n" PORT_RULE);
	write_file(unit_fmt("cap%u.conf", nfiles++), text, path, len);
}

/* cf loaded from path (a reload of reuse, if not NULL): its errors. */
static int
cap_load(struct nfqd_config *cf, const char *path,
    const struct nfqd_ruleset *reuse, struct unit_reports *rs)
{
	memset(rs, 0, sizeof(*rs));
	return nfqd_config_load_reusing(cf, path, NULL, unit_collect, rs,
	    reuse);
}

/* path refused with the one message: file's, at line. */
static void
cap_refused(const char *what, const char *path,
    const struct nfqd_ruleset *reuse, int line, const char *file,
    const char *cap)
{
	struct nfqd_config	cf;
	struct unit_reports	rs;
	int			r;

	r = cap_load(&cf, path, reuse, &rs);
	if (r == 0)
		nfqd_config_free(&cf);
	CHECKF(r == 1 && rs.n == 1, unit_fmt("%s: refused", what),
	    "returned %d, %d reported, first \"%s\"", r, rs.n,
	    rs.n > 0 ? rs.r[0].msg : "");
	if (rs.n < 1)
		return;
	CHECK_STR_EQ(rs.r[0].msg, unit_fmt("file: %s: name sets would take "
	    "over %s (name_sets_max_bytes)", file, cap),
	    unit_fmt("%s: message", what));
	CHECK_INT_EQ(rs.r[0].line, line, unit_fmt("%s: line", what));
}

/*
 * A rule that names a set name_sets refused (its file missing, a bad
 * list, the cap, ...) adds no error of its own: the set's is the one to
 * read.  A name no set has is still an error.  Each row: name_sets'
 * sets on line 2, the rules on line 3, and every message, in order.
 */
/* s into out, each "DIR" the test directory; its length. */
static size_t
with_dir(char *out, size_t len, const char *s)
{
	const char	*d;
	size_t		 n = 0;

	out[0] = '\0';
	while ((d = strstr(s, "DIR")) != NULL) {
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%.*s%s",
		    (int)(d - s), s, dir);
		s = d + 3;
	}
	n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s", s);
	return n < len ? n : len - 1;
}

/*
 * A list of no names loads, its set empty, with a warning that names the
 * file and the set (a blocklist emptied by a failed download blocks
 * nothing): at start and nfqd -t (a load), and on a reload, which takes
 * the running set unchanged (the lists are written before
 * test_sets_reuse(), whose wait makes them over two seconds old).  A list
 * with a name says nothing.
 */
static const struct {
	const char	*what;
	const char	*text;
	bool		 empty;
} empty_lists[] = {
	{ "0 bytes", "", true },
	{ "comments only", "# emptied\n# by a download\n", true },
	{ "blank lines only", "\n\n  \n\t\n", true },
	{ "comments, blanks and CRLF", "# x\r\n\r\n   # y\r\n", true },
	{ "no final newline, a comment", "# x", true },
	{ "one name", "# x\nads.example\n", false },
	{ "one name, no final newline", "ads.example", false },
};

static void
sets_empty_files(void)
{
	char		list[PATH_MAX];
	unsigned	i;

	for (i = 0; i < NFQD_ARRAY_SIZE(empty_lists); i++)
		write_file(unit_fmt("empty%u.txt", i), empty_lists[i].text,
		    list, sizeof(list));
}

static void
test_sets_empty(void)
{
	struct nfqd_config	cf, cf2;
	struct unit_reports	rs;
	char			list[PATH_MAX], path[PATH_MAX];
	char			text[PATH_MAX + 256], want[PATH_MAX + 128];
	const char		*what;
	unsigned		i;
	bool			empty;
	int			r;

	for (i = 0; i < NFQD_ARRAY_SIZE(empty_lists); i++) {
		what = empty_lists[i].what;
		empty = empty_lists[i].empty;
		snprintf(list, sizeof(list), "%s/empty%u.txt", dir, i);
		snprintf(text, sizeof(text), "queue = { balance = \"0:0\"; };\n"
		    "name_sets = ( { name = \"ads\"; file = \"%s\"; } );\n"
		    "rules = ( { name = \"r\"; tls_sni = \"@ads\"; "
		    "verdict = \"drop\"; } );\n", list);
		snprintf(want, sizeof(want), "warning: file: %s: no names in "
		    "it: set \"ads\" is empty and matches nothing", list);
		r = load(&cf, text, &rs, path, sizeof(path));
		if (!CHECKF(r == 0 && rs.n == (empty ? 1 : 0),
		    unit_fmt("empty list, %s: loads, %s", what, empty ?
		    "a warning" : "nothing said"), "returned %d, %d reported, "
		    "first \"%s\"", r, rs.n, rs.n > 0 ? rs.r[0].msg : ""))
			continue;
		if (empty) {
			CHECK_STR_EQ(rs.r[0].msg, want, unit_fmt("empty list, "
			    "%s: the warning", what));
			CHECK_INT_EQ(rs.r[0].line, 2, unit_fmt("empty list, "
			    "%s: its line", what));
			CHECK_STR_EQ(rs.r[0].file, path, unit_fmt("empty "
			    "list, %s: its file", what));
		}
		/* A reload: the running set, taken unchanged. */
		memset(&rs, 0, sizeof(rs));
		r = nfqd_config_load_reusing(&cf2, path, NULL, unit_collect,
		    &rs, cf.rules);
		if (CHECKF(r == 0 && rs.n == (empty ? 1 : 0),
		    unit_fmt("empty list, %s: a reload, %s", what, empty ?
		    "a warning" : "nothing said"), "returned %d, %d reported",
		    r, rs.n) && empty)
			CHECK_STR_EQ(rs.r[0].msg, want, unit_fmt("empty list, "
			    "%s: the reload's warning", what));
		if (r == 0) {
			CHECK(cf2.rules != NULL && cf.rules != NULL &&
			    cf2.rules->nsets == 1 &&
			    cf2.rules->sets[0].names == cf.rules->sets[0].names,
			    unit_fmt("empty list, %s: the reload took the "
			    "running set", what));
			nfqd_config_free(&cf2);
		}
		nfqd_config_free(&cf);
	}
}

static void
test_sets_refused(void)
{
	static const struct {
		const char	*what;
		const char	*cap;
		const char	*sets;	/* DIR: the test directory */
		const char	*rules;
		const char	*msg[2];
	} t[] = {
		{ "a missing file", "\"1G\"",
		    "{ name = \"s\"; file = \"DIR/missing.txt\"; }",
		    "{ name = \"r\"; tls_sni = \"@s\"; verdict = \"drop\"; }",
		    { "file: open(DIR/missing.txt): No such file or "
		    "directory" } },
		{ "a bad list", "\"1G\"",
		    "{ name = \"s\"; file = \"DIR/url.txt\"; }",
		    "{ name = \"r\"; http_host = \"@s\"; verdict = \"drop\"; }",
		    { "file: DIR/url.txt:2: \"http://x.example/\": a URL, "
		    "not a name" } },
		{ "over the cap", "\"1M\"",
		    "{ name = \"s\"; file = \"DIR/refused_big.txt\"; }",
		    "{ name = \"r\"; dns_qname = \"@s\"; verdict = \"drop\"; }",
		    { "file: DIR/refused_big.txt: name sets would take over "
		    "1 MiB (name_sets_max_bytes)" } },
		{ "a relative path", "\"1G\"",
		    "{ name = \"s\"; file = \"rel.txt\"; }",
		    "{ name = \"r\"; tls_sni = \"@s\"; verdict = \"drop\"; }",
		    { "file: \"rel.txt\" must be an absolute path" } },
		{ "no file", "\"1G\"", "{ name = \"s\"; }",
		    "{ name = \"r\"; tls_sni = \"@s\"; verdict = \"drop\"; }",
		    { "name_sets: each set needs name and file" } },
		{ "a file that is no string", "\"1G\"",
		    "{ name = \"s\"; file = 5; }",
		    "{ name = \"r\"; tls_sni = \"@s\"; verdict = \"drop\"; }",
		    { "file: must be a string in double quotes" } },
		{ "two rules, a list beside it", "\"1G\"",
		    "{ name = \"s\"; file = \"DIR/missing.txt\"; }",
		    "{ name = \"r\"; tls_sni = [\"@s\", \"x.test\"]; "
		    "verdict = \"drop\"; }, { name = \"q\"; server_name = "
		    "\"@s\"; verdict = \"drop\"; }",
		    { "file: open(DIR/missing.txt): No such file or "
		    "directory" } },
		/* Still errors: a name no set has, one refused beside. */
		{ "a name no set has", "\"1G\"",
		    "{ name = \"s\"; file = \"DIR/missing.txt\"; }",
		    "{ name = \"r\"; tls_sni = [\"@s\", \"@t\"]; "
		    "verdict = \"drop\"; }",
		    { "file: open(DIR/missing.txt): No such file or "
		    "directory", "rule \"r\": tls_sni: \"@t\": no name set "
		    "\"t\" (name_sets = ( { name = \"t\"; file = ...; } ))" } },
		{ "a set of another name refused", "\"1G\"",
		    "{ name = \"s\"; file = \"DIR/missing.txt\"; }",
		    "{ name = \"r\"; tls_sni = \"@s2\"; verdict = \"drop\"; }",
		    { "file: open(DIR/missing.txt): No such file or "
		    "directory", "rule \"r\": tls_sni: \"@s2\": no name set "
		    "\"s2\" (name_sets = ( { name = \"s2\"; file = ...; } ))" } },
	};
	struct nfqd_config	cf;
	struct unit_reports	rs;
	char			path[PATH_MAX], text[4096], *big;
	size_t			i, j, n, want;
	int			r;

	write_file("url.txt", "ok.example\nhttp://x.example/\n", path,
	    sizeof(path));
	if ((big = malloc(60000 * 24)) == NULL)
		return;
	for (i = n = 0; i < 60000; i++)
		n += (size_t)sprintf(big + n, "n%zu.refused.test\n", i);
	write_file("refused_big.txt", big, path, sizeof(path));
	free(big);
	for (i = 0; i < NFQD_ARRAY_SIZE(t); i++) {
		n = (size_t)snprintf(text, sizeof(text), "queue = { balance = "
		    "\"0:1\"; }; name_sets_max_bytes = %s;\nname_sets = ( ",
		    t[i].cap);
		n += with_dir(text + n, sizeof(text) - n, t[i].sets);
		snprintf(text + n, sizeof(text) - n, " );\nrules = ( %s );\n",
		    t[i].rules);
		r = load(&cf, text, &rs, path, sizeof(path));
		if (r == 0)
			nfqd_config_free(&cf);
		want = t[i].msg[1] != NULL ? 2 : 1;
		CHECKF(r == (int)want && rs.n == (int)want, unit_fmt("sets refused, "
		    "%s: %zu error%s", t[i].what, want, want > 1 ? "s" : ""),
		    "returned %d, %d reported, second \"%s\"", r, rs.n,
		    rs.n > 1 ? rs.r[1].msg : "");
		for (j = 0; j < want && (int)j < rs.n; j++) {
			with_dir(text, sizeof(text), t[i].msg[j]);
			CHECK_STR_EQ(rs.r[j].msg, text, unit_fmt("sets refused, "
			    "%s: message %zu", t[i].what, j + 1));
			CHECK_INT_EQ(rs.r[j].line, 2 + (int)j, unit_fmt("sets "
			    "refused, %s: line of message %zu", t[i].what,
			    j + 1));
		}
	}
}

static void
test_sets_cap(void)
{
	struct nfqd_config	cf, run;
	struct unit_reports	rs;
	char			path[PATH_MAX], cap[32], fresh[1100], *text;
	size_t			a, b, i, n;
	int			r;

	/* What each set takes. */
	cap_conf(path, sizeof(path), "\"1G\"", 2, "a", cap_a, "b", cap_b);
	if (!CHECK_INT_EQ(cap_load(&cf, path, NULL, &rs), 0,
	    "sets cap: 1G loads"))
		return;
	a = nfqd_names_bytes(cf.rules->sets[0].names);
	b = nfqd_names_bytes(cf.rules->sets[1].names);
	nfqd_config_free(&cf);
	CHECK(a > (1u << 20) && b > (1u << 20) && a != b,
	    unit_fmt("sets cap: each set over 1 MiB (%zu, %zu bytes)", a, b));

	/* One set: exactly the cap loads; a byte less is refused. */
	snprintf(cap, sizeof(cap), "%zu", a);
	cap_conf(path, sizeof(path), cap, 1, "a", cap_a);
	r = cap_load(&cf, path, NULL, &rs);
	if (CHECKF(r == 0 && rs.n == 0, "sets cap: a set of the cap loads",
	    "\"%s\"", rs.n > 0 ? rs.r[0].msg : "")) {
		CHECK(cf.rules->nsets == 1 &&
		    nfqd_names_count(cf.rules->sets[0].names) == 60000,
		    "sets cap: the set whole");
		nfqd_config_free(&cf);
	}
	snprintf(cap, sizeof(cap), "%zu", a - 1);
	cap_conf(path, sizeof(path), cap, 1, "a", cap_a);
	cap_refused("sets cap: a byte over", path, NULL, 4, cap_a,
	    unit_fmt("%zu bytes", a - 1));
	cap_conf(path, sizeof(path), "\"1M\"", 1, "a", cap_a);
	cap_refused("sets cap: 1M", path, NULL, 4, cap_a, "1 MiB");

	/* Two sets: their sum loads; a byte less refuses the second. */
	snprintf(cap, sizeof(cap), "%zu", a + b);
	cap_conf(path, sizeof(path), cap, 2, "a", cap_a, "b", cap_b);
	r = cap_load(&cf, path, NULL, &rs);
	if (CHECKF(r == 0 && rs.n == 0, "sets cap: two sets of the cap load",
	    "\"%s\"", rs.n > 0 ? rs.r[0].msg : ""))
		nfqd_config_free(&cf);
	snprintf(cap, sizeof(cap), "%zu", a + b - 1);
	cap_conf(path, sizeof(path), cap, 2, "a", cap_a, "b", cap_b);
	cap_refused("sets cap: two sets a byte over", path, NULL, 5, cap_b,
	    unit_fmt("%zu bytes", a + b - 1));

	/* Two sets of one file: one set, counted once. */
	snprintf(cap, sizeof(cap), "%zu", a);
	cap_conf(path, sizeof(path), cap, 2, "a", cap_a, "a2", cap_a);
	r = cap_load(&cf, path, NULL, &rs);
	if (CHECKF(r == 0 && rs.n == 0, "sets cap: a file of two sets "
	    "counted once", "\"%s\"", rs.n > 0 ? rs.r[0].msg : "")) {
		CHECK(cf.rules->sets[0].names == cf.rules->sets[1].names,
		    "sets cap: the two share one set");
		nfqd_config_free(&cf);
	}

	/* The same, its file written just now (a list downloaded, then
	   a reload): still one set, counted once. */
	snprintf(fresh, sizeof(fresh), "%s/cap_fresh.txt", dir);
	if ((text = malloc(60000 * 24)) != NULL) {
		for (i = n = 0; i < 60000; i++)
			n += (size_t)sprintf(text + n, "a%zu.cap.test\n", i);
		unit_write_text(fresh, text);
		free(text);
	}
	snprintf(cap, sizeof(cap), "%zu", a);
	cap_conf(path, sizeof(path), cap, 2, "a", fresh, "a2", fresh);
	r = cap_load(&cf, path, NULL, &rs);
	if (CHECKF(r == 0 && rs.n == 0, "sets cap: a file of two sets "
	    "written just now counted once", "\"%s\"", rs.n > 0 ?
	    rs.r[0].msg : "")) {
		CHECK(cf.rules->sets[0].names == cf.rules->sets[1].names &&
		    nfqd_names_bytes(cf.rules->sets[0].names) == a,
		    "sets cap: the two share one set, read just now");
		nfqd_config_free(&cf);
	}

	/* A reload: a set taken from the running configuration counts. */
	cap_conf(path, sizeof(path), "\"1G\"", 1, "a", cap_a);
	if (!CHECK_INT_EQ(cap_load(&run, path, NULL, &rs), 0,
	    "sets cap: the running configuration loads"))
		return;
	snprintf(cap, sizeof(cap), "%zu", a + b);
	cap_conf(path, sizeof(path), cap, 2, "b", cap_b, "a", cap_a);
	r = cap_load(&cf, path, run.rules, &rs);
	if (CHECKF(r == 0 && rs.n == 0, "sets cap: a reload of the cap loads",
	    "\"%s\"", rs.n > 0 ? rs.r[0].msg : "")) {
		CHECK(cf.rules->sets[1].names == run.rules->sets[0].names,
		    "sets cap: the unchanged set taken, not read");
		nfqd_config_free(&cf);
	}
	snprintf(cap, sizeof(cap), "%zu", a + b - 1);
	cap_conf(path, sizeof(path), cap, 2, "b", cap_b, "a", cap_a);
	cap_refused("sets cap: a reload a byte over, at the set taken", path,
	    run.rules, 5, cap_a, unit_fmt("%zu bytes", a + b - 1));
	snprintf(cap, sizeof(cap), "%zu", a - 1);
	cap_conf(path, sizeof(path), cap, 1, "a", cap_a);
	cap_refused("sets cap: a reload of the set taken alone, a byte over",
	    path, run.rules, 4, cap_a, unit_fmt("%zu bytes", a - 1));
	CHECK(nfqd_names_match(run.rules->sets[0].names, "a59999.cap.test",
	    15) == 1, "sets cap: the running set kept through the refusals");
	nfqd_config_free(&run);
}

/*
 * nfqd_rules_dname() asks one set, the union of every dst_name rule's own
 * elements, and each distinct "@SET" once: its answer must be the walk's
 * over every rule's sets, for "=" and plain elements, the same name both
 * ways in one rule or in two, "@SET"s named by several rules, empty sets,
 * and rules without dst_name (whose names must not count).
 */
static void
test_dname_union(void)
{
	static const struct {
		const char	*name;
		bool		 want;
	} rows[] = {
		{ "a.example", true },		/* "=a" in r1, "a" in r2 */
		{ "x.a.example", true },	/* r2's plain "a" wins */
		{ "b.example", true },
		{ "y.b.example", true },
		{ "c.example", true },		/* "=c" alone */
		{ "x.c.example", false },
		{ "exact.set.test", true },	/* @s1, named by two rules */
		{ "x.exact.set.test", false },
		{ "sub.set.test", true },
		{ "z.sub.set.test", true },
		{ "other.test", true },		/* @s2 */
		{ "w.other.test", true },
		{ "d.example", false },		/* tls_sni only */
		{ "e.example", true },		/* "=e" and "e" in one rule */
		{ "q.e.example", true },
		{ "f.example", true },		/* "=f" in two rules */
		{ "g.f.example", false },
		{ "example", false },
		{ "unrelated.test", false },
	};
	static const char *const pool[] = {
		"a.test", "b.a.test", "c.b.a.test", "d.test", "x.d.test",
		"e.x.d.test", "f.test", "g.f.test",
	};
	static const char *const queries[] = {
		"a.test", "b.a.test", "c.b.a.test", "d.test", "x.d.test",
		"e.x.d.test", "f.test", "g.f.test", "z.a.test",
		"z.c.b.a.test", "test", "h.test", "z.e.x.d.test", "z.g.f.test",
		"z.b.a.test", "z.x.d.test",
	};
	struct nfqd_config	 cf;
	const struct nfqd_ruleset *rs;
	char			 f[4][1100], *text, el[64];
	size_t			 i, n, cap = 64 * 1024;
	unsigned		 set, r, nr, k, ne, bad = 0, yes = 0, cmp = 0;
	uint64_t		 x = 0x9e3779b97f4a7c15ull;
	bool			 a, b;

	for (k = 0; k < 4; k++)
		snprintf(f[k], sizeof(f[k]), "%s/dn%u.txt", dir, k);
	unit_write_text(f[0], "=exact.set.test\nsub.set.test\n");
	unit_write_text(f[1], "other.test\n");
	unit_write_text(f[2], "# nothing\n");
	if ((text = malloc(cap)) == NULL) {
		CHECK(0, "dname union: memory");
		return;
	}
	snprintf(text, cap,
	    "queue = { balance = \"0:0\"; };\n"
	    "dns_learn = { enabled = true; };\n"
	    "name_sets = ( { name = \"s1\"; file = \"%s\"; },\n"
	    "  { name = \"s2\"; file = \"%s\"; },\n"
	    "  { name = \"s3\"; file = \"%s\"; } );\n"
	    "rules = (\n"
	    "  { name = \"r1\"; dst_name = (\"=a.example\", \"b.example\","
	    " \"@s1\"); verdict = \"drop\"; },\n"
	    "  { name = \"r2\"; dst_name = (\"a.example\", \"@s1\", \"@s2\");"
	    " verdict = \"accept\"; },\n"
	    "  { name = \"r3\"; dst_name = \"=c.example\"; verdict = \"drop\"; },\n"
	    "  { name = \"r4\"; proto = \"tcp\"; verdict = \"accept\"; },\n"
	    "  { name = \"r5\"; tls_sni = \"d.example\"; verdict = \"drop\"; },\n"
	    "  { name = \"r6\"; dst_name = \"@s3\"; verdict = \"drop\"; },\n"
	    "  { name = \"r7\"; dst_name = (\"=e.example\", \"e.example\");"
	    " verdict = \"drop\"; },\n"
	    "  { name = \"r8\"; dst_name = \"=f.example\"; verdict = \"drop\"; },\n"
	    "  { name = \"r9\"; dst_name = \"=f.example\"; verdict = \"drop\"; }\n"
	    ");\n", f[0], f[1], f[2]);
	if (!expect_ok("dname union", &cf, text)) {
		free(text);
		return;
	}
	rs = cf.rules;
	CHECK_UINT_EQ(rs->ndname_sets, 3, "dname union: @s1, @s2, @s3 once each");
	CHECK(rs->dname_own != NULL &&
	    nfqd_names_count(rs->dname_own) == 5,
	    "dname union: a, b, c, e, f in one set");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = strlen(rows[i].name);
		CHECK_INT_EQ(nfqd_rules_dname(rs, rows[i].name, n),
		    rows[i].want, unit_fmt("dname union: %s", rows[i].name));
		CHECK_INT_EQ(nfqd_rules_dname_walk(rs, rows[i].name, n),
		    rows[i].want, unit_fmt("dname walk: %s", rows[i].name));
	}
	nfqd_config_free(&cf);

	/* Random rule sets (a fixed seed) over a few related names. */
	unit_write_text(f[0], "=a.test\nb.a.test\n");
	unit_write_text(f[1], "d.test\n=x.d.test\n");
	unit_write_text(f[2], "c.b.a.test\n");
	unit_write_text(f[3], "\n");
#define NEXT()	(x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
	for (set = 0; set < 300; set++) {
		n = (size_t)snprintf(text, cap, "queue = { balance = \"0:0\"; };\n"
		    "dns_learn = { enabled = true; };\n"
		    "name_sets = ( { name = \"s0\"; file = \"%s\"; },\n"
		    "  { name = \"s1\"; file = \"%s\"; },\n"
		    "  { name = \"s2\"; file = \"%s\"; },\n"
		    "  { name = \"s3\"; file = \"%s\"; } );\nrules = (\n",
		    f[0], f[1], f[2], f[3]);
		nr = 1 + (unsigned)(NEXT() % 12);
		for (r = 0; r < nr; r++) {
			n += (size_t)snprintf(text + n, cap - n,
			    "%s{ name = \"r%u\"; ", r ? ",\n" : "", r);
			if (NEXT() % 5 == 0) {
				n += (size_t)snprintf(text + n, cap - n,
				    "proto = \"udp\"; tls_sni = \"%s\"; "
				    "verdict = \"drop\"; }",
				    pool[NEXT() % 8]);
				continue;
			}
			n += (size_t)snprintf(text + n, cap - n,
			    "dst_name = (");
			ne = 1 + (unsigned)(NEXT() % 4);
			for (k = 0; k < ne; k++) {
				switch (NEXT() % 3) {
				case 0:
					snprintf(el, sizeof(el), "@s%u",
					    (unsigned)(NEXT() % 4));
					break;
				case 1:
					snprintf(el, sizeof(el), "=%s",
					    pool[NEXT() % 8]);
					break;
				default:
					snprintf(el, sizeof(el), "%s",
					    pool[NEXT() % 8]);
				}
				n += (size_t)snprintf(text + n, cap - n,
				    "%s\"%s\"", k ? ", " : "", el);
			}
			n += (size_t)snprintf(text + n, cap - n,
			    "); verdict = \"%s\"; }",
			    NEXT() % 2 ? "drop" : "accept");
		}
		snprintf(text + n, cap - n, "\n);\n");
		if (!expect_ok(unit_fmt("dname random %u", set), &cf, text))
			break;
		for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			n = strlen(queries[i]);
			a = nfqd_rules_dname(cf.rules, queries[i], n);
			b = nfqd_rules_dname_walk(cf.rules, queries[i], n);
			if (a != b && bad++ < 5)
				CHECKF(0, "dname random: union == walk",
				    "set %u, %s: union %d, walk %d", set,
				    queries[i], a, b);
			yes += b;
			cmp++;
		}
		nfqd_config_free(&cf);
	}
#undef NEXT
	free(text);
	CHECK_UINT_EQ(bad, 0, unit_fmt("dname random: %u answers, union == "
	    "walk", cmp));
	CHECK(yes > cmp / 4 && yes < cmp * 3 / 4,
	    unit_fmt("dname random: both answers asked (%u of %u yes)", yes,
	    cmp));
}

/*
 * The load's yield (yield.h): calls counted, and the call that gives up
 * (-1; 0: none does).  How often in time is the benchmark's to say
 * (tests/bench/reload_stall.py), not a test's: calls are counted here.
 */
static struct {
	unsigned	calls, give_up;
} yl;

static int
count_yield(void *arg)
{
	(void)arg;
	yl.calls++;
	return yl.give_up != 0 && yl.calls >= yl.give_up ? -1 : 0;
}

#define YIELD_RULES	10000

/* YIELD_RULES rules, every 50th on the set s of file set; NULL: no room. */
static char *
many_rules(const char *set, const char *prefix)
{
	struct nfqd_buf	b;
	unsigned	i;

	buf_init(&b);
	buf_printf(&b, "queue = { balance = \"0:1\"; };\n"
	    "name_sets = ( { name = \"s\"; file = \"%s\"; } );\n"
	    "rules = (\n", set);
	for (i = 0; i < YIELD_RULES; i++) {
		if (i % 50 == 0)
			buf_printf(&b, "{ name = \"%s%u\"; server_name = "
			    "\"@s\"; verdict = \"drop\"; },\n", prefix, i);
		else
			buf_printf(&b, "{ name = \"%s%u\"; dst = "
			    "\"10.%u.%u.0/24\"; proto = \"tcp\"; dst_port = "
			    "%u; in_iface = \"lo\"; verdict = \"accept\"; },\n",
			    prefix, i, i >> 8, i & 255, 1 + i % 60000);
	}
	buf_printf(&b, "{ name = \"%slast\"; verdict = \"drop\"; }\n);\n",
	    prefix);
	if (b.failed) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

static bool
reported(const struct unit_reports *rs, const char *msg)
{
	int	i;

	for (i = 0; i < rs->n && i < (int)NFQD_ARRAY_SIZE(rs->r); i++)
		if (strstr(rs->r[i].msg, msg) != NULL)
			return true;
	return false;
}

/*
 * A reload of many rules yields (to the master's supervision) all along
 * the text's scan, the wait on the parser child, the rules' reading and
 * the classifier's build, and gives up at once when the yield says -1:
 * the load fails, frees what it built (make asan), and the rules in force
 * are untouched.  The scan yields first (scan calls, counted here), then
 * the wait on the child (a file only), the set's list (one yield, its one
 * read); the rules every 32 (313 calls for 10,001), the classifier every
 * 256 rules filed (40) and then every 256 lists made.
 */
static void
test_load_yield(void)
{
	static const struct {
		const char	*what;
		bool		 file;		/* load_reusing: the parser child */
		unsigned	 give_up;	/* after the scan's calls */
		const char	*msg;
	} rows[] = {
		{ "the text's scan", false, 0, "not read to its end: nfqd is "
		    "stopping" },
		{ "the parser child's wait", true, 1, "the configuration "
		    "parser was stopped (nfqd is stopping) reading it: "
		    "refused" },
		{ "the first rule", false, 2, "not read to its end (rule 1 "
		    "of 10001): nfqd is stopping" },
		{ "rule 4993", false, 158, "not read to its end (rule 4993 "
		    "of 10001): nfqd is stopping" },
		{ "the last rules", false, 314, "not read to its end (rule "
		    "9985 of 10001)" },
		{ "the classifier's filing", false, 315, "10001 rules not "
		    "compiled: nfqd is stopping" },
		{ "the classifier's lists", false, 355, "10001 rules not "
		    "compiled: nfqd is stopping" },
		{ "a reload's rules", true, 200, "): nfqd is stopping" },
	};
	struct nfqd_config	 a, b;
	struct nfqd_cfgtext	 t;
	struct unit_reports	 rs;
	char			 set[PATH_MAX], conf[PATH_MAX], *ta, *tb;
	unsigned		 scan;
	size_t			 i;
	int			 e;

	snprintf(set, sizeof(set), "%s/yield.txt", dir);
	snprintf(conf, sizeof(conf), "%s/yield.conf", dir);
	unit_write_text(set, "a.example\nb.example\n");
	ta = many_rules(set, "a");
	tb = many_rules(set, "b");
	if (ta == NULL || tb == NULL ||
	    unit_write_text(conf, tb) == -1) {
		CHECK(0, "load yield: the configurations written");
		free(ta);
		free(tb);
		return;
	}
	/* The rules in force: loaded without a yield, as at start. */
	memset(&rs, 0, sizeof(rs));
	e = nfqd_config_load_text(&a, "a.conf", ta, strlen(ta), NULL,
	    unit_collect, &rs);
	CHECK_INT_EQ(e, 0, "load yield: the running rules load");
	if (e != 0) {
		free(ta);
		free(tb);
		return;
	}

	/* The scan's calls, the same for the text and the file. */
	memset(&yl, 0, sizeof(yl));
	nfqd_load_set_yield(count_yield, NULL);
	memset(&rs, 0, sizeof(rs));
	nfqd_cfgtext_init(&t, NFQD_CFGTEXT_MAX, unit_collect, &rs);
	e = nfqd_cfgtext_set(&t, "b.conf", tb, strlen(tb), NULL);
	nfqd_cfgtext_free(&t);
	scan = yl.calls;
	CHECKF(e == 0 && scan >= 10, "load yield: the scan yields",
	    "%d errors, %u calls", e, scan);

	/* Called all along the rules and the classifier. */
	memset(&yl, 0, sizeof(yl));
	memset(&rs, 0, sizeof(rs));
	e = nfqd_config_load_text(&b, "b.conf", tb, strlen(tb), NULL,
	    unit_collect, &rs);
	CHECK_INT_EQ(e, 0, "load yield: loads with a yield");
	if (e == 0)
		nfqd_config_free(&b);
	CHECKF(yl.calls >= scan + 1 + 313 + 40 + 1, "load yield: called through "
	    "the rules and the classifier", "%u calls", yl.calls);

	for (i = 0; i < NFQD_ARRAY_SIZE(rows); i++) {
		memset(&yl, 0, sizeof(yl));
		yl.give_up = rows[i].give_up == 0 ? 1 : scan +
		    rows[i].give_up;
		memset(&rs, 0, sizeof(rs));
		if (rows[i].file)
			e = nfqd_config_load_reusing(&b, conf, NULL,
			    unit_collect, &rs, a.rules);
		else
			e = nfqd_config_load_text(&b, "b.conf", tb,
			    strlen(tb), NULL, unit_collect, &rs);
		CHECKF(e > 0 && reported(&rs, rows[i].msg),
		    unit_fmt("load yield: -1 in %s gives up", rows[i].what),
		    "%d errors, %u calls, first \"%s\"", e, yl.calls,
		    rs.n > 0 ? rs.r[0].msg : "");
		CHECK_INT_EQ(yl.calls, yl.give_up,
		    unit_fmt("load yield: not called after -1 (%s)",
		    rows[i].what));
		if (e == 0)
			nfqd_config_free(&b);
		CHECK(a.rules->n == YIELD_RULES + 1 &&
		    strcmp(a.rules->rules[YIELD_RULES].name, "alast") == 0 &&
		    set_has(&a, 0, "b.example") == 1,
		    unit_fmt("load yield: the running rules intact (%s)",
		    rows[i].what));
	}
	/* And a reload that runs to its end takes the running sets on. */
	yl.give_up = 0;
	e = nfqd_config_load_reusing(&b, conf, NULL, unit_collect, &rs,
	    a.rules);
	CHECK_INT_EQ(e, 0, "load yield: a reload after them loads");
	nfqd_load_set_yield(NULL, NULL);
	if (e == 0) {
		CHECK_INT_EQ(b.rules->n, YIELD_RULES + 1,
		    "load yield: the reload's rules");
		nfqd_config_free(&b);
	}
	nfqd_config_free(&a);
	free(ta);
	free(tb);
}

int
main(void)
{
	int	rc;

	if (unit_mkdtemp(dir, sizeof(dir)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_summary();
	test_errors_keys();
	test_errors_addrs();
	test_errors_ports();
	test_errors_verdicts();
	test_errors_l4();
	test_errors_never();
	test_errors_l7ports();
	test_errors_rate();
	test_errors_names();
	test_ja4_key();
	test_path_key();
	test_warnings();
	test_copy_range();
	test_copy_warnings();
	test_example();
	test_rate_parse();
	test_match_addrs();
	test_match_ports();
	test_match_l4();
	test_match_meta();
	test_match_iface();
	test_engine_capture();
	test_engine_basic(false);
	test_engine_basic(true);
	test_engine_rate(false);
	test_engine_rate(true);
	test_engine_metadata(false);
	test_engine_metadata(true);
	test_engine_norules();
	test_burst_overflow();
	test_empty_rules();
	test_classify_vs_linear();
	sets_cap_files();
	sets_empty_files();
	test_sets_reuse();
	test_sets_cap();
	test_sets_refused();
	test_sets_empty();
	test_dname_union();
	test_load_yield();
	rc = unit_done();
	if (unit_rmtree(dir) == -1) {
		perror(dir);
		rc = 1;
	}
	return rc;
}
