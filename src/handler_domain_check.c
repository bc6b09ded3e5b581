/*
 * handler_domain_check.c - GET /api/domains/check?domain=<host>, the
 * question a TLS front end asks before it takes a certificate for a name a
 * client sent (Caddy's on_demand_tls "ask", etc/caddy/Caddyfile.in).
 *
 * Anyone can ask and anyone can make a client send any name, so the
 * answer is one indexed query at most (lib/tenant_host.c) and a name that
 * could not be a tenant's never reaches the database: the domain must be a
 * lower-case host name of at most 253 bytes (Caddy lower-cases the TLS
 * server name before it asks), else 400.  200 means "serve it", 404 "no
 * site of an active tenant is there".  The admin host is no question for
 * it: the front end names that host in its configuration.
 */
#include <string.h>

#include "form.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "service.h"
#include "tenant_host.h"
#include "tenant_input.h"
#include "validate.h"

/*
 * Writes {"domain": domain} with status 200, the front end's go-ahead.
 * Returns the status.
 */
static int
reply_served(struct http_response *res, const char *domain)
{
	yajl_gen g = NULL;
	int status;

	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "domain", domain) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok) {
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

/*
 * GET /api/domains/check?domain=<host> -> 200 when the host is the site of
 * an active tenant, 404 when it is not; a missing, repeated or malformed
 * domain is 400.
 */
HANDLER(handle_domain_check)
{
	struct field_errors errors;
	const char *domain = NULL, *message;
	size_t len = 0;
	int status, rc;

	memset(&errors, 0, sizeof(errors));
	if ((status = http_request_query(req, res)) != 0)
		return status;
	rc = handler_string_field(&req->query_form, "domain", &domain, &len,
	    &errors);
	if (rc == 0)
		field_errors_add(&errors, "domain", "this field is required");
	else if (rc == 1 && (message = validate_hostname(domain, len)) != NULL)
		field_errors_add(&errors, "domain", "%s", message);
	if (errors.count > 0)
		return http_reply_error(res, 400, "validation_failed",
		    "invalid domain", &errors);
	rc = tenant_host_active(ctx->svc->db, ctx->svc->conf, domain, len);
	if (rc < 0)
		return handler_db_error(res, ctx->svc->db);
	if (rc == 0)
		return http_reply_error(res, 404, "not_found",
		    "no active tenant site is at this domain", NULL);
	return reply_served(res, domain);
}
