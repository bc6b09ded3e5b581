/*
 * fsck_store.h - fsck of the template store (template_store.h): every
 * stored version against its manifest and its row, and what interrupted
 * adds, removes and repairs left behind.  Only lib/fsck.c calls it, before
 * the tenants are examined, so that they are judged against a whole store.
 *
 * The problems (named in fsck.h), each reported as "template <version>"
 * with the template path in the detail, and their repairs:
 *
 *   "bad stored manifest": the manifest is unreadable or does not name
 *       its version.  Rewritten when template_dir's manifest is that
 *       version, else reported (no file of the version can be judged).
 *   "missing template file", "damaged template file": a listed file is
 *       absent, not a regular file, or not of its listed size and
 *       SHA-256.  Restored from a good copy: template_dir's file at the
 *       same path, else a tenant's file of its own on that version (one
 *       deployed with template_files = copy, or linked to an older inode);
 *       then every active tenant on the version is redeployed, so their
 *       links point at the good file again.  Without a good copy anywhere
 *       the file is reported as not repairable.
 *   "template file mode": the right bytes with a mode other than 0444.
 *       Repair: chmod, which every tenant linking the file shares.
 *   "stray template file": something in tree/ the manifest does not
 *       list.  Repair: removed.
 *   "template version without row": a version directory no row of
 *       template_versions names.  Repair: the row, from the manifest and
 *       tenantd-template.json.
 *   "missing template version": a row without its directory.  Restored
 *       from template_dir when it is that version (and its tenants
 *       redeployed), else reported.
 *   "unfinished template repair": a holding directory of an earlier
 *       restore (template_store.h) whose tenants were not all redeployed.
 *       Repair: they are, and the holding directory goes.
 *   "leftover staging folder": a .adding-* or .removing-* directory in
 *       the store unchanged for FSCK_GRACE_SECONDS.  Repair: removed.
 */
#ifndef TENANTD_FSCK_STORE_H
#define TENANTD_FSCK_STORE_H

#include <stddef.h>

struct fsck;

/*
 * Checks the template store and the rows of its versions, repairing
 * when ctx->repair is set, and reports every problem through the run's
 * report.  Returns 0, or -1 with `err` set when the report was stopped or
 * the store or the rows cannot be read.
 */
int	fsck_store_check(struct fsck *ctx, char *err, size_t errlen);

#endif
