/*
 * handler_domains.c - a tenant's custom domains (SPEC 11):
 *   GET    /api/tenants/{id}/domains/                   list
 *   POST   /api/tenants/{id}/domains/                   add {domain}
 *   POST   /api/tenants/{id}/domains/{domain}/verify/   verify by DNS TXT
 *   DELETE /api/tenants/{id}/domains/{domain}/          remove
 *
 * The rule for a name is domain_name.c's, the rows and the look-up are
 * domain.c's; the handlers read the request and answer the outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "domain.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "service.h"
#include "status_http.h"
#include "tenant_input.h"

/* Room for the message of a domain operation (a DNS answer quoted). */
#define DOMAIN_ERR_MAX	600

/*
 * Answers an outcome of domain.c: a refused name is a 400 naming field
 * "domain", the rest goes through status_http.h's table.  Returns the
 * status.
 */
static int
reply_result(struct http_response *res, enum result rs, const char *err)
{
	struct field_errors errors;

	if (rs == RESULT_INVALID) {
		memset(&errors, 0, sizeof(errors));
		field_errors_add(&errors, "domain", "%s", err);
		return http_reply_error(res, 400, "validation_failed",
		    "invalid domain", &errors);
	}
	return http_reply_result(res, STATUS_DOMAIN, rs, err);
}

/* Answers `status` with domain `d` as the API's object. */
static int
reply_domain(struct http_response *res, int status, const struct domain *d)
{
	yajl_gen g;
	int rc;

	if ((g = json_gen_new()) == NULL || domain_to_json(g, d) == -1)
		rc = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
	else
		rc = http_reply_json(res, status, g);
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}

/*
 * The {domain} of the path, checked by the rule of domain_name.h:
 * returns 0, or the 400 written to `res`.
 */
static int
path_domain(struct request_context *ctx, struct http_response *res)
{
	const char *why;

	why = domain_name_check(ctx->domain, strlen(ctx->domain),
	    ctx->svc->conf->base_domain);
	return why == NULL ? 0 : reply_result(res, RESULT_INVALID, why);
}

/* One domain of the list, for handler_reply_array(). */
static int
domain_item(yajl_gen g, const void *item)
{
	return domain_to_json(g, item);
}

/*
 * GET /api/tenants/{id}/domains/ -> 200 with the tenant's domains by
 * name; 404 for an unknown tenant.
 */
HANDLER(handle_tenant_domains_list)
{
	struct domain *items = NULL;
	size_t count = 0;
	int status;

	if ((status = handler_tenant_known(ctx, res)) != 0)
		return status;
	if (domain_list(ctx->svc->db, ctx->id, &items, &count) == -1)
		return handler_db_error(res, ctx->svc->db);
	status = handler_reply_array(res, items, count, sizeof(*items),
	    domain_item);
	free(items);
	return status;
}

/*
 * POST /api/tenants/{id}/domains/ {domain} -> 201 with the pending
 * domain and the TXT record to create; 400 naming `domain`; 404; 409
 * domain_taken or archived.
 */
HANDLER(handle_tenant_domains_add)
{
	struct field_errors errors;
	struct domain d;
	const char *name = NULL;
	size_t len = 0;
	enum result rs;
	char err[DOMAIN_ERR_MAX];
	int status;

	memset(&errors, 0, sizeof(errors));
	if ((status = http_request_form(req, res, 0)) != 0)
		return status;
	if (handler_string_field(&req->form, "domain", &name, &len,
	    &errors) == 0)
		field_errors_add(&errors, "domain", "this field is required");
	if (errors.count > 0)
		return http_reply_error(res, 400, "validation_failed",
		    "invalid domain", &errors);
	err[0] = '\0';
	rs = domain_add(ctx->svc, ctx->id, name, len,
	    ctx->user.id, &d, err, sizeof(err));
	if (rs != RESULT_OK)
		return reply_result(res, rs, err);
	return reply_domain(res, 201, &d);
}

/*
 * Verifies (`verify`) or removes the {domain} of tenant ctx->id: 200
 * with the domain, or 204; the refusals as reply_result() answers them.
 */
static int
path_operation(struct request_context *ctx, struct http_response *res,
    int verify)
{
	struct domain d;
	enum result rs;
	char err[DOMAIN_ERR_MAX];
	int status;

	if ((status = path_domain(ctx, res)) != 0)
		return status;
	err[0] = '\0';
	rs = verify ? domain_verify(ctx->svc, ctx->id, ctx->domain,
	    ctx->user.id, &d, err, sizeof(err)) : domain_remove(ctx->svc,
	    ctx->id, ctx->domain, ctx->user.id, err, sizeof(err));
	if (rs != RESULT_OK)
		return reply_result(res, rs, err);
	return verify ? reply_domain(res, 200, &d) :
	    http_reply_no_content(res);
}

/*
 * POST /api/tenants/{id}/domains/{domain}/verify/ -> 200 with the
 * domain, active; 409 not_verified saying what the DNS holds; 404.
 */
HANDLER(handle_tenant_domain_verify)
{
	return path_operation(ctx, res, 1);
}

/* DELETE /api/tenants/{id}/domains/{domain}/ -> 204; 404. */
HANDLER(handle_tenant_domain_delete)
{
	return path_operation(ctx, res, 0);
}
