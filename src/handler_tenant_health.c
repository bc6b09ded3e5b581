/*
 * handler_tenant_health.c - GET /api/tenants/{id}/health/: how a tenant's
 * folder compares with its database row and the template manifest.
 *
 * The judging is lib/health.c's (shared with `tenantctl fsck`); this file
 * loads what it needs and formats the report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "handler.h"
#include "health.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "template.h"
#include "module.h"
#include "service.h"
#include "tenant.h"

/* Writes a JSON array of the first `count` (at most listed) paths. */
static int
gen_path_list(yajl_gen g, const char *key,
    const char list[][MANIFEST_PATH_MAX + 1], size_t count)
{
	size_t i;
	int status;

	if ((status = json_gen_key(g, key)) != yajl_gen_status_ok ||
	    (status = yajl_gen_array_open(g)) != yajl_gen_status_ok)
		return status;
	for (i = 0; i < count && i < HEALTH_MAX_LISTED; i++)
		if ((status = json_gen_string(g, list[i])) !=
		    yajl_gen_status_ok)
			return status;
	return yajl_gen_array_close(g);
}

/*
 * The report as JSON: the fields of SPEC section 4, plus "archived", why
 * config_valid is false ("config_state") and the full counts behind the
 * bounded path lists.  Returns a yajl_gen_status.
 */
static int
gen_health(yajl_gen g, const struct tenant *t, const struct tenant_health *h)
{
	int status;

	if ((status = yajl_gen_map_open(g)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "tenant_id", t->id)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "subdomain", t->subdomain)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_bool(g, "archived", h->archived)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_bool(g, "folder_exists",
	    h->folder_exists)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_bool(g, "config_exists",
	    h->config_exists)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_bool(g, "config_valid", h->config_valid)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "config_state",
	    health_config_state_name(h->config_state))) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_bool(g, "frontend_deployed",
	    h->frontend_deployed)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "modules_count", h->modules_count)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "enabled_modules_count",
	    h->enabled_modules_count)) != yajl_gen_status_ok ||
	    (status = (t->template_version[0] != '\0' ?
	    json_gen_kv_string(g, "template_version", t->template_version) :
	    json_gen_kv_null(g, "template_version"))) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "manifest_files",
	    (long long)h->manifest_files)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "missing_count",
	    (long long)h->missing_count)) != yajl_gen_status_ok ||
	    (status = gen_path_list(g, "missing_files", h->missing_files,
	    h->missing_count)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "modified_count",
	    (long long)h->modified_count)) != yajl_gen_status_ok ||
	    (status = gen_path_list(g, "modified_files", h->modified_files,
	    h->modified_count)) != yajl_gen_status_ok)
		return status;
	return yajl_gen_map_close(g);
}

/*
 * GET /api/tenants/{id}/health/: 200 with the report, 404 for an unknown
 * tenant, 503/500 when the database or the template manifest cannot be
 * read.
 */
HANDLER(handle_tenant_health)
{
	struct tenant t;
	struct module_catalog catalog;
	struct tenant_health *health = NULL;
	const struct template_files *files;
	yajl_gen g = NULL;
	char err[256], version[16];
	int rc, status;

	tenant_init(&t);
	module_catalog_init(&catalog);
	rc = tenant_find_by_id(ctx->svc->db, ctx->id, &t);
	if (rc < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (rc == 0) {
		status = http_reply_error(res, 404, "not_found",
		    "tenant not found", NULL);
		goto out;
	}
	if (module_catalog_load(&catalog, ctx->svc->db) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if ((files = template_files_of_tenant(ctx->svc, &t, version,
	    err, sizeof(err))) == NULL) {
		log_error("health of tenant %lld: %s", (long long)t.id, err);
		status = http_reply_error(res, 500, "internal_error",
		    "the template manifest cannot be read", NULL);
		goto out;
	}
	if ((health = calloc(1, sizeof(*health))) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	if (tenant_health_check(ctx->svc, &t, &catalog, files, health) ==
	    -1) {
		log_error("health of tenant %lld: %s", (long long)t.id,
		    strerror(errno));
		status = http_reply_error(res, 500, "internal_error",
		    "could not examine the tenant folder", NULL);
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    gen_health(g, &t, health) != yajl_gen_status_ok) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(health);
	module_catalog_release(&catalog);
	tenant_release(&t);
	return status;
}
