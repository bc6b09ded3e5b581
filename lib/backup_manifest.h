/*
 * backup_manifest.h - the manifest of a whole-instance backup
 * (`tenantctl backup DIR`): what the backup holds and how to tell that it
 * is whole.
 *
 * A backup directory holds three files: BACKUP_DATABASE (the database
 * dump), BACKUP_FILES (a tar of tenants_dir and archive_dir, the template
 * store and custom domains' links included) and BACKUP_MANIFEST, a JSON
 * object written last:
 *
 *   {"format": 1, "tenantd_version": "0.1.0", "schema_level": 7,
 *    "created_at": "2026-12-02T14:00:00Z",
 *    "tenants_member": "var/lib/tenantd/tenants",
 *    "archive_member": "var/lib/tenantd/archive",
 *    "parts": {"database.sql": {"bytes": N, "sha256": "<hex>"},
 *              "files.tar": {"bytes": N, "sha256": "<hex>"}}}
 *
 * schema_level is the highest migration the dumped database had applied;
 * the *_member paths are where the two directories are inside the tar
 * (their real paths without the leading '/').  Restore reads the manifest
 * and re-hashes every part before it changes anything.
 *
 * Return convention: 0, or -1 with a message in `err`.
 */
#ifndef TENANTD_BACKUP_MANIFEST_H
#define TENANTD_BACKUP_MANIFEST_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define BACKUP_FORMAT		1
#define BACKUP_MANIFEST		"manifest.json"
#define BACKUP_DATABASE		"database.sql"
#define BACKUP_FILES		"files.tar"
#define BACKUP_PART_COUNT	2

/* One part of a backup: its file name, size and SHA-256 in hex. */
struct backup_part {
	const char	*name;		/* BACKUP_DATABASE or BACKUP_FILES */
	uint64_t	 bytes;
	char		 sha256[65];
};

struct backup_manifest {
	int		 format;
	char		 tenantd_version[64];
	int		 schema_level;
	char		 created_at[32];	/* UTC, ISO 8601 */
	char		 tenants_member[PATH_MAX];
	char		 archive_member[PATH_MAX];
	struct backup_part parts[BACKUP_PART_COUNT];
};

/* Sets up `m` empty, with the parts named. */
void	backup_manifest_init(struct backup_manifest *m);

/*
 * Hashes part `p` (p->name) in directory `dirfd` into p->bytes and
 * p->sha256.  Returns 0, or -1 with a message.
 */
int	backup_part_measure(int dirfd, struct backup_part *p, char *err,
	    size_t errlen);

/*
 * Writes `m` as BACKUP_MANIFEST in `dirfd`, atomically and flushed, mode
 * 0600.  Returns 0, or -1 with a message.
 */
int	backup_manifest_write(int dirfd, const struct backup_manifest *m,
	    char *err, size_t errlen);

/*
 * Reads BACKUP_MANIFEST of `dirfd` into `m`, checking every member: the
 * format, types, member paths that are relative and free of "..", parts
 * with a size and a SHA-256.  Returns 0, or -1 with a message naming what
 * is wrong ("no manifest.json: not a complete backup").
 */
int	backup_manifest_read(int dirfd, struct backup_manifest *m, char *err,
	    size_t errlen);

/*
 * Re-hashes every part of `m` in `dirfd` and compares size and digest.
 * Returns 0, or -1 naming the first part missing or damaged.
 */
int	backup_manifest_verify(int dirfd, const struct backup_manifest *m,
	    char *err, size_t errlen);

#endif
