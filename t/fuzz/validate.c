/*
 * validate.c - libFuzzer target: the field validators of lib/validate.h.
 *
 * Every validator sees the same bytes; what validate_subdomain() accepts
 * must be lower-case letters, digits and inner hyphens, at most
 * SUBDOMAIN_MAX long, and what validate_asset_base_url() accepts must
 * start with http:// or https://, hold no byte an HTML attribute or a CSP
 * would need escaped (quotes, angle brackets, spaces, controls, '\\')
 * nor a query, fragment, user information or escape, and have an origin
 * no longer than itself.
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
	size_t i, origin_len = 0;

	if (validate_asset_base_url(s, size, &origin_len) == NULL) {
		if (size > ASSET_BASE_URL_MAX || origin_len > size ||
		    (strncmp(s, "http://", size < 7 ? size : 7) != 0 &&
		    strncmp(s, "https://", size < 8 ? size : 8) != 0))
			abort();
		for (i = 0; i < size; i++)
			if ((unsigned char)s[i] <= ' ' ||
			    (unsigned char)s[i] >= 0x7f ||
			    strchr("\"'<>\\?#@%;,", s[i]) != NULL)
				abort();
	}
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
