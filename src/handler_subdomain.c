/*
 * handler_subdomain.c - GET /api/tenants/check-subdomain/?subdomain=x, the
 * admin UI's "is this subdomain free?" question, asked while the operator
 * types.
 *
 * The answer is advice, not a reservation: a create that races another one
 * still gets 409 from the unique index.  The checks run in the order a
 * create would fail them (shape, reserved list, existing tenant), so the
 * reason shown next to the field is the one the create would give.
 */
#include <string.h>

#include "conf.h"
#include "db.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "service.h"
#include "tenant.h"
#include "tenant_input.h"
#include "validate.h"

/*
 * Longest text echoed back: a few times the longest label, so a pasted
 * paragraph is refused outright instead of being checked and echoed.
 */
#define CHECK_SUBDOMAIN_MAX_BYTES	255

/*
 * Writes {"subdomain", "available", "reason", "message"} with status 200.
 * `reason` is NULL when the subdomain is available.  Returns the status.
 */
static int
reply_check(struct http_response *res, const char *subdomain,
    const char *reason, const char *message)
{
	yajl_gen g = NULL;
	int status;

	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "subdomain", subdomain) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "available", reason == NULL) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "reason", reason) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "message", message) != yajl_gen_status_ok ||
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
 * GET /api/tenants/check-subdomain/?subdomain=x -> 200 with "available"
 * and, when it is not, the reason: "invalid" (not one DNS label),
 * "reserved" (conf's reserved list) or "taken" (a tenant has it, archived
 * ones included).  A missing, repeated, over-long or non-UTF-8 parameter
 * is 400: there is nothing sensible to echo.
 */
HANDLER(handle_check_subdomain)
{
	struct field_errors errors;
	struct tenant tenant;
	const char *subdomain = NULL, *message;
	size_t len = 0;
	int status, rc;

	memset(&errors, 0, sizeof(errors));
	tenant_init(&tenant);
	if ((status = http_request_query(req, res)) != 0)
		goto out;
	rc = handler_string_field(&req->query_form, "subdomain", &subdomain,
	    &len, &errors);
	if (rc == 0)
		field_errors_add(&errors, "subdomain", "this field is required");
	else if (rc == 1 && (len > CHECK_SUBDOMAIN_MAX_BYTES ||
	    utf8_length(subdomain, len) < 0))
		field_errors_add(&errors, "subdomain",
		    "must be valid UTF-8 of at most %d bytes",
		    CHECK_SUBDOMAIN_MAX_BYTES);
	if (errors.count > 0) {
		status = http_reply_error(res, 400, "validation_failed",
		    "invalid subdomain check", &errors);
		goto out;
	}

	if ((message = validate_subdomain(subdomain, len)) != NULL) {
		status = reply_check(res, subdomain, "invalid", message);
		goto out;
	}
	if (conf_is_reserved(ctx->svc->conf, subdomain)) {
		status = reply_check(res, subdomain, "reserved",
		    "this subdomain is reserved");
		goto out;
	}
	rc = tenant_find_by_subdomain(ctx->svc->db, subdomain, &tenant);
	if (rc < 0)
		status = handler_db_error(res, ctx->svc->db);
	else if (rc == 1)
		status = reply_check(res, subdomain, "taken",
		    "another tenant already uses this subdomain");
	else
		status = reply_check(res, subdomain, NULL,
		    "this subdomain is available");
out:
	tenant_release(&tenant);
	return status;
}
