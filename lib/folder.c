/*
 * folder.c - the file-system operations on tenant folders (see folder.h):
 * atomic writes, tree removal, renames that never replace, hidden names,
 * the archive directory and the staged build of a new folder.
 *
 * Folders move with renameat2(RENAME_NOREPLACE): a rename() onto an
 * existing empty directory would silently replace it, and nothing here
 * may ever replace a folder.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "crash.h"
#include "error.h"
#include "folder.h"
#include "gate_files.h"
#include "log.h"
#include "random.h"
#include "validate.h"

#define HIDDEN_RANDOM_BYTES	8	/* 16 hex digits in hidden names */
#define REMOVE_MAX_DEPTH	64	/* deeper trees are refused */
#define REMOVE_MAX_PASSES	8	/* rescans of a filling directory */

static int	remove_entry(int parentfd, const char *name,
		    unsigned char type, int depth);

/* See folder.h. */
int
folder_open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Is `name` one entry name (not empty, no slash)? */
static int
entry_name_valid(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL;
}

/*
 * Writes all `len` bytes of `data` to `fd`, retrying short writes and
 * EINTR.  Returns 0, or -1 with errno set.
 */
static int
write_all(int fd, const void *data, size_t len)
{
	const char	*bytes = data;
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		n = write(fd, bytes + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* The flags of file_write_flags(). */
#define WRITE_SYNC	0x1	/* fsync the file and the directory */
#define WRITE_NEWER	0x2	/* mtime_after_replaced() */

/*
 * Gives the new file open on `fd` a modification time in a later second
 * than the one of `name` in `dirfd`, the file it is about to replace,
 * when the clock has not moved past that second yet (or went back).
 * Validators that web servers build from whole seconds and the size
 * (nginx's ETag and Last-Modified) then change with every rewrite, even
 * two rewrites of the same size in one second.  Returns 0, or -1 with
 * errno set.
 */
static int
mtime_after_replaced(int dirfd, const char *name, int fd)
{
	struct stat	replaced, written;
	struct timespec	times[2];

	if (fstatat(dirfd, name, &replaced, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &written) == -1)
		return -1;
	if (written.st_mtim.tv_sec > replaced.st_mtim.tv_sec)
		return 0;
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_OMIT;
	times[1].tv_sec = replaced.st_mtim.tv_sec + 1;
	times[1].tv_nsec = 0;
	return futimens(fd, times);
}

/*
 * Writes `len` bytes to `name` in `dirfd` atomically (see folder.h):
 * temporary file, fsync, rename, fsync of the directory; without
 * WRITE_SYNC in `flags` the two fsyncs are left to the caller, with
 * WRITE_NEWER the new file's modification time is moved past the old
 * one's second (mtime_after_replaced()).  Used for config.json, logos and
 * the files a deploy writes.  Returns 0, or -1 with errno set.
 */
static int
file_write_flags(int dirfd, const char *name, const void *data,
    size_t len, int mode, int flags)
{
	int	sync = (flags & WRITE_SYNC) != 0;
	char	temp[NAME_MAX + 1], hex[2 * HIDDEN_RANDOM_BYTES + 1];
	int	fd = -1, created = 0, rc = -1, saved, written;

	if (!entry_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	random_hex(hex, HIDDEN_RANDOM_BYTES);
	written = snprintf(temp, sizeof(temp), "%s.tmp-%ld-%s", name,
	    (long)getpid(), hex);
	if (written < 0 || (size_t)written >= sizeof(temp)) {
		errno = ENAMETOOLONG;
		return -1;
	}

	fd = openat(dirfd, temp,
	    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		goto out;
	created = 1;
	/* The umask must not decide whether the web server can read it. */
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    ((flags & WRITE_NEWER) &&
	    mtime_after_replaced(dirfd, name, fd) == -1) ||
	    (sync && fsync(fd) == -1))
		goto out;
	written = close(fd);
	fd = -1;
	if (written == -1)
		goto out;
	if (renameat(dirfd, temp, dirfd, name) == -1)
		goto out;
	created = 0;
	if (sync && fsync(dirfd) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (created)
		unlinkat(dirfd, temp, 0);
	errno = saved;
	return rc;
}

/* file_write_atomic(): the atomic write, flushed (folder.h). */
int
file_write_atomic(int dirfd, const char *name, const void *data, size_t len,
    int mode)
{
	return file_write_flags(dirfd, name, data, len, mode, WRITE_SYNC);
}

/* file_write_atomic_newer(): the atomic write, flushed, in a new second. */
int
file_write_atomic_newer(int dirfd, const char *name, const void *data,
    size_t len, int mode)
{
	return file_write_flags(dirfd, name, data, len, mode,
	    WRITE_SYNC | WRITE_NEWER);
}

/* file_write_replace(): the atomic write, flushed by the caller. */
int
file_write_replace(int dirfd, const char *name, const void *data, size_t len,
    int mode)
{
	return file_write_flags(dirfd, name, data, len, mode, 0);
}

/*
 * Empties the directory open on `fd` (which this function takes over and
 * closes).  Entries that appear while it works are picked up by a rescan, a
 * bounded number of times.  Returns 0 or -1.
 */
static int
remove_directory_contents(int fd, int depth)
{
	DIR		*dir;
	struct dirent	*entry;
	int		 pass, seen, rc = -1, saved;

	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (pass = 0; pass < REMOVE_MAX_PASSES; pass++) {
		seen = 0;
		errno = 0;
		while ((entry = readdir(dir)) != NULL) {
			if (strcmp(entry->d_name, ".") == 0 ||
			    strcmp(entry->d_name, "..") == 0)
				continue;
			seen = 1;
			if (remove_entry(dirfd(dir), entry->d_name,
			    entry->d_type, depth) == -1)
				goto out;
			errno = 0;
		}
		if (errno != 0)
			goto out;
		if (!seen)
			break;
		rewinddir(dir);
	}
	rc = 0;
out:
	saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

/*
 * Removes entry `name` of `parentfd`: a directory with everything in it,
 * anything else (a symlink included) by unlinking the entry itself.  `type`
 * is readdir's d_type, DT_UNKNOWN when not known.  Returns 0 or -1.
 */
static int
remove_entry(int parentfd, const char *name, unsigned char type, int depth)
{
	int	fd;

	if (type == DT_DIR || type == DT_UNKNOWN) {
		fd = folder_open_dir(parentfd, name);
		if (fd != -1) {
			if (depth >= REMOVE_MAX_DEPTH) {
				close(fd);
				errno = ELOOP;
				return -1;
			}
			if (remove_directory_contents(fd, depth + 1) == -1)
				return -1;
			return unlinkat(parentfd, name, AT_REMOVEDIR);
		}
		/* Not a directory after all, or a symlink: unlink it. */
		if (errno != ENOTDIR && errno != ELOOP)
			return -1;
	}
	return unlinkat(parentfd, name, 0);
}

/*
 * Removes directory `name` under `dirfd` and everything in it, never
 * following a symlink (see folder.h).  Used for staging and trash folders,
 * a deploy's old public/ and by tenantctl fsck.  Returns 0 or -1.
 */
int
dir_remove_tree(int dirfd, const char *name)
{
	if (!entry_name_valid(name) || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	return remove_entry(dirfd, name, DT_UNKNOWN, 0);
}

/*
 * Writes "<prefix><name>-<hex>" into `out` (see folder.h).  Returns 0 or
 * -1 with errno set.
 */
int
folder_hidden_name(char *out, size_t len, const char *prefix,
    const char *name)
{
	char	hex[2 * HIDDEN_RANDOM_BYTES + 1];
	int	written;

	random_hex(hex, HIDDEN_RANDOM_BYTES);
	written = snprintf(out, len, "%s%s-%s", prefix, name, hex);
	if (written < 0 || (size_t)written >= len || written > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Renames `from` to `to`, never over an existing entry (see folder.h).
 * Filesystems without RENAME_NOREPLACE get a check before a plain rename,
 * which is as good as it gets there.  Returns 0, or -1 with errno set.
 */
int
folder_rename_noreplace(int from_dirfd, const char *from, int to_dirfd,
    const char *to)
{
	struct stat	st;

	if (renameat2(from_dirfd, from, to_dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(to_dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return renameat(from_dirfd, from, to_dirfd, to);
}

/*
 * Moves `name` aside to "<prefix><name>-<hex>" (see folder.h).  Called by
 * archive for a leftover archived folder and by fsck for orphans.
 * Returns 0 or -1 with errno set.
 */
int
folder_move_aside(int from_dirfd, const char *name, int to_dirfd,
    const char *prefix, char *moved_to, size_t len)
{
	if (!entry_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if (folder_hidden_name(moved_to, len, prefix, name) == -1)
		return -1;
	if (folder_rename_noreplace(from_dirfd, name, to_dirfd,
	    moved_to) == -1)
		return -1;
	if (fsync(to_dirfd) == -1 ||
	    (from_dirfd != to_dirfd && fsync(from_dirfd) == -1))
		return -1;
	return 0;
}

/*
 * Moves `name` to ".trash-<name>-<hex>" and removes it (see folder.h).
 * Called for a deleted tenant's folder and for folders whose rows were
 * rolled back.  Returns 0, or -1 with errno set if `name` is still there.
 */
int
folder_discard(int dirfd, const char *name)
{
	char	trash[NAME_MAX + 1];

	if (!entry_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if (folder_hidden_name(trash, sizeof(trash), ".trash-", name) == -1)
		return -1;
	if (renameat(dirfd, name, dirfd, trash) == -1)
		return errno == ENOENT ? 0 : -1;
	if (dir_remove_tree(dirfd, trash) == -1)
		log_error("could not remove %s: %s", trash, strerror(errno));
	return 0;
}

/*
 * Opens conf->archive_dir, creating it (mode 0755, parent must exist)
 * when `create` is set.  Called by archive/restore, provision_delete() and
 * fsck.  Returns the descriptor or -1 with errno set.
 */
int
folder_open_archive_dir(const struct conf *c, int create)
{
	int	fd;

	if (c->archive_dir == NULL || c->archive_dir[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	/* No O_NOFOLLOW: the configured path may be a symlink. */
	fd = open(c->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1 || errno != ENOENT || !create)
		return fd;
	if (mkdir(c->archive_dir, FOLDER_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	return open(c->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Writes `len` bytes to a new file `name` in `dirfd`, a staging folder
 * nobody else sees, so no temporary name is needed.  With `sync` the file
 * is fsynced.  Returns 0, or -1 with errno set.
 */
static int
write_new_file(int dirfd, const char *name, const void *data, size_t len,
    int sync)
{
	int	fd, rc = -1, saved;

	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, FOLDER_FILE_MODE);
	if (fd == -1)
		return -1;
	if (fchmod(fd, FOLDER_FILE_MODE) == -1 ||
	    write_all(fd, data, len) == -1 || (sync && fsync(fd) == -1))
		goto out;
	rc = 0;
out:
	saved = errno;
	if (close(fd) == -1 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	errno = saved;
	return rc;
}

/*
 * Makes directory `name` in `dirfd` with FOLDER_DIR_MODE whatever the
 * umask and opens it; *made (when `made` is not NULL) says whether the
 * directory was made.
 * Returns the descriptor, or -1 with errno set.
 */
static int
make_dir(int dirfd, const char *name, int *made)
{
	int	fd, saved;

	if (mkdirat(dirfd, name, FOLDER_DIR_MODE) == -1)
		return -1;
	if (made != NULL)
		*made = 1;
	if ((fd = folder_open_dir(dirfd, name)) == -1)
		return -1;
	if (fchmod(fd, FOLDER_DIR_MODE) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Builds the new tenant folder `sub` under a staging name and renames it
 * into place (see folder.h).  Returns 0, or -1 with errno set.
 */
int
folder_create_staged(int tenants_dirfd, const char *sub,
    const struct folder_content *content)
{
	char	staging[NAME_MAX + 1];
	int	folder = -1, public = -1, staged = 0, rc = -1, saved;

	if (validate_subdomain(sub, strlen(sub)) != NULL ||
	    (content->logo_name != NULL &&
	    !entry_name_valid(content->logo_name)) ||
	    (content->logo_alias != NULL && (content->logo_name == NULL ||
	    !entry_name_valid(content->logo_alias)))) {
		errno = EINVAL;
		return -1;
	}
	if (folder_hidden_name(staging, sizeof(staging), ".staging-",
	    sub) == -1)
		return -1;
	if ((folder = make_dir(tenants_dirfd, staging, &staged)) == -1)
		goto out;
	if ((public = make_dir(folder, FOLDER_PUBLIC_DIR, NULL)) == -1)
		goto out;
	if (content->logo_name != NULL && write_new_file(public,
	    content->logo_name, content->logo, content->logo_len,
	    content->sync) == -1)
		goto out;
	if (content->logo_alias != NULL && linkat(public, content->logo_name,
	    public, content->logo_alias, 0) == -1)
		goto out;
	if (write_new_file(folder, FOLDER_CONFIG_FILE, content->config,
	    content->config_len, content->sync) == -1 ||
	    gate_files_publish(folder, content->config, content->config_len,
	    content->sync) == -1)
		goto out;
	if (content->fill != NULL &&
	    content->fill(content->fill_arg, folder) == -1)
		goto out;
	if (content->sync && (fsync(public) == -1 || fsync(folder) == -1))
		goto out;
	crash_point(content->crash_staged);
	if (folder_rename_noreplace(tenants_dirfd, staging, tenants_dirfd,
	    sub) == -1)
		goto out;
	staged = 0;
	crash_point(content->crash_placed);
	rc = 0;
out:
	saved = errno;
	if (public != -1)
		close(public);
	if (folder != -1)
		close(folder);
	if (staged && dir_remove_tree(tenants_dirfd, staging) == -1)
		log_error("could not remove %s: %s", staging, strerror(errno));
	errno = saved;
	return rc;
}

/*
 * Logs and describes a failed folder operation (see folder.h).  Used by
 * provision and lifecycle.  Returns `failed`.
 */
enum result
folder_failure(const char *sub, const char *what, char *err, size_t errlen)
{
	int		 saved = errno;
	const char	*reason = strerror(saved);

	log_error("tenant folder %s: %s: %s", sub, what, reason);
	error_set(err, errlen, "%s: %s", what, reason);
	errno = saved;
	return RESULT_FAILED;
}
