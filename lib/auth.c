/*
 * auth.c - administrators, their sessions and API tokens, and the login
 * throttle, on top of libsodium and the tables users, sessions, api_tokens
 * and login_throttle.
 *
 * Every program that links this file calls sodium_init() once at start,
 * before any function here runs (tenantd and tenantctl do so in main()).
 * The functions below never call it themselves (random.h states the same
 * precondition): random_hex() has no way to report a failure, and one
 * documented rule is easier to keep than a lazy initialisation in some
 * functions and not in others.
 *
 * Secrets are compared only through their hashes, and only with
 * sodium_memcmp() where a client could learn something from the time a
 * comparison takes.  Database lookups by hash are fine: the hash of a guess
 * tells nothing about the hash of the real secret.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "conf.h"
#include "db.h"
#include "random.h"
#include "validate.h"

#define SECRET_BYTES		(AUTH_SECRET_HEX / 2)
#define THROTTLE_KEY_MAX	80	/* "user#" + 64 hex digits fits */
#define ADDRESS_PLAIN_MAX	64	/* longer addresses are hashed */
#define PURGE_BATCH		100	/* rows removed per cleanup */
#define ADDRESS_FAILURE_FACTOR	4	/* an address may fail 4x a user name */

/*
 * The login_throttle counters one attempt touches, in the order of their
 * keys ("addr" < "pair" < "user"), which is the order they are locked in.
 */
enum throttle_kind {
	THROTTLE_ADDRESS,
	THROTTLE_PAIR,
	THROTTLE_NAME,
	THROTTLE_KINDS
};

struct throttle_keys {
	char	key[THROTTLE_KINDS][THROTTLE_KEY_MAX];
	int	present[THROTTLE_KINDS];
};

/*
 * The hash checked when a login names a user who does not exist, so that
 * such a login costs one Argon2id verification like any other.
 */
static char	dummy_hash[crypto_pwhash_STRBYTES];
static int	dummy_hash_ready;

/*
 * Copies the NUL-terminated `src` (NULL reads as "") into `dst` of `dstlen`
 * bytes.  Used for every text cell copied out of a result.  Returns 0, or -1
 * if it does not fit.
 */
static int
copy_text(char *dst, size_t dstlen, const char *src)
{
	size_t	len;

	if (src == NULL)
		src = "";
	len = strlen(src);
	if (dstlen == 0 || len > dstlen - 1)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

/*
 * Fills `out` from three columns of row `row` starting at `col`: user id,
 * user name, created_at.  Called by every lookup that returns a user.
 * Returns 0, or -1 if a cell does not fit (which a valid row never does).
 */
static int
user_from_row(const struct db_result *r, size_t row, size_t col,
    struct auth_user *out)
{
	out->id = db_cell_int(r, row, col, 0);
	if (out->id <= 0)
		return -1;
	if (copy_text(out->username, sizeof(out->username),
	    db_cell(r, row, col + 1)) == -1)
		return -1;
	if (copy_text(out->created_at, sizeof(out->created_at),
	    db_cell(r, row, col + 2)) == -1)
		return -1;
	return 0;
}

/*
 * Is `s` exactly `len` lowercase hex digits followed by the end of the
 * string?  Session ids and tokens have this shape; anything else is refused
 * before it reaches the database.
 */
static int
is_lower_hex(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[len] == '\0';
}

/*
 * Checks a new password: PASSWORD_MIN to PASSWORD_MAX bytes of valid UTF-8.
 * Called by auth_user_add() and auth_user_set_password().  Returns 0, or -1
 * with errno EINVAL.
 */
static int
password_acceptable(const char *password)
{
	size_t	len;

	if (password == NULL)
		goto fail;
	len = strnlen(password, PASSWORD_MAX + 1);
	if (len < PASSWORD_MIN || len > PASSWORD_MAX)
		goto fail;
	if (utf8_length(password, len) < 0)
		goto fail;
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

/*
 * Computes the Argon2id string for `password` into `out`.  Returns 0, or -1
 * with errno ENOMEM when libsodium could not get the memory it needs.
 */
static int
password_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
	if (crypto_pwhash_str(out, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * Makes sure the dummy hash exists, hashing a random password the first
 * time.  auth_check_password() calls it before looking the user up, so the
 * one slow first call of a process happens for every user name alike.
 * Returns 0 or -1.
 */
static int
dummy_hash_prepare(void)
{
	char	secret[AUTH_SECRET_HEX + 1];
	int	rc;

	if (dummy_hash_ready)
		return 0;
	random_hex(secret, SECRET_BYTES);
	rc = password_hash(secret, dummy_hash);
	sodium_memzero(secret, sizeof(secret));
	if (rc == -1)
		return -1;
	dummy_hash_ready = 1;
	return 0;
}

/*
 * Does `password` match the Argon2id string `stored`?  The stored text is
 * copied into a buffer of the size libsodium expects, so a short or
 * over-long cell can never make it read past the string.  Returns 1 or 0.
 */
static int
password_matches(const char *stored, const char *password)
{
	char	hash[crypto_pwhash_STRBYTES];

	if (stored == NULL || copy_text(hash, sizeof(hash), stored) == -1)
		return 0;
	return crypto_pwhash_str_verify(hash, password,
	    strlen(password)) == 0;
}

/*
 * The form in which a secret is stored and looked up: SHA-256 in lowercase
 * hex.  A fast hash is right here because the secrets are random 256-bit
 * values, not passwords a person chose.
 */
void
auth_hash_secret(const char *secret, size_t len, char out[AUTH_HASH_HEX + 1])
{
	unsigned char	digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)secret, len);
	sodium_bin2hex(out, AUTH_HASH_HEX + 1, digest, sizeof(digest));
}

/*
 * Adds a user with an Argon2id hash of `password`; *id (may be NULL) gets
 * the new id.  Used by `tenantctl user add`.  Returns 0, or -1 with errno
 * EINVAL (bad name or password), EEXIST (name taken), ENOMEM (hashing), or
 * a database error.
 */
int
auth_user_add(struct db *db, const char *username, const char *password,
    int64_t *id)
{
	char		 hash[crypto_pwhash_STRBYTES];
	struct db_param	 params[2];
	uint64_t	 insert_id = 0;
	int		 rc = -1;

	if (username == NULL ||
	    validate_username(username, strlen(username)) != NULL) {
		errno = EINVAL;
		goto out;
	}
	if (password_acceptable(password) == -1)
		goto out;
	if (password_hash(password, hash) == -1)
		goto out;

	params[0] = db_text(username);
	params[1] = db_text(hash);
	if (db_exec(db, "INSERT INTO users (username, password_hash) "
	    "VALUES (?, ?)", params, 2, NULL, &insert_id) == -1) {
		if (db_is_duplicate(db))
			errno = EEXIST;
		goto out;
	}
	if (insert_id > INT64_MAX)
		goto out;
	if (id != NULL)
		*id = (int64_t)insert_id;
	rc = 0;
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/*
 * Replaces the password of `username` and ends the user's sessions.  Used
 * by `tenantctl user passwd`.  Returns 1, 0 when there is no such user, or
 * -1 (errno EINVAL for a bad password).
 */
int
auth_user_set_password(struct db *db, const char *username,
    const char *password)
{
	struct auth_user user;
	char		 hash[crypto_pwhash_STRBYTES];
	struct db_param	 params[2];
	int		 found, rc = -1;

	if (password_acceptable(password) == -1)
		goto out;
	if ((found = auth_user_find(db, username, &user)) != 1) {
		rc = found;
		goto out;
	}
	if (password_hash(password, hash) == -1)
		goto out;

	params[0] = db_text(hash);
	params[1] = db_int(user.id);
	if (db_exec(db, "UPDATE users SET password_hash = ? WHERE id = ?",
	    params, 2, NULL, NULL) == -1)
		goto out;

	/* Whoever knew the old password must not stay logged in with it. */
	if (db_exec(db, "DELETE FROM sessions WHERE user_id = ?",
	    &params[1], 1, NULL, NULL) == -1)
		goto out;
	rc = 1;
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/*
 * Loads the user called `username` into `out` (may be NULL).  A name that
 * could not be valid is simply not found.  Returns 1, 0 or -1.
 */
int
auth_user_find(struct db *db, const char *username, struct auth_user *out)
{
	struct db_result r;
	struct db_param	 param;
	struct auth_user user;
	int		 rc = -1;

	db_result_init(&r);
	if (username == NULL ||
	    validate_username(username, strlen(username)) != NULL) {
		rc = 0;
		goto out;
	}
	param = db_text(username);
	if (db_query(db, "SELECT id, username, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM users WHERE username = ?", &param, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if (user_from_row(&r, 0, 0, &user) == -1)
		goto out;
	if (out != NULL)
		*out = user;
	rc = 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Checks a login.  The dummy hash stands in for a missing user, so the
 * answer takes one Argon2id verification either way.  Returns 1 with the
 * user in `out`, 0 for a wrong name or password, -1 on a database error.
 */
int
auth_check_password(struct db *db, const char *username,
    const char *password, struct auth_user *out)
{
	struct db_result r;
	struct db_param	 param;
	struct auth_user user;
	int		 rc = -1;

	db_result_init(&r);
	if (dummy_hash_prepare() == -1)
		goto out;
	if (password == NULL)
		password = "";

	if (username == NULL ||
	    validate_username(username, strlen(username)) != NULL) {
		password_matches(dummy_hash, password);
		rc = 0;
		goto out;
	}
	param = db_text(username);
	if (db_query(db, "SELECT id, username, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), password_hash "
	    "FROM users WHERE username = ?", &param, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		password_matches(dummy_hash, password);
		rc = 0;
		goto out;
	}
	if (!password_matches(db_cell(&r, 0, 3), password)) {
		rc = 0;
		goto out;
	}
	if (user_from_row(&r, 0, 0, &user) == -1)
		goto out;
	if (out != NULL)
		*out = user;
	rc = 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Starts a session of `ttl` seconds for the login handler; the secrets go
 * to the client, their hashes to the table.  Returns 0, or -1 with `sid`
 * and `csrf` wiped.
 */
int
auth_session_create(struct db *db, int64_t user_id, int ttl,
    char sid[AUTH_SECRET_HEX + 1], char csrf[AUTH_SECRET_HEX + 1])
{
	char		 sid_hash[AUTH_HASH_HEX + 1];
	char		 csrf_hash[AUTH_HASH_HEX + 1];
	struct db_param	 params[4];

	sid[0] = '\0';
	csrf[0] = '\0';
	if (user_id <= 0 || ttl <= 0) {
		errno = EINVAL;
		return -1;
	}

	/*
	 * Expired sessions are never read again; sweeping a few at each login
	 * keeps the table small without a separate cleaning job.
	 */
	params[0] = db_int(PURGE_BATCH);
	if (db_exec(db, "DELETE FROM sessions "
	    "WHERE expires_at < UTC_TIMESTAMP() LIMIT ?",
	    params, 1, NULL, NULL) == -1)
		return -1;

	random_hex(sid, SECRET_BYTES);
	if (auth_session_csrf(sid, csrf) == -1) {
		sodium_memzero(sid, AUTH_SECRET_HEX + 1);
		return -1;
	}
	auth_hash_secret(sid, AUTH_SECRET_HEX, sid_hash);
	auth_hash_secret(csrf, AUTH_SECRET_HEX, csrf_hash);

	params[0] = db_text(sid_hash);
	params[1] = db_int(user_id);
	params[2] = db_text(csrf_hash);
	params[3] = db_int(ttl);
	if (db_exec(db, "INSERT INTO sessions "
	    "(id_hash, user_id, csrf_hash, expires_at) "
	    "VALUES (?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)",
	    params, 4, NULL, NULL) == -1) {
		sodium_memzero(sid, AUTH_SECRET_HEX + 1);
		sodium_memzero(csrf, AUTH_SECRET_HEX + 1);
		return -1;
	}
	return 0;
}

/*
 * Derives the CSRF token of session `sid`: HMAC-SHA-256 keyed with the
 * session id's 32 bytes.  Only a holder of the session id (the browser,
 * which keeps it in an HttpOnly cookie, and tenantd) can compute it, and
 * tenantd can give it again to a page reloaded in the same session
 * (GET /api/auth/me).  Returns 0, or -1 with errno EINVAL when `sid` is
 * not 64 hex digits.
 */
int
auth_session_csrf(const char *sid, char csrf[AUTH_SECRET_HEX + 1])
{
	static const char label[] = "tenantd csrf token v1";
	unsigned char key[AUTH_SECRET_HEX / 2];
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	size_t key_len = 0;

	csrf[0] = '\0';
	if (sid == NULL || strlen(sid) != AUTH_SECRET_HEX ||
	    sodium_hex2bin(key, sizeof(key), sid, AUTH_SECRET_HEX, NULL,
	    &key_len, NULL) != 0 || key_len != sizeof(key)) {
		errno = EINVAL;
		return -1;
	}
	crypto_auth_hmacsha256(mac, (const unsigned char *)label,
	    sizeof(label) - 1, key);
	sodium_bin2hex(csrf, AUTH_SECRET_HEX + 1, mac, sizeof(mac));
	sodium_memzero(key, sizeof(key));
	return 0;
}

/*
 * Finds the live session `sid` for the request router.  A value that is not
 * 64 lowercase hex digits is not looked up.  Returns 1 with the user and
 * CSRF hash, 0 if unknown or expired, -1 on a database error.
 */
int
auth_session_lookup(struct db *db, const char *sid, struct auth_user *user,
    char csrf_hash[AUTH_HASH_HEX + 1])
{
	struct db_result r;
	struct db_param	 param;
	struct auth_user found;
	char		 sid_hash[AUTH_HASH_HEX + 1];
	char		 stored_csrf[AUTH_HASH_HEX + 1];
	int		 rc = -1;

	db_result_init(&r);
	if (sid == NULL || !is_lower_hex(sid, AUTH_SECRET_HEX)) {
		rc = 0;
		goto out;
	}
	auth_hash_secret(sid, AUTH_SECRET_HEX, sid_hash);
	param = db_text(sid_hash);
	if (db_query(db, "SELECT u.id, u.username, "
	    "DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ'), s.csrf_hash "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.id_hash = ? AND s.expires_at > UTC_TIMESTAMP()",
	    &param, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if (user_from_row(&r, 0, 0, &found) == -1 ||
	    copy_text(stored_csrf, sizeof(stored_csrf),
	    db_cell(&r, 0, 3)) == -1)
		goto out;
	if (user != NULL)
		*user = found;
	if (csrf_hash != NULL)
		memcpy(csrf_hash, stored_csrf, sizeof(stored_csrf));
	rc = 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Compares the hash of the presented CSRF token with the session's in
 * constant time.  Returns 1 on a match, 0 otherwise (also for NULL, empty
 * or wrongly sized input).
 */
int
auth_csrf_matches(const char *token, const char *csrf_hash)
{
	char	token_hash[AUTH_HASH_HEX + 1];

	if (token == NULL || csrf_hash == NULL)
		return 0;
	if (strnlen(token, AUTH_SECRET_HEX + 1) != AUTH_SECRET_HEX ||
	    strnlen(csrf_hash, AUTH_HASH_HEX + 1) != AUTH_HASH_HEX)
		return 0;
	auth_hash_secret(token, AUTH_SECRET_HEX, token_hash);
	return sodium_memcmp(token_hash, csrf_hash, AUTH_HASH_HEX) == 0;
}

/*
 * Ends session `sid` (logout).  Deleting an unknown or malformed id is not
 * an error.  Returns 0 or -1.
 */
int
auth_session_delete(struct db *db, const char *sid)
{
	char		 sid_hash[AUTH_HASH_HEX + 1];
	struct db_param	 param;

	if (sid == NULL || !is_lower_hex(sid, AUTH_SECRET_HEX))
		return 0;
	auth_hash_secret(sid, AUTH_SECRET_HEX, sid_hash);
	param = db_text(sid_hash);
	return db_exec(db, "DELETE FROM sessions WHERE id_hash = ?",
	    &param, 1, NULL, NULL);
}

/*
 * Is `label` fit for api_tokens.label: at most AUTH_LABEL_MAX characters
 * of UTF-8 with no control characters?  The label is shown in listings, so
 * it must not be able to move a terminal's cursor.  Returns 1 or 0.
 */
static int
label_acceptable(const char *label)
{
	size_t	i, len;
	long	chars;

	len = strnlen(label, AUTH_LABEL_MAX * 4 + 1);
	if (len > AUTH_LABEL_MAX * 4)
		return 0;
	chars = utf8_length(label, len);
	if (chars < 0 || chars > AUTH_LABEL_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * Creates an API token for `user_id` with an optional `label`, for
 * `tenantctl token create`.  The token text is written to `token` and never
 * stored.  Returns 0, or -1 (errno EINVAL for a bad label or user id).
 */
int
auth_token_create(struct db *db, int64_t user_id, const char *label,
    char token[AUTH_TOKEN_LEN + 1], int64_t *id)
{
	char		 secret[AUTH_SECRET_HEX + 1];
	char		 token_hash[AUTH_HASH_HEX + 1];
	struct db_param	 params[3];
	uint64_t	 insert_id = 0;
	int		 rc = -1;

	token[0] = '\0';
	if (label == NULL)
		label = "";
	if (user_id <= 0 || !label_acceptable(label)) {
		errno = EINVAL;
		goto out;
	}
	random_hex(secret, SECRET_BYTES);
	memcpy(token, AUTH_TOKEN_PREFIX, sizeof(AUTH_TOKEN_PREFIX) - 1);
	memcpy(token + sizeof(AUTH_TOKEN_PREFIX) - 1, secret,
	    AUTH_SECRET_HEX + 1);
	auth_hash_secret(token, AUTH_TOKEN_LEN, token_hash);

	params[0] = db_int(user_id);
	params[1] = db_text(label);
	params[2] = db_text(token_hash);
	if (db_exec(db, "INSERT INTO api_tokens (user_id, label, token_hash) "
	    "VALUES (?, ?, ?)", params, 3, NULL, &insert_id) == -1)
		goto out;
	if (insert_id > INT64_MAX)
		goto out;
	if (id != NULL)
		*id = (int64_t)insert_id;
	rc = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	if (rc == -1)
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
	return rc;
}

/*
 * Finds the user of a live (not revoked) API token for the router and notes
 * its use.  Returns 1 with the user, 0 if unknown or revoked, -1 on error.
 */
int
auth_token_lookup(struct db *db, const char *token, struct auth_user *user)
{
	struct db_result r;
	struct db_param	 param;
	struct auth_user found;
	char		 token_hash[AUTH_HASH_HEX + 1];
	size_t		 prefix_len = sizeof(AUTH_TOKEN_PREFIX) - 1;
	int		 rc = -1;

	db_result_init(&r);
	if (token == NULL ||
	    strncmp(token, AUTH_TOKEN_PREFIX, prefix_len) != 0 ||
	    !is_lower_hex(token + prefix_len, AUTH_SECRET_HEX)) {
		rc = 0;
		goto out;
	}
	auth_hash_secret(token, AUTH_TOKEN_LEN, token_hash);
	param = db_text(token_hash);
	if (db_query(db, "SELECT t.id, u.id, u.username, "
	    "DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM api_tokens t JOIN users u ON u.id = t.user_id "
	    "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
	    &param, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if (user_from_row(&r, 0, 1, &found) == -1)
		goto out;

	/*
	 * Recording every use would turn each API request into a write;
	 * once a minute is precise enough to tell a dormant token.
	 */
	param = db_int(db_cell_int(&r, 0, 0, 0));
	if (db_exec(db, "UPDATE api_tokens SET last_used_at = UTC_TIMESTAMP() "
	    "WHERE id = ? AND (last_used_at IS NULL OR "
	    "last_used_at < UTC_TIMESTAMP() - INTERVAL 60 SECOND)",
	    &param, 1, NULL, NULL) == -1)
		goto out;
	if (user != NULL)
		*user = found;
	rc = 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Revokes API token `id` for `tenantctl token revoke`.  Returns 1 (also
 * when it was revoked already), 0 if there is no such token, -1 on error.
 */
int
auth_token_revoke(struct db *db, int64_t id)
{
	struct db_result r;
	struct db_param	 param;
	uint64_t	 affected = 0;
	int		 rc = -1;

	db_result_init(&r);
	param = db_int(id);
	if (db_exec(db, "UPDATE api_tokens SET revoked_at = UTC_TIMESTAMP() "
	    "WHERE id = ? AND revoked_at IS NULL",
	    &param, 1, &affected, NULL) == -1)
		goto out;
	if (affected > 0) {
		rc = 1;
		goto out;
	}

	/* Revoking twice is not an error; revoking nothing is. */
	if (db_query(db, "SELECT id FROM api_tokens WHERE id = ?",
	    &param, 1, &r) == -1)
		goto out;
	rc = r.rows > 0 ? 1 : 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Frees the rows of a user list; the list is empty again.  Accepts NULL.
 */
void
auth_user_list_release(struct auth_user_list *list)
{
	if (list == NULL)
		return;
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/*
 * Loads every user, ordered by id, for `tenantctl user list`.  Returns 0, or
 * -1 with `list` empty.
 */
int
auth_user_list_load(struct db *db, struct auth_user_list *list)
{
	struct db_result r;
	size_t		 i;
	int		 rc = -1;

	list->items = NULL;
	list->count = 0;
	db_result_init(&r);
	if (db_query(db, "SELECT id, username, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM users ORDER BY id", NULL, 0, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if ((list->items = calloc(r.rows, sizeof(*list->items))) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++) {
		if (user_from_row(&r, i, 0, &list->items[i]) == -1)
			goto out;
	}
	list->count = r.rows;
	rc = 0;
out:
	if (rc == -1)
		auth_user_list_release(list);
	db_result_release(&r);
	return rc;
}

/* Frees the rows of a token list; the list is empty again.  Accepts NULL. */
void
auth_token_list_release(struct auth_token_list *list)
{
	if (list == NULL)
		return;
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/*
 * Loads every API token without its secret, ordered by id, for
 * `tenantctl token list`.  Returns 0, or -1 with `list` empty.
 */
int
auth_token_list_load(struct db *db, struct auth_token_list *list)
{
	struct db_result	 r;
	struct auth_token_info	*item;
	size_t			 i;
	int			 rc = -1;

	list->items = NULL;
	list->count = 0;
	db_result_init(&r);
	if (db_query(db, "SELECT t.id, t.user_id, u.username, t.label, "
	    "DATE_FORMAT(t.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "DATE_FORMAT(t.last_used_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "DATE_FORMAT(t.revoked_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM api_tokens t JOIN users u ON u.id = t.user_id "
	    "ORDER BY t.id", NULL, 0, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if ((list->items = calloc(r.rows, sizeof(*list->items))) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++) {
		item = &list->items[i];
		item->id = db_cell_int(&r, i, 0, 0);
		item->user_id = db_cell_int(&r, i, 1, 0);
		if (copy_text(item->username, sizeof(item->username),
		    db_cell(&r, i, 2)) == -1 ||
		    copy_text(item->label, sizeof(item->label),
		    db_cell(&r, i, 3)) == -1 ||
		    copy_text(item->created_at, sizeof(item->created_at),
		    db_cell(&r, i, 4)) == -1 ||
		    copy_text(item->last_used_at, sizeof(item->last_used_at),
		    db_cell(&r, i, 5)) == -1 ||
		    copy_text(item->revoked_at, sizeof(item->revoked_at),
		    db_cell(&r, i, 6)) == -1)
			goto out;
	}
	list->count = r.rows;
	rc = 0;
out:
	if (rc == -1)
		auth_token_list_release(list);
	db_result_release(&r);
	return rc;
}

/*
 * Is `address` plain enough to store as it is: an IPv4 or IPv6 address in
 * text, without a zone?  Returns 1 or 0.
 */
static int
address_is_plain(const char *address, size_t len)
{
	size_t	i;

	if (len == 0 || len > ADDRESS_PLAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (!((address[i] >= '0' && address[i] <= '9') ||
		    (address[i] >= 'a' && address[i] <= 'f') ||
		    (address[i] >= 'A' && address[i] <= 'F') ||
		    address[i] == '.' || address[i] == ':'))
			return 0;
	}
	return 1;
}

/*
 * Builds the login_throttle key for a user name ("user:") or a client
 * address ("addr:") into `out`.  A user name comes straight from the login
 * form and may be any bytes of any length; when it is not a valid user name
 * (or the address not a plain address) the key holds the SHA-256 of the
 * value instead ("user#<hex>"), so keys stay short ASCII that the column
 * always accepts, and one attacker-chosen value still maps to one row.
 * Returns 1 when a key was built, 0 when `value` is NULL or empty.
 */
static int
throttle_key(char out[THROTTLE_KEY_MAX], const char *kind, int is_user,
    const char *value)
{
	char	hash[AUTH_HASH_HEX + 1];
	size_t	len;
	int	plain;

	if (value == NULL || value[0] == '\0')
		return 0;
	len = strlen(value);
	if (is_user)
		plain = validate_username(value, len) == NULL;
	else
		plain = address_is_plain(value, len);
	if (plain) {
		memcpy(out, kind, 4);
		out[4] = ':';
		memcpy(out + 5, value, len + 1);
	} else {
		auth_hash_secret(value, len, hash);
		memcpy(out, kind, 4);
		out[4] = '#';
		memcpy(out + 5, hash, sizeof(hash));
	}
	return 1;
}

/*
 * Fills `keys` with the counters one login attempt touches: its address,
 * the pair of name and address ("pair#" and the SHA-256 of both keys,
 * which hold no spaces, joined by one), and its name.  A counter is absent
 * when its value is.
 */
static void
throttle_keys_build(struct throttle_keys *keys, const char *username,
    const char *address)
{
	char	both[2 * THROTTLE_KEY_MAX];
	char	hash[AUTH_HASH_HEX + 1];
	int	n;

	memset(keys, 0, sizeof(*keys));
	keys->present[THROTTLE_ADDRESS] = throttle_key(
	    keys->key[THROTTLE_ADDRESS], "addr", 0, address);
	keys->present[THROTTLE_NAME] = throttle_key(keys->key[THROTTLE_NAME],
	    "user", 1, username);
	if (!keys->present[THROTTLE_ADDRESS] || !keys->present[THROTTLE_NAME])
		return;
	n = snprintf(both, sizeof(both), "%s %s",
	    keys->key[THROTTLE_ADDRESS], keys->key[THROTTLE_NAME]);
	if (n < 0 || (size_t)n >= sizeof(both))
		return;
	auth_hash_secret(both, (size_t)n, hash);
	memcpy(keys->key[THROTTLE_PAIR], "pair#", 5);
	memcpy(keys->key[THROTTLE_PAIR] + 5, hash, sizeof(hash));
	keys->present[THROTTLE_PAIR] = 1;
}

/*
 * Counts one failure against `key`: a new row, one more failure in the
 * current window, or a fresh window when the old one has passed.  MariaDB
 * assigns the columns of ON DUPLICATE KEY UPDATE from left to right, so
 * `failures` must come first: both IF()s then still see the old
 * window_start.  Returns 0 or -1.
 */
static int
throttle_count_failure(struct db *db, const char *key, int window)
{
	struct db_param	params[3];

	params[0] = db_text(key);
	params[1] = db_int(window);
	params[2] = db_int(window);
	return db_exec(db, "INSERT INTO login_throttle "
	    "(throttle_key, failures, window_start) "
	    "VALUES (?, 1, UTC_TIMESTAMP()) ON DUPLICATE KEY UPDATE "
	    "failures = IF(window_start < UTC_TIMESTAMP() - INTERVAL ? SECOND, "
	    "1, failures + 1), "
	    "window_start = IF(window_start < UTC_TIMESTAMP() - "
	    "INTERVAL ? SECOND, UTC_TIMESTAMP(), window_start)",
	    params, 3, NULL, NULL);
}

/*
 * Decides on one attempt from the counters that include it (`failures`,
 * with `left` the seconds left of each window).  Refused are an address
 * past ADDRESS_FAILURE_FACTOR times the limit, a name and address pair past
 * the limit, and a name past the limit, but the last only for an address
 * that has failed itself in its window (or is unknown).  So anyone may lock
 * a name against guessers, but not against its owner at another address,
 * while a botnet of fresh addresses still gets only one guess from each.
 * Returns the seconds to wait, 0 to go ahead.
 */
static int64_t
throttle_verdict(const struct throttle_keys *keys, const int64_t *failures,
    const int64_t *left, int limit)
{
	int64_t	wait = 0, seconds;
	int	kind, refused;

	for (kind = 0; kind < THROTTLE_KINDS; kind++) {
		if (!keys->present[kind])
			continue;
		switch (kind) {
		case THROTTLE_ADDRESS:
			refused = failures[kind] >
			    (int64_t)limit * ADDRESS_FAILURE_FACTOR;
			break;
		case THROTTLE_NAME:
			refused = failures[kind] > limit &&
			    (!keys->present[THROTTLE_ADDRESS] ||
			    failures[THROTTLE_ADDRESS] > 1);
			break;
		default:
			refused = failures[kind] > limit;
			break;
		}
		if (!refused)
			continue;

		/*
		 * The row is inside its window, so the caller must wait at
		 * least a second even when the seconds left round down to 0.
		 */
		seconds = left[kind] < 1 ? 1 : left[kind];
		if (seconds > wait)
			wait = seconds;
	}
	return wait;
}

/*
 * Asked by the login handler before it checks a password: counts the
 * attempt as a failure of its address, of the name and address pair and of
 * the name, and says whether it may go ahead, after at most
 * login_max_failures failures within login_window seconds (see
 * throttle_verdict()).  Counting before the slow password check, in one
 * transaction that locks the rows in key order, is what keeps parallel
 * attempts from all passing a check that none of them has counted yet.  A
 * refused attempt is rolled back: it checked nothing, so it is no failure.
 * A right password takes its count back with auth_login_succeeded().
 * Returns the seconds to wait, 0 to go ahead, or -1 on a database error.
 */
int
auth_login_attempt(struct db *db, const struct conf *c,
    const char *username, const char *address)
{
	struct throttle_keys keys;
	struct db_result r;
	struct db_param	 params[THROTTLE_KINDS + 1];
	int64_t		 failures[THROTTLE_KINDS] = { 0 };
	int64_t		 left[THROTTLE_KINDS] = { 0 };
	int64_t		 wait;
	const char	*key;
	size_t		 row;
	int		 kind, rc = -1;

	db_result_init(&r);
	throttle_keys_build(&keys, username, address);
	if (c->login_max_failures <= 0 || c->login_window <= 0 ||
	    (!keys.present[THROTTLE_ADDRESS] && !keys.present[THROTTLE_NAME])) {
		rc = 0;
		goto out;
	}

	/*
	 * Anyone can add rows here by failing logins under new names;
	 * dropping a batch of finished windows each time bounds the table.
	 */
	params[0] = db_int(c->login_window);
	params[1] = db_int(PURGE_BATCH);
	if (db_exec(db, "DELETE FROM login_throttle "
	    "WHERE window_start < UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT ?",
	    params, 2, NULL, NULL) == -1)
		goto out;

	if (db_begin(db) == -1)
		goto out;
	for (kind = 0; kind < THROTTLE_KINDS; kind++) {
		if (keys.present[kind] && throttle_count_failure(db,
		    keys.key[kind], c->login_window) == -1)
			goto out;
	}

	/* The rows are locked by the updates above, so these are ours. */
	params[0] = db_int(c->login_window);
	for (kind = 0; kind < THROTTLE_KINDS; kind++)
		params[kind + 1] = keys.present[kind] ?
		    db_text(keys.key[kind]) : db_null();
	if (db_query(db, "SELECT throttle_key, failures, "
	    "TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), "
	    "window_start + INTERVAL ? SECOND) FROM login_throttle "
	    "WHERE throttle_key IN (?, ?, ?)", params, THROTTLE_KINDS + 1,
	    &r) == -1)
		goto out;
	for (row = 0; row < r.rows; row++) {
		if ((key = db_cell(&r, row, 0)) == NULL)
			continue;
		for (kind = 0; kind < THROTTLE_KINDS; kind++) {
			if (keys.present[kind] &&
			    strcmp(key, keys.key[kind]) == 0) {
				failures[kind] = db_cell_int(&r, row, 1, 0);
				left[kind] = db_cell_int(&r, row, 2, 1);
			}
		}
	}

	wait = throttle_verdict(&keys, failures, left, c->login_max_failures);
	if (wait > 0) {
		if (db_rollback(db) == -1)
			goto out;
		if (wait > c->login_window)
			wait = c->login_window;
		rc = (int)wait;
		goto out;
	}
	if (db_commit(db) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		db_rollback(db);
	db_result_release(&r);
	return rc;
}

/*
 * Takes back the count of an attempt whose password was right, for the
 * login handler: the name and the pair start afresh, so the owner is not
 * locked out by earlier typos, while the address only loses this one
 * attempt, because one right password must not wipe out the failures an
 * address collected guessing at other accounts.  Returns 0 or -1.
 */
int
auth_login_succeeded(struct db *db, const char *username, const char *address)
{
	struct throttle_keys keys;
	struct db_param	 params[2];

	throttle_keys_build(&keys, username, address);
	if (keys.present[THROTTLE_ADDRESS]) {
		params[0] = db_text(keys.key[THROTTLE_ADDRESS]);
		if (db_exec(db, "UPDATE login_throttle "
		    "SET failures = failures - 1 "
		    "WHERE throttle_key = ? AND failures > 0",
		    params, 1, NULL, NULL) == -1)
			return -1;
	}
	if (!keys.present[THROTTLE_NAME])
		return 0;
	params[0] = db_text(keys.key[THROTTLE_NAME]);
	params[1] = keys.present[THROTTLE_PAIR] ?
	    db_text(keys.key[THROTTLE_PAIR]) : db_null();
	return db_exec(db, "DELETE FROM login_throttle "
	    "WHERE throttle_key IN (?, ?)", params, 2, NULL, NULL);
}
