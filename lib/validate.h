/*
 * validate.h - the rules for every value a client can send.
 *
 * Each function checks one kind of value and returns NULL when it is valid,
 * or a short English message for the client when it is not ("must be a
 * #rrggbb color").  Messages are static strings; nothing is allocated.
 * The rules are those of SPEC.md section 3; tests in t/unit/validate.c pin
 * them down.
 */
#ifndef TENANTD_VALIDATE_H
#define TENANTD_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#define SUBDOMAIN_MAX	63
#define NAME_MAX_CHARS	200
#define EMAIL_MAX	254
#define MODULE_KEY_MAX	50
#define USERNAME_MAX	64
#define PASSWORD_MIN	8
#define PASSWORD_MAX	1024
#define ASSET_BASE_URL_MAX	256
#define HOSTNAME_MAX	253

/*
 * One DNS label: ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$.  Upper case is an
 * error, not lowered.  Reserved names are checked by the caller (the list is
 * configuration, see conf_is_reserved()).
 */
const char *validate_subdomain(const char *s, size_t len);

/*
 * A lower-case host name: one or more labels that each pass
 * validate_subdomain(), joined by single dots, at most HOSTNAME_MAX bytes;
 * no trailing dot, port, IPv6 brackets or upper case.
 */
const char *validate_hostname(const char *s, size_t len);

/* 1-200 characters of valid UTF-8 without C0 controls (tab included) or DEL. */
const char *validate_name(const char *s, size_t len);

/* Empty, or a plausible address: local@domain.tld, at most 254 bytes. */
const char *validate_email(const char *s, size_t len);

/* "#rrggbb" with hex digits of either case. */
const char *validate_color(const char *s, size_t len);

/* A module key: 1-50 of [a-z0-9_]. */
const char *validate_module_key(const char *s, size_t len);

/* A user name: 1-64 of [A-Za-z0-9_.@-]. */
const char *validate_username(const char *s, size_t len);

/*
 * tenantd.conf's asset_base_url (SPEC 12), which deploys write into the
 * tenant site's HTML attributes and the front ends into a CSP header, so
 * nothing in it may need escaping there: "http://" or "https://", a host
 * of [a-z0-9.-] (no leading or trailing dot or hyphen) with an optional
 * ":port" (1-65535), then an optional path of '/'-separated segments of
 * [A-Za-z0-9._~-], none empty, "." or "..", and no trailing '/'.  No
 * query, fragment, user information, percent-escape, quote or space; at
 * most ASSET_BASE_URL_MAX bytes.  On success, `*origin_len` (when not
 * NULL) is the length of the scheme, host and port: the origin a CSP
 * admits.
 */
const char *validate_asset_base_url(const char *s, size_t len,
	    size_t *origin_len);

/*
 * Is `len` bytes of `s` valid UTF-8 (no overlongs, no surrogates, nothing past
 * U+10FFFF) with no NUL?  Returns the number of code points, or -1.
 */
long	utf8_length(const char *s, size_t len);

/*
 * The length (1 to 4) of the one strict UTF-8 character at the start of
 * `len` bytes of `s`, or 0 when none starts there (a stray or missing
 * continuation byte, an overlong form, a surrogate, past U+10FFFF, NUL).
 */
size_t	utf8_char_length(const char *s, size_t len);

/*
 * The length of the longest prefix of string `s` of at most `max` bytes
 * that does not end inside a UTF-8 sequence: where to cut a message for a
 * column of `max` bytes.
 */
size_t	utf8_prefix_length(const char *s, size_t max);

/*
 * Converts decimal text to an integer in [min, max], like OpenBSD's
 * strtonum(): no sign unless min < 0, no spaces, no trailing bytes.
 * Returns 0, or -1 with *errstr set to "invalid", "too small" or "too large".
 */
int	parse_int64(const char *s, int64_t min, int64_t max, int64_t *out,
	    const char **errstr);

/*
 * Text booleans as forms and query strings send them: "true"/"false",
 * "1"/"0", "on"/"off", "yes"/"no".  Returns 0, or -1 if it is none of them.
 */
int	parse_bool(const char *s, int *out);

/* The value of hexadecimal digit `c` of either case, or -1. */
int	hex_digit_value(int c);

/*
 * Decodes the 2 * `len` lowercase hex digits at `hex` into the `len` bytes
 * of `out`, as digests are written.  Stops at the first byte that is no
 * lowercase hex digit (a NUL included, so a shorter string is safe) and
 * returns -1; returns 0 when all are.
 */
int	hex_decode_lower(const char *hex, unsigned char *out, size_t len);

#endif
