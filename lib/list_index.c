/*
 * list_index.c - the list's counters and trigrams against the rows they
 * describe (list_index.h).
 *
 * A check adds each counter row to the negated full count of the same
 * key: a key whose sum is not 0 is off.  The trigrams a tenant should have
 * are every run of three characters of its name and of its subdomain, in
 * the collation of tenants.name, once (UNION); the rebuild's statements
 * are those that filled the tables in migration 0007, which is history
 * and keeps its own copy.
 */
#include <string.h>

#include "db.h"
#include "list_index.h"

/* The trigrams every tenant should have, as a CTE named `expected`. */
#define LIST_INDEX_EXPECTED_TRIGRAMS \
	"WITH expected AS (" \
	"SELECT t.id AS tenant_id, SUBSTRING(t.name, pos.i, 3) AS gram " \
	"FROM tenants t JOIN tenant_trigram_positions pos " \
	"ON pos.i <= CHAR_LENGTH(t.name) - 2 " \
	"UNION SELECT t.id, SUBSTRING(CONVERT(t.subdomain USING utf8mb4) " \
	"COLLATE utf8mb4_unicode_ci, pos.i, 3) FROM tenants t " \
	"JOIN tenant_trigram_positions pos " \
	"ON pos.i <= CHAR_LENGTH(t.subdomain) - 2) "

/*
 * Two queries: the counter keys that are off, added up over the three
 * counter tables; then the expected trigrams without their row, all
 * expected ones and all stored ones.  Returns 0 or -1.
 */
int
list_index_check(struct db *db, struct list_index_drift *drift)
{
	static const char counts_sql[] = "SELECT "
	    "(SELECT COUNT(*) FROM (SELECT slot FROM ("
	    "SELECT slot, active AS a, archived AS r FROM tenant_counts "
	    "UNION ALL SELECT id % 16, -SUM(is_active = 1), -SUM(is_active = 0) "
	    "FROM tenants GROUP BY id % 16) d GROUP BY slot "
	    "HAVING SUM(a) <> 0 OR SUM(r) <> 0) off) + "
	    "(SELECT COUNT(*) FROM (SELECT day FROM ("
	    "SELECT day, slot, created AS c FROM tenant_created_days "
	    "UNION ALL SELECT DATE(created_at), id % 16, -COUNT(*) FROM tenants "
	    "GROUP BY DATE(created_at), id % 16) d GROUP BY day, slot "
	    "HAVING SUM(c) <> 0) off) + "
	    "(SELECT COUNT(*) FROM (SELECT module_key FROM ("
	    "SELECT module_key, slot, enabled AS e FROM tenant_module_counts "
	    "UNION ALL SELECT module_key, tenant_id % 16, -COUNT(*) "
	    "FROM tenant_modules WHERE is_enabled = 1 "
	    "GROUP BY module_key, tenant_id % 16) d GROUP BY module_key, slot "
	    "HAVING SUM(e) <> 0) off)";
	static const char trigrams_sql[] = LIST_INDEX_EXPECTED_TRIGRAMS
	    "SELECT (SELECT COUNT(*) FROM expected e LEFT JOIN tenant_trigrams g "
	    "ON g.tenant_id = e.tenant_id AND g.gram = e.gram "
	    "WHERE g.tenant_id IS NULL), (SELECT COUNT(*) FROM expected), "
	    "(SELECT COUNT(*) FROM tenant_trigrams)";
	struct db_result r;
	int64_t missing, expected, stored;
	int rc = -1;

	memset(drift, 0, sizeof(*drift));
	db_result_init(&r);
	if (db_query(db, counts_sql, NULL, 0, &r) == -1 || r.rows != 1)
		goto out;
	drift->counts = db_cell_int(&r, 0, 0, 0);
	db_result_release(&r);
	if (db_query(db, trigrams_sql, NULL, 0, &r) == -1 || r.rows != 1)
		goto out;
	missing = db_cell_int(&r, 0, 0, 0);
	expected = db_cell_int(&r, 0, 1, 0);
	stored = db_cell_int(&r, 0, 2, 0);
	drift->trigrams_missing = missing;
	/* Each stored row is one expected (the keys are unique) or extra. */
	drift->trigrams_extra = stored - (expected - missing);
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Empties and refills the four tables in one transaction, rolled back
 * when any statement fails.  Returns 0 or -1.
 */
int
list_index_rebuild(struct db *db)
{
	static const char *const steps[] = {
		"DELETE FROM tenant_counts",
		"INSERT INTO tenant_counts (slot, active, archived) "
		"SELECT id % 16, SUM(is_active = 1), SUM(is_active = 0) "
		"FROM tenants GROUP BY id % 16",
		"DELETE FROM tenant_created_days",
		"INSERT INTO tenant_created_days (day, slot, created) "
		"SELECT DATE(created_at), id % 16, COUNT(*) "
		"FROM tenants GROUP BY DATE(created_at), id % 16",
		"DELETE FROM tenant_module_counts",
		"INSERT INTO tenant_module_counts (module_key, slot, enabled) "
		"SELECT module_key, tenant_id % 16, COUNT(*) FROM tenant_modules "
		"WHERE is_enabled = 1 GROUP BY module_key, tenant_id % 16",
		"DELETE FROM tenant_trigrams",
		"INSERT INTO tenant_trigrams (tenant_id, gram) "
		LIST_INDEX_EXPECTED_TRIGRAMS "SELECT tenant_id, gram FROM expected",
	};
	size_t i;
	int rc = -1;

	if (db_begin(db) == -1)
		goto out;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (db_exec(db, steps[i], NULL, 0, NULL, NULL) == -1)
			goto out;
	if (db_commit(db) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		db_rollback(db);
	return rc;
}
