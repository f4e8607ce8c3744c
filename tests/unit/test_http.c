/*
 * Unit tests for src/l7/http.c and httpnorm.c: request heads written out
 * here, real requests captured from curl, and crafted shapes that hide a
 * host or a path from a rule (a second Host, folding, a Host that disagrees
 * with the target, dot-segments and escapes).  Every request is also parsed
 * at every prefix length (each prefix copied to a buffer of exactly that
 * size, so a read past it is a read past the allocation under ASan or
 * valgrind): MORE up to one answer, which then stays.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/http.h"
#include "unit.h"
#include "http_prefix.h"

/*
 * Captured on 127.0.0.1 by a python3 listener that kept the bytes of the
 * connection up to the end of the head (and a body in the same read), from
 * curl 7.88.1:
 *   curl http://127.0.0.1:PORT/Admin/./x/../index.html?q=1	(real_get:
 *	curl removed the dot-segments itself)
 *   curl --path-as-is --resolve www.Example.COM:PORT:127.0.0.1 \
 *	'http://www.Example.COM:PORT/%2e%2e/Admin//./x?q=%7e'	(real_asis)
 *   curl -x http://127.0.0.1:PORT http://www.example.org/dir/page?x=1
 *							(real_proxy)
 *   curl -p -x http://127.0.0.1:PORT https://www.example.net/	(real_connect)
 *   curl -d a=b --resolve api.example.com:PORT:127.0.0.1 \
 *	http://api.example.com:PORT/v1/items			(real_post)
 *   curl -0 --resolve www.example.com:PORT:127.0.0.1 \
 *	http://www.example.com:PORT/				(real_http10)
 *   curl -g -H 'Host: [::1]:8080' http://127.0.0.1:PORT/	(real_ipv6)
 * tshark 4.0.17 (the bytes wrapped in a TCP/80 pcap by text2pcap) reads
 * method | uri | host | version as
 *   real_get:     GET|/Admin/index.html?q=1|127.0.0.1:44893|HTTP/1.1
 *   real_asis:    GET|/%2e%2e/Admin//./x?q=%7e|www.Example.COM:33829|HTTP/1.1
 *   real_proxy:   GET|http://www.example.org/dir/page?x=1|www.example.org|
 *		   HTTP/1.1
 *   real_connect: CONNECT|www.example.net:443|www.example.net:443|HTTP/1.1
 *   real_post:    POST|/v1/items|api.example.com:42805|HTTP/1.1, and
 *		   Content-Length 3
 *   real_http10:  GET|/|www.example.com:40171|HTTP/1.0
 *   real_ipv6:    GET|/|[::1]:8080|HTTP/1.1
 */
static const char	real_get[] =
	"GET /Admin/index.html?q=1 HTTP/1.1\r\n"
	"Host: 127.0.0.1:44893\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";
static const char	real_asis[] =
	"GET /%2e%2e/Admin//./x?q=%7e HTTP/1.1\r\n"
	"Host: www.Example.COM:33829\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";
static const char	real_proxy[] =
	"GET http://www.example.org/dir/page?x=1 HTTP/1.1\r\n"
	"Host: www.example.org\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"\r\n";
static const char	real_connect[] =
	"CONNECT www.example.net:443 HTTP/1.1\r\n"
	"Host: www.example.net:443\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"\r\n";
static const char	real_post[] =
	"POST /v1/items HTTP/1.1\r\n"
	"Host: api.example.com:42805\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Content-Length: 3\r\n"
	"Content-Type: application/x-www-form-urlencoded\r\n"
	"\r\n"
	"a=b";
static const char	real_http10[] =
	"GET / HTTP/1.0\r\n"
	"Host: www.example.com:40171\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";
static const char	real_ipv6[] =
	"GET / HTTP/1.1\r\n"
	"Host: [::1]:8080\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";

/* A string literal and its length without the terminating NUL. */
#define S(s)	(s), sizeof(s) - 1

#define UA	"User-Agent: t\r\n"
/* The rest of a request for a blocked host, after its target. */
#define BL	" HTTP/1.1\r\nHost: blocked.example\r\n\r\n"

struct hcase {
	const char	*name;
	const char	*req;
	size_t		 len;
	enum nfqd_l7_res res;
	uint8_t		 why;
	const char	*host, *method, *path;
	uint8_t		 minor;
	size_t		 used;		/* 0: len */
};

/* The rest of a case that is DONE: host, method, path, minor. */
#define OK(h, m, p, minor)	NFQD_L7_DONE, 0, (h), (m), (p), (minor), 0
/* The rest of a case that is NOT or BAD for NFQD_HTTP_R_<why>. */
#define NO(why)		NFQD_L7_NOT, NFQD_HTTP_R_##why, NULL, NULL, NULL, 0, 0
#define BAD(why)	NFQD_L7_BAD, NFQD_HTTP_R_##why, NULL, NULL, NULL, 0, 0

static const struct hcase	cases[] = {
	/* Shapes. */
	{ "plain", S("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
	  OK("example.com", "GET", "/", 1) },
	{ "HTTP/1.0 without Host", S("GET /x HTTP/1.0\r\n" UA "\r\n"),
	  OK("", "GET", "/x", 0) },
	{ "HTTP/1.1 without Host", S("GET /x HTTP/1.1\r\n" UA "\r\n"),
	  OK("", "GET", "/x", 1) },
	{ "no header at all", S("GET /x HTTP/1.0\r\n\r\n"),
	  OK("", "GET", "/x", 0) },
	{ "mixed case header name and host",
	  S("GET / HTTP/1.1\r\nhOsT: WWW.Example.COM\r\n\r\n"),
	  OK("www.example.com", "GET", "/", 1) },
	{ "host with port", S("GET / HTTP/1.1\r\nHost: example.com:8080\r\n"
	  "\r\n"), OK("example.com", "GET", "/", 1) },
	{ "host with empty port", S("GET / HTTP/1.1\r\nHost: example.com:\r\n"
	  "\r\n"), OK("example.com", "GET", "/", 1) },
	{ "host trailing dot", S("GET / HTTP/1.1\r\nHost: example.com.\r\n"
	  "\r\n"), OK("example.com", "GET", "/", 1) },
	{ "host trailing dot and port", S("GET / HTTP/1.1\r\n"
	  "Host: example.com.:80\r\n\r\n"), OK("example.com", "GET", "/", 1) },
	{ "host OWS", S("GET / HTTP/1.1\r\nHost: \t example.com \t\r\n\r\n"),
	  OK("example.com", "GET", "/", 1) },
	{ "host no OWS", S("GET / HTTP/1.1\r\nHost:example.com\r\n\r\n"),
	  OK("example.com", "GET", "/", 1) },
	{ "empty Host", S("GET / HTTP/1.1\r\nHost:  \r\n\r\n"),
	  OK("", "GET", "/", 1) },
	{ "host underscore and digits", S("GET / HTTP/1.1\r\n"
	  "Host: _srv-1.Example9.com\r\n\r\n"),
	  OK("_srv-1.example9.com", "GET", "/", 1) },
	{ "IPv4 host", S("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n"),
	  OK("192.0.2.1", "GET", "/", 1) },
	{ "IPv6 host", S("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8080\r\n\r\n"),
	  OK("[2001:db8::1]", "GET", "/", 1) },
	{ "IPv6 host, IPv4 tail", S("GET / HTTP/1.1\r\n"
	  "Host: [::ffff:192.0.2.1]\r\n\r\n"),
	  OK("[::ffff:192.0.2.1]", "GET", "/", 1) },
	{ "bare LF line ends", S("GET /a HTTP/1.1\nHost: example.com\n\n"),
	  OK("example.com", "GET", "/a", 1) },
	{ "empty lines before the request", S("\r\n\n\r\nGET / HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n"), OK("a.example", "GET", "/", 1) },
	{ "body not counted", S("POST /f HTTP/1.1\r\nHost: a.example\r\n"
	  "Content-Length: 5\r\n\r\nhello"), NFQD_L7_DONE, 0, "a.example",
	  "POST", "/f", 1, 56 },
	{ "second request not looked at", S("GET / HTTP/1.1\r\nHost: a.example"
	  "\r\n\r\nGET / HTTP/1.1\r\nHost: b\0ad\r\n\r\n"), NFQD_L7_DONE, 0,
	  "a.example", "GET", "/", 1, 35 },
	{ "obs-text in another header", S("GET / HTTP/1.1\r\nHost: a.example"
	  "\r\nX-Name: caf\xc3\xa9\r\n\r\n"), OK("a.example", "GET", "/", 1) },
	{ "HTAB in a value", S("GET / HTTP/1.1\r\nX-A: a\tb\r\nHost: a.example"
	  "\r\n\r\n"), OK("a.example", "GET", "/", 1) },
	{ "empty value", S("GET / HTTP/1.1\r\nX-A:\r\nHost: a.example\r\n"
	  "\r\n"), OK("a.example", "GET", "/", 1) },
	{ "HTTP/1.2 read as 1.x", S("GET / HTTP/1.2\r\nHost: a.example\r\n"
	  "\r\n"), OK("a.example", "GET", "/", 2) },
	{ "method of 16 tchars", S("ABCDEFGHIJKLMN-_ / HTTP/1.1\r\n\r\n"),
	  OK("", "ABCDEFGHIJKLMN-_", "/", 1) },
	{ "method case kept", S("get / HTTP/1.1\r\n\r\n"),
	  OK("", "get", "/", 1) },
	{ "absolute-form", S("GET http://www.example.org/dir/p?x=1 HTTP/1.1"
	  "\r\nHost: www.example.org\r\n\r\n"),
	  OK("www.example.org", "GET", "/dir/p?x=1", 1) },
	{ "absolute-form without Host", S("GET http://Www.Example.org/ "
	  "HTTP/1.1\r\n\r\n"), OK("www.example.org", "GET", "/", 1) },
	{ "absolute-form HTTPS, no path", S("GET HTTPS://Example.com:443 "
	  "HTTP/1.1\r\nHost: example.com\r\n\r\n"),
	  OK("example.com", "GET", "/", 1) },
	{ "absolute-form, query without path", S("GET http://a.example?q "
	  "HTTP/1.1\r\n\r\n"), OK("a.example", "GET", "/?q", 1) },
	{ "absolute-form, Host differs in port only", S("GET "
	  "http://a.example:8080/ HTTP/1.1\r\nHost: A.example:80\r\n\r\n"),
	  OK("a.example", "GET", "/", 1) },
	{ "absolute-form path normalized", S("GET http://a.example/x/../%61"
	  "dmin HTTP/1.1\r\n\r\n"), OK("a.example", "GET", "/admin", 1) },
	{ "CONNECT", S("CONNECT www.Example.net:443 HTTP/1.1\r\n"
	  "Host: www.example.net:443\r\n\r\n"),
	  OK("www.example.net", "CONNECT", "", 1) },
	{ "CONNECT IPv6", S("CONNECT [::1]:443 HTTP/1.1\r\n\r\n"),
	  OK("[::1]", "CONNECT", "", 1) },
	{ "OPTIONS *", S("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n"),
	  OK("a.example", "OPTIONS", "*", 1) },

	/* Paths. */
	{ "path dot-segments", S("GET /a/./b/../c HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/c", 1) },
	{ "path %61dmin", S("GET /%61dmin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path %2e%2e/", S("GET /%2e%2e/admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path %2E%2e under a dir", S("GET /x/%2E%2e/admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path /./admin", S("GET /./admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path //admin", S("GET //admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path a//b///c", S("GET /a//b///c HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/b/c", 1) },
	{ "path /../ above the root", S("GET /../../admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path trailing slash kept", S("GET /admin/ HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin/", 1) },
	{ "path trailing /.", S("GET /admin/. HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin/", 1) },
	{ "path trailing /..", S("GET /a/b/.. HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/", 1) },
	{ "path /..", S("GET /.. HTTP/1.1\r\n\r\n"), OK("", "GET", "/", 1) },
	{ "path query kept", S("GET /admin?x=1&y=/../z HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin?x=1&y=/../z", 1) },
	{ "path query escapes", S("GET /a?b=%2f%7e%41%00 HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a?b=%2F~A%00", 1) },
	{ "path dot-segment before query", S("GET /a/..?x HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/?x", 1) },
	{ "path: a reserved escape decoded, '?' kept, hex upper", S("GET "
	  "/a%3ab%3F HTTP/1.1\r\n\r\n"), OK("", "GET", "/a:b%3F", 1) },
	{ "path: sub-delims and '@' decoded (nginx, Go, Python do)",
	  S("GET /%40a%21%24%26%27%28%29%2a%2B%2C%3D%22 HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/@a!$&'()*+,=\"", 1) },
	{ "path: '%', '#', ';', blank, controls, non-ASCII kept escaped",
	  S("GET /a%25%23%3b%20%7f%c3%a9 HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a%25%23%3B%20%7F%C3%A9", 1) },
	{ "query: reserved escapes kept", S("GET /a%40?b%40%26 HTTP/1.1\r\n"
	  "\r\n"), OK("", "GET", "/a@?b%40%26", 1) },
	{ "path unreserved escapes", S("GET /%7e%2D%5f%2E%30 HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/~-_.0", 1) },
	{ "path non-ASCII escape kept", S("GET /caf%c3%a9 HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/caf%C3%A9", 1) },
	{ "path three dots is a name", S("GET /.../x HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/.../x", 1) },

	/* Path parameters, taken out as Tomcat and Jetty take them out. */
	{ "path parameter on a name", S("GET /a;x=1/b HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/b", 1) },
	{ "path parameter, rule /a/admin", S("GET /a;x/admin HTTP/1.1\r\n"
	  "Host: blocked.example\r\n\r\n"),
	  OK("blocked.example", "GET", "/a/admin", 1) },
	{ "path parameters, two", S("GET /a;x;y=2/b HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/b", 1) },
	{ "path parameter empty", S("GET /a;/b; HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/b", 1) },
	{ "path parameter on each segment", S("GET /a;1/b;2/c;3 HTTP/1.1\r\n"
	  "\r\n"), OK("", "GET", "/a/b/c", 1) },
	{ "path parameter, name escaped", S("GET /%61dmin;x HTTP/1.1\r\n"
	  "\r\n"), OK("", "GET", "/admin", 1) },
	{ "path parameter, escapes in it", S("GET /a;x=%41%3b/b HTTP/1.1\r\n"
	  "\r\n"), OK("", "GET", "/a/b", 1) },
	{ "path parameter, then ..", S("GET /x;y/../admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/admin", 1) },
	{ "path ;jsessionid last", S("GET /;jsessionid=ABC HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/", 1) },
	{ "path ;jsessionid after a dir", S("GET /app/;jsessionid=ABC HTTP/1.1"
	  "\r\n\r\n"), OK("", "GET", "/app/", 1) },
	{ "path ;jsessionid on a name", S("GET /app/login;jsessionid=ABC?u=1 "
	  "HTTP/1.1\r\n\r\n"), OK("", "GET", "/app/login?u=1", 1) },
	{ "path ;jsessionid last, query", S("GET /;jsessionid=ABC?x=1 HTTP/1.1"
	  "\r\n\r\n"), OK("", "GET", "/?x=1", 1) },
	{ "path ; alone last", S("GET /a/; HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a/", 1) },
	{ "path ;x after //", S("GET //;x HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/", 1) },
	{ "path escaped ; is a name", S("GET /a%3bx/admin HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a%3Bx/admin", 1) },
	{ "query ; untouched", S("GET /a?b;c=d;e HTTP/1.1\r\n\r\n"),
	  OK("", "GET", "/a?b;c=d;e", 1) },
	{ "query ; after a path parameter", S("GET /a;p?b;c HTTP/1.1\r\n"
	  "\r\n"), OK("", "GET", "/a?b;c", 1) },
	{ "absolute-form path parameter", S("GET http://a.example/a;x/admin "
	  "HTTP/1.1\r\n\r\n"), OK("a.example", "GET", "/a/admin", 1) },

	/* Evasions: a second host, a hidden host, a path spelt around. */
	{ "duplicate Host", S("GET / HTTP/1.1\r\nHost: a.example\r\n"
	  "Host: a.example\r\n\r\n"), BAD(HOST_DUP) },
	{ "duplicate Host, other case", S("GET / HTTP/1.1\r\nHost: a.example"
	  "\r\nhost: b.example\r\n\r\n"), BAD(HOST_DUP) },
	{ "duplicate Host, second empty", S("GET / HTTP/1.1\r\nHost: a.example"
	  "\r\nHOST:\r\n\r\n"), BAD(HOST_DUP) },
	{ "Host : (space before colon)", S("GET / HTTP/1.1\r\nHost : a.example"
	  "\r\n\r\n"), BAD(FIELD) },
	{ "Host\\t: (tab before colon)", S("GET / HTTP/1.1\r\nHost\t: a.example"
	  "\r\n\r\n"), BAD(FIELD) },
	{ "folded Host", S("GET / HTTP/1.1\r\nHost:\r\n a.example\r\n\r\n"),
	  BAD(FIELD) },
	{ "folded Host value", S("GET / HTTP/1.1\r\nHost: a.example\r\n"
	  "\tb.example\r\n\r\n"), BAD(FIELD) },
	{ "space before the first header", S("GET / HTTP/1.1\r\n Host: "
	  "b.example\r\nHost: a.example\r\n\r\n"), BAD(FIELD) },
	{ "absolute-form with a different Host", S("GET http://a.example/ "
	  "HTTP/1.1\r\nHost: b.example\r\n\r\n"), BAD(HOST_DIFF) },
	{ "absolute-form with an empty Host", S("GET http://a.example/ "
	  "HTTP/1.1\r\nHost:\r\n\r\n"), BAD(HOST_DIFF) },
	{ "CONNECT with a different Host", S("CONNECT a.example:443 HTTP/1.1"
	  "\r\nHost: b.example:443\r\n\r\n"), BAD(HOST_DIFF) },
	{ "absolute-form userinfo", S("GET http://a.example@b.example/ "
	  "HTTP/1.1\r\n\r\n"), BAD(HOST) },
	{ "absolute-form empty host", S("GET http:///admin HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n"), BAD(HOST) },
	{ "absolute-form other scheme", S("GET foo://b.example/ HTTP/1.1\r\n"
	  "Host: a.example\r\n\r\n"), BAD(TARGET) },
	{ "Host userinfo", S("GET / HTTP/1.1\r\nHost: a.example@b.example\r\n"
	  "\r\n"), BAD(HOST) },
	{ "Host two names", S("GET / HTTP/1.1\r\nHost: a.example, b.example"
	  "\r\n\r\n"), BAD(HOST) },
	{ "Host space inside", S("GET / HTTP/1.1\r\nHost: a b.example\r\n"
	  "\r\n"), BAD(HOST) },
	{ "Host %-escape", S("GET / HTTP/1.1\r\nHost: b%2eexample\r\n\r\n"),
	  BAD(HOST) },
	{ "Host port not digits", S("GET / HTTP/1.1\r\nHost: a.example:80x"
	  "\r\n\r\n"), BAD(HOST) },
	{ "Host two ports", S("GET / HTTP/1.1\r\nHost: a.example:80:81\r\n"
	  "\r\n"), BAD(HOST) },
	{ "Host empty label", S("GET / HTTP/1.1\r\nHost: a..example\r\n\r\n"),
	  BAD(HOST) },
	{ "Host two trailing dots", S("GET / HTTP/1.1\r\nHost: a.example..\r\n"
	  "\r\n"), BAD(HOST) },
	{ "Host only a port", S("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"),
	  BAD(HOST) },
	{ "Host non-ASCII", S("GET / HTTP/1.1\r\nHost: caf\xc3\xa9.example\r\n"
	  "\r\n"), BAD(HOST) },
	{ "Host NUL", S("GET / HTTP/1.1\r\nHost: a.example\0.evil\r\n\r\n"),
	  BAD(CTL) },
	{ "Host IPv6 unclosed", S("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"),
	  BAD(HOST) },
	{ "Host IPv6 junk after", S("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"),
	  BAD(HOST) },
	{ "Host IPvFuture", S("GET / HTTP/1.1\r\nHost: [v1.x]\r\n\r\n"),
	  BAD(HOST) },
	{ "Host IPv6 zone", S("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n"
	  "\r\n"), BAD(HOST) },
	{ "path %2F", S("GET /admin%2Fx HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path %2f", S("GET /a%2fdmin HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path %5C", S("GET /a%5cadmin HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path %00", S("GET /admin%00.html HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path backslash", S("GET /x\\..\\admin HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path // then ..", S("GET /a//../admin HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path // then a later ..", S("GET /a//./b/../c HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path leading // then ..", S("GET //../admin HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path ..;/", S("GET /x/..;/admin HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path .;x", S("GET /.;x/admin HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path %2e%2e;", S("GET /x/%2e%2e;/admin HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path ..;x last", S("GET /x/..;x HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path .;x last", S("GET /x/.;x HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "path ;x first", S("GET /;x/admin HTTP/1.1\r\n"
	  "Host: blocked.example\r\n\r\n"), BAD(PATH) },
	{ "path ; alone first", S("GET /;/admin HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path ;jsessionid then more", S("GET /;jsessionid=1/admin HTTP/1.1"
	  "\r\n\r\n"), BAD(PATH) },
	{ "path ; then ..", S("GET /x/;/../admin HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path ;x in the middle", S("GET /a/;x/b HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path parameter with %2F", S("GET /a;x%2Fy/b HTTP/1.1\r\n\r\n"),
	  BAD(PATH) },
	{ "path parameter with a backslash", S("GET /a;x\\y/b HTTP/1.1\r\n"
	  "\r\n"), BAD(PATH) },
	{ "absolute-form ;x first", S("GET http://a.example/;x/admin "
	  "HTTP/1.1\r\n\r\n"), BAD(PATH) },
	{ "target #", S("GET /admin#x HTTP/1.1\r\n\r\n"), BAD(TARGET) },
	{ "target bad escape", S("GET /%zzadmin HTTP/1.1\r\n\r\n"),
	  BAD(TARGET) },
	{ "target escape cut", S("GET /admin%4 HTTP/1.1\r\n\r\n"),
	  BAD(TARGET) },
	{ "target NUL", S("GET /adm\0in HTTP/1.1\r\n\r\n"), BAD(CTL) },
	{ "target non-ASCII", S("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"),
	  BAD(CTL) },
	{ "NUL in a header value", S("GET / HTTP/1.1\r\nX-A: a\0b\r\n"
	  "Host: a.example\r\n\r\n"), BAD(CTL) },
	{ "NUL in a header name", S("GET / HTTP/1.1\r\nX\0A: a\r\n\r\n"),
	  BAD(CTL) },
	{ "DEL in a header value", S("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"),
	  BAD(CTL) },
	{ "bare CR ends a header line", S("GET / HTTP/1.1\r\nX-A: a\r"
	  "Host: b.example\r\nHost: a.example\r\n\r\n"), BAD(BARE_CR) },
	{ "bare CR ends the request line", S("GET / HTTP/1.1\rHost: "
	  "a.example\r\n\r\n"), BAD(BARE_CR) },
	{ "bare CR ends the head", S("GET / HTTP/1.1\r\nHost: a.example\r\n"
	  "\rX"), BAD(BARE_CR) },
	{ "bare CR before the request", S("\rGET / HTTP/1.1\r\n\r\n"),
	  BAD(BARE_CR) },
	{ "header line without colon", S("GET / HTTP/1.1\r\nHost a.example\r\n"
	  "\r\n"), BAD(FIELD) },
	{ "empty header name", S("GET / HTTP/1.1\r\n: a.example\r\n\r\n"),
	  BAD(FIELD) },
	{ "two spaces after the method", S("GET  /admin HTTP/1.1\r\n\r\n"),
	  BAD(LINE) },
	{ "two spaces before the version", S("GET /admin  HTTP/1.1\r\n\r\n"),
	  BAD(LINE) },
	{ "space inside the target", S("GET /admin x HTTP/1.1\r\n\r\n"),
	  BAD(LINE) },
	{ "HTAB after the target", S("GET /admin\tHTTP/1.1\r\n\r\n"),
	  BAD(LINE) },
	{ "space after the version", S("GET / HTTP/1.1 \r\n\r\n"), BAD(LINE) },
	{ "HTTP/0.9", S("GET /admin\r\n"), BAD(LINE) },
	{ "version lower case", S("GET / http/1.1\r\n\r\n"), BAD(LINE) },
	{ "version two digits", S("GET / HTTP/1.10\r\n\r\n"), BAD(LINE) },
	{ "version without minor", S("GET / HTTP/1\r\n\r\n"), BAD(LINE) },
	{ "version 2.0", S("GET / HTTP/2.0\r\n\r\n"), BAD(VERSION) },
	{ "version 0.9 spelt out", S("GET / HTTP/0.9\r\n\r\n"), BAD(VERSION) },
	{ "asterisk not for OPTIONS", S("GET * HTTP/1.1\r\n\r\n"),
	  BAD(TARGET) },
	{ "asterisk and more", S("OPTIONS *x HTTP/1.1\r\n\r\n"), BAD(TARGET) },
	{ "PRI * HTTP/1.1", S("PRI * HTTP/1.1\r\n\r\n"), BAD(TARGET) },
	{ "PRI * HTTP/2.0 with a header (Go serves it as HTTP/1.1)",
	  S("PRI * HTTP/2.0\r\nHost: ok.example\r\n\r\n"), BAD(VERSION) },
	{ "PRI * HTTP/2.0, an empty line, then no SM",
	  S("PRI * HTTP/2.0\r\n\r\nGET / HTTP/1.1\r\n\r\n"), BAD(VERSION) },
	{ "PRI * HTTP/2.0 ended by a bare LF",
	  S("PRI * HTTP/2.0\n\r\nSM\r\n\r\n"), BAD(VERSION) },
	{ "CONNECT origin-form", S("CONNECT /admin HTTP/1.1\r\n\r\n"),
	  BAD(TARGET) },
	{ "CONNECT without port", S("CONNECT a.example HTTP/1.1\r\n\r\n"),
	  BAD(HOST) },
	{ "CONNECT absolute-form", S("CONNECT http://a.example/ HTTP/1.1\r\n"
	  "\r\n"), BAD(HOST) },

	/* Not HTTP. */
	{ "TLS", S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
	  NO(NOT_HTTP) },
	{ "SSH", S("SSH-2.0-OpenSSH_9.6\r\n"), NO(NOT_HTTP) },
	{ "NUL first", S("\0GET / HTTP/1.1\r\n\r\n"), NO(NOT_HTTP) },
	{ "NUL in the method", S("G\0T / HTTP/1.1\r\n\r\n"), NO(NOT_HTTP) },
	{ "HTTP/2 preface", S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
	  NO(H2_PREFACE) },
	{ "HTTP/2 preface after an empty line (Go's h2c after a POST)",
	  S("\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), BAD(LINE) },
	{ "HTTP/2 preface after a LF", S("\nPRI * HTTP/2.0\r\n\r\nSM\r\n"
	  "\r\n"), BAD(LINE) },
	{ "FTP USER", S("USER anonymous\r\n"), NO(NOT_TARGET) },
	{ "IMAP", S("a001 LOGIN joe secret\r\n"), NO(NOT_TARGET) },
	{ "SIP", S("INVITE sip:bob@example.com SIP/2.0\r\n"), NO(NOT_TARGET) },
	{ "empty target", S("GET \r\n"), NO(NOT_TARGET) },
	{ "SSH, banner with comment", S("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
	  NO(NOT_HTTP) },
	{ "SMTP EHLO", S("EHLO host\r\n"), NO(NOT_TARGET) },
	{ "POP3 CAPA", S("CAPA\r\n"), NO(NOT_HTTP) },
	{ "Redis", S("*1\r\n$4\r\nPING\r\n"), NO(NOT_HTTP) },
	{ "Redis inline", S("PING\r\n"), NO(NOT_HTTP) },
	{ "gzip", S("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"),
	  NO(NOT_HTTP) },
	{ "BitTorrent", S("\x13" "BitTorrent protocol"), NO(NOT_HTTP) },
	{ "FTP USER x", S("USER x\r\n"), NO(NOT_TARGET) },
	{ "SIP, lower case method", S("invite sip:bob@x SIP/2.0\r\n"),
	  NO(NOT_TARGET) },
	{ "whitespace, then an empty line", S("\x0b\r\nGET / HTTP/1.1\r\n"),
	  NO(NOT_HTTP) },
	{ "HTTP/0.9 POST, HTAB", S("POST\t/admin\r\n\r\n"), NO(NOT_HTTP) },
	{ "HTTP/0.9 get in lower case, HTAB", S("get\t/admin\r\n\r\n"),
	  NO(NOT_HTTP) },
	{ "HTAB, then three words but no version", S("GET\t/admin x\r\n"
	  "\r\n"), NO(NOT_HTTP) },
	{ "HTAB, then four words", S("GET\t/a b HTTP/1.1\r\n\r\n"),
	  NO(NOT_HTTP) },
	{ "HTAB, version other than HTTP/", S("GET\t/admin HTTX/1.1\r\n"),
	  NO(NOT_HTTP) },
	{ "HTTP/0.9 HEAD, scheme", S("HEAD http:x\r\n\r\n"),
	  NO(NOT_TARGET) },

	/*
	 * Lines only lenient servers take: a scheme without "//" (Go and
	 * Apache read "http:/admin" as the path /admin and take the Host
	 * header), a method over 16 (Go, nginx), other whitespace
	 * (Python's http.server), "http/" in lower case (Apache's
	 * HttpProtocolOptions Unsafe), HTTP/0.9 with other whitespace
	 * (Python).  BAD, not NOT: the rules would get no HTTP fields.
	 * tests/unit/test_http.c's test_whitespace() puts each byte of W in
	 * each place of a line.
	 */
	{ "scheme without //", S("GET http:x HTTP/1.1\r\n\r\n"), BAD(LINE) },
	{ "scheme http:/", S("GET http:/admin" BL), BAD(LINE) },
	{ "scheme HTTPS:/", S("GET HTTPS:/admin" BL), BAD(LINE) },
	{ "scheme x:/", S("GET x:/admin" BL), BAD(LINE) },
	{ "scheme a+b.c-d:/", S("GET a+b.c-d:/admin" BL), BAD(LINE) },
	{ "scheme mailto:x", S("GET mailto:x" BL), BAD(LINE) },
	{ "scheme http: alone", S("GET http:" BL), BAD(LINE) },
	{ "scheme http:\\", S("GET http:\\\\admin" BL), BAD(LINE) },
	{ "target a name", S("GET admin" BL), BAD(LINE) },
	{ "target a query", S("GET ?admin" BL), BAD(LINE) },
	{ "target starts with a digit", S("GET 1:/admin" BL), BAD(LINE) },
	{ "target starts with a dot", S("GET ./admin" BL), BAD(LINE) },
	{ "target non-ASCII first", S("GET \xc3\xa9" BL), BAD(LINE) },
	{ "target NUL first", S("GET \0/admin" BL), BAD(LINE) },
	{ "scheme, version in lower case", S("GET x:/admin http/1.1\r\n"
	  "\r\n"), BAD(LINE) },
	{ "scheme, version HtTp/", S("GET x:/admin HtTp/1.1\r\n\r\n"),
	  BAD(LINE) },
	{ "scheme, version cut", S("GET x:/admin HTTP/"), BAD(LINE) },
	{ "SIP method, HTTP version", S("INVITE sip:bob@x" BL), BAD(LINE) },
	{ "method of 17", S("ABCDEFGHIJKLMNOPQ /admin" BL), BAD(LINE) },
	{ "method UPDATEREDIRECTREF (17)", S("UPDATEREDIRECTREF /admin" BL),
	  BAD(LINE) },
	{ "method of 40", S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn /admin"
	  BL), BAD(LINE) },
	{ "method of 17, version cut", S("ABCDEFGHIJKLMNOPQ / HTTP/"),
	  BAD(LINE) },
	{ "space first", S(" GET /admin" BL), BAD(LINE) },
	{ "spaces first after an empty line", S("\r\n  GET /admin" BL),
	  BAD(LINE) },
	{ "HTAB after the method", S("GET\t/admin" BL), BAD(LINE) },
	{ "SP and VT after the method", S("GET \x0b/admin" BL), BAD(LINE) },
	{ "SP and HTAB after the method", S("GET \t/admin" BL), BAD(LINE) },
	{ "0xa0 and SP after the method", S("GET\xa0 /admin" BL), BAD(LINE) },
	{ "CR after the method, LF line ends", S("GET\r/admin HTTP/1.1\n"
	  "Host: blocked.example\n\n"), BAD(LINE) },
	{ "whitespace everywhere", S("\x0b\x0c\x1c GET\x1d\x1e/admin"
	  "\x1f\x85\xa0HTTP/1.1\r\nHost: blocked.example\r\n\r\n"),
	  BAD(LINE) },
	{ "HTTP/0.9 GET, HTAB", S("GET\t/admin\r\nHost: blocked.example\r\n"
	  "\r\n"), BAD(LINE) },
	{ "HTTP/0.9 GET, FF and VT, LF", S("GET\x0c/admin\x0b\n"),
	  BAD(LINE) },
	{ "HTTP/0.9 GET of a name", S("GET admin\r\n\r\n"), BAD(LINE) },
	{ "HTTP/0.9 GET, scheme", S("GET http:/admin\r\n\r\n"), BAD(LINE) },
};

static enum nfqd_l7_res
parse_exact(const char *buf, size_t len, struct nfqd_http_req *r)
{
	return parse_with(nfqd_http_req_parse, buf, len, r);
}

static bool
all_zero_but_why(const struct nfqd_http_req *r)
{
	return zero_but_why_need(r) && r->need == 0;
}

static void
check_prefixes(const char *name, const char *buf, size_t len)
{
	check_prefixes_with(nfqd_http_req_parse, name, buf, len);
}

static void
test_cases(void)
{
	struct nfqd_http_req	r;
	enum nfqd_l7_res	res;
	size_t			i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hcase	*c = &cases[i];

		memset(&r, 0xa5, sizeof(r));
		res = parse_exact(c->req, c->len, &r);
		CHECK_INT_EQ(res, c->res, unit_fmt("%s: result", c->name));
		CHECKF(r.why == c->why, unit_fmt("%s: why", c->name),
		    "got %u (%s), expected %u (%s)", r.why,
		    nfqd_http_why_str(r.why), c->why,
		    nfqd_http_why_str(c->why));
		check_prefixes(c->name, c->req, c->len);
		if (c->res != NFQD_L7_DONE) {
			CHECK(all_zero_but_why(&r),
			    unit_fmt("%s: fields zero", c->name));
			continue;
		}
		CHECK_STR_EQ(r.host, c->host, unit_fmt("%s: host", c->name));
		CHECK_STR_EQ(r.method, c->method,
		    unit_fmt("%s: method", c->name));
		CHECK_STR_EQ(r.path, c->path, unit_fmt("%s: path", c->name));
		CHECK(r.host_len == strlen(c->host) &&
		    r.method_len == strlen(c->method) &&
		    r.path_len == strlen(c->path) && !r.path_cut,
		    unit_fmt("%s: lengths", c->name));
		CHECK_UINT_EQ(r.minor, c->minor, unit_fmt("%s: minor", c->name));
		CHECK_UINT_EQ(r.used, c->used != 0 ? c->used : c->len,
		    unit_fmt("%s: used", c->name));
	}
}

/*
 * Where the body ends (RFC 9112 6.3), and the shapes servers disagree on:
 * both headers (request smuggling's CL.TE and TE.CL), a header twice, a
 * coding other than chunked, a length other than digits.  Connection's
 * "close" and Upgrade too.
 */
#define REQ	"POST /u HTTP/1.1\r\nHost: a.example\r\n"
static const struct fcase {
	const char	*name, *req;
	size_t		 len;
	enum nfqd_l7_res res;
	uint8_t		 body;
	uint64_t	 cl;
	bool		 close, upgrade;
} fcases[] = {
	{ "no framing header", S(REQ "\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Content-Length", S(REQ "Content-Length: 41\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 41, false, false },
	{ "Content-Length 0", S(REQ "content-length:0\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 0, false, false },
	{ "Content-Length, OWS and leading zeros",
	  S(REQ "Content-Length: \t007 \r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 7, false, false },
	{ "Content-Length of 18 digits",
	  S(REQ "Content-Length: 999999999999999999\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 999999999999999999ull, false, false },
	{ "Transfer-Encoding: chunked", S(REQ "Transfer-Encoding: chunked\r\n"
	  "\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_CHUNKED, 0, false, false },
	{ "Transfer-Encoding in capitals", S(REQ "TRANSFER-ENCODING: CHUNKED"
	  "\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_CHUNKED, 0, false, false },
	{ "Connection: close", S(REQ "Connection: close\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, true, false },
	{ "Connection: a list with Close", S(REQ "Connection: keep-alive , "
	  "Close\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Connection: closed", S(REQ "Connection: closed,x-close\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Connection twice, close in the second", S(REQ "Connection: "
	  "keep-alive\r\nConnection: close\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Upgrade", S(REQ "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, true },
	{ "HTTP/1.0 with Content-Length", S("POST / HTTP/1.0\r\n"
	  "Content-Length: 3\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_LENGTH,
	  3, false, false },
	{ "CL then TE", S(REQ "Content-Length: 5\r\nTransfer-Encoding: "
	  "chunked\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "TE then CL", S(REQ "Transfer-Encoding: chunked\r\nContent-Length: "
	  "5\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length twice, equal", S(REQ "Content-Length: 5\r\n"
	  "Content-Length: 5\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length list", S(REQ "Content-Length: 5, 5\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length with a sign", S(REQ "Content-Length: +5\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length in hex", S(REQ "Content-Length: 0x5\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length with a space inside", S(REQ "Content-Length: 5 5"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length empty", S(REQ "Content-Length:\r\n\r\n"), NFQD_L7_BAD,
	  0, 0, false, false },
	{ "Content-Length of 19 digits",
	  S(REQ "Content-Length: 1000000000000000000\r\n\r\n"), NFQD_L7_BAD,
	  0, 0, false, false },
	{ "Transfer-Encoding twice", S(REQ "Transfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"), NFQD_L7_BAD, 0, 0, false,
	  false },
	{ "Transfer-Encoding gzip, chunked", S(REQ "Transfer-Encoding: gzip, "
	  "chunked\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding chunked, chunked", S(REQ "Transfer-Encoding: "
	  "chunked, chunked\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding identity", S(REQ "Transfer-Encoding: identity"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding empty", S(REQ "Transfer-Encoding: \r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding chunked;x", S(REQ "Transfer-Encoding: chunked;x"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding xchunked", S(REQ "Transfer-Encoding: xchunked"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding in HTTP/1.0", S("POST / HTTP/1.0\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"), NFQD_L7_BAD, 0, 0, false,
	  false },
	{ "Content-Length, the name in mixed case",
	  S(REQ "cOnTeNt-LeNgTh: 12\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 12, false, false },
	{ "Content-Length of zeros", S(REQ "Content-Length: 000\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_LENGTH, 0, false, false },
	{ "Content-Length of 18 digits, leading zeros",
	  S(REQ "Content-Length: 000000000000000005\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 5, false, false },
	{ "Transfer-Encoding, OWS", S(REQ "Transfer-Encoding: \t chunked \t"
	  "\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_CHUNKED, 0, false, false },
	{ "Transfer-Encoding: Chunked", S(REQ "transfer-encoding: Chunked"
	  "\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_CHUNKED, 0, false, false },
	{ "chunked and Connection: close", S(REQ "Transfer-Encoding: chunked"
	  "\r\nConnection: close\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_CHUNKED, 0, true, false },
	{ "Connection: empty elements, tabs", S(REQ "Connection: ,\t,CLOSE\t,"
	  "\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Connection: close in HTTP/1.0", S("GET / HTTP/1.0\r\n"
	  "Connection: close\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0,
	  true, false },
	{ "Connection: close, trailing OWS (Python reads on)", S(REQ
	  "Connection: close \r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_NONE,
	  0, false, false },
	{ "Connection: close, leading OWS, capitals", S(REQ "Connection: \t"
	  "cLoSe\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, true,
	  false },
	{ "Connection: close twice", S(REQ "Connection: close\r\n"
	  "Connection: close\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_NONE,
	  0, false, false },
	{ "GET with Content-Length 0", S("GET / HTTP/1.1\r\nContent-Length: 0"
	  "\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_LENGTH, 0, false, false },
	{ "GET with a body (its first byte is read: l7later.c)",
	  S("GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_LENGTH, 1, false, false },
	{ "HEAD chunked", S("HEAD / HTTP/1.1\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Get with a body (not GET to Python)", S("Get / HTTP/1.1\r\n"
	  "Content-Length: 1\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_LENGTH,
	  1, false, false },
	{ "Connection: keep-alive", S(REQ "Connection: keep-alive\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Connection empty", S(REQ "Connection:\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Connection: c lose", S(REQ "Connection: c lose\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Proxy-Connection: close", S(REQ "Proxy-Connection: close\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Upgrade empty", S(REQ "upgrade:\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_NONE, 0, false, true },
	{ "Upgrade-Insecure-Requests (browsers)", S(REQ
	  "Upgrade-Insecure-Requests: 1\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "names that only contain the framing headers'", S(REQ
	  "X-Content-Length: x\r\nTransfer-Encoding-X: gzip\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "Content-Length of 19 digits, leading zeros",
	  S(REQ "Content-Length: 0000000000000000005\r\n\r\n"), NFQD_L7_BAD,
	  0, 0, false, false },
	{ "Content-Length of 30 digits",
	  S(REQ "Content-Length: 184467440737095516161844674407\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length negative", S(REQ "Content-Length: -5\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length with a tab inside", S(REQ "Content-Length: 5\t5"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length and a comma", S(REQ "Content-Length: 5,\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	{ "Content-Length twice, different", S(REQ "Content-Length: 5\r\n"
	  "content-length: 50\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "CL then TE, another header between", S(REQ "Content-Length: 5\r\n"
	  "X: y\r\ntransfer-encoding: CHUNKED\r\n\r\n"), NFQD_L7_BAD, 0, 0,
	  false, false },
	{ "TE then CL 0", S(REQ "Transfer-Encoding: chunked\r\nContent-Length: "
	  "0\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding twice, the second empty", S(REQ "Transfer-Encoding: "
	  "chunked\r\nTransfer-Encoding:\r\n\r\n"), NFQD_L7_BAD, 0, 0,
	  false, false },
	{ "Transfer-Encoding chunked and a comma", S(REQ "Transfer-Encoding: "
	  "chunked,\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding chunked x", S(REQ "Transfer-Encoding: chunked x"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding quoted", S(REQ "Transfer-Encoding: \"chunked\""
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "Transfer-Encoding chunke", S(REQ "Transfer-Encoding: chunke"
	  "\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "HTTP/1.0 with TE and CL", S("POST / HTTP/1.0\r\n"
	  "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  NFQD_L7_BAD, 0, 0, false, false },
	/* Apache 2.4's mod_proxy_connect answers these with 200 and relays
	   what follows the head, a request to the host among it: a proxy
	   tunnels after a CONNECT whatever it says. */
	{ "CONNECT with Connection: close (a proxy tunnels)",
	  S("CONNECT a.example:80 HTTP/1.1\r\nConnection: close\r\n\r\n"),
	  NFQD_L7_DONE, NFQD_HTTP_BODY_NONE, 0, false, false },
	{ "CONNECT with Content-Length", S("CONNECT a.example:80 HTTP/1.1\r\n"
	  "Content-Length: 41\r\n\r\n"), NFQD_L7_BAD, 0, 0, false, false },
	{ "CONNECT chunked", S("CONNECT a.example:80 HTTP/1.1\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"), NFQD_L7_BAD, 0, 0, false,
	  false },
	{ "CONNECT with Content-Length 0", S("CONNECT a.example:80 HTTP/1.1\r\n"
	  "Content-Length: 0\r\n\r\n"), NFQD_L7_DONE, NFQD_HTTP_BODY_LENGTH,
	  0, false, false },
	{ "connect (not CONNECT) with Connection: close", S("connect /x "
	  "HTTP/1.1\r\nConnection: close\r\n\r\n"), NFQD_L7_DONE,
	  NFQD_HTTP_BODY_NONE, 0, true, false },
};

static void
test_framing(void)
{
	struct nfqd_http_req	r;
	enum nfqd_l7_res	res;
	size_t			i;

	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		const struct fcase	*c = &fcases[i];

		memset(&r, 0xa5, sizeof(r));
		res = parse_exact(c->req, c->len, &r);
		CHECK_INT_EQ(res, c->res, unit_fmt("framing: %s: result",
		    c->name));
		check_prefixes(c->name, c->req, c->len);
		if (c->res == NFQD_L7_BAD) {
			CHECK_UINT_EQ(r.why, NFQD_HTTP_R_FRAMING,
			    unit_fmt("framing: %s: why", c->name));
			CHECK(all_zero_but_why(&r),
			    unit_fmt("framing: %s: fields zero", c->name));
			/* Said at the end of the line that shows it. */
			CHECK_INT_EQ(parse_exact(c->req, c->len - 2, &r),
			    NFQD_L7_BAD, unit_fmt("framing: %s: before the "
			    "empty line", c->name));
			continue;
		}
		CHECK_UINT_EQ(r.why, NFQD_HTTP_R_NONE,
		    unit_fmt("framing: %s: no why", c->name));
		CHECKF(r.body == c->body && r.content_length == c->cl &&
		    r.close == c->close && r.upgrade == c->upgrade,
		    unit_fmt("framing: %s: fields", c->name),
		    "body %u length %llu close %d upgrade %d", r.body,
		    (unsigned long long)r.content_length, r.close, r.upgrade);
	}
}

/* The length of the shortest prefix of buf answered other than MORE;
 * len + 1 when none is. */
static size_t
first_answer(const char *buf, size_t len, struct nfqd_http_req *r)
{
	size_t	k;

	for (k = 0; k <= len; k++)
		if (parse_exact(buf, k, r) != NFQD_L7_MORE)
			return k;
	return len + 1;
}

/* NOT as soon as the bytes say so: other protocols' first bytes. */
static void
test_not_early(void)
{
	static const struct {
		const char	*name, *buf;
		size_t		 len, at;	/* NOT first at at bytes */
		uint8_t		 why;
	} nots[] = {
		{ "TLS", S("\x16\x03\x01\x02\x00"), 1, NFQD_HTTP_R_NOT_HTTP },
		{ "NUL", S("\0GET / HTTP/1.1\r\n"), 1, NFQD_HTTP_R_NOT_HTTP },
		{ "gzip", S("\x1f\x8b\x08\x00"), 2, NFQD_HTTP_R_NOT_HTTP },
		{ "Redis", S("*1\r\n$4\r\nPING\r\n"), 4,
		  NFQD_HTTP_R_NOT_HTTP },
		{ "SSH", S("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), 32,
		  NFQD_HTTP_R_NOT_HTTP },
		{ "SSH without comment", S("SSH-2.0-OpenSSH_9.6\r\n"), 21,
		  NFQD_HTTP_R_NOT_HTTP },
		{ "SMTP EHLO", S("EHLO host\r\n"), 11, NFQD_HTTP_R_NOT_TARGET },
		{ "FTP USER", S("USER x\r\n"), 8, NFQD_HTTP_R_NOT_TARGET },
		{ "FTP QUIT", S("QUIT 1\r\n"), 8, NFQD_HTTP_R_NOT_TARGET },
		{ "IMAP", S("a001 LOGIN joe secret\r\n"), 12,
		  NFQD_HTTP_R_NOT_TARGET },
		{ "SIP", S("INVITE sip:bob@x SIP/2.0\r\n"), 18,
		  NFQD_HTTP_R_NOT_TARGET },
		{ "HTTP/2 preface", S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 24,
		  NFQD_HTTP_R_H2_PREFACE },
	};
	struct nfqd_http_req	r;
	size_t			i;

	for (i = 0; i < sizeof(nots) / sizeof(nots[0]); i++) {
		CHECK_UINT_EQ(first_answer(nots[i].buf, nots[i].len, &r),
		    nots[i].at, unit_fmt("%s: answered at byte %zu",
		    nots[i].name, nots[i].at));
		CHECK(parse_exact(nots[i].buf, nots[i].at, &r) == NFQD_L7_NOT &&
		    r.why == nots[i].why, unit_fmt("%s: NOT, %s", nots[i].name,
		    nfqd_http_why_str(nots[i].why)));
	}
	CHECK_INT_EQ(parse_exact("", 0, &r), NFQD_L7_MORE, "no bytes: MORE");
	CHECK_INT_EQ(parse_exact("SSH-2.0-OpenSSH_9", 17, &r), NFQD_L7_MORE,
	    "17 tchars: MORE (a method of any length)");
	CHECK_INT_EQ(parse_exact("USER a", 6, &r), NFQD_L7_MORE,
	    "USER a: a may start a scheme");
	CHECK_INT_EQ(parse_exact("USER a\r", 7, &r), NFQD_L7_MORE,
	    "USER a\\r: HTTP/ may follow");
	CHECK_INT_EQ(parse_exact("GET h", 5, &r), NFQD_L7_MORE,
	    "GET h: may be a scheme");
	CHECK_INT_EQ(parse_exact("GET http:/", 10, &r), NFQD_L7_MORE,
	    "GET http:/: may be absolute-form");
	CHECK_INT_EQ(parse_exact("GET http:x", 10, &r), NFQD_L7_MORE,
	    "GET http:x: HTTP/ may follow");
	CHECK_INT_EQ(parse_exact("GET /a%2", 8, &r), NFQD_L7_MORE,
	    "GET /a%2: MORE until the target ends");
	CHECK_INT_EQ(parse_exact("\r", 1, &r), NFQD_L7_MORE,
	    "lone CR: MORE");
	CHECK_INT_EQ(parse_exact("\r\n", 2, &r), NFQD_L7_MORE,
	    "empty line: MORE");
	CHECK_INT_EQ(parse_exact("\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0 \t\r", 11,
	    &r), NFQD_L7_MORE, "whitespace: MORE");
}

/*
 * Each byte Python's http.server splits a request line at (W), in each
 * place of a line ('@' in the line stands for it).  What the strict
 * reading refuses keeps its why; what it calls NOT, the lenient one BAD.
 */
static void
test_whitespace(void)
{
	static const uint8_t	ws[] = { ' ', '\t', '\r', '\v', '\f', 0x1c,
				    0x1d, 0x1e, 0x1f, 0x85, 0xa0 };
	/* The answer for SP, HTAB, CR and the others: a why for BAD, 0 for
	   DONE (host blocked.example, method GET, path /admin). */
	static const struct {
		const char	*name, *line;
		uint8_t		 sp, tab, cr, other;
	} lines[] = {
		{ "before the method", "@GET /admin" BL, NFQD_HTTP_R_LINE,
		  NFQD_HTTP_R_LINE, NFQD_HTTP_R_BARE_CR, NFQD_HTTP_R_LINE },
		{ "after the method", "GET@/admin" BL, 0, NFQD_HTTP_R_LINE,
		  NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE },
		{ "before the version", "GET /admin@HTTP/1.1\r\n"
		  "Host: blocked.example\r\n\r\n", 0, NFQD_HTTP_R_LINE,
		  NFQD_HTTP_R_LINE, NFQD_HTTP_R_CTL },
		{ "after the method and before the version", "GET@/admin@"
		  "HTTP/1.1\r\nHost: blocked.example\r\n\r\n", 0,
		  NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE },
		{ "two of them in each place, scheme without //",
		  "@@GET@@x:/admin@@HTTP/1.1\r\nHost: blocked.example\r\n\r\n",
		  NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE, NFQD_HTTP_R_BARE_CR,
		  NFQD_HTTP_R_LINE },
		{ "a method of 17 before it", "ABCDEFGHIJKLMNOPQ@/admin" BL,
		  NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE,
		  NFQD_HTTP_R_LINE },
		{ "HTTP/0.9 GET", "GET@/admin@\r\nHost: blocked.example\r\n"
		  "\r\n", NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE, NFQD_HTTP_R_LINE,
		  NFQD_HTTP_R_LINE },
	};
	struct nfqd_http_req	r;
	enum nfqd_l7_res	res;
	char			buf[128], name[128];
	size_t			i, j, k, n;
	uint8_t			want;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		for (j = 0; j < sizeof(ws); j++) {
			for (k = n = 0; lines[i].line[k] != '\0'; k++)
				buf[n++] = lines[i].line[k] == '@' ?
				    (char)ws[j] : lines[i].line[k];
			want = ws[j] == ' ' ? lines[i].sp : ws[j] == '\t' ?
			    lines[i].tab : ws[j] == '\r' ? lines[i].cr :
			    lines[i].other;
			snprintf(name, sizeof(name), "W 0x%02x %s", ws[j],
			    lines[i].name);
			res = parse_exact(buf, n, &r);
			check_prefixes(name, buf, n);
			if (want != 0) {
				CHECKF(res == NFQD_L7_BAD && r.why == want,
				    unit_fmt("%s: BAD, %s", name,
				    nfqd_http_why_str(want)), "got %d, %s",
				    res, nfqd_http_why_str(r.why));
				continue;
			}
			CHECK(res == NFQD_L7_DONE &&
			    strcmp(r.host, "blocked.example") == 0 &&
			    strcmp(r.method, "GET") == 0 &&
			    strcmp(r.path, "/admin") == 0,
			    unit_fmt("%s: DONE, blocked.example GET /admin",
			    name));
		}
	}
}

static void
test_real(void)
{
	static const struct {
		const char	*name, *req;
		size_t		 len;
		const char	*host, *method, *path;
		uint8_t		 minor;
		size_t		 used;
	} reals[] = {
		{ "curl GET", S(real_get), "127.0.0.1", "GET",
		  "/Admin/index.html?q=1", 1, sizeof(real_get) - 1 },
		{ "curl --path-as-is", S(real_asis), "www.example.com", "GET",
		  "/Admin/x?q=~", 1, sizeof(real_asis) - 1 },
		{ "curl via proxy (absolute-form)", S(real_proxy),
		  "www.example.org", "GET", "/dir/page?x=1", 1,
		  sizeof(real_proxy) - 1 },
		{ "curl CONNECT", S(real_connect), "www.example.net", "CONNECT",
		  "", 1, sizeof(real_connect) - 1 },
		{ "curl POST", S(real_post), "api.example.com", "POST",
		  "/v1/items", 1, sizeof(real_post) - 1 - 3 },
		{ "curl -0", S(real_http10), "www.example.com", "GET", "/", 0,
		  sizeof(real_http10) - 1 },
		{ "curl Host IPv6", S(real_ipv6), "[::1]", "GET", "/", 1,
		  sizeof(real_ipv6) - 1 },
	};
	struct nfqd_http_req	r;
	size_t			i;

	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		CHECK_INT_EQ(parse_exact(reals[i].req, reals[i].len, &r),
		    NFQD_L7_DONE, unit_fmt("%s: DONE", reals[i].name));
		CHECK_STR_EQ(r.host, reals[i].host,
		    unit_fmt("%s: host", reals[i].name));
		CHECK_STR_EQ(r.method, reals[i].method,
		    unit_fmt("%s: method", reals[i].name));
		CHECK_STR_EQ(r.path, reals[i].path,
		    unit_fmt("%s: path", reals[i].name));
		CHECK(r.minor == reals[i].minor && r.used == reals[i].used,
		    unit_fmt("%s: minor %u, used %zu", reals[i].name,
		    reals[i].minor, reals[i].used));
		check_prefixes(reals[i].name, reals[i].req, reals[i].len);
	}
}

/* A request of exactly len bytes: request line, one padding header,
 * the empty line. */
static size_t
build_head(char *buf, size_t len, const char *line)
{
	size_t	n = (size_t)snprintf(buf, len, "%sX-Pad: ", line);

	memset(buf + n, 'p', len - n - 4);
	memcpy(buf + len - 4, "\r\n\r\n", 4);
	return len;
}

static void
test_limits(void)
{
	static char		buf[NFQD_HTTP_HEAD_MAX + 64];
	struct nfqd_http_req	r;
	size_t			n;

	n = build_head(buf, NFQD_HTTP_HEAD_MAX, "GET / HTTP/1.1\r\n");
	CHECK_INT_EQ(parse_exact(buf, n, &r), NFQD_L7_DONE,
	    "head of exactly 16384: DONE");
	CHECK_UINT_EQ(r.used, NFQD_HTTP_HEAD_MAX, "head of 16384: used");
	memcpy(buf + n, "more", 4);
	CHECK_INT_EQ(parse_exact(buf, n + 4, &r), NFQD_L7_DONE,
	    "head of 16384 and a body: DONE");
	n = build_head(buf, NFQD_HTTP_HEAD_MAX + 1, "GET / HTTP/1.1\r\n");
	CHECK_INT_EQ(parse_exact(buf, n, &r), NFQD_L7_BAD,
	    "head of 16385: BAD");
	CHECK_UINT_EQ(r.why, NFQD_HTTP_R_TOO_BIG, "head of 16385: TOO_BIG");
	CHECK_INT_EQ(parse_exact(buf, NFQD_HTTP_HEAD_MAX - 1, &r),
	    NFQD_L7_MORE, "head of 16385, 16383 bytes there: MORE");
	CHECK_INT_EQ(parse_exact(buf, NFQD_HTTP_HEAD_MAX, &r), NFQD_L7_BAD,
	    "head of 16385, 16384 bytes there: BAD");

	/* A huge head of empty lines and of one request line. */
	memset(buf, '\n', NFQD_HTTP_HEAD_MAX);
	CHECK_INT_EQ(parse_exact(buf, NFQD_HTTP_HEAD_MAX, &r), NFQD_L7_BAD,
	    "16384 empty lines: BAD");
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', NFQD_HTTP_HEAD_MAX);
	CHECK_INT_EQ(parse_exact(buf, NFQD_HTTP_HEAD_MAX + 5, &r),
	    NFQD_L7_BAD, "target over 16384: BAD");
	CHECK_UINT_EQ(r.why, NFQD_HTTP_R_TOO_BIG, "target over 16384: why");

	/* The longest host, and one byte more. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: ");
	memset(buf + n, 'h', 253);
	buf[n + 61] = buf[n + 123] = buf[n + 185] = '.';
	memcpy(buf + n + 253, ".:80\r\n\r\n", 9);
	CHECK_INT_EQ(parse_exact(buf, strlen(buf), &r), NFQD_L7_DONE,
	    "host of 253 and a dot: DONE");
	CHECK_UINT_EQ(r.host_len, 253, "host of 253: host_len");
	memset(buf + n, 'h', 254);
	buf[n + 61] = buf[n + 123] = buf[n + 185] = '.';
	memcpy(buf + n + 254, "\r\n\r\n", 5);
	CHECK_INT_EQ(parse_exact(buf, strlen(buf), &r), NFQD_L7_BAD,
	    "host of 254: BAD");
}

/* A path of a segments of n 'a's then a tail, normalized. */
static void
check_path(const char *name, const char *target, const char *want,
    bool cut)
{
	static char		buf[NFQD_HTTP_HEAD_MAX];
	struct nfqd_http_req	r;
	int			n;

	n = snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\n\r\n", target);
	CHECK_INT_EQ(parse_exact(buf, (size_t)n, &r), NFQD_L7_DONE,
	    unit_fmt("%s: DONE", name));
	CHECK_STR_EQ(r.path, want, unit_fmt("%s: path", name));
	CHECK(r.path_cut == cut && r.path_len == strlen(want),
	    unit_fmt("%s: path_cut %d, path_len %zu", name, cut,
	    strlen(want)));
}

/* Paths past path[]: cut to its size, dot-segments still counted. */
static void
test_long_paths(void)
{
	char	a300[302], a255[257], a254[256], t[1024], w[512];

	a300[0] = a255[0] = a254[0] = '/';
	memset(a300 + 1, 'a', 300);
	a300[301] = '\0';
	memset(a255 + 1, 'a', 255);
	a255[256] = '\0';
	memset(a254 + 1, 'a', 254);
	a254[255] = '\0';

	check_path("path of 301", a300, a255, true);
	check_path("path of 256", a255, a255, false);
	snprintf(t, sizeof(t), "%s/b/..", a254);
	snprintf(w, sizeof(w), "%s/", a254);
	check_path("path of 256 after a pop", t, w, false);
	snprintf(t, sizeof(t), "%s/b/..", a255);
	check_path("path of 257 after a pop", t, a255, true);
	snprintf(t, sizeof(t), "/x%s/b/c/../../..", a300);
	check_path("segments past the cut popped back", t, "/x/", false);
	snprintf(t, sizeof(t), "/x%s/b/c/../../../y", a300);
	check_path("pop to the visible part, then a name", t, "/x/y", false);
	snprintf(t, sizeof(t), "%s/b/c/d/../../e", a254);
	snprintf(w, sizeof(w), "%s/", a254);
	check_path("pops across the cut", t, w, true);
	snprintf(t, sizeof(t), "/%.250s/bbbbbbbbbb/../c", a300 + 1);
	snprintf(w, sizeof(w), "/%.250s/c", a300 + 1);
	check_path("a segment across the cut popped", t, w, false);
	snprintf(t, sizeof(t), "/s%s?q", a300);
	snprintf(w, sizeof(w), "/s%.254s", a300);
	check_path("query past the cut", t, w, true);
	snprintf(t, sizeof(t), "/s?%s", a300 + 46);
	snprintf(w, sizeof(w), "/s?%.253s", a300 + 46);
	check_path("query cut", t, w, true);
}

/* A request cut into two parts at every byte: the first part alone is
 * MORE, both together DONE; and a whole head handed over byte by byte. */
static void
test_split(void)
{
	static const char	req[] = "GET /x/../admin?q=%41 HTTP/1.1\r\n"
	    "User-Agent: split\r\nhost: Split.Example:80\r\n\r\n";
	struct nfqd_http_req	r, whole;
	char			joined[sizeof(req)];
	size_t			k, more = 0, done = 0;

	CHECK_INT_EQ(parse_exact(req, sizeof(req) - 1, &whole), NFQD_L7_DONE,
	    "split: whole DONE");
	CHECK(strcmp(whole.host, "split.example") == 0 &&
	    strcmp(whole.path, "/admin?q=A") == 0,
	    "split: host split.example, path /admin?q=A");
	for (k = 1; k < sizeof(req) - 1; k++) {
		/* The second part appended to a copy of the first, as the
		   daemon hands over a stream that grew. */
		memcpy(joined, req, k);
		if (parse_exact(joined, k, &r) == NFQD_L7_MORE)
			more++;
		memcpy(joined + k, req + k, sizeof(req) - 1 - k);
		if (parse_exact(joined, sizeof(req) - 1, &r) == NFQD_L7_DONE &&
		    memcmp(&r, &whole, sizeof(r)) == 0)
			done++;
	}
	CHECKF(more == sizeof(req) - 2 && done == sizeof(req) - 2,
	    "split at every byte: first part MORE, both DONE",
	    "%zu MORE, %zu DONE of %zu", more, done, sizeof(req) - 2);
}

static void
test_why_str(void)
{
	unsigned	w;
	bool		ok = true;

	for (w = 0; w < NFQD_HTTP_R_MAX; w++)
		if (nfqd_http_why_str(w) == NULL ||
		    strcmp(nfqd_http_why_str(w), "unknown") == 0)
			ok = false;
	CHECK(ok, "every why has words");
	CHECK_STR_EQ(nfqd_http_why_str(NFQD_HTTP_R_MAX), "unknown",
	    "why out of range");
}

int
main(void)
{
	test_cases();
	test_framing();
	test_not_early();
	test_whitespace();
	test_real();
	test_limits();
	test_long_paths();
	test_split();
	test_why_str();
	return unit_done();
}
