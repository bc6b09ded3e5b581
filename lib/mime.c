/*
 * mime.c - content types judged from bytes by libmagic, and the types
 * tenantd serves.
 *
 * libmagic tells images and binary formats apart reliably but calls most
 * web text formats "text/plain" (or a guess such as text/x-c for CSS), so
 * text is refined by the file's extension.  Whatever is served comes from a
 * fixed table of static strings: an unknown type is served as
 * application/octet-stream, never echoed from libmagic.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <magic.h>

#include "mime.h"

#define MIME_OCTET_STREAM	"application/octet-stream"

struct mime {
	magic_t	 cookie;
};

/* Logo types and the extension their file gets. */
static const struct {
	const char	*type;
	const char	*extension;
} logo_types[] = {
	{ "image/png", "png" },
	{ "image/jpeg", "jpg" },
	{ "image/gif", "gif" },
	{ "image/webp", "webp" },
};

/* Types of text formats by extension (compared without case). */
static const struct {
	const char	*extension;
	const char	*type;
} text_extensions[] = {
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json; charset=utf-8" },
	{ "map", "application/json; charset=utf-8" },
	{ "webmanifest", "application/manifest+json; charset=utf-8" },
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "txt", "text/plain; charset=utf-8" },
};

/* Detected types served as such (with a charset for text). */
static const struct {
	const char	*detected;
	const char	*served;
} served_types[] = {
	{ "image/png", "image/png" },
	{ "image/jpeg", "image/jpeg" },
	{ "image/gif", "image/gif" },
	{ "image/webp", "image/webp" },
	{ "image/avif", "image/avif" },
	{ "image/bmp", "image/bmp" },
	{ "image/svg+xml", "image/svg+xml" },
	{ "image/x-icon", "image/vnd.microsoft.icon" },
	{ "image/vnd.microsoft.icon", "image/vnd.microsoft.icon" },
	{ "text/plain", "text/plain; charset=utf-8" },
	{ "text/html", "text/html; charset=utf-8" },
	{ "text/css", "text/css; charset=utf-8" },
	{ "text/javascript", "text/javascript; charset=utf-8" },
	{ "application/javascript", "text/javascript; charset=utf-8" },
	{ "text/xml", "text/xml; charset=utf-8" },
	{ "application/xml", "application/xml; charset=utf-8" },
	{ "application/json", "application/json; charset=utf-8" },
	{ "application/pdf", "application/pdf" },
	{ "font/woff", "font/woff" },
	{ "font/woff2", "font/woff2" },
	{ "font/sfnt", "font/sfnt" },
	{ "application/wasm", "application/wasm" },
};

#define COUNT_OF(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Loads libmagic's default database.  Called once per worker or tenantctl
 * run by service_open().  Returns the handle or NULL.
 */
struct mime *
mime_open(void)
{
	struct mime *m = NULL;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto fail;
	if ((m->cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) == NULL)
		goto fail;
	if (magic_load(m->cookie, NULL) == -1)
		goto fail;
	return m;
fail:
	mime_close(m);
	return NULL;
}

/* Frees the handle; accepts NULL. */
void
mime_close(struct mime *m)
{
	if (m == NULL)
		return;
	if (m->cookie != NULL)
		magic_close(m->cookie);
	free(m);
}

/*
 * Writes libmagic's type for `len` bytes into `out`.  Returns 0, or -1 if
 * libmagic failed or the type does not fit.
 */
int
mime_detect(struct mime *m, const void *data, size_t len, char *out,
    size_t outlen)
{
	const char *type;
	size_t type_len;

	if (m == NULL || outlen == 0)
		return -1;
	if ((type = magic_buffer(m->cookie, data, len)) == NULL)
		return -1;
	type_len = strlen(type);
	if (type_len >= outlen)
		return -1;
	memcpy(out, type, type_len + 1);
	return 0;
}

/*
 * The file extension for a logo of `len` bytes, or NULL if the bytes are
 * not PNG, JPEG, GIF or WebP.  SVG is not in the list: it can carry
 * script.  Called by tenant_input.c.
 */
const char *
mime_logo_extension(struct mime *m, const void *data, size_t len)
{
	char type[128];
	size_t i;

	if (len == 0 || mime_detect(m, data, len, type, sizeof(type)) == -1)
		return NULL;
	for (i = 0; i < COUNT_OF(logo_types); i++)
		if (strcmp(type, logo_types[i].type) == 0)
			return logo_types[i].extension;
	return NULL;
}

/*
 * May the extension decide the type of a file libmagic judged `detected`?
 * Yes for text (libmagic's text subtypes are guesses), JSON (for the
 * JSON-based formats) and files with nothing to judge.
 */
static int
refinable(const char *detected)
{
	return strncmp(detected, "text/", 5) == 0 ||
	    strcmp(detected, "application/json") == 0 ||
	    strcmp(detected, "application/x-empty") == 0 ||
	    strcmp(detected, "inode/x-empty") == 0 ||
	    strcmp(detected, MIME_OCTET_STREAM) == 0;
}

/*
 * The Content-Type for file `name` (a path; only its last extension
 * counts) that libmagic judged `detected`.  Called by the asset handler.
 * Returns a static string, application/octet-stream when nothing fits.
 */
const char *
mime_for_file(const char *name, const char *detected)
{
	const char *base, *dot;
	size_t i;

	if (detected == NULL)
		detected = MIME_OCTET_STREAM;
	if (name != NULL && refinable(detected)) {
		base = strrchr(name, '/');
		base = base != NULL ? base + 1 : name;
		dot = strrchr(base, '.');
		if (dot != NULL && dot != base) {
			for (i = 0; i < COUNT_OF(text_extensions); i++)
				if (strcasecmp(dot + 1,
				    text_extensions[i].extension) == 0)
					return text_extensions[i].type;
		}
	}
	for (i = 0; i < COUNT_OF(served_types); i++)
		if (strcmp(detected, served_types[i].detected) == 0)
			return served_types[i].served;
	if (strncmp(detected, "text/", 5) == 0)
		return "text/plain; charset=utf-8";
	return MIME_OCTET_STREAM;
}
