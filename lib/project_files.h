/*
 * project_files.h - the project files of a tenant's site, written by each
 * deploy next to public/ (never served):
 *   package.json  {"name": "<sub>-app", "version": "1.0.0",
 *                  "private": true, "description": "Application for <name>"}
 *                 as package_json_default() writes it
 *   .env.local    NEXT_PUBLIC_TENANT_NAME, NEXT_PUBLIC_TENANT_SUBDOMAIN,
 *                 NEXT_PUBLIC_API_URL, NEXT_PUBLIC_PRIMARY_COLOR and
 *                 NEXT_PUBLIC_SECONDARY_COLOR, quoted so that dotenv readers
 *                 and sh (`set -a; . ./.env.local`) both read plain data.
 */
#ifndef TENANTD_PROJECT_FILES_H
#define TENANTD_PROJECT_FILES_H

#include <stddef.h>

struct tenant;

/*
 * Writes package.json and .env.local of tenant `t`, each atomically, into
 * the tenant folder open on `folder` (the caller's); flushed to disk when
 * `sync`, else the caller flushes (folder.h's file_write_replace()).
 * `template_package` (`template_package_len` bytes; NULL: none) is the
 * template's own package.json.  `api_url` (NULL: empty) is tenantd.conf's
 * api_url.  A value holding a control character, or a template
 * package.json that cannot be customised, is refused (EINVAL).  Returns
 * 0, or -1 with errno set.
 */
int	project_files_write(int folder, const struct tenant *t,
	    const char *api_url, const char *template_package,
	    size_t template_package_len, int sync);

#endif
