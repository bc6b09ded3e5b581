/*
 * asset.h - files of a tenant's public/ folder, found without ever leaving
 * it.
 *
 * An asset path arrives from the URL still percent-encoded.  It is decoded
 * exactly once and then judged as a list of '/'-separated names: empty
 * names, ".", "..", names starting with '.', backslashes, NUL and other
 * control bytes, invalid UTF-8 (overlong forms of '.' or '/' included) and
 * over-long names or paths are refused before any system call.  What is
 * left is opened one name at a time with openat(O_NOFOLLOW) below the
 * tenant's folder, so neither "..", an encoded "..", nor a symlink planted
 * anywhere on the way can lead outside public/.
 */
#ifndef TENANTD_ASSET_H
#define TENANTD_ASSET_H

#include <sys/stat.h>

#include <stddef.h>

#define ASSET_PATH_MAX		1024	/* decoded bytes */
#define ASSET_SEGMENT_MAX	255	/* bytes of one name */
#define ASSET_RAW_MAX		(ASSET_PATH_MAX * 3)	/* encoded bytes */

/*
 * Decodes the raw (percent-encoded) path `raw` of `raw_len` bytes into
 * `out` (ASSET_PATH_MAX + 1 bytes) and checks it by the rules above ('+'
 * stays '+').  Returns NULL when the path is acceptable, else a short
 * reason for logs ("empty segment", "dot segment", ...).
 */
const char *asset_path_decode(const char *raw, size_t raw_len,
	    char out[ASSET_PATH_MAX + 1]);

/*
 * Checks an already decoded path by the same rules.  Returns NULL when
 * acceptable, else the reason.
 */
const char *asset_path_check(const char *path, size_t len);

/*
 * Opens the regular file `path` (checked by asset_path_check()) below
 * directory `dirfd`, one name at a time, every directory with
 * O_DIRECTORY|O_NOFOLLOW and the file with O_NOFOLLOW|O_NONBLOCK.
 * Returns 1 with the descriptor in *fd and its fstat() in *st, 0 when
 * there is no such regular file (missing, a symlink anywhere on the way, a
 * directory, a device), or -1 on another error (errno set).  The caller
 * closes *fd.
 */
int	asset_open_at(int dirfd, const char *path, int *fd, struct stat *st);

/*
 * Opens asset `path` of tenant `subdomain`: the file
 * <subdomain>/public/<path> below `tenants_dirfd`.  Same returns as
 * asset_open_at().
 */
int	asset_open(int tenants_dirfd, const char *subdomain, const char *path,
	    int *fd, struct stat *st);

/*
 * Percent-encodes a checked path for a URL (X-Accel-Redirect): every byte
 * but [A-Za-z0-9._~-] and '/' becomes %XX.  Returns 0, or -1 if it does
 * not fit `outlen` bytes.
 */
int	asset_path_encode(const char *path, char *out, size_t outlen);

#endif
