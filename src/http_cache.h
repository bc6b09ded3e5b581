/*
 * http_cache.h - conditional requests (RFC 7232): entity tags, HTTP dates
 * and the 304 decision, for the config-by-subdomain and asset responses.
 *
 * lib/ finds the files (asset.h) and caches config.json (config_cache.h);
 * what a response says about them to HTTP caches is decided here.
 */
#ifndef TENANTD_HTTP_CACHE_H
#define TENANTD_HTTP_CACHE_H

#include <sys/stat.h>

#include <time.h>

#define HTTP_ETAG_MAX		64	/* with quotes and NUL */
#define HTTP_DATE_MAX		32	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/*
 * Writes the strong ETag of a file, "\"<inode>-<size>-<mtime ns>\"" in
 * hex, into `out` (HTTP_ETAG_MAX bytes).
 */
void	http_file_etag(const struct stat *st, char out[HTTP_ETAG_MAX]);

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
