/*
 * manifest.h - the list of files that make up the tenant site template.
 *
 * `make` runs `tenantctl manifest www/template` to write
 * www/template.manifest: one line per regular file, sorted by path,
 *
 *     # tenantd template manifest 1
 *     <sha256 in hex> <size in bytes> <relative/path>
 *
 * Deploys copy exactly these files and health checks judge a tenant folder
 * against them, so neither has to walk or hash the template again.  Paths
 * are '/'-separated names as template_name_check() accepts them (SPEC 10:
 * "(auth)", "[id]", ".gitignore", spaces and UTF-8 are fine), at most
 * MANIFEST_PATH_MAX bytes; building a manifest of a template with any
 * other name, a symlink, device, socket or FIFO fails with the path named,
 * so nothing unexpected can reach a tenant folder.
 *
 * Ownership: a struct manifest owns its entries; manifest_release() frees
 * them.
 */
#ifndef TENANTD_MANIFEST_H
#define TENANTD_MANIFEST_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TEMPLATE_NAME_MAX	255
#define MANIFEST_PATH_MAX	4096
#define MANIFEST_MAX_FILES	10000

/* Ownership: `path` is the manifest's (manifest_release() frees it). */
struct manifest_entry {
	char		*path;
	uint64_t	size;
	unsigned char	sha256[32];
};

struct manifest {
	struct manifest_entry *entries;	/* sorted by path (strcmp) */
	size_t		 count;
	uint64_t	 total_bytes;
};

/*
 * Judges one name of a template path.  Returns NULL if it is allowed, or
 * the reason it is not.
 */
const char *template_name_check(const char *name, size_t len);

/* Is `path` a '/'-separated path of allowed names?  Returns 1 or 0. */
int	manifest_path_valid(const char *path);

void	manifest_init(struct manifest *m);
void	manifest_release(struct manifest *m);

/*
 * Walks directory `dir` (without following symlinks) and hashes every file.
 * Returns 0, or -1 with a message naming the offending file in `err`.
 */
int	manifest_build(struct manifest *m, const char *dir, char *err,
	    size_t errlen);

/*
 * manifest_build() of directory `name` under `dirfd`, which is opened
 * without following a symlink either.  Returns 0, or -1 with `err` set.
 */
int	manifest_build_at(struct manifest *m, int dirfd, const char *name,
	    char *err, size_t errlen);

/* Writes `m` in the format above.  Returns 0 or -1 (errno set). */
int	manifest_write(const struct manifest *m, FILE *out);

/*
 * Reads a manifest file, validating every line (hex digest, size, path
 * rules, sort order, no duplicates).  Returns 0, or -1 with a message
 * naming the line in `err`.
 */
int	manifest_read(struct manifest *m, const char *path, char *err,
	    size_t errlen);

/* manifest_read() of `path` relative to directory `dirfd`. */
int	manifest_read_at(struct manifest *m, int dirfd, const char *path,
	    char *err, size_t errlen);

/*
 * The SHA-256 of `m`'s text as manifest_write() writes it, which names a
 * template version.  Returns 0, or -1 (a size too long to print: never).
 */
int	manifest_digest(const struct manifest *m, unsigned char out[32]);

/* The entry for `path`, or NULL (binary search). */
const struct manifest_entry *manifest_find(const struct manifest *m,
	    const char *path);

/*
 * Opens the regular file `path` under directory `dirfd` (each segment
 * opened with O_NOFOLLOW).  Returns 1 with the descriptor in `*fd` and its
 * status in `st`, 0 if there is no regular file there, -1 on an I/O error.
 */
int	manifest_file_open_at(int dirfd, const char *path, int *fd,
	    struct stat *st);

/*
 * Hashes the regular file `path` under directory `dirfd` (each segment
 * opened with O_NOFOLLOW).  Returns 0 with the digest and size, 1 if the
 * file does not exist (or is not a regular file), -1 on an I/O error.
 */
int	file_sha256_at(int dirfd, const char *path, unsigned char out[32],
	    uint64_t *size);

/*
 * Hashes what is left to read on open file `fd`.  Returns 0 with the
 * digest and the number of bytes read, or -1 with errno set.
 */
int	file_sha256_fd(int fd, unsigned char out[32], uint64_t *size);

/* Writes the 64-character lowercase hex form of a digest plus a NUL. */
void	sha256_hex(const unsigned char digest[32], char out[65]);

#endif
