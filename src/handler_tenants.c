/*
 * handler_tenants.c - the tenant collection and single tenants:
 *   GET    /api/tenants/                      list (paged, searchable)
 *   POST   /api/tenants/                      create
 *   GET    /api/tenants/statistics/           counts for the dashboard
 *   GET    /api/tenants/{id}/                 show
 *   PATCH  /api/tenants/{id}/                 update fields
 *   DELETE /api/tenants/{id}/                 delete
 *   POST   /api/tenants/{id}/update_module/   enable or disable one module
 *
 * Handlers only translate: input is validated by tenant_input.c, the work is
 * done by provision.c (rows and folder together), tenant_create.c (a create
 * and its deploy) and tenant.c (queries).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "bulk.h"
#include "conf.h"
#include "cursor.h"
#include "deploy.h"
#include "form.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "module.h"
#include "provision.h"
#include "service.h"
#include "status_http.h"
#include "tenant.h"
#include "tenant_create.h"
#include "tenant_input.h"
#include "validate.h"

#define PAGE_SIZE_DEFAULT	20
#define PAGE_SIZE_MAX		100
#define SEARCH_MAX_BYTES	200

/* The list parameters of GET /api/tenants/, validated. */
struct list_params {
	int64_t		 page;
	int64_t		 page_size;
	const char	*search;	/* NULL when absent or empty */
	int		 is_active;	/* -1: any */
	const char	*ordering;	/* as given, NULL when absent */
	enum tenant_order order;
	const char	*cursor;	/* keyset paging: as given, or NULL */
	struct tenant_position after;	/* the place the cursor names */
};

/*
 * Reads page, page_size, search, is_active and ordering from the query
 * string.  page_size above the maximum is clamped (SPEC section 9); a value
 * that is not a number, a page below 1 or an unknown ordering is a 400.
 * Returns 0, or -1 with `errors` filled.
 */
static int
list_params_read(struct list_params *p, const struct form *query,
    struct field_errors *errors)
{
	const struct form_value *v;
	const char *errstr;

	memset(p, 0, sizeof(*p));
	p->page = 1;
	p->page_size = PAGE_SIZE_DEFAULT;
	p->is_active = -1;
	p->order = TENANT_ORDER_CREATED_DESC;

	if ((v = form_first(query, "page")) != NULL &&
	    (strlen(v->data) != v->len ||
	    parse_int64(v->data, 1, INT32_MAX, &p->page, &errstr) < 0))
		field_errors_add(errors, "page", "must be a whole number of 1 or more");
	if ((v = form_first(query, "page_size")) != NULL) {
		/* Too large is clamped, not refused (SPEC section 9). */
		if (strlen(v->data) != v->len)
			field_errors_add(errors, "page_size",
			    "must be a whole number of 1 or more");
		else if (parse_int64(v->data, 1, PAGE_SIZE_MAX, &p->page_size,
		    &errstr) < 0) {
			if (strcmp(errstr, "too large") == 0)
				p->page_size = PAGE_SIZE_MAX;
			else
				field_errors_add(errors, "page_size",
				    "must be a whole number of 1 or more");
		}
	}
	if ((v = form_first(query, "search")) != NULL && v->len > 0) {
		if (v->len > SEARCH_MAX_BYTES || utf8_length(v->data, v->len) < 0)
			field_errors_add(errors, "search",
			    "must be valid UTF-8 of at most 200 bytes");
		else
			p->search = v->data;
	}
	/* A list filter: empty means any, and the first value counts. */
	if ((v = form_first(query, "is_active")) != NULL && v->len > 0 &&
	    http_value_bool(v, &p->is_active) < 0)
		field_errors_add(errors, "is_active", "must be true or false");
	if ((v = form_first(query, "ordering")) != NULL && v->len > 0) {
		if (strlen(v->data) != v->len ||
		    tenant_order_parse(v->data, &p->order) < 0)
			field_errors_add(errors, "ordering", "must be one of "
			    "name, subdomain, created_at, optionally with '-'");
		else
			p->ordering = v->data;
	}
	if ((v = form_first(query, "cursor")) != NULL && v->len > 0) {
		if (form_first(query, "page") != NULL)
			field_errors_add(errors, "cursor",
			    "cannot be combined with page");
		else
			p->cursor = v->data;
	}
	return errors->count > 0 ? -1 : 0;
}

/* Appends `s` percent-encoded for a query string value. */
static int
append_query_value(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~') {
			if (buf_append_char(b, (char)*p) < 0)
				return -1;
		} else if (buf_append_char(b, '%') < 0 ||
		    buf_append_char(b, hex[*p >> 4]) < 0 ||
		    buf_append_char(b, hex[*p & 0x0f]) < 0)
			return -1;
	}
	return 0;
}

/*
 * Writes the "next" or "previous" link for `page`, or with `cursor` for
 * the keyset page after it: an absolute path that repeats the validated
 * filters (never the raw query string).
 */
static int
append_page_link(struct buf *b, const struct list_params *p, int64_t page,
    const char *cursor)
{
	if (cursor != NULL) {
		if (buf_printf(b, "/api/tenants/?cursor=%s&page_size=%lld",
		    cursor, (long long)p->page_size) < 0)
			return -1;
	} else if (buf_printf(b, "/api/tenants/?page=%lld&page_size=%lld",
	    (long long)page, (long long)p->page_size) < 0)
		return -1;
	if (p->search != NULL && (buf_append_str(b, "&search=") < 0 ||
	    append_query_value(b, p->search) < 0))
		return -1;
	if (p->is_active >= 0 && buf_printf(b, "&is_active=%s",
	    p->is_active ? "true" : "false") < 0)
		return -1;
	if (p->ordering != NULL && (buf_append_str(b, "&ordering=") < 0 ||
	    append_query_value(b, p->ordering) < 0))
		return -1;
	return 0;
}

/*
 * Writes key `key` with the link to `page` (or, with `cursor`, to the
 * keyset page it names), or null when `page` is 0 and `cursor` NULL.
 */
static int
gen_page_link(yajl_gen g, const char *key, const struct list_params *p,
    int64_t page, const char *cursor)
{
	struct buf link;
	int rc;

	if (page == 0 && cursor == NULL)
		return json_gen_kv_null(g, key);
	buf_init(&link, 4096 + CURSOR_TEXT_MAX);
	if (append_page_link(&link, p, page, cursor) < 0) {
		buf_release(&link);
		return -1;
	}
	rc = json_gen_kv_string(g, key, link.data);
	buf_release(&link);
	return rc;
}

/*
 * GET /api/tenants/?page=&page_size=&search=&is_active=&ordering=
 * -> {"count", "next", "previous", "next_cursor", "results": [tenant,
 * ...]}.  A page past the last one is 404, as clients of paged APIs
 * expect.  With cursor=<next_cursor of a previous answer> instead of page
 * (keyset paging), the page after that place comes from an index range
 * however deep it is; such a page is not counted ("count" and "previous"
 * are null) and "next" carries the cursor.  A cursor that is malformed or
 * was made for another ordering is 400 invalid_cursor.
 */
HANDLER(handle_tenants_list)
{
	struct field_errors errors;
	struct list_params params;
	struct tenant_query query;
	struct tenant_list list;
	struct module_catalog catalog;
	yajl_gen g = NULL;
	char next_cursor[CURSOR_TEXT_MAX + 1];
	int64_t last_page;
	size_t i;
	int status, keyset;

	memset(&errors, 0, sizeof(errors));
	memset(&list, 0, sizeof(list));
	module_catalog_init(&catalog);
	if ((status = http_request_query(req, res)) != 0)
		return status;
	if (list_params_read(&params, &req->query_form, &errors) < 0)
		return http_reply_error(res, 400, "validation_failed",
		    "invalid list parameters", &errors);

	keyset = params.cursor != NULL;
	if (keyset && cursor_decode(params.cursor, params.order,
	    &params.after) < 0) {
		field_errors_add(&errors, "cursor", "is malformed or was made "
		    "for another ordering");
		return http_reply_error(res, 400, "invalid_cursor",
		    "invalid cursor", &errors);
	}

	memset(&query, 0, sizeof(query));
	query.search = params.search;
	query.is_active = params.is_active;
	query.order = params.order;
	query.limit = params.page_size;
	query.after = keyset ? &params.after : NULL;
	if (params.page - 1 > INT64_MAX / params.page_size) {
		status = http_reply_error(res, 404, "invalid_page",
		    "page out of range", NULL);
		goto out;
	}
	query.offset = (params.page - 1) * params.page_size;
	if (tenant_list_query(ctx->svc->db, &query, &list) < 0 ||
	    module_catalog_load(&catalog, ctx->svc->db) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	last_page = list.total <= 0 ? 1 :
	    (list.total + params.page_size - 1) / params.page_size;
	if (!keyset && params.page > last_page) {
		status = http_reply_error(res, 404, "invalid_page",
		    "page out of range", NULL);
		goto out;
	}
	if (list.more && cursor_encode(params.order, &list.last, next_cursor,
	    sizeof(next_cursor)) < 0)
		goto oom;

	if ((g = json_gen_new()) == NULL)
		goto oom;
	yajl_gen_map_open(g);
	if (keyset) {
		json_gen_kv_null(g, "count");
		if (gen_page_link(g, "next", &params, 0,
		    list.more ? next_cursor : NULL) < 0 ||
		    json_gen_kv_null(g, "previous") != yajl_gen_status_ok)
			goto oom;
	} else {
		json_gen_kv_int(g, "count", list.total);
		if (gen_page_link(g, "next", &params, params.page < last_page ?
		    params.page + 1 : 0, NULL) < 0 ||
		    gen_page_link(g, "previous", &params, params.page > 1 ?
		    params.page - 1 : 0, NULL) < 0)
			goto oom;
	}
	if ((list.more ? json_gen_kv_string(g, "next_cursor", next_cursor) :
	    json_gen_kv_null(g, "next_cursor")) != yajl_gen_status_ok)
		goto oom;
	json_gen_key(g, "results");
	yajl_gen_array_open(g);
	for (i = 0; i < list.count; i++) {
		deploy_state_load(ctx->svc, &list.items[i]);
		if (tenant_to_json(g, &list.items[i], &catalog,
		    ctx->svc->conf->tenant_url_format) == -1)
			goto oom;
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	status = http_reply_json(res, 200, g);
	goto out;
oom:
	status = http_reply_error(res, 500, "internal_error",
	    "could not build the response", NULL);
out:
	if (g != NULL)
		yajl_gen_free(g);
	tenant_list_release(&list);
	module_catalog_release(&catalog);
	return status;
}

/*
 * Reads and validates a tenant body for `mode`.  Returns 0 with `in`
 * filled, or the status of the error response already written.
 */
static int
read_tenant_input(struct request_context *ctx, struct http_request *req,
    struct http_response *res, enum tenant_input_mode mode,
    struct tenant_input *in)
{
	struct module_catalog catalog;
	struct field_errors errors;
	int status;

	memset(&errors, 0, sizeof(errors));
	module_catalog_init(&catalog);
	if ((status = http_request_form(req, res,
	    ctx->svc->conf->max_logo_bytes)) != 0)
		goto out;
	if (module_catalog_load(&catalog, ctx->svc->db) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if (tenant_input_read(in, mode, &req->form, ctx->svc->conf, &catalog,
	    ctx->svc->mime, &errors) < 0) {
		status = http_reply_error(res, 400, "validation_failed",
		    "invalid tenant data", &errors);
		goto out;
	}
	status = 0;
out:
	module_catalog_release(&catalog);
	return status;
}

/*
 * POST /api/tenants/ -> 201 with the tenant and a Location header.  Takes
 * JSON, urlencoded or multipart bodies (the logo must be a file part).
 * `deploy=false` may be given in the body or the query string; otherwise
 * tenant_create() queues a deploy job, whose id is answered as
 * "deploy_job_id" (null if it could not be queued: the tenant exists all
 * the same, and tenantctl fsck reports its undeployed frontend).
 */
HANDLER(handle_tenants_create)
{
	struct tenant_input in;
	struct tenant tenant;
	struct tenant_create_site site;
	enum result ps;
	char err[256];
	int status, deploy;

	tenant_init(&tenant);
	memset(&site, 0, sizeof(site));
	site.mode = TENANT_CREATE_QUEUE;
	if ((status = read_tenant_input(ctx, req, res, TENANT_INPUT_CREATE,
	    &in)) != 0)
		goto out;
	if ((status = http_option_bool(req, res, NULL, "deploy", &deploy,
	    NULL)) > 1)
		goto out;
	if (status == 1)
		in.deploy = deploy;

	ps = tenant_create(ctx->svc, &in, ctx->user.id, &site, &tenant, err,
	    sizeof(err));
	if (ps != RESULT_OK) {
		status = http_reply_result(res, STATUS_DEFAULT, ps, err);
		goto out;
	}
	http_header_add(res, "Location", "/api/tenants/%lld/",
	    (long long)tenant.id);
	status = handler_reply_tenant(ctx, res, 201, &tenant,
	    in.deploy ? &site.job_id : NULL);
out:
	tenant_release(&tenant);
	return status;
}

/* GET /api/tenants/{id}/ -> the tenant, or 404. */
HANDLER(handle_tenant_show)
{
	struct tenant tenant;
	int status, rc;

	tenant_init(&tenant);
	rc = tenant_find_by_id(ctx->svc->db, ctx->id, &tenant);
	if (rc < 0)
		status = handler_db_error(res, ctx->svc->db);
	else if (rc == 0)
		status = http_reply_error(res, 404, "not_found",
		    "tenant not found", NULL);
	else
		status = handler_reply_tenant(ctx, res, 200, &tenant, NULL);
	tenant_release(&tenant);
	return status;
}

/*
 * PATCH /api/tenants/{id}/ -> 200 with the updated tenant.  Any of name,
 * contact_email, colors, logo and module_keys; the subdomain cannot change.
 * config.json is rewritten before the change commits.
 */
HANDLER(handle_tenant_update)
{
	struct tenant_input in;
	struct tenant tenant;
	enum result ps;
	char err[256];
	int status;

	tenant_init(&tenant);
	if ((status = read_tenant_input(ctx, req, res, TENANT_INPUT_PATCH,
	    &in)) != 0)
		goto out;
	if ((status = handler_tenant_archived(ctx, res)) != 0)
		goto out;
	ps = provision_update(ctx->svc, ctx->id, &in, ctx->user.id, &tenant,
	    err, sizeof(err));
	if (ps != RESULT_OK)
		status = http_reply_result(res, STATUS_DEFAULT, ps, err);
	else
		status = handler_reply_tenant(ctx, res, 200, &tenant, NULL);
out:
	tenant_release(&tenant);
	return status;
}

/* DELETE /api/tenants/{id}/ -> 204: rows first, then the folder. */
HANDLER(handle_tenant_delete)
{
	enum result ps;
	char err[256];

	ps = provision_delete(ctx->svc, ctx->id, ctx->user.id, err,
	    sizeof(err));
	if (ps != RESULT_OK)
		return http_reply_result(res, STATUS_DEFAULT, ps, err);
	return http_reply_no_content(res);
}

/*
 * POST /api/tenants/{id}/update_module/ {module_key, is_enabled} -> 200
 * with the tenant.  An unknown module is 400 unknown_module; disabling a
 * core module is 400 core_module.
 */
HANDLER(handle_tenant_update_module)
{
	struct field_errors errors;
	struct module_catalog catalog;
	const struct module_def *module;
	struct tenant tenant;
	enum result ps;
	const char *key = NULL;
	size_t key_len = 0;
	char err[256];
	int status, enabled = 0, rc;

	memset(&errors, 0, sizeof(errors));
	module_catalog_init(&catalog);
	tenant_init(&tenant);
	if ((status = http_request_form(req, res,
	    ctx->svc->conf->max_logo_bytes)) != 0)
		goto out;
	if (handler_string_field(&req->form, "module_key", &key, &key_len,
	    &errors) == 0)
		field_errors_add(&errors, "module_key", "this field is required");
	if ((rc = http_form_bool(&req->form, "is_enabled", &enabled,
	    &errors)) == 0)
		field_errors_add(&errors, "is_enabled", "this field is required");
	if (errors.count > 0) {
		status = http_reply_error(res, 400, "validation_failed",
		    "invalid module change", &errors);
		goto out;
	}
	if (module_catalog_load(&catalog, ctx->svc->db) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	/* Refused as a bulk module change refuses them. */
	if (validate_module_key(key, key_len) != NULL ||
	    (module = module_catalog_find(&catalog, key)) == NULL) {
		status = http_reply_result(res, STATUS_MODULE_CHANGE,
		    RESULT_NOT_FOUND, NULL);
		goto out;
	}
	if (module->is_core && !enabled) {
		status = http_reply_result(res, STATUS_MODULE_CHANGE,
		    RESULT_INVALID, NULL);
		goto out;
	}
	if ((status = handler_tenant_archived(ctx, res)) != 0)
		goto out;
	ps = provision_set_module(ctx->svc, ctx->id, key, enabled,
	    ctx->user.id, &tenant, err, sizeof(err));
	if (ps != RESULT_OK)
		status = http_reply_result(res, STATUS_DEFAULT, ps, err);
	else
		status = handler_reply_tenant(ctx, res, 200, &tenant, NULL);
out:
	tenant_release(&tenant);
	module_catalog_release(&catalog);
	return status;
}

/*
 * GET /api/tenants/statistics/ -> {"total", "active", "archived",
 * "created_last_30_days", "modules": {"<key>": enabled count}}.
 */
HANDLER(handle_tenants_statistics)
{
	struct module_catalog catalog;
	struct tenant_statistics stats;
	yajl_gen g = NULL;
	size_t i;
	int status;

	module_catalog_init(&catalog);
	memset(&stats, 0, sizeof(stats));
	if (module_catalog_load(&catalog, ctx->svc->db) < 0 ||
	    tenant_statistics_load(ctx->svc->db, &catalog, &stats) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	yajl_gen_map_open(g);
	json_gen_kv_int(g, "total", stats.total);
	json_gen_kv_int(g, "active", stats.active);
	json_gen_kv_int(g, "archived", stats.archived);
	json_gen_kv_int(g, "created_last_30_days", stats.created_last_30_days);
	json_gen_key(g, "modules");
	yajl_gen_map_open(g);
	for (i = 0; i < stats.module_count; i++)
		json_gen_kv_int(g, stats.modules[i].key,
		    stats.modules[i].enabled);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	status = http_reply_json(res, 200, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	tenant_statistics_release(&stats);
	module_catalog_release(&catalog);
	return status;
}
