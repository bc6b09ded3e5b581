/*
 * form.c - request fields from urlencoded, multipart and JSON bodies (see
 * form.h).
 *
 * The three parsers differ only in how they find names and values; all of
 * them go through form_add(), which enforces struct form_limits before it
 * allocates anything, so a hostile body costs at most what the limits allow
 * on top of the body itself.  Nothing here trusts a length or count sent by
 * the client; multipart parts are found by searching for the boundary, never
 * by a declared Content-Length.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "json.h"
#include "validate.h"

/* Largest header block of one multipart part. */
#define FORM_PART_HEADERS_MAX	8192

/* Longest multipart boundary (RFC 2046). */
#define FORM_BOUNDARY_MAX	70

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
static enum form_status __attribute__((format(printf, 4, 5)))
form_fail(char *err, size_t errlen, enum form_status status,
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
 * after checking the name against the limits.  Returns FORM_OK with
 * *field set, or another status with a message.
 */
static enum form_status
form_field_for(struct form *f, const char *name, size_t name_len,
    const struct form_limits *limits, struct form_field **field, char *err,
    size_t errlen)
{
	struct form_field	*new_field, *grown;
	size_t			 i;

	if (memchr(name, '\0', name_len) != NULL)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "field name contains a NUL byte");
	if (name_len > limits->max_name_bytes)
		return form_fail(err, errlen, FORM_TOO_LARGE,
		    "field name longer than %zu bytes",
		    limits->max_name_bytes);
	for (i = 0; i < f->count; i++) {
		if (strlen(f->fields[i].name) == name_len &&
		    memcmp(f->fields[i].name, name, name_len) == 0) {
			*field = &f->fields[i];
			return FORM_OK;
		}
	}
	grown = form_grow(f->fields, f->count, sizeof(*f->fields));
	if (grown == NULL)
		return form_fail(err, errlen, FORM_NO_MEMORY, "out of memory");
	f->fields = grown;
	new_field = &f->fields[f->count];
	memset(new_field, 0, sizeof(*new_field));
	if ((new_field->name = strndup(name, name_len)) == NULL)
		return form_fail(err, errlen, FORM_NO_MEMORY, "out of memory");
	f->count++;
	*field = new_field;
	return FORM_OK;
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
 * copied for files; `json` is kept for FORM_VALUE_JSON.  Returns FORM_OK or
 * another status with a message; on failure the form may hold an empty new
 * field but no partial value.
 */
static enum form_status
form_add(struct form *f, const char *name, size_t name_len,
    enum form_value_kind kind, const char *data, size_t len,
    const char *filename, const char *content_type,
    const struct json_value *json, const struct form_limits *limits,
    char *err, size_t errlen)
{
	struct form_field	*field;
	struct form_value	 value, *grown;
	enum form_status	 status;
	char			 what[FORM_NAME_QUOTE_MAX + 16];

	form_describe(name, name_len, what, sizeof(what));
	if (kind == FORM_VALUE_FILE && len > limits->max_file_bytes) {
		kind = FORM_VALUE_FILE_TOO_LARGE;
		data = "";
		len = 0;
	}
	if (kind != FORM_VALUE_FILE && kind != FORM_VALUE_FILE_TOO_LARGE &&
	    len > limits->max_value_bytes)
		return form_fail(err, errlen, FORM_TOO_LARGE,
		    "value of %s longer than %zu bytes", what,
		    limits->max_value_bytes);
	if (form_total(f) >= limits->max_fields)
		return form_fail(err, errlen, FORM_TOO_LARGE,
		    "more than %zu fields", limits->max_fields);
	status = form_field_for(f, name, name_len, limits, &field, err,
	    errlen);
	if (status != FORM_OK)
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
	return FORM_OK;
no_memory:
	free(value.data);
	free(value.filename);
	free(value.content_type);
	return form_fail(err, errlen, FORM_NO_MEMORY, "out of memory");
}

/*
 * Decodes %XX escapes (and '+' as space when `plus_is_space`) of `len` bytes
 * into `out` (len + 1 bytes), NUL-terminating it.  Returns the decoded
 * length, or -1 on a '%' not followed by two hex digits.
 */
long
form_percent_decode(const char *in, size_t len, char *out, int plus_is_space)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 i, used = 0;
	int			 high, low;

	if (len > (size_t)LONG_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (in[i] == '%') {
			if (len - i < 3 ||
			    (high = hex_digit_value(p[i + 1])) < 0 ||
			    (low = hex_digit_value(p[i + 2])) < 0)
				return -1;
			out[used++] = (char)(high * 16 + low);
			i += 2;
		} else if (in[i] == '+' && plus_is_space)
			out[used++] = ' ';
		else
			out[used++] = in[i];
	}
	out[used] = '\0';
	return (long)used;
}

/*
 * Parses application/x-www-form-urlencoded text (a body or a query string)
 * into `f`, appending to what it holds.  Pairs are split on '&' only; empty
 * pairs are skipped; a pair without '=' has an empty value.  Returns FORM_OK
 * or another status with a message.
 */
enum form_status
form_parse_urlencoded(struct form *f, const char *text, size_t len,
    const struct form_limits *limits, char *err, size_t errlen)
{
	enum form_status	 status = FORM_OK;
	char			*scratch = NULL;
	const char		*pair, *end, *next, *equals;
	size_t			 pair_len, name_len, index = 0;
	long			 name_out, value_out;

	if (limits == NULL)
		limits = &form_default_limits;
	if (len == 0)
		return FORM_OK;
	/* Decoding never grows text, so one buffer holds any name + value. */
	if (len > SIZE_MAX - 2 || (scratch = malloc(len + 2)) == NULL)
		return form_fail(err, errlen, FORM_NO_MEMORY, "out of memory");

	end = text + len;
	for (pair = text; pair < end; pair = next) {
		next = memchr(pair, '&', (size_t)(end - pair));
		pair_len = next == NULL ? (size_t)(end - pair) :
		    (size_t)(next - pair);
		next = next == NULL ? end : next + 1;
		if (pair_len == 0)
			continue;
		index++;
		equals = memchr(pair, '=', pair_len);
		name_len = equals == NULL ? pair_len : (size_t)(equals - pair);

		name_out = form_percent_decode(pair, name_len, scratch, 1);
		value_out = equals == NULL ? 0 : form_percent_decode(equals + 1,
		    pair_len - name_len - 1, scratch + name_len + 1, 1);
		if (equals == NULL)
			scratch[name_len + 1] = '\0';
		if (name_out < 0 || value_out < 0) {
			status = form_fail(err, errlen, FORM_MALFORMED,
			    "malformed %%-escape in pair %zu of the form data",
			    index);
			goto out;
		}
		status = form_add(f, scratch, (size_t)name_out,
		    FORM_VALUE_STRING, scratch + name_len + 1,
		    (size_t)value_out, NULL, NULL, NULL, limits, err, errlen);
		if (status != FORM_OK)
			goto out;
	}
out:
	free(scratch);
	return status;
}

/*
 * Finds `needle` in `len` bytes at `haystack`.  Returns a pointer to it or
 * NULL.
 */
static const char *
form_find(const char *haystack, size_t len, const char *needle,
    size_t needle_len)
{
	return memmem(haystack, len, needle, needle_len);
}

/* Does `len` bytes at `s` equal `word`, ignoring ASCII case? */
static int
form_equal_nocase(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Advances `*p` past spaces and tabs before `end`. */
static void
form_skip_space(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/*
 * Reads one "; name=value" parameter of a header value (Content-Type or
 * Content-Disposition) starting at `*p`.  Values are tokens or quoted strings
 * taken literally up to the closing quote, as browsers send them (they
 * percent-encode quotes inside names instead of using backslashes).
 * Returns 1 with the pieces set and `*p` advanced, 0 at the end of the
 * value, or -1 if the text is malformed.
 */
static int
form_next_param(const char **p, const char *end, const char **name,
    size_t *name_len, const char **value, size_t *value_len)
{
	const char	*s = *p, *close;

	form_skip_space(&s, end);
	if (s == end)
		return 0;
	if (*s != ';')
		return -1;
	s++;
	form_skip_space(&s, end);
	*name = s;
	while (s < end && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
		s++;
	*name_len = (size_t)(s - *name);
	form_skip_space(&s, end);
	if (*name_len == 0 || s == end || *s != '=')
		return -1;
	s++;
	form_skip_space(&s, end);
	if (s < end && *s == '"') {
		s++;
		if ((close = memchr(s, '"', (size_t)(end - s))) == NULL)
			return -1;
		*value = s;
		*value_len = (size_t)(close - s);
		s = close + 1;
	} else {
		*value = s;
		while (s < end && *s != ';' && *s != ' ' && *s != '\t')
			s++;
		*value_len = (size_t)(s - *value);
	}
	*p = s;
	return 1;
}

/* What one multipart part's headers said. */
struct form_part {
	const char	*name;
	size_t		 name_len;
	int		 has_name;
	char		 filename[1024];
	int		 has_filename;
	char		 content_type[256];
	int		 has_content_type;
	int		 has_disposition;
};

/*
 * Parses a part's Content-Disposition value into `part`.  Returns 0, or -1
 * with a message naming part `index`.
 */
static int
form_parse_disposition(struct form_part *part, const char *value,
    const char *end, size_t index, char *err, size_t errlen)
{
	const char	*p = value, *type, *param, *text;
	size_t		 param_len, text_len;
	int		 found;

	type = p;
	while (p < end && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	if (!form_equal_nocase(type, (size_t)(p - type), "form-data"))
		goto malformed;
	while ((found = form_next_param(&p, end, &param, &param_len, &text,
	    &text_len)) == 1) {
		if (form_equal_nocase(param, param_len, "name")) {
			if (part->has_name)
				goto malformed;
			part->name = text;
			part->name_len = text_len;
			part->has_name = 1;
		} else if (form_equal_nocase(param, param_len, "filename")) {
			if (part->has_filename ||
			    text_len >= sizeof(part->filename))
				goto malformed;
			memcpy(part->filename, text, text_len);
			part->filename[text_len] = '\0';
			part->has_filename = 1;
		}
	}
	if (found == -1)
		goto malformed;
	return 0;
malformed:
	form_fail(err, errlen, FORM_MALFORMED,
	    "multipart part %zu: malformed Content-Disposition", index);
	return -1;
}

/*
 * Parses the header block of part `index` (CRLF-separated lines, without
 * the blank line) into `part`.  Returns FORM_OK or FORM_MALFORMED with a
 * message.
 */
static enum form_status
form_parse_part_headers(struct form_part *part, const char *headers,
    size_t len, size_t index, char *err, size_t errlen)
{
	const char	*line, *line_end, *end = headers + len, *colon, *value;
	const char	*value_end;
	size_t		 value_len;

	if (memchr(headers, '\0', len) != NULL)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "multipart part %zu: NUL byte in headers", index);
	for (line = headers; line < end; line = line_end + 2) {
		line_end = form_find(line, (size_t)(end - line), "\r\n", 2);
		if (line_end == NULL)
			line_end = end;
		colon = memchr(line, ':', (size_t)(line_end - line));
		if (colon == NULL || colon == line || *line == ' ' ||
		    *line == '\t')
			return form_fail(err, errlen, FORM_MALFORMED,
			    "multipart part %zu: malformed header line", index);
		value = colon + 1;
		form_skip_space(&value, line_end);
		value_end = line_end;
		while (value_end > value &&
		    (value_end[-1] == ' ' || value_end[-1] == '\t'))
			value_end--;
		value_len = (size_t)(value_end - value);

		if (form_equal_nocase(line, (size_t)(colon - line),
		    "Content-Disposition")) {
			if (part->has_disposition)
				return form_fail(err, errlen, FORM_MALFORMED,
				    "multipart part %zu: two "
				    "Content-Disposition headers", index);
			part->has_disposition = 1;
			if (form_parse_disposition(part, value, value_end,
			    index, err, errlen) == -1)
				return FORM_MALFORMED;
		} else if (form_equal_nocase(line, (size_t)(colon - line),
		    "Content-Type")) {
			if (part->has_content_type ||
			    value_len >= sizeof(part->content_type))
				return form_fail(err, errlen, FORM_MALFORMED,
				    "multipart part %zu: malformed "
				    "Content-Type", index);
			memcpy(part->content_type, value, value_len);
			part->content_type[value_len] = '\0';
			part->has_content_type = 1;
		}
		if (line_end == end)
			break;
	}
	if (!part->has_disposition || !part->has_name)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "multipart part %zu: no Content-Disposition with a name",
		    index);
	return FORM_OK;
}

/*
 * Parses a multipart/form-data body (RFC 7578) delimited by `boundary` into
 * `f`.  A preamble before the first boundary line and an epilogue after the
 * closing one are ignored; a body that ends before the closing boundary is
 * malformed.  Returns FORM_OK or another status with a message.
 */
enum form_status
form_parse_multipart(struct form *f, const char *boundary, const char *body,
    size_t len, const struct form_limits *limits, char *err, size_t errlen)
{
	struct form_part	 part;
	enum form_status	 status;
	char			 delimiter[FORM_BOUNDARY_MAX + 5];
	size_t			 boundary_len, delimiter_len, index = 0;
	size_t			 window;
	const char		*p, *end, *found, *headers_end, *data;

	if (limits == NULL)
		limits = &form_default_limits;
	if (boundary == NULL || (boundary_len = strlen(boundary)) == 0 ||
	    boundary_len > FORM_BOUNDARY_MAX ||
	    strpbrk(boundary, "\r\n") != NULL)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "invalid multipart boundary");
	if (body == NULL)
		body = "";
	/* "\r\n--" boundary: the delimiter as it appears after a part. */
	delimiter_len = (size_t)snprintf(delimiter, sizeof(delimiter),
	    "\r\n--%s", boundary);
	end = body + len;

	if (len >= delimiter_len - 2 &&
	    memcmp(body, delimiter + 2, delimiter_len - 2) == 0)
		p = body + delimiter_len - 2;
	else if ((found = form_find(body, len, delimiter, delimiter_len)) !=
	    NULL)
		p = found + delimiter_len;
	else
		return form_fail(err, errlen, FORM_MALFORMED,
		    "multipart body has no boundary line");

	for (;;) {
		/* Just after a delimiter: "--" closes, else padding + CRLF. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return FORM_OK;
		form_skip_space(&p, end);
		if (end - p < 2)
			return form_fail(err, errlen, FORM_MALFORMED,
			    "multipart body ends without the closing boundary");
		if (p[0] != '\r' || p[1] != '\n')
			return form_fail(err, errlen, FORM_MALFORMED,
			    "multipart boundary line %zu is malformed",
			    index + 1);
		p += 2;
		index++;

		memset(&part, 0, sizeof(part));
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			headers_end = p;
			data = p + 2;
		} else {
			window = (size_t)(end - p);
			if (window > FORM_PART_HEADERS_MAX + 4)
				window = FORM_PART_HEADERS_MAX + 4;
			headers_end = form_find(p, window, "\r\n\r\n", 4);
			if (headers_end == NULL && window ==
			    FORM_PART_HEADERS_MAX + 4)
				return form_fail(err, errlen, FORM_TOO_LARGE,
				    "multipart part %zu: headers longer than "
				    "%d bytes", index, FORM_PART_HEADERS_MAX);
			if (headers_end == NULL)
				return form_fail(err, errlen, FORM_MALFORMED,
				    "multipart part %zu is truncated", index);
			data = headers_end + 4;
		}
		status = form_parse_part_headers(&part, p,
		    (size_t)(headers_end - p), index, err, errlen);
		if (status != FORM_OK)
			return status;

		found = form_find(data, (size_t)(end - data), delimiter,
		    delimiter_len);
		if (found == NULL)
			return form_fail(err, errlen, FORM_MALFORMED,
			    "multipart part %zu is truncated (no closing "
			    "boundary)", index);
		status = form_add(f, part.name, part.name_len,
		    part.has_filename ? FORM_VALUE_FILE : FORM_VALUE_STRING,
		    data, (size_t)(found - data),
		    part.has_filename ? part.filename : NULL,
		    part.has_filename && part.has_content_type ?
		    part.content_type : NULL, NULL, limits, err, errlen);
		if (status != FORM_OK)
			return status;
		p = found + delimiter_len;
	}
}

/*
 * Adds JSON value `v` as one value of field `name`: scalars by kind, objects
 * and arrays as FORM_VALUE_JSON pointing into the tree.  Returns a status.
 */
static enum form_status
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
 * create for each item of its list.  Returns FORM_OK or another status with
 * a message.
 */
enum form_status
form_from_json_object(struct form *f, const struct json_value *obj,
    const struct form_limits *limits, char *err, size_t errlen)
{
	const struct json_value	*member;
	struct form_field	*field;
	enum form_status	 status;
	size_t			 i, j;

	if (limits == NULL)
		limits = &form_default_limits;
	if (obj == NULL || obj->type != JSON_OBJECT)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "must be a JSON object");
	f->from_json = 1;
	for (i = 0; i < obj->count; i++) {
		member = obj->items[i];
		if (member->type != JSON_ARRAY) {
			status = form_add_json_value(f, obj->keys[i], member,
			    limits, err, errlen);
			if (status != FORM_OK)
				return status;
			continue;
		}
		if (form_total(f) >= limits->max_fields)
			return form_fail(err, errlen, FORM_TOO_LARGE,
			    "more than %zu fields", limits->max_fields);
		status = form_field_for(f, obj->keys[i],
		    strlen(obj->keys[i]), limits, &field, err, errlen);
		if (status != FORM_OK)
			return status;
		field->from_array = 1;
		for (j = 0; j < member->count; j++) {
			status = form_add_json_value(f, obj->keys[i],
			    member->items[j], limits, err, errlen);
			if (status != FORM_OK)
				return status;
		}
	}
	return FORM_OK;
}

/*
 * Parses a JSON body, which must be one object, into `f` with
 * form_from_json_object().  The parse itself stops at max_json_nodes
 * values, so the tree is bounded before max_fields is ever looked at.  The
 * tree is kept in f->json.  Returns FORM_OK or another status with a
 * message.
 */
enum form_status
form_parse_json(struct form *f, const char *body, size_t len,
    const struct form_limits *limits, char *err, size_t errlen)
{
	struct json_value	*root;

	if (limits == NULL)
		limits = &form_default_limits;
	if (f->json != NULL)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "more than one JSON body");
	if ((root = json_parse_limited(body, len, limits->max_json_nodes, err,
	    errlen)) == NULL) {
		if (errno == ENOMEM)
			return FORM_NO_MEMORY;
		return errno == E2BIG ? FORM_TOO_LARGE : FORM_MALFORMED;
	}
	f->json = root;
	if (root->type != JSON_OBJECT)
		return form_fail(err, errlen, FORM_MALFORMED,
		    "request body must be a JSON object");
	return form_from_json_object(f, root, limits, err, errlen);
}

/*
 * Finds the value of parameter `wanted` in a header value such as
 * "multipart/form-data; boundary=xyz", starting after the media type.
 * Copies it into `out` (of `outlen` bytes).  Returns 1 found, 0 absent, -1
 * malformed or too long.
 */
static int
form_header_param(const char *header, const char *wanted, char *out,
    size_t outlen)
{
	const char	*p, *end, *name, *value;
	size_t		 name_len, value_len;
	int		 found;

	end = header + strlen(header);
	p = header + strcspn(header, ";");
	while ((found = form_next_param(&p, end, &name, &name_len, &value,
	    &value_len)) == 1) {
		if (!form_equal_nocase(name, name_len, wanted))
			continue;
		if (value_len >= outlen)
			return -1;
		memcpy(out, value, value_len);
		out[value_len] = '\0';
		return 1;
	}
	return found;
}

/*
 * Parses a request body by its Content-Type header value: the media type is
 * matched without regard to case or parameters.  An empty body is an empty
 * form whatever the type.  Returns FORM_OK, FORM_UNSUPPORTED for other
 * types, or another status with a message.
 */
enum form_status
form_parse_body(struct form *f, const char *content_type, const char *body,
    size_t len, const struct form_limits *limits, char *err, size_t errlen)
{
	char		 boundary[FORM_BOUNDARY_MAX + 1];
	const char	*type, *type_end;
	size_t		 type_len;

	if (limits == NULL)
		limits = &form_default_limits;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len == 0)
		return FORM_OK;
	if (content_type == NULL)
		content_type = "";

	type = content_type;
	form_skip_space(&type, type + strlen(type));
	type_end = type + strcspn(type, ";");
	while (type_end > type && (type_end[-1] == ' ' || type_end[-1] == '\t'))
		type_end--;
	type_len = (size_t)(type_end - type);

	if (form_equal_nocase(type, type_len, "application/json")) {
		f->media_type = "application/json";
		return form_parse_json(f, body, len, limits, err, errlen);
	}
	if (form_equal_nocase(type, type_len,
	    "application/x-www-form-urlencoded")) {
		f->media_type = "application/x-www-form-urlencoded";
		return form_parse_urlencoded(f, body, len, limits, err, errlen);
	}
	if (form_equal_nocase(type, type_len, "multipart/form-data")) {
		f->media_type = "multipart/form-data";
		if (form_header_param(content_type, "boundary", boundary,
		    sizeof(boundary)) != 1 || boundary[0] == '\0')
			return form_fail(err, errlen, FORM_MALFORMED,
			    "multipart/form-data without a valid boundary");
		return form_parse_multipart(f, boundary, body, len, limits,
		    err, errlen);
	}
	return form_fail(err, errlen, FORM_UNSUPPORTED,
	    "unsupported content type");
}

/* Does `len` bytes of `body` start, after white space, with '{' or '['? */
int
form_body_looks_like_json(const char *body, size_t len)
{
	size_t	i = 0;

	while (i < len && (body[i] == ' ' || body[i] == '\t' ||
	    body[i] == '\r' || body[i] == '\n'))
		i++;
	return i < len && (body[i] == '{' || body[i] == '[');
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
