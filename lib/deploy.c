/*
 * deploy.c - copying the tenant site template into a tenant's folder (the
 * order of operations is in deploy.h), and the per-process cache of the
 * template manifest.
 *
 * A deploy works in four passes over one staging directory next to
 * public/:
 *   scan      list what in the old public/ is the tenant's own (every path
 *             the manifest does not name, and the logo);
 *   template  copy each manifest file from the template (a reflink, else
 *             copy_file_range(), else read/write), or keep the tenant's
 *             changed version by hard-linking it;
 *   carry     hard-link the tenant's own files into the staging tree;
 *   swap      renameat2(RENAME_EXCHANGE) of staging and public/.
 * Staging trees left by a deploy that was killed are removed first: the
 * tenant's lock says no other deploy can be using them.
 *
 * Whether the tenant changed a template file is decided without hashing
 * when possible: after each deploy tenants/<sub>/.deployed records the
 * size, mtime and inode of every file written from the template with its
 * digest.  A file whose identity still matches holds those bytes; any
 * other is hashed and compared with both the recorded and the current
 * template digest (so a template upgrade replaces untouched files).
 *
 * Every path is opened relative to a directory descriptor without
 * following symlinks.  Messages name paths relative to the tenant folder
 * or the template, never absolute ones.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "crash.h"
#include "db.h"
#include "error.h"
#include "deploy.h"
#include "folder.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "random.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"
#include "validate.h"

#define STAGING_PREFIX		".public.staging-"
#define OLD_PREFIX		".public.old-"
#define RECORD_FILE		".deployed"
#define RECORD_HEADER		"# tenantd deployed files 1"
#define PACKAGE_FILE		"package.json"
#define ENV_FILE		".env.local"
#define RANDOM_HEX_LEN		16
#define COPY_CHUNK_BYTES	(64 * 1024)
#define CARRY_PATH_MAX		1024	/* longest path of a tenant's file */
#define CARRY_MAX_DEPTH		32
#define CARRY_MAX_ENTRIES	100000
#define SMALL_FILE_MAX		(64 * 1024)
/* A record line: digest, three numbers of up to 20 digits, a path. */
#define RECORD_LINE_MAX		(64 + 3 * 21 + MANIFEST_PATH_MAX + 2)
#define RECORD_MAX_BYTES	((size_t)MANIFEST_MAX_FILES * RECORD_LINE_MAX + \
				    sizeof(RECORD_HEADER) + 1)

/* One template file as the last deploy wrote it. */
struct record_entry {
	char		path[MANIFEST_PATH_MAX + 1];
	unsigned char	sha256[32];
	uint64_t	size;
	uint64_t	inode;
	int64_t		mtime_ns;
};

/* tenants/<sub>/.deployed, sorted by path like the manifest. */
struct record {
	struct record_entry	*entries;
	size_t			 count;
};

/* The identity of a file this deploy wrote, for the next record. */
struct written_file {
	int		valid;
	uint64_t	size;
	uint64_t	inode;
	int64_t		mtime_ns;
};

/* A path of the tenant's own, to carry into the new public/. */
struct carry_item {
	char	*path;
	int	 is_directory;
};

/*
 * A directory of one tree kept open between files, so the files of one
 * directory cost one openat() each instead of one per path segment.
 */
struct dir_cursor {
	int	base;		/* the tree's top directory */
	int	create;		/* make missing directories (staging) */
	int	fd;		/* open on `dir`, or -1 */
	char	dir[CARRY_PATH_MAX + 1];
};

/* Everything one deploy works with. */
struct deploy_run {
	struct service		*svc;
	const struct tenant	*t;
	const struct manifest	*m;
	int			 force;
	deploy_progress_fn	 progress;
	void			*progress_arg;
	struct deploy_report	*report;
	char			*err;
	size_t			 errlen;

	int			 folder;	/* tenants/<sub> */
	int			 template_dir;
	int			 old_public;	/* -1 when there is none */
	int			 staging_fd;
	char			 staging[NAME_MAX + 1];
	struct dir_cursor	 template_cursor;
	struct dir_cursor	 old_cursor;
	struct dir_cursor	 staging_cursor;

	struct record		 record;
	struct written_file	*written;	/* parallel to m->entries */
	struct carry_item	*carry;
	size_t			 carry_count;
	size_t			 carry_files;	/* items that are no directory */
	size_t			 carry_capacity;
	size_t			 done;
	size_t			 total;
};

static int	run_error(struct deploy_run *run, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Records the deploy's failure message, also in the log with the tenant's
 * subdomain.  Returns -1, so failure paths stay one line.
 */
static int
run_error(struct deploy_run *run, const char *fmt, ...)
{
	va_list	ap;

	if (run->err != NULL && run->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(run->err, run->errlen, fmt, ap);
		va_end(ap);
		log_error("deploy of %s: %s", run->t->subdomain, run->err);
	}
	return -1;
}

/* A stat's modification time in nanoseconds. */
static int64_t
mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* --- directory cursors ------------------------------------------------ */

/* Sets up a cursor on the tree below `base`, with nothing open yet. */
static void
cursor_init(struct dir_cursor *c, int base, int create)
{
	c->base = base;
	c->create = create;
	c->fd = -1;
	c->dir[0] = '\0';
}

/* Closes the directory a cursor holds open (never its base). */
static void
cursor_close(struct dir_cursor *c)
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
static int
cursor_dir(struct dir_cursor *c, const char *dir, size_t len)
{
	char	segment[NAME_MAX + 1];
	size_t	start, i;
	int	current, next, created, saved;

	if (len == 0)
		return c->base;
	if (c->fd != -1 && strlen(c->dir) == len &&
	    memcmp(c->dir, dir, len) == 0)
		return c->fd;
	cursor_close(c);
	if (len > CARRY_PATH_MAX) {
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
		if (c->create) {
			if (mkdirat(current, segment, FOLDER_DIR_MODE) == 0)
				created = 1;
			else if (errno != EEXIST)
				goto fail;
		}
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
static int
cursor_parent(struct dir_cursor *c, const char *path, const char **leaf)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL) {
		*leaf = path;
		return c->base;
	}
	*leaf = slash + 1;
	return cursor_dir(c, path, (size_t)(slash - path));
}

/* --- copying ------------------------------------------------------------ */

/*
 * Copies `src` (from its start) into the empty file `dst`: a reflink where
 * the filesystem shares extents, else copy_file_range(), else plain reads
 * and writes where the kernel or filesystem refuses that.  Returns 0 with
 * the bytes copied in *copied, or -1 with errno set.
 */
static int
copy_contents(int src, int dst, uint64_t *copied)
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
static int
copy_entry(int from, int to, const char *leaf)
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
	    copy_contents(src, dst, &copied) == -1)
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
 * Puts the tenant's entry `path` of the old public/ into the staging tree:
 * a hard link, or a copy where links are refused.  Returns 0, 1 when the
 * staging tree already has something at `path` (the template's structure
 * wins), or -1 with errno set.
 */
static int
carry_entry(struct deploy_run *run, const char *path)
{
	const char	*old_leaf, *new_leaf;
	int		 from, to;

	if ((from = cursor_parent(&run->old_cursor, path, &old_leaf)) == -1 ||
	    (to = cursor_parent(&run->staging_cursor, path, &new_leaf)) == -1)
		return errno == EEXIST || errno == ENOTDIR ? 1 : -1;
	if (linkat(from, old_leaf, to, new_leaf, 0) == 0)
		return 0;
	if (errno == EEXIST)
		return 1;
	if (errno != EPERM && errno != EMLINK && errno != EXDEV &&
	    errno != EOPNOTSUPP && errno != EACCES)
		return -1;
	if (copy_entry(from, to, old_leaf) == -1)
		return errno == EEXIST ? 1 : -1;
	return 0;
}

/* --- the record of the last deploy -------------------------------------- */

/* Frees the entries of a record and leaves it empty. */
static void
record_release(struct record *r)
{
	free(r->entries);
	r->entries = NULL;
	r->count = 0;
}

/* bsearch() order: a path against a record entry. */
static int
record_compare(const void *key, const void *member)
{
	const struct record_entry	*e = member;

	return strcmp(key, e->path);
}

/* The record's entry for template path `path`, or NULL. */
static const struct record_entry *
record_find(const struct record *r, const char *path)
{
	if (r->count == 0)
		return NULL;
	return bsearch(path, r->entries, r->count, sizeof(r->entries[0]),
	    record_compare);
}

/* The value of lowercase hex digit `c`, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parses one record line "<sha256> <size> <mtime_ns> <inode> <path>"
 * (without its newline) into `e`.  Returns 0, or -1 if malformed.
 */
static int
record_parse_line(char *line, struct record_entry *e)
{
	const char	*errstr;
	char		*field, *space;
	int64_t		 numbers[3];
	size_t		 i, len;
	int		 high, low;

	if (strlen(line) <= 64 || line[64] != ' ')
		return -1;
	for (i = 0; i < 32; i++) {
		high = hex_value(line[i * 2]);
		low = hex_value(line[i * 2 + 1]);
		if (high == -1 || low == -1)
			return -1;
		e->sha256[i] = (unsigned char)(high << 4 | low);
	}
	field = line + 65;
	for (i = 0; i < 3; i++) {
		if ((space = strchr(field, ' ')) == NULL)
			return -1;
		*space = '\0';
		if (parse_int64(field, 0, INT64_MAX, &numbers[i],
		    &errstr) == -1)
			return -1;
		field = space + 1;
	}
	len = strlen(field);
	if (len == 0 || len > MANIFEST_PATH_MAX)
		return -1;
	memcpy(e->path, field, len + 1);
	e->size = (uint64_t)numbers[0];
	e->mtime_ns = numbers[1];
	e->inode = (uint64_t)numbers[2];
	return 0;
}

/*
 * Loads tenants/<sub>/.deployed into run->record.  A missing, unreadable
 * or malformed record only costs hashing, so it is logged and treated as
 * empty.  Returns 0, or -1 if out of memory.
 */
static int
record_load(struct deploy_run *run)
{
	struct buf	 text;
	struct record	*r = &run->record;
	char		 chunk[COPY_CHUNK_BYTES];
	char		*line, *end;
	ssize_t		 n;
	size_t		 lines = 0, capacity = 0;
	int		 fd = -1, rc = 0;
	struct record_entry *grown;

	buf_init(&text, RECORD_MAX_BYTES);
	fd = openat(run->folder, RECORD_FILE, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warning("deploy of %s: cannot open %s: %s",
			    run->t->subdomain, RECORD_FILE, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || (n > 0 && buf_append(&text, chunk,
		    (size_t)n) == -1))
			goto malformed;
		if (n == 0)
			break;
	}
	for (line = text.data; *line != '\0'; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			goto malformed;
		*end = '\0';
		if (lines++ == 0) {
			if (strcmp(line, RECORD_HEADER) != 0)
				goto malformed;
			continue;
		}
		if (r->count == capacity) {
			if (capacity >= MANIFEST_MAX_FILES)
				goto malformed;
			capacity = capacity == 0 ? 64 : capacity * 2;
			grown = reallocarray(r->entries, capacity,
			    sizeof(*grown));
			if (grown == NULL) {
				rc = -1;
				goto out;
			}
			r->entries = grown;
		}
		if (record_parse_line(line, &r->entries[r->count]) == -1)
			goto malformed;
		if (r->count > 0 && strcmp(r->entries[r->count - 1].path,
		    r->entries[r->count].path) >= 0)
			goto malformed;
		r->count++;
	}
	goto out;
malformed:
	log_warning("deploy of %s: ignoring an unreadable %s",
	    run->t->subdomain, RECORD_FILE);
	record_release(r);
out:
	if (fd != -1)
		close(fd);
	buf_release(&text);
	if (rc == -1)
		record_release(r);
	return rc;
}

/*
 * Writes the record of this deploy: every file written from the template,
 * with the identity it has now.  A failure is logged only: the next deploy
 * then hashes instead of trusting the record.
 */
static void
record_write(struct deploy_run *run)
{
	const struct manifest_entry	*e;
	struct buf			 text;
	char				 hex[65];
	size_t				 i;

	buf_init(&text, RECORD_MAX_BYTES);
	if (buf_printf(&text, "%s\n", RECORD_HEADER) == -1)
		goto fail;
	for (i = 0; i < run->m->count; i++) {
		if (!run->written[i].valid)
			continue;
		e = &run->m->entries[i];
		sha256_hex(e->sha256, hex);
		if (buf_printf(&text, "%s %llu %lld %llu %s\n", hex,
		    (unsigned long long)run->written[i].size,
		    (long long)run->written[i].mtime_ns,
		    (unsigned long long)run->written[i].inode, e->path) == -1)
			goto fail;
	}
	if (file_write_atomic(run->folder, RECORD_FILE, text.data, text.len,
	    FOLDER_FILE_MODE) == -1)
		goto fail;
	buf_release(&text);
	return;
fail:
	log_warning("deploy of %s: could not write %s: %s",
	    run->t->subdomain, RECORD_FILE, strerror(errno));
	buf_release(&text);
}

/* --- the passes ---------------------------------------------------------- */

/* Is `path` the tenant's logo, which is always the tenant's own? */
static int
is_tenant_logo(const struct deploy_run *run, const char *path)
{
	return run->t->logo != NULL && strcmp(run->t->logo, path) == 0;
}

/* Reports one more file done; a non-zero answer cancels.  0 or -1. */
static int
advance(struct deploy_run *run)
{
	run->done++;
	if (run->progress != NULL &&
	    run->progress(run->progress_arg, run->done, run->total) != 0)
		return run_error(run, "the deploy was cancelled");
	return 0;
}

/* Adds `path` to the list of the tenant's own entries.  0 or -1. */
static int
carry_add(struct deploy_run *run, const char *path, int is_directory)
{
	struct carry_item	*grown;
	size_t			 capacity;

	if (run->carry_count >= CARRY_MAX_ENTRIES)
		return run_error(run, "public/ holds more than %d files of "
		    "the tenant's own", CARRY_MAX_ENTRIES);
	if (run->carry_count == run->carry_capacity) {
		capacity = run->carry_capacity == 0 ? 16 :
		    run->carry_capacity * 2;
		grown = reallocarray(run->carry, capacity, sizeof(*grown));
		if (grown == NULL)
			return run_error(run, "out of memory");
		run->carry = grown;
		run->carry_capacity = capacity;
	}
	if ((run->carry[run->carry_count].path = strdup(path)) == NULL)
		return run_error(run, "out of memory");
	run->carry[run->carry_count++].is_directory = is_directory;
	if (!is_directory)
		run->carry_files++;
	return 0;
}

/*
 * Lists the tenant's own entries of the old public/ below the directory
 * open on `fd` (taken over and closed), whose paths start with `prefix`.
 * Paths the manifest names are the template pass's business and are
 * skipped, with whatever is below them.  Returns 0 or -1.
 */
static int
scan_directory(struct deploy_run *run, int fd, const char *prefix, int depth)
{
	char		 path[CARRY_PATH_MAX + 1];
	struct dirent	*entry;
	struct stat	 st;
	DIR		*dir;
	size_t		 prefix_len, name_len;
	int		 child, rc = -1;

	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return run_error(run, "cannot read public/%s: %s", prefix,
		    strerror(errno));
	}
	prefix_len = strlen(prefix);
	for (;;) {
		errno = 0;
		if ((entry = readdir(dir)) == NULL) {
			if (errno != 0) {
				run_error(run, "cannot read public/%s: %s",
				    prefix, strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		name_len = strlen(entry->d_name);
		if (name_len + 1 > CARRY_PATH_MAX - prefix_len) {
			run_error(run, "public/%s%s: path too long", prefix,
			    entry->d_name);
			goto out;
		}
		memcpy(path, prefix, prefix_len);
		memcpy(path + prefix_len, entry->d_name, name_len + 1);
		if (manifest_find(run->m, path) != NULL &&
		    !is_tenant_logo(run, path))
			continue;
		if (fstatat(dirfd(dir), entry->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			run_error(run, "public/%s: %s", path, strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			if (carry_add(run, path, 0) == -1)
				goto out;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			log_warning("deploy of %s: public/%s is a special file;"
			    " not carried over", run->t->subdomain, path);
			continue;
		}
		if (depth >= CARRY_MAX_DEPTH) {
			run_error(run, "public/%s: nested too deeply", path);
			goto out;
		}
		if (carry_add(run, path, 1) == -1)
			goto out;
		child = folder_open_dir(dirfd(dir), entry->d_name);
		if (child == -1) {
			run_error(run, "public/%s: %s", path, strerror(errno));
			goto out;
		}
		path[prefix_len + name_len] = '/';
		path[prefix_len + name_len + 1] = '\0';
		if (scan_directory(run, child, path, depth + 1) == -1)
			goto out;
	}
	rc = 0;
out:
	closedir(dir);
	return rc;
}

/*
 * Did the tenant change template file `e` in the old public/?  1 yes, 0 no
 * (unchanged since it was deployed, equal to the template, or absent), -1
 * on an I/O error.  Hashes only when the record cannot vouch for the file.
 */
static int
tenant_changed(struct deploy_run *run, const struct manifest_entry *e)
{
	const struct record_entry	*recorded;
	const char			*leaf;
	unsigned char			 digest[32];
	struct stat			 st;
	uint64_t			 size;
	int				 parent, rc;

	if (run->old_public == -1)
		return 0;
	if ((parent = cursor_parent(&run->old_cursor, e->path, &leaf)) == -1)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ?
		    0 : -1;
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	recorded = record_find(&run->record, e->path);
	if (recorded != NULL && recorded->size == (uint64_t)st.st_size &&
	    recorded->inode == (uint64_t)st.st_ino &&
	    recorded->mtime_ns == mtime_ns(&st))
		return 0;
	if ((uint64_t)st.st_size != e->size &&
	    (recorded == NULL || recorded->size != (uint64_t)st.st_size))
		return 1;
	if ((rc = file_sha256_at(parent, leaf, digest, &size)) != 0)
		return rc == 1 ? 0 : -1;
	if (memcmp(digest, e->sha256, sizeof(digest)) == 0)
		return 0;
	if (recorded != NULL &&
	    memcmp(digest, recorded->sha256, sizeof(digest)) == 0)
		return 0;
	return 1;
}

/*
 * Copies template file number `i` into the staging tree and notes the
 * identity of the copy for the record.  Returns 0 or -1.
 */
static int
copy_template_file(struct deploy_run *run, size_t i)
{
	const struct manifest_entry	*e = &run->m->entries[i];
	const char			*leaf;
	struct stat			 st;
	uint64_t			 copied;
	int				 from, to, src = -1, dst = -1, rc = -1;

	if ((from = cursor_parent(&run->template_cursor, e->path,
	    &leaf)) == -1 || (src = openat(from, leaf, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1) {
		run_error(run, "template file %s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	if (fstat(src, &st) == -1) {
		run_error(run, "template file %s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size) {
		run_error(run, "template file %s changed since the manifest "
		    "was built; rebuild it (make)", e->path);
		goto out;
	}
	if ((to = cursor_parent(&run->staging_cursor, e->path,
	    &leaf)) == -1 || (dst = openat(to, leaf, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, FOLDER_FILE_MODE)) == -1 ||
	    fchmod(dst, FOLDER_FILE_MODE) == -1 ||
	    copy_contents(src, dst, &copied) == -1 ||
	    fstat(dst, &st) == -1) {
		run_error(run, "could not write public/%s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	if (copied != e->size) {
		run_error(run, "template file %s changed since the manifest "
		    "was built; rebuild it (make)", e->path);
		goto out;
	}
	if (close(dst) == -1) {
		dst = -1;
		run_error(run, "could not write public/%s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	dst = -1;
	run->written[i].valid = 1;
	run->written[i].size = (uint64_t)st.st_size;
	run->written[i].inode = (uint64_t)st.st_ino;
	run->written[i].mtime_ns = mtime_ns(&st);
	run->report->files_copied++;
	run->report->bytes_copied += copied;
	rc = 0;
out:
	if (src != -1)
		close(src);
	if (dst != -1)
		close(dst);
	return rc;
}

/*
 * The template pass: each manifest file is copied, or kept when the
 * tenant changed it and `force` is off.  Returns 0 or -1.
 */
static int
deploy_template(struct deploy_run *run)
{
	struct deploy_report		*report = run->report;
	const struct manifest_entry	*e;
	size_t				 i;
	int				 changed;

	for (i = 0; i < run->m->count; i++) {
		e = &run->m->entries[i];
		if (is_tenant_logo(run, e->path)) {
			if (advance(run) == -1)
				return -1;
			continue;
		}
		if ((changed = tenant_changed(run, e)) == -1)
			return run_error(run, "cannot read public/%s: %s",
			    e->path, strerror(errno));
		if (changed && !run->force) {
			if (carry_entry(run, e->path) != 0)
				return run_error(run, "could not keep public/%s:"
				    " %s", e->path, strerror(errno));
			if (report->files_kept < DEPLOY_REPORT_MAX_KEPT)
				snprintf(report->kept[report->files_kept],
				    sizeof(report->kept[0]), "%s", e->path);
			report->files_kept++;
		} else {
			if (changed)
				report->files_replaced++;
			if (copy_template_file(run, i) == -1)
				return -1;
		}
		if (advance(run) == -1)
			return -1;
	}
	return 0;
}

/*
 * The carry pass: the tenant's own directories are made and files linked
 * into the staging tree.  An entry where the template now has something
 * of another kind is left out with a warning.  Returns 0 or -1.
 */
static int
deploy_carry(struct deploy_run *run)
{
	struct carry_item	*item;
	size_t			 i;
	int			 rc;

	for (i = 0; i < run->carry_count; i++) {
		item = &run->carry[i];
		if (item->is_directory) {
			if (cursor_dir(&run->staging_cursor, item->path,
			    strlen(item->path)) == -1 && errno != ENOTDIR)
				return run_error(run, "could not create "
				    "public/%s: %s", item->path,
				    strerror(errno));
			continue;
		}
		if ((rc = carry_entry(run, item->path)) == -1)
			return run_error(run, "could not carry over public/%s:"
			    " %s", item->path, strerror(errno));
		if (rc == 1)
			log_warning("deploy of %s: public/%s clashes with the "
			    "template; not carried over", run->t->subdomain,
			    item->path);
		else
			run->report->files_carried++;
		if (advance(run) == -1)
			return -1;
	}
	return 0;
}

/*
 * Replaces public/ by the staging tree in one step.  Without
 * RENAME_EXCHANGE (some filesystems lack it) the old public/ is renamed
 * aside first, leaving a moment without public/ but never a mixed one.
 * On success `old_name` names the old tree to remove ("" when there was
 * none).  Returns 0, or -1 with errno set and nothing moved.
 */
static int
swap_public(struct deploy_run *run, char *old_name, size_t old_len)
{
	char	hex[RANDOM_HEX_LEN + 1];
	int	saved;

	old_name[0] = '\0';
	if (run->old_public == -1) {
		if (renameat2(run->folder, run->staging, run->folder,
		    FOLDER_PUBLIC_DIR, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		return renameat(run->folder, run->staging, run->folder,
		    FOLDER_PUBLIC_DIR);
	}
	if (renameat2(run->folder, run->staging, run->folder, FOLDER_PUBLIC_DIR,
	    RENAME_EXCHANGE) == 0) {
		snprintf(old_name, old_len, "%s", run->staging);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	random_hex(hex, RANDOM_HEX_LEN / 2);
	snprintf(old_name, old_len, "%s%s", OLD_PREFIX, hex);
	if (renameat(run->folder, FOLDER_PUBLIC_DIR, run->folder,
	    old_name) == -1)
		goto fail;
	if (renameat(run->folder, run->staging, run->folder,
	    FOLDER_PUBLIC_DIR) == 0)
		return 0;
	saved = errno;
	if (renameat(run->folder, old_name, run->folder,
	    FOLDER_PUBLIC_DIR) == -1)
		log_error("deploy of %s: public/ is left as %s: %s",
		    run->t->subdomain, old_name, strerror(errno));
	errno = saved;
fail:
	old_name[0] = '\0';
	return -1;
}

/*
 * Appends `value` quoted for .env.local, which dotenv readers (Next.js,
 * node --env-file) and sh (`set -a; . ./.env.local`) must both take as
 * plain data.  Single quotes do that for both: sh expands nothing inside
 * them and dotenv readers unescape nothing.  A single quote in the value
 * is written as '\'' for sh; dotenv readers know no escape for it, so a
 * value holding one but nothing sh expands inside double quotes (" \ $
 * and the backtick) is double-quoted instead, which both read exactly.
 * Control characters are refused (EINVAL): names never hold them.
 * Returns 0, or -1 with errno set.
 */
static int
env_append_value(struct buf *b, const char *value)
{
	const char	*p;
	int		 rc = 0;

	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			errno = EINVAL;
			return -1;
		}
	if (strchr(value, '\'') != NULL && strpbrk(value, "\"\\$`") == NULL) {
		rc |= buf_append_char(b, '"');
		rc |= buf_append_str(b, value);
		rc |= buf_append_str(b, "\"\n");
	} else {
		rc |= buf_append_char(b, '\'');
		for (p = value; rc == 0 && *p != '\0'; p++) {
			if (*p == '\'')
				rc |= buf_append_str(b, "'\\''");
			else
				rc |= buf_append_char(b, *p);
		}
		rc |= buf_append_str(b, "'\n");
	}
	if (rc != 0) {
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}

/*
 * Writes tenants/<sub>/package.json and .env.local, each atomically, with
 * the values of the original plan.  Returns 0, or -1 with errno set.
 */
static int
write_project_files(struct deploy_run *run)
{
	static const char	*env_names[] = {
		"NEXT_PUBLIC_TENANT_NAME", "NEXT_PUBLIC_TENANT_SUBDOMAIN",
		"NEXT_PUBLIC_API_URL", "NEXT_PUBLIC_PRIMARY_COLOR",
		"NEXT_PUBLIC_SECONDARY_COLOR"
	};
	const struct tenant	*t = run->t;
	const char		*env_values[5];
	const unsigned char	*json;
	char			 name[SUBDOMAIN_MAX + 8];
	char			 description[1024];
	struct buf		 env;
	yajl_gen		 g = NULL;
	size_t			 json_len, i;
	int			 rc = -1, saved;

	buf_init(&env, SMALL_FILE_MAX);
	snprintf(name, sizeof(name), "%s-app", t->subdomain);
	snprintf(description, sizeof(description), "Application for %s",
	    t->name);
	if ((g = json_gen_new()) == NULL ||
	    !yajl_gen_config(g, yajl_gen_beautify, 1)) {
		errno = ENOMEM;
		goto out;
	}
	yajl_gen_map_open(g);
	json_gen_kv_string(g, "name", name);
	json_gen_kv_string(g, "version", "1.0.0");
	json_gen_kv_bool(g, "private", 1);
	if (json_gen_kv_string(g, "description", description) !=
	    yajl_gen_status_ok || yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(g, &json, &json_len) != yajl_gen_status_ok) {
		errno = EINVAL;
		goto out;
	}
	if (file_write_atomic(run->folder, PACKAGE_FILE, json, json_len,
	    FOLDER_FILE_MODE) == -1)
		goto out;

	env_values[0] = t->name;
	env_values[1] = t->subdomain;
	env_values[2] = run->svc->conf->api_url != NULL ?
	    run->svc->conf->api_url : "";
	env_values[3] = t->primary_color;
	env_values[4] = t->secondary_color;
	for (i = 0; i < 5; i++) {
		if (buf_printf(&env, "%s=", env_names[i]) == -1) {
			errno = ENOBUFS;
			goto out;
		}
		if (env_append_value(&env, env_values[i]) == -1)
			goto out;
	}
	rc = file_write_atomic(run->folder, ENV_FILE, env.data, env.len,
	    FOLDER_FILE_MODE);
out:
	saved = errno;
	if (g != NULL)
		yajl_gen_free(g);
	buf_release(&env);
	errno = saved;
	return rc;
}

/*
 * Removes staging and old trees that a deploy killed half-way left in the
 * tenant folder.  Whoever holds the tenant's lock owns these names, so
 * what is there now belongs to a deploy that is gone.  An old tree with no
 * public/ beside it is the live site of a deploy killed between its two
 * renames (filesystems without RENAME_EXCHANGE): it is put back, not
 * removed.  A failure is logged only; tenantctl fsck removes what stays.
 */
static void
remove_leftovers(struct deploy_run *run)
{
	struct dirent	*entry;
	struct stat	 st;
	DIR		*dir;
	int		 fd;

	if ((fd = openat(run->folder, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, STAGING_PREFIX,
		    strlen(STAGING_PREFIX)) != 0 &&
		    strncmp(entry->d_name, OLD_PREFIX, strlen(OLD_PREFIX)) != 0)
			continue;
		if (strncmp(entry->d_name, OLD_PREFIX,
		    strlen(OLD_PREFIX)) == 0 && fstatat(run->folder,
		    FOLDER_PUBLIC_DIR, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno == ENOENT) {
			if (renameat(run->folder, entry->d_name, run->folder,
			    FOLDER_PUBLIC_DIR) == -1)
				log_warning("deploy of %s: could not put %s "
				    "back as public/: %s", run->t->subdomain,
				    entry->d_name, strerror(errno));
			else
				log_warning("deploy of %s: put public/ back "
				    "from %s, left by an interrupted deploy",
				    run->t->subdomain, entry->d_name);
			continue;
		}
		if (dir_remove_tree(run->folder, entry->d_name) == -1)
			log_warning("deploy of %s: could not remove the leftover"
			    " %s: %s", run->t->subdomain, entry->d_name,
			    strerror(errno));
		else
			log_info("deploy of %s: removed %s, left by an "
			    "interrupted deploy", run->t->subdomain,
			    entry->d_name);
	}
	closedir(dir);
}

/*
 * Opens what the run needs: the tenant folder (cleared of leftovers), the
 * template and the old public/ (if any), and loads the record.  Returns 0
 * or -1.
 */
static int
run_open(struct deploy_run *run)
{
	const char	*template_dir = run->svc->conf->template_dir;

	if (validate_subdomain(run->t->subdomain,
	    strlen(run->t->subdomain)) != NULL)
		return run_error(run, "invalid subdomain");
	run->folder = folder_open_dir(run->svc->tenants_dirfd,
	    run->t->subdomain);
	if (run->folder == -1 && errno == ENOENT)
		return run_error(run, "the tenant folder is missing; run "
		    "tenantctl fsck");
	if (run->folder == -1)
		return run_error(run, "cannot open the tenant folder: %s",
		    strerror(errno));
	if (template_dir == NULL || (run->template_dir = open(template_dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return run_error(run, "cannot open the template directory "
		    "(template_dir): %s", template_dir == NULL ?
		    "not set" : strerror(errno));
	remove_leftovers(run);
	run->old_public = folder_open_dir(run->folder, FOLDER_PUBLIC_DIR);
	if (run->old_public == -1 && errno != ENOENT)
		return run_error(run, "cannot open public/: %s",
		    strerror(errno));
	run->written = calloc(run->m->count > 0 ? run->m->count : 1,
	    sizeof(run->written[0]));
	if (run->written == NULL)
		return run_error(run, "out of memory");
	if (run->old_public != -1 && record_load(run) == -1)
		return run_error(run, "out of memory");
	cursor_init(&run->template_cursor, run->template_dir, 0);
	cursor_init(&run->old_cursor, run->old_public, 0);
	return 0;
}

/* Makes the staging directory next to public/.  Returns 0 or -1. */
static int
staging_create(struct deploy_run *run)
{
	char	hex[RANDOM_HEX_LEN + 1];

	random_hex(hex, RANDOM_HEX_LEN / 2);
	snprintf(run->staging, sizeof(run->staging), "%s%s", STAGING_PREFIX,
	    hex);
	if (mkdirat(run->folder, run->staging, FOLDER_DIR_MODE) == -1) {
		run->staging[0] = '\0';
		return run_error(run, "could not create a staging folder in the"
		    " tenant folder: %s", strerror(errno));
	}
	run->staging_fd = folder_open_dir(run->folder, run->staging);
	if (run->staging_fd == -1 ||
	    fchmod(run->staging_fd, FOLDER_DIR_MODE) == -1)
		return run_error(run, "could not prepare the staging folder: "
		    "%s", strerror(errno));
	cursor_init(&run->staging_cursor, run->staging_fd, 1);
	return 0;
}

/* Closes and frees what run_open() and the passes left. */
static void
run_close(struct deploy_run *run)
{
	size_t	i;

	cursor_close(&run->template_cursor);
	cursor_close(&run->old_cursor);
	cursor_close(&run->staging_cursor);
	if (run->staging_fd != -1)
		close(run->staging_fd);
	if (run->old_public != -1)
		close(run->old_public);
	if (run->template_dir != -1)
		close(run->template_dir);
	if (run->folder != -1)
		close(run->folder);
	for (i = 0; i < run->carry_count; i++)
		free(run->carry[i].path);
	free(run->carry);
	free(run->written);
	record_release(&run->record);
}

/*
 * Deploys the template of `m` into tenant `t`'s folder (see deploy.h for
 * the order of operations).  Called by deploy_locked() and fsck repairs,
 * with the tenant's lock held.  Returns 0 with `report` filled, or -1 with
 * a message in `err`; before the swap a failure leaves public/ as it was
 * and removes the staging directory.
 */
int
deploy_tenant(struct service *svc, const struct tenant *t,
    const struct manifest *m, int force, deploy_progress_fn progress,
    void *progress_arg, struct deploy_report *report, char *err,
    size_t errlen)
{
	struct deploy_run	run;
	char			old_name[NAME_MAX + 1] = "";
	int			scan_fd, rc = -1;

	memset(report, 0, sizeof(*report));
	memset(&run, 0, sizeof(run));
	run.svc = svc;
	run.t = t;
	run.m = m;
	run.force = force;
	run.progress = progress;
	run.progress_arg = progress_arg;
	run.report = report;
	run.err = err;
	run.errlen = errlen;
	run.folder = run.template_dir = run.old_public = run.staging_fd = -1;
	cursor_init(&run.template_cursor, -1, 0);
	cursor_init(&run.old_cursor, -1, 0);
	cursor_init(&run.staging_cursor, -1, 1);

	if (run_open(&run) == -1)
		goto out;
	if (run.old_public != -1) {
		if ((scan_fd = openat(run.old_public, ".", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) == -1) {
			run_error(&run, "cannot read public/: %s",
			    strerror(errno));
			goto out;
		}
		if (scan_directory(&run, scan_fd, "", 0) == -1)
			goto out;
	}
	run.total = m->count + run.carry_files;
	if (staging_create(&run) == -1 || deploy_template(&run) == -1 ||
	    deploy_carry(&run) == -1)
		goto out;
	/* One flush of the filesystem instead of an fsync per file. */
	if (syncfs(run.staging_fd) == -1) {
		run_error(&run, "could not flush the new files: %s",
		    strerror(errno));
		goto out;
	}
	crash_point("deploy.after_staging");
	/* The old record describes files about to go away. */
	if (unlinkat(run.folder, RECORD_FILE, 0) == -1 && errno != ENOENT) {
		run_error(&run, "could not remove %s: %s", RECORD_FILE,
		    strerror(errno));
		goto out;
	}
	if (swap_public(&run, old_name, sizeof(old_name)) == -1) {
		run_error(&run, "could not put the new public/ in place: %s",
		    strerror(errno));
		goto out;
	}
	run.staging[0] = '\0';
	crash_point("deploy.after_swap");
	if (old_name[0] != '\0' && dir_remove_tree(run.folder,
	    old_name) == -1)
		log_error("deploy of %s: could not remove the old public/ (%s):"
		    " %s", t->subdomain, old_name, strerror(errno));
	if (fsync(run.folder) == -1)
		log_warning("deploy of %s: could not sync the tenant folder: "
		    "%s", t->subdomain, strerror(errno));
	crash_point("deploy.before_record");
	record_write(&run);
	if (write_project_files(&run) == -1) {
		run_error(&run, "public/ was deployed, but package.json or "
		    ".env.local could not be written: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (run.staging[0] != '\0' && run.folder != -1) {
		cursor_close(&run.staging_cursor);
		if (dir_remove_tree(run.folder, run.staging) == -1 &&
		    errno != ENOENT)
			log_error("deploy of %s: could not remove %s: %s",
			    t->subdomain, run.staging, strerror(errno));
	}
	run_close(&run);
	return rc;
}

/*
 * Fills t->deployed from the deploy record in the tenant's folder (see
 * deploy.h).  The folder is opened without following a symlink, like
 * every other access to it.
 */
void
deploy_state_load(const struct service *svc, struct tenant *t)
{
	struct stat	st;
	int		folder = -1;

	t->deployed = 0;
	if (!t->is_active || validate_subdomain(t->subdomain,
	    strlen(t->subdomain)) != NULL)
		goto out;
	folder = folder_open_dir(svc->tenants_dirfd, t->subdomain);
	if (folder == -1) {
		if (errno != ENOENT)
			log_warning("%s: cannot open the tenant folder: %s",
			    t->subdomain, strerror(errno));
		goto out;
	}
	if (fstatat(folder, RECORD_FILE, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			log_warning("%s: cannot examine %s: %s", t->subdomain,
			    RECORD_FILE, strerror(errno));
		goto out;
	}
	t->deployed = S_ISREG(st.st_mode);
out:
	if (folder != -1)
		close(folder);
}

/*
 * The template manifest of conf->template_manifest, cached in `svc` and
 * read again when the file's size, mtime or inode change (see deploy.h).
 * Called before every deploy and health check; costs one stat() when
 * nothing changed.  Returns the manifest, or NULL with `err` set.
 */
const struct manifest *
deploy_manifest(struct service *svc, char *err, size_t errlen)
{
	const char	*path = svc->conf->template_manifest;
	struct manifest	*fresh = NULL;
	struct stat	 st;

	if (path == NULL) {
		error_set(err, errlen, "template_manifest is not set");
		return NULL;
	}
	if (stat(path, &st) == -1) {
		error_set(err, errlen, "cannot read the template manifest: %s",
		    strerror(errno));
		return NULL;
	}
	if (svc->manifest != NULL &&
	    svc->manifest_dev == (uint64_t)st.st_dev &&
	    svc->manifest_inode == (uint64_t)st.st_ino &&
	    svc->manifest_size == (int64_t)st.st_size &&
	    svc->manifest_mtime_ns == mtime_ns(&st))
		return svc->manifest;
	if ((fresh = malloc(sizeof(*fresh))) == NULL) {
		error_set(err, errlen, "out of memory");
		return NULL;
	}
	manifest_init(fresh);
	if (manifest_read(fresh, path, err, errlen) == -1) {
		free(fresh);
		return NULL;
	}
	if (svc->manifest != NULL) {
		manifest_release(svc->manifest);
		free(svc->manifest);
	}
	svc->manifest = fresh;
	svc->manifest_dev = (uint64_t)st.st_dev;
	svc->manifest_inode = (uint64_t)st.st_ino;
	svc->manifest_size = (int64_t)st.st_size;
	svc->manifest_mtime_ns = mtime_ns(&st);
	return fresh;
}

/* deploy_locked() proves its lock is still held this often. */
#define LOCK_REFRESH_MS		2000

/* What deploy_locked()'s progress callback needs between calls. */
struct locked_progress {
	struct db		*db;
	struct tenant_lock	*lock;
	deploy_progress_fn	 progress;	/* the caller's, or NULL */
	void			*progress_arg;
	struct timespec		 last_refresh;
	int			 lock_lost;
};

/* Milliseconds from `from` to `to` on the monotonic clock. */
static int64_t
elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * 1000 +
	    (to->tv_nsec - from->tv_nsec) / 1000000;
}

/*
 * deploy_tenant()'s progress callback inside deploy_locked(): every
 * LOCK_REFRESH_MS proves the tenant lock is still ours (a lock taken over
 * cancels the deploy), then hands on to the caller's callback.
 */
static int
locked_progress_cb(void *arg, size_t done, size_t total)
{
	struct locked_progress	*p = arg;
	struct timespec		 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed_ms(&p->last_refresh, &now) >= LOCK_REFRESH_MS) {
		p->last_refresh = now;
		if (tenant_lock_refresh(p->db, p->lock) == 0) {
			p->lock_lost = 1;
			return 1;
		}
	}
	if (p->progress != NULL)
		return p->progress(p->progress_arg, done, total);
	return 0;
}

/*
 * Deploys tenant `tenant_id` under its lock (see deploy.h).  Called by
 * the job runner for deploy and bulk_deploy jobs and by tenantctl's
 * tenant create and tenant deploy.  Returns the status, with `err` set
 * unless DEPLOY_OK.
 */
enum deploy_status
deploy_locked(struct service *svc, int64_t tenant_id, int force,
    int64_t user_id, int lock_wait_ms, deploy_progress_fn progress,
    void *progress_arg, struct tenant *t, struct deploy_report *report,
    char *err, size_t errlen)
{
	struct tenant_lock	 lock;
	struct locked_progress	 lp;
	const struct manifest	*m;
	char			 detail[64];
	enum deploy_status	 status = DEPLOY_DB_ERROR;
	int			 rc;

	memset(&lock, 0, sizeof(lock));
	err[0] = '\0';
	/*
	 * The lock answers 0 for a tenant that does not exist as well, so a
	 * deleted tenant is told apart from a busy one first.
	 */
	if ((rc = tenant_find_by_id(svc->db, tenant_id, t)) != 1)
		goto not_loaded;
	if ((m = deploy_manifest(svc, err, errlen)) == NULL) {
		status = DEPLOY_FAILED;
		goto out;
	}
	rc = lock_wait_ms > 0 ? tenant_lock_acquire_wait(svc->db, svc->conf,
	    tenant_id, "deploy", &lock, lock_wait_ms) :
	    tenant_lock_acquire(svc->db, svc->conf, tenant_id, "deploy", &lock);
	if (rc == 0) {
		error_set(err, errlen, "another deploy, archive or restore of "
		    "this tenant is running");
		status = DEPLOY_BUSY;
		goto out;
	}
	if (rc == -1) {
		error_set(err, errlen, "could not lock the tenant: %s",
		    db_error(svc->db));
		goto out;
	}
	/* Read again under the lock: an archive may have finished since. */
	if ((rc = tenant_find_by_id(svc->db, tenant_id, t)) != 1)
		goto not_loaded;
	if (!t->is_active) {
		error_set(err, errlen, "tenant is archived");
		status = DEPLOY_ARCHIVED;
		goto out;
	}
	memset(&lp, 0, sizeof(lp));
	lp.db = svc->db;
	lp.lock = &lock;
	lp.progress = progress;
	lp.progress_arg = progress_arg;
	clock_gettime(CLOCK_MONOTONIC, &lp.last_refresh);
	if (deploy_tenant(svc, t, m, force, locked_progress_cb, &lp, report,
	    err, errlen) == -1) {
		if (lp.lock_lost)
			error_set(err, errlen, "another operation took over "
			    "the tenant during the deploy");
		else if (err[0] == '\0')
			error_set(err, errlen, "the deploy failed");
		status = DEPLOY_FAILED;
		goto out;
	}
	snprintf(detail, sizeof(detail), "copied %zu, kept %zu%s",
	    report->files_copied, report->files_kept, force ? ", force" : "");
	if (audit_record(svc->db, user_id, t->id, "tenant.deploy",
	    detail) == -1)
		log_warning("deploy of %s: could not record it in the audit "
		    "log: %s", t->subdomain, db_error(svc->db));
	status = DEPLOY_OK;
	goto out;
not_loaded:
	if (rc == 0) {
		error_set(err, errlen, "tenant not found");
		status = DEPLOY_NOT_FOUND;
	} else
		error_set(err, errlen, "could not load the tenant: %s",
		    db_error(svc->db));
out:
	if (tenant_lock_release(svc->db, &lock) == -1)
		log_warning("deploy of tenant %lld: could not release its lock "
		    "(it expires by itself): %s", (long long)tenant_id,
		    db_error(svc->db));
	return status;
}

/*
 * Writes a deploy report as JSON into `g` (see deploy.h).  Called by the
 * job runner for the result of a deploy job.  Returns 0 or -1.
 */
int
deploy_report_json(const struct conf *c, const struct tenant *t,
    const struct deploy_report *report, yajl_gen g)
{
	char	url[512];
	size_t	i, shown;

	if (conf_tenant_url(c, t->subdomain, url, sizeof(url)) == -1)
		url[0] = '\0';
	shown = report->files_kept < DEPLOY_REPORT_MAX_KEPT ?
	    report->files_kept : DEPLOY_REPORT_MAX_KEPT;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "success", 1) != yajl_gen_status_ok ||
	    (url[0] != '\0' ? json_gen_kv_string(g, "tenant_url", url) :
	    json_gen_kv_null(g, "tenant_url")) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_copied",
	    (long long)report->files_copied) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_kept",
	    (long long)report->files_kept) != yajl_gen_status_ok ||
	    json_gen_key(g, "kept") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; i < shown; i++)
		if (json_gen_string(g, report->kept[i]) != yajl_gen_status_ok)
			return -1;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_replaced",
	    (long long)report->files_replaced) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_carried",
	    (long long)report->files_carried) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * Queues a new "deploy" job (see deploy.h).  Called by deploy_enqueue()
 * and by tenant_create() for a tenant just created.  Returns 0 or -1.
 */
int
deploy_queue_job(struct db *db, int64_t tenant_id, int force,
    int64_t user_id, int64_t *job_id)
{
	return job_enqueue(db, "deploy", tenant_id, force ?
	    "{\"force\":true}" : "{\"force\":false}", user_id, job_id);
}

/*
 * Queues a deploy job for tenant `tenant_id`, or joins the one already
 * pending (see deploy.h).  Called by the deploy handler for both
 * synchronous and asynchronous requests.  The tenant row is locked
 * (SELECT ... FOR UPDATE) and the tenant's pending deploy jobs too, so a
 * runner cannot claim one between the look and the join (it skips locked
 * rows), and concurrent requests queue at most one job.  Returns the
 * status.
 */
enum deploy_status
deploy_enqueue(struct service *svc, int64_t tenant_id, int force,
    int64_t user_id, int64_t *job_id, int *joined)
{
	struct db_param		 params[2];
	struct db_result	 result;
	const char		*cell;
	enum deploy_status	 status = DEPLOY_DB_ERROR;
	char			 holder[32];
	int64_t			 running_id = 0, queued_id = 0;
	int			 in_transaction = 0, queued_forces = 0, rc;
	int			 running_forces = 0;
	size_t			 row;

	db_result_init(&result);
	*joined = 0;
	if (db_begin(svc->db) == -1)
		goto out;
	in_transaction = 1;
	params[0] = db_int(tenant_id);
	if (db_query(svc->db, "SELECT is_active FROM tenants WHERE id = ? "
	    "FOR UPDATE", params, 1, &result) == -1)
		goto out;
	if (result.rows == 0) {
		status = DEPLOY_NOT_FOUND;
		goto out;
	}
	if ((cell = db_cell(&result, 0, 0)) == NULL || strcmp(cell, "0") == 0) {
		status = DEPLOY_ARCHIVED;
		goto out;
	}
	/*
	 * An archive, restore or repair holding the lock is a conflict; a
	 * deploy or a logo change holding it is only waited for, by the job.
	 */
	if ((rc = tenant_lock_holder(svc->db, svc->conf, tenant_id, holder,
	    sizeof(holder))) == -1)
		goto out;
	if (rc == 1 && strcmp(holder, "deploy") != 0 &&
	    strcmp(holder, "update") != 0) {
		status = DEPLOY_BUSY;
		goto out;
	}
	db_result_release(&result);
	params[0] = db_int(tenant_id);
	if (db_query(svc->db, "SELECT id, status, "
	    "COALESCE(JSON_VALUE(payload, '$.force') = 'true', 0) "
	    "FROM jobs WHERE tenant_id = ? AND kind = 'deploy' AND "
	    "status IN ('queued', 'running') ORDER BY id FOR UPDATE",
	    params, 1, &result) == -1)
		goto out;
	for (row = 0; row < result.rows; row++) {
		cell = db_cell(&result, row, 1);
		if (cell != NULL && strcmp(cell, "queued") == 0) {
			queued_id = db_cell_int(&result, row, 0, 0);
			queued_forces = db_cell_int(&result, row, 2, 0) == 1;
		} else {
			running_id = db_cell_int(&result, row, 0, 0);
			running_forces = db_cell_int(&result, row, 2, 0) == 1;
		}
	}
	if (queued_id > 0) {
		*job_id = queued_id;
		*joined = 1;
		params[0] = db_int(queued_id);
		if (force && !queued_forces && db_exec(svc->db,
		    "UPDATE jobs SET payload = '{\"force\":true}' WHERE id = ?",
		    params, 1, NULL, NULL) == -1)
			goto out;
	} else if (running_id > 0 && (running_forces || !force)) {
		*job_id = running_id;
		*joined = 1;
	} else if (deploy_queue_job(svc->db, tenant_id, force, user_id,
	    job_id) == -1)
		goto out;
	if (db_commit(svc->db) == -1)
		goto out;
	in_transaction = 0;
	status = DEPLOY_OK;
out:
	if (in_transaction)
		db_rollback(svc->db);
	if (status == DEPLOY_DB_ERROR)
		log_error("could not queue a deploy of tenant %lld: %s",
		    (long long)tenant_id, db_error(svc->db));
	db_result_release(&result);
	return status;
}
