/*
 * auth_session.c - the sessions of logged-in administrators (table
 * sessions) and their CSRF tokens.  The session id and CSRF token go to
 * the client; the table keeps their SHA-256 hashes only.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "auth_internal.h"
#include "db.h"
#include "random.h"

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
	params[0] = db_int(AUTH_PURGE_BATCH);
	if (db_exec(db, "DELETE FROM sessions "
	    "WHERE expires_at < UTC_TIMESTAMP() LIMIT ?",
	    params, 1, NULL, NULL) == -1)
		return -1;

	random_hex(sid, AUTH_SECRET_BYTES);
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
	char		 stored_csrf[AUTH_HASH_HEX + 1];
	int		 rc = 0;

	db_result_init(&r);
	if (sid == NULL || !auth_is_lower_hex(sid, AUTH_SECRET_HEX))
		goto out;
	if ((rc = auth_query_hashed(db, "SELECT u.id, u.username, "
	    "DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ'), s.csrf_hash "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.id_hash = ? AND s.expires_at > UTC_TIMESTAMP()",
	    sid, AUTH_SECRET_HEX, &r)) != 1)
		goto out;
	if (db_cell_copy(&r, 0, 3, stored_csrf, sizeof(stored_csrf),
	    "") == -1) {
		rc = -1;
		goto out;
	}
	if ((rc = auth_user_take(&r, 0, user)) == 1 && csrf_hash != NULL)
		memcpy(csrf_hash, stored_csrf, sizeof(stored_csrf));
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

	if (sid == NULL || !auth_is_lower_hex(sid, AUTH_SECRET_HEX))
		return 0;
	auth_hash_secret(sid, AUTH_SECRET_HEX, sid_hash);
	param = db_text(sid_hash);
	return db_exec(db, "DELETE FROM sessions WHERE id_hash = ?",
	    &param, 1, NULL, NULL);
}
