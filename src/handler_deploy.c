/*
 * handler_deploy.c - copying the site template into a tenant's folder:
 *   POST /api/tenants/{id}/deploy_frontend/   {force, async}
 *
 * Synchronously the handler takes the tenant's lock, deploys and answers
 * with the report; with async=true it queues a job for the runners and
 * answers 202 at once.  Either way a deploy, archive or restore already
 * pending for the tenant is 409 busy (SPEC section 9).  The copying itself
 * is lib/deploy.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "conf.h"
#include "db.h"
#include "deploy.h"
#include "handler.h"
#include "http.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"

#define TENANT_URL_MAX	512
#define DEPLOY_ERROR_MAX	512

/* 409 busy: another deploy, archive or restore is pending.  Returns 409. */
static int
reply_busy(struct http_response *res)
{
	return http_reply_error(res, 409, "busy", "a deploy, archive or "
	    "restore is already running for this tenant", NULL);
}

/* 409 archived: archived tenants have no folder to deploy into. */
static int
reply_archived(struct http_response *res)
{
	return http_reply_error(res, 409, "archived", "the tenant is "
	    "archived; restore the tenant first", NULL);
}

/*
 * async=true: queues the deploy and answers 202 {"job_id", "status"} with
 * the job's Location.  Returns the status.
 */
static int
deploy_async(struct request_context *ctx, struct http_response *res,
    int force)
{
	yajl_gen	g = NULL;
	int64_t		job_id = 0;
	int		status;

	switch (deploy_enqueue(ctx->svc, ctx->id, force, ctx->user.id,
	    &job_id)) {
	case DEPLOY_QUEUED:
		break;
	case DEPLOY_BUSY:
		return reply_busy(res);
	case DEPLOY_NOT_FOUND:
		return http_reply_error(res, 404, "not_found",
		    "tenant not found", NULL);
	case DEPLOY_ARCHIVED:
		return reply_archived(res);
	case DEPLOY_DB_ERROR:
	default:
		return handler_db_error(res, ctx->svc->db);
	}
	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	yajl_gen_map_open(g);
	json_gen_kv_int(g, "job_id", job_id);
	json_gen_kv_string(g, "status", "queued");
	yajl_gen_map_close(g);
	http_header_add(res, "Location", "/api/jobs/%lld/", (long long)job_id);
	status = http_reply_json(res, 202, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	return status;
}

/*
 * Answers 200 with the report of a finished deploy: success, tenant_url,
 * files_copied, files_kept, kept (the first kept paths), files_replaced
 * and files_carried.  Returns the status.
 */
static int
reply_report(struct request_context *ctx, struct http_response *res,
    const struct tenant *t, const struct deploy_report *report)
{
	char	url[TENANT_URL_MAX];
	size_t	i;
	yajl_gen g = NULL;
	int	status;

	if (conf_tenant_url(ctx->svc->conf, t->subdomain, url,
	    sizeof(url)) == -1)
		url[0] = '\0';
	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	yajl_gen_map_open(g);
	json_gen_kv_bool(g, "success", 1);
	json_gen_kv_string(g, "tenant_url", url[0] != '\0' ? url : NULL);
	json_gen_kv_int(g, "files_copied", (long long)report->files_copied);
	json_gen_kv_int(g, "files_kept", (long long)report->files_kept);
	json_gen_key(g, "kept");
	yajl_gen_array_open(g);
	for (i = 0; i < report->files_kept && i < DEPLOY_REPORT_MAX_KEPT; i++)
		json_gen_string(g, report->kept[i]);
	yajl_gen_array_close(g);
	json_gen_kv_int(g, "files_replaced",
	    (long long)report->files_replaced);
	json_gen_kv_int(g, "files_carried", (long long)report->files_carried);
	yajl_gen_map_close(g);
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	return status;
}

/*
 * Synchronous deploy of tenant `t` under its lock.  A failed deploy is 500
 * with lib/deploy.c's message (public/ is then as it was).  Returns the
 * status.
 */
static int
deploy_now(struct request_context *ctx, struct http_response *res,
    const struct tenant *t, int force)
{
	static const char *const	 pending_kinds[] = {
		"deploy", "archive", "restore", NULL
	};
	struct service			*svc = ctx->svc;
	const struct manifest		*m;
	struct deploy_report		*report = NULL;
	struct tenant_lock		 lock;
	char				 err[DEPLOY_ERROR_MAX] = "";
	char				 detail[64];
	int				 status, rc;

	memset(&lock, 0, sizeof(lock));
	if ((rc = job_active_for_tenant(svc->db, t->id, pending_kinds)) == -1)
		return handler_db_error(res, svc->db);
	if (rc == 1)
		return reply_busy(res);
	if ((rc = tenant_lock_acquire(svc->db, svc->conf, t->id, "deploy",
	    &lock)) == -1)
		return handler_db_error(res, svc->db);
	if (rc == 0)
		return reply_busy(res);

	if ((m = deploy_manifest(svc, err, sizeof(err))) == NULL) {
		log_error("deploy of %s: %s", t->subdomain, err);
		status = http_reply_error(res, 500, "deploy_failed", err, NULL);
		goto out;
	}
	/* The report holds 100 paths: too large for a worker's stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	if (deploy_tenant(svc, t, m, force, NULL, NULL, report, err,
	    sizeof(err)) == -1) {
		status = http_reply_error(res, 500, "deploy_failed", err, NULL);
		goto out;
	}
	snprintf(detail, sizeof(detail), "copied %zu, kept %zu%s",
	    report->files_copied, report->files_kept, force ? ", force" : "");
	if (audit_record(svc->db, ctx->user.id, t->id, "tenant.deploy",
	    detail) == -1)
		log_warning("deploy of %s: could not record it in the audit "
		    "log: %s", t->subdomain, db_error(svc->db));
	status = reply_report(ctx, res, t, report);
out:
	if (tenant_lock_release(svc->db, &lock) == -1)
		log_warning("deploy of %s: could not release the tenant lock "
		    "(it expires by itself): %s", t->subdomain,
		    db_error(svc->db));
	free(report);
	return status;
}

/*
 * POST /api/tenants/{id}/deploy_frontend/ {force, async} (body or query):
 * 200 with the deploy report, 202 {"job_id"} with async=true, 404 unknown
 * tenant, 409 "archived" or "busy", 500 "deploy_failed".
 */
HANDLER(handle_tenant_deploy_frontend)
{
	struct tenant	tenant;
	int		status, rc, force = 0, async = 0;

	tenant_init(&tenant);
	if ((status = http_option_bool(req, res, "force", &force)) > 1 ||
	    (status = http_option_bool(req, res, "async", &async)) > 1)
		goto out;
	if ((rc = tenant_find_by_id(ctx->svc->db, ctx->id, &tenant)) == -1) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (rc == 0) {
		status = http_reply_error(res, 404, "not_found",
		    "tenant not found", NULL);
		goto out;
	}
	if (!tenant.is_active) {
		status = reply_archived(res);
		goto out;
	}
	if (async)
		status = deploy_async(ctx, res, force);
	else
		status = deploy_now(ctx, res, &tenant, force);
out:
	tenant_release(&tenant);
	return status;
}
