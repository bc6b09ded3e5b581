/*
 * crash.h - named crash points for fault-injection test builds.
 *
 * A build configured with --enable-crash-points defines
 * TENANTD_CRASH_POINTS; there crash_point("create.after_rename") kills the
 * process with SIGKILL when the environment variable TENANTD_CRASH_AT
 * holds exactly that name, so t/crash.t can stop an operation between
 * any two of its steps and check that `tenantctl fsck` puts the tenants
 * directory and the database back in agreement.  In every other build
 * crash_point() compiles to nothing.
 *
 * Every point, in the order the operations reach them:
 *
 *   create.after_insert    row inserted (uncommitted), no folder yet
 *                          (an import passes the create.* points too)
 *   create.after_staging   .staging-<sub> built, not renamed
 *   create.after_rename    folder in place, row not committed
 *   create.before_commit   folder in place and synced, just before COMMIT
 *   update.after_logo      new logo written under a pending name
 *   update.before_commit   new config.json written, row not committed
 *                          (provision_update and provision_set_module)
 *   update.after_commit    committed, pending logo not renamed yet
 *   import.after_unpack    an archive unpacked under .import-*, no row
 *   delete.before_commit   row deleted, not committed, folder untouched
 *   delete.after_commit    row gone, folder not moved out yet
 *   deploy.after_staging   staging directory complete, public/ untouched
 *   deploy.after_swap      new public/ in place, old one not removed
 *   deploy.before_record   old public/ removed, .deployed not written
 *   archive.after_rename   folder in the archive, row still active
 *   archive.before_commit  row changed, just before COMMIT
 *   restore.after_rename   folder back in tenants/, row still archived
 *   restore.before_commit  row changed, just before COMMIT
 *   bulk.after_insert      a chunk's rows inserted, no folder yet
 *   bulk.after_staging     the first folder built under .staging-<sub>
 *   bulk.after_rename      the first folder in place, rows not committed
 *   bulk.before_commit     a chunk's folders in place, just before COMMIT
 *   bulk.atomic_before_commit  --atomic: every folder in place, the one
 *                          transaction not committed
 *   mail.after_claim       a notification claimed ('sending'), nothing
 *                          sent yet (t/mail.t)
 *   mail.after_data        the relay took the message (250), the row
 *                          still says 'sending' (t/mail.t)
 *
 * CRASH_POINT_NAMES lists them for tests that go through every point.
 */
#ifndef TENANTD_CRASH_H
#define TENANTD_CRASH_H

#define CRASH_POINT_NAMES \
	"create.after_insert", \
	"create.after_staging", \
	"create.after_rename", \
	"create.before_commit", \
	"import.after_unpack", \
	"update.after_logo", \
	"update.before_commit", \
	"update.after_commit", \
	"delete.before_commit", \
	"delete.after_commit", \
	"deploy.after_staging", \
	"deploy.after_swap", \
	"deploy.before_record", \
	"template_store.before_rename", \
	"archive.after_rename", \
	"archive.before_commit", \
	"restore.after_rename", \
	"restore.before_commit", \
	"bulk.after_insert", \
	"bulk.after_staging", \
	"bulk.after_rename", \
	"bulk.before_commit", \
	"bulk.atomic_before_commit", \
	"mail.after_claim", \
	"mail.after_data"

/* The environment variable that selects the point to die at. */
#define CRASH_ENVIRONMENT	"TENANTD_CRASH_AT"

void	crash_if_selected(const char *name);

#ifdef TENANTD_CRASH_POINTS
#define crash_point(name)	crash_if_selected(name)
#else
#define crash_point(name)	((void)0)
#endif

#endif
