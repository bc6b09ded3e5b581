/*
 * auth.h - administrators, their sessions and API tokens.
 *
 * Secrets never reach the database in clear: passwords are stored as
 * libsodium Argon2id strings (crypto_pwhash_str), session ids, CSRF tokens
 * and API tokens as SHA-256 hashes in hex.  A secret handed to a client is
 * 32 random bytes in lowercase hex (64 characters); API tokens carry the
 * prefix "tnd_" so they are recognisable in a leaked file.
 *
 * Login attempts are counted per client address, per user name and address
 * pair and per user name in login_throttle, before the password is
 * checked; past conf->login_max_failures failures within
 * conf->login_window seconds (four times as many from one address, which a
 * whole office may share; the name's limit only for addresses that failed
 * themselves), auth_login_attempt() says how long to wait.
 *
 * Return convention: 0 / -1 for database errors; lookups return 1 found,
 * 0 not found, -1 error.
 *
 * This is the one header of the module for the rest of tenantd: auth.c
 * holds users and passwords, auth_session.c sessions and CSRF tokens,
 * auth_token.c API tokens, auth_throttle.c the login throttle
 * (auth_internal.h is theirs alone).
 */
#ifndef TENANTD_AUTH_H
#define TENANTD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "validate.h"

struct db;
struct conf;

#define AUTH_SECRET_HEX		64	/* length of a session id or CSRF token */
#define AUTH_TOKEN_PREFIX	"tnd_"
#define AUTH_TOKEN_LEN		(4 + AUTH_SECRET_HEX)
#define AUTH_HASH_HEX		64
#define AUTH_LABEL_MAX		100	/* characters of an API token's label */

struct auth_user {
	int64_t	id;
	char	username[USERNAME_MAX + 1];
	char	created_at[32];
};

/* SHA-256 of a secret, in hex, for storage and lookup. */
void	auth_hash_secret(const char *secret, size_t len,
	    char out[AUTH_HASH_HEX + 1]);

/*
 * Users.  A password must be PASSWORD_MIN to PASSWORD_MAX bytes of valid
 * UTF-8 and a user name pass validate_username(); otherwise add and
 * set_password fail with -1 and errno EINVAL.  auth_user_add() sets errno
 * EEXIST when the name is taken.  Setting a password ends the user's
 * sessions.  Every program calls sodium_init() before using this file.
 */
int	auth_user_add(struct db *db, const char *username, const char *password,
	    int64_t *id);
int	auth_user_set_password(struct db *db, const char *username,
	    const char *password);			/* 1, 0 no such user, -1 */
int	auth_user_find(struct db *db, const char *username,
	    struct auth_user *out);			/* 1, 0, -1 */

/* Every user, ordered by id, for `tenantctl user list`.  0 or -1. */
struct auth_user_list {
	struct auth_user *items;
	size_t		  count;
};

int	auth_user_list_load(struct db *db, struct auth_user_list *list);
void	auth_user_list_release(struct auth_user_list *list);

/*
 * Checks a user name and password.  Takes the same time whether or not the
 * user exists.  Returns 1 and fills `out` when they match, 0 when not, -1 on
 * a database error.
 */
int	auth_check_password(struct db *db, const char *username,
	    const char *password, struct auth_user *out);

/*
 * Starts a session for `user_id` lasting `ttl` seconds.  The session id and
 * CSRF token (to give to the client) are written to `sid` and `csrf`.
 */
int	auth_session_create(struct db *db, int64_t user_id, int ttl,
	    char sid[AUTH_SECRET_HEX + 1], char csrf[AUTH_SECRET_HEX + 1]);

/*
 * Finds the live session `sid`.  Returns 1 with the user and the CSRF token's
 * hash, 0 if unknown or expired, -1 on error.
 */
int	auth_session_lookup(struct db *db, const char *sid,
	    struct auth_user *user, char csrf_hash[AUTH_HASH_HEX + 1]);

/*
 * The CSRF token of session `sid`, derived from it (HMAC), so a reloaded
 * admin page can get it again from GET /api/auth/me.  0, or -1 (EINVAL)
 * when `sid` is malformed.
 */
int	auth_session_csrf(const char *sid, char csrf[AUTH_SECRET_HEX + 1]);

/* Is `token` the CSRF token whose hash is `csrf_hash`?  Constant time. */
int	auth_csrf_matches(const char *token, const char *csrf_hash);

int	auth_session_delete(struct db *db, const char *sid);

/* API tokens: create returns the token text once; only its hash is kept. */
int	auth_token_create(struct db *db, int64_t user_id, const char *label,
	    char token[AUTH_TOKEN_LEN + 1], int64_t *id);
int	auth_token_lookup(struct db *db, const char *token,
	    struct auth_user *user);			/* 1, 0, -1 */
int	auth_token_revoke(struct db *db, int64_t id);	/* 1, 0, -1 */

/*
 * Every API token without its secret, ordered by id, for `tenantctl token
 * list`.  Timestamps are "YYYY-MM-DDTHH:MM:SSZ", or "" for never.  The label
 * (at most AUTH_LABEL_MAX characters, no control characters, else
 * auth_token_create() fails with errno EINVAL) is the creator's note.
 * 0 or -1.
 */
struct auth_token_info {
	int64_t	id;
	int64_t	user_id;
	char	username[USERNAME_MAX + 1];
	char	label[AUTH_LABEL_MAX * 4 + 1];
	char	created_at[32];
	char	last_used_at[32];
	char	revoked_at[32];
};

struct auth_token_list {
	struct auth_token_info *items;
	size_t			count;
};

int	auth_token_list_load(struct db *db, struct auth_token_list *list);
void	auth_token_list_release(struct auth_token_list *list);

/*
 * Login throttling.  auth_login_attempt() counts an attempt as a failure
 * before its password is checked and returns the number of seconds to wait
 * (0 when it may proceed) or -1 on error; auth_login_succeeded() takes the
 * count back after a right password (0 or -1).  A wrong password needs no
 * further call.
 */
int	auth_login_attempt(struct db *db, const struct conf *c,
	    const char *username, const char *address);
int	auth_login_succeeded(struct db *db, const char *username,
	    const char *address);

#endif
