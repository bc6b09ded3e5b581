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

#include "buf.h"
#include "form.h"
#include "handler.h"
#include "http.h"
#include "service.h"
#include "tenant_host.h"
#include "tenant_input.h"
#include "validate.h"

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
	/* A valid host name needs no JSON escaping: [a-z0-9.-] only. */
	buf_reset(&res->body);
	if (buf_printf(&res->body, "{\"domain\":\"%.*s\"}", (int)len,
	    domain) == -1)
		return http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
	res->status = 200;
	return 200;
}
