/*
 * migrate.c - applying the numbered schema migrations of etc/migrations.
 *
 * Files are named NNNN_description.sql (four digits, then [a-z0-9_]);
 * anything else in the directory is ignored, and two files with one number
 * are an error.  Each file not yet recorded in schema_migrations is run
 * statement by statement, then its number is recorded.  A named server
 * lock (GET_LOCK) keeps two concurrent `tenantctl migrate` runs apart.
 *
 * MariaDB commits DDL implicitly, so a migration cannot be rolled back: if
 * a statement fails half-way, the statements before it stay applied and
 * the version is not recorded.  Such a database must be repaired by hand
 * (drop what the file created, fix the file, run again).  Migration files
 * use plain CREATE TABLE without IF NOT EXISTS on purpose: a version runs
 * once, which schema_migrations guarantees, and a surprise existing table
 * is reported instead of silently accepted.
 *
 * Statement splitting is deliberately simple: a statement ends at a line
 * whose last non-blank character is ';'.  Lines starting with "--" and
 * blank lines are skipped.  Migration files are written to that rule.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "migrate.h"

#define MIGRATION_FILE_MAX	(1024 * 1024)
#define MIGRATION_COUNT_MAX	1000
#define MIGRATION_LOCK_SECONDS	30

struct migration {
	int	 version;
	char	 name[256];
};

/*
 * Does `name` look like NNNN_description.sql, i.e.
 * ^[0-9]{4}_[a-z0-9_]+\.sql$ ?  Returns 1 or 0.
 */
static int
is_migration_name(const char *name)
{
	size_t len, i;

	len = strlen(name);
	if (len < 4 + 1 + 1 + 4 || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	if (name[4] != '_')
		return 0;
	for (i = 5; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

/* qsort order of migrations: by number. */
static int
compare_migrations(const void *a, const void *b)
{
	const struct migration *ma = a, *mb = b;

	return (ma->version > mb->version) - (ma->version < mb->version);
}

/*
 * Lists the migration files of `dir` into a new array sorted by number.
 * Returns 0 with `*out`/`*count` set (free *out), or -1 with `err`.
 */
static int
list_migrations(const char *dir, struct migration **out, size_t *count,
    char *err, size_t errlen)
{
	struct migration *list = NULL;
	struct dirent *entry;
	DIR *d = NULL;
	size_t n = 0, i;
	int rc = -1;

	*out = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((list = calloc(MIGRATION_COUNT_MAX, sizeof(*list))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((entry = readdir(d)) == NULL) {
			if (errno != 0) {
				snprintf(err, errlen, "%s: %s", dir,
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (!is_migration_name(entry->d_name))
			continue;
		if (n == MIGRATION_COUNT_MAX) {
			snprintf(err, errlen, "%s: more than %d migrations",
			    dir, MIGRATION_COUNT_MAX);
			goto out;
		}
		if (strlen(entry->d_name) >= sizeof(list[n].name))
			continue;
		memcpy(list[n].name, entry->d_name, strlen(entry->d_name) + 1);
		list[n].version = (entry->d_name[0] - '0') * 1000 +
		    (entry->d_name[1] - '0') * 100 +
		    (entry->d_name[2] - '0') * 10 + (entry->d_name[3] - '0');
		n++;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), compare_migrations);
	for (i = 1; i < n; i++) {
		if (list[i].version == list[i - 1].version) {
			snprintf(err, errlen, "%s and %s have the same number",
			    list[i - 1].name, list[i].name);
			goto out;
		}
	}
	*out = list;
	*count = n;
	list = NULL;
	rc = 0;
out:
	free(list);
	if (d != NULL)
		closedir(d);
	return rc;
}

/*
 * Reads migration `name` of directory `dir` into `text` (at most
 * MIGRATION_FILE_MAX bytes).  Returns 0, or -1 with `err`.
 */
static int
read_migration(const char *dir, const char *name, struct buf *text,
    char *err, size_t errlen)
{
	char path[4096], chunk[8192];
	ssize_t got;
	int fd = -1, n, rc = -1;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", name);
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto out;
	}
	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		if (buf_append(text, chunk, (size_t)got) == -1) {
			snprintf(err, errlen, "%s: larger than %d bytes", name,
			    MIGRATION_FILE_MAX);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Runs the statements of one migration file, held in `text`.  Returns 0,
 * or -1 with `err` naming the file and the line where the failing
 * statement starts.
 */
static int
run_statements(struct db *db, const char *name, const struct buf *text,
    char *err, size_t errlen)
{
	struct buf statement;
	const char *line, *end, *next, *first, *last, *limit;
	size_t line_number = 0, statement_line = 0;
	int rc = -1;

	buf_init(&statement, MIGRATION_FILE_MAX);
	limit = text->data + text->len;
	for (line = text->data; line < limit; line = next) {
		line_number++;
		if ((end = memchr(line, '\n', (size_t)(limit - line))) == NULL)
			end = limit;
		next = end < limit ? end + 1 : end;

		for (first = line; first < end && (*first == ' ' ||
		    *first == '\t' || *first == '\r'); first++)
			continue;
		for (last = end; last > first &&
		    (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r');
		    last--)
			continue;
		if (first == last ||
		    (last - first >= 2 && first[0] == '-' && first[1] == '-'))
			continue;

		if (statement.len == 0)
			statement_line = line_number;
		if (buf_append(&statement, line, (size_t)(last - line)) == -1 ||
		    buf_append_char(&statement, '\n') == -1) {
			snprintf(err, errlen, "%s: out of memory", name);
			goto out;
		}
		if (last[-1] != ';')
			continue;

		/* Drop the ';' and the newline: one statement per query. */
		statement.len -= 2;
		statement.data[statement.len] = '\0';
		if (db_exec_script_statement(db, statement.data,
		    statement.len) == -1) {
			snprintf(err, errlen, "%s: statement at line %zu: %s",
			    name, statement_line, db_error(db));
			goto out;
		}
		buf_reset(&statement);
	}
	if (statement.len > 0) {
		snprintf(err, errlen, "%s: statement at line %zu does not end "
		    "with ';'", name, statement_line);
		goto out;
	}
	rc = 0;
out:
	buf_release(&statement);
	return rc;
}

/* Is `version` among the rows of `applied` (a "SELECT version" result)? */
static int
is_applied(const struct db_result *applied, int version)
{
	size_t row;

	for (row = 0; row < applied->rows; row++)
		if (db_cell_int(applied, row, 0, -1) == version)
			return 1;
	return 0;
}

/*
 * Applies every pending migration of `dir`, in order, holding the
 * migration lock.  Called by `tenantctl migrate` and the dev start.
 * Returns 0 with `*applied` (may be NULL) set, or -1 with `err`.
 */
int
migrate_run(struct db *db, const char *dir, int *applied, char *err,
    size_t errlen)
{
	static const char create_sql[] = "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version INT NOT NULL PRIMARY KEY, "
	    "name VARCHAR(255) NOT NULL, applied_at DATETIME NOT NULL) "
	    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
	static const char lock_sql[] = "SELECT GET_LOCK('tenantd_migrate', ?)";
	static const char unlock_sql[] =
	    "SELECT RELEASE_LOCK('tenantd_migrate')";
	static const char versions_sql[] =
	    "SELECT version FROM schema_migrations";
	static const char record_sql[] = "INSERT INTO schema_migrations "
	    "(version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP())";
	struct migration *list = NULL;
	struct db_result r, done;
	struct db_param p[2];
	struct buf text;
	size_t count = 0, i;
	int locked = 0, rc = -1, n = 0;

	db_result_init(&r);
	db_result_init(&done);
	buf_init(&text, MIGRATION_FILE_MAX);
	if (applied != NULL)
		*applied = 0;

	if (list_migrations(dir, &list, &count, err, errlen) == -1)
		goto out;

	p[0] = db_int(MIGRATION_LOCK_SECONDS);
	if (db_query(db, lock_sql, p, 1, &r) == -1) {
		snprintf(err, errlen, "cannot take the migration lock: %s",
		    db_error(db));
		goto out;
	}
	if (db_cell_int(&r, 0, 0, 0) != 1) {
		snprintf(err, errlen, "another migration is still running "
		    "after %d seconds", MIGRATION_LOCK_SECONDS);
		goto out;
	}
	locked = 1;

	if (db_exec_script_statement(db, create_sql,
	    sizeof(create_sql) - 1) == -1) {
		snprintf(err, errlen, "cannot create schema_migrations: %s",
		    db_error(db));
		goto out;
	}
	if (db_query(db, versions_sql, NULL, 0, &done) == -1) {
		snprintf(err, errlen, "cannot read schema_migrations: %s",
		    db_error(db));
		goto out;
	}

	for (i = 0; i < count; i++) {
		if (is_applied(&done, list[i].version))
			continue;
		buf_reset(&text);
		if (read_migration(dir, list[i].name, &text, err, errlen) == -1)
			goto out;
		log_info("applying migration %s", list[i].name);
		if (run_statements(db, list[i].name, &text, err, errlen) == -1)
			goto out;
		p[0] = db_int(list[i].version);
		p[1] = db_text(list[i].name);
		if (db_exec(db, record_sql, p, 2, NULL, NULL) == -1) {
			snprintf(err, errlen, "%s: cannot record it: %s",
			    list[i].name, db_error(db));
			goto out;
		}
		n++;
		if (applied != NULL)
			*applied = n;
	}
	rc = 0;
out:
	if (locked && db_query(db, unlock_sql, NULL, 0, &r) == -1)
		log_debug("migrate: releasing the lock failed: %s",
		    db_error(db));
	db_result_release(&r);
	db_result_release(&done);
	buf_release(&text);
	free(list);
	return rc;
}

int
migrate_latest(const char *dir, int *level, char *err, size_t errlen)
{
	struct migration	*list = NULL;
	size_t			 count = 0;

	if (list_migrations(dir, &list, &count, err, errlen) == -1)
		return -1;
	*level = count > 0 ? list[count - 1].version : 0;
	free(list);
	return 0;
}

int
migrate_level(struct db *db, int *level, char *err, size_t errlen)
{
	static const char level_sql[] =
	    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
	struct db_result	r;
	int			rc = -1;

	db_result_init(&r);
	if (db_query(db, level_sql, NULL, 0, &r) == -1) {
		snprintf(err, errlen, "cannot read schema_migrations: %s",
		    db_error(db));
		goto out;
	}
	*level = (int)db_cell_int(&r, 0, 0, 0);
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}
