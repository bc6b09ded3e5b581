/*
 * job_deploy.c - the bodies of the "deploy", "bulk_deploy" and "rollout"
 * jobs (their payloads and results are in job_deploy.h): each tenant is
 * deployed through deploy_locked(), the one locked deploy, with the job's
 * progress handed down to the copying.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "db.h"
#include "deploy.h"
#include "deploy_queue.h"
#include "job.h"
#include "job_deploy.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
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
	struct deploy_options o;
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
	memset(&o, 0, sizeof(o));
	o.force = force;
	o.user_id = j->created_by;
	o.progress = ctx->progress;
	o.progress_arg = ctx->progress_arg;
	switch (deploy_locked(ctx->svc, j->tenant_id, &o, &t, report,
	    ctx->message, ctx->messagelen)) {
	case RESULT_OK:
		break;
	case RESULT_FAILED:
		if (*ctx->cancelled) {
			snprintf(ctx->message, ctx->messagelen, "cancelled");
			outcome = JOB_OUTCOME_CANCELLED;
		}
		goto out;
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

/* The most tenants one bulk_deploy or rollout job may name. */
#define BULK_DEPLOY_MAX_TENANTS		1000000

/* Failures, and tenants with kept files, listed in a result. */
#define BULK_DEPLOY_MAX_LISTED		100

/* Kept files listed per tenant in a rollout's result. */
#define BULK_DEPLOY_MAX_KEPT_FILES	20

/* How long a bulk deploy waits for a tenant another operation holds. */
#define BULK_DEPLOY_LOCK_WAIT_MS	10000

/* How long a bulk deploy waits for a database that went away. */
#define BULK_DEPLOY_DB_WAIT_S		30

/*
 * Tenants deployed between two flushes of the disk: each flush (syncfs)
 * makes the batch durable before its versions are recorded.
 */
#define BULK_DEPLOY_BATCH		200

/* A tenant a bulk deploy lists in its result: failed, or files kept. */
struct bulk_listed {
	int64_t	 tenant_id;
	char	 subdomain[SUBDOMAIN_MAX + 1];
	char	*error;			/* failures */
	char	*kept[BULK_DEPLOY_MAX_KEPT_FILES];	/* kept files */
	size_t	 kept_count;		/* all of them, listed or not */
};

/* One bulk_deploy or rollout job at work. */
struct bulk_deploy {
	struct job_context	*ctx;
	int64_t			*ids;		/* the payload's tenants */
	size_t			 count;
	int			 force;
	char			 version[16];	/* the version deployed */
	size_t			 index;		/* tenant being deployed */
	int64_t			*batch;		/* deployed, not yet flushed */
	size_t			 batch_count;
	size_t			 deployed;
	size_t			 failed;
	size_t			 kept_tenants;
	struct bulk_listed	 failures[BULK_DEPLOY_MAX_LISTED];
	size_t			 failures_listed;
	struct bulk_listed	 kept[BULK_DEPLOY_MAX_LISTED];
	size_t			 kept_listed;
};

/*
 * Reads {"tenant_ids": [id, ...], "force": bool, "version": "..."} from a
 * bulk_deploy or rollout payload into `run` (a new array run->ids the run
 * frees).  "version" is required when `need_version`, optional otherwise.
 * Returns 0, or -1 for anything else.
 */
static int
bulk_deploy_payload_read(const char *payload, int need_version,
    struct bulk_deploy *run)
{
	struct json_value *v = NULL;
	const struct json_value *list, *f, *version;
	char err[128];
	size_t i;
	int rc = -1;

	if (payload == NULL || (v = json_parse(payload, strlen(payload), err,
	    sizeof(err))) == NULL || v->type != JSON_OBJECT)
		goto out;
	if ((f = json_object_get(v, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			goto out;
		run->force = f->boolean;
	}
	if ((version = json_object_get(v, "version")) != NULL) {
		if (version->type != JSON_STRING ||
		    !template_version_valid(version->text))
			goto out;
		snprintf(run->version, sizeof(run->version), "%s",
		    version->text);
	} else if (need_version)
		goto out;
	list = json_object_get(v, "tenant_ids");
	if (list == NULL || list->type != JSON_ARRAY ||
	    list->count > BULK_DEPLOY_MAX_TENANTS)
		goto out;
	if (list->count > 0 &&
	    ((run->ids = calloc(list->count, sizeof(*run->ids))) == NULL ||
	    (run->batch = calloc(BULK_DEPLOY_BATCH,
	    sizeof(*run->batch))) == NULL))
		goto out;
	for (i = 0; i < list->count; i++)
		if (list->items[i]->type != JSON_NUMBER ||
		    json_number_int64(list->items[i], 1, INT64_MAX,
		    &run->ids[i]) == -1)
			goto out;
	run->count = list->count;
	rc = 0;
out:
	json_free(v);
	return rc;
}

/*
 * deploy_tenant()'s progress callback within a bulk deploy: the job's
 * progress is the share of tenants done plus the share of the current
 * tenant's files, handed to the job's progress callback (which answers
 * non-zero once the job is cancelled).
 */
static int
bulk_deploy_progress_cb(void *arg, size_t done, size_t total)
{
	struct bulk_deploy *run = arg;
	size_t files_percent;

	files_percent = total == 0 || done >= total ? 100 :
	    (done * 100) / total;
	return run->ctx->progress(run->ctx->progress_arg,
	    run->index * 100 + files_percent, run->count * 100);
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
 * Makes the batch of deployed tenants durable with one flush of the
 * tenants' filesystem, then records their version: the rows never say a
 * tenant is on a version its files may not hold after a crash.  A failed
 * record is logged; the files are right and the next deploy writes it.
 */
static void
bulk_deploy_flush(struct bulk_deploy *run)
{
	struct service *svc = run->ctx->svc;

	if (run->batch_count == 0)
		return;
	if (syncfs(svc->tenants_dirfd) == -1)
		log_warning("job %" PRId64 ": could not flush the tenants' "
		    "files: %s", run->ctx->job->id, strerror(errno));
	if (template_rows_set_tenants(svc->db, run->batch, run->batch_count,
	    run->version) == -1)
		log_warning("job %" PRId64 ": could not record the template "
		    "version of %zu tenants: %s", run->ctx->job->id,
		    run->batch_count, db_error(svc->db));
	run->batch_count = 0;
}

/* Lists a failed tenant (the first BULK_DEPLOY_MAX_LISTED).  0 or -1. */
static int
bulk_deploy_note_failure(struct bulk_deploy *run, int64_t id,
    const char *sub, const char *reason)
{
	struct bulk_listed *item;

	run->failed++;
	log_warning("job %" PRId64 ": deploy of tenant %" PRId64 " failed: %s",
	    run->ctx->job->id, id, reason);
	if (run->failures_listed >= BULK_DEPLOY_MAX_LISTED)
		return 0;
	item = &run->failures[run->failures_listed++];
	item->tenant_id = id;
	snprintf(item->subdomain, sizeof(item->subdomain), "%s", sub);
	return (item->error = strdup(reason)) == NULL ? -1 : 0;
}

/* Lists a tenant whose changed files were kept.  0 or -1. */
static int
bulk_deploy_note_kept(struct bulk_deploy *run, const struct tenant *t,
    const struct deploy_report *report)
{
	struct bulk_listed *item;
	size_t i;

	if (report->files_kept == 0)
		return 0;
	run->kept_tenants++;
	if (run->kept_listed >= BULK_DEPLOY_MAX_LISTED)
		return 0;
	item = &run->kept[run->kept_listed++];
	item->tenant_id = t->id;
	snprintf(item->subdomain, sizeof(item->subdomain), "%s", t->subdomain);
	item->kept_count = report->files_kept;
	for (i = 0; i < report->files_kept && i < BULK_DEPLOY_MAX_KEPT_FILES &&
	    i < DEPLOY_REPORT_MAX_KEPT; i++)
		if ((item->kept[i] = strdup(report->kept[i])) == NULL)
			return -1;
	return 0;
}

/*
 * Deploys tenant number `run->index` through deploy_locked() as part of
 * the batch, waiting up to BULK_DEPLOY_LOCK_WAIT_MS for a tenant another
 * operation holds.  Returns 0 (deployed or listed as failed), 1 when the
 * job was cancelled meanwhile, or -1 out of memory.
 */
static int
bulk_deploy_one(struct bulk_deploy *run, struct deploy_report *report)
{
	struct deploy_options o;
	struct tenant t;
	char reason[512];
	enum result status;
	int64_t id = run->ids[run->index];
	int rc = 0;

	memset(&o, 0, sizeof(o));
	o.force = run->force;
	o.version = run->version;
	o.user_id = run->ctx->job->created_by;
	o.lock_wait_ms = BULK_DEPLOY_LOCK_WAIT_MS;
	o.batch = 1;
	o.progress = bulk_deploy_progress_cb;
	o.progress_arg = run;
	tenant_init(&t);
	status = deploy_locked(run->ctx->svc, id, &o, &t, report, reason,
	    sizeof(reason));
	if (status == RESULT_OK) {
		run->deployed++;
		run->batch[run->batch_count++] = id;
		if (run->batch_count == BULK_DEPLOY_BATCH)
			bulk_deploy_flush(run);
		rc = bulk_deploy_note_kept(run, &t, report);
	} else if (*run->ctx->cancelled)
		rc = 1;
	else
		rc = bulk_deploy_note_failure(run, id, t.subdomain,
		    status == RESULT_DB_DOWN ? "database error" : reason);
	tenant_release(&t);
	return rc;
}

/* Writes one listed tenant of the result.  yajl_gen_status_ok or not. */
static int
bulk_deploy_listed_json(yajl_gen g, const struct bulk_listed *item,
    int failure)
{
	size_t i, shown;

	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "tenant_id", (long long)item->tenant_id) !=
	    yajl_gen_status_ok ||
	    (item->subdomain[0] != '\0' ? json_gen_kv_string(g, "subdomain",
	    item->subdomain) : json_gen_kv_null(g, "subdomain")) !=
	    yajl_gen_status_ok)
		return yajl_gen_in_error_state;
	if (failure) {
		if (json_gen_kv_string(g, "error", item->error) !=
		    yajl_gen_status_ok)
			return yajl_gen_in_error_state;
	} else {
		shown = item->kept_count < BULK_DEPLOY_MAX_KEPT_FILES ?
		    item->kept_count : BULK_DEPLOY_MAX_KEPT_FILES;
		if (json_gen_kv_int(g, "files_kept",
		    (long long)item->kept_count) != yajl_gen_status_ok ||
		    json_gen_key(g, "files") != yajl_gen_status_ok ||
		    yajl_gen_array_open(g) != yajl_gen_status_ok)
			return yajl_gen_in_error_state;
		for (i = 0; i < shown && item->kept[i] != NULL; i++)
			if (json_gen_string(g, item->kept[i]) !=
			    yajl_gen_status_ok)
				return yajl_gen_in_error_state;
		if (yajl_gen_array_close(g) != yajl_gen_status_ok)
			return yajl_gen_in_error_state;
	}
	return yajl_gen_map_close(g);
}

/*
 * The result of a bulk deploy or rollout: {"success", "version", "total",
 * "deployed", "failed_count", "failures": [{"tenant_id", "subdomain",
 * "error"}], "kept_count", "kept": [{"tenant_id", "subdomain",
 * "files_kept", "files"}], "cancelled"}, lists of at most
 * BULK_DEPLOY_MAX_LISTED.  Returns 0 or -1.
 */
static int
bulk_deploy_result(const struct bulk_deploy *run, int cancelled,
    struct buf *out)
{
	yajl_gen g;
	size_t i;
	int rc = -1;

	if ((g = json_gen_new()) == NULL)
		return -1;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "success", run->failed == 0 && !cancelled) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "version", run->version) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "total", (long long)run->count) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "deployed", (long long)run->deployed) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "failed_count", (long long)run->failed) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "cancelled", cancelled) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "failures") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < run->failures_listed; i++)
		if (bulk_deploy_listed_json(g, &run->failures[i], 1) !=
		    yajl_gen_status_ok)
			goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "kept_count", (long long)run->kept_tenants) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "kept") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < run->kept_listed; i++)
		if (bulk_deploy_listed_json(g, &run->kept[i], 0) !=
		    yajl_gen_status_ok)
			goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, out) == -1)
		goto out;
	rc = 0;
out:
	yajl_gen_free(g);
	return rc;
}

/* Frees what a run holds. */
static void
bulk_deploy_release(struct bulk_deploy *run)
{
	size_t i, k;

	for (i = 0; i < run->failures_listed; i++)
		free(run->failures[i].error);
	for (i = 0; i < run->kept_listed; i++)
		for (k = 0; k < BULK_DEPLOY_MAX_KEPT_FILES; k++)
			free(run->kept[i].kept[k]);
	free(run->ids);
	free(run->batch);
}

/*
 * Runs a bulk_deploy (`need_version` 0: the payload's version or the
 * default) or rollout (`need_version` 1) job: deploys each tenant in
 * turn, in batches made durable by one flush each (bulk_deploy_flush()).
 * A tenant that fails is listed and the others go on; one whose changed
 * files were kept is listed with them.  A cancel stops it between files:
 * the tenants done stay on the version, the tenant under way and the rest
 * stay where they were.  A database that stays away longer than
 * BULK_DEPLOY_DB_WAIT_S sends the job back to the queue (deploys are safe
 * to repeat).
 */
static enum job_outcome
bulk_deploy_run(struct job_context *ctx, int need_version)
{
	const struct job *j = ctx->job;
	struct bulk_deploy *run = NULL;
	struct deploy_report *report = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int cancelled = 0, rc;

	/* The lists and the report are too large for a stack frame. */
	if ((run = calloc(1, sizeof(*run))) == NULL ||
	    (report = calloc(1, sizeof(*report))) == NULL) {
		snprintf(ctx->message, ctx->messagelen, "out of memory");
		goto out;
	}
	run->ctx = ctx;
	if (bulk_deploy_payload_read(j->payload, need_version, run) == -1) {
		snprintf(ctx->message, ctx->messagelen, "invalid job payload");
		goto out;
	}
	/* A version that cannot be read fails the job, not each tenant. */
	if (run->version[0] == '\0' && template_default(ctx->svc, run->version,
	    ctx->message, ctx->messagelen) != RESULT_OK)
		goto out;
	if (template_files_of(ctx->svc, run->version, ctx->message,
	    ctx->messagelen) == NULL)
		goto out;
	log_info("job %" PRId64 " (%s) started for %zu tenants to template "
	    "version %s, attempt %d", j->id, j->kind, run->count, run->version,
	    j->attempts);
	for (run->index = 0; run->index < run->count; run->index++) {
		if (bulk_deploy_wait_db(ctx->svc->db) == -1) {
			log_warning("job %" PRId64 ": the database is "
			    "unavailable; requeued", j->id);
			outcome = JOB_OUTCOME_RETRY;
			goto out;
		}
		if (ctx->progress(ctx->progress_arg, run->index * 100,
		    run->count * 100) != 0 ||
		    (rc = bulk_deploy_one(run, report)) == 1) {
			cancelled = 1;
			break;
		}
		if (rc == -1) {
			snprintf(ctx->message, ctx->messagelen,
			    "out of memory");
			goto out;
		}
	}
	bulk_deploy_flush(run);
	if (bulk_deploy_result(run, cancelled, ctx->result) == -1) {
		snprintf(ctx->message, ctx->messagelen, "could not build the "
		    "result");
		goto out;
	}
	outcome = cancelled ? JOB_OUTCOME_CANCELLED : JOB_OUTCOME_DONE;
out:
	if (run != NULL) {
		/* What was deployed before a failure is on disk and recorded. */
		bulk_deploy_flush(run);
		bulk_deploy_release(run);
	}
	free(run);
	free(report);
	return outcome;
}

/* A "bulk_deploy" job (job_deploy.h). */
enum job_outcome
job_bulk_deploy_run(struct job_context *ctx)
{
	return bulk_deploy_run(ctx, 0);
}

/* A "rollout" job (job_deploy.h). */
enum job_outcome
job_rollout_run(struct job_context *ctx)
{
	return bulk_deploy_run(ctx, 1);
}
