/*
 * handler_gate.c - the module gate (lib/gate.h) as the web servers ask it:
 *   GET /api/gate?module=<key>   nginx's auth_request: 204 allows
 *   FCGI_ROLE=AUTHORIZER         lighttpd's mod_fastcgi "mode" =>
 *                                "authorizer" on /api/m/<key>/...: 200
 *                                allows, and lighttpd goes on to the
 *                                module's backend
 * An allowing answer names the tenant in X-Tenant-Subdomain, which nginx
 * passes to the module's backend, and to lighttpd in
 * Variable-TENANT_SUBDOMAIN (a custom domain's host does not show it).  Any other answer is a JSON error the web server hands to the client:
 * 403 module_disabled or tenant_archived, 404 not_found (no tenant at this
 * host) or unknown_module, 400 for a bad module key or path.
 *
 * The tenant is the front end's TENANT_SUBDOMAIN (nginx sets it from its
 * server_name match) or, when that is absent or empty (nginx's admin host
 * and custom domains; lighttpd, which cannot put a regex capture into the
 * environment), the one the Host header names below conf->base_domain, or
 * the one an active custom domain's link names (domain_link.h).  Neither
 * handler touches the database.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "config_cache.h"
#include "form.h"
#include "gate.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "service.h"
#include "tenant_input.h"
#include "validate.h"

/*
 * The refusal of a module API path the gate will not judge; the nginx
 * configuration answers the same text for the same paths.
 */
#define GATE_MALFORMED_PATH_MESSAGE	"module API paths must not hold " \
	"empty or dot-only segments, ';', '\\', control bytes or an " \
	"encoded '.', '/' or '%'"

/* Room for a message naming a module key. */
#define GATE_MESSAGE_MAX	(MODULE_KEY_MAX + 64)

/*
 * The subdomain of the tenant whose host the request came to, into `out`.
 * Returns 1, or 0 when the host is no tenant's (the admin host, another
 * domain, a reserved name).
 */
static int
request_tenant(const struct request_context *ctx,
    const struct http_request *req, char out[SUBDOMAIN_MAX + 1])
{
	const struct conf *c = ctx->svc->conf;
	const char *given = req->tenant_subdomain;
	size_t len;

	out[0] = '\0';
	if (given == NULL || given[0] == '\0') {
		if (!gate_host_subdomain(req->host, c->base_domain, out,
		    SUBDOMAIN_MAX + 1) &&
		    handler_request_domain_tenant(ctx->svc, req, out) != 1)
			return 0;
	} else {
		len = strlen(given);
		if (validate_subdomain(given, len) != NULL)
			return 0;
		memcpy(out, given, len + 1);
	}
	return !conf_is_reserved(c, out);
}

/*
 * Answers the gate's question for module `key` of the request's tenant:
 * `allow_status` (204 for auth_request, 200 for the Authorizer role) when
 * the module is enabled, else the JSON error.  Returns the status.
 */
static int
gate_reply(struct request_context *ctx, struct http_request *req,
    struct http_response *res, const char *key, int allow_status)
{
	char subdomain[SUBDOMAIN_MAX + 1], message[GATE_MESSAGE_MAX];
	struct config_cache *cache;

	if (!request_tenant(ctx, req, subdomain))
		return http_reply_error(res, 404, "not_found",
		    "there is no tenant site at this host", NULL);
	if ((cache = handler_config_cache()) == NULL)
		return http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
	switch (gate_check(cache, ctx->svc->tenants_dirfd,
	    ctx->svc->conf->archive_dir, subdomain, key)) {
	case GATE_ALLOW:
		/*
		 * nginx hands the tenant on to the module's backend from
		 * this header.  lighttpd drops an Authorizer's headers but
		 * keeps each Variable-<NAME> of a 200 in the request's
		 * environment, where tenant-header.lua reads it.
		 */
		if (http_header_add(res, "X-Tenant-Subdomain", "%s",
		    subdomain) == -1 || (allow_status == 200 &&
		    http_header_add(res, "Variable-TENANT_SUBDOMAIN", "%s",
		    subdomain) == -1))
			return http_reply_error(res, 500, "internal_error",
			    "could not build the response", NULL);
		res->status = allow_status;
		return allow_status;
	case GATE_MODULE_DISABLED:
		snprintf(message, sizeof(message),
		    "the module '%s' is not in this tenant's plan", key);
		return http_reply_error(res, 403, "module_disabled", message,
		    NULL);
	case GATE_UNKNOWN_MODULE:
		snprintf(message, sizeof(message), "there is no module '%s'",
		    key);
		return http_reply_error(res, 404, "unknown_module", message,
		    NULL);
	case GATE_TENANT_ARCHIVED:
		return http_reply_error(res, 403, "tenant_archived",
		    "this tenant is archived", NULL);
	case GATE_NO_TENANT:
		return http_reply_error(res, 404, "not_found",
		    "there is no tenant site at this host", NULL);
	case GATE_FAILED:
		break;
	}
	log_error("gate: %s, module %s: %s", subdomain, key, strerror(errno));
	return http_reply_error(res, 500, "internal_error",
	    "could not read the tenant configuration", NULL);
}

/*
 * GET /api/gate?module=<key>: nginx's auth_request subrequest for
 * /api/m/<key>/... (and anyone who asks through the front end).  204 when
 * the module is enabled for the tenant of the request's host; a missing,
 * repeated or malformed key is 400.
 */
HANDLER(handle_gate)
{
	struct field_errors errors;
	const char *key = NULL, *message;
	size_t len = 0;
	int status, rc;

	memset(&errors, 0, sizeof(errors));
	if ((status = http_request_query(req, res)) != 0)
		return status;
	rc = handler_string_field(&req->query_form, "module", &key, &len,
	    &errors);
	if (rc == 0)
		field_errors_add(&errors, "module", "this field is required");
	else if (rc == 1 && (message = validate_module_key(key, len)) != NULL)
		field_errors_add(&errors, "module", "%s", message);
	if (errors.count > 0)
		return http_reply_error(res, 400, "validation_failed",
		    "invalid module key", &errors);
	return gate_reply(ctx, req, res, key, 204);
}

/*
 * The module key of the path part of `uri` (which may carry a query), by
 * gate_module_from_path().  Returns its answer.
 */
static int
uri_module(const char *uri, char key[MODULE_KEY_MAX + 1])
{
	size_t len = strcspn(uri, "?");

	return gate_module_from_path(uri, len, key, MODULE_KEY_MAX + 1);
}

/*
 * A FastCGI Authorizer request (lighttpd's mod_fastcgi in "authorizer"
 * mode): the client's own request to /api/m/<key>/..., any method.  200
 * lets lighttpd pass it on to the module's backend; anything else is sent
 * to the client instead.  The router sends every Authorizer request here,
 * whatever its path.  The path judged is the one the client sent; when
 * lighttpd's normalised target, the one it will send the backend, differs
 * (REDIRECT_URI), that one must pass the same rules and name the same
 * module, so the backend never gets a path the gate did not judge.
 */
HANDLER(handle_gate_authorizer)
{
	char key[MODULE_KEY_MAX + 1], forwarded_key[MODULE_KEY_MAX + 1];
	int rc;

	rc = gate_module_from_path(req->path, req->path_len, key, sizeof(key));
	if (rc == 0)
		return http_reply_error(res, 404, "not_found",
		    "no such module API", NULL);
	if (rc == 1 && req->forward_uri != NULL &&
	    req->forward_uri[0] != '\0' &&
	    (uri_module(req->forward_uri, forwarded_key) != 1 ||
	    strcmp(key, forwarded_key) != 0))
		rc = -1;
	if (rc == -1)
		return http_reply_error(res, 400, "malformed_path",
		    GATE_MALFORMED_PATH_MESSAGE, NULL);
	return gate_reply(ctx, req, res, key, 200);
}
