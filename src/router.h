/*
 * router.h - from a URL to its handler.
 *
 * The route table in router.c is the map of the API: every endpoint is one
 * line giving its path pattern, methods, whether it needs an administrator,
 * and its handler.  The auth matrix test is generated from the same table
 * (tenantd --list-routes), so a new endpoint cannot escape it.
 *
 * Patterns are literal segments and placeholders: {id} (a positive decimal
 * integer), {sub} (a subdomain-shaped segment), {domain} (1 to 253 bytes
 * of [A-Za-z0-9.-], judged by its handler) and {path*} (the rest of the
 * path, still percent-encoded).  A trailing slash is optional on every
 * route.  A path that matches a pattern with another method gets 405 with
 * an Allow header.
 */
#ifndef TENANTD_ROUTER_H
#define TENANTD_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"

struct http_request;
struct http_response;
struct service;

/* What a handler gets besides the request and the response. */
struct request_context {
	struct service	*svc;
	struct auth_user user;		/* valid when authenticated */
	int		 authenticated;	/* 1 after a session or token check */
	int		 via_session;	/* authenticated by cookie */
	int64_t		 id;		/* {id} of the route, if any */
	char		 sub[64];	/* {sub} of the route, if any */
	char		 version[16];	/* {version} of the route, if any */
	char		 domain[254];	/* {domain} of the route, if any */
	const char	*rest;		/* {path*} of the route, if any */
	size_t		 rest_len;
	const char	*route;		/* the matched pattern, for logs */
};

typedef int (*handler_fn)(struct request_context *ctx,
    struct http_request *req, struct http_response *res);

/*
 * Who may call a route, and on which hosts.  A tenant host is one that
 * names a tenant site: the front end sent TENANT_SUBDOMAIN, or the Host is
 * one label under base_domain.  Tenant sites are another origin, run a
 * tenant's own files, and must not reach the administration (nor its
 * login form) with the admin's cookies; there only ROUTE_PUBLIC routes
 * answer, and every other path is 404.
 */
enum route_access {
	ROUTE_PUBLIC,		/* anyone, on any host: what tenant sites use */
	ROUTE_ADMIN_HOST,	/* anyone, on the admin host only (login) */
	ROUTE_ADMIN		/* session (+CSRF when unsafe) or Bearer token,
				   on the admin host only */
};

struct route {
	const char	*pattern;	/* "/api/tenants/{id}/" */
	unsigned	 methods;	/* HTTP_GET | HTTP_POST ... */
	enum route_access access;
	int		 needs_db;	/* answer 503 while the DB is down */
	handler_fn	 handler;
};

/*
 * Finds the route for `req`, enforces its access rule and runs its handler.
 * Always leaves a complete response in `res` (404, 405, 401, 403, 503 ...).
 * Returns the status.
 */
int	router_dispatch(struct service *svc, struct http_request *req,
	    struct http_response *res);

/* The route table, for --list-routes and the auth matrix test. */
const struct route *router_routes(size_t *count);

/*
 * The pure part of dispatching, also used by the fuzz target: matches the
 * raw `path` of `len` bytes against the table (its ROUTE_PUBLIC routes
 * alone when `public_only`, as for a request to a tenant host).  Returns
 * the first route answering `method` (with its captures in ctx->id, sub,
 * rest, rest_len and route), or NULL.  *allowed gets the methods of every
 * route whose pattern matches, for 404 (none) versus 405 (some).
 */
const struct route *router_match(const char *path, size_t len,
	    unsigned method, int public_only, unsigned *allowed,
	    struct request_context *ctx);

#endif
