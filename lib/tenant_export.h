/*
 * tenant_export.h - one tenant out as an archive (SPEC 13; the format is
 * tenant_archive.h's): `GET /api/tenants/{id}/export/` and `tenantctl
 * tenant export`.
 *
 * The export holds the tenant's lock (tenant_lock.h, operation "export")
 * while it reads the folder, so no deploy swaps files under it, and
 * records "tenant.export" in the audit log.  Of public/ and of the
 * template's files outside it, what a deploy made is left out: a file
 * that is the template version's file unchanged (same size and SHA-256 as
 * the manifest lists), which the version names, and in public/ also a
 * file as the last deploy wrote it (its record: an HTML file rewritten
 * for asset_base_url) and a content-named alias (asset_name.h); a deploy
 * on import makes them again.  A tenant never deployed has no version,
 * and all of public/ is its own.
 */
#ifndef TENANTD_TENANT_EXPORT_H
#define TENANTD_TENANT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct service;
struct tenant;

/*
 * Writes the archive of tenant `t` (loaded with its modules) to `out_fd`,
 * with every file of its template version under template/ when
 * `with_template`, on behalf of `user_id` (0: none).  Returns RESULT_OK;
 * RESULT_ARCHIVED (restore it first); RESULT_BUSY (a deploy, archive or
 * restore holds the tenant); RESULT_DB_DOWN or RESULT_FAILED, with the
 * reason in `err`.  What was written to `out_fd` before a failure is no
 * archive.
 */
enum result tenant_export(struct service *svc, const struct tenant *t,
	    int with_template, int64_t user_id, int out_fd, char *err,
	    size_t errlen);

/*
 * The archive's file name for tenant `sub` exported at time `now`:
 * "<sub>-YYYYMMDD-HHMMSS.tar.zst" into `out`.  Returns 0, or -1 when
 * it does not fit.
 */
int	tenant_export_file_name(const char *sub, long long now, char *out,
	    size_t outlen);

#endif
