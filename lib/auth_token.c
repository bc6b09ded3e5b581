/*
 * auth_token.c - API tokens (table api_tokens): created for a user with a
 * label, looked up by the router, revoked and listed by tenantctl.  The
 * token text goes to its owner once; the table keeps its SHA-256 hash.
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
	random_hex(secret, AUTH_SECRET_BYTES);
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
	size_t		 prefix_len = sizeof(AUTH_TOKEN_PREFIX) - 1;
	int		 rc = 0;

	db_result_init(&r);
	if (token == NULL ||
	    strncmp(token, AUTH_TOKEN_PREFIX, prefix_len) != 0 ||
	    !auth_is_lower_hex(token + prefix_len, AUTH_SECRET_HEX))
		goto out;
	if ((rc = auth_query_hashed(db, "SELECT t.id, u.id, u.username, "
	    "DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM api_tokens t JOIN users u ON u.id = t.user_id "
	    "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
	    token, AUTH_TOKEN_LEN, &r)) != 1)
		goto out;
	if ((rc = auth_user_take(&r, 1, &found)) == -1)
		goto out;

	/*
	 * Recording every use would turn each API request into a write;
	 * once a minute is precise enough to tell a dormant token.
	 */
	rc = -1;
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

/* Reads one row of the token listing (see auth_rows_load()). */
static int
token_list_row(const struct db_result *r, size_t row, void *item)
{
	struct auth_token_info *info = item;

	info->id = db_cell_int(r, row, 0, 0);
	info->user_id = db_cell_int(r, row, 1, 0);
	if (db_cell_copy(r, row, 2, info->username, sizeof(info->username),
	    "") == -1 ||
	    db_cell_copy(r, row, 3, info->label, sizeof(info->label),
	    "") == -1 ||
	    db_cell_copy(r, row, 4, info->created_at,
	    sizeof(info->created_at), "") == -1 ||
	    db_cell_copy(r, row, 5, info->last_used_at,
	    sizeof(info->last_used_at), "") == -1 ||
	    db_cell_copy(r, row, 6, info->revoked_at,
	    sizeof(info->revoked_at), "") == -1)
		return -1;
	return 0;
}

/*
 * Loads every API token without its secret, ordered by id, for
 * `tenantctl token list`.  Returns 0, or -1 with `list` empty.
 */
int
auth_token_list_load(struct db *db, struct auth_token_list *list)
{
	void	*items;
	int	 rc;

	rc = auth_rows_load(db, "SELECT t.id, t.user_id, u.username, t.label, "
	    "DATE_FORMAT(t.created_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "DATE_FORMAT(t.last_used_at, '%Y-%m-%dT%H:%i:%sZ'), "
	    "DATE_FORMAT(t.revoked_at, '%Y-%m-%dT%H:%i:%sZ') "
	    "FROM api_tokens t JOIN users u ON u.id = t.user_id "
	    "ORDER BY t.id", sizeof(*list->items), token_list_row,
	    &items, &list->count);
	list->items = items;
	return rc;
}

/* Frees the rows of a token list; the list is empty again.  Accepts NULL. */
void
auth_token_list_release(struct auth_token_list *list)
{
	if (list == NULL)
		return;
	free(list->items);
	memset(list, 0, sizeof(*list));
}
