/*
 * handler_lifecycle.c - archiving and restoring a tenant:
 *   POST /api/tenants/{id}/archive/   deactivate, folder to archive_dir
 *   POST /api/tenants/{id}/restore/   bring it back
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
#include "status_http.h"
#include "tenant.h"

/*
 * Runs `operation` (lifecycle_archive or lifecycle_restore) on tenant
 * ctx->id and answers 200 with the tenant as it is afterwards.
 */
static int
run(struct request_context *ctx, struct http_response *res,
    lifecycle_fn operation)
{
	struct tenant		tenant;
	enum result		ls;
	char			err[256];
	int			status;

	tenant_init(&tenant);
	err[0] = '\0';
	ls = operation(ctx->svc, ctx->id, ctx->user.id, &tenant, err,
	    sizeof(err));
	if (ls != RESULT_OK)
		status = http_reply_result(res, STATUS_DEFAULT, ls, err);
	else
		status = handler_reply_tenant(ctx, res, 200, &tenant, NULL);
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
