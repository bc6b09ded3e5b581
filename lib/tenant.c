/*
 * tenant.c - the tables tenants and tenant_modules: loading, inserting,
 * updating, listing and counting tenants, and their JSON form for the API.
 *
 * All SQL text here is constant or assembled only from constant fragments
 * (the WHERE and ORDER BY pieces of a listing, runs of "?" parameter
 * markers); every client value travels as a bound parameter.  Timestamps are
 * formatted by the server as "YYYY-MM-DDTHH:MM:SSZ" (the connection works
 * in UTC), so they reach the JSON unchanged.
 *
 * Modules of several tenants are always loaded with one query for all of
 * them, never one query per tenant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "tenant.h"
#include "validate.h"

/* The page size limit of a listing and so of its IN (...) module query. */
#define TENANT_LIST_MAX		100
/* The most modules one multi-row tenant_modules INSERT carries. */
#define TENANT_MODULES_MAX	256
/* Longest search term that can match, in bytes (a name is at most 800). */
#define TENANT_SEARCH_MAX	1024
/* Longest tenant URL written into the JSON. */
#define TENANT_URL_MAX		2048

#define TENANT_TIMESTAMP(col) \
	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/*
 * The columns every tenant SELECT returns, in the order of the enum below,
 * from "tenants t".
 */
#define TENANT_COLUMNS \
	"t.id, t.name, t.subdomain, t.contact_email, t.primary_color, " \
	"t.secondary_color, t.logo, t.is_active, " \
	TENANT_TIMESTAMP("t.archived_at") ", " \
	TENANT_TIMESTAMP("t.created_at") ", " \
	TENANT_TIMESTAMP("t.updated_at") ", t.created_by"

enum tenant_column {
	COL_ID,
	COL_NAME,
	COL_SUBDOMAIN,
	COL_CONTACT_EMAIL,
	COL_PRIMARY_COLOR,
	COL_SECONDARY_COLOR,
	COL_LOGO,
	COL_IS_ACTIVE,
	COL_ARCHIVED_AT,
	COL_CREATED_AT,
	COL_UPDATED_AT,
	COL_CREATED_BY,
	COL_COUNT
};

/*
 * Module rows of tenants, ordered like the catalog (sort_order, key).
 * Columns: tenant_id, module_key, is_enabled.
 */
#define TENANT_MODULE_SELECT \
	"SELECT tm.tenant_id, tm.module_key, tm.is_enabled " \
	"FROM tenant_modules tm " \
	"LEFT JOIN module_definitions md ON md.module_key = tm.module_key "
#define TENANT_MODULE_ORDER \
	" ORDER BY tm.tenant_id, md.sort_order, tm.module_key"

/*
 * The filters of a listing, indexed by which are present (TENANT_FILTER_*
 * bits).  The name is searched through its case-insensitive collation; the
 * subdomain column is ascii and case-sensitive, so it is compared with the
 * lowered pattern, and only for an ASCII term: a subdomain cannot contain
 * anything else, and MariaDB refuses to compare ascii with non-ASCII text
 * ("Illegal mix of collations").
 */
#define TENANT_FILTER_ACTIVE	0x1
#define TENANT_FILTER_SEARCH	0x2
#define TENANT_FILTER_NAME_ONLY	0x4

#define TENANT_SEARCH_BOTH \
	"(name LIKE ? ESCAPE '\\\\' OR subdomain LIKE LOWER(?) ESCAPE '\\\\')"
#define TENANT_SEARCH_NAME	"name LIKE ? ESCAPE '\\\\'"

static const char *const tenant_where[8] = {
	"",
	" WHERE is_active = ?",
	" WHERE " TENANT_SEARCH_BOTH,
	" WHERE is_active = ? AND " TENANT_SEARCH_BOTH,
	"",
	" WHERE is_active = ?",
	" WHERE " TENANT_SEARCH_NAME,
	" WHERE is_active = ? AND " TENANT_SEARCH_NAME
};

/*
 * ORDER BY for each enum tenant_order, with id as the tiebreaker: once for
 * the page of ids (which an index covers) and once for the rows joined to
 * it.  For keyset paging, the ordering's key as the rows query returns it
 * (created_at with its microseconds, so no two places collapse) and the
 * condition "after (key, id)" that the same index serves as a range.
 */
#define TENANT_CREATED_KEY 	"DATE_FORMAT(t.created_at, '%Y-%m-%d %H:%i:%s.%f')"

static const struct {
	const char		*text;
	enum tenant_order	 order;
	const char		*ids_sql;
	const char		*rows_sql;
	const char		*key_sql;
	const char		*after_sql;
} tenant_orders[] = {
	{ "-created_at", TENANT_ORDER_CREATED_DESC,
	    " ORDER BY created_at DESC, id DESC",
	    " ORDER BY t.created_at DESC, t.id DESC",
	    TENANT_CREATED_KEY,
	    "(created_at < ? OR (created_at = ? AND id < ?))" },
	{ "created_at", TENANT_ORDER_CREATED_ASC,
	    " ORDER BY created_at ASC, id ASC",
	    " ORDER BY t.created_at ASC, t.id ASC",
	    TENANT_CREATED_KEY,
	    "(created_at > ? OR (created_at = ? AND id > ?))" },
	{ "name", TENANT_ORDER_NAME_ASC,
	    " ORDER BY name ASC, id ASC",
	    " ORDER BY t.name ASC, t.id ASC",
	    "t.name",
	    "(name > ? OR (name = ? AND id > ?))" },
	{ "-name", TENANT_ORDER_NAME_DESC,
	    " ORDER BY name DESC, id DESC",
	    " ORDER BY t.name DESC, t.id DESC",
	    "t.name",
	    "(name < ? OR (name = ? AND id < ?))" },
	/*
	 * Subdomains are unique: no tiebreaker, which would make MariaDB
	 * sort the rows instead of reading uq_tenants_subdomain in order.
	 */
	{ "subdomain", TENANT_ORDER_SUBDOMAIN_ASC,
	    " ORDER BY subdomain ASC",
	    " ORDER BY t.subdomain ASC",
	    "t.subdomain",
	    "(subdomain > ? OR (subdomain = ? AND id > ?))" },
	{ "-subdomain", TENANT_ORDER_SUBDOMAIN_DESC,
	    " ORDER BY subdomain DESC",
	    " ORDER BY t.subdomain DESC",
	    "t.subdomain",
	    "(subdomain < ? OR (subdomain = ? AND id < ?))" },
};

#define TENANT_ORDER_COUNT (sizeof(tenant_orders) / sizeof(tenant_orders[0]))

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
 * Copies a cell into a new string; an SQL NULL gives NULL.  Returns 0, or
 * -1 if memory ran out.
 */
static int
copy_cell(const struct db_result *r, size_t row, size_t col, char **out)
{
	const char *cell;

	*out = NULL;
	if ((cell = db_cell(r, row, col)) == NULL)
		return 0;
	if ((*out = strdup(cell)) == NULL)
		return -1;
	return 0;
}

/*
 * Copies a cell into a fixed array of `size` bytes.  Returns 0, or -1 if
 * it is NULL or does not fit (the schema makes both impossible).
 */
static int
copy_cell_fixed(const struct db_result *r, size_t row, size_t col,
    char *out, size_t size)
{
	const char *cell;
	size_t len;

	if ((cell = db_cell(r, row, col)) == NULL)
		return -1;
	len = strlen(cell);
	if (len >= size)
		return -1;
	memcpy(out, cell, len + 1);
	return 0;
}

/*
 * Fills `t` (initialised) from row `row` of a result with TENANT_COLUMNS.
 * Modules are left alone.  Returns 0 or -1.
 */
static int
tenant_from_row(struct tenant *t, const struct db_result *r, size_t row)
{
	t->id = db_cell_int(r, row, COL_ID, 0);
	t->is_active = db_cell_int(r, row, COL_IS_ACTIVE, 0) != 0;
	t->created_by = db_cell_int(r, row, COL_CREATED_BY, 0);
	if (copy_cell(r, row, COL_NAME, &t->name) == -1 ||
	    copy_cell(r, row, COL_CONTACT_EMAIL, &t->contact_email) == -1 ||
	    copy_cell(r, row, COL_LOGO, &t->logo) == -1 ||
	    copy_cell(r, row, COL_ARCHIVED_AT, &t->archived_at) == -1 ||
	    copy_cell(r, row, COL_CREATED_AT, &t->created_at) == -1 ||
	    copy_cell(r, row, COL_UPDATED_AT, &t->updated_at) == -1)
		return -1;
	if (copy_cell_fixed(r, row, COL_SUBDOMAIN, t->subdomain,
	    sizeof(t->subdomain)) == -1 ||
	    copy_cell_fixed(r, row, COL_PRIMARY_COLOR, t->primary_color,
	    sizeof(t->primary_color)) == -1 ||
	    copy_cell_fixed(r, row, COL_SECONDARY_COLOR, t->secondary_color,
	    sizeof(t->secondary_color)) == -1)
		return -1;
	if (t->name == NULL || t->created_at == NULL || t->updated_at == NULL)
		return -1;
	if (t->contact_email == NULL && (t->contact_email = strdup("")) == NULL)
		return -1;
	return 0;
}

/*
 * Distributes module rows (tenant_id, module_key, is_enabled) over the
 * `count` tenants of `items`, replacing their module lists.  Rows of
 * tenants not in `items` are ignored.  Returns 0 or -1.
 */
static int
attach_modules(struct tenant *items, size_t count, const struct db_result *r)
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
		if (copy_cell_fixed(r, row, 1, m->key, sizeof(m->key)) == -1)
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
	if (attach_modules(t, 1, &r) == -1)
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
 * Writes "(?,?,?),(?,?,?)..." for `rows` rows after the constant INSERT
 * head into `sql` of `size` bytes.  Returns 0, or -1 if it does not fit.
 */
static int
build_values_sql(char *sql, size_t size, const char *head, size_t rows)
{
	static const char row_text[] = "(?,?,?),";
	size_t used, i;

	used = strlen(head);
	if (rows == 0 || used >= size)
		return -1;
	memcpy(sql, head, used);
	for (i = 0; i < rows; i++) {
		if (sizeof(row_text) - 1 > size - used - 1)
			return -1;
		memcpy(sql + used, row_text, sizeof(row_text) - 1);
		used += sizeof(row_text) - 1;
	}
	sql[used - 1] = '\0';	/* drops the last comma */
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
	static const char insert_sql[] = "INSERT INTO tenants (name, "
	    "subdomain, contact_email, primary_color, secondary_color, logo, "
	    "is_active, created_by, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
	static const char modules_head[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled) VALUES ";
	static const char times_sql[] = "SELECT "
	    TENANT_TIMESTAMP("created_at") ", "
	    TENANT_TIMESTAMP("updated_at") " FROM tenants WHERE id = ?";
	char modules_sql[sizeof(modules_head) + TENANT_MODULES_MAX * 8];
	struct db_param p[8];
	struct db_param *mp = NULL;
	struct tenant_module *stored = NULL;
	struct db_result r;
	uint64_t insert_id = 0;
	size_t i, count;
	int rc = -1;

	db_result_init(&r);
	count = cat != NULL ? cat->count : 0;
	if (count > TENANT_MODULES_MAX || t->name == NULL) {
		log_debug("tenant_insert: bad arguments");
		goto out;
	}

	p[0] = db_text(t->name);
	p[1] = db_text(t->subdomain);
	p[2] = db_text(t->contact_email != NULL ? t->contact_email : "");
	p[3] = db_text(t->primary_color);
	p[4] = db_text(t->secondary_color);
	p[5] = db_text(t->logo);
	p[6] = db_int(t->is_active ? 1 : 0);
	p[7] = t->created_by > 0 ? db_int(t->created_by) : db_null();
	if (db_exec(db, insert_sql, p, 8, NULL, &insert_id) == -1)
		goto out;
	if (insert_id == 0 || insert_id > INT64_MAX)
		goto out;
	t->id = (int64_t)insert_id;

	if (count > 0) {
		if (build_values_sql(modules_sql, sizeof(modules_sql),
		    modules_head, count) == -1)
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
		if (db_exec(db, modules_sql, mp, count * 3, NULL, NULL) == -1)
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
	if (copy_cell(&r, 0, 0, &t->created_at) == -1 ||
	    copy_cell(&r, 0, 1, &t->updated_at) == -1)
		goto out;

	free(t->modules);
	t->modules = stored;
	t->module_count = count;
	stored = NULL;
	rc = 0;
out:
	db_result_release(&r);
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
	    "logo = ?, updated_at = UTC_TIMESTAMP(6) WHERE id = ?";
	static const char time_sql[] = "SELECT "
	    TENANT_TIMESTAMP("updated_at") " FROM tenants WHERE id = ?";
	struct db_param p[6];
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
	p[5] = db_int(t->id);
	if (db_exec(db, update_sql, p, 6, NULL, NULL) == -1)
		goto out;
	p[0] = db_int(t->id);
	if (db_query(db, time_sql, p, 1, &r) == -1)
		goto out;
	if (r.rows != 1) {
		log_debug("tenant_update_fields: tenant %lld is gone",
		    (long long)t->id);
		goto out;
	}
	if (copy_cell(&r, 0, 0, &updated) == -1 || updated == NULL)
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
 * Parses an API "ordering" value: "name", "subdomain", "created_at", each
 * with an optional leading '-'.  NULL or "" gives the default (newest
 * first).  Returns 0, or -1 if unknown.
 */
int
tenant_order_parse(const char *text, enum tenant_order *order)
{
	size_t i;

	if (text == NULL || *text == '\0') {
		*order = TENANT_ORDER_CREATED_DESC;
		return 0;
	}
	for (i = 0; i < TENANT_ORDER_COUNT; i++) {
		if (strcmp(tenant_orders[i].text, text) == 0) {
			*order = tenant_orders[i].order;
			return 0;
		}
	}
	return -1;
}

/*
 * The API spelling of `order`, for cursors and links; the default's for
 * a value out of range.
 */
const char *
tenant_order_name(enum tenant_order order)
{
	size_t i;

	for (i = 0; i < TENANT_ORDER_COUNT; i++)
		if (tenant_orders[i].order == order)
			return tenant_orders[i].text;
	return tenant_orders[0].text;
}

/* The index of `order` in tenant_orders; unknown values get the default. */
static size_t
order_index(enum tenant_order order)
{
	size_t i;

	for (i = 0; i < TENANT_ORDER_COUNT; i++)
		if (tenant_orders[i].order == order)
			return i;
	return 0;
}

/*
 * Turns a search term into a LIKE pattern "%term%" with '\', '%' and '_'
 * escaped, so they match literally.  Returns a string to free, or NULL.
 */
static char *
like_pattern(const char *term)
{
	size_t len, i, used = 0;
	char *pattern;

	len = strlen(term);
	if (len > TENANT_SEARCH_MAX)
		return NULL;
	if ((pattern = malloc(len * 2 + 3)) == NULL)
		return NULL;
	pattern[used++] = '%';
	for (i = 0; i < len; i++) {
		if (term[i] == '\\' || term[i] == '%' || term[i] == '_')
			pattern[used++] = '\\';
		pattern[used++] = term[i];
	}
	pattern[used++] = '%';
	pattern[used] = '\0';
	return pattern;
}

/* Is `s` plain ASCII? */
static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * Loads the modules of every tenant of `list` with one query:
 * "IN (?,?,...)" with the number of parameter markers rounded up to a few
 * fixed sizes (the extra ones repeat the last id) so the statement cache
 * holds a handful of variants instead of one per page length.  Returns 0 or -1.
 */
static int
load_list_modules(struct db *db, struct tenant_list *list)
{
	static const char head[] =
	    TENANT_MODULE_SELECT "WHERE tm.tenant_id IN (";
	static const char tail[] = ")" TENANT_MODULE_ORDER;
	static const size_t sizes[] = { 10, 25, 50, TENANT_LIST_MAX };
	char sql[sizeof(head) + TENANT_LIST_MAX * 2 + sizeof(tail)];
	struct db_param p[TENANT_LIST_MAX];
	struct db_result r;
	size_t slots = 0, i, used;
	int rc = -1;

	db_result_init(&r);
	if (list->count == 0)
		return 0;
	if (list->count > TENANT_LIST_MAX)
		goto out;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (list->count <= sizes[i]) {
			slots = sizes[i];
			break;
		}
	}

	used = sizeof(head) - 1;
	memcpy(sql, head, used);
	for (i = 0; i < slots; i++) {
		sql[used++] = '?';
		sql[used++] = ',';
		p[i] = db_int(list->items[i < list->count ? i :
		    list->count - 1].id);
	}
	used--;			/* the last comma */
	memcpy(sql + used, tail, sizeof(tail));

	if (db_query(db, sql, p, slots, &r) == -1)
		goto out;
	if (attach_modules(list->items, list->count, &r) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Concatenates `count` constant SQL fragments into `out` of `size` bytes.
 * (Not printf: the fragments contain DATE_FORMAT's '%'.)  Returns 0, or -1
 * if they do not fit.
 */
static int
join_sql(char *out, size_t size, const char *const parts[], size_t count)
{
	size_t used = 0, len, i;

	if (size == 0)
		return -1;
	for (i = 0; i < count; i++) {
		len = strlen(parts[i]);
		if (len >= size - used)
			return -1;
		memcpy(out + used, parts[i], len);
		used += len;
	}
	out[used] = '\0';
	return 0;
}

/*
 * Checks the key of a keyset place against the shape ordering `order`
 * gives it (see tenant.h).  Returns 1 when valid, 0 when not.
 */
int
tenant_position_key_valid(enum tenant_order order, const char *key)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd.dddddd";
	size_t len, i;

	if (key == NULL)
		return 0;
	len = strlen(key);
	switch (order) {
	case TENANT_ORDER_NAME_ASC:
	case TENANT_ORDER_NAME_DESC:
		return len > 0 && len <= TENANT_POSITION_KEY_MAX &&
		    utf8_length(key, len) > 0;
	case TENANT_ORDER_SUBDOMAIN_ASC:
	case TENANT_ORDER_SUBDOMAIN_DESC:
		return validate_subdomain(key, len) == NULL;
	case TENANT_ORDER_CREATED_ASC:
	case TENANT_ORDER_CREATED_DESC:
		if (len != sizeof(shape) - 1)
			return 0;
		for (i = 0; i < len; i++) {
			if (shape[i] == 'd' ? key[i] < '0' || key[i] > '9' :
			    key[i] != shape[i])
				return 0;
		}
		return 1;
	}
	return 0;
}

/*
 * Fills `list` with one page of tenants matching `q`, each with its
 * modules: the page at q->offset with the number of all matching tenants,
 * or with q->after the page after that place, uncounted.  The limit is
 * clamped to 1..100 and a negative offset taken as 0.
 *
 * The page is chosen as ids first ("deferred join"): an index on the sort
 * column holds the id, so skipping a deep offset walks the index instead
 * of sorting whole rows, and only the page's rows are read.  A keyset page
 * starts with a range of that index and skips nothing.  One row more than
 * the page is asked for, to know whether more follow.  The COUNT(*) query
 * is skipped when the page itself shows the total (a last page).  Returns
 * 0 or -1 (`list` is then empty).
 */
int
tenant_list_query(struct db *db, const struct tenant_query *q,
    struct tenant_list *list)
{
	char sql[2048], count_sql[512];
	const char *parts[8];
	struct db_param p[8];
	struct db_result r;
	char *pattern = NULL;
	const char *where, *key;
	size_t nfilter = 0, nparams, row, rows, order, nparts = 0;
	int64_t limit, offset;
	int which = 0, rc = -1;

	memset(list, 0, sizeof(*list));
	db_result_init(&r);

	limit = q->limit;
	if (limit <= 0 || limit > TENANT_LIST_MAX)
		limit = TENANT_LIST_MAX;
	offset = q->offset > 0 && q->after == NULL ? q->offset : 0;

	if (q->is_active == 0 || q->is_active == 1) {
		which |= TENANT_FILTER_ACTIVE;
		p[nfilter++] = db_int(q->is_active);
	}
	if (q->search != NULL && q->search[0] != '\0') {
		/* Longer than any name or subdomain: nothing can match. */
		if (strlen(q->search) > TENANT_SEARCH_MAX) {
			list->total = q->after != NULL ? -1 : 0;
			rc = 0;
			goto out;
		}
		which |= TENANT_FILTER_SEARCH;
		if ((pattern = like_pattern(q->search)) == NULL)
			goto out;
		p[nfilter++] = db_text(pattern);
		if (is_ascii(q->search))
			p[nfilter++] = db_text(pattern);
		else
			which |= TENANT_FILTER_NAME_ONLY;
	}
	where = tenant_where[which];
	order = order_index(q->order);
	nparams = nfilter;

	parts[nparts++] = "SELECT " TENANT_COLUMNS ", ";
	parts[nparts++] = tenant_orders[order].key_sql;
	parts[nparts++] = " FROM tenants t JOIN (SELECT id FROM tenants";
	parts[nparts++] = where;
	if (q->after != NULL) {
		if (!tenant_position_key_valid(q->order, q->after->key))
			goto out;
		parts[nparts++] = where[0] == '\0' ? " WHERE " : " AND ";
		parts[nparts++] = tenant_orders[order].after_sql;
		p[nparams++] = db_text(q->after->key);
		p[nparams++] = db_text(q->after->key);
		p[nparams++] = db_int(q->after->id);
	}
	parts[nparts++] = tenant_orders[order].ids_sql;
	if (join_sql(sql, sizeof(sql), parts, nparts) == -1)
		goto out;
	parts[0] = sql;
	parts[1] = " LIMIT ? OFFSET ?) page ON page.id = t.id";
	parts[2] = tenant_orders[order].rows_sql;
	if (join_sql(sql, sizeof(sql), parts, 3) == -1)
		goto out;
	parts[0] = "SELECT COUNT(*) FROM tenants";
	parts[1] = where;
	if (join_sql(count_sql, sizeof(count_sql), parts, 2) == -1)
		goto out;

	p[nparams++] = db_int(limit + 1);
	p[nparams++] = db_int(offset);
	if (db_query(db, sql, p, nparams, &r) == -1)
		goto out;

	rows = r.rows;
	if (rows > (size_t)limit) {
		list->more = 1;
		rows = (size_t)limit;
	}
	if (rows > 0) {
		list->items = calloc(rows, sizeof(*list->items));
		if (list->items == NULL)
			goto out;
		for (row = 0; row < rows; row++)
			tenant_init(&list->items[row]);
		list->count = rows;
		for (row = 0; row < rows; row++)
			if (tenant_from_row(&list->items[row], &r, row) == -1)
				goto out;
		key = db_cell(&r, rows - 1, COL_COUNT);
		if (key == NULL || strlen(key) > TENANT_POSITION_KEY_MAX)
			goto out;
		memcpy(list->last.key, key, strlen(key) + 1);
		list->last.id = list->items[rows - 1].id;
	}
	db_result_release(&r);

	/* A keyset page is not counted; a last page shows the total. */
	if (q->after != NULL)
		list->total = -1;
	else if (!list->more && (list->count > 0 || offset == 0))
		list->total = offset + (int64_t)list->count;
	else {
		if (db_query(db, count_sql, p, nfilter, &r) == -1)
			goto out;
		list->total = db_cell_int(&r, 0, 0, 0);
	}

	if (load_list_modules(db, list) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	free(pattern);
	if (rc == -1)
		tenant_list_release(list);
	return rc;
}

/* Frees the tenants of `list` and empties it.  Accepts NULL. */
void
tenant_list_release(struct tenant_list *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		tenant_release(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/*
 * Writes `head`, `slots` parameter markers separated by commas, and `tail`
 * into `sql` of `size` bytes.  Returns 0, or -1 if it does not fit.
 */
static int
in_list_sql(char *sql, size_t size, const char *head, size_t slots,
    const char *tail)
{
	size_t used, i, head_len = strlen(head), tail_len = strlen(tail);

	if (slots == 0 || head_len >= size || slots > (size - head_len) / 2)
		return -1;
	memcpy(sql, head, head_len);
	used = head_len;
	for (i = 0; i < slots; i++) {
		sql[used++] = '?';
		sql[used++] = ',';
	}
	used--;			/* the last comma */
	if (tail_len >= size - used)
		return -1;
	memcpy(sql + used, tail, tail_len + 1);
	return 0;
}

/*
 * Loads the tenants among `ids` with their modules (see tenant.h): two
 * queries with "IN (?,...)" whose number of markers is rounded up to a few
 * fixed sizes (the extra ones repeat the last id), so the statement cache
 * holds a handful of variants.  Returns 0 or -1 (`list` is then empty).
 */
int
tenant_list_by_ids(struct db *db, const int64_t *ids, size_t count,
    struct tenant_list *list)
{
	static const char rows_head[] = "SELECT " TENANT_COLUMNS
	    " FROM tenants t WHERE t.id IN (";
	static const char rows_tail[] = ") ORDER BY t.id";
	static const char modules_head[] =
	    TENANT_MODULE_SELECT "WHERE tm.tenant_id IN (";
	static const size_t sizes[] = { 10, 50, 100, 200, TENANT_BY_IDS_MAX };
	char sql[sizeof(rows_head) + TENANT_BY_IDS_MAX * 2 +
	    sizeof(TENANT_MODULE_ORDER) + 16];
	struct db_param *p = NULL;
	struct db_result r;
	size_t slots = 0, i, row;
	int rc = -1;

	memset(list, 0, sizeof(*list));
	db_result_init(&r);
	if (count == 0)
		return 0;
	if (count > TENANT_BY_IDS_MAX)
		goto out;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (count <= sizes[i]) {
			slots = sizes[i];
			break;
		}
	}
	if ((p = calloc(slots, sizeof(*p))) == NULL)
		goto out;
	for (i = 0; i < slots; i++)
		p[i] = db_int(ids[i < count ? i : count - 1]);

	if (in_list_sql(sql, sizeof(sql), rows_head, slots, rows_tail) == -1 ||
	    db_query(db, sql, p, slots, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if ((list->items = calloc(r.rows, sizeof(*list->items))) == NULL)
		goto out;
	for (row = 0; row < r.rows; row++)
		tenant_init(&list->items[row]);
	list->count = r.rows;
	list->total = (int64_t)r.rows;
	for (row = 0; row < r.rows; row++)
		if (tenant_from_row(&list->items[row], &r, row) == -1)
			goto out;
	db_result_release(&r);

	if (in_list_sql(sql, sizeof(sql), modules_head, slots,
	    ")" TENANT_MODULE_ORDER) == -1 ||
	    db_query(db, sql, p, slots, &r) == -1)
		goto out;
	if (attach_modules(list->items, list->count, &r) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	free(p);
	if (rc == -1)
		tenant_list_release(list);
	return rc;
}

/*
 * Fills `list` with the next page of a walk over all tenants by id (see
 * tenant.h).  Two queries whatever the page size: the rows, then the
 * module rows of the page's id range, which the primary key of
 * tenant_modules serves.  Returns 0 or -1 (`list` is then empty).
 */
int
tenant_list_after(struct db *db, int64_t after_id, int64_t limit,
    struct tenant_list *list)
{
	static const char rows_sql[] = "SELECT " TENANT_COLUMNS
	    " FROM tenants t WHERE t.id > ? ORDER BY t.id LIMIT ?";
	static const char modules_sql[] = TENANT_MODULE_SELECT
	    "WHERE tm.tenant_id > ? AND tm.tenant_id <= ?" TENANT_MODULE_ORDER;
	struct db_param p[2];
	struct db_result r;
	size_t row;
	int rc = -1;

	memset(list, 0, sizeof(*list));
	db_result_init(&r);
	if (limit <= 0 || limit > TENANT_PAGE_AFTER_MAX)
		limit = TENANT_PAGE_AFTER_MAX;
	p[0] = db_int(after_id);
	p[1] = db_int(limit);
	if (db_query(db, rows_sql, p, 2, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if ((list->items = calloc(r.rows, sizeof(*list->items))) == NULL)
		goto out;
	for (row = 0; row < r.rows; row++)
		tenant_init(&list->items[row]);
	list->count = r.rows;
	list->total = (int64_t)r.rows;
	for (row = 0; row < r.rows; row++)
		if (tenant_from_row(&list->items[row], &r, row) == -1)
			goto out;
	db_result_release(&r);

	p[1] = db_int(list->items[list->count - 1].id);
	if (db_query(db, modules_sql, p, 2, &r) == -1)
		goto out;
	if (attach_modules(list->items, list->count, &r) == -1)
		goto out;
	rc = 0;
out:
	db_result_release(&r);
	if (rc == -1)
		tenant_list_release(list);
	return rc;
}

/*
 * Counts tenants (all, active, archived, created in the last 30 days) and,
 * for every catalog module in catalog order, the tenants that have it
 * enabled.  Two queries, each answered from indexes alone (EXPLAIN: ref
 * and range on idx_tenants_active_created and idx_tenants_created, one
 * ref on idx_tenant_modules_key per module, all "Using index"), so no
 * row is read and only enabled module rows are counted.  Returns 0 or -1
 * (`st` is then empty).
 */
int
tenant_statistics_load(struct db *db, const struct module_catalog *cat,
    struct tenant_statistics *st)
{
	static const char counts_sql[] = "SELECT "
	    "(SELECT COUNT(*) FROM tenants WHERE is_active = 1), "
	    "(SELECT COUNT(*) FROM tenants WHERE is_active = 0), "
	    "(SELECT COUNT(*) FROM tenants WHERE "
	    "created_at >= UTC_TIMESTAMP(6) - INTERVAL 30 DAY)";
	static const char modules_sql[] = "SELECT md.module_key, "
	    "(SELECT COUNT(*) FROM tenant_modules tm WHERE "
	    "tm.module_key = md.module_key AND tm.is_enabled = 1) "
	    "FROM module_definitions md";
	struct db_result r;
	size_t i, row, count;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	db_result_init(&r);
	if (db_query(db, counts_sql, NULL, 0, &r) == -1 || r.rows != 1)
		goto out;
	st->active = db_cell_int(&r, 0, 0, 0);
	st->archived = db_cell_int(&r, 0, 1, 0);
	st->total = st->active + st->archived;
	st->created_last_30_days = db_cell_int(&r, 0, 2, 0);

	count = cat != NULL ? cat->count : 0;
	if (count > 0) {
		if ((st->modules = calloc(count, sizeof(*st->modules))) == NULL)
			goto out;
		for (i = 0; i < count; i++) {
			if (strlen(cat->modules[i].key) >=
			    sizeof(st->modules[i].key))
				goto out;
			memcpy(st->modules[i].key, cat->modules[i].key,
			    strlen(cat->modules[i].key) + 1);
		}
		st->module_count = count;
	}
	if (db_query(db, modules_sql, NULL, 0, &r) == -1)
		goto out;
	for (row = 0; row < r.rows; row++) {
		const char *key = db_cell(&r, row, 0);

		if (key == NULL)
			continue;
		for (i = 0; i < st->module_count; i++) {
			if (strcmp(st->modules[i].key, key) == 0) {
				st->modules[i].enabled =
				    db_cell_int(&r, row, 1, 0);
				break;
			}
		}
	}
	rc = 0;
out:
	db_result_release(&r);
	if (rc == -1)
		tenant_statistics_release(st);
	return rc;
}

/* Frees the module counts of `st` and empties it.  Accepts NULL. */
void
tenant_statistics_release(struct tenant_statistics *st)
{
	if (st == NULL)
		return;
	free(st->modules);
	memset(st, 0, sizeof(*st));
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

/*
 * Writes `format` with its "{subdomain}" replaced by `subdomain` into
 * `out`.  Returns 0, or -1 if memory ran out or the limit was hit.
 */
static int
tenant_url(struct buf *out, const char *format, const char *subdomain)
{
	static const char marker[] = "{subdomain}";
	const char *at;

	if ((at = strstr(format, marker)) == NULL)
		return buf_append_str(out, format);
	if (buf_append(out, format, (size_t)(at - format)) == -1 ||
	    buf_append_str(out, subdomain) == -1 ||
	    buf_append_str(out, at + sizeof(marker) - 1) == -1)
		return -1;
	return 0;
}

/* Is catalog module `m` enabled for `t`: core, or its row says so. */
static int
module_enabled_for(const struct tenant *t, const struct module_def *m)
{
	return m->is_core || tenant_module_enabled(t, m->key);
}

/*
 * Writes `t` as the API's tenant object (see tenant_to_json_members()).
 * Called by the tenant handlers and tenantctl.  Returns 0, or -1 if the
 * generator failed.
 */
int
tenant_to_json(yajl_gen g, const struct tenant *t,
    const struct module_catalog *cat, const char *tenant_url_format)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    tenant_to_json_members(g, t, cat, tenant_url_format) == -1 ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * Writes the members of the API's tenant object into the object the caller
 * opened: its fields, its URL, every catalog module (in catalog order) with
 * its enabled flag, and the keys of the enabled ones.  Callers that answer
 * with more than the tenant (create adds "deploy_job_id") add their keys
 * before closing the object.  Returns 0, or -1 if the generator failed.
 */
int
tenant_to_json_members(yajl_gen g, const struct tenant *t,
    const struct module_catalog *cat, const char *tenant_url_format)
{
	struct buf scratch;
	size_t i, count;
	int rc = -1;

	buf_init(&scratch, TENANT_URL_MAX);
	count = cat != NULL ? cat->count : 0;

	if (json_gen_kv_int(g, "id", (long long)t->id) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "name", t->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "subdomain", t->subdomain) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "contact_email",
	    t->contact_email != NULL ? t->contact_email : "") !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "primary_color", t->primary_color) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "secondary_color", t->secondary_color) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "logo", t->logo) != yajl_gen_status_ok)
		goto out;

	if (t->logo != NULL) {
		if (buf_append_char(&scratch, '/') == -1 ||
		    buf_append_str(&scratch, t->logo) == -1 ||
		    json_gen_kv_string(g, "logo_url", scratch.data) !=
		    yajl_gen_status_ok)
			goto out;
	} else if (json_gen_kv_null(g, "logo_url") != yajl_gen_status_ok)
		goto out;

	if (json_gen_kv_bool(g, "is_active", t->is_active) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "deployed", t->deployed) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "archived_at", t->archived_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", t->created_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "updated_at", t->updated_at) !=
	    yajl_gen_status_ok)
		goto out;
	if (t->created_by > 0) {
		if (json_gen_kv_int(g, "created_by",
		    (long long)t->created_by) != yajl_gen_status_ok)
			goto out;
	} else if (json_gen_kv_null(g, "created_by") != yajl_gen_status_ok)
		goto out;

	buf_reset(&scratch);
	if (tenant_url_format != NULL) {
		if (tenant_url(&scratch, tenant_url_format,
		    t->subdomain) == -1 ||
		    json_gen_kv_string(g, "tenant_url", scratch.data) !=
		    yajl_gen_status_ok)
			goto out;
	} else if (json_gen_kv_null(g, "tenant_url") != yajl_gen_status_ok)
		goto out;

	if (json_gen_key(g, "modules") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < count; i++) {
		const struct module_def *m = &cat->modules[i];

		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_string(g, "module_key", m->key) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "module_name", m->name) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "icon", m->icon) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_bool(g, "is_core", m->is_core) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_bool(g, "is_enabled",
		    module_enabled_for(t, m)) != yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		goto out;

	if (json_gen_key(g, "enabled_modules") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < count; i++) {
		if (!module_enabled_for(t, &cat->modules[i]))
			continue;
		if (json_gen_string(g, cat->modules[i].key) !=
		    yajl_gen_status_ok)
			goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		goto out;
	rc = 0;
out:
	buf_release(&scratch);
	return rc;
}
