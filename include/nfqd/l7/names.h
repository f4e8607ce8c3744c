/*
 * Name sets: lists of domain names, from a few in a rule to millions in a
 * list file, that a name read off the wire (TLS server name, HTTP Host,
 * DNS query name) is matched against.
 *
 * An element "example.com" matches example.com and every name under it
 * (www.example.com, a.b.example.com), never notexample.com; an element
 * "=example.com" matches example.com alone.  A name given both ways keeps
 * the wider meaning.  Elements are folded to lower case and lose one
 * trailing dot (nfqd_l7_name_norm); beyond what that function refuses, an
 * element may hold only letters, digits, '-', '_' and '.', and labels of
 * at most 63 bytes, so that a URL, a wildcard or an adblock rule in a
 * list is an error rather than an element that can never match.
 *
 * A set is built once (by the master, before the workers are forked) and
 * read-only afterwards: matching allocates nothing and writes nothing to
 * it, so the workers share its pages copy-on-write.  A big set lives in
 * two mmap'd blocks (a hash table and the names), so freeing it on a
 * reload gives the memory back to the system.
 */
#ifndef NFQD_L7_NAMES_H
#define NFQD_L7_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct nfqd_names;		/* opaque, read-only once built */
struct nfqd_names_builder;	/* elements gathered for one set */

/* A list file larger than this is refused (before it is read). */
#define NFQD_NAMES_FILE_MAX	(1ul << 30)
/* A list file's line, without its newline, is at most this long. */
#define NFQD_NAMES_LINE_MAX	4096
/* All the names of one set together (about 40 million names). */
#define NFQD_NAMES_TOTAL_MAX	(1ul << 30)

/*
 * The load's yield (yield.h, nfqd_load_set_yield()) is called while a
 * list file is read (after every 64 KiB) and while a set of many names is
 * built (after every 16,384 names), so that the process that loads lists
 * of millions (the master, in a reload: a third of a second a million
 * names) can see to its other work meanwhile.  -1 from it: a list file's
 * reading fails with ECANCELED (the build cannot be given up, and ignores
 * it).
 */

/*
 * In a process forked from the yield (a worker the master starts while a
 * reload reads lists): no yield call, and the descriptor of the list
 * being read closed (the worker never execs, so O_CLOEXEC does not).
 * The blocks of a set being built are not in the fork at all
 * (MADV_DONTFORK until the set is built).
 */
void	nfqd_names_forked(void);

/* Tests: the builder's buffer (an mmap'd block once it is large). */
const void *nfqd_names_builder_test_buf(const struct nfqd_names_builder *);

/* NULL when out of memory. */
struct nfqd_names_builder *nfqd_names_builder_new(void);

/*
 * From now on, refuse an element that would make the set take more than
 * max bytes once built (nfqd_names_builder_bytes()): -1, errno EFBIG,
 * "the set would take more than N bytes" (a list file's reading stops
 * there, FILE:LINE: in front), and nfqd_names_builder_over() says so.
 * SIZE_MAX (the default): no limit.
 */
void	nfqd_names_builder_limit(struct nfqd_names_builder *, size_t max);

/*
 * The bytes the set of the elements added so far takes once built
 * (nfqd_names_bytes()) when none repeats another; fewer when some do.
 * The table is sized for every element added, repeats included.
 */
size_t	nfqd_names_builder_bytes(const struct nfqd_names_builder *);

/* Whether an element was refused for nfqd_names_builder_limit(). */
bool	nfqd_names_builder_over(const struct nfqd_names_builder *);

/* Discard a builder that will not be built (after an error). */
void	nfqd_names_builder_free(struct nfqd_names_builder *);

/*
 * Add one element as a rule writes it: "example.com" (itself and its
 * subdomains) or "=example.com" (itself only); no blanks around it.
 * Returns 0, or -1 with a message in err ("\"*.x\": a wildcard is not
 * needed: \"x\" already matches its subdomains").
 */
int	nfqd_names_add(struct nfqd_names_builder *, const char *text,
	    size_t len, char *err, size_t errlen);

/*
 * Add the elements of a list file: a regular file of at most
 * NFQD_NAMES_FILE_MAX bytes.  Each line is blank, or one element, or a
 * hosts-file line (an IPv4 or IPv6 address, then one or more elements,
 * all added with the same meaning as a bare one, except the machine's own
 * entries that hosts files start with, which are skipped: localhost,
 * localhost.localdomain, local, broadcasthost, ip6-localhost and the
 * other ip6-* names, and addresses such as "0.0.0.0 0.0.0.0"; "local"
 * would otherwise match every name under .local); '#' starts a comment
 * anywhere on a line; blanks (space, tab, CR) around and between fields
 * are ignored, so CRLF line ends are fine; a UTF-8 byte order mark at the
 * start is skipped.  An empty file (or one of comments only) adds nothing,
 * which is not an error: whether an empty set is acceptable is the
 * caller's decision.  Returns 0, or -1 with "PATH:LINE: message" in err
 * for the first bad line, or "open(PATH): No such file or directory" and
 * the like.  After an error the builder holds the lines before the bad
 * one; discard it.  hash (may be NULL): FNV-1a of the bytes read, the
 * very bytes the set holds, so that a reload can tell a changed file.
 */
int	nfqd_names_add_file(struct nfqd_names_builder *, const char *path,
	    uint64_t *hash, char *err, size_t errlen);

/*
 * The same for list text held in memory; errors say "LABEL:LINE: ...".
 * (The file reader feeds its lines through the same code; the fuzz target
 * and the tests use this.)
 */
int	nfqd_names_add_text(struct nfqd_names_builder *, const char *label,
	    const char *text, size_t len, char *err, size_t errlen);

/*
 * Add every element of the built set s, each with its meaning ("x" or
 * "=x"): a set built from the union of sets matches a name exactly when
 * one of them does (a name added both ways means "x", as in one set).
 * Returns 0, or -1 with a message in err (out of memory, too many bytes).
 */
int	nfqd_names_add_set(struct nfqd_names_builder *,
	    const struct nfqd_names *s, char *err, size_t errlen);

/*
 * The set of the elements added.  Consumes the builder, also on failure;
 * NULL when out of memory.  An empty builder gives an empty set.
 */
struct nfqd_names *nfqd_names_build(struct nfqd_names_builder *);

/*
 * A set is counted: each nfqd_names_ref() (a second name set, or the next
 * configuration, holding the same one) needs its own nfqd_names_free().
 * Not thread-safe: the master's alone.
 */
void	nfqd_names_free(struct nfqd_names *);
struct nfqd_names *nfqd_names_ref(struct nfqd_names *);

/*
 * name: normalized text (nfqd_l7_name_norm), len bytes, no NUL needed.
 * 1 when it or a parent domain of it is an element, or it is an "="
 * element; else 0.  It is compared byte for byte, except that one
 * trailing dot is ignored; past that, a name longer than
 * NFQD_L7_NAME_MAX never matches.  Parents are the suffixes that follow a
 * dot, so the caller's normalizing is what keeps ".example.com" or
 * "EXAMPLE.COM" from reaching here.
 */
int	nfqd_names_match(const struct nfqd_names *, const char *name,
	    size_t len);

/*
 * Start fetching the parts of s's table that nfqd_names_match() of name
 * (normalized, as there) will read first, and return at once: for a
 * caller that knows a name some time before it can match it.  Changes
 * nothing; any name is safe.  The hashes of the name's suffixes, up to
 * max of them (the longest ones, the whole name last), go to hv; returns
 * how many.
 */
size_t	nfqd_names_prefetch(const struct nfqd_names *, const char *name,
	    size_t len, uint64_t *hv, size_t max);

/*
 * Once the slots have come (some time after nfqd_names_prefetch() gave
 * hv[0..n)): start fetching the names they point to that
 * nfqd_names_match() would compare.
 */
void	nfqd_names_prefetch_names(const struct nfqd_names *,
	    const uint64_t *hv, size_t n);

/* Distinct names in the set ("x" and "=x" count once). */
size_t	nfqd_names_count(const struct nfqd_names *);

/* Bytes of memory the set holds. */
size_t	nfqd_names_bytes(const struct nfqd_names *);

/* s[0..len) for a message: quoted, odd bytes as \xNN, cut at ~60 bytes. */
const char *nfqd_names_shown(char *buf, size_t size, const uint8_t *s,
	    size_t len);

#endif
