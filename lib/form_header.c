/*
 * form_header.c - the text of header values a request body's parsers read
 * (see form_header.h).
 */
#include <string.h>
#include <strings.h>

#include "form_header.h"

/* Does `len` bytes at `s` equal `word`, ignoring ASCII case? */
int
form_equal_nocase(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Advances `*p` past spaces and tabs before `end`. */
void
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
int
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

/*
 * Finds the value of parameter `wanted` in a header value such as
 * "multipart/form-data; boundary=xyz", starting after the media type.
 * Copies it into `out` (of `outlen` bytes).  Returns 1 found, 0 absent, -1
 * malformed or too long.
 */
int
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
