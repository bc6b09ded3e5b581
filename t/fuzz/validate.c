/*
 * validate.c - libFuzzer target: the field validators of lib/validate.h.
 *
 * Every validator sees the same bytes; what validate_subdomain() accepts
 * must be lower-case letters, digits and inner hyphens, at most
 * SUBDOMAIN_MAX long.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts when a bad subdomain passes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t number;
	const char *errstr;
	size_t i;

	validate_name(s, size);
	validate_email(s, size);
	validate_color(s, size);
	validate_module_key(s, size);
	validate_username(s, size);
	utf8_length(s, size);
	if (size < 32 && memchr(s, '\0', size) == NULL) {
		char text[32];

		memcpy(text, s, size);
		text[size] = '\0';
		parse_int64(text, INT64_MIN, INT64_MAX, &number, &errstr);
	}
	if (validate_subdomain(s, size) != NULL)
		return 0;
	if (size == 0 || size > SUBDOMAIN_MAX || s[0] == '-' ||
	    s[size - 1] == '-')
		abort();
	for (i = 0; i < size; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			abort();
	return 0;
}
