/*
 * job_bulk_deploy.c - the bodies of the "bulk_deploy" and "rollout" jobs
 * (their payloads and results are in job_deploy.h): each tenant deployed
 * through deploy_locked() as one of a batch, the batches made durable by
 * one flush each, the work shared by forked workers (job_workers.h) when
 * there are enough tenants, their results merged into the job's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "db.h"
#include "deploy.h"
#include "deploy_queue.h"
#include "job.h"
#include "job_deploy.h"
#include "job_names.h"
#include "job_workers.h"
#include "json.h"
#include "log.h"
#include "notification.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"

/* The most tenants one bulk_deploy or rollout job may name. */
#define BULK_DEPLOY_MAX_TENANTS		1000000

/* Failures, and tenants with kept files, listed in a result. */
#define BULK_DEPLOY_MAX_LISTED		100

/* Kept files listed per tenant in a rollout's result. */
#define BULK_DEPLOY_MAX_KEPT_FILES	20

/*
 * How long a bulk deploy waits for a tenant another operation holds: at
 * most this, and at most half the heartbeat timeout, since the wait
 * writes no heartbeat and a job silent for that long is run again.
 */
#define BULK_DEPLOY_LOCK_WAIT_MS	10000

/* How long a bulk deploy waits for a database that went away. */
#define BULK_DEPLOY_DB_WAIT_S		30

/*
 * Tenants deployed between two flushes of the disk: each flush (syncfs)
 * makes the batch durable before its versions are recorded.
 */
#define BULK_DEPLOY_BATCH		200

/* Tenants each forked worker should have at least, to be worth a fork. */
#define BULK_DEPLOY_MIN_EACH		50

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
	size_t			 slice_done;	/* of this process's share */
	size_t			 slice_total;
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
	struct json_value *v;
	const struct json_value *f, *version;
	int rc = -1;

	if ((v = json_parse_object(payload)) == NULL)
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
	if (json_object_int64_array(v, "tenant_ids", 1, INT64_MAX,
	    BULK_DEPLOY_MAX_TENANTS, &run->ids, &run->count) == -1)
		goto out;
	if (run->count > 0 && (run->batch = calloc(BULK_DEPLOY_BATCH,
	    sizeof(*run->batch))) == NULL)
		goto out;
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
	    run->slice_done * 100 + files_percent, run->slice_total * 100);
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
 * tenants' filesystem, then queues the ready e-mails of those never
 * deployed before (one statement for the batch; none for a rollout,
 * whose tenants all were), then records their version and their audit
 * rows: the rows never say a tenant is on a version its files may not
 * hold after a crash.  A failed record is logged; the files are right
 * and the next deploy writes it.
 */
static void
bulk_deploy_flush(struct bulk_deploy *run)
{
	struct service *svc = run->ctx->svc;
	char detail[128];

	if (run->batch_count == 0)
		return;
	if (syncfs(svc->tenants_dirfd) == -1)
		log_warning("job %" PRId64 ": could not flush the tenants' "
		    "files: %s", run->ctx->job->id, strerror(errno));
	snprintf(detail, sizeof(detail), "version %s, %s job %" PRId64 "%s",
	    run->version, run->ctx->job->kind, run->ctx->job->id,
	    run->force ? ", force" : "");
	if (strcmp(run->ctx->job->kind, JOB_KIND_ROLLOUT) != 0 &&
	    notification_queue_first_deploy_tx(svc->db, svc->conf, run->batch,
	    run->batch_count) == -1)
		log_warning("job %" PRId64 ": could not queue the ready e-mails "
		    "of %zu tenants: %s", run->ctx->job->id, run->batch_count,
		    db_error(svc->db));
	if (template_rows_set_tenants(svc->db, run->batch, run->batch_count,
	    run->version) == -1 || audit_record_many(svc->db,
	    run->ctx->job->created_by, run->batch, run->batch_count,
	    "tenant.deploy", detail) == -1)
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
 * the batch, waiting up to BULK_DEPLOY_LOCK_WAIT_MS (or half the
 * heartbeat timeout) for a tenant another operation holds.  Returns 0 (deployed or listed as failed), 1 when the
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
	if (o.lock_wait_ms > run->ctx->svc->conf->job_heartbeat_timeout * 500)
		o.lock_wait_ms = run->ctx->svc->conf->job_heartbeat_timeout * 500;
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
 * Deploys share `worker` of `workers` of the tenants (every workers-th,
 * from number `worker` on) in turn, flushing each batch.  Returns 0 done,
 * 1 cancelled, 2 when the database stayed away (the job goes back to the
 * queue: deploys are safe to repeat), -1 out of memory.
 */
static int
bulk_deploy_share(struct bulk_deploy *run, size_t worker, size_t workers)
{
	struct job_context	*ctx = run->ctx;
	struct deploy_report	*report;
	int			 rc = 0;

	/* The report holds 100 paths: too large for a stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL)
		return -1;
	run->slice_total = worker < run->count ?
	    (run->count - worker + workers - 1) / workers : 0;
	run->slice_done = 0;
	for (run->index = worker; run->index < run->count;
	    run->index += workers, run->slice_done++) {
		if (bulk_deploy_wait_db(ctx->svc->db) == -1) {
			rc = 2;
			break;
		}
		if (ctx->progress(ctx->progress_arg, run->slice_done * 100,
		    run->slice_total * 100) != 0 ||
		    (rc = bulk_deploy_one(run, report)) == 1) {
			rc = 1;
			break;
		}
		if (rc == -1)
			break;
	}
	bulk_deploy_flush(run);
	free(report);
	return rc;
}

/*
 * A worker's share of a bulk deploy (job_worker_fn): its tenants of the
 * job's `arg` (a struct bulk_deploy read from the payload), its result in
 * bulk_deploy_result()'s shape.
 */
static int
bulk_deploy_worker(struct job_context *ctx, void *arg, size_t worker,
    size_t workers, struct buf *result)
{
	const struct bulk_deploy	*job = arg;
	struct bulk_deploy		*run;
	int				 rc = -1;

	if ((run = calloc(1, sizeof(*run))) == NULL ||
	    (run->batch = calloc(BULK_DEPLOY_BATCH,
	    sizeof(*run->batch))) == NULL) {
		snprintf(ctx->message, ctx->messagelen, "out of memory");
		goto out;
	}
	run->ctx = ctx;
	run->ids = job->ids;		/* the worker's copy of the runner's */
	run->count = job->count;
	run->force = job->force;
	snprintf(run->version, sizeof(run->version), "%s", job->version);
	switch (bulk_deploy_share(run, worker, workers)) {
	case 0:
	case 1:
		break;
	case 2:
		snprintf(ctx->message, ctx->messagelen, "the database is "
		    "unavailable");
		goto out;
	default:
		snprintf(ctx->message, ctx->messagelen, "out of memory");
		goto out;
	}
	if (bulk_deploy_result(run, *ctx->cancelled, result) == -1) {
		snprintf(ctx->message, ctx->messagelen, "could not build the "
		    "result");
		goto out;
	}
	rc = *ctx->cancelled ? 1 : 0;
out:
	if (run != NULL) {
		run->ids = NULL;	/* not the worker's to free */
		bulk_deploy_release(run);
	}
	free(run);
	return rc;
}

/*
 * Adds one entry of a worker's "failures" (`failure`) or "kept" list to
 * the run's lists, up to BULK_DEPLOY_MAX_LISTED.  Returns 0 or -1.
 */
static int
merge_listed(struct bulk_deploy *run, const struct json_value *item,
    int failure)
{
	const struct json_value	*id, *sub, *text, *files, *count;
	struct bulk_listed	*listed;
	int64_t			 number;
	size_t			 i;

	if (failure ? run->failures_listed >= BULK_DEPLOY_MAX_LISTED :
	    run->kept_listed >= BULK_DEPLOY_MAX_LISTED)
		return 0;
	listed = failure ? &run->failures[run->failures_listed++] :
	    &run->kept[run->kept_listed++];
	if ((id = json_object_get(item, "tenant_id")) != NULL &&
	    json_number_int64(id, 0, INT64_MAX, &number) == 0)
		listed->tenant_id = number;
	if ((sub = json_object_get(item, "subdomain")) != NULL &&
	    sub->type == JSON_STRING)
		snprintf(listed->subdomain, sizeof(listed->subdomain), "%s",
		    sub->text);
	if (failure)
		return (text = json_object_get(item, "error")) != NULL &&
		    text->type == JSON_STRING && (listed->error =
		    strdup(text->text)) == NULL ? -1 : 0;
	if ((count = json_object_get(item, "files_kept")) != NULL &&
	    json_number_int64(count, 0, INT64_MAX, &number) == 0)
		listed->kept_count = (size_t)number;
	if ((files = json_object_get(item, "files")) == NULL ||
	    files->type != JSON_ARRAY)
		return 0;
	for (i = 0; i < files->count && i < BULK_DEPLOY_MAX_KEPT_FILES; i++)
		if (files->items[i]->type == JSON_STRING &&
		    (listed->kept[i] = strdup(files->items[i]->text)) == NULL)
			return -1;
	return 0;
}

/*
 * Adds worker result `text` (bulk_deploy_result()'s shape) to the run's
 * counts and lists.  Returns 0, or -1 when it is not such a result.
 */
static int
merge_result(struct bulk_deploy *run, const char *text, size_t len)
{
	struct json_value	*v;
	const struct json_value	*member;
	char			 err[128];
	int64_t			 number;
	size_t			 i;
	int			 rc = -1;

	if ((v = json_parse(text, len, err, sizeof(err))) == NULL ||
	    v->type != JSON_OBJECT)
		goto out;
	if ((member = json_object_get(v, "deployed")) != NULL &&
	    json_number_int64(member, 0, INT64_MAX, &number) == 0)
		run->deployed += (size_t)number;
	if ((member = json_object_get(v, "failed_count")) != NULL &&
	    json_number_int64(member, 0, INT64_MAX, &number) == 0)
		run->failed += (size_t)number;
	if ((member = json_object_get(v, "kept_count")) != NULL &&
	    json_number_int64(member, 0, INT64_MAX, &number) == 0)
		run->kept_tenants += (size_t)number;
	if ((member = json_object_get(v, "failures")) != NULL &&
	    member->type == JSON_ARRAY)
		for (i = 0; i < member->count; i++)
			if (merge_listed(run, member->items[i], 1) == -1)
				goto out;
	if ((member = json_object_get(v, "kept")) != NULL &&
	    member->type == JSON_ARRAY)
		for (i = 0; i < member->count; i++)
			if (merge_listed(run, member->items[i], 0) == -1)
				goto out;
	rc = 0;
out:
	json_free(v);
	return rc;
}

/*
 * Shares the run's tenants among `workers` forked workers and merges
 * their results into `run`.  Returns 0 done, 1 cancelled, 2 to requeue
 * (a worker failed while the database is away), -1 failed (the reason in
 * ctx->message).
 */
static int
bulk_deploy_in_workers(struct bulk_deploy *run, size_t workers)
{
	struct job_context	*ctx = run->ctx;
	struct buf		 results[JOB_WORKERS_MAX];
	size_t			 i;
	int			 rc;

	for (i = 0; i < workers; i++)
		buf_init(&results[i], 2 * 1024 * 1024);
	rc = job_workers_run(ctx, workers, bulk_deploy_worker, run, results);
	if (rc == -1 && db_ensure(ctx->svc->db) == -1)
		rc = 2;
	for (i = 0; rc != -1 && rc != 2 && i < workers; i++)
		if (merge_result(run, results[i].data != NULL ?
		    results[i].data : "", results[i].len) == -1) {
			snprintf(ctx->message, ctx->messagelen, "worker %zu "
			    "sent an unreadable result", i);
			rc = -1;
		}
	for (i = 0; i < workers; i++)
		buf_release(&results[i]);
	return rc;
}

/*
 * Runs a bulk_deploy (`need_version` 0: the payload's version or the
 * default) or rollout (`need_version` 1) job: deploys each tenant in
 * turn, in batches made durable by one flush each (bulk_deploy_flush()),
 * in forked workers when there are enough tenants for more than one
 * (job_workers.h).  A tenant that fails is listed and the others go on;
 * one whose changed files were kept is listed with them.  A cancel stops
 * it between files: the tenants done stay on the version, the tenant
 * under way and the rest stay where they were.  A database that stays
 * away longer than BULK_DEPLOY_DB_WAIT_S sends the job back to the queue
 * (deploys are safe to repeat).
 */
static enum job_outcome
bulk_deploy_run(struct job_context *ctx, int need_version)
{
	const struct job *j = ctx->job;
	struct bulk_deploy *run = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	size_t workers;
	int rc;

	/* The lists are too large for a stack frame. */
	if ((run = calloc(1, sizeof(*run))) == NULL) {
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
	workers = job_workers_count(run->count, BULK_DEPLOY_MIN_EACH);
	log_info("job %" PRId64 " (%s) started for %zu tenants to template "
	    "version %s in %zu processes, attempt %d", j->id, j->kind,
	    run->count, run->version, workers, j->attempts);
	rc = workers > 1 ? bulk_deploy_in_workers(run, workers) :
	    bulk_deploy_share(run, 0, 1);
	if (rc == 2) {
		log_warning("job %" PRId64 ": the database is unavailable; "
		    "requeued", j->id);
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	}
	if (rc == -1) {
		if (ctx->message[0] == '\0')
			snprintf(ctx->message, ctx->messagelen,
			    "out of memory");
		goto out;
	}
	if (bulk_deploy_result(run, rc == 1, ctx->result) == -1) {
		snprintf(ctx->message, ctx->messagelen, "could not build the "
		    "result");
		goto out;
	}
	outcome = rc == 1 ? JOB_OUTCOME_CANCELLED : JOB_OUTCOME_DONE;
out:
	if (run != NULL)
		bulk_deploy_release(run);
	free(run);
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
