/*
 * deploy_queue.c - how deploys are asked for and run (deploy_queue.h):
 * the one locked deploy that the job runner and tenantctl go through, and
 * the queueing of deploy jobs, joining one already pending.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "db.h"
#include "deploy.h"
#include "deploy_queue.h"
#include "error.h"
#include "job.h"
#include "job_names.h"
#include "log.h"
#include "notification.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "tenant.h"
#include "tenant_lock.h"

/* The payloads of a deploy job. */
#define DEPLOY_PAYLOAD_FORCE	"{\"force\":true}"
#define DEPLOY_PAYLOAD_NO_FORCE	"{\"force\":false}"

/* deploy_locked() proves its lock is still held this often. */
#define LOCK_REFRESH_MS		2000

/* What deploy_locked()'s progress callback needs between calls. */
struct locked_progress {
	struct db		*db;
	struct tenant_lock	*lock;
	deploy_progress_fn	 progress;	/* the caller's, or NULL */
	void			*progress_arg;
	struct timespec		 last_refresh;
	int			 lock_lost;
};

/* Milliseconds from `from` to `to` on the monotonic clock. */
static int64_t
elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * 1000 +
	    (to->tv_nsec - from->tv_nsec) / 1000000;
}

/*
 * deploy_tenant()'s progress callback inside deploy_locked(): every
 * LOCK_REFRESH_MS proves the tenant lock is still ours (a lock taken over
 * cancels the deploy), then hands on to the caller's callback.
 */
static int
locked_progress_cb(void *arg, size_t done, size_t total)
{
	struct locked_progress	*p = arg;
	struct timespec		 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed_ms(&p->last_refresh, &now) >= LOCK_REFRESH_MS) {
		p->last_refresh = now;
		if (tenant_lock_refresh(p->db, p->lock) == 0) {
			p->lock_lost = 1;
			return 1;
		}
	}
	if (p->progress != NULL)
		return p->progress(p->progress_arg, done, total);
	return 0;
}

/*
 * Deploys tenant `tenant_id` under its lock (see deploy.h).  Called by
 * the job runner for deploy and bulk_deploy jobs and by tenantctl's
 * tenant create and tenant deploy.  Returns the status, with `err` set
 * unless RESULT_OK.
 */
enum result
deploy_locked(struct service *svc, int64_t tenant_id,
    const struct deploy_options *o, struct tenant *t,
    struct deploy_report *report, char *err, size_t errlen)
{
	struct deploy_options	 run;
	struct tenant_lock	 lock;
	struct locked_progress	 lp;
	const struct template_files *files;
	char			 detail[96], target[16];
	enum result		 status = RESULT_DB_DOWN;
	int			 first_deploy, rc;

	memset(&lock, 0, sizeof(lock));
	err[0] = '\0';
	/*
	 * The lock answers 0 for a tenant that does not exist as well, so a
	 * deleted tenant is told apart from a busy one first.
	 */
	if (!o->batch && (rc = tenant_find_by_id(svc->db, tenant_id,
	    t)) != 1)
		goto not_loaded;
	if (o->version == NULL) {
		if ((status = template_default(svc, target, err,
		    errlen)) != RESULT_OK)
			goto out;
	} else
		snprintf(target, sizeof(target), "%s", o->version);
	if ((files = template_files_of(svc, target, err, errlen)) == NULL) {
		status = RESULT_FAILED;
		goto out;
	}
	status = RESULT_DB_DOWN;
	rc = o->lock_wait_ms > 0 ? tenant_lock_acquire_wait(svc->db,
	    svc->conf, tenant_id, "deploy", &lock, o->lock_wait_ms) :
	    tenant_lock_acquire(svc->db, svc->conf, tenant_id, "deploy", &lock);
	if (rc == 0) {
		/* A batch looks for the tenant only now: busy, or gone? */
		if (o->batch && (rc = tenant_find_by_id(svc->db, tenant_id,
		    t)) != 1)
			goto not_loaded;
		error_set(err, errlen, "another deploy, archive or restore of "
		    "this tenant is running");
		status = RESULT_BUSY;
		goto out;
	}
	if (rc == -1) {
		error_set(err, errlen, "could not lock the tenant: %s",
		    db_error(svc->db));
		goto out;
	}
	/* Read again under the lock: an archive may have finished since. */
	if ((rc = tenant_find_by_id(svc->db, tenant_id, t)) != 1)
		goto not_loaded;
	if (!t->is_active) {
		error_set(err, errlen, "tenant is archived");
		status = RESULT_ARCHIVED;
		goto out;
	}
	first_deploy = t->template_version[0] == '\0';
	memset(&lp, 0, sizeof(lp));
	lp.db = svc->db;
	lp.lock = &lock;
	lp.progress = o->progress;
	lp.progress_arg = o->progress_arg;
	clock_gettime(CLOCK_MONOTONIC, &lp.last_refresh);
	run = *o;
	run.version = target;
	run.progress = locked_progress_cb;
	run.progress_arg = &lp;
	if (deploy_tenant(svc, t, files, &run, report, err, errlen) == -1) {
		if (lp.lock_lost)
			error_set(err, errlen, "another operation took over "
			    "the tenant during the deploy");
		else if (err[0] == '\0')
			error_set(err, errlen, "the deploy failed");
		status = RESULT_FAILED;
		goto out;
	}
	/*
	 * A batch records versions itself once its files are on disk.  A
	 * failure here is logged only: the site is on the new version, and
	 * the next deploy or rollout writes the row again.  A tenant without
	 * a version before was never deployed: its ready e-mail is queued
	 * first (a failure costs the e-mail, not the deploy); later deploys
	 * cost no statement for it.
	 */
	if (!o->batch) {
		if (first_deploy && notification_queue_first_deploy_tx(svc->db,
		    svc->conf, &t->id, 1) == -1)
			log_warning("deploy of %s: could not queue its ready "
			    "e-mail: %s", t->subdomain, db_error(svc->db));
		if (template_rows_set_tenant(svc->db, t->id, target) == -1)
			log_warning("deploy of %s: could not record its "
			    "template version: %s", t->subdomain,
			    db_error(svc->db));
		else
			snprintf(t->template_version,
			    sizeof(t->template_version), "%s", target);
	}
	snprintf(detail, sizeof(detail), "version %s, copied %zu, kept %zu%s",
	    target, report->files_copied, report->files_kept,
	    o->force ? ", force" : "");
	if (!o->batch && audit_record(svc->db, o->user_id, t->id,
	    "tenant.deploy", detail) == -1)
		log_warning("deploy of %s: could not record it in the audit "
		    "log: %s", t->subdomain, db_error(svc->db));
	status = RESULT_OK;
	goto out;
not_loaded:
	if (rc == 0) {
		error_set(err, errlen, "tenant not found");
		status = RESULT_NOT_FOUND;
	} else
		error_set(err, errlen, "could not load the tenant: %s",
		    db_error(svc->db));
out:
	if (tenant_lock_release(svc->db, &lock) == -1)
		log_warning("deploy of tenant %lld: could not release its lock "
		    "(it expires by itself): %s", (long long)tenant_id,
		    db_error(svc->db));
	return status;
}

/*
 * Queues a new "deploy" job (see deploy.h).  Called by deploy_enqueue()
 * and by tenant_create() for a tenant just created.  Returns 0 or -1.
 */
int
deploy_queue_job(struct db *db, int64_t tenant_id, int force,
    int64_t user_id, int64_t *job_id)
{
	return job_enqueue(db, JOB_KIND_DEPLOY, tenant_id, force ?
	    DEPLOY_PAYLOAD_FORCE : DEPLOY_PAYLOAD_NO_FORCE, user_id, job_id);
}

/*
 * The transaction of deploy_enqueue(): the tenant row is locked
 * (SELECT ... FOR UPDATE) and the tenant's pending deploy jobs too
 * (job_find_pending_for_tenant()), so a runner cannot claim one between
 * the look and the join, and concurrent requests queue at most one job.
 * Returns the status.
 */
static enum result
enqueue_once(struct service *svc, int64_t tenant_id, int force,
    int64_t user_id, int64_t *job_id, int *joined)
{
	struct db_param		 param;
	struct db_result	 result;
	struct job_pending	 queued, running;
	const char		*cell;
	enum result		 status = RESULT_DB_DOWN;
	char			 holder[32];
	int			 in_transaction = 0, rc;

	db_result_init(&result);
	*joined = 0;
	if (db_begin(svc->db) == -1)
		goto out;
	in_transaction = 1;
	param = db_int(tenant_id);
	if (db_query(svc->db, "SELECT is_active FROM tenants WHERE id = ? "
	    "FOR UPDATE", &param, 1, &result) == -1)
		goto out;
	if (result.rows == 0) {
		status = RESULT_NOT_FOUND;
		goto out;
	}
	if ((cell = db_cell(&result, 0, 0)) == NULL || strcmp(cell, "0") == 0) {
		status = RESULT_ARCHIVED;
		goto out;
	}
	/*
	 * An archive, restore or repair holding the lock is a conflict; a
	 * deploy or a logo change holding it is only waited for, by the job.
	 */
	if ((rc = tenant_lock_holder(svc->db, svc->conf, tenant_id, holder,
	    sizeof(holder))) == -1)
		goto out;
	if (rc == 1 && strcmp(holder, "deploy") != 0 &&
	    strcmp(holder, "update") != 0) {
		status = RESULT_BUSY;
		goto out;
	}
	if (job_find_pending_for_tenant(svc->db, tenant_id, JOB_KIND_DEPLOY,
	    "$.force", &queued, &running) == -1)
		goto out;
	if (queued.id > 0) {
		*job_id = queued.id;
		*joined = 1;
		if (force && !queued.flag && job_set_payload(svc->db, queued.id,
		    DEPLOY_PAYLOAD_FORCE) == -1)
			goto out;
	} else if (running.id > 0 && (running.flag || !force)) {
		*job_id = running.id;
		*joined = 1;
	} else if (deploy_queue_job(svc->db, tenant_id, force, user_id,
	    job_id) == -1)
		goto out;
	if (db_commit(svc->db) == -1)
		goto out;
	in_transaction = 0;
	status = RESULT_OK;
out:
	if (in_transaction)
		db_rollback(svc->db);
	db_result_release(&result);
	return status;
}

/*
 * Queues a deploy job for tenant `tenant_id`, or joins the one already
 * pending (see deploy.h).  Called by the deploy handler for both
 * synchronous and asynchronous requests.  The transaction is database
 * work only, so one the server aborted (a deadlock, or a Galera
 * certification conflict at COMMIT) is run again from its start.
 * Returns the status.
 */
enum result
deploy_enqueue(struct service *svc, int64_t tenant_id, int force,
    int64_t user_id, int64_t *job_id, int *joined)
{
	enum result	status;
	int		runs = 1;

	while ((status = enqueue_once(svc, tenant_id, force, user_id, job_id,
	    joined)) == RESULT_DB_DOWN && db_run_again(svc->db, &runs,
	    "queueing a deploy of tenant %lld", (long long)tenant_id))
		;
	if (status == RESULT_DB_DOWN)
		log_error("could not queue a deploy of tenant %lld: %s",
		    (long long)tenant_id, db_error(svc->db));
	return status;
}
