/*
 * form.h - request fields, whatever the body's encoding.
 *
 * The admin UI posts HTML forms (urlencoded or multipart), scripts post
 * JSON, and options also arrive in the query string.  All of them become a
 * struct form: a list of named fields, each with one or more values.  A value
 * remembers what it was (a string, a JSON boolean or number, an uploaded
 * file ...) so validators can refuse `"name": 123` while still accepting
 * `name=123` from a form, where everything is text.
 *
 * JSON bodies must be one object.  Its members become fields; a member that
 * is an array becomes one value per element (so `"module_keys": ["a","b"]`
 * reads like `module_keys=a&module_keys=b`).  Nested objects and arrays
 * inside arrays become FORM_VALUE_JSON values that point into the tree kept
 * in form->json, for the few endpoints that take structured input (bulk).
 * form->from_json tells a JSON form from a text one, so a field that must
 * be a list can insist on a JSON array while a form repeats the field.
 *
 * Parsers never trust lengths from the client: every count and size is
 * bounded by struct form_limits and checked before allocation.  A file part
 * past max_file_bytes is not copied but recorded as FORM_VALUE_FILE_TOO_LARGE,
 * so the field's own validator answers for it (a logo over the logo limit
 * gets the same field error whatever its size) while memory stays bounded.
 *
 * Ownership: a struct form owns all its fields, values and the JSON tree;
 * form_release() frees them.  form_init() allocates nothing.
 */
#ifndef TENANTD_FORM_H
#define TENANTD_FORM_H

#include <stddef.h>

#include "result.h"

struct json_value;

/* Longest multipart boundary (RFC 2046). */
#define FORM_BOUNDARY_MAX	70

enum form_value_kind {
	FORM_VALUE_STRING,	/* form text or a JSON string */
	FORM_VALUE_BOOL,	/* JSON true/false; data is "true"/"false" */
	FORM_VALUE_NUMBER,	/* JSON number; data is its source text */
	FORM_VALUE_NULL,	/* JSON null; data is "" */
	FORM_VALUE_FILE,	/* multipart part with a filename */
	FORM_VALUE_FILE_TOO_LARGE, /* such a part past max_file_bytes: its
				   bytes are not kept (data is "") */
	FORM_VALUE_JSON		/* JSON object/array; see `json` */
};

struct form_value {
	enum form_value_kind kind;
	char		*data;		/* NUL-terminated copy (files may hold NULs) */
	size_t		 len;
	char		*filename;	/* FORM_VALUE_FILE: the client's name, or NULL */
	char		*content_type;	/* FORM_VALUE_FILE: the client's claim, or NULL */
	const struct json_value *json;	/* FORM_VALUE_JSON: node in form->json */
};

struct form_field {
	char		*name;
	struct form_value *values;
	size_t		 count;
	int		 from_array;	/* JSON array (possibly empty) */
};

struct form {
	struct form_field *fields;
	size_t		 count;
	struct json_value *json;	/* the parsed JSON body, or NULL */
	int		 from_json;	/* members of a JSON object */
	const char	*media_type;	/* how form_parse_body() read the body
					   ("application/json" ...), NULL
					   for an empty one; for messages */
};

struct form_limits {
	size_t	max_fields;		/* distinct names plus repeats */
	size_t	max_name_bytes;		/* per field name */
	size_t	max_value_bytes;	/* per non-file value */
	size_t	max_file_bytes;		/* per file part kept */
	size_t	max_json_nodes;		/* values in a JSON body, all levels */
};

/*
 * Sensible limits for API requests (256 fields, 256 B names, 64 KiB values,
 * 2 MiB files, 100000 JSON values).
 */
extern const struct form_limits form_default_limits;

/*
 * The parsers and form_add() return an enum result (result.h): RESULT_OK,
 * RESULT_MALFORMED (bad syntax; the message says where),
 * RESULT_UNSUPPORTED (a content type not understood), RESULT_TOO_LARGE (a
 * limit was passed) or RESULT_NO_MEMORY, with a message in `err`.
 */

void	form_init(struct form *f);
void	form_release(struct form *f);

/*
 * Parses a request body according to its Content-Type header value (NULL or
 * empty with an empty body is an empty form).  Accepts application/json,
 * application/x-www-form-urlencoded and multipart/form-data (boundary taken
 * from the header).  On failure, `err` holds a message for the client.
 */
enum result form_parse_body(struct form *f, const char *content_type,
	    const char *body, size_t len, const struct form_limits *limits,
	    char *err, size_t errlen);

/* The individual parsers, also used by the fuzz targets. */
enum result form_parse_urlencoded(struct form *f, const char *text,
	    size_t len, const struct form_limits *limits, char *err,
	    size_t errlen);
enum result form_parse_multipart(struct form *f, const char *boundary,
	    const char *body, size_t len, const struct form_limits *limits,
	    char *err, size_t errlen);
enum result form_parse_json(struct form *f, const char *body,
	    size_t len, const struct form_limits *limits, char *err,
	    size_t errlen);

/*
 * Adds the members of JSON object `obj` to `f` the way form_parse_json()
 * adds a body's: one field per member, one value per array element.  The
 * tree stays the caller's (f->json is not set): it must outlive `f`, whose
 * FORM_VALUE_JSON values point into it.  Bulk create reads each item of its
 * list this way.  Returns RESULT_OK, RESULT_MALFORMED when `obj` is no
 * object, or another status with a message.
 */
enum result form_from_json_object(struct form *f,
	    const struct json_value *obj, const struct form_limits *limits,
	    char *err, size_t errlen);

/*
 * Does a body look like JSON, i.e. start (after white space) with '{' or
 * '['?  A browser percent-encodes both in a form, so a form body that
 * does is almost surely JSON sent with the wrong Content-Type (curl -d).
 */
int	form_body_looks_like_json(const char *body, size_t len);

/*
 * Adds one value to field `name` (`name_len` bytes) of `f`, creating the
 * field on first use; every parser adds through it, and so may a caller
 * building a form by hand (tenantctl does).  Checks the field count, the
 * name and the value size against `limits` before copying anything; a
 * FORM_VALUE_FILE past max_file_bytes is kept as FORM_VALUE_FILE_TOO_LARGE
 * without its bytes.  `data` (`len` bytes) is copied, and for files
 * `filename` and `content_type` (C strings or NULL); `json` is kept, not
 * copied, for FORM_VALUE_JSON (the tree must outlive `f`).  Returns
 * RESULT_OK or another status with a message; on failure the form may hold
 * an empty new field but no partial value.
 */
enum result form_add(struct form *f, const char *name, size_t name_len,
	    enum form_value_kind kind, const char *data, size_t len,
	    const char *filename, const char *content_type,
	    const struct json_value *json, const struct form_limits *limits,
	    char *err, size_t errlen);

/*
 * Formats a message for the client into `err` (when there is room) and
 * returns `status`, so each failure of a parser of lib/form*.c is one
 * statement.
 */
enum result form_fail(char *err, size_t errlen, enum result status,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The field called `name`, or NULL. */
const struct form_field *form_get(const struct form *f, const char *name);

/* The first value of field `name`, or NULL. */
const struct form_value *form_first(const struct form *f, const char *name);

/*
 * Decodes %XX escapes and '+' (when `plus_is_space`) of `len` bytes into
 * `out`, which must hold len + 1 bytes.  Returns the decoded length, or -1
 * on a malformed escape.  The result may contain NUL bytes; callers that need
 * text must check.
 */
long	form_percent_decode(const char *in, size_t len, char *out,
	    int plus_is_space);

#endif
