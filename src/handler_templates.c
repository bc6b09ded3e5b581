/*
 * handler_templates.c - template versions (SPEC 10) seen from the API:
 *   GET  /api/templates/                     the versions, newest first
 *   POST /api/templates/{version}/rollout/   moves tenants to a version
 *   POST /api/templates/{version}/default/   the version new tenants get
 *
 * A rollout names its tenants when it is asked for: the ids given, or the
 * active tenants the percentage or "all" selects at that moment (not
 * those already on the version, unless "force").  The "rollout" job
 * (job_deploy.h) then moves them one atomic swap each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "audit.h"
#include "conf.h"
#include "db.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "tenant_input.h"

/* Writes version `v` as the API's object.  A yajl_gen_status. */
static int
version_to_json(yajl_gen g, const struct template_version *v)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    template_version_json(g, v) == -1)
		return yajl_gen_in_error_state;
	return yajl_gen_map_close(g);
}

/*
 * GET /api/templates/ -> 200 [{version, name, web_root, files, bytes,
 * source, created_at, is_default, tenants}], newest first.  template_dir
 * is stored first when it changed, so the list shows what new tenants
 * get.
 */
HANDLER(handle_templates_list)
{
	struct template_version	*list = NULL;
	yajl_gen		 g = NULL;
	char			 version[16], err[256];
	size_t			 count = 0, i;
	enum result		 synced;
	int			 status;

	synced = template_default(ctx->svc, version, err, sizeof(err));
	if (synced == RESULT_DB_DOWN) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (synced == RESULT_FAILED)
		log_warning("templates: %s", err);
	if (template_rows_list(ctx->svc->db, &list, &count) == -1) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto fail;
	for (i = 0; i < count; i++)
		if (version_to_json(g, &list[i]) != yajl_gen_status_ok)
			goto fail;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		goto fail;
	status = http_reply_json(res, 200, g);
	goto out;
fail:
	status = http_reply_error(res, 500, "internal_error",
	    "could not build the response", NULL);
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(list);
	return status;
}

/* Sorts ids for rollout_ids_unique(). */
static int
id_compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Reads "tenant_ids" of a rollout body into a new array of distinct
 * positive ids.  Returns 0, or -1 with the reason in `errors` (or out of
 * memory, *ids NULL and nothing recorded: the caller answers 500).
 */
static int
rollout_ids_read(const struct json_value *list, size_t max,
    int64_t **ids, size_t *count, struct field_errors *errors)
{
	size_t	i, kept;

	*ids = NULL;
	*count = 0;
	if (list->type != JSON_ARRAY || list->count == 0) {
		field_errors_add(errors, "tenant_ids",
		    "must be a non-empty list of tenant ids");
		return -1;
	}
	if (list->count > max) {
		field_errors_add(errors, "tenant_ids", "too many tenant ids");
		return -1;
	}
	if ((*ids = calloc(list->count, sizeof(**ids))) == NULL)
		return -1;
	for (i = 0; i < list->count; i++)
		if (list->items[i]->type != JSON_NUMBER ||
		    json_number_int64(list->items[i], 1, INT64_MAX,
		    &(*ids)[i]) == -1) {
			field_errors_add(errors, "tenant_ids",
			    "must hold positive whole numbers");
			free(*ids);
			*ids = NULL;
			return -1;
		}
	qsort(*ids, list->count, sizeof(**ids), id_compare);
	for (i = 0, kept = 0; i < list->count; i++)
		if (kept == 0 || (*ids)[kept - 1] != (*ids)[i])
			(*ids)[kept++] = (*ids)[i];
	*count = kept;
	return 0;
}

/*
 * Reads the selection of a rollout body: exactly one of "tenant_ids",
 * "percent" (1 to 100) or "all": true; "force" optional.  Fills *ids
 * (ids given) or *percent (100 for all).  Returns 0, -1 with `errors`
 * filled, or -2 out of memory.
 */
static int
rollout_body_read(const struct json_value *root, size_t max_ids,
    int64_t **ids, size_t *count, int *percent, int *force,
    struct field_errors *errors)
{
	const struct json_value	*list, *share, *all, *f;
	int64_t			 value;
	int			 chosen;

	*percent = 0;
	*force = 0;
	list = json_object_get(root, "tenant_ids");
	share = json_object_get(root, "percent");
	all = json_object_get(root, "all");
	chosen = (list != NULL) + (share != NULL) + (all != NULL);
	if ((f = json_object_get(root, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			field_errors_add(errors, "force", "must be a boolean");
		else
			*force = f->boolean;
	}
	if (chosen != 1) {
		field_errors_add(errors, chosen == 0 ? "tenant_ids" : "all",
		    "give exactly one of tenant_ids, percent or all");
		return -1;
	}
	if (all != NULL && (all->type != JSON_BOOL || !all->boolean))
		field_errors_add(errors, "all", "must be true");
	else if (all != NULL)
		*percent = 100;
	if (share != NULL) {
		if (share->type != JSON_NUMBER ||
		    json_number_int64(share, 1, 100, &value) == -1)
			field_errors_add(errors, "percent",
			    "must be a whole number from 1 to 100");
		else
			*percent = (int)value;
	}
	if (list != NULL && rollout_ids_read(list, max_ids, ids, count,
	    errors) == -1 && *ids == NULL && errors->count == 0)
		return -2;
	return errors->count > 0 ? -1 : 0;
}

/*
 * POST /api/templates/{version}/rollout/ {"tenant_ids": [...]} |
 * {"percent": N} | {"all": true}, "force" optional -> 202 {job_id,
 * version, tenants}; 404 for an unknown version, 400 validation_failed
 * naming the field.
 */
HANDLER(handle_template_rollout)
{
	struct template_version	 v;
	struct field_errors	 errors;
	struct json_value	*root = NULL;
	int64_t			*ids = NULL, job_id = 0;
	size_t			 count = 0;
	yajl_gen		 g = NULL;
	char			 err[256];
	enum result		 queued;
	int			 status, percent, force, rc;

	memset(&errors, 0, sizeof(errors));
	if ((rc = template_rows_find(ctx->svc->db, ctx->version, &v)) == -1) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (rc == 0) {
		status = http_reply_error(res, 404, "not_found",
		    "template version not found", NULL);
		goto out;
	}
	if ((status = handler_read_json_object(req, res, &root,
	    "rollouts")) != 0)
		goto out;
	rc = rollout_body_read(root, ctx->svc->conf->max_bulk_items, &ids,
	    &count, &percent, &force, &errors);
	if (rc == -1) {
		status = http_reply_error(res, 400, "validation_failed",
		    "invalid rollout request", &errors);
		goto out;
	}
	if (rc == -2)
		goto no_memory;
	queued = template_rollout_queue(ctx->svc, v.version, ids, count,
	    percent, force, ctx->user.id, &job_id, &count, err, sizeof(err));
	if (queued == RESULT_DB_DOWN || queued == RESULT_FAILED) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (queued != RESULT_OK)
		goto no_memory;
	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "job_id", (long long)job_id) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "version", v.version) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "tenants", (long long)count) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		goto no_memory;
	status = http_reply_json(res, 202, g);
	goto out;
no_memory:
	status = http_reply_error(res, 500, "internal_error", "out of memory",
	    NULL);
out:
	if (g != NULL)
		yajl_gen_free(g);
	json_free(root);
	free(ids);
	return status;
}

/*
 * POST /api/templates/{version}/default/ -> 200 with the version, now the
 * one new tenants get (and plain deploys bring tenants to); 404 for an
 * unknown version.
 */
HANDLER(handle_template_default)
{
	struct template_version	v;
	yajl_gen		g = NULL;
	int			status, rc;

	if ((rc = template_rows_set_default(ctx->svc->db,
	    ctx->version)) == -1 || (rc == 1 &&
	    template_rows_find(ctx->svc->db, ctx->version, &v) != 1)) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (rc == 0) {
		status = http_reply_error(res, 404, "not_found",
		    "template version not found", NULL);
		goto out;
	}
	if (audit_record(ctx->svc->db, ctx->user.id, 0, "template.default",
	    v.version) == -1)
		log_warning("template default %s: could not record it in the "
		    "audit log: %s", v.version, db_error(ctx->svc->db));
	if ((g = json_gen_new()) == NULL ||
	    version_to_json(g, &v) != yajl_gen_status_ok) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	return status;
}
