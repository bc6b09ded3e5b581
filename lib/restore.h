/*
 * restore.h - a whole-instance backup (backup.h) put back into an empty
 * instance (`tenantctl restore DIR`).
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
#ifndef TENANTD_RESTORE_H
#define TENANTD_RESTORE_H

#include <limits.h>
#include <stddef.h>

struct conf;
struct db;

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
