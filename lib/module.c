/*
 * module.c - the catalog of feature modules: read from etc/modules.json,
 * upserted into module_definitions, loaded back for validation, config.json
 * and the API.
 *
 * The file is trusted configuration but is still checked field by field, so
 * a typo is reported with the entry's index instead of landing in the
 * database.  Modules dropped from the file are not deleted from the table:
 * tenant rows refer to them, and removing a module is a deliberate
 * migration, not a side effect of editing a list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "json.h"
#include "module.h"
#include "validate.h"

#define MODULE_FILE_MAX		(1024 * 1024)
#define MODULE_CATALOG_MAX	256
#define MODULE_NAME_MAX		100
#define MODULE_DESCRIPTION_MAX	500
#define MODULE_ICON_MAX		50
#define MODULE_ROUTE_MAX	100

/* Sets up an empty catalog; allocates nothing. */
void
module_catalog_init(struct module_catalog *cat)
{
	cat->modules = NULL;
	cat->count = 0;
}

/* Frees one definition's strings. */
static void
module_def_release(struct module_def *m)
{
	free(m->key);
	free(m->name);
	free(m->description);
	free(m->icon);
	free(m->route);
	memset(m, 0, sizeof(*m));
}

/* Frees every definition and empties the catalog.  Accepts NULL. */
void
module_catalog_release(struct module_catalog *cat)
{
	size_t i;

	if (cat == NULL)
		return;
	for (i = 0; i < cat->count; i++)
		module_def_release(&cat->modules[i]);
	free(cat->modules);
	module_catalog_init(cat);
}

/*
 * Copies a cell into a new string, "" for SQL NULL.  Returns 0, or -1 if
 * memory ran out.
 */
static int
copy_text(const struct db_result *r, size_t row, size_t col, char **out)
{
	const char *cell;

	cell = db_cell(r, row, col);
	*out = strdup(cell != NULL ? cell : "");
	return *out == NULL ? -1 : 0;
}

/*
 * Loads module_definitions ordered by sort_order and key into `cat`
 * (emptied first).  Called per request by handlers that need the catalog
 * and by tenantctl.  Returns 0 or -1 (`cat` is then empty).
 */
int
module_catalog_load(struct module_catalog *cat, struct db *db)
{
	static const char sql[] = "SELECT module_key, module_name, "
	    "description, icon, route, is_core, sort_order "
	    "FROM module_definitions ORDER BY sort_order, module_key";
	struct db_result r;
	size_t row;
	int rc = -1;

	module_catalog_release(cat);
	db_result_init(&r);
	if (db_query(db, sql, NULL, 0, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if ((cat->modules = calloc(r.rows, sizeof(*cat->modules))) == NULL)
		goto out;
	for (row = 0; row < r.rows; row++) {
		struct module_def *m = &cat->modules[row];

		cat->count = row + 1;
		if (copy_text(&r, row, 0, &m->key) == -1 ||
		    copy_text(&r, row, 1, &m->name) == -1 ||
		    copy_text(&r, row, 2, &m->description) == -1 ||
		    copy_text(&r, row, 3, &m->icon) == -1 ||
		    copy_text(&r, row, 4, &m->route) == -1)
			goto out;
		m->is_core = db_cell_int(&r, row, 5, 0) != 0;
		m->sort_order = (int)db_cell_int(&r, row, 6, 0);
	}
	rc = 0;
out:
	db_result_release(&r);
	if (rc == -1)
		module_catalog_release(cat);
	return rc;
}

/*
 * Reads the whole file `path` into `out`, refusing files larger than
 * MODULE_FILE_MAX.  Returns 0, or -1 with errno set (ENOBUFS: too large).
 */
static int
read_small_file(const char *path, struct buf *out)
{
	int fd = -1, rc = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto out;
	rc = buf_read_fd(out, fd);
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
	return rc;
}

/*
 * Takes string field `field` of entry `index`: required or not, at most
 * `max` bytes, valid UTF-8 without NUL.  `*out` gets a copy ("" when
 * absent and optional).  Returns 0, or -1 with a message in `err`.
 */
static int
take_string(const struct json_value *entry, size_t index, const char *field,
    int required, size_t max, char **out, char *err, size_t errlen)
{
	const struct json_value *v;

	*out = NULL;
	v = json_object_get(entry, field);
	if (v == NULL) {
		if (required) {
			snprintf(err, errlen, "module %zu: missing \"%s\"",
			    index, field);
			return -1;
		}
		*out = strdup("");
		goto copied;
	}
	if (v->type != JSON_STRING) {
		snprintf(err, errlen, "module %zu: \"%s\" must be a string",
		    index, field);
		return -1;
	}
	if (v->len > max || utf8_length(v->text, v->len) < 0) {
		snprintf(err, errlen, "module %zu: \"%s\" must be valid text "
		    "of at most %zu bytes", index, field, max);
		return -1;
	}
	*out = strdup(v->text);
copied:
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Checks and copies entry `index` of modules.json into `m`.  Returns 0,
 * or -1 with a message in `err`.
 */
static int
read_entry(const struct json_value *entry, size_t index, struct module_def *m,
    char *err, size_t errlen)
{
	static const char *const known[] = { "module_key", "module_name",
	    "description", "icon", "route", "is_core", "sort_order" };
	const struct json_value *v;
	const char *problem;
	int64_t order;
	size_t i, k;

	if (entry->type != JSON_OBJECT) {
		snprintf(err, errlen, "module %zu: must be an object", index);
		return -1;
	}
	for (i = 0; i < entry->count; i++) {
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(entry->keys[i], known[k]) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "module %zu: unknown field "
			    "\"%.64s\"", index, entry->keys[i]);
			return -1;
		}
	}

	if (take_string(entry, index, "module_key", 1, MODULE_KEY_MAX,
	    &m->key, err, errlen) == -1)
		return -1;
	if ((problem = validate_module_key(m->key, strlen(m->key))) != NULL) {
		snprintf(err, errlen, "module %zu: module_key %s", index,
		    problem);
		return -1;
	}
	if (take_string(entry, index, "module_name", 1, MODULE_NAME_MAX,
	    &m->name, err, errlen) == -1 ||
	    take_string(entry, index, "description", 0,
	    MODULE_DESCRIPTION_MAX, &m->description, err, errlen) == -1 ||
	    take_string(entry, index, "icon", 0, MODULE_ICON_MAX, &m->icon,
	    err, errlen) == -1 ||
	    take_string(entry, index, "route", 1, MODULE_ROUTE_MAX,
	    &m->route, err, errlen) == -1)
		return -1;
	if (m->name[0] == '\0') {
		snprintf(err, errlen, "module %zu: module_name is empty",
		    index);
		return -1;
	}
	if (m->route[0] != '/') {
		snprintf(err, errlen, "module %zu: route must start with '/'",
		    index);
		return -1;
	}

	if ((v = json_object_get(entry, "is_core")) != NULL) {
		if (v->type != JSON_BOOL) {
			snprintf(err, errlen, "module %zu: is_core must be "
			    "true or false", index);
			return -1;
		}
		m->is_core = v->boolean != 0;
	}
	if ((v = json_object_get(entry, "sort_order")) != NULL) {
		if (v->type != JSON_NUMBER ||
		    json_number_int64(v, INT32_MIN, INT32_MAX, &order) == -1) {
			snprintf(err, errlen, "module %zu: sort_order must be "
			    "an integer", index);
			return -1;
		}
		m->sort_order = (int)order;
	}
	return 0;
}

/* qsort order of a catalog: sort_order, then key (as the table is read). */
static int
compare_modules(const void *a, const void *b)
{
	const struct module_def *ma = a, *mb = b;

	if (ma->sort_order != mb->sort_order)
		return ma->sort_order < mb->sort_order ? -1 : 1;
	return strcmp(ma->key, mb->key);
}

/*
 * Reads and validates modules.json into `cat` (emptied first), sorted as
 * module_catalog_load() would return it.  Duplicate keys are an error.
 * Called by `tenantctl init-modules`.  Returns 0, or -1 with a message in
 * `err` (`cat` is then empty).
 */
int
module_catalog_read_file(struct module_catalog *cat, const char *path,
    char *err, size_t errlen)
{
	struct buf text;
	struct json_value *root = NULL;
	char parse_err[256];
	size_t i, j;
	int rc = -1;

	module_catalog_release(cat);
	buf_init(&text, MODULE_FILE_MAX);
	if (read_small_file(path, &text) == -1) {
		if (errno == ENOBUFS)
			snprintf(err, errlen, "%s: larger than %d bytes", path,
			    MODULE_FILE_MAX);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((root = json_parse(text.data, text.len, parse_err,
	    sizeof(parse_err))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, parse_err);
		goto out;
	}
	if (root->type != JSON_ARRAY) {
		snprintf(err, errlen, "%s: must be a JSON array of modules",
		    path);
		goto out;
	}
	if (root->count > MODULE_CATALOG_MAX) {
		snprintf(err, errlen, "%s: more than %d modules", path,
		    MODULE_CATALOG_MAX);
		goto out;
	}
	if (root->count > 0 && (cat->modules = calloc(root->count,
	    sizeof(*cat->modules))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < root->count; i++) {
		cat->count = i + 1;
		if (read_entry(root->items[i], i, &cat->modules[i], err,
		    errlen) == -1) {
			char message[256];

			snprintf(message, sizeof(message), "%s", err);
			snprintf(err, errlen, "%s: %s", path, message);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(cat->modules[j].key,
			    cat->modules[i].key) == 0) {
				snprintf(err, errlen, "%s: module %zu: "
				    "duplicate module_key \"%s\"", path, i,
				    cat->modules[i].key);
				goto out;
			}
		}
	}
	if (cat->count > 1)
		qsort(cat->modules, cat->count, sizeof(*cat->modules),
		    compare_modules);
	rc = 0;
out:
	json_free(root);
	buf_release(&text);
	if (rc == -1)
		module_catalog_release(cat);
	return rc;
}

/*
 * Inserts or updates every module of `cat` in one transaction, so the
 * table never holds half of a new list.  Returns 0 or -1 (rolled back).
 */
int
module_catalog_upsert(const struct module_catalog *cat, struct db *db)
{
	static const char sql[] = "INSERT INTO module_definitions "
	    "(module_key, module_name, description, icon, route, is_core, "
	    "sort_order) VALUES (?, ?, ?, ?, ?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE module_name = VALUES(module_name), "
	    "description = VALUES(description), icon = VALUES(icon), "
	    "route = VALUES(route), is_core = VALUES(is_core), "
	    "sort_order = VALUES(sort_order)";
	struct db_param p[7];
	size_t i;

	if (db_begin(db) == -1)
		return -1;
	for (i = 0; i < cat->count; i++) {
		const struct module_def *m = &cat->modules[i];

		p[0] = db_text(m->key);
		p[1] = db_text(m->name);
		p[2] = db_text(m->description != NULL ? m->description : "");
		p[3] = db_text(m->icon != NULL ? m->icon : "");
		p[4] = db_text(m->route != NULL ? m->route : "");
		p[5] = db_int(m->is_core ? 1 : 0);
		p[6] = db_int(m->sort_order);
		if (db_exec(db, sql, p, 7, NULL, NULL) == -1)
			goto fail;
	}
	if (db_commit(db) == -1)
		return -1;
	return 0;
fail:
	(void)db_rollback(db);
	return -1;
}

/* The module of `cat` with `key`, or NULL. */
const struct module_def *
module_catalog_find(const struct module_catalog *cat, const char *key)
{
	size_t i;

	if (cat == NULL || key == NULL)
		return NULL;
	for (i = 0; i < cat->count; i++)
		if (strcmp(cat->modules[i].key, key) == 0)
			return &cat->modules[i];
	return NULL;
}
