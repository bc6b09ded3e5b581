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

#endif
