/*
 * libFuzzer target for the configuration loader: the input is a
 * configuration file.  It must load or be refused with problems reported,
 * never crash, leak or hang; a loaded one must be usable (its rules
 * compiled, its queue range sane).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfqd/config.h"
#include "nfqd/nfqd.h"
#include "nfqd/rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ASSERT(c)	do { if (!(c)) __builtin_trap(); } while (0)

static int	reports;

static void
count(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	(void)file;
	(void)msg;
	ASSERT(line >= 0);
	reports++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 path[64];
	struct nfqd_config	 cf;
	FILE			*fp;
	int			 errors;

	/* No @include: it would read files of this machine. */
	if (size > 65536 || memmem(data, size, "@include", 8) != NULL)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/nfqd-fuzz-config.%d",
		    (int)getpid());
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	reports = 0;
	errors = nfqd_config_load(&cf, path, NULL, count, NULL);
	ASSERT(errors <= reports);
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
