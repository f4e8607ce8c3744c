/*
 * Unit tests for src/json.c: the growable buffer and the JSON writer.
 */
#include <string.h>

#include "nfqd/json.h"
#include "nfqd/nfqd.h"
#include "unit.h"

static void
test_nested(void)
{
	struct nfqd_buf		b;
	struct nfqd_json	j;

	buf_init(&b);
	json_init(&j, &b);
	json_object_begin(&j, NULL);
	json_str(&j, "name", "nfqd");
	json_uint(&j, "big", 18446744073709551615ull);
	json_int(&j, "neg", -42);
	json_int(&j, "min", INT64_MIN);
	json_object_begin(&j, "empty");
	json_object_end(&j);
	json_array_begin(&j, "list");
	json_uint(&j, NULL, 1);
	json_object_begin(&j, NULL);
	json_bool(&j, "t", true);
	json_bool(&j, "f", false);
	json_object_end(&j);
	json_array_begin(&j, NULL);
	json_array_end(&j);
	json_array_begin(&j, NULL);
	json_null(&j, NULL);
	json_str(&j, NULL, "x");
	json_array_end(&j);
	json_array_end(&j);
	json_null(&j, "last");
	json_object_end(&j);
	CHECK_STR_EQ(b.data, "{\"name\":\"nfqd\",\"big\":18446744073709551615,"
	    "\"neg\":-42,\"min\":-9223372036854775808,\"empty\":{},"
	    "\"list\":[1,{\"t\":true,\"f\":false},[],[null,\"x\"]],"
	    "\"last\":null}", "nested objects and arrays");
	CHECK_UINT_EQ(b.len, strlen(b.data), "len matches the text");
	CHECK_UINT_EQ(j.depth, 0, "depth back to 0");
	CHECK(!b.failed, "no allocation failure");
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0,
	    "buf_free leaves an empty buffer");
}

static void
test_toplevel(void)
{
	struct nfqd_buf		b;
	struct nfqd_json	j;

	buf_init(&b);
	json_init(&j, &b);
	json_array_begin(&j, NULL);
	json_array_end(&j);
	CHECK_STR_EQ(b.data, "[]", "empty top-level array");

	buf_reset(&b);
	CHECK(b.len == 0 && b.data[0] == '\0', "buf_reset empties");
	json_init(&j, &b);
	json_uint(&j, NULL, 7);
	CHECK_STR_EQ(b.data, "7", "top-level scalar");

	buf_reset(&b);
	json_init(&j, &b);
	json_object_begin(&j, NULL);
	json_str(&j, "k\"ey", "v");
	json_object_end(&j);
	CHECK_STR_EQ(b.data, "{\"k\\\"ey\":\"v\"}", "keys are escaped");

	/* Deep nesting: the depth stops at the limit, brackets still match. */
	buf_reset(&b);
	json_init(&j, &b);
	{
		int	i;

		for (i = 0; i < NFQD_JSON_MAXDEPTH - 1; i++)
			json_array_begin(&j, NULL);
		json_uint(&j, NULL, 1);
		json_uint(&j, NULL, 2);
		for (i = 0; i < NFQD_JSON_MAXDEPTH - 1; i++)
			json_array_end(&j);
		CHECK_STR_EQ(b.data, "[[[[[[[[[[[[[[[1,2]]]]]]]]]]]]]]]",
		    "15 nested arrays");
		CHECK_UINT_EQ(j.depth, 0, "15 nested arrays: depth back to 0");
	}
	buf_free(&b);
}

static const char *
escaped(struct nfqd_buf *b, const char *s)
{
	buf_reset(b);
	json_escape(b, s);
	return b->data;
}

/* Text that is UTF-8 or not, and its JSON string. */
static const struct {
	const char	*name, *in, *want;
} utf8[] = {
	{ "2, 3 and 4 bytes", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
	{ "U+10FFFF", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },
	{ "0xff 0xfe", "bad\xff\xfe", "\"bad\\ufffd\\ufffd\"" },
	{ "a lone continuation byte", "a\x80z", "\"a\\ufffdz\"" },
	{ "a sequence cut by the end", "x\xe2\x82", "\"x\\ufffd\\ufffd\"" },
	{ "a sequence cut by ASCII", "\xc3(", "\"\\ufffd(\"" },
	{ "overlong '/'", "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
	{ "overlong 3 bytes", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "a surrogate", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "past U+10FFFF", "\xf4\x90\x80\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "0xf5", "\xf5", "\"\\ufffd\"" },
	{ "with a quote after", "\xff\"", "\"\\ufffd\\\"\"" },
};

static void
test_escape(void)
{
	struct nfqd_buf	b;
	size_t		i;

	buf_init(&b);
	CHECK_STR_EQ(escaped(&b, ""), "\"\"", "escape empty");
	CHECK_STR_EQ(escaped(&b, "plain"), "\"plain\"", "escape plain");
	CHECK_STR_EQ(escaped(&b, "a\"b"), "\"a\\\"b\"", "escape quote");
	CHECK_STR_EQ(escaped(&b, "a\\b"), "\"a\\\\b\"", "escape backslash");
	CHECK_STR_EQ(escaped(&b, "a\nb"), "\"a\\nb\"", "escape newline");
	CHECK_STR_EQ(escaped(&b, "a\tb"), "\"a\\tb\"", "escape tab");
	CHECK_STR_EQ(escaped(&b, "a\rb"), "\"a\\rb\"", "escape return");
	CHECK_STR_EQ(escaped(&b, "\x01"), "\"\\u0001\"", "escape 0x01");
	CHECK_STR_EQ(escaped(&b, "x\x1f" "y"), "\"x\\u001fy\"",
	    "escape 0x1f");
	CHECK_STR_EQ(escaped(&b, "\"\\\n"), "\"\\\"\\\\\\n\"",
	    "escape only specials");
	CHECK_STR_EQ(escaped(&b, "caf\xc3\xa9 \xe2\x82\xac"),
	    "\"caf\xc3\xa9 \xe2\x82\xac\"", "escape passes UTF-8 through");
	CHECK_STR_EQ(escaped(&b, "\x7f"), "\"\x7f\"", "escape passes DEL");
	CHECK_UINT_EQ(b.len, 3, "escape length");

	/*
	 * JSON text is UTF-8 (RFC 8259, 8.1): a byte that does not start a
	 * valid sequence is U+FFFD, as \ufffd (python3 -m json.tool refused
	 * the raw byte: "'utf-8' codec can't decode byte 0xff").
	 */
	for (i = 0; i < NFQD_ARRAY_SIZE(utf8); i++)
		CHECK_STR_EQ(escaped(&b, utf8[i].in), utf8[i].want,
		    unit_fmt("escape UTF-8: %s", utf8[i].name));

	/* json_escape appends. */
	buf_reset(&b);
	buf_append(&b, "x=", 2);
	json_escape(&b, "1");
	CHECK_STR_EQ(b.data, "x=\"1\"", "escape appends");
	buf_free(&b);
}

static void
test_growth(void)
{
	struct nfqd_buf	b;
	char		big[3000], want[6001];
	size_t		i;

	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';

	buf_init(&b);
	buf_printf(&b, "%s", "start:");
	buf_printf(&b, "%s", big);
	CHECK_UINT_EQ(b.len, 6 + 2999, "buf_printf past 1024: length");
	CHECK(b.cap > b.len, "buf_printf past 1024: capacity");
	CHECK(strncmp(b.data, "start:", 6) == 0 &&
	    strcmp(b.data + 6, big) == 0, "buf_printf past 1024: content");
	CHECK_UINT_EQ(strlen(b.data), b.len, "buf_printf past 1024: NUL");
	buf_free(&b);

	/* Many small appends across several reallocations. */
	buf_init(&b);
	for (i = 0; i < 6000; i++) {
		buf_printf(&b, "%c", (char)('0' + i % 10));
		want[i] = (char)('0' + i % 10);
	}
	want[6000] = '\0';
	CHECK(b.len == 6000 && strcmp(b.data, want) == 0,
	    "6000 one-byte buf_printf calls");
	CHECK(b.cap >= 6001 && !b.failed, "capacity after 6000 bytes");

	/* Exactly filling the first 1024 bytes. */
	buf_free(&b);
	buf_init(&b);
	buf_append(&b, big, 1023);
	CHECK(b.len == 1023 && b.cap == 1024 && b.data[1023] == '\0',
	    "1023 bytes fit the first 1024");
	buf_append(&b, "Z", 1);
	CHECK(b.len == 1024 && b.cap == 2048 && b.data[1023] == 'Z' &&
	    b.data[1024] == '\0', "the 1024th byte grows the buffer");
	buf_printf(&b, "%d", 12345);
	CHECK(b.len == 1029 && strcmp(b.data + 1024, "12345") == 0,
	    "buf_printf after growth");
	buf_free(&b);
}

int
main(void)
{
	test_nested();
	test_toplevel();
	test_escape();
	test_growth();
	return unit_done();
}
