/*
 * tenant_import.h - one tenant in from an archive (SPEC 13; the format is
 * tenant_archive.h's): `POST /api/tenants/import/` and `tenantctl tenant
 * import`.
 *
 * Order of operations, so that a refused or failed import leaves nothing:
 *   1. tenant.json, the archive's first entry, is checked before anything
 *      else is read: its format and types (tenant_archive.h), the tenant's
 *      fields as a create checks them (tenant_input.h: unknown modules,
 *      colors, the subdomain, or the one `as_sub` gives), its domains,
 *      that the subdomain is free (409), and that the template version is
 *      stored here or carried by the archive (else 409 naming it);
 *   2. the rest is unpacked into tenants_dir/.import-archive-<hex>/ (a
 *      hidden name, removed at the end whatever happens), each file
 *      created anew without following a symlink, with the reader's bounds
 *      (10,000 entries, 256 MiB) and a file of files/ only where a tenant
 *      folder holds the tenant's own files; the logo is judged as a
 *      create's upload is (libmagic, max_logo_bytes);
 *   3. an embedded template version this instance lacks is stored
 *      (template_add(), checked to be the version tenant.json names);
 *   4. provision_create_with(): the rows (tenant, with the exported id
 *      when it is free here, modules, domains, template version, audit
 *      "tenant.import") in one transaction, and
 *      the folder built under a staging name: config.json rendered for
 *      the new row, the logo, the gate files, the archive's files, then
 *      the version deployed into it (deploy_tenant_in(): the tenant's
 *      changed files are kept, package.json and .env.local written for
 *      the subdomain), flushed, renamed into place, committed.  The
 *      crash points are import.after_unpack (before this step) and a
 *      create's (crash.h: create.*); `tenantctl fsck --repair` removes
 *      an unpack directory a crash left;
 *   5. the links of its active domains (domain_link.h).
 * config.json, package.json and .env.local in the archive are derived
 * files: they are rendered again for the new row rather than copied.
 * A version stored in step 3 stays when a later step fails: it is
 * immutable and named by its content, as `tenantctl template add` would
 * have left it.
 */
#ifndef TENANTD_TENANT_IMPORT_H
#define TENANTD_TENANT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct service;
struct tenant;
struct tenant_archive_source;

/*
 * Imports the tenant in archive `src`, under subdomain `as_sub` instead of
 * its own when not NULL, on behalf of `user_id` (0: none).  Returns
 * RESULT_OK with `out` holding the new tenant; RESULT_INVALID (a damaged,
 * hostile or refused archive: `err` names the problem); RESULT_TAKEN (the
 * subdomain is taken); RESULT_DUPLICATE (another tenant holds one of its
 * domains); RESULT_CONFLICT (its template version is not stored here and
 * the archive does not carry it: `err` names it); RESULT_NO_MEMORY,
 * RESULT_DB_DOWN or RESULT_FAILED.
 */
enum result tenant_import(struct service *svc,
	    const struct tenant_archive_source *src, const char *as_sub,
	    int64_t user_id, struct tenant *out, char *err, size_t errlen);

#endif
