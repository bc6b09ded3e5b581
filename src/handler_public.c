/*
 * handler_public.c - what tenant sites fetch without logging in:
 *   GET/HEAD /api/tenants/by-subdomain/{sub}/config/         config.json
 *   GET/HEAD /api/tenants/by-subdomain/{sub}/assets/{path*}  public/ files
 *
 * Neither touches the database: the file system is the truth for what a
 * tenant site shows.  An archived or deleted tenant has no folder under
 * tenants_dir, so it is a 404 with no lookup beyond one fstatat(); a
 * subdomain that cannot exist (invalid or reserved) is a 404 before any
 * system call at all.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "asset.h"
#include "conf.h"
#include "config_cache.h"
#include "handler.h"
#include "http.h"
#include "http_cache.h"
#include "log.h"
#include "mime.h"
#include "service.h"
#include "validate.h"

/* Longest offload header value: prefix or tenants_dir + sub + path. */
#define OFFLOAD_PATH_MAX	8192

#define ASSET_CACHE_CONTROL	"public, max-age=300"
#define CONFIG_CACHE_CONTROL	"no-cache"

/* What a file that could run script gets on the admin host. */
#define ASSET_SANDBOX_POLICY	"sandbox; default-src 'none'"

/*
 * This worker's config cache, made on its first config or gate request
 * (workers are forked before any request, so no two processes ever share
 * it).
 */
static struct config_cache *worker_config_cache;

/*
 * The worker's config cache, made on first use (see handler.h).  Called by
 * the config endpoint and the module gate.  Returns it, or NULL if out of
 * memory.
 */
struct config_cache *
handler_config_cache(void)
{
	if (worker_config_cache == NULL)
		worker_config_cache = config_cache_new(
		    CONFIG_CACHE_DEFAULT_ENTRIES, CONFIG_CACHE_DEFAULT_BYTES);
	return worker_config_cache;
}

/*
 * The worker's config cache if a request made it, else NULL (see
 * handler.h).  Called by the worker for its metrics after each request.
 */
struct config_cache *
handler_config_cache_if_made(void)
{
	return worker_config_cache;
}

/*
 * Can {sub} be a tenant at all: a valid subdomain that is not reserved?
 * Decided from the text alone, except through a custom domain: there the
 * host names the tenant and {sub} becomes its subdomain, whatever the
 * path said (the site's script takes the first label of the host for
 * it), so one tenant's domain never answers for another; a custom domain
 * that is not active answers for no one.  Returns 1 or 0.
 */
static int
subdomain_servable(struct request_context *ctx,
    const struct http_request *req)
{
	char	domain_sub[SUBDOMAIN_MAX + 1];
	int	rc;

	if ((rc = handler_request_domain_tenant(ctx->svc, req,
	    domain_sub)) == 1)
		memcpy(ctx->sub, domain_sub, sizeof(domain_sub));
	else if (rc == -1 ||
	    (req->tenant_domain != NULL && req->tenant_domain[0] != '\0'))
		return 0;
	return validate_subdomain(ctx->sub, strlen(ctx->sub)) == NULL &&
	    !conf_is_reserved(ctx->svc->conf, ctx->sub);
}

/* The 404 of both endpoints.  Returns 404. */
static int
reply_not_found(struct http_response *res, const char *message)
{
	return http_reply_error(res, 404, "not_found", message, NULL);
}

/*
 * GET /api/tenants/by-subdomain/{sub}/config/: the tenant's config.json
 * byte for byte, from this worker's cache when the file is unchanged, with
 * a strong ETag; If-None-Match answers 304.  Clients must revalidate
 * (no-cache), so an update is seen at the next request.
 */
HANDLER(handle_public_config)
{
	struct config_cache *cache;
	struct config_view view;
	int rc;

	if (!subdomain_servable(ctx, req))
		return reply_not_found(res, "no such tenant");
	if ((cache = handler_config_cache()) == NULL)
		return http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
	rc = config_cache_get(cache, ctx->svc->tenants_dirfd, ctx->sub, &view);
	if (rc == 0)
		return reply_not_found(res, "no such tenant");
	if (rc == -1) {
		log_error("config of %s: %s", ctx->sub, strerror(errno));
		return http_reply_error(res, 500, "internal_error",
		    "could not read the tenant configuration", NULL);
	}
	if (http_header_add(res, "ETag", "%s", view.etag) == -1 ||
	    http_header_add(res, "Cache-Control", CONFIG_CACHE_CONTROL) == -1 ||
	    http_header_add(res, "X-Content-Type-Options", "nosniff") == -1)
		return http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
	if (http_not_modified(req->if_none_match, NULL, view.etag, -1)) {
		res->status = 304;
		return 304;
	}
	if (http_header_add(res, "Content-Type",
	    "application/json; charset=utf-8") == -1 ||
	    buf_append(&res->body, view.data, view.len) == -1)
		return http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
	res->status = 200;
	return 200;
}

/*
 * Hands the file to the web server instead of sending it: nginx gets
 * X-Accel-Redirect to its internal location of tenants_dir, lighttpd
 * X-Sendfile with the full path (both percent-encoded; each decodes once).
 * Returns 0 or -1.
 */
static int
asset_offload(struct request_context *ctx, struct http_response *res,
    const char *path)
{
	const struct conf *c = ctx->svc->conf;
	char plain[OFFLOAD_PATH_MAX], encoded[OFFLOAD_PATH_MAX * 3];
	int written;

	if (c->asset_offload == CONF_ASSET_OFFLOAD_NGINX) {
		written = snprintf(plain, sizeof(plain), "/%s/public/%s",
		    ctx->sub, path);
		if (written < 0 || (size_t)written >= sizeof(plain) ||
		    asset_path_encode(plain, encoded, sizeof(encoded)) == -1)
			return -1;
		return http_header_add(res, "X-Accel-Redirect", "%s%s",
		    c->asset_offload_prefix, encoded);
	}
	written = snprintf(plain, sizeof(plain), "%s/%s/public/%s",
	    c->tenants_dir, ctx->sub, path);
	if (written < 0 || (size_t)written >= sizeof(plain) ||
	    asset_path_encode(plain, encoded, sizeof(encoded)) == -1)
		return -1;
	return http_header_add(res, "X-Sendfile", "%s", encoded);
}

/*
 * Could a file of media type `type` run script when a browser opens it:
 * HTML, SVG or any other XML (XHTML, XSLT)?  The parameters after ';' do
 * not count.  Returns 1 or 0.
 */
static int
type_is_active(const char *type)
{
	size_t len = strcspn(type, "; \t");

	return (len == 9 && strncasecmp(type, "text/html", len) == 0) ||
	    (len == 8 && strncasecmp(type, "text/xml", len) == 0) ||
	    (len == 15 && strncasecmp(type, "application/xml", len) == 0) ||
	    (len > 4 && strncasecmp(type + len - 4, "+xml", 4) == 0);
}

/*
 * GET/HEAD /api/tenants/by-subdomain/{sub}/assets/{path*}: a file of the
 * tenant's public/ folder, found by asset_open() (never outside it), with
 * its type, ETag and Last-Modified; conditional requests answer 304.  The
 * bytes are streamed by the worker, or left to the web server when
 * asset_offload is configured.  On the admin host (any host that is no
 * tenant's) a file that could run script (HTML, SVG, XML) is a download
 * in a sandbox with no rights, so a tenant's file never runs with the
 * admin origin's cookies.
 */
HANDLER(handle_public_asset)
{
	char path[ASSET_PATH_MAX + 1], etag[HTTP_ETAG_MAX];
	char modified[HTTP_DATE_MAX];
	const char *reason, *type;
	struct stat st;
	int fd = -1, rc, status, sandboxed;

	if (!subdomain_servable(ctx, req)) {
		status = reply_not_found(res, "no such tenant");
		goto out;
	}
	if ((reason = asset_path_decode(ctx->rest, ctx->rest_len, path)) !=
	    NULL) {
		log_debug("asset path of %s refused: %s", ctx->sub, reason);
		status = reply_not_found(res, "no such file");
		goto out;
	}
	rc = asset_open(ctx->svc->tenants_dirfd, ctx->sub, path, &fd, &st);
	if (rc == 0) {
		status = reply_not_found(res, "no such file");
		goto out;
	}
	if (rc == -1) {
		log_error("asset of %s: %s", ctx->sub, strerror(errno));
		status = http_reply_error(res, 500, "internal_error",
		    "could not open the file", NULL);
		goto out;
	}

	http_file_etag(&st, etag);
	if (http_date_format(st.st_mtim.tv_sec, modified) == -1)
		modified[0] = '\0';
	if (http_header_add(res, "ETag", "%s", etag) == -1 ||
	    (modified[0] != '\0' &&
	    http_header_add(res, "Last-Modified", "%s", modified) == -1) ||
	    http_header_add(res, "Cache-Control", ASSET_CACHE_CONTROL) == -1 ||
	    http_header_add(res, "X-Content-Type-Options", "nosniff") == -1)
		goto build_failed;
	if (http_not_modified(req->if_none_match, req->if_modified_since, etag,
	    modified[0] != '\0' ? st.st_mtim.tv_sec : -1)) {
		res->status = status = 304;
		goto out;
	}
	type = mime_for_open_file(ctx->svc->mime, fd, &st, path);
	if (http_header_add(res, "Content-Type", "%s", type) == -1)
		goto build_failed;
	sandboxed = type_is_active(type) &&
	    !handler_request_for_tenant_host(ctx->svc, req);
	if (sandboxed &&
	    (http_header_add(res, "Content-Disposition", "attachment") == -1 ||
	    http_header_add(res, "Content-Security-Policy", "%s",
	    ASSET_SANDBOX_POLICY) == -1))
		goto build_failed;

	/*
	 * nginx drops a Content-Security-Policy that comes with an
	 * X-Accel-Redirect, so a sandboxed file is sent from here.
	 */
	if (ctx->svc->conf->asset_offload != CONF_ASSET_OFFLOAD_NONE &&
	    !sandboxed) {
		if (asset_offload(ctx, res, path) == -1)
			goto build_failed;
		res->status = status = 200;
		goto out;
	}
	res->body_fd = fd;
	res->body_size = st.st_size;
	fd = -1;
	res->status = status = 200;
	goto out;
build_failed:
	buf_reset(&res->headers);
	status = http_reply_error(res, 500, "internal_error",
	    "could not build the response", NULL);
out:
	if (fd != -1)
		close(fd);
	return status;
}
