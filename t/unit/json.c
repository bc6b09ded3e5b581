/*
 * json.c - unit tests for lib/json.c: the tree, the refusals (depth,
 * duplicate keys, trailing garbage, bad UTF-8), error offsets, integer
 * conversion and the writer helpers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"

/* Parses a C string. */
/* json_free() in the shape lives_ok() calls. */
static void
free_json(void *v)
{
	json_free(v);
}

static struct json_value *
parse(const char *text, char *err, size_t errlen)
{
	return json_parse(text, strlen(text), err, errlen);
}

/* Does parsing `text` fail with exactly `expected` as its message? */
static void
refused(const char *text, const char *expected, const char *name)
{
	struct json_value	*v;
	char			 err[256] = "";

	v = parse(text, err, sizeof(err));
	ok(v == NULL, "%s: refused", name);
	is_string(err, expected, name);
	json_free(v);
}

/* A document of `depth` nested arrays: [[[...]]]. */
static char *
nested(size_t depth, char open, char close)
{
	char	*s;
	size_t	 i;

	if ((s = malloc(2 * depth + 1)) == NULL)
		return NULL;
	for (i = 0; i < depth; i++) {
		s[i] = open;
		s[2 * depth - 1 - i] = close;
	}
	s[2 * depth] = '\0';
	return s;
}

/* Every JSON type becomes the right node, in document order. */
static void
test_values(void)
{
	struct json_value	*v;
	const struct json_value	*m;
	char			 err[256];

	v = parse("{\"s\": \"h\\u00e9llo\", \"n\": -12.5e3, \"t\": true, "
	    "\"f\": false, \"z\": null, \"a\": [1, \"two\", [3]], "
	    "\"o\": {\"k\": \"v\"}}", err, sizeof(err));
	ok(v != NULL, "object parses");
	if (v == NULL) {
		diag("%s", err);
		return;
	}
	is_int(v->type, JSON_OBJECT, "root is an object");
	is_int(v->count, 7, "seven members");
	is_string(v->keys[0], "s", "keys keep document order");
	m = json_object_get(v, "s");
	ok(m != NULL && m->type == JSON_STRING, "string member");
	is_string(m ? m->text : NULL, "h\xc3\xa9llo",
	    "escape decoded to UTF-8");
	is_int(m ? m->len : 0, 6, "string length in bytes");
	m = json_object_get(v, "n");
	ok(m != NULL && m->type == JSON_NUMBER, "number member");
	is_string(m ? m->text : NULL, "-12.5e3", "number keeps its text");
	m = json_object_get(v, "t");
	ok(m != NULL && m->type == JSON_BOOL && m->boolean == 1, "true");
	m = json_object_get(v, "f");
	ok(m != NULL && m->type == JSON_BOOL && m->boolean == 0, "false");
	m = json_object_get(v, "z");
	ok(m != NULL && m->type == JSON_NULL, "null");
	m = json_object_get(v, "a");
	ok(m != NULL && m->type == JSON_ARRAY && m->count == 3,
	    "array of three");
	ok(m != NULL && m->keys == NULL, "arrays have no keys");
	ok(m != NULL && m->items[2]->type == JSON_ARRAY &&
	    m->items[2]->count == 1, "nested array");
	m = json_object_get(json_object_get(v, "o"), "k");
	is_string(m ? m->text : NULL, "v", "nested object member");
	ok(json_object_get(v, "missing") == NULL, "absent key is NULL");
	ok(json_object_get(m, "k") == NULL, "get on a non-object is NULL");
	ok(json_object_get(NULL, "k") == NULL, "get on NULL is NULL");
	json_free(v);

	v = parse("\"a\\u0000b\"", err, sizeof(err));
	ok(v != NULL && v->len == 3 && v->text[1] == '\0' &&
	    v->text[2] == 'b', "U+0000 in a string kept, len tells the truth");
	json_free(v);

	v = parse("  [ ]  ", err, sizeof(err));
	ok(v != NULL && v->type == JSON_ARRAY && v->count == 0,
	    "empty array with whitespace");
	json_free(v);
	v = parse("{}", err, sizeof(err));
	ok(v != NULL && v->type == JSON_OBJECT && v->count == 0,
	    "empty object");
	json_free(v);
	v = parse("42", err, sizeof(err));
	ok(v != NULL && v->type == JSON_NUMBER, "bare number at top level");
	json_free(v);
	v = parse("\"\"", err, sizeof(err));
	ok(v != NULL && v->type == JSON_STRING && v->len == 0 &&
	    v->text[0] == '\0', "empty string");
	json_free(v);
	lives_ok(free_json, NULL, "json_free(NULL) returns without touching it");
}

/* Large arrays and objects grow correctly; duplicates found in big objects. */
static void
test_large(void)
{
	struct buf		 b;
	struct json_value	*v;
	char			 err[256] = "";
	int			 i;

	buf_init(&b, BUF_NO_LIMIT);
	buf_append_char(&b, '[');
	for (i = 0; i < 5000; i++)
		buf_printf(&b, "%s%d", i ? "," : "", i);
	buf_append_char(&b, ']');
	v = json_parse(b.data, b.len, err, sizeof(err));
	ok(v != NULL && v->count == 5000, "array of 5000 grows");
	ok(v != NULL && v->count == 5000 &&
	    strcmp(v->items[4999]->text, "4999") == 0, "last element kept");
	json_free(v);

	buf_reset(&b);
	buf_append_char(&b, '{');
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_append_char(&b, '}');
	v = json_parse(b.data, b.len, err, sizeof(err));
	ok(v != NULL && v->count == 3000, "object of 3000 distinct keys");
	json_free(v);

	buf_reset(&b);
	buf_append_char(&b, '{');
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i == 2999 ? 5 : i,
		    i);
	buf_append_char(&b, '}');
	v = json_parse(b.data, b.len, err, sizeof(err));
	ok(v == NULL, "duplicate key in a large object refused");
	ok(strstr(err, "duplicate key \"k5\"") != NULL,
	    "large object duplicate named (%s)", err);
	json_free(v);
	buf_release(&b);
}

/* Nesting of JSON_MAX_DEPTH is accepted and one more is refused. */
static void
test_depth(void)
{
	struct json_value	*v;
	char			*text;
	char			 err[256] = "";

	text = nested(JSON_MAX_DEPTH, '[', ']');
	v = parse(text, err, sizeof(err));
	ok(v != NULL, "nesting of 32 arrays accepted");
	json_free(v);
	free(text);

	text = nested(JSON_MAX_DEPTH + 1, '[', ']');
	v = parse(text, err, sizeof(err));
	ok(v == NULL, "nesting of 33 arrays refused");
	is_string(err, "malformed JSON at byte 33: nested deeper than 32 "
	    "levels", "depth message with offset");
	free(text);

	text = nested(100000, '[', ']');
	v = parse(text, err, sizeof(err));
	ok(v == NULL, "nesting of 100000 refused without recursion");
	free(text);

	/* 32 objects deep: {"a":{"a":...{}...}} */
	{
		struct buf	b;
		int		i;

		buf_init(&b, BUF_NO_LIMIT);
		for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
			buf_append_str(&b, "{\"a\":");
		buf_append_str(&b, "{}");
		for (i = 0; i < JSON_MAX_DEPTH - 1; i++)
			buf_append_char(&b, '}');
		v = json_parse(b.data, b.len, err, sizeof(err));
		ok(v != NULL, "32 nested objects accepted");
		json_free(v);
		buf_reset(&b);
		for (i = 0; i < JSON_MAX_DEPTH; i++)
			buf_append_str(&b, "{\"a\":");
		buf_append_str(&b, "{}");
		for (i = 0; i < JSON_MAX_DEPTH; i++)
			buf_append_char(&b, '}');
		v = json_parse(b.data, b.len, err, sizeof(err));
		ok(v == NULL, "33 nested objects refused");
		buf_release(&b);
	}
}

/* What the parser refuses, each with its exact message and offset. */
static void
test_refusals(void)
{
	struct json_value	*v;
	char			 err[256];

	refused("{\"a\":1,\"a\":2}", "malformed JSON at byte 13: duplicate "
	    "key \"a\"", "duplicate key");
	refused("{\"a\":1,\"b\":{\"x\":1,\"x\":1}}",
	    "malformed JSON at byte 24: duplicate key \"x\"",
	    "duplicate key in a nested object");
	refused("{\"a\":1,\"\\u0041\":2,\"A\":3}",
	    "malformed JSON at byte 24: duplicate key \"A\"",
	    "duplicate key after unescaping");
	v = parse("{\"a\":{\"x\":1},\"b\":{\"x\":2}}", err, sizeof(err));
	ok(v != NULL, "same key in different objects is fine");
	json_free(v);
	refused("{\"a\\u0000b\":1}", "malformed JSON at byte 11: object key "
	    "contains U+0000", "key holding U+0000");
	refused("{\"\\\"\\n\":1,\"\\\"\\n\":2}", "malformed JSON at byte 19: "
	    "duplicate key \"??\"", "duplicate key quoted safely");

	refused("{\"a\":1} x", "malformed JSON at byte 9: trailing garbage",
	    "trailing garbage");
	refused("[1][2]", "malformed JSON at byte 4: trailing garbage",
	    "two top-level values");
	refused("\"\xff\"", "malformed JSON at byte 2: invalid bytes in UTF8 "
	    "string", "invalid UTF-8 in a string");
	refused("[\"\xc0\x80\"]", "malformed JSON at byte 5: invalid UTF-8 in "
	    "string", "overlong NUL in a string");
	refused("[\"\xe0\x80\x80\"]", "malformed JSON at byte 6: invalid UTF-8 "
	    "in string", "overlong 3-byte form in a string");
	refused("[\"\xed\xa0\x80\"]", "malformed JSON at byte 6: invalid UTF-8 "
	    "in string", "raw surrogate in a string");
	refused("[\"\xf4\x90\x80\x80\"]", "malformed JSON at byte 7: invalid "
	    "UTF-8 in string", "code point past U+10FFFF");
	refused("{\"\xed\xa0\x80\":1}", "malformed JSON at byte 6: invalid "
	    "UTF-8 in object key", "raw surrogate in a key");
	refused("[\"a\\ud800\"]", "malformed JSON at byte 3: unpaired UTF-16 "
	    "surrogate escape", "lone high surrogate escape");
	refused("[\"\\udc00\"]", "malformed JSON at byte 2: unpaired UTF-16 "
	    "surrogate escape", "lone low surrogate escape");
	refused("[\"\\ud800\\u0041\"]", "malformed JSON at byte 2: unpaired "
	    "UTF-16 surrogate escape", "high surrogate before a non-surrogate");
	refused("[\"\\ud800\\ud800\"]", "malformed JSON at byte 2: unpaired "
	    "UTF-16 surrogate escape", "two high surrogates");
	v = parse("[\"\\ud83d\\ude00\\\\ud800\"]", err, sizeof(err));
	ok(v != NULL && v->items[0]->len == 10 &&
	    memcmp(v->items[0]->text, "\xf0\x9f\x98\x80\\ud800", 10) == 0,
	    "surrogate pair decoded; escaped backslash before u is no escape");
	json_free(v);
	v = parse("\"a\\u0000\xc3\xa9\"", err, sizeof(err));
	ok(v != NULL && v->len == 4, "U+0000 next to valid UTF-8 accepted");
	json_free(v);
	refused("{\"a\" 1}", "malformed JSON at byte 6: object key and value "
	    "must be separated by a colon (':')", "error offset in the middle");
	refused("[1,2", "malformed JSON at byte 4: premature EOF",
	    "truncated document: offset is the end");
	refused("", "malformed JSON at byte 0: premature EOF", "empty input");
	refused("   ", "malformed JSON at byte 3: premature EOF",
	    "only whitespace");
	refused("{1:2}", "malformed JSON at byte 2: invalid object key (must "
	    "be a string)", "non-string key");
	refused("[1,]", "malformed JSON at byte 4: unallowed token at this "
	    "point in JSON text", "trailing comma");
	refused("[01]", "malformed JSON at byte 3: after array element, I "
	    "expect ',' or ']'", "leading zero");
	refused("// c\n1", "malformed JSON at byte 0: probable comment found "
	    "in input text, comments are not enabled", "comments refused");
	refused("[NaN]", "malformed JSON at byte 2: invalid char in json "
	    "text", "NaN refused");
	refused("'a'", "malformed JSON at byte 1: invalid char in json text",
	    "single quotes refused");

	v = json_parse("[1]", 3, err, 0);
	ok(v != NULL, "errlen 0 is allowed");
	json_free(v);
	v = json_parse("[", 1, NULL, 0);
	ok(v == NULL, "NULL err with errlen 0 on failure");
	errno = 0;
	v = json_parse("[", 1, err, sizeof(err));
	is_int(errno, EINVAL, "errno EINVAL for bad text");
	v = json_parse("[1] ", 2, err, sizeof(err));
	ok(v == NULL, "length is respected, not strlen");
	v = json_parse(NULL, 0, err, sizeof(err));
	ok(v == NULL, "NULL text with length 0 is premature EOF");
	err[10] = '\0';
	v = json_parse("[1,2", 4, err, 11);
	is_int((long long)strlen(err), 10, "message cut to errlen");
}

/* json_number_int64(): integers only, range-checked, never wrapped. */
static void
test_numbers(void)
{
	struct json_value	*v;
	char			 err[256];
	int64_t			 n;

	v = parse("[0, 42, -7, 2.5, 1e3, 9223372036854775807, "
	    "9223372036854775808, -9223372036854775808, "
	    "-9223372036854775809, 123456789012345678901234567890, -0, "
	    "\"5\", 1E2]", err, sizeof(err));
	ok(v != NULL, "numbers parse (no overflow at parse time)");
	if (v == NULL)
		return;
	n = -1;
	ok(json_number_int64(v->items[0], 0, 10, &n) == 0 && n == 0, "0");
	ok(json_number_int64(v->items[1], 0, 100, &n) == 0 && n == 42, "42");
	is_int(json_number_int64(v->items[1], 0, 41, &n), -1, "42 > max 41");
	is_int(json_number_int64(v->items[1], 43, 100, &n), -1, "42 < min 43");
	ok(json_number_int64(v->items[2], -10, 10, &n) == 0 && n == -7, "-7");
	is_int(json_number_int64(v->items[2], 0, 10, &n), -1,
	    "-7 with min 0");
	is_int(json_number_int64(v->items[3], 0, 10, &n), -1,
	    "fraction refused");
	is_int(json_number_int64(v->items[4], 0, 10000, &n), -1,
	    "exponent refused");
	ok(json_number_int64(v->items[5], 0, INT64_MAX, &n) == 0 &&
	    n == INT64_MAX, "INT64_MAX");
	is_int(json_number_int64(v->items[6], 0, INT64_MAX, &n), -1,
	    "INT64_MAX + 1 refused");
	ok(json_number_int64(v->items[7], INT64_MIN, 0, &n) == 0 &&
	    n == INT64_MIN, "INT64_MIN");
	is_int(json_number_int64(v->items[8], INT64_MIN, 0, &n), -1,
	    "INT64_MIN - 1 refused");
	is_int(json_number_int64(v->items[9], INT64_MIN, INT64_MAX, &n), -1,
	    "huge number refused, no wrap");
	ok(json_number_int64(v->items[10], 0, 10, &n) == 0 && n == 0,
	    "-0 is zero");
	is_int(json_number_int64(v->items[10], 1, 10, &n), -1,
	    "-0 below min 1");
	is_int(json_number_int64(v->items[11], 0, 10, &n), -1,
	    "a string is no number");
	is_int(json_number_int64(v->items[12], 0, 1000, &n), -1,
	    "upper-case exponent refused");
	is_int(json_number_int64(NULL, 0, 10, &n), -1, "NULL is no number");
	json_free(v);
}

/* The names used in "must be a ..." messages. */
static void
test_type_names(void)
{
	is_string(json_type_name(JSON_NULL), "null", "type name null");
	is_string(json_type_name(JSON_BOOL), "boolean", "type name boolean");
	is_string(json_type_name(JSON_NUMBER), "number", "type name number");
	is_string(json_type_name(JSON_STRING), "string", "type name string");
	is_string(json_type_name(JSON_ARRAY), "array", "type name array");
	is_string(json_type_name(JSON_OBJECT), "object", "type name object");
}

/* The yajl_gen helpers write compact, valid JSON into a struct buf. */
static void
test_writer(void)
{
	yajl_gen	g;
	struct buf	b;

	g = json_gen_new();
	ok(g != NULL, "generator allocated");
	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	is_int(json_gen_kv_string(g, "name", "Acme \"Co\"\n"), 0, "kv string");
	is_int(json_gen_kv_string(g, "logo", NULL), 0, "kv NULL string");
	is_int(json_gen_kv_int(g, "id", -42), 0, "kv int");
	is_int(json_gen_kv_int(g, "big", 9223372036854775807LL), 0, "kv big");
	is_int(json_gen_kv_bool(g, "ok", 5), 0, "kv bool");
	is_int(json_gen_kv_bool(g, "no", 0), 0, "kv false");
	is_int(json_gen_kv_null(g, "z"), 0, "kv null");
	is_int(json_gen_key(g, "list"), 0, "key");
	yajl_gen_array_open(g);
	is_int(json_gen_string(g, "caf\xc3\xa9"), 0, "UTF-8 string");
	is_int(json_gen_string(g, NULL), 0, "NULL as null");
	ok(json_gen_string(g, "bad \xff") != 0, "invalid UTF-8 refused");
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);

	buf_init(&b, BUF_NO_LIMIT);
	is_int(json_gen_to_buf(g, &b), 0, "copied to a buffer");
	is_string(b.data, "{\"name\":\"Acme \\\"Co\\\"\\n\",\"logo\":null,"
	    "\"id\":-42,\"big\":9223372036854775807,\"ok\":true,\"no\":false,"
	    "\"z\":null,\"list\":[\"caf\xc3\xa9\",null]}",
	    "compact output");
	is_int(json_gen_to_buf(g, &b), 0, "copy again appends");
	is_int(b.len % 2, 0, "appended twice");
	buf_release(&b);

	buf_init(&b, 5);
	is_int(json_gen_to_buf(g, &b), -1, "limit of the buffer is kept");
	is_int(b.len, 0, "nothing copied when over the limit");
	buf_release(&b);
	yajl_gen_free(g);
}

/*
 * The node budget of json_parse_limited(): every value counts, containers
 * included, and the parse stops at the first value past the budget, long
 * before the end of a huge document.
 */
static void
test_node_budget(void)
{
	static const char	 mixed[] =
	    "{\"a\": null, \"b\": true, \"c\": \"s\", \"d\": [{}]}";
	struct json_value	*v;
	struct buf		 b;
	char			 err[256] = "";
	size_t			 i, count = 8000000;
	unsigned long		 stopped_at = 0;

	v = json_parse_limited("[1,2,3]", 7, 4, err, sizeof(err));
	ok(v != NULL && v->count == 3, "an array and 3 numbers fit 4 nodes");
	json_free(v);
	errno = 0;
	v = json_parse_limited("[1,2,3]", 7, 3, err, sizeof(err));
	ok(v == NULL, "they do not fit 3");
	is_int(errno, E2BIG, "errno E2BIG when over the budget");
	is_string(err, "JSON document holds more than 3 values (stopped at "
	    "byte 6)", "the message names the budget and the byte");
	v = json_parse_limited(mixed, strlen(mixed), 6, err, sizeof(err));
	ok(v != NULL, "object, null, bool, string, array, object: 6 nodes");
	json_free(v);
	v = json_parse_limited(mixed, strlen(mixed), 5, err, sizeof(err));
	ok(v == NULL && errno == E2BIG, "which do not fit 5");
	v = json_parse_limited("{}", 2, 0, err, sizeof(err));
	ok(v == NULL && errno == E2BIG, "a budget of 0 refuses even {}");

	/* The body of the report: 16 MB, one array of 8 million numbers. */
	buf_init(&b, BUF_NO_LIMIT);
	ok(buf_append_char(&b, '[') == 0, "huge array started");
	for (i = 0; i < count; i++)
		if (buf_append(&b, i + 1 < count ? "0," : "0]", 2) == -1)
			break;
	is_int(b.len, 2 * count + 1, "huge array built");
	errno = 0;
	v = json_parse_limited(b.data, b.len, 1000, err, sizeof(err));
	ok(v == NULL && errno == E2BIG, "8 million numbers over a budget of "
	    "1000 are refused");
	ok(sscanf(err, "JSON document holds more than 1000 values (stopped "
	    "at byte %lu)", &stopped_at) == 1 && stopped_at < 4096,
	    "the parse stopped near the 1001st value, not at the end (%s)",
	    err);
	buf_release(&b);
}

/* Runs every JSON test; the exit status says whether all passed. */
int
main(void)
{
	test_values();
	test_large();
	test_node_budget();
	test_depth();
	test_refusals();
	test_numbers();
	test_type_names();
	test_writer();
	done_testing();
	return exit_status();
}
