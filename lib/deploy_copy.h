/*
 * deploy_copy.h - the copy engine of a deploy: directory cursors that keep
 * one directory of a tree open between files, and the copy of a file's
 * contents or of a whole entry (regular file or symlink).
 *
 * Every path is relative to a cursor's base directory and is opened
 * without following symlinks.  A cursor owns the directory it holds open,
 * never its base, which stays the caller's.
 */
#ifndef TENANTD_DEPLOY_COPY_H
#define TENANTD_DEPLOY_COPY_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

/* The longest path below public/ a deploy handles. */
#define DEPLOY_PATH_MAX		1024

/*
 * A directory of one tree kept open between files, so the files of one
 * directory cost one openat() each instead of one per path segment.
 */
/* What a cursor does about a missing directory (dir_cursor_init()). */
enum dir_cursor_create {
	DIR_CURSOR_OPEN = 0,	/* nothing: ENOENT */
	DIR_CURSOR_MAKE,	/* make it: a tree being built, where
				   directories are usually missing */
	DIR_CURSOR_FILL		/* make it: a tree that is there, where
				   they usually are (opened first) */
};

struct dir_cursor {
	int	base;		/* the tree's top directory */
	int	create;		/* enum dir_cursor_create */
	int	fd;		/* open on `dir`, or -1 */
	char	dir[DEPLOY_PATH_MAX + 1];
};

/* A stat's modification time in nanoseconds. */
int64_t	stat_mtime_ns(const struct stat *st);

/*
 * Sets up a cursor on the tree below `base` (a descriptor the caller
 * keeps), with nothing open yet; `create` (enum dir_cursor_create) says
 * whether missing directories are made, with FOLDER_DIR_MODE whatever
 * the umask.
 */
void	dir_cursor_init(struct dir_cursor *c, int base, int create);

/* Closes the directory a cursor holds open (never its base). */
void	dir_cursor_close(struct dir_cursor *c);

/*
 * Returns a descriptor of directory `dir` (`len` bytes, relative to the
 * cursor's base, "" for the base itself), which stays the cursor's.
 * Returns -1 with errno set.
 */
int	dir_cursor_dir(struct dir_cursor *c, const char *dir, size_t len);

/*
 * Returns a descriptor of the directory holding `path` (the cursor's) and
 * points *leaf at its last segment.  Returns -1 with errno set.
 */
int	dir_cursor_parent(struct dir_cursor *c, const char *path,
	    const char **leaf);

/*
 * Copies `src` (from its start) into the empty file `dst`: a reflink where
 * the filesystem shares extents, else copy_file_range(), else plain reads
 * and writes.  Returns 0 with the bytes copied in *copied, or -1 with
 * errno set.
 */
int	deploy_copy_contents(int src, int dst, uint64_t *copied);

/*
 * Copies entry `leaf` of directory `from` (a regular file, keeping its
 * mode, or a symlink) to a new entry `leaf` of `to`.  Returns 0, or -1
 * with errno set.
 */
int	deploy_copy_entry(int from, int to, const char *leaf);

/*
 * Puts entry `path` of the tree of `from` into the tree of `to` at the
 * same path: a hard link, or a copy where links are refused.  Returns 0,
 * 1 when `to` already has something at `path` (its structure wins), or -1
 * with errno set.
 */
int	deploy_copy_carry(struct dir_cursor *from, struct dir_cursor *to,
	    const char *path);

#endif
