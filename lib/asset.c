/*
 * asset.c - finding a file of a tenant's public/ folder without ever
 * leaving it, and the ETag and date helpers of conditional requests.
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
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asset.h"
#include "folder.h"
#include "form.h"
#include "validate.h"

static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

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

/*
 * The file's ETag from its identity: inode, size and modification time to
 * the nanosecond, so any replacement or rewrite changes it.  Called by the
 * asset handler.
 */
void
asset_etag(const struct stat *st, char out[ASSET_ETAG_MAX])
{
	uint64_t mtime_ns;

	mtime_ns = (uint64_t)st->st_mtim.tv_sec * UINT64_C(1000000000) +
	    (uint64_t)st->st_mtim.tv_nsec;
	snprintf(out, ASSET_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64
	    "\"", (uint64_t)st->st_ino, (uint64_t)st->st_size, mtime_ns);
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

/* Skips optional white space and commas of a header list. */
static const char *
skip_list_separators(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

/*
 * Compares If-None-Match `header` with `etag` (a quoted strong tag).
 * Called for the config and asset responses.  Returns 1 on a match.
 */
int
http_etag_matches(const char *header, const char *etag)
{
	const char *p, *tag, *close_quote;
	size_t etag_len;

	if (header == NULL || etag == NULL)
		return 0;
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	etag_len = strlen(etag);
	p = skip_list_separators(header);
	if (*p == '*') {
		p = skip_list_separators(p + 1);
		return *p == '\0';
	}
	while (*p != '\0') {
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0;
		tag = p;
		if ((close_quote = strchr(p + 1, '"')) == NULL)
			return 0;
		p = close_quote + 1;
		if ((size_t)(p - tag) == etag_len &&
		    memcmp(tag, etag, etag_len) == 0)
			return 1;
		if (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			return 0;
		p = skip_list_separators(p);
	}
	return 0;
}

/*
 * Formats an IMF-fixdate with fixed English names (strftime's would follow
 * the locale).  Called for Last-Modified.  Returns 0 or -1.
 */
int
http_date_format(time_t t, char out[HTTP_DATE_MAX])
{
	struct tm tm;
	int written;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	written = snprintf(out, HTTP_DATE_MAX, "%s, %02d %s %04d "
	    "%02d:%02d:%02d GMT", day_names[tm.tm_wday], tm.tm_mday,
	    month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (written < 0 || written >= HTTP_DATE_MAX)
		return -1;
	return 0;
}

/*
 * Reads `count` decimal digits at `p` into *value.  Returns 0, or -1 if
 * any is not a digit.
 */
static int
read_digits(const char *p, int count, int *value)
{
	int i;

	*value = 0;
	for (i = 0; i < count; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*value = *value * 10 + (p[i] - '0');
	}
	return 0;
}

/*
 * Parses "Sun, 06 Nov 1994 08:49:37 GMT" exactly.  Called for
 * If-Modified-Since.  Returns 0 with *t set, or -1.
 */
int
http_date_parse(const char *text, time_t *t)
{
	struct tm tm;
	int day, year, hour, minute, second, month = -1, i;

	if (text == NULL || strlen(text) != 29)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncmp(text, day_names[i], 3) == 0)
			break;
	if (i == 7 || strncmp(text + 3, ", ", 2) != 0 ||
	    text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
	    text[19] != ':' || text[22] != ':' || strcmp(text + 25, " GMT") != 0)
		return -1;
	for (i = 0; i < 12; i++)
		if (strncmp(text + 8, month_names[i], 3) == 0)
			month = i;
	if (month == -1 || read_digits(text + 5, 2, &day) == -1 ||
	    read_digits(text + 12, 4, &year) == -1 ||
	    read_digits(text + 17, 2, &hour) == -1 ||
	    read_digits(text + 20, 2, &minute) == -1 ||
	    read_digits(text + 23, 2, &second) == -1)
		return -1;
	if (day < 1 || day > 31 || year < 1970 || hour > 23 || minute > 59 ||
	    second > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = day;
	tm.tm_mon = month;
	tm.tm_year = year - 1900;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

/*
 * The 304 decision of RFC 7232 for GET and HEAD.  Called by the config and
 * asset handlers.  Returns 1 when the client's copy is current.
 */
int
http_not_modified(const char *if_none_match, const char *if_modified_since,
    const char *etag, time_t last_modified)
{
	time_t since;

	if (if_none_match != NULL)
		return http_etag_matches(if_none_match, etag);
	if (if_modified_since == NULL || last_modified < 0 ||
	    http_date_parse(if_modified_since, &since) == -1)
		return 0;
	return last_modified <= since;
}
