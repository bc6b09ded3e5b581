/*
 * t/unit/http.c - src/http.c, src/http_cache.c, src/status_http.c and
 * src/router.c without a running database.
 *
 * Cookies, header lines, the error document, the option lookup, the
 * conditional-request helpers (ETag lists, HTTP dates, the 304 decision)
 * and the table from lib/ statuses to HTTP are checked directly.  The
 * router is driven through router_dispatch() with a service whose
 * database cannot be reached: unknown paths, wrong methods, OPTIONS and
 * the path rules are answered before any database access, and routes that
 * need the database must answer 503 with Retry-After.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulk.h"
#include "conf.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "http_cache.h"
#include "json.h"
#include "lifecycle.h"
#include "provision.h"
#include "router.h"
#include "service.h"
#include "status_http.h"
#include "tap.h"
#include "tenant_input.h"

/* Does the response carry exactly the header line "name: value"? */
static int
has_header_line(const struct http_response *res, const char *name,
    const char *value)
{
	char line[512];

	snprintf(line, sizeof(line), "%s: %s\r\n", name, value);
	return strstr(res->headers.data, line) != NULL;
}

/* Dispatches `method path` on `svc`; returns the status, keeps `res`. */
static int
dispatch(struct service *svc, const char *method, const char *path,
    struct http_response *res)
{
	struct http_request req;
	int status;

	http_request_init(&req);
	req.method_name = method;
	req.method = http_method_parse(method);
	req.path = path;
	req.path_len = strlen(path);
	http_response_release(res);
	http_response_init(res);
	status = router_dispatch(svc, &req, res);
	http_request_release(&req);
	return status;
}

static void
test_cookies(void)
{
	struct http_request req;
	char value[70];

	http_request_init(&req);
	req.cookie = "a=1; tenantd_session = abc ;x_tenantd_session=no; b=2";
	ok(http_cookie_get(&req, "tenantd_session", value,
	    sizeof(value)) == 1 && strcmp(value, "abc") == 0,
	    "cookie value found and trimmed");
	ok(http_cookie_get(&req, "b", value, sizeof(value)) == 1 &&
	    strcmp(value, "2") == 0, "last cookie found");
	ok(http_cookie_get(&req, "session", value, sizeof(value)) == 0,
	    "a name must match whole");
	req.cookie = "x_tenantd_session=no";
	ok(http_cookie_get(&req, "tenantd_session", value, sizeof(value)) == 0,
	    "a longer name with the same suffix does not match");
	req.cookie = "big=0123456789";
	ok(http_cookie_get(&req, "big", value, 5) == 0,
	    "a value longer than the buffer counts as absent");
	req.cookie = NULL;
	ok(http_cookie_get(&req, "a", value, sizeof(value)) == 0,
	    "no Cookie header");
	req.cookie = "novalue; a=";
	ok(http_cookie_get(&req, "a", value, sizeof(value)) == 1 &&
	    value[0] == '\0', "an empty value is found");
	http_request_release(&req);
}

static void
test_headers(void)
{
	struct http_response res;
	int i, added = 0;

	http_response_init(&res);
	ok(http_header_add(&res, "Retry-After", "%d", 2) == 0 &&
	    has_header_line(&res, "Retry-After", "2"), "header added");
	ok(http_header_add(&res, "X-Evil", "a\r\nSet-Cookie: x=y") == -1,
	    "CR/LF in a value is refused");
	ok(http_header_add(&res, "X-Evil", "a\nb") == -1,
	    "a bare LF is refused");
	ok(http_header_add(&res, "Bad Name", "v") == -1,
	    "a space in the name is refused");
	ok(strstr(res.headers.data, "Evil") == NULL,
	    "refused headers leave nothing behind");
	for (i = 0; i < 2 * HTTP_MAX_HEADERS; i++)
		if (http_header_add(&res, "X-N", "%d", i) == 0)
			added++;
	is_int(added, HTTP_MAX_HEADERS - 1, "at most HTTP_MAX_HEADERS lines");
	http_response_release(&res);
}

static void
test_errors(void)
{
	struct http_response res;
	struct field_errors errors;

	http_response_init(&res);
	is_int(http_reply_error(&res, 404, "not_found", "no \"such\" thing",
	    NULL), 404, "http_reply_error returns the status");
	is_string(res.body.data,
	    "{\"error\":\"no \\\"such\\\" thing\",\"code\":\"not_found\"}",
	    "error document without fields");
	memset(&errors, 0, sizeof(errors));
	is_int(http_reply_error(&res, 400, "validation_failed", "invalid",
	    &errors), 400, "empty field list");
	ok(strstr(res.body.data, "fields") == NULL,
	    "an empty field list is left out");
	field_errors_add(&errors, "name", "must not be empty");
	field_errors_add(&errors, "color", "must be a #rrggbb color");
	http_reply_error(&res, 400, "validation_failed", "invalid", &errors);
	is_string(res.body.data, "{\"error\":\"invalid\",\"code\":"
	    "\"validation_failed\",\"fields\":{\"name\":\"must not be empty\","
	    "\"color\":\"must be a #rrggbb color\"}}", "fields listed");
	is_int(http_reply_no_content(&res), 204, "204");
	is_int((long long)res.body.len, 0, "204 has no body");
	http_response_release(&res);

	is_string(http_status_text(404), "Not Found", "reason phrase");
	is_string(http_status_text(599), "Server Error", "unknown 5xx");
	is_int(http_method_parse("PATCH"), HTTP_PATCH, "PATCH parsed");
	is_int(http_method_parse("get"), HTTP_OTHER,
	    "methods are case-sensitive");
}

static void
test_scheme(void)
{
	ok(http_scheme_is_https("on", NULL), "HTTPS=on is HTTPS");
	ok(http_scheme_is_https("ON", "http"), "HTTPS=ON wins over the scheme");
	ok(http_scheme_is_https(NULL, "https"), "REQUEST_SCHEME=https is HTTPS");
	ok(!http_scheme_is_https("off", "http"), "HTTPS=off over http is not");
	ok(!http_scheme_is_https("", NULL), "an empty HTTPS param is not");
	ok(!http_scheme_is_https(NULL, NULL), "no parameters: not HTTPS");
}

static void
test_options(void)
{
	struct http_request req;
	struct http_response res;
	int value = -1;

	http_request_init(&req);
	http_response_init(&res);
	req.query = "deploy=false&async=maybe";
	req.content_type = "application/json";
	req.body = "{\"deploy\": true}";
	req.body_len = strlen(req.body);
	ok(http_option_bool(&req, &res, NULL, "deploy", &value, NULL) == 1 &&
	    value == 1, "the body wins over the query string");
	ok(http_option_bool(&req, &res, NULL, "async", &value, NULL) == 400 &&
	    strstr(res.body.data,
	    "\"async\":\"must be true or false\"") != NULL,
	    "a non-boolean option is a 400 naming the field");
	ok(http_option_bool(&req, &res, NULL, "force", &value, NULL) == 0,
	    "an absent option is 0");
	http_request_release(&req);

	http_request_init(&req);
	req.query = "force=1";
	ok(http_option_bool(&req, &res, NULL, "force", &value, NULL) == 1 &&
	    value == 1, "an option from the query string");
	http_request_release(&req);

	http_request_init(&req);
	req.content_type = "text/plain";
	req.body = "hello";
	req.body_len = 5;
	is_int(http_request_form(&req, &res, 1024), 415,
	    "an unknown body type is 415");
	ok(strstr(res.body.data, "unsupported_media_type") != NULL,
	    "with its code");
	http_request_release(&req);

	http_request_init(&req);
	req.query = "a=%zz";
	is_int(http_request_query(&req, &res), 400, "a bad escape is 400");
	http_request_release(&req);
	http_response_release(&res);
}

/* src/http_cache.c: ETag lists, HTTP dates and the 304 decision. */
static void
test_conditional(void)
{
	const char *etag = "\"abc-1-2\"";
	char date[HTTP_DATE_MAX], encoded[HTTP_ETAG_MAX];
	struct stat st;
	time_t t;

	ok(http_etag_matches("\"abc-1-2\"", etag), "the same ETag matches");
	ok(http_etag_matches("W/\"abc-1-2\"", etag),
	    "a weak ETag matches (weak comparison)");
	ok(http_etag_matches("\"x\", \"abc-1-2\"", etag),
	    "an ETag in a list matches");
	ok(http_etag_matches("\"x\",W/\"abc-1-2\" ", etag),
	    "a list without spaces matches");
	ok(http_etag_matches("*", etag), "'*' matches");
	ok(http_etag_matches(" * ", etag), "'*' with spaces matches");
	ok(!http_etag_matches("\"abc-1-3\"", etag), "another ETag does not");
	ok(!http_etag_matches("\"abc-1-2", etag),
	    "an unterminated ETag does not");
	ok(!http_etag_matches("abc-1-2", etag), "an unquoted ETag does not");
	ok(!http_etag_matches("\"abc\"-1-2\"", etag),
	    "a tag with junk after its quote does not");
	ok(!http_etag_matches("", etag), "an empty header does not");
	ok(!http_etag_matches("*, \"x\"", etag), "'*' in a list is malformed");
	ok(!http_etag_matches(NULL, etag), "no header does not");

	ok(http_date_format(784111777, date) == 0, "a date formats");
	is_string(date, "Sun, 06 Nov 1994 08:49:37 GMT",
	    "  as an RFC 7231 IMF-fixdate");
	ok(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t) == 0 &&
	    t == 784111777, "an IMF-fixdate parses");
	ok(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t) == -1,
	    "the RFC 850 form is ignored");
	ok(http_date_parse("Sun Nov  6 08:49:37 1994", &t) == -1,
	    "the asctime form is ignored");
	ok(http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t) == -1,
	    "a zone other than GMT is refused");
	ok(http_date_parse("Sun, 36 Nov 1994 08:49:37 GMT", &t) == -1,
	    "day 36 is refused");
	ok(http_date_parse("Sun, 06 Nox 1994 08:49:37 GMT", &t) == -1,
	    "an unknown month is refused");
	ok(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT ", &t) == -1,
	    "trailing bytes are refused");

	ok(http_not_modified(etag, NULL, etag, 100), "If-None-Match match: 304");
	ok(!http_not_modified("\"x\"", "Sun, 06 Nov 2094 08:49:37 GMT", etag,
	    100), "If-None-Match decides over If-Modified-Since");
	ok(http_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", etag,
	    784111777), "not modified since exactly then: 304");
	ok(!http_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", etag,
	    784111778), "modified a second later: 200");
	ok(!http_not_modified(NULL, "yesterday", etag, 100),
	    "an unparsable date: 200");
	ok(!http_not_modified(NULL, "Sun, 06 Nov 1994 08:49:37 GMT", etag, -1),
	    "no Last-Modified: If-Modified-Since is ignored");
	ok(!http_not_modified(NULL, NULL, etag, 100), "no condition: 200");

	memset(&st, 0, sizeof(st));
	st.st_ino = 0x1234;
	st.st_size = 0x99;
	st.st_mtim.tv_sec = 1;
	st.st_mtim.tv_nsec = 5;
	http_file_etag(&st, encoded);
	is_string(encoded, "\"1234-99-3b9aca05\"",
	    "the asset ETag is inode-size-mtime ns in hex");
}

/*
 * src/status_http.c through http_reply_status(): each kind of row (lib/'s
 * message, a fixed one, a fallback, a named field, Retry-After) and the
 * 500 a success status falls back to.
 */
static void
test_status_rows(void)
{
	const struct {
		const struct status_http *row;
		const char	*message;	/* lib/'s explanation */
		int		 status;
		const char	*body;		/* the document, or a piece */
		const char	*name;
	} cases[] = {
		{ status_http(STATUS_DEFAULT, RESULT_TAKEN), "taken", 409,
		    "{\"error\":\"taken\",\"code\":\"subdomain_taken\"}",
		    "a taken subdomain: 409 with provision.c's message" },
		{ status_http(STATUS_DEFAULT, RESULT_NOT_FOUND), "ignored", 404,
		    "{\"error\":\"tenant not found\",\"code\":\"not_found\"}",
		    "a missing tenant: 404 with the table's own message" },
		{ status_http(STATUS_DEFAULT, RESULT_CONFLICT), "in the way",
		    409,
		    "\"code\":\"conflict\"",
		    "a lifecycle conflict: 409 conflict, not subdomain_taken" },
		{ status_http(STATUS_MODULE_CHANGE, RESULT_INVALID), NULL, 400,
		    "{\"error\":\"a core module cannot be disabled\",\"code\":"
		    "\"core_module\",\"fields\":{\"is_enabled\":"
		    "\"core modules are always enabled\"}}",
		    "a core module: 400 naming the field" },
		{ status_http(STATUS_DEFAULT, RESULT_MALFORMED), "", 400,
		    "\"malformed request body\"",
		    "a malformed body: the fallback when the parser said "
		    "nothing" },
		{ status_http(STATUS_QUERY, RESULT_MALFORMED), "x", 400,
		    "\"code\":\"malformed_query\"",
		    "a malformed query: 400 malformed_query" },
		{ status_http(STATUS_QUERY, RESULT_TOO_LARGE), "x", 413,
		    "\"code\":\"body_too_large\"",
		    "a query past the limits: 413 as a body" },
		{ status_http(STATUS_DEFAULT, RESULT_OK), "oops", 500,
		    "\"code\":\"internal_error\"",
		    "a success answered as an error: 500" }
	};
	struct http_response res;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_response_init(&res);
		ok(http_reply_status(&res, cases[i].row, cases[i].message) ==
		    cases[i].status && strstr(res.body.data, cases[i].body) !=
		    NULL, "%s", cases[i].name);
		ok(!has_header_line(&res, "Retry-After", "2"),
		    "  without Retry-After");
		http_response_release(&res);
	}

	http_response_init(&res);
	is_int(http_reply_status(&res,
	    status_http(STATUS_MODULE_CHANGE, RESULT_DB_DOWN), "x"),
	    503, "a database that is down is 503");
	ok(has_header_line(&res, "Retry-After", "2"), "  with Retry-After: 2");
	ok(strstr(res.body.data, "\"database_unavailable\"") != NULL,
	    "  code database_unavailable");
	http_response_release(&res);

	/* The codes of a bulk report's errors, as SPEC section 4 names them. */
	is_string(status_http_bulk_item_code(RESULT_INVALID),
	    "validation_failed", "bulk item invalid: validation_failed");
	is_string(status_http_bulk_item_code(RESULT_DUPLICATE), "duplicate",
	    "bulk item repeated in the batch: duplicate");
	is_string(status_http_bulk_item_code(RESULT_TAKEN), "subdomain_taken",
	    "bulk item with a taken subdomain: subdomain_taken");
	is_string(status_http_bulk_item_code(RESULT_FAILED), "failed",
	    "bulk item not saved: failed");
	is_string(status_http_bulk_item_code((enum result)99), "failed",
	    "an item error outside the table: failed");
}

/* Options from a JSON body the handler parsed itself (bulk requests). */
static void
test_json_options(void)
{
	static const char body[] = "{\"atomic\": true, \"deploy\": \"yes\"}";
	struct http_request req;
	struct http_response res;
	struct field_errors errors;
	struct json_value *root;
	char err[128];
	int value = -1;

	http_request_init(&req);
	http_response_init(&res);
	memset(&errors, 0, sizeof(errors));
	req.query = "force=off&async=1&async=0";
	root = json_parse(body, sizeof(body) - 1, err, sizeof(err));
	ok(root != NULL, "the body parses");
	if (root == NULL)
		goto out;
	ok(http_option_bool(&req, &res, root, "atomic", &value, &errors) == 1 &&
	    value == 1, "a JSON boolean of the body");
	is_int(http_option_bool(&req, &res, root, "deploy", &value, &errors),
	    -1, "a JSON string is no boolean in a JSON body");
	ok(http_option_bool(&req, &res, root, "force", &value, &errors) == 1 &&
	    value == 0, "the query string when the body has none");
	is_int(http_option_bool(&req, &res, root, "async", &value, &errors),
	    -1, "an option given twice is no answer");
	is_int((long long)errors.count, 2, "both recorded in the field list");
	is_int(res.status, 0, "nothing written with a field list");
out:
	json_free(root);
	http_request_release(&req);
	http_response_release(&res);
}

static void
test_router(struct service *svc)
{
	static const char *not_found[] = {
		"/", "/api", "/api/nope", "/api//healthz", "/api/healthz//",
		"/api/./healthz", "/api/tenants/../healthz", "/api/%68ealthz",
		"/api/tenants/0/", "/api/tenants/007/", "/api/tenants/-1/",
		"/api/tenants/1234567890123456789/", "/api/tenants/1x/",
		"/api/tenants/1/2/", "/API/healthz", "api/healthz", ""
	};
	struct http_response res;
	const struct route *routes;
	size_t i, count;

	http_response_init(&res);
	for (i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++)
		ok(dispatch(svc, "GET", not_found[i], &res) == 404 &&
		    strstr(res.body.data, "\"code\":\"not_found\"") != NULL,
		    "GET \"%s\" is 404", not_found[i]);

	is_int(dispatch(svc, "DELETE", "/api/tenants", &res), 405,
	    "DELETE /api/tenants is 405");
	ok(has_header_line(&res, "Allow", "GET, HEAD, POST"),
	    "Allow lists GET, HEAD, POST");
	ok(strstr(res.body.data, "method_not_allowed") != NULL,
	    "405 code");
	is_int(dispatch(svc, "PUT", "/api/tenants/42/", &res), 405,
	    "PUT on a tenant is 405");
	ok(has_header_line(&res, "Allow", "DELETE, GET, HEAD, PATCH"),
	    "Allow for /api/tenants/{id}/ is sorted");
	is_int(dispatch(svc, "get", "/api/healthz", &res), 405,
	    "a lower-case method is 405");
	is_int(dispatch(svc, "OPTIONS", "/api/tenants/42/update_module", &res),
	    204, "OPTIONS on a known path is 204");
	ok(has_header_line(&res, "Allow", "POST"), "with its Allow header");
	is_int((long long)res.body.len, 0, "and no body");
	is_int(dispatch(svc, "HEAD", "/api/auth/login", &res), 405,
	    "HEAD on a POST-only route is 405");
	ok(res.head_only == 1, "HEAD responses drop the body");

	is_int(dispatch(svc, "GET", "/api/tenants/42", &res), 503,
	    "an admin route answers 503 while the database is down");
	ok(has_header_line(&res, "Retry-After", "2") &&
	    strstr(res.body.data, "database_unavailable") != NULL,
	    "with Retry-After and its code");
	is_int(dispatch(svc, "GET", "/api/tenants/statistics", &res), 503,
	    "statistics is not taken for an {id}");
	is_int(dispatch(svc, "HEAD", "/api/healthz/", &res), 503,
	    "healthz reports the database (trailing slash, HEAD)");

	routes = router_routes(&count);
	ok(count >= 12, "the route table has the initial routes");
	for (i = 0; i < count; i++)
		ok(routes[i].pattern[0] == '/' && routes[i].handler != NULL &&
		    routes[i].methods != 0, "route %s is well formed",
		    routes[i].pattern);
	http_response_release(&res);
}

int
main(void)
{
	struct conf c;
	struct service svc;
	char err[256];

	test_cookies();
	test_headers();
	test_errors();
	test_scheme();
	test_options();
	test_conditional();
	test_status_rows();
	test_json_options();

	if (conf_init(&c) == -1) {
		ok(0, "conf_init");
		done_testing();
		return exit_status();
	}
	ok(conf_set(&c, "db_socket", "/nonexistent/tenantd-unit-test.sock",
	    err, sizeof(err)) == 0, "the database socket points nowhere");
	memset(&svc, 0, sizeof(svc));
	svc.conf = &c;
	svc.tenants_dirfd = -1;
	svc.db = db_open(&c);
	ok(svc.db != NULL, "a database handle without a server");
	if (svc.db != NULL)
		test_router(&svc);
	db_close(svc.db);
	conf_release(&c);
	done_testing();
	return exit_status();
}
