/*
 * asset_path.c - libFuzzer target: the asset path rules of lib/asset.h.
 *
 * A raw path is decoded and checked; whatever is accepted must be free of
 * dot segments, empty segments and NUL bytes, must pass the check again
 * in decoded form, and must encode back within bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asset.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts when a bad path is accepted. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char decoded[ASSET_PATH_MAX + 1], encoded[ASSET_RAW_MAX + 1];
	size_t len;

	asset_path_check((const char *)data, size);
	if (asset_path_decode((const char *)data, size, decoded) != NULL)
		return 0;
	len = strlen(decoded);
	if (len == 0 || len > ASSET_PATH_MAX)
		abort();
	if (decoded[0] == '/' || strstr(decoded, "//") != NULL ||
	    strcmp(decoded, "..") == 0 || strncmp(decoded, "../", 3) == 0 ||
	    strstr(decoded, "/../") != NULL ||
	    (len >= 3 && strcmp(decoded + len - 3, "/..") == 0))
		abort();
	if (asset_path_check(decoded, len) != NULL)
		abort();
	asset_path_encode(decoded, encoded, sizeof(encoded));
	return 0;
}
