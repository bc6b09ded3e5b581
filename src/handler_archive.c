/*
 * handler_archive.c - a tenant's archive over HTTP (SPEC 13):
 *   GET  /api/tenants/{id}/export/[?with_template=1]   the archive
 *   POST /api/tenants/import/[?subdomain=SUB]          201 with the tenant
 *
 * The export is written to an unnamed temporary file below tenants_dir
 * (O_TMPFILE: nothing to clean up, never in memory) and the worker
 * streams it as the body.  The import takes the archive as the body
 * (application/zstd, application/octet-stream, application/x-tar or no
 * type) or as the `file` part of a multipart form (with an optional
 * `subdomain` field); the compressed archive is a request body like any
 * other, bounded by max_body_bytes (413 past it).  The work is
 * tenant_export.c's and tenant_import.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "form.h"
#include "form_header.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "service.h"
#include "status_http.h"
#include "tenant.h"
#include "tenant_archive.h"
#include "tenant_export.h"
#include "tenant_import.h"
#include "tenant_input.h"
#include "validate.h"

#define ARCHIVE_MEDIA_TYPE	"application/zstd"

/*
 * GET /api/tenants/{id}/export/ -> 200 with the archive as an attachment;
 * 404 unknown tenant, 409 archived or busy.
 */
HANDLER(handle_tenant_export)
{
	struct tenant	 t;
	enum result	 rs;
	char		 err[256], name[SUBDOMAIN_MAX + 64];
	off_t		 size;
	int		 fd = -1, found, status, with_template = 0;

	tenant_init(&t);
	if ((status = http_option_bool(req, res, NULL, "with_template",
	    &with_template, NULL)) > 1)
		goto out;
	if ((found = tenant_find_by_id(ctx->svc->db, ctx->id, &t)) != 1) {
		status = found == 0 ? http_reply_result(res, STATUS_DEFAULT,
		    RESULT_NOT_FOUND, NULL) : handler_db_error(res,
		    ctx->svc->db);
		goto out;
	}
	if ((fd = openat(ctx->svc->tenants_dirfd, ".", O_TMPFILE | O_RDWR |
	    O_CLOEXEC, 0600)) == -1) {
		log_error("export of %s: no temporary file: %s", t.subdomain,
		    strerror(errno));
		status = http_reply_result(res, STATUS_DEFAULT, RESULT_FAILED,
		    "could not make a temporary file");
		goto out;
	}
	if ((rs = tenant_export(ctx->svc, &t, with_template, ctx->user.id, fd,
	    err, sizeof(err))) != RESULT_OK) {
		status = http_reply_result(res, STATUS_DEFAULT, rs, err);
		goto out;
	}
	if ((size = lseek(fd, 0, SEEK_CUR)) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1 ||
	    tenant_export_file_name(t.subdomain, (long long)time(NULL), name,
	    sizeof(name)) == -1 ||
	    http_header_add(res, "Content-Type", ARCHIVE_MEDIA_TYPE) == -1 ||
	    http_header_add(res, "Content-Disposition",
	    "attachment; filename=\"%s\"", name) == -1 ||
	    /* It holds the tenant's .env.local: kept by no cache. */
	    http_header_add(res, "Cache-Control", "no-store") == -1) {
		status = http_reply_result(res, STATUS_DEFAULT, RESULT_FAILED,
		    "could not send the archive");
		goto out;
	}
	res->status = status = 200;
	res->body_fd = fd;
	res->body_size = size;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	tenant_release(&t);
	return status;
}

/*
 * Is the request's Content-Type one an archive body may have (see
 * above)?  Returns 1 or 0.
 */
static int
archive_media_type(const char *type)
{
	static const char *const accepted[] = { ARCHIVE_MEDIA_TYPE,
	    "application/octet-stream", "application/x-tar",
	    "application/x-zstd" };
	const char	*end;
	size_t		 i, len;

	if (type == NULL)
		return 1;
	end = type + strlen(type);
	form_skip_space(&type, end);
	len = strcspn(type, "; \t");
	if (len == 0)
		return 1;
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		if (form_equal_nocase(type, len, accepted[i]))
			return 1;
	return 0;
}

/*
 * Finds the archive and the subdomain to import under in `req`: the body,
 * or the `file` part of a multipart body; `subdomain` from that form or
 * the query string.  Returns 0, or the status of the error written.
 */
static int
import_request(struct http_request *req, struct http_response *res,
    size_t max_file, struct tenant_archive_source *src, const char **as_sub)
{
	const struct form_value	*file;
	struct field_errors	 errors;
	const char		*sub = NULL;
	size_t			 sub_len = 0;
	int			 status, rc;

	memset(&errors, 0, sizeof(errors));
	src->fd = -1;
	src->data = req->body;
	src->len = req->body_len;
	if ((status = http_request_query(req, res)) != 0)
		return status;
	rc = handler_string_field(&req->query_form, "subdomain", &sub,
	    &sub_len, &errors);
	if (req->content_type != NULL && strncasecmp(req->content_type,
	    "multipart/form-data", 19) == 0) {
		if ((status = http_request_form(req, res, max_file)) != 0)
			return status;
		if (rc == 0)
			rc = handler_string_field(&req->form, "subdomain",
			    &sub, &sub_len, &errors);
		if ((file = form_first(&req->form, "file")) == NULL ||
		    (file->kind != FORM_VALUE_FILE &&
		    file->kind != FORM_VALUE_FILE_TOO_LARGE))
			field_errors_add(&errors, "file", "an archive is "
			    "required");
		else if (file->kind == FORM_VALUE_FILE_TOO_LARGE)
			return http_reply_result(res, STATUS_DEFAULT,
			    RESULT_TOO_LARGE, "the archive is too large");
		else {
			src->data = file->data;
			src->len = file->len;
		}
	} else if (!archive_media_type(req->content_type))
		return http_reply_result(res, STATUS_DEFAULT,
		    RESULT_UNSUPPORTED, "an import takes the archive as "
		    ARCHIVE_MEDIA_TYPE " or as the file of a multipart form");
	if (rc == 1 && strlen(sub) != sub_len)
		field_errors_add(&errors, "subdomain", "must be text");
	if (errors.count > 0)
		return http_reply_error(res, 400, "validation_failed",
		    "invalid input", &errors);
	*as_sub = rc == 1 ? sub : NULL;
	return 0;
}

/*
 * POST /api/tenants/import/ -> 201 with the tenant; 400 a refused archive,
 * 409 subdomain or domain taken, or template version missing.
 */
HANDLER(handle_tenants_import)
{
	struct tenant_archive_source	 src;
	struct tenant			 t;
	const char			*as_sub = NULL;
	enum result			 rs;
	char				 err[512];
	int				 status;

	tenant_init(&t);
	if (req->body_too_large) {
		status = http_reply_result(res, STATUS_DEFAULT,
		    RESULT_TOO_LARGE, "request body too large");
		goto out;
	}
	if ((status = import_request(req, res, ctx->svc->conf->max_body_bytes,
	    &src, &as_sub)) != 0)
		goto out;
	if ((rs = tenant_import(ctx->svc, &src, as_sub, ctx->user.id, &t, err,
	    sizeof(err))) != RESULT_OK) {
		status = http_reply_result(res, STATUS_IMPORT, rs, err);
		goto out;
	}
	status = handler_reply_tenant(ctx, res, 201, &t, NULL);
out:
	tenant_release(&t);
	return status;
}
