/*
 * db_statement.c - statements on the connection of db.c: parameters, the
 * cache of prepared statements (one per SQL text, least recently used one
 * evicted), binding and running them (db_exec()), and fetching a query's
 * rows whole as text cells (db_query()).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_internal.h"

#define DB_MIN_CELL_BUFFER	64	/* numbers and dates always fit */

/*
 * Builds a DB_PARAM_INT parameter.  Called wherever an integer is bound.
 */
struct db_param
db_int(int64_t v)
{
	struct db_param p;

	memset(&p, 0, sizeof(p));
	p.type = DB_PARAM_INT;
	p.i = v;
	return p;
}

/*
 * Builds a text parameter from a C string; NULL becomes SQL NULL.
 */
struct db_param
db_text(const char *s)
{
	if (s == NULL)
		return db_null();
	return db_textn(s, strlen(s));
}

/*
 * Builds a text parameter of `len` bytes (which may contain NULs); a NULL
 * pointer becomes SQL NULL.
 */
struct db_param
db_textn(const char *s, size_t len)
{
	struct db_param p;

	if (s == NULL)
		return db_null();
	memset(&p, 0, sizeof(p));
	p.type = DB_PARAM_TEXT;
	p.s = s;
	p.len = len;
	return p;
}

/* Builds an SQL NULL parameter. */
struct db_param
db_null(void)
{
	struct db_param p;

	memset(&p, 0, sizeof(p));
	p.type = DB_PARAM_NULL;
	return p;
}

/*
 * Returns the cached prepared statement for `sql`, preparing it (and
 * evicting the least recently used entry when the cache is full) if it is
 * new.  NULL on failure with the error recorded.
 */
static MYSQL_STMT *
statement_for(struct db *db, const char *sql)
{
	struct db_cached_statement *slot;
	MYSQL_STMT *stmt = NULL;
	char *copy = NULL;
	my_bool update_max_length = 1;
	size_t i, oldest;

	for (i = 0; i < db->cache_count; i++) {
		if (db->cache[i].sql == sql ||
		    strcmp(db->cache[i].sql, sql) == 0) {
			db->cache[i].last_used = ++db->use_clock;
			return db->cache[i].stmt;
		}
	}

	if ((copy = strdup(sql)) == NULL) {
		db_set_error(db, 0, "out of memory");
		goto fail;
	}
	if ((stmt = mysql_stmt_init(db->mysql)) == NULL) {
		db_set_error(db, 0, "out of memory");
		goto fail;
	}
	if (mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH,
	    &update_max_length) != 0) {
		db_take_statement_error(db, stmt);
		goto fail;
	}
	if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
		db_take_statement_error(db, stmt);
		goto fail;
	}

	if (db->cache_count < DB_STMT_CACHE_MAX)
		slot = &db->cache[db->cache_count++];
	else {
		oldest = 0;
		for (i = 1; i < db->cache_count; i++)
			if (db->cache[i].last_used <
			    db->cache[oldest].last_used)
				oldest = i;
		slot = &db->cache[oldest];
		mysql_stmt_close(slot->stmt);
		free(slot->sql);
	}
	slot->sql = copy;
	slot->stmt = stmt;
	slot->last_used = ++db->use_clock;
	return stmt;
fail:
	/*
	 * A lost connection has already closed the cache; the statement was
	 * detached from it and closing it here only frees memory.
	 */
	if (stmt != NULL)
		mysql_stmt_close(stmt);
	free(copy);
	return NULL;
}

/*
 * Prepares (or reuses) `sql`, binds `params` and executes it.  The
 * parameter arrays live only for the call: libmariadb sends the values
 * during mysql_stmt_execute().  Returns the statement, or NULL on failure.
 */
static MYSQL_STMT *
run_statement(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams)
{
	MYSQL_STMT *stmt = NULL;
	MYSQL_BIND *binds = NULL;
	long long *integers = NULL;
	unsigned long *lengths = NULL;
	size_t i;

	if (db_check_usable(db) == -1)
		return NULL;
	if ((stmt = statement_for(db, sql)) == NULL)
		return NULL;
	if (mysql_stmt_param_count(stmt) != nparams) {
		db_set_error(db, 0, "parameter count does not match statement");
		return NULL;
	}

	if (nparams > 0) {
		binds = calloc(nparams, sizeof(*binds));
		integers = calloc(nparams, sizeof(*integers));
		lengths = calloc(nparams, sizeof(*lengths));
		if (binds == NULL || integers == NULL || lengths == NULL) {
			db_set_error(db, 0, "out of memory");
			stmt = NULL;
			goto out;
		}
		for (i = 0; i < nparams; i++) {
			switch (params[i].type) {
			case DB_PARAM_INT:
				integers[i] = params[i].i;
				binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
				binds[i].buffer = &integers[i];
				break;
			case DB_PARAM_TEXT:
				if (params[i].len > ULONG_MAX) {
					db_set_error(db, 0, "parameter too long");
					stmt = NULL;
					goto out;
				}
				lengths[i] = (unsigned long)params[i].len;
				binds[i].buffer_type = MYSQL_TYPE_STRING;
				binds[i].buffer = (void *)params[i].s;
				binds[i].buffer_length = lengths[i];
				binds[i].length = &lengths[i];
				break;
			case DB_PARAM_NULL:
			default:
				binds[i].buffer_type = MYSQL_TYPE_NULL;
				break;
			}
		}
		if (mysql_stmt_bind_param(stmt, binds) != 0) {
			db_take_statement_error(db, stmt);
			stmt = NULL;
			goto out;
		}
	}

	if (mysql_stmt_execute(stmt) != 0) {
		db_take_statement_error(db, stmt);
		stmt = NULL;
		goto out;
	}
	db->last_used_ms = db_monotonic_ms();
out:
	free(binds);
	free(integers);
	free(lengths);
	return stmt;
}

/*
 * Runs a statement that returns no rows (a result set, if any, is read and
 * dropped so the connection stays in step).  Used by every INSERT, UPDATE
 * and DELETE in lib/.  Returns 0 or -1.
 */
int
db_exec(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams, uint64_t *affected, uint64_t *insert_id)
{
	MYSQL_STMT *stmt;

	if ((stmt = run_statement(db, sql, params, nparams)) == NULL)
		return -1;
	if (affected != NULL)
		*affected = (uint64_t)mysql_stmt_affected_rows(stmt);
	if (insert_id != NULL)
		*insert_id = (uint64_t)mysql_stmt_insert_id(stmt);
	if (mysql_stmt_field_count(stmt) > 0) {
		if (mysql_stmt_store_result(stmt) != 0) {
			db_take_statement_error(db, stmt);
			return -1;
		}
		mysql_stmt_free_result(stmt);
	}
	return 0;
}

/*
 * Reads the column `col` of the current row again into a buffer that fits,
 * after mysql_stmt_fetch() reported it truncated.  Returns the new cell or
 * NULL with the error recorded.
 */
static char *
refetch_column(struct db *db, MYSQL_STMT *stmt, unsigned int col,
    unsigned long length)
{
	MYSQL_BIND bind;
	unsigned long got = 0;
	char *cell = NULL;

	if (length == ULONG_MAX ||
	    (cell = malloc((size_t)length + 1)) == NULL) {
		db_set_error(db, 0, "out of memory");
		return NULL;
	}
	memset(&bind, 0, sizeof(bind));
	bind.buffer_type = MYSQL_TYPE_STRING;
	bind.buffer = cell;
	bind.buffer_length = length + 1;
	bind.length = &got;
	if (mysql_stmt_fetch_column(stmt, &bind, col, 0) != 0) {
		db_take_statement_error(db, stmt);
		free(cell);
		return NULL;
	}
	if (got > length)
		got = length;
	cell[got] = '\0';
	return cell;
}

/*
 * Runs a query and copies every row into `out` as NUL-terminated text
 * cells.  Columns are bound as strings sized by the longest value of the
 * result (STMT_ATTR_UPDATE_MAX_LENGTH); a value that still does not fit is
 * fetched again whole.  Returns 0 or -1; `out` is released by the caller
 * either way.
 */
int
db_query(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams, struct db_result *out)
{
	MYSQL_STMT *stmt;
	MYSQL_RES *meta = NULL;
	MYSQL_FIELD *fields;
	MYSQL_BIND *binds = NULL;
	char **buffers = NULL;
	unsigned long *lengths = NULL;
	my_bool *nulls = NULL, *errors = NULL;
	unsigned long long rows;
	unsigned int cols = 0, c;
	size_t row, cells, size;
	int rc = -1, status, stored = 0;

	db_result_release(out);
	if ((stmt = run_statement(db, sql, params, nparams)) == NULL)
		return -1;
	if (mysql_stmt_store_result(stmt) != 0) {
		db_take_statement_error(db, stmt);
		goto out;
	}
	stored = 1;
	cols = mysql_stmt_field_count(stmt);
	rows = mysql_stmt_num_rows(stmt);
	if (cols == 0) {
		rc = 0;
		goto out;
	}
	if ((meta = mysql_stmt_result_metadata(stmt)) == NULL) {
		db_take_statement_error(db, stmt);
		goto out;
	}
	fields = mysql_fetch_fields(meta);

	if (rows > SIZE_MAX / cols ||
	    (size_t)rows * cols > SIZE_MAX / sizeof(char *)) {
		db_set_error(db, 0, "result too large");
		goto out;
	}
	cells = (size_t)rows * cols;
	if (cells > 0) {
		out->cells = calloc(cells, sizeof(*out->cells));
		out->lengths = calloc(cells, sizeof(*out->lengths));
		if (out->cells == NULL || out->lengths == NULL) {
			db_set_error(db, 0, "out of memory");
			goto out;
		}
	}
	out->cols = cols;
	out->rows = (size_t)rows;

	binds = calloc(cols, sizeof(*binds));
	buffers = calloc(cols, sizeof(*buffers));
	lengths = calloc(cols, sizeof(*lengths));
	nulls = calloc(cols, sizeof(*nulls));
	errors = calloc(cols, sizeof(*errors));
	if (binds == NULL || buffers == NULL || lengths == NULL ||
	    nulls == NULL || errors == NULL) {
		db_set_error(db, 0, "out of memory");
		goto out;
	}
	for (c = 0; c < cols; c++) {
		size = fields[c].max_length;
		if (size < DB_MIN_CELL_BUFFER)
			size = DB_MIN_CELL_BUFFER;
		if (size >= ULONG_MAX ||
		    (buffers[c] = malloc(size + 1)) == NULL) {
			db_set_error(db, 0, "out of memory");
			goto out;
		}
		binds[c].buffer_type = MYSQL_TYPE_STRING;
		binds[c].buffer = buffers[c];
		binds[c].buffer_length = (unsigned long)size + 1;
		binds[c].length = &lengths[c];
		binds[c].is_null = &nulls[c];
		binds[c].error = &errors[c];
	}
	if (mysql_stmt_bind_result(stmt, binds) != 0) {
		db_take_statement_error(db, stmt);
		goto out;
	}

	for (row = 0; row < (size_t)rows; row++) {
		status = mysql_stmt_fetch(stmt);
		if (status == MYSQL_NO_DATA) {
			out->rows = row;
			break;
		}
		if (status != 0 && status != MYSQL_DATA_TRUNCATED) {
			db_take_statement_error(db, stmt);
			goto out;
		}
		for (c = 0; c < cols; c++) {
			size_t at = row * cols + c;
			char *cell;

			if (nulls[c])
				continue;
			if (status == MYSQL_DATA_TRUNCATED && errors[c]) {
				cell = refetch_column(db, stmt, c, lengths[c]);
				if (cell == NULL)
					goto out;
				out->lengths[at] = lengths[c];
			} else {
				size = lengths[c] < binds[c].buffer_length ?
				    lengths[c] : binds[c].buffer_length - 1;
				if ((cell = malloc(size + 1)) == NULL) {
					db_set_error(db, 0, "out of memory");
					goto out;
				}
				memcpy(cell, buffers[c], size);
				cell[size] = '\0';
				out->lengths[at] = size;
			}
			out->cells[at] = cell;
		}
	}
	rc = 0;
out:
	if (stored && db->mysql != NULL)
		mysql_stmt_free_result(stmt);
	if (meta != NULL)
		mysql_free_result(meta);
	if (buffers != NULL)
		for (c = 0; c < cols; c++)
			free(buffers[c]);
	free(buffers);
	free(binds);
	free(lengths);
	free(nulls);
	free(errors);
	return rc;
}
