/*
 * The load's yield (yield.h): one call, set by the master around a reload.
 */
#include <stddef.h>

#include "nfqd/yield.h"

static int	(*yield_fn)(void *);
static void	*yield_arg;

void
nfqd_load_set_yield(int (*fn)(void *), void *arg)
{
	yield_fn = fn;
	yield_arg = arg;
}

int
nfqd_load_yield(void)
{
	if (yield_fn == NULL)
		return 0;
	return yield_fn(yield_arg);
}

bool
nfqd_load_yielding(void)
{
	return yield_fn != NULL;
}
