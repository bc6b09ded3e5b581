/*
 * handler_lifecycle.c - archiving and restoring a tenant:
 *   POST /api/tenants/{id}/archive/   deactivate, folder to archive_dir
 *   POST /api/tenants/{id}/restore/   bring it back
 * and the "archived" refusal other handlers use before they touch a
 * tenant folder that is not there while the tenant is archived.
 *
 * The work, its order of operations and its crash safety are
 * lifecycle.c's; the handlers translate statuses into responses.
 */
#include <stdio.h>

#include "db.h"
#include "handler.h"
#include "http.h"
#include "lifecycle.h"
#include "service.h"
#include "tenant.h"

/*
 * Answers a failed archive or restore: 404 not_found, 409 busy, 409
 * conflict, 503, or 500 internal_error with lifecycle.c's message.
 * Returns the status.
 */
static int
reply_lifecycle_error(struct http_response *res,
    enum lifecycle_status status, const char *message)
{
	switch (status) {
	case LIFECYCLE_NOT_FOUND:
		return http_reply_error(res, 404, "not_found",
		    "tenant not found", NULL);
	case LIFECYCLE_BUSY:
		return http_reply_error(res, 409, "busy", message, NULL);
	case LIFECYCLE_CONFLICT:
		return http_reply_error(res, 409, "conflict", message, NULL);
	case LIFECYCLE_DB_DOWN:
		return handler_db_unavailable(res);
	case LIFECYCLE_OK:
	case LIFECYCLE_FAILED:
		break;
	}
	return http_reply_error(res, 500, "internal_error", message, NULL);
}

/*
 * Runs `operation` (lifecycle_archive or lifecycle_restore) on tenant
 * ctx->id and answers 200 with the tenant as it is afterwards.
 */
static int
run(struct request_context *ctx, struct http_response *res,
    lifecycle_fn operation)
{
	struct tenant		tenant;
	enum lifecycle_status	ls;
	char			err[256];
	int			status;

	tenant_init(&tenant);
	err[0] = '\0';
	ls = operation(ctx->svc, ctx->id, ctx->user.id, &tenant, err,
	    sizeof(err));
	if (ls != LIFECYCLE_OK)
		status = reply_lifecycle_error(res, ls, err);
	else
		status = handler_reply_tenant(ctx, res, 200, &tenant);
	tenant_release(&tenant);
	return status;
}

/*
 * POST /api/tenants/{id}/archive/ -> 200 with the tenant (is_active
 * false, archived_at set).  Archiving an archived tenant answers the same
 * without changing it.  409 busy while another deploy, archive or restore
 * runs or a deploy job waits; 409 conflict when the folder is missing.
 */
HANDLER(handle_tenant_archive)
{
	return run(ctx, res, lifecycle_archive);
}

/*
 * POST /api/tenants/{id}/restore/ -> 200 with the tenant (active again,
 * config.json rewritten).  Restoring an active tenant changes nothing.
 * 409 busy as for archive; 409 conflict when a folder of that name is in
 * the tenants directory already.
 */
HANDLER(handle_tenant_restore)
{
	return run(ctx, res, lifecycle_restore);
}

/*
 * The refusal of handler.h: 409 archived for an archived tenant.  Called
 * by PATCH and update_module before provisioning, which would otherwise
 * fail on the missing folder with a less helpful 500.
 */
int
handler_tenant_archived(struct request_context *ctx,
    struct http_response *res)
{
	struct tenant	tenant;
	int		found, status = 0;

	tenant_init(&tenant);
	found = tenant_find_by_id(ctx->svc->db, ctx->id, &tenant);
	if (found == -1)
		status = handler_db_error(res, ctx->svc->db);
	else if (found == 1 && !tenant.is_active)
		status = http_reply_error(res, 409, "archived",
		    "the tenant is archived; restore the tenant first", NULL);
	tenant_release(&tenant);
	return status;
}
