/*
 * status_http.c - the table from the outcomes of lib/ to HTTP (see
 * status_http.h).
 *
 * One row per enum result, indexed by its value, so an outcome added to
 * result.h needs one line here; then, per context, the few rows that
 * differ from the default.  A value outside the table (cast from
 * elsewhere, or RESULT_OK) is answered as RESULT_FAILED rather than read
 * past the table.
 */
#include <stddef.h>

#include "result.h"
#include "status_http.h"

static const struct status_http rows[] = {
	[RESULT_NOT_FOUND] = { 404, "not_found", "tenant not found", NULL,
	    NULL, NULL, 0 },
	[RESULT_INVALID] = { 400, "validation_failed", NULL, NULL, NULL, NULL,
	    0 },
	[RESULT_TAKEN] = { 409, "subdomain_taken", NULL, NULL, NULL, NULL, 0 },
	[RESULT_DUPLICATE] = { 409, "duplicate", NULL, NULL, NULL, NULL, 0 },
	[RESULT_BUSY] = { 409, "busy", NULL, NULL, NULL, NULL, 0 },
	[RESULT_ARCHIVED] = { 409, "archived", "the tenant is archived; "
	    "restore the tenant first", NULL, NULL, NULL, 0 },
	[RESULT_CONFLICT] = { 409, "conflict", NULL, NULL, NULL, NULL, 0 },
	[RESULT_MALFORMED] = { 400, "malformed_body", NULL,
	    "malformed request body", NULL, NULL, 0 },
	[RESULT_UNSUPPORTED] = { 415, "unsupported_media_type", NULL,
	    "unsupported content type", NULL, NULL, 0 },
	[RESULT_TOO_LARGE] = { 413, "body_too_large", NULL,
	    "a request field is too large", NULL, NULL, 0 },
	[RESULT_NO_MEMORY] = { 500, "internal_error", "out of memory", NULL,
	    NULL, NULL, 0 },
	/* Come back in two seconds: the worker reconnects. */
	[RESULT_DB_DOWN] = { 503, "database_unavailable",
	    "the database is unavailable; try again shortly", NULL, NULL,
	    NULL, 2 },
	/* A disk or database error, explained by lib/'s message. */
	[RESULT_FAILED] = { 500, "internal_error", NULL, NULL, NULL, NULL, 0 }
};

/* A row that differs from the default in one context. */
struct status_override {
	enum status_context	 ctx;
	enum result		 result;
	struct status_http	 row;
};

static const struct status_override overrides[] = {
	/* The module a change names is missing, or a core one. */
	{ STATUS_MODULE_CHANGE, RESULT_NOT_FOUND, { 400, "unknown_module",
	    "unknown module", NULL, "module_key", "unknown module", 0 } },
	{ STATUS_MODULE_CHANGE, RESULT_INVALID, { 400, "core_module",
	    "a core module cannot be disabled", NULL, "is_enabled",
	    "core modules are always enabled", 0 } },
	/* A query string is no body: its syntax errors say so. */
	{ STATUS_QUERY, RESULT_MALFORMED, { 400, "malformed_query", NULL,
	    "malformed query string", NULL, NULL, 0 } },
	/* A custom domain: lib/ says whether the tenant or the domain is
	   missing, and what the DNS holds when it is not verified. */
	{ STATUS_DOMAIN, RESULT_NOT_FOUND, { 404, "not_found", NULL,
	    "not found", NULL, NULL, 0 } },
	{ STATUS_DOMAIN, RESULT_TAKEN, { 409, "domain_taken", NULL, NULL,
	    NULL, NULL, 0 } },
	{ STATUS_DOMAIN, RESULT_CONFLICT, { 409, "not_verified", NULL,
	    "the TXT record does not hold the token", NULL, NULL, 0 } },
	/* An import: the archive is refused, one of its domains is another
	   tenant's, or its template version is missing here. */
	{ STATUS_IMPORT, RESULT_INVALID, { 400, "invalid_archive", NULL,
	    NULL, NULL, NULL, 0 } },
	{ STATUS_IMPORT, RESULT_DUPLICATE, { 409, "domain_taken", NULL, NULL,
	    NULL, NULL, 0 } },
	{ STATUS_IMPORT, RESULT_CONFLICT, { 409, "template_missing", NULL,
	    NULL, NULL, NULL, 0 } },
	/* An item not created for a disk or database error, or rolled back. */
	{ STATUS_BULK_ITEM, RESULT_FAILED, { 500, "failed", NULL, NULL, NULL,
	    NULL, 0 } }
};

const struct status_http *
status_http(enum status_context ctx, enum result result)
{
	size_t	i, index = (size_t)result;

	if (index >= sizeof(rows) / sizeof(rows[0]) || rows[index].code == NULL)
		result = RESULT_FAILED;
	for (i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
		if (overrides[i].ctx == ctx && overrides[i].result == result)
			return &overrides[i].row;
	return &rows[result];
}

const char *
status_http_bulk_item_code(enum result reason)
{
	return status_http(STATUS_BULK_ITEM, reason)->code;
}
