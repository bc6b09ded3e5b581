/*
 * crash.c - the crash points of crash.h: SIGKILL at the step named by
 * TENANTD_CRASH_AT, in builds configured with --enable-crash-points.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

/*
 * Kills the process with SIGKILL when this is a crash-point build and
 * TENANTD_CRASH_AT names `name`; does nothing otherwise, so a normal build
 * that calls it by hand still cannot be made to die from the environment.
 * Called through crash_point() at the steps listed in crash.h.
 */
void
crash_if_selected(const char *name)
{
#ifdef TENANTD_CRASH_POINTS
	const char	*selected;

	if (name == NULL || (selected = getenv(CRASH_ENVIRONMENT)) == NULL ||
	    strcmp(selected, name) != 0)
		return;
	raise(SIGKILL);
#endif
}
