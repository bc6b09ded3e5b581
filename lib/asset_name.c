/*
 * asset_name.c - the content-named aliases of a tenant site's static
 * files (see asset_name.h): which files, their names, recognising one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "asset_name.h"

/* The extensions of files that get an alias. */
static const char *const static_extensions[] = {
	"css", "js", "mjs", "map", "svg", "png", "jpg", "jpeg", "gif", "webp",
	"avif", "ico", "woff", "woff2", "ttf"
};

/*
 * Finds the extension of `path`'s last segment: returns the '.' before it,
 * or NULL when the segment has no stem or no extension.
 */
static const char *
extension_dot(const char *path)
{
	const char	*leaf, *dot;

	leaf = strrchr(path, '/');
	leaf = leaf != NULL ? leaf + 1 : path;
	dot = strrchr(leaf, '.');
	if (dot == NULL || dot == leaf || dot[1] == '\0')
		return NULL;
	return dot;
}

/* Does `path` have a stem and one of the static extensions?  1 or 0. */
int
asset_name_is_static(const char *path)
{
	const char	*dot = extension_dot(path);
	size_t		 i;

	if (dot == NULL)
		return 0;
	for (i = 0; i < sizeof(static_extensions) /
	    sizeof(static_extensions[0]); i++)
		if (strcmp(dot + 1, static_extensions[i]) == 0)
			return 1;
	return 0;
}

/* Does `path` have a stem and the extension html or htm?  1 or 0. */
int
asset_name_is_html(const char *path)
{
	const char	*dot = extension_dot(path);

	return dot != NULL && (strcmp(dot + 1, "html") == 0 ||
	    strcmp(dot + 1, "htm") == 0);
}

/* Writes the alias of `path` (see asset_name.h).  Returns 0 or -1. */
int
asset_name_alias(const char *path, const char *hex, char *out,
    size_t outlen)
{
	const char	*dot;
	int		 n;

	if (!asset_name_is_static(path) || strlen(hex) < ASSET_NAME_HASH_LEN) {
		errno = EINVAL;
		return -1;
	}
	dot = extension_dot(path);
	n = snprintf(out, outlen, "%.*s.%.*s%s", (int)(dot - path), path,
	    ASSET_NAME_HASH_LEN, hex, dot);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Is `path` an alias name (see asset_name.h)?  1 or 0. */
int
asset_name_parse(const char *path, char *original, size_t outlen,
    char hex[ASSET_NAME_HASH_LEN + 1])
{
	const char	*dot, *digits, *leaf;
	size_t		 i, stem_len;
	int		 n;

	if (!asset_name_is_static(path))
		return 0;
	dot = extension_dot(path);
	leaf = strrchr(path, '/');
	leaf = leaf != NULL ? leaf + 1 : path;
	/* The leaf is "<stem>.<digits>.<extension>", the stem not empty. */
	if ((size_t)(dot - leaf) < ASSET_NAME_HASH_LEN + 2)
		return 0;
	digits = dot - ASSET_NAME_HASH_LEN;
	if (digits[-1] != '.')
		return 0;
	for (i = 0; i < ASSET_NAME_HASH_LEN; i++)
		if (!((digits[i] >= '0' && digits[i] <= '9') ||
		    (digits[i] >= 'a' && digits[i] <= 'f')))
			return 0;
	stem_len = (size_t)(digits - 1 - path);
	n = snprintf(original, outlen, "%.*s%s", (int)stem_len, path, dot);
	if (n < 0 || (size_t)n >= outlen)
		return 0;
	memcpy(hex, digits, ASSET_NAME_HASH_LEN);
	hex[ASSET_NAME_HASH_LEN] = '\0';
	return 1;
}
