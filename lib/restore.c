/*
 * restore.c - `tenantctl restore DIR`: every check first (manifest,
 * checksums, schema level, an empty instance), then the files unpacked
 * beside tenants_dir, the database loaded, the files renamed into place
 * and the migrations brought up to the installed level (see restore.h).
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup_manifest.h"
#include "conf.h"
#include "db.h"
#include "db_tool.h"
#include "error.h"
#include "folder.h"
#include "log.h"
#include "migrate.h"
#include "program.h"
#include "restore.h"
#include "validate.h"

#define STAGING_PREFIX	".restoring-"
#define ASIDE_PREFIX	".before-restore-"
#define ORPHAN_PREFIX	".orphan-"	/* as fsck names them */

/* Called for each entry of a directory by dir_each(): 0, or -1 to stop. */
typedef int	(*entry_fn)(void *arg, int dirfd, const char *name);

/*
 * Calls `fn` for each entry of directory `dirfd` but ".", ".." and
 * `skip` (NULL: none).  Entries may be renamed away meanwhile.  Returns
 * 0, or -1 (errno set, or `fn`'s failure).
 */
static int
dir_each(int dirfd, const char *skip, entry_fn fn, void *arg)
{
	struct dirent	*e;
	DIR		*d = NULL;
	int		 fd, rc = -1;

	/* A descriptor of its own: readdir() moves the file offset. */
	if ((fd = folder_open_dir(dirfd, ".")) == -1)
		goto out;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    (skip != NULL && strcmp(e->d_name, skip) == 0))
			continue;
		if (fn(arg, dirfd, e->d_name) == -1)
			goto out;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

/* What entry_count() finds: how many, and the first name. */
struct entry_census {
	size_t	count;
	char	first[NAME_MAX + 1];
};

static int
entry_count(void *arg, int dirfd, const char *name)
{
	struct entry_census	*c = arg;

	if (c->count++ == 0)
		snprintf(c->first, sizeof(c->first), "%s", name);
	return 0;
}

/*
 * Where entry_move() renames entries to and how many it did; with `db`,
 * a tenant folder whose tenant is not in the database goes to
 * `orphan_fd` instead, as fsck would put it aside.
 */
struct entry_move_to {
	int		 dirfd;
	size_t		 moved;
	struct db	*db;		/* NULL: move every entry */
	int		 orphan_fd;
	size_t		 orphans;
};

/*
 * Whether tenant `sub` has a row: 1 or 0, or -1 with errno EIO when the
 * query fails.
 */
static int
tenant_row_exists(struct db *db, const char *sub)
{
	static const char find_sql[] =
	    "SELECT COUNT(*) FROM tenants WHERE subdomain = ?";
	struct db_result	r;
	struct db_param		p = db_text(sub);
	int			found = -1;

	db_result_init(&r);
	if (db_query(db, find_sql, &p, 1, &r) == 0)
		found = db_cell_int(&r, 0, 0, 0) > 0;
	else
		errno = EIO;
	db_result_release(&r);
	return found;
}

static int
entry_move(void *arg, int dirfd, const char *name)
{
	struct entry_move_to	*to = arg;
	char			 moved_to[NAME_MAX + 1];
	int			 found;

	/*
	 * A folder the dump has no tenant for was made after the dump's
	 * snapshot: set aside like fsck's orphans, without their grace
	 * period, since no create can be running into this instance.
	 */
	if (to->db != NULL && validate_subdomain(name, strlen(name)) == NULL) {
		if ((found = tenant_row_exists(to->db, name)) == -1)
			return -1;
		if (found == 0) {
			if (folder_move_aside(dirfd, name, to->orphan_fd,
			    ORPHAN_PREFIX, moved_to, sizeof(moved_to)) == -1)
				return -1;
			to->orphans++;
			return 0;
		}
	}
	if (folder_rename_noreplace(dirfd, name, to->dirfd, name) == -1)
		return -1;
	to->moved++;
	return 0;
}

/*
 * Whether the database is empty enough to restore into: no table at all,
 * or the schema of a fresh installation at the backup's level (`level`)
 * without tenants or users.  Sets `why` ("" when empty).  Returns 0, or
 * -1 with a message when a query fails.
 */
static int
database_check(struct db *db, int level, char *why, size_t whylen,
    char *err, size_t errlen)
{
	static const char tables_sql[] = "SELECT COUNT(*) FROM "
	    "information_schema.tables WHERE table_schema = DATABASE()";
	static const char tenants_sql[] = "SELECT COUNT(*) FROM tenants";
	static const char users_sql[] = "SELECT COUNT(*) FROM users";
	struct db_result	r;
	int64_t			tables, tenants, users;
	int			found, rc = -1;

	db_result_init(&r);
	why[0] = '\0';
	if (db_query(db, tables_sql, NULL, 0, &r) == -1)
		goto failed;
	tables = db_cell_int(&r, 0, 0, -1);
	if (tables == 0) {
		rc = 0;
		goto out;
	}
	if (migrate_level(db, &found, err, errlen) == -1)
		goto out;
	if (found != level) {
		error_set(why, whylen, "the database is at schema level %d, "
		    "the backup at %d (restore into a database without "
		    "tables: restore applies newer migrations itself)", found,
		    level);
		rc = 0;
		goto out;
	}
	db_result_release(&r);
	if (db_query(db, tenants_sql, NULL, 0, &r) == -1)
		goto failed;
	tenants = db_cell_int(&r, 0, 0, -1);
	db_result_release(&r);
	if (db_query(db, users_sql, NULL, 0, &r) == -1)
		goto failed;
	users = db_cell_int(&r, 0, 0, -1);
	if (tenants != 0 || users != 0)
		error_set(why, whylen, "the database holds %lld tenants and "
		    "%lld users", (long long)tenants, (long long)users);
	rc = 0;
	goto out;
failed:
	error_set(err, errlen, "cannot look into the database: %s",
	    db_error(db));
out:
	db_result_release(&r);
	return rc;
}

/*
 * Whether directory `dirfd` (called `what` in messages) has no entries;
 * sets `why` when it has.  Returns 0, or -1 with a message.
 */
static int
dir_check(int dirfd, const char *what, char *why, size_t whylen,
    char *err, size_t errlen)
{
	struct entry_census	c;

	memset(&c, 0, sizeof(c));
	if (dir_each(dirfd, NULL, entry_count, &c) == -1) {
		error_set(err, errlen, "cannot read %s: %s", what,
		    strerror(errno));
		return -1;
	}
	if (c.count > 0)
		error_set(why, whylen, "%s holds %zu entr%s (%s%s)", what,
		    c.count, c.count == 1 ? "y" : "ies", c.first,
		    c.count > 1 ? ", ..." : "");
	return 0;
}

/*
 * Moves the entries of `from` (under `dirfd`, a directory of the
 * unpacked tar) into `to_fd`, those of tenant folders without a tenant
 * in `db` aside into `orphan_fd`, adding to `*moved` and `*orphans`.
 * Returns 0, or -1 with a message.
 */
static int
member_move(int dirfd, const char *from, int to_fd, const char *what,
    struct db *db, int orphan_fd, size_t *moved, size_t *orphans,
    char *err, size_t errlen)
{
	struct entry_move_to	to = { to_fd, 0, db, orphan_fd, 0 };
	int			fd, rc;

	if ((fd = openat(dirfd, from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "the backup's files hold no %s: %s",
		    what, strerror(errno));
		return -1;
	}
	rc = dir_each(fd, NULL, entry_move, &to);
	if (rc == -1)
		error_set(err, errlen, "cannot move the backup's files into "
		    "%s after %zu entries: %s", what, to.moved,
		    strerror(errno));
	close(fd);
	*moved += to.moved;
	*orphans += to.orphans;
	return rc;
}

/*
 * With --force: moves every entry of tenants_dir (but the staging
 * directory `staging`) and of archive_dir into a new
 * archive_dir/.before-restore-<hex>/{tenants,archive}/, named in
 * `aside`.  Returns 0, or -1 with a message.
 */
static int
set_aside(int tenants_fd, int archive_fd, const char *staging, char *aside,
    size_t asidelen, char *err, size_t errlen)
{
	struct entry_move_to	to = { -1, 0, NULL, -1, 0 };
	int			aside_fd = -1, rc = -1;

	if (folder_hidden_name(aside, asidelen, ASIDE_PREFIX, "instance") ==
	    -1 || mkdirat(archive_fd, aside, 0700) == -1 ||
	    (aside_fd = folder_open_dir(archive_fd, aside)) == -1 ||
	    mkdirat(aside_fd, "tenants", 0700) == -1 ||
	    mkdirat(aside_fd, "archive", 0700) == -1 ||
	    (to.dirfd = folder_open_dir(aside_fd, "tenants")) == -1 ||
	    dir_each(tenants_fd, staging, entry_move, &to) == -1)
		goto out;
	close(to.dirfd);
	if ((to.dirfd = folder_open_dir(aside_fd, "archive")) == -1 ||
	    dir_each(archive_fd, aside, entry_move, &to) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		error_set(err, errlen, "cannot set the instance's files aside "
		    "into archive_dir/%s: %s", aside, strerror(errno));
	if (to.dirfd != -1)
		close(to.dirfd);
	if (aside_fd != -1)
		close(aside_fd);
	return rc;
}

/*
 * Unpacks BACKUP_FILES of backup `dirfd` into the directory `path`:
 * modes and times as stored, links as links, files owned by whoever runs
 * the restore (tenantd's user).  Returns 0, or -1 with a message.
 */
static int
unpack_files(int dirfd, const char *path, char *err, size_t errlen)
{
	char		 option[PATH_MAX + 16];
	const char	*argv[] = {
		"tar", "--extract", "--file=-", option,
		"--preserve-permissions", "--no-same-owner", NULL
	};
	int		 fd, rc;

	snprintf(option, sizeof(option), "--directory=%s", path);
	if ((fd = openat(dirfd, BACKUP_FILES, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "cannot open %s: %s", BACKUP_FILES,
		    strerror(errno));
		return -1;
	}
	rc = program_run(argv, fd, -1, 0, err, errlen);
	close(fd);
	return rc;
}

/* Loads BACKUP_DATABASE of backup `dirfd`: 0, or -1 with a message. */
static int
load_database(const struct conf *c, int dirfd, char *err, size_t errlen)
{
	static const char *const args[] = {
		"--default-character-set=utf8mb4", "--binary-mode", NULL
	};
	int	fd, rc;

	if ((fd = openat(dirfd, BACKUP_DATABASE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "cannot open %s: %s", BACKUP_DATABASE,
		    strerror(errno));
		return -1;
	}
	rc = db_tool_run(c, "mariadb", args, fd, -1, err, errlen);
	close(fd);
	return rc;
}

/*
 * The checks that change nothing: the manifest and the parts' digests
 * of backup `dirfd` into `m`, the schema level against the installed
 * migrations, and (unless `force`) an empty database and directories.
 * Returns 0, or -1 with a message.
 */
static int
restore_check(const struct conf *c, struct db *db, int tenants_fd,
    int archive_fd, int dirfd, int force, struct backup_manifest *m,
    char *err, size_t errlen)
{
	char	why[512];
	int	installed;

	if (backup_manifest_read(dirfd, m, err, errlen) == -1 ||
	    backup_manifest_verify(dirfd, m, err, errlen) == -1 ||
	    migrate_latest(c->migrations_dir, &installed, err, errlen) == -1)
		return -1;
	if (m->schema_level > installed) {
		error_set(err, errlen, "the backup is at schema level %d, "
		    "newer than this tenantd's migrations (%d): install "
		    "tenantd %s or newer first", m->schema_level, installed,
		    m->tenantd_version);
		return -1;
	}
	if (force)
		return 0;
	if (database_check(db, m->schema_level, why, sizeof(why), err,
	    errlen) == -1)
		return -1;
	if (why[0] == '\0' && dir_check(tenants_fd, "tenants_dir", why,
	    sizeof(why), err, errlen) == -1)
		return -1;
	if (why[0] == '\0' && dir_check(archive_fd, "archive_dir", why,
	    sizeof(why), err, errlen) == -1)
		return -1;
	if (why[0] != '\0') {
		error_set(err, errlen, "the instance is not empty: %s; restore "
		    "into an empty one, or give --force to load the dump over "
		    "the database and set the files aside", why);
		return -1;
	}
	return 0;
}

int
backup_restore(const struct conf *c, struct db *db, int tenants_dirfd,
    const char *dir, int force, struct restore_report *report, char *err,
    size_t errlen)
{
	struct backup_manifest	m;
	char			tenants[PATH_MAX], path[PATH_MAX];
	char			staging[NAME_MAX + 1];
	int			dirfd = -1, archive_fd = -1, staged_fd = -1;
	int			staged = 0, rc = -1;

	memset(report, 0, sizeof(*report));
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error_set(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((archive_fd = folder_open_archive_dir(c, 0)) == -1) {
		error_set(err, errlen, "cannot open archive_dir: %s",
		    strerror(errno));
		goto out;
	}
	if (restore_check(c, db, tenants_dirfd, archive_fd, dirfd, force, &m,
	    err, errlen) == -1)
		goto out;
	report->backup_level = m.schema_level;
	snprintf(report->tenantd_version, sizeof(report->tenantd_version),
	    "%s", m.tenantd_version);
	snprintf(report->created_at, sizeof(report->created_at), "%s",
	    m.created_at);

	/* Unpacked on tenants_dir's filesystem: the rest is renames. */
	if (realpath(c->tenants_dir, tenants) == NULL ||
	    folder_hidden_name(staging, sizeof(staging), STAGING_PREFIX,
	    "backup") == -1 || mkdirat(tenants_dirfd, staging, 0700) == -1) {
		error_set(err, errlen, "cannot make a directory in "
		    "tenants_dir to unpack into: %s", strerror(errno));
		goto out;
	}
	staged = 1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", tenants, staging) >=
	    sizeof(path)) {
		error_set(err, errlen, "tenants_dir: path too long");
		goto out;
	}
	if (unpack_files(dirfd, path, err, errlen) == -1)
		goto out;
	if ((staged_fd = folder_open_dir(tenants_dirfd, staging)) == -1) {
		error_set(err, errlen, "cannot open %s: %s", staging,
		    strerror(errno));
		goto out;
	}

	if (load_database(c, dirfd, err, errlen) == -1)
		goto out;
	if (force && set_aside(tenants_dirfd, archive_fd, staging,
	    report->set_aside, sizeof(report->set_aside), err, errlen) == -1)
		goto out;
	if (member_move(staged_fd, m.tenants_member, tenants_dirfd,
	    "tenants_dir", db, archive_fd, &report->tenants_entries,
	    &report->orphans, err, errlen) == -1 ||
	    member_move(staged_fd, m.archive_member, archive_fd,
	    "archive_dir", db, archive_fd, &report->archive_entries,
	    &report->orphans, err, errlen) == -1)
		goto out;
	if (fsync(tenants_dirfd) == -1 || fsync(archive_fd) == -1) {
		error_set(err, errlen, "cannot flush tenants_dir or "
		    "archive_dir: %s", strerror(errno));
		goto out;
	}
	if (migrate_run(db, c->migrations_dir, &report->migrations_applied,
	    err, errlen) == -1)
		goto out;
	rc = 0;
out:
	if (staged_fd != -1)
		close(staged_fd);
	/* After a failure what is left there is a copy: DIR still has it. */
	if (staged && dir_remove_tree(tenants_dirfd, staging) == -1)
		log_warning("restore: cannot remove tenants_dir/%s: %s",
		    staging, strerror(errno));
	if (archive_fd != -1)
		close(archive_fd);
	if (dirfd != -1)
		close(dirfd);
	return rc;
}
