/*
 * http_cache.c - the ETag and date helpers of conditional requests, and
 * the 304 decision built from them.  Called by the config and asset
 * handlers (handler_public.c).
 */
#include <sys/stat.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_cache.h"

static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * The file's ETag from its identity: inode, size and modification time to
 * the nanosecond, so any replacement or rewrite changes it.  Called by the
 * asset handler.
 */
void
http_file_etag(const struct stat *st, char out[HTTP_ETAG_MAX])
{
	uint64_t mtime_ns;

	mtime_ns = (uint64_t)st->st_mtim.tv_sec * UINT64_C(1000000000) +
	    (uint64_t)st->st_mtim.tv_nsec;
	snprintf(out, HTTP_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64
	    "\"", (uint64_t)st->st_ino, (uint64_t)st->st_size, mtime_ns);
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
