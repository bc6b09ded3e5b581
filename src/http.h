/*
 * http.h - one HTTP request and its response, as handlers see them.
 *
 * worker.c fills a struct http_request from the FastCGI parameters and body
 * and sends the struct http_response back; handlers and the router work on
 * these plain structs only, so they know nothing of the FastCGI library.
 *
 * Ownership: the request's strings point into the FastCGI parameter block
 * or into buffers the worker owns for the duration of the request.  The
 * response owns its header lines and body, and body_fd when a handler
 * answers with a file (the worker streams body_size bytes of it instead of
 * `body`); http_response_release() frees them and closes the file.
 */
#ifndef TENANTD_HTTP_H
#define TENANTD_HTTP_H

#include <sys/types.h>

#include <stddef.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "form.h"
#include "status_http.h"

struct field_errors;

enum http_method {
	HTTP_OTHER = 0,
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PATCH = 1 << 3,
	HTTP_PUT = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6
};

#define HTTP_MAX_HEADERS	16

struct http_request {
	enum http_method method;
	const char	*method_name;	/* REQUEST_METHOD as sent */
	const char	*path;		/* raw path of REQUEST_URI, no query */
	size_t		 path_len;
	const char	*query;		/* raw query string, "" if none */
	const char	*content_type;	/* CONTENT_TYPE or NULL */
	const char	*cookie;	/* HTTP_COOKIE or NULL */
	const char	*authorization;	/* HTTP_AUTHORIZATION or NULL */
	const char	*csrf_header;	/* HTTP_X_CSRF_TOKEN or NULL */
	const char	*if_none_match;	/* HTTP_IF_NONE_MATCH or NULL */
	const char	*if_modified_since;
	const char	*host;		/* HTTP_HOST or NULL */
	const char	*tenant_subdomain; /* TENANT_SUBDOMAIN param from the
					      front end, or NULL */
	const char	*tenant_domain;	/* TENANT_DOMAIN param: set by the
					   front end's server for custom
					   domains, or NULL */
	const char	*remote_addr;	/* REMOTE_ADDR or "" */
	int		 authorizer;	/* FCGI_ROLE is AUTHORIZER: the web
					   server asks whether to let the
					   request through (handler_gate.c) */
	const char	*forward_uri;	/* REDIRECT_URI: the target an
					   authorizing web server passes on
					   after its own normalisation, when
					   it differs from REQUEST_URI; or
					   NULL */
	int		 https;		/* came over TLS, see
					   http_scheme_is_https() */
	const char	*body;		/* request body (NUL-terminated) */
	size_t		 body_len;
	int		 body_too_large;/* CONTENT_LENGTH passed the limit */
	size_t		 max_json_nodes;/* budget of a JSON body's parse */

	/* Set by router_dispatch() for the request log and the metrics. */
	const char	*route;		/* the matched pattern, or NULL */
	char		 route_sub[64];	/* {sub} of that route, or "" */

	/* Parsed lazily by http_request_form() / http_request_query(). */
	struct form	 form;
	int		 form_parsed;
	struct form	 query_form;
	int		 query_parsed;
};

struct http_response {
	int		 status;
	struct buf	 headers;	/* "Name: value\r\n" lines */
	struct buf	 body;
	int		 head_only;	/* HEAD: send headers, drop body */
	int		 body_fd;	/* -1, or a file sent as the body */
	off_t		 body_size;	/* bytes of body_fd to send */
};

void	http_request_init(struct http_request *r);
void	http_request_release(struct http_request *r);

void	http_response_init(struct http_response *res);
void	http_response_release(struct http_response *res);

/* Parses "GET", "POST", ... into an enum http_method. */
enum http_method http_method_parse(const char *name);

/* The reason phrase of a status code ("Not Found"). */
const char *http_status_text(int status);

/*
 * Did the request reach the front end over HTTPS, going by the FastCGI
 * parameters HTTPS and REQUEST_SCHEME (either may be NULL)?  Returns 1 or 0.
 */
int	http_scheme_is_https(const char *https, const char *request_scheme);

/*
 * The request body as a form (parsed once).  Returns 0, or the HTTP status
 * the client gets (400, 413, 415, 500) with the error already written to
 * `res`.
 */
int	http_request_form(struct http_request *r, struct http_response *res,
	    size_t max_file_bytes);

/* The query string as a form (parsed once): 0, or 400 written to `res`. */
int	http_request_query(struct http_request *r, struct http_response *res);

/*
 * Yes/no input, read one way everywhere.  http_value_bool() judges one
 * value: a JSON true/false, or text parse_bool() of lib/validate.c accepts
 * ("true", "1", "on", "yes" and their opposites); 0 with *value set, or -1.
 */
int	http_value_bool(const struct form_value *v, int *value);

/*
 * Field `name` of `form` as one boolean (given once, judged as above).
 * Returns 1 with *value set, 0 when absent, or -1 with "must be true or
 * false" recorded in `errors`.
 */
int	http_form_bool(const struct form *form, const char *name, int *value,
	    struct field_errors *errors);

/*
 * An option that may come from the body or the query string (SPEC section
 * 9), such as deploy=false or async=true.  Body wins.  The body is the
 * request form, or `json_body` when the handler parsed a JSON body itself
 * (then only a JSON boolean counts).  Returns 1 and sets *value, 0 when
 * absent, -1 when not a boolean (recorded in `errors`; with `errors` NULL
 * the 400 validation_failed is written here and returned instead), or the
 * status written to `res` when the body or query cannot be parsed.
 */
struct json_value;
int	http_option_bool(struct http_request *r, struct http_response *res,
	    const struct json_value *json_body, const char *name, int *value,
	    struct field_errors *errors);

/* The value of cookie `name`, copied into `out`; 1 found, 0 not. */
int	http_cookie_get(const struct http_request *r, const char *name,
	    char *out, size_t outlen);

/* Adds a header line; the value must not contain CR or LF.  0 or -1. */
int	http_header_add(struct http_response *res, const char *name,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Sets status and a JSON body from what `g` generated.  Returns `status`
 * (so handlers can `return http_reply_json(...)`).
 */
int	http_reply_json(struct http_response *res, int status, yajl_gen g);

/*
 * The error document of SPEC section 4:
 * {"error": message, "code": code, "fields": {...}}.  `fields` may be NULL.
 * Returns `status`.
 */
int	http_reply_error(struct http_response *res, int status,
	    const char *code, const char *message,
	    const struct field_errors *fields);

/*
 * Answers with a row of status_http.h's table (the HTTP status, API code
 * and message of a lib/ outcome); `message` is lib/'s explanation, said
 * when the row has no message of its own.  Returns the status.
 */
struct status_http;
int	http_reply_status(struct http_response *res,
	    const struct status_http *row, const char *message);

/*
 * Answers lib/'s outcome `result` in context `ctx` with its row of
 * status_http.h's table; the way handlers answer an enum result.
 * Returns the status.
 */
int	http_reply_result(struct http_response *res, enum status_context ctx,
	    enum result result, const char *message);

/* 204 No Content.  Returns 204. */
int	http_reply_no_content(struct http_response *res);

#endif
