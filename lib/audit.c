/*
 * audit.c - appending to audit_log.
 *
 * Callers run audit_record() inside the transaction of the change it
 * describes, so a rolled-back change leaves no audit row behind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "db.h"
#include "sql.h"

#define AUDIT_ACTION_MAX	50
#define AUDIT_DETAIL_MAX	500

/*
 * Shortens `len` bytes of UTF-8 text to at most `max` bytes without
 * cutting a character in two.  Returns the new length.
 */
static size_t
utf8_clip(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/*
 * Appends one audit row: `user_id` and `tenant_id` are stored as NULL when
 * 0, `detail` (may be NULL) is clipped to the column's size so a long
 * detail never makes the change itself fail.  Returns 0 or -1.
 */
int
audit_record(struct db *db, int64_t user_id, int64_t tenant_id,
    const char *action, const char *detail)
{
	static const char sql[] = "INSERT INTO audit_log "
	    "(user_id, tenant_id, action, detail, created_at) "
	    "VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))";
	struct db_param p[4];

	if (action == NULL || action[0] == '\0' ||
	    strlen(action) > AUDIT_ACTION_MAX)
		return -1;
	if (detail == NULL)
		detail = "";
	p[0] = user_id > 0 ? db_int(user_id) : db_null();
	p[1] = tenant_id > 0 ? db_int(tenant_id) : db_null();
	p[2] = db_text(action);
	p[3] = db_textn(detail, utf8_clip(detail, strlen(detail),
	    AUDIT_DETAIL_MAX));
	return db_exec(db, sql, p, 4, NULL, NULL);
}

/* Rows per INSERT of audit_record_many(). */
#define AUDIT_MANY_CHUNK	500

/*
 * Appends one row like audit_record()'s for each of the `count` tenants
 * `tenant_ids`, in INSERTs of up to AUDIT_MANY_CHUNK rows: what a batch
 * did to each of its tenants at the cost of one statement.  Returns 0 or
 * -1.
 */
int
audit_record_many(struct db *db, int64_t user_id, const int64_t *tenant_ids,
    size_t count, const char *action, const char *detail)
{
	static const char head[] = "INSERT INTO audit_log "
	    "(user_id, tenant_id, action, detail, created_at) VALUES ";
	struct db_param	*params = NULL;
	struct buf	 sql;
	size_t		 start, n, i, detail_len;
	int		 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if (count == 0)
		return 0;
	if (action == NULL || action[0] == '\0' ||
	    strlen(action) > AUDIT_ACTION_MAX)
		return -1;
	if (detail == NULL)
		detail = "";
	detail_len = utf8_clip(detail, strlen(detail), AUDIT_DETAIL_MAX);
	if ((params = calloc(AUDIT_MANY_CHUNK * 4, sizeof(*params))) == NULL)
		goto out;
	for (start = 0; start < count; start += n) {
		n = count - start < AUDIT_MANY_CHUNK ? count - start :
		    AUDIT_MANY_CHUNK;
		for (i = 0; i < n; i++) {
			params[i * 4] = user_id > 0 ? db_int(user_id) :
			    db_null();
			params[i * 4 + 1] = db_int(tenant_ids[start + i]);
			params[i * 4 + 2] = db_text(action);
			params[i * 4 + 3] = db_textn(detail, detail_len);
		}
		if (sql_repeat(&sql, head, "(?,?,?,?,UTC_TIMESTAMP(6))", n,
		    "") == -1 || db_exec(db, sql.data, params, n * 4, NULL,
		    NULL) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&sql);
	free(params);
	return rc;
}

int
audit_last_id(struct db *db, int64_t *id)
{
	struct db_result	r;
	int			rc = -1;

	db_result_init(&r);
	if (db_query(db, "SELECT COALESCE(MAX(id), 0) FROM audit_log", NULL,
	    0, &r) == 0) {
		*id = db_cell_int(&r, 0, 0, 0);
		rc = 0;
	}
	db_result_release(&r);
	return rc;
}

int
audit_count_after(struct db *db, int64_t after, const char *const actions[],
    int64_t *count)
{
	struct db_result	r;
	struct db_param		p[2];
	size_t			i;
	int			rc = -1;

	db_result_init(&r);
	*count = 0;
	p[0] = db_int(after);
	for (i = 0; actions[i] != NULL; i++) {
		p[1] = db_text(actions[i]);
		db_result_release(&r);
		if (db_query(db, "SELECT COUNT(*) FROM audit_log WHERE id > ? "
		    "AND action = ?", p, 2, &r) == -1)
			goto out;
		*count += db_cell_int(&r, 0, 0, 0);
	}
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}
