/*
 * asset.h - files of a tenant's public/ folder, found without ever leaving
 * it, and the metadata their HTTP responses carry.
 *
 * An asset path arrives from the URL still percent-encoded.  It is decoded
 * exactly once and then judged as a list of '/'-separated names: empty
 * names, ".", "..", names starting with '.', backslashes, NUL and other
 * control bytes, invalid UTF-8 (overlong forms of '.' or '/' included) and
 * over-long names or paths are refused before any system call.  What is
 * left is opened one name at a time with openat(O_NOFOLLOW) below the
 * tenant's folder, so neither "..", an encoded "..", nor a symlink planted
 * anywhere on the way can lead outside public/.
 *
 * The conditional-request helpers (ETag lists, HTTP dates) serve both the
 * asset and the config-by-subdomain responses.
 */
#ifndef TENANTD_ASSET_H
#define TENANTD_ASSET_H

#include <sys/stat.h>

#include <stddef.h>
#include <time.h>

#define ASSET_PATH_MAX		1024	/* decoded bytes */
#define ASSET_SEGMENT_MAX	255	/* bytes of one name */
#define ASSET_RAW_MAX		(ASSET_PATH_MAX * 3)	/* encoded bytes */
#define ASSET_ETAG_MAX		64	/* with quotes and NUL */
#define HTTP_DATE_MAX		32	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

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
 * Writes the strong ETag of a file, "\"<inode>-<size>-<mtime ns>\"" in
 * hex, into `out` (ASSET_ETAG_MAX bytes).
 */
void	asset_etag(const struct stat *st, char out[ASSET_ETAG_MAX]);

/*
 * Percent-encodes a checked path for a URL (X-Accel-Redirect): every byte
 * but [A-Za-z0-9._~-] and '/' becomes %XX.  Returns 0, or -1 if it does
 * not fit `outlen` bytes.
 */
int	asset_path_encode(const char *path, char *out, size_t outlen);

/*
 * Does the If-None-Match header value `header` (a list of entity tags, or
 * "*") match `etag`?  Compared weakly (a W/ prefix is ignored), as RFC
 * 7232 asks for If-None-Match.  1 or 0; a malformed list never matches.
 */
int	http_etag_matches(const char *header, const char *etag);

/*
 * Formats `t` as an RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
 * GMT") into `out`.  Returns 0, or -1 for a time out of range.
 */
int	http_date_format(time_t t, char out[HTTP_DATE_MAX]);

/*
 * Parses an IMF-fixdate.  Returns 0 with *t set, or -1 for anything else
 * (the obsolete formats are not accepted, so such a header is ignored).
 */
int	http_date_parse(const char *text, time_t *t);

/*
 * Should a request with these conditional headers (either may be NULL)
 * get 304 Not Modified for a representation with `etag` and
 * `last_modified` (-1 for a representation without a date)?
 * If-None-Match decides when present; If-Modified-Since only otherwise
 * (RFC 7232 section 6).  1 or 0.
 */
int	http_not_modified(const char *if_none_match,
	    const char *if_modified_since, const char *etag,
	    time_t last_modified);

#endif
