/*
 * deploy_copy.c - the copy engine of a deploy (deploy_copy.h): directory
 * cursors over a tree, and copies that share extents where the filesystem
 * can.  Called by deploy.c's passes for template files and the tenant's
 * own files.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <string.h>
#include <unistd.h>

#include "deploy_copy.h"
#include "folder.h"

#define COPY_CHUNK_BYTES	(64 * 1024)

/* A stat's modification time in nanoseconds. */
int64_t
stat_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Sets up a cursor on the tree below `base`, with nothing open yet. */
void
dir_cursor_init(struct dir_cursor *c, int base, int create)
{
	c->base = base;
	c->create = create;
	c->fd = -1;
	c->dir[0] = '\0';
}

/* Closes the directory a cursor holds open (never its base). */
void
dir_cursor_close(struct dir_cursor *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->dir[0] = '\0';
}

/*
 * Returns a descriptor of directory `dir` (`len` bytes, relative to the
 * cursor's base, "" for the base itself), opening each segment without
 * following symlinks and, for a creating cursor, making the missing ones.
 * The descriptor stays the cursor's.  Returns -1 with errno set.
 */
int
dir_cursor_dir(struct dir_cursor *c, const char *dir, size_t len)
{
	char	segment[NAME_MAX + 1];
	size_t	start, i;
	int	current, next, created, saved;

	if (len == 0)
		return c->base;
	if (c->fd != -1 && strlen(c->dir) == len &&
	    memcmp(c->dir, dir, len) == 0)
		return c->fd;
	dir_cursor_close(c);
	if (len > DEPLOY_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	current = c->base;
	for (start = 0; start < len; start = i + 1) {
		for (i = start; i < len && dir[i] != '/'; i++)
			continue;
		if (i == start || i - start > NAME_MAX) {
			errno = EINVAL;
			goto fail;
		}
		memcpy(segment, dir + start, i - start);
		segment[i - start] = '\0';
		created = 0;
		next = c->create == DIR_CURSOR_FILL ? folder_open_dir(current,
		    segment) : -1;
		if (next == -1 && c->create != DIR_CURSOR_OPEN &&
		    (c->create == DIR_CURSOR_MAKE || errno == ENOENT)) {
			if (mkdirat(current, segment, FOLDER_DIR_MODE) == 0)
				created = 1;
			else if (errno != EEXIST)
				goto fail;
		}
		if (next == -1)
			next = folder_open_dir(current, segment);
		if (next == -1)
			goto fail;
		if (current != c->base)
			close(current);
		current = next;
		/* The umask must not decide what the web server can read. */
		if (created && fchmod(current, FOLDER_DIR_MODE) == -1)
			goto fail;
	}
	c->fd = current;
	memcpy(c->dir, dir, len);
	c->dir[len] = '\0';
	return current;
fail:
	saved = errno;
	if (current != c->base)
		close(current);
	errno = saved;
	return -1;
}

/*
 * Returns a descriptor of the directory holding `path` and points *leaf at
 * its last segment.  Returns -1 with errno set.
 */
int
dir_cursor_parent(struct dir_cursor *c, const char *path, const char **leaf)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL) {
		*leaf = path;
		return c->base;
	}
	*leaf = slash + 1;
	return dir_cursor_dir(c, path, (size_t)(slash - path));
}

/*
 * Copies `src` (from its start) into the empty file `dst`: a reflink where
 * the filesystem shares extents, else copy_file_range(), else plain reads
 * and writes where the kernel or filesystem refuses that.  Returns 0 with
 * the bytes copied in *copied, or -1 with errno set.
 */
int
deploy_copy_contents(int src, int dst, uint64_t *copied)
{
	char		chunk[COPY_CHUNK_BYTES];
	struct stat	st;
	uint64_t	total = 0;
	ssize_t		n, w, written;

#ifdef FICLONE
	if (ioctl(dst, FICLONE, src) == 0) {
		if (fstat(dst, &st) == -1)
			return -1;
		*copied = (uint64_t)st.st_size;
		return 0;
	}
#endif
	for (;;) {
		n = copy_file_range(src, NULL, dst, NULL, SSIZE_MAX / 2, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && total == 0 && (errno == EXDEV ||
		    errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
			break;
		if (n == -1)
			return -1;
		if (n == 0) {
			*copied = total;
			return 0;
		}
		total += (uint64_t)n;
	}
	for (;;) {
		n = read(src, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		for (written = 0; written < n; written += w) {
			w = write(dst, chunk + written, (size_t)(n - written));
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				if (w == 0)
					errno = EIO;
				return -1;
			}
		}
		total += (uint64_t)n;
	}
	*copied = total;
	return 0;
}

/*
 * Copies entry `leaf` of `from` (a regular file or a symlink) to a new
 * entry `leaf` of `to`, for when a hard link is refused.  Returns 0, or -1
 * with errno set.
 */
int
deploy_copy_entry(int from, int to, const char *leaf)
{
	char		target[PATH_MAX];
	struct stat	st;
	uint64_t	copied;
	ssize_t		n;
	int		src = -1, dst = -1, rc = -1, saved;

	if (fstatat(from, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		goto out;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(from, leaf, target, sizeof(target) - 1);
		if (n == -1)
			goto out;
		target[n] = '\0';
		rc = symlinkat(target, to, leaf);
		goto out;
	}
	if ((src = openat(from, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		goto out;
	if (fstat(src, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((dst = openat(to, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, FOLDER_FILE_MODE)) == -1)
		goto out;
	if (fchmod(dst, st.st_mode & 07777) == -1 ||
	    deploy_copy_contents(src, dst, &copied) == -1)
		goto out;
	rc = close(dst);
	dst = -1;
out:
	saved = errno;
	if (src != -1)
		close(src);
	if (dst != -1)
		close(dst);
	errno = saved;
	return rc;
}

/*
 * Puts entry `path` of one tree into the other (see deploy_copy.h): for a
 * deploy, the tenant's own file from the old public/ into the staging
 * tree.  Returns 0, 1 when the target has something at `path`, or -1 with
 * errno set.
 */
int
deploy_copy_carry(struct dir_cursor *from_tree, struct dir_cursor *to_tree,
    const char *path)
{
	const char	*old_leaf, *new_leaf;
	int		 from, to;

	if ((from = dir_cursor_parent(from_tree, path, &old_leaf)) == -1 ||
	    (to = dir_cursor_parent(to_tree, path, &new_leaf)) == -1)
		return errno == EEXIST || errno == ENOTDIR ? 1 : -1;
	if (linkat(from, old_leaf, to, new_leaf, 0) == 0)
		return 0;
	if (errno == EEXIST)
		return 1;
	if (errno != EPERM && errno != EMLINK && errno != EXDEV &&
	    errno != EOPNOTSUPP && errno != EACCES)
		return -1;
	if (deploy_copy_entry(from, to, old_leaf) == -1)
		return errno == EEXIST ? 1 : -1;
	return 0;
}
