/*
 * auth_internal.h - what the files of the auth module share and nothing
 * else may use: the size of a secret, the cleanup batch, and the row
 * helpers of auth.c.  auth.c holds users and passwords, auth_session.c
 * sessions and CSRF tokens, auth_token.c API tokens, auth_throttle.c the
 * login throttle.  Everyone else includes auth.h only; these files include
 * it before this one.
 */
#ifndef TENANTD_AUTH_INTERNAL_H
#define TENANTD_AUTH_INTERNAL_H

#include <stddef.h>

#include "db.h"

struct auth_user;

#define AUTH_SECRET_BYTES	(AUTH_SECRET_HEX / 2)
#define AUTH_PURGE_BATCH	100	/* expired rows removed per cleanup */

/*
 * Is `s` exactly `len` lowercase hex digits followed by the end of the
 * string?  Session ids and tokens have this shape; anything else is refused
 * before it reaches the database.
 */
int	auth_is_lower_hex(const char *s, size_t len);

/*
 * Runs the lookup `sql` with its one parameter into `r`, which the caller
 * initialised and releases.  Returns 1 when it found a row, 0 when none,
 * -1 on a database error.
 */
int	auth_query_one(struct db *db, const char *sql, struct db_param param,
	    struct db_result *r);

/*
 * The same with the hash (auth_hash_secret()) of the `len` bytes of
 * `secret` as the parameter: the lookup of a session id or API token.
 */
int	auth_query_hashed(struct db *db, const char *sql, const char *secret,
	    size_t len, struct db_result *r);

/*
 * Reads the user of row 0 of `r` from three columns starting at `col`
 * (user id, user name, created_at) and, when `out` is not NULL, stores it
 * there.  Returns 1, or -1 (`out` untouched) if a cell does not fit, which
 * a valid row never does.
 */
int	auth_user_take(const struct db_result *r, size_t col,
	    struct auth_user *out);

/*
 * Fills the item at `item` from row `row` of `r`; 0, or -1 if the row does
 * not fit.
 */
typedef int (*auth_row_reader)(const struct db_result *r, size_t row,
	    void *item);

/*
 * Runs the listing `sql` (no parameters) and reads every row into a new
 * array of items of `item_size` bytes with `read_row`.  *items (freed by
 * the caller) and *count are the array and its length; NULL and 0 for no
 * rows and after a failure.  Returns 0 or -1.
 */
int	auth_rows_load(struct db *db, const char *sql, size_t item_size,
	    auth_row_reader read_row, void **items, size_t *count);

#endif
