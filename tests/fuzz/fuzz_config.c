/*
 * libFuzzer target for the configuration loader: the input is a
 * configuration file.  It must load or be refused with problems reported,
 * never crash, leak or hang; a loaded one must be usable (its rules
 * compiled, its queue range sane); and libconfig must never see an
 * @include that our scanner did not.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nfqd/cfgutil.h"
#include "nfqd/config.h"
#include "nfqd/nfqd.h"
#include "nfqd/rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

static int	reports;
static int	shown_errors, shown_warnings;
static bool	more;		/* the last report says how many more */

static void
count(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	(void)file;
	ASSERT(line >= 0);
	/*
	 * libconfig's own words for an @include it saw: our scanner
	 * (cfgtext.c) must have expanded or refused every one before.
	 */
	ASSERT(strcmp(msg, "cannot open include file") != 0);
	/* Nothing after the line of how many more. */
	ASSERT(!more);
	if (strncmp(msg, "warning: ", 9) == 0) {
		shown_warnings++;
		msg += 9;
	} else {
		shown_errors++;
	}
	more = strncmp(msg, "... and ", 8) == 0;
	reports++;
}

/*
 * The text goes to nfqd_config_load_text(): no file, no @include (refused
 * there, so the input cannot make us read this machine's files), and no
 * child parses it first, so that a crash in libconfig or in our checks is
 * the fuzzer's to see rather than a refused configuration.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nfqd_config	 cf;
	int			 errors;

	if (size > 65536)
		return 0;
	reports = shown_errors = shown_warnings = 0;
	more = false;
	errors = nfqd_config_load_text(&cf, "fuzz.conf", (const char *)data,
	    size, NULL, count, NULL);
	/* Past the first 100 errors, one line says how many more. */
	if (errors <= NFQD_CFG_SHOWN)
		ASSERT(errors <= reports);
	else
		ASSERT(more && shown_errors == NFQD_CFG_SHOWN + 1);
	ASSERT(shown_errors <= NFQD_CFG_SHOWN + 1 &&
	    shown_warnings <= NFQD_CFG_SHOWN + 1);
	if (errors == 0) {
		ASSERT(cf.qcount >= 1 && cf.qcount <= NFQD_MAX_WORKERS);
		ASSERT((unsigned)cf.qfirst + cf.qcount - 1 <= 65535);
		ASSERT(cf.rules == NULL || cf.rules->cls != NULL);
		nfqd_config_free(&cf);
	} else {
		ASSERT(cf.rules == NULL);
	}
	return 0;
}
