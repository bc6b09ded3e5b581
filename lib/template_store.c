/*
 * template_store.c - the immutable versions of the template on disk (the
 * layout and the rules are in template_store.h).  Called by template.c
 * (adding versions, the default from template_dir), the deploy (which
 * links tenants' files to a version's tree) and fsck, which also uses the
 * checks and restores of stored files here (fsck_store.c).  Reading a
 * stored version split by its web root, for a deploy, is
 * template_files.c's job.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "deploy_copy.h"
#include "error.h"
#include "folder.h"
#include "manifest.h"
#include "random.h"
#include "template_store.h"

#define ADDING_PREFIX	TEMPLATE_STORE_ADDING_PREFIX
#define REMOVING_PREFIX	TEMPLATE_STORE_REMOVING_PREFIX

/* Random hex digits in a holding directory's or a restored file's name. */
#define NAME_RANDOM_BYTES	8

/* Is `s` TEMPLATE_VERSION_LEN lowercase hex digits?  1 or 0. */
int
template_version_valid(const char *s)
{
	size_t	i;

	if (s == NULL)
		return 0;
	for (i = 0; i < TEMPLATE_VERSION_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[TEMPLATE_VERSION_LEN] == '\0';
}

/* The version name of manifest `m` (template_store.h).  0 or -1. */
int
template_version_of(const struct manifest *m, char *out)
{
	unsigned char	digest[32];
	char		hex[65];

	if (manifest_digest(m, digest) == -1)
		return -1;
	sha256_hex(digest, hex);
	memcpy(out, hex, TEMPLATE_VERSION_LEN);
	out[TEMPLATE_VERSION_LEN] = '\0';
	return 0;
}

/* Opens (and with `create` makes) the store.  A descriptor or -1. */
int
template_store_open(int tenants_dirfd, int create)
{
	int	fd;

	fd = folder_open_dir(tenants_dirfd, TEMPLATE_STORE_DIR);
	if (fd != -1 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(tenants_dirfd, TEMPLATE_STORE_DIR, FOLDER_DIR_MODE) == -1 &&
	    errno != EEXIST)
		return -1;
	if ((fd = folder_open_dir(tenants_dirfd, TEMPLATE_STORE_DIR)) == -1)
		return -1;
	/* The umask must not decide who can read the store. */
	if (fchmod(fd, FOLDER_DIR_MODE) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The most stored versions whose files a new version may share. */
#define SHARE_MAX_VERSIONS	64

/* A file of a stored version, by digest, for sharing it. */
struct stored_file {
	unsigned char	 sha256[32];
	uint64_t	 size;
	const char	*path;		/* in the version's manifest */
	size_t		 version;	/* index into struct share */
};

/*
 * The files of the versions already stored, so a new version links the
 * files it has in common with them instead of storing them again: the
 * tenants on one version then already hold the files of the next that
 * did not change, and a rollout touches only the changed ones.
 */
struct share {
	struct manifest		 manifests[SHARE_MAX_VERSIONS];
	int			 trees[SHARE_MAX_VERSIONS];
	size_t			 versions;
	struct stored_file	*files;		/* sorted by digest */
	size_t			 count;
};

/* qsort() and bsearch() order of struct stored_file: the digest. */
static int
stored_file_compare(const void *a, const void *b)
{
	const struct stored_file	*x = a, *y = b;

	return memcmp(x->sha256, y->sha256, sizeof(x->sha256));
}

/* Frees what share_load() read. */
static void
share_release(struct share *sh)
{
	size_t	i;

	for (i = 0; i < sh->versions; i++) {
		manifest_release(&sh->manifests[i]);
		if (sh->trees[i] != -1)
			close(sh->trees[i]);
	}
	free(sh->files);
	memset(sh, 0, sizeof(*sh));
}

/*
 * Reads the manifests of up to SHARE_MAX_VERSIONS stored versions other
 * than `version` into `sh`.  A version that cannot be read is passed
 * over: sharing only saves space.  Returns 0, or -1 out of memory.
 */
static int
share_load(int store_fd, const char *version, struct share *sh)
{
	struct dirent	*entry;
	struct manifest	*m;
	char		 err[256];
	size_t		 i, j, total = 0, n = 0;
	DIR		*dir;
	int		 fd;

	memset(sh, 0, sizeof(*sh));
	if ((fd = openat(store_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while (sh->versions < SHARE_MAX_VERSIONS &&
	    (entry = readdir(dir)) != NULL) {
		if (!template_version_valid(entry->d_name) ||
		    strcmp(entry->d_name, version) == 0)
			continue;
		m = &sh->manifests[sh->versions];
		manifest_init(m);
		if (template_store_manifest(store_fd, entry->d_name, m, err,
		    sizeof(err)) == -1)
			continue;
		if ((sh->trees[sh->versions] = template_store_tree(store_fd,
		    entry->d_name)) == -1) {
			manifest_release(m);
			continue;
		}
		total += m->count;
		sh->versions++;
	}
	closedir(dir);
	if (total == 0)
		return 0;
	if ((sh->files = calloc(total, sizeof(*sh->files))) == NULL)
		return -1;
	for (i = 0; i < sh->versions; i++) {
		m = &sh->manifests[i];
		for (j = 0; j < m->count; j++) {
			memcpy(sh->files[n].sha256, m->entries[j].sha256,
			    sizeof(sh->files[n].sha256));
			sh->files[n].size = m->entries[j].size;
			sh->files[n].path = m->entries[j].path;
			sh->files[n].version = i;
			n++;
		}
	}
	qsort(sh->files, n, sizeof(*sh->files), stored_file_compare);
	sh->count = n;
	return 0;
}

/*
 * Links a stored file with the digest and size of `e` into `to` at its
 * path, when a version in `sh` has one.  Returns 1 linked, 0 none to link
 * (or linking refused: the caller copies), -1 with errno set.
 */
static int
share_link(const struct share *sh, const struct manifest_entry *e,
    struct dir_cursor *to)
{
	struct stored_file		 key;
	const struct stored_file	*found;
	struct dir_cursor		 from;
	const char			*leaf, *from_leaf;
	int				 parent, from_parent, rc = 0;

	if (sh->count == 0)
		return 0;
	memcpy(key.sha256, e->sha256, sizeof(key.sha256));
	if ((found = bsearch(&key, sh->files, sh->count, sizeof(*sh->files),
	    stored_file_compare)) == NULL || found->size != e->size)
		return 0;
	dir_cursor_init(&from, sh->trees[found->version], DIR_CURSOR_OPEN);
	if ((parent = dir_cursor_parent(to, e->path, &leaf)) == -1) {
		rc = -1;
		goto out;
	}
	if ((from_parent = dir_cursor_parent(&from, found->path,
	    &from_leaf)) != -1 && linkat(from_parent, from_leaf, parent, leaf,
	    0) == 0)
		rc = 1;
out:
	dir_cursor_close(&from);
	return rc;
}

/*
 * Stores manifest entry `e`: a link to the same file of another stored
 * version (`sh`), else a copy from the tree of `from` as a read-only
 * file; either way the stored file's digest is checked, so what is
 * stored is exactly what the manifest says.  Returns 0, or -1 with `err`
 * set.
 */
static int
store_file(struct dir_cursor *from, struct dir_cursor *to,
    const struct share *sh, const struct manifest_entry *e, char *err,
    size_t errlen)
{
	const char	*leaf;
	unsigned char	 digest[32];
	uint64_t	 copied, size;
	int		 parent, src = -1, dst = -1, linked, rc = -1;

	if ((linked = share_link(sh, e, to)) == -1) {
		error_set(err, errlen, "could not store %s: %s", e->path,
		    strerror(errno));
		return -1;
	}
	if (linked == 1) {
		if ((parent = dir_cursor_parent(to, e->path, &leaf)) != -1 &&
		    file_sha256_at(parent, leaf, digest, &size) == 0 &&
		    size == e->size && memcmp(digest, e->sha256,
		    sizeof(digest)) == 0)
			return 0;
		/* A damaged stored file is not shared: store a copy. */
		if (parent == -1 || unlinkat(parent, leaf, 0) == -1) {
			error_set(err, errlen, "could not store %s: %s",
			    e->path, strerror(errno));
			return -1;
		}
	}
	if ((parent = dir_cursor_parent(from, e->path, &leaf)) == -1 ||
	    (src = openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "template file %s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	if ((parent = dir_cursor_parent(to, e->path, &leaf)) == -1 ||
	    (dst = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, TEMPLATE_STORE_FILE_MODE)) == -1 ||
	    deploy_copy_contents(src, dst, &copied) == -1 ||
	    fchmod(dst, TEMPLATE_STORE_FILE_MODE) == -1) {
		error_set(err, errlen, "could not store %s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	if (close(dst) == -1) {
		dst = -1;
		error_set(err, errlen, "could not store %s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	dst = -1;
	if (file_sha256_at(parent, leaf, digest, &size) != 0) {
		error_set(err, errlen, "could not read back %s", e->path);
		goto out;
	}
	if (size != e->size || memcmp(digest, e->sha256, sizeof(digest)) != 0) {
		error_set(err, errlen, "template file %s changed since the "
		    "manifest was built; rebuild it", e->path);
		goto out;
	}
	rc = 0;
out:
	if (src != -1)
		close(src);
	if (dst != -1)
		close(dst);
	return rc;
}

/*
 * Fills the new version directory open on `adding`: tree/ with every
 * file of `m` copied from `source_dir`, then the manifest.  Returns 0, or
 * -1 with `err` set.
 */
static int
fill_version(int adding, const char *source_dir, const struct manifest *m,
    const struct share *sh, char *err, size_t errlen)
{
	struct dir_cursor	from, to;
	FILE			*out = NULL;
	size_t			 i;
	int			 source = -1, tree = -1, fd, rc = -1;

	dir_cursor_init(&from, -1, DIR_CURSOR_OPEN);
	dir_cursor_init(&to, -1, DIR_CURSOR_MAKE);
	if ((source = open(source_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "cannot open the template directory: "
		    "%s", strerror(errno));
		goto out;
	}
	if (mkdirat(adding, TEMPLATE_STORE_TREE, FOLDER_DIR_MODE) == -1 ||
	    (tree = folder_open_dir(adding, TEMPLATE_STORE_TREE)) == -1 ||
	    fchmod(tree, FOLDER_DIR_MODE) == -1) {
		error_set(err, errlen, "could not make a version in the "
		    "template store: %s", strerror(errno));
		goto out;
	}
	dir_cursor_init(&from, source, DIR_CURSOR_OPEN);
	dir_cursor_init(&to, tree, DIR_CURSOR_MAKE);
	for (i = 0; i < m->count; i++)
		if (store_file(&from, &to, sh, &m->entries[i], err,
		    errlen) == -1)
			goto out;
	if ((fd = openat(adding, TEMPLATE_STORE_MANIFEST, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, TEMPLATE_STORE_FILE_MODE)) == -1 ||
	    (out = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		error_set(err, errlen, "could not write the version's "
		    "manifest: %s", strerror(errno));
		goto out;
	}
	if (manifest_write(m, out) == -1 || fchmod(fileno(out),
	    TEMPLATE_STORE_FILE_MODE) == -1) {
		error_set(err, errlen, "could not write the version's "
		    "manifest: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out != NULL && fclose(out) == EOF && rc == 0) {
		error_set(err, errlen, "could not write the version's "
		    "manifest: %s", strerror(errno));
		rc = -1;
	}
	dir_cursor_close(&from);
	dir_cursor_close(&to);
	if (tree != -1)
		close(tree);
	if (source != -1)
		close(source);
	return rc;
}

/*
 * Opens the file tree of the version directory open on `dir`, making it
 * when it is missing.  Returns the descriptor, or -1 with errno set.
 */
static int
open_or_make_tree(int dir)
{
	int	tree;

	tree = folder_open_dir(dir, TEMPLATE_STORE_TREE);
	if (tree != -1 || errno != ENOENT)
		return tree;
	if (mkdirat(dir, TEMPLATE_STORE_TREE, FOLDER_DIR_MODE) == -1 &&
	    errno != EEXIST)
		return -1;
	return folder_open_dir(dir, TEMPLATE_STORE_TREE);
}

/*
 * Puts back from `source_dir` what stored version `version` lost against
 * `m`: its manifest, files that are missing or damaged (the damaged ones
 * held for the redeploy of the version's tenants) and their mode.  Called
 * by template_store_add() for a version already stored.  Returns the
 * number of files restored, or -1 with `err` set.
 */
static int
heal_version(int store_fd, const char *source_dir, const struct manifest *m,
    const char *version, char *err, size_t errlen)
{
	const struct manifest_entry	*e;
	struct dir_cursor		 check, restore;
	struct manifest			 stored;
	struct stat			 st;
	char				 held[NAME_MAX + 1] = "", why[256];
	size_t				 i;
	int				 dir = -1, tree = -1, source = -1;
	int				 holding = -1, fd, state, restored = 0;
	int				 rc = -1;

	manifest_init(&stored);
	dir_cursor_init(&check, -1, 0);
	dir_cursor_init(&restore, -1, 1);
	if (template_store_manifest(store_fd, version, &stored, why,
	    sizeof(why)) == -1 && template_store_write_manifest(store_fd,
	    version, m) == -1) {
		error_set(err, errlen, "could not rewrite the manifest of "
		    "version %s: %s", version, strerror(errno));
		goto out;
	}
	if ((dir = folder_open_dir(store_fd, version)) == -1 ||
	    (tree = open_or_make_tree(dir)) == -1) {
		error_set(err, errlen, "cannot open version %s in the template "
		    "store: %s", version, strerror(errno));
		goto out;
	}
	if ((source = open(source_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		error_set(err, errlen, "cannot open the template directory: "
		    "%s", strerror(errno));
		goto out;
	}
	dir_cursor_init(&check, tree, 0);
	dir_cursor_init(&restore, tree, 1);
	for (i = 0; i < m->count; i++) {
		e = &m->entries[i];
		if ((state = template_store_check_file(&check, e, &st)) == -1) {
			error_set(err, errlen, "cannot read stored file %s: %s",
			    e->path, strerror(errno));
			goto out;
		}
		if (state == TEMPLATE_FILE_GOOD)
			continue;
		if (state == TEMPLATE_FILE_MODE) {
			if (template_store_chmod_file(&check, e) == -1) {
				error_set(err, errlen, "could not make stored "
				    "file %s read-only: %s", e->path,
				    strerror(errno));
				goto out;
			}
			continue;
		}
		if (manifest_file_open_at(source, e->path, &fd, &st) != 1) {
			error_set(err, errlen, "template file %s: cannot open "
			    "it: %s", e->path, strerror(errno));
			goto out;
		}
		if (holding == -1 && (holding = template_store_hold(store_fd,
		    version, held, sizeof(held))) == -1) {
			close(fd);
			error_set(err, errlen, "could not make a holding "
			    "directory in the template store: %s",
			    strerror(errno));
			goto out;
		}
		state = template_store_restore_file(&restore, e, i, fd,
		    holding);
		close(fd);
		if (state == -1) {
			error_set(err, errlen, "could not restore stored file "
			    "%s: %s", e->path, strerror(errno));
			goto out;
		}
		if (state == 0) {
			error_set(err, errlen, "template file %s changed since "
			    "the manifest was built; rebuild it", e->path);
			goto out;
		}
		restored++;
	}
	rc = restored;
out:
	/* A holding directory that holds nothing has nothing to wait for. */
	if (holding != -1 && restored == 0)
		dir_remove_tree(store_fd, held);
	if (holding != -1)
		close(holding);
	dir_cursor_close(&check);
	dir_cursor_close(&restore);
	if (source != -1)
		close(source);
	if (tree != -1)
		close(tree);
	if (dir != -1)
		close(dir);
	manifest_release(&stored);
	return rc;
}

/*
 * Stores version `version` of the template in `source_dir` (see
 * template_store.h).  Called by template.c.  Returns 1 (added), 0 (was
 * there), 2 (was there, files restored) or -1 with `err` set; nothing
 * half-made is left behind.
 */
int
template_store_add(int store_fd, const char *source_dir,
    const struct manifest *m, const char *version, char *err, size_t errlen)
{
	struct share	sh;
	struct stat	st;
	char		adding[NAME_MAX + 1] = "";
	int		fd = -1, rc = -1;

	memset(&sh, 0, sizeof(sh));
	if (!template_version_valid(version)) {
		error_set(err, errlen, "invalid template version");
		return -1;
	}
	if (fstatat(store_fd, version, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if ((rc = heal_version(store_fd, source_dir, m, version, err,
		    errlen)) == -1)
			return -1;
		return rc > 0 ? 2 : 0;
	}
	if (folder_hidden_name(adding, sizeof(adding), ADDING_PREFIX,
	    version) == -1 || mkdirat(store_fd, adding, FOLDER_DIR_MODE) == -1 ||
	    (fd = folder_open_dir(store_fd, adding)) == -1 ||
	    fchmod(fd, FOLDER_DIR_MODE) == -1) {
		error_set(err, errlen, "could not make a version in the "
		    "template store: %s", strerror(errno));
		if (fd == -1)
			adding[0] = '\0';
		goto out;
	}
	if (share_load(store_fd, version, &sh) == -1) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if (fill_version(fd, source_dir, m, &sh, err, errlen) == -1)
		goto out;
	/* One flush for every file of the version. */
	if (syncfs(fd) == -1) {
		error_set(err, errlen, "could not flush the template store: %s",
		    strerror(errno));
		goto out;
	}
	crash_point("template_store.before_rename");
	if (folder_rename_noreplace(store_fd, adding, store_fd,
	    version) == -1) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			error_set(err, errlen, "could not put the version in "
			    "place: %s", strerror(errno));
			goto out;
		}
		rc = 0;		/* another process stored it meanwhile */
		goto out;
	}
	adding[0] = '\0';
	if (fsync(store_fd) == -1) {
		error_set(err, errlen, "could not flush the template store: %s",
		    strerror(errno));
		goto out;
	}
	rc = 1;
out:
	share_release(&sh);
	if (fd != -1)
		close(fd);
	if (adding[0] != '\0')
		dir_remove_tree(store_fd, adding);
	return rc;
}

/* Opens the file tree of a stored version.  A descriptor or -1. */
int
template_store_tree(int store_fd, const char *version)
{
	int	dir, tree;

	if (!template_version_valid(version)) {
		errno = EINVAL;
		return -1;
	}
	if ((dir = folder_open_dir(store_fd, version)) == -1)
		return -1;
	tree = folder_open_dir(dir, TEMPLATE_STORE_TREE);
	close(dir);
	return tree;
}

/* Reads the manifest of a stored version.  0, or -1 with `err` set. */
int
template_store_manifest(int store_fd, const char *version,
    struct manifest *m, char *err, size_t errlen)
{
	char	stored[TEMPLATE_VERSION_LEN + 1];
	int	dir, rc;

	if (!template_version_valid(version)) {
		error_set(err, errlen, "invalid template version");
		return -1;
	}
	if ((dir = folder_open_dir(store_fd, version)) == -1) {
		error_set(err, errlen, "template version %s is not in the "
		    "template store: %s", version, strerror(errno));
		return -1;
	}
	rc = manifest_read_at(m, dir, TEMPLATE_STORE_MANIFEST, err, errlen);
	close(dir);
	if (rc == 0 && (template_version_of(m, stored) == -1 ||
	    strcmp(stored, version) != 0)) {
		manifest_release(m);
		error_set(err, errlen, "the manifest of template version %s "
		    "does not match its name; run tenantctl fsck", version);
		rc = -1;
	}
	return rc;
}

/* Removes a stored version (template_store.h).  0, or -1 with errno. */
int
template_store_remove(int store_fd, const char *version)
{
	char	removing[NAME_MAX + 1];

	if (!template_version_valid(version)) {
		errno = EINVAL;
		return -1;
	}
	if (folder_hidden_name(removing, sizeof(removing), REMOVING_PREFIX,
	    version) == -1 || folder_rename_noreplace(store_fd, version,
	    store_fd, removing) == -1)
		return -1;
	if (fsync(store_fd) == -1)
		return -1;
	return dir_remove_tree(store_fd, removing);
}

/* Judges one stored file (template_store.h).  A state, or -1. */
int
template_store_check_file(struct dir_cursor *tree,
    const struct manifest_entry *e, struct stat *st)
{
	const char	*leaf;
	unsigned char	 digest[32];
	uint64_t	 size;
	int		 parent, fd, rc, saved;

	memset(st, 0, sizeof(*st));
	if ((parent = dir_cursor_parent(tree, e->path, &leaf)) == -1)
		return errno == ENOENT ? TEMPLATE_FILE_MISSING :
		    errno == ENOTDIR || errno == ELOOP ?
		    TEMPLATE_FILE_NOT_REGULAR : -1;
	if (fstatat(parent, leaf, st, AT_SYMLINK_NOFOLLOW) == -1) {
		saved = errno;
		memset(st, 0, sizeof(*st));
		errno = saved;
		return errno == ENOENT ? TEMPLATE_FILE_MISSING : -1;
	}
	if (!S_ISREG(st->st_mode))
		return TEMPLATE_FILE_NOT_REGULAR;
	if ((uint64_t)st->st_size != e->size)
		return TEMPLATE_FILE_DAMAGED;
	if ((fd = openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? TEMPLATE_FILE_MISSING :
		    errno == ELOOP ? TEMPLATE_FILE_NOT_REGULAR : -1;
	rc = file_sha256_fd(fd, digest, &size);
	saved = errno;
	close(fd);
	errno = saved;
	if (rc == -1)
		return -1;
	if (size != e->size || memcmp(digest, e->sha256, sizeof(digest)) != 0)
		return TEMPLATE_FILE_DAMAGED;
	if ((st->st_mode & 07777) != TEMPLATE_STORE_FILE_MODE)
		return TEMPLATE_FILE_MODE;
	return TEMPLATE_FILE_GOOD;
}

/* Gives a stored file mode 0444 again (template_store.h).  0 or -1. */
int
template_store_chmod_file(struct dir_cursor *tree,
    const struct manifest_entry *e)
{
	const char	*leaf;
	int		 parent, fd, rc, saved;

	if ((parent = dir_cursor_parent(tree, e->path, &leaf)) == -1 ||
	    (fd = openat(parent, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return -1;
	rc = fchmod(fd, TEMPLATE_STORE_FILE_MODE);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Writes a version's manifest again (template_store.h).  0 or -1. */
int
template_store_write_manifest(int store_fd, const char *version,
    const struct manifest *m)
{
	char	 named[TEMPLATE_VERSION_LEN + 1], *text = NULL;
	size_t	 len = 0;
	FILE	*out;
	int	 dir = -1, rc = -1, saved;

	if (template_version_of(m, named) == -1 ||
	    strcmp(named, version) != 0) {
		errno = EINVAL;
		return -1;
	}
	if ((out = open_memstream(&text, &len)) == NULL)
		return -1;
	if (manifest_write(m, out) == -1) {
		saved = errno;
		fclose(out);
		free(text);
		errno = saved;
		return -1;
	}
	if (fclose(out) == EOF)
		goto out;
	if ((dir = folder_open_dir(store_fd, version)) == -1)
		goto out;
	rc = file_write_atomic(dir, TEMPLATE_STORE_MANIFEST, text, len,
	    TEMPLATE_STORE_FILE_MODE);
out:
	saved = errno;
	if (dir != -1)
		close(dir);
	free(text);
	errno = saved;
	return rc;
}

/* Makes a repair's holding directory (template_store.h).  A fd or -1. */
int
template_store_hold(int store_fd, const char *version, char *name,
    size_t len)
{
	int	fd, saved;

	if (!template_version_valid(version)) {
		errno = EINVAL;
		return -1;
	}
	if (folder_hidden_name(name, len, TEMPLATE_STORE_REPAIRING_PREFIX,
	    version) == -1 || mkdirat(store_fd, name, FOLDER_DIR_MODE) == -1)
		return -1;
	/* It must outlive a crash: it is what tells fsck to redeploy. */
	if ((fd = folder_open_dir(store_fd, name)) == -1 ||
	    fsync(store_fd) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		unlinkat(store_fd, name, AT_REMOVEDIR);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Is `name` a holding directory's?  1 with its version, else 0. */
int
template_store_held_version(const char *name, char *version)
{
	size_t	prefix = strlen(TEMPLATE_STORE_REPAIRING_PREFIX);
	size_t	i;

	if (strncmp(name, TEMPLATE_STORE_REPAIRING_PREFIX, prefix) != 0 ||
	    strlen(name) != prefix + TEMPLATE_VERSION_LEN + 1 +
	    2 * NAME_RANDOM_BYTES || name[prefix + TEMPLATE_VERSION_LEN] != '-')
		return 0;
	memcpy(version, name + prefix, TEMPLATE_VERSION_LEN);
	version[TEMPLATE_VERSION_LEN] = '\0';
	if (!template_version_valid(version))
		return 0;
	for (i = prefix + TEMPLATE_VERSION_LEN + 1; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Clears the way for a restored file at `leaf` of `parent`: links a
 * damaged regular file into `holding` as "<index>" (when `holding` is
 * not -1) and removes what is not a regular file (a symlink, a directory
 * planted there), which rename() would not replace.  Returns 0, or -1
 * with errno set.
 */
static int
clear_way(int parent, const char *leaf, size_t index, int holding)
{
	struct stat	st;
	char		held[32];

	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode))
		return dir_remove_tree(parent, leaf);
	if (!S_ISREG(st.st_mode))
		return unlinkat(parent, leaf, 0);
	if (holding == -1)
		return 0;
	snprintf(held, sizeof(held), "%zu", index);
	if (linkat(parent, leaf, holding, held, 0) == -1 && errno != EEXIST)
		return -1;
	return fsync(holding);
}

/* Restores one stored file from a good copy (template_store.h). */
int
template_store_restore_file(struct dir_cursor *tree,
    const struct manifest_entry *e, size_t index, int source, int holding)
{
	const char	*leaf;
	unsigned char	 digest[32];
	uint64_t	 copied, size;
	char		 temp[sizeof(TEMPLATE_STORE_RESTORE_PREFIX) +
			    2 * NAME_RANDOM_BYTES];
	char		 hex[2 * NAME_RANDOM_BYTES + 1];
	int		 parent, copy = -1, made = 0, rc = -1, saved;

	if ((parent = dir_cursor_parent(tree, e->path, &leaf)) == -1)
		return -1;
	random_hex(hex, NAME_RANDOM_BYTES);
	snprintf(temp, sizeof(temp), "%s%s", TEMPLATE_STORE_RESTORE_PREFIX,
	    hex);
	/* Read back through the same descriptor, so it opens for both. */
	if ((copy = openat(parent, temp, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, TEMPLATE_STORE_FILE_MODE)) == -1)
		goto out;
	made = 1;
	if (lseek(source, 0, SEEK_SET) == -1 ||
	    deploy_copy_contents(source, copy, &copied) == -1 ||
	    fchmod(copy, TEMPLATE_STORE_FILE_MODE) == -1 ||
	    fsync(copy) == -1 || lseek(copy, 0, SEEK_SET) == -1 ||
	    file_sha256_fd(copy, digest, &size) == -1)
		goto out;
	if (size != e->size || memcmp(digest, e->sha256, sizeof(digest)) != 0) {
		rc = 0;
		goto out;
	}
	if (clear_way(parent, leaf, index, holding) == -1 ||
	    renameat(parent, temp, parent, leaf) == -1)
		goto out;
	made = 0;
	if (fsync(parent) == -1)
		goto out;
	rc = 1;
out:
	saved = errno;
	if (copy != -1)
		close(copy);
	if (made)
		unlinkat(parent, temp, 0);
	errno = saved;
	return rc;
}
