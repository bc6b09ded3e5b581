/*
 * migrate.h - numbered schema migrations.
 *
 * The directory conf->migrations_dir holds files named NNNN_description.sql.
 * migrate_run() applies, in order, every file whose number is not yet in
 * schema_migrations, each recorded in the same step, and skips those already
 * applied, so running it again is harmless.  Statements in a file are
 * separated by a line ending in ';'.
 */
#ifndef TENANTD_MIGRATE_H
#define TENANTD_MIGRATE_H

#include <stddef.h>

struct db;

/*
 * Applies pending migrations from `dir`.  `applied` (may be NULL) receives
 * how many were applied.  Returns 0, or -1 with a message in `err`.
 */
int	migrate_run(struct db *db, const char *dir, int *applied, char *err,
	    size_t errlen);

/*
 * The highest migration number in `dir` (0 when it holds none) into
 * `*level`: the schema level this installation's migrations reach.
 * Returns 0, or -1 with a message in `err`.
 */
int	migrate_latest(const char *dir, int *level, char *err, size_t errlen);

/*
 * The highest migration recorded in the database's schema_migrations into
 * `*level`, 0 when the table is empty.  Returns 0, or -1 with a message
 * in `err` (also when the table does not exist).
 */
int	migrate_level(struct db *db, int *level, char *err, size_t errlen);

#endif
