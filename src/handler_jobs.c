/*
 * handler_jobs.c - the job queue seen from the API:
 *   GET /api/jobs/{id}/          one job: status, progress, result or error
 *   POST /api/jobs/{id}/cancel/  stop it (job.h's job_cancel())
 *
 * A job's result is stored as JSON text.  It is parsed and written again
 * as part of the response rather than pasted in, so a damaged row can
 * never break the document around it.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "audit.h"
#include "db.h"
#include "handler.h"
#include "http.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "service.h"

/*
 * Writes the "result" key of job `j`: the stored document, or null when
 * there is none.  A stored text that does not parse is logged and shown
 * as null.  Returns the yajl status.
 */
static int
emit_result(yajl_gen g, const struct job *j)
{
	struct json_value *v;
	char err[128];
	int rc;

	if ((rc = json_gen_key(g, "result")) != yajl_gen_status_ok)
		return rc;
	if (j->result == NULL)
		return yajl_gen_null(g);
	if ((v = json_parse(j->result, strlen(j->result), err,
	    sizeof(err))) == NULL) {
		log_warning("job %lld: stored result is not JSON: %s",
		    (long long)j->id, err);
		return yajl_gen_null(g);
	}
	rc = json_gen_value(g, v);
	json_free(v);
	return rc;
}

/* Writes a time key: the text, or null when the moment has not come. */
static int
emit_time(yajl_gen g, const char *key, const char *value)
{
	if (value[0] == '\0')
		return json_gen_kv_null(g, key);
	return json_gen_kv_string(g, key, value);
}

/*
 * Writes job `j` as the API's object: id, kind, tenant_id, status,
 * progress, result, error, attempts, created_at, started_at, finished_at.
 * Returns yajl_gen_status_ok or the first failure.
 */
static int
job_to_json(yajl_gen g, const struct job *j)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "id", (long long)j->id) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "kind", j->kind) != yajl_gen_status_ok)
		return yajl_gen_in_error_state;
	if ((j->tenant_id > 0 ? json_gen_kv_int(g, "tenant_id",
	    (long long)j->tenant_id) : json_gen_kv_null(g, "tenant_id")) !=
	    yajl_gen_status_ok)
		return yajl_gen_in_error_state;
	if (json_gen_kv_string(g, "status", job_status_name(j->status)) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "progress", j->progress) !=
	    yajl_gen_status_ok ||
	    emit_result(g, j) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "error", j->error) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "attempts", j->attempts) !=
	    yajl_gen_status_ok ||
	    emit_time(g, "created_at", j->created_at) != yajl_gen_status_ok ||
	    emit_time(g, "started_at", j->started_at) != yajl_gen_status_ok ||
	    emit_time(g, "finished_at", j->finished_at) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return yajl_gen_in_error_state;
	return yajl_gen_status_ok;
}

/* GET /api/jobs/{id}/ -> 200 with the job, 404 when there is none. */
HANDLER(handle_job_show)
{
	struct job j;
	yajl_gen g = NULL;
	int status, rc;

	job_init(&j);
	rc = job_find(ctx->svc->db, ctx->id, &j);
	if (rc < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (rc == 0) {
		status = http_reply_error(res, 404, "not_found",
		    "job not found", NULL);
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    job_to_json(g, &j) != yajl_gen_status_ok) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	job_release(&j);
	return status;
}

/*
 * POST /api/jobs/{id}/cancel/ -> 200 with the job when it was queued (now
 * cancelled, it never runs), 202 with the job when it runs (its runner
 * stops it within a heartbeat: done tenants of a rollout stay on the new
 * version, the others on the old), 404 when there is none, 409
 * "job_finished" when it had finished.
 */
HANDLER(handle_job_cancel)
{
	enum job_cancel_outcome outcome;
	struct job j;
	yajl_gen g = NULL;
	int status;

	job_init(&j);
	if (job_cancel(ctx->svc->db, ctx->id, &outcome) == -1 ||
	    (outcome != JOB_CANCEL_NOT_FOUND &&
	    job_find(ctx->svc->db, ctx->id, &j) != 1)) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (outcome == JOB_CANCEL_NOT_FOUND) {
		status = http_reply_error(res, 404, "not_found",
		    "job not found", NULL);
		goto out;
	}
	if (outcome == JOB_CANCEL_FINISHED) {
		status = http_reply_error(res, 409, "job_finished",
		    "the job has finished; there is nothing to cancel", NULL);
		goto out;
	}
	if (audit_record(ctx->svc->db, ctx->user.id, j.tenant_id,
	    "job.cancel", j.kind) == -1)
		log_warning("job %lld: could not record its cancel in the "
		    "audit log: %s", (long long)j.id, db_error(ctx->svc->db));
	if ((g = json_gen_new()) == NULL ||
	    job_to_json(g, &j) != yajl_gen_status_ok) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, outcome == JOB_CANCEL_NOW ? 200 : 202, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	job_release(&j);
	return status;
}
