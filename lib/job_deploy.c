/*
 * job_deploy.c - the bodies of the "deploy" and "bulk_deploy" jobs (their
 * payloads and results are in job_deploy.h): each tenant is deployed
 * through deploy_locked(), the one locked deploy, with the job's progress
 * handed down to the copying.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "db.h"
#include "deploy.h"
#include "deploy_queue.h"
#include "job.h"
#include "job_deploy.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "tenant.h"

/*
 * Reads {"force": bool} from a deploy payload; "force" may be absent.
 * Returns 0, or -1 for anything else.
 */
static int
deploy_payload_read(const char *payload, int *force)
{
	struct json_value *v = NULL;
	const struct json_value *f;
	char err[128];
	int rc = -1;

	*force = 0;
	if (payload == NULL)
		return 0;
	if ((v = json_parse(payload, strlen(payload), err,
	    sizeof(err))) == NULL || v->type != JSON_OBJECT)
		goto out;
	if ((f = json_object_get(v, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			goto out;
		*force = f->boolean;
	}
	rc = 0;
out:
	json_free(v);
	return rc;
}

/*
 * Runs a "deploy" job through deploy_locked(), recording progress: a
 * tenant busy with another operation, or a database error, sends the job
 * back to the queue uncounted.  Called by the runner through the kinds
 * table.  Returns the outcome, with the report (deploy_report_json()) in
 * ctx->result or the reason in ctx->message.
 */
enum job_outcome
job_deploy_run(struct job_context *ctx)
{
	const struct job *j = ctx->job;
	struct tenant t;
	struct deploy_report *report = NULL;
	yajl_gen g = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int force;

	tenant_init(&t);
	if (deploy_payload_read(j->payload, &force) == -1) {
		snprintf(ctx->message, ctx->messagelen, "invalid job payload");
		goto out;
	}
	/* The report holds 100 paths: too large for a stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		snprintf(ctx->message, ctx->messagelen, "out of memory");
		goto out;
	}
	switch (deploy_locked(ctx->svc, j->tenant_id, force, j->created_by, 0,
	    ctx->progress, ctx->progress_arg, &t, report, ctx->message,
	    ctx->messagelen)) {
	case RESULT_OK:
		break;
	case RESULT_BUSY:
		log_debug("job %" PRId64 ": tenant %" PRId64 " is busy; "
		    "requeued", j->id, j->tenant_id);
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	case RESULT_DB_DOWN:
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	default:	/* not found, archived, failed: not worth a retry */
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    deploy_report_json(ctx->svc->conf, &t, report, g) == -1 ||
	    json_gen_to_buf(g, ctx->result) == -1) {
		snprintf(ctx->message, ctx->messagelen,
		    "could not build the result");
		goto out;
	}
	outcome = JOB_OUTCOME_DONE;
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(report);
	tenant_release(&t);
	return outcome;
}

/* The most tenants one bulk_deploy job may name. */
#define BULK_DEPLOY_MAX_TENANTS		1000000

/* Failures listed in a bulk_deploy result; the rest are only counted. */
#define BULK_DEPLOY_MAX_LISTED		100

/* How long a bulk deploy waits for a tenant another operation holds. */
#define BULK_DEPLOY_LOCK_WAIT_MS	10000

/* How long a bulk deploy waits for a database that went away. */
#define BULK_DEPLOY_DB_WAIT_S		30

/* What the bulk deploy progress callback needs between calls. */
struct bulk_deploy_progress {
	struct job_context	*ctx;		/* the job's own progress */
	size_t			 index;		/* tenant being deployed */
	size_t			 total;		/* tenants in the job */
};

/*
 * Reads {"tenant_ids": [id, ...], "force": bool} from a bulk_deploy
 * payload into a new array `*ids` (the caller frees it) of `*count`
 * positive ids.  Returns 0, or -1 for anything else.
 */
static int
bulk_deploy_payload_read(const char *payload, int64_t **ids, size_t *count,
    int *force)
{
	struct json_value *v = NULL;
	const struct json_value *list, *f;
	char err[128];
	size_t i;
	int rc = -1;

	*ids = NULL;
	*count = 0;
	*force = 0;
	if (payload == NULL || (v = json_parse(payload, strlen(payload), err,
	    sizeof(err))) == NULL || v->type != JSON_OBJECT)
		goto out;
	if ((f = json_object_get(v, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			goto out;
		*force = f->boolean;
	}
	list = json_object_get(v, "tenant_ids");
	if (list == NULL || list->type != JSON_ARRAY ||
	    list->count > BULK_DEPLOY_MAX_TENANTS)
		goto out;
	if (list->count > 0 &&
	    (*ids = calloc(list->count, sizeof(**ids))) == NULL)
		goto out;
	for (i = 0; i < list->count; i++)
		if (list->items[i]->type != JSON_NUMBER ||
		    json_number_int64(list->items[i], 1, INT64_MAX,
		    &(*ids)[i]) == -1)
			goto out;
	*count = list->count;
	rc = 0;
out:
	if (rc == -1) {
		free(*ids);
		*ids = NULL;
	}
	json_free(v);
	return rc;
}

/*
 * deploy_tenant()'s progress callback within a bulk deploy: the job's
 * progress is the share of tenants done plus the share of the current
 * tenant's files, handed to the job's progress callback.
 */
static int
bulk_deploy_progress_cb(void *arg, size_t done, size_t total)
{
	struct bulk_deploy_progress *p = arg;
	size_t files_percent;

	files_percent = total == 0 || done >= total ? 100 :
	    (done * 100) / total;
	return p->ctx->progress(p->ctx->progress_arg,
	    p->index * 100 + files_percent, p->total * 100);
}

/*
 * Waits up to BULK_DEPLOY_DB_WAIT_S for the database to answer.  Returns
 * 0 when it does, -1 when it still does not.
 */
static int
bulk_deploy_wait_db(struct db *db)
{
	struct timespec second = { 1, 0 };
	int i;

	for (i = 0; i <= BULK_DEPLOY_DB_WAIT_S; i++) {
		if (db_ensure(db) == 0)
			return 0;
		nanosleep(&second, NULL);
	}
	return -1;
}

/*
 * Deploys one tenant of a bulk deploy through deploy_locked(), waiting up
 * to BULK_DEPLOY_LOCK_WAIT_MS for a tenant another operation holds, and
 * records it for `user_id`.  Returns 0, or -1 with the reason in
 * `message`; `sub` gets the subdomain when known.
 */
static int
bulk_deploy_one(struct service *svc, int64_t id, int64_t user_id, int force,
    struct bulk_deploy_progress *progress, struct deploy_report *report,
    char *sub, size_t sublen, char *message, size_t messagelen)
{
	struct tenant t;
	enum result status;

	tenant_init(&t);
	status = deploy_locked(svc, id, force, user_id,
	    BULK_DEPLOY_LOCK_WAIT_MS, bulk_deploy_progress_cb, progress, &t,
	    report, message, messagelen);
	snprintf(sub, sublen, "%s", t.subdomain);
	tenant_release(&t);
	if (status == RESULT_DB_DOWN)
		snprintf(message, messagelen, "database error");
	return status == RESULT_OK ? 0 : -1;
}

/*
 * Runs a "bulk_deploy" job: deploys each tenant of the payload in turn
 * (see bulk_deploy_one()), recording progress over the whole list.  A
 * tenant that fails is listed in the result and the others go on; the job
 * is done when every tenant was tried.  A database that stays away longer
 * than BULK_DEPLOY_DB_WAIT_S sends the job back to the queue (deploys are
 * safe to repeat).  Result: {"success", "total", "deployed",
 * "failed_count", "failures": [{"tenant_id", "subdomain", "error"}]}.
 * Called by the runner through the kinds table.
 */
enum job_outcome
job_bulk_deploy_run(struct job_context *ctx)
{
	const struct job *j = ctx->job;
	struct bulk_deploy_progress progress;
	struct deploy_report *report = NULL;
	char sub[SUBDOMAIN_MAX + 1], reason[512];
	int64_t *ids = NULL;
	size_t count = 0, i, deployed = 0, failed = 0;
	yajl_gen g = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int force;

	if (bulk_deploy_payload_read(j->payload, &ids, &count, &force) == -1) {
		snprintf(ctx->message, ctx->messagelen, "invalid job payload");
		goto out;
	}
	/* A template that cannot be read fails the job, not each tenant. */
	if (deploy_manifest(ctx->svc, ctx->message, ctx->messagelen) == NULL)
		goto out;
	if ((report = calloc(1, sizeof(*report))) == NULL ||
	    (g = json_gen_new()) == NULL) {
		snprintf(ctx->message, ctx->messagelen, "out of memory");
		goto out;
	}
	log_info("job %" PRId64 " (bulk_deploy) started for %zu tenants, "
	    "attempt %d", j->id, count, j->attempts);
	memset(&progress, 0, sizeof(progress));
	progress.ctx = ctx;
	progress.total = count;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_key(g, "failures") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto gen_fail;
	for (i = 0; i < count; i++) {
		if (bulk_deploy_wait_db(ctx->svc->db) == -1) {
			log_warning("job %" PRId64 ": the database is "
			    "unavailable; requeued", j->id);
			outcome = JOB_OUTCOME_RETRY;
			goto out;
		}
		progress.index = i;
		if (bulk_deploy_one(ctx->svc, ids[i], j->created_by, force,
		    &progress, report, sub, sizeof(sub), reason,
		    sizeof(reason)) == 0) {
			deployed++;
			continue;
		}
		failed++;
		log_warning("job %" PRId64 ": deploy of tenant %" PRId64
		    " failed: %s", j->id, ids[i], reason);
		if (failed > BULK_DEPLOY_MAX_LISTED)
			continue;
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "tenant_id", (long long)ids[i]) !=
		    yajl_gen_status_ok ||
		    (sub[0] != '\0' ? json_gen_kv_string(g, "subdomain", sub) :
		    json_gen_kv_null(g, "subdomain")) != yajl_gen_status_ok ||
		    json_gen_kv_string(g, "error", reason) !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto gen_fail;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "success", failed == 0) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "total", (long long)count) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "deployed", (long long)deployed) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "failed_count", (long long)failed) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, ctx->result) == -1)
		goto gen_fail;
	outcome = JOB_OUTCOME_DONE;
	goto out;
gen_fail:
	snprintf(ctx->message, ctx->messagelen, "could not build the result");
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(report);
	free(ids);
	return outcome;
}
