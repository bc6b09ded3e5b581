/*
 * router.c - the route table of the API and the checks every request passes
 * before its handler runs.
 *
 * The table below is the whole map of the API.  Dispatching is a walk over
 * it: the raw path is matched segment by segment (no decoding, so an
 * encoded byte can never sneak into a literal segment) against the routes
 * the request's host may reach (on a tenant host, ROUTE_PUBLIC only), then
 * the method, then the database (503 while it is down), then the access
 * rule (session with CSRF for unsafe methods, or a Bearer token).  Only
 * then does the handler see the request.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "domain_name.h"
#include "form.h"
#include "handler.h"
#include "http.h"
#include "router.h"
#include "service.h"
#include "template_store.h"
#include "validate.h"

#define SESSION_COOKIE	"tenantd_session"

/* Longest {id}: 18 digits always fit an int64_t. */
#define ROUTE_ID_MAX_DIGITS	18

static const struct route routes[] = {
	{ "/api/healthz", HTTP_GET, ROUTE_PUBLIC, 0, handle_healthz },
	{ "/api/gate", HTTP_GET, ROUTE_PUBLIC, 0, handle_gate },
	{ "/api/auth/login", HTTP_POST, ROUTE_ADMIN_HOST, 1,
	    handle_auth_login },
	{ "/api/domains/check", HTTP_GET, ROUTE_ADMIN_HOST, 1,
	    handle_domain_check },
	{ "/api/auth/logout", HTTP_POST, ROUTE_ADMIN, 1, handle_auth_logout },
	{ "/api/auth/me", HTTP_GET, ROUTE_ADMIN, 1, handle_auth_me },
	{ "/api/modules/", HTTP_GET, ROUTE_ADMIN, 1, handle_modules_list },
	{ "/api/tenants/", HTTP_GET, ROUTE_ADMIN, 1, handle_tenants_list },
	{ "/api/tenants/", HTTP_POST, ROUTE_ADMIN, 1, handle_tenants_create },
	{ "/api/tenants/statistics/", HTTP_GET, ROUTE_ADMIN, 1,
	    handle_tenants_statistics },
	{ "/api/tenants/bulk-create/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenants_bulk_create },
	{ "/api/tenants/bulk-update-modules/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenants_bulk_update_modules },
	{ "/api/tenants/check-subdomain/", HTTP_GET, ROUTE_ADMIN, 1,
	    handle_check_subdomain },
	{ "/api/tenants/import/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenants_import },
	{ "/api/tenants/{id}/", HTTP_GET, ROUTE_ADMIN, 1, handle_tenant_show },
	{ "/api/tenants/{id}/", HTTP_PATCH, ROUTE_ADMIN, 1,
	    handle_tenant_update },
	{ "/api/tenants/{id}/", HTTP_DELETE, ROUTE_ADMIN, 1,
	    handle_tenant_delete },
	{ "/api/tenants/{id}/health/", HTTP_GET, ROUTE_ADMIN, 1,
	    handle_tenant_health },
	{ "/api/tenants/{id}/export/", HTTP_GET, ROUTE_ADMIN, 1,
	    handle_tenant_export },
	{ "/api/tenants/{id}/notifications/", HTTP_GET, ROUTE_ADMIN, 1,
	    handle_tenant_notifications },
	{ "/api/tenants/{id}/domains/", HTTP_GET, ROUTE_ADMIN, 1,
	    handle_tenant_domains_list },
	{ "/api/tenants/{id}/domains/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenant_domains_add },
	{ "/api/tenants/{id}/domains/{domain}/verify/", HTTP_POST,
	    ROUTE_ADMIN, 1, handle_tenant_domain_verify },
	{ "/api/tenants/{id}/domains/{domain}/", HTTP_DELETE, ROUTE_ADMIN, 1,
	    handle_tenant_domain_delete },
	{ "/api/tenants/by-subdomain/{sub}/config/", HTTP_GET, ROUTE_PUBLIC, 0,
	    handle_public_config },
	{ "/api/tenants/by-subdomain/{sub}/assets/{path*}", HTTP_GET,
	    ROUTE_PUBLIC, 0, handle_public_asset },
	{ "/api/tenants/{id}/update_module/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenant_update_module },
	{ "/api/tenants/{id}/archive/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenant_archive },
	{ "/api/tenants/{id}/restore/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenant_restore },
	{ "/api/tenants/{id}/deploy_frontend/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_tenant_deploy_frontend },
	{ "/api/jobs/{id}/", HTTP_GET, ROUTE_ADMIN, 1, handle_job_show },
	{ "/api/jobs/{id}/cancel/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_job_cancel },
	{ "/api/templates/", HTTP_GET, ROUTE_ADMIN, 1, handle_templates_list },
	{ "/api/templates/{version}/rollout/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_template_rollout },
	{ "/api/templates/{version}/default/", HTTP_POST, ROUTE_ADMIN, 1,
	    handle_template_default },
	{ "/api/metrics", HTTP_GET, ROUTE_ADMIN, 0, handle_metrics }
};

/* Method names in the order the Allow header lists them (alphabetical). */
static const struct {
	const char	*name;
	unsigned	 method;
} allow_order[] = {
	{ "DELETE", HTTP_DELETE },
	{ "GET", HTTP_GET },
	{ "HEAD", HTTP_HEAD },
	{ "OPTIONS", HTTP_OPTIONS },
	{ "PATCH", HTTP_PATCH },
	{ "POST", HTTP_POST },
	{ "PUT", HTTP_PUT }
};

/*
 * What the {id}, {sub}, {version} and {path*} segments of a pattern
 * captured.
 */
struct route_match {
	int64_t		 id;
	char		 sub[64];
	char		 version[TEMPLATE_VERSION_LEN + 1];
	char		 domain[DOMAIN_NAME_MAX + 1];
	const char	*rest;
	size_t		 rest_len;
};

/*
 * Returns the table for --list-routes and tests, with its length in
 * *count.
 */
const struct route *
router_routes(size_t *count)
{
	*count = sizeof(routes) / sizeof(routes[0]);
	return routes;
}

/* The methods a route answers: GET routes answer HEAD as well. */
static unsigned
route_methods(const struct route *route)
{
	unsigned methods = route->methods;

	if (methods & HTTP_GET)
		methods |= HTTP_HEAD;
	return methods;
}

/*
 * Refuses paths no route may see: not starting with '/', an empty segment
 * ("//"), or a "." or ".." segment.  A single trailing slash is allowed.
 * Returns 1 when clean.
 */
static int
path_is_clean(const char *path, size_t len)
{
	size_t i, j, seg;

	if (len == 0 || path[0] != '/')
		return 0;
	for (i = 1; i < len; i = j + 1) {
		for (j = i; j < len && path[j] != '/'; j++)
			continue;
		seg = j - i;
		if (seg == 0)
			return 0;
		if ((seg == 1 && path[i] == '.') ||
		    (seg == 2 && path[i] == '.' && path[i + 1] == '.'))
			return 0;
	}
	return 1;
}

/* {id}: 1 to 18 digits without a leading zero.  Returns 1 and sets *id. */
static int
match_id(const char *seg, size_t len, int64_t *id)
{
	char digits[ROUTE_ID_MAX_DIGITS + 1];
	const char *errstr;
	size_t i;

	if (len == 0 || len > ROUTE_ID_MAX_DIGITS || seg[0] == '0')
		return 0;
	for (i = 0; i < len; i++)
		if (seg[i] < '0' || seg[i] > '9')
			return 0;
	memcpy(digits, seg, len);
	digits[len] = '\0';
	return parse_int64(digits, 1, INT64_MAX, id, &errstr) == 0;
}

/* {sub}: 1 to 63 of [a-z0-9-].  Returns 1 and copies it into `out`. */
static int
match_sub(const char *seg, size_t len, char out[64])
{
	size_t i;

	if (len == 0 || len > SUBDOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((seg[i] >= 'a' && seg[i] <= 'z') ||
		    (seg[i] >= '0' && seg[i] <= '9') || seg[i] == '-'))
			return 0;
	memcpy(out, seg, len);
	out[len] = '\0';
	return 1;
}

/*
 * {domain}: 1 to DOMAIN_NAME_MAX of [A-Za-z0-9.-], so that a name in
 * the wrong case reaches its handler and is refused naming the field.
 * Returns 1 and copies it into `out`.
 */
static int
match_domain(const char *seg, size_t len, char out[DOMAIN_NAME_MAX + 1])
{
	size_t i;

	if (len == 0 || len > DOMAIN_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((seg[i] >= 'a' && seg[i] <= 'z') ||
		    (seg[i] >= 'A' && seg[i] <= 'Z') ||
		    (seg[i] >= '0' && seg[i] <= '9') || seg[i] == '-' ||
		    seg[i] == '.'))
			return 0;
	memcpy(out, seg, len);
	out[len] = '\0';
	return 1;
}

/*
 * {version}: a template version (template_store.h).  Returns 1 and copies
 * it into `out`.
 */
static int
match_version(const char *seg, size_t len, char out[TEMPLATE_VERSION_LEN + 1])
{
	char	candidate[TEMPLATE_VERSION_LEN + 1];

	if (len != TEMPLATE_VERSION_LEN)
		return 0;
	memcpy(candidate, seg, len);
	candidate[len] = '\0';
	if (!template_version_valid(candidate))
		return 0;
	memcpy(out, candidate, sizeof(candidate));
	return 1;
}

/*
 * Matches a clean `path` against `pattern` segment by segment, with the
 * trailing slash optional on both.  Literal segments compare byte for byte,
 * so percent-encoded text never equals a literal.  Returns 1 with the
 * captures in `m`, 0 when the path is not this route's.
 */
static int
route_match(const char *pattern, const char *path, size_t len,
    struct route_match *m)
{
	const char *pseg;
	size_t plen, pi, xi, xj, xseg;

	memset(m, 0, sizeof(*m));
	m->rest = "";
	pi = 1;
	xi = 1;
	for (;;) {
		pseg = pattern + pi;
		plen = strcspn(pseg, "/");
		if (plen == 0)
			break;
		if (plen == 7 && strncmp(pseg, "{path*}", 7) == 0) {
			if (xi < len) {
				m->rest = path + xi;
				m->rest_len = len - xi;
			}
			return 1;
		}
		if (xi >= len)
			return 0;
		for (xj = xi; xj < len && path[xj] != '/'; xj++)
			continue;
		xseg = xj - xi;
		if (plen == 4 && strncmp(pseg, "{id}", 4) == 0) {
			if (!match_id(path + xi, xseg, &m->id))
				return 0;
		} else if (plen == 5 && strncmp(pseg, "{sub}", 5) == 0) {
			if (!match_sub(path + xi, xseg, m->sub))
				return 0;
		} else if (plen == 8 && strncmp(pseg, "{domain}", 8) == 0) {
			if (!match_domain(path + xi, xseg, m->domain))
				return 0;
		} else if (plen == 9 && strncmp(pseg, "{version}", 9) == 0) {
			if (!match_version(path + xi, xseg, m->version))
				return 0;
		} else if (plen != xseg || memcmp(pseg, path + xi, plen) != 0)
			return 0;
		xi = xj < len ? xj + 1 : xj;
		pi += plen;
		if (pattern[pi] == '/')
			pi++;
	}
	return xi >= len;
}

/*
 * Matches a raw path against the route table for router_dispatch() and the
 * fuzz target, against the ROUTE_PUBLIC routes alone when `public_only`.
 * Returns the first route answering `method` with its captures copied into
 * `ctx`, or NULL; *allowed collects the methods of every matching pattern.
 */
const struct route *
router_match(const char *path, size_t len, unsigned method, int public_only,
    unsigned *allowed, struct request_context *ctx)
{
	struct route_match m, found_match;
	const struct route *found = NULL;
	size_t i;

	*allowed = 0;
	if (!path_is_clean(path, len))
		return NULL;
	memset(&found_match, 0, sizeof(found_match));
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (public_only && routes[i].access != ROUTE_PUBLIC)
			continue;
		if (!route_match(routes[i].pattern, path, len, &m))
			continue;
		*allowed |= route_methods(&routes[i]);
		if (found == NULL && (route_methods(&routes[i]) & method)) {
			found = &routes[i];
			found_match = m;
		}
	}
	if (found == NULL)
		return NULL;
	ctx->route = found->pattern;
	ctx->id = found_match.id;
	memcpy(ctx->sub, found_match.sub, sizeof(ctx->sub));
	memcpy(ctx->version, found_match.version, sizeof(ctx->version));
	memcpy(ctx->domain, found_match.domain, sizeof(ctx->domain));
	ctx->rest = found_match.rest;
	ctx->rest_len = found_match.rest_len;
	return found;
}

/*
 * Writes "Allow: GET, HEAD, POST" for the methods in `methods`, the same
 * set --list-routes prints (OPTIONS is answered on every known path and
 * not listed).
 */
static int
add_allow_header(struct http_response *res, unsigned methods)
{
	char list[96];
	size_t i, used = 0;
	int n;

	list[0] = '\0';
	for (i = 0; i < sizeof(allow_order) / sizeof(allow_order[0]); i++) {
		if (!(methods & allow_order[i].method))
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s",
		    used > 0 ? ", " : "", allow_order[i].name);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			return -1;
		used += (size_t)n;
	}
	return http_header_add(res, "Allow", "%s", list);
}

/*
 * Answers a failed credential lookup: 503 when the database went away
 * under it, else 500.  Returns the status.
 */
static int
lookup_failed(struct request_context *ctx, struct http_response *res)
{
	if (db_unavailable(ctx->svc->db))
		return handler_db_unavailable(res);
	return http_reply_error(res, 500, "internal_error",
	    "could not check the credentials", NULL);
}

/*
 * Finds the Bearer token in an Authorization header.  Returns 1 with the
 * token in `token`/`len`, 0 when the header is absent or names another
 * scheme.
 */
static int
bearer_token(const char *authorization, const char **token, size_t *len)
{
	const char *p, *end;

	if (authorization == NULL ||
	    strncasecmp(authorization, "Bearer", 6) != 0 ||
	    (authorization[6] != ' ' && authorization[6] != '\t' &&
	    authorization[6] != '\0'))
		return 0;
	p = authorization + 6;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*token = p;
	*len = (size_t)(end - p);
	return 1;
}

/* Is `s` exactly AUTH_SECRET_HEX lowercase hex digits? */
static int
is_session_id(const char *s)
{
	size_t i;

	for (i = 0; i < AUTH_SECRET_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[AUTH_SECRET_HEX] == '\0';
}

/*
 * The CSRF check of a session request with an unsafe method: the token
 * from X-CSRF-Token, else the csrf_token form field, must match the
 * session's.  Returns 0 when it does, else the status written to `res`.
 */
static int
check_csrf(struct request_context *ctx, struct http_request *req,
    struct http_response *res, const char *csrf_hash)
{
	const struct form_value *v;
	const char *token = NULL;
	int status;

	if (req->csrf_header != NULL && req->csrf_header[0] != '\0')
		token = req->csrf_header;
	else {
		status = http_request_form(req, res,
		    ctx->svc->conf->max_logo_bytes);
		if (status != 0)
			return status;
		v = form_first(&req->form, "csrf_token");
		if (v != NULL && v->kind == FORM_VALUE_STRING &&
		    strlen(v->data) == v->len)
			token = v->data;
	}
	if (token != NULL && auth_csrf_matches(token, csrf_hash))
		return 0;
	return http_reply_error(res, 403, "csrf_failed",
	    "missing or wrong CSRF token", NULL);
}

/*
 * The access rule of ROUTE_ADMIN: a Bearer token, or a session cookie (plus
 * the CSRF token when the method changes something).  Fills ctx->user.
 * Returns 0 when the caller may proceed, else the status written to `res`.
 */
static int
check_admin(struct request_context *ctx, struct http_request *req,
    struct http_response *res)
{
	char sid[AUTH_SECRET_HEX + 2], csrf_hash[AUTH_HASH_HEX + 1];
	const char *token;
	size_t token_len;
	char token_copy[AUTH_TOKEN_LEN + 1];
	int rc;

	if (bearer_token(req->authorization, &token, &token_len)) {
		if (token_len != AUTH_TOKEN_LEN)
			rc = 0;
		else {
			memcpy(token_copy, token, token_len);
			token_copy[token_len] = '\0';
			rc = auth_token_lookup(ctx->svc->db, token_copy,
			    &ctx->user);
		}
		if (rc < 0)
			return lookup_failed(ctx, res);
		if (rc == 0) {
			http_header_add(res, "WWW-Authenticate", "Bearer "
			    "realm=\"tenantd\", error=\"invalid_token\"");
			return http_reply_error(res, 401, "invalid_token",
			    "invalid or revoked API token", NULL);
		}
		ctx->authenticated = 1;
		return 0;
	}
	if (http_cookie_get(req, SESSION_COOKIE, sid, sizeof(sid)) == 1 &&
	    is_session_id(sid)) {
		rc = auth_session_lookup(ctx->svc->db, sid, &ctx->user,
		    csrf_hash);
		if (rc < 0)
			return lookup_failed(ctx, res);
		if (rc == 0)
			return http_reply_error(res, 401, "session_expired",
			    "the session has expired; log in again", NULL);
		ctx->authenticated = 1;
		ctx->via_session = 1;
		if (req->method == HTTP_GET || req->method == HTTP_HEAD ||
		    req->method == HTTP_OPTIONS)
			return 0;
		return check_csrf(ctx, req, res, csrf_hash);
	}
	http_header_add(res, "WWW-Authenticate", "Bearer realm=\"tenantd\"");
	return http_reply_error(res, 401, "unauthenticated",
	    "authentication required", NULL);
}

/*
 * Runs the request through the table: 404 for an unknown path, 405 (or 204
 * for OPTIONS) with Allow for a known path and another method, 503 while a
 * route's database is down, 401/403 from the access rule, else the
 * handler.  Called by the worker once per request; always leaves a complete
 * response.  Returns the status.
 */
int
router_dispatch(struct service *svc, struct http_request *req,
    struct http_response *res)
{
	struct request_context ctx;
	const struct route *found;
	unsigned allowed = 0;
	int status;

	memset(&ctx, 0, sizeof(ctx));
	ctx.svc = svc;
	ctx.rest = "";
	if (req->method == HTTP_HEAD)
		res->head_only = 1;
	/*
	 * A FastCGI Authorizer request is the web server asking whether to
	 * let the client's request (any path, any method) through: only the
	 * module gate answers those.
	 */
	if (req->authorizer) {
		ctx.route = "authorizer";
		req->route = ctx.route;
		return handle_gate_authorizer(&ctx, req, res);
	}

	/* On a tenant host the administration does not exist, not even as 405. */
	found = router_match(req->path, req->path_len, req->method,
	    handler_request_for_tenant_host(svc, req), &allowed, &ctx);
	if (found != NULL) {
		req->route = found->pattern;
		memcpy(req->route_sub, ctx.sub, sizeof(req->route_sub));
	}
	if (found == NULL && allowed == 0)
		return http_reply_error(res, 404, "not_found",
		    "no such endpoint", NULL);
	if (found == NULL) {
		if (add_allow_header(res, allowed) < 0)
			return http_reply_error(res, 500, "internal_error",
			    "could not build the response", NULL);
		if (req->method == HTTP_OPTIONS)
			return http_reply_no_content(res);
		return http_reply_error(res, 405, "method_not_allowed",
		    "method not allowed for this endpoint", NULL);
	}

	/*
	 * An administrator's credentials are looked up in the database, so an
	 * admin route needs a live connection even when its handler does not.
	 */
	if ((found->needs_db || found->access == ROUTE_ADMIN) &&
	    db_ensure(svc->db) < 0)
		return handler_db_unavailable(res);
	if (found->access == ROUTE_ADMIN &&
	    (status = check_admin(&ctx, req, res)) != 0)
		return status;

	status = found->handler(&ctx, req, res);
	if (res->status == 0) {
		if (status >= 100 && status <= 599)
			res->status = status;
		else
			return http_reply_error(res, 500, "internal_error",
			    "the handler gave no response", NULL);
	}
	return res->status;
}
