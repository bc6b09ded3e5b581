/*
 * sql.c - multi-row VALUES and padded "IN (?,...)" SQL text from constant
 * fragments (see sql.h).  Used by tenant.c, tenant_list.c and
 * the bulk*.c files.
 */
#include <stddef.h>

#include "buf.h"
#include "db.h"
#include "sql.h"

/*
 * The padded sizes of "IN (...)" lists.  The largest is the longest list
 * any caller sends in one statement (TENANT_BY_IDS_MAX, BULK_CHUNK_MAX).
 */
static const size_t in_list_sizes[] = { 10, 25, 50, 100, 200, 500 };

/* Writes head, `count` rows and tail into `sql` (see sql.h).  0 or -1. */
int
sql_repeat(struct buf *sql, const char *head, const char *row, size_t count,
    const char *tail)
{
	size_t	i;

	buf_reset(sql);
	if (count == 0 || buf_append_str(sql, head) == -1)
		return -1;
	for (i = 0; i < count; i++) {
		if ((i > 0 && buf_append_char(sql, ',') == -1) ||
		    buf_append_str(sql, row) == -1)
			return -1;
	}
	return buf_append_str(sql, tail);
}

/*
 * Joins constant fragments into `sql`.  Not printf: the fragments hold
 * DATE_FORMAT's '%'.  Returns 0 or -1.
 */
int
sql_join(struct buf *sql, const char *const parts[], size_t count)
{
	size_t	i;

	buf_reset(sql);
	for (i = 0; i < count; i++)
		if (buf_append_str(sql, parts[i]) == -1)
			return -1;
	return 0;
}

/* The padded marker count for `count` values (see sql.h). */
size_t
sql_in_list_slots(size_t count)
{
	size_t	i;

	if (count == 0)
		return 0;
	for (i = 0; i < sizeof(in_list_sizes) / sizeof(in_list_sizes[0]); i++)
		if (count <= in_list_sizes[i])
			return in_list_sizes[i];
	return count;
}

/* Repeats the last of `count` parameters up to `slots` (see sql.h). */
void
sql_pad_params(struct db_param *params, size_t count, size_t slots)
{
	size_t	i;

	if (count == 0)
		return;
	for (i = count; i < slots; i++)
		params[i] = params[count - 1];
}
