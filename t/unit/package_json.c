/*
 * package_json.c - unit tests for lib/package_json.c: the default file is
 * byte for byte what tenantd wrote before; a template's package.json gets
 * `name` and `description` replaced in place (or added first), every other
 * member kept in order with numbers as their text and strings re-escaped;
 * the tenant name comes out as an exact JSON string whatever it holds; and
 * hostile input (not an object, truncated, invalid UTF-8, lone surrogates,
 * too deep, too many values, too long) is refused with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "package_json.h"
#include "tap.h"

/* What project_files_write() wrote for package.json before this module. */
#define DEFAULT_ACME \
	"{\n    \"name\": \"acme-app\",\n    \"version\": \"1.0.0\",\n" \
	"    \"private\": true,\n" \
	"    \"description\": \"Application for Acme Inc\"\n}\n"
#define DEFAULT_QUOTE \
	"{\n    \"name\": \"quote-app\",\n    \"version\": \"1.0.0\",\n" \
	"    \"private\": true,\n    \"description\": \"Application for " \
	"Q \\\"x\\\" \\\\ y \xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\"\n}\n"
#define DEFAULT_TAB \
	"{\n    \"name\": \"ctl-app\",\n    \"version\": \"1.0.0\",\n" \
	"    \"private\": true,\n" \
	"    \"description\": \"Application for a\\tb\"\n}\n"

/*
 * Customises `len` bytes of `text` for subdomain "acme" and tenant name
 * `tenant` into `out` (emptied first).  Returns the function's result.
 */
static int
customise_len(const char *text, size_t len, const char *tenant,
    struct buf *out, char *err, size_t errlen)
{
	buf_reset(out);
	err[0] = '\0';
	return package_json_customise(text, len, "acme", tenant, out, err,
	    errlen);
}

/* customise_len() of a C string with tenant name "Acme". */
static int
customise(const char *text, struct buf *out, char *err, size_t errlen)
{
	return customise_len(text, strlen(text), "Acme", out, err, errlen);
}

/* Customising `text` gives exactly `expected`. */
static void
gives(const char *text, const char *expected, const char *name)
{
	struct buf	out;
	char		err[256];

	buf_init(&out, BUF_NO_LIMIT);
	if (!is_int(customise(text, &out, err, sizeof(err)), 0, name))
		diag("%s", err);
	is_string(out.data, expected, name);
	buf_release(&out);
}

/* Customising `text` succeeds (its output is not looked at). */
static void
taken(const char *text, const char *name)
{
	struct buf	out;
	char		err[256];

	buf_init(&out, BUF_NO_LIMIT);
	if (!is_int(customise(text != NULL ? text : "", &out, err,
	    sizeof(err)), 0, name))
		diag("%s", err);
	buf_release(&out);
}

/*
 * Customising `len` bytes of `text` is refused with a message holding
 * `expected`, and leaves the output empty.
 */
static void
refused_len(const char *text, size_t len, const char *expected,
    const char *name)
{
	struct buf	out;
	char		err[256];

	buf_init(&out, BUF_NO_LIMIT);
	is_int(customise_len(text, len, "Acme", &out, err, sizeof(err)), -1,
	    name);
	if (!ok(strstr(err, expected) != NULL && out.len == 0,
	    "%s: says \"%s\", writes nothing", name, expected))
		diag("message: %s", err);
	buf_release(&out);
}

/* refused_len() of a C string. */
static void
refused(const char *text, const char *expected, const char *name)
{
	refused_len(text, strlen(text), expected, name);
}

/* `count` copies of `unit` between `head` and `tail`, or NULL. */
static char *
repeated(const char *head, const char *unit, size_t count, const char *tail)
{
	struct buf	b;
	size_t		i;
	char		*s;

	buf_init(&b, BUF_NO_LIMIT);
	buf_append_str(&b, head);
	for (i = 0; i < count; i++)
		buf_append_str(&b, unit);
	buf_append_str(&b, tail);
	if ((s = buf_detach(&b, NULL)) == NULL)
		buf_release(&b);
	return s;
}

/* An object of `levels` levels: {"a": [[...]]}, or NULL. */
static char *
nested(size_t levels)
{
	char	*open, *document = NULL;

	if ((open = repeated("{\"a\": ", "[", levels - 1, "")) == NULL)
		return NULL;
	document = repeated(open, "]", levels - 1, "}");
	free(open);
	return document;
}

/* The default file is what project_files_write() always wrote. */
static void
test_default(void)
{
	struct buf	out;

	buf_init(&out, BUF_NO_LIMIT);
	is_int(package_json_default("acme", "Acme Inc", &out), 0,
	    "default: written");
	is_string(out.data, DEFAULT_ACME, "default: today's bytes");
	buf_reset(&out);
	package_json_default("quote", "Q \"x\" \\ y \xc3\xa9 \xe6\x97\xa5"
	    "\xe6\x9c\xac", &out);
	is_string(out.data, DEFAULT_QUOTE,
	    "default: quotes, backslash and UTF-8 as before");
	buf_reset(&out);
	package_json_default("ctl", "a\tb", &out);
	is_string(out.data, DEFAULT_TAB, "default: a tab escaped as before");

	buf_reset(&out);
	buf_append_str(&out, "kept");
	package_json_default("acme", "Acme Inc", &out);
	ok(strncmp(out.data, "kept{", 5) == 0, "default: appends to out");

	buf_reset(&out);
	errno = 0;
	is_int(package_json_default("Not_A_Subdomain", "x", &out), -1,
	    "default: a bad subdomain is refused");
	is_int(errno, EINVAL, "default: ... with EINVAL");
	errno = 0;
	is_int(package_json_default("acme", "bad \xff UTF-8", &out), -1,
	    "default: a tenant name of invalid UTF-8 is refused");
	is_int(errno, EINVAL, "default: ... with EINVAL");
	buf_release(&out);

	buf_init(&out, 40);
	buf_append_str(&out, "prefix");
	errno = 0;
	is_int(package_json_default("acme", "Acme Inc", &out), -1,
	    "default: refused when out would pass its limit");
	is_int(errno, ENOBUFS, "default: ... with ENOBUFS");
	is_string(out.data, "prefix", "default: ... and out is as it was");
	buf_release(&out);
}

/* name and description are replaced in place; the rest is kept in order. */
static void
test_members(void)
{
	gives("{\"version\": \"2.0.0\", \"name\": \"next-app\", "
	    "\"private\": true, \"description\": \"old\", \"scripts\": "
	    "{\"dev\": \"next dev\"}}",
	    "{\n  \"version\": \"2.0.0\",\n  \"name\": \"acme-app\",\n"
	    "  \"private\": true,\n  \"description\": \"Application for Acme\","
	    "\n  \"scripts\": {\n    \"dev\": \"next dev\"\n  }\n}\n",
	    "members: replaced in place, the rest kept in order");
	gives("{\"version\": \"1\"}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n"
	    "  \"version\": \"1\"\n}\n",
	    "members: both absent, added first, name then description");
	gives("{}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\"\n}\n",
	    "members: an empty object gets both");
	gives("{\"a\": 1, \"description\": \"d\"}",
	    "{\n  \"name\": \"acme-app\",\n  \"a\": 1,\n"
	    "  \"description\": \"Application for Acme\"\n}\n",
	    "members: a missing name is added first, description in place");
	gives("{\"name\": 1, \"b\": 2, \"name\": [\"x\"]}",
	    "{\n  \"description\": \"Application for Acme\",\n"
	    "  \"name\": \"acme-app\",\n  \"b\": 2,\n"
	    "  \"name\": \"acme-app\"\n}\n",
	    "members: every name is replaced, duplicates too");
	gives("{\"description\": {\"deep\": [1, {\"x\": []}]}, \"z\": 0}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n  \"z\": 0\n}\n",
	    "members: an old value of any type is dropped whole");
	gives("{\"repository\": {\"name\": \"x\", \"description\": \"y\"}}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n"
	    "  \"repository\": {\n    \"name\": \"x\",\n"
	    "    \"description\": \"y\"\n  }\n}\n",
	    "members: nested name and description are not touched");
	gives("{\"Name\": 1, \"name \": 2, \"nam\\u0065\": 3}",
	    "{\n  \"description\": \"Application for Acme\",\n"
	    "  \"Name\": 1,\n  \"name \": 2,\n  \"name\": \"acme-app\"\n}\n",
	    "members: names compare exactly, after unescaping");
	gives("{\"keywords\": [], \"o\": {}, \"n\": [[], {}, [1]]}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n"
	    "  \"keywords\": [],\n  \"o\": {},\n  \"n\": [\n    [],\n"
	    "    {},\n    [\n      1\n    ]\n  ]\n}\n",
	    "members: empty arrays and objects stay on one line");
}

/* Values come out exactly: numbers as their text, strings re-escaped. */
static void
test_values(void)
{
	gives("{\"a\": 1.0, \"b\": 1e400, \"c\": -0, \"d\": "
	    "123456789012345678901234567890, \"e\": 2E-7, \"f\": null, "
	    "\"g\": false}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n"
	    "  \"a\": 1.0,\n  \"b\": 1e400,\n  \"c\": -0,\n"
	    "  \"d\": 123456789012345678901234567890,\n  \"e\": 2E-7,\n"
	    "  \"f\": null,\n  \"g\": false\n}\n",
	    "values: numbers keep their text, huge ones too");
	gives("{\"s\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0001 \\u00e9 "
	    "\\ud83d\\ude00 \xe6\x97\xa5\"}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n"
	    "  \"s\": \"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001 \xc3\xa9 "
	    "\xf0\x9f\x98\x80 \xe6\x97\xa5\"\n}\n",
	    "values: strings re-escaped, escapes decoded to UTF-8");
	gives("{\"nul\": \"a\\u0000b\", \"k\\u0000\": 1}",
	    "{\n  \"name\": \"acme-app\",\n"
	    "  \"description\": \"Application for Acme\",\n"
	    "  \"nul\": \"a\\u0000b\",\n  \"k\\u0000\": 1\n}\n",
	    "values: U+0000 inside strings and names is kept, escaped");
}

/* Any tenant name comes out as an exact JSON string. */
static void
test_tenant_name(void)
{
	static const char	 tenant[] = "Q \"quoted\" \\back\\ \x01\x1f\n\t"
	    "\x7f \xc3\xa9 \xf0\x9f\x98\x80 </script>";
	struct json_value	*v;
	const struct json_value	*d;
	struct buf		 out;
	char			 err[256], expected[256];

	buf_init(&out, BUF_NO_LIMIT);
	is_int(customise_len("{\"name\": \"x\"}", 13, tenant, &out, err,
	    sizeof(err)), 0, "tenant name: written");
	v = json_parse(out.data, out.len, err, sizeof(err));
	ok(v != NULL, "tenant name: the output parses");
	d = json_object_get(v, "description");
	snprintf(expected, sizeof(expected), "Application for %s", tenant);
	ok(d != NULL && d->type == JSON_STRING &&
	    d->len == strlen(expected) && memcmp(d->text, expected, d->len) == 0,
	    "tenant name: quotes, backslashes and controls survive exactly");
	ok(strstr(out.data, "\\\"quoted\\\" \\\\back\\\\ \\u0001\\u001F\\n\\t")
	    != NULL, "tenant name: escaped in the text");
	json_free(v);

	is_int(customise_len("{}", 2, "bad \xc0\xaf overlong", &out, err,
	    sizeof(err)), -1, "tenant name: invalid UTF-8 is refused");
	ok(strstr(err, "tenant name") != NULL, "tenant name: ... and named");
	is_int(package_json_customise("{}", 2, "../etc", "x", &out, err,
	    sizeof(err)), -1, "subdomain: not a subdomain is refused");
	ok(strstr(err, "subdomain") != NULL, "subdomain: ... and named");
	buf_release(&out);
}

/* Hostile templates are refused with a message, never a crash. */
static void
test_refusals(void)
{
	char	*text;

	refused("[1, 2]", "not a JSON object", "top level: an array");
	refused("\"name\"", "not a JSON object", "top level: a string");
	refused("12", "not a JSON object", "top level: a number");
	refused("null", "not a JSON object", "top level: null");
	refused("", "malformed JSON", "empty input");
	refused_len(NULL, 0, "malformed JSON", "no input at all");
	refused("{\"name\": \"x\"", "malformed JSON", "truncated object");
	refused("{\"name\": \"x", "malformed JSON", "truncated string");
	refused("{\"a\": 1} {}", "malformed JSON", "trailing garbage");
	refused("{\"a\": 1,}", "malformed JSON", "trailing comma");
	refused("{/* c */}", "malformed JSON", "comments");
	refused("{'a': 1}", "malformed JSON", "single quotes");
	refused("{\"a\": NaN}", "malformed JSON", "NaN");
	refused("{\"a\": 01}", "malformed JSON", "leading zero");
	refused_len("{\"a\": \"x\0y\"}", sizeof("{\"a\": \"x\0y\"}") - 1,
	    "malformed JSON",
	    "a raw NUL byte in a string");
	refused("{\"a\": \"\xff\"}", "UTF", "invalid UTF-8 in a string");
	refused("{\"a\": \"\xc0\xaf\"}", "UTF-8", "an overlong form");
	refused("{\"a\": \"\xed\xa0\x80\"}", "UTF-8",
	    "a surrogate encoded in UTF-8");
	refused("{\"\xf8\x88\x80\x80\x80\": 1}", "UTF",
	    "invalid UTF-8 in a member name");
	refused("{\"a\": \"\\ud800\"}", "surrogate", "a lone high surrogate");
	refused("{\"a\": \"\\udc00x\"}", "surrogate", "a lone low surrogate");
	refused("{\"a\": \"\\ud800\\u0041\"}", "surrogate",
	    "a high surrogate before no low one");

	/* 64 levels, the top object counted, are fine; 65 are not. */
	text = nested(64);
	taken(text, "depth: 64 levels are taken");
	free(text);
	if ((text = nested(65)) != NULL)
		refused(text, "nested deeper than 64 levels",
		    "depth: 65 levels are refused");
	free(text);
	text = repeated("{\"a\": ", "[", 100000, "");
	if (text != NULL)
		refused(text, "nested deeper than 64 levels",
		    "depth: 100000 open brackets are refused, no crash");
	free(text);

	/* 100000 values in all are fine; 100001 are not. */
	text = repeated("{\"a\": [0", ",0", 99997, "]}");
	taken(text, "values: 100000 are taken");
	free(text);
	text = repeated("{\"a\": [0", ",0", 99998, "]}");
	if (text != NULL)
		refused(text, "more than 100000 values",
		    "values: 100001 are refused");
	free(text);

	/* 1 MiB is the most taken. */
	text = repeated("{\"a\": \"", "x", PACKAGE_JSON_INPUT_MAX - 9, "\"}");
	ok(text != NULL && strlen(text) == PACKAGE_JSON_INPUT_MAX,
	    "size: the document is 1 MiB");
	taken(text, "size: 1 MiB is taken");
	free(text);
	text = repeated("{\"a\": \"", "x", PACKAGE_JSON_INPUT_MAX - 8, "\"}");
	if (text != NULL)
		refused(text, "larger than 1 MiB", "size: 1 MiB + 1 is refused");
	free(text);
}

/*
 * The output is bounded by the limit of `out`, appended to what `out`
 * holds, and customising it again changes nothing.
 */
static void
test_output(void)
{
	static const char	text[] = "{\"version\": 1.10, \"files\": "
	    "[\"a\", {\"b\": [true, null, -1e-3]}], \"e\": {}, "
	    "\"s\": \"\\u2028 \\\" \\u0000\"}";
	struct buf		out, again;
	char			err[256];

	buf_init(&out, 64);
	buf_append_str(&out, "prefix");
	is_int(package_json_customise(text, strlen(text), "acme", "Acme",
	    &out, err, sizeof(err)), -1,
	    "output: refused when out would pass its limit");
	is_string(out.data, "prefix", "output: ... and out is as it was");
	ok(strstr(err, "larger than allowed") != NULL,
	    "output: ... with a message saying so");
	buf_release(&out);

	buf_init(&out, BUF_NO_LIMIT);
	buf_append_str(&out, "prefix");
	is_int(package_json_customise(text, strlen(text), "acme", "Acme",
	    &out, err, sizeof(err)), 0, "output: written");
	ok(strncmp(out.data, "prefix{\n", 8) == 0, "output: appended");
	ok(out.len > 0 && out.data[out.len - 1] == '\n' &&
	    out.data[out.len - 2] == '}', "output: ends in a newline");

	buf_init(&again, BUF_NO_LIMIT);
	is_int(package_json_customise(out.data + 6, out.len - 6, "acme",
	    "Acme", &again, err, sizeof(err)), 0, "output: read again");
	is_string(again.data, out.data + 6,
	    "output: customising it again changes nothing");
	buf_release(&again);
	buf_release(&out);
}

int
main(void)
{
	test_default();
	test_members();
	test_values();
	test_tenant_name();
	test_refusals();
	test_output();
	done_testing();
	return exit_status();
}
