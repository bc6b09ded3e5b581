/*
 * http.c - the request and response structs that handlers work on.
 *
 * Nothing here knows about FastCGI: worker.c fills a struct http_request and
 * sends a struct http_response.  This file parses what handlers ask for
 * lazily (the body as a form, the query string, cookies, yes/no options),
 * writes the rows of status_http.c's table as responses, and builds the
 * JSON error document of SPEC section 4 so every error looks the same.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "form.h"
#include "http.h"
#include "json.h"
#include "status_http.h"
#include "tenant_input.h"
#include "validate.h"

/* Header lines a response may carry, in bytes. */
#define HTTP_HEADERS_MAX_BYTES	(16 * 1024)

/* The largest response body (tenant assets are served through it). */
#define HTTP_BODY_MAX_BYTES	(64 * 1024 * 1024)

/* The longest single header value a handler may format. */
#define HTTP_HEADER_VALUE_MAX	4096

/* Room for a parser's error message. */
#define HTTP_PARSE_ERROR_MAX	256

static const struct {
	const char	*name;
	enum http_method method;
} http_methods[] = {
	{ "GET", HTTP_GET },
	{ "HEAD", HTTP_HEAD },
	{ "POST", HTTP_POST },
	{ "PATCH", HTTP_PATCH },
	{ "PUT", HTTP_PUT },
	{ "DELETE", HTTP_DELETE },
	{ "OPTIONS", HTTP_OPTIONS }
};

static const struct {
	int		 status;
	const char	*text;
} http_statuses[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 409, "Conflict" },
	{ 411, "Length Required" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" }
};

/*
 * Prepares an empty request: no body, every optional header absent, the
 * lazily parsed forms not yet parsed.  Called by the worker before filling
 * it and by tests.
 */
void
http_request_init(struct http_request *r)
{
	memset(r, 0, sizeof(*r));
	r->method_name = "";
	r->path = "/";
	r->path_len = 1;
	r->query = "";
	r->remote_addr = "";
	r->body = "";
	r->max_json_nodes = form_default_limits.max_json_nodes;
	form_init(&r->form);
	form_init(&r->query_form);
}

/*
 * Frees what the request parsed on demand.  The strings it points at belong
 * to the worker and are left alone.
 */
void
http_request_release(struct http_request *r)
{
	form_release(&r->form);
	form_release(&r->query_form);
	r->form_parsed = 0;
	r->query_parsed = 0;
}

/* Prepares an empty response with bounded header and body buffers. */
void
http_response_init(struct http_response *res)
{
	res->status = 0;
	buf_init(&res->headers, HTTP_HEADERS_MAX_BYTES);
	buf_init(&res->body, HTTP_BODY_MAX_BYTES);
	res->head_only = 0;
	res->body_fd = -1;
	res->body_size = 0;
}

/*
 * Frees the header lines and body and closes the body file; the response
 * may be initialised again.
 */
void
http_response_release(struct http_response *res)
{
	buf_release(&res->headers);
	buf_release(&res->body);
	if (res->body_fd != -1)
		close(res->body_fd);
	res->body_fd = -1;
	res->body_size = 0;
}

/*
 * Maps REQUEST_METHOD onto the enum.  Method names are case-sensitive
 * (RFC 9110), so "get" is HTTP_OTHER and ends in 405 or 404.
 */
enum http_method
http_method_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return HTTP_OTHER;
	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strcmp(name, http_methods[i].name) == 0)
			return http_methods[i].method;
	return HTTP_OTHER;
}

/*
 * The reason phrase the worker puts after the status code.  Unknown codes
 * get a generic phrase rather than nothing, since the Status line needs one.
 */
const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof(http_statuses) / sizeof(http_statuses[0]); i++)
		if (http_statuses[i].status == status)
			return http_statuses[i].text;
	if (status >= 500)
		return "Server Error";
	if (status >= 400)
		return "Client Error";
	return "Unknown";
}

/*
 * nginx sends HTTPS=on only for TLS connections (fastcgi_param HTTPS $https
 * if_not_empty) and lighttpd and Apache do the same; REQUEST_SCHEME is the
 * other common way to say it.  Both come from the front end, never from a
 * client's headers.
 */
int
http_scheme_is_https(const char *https, const char *request_scheme)
{
	if (https != NULL && strcasecmp(https, "on") == 0)
		return 1;
	return request_scheme != NULL &&
	    strcasecmp(request_scheme, "https") == 0;
}

/*
 * Parses the request body into r->form the first time a handler (or the
 * router's CSRF check) asks, and answers from that parse afterwards, so the
 * limits of the first call hold for the request.  `max_file_bytes` is the
 * largest file the caller accepts; a larger file part is not copied but
 * still reaches the validator (FORM_VALUE_FILE_TOO_LARGE), which answers
 * with a field error.  Returns 0, or the status written to `res`.
 */
int
http_request_form(struct http_request *r, struct http_response *res,
    size_t max_file_bytes)
{
	struct form_limits limits;
	char err[HTTP_PARSE_ERROR_MAX];
	enum result status;

	if (r->form_parsed == 1)
		return 0;
	if (r->body_too_large)
		return http_reply_result(res, STATUS_DEFAULT, RESULT_TOO_LARGE,
		    "request body too large");
	limits = form_default_limits;
	limits.max_file_bytes = max_file_bytes;
	limits.max_json_nodes = r->max_json_nodes;
	err[0] = '\0';
	form_release(&r->form);
	form_init(&r->form);
	status = form_parse_body(&r->form, r->content_type, r->body,
	    r->body_len, &limits, err, sizeof(err));
	if (status != RESULT_OK) {
		form_release(&r->form);
		form_init(&r->form);
		return http_reply_result(res, STATUS_DEFAULT, status, err);
	}
	r->form_parsed = 1;
	return 0;
}

/*
 * Parses the query string into r->query_form on first use.  Returns 0, or
 * 400 (413 when a field passes the limits) written to `res`.
 */
int
http_request_query(struct http_request *r, struct http_response *res)
{
	char err[HTTP_PARSE_ERROR_MAX];
	enum result status;

	if (r->query_parsed == 1)
		return 0;
	err[0] = '\0';
	form_release(&r->query_form);
	form_init(&r->query_form);
	status = form_parse_urlencoded(&r->query_form, r->query,
	    strlen(r->query), &form_default_limits, err, sizeof(err));
	if (status == RESULT_OK) {
		r->query_parsed = 1;
		return 0;
	}
	form_release(&r->query_form);
	form_init(&r->query_form);
	return http_reply_result(res, STATUS_QUERY, status, err);
}

/*
 * Judges one value as a yes/no answer: a JSON true/false, or text that
 * parse_bool() of lib/validate.c accepts ("true", "0", "off", ...), with
 * no NUL inside.  Returns 0 with *value set, or -1.
 */
int
http_value_bool(const struct form_value *v, int *value)
{
	if (v->kind != FORM_VALUE_BOOL && v->kind != FORM_VALUE_STRING)
		return -1;
	if (strlen(v->data) != v->len || parse_bool(v->data, value) < 0)
		return -1;
	return 0;
}

/*
 * Reads field `name` of `form` as one boolean.  A field given twice, or as
 * a JSON array, is no answer.  Returns 1 with *value set, 0 when absent,
 * or -1 after recording "must be true or false" in `errors`.
 */
int
http_form_bool(const struct form *form, const char *name, int *value,
    struct field_errors *errors)
{
	const struct form_field *field;

	if ((field = form_get(form, name)) == NULL || field->count == 0)
		return 0;
	if (field->count > 1 || field->from_array ||
	    http_value_bool(&field->values[0], value) < 0) {
		field_errors_add(errors, name, "must be true or false");
		return -1;
	}
	return 1;
}

/*
 * Reads option `name` from a JSON body the handler parsed itself, where
 * only a JSON boolean is one.  Same returns as http_form_bool().
 */
static int
json_option_bool(const struct json_value *body, const char *name,
    int *value, struct field_errors *errors)
{
	const struct json_value *v;

	if ((v = json_object_get(body, name)) == NULL)
		return 0;
	if (v->type != JSON_BOOL) {
		field_errors_add(errors, name, "must be true or false");
		return -1;
	}
	*value = v->boolean;
	return 1;
}

/*
 * Looks up option `name` (deploy, async, force, atomic ...) in the body
 * first and the query string second (SPEC section 9).  A form body that
 * was not parsed yet is parsed here with the default file limit.  Returns
 * 1 with *value set, 0 when absent, -1 when the option is not a boolean
 * (recorded in `errors`; without `errors`, answered here instead), or the
 * 4xx status written to `res` when a body or query cannot be parsed.
 */
int
http_option_bool(struct http_request *r, struct http_response *res,
    const struct json_value *json_body, const char *name, int *value,
    struct field_errors *errors)
{
	struct field_errors own;
	struct field_errors *e = errors != NULL ? errors : &own;
	int status, rc;

	memset(&own, 0, sizeof(own));
	if (json_body != NULL)
		rc = json_option_bool(json_body, name, value, e);
	else if ((status = http_request_form(r, res,
	    form_default_limits.max_file_bytes)) != 0)
		return status;
	else
		rc = http_form_bool(&r->form, name, value, e);
	if (rc == 0) {
		if ((status = http_request_query(r, res)) != 0)
			return status;
		rc = http_form_bool(&r->query_form, name, value, e);
	}
	if (rc >= 0 || errors != NULL)
		return rc;
	return http_reply_error(res, 400, "validation_failed",
	    "invalid request", &own);
}

/*
 * Finds cookie `name` in the Cookie header ("a=b; c=d") and copies its value,
 * spaces trimmed, into `out`.  Names match whole; a value that does not fit
 * in `outlen` bytes counts as absent, as no cookie of ours is that long.
 * Returns 1 found, 0 not.
 */
int
http_cookie_get(const struct http_request *r, const char *name, char *out,
    size_t outlen)
{
	const char *p, *end, *eq, *value, *value_end;
	size_t name_len;

	if (r->cookie == NULL || outlen == 0)
		return 0;
	name_len = strlen(name);
	p = r->cookie;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			value_end = eq;
			while (value_end > p &&
			    (value_end[-1] == ' ' || value_end[-1] == '\t'))
				value_end--;
			if ((size_t)(value_end - p) == name_len &&
			    memcmp(p, name, name_len) == 0) {
				value = eq + 1;
				while (value < end && (*value == ' ' ||
				    *value == '\t'))
					value++;
				value_end = end;
				while (value_end > value && (value_end[-1] ==
				    ' ' || value_end[-1] == '\t'))
					value_end--;
				if ((size_t)(value_end - value) > outlen - 1)
					return 0;
				memcpy(out, value, (size_t)(value_end - value));
				out[value_end - value] = '\0';
				return 1;
			}
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return 0;
}

/* Is `name` a header field name (RFC 9110 token characters)? */
static int
header_name_valid(const char *name)
{
	const char *p;

	if (name[0] == '\0')
		return 0;
	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			continue;
		if (strchr("!#$%&'*+-.^_`|~", *p) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Appends the header line "name: value" formatted from `fmt`.  A value
 * with CR, LF or NUL, a bad name, too many headers or one too long is
 * refused, so no input can split a response.  Returns 0 or -1.
 */
int
http_header_add(struct http_response *res, const char *name,
    const char *fmt, ...)
{
	char value[HTTP_HEADER_VALUE_MAX];
	size_t i, lines = 0;
	va_list ap;
	int n;

	if (!header_name_valid(name))
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value))
		return -1;
	if (strpbrk(value, "\r\n") != NULL)
		return -1;
	for (i = 0; i < res->headers.len; i++)
		if (res->headers.data[i] == '\n')
			lines++;
	if (lines >= HTTP_MAX_HEADERS)
		return -1;
	return buf_printf(&res->headers, "%s: %s\r\n", name, value);
}

/*
 * Replaces the body with what `g` generated and sets `status`.  If the
 * document does not fit the body limit the client gets a 500 instead of a
 * truncated document.  Returns the status sent.
 */
int
http_reply_json(struct http_response *res, int status, yajl_gen g)
{
	buf_reset(&res->body);
	if (json_gen_to_buf(g, &res->body) < 0) {
		buf_reset(&res->body);
		return http_reply_error(res, 500, "internal_error",
		    "response too large", NULL);
	}
	res->status = status;
	return status;
}

/*
 * Writes the fixed document used when even the error document could not be
 * generated (out of memory).  Returns 500.
 */
static int
reply_bare_500(struct http_response *res)
{
	static const char doc[] =
	    "{\"error\":\"internal error\",\"code\":\"internal_error\"}";

	buf_reset(&res->body);
	res->status = 500;
	if (buf_append(&res->body, doc, sizeof(doc) - 1) < 0)
		buf_release(&res->body);
	return 500;
}

/*
 * Writes {"error": message, "code": code, "fields": {...}} with `status`;
 * "fields" is left out when there are none.  Returns `status`.
 */
int
http_reply_error(struct http_response *res, int status, const char *code,
    const char *message, const struct field_errors *fields)
{
	yajl_gen g;
	size_t i;
	int failed = 0;

	if ((g = json_gen_new()) == NULL)
		return reply_bare_500(res);
	failed |= yajl_gen_map_open(g) != yajl_gen_status_ok;
	failed |= json_gen_kv_string(g, "error", message) != yajl_gen_status_ok;
	failed |= json_gen_kv_string(g, "code", code) != yajl_gen_status_ok;
	if (fields != NULL && fields->count > 0) {
		failed |= json_gen_key(g, "fields") != yajl_gen_status_ok;
		failed |= yajl_gen_map_open(g) != yajl_gen_status_ok;
		for (i = 0; i < fields->count && i < FIELD_ERRORS_MAX; i++)
			failed |= json_gen_kv_string(g, fields->items[i].field,
			    fields->items[i].message) != yajl_gen_status_ok;
		failed |= yajl_gen_map_close(g) != yajl_gen_status_ok;
	}
	failed |= yajl_gen_map_close(g) != yajl_gen_status_ok;
	buf_reset(&res->body);
	if (failed || json_gen_to_buf(g, &res->body) < 0) {
		yajl_gen_free(g);
		return reply_bare_500(res);
	}
	yajl_gen_free(g);
	res->status = status;
	return status;
}

/*
 * Writes the error document of a status_http.h row: the row's own message,
 * else `message` (lib/'s explanation), else the row's fallback; the field
 * the row names under "fields"; Retry-After when the row asks for it.
 * Returns the row's status.
 */
int
http_reply_status(struct http_response *res, const struct status_http *row,
    const char *message)
{
	struct field_errors fields;
	const char *said;

	said = row->message != NULL ? row->message :
	    message != NULL ? message : "";
	if (said[0] == '\0' && row->fallback != NULL)
		said = row->fallback;
	if (row->retry_after > 0)
		http_header_add(res, "Retry-After", "%d", row->retry_after);
	memset(&fields, 0, sizeof(fields));
	if (row->field != NULL)
		field_errors_add(&fields, row->field, "%s", row->field_message);
	return http_reply_error(res, row->status, row->code, said, &fields);
}

/* See http.h. */
int
http_reply_result(struct http_response *res, enum status_context ctx,
    enum result result, const char *message)
{
	return http_reply_status(res, status_http(ctx, result), message);
}

/* Empties the body and sets 204.  Returns 204. */
int
http_reply_no_content(struct http_response *res)
{
	buf_reset(&res->body);
	res->status = 204;
	return 204;
}
