/*
 * status_http.c - the table from the outcomes of lib/ to HTTP (see
 * status_http.h).
 *
 * Rows several enums share are written once below and named; each enum's
 * table is indexed by its values, so an outcome added to an enum needs one
 * line here.  A status outside its table (a value cast from elsewhere, or
 * *_OK) falls back to the unexplained failure rather than reading past the
 * table.
 */
#include <stddef.h>

#include "bulk.h"
#include "form.h"
#include "lifecycle.h"
#include "provision.h"
#include "status_http.h"

/* The database cannot be reached: come back in two seconds. */
#define ROW_DB_DOWN { 503, "database_unavailable", \
	"the database is unavailable; try again shortly", NULL, NULL, NULL, 2 }

/* The tenant the request names does not exist. */
#define ROW_TENANT_NOT_FOUND { 404, "not_found", "tenant not found", NULL, \
	NULL, NULL, 0 }

/* Another deploy, archive or restore of the tenant runs or is queued. */
#define ROW_BUSY { 409, "busy", NULL, NULL, NULL, NULL, 0 }

/* A disk or database error, explained by lib/'s message. */
#define ROW_FAILED { 500, "internal_error", NULL, NULL, NULL, NULL, 0 }

static const struct status_http db_down = ROW_DB_DOWN;
static const struct status_http failed = ROW_FAILED;

static const struct status_http provision_rows[] = {
	[PROVISION_NOT_FOUND] = ROW_TENANT_NOT_FOUND,
	[PROVISION_CONFLICT] = { 409, "subdomain_taken", NULL, NULL, NULL,
	    NULL, 0 },
	[PROVISION_INVALID] = { 400, "validation_failed", NULL, NULL, NULL,
	    NULL, 0 },
	[PROVISION_DB_DOWN] = ROW_DB_DOWN,
	[PROVISION_BUSY] = ROW_BUSY,
	[PROVISION_FAILED] = ROW_FAILED
};

static const struct status_http lifecycle_rows[] = {
	[LIFECYCLE_NOT_FOUND] = ROW_TENANT_NOT_FOUND,
	[LIFECYCLE_BUSY] = ROW_BUSY,
	[LIFECYCLE_CONFLICT] = { 409, "conflict", NULL, NULL, NULL, NULL, 0 },
	[LIFECYCLE_DB_DOWN] = ROW_DB_DOWN,
	[LIFECYCLE_FAILED] = ROW_FAILED
};

static const struct status_http bulk_rows[] = {
	[BULK_UNKNOWN_MODULE] = { 400, "unknown_module", "unknown module",
	    NULL, "module_key", "unknown module", 0 },
	[BULK_CORE_MODULE] = { 400, "core_module",
	    "a core module cannot be disabled", NULL, "is_enabled",
	    "core modules are always enabled", 0 },
	[BULK_DB_DOWN] = ROW_DB_DOWN,
	[BULK_FAILED] = ROW_FAILED
};

/* The codes of bulk items not created, inside a bulk create's report. */
static const char *const bulk_item_codes[] = {
	[BULK_ITEM_FAILED] = "failed",
	[BULK_ITEM_INVALID] = "validation_failed",
	[BULK_ITEM_DUPLICATE] = "duplicate",
	[BULK_ITEM_TAKEN] = "subdomain_taken"
};

static const struct status_http form_rows[] = {
	[FORM_MALFORMED] = { 400, "malformed_body", NULL,
	    "malformed request body", NULL, NULL, 0 },
	[FORM_UNSUPPORTED] = { 415, "unsupported_media_type", NULL,
	    "unsupported content type", NULL, NULL, 0 },
	[FORM_TOO_LARGE] = { 413, "body_too_large", NULL,
	    "a request field is too large", NULL, NULL, 0 },
	[FORM_NO_MEMORY] = { 500, "internal_error", "out of memory", NULL,
	    NULL, NULL, 0 }
};

/* A query string is no body: its syntax errors say so. */
static const struct status_http query_malformed = { 400, "malformed_query",
	NULL, "malformed query string", NULL, NULL, 0 };

/*
 * Row `index` of a table of `count` rows, or the unexplained failure for
 * an index without one (a success status has code NULL).
 */
static const struct status_http *
row(const struct status_http *rows, size_t count, int index)
{
	if (index < 0 || (size_t)index >= count || rows[index].code == NULL)
		return &failed;
	return &rows[index];
}

#define ROW(rows, index) \
	row((rows), sizeof(rows) / sizeof((rows)[0]), (int)(index))

const struct status_http *
status_http_provision(enum provision_status s)
{
	return ROW(provision_rows, s);
}

const struct status_http *
status_http_lifecycle(enum lifecycle_status s)
{
	return ROW(lifecycle_rows, s);
}

const struct status_http *
status_http_bulk(enum bulk_status s)
{
	return ROW(bulk_rows, s);
}

/* An item error outside the table is an unexplained failure. */
const char *
status_http_bulk_item_code(enum bulk_item_error reason)
{
	size_t	index = (size_t)reason;

	if (index >= sizeof(bulk_item_codes) / sizeof(bulk_item_codes[0]) ||
	    bulk_item_codes[index] == NULL)
		return bulk_item_codes[BULK_ITEM_FAILED];
	return bulk_item_codes[index];
}

const struct status_http *
status_http_form(enum form_status s)
{
	return ROW(form_rows, s);
}

const struct status_http *
status_http_query(enum form_status s)
{
	if (s == FORM_MALFORMED)
		return &query_malformed;
	return ROW(form_rows, s);
}

const struct status_http *
status_http_db_down(void)
{
	return &db_down;
}
