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

struct stat;

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

/*
 * The type to serve for the open regular file `fd` called `name`, whose
 * fstat() is `st`: mime_for_file() of libmagic's judgement of its first
 * 8 KiB.  libmagic needs up to half a millisecond for a text file, so the
 * answer is remembered in a bounded table of `m` keyed by device, inode,
 * size, modification and change time and name: a file that did not
 * change is typed once per process, and one that did is typed again.
 * Returns a static string (application/octet-stream when the file cannot
 * be read or judged).
 */
const char *mime_for_open_file(struct mime *m, int fd, const struct stat *st,
	    const char *name);

#endif
