/*
 * handler_auth.c - session login for the admin UI: POST /api/auth/login,
 * POST /api/auth/logout, GET /api/auth/me.
 *
 * A login sets the session cookie (HttpOnly, SameSite=Strict, Secure over
 * HTTPS or when configured) and returns the CSRF token the UI must send
 * with every unsafe request.  Scripts use API tokens (Authorization: Bearer) instead and never
 * come here.  Failed logins are throttled per address, per user name and
 * address, and per user name (auth_login_attempt()).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "form.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "service.h"
#include "tenant_input.h"
#include "validate.h"

#define SESSION_COOKIE	"tenantd_session"

/*
 * The largest login body read: a user name and password at their limits
 * (USERNAME_MAX, PASSWORD_MAX), each byte escaped as \uXXXX, plus the
 * framing of a multipart form, fit in it many times over.  Checked before
 * the body is parsed or the throttle consulted, so an anonymous client
 * cannot make a worker build a large tree.
 */
#define LOGIN_BODY_MAX	(16 * 1024)

/* Writes {"id", "username", "created_at"} for `user` under key "user". */
static void
user_to_json(yajl_gen g, const struct auth_user *user)
{
	json_gen_key(g, "user");
	yajl_gen_map_open(g);
	json_gen_kv_int(g, "id", user->id);
	json_gen_kv_string(g, "username", user->username);
	json_gen_kv_string(g, "created_at",
	    user->created_at[0] != '\0' ? user->created_at : NULL);
	yajl_gen_map_close(g);
}

/*
 * Adds the Set-Cookie header for session `sid` (or, with sid NULL, one that
 * makes the browser forget the cookie).  The cookie is Secure when the
 * request came over HTTPS, so a browser never sends it back in clear, or
 * always with cookie_secure, for a front end behind a TLS proxy that cannot
 * tell.
 */
static int
set_session_cookie(struct http_response *res, const struct conf *c,
    const struct http_request *req, const char *sid)
{
	return http_header_add(res, "Set-Cookie",
	    "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	    SESSION_COOKIE, sid != NULL ? sid : "",
	    sid != NULL ? c->session_ttl : 0,
	    c->cookie_secure || req->https ? "; Secure" : "");
}

/*
 * Answers a login request without a user name or password (`missing_username`,
 * `missing_password`): 400 with `errors`, and a message that says how the
 * body was read, so that JSON sent as a form (curl -d sends
 * application/x-www-form-urlencoded) is named as such instead of looking
 * like a form without the fields.  Returns 400.
 */
static int
reply_login_missing(const struct http_request *req, struct http_response *res,
    int missing_username, int missing_password,
    const struct field_errors *errors)
{
	const char *media_type = req->form.media_type, *which;
	char message[384];

	which = missing_username && missing_password ?
	    "username and password" : missing_username ? "username" :
	    "password";
	if (media_type == NULL)
		snprintf(message, sizeof(message), "invalid login request: "
		    "the body is empty; send username and password as JSON "
		    "(Content-Type: application/json) or as a form");
	else if (strcmp(media_type, "application/json") != 0 &&
	    form_body_looks_like_json(req->body, req->body_len))
		snprintf(message, sizeof(message), "invalid login request: "
		    "no %s in the body read as %s; the body looks like JSON, "
		    "so send it with Content-Type: application/json", which,
		    media_type);
	else
		snprintf(message, sizeof(message), "invalid login request: "
		    "no %s in the body read as %s", which, media_type);
	return http_reply_error(res, 400, "validation_failed", message,
	    errors);
}

/*
 * POST /api/auth/login {username, password}: 200 {"user", "csrf_token"}
 * with the session cookie; 400 when a field is missing, 401 on wrong
 * credentials, 413 for a body past LOGIN_BODY_MAX, 429 with Retry-After
 * once this address, this name from this address, or this name from an
 * address that failed itself passed the limit (even with the right
 * password, so guessing cannot continue).  The attempt is counted before
 * the password is checked and taken back when it was right.
 */
HANDLER(handle_auth_login)
{
	struct field_errors errors;
	struct auth_user user;
	const char *username = NULL, *password = NULL;
	size_t username_len = 0, password_len = 0;
	char sid[AUTH_SECRET_HEX + 1], csrf[AUTH_SECRET_HEX + 1];
	struct db *db = ctx->svc->db;
	const struct conf *c = ctx->svc->conf;
	yajl_gen g = NULL;
	int status, rc, wait, plausible, missing_username, missing_password;

	memset(&errors, 0, sizeof(errors));
	if (req->body_len > LOGIN_BODY_MAX) {
		char message[96];

		snprintf(message, sizeof(message), "login request body too "
		    "large (limit %d bytes)", LOGIN_BODY_MAX);
		return http_reply_error(res, 413, "body_too_large", message,
		    NULL);
	}
	if ((status = http_request_form(req, res, LOGIN_BODY_MAX)) != 0)
		return status;
	rc = handler_string_field(&req->form, "username", &username,
	    &username_len, &errors);
	if ((missing_username = rc == 0))
		field_errors_add(&errors, "username", "this field is required");
	rc = handler_string_field(&req->form, "password", &password,
	    &password_len, &errors);
	if ((missing_password = rc == 0))
		field_errors_add(&errors, "password", "this field is required");
	if (missing_username || missing_password)
		return reply_login_missing(req, res, missing_username,
		    missing_password, &errors);
	if (errors.count > 0)
		return http_reply_error(res, 400, "validation_failed",
		    "invalid login request", &errors);

	if ((wait = auth_login_attempt(db, c, username,
	    req->remote_addr)) < 0)
		return handler_db_error(res, db);
	if (wait > 0) {
		http_header_add(res, "Retry-After", "%d", wait);
		return http_reply_error(res, 429, "too_many_attempts",
		    "too many failed logins; try again later", NULL);
	}

	/*
	 * A name that cannot exist still costs a full password check, so timing
	 * does not tell which names exist.
	 */
	plausible = validate_username(username, username_len) == NULL &&
	    strlen(password) == password_len;
	if (!plausible)
		rc = auth_check_password(db, "", "", &user) < 0 ? -1 : 0;
	else
		rc = auth_check_password(db, username, password, &user);
	if (rc < 0)
		return handler_db_error(res, db);
	if (rc == 0)
		return http_reply_error(res, 401, "invalid_credentials",
		    "wrong user name or password", NULL);

	if (auth_login_succeeded(db, username, req->remote_addr) < 0 ||
	    auth_session_create(db, user.id, c->session_ttl, sid, csrf) < 0)
		return handler_db_error(res, db);
	if (set_session_cookie(res, c, req, sid) < 0 ||
	    (g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "could not build the response", NULL);
		goto out;
	}
	yajl_gen_map_open(g);
	user_to_json(g, &user);
	json_gen_kv_string(g, "csrf_token", csrf);
	yajl_gen_map_close(g);
	status = http_reply_json(res, 200, g);
out:
	sodium_memzero(sid, sizeof(sid));
	sodium_memzero(csrf, sizeof(csrf));
	if (g != NULL)
		yajl_gen_free(g);
	return status;
}

/*
 * POST /api/auth/logout: ends the session of the cookie (a token-holder has
 * nothing to end) and tells the browser to drop the cookie.  204.
 */
HANDLER(handle_auth_logout)
{
	char sid[AUTH_SECRET_HEX + 1];

	if (ctx->via_session &&
	    http_cookie_get(req, SESSION_COOKIE, sid, sizeof(sid)) == 1 &&
	    auth_session_delete(ctx->svc->db, sid) < 0)
		return handler_db_error(res, ctx->svc->db);
	if (ctx->via_session)
		set_session_cookie(res, ctx->svc->conf, req, NULL);
	return http_reply_no_content(res);
}

/*
 * GET /api/auth/me: {"user": {...}, "auth": "session" | "token"} for the
 * caller, so the admin UI can tell whether its session is still alive.  A
 * session caller also gets its "csrf_token" again, for a reloaded page.
 */
HANDLER(handle_auth_me)
{
	char sid[AUTH_SECRET_HEX + 1], csrf[AUTH_SECRET_HEX + 1];
	yajl_gen g;
	int status, have_csrf = 0;

	if (ctx->via_session &&
	    http_cookie_get(req, SESSION_COOKIE, sid, sizeof(sid)) == 1 &&
	    auth_session_csrf(sid, csrf) == 0)
		have_csrf = 1;
	if ((g = json_gen_new()) == NULL) {
		status = http_reply_error(res, 500, "internal_error",
		    "out of memory", NULL);
		goto out;
	}
	yajl_gen_map_open(g);
	user_to_json(g, &ctx->user);
	json_gen_kv_string(g, "auth", ctx->via_session ? "session" : "token");
	if (have_csrf)
		json_gen_kv_string(g, "csrf_token", csrf);
	yajl_gen_map_close(g);
	status = http_reply_json(res, 200, g);
	yajl_gen_free(g);
out:
	sodium_memzero(sid, sizeof(sid));
	sodium_memzero(csrf, sizeof(csrf));
	return status;
}
