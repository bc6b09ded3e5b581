/*
 * auth.c - administrators and their passwords (Argon2id) on the table
 * users, and the row helpers the other files of the auth module share
 * (auth_internal.h): sessions and CSRF tokens live in auth_session.c, API
 * tokens in auth_token.c, the login throttle in auth_throttle.c.
 *
 * Every program that links these files calls sodium_init() once at start,
 * before any function here runs (tenantd and tenantctl do so in main()).
 * The functions never call it themselves (random.h states the same
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "auth_internal.h"
#include "db.h"
#include "random.h"
#include "validate.h"

/*
 * The hash checked when a login names a user who does not exist, so that
 * such a login costs one Argon2id verification like any other.
 */
static char	dummy_hash[crypto_pwhash_STRBYTES];
static int	dummy_hash_ready;

/*
 * Fills `out` from three columns of row `row` starting at `col`: user id,
 * user name, created_at.  Called for every row that holds a user.
 * Returns 0, or -1 if a cell does not fit (which a valid row never does).
 */
static int
user_from_row(const struct db_result *r, size_t row, size_t col,
    struct auth_user *out)
{
	out->id = db_cell_int(r, row, col, 0);
	if (out->id <= 0)
		return -1;
	if (db_cell_copy(r, row, col + 1, out->username,
	    sizeof(out->username), "") == -1)
		return -1;
	if (db_cell_copy(r, row, col + 2, out->created_at,
	    sizeof(out->created_at), "") == -1)
		return -1;
	return 0;
}

/* See auth_internal.h. */
int
auth_user_take(const struct db_result *r, size_t col, struct auth_user *out)
{
	struct auth_user user;

	if (user_from_row(r, 0, col, &user) == -1)
		return -1;
	if (out != NULL)
		*out = user;
	return 1;
}

/* See auth_internal.h; used by the session and token lookups. */
int
auth_is_lower_hex(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[len] == '\0';
}

/* See auth_internal.h; every lookup of one user, session or token. */
int
auth_query_one(struct db *db, const char *sql, struct db_param param,
    struct db_result *r)
{
	if (db_query(db, sql, &param, 1, r) == -1)
		return -1;
	return r->rows > 0 ? 1 : 0;
}

/* See auth_internal.h; the session and token lookups. */
int
auth_query_hashed(struct db *db, const char *sql, const char *secret,
    size_t len, struct db_result *r)
{
	char	hash[AUTH_HASH_HEX + 1];

	auth_hash_secret(secret, len, hash);
	return auth_query_one(db, sql, db_text(hash), r);
}

/* See auth_internal.h; the user and token listings of tenantctl. */
int
auth_rows_load(struct db *db, const char *sql, size_t item_size,
    auth_row_reader read_row, void **items, size_t *count)
{
	struct db_result r;
	unsigned char	*array = NULL;
	size_t		 i;
	int		 rc = -1;

	*items = NULL;
	*count = 0;
	db_result_init(&r);
	if (db_query(db, sql, NULL, 0, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if ((array = calloc(r.rows, item_size)) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++) {
		if (read_row(&r, i, array + i * item_size) == -1)
			goto out;
	}
	*items = array;
	*count = r.rows;
	array = NULL;
	rc = 0;
out:
	free(array);
	db_result_release(&r);
	return rc;
}

/*
 * Could `username` be a user's name (validate_username())?  A name that
 * could not is refused by auth_user_add() and simply not found by the
 * lookups.  Returns 1 or 0.
 */
static int
username_acceptable(const char *username)
{
	return username != NULL &&
	    validate_username(username, strlen(username)) == NULL;
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
	random_hex(secret, AUTH_SECRET_BYTES);
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
	size_t	len;

	if (stored == NULL || (len = strlen(stored)) >= sizeof(hash))
		return 0;
	memcpy(hash, stored, len + 1);
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

	if (!username_acceptable(username)) {
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
	int		 rc = 0;

	db_result_init(&r);
	if (!username_acceptable(username))
		goto out;
	if ((rc = auth_query_one(db, "SELECT id, username, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM users WHERE username = ?", db_text(username), &r)) == 1)
		rc = auth_user_take(&r, 0, out);
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
	int		 rc = -1;

	db_result_init(&r);
	if (dummy_hash_prepare() == -1)
		goto out;
	if (password == NULL)
		password = "";

	if (!username_acceptable(username)) {
		password_matches(dummy_hash, password);
		rc = 0;
		goto out;
	}
	if ((rc = auth_query_one(db, "SELECT id, username, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), password_hash "
	    "FROM users WHERE username = ?", db_text(username), &r)) != 1) {
		if (rc == 0)
			password_matches(dummy_hash, password);
		goto out;
	}
	if (!password_matches(db_cell(&r, 0, 3), password)) {
		rc = 0;
		goto out;
	}
	rc = auth_user_take(&r, 0, out);
out:
	db_result_release(&r);
	return rc;
}

/* Reads one row of the user listing (see auth_rows_load()). */
static int
user_list_row(const struct db_result *r, size_t row, void *item)
{
	return user_from_row(r, row, 0, item);
}

/*
 * Loads every user, ordered by id, for `tenantctl user list`.  Returns 0, or
 * -1 with `list` empty.
 */
int
auth_user_list_load(struct db *db, struct auth_user_list *list)
{
	void	*items;
	int	 rc;

	rc = auth_rows_load(db, "SELECT id, username, "
	    "DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM users ORDER BY id", sizeof(*list->items), user_list_row,
	    &items, &list->count);
	list->items = items;
	return rc;
}

/* Frees the rows of a user list; the list is empty again.  Accepts NULL. */
void
auth_user_list_release(struct auth_user_list *list)
{
	if (list == NULL)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}
