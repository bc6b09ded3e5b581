/*
 * tenant.c - one tenant's rows in the tables tenants and tenant_modules:
 * loading, inserting, updating and deleting a tenant and its modules.
 * Pages of tenants are tenant_list.c's, the JSON form tenant_json.c's; the
 * columns and the reading of a row, which the listing shares, are here
 * (tenant_row.h).
 *
 * All SQL text here is constant, or a constant INSERT head followed by one
 * literal row of parameter markers per module (sql.h); every value travels
 * as a bound parameter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "module.h"
#include "sql.h"
#include "tenant.h"
#include "tenant_row.h"
#include "validate.h"

/* The most modules one multi-row tenant_modules INSERT carries. */
#define TENANT_MODULES_MAX	256

/*
 * Sets up an empty tenant with the defaults of a new one (active, the
 * default colors).  Allocates nothing.
 */
void
tenant_init(struct tenant *t)
{
	memset(t, 0, sizeof(*t));
	t->is_active = 1;
	memcpy(t->primary_color, "#3498db", sizeof("#3498db"));
	memcpy(t->secondary_color, "#2ecc71", sizeof("#2ecc71"));
}

/* Frees what `t` owns and initialises it again.  Accepts NULL. */
void
tenant_release(struct tenant *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->contact_email);
	free(t->logo);
	free(t->archived_at);
	free(t->created_at);
	free(t->updated_at);
	free(t->modules);
	tenant_init(t);
}

/*
 * Fills `t` (initialised) from row `row` of a result with TENANT_COLUMNS.
 * Modules are left alone.  Returns 0 or -1.
 */
static int
tenant_from_row(struct tenant *t, const struct db_result *r, size_t row)
{
	t->id = db_cell_int(r, row, TENANT_COL_ID, 0);
	t->is_active = db_cell_int(r, row, TENANT_COL_IS_ACTIVE, 0) != 0;
	t->created_by = db_cell_int(r, row, TENANT_COL_CREATED_BY, 0);
	if (db_cell_dup(r, row, TENANT_COL_NAME, &t->name) == -1 ||
	    db_cell_dup(r, row, TENANT_COL_CONTACT_EMAIL,
	    &t->contact_email) == -1 ||
	    db_cell_dup(r, row, TENANT_COL_LOGO, &t->logo) == -1 ||
	    db_cell_dup(r, row, TENANT_COL_ARCHIVED_AT, &t->archived_at) == -1 ||
	    db_cell_dup(r, row, TENANT_COL_CREATED_AT, &t->created_at) == -1 ||
	    db_cell_dup(r, row, TENANT_COL_UPDATED_AT, &t->updated_at) == -1)
		return -1;
	/* NOT NULL columns: an SQL NULL is a failure. */
	if (db_cell_copy(r, row, TENANT_COL_SUBDOMAIN, t->subdomain,
	    sizeof(t->subdomain), NULL) == -1 ||
	    db_cell_copy(r, row, TENANT_COL_PRIMARY_COLOR, t->primary_color,
	    sizeof(t->primary_color), NULL) == -1 ||
	    db_cell_copy(r, row, TENANT_COL_SECONDARY_COLOR,
	    t->secondary_color, sizeof(t->secondary_color), NULL) == -1 ||
	    db_cell_copy(r, row, TENANT_COL_TEMPLATE_VERSION,
	    t->template_version, sizeof(t->template_version), "") == -1 ||
	    db_cell_copy(r, row, TENANT_COL_LOGO_SHA256, t->logo_sha256,
	    sizeof(t->logo_sha256), "") == -1)
		return -1;
	if (t->name == NULL || t->created_at == NULL || t->updated_at == NULL)
		return -1;
	if (t->contact_email == NULL && (t->contact_email = strdup("")) == NULL)
		return -1;
	return 0;
}

/*
 * Fills `list` with the first `rows` tenants of `r` (see tenant_row.h).
 * Called by the listings of tenant_list.c.  Returns 0 or -1.
 */
int
tenant_rows_load(struct tenant_list *list, const struct db_result *r,
    size_t rows)
{
	size_t row;

	if (rows == 0)
		return 0;
	if ((list->items = calloc(rows, sizeof(*list->items))) == NULL)
		return -1;
	for (row = 0; row < rows; row++)
		tenant_init(&list->items[row]);
	list->count = rows;
	for (row = 0; row < rows; row++)
		if (tenant_from_row(&list->items[row], r, row) == -1)
			return -1;
	return 0;
}

/*
 * Distributes module rows (tenant_id, module_key, is_enabled) over the
 * `count` tenants of `items`, replacing their module lists (see
 * tenant_row.h).  Used for one tenant here and for pages in
 * tenant_list.c.  Returns 0 or -1.
 */
int
tenant_modules_attach(struct tenant *items, size_t count,
    const struct db_result *r)
{
	size_t *owner = NULL;
	size_t row, i;
	int64_t id;
	int rc = -1;

	for (i = 0; i < count; i++) {
		free(items[i].modules);
		items[i].modules = NULL;
		items[i].module_count = 0;
	}
	if (r->rows == 0)
		return 0;
	if ((owner = calloc(r->rows, sizeof(*owner))) == NULL)
		goto out;

	/* First pass: who owns each row, and how many rows each has. */
	for (row = 0; row < r->rows; row++) {
		owner[row] = count;
		id = db_cell_int(r, row, 0, 0);
		for (i = 0; i < count; i++)
			if (items[i].id == id)
				break;
		owner[row] = i;
		if (i < count)
			items[i].module_count++;
	}
	for (i = 0; i < count; i++) {
		if (items[i].module_count == 0)
			continue;
		items[i].modules = calloc(items[i].module_count,
		    sizeof(*items[i].modules));
		if (items[i].modules == NULL)
			goto out;
		items[i].module_count = 0;
	}

	/* Second pass: copy the rows, in result (catalog) order. */
	for (row = 0; row < r->rows; row++) {
		struct tenant_module *m;

		if ((i = owner[row]) >= count)
			continue;
		m = &items[i].modules[items[i].module_count];
		if (db_cell_copy(r, row, 1, m->key, sizeof(m->key),
		    NULL) == -1)
			goto out;
		m->enabled = db_cell_int(r, row, 2, 0) != 0;
		items[i].module_count++;
	}
	rc = 0;
out:
	free(owner);
	return rc;
}

/*
 * Loads the module rows of one tenant into `t`.  Returns 0 or -1.
 */
static int
load_modules(struct db *db, struct tenant *t)
{
	static const char sql[] = TENANT_MODULE_SELECT
	    "WHERE tm.tenant_id = ?" TENANT_MODULE_ORDER;
	struct db_result r;
	struct db_param p[1];
	int rc = -1;

	db_result_init(&r);
	p[0] = db_int(t->id);
	if (db_query(db, sql, p, 1, &r) == -1)
		goto out;
	if (tenant_modules_attach(t, 1, &r) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Runs a one-tenant SELECT (`sql` with one parameter) and fills `t` with
 * the row and its modules.  Returns 1 found, 0 not found, -1 on error;
 * `t` is left empty unless found.
 */
static int
find_one(struct db *db, const char *sql, struct db_param p, struct tenant *t)
{
	struct db_result r;
	int rc = -1;

	db_result_init(&r);
	tenant_release(t);
	if (db_query(db, sql, &p, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if (tenant_from_row(t, &r, 0) == -1 || load_modules(db, t) == -1)
		goto out;
	rc = 1;
out:
	db_result_release(&r);
	if (rc != 1)
		tenant_release(t);
	return rc;
}

/* Loads tenant `id`.  Returns 1, 0 if absent, or -1. */
int
tenant_find_by_id(struct db *db, int64_t id, struct tenant *t)
{
	static const char sql[] = "SELECT " TENANT_COLUMNS
	    " FROM tenants t WHERE t.id = ?";

	return find_one(db, sql, db_int(id), t);
}

/*
 * Loads the tenant with `subdomain`.  Text that is no valid subdomain
 * (it may come straight from a Host header) cannot name a tenant and is
 * answered without a query.  Returns 1, 0 if absent, or -1.
 */
int
tenant_find_by_subdomain(struct db *db, const char *subdomain,
    struct tenant *t)
{
	static const char sql[] = "SELECT " TENANT_COLUMNS
	    " FROM tenants t WHERE t.subdomain = ?";

	if (subdomain == NULL ||
	    validate_subdomain(subdomain, strlen(subdomain)) != NULL) {
		tenant_release(t);
		return 0;
	}
	return find_one(db, sql, db_text(subdomain), t);
}

/* Is `key` among the modules listed in `t`? */
static int
tenant_lists_module(const struct tenant *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->module_count; i++)
		if (strcmp(t->modules[i].key, key) == 0)
			return 1;
	return 0;
}

/*
 * Inserts the tenant row and one tenant_modules row per catalog module, in
 * the caller's transaction.  A module is enabled when it is core or its
 * key is listed in t->modules (whatever the listed entry's flag).  On
 * success t->id, the timestamps and t->modules (now the stored rows, in
 * catalog order) are set.  Returns 0 or -1.
 */
int
tenant_insert(struct db *db, struct tenant *t,
    const struct module_catalog *cat)
{
	static const char insert_sql[] = "INSERT INTO tenants (id, name, "
	    "subdomain, contact_email, primary_color, secondary_color, logo, "
	    "logo_sha256, is_active, created_by, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), "
	    "UTC_TIMESTAMP(6))";
	static const char modules_head[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled) VALUES ";
	static const char times_sql[] = "SELECT "
	    TENANT_TIMESTAMP("created_at") ", "
	    TENANT_TIMESTAMP("updated_at") " FROM tenants WHERE id = ?";
	struct buf modules_sql;
	struct db_param p[10];
	struct db_param *mp = NULL;
	struct tenant_module *stored = NULL;
	struct db_result r;
	uint64_t insert_id = 0;
	size_t i, count;
	int rc = -1;

	db_result_init(&r);
	buf_init(&modules_sql, SQL_TEXT_MAX);
	count = cat != NULL ? cat->count : 0;
	if (count > TENANT_MODULES_MAX || t->name == NULL) {
		log_debug("tenant_insert: bad arguments");
		goto out;
	}

	/* NULL: AUTO_INCREMENT picks the id. */
	p[0] = t->id > 0 ? db_int(t->id) : db_null();
	p[1] = db_text(t->name);
	p[2] = db_text(t->subdomain);
	p[3] = db_text(t->contact_email != NULL ? t->contact_email : "");
	p[4] = db_text(t->primary_color);
	p[5] = db_text(t->secondary_color);
	p[6] = db_text(t->logo);
	p[7] = t->logo_sha256[0] != '\0' ? db_text(t->logo_sha256) : db_null();
	p[8] = db_int(t->is_active ? 1 : 0);
	p[9] = t->created_by > 0 ? db_int(t->created_by) : db_null();
	if (db_exec(db, insert_sql, p, 10, NULL, &insert_id) == -1)
		goto out;
	if (insert_id == 0 || insert_id > INT64_MAX)
		goto out;
	t->id = (int64_t)insert_id;

	if (count > 0) {
		if (sql_repeat(&modules_sql, modules_head, "(?,?,?)", count,
		    "") == -1)
			goto out;
		mp = calloc(count * 3, sizeof(*mp));
		stored = calloc(count, sizeof(*stored));
		if (mp == NULL || stored == NULL)
			goto out;
		for (i = 0; i < count; i++) {
			const struct module_def *m = &cat->modules[i];

			if (strlen(m->key) >= sizeof(stored[i].key))
				goto out;
			memcpy(stored[i].key, m->key, strlen(m->key) + 1);
			stored[i].enabled = m->is_core ||
			    tenant_lists_module(t, m->key);
			mp[i * 3] = db_int(t->id);
			mp[i * 3 + 1] = db_text(m->key);
			mp[i * 3 + 2] = db_int(stored[i].enabled);
		}
		if (db_exec(db, modules_sql.data, mp, count * 3, NULL,
		    NULL) == -1)
			goto out;
	}

	p[0] = db_int(t->id);
	if (db_query(db, times_sql, p, 1, &r) == -1 || r.rows != 1)
		goto out;
	free(t->created_at);
	free(t->updated_at);
	free(t->archived_at);
	t->archived_at = NULL;
	t->created_at = NULL;
	t->updated_at = NULL;
	if (db_cell_dup(&r, 0, 0, &t->created_at) == -1 ||
	    db_cell_dup(&r, 0, 1, &t->updated_at) == -1)
		goto out;

	free(t->modules);
	t->modules = stored;
	t->module_count = count;
	stored = NULL;
	rc = 0;
out:
	db_result_release(&r);
	buf_release(&modules_sql);
	free(mp);
	free(stored);
	return rc;
}

/*
 * Writes the editable fields of `t` and a new updated_at, then reads that
 * timestamp back into `t`.  Returns 0, or -1 (also when the row is gone).
 */
int
tenant_update_fields(struct db *db, struct tenant *t)
{
	static const char update_sql[] = "UPDATE tenants SET name = ?, "
	    "contact_email = ?, primary_color = ?, secondary_color = ?, "
	    "logo = ?, logo_sha256 = ?, updated_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ?";
	static const char time_sql[] = "SELECT "
	    TENANT_TIMESTAMP("updated_at") " FROM tenants WHERE id = ?";
	struct db_param p[7];
	struct db_result r;
	char *updated = NULL;
	int rc = -1;

	db_result_init(&r);
	if (t->name == NULL)
		goto out;
	p[0] = db_text(t->name);
	p[1] = db_text(t->contact_email != NULL ? t->contact_email : "");
	p[2] = db_text(t->primary_color);
	p[3] = db_text(t->secondary_color);
	p[4] = db_text(t->logo);
	p[5] = t->logo_sha256[0] != '\0' ? db_text(t->logo_sha256) : db_null();
	p[6] = db_int(t->id);
	if (db_exec(db, update_sql, p, 7, NULL, NULL) == -1)
		goto out;
	p[0] = db_int(t->id);
	if (db_query(db, time_sql, p, 1, &r) == -1)
		goto out;
	if (r.rows != 1) {
		log_debug("tenant_update_fields: tenant %lld is gone",
		    (long long)t->id);
		goto out;
	}
	if (db_cell_dup(&r, 0, 0, &updated) == -1 || updated == NULL)
		goto out;
	free(t->updated_at);
	t->updated_at = updated;
	updated = NULL;
	rc = 0;
out:
	free(updated);
	db_result_release(&r);
	return rc;
}

/*
 * Enables or disables module `key` of tenant `tenant_id`, creating the row
 * for a module added to the catalog after the tenant.  Whether a core
 * module may be disabled is the caller's rule (provision.c).  Returns 0 or
 * -1 (a foreign key error for an unknown tenant or module).
 */
int
tenant_set_module(struct db *db, int64_t tenant_id, const char *key,
    int enabled)
{
	static const char sql[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled, updated_at) "
	    "VALUES (?, ?, ?, UTC_TIMESTAMP()) ON DUPLICATE KEY UPDATE "
	    "is_enabled = VALUES(is_enabled), updated_at = UTC_TIMESTAMP()";
	struct db_param p[3];

	if (key == NULL)
		return -1;
	p[0] = db_int(tenant_id);
	p[1] = db_text(key);
	p[2] = db_int(enabled ? 1 : 0);
	return db_exec(db, sql, p, 3, NULL, NULL);
}

/*
 * Deletes tenant `id` and its module rows (audit rows stay: they are the
 * history).  Returns 1 if a tenant was deleted, 0 if there was none, -1 on
 * error.
 */
int
tenant_delete(struct db *db, int64_t id)
{
	static const char modules_sql[] =
	    "DELETE FROM tenant_modules WHERE tenant_id = ?";
	static const char tenant_sql[] = "DELETE FROM tenants WHERE id = ?";
	struct db_param p[1];
	uint64_t affected = 0;

	p[0] = db_int(id);
	if (db_exec(db, modules_sql, p, 1, NULL, NULL) == -1)
		return -1;
	if (db_exec(db, tenant_sql, p, 1, &affected, NULL) == -1)
		return -1;
	return affected > 0 ? 1 : 0;
}

/*
 * Is module `key` enabled in the rows of `t`?  Core modules are stored
 * enabled (tenant_insert and provision.c see to it), so the row answers
 * for them too; callers holding the catalog also check is_core.
 */
int
tenant_module_enabled(const struct tenant *t, const char *key)
{
	size_t i;

	if (key == NULL)
		return 0;
	for (i = 0; i < t->module_count; i++)
		if (strcmp(t->modules[i].key, key) == 0)
			return t->modules[i].enabled != 0;
	return 0;
}

