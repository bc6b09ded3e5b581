/*
 * mime.h - content types from bytes, through libmagic.
 *
 * A worker loads the magic database once (mime_open()) and keeps the handle
 * for its lifetime; libmagic handles are not shared between processes.
 * Logos are judged by their bytes only: the client's file name and
 * Content-Type are never trusted.
 */
#ifndef TENANTD_MIME_H
#define TENANTD_MIME_H

#include <stddef.h>

struct mime;

/* Loads the default magic database.  Returns NULL on failure. */
struct mime *mime_open(void);
void	mime_close(struct mime *m);

/*
 * Writes the MIME type of `len` bytes (e.g. "image/png") into `out`.
 * Returns 0, or -1 if libmagic failed.
 */
int	mime_detect(struct mime *m, const void *data, size_t len, char *out,
	    size_t outlen);

/*
 * For a logo: the file extension ("png", "jpg", "gif", "webp") if `len`
 * bytes are one of the accepted image types, else NULL.  SVG is refused
 * (it can carry script).
 */
const char *mime_logo_extension(struct mime *m, const void *data, size_t len);

/*
 * The type to serve for a file called `name` whose bytes libmagic judged
 * `detected`: text formats libmagic reports as text/plain are refined by
 * extension (.css, .js/.mjs, .json, .html, .svg, .txt), with a charset for
 * text.  Returns a static string.
 */
const char *mime_for_file(const char *name, const char *detected);

#endif
