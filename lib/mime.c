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
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <magic.h>

#include "mime.h"

#define MIME_OCTET_STREAM	"application/octet-stream"
#define MIME_SNIFF_BYTES	8192
/* Files whose type is remembered (a power of two): ~64 KiB per process. */
#define MIME_CACHE_SLOTS	1024

/* What identifies one version of one file, and the type it was served as. */
struct mime_cache_entry {
	dev_t		 device;
	ino_t		 inode;
	off_t		 size;
	struct timespec	 modified;
	struct timespec	 changed;
	uint64_t	 name_hash;
	const char	*type;		/* static; NULL: an empty slot */
};

struct mime {
	magic_t			 cookie;
	struct mime_cache_entry	*cache;		/* MIME_CACHE_SLOTS */
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
	if ((m->cache = calloc(MIME_CACHE_SLOTS, sizeof(*m->cache))) == NULL)
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
	free(m->cache);
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

/* FNV-1a over `len` bytes, continuing from `hash`. */
static uint64_t
hash_bytes(uint64_t hash, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 i;

	for (i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

/* Does `e` describe the file `st` called `name_hash`? */
static int
cache_entry_matches(const struct mime_cache_entry *e, const struct stat *st,
    uint64_t name_hash)
{
	return e->type != NULL && e->device == st->st_dev &&
	    e->inode == st->st_ino && e->size == st->st_size &&
	    e->modified.tv_sec == st->st_mtim.tv_sec &&
	    e->modified.tv_nsec == st->st_mtim.tv_nsec &&
	    e->changed.tv_sec == st->st_ctim.tv_sec &&
	    e->changed.tv_nsec == st->st_ctim.tv_nsec &&
	    e->name_hash == name_hash;
}

/*
 * Types the open file by its first bytes (see mime.h); a slot of the
 * table is chosen by device, inode and name, and a newer file simply
 * takes its slot over.
 */
const char *
mime_for_open_file(struct mime *m, int fd, const struct stat *st,
    const char *name)
{
	struct mime_cache_entry	*e;
	char			 sniff[MIME_SNIFF_BYTES], detected[128];
	uint64_t		 name_hash, slot;
	const char		*type;
	ssize_t			 got;

	name_hash = hash_bytes(0xcbf29ce484222325ULL, name, strlen(name));
	slot = hash_bytes(name_hash, &st->st_dev, sizeof(st->st_dev));
	slot = hash_bytes(slot, &st->st_ino, sizeof(st->st_ino));
	e = &m->cache[slot & (MIME_CACHE_SLOTS - 1)];
	if (cache_entry_matches(e, st, name_hash))
		return e->type;

	do
		got = pread(fd, sniff, sizeof(sniff), 0);
	while (got == -1 && errno == EINTR);
	if (got < 0 || mime_detect(m, sniff, (size_t)got, detected,
	    sizeof(detected)) == -1)
		return mime_for_file(name, NULL);
	type = mime_for_file(name, detected);
	e->device = st->st_dev;
	e->inode = st->st_ino;
	e->size = st->st_size;
	e->modified = st->st_mtim;
	e->changed = st->st_ctim;
	e->name_hash = name_hash;
	e->type = type;
	return type;
}
