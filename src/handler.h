/*
 * handler.h - the HTTP handlers, grouped by the file that holds them.
 *
 * Each handler answers one route of router.c's table.  It receives a
 * request context (service, authenticated user, route placeholders), reads
 * validated input, calls into lib/ and writes a complete response.  It
 * returns the HTTP status it set.
 */
#ifndef TENANTD_HANDLER_H
#define TENANTD_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "router.h"

struct http_request;
struct http_response;

#define HANDLER(name) int name(struct request_context *ctx, \
    struct http_request *req, struct http_response *res)

/* handler_health.c - GET /api/healthz */
HANDLER(handle_healthz);

/* handler_auth.c - /api/auth/login, /api/auth/logout, /api/auth/me */
HANDLER(handle_auth_login);
HANDLER(handle_auth_logout);
HANDLER(handle_auth_me);

/* handler_modules.c - GET /api/modules/ */
HANDLER(handle_modules_list);

/* handler_tenants.c - /api/tenants/ and /api/tenants/{id}/... */
HANDLER(handle_tenants_list);
HANDLER(handle_tenants_create);
HANDLER(handle_tenants_statistics);
HANDLER(handle_tenant_show);
HANDLER(handle_tenant_update);
HANDLER(handle_tenant_delete);
HANDLER(handle_tenant_update_module);

/*
 * handler_archive.c - GET /api/tenants/{id}/export/ and
 * POST /api/tenants/import/
 */
HANDLER(handle_tenant_export);
HANDLER(handle_tenants_import);

/* handler_lifecycle.c - POST /api/tenants/{id}/archive/ and /restore/ */
HANDLER(handle_tenant_archive);
HANDLER(handle_tenant_restore);

/* handler_deploy.c - POST /api/tenants/{id}/deploy_frontend/ */
HANDLER(handle_tenant_deploy_frontend);

/* handler_subdomain.c - GET /api/tenants/check-subdomain/ */
HANDLER(handle_check_subdomain);

/* handler_domain_check.c - GET /api/domains/check */
HANDLER(handle_domain_check);

/* handler_public.c - /api/tenants/by-subdomain/{sub}/config/ and assets/ */
HANDLER(handle_public_config);
HANDLER(handle_public_asset);

/*
 * handler_public.c - this worker's config cache (config_cache.h), made on
 * first use and shared by the config endpoint and the module gate.
 * Returns NULL when it cannot be made (out of memory).
 */
struct config_cache;
struct config_cache *handler_config_cache(void);

/* handler_public.c - the same cache without making it: NULL until used. */
struct config_cache *handler_config_cache_if_made(void);

/* handler_metrics.c - GET /api/metrics (Prometheus text format) */
HANDLER(handle_metrics);

/*
 * handler_gate.c - GET /api/gate?module=<key>, and every FastCGI
 * Authorizer request (router.c sends them there, whatever their path).
 */
HANDLER(handle_gate);
HANDLER(handle_gate_authorizer);

/* handler_tenant_health.c - GET /api/tenants/{id}/health/ */
HANDLER(handle_tenant_health);

/* handler_notifications.c - GET /api/tenants/{id}/notifications/ */
HANDLER(handle_tenant_notifications);

/*
 * handler_domains.c - /api/tenants/{id}/domains/,
 * POST .../domains/{domain}/verify/ and DELETE .../domains/{domain}/
 */
HANDLER(handle_tenant_domains_list);
HANDLER(handle_tenant_domains_add);
HANDLER(handle_tenant_domain_verify);
HANDLER(handle_tenant_domain_delete);

/* handler_jobs.c - GET /api/jobs/{id}/, POST /api/jobs/{id}/cancel/ */
HANDLER(handle_job_show);
HANDLER(handle_job_cancel);

/*
 * handler_templates.c - GET /api/templates/,
 * POST /api/templates/{version}/rollout/ and /default/
 */
HANDLER(handle_templates_list);
HANDLER(handle_template_rollout);
HANDLER(handle_template_default);

/*
 * handler_bulk.c - POST /api/tenants/bulk-create/ and
 * POST /api/tenants/bulk-update-modules/
 */
HANDLER(handle_tenants_bulk_create);
HANDLER(handle_tenants_bulk_update_modules);

/* handler_common.c - shared by handlers. */

/*
 * Parses the JSON object body of a request into *root (the caller frees
 * it with json_free()), `what` naming the requests in the 415 message
 * ("bulk requests").  Returns 0, or the status of the error response
 * written: 413 for a body past max_body_bytes or max_json_nodes, 415 for
 * another content type, 400 for malformed JSON or a body that is no
 * object.
 */
struct json_value;
int	handler_read_json_object(struct http_request *req,
	    struct http_response *res, struct json_value **root,
	    const char *what);

/*
 * Answers `status` with tenant `t` as the API's JSON object (the shape of
 * GET /api/tenants/{id}/), filling t->deployed; with `deploy_job_id`
 * non-NULL the object carries "deploy_job_id" too (null when
 * *deploy_job_id is 0).  Returns the status.
 */
struct tenant;
int	handler_reply_tenant(struct request_context *ctx,
	    struct http_response *res, int status, struct tenant *t,
	    const int64_t *deploy_job_id);

/*
 * For handlers that change a tenant's folder (PATCH, update_module):
 * answers 409 {"code": "archived"} when tenant ctx->id is archived,
 * 503/500 when it cannot be looked up.  Returns 0 when the
 * handler may go on (the tenant is active, or unknown, which the
 * handler's own call answers with 404), else the status written to `res`.
 */
int	handler_tenant_archived(struct request_context *ctx,
	    struct http_response *res);

/*
 * For the listings of one tenant's rows (notifications, domains): looks
 * tenant ctx->id up.  Returns 0 when it exists, else the status written to
 * `res`: 404 for an unknown tenant, 503/500 when it cannot be looked up.
 */
int	handler_tenant_known(struct request_context *ctx,
	    struct http_response *res);

/* Writes one object of a JSON array: 0, or -1 if the generator failed. */
typedef int (*handler_json_item_fn)(yajl_gen g, const void *item);

/*
 * Answers 200 with a JSON array of the `count` items of `size` bytes at
 * `items`, each written by `write_item`, or 500 when the response cannot
 * be built.  Returns the status.
 */
int	handler_reply_array(struct http_response *res, const void *items,
	    size_t count, size_t size, handler_json_item_fn write_item);

/* Answers 503 with Retry-After for a database that is down.  Returns 503. */
int	handler_db_unavailable(struct http_response *res);

/* Answers a database failure: 503 if the connection is lost, else 500. */
struct db;
int	handler_db_error(struct http_response *res, struct db *db);

/*
 * Reads a single request field as one string: 1 present (value set), 0
 * absent, -1 wrong type or repeated (the reason recorded in `errors`).
 * Booleans are read by http_form_bool() of http.h.
 */
struct field_errors;
struct form;
int	handler_string_field(const struct form *form, const char *name,
	    const char **value, size_t *len, struct field_errors *errors);

/*
 * Did the request arrive for a tenant site's host rather than the admin
 * host: TENANT_SUBDOMAIN or TENANT_DOMAIN set, a Host one label under
 * base_domain, or a Host that is an active custom domain?  Returns 1 or 0.
 */
struct service;
int	handler_request_for_tenant_host(const struct service *svc,
	    const struct http_request *req);

/*
 * The subdomain of the tenant whose active custom domain the request's
 * Host is (domain_link.h), into `out` of SUBDOMAIN_MAX + 1 bytes.
 * Returns 1, 0 when the Host is no active custom domain (a tenant host
 * under base_domain, the admin host, a pending or removed domain), or -1
 * (logged).
 */
int	handler_request_domain_tenant(const struct service *svc,
	    const struct http_request *req, char *out);

#endif
