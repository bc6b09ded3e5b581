/*
 * error.h - messages for the caller of a lib/ function.
 *
 * Functions that can fail for reasons an administrator should read take a
 * `char *err, size_t errlen` pair; error_set() fills it.  The messages are
 * for people: no absolute paths, no secrets.
 */
#ifndef TENANTD_ERROR_H
#define TENANTD_ERROR_H

#include <stddef.h>

/* Formats a message into `err` when there is room (err may be NULL). */
void	error_set(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
