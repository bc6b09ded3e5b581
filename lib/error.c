/*
 * error.c - messages for the caller of a lib/ function (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

/*
 * Writes an administrator's message into `err`, if there is room for one.
 * Called on the failure paths of provisioning, deploys, lifecycle, bulk
 * work, fsck and manifests.
 */
void
error_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
