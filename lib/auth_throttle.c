/*
 * auth_throttle.c - the login throttle (table login_throttle): failures
 * counted per client address, per user name and address pair and per user
 * name, reserved before the password is checked and taken back after a
 * right one (see auth.h for the rule).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "auth_internal.h"
#include "conf.h"
#include "db.h"
#include "validate.h"

#define THROTTLE_KEY_MAX	80	/* "user#" + 64 hex digits fits */
#define ADDRESS_PLAIN_MAX	64	/* longer addresses are hashed */
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
	params[1] = db_int(AUTH_PURGE_BATCH);
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
