/*
 * form.c - unit tests for lib/form.c: urlencoded, multipart and JSON bodies,
 * content-type dispatch and every limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "json.h"
#include "tap.h"

static char	err[512];

/* The text of the first value of `name`, or NULL. */
/* form_release() in the shape lives_ok() calls. */
static void
release_form(void *f)
{
	form_release(f);
}

static const char *
first(const struct form *f, const char *name)
{
	const struct form_value	*v = form_first(f, name);

	return v == NULL ? NULL : v->data;
}

/* The number of values of field `name` (-1 if absent). */
static long long
count(const struct form *f, const char *name)
{
	const struct form_field	*field = form_get(f, name);

	return field == NULL ? -1 : (long long)field->count;
}

/* Parses a C string as urlencoded text with the default limits. */
static enum result
urlencoded(struct form *f, const char *text)
{
	return form_parse_urlencoded(f, text, strlen(text), NULL, err,
	    sizeof(err));
}

/* %XX and '+' decoding, and malformed escapes. */
static void
test_percent_decode(void)
{
	char	out[64];

	is_int(form_percent_decode("a%20b+c", 7, out, 1), 5, "decode length");
	is_string(out, "a b c", "decode %20 and +");
	is_int(form_percent_decode("a+b", 3, out, 0), 3, "plus kept");
	is_string(out, "a+b", "plus is plus when not a space");
	is_int(form_percent_decode("%41%6a%4A", 9, out, 0), 3, "hex cases");
	is_string(out, "AjJ", "hex of either case");
	is_int(form_percent_decode("%00x", 4, out, 0), 2, "%00 decodes");
	ok(out[0] == '\0' && out[1] == 'x', "%%00 becomes a NUL byte");
	is_int(form_percent_decode("%", 1, out, 0), -1, "lone %");
	is_int(form_percent_decode("%4", 2, out, 0), -1, "% with one digit");
	is_int(form_percent_decode("%4g", 3, out, 0), -1, "% with a non-hex");
	is_int(form_percent_decode("%%41", 4, out, 0), -1, "%% is malformed");
	is_int(form_percent_decode("ab%41", 4, out, 0), -1,
	    "escape cut by the length");
	is_int(form_percent_decode("", 0, out, 0), 0, "empty decodes");
	is_string(out, "", "empty result terminated");
	is_int(form_percent_decode("%E2%82%AC", 9, out, 0), 3, "UTF-8 bytes");
	is_string(out, "\xe2\x82\xac", "euro sign");
}

/* Urlencoded bodies: splitting, decoding, repeats, NULs and limits. */
static void
test_urlencoded(void)
{
	struct form		 f;
	const struct form_field	*field;
	const struct form_value	*v;
	struct form_limits	 limits;
	char			 big[300];

	form_init(&f);
	is_int(urlencoded(&f, "name=Acme+Corp&subdomain=acme&email=a%40b.com"),
	    RESULT_OK, "urlencoded parses");
	is_string(first(&f, "name"), "Acme Corp", "plus is a space");
	is_string(first(&f, "subdomain"), "acme", "plain value");
	is_string(first(&f, "email"), "a@b.com", "%40 decoded");
	v = form_first(&f, "name");
	ok(v != NULL && v->kind == FORM_VALUE_STRING && v->len == 9 &&
	    v->filename == NULL && v->content_type == NULL,
	    "urlencoded values are strings");
	ok(form_get(&f, "missing") == NULL && form_first(&f, "missing") ==
	    NULL, "absent field");
	form_release(&f);
	is_int(f.count, 0, "release empties the form");

	form_init(&f);
	is_int(urlencoded(&f, "module_keys=a&x=1&module_keys=b&module_keys=c"),
	    RESULT_OK, "repeated names");
	is_int(count(&f, "module_keys"), 3, "repeated names append values");
	field = form_get(&f, "module_keys");
	ok(field != NULL && strcmp(field->values[1].data, "b") == 0 &&
	    strcmp(field->values[2].data, "c") == 0, "values keep their order");
	ok(field != NULL && field->from_array == 0, "form fields not arrays");
	is_int(f.count, 2, "two distinct fields");
	form_release(&f);

	form_init(&f);
	is_int(urlencoded(&f, "a=&=b&c&&d=1;e=2&"), RESULT_OK,
	    "empty names, values and pairs");
	is_string(first(&f, "a"), "", "empty value");
	is_string(first(&f, ""), "b", "empty name");
	is_string(first(&f, "c"), "", "pair without '=' has an empty value");
	is_string(first(&f, "d"), "1;e=2", "';' is not a separator");
	is_int(f.count, 4, "empty pairs skipped");
	form_release(&f);

	form_init(&f);
	is_int(urlencoded(&f, "a=1=2&b=%3D"), RESULT_OK, "'=' in values");
	is_string(first(&f, "a"), "1=2", "second '=' belongs to the value");
	is_string(first(&f, "b"), "=", "encoded '='");
	form_release(&f);

	form_init(&f);
	is_int(urlencoded(&f, "na%00me=x"), RESULT_MALFORMED,
	    "NUL byte in a name refused");
	is_string(err, "field name contains a NUL byte", "NUL name message");
	form_release(&f);

	form_init(&f);
	is_int(urlencoded(&f, "name=a%00b"), RESULT_OK,
	    "NUL byte in a value kept");
	v = form_first(&f, "name");
	ok(v != NULL && v->len == 3 && v->data[1] == '\0' && v->data[2] == 'b',
	    "value with NUL keeps its length");
	form_release(&f);

	form_init(&f);
	is_int(urlencoded(&f, "a=1&b=%zz"), RESULT_MALFORMED, "bad escape");
	is_string(err, "malformed %-escape in pair 2 of the form data",
	    "bad escape message names the pair");
	form_release(&f);
	form_init(&f);
	is_int(urlencoded(&f, "a%2=1"), RESULT_MALFORMED, "bad escape in name");
	form_release(&f);

	form_init(&f);
	is_int(form_parse_urlencoded(&f, "a=1&b=2", 3, NULL, err,
	    sizeof(err)), RESULT_OK, "length respected");
	ok(form_get(&f, "b") == NULL && strcmp(first(&f, "a"), "1") == 0,
	    "text past the length ignored");
	is_int(form_parse_urlencoded(&f, NULL, 0, NULL, err, sizeof(err)),
	    RESULT_OK, "empty text");
	form_release(&f);

	/* Limits. */
	limits = form_default_limits;
	limits.max_fields = 3;
	form_init(&f);
	is_int(form_parse_urlencoded(&f, "a=1&a=2&b=3", 11, &limits, err,
	    sizeof(err)), RESULT_OK, "three values at max_fields 3");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_urlencoded(&f, "a=1&a=2&b=3&c=4", 15, &limits, err,
	    sizeof(err)), RESULT_TOO_LARGE, "fourth value refused");
	is_string(err, "more than 3 fields", "field count message");
	form_release(&f);

	limits = form_default_limits;
	limits.max_name_bytes = 4;
	form_init(&f);
	is_int(form_parse_urlencoded(&f, "abcd=1", 6, &limits, err,
	    sizeof(err)), RESULT_OK, "name at the limit");
	is_int(form_parse_urlencoded(&f, "abcde=1", 7, &limits, err,
	    sizeof(err)), RESULT_TOO_LARGE, "name past the limit");
	is_string(err, "field name longer than 4 bytes", "name limit message");
	form_release(&f);

	limits = form_default_limits;
	limits.max_value_bytes = 3;
	form_init(&f);
	is_int(form_parse_urlencoded(&f, "a=%41%42%43", 11, &limits, err,
	    sizeof(err)), RESULT_OK, "decoded length counts, not encoded");
	is_int(form_parse_urlencoded(&f, "name=abcd", 9, &limits, err,
	    sizeof(err)), RESULT_TOO_LARGE, "value past the limit");
	is_string(err, "value of field \"name\" longer than 3 bytes",
	    "value limit message names the field");
	form_release(&f);
	form_init(&f);
	memset(big, 'x', sizeof(big));
	memcpy(big, "%01=", 4);
	is_int(form_parse_urlencoded(&f, big, 10, &limits, err, sizeof(err)),
	    RESULT_TOO_LARGE, "odd field name not quoted");
	is_string(err, "value of a field longer than 3 bytes",
	    "unprintable name left out of the message");
	form_release(&f);

	/* Many fields grow the arrays; default limit is 256. */
	{
		struct buf	b;
		int		i;

		buf_init(&b, BUF_NO_LIMIT);
		for (i = 0; i < 256; i++)
			buf_printf(&b, "%sf%d=%d", i ? "&" : "", i, i);
		form_init(&f);
		is_int(form_parse_urlencoded(&f, b.data, b.len, NULL, err,
		    sizeof(err)), RESULT_OK, "256 distinct fields");
		is_string(first(&f, "f255"), "255", "last of 256 fields");
		is_int(f.count, 256, "256 fields counted");
		form_release(&f);
		buf_append_str(&b, "&f256=x");
		form_init(&f);
		is_int(form_parse_urlencoded(&f, b.data, b.len, NULL, err,
		    sizeof(err)), RESULT_TOO_LARGE, "257 fields refused");
		form_release(&f);
		buf_release(&b);
	}
	is_int(form_default_limits.max_fields, 256, "default max_fields");
	is_int(form_default_limits.max_name_bytes, 256, "default name bytes");
	is_int(form_default_limits.max_value_bytes, 65536,
	    "default value bytes");
	is_int(form_default_limits.max_file_bytes, 2097152,
	    "default file bytes");
}

/* Parses a multipart body given as a C string, with the given limits. */
static enum result
multipart_limited(struct form *f, const char *boundary, const char *body,
    const struct form_limits *limits)
{
	return form_parse_multipart(f, boundary, body, strlen(body), limits,
	    err, sizeof(err));
}

/* Parses a multipart body given as a C string, with the default limits. */
static enum result
multipart(struct form *f, const char *boundary, const char *body)
{
	return multipart_limited(f, boundary, body, NULL);
}

/* Multipart bodies: files and fields, truncation, header and size limits. */
static void
test_multipart(void)
{
	struct form		 f;
	const struct form_value	*v;
	const struct form_field	*field;
	struct form_limits	 limits;
	static const char	 png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	struct buf		 b;
	char			 headers[9000];

	form_init(&f);
	is_int(multipart(&f, "XyZ",
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"name\"\r\n"
	    "\r\n"
	    "Acme Corp\r\n"
	    "--XyZ\r\n"
	    "content-disposition: FORM-DATA; name=subdomain\r\n"
	    "\r\n"
	    "acme\r\n"
	    "--XyZ--\r\n"), RESULT_OK, "simple multipart");
	is_string(first(&f, "name"), "Acme Corp", "quoted name");
	is_string(first(&f, "subdomain"), "acme",
	    "unquoted name, header case ignored");
	v = form_first(&f, "name");
	ok(v != NULL && v->kind == FORM_VALUE_STRING && v->content_type ==
	    NULL && v->filename == NULL, "non-file part is a string");
	form_release(&f);

	/* A file with binary content, fields, repeated names. */
	buf_init(&b, BUF_NO_LIMIT);
	buf_append_str(&b, "preamble to ignore\r\n"
	    "--b0undary\r\n"
	    "Content-Disposition: form-data; name=\"module_keys\"\r\n\r\n"
	    "wallet\r\n"
	    "--b0undary\r\n"
	    "Content-Disposition: form-data; name=\"logo\"; "
	    "filename=\"logo.png\"\r\n"
	    "Content-Type: image/png\r\n\r\n");
	buf_append(&b, png, sizeof(png) - 1);
	buf_append_str(&b, "\r\n--b0undary\r\n"
	    "Content-Disposition: form-data; name=\"module_keys\"\r\n\r\n"
	    "tasks\r\n"
	    "--b0undary--\r\nepilogue to ignore\r\n--b0undary\r\n");
	form_init(&f);
	is_int(form_parse_multipart(&f, "b0undary", b.data, b.len, NULL, err,
	    sizeof(err)), RESULT_OK, "file and fields with preamble, epilogue");
	v = form_first(&f, "logo");
	ok(v != NULL && v->kind == FORM_VALUE_FILE, "file part");
	ok(v != NULL && v->len == sizeof(png) - 1 &&
	    memcmp(v->data, png, sizeof(png) - 1) == 0,
	    "binary content with NULs and CRLFs intact");
	is_string(v ? v->filename : NULL, "logo.png", "filename kept");
	is_string(v ? v->content_type : NULL, "image/png", "part type kept");
	is_int(count(&f, "module_keys"), 2, "repeated names append");
	field = form_get(&f, "module_keys");
	ok(field != NULL && strcmp(field->values[0].data, "wallet") == 0 &&
	    strcmp(field->values[1].data, "tasks") == 0, "repeat order kept");
	form_release(&f);
	buf_release(&b);

	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B\r\n"
	    "Content-Disposition: form-data; name=\"logo\"; filename=\"\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n"
	    "\r\n"
	    "--B\r\n"
	    "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
	    "\r\n"
	    "--B--"), RESULT_OK, "empty file part and empty field");
	v = form_first(&f, "logo");
	ok(v != NULL && v->kind == FORM_VALUE_FILE && v->len == 0,
	    "empty file part is a FILE of length 0");
	is_string(v ? v->filename : NULL, "", "empty filename kept");
	is_string(first(&f, "empty"), "", "empty field value");
	form_release(&f);

	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B  \t\r\n"
	    "Content-Disposition: form-data; name=\"a\"; filename=x.txt\r\n"
	    "X-Other: ignored\r\n\r\n"
	    "line1\r\n--Bnot\r\nline2\r\n"
	    "--B\t\r\n"
	    "Content-Disposition:form-data;name=\"b\"\r\n\r\n"
	    "B\r\n"
	    "--B--"), RESULT_MALFORMED,
	    "boundary text inside content with a suffix is malformed");
	form_release(&f);

	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B  \t\r\n"
	    "Content-Disposition: form-data; name=\"a\"; filename=x.txt\r\n"
	    "X-Other: ignored\r\n\r\n"
	    "line1\r\n-B\r\n--\r\nline2\r\n"
	    "--B\t\r\n"
	    "Content-Disposition:form-data;name=\"b\"\r\n\r\n"
	    "B\r\n"
	    "--B--"), RESULT_OK, "transport padding, near-boundaries");
	is_string(first(&f, "a"), "line1\r\n-B\r\n--\r\nline2",
	    "content with dashes kept");
	v = form_first(&f, "a");
	ok(v != NULL && v->kind == FORM_VALUE_FILE && v->content_type == NULL,
	    "file without Content-Type has NULL type");
	is_string(v ? v->filename : NULL, "x.txt", "unquoted filename");
	is_string(first(&f, "b"), "B", "no space after ':' and ';'");
	form_release(&f);

	/* Failures. */
	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2"),
	    RESULT_MALFORMED, "truncated part");
	is_string(err, "multipart part 2 is truncated (no closing boundary)",
	    "truncated part message");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "--B\r\n"), RESULT_MALFORMED, "missing final boundary");
	is_string(err, "multipart part 2 is truncated",
	    "missing final boundary message");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	    "--B"), RESULT_MALFORMED, "body ends right after a boundary");
	is_string(err, "multipart body ends without the closing boundary",
	    "ends after boundary message");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B",
	    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"),
	    RESULT_MALFORMED, "truncated headers");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "no boundary here"), RESULT_MALFORMED,
	    "no boundary at all");
	is_string(err, "multipart body has no boundary line",
	    "no boundary message");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B--"), RESULT_OK, "no parts at all");
	is_int(f.count, 0, "no parts, no fields");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--Bx\r\n"), RESULT_MALFORMED,
	    "boundary followed by junk");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B\r\n\r\nvalue\r\n--B--"),
	    RESULT_MALFORMED, "part without headers");
	is_string(err, "multipart part 1: no Content-Disposition with a name",
	    "part without headers message");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B\r\nContent-Disposition: form-data\r\n"
	    "\r\nv\r\n--B--"), RESULT_MALFORMED, "part without a name");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B\r\nContent-Disposition: attachment; "
	    "name=\"a\"\r\n\r\nv\r\n--B--"), RESULT_MALFORMED,
	    "disposition other than form-data");
	is_string(err, "multipart part 1: malformed Content-Disposition",
	    "disposition message");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B\r\nContent-Disposition: form-data; "
	    "name=\"a\r\n\r\nv\r\n--B--"), RESULT_MALFORMED, "unclosed quote");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B\r\nContent-Disposition: form-data; "
	    "name=\"a\"; name=\"b\"\r\n\r\nv\r\n--B--"), RESULT_MALFORMED,
	    "two names");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "B", "--B\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\nbroken header\r\n\r\nv\r\n--B--"), RESULT_MALFORMED,
	    "header line without a colon");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_multipart(&f, "B", "--B\r\nContent-Disposition: "
	    "form-data; name=\"a\0b\"\r\n\r\nv\r\n--B--", 53, NULL, err,
	    sizeof(err)), RESULT_MALFORMED, "NUL in part headers");
	form_release(&f);
	form_init(&f);
	is_int(multipart(&f, "", "--\r\n"), RESULT_MALFORMED, "empty boundary");
	is_int(multipart(&f, NULL, "--\r\n"), RESULT_MALFORMED,
	    "NULL boundary");
	is_int(multipart(&f, "0123456789012345678901234567890123456789012345"
	    "678901234567890123456789X", "x"), RESULT_MALFORMED,
	    "71-byte boundary refused");
	form_release(&f);

	/* Header block bound: 8 KiB. */
	memset(headers, 'h', sizeof(headers));
	buf_init(&b, BUF_NO_LIMIT);
	buf_append_str(&b, "--B\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\nX-Pad: ");
	buf_append(&b, headers, 8100);
	buf_append_str(&b, "\r\n\r\nv\r\n--B--");
	form_init(&f);
	is_int(form_parse_multipart(&f, "B", b.data, b.len, NULL, err,
	    sizeof(err)), RESULT_OK, "headers just under 8 KiB");
	form_release(&f);
	buf_reset(&b);
	buf_append_str(&b, "--B\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\nX-Pad: ");
	buf_append(&b, headers, 8200);
	buf_append_str(&b, "\r\n\r\nv\r\n--B--");
	form_init(&f);
	is_int(form_parse_multipart(&f, "B", b.data, b.len, NULL, err,
	    sizeof(err)), RESULT_TOO_LARGE, "headers over 8 KiB refused");
	is_string(err, "multipart part 1: headers longer than 8192 bytes",
	    "header bound message");
	form_release(&f);
	buf_release(&b);

	/* Size limits: file parts vs other parts. */
	limits = form_default_limits;
	limits.max_file_bytes = 4;
	limits.max_value_bytes = 2;
	form_init(&f);
	is_int(multipart_limited(&f, "B",
	    "--B\r\nContent-Disposition: form-data; "
	    "name=\"logo\"; filename=\"a.png\"\r\n\r\n1234\r\n--B--", &limits),
	    RESULT_OK, "file at the file limit");
	form_release(&f);
	form_init(&f);
	is_int(multipart_limited(&f, "B",
	    "--B\r\nContent-Disposition: form-data; "
	    "name=\"logo\"; filename=\"a.png\"\r\n\r\n12345\r\n--B\r\n"
	    "Content-Disposition: form-data; name=\"n\"\r\n\r\n1\r\n--B--",
	    &limits), RESULT_OK, "an oversized file does not fail the parse");
	v = form_first(&f, "logo");
	ok(v != NULL && v->kind == FORM_VALUE_FILE_TOO_LARGE && v->len == 0 &&
	    v->data != NULL && v->data[0] == '\0',
	    "it is recorded as too large, without its bytes");
	ok(v != NULL && v->filename != NULL &&
	    strcmp(v->filename, "a.png") == 0, "... with its file name");
	ok(form_first(&f, "n") != NULL, "the parts after it are read");
	form_release(&f);
	form_init(&f);
	is_int(multipart_limited(&f, "B",
	    "--B\r\nContent-Disposition: form-data; "
	    "name=\"name\"\r\n\r\n123\r\n--B--", &limits), RESULT_TOO_LARGE,
	    "non-file part checked against max_value_bytes");
	form_release(&f);
	limits = form_default_limits;
	limits.max_fields = 1;
	form_init(&f);
	is_int(multipart_limited(&f, "B",
	    "--B\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\n\r\n2\r\n--B--", &limits), RESULT_TOO_LARGE,
	    "repeats count against max_fields");
	form_release(&f);
}

/* Parses a JSON body given as a C string. */
static enum result
json_body(struct form *f, const char *body, const struct form_limits *limits)
{
	return form_parse_json(f, body, strlen(body), limits, err,
	    sizeof(err));
}

/* JSON bodies: members become fields by kind, arrays become values. */
static void
test_json(void)
{
	struct form		 f;
	const struct form_value	*v;
	const struct form_field	*field;
	struct form_limits	 limits;

	form_init(&f);
	is_int(json_body(&f, "{\"name\": \"Acme\", \"deploy\": false, "
	    "\"n\": 12, \"logo\": null, \"module_keys\": [\"a\", \"b\"], "
	    "\"none\": [], \"opts\": {\"x\": 1}, \"mixed\": [1, {\"k\": 2}, "
	    "[3], true]}", NULL), RESULT_OK, "JSON object parses");
	ok(f.json != NULL, "tree kept in the form");
	v = form_first(&f, "name");
	ok(v != NULL && v->kind == FORM_VALUE_STRING &&
	    strcmp(v->data, "Acme") == 0, "string member");
	v = form_first(&f, "deploy");
	ok(v != NULL && v->kind == FORM_VALUE_BOOL &&
	    strcmp(v->data, "false") == 0, "boolean member");
	v = form_first(&f, "n");
	ok(v != NULL && v->kind == FORM_VALUE_NUMBER &&
	    strcmp(v->data, "12") == 0, "number member keeps its text");
	v = form_first(&f, "logo");
	ok(v != NULL && v->kind == FORM_VALUE_NULL && v->len == 0 &&
	    strcmp(v->data, "") == 0, "null member");
	field = form_get(&f, "module_keys");
	ok(field != NULL && field->from_array && field->count == 2 &&
	    strcmp(field->values[1].data, "b") == 0,
	    "array member becomes one value per element");
	field = form_get(&f, "none");
	ok(field != NULL && field->from_array && field->count == 0,
	    "empty array is a field with no values");
	ok(form_first(&f, "none") == NULL, "first of an empty array is NULL");
	v = form_first(&f, "opts");
	ok(v != NULL && v->kind == FORM_VALUE_JSON && v->json != NULL &&
	    v->json->type == JSON_OBJECT &&
	    json_object_get(v->json, "x") != NULL, "object member as JSON");
	field = form_get(&f, "mixed");
	ok(field != NULL && field->count == 4 &&
	    field->values[0].kind == FORM_VALUE_NUMBER &&
	    field->values[1].kind == FORM_VALUE_JSON &&
	    field->values[1].json->type == JSON_OBJECT &&
	    field->values[2].kind == FORM_VALUE_JSON &&
	    field->values[2].json->type == JSON_ARRAY &&
	    field->values[3].kind == FORM_VALUE_BOOL,
	    "mixed array: scalars by kind, containers as JSON");
	ok(field != NULL && field->from_array == 1, "array flagged");
	ok(form_get(&f, "name")->from_array == 0, "scalar not flagged");
	is_int(json_body(&f, "{}", NULL), RESULT_MALFORMED,
	    "a second JSON body into one form is refused");
	form_release(&f);
	ok(f.json == NULL, "release frees the tree");

	form_init(&f);
	is_int(json_body(&f, "{\"name\": \"a\\u0000b\"}", NULL), RESULT_OK,
	    "string with U+0000 accepted");
	v = form_first(&f, "name");
	ok(v != NULL && v->len == 3 && v->data[1] == '\0',
	    "its length tells the truth");
	form_release(&f);

	form_init(&f);
	is_int(json_body(&f, "[1, 2]", NULL), RESULT_MALFORMED, "array body");
	is_string(err, "request body must be a JSON object", "object message");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "\"x\"", NULL), RESULT_MALFORMED, "string body");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "{\"a\": 1,}", NULL), RESULT_MALFORMED,
	    "malformed JSON");
	ok(strncmp(err, "malformed JSON at byte ", 23) == 0,
	    "parser message passed through (%s)", err);
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "{\"a\": 1, \"a\": 2}", NULL), RESULT_MALFORMED,
	    "duplicate member");
	ok(strstr(err, "duplicate key \"a\"") != NULL, "duplicate message");
	form_release(&f);

	limits = form_default_limits;
	limits.max_fields = 3;
	form_init(&f);
	is_int(json_body(&f, "{\"a\": [1, 2], \"b\": 3}", &limits), RESULT_OK,
	    "array elements count as fields (3 of 3)");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "{\"a\": [1, 2, 3], \"b\": 4}", &limits),
	    RESULT_TOO_LARGE, "too many elements");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": []}",
	    &limits), RESULT_TOO_LARGE, "an empty array counts as a field");
	form_release(&f);
	limits = form_default_limits;
	limits.max_value_bytes = 3;
	form_init(&f);
	is_int(json_body(&f, "{\"a\": \"abc\", \"b\": 12345678}", &limits),
	    RESULT_TOO_LARGE, "long number text refused too");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "{\"a\": [\"abcd\"]}", &limits), RESULT_TOO_LARGE,
	    "long string in an array");
	form_release(&f);
	limits = form_default_limits;
	limits.max_name_bytes = 2;
	form_init(&f);
	is_int(json_body(&f, "{\"abc\": []}", &limits), RESULT_TOO_LARGE,
	    "long member name");
	form_release(&f);
}

/*
 * The JSON node budget is applied by the parse itself: a body over it is
 * RESULT_TOO_LARGE (413) even when max_fields would never be reached, and
 * max_fields is not what stops it.
 */
static void
test_json_node_budget(void)
{
	struct form		 f;
	struct form_limits	 limits = form_default_limits;

	is_int(form_default_limits.max_json_nodes, 100000,
	    "default max_json_nodes");
	limits.max_json_nodes = 5;
	form_init(&f);
	is_int(json_body(&f, "{\"a\": [1, 2, 3]}", &limits), RESULT_OK,
	    "object, array and 3 numbers fit 5 nodes");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "{\"a\": [1, 2, 3, 4]}", &limits),
	    RESULT_TOO_LARGE, "a fourth number does not");
	ok(strstr(err, "more than 5 values") != NULL,
	    "the message names the budget (%s)", err);
	ok(f.json == NULL && f.count == 0, "nothing kept from the refused "
	    "body");
	form_release(&f);
	form_init(&f);
	is_int(json_body(&f, "[[[[[[]]]]]]", &limits), RESULT_TOO_LARGE,
	    "nested arrays count at every level");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "application/json", "[1,2,3,4,5,6]", 13,
	    &limits, err, sizeof(err)), RESULT_TOO_LARGE,
	    "form_parse_body passes the budget on");
	form_release(&f);
}

/* How the body was read, and JSON sent with a form's type. */
static void
test_media_type(void)
{
	struct form	f;

	form_init(&f);
	ok(f.media_type == NULL, "no media type before parsing");
	is_int(form_parse_body(&f, "Application/JSON; charset=utf-8",
	    "{\"x\":1}", 7, NULL, err, sizeof(err)), RESULT_OK, "JSON read");
	is_string(f.media_type, "application/json", "JSON named");
	form_release(&f);
	ok(f.media_type == NULL, "release forgets the media type");
	form_init(&f);
	is_int(form_parse_body(&f, "application/x-www-form-urlencoded",
	    "{\"username\":\"a\"}", 16, NULL, err, sizeof(err)), RESULT_OK,
	    "JSON sent as urlencoded still parses as a form");
	is_string(f.media_type, "application/x-www-form-urlencoded",
	    "urlencoded named");
	ok(form_get(&f, "username") == NULL, "and holds no username field");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "application/x-www-form-urlencoded", "",
	    0, NULL, err, sizeof(err)), RESULT_OK, "empty body");
	ok(f.media_type == NULL, "an empty body has no media type");
	form_release(&f);

	ok(form_body_looks_like_json("{\"a\":1}", 7), "{ looks like JSON");
	ok(form_body_looks_like_json(" \r\n\t[1]", 7),
	    "[ after white space looks like JSON");
	ok(!form_body_looks_like_json("a=%7B", 5), "a form does not");
	ok(!form_body_looks_like_json("  ", 2), "white space alone does not");
	ok(!form_body_looks_like_json("", 0), "nothing does not");
}

/* Dispatch on Content-Type, boundaries from the header, empty bodies. */
static void
test_parse_body(void)
{
	struct form	f;
	static const char multipart_body[] =
	    "--a b\"c\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
	    "1\r\n--a b\"c--\r\n";
	static const char browser_body[] =
	    "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
	    "Content-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
	    "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";
	static const char quoted_body[] =
	    "--quoted one\r\nContent-Disposition: form-data; "
	    "name=\"y\"\r\n\r\n2\r\n--quoted one--";

	form_init(&f);
	is_int(form_parse_body(&f, "application/json", "{\"x\":1}", 7, NULL,
	    err, sizeof(err)), RESULT_OK, "application/json");
	is_string(first(&f, "x"), "1", "JSON body read");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, " Application/JSON ; charset=utf-8",
	    "{\"x\":1}", 7, NULL, err, sizeof(err)), RESULT_OK,
	    "media type case-insensitive, parameters ignored");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "application/x-www-form-urlencoded;"
	    "charset=UTF-8", "x=1", 3, NULL, err, sizeof(err)), RESULT_OK,
	    "urlencoded body");
	is_string(first(&f, "x"), "1", "urlencoded body read");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "multipart/form-data; boundary=----WebKit"
	    "FormBoundary7MA4YWxkTrZu0gW", browser_body, strlen(browser_body),
	    NULL, err, sizeof(err)), RESULT_OK,
	    "multipart with a browser boundary");
	is_string(first(&f, "x"), "1", "multipart body read");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "Multipart/Form-Data; charset=x; "
	    "BOUNDARY=\"a b\\\"c\"", multipart_body, sizeof(multipart_body) - 1,
	    NULL, err, sizeof(err)), RESULT_MALFORMED,
	    "quoted boundary is taken literally up to the quote");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "multipart/form-data; boundary=\"quoted "
	    "one\"", quoted_body, strlen(quoted_body), NULL, err,
	    sizeof(err)), RESULT_OK, "quoted boundary with a space");
	is_string(first(&f, "y"), "2", "quoted-boundary body read");
	form_release(&f);
	form_init(&f);
	is_int(form_parse_body(&f, "multipart/form-data", "--x", 3, NULL, err,
	    sizeof(err)), RESULT_MALFORMED, "multipart without a boundary");
	is_string(err, "multipart/form-data without a valid boundary",
	    "missing boundary message");
	is_int(form_parse_body(&f, "multipart/form-data; boundary=0123456789"
	    "01234567890123456789012345678901234567890123456789012345678901",
	    "--x", 3, NULL, err, sizeof(err)), RESULT_MALFORMED,
	    "boundary over 70 bytes");
	is_int(form_parse_body(&f, "multipart/form-data; boundary=", "--x", 3,
	    NULL, err, sizeof(err)), RESULT_MALFORMED, "empty boundary");
	form_release(&f);

	form_init(&f);
	is_int(form_parse_body(&f, "text/plain", "x", 1, NULL, err,
	    sizeof(err)), RESULT_UNSUPPORTED, "text/plain unsupported");
	is_string(err, "unsupported content type", "unsupported message");
	is_int(form_parse_body(&f, NULL, "x", 1, NULL, err, sizeof(err)),
	    RESULT_UNSUPPORTED, "no type with a body");
	is_int(form_parse_body(&f, "", "x", 1, NULL, err, sizeof(err)),
	    RESULT_UNSUPPORTED, "empty type with a body");
	is_int(form_parse_body(&f, "application/jsonx", "{}", 2, NULL, err,
	    sizeof(err)), RESULT_UNSUPPORTED, "no prefix match on the type");
	is_int(form_parse_body(&f, NULL, NULL, 0, NULL, err, sizeof(err)),
	    RESULT_OK, "no type and no body is an empty form");
	is_int(form_parse_body(&f, "application/json", "", 0, NULL, err,
	    sizeof(err)), RESULT_OK, "empty JSON body is an empty form");
	is_int(f.count, 0, "empty form");
	form_release(&f);
	lives_ok(release_form, &f,
	    "a second release neither crashes nor frees twice");
	form_release(&f);
	ok(f.count == 0 && f.fields == NULL && f.json == NULL,
	    "after a second release it is still empty");
}

/*
 * form_add(), as a caller building a form by hand uses it (tenantctl):
 * values gather under one field, and the limits hold as for a parse.
 */
static void
test_add(void)
{
	struct form		 f;
	struct form_limits	 limits = form_default_limits;
	const struct form_value	*v;

	limits.max_file_bytes = 4;
	limits.max_value_bytes = 3;
	limits.max_fields = 3;
	form_init(&f);
	is_int(form_add(&f, "module_keys", 11, FORM_VALUE_STRING, "a", 1, NULL,
	    NULL, NULL, &limits, err, sizeof(err)), RESULT_OK, "a first value");
	is_int(form_add(&f, "module_keys", 11, FORM_VALUE_STRING, "b", 1, NULL,
	    NULL, NULL, &limits, err, sizeof(err)), RESULT_OK, "a second one");
	ok(f.count == 1 && count(&f, "module_keys") == 2 &&
	    strcmp(f.fields[0].values[1].data, "b") == 0,
	    "both are values of the one field, in order");
	is_int(form_add(&f, "name", 4, FORM_VALUE_STRING, "abcd", 4, NULL,
	    NULL, NULL, &limits, err, sizeof(err)), RESULT_TOO_LARGE,
	    "a value past max_value_bytes is refused");
	is_string(err, "value of field \"name\" longer than 3 bytes",
	    "... with a message naming the field");
	ok(form_first(&f, "name") == NULL, "... and nothing of it is kept");
	is_int(form_add(&f, "logo", 4, FORM_VALUE_FILE, "12345", 5, NULL,
	    NULL, NULL, &limits, err, sizeof(err)), RESULT_OK,
	    "a file past max_file_bytes is no failure");
	v = form_first(&f, "logo");
	ok(v != NULL && v->kind == FORM_VALUE_FILE_TOO_LARGE && v->len == 0,
	    "it is kept as too large, without its bytes");
	is_int(form_add(&f, "x", 1, FORM_VALUE_STRING, "", 0, NULL, NULL,
	    NULL, &limits, err, sizeof(err)), RESULT_TOO_LARGE,
	    "a value past max_fields is refused");
	form_release(&f);
}

/* Runs every form test; the exit status says whether all passed. */
int
main(void)
{
	test_percent_decode();
	test_urlencoded();
	test_multipart();
	test_json();
	test_json_node_budget();
	test_media_type();
	test_parse_body();
	test_add();
	done_testing();
	return exit_status();
}
