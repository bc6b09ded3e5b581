/*
 * template_meta.h - a template's tenantd-template.json (SPEC 10).
 *
 * A template may carry, at its root,
 *
 *     {"name": "Micro system", "web_root": "public"}
 *
 * `name` is what the template is called: 1 to TEMPLATE_META_NAME_MAX
 * bytes of UTF-8 without control characters (C0, DEL or C1).  `web_root`
 * is the directory of the template the front ends serve: a relative path
 * of names the template names rule accepts (manifest_path_valid()), with
 * no trailing '/', neither "" nor ".".  With the file, the whole tree is
 * deployed into the tenant folder's root and only <tenant>/<web_root>/ is
 * served; without it, the whole template is the web root.
 *
 * Both members may be left out: no name, and the whole tree as the web
 * root.  Anything else is refused with the member named: a member of
 * another name (so a typo such as "webroot" never passes silently), a
 * member given twice, a member of the wrong type, a top level that is no
 * object, malformed JSON, a file over TEMPLATE_META_FILE_MAX bytes.
 *
 * Return conventions: template_meta_parse() 0 / -1 with the reason in
 * `err`; template_meta_read_at() is a lookup (1 / 0 / -1, the reason in
 * `err`).  Messages start with the file's name and never hold a path.
 */
#ifndef TENANTD_TEMPLATE_META_H
#define TENANTD_TEMPLATE_META_H

#include <stddef.h>

#include "manifest.h"

#define TEMPLATE_META_FILE	"tenantd-template.json"
#define TEMPLATE_META_NAME_MAX	100
#define TEMPLATE_META_FILE_MAX	(64 * 1024)

struct template_meta {
	char	name[TEMPLATE_META_NAME_MAX + 1];	/* "" when not given */
	char	web_root[MANIFEST_PATH_MAX + 1];	/* "": the whole tree */
};

/*
 * Parses `len` bytes of `json`, the content of a tenantd-template.json,
 * into `out`.  Returns 0, or -1 with a one-sentence message naming the
 * member at fault in `err`; `out` then holds the defaults (empty name,
 * whole tree).
 */
int	template_meta_parse(struct template_meta *out, const char *json,
	    size_t len, char *err, size_t errlen);

/*
 * Reads tenantd-template.json from directory `dirfd` (the caller's): a
 * regular file, opened without following a symlink, of at most
 * TEMPLATE_META_FILE_MAX bytes.  Returns 1 with `out` filled, 0 when there
 * is no such file (`out` then holds the defaults), or -1 with the reason in
 * `err` (a symlink, a directory or other non-regular file, a read error,
 * or what template_meta_parse() refuses; `out` holds the defaults).
 */
int	template_meta_read_at(struct template_meta *out, int dirfd,
	    char *err, size_t errlen);

#endif
