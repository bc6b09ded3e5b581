/*
 * validate.c - the rules for every value a client can send (see validate.h
 * and SPEC.md section 3).
 *
 * The checks work on explicit lengths, never on NUL termination, because
 * values from forms and JSON may contain NUL bytes; a NUL is simply one more
 * byte that no rule accepts.  Character classes are spelled out instead of
 * using <ctype.h>, whose answers depend on the locale.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "validate.h"

/* Is `c` an ASCII lower-case letter or digit? */
static int
is_lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Is `c` an ASCII letter of either case? */
static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is `c` an ASCII letter or digit? */
static int
is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Is `c` one of the bytes of `set`?  NUL never is. */
static int
in_set(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/*
 * Checks one DNS label for a tenant subdomain.  Called by tenant_input and
 * the availability check.  Returns NULL or a message.
 */
const char *
validate_subdomain(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return "must not be empty";
	if (len > SUBDOMAIN_MAX)
		return "must be at most 63 characters";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			return "must be lower case";
		if (!is_lower_alnum(c) && c != '-')
			return "may contain only a-z, 0-9 and '-'";
	}
	if (s[0] == '-' || s[len - 1] == '-')
		return "must not start or end with '-'";
	return NULL;
}

/*
 * Checks a host name label by label, as a TLS front end asks about the
 * name a client sent (lib/tenant_host.c).  Returns NULL or a message.
 */
const char *
validate_hostname(const char *s, size_t len)
{
	const char	*dot;
	size_t		 start, label_len;

	if (len == 0)
		return "must not be empty";
	if (len > HOSTNAME_MAX)
		return "must be at most 253 characters";
	for (start = 0; start <= len; start += label_len + 1) {
		dot = memchr(s + start, '.', len - start);
		label_len = dot != NULL ? (size_t)(dot - (s + start)) :
		    len - start;
		if (validate_subdomain(s + start, label_len) != NULL)
			return "must be a lower-case host name";
	}
	return NULL;
}

/*
 * Checks a tenant's display name: 1-200 code points of UTF-8, no control
 * characters (C0 including tab, DEL, and the C1 range U+0080-U+009F, which
 * are control characters too), not only spaces.  Returns NULL or a message.
 */
const char *
validate_name(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	long			 chars;
	size_t			 i;
	int			 only_spaces = 1;

	if (len == 0)
		return "must not be empty";
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return "must not contain control characters";
		/* U+0080-U+009F is encoded as C2 80 .. C2 9F. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return "must not contain control characters";
		if (p[i] != ' ')
			only_spaces = 0;
	}
	if ((chars = utf8_length(s, len)) < 0)
		return "must be valid UTF-8";
	if (chars > NAME_MAX_CHARS)
		return "must be at most 200 characters";
	if (only_spaces)
		return "must not be only spaces";
	return NULL;
}

/*
 * Checks the local part of an address: 1-64 printable ASCII bytes without
 * spaces, quotes or the specials of RFC 5322, dots only between other
 * characters.  Returns 1 if acceptable.
 */
static int
email_local_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > 64)
		return 0;
	if (s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return 0;
		if (in_set(c, "\"<>(),;:@[]\\"))
			return 0;
		if (c == '.' && i + 1 < len && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

/*
 * Checks the domain of an address: dot-separated labels of 1-63
 * [A-Za-z0-9-], none starting or ending with '-', at least two labels, the
 * last one two or more letters.  Returns 1 if acceptable.
 */
static int
email_domain_ok(const char *s, size_t len)
{
	size_t	i, label_start = 0, labels = 0;
	int	tld_letters = 1;

	if (len == 0)
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			size_t label_len = i - label_start;

			if (label_len == 0 || label_len > 63)
				return 0;
			if (s[label_start] == '-' || s[i - 1] == '-')
				return 0;
			labels++;
			if (i == len)
				break;
			label_start = i + 1;
			tld_letters = 1;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return 0;
		if (!is_alpha(c))
			tld_letters = 0;
	}
	return labels >= 2 && tld_letters && len - label_start >= 2;
}

/*
 * Checks a contact e-mail address.  Empty means "none" and is valid; this is
 * a plausibility check, not full RFC 5322 (no quoted local parts, no IP
 * literals).  Returns NULL or a message.
 */
const char *
validate_email(const char *s, size_t len)
{
	const char	*at;
	size_t		 local_len, domain_len;

	if (len == 0)
		return NULL;
	if (len > EMAIL_MAX)
		return "must be at most 254 characters";
	if ((at = memchr(s, '@', len)) == NULL)
		return "must be a valid email address";
	local_len = (size_t)(at - s);
	domain_len = len - local_len - 1;
	if (memchr(at + 1, '@', domain_len) != NULL ||
	    !email_local_ok(s, local_len) ||
	    !email_domain_ok(at + 1, domain_len))
		return "must be a valid email address";
	return NULL;
}

/* Checks a "#rrggbb" color.  Returns NULL or a message. */
const char *
validate_color(const char *s, size_t len)
{
	size_t	i;

	if (len != 7 || s[0] != '#')
		return "must be a #rrggbb color";
	for (i = 1; i < len; i++)
		if (hex_digit_value((unsigned char)s[i]) == -1)
			return "must be a #rrggbb color";
	return NULL;
}

/* Checks a module key: 1-50 of [a-z0-9_].  Returns NULL or a message. */
const char *
validate_module_key(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return "must not be empty";
	if (len > MODULE_KEY_MAX)
		return "must be at most 50 characters";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_lower_alnum(c) && c != '_')
			return "may contain only a-z, 0-9 and '_'";
	}
	return NULL;
}

/* Checks a user name: 1-64 of [A-Za-z0-9_.@-].  Returns NULL or a message. */
const char *
validate_username(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return "must not be empty";
	if (len > USERNAME_MAX)
		return "must be at most 64 characters";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alnum(c) && !in_set(c, "_.@-"))
			return "may contain only letters, digits and _ . @ -";
	}
	return NULL;
}

/*
 * Checks the host and optional port of an asset_base_url, `len` bytes at
 * `s` (validate.h).  Returns NULL or a message.
 */
static const char *
validate_url_host(const char *s, size_t len)
{
	const char	*colon, *errstr;
	char		 port[8];
	int64_t		 number;
	size_t		 host_len, i;

	colon = memchr(s, ':', len);
	host_len = colon != NULL ? (size_t)(colon - s) : len;
	if (host_len == 0)
		return "must name a host";
	if (s[0] == '.' || s[0] == '-' || s[host_len - 1] == '.' ||
	    s[host_len - 1] == '-')
		return "must have a host name that neither starts nor ends "
		    "with '.' or '-'";
	for (i = 0; i < host_len; i++)
		if (!is_lower_alnum((unsigned char)s[i]) &&
		    !in_set((unsigned char)s[i], ".-"))
			return "must have a host name of a-z, 0-9, '.' and '-' "
			    "(user information, IPv6 literals and upper case "
			    "are refused)";
	if (colon == NULL)
		return NULL;
	if (len - host_len - 1 == 0 || len - host_len - 1 >= sizeof(port))
		return "must have a port from 1 to 65535";
	for (i = host_len + 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return "must have a port from 1 to 65535";
	memcpy(port, colon + 1, len - host_len - 1);
	port[len - host_len - 1] = '\0';
	if (parse_int64(port, 1, 65535, &number, &errstr) == -1)
		return "must have a port from 1 to 65535";
	return NULL;
}

/*
 * Checks an asset_base_url (see validate.h).  Returns NULL, with the
 * origin's length in `*origin_len` when it is not NULL, or a message.
 */
const char *
validate_asset_base_url(const char *s, size_t len, size_t *origin_len)
{
	const char	*authority, *path, *problem, *segment;
	size_t		 i, segment_len;

	if (len > ASSET_BASE_URL_MAX)
		return "must be at most 256 bytes";
	if (len >= strlen("https://") && memcmp(s, "https://",
	    strlen("https://")) == 0)
		authority = s + strlen("https://");
	else if (len >= strlen("http://") && memcmp(s, "http://",
	    strlen("http://")) == 0)
		authority = s + strlen("http://");
	else
		return "must start with http:// or https://";
	path = memchr(authority, '/', len - (size_t)(authority - s));
	if (path == NULL)
		path = s + len;
	if ((problem = validate_url_host(authority,
	    (size_t)(path - authority))) != NULL)
		return problem;
	/* Each segment runs from after a '/' to the next '/' or the end. */
	for (segment = path; segment < s + len; segment += segment_len) {
		segment++;
		segment_len = 0;
		while (segment + segment_len < s + len &&
		    segment[segment_len] != '/')
			segment_len++;
		if (segment_len == 0)
			return "must not have an empty path segment or end "
			    "with '/'";
		if ((segment_len == 1 && segment[0] == '.') ||
		    (segment_len == 2 && segment[0] == '.' &&
		    segment[1] == '.'))
			return "must not have a \".\" or \"..\" path segment";
		for (i = 0; i < segment_len; i++)
			if (!is_alnum((unsigned char)segment[i]) &&
			    !in_set((unsigned char)segment[i], "._~-"))
				return "must have a path of letters, digits "
				    "and . _ ~ - only (no query, fragment, "
				    "escape, quote or space)";
	}
	if (origin_len != NULL)
		*origin_len = (size_t)(path - s);
	return NULL;
}

/*
 * The length of the strict UTF-8 character at the start of `len` bytes of
 * `s`: shortest encoding only, no surrogate, nothing above U+10FFFF, not
 * truncated and not NUL.  Returns 1 to 4, or 0 if no such character starts
 * there.
 */
size_t
utf8_char_length(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 extra, k;
	uint32_t		 cp, min;
	unsigned char		 c;

	if (len == 0 || (c = p[0]) == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		extra = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		extra = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		extra = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;	/* continuation, C0/C1 overlong, F5+ */
	if (extra > len - 1)
		return 0;
	for (k = 1; k <= extra; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return extra + 1;
}

/*
 * Counts the code points of `len` bytes of strict UTF-8 (see
 * utf8_char_length()).  Returns the count, or -1 if the bytes are not such
 * text.
 */
long
utf8_length(const char *s, size_t len)
{
	size_t	i = 0, step;
	long	count = 0;

	if (len > (size_t)LONG_MAX)
		return -1;
	while (i < len) {
		if ((step = utf8_char_length(s + i, len - i)) == 0)
			return -1;
		i += step;
		count++;
	}
	return count;
}

/*
 * Converts decimal text to an integer in [min, max] in the manner of
 * OpenBSD's strtonum(3), without its locale and errno dependencies.
 * Returns 0, or -1 with *errstr "invalid", "too small" or "too large".
 */
int
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out,
    const char **errstr)
{
	const char	*p;
	uint64_t	 magnitude = 0, bound;
	int		 negative = 0, overflow = 0;
	const char	*dummy;

	if (errstr == NULL)
		errstr = &dummy;
	*errstr = "invalid";
	if (s == NULL || min > max)
		return -1;
	p = s;
	if (*p == '-') {
		if (min >= 0)
			return -1;
		negative = 1;
		p++;
	}
	if (*p == '\0')
		return -1;
	/* The largest magnitude representable with this sign. */
	bound = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p != '\0'; p++) {
		unsigned digit;

		if (*p < '0' || *p > '9')
			return -1;
		digit = (unsigned)(*p - '0');
		if (overflow)
			continue;
		if (magnitude > (bound - digit) / 10)
			overflow = 1;
		else
			magnitude = magnitude * 10 + digit;
	}
	if (overflow) {
		*errstr = negative ? "too small" : "too large";
		return -1;
	}
	if (negative) {
		int64_t value = magnitude == (uint64_t)INT64_MAX + 1 ?
		    INT64_MIN : -(int64_t)magnitude;

		if (value < min) {
			*errstr = "too small";
			return -1;
		}
		if (value > max) {
			*errstr = "too large";
			return -1;
		}
		*out = value;
	} else {
		if ((int64_t)magnitude > max) {
			*errstr = "too large";
			return -1;
		}
		if ((int64_t)magnitude < min) {
			*errstr = "too small";
			return -1;
		}
		*out = (int64_t)magnitude;
	}
	*errstr = NULL;
	return 0;
}

/*
 * Reads a boolean the way forms and query strings send one.  Returns 0 with
 * *out set to 1 or 0, or -1 if the text is none of the accepted words.
 */
int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "1", "on", "yes" };
	static const char *const no[] = { "false", "0", "off", "no" };
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* The value of hexadecimal digit `c` (see validate.h). */
int
hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes lowercase hex digits into bytes (see validate.h); an uppercase
 * digit is refused, since digests are only ever written in lowercase.
 */
int
hex_decode_lower(const char *hex, unsigned char *out, size_t len)
{
	size_t	i;
	int	c, value;

	for (i = 0; i < 2 * len; i++) {
		c = (unsigned char)hex[i];
		if ((c >= 'A' && c <= 'F') || (value = hex_digit_value(c)) == -1)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(value << 4);
		else
			out[i / 2] |= (unsigned char)value;
	}
	return 0;
}

/*
 * Where to cut string `s` to at most `max` bytes without splitting a
 * UTF-8 sequence (validate.h).  Used for messages stored in columns of a
 * fixed size (jobs.error, notifications.last_error).
 */
size_t
utf8_prefix_length(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}
