/*
 * template_store.h - the template store: the immutable versions of the
 * tenant site template that deploys link tenants' files to (SPEC 10).
 *
 * The store is tenants_dir/.templates/ (a hidden name, so never a
 * subdomain, and on the tenants' filesystem, so a tenant's file can be a
 * hard link to the stored one).  Each version is one directory:
 *
 *     .templates/<version>/manifest   the manifest (manifest.h) of...
 *     .templates/<version>/tree/      ...the template's files, mode 0444
 *
 * A version's name is the first TEMPLATE_VERSION_LEN hex digits of its
 * manifest's digest (manifest_digest()): the same files always make the
 * same version, on every host, and a version never changes once stored.
 * Adding builds ".adding-<hex>" next to the versions, copies and checks
 * every file against the manifest, flushes the filesystem once and renames
 * it into place, so a version directory is always complete.  A file with
 * the digest of a file of another stored version is a hard link to that
 * one: tenants on the older version then already hold the unchanged files
 * of the newer, and a rollout between them links only what changed.
 *
 * A stored file can still be damaged from outside: with template_files
 * = link every tenant on a version shares the stored file's inode, so a
 * root write into one tenant's copy writes into all of them.  fsck
 * (fsck_store.h) finds such files and restores them from a good copy
 * with template_store_restore_file(): a new file renamed over the
 * damaged one, which stays with the tenants that link it until they are
 * redeployed.  Meanwhile the damaged inodes keep one more link in a
 * holding directory, ".repairing-<version>-<hex>", so that a deploy, which
 * tells the links it made from a tenant's own changes by the record of
 * the last deploy and a link count above one (deploy_passes.c), replaces
 * them even on a version with a single tenant.  The holding directory is
 * removed once every tenant on the version is redeployed; while it
 * exists, fsck --repair redeploys them.
 *
 * Which versions exist for the API, which one is the default and which
 * one each tenant is on are rows (template_rows.h); this module knows
 * files only.  Every path below the store is opened relative to a
 * directory descriptor without following symlinks.
 *
 * Return convention: 0 / -1 with a message in `err` (no absolute paths)
 * for the multi-step operations; template_store_open() and
 * template_store_tree() return a descriptor or -1 with errno set.
 */
#ifndef TENANTD_TEMPLATE_STORE_H
#define TENANTD_TEMPLATE_STORE_H

#include <stddef.h>

#include "manifest.h"

#define TEMPLATE_STORE_DIR	".templates"	/* in tenants_dir */
#define TEMPLATE_VERSION_LEN	12
#define TEMPLATE_STORE_MANIFEST	"manifest"
#define TEMPLATE_STORE_TREE	"tree"
#define TEMPLATE_STORE_FILE_MODE 0444

/* Hidden names in the store: debris of an interrupted add or remove. */
#define TEMPLATE_STORE_ADDING_PREFIX	".adding-"
#define TEMPLATE_STORE_REMOVING_PREFIX	".removing-"
/* The holding directory of a repair whose tenants are not redeployed. */
#define TEMPLATE_STORE_REPAIRING_PREFIX	".repairing-"
/* A restored file before it is renamed over the damaged one. */
#define TEMPLATE_STORE_RESTORE_PREFIX	".restore-"

/* What template_store_check_file() finds at a stored file's path. */
enum template_file_state {
	TEMPLATE_FILE_GOOD,
	TEMPLATE_FILE_MISSING,		/* nothing there */
	TEMPLATE_FILE_NOT_REGULAR,	/* a symlink, directory, device... */
	TEMPLATE_FILE_DAMAGED,		/* size or SHA-256 not as listed */
	TEMPLATE_FILE_MODE		/* right bytes, mode not 0444 */
};

struct dir_cursor;
struct manifest_entry;
struct stat;

/* Is `s` a version name (TEMPLATE_VERSION_LEN lowercase hex digits)? */
int	template_version_valid(const char *s);

/*
 * Writes the version name of manifest `m` into `out` (of at least
 * TEMPLATE_VERSION_LEN + 1 bytes).  Returns 0 or -1.
 */
int	template_version_of(const struct manifest *m, char *out);

/*
 * Opens the store below the tenants directory `tenants_dirfd`, making it
 * (mode 0755) when `create` is set and it is missing.  Returns the
 * descriptor (the caller's), or -1 with errno set.
 */
int	template_store_open(int tenants_dirfd, int create);

/*
 * Stores the files of `source_dir` that manifest `m` lists as version
 * `version` (template_version_of(m)).  Every copy is hashed and must match
 * its entry: a template changed since its manifest was built is refused,
 * naming the file.  A version already stored is checked instead: its
 * manifest is rewritten when it no longer names the version, and each
 * file that is missing or no longer what `m` lists is restored from
 * `source_dir` (template_store_restore_file(), holding the damaged ones
 * for the redeploy of its tenants, which `tenantctl fsck --repair` does).
 * Returns 1 when the version was added, 0 when it was already stored (by
 * this process or another) and intact, 2 when it was stored and files
 * were restored, -1 with `err` set.
 */
int	template_store_add(int store_fd, const char *source_dir,
	    const struct manifest *m, const char *version, char *err,
	    size_t errlen);

/*
 * Opens the file tree of stored version `version`.  Returns the
 * descriptor (the caller's), or -1 with errno set (ENOENT: not stored).
 */
int	template_store_tree(int store_fd, const char *version);

/*
 * Reads the manifest of stored version `version` into the empty `m`.
 * Returns 0, or -1 with `err` set.
 */
int	template_store_manifest(int store_fd, const char *version,
	    struct manifest *m, char *err, size_t errlen);

/*
 * Removes stored version `version`: renamed out of sight first, so no
 * deploy starts on half a version, then deleted.  Tenants' hard links keep
 * their files.  Returns 0, or -1 with errno set (ENOENT: not stored).
 */
int	template_store_remove(int store_fd, const char *version);

/*
 * Judges stored file `e` in a version's tree below cursor `tree` (made
 * with create off): present, a regular file, of the listed size and
 * SHA-256 (every byte is read), mode 0444.  The file's status goes to
 * `st` when there is one (zeroed otherwise).  Returns an enum
 * template_file_state, or -1 with errno set on an I/O error.
 */
int	template_store_check_file(struct dir_cursor *tree,
	    const struct manifest_entry *e, struct stat *st);

/*
 * Gives stored file `e` of the tree below cursor `tree` mode 0444 again
 * (through the file: every tenant linking it gets the mode back too).
 * Returns 0, or -1 with errno set.
 */
int	template_store_chmod_file(struct dir_cursor *tree,
	    const struct manifest_entry *e);

/*
 * Writes manifest `m` as the manifest of stored version `version`
 * (atomically, mode 0444), for a version whose manifest was lost or
 * damaged; `m` must name `version`.  Returns 0, or -1 with errno set
 * (EINVAL: `m` is another version's).
 */
int	template_store_write_manifest(int store_fd, const char *version,
	    const struct manifest *m);

/*
 * Makes the holding directory of a repair of version `version` in the
 * store (see above), its name into `name` (of `len` bytes, NAME_MAX + 1
 * will do).  Returns its descriptor (the caller's), or -1 with errno set.
 */
int	template_store_hold(int store_fd, const char *version, char *name,
	    size_t len);

/*
 * Is `name` a holding directory's name?  Returns 1 with its version in
 * `version` (TEMPLATE_VERSION_LEN + 1 bytes), else 0.
 */
int	template_store_held_version(const char *name, char *version);

/*
 * Restores stored file `e` (manifest index `index`) of the version tree
 * below cursor `tree` (made with create on, so missing directories are
 * made) from `source`, an open regular file read from its start: the
 * copy goes to a temporary file beside the stored one, is flushed and
 * hashed, and only when it holds exactly the listed bytes is it renamed
 * over the stored path (whatever was there: a damaged file, a symlink, a
 * directory), so readers see the old file or the good one.  The damaged
 * file's inode is left as it is for the tenants that link it, and when
 * `holding` is not -1 it is linked there as "<index>" first.  Returns 1
 * restored, 0 when `source` does not hold the listed bytes (nothing
 * changed), or -1 with errno set.
 */
int	template_store_restore_file(struct dir_cursor *tree,
	    const struct manifest_entry *e, size_t index, int source,
	    int holding);

#endif
