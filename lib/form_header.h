/*
 * form_header.h - reading header values such as a Content-Type or a
 * multipart part's Content-Disposition: "type; name=value; ...".  The
 * request body parsers of lib/form*.c share these; they work on byte
 * ranges of the client's text, bounded by `end`, and copy nothing but
 * into the caller's buffer.
 */
#ifndef TENANTD_FORM_HEADER_H
#define TENANTD_FORM_HEADER_H

#include <stddef.h>

/* Does `len` bytes at `s` equal `word`, ignoring ASCII case? */
int	form_equal_nocase(const char *s, size_t len, const char *word);

/* Advances `*p` past spaces and tabs before `end`. */
void	form_skip_space(const char **p, const char *end);

/*
 * Reads one "; name=value" parameter starting at `*p`: a token or a
 * quoted string taken literally up to the closing quote.  Returns 1 with
 * the pieces pointing into the text and `*p` advanced, 0 at the end of
 * the value, or -1 if the text is malformed.
 */
int	form_next_param(const char **p, const char *end, const char **name,
	    size_t *name_len, const char **value, size_t *value_len);

/*
 * Copies the value of parameter `wanted` of header value `header` (after
 * its media type) into `out` (`outlen` bytes).  Returns 1 found, 0
 * absent, -1 malformed or too long.
 */
int	form_header_param(const char *header, const char *wanted, char *out,
	    size_t outlen);

#endif
