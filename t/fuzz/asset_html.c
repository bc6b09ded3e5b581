/*
 * asset_html.c - libFuzzer target: the HTML reference rewriter of
 * lib/asset_html.h.
 *
 * The input is rewritten with a lookup that knows every path; the lookup
 * aborts when it is handed a path that is empty, absolute, has an empty,
 * "." or ".." segment or a byte outside [A-Za-z0-9._~/-].  A rewrite
 * with a lookup that knows nothing must give the input back byte for
 * byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asset_html.h"
#include "buf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks the path it is handed; every path becomes "//cdn/<path>". */
static const char *
lookup_every_path(void *arg, const char *path, size_t len)
{
	static char	url[ASSET_HTML_PATH_MAX + 16];
	size_t		i, segment = 0;

	(void)arg;
	if (len == 0 || len > ASSET_HTML_PATH_MAX || path[0] == '/')
		abort();
	for (i = 0; i <= len; i++) {
		if (i < len && path[i] != '/') {
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
			    "UVWXYZ0123456789._~-", path[i]) == NULL ||
			    path[i] == '\0')
				abort();
			continue;
		}
		if (i == segment || (i - segment == 1 && path[segment] == '.') ||
		    (i - segment == 2 && path[segment] == '.' &&
		    path[segment + 1] == '.'))
			abort();
		segment = i + 1;
	}
	memcpy(url, "//cdn/", 6);
	memcpy(url + 6, path, len);
	url[6 + len] = '\0';
	return url;
}

/* Knows nothing: every reference stays. */
static const char *
lookup_nothing(void *arg, const char *path, size_t len)
{
	(void)arg;
	(void)path;
	(void)len;
	return NULL;
}

/* Called by libFuzzer once per input; aborts on a broken rule. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	out;
	const char	*html = (const char *)data;

	buf_init(&out, BUF_NO_LIMIT);
	if (asset_html_rewrite(html, size, "js/deep", lookup_every_path, NULL,
	    &out) == -1)
		abort();
	buf_reset(&out);
	if (asset_html_rewrite(html, size, "", lookup_nothing, NULL,
	    &out) == -1 || out.len != size || memcmp(out.data, html, size) != 0)
		abort();
	buf_release(&out);
	return 0;
}
