/*
 * asset_name.h - the content-named aliases of a tenant site's static
 * files for a CDN (SPEC 12, asset_base_url).
 *
 * With asset_base_url set, each static file of a tenant's web root
 * (style.css, js/config.js ...) also has an alias whose name carries the
 * first ASSET_NAME_HASH_LEN hex digits of its SHA-256 before the
 * extension: js/config.js -> js/config.0123456789ab.js.  The alias is a
 * hard link to the same file, so new content always gets a new name and
 * a CDN may keep any alias for ever.  This module knows the names only:
 * which files get an alias, an alias's name, and whether a name is one.
 */
#ifndef TENANTD_ASSET_NAME_H
#define TENANTD_ASSET_NAME_H

#include <stddef.h>

#define ASSET_NAME_HASH_LEN	12

/*
 * Is `path` a static file that gets an alias: a name with a stem and one
 * of the extensions css, js, mjs, map, svg, png, jpg, jpeg, gif, webp,
 * avif, ico, woff, woff2, ttf (lower case)?  1 or 0.
 */
int	asset_name_is_static(const char *path);

/* Is `path` an HTML file (.html or .htm) the deploy rewrites?  1 or 0. */
int	asset_name_is_html(const char *path);

/*
 * Writes the alias of static file `path` whose SHA-256 in lowercase hex
 * starts with `hex` (at least ASSET_NAME_HASH_LEN digits) into `out` (of
 * `outlen` bytes).  Returns 0, or -1 with errno set: EINVAL when `path`
 * gets no alias, ENAMETOOLONG when the alias does not fit.
 */
int	asset_name_alias(const char *path, const char *hex, char *out,
	    size_t outlen);

/*
 * Is `path` an alias name: a static file's name with ".<12 lowercase hex
 * digits>" before its extension?  Returns 1 with the path it aliases in
 * `original` (of `outlen` bytes) and the digits in `hex`, else 0 (also
 * when `original` would not fit).
 */
int	asset_name_parse(const char *path, char *original, size_t outlen,
	    char hex[ASSET_NAME_HASH_LEN + 1]);

#endif
