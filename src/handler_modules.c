/*
 * handler_modules.c - GET /api/modules/, the feature modules a tenant can
 * have, for the admin UI's module cards.
 */
#include "db.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "module.h"
#include "service.h"

/*
 * A plain JSON array of module definitions in sort_order (SPEC section 9):
 * [{"module_key", "module_name", "description", "icon", "route", "is_core",
 * "sort_order"}, ...].
 */
HANDLER(handle_modules_list)
{
	struct module_catalog catalog;
	yajl_gen g = NULL;
	size_t i;
	int status;

	module_catalog_init(&catalog);
	if (module_catalog_load(&catalog, ctx->svc->db) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	yajl_gen_array_open(g);
	for (i = 0; i < catalog.count; i++) {
		const struct module_def *m = &catalog.modules[i];

		yajl_gen_map_open(g);
		json_gen_kv_string(g, "module_key", m->key);
		json_gen_kv_string(g, "module_name", m->name);
		json_gen_kv_string(g, "description", m->description);
		json_gen_kv_string(g, "icon", m->icon);
		json_gen_kv_string(g, "route", m->route);
		json_gen_kv_bool(g, "is_core", m->is_core);
		json_gen_kv_int(g, "sort_order", m->sort_order);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	module_catalog_release(&catalog);
	return status;
}
