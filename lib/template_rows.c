/*
 * template_rows.c - rows of template versions and tenants' versions
 * (template_rows.h).  Called by template.c, the deploy's record of where
 * a tenant is, and the templates API.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "json.h"
#include "sql.h"
#include "template_rows.h"

/* The columns every version SELECT returns, in struct order. */
#define VERSION_COLUMNS \
	"v.version, v.name, v.web_root, v.files, v.bytes, v.source, " \
	"v.is_default IS NOT NULL, " \
	"DATE_FORMAT(v.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"(SELECT COUNT(*) FROM tenants t " \
	"WHERE t.template_version = v.version) "

enum version_column {
	COL_VERSION, COL_NAME, COL_WEB_ROOT, COL_FILES, COL_BYTES, COL_SOURCE,
	COL_IS_DEFAULT, COL_CREATED_AT, COL_TENANTS
};

/* Fills `v` from row `row` of a VERSION_COLUMNS result.  0 or -1. */
static int
version_from_row(struct template_version *v, const struct db_result *r,
    size_t row)
{
	memset(v, 0, sizeof(*v));
	if (db_cell_copy(r, row, COL_VERSION, v->version, sizeof(v->version),
	    NULL) == -1 ||
	    db_cell_copy(r, row, COL_NAME, v->name, sizeof(v->name),
	    NULL) == -1 ||
	    db_cell_copy(r, row, COL_WEB_ROOT, v->web_root,
	    sizeof(v->web_root), NULL) == -1 ||
	    db_cell_copy(r, row, COL_SOURCE, v->source, sizeof(v->source),
	    NULL) == -1 ||
	    db_cell_copy(r, row, COL_CREATED_AT, v->created_at,
	    sizeof(v->created_at), NULL) == -1)
		return -1;
	v->files = db_cell_int(r, row, COL_FILES, 0);
	v->bytes = db_cell_int(r, row, COL_BYTES, 0);
	v->is_default = db_cell_int(r, row, COL_IS_DEFAULT, 0) != 0;
	v->tenants = db_cell_int(r, row, COL_TENANTS, 0);
	return 0;
}

/*
 * Inserts `v` unless it exists; a new row becomes the default when asked,
 * in the same transaction.  Returns 0 with *inserted set, or -1.
 */
int
template_rows_insert(struct db *db, const struct template_version *v,
    int make_default, int *inserted)
{
	static const char insert_sql[] = "INSERT IGNORE INTO template_versions "
	    "(version, name, web_root, files, bytes, source, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
	struct db_param	p[6];
	uint64_t	affected = 0;

	*inserted = 0;
	p[0] = db_text(v->version);
	p[1] = db_text(v->name);
	p[2] = db_text(v->web_root);
	p[3] = db_int(v->files);
	p[4] = db_int(v->bytes);
	p[5] = db_text(v->source);
	if (db_exec(db, insert_sql, p, 6, &affected, NULL) == -1)
		return -1;
	*inserted = affected > 0;
	if (*inserted && make_default &&
	    template_rows_set_default(db, v->version) == -1)
		return -1;
	return 0;
}

/* Loads one version.  1, 0 or -1. */
int
template_rows_find(struct db *db, const char *version,
    struct template_version *out)
{
	static const char sql[] = "SELECT " VERSION_COLUMNS
	    "FROM template_versions v WHERE v.version = ?";
	struct db_result	r;
	struct db_param		p[1];
	int			rc = -1;

	memset(&r, 0, sizeof(r));
	p[0] = db_text(version);
	if (db_query(db, sql, p, 1, &r) == -1)
		goto out;
	rc = r.rows == 0 ? 0 : version_from_row(out, &r, 0) == -1 ? -1 : 1;
out:
	db_result_release(&r);
	return rc;
}

/* Lists every version, newest first.  0 or -1. */
int
template_rows_list(struct db *db, struct template_version **out,
    size_t *count)
{
	static const char sql[] = "SELECT " VERSION_COLUMNS
	    "FROM template_versions v ORDER BY v.created_at DESC, v.version "
	    "LIMIT 1000";
	struct db_result	 r;
	struct template_version	*list = NULL;
	size_t			 i;
	int			 rc = -1;

	*out = NULL;
	*count = 0;
	memset(&r, 0, sizeof(r));
	if (db_query(db, sql, NULL, 0, &r) == -1)
		goto out;
	if (r.rows > 0 && (list = calloc(r.rows, sizeof(*list))) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++)
		if (version_from_row(&list[i], &r, i) == -1)
			goto out;
	*out = list;
	*count = r.rows;
	list = NULL;
	rc = 0;
out:
	free(list);
	db_result_release(&r);
	return rc;
}

/* The default version.  1, 0 or -1. */
int
template_rows_default(struct db *db, char *version)
{
	static const char sql[] = "SELECT version FROM template_versions "
	    "WHERE is_default = 1";
	struct db_result	r;
	int			rc = -1;

	memset(&r, 0, sizeof(r));
	version[0] = '\0';
	if (db_query(db, sql, NULL, 0, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	rc = db_cell_copy(&r, 0, 0, version, 16, NULL) == -1 ? -1 : 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Moves the default mark to `version`: the unique key on is_default
 * allows one 1, so the old mark goes first, in one transaction.  Returns
 * 1, 0 (no such version; nothing changes) or -1.
 */
int
template_rows_set_default(struct db *db, const char *version)
{
	static const char clear_sql[] = "UPDATE template_versions "
	    "SET is_default = NULL WHERE is_default = 1 AND version <> ?";
	static const char set_sql[] = "UPDATE template_versions "
	    "SET is_default = 1 WHERE version = ?";
	static const char exists_sql[] = "SELECT 1 FROM template_versions "
	    "WHERE version = ? FOR UPDATE";
	struct db_result	r;
	struct db_param		p[1];
	int			rc = -1;

	memset(&r, 0, sizeof(r));
	p[0] = db_text(version);
	if (db_begin(db) == -1)
		return -1;
	if (db_query(db, exists_sql, p, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if (db_exec(db, clear_sql, p, 1, NULL, NULL) == -1 ||
	    db_exec(db, set_sql, p, 1, NULL, NULL) == -1 ||
	    db_commit(db) == -1)
		goto out;
	rc = 1;
out:
	if (rc != 1)
		db_rollback(db);
	db_result_release(&r);
	return rc;
}

/*
 * Deletes `version`'s row unless it is the default or serves a tenant,
 * deciding in one statement so a deploy cannot slip in between.  Returns
 * 1, 0, 2 or -1 (template_rows.h).
 */
int
template_rows_delete(struct db *db, const char *version)
{
	static const char sql[] = "DELETE FROM template_versions "
	    "WHERE version = ? AND is_default IS NULL AND NOT EXISTS "
	    "(SELECT 1 FROM tenants t WHERE t.template_version = ?)";
	struct template_version	v;
	struct db_param		p[2];
	uint64_t		affected = 0;
	int			rc;

	p[0] = db_text(version);
	p[1] = db_text(version);
	if (db_exec(db, sql, p, 2, &affected, NULL) == -1)
		return -1;
	if (affected > 0)
		return 1;
	if ((rc = template_rows_find(db, version, &v)) == -1)
		return -1;
	return rc == 0 ? 0 : 2;
}

/* Records tenant `tenant_id`'s version.  0 or -1. */
int
template_rows_set_tenant(struct db *db, int64_t tenant_id, const char *version)
{
	static const char sql[] = "UPDATE tenants SET template_version = ? "
	    "WHERE id = ?";
	struct db_param	p[2];

	p[0] = db_text(version);
	p[1] = db_int(tenant_id);
	return db_exec(db, sql, p, 2, NULL, NULL);
}

/* Ids per statement of template_rows_set_tenants(). */
#define SET_TENANTS_CHUNK	500

/*
 * Records that the `count` tenants `ids` are on `version`, in statements
 * of up to SET_TENANTS_CHUNK ids.  Returns 0 or -1.
 */
int
template_rows_set_tenants(struct db *db, const int64_t *ids, size_t count,
    const char *version)
{
	static const char head[] = "UPDATE tenants SET template_version = ? "
	    "WHERE id IN (";
	struct db_param	*params = NULL;
	struct buf	 sql;
	size_t		 start, n, slots, i;
	int		 rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if (count == 0)
		return 0;
	if ((params = calloc(1 + sql_in_list_slots(SET_TENANTS_CHUNK),
	    sizeof(*params))) == NULL)
		goto out;
	for (start = 0; start < count; start += n) {
		n = count - start < SET_TENANTS_CHUNK ? count - start :
		    SET_TENANTS_CHUNK;
		slots = sql_in_list_slots(n);
		params[0] = db_text(version);
		for (i = 0; i < n; i++)
			params[1 + i] = db_int(ids[start + i]);
		sql_pad_params(params + 1, n, slots);
		if (sql_repeat(&sql, head, "?", slots, ")") == -1 ||
		    db_exec(db, sql.data, params, 1 + slots, NULL, NULL) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/* The most tenants one rollout names (as a bulk deploy job may). */
#define ROLLOUT_MAX_TENANTS	1000000

/* Chooses the tenants of a rollout (template_rows.h).  0 or -1. */
int
template_rows_rollout_tenants(struct db *db, const char *version,
    int percent, int include_current, int64_t **ids, size_t *count)
{
	static const char sql[] = "SELECT id FROM tenants "
	    "WHERE is_active = 1 AND (? = 1 OR template_version IS NULL OR "
	    "template_version <> ?) AND MOD(CRC32(CONCAT(?, ':', id)), 100) < ? "
	    "ORDER BY id LIMIT 1000001";
	struct db_result	r;
	struct db_param		p[4];
	size_t			i;
	int			rc = -1;

	*ids = NULL;
	*count = 0;
	memset(&r, 0, sizeof(r));
	p[0] = db_int(include_current ? 1 : 0);
	p[1] = db_text(version);
	p[2] = db_text(version);
	p[3] = db_int(percent);
	if (db_query(db, sql, p, 4, &r) == -1)
		goto out;
	if (r.rows > ROLLOUT_MAX_TENANTS)
		goto out;
	if (r.rows > 0 && (*ids = calloc(r.rows, sizeof(**ids))) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++)
		(*ids)[i] = db_cell_int(&r, i, 0, 0);
	*count = r.rows;
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/* The tenants on a version (template_rows.h).  0 or -1. */
int
template_rows_tenants_on(struct db *db, const char *version, int64_t **ids,
    size_t *count, size_t *archived)
{
	static const char sql[] = "SELECT id, is_active FROM tenants "
	    "WHERE template_version = ? ORDER BY id LIMIT 1000001";
	struct db_result	r;
	struct db_param		p;
	size_t			i;
	int			rc = -1;

	*ids = NULL;
	*count = 0;
	*archived = 0;
	memset(&r, 0, sizeof(r));
	p = db_text(version);
	if (db_query(db, sql, &p, 1, &r) == -1)
		goto out;
	if (r.rows > ROLLOUT_MAX_TENANTS)
		goto out;
	if (r.rows > 0 && (*ids = calloc(r.rows, sizeof(**ids))) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++) {
		if (db_cell_int(&r, i, 1, 0) == 0)
			(*archived)++;
		else
			(*ids)[(*count)++] = db_cell_int(&r, i, 0, 0);
	}
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/* A version's members in the API's JSON (template_rows.h). */
int
template_version_json(yajl_gen g, const struct template_version *v)
{
	return json_gen_kv_string(g, "version", v->version) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "name", v->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "web_root", v->web_root) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files", (long long)v->files) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "bytes", (long long)v->bytes) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "source", v->source) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", v->created_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "is_default", v->is_default) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "tenants", (long long)v->tenants) !=
	    yajl_gen_status_ok ? -1 : 0;
}
