/*
 * handler_deploy.c - copying the site template into a tenant's folder:
 *   POST /api/tenants/{id}/deploy_frontend/   {force, async}
 *
 * Every deploy is a "deploy" job, so that a request made while one is
 * queued or running for the tenant joins it instead of being refused
 * (deploy_enqueue()).  With async=true the handler answers 202 with the
 * job at once; otherwise it runs the job itself when it is still queued
 * (so a synchronous deploy needs no job runner) or waits for the process
 * running it, up to deploy_wait_timeout, and answers with the outcome.
 * Only an archive, restore or repair in progress is 409 busy.  The deploy itself
 * is lib/deploy_queue.c's deploy_locked().
 */
#include <string.h>

#include "conf.h"
#include "db.h"
#include "deploy_queue.h"
#include "handler.h"
#include "http.h"
#include "job.h"
#include "job_runner.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "status_http.h"
#include "tenant.h"

/*
 * Answers 202 {"job_id", "status"} with the job's Location: the job will
 * finish later.  Returns the status.
 */
static int
reply_pending(struct http_response *res, const struct job *j)
{
	yajl_gen	g = NULL;
	int		status;

	if ((g = json_gen_new()) == NULL)
		return http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
	yajl_gen_map_open(g);
	json_gen_kv_int(g, "job_id", j->id);
	json_gen_kv_string(g, "status", job_status_name(j->status));
	yajl_gen_map_close(g);
	http_header_add(res, "Location", "/api/jobs/%lld/", (long long)j->id);
	status = http_reply_json(res, 202, g);
	yajl_gen_free(g);
	return status;
}

/*
 * Answers a failed deploy job.  The tenant may have been archived or
 * deleted after the request was accepted (the job read it again under
 * its lock): that is 409 archived or 404, anything else 500
 * deploy_failed with the job's error.  Returns the status.
 */
static int
reply_failed(struct request_context *ctx, struct http_response *res,
    const struct job *j)
{
	struct tenant	t;
	int		found, status;

	tenant_init(&t);
	found = tenant_find_by_id(ctx->svc->db, ctx->id, &t);
	if (found == 0)
		status = http_reply_result(res, STATUS_DEFAULT,
		    RESULT_NOT_FOUND, NULL);
	else if (found == 1 && !t.is_active)
		status = http_reply_result(res, STATUS_DEFAULT,
		    RESULT_ARCHIVED, NULL);
	else
		status = http_reply_error(res, 500, "deploy_failed",
		    j->error != NULL ? j->error : "the deploy failed", NULL);
	tenant_release(&t);
	return status;
}

/*
 * Answers a job that finished: 200 with its report (the result
 * deploy_report_json() stored), or as reply_failed() says.  Returns the
 * status.
 */
static int
reply_finished(struct request_context *ctx, struct http_response *res,
    const struct job *j)
{
	struct json_value	*report = NULL;
	yajl_gen		 g = NULL;
	char			 err[128];
	int			 status;

	if (j->status == JOB_FAILED || j->status == JOB_CANCELLED)
		return reply_failed(ctx, res, j);
	if (j->result == NULL || (report = json_parse(j->result,
	    strlen(j->result), err, sizeof(err))) == NULL) {
		log_error("job %lld: stored result is not JSON", (long long)j->id);
		return http_reply_error(res, 500, "internal_error",
		    "the deploy's report is unreadable", NULL);
	}
	if ((g = json_gen_new()) == NULL ||
	    json_gen_value(g, report) != yajl_gen_status_ok) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	json_free(report);
	return status;
}

/*
 * POST /api/tenants/{id}/deploy_frontend/ {force, async} (body or query):
 * 200 with the deploy report, 202 {"job_id", "status"} with async=true
 * (or when a joined job outlasts deploy_wait_timeout), 404 unknown
 * tenant, 409 "archived" or "busy", 500 "deploy_failed".
 */
HANDLER(handle_tenant_deploy_frontend)
{
	struct service	*svc = ctx->svc;
	struct job	 j;
	int64_t		 job_id = 0;
	enum result	 queued;
	int		 status, force = 0, async = 0, joined = 0, rc;

	job_init(&j);
	if ((status = http_option_bool(req, res, NULL, "force", &force,
	    NULL)) > 1 || (status = http_option_bool(req, res, NULL, "async",
	    &async, NULL)) > 1)
		goto out;
	queued = deploy_enqueue(svc, ctx->id, force, ctx->user.id, &job_id,
	    &joined);
	/* Any database error: 503 only when the connection is lost. */
	if (queued == RESULT_DB_DOWN || queued == RESULT_FAILED) {
		status = handler_db_error(res, svc->db);
		goto out;
	}
	/* Busy, not found or archived; only "busy" needs lib/'s reason. */
	if (queued != RESULT_OK) {
		status = http_reply_result(res, STATUS_DEFAULT, queued,
		    "an archive, restore or repair is running for this tenant");
		goto out;
	}
	if (joined)
		log_debug("deploy of tenant %lld joins job %lld",
		    (long long)ctx->id, (long long)job_id);
	if (async)
		rc = job_find(svc->db, job_id, &j);
	else
		rc = job_run_or_wait(svc, job_id,
		    svc->conf->deploy_wait_timeout * 1000, &j);
	if (rc == -1 || (async && rc == 0)) {
		status = handler_db_error(res, svc->db);
		goto out;
	}
	if (async || rc == 0)
		status = reply_pending(res, &j);
	else
		status = reply_finished(ctx, res, &j);
out:
	job_release(&j);
	return status;
}
