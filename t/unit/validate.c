/*
 * validate.c - unit tests for lib/validate.c: one check per rule of SPEC.md
 * section 3, UTF-8 corner cases and range-checked integer parsing.
 */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "validate.h"

/* Runs validator `fn` on a C string; 1 if it accepted the value. */
#define VALID(fn, s)		((fn)((s), strlen(s)) == NULL)
/* The same on `len` bytes, for values holding NUL bytes. */
#define VALID_LEN(fn, s, len)	((fn)((s), (len)) == NULL)

/* Builds a string of `count` copies of `c` in `out` (count + 1 bytes). */
static const char *
repeat(char *out, char c, size_t count)
{
	memset(out, c, count);
	out[count] = '\0';
	return out;
}

/* One DNS label, lower case only, 1-63 bytes. */
static void
test_subdomain(void)
{
	char	long_label[80];

	ok(VALID(validate_subdomain, "acme"), "subdomain: acme");
	ok(VALID(validate_subdomain, "a"), "subdomain: one letter");
	ok(VALID(validate_subdomain, "7"), "subdomain: one digit");
	ok(VALID(validate_subdomain, "a-b-c"), "subdomain: inner hyphens");
	ok(VALID(validate_subdomain, "a--b"), "subdomain: double hyphen");
	ok(VALID(validate_subdomain, "123abc"), "subdomain: leading digits");
	ok(VALID(validate_subdomain, repeat(long_label, 'a', 63)),
	    "subdomain: 63 characters");
	ok(!VALID(validate_subdomain, repeat(long_label, 'a', 64)),
	    "subdomain: 64 characters refused");
	ok(!VALID(validate_subdomain, ""), "subdomain: empty refused");
	is_string(validate_subdomain("Acme", 4), "must be lower case",
	    "subdomain: upper case refused, not lowered");
	ok(!VALID(validate_subdomain, "-acme"), "subdomain: leading hyphen");
	ok(!VALID(validate_subdomain, "acme-"), "subdomain: trailing hyphen");
	ok(!VALID(validate_subdomain, "-"), "subdomain: just a hyphen");
	ok(!VALID(validate_subdomain, "ac_me"), "subdomain: underscore");
	ok(!VALID(validate_subdomain, "ac.me"), "subdomain: dot");
	ok(!VALID(validate_subdomain, "ac me"), "subdomain: space");
	ok(!VALID(validate_subdomain, "acm\xc3\xa9"), "subdomain: non-ASCII");
	ok(!VALID_LEN(validate_subdomain, "ac\0me", 5), "subdomain: NUL byte");
	ok(VALID_LEN(validate_subdomain, "acme-corp", 4),
	    "subdomain: length is respected, not strlen");
}

/* Lower-case host names: labels joined by dots, at most 253 bytes. */
static void
test_hostname(void)
{
	char	name[300];
	size_t	i;

	ok(VALID(validate_hostname, "acme.localhost"), "hostname: two labels");
	ok(VALID(validate_hostname, "localhost"), "hostname: one label");
	ok(VALID(validate_hostname, "a.b-c.example.com"),
	    "hostname: four labels");
	ok(!VALID(validate_hostname, ""), "hostname: empty refused");
	ok(!VALID(validate_hostname, "Acme.localhost"),
	    "hostname: upper case refused");
	ok(!VALID(validate_hostname, "acme.localhost."),
	    "hostname: trailing dot refused");
	ok(!VALID(validate_hostname, ".acme"), "hostname: leading dot refused");
	ok(!VALID(validate_hostname, "a..b"), "hostname: empty label refused");
	ok(!VALID(validate_hostname, "acme.localhost:443"),
	    "hostname: port refused");
	ok(!VALID(validate_hostname, "[::1]"), "hostname: IPv6 refused");
	ok(!VALID_LEN(validate_hostname, "a\0b.c", 5),
	    "hostname: NUL byte refused");
	for (i = 0; i < 253; i++)
		name[i] = i % 2 == 0 ? 'a' : '.';
	name[253] = '\0';
	ok(VALID(validate_hostname, name), "hostname: 253 bytes accepted");
	name[253] = 'a';
	name[254] = '\0';
	ok(!VALID(validate_hostname, name), "hostname: 254 bytes refused");
}

/* Names: 1-200 code points of UTF-8, no control characters. */
static void
test_name(void)
{
	char	name[1024];
	size_t	i;

	ok(VALID(validate_name, "Acme Corp"), "name: plain");
	ok(VALID(validate_name, "A"), "name: one character");
	ok(VALID(validate_name, "Caf\xc3\xa9 M\xc3\xbcller & S\xc3\xb6hne"),
	    "name: accented letters");
	ok(VALID(validate_name, "\xe6\x97\xa5\xe6\x9c\xac"), "name: CJK");
	ok(VALID(validate_name, "\xf0\x9f\x9a\x80 Rocket"), "name: emoji");
	ok(VALID(validate_name, " Acme "), "name: surrounding spaces allowed");
	ok(!VALID(validate_name, ""), "name: empty refused");
	is_string(validate_name("   ", 3), "must not be only spaces",
	    "name: only spaces refused");
	ok(!VALID(validate_name, "Ac\tme"), "name: tab refused");
	ok(!VALID(validate_name, "Ac\nme"), "name: newline refused");
	ok(!VALID(validate_name, "Ac\rme"), "name: CR refused");
	ok(!VALID(validate_name, "\x1f"), "name: unit separator refused");
	ok(!VALID(validate_name, "Ac\x7fme"), "name: DEL refused");
	ok(!VALID(validate_name, "Ac\xc2\x85me"), "name: C1 NEL refused");
	ok(VALID(validate_name, "Ac\xc2\xa0me"), "name: no-break space ok");
	ok(!VALID_LEN(validate_name, "Ac\0me", 5), "name: NUL refused");
	is_string(validate_name("Ac\xffme", 5), "must be valid UTF-8",
	    "name: invalid UTF-8 refused");
	ok(!VALID(validate_name, "\xc3"), "name: truncated sequence refused");

	ok(VALID(validate_name, repeat(name, 'x', 200)),
	    "name: 200 characters");
	ok(!VALID(validate_name, repeat(name, 'x', 201)),
	    "name: 201 characters refused");
	/* 200 two-byte characters are 400 bytes but 200 characters. */
	for (i = 0; i < 200; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	ok(VALID_LEN(validate_name, name, 400),
	    "name: 200 multibyte characters (counts code points)");
	memcpy(name + 400, "\xc3\xa9", 2);
	ok(!VALID_LEN(validate_name, name, 402),
	    "name: 201 multibyte characters refused");
	for (i = 0; i < 200; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
	ok(VALID_LEN(validate_name, name, 800),
	    "name: 200 four-byte characters");
}

/* E-mail plausibility: local part, domain labels, TLD, lengths. */
static void
test_email(void)
{
	char	long_address[300];

	ok(VALID(validate_email, ""), "email: empty is valid");
	ok(VALID(validate_email, "a@acme.com"), "email: simple");
	ok(VALID(validate_email, "first.last+tag@mail.acme.co.uk"),
	    "email: dots, plus, subdomains");
	ok(VALID(validate_email, "o'brien@acme.io"), "email: apostrophe");
	ok(VALID(validate_email, "a@my-host.acme.com"), "email: hyphen");
	ok(VALID(validate_email, "A@ACME.COM"), "email: upper case");
	ok(!VALID(validate_email, "acme.com"), "email: no @");
	ok(!VALID(validate_email, "a@b@acme.com"), "email: two @");
	ok(!VALID(validate_email, "@acme.com"), "email: empty local part");
	ok(!VALID(validate_email, "a@"), "email: empty domain");
	ok(!VALID(validate_email, "a@localhost"), "email: domain without dot");
	ok(!VALID(validate_email, "a@acme.c"), "email: one-letter TLD");
	ok(!VALID(validate_email, "a@acme.c0m"), "email: digit in TLD");
	ok(!VALID(validate_email, "a@acme..com"), "email: empty label");
	ok(!VALID(validate_email, "a@.acme.com"), "email: domain dot first");
	ok(!VALID(validate_email, "a@acme.com."), "email: trailing dot");
	ok(!VALID(validate_email, "a@-acme.com"), "email: label starts with -");
	ok(!VALID(validate_email, "a@acme-.com"), "email: label ends with -");
	ok(!VALID(validate_email, "a@ac_me.com"), "email: underscore");
	ok(!VALID(validate_email, "a b@acme.com"), "email: space");
	ok(!VALID(validate_email, "\"a\"@acme.com"), "email: quotes");
	ok(!VALID(validate_email, "a<b>@acme.com"), "email: angle brackets");
	ok(!VALID(validate_email, "a(b)@acme.com"), "email: parentheses");
	ok(!VALID(validate_email, "a,b@acme.com"), "email: comma");
	ok(!VALID(validate_email, "a;b@acme.com"), "email: semicolon");
	ok(!VALID(validate_email, "a:b@acme.com"), "email: colon");
	ok(!VALID(validate_email, "a\tb@acme.com"), "email: tab");
	ok(!VALID(validate_email, "\xc3\xa9@acme.com"), "email: non-ASCII");
	ok(!VALID(validate_email, ".a@acme.com"), "email: leading dot");
	ok(!VALID(validate_email, "a.@acme.com"), "email: trailing dot local");
	ok(!VALID(validate_email, "a..b@acme.com"), "email: double dot local");
	ok(!VALID_LEN(validate_email, "a\0@acme.com", 11), "email: NUL byte");
	ok(!VALID(validate_email, "a@acme.com\n"), "email: trailing newline");

	repeat(long_address, 'a', 64);
	strcpy(long_address + 64, "@acme.com");
	ok(VALID(validate_email, long_address), "email: 64-byte local part");
	repeat(long_address, 'a', 65);
	strcpy(long_address + 65, "@acme.com");
	ok(!VALID(validate_email, long_address), "email: 65-byte local part");

	/* 254 bytes in all: local 60 + '@' + 3 labels of 60 + ".com" ... */
	repeat(long_address, 'a', 60);
	long_address[60] = '@';
	repeat(long_address + 61, 'b', 63);
	long_address[124] = '.';
	repeat(long_address + 125, 'c', 63);
	long_address[188] = '.';
	repeat(long_address + 189, 'd', 61);
	strcpy(long_address + 250, ".com");
	is_int((long long)strlen(long_address), 254, "email: built 254 bytes");
	ok(VALID(validate_email, long_address), "email: 254 bytes accepted");
	strcpy(long_address + 250, ".comx");
	is_string(validate_email(long_address, strlen(long_address)),
	    "must be at most 254 characters", "email: 255 bytes refused");
	repeat(long_address, 'a', 10);
	long_address[10] = '@';
	repeat(long_address + 11, 'b', 64);
	strcpy(long_address + 75, ".com");
	ok(!VALID(validate_email, long_address),
	    "email: 64-byte label refused");
}

/* "#rrggbb" colors. */
static void
test_color(void)
{
	ok(VALID(validate_color, "#3498db"), "color: lower hex");
	ok(VALID(validate_color, "#3498DB"), "color: upper hex");
	ok(VALID(validate_color, "#000000"), "color: black");
	ok(!VALID(validate_color, "3498db"), "color: no #");
	ok(!VALID(validate_color, "#3498d"), "color: 5 digits");
	ok(!VALID(validate_color, "#3498dbb"), "color: 7 digits");
	ok(!VALID(validate_color, "#fff"), "color: short form refused");
	ok(!VALID(validate_color, "#3498dg"), "color: non-hex");
	ok(!VALID(validate_color, ""), "color: empty");
	ok(!VALID(validate_color, "red"), "color: name refused");
	ok(!VALID_LEN(validate_color, "#3498\0b", 7), "color: NUL byte");
	is_string(validate_color("x", 1), "must be a #rrggbb color",
	    "color: message");
}

/* Module keys: 1-50 of [a-z0-9_]. */
static void
test_module_key(void)
{
	char	key[64];

	ok(VALID(validate_module_key, "employees"), "module key: plain");
	ok(VALID(validate_module_key, "time_off2"), "module key: _ and digit");
	ok(VALID(validate_module_key, repeat(key, 'k', 50)), "module key: 50");
	ok(!VALID(validate_module_key, repeat(key, 'k', 51)), "module key: 51");
	ok(!VALID(validate_module_key, ""), "module key: empty");
	ok(!VALID(validate_module_key, "Employees"), "module key: upper case");
	ok(!VALID(validate_module_key, "time-off"), "module key: hyphen");
	ok(!VALID(validate_module_key, "a b"), "module key: space");
	ok(!VALID_LEN(validate_module_key, "ab\0", 3), "module key: NUL");
}

/* User names: 1-64 of [A-Za-z0-9_.@-]. */
static void
test_username(void)
{
	char	name[80];

	ok(VALID(validate_username, "admin"), "username: plain");
	ok(VALID(validate_username, "Jane.Doe-2_x@acme"),
	    "username: all allowed punctuation");
	ok(VALID(validate_username, repeat(name, 'u', 64)), "username: 64");
	ok(!VALID(validate_username, repeat(name, 'u', 65)), "username: 65");
	ok(!VALID(validate_username, ""), "username: empty");
	ok(!VALID(validate_username, "jane doe"), "username: space");
	ok(!VALID(validate_username, "jane/doe"), "username: slash");
	ok(!VALID(validate_username, "j\xc3\xa1ne"), "username: non-ASCII");
	ok(!VALID_LEN(validate_username, "jane\0", 5), "username: NUL byte");
}

/* Strict UTF-8: boundaries of each width, overlongs, surrogates, truncation. */
static void
test_utf8(void)
{
	is_int(utf8_length("", 0), 0, "utf8: empty is 0");
	is_int(utf8_length("abc", 3), 3, "utf8: ASCII");
	is_int(utf8_length("\xc2\x80", 2), 1, "utf8: U+0080 (smallest 2-byte)");
	is_int(utf8_length("\xdf\xbf", 2), 1, "utf8: U+07FF");
	is_int(utf8_length("\xe0\xa0\x80", 3), 1, "utf8: U+0800");
	is_int(utf8_length("\xef\xbf\xbf", 3), 1, "utf8: U+FFFF");
	is_int(utf8_length("\xed\x9f\xbf", 3), 1, "utf8: U+D7FF");
	is_int(utf8_length("\xee\x80\x80", 3), 1, "utf8: U+E000");
	is_int(utf8_length("\xf0\x90\x80\x80", 4), 1, "utf8: U+10000");
	is_int(utf8_length("\xf4\x8f\xbf\xbf", 4), 1, "utf8: U+10FFFF");
	is_int(utf8_length("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 4,
	    "utf8: mixed widths");

	is_int(utf8_length("a\0b", 3), -1, "utf8: NUL refused");
	is_int(utf8_length("\xc0\x80", 2), -1, "utf8: overlong NUL");
	is_int(utf8_length("\xc1\xbf", 2), -1, "utf8: overlong 2-byte");
	is_int(utf8_length("\xe0\x9f\xbf", 3), -1, "utf8: overlong 3-byte");
	is_int(utf8_length("\xf0\x8f\xbf\xbf", 4), -1, "utf8: overlong 4-byte");
	is_int(utf8_length("\xed\xa0\x80", 3), -1, "utf8: U+D800 surrogate");
	is_int(utf8_length("\xed\xbf\xbf", 3), -1, "utf8: U+DFFF surrogate");
	is_int(utf8_length("\xf4\x90\x80\x80", 4), -1, "utf8: U+110000");
	is_int(utf8_length("\xf5\x80\x80\x80", 4), -1, "utf8: F5 lead byte");
	is_int(utf8_length("\xff", 1), -1, "utf8: FF byte");
	is_int(utf8_length("\x80", 1), -1, "utf8: lone continuation");
	is_int(utf8_length("\xc3", 1), -1, "utf8: truncated 2-byte");
	is_int(utf8_length("\xe2\x82", 2), -1, "utf8: truncated 3-byte");
	is_int(utf8_length("\xf0\x9f\x98", 3), -1, "utf8: truncated 4-byte");
	is_int(utf8_length("\xc3\x28", 2), -1, "utf8: bad continuation");
	is_int(utf8_length("\xe2\x28\xa1", 3), -1, "utf8: bad 2nd of 3");
	is_int(utf8_length("\xe2\x82\x28", 3), -1, "utf8: bad 3rd of 3");
	is_int(utf8_length("\xc3\xa9", 1), -1,
	    "utf8: length cuts a sequence");
}

/* parse_int64(): signs, junk, ranges, INT64 limits and overflow. */
static void
test_parse_int64(void)
{
	const char	*errstr;
	int64_t		 v;

	v = 0;
	is_int(parse_int64("42", 0, 100, &v, &errstr), 0, "int: 42");
	is_int(v, 42, "int: value 42");
	ok(errstr == NULL, "int: errstr NULL on success");
	is_int(parse_int64("0", 0, 100, &v, &errstr), 0, "int: 0");
	is_int(parse_int64("007", 0, 100, &v, &errstr), 0, "int: leading 0s");
	is_int(v, 7, "int: 007 is 7");
	is_int(parse_int64("100", 0, 100, &v, &errstr), 0, "int: max");
	is_int(parse_int64("101", 0, 100, &v, &errstr), -1, "int: max + 1");
	is_string(errstr, "too large", "int: too large");
	is_int(parse_int64("5", 10, 100, &v, &errstr), -1, "int: below min");
	is_string(errstr, "too small", "int: too small");
	is_int(parse_int64("-5", -10, 10, &v, &errstr), 0, "int: negative");
	is_int(v, -5, "int: value -5");
	is_int(parse_int64("-11", -10, 10, &v, &errstr), -1, "int: < min");
	is_string(errstr, "too small", "int: negative too small");
	is_int(parse_int64("-5", 0, 10, &v, &errstr), -1,
	    "int: sign when min >= 0");
	is_string(errstr, "invalid", "int: sign is invalid then");
	is_int(parse_int64("+5", 0, 10, &v, &errstr), -1, "int: plus sign");
	is_string(errstr, "invalid", "int: plus is invalid");
	is_int(parse_int64("", 0, 10, &v, &errstr), -1, "int: empty");
	is_string(errstr, "invalid", "int: empty is invalid");
	is_int(parse_int64("-", -10, 10, &v, &errstr), -1, "int: lone minus");
	is_int(parse_int64(" 5", 0, 10, &v, &errstr), -1, "int: leading space");
	is_int(parse_int64("5 ", 0, 10, &v, &errstr), -1, "int: space after");
	is_int(parse_int64("5x", 0, 10, &v, &errstr), -1, "int: trailing junk");
	is_int(parse_int64("0x10", 0, 100, &v, &errstr), -1, "int: hex");
	is_int(parse_int64("1e3", 0, 10000, &v, &errstr), -1, "int: exponent");
	is_int(parse_int64("1.0", 0, 10, &v, &errstr), -1, "int: fraction");
	is_int(parse_int64(NULL, 0, 10, &v, &errstr), -1, "int: NULL");
	is_int(parse_int64("5", 10, 0, &v, &errstr), -1, "int: min > max");
	is_string(errstr, "invalid", "int: min > max is invalid");

	is_int(parse_int64("9223372036854775807", INT64_MIN, INT64_MAX, &v,
	    &errstr), 0, "int: INT64_MAX");
	ok(v == INT64_MAX, "int: value INT64_MAX");
	is_int(parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &v,
	    &errstr), 0, "int: INT64_MIN");
	ok(v == INT64_MIN, "int: value INT64_MIN");
	is_int(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v,
	    &errstr), -1, "int: INT64_MAX + 1");
	is_string(errstr, "too large", "int: overflow is too large");
	is_int(parse_int64("-9223372036854775809", INT64_MIN, INT64_MAX, &v,
	    &errstr), -1, "int: INT64_MIN - 1");
	is_string(errstr, "too small", "int: underflow is too small");
	is_int(parse_int64("99999999999999999999999999", 0, 10, &v, &errstr),
	    -1, "int: far overflow");
	is_string(errstr, "too large", "int: far overflow is too large");
	is_int(parse_int64("99999999999999999999x", 0, 10, &v, &errstr), -1,
	    "int: overflow then junk");
	is_string(errstr, "invalid", "int: junk wins over overflow");
	v = 77;
	parse_int64("abc", 0, 10, &v, &errstr);
	is_int(v, 77, "int: output untouched on failure");
	is_int(parse_int64("3", 0, 10, &v, NULL), 0, "int: NULL errstr ok");
}

/* The eight boolean spellings and near misses. */
static void
test_parse_bool(void)
{
	static const char *const yes[] = { "true", "1", "on", "yes" };
	static const char *const no[] = { "false", "0", "off", "no" };
	static const char *const bad[] = { "", "TRUE", "y", "2", " true",
	    "true ", "nope", "of" };
	size_t	i;
	int	value;

	for (i = 0; i < 4; i++) {
		value = -1;
		ok(parse_bool(yes[i], &value) == 0 && value == 1,
		    "bool: \"%s\" is true", yes[i]);
		value = -1;
		ok(parse_bool(no[i], &value) == 0 && value == 0,
		    "bool: \"%s\" is false", no[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse_bool(bad[i], &value), -1, bad[i]);
	is_int(parse_bool(NULL, &value), -1, "bool: NULL");
}

/*
 * Hex digits: hex_digit_value() takes either case (percent escapes),
 * hex_decode_lower() only lowercase (digests) and stops at the first
 * byte that is no digit, a NUL included.
 */
static void
test_hex(void)
{
	static const unsigned char	expected[4] = { 0x01, 0xab, 0xcd, 0xef };
	unsigned char			out[4];

	is_int(hex_digit_value('0'), 0, "hex: 0");
	is_int(hex_digit_value('9'), 9, "hex: 9");
	is_int(hex_digit_value('a'), 10, "hex: a");
	is_int(hex_digit_value('F'), 15, "hex: F");
	is_int(hex_digit_value('g'), -1, "hex: g refused");
	is_int(hex_digit_value('\0'), -1, "hex: NUL refused");
	memset(out, 0, sizeof(out));
	ok(hex_decode_lower("01abcdef", out, sizeof(out)) == 0 &&
	    memcmp(out, expected, sizeof(out)) == 0, "hex: 01abcdef decoded");
	is_int(hex_decode_lower("01ABcdef", out, sizeof(out)), -1,
	    "hex: uppercase refused in a digest");
	is_int(hex_decode_lower("01abcd", out, sizeof(out)), -1,
	    "hex: a short string stops at its NUL");
	is_int(hex_decode_lower("01abcdeg", out, sizeof(out)), -1,
	    "hex: a non-digit refused");
}

/* Runs every validation test; the exit status says whether all passed. */
/* asset_base_url: what may go into HTML attributes and a CSP unescaped. */
static void
test_asset_base_url(void)
{
	static const char *const good[] = {
		"https://cdn.example.com", "https://cdn.example.com/t",
		"http://127.0.0.1:8081/t", "https://a-b.example.com/x/y_z~.1",
		"https://cdn.example.com:443"
	};
	static const char *const bad[] = {
		"", "cdn.example.com/t", "javascript:alert(1)",
		"data:text/html,x", "ftp://cdn.example.com", "//cdn.example.com",
		"https://", "https:///t", "https://cdn.example.com/t?v=1",
		"https://cdn.example.com/t#x", "https://user@cdn.example.com",
		"https://user:pw@cdn.example.com/t", "https://cdn.example.com/\"x",
		"https://cdn.example.com/<t>", "https://cdn.example.com/a b",
		"https://cdn.example.com/t'", "https://CDN.example.com",
		"https://cdn.example.com/t/", "https://cdn.example.com//t",
		"https://cdn.example.com/./t", "https://cdn.example.com/t/..",
		"https://cdn.example.com/%2e", "https://.example.com",
		"https://cdn.example.com:0", "https://cdn.example.com:65536",
		"https://cdn.example.com:", "https://cdn.example.com:80x",
		"https://[::1]/t", "https://cdn.example.com;/t",
		"https://cdn.example.com/t;x", "https://cdn.example.com/t,x"
	};
	char	long_url[5001];
	size_t	i, origin_len = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(validate_asset_base_url(good[i], strlen(good[i]), NULL) ==
		    NULL, "asset_base_url accepts %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(validate_asset_base_url(bad[i], strlen(bad[i]), NULL) !=
		    NULL, "asset_base_url refuses \"%s\"", bad[i]);
	ok(validate_asset_base_url("https://cdn.example.com/t\0x", 27,
	    NULL) != NULL, "asset_base_url refuses a NUL byte");
	ok(validate_asset_base_url("http://8:9\0@", 12, NULL) != NULL,
	    "asset_base_url refuses a NUL byte in the port");
	memcpy(long_url, "https://cdn.example.com/", 24);
	repeat(long_url + 24, 'a', sizeof(long_url) - 25);
	ok(validate_asset_base_url(long_url, strlen(long_url), NULL) != NULL,
	    "asset_base_url refuses 5000 bytes");
	ok(validate_asset_base_url(long_url, ASSET_BASE_URL_MAX, NULL) ==
	    NULL, "asset_base_url accepts %d bytes", ASSET_BASE_URL_MAX);
	ok(validate_asset_base_url("http://127.0.0.1:8081/t/u", 25,
	    &origin_len) == NULL && origin_len == 21,
	    "the origin of http://127.0.0.1:8081/t/u is its first 21 bytes");
	ok(validate_asset_base_url("https://cdn.example.com", 23,
	    &origin_len) == NULL && origin_len == 23,
	    "a base without a path is its own origin");
}

int
main(void)
{
	test_subdomain();
	test_hostname();
	test_name();
	test_email();
	test_color();
	test_module_key();
	test_username();
	test_utf8();
	test_parse_int64();
	test_parse_bool();
	test_hex();
	test_asset_base_url();
	done_testing();
	return exit_status();
}
