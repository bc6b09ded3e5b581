/*
 * random.h - random names and tokens: lowercase hex from the kernel's
 * generator, through libsodium.
 *
 * Precondition: the program has called sodium_init() successfully before
 * any function of lib/ runs (tenantd and tenantctl do so at the start of
 * main(), the unit tests that reach these functions likewise).  lib/
 * never calls sodium_init() itself, so a failure to start libsodium is
 * reported once, by the program, instead of in every caller here.
 */
#ifndef TENANTD_RANDOM_H
#define TENANTD_RANDOM_H

#include <stddef.h>

/*
 * Writes `bytes` random bytes as 2 * `bytes` lowercase hex digits and a
 * NUL into `out`, which the caller sizes at 2 * bytes + 1.  Cannot fail.
 * Used for staging, trash and temporary file names, the tenant lock's
 * token and secrets (sessions, CSRF and API tokens).
 */
void	random_hex(char *out, size_t bytes);

#endif
