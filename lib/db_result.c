/*
 * db_result.c - the results of db_query(): cells as text, integers and
 * copies, and releasing a result.  No connection needed: a result is plain
 * memory once fetched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "validate.h"

/* The text of a cell, or NULL for SQL NULL or a cell out of range. */
const char *
db_cell(const struct db_result *r, size_t row, size_t col)
{
	if (r->cells == NULL || row >= r->rows || col >= r->cols)
		return NULL;
	return r->cells[row * r->cols + col];
}

/*
 * A cell as an integer, or `fallback` when it is NULL, out of range or not
 * a decimal integer.
 */
int64_t
db_cell_int(const struct db_result *r, size_t row, size_t col,
    int64_t fallback)
{
	const char *text, *errstr;
	int64_t value;

	if ((text = db_cell(r, row, col)) == NULL)
		return fallback;
	if (parse_int64(text, INT64_MIN, INT64_MAX, &value, &errstr) == -1)
		return fallback;
	return value;
}

/* A cell copied into a new string, NULL for SQL NULL (see db.h).  0/-1. */
int
db_cell_dup(const struct db_result *r, size_t row, size_t col, char **out)
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
 * A cell copied into a fixed array, SQL NULL as `if_null` or a failure
 * (see db.h).  Returns 0, or -1 with `out` empty.
 */
int
db_cell_copy(const struct db_result *r, size_t row, size_t col, char *out,
    size_t size, const char *if_null)
{
	const char *cell;
	size_t len;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if ((cell = db_cell(r, row, col)) == NULL && (cell = if_null) == NULL)
		return -1;
	len = strlen(cell);
	if (len >= size)
		return -1;
	memcpy(out, cell, len + 1);
	return 0;
}

/* Sets up an empty result; allocates nothing. */
void
db_result_init(struct db_result *r)
{
	memset(r, 0, sizeof(*r));
}

/*
 * Frees every cell and leaves the result empty, ready for reuse.  Safe on
 * a result that was only initialised or partly filled.
 */
void
db_result_release(struct db_result *r)
{
	size_t i, cells;

	if (r == NULL)
		return;
	if (r->cells != NULL) {
		cells = r->rows * r->cols;
		for (i = 0; i < cells; i++)
			free(r->cells[i]);
	}
	free(r->cells);
	free(r->lengths);
	db_result_init(r);
}
