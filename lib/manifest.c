/*
 * manifest.c - the template manifest: building it from a directory,
 * writing and reading its text form, and hashing files against it.
 *
 * `tenantctl manifest` builds and writes it once at `make` time; deploys,
 * health checks and fsck read it and hash only the tenant's files.  The
 * reader trusts nothing: every line is checked as strictly as the builder
 * checks the template, so a damaged or hand-edited manifest can never name
 * a path outside the template's shape.  A path is the last field of its
 * line and the rules refuse newlines and every other control character, so
 * any accepted name (spaces, '#', '%', quotes, non-ASCII) is carried as it
 * is, without escaping.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "error.h"
#include "folder.h"
#include "manifest.h"
#include "validate.h"

#define MANIFEST_HEADER		"# tenantd template manifest 1"
#define MANIFEST_MAX_DEPTH	32
#define HASH_CHUNK_BYTES	(64 * 1024)
#define SHA256_HEX_LEN		64
/* Digest, space, up to 20 digits, space, path, newline and NUL. */
#define MANIFEST_LINE_MAX	(SHA256_HEX_LEN + 1 + 20 + 1 + \
				    MANIFEST_PATH_MAX + 2)

/* What a walk of the template carries from directory to directory. */
struct manifest_walk {
	struct manifest	*m;
	size_t		 capacity;
	char		*err;
	size_t		 errlen;
};


/* Sets up an empty manifest; allocates nothing. */
void
manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
}

/* Frees the entries of `m` and leaves it empty; accepts NULL. */
void
manifest_release(struct manifest *m)
{
	size_t	i;

	if (m == NULL)
		return;
	for (i = 0; i < m->count; i++)
		free(m->entries[i].path);
	free(m->entries);
	manifest_init(m);
}

/*
 * Judges one name of a template (`len` bytes, the rule of SPEC 10): any
 * valid UTF-8 of 1 to TEMPLATE_NAME_MAX bytes but "." and "..", without
 * NUL, '/' or control characters.  Route groups "(auth)", segments "[id]"
 * and dotfiles are ordinary in app trees, so they pass; serving decides
 * separately what may be requested.  Returns NULL, or the reason.
 */
const char *
template_name_check(const char *name, size_t len)
{
	size_t	i;

	if (len == 0)
		return "empty name";
	if (len > TEMPLATE_NAME_MAX)
		return "name longer than 255 bytes";
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return "names \".\" and \"..\" are not allowed";
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)name[i];

		if (c == '\0')
			return "NUL byte in the name";
		if (c == '/')
			return "'/' in the name";
		if (c < 0x20 || c == 0x7f)
			return "control character in the name";
	}
	if (utf8_length(name, len) < 0)
		return "invalid UTF-8 in the name";
	return NULL;
}

/*
 * Is `path` a valid template path: 1 to MANIFEST_PATH_MAX bytes of names
 * template_name_check() accepts, separated by single '/'?  Returns 1 or 0.
 */
int
manifest_path_valid(const char *path)
{
	size_t	len, start, i;

	len = strlen(path);
	if (len == 0 || len > MANIFEST_PATH_MAX)
		return 0;
	start = 0;
	for (i = 0; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		if (template_name_check(path + start, i - start) != NULL)
			return 0;
		start = i + 1;
	}
	return 1;
}

/*
 * Hashes what is left to read on `fd` in 64 KiB reads (libsodium was
 * started by the program, as random.h requires).  Used by the manifest
 * builder, file_sha256_at() and the checks of the template store.
 * Returns 0 with the digest and the number of bytes read, or -1 with
 * errno set.
 */
int
file_sha256_fd(int fd, unsigned char out[32], uint64_t *size)
{
	crypto_hash_sha256_state	state;
	unsigned char			chunk[HASH_CHUNK_BYTES];
	uint64_t			total = 0;
	ssize_t				n;

	crypto_hash_sha256_init(&state);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&state, chunk, (unsigned long long)n);
		total += (uint64_t)n;
	}
	crypto_hash_sha256_final(&state, out);
	*size = total;
	return 0;
}

/*
 * Adds an entry for `path` with its digest and size, growing the array
 * within MANIFEST_MAX_FILES.  Returns 0, or -1 with `err` set.
 */
static int
walk_add(struct manifest_walk *w, const char *path,
    const unsigned char digest[32], uint64_t size)
{
	struct manifest_entry	*grown, *e;
	size_t			 capacity;

	if (w->m->count >= MANIFEST_MAX_FILES) {
		error_set(w->err, w->errlen, "%s: the template has more than "
		    "%d files", path, MANIFEST_MAX_FILES);
		return -1;
	}
	if (w->m->count == w->capacity) {
		capacity = w->capacity == 0 ? 64 : w->capacity * 2;
		if (capacity > MANIFEST_MAX_FILES)
			capacity = MANIFEST_MAX_FILES;
		grown = reallocarray(w->m->entries, capacity, sizeof(*grown));
		if (grown == NULL) {
			error_set(w->err, w->errlen, "out of memory");
			return -1;
		}
		w->m->entries = grown;
		w->capacity = capacity;
	}
	if (size > UINT64_MAX - w->m->total_bytes) {
		error_set(w->err, w->errlen, "%s: the template is too large",
		    path);
		return -1;
	}
	e = &w->m->entries[w->m->count];
	memset(e, 0, sizeof(*e));
	if ((e->path = strdup(path)) == NULL) {
		error_set(w->err, w->errlen, "out of memory");
		return -1;
	}
	w->m->count++;
	memcpy(e->sha256, digest, sizeof(e->sha256));
	e->size = size;
	w->m->total_bytes += size;
	return 0;
}

/*
 * Hashes regular file `name` of directory `dirfd` (known as `path` in the
 * manifest) and adds it.  The file is opened without following a symlink
 * and checked again after opening, so a file swapped for something else
 * while the walk runs is refused too.  Returns 0, or -1 with `err` set.
 */
static int
walk_file(struct manifest_walk *w, int dirfd, const char *name,
    const char *path)
{
	unsigned char	digest[32];
	struct stat	st;
	uint64_t	size;
	int		fd = -1, rc = -1;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		error_set(w->err, w->errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		error_set(w->err, w->errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error_set(w->err, w->errlen, "%s: not a regular file", path);
		goto out;
	}
	if (file_sha256_fd(fd, digest, &size) == -1) {
		error_set(w->err, w->errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = walk_add(w, path, digest, size);
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Walks the directory open on `fd` (taken over and closed), whose entries
 * have paths starting with `prefix` ("" at the top).  Directories are
 * descended, regular files hashed; any other kind of entry, and any name
 * outside the manifest rules, fails the build.  Returns 0, or -1 with
 * `err` naming the offending path.
 */
static int
walk_directory(struct manifest_walk *w, int fd, const char *prefix,
    int depth)
{
	const char	*problem;
	char		 path[MANIFEST_PATH_MAX + 1];
	struct dirent	*entry;
	struct stat	 st;
	DIR		*dir;
	size_t		 prefix_len, name_len;
	int		 child, rc = -1;

	if ((dir = fdopendir(fd)) == NULL) {
		error_set(w->err, w->errlen, "%s: %s",
		    prefix[0] != '\0' ? prefix : ".", strerror(errno));
		close(fd);
		return -1;
	}
	prefix_len = strlen(prefix);
	for (;;) {
		errno = 0;
		if ((entry = readdir(dir)) == NULL) {
			if (errno != 0) {
				error_set(w->err, w->errlen, "%s: %s",
				    prefix[0] != '\0' ? prefix : ".",
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		name_len = strlen(entry->d_name);
		if (name_len > MANIFEST_PATH_MAX - prefix_len) {
			error_set(w->err, w->errlen, "%s%s: path longer than "
			    "%d bytes", prefix, entry->d_name,
			    MANIFEST_PATH_MAX);
			goto out;
		}
		memcpy(path, prefix, prefix_len);
		memcpy(path + prefix_len, entry->d_name, name_len + 1);
		if ((problem = template_name_check(entry->d_name,
		    name_len)) != NULL) {
			error_set(w->err, w->errlen, "%s: %s", path, problem);
			goto out;
		}
		if (fstatat(dirfd(dir), entry->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			error_set(w->err, w->errlen, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			if (walk_file(w, dirfd(dir), entry->d_name, path) == -1)
				goto out;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			error_set(w->err, w->errlen, "%s: %s are not allowed "
			    "in the template", path, S_ISLNK(st.st_mode) ?
			    "symbolic links" : S_ISFIFO(st.st_mode) ? "FIFOs" :
			    S_ISSOCK(st.st_mode) ? "sockets" : "devices");
			goto out;
		}
		if (depth >= MANIFEST_MAX_DEPTH) {
			error_set(w->err, w->errlen, "%s: nested deeper than "
			    "%d directories", path, MANIFEST_MAX_DEPTH);
			goto out;
		}
		if (name_len + 1 > MANIFEST_PATH_MAX - prefix_len) {
			error_set(w->err, w->errlen, "%s: path longer than "
			    "%d bytes", path, MANIFEST_PATH_MAX);
			goto out;
		}
		path[prefix_len + name_len] = '/';
		path[prefix_len + name_len + 1] = '\0';
		child = folder_open_dir(dirfd(dir), entry->d_name);
		if (child == -1) {
			error_set(w->err, w->errlen, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (walk_directory(w, child, path, depth + 1) == -1)
			goto out;
	}
	rc = 0;
out:
	closedir(dir);
	return rc;
}

/* qsort() order of entries: strcmp of their paths. */
static int
entry_compare(const void *a, const void *b)
{
	const struct manifest_entry	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

/*
 * Builds the manifest of the directory open on `fd` (taken over and
 * closed).  Returns 0, or -1 with `err` set
 * and `m` empty.
 */
static int
build_from(struct manifest *m, int fd, char *err, size_t errlen)
{
	struct manifest_walk	w;

	manifest_release(m);
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.err = err;
	w.errlen = errlen;
	if (walk_directory(&w, fd, "", 0) == -1) {
		manifest_release(m);
		return -1;
	}
	if (m->count > 1)
		qsort(m->entries, m->count, sizeof(m->entries[0]),
		    entry_compare);
	return 0;
}

/*
 * Builds the manifest of directory `dir` (see manifest.h).  `dir` itself
 * may be reached through a symlink; nothing below it is.  Called by
 * `tenantctl manifest` and tests.  Returns 0, or -1 with `err` set and `m`
 * empty.
 */
int
manifest_build(struct manifest *m, const char *dir, char *err, size_t errlen)
{
	int	fd;

	manifest_release(m);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error_set(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return build_from(m, fd, err, errlen);
}

/* See manifest.h.  Called by the export of a tenant (tenant_export.c). */
int
manifest_build_at(struct manifest *m, int dirfd, const char *name, char *err,
    size_t errlen)
{
	int	fd;

	manifest_release(m);
	if ((fd = folder_open_dir(dirfd, name)) == -1) {
		error_set(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	return build_from(m, fd, err, errlen);
}

/* Writes the 64-character lowercase hex form of `digest` into `out`. */
void
sha256_hex(const unsigned char digest[32], char out[65])
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < 32; i++) {
		out[i * 2] = hex[digest[i] >> 4];
		out[i * 2 + 1] = hex[digest[i] & 0x0f];
	}
	out[64] = '\0';
}

/*
 * Writes `m` in the format of manifest.h to `out`.  Called by `tenantctl
 * manifest`.  Returns 0, or -1 with errno set when a write failed.
 */
int
manifest_write(const struct manifest *m, FILE *out)
{
	char	hex[SHA256_HEX_LEN + 1];
	size_t	i;

	if (fprintf(out, "%s\n", MANIFEST_HEADER) < 0)
		return -1;
	for (i = 0; i < m->count; i++) {
		sha256_hex(m->entries[i].sha256, hex);
		if (fprintf(out, "%s %llu %s\n", hex,
		    (unsigned long long)m->entries[i].size,
		    m->entries[i].path) < 0)
			return -1;
	}
	return fflush(out) == EOF ? -1 : 0;
}

/*
 * Parses one manifest line (without its newline) into `e`.  Returns NULL,
 * or a message saying what is wrong with it.
 */
static const char *
parse_line(char *line, struct manifest_entry *e)
{
	const char	*errstr;
	char		*size_text, *path;
	int64_t		 size;

	if (hex_decode_lower(line, e->sha256, sizeof(e->sha256)) == -1 ||
	    line[SHA256_HEX_LEN] != ' ')
		return "the digest must be 64 lowercase hex digits";
	size_text = line + SHA256_HEX_LEN + 1;
	if ((path = strchr(size_text, ' ')) == NULL)
		return "expected \"<sha256> <size> <path>\"";
	*path++ = '\0';
	if (parse_int64(size_text, 0, INT64_MAX, &size, &errstr) == -1)
		return "the size must be a whole number";
	if (!manifest_path_valid(path))
		return "invalid path";
	e->size = (uint64_t)size;
	e->path = path;		/* into `line`; walk_add() copies it */
	return NULL;
}

/*
 * Reads and validates manifest file `path` (see manifest.h).  Called by
 * template.c and tests.  Returns 0, or -1 with `err` naming the
 * line and `m` empty.
 */
int
manifest_read(struct manifest *m, const char *path, char *err, size_t errlen)
{
	return manifest_read_at(m, AT_FDCWD, path, err, errlen);
}

/*
 * Reads and validates manifest file `path` relative to directory `dirfd`
 * (see manifest.h), the last segment opened without following a symlink.
 * Returns 0, or -1 with `err` naming the line and `m` empty.
 */
int
manifest_read_at(struct manifest *m, int dirfd, const char *path, char *err,
    size_t errlen)
{
	int			 fd;
	struct manifest_walk	 w;
	struct manifest_entry	 entry;
	const char		*problem;
	char			 line[MANIFEST_LINE_MAX + 1];
	FILE			*in = NULL;
	size_t			 len, line_number = 0;
	int			 rc = -1;

	manifest_release(m);
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.err = err;
	w.errlen = errlen;
	if ((fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1 || (in = fdopen(fd, "r")) == NULL) {
		error_set(err, errlen, "cannot open the template manifest: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		line_number++;
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			error_set(err, errlen, "template manifest line %zu: %s",
			    line_number, len + 1 == sizeof(line) ?
			    "too long" : "truncated (no newline)");
			goto out;
		}
		line[--len] = '\0';
		if (line_number == 1) {
			if (strcmp(line, MANIFEST_HEADER) != 0) {
				error_set(err, errlen, "template manifest line "
				    "1: expected \"%s\"", MANIFEST_HEADER);
				goto out;
			}
			continue;
		}
		if (len <= SHA256_HEX_LEN) {
			error_set(err, errlen, "template manifest line %zu: "
			    "expected \"<sha256> <size> <path>\"", line_number);
			goto out;
		}
		memset(&entry, 0, sizeof(entry));
		if ((problem = parse_line(line, &entry)) != NULL) {
			error_set(err, errlen, "template manifest line %zu: %s",
			    line_number, problem);
			goto out;
		}
		if (m->count > 0 &&
		    strcmp(m->entries[m->count - 1].path, entry.path) >= 0) {
			error_set(err, errlen, "template manifest line %zu: "
			    "%s", line_number, strcmp(m->entries[m->count -
			    1].path, entry.path) == 0 ? "duplicate path" :
			    "paths are not sorted");
			goto out;
		}
		if (walk_add(&w, entry.path, entry.sha256, entry.size) == -1) {
			error_set(err, errlen, "template manifest line %zu: "
			    "too many files or bytes", line_number);
			goto out;
		}
	}
	if (ferror(in)) {
		error_set(err, errlen, "cannot read the template manifest: %s",
		    strerror(errno));
		goto out;
	}
	if (line_number == 0) {
		error_set(err, errlen, "the template manifest is empty");
		goto out;
	}
	rc = 0;
out:
	if (in != NULL)
		fclose(in);
	if (rc == -1)
		manifest_release(m);
	return rc;
}

/* bsearch() order: a path against an entry. */
static int
path_compare(const void *key, const void *member)
{
	const struct manifest_entry	*e = member;

	return strcmp(key, e->path);
}

/* The entry for `path` in `m`, or NULL. */
const struct manifest_entry *
manifest_find(const struct manifest *m, const char *path)
{
	if (m->count == 0)
		return NULL;
	return bsearch(path, m->entries, m->count, sizeof(m->entries[0]),
	    path_compare);
}

/*
 * Opens regular file `path` below `dirfd` (see manifest.h), every segment
 * without following a symlink.  Used by file_sha256_at() and by health
 * checks, which look at sizes before hashing.  Returns 1 with the file
 * open on `*fd` and its status in `st`, 0 when there is no regular file at
 * `path`, -1 on an I/O error (errno set).
 */
int
manifest_file_open_at(int dirfd, const char *path, int *fd, struct stat *st)
{
	char		 segment[MANIFEST_PATH_MAX + 1];
	const char	*p, *slash;
	size_t		 len;
	int		 current = -1, next, rc = -1, saved;

	*fd = -1;
	if (!manifest_path_valid(path))
		return 0;
	p = path;
	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		memcpy(segment, p, len);
		segment[len] = '\0';
		next = openat(current == -1 ? dirfd : current, segment,
		    slash != NULL ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC : O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (next == -1) {
			/* Gone, a symlink, or no directory on the way. */
			if (errno == ENOENT || errno == ELOOP ||
			    errno == ENOTDIR)
				rc = 0;
			goto out;
		}
		if (current != -1)
			close(current);
		current = next;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (fstat(current, st) == -1)
		goto out;
	if (!S_ISREG(st->st_mode)) {
		rc = 0;
		goto out;
	}
	*fd = current;
	current = -1;
	rc = 1;
out:
	saved = errno;
	if (current != -1)
		close(current);
	errno = saved;
	return rc;
}

/*
 * Hashes regular file `path` below `dirfd` (see manifest.h).  Used by
 * deploys and health checks on tenant folders.  Returns 0 with digest and
 * size, 1 when there is no regular file at `path`, -1 on an I/O error
 * (errno set).
 */
int
file_sha256_at(int dirfd, const char *path, unsigned char out[32],
    uint64_t *size)
{
	struct stat	st;
	int		fd, rc, saved;

	if ((rc = manifest_file_open_at(dirfd, path, &fd, &st)) != 1)
		return rc == 0 ? 1 : -1;
	rc = file_sha256_fd(fd, out, size);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * The digest of `m` as manifest_write() would write it: what names a
 * template version (template_store.h).  Returns 0, or -1 if out of
 * memory.
 */
int
manifest_digest(const struct manifest *m, unsigned char out[32])
{
	crypto_hash_sha256_state	state;
	char				hex[SHA256_HEX_LEN + 1];
	char				number[32];
	size_t				i;
	int				len;

	crypto_hash_sha256_init(&state);
	crypto_hash_sha256_update(&state, (const unsigned char *)
	    MANIFEST_HEADER "\n", strlen(MANIFEST_HEADER) + 1);
	for (i = 0; i < m->count; i++) {
		sha256_hex(m->entries[i].sha256, hex);
		len = snprintf(number, sizeof(number), " %llu ",
		    (unsigned long long)m->entries[i].size);
		if (len < 0 || (size_t)len >= sizeof(number))
			return -1;
		crypto_hash_sha256_update(&state, (const unsigned char *)hex,
		    SHA256_HEX_LEN);
		crypto_hash_sha256_update(&state, (const unsigned char *)number,
		    (unsigned long long)len);
		crypto_hash_sha256_update(&state, (const unsigned char *)
		    m->entries[i].path, strlen(m->entries[i].path));
		crypto_hash_sha256_update(&state, (const unsigned char *)"\n",
		    1);
	}
	crypto_hash_sha256_final(&state, out);
	return 0;
}
