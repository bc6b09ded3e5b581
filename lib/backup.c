/*
 * backup.c - `tenantctl backup DIR`: the database dump, then the files,
 * then the manifest, in DIR.partial renamed to DIR when whole (see
 * backup.h for the order and README.md, "Backup and restore", for why).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "backup_manifest.h"
#include "conf.h"
#include "db.h"
#include "db_tool.h"
#include "error.h"
#include "folder.h"
#include "log.h"
#include "migrate.h"
#include "program.h"
#include "tenant_lock.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"unknown"
#endif

#define PARTIAL_SUFFIX	".partial"

/* Attempts at a backup before giving up on a busy instance. */
#define BACKUP_ATTEMPTS	3

/*
 * What moves a tenant folder between tenants_dir and archive_dir or
 * removes it, so tar might find it in neither place: archive and restore
 * (the move under the tenant's lock, audited after it; lifecycle.c) and
 * delete (audited, then the folder removed; provision.c).
 */
static const char *const moving_actions[] = {
	"tenant.archive", "tenant.restore", "tenant.delete", NULL
};
static const char *const moving_locks[] = { "archive", "restore", NULL };

/* Where DIR goes: its parent, opened, and the names in it. */
struct backup_target {
	int	parent_fd;
	char	parent[PATH_MAX];	/* real path */
	char	name[NAME_MAX + 1];
	char	partial[NAME_MAX + 1];	/* name + PARTIAL_SUFFIX */
};

/*
 * Whether real path `inner` is `outer` or lies below it: 1 or 0.
 */
static int
path_within(const char *inner, const char *outer)
{
	size_t	len = strlen(outer);

	if (strcmp(outer, "/") == 0)
		return 1;
	return strncmp(inner, outer, len) == 0 &&
	    (inner[len] == '\0' || inner[len] == '/');
}

/*
 * Resolves tenants_dir and archive_dir of `c` into `tenants` and
 * `archive` (real paths, each PATH_MAX bytes) and refuses layouts one
 * tar cannot hold apart: the root, or one directory inside the other.
 * Returns 0, or -1 with a message.
 */
static int
instance_dirs(const struct conf *c, char *tenants, char *archive,
    char *err, size_t errlen)
{
	if (realpath(c->tenants_dir, tenants) == NULL) {
		error_set(err, errlen, "tenants_dir %s: %s", c->tenants_dir,
		    strerror(errno));
		return -1;
	}
	if (c->archive_dir == NULL || realpath(c->archive_dir, archive) ==
	    NULL) {
		error_set(err, errlen, "archive_dir %s: %s",
		    c->archive_dir != NULL ? c->archive_dir : "(none)",
		    c->archive_dir != NULL ? strerror(errno) : "not set");
		return -1;
	}
	if (strcmp(tenants, "/") == 0 || strcmp(archive, "/") == 0 ||
	    path_within(tenants, archive) || path_within(archive, tenants)) {
		error_set(err, errlen, "tenants_dir and archive_dir must be "
		    "two directories, neither inside the other, nor /");
		return -1;
	}
	return 0;
}

/*
 * Splits `dir` into the parent (opened into t->parent_fd) and the last
 * name, refuses a DIR or DIR.partial that exists and a DIR inside the
 * directories the backup reads.  Returns 0, or -1 with a message.
 */
static int
target_open(struct backup_target *t, const char *dir, const char *tenants,
    const char *archive, char *err, size_t errlen)
{
	char		 copy[PATH_MAX];
	const char	*parent, *name;
	char		*slash;
	struct stat	 st;

	t->parent_fd = -1;
	if (snprintf(copy, sizeof(copy), "%s", dir) >= (int)sizeof(copy)) {
		error_set(err, errlen, "%s: path too long", dir);
		return -1;
	}
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	if ((slash = strrchr(copy, '/')) == NULL) {
		parent = ".";
		name = copy;
	} else {
		*slash = '\0';
		parent = slash == copy ? "/" : copy;
		name = slash + 1;
	}
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strlen(name) + sizeof(PARTIAL_SUFFIX) >
	    sizeof(t->partial)) {
		error_set(err, errlen, "%s: give the path of a new directory",
		    dir);
		return -1;
	}
	if (realpath(parent, t->parent) == NULL) {
		error_set(err, errlen, "%s: %s", parent, strerror(errno));
		return -1;
	}
	if (path_within(t->parent, tenants) || path_within(t->parent, archive)) {
		error_set(err, errlen, "%s: a backup cannot go inside "
		    "tenants_dir or archive_dir", dir);
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->partial, sizeof(t->partial), "%s%s", name, PARTIAL_SUFFIX);
	if ((t->parent_fd = open(t->parent, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "%s: %s", parent, strerror(errno));
		return -1;
	}
	if (fstatat(t->parent_fd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		error_set(err, errlen, "%s exists: a backup goes into a new "
		    "directory", dir);
		return -1;
	}
	if (fstatat(t->parent_fd, t->partial, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		error_set(err, errlen, "%s%s exists: a backup that was killed "
		    "or is still running; remove it first", dir,
		    PARTIAL_SUFFIX);
		return -1;
	}
	return 0;
}

/*
 * Creates part `name` in `dirfd` (mode 0600, never over a file), lets
 * `write_part` fill it, and flushes it.  Returns 0, or -1 with a message.
 */
static int
part_write(int dirfd, const char *name,
    int (*write_part)(const void *, int, char *, size_t), const void *arg,
    char *err, size_t errlen)
{
	int	fd, rc = -1;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		error_set(err, errlen, "cannot create %s: %s", name,
		    strerror(errno));
		goto out;
	}
	if (write_part(arg, fd, err, errlen) == -1)
		goto out;
	if (fsync(fd) == -1) {
		error_set(err, errlen, "cannot flush %s: %s", name,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1 && close(fd) == -1 && rc == 0) {
		error_set(err, errlen, "cannot write %s: %s", name,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

/*
 * The database part: mariadb-dump of the whole database in one
 * transaction, with what a restore needs to rebuild it exactly.
 * `arg` is the struct conf.
 */
static int
dump_database(const void *arg, int fd, char *err, size_t errlen)
{
	static const char *const args[] = {
		"--single-transaction",	/* a snapshot, no table locks */
		"--triggers",		/* migration 0007's counters */
		"--routines",
		"--events",
		"--hex-blob",
		"--no-tablespaces",	/* needs no PROCESS privilege */
		"--default-character-set=utf8mb4",
		NULL
	};

	return db_tool_run(arg, "mariadb-dump", args, -1, fd, err, errlen);
}

/* The two directories, as members of the tar. */
struct files_members {
	const char	*tenants;	/* real paths without the '/' */
	const char	*archive;
};

/*
 * The files part: one tar run over both directories, from /, so a hard
 * link between them (an archived tenant's file and the template store)
 * is stored as a link.  Files that change while tar reads them are
 * expected on a live instance (tar's status 1): each of tenantd's files
 * is replaced by rename, so tar reads an old or a new file whole, and
 * fsck reconciles after a restore.
 */
static int
archive_files(const void *arg, int fd, char *err, size_t errlen)
{
	const struct files_members	*m = arg;
	const char			*argv[] = {
		"tar", "--create", "--file=-", "--format=pax",
		"--directory=/", "--numeric-owner", "--sparse",
		"--warning=no-file-changed", "--warning=no-file-removed",
		"--warning=no-file-shrank", "--", m->tenants, m->archive, NULL
	};

	return program_run(argv, -1, fd, 1, err, errlen);
}

/*
 * Adds to `*moving` the archives and restores under way now.  Returns 0,
 * or -1 with a message.
 */
static int
moves_under_way(struct db *db, const struct conf *c, int64_t *moving,
    char *err, size_t errlen)
{
	int64_t	count;
	size_t	i;

	for (i = 0; moving_locks[i] != NULL; i++) {
		if (tenant_lock_count(db, c, moving_locks[i], &count) == -1) {
			error_set(err, errlen, "cannot read the tenants' locks: "
			    "%s", db_error(db));
			return -1;
		}
		*moving += count;
	}
	return 0;
}

/*
 * One attempt: the schema level into `m`, the dump, then the files, into
 * `fd`.  `*moved` says whether a tenant folder may have moved from where
 * the dump has it while tar read the files: an archive or restore under
 * way before the dump or after tar, or one audited (done) in between.
 * Returns 0, or -1 with a message.
 */
static int
backup_attempt(const struct conf *c, struct db *db, int fd,
    const struct files_members *members, struct backup_manifest *m,
    int *moved, char *err, size_t errlen)
{
	int64_t	audit_id, moving = 0, done;

	if (moves_under_way(db, c, &moving, err, errlen) == -1)
		return -1;
	if (audit_last_id(db, &audit_id) == -1) {
		error_set(err, errlen, "cannot read the audit log: %s",
		    db_error(db));
		return -1;
	}
	/* The level first: the dump is at least as new. */
	if (migrate_level(db, &m->schema_level, err, errlen) == -1 ||
	    part_write(fd, BACKUP_DATABASE, dump_database, c, err,
	    errlen) == -1 ||
	    part_write(fd, BACKUP_FILES, archive_files, members, err,
	    errlen) == -1 ||
	    moves_under_way(db, c, &moving, err, errlen) == -1)
		return -1;
	if (audit_count_after(db, audit_id, moving_actions, &done) == -1) {
		error_set(err, errlen, "cannot read the audit log: %s",
		    db_error(db));
		return -1;
	}
	*moved = moving + done > 0;
	return 0;
}

/* The current time as "YYYY-MM-DDTHH:MM:SSZ" into `out` (32 bytes). */
static void
utc_now(char out[32])
{
	struct tm	tm;
	time_t		now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "unknown");
}

int
backup_create(const struct conf *c, struct db *db, const char *dir,
    char *err, size_t errlen)
{
	struct backup_manifest	m;
	struct backup_target	t;
	struct files_members	members;
	char			tenants[PATH_MAX], archive[PATH_MAX];
	char			first[512];
	size_t			i;
	int			attempt, moved, made = 0, fd = -1, rc = -1;

	t.parent_fd = -1;
	backup_manifest_init(&m);
	if (instance_dirs(c, tenants, archive, err, errlen) == -1 ||
	    target_open(&t, dir, tenants, archive, err, errlen) == -1)
		goto out;
	if (mkdirat(t.parent_fd, t.partial, 0700) == -1) {
		error_set(err, errlen, "cannot make %s%s: %s", dir,
		    PARTIAL_SUFFIX, strerror(errno));
		goto out;
	}
	made = 1;
	if ((fd = folder_open_dir(t.parent_fd, t.partial)) == -1) {
		error_set(err, errlen, "cannot open %s%s: %s", dir,
		    PARTIAL_SUFFIX, strerror(errno));
		goto out;
	}
	members.tenants = tenants + 1;
	members.archive = archive + 1;

	/*
	 * A folder moved while tar read the files could be in neither
	 * place; fsck could only rebuild it from its row, without the
	 * tenant's own files.  So such an attempt is made again.
	 */
	for (attempt = 1; ; attempt++) {
		if (backup_attempt(c, db, fd, &members, &m, &moved, err,
		    errlen) == -1)
			goto out;
		if (!moved)
			break;
		if (attempt == BACKUP_ATTEMPTS) {
			error_set(err, errlen, "tenants were archived, restored "
			    "or deleted while each of %d attempts ran; try "
			    "again when the instance is quieter",
			    BACKUP_ATTEMPTS);
			goto out;
		}
		log_info("backup: a tenant was archived, restored or deleted "
		    "while the files were read; starting again");
		if (unlinkat(fd, BACKUP_DATABASE, 0) == -1 ||
		    unlinkat(fd, BACKUP_FILES, 0) == -1) {
			error_set(err, errlen, "cannot remove the parts of "
			    "attempt %d: %s", attempt, strerror(errno));
			goto out;
		}
	}

	snprintf(m.tenantd_version, sizeof(m.tenantd_version), "%s",
	    PACKAGE_VERSION);
	utc_now(m.created_at);
	snprintf(m.tenants_member, sizeof(m.tenants_member), "%s",
	    members.tenants);
	snprintf(m.archive_member, sizeof(m.archive_member), "%s",
	    members.archive);
	for (i = 0; i < BACKUP_PART_COUNT; i++)
		if (backup_part_measure(fd, &m.parts[i], err, errlen) == -1)
			goto out;
	if (backup_manifest_write(fd, &m, err, errlen) == -1)
		goto out;
	if (folder_rename_noreplace(t.parent_fd, t.partial, t.parent_fd,
	    t.name) == -1) {
		error_set(err, errlen, "cannot rename %s%s to %s: %s", dir,
		    PARTIAL_SUFFIX, dir, strerror(errno));
		goto out;
	}
	made = 0;
	if (fsync(t.parent_fd) == -1) {
		error_set(err, errlen, "cannot flush the directory of %s: %s",
		    dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (made && dir_remove_tree(t.parent_fd, t.partial) == -1) {
		snprintf(first, sizeof(first), "%s", err);
		error_set(err, errlen, "%s; %s%s is left behind: %s", first,
		    dir, PARTIAL_SUFFIX, strerror(errno));
	}
	if (t.parent_fd != -1)
		close(t.parent_fd);
	return rc;
}
