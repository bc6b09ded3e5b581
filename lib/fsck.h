/*
 * fsck.h - reconciling the tenants table with the tenant folders, and the
 * template store with its manifests and rows.
 *
 * `tenantctl fsck [--repair]` walks every tenant row (keyset pages of
 * TENANT_PAGE_AFTER_MAX by id, so 100,000 tenants cost bounded memory)
 * and every entry of tenants_dir and archive_dir, and reports each
 * disagreement as one problem:
 *
 *   "missing folder": an active tenant whose folder is nowhere.
 *       Repair: a new folder with config.json and public/, then a deploy.
 *   "interrupted archive": active, the folder in archive_dir.
 *       Repair: the archive is completed (lifecycle_archive()).
 *   "interrupted restore": archived, the folder in tenants_dir.
 *       Repair: the restore is completed (lifecycle_restore()).
 *   "missing archived folder": archived, the folder nowhere.  Report only.
 *   "conflicting folder": archived, a folder in both places.
 *       Repair: the tenants_dir copy goes to archive_dir/.orphan-<sub>-<hex>.
 *   "orphan folder": a folder no tenant owns, in either directory (also
 *       the archive_dir copy of an active tenant whose folder is in place).
 *       Repair: it goes to archive_dir/.orphan-<name>-<hex>.
 *   "stale config": config.json missing, unparsable, or not what the row
 *       renders for its generated_at (health.h).  Repair: rewritten.
 *   "undeployed frontend": a template manifest file missing under public/.
 *       Repair: a deploy without force.
 *   "leftover staging folder": .staging-*, .trash-* or .import-* (the
 *       unpacked archive of an interrupted import) in either directory,
 *       .public.staging-* in a tenant folder, unchanged for 10 minutes.
 *       Repair: removed.
 *   "stray logo": a logo file in public/ that is not the row's logo, or
 *       a .pending-logo.* copy, unchanged for 10 minutes: the upload of an
 *       update that did not finish (it was never accepted).  Repair:
 *       removed.
 *   "stale gate files": .gate/ of an active tenant's folder (gate_files.h)
 *       lacks the file of a module its config.json enables (a crash
 *       between the two, or a folder from before gate files), or holds
 *       another entry.  Repair: published from config.json.
 *   "template manifest unreadable": no frontend can be judged.  Report only.
 *   "bad stored manifest", "missing template file", "damaged template
 *       file", "template file mode", "stray template file", "template
 *       version without row", "missing template version", "unfinished
 *       template repair": the template store's, reported as "template
 *       <version>" with the path in the detail; fsck_store.h says what
 *       each is and how it is repaired (a damaged file is restored from a
 *       good copy and the tenants on its version redeployed).  The
 *       store's .adding-* and .removing-* debris is a "leftover staging
 *       folder".
 *   "missing domain link", "stray domain link": an active custom domain
 *       whose link in tenants_dir/.domains is missing or points at
 *       another tenant, and an entry there no active domain accounts for,
 *       reported with the domain as the name; fsck_domains.h says how each
 *       is repaired (the link made again, the stray one removed).
 *   "stale list counters", "stale search trigrams": the counters of the
 *       statistics and list counts, or the trigrams of the search
 *       (list_index.h), differ from what a full count of the tenant and
 *       module rows gives; reported as "tenant_counts" and
 *       "tenant_trigrams", with how many rows are off.  Repair: both are
 *       rebuilt from the rows, in one transaction.
 *   "check failed": an I/O or database error judging one tenant.  Report
 *       only.
 *
 * An orphan folder changed in the last 10 minutes (FSCK_GRACE_SECONDS in
 * fsck_scan.h) is reported but not moved, and younger staging folders
 * are not reported at all: they may belong to a create, deploy or delete
 * still in progress.
 * Data is never deleted, only moved aside; only staging and trash folders
 * (which hold copies) and stray logos (uploads never accepted) are
 * removed.  Each repair of a tenant runs under
 * its tenant lock and re-examines the tenant first; a tenant busy with a
 * deploy, archive or restore is skipped with a note.
 */
#ifndef TENANTD_FSCK_H
#define TENANTD_FSCK_H

#include <stddef.h>

#include "fsck_problem.h"

struct service;

/*
 * Runs the check, repairing when `repair` is set, and reports every
 * problem through `report`.  Returns 0 when the run went through (with or
 * without problems; see `summary`), or -1 with a message in `err` when it
 * could not (database down, directory unreadable, stopped by `report`).
 */
int	fsck_run(struct service *svc, int repair, fsck_report_fn report,
	    void *report_arg, struct fsck_summary *summary, char *err,
	    size_t errlen);

#endif
