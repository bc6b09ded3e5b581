/*
 * form_body.c - a request body into a struct form by its Content-Type
 * (see form.h): the media type picks form_parse_json(),
 * form_parse_urlencoded() or form_parse_multipart().
 */
#include <string.h>

#include "form.h"
#include "form_header.h"

/*
 * Parses a request body by its Content-Type header value: the media type is
 * matched without regard to case or parameters.  An empty body is an empty
 * form whatever the type.  Returns RESULT_OK, RESULT_UNSUPPORTED for other
 * types, or another status with a message.
 */
enum result
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
		return RESULT_OK;
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
			return form_fail(err, errlen, RESULT_MALFORMED,
			    "multipart/form-data without a valid boundary");
		return form_parse_multipart(f, boundary, body, len, limits,
		    err, errlen);
	}
	return form_fail(err, errlen, RESULT_UNSUPPORTED,
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
