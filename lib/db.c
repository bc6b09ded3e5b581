/*
 * db.c - the MariaDB/MySQL connection: prepared statements, results fetched
 * whole as text, connection-loss detection and reconnects.
 *
 * One struct db is one connection, owned by one process.  Statements are
 * prepared the first time their SQL text is used and kept in a small cache
 * (least recently used one evicted); the cache dies with the connection,
 * because server-side statements do not survive a reconnect.
 *
 * When an error says the connection is gone, the connection is closed at
 * once and the handle is "down": every call fails until db_ensure()
 * reconnects.  db_ensure() also notices a connection the server closed
 * while it was idle (a restart, KILL), and it tries to reconnect on every
 * call while the server simply refuses connections, but only once per
 * second after any other failure (see connect_attempt()).  A transaction
 * that was open when the connection went away is lost; it stays marked so
 * that statements and db_commit() fail until the caller rolls back, and a
 * reconnect can never turn the rest of it into autocommitted statements.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "conf.h"
#include "db.h"
#include "error.h"
#include "log.h"
#include "validate.h"

#define DB_STMT_CACHE_MAX	64
#define DB_CONNECT_TIMEOUT	3	/* seconds */
#define DB_IO_TIMEOUT		30	/* seconds, read and write */
#define DB_RETRY_INTERVAL_MS	1000	/* after a failure other than a
					   quick refusal */
#define DB_QUICK_REFUSAL_MS	100	/* a refusal faster than this cost
					   nothing worth limiting */
#define DB_IDLE_PING_MS		30000	/* idle time after which to ping */
#define DB_MIN_CELL_BUFFER	64	/* numbers and dates always fit */

/* Client and server error numbers used below. */
#define DB_ER_DUP_ENTRY			1062
#define DB_ER_SERVER_SHUTDOWN		1053
#define DB_ER_CONNECTION_KILLED		1927
#define DB_ER_CLIENT_INTERACTION_TIMEOUT 4031
#define DB_CR_CONNECTION_ERROR		2002
#define DB_CR_CONN_HOST_ERROR		2003
#define DB_CR_SERVER_GONE_ERROR		2006
#define DB_CR_SERVER_LOST		2013
#define DB_CR_SERVER_LOST_EXTENDED	2055

struct db_cached_statement {
	char		*sql;
	MYSQL_STMT	*stmt;
	uint64_t	 last_used;
};

struct db {
	MYSQL		*mysql;		/* NULL while down */
	char		*host;
	char		*socket;
	char		*name;
	char		*user;
	char		*password;
	unsigned int	 port;

	int64_t		 next_attempt_ms;	/* no reconnect before */
	int64_t		 last_used_ms;
	unsigned long	 reconnects;

	int		 in_transaction;
	int		 transaction_lost;

	unsigned int	 last_errno;
	char		 error[512];

	struct db_cached_statement cache[DB_STMT_CACHE_MAX];
	size_t		 cache_count;
	uint64_t	 use_clock;
};

/*
 * Milliseconds on the monotonic clock, for rate limiting reconnects and
 * spotting idle connections; wall-clock jumps must not matter here.
 */
static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Copies a configuration string, keeping NULL as NULL.  Returns 0, or -1
 * if memory ran out.
 */
static int
copy_optional(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	if ((*dst = strdup(src)) == NULL)
		return -1;
	return 0;
}

/* Is `code` one of the errors after which the connection is unusable? */
static int
is_connection_error(unsigned int code)
{
	switch (code) {
	case DB_CR_CONNECTION_ERROR:
	case DB_CR_CONN_HOST_ERROR:
	case DB_CR_SERVER_GONE_ERROR:
	case DB_CR_SERVER_LOST:
	case DB_CR_SERVER_LOST_EXTENDED:
	case DB_ER_CLIENT_INTERACTION_TIMEOUT:
	case DB_ER_SERVER_SHUTDOWN:
	case DB_ER_CONNECTION_KILLED:
		return 1;
	default:
		return 0;
	}
}

/*
 * Is `code` a connect that nothing answered: no socket file, or nothing
 * listening on the socket or port?
 */
static int
is_refusal(unsigned int code)
{
	return code == DB_CR_CONNECTION_ERROR || code == DB_CR_CONN_HOST_ERROR;
}

/* Records an error for db_error()/db_errno(); logged at debug level only. */
static void
set_error(struct db *db, unsigned int code, const char *message)
{
	db->last_errno = code;
	snprintf(db->error, sizeof(db->error), "%s",
	    message != NULL ? message : "unknown database error");
	log_debug("db: error %u: %s", code, db->error);
}

/*
 * Closes the connection and every cached statement.  The connection goes
 * first: libmariadb then detaches the statements, so closing them sends
 * nothing over a socket that may be dead.
 */
static void
disconnect(struct db *db)
{
	size_t i;

	if (db->mysql != NULL) {
		mysql_close(db->mysql);
		db->mysql = NULL;
	}
	for (i = 0; i < db->cache_count; i++) {
		mysql_stmt_close(db->cache[i].stmt);
		free(db->cache[i].sql);
		db->cache[i].stmt = NULL;
		db->cache[i].sql = NULL;
	}
	db->cache_count = 0;
	if (db->in_transaction) {
		db->in_transaction = 0;
		db->transaction_lost = 1;
	}
}

/*
 * Takes the error of the connection, marking the handle down when the
 * error says the connection is gone.
 */
static void
take_connection_error(struct db *db)
{
	unsigned int code;

	code = mysql_errno(db->mysql);
	set_error(db, code, mysql_error(db->mysql));
	if (is_connection_error(code)) {
		log_debug("db: connection lost");
		disconnect(db);
	}
}

/* Same for an error reported by a prepared statement. */
static void
take_statement_error(struct db *db, MYSQL_STMT *stmt)
{
	unsigned int code;

	code = mysql_stmt_errno(stmt);
	set_error(db, code, mysql_stmt_error(stmt));
	if (is_connection_error(code)) {
		log_debug("db: connection lost");
		disconnect(db);
	}
}

/*
 * One connection attempt with the session settings tenantd relies on: UTC
 * timestamps, strict SQL mode, utf8mb4, and no automatic reconnect (a
 * silent reconnect would lose transactions and session state unnoticed).
 * Returns 0, or -1 with the error recorded.
 */
static int
connect_server(struct db *db)
{
	static const char set_time_zone[] = "SET time_zone = '+00:00'";
	static const char set_sql_mode[] = "SET SESSION sql_mode = "
	    "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,"
	    "ERROR_FOR_DIVISION_BY_ZERO'";
	unsigned int connect_timeout = DB_CONNECT_TIMEOUT;
	unsigned int io_timeout = DB_IO_TIMEOUT;
	my_bool reconnect = 0;
	unsigned int local_infile = 0;
	MYSQL *mysql = NULL;

	if ((mysql = mysql_init(NULL)) == NULL) {
		set_error(db, 0, "out of memory");
		goto fail;
	}
	if (mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT,
	    &connect_timeout) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile) != 0 ||
	    mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0) {
		set_error(db, mysql_errno(mysql), "cannot set client options");
		goto fail;
	}
	if (mysql_real_connect(mysql, db->host, db->user, db->password,
	    db->name, db->host != NULL ? db->port : 0,
	    db->host != NULL ? NULL : db->socket, 0) == NULL) {
		set_error(db, mysql_errno(mysql), mysql_error(mysql));
		goto fail;
	}
	if (mysql_real_query(mysql, set_time_zone,
	    sizeof(set_time_zone) - 1) != 0 ||
	    mysql_real_query(mysql, set_sql_mode,
	    sizeof(set_sql_mode) - 1) != 0) {
		set_error(db, mysql_errno(mysql), mysql_error(mysql));
		goto fail;
	}
	db->mysql = mysql;
	db->last_used_ms = monotonic_ms();
	return 0;
fail:
	if (mysql != NULL)
		mysql_close(mysql);
	return -1;
}

/*
 * One connection attempt by db_open() or db_ensure(), which also decides
 * when the next may be made.  A connect refused at once (the server is
 * down: no socket, nothing listening) costs next to nothing on either
 * side, so the next call may try again straight away, and the first
 * request after the server is back finds it instead of a 503.  Any other
 * failure (a timeout, a server that is full or refuses the login) may have
 * cost seconds or load on a struggling server, so the next attempt waits
 * DB_RETRY_INTERVAL_MS.  Returns 0 or -1.
 */
static int
connect_attempt(struct db *db)
{
	int64_t start, end;

	start = monotonic_ms();
	if (connect_server(db) == 0) {
		db->next_attempt_ms = 0;
		return 0;
	}
	end = monotonic_ms();
	if (is_refusal(db->last_errno) && end - start < DB_QUICK_REFUSAL_MS)
		db->next_attempt_ms = 0;
	else
		db->next_attempt_ms = end + DB_RETRY_INTERVAL_MS;
	return -1;
}

/*
 * Has the server closed the idle connection?  Between statements a server
 * sends nothing unless it is closing the connection (shutdown, restart,
 * KILL, wait_timeout), so a readable or hung-up socket means the next
 * statement would fail; the connection is replaced without asking.  A
 * poll() that does not wait is far cheaper than the round trip of a ping.
 * Returns 1 or 0.
 */
static int
server_closed_connection(struct db *db)
{
	struct pollfd pfd;

	pfd.fd = (int)mysql_get_socket(db->mysql);
	if (pfd.fd < 0)
		return 0;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) > 0;
}

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
 * Allocates a handle for the server of `c` and makes the first connection
 * attempt.  Called once per process by service_open().  Returns the handle
 * (down if the server could not be reached), or NULL if out of memory.
 */
struct db *
db_open(const struct conf *c)
{
	struct db *db = NULL;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		goto fail;
	if (copy_optional(&db->host, c->db_host) == -1 ||
	    copy_optional(&db->socket, c->db_socket) == -1 ||
	    copy_optional(&db->name, c->db_name) == -1 ||
	    copy_optional(&db->user, c->db_user) == -1 ||
	    copy_optional(&db->password, c->db_password) == -1)
		goto fail;
	db->port = c->db_port > 0 && c->db_port <= 65535 ?
	    (unsigned int)c->db_port : 0;
	if (connect_attempt(db) == -1)
		log_debug("db: first connection failed: %s", db->error);
	return db;
fail:
	db_close(db);
	return NULL;
}

/*
 * Closes the connection and frees the handle, including the copy of the
 * password.  Accepts NULL.
 */
void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
	free(db->host);
	free(db->socket);
	free(db->name);
	free(db->user);
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db);
}

/*
 * Makes sure the connection is usable.  A connection the server has closed
 * (see server_closed_connection()) is replaced and one idle for a while is
 * pinged first, so a connection the server dropped (restart, wait_timeout)
 * is replaced here instead of failing the caller's first statement.  While
 * down, a reconnect is tried when connect_attempt() allows.  Called by
 * handlers and tenantctl before using the database.  Returns 0, or -1 if
 * the server is unreachable.
 */
int
db_ensure(struct db *db)
{
	int64_t now;

	now = monotonic_ms();
	if (db->mysql != NULL && db->in_transaction)
		return 0;
	if (db->mysql != NULL && server_closed_connection(db)) {
		log_debug("db: the server closed the connection");
		disconnect(db);
	} else if (db->mysql != NULL) {
		if (now - db->last_used_ms < DB_IDLE_PING_MS)
			return 0;
		if (mysql_ping(db->mysql) == 0) {
			db->last_used_ms = now;
			return 0;
		}
		take_connection_error(db);
		if (db->mysql != NULL)
			return -1;
	} else if (now < db->next_attempt_ms)
		return -1;

	if (connect_attempt(db) == -1)
		return -1;
	db->reconnects++;
	log_debug("db: reconnected");
	return 0;
}

/* True while the handle has no connection. */
int
db_unavailable(const struct db *db)
{
	return db == NULL || db->mysql == NULL;
}

/* Successful reconnects since db_open(). */
unsigned long
db_reconnects(const struct db *db)
{
	return db->reconnects;
}

/* Text of the last error. */
const char *
db_error(const struct db *db)
{
	return db->error;
}

/* Number of the last error (server or client error code). */
unsigned int
db_errno(const struct db *db)
{
	return db->last_errno;
}

/* Was the last error a duplicate key? */
int
db_is_duplicate(const struct db *db)
{
	return db->last_errno == DB_ER_DUP_ENTRY;
}

/*
 * Fails early when there is no connection or the transaction in progress
 * was lost.  Returns 0 if statements may run.
 */
static int
check_usable(struct db *db)
{
	if (db->transaction_lost) {
		set_error(db, DB_CR_SERVER_LOST,
		    "connection lost during transaction");
		return -1;
	}
	if (db->mysql == NULL) {
		set_error(db, DB_CR_SERVER_GONE_ERROR, "database unavailable");
		return -1;
	}
	return 0;
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
		set_error(db, 0, "out of memory");
		goto fail;
	}
	if ((stmt = mysql_stmt_init(db->mysql)) == NULL) {
		set_error(db, 0, "out of memory");
		goto fail;
	}
	if (mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH,
	    &update_max_length) != 0) {
		take_statement_error(db, stmt);
		goto fail;
	}
	if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
		take_statement_error(db, stmt);
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

	if (check_usable(db) == -1)
		return NULL;
	if ((stmt = statement_for(db, sql)) == NULL)
		return NULL;
	if (mysql_stmt_param_count(stmt) != nparams) {
		set_error(db, 0, "parameter count does not match statement");
		return NULL;
	}

	if (nparams > 0) {
		binds = calloc(nparams, sizeof(*binds));
		integers = calloc(nparams, sizeof(*integers));
		lengths = calloc(nparams, sizeof(*lengths));
		if (binds == NULL || integers == NULL || lengths == NULL) {
			set_error(db, 0, "out of memory");
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
					set_error(db, 0, "parameter too long");
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
			take_statement_error(db, stmt);
			stmt = NULL;
			goto out;
		}
	}

	if (mysql_stmt_execute(stmt) != 0) {
		take_statement_error(db, stmt);
		stmt = NULL;
		goto out;
	}
	db->last_used_ms = monotonic_ms();
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
			take_statement_error(db, stmt);
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
		set_error(db, 0, "out of memory");
		return NULL;
	}
	memset(&bind, 0, sizeof(bind));
	bind.buffer_type = MYSQL_TYPE_STRING;
	bind.buffer = cell;
	bind.buffer_length = length + 1;
	bind.length = &got;
	if (mysql_stmt_fetch_column(stmt, &bind, col, 0) != 0) {
		take_statement_error(db, stmt);
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
		take_statement_error(db, stmt);
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
		take_statement_error(db, stmt);
		goto out;
	}
	fields = mysql_fetch_fields(meta);

	if (rows > SIZE_MAX / cols ||
	    (size_t)rows * cols > SIZE_MAX / sizeof(char *)) {
		set_error(db, 0, "result too large");
		goto out;
	}
	cells = (size_t)rows * cols;
	if (cells > 0) {
		out->cells = calloc(cells, sizeof(*out->cells));
		out->lengths = calloc(cells, sizeof(*out->lengths));
		if (out->cells == NULL || out->lengths == NULL) {
			set_error(db, 0, "out of memory");
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
		set_error(db, 0, "out of memory");
		goto out;
	}
	for (c = 0; c < cols; c++) {
		size = fields[c].max_length;
		if (size < DB_MIN_CELL_BUFFER)
			size = DB_MIN_CELL_BUFFER;
		if (size >= ULONG_MAX ||
		    (buffers[c] = malloc(size + 1)) == NULL) {
			set_error(db, 0, "out of memory");
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
		take_statement_error(db, stmt);
		goto out;
	}

	for (row = 0; row < (size_t)rows; row++) {
		status = mysql_stmt_fetch(stmt);
		if (status == MYSQL_NO_DATA) {
			out->rows = row;
			break;
		}
		if (status != 0 && status != MYSQL_DATA_TRUNCATED) {
			take_statement_error(db, stmt);
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
					set_error(db, 0, "out of memory");
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

/*
 * Runs one statement of a migration file as plain text (DDL cannot always
 * be prepared).  Any result set is read and dropped.  Called by migrate.c
 * only.  Returns 0 or -1.
 */
int
db_exec_script_statement(struct db *db, const char *sql, size_t len)
{
	MYSQL_RES *res;

	if (check_usable(db) == -1)
		return -1;
	if (len > ULONG_MAX) {
		set_error(db, 0, "statement too long");
		return -1;
	}
	if (mysql_real_query(db->mysql, sql, (unsigned long)len) != 0) {
		take_connection_error(db);
		return -1;
	}
	if (mysql_field_count(db->mysql) > 0) {
		if ((res = mysql_store_result(db->mysql)) == NULL) {
			take_connection_error(db);
			return -1;
		}
		mysql_free_result(res);
	}
	db->last_used_ms = monotonic_ms();
	return 0;
}

/*
 * Starts a transaction.  A transaction lost with the connection is
 * forgotten here (the caller has moved on); starting one while another is
 * open is refused, since MariaDB would silently commit the first.
 * Returns 0 or -1.
 */
int
db_begin(struct db *db)
{
	static const char start[] = "START TRANSACTION";

	db->transaction_lost = 0;
	if (db->in_transaction) {
		set_error(db, 0, "a transaction is already open");
		return -1;
	}
	if (check_usable(db) == -1)
		return -1;
	if (mysql_real_query(db->mysql, start, sizeof(start) - 1) != 0) {
		take_connection_error(db);
		return -1;
	}
	db->in_transaction = 1;
	db->last_used_ms = monotonic_ms();
	return 0;
}

/*
 * Commits the open transaction.  Returns -1 if none is open, if it was
 * lost with the connection, or if the commit failed (the server has then
 * rolled it back or the connection is gone; either way nothing is kept).
 */
int
db_commit(struct db *db)
{
	if (db->transaction_lost) {
		db->transaction_lost = 0;
		set_error(db, DB_CR_SERVER_LOST,
		    "connection lost during transaction");
		return -1;
	}
	if (!db->in_transaction) {
		set_error(db, 0, "no transaction is open");
		return -1;
	}
	if (db->mysql == NULL) {
		db->in_transaction = 0;
		set_error(db, DB_CR_SERVER_GONE_ERROR, "database unavailable");
		return -1;
	}
	if (mysql_commit(db->mysql) != 0) {
		take_connection_error(db);
		/*
		 * The commit's error is the one to report; the rollback only
		 * makes sure nothing stays open on a connection still up.
		 */
		if (db->mysql != NULL)
			(void)mysql_rollback(db->mysql);
		db->in_transaction = 0;
		db->transaction_lost = 0;
		return -1;
	}
	db->in_transaction = 0;
	db->last_used_ms = monotonic_ms();
	return 0;
}

/*
 * Rolls back the open transaction; a no-op returning 0 when none is open,
 * so failure paths may call it unconditionally.  Returns -1 when the
 * transaction had been lost with the connection or the rollback failed.
 */
int
db_rollback(struct db *db)
{
	if (db->transaction_lost) {
		db->transaction_lost = 0;
		set_error(db, DB_CR_SERVER_LOST,
		    "connection lost during transaction");
		return -1;
	}
	if (!db->in_transaction)
		return 0;
	db->in_transaction = 0;
	if (db->mysql == NULL)
		return -1;
	if (mysql_rollback(db->mysql) != 0) {
		take_connection_error(db);
		db->transaction_lost = 0;
		return -1;
	}
	db->last_used_ms = monotonic_ms();
	return 0;
}

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

/*
 * Turns a failed call into a message for an administrator (see db.h).
 * Used by provisioning, lifecycle and bulk work.  Returns 1 when the
 * connection is lost, else 0.
 */
int
db_failure_describe(struct db *db, const char *what, char *err, size_t errlen)
{
	if (db_unavailable(db)) {
		error_set(err, errlen, "the database is unavailable");
		return 1;
	}
	log_error("%s: %s", what, db_error(db));
	error_set(err, errlen, "%s", what);
	return 0;
}

/* See db.h. */
int
db_failure_status(struct db *db, const char *what, char *err, size_t errlen,
    int if_down, int if_failed)
{
	return db_failure_describe(db, what, err, errlen) ? if_down : if_failed;
}
