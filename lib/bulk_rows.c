/*
 * bulk_rows.c - the statements of one bulk create chunk (see bulk.h, step
 * 3), regrouped from what provision.c does for one tenant so that the
 * database sees a few statements per chunk instead of a few per tenant:
 * multi-row INSERTs for tenants, tenant_modules and audit_log, and padded
 * "IN (?,...)" lookups.  SQL text is assembled only from constant
 * fragments and runs of parameter markers (sql.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bulk.h"
#include "bulk_internal.h"
#include "db.h"
#include "log.h"
#include "module.h"
#include "service.h"
#include "sql.h"

#define BULK_MODULE_ROWS_MAX	2000	/* rows per tenant_modules INSERT */

/*
 * Inserts the rows of the `count` items `members` with one statement.
 * Returns 0 or -1 (db_errno() tells a duplicate or a deadlock).
 */
int
bulk_insert_rows(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] = "INSERT INTO tenants (name, subdomain, "
	    "contact_email, primary_color, secondary_color, is_active, "
	    "created_by, created_at, updated_at) VALUES ";
	static const char row[] =
	    "(?,?,?,?,?,1,?,UTC_TIMESTAMP(6),UTC_TIMESTAMP(6))";
	const struct bulk_item	*item;
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 i;
	int			 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if ((params = calloc(count * 6, sizeof(*params))) == NULL ||
	    sql_repeat(&sql, head, row, count, "") == -1)
		goto out;
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		params[i * 6] = db_text(item->name);
		params[i * 6 + 1] = db_text(item->subdomain);
		params[i * 6 + 2] = db_text(item->contact_email);
		params[i * 6 + 3] = db_text(item->primary_color);
		params[i * 6 + 4] = db_text(item->secondary_color);
		params[i * 6 + 5] = run->o->user_id > 0 ?
		    db_int(run->o->user_id) : db_null();
	}
	rc = db_exec(run->svc->db, sql.data, params, count * 6, NULL, NULL);
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Reads back the ids of the rows just inserted for `members`, by
 * subdomain (ids of a multi-row INSERT need not be consecutive).  Returns
 * 0, or -1 (also when a row is missing).
 */
int
bulk_select_ids(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] =
	    "SELECT id, subdomain FROM tenants WHERE subdomain IN (";
	struct db_param		*params = NULL;
	struct db_result	 res;
	struct buf		 sql;
	struct bulk_item	*item;
	const char		*sub;
	size_t			 slots, i, row, found = 0;
	int			 rc = -1;

	db_result_init(&res);
	buf_init(&sql, SQL_TEXT_MAX);
	slots = sql_in_list_slots(count);
	if ((params = calloc(slots, sizeof(*params))) == NULL ||
	    sql_repeat(&sql, head, "?", slots, ")") == -1)
		goto out;
	for (i = 0; i < count; i++)
		params[i] = db_text(run->r->items[members[i]].subdomain);
	sql_pad_params(params, count, slots);
	if (db_query(run->svc->db, sql.data, params, slots, &res) == -1)
		goto out;
	for (row = 0; row < res.rows; row++) {
		if ((sub = db_cell(&res, row, 1)) == NULL)
			continue;
		for (i = 0; i < count; i++) {
			item = &run->r->items[members[i]];
			if (item->id == 0 &&
			    strcmp(item->subdomain, sub) == 0) {
				item->id = db_cell_int(&res, row, 0, 0);
				found++;
				break;
			}
		}
	}
	if (found != count) {
		log_error("bulk create: %zu of %zu new rows not found", count -
		    found, count);
		goto out;
	}
	rc = 0;
out:
	db_result_release(&res);
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Inserts one tenant_modules row per catalog module for each of
 * `members`, enabled as the item says (core modules always),
 * BULK_MODULE_ROWS_MAX rows per statement.  Returns 0 or -1.
 */
int
bulk_insert_modules(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled) VALUES ";
	const struct bulk_item	*item;
	const struct module_catalog *cat = &run->cat;
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 total, done, rows, k, n;
	int			 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if (cat->count == 0)
		return 0;
	total = count * cat->count;
	if ((params = calloc(BULK_MODULE_ROWS_MAX * 3,
	    sizeof(*params))) == NULL)
		goto out;
	for (done = 0; done < total; done += rows) {
		rows = total - done < BULK_MODULE_ROWS_MAX ? total - done :
		    BULK_MODULE_ROWS_MAX;
		for (k = 0; k < rows; k++) {
			n = done + k;
			item = &run->r->items[members[n / cat->count]];
			params[k * 3] = db_int(item->id);
			params[k * 3 + 1] =
			    db_text(cat->modules[n % cat->count].key);
			params[k * 3 + 2] = db_int(
			    cat->modules[n % cat->count].is_core ||
			    bulk_module_bit_get(item->modules, n % cat->count));
		}
		if (sql_repeat(&sql, head, "(?,?,?)", rows, "") == -1 ||
		    db_exec(run->svc->db, sql.data, params, rows * 3, NULL,
		    NULL) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Appends one audit row "tenant.create" per created item of `members`
 * with one statement.  Returns 0 or -1.
 */
int
bulk_insert_audit(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char row[] = "(?,?,'tenant.create',?,UTC_TIMESTAMP(6))";
	const struct bulk_item	*item;
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 i, rows = 0;
	int			 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if ((params = calloc(count * 3, sizeof(*params))) == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (item->state != BULK_ITEM_PENDING || item->id == 0)
			continue;
		params[rows * 3] = run->o->user_id > 0 ?
		    db_int(run->o->user_id) : db_null();
		params[rows * 3 + 1] = db_int(item->id);
		params[rows * 3 + 2] = db_text(item->subdomain);
		rows++;
	}
	if (rows == 0) {
		rc = 0;
		goto out;
	}
	rc = bulk_exec_audit(run->svc->db, &sql, row, params, rows);
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Runs one INSERT of `rows` audit rows shaped by the literal `row` (see
 * bulk_internal.h).  Returns 0 or -1.
 */
int
bulk_exec_audit(struct db *db, struct buf *sql, const char *row,
    const struct db_param *params, size_t rows)
{
	static const char head[] = "INSERT INTO audit_log "
	    "(user_id, tenant_id, action, detail, created_at) VALUES ";

	if (sql_repeat(sql, head, row, rows, "") == -1)
		return -1;
	return db_exec(db, sql->data, params, rows * 3, NULL, NULL);
}

/*
 * Deletes the rows `ids` of items that became errors after their rows were
 * inserted (a folder failed), in the chunk's transaction.
 * Their module rows go with them (ON DELETE CASCADE).  Returns 0 or -1.
 */
int
bulk_delete_rows(struct bulk_run *run, const int64_t *ids, size_t id_count)
{
	static const char head[] = "DELETE FROM tenants WHERE id IN (";
	struct db_param	*params = NULL;
	struct buf	 sql;
	size_t		 i;
	int		 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if (id_count == 0)
		return 0;
	if ((params = calloc(id_count, sizeof(*params))) == NULL ||
	    sql_repeat(&sql, head, "?", id_count, ")") == -1)
		goto out;
	for (i = 0; i < id_count; i++)
		params[i] = db_int(ids[i]);
	rc = db_exec(run->svc->db, sql.data, params, id_count, NULL, NULL);
out:
	buf_release(&sql);
	free(params);
	return rc;
}
