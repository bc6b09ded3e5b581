/*
 * random.c - random lowercase hex for names and tokens (see random.h; the
 * program has called sodium_init() before).
 */
#include <sodium.h>

#include "random.h"

#define RANDOM_CHUNK_BYTES	32

/* See random.h.  The bytes are wiped afterwards: some become secrets. */
void
random_hex(char *out, size_t bytes)
{
	unsigned char	chunk[RANDOM_CHUNK_BYTES];
	size_t		done = 0, n;

	out[0] = '\0';
	while (done < bytes) {
		n = bytes - done < sizeof(chunk) ? bytes - done : sizeof(chunk);
		randombytes_buf(chunk, n);
		sodium_bin2hex(out + 2 * done, 2 * n + 1, chunk, n);
		done += n;
	}
	sodium_memzero(chunk, sizeof(chunk));
}
