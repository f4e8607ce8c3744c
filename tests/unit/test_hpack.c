/*
 * Unit tests for src/l7/hpack.c: every example of RFC 7541 Appendix C,
 * field by field with the dynamic table after each block; the Huffman
 * code (Appendix B: Kraft's equality, canonical order, EOS) and every
 * symbol decoded through it; malformed blocks, each with its why; the
 * dynamic table's corners (a size update to 0, an entry larger than the
 * table, a name taken from an entry that adding it evicts, the table's
 * bytes compacted); and random blocks from the small encoder here,
 * decoded back to what was encoded, also by two decoders in turn, each
 * as alone; and the decoder's size (at most 6 KiB, the table only).
 * Every block is decoded from an allocation of exactly its size, so a
 * read past it is caught by ASan or valgrind.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqd/l7/hpack.h"
#include "unit.h"

/* What the callback saw: "name: value\n" per field, and how each came. */
struct got {
	char		text[1 << 16];
	size_t		tlen;
	char		reps[64];	/* '=' indexed, '+' incremental, '-'
					   without indexing, '!' never */
	unsigned	nf;		/* fields */
	unsigned	stop;		/* return 7 at this field (1-based) */
};

static int
collect(void *arg, const struct nfqd_hpack_field *f)
{
	static const char	reps[] = "=+-!";
	struct got		*g = arg;

	if (g->tlen + f->nlen + f->vlen + 3 < sizeof(g->text)) {
		memcpy(g->text + g->tlen, f->name, f->nlen);
		g->tlen += f->nlen;
		memcpy(g->text + g->tlen, ": ", 2);
		g->tlen += 2;
		memcpy(g->text + g->tlen, f->value, f->vlen);
		g->tlen += f->vlen;
		g->text[g->tlen++] = '\n';
	}
	g->text[g->tlen] = '\0';
	if (g->nf + 1 < sizeof(g->reps)) {
		g->reps[g->nf] = f->rep < 4 ? reps[f->rep] : '?';
		g->reps[g->nf + 1] = '\0';
	}
	g->nf++;
	return g->nf == g->stop ? 7 : 0;
}

/* Decode b[0..n) from a copy of exactly n bytes. */
static int
decode(struct nfqd_hpack *d, const uint8_t *b, size_t n, struct got *g,
    unsigned *why)
{
	uint8_t	*copy;
	int	 r;

	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(copy, b, n);
	g->tlen = 0;
	g->text[0] = '\0';
	g->reps[0] = '\0';
	g->nf = 0;
	r = nfqd_hpack_decode(d, copy, n, collect, g, why);
	free(copy);
	return r;
}

static int
decode_hex(struct nfqd_hpack *d, const char *hex, struct got *g,
    unsigned *why)
{
	uint8_t	b[4096];
	char	h[8192];
	size_t	i, k = 0;

	/* The RFC's hex has spaces. */
	for (i = 0; hex[i] != '\0' && k + 1 < sizeof(h); i++)
		if (hex[i] != ' ')
			h[k++] = hex[i];
	h[k] = '\0';
	return decode(d, b, unit_unhex(h, b, sizeof(b)), g, why);
}

/* v with a prefix of bits bits, flags above them (RFC 7541 5.1). */
static size_t
put_int(uint8_t *out, uint8_t flags, unsigned bits, uint32_t v)
{
	uint32_t	mask = (1u << bits) - 1;
	size_t		n = 0;

	if (v < mask) {
		out[n++] = (uint8_t)(flags | v);
		return n;
	}
	out[n++] = (uint8_t)(flags | mask);
	v -= mask;
	while (v >= 128) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* s[0..n) Huffman-coded with the table under test, padded with 1s. */
static size_t
huff_enc(const uint8_t *s, size_t n, uint8_t *out)
{
	uint64_t	acc = 0;
	unsigned	nb = 0, l;
	size_t		i, o = 0;

	for (i = 0; i < n; i++) {
		l = nfqd_hpack_huff_len[s[i]];
		acc = acc << l | nfqd_hpack_huff_code[s[i]];
		nb += l;
		while (nb >= 8) {
			out[o++] = (uint8_t)(acc >> (nb - 8));
			nb -= 8;
		}
		acc &= ((uint64_t)1 << nb) - 1;
	}
	if (nb > 0)
		out[o++] = (uint8_t)(acc << (8 - nb) | (0xffu >> nb));
	return o;
}

/* A string literal (5.2), Huffman-coded or not. */
static size_t
put_str(uint8_t *out, const uint8_t *s, size_t n, bool huff)
{
	static uint8_t	h[65536];
	size_t		k, hl;

	if (huff) {
		hl = huff_enc(s, n, h);
		k = put_int(out, 0x80, 7, (uint32_t)hl);
		memcpy(out + k, h, hl);
		return k + hl;
	}
	k = put_int(out, 0, 7, (uint32_t)n);
	memcpy(out + k, s, n);
	return k + n;
}

/*
 * The dynamic table seen through the decoder: indexes 62 on, decoded
 * from a copy of d, "name: value\n" newest first; the entry count.
 */
static unsigned
table_text(const struct nfqd_hpack *d, char *out, size_t len)
{
	static struct nfqd_hpack	c;
	static struct got		g;
	uint8_t				b[8];
	unsigned			why, k;
	size_t				o = 0;

	out[0] = '\0';
	for (k = 0;; k++) {
		c = *d;
		if (decode(&c, b, put_int(b, 0x80, 7, 62 + k), &g, &why) != 0)
			break;
		o += (size_t)snprintf(out + o, len - o, "%s", g.text);
		if (o >= len)
			break;
	}
	return k;
}

/* RFC 7541 Appendix C.  limit: a fresh decoder; 0, the one before. */
static const struct example {
	const char	*name;
	uint32_t	 limit;
	const char	*hex, *fields, *reps, *table;
	uint32_t	 size;
} examples[] = {
	{ "C.2.1 literal with indexing", 4096,
	  "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
	  "custom-key: custom-header\n", "+",
	  "custom-key: custom-header\n", 55 },
	{ "C.2.2 literal without indexing", 4096,
	  "040c 2f73 616d 706c 652f 7061 7468",
	  ":path: /sample/path\n", "-", "", 0 },
	{ "C.2.3 literal never indexed", 4096,
	  "1008 7061 7373 776f 7264 0673 6563 7265 74",
	  "password: secret\n", "!", "", 0 },
	{ "C.2.4 indexed", 4096, "82", ":method: GET\n", "=", "", 0 },

	{ "C.3.1 first request", 4096,
	  "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
	  ":method: GET\n:scheme: http\n:path: /\n"
	  ":authority: www.example.com\n", "===+",
	  ":authority: www.example.com\n", 57 },
	{ "C.3.2 second request", 0,
	  "8286 84be 5808 6e6f 2d63 6163 6865",
	  ":method: GET\n:scheme: http\n:path: /\n"
	  ":authority: www.example.com\ncache-control: no-cache\n", "====+",
	  "cache-control: no-cache\n:authority: www.example.com\n", 110 },
	{ "C.3.3 third request", 0,
	  "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 "
	  "6c75 65",
	  ":method: GET\n:scheme: https\n:path: /index.html\n"
	  ":authority: www.example.com\ncustom-key: custom-value\n", "====+",
	  "custom-key: custom-value\ncache-control: no-cache\n"
	  ":authority: www.example.com\n", 164 },

	{ "C.4.1 first request, Huffman", 4096,
	  "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
	  ":method: GET\n:scheme: http\n:path: /\n"
	  ":authority: www.example.com\n", "===+",
	  ":authority: www.example.com\n", 57 },
	{ "C.4.2 second request, Huffman", 0,
	  "8286 84be 5886 a8eb 1064 9cbf",
	  ":method: GET\n:scheme: http\n:path: /\n"
	  ":authority: www.example.com\ncache-control: no-cache\n", "====+",
	  "cache-control: no-cache\n:authority: www.example.com\n", 110 },
	{ "C.4.3 third request, Huffman", 0,
	  "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
	  ":method: GET\n:scheme: https\n:path: /index.html\n"
	  ":authority: www.example.com\ncustom-key: custom-value\n", "====+",
	  "custom-key: custom-value\ncache-control: no-cache\n"
	  ":authority: www.example.com\n", 164 },

	{ "C.5.1 first response", 256,
	  "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 "
	  "7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 "
	  "3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
	  ":status: 302\ncache-control: private\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "location: https://www.example.com\n", "++++",
	  "location: https://www.example.com\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "cache-control: private\n:status: 302\n", 222 },
	{ "C.5.2 second response", 0,
	  "4803 3330 37c1 c0bf",
	  ":status: 307\ncache-control: private\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "location: https://www.example.com\n", "+===",
	  ":status: 307\nlocation: https://www.example.com\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "cache-control: private\n", 222 },
	{ "C.5.3 third response", 0,
	  "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 "
	  "3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 "
	  "514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 "
	  "2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
	  ":status: 200\ncache-control: private\n"
	  "date: Mon, 21 Oct 2013 20:13:22 GMT\n"
	  "location: https://www.example.com\ncontent-encoding: gzip\n"
	  "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; "
	  "version=1\n", "==+=++",
	  "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; "
	  "version=1\ncontent-encoding: gzip\n"
	  "date: Mon, 21 Oct 2013 20:13:22 GMT\n", 215 },

	{ "C.6.1 first response, Huffman", 256,
	  "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 "
	  "0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae "
	  "43d3",
	  ":status: 302\ncache-control: private\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "location: https://www.example.com\n", "++++",
	  "location: https://www.example.com\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "cache-control: private\n:status: 302\n", 222 },
	{ "C.6.2 second response, Huffman", 0,
	  "4883 640e ffc1 c0bf",
	  ":status: 307\ncache-control: private\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "location: https://www.example.com\n", "+===",
	  ":status: 307\nlocation: https://www.example.com\n"
	  "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
	  "cache-control: private\n", 222 },
	{ "C.6.3 third response, Huffman", 0,
	  "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff "
	  "c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af "
	  "2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 "
	  "07",
	  ":status: 200\ncache-control: private\n"
	  "date: Mon, 21 Oct 2013 20:13:22 GMT\n"
	  "location: https://www.example.com\ncontent-encoding: gzip\n"
	  "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; "
	  "version=1\n", "==+=++",
	  "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; "
	  "version=1\ncontent-encoding: gzip\n"
	  "date: Mon, 21 Oct 2013 20:13:22 GMT\n", 215 },
};

/*
 * Malformed blocks, each decoded by a fresh decoder of limit 4096 after
 * the block pre (when there is one, it must decode).  nf: the fields
 * passed to the callback before the refusal.
 */
static const struct bad {
	const char	*name, *pre, *hex;
	unsigned	 nf, why;
} bads[] = {
	{ "index 0", NULL, "80", 0, NFQD_HPACK_R_INDEX },
	{ "index 0 after a field", NULL, "8280", 1, NFQD_HPACK_R_INDEX },
	{ "index 62, the dynamic table empty", NULL, "be", 0,
	  NFQD_HPACK_R_INDEX },
	{ "index 63, one entry", "4001610162", "bf", 0, NFQD_HPACK_R_INDEX },
	{ "index 62, one entry", "4001610162", "be", 1, NFQD_HPACK_R_NONE },
	{ "a literal's name index 62, the table empty", NULL, "7e0162", 0,
	  NFQD_HPACK_R_INDEX },
	{ "a literal without indexing, name index 62", NULL, "0f2f0162", 0,
	  NFQD_HPACK_R_INDEX },
	{ "index 2146688 (4 bytes after the prefix)", NULL, "ff818283" "01",
	  0, NFQD_HPACK_R_INDEX },
	{ "an integer cut short (prefix only)", NULL, "ff", 0,
	  NFQD_HPACK_R_INT },
	{ "an integer cut short (a continuation byte)", NULL, "ff80", 0,
	  NFQD_HPACK_R_INT },
	{ "a literal's name index cut short", NULL, "827f", 1,
	  NFQD_HPACK_R_INT },
	{ "integer overflow (7f ff ff ff ff 0f)", NULL, "7fffffffff0f", 0,
	  NFQD_HPACK_R_INT },
	{ "5 bytes after the prefix, value 127", NULL, "ff8080808000", 0,
	  NFQD_HPACK_R_INT },
	{ "an integer of 2^28 + 126", NULL, "ffffffff7f", 0,
	  NFQD_HPACK_R_INT },
	{ "no value length", NULL, "000161", 0, NFQD_HPACK_R_INT },
	{ "no name length", NULL, "00", 0, NFQD_HPACK_R_INT },
	{ "a name length past the end", NULL, "0005616263", 0,
	  NFQD_HPACK_R_STRING },
	{ "a value length past the end", NULL, "00016105616263", 0,
	  NFQD_HPACK_R_STRING },
	{ "a Huffman length past the end", NULL, "0085ffff", 0,
	  NFQD_HPACK_R_STRING },
	{ "Huffman: 8 bits of padding alone", NULL, "0081ff0161", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: 'a' then 11 bits of 1s", NULL, "00821fff0161", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: 'aaaaaaaa' then 8 bits of 1s", NULL,
	  "008618c6318c6" "3ff" "0161", 0, NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: padding 110", NULL, "00811e0161", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: padding 000", NULL, "0081180161", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: 'aaaaa' then padding 1111110", NULL, "0084" "18c631fe"
	  "0161", 0, NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: 'aaaa' then padding 0000", NULL, "0083" "18c630" "0161",
	  0, NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: EOS (32 bits of 1s)", NULL, "0084ffffffff0161", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: 'a' then EOS", NULL, "00851fffffffff0161", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "Huffman: EOS in a value", NULL, "000161" "84ffffffff", 0,
	  NFQD_HPACK_R_HUFFMAN },
	{ "a size update after a field", NULL, "8220", 1,
	  NFQD_HPACK_R_SIZE },
	{ "a size update after fields, at the block's end", NULL, "828420",
	  2, NFQD_HPACK_R_SIZE },
	{ "a size update to 4097 (max 4096)", NULL, "3fe21f", 0,
	  NFQD_HPACK_R_SIZE },
	{ "size updates to 0 then 4097", NULL, "203fe21f", 0,
	  NFQD_HPACK_R_SIZE },
	{ "a size update cut short", NULL, "3f", 0, NFQD_HPACK_R_INT },
	{ "a size update to 2^28 + 30", NULL, "3fffffff7f", 0,
	  NFQD_HPACK_R_INT },
	{ "size updates to 0, 4096 and 100, then a field", NULL,
	  "203fe11f3f4582", 1, NFQD_HPACK_R_NONE },
	{ "a size update alone", NULL, "3fe11f", 0, NFQD_HPACK_R_NONE },
	{ "a size update to 0 drops the entry before", "4001610162", "20be",
	  0, NFQD_HPACK_R_INDEX },
	{ "the empty block", NULL, "", 0, NFQD_HPACK_R_NONE },
	{ "empty strings", NULL, "000080", 1, NFQD_HPACK_R_NONE },
	{ "Huffman: 'aaaaa' then 7 bits of padding", NULL, "0084" "18c631ff"
	  "0161", 1, NFQD_HPACK_R_NONE },
};

/* The exported Appendix B table: Kraft, canonical, EOS. */
static void
test_code_table(void)
{
	uint64_t	sum = 0, next = 0;
	unsigned	s, l, prev = 0, bad = 0, badlen = 0;

	for (s = 0; s < 257; s++) {
		l = nfqd_hpack_huff_len[s];
		if (l < 5 || l > 30 ||
		    nfqd_hpack_huff_code[s] >> l != 0)
			badlen++;
		else
			sum += (uint64_t)1 << (30 - l);
	}
	CHECK_UINT_EQ(badlen, 0, "Huffman: every code 5 to 30 bits, fits");
	CHECK_UINT_EQ(sum, (uint64_t)1 << 30,
	    "Huffman: Kraft's equality (sum of 2^-len is 1)");
	/*
	 * Canonical: by length, then symbol, each code is the one before
	 * plus one, shifted left by the lengths' difference; the first 0.
	 */
	for (l = 1; l <= 30; l++) {
		for (s = 0; s < 257; s++) {
			if (nfqd_hpack_huff_len[s] != l)
				continue;
			next <<= l - prev;
			prev = l;
			if (nfqd_hpack_huff_code[s] != next)
				bad++;
			next++;
		}
	}
	CHECK_UINT_EQ(bad, 0, "Huffman: canonical order");
	CHECK(next == (uint64_t)1 << 30 && prev == 30,
	    "Huffman: the codes fill 30 bits, the longest is 30");
	CHECK(nfqd_hpack_huff_code[256] == 0x3fffffff &&
	    nfqd_hpack_huff_len[256] == 30, "Huffman: EOS is 0x3fffffff/30");
	CHECK(nfqd_hpack_huff_code['a'] == 0x3 && nfqd_hpack_huff_len['a'] == 5
	    && nfqd_hpack_huff_code[0] == 0x1ff8 &&
	    nfqd_hpack_huff_len[0] == 13 && nfqd_hpack_huff_code[255] ==
	    0x3ffffee && nfqd_hpack_huff_len[255] == 26,
	    "Huffman: 'a', 0 and 255 as Appendix B has them");
}

/* A literal without indexing, name s[0..n) Huffman-coded, value "v". */
static size_t
huff_block(uint8_t *b, const uint8_t *s, size_t n)
{
	size_t	k = 0;

	b[k++] = 0x00;
	k += put_str(b + k, s, n, true);
	b[k++] = 0x01;
	b[k++] = 'v';
	return k;
}

/* Every symbol through the decoder, alone and all in one string. */
static void
test_symbols(void)
{
	static struct nfqd_hpack	d;
	static struct got		g;
	static uint8_t			b[2048];
	uint8_t				s[256];
	unsigned			i, why, bad = 0;
	char				want[300];

	nfqd_hpack_init(&d, 4096);
	for (i = 0; i < 256; i++) {
		s[0] = (uint8_t)i;
		if (decode(&d, b, huff_block(b, s, 1), &g, &why) != 0 ||
		    g.nf != 1 || g.tlen != 5 || (uint8_t)g.text[0] != i)
			bad++;
	}
	CHECK_UINT_EQ(bad, 0, "Huffman: each of 256 symbols alone");
	for (i = 0; i < 256; i++)
		s[i] = (uint8_t)(255 - i);
	CHECK(decode(&d, b, huff_block(b, s, 256), &g, &why) == 0 &&
	    g.tlen == 256 + 4 && memcmp(g.text, s, 256) == 0,
	    "Huffman: all 256 symbols in one string");
	/* 'a' is 5 bits: 0 to 7 of them end in every padding, 0 to 7 bits. */
	for (i = 0, bad = 0; i < 16; i++) {
		memset(s, 'a', i);
		memset(want, 'a', i);
		memcpy(want + i, ": v\n", 5);
		if (decode(&d, b, huff_block(b, s, i), &g, &why) != 0 ||
		    strcmp(g.text, want) != 0)
			bad++;
	}
	CHECK_UINT_EQ(bad, 0, "Huffman: 0 to 15 'a's, every padding 0 to 7");
}

static void
test_examples(void)
{
	static struct nfqd_hpack	d;
	static struct got		g;
	static char			table[8192];
	const struct example		*e;
	unsigned			why, i;
	int				r;

	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		e = &examples[i];
		if (e->limit != 0)
			nfqd_hpack_init(&d, e->limit);
		r = decode_hex(&d, e->hex, &g, &why);
		CHECK(r == 0 && why == NFQD_HPACK_R_NONE,
		    unit_fmt("%s: decoded", e->name));
		CHECK_STR_EQ(g.text, e->fields,
		    unit_fmt("%s: fields", e->name));
		CHECK_STR_EQ(g.reps, e->reps,
		    unit_fmt("%s: representations", e->name));
		table_text(&d, table, sizeof(table));
		CHECK_STR_EQ(table, e->table,
		    unit_fmt("%s: dynamic table", e->name));
		CHECK_UINT_EQ(d.size, e->size,
		    unit_fmt("%s: table size", e->name));
	}
}

static void
test_bad(void)
{
	static struct nfqd_hpack	d;
	static struct got		g;
	const struct bad		*b;
	unsigned			why, i;
	int				r;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		b = &bads[i];
		nfqd_hpack_init(&d, 4096);
		if (b->pre != NULL && (decode_hex(&d, b->pre, &g, &why) != 0))
			abort();	/* the test's own prefix is wrong */
		r = decode_hex(&d, b->hex, &g, &why);
		CHECK(r == (b->why == NFQD_HPACK_R_NONE ? 0 : -1) &&
		    why == b->why && g.nf == b->nf,
		    unit_fmt("%s: %d, %s, %u fields", b->name, r,
		    nfqd_hpack_why_str(why), g.nf));
	}
}

/* Blocks of NFQD_HPACK_BLOCK_MAX bytes and one more. */
static void
test_block_max(void)
{
	static struct nfqd_hpack	d;
	static uint8_t			b[NFQD_HPACK_BLOCK_MAX + 1];
	static struct got		g;
	unsigned			why;
	int				r;

	memset(b, 0x82, sizeof(b));
	nfqd_hpack_init(&d, 4096);
	r = decode(&d, b, NFQD_HPACK_BLOCK_MAX, &g, &why);
	CHECK(r == 0 && g.nf == NFQD_HPACK_BLOCK_MAX,
	    "a block of 16384 bytes: 16384 fields");
	r = decode(&d, b, NFQD_HPACK_BLOCK_MAX + 1, &g, &why);
	CHECK(r == -1 && why == NFQD_HPACK_R_TOO_BIG && g.nf == 0,
	    "a block of 16385 bytes: TOO_BIG, no field");
	/* One Huffman value of the whole block, 5-bit codes: 8/5 of it. */
	nfqd_hpack_init(&d, 4096);
	{
		static uint8_t	s[26208], blk[NFQD_HPACK_BLOCK_MAX];
		size_t		k;

		memset(s, '0', sizeof(s));
		blk[0] = 0x01;		/* without indexing, :authority */
		k = 1 + put_str(blk + 1, s, sizeof(s), true);
		CHECK_UINT_EQ(k, 16384, "Huffman value of 16380 bytes");
		r = decode(&d, blk, k, &g, &why);
		CHECK(r == 0 && g.nf == 1 && g.tlen == 10 + 2 + 26208 + 1 &&
		    g.text[12] == '0' && g.text[12 + 26207] == '0',
		    "... decodes to 26208 bytes");
	}
}

/* The dynamic table's corners. */
static void
test_table(void)
{
	static struct nfqd_hpack	d;
	static struct got		g;
	static char			table[8192];
	static uint8_t			b[NFQD_HPACK_BLOCK_MAX];
	static uint8_t			big[NFQD_HPACK_BLOCK_MAX];
	unsigned			why;
	size_t				k;
	int				r;

	/* An entry larger than the table empties it. */
	nfqd_hpack_init(&d, 100);
	CHECK(decode_hex(&d, "4001610a30313233343536373839", &g, &why) == 0
	    && d.size == 43 && d.n == 1, "max 100: an entry of 43");
	k = 0;
	b[k++] = 0x40;
	k += put_str(b + k, (const uint8_t *)"b", 1, false);
	memset(big, 'x', 80);
	k += put_str(b + k, big, 80, false);
	r = decode(&d, b, k, &g, &why);
	CHECK(r == 0 && g.nf == 1 && g.reps[0] == '+' && g.tlen == 1 + 2 + 80
	    + 1, "... one of 113 is passed on");
	CHECK(d.size == 0 && d.n == 0 && table_text(&d, table,
	    sizeof(table)) == 0, "... and empties the table");
	CHECK(decode_hex(&d, "be", &g, &why) == -1 &&
	    why == NFQD_HPACK_R_INDEX, "... index 62 then: INDEX");
	/* One of exactly 100 fits, alone. */
	CHECK(decode_hex(&d, "4001610a30313233343536373839", &g, &why) == 0
	    && d.n == 1, "max 100: an entry of 43 again");
	k = 0;
	b[k++] = 0x40;
	k += put_str(b + k, (const uint8_t *)"b", 1, false);
	k += put_str(b + k, big, 67, false);
	CHECK(decode(&d, b, k, &g, &why) == 0 && d.size == 100 && d.n == 1 &&
	    table_text(&d, table, sizeof(table)) == 1 && table[0] == 'b',
	    "... one of exactly 100 evicts it and stays");

	/* A size update evicts at once; back up, the entries stay gone. */
	nfqd_hpack_init(&d, 4096);
	decode_hex(&d, examples[4].hex, &g, &why);
	decode_hex(&d, examples[5].hex, &g, &why);
	decode_hex(&d, examples[6].hex, &g, &why);
	CHECK(decode_hex(&d, "3f4f", &g, &why) == 0 && d.size == 107 &&
	    d.max == 110, "C.3.3's table, updated to 110: 107");
	table_text(&d, table, sizeof(table));
	CHECK_STR_EQ(table, "custom-key: custom-value\n"
	    "cache-control: no-cache\n", "... the oldest evicted");
	CHECK(decode_hex(&d, "3fe11fc0", &g, &why) == -1 &&
	    why == NFQD_HPACK_R_INDEX, "... back to 4096: index 64 gone");
	CHECK(decode_hex(&d, "20", &g, &why) == 0 && d.size == 0 &&
	    d.n == 0 && d.max == 0, "... to 0: empty");
	CHECK(decode_hex(&d, "4001610162", &g, &why) == 0 && d.n == 0 &&
	    g.nf == 1, "... at 0, a literal with indexing is not kept");

	/* cb's nonzero value stops decoding and comes back. */
	{
		static struct got	s;

		nfqd_hpack_init(&d, 4096);
		s.stop = 2;
		r = nfqd_hpack_decode(&d, (const uint8_t *)"\x82\x86\x84", 3,
		    collect, &s, &why);
		CHECK(r == 7 && s.nf == 2 && why == NFQD_HPACK_R_NONE,
		    "cb's 7 at the second field: 7, two fields");
	}
	CHECK_STR_EQ(nfqd_hpack_why_str(NFQD_HPACK_R_MAX), "unknown",
	    "why out of range");
	CHECK_STR_EQ(nfqd_hpack_why_str(NFQD_HPACK_R_SIZE),
	    "dynamic table size update after a field or over the maximum",
	    "why in words");
	nfqd_hpack_init(&d, 1u << 20);
	CHECK(d.max == 4096 && d.limit == 4096 && NFQD_HPACK_TABLE_MAX ==
	    4096, "init over 4096 (2^20): 4096");
	nfqd_hpack_init(&d, 4097);
	CHECK(d.max == 4096 && d.limit == 4096, "init to 4097: 4096");
	CHECK(decode_hex(&d, "3fe21f", &g, &why) == -1 &&
	    why == NFQD_HPACK_R_SIZE, "... a size update to 4097: SIZE");
	CHECK(decode_hex(&d, "3fe11f", &g, &why) == 0 && d.max == 4096,
	    "... to 4096: taken");
}

/* Add name n[0..nl) and value v[0..vl) with incremental indexing. */
static int
add(struct nfqd_hpack *d, const uint8_t *n, size_t nl, const uint8_t *v,
    size_t vl)
{
	static uint8_t		b[NFQD_HPACK_BLOCK_MAX];
	static struct got	g;
	unsigned		why;
	size_t			k = 0;

	b[k++] = 0x40;
	k += put_str(b + k, n, nl, false);
	k += put_str(b + k, v, vl, false);
	return decode(d, b, k, &g, &why);
}

/*
 * Entry idx, read through a copy of d: its name is nl bytes of c (the
 * second c2 when nl is 2), its value vl bytes of vc.
 */
static bool
entry_is(const struct nfqd_hpack *d, unsigned idx, size_t nl, char c,
    char c2, size_t vl, char vc)
{
	static struct got		g;
	static struct nfqd_hpack	copy;
	uint8_t				b[8];
	unsigned			why;
	size_t				i;

	copy = *d;
	g.stop = 0;
	if (decode(&copy, b, put_int(b, 0x80, 7, idx), &g, &why) != 0 ||
	    g.tlen != nl + 2 + vl + 1)
		return false;
	for (i = 0; i < nl; i++)
		if (g.text[i] != (nl == 2 && i == 1 ? c2 : c))
			return false;
	for (i = 0; i < vl; i++)
		if (g.text[nl + 2 + i] != vc)
			return false;
	return true;
}

/*
 * The table's bytes compacted when the next entry would not fit at the
 * end of buf[]: max 4096, A (a name of CA 'A's, no value) at buf[0..CA),
 * B1 to B4 ("B1" and CB '1's, ...) after it to CA + 4 * (CB + 2).  Then a
 * field of CV 'v's with A's name (index 66): adding it evicts A and B1,
 * and it does not fit after B4; A's bytes must survive the compaction
 * (RFC 7541 4.4).  Or with B4's name (62): A is evicted, B4 moves.
 */
#define CA	600
#define CB	748
#define CV	600

static void
test_compaction(void)
{
	static struct nfqd_hpack	d;
	static uint8_t			s[NFQD_HPACK_BLOCK_MAX];
	static uint8_t			b[NFQD_HPACK_BLOCK_MAX];
	static struct got		g;
	uint8_t				bn[2];
	unsigned			why, i, from;
	size_t				k;
	int				r;

	for (from = 0; from < 2; from++) {
		nfqd_hpack_init(&d, NFQD_HPACK_TABLE_MAX);
		memset(s, 'A', CA);
		r = add(&d, s, CA, s, 0);
		for (i = 1; i <= 4; i++) {
			bn[0] = 'B';
			bn[1] = (uint8_t)('0' + i);
			memset(s, '0' + (int)i, CB);
			r |= add(&d, bn, 2, s, CB);
		}
		CHECK(r == 0 && d.n == 5 && d.tail == CA + 4 * (CB + 2) &&
		    d.size == CA + 32 + 4 * (CB + 34) && d.tail == 3600 &&
		    d.size == 3760, unit_fmt("compaction %u: A, B1 to B4, "
		    "3600 bytes", from));
		memset(s, 'v', CV);
		k = put_int(b, 0x40, 6, from == 0 ? 66 : 62);
		k += put_str(b + k, s, CV, false);
		r = decode(&d, b, k, &g, &why);
		if (from == 0) {
			CHECK(r == 0 && d.n == 4 && d.size == 3 * (CB + 34) +
			    CA + CV + 32 && d.tail == 3 * (CB + 2) + CA + CV,
			    "A's name: A and B1 evicted, 4 entries");
			CHECK(entry_is(&d, 62, CA, 'A', 'A', CV, 'v'),
			    "... 62 is A's name and the value");
			for (i = 0; i < 3; i++)
				CHECK(entry_is(&d, 63 + i, 2, 'B', '4' - (int)i,
				    CB, '4' - (int)i),
				    unit_fmt("... %u is B%u", 63 + i, 4 - i));
		} else {
			CHECK(r == 0 && d.n == 5 && d.size == 4 * (CB + 34) +
			    2 + CV + 32 && d.tail == 4 * (CB + 2) + 2 + CV,
			    "B4's name: A evicted, 5 entries");
			CHECK(entry_is(&d, 62, 2, 'B', '4', CV, 'v'),
			    "... 62 is B4's name and the value");
			for (i = 0; i < 4; i++)
				CHECK(entry_is(&d, 63 + i, 2, 'B', '4' - (int)i,
				    CB, '4' - (int)i),
				    unit_fmt("... %u is B%u", 63 + i, 4 - i));
		}
	}

	/*
	 * Max 1600: X ("x: y") at buf[0..2), A (1000 'A's) at buf[2..1002),
	 * then a field with A's name and 100 'v's: adding it evicts both,
	 * the table is empty and starts again at buf[0], over A's bytes.
	 */
	nfqd_hpack_init(&d, 1600);
	memset(s, 'A', 1000);
	r = add(&d, (const uint8_t *)"x", 1, (const uint8_t *)"y", 1);
	r |= add(&d, s, 1000, s, 0);
	memset(s, 'v', 100);
	k = put_int(b, 0x40, 6, 62);
	k += put_str(b + k, s, 100, false);
	r |= decode(&d, b, k, &g, &why);
	CHECK(r == 0 && d.n == 1 && d.size == 1132 && d.tail == 1100 &&
	    entry_is(&d, 62, 1000, 'A', 'A', 100, 'v'),
	    "max 1600: A's name, A evicted: the table has the new entry");
}

/* RFC 7541 Appendix A, written out again to check the decoder's. */
static const char *const stab[61][2] = {
	{ ":authority", "" }, { ":method", "GET" }, { ":method", "POST" },
	{ ":path", "/" }, { ":path", "/index.html" }, { ":scheme", "http" },
	{ ":scheme", "https" }, { ":status", "200" }, { ":status", "204" },
	{ ":status", "206" }, { ":status", "304" }, { ":status", "400" },
	{ ":status", "404" }, { ":status", "500" }, { "accept-charset", "" },
	{ "accept-encoding", "gzip, deflate" }, { "accept-language", "" },
	{ "accept-ranges", "" }, { "accept", "" },
	{ "access-control-allow-origin", "" }, { "age", "" },
	{ "allow", "" }, { "authorization", "" }, { "cache-control", "" },
	{ "content-disposition", "" }, { "content-encoding", "" },
	{ "content-language", "" }, { "content-length", "" },
	{ "content-location", "" }, { "content-range", "" },
	{ "content-type", "" }, { "cookie", "" }, { "date", "" },
	{ "etag", "" }, { "expect", "" }, { "expires", "" }, { "from", "" },
	{ "host", "" }, { "if-match", "" }, { "if-modified-since", "" },
	{ "if-none-match", "" }, { "if-range", "" },
	{ "if-unmodified-since", "" }, { "last-modified", "" },
	{ "link", "" }, { "location", "" }, { "max-forwards", "" },
	{ "proxy-authenticate", "" }, { "proxy-authorization", "" },
	{ "range", "" }, { "referer", "" }, { "refresh", "" },
	{ "retry-after", "" }, { "server", "" }, { "set-cookie", "" },
	{ "strict-transport-security", "" }, { "transfer-encoding", "" },
	{ "user-agent", "" }, { "vary", "" }, { "via", "" },
	{ "www-authenticate", "" },
};

/* Indexes 1 to 61 against stab[]; 62 is past them (the table empty). */
static void
test_static(void)
{
	static struct nfqd_hpack	d;
	static struct got		g;
	char				want[128];
	uint8_t				b[1];
	unsigned			i, why, bad = 0;

	nfqd_hpack_init(&d, 4096);
	for (i = 1; i <= 61; i++) {
		b[0] = (uint8_t)(0x80 | i);
		snprintf(want, sizeof(want), "%s: %s\n", stab[i - 1][0],
		    stab[i - 1][1]);
		if (decode(&d, b, 1, &g, &why) != 0 ||
		    strcmp(g.text, want) != 0 || strcmp(g.reps, "=") != 0) {
			if (bad++ == 0)
				printf("# index %u: %s", i, g.text);
		}
	}
	CHECK_UINT_EQ(bad, 0, "the static table: 61 entries as Appendix A");
}

/* The random blocks' model of the dynamic table, newest first. */
struct model {
	struct {
		uint8_t	*name, *value;
		size_t	 nlen, vlen;
	}		e[NFQD_HPACK_ENTRIES];
	unsigned	n;
	uint32_t	size, max;
};

static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32) % n;
}

static void
model_evict(struct model *m, uint32_t room)
{
	while (m->size > room && m->n > 0) {
		m->n--;
		m->size -= (uint32_t)(m->e[m->n].nlen + m->e[m->n].vlen + 32);
		free(m->e[m->n].name);
		free(m->e[m->n].value);
	}
}

static void
model_add(struct model *m, const uint8_t *name, size_t nlen,
    const uint8_t *value, size_t vlen)
{
	uint8_t	*nc, *vc;

	if (nlen + vlen + 32 > m->max) {
		model_evict(m, 0);
		return;
	}
	/* Copies first: the name may be an entry's about to go. */
	if ((nc = malloc(nlen + 1)) == NULL || (vc = malloc(vlen + 1)) ==
	    NULL)
		abort();
	memcpy(nc, name, nlen);
	memcpy(vc, value, vlen);
	model_evict(m, m->max - (uint32_t)(nlen + vlen + 32));
	memmove(&m->e[1], &m->e[0], m->n * sizeof(m->e[0]));
	m->e[0].name = nc;
	m->e[0].nlen = nlen;
	m->e[0].value = vc;
	m->e[0].vlen = vlen;
	m->n++;
	m->size += (uint32_t)(nlen + vlen + 32);
}

/* A field as both sides write it down: rep, lengths, bytes. */
static size_t
record(uint8_t *out, unsigned rep, const uint8_t *n, size_t nl,
    const uint8_t *v, size_t vl)
{
	uint32_t	l;

	out[0] = (uint8_t)rep;
	l = (uint32_t)nl;
	memcpy(out + 1, &l, 4);
	memcpy(out + 5, n, nl);
	l = (uint32_t)vl;
	memcpy(out + 5 + nl, &l, 4);
	memcpy(out + 9 + nl, v, vl);
	return 9 + nl + vl;
}

struct rec {
	uint8_t		*buf;
	size_t		 len, cap;
};

static int
rec_cb(void *arg, const struct nfqd_hpack_field *f)
{
	struct rec	*r = arg;

	if (r->len + 9 + f->nlen + f->vlen > r->cap)
		return 99;
	r->len += record(r->buf + r->len, f->rep, f->name, f->nlen, f->value,
	    f->vlen);
	return 0;
}

/* Decode b[0..n) from a copy of exactly n bytes, recording the fields. */
static int
decode_rec(struct nfqd_hpack *d, const uint8_t *b, size_t n, struct rec *r,
    unsigned *why)
{
	uint8_t	*copy;
	int	 res;

	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(copy, b, n);
	res = nfqd_hpack_decode(d, copy, n, rec_cb, r, why);
	free(copy);
	return res;
}

/* The decoder's dynamic table, through indexes 62 on, is the model's. */
static bool
same_table(const struct nfqd_hpack *d, const struct model *m)
{
	static struct nfqd_hpack	c;
	static uint8_t			buf[1 << 17], one[1 << 17];
	struct rec			r;
	uint8_t				b[8];
	unsigned			k, why;

	for (k = 0; k < m->n; k++) {
		c = *d;
		r.buf = buf;
		r.len = 0;
		r.cap = sizeof(buf);
		if (decode_rec(&c, b, put_int(b, 0x80, 7, 62 + k), &r,
		    &why) != 0 || r.len != record(one, NFQD_HPACK_INDEXED,
		    m->e[k].name, m->e[k].nlen, m->e[k].value,
		    m->e[k].vlen) || memcmp(buf, one, r.len) != 0)
			return false;
	}
	c = *d;
	r.len = 0;
	return decode_rec(&c, b, put_int(b, 0x80, 7, 62 + k), &r, &why) ==
	    -1 && why == NFQD_HPACK_R_INDEX;
}

/* A random string: short mostly, now and then long. */
static size_t
rnd_str(uint8_t *s)
{
	size_t	n, i;
	bool	text = rnd(4) != 0;

	switch (rnd(16)) {
	case 0:
		n = 100 + rnd(300);
		break;
	case 1:
		n = rnd(8) == 0 ? 1000 + rnd(6000) : rnd(2);
		break;
	default:
		n = rnd(24);
		break;
	}
	for (i = 0; i < n; i++)
		s[i] = (uint8_t)(text ? 'a' + rnd(26) : rnd(256));
	return n;
}

/* Entry idx (1-based): Appendix A's, or the model's. */
static void
entry(const struct model *m, unsigned idx, const uint8_t **n, size_t *nl,
    const uint8_t **v, size_t *vl)
{
	if (idx <= 61) {
		*n = (const uint8_t *)stab[idx - 1][0];
		*nl = strlen(stab[idx - 1][0]);
		*v = (const uint8_t *)stab[idx - 1][1];
		*vl = strlen(stab[idx - 1][1]);
	} else {
		*n = m->e[idx - 62].name;
		*nl = m->e[idx - 62].nlen;
		*v = m->e[idx - 62].value;
		*vl = m->e[idx - 62].vlen;
	}
}

/*
 * A random block from a small encoder, into blk (NFQD_HPACK_BLOCK_MAX
 * bytes), under a decoder's limit: size updates at the start, indexed
 * fields (static and dynamic), literals with a new name or an indexed
 * one, with indexing or not, Huffman-coded or not.  The fields as
 * record() writes them go to want (*wl bytes); m follows the table.  The
 * block's length.
 */
static size_t
gen_block(struct model *m, uint32_t limit, uint8_t *blk, uint8_t *want,
    size_t *wl)
{
	static uint8_t	f[1 << 17];
	static uint8_t	ns[8192], vs[8192];
	const uint8_t	*np, *vp;
	size_t		bl = 0, fl, nl, vl;
	unsigned	op, rep, idx, nf;
	uint32_t	v;

	*wl = 0;
	while (rnd(6) == 0) {
		v = rnd(limit + 1);
		bl += put_int(blk + bl, 0x20, 5, v);
		m->max = v;
		model_evict(m, v);
	}
	for (nf = 1 + rnd(40); nf > 0; nf--) {
		op = rnd(8);
		if (op <= 1) {
			/* 6.1, static or dynamic. */
			idx = op == 0 || m->n == 0 ? 1 + rnd(61) :
			    62 + rnd(m->n);
			fl = put_int(f, 0x80, 7, idx);
			if (bl + fl > NFQD_HPACK_BLOCK_MAX)
				break;
			memcpy(blk + bl, f, fl);
			bl += fl;
			entry(m, idx, &np, &nl, &vp, &vl);
			*wl += record(want + *wl, NFQD_HPACK_INDEXED, np, nl,
			    vp, vl);
			continue;
		}
		rep = op < 6 ? NFQD_HPACK_INCREMENTAL : op == 6 ?
		    NFQD_HPACK_WITHOUT : NFQD_HPACK_NEVER;
		op = rnd(3);
		idx = op == 0 ? 0 : op == 1 || m->n == 0 ? 1 + rnd(61) :
		    62 + rnd(m->n);
		fl = put_int(f, rep == NFQD_HPACK_INCREMENTAL ? 0x40 :
		    rep == NFQD_HPACK_WITHOUT ? 0x00 : 0x10,
		    rep == NFQD_HPACK_INCREMENTAL ? 6 : 4, idx);
		if (idx == 0) {
			nl = rnd_str(ns);
			np = ns;
			fl += put_str(f + fl, ns, nl, rnd(2) == 0);
		} else {
			entry(m, idx, &np, &nl, &vp, &vl);
		}
		vl = rnd_str(vs);
		vp = vs;
		fl += put_str(f + fl, vs, vl, rnd(2) == 0);
		if (bl + fl > NFQD_HPACK_BLOCK_MAX)
			break;
		memcpy(blk + bl, f, fl);
		bl += fl;
		*wl += record(want + *wl, rep, np, nl, vp, vl);
		if (rep == NFQD_HPACK_INCREMENTAL)
			model_add(m, np, nl, vp, vl);
	}
	return bl;
}

/*
 * Random blocks (gen_block()), decoded by one decoder per table size.
 * Each field must come back as encoded, and the table's size and entries
 * be the model's after each block.
 */
static void
test_round_trip(void)
{
	static const uint32_t		limits[] = { 0, 64, 256, 1000, 4096 };
	static struct nfqd_hpack	d;
	static struct model		m;
	static uint8_t			blk[NFQD_HPACK_BLOCK_MAX];
	static uint8_t			want[1 << 20], got[1 << 20];
	struct rec			r;
	size_t				bl, wl;
	unsigned			li, blkn, why, bad;
	int				res;

	for (li = 0; li < sizeof(limits) / sizeof(limits[0]); li++) {
		nfqd_hpack_init(&d, limits[li]);
		m.n = 0;
		m.size = 0;
		m.max = limits[li];
		bad = 0;
		for (blkn = 0; blkn < 400; blkn++) {
			bl = gen_block(&m, limits[li], blk, want, &wl);
			r.buf = got;
			r.len = 0;
			r.cap = sizeof(got);
			res = decode_rec(&d, blk, bl, &r, &why);
			if (res != 0 || r.len != wl ||
			    memcmp(got, want, wl) != 0 || d.size != m.size ||
			    d.n != m.n || !same_table(&d, &m)) {
				if (bad++ == 0)
					printf("# max %u block %u: res %d "
					    "why %s, %zu bytes of fields, "
					    "%zu wanted\n", limits[li], blkn,
					    res, nfqd_hpack_why_str(why),
					    r.len, wl);
			}
		}
		CHECKF(bad == 0, unit_fmt("random blocks, max %u: 400 decoded "
		    "as encoded", limits[li]), "%u bad", bad);
		model_evict(&m, 0);
	}
}

/* A copy of p[0..n) in an allocation of its own. */
static uint8_t *
copy_of(const uint8_t *p, size_t n)
{
	uint8_t	*c;

	if ((c = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(c, p, n);
	return c;
}

/*
 * Two decoders, their blocks decoded alternately (the first's block 1,
 * the second's block 1, the first's block 2, ...), give what each gives
 * decoding its own blocks alone: a decoder's state is its struct, and
 * the Huffman buffer the two share holds nothing from one field to the
 * next.  Appendix C's examples (C.4 under 4096 with C.6 under 256, both
 * Huffman-coded, and C.3 with C.5), then random blocks (4096 and 256).
 */
#define TWO_BLOCKS	200

static void
test_two_decoders(void)
{
	static const uint32_t		limits[2] = { 4096, 256 };
	static const unsigned		pairs[2][2] = { { 7, 13 }, { 4, 10 } };
	static struct nfqd_hpack	d[2];
	static struct model		m[2];
	static struct got		g;
	static char			table[8192];
	static uint8_t			blk[NFQD_HPACK_BLOCK_MAX];
	static uint8_t			want[1 << 20], got[1 << 20];
	static uint8_t			*blks[2][TWO_BLOCKS];
	static uint8_t			*alone[2][TWO_BLOCKS];
	static size_t			 bls[2][TWO_BLOCKS];
	static size_t			 als[2][TWO_BLOCKS];
	const struct example		*e;
	struct rec			r;
	size_t				wl;
	unsigned			i, k, why, bad = 0, badalone = 0;

	/* Examples: each block's fields and table as Appendix C has them. */
	for (k = 0; k < 2; k++) {
		nfqd_hpack_init(&d[0], examples[pairs[k][0]].limit);
		nfqd_hpack_init(&d[1], examples[pairs[k][1]].limit);
		for (i = 0; i < 6; i++) {
			e = &examples[pairs[k][i % 2] + i / 2];
			if (decode_hex(&d[i % 2], e->hex, &g, &why) != 0 ||
			    strcmp(g.text, e->fields) != 0 ||
			    strcmp(g.reps, e->reps) != 0)
				bad++;
			table_text(&d[i % 2], table, sizeof(table));
			if (strcmp(table, e->table) != 0 ||
			    d[i % 2].size != e->size)
				bad++;
		}
		CHECKF(bad == 0, unit_fmt("two decoders: %s and %s "
		    "alternately, as alone", examples[pairs[k][0]].name,
		    examples[pairs[k][1]].name), "%u bad", bad);
		bad = 0;
	}

	/* Random blocks, and what each decoder gives alone. */
	for (k = 0; k < 2; k++) {
		nfqd_hpack_init(&d[k], limits[k]);
		m[k].n = 0;
		m[k].size = 0;
		m[k].max = limits[k];
		for (i = 0; i < TWO_BLOCKS; i++) {
			bls[k][i] = gen_block(&m[k], limits[k], blk, want, &wl);
			blks[k][i] = copy_of(blk, bls[k][i]);
			r.buf = got;
			r.len = 0;
			r.cap = sizeof(got);
			if (decode_rec(&d[k], blk, bls[k][i], &r, &why) != 0 ||
			    r.len != wl || memcmp(got, want, wl) != 0)
				badalone++;
			alone[k][i] = copy_of(got, r.len);
			als[k][i] = r.len;
		}
		model_evict(&m[k], 0);
	}
	CHECKF(badalone == 0, unit_fmt("two decoders: %u random blocks "
	    "each, alone, as encoded", TWO_BLOCKS), "%u bad", badalone);
	nfqd_hpack_init(&d[0], limits[0]);
	nfqd_hpack_init(&d[1], limits[1]);
	for (i = 0; i < TWO_BLOCKS; i++) {
		for (k = 0; k < 2; k++) {
			r.buf = got;
			r.len = 0;
			r.cap = sizeof(got);
			if (decode_rec(&d[k], blks[k][i], bls[k][i], &r,
			    &why) != 0 || r.len != als[k][i] ||
			    memcmp(got, alone[k][i], r.len) != 0) {
				if (bad++ == 0)
					printf("# decoder %u block %u: %s\n",
					    k, i, nfqd_hpack_why_str(why));
			}
		}
	}
	CHECKF(bad == 0, unit_fmt("two decoders (max 4096 and 256): %u "
	    "random blocks each alternately, as alone", TWO_BLOCKS),
	    "%u bad", bad);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < TWO_BLOCKS; i++) {
			free(blks[k][i]);
			free(alone[k][i]);
		}
	}
}

/* The decoder is the table and no more: small enough for a pool. */
static void
test_size(void)
{
	size_t		len;
	const uint8_t	*p;

	CHECKF(sizeof(struct nfqd_hpack) <= 6144,
	    "sizeof(struct nfqd_hpack) at most 6144", "%zu",
	    sizeof(struct nfqd_hpack));
	CHECK(NFQD_HPACK_TABLE_MAX == 4096 && NFQD_HPACK_ENTRIES == 128,
	    "a table of at most 4096 bytes, 128 entries");
	p = nfqd_hpack_scratch(&len);
	CHECK(p != NULL && len == NFQD_HPACK_SCRATCH && len == 26214,
	    "the Huffman buffer: 26214 bytes, outside the struct");
}

int
main(void)
{
	test_size();
	test_code_table();
	test_symbols();
	test_static();
	test_examples();
	test_bad();
	test_block_max();
	test_table();
	test_compaction();
	test_round_trip();
	test_two_decoders();
	return unit_done();
}
