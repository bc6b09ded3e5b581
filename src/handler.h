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
 * handler_common.c - shared by handlers: answers a provision_status with the matching error
 * response (404, 409, 400, 503, 500).  Returns the status.
 */
enum provision_status;
int	handler_provision_error(struct http_response *res,
	    enum provision_status status, const char *message);

/* Answers 503 with Retry-After for a database that is down.  Returns 503. */
int	handler_db_unavailable(struct http_response *res);

/* Answers a database failure: 503 if the connection is lost, else 500. */
struct db;
int	handler_db_error(struct http_response *res, struct db *db);

/*
 * Typed reads of single request fields: 1 present (value set), 0 absent,
 * -1 wrong type or repeated (the reason recorded in `errors`).
 */
struct field_errors;
struct form;
int	handler_string_field(const struct form *form, const char *name,
	    const char **value, size_t *len, struct field_errors *errors);
int	handler_bool_field(const struct form *form, const char *name,
	    int *value, struct field_errors *errors);

#endif
