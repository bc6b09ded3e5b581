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
#include "json.h"
#include "notification.h"
#include "service.h"
#include "tenant.h"

/*
 * GET /api/tenants/{id}/notifications/: 200 with the list, 404 for an
 * unknown tenant, 503 when the database cannot answer.
 */
HANDLER(handle_tenant_notifications)
{
	struct notification *items = NULL;
	struct tenant t;
	yajl_gen g = NULL;
	size_t count = 0, i;
	int rc, status;

	tenant_init(&t);
	if ((rc = tenant_find_by_id(ctx->svc->db, ctx->id, &t)) < 0 ||
	    (rc == 1 && notification_list(ctx->svc->db, ctx->id, &items,
	    &count) == -1)) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (rc == 0) {
		status = http_reply_error(res, 404, "not_found",
		    "tenant not found", NULL);
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto build_failed;
	for (i = 0; i < count; i++)
		if (notification_to_json(g, &items[i]) != yajl_gen_status_ok)
			goto build_failed;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		goto build_failed;
	status = http_reply_json(res, 200, g);
	goto out;
build_failed:
	status = http_reply_error(res, 500, "internal_error",
	    "could not build the response", NULL);
out:
	if (g != NULL)
		yajl_gen_free(g);
	notification_list_free(items, count);
	tenant_release(&t);
	return status;
}
