/*
 * sql.c - unit tests for lib/sql.c (multi-row and padded "IN (...)" SQL
 * text) and the result cell copies of lib/db_result.c (db_cell_dup(),
 * db_cell_copy()), which need no server: a struct db_result is built by
 * hand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "sql.h"
#include "tap.h"

/* Rows and lists come out with commas between, head and tail around. */
static void
test_repeat(void)
{
	struct buf	sql;

	buf_init(&sql, SQL_TEXT_MAX);
	is_int(sql_repeat(&sql, "INSERT INTO t (a, b) VALUES ", "(?,?)", 3, ""),
	    0, "repeat: three rows");
	is_string(sql.data, "INSERT INTO t (a, b) VALUES (?,?),(?,?),(?,?)",
	    "repeat: VALUES rows, no comma after the last");
	is_int(sql_repeat(&sql, "SELECT id FROM t WHERE id IN (", "?", 1,
	    ") ORDER BY id"), 0, "repeat: one marker");
	is_string(sql.data, "SELECT id FROM t WHERE id IN (?) ORDER BY id",
	    "repeat: a list of one, and the buffer was replaced");
	is_int(sql_repeat(&sql, "DELETE FROM t WHERE id IN (", "?", 0, ")"), -1,
	    "repeat: no rows is refused");
	buf_release(&sql);

	/* "x IN (" (6) + 4 markers and 3 commas (7) + ")" (1) = 14 bytes. */
	buf_init(&sql, 13);
	is_int(sql_repeat(&sql, "x IN (", "?", 4, ")"), -1,
	    "repeat: text one byte over the buffer's limit fails");
	buf_release(&sql);
	buf_init(&sql, 14);
	is_int(sql_repeat(&sql, "x IN (", "?", 4, ")"), 0,
	    "repeat: text exactly at the limit fits");
	is_string(sql.data, "x IN (?,?,?,?)", "repeat: the text at the limit");
	buf_release(&sql);
}

/* Fragments are joined as they are, '%' included. */
static void
test_join(void)
{
	static const char *const parts[] = { "SELECT DATE_FORMAT(a, '%Y')",
	    " FROM t", "", " WHERE b = ?" };
	struct buf	sql;

	buf_init(&sql, SQL_TEXT_MAX);
	is_int(buf_append_str(&sql, "old text"), 0, "join: buffer holds text");
	is_int(sql_join(&sql, parts, 4), 0, "join: four fragments");
	is_string(sql.data, "SELECT DATE_FORMAT(a, '%Y') FROM t WHERE b = ?",
	    "join: replaces the contents, keeps '%'");
	is_int(sql_join(&sql, parts, 0), 0, "join: no fragment");
	is_string(sql.data, "", "join: no fragment gives \"\"");
	buf_release(&sql);

	buf_init(&sql, 10);
	is_int(sql_join(&sql, parts, 2), -1, "join: over the limit fails");
	buf_release(&sql);
}

/* Marker counts are padded to a few sizes; beyond the largest, exact. */
static void
test_slots(void)
{
	static const struct {
		size_t	count, slots;
	} cases[] = {
		{ 0, 0 }, { 1, 10 }, { 10, 10 }, { 11, 25 }, { 25, 25 },
		{ 26, 50 }, { 51, 100 }, { 100, 100 }, { 101, 200 },
		{ 201, 500 }, { 500, 500 }, { 501, 501 }, { 2000, 2000 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(sql_in_list_slots(cases[i].count) == cases[i].slots,
		    "slots: %zu values take %zu markers (got %zu)",
		    cases[i].count, cases[i].slots,
		    sql_in_list_slots(cases[i].count));
}

/* Padding repeats the last value and touches nothing before it. */
static void
test_pad(void)
{
	struct db_param	p[10];
	size_t		i;
	int		same = 1;

	for (i = 0; i < 10; i++)
		p[i] = db_int(-1);
	p[0] = db_int(7);
	p[1] = db_int(8);
	p[2] = db_text("last");
	sql_pad_params(p, 3, 10);
	is_int(p[0].i, 7, "pad: first value kept");
	is_int(p[1].i, 8, "pad: second value kept");
	for (i = 2; i < 10; i++)
		if (p[i].type != DB_PARAM_TEXT || p[i].s == NULL ||
		    strcmp(p[i].s, "last") != 0)
			same = 0;
	ok(same, "pad: slots 3..10 repeat the last value");

	p[0] = db_int(1);
	p[1] = db_int(2);
	sql_pad_params(p, 0, 2);
	is_int(p[0].i + p[1].i, 3, "pad: a count of 0 changes nothing");
	sql_pad_params(p, 2, 2);
	is_int(p[1].i, 2, "pad: a full list changes nothing");
}

/* A result of one row: "abc", SQL NULL, "" (cells as db_query() makes). */
static int
result_make(struct db_result *r)
{
	static const char *const text[] = { "abc", NULL, "" };
	size_t	i;

	db_result_init(r);
	r->rows = 1;
	r->cols = 3;
	if ((r->cells = calloc(3, sizeof(*r->cells))) == NULL ||
	    (r->lengths = calloc(3, sizeof(*r->lengths))) == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		if (text[i] == NULL)
			continue;
		if ((r->cells[i] = strdup(text[i])) == NULL)
			return -1;
		r->lengths[i] = strlen(text[i]);
	}
	return 0;
}

/* db_cell_dup(): a copy, or NULL for SQL NULL. */
static void
test_cell_dup(void)
{
	struct db_result r;
	char		*out = (char *)"unset";

	if (!ok(result_make(&r) == 0, "dup: result built")) {
		db_result_release(&r);
		return;
	}
	is_int(db_cell_dup(&r, 0, 0, &out), 0, "dup: text");
	is_string(out, "abc", "dup: the text");
	ok(out != r.cells[0], "dup: a copy, not the cell");
	free(out);
	out = (char *)"unset";
	is_int(db_cell_dup(&r, 0, 1, &out), 0, "dup: SQL NULL is no failure");
	ok(out == NULL, "dup: SQL NULL gives NULL");
	is_int(db_cell_dup(&r, 0, 2, &out), 0, "dup: empty text");
	is_string(out, "", "dup: \"\" stays \"\", not NULL");
	free(out);
	out = (char *)"unset";
	is_int(db_cell_dup(&r, 1, 0, &out), 0, "dup: a row out of range");
	ok(out == NULL, "dup: out of range gives NULL");
	db_result_release(&r);
}

/* db_cell_copy(): NULL as `if_null` or a failure; never cut. */
static void
test_cell_copy(void)
{
	struct db_result r;
	char		 out[4];

	if (!ok(result_make(&r) == 0, "copy: result built")) {
		db_result_release(&r);
		return;
	}
	is_int(db_cell_copy(&r, 0, 0, out, sizeof(out), NULL), 0,
	    "copy: text that fits with its NUL");
	is_string(out, "abc", "copy: the text");
	is_int(db_cell_copy(&r, 0, 0, out, 3, NULL), -1,
	    "copy: text one byte too long fails");
	is_string(out, "", "copy: a failure leaves \"\", not a cut text");
	memcpy(out, "xyz", 4);
	is_int(db_cell_copy(&r, 0, 1, out, sizeof(out), NULL), -1,
	    "copy: SQL NULL without if_null fails (NOT NULL column)");
	is_string(out, "", "copy: and leaves \"\"");
	is_int(db_cell_copy(&r, 0, 1, out, sizeof(out), ""), 0,
	    "copy: SQL NULL with if_null \"\"");
	is_string(out, "", "copy: SQL NULL copied as \"\"");
	is_int(db_cell_copy(&r, 0, 1, out, sizeof(out), "n/a"), 0,
	    "copy: SQL NULL with another if_null");
	is_string(out, "n/a", "copy: SQL NULL copied as if_null");
	is_int(db_cell_copy(&r, 0, 1, out, 3, "n/a"), -1,
	    "copy: an if_null that does not fit fails too");
	is_int(db_cell_copy(&r, 0, 2, out, sizeof(out), NULL), 0,
	    "copy: empty text is no NULL");
	is_string(out, "", "copy: empty text");
	is_int(db_cell_copy(&r, 0, 0, out, 0, NULL), -1,
	    "copy: a size of 0 fails");
	db_result_release(&r);
}

int
main(void)
{
	test_repeat();
	test_join();
	test_slots();
	test_pad();
	test_cell_dup();
	test_cell_copy();
	done_testing();
	return exit_status();
}
