/*
 * handler_notifications.c - GET /api/tenants/{id}/notifications/: the
 * e-mails of a tenant (SPEC 12), oldest first, as
 * [{event, to, status, attempts, last_error, sent_at}].
 *
 * The rows are lib/notification.c's; this file only looks the tenant up
 * (404 for an unknown one) and writes the list.
 */
#include <stddef.h>

#include "handler.h"
#include "http.h"
#include "notification.h"
#include "service.h"

/* One notification of the list, for handler_reply_array(). */
static int
notification_item(yajl_gen g, const void *item)
{
	return notification_to_json(g, item) == yajl_gen_status_ok ? 0 : -1;
}

/*
 * GET /api/tenants/{id}/notifications/: 200 with the list, 404 for an
 * unknown tenant, 503 when the database cannot answer.
 */
HANDLER(handle_tenant_notifications)
{
	struct notification *items = NULL;
	size_t count = 0;
	int status;

	if ((status = handler_tenant_known(ctx, res)) != 0)
		return status;
	if (notification_list(ctx->svc->db, ctx->id, &items, &count) == -1)
		return handler_db_error(res, ctx->svc->db);
	status = handler_reply_array(res, items, count, sizeof(*items),
	    notification_item);
	notification_list_free(items, count);
	return status;
}
