/*
 * json.h - reading untrusted JSON into a tree, and writing JSON with yajl.
 *
 * The reader is built on yajl's event parser rather than yajl_tree so that
 * it can refuse what a hostile client might send: nesting deeper than
 * JSON_MAX_DEPTH, duplicate keys in one object, invalid UTF-8 and anything
 * after the top-level value.  On error it reports the byte offset where
 * parsing stopped, which the API returns in its 400 message.
 *
 * Numbers are kept as their source text; json_number_int64() converts with a
 * range check, so a huge number is an error, never a silent wrap.
 *
 * Ownership: json_parse() returns a tree the caller frees with json_free().
 * Strings in the tree are NUL-terminated copies (a string containing U+0000
 * is accepted by the parser but its `len` tells the truth; validators reject
 * embedded NULs).
 */
#ifndef TENANTD_JSON_H
#define TENANTD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#define JSON_MAX_DEPTH	32

/*
 * The node budget of json_parse(): every value (scalar, array or object)
 * is one node of roughly 100 bytes, so this keeps a tree under ~100 MB.
 * Request bodies get the smaller max_json_nodes of tenantd.conf.
 */
#define JSON_MAX_NODES	1000000

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_value {
	enum json_type	 type;
	int		 boolean;	/* JSON_BOOL */
	char		*text;		/* JSON_STRING, JSON_NUMBER: NUL-terminated */
	size_t		 len;		/* length of text */
	struct json_value **items;	/* JSON_ARRAY values, JSON_OBJECT values */
	char		**keys;		/* JSON_OBJECT keys, parallel to items */
	size_t		 count;		/* number of items */
};

/*
 * Parses `len` bytes of JSON holding at most `max_nodes` values.  Returns
 * the tree, or NULL with a message such as "malformed JSON at byte 17:
 * invalid object key" in `err`; errno is then ENOMEM if memory ran out,
 * E2BIG if the document holds more than `max_nodes` values (the parse stops
 * at the first one past the budget, before allocating it) and EINVAL if the
 * text is otherwise at fault.
 */
struct json_value *json_parse_limited(const char *text, size_t len,
	    size_t max_nodes, char *err, size_t errlen);

/* json_parse_limited() with a budget of JSON_MAX_NODES. */
struct json_value *json_parse(const char *text, size_t len,
	    char *err, size_t errlen);

/*
 * json_parse() of the string `text` (NULL allowed), for documents the
 * program wrote itself such as job payloads: the tree when it is an
 * object, else NULL.
 */
struct json_value *json_parse_object(const char *text);

/*
 * For other readers built on yajl's event parser, the checks
 * json_parse_limited() adds to yajl's.
 *
 * json_events_parse() runs yajl over `len` bytes of `text` (NULL reads as
 * empty), handing the events to `callbacks` with `ctx`, after refusing a
 * \u escape of a UTF-16 surrogate that is not half of a pair (yajl would
 * silently replace it).  It returns 0 when the text is one JSON value, 1
 * when a callback stopped the parse (the callbacks hold the reason), or -1
 * with "malformed JSON at byte N: <reason>" (or "out of memory") in `err`
 * and errno EINVAL (ENOMEM); `*offset` is where parsing stopped.
 *
 * json_utf8_valid() tells whether `len` bytes of `text` (a string or key
 * as yajl hands it to a callback, unescaped) are strict UTF-8, U+0000
 * allowed: 1 or 0.  yajl's own check lets overlong forms and surrogates
 * through.
 */
int	json_events_parse(const yajl_callbacks *callbacks, void *ctx,
	    const char *text, size_t len, size_t *offset, char *err,
	    size_t errlen);
int	json_utf8_valid(const char *text, size_t len);

/* Frees a tree; accepts NULL. */
void	json_free(struct json_value *v);

/* The value of `key` in object `obj`, or NULL if absent or obj is no object. */
const struct json_value *json_object_get(const struct json_value *obj,
	    const char *key);

/* The JSON name of a type ("string", "object", ...), for error messages. */
const char *json_type_name(enum json_type type);

/*
 * The longest part of an object key a message quotes, and the size of
 * the buffer json_key_excerpt() fills: that part, "..." and a NUL.
 */
#define JSON_KEY_EXCERPT_MAX	64
#define JSON_KEY_EXCERPT_SIZE	(JSON_KEY_EXCERPT_MAX + 4)

/*
 * Writes into `out` what a message may quote of object key `key` (a key
 * of a json_parse() tree): at most JSON_KEY_EXCERPT_MAX bytes cut at a
 * character boundary, "..." when cut, control characters and '"' as '?'.
 */
void	json_key_excerpt(const char *key, char out[JSON_KEY_EXCERPT_SIZE]);

/*
 * Converts a JSON_NUMBER that is an integer in [min, max].  Returns 0, or -1
 * if it has a fraction or exponent or lies outside the range.
 */
int	json_number_int64(const struct json_value *v, int64_t min, int64_t max,
	    int64_t *out);

/*
 * Converts member `key` of object `obj`, an array of at most `max_count`
 * integers each in [min, max], into a new array *out (NULL when empty;
 * the caller frees it) of *count values.  Returns 0, or -1 when the
 * member is missing or anything else, or memory ran out.
 */
int	json_object_int64_array(const struct json_value *obj, const char *key,
	    int64_t min, int64_t max, size_t max_count, int64_t **out,
	    size_t *count);

/*
 * Writer helpers.  json_gen_new() returns a generator configured for
 * compact, UTF-8-validated output (NULL if out of memory); the caller frees it
 * with yajl_gen_free().  The helpers write one key and its value into the
 * object being generated; a NULL string is written as null.  Each returns the
 * yajl_gen_status of the last call.
 */
yajl_gen json_gen_new(void);
int	json_gen_string(yajl_gen g, const char *s);
int	json_gen_key(yajl_gen g, const char *key);
int	json_gen_kv_string(yajl_gen g, const char *key, const char *value);
int	json_gen_kv_int(yajl_gen g, const char *key, long long value);
int	json_gen_kv_bool(yajl_gen g, const char *key, int value);
int	json_gen_kv_null(yajl_gen g, const char *key);

/*
 * Writes a parsed tree `v` (from json_parse()) with `g`.  Returns the
 * yajl_gen_status of the first failure, or yajl_gen_status_ok.
 */
yajl_gen_status json_gen_value(yajl_gen g, const struct json_value *v);

/*
 * Copies what `g` generated so far into `out` (appending).  Returns 0, or -1
 * if `out` would pass its limit.
 */
struct buf;
int	json_gen_to_buf(yajl_gen g, struct buf *out);

#endif
