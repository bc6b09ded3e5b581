/*
 * gate.h - the module gate: may the tenant of a request's host use the API
 * of a module?
 *
 * The web server asks before it passes /api/m/<module>/... on to the
 * module's backend: nginx with auth_request to GET /api/gate?module=<key>,
 * lighttpd through FastCGI's Authorizer role on the request itself.  The
 * answer comes from the tenant's config.json alone (its "modules" map, as
 * the worker's config cache keeps it), so a question costs one fstatat()
 * and no database query; a module toggled through the API is seen by the
 * next question, whichever worker answers it.
 *
 * The tenant is always the one of the request's own host, never a
 * parameter, so one tenant's site cannot learn another tenant's answer.
 *
 * The functions here know nothing of HTTP; src/handler_gate.c turns their
 * answers into responses.
 */
#ifndef TENANTD_GATE_H
#define TENANTD_GATE_H

#include <stddef.h>

struct config_cache;

/* The URL prefix of module APIs; the module key is the segment after it. */
#define GATE_MODULE_PREFIX	"/api/m/"

/* The longest path segment after the module key the gate judges. */
#define GATE_SEGMENT_MAX	1024

/* The longest Host header the gate looks at. */
#define GATE_HOST_MAX		255

enum gate_answer {
	GATE_ALLOW = 0,		/* the module is enabled for the tenant */
	GATE_MODULE_DISABLED,	/* the tenant's plan does not include it */
	GATE_UNKNOWN_MODULE,	/* config.json names no such module */
	GATE_TENANT_ARCHIVED,	/* the tenant's folder is in archive_dir */
	GATE_NO_TENANT,		/* no tenant of that subdomain */
	GATE_FAILED		/* could not tell (errno set) */
};

/*
 * The subdomain of a tenant host: `host` (a Host header, any case, with an
 * optional :port and one optional trailing dot) must be exactly one DNS
 * label, a dot and `base_domain`.  Copies the label, lower-cased, into
 * `out` (of `outlen` bytes).  Returns 1, or 0 when `host` is no tenant
 * host (NULL, an IP address, another domain, two labels, an invalid label,
 * too long).  Reserved names are the caller's to refuse.
 */
int	gate_host_subdomain(const char *host, const char *base_domain,
	    char *out, size_t outlen);

/*
 * The module key of a module API path ("/api/m/<key>" or
 * "/api/m/<key>/..."; `len` bytes of `path`, no query), as FastCGI's
 * Authorizer role sees it: the raw path the client sent.  The web server
 * and the module's backend each read that path their own way, so a path
 * that any of them could read as naming another module is refused rather
 * than guessed at: empty segments (but for one trailing slash), segments
 * of dots only ("." and ".." and "..."), ';' path parameters and '\'
 * however written, control bytes, malformed escapes, percent-encoded '.',
 * '/' or '%', and segments over GATE_SEGMENT_MAX bytes.  Returns 1 with
 * the key in `out` (of `outlen` bytes), 0 when the path is not below
 * GATE_MODULE_PREFIX or its key is not a module key, -1 when it is
 * refused.
 */
int	gate_module_from_path(const char *path, size_t len, char *out,
	    size_t outlen);

/*
 * The gate's answer for module `module_key` of tenant `subdomain` (both
 * valid; reserved subdomains refused by the caller): from the tenant's
 * config.json under `tenants_dirfd` through `cache`, and only when there
 * is none, one stat() of archive_dir/<subdomain>/config.json to tell an
 * archived tenant (GATE_TENANT_ARCHIVED) from an unknown one.
 * `archive_dir` may be NULL or "" (no archive).
 */
enum gate_answer gate_check(struct config_cache *cache, int tenants_dirfd,
	    const char *archive_dir, const char *subdomain,
	    const char *module_key);

#endif
