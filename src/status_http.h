/*
 * status_http.h - how the outcomes of lib/ are answered over HTTP: the one
 * table from the status enums of provision.h, lifecycle.h, bulk.h and
 * form.h to an HTTP status, an API error code (SPEC section 4) and the
 * message the client reads, and from bulk.h's item errors to their codes.
 *
 * lib/ names outcomes ("not found", "busy", "database down"); which HTTP
 * status each one is, is decided here and nowhere else, so the same outcome
 * always reaches a client the same way.  The table is data only:
 * http_reply_status() of http.h writes a row as a response.
 */
#ifndef TENANTD_STATUS_HTTP_H
#define TENANTD_STATUS_HTTP_H

enum bulk_item_error;
enum bulk_status;
enum form_status;
enum lifecycle_status;
enum provision_status;

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
 * The row of one status.  A success status (the enums' *_OK) has no row of
 * its own and gets the row of an unexplained failure (500), as a caller
 * that answers success as an error has a bug.  Never NULL.
 */
const struct status_http *status_http_provision(enum provision_status s);
const struct status_http *status_http_lifecycle(enum lifecycle_status s);
const struct status_http *status_http_bulk(enum bulk_status s);

/*
 * The API code of a bulk item that was not created (the "code" of an
 * entry of the report's "errors"; SPEC section 4), for
 * bulk_report_to_json().  The item errors sit inside a report answered as
 * a whole, so they have a code and no HTTP status.  Never NULL.
 */
const char *status_http_bulk_item_code(enum bulk_item_error reason);

/* A request body that could not be parsed (http_request_form()). */
const struct status_http *status_http_form(enum form_status s);

/* A query string that could not be parsed (http_request_query()). */
const struct status_http *status_http_query(enum form_status s);

/* The database is down (503 with Retry-After, the worker reconnects). */
const struct status_http *status_http_db_down(void);

#endif
