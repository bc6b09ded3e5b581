/*
 * package_json.h - the package.json of a tenant's app (SPEC 10).
 *
 * When the template carries its own package.json, each tenant gets a copy
 * with two members set: `name` = "<sub>-app" and `description` =
 * "Application for <tenant name>".  Every other member stays as it was and
 * where it was: numbers keep their text (1.0 stays 1.0, 1e400 stays
 * 1e400), strings their value, nested arrays and objects their members.
 * Each `name` and `description` member of the top-level object is
 * replaced in place, duplicates included (every one gets the new value);
 * those that are absent are added at the front, `name` first.  The output
 * is printed with 2-space indentation and ends in a newline.
 *
 * When the template has none, package_json_default() writes the file
 * tenantd has always written: {"name", "version": "1.0.0", "private":
 * true, "description"} with 4-space indentation.
 *
 * The template's file is untrusted: at most PACKAGE_JSON_INPUT_MAX bytes,
 * PACKAGE_JSON_DEPTH_MAX levels of nesting and PACKAGE_JSON_NODES_MAX
 * values, strict UTF-8 in strings and member names (U+0000 allowed, as
 * JSON allows it), no unpaired UTF-16 surrogate escape, and an object at
 * the top.
 *
 * Return convention: 0 / -1 with the reason in `err`
 * (package_json_customise()) or in errno (package_json_default()).
 */
#ifndef TENANTD_PACKAGE_JSON_H
#define TENANTD_PACKAGE_JSON_H

#include <stddef.h>

struct buf;

#define PACKAGE_JSON_FILE		"package.json"
#define PACKAGE_JSON_INPUT_MAX		(1024 * 1024)
#define PACKAGE_JSON_DEPTH_MAX		64
#define PACKAGE_JSON_NODES_MAX		100000
/* The longest tenant name taken, in bytes (tenant names hold 200
   characters, at most 800 bytes). */
#define PACKAGE_JSON_TENANT_NAME_MAX	4000

/*
 * Writes the tenant's package.json made from `len` bytes of the template's
 * `template_json`, for subdomain `subdomain` (a valid subdomain) and
 * tenant name `tenant_name` (a NUL-terminated UTF-8 string; quotes,
 * backslashes and control characters are escaped), appending it to `out`.
 * Returns 0, or -1 with a one-sentence message in `err` when the input is
 * not a JSON object within the bounds above, the subdomain or the tenant
 * name is refused, or the result would pass the limit of `out` (which is
 * then as it was).
 */
int	package_json_customise(const char *template_json, size_t len,
	    const char *subdomain, const char *tenant_name, struct buf *out,
	    char *err, size_t errlen);

/*
 * Writes the default package.json of subdomain `subdomain` and tenant
 * name `tenant_name`, appending it to `out`.  Returns 0, or -1 with errno
 * set: EINVAL for a subdomain or tenant name refused as above, ENOBUFS
 * when `out` would pass its limit, ENOMEM.
 */
int	package_json_default(const char *subdomain, const char *tenant_name,
	    struct buf *out);

#endif
