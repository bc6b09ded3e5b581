/*
 * handler_health.c - GET /api/healthz, the load balancer's question
 * "should I send traffic here?".
 *
 * The answer is yes only if this worker can run a query right now, so the
 * check goes to the database every time instead of trusting the state of
 * the last request.
 */
#include "db.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "service.h"

/*
 * 200 {"status": "ok", "database": "ok"} when a trivial query succeeds,
 * 503 with Retry-After otherwise (reconnecting first if the connection was
 * known to be down).
 */
HANDLER(handle_healthz)
{
	struct db_result result;
	yajl_gen g = NULL;
	int status;

	db_result_init(&result);
	if (db_ensure(ctx->svc->db) < 0 ||
	    db_query(ctx->svc->db, "SELECT 1", NULL, 0, &result) < 0) {
		status = handler_db_unavailable(res);
		goto out;
	}
	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	yajl_gen_map_open(g);
	json_gen_kv_string(g, "status", "ok");
	json_gen_kv_string(g, "database", "ok");
	yajl_gen_map_close(g);
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	db_result_release(&result);
	return status;
}
