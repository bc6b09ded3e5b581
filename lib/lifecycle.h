/*
 * lifecycle.h - archiving a tenant and bringing it back.
 *
 * Archiving deactivates a tenant and moves its folder from tenants_dir to
 * archive_dir, where neither the web server nor the config and asset
 * endpoints look; restoring reverses both.  The two directories must be
 * on one filesystem: the move is a rename(), which is atomic, and is
 * refused with EXDEV otherwise.
 *
 * Order of operations.  Both run under the tenant lock (tenant_lock.h),
 * so no deploy, archive or restore of the same tenant runs at the same
 * time, and hold the tenant row (SELECT ... FOR UPDATE) from step 1 to
 * COMMIT, so a PATCH or module change waits for them.
 *
 *   archive (lock "archive"; busy while a deploy job is queued or
 *   running for the tenant):
 *     1. BEGIN; lock and load the row;
 *     2. if archive_dir/<sub> exists as well, it is left from an older
 *        tenant of that subdomain: rename it to archive_dir/.old-<sub>-<hex>;
 *     3. rename tenants_dir/<sub> to archive_dir/<sub>; fsync both
 *        directories;
 *     4. UPDATE is_active = 0, archived_at = UTC_TIMESTAMP(); audit
 *        "tenant.archive"; COMMIT.
 *   restore (lock "restore"):
 *     1. BEGIN; lock and load the row;
 *     2. a folder already at tenants_dir/<sub> is a conflict (to be
 *        sorted out with tenantctl fsck), never overwritten;
 *     3. rename archive_dir/<sub> to tenants_dir/<sub>; fsync both;
 *     4. write config.json from the row (it may have changed while the
 *        tenant was archived, e.g. by bulk-update-modules);
 *     5. UPDATE is_active = 1, archived_at = NULL; audit "tenant.restore";
 *        COMMIT.
 *   A failure after the rename moves the folder back before returning.
 *
 * Crash safety: every state between the steps is recognisable from the
 * row and the folder's place, and running the same operation again (or
 * `tenantctl fsck --repair`) completes it:
 *
 *   row        folder in        meaning               completed by
 *   active     tenants_dir      normal                -
 *   active     archive_dir      archive after step 3  archive, fsck
 *   archived   archive_dir      normal                -
 *   archived   tenants_dir      restore after step 3  restore, fsck
 *
 * Both operations are idempotent: archiving an archived tenant (or
 * restoring an active one) whose folder is in its place changes nothing
 * and succeeds.
 *
 * The file-system steps (renames that never replace, the archive
 * directory, folders put aside) are folder.h's; config.json is written
 * through config_file.h.
 *
 * Return convention: enum result (result.h); on failure `err` holds a
 * message safe to show to an administrator (no absolute paths).  The
 * failures: RESULT_NOT_FOUND (no tenant of that id), RESULT_BUSY (another
 * operation runs, or a deploy job), RESULT_CONFLICT (a folder in the way,
 * or the tenant's folder gone), RESULT_DB_DOWN, RESULT_FAILED (disk or
 * database error).
 */
#ifndef TENANTD_LIFECYCLE_H
#define TENANTD_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct service;
struct tenant;

/* Where a tenant's folder is: bits of lifecycle_locate(). */
#define LIFECYCLE_IN_TENANTS	0x1
#define LIFECYCLE_IN_ARCHIVE	0x2

/*
 * Archives tenant `id` for user `user_id` (0 for tenantctl).  `out` (may
 * be NULL; initialised by the caller) receives the tenant as it is
 * afterwards.
 */
enum result lifecycle_archive(struct service *svc, int64_t id,
	    int64_t user_id, struct tenant *out, char *err, size_t errlen);

/* Restores tenant `id`; the same conventions as lifecycle_archive(). */
enum result lifecycle_restore(struct service *svc, int64_t id,
	    int64_t user_id, struct tenant *out, char *err, size_t errlen);

/* Either of the two, for callers that treat them alike. */
typedef enum result (*lifecycle_fn)(struct service *svc,
	    int64_t id, int64_t user_id, struct tenant *out, char *err,
	    size_t errlen);

/*
 * Where the folder `subdomain` is: LIFECYCLE_IN_TENANTS and/or
 * LIFECYCLE_IN_ARCHIVE in *where (0: nowhere).  Only directories count;
 * symlinks are not followed.  `archive_dirfd` may be -1 (no archive
 * directory).  Returns 0, or -1 on an error other than "not there".
 */
int	lifecycle_locate(int tenants_dirfd, int archive_dirfd,
	    const char *subdomain, unsigned *where);

#endif
