/*
 * asset.c - finding a file of a tenant's public/ folder without ever
 * leaving it.  What its HTTP responses carry (ETag, dates, the 304
 * decision) is src/http_cache.c's.
 *
 * The defence is in two layers.  The path is judged as text after one
 * decoding (asset_path_check()), so "..", hidden names and bytes that have
 * no business in a URL never reach the file system.  Then the walk opens
 * one name at a time relative to the directory it already holds, with
 * O_NOFOLLOW everywhere, so even a symlink planted inside public/ (by a
 * deploy gone wrong or by hand) ends the walk instead of leading out.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "asset.h"
#include "folder.h"
#include "form.h"
#include "validate.h"


/*
 * Judges a decoded path (see asset.h).  Called by asset_path_decode() and
 * again by the walk, so no caller can skip it.  Returns NULL or the
 * reason.
 */
const char *
asset_path_check(const char *path, size_t len)
{
	size_t i, start;

	if (len == 0)
		return "empty path";
	if (len > ASSET_PATH_MAX)
		return "path too long";
	if (path[0] == '/')
		return "absolute path";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '\0')
			return "NUL byte";
		if (c < 0x20 || c == 0x7f)
			return "control character";
		if (c == '\\')
			return "backslash";
	}
	if (utf8_length(path, len) < 0)
		return "invalid UTF-8";
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && path[i] != '/'; i++)
			continue;
		if (i == start)
			return "empty segment";
		if (i - start > ASSET_SEGMENT_MAX)
			return "segment too long";
		if (path[start] == '.') {
			if (i - start == 1 ||
			    (i - start == 2 && path[start + 1] == '.'))
				return "dot segment";
			return "hidden name";
		}
	}
	return NULL;
}

/*
 * Decodes the {path*} of an asset URL once and judges the result.  Called
 * by the asset handler.  Returns NULL with the path in `out`, or the
 * reason it was refused.
 */
const char *
asset_path_decode(const char *raw, size_t raw_len,
    char out[ASSET_PATH_MAX + 1])
{
	char decoded[ASSET_RAW_MAX + 1];
	const char *reason;
	long len;

	out[0] = '\0';
	if (raw_len > ASSET_RAW_MAX)
		return "path too long";
	if ((len = form_percent_decode(raw, raw_len, decoded, 0)) < 0)
		return "malformed escape";
	if ((reason = asset_path_check(decoded, (size_t)len)) != NULL)
		return reason;
	memcpy(out, decoded, (size_t)len + 1);
	return NULL;
}

/*
 * Does errno after a failed openat() mean "there is no such file for this
 * request" rather than a fault of the server?  ELOOP is how O_NOFOLLOW
 * reports a symlink, ENOTDIR a file where a directory was expected.
 */
static int
errno_is_absent(int error)
{
	return error == ENOENT || error == ENOTDIR || error == ELOOP ||
	    error == ENXIO || error == ENODEV || error == EACCES ||
	    error == EPERM || error == ENAMETOOLONG;
}

/*
 * Walks `path` below `dirfd` (see asset.h).  Called by asset_open() and
 * by the tenant health check for manifest paths.  Returns 1, 0 or -1.
 */
int
asset_open_at(int dirfd, const char *path, int *fd, struct stat *st)
{
	char name[ASSET_SEGMENT_MAX + 1];
	const char *segment, *slash;
	size_t len;
	int current = -1, next = -1, file = -1, rc = -1;

	*fd = -1;
	if (asset_path_check(path, strlen(path)) != NULL)
		return 0;
	segment = path;
	while ((slash = strchr(segment, '/')) != NULL) {
		len = (size_t)(slash - segment);
		memcpy(name, segment, len);
		name[len] = '\0';
		next = folder_open_dir(current == -1 ? dirfd : current, name);
		if (next == -1)
			goto fail;
		if (current != -1)
			close(current);
		current = next;
		next = -1;
		segment = slash + 1;
	}
	file = openat(current == -1 ? dirfd : current, segment,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (file == -1)
		goto fail;
	if (fstat(file, st) == -1)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		rc = 0;
		goto out;
	}
	*fd = file;
	file = -1;
	rc = 1;
	goto out;
fail:
	rc = errno_is_absent(errno) ? 0 : -1;
out:
	if (file != -1)
		close(file);
	if (current != -1)
		close(current);
	return rc;
}

/*
 * Opens <subdomain>/public/<path> below the tenants directory.  Called by
 * the asset handler.  Returns 1, 0 or -1 like asset_open_at().
 */
int
asset_open(int tenants_dirfd, const char *subdomain, const char *path,
    int *fd, struct stat *st)
{
	int tenantfd = -1, publicfd = -1, rc = -1;

	*fd = -1;
	if (validate_subdomain(subdomain, strlen(subdomain)) != NULL)
		return 0;
	if ((tenantfd = folder_open_dir(tenants_dirfd, subdomain)) == -1 ||
	    (publicfd = folder_open_dir(tenantfd, FOLDER_PUBLIC_DIR)) == -1) {
		rc = errno_is_absent(errno) ? 0 : -1;
		goto out;
	}
	rc = asset_open_at(publicfd, path, fd, st);
out:
	if (publicfd != -1)
		close(publicfd);
	if (tenantfd != -1)
		close(tenantfd);
	return rc;
}

/* Is `c` a byte a URL path may carry as it is? */
static int
url_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
	    c == '-' || c == '/';
}

/*
 * Percent-encodes `path` for the X-Accel-Redirect header, which nginx
 * decodes once before looking the file up.  Returns 0, or -1 if `out` is
 * too small.
 */
int
asset_path_encode(const char *path, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)path;
	size_t used = 0;

	if (outlen == 0)
		return -1;
	for (; *p != '\0'; p++) {
		if (url_safe(*p)) {
			if (outlen - used < 2)
				return -1;
			out[used++] = (char)*p;
		} else {
			if (outlen - used < 4)
				return -1;
			out[used++] = '%';
			out[used++] = hex[*p >> 4];
			out[used++] = hex[*p & 0x0f];
		}
	}
	out[used] = '\0';
	return 0;
}
