/*
 * handler_bulk.c - many tenants at once:
 *   POST /api/tenants/bulk-create/            {tenants, atomic?, deploy?}
 *   POST /api/tenants/bulk-update-modules/    {tenant_ids, module_key,
 *                                             is_enabled}
 *
 * Both take JSON bodies only (415 otherwise): a batch is a list of
 * objects, which forms cannot carry.  The body is parsed here with the
 * JSON parser directly rather than into a request form, whose field limit
 * is sized for one tenant; its size is bounded by max_body_bytes, its
 * parse by max_json_nodes (413 "body_too_large") and the number of items
 * by max_bulk_items (413 "too_many_items" past it).  The
 * work is lib/bulk*.c's (bulk.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulk.h"
#include "conf.h"
#include "db.h"
#include "form.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "service.h"
#include "status_http.h"
#include "tenant_input.h"

/* Answers 413 "too_many_items", naming the cap.  Returns 413. */
static int
reply_too_many(struct http_response *res, size_t max)
{
	char	message[96];

	snprintf(message, sizeof(message), "at most %zu tenants per request",
	    max);
	return http_reply_error(res, 413, "too_many_items", message, NULL);
}

/*
 * POST /api/tenants/bulk-create/ {"tenants": [...], "atomic": false,
 * "deploy": true} -> 200 with the report (success false when any item
 * failed), or 400 "batch_failed" with the same report when atomic and
 * anything failed.
 * "atomic" and "deploy" may also be query parameters.
 */
HANDLER(handle_tenants_bulk_create)
{
	struct bulk_create_options	 options;
	struct bulk_report		 report;
	struct field_errors		 errors;
	struct json_value		*root = NULL;
	const struct json_value		*tenants;
	yajl_gen			 g = NULL;
	char				 err[256], message[384];
	int				 status, failed;
	enum result			 bs;

	bulk_report_init(&report);
	memset(&errors, 0, sizeof(errors));
	memset(&options, 0, sizeof(options));
	options.deploy = 1;
	options.user_id = ctx->user.id;
	if ((status = handler_read_json_object(req, res, &root, "bulk requests")) != 0)
		goto out;
	/* A malformed query string is refused even when the body has all. */
	if ((status = http_request_query(req, res)) != 0)
		goto out;
	if ((status = http_option_bool(req, res, root, "atomic",
	    &options.atomic, &errors)) > 1 ||
	    (status = http_option_bool(req, res, root, "deploy",
	    &options.deploy, &errors)) > 1)
		goto out;
	if ((tenants = json_object_get(root, "tenants")) == NULL)
		field_errors_add(&errors, "tenants", "this field is required");
	else if (tenants->type != JSON_ARRAY)
		field_errors_add(&errors, "tenants",
		    "must be a list of tenant objects");
	else if (tenants->count > ctx->svc->conf->max_bulk_items) {
		status = reply_too_many(res, ctx->svc->conf->max_bulk_items);
		goto out;
	} else if (tenants->count == 0)
		field_errors_add(&errors, "tenants", "must not be empty");
	if (errors.count > 0) {
		status = http_reply_error(res, 400, "validation_failed",
		    "invalid bulk request", &errors);
		goto out;
	}

	err[0] = '\0';
	bs = bulk_create(ctx->svc, tenants, &options, &report, err,
	    sizeof(err));
	if (bs != RESULT_OK) {
		status = http_reply_result(res, STATUS_DEFAULT, bs,
		    err[0] != '\0' ? err : "the batch failed");
		goto out;
	}
	/*
	 * A failed atomic batch is an error answer: error and code like every
	 * other, the report beside them saying which items failed.
	 */
	message[0] = '\0';
	failed = options.atomic && !bulk_report_success(&report);
	if (failed && report.errors > 0)
		snprintf(message, sizeof(message), "%zu of %zu tenants failed; "
		    "an atomic batch creates all or none, so none was created",
		    report.errors, report.count);
	else if (failed)
		snprintf(message, sizeof(message), "%s; the atomic batch was "
		    "rolled back, none was created",
		    err[0] != '\0' ? err : "the batch did not complete");
	if ((g = json_gen_new()) == NULL ||
	    bulk_report_to_json(g, &report, status_http_bulk_item_code,
	    failed ? "batch_failed" : NULL, message) == -1) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, failed ? 400 : 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	bulk_report_release(&report);
	json_free(root);
	return status;
}

/*
 * Reads "tenant_ids" of `root` into a new array *ids of *count positive
 * ids.  Returns 0; -1 after recording why in `errors`; or 413 (written)
 * past max_bulk_items or 500 (written) when out of memory.
 */
static int
read_tenant_ids(struct request_context *ctx, struct http_response *res,
    const struct json_value *root, int64_t **ids, size_t *count,
    struct field_errors *errors)
{
	const struct json_value	*list;
	size_t			 i;

	*ids = NULL;
	*count = 0;
	if ((list = json_object_get(root, "tenant_ids")) == NULL) {
		field_errors_add(errors, "tenant_ids",
		    "this field is required");
		return -1;
	}
	if (list->type != JSON_ARRAY) {
		field_errors_add(errors, "tenant_ids",
		    "must be a list of tenant ids");
		return -1;
	}
	if (list->count > ctx->svc->conf->max_bulk_items)
		return reply_too_many(res, ctx->svc->conf->max_bulk_items);
	if (list->count == 0) {
		field_errors_add(errors, "tenant_ids", "must not be empty");
		return -1;
	}
	if ((*ids = calloc(list->count, sizeof(**ids))) == NULL)
		return http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
	for (i = 0; i < list->count; i++) {
		if (list->items[i]->type != JSON_NUMBER ||
		    json_number_int64(list->items[i], 1, INT64_MAX,
		    &(*ids)[i]) == -1) {
			field_errors_add(errors, "tenant_ids",
			    "must be a list of positive whole numbers");
			free(*ids);
			*ids = NULL;
			return -1;
		}
	}
	*count = list->count;
	return 0;
}

/*
 * POST /api/tenants/bulk-update-modules/ {"tenant_ids": [...],
 * "module_key": "wallet", "is_enabled": true} -> 200 {"updated",
 * "updated_ids", "not_found"}.  An unknown module is 400 unknown_module,
 * disabling a core module 400 core_module.
 */
HANDLER(handle_tenants_bulk_update_modules)
{
	struct bulk_modules_result	 result;
	struct field_errors		 errors;
	struct json_value		*root = NULL;
	const struct json_value		*key, *enabled;
	int64_t				*ids = NULL;
	size_t				 count = 0;
	yajl_gen			 g = NULL;
	char				 err[256];
	int				 status, rc;
	enum result			 bs;

	bulk_modules_result_init(&result);
	memset(&errors, 0, sizeof(errors));
	if ((status = handler_read_json_object(req, res, &root, "bulk requests")) != 0)
		goto out;
	if ((rc = read_tenant_ids(ctx, res, root, &ids, &count,
	    &errors)) > 0) {
		status = rc;
		goto out;
	}
	if ((key = json_object_get(root, "module_key")) == NULL)
		field_errors_add(&errors, "module_key",
		    "this field is required");
	else if (key->type != JSON_STRING || strlen(key->text) != key->len)
		field_errors_add(&errors, "module_key", "must be a string");
	if ((enabled = json_object_get(root, "is_enabled")) == NULL)
		field_errors_add(&errors, "is_enabled",
		    "this field is required");
	else if (enabled->type != JSON_BOOL)
		field_errors_add(&errors, "is_enabled",
		    "must be true or false");
	if (errors.count > 0) {
		status = http_reply_error(res, 400, "validation_failed",
		    "invalid bulk module change", &errors);
		goto out;
	}

	err[0] = '\0';
	bs = bulk_update_modules(ctx->svc, ids, count, key->text,
	    enabled->boolean, ctx->user.id, &result, err, sizeof(err));
	if (bs != RESULT_OK) {
		status = http_reply_result(res, STATUS_MODULE_CHANGE, bs,
		    err[0] != '\0' ? err : "the change failed");
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    bulk_modules_result_to_json(g, &result) == -1) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	bulk_modules_result_release(&result);
	free(ids);
	json_free(root);
	return status;
}
