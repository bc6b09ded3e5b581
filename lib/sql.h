/*
 * sql.h - SQL text whose shape depends on a count: multi-row VALUES lists
 * and "IN (?,...)" lists, put together from constant fragments.
 *
 * The only text these functions write is what their callers pass as string
 * literals (a statement head and tail, one row such as "(?,?,?)" or "?")
 * and commas between the rows: every value still travels as a bound
 * parameter of db_exec() or db_query(), and t/sql-lint.t lists the callers.
 *
 * An "IN (...)" list has a marker count padded to one of a few fixed
 * sizes (sql_in_list_slots()), the extra markers repeating the last value
 * (sql_pad_params()), so the connection's statement cache holds a handful
 * of variants of each statement instead of one per list length.
 *
 * The text is written into a struct buf the caller owns (buf.h); the
 * buffer's limit bounds it.  Functions return 0, or -1 when the text would
 * pass that limit or memory ran out (the buffer then holds a prefix and
 * must not be run).
 */
#ifndef TENANTD_SQL_H
#define TENANTD_SQL_H

#include <stddef.h>

struct buf;
struct db_param;

/* A limit for a struct buf holding one statement's text. */
#define SQL_TEXT_MAX	(256 * 1024)

/*
 * Replaces the contents of `sql` with `head`, `count` copies of `row`
 * separated by commas, and `tail`: "INSERT ... VALUES " + "(?,?,?),(?,?,?)"
 * or "... WHERE id IN (" + "?,?,?" + ")".  A `count` of 0 is refused (-1):
 * neither form is valid SQL without a row.  Returns 0 or -1.
 */
int	sql_repeat(struct buf *sql, const char *head, const char *row,
	    size_t count, const char *tail);

/*
 * Replaces the contents of `sql` with the `count` fragments of `parts`
 * joined as they are (no separator), for statements assembled from
 * constant pieces such as a WHERE and an ORDER BY chosen from a table.
 * Returns 0 or -1.
 */
int	sql_join(struct buf *sql, const char *const parts[], size_t count);

/*
 * The number of markers for an "IN (...)" list of `count` values: the
 * smallest of 10, 25, 50, 100, 200 and 500 that holds them, or `count`
 * itself beyond 500.  0 for 0.
 */
size_t	sql_in_list_slots(size_t count);

/*
 * Fills params[count] .. params[slots - 1] with copies of params[count - 1],
 * so the padded markers of an "IN (...)" list repeat a value of the list
 * and match nothing more.  `params` holds `slots` entries, the first
 * `count` (at least one) already set; nothing happens when count is 0 or
 * not below `slots`.
 */
void	sql_pad_params(struct db_param *params, size_t count, size_t slots);

#endif
