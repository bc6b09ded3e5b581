/*
 * bulk_modules.c - switching one module of many tenants at once, and the
 * id pages `tenantctl bulk-modules --all` walks (see bulk.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "bulk.h"
#include "bulk_internal.h"
#include "config_file.h"
#include "db.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "service.h"
#include "sql.h"
#include "tenant.h"
#include "validate.h"

/* Sets up an empty result; allocates nothing. */
void
bulk_modules_result_init(struct bulk_modules_result *res)
{
	memset(res, 0, sizeof(*res));
}

/* Frees the id lists of `res` and empties it.  Accepts NULL. */
void
bulk_modules_result_release(struct bulk_modules_result *res)
{
	if (res == NULL)
		return;
	free(res->updated_ids);
	free(res->not_found);
	bulk_modules_result_init(res);
}

/* qsort() order of ids. */
static int
id_compare(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Locks the tenant rows of the `count` sorted ids in id order (so two bulk
 * changes never wait on each other in a circle), BULK_IDS_CHUNK per
 * statement.  Returns 0 or -1.
 */
static int
lock_rows(struct db *db, const int64_t *ids, size_t count)
{
	static const char head[] = "SELECT id FROM tenants WHERE id IN (";
	static const char tail[] = ") ORDER BY id FOR UPDATE";
	struct db_param		*params = NULL;
	struct db_result	 res;
	struct buf		 sql;
	size_t			 start, n, slots, i;
	int			 rc = -1;

	db_result_init(&res);
	buf_init(&sql, SQL_TEXT_MAX);
	if ((params = calloc(sql_in_list_slots(BULK_IDS_CHUNK),
	    sizeof(*params))) == NULL)
		goto out;
	for (start = 0; start < count; start += n) {
		n = count - start < BULK_IDS_CHUNK ? count - start :
		    BULK_IDS_CHUNK;
		slots = sql_in_list_slots(n);
		for (i = 0; i < n; i++)
			params[i] = db_int(ids[start + i]);
		sql_pad_params(params, n, slots);
		if (sql_repeat(&sql, head, "?", slots, tail) == -1 ||
		    db_query(db, sql.data, params, slots, &res) == -1)
			goto out;
		db_result_release(&res);
	}
	rc = 0;
out:
	db_result_release(&res);
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Writes module rows (tenant, key, enabled) and one audit row per tenant
 * for the `count` tenants of `tenants`, BULK_IDS_CHUNK per statement.
 * Returns 0 or -1.
 */
static int
write_module_rows(struct db *db, struct tenant *const *tenants, size_t count,
    const char *key, int enabled, int64_t user_id)
{
	static const char modules_head[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled, updated_at) VALUES ";
	static const char modules_tail[] = " ON DUPLICATE KEY UPDATE "
	    "is_enabled = VALUES(is_enabled), updated_at = VALUES(updated_at)";
	char			 detail[MODULE_KEY_MAX + 16];
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 start, n, i;
	int			 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	snprintf(detail, sizeof(detail), "%s=%s", key, enabled ? "on" : "off");
	if ((params = calloc(BULK_IDS_CHUNK * 3, sizeof(*params))) == NULL)
		goto out;
	for (start = 0; start < count; start += n) {
		n = count - start < BULK_IDS_CHUNK ? count - start :
		    BULK_IDS_CHUNK;
		for (i = 0; i < n; i++) {
			params[i * 3] = db_int(tenants[start + i]->id);
			params[i * 3 + 1] = db_text(key);
			params[i * 3 + 2] = db_int(enabled);
		}
		if (sql_repeat(&sql, modules_head,
		    "(?,?,?,UTC_TIMESTAMP())", n, modules_tail) == -1 ||
		    db_exec(db, sql.data, params, n * 3, NULL, NULL) == -1)
			goto out;
		for (i = 0; i < n; i++) {
			params[i * 3] = user_id > 0 ? db_int(user_id) :
			    db_null();
			params[i * 3 + 1] = db_int(tenants[start + i]->id);
			params[i * 3 + 2] = db_text(detail);
		}
		if (bulk_exec_audit(db, &sql,
		    "(?,?,'tenant.module',?,UTC_TIMESTAMP(6))", params,
		    n) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Sets module `key` of tenant `t` (in memory) to `enabled`, adding the
 * module to its list when it has no row yet.  Returns 0, or -1 if out of
 * memory.
 */
static int
set_module_flag(struct tenant *t, const char *key, int enabled)
{
	struct tenant_module	*grown;
	size_t			 i;

	for (i = 0; i < t->module_count; i++) {
		if (strcmp(t->modules[i].key, key) == 0) {
			t->modules[i].enabled = enabled;
			return 0;
		}
	}
	grown = reallocarray(t->modules, t->module_count + 1,
	    sizeof(*t->modules));
	if (grown == NULL)
		return -1;
	t->modules = grown;
	snprintf(t->modules[t->module_count].key,
	    sizeof(t->modules[t->module_count].key), "%s", key);
	t->modules[t->module_count].enabled = enabled;
	t->module_count++;
	return 0;
}

/*
 * Puts back config.json of the first `count` tenants of `tenants` whose
 * flag `changed` says it was rewritten, from the module state before the
 * change, after a failure.  Failures are logged (tenantctl fsck reports a
 * stale config).
 */
static void
restore_configs(struct service *svc, struct tenant *const *tenants,
    const unsigned char *changed, size_t count, const char *key, int enabled,
    const struct module_catalog *cat)
{
	size_t	i;

	for (i = 0; i < count; i++) {
		if (!changed[i])
			continue;
		if (set_module_flag(tenants[i], key, !enabled) == -1 ||
		    config_write_atomic_with(svc, tenants[i], cat) == -1)
			log_error("could not restore config.json of %s: %s",
			    tenants[i]->subdomain, strerror(errno));
	}
}

/*
 * Sets one module of many tenants (see bulk.h).  Called by the
 * bulk-update-modules handler and tenantctl bulk-modules.
 */
enum result
bulk_update_modules(struct service *svc, const int64_t *ids, size_t count,
    const char *module_key, int enabled, int64_t user_id,
    struct bulk_modules_result *res, char *err, size_t errlen)
{
	struct module_catalog	 cat;
	const struct module_def	*def;
	struct tenant_list	*lists = NULL;
	struct tenant		**tenants = NULL;
	unsigned char		*changed = NULL;
	int64_t			*sorted = NULL;
	size_t			 unique = 0, nlists = 0, found = 0, written = 0;
	size_t			 i, j, k, start;
	int			 in_transaction = 0;
	enum result		 status;

	module_catalog_init(&cat);
	enabled = enabled != 0;
	if ((status = bulk_load_catalog(svc, &cat, err, errlen)) != RESULT_OK)
		goto out;
	if (validate_module_key(module_key, strlen(module_key)) != NULL ||
	    (def = module_catalog_find(&cat, module_key)) == NULL) {
		error_set(err, errlen, "unknown module");
		status = RESULT_NOT_FOUND;
		goto out;
	}
	if (def->is_core && !enabled) {
		error_set(err, errlen, "a core module cannot be disabled");
		status = RESULT_INVALID;
		goto out;
	}
	status = RESULT_FAILED;
	if (count == 0) {
		status = RESULT_OK;
		goto out;
	}
	nlists = (count + BULK_IDS_CHUNK - 1) / BULK_IDS_CHUNK;
	if ((sorted = calloc(count, sizeof(*sorted))) == NULL ||
	    (lists = calloc(nlists, sizeof(*lists))) == NULL ||
	    (tenants = calloc(count, sizeof(*tenants))) == NULL ||
	    (changed = calloc(count, 1)) == NULL ||
	    (res->updated_ids = calloc(count, sizeof(int64_t))) == NULL ||
	    (res->not_found = calloc(count, sizeof(int64_t))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	memcpy(sorted, ids, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), id_compare);
	for (i = 0; i < count; i++)
		if (i == 0 || sorted[i] != sorted[i - 1])
			sorted[unique++] = sorted[i];

	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen);
		goto out;
	}
	in_transaction = 1;
	if (lock_rows(svc->db, sorted, unique) == -1) {
		status = db_failure_status(svc->db,
		    "could not lock the tenants", err, errlen);
		goto out;
	}
	for (start = 0, k = 0; start < unique; start += BULK_IDS_CHUNK, k++) {
		if (tenant_list_by_ids(svc->db, sorted + start,
		    unique - start < BULK_IDS_CHUNK ? unique - start :
		    BULK_IDS_CHUNK, &lists[k]) == -1) {
			status = db_failure_status(svc->db,
			    "could not load the tenants", err, errlen);
			goto out;
		}
		for (j = 0; j < lists[k].count; j++)
			tenants[found++] = &lists[k].items[j];
	}
	/* Both lists are sorted: what is not found is the difference. */
	for (i = 0, j = 0; i < unique; i++) {
		if (j < found && tenants[j]->id == sorted[i]) {
			res->updated_ids[res->updated_count++] = sorted[i];
			j++;
		} else
			res->not_found[res->not_found_count++] = sorted[i];
	}
	if (found > 0 && write_module_rows(svc->db, tenants, found, def->key,
	    enabled, user_id) == -1) {
		status = db_failure_status(svc->db,
		    "could not save the modules", err, errlen);
		goto out;
	}
	for (written = 0; written < found; written++) {
		struct tenant *t = tenants[written];

		if (!t->is_active ||
		    tenant_module_enabled(t, def->key) == enabled)
			continue;
		if (set_module_flag(t, def->key, enabled) == -1) {
			error_set(err, errlen, "out of memory");
			goto out;
		}
		if (config_write_atomic_with(svc, t, &cat) == -1) {
			log_error("bulk modules: config.json of %s: %s",
			    t->subdomain, strerror(errno));
			error_set(err, errlen, "could not write config.json of "
			    "tenant \"%s\": %s%s", t->subdomain,
			    strerror(errno), errno == ENOENT ? " (its folder "
			    "is missing; run tenantctl fsck)" : "");
			goto out;
		}
		changed[written] = 1;
	}
	if (db_commit(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not commit the change", err, errlen);
		goto out;
	}
	in_transaction = 0;
	status = RESULT_OK;
out:
	if (in_transaction) {
		db_rollback(svc->db);
		if (changed != NULL)
			restore_configs(svc, tenants, changed, written,
			    module_key, enabled, &cat);
	}
	if (status != RESULT_OK) {
		bulk_modules_result_release(res);
		bulk_modules_result_init(res);
	}
	for (k = 0; lists != NULL && k < nlists; k++)
		tenant_list_release(&lists[k]);
	free(lists);
	free(tenants);
	free(changed);
	free(sorted);
	module_catalog_release(&cat);
	return status;
}

/* Writes `count` ids as a JSON array under `key`.  Returns 0 or -1. */
static int
gen_id_array(yajl_gen g, const char *key, const int64_t *ids, size_t count)
{
	size_t	i;

	if (json_gen_key(g, key) != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; i < count; i++)
		if (yajl_gen_integer(g, ids[i]) != yajl_gen_status_ok)
			return -1;
	return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
}

/* Writes the bulk-update-modules response object.  Returns 0 or -1. */
int
bulk_modules_result_to_json(yajl_gen g, const struct bulk_modules_result *res)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "updated", (long long)res->updated_count) !=
	    yajl_gen_status_ok ||
	    gen_id_array(g, "updated_ids", res->updated_ids,
	    res->updated_count) == -1 ||
	    gen_id_array(g, "not_found", res->not_found,
	    res->not_found_count) == -1 ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * Fills `ids` with up to `max` tenant ids after `after_id`, in order (see
 * bulk.h).  Returns the count, or -1.
 */
long
bulk_next_ids(struct db *db, int64_t after_id, int64_t *ids, size_t max)
{
	struct db_param		params[2];
	struct db_result	res;
	size_t			row;
	long			count = -1;

	db_result_init(&res);
	if (max == 0 || max > BULK_IDS_CHUNK)
		max = BULK_IDS_CHUNK;
	params[0] = db_int(after_id);
	params[1] = db_int((int64_t)max);
	if (db_query(db, "SELECT id FROM tenants WHERE id > ? ORDER BY id "
	    "LIMIT ?", params, 2, &res) == -1)
		goto out;
	for (row = 0; row < res.rows && row < max; row++)
		ids[row] = db_cell_int(&res, row, 0, 0);
	count = (long)row;
out:
	db_result_release(&res);
	return count;
}
