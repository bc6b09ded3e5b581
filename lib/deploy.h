/*
 * deploy.h - copying the tenant site template into a tenant's folder.
 *
 * A deploy makes tenants/<sub>/public/ hold every file of the template
 * manifest, plus the files that are the tenant's own (its logo, anything
 * not in the template), and writes tenants/<sub>/package.json (name
 * "<sub>-app") and tenants/<sub>/.env.local (the NEXT_PUBLIC_* values of
 * the original plan).  Nothing outside public/ is ever served.
 *
 * Order of operations, so a tenant site is never seen half deployed:
 *   1. build tenants/<sub>/.public.staging-<hex>/: template files copied
 *      with copy_file_range() (a reflink where the filesystem allows), the
 *      tenant's own files hard-linked (copied if links are refused);
 *   2. a file the tenant changed (its bytes differ from the manifest) is
 *      kept and reported, unless `force`, in which case it is replaced;
 *   3. renameat2(RENAME_EXCHANGE) swaps staging and public/ in one step,
 *      then the old tree (now under the staging name) is removed;
 *   4. package.json and .env.local are written atomically.
 * A failure before step 3 removes the staging directory and leaves
 * public/ exactly as it was.
 *
 * deploy_tenant() expects the tenant's lock (tenant_lock.h) to be held;
 * deploy_locked() takes it around it and is what deploys go through (fsck
 * repairs call deploy_tenant() under their own lock).
 */
#ifndef TENANTD_DEPLOY_H
#define TENANTD_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

struct conf;
struct db;
struct manifest;
struct service;
struct tenant;

#define DEPLOY_REPORT_MAX_KEPT	100

struct deploy_report {
	size_t	files_copied;		/* template files written */
	size_t	files_kept;		/* changed by the tenant, kept */
	size_t	files_replaced;		/* changed by the tenant, replaced */
	size_t	files_carried;		/* the tenant's own files carried over */
	uint64_t bytes_copied;
	char	kept[DEPLOY_REPORT_MAX_KEPT][256];	/* first kept paths */
};

/*
 * Called after each file with the number done and the total, so a job can
 * record progress.  Returning non-zero cancels the deploy (it is rolled
 * back as a failure).
 */
typedef int (*deploy_progress_fn)(void *arg, size_t done, size_t total);

/*
 * Deploys the template described by `m` (files under conf->template_dir)
 * into tenant `t`'s folder.  `progress` may be NULL.  Returns 0 with
 * `report` filled, or -1 with a message for administrators in `err` (no
 * absolute paths).
 */
int	deploy_tenant(struct service *svc, const struct tenant *t,
	    const struct manifest *m, int force, deploy_progress_fn progress,
	    void *progress_arg, struct deploy_report *report, char *err,
	    size_t errlen);

/*
 * Sets t->deployed, which the tenant JSON carries so a list can offer
 * "Deploy" or "Redeploy" without a health check per tenant: 1 when `t` is
 * active and its folder holds the record a finished deploy leaves
 * (tenants/<sub>/.deployed), else 0.  An archived tenant's site is
 * offline, so it counts as not deployed.  Costs two system calls; a folder
 * that cannot be examined is logged and counts as not deployed.
 */
void	deploy_state_load(const struct service *svc, struct tenant *t);

/* What deploy_locked() and deploy_enqueue() did. */
enum deploy_status {
	DEPLOY_OK = 0,
	DEPLOY_BUSY,		/* another operation holds the tenant's lock */
	DEPLOY_NOT_FOUND,
	DEPLOY_ARCHIVED,	/* restore the tenant first */
	DEPLOY_DB_ERROR,
	DEPLOY_FAILED		/* the deploy itself failed */
};

/*
 * The one locked deploy, used by the job runner (deploy and bulk_deploy
 * jobs) and tenantctl: takes the lock of tenant `tenant_id` (waiting up
 * to `lock_wait_ms` while another operation holds it; 0: not at all),
 * reads the tenant again under it (an archive may have finished since),
 * refuses an archived one, deploys the template with deploy_tenant() and
 * records "tenant.deploy" for `user_id` (0: none) in the audit log, then
 * releases the lock.  The lock is refreshed while the deploy runs; one
 * taken over meanwhile cancels it.  `progress` may be NULL.  `t`
 * (initialised by the caller) receives the tenant when it was found.
 * Returns the status; except for DEPLOY_OK, `err` says why.
 */
enum deploy_status deploy_locked(struct service *svc, int64_t tenant_id,
	    int force, int64_t user_id, int lock_wait_ms,
	    deploy_progress_fn progress, void *progress_arg, struct tenant *t,
	    struct deploy_report *report, char *err, size_t errlen);

/*
 * Writes the report of a deploy of tenant `t` as a JSON object into `g`:
 * {"success": true, "tenant_url", "files_copied", "files_kept", "kept"
 * (the first DEPLOY_REPORT_MAX_KEPT paths), "files_replaced",
 * "files_carried"}.  The deploy API answers it and deploy jobs store it.
 * Returns 0 or -1.
 */
int	deploy_report_json(const struct conf *c, const struct tenant *t,
	    const struct deploy_report *report, yajl_gen g);

/*
 * Queues a new "deploy" job ({"force": bool}) for tenant `tenant_id` on
 * behalf of `user_id`, without looking for one to join: for a tenant no
 * job can know yet, or inside deploy_enqueue()'s transaction.  Returns 0
 * with *job_id set, or -1.
 */
int	deploy_queue_job(struct db *db, int64_t tenant_id, int force,
	    int64_t user_id, int64_t *job_id);

/*
 * Asks for a deploy of tenant `tenant_id` on behalf of `user_id`, as a
 * "deploy" job ({"force": bool}).  A deploy job already queued or running
 * for the tenant is joined rather than doubled: a queued one (made to
 * force when `force` is asked), or a running one unless `force` is asked
 * and it does not force; otherwise a job is queued.  Only an archive or
 * restore holding the tenant's lock is DEPLOY_BUSY; a deploy holding it
 * is queued behind.  The checks and the insert run in one transaction
 * that locks the tenant row, so concurrent requests join one job.
 * Returns the status, with *job_id set and *joined non-zero when an
 * existing job was joined.
 */
enum deploy_status deploy_enqueue(struct service *svc, int64_t tenant_id,
	    int force, int64_t user_id, int64_t *job_id, int *joined);

/*
 * The template manifest of conf->template_manifest, read once per process
 * and read again only when the file changes (size, mtime, inode).  Returns
 * a pointer the service keeps (valid until the next call), or NULL with a
 * message in `err`.
 */
const struct manifest *deploy_manifest(struct service *svc, char *err,
	    size_t errlen);

#endif
