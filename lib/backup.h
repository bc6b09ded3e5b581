/*
 * backup.h - the backup of a whole tenantd instance: the database and
 * every file the instance owns (`tenantctl backup DIR`).
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
 *   4. If a tenant was archived, restored or deleted between the start
 *      of step 2 and the end of step 3 (the tenants' locks and the audit
 *      log say), its folder may be in neither place in the tar: steps 2
 *      and 3 are done again, at most 3 times in all.
 *   5. Both parts are hashed into manifest.json, written last; the
 *      directory is flushed and renamed to DIR.
 * Any failure removes DIR.partial, so a directory named DIR is always a
 * complete backup.  The files are as new as, or newer than, the rows:
 * what changed while the backup ran is reconciled by `tenantctl fsck
 * --repair`, which restore runs.
 *
 * restore.h puts a backup back.
 *
 * Return convention: 0, or -1 with a message in `err`.
 */
#ifndef TENANTD_BACKUP_H
#define TENANTD_BACKUP_H

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

#endif
