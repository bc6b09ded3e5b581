/*
 * handler_common.c - responses shared by several handlers: a database that
 * is down, a tenant as the API shows it, the refusal to change an archived
 * tenant, and typed reads of single request fields.
 *
 * Kept apart from the handler files so that no handler file calls into
 * another: the tenant, lifecycle and deploy handlers all build on this one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "db.h"
#include "deploy.h"
#include "domain_link.h"
#include "gate.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "service.h"
#include "status_http.h"
#include "tenant.h"
#include "tenant_input.h"
#include "validate.h"

/*
 * Answers 503 while the database cannot be reached.  Retry-After tells
 * clients and load balancers when to come back; the worker reconnects by
 * itself.  Returns 503.
 */
int
handler_db_unavailable(struct http_response *res)
{
	return http_reply_result(res, STATUS_DEFAULT, RESULT_DB_DOWN, NULL);
}

/*
 * Answers a database error met in the middle of a handler: 503 when the
 * connection was lost, else 500.  Returns the status.
 */
int
handler_db_error(struct http_response *res, struct db *db)
{
	if (db_unavailable(db))
		return handler_db_unavailable(res);
	return http_reply_error(res, 500, "internal_error",
	    "database error", NULL);
}

/*
 * Answers with tenant `t` as JSON (the shape of tenant_to_json()), loading
 * the module catalog for the module names and t->deployed from the
 * tenant's folder; with `deploy_job_id` non-NULL the object also carries
 * "deploy_job_id" (null when 0).  Returns the status.
 */
int
handler_reply_tenant(struct request_context *ctx, struct http_response *res,
    int status, struct tenant *t, const int64_t *deploy_job_id)
{
	struct module_catalog catalog;
	yajl_gen g = NULL;

	module_catalog_init(&catalog);
	if (module_catalog_load(&catalog, ctx->svc->db) < 0) {
		status = handler_db_error(res, ctx->svc->db);
		goto out;
	}
	deploy_state_load(ctx->svc, t);
	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    tenant_to_json_members(g, t, &catalog,
	    ctx->svc->conf->tenant_url_format) == -1 ||
	    (deploy_job_id != NULL && (*deploy_job_id > 0 ?
	    json_gen_kv_int(g, "deploy_job_id", *deploy_job_id) :
	    json_gen_kv_null(g, "deploy_job_id")) != yajl_gen_status_ok) ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	status = http_reply_json(res, status, g);
out:
	if (g != NULL)
		yajl_gen_free(g);
	module_catalog_release(&catalog);
	return status;
}

/*
 * The refusal of handler.h: 409 archived for an archived tenant.  Called
 * by PATCH and update_module before provisioning, which would otherwise
 * fail on the missing folder with a less helpful 500.  Returns 0 or the
 * status written.
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
		status = http_reply_result(res, STATUS_DEFAULT,
		    RESULT_ARCHIVED, NULL);
	tenant_release(&tenant);
	return status;
}

/*
 * Reads field `name` of a request form as one string.  Returns 1 with
 * *value set, 0 when the field is absent, or -1 when it is not a single
 * string (a JSON number, an array, a file ...), after recording why in
 * `errors`.
 */
int
handler_string_field(const struct form *form, const char *name,
    const char **value, size_t *len, struct field_errors *errors)
{
	const struct form_field *field;

	if ((field = form_get(form, name)) == NULL || field->count == 0)
		return 0;
	if (field->count > 1 || field->from_array) {
		field_errors_add(errors, name, "must be given once");
		return -1;
	}
	if (field->values[0].kind != FORM_VALUE_STRING) {
		field_errors_add(errors, name, "must be a string");
		return -1;
	}
	*value = field->values[0].data;
	*len = field->values[0].len;
	return 1;
}

/*
 * Did the request arrive for a tenant host (see enum route_access)?  The
 * front end's TENANT_SUBDOMAIN or TENANT_DOMAIN says so, and so does a
 * Host that is one label under base_domain, whatever the label, since the
 * front ends serve every such host as a tenant site, or an active custom
 * domain.  Called by the router and the asset handler.  Returns 1 or 0.
 */
int
handler_request_for_tenant_host(const struct service *svc,
    const struct http_request *req)
{
	char subdomain[SUBDOMAIN_MAX + 1];

	if ((req->tenant_subdomain != NULL &&
	    req->tenant_subdomain[0] != '\0') ||
	    (req->tenant_domain != NULL && req->tenant_domain[0] != '\0'))
		return 1;
	if (gate_host_subdomain(req->host, svc->conf->base_domain, subdomain,
	    sizeof(subdomain)))
		return 1;
	return handler_request_domain_tenant(svc, req, subdomain) != 0;
}

/*
 * The tenant of a request through an active custom domain (handler.h):
 * the link of its Host, read afresh on every request, so a domain is
 * served from the moment it is verified and not a moment after it is
 * removed.  Called by the public endpoints and the gate.  Returns 1, 0
 * or -1.
 */
int
handler_request_domain_tenant(const struct service *svc,
    const struct http_request *req, char *out)
{
	int rc;

	if (gate_host_subdomain(req->host, svc->conf->base_domain, out,
	    SUBDOMAIN_MAX + 1))
		return 0;
	rc = domain_link_subdomain(svc->tenants_dirfd, req->host, out);
	if (rc == -1)
		log_error("custom domain link: %s", strerror(errno));
	return rc;
}

/*
 * Is the Content-Type `type` application/json (any case, parameters
 * allowed)?
 */
static int
is_json_type(const char *type)
{
	static const char json[] = "application/json";
	size_t	len = sizeof(json) - 1;

	if (type == NULL)
		return 0;
	while (*type == ' ' || *type == '\t')
		type++;
	if (strncasecmp(type, json, len) != 0)
		return 0;
	return type[len] == '\0' || type[len] == ';' || type[len] == ' ' ||
	    type[len] == '\t';
}

/*
 * Parses the JSON object body of a request into *root (handler.h).
 * Called by the bulk and template handlers.
 */
int
handler_read_json_object(struct http_request *req, struct http_response *res,
    struct json_value **root, const char *what)
{
	char	err[256], message[128];

	*root = NULL;
	if (req->body_too_large)
		return http_reply_result(res, STATUS_DEFAULT,
		    RESULT_TOO_LARGE, "request body too large");
	if (!is_json_type(req->content_type)) {
		snprintf(message, sizeof(message), "%s take application/json",
		    what);
		return http_reply_result(res, STATUS_DEFAULT,
		    RESULT_UNSUPPORTED, message);
	}
	if ((*root = json_parse_limited(req->body, req->body_len,
	    req->max_json_nodes, err, sizeof(err))) == NULL)
		return http_reply_result(res, STATUS_DEFAULT,
		    errno == ENOMEM ? RESULT_NO_MEMORY : errno == E2BIG ?
		    RESULT_TOO_LARGE : RESULT_MALFORMED, err);
	if ((*root)->type != JSON_OBJECT)
		return http_reply_result(res, STATUS_DEFAULT,
		    RESULT_MALFORMED, "request body must be a JSON object");
	return 0;
}

/*
 * Looks up the tenant of a listing (handler.h).  Called by the
 * notifications and domains handlers.  Returns 0 or the status written.
 */
int
handler_tenant_known(struct request_context *ctx, struct http_response *res)
{
	struct tenant t;
	int rc, status = 0;

	tenant_init(&t);
	if ((rc = tenant_find_by_id(ctx->svc->db, ctx->id, &t)) == -1)
		status = handler_db_error(res, ctx->svc->db);
	else if (rc == 0)
		status = http_reply_result(res, STATUS_DEFAULT,
		    RESULT_NOT_FOUND, NULL);
	tenant_release(&t);
	return status;
}

/* Answers a JSON array of items (handler.h).  Returns the status. */
int
handler_reply_array(struct http_response *res, const void *items,
    size_t count, size_t size, handler_json_item_fn write_item)
{
	const char *item = items;
	yajl_gen g;
	size_t i;
	int status;

	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto build_failed;
	for (i = 0; i < count; i++, item += size)
		if (write_item(g, item) == -1)
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
	return status;
}
