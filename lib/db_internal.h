/*
 * db_internal.h - what the files of the database module share and nothing
 * else may use: the connection handle's layout and the error and clock
 * helpers of db.c.  db.c owns the connection (connect, reconnect,
 * transactions); db_statement.c prepares, binds and runs statements on it;
 * db_result.c reads the results.  Everyone else includes db.h only.
 */
#ifndef TENANTD_DB_INTERNAL_H
#define TENANTD_DB_INTERNAL_H

#include <stdint.h>

#include <mysql.h>

#define DB_STMT_CACHE_MAX	64

/*
 * A prepared statement kept for its SQL text.  The cache belongs to the
 * connection: db.c empties it when the connection goes away.
 */
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
 * spotting idle connections.
 */
int64_t	db_monotonic_ms(void);

/* Records an error for db_error()/db_errno(). */
void	db_set_error(struct db *db, unsigned int code, const char *message);

/*
 * Takes the error a prepared statement reports, marking the handle down
 * (and the cache closed) when it says the connection is gone.
 */
void	db_take_statement_error(struct db *db, MYSQL_STMT *stmt);

/*
 * Fails early, with the error recorded, when there is no connection or the
 * transaction in progress was lost.  Returns 0 if statements may run.
 */
int	db_check_usable(struct db *db);

#endif
