/*
 * db.h - the MariaDB/MySQL connection, prepared statements only.
 *
 * Every statement that carries a value goes through db_exec() or db_query()
 * with typed parameters; SQL text is always a constant of the program.
 * Statements are prepared once per connection and cached (keyed by the SQL
 * text), so a hot query costs one round trip.
 *
 * Results are fetched whole into a struct db_result of text cells, which is
 * what the JSON layer needs anyway; helpers convert cells to integers.
 *
 * This is the one header of the module for the rest of tenantd: db.c holds
 * the connection and transactions, db_statement.c the statements,
 * db_result.c the results (db_internal.h is theirs alone).
 *
 * Connection loss: when the server goes away (or, on Galera, the node
 * leaves the primary component: error 1047), the call fails,
 * db_unavailable() becomes true and the next db_ensure() reconnects (on
 * every call while connects are refused at once, so the first request
 * after the server is back gets through; once per second after a slow or
 * other failure, so a struggling server is not hammered).  Through a proxy
 * such as HAProxy the new connection reaches the node that now takes
 * writes.  Callers answer 503 while it is down.  Nothing reconnects
 * silently in the middle of a transaction.
 *
 * Return convention: 0 on success, -1 on failure with db_error() describing
 * it and db_errno() holding the server's error number (e.g. 1062 for a
 * duplicate key, see db_is_duplicate()).
 */
#ifndef TENANTD_DB_H
#define TENANTD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct conf;
struct db;

enum db_param_type {
	DB_PARAM_NULL,
	DB_PARAM_INT,
	DB_PARAM_TEXT
};

struct db_param {
	enum db_param_type type;
	int64_t		 i;
	const char	*s;
	size_t		 len;
};

/* Parameter constructors: DB_TEXT(NULL) is SQL NULL. */
struct db_param	db_int(int64_t v);
struct db_param	db_text(const char *s);
struct db_param	db_textn(const char *s, size_t len);
struct db_param	db_null(void);

struct db_result {
	size_t	  rows;
	size_t	  cols;
	char	**cells;	/* rows * cols; NULL for SQL NULL */
	size_t	 *lengths;	/* rows * cols */
};

/*
 * Allocates a handle for the server described by `c` (db_host/db_port or
 * db_socket, db_name, db_user, db_password) and connects.  Returns the
 * handle even when the connection failed (check db_unavailable()), or NULL
 * if out of memory.  The handle copies what it needs from `c`.
 */
struct db *db_open(const struct conf *c);

/* Closes the connection and frees the handle; accepts NULL. */
void	db_close(struct db *db);

/*
 * Makes sure the connection is up, reconnecting if it was lost or the
 * server closed it while idle (rate limited as said above).  Returns 0, or
 * -1 if the server is unreachable.
 */
int	db_ensure(struct db *db);

/* True while the connection is known to be down. */
int	db_unavailable(const struct db *db);

/* Number of successful reconnects since db_open() (for metrics and tests). */
unsigned long db_reconnects(const struct db *db);

const char *db_error(const struct db *db);
unsigned int db_errno(const struct db *db);
int	db_is_duplicate(const struct db *db);	/* last error was ER_DUP_ENTRY */

/*
 * True when the last error since db_begin() was a deadlock (1213).
 * InnoDB answers it to the victim of a lock cycle, and Galera to a
 * transaction it aborted because another node committed a conflicting
 * write first (a certification failure, reported at COMMIT or at the next
 * statement).  Either way the server rolled the whole transaction back:
 * running it again from its start is safe when everything it did was in
 * the database (or is undone with it), and only then.
 */
int	db_is_deadlock(const struct db *db);

/*
 * Whether a transaction that just failed is to be run again from its
 * start: the server aborted it (db_is_deadlock()) and `*runs` (1 after
 * the first run) is below DB_ABORTED_RUNS.  Counts the run and logs
 * "<what> aborted (...); retrying the transaction", `what` formatted
 * like printf.  Only for a transaction that is database work alone, or
 * undoes what it did outside the database when it fails:
 *
 *	int runs = 1;
 *	while ((rc = once(...)) == -1 && db_run_again(db, &runs, "..."))
 *		;
 */
#define DB_ABORTED_RUNS	3
int	db_run_again(struct db *db, int *runs, const char *what, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Explains a failed call to an administrator: "the database is
 * unavailable" when the connection is lost (returns 1), else `what` with
 * the server's own message going to the log only (returns 0).  Callers map
 * the answer onto their status (DB_DOWN or FAILED).
 */
int	db_failure_describe(struct db *db, const char *what, char *err,
	    size_t errlen);

/*
 * db_failure_describe() answered as a result: RESULT_DB_DOWN when the
 * connection is lost or the server aborted the transaction
 * (db_is_deadlock()), else RESULT_FAILED.  The one way provision,
 * lifecycle, bulk and config_file turn a failed call into their result.
 */
enum result db_failure_status(struct db *db, const char *what, char *err,
	    size_t errlen);

/*
 * Runs a statement that returns no rows.  `affected` and `insert_id` may be
 * NULL.  Returns 0 or -1.
 */
int	db_exec(struct db *db, const char *sql, const struct db_param *params,
	    size_t nparams, uint64_t *affected, uint64_t *insert_id);

/*
 * Runs a query and fetches every row into `out`, which the caller releases
 * with db_result_release() (also after a failure).  Returns 0 or -1.
 */
int	db_query(struct db *db, const char *sql, const struct db_param *params,
	    size_t nparams, struct db_result *out);

/*
 * Runs SQL text without parameters, for schema migrations only (the text
 * comes from the migration files shipped with tenantd, never from a client).
 */
int	db_exec_script_statement(struct db *db, const char *sql, size_t len);

/* Transactions: 0 or -1.  db_rollback() is safe to call when none is open. */
int	db_begin(struct db *db);
int	db_commit(struct db *db);
int	db_rollback(struct db *db);

/* Cell text (NULL for SQL NULL) and conversions of a result. */
const char *db_cell(const struct db_result *r, size_t row, size_t col);
int64_t	db_cell_int(const struct db_result *r, size_t row, size_t col,
	    int64_t fallback);

/*
 * Copies a cell into a new string the caller frees: *out is the copy, or
 * NULL for SQL NULL (and a cell out of range).  Returns 0, or -1 if memory
 * ran out (*out NULL).
 */
int	db_cell_dup(const struct db_result *r, size_t row, size_t col,
	    char **out);

/*
 * Copies a cell into the caller's array `out` of `size` bytes (size > 0).
 * SQL NULL (or a cell out of range) is copied as `if_null`, like the
 * fallback of db_cell_int(); with `if_null` NULL it is a failure, for a
 * NOT NULL column.  Text is never cut: a cell that does not fit in `size`
 * bytes with its NUL is a failure too.  Returns 0, or -1 with `out` set to
 * "".
 */
int	db_cell_copy(const struct db_result *r, size_t row, size_t col,
	    char *out, size_t size, const char *if_null);

void	db_result_init(struct db_result *r);
void	db_result_release(struct db_result *r);

#endif
