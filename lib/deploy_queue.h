/*
 * deploy_queue.h - how a deploy is asked for and run: the one locked
 * deploy (deploy_locked()) that the job runner's deploy jobs and tenantctl
 * go through, and the queueing of "deploy" jobs ({"force": bool}) that the
 * API and a tenant's creation ask for, joining one already pending.
 */
#ifndef TENANTD_DEPLOY_QUEUE_H
#define TENANTD_DEPLOY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "deploy.h"
#include "deploy_report.h"

struct db;
struct service;
struct tenant;

/*
 * The one locked deploy, used by the job runner (deploy, bulk_deploy and
 * rollout jobs) and tenantctl, as `o` (deploy.h) asks: takes the lock of
 * tenant `tenant_id` (waiting up to o->lock_wait_ms while another
 * operation holds it; 0: not at all), reads the tenant again under it (an
 * archive may have finished since), refuses an archived one, deploys
 * template version o->version (NULL: the default, template.h) with
 * deploy_tenant(), queues the tenant-ready e-mail when this was the
 * tenant's first deploy (notification.h), records the tenant's version
 * and "tenant.deploy" for o->user_id in the audit log (unless o->batch:
 * the caller does all three for its batch once it is on disk), then
 * releases the lock.  The lock is refreshed while the deploy runs; one
 * taken over meanwhile cancels it.  `t` (initialised by the caller)
 * receives the tenant when it was found.
 * Returns RESULT_OK, RESULT_BUSY (another operation holds the tenant's
 * lock), RESULT_NOT_FOUND, RESULT_ARCHIVED (restore the tenant first),
 * RESULT_DB_DOWN (any database error: the runner retries those) or
 * RESULT_FAILED (the deploy itself failed); except for RESULT_OK, `err`
 * says why.
 */
enum result deploy_locked(struct service *svc, int64_t tenant_id,
	    const struct deploy_options *o, struct tenant *t,
	    struct deploy_report *report, char *err, size_t errlen);

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
 * restore holding the tenant's lock is RESULT_BUSY; a deploy holding it
 * is queued behind.  The checks and the insert run in one transaction
 * that locks the tenant row, so concurrent requests join one job.
 * Returns RESULT_OK, with *job_id set and *joined non-zero when an
 * existing job was joined, or RESULT_BUSY, RESULT_NOT_FOUND,
 * RESULT_ARCHIVED or RESULT_DB_DOWN (any database error).
 */
enum result deploy_enqueue(struct service *svc, int64_t tenant_id,
	    int force, int64_t user_id, int64_t *job_id, int *joined);

#endif
