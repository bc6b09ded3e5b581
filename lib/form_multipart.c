/*
 * form_multipart.c - a multipart/form-data body (RFC 7578) into a struct
 * form (see form.h).
 *
 * Parts are found by searching for the boundary, never by a declared
 * Content-Length, and a part's header block is bounded, so nothing here
 * trusts a length or count sent by the client.
 */
#include <stdio.h>
#include <string.h>

#include "form.h"
#include "form_header.h"

/* Largest header block of one multipart part. */
#define FORM_PART_HEADERS_MAX	8192

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
	form_fail(err, errlen, RESULT_MALFORMED,
	    "multipart part %zu: malformed Content-Disposition", index);
	return -1;
}

/*
 * Parses the header block of part `index` (CRLF-separated lines, without
 * the blank line) into `part`.  Returns RESULT_OK or RESULT_MALFORMED with a
 * message.
 */
static enum result
form_parse_part_headers(struct form_part *part, const char *headers,
    size_t len, size_t index, char *err, size_t errlen)
{
	const char	*line, *line_end, *end = headers + len, *colon, *value;
	const char	*value_end;
	size_t		 value_len;

	if (memchr(headers, '\0', len) != NULL)
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "multipart part %zu: NUL byte in headers", index);
	for (line = headers; line < end; line = line_end + 2) {
		line_end = form_find(line, (size_t)(end - line), "\r\n", 2);
		if (line_end == NULL)
			line_end = end;
		colon = memchr(line, ':', (size_t)(line_end - line));
		if (colon == NULL || colon == line || *line == ' ' ||
		    *line == '\t')
			return form_fail(err, errlen, RESULT_MALFORMED,
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
				return form_fail(err, errlen, RESULT_MALFORMED,
				    "multipart part %zu: two "
				    "Content-Disposition headers", index);
			part->has_disposition = 1;
			if (form_parse_disposition(part, value, value_end,
			    index, err, errlen) == -1)
				return RESULT_MALFORMED;
		} else if (form_equal_nocase(line, (size_t)(colon - line),
		    "Content-Type")) {
			if (part->has_content_type ||
			    value_len >= sizeof(part->content_type))
				return form_fail(err, errlen, RESULT_MALFORMED,
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
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "multipart part %zu: no Content-Disposition with a name",
		    index);
	return RESULT_OK;
}

/*
 * Parses a multipart/form-data body (RFC 7578) delimited by `boundary` into
 * `f`.  A preamble before the first boundary line and an epilogue after the
 * closing one are ignored; a body that ends before the closing boundary is
 * malformed.  Returns RESULT_OK or another status with a message.
 */
enum result
form_parse_multipart(struct form *f, const char *boundary, const char *body,
    size_t len, const struct form_limits *limits, char *err, size_t errlen)
{
	struct form_part	 part;
	enum result		 status;
	char			 delimiter[FORM_BOUNDARY_MAX + 5];
	size_t			 boundary_len, delimiter_len, index = 0;
	size_t			 window;
	const char		*p, *end, *found, *headers_end, *data;

	if (limits == NULL)
		limits = &form_default_limits;
	if (boundary == NULL || (boundary_len = strlen(boundary)) == 0 ||
	    boundary_len > FORM_BOUNDARY_MAX ||
	    strpbrk(boundary, "\r\n") != NULL)
		return form_fail(err, errlen, RESULT_MALFORMED,
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
		return form_fail(err, errlen, RESULT_MALFORMED,
		    "multipart body has no boundary line");

	for (;;) {
		/* Just after a delimiter: "--" closes, else padding + CRLF. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return RESULT_OK;
		form_skip_space(&p, end);
		if (end - p < 2)
			return form_fail(err, errlen, RESULT_MALFORMED,
			    "multipart body ends without the closing boundary");
		if (p[0] != '\r' || p[1] != '\n')
			return form_fail(err, errlen, RESULT_MALFORMED,
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
				return form_fail(err, errlen, RESULT_TOO_LARGE,
				    "multipart part %zu: headers longer than "
				    "%d bytes", index, FORM_PART_HEADERS_MAX);
			if (headers_end == NULL)
				return form_fail(err, errlen, RESULT_MALFORMED,
				    "multipart part %zu is truncated", index);
			data = headers_end + 4;
		}
		status = form_parse_part_headers(&part, p,
		    (size_t)(headers_end - p), index, err, errlen);
		if (status != RESULT_OK)
			return status;

		found = form_find(data, (size_t)(end - data), delimiter,
		    delimiter_len);
		if (found == NULL)
			return form_fail(err, errlen, RESULT_MALFORMED,
			    "multipart part %zu is truncated (no closing "
			    "boundary)", index);
		status = form_add(f, part.name, part.name_len,
		    part.has_filename ? FORM_VALUE_FILE : FORM_VALUE_STRING,
		    data, (size_t)(found - data),
		    part.has_filename ? part.filename : NULL,
		    part.has_filename && part.has_content_type ?
		    part.content_type : NULL, NULL, limits, err, errlen);
		if (status != RESULT_OK)
			return status;
		p = found + delimiter_len;
	}
}
