/*
 * form_urlencoded.c - application/x-www-form-urlencoded text, a request
 * body or a query string, into a struct form (see form.h), and the
 * percent-decoding it needs.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "validate.h"

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
 * pairs are skipped; a pair without '=' has an empty value.  Returns RESULT_OK
 * or another status with a message.
 */
enum result
form_parse_urlencoded(struct form *f, const char *text, size_t len,
    const struct form_limits *limits, char *err, size_t errlen)
{
	enum result		 status = RESULT_OK;
	char			*scratch = NULL;
	const char		*pair, *end, *next, *equals;
	size_t			 pair_len, name_len, index = 0;
	long			 name_out, value_out;

	if (limits == NULL)
		limits = &form_default_limits;
	if (len == 0)
		return RESULT_OK;
	/* Decoding never grows text, so one buffer holds any name + value. */
	if (len > SIZE_MAX - 2 || (scratch = malloc(len + 2)) == NULL)
		return form_fail(err, errlen, RESULT_NO_MEMORY,
		    "out of memory");

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
			status = form_fail(err, errlen, RESULT_MALFORMED,
			    "malformed %%-escape in pair %zu of the form data",
			    index);
			goto out;
		}
		status = form_add(f, scratch, (size_t)name_out,
		    FORM_VALUE_STRING, scratch + name_len + 1,
		    (size_t)value_out, NULL, NULL, NULL, limits, err, errlen);
		if (status != RESULT_OK)
			goto out;
	}
out:
	free(scratch);
	return status;
}
