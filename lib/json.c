/*
 * json.c - reading untrusted JSON into a tree with yajl's event parser, and
 * small helpers for writing JSON with yajl_gen (see json.h).
 *
 * yajl does the lexing and grammar; this file turns its events into struct
 * json_value nodes and adds the checks yajl lacks: a depth limit, duplicate
 * keys, keys holding U+0000 (which C string lookups would silently
 * truncate), strict UTF-8 (yajl lets overlong forms and surrogates through)
 * and unpaired surrogate escapes (which yajl silently rewrites).  It also
 * counts the nodes as they are made and stops yajl at the first one past
 * the caller's budget, so a hostile document costs at most that many
 * nodes however long it is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "validate.h"

/* Objects up to this size are checked for duplicates without allocating. */
#define JSON_SMALL_OBJECT	16

/* The state shared by the yajl callbacks while one document is parsed. */
struct json_parser {
	struct json_value	*root;
	struct json_value	*stack[JSON_MAX_DEPTH];	/* open containers */
	size_t			 depth;
	char			*pending_key;	/* key awaiting its value */
	char			 message[160];	/* our own error, if any */
	int			 out_of_memory;
	size_t			 nodes;		/* made so far */
	size_t			 max_nodes;	/* the budget */
	int			 too_many_nodes;
};

/*
 * Allocates an empty node of `type`.  Returns it, or NULL if out of memory.
 */
static struct json_value *
json_node_new(enum json_type type)
{
	struct json_value	*v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->type = type;
	return v;
}

/*
 * Allocates a node holding a NUL-terminated copy of `len` bytes of `text`.
 * Used for strings and numbers.  Returns the node, or NULL if out of memory.
 */
static struct json_value *
json_node_text(enum json_type type, const char *text, size_t len)
{
	struct json_value	*v;

	if (len == SIZE_MAX)
		return NULL;
	if ((v = json_node_new(type)) == NULL)
		return NULL;
	if ((v->text = malloc(len + 1)) == NULL) {
		free(v);
		return NULL;
	}
	if (len != 0)
		memcpy(v->text, text, len);
	v->text[len] = '\0';
	v->len = len;
	return v;
}

/* Frees a tree; accepts NULL.  Recursion is bounded by JSON_MAX_DEPTH. */
void
json_free(struct json_value *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++) {
		json_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	free(v);
}

/*
 * The number of slots allocated for a container of `count` items: none when
 * empty, else the next power of two from 4 up.  Storing it would need a
 * field in the public struct; recomputing it is cheap.
 */
static size_t
json_capacity(size_t count)
{
	size_t	cap = 4;

	if (count == 0)
		return 0;
	while (cap < count)
		cap *= 2;
	return cap;
}

/*
 * Appends `item` (and, for objects, `key`) to container `c`, doubling the
 * arrays when full.  On success the container owns both; on failure the
 * caller still does.  Returns 0 or -1.
 */
static int
json_container_add(struct json_value *c, struct json_value *item, char *key)
{
	struct json_value	**items;
	char			**keys;
	size_t			  new_cap;

	if (c->count == json_capacity(c->count)) {
		if (c->count > SIZE_MAX / 2 / sizeof(*items))
			return -1;
		new_cap = c->count == 0 ? 4 : c->count * 2;
		items = reallocarray(c->items, new_cap, sizeof(*items));
		if (items == NULL)
			return -1;
		c->items = items;
		if (c->type == JSON_OBJECT) {
			keys = reallocarray(c->keys, new_cap, sizeof(*keys));
			if (keys == NULL)
				return -1;
			c->keys = keys;
		}
	}
	c->items[c->count] = item;
	if (c->type == JSON_OBJECT)
		c->keys[c->count] = key;
	c->count++;
	return 0;
}

/* Records that memory ran out, which is no fault of the client's. */
static void
json_parser_no_memory(struct json_parser *p)
{
	p->out_of_memory = 1;
	snprintf(p->message, sizeof(p->message), "out of memory");
}

/*
 * Counts one more node against the budget, before it is allocated.
 * Returns 1 while within it, else 0 with the message set, so the callback
 * stops yajl there.
 */
static int
json_parser_count(struct json_parser *p)
{
	if (p->nodes >= p->max_nodes) {
		p->too_many_nodes = 1;
		snprintf(p->message, sizeof(p->message),
		    "more than %zu values", p->max_nodes);
		return 0;
	}
	p->nodes++;
	return 1;
}

/*
 * Attaches a finished or just-opened node to the document: as the root, as
 * the next array element, or as the value of the pending key.  Takes
 * ownership of `v` in every case.  Returns 1 to let yajl continue or 0 to
 * stop it.
 */
static int
json_parser_attach(struct json_parser *p, struct json_value *v)
{
	struct json_value	*parent;

	if (v == NULL) {
		json_parser_no_memory(p);
		return 0;
	}
	if (p->depth == 0) {
		p->root = v;
		return 1;
	}
	parent = p->stack[p->depth - 1];
	if (json_container_add(parent, v, p->pending_key) == -1) {
		json_free(v);
		json_parser_no_memory(p);
		return 0;
	}
	p->pending_key = NULL;
	return 1;
}

/* yajl callback for null. */
static int
json_on_null(void *ctx)
{
	if (!json_parser_count(ctx))
		return 0;
	return json_parser_attach(ctx, json_node_new(JSON_NULL));
}

/* yajl callback for true and false. */
static int
json_on_boolean(void *ctx, int value)
{
	struct json_value	*v;

	if (!json_parser_count(ctx))
		return 0;
	if ((v = json_node_new(JSON_BOOL)) != NULL)
		v->boolean = value != 0;
	return json_parser_attach(ctx, v);
}

/* yajl callback for numbers, which keep their source text. */
static int
json_on_number(void *ctx, const char *text, size_t len)
{
	if (!json_parser_count(ctx))
		return 0;
	return json_parser_attach(ctx, json_node_text(JSON_NUMBER, text, len));
}

/*
 * Is `len` bytes of `text` strict UTF-8, U+0000 allowed?  yajl's own check
 * lets overlong forms, surrogates and code points past U+10FFFF through, so
 * every string and key is checked again here (and by the other readers
 * built on yajl's events), segment by segment between NUL bytes (which
 * utf8_length() refuses).  Returns 1 if valid.
 */
int
json_utf8_valid(const char *text, size_t len)
{
	const char	*nul;
	size_t		 segment;

	while (len > 0) {
		nul = memchr(text, '\0', len);
		segment = nul == NULL ? len : (size_t)(nul - text);
		if (utf8_length(text, segment) < 0)
			return 0;
		if (nul == NULL)
			break;
		len -= segment + 1;
		text = nul + 1;
	}
	return 1;
}

/* yajl callback for strings (already unescaped). */
static int
json_on_string(void *ctx, const unsigned char *text, size_t len)
{
	struct json_parser	*p = ctx;

	if (!json_utf8_valid((const char *)text, len)) {
		snprintf(p->message, sizeof(p->message),
		    "invalid UTF-8 in string");
		return 0;
	}
	if (!json_parser_count(p))
		return 0;
	return json_parser_attach(ctx,
	    json_node_text(JSON_STRING, (const char *)text, len));
}

/*
 * Opens a container: attaches it and pushes it, refusing to go deeper than
 * JSON_MAX_DEPTH.  Returns 1 to continue or 0 to stop.
 */
static int
json_parser_open(struct json_parser *p, enum json_type type)
{
	struct json_value	*v;

	if (p->depth == JSON_MAX_DEPTH) {
		snprintf(p->message, sizeof(p->message),
		    "nested deeper than %d levels", JSON_MAX_DEPTH);
		return 0;
	}
	if (!json_parser_count(p))
		return 0;
	v = json_node_new(type);
	if (!json_parser_attach(p, v))
		return 0;
	p->stack[p->depth++] = v;
	return 1;
}

/* yajl callback for '{'. */
static int
json_on_start_map(void *ctx)
{
	return json_parser_open(ctx, JSON_OBJECT);
}

/* yajl callback for '['. */
static int
json_on_start_array(void *ctx)
{
	return json_parser_open(ctx, JSON_ARRAY);
}

/*
 * yajl callback for an object key: keeps a copy until its value arrives.
 * Keys containing U+0000 are refused, since every lookup compares C strings.
 */
static int
json_on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct json_parser	*p = ctx;

	if (memchr(key, '\0', len) != NULL) {
		snprintf(p->message, sizeof(p->message),
		    "object key contains U+0000");
		return 0;
	}
	if (!json_utf8_valid((const char *)key, len)) {
		snprintf(p->message, sizeof(p->message),
		    "invalid UTF-8 in object key");
		return 0;
	}
	free(p->pending_key);
	if ((p->pending_key = strndup((const char *)key, len)) == NULL) {
		json_parser_no_memory(p);
		return 0;
	}
	return 1;
}

/* qsort comparison of two key pointers. */
static int
json_key_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Writes the part of object key `key` (UTF-8, as json_parse() accepts
 * it) that a message may quote into `out`: at most JSON_KEY_EXCERPT_MAX
 * bytes, cut at a character boundary and followed by "..." when cut, with
 * control characters and quotes replaced by '?', so a message quoting it
 * is always printable UTF-8.  Used for "duplicate key" here and for the
 * unknown members of template_meta.c.
 */
void
json_key_excerpt(const char *key, char out[JSON_KEY_EXCERPT_SIZE])
{
	size_t	i, len = strlen(key);

	if (len > JSON_KEY_EXCERPT_MAX) {
		len = JSON_KEY_EXCERPT_MAX;
		while (len > 0 && ((unsigned char)key[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		out[i] = c < 0x20 || c == 0x7f || c == '"' ? '?' : key[i];
	}
	if (len < strlen(key)) {
		memcpy(out + len, "...", 3);
		len += 3;
	}
	out[len] = '\0';
}

/* Writes the "duplicate key" message, quoting an excerpt of the key. */
static void
json_parser_duplicate(struct json_parser *p, const char *key)
{
	char	excerpt[JSON_KEY_EXCERPT_SIZE];

	json_key_excerpt(key, excerpt);
	snprintf(p->message, sizeof(p->message), "duplicate key \"%s\"",
	    excerpt);
}

/*
 * Looks for a key that occurs twice in object `obj`.  Small objects are
 * compared pairwise; large ones through a sorted copy of the key pointers,
 * so a hostile object of many keys costs O(n log n), not O(n^2).  Returns 1
 * if the object is fine, 0 (with the message set) if not.
 */
static int
json_parser_check_keys(struct json_parser *p, const struct json_value *obj)
{
	char	**sorted;
	size_t	  i, j;

	if (obj->count <= JSON_SMALL_OBJECT) {
		for (i = 1; i < obj->count; i++)
			for (j = 0; j < i; j++)
				if (strcmp(obj->keys[i], obj->keys[j]) == 0) {
					json_parser_duplicate(p, obj->keys[i]);
					return 0;
				}
		return 1;
	}
	if ((sorted = reallocarray(NULL, obj->count, sizeof(*sorted))) ==
	    NULL) {
		json_parser_no_memory(p);
		return 0;
	}
	memcpy(sorted, obj->keys, obj->count * sizeof(*sorted));
	qsort(sorted, obj->count, sizeof(*sorted), json_key_compare);
	for (i = 1; i < obj->count; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0) {
			json_parser_duplicate(p, sorted[i]);
			free(sorted);
			return 0;
		}
	free(sorted);
	return 1;
}

/* yajl callback for '}': checks the keys and closes the object. */
static int
json_on_end_map(void *ctx)
{
	struct json_parser	*p = ctx;

	if (!json_parser_check_keys(p, p->stack[p->depth - 1]))
		return 0;
	p->depth--;
	return 1;
}

/* yajl callback for ']'. */
static int
json_on_end_array(void *ctx)
{
	struct json_parser	*p = ctx;

	p->depth--;
	return 1;
}

static const yajl_callbacks json_callbacks = {
	json_on_null,
	json_on_boolean,
	NULL,			/* integers arrive through yajl_number */
	NULL,			/* doubles too */
	json_on_number,
	json_on_string,
	json_on_start_map,
	json_on_map_key,
	json_on_end_map,
	json_on_start_array,
	json_on_end_array
};

/* The value of the four hex digits at `s`, or -1. */
static long
json_hex4(const char *s)
{
	long	value = 0;
	int	i;

	for (i = 0; i < 4; i++) {
		value *= 16;
		if (s[i] >= '0' && s[i] <= '9')
			value += s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			value += s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			value += s[i] - 'A' + 10;
		else
			return -1;
	}
	return value;
}

/*
 * Looks for \u escapes of UTF-16 surrogates that do not form a pair.  yajl
 * turns a lone high surrogate into '?' and merges a high surrogate with any
 * following escape, silently changing the text, so such documents are
 * refused before yajl sees them.  Backslashes are only legal inside strings,
 * so the scan needs no knowledge of string boundaries: anything else yajl
 * refuses anyway.  Returns the offset of the first bad escape, or `len`.
 */
static size_t
json_check_surrogates(const char *text, size_t len)
{
	size_t	i;
	long	unit, low;

	for (i = 0; i + 1 < len; i++) {
		if (text[i] != '\\')
			continue;
		if (text[i + 1] != 'u' || len - i < 6 ||
		    (unit = json_hex4(text + i + 2)) < 0) {
			i++;	/* skip the escaped character */
			continue;
		}
		if (unit >= 0xdc00 && unit <= 0xdfff)
			return i;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (len - i < 12 || text[i + 6] != '\\' ||
			    text[i + 7] != 'u' ||
			    (low = json_hex4(text + i + 8)) < 0xdc00 ||
			    low > 0xdfff)
				return i;
			i += 6;
		}
		i += 5;
	}
	return len;
}

/*
 * Formats yajl's error as "malformed JSON at byte N: <message>", keeping only
 * the short message (without its "parse error: " prefix and final period).
 */
static void
json_yajl_error(yajl_handle h, const char *text, size_t len, size_t offset,
    char *err, size_t errlen)
{
	unsigned char	*raw;
	const char	*message = "invalid JSON", *colon;
	size_t		 message_len;

	raw = yajl_get_error(h, 0, (const unsigned char *)text, len);
	if (raw != NULL) {
		message = (const char *)raw;
		if ((colon = strstr(message, "error: ")) != NULL)
			message = colon + strlen("error: ");
	}
	message_len = strlen(message);
	while (message_len > 0 && (message[message_len - 1] == '\n' ||
	    message[message_len - 1] == ' ' || message[message_len - 1] == '.'))
		message_len--;
	if (errlen > 0)
		snprintf(err, errlen, "malformed JSON at byte %zu: %.*s",
		    offset, (int)message_len, message);
	if (raw != NULL)
		yajl_free_error(h, raw);
}

/*
 * Hands the events of `len` bytes of untrusted JSON to `callbacks` with
 * `ctx`, after refusing unpaired surrogate escapes, which yajl would
 * rewrite.  Used by json_parse_limited() and the other readers built on
 * yajl's events.  Returns as json.h says.
 */
int
json_events_parse(const yajl_callbacks *callbacks, void *ctx,
    const char *text, size_t len, size_t *offset, char *err, size_t errlen)
{
	yajl_handle	h;
	yajl_status	status;
	int		rc = -1;

	if (text == NULL)
		text = "";
	if ((*offset = json_check_surrogates(text, len)) != len) {
		error_set(err, errlen, "malformed JSON at byte %zu: "
		    "unpaired UTF-16 surrogate escape", *offset);
		errno = EINVAL;
		return -1;
	}
	if ((h = yajl_alloc(callbacks, NULL, ctx)) == NULL) {
		error_set(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	status = yajl_parse(h, (const unsigned char *)text, len);
	if (status == yajl_status_ok) {
		status = yajl_complete_parse(h);
		*offset = len;
	} else
		*offset = yajl_get_bytes_consumed(h);
	if (status == yajl_status_client_canceled)
		rc = 1;
	else if (status == yajl_status_ok)
		rc = 0;
	else {
		json_yajl_error(h, text, len, *offset, err, errlen);
		errno = EINVAL;
	}
	yajl_free(h);
	return rc;
}

/*
 * Parses `len` bytes of untrusted JSON of at most `max_nodes` values into a
 * tree.  Called by the form parser, the bulk handlers and tenantctl's bulk
 * import.  Returns the tree (free it with json_free()), or NULL with a
 * message in `err` and errno set (see json.h).
 */
struct json_value *
json_parse_limited(const char *text, size_t len, size_t max_nodes, char *err,
    size_t errlen)
{
	struct json_parser	 parser;
	struct json_value	*result = NULL;
	size_t			 offset;
	int			 rc;

	memset(&parser, 0, sizeof(parser));
	parser.max_nodes = max_nodes;
	if (errlen > 0)
		err[0] = '\0';

	rc = json_events_parse(&json_callbacks, &parser, text, len, &offset,
	    err, errlen);
	if (rc == -1) {
		parser.out_of_memory = errno == ENOMEM;
		goto out;
	}
	if (rc == 1) {
		if (errlen > 0 && parser.out_of_memory)
			snprintf(err, errlen, "out of memory");
		else if (errlen > 0 && parser.too_many_nodes)
			snprintf(err, errlen, "JSON document holds %s (stopped "
			    "at byte %zu)", parser.message, offset);
		else if (errlen > 0)
			snprintf(err, errlen, "malformed JSON at byte %zu: %s",
			    offset, parser.message);
		goto out;
	}
	result = parser.root;
	parser.root = NULL;
out:
	json_free(parser.root);
	free(parser.pending_key);
	if (result == NULL)
		errno = parser.out_of_memory ? ENOMEM :
		    parser.too_many_nodes ? E2BIG : EINVAL;
	return result;
}

/*
 * Parses JSON with the JSON_MAX_NODES budget, for documents tenantd wrote
 * itself or an operator gave it.  Returns as json_parse_limited().
 */
struct json_value *
json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	return json_parse_limited(text, len, JSON_MAX_NODES, err, errlen);
}

/*
 * Finds member `key` of an object.  Returns its value, or NULL if `obj` is
 * not an object or has no such member.
 */
const struct json_value *
json_object_get(const struct json_value *obj, const char *key)
{
	size_t	i;

	if (obj == NULL || obj->type != JSON_OBJECT || key == NULL)
		return NULL;
	for (i = 0; i < obj->count; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

/* The JSON name of a type, for messages such as "must be a string". */
const char *
json_type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "boolean";
	case JSON_NUMBER:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	}
	return "unknown";
}

/*
 * Converts a JSON number without fraction or exponent to an integer in
 * [min, max].  "-0" is zero.  Returns 0, or -1 if `v` is no such number.
 */
int
json_number_int64(const struct json_value *v, int64_t min, int64_t max,
    int64_t *out)
{
	const char	*errstr;
	int64_t		 value;

	if (v == NULL || v->type != JSON_NUMBER || v->text == NULL)
		return -1;
	if (strpbrk(v->text, ".eE") != NULL)
		return -1;
	if (strcmp(v->text, "-0") == 0) {
		if (min > 0 || max < 0)
			return -1;
		*out = 0;
		return 0;
	}
	if (parse_int64(v->text, min, max, &value, &errstr) == -1)
		return -1;
	*out = value;
	return 0;
}

/*
 * Parses string `text` when it holds a JSON object (json.h).  Called by
 * the job bodies for their payloads.  Returns the tree or NULL.
 */
struct json_value *
json_parse_object(const char *text)
{
	struct json_value *v;
	char err[128];

	if (text == NULL || (v = json_parse(text, strlen(text), err,
	    sizeof(err))) == NULL)
		return NULL;
	if (v->type != JSON_OBJECT) {
		json_free(v);
		return NULL;
	}
	return v;
}

/*
 * Reads an array of integers of object `obj` (json.h), as job payloads
 * list tenant ids.  Returns 0 or -1.
 */
int
json_object_int64_array(const struct json_value *obj, const char *key,
    int64_t min, int64_t max, size_t max_count, int64_t **out, size_t *count)
{
	const struct json_value	*list;
	int64_t			*values = NULL;
	size_t			 i;
	int			 rc = -1;

	*out = NULL;
	*count = 0;
	list = json_object_get(obj, key);
	if (list == NULL || list->type != JSON_ARRAY || list->count > max_count)
		goto out;
	if (list->count > 0 &&
	    (values = calloc(list->count, sizeof(*values))) == NULL)
		goto out;
	for (i = 0; i < list->count; i++)
		if (json_number_int64(list->items[i], min, max,
		    &values[i]) == -1)
			goto out;
	*out = values;
	*count = list->count;
	values = NULL;
	rc = 0;
out:
	free(values);
	return rc;
}

/*
 * Allocates a generator for compact output that refuses invalid UTF-8.
 * Returns it (free with yajl_gen_free()), or NULL if out of memory.
 */
yajl_gen
json_gen_new(void)
{
	yajl_gen	g;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	if (!yajl_gen_config(g, yajl_gen_beautify, 0) ||
	    !yajl_gen_config(g, yajl_gen_validate_utf8, 1)) {
		yajl_gen_free(g);
		return NULL;
	}
	return g;
}

/*
 * Writes a string value, or null for NULL.  Returns the yajl status.
 * yajl's own UTF-8 check lets overlong forms and surrogates through, which
 * json_parse() (and browsers) refuse, so the strict check runs first: a
 * document we write must always read back.
 */
int
json_gen_string(yajl_gen g, const char *s)
{
	size_t len;

	if (s == NULL)
		return yajl_gen_null(g);
	len = strlen(s);
	if (utf8_length(s, len) < 0)
		return yajl_gen_invalid_string;
	return yajl_gen_string(g, (const unsigned char *)s, len);
}

/* Writes an object key, checked like json_gen_string().  Returns the status. */
int
json_gen_key(yajl_gen g, const char *key)
{
	size_t len = strlen(key);

	if (utf8_length(key, len) < 0)
		return yajl_gen_invalid_string;
	return yajl_gen_string(g, (const unsigned char *)key, len);
}

/* Writes `key` and a string value (null for NULL).  Returns the status. */
int
json_gen_kv_string(yajl_gen g, const char *key, const char *value)
{
	int	status;

	if ((status = json_gen_key(g, key)) != yajl_gen_status_ok)
		return status;
	return json_gen_string(g, value);
}

/* Writes `key` and an integer value.  Returns the yajl status. */
int
json_gen_kv_int(yajl_gen g, const char *key, long long value)
{
	int	status;

	if ((status = json_gen_key(g, key)) != yajl_gen_status_ok)
		return status;
	return yajl_gen_integer(g, value);
}

/* Writes `key` and true or false.  Returns the yajl status. */
int
json_gen_kv_bool(yajl_gen g, const char *key, int value)
{
	int	status;

	if ((status = json_gen_key(g, key)) != yajl_gen_status_ok)
		return status;
	return yajl_gen_bool(g, value != 0);
}

/* Writes `key` and null.  Returns the yajl status. */
int
json_gen_kv_null(yajl_gen g, const char *key)
{
	int	status;

	if ((status = json_gen_key(g, key)) != yajl_gen_status_ok)
		return status;
	return yajl_gen_null(g);
}

/*
 * Appends everything `g` has generated so far to `out`; the generator keeps
 * its output.  Returns 0, or -1 if `out` would pass its limit.
 */
int
json_gen_to_buf(yajl_gen g, struct buf *out)
{
	const unsigned char	*data;
	size_t			 len;

	if (yajl_gen_get_buf(g, &data, &len) != yajl_gen_status_ok)
		return -1;
	return buf_append(out, data, len);
}

/*
 * Writes JSON value `v` (a tree json_parse() built, so at most
 * JSON_MAX_DEPTH deep and with validated strings) with `g`, e.g. to
 * re-emit a stored document inside a response.  Returns the yajl status.
 */
yajl_gen_status
json_gen_value(yajl_gen g, const struct json_value *v)
{
	yajl_gen_status	status;
	size_t		i;

	switch (v->type) {
	case JSON_NULL:
		return yajl_gen_null(g);
	case JSON_BOOL:
		return yajl_gen_bool(g, v->boolean);
	case JSON_NUMBER:
		return yajl_gen_number(g, v->text, v->len);
	case JSON_STRING:
		return yajl_gen_string(g, (const unsigned char *)v->text,
		    v->len);
	case JSON_ARRAY:
		if ((status = yajl_gen_array_open(g)) != yajl_gen_status_ok)
			return status;
		for (i = 0; i < v->count; i++)
			if ((status = json_gen_value(g, v->items[i])) !=
			    yajl_gen_status_ok)
				return status;
		return yajl_gen_array_close(g);
	case JSON_OBJECT:
		if ((status = yajl_gen_map_open(g)) != yajl_gen_status_ok)
			return status;
		for (i = 0; i < v->count; i++)
			if ((status = json_gen_key(g, v->keys[i])) !=
			    yajl_gen_status_ok ||
			    (status = json_gen_value(g, v->items[i])) !=
			    yajl_gen_status_ok)
				return status;
		return yajl_gen_map_close(g);
	}
	return yajl_gen_invalid_string;
}
