/*
 * db.c - the MariaDB/MySQL connection: connect with tenantd's session
 * settings, connection-loss detection and reconnects, transactions, the
 * last error, and migration statements run as plain text.  Statements
 * (the prepared-statement cache, db_exec(), db_query()) live in
 * db_statement.c, results and their cells in db_result.c; the three share
 * db_internal.h.
 *
 * One struct db is one connection, owned by one process.  Statements are
 * prepared the first time their SQL text is used and kept in a small cache
 * (least recently used one evicted); the cache dies with the connection,
 * because server-side statements do not survive a reconnect, so
 * disconnect() below closes it.
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
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "db_internal.h"
#include "error.h"
#include "log.h"

#define DB_CONNECT_TIMEOUT	3	/* seconds */
#define DB_IO_TIMEOUT		30	/* seconds, read and write */
#define DB_RETRY_INTERVAL_MS	1000	/* after a failure other than a
					   quick refusal */
#define DB_QUICK_REFUSAL_MS	100	/* a refusal faster than this cost
					   nothing worth limiting */
#define DB_IDLE_PING_MS		30000	/* idle time after which to ping */

/* Client and server error numbers used below. */
#define DB_ER_DUP_ENTRY			1062
#define DB_ER_LOCK_DEADLOCK		1213
/*
 * Galera's answer on a node that is not part of the primary component,
 * such as one shutting down or cut off: "WSREP has not yet prepared node
 * for application use".  Another node may take writes; this connection
 * (through a proxy, to this node) cannot.
 */
#define DB_ER_WSREP_NOT_READY		1047
#define DB_ER_SERVER_SHUTDOWN		1053
#define DB_ER_CONNECTION_KILLED		1927
#define DB_ER_CLIENT_INTERACTION_TIMEOUT 4031
#define DB_CR_CONNECTION_ERROR		2002
#define DB_CR_CONN_HOST_ERROR		2003
#define DB_CR_SERVER_GONE_ERROR		2006
#define DB_CR_SERVER_LOST		2013
#define DB_CR_SERVER_LOST_EXTENDED	2055

/*
 * Milliseconds on the monotonic clock, for rate limiting reconnects and
 * spotting idle connections; wall-clock jumps must not matter here.
 */
int64_t
db_monotonic_ms(void)
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
	case DB_ER_WSREP_NOT_READY:
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
void
db_set_error(struct db *db, unsigned int code, const char *message)
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
	db_set_error(db, code, mysql_error(db->mysql));
	if (is_connection_error(code)) {
		log_debug("db: connection lost");
		disconnect(db);
	}
}

/* Same for an error reported by a prepared statement. */
void
db_take_statement_error(struct db *db, MYSQL_STMT *stmt)
{
	unsigned int code;

	code = mysql_stmt_errno(stmt);
	db_set_error(db, code, mysql_stmt_error(stmt));
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
		db_set_error(db, 0, "out of memory");
		goto fail;
	}
	if (mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT,
	    &connect_timeout) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect) != 0 ||
	    mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile) != 0 ||
	    mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0) {
		db_set_error(db, mysql_errno(mysql), "cannot set client options");
		goto fail;
	}
	if (mysql_real_connect(mysql, db->host, db->user, db->password,
	    db->name, db->host != NULL ? db->port : 0,
	    db->host != NULL ? NULL : db->socket, 0) == NULL) {
		db_set_error(db, mysql_errno(mysql), mysql_error(mysql));
		goto fail;
	}
	if (mysql_real_query(mysql, set_time_zone,
	    sizeof(set_time_zone) - 1) != 0 ||
	    mysql_real_query(mysql, set_sql_mode,
	    sizeof(set_sql_mode) - 1) != 0) {
		db_set_error(db, mysql_errno(mysql), mysql_error(mysql));
		goto fail;
	}
	db->mysql = mysql;
	db->last_used_ms = db_monotonic_ms();
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

	start = db_monotonic_ms();
	if (connect_server(db) == 0) {
		db->next_attempt_ms = 0;
		return 0;
	}
	end = db_monotonic_ms();
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

	now = db_monotonic_ms();
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

int
db_is_deadlock(const struct db *db)
{
	return db->last_errno == DB_ER_LOCK_DEADLOCK;
}

/* See db.h. */
int
db_run_again(struct db *db, int *runs, const char *what, ...)
{
	va_list	ap;
	char	text[256];

	if (!db_is_deadlock(db) || *runs >= DB_ABORTED_RUNS)
		return 0;
	(*runs)++;
	va_start(ap, what);
	vsnprintf(text, sizeof(text), what, ap);
	va_end(ap);
	log_info("%s aborted (%s); retrying the transaction", text,
	    db_error(db));
	return 1;
}

/*
 * Fails early when there is no connection or the transaction in progress
 * was lost.  Returns 0 if statements may run.
 */
int
db_check_usable(struct db *db)
{
	if (db->transaction_lost) {
		db_set_error(db, DB_CR_SERVER_LOST,
		    "connection lost during transaction");
		return -1;
	}
	if (db->mysql == NULL) {
		db_set_error(db, DB_CR_SERVER_GONE_ERROR, "database unavailable");
		return -1;
	}
	return 0;
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

	if (db_check_usable(db) == -1)
		return -1;
	if (len > ULONG_MAX) {
		db_set_error(db, 0, "statement too long");
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
	db->last_used_ms = db_monotonic_ms();
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
		db_set_error(db, 0, "a transaction is already open");
		return -1;
	}
	if (db_check_usable(db) == -1)
		return -1;
	if (mysql_real_query(db->mysql, start, sizeof(start) - 1) != 0) {
		take_connection_error(db);
		return -1;
	}
	db->in_transaction = 1;
	db->last_used_ms = db_monotonic_ms();
	/* db_is_deadlock() speaks of this transaction from here on. */
	db->last_errno = 0;
	return 0;
}

/*
 * Ends the caller's part in a transaction lost with the connection:
 * db_commit() and db_rollback() report it once, and the next call starts
 * afresh.  Returns -1 with the error recorded when one was lost, else 0.
 */
static int
end_lost_transaction(struct db *db)
{
	if (!db->transaction_lost)
		return 0;
	db->transaction_lost = 0;
	db_set_error(db, DB_CR_SERVER_LOST,
	    "connection lost during transaction");
	return -1;
}

/*
 * Commits the open transaction.  Returns -1 if none is open, if it was
 * lost with the connection, or if the commit failed (the server has then
 * rolled it back or the connection is gone; either way nothing is kept).
 */
int
db_commit(struct db *db)
{
	if (end_lost_transaction(db) == -1)
		return -1;
	if (!db->in_transaction) {
		db_set_error(db, 0, "no transaction is open");
		return -1;
	}
	if (db->mysql == NULL) {
		db->in_transaction = 0;
		db_set_error(db, DB_CR_SERVER_GONE_ERROR, "database unavailable");
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
	db->last_used_ms = db_monotonic_ms();
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
	if (end_lost_transaction(db) == -1)
		return -1;
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
	db->last_used_ms = db_monotonic_ms();
	return 0;
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
enum result
db_failure_status(struct db *db, const char *what, char *err, size_t errlen)
{
	/*
	 * The server rolled the whole transaction back, and the same request
	 * a moment later normally succeeds: a client is told to try again
	 * (503), not that tenantd failed (500).
	 */
	if (db_is_deadlock(db)) {
		log_info("%s: %s", what, db_error(db));
		error_set(err, errlen, "%s: the database aborted it in a "
		    "conflict with another change; try again", what);
		return RESULT_DB_DOWN;
	}
	return db_failure_describe(db, what, err, errlen) ? RESULT_DB_DOWN :
	    RESULT_FAILED;
}

