/*
 * status_http.h - how the outcomes of lib/ are answered over HTTP: the one
 * table from enum result (lib/result.h) to an HTTP status, an API error
 * code (SPEC section 4) and the message the client reads, and the codes of
 * bulk items that were not created.
 *
 * lib/ names outcomes ("not found", "busy", "database down"); which HTTP
 * status each one is, is decided here and nowhere else, so the same outcome
 * always reaches a client the same way.  A few codes depend on what was
 * asked (a module change's "not found" is unknown_module, a query's
 * "malformed" is malformed_query): the caller names its context and the
 * context's few overrides, kept beside the table, apply.  The table is data
 * only: http_reply_status() of http.h writes a row as a response.
 */
#ifndef TENANTD_STATUS_HTTP_H
#define TENANTD_STATUS_HTTP_H

#include "result.h"

/* What the outcome answers, for the codes that depend on it. */
enum status_context {
	STATUS_DEFAULT = 0,	/* a tenant operation or a request body */
	STATUS_MODULE_CHANGE,	/* a module change, one tenant or many */
	STATUS_QUERY,		/* a query string */
	STATUS_BULK_ITEM,	/* an item of a bulk create's report */
	STATUS_DOMAIN,		/* a custom domain's change */
	STATUS_IMPORT		/* an import of a tenant's archive */
};

/* One row of the table: what a client gets for one outcome. */
struct status_http {
	int		 status;	/* the HTTP status */
	const char	*code;		/* the API error code */
	const char	*message;	/* said instead of lib/'s explanation,
					   or NULL to say lib/'s */
	const char	*fallback;	/* said when lib/'s explanation is
					   empty, or NULL */
	const char	*field;		/* the request field the error names
					   in "fields", or NULL */
	const char	*field_message;	/* what "fields" says of it */
	int		 retry_after;	/* seconds for a Retry-After header,
					   or 0 for none */
};

/*
 * The row of `result` in context `ctx`.  RESULT_OK, or a value outside the
 * enum, gets the row of RESULT_FAILED (500), as a caller that answers
 * success as an error has a bug.  Never NULL.
 */
const struct status_http *status_http(enum status_context ctx,
	    enum result result);

/*
 * The API code of a bulk item that was not created (the "code" of an
 * entry of the report's "errors"; SPEC section 4), for
 * bulk_report_to_json(): the code of status_http(STATUS_BULK_ITEM, ...).
 * The item errors sit inside a report answered as a whole, so they have a
 * code and no HTTP status.  Never NULL.
 */
const char *status_http_bulk_item_code(enum result reason);

#endif
