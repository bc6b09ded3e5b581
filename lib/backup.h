/*
 * backup.h - backup and restore of a whole tenantd instance: the
 * database and every file the instance owns (`tenantctl backup DIR`,
 * `tenantctl restore DIR`).
 *
 * What the instance owns on disk is tenants_dir (tenant folders, the
 * template store .templates/, custom domains' links .domains/) and
 * archive_dir (archived folders).  Installed software (template_dir,
 * migrations, modules.json, the admin UI) is not backed up: install the
 * same or a newer tenantd before restoring.
 *
 * Backup, in this order (README.md, "Backup and restore", says why):
 *   1. DIR.partial/ is made (mode 0700) beside DIR; DIR must not exist.
 *   2. The schema level is read, then mariadb-dump writes database.sql in
 *      one transaction (--single-transaction: a consistent snapshot of
 *      every InnoDB table without locking tenantd out), with triggers,
 *      routines and events.
 *   3. tar writes files.tar of tenants_dir and archive_dir in one run, so
 *      the hard links between the template store and the tenants' files
 *      stay links; symlinks are stored as symlinks, modes and times kept.
 *   4. Both parts are hashed into manifest.json, written last; the
 *      directory is flushed and renamed to DIR.
 * Any failure removes DIR.partial, so a directory named DIR is always a
 * complete backup.  The files are as new as, or newer than, the rows:
 * what changed while the backup ran is reconciled by `tenantctl fsck
 * --repair`, which restore runs.
 *
 * Restore checks everything before it changes anything: the manifest, the
 * SHA-256 of every part, the schema level (a backup newer than the
 * installed migrations is refused) and that the instance is empty.  Then
 * it unpacks files.tar into tenants_dir/.restoring-<hex>/ (one
 * filesystem with tenants_dir and archive_dir, so what follows is
 * renames), loads database.sql, moves the unpacked entries into
 * tenants_dir and archive_dir (a tenant folder without a row in the
 * dump, made after its snapshot, goes aside as fsck's orphans do, into
 * archive_dir/.orphan-<sub>-<hex>), and applies the migrations the
 * installed tenantd has beyond the backup's level.
 *
 * Return convention: 0, or -1 with a message in `err`.
 */
#ifndef TENANTD_BACKUP_H
#define TENANTD_BACKUP_H

#include <limits.h>
#include <stddef.h>

struct conf;
struct db;

/*
 * Backs the instance of conf `c` up into the new directory `dir`, reading
 * the schema level through `db`.  Returns 0, or -1 with a message; DIR
 * then does not exist and DIR.partial is removed.
 */
int	backup_create(const struct conf *c, struct db *db, const char *dir,
	    char *err, size_t errlen);

/* What a restore did, for the caller's report. */
struct restore_report {
	int	backup_level;		/* the backup's schema level */
	int	migrations_applied;	/* applied after loading the dump */
	size_t	tenants_entries;	/* entries moved into tenants_dir */
	size_t	archive_entries;	/* entries moved into archive_dir */
	size_t	orphans;		/* tenant folders without a tenant in
					   the dump, set aside into
					   archive_dir/.orphan-<sub>-<hex> */
	char	set_aside[NAME_MAX + 1];/* with `force`: what was there, in
					   archive_dir; "" when nothing */
	char	tenantd_version[64];	/* that made the backup */
	char	created_at[32];
};

/*
 * Restores the backup in `dir` into the instance of conf `c`: `db` is its
 * database, `tenants_dirfd` its open tenants_dir.  The instance must be
 * empty (no tables, or freshly migrated to the backup's level with no
 * tenant and no user; tenants_dir and archive_dir without entries) unless
 * `force`, which moves the entries of both directories aside into
 * archive_dir/.before-restore-<hex>/ and loads the dump over the
 * database (each table the dump holds is dropped and made again).
 * Returns 0 with `report` filled, or -1 with a message; a backup refused
 * by its checks or an instance found not empty is left unchanged.
 */
int	backup_restore(const struct conf *c, struct db *db, int tenants_dirfd,
	    const char *dir, int force, struct restore_report *report,
	    char *err, size_t errlen);

#endif
