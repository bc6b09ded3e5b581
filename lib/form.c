/*
 * form.c - the field list every request body and query string becomes
 * (see form.h): adding a value within struct form_limits, lookups, and
 * the members of a JSON object as fields.
 *
 * Every parser goes through form_add(), which enforces struct form_limits
 * before it allocates anything, so a hostile body costs at most what the
 * limits allow on top of the body itself.  The text parsers are
 * form_urlencoded.c and form_multipart.c; form_body.c picks one by
 * Content-Type.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "json.h"

/* Longest field name quoted in an error message. */
#define FORM_NAME_QUOTE_MAX	64

const struct form_limits form_default_limits = {
	256,			/* max_fields */
	256,			/* max_name_bytes */
	64 * 1024,		/* max_value_bytes */
	2 * 1024 * 1024,	/* max_file_bytes */
	100000			/* max_json_nodes */
};

/* Sets up an empty form; allocates nothing. */
void
form_init(struct form *f)
{
	f->fields = NULL;
	f->count = 0;
	f->json = NULL;
	f->from_json = 0;
	f->media_type = NULL;
}

/*
 * Frees every field, value and the JSON tree; the form is empty again and may
 * be reused.  Accepts a form that was only initialised.
 */
void
form_release(struct form *f)
{
	size_t	i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->count; i++) {
		for (j = 0; j < f->fields[i].count; j++) {
			free(f->fields[i].values[j].data);
			free(f->fields[i].values[j].filename);
			free(f->fields[i].values[j].content_type);
		}
		free(f->fields[i].values);
		free(f->fields[i].name);
	}
	free(f->fields);
	json_free(f->json);
	form_init(f);
}

/*
 * Formats a message for the client into `err` and returns `status`, so each
 * failure path is one statement.
 */
enum result
form_fail(char *err, size_t errlen, enum result status,
    const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

/*
 * Describes a field for an error message: its name in quotes when the name
 * is short printable ASCII, otherwise only "a field", so client bytes never
 * make a message invalid UTF-8 or misleading.
 */
static void
form_describe(const char *name, size_t name_len, char *out, size_t outlen)
{
	size_t	i;

	if (name_len == 0 || name_len > FORM_NAME_QUOTE_MAX)
		goto anonymous;
	for (i = 0; i < name_len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '"' ||
		    name[i] == '\\')
			goto anonymous;
	snprintf(out, outlen, "field \"%.*s\"", (int)name_len, name);
	return;
anonymous:
	snprintf(out, outlen, "a field");
}

/*
 * The number of slots allocated for `count` fields or values: none when
 * empty, else the next power of two from 4 up.  The public structs carry no
 * capacity, and recomputing it is cheap.
 */
static size_t
form_capacity(size_t count)
{
	size_t	cap = 4;

	if (count == 0)
		return 0;
	while (cap < count)
		cap *= 2;
	return cap;
}

/*
 * Makes room for one more element in `array`, which holds `count` elements
 * of `size` bytes.  Returns the array to use from now on (perhaps moved), or
 * NULL if out of memory, in which case `array` is unchanged.
 */
static void *
form_grow(void *array, size_t count, size_t size)
{
	size_t	new_cap;

	if (count != form_capacity(count))
		return array;
	if (count > SIZE_MAX / 2 / size)
		return NULL;
	new_cap = count == 0 ? 4 : count * 2;
	return reallocarray(array, new_cap, size);
}

/*
 * Counts what max_fields limits: every value, plus one for each field that
 * has none (an empty JSON array).
 */
static size_t
form_total(const struct form *f)
{
	size_t	i, total = 0;

	for (i = 0; i < f->count; i++)
		total += f->fields[i].count == 0 ? 1 : f->fields[i].count;
	return total;
}

/*
 * Finds the field called `name` (of `name_len` bytes) or appends a new one,
 * after checking the name against the limits.  Returns RESULT_OK with
 * *field set, or another status with a message.
 */
static enum result
form_field_for(struct form *f, const char *name, size_t name_len,
    const struct form_limits *limits, struct form_field **field, char *err,
    size_t errlen)
{
	struct form_field	*new_field, *grown;
	size_t			 i;

	if (memchr(name, '\0', name_len) != NULL)
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "field name contains a NUL byte");
	if (name_len > limits->max_name_bytes)
		return form_fail(err, errlen, RESULT_TOO_LARGE,
		    "field name longer than %zu bytes",
		    limits->max_name_bytes);
	for (i = 0; i < f->count; i++) {
		if (strlen(f->fields[i].name) == name_len &&
		    memcmp(f->fields[i].name, name, name_len) == 0) {
			*field = &f->fields[i];
			return RESULT_OK;
		}
	}
	grown = form_grow(f->fields, f->count, sizeof(*f->fields));
	if (grown == NULL)
		return form_fail(err, errlen, RESULT_NO_MEMORY,
		    "out of memory");
	f->fields = grown;
	new_field = &f->fields[f->count];
	memset(new_field, 0, sizeof(*new_field));
	if ((new_field->name = strndup(name, name_len)) == NULL)
		return form_fail(err, errlen, RESULT_NO_MEMORY,
		    "out of memory");
	f->count++;
	*field = new_field;
	return RESULT_OK;
}

/*
 * Copies `len` bytes into a new NUL-terminated string.  Returns it, or NULL
 * if out of memory.
 */
static char *
form_copy(const char *data, size_t len)
{
	char	*copy;

	if (len == SIZE_MAX || (copy = malloc(len + 1)) == NULL)
		return NULL;
	if (len != 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	return copy;
}

/*
 * Adds one value to field `name`, creating the field on first use.  Checks
 * the field count, name and value size against `limits` before copying
 * anything; a file past max_file_bytes is kept as FORM_VALUE_FILE_TOO_LARGE
 * without its bytes.  `filename` and `content_type` (C strings or NULL) are
 * copied for files; `json` is kept for FORM_VALUE_JSON.  Returns RESULT_OK or
 * another status with a message; on failure the form may hold an empty new
 * field but no partial value.
 */
enum result
form_add(struct form *f, const char *name, size_t name_len,
    enum form_value_kind kind, const char *data, size_t len,
    const char *filename, const char *content_type,
    const struct json_value *json, const struct form_limits *limits,
    char *err, size_t errlen)
{
	struct form_field	*field;
	struct form_value	 value, *grown;
	enum result		 status;
	char			 what[FORM_NAME_QUOTE_MAX + 16];

	form_describe(name, name_len, what, sizeof(what));
	if (kind == FORM_VALUE_FILE && len > limits->max_file_bytes) {
		kind = FORM_VALUE_FILE_TOO_LARGE;
		data = "";
		len = 0;
	}
	if (kind != FORM_VALUE_FILE && kind != FORM_VALUE_FILE_TOO_LARGE &&
	    len > limits->max_value_bytes)
		return form_fail(err, errlen, RESULT_TOO_LARGE,
		    "value of %s longer than %zu bytes", what,
		    limits->max_value_bytes);
	if (form_total(f) >= limits->max_fields)
		return form_fail(err, errlen, RESULT_TOO_LARGE,
		    "more than %zu fields", limits->max_fields);
	status = form_field_for(f, name, name_len, limits, &field, err,
	    errlen);
	if (status != RESULT_OK)
		return status;

	memset(&value, 0, sizeof(value));
	value.kind = kind;
	value.len = len;
	value.json = json;
	if ((value.data = form_copy(data, len)) == NULL)
		goto no_memory;
	if (filename != NULL &&
	    (value.filename = form_copy(filename, strlen(filename))) == NULL)
		goto no_memory;
	if (content_type != NULL && (value.content_type =
	    form_copy(content_type, strlen(content_type))) == NULL)
		goto no_memory;
	grown = form_grow(field->values, field->count, sizeof(*field->values));
	if (grown == NULL)
		goto no_memory;
	field->values = grown;
	field->values[field->count++] = value;
	return RESULT_OK;
no_memory:
	free(value.data);
	free(value.filename);
	free(value.content_type);
	return form_fail(err, errlen, RESULT_NO_MEMORY, "out of memory");
}

/*
 * Adds JSON value `v` as one value of field `name`: scalars by kind, objects
 * and arrays as FORM_VALUE_JSON pointing into the tree.  Returns a status.
 */
static enum result
form_add_json_value(struct form *f, const char *name,
    const struct json_value *v, const struct form_limits *limits, char *err,
    size_t errlen)
{
	size_t	name_len = strlen(name);

	switch (v->type) {
	case JSON_STRING:
		return form_add(f, name, name_len, FORM_VALUE_STRING, v->text,
		    v->len, NULL, NULL, NULL, limits, err, errlen);
	case JSON_NUMBER:
		return form_add(f, name, name_len, FORM_VALUE_NUMBER, v->text,
		    v->len, NULL, NULL, NULL, limits, err, errlen);
	case JSON_BOOL:
		return form_add(f, name, name_len, FORM_VALUE_BOOL,
		    v->boolean ? "true" : "false", v->boolean ? 4 : 5, NULL,
		    NULL, NULL, limits, err, errlen);
	case JSON_NULL:
		return form_add(f, name, name_len, FORM_VALUE_NULL, "", 0,
		    NULL, NULL, NULL, limits, err, errlen);
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	}
	return form_add(f, name, name_len, FORM_VALUE_JSON, "", 0, NULL, NULL,
	    v, limits, err, errlen);
}

/*
 * Adds the members of JSON object `obj` to `f` (see form.h): each member
 * becomes a field; an array member becomes one value per element (and
 * marks the field from_array, even when empty).  Nested objects and arrays
 * point into `obj`.  Used by form_parse_json() for a whole body and by bulk
 * create for each item of its list.  Returns RESULT_OK or another status with
 * a message.
 */
enum result
form_from_json_object(struct form *f, const struct json_value *obj,
    const struct form_limits *limits, char *err, size_t errlen)
{
	const struct json_value	*member;
	struct form_field	*field;
	enum result		 status;
	size_t			 i, j;

	if (limits == NULL)
		limits = &form_default_limits;
	if (obj == NULL || obj->type != JSON_OBJECT)
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "must be a JSON object");
	f->from_json = 1;
	for (i = 0; i < obj->count; i++) {
		member = obj->items[i];
		if (member->type != JSON_ARRAY) {
			status = form_add_json_value(f, obj->keys[i], member,
			    limits, err, errlen);
			if (status != RESULT_OK)
				return status;
			continue;
		}
		if (form_total(f) >= limits->max_fields)
			return form_fail(err, errlen, RESULT_TOO_LARGE,
			    "more than %zu fields", limits->max_fields);
		status = form_field_for(f, obj->keys[i],
		    strlen(obj->keys[i]), limits, &field, err, errlen);
		if (status != RESULT_OK)
			return status;
		field->from_array = 1;
		for (j = 0; j < member->count; j++) {
			status = form_add_json_value(f, obj->keys[i],
			    member->items[j], limits, err, errlen);
			if (status != RESULT_OK)
				return status;
		}
	}
	return RESULT_OK;
}

/*
 * Parses a JSON body, which must be one object, into `f` with
 * form_from_json_object().  The parse itself stops at max_json_nodes
 * values, so the tree is bounded before max_fields is ever looked at.  The
 * tree is kept in f->json.  Returns RESULT_OK or another status with a
 * message.
 */
enum result
form_parse_json(struct form *f, const char *body, size_t len,
    const struct form_limits *limits, char *err, size_t errlen)
{
	struct json_value	*root;

	if (limits == NULL)
		limits = &form_default_limits;
	if (f->json != NULL)
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "more than one JSON body");
	if ((root = json_parse_limited(body, len, limits->max_json_nodes, err,
	    errlen)) == NULL) {
		if (errno == ENOMEM)
			return RESULT_NO_MEMORY;
		return errno == E2BIG ? RESULT_TOO_LARGE : RESULT_MALFORMED;
	}
	f->json = root;
	if (root->type != JSON_OBJECT)
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "request body must be a JSON object");
	return form_from_json_object(f, root, limits, err, errlen);
}

/* The field called `name`, or NULL. */
const struct form_field *
form_get(const struct form *f, const char *name)
{
	size_t	i;

	if (f == NULL || name == NULL)
		return NULL;
	for (i = 0; i < f->count; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

/* The first value of field `name`, or NULL (absent or an empty array). */
const struct form_value *
form_first(const struct form *f, const char *name)
{
	const struct form_field	*field;

	if ((field = form_get(f, name)) == NULL || field->count == 0)
		return NULL;
	return &field->values[0];
}

